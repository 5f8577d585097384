//! JSON errors for the REST API: `{"error": {"code", "message", "fields"?}}` with a 4xx/5xx status.

use app::error::AppError;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

/// The body of every failing response (documentation of what `ApiError` writes).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct ErrorDetail {
    /// Machine-readable: invalid, not_found, conflict, bad_request, too_large, internal, …
    code: String,
    /// For people.
    message: String,
    /// For `invalid`: field name → what is wrong with it.
    fields: Option<std::collections::BTreeMap<String, String>>,
    /// For `internal`: quote it to the operator, who finds it in the log.
    request_id: Option<String>,
}

/// An error as the API reports it.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: Value,
}

impl ApiError {
    fn new(status: StatusCode, code: &str, message: String) -> Self {
        ApiError {
            status,
            body: json!({ "error": { "code": code, "message": message } }),
        }
    }
}

impl ApiError {
    /// A body the route cannot take in this format.
    pub fn unsupported_media_type(message: &str) -> Self {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            message.to_owned(),
        )
    }

    /// Any status with its code and message (routes whose errors are not `AppError`s).
    pub fn with_status(status: StatusCode, code: &str, message: String) -> Self {
        ApiError::new(status, code, message)
    }

    /// An extractor's rejection (e.g. the body is too large), as a JSON error.
    pub fn from_rejection(status: StatusCode, message: String) -> Self {
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "too_large"
        } else {
            "bad_request"
        };
        ApiError::new(status, code, message)
    }
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        let message = err.to_string();
        let status = err.status();
        match err {
            AppError::Invalid(invalid) => ApiError {
                status,
                body: json!({ "error": { "code": "invalid", "message": message, "fields": invalid.fields } }),
            },
            AppError::NotFound(_) => ApiError::new(status, "not_found", message),
            AppError::Conflict(_) => ApiError::new(status, "conflict", message),
            AppError::Unauthenticated(_) => ApiError::new(status, "unauthenticated", message),
            AppError::Forbidden(_) => ApiError::new(status, "forbidden", message),
            AppError::Throttled(_) => ApiError::new(status, "throttled", message),
            AppError::Internal { request_id } => ApiError {
                status,
                body: json!({ "error": { "code": "internal", "message": message, "request_id": request_id } }),
            },
            AppError::Unavailable(_) => ApiError::new(status, "unavailable", message),
            AppError::Transport(_) => ApiError::new(status, "bad_request", message),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

/// `Json<T>` whose rejections (malformed JSON, wrong types, unknown fields, wrong
/// content type) are API errors naming the problem. A number with a zero fraction
/// (`3.0`) is the integer it equals, as JSON Schema counts it; and a body documented
/// as an object must be one (serde would also read a struct from an array).
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned + utoipa::PartialSchema,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(mut value) = Json::<Value>::from_request(req, state)
            .await
            .map_err(json_rejection)?;
        // The schema is built only for a body that is not an object (rare), not per request.
        let wants_object = || {
            matches!(
                T::schema(),
                utoipa::openapi::RefOr::T(utoipa::openapi::Schema::Object(_))
            )
        };
        if !value.is_object() && wants_object() {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "The body must be a JSON object".into(),
            ));
        }
        whole_numbers_as_integers(&mut value);
        serde_json::from_value(value).map(ApiJson).map_err(|err| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!("Failed to deserialize the JSON body into the target type: {err}"),
            )
        })
    }
}

/// `3.0` → `3`, wherever it is in the value (only within i64's range).
fn whole_numbers_as_integers(value: &mut Value) {
    match value {
        Value::Number(number) if number.is_f64() => {
            if let Some(f) = number.as_f64() {
                if f.fract() == 0.0 && f.abs() < 9.2e18 {
                    *value = Value::from(f as i64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

/// `Path<T>` whose rejection (e.g. an id too large for a number) is a JSON 404:
/// nothing has that id.
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| ApiPath(value))
            .map_err(|rejection| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    format!(
                        "Nothing is at {}: {}",
                        parts.uri.path(),
                        rejection.body_text()
                    ),
                )
            })
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    let (status, code) = match &rejection {
        JsonRejection::JsonDataError(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
        JsonRejection::MissingJsonContentType(_) => {
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
        }
        JsonRejection::BytesRejection(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        _ => (StatusCode::BAD_REQUEST, "malformed_json"),
    };
    ApiError::new(status, code, rejection.body_text())
}

/// `Query<T>` whose rejections are API errors.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| ApiQuery(value))
            .map_err(|rejection: QueryRejection| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    rejection.body_text(),
                )
            })
    }
}
