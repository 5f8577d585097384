//! The status pages' routes: `/status` for everyone and `/status/a/{token}` for one
//! account, each as HTML and as Statuspage-shaped JSON, and their email sign-up
//! (subscribe, confirm, unsubscribe). No sign-in; pages are served from the
//! rendered-page cache (`app::statuspage::cache`); every route is rate-limited per
//! client address, the sign-up form much more tightly (it sends email).

use crate::api::ApiError;
use app::error::AppError;
use app::state::AppState;
use app::statuspage::cache::Format;
use app::statuspage::render::{PAGE_POLICY, STYLESHEET};
use app::statuspage::service::{self, Reader};
use app::statuspage::{render, subscriptions};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_SECURITY_POLICY, CONTENT_TYPE, VARY,
};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

/// Per-address limits on the status routes.
#[derive(Clone)]
pub struct StatusLimits {
    /// Any status route; `None` when turned off.
    pages: Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
    /// Sign-ups: each sends an email.
    signups: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

/// Sign-ups per address: a few at once, then one every two minutes.
const SIGNUP_BURST: u32 = 5;
const SIGNUP_EVERY: std::time::Duration = std::time::Duration::from_secs(120);
/// Addresses remembered before the idle ones are forgotten.
const REMEMBERED_ADDRESSES: usize = 10_000;

impl StatusLimits {
    /// `per_second` requests per address to any status route (bursts of four times
    /// that); 0 turns the page limit off (a proxy in front limits instead).
    pub fn new(per_second: u32) -> StatusLimits {
        let signup_quota = Quota::with_period(SIGNUP_EVERY)
            .unwrap_or_else(|| Quota::per_minute(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(SIGNUP_BURST).unwrap_or(NonZeroU32::MIN));
        StatusLimits {
            pages: NonZeroU32::new(per_second).map(|rate| {
                let burst = rate.saturating_mul(NonZeroU32::new(4).unwrap_or(NonZeroU32::MIN));
                Arc::new(RateLimiter::keyed(
                    Quota::per_second(rate).allow_burst(burst),
                ))
            }),
            signups: Arc::new(RateLimiter::keyed(signup_quota)),
        }
    }
}

fn allowed(limiter: &DefaultKeyedRateLimiter<IpAddr>, ip: IpAddr) -> bool {
    if limiter.len() > REMEMBERED_ADDRESSES {
        limiter.retain_recent();
    }
    limiter.check_key(&ip).is_ok()
}

fn peer(request: &Request) -> Option<IpAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

async fn limit(State(limits): State<StatusLimits>, request: Request, next: Next) -> Response {
    let Some(ip) = peer(&request) else {
        return next.run(request).await;
    };
    let signup = request.method() == axum::http::Method::POST
        && request.uri().path().ends_with("/subscribe");
    let within = limits.pages.as_deref().is_none_or(|l| allowed(l, ip))
        && (!signup || allowed(&limits.signups, ip));
    if within {
        return next.run(request).await;
    }
    let text = if signup {
        "Too many sign-ups from your address: try again in a few minutes."
    } else {
        "Too many requests from your address: try again in a few seconds."
    };
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(
            axum::http::header::RETRY_AFTER,
            if signup { "120" } else { "1" },
        )],
        text,
    )
        .into_response()
}

/// The routes, as the permission table lists them (all public).
pub fn routes(limits: StatusLimits) -> Router<AppState> {
    Router::new()
        .route("/status", get(public_page))
        .route("/status/status.css", get(stylesheet))
        .route("/status/api/v2/{document}", get(public_api_document))
        .route(
            "/status/api/v2/scheduled-maintenances/{document}",
            get(public_maintenance_document),
        )
        .route("/status/{document}", get(public_file))
        .route("/status/subscribe", post(public_subscribe))
        .route("/status/subscriptions/confirm", get(confirm))
        .route(
            "/status/subscriptions/unsubscribe",
            get(unsubscribe).post(unsubscribe),
        )
        .route("/status/a/{token}", get(private_page))
        .route(
            "/status/a/{token}/api/v2/{document}",
            get(private_api_document),
        )
        .route(
            "/status/a/{token}/api/v2/scheduled-maintenances/{document}",
            get(private_maintenance_document),
        )
        .route("/status/a/{token}/{document}", get(private_file))
        .route("/status/a/{token}/subscribe", post(private_subscribe))
        .layer(middleware::from_fn_with_state(limits, limit))
}

