//! Small, PHP-compatible predicates the value rules are built from.
//!
//! MISP's checks lean on PHP's `ctype_*`, `is_numeric` and `trim`; these are
//! byte-for-byte equivalents over `&str`, never panicking on any input.

/// The characters PHP's `trim()` strips by default.
pub(super) fn php_trim(s: &str) -> &str {
    s.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r' | '\0' | '\x0B'))
}

/// `ctype_digit`: non-empty, ASCII digits only.
pub(super) fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `ctype_xdigit`: non-empty, ASCII hex digits only (either case).
pub(super) fn is_xdigits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `ctype_alnum` restricted to ASCII (MISP's `^[a-zA-Z0-9]+$`).
pub(super) fn is_alnum(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// `ctype_cntrl`: non-empty and every byte a C0 control character or DEL.
pub(super) fn is_all_control(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b < 0x20 || b == 0x7f)
}

/// The numeric value of a `ctype_digit` string, saturating at `u64::MAX` for
/// absurdly long ones (they only ever need to be compared against limits).
pub(super) fn digits_value(s: &str) -> Option<u64> {
    if !is_digits(s) {
        return None;
    }
    let significant = s.trim_start_matches('0');
    if significant.is_empty() {
        return Some(0);
    }
    Some(significant.parse::<u64>().unwrap_or(u64::MAX))
}

/// MISP's `isPortValid`: a whole number from 1 to 65535.
pub(super) fn is_port(s: &str) -> bool {
    digits_value(s).is_some_and(|p| (1..=65535).contains(&p))
}

/// PHP 8's `is_numeric` on a string: optional surrounding whitespace, an
/// optional sign, a decimal number (`1`, `1.`, `.5`, `1.5`) and an optional
/// exponent. No hex, no `INF`/`NAN`.
pub(super) fn is_numeric(s: &str) -> bool {
    let ws = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0B' | '\x0C');
    let s = s.trim_start_matches(ws).trim_end_matches(ws);
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let int_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let mut digits = i - int_start;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let frac_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let exp_start = j;
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        if j == exp_start {
            return false;
        }
        i = j;
    }
    i == b.len()
}

/// A plain integer: optional sign, then ASCII digits.
pub(super) fn is_integer(s: &str) -> bool {
    is_digits(s.strip_prefix(['+', '-']).unwrap_or(s))
}

/// MISP's `isHashValid`: exactly `len` hex digits.
pub(super) fn is_hash(s: &str, len: usize) -> bool {
    s.len() == len && is_xdigits(s)
}

/// MISP's `isTlshValid`: an optional leading `t` (of `t1`), then more than 35
/// hex digits.
pub(super) fn is_tlsh(s: &str) -> bool {
    let body = s.strip_prefix('t').unwrap_or(s);
    body.len() > 35 && is_xdigits(body)
}

/// MISP's `isTelfhashValid`: 70 or 72 characters (MISP checks nothing else).
pub(super) fn is_telfhash(s: &str) -> bool {
    s.len() == 70 || s.len() == 72
}

/// ssdeep: `blocksize:hash:hash`, the hashes in the base64 alphabet.
pub(super) fn is_ssdeep(s: &str) -> bool {
    let b64 = |p: &str| {
        p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'/' || b == b'+')
    };
    let mut parts = s.split(':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(size), Some(h1), Some(h2), None) => is_digits(size) && b64(h1) && b64(h2),
        _ => false,
    }
}

/// impfuzzy: exactly two colons, the first field a whole number.
pub(super) fn is_impfuzzy(s: &str) -> bool {
    s.matches(':').count() == 2 && s.split(':').next().is_some_and(is_digits)
}

