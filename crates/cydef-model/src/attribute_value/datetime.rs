//! Date and time parsing for the `datetime` attribute type and for
//! `first_seen`/`last_seen`.
//!
//! MISP hands both to PHP's `DateTime` parser (defaulting to UTC). That parser
//! takes nearly anything; Cydef takes ISO 8601 (extended or basic, with or
//! without time, fraction and zone), `YYYY-MM-DD HH:MM:SS`, and epoch
//! seconds (`1700000000`, `@1700000000`, optionally with a fraction).

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use super::checks::php_trim;
use super::{msg, ValueError};

/// Parses a date/time, keeping the offset it was given in (UTC if none).
/// Epoch seconds need PHP's `@` prefix unless `plain_epoch` is set (as it is
/// for first/last seen, which JSON clients often send as a bare number).
pub(super) fn parse_datetime(raw: &str, plain_epoch: bool) -> Option<OffsetDateTime> {
    let s = php_trim(raw);
    if let Some(epoch) = s.strip_prefix('@') {
        return parse_epoch(epoch);
    }
    let looks_like_epoch = plain_epoch
        && !s.is_empty()
        && s.len() != 8
        && s.trim_start_matches(['+', '-'])
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.');
    if looks_like_epoch {
        return parse_epoch(s);
    }
    parse_iso(s)
}

/// Epoch seconds, optionally signed and with a decimal fraction.
fn parse_epoch(s: &str) -> Option<OffsetDateTime> {
    let (negative, unsigned) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (whole, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let secs: i128 = whole.parse().ok()?;
    let micros = i128::from(fraction_micros(frac));
    let total = secs.checked_mul(1_000_000)?.checked_add(micros)?;
    let total = if negative { -total } else { total };
    OffsetDateTime::from_unix_timestamp_nanos(total.checked_mul(1000)?).ok()
}

/// The first six digits of a decimal fraction as microseconds.
fn fraction_micros(frac: &str) -> u32 {
    frac.bytes()
        .chain(std::iter::repeat(b'0'))
        .take(6)
        .fold(0, |acc, d| acc * 10 + u32::from(d - b'0'))
}

/// A byte cursor over an ISO 8601 string.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// Exactly `n` digits.
    fn digits(&mut self, n: usize) -> Option<u32> {
        let chunk = self.b.get(self.i..self.i + n)?;
        if !chunk.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.i += n;
        Some(
            chunk
                .iter()
                .fold(0, |acc, d| acc * 10 + u32::from(d - b'0')),
        )
    }

    fn at_digit(&self) -> bool {
        self.peek().is_some_and(|c| c.is_ascii_digit())
    }

    fn done(&self) -> bool {
        self.i == self.b.len()
    }

    fn rest(&self) -> &[u8] {
        self.b.get(self.i..).unwrap_or_default()
    }
}

fn parse_iso(s: &str) -> Option<OffsetDateTime> {
    let mut c = Cursor {
        b: s.as_bytes(),
        i: 0,
    };
    let year = c.digits(4)?;
    let extended = c.eat(b'-');
    let month = c.digits(2)?;
    if extended && !c.eat(b'-') {
        return None;
    }
    let day = c.digits(2)?;
    let date = Date::from_calendar_date(
        i32::try_from(year).ok()?,
        Month::try_from(u8::try_from(month).ok()?).ok()?,
        u8::try_from(day).ok()?,
    )
    .ok()?;

    let mut time = Time::MIDNIGHT;
    let mut offset = UtcOffset::UTC;
    if !c.done() {
        if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
            return None;
        }
        let hour = c.digits(2)?;
        let colon = c.eat(b':');
        let minute = c.digits(2)?;
        let mut second = 0;
        if (colon && c.eat(b':')) || (!colon && c.at_digit()) {
            second = c.digits(2)?;
        }
        let mut micro = 0;
        if c.eat(b'.') || c.eat(b',') {
            let start = c.i;
            while c.at_digit() {
                c.i += 1;
            }
            let frac = s.get(start..c.i)?;
            if frac.is_empty() {
                return None;
            }
            micro = fraction_micros(frac);
        }
        time = Time::from_hms_micro(
            u8::try_from(hour).ok()?,
            u8::try_from(minute).ok()?,
            u8::try_from(second).ok()?,
            micro,
        )
        .ok()?;
        while c.eat(b' ') {}
        if !c.done() {
            offset = parse_zone(&mut c)?;
        }
    }
    if !c.done() {
        return None;
    }
    Some(PrimitiveDateTime::new(date, time).assume_offset(offset))
}

