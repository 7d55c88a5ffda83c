//! Reading values the way MISP's clients send them: numbers as strings or
//! floats, booleans as 0/1/"0"/"1", lists as newline-separated strings.
//! Used by every request body and by event-file import.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

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
}
