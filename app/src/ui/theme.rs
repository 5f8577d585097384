//! Light or dark: the reader's operating-system preference unless they chose one
//! with the top bar's toggle. The choice is a cookie, so the server renders the page
//! in it from the first byte (no flash of the other theme).

use leptos::prelude::*;

/// The cookie that holds the reader's choice.
pub const THEME_COOKIE: &str = "sitrep_theme";

/// What the reader chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    /// Follow the operating system (`prefers-color-scheme`).
    Auto,
    Light,
    Dark,
}

impl Theme {
    pub fn parse(text: &str) -> Theme {
        match text {
            "light" => Theme::Light,
            "dark" => Theme::Dark,
            _ => Theme::Auto,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Auto => "auto",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    /// The toggle goes round: auto, dark, light.
    pub fn next(self) -> Theme {
        match self {
            Theme::Auto => Theme::Dark,
            Theme::Dark => Theme::Light,
            Theme::Light => Theme::Auto,
        }
    }

    /// The value of `<html data-theme>`, none for auto.
    pub fn attribute(self) -> Option<&'static str> {
        (self != Theme::Auto).then_some(self.as_str())
    }

    /// The choice in a `Cookie:` header (or `document.cookie`).
    pub fn from_cookies(cookies: &str) -> Theme {
        cookies
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == THEME_COOKIE)
            .map_or(Theme::Auto, |(_, value)| Theme::parse(value))
    }
}

/// The theme the request asks for (server) or the page holds (browser).
pub fn current_theme() -> Theme {
    #[cfg(feature = "ssr")]
    {
        use_context::<axum::http::request::Parts>()
            .and_then(|parts| {
                parts
                    .headers
                    .get(axum::http::header::COOKIE)
                    .and_then(|v| v.to_str().ok())
                    .map(Theme::from_cookies)
            })
            .unwrap_or(Theme::Auto)
    }
    #[cfg(not(feature = "ssr"))]
    {
        use wasm_bindgen::JsCast;
        document()
            .dyn_into::<web_sys::HtmlDocument>()
            .ok()
            .and_then(|d| d.cookie().ok())
            .map_or(Theme::Auto, |c| Theme::from_cookies(&c))
    }
}

/// The top bar's "Theme: auto / dark / light" button.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let theme = RwSignal::new(current_theme());
    let choose = move |_| {
        let next = theme.get_untracked().next();
        theme.set(next);
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if let Some(root) = document().document_element() {
                let _ = match next.attribute() {
                    Some(value) => root.set_attribute("data-theme", value),
                    None => root.remove_attribute("data-theme"),
                };
            }
            if let Ok(doc) = document().dyn_into::<web_sys::HtmlDocument>() {
                let _ = doc.set_cookie(&format!(
                    "{THEME_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
                    next.as_str()
                ));
            }
        }
    };
    view! {
        <button type="button" class="theme-toggle" id="theme-toggle" on:click=choose
            title="Light or dark: auto follows your system">
            {move || format!("Theme: {}", theme.get().as_str())}
        </button>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_names_the_choice_and_anything_else_is_auto() {
        assert_eq!(Theme::from_cookies("a=1; sitrep_theme=dark"), Theme::Dark);
        assert_eq!(Theme::from_cookies("sitrep_theme=light"), Theme::Light);
        assert_eq!(Theme::from_cookies("sitrep_theme=purple"), Theme::Auto);
        assert_eq!(Theme::from_cookies("sitrep_session=x"), Theme::Auto);
        assert_eq!(Theme::Auto.next().next().next(), Theme::Auto);
        assert_eq!(Theme::Auto.attribute(), None);
    }
}