/// A Statuspage-shaped document under `api/v2/`.
fn api_format(document: &str) -> Result<Format, ApiError> {
    match document {
        "status.json" => Ok(Format::StatusJson),
        "summary.json" => Ok(Format::SummaryJson),
        "incidents.json" => Ok(Format::IncidentsJson),
        "scheduled-maintenances.json" => Ok(Format::MaintenancesJson),
        other => Err(AppError::NotFound(format!(
            "status document api/v2/{other}: there are status.json, summary.json, \
             incidents.json and scheduled-maintenances.json"
        ))
        .into()),
    }
}

/// `api/v2/scheduled-maintenances/upcoming.json` or `…/active.json`.
fn maintenance_format(document: &str) -> Result<Format, ApiError> {
    match document {
        "upcoming.json" => Ok(Format::UpcomingMaintenancesJson),
        "active.json" => Ok(Format::ActiveMaintenancesJson),
        other => Err(AppError::NotFound(format!(
            "status document api/v2/scheduled-maintenances/{other}: there are upcoming.json and active.json"
        ))
        .into()),
    }
}

/// The feed or the badge, beside the page.
fn file_format(document: &str) -> Result<Format, ApiError> {
    match document {
        "history.atom" => Ok(Format::Atom),
        "badge.svg" => Ok(Format::Badge),
        other => Err(AppError::NotFound(format!(
            "status document {other}: there are history.atom and badge.svg"
        ))
        .into()),
    }
}

/// Whether the reader's browser takes gzip (`Accept-Encoding`, q=0 meaning no).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|p| p.replace(' ', "") == "q=0");
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

async fn serve(
    state: &AppState,
    request: &HeaderMap,
    reader: &Reader,
    format: Format,
    home: &str,
) -> Result<Response, ApiError> {
    let url = format!("{}{home}", state.public_url.trim_end_matches('/'));
    let rendered = service::page(state, reader, format, &url).await?;
    let private = matches!(reader, Reader::Account { .. });
    let cache = if private {
        // Shared caches may keep the public page briefly; never an account's.
        "private, no-store"
    } else {
        "public, max-age=10"
    };
    let headers = [
        (CONTENT_TYPE, rendered.format.content_type()),
        (CONTENT_SECURITY_POLICY, PAGE_POLICY),
        (CACHE_CONTROL, cache),
        (VARY, "accept-encoding"),
    ];
    // Already compressed: the compression layer leaves a response with an encoding.
    Ok(if accepts_gzip(request) {
        (
            headers,
            [(CONTENT_ENCODING, "gzip")],
            rendered.gzipped.clone(),
        )
            .into_response()
    } else {
        (headers, rendered.body.clone()).into_response()
    })
}

async fn public_page(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    serve(&state, &headers, &Reader::Public, Format::Html, "/status").await
}

async fn public_api_document(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(document): Path<String>,
) -> Result<Response, ApiError> {
    serve(
        &state,
        &headers,
        &Reader::Public,
        api_format(&document)?,
        "/status",
    )
    .await
}

async fn public_maintenance_document(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(document): Path<String>,
) -> Result<Response, ApiError> {
    serve(
        &state,
        &headers,
        &Reader::Public,
        maintenance_format(&document)?,
        "/status",
    )
    .await
}

async fn public_file(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(document): Path<String>,
) -> Result<Response, ApiError> {
    serve(
        &state,
        &headers,
        &Reader::Public,
        file_format(&document)?,
        "/status",
    )
    .await
}

/// An account's page in `format`. A token that is not (or no longer) an account's
/// gets the same 404 as any unknown page.
async fn serve_private(
    state: &AppState,
    headers: &HeaderMap,
    token: &str,
    format: Format,
) -> Result<Response, ApiError> {
    let reader = private_reader(state, token).await?;
    let home = format!("/status/a/{token}");
    serve(state, headers, &reader, format, &home).await
}

/// The account a private link opens. A token that is not (or no longer) an
/// account's gets the same 404 as any unknown page.
async fn private_reader(state: &AppState, token: &str) -> Result<Reader, ApiError> {
    service::account_of_token(state, token)
        .await?
        .ok_or_else(|| ApiError::from(AppError::NotFound("status page".into())))
}

/// A page answering a subscriber, with the status pages' own policy.
fn notice_page(status: StatusCode, page: Result<String, impl std::fmt::Display>) -> Response {
    match page {
        Ok(html) => (
            status,
            [
                (CONTENT_SECURITY_POLICY, PAGE_POLICY),
                (CACHE_CONTROL, "no-store"),
            ],
            Html(html),
        )
            .into_response(),
        Err(err) => ApiError::from(AppError::internal("status notice", err)).into_response(),
    }
}

