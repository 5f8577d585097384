//! A deadline on server-side page renders (head and body), with one fresh attempt
//! when it passes or when the render comes back without its Content-Security-Policy.
//!
//! Leptos 0.8's SSR can lose a wake-up when several `<Suspense>`/`<Transition>`
//! boundaries resolve at once on different threads: every thread parks and the
//! response never starts (upstream: leptos-rs/leptos#4673, #4851; seen here about
//! once in a few hundred renders under parallel load). A page normally renders in
//! tens of milliseconds, so a render still pending at the deadline is stalled, not
//! slow: it is dropped and the page rendered again. Only reads are retried; server
//! functions (POST) never pass through here twice.
//!
//! Every page render sets its own policy carrying the script nonce
//! (`app::security::set_page_policy`). About once in a few full test runs a page
//! arrived without it (the render's `ResponseOptions` came back without the header,
//! though it was set: not understood yet), and the outer non-page policy then blocked
//! its scripts: the page never hydrated. The page itself says which nonce its scripts
//! carry, so the policy is checked against that: a page without it, or with another
//! nonce's, gets the policy for its own nonce (logged). A page with no nonce and no
//! policy counts as a failed render and is rendered once more.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Duration;

use crate::metrics::{Metrics, RenderRetry};

/// How long one render of a page may take before it counts as stalled.
#[derive(Clone, Copy, Debug)]
pub struct RenderDeadline(pub Duration);

impl Default for RenderDeadline {
    fn default() -> Self {
        RenderDeadline(Duration::from_secs(10))
    }
}

/// Renders a GET/HEAD page within the deadline, trying once more if the first
/// render stalls or lacks its policy; a second failure is a 503 the browser may retry.
pub async fn retry_stalled_render(
    State((RenderDeadline(deadline), metrics)): State<(RenderDeadline, Metrics)>,
    request: Request,
    next: Next,
) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    // A GET has no body to replay: the head is all the second attempt needs.
    let (parts, _) = request.into_parts();
    for attempt in 1..=2 {
        let again = Request::from_parts(parts.clone(), Body::empty());
        // The stall can come after the head, while the body streams the resources'
        // data: the whole page is read within the deadline (Async pages are rendered
        // complete before they are sent anyway).
        let render = async {
            let (head, body) = next.clone().run(again).await.into_parts();
            axum::body::to_bytes(body, usize::MAX)
                .await
                .map(|bytes| Response::from_parts(head, bytes))
        };
        match tokio::time::timeout(deadline, render).await {
            Ok(Ok(response)) => match with_own_policy(response, parts.uri.path(), &metrics) {
                Some(response) => return response,
                None => {
                    metrics.render_retried(RenderRetry::NoPolicy);
                    tracing::error!(
                        path = %parts.uri.path(),
                        attempt,
                        "page rendered without a policy or a script nonce; dropped it"
                    )
                }
            },
            Ok(Err(err)) => {
                tracing::error!(path = %parts.uri.path(), "page body failed: {err}");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
            Err(_) => {
                metrics.render_retried(RenderRetry::Stalled);
                tracing::warn!(
                    path = %parts.uri.path(),
                    attempt,
                    "page render stalled for {deadline:?}; dropped it"
                )
            }
        }
    }
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [("retry-after", "1")],
        "This page could not be rendered just now. Reload to try again.",
    )
        .into_response()
}

