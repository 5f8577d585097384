//! SQL for users' sign-in data, sessions, API tokens, failed sign-ins and the audit log.

use super::model::{ApiToken, AuditEntry, User, UserRole};
use crate::catalog::model::UserId;
use crate::db::{decode_error, from_millis, millis, optional_time};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row};

const USER_COLUMNS: &str =
    "u.id, u.email, u.display_name, u.role, u.time_zone, u.zone_from_browser";

fn user_from_row(row: &AnyRow) -> Result<User, sqlx::Error> {
    Ok(User {
        id: UserId(row.try_get("id")?),
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
        role: row
            .try_get::<String, _>("role")?
            .parse()
            .map_err(|e: String| decode_error("role", e))?,
        time_zone: row.try_get("time_zone")?,
        zone_from_browser: row.try_get::<i64, _>("zone_from_browser")? != 0,
    })
}

/// The user with this email and their password hash (absent when never set).
pub async fn find_login(
    ex: impl Executor<'_, Database = Any>,
    email: &str,
) -> Result<Option<(User, Option<String>)>, sqlx::Error> {
    let sql = format!("SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.email = $1");
    match sqlx::query(&sql).bind(email).fetch_optional(ex).await? {
        Some(row) => Ok(Some((user_from_row(&row)?, row.try_get("password_hash")?))),
        None => Ok(None),
    }
}

/// Creates the user, or updates the name, role and (when given) password of the
/// existing one with that email.
pub async fn save_user(
    conn: &mut AnyConnection,
    email: &str,
    display_name: &str,
    role: UserRole,
    password_hash: Option<&str>,
    at: DateTime<Utc>,
) -> Result<UserId, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO users (email, display_name, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (email) DO UPDATE SET display_name = excluded.display_name, role = excluded.role, \
           password_hash = COALESCE(excluded.password_hash, users.password_hash) \
         RETURNING id",
    )
    .bind(email)
    .bind(display_name)
    .bind(role.as_str())
    .bind(password_hash)
    .bind(millis(at))
    .fetch_one(conn)
    .await
    .map(UserId)
}

/// Sets the zone a user reads times in, and whether pages follow their browser's.
pub async fn set_time_zone(
    conn: &mut AnyConnection,
    user: UserId,
    time_zone: &str,
    zone_from_browser: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET time_zone = $2, zone_from_browser = $3 WHERE id = $1")
        .bind(user.0)
        .bind(time_zone)
        .bind(i64::from(zone_from_browser))
        .execute(conn)
        .await?;
    Ok(())
}

/// Changes a user's role; `false` when nobody has that email.
pub async fn set_role(
    conn: &mut AnyConnection,
    email: &str,
    role: UserRole,
) -> Result<bool, sqlx::Error> {
    let changed = sqlx::query("UPDATE users SET role = $2 WHERE email = $1")
        .bind(email)
        .bind(role.as_str())
        .execute(conn)
        .await?;
    Ok(changed.rows_affected() == 1)
}

/// How many people can sign in (have a password).
pub async fn count_sign_in_users(
    ex: impl Executor<'_, Database = Any>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE password_hash IS NOT NULL")
        .fetch_one(ex)
        .await
}

/// A session as stored.
pub struct StoredSession {
    pub user: User,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert_session(
    conn: &mut AnyConnection,
    token_hash: &str,
    user: UserId,
    (now, expires_at): (DateTime<Utc>, DateTime<Utc>),
    (user_agent, ip): (Option<&str>, Option<&str>),
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, user_agent, ip) \
         VALUES ($1, $2, $3, $3, $4, $5, $6)",
    )
    .bind(token_hash)
    .bind(user.0)
    .bind(millis(now))
    .bind(millis(expires_at))
    .bind(user_agent)
    .bind(ip)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find_session(
    ex: impl Executor<'_, Database = Any>,
    token_hash: &str,
) -> Result<Option<StoredSession>, sqlx::Error> {
    let sql = format!(
        "SELECT {USER_COLUMNS}, s.last_seen_at, s.expires_at FROM sessions s \
         JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1"
    );
    let Some(row) = sqlx::query(&sql)
        .bind(token_hash)
        .fetch_optional(ex)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(StoredSession {
        user: user_from_row(&row)?,
        last_seen_at: from_millis("last_seen_at", row.try_get("last_seen_at")?)?,
        expires_at: from_millis("expires_at", row.try_get("expires_at")?)?,
    }))
}

pub async fn touch_session(
    ex: impl Executor<'_, Database = Any>,
    token_hash: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1")
        .bind(token_hash)
        .bind(millis(at))
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn delete_session(
    ex: impl Executor<'_, Database = Any>,
    token_hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(ex)
        .await?;
    Ok(())
}

/// Ends every session of a user; returns how many there were.
pub async fn delete_user_sessions(
    ex: impl Executor<'_, Database = Any>,
    user: UserId,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user.0)
        .execute(ex)
        .await?
        .rows_affected())
}

pub async fn insert_token(
    conn: &mut AnyConnection,
    user: UserId,
    name: &str,
    token_hash: &str,
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(user.0)
    .bind(name)
    .bind(token_hash)
    .bind(millis(at))
    .fetch_one(conn)
    .await
}

/// A token's owner, id, name and whether it was revoked.
pub struct StoredToken {
    pub id: i64,
    pub name: String,
    pub user: User,
    pub revoked: bool,
    pub last_used_at: Option<DateTime<Utc>>,
}

