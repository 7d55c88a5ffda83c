//! Network-flavoured rules: refanging, IP addresses and CIDRs, `ip|port`
//! splitting, domains (with IDN to punycode), e-mail addresses, URLs (PHP's
//! `FILTER_VALIDATE_URL`), MAC addresses and onion addresses.

use std::net::{IpAddr, Ipv6Addr};

use super::checks::{digits_value, is_digits};

/// Types whose URL scheme is refanged (`hxxp://` → `http://`).
const SCHEME_REFANG: &[&str] = &["link", "url"];
/// Types whose dots are refanged (`[.]` → `.`). MISP's list, plus the three
/// host-and-port composites (refanging them only ever yields values MISP accepts).
const DOT_REFANG: &[&str] = &[
    "link",
    "url",
    "ip-dst",
    "ip-src",
    "domain|ip",
    "domain",
    "hostname",
    "email",
    "email-src",
    "email-dst",
    "ip-dst|port",
    "ip-src|port",
    "hostname|port",
];
/// Types whose `@` is refanged (`[at]` → `@`).
const AT_REFANG: &[&str] = &["email", "email-src", "email-dst"];
/// Types whose colons are refanged (`[:]` → `:`).
const COLON_REFANG: &[&str] = &["url", "link"];

/// Defanged spellings of a dot. MISP knows the first three; `(.)` and `{.}`
/// are common enough in reports to be worth accepting too.
const DEFANGED_DOTS: &[&str] = &["[.]", "[dot]", "(dot)", "(.)", "{.}"];
const DEFANGED_SCHEMES: &[&str] = &["hxxp", "hxtp", "htxp", "meow", "h[tt]p"];

/// Undoes common defanging, per type, as MISP does before validating.
pub(super) fn refang(type_name: &str, value: &str) -> String {
    let mut v = value.to_owned();
    if SCHEME_REFANG.contains(&type_name) {
        for scheme in DEFANGED_SCHEMES {
            if v.get(..scheme.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(scheme))
            {
                // `HXXPS` becomes `https`, not MISP's `httpS`.
                let rest = &v[scheme.len()..];
                let rest = match rest.strip_prefix('S') {
                    Some(after) => format!("s{after}"),
                    None => rest.to_owned(),
                };
                v = format!("http{rest}");
                break;
            }
        }
    }
    if DOT_REFANG.contains(&type_name) {
        v = replace_any(&v, DEFANGED_DOTS, ".");
    }
    if SCHEME_REFANG.contains(&type_name) {
        v = v.replace("[hxxp://]", "http://");
    }
    if AT_REFANG.contains(&type_name) {
        v = replace_any(&v, &["[@]", "[at]"], "@");
    }
    if COLON_REFANG.contains(&type_name) {
        v = v.replace("[:]", ":");
    }
    v
}