/// cdhash: 40 or more lowercase hex digits.
pub(super) fn is_cdhash(s: &str) -> bool {
    s.len() >= 40 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// An SSH key fingerprint: `SHA256:<base64 of 32 bytes>`, or an MD5 one
/// (optionally `MD5:`-prefixed, colons optional).
pub(super) fn is_ssh_fingerprint(s: &str) -> bool {
    if let Some(b64) = s.strip_prefix("SHA256:") {
        return strict_base64_len(b64) == Some(32);
    }
    let md5 = s.strip_prefix("MD5:").unwrap_or(s).replace(':', "");
    is_hash(&md5, 32)
}

/// Length of the bytes a strict base64 decode would produce (PHP's
/// `base64_decode($s, true)`: whitespace skipped, padding optional, anything
/// outside the alphabet or after padding rejected).
fn strict_base64_len(s: &str) -> Option<usize> {
    let mut sextets = 0usize;
    let mut padding = 0usize;
    for b in s.bytes() {
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => {}
            b'=' => padding += 1,
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' if padding == 0 => sextets += 1,
            _ => return None,
        }
    }
    if sextets % 4 == 1 || padding > 2 {
        return None;
    }
    Some(sextets * 6 / 8)
}

/// `str_contains($v, "\n")`, the single-line rule of many free-text types.
pub(super) fn has_newline(s: &str) -> bool {
    s.contains('\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn php_trim_strips_only_php_whitespace() {
        assert_eq!(php_trim(" \t\n\r\0\x0Bx y\n"), "x y");
        assert_eq!(php_trim("\u{a0}x"), "\u{a0}x");
    }

    #[test]
    fn numeric_like_php() {
        for ok in [
            "0", "1", "-1", "+1", "1.5", ".5", "5.", "1e5", "1E-5", " 12", "12 ", "+49123",
        ] {
            assert!(is_numeric(ok), "{ok:?} should be numeric");
        }
        for bad in [
            "", ".", "-", "e5", "1e", "0x1A", "1 2", "12a", "INF", "+-1", "1.2.3",
        ] {
            assert!(!is_numeric(bad), "{bad:?} should not be numeric");
        }
    }

    #[test]
    fn digits_and_ports() {
        assert_eq!(digits_value("000"), Some(0));
        assert_eq!(digits_value("0443"), Some(443));
        assert_eq!(digits_value("99999999999999999999999"), Some(u64::MAX));
        assert_eq!(digits_value("-1"), None);
        assert!(is_port("1") && is_port("65535") && is_port("0443"));
        assert!(!is_port("0") && !is_port("65536") && !is_port("") && !is_port("80a"));
    }

    #[test]
    fn fuzzy_hashes() {
        assert!(is_ssdeep("96:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx:sF1C6tnbrdQmA+4uy1I0G4HYuL8N3TzS8R"));
        assert!(is_ssdeep("3::"));
        assert!(
            !is_ssdeep("x:a:b")
                && !is_ssdeep("3:a")
                && !is_ssdeep("3:a:b:c")
                && !is_ssdeep("3:a-b:c")
        );
        assert!(is_impfuzzy("48:a:b") && !is_impfuzzy("x:a:b") && !is_impfuzzy("48:ab"));
        let tlsh = "t1".to_owned() + &"a".repeat(70);
        assert!(
            is_tlsh(&tlsh) && is_tlsh(&"A".repeat(36)) && !is_tlsh(&"a".repeat(35)) && !is_tlsh("")
        );
    }

    #[test]
    fn ssh_fingerprints() {
        assert!(is_ssh_fingerprint(
            "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8"
        ));
        assert!(is_ssh_fingerprint(
            "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8="
        ));
        assert!(!is_ssh_fingerprint(
            "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5S"
        ));
        assert!(!is_ssh_fingerprint(
            "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8!"
        ));
        assert!(is_ssh_fingerprint(
            "MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48"
        ));
        assert!(is_ssh_fingerprint(
            "16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48"
        ));
        assert!(!is_ssh_fingerprint("16:27:ac:a5"));
    }

    #[test]
    fn control_and_classes() {
        assert!(is_all_control("\x01\x7f") && !is_all_control("") && !is_all_control("\x01a"));
        assert!(is_alnum("bc1qXY9") && !is_alnum("bc1q-") && !is_alnum(""));
        assert!(is_integer("-12") && is_integer("+3") && !is_integer("1.0") && !is_integer("-"));
        assert!(
            is_cdhash(&"a".repeat(40))
                && !is_cdhash(&"A".repeat(40))
                && !is_cdhash(&"a".repeat(39))
        );
    }
}
