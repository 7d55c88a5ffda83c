//! Times in search filters: epoch seconds, ISO 8601 dates and date-times,
//! MISP's relative form (`7d`, `12h`, `30m`, `45s`, `2w`: that long before
//! now), and two-element ranges.

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime};

use super::SearchError;

/// An inclusive range of epoch seconds; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    pub from: Option<i64>,
    pub to: Option<i64>,
}

impl TimeRange {
    pub fn is_empty(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }

    /// Narrows the lower bound to at least `from`.
    pub fn at_least(&mut self, from: i64) {
        self.from = Some(self.from.map_or(from, |f| f.max(from)));
    }
}

/// Reads one point in time as epoch seconds.
pub fn parse_time(name: &str, v: &Value, now: i64) -> Result<Option<i64>, SearchError> {
    let text = match v {
        Value::Null => return Ok(None),
        Value::Number(n) => {
            return match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Ok(Some(i)),
                (None, Some(f)) if f.is_finite() && f.abs() < 1.0e15 => Ok(Some(f.trunc() as i64)),
                _ => Err(SearchError::invalid(name, "not a time")),
            }
        }
        Value::String(s) => s.trim(),
        _ => return Err(SearchError::invalid(name, "not a time")),
    };
    if text.is_empty() {
        return Ok(None);
    }
    parse_time_text(text, now).map(Some).ok_or_else(|| {
        SearchError::invalid(
            name,
            &format!(
                "'{text}' is not a time (use epoch seconds, a date such as 2024-01-31, \
                     or a relative time such as 7d, 12h or 30m)"
            ),
        )
    })
}

fn parse_time_text(text: &str, now: i64) -> Option<i64> {
    if let Ok(i) = text.parse::<i64>() {
        return Some(i);
    }
    if let Ok(f) = text.parse::<f64>() {
        return (f.is_finite() && f.abs() < 1.0e15).then(|| f.trunc() as i64);
    }
    if let Some(delta) = relative(text) {
        return Some(now.saturating_sub(delta));
    }
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(t.unix_timestamp());
    }
    let datetime_fmts = [
        format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
        format_description!("[year]-[month]-[day] [hour]:[minute]"),
        format_description!("[year]-[month]-[day]T[hour]:[minute]"),
    ];
    for fmt in datetime_fmts {
        if let Ok(t) = PrimitiveDateTime::parse(text, &fmt) {
            return Some(t.assume_utc().unix_timestamp());
        }
    }
    let date = Date::parse(text, &format_description!("[year]-[month]-[day]")).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp())
}

/// Seconds in MISP's relative form (`7d`, `12h`, `30m`, `45s`, `2w`).
fn relative(text: &str) -> Option<i64> {
    let unit = text.chars().last()?;
    let amount: i64 = text[..text.len() - unit.len_utf8()].trim().parse().ok()?;
    let seconds = match unit.to_ascii_lowercase() {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        'w' => 604_800,
        _ => return None,
    };
    (amount >= 0).then(|| amount.saturating_mul(seconds))
}

/// Reads a time filter: one time (a lower bound) or a two-element range
/// `[from, to]` (reversed ends are swapped, as MISP does).
pub fn parse_range(name: &str, v: &Value, now: i64) -> Result<TimeRange, SearchError> {
    match v {
        Value::Array(items) => match items.as_slice() {
            [] => Ok(TimeRange::default()),
            [from] => Ok(TimeRange {
                from: parse_time(name, from, now)?,
                to: None,
            }),
            [from, to] => {
                let (mut from, mut to) = (parse_time(name, from, now)?, parse_time(name, to, now)?);
                // As MISP: a reversed range is read in order.
                if let (Some(f), Some(t)) = (from, to) {
                    if f > t {
                        (from, to) = (Some(t), Some(f));
                    }
                }
                Ok(TimeRange { from, to })
            }
            _ => Err(SearchError::invalid(
                name,
                "a range has two elements, [from, to]",
            )),
        },
        other => Ok(TimeRange {
            from: parse_time(name, other, now)?,
            to: None,
        }),
    }
}

