//! `/api/v1/session` and `/api/v1/me`: signing in and out from programs and pages.

use super::{ApiError, ApiJson, ErrorBody};
use app::error::AppError;
use app::identity::model::User;
use app::identity::service::{self as identity, Client};
use app::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::header::{COOKIE, SET_COOKIE, USER_AGENT};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use std::net::SocketAddr;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_in, sign_out))
        .routes(routes!(sign_out_everywhere))
        .routes(routes!(me))
        .routes(routes!(audit_log))
}

/// The connection's remote address, when the server was started with connect info
/// (always, except in unit tests of the router).
pub struct Peer(pub Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| *addr),
        ))
    }
}

/// Where a request came from.
pub fn client(headers: &HeaderMap, peer: Option<SocketAddr>) -> Client {
    Client {
        ip: peer.map(|addr| addr.ip().to_string()),
        user_agent: headers
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(300).collect()),
    }
}

/// Sign-in credentials.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SignIn {
    email: String,
    password: String,
}

/// Signs in; the session cookie comes back in `Set-Cookie` (any earlier session
/// cookie of this browser is ended: a new id per sign-in).
#[utoipa::path(post, path = "/session", tag = "session", request_body = SignIn,
    responses((status = 200, description = "Signed in; Set-Cookie carries the session", body = User),
              (status = 401, description = "Wrong email or password", body = ErrorBody),
              (status = 429, description = "Too many failed sign-ins", body = ErrorBody)))]
async fn sign_in(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    ApiJson(input): ApiJson<SignIn>,
) -> Result<Response, ApiError> {
    let client = client(&headers, peer);
    let (user, session) = identity::sign_in(&state, &input.email, &input.password, &client).await?;
    if let Some(previous) = identity::session_secret(headers.get_all(COOKIE)) {
        identity::sign_out(&state, &previous, &client).await?;
    }
    let cookie = identity::session_cookie(&session, state.secure_cookies);
    Ok(([(SET_COOKIE, cookie)], Json(user)).into_response())
}

/// Signs this browser out.
#[utoipa::path(delete, path = "/session", tag = "session",
    responses((status = 204, description = "Signed out; the cookie is cleared")))]
async fn sign_out(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(secret) = identity::session_secret(headers.get_all(COOKIE)) {
        identity::sign_out(&state, &secret, &client(&headers, peer)).await?;
    }
    let cleared = identity::cleared_session_cookie(state.secure_cookies);
    Ok((StatusCode::NO_CONTENT, [(SET_COOKIE, cleared)]).into_response())
}

/// Ends every session of the signed-in user.
#[utoipa::path(post, path = "/session/everywhere", tag = "session",
    responses((status = 200, description = "How many sessions were ended"),
              (status = 401, body = ErrorBody)))]
async fn sign_out_everywhere(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let client = client(&headers, peer);
    let user = signed_in(&state, &headers, &client).await?;
    let ended = identity::sign_out_everywhere(&state, &user, &client).await?;
    let cleared = identity::cleared_session_cookie(state.secure_cookies);
    Ok((
        [(SET_COOKIE, cleared)],
        Json(serde_json::json!({ "sessions_ended": ended })),
    )
        .into_response())
}

/// Who the request is signed in as (session cookie or bearer token).
#[utoipa::path(get, path = "/me", tag = "session",
    responses((status = 200, body = User), (status = 401, body = ErrorBody)))]
async fn me(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
) -> Result<Json<User>, ApiError> {
    let client = client(&headers, peer);
    Ok(Json(signed_in(&state, &headers, &client).await?))
}

async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
    client: &Client,
) -> Result<User, AppError> {
    identity::authenticate(state, headers, client)
        .await?
        .ok_or_else(|| AppError::Unauthenticated("Sign in first".into()))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    /// Only actions starting with this, e.g. `login` or `token`.
    action: Option<String>,
    /// 1 to 500; 100 when absent.
    limit: Option<i64>,
}

/// The audit log, newest first (admins only).
#[utoipa::path(get, path = "/audit", tag = "session", params(AuditQuery),
    responses((status = 200, description = "Newest first", body = Vec<app::identity::model::AuditEntry>),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn audit_log(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    super::ApiQuery(query): super::ApiQuery<AuditQuery>,
) -> Result<Json<Vec<app::identity::model::AuditEntry>>, ApiError> {
    let user = signed_in(&state, &headers, &client(&headers, peer)).await?;
    if !user.role.permits(app::identity::model::Action::ViewAudit) {
        return Err(AppError::Forbidden(
            "Reading the audit log needs the view_audit permission (admins)".into(),
        )
        .into());
    }
    let limit = query.limit.unwrap_or(100).clamp(1, 500);
    Ok(Json(
        app::identity::repo::list_audit(state.db.pool(), query.action.as_deref(), limit)
            .await
            .map_err(AppError::from)?,
    ))
}
