//! MISP's wire conventions for values: what clients send (numbers as strings
//! or floats, booleans as 0/1/"0"/"1") and what MISP emits (integer columns
//! as JSON strings, flags as real booleans).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde::Serializer;
use serde_json::Value;

pub use cydef_model::flex::*;

use crate::error::ApiError;

/// MISP's message for a body that is not JSON. (MISP answers it with 405; we
/// answer 400, which is what the status means.)
pub const INVALID_JSON: &str = "Invalid JSON input. Make sure that the JSON input is a correctly formatted JSON string. This request has been blocked to avoid an unfiltered request.";

/// Serialises an integer as a JSON string, as MISP emits integer columns.
pub fn int_str<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// Serialises an optional integer as a JSON string or `null`.
pub fn opt_int_str<S: Serializer>(v: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

/// A request body that MISP would accept: bare, wrapped in its model name
/// (`{"User": {…}}`) or in `{"request": {…}}`; sent with or without a
/// `Content-Type`. An empty body reads as `{}`; a body that is not JSON is a
/// 400, never an empty request.
pub trait Wrapped {
    /// The model name MISP wraps this body in.
    const WRAPPER: &'static str;
}

pub struct MispJson<T>(pub T);

/// Largest request body accepted where whole events travel (event,
/// attribute and object adds).
pub const BODY_LIMIT: usize = 256 * 1024 * 1024;

/// Largest request body accepted everywhere else (logins, users, keys…).
/// Small, because a JSON tree costs many times its text in memory and some
/// of these routes read the body before knowing who is calling.
pub const SMALL_BODY_LIMIT: usize = 1024 * 1024;

/// MISP's databases cannot hold NUL characters (PostgreSQL refuses them), so
/// a body carrying one is refused up front, the same on every backend.
pub const NUL_REFUSED: &str = "NUL characters (\\u0000) are not accepted.";

/// Whether a JSON text contains an escaped NUL (`\u0000`) inside a string.
/// Raw NUL bytes are not valid JSON and fail parsing anyway.
pub fn has_nul_escape(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            if bytes.get(i + 1) == Some(&b'u')
                && bytes.get(i + 2..i + 6) == Some(b"0000".as_slice())
            {
                return true;
            }
            // Skip the escaped character, so `\\u0000` (a backslash, then
            // text) is not taken for a NUL.
            i += 2;
            continue;
        }
        i += 1;
    }
    false
}

/// Parses JSON text, refusing escaped NULs: the one entry point for request
/// bodies parsed as a tree.
pub fn json_value(bytes: &[u8]) -> Result<Value, ApiError> {
    if has_nul_escape(bytes) {
        return Err(ApiError::bad_request(NUL_REFUSED));
    }
    serde_json::from_slice(bytes).map_err(|_| ApiError::bad_request(INVALID_JSON))
}

/// Parses and unwraps a MISP body; shared by [`MispJson`] and handlers that
/// need the raw value.
pub fn parse_body(bytes: &[u8], wrapper: &str) -> Result<Value, ApiError> {
    let trimmed = bytes.trim_ascii();
    if trimmed.is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    Ok(unwrap_body(json_value(trimmed)?, wrapper))
}

fn unwrap_body(value: Value, wrapper: &str) -> Value {
    match value {
        Value::Object(mut map) if map.len() == 1 => {
            for key in [wrapper, "request"] {
                if map.get(key).is_some_and(Value::is_object) {
                    if let Some(inner) = map.remove(key) {
                        return unwrap_body(inner, wrapper);
                    }
                }
            }
            Value::Object(map)
        }
        other => other,
    }
}

impl<T: DeserializeOwned + Wrapped + 'static> FromRequest for MispJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = bytes.await.map_err(|e| {
                ApiError::bad_request(format!("Could not read the request body: {e}"))
            })?;
            let value = parse_body(&bytes, T::WRAPPER)?;
            if !value.is_object() {
                return Err(ApiError::bad_request(format!(
                    "Expected a JSON object (optionally wrapped in {{\"{}\": …}}).",
                    T::WRAPPER
                )));
            }
            serde_json::from_value(value)
                .map(MispJson)
                .map_err(|e| ApiError::bad_request(format!("Invalid request: {e}")))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_escaped_nuls_only() {
        assert!(has_nul_escape(br#"{"a": "x\u0000y"}"#));
        assert!(!has_nul_escape(br#"{"a": "x\\u0000y"}"#));
        assert!(!has_nul_escape(br#"{"a": "\u00e9"}"#));
        assert!(parse_body(br#"{"name": "a\u0000b"}"#, "X").is_err());
    }

    #[test]
    fn unwraps_bodies() {
        let v = parse_body(br#"{"User": {"email": "a@b.c"}}"#, "User").expect("json");
        assert_eq!(v, json!({"email": "a@b.c"}));
        let v = parse_body(br#"{"request": {"User": {"email": "a@b.c"}}}"#, "User").expect("json");
        assert_eq!(v, json!({"email": "a@b.c"}));
        let v = parse_body(br#"{"email": "a@b.c"}"#, "User").expect("json");
        assert_eq!(v, json!({"email": "a@b.c"}));
        assert_eq!(parse_body(b"  ", "User").expect("empty"), json!({}));
        assert!(parse_body(b"{not json", "User").is_err());
    }
}
