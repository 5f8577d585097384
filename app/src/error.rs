//! `AppError`: the one error type that crosses the wire between server and browser.

use leptos::server_fn::{codec::JsonEncoding, error::FromServerFnError, error::ServerFnErrorErr};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything a server function or REST handler can report to a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The input was rejected; nothing was written.
    #[error("{0}")]
    Invalid(Invalid),
    /// The named thing does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The request contradicts what is stored (e.g. an idempotency key reused for
    /// different content).
    #[error("{0}")]
    Conflict(String),
    /// Not signed in, or the credentials are wrong.
    #[error("{0}")]
    Unauthenticated(String),
    /// Signed in, but the role does not allow this action.
    #[error("{0}")]
    Forbidden(String),
    /// Too many attempts; try again later.
    #[error("{0}")]
    Throttled(String),
    /// A server-side failure; details are in the server log under `request_id`.
    #[error("something went wrong on the server (request {request_id})")]
    Internal { request_id: String },
    /// The database cannot take the request right now (unreachable, restarting, out
    /// of disk); nothing was stored and the same request may be sent again.
    #[error("{0}")]
    Unavailable(String),
    /// The request never reached our code, or its answer could not be read.
    #[error("{0}")]
    Transport(String),
}

/// Field-level validation errors, plus the submitted values so a form re-rendered
/// without JavaScript can show what the user typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invalid {
    /// field name → what is wrong with it
    pub fields: BTreeMap<String, String>,
    /// field name → the value as submitted (omitted when too large to echo)
    pub input: BTreeMap<String, String>,
}

/// Values longer than this are not echoed back: the no-JavaScript path carries
/// them in a redirect URL.
const ECHO_MAX_BYTES: usize = 8 * 1024;

impl Invalid {
    /// Records a problem with `field`.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.fields.insert(field.to_owned(), message.into());
    }

    /// Records what was submitted for `field`, so it can be shown again.
    pub fn echo(&mut self, field: &str, value: &str) {
        if value.len() <= ECHO_MAX_BYTES {
            self.input.insert(field.to_owned(), value.to_owned());
        }
    }

    /// The problem with `field`, if any.
    pub fn field(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(String::as_str)
    }

    /// The submitted value of `field`, if it was echoed.
    pub fn input(&self, field: &str) -> Option<&str> {
        self.input.get(field).map(String::as_str)
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("invalid input")?;
        for (i, (field, message)) in self.fields.iter().enumerate() {
            f.write_str(if i == 0 { ": " } else { "; " })?;
            write!(f, "{field}: {message}")?;
        }
        Ok(())
    }
}

impl AppError {
    /// The validation details when this is a validation error.
    pub fn invalid(&self) -> Option<&Invalid> {
        match self {
            AppError::Invalid(invalid) => Some(invalid),
            _ => None,
        }
    }

    /// Whether sending the same request again later can succeed: it never reached
    /// the server, or the database could not take it. Nothing was stored either way.
    pub fn is_retryable(&self) -> bool {
        matches!(self, AppError::Transport(_) | AppError::Unavailable(_))
    }

    /// A refusal with what was typed into `fields` echoed back, so a form drawn
    /// again from it keeps the text; any other error as it is.
    pub fn echoing(self, fields: &[(&str, &str)]) -> AppError {
        match self {
            AppError::Invalid(mut invalid) => {
                for (field, value) in fields {
                    invalid.echo(field, value);
                }
                AppError::Invalid(invalid)
            }
            other => other,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
impl AppError {
    /// Logs an internal failure with context and returns the short error users see.
    pub fn internal(context: &str, err: impl std::fmt::Display) -> Self {
        let request_id = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
        tracing::error!(%request_id, "{context}: {err}");
        AppError::Internal { request_id }
    }

    /// The HTTP status this error maps to.
    pub fn status(&self) -> axum::http::StatusCode {
        use axum::http::StatusCode;
        match self {
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Transport(_) => StatusCode::BAD_REQUEST,
        }
    }
}

/// Gives an error response its proper status code, except for plain form posts:
/// those must stay redirects so the browser returns to the form.
#[cfg(feature = "ssr")]
pub fn set_error_status(err: &AppError) {
    use axum::http::{header::ACCEPT, request::Parts};
    use leptos::prelude::use_context;
    let plain_form_post = use_context::<Parts>()
        .and_then(|parts| parts.headers.get(ACCEPT).cloned())
        .and_then(|accept| accept.to_str().map(|a| a.contains("text/html")).ok())
        .unwrap_or(false);
    if let (false, Some(response)) = (
        plain_form_post,
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        response.set_status(err.status());
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        match unavailable_because(&err) {
            Some(why) => {
                tracing::warn!("database unavailable: {err}");
                AppError::Unavailable(format!("{why}; nothing was stored. Try again shortly."))
            }
            None => AppError::internal("database", err),
        }
    }
}

/// Why the database could not take a request, when that is a passing condition
/// (the server stays up and the next try can succeed) rather than a bug.
#[cfg(feature = "ssr")]
fn unavailable_because(err: &sqlx::Error) -> Option<&'static str> {
    use sqlx::Error;
    match err {
        Error::Io(_)
        | Error::Tls(_)
        | Error::PoolTimedOut
        | Error::PoolClosed
        | Error::WorkerCrashed => Some("the database is unreachable"),
        Error::Database(db) => {
            let code = db.code()?;
            // PostgreSQL: class 08 is a lost connection; 57P01-03 a server shutting
            // down, crashed or still starting.
            if code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03") {
                return Some("the database is unreachable");
            }
            if code == "53100" {
                return Some("the database's disk is full");
            }
            // SQLite: the primary result code is the low byte of the extended one.
            match code.parse::<i32>().ok()? & 0xff {
                5 | 6 => Some("the database is busy"),
                8 => Some("the database is read-only"),
                10 => Some("the database cannot write to its disk"),
                13 => Some("the database's disk is full"),
                14 => Some("the database file cannot be opened"),
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_display_names_every_field() {
        let mut invalid = Invalid::default();
        invalid.add("title", "is required");
        invalid.add("severity", "must be P1, P2 or P3");
        assert_eq!(
            invalid.to_string(),
            "invalid input: severity: must be P1, P2 or P3; title: is required"
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn a_database_out_of_reach_is_unavailable_and_a_bug_is_internal() {
        let lost = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        for passing in [sqlx::Error::Io(lost), sqlx::Error::PoolTimedOut] {
            let err = AppError::from(passing);
            assert!(err.is_retryable(), "{err:?}");
            assert_eq!(err.status(), axum::http::StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(
                err.to_string(),
                "the database is unreachable; nothing was stored. Try again shortly."
            );
        }
        let bug = AppError::from(sqlx::Error::RowNotFound);
        assert!(matches!(bug, AppError::Internal { .. }), "{bug:?}");
        assert!(!bug.is_retryable());
    }

    #[test]
    fn large_values_are_not_echoed() {
        let mut invalid = Invalid::default();
        invalid.echo("small", "abc");
        invalid.echo("big", &"x".repeat(ECHO_MAX_BYTES + 1));
        assert_eq!(invalid.input("small"), Some("abc"));
        assert_eq!(invalid.input("big"), None);
    }
}
