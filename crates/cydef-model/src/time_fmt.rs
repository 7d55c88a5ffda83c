//! Time helpers: MISP stores most times as epoch seconds and prints a few as
//! `YYYY-MM-DD HH:MM:SS` strings.

use time::{format_description::BorrowedFormatItem, macros::format_description, OffsetDateTime};

const DATETIME: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");

/// Seconds since the epoch, now.
pub fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// Formats epoch seconds as MISP's `YYYY-MM-DD HH:MM:SS` (UTC).
pub fn datetime(epoch: i64) -> String {
    OffsetDateTime::from_unix_timestamp(epoch)
        .ok()
        .and_then(|t| t.format(DATETIME).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_misp_datetime() {
        assert_eq!(super::datetime(0), "1970-01-01 00:00:00");
        assert_eq!(super::datetime(1_700_000_000), "2023-11-14 22:13:20");
    }
}
