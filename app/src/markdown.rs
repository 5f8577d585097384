//! User Markdown to safe HTML, on the server only (the browser receives the result).

use pulldown_cmark::{html, Options, Parser};

/// Renders Markdown and sanitises the HTML: no scripts, no event handlers, no
/// `javascript:` URLs, links open without giving the target a handle on Sitrep.
pub fn to_safe_html(markdown: &str) -> String {
    let options =
        Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS;
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&unsafe_html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::to_safe_html;

    #[test]
    fn renders_common_markdown() {
        let html =
            to_safe_html("**Rolled back** to `1.41`\n\n- step one\n- [docs](https://example.com)");
        assert!(html.contains("<strong>Rolled back</strong>"), "{html}");
        assert!(html.contains("<code>1.41</code>"));
        assert!(html.contains("<li>step one</li>"));
        assert!(
            html.contains(
                r#"<a href="https://example.com" rel="noopener noreferrer nofollow">docs</a>"#
            ),
            "{html}"
        );
    }

    #[test]
    fn strips_active_content() {
        for payload in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[click](javascript:alert(1))",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<svg onload=alert(1)>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<div style=\"background:url(javascript:alert(1))\">x</div>",
            "<form action=\"https://evil.example\"><button>x</button></form>",
        ] {
            let html = to_safe_html(payload).to_lowercase();
            for forbidden in [
                "<script",
                "onerror",
                "onload",
                "javascript:",
                "<iframe",
                "style=",
                "<form",
                "<svg",
            ] {
                assert!(!html.contains(forbidden), "{payload} → {html}");
            }
        }
    }
}
