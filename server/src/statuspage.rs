//! The status pages' routes: `/status` for everyone and `/status/a/{token}` for one
//! account, each as HTML and as Statuspage-shaped JSON. No sign-in; served from
//! the rendered-page cache (`app::statuspage::cache`).

use crate::api::ApiError;
use app::error::AppError;
use app::state::AppState;
use app::statuspage::cache::Format;
use app::statuspage::render::{PAGE_POLICY, STYLESHEET};
use app::statuspage::service::{self, Reader};
use axum::extract::{Path, State};
use axum::http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_SECURITY_POLICY, CONTENT_TYPE, VARY,
};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// The routes, as the permission table lists them (all public).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/status", get(public_page))
        .route("/status/status.css", get(stylesheet))
        .route("/status/api/v2/{document}", get(public_api_document))
        .route("/status/{document}", get(public_file))
        .route("/status/a/{token}", get(private_page))
        .route(
            "/status/a/{token}/api/v2/{document}",
            get(private_api_document),
        )
        .route("/status/a/{token}/{document}", get(private_file))
}

/// A Statuspage-shaped document under `api/v2/`.
fn api_format(document: &str) -> Result<Format, ApiError> {
    match document {
        "status.json" => Ok(Format::StatusJson),
        "summary.json" => Ok(Format::SummaryJson),
        "incidents.json" => Ok(Format::IncidentsJson),
        other => Err(AppError::NotFound(format!(
            "status document api/v2/{other}: there are status.json, summary.json and incidents.json"
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
    let reader = service::account_of_token(state, token)
        .await?
        .ok_or_else(|| ApiError::from(AppError::NotFound("status page".into())))?;
    let home = format!("/status/a/{token}");
    serve(state, headers, &reader, format, &home).await
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