pub async fn find_token(
    ex: impl Executor<'_, Database = Any>,
    token_hash: &str,
) -> Result<Option<StoredToken>, sqlx::Error> {
    let sql = format!(
        "SELECT {USER_COLUMNS}, t.id AS token_id, t.name AS token_name, t.revoked_at, t.last_used_at FROM api_tokens t \
         JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1"
    );
    let Some(row) = sqlx::query(&sql)
        .bind(token_hash)
        .fetch_optional(ex)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(StoredToken {
        id: row.try_get("token_id")?,
        name: row.try_get("token_name")?,
        user: user_from_row(&row)?,
        revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
        last_used_at: optional_time(&row, "last_used_at")?,
    }))
}

pub async fn touch_token(
    ex: impl Executor<'_, Database = Any>,
    id: i64,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
        .bind(id)
        .bind(millis(at))
        .execute(ex)
        .await?;
    Ok(())
}

/// Revokes a token; `None` when there is no such token, else its owner's id.
pub async fn revoke_token(
    conn: &mut AnyConnection,
    id: i64,
    at: DateTime<Utc>,
) -> Result<Option<UserId>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING user_id",
    )
    .bind(id)
    .bind(millis(at))
    .fetch_optional(conn)
    .await
    .map(|user| user.map(UserId))
}

/// Tokens, newest first: one user's, or everyone's.
pub async fn list_tokens(
    ex: impl Executor<'_, Database = Any>,
    user: Option<UserId>,
) -> Result<Vec<ApiToken>, sqlx::Error> {
    sqlx::query(
        "SELECT t.id, t.name, u.email, t.created_at, t.last_used_at, t.revoked_at \
         FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE ($1 IS NULL OR t.user_id = $1) ORDER BY t.id DESC",
    )
    .bind(user.map(|u| u.0))
    .fetch_all(ex)
    .await?
    .iter()
    .map(|row| {
        Ok(ApiToken {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            user: row.try_get("email")?,
            created_at: from_millis("created_at", row.try_get("created_at")?)?,
            last_used_at: optional_time(row, "last_used_at")?,
            revoked_at: optional_time(row, "revoked_at")?,
        })
    })
    .collect()
}

/// The owner of a token, if the token exists.
pub async fn token_owner(
    ex: impl Executor<'_, Database = Any>,
    id: i64,
) -> Result<Option<UserId>, sqlx::Error> {
    sqlx::query_scalar("SELECT user_id FROM api_tokens WHERE id = $1")
        .bind(id)
        .fetch_optional(ex)
        .await
        .map(|owner| owner.map(UserId))
}

pub async fn add_login_failure(
    ex: impl Executor<'_, Database = Any>,
    key: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO login_failures (key, at) VALUES ($1, $2)")
        .bind(key)
        .bind(millis(at))
        .execute(ex)
        .await?;
    Ok(())
}

/// Failures under `key` since `since`, and the oldest of them.
pub async fn login_failures_since(
    ex: impl Executor<'_, Database = Any>,
    key: &str,
    since: DateTime<Utc>,
) -> Result<(i64, Option<DateTime<Utc>>), sqlx::Error> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS failures, MIN(at) AS oldest FROM login_failures WHERE key = $1 AND at > $2",
    )
    .bind(key)
    .bind(millis(since))
    .fetch_one(ex)
    .await?;
    Ok((row.try_get("failures")?, optional_time(&row, "oldest")?))
}

pub async fn clear_login_failures(
    ex: impl Executor<'_, Database = Any>,
    key: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_failures WHERE key = $1")
        .bind(key)
        .execute(ex)
        .await?;
    Ok(())
}

/// One audit record to append.
pub struct AuditRecord<'a> {
    pub actor: Option<&'a User>,
    /// Who, when there is no signed-in user (e.g. the email tried, "operator (CLI)").
    pub actor_label: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub detail: serde_json::Value,
    pub ip: Option<&'a str>,
    pub at: DateTime<Utc>,
}

pub async fn append_audit(
    ex: impl Executor<'_, Database = Any>,
    record: &AuditRecord<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor_user_id, actor, action, target, detail, ip) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(millis(record.at))
    .bind(record.actor.map(|u| u.id.0))
    .bind(
        record
            .actor
            .map_or(record.actor_label, |u| u.email.as_str()),
    )
    .bind(record.action)
    .bind(record.target)
    .bind(record.detail.to_string())
    .bind(record.ip)
    .execute(ex)
    .await?;
    Ok(())
}

/// The newest audit records, optionally of one action (prefix, e.g. "login").
pub async fn list_audit(
    ex: impl Executor<'_, Database = Any>,
    action_prefix: Option<&str>,
    limit: i64,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    sqlx::query(
        "SELECT at, actor, action, target, detail, ip FROM audit_log \
         WHERE ($1 IS NULL OR action LIKE $1) ORDER BY at DESC, id DESC LIMIT $2",
    )
    .bind(action_prefix.map(|p| format!("{p}%")))
    .bind(limit)
    .fetch_all(ex)
    .await?
    .iter()
    .map(|row| {
        let detail: String = row.try_get("detail")?;
        Ok(AuditEntry {
            at: from_millis("at", row.try_get("at")?)?,
            actor: row.try_get("actor")?,
            action: row.try_get("action")?,
            target: row.try_get("target")?,
            detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
            ip: row.try_get("ip")?,
        })
    })
    .collect()
}
