//! The rules for signing in and staying signed in: password sign-in with throttling,
//! sessions with idle and absolute expiry, API tokens, user administration, and the
//! audit record each of these leaves.

use super::model::{User, UserRole, ZoneSetting};
use super::repo::{self, AuditRecord};
use super::secrets::{
    dummy_hash, hash_password, matches_hash, new_secret, password_problem, secret_hash,
    verify_password,
};
use crate::catalog::model::{check_email, check_name};
use crate::error::{AppError, Invalid};
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

/// A session ends after this long without a request…
pub const SESSION_IDLE: Duration = Duration::hours(12);
/// …and after this long in any case.
pub const SESSION_ABSOLUTE: Duration = Duration::days(14);
/// Activity is written back at most this often (not on every request).
const TOUCH_EVERY: Duration = Duration::minutes(1);
/// Failed sign-ins count within this window.
pub const THROTTLE_WINDOW: Duration = Duration::minutes(15);
/// Failures allowed per account, and per address, within the window.
pub const ACCOUNT_FAILURES_MAX: i64 = 5;
pub const IP_FAILURES_MAX: i64 = 20;
/// What a browser session cookie is called.
pub const SESSION_COOKIE: &str = "sitrep_session";
/// Session secrets and API tokens start with these, so a leaked one is recognisable.
const SESSION_PREFIX: &str = "sitrep_s_";
const TOKEN_PREFIX: &str = "sitrep_t_";

/// Where a request came from, for throttling and the audit log.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Client {
    /// The client of a request: its peer address and (capped) user agent.
    pub fn of_request(
        headers: &axum::http::HeaderMap,
        peer: Option<std::net::SocketAddr>,
    ) -> Client {
        Client {
            ip: peer.map(|addr| addr.ip().to_string()),
            user_agent: headers
                .get(axum::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|ua| ua.chars().take(300).collect()),
        }
    }
}

/// A new session: its cookie secret (shown to the browser only) and when it ends.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub secret: String,
    pub expires_at: DateTime<Utc>,
}

async fn audit(
    state: &AppState,
    actor: Option<&User>,
    actor_label: &str,
    (action, target): (&str, &str),
    detail: serde_json::Value,
    client: &Client,
) -> Result<(), AppError> {
    let record = AuditRecord {
        actor,
        actor_label,
        action,
        target,
        detail,
        ip: client.ip.as_deref(),
        at: state.now(),
    };
    Ok(repo::append_audit(state.db.pool(), &record).await?)
}

/// Records a change someone made (catalog edits, imports, settings) inside the
/// transaction that makes it: the record exists exactly when the change does.
pub async fn audit_change(
    conn: &mut sqlx::AnyConnection,
    (actor, client): (&User, &Client),
    (action, target): (&str, &str),
    detail: serde_json::Value,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    let record = AuditRecord {
        actor: Some(actor),
        actor_label: "",
        action,
        target,
        detail,
        ip: client.ip.as_deref(),
        at,
    };
    Ok(repo::append_audit(conn, &record).await?)
}

/// Signs in with email and password. Wrong credentials get one message whichever
/// part was wrong; too many failures for the account or the address get a
/// "try again in N minutes". Every attempt is audited. A successful sign-in starts
/// a new session and ends `previous`, the browser's earlier one (rotation).
pub async fn sign_in(
    state: &AppState,
    (email, password): (&str, &str),
    previous: Option<&str>,
    client: &Client,
) -> Result<(User, NewSession), AppError> {
    let email = email.trim().to_lowercase();
    let now = state.now();
    let keys = [
        (
            format!("account:{email}"),
            ACCOUNT_FAILURES_MAX,
            "this account",
        ),
        (
            format!("ip:{}", client.ip.as_deref().unwrap_or("unknown")),
            IP_FAILURES_MAX,
            "your address",
        ),
    ];
    for (key, max, whose) in &keys {
        let (failures, oldest) =
            repo::login_failures_since(state.db.pool(), key, now - THROTTLE_WINDOW).await?;
        if failures >= *max {
            let free_at = oldest.unwrap_or(now) + THROTTLE_WINDOW;
            let minutes = (free_at - now).num_minutes().max(0) + 1;
            audit(
                state,
                None,
                &email,
                ("login.throttled", &email),
                json!({"limit": whose}),
                client,
            )
            .await?;
            return Err(AppError::Throttled(format!(
                "Too many failed sign-ins for {whose}: try again in {minutes} minutes"
            )));
        }
    }
    let found = repo::find_login(state.db.pool(), &email).await?;
    let stored = found.as_ref().and_then(|(_, hash)| hash.as_deref());
    // Verify against a dummy hash for unknown emails, so timing does not tell.
    let matches = verify_password(password, stored.unwrap_or(dummy_hash())) && stored.is_some();
    let Some((user, _)) = found.filter(|_| matches) else {
        for (key, _, _) in &keys {
            repo::add_login_failure(state.db.pool(), key, now).await?;
        }
        audit(
            state,
            None,
            &email,
            ("login.failed", &email),
            json!({}),
            client,
        )
        .await?;
        tracing::warn!(%email, ip = ?client.ip, "failed sign-in");
        return Err(AppError::Unauthenticated("Wrong email or password".into()));
    };
    repo::clear_login_failures(state.db.pool(), &keys[0].0).await?;
    let (secret, hash) = new_secret(SESSION_PREFIX);
    let expires_at = now + SESSION_ABSOLUTE;
    let mut conn = state.db.pool().acquire().await?;
    repo::insert_session(
        &mut conn,
        &hash,
        user.id,
        (now, expires_at),
        (client.user_agent.as_deref(), client.ip.as_deref()),
    )
    .await?;
    audit(
        state,
        Some(&user),
        "",
        ("login", &user.email),
        json!({}),
        client,
    )
    .await?;
    if let Some(previous) = previous {
        sign_out(state, previous, client).await?;
    }
    Ok((user, NewSession { secret, expires_at }))
}