/// `Z`, `UTC`, `GMT`, `±HH`, `±HHMM` or `±HH:MM`.
fn parse_zone(c: &mut Cursor<'_>) -> Option<UtcOffset> {
    let rest = c.rest();
    if rest.eq_ignore_ascii_case(b"z")
        || rest.eq_ignore_ascii_case(b"utc")
        || rest.eq_ignore_ascii_case(b"gmt")
    {
        c.i = c.b.len();
        return Some(UtcOffset::UTC);
    }
    let sign: i8 = if c.eat(b'+') {
        1
    } else if c.eat(b'-') {
        -1
    } else {
        return None;
    };
    let hours = c.digits(2).filter(|h| *h < 24)?;
    let minutes = if c.eat(b':') || c.at_digit() {
        c.digits(2)?
    } else {
        0
    };
    if minutes > 59 {
        return None;
    }
    UtcOffset::from_hms(
        sign * i8::try_from(hours).ok()?,
        sign * i8::try_from(minutes).ok()?,
        0,
    )
    .ok()
}

/// MISP's stored form of a `datetime` value: `Y-m-d\TH:i:s.uO`, i.e.
/// `2024-01-02T03:04:05.000000+0000`, in the offset the value was given in.
pub(super) fn format_misp_datetime(dt: OffsetDateTime) -> String {
    let off = dt.offset();
    let sign = if off.is_negative() { '-' } else { '+' };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}{sign}{:02}{:02}",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.microsecond(),
        off.whole_hours().unsigned_abs(),
        off.minutes_past_hour().unsigned_abs(),
    )
}

/// Parses a `first_seen`/`last_seen` value into microseconds since the epoch
/// (UTC), the integer MISP stores. A value without a zone is taken as UTC.
pub fn parse_seen(raw: &str) -> Result<i64, ValueError> {
    parse_datetime(raw, true)
        .and_then(|dt| i64::try_from(dt.unix_timestamp_nanos() / 1000).ok())
        .ok_or_else(|| ValueError::new(msg::SEEN_FORMAT))
}

/// Like [`parse_seen`], but an absent or empty value is "not set" (MISP turns
/// `''` into `null`).
pub fn parse_seen_opt(raw: Option<&str>) -> Result<Option<i64>, ValueError> {
    match raw.map(php_trim) {
        None | Some("") => Ok(None),
        Some(v) => parse_seen(v).map(Some),
    }
}

/// Formats stored microseconds as MISP serves `first_seen`/`last_seen`:
/// `2024-01-02T03:04:05.123456+00:00`.
pub fn format_seen(micros: i64) -> String {
    let dt = OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let mut s = format_misp_datetime(dt);
    // `O` (+0000) to `P` (+00:00); always UTC here.
    s.insert(s.len() - 2, ':');
    s
}

/// Parses and re-formats a `first_seen`/`last_seen` value into MISP's form.
pub fn normalise_seen(raw: &str) -> Result<String, ValueError> {
    parse_seen(raw).map(format_seen)
}

