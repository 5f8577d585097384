//! Every server function's error answered with its own status. The server_fn
//! framework answers an error 500 unless the function set a status itself, and
//! errors made before our code runs (a form or body that cannot be read as the
//! arguments) never get one: their `AppError` body says what the status is.

use app::error::AppError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;

/// An error body can quote the request it refuses (a framework error names the form
/// it could not read), and requests are at most `MAX_BODY_BYTES`.
const ERROR_BODY_MAX: usize = 2 * crate::MAX_BODY_BYTES;

pub async fn status_from_error(request: Request, next: Next) -> Response {
    let is_server_fn = request.uri().path().starts_with("/api/fn/");
    let response = next.run(request).await;
    if !is_server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, ERROR_BODY_MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(err) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = err.status();
    }
    Response::from_parts(parts, Body::from(bytes))
}