/// The user a session cookie belongs to, if the session is still alive. An expired
/// session is deleted on sight.
pub async fn session_user(state: &AppState, secret: &str) -> Result<Option<User>, AppError> {
    let hash = secret_hash(secret);
    let Some(session) = repo::find_session(state.db.pool(), &hash).await? else {
        return Ok(None);
    };
    let now = state.now();
    if now >= session.expires_at || now - session.last_seen_at >= SESSION_IDLE {
        repo::delete_session(state.db.pool(), &hash).await?;
        return Ok(None);
    }
    if now - session.last_seen_at >= TOUCH_EVERY {
        repo::touch_session(state.db.pool(), &hash, now).await?;
    }
    Ok(Some(session.user))
}

/// Ends one session.
pub async fn sign_out(state: &AppState, secret: &str, client: &Client) -> Result<(), AppError> {
    let user = session_user(state, secret).await?;
    repo::delete_session(state.db.pool(), &secret_hash(secret)).await?;
    if let Some(user) = user {
        audit(
            state,
            Some(&user),
            "",
            ("logout", &user.email),
            json!({}),
            client,
        )
        .await?;
    }
    Ok(())
}

/// Ends every session of the user (lost laptop, shared computer).
pub async fn sign_out_everywhere(
    state: &AppState,
    user: &User,
    client: &Client,
) -> Result<u64, AppError> {
    let ended = repo::delete_user_sessions(state.db.pool(), user.id).await?;
    audit(
        state,
        Some(user),
        "",
        ("logout.everywhere", &user.email),
        json!({"sessions": ended}),
        client,
    )
    .await?;
    Ok(ended)
}

/// Adds a person who can sign in, or updates the one with that email (name, role,
/// and password when given). `actor` is who did it, for the audit log.
pub async fn save_user(
    state: &AppState,
    (email, display_name): (&str, &str),
    role: UserRole,
    password: Option<&str>,
    actor: &str,
) -> Result<User, AppError> {
    let mut invalid = Invalid::default();
    let email = check_email("email", email, &mut invalid);
    let display_name = if display_name.trim().is_empty() {
        email.split('@').next().unwrap_or_default().to_owned()
    } else {
        check_name("display_name", display_name, &mut invalid)
    };
    if let Some(problem) = password.and_then(password_problem) {
        invalid.add("password", problem);
    }
    if !invalid.fields.is_empty() {
        return Err(AppError::Invalid(invalid));
    }
    let hash = password
        .map(hash_password)
        .transpose()
        .map_err(|e| AppError::internal("hash password", e))?;
    let mut conn = state.db.pool().acquire().await?;
    repo::save_user(
        &mut conn,
        &email,
        &display_name,
        role,
        hash.as_deref(),
        state.now(),
    )
    .await?;
    let (user, _) = repo::find_login(&mut *conn, &email)
        .await?
        .ok_or_else(|| AppError::internal("save user", "saved user not found"))?;
    audit(
        state,
        None,
        actor,
        ("user.saved", &email),
        json!({"role": role, "password_set": password.is_some()}),
        &Client::default(),
    )
    .await?;
    Ok(user)
}