/// The sign-up form's fields: `email`, and `component` once per ticked box.
fn signup_fields(body: &[u8]) -> (String, Vec<String>) {
    let mut email = String::new();
    let mut components = Vec::new();
    for (name, value) in form_urlencoded::parse(body) {
        match &*name {
            "email" => email = value.into_owned(),
            "component" => components.push(value.into_owned()),
            _ => {}
        }
    }
    (email, components)
}

/// Signs an address up for `reader`'s page: "check your inbox", or the form again
/// with what was typed and what is wrong with it.
async fn subscribe(state: &AppState, reader: &Reader, home: &str, body: &[u8]) -> Response {
    let (email, components) = signup_fields(body);
    let view = match service::view(state, reader).await {
        Ok(view) => view,
        Err(err) => return ApiError::from(err).into_response(),
    };
    let title = match &view.account {
        Some(account) => format!("{} for {account}", view.page_name),
        None => view.page_name.clone(),
    };
    match subscriptions::subscribe(state, reader, &email, &components).await {
        Ok(address) => notice_page(
            StatusCode::OK,
            render::notice(
                &title,
                "Check your inbox",
                &format!(
                    "We sent a confirmation link to {address}. Open it to start receiving updates; \
                     until then nothing else is sent."
                ),
                Some(home),
                None,
            ),
        ),
        Err(AppError::Invalid(invalid)) => {
            let problem = invalid
                .fields
                .values()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(". ");
            let form = render::subscribe_form(&view, home, &email, &components, Some(&problem));
            match form {
                Ok(form) => notice_page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    render::notice(
                        &title,
                        "Check the address",
                        "The subscription was not made.",
                        Some(home),
                        Some(&form),
                    ),
                ),
                Err(err) => notice_page(StatusCode::INTERNAL_SERVER_ERROR, Err(err)),
            }
        }
        Err(err) => ApiError::from(err).into_response(),
    }
}

async fn public_subscribe(State(state): State<AppState>, body: Bytes) -> Response {
    subscribe(&state, &Reader::Public, "/status", &body).await
}

async fn private_subscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    match private_reader(&state, &token).await {
        Ok(reader) => subscribe(&state, &reader, &format!("/status/a/{token}"), &body).await,
        Err(err) => err.into_response(),
    }
}

#[derive(serde::Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// The link in the confirmation email.
async fn confirm(State(state): State<AppState>, Query(query): Query<TokenQuery>) -> Response {
    match subscriptions::confirm(&state, &query.token).await {
        Ok(Some(title)) => notice_page(
            StatusCode::OK,
            render::notice(
                &title,
                "Subscribed",
                "You will get an email when we post an update. Every email has a link to unsubscribe.",
                None,
                None,
            ),
        ),
        Ok(None) => notice_page(
            StatusCode::NOT_FOUND,
            render::notice(
                "Status",
                "This link does not work",
                "It may be mistyped, or the address was unsubscribed since. Subscribe again from the status page.",
                None,
                None,
            ),
        ),
        Err(err) => ApiError::from(err).into_response(),
    }
}

/// The link in every email (GET), and mail clients' one-click button (POST, RFC 8058).
async fn unsubscribe(State(state): State<AppState>, Query(query): Query<TokenQuery>) -> Response {
    match subscriptions::unsubscribe(&state, &query.token).await {
        Ok(Some(title)) => notice_page(
            StatusCode::OK,
            render::notice(
                &title,
                "Unsubscribed",
                "This address gets no more email from this status page.",
                None,
                None,
            ),
        ),
        // Unsubscribed already (or never was): the reader wants no mail, and gets none.
        Ok(None) => notice_page(
            StatusCode::OK,
            render::notice(
                "Status",
                "Unsubscribed",
                "This link's address gets no email from this status page.",
                None,
                None,
            ),
        ),
        Err(err) => ApiError::from(err).into_response(),
    }
}

async fn private_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    serve_private(&state, &headers, &token, Format::Html).await
}

async fn private_api_document(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((token, document)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    serve_private(&state, &headers, &token, api_format(&document)?).await
}

async fn private_maintenance_document(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((token, document)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    serve_private(&state, &headers, &token, maintenance_format(&document)?).await
}

async fn private_file(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((token, document)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    serve_private(&state, &headers, &token, file_format(&document)?).await
}

async fn stylesheet() -> Response {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
        .into_response()
}