/// MISP's `validateLastSeenValue`: `last_seen` may not be before `first_seen`
/// (equal is fine). Either being unset passes.
pub fn check_seen_order(first: Option<i64>, last: Option<i64>) -> Result<(), ValueError> {
    match (first, last) {
        (Some(f), Some(l)) if f > l => Err(ValueError::new(msg::SEEN_ORDER)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misp_datetime_form() {
        let cases = [
            ("2024-01-02", "2024-01-02T00:00:00.000000+0000"),
            ("20240102", "2024-01-02T00:00:00.000000+0000"),
            ("2024-01-02T03:04:05", "2024-01-02T03:04:05.000000+0000"),
            ("2024-01-02 03:04:05", "2024-01-02T03:04:05.000000+0000"),
            ("2024-01-02T03:04", "2024-01-02T03:04:00.000000+0000"),
            ("2024-01-02T03:04:05Z", "2024-01-02T03:04:05.000000+0000"),
            (
                "2024-01-02T03:04:05.123Z",
                "2024-01-02T03:04:05.123000+0000",
            ),
            (
                "2024-01-02T03:04:05,1234567+02:00",
                "2024-01-02T03:04:05.123456+0200",
            ),
            (
                "2024-01-02T03:04:05-0530",
                "2024-01-02T03:04:05.000000-0530",
            ),
            ("2024-01-02T03:04:05+01", "2024-01-02T03:04:05.000000+0100"),
            ("2024-01-02 03:04:05 UTC", "2024-01-02T03:04:05.000000+0000"),
            ("20240102T030405Z", "2024-01-02T03:04:05.000000+0000"),
            ("@1700000000", "2023-11-14T22:13:20.000000+0000"),
            ("1700000000.5", "2023-11-14T22:13:20.500000+0000"),
        ];
        for (input, want) in cases {
            let dt = parse_datetime(input, true).unwrap_or_else(|| panic!("{input} should parse"));
            assert_eq!(format_misp_datetime(dt), want, "{input}");
        }
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "yesterday",
            "2024-13-01",
            "2024-02-30",
            "2024-01-02T25:00:00",
            "2024-01-02T03:04:05+25:00",
            "2024-01-02X03:04",
            "2024-01-02T03:04:05.Z",
            "2024-0102",
            "2024-01-02T03:04:05 nonsense",
            "1.2.3",
            "@",
            "@abc",
        ] {
            assert!(
                parse_datetime(bad, true).is_none(),
                "{bad:?} should not parse"
            );
        }
        assert!(parse_datetime("1700000000", false).is_none());
        assert!(parse_datetime("@1700000000", false).is_some());
    }

    #[test]
    fn seen_round_trip() {
        assert_eq!(parse_seen("1970-01-01T00:00:01.5Z"), Ok(1_500_000));
        assert_eq!(
            parse_seen("2024-01-02T03:04:05+02:00"),
            parse_seen("2024-01-02T01:04:05Z")
        );
        assert_eq!(
            normalise_seen("2024-01-02T03:04:05.123456+02:00").as_deref(),
            Ok("2024-01-02T01:04:05.123456+00:00")
        );
        assert_eq!(
            normalise_seen("2024-01-02").as_deref(),
            Ok("2024-01-02T00:00:00.000000+00:00")
        );
        assert_eq!(
            normalise_seen("1700000000").as_deref(),
            Ok("2023-11-14T22:13:20.000000+00:00")
        );
        assert_eq!(format_seen(-1), "1969-12-31T23:59:59.999999+00:00");
        assert_eq!(
            parse_seen("nope").map_err(|e| e.message),
            Err("Invalid ISO 8601 format".to_owned())
        );
        assert_eq!(parse_seen_opt(None), Ok(None));
        assert_eq!(parse_seen_opt(Some(" ")), Ok(None));
        assert_eq!(parse_seen_opt(Some("1970-01-01")), Ok(Some(0)));
    }

    #[test]
    fn seen_order() {
        assert!(check_seen_order(Some(1), Some(2)).is_ok());
        assert!(check_seen_order(Some(2), Some(2)).is_ok());
        assert!(check_seen_order(None, Some(2)).is_ok());
        assert!(check_seen_order(Some(2), None).is_ok());
        let err = check_seen_order(Some(3), Some(2)).expect_err("last before first");
        assert_eq!(
            err.message,
            "Last seen value should be greater than first seen value"
        );
    }
}
