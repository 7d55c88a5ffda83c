//! MISP's wire conventions for values: what clients send (numbers as strings
//! or floats, booleans as 0/1/"0"/"1") and what MISP emits (integer columns
//! as JSON strings, flags as real booleans).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serializer};
use serde_json::Value;

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

/// Reads a flag the way MISP's clients send it: `true`/`false`, `0`/`1`,
/// `"0"`/`"1"`, `"true"`/`"false"`; `null` or `""` is absent.
pub fn flex_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let v = Value::deserialize(d)?;
    value_to_bool(&v).map_err(serde::de::Error::custom)
}

pub fn value_to_bool(v: &Value) -> Result<Option<bool>, String> {
    Ok(match v {
        Value::Null => None,
        Value::Bool(b) => Some(*b),
        Value::Number(n) => Some(n.as_f64().is_some_and(|f| f != 0.0)),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "" => None,
            "1" | "true" | "on" | "yes" => Some(true),
            "0" | "false" | "off" | "no" => Some(false),
            other => return Err(format!("'{other}' is not a boolean")),
        },
        _ => return Err("expected a boolean".to_owned()),
    })
}

/// Reads an integer sent as a number, a float with no fraction, or a numeric
/// string; `null` or `""` is absent.
pub fn flex_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = Value::deserialize(d)?;
    value_to_i64(&v).map_err(serde::de::Error::custom)
}

pub fn value_to_i64(v: &Value) -> Result<Option<i64>, String> {
    let parse_f = |f: f64| {
        if f.fract() == 0.0 && f.abs() < 9.0e15 {
            Ok(Some(f as i64))
        } else {
            Err(format!("{f} is not a whole number"))
        }
    };
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Ok(Some(i)),
            None => parse_f(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => match s.trim().parse::<i64>() {
            Ok(i) => Ok(Some(i)),
            Err(_) => s
                .trim()
                .parse::<f64>()
                .map_err(|_| format!("'{s}' is not a number"))
                .and_then(parse_f),
        },
        Value::Bool(b) => Ok(Some(i64::from(*b))),
        _ => Err("expected a number".to_owned()),
    }
}

/// Reads a text field that clients sometimes send as a number; `null` is absent.
pub fn flex_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Value::deserialize(d)?;
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        _ => Err(serde::de::Error::custom("expected a string")),
    }
}

/// Reads a list of strings sent as a JSON list or as one string separated by
/// newlines or commas (as MISP's forms post them).
pub fn flex_string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    let v = Value::deserialize(d)?;
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(
            s.split(['\n', ','])
                .map(|x| x.trim().to_owned())
                .filter(|x| !x.is_empty())
                .collect(),
        )),
        Value::Array(items) => items
            .into_iter()
            .map(|i| match i {
                Value::String(s) => Ok(s),
                other => Err(serde::de::Error::custom(format!(
                    "expected a list of strings, found {other}"
                ))),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        _ => Err(serde::de::Error::custom("expected a list of strings")),
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

/// Largest request body accepted.
pub const BODY_LIMIT: usize = 256 * 1024 * 1024;

/// Parses and unwraps a MISP body; shared by [`MispJson`] and handlers that
/// need the raw value.
pub fn parse_body(bytes: &[u8], wrapper: &str) -> Result<Value, ApiError> {
    let trimmed = bytes.trim_ascii();
    if trimmed.is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    let value: Value =
        serde_json::from_slice(trimmed).map_err(|_| ApiError::bad_request(INVALID_JSON))?;
    Ok(unwrap_body(value, wrapper))
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
    fn flexible_values() {
        assert_eq!(value_to_bool(&json!("1")), Ok(Some(true)));
        assert_eq!(value_to_bool(&json!(0)), Ok(Some(false)));
        assert_eq!(value_to_bool(&json!("false")), Ok(Some(false)));
        assert_eq!(value_to_bool(&json!(null)), Ok(None));
        assert!(value_to_bool(&json!("maybe")).is_err());
        assert_eq!(value_to_i64(&json!("12")), Ok(Some(12)));
        assert_eq!(value_to_i64(&json!(12.0)), Ok(Some(12)));
        assert_eq!(value_to_i64(&json!("3.0")), Ok(Some(3)));
        assert!(value_to_i64(&json!(1.5)).is_err());
        assert!(value_to_i64(&json!("abc")).is_err());
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
