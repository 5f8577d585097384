//! Server functions for signing in and out, first-run setup, and the audit log.

use super::model::{AuditEntry, User};
use crate::error::AppError;
use leptos::prelude::*;

/// The signed-in user, if any.
#[server(prefix = "/api/fn", endpoint = "current_user")]
pub async fn current_user() -> Result<Option<User>, AppError> {
    let (state, headers, client) = request()?;
    super::service::authenticate(&state, &headers, &client).await
}

/// Whether the instance waits for its first admin (/setup).
#[server(prefix = "/api/fn", endpoint = "needs_setup")]
pub async fn needs_setup() -> Result<bool, AppError> {
    let (state, _, _) = request()?;
    Ok(super::service::needs_setup(&state))
}

/// Signs in from the sign-in page and goes on to the page asked for (`next`), or
/// the incident list.
#[server(prefix = "/api/fn", endpoint = "sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<User, AppError> {
    use axum::http::header::COOKIE;
    let (state, headers, client) = request()?;
    // A new session id for every sign-in: the browser's earlier one ends.
    let previous = super::service::session_secret(headers.get_all(COOKIE));
    let (user, session) =
        super::service::sign_in(&state, (&email, &password), previous.as_deref(), &client)
            .await
            .inspect_err(crate::error::set_error_status)?;
    set_cookie(&super::service::session_cookie(
        &session,
        state.secure_cookies,
    ));
    leptos_axum::redirect(super::model::local_path(next.as_deref()));
    Ok(user)
}

/// Signs this browser out and goes to the sign-in page.
#[server(prefix = "/api/fn", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use axum::http::header::COOKIE;
    let (state, headers, client) = request()?;
    if let Some(secret) = super::service::session_secret(headers.get_all(COOKIE)) {
        super::service::sign_out(&state, &secret, &client).await?;
    }
    set_cookie(&super::service::cleared_session_cookie(
        state.secure_cookies,
    ));
    leptos_axum::redirect("/login");
    Ok(())
}

/// Creates the first admin with the setup token from the server's log.
#[server(prefix = "/api/fn", endpoint = "complete_setup")]
pub async fn complete_setup(
    token: String,
    email: String,
    display_name: String,
    password: String,
) -> Result<User, AppError> {
    let (state, _, client) = request()?;
    let (user, session) =
        super::service::complete_setup(&state, &token, (&email, &display_name), &password, &client)
            .await
            .inspect_err(crate::error::set_error_status)?;
    set_cookie(&super::service::session_cookie(
        &session,
        state.secure_cookies,
    ));
    leptos_axum::redirect("/");
    Ok(user)
}

/// The IANA time-zone names people and business-hours calendars may use (the zone
/// pickers' list).
#[server(prefix = "/api/fn", endpoint = "time_zones")]
pub async fn time_zones() -> Result<Vec<String>, AppError> {
    signed_in()?;
    Ok(crate::clock::zone_names())
}

/// The settings page's time-zone form: `shown_in` is `browser` (times in the
/// browser's zone, `browser_zone`, which the page fills in) or `zone` (`time_zone`).
#[server(prefix = "/api/fn", endpoint = "set_time_zone")]
pub async fn set_time_zone(
    shown_in: String,
    time_zone: String,
    browser_zone: Option<String>,
) -> Result<User, AppError> {
    let state = crate::state::AppState::from_context()?;
    let user = signed_in()?;
    let setting = super::model::ZoneSetting {
        time_zone: (shown_in == "zone").then_some(time_zone),
        browser_zone,
    };
    super::service::set_time_zone(&state, &user, &setting)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// The newest audit records, optionally only actions starting with `action`.
#[server(prefix = "/api/fn", endpoint = "audit_entries")]
pub async fn audit_entries(action: String) -> Result<Vec<AuditEntry>, AppError> {
    // The route needs view_audit (identity::access), checked before this runs.
    let state = crate::state::AppState::from_context()?;
    let action = action.trim();
    Ok(
        super::repo::list_audit(state.db.pool(), (!action.is_empty()).then_some(action), 200)
            .await?,
    )
}

/// The caller the authorization middleware let through (see `identity::access`).
#[cfg(feature = "ssr")]
pub fn signed_in() -> Result<User, AppError> {
    signed_in_user()
        .ok_or_else(|| AppError::Unauthenticated("Sign in first".into()))
        .inspect_err(crate::error::set_error_status)
}

/// The caller the authorization middleware let through, if it signed in (public
/// pages render for everybody: they ask this without refusing anyone).
#[cfg(feature = "ssr")]
pub fn signed_in_user() -> Option<User> {
    use axum::http::request::Parts;
    use_context::<Parts>()
        .and_then(|parts| parts.extensions.get::<super::access::SignedIn>().cloned())
        .map(|super::access::SignedIn(user)| user)
}

/// The signed-in caller and where the call came from, for actions that are audited.
#[cfg(feature = "ssr")]
pub fn caller() -> Result<(User, super::service::Client), AppError> {
    let (_, _, client) = request()?;
    Ok((signed_in()?, client))
}

/// The state, request headers and client address of the current server call.
#[cfg(feature = "ssr")]
fn request() -> Result<
    (
        crate::state::AppState,
        axum::http::HeaderMap,
        super::service::Client,
    ),
    AppError,
> {
    use axum::extract::ConnectInfo;
    use axum::http::request::Parts;
    let state = crate::state::AppState::from_context()?;
    let parts = use_context::<Parts>()
        .ok_or_else(|| AppError::internal("server function", "request parts missing"))?;
    let peer = parts
        .extensions
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr);
    let client = super::service::Client::of_request(&parts.headers, peer);
    Ok((state, parts.headers, client))
}

#[cfg(feature = "ssr")]
fn set_cookie(value: &str) {
    use axum::http::{header::SET_COOKIE, HeaderValue};
    if let (Some(response), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        HeaderValue::from_str(value),
    ) {
        response.append_header(SET_COOKIE, value);
    }
}
