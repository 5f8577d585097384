//! The web security baseline every response and request goes through: security
//! headers, and a cross-site request check for every state-changing request.

use axum::extract::{Request, State};
use axum::http::header::{
    CONTENT_SECURITY_POLICY, HOST, ORIGIN, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// Policy for everything that is not a page (API JSON, files): nothing may run or be
/// framed. Pages set their own, with the per-response script nonce
/// (`app::security::page_policy`).
const NON_PAGE_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the security headers to every response.
pub async fn headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(CONTENT_SECURITY_POLICY) {
        headers.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(NON_PAGE_POLICY),
        );
    }
    for (name, value) in [
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (REFERRER_POLICY, "strict-origin-when-cross-origin"),
        (X_FRAME_OPTIONS, "DENY"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), payment=()",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// Origins this server answers for, besides the one in the request's `Host`.
#[derive(Clone, Debug, Default)]
pub struct TrustedOrigins(pub Vec<String>);

/// Refuses state-changing requests (and websocket handshakes) a browser sent on
/// behalf of another site: the
/// browser says so in `Sec-Fetch-Site`, or its `Origin` is not this server's. Requests
/// with neither header come from programs (curl, integrations), which a hostile page
/// cannot make a browser send, so they pass; sign-in (cookies SameSite=Lax) adds the
/// second layer.
pub async fn same_origin_writes(
    State(trusted): State<TrustedOrigins>,
    request: Request,
    next: Next,
) -> Response {
    // A websocket handshake is a GET, but what follows acts as the signed-in user.
    let upgrade = request
        .headers()
        .get(axum::http::header::UPGRADE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
    if is_safe(request.method()) && !upgrade {
        return next.run(request).await;
    }
    match cross_site(request.headers(), &trusted) {
        None => next.run(request).await,
        Some(why) => {
            tracing::warn!(method = %request.method(), path = %request.uri().path(), %why, "cross-site write refused");
            (
                StatusCode::FORBIDDEN,
                Json(json!({"error": {"code": "cross_site", "message": format!("Refused a cross-site request: {why}")}})),
            )
                .into_response()
        }
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Why the request counts as cross-site, or `None` when it does not.
fn cross_site(headers: &HeaderMap, trusted: &TrustedOrigins) -> Option<String> {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if let Some(site) = text("sec-fetch-site") {
        if !matches!(site, "same-origin" | "none") {
            return Some(format!("Sec-Fetch-Site is {site}"));
        }
    }
    let origin = text(ORIGIN.as_str())?;
    let own = text(HOST.as_str()).map(|host| [format!("http://{host}"), format!("https://{host}")]);
    let allowed = own.iter().flatten().any(|o| o.eq_ignore_ascii_case(origin))
        || trusted
            .0
            .iter()
            .any(|o| o.trim_end_matches('/').eq_ignore_ascii_case(origin));
    (!allowed).then(|| format!("Origin {origin} is not this server"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn same_origin_and_programs_pass_other_sites_do_not() {
        let trusted = TrustedOrigins(vec!["https://sitrep.example.com/".into()]);
        let host = ("host", "127.0.0.1:3000");
        for ok in [
            headers(&[host]),
            headers(&[host, ("origin", "http://127.0.0.1:3000")]),
            headers(&[
                host,
                ("origin", "https://sitrep.example.com"),
                ("sec-fetch-site", "same-origin"),
            ]),
            headers(&[host, ("sec-fetch-site", "none")]),
        ] {
            assert_eq!(cross_site(&ok, &trusted), None, "{ok:?}");
        }
        for refused in [
            headers(&[host, ("origin", "https://evil.example")]),
            headers(&[host, ("origin", "null")]),
            headers(&[host, ("sec-fetch-site", "cross-site")]),
            headers(&[
                host,
                ("sec-fetch-site", "same-site"),
                ("origin", "http://127.0.0.1:3000"),
            ]),
            headers(&[host, ("origin", "http://127.0.0.1:3001")]),
        ] {
            assert!(cross_site(&refused, &trusted).is_some(), "{refused:?}");
        }
    }
}