/// Replaces every occurrence of any of `patterns` in one left-to-right pass
/// (like a regex alternation), so replacements are never re-scanned.
fn replace_any(s: &str, patterns: &[&str], to: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    'outer: while let Some(c) = rest.chars().next() {
        for p in patterns {
            if let Some(after) = rest.strip_prefix(p) {
                out.push_str(to);
                rest = after;
                continue 'outer;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Whether `s` is an IPv4 or IPv6 address (no prefix length, no zone).
pub(super) fn is_ip(s: &str) -> bool {
    s.parse::<IpAddr>().is_ok()
}

/// The compressed lowercase form of an IPv6 address, or `None` if `s` is not one.
fn compress_v6(s: &str) -> Option<String> {
    s.parse::<Ipv6Addr>().ok().map(|a| a.to_string())
}

/// MISP's `normalizeIp`: compresses IPv6 addresses and drops a `/32` (IPv4)
/// or `/128` (IPv6) prefix length. Other prefixes are kept as given, host
/// bits included (MISP does not mask them). Anything unparseable is returned
/// unchanged for validation to reject.
pub(super) fn normalise_ip(value: &str) -> String {
    if let Some((ip, range)) = value.split_once('/').filter(|(ip, _)| !ip.is_empty()) {
        let ip = if ip.contains(':') {
            compress_v6(ip).unwrap_or_else(|| ip.to_owned())
        } else {
            ip.to_owned()
        };
        if (range == "32" && value.contains('.')) || (range == "128" && value.contains(':')) {
            return ip;
        }
        return format!("{ip}/{range}");
    }
    if value.contains(':') {
        if let Some(compressed) = compress_v6(value) {
            return compressed;
        }
    }
    value.to_owned()
}

/// The `ip-src`/`ip-dst` check: an address, or an address with a prefix length
/// no longer than the address family allows.
pub(super) fn check_ip_or_cidr(value: &str) -> Result<(), &'static str> {
    use super::msg;
    if !value.contains('/') {
        return if is_ip(value) {
            Ok(())
        } else {
            Err(msg::IP_FORMAT)
        };
    }
    let mut parts = value.split('/');
    let (Some(ip), Some(range), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(msg::CIDR_FORMAT);
    };
    let Some(range) = digits_value(range) else {
        return Err(msg::CIDR_FORMAT);
    };
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V4(_)) if range > 32 => Err(msg::CIDR_V4),
        Ok(IpAddr::V6(_)) if range > 128 => Err(msg::CIDR_V6),
        Ok(_) => Ok(()),
        Err(_) => Err(msg::IP_FORMAT),
    }
}

/// Splits an `ip|port` value given in any of the spellings MISP understands:
/// `192.0.2.1|80`, `192.0.2.1:80`, `2001:db8::1|80`, `[2001:db8::1]:80`,
/// `2001:db8::1.80`, `2001:db8::1 port 80`, `2001:db8::1p80`, `2001:db8::1#80`
/// and, last resort, `2001:db8::1:80`. Returns `None` when no separator is
/// found (validation then reports the value as not composite).
///
/// Unlike MISP, whatever follows the separator is kept whole rather than cut
/// at a second separator, so `a|b|c` stays malformed instead of becoming `a|b`.
pub(super) fn split_ip_port(value: &str) -> Option<(String, String)> {
    let found = |sep: &str| value.find(sep).filter(|&i| i > 0).is_some();
    let (ip, port) = if value.matches(':').count() >= 2 {
        if found("|") {
            value.split_once('|')?
        } else if value.starts_with('[') && value.contains(']') {
            let (inner, after) = value[1..].split_once(']')?;
            (inner, after.strip_prefix(':').unwrap_or(after))
        } else if found(".") {
            value.rsplit_once('.')?
        } else if found(" port ") {
            value.rsplit_once(" port ")?
        } else if found("p") {
            value.rsplit_once('p')?
        } else if found("#") {
            value.rsplit_once('#')?
        } else {
            value.rsplit_once(':')?
        }
    } else if found(":") {
        value.split_once(':')?
    } else if found("|") {
        value.split_once('|')?
    } else {
        return None;
    };
    Some((normalise_ip(ip), port.to_owned()))
}