/// How `user` wants times shown: in a zone they name, or their browser's. A named
/// zone that is not one is refused on `time_zone`; a browser zone nobody can read
/// (an odd system's) is ignored and the stored zone kept for server-written text.
pub async fn set_time_zone(
    state: &AppState,
    user: &User,
    setting: &ZoneSetting,
) -> Result<User, AppError> {
    let chosen = setting
        .time_zone
        .as_deref()
        .map(str::trim)
        .filter(|zone| !zone.is_empty());
    let (zone, from_browser) = match chosen {
        Some(zone) => match crate::clock::parse_zone(zone) {
            Ok(zone) => (zone.name().to_owned(), false),
            Err(problem) => {
                let mut invalid = Invalid::default();
                invalid.add("time_zone", problem);
                invalid.echo("time_zone", zone);
                return Err(AppError::Invalid(invalid));
            }
        },
        None => {
            let browser = setting
                .browser_zone
                .as_deref()
                .and_then(|zone| crate::clock::parse_zone(zone).ok());
            (
                browser.map_or_else(|| user.time_zone.clone(), |z| z.name().to_owned()),
                true,
            )
        }
    };
    let mut conn = state.db.pool().acquire().await?;
    repo::set_time_zone(&mut conn, user.id, &zone, from_browser).await?;
    Ok(User {
        time_zone: zone,
        zone_from_browser: from_browser,
        ..user.clone()
    })
}

/// Changes someone's role.
pub async fn set_role(
    state: &AppState,
    email: &str,
    role: UserRole,
    actor: &str,
) -> Result<(), AppError> {
    let email = email.trim().to_lowercase();
    let mut conn = state.db.pool().acquire().await?;
    if !repo::set_role(&mut conn, &email, role).await? {
        return Err(AppError::NotFound(format!("user {email}")));
    }
    audit(
        state,
        None,
        actor,
        ("user.role_changed", &email),
        json!({"role": role}),
        &Client::default(),
    )
    .await
}

/// Creates an API token acting as the user; returns its id and the secret, which is
/// shown this once and stored only as a hash.
pub async fn create_token(
    state: &AppState,
    email: &str,
    name: &str,
    actor: &str,
) -> Result<(i64, String), AppError> {
    let email = email.trim().to_lowercase();
    let mut invalid = Invalid::default();
    let name = check_name("name", name, &mut invalid);
    if !invalid.fields.is_empty() {
        return Err(AppError::Invalid(invalid));
    }
    let (user, _) = repo::find_login(state.db.pool(), &email)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("user {email}")))?;
    let (secret, hash) = new_secret(TOKEN_PREFIX);
    let mut conn = state.db.pool().acquire().await?;
    let id = repo::insert_token(&mut conn, user.id, &name, &hash, state.now()).await?;
    audit(
        state,
        None,
        actor,
        ("token.created", &email),
        json!({"token_id": id, "name": name}),
        &Client::default(),
    )
    .await?;
    Ok((id, secret))
}

/// Revokes a token: it stops working on the next request.
pub async fn revoke_token(state: &AppState, id: i64, actor: &str) -> Result<(), AppError> {
    let mut conn = state.db.pool().acquire().await?;
    if repo::revoke_token(&mut conn, id, state.now())
        .await?
        .is_none()
    {
        return Err(AppError::NotFound(format!("token {id}")));
    }
    audit(
        state,
        None,
        actor,
        ("token.revoked", &id.to_string()),
        json!({}),
        &Client::default(),
    )
    .await
}

/// The user a bearer token acts as; a revoked token is refused and its use audited.
pub async fn token_user(
    state: &AppState,
    secret: &str,
    client: &Client,
) -> Result<Option<User>, AppError> {
    let Some(token) = repo::find_token(state.db.pool(), &secret_hash(secret)).await? else {
        return Ok(None);
    };
    if token.revoked {
        audit(
            state,
            Some(&token.user),
            "",
            ("token.used_after_revoke", &token.id.to_string()),
            json!({"name": token.name}),
            client,
        )
        .await?;
        return Ok(None);
    }
    // Like sessions, at most once a minute: a write per request would queue every
    // API call behind the database's single writer.
    let now = state.now();
    if token
        .last_used_at
        .is_none_or(|used| now - used >= TOUCH_EVERY)
    {
        repo::touch_token(state.db.pool(), token.id, now).await?;
    }
    Ok(Some(token.user))
}

/// Who is making a request: the bearer token's user, else the session cookie's;
/// `None` when neither is valid.
pub async fn authenticate(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    client: &Client,
) -> Result<Option<User>, AppError> {
    use axum::http::header::{AUTHORIZATION, COOKIE};
    if let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "));
        // A bad token is refused even with a good cookie: the caller meant the token.
        return match token {
            Some(token) => token_user(state, token.trim(), client).await,
            None => Ok(None),
        };
    }
    match session_secret(headers.get_all(COOKIE)) {
        Some(secret) => session_user(state, &secret).await,
        None => Ok(None),
    }
}

/// The session secret among a request's cookies.
pub fn session_secret<'a>(
    cookies: impl IntoIterator<Item = &'a axum::http::HeaderValue>,
) -> Option<String> {
    cookies
        .into_iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == SESSION_COOKIE)
        .map(|c| c.value().to_owned())
}