/// Reads a date bound for the event `date` column (`YYYY-MM-DD`): a date,
/// or any time [`parse_time`] reads, taken as its UTC day.
pub fn parse_date(name: &str, v: &Value, now: i64) -> Result<Option<String>, SearchError> {
    if let Value::String(s) = v {
        let s = s.trim();
        if let Some(prefix) = s.get(..10) {
            if Date::parse(prefix, &format_description!("[year]-[month]-[day]")).is_ok() {
                return Ok(Some(prefix.to_owned()));
            }
        }
    }
    let Some(epoch) = parse_time(name, v, now)? else {
        return Ok(None);
    };
    let date = OffsetDateTime::from_unix_timestamp(epoch)
        .map_err(|_| SearchError::invalid(name, "out of range"))?
        .date();
    date.format(&format_description!("[year]-[month]-[day]"))
        .map(Some)
        .map_err(|_| SearchError::invalid(name, "out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_700_000_000;

    fn t(v: Value) -> Option<i64> {
        parse_time("timestamp", &v, NOW).expect("a time")
    }

    #[test]
    fn points_in_time() {
        assert_eq!(t(json!(1_600_000_000)), Some(1_600_000_000));
        assert_eq!(t(json!("1600000000")), Some(1_600_000_000));
        assert_eq!(t(json!(1_600_000_000.7)), Some(1_600_000_000));
        assert_eq!(t(json!("7d")), Some(NOW - 7 * 86_400));
        assert_eq!(t(json!("12h")), Some(NOW - 12 * 3_600));
        assert_eq!(t(json!("30m")), Some(NOW - 30 * 60));
        assert_eq!(t(json!("2020-09-13")), Some(1_599_955_200));
        assert_eq!(t(json!("2020-09-13 12:26:40")), Some(1_600_000_000));
        assert_eq!(t(json!("2020-09-13T12:26:40Z")), Some(1_600_000_000));
        assert_eq!(t(json!("2020-09-13T14:26:40+02:00")), Some(1_600_000_000));
        assert_eq!(t(json!("")), None);
        assert_eq!(t(json!(null)), None);
        assert!(parse_time("timestamp", &json!("yesterday"), NOW).is_err());
        assert!(parse_time("timestamp", &json!("5x"), NOW).is_err());
    }

    fn five_to_one_days_ago() -> TimeRange {
        TimeRange {
            from: Some(NOW - 5 * 86_400),
            to: Some(NOW - 86_400),
        }
    }

    #[test]
    fn ranges() {
        let r = parse_range("timestamp", &json!(["5d", "1d"]), NOW).expect("range");
        assert_eq!(r.from, Some(NOW - 5 * 86_400));
        assert_eq!(r.to, Some(NOW - 86_400));
        let r = parse_range("timestamp", &json!("1600000000"), NOW).expect("range");
        assert_eq!(
            r,
            TimeRange {
                from: Some(1_600_000_000),
                to: None
            }
        );
        let reversed = parse_range("timestamp", &json!(["1d", "5d"]), NOW).expect("range");
        assert_eq!(reversed, five_to_one_days_ago());
        assert!(parse_range("timestamp", &json!([1, 2, 3]), NOW).is_err());
    }

    #[test]
    fn dates() {
        let d = |v: Value| parse_date("from", &v, NOW).expect("a date");
        assert_eq!(d(json!("2024-01-31")), Some("2024-01-31".to_owned()));
        assert_eq!(
            d(json!("2024-01-31 10:00:00")),
            Some("2024-01-31".to_owned())
        );
        assert_eq!(d(json!(1_600_000_000)), Some("2020-09-13".to_owned()));
        assert_eq!(d(json!("1d")), Some("2023-11-13".to_owned()));
    }
}