/// MISP's domain shape: labels of letters, digits, `-`, `_` and dots, ending in
/// a dot and a last label of at least two letters, digits or `-`.
pub(super) fn is_domain(s: &str) -> bool {
    let Some((head, tld)) = s.rsplit_once('.') else {
        return false;
    };
    !head.is_empty()
        && head
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        && tld.len() >= 2
        && tld.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Lower-cases a domain, strips leading and trailing dots, and converts an
/// internationalised name to punycode (`пример.рф` → `xn--e1afmkfd.xn--p1ai`).
/// A name the IDNA mapping rejects is left for validation to reject.
pub(super) fn normalise_domain(value: &str) -> String {
    let v = value.to_ascii_lowercase();
    let v = v.trim_matches('.');
    if is_domain(v) {
        return v.to_owned();
    }
    match idna::domain_to_ascii(v) {
        Ok(puny) => puny.trim_matches('.').to_owned(),
        Err(_) => v.to_owned(),
    }
}

/// MISP's loose e-mail check (`^.[^\s]*@.*\..*$`): something, an `@` with no
/// whitespace before it, and a dot somewhere after it, all on one line.
pub(super) fn is_email(s: &str) -> bool {
    if s.contains('\n') {
        return false;
    }
    let mut chars = s.char_indices();
    if chars.next().is_none() {
        return false;
    }
    for (i, c) in chars {
        if c == '@' {
            return s[i + 1..].contains('.');
        }
        if matches!(c, ' ' | '\t' | '\x0B' | '\x0C' | '\r') {
            return false;
        }
    }
    false
}

/// Whether `s` passes PHP's `filter_var($s, FILTER_VALIDATE_URL)`: only URL
/// characters, a scheme, a host (except for `mailto:`, `news:` and `file:`),
/// a valid host name or bracketed IPv6 for http(s), a numeric port, and
/// well-formed user info.
pub(super) fn is_php_url(s: &str) -> bool {
    const EXTRA: &[u8] = b"$-_.+!*'(),{}|\\^~[]`<>#%\";/?:@&=";
    if s.is_empty()
        || !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || EXTRA.contains(&b))
    {
        return false;
    }
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return false;
    }
    let scheme = scheme.to_ascii_lowercase();
    let host = match rest.strip_prefix("//") {
        Some(after) => {
            let end = after.find(['/', '?', '#']).unwrap_or(after.len());
            let authority = &after[..end];
            let host_port = match authority.rsplit_once('@') {
                Some((userinfo, hp)) => {
                    if !userinfo.split(':').all(is_userinfo) {
                        return false;
                    }
                    hp
                }
                None => authority,
            };
            match split_host_port(host_port) {
                Some(h) => h,
                None => return false,
            }
        }
        None => "",
    };
    if scheme == "http" || scheme == "https" {
        if host.is_empty() {
            return false;
        }
        return match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            Some(v6) => v6.parse::<Ipv6Addr>().is_ok(),
            None => is_hostname(host),
        };
    }
    !host.is_empty() || matches!(scheme.as_str(), "mailto" | "news" | "file")
}

/// The host of `host[:port]` / `[v6][:port]`, or `None` if the port is bad.
fn split_host_port(hp: &str) -> Option<&str> {
    let (host, port) = if hp.starts_with('[') {
        match hp.find(']') {
            Some(i) => (&hp[..=i], hp[i + 1..].strip_prefix(':')),
            None => return None,
        }
    } else {
        match hp.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hp, None),
        }
    };
    match port {
        Some(p) if !p.is_empty() && digits_value(p).is_none_or(|n| n > 65535) => None,
        _ => Some(host),
    }
}

/// RFC 3986 user info: unreserved, sub-delims and percent-encoded octets.
fn is_userinfo(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hex = |j: usize| b.get(j).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                return false;
            }
            i += 3;
            continue;
        }
        if !(c.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&c)) {
            return false;
        }
        i += 1;
    }
    true
}

