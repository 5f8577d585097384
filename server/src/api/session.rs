//! `/api/v1/session` and `/api/v1/me`: signing in and out from programs and pages.

use super::{Actor, ApiError, ApiJson, ErrorBody};
use app::error::AppError;
use app::identity::model::{User, ZoneSetting};
use app::identity::service::{self as identity, Client};
use app::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::header::{COOKIE, SET_COOKIE};
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
        .routes(routes!(set_time_zone))
        .routes(routes!(audit_log))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
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
fn client(headers: &HeaderMap, peer: Option<SocketAddr>) -> Client {
    Client::of_request(headers, peer)
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
    let previous = identity::session_secret(headers.get_all(COOKIE));
    let (user, session) = identity::sign_in(
        &state,
        (&input.email, &input.password),
        previous.as_deref(),
        &client,
    )
    .await?;
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
    Actor(user): Actor,
    Peer(peer): Peer,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let client = client(&headers, peer);
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
async fn me(Actor(user): Actor) -> Json<User> {
    Json(user)
}

/// How the signed-in person's times are shown: `{"time_zone": "Europe/Berlin"}`, or
/// `{"time_zone": null}` for their browser's zone (pages then follow the browser).
#[utoipa::path(put, path = "/me/time-zone", tag = "session", request_body = ZoneSetting,
    responses((status = 200, description = "The person, with the setting", body = User),
              (status = 401, body = ErrorBody),
              (status = 422, description = "Not a time zone (named on `time_zone`)", body = ErrorBody)))]
async fn set_time_zone(
    State(state): State<AppState>,
    Actor(user): Actor,
    ApiJson(setting): ApiJson<ZoneSetting>,
) -> Result<Json<User>, ApiError> {
    Ok(Json(
        identity::set_time_zone(&state, &user, &setting).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    /// Only actions starting with this, e.g. `login` or `token`.
    action: Option<String>,
    /// How many, newest first: 100 when absent; below 1 reads as 1, above 500 as 500.
    limit: Option<i64>,
}

/// The audit log, newest first (admins only).
#[utoipa::path(get, path = "/audit", tag = "session", params(AuditQuery),
    responses((status = 200, description = "Newest first", body = Vec<app::identity::model::AuditEntry>),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn audit_log(
    State(state): State<AppState>,
    super::ApiQuery(query): super::ApiQuery<AuditQuery>,
) -> Result<Json<Vec<app::identity::model::AuditEntry>>, ApiError> {
    let limit = query.limit.unwrap_or(100).clamp(1, 500);
    Ok(Json(
        app::identity::repo::list_audit(state.db.pool(), query.action.as_deref(), limit)
            .await
            .map_err(AppError::from)?,
    ))
}

/// The signed-in user's API tokens (everyone's, for admins).
#[utoipa::path(get, path = "/tokens", tag = "session",
    responses((status = 200, body = Vec<app::identity::model::ApiToken>),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_tokens(
    State(state): State<AppState>,
    Actor(user): Actor,
) -> Result<Json<Vec<app::identity::model::ApiToken>>, ApiError> {
    Ok(Json(identity::list_tokens(&state, &user).await?))
}

/// A name for a new token.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewToken {
    /// What it is for, e.g. "alertmanager".
    name: String,
}

/// Creates a token acting as the signed-in user; the secret is in this answer only.
#[utoipa::path(post, path = "/tokens", tag = "session", request_body = NewToken,
    responses((status = 201, description = "`{id, name, token}`: keep the token, it is not shown again"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_token(
    State(state): State<AppState>,
    Actor(user): Actor,
    Peer(peer): Peer,
    headers: HeaderMap,
    ApiJson(input): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let client = client(&headers, peer);
    let (id, token) = identity::create_own_token(&state, &user, &input.name, &client).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "id": id, "name": input.name.trim(), "token": token })),
    ))
}

/// Revokes a token (one's own; any, for admins). It stops working at once.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "session",
    params(("id" = i64, Path, description = "Token id")),
    responses((status = 204, description = "Revoked"), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke_token(
    State(state): State<AppState>,
    Actor(user): Actor,
    Peer(peer): Peer,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<StatusCode, ApiError> {
    let client = client(&headers, peer);
    let id: i64 = id
        .parse()
        .map_err(|_| AppError::NotFound(format!("token {id}")))?;
    identity::revoke_token_as(&state, &user, id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}