/// The response with the policy for its own script nonce: as rendered when the page
/// carries it, otherwise set from the nonce in the page's head. `None` for an HTML page
/// with neither a policy nor a nonce. Other responses pass as they are.
fn with_own_policy(
    mut response: Response<Bytes>,
    path: &str,
    metrics: &Metrics,
) -> Option<Response<Body>> {
    let headers = response.headers();
    let html = headers
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if html {
        let rendered = headers
            .get(CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        match (page_nonce(response.body()), rendered) {
            (Some(nonce), rendered) => {
                let own = app::security::page_policy(nonce);
                if rendered.as_deref() != Some(own.as_str()) {
                    tracing::error!(
                        path,
                        rendered = rendered.is_some(),
                        "page rendered without the policy for its own nonce; set it"
                    );
                    metrics.policy_set();
                    let value = HeaderValue::from_str(&own).ok()?;
                    response
                        .headers_mut()
                        .insert(CONTENT_SECURITY_POLICY, value);
                }
            }
            (None, Some(_)) => {}
            (None, None) => return None,
        }
    }
    Some(response.map(Body::from))
}

/// The nonce on the scripts in a page's head (Leptos puts it on its hydration
/// scripts). Only the head is searched, before any user content; a nonce is base64.
fn page_nonce(page: &[u8]) -> Option<&str> {
    let page = std::str::from_utf8(page).ok()?;
    let head = &page[..page.find("</head>")?];
    let start = head.find(" nonce=\"")? + " nonce=\"".len();
    let nonce = &head[start..start + head[start..].find('"')?];
    let base64 = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '-' | '_');
    (!nonce.is_empty() && nonce.chars().all(base64)).then_some(nonce)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::response::Html;
    use axum::routing::{get, post};
    use axum::{middleware, Router};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use tower::ServiceExt;

    /// A page response as Leptos renders it: with its own policy.
    fn with_policy(body: &'static str) -> Response {
        (
            [(CONTENT_SECURITY_POLICY, "default-src 'self'")],
            Html(body),
        )
            .into_response()
    }

    /// A page whose first `stalls` renders answer the head but never finish the body.
    fn app_stalling_in_body(stalls: usize, renders: Arc<AtomicUsize>) -> Router {
        let page = move || {
            let renders = renders.clone();
            async move {
                if renders.fetch_add(1, Ordering::SeqCst) < stalls {
                    let never = futures_util::stream::pending::<Result<Vec<u8>, std::io::Error>>();
                    return Body::from_stream(never).into_response();
                }
                with_policy("rendered")
            }
        };
        Router::new()
            .route("/page", get(page))
            .layer(middleware::from_fn_with_state(
                (
                    RenderDeadline(Duration::from_millis(50)),
                    Metrics::new(None),
                ),
                retry_stalled_render,
            ))
    }

    #[tokio::test]
    async fn a_body_that_stalls_after_the_head_is_rendered_again() {
        let renders = Arc::new(AtomicUsize::new(0));
        let app = app_stalling_in_body(1, renders.clone());
        let (status, body) = call(app, Method::GET, "/page").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "rendered"));
        assert_eq!(renders.load(Ordering::SeqCst), 2);
    }

    /// A page whose first `stalls` renders never finish, counting every render.
    fn app(stalls: usize, renders: Arc<AtomicUsize>) -> Router {
        let page = move || {
            let renders = renders.clone();
            async move {
                if renders.fetch_add(1, Ordering::SeqCst) < stalls {
                    std::future::pending::<()>().await;
                }
                with_policy("rendered")
            }
        };
        Router::new()
            .route("/page", get(page.clone()))
            .route("/action", post(page))
            .layer(middleware::from_fn_with_state(
                (
                    RenderDeadline(Duration::from_millis(50)),
                    Metrics::new(None),
                ),
                retry_stalled_render,
            ))
    }

    async fn call(app: Router, method: Method, uri: &str) -> (StatusCode, String) {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::empty())
            .unwrap();
        let response = app.oneshot(request).await.unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn a_stalled_render_is_replaced_by_a_fresh_one() {
        let renders = Arc::new(AtomicUsize::new(0));
        let (status, body) = call(app(1, renders.clone()), Method::GET, "/page").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "rendered"));
        assert_eq!(renders.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn two_stalls_give_a_retryable_503() {
        let renders = Arc::new(AtomicUsize::new(0));
        let (status, body) = call(app(2, renders.clone()), Method::GET, "/page").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(body.contains("Reload"), "{body}");
        assert_eq!(renders.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_page_without_its_policy_is_rendered_again() {
        let renders = Arc::new(AtomicUsize::new(0));
        let page = {
            let renders = renders.clone();
            move || {
                let renders = renders.clone();
                async move {
                    if renders.fetch_add(1, Ordering::SeqCst) == 0 {
                        return Html("no policy").into_response();
                    }
                    with_policy("rendered")
                }
            }
        };
        let app = Router::new()
            .route("/page", get(page))
            .layer(middleware::from_fn_with_state(
                (
                    RenderDeadline(Duration::from_millis(50)),
                    Metrics::new(None),
                ),
                retry_stalled_render,
            ));
        let (status, body) = call(app, Method::GET, "/page").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "rendered"));
        assert_eq!(renders.load(Ordering::SeqCst), 2);
    }

    /// A router serving `page` (with `policy`, if any) and counting renders.
    fn serving(
        page: &'static str,
        policy: Option<&'static str>,
        renders: Arc<AtomicUsize>,
    ) -> Router {
        let handler = move || {
            let renders = renders.clone();
            async move {
                renders.fetch_add(1, Ordering::SeqCst);
                let mut response = Html(page).into_response();
                if let Some(policy) = policy {
                    let value = HeaderValue::from_static(policy);
                    response
                        .headers_mut()
                        .insert(CONTENT_SECURITY_POLICY, value);
                }
                response
            }
        };
        Router::new()
            .route("/page", get(handler))
            .layer(middleware::from_fn_with_state(
                (
                    RenderDeadline(Duration::from_millis(50)),
                    Metrics::new(None),
                ),
                retry_stalled_render,
            ))
    }

    async fn policy_of(app: Router) -> Option<String> {
        let request = Request::builder().uri("/page").body(Body::empty()).unwrap();
        let response = app.oneshot(request).await.unwrap();
        response
            .headers()
            .get(CONTENT_SECURITY_POLICY)
            .map(|v| v.to_str().unwrap().to_owned())
    }

    const PAGE: &str = r#"<html><head><script type="module" nonce="AbC+/1=="></script></head><body>x</body></html>"#;

    #[tokio::test]
    async fn a_page_without_its_policy_gets_the_one_for_its_own_nonce() {
        let renders = Arc::new(AtomicUsize::new(0));
        let policy = policy_of(serving(PAGE, None, renders.clone())).await;
        assert_eq!(policy, Some(app::security::page_policy("AbC+/1==")));
        assert_eq!(renders.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_policy_for_another_nonce_is_replaced_and_the_right_one_kept() {
        let renders = Arc::new(AtomicUsize::new(0));
        let other = "script-src 'nonce-other'";
        let policy = policy_of(serving(PAGE, Some(other), renders.clone())).await;
        assert_eq!(policy, Some(app::security::page_policy("AbC+/1==")));

        let own: &'static str = Box::leak(app::security::page_policy("AbC+/1==").into_boxed_str());
        let policy = policy_of(serving(PAGE, Some(own), renders.clone())).await;
        assert_eq!(policy.as_deref(), Some(own));
    }

    #[tokio::test]
    async fn a_nonce_outside_the_head_is_not_trusted() {
        let renders = Arc::new(AtomicUsize::new(0));
        let page = r#"<html><head></head><body><p nonce="evil">x</p></body></html>"#;
        let app = serving(page, None, renders.clone());
        let request = Request::builder().uri("/page").body(Body::empty()).unwrap();
        let response = app.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(renders.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn retries_and_set_policies_are_counted() {
        let metrics = Metrics::new(None);
        let deadline = (RenderDeadline(Duration::from_millis(50)), metrics.clone());
        let app = Router::new()
            .route("/page", get(|| async { Html("no policy") }))
            .route("/nonce", get(|| async { Html(PAGE) }))
            .layer(middleware::from_fn_with_state(
                deadline,
                retry_stalled_render,
            ));
        let (status, _) = call(app.clone(), Method::GET, "/page").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let (status, _) = call(app, Method::GET, "/nonce").await;
        assert_eq!(status, StatusCode::OK);
        let text = metrics.encode();
        assert!(
            text.contains("sitrep_page_render_retries_total{reason=\"no_policy\"} 2"),
            "{text}"
        );
        assert!(text.contains("sitrep_page_policies_set_total 1"), "{text}");
    }

    #[tokio::test]
    async fn writes_are_never_run_twice() {
        let renders = Arc::new(AtomicUsize::new(0));
        let app = app(0, renders.clone());
        let (status, _) = call(app, Method::POST, "/action").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(renders.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_prompt_render_is_not_repeated() {
        let renders = Arc::new(AtomicUsize::new(0));
        let (status, _) = call(app(0, renders.clone()), Method::GET, "/page").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(renders.load(Ordering::SeqCst), 1);
    }
}