/// The `Set-Cookie` value that starts a session in the browser: not readable by
/// scripts, not sent on cross-site subrequests or posts, HTTPS-only when configured.
pub fn session_cookie(session: &NewSession, secure: bool) -> String {
    let max_age = SESSION_ABSOLUTE.num_seconds();
    cookie::Cookie::build((SESSION_COOKIE, session.secret.clone()))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(max_age))
        .build()
        .to_string()
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn cleared_session_cookie(secure: bool) -> String {
    cookie::Cookie::build((SESSION_COOKIE, ""))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .secure(secure)
        .max_age(cookie::time::Duration::ZERO)
        .build()
        .to_string()
}

/// Creates the first admin with the one-time setup token, and signs them in. Refused
/// once anyone can sign in, and with a wrong token (compared in constant time).
pub async fn complete_setup(
    state: &AppState,
    token: &str,
    (email, display_name): (&str, &str),
    password: &str,
    client: &Client,
) -> Result<(User, NewSession), AppError> {
    let expected = state
        .setup_token
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let Some(expected) = expected else {
        return Err(AppError::Conflict(
            "This instance is set up already: sign in instead".into(),
        ));
    };
    if !matches_hash(token.trim(), &expected) {
        audit(
            state,
            None,
            email,
            ("setup.refused", email),
            json!({}),
            client,
        )
        .await?;
        let mut invalid = Invalid::default();
        invalid.add(
            "token",
            "This is not the setup token printed in the server's log",
        );
        return Err(AppError::Invalid(invalid));
    }
    if repo::count_sign_in_users(state.db.pool()).await? > 0 {
        return Err(AppError::Conflict(
            "This instance is set up already: sign in instead".into(),
        ));
    }
    let user = save_user(
        state,
        (email, display_name),
        UserRole::Admin,
        Some(password),
        "first-run setup",
    )
    .await?;
    *state.setup_token.lock().unwrap_or_else(|e| e.into_inner()) = None;
    audit(
        state,
        Some(&user),
        "",
        ("setup.first_admin", &user.email),
        json!({}),
        client,
    )
    .await?;
    let (user, session) = sign_in(state, (&user.email, password), None, client).await?;
    Ok((user, session))
}

/// Whether the instance still waits for its first admin.
pub fn needs_setup(state: &AppState) -> bool {
    state
        .setup_token
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .is_some()
}

/// Refuses unless the user's role permits `action`, naming the missing permission.
pub fn require(user: &User, action: super::model::Action) -> Result<(), AppError> {
    if user.role.permits(action) {
        Ok(())
    } else {
        Err(forbidden(user.role, action.as_str()))
    }
}

/// The refusal naming what the role lacks.
pub fn forbidden(role: super::model::UserRole, permission: &str) -> AppError {
    AppError::Forbidden(format!(
        "Your role ({role}) lacks the {permission} permission"
    ))
}

/// The tokens a user may see: their own, or everyone's for those who manage users.
pub async fn list_tokens(
    state: &AppState,
    user: &User,
) -> Result<Vec<super::model::ApiToken>, AppError> {
    use super::model::Action;
    require(user, Action::ManageOwnTokens)?;
    let whose = (!user.role.permits(Action::ManageUsers)).then_some(user.id);
    Ok(repo::list_tokens(state.db.pool(), whose).await?)
}

/// A new token for the signed-in user; the secret is returned this once.
pub async fn create_own_token(
    state: &AppState,
    user: &User,
    name: &str,
    client: &Client,
) -> Result<(i64, String), AppError> {
    require(user, super::model::Action::ManageOwnTokens)?;
    let mut invalid = Invalid::default();
    let name = check_name("name", name, &mut invalid);
    if !invalid.fields.is_empty() {
        return Err(AppError::Invalid(invalid));
    }
    let (secret, hash) = new_secret(TOKEN_PREFIX);
    let mut conn = state.db.pool().acquire().await?;
    let id = repo::insert_token(&mut conn, user.id, &name, &hash, state.now()).await?;
    audit(
        state,
        Some(user),
        "",
        ("token.created", &user.email),
        json!({"token_id": id, "name": name}),
        client,
    )
    .await?;
    Ok((id, secret))
}

/// Revokes one of the user's tokens (any token, for those who manage users).
pub async fn revoke_token_as(
    state: &AppState,
    user: &User,
    id: i64,
    client: &Client,
) -> Result<(), AppError> {
    use super::model::Action;
    require(user, Action::ManageOwnTokens)?;
    let owner = repo::token_owner(state.db.pool(), id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("token {id}")))?;
    if owner != user.id {
        require(user, Action::ManageUsers)?;
    }
    let mut conn = state.db.pool().acquire().await?;
    repo::revoke_token(&mut conn, id, state.now()).await?;
    audit(
        state,
        Some(user),
        "",
        ("token.revoked", &id.to_string()),
        json!({}),
        client,
    )
    .await
}
