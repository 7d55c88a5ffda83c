//! The one HTTP error type. It owns status codes and MISP's JSON envelopes;
//! lower layers convert into it, and internal causes are logged, never echoed.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use cydef_store::StoreError;
use serde_json::{json, Map, Value};

use crate::request_url;

/// MISP's authentication failure message.
pub const AUTH_FAILED: &str = "Authentication failed. Please make sure you pass the API key of an API enabled user along in the Authorization header.";
/// MISP's answer to a disabled account.
pub const ACCOUNT_DISABLED: &str = "Authentication failed. Your user account has been disabled.";
/// MISP's answer when a user may not change an event's attributes, objects
/// or tags (PyMISP falls back to a proposal on exactly this text).
pub const NOT_PERMITTED: &str = "You do not have permission to do that.";
/// MISP's answer when the role lacks a permission.
pub const NO_PERMISSION: &str = "You do not have permission to use this functionality.";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 404 `{"name","message","url"}`, e.g. `Invalid organisation`.
    #[error("{0}")]
    NotFound(String),
    /// 403 `{"name","message","url"}`.
    #[error("{0}")]
    Forbidden(String),
    /// 400 `{"name","message","url"}`.
    #[error("{0}")]
    BadRequest(String),
    /// 405 `{"name","message","url"}`.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// 403 `{"saved": false, "name", "message", "url", "errors"[, "id"]}`: a save
    /// that failed validation, as MISP's `saveFailResponse`.
    #[error("{message}")]
    SaveFailed {
        message: String,
        errors: Value,
        id: Option<i64>,
    },
    /// 404 with a `Location` header naming the existing entity, MISP's answer
    /// to adding an event whose UUID exists.
    #[error("{message}")]
    AlreadyExists { message: String, location: String },
    /// 500 with MISP's generic message; the cause is logged.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn not_found(msg: impl Into<String>) -> Self {
        Self::NotFound(msg.into())
    }

    pub fn forbidden(msg: impl Into<String>) -> Self {
        Self::Forbidden(msg.into())
    }

    pub fn bad_request(msg: impl Into<String>) -> Self {
        Self::BadRequest(msg.into())
    }

    /// A failed save with field errors `{"field": ["message"]}`.
    pub fn save_failed(
        message: impl Into<String>,
        fields: &[(&str, String)],
        id: Option<i64>,
    ) -> Self {
        let mut errors = Map::new();
        for (field, msg) in fields {
            let entry = errors
                .entry((*field).to_owned())
                .or_insert_with(|| Value::Array(vec![]));
            if let Value::Array(list) = entry {
                list.push(Value::String(msg.clone()));
            }
        }
        Self::SaveFailed {
            message: message.into(),
            errors: Value::Object(errors),
            id,
        }
    }

    /// A failed save whose `errors` is any JSON value (MISP sometimes sends a
    /// list or a string).
    pub fn save_failed_with(message: impl Into<String>, errors: Value, id: Option<i64>) -> Self {
        Self::SaveFailed {
            message: message.into(),
            errors,
            id,
        }
    }

    /// Maps a store error for an entity: `NotFound` becomes the given MISP 404
    /// message, anything unexpected a 500.
    pub fn from_store(e: StoreError, not_found: &str) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound(not_found.to_owned()),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound("Not Found".to_owned()),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound(_) | Self::AlreadyExists { .. } => StatusCode::NOT_FOUND,
            Self::Forbidden(_) | Self::SaveFailed { .. } => StatusCode::FORBIDDEN,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let url = request_url();
        let body = match self {
            Self::SaveFailed {
                message,
                errors,
                id,
            } => {
                let mut body = json!({
                    "saved": false,
                    "name": message,
                    "message": message,
                    "url": url,
                    "errors": errors,
                });
                if let (Some(id), Some(obj)) = (id, body.as_object_mut()) {
                    obj.insert("id".into(), Value::String(id.to_string()));
                }
                body
            }
            Self::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                message_body("An Internal Error Has Occurred.", &url)
            }
            Self::NotFound(m)
            | Self::Forbidden(m)
            | Self::BadRequest(m)
            | Self::MethodNotAllowed(m)
            | Self::AlreadyExists { message: m, .. } => message_body(m, &url),
        };
        let mut response = HttpResponse::build(self.status_code());
        if let Self::AlreadyExists { location, .. } = self {
            response.insert_header((actix_web::http::header::LOCATION, location.as_str()));
        }
        response.json(body)
    }
}

/// MISP's exception body.
pub fn message_body(message: &str, url: &str) -> Value {
    json!({"name": message, "message": message, "url": url})
}

/// MISP's `saveSuccessResponse` body.
pub fn success_body(message: &str, id: Option<i64>) -> Value {
    let mut body = json!({
        "saved": true,
        "success": true,
        "name": message,
        "message": message,
        "url": request_url(),
    });
    if let (Some(id), Some(obj)) = (id, body.as_object_mut()) {
        obj.insert("id".into(), Value::String(id.to_string()));
    }
    body
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Middleware: an error answer that is not JSON (actix's own, e.g. a body
/// over the size limit or a malformed header) becomes MISP's error body with
/// the same status, so that every error a client sees has one shape.
pub async fn json_errors(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<
    actix_web::dev::ServiceResponse<actix_web::body::EitherBody<impl actix_web::body::MessageBody>>,
    actix_web::Error,
> {
    use actix_web::body::BodySize;
    let res = next.call(req).await?;
    let status = res.status();
    let is_json = res
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let has_body = !matches!(
        res.response().body().size(),
        BodySize::None | BodySize::Sized(0)
    );
    if !(status.is_client_error() || status.is_server_error()) || is_json || !has_body {
        return Ok(res.map_into_left_body());
    }
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "The request body is too large.",
        StatusCode::INTERNAL_SERVER_ERROR => "An Internal Error Has Occurred.",
        other => other.canonical_reason().unwrap_or("Error"),
    };
    let request = res.request().clone();
    let replaced = HttpResponse::build(status).json(message_body(message, &request_url()));
    Ok(actix_web::dev::ServiceResponse::new(request, replaced).map_into_right_body())
}