/// PHP's `FILTER_FLAG_HOSTNAME` check: dot-separated labels of letters,
/// digits and inner hyphens, at most 63 characters each, 253 in all; one
/// trailing dot allowed.
fn is_hostname(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Lower-cases a MAC address and rewrites it as colon-separated pairs,
/// whatever separators (`.`, `:`, `-`, space) it came with.
pub(super) fn normalise_mac(value: &str) -> String {
    let bare: Vec<char> = value
        .to_ascii_lowercase()
        .chars()
        .filter(|c| !matches!(c, '.' | ':' | '-' | ' '))
        .collect();
    bare.chunks(2)
        .map(|pair| pair.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(":")
}

/// `groups` pairs of hex digits, each optionally followed by a colon
/// (MISP's `^([a-fA-F0-9]{2}[:]?){N}$`).
pub(super) fn is_mac(s: &str, groups: usize) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    for _ in 0..groups {
        let pair = b.get(i..i + 2);
        if !pair.is_some_and(|p| p.iter().all(u8::is_ascii_hexdigit)) {
            return false;
        }
        i += 2;
        if b.get(i) == Some(&b':') {
            i += 1;
        }
    }
    i == b.len()
}

/// A v2 (16 characters) or v3 (56 characters) onion address.
pub(super) fn is_onion(s: &str) -> bool {
    s.strip_suffix(".onion").is_some_and(|name| {
        (name.len() == 16 || name.len() == 56)
            && name.bytes().all(|b| matches!(b, b'a'..=b'z' | b'2'..=b'7'))
    })
}

/// A whole number usable as an AS number once MISP's `AS` prefix and asdot
/// notation (`1.10` → 65546) are dealt with.
pub(super) fn normalise_as(value: &str) -> String {
    let v = match value.get(..2) {
        Some(p) if p.eq_ignore_ascii_case("as") => &value[2..],
        _ => value,
    };
    if let Some((high, low)) = v.split_once('.') {
        if let (Some(h), Some(l)) = (digits_value(high), digits_value(low)) {
            return (u128::from(h) * 65536 + u128::from(l)).to_string();
        }
    }
    v.to_owned()
}

/// Whether `s` is a whole number from 0 to 4294967295 (MISP accepts 0 too).
pub(super) fn is_as_number(s: &str) -> bool {
    is_digits(s) && digits_value(s).is_some_and(|n| n <= u64::from(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refang_table() {
        let cases = [
            ("url", "hxxp://evil[.]com/a", "http://evil.com/a"),
            ("url", "HXXPS://evil[dot]com", "https://evil.com"),
            ("url", "hxxps[:]//evil(.)com{.}br", "https://evil.com.br"),
            ("link", "h[tt]p://a(dot)b", "http://a.b"),
            ("url", "[hxxp://]evil.com", "http://evil.com"),
            ("domain", "evil[.]com", "evil.com"),
            ("ip-dst", "10[.]0[.]0[.]1", "10.0.0.1"),
            ("email", "bob[at]evil[.]com", "bob@evil.com"),
            ("email-src", "bob[@]evil.com", "bob@evil.com"),
            // Only the types MISP refangs are touched.
            ("text", "hxxp://evil[.]com", "hxxp://evil[.]com"),
            ("whois-registrant-email", "bob[at]x.com", "bob[at]x.com"),
            ("domain", "hxxp", "hxxp"),
            ("url", "[[.]]", "[.]"),
            ("url", "hxx", "hxx"),
            ("url", "hé[.]", "hé."),
        ];
        for (t, input, want) in cases {
            assert_eq!(refang(t, input), want, "{t} {input}");
        }
    }

    #[test]
    fn ip_normalisation() {
        let cases = [
            ("10.0.0.1", "10.0.0.1"),
            ("10.0.0.1/32", "10.0.0.1"),
            ("10.0.0.1/24", "10.0.0.1/24"),
            ("2001:DB8:0:0::1", "2001:db8::1"),
            ("2001:DB8:0:0::1/128", "2001:db8::1"),
            ("2001:DB8:0:0::/32", "2001:db8::/32"),
            ("::FFFF:192.0.2.1", "::ffff:192.0.2.1"),
            ("not:an:ip", "not:an:ip"),
            ("/32", "/32"),
        ];
        for (input, want) in cases {
            assert_eq!(normalise_ip(input), want, "{input}");
        }
    }

    #[test]
    fn ip_checks() {
        assert!(check_ip_or_cidr("10.0.0.0/8").is_ok());
        assert!(check_ip_or_cidr("2001:db8::/129").is_err());
        assert!(check_ip_or_cidr("10.0.0.0/33").is_err());
        assert!(check_ip_or_cidr("10.0.0.0/8/8").is_err());
        assert!(check_ip_or_cidr("10.0.0.0/x").is_err());
        assert!(check_ip_or_cidr("010.0.0.1").is_err());
        assert!(check_ip_or_cidr("10.0.0.256").is_err());
    }

    #[test]
    fn ip_port_spellings() {
        let cases = [
            ("192.0.2.10|443", "192.0.2.10", "443"),
            ("192.0.2.10:443", "192.0.2.10", "443"),
            ("2001:db8::1|443", "2001:db8::1", "443"),
            ("[2001:db8::1]:443", "2001:db8::1", "443"),
            ("[2001:DB8:0::1]:443", "2001:db8::1", "443"),
            ("2001:db8::1.443", "2001:db8::1", "443"),
            ("2001:db8::1 port 443", "2001:db8::1", "443"),
            ("2001:db8::1p443", "2001:db8::1", "443"),
            ("2001:db8::1#443", "2001:db8::1", "443"),
            ("2001:db8::1:443", "2001:db8::1", "443"),
            ("1.2.3.4|80|90", "1.2.3.4", "80|90"),
        ];
        for (input, ip, port) in cases {
            assert_eq!(
                split_ip_port(input),
                Some((ip.to_owned(), port.to_owned())),
                "{input}"
            );
        }
        assert_eq!(split_ip_port("192.0.2.10"), None);
        assert_eq!(split_ip_port("|80"), None);
    }

    #[test]
    fn domains() {
        for ok in [
            "example.com",
            "ay_c.example.com",
            "xn--80ab7baj4b.xn--p1ai",
            "a.b-c",
            "1.2.3.44",
        ] {
            assert!(is_domain(ok), "{ok}");
        }
        for bad in [
            "example",
            "example.c",
            "example.com.",
            "exa mple.com",
            "a.c_m",
            ".com",
            "пример.рф",
        ] {
            assert!(!is_domain(bad), "{bad}");
        }
        assert_eq!(normalise_domain("Example.COM."), "example.com");
        assert_eq!(normalise_domain("пример.рф"), "xn--e1afmkfd.xn--p1ai");
        assert_eq!(normalise_domain("ПРИМЕР.РФ"), "xn--e1afmkfd.xn--p1ai");
        assert_eq!(normalise_domain("bücher.example"), "xn--bcher-kva.example");
    }

    #[test]
    fn emails() {
        for ok in ["bob@example.com", "a@b.c", "@@x.y", "bob@ex ample.com"] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in [
            "bob@example",
            "bo b@example.com",
            "bob",
            "@",
            "b@x.y\nz",
            "",
        ] {
            assert!(!is_email(bad), "{bad:?}");
        }
    }

    #[test]
    fn php_urls() {
        for ok in [
            "http://example.com",
            "https://user:p%41ss@example.com:8443/a?b=c#d",
            "http://[2001:db8::1]/x",
            "ftp://x",
            "mailto:bob@example.com",
            "file:///etc/passwd",
            "http://1.2.3.4/",
        ] {
            assert!(is_php_url(ok), "{ok}");
        }
        for bad in [
            "example.com",
            "http://",
            "http://ex ample.com",
            "http://exa_mple.com",
            "http://-a.com",
            "http://a.com:99999/",
            "http://[zz::1]/",
            "foo:bar",
            "http://é.com",
            "1http://a.com",
        ] {
            assert!(!is_php_url(bad), "{bad}");
        }
    }

    #[test]
    fn macs_onions_as() {
        assert_eq!(normalise_mac("00-1A-2B-3C-4D-5E"), "00:1a:2b:3c:4d:5e");
        assert_eq!(normalise_mac("001a.2b3c.4d5e"), "00:1a:2b:3c:4d:5e");
        assert!(is_mac("00:1a:2b:3c:4d:5e", 6) && is_mac("001a2b3c4d5e", 6));
        assert!(
            !is_mac("00:1a:2b:3c:4d", 6)
                && !is_mac("00:1a:2b:3c:4d:5e:6f", 6)
                && !is_mac("zz:1a:2b:3c:4d:5e", 6)
        );
        assert!(is_mac("00:1a:2b:3c:4d:5e:6f:70", 8));
        assert!(is_onion("expyuzz4wqqyqhjn.onion"));
        assert!(is_onion(&format!("{}.onion", "a".repeat(56))));
        assert!(!is_onion("expyuzz4wqqyqhj1.onion") && !is_onion("short.onion"));
        assert_eq!(normalise_as("AS13335"), "13335");
        assert_eq!(normalise_as("as1.10"), "65546");
        assert_eq!(normalise_as("1.x"), "1.x");
        assert!(is_as_number("4294967295") && !is_as_number("4294967296") && !is_as_number("-1"));
    }
}
