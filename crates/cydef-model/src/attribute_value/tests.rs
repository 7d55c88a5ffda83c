use super::*;
use crate::describe_types::TYPES;

/// `n` hex digits, mixed case.
fn hex(n: usize) -> String {
    "0123456789ABCDEFabcdef".chars().cycle().take(n).collect()
}

fn ok(type_name: &str, input: &str) -> String {
    normalise(type_name, input)
        .unwrap_or_else(|e| panic!("{type_name} {input:?} refused: {}", e.message))
}

fn err(type_name: &str, input: &str) -> String {
    match normalise(type_name, input) {
        Ok(v) => panic!("{type_name} {input:?} accepted as {v:?}"),
        Err(e) => e.message,
    }
}

/// (type, input, normalised) triples that must be accepted.
fn assert_accepts(cases: &[(&str, &str, &str)]) {
    for (t, input, want) in cases {
        assert_eq!(ok(t, input), *want, "{t} {input:?}");
    }
}

/// (type, input) pairs that must be refused.
fn assert_refuses(cases: &[(&str, &str)]) {
    for (t, input) in cases {
        err(t, input);
    }
}

#[test]
fn required_cases() {
    assert_accepts(&[
        ("ip-dst|port", "2001:db8::1|443", "2001:db8::1|443"),
        ("ip-dst|port", "[2001:db8::1]:443", "2001:db8::1|443"),
        ("ip-dst|port", "192.0.2.10:443", "192.0.2.10|443"),
        ("ip-src|port", "192.0.2.10:443", "192.0.2.10|443"),
        ("domain", "ay_c.example.com", "ay_c.example.com"),
        (
            "domain",
            "xn--80ab7baj4b.xn--p1ai",
            "xn--80ab7baj4b.xn--p1ai",
        ),
        ("domain", "Example.COM.", "example.com"),
        ("hostname", "Example.COM.", "example.com"),
        ("url", "hxxp://evil[.]com/a", "http://evil.com/a"),
        ("ip-dst", "10.0.0.1/32", "10.0.0.1"),
        ("ip-dst", "2001:DB8:0:0::1/128", "2001:db8::1"),
        (
            "md5",
            "D41D8CD98F00B204E9800998ECF8427E",
            "d41d8cd98f00b204e9800998ecf8427e",
        ),
        ("domain", "пример.рф", "xn--e1afmkfd.xn--p1ai"),
        ("text", "pwned 🦀🔥 ok", "pwned 🦀🔥 ok"),
        ("comment", "👀 see ticket", "👀 see ticket"),
    ]);
    let filename_sha256 = format!("Invoice.PDF.exe|{}", hex(64));
    assert_eq!(
        ok("filename|sha256", &filename_sha256),
        format!("Invoice.PDF.exe|{}", hex(64).to_ascii_lowercase())
    );
    assert_eq!(err("md5", "d41d8cd98f00b204e9800998ecf8427"), msg::hash(32));
    assert_eq!(
        err("md5", "d41d8cd98f00b204e9800998ecf8427e0"),
        "Checksum has an invalid length or format (expected: 32 hexadecimal characters). Please double check the value or select type \"other\"."
    );
    assert_eq!(err("sha256", &format!("{}g", hex(63))), msg::hash(64));
}

#[test]
fn hashes() {
    assert_accepts(&[
        (
            "sha1",
            " DA39A3EE5E6B4B0D3255BFEF95601890AFD80709\n",
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        ),
        (
            "git-commit-id",
            "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709",
            "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709",
        ),
        (
            "x509-fingerprint-sha1",
            "DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF:95:60:18:90:AF:D8:07:09",
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        ),
        (
            "pehash",
            "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709",
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        ),
        (
            "cdhash",
            "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709AB",
            "da39a3ee5e6b4b0d3255bfef95601890afd80709ab",
        ),
        (
            "ssdeep",
            "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C",
            "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C",
        ),
        ("impfuzzy", "48:Dcokm:Dcokm", "48:Dcokm:Dcokm"),
        ("vhash", "015036656D5223Z", "015036656d5223z"),
    ]);
    for (t, len) in [
        ("sha224", 56),
        ("sha384", 96),
        ("sha512", 128),
        ("sha512/224", 56),
        ("sha512/256", 64),
        ("sha3-224", 56),
        ("sha3-256", 64),
        ("sha3-384", 96),
        ("sha3-512", 128),
        ("imphash", 32),
        ("authentihash", 64),
        ("ja3-fingerprint-md5", 32),
        ("jarm-fingerprint", 62),
        ("hassh-md5", 32),
        ("hasshserver-md5", 32),
        ("dom-hash", 32),
        ("x509-fingerprint-md5", 32),
        ("x509-fingerprint-sha256", 64),
    ] {
        assert_eq!(ok(t, &hex(len)), hex(len).to_ascii_lowercase(), "{t}");
        assert_eq!(err(t, &hex(len - 1)), msg::hash(len), "{t}");
        assert_eq!(err(t, &hex(len + 1)), msg::hash(len), "{t}");
    }
    let tlsh = format!("T1{}", hex(70));
    assert_eq!(ok("tlsh", &tlsh), tlsh.to_ascii_lowercase());
    assert_eq!(err("tlsh", &hex(35)), msg::TLSH);
    assert_eq!(ok("telfhash", &hex(72)), hex(72).to_ascii_lowercase());
    assert_eq!(err("telfhash", &hex(71)), msg::TELFHASH);
    assert_eq!(err("pehash", &hex(32)), msg::PEHASH);
    assert_eq!(err("ssdeep", "AXGBicFlgVNhBGcL6wCrFQEv"), msg::SSDEEP);
    assert_eq!(err("impfuzzy", "x:a:b"), msg::IMPFUZZY);
    assert_eq!(err("cdhash", &hex(39)), msg::CDHASH);
    assert_eq!(err("git-commit-id", "xyz"), msg::hash(40));
}

#[test]
fn filename_composites() {
    let md5 = "D41D8CD98F00B204E9800998ECF8427E";
    let lower = md5.to_ascii_lowercase();
    assert_accepts(&[
        (
            "filename|md5",
            &format!("Setup.EXE|{md5}"),
            &format!("Setup.EXE|{lower}"),
        ),
        (
            "filename|md5",
            &format!("Setup.EXE | {md5}"),
            &format!("Setup.EXE |{lower}"),
        ),
        (
            "filename|imphash",
            &format!("a b.dll|{md5}"),
            &format!("a b.dll|{lower}"),
        ),
        (
            "filename|vhash",
            "x.exe|015036656D5223Z",
            "x.exe|015036656d5223z",
        ),
        (
            "filename|ssdeep",
            "x.exe|3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C",
            "x.exe|3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C",
        ),
        (
            "filename|impfuzzy",
            "x.exe|48:Dcokm:Dcokm",
            "x.exe|48:Dcokm:Dcokm",
        ),
        (
            "malware-sample",
            &format!("x.exe|{md5}"),
            &format!("x.exe|{md5}"),
        ),
        (
            "regkey|value",
            "HKLM\\Software\\Run|C:\\evil.exe",
            "HKLM\\Software\\Run|C:\\evil.exe",
        ),
    ]);
    let tlsh = format!("T1{}", hex(70));
    assert_eq!(
        ok("filename|tlsh", &format!("x|{tlsh}")),
        format!("x|{}", tlsh.to_ascii_lowercase())
    );
    let pehash = hex(40);
    assert_eq!(
        ok("filename|pehash", &format!("x|{pehash}")),
        format!("x|{}", pehash.to_ascii_lowercase())
    );
    for (t, len) in [
        ("filename|sha1", 40),
        ("filename|sha512", 128),
        ("filename|sha3-256", 64),
        ("filename|authentihash", 64),
    ] {
        assert_eq!(
            ok(t, &format!("f|{}", hex(len))),
            format!("f|{}", hex(len).to_ascii_lowercase()),
            "{t}"
        );
        assert_eq!(
            err(t, &format!("f|{}", hex(len - 2))),
            msg::filename_hash(len),
            "{t}"
        );
    }
    assert_eq!(err("filename|md5", &lower), msg::COMPOSITE);
    assert_eq!(err("filename|md5", &format!("a|b|{lower}")), msg::COMPOSITE);
    assert_eq!(
        err("filename|md5", &format!("|{lower}")),
        msg::filename_hash(32)
    );
    assert_eq!(
        err("filename|md5", &format!("a\nb|{lower}")),
        msg::filename_hash(32)
    );
    assert_eq!(
        err("filename|pehash", &format!("x|{lower}")),
        msg::FILENAME_PEHASH
    );
    assert_eq!(err("filename|ssdeep", "a\nb|3:a:b"), msg::FILENAME_NEWLINE);
    assert_eq!(err("filename|ssdeep", "a|zzz"), msg::FILENAME_SSDEEP);
    assert_eq!(err("filename|tlsh", "a|t1abc"), msg::FILENAME_TLSH);
    assert_eq!(err("filename|vhash", "a|"), msg::FILENAME_VHASH);
    assert_eq!(err("filename|impfuzzy", "a|nope"), msg::IMPFUZZY);
    assert_eq!(err("regkey|value", "HKLM\\x|line1\nline2"), msg::NEWLINE);
}

#[test]
fn ip_addresses() {
    assert_accepts(&[
        ("ip-src", " 192.0.2.1 ", "192.0.2.1"),
        ("ip-src", "192[.]0[.]2[.]1", "192.0.2.1"),
        ("ip-src", "10.0.0.1/24", "10.0.0.1/24"),
        ("ip-dst", "10.0.0.0/8", "10.0.0.0/8"),
        (
            "ip-dst",
            "2001:0DB8:0000:0000:0000:0000:0000:0001",
            "2001:db8::1",
        ),
        ("ip-dst", "2001:DB8::/32", "2001:db8::/32"),
        ("ip-dst", "::ffff:192.0.2.1", "::ffff:192.0.2.1"),
        ("ip-dst", "::1", "::1"),
    ]);
    assert_eq!(err("ip-dst", "10.0.0.256"), msg::IP_FORMAT);
    assert_eq!(err("ip-dst", "10.0.0.1/33"), msg::CIDR_V4);
    assert_eq!(err("ip-dst", "2001:db8::/129"), msg::CIDR_V6);
    assert_eq!(err("ip-dst", "10.0.0.1/a"), msg::CIDR_FORMAT);
    assert_eq!(err("ip-dst", "evil.com"), msg::IP_FORMAT);
    assert_eq!(err("ip-dst", "10.0.0.1|80"), msg::IP_FORMAT);
}

#[test]
fn ip_port_composites() {
    assert_accepts(&[
        ("ip-dst|port", "192.0.2.10|443", "192.0.2.10|443"),
        ("ip-dst|port", "192.0.2.10 | 443", "192.0.2.10|443"),
        ("ip-dst|port", "192[.]0[.]2[.]10:443", "192.0.2.10|443"),
        ("ip-dst|port", "2001:DB8:0::1|443", "2001:db8::1|443"),
        ("ip-dst|port", "[2001:DB8::1]:8443", "2001:db8::1|8443"),
        ("ip-src|port", "2001:db8::1 port 22", "2001:db8::1|22"),
        ("ip-src|port", "2001:db8::1#53", "2001:db8::1|53"),
        ("ip-src|port", "2001:db8::1.53", "2001:db8::1|53"),
        ("ip-src|port", "2001:db8::1:53", "2001:db8::1|53"),
        ("ip-src|port", "192.0.2.10|65535", "192.0.2.10|65535"),
        ("ip-src|port", "[2001:db8::1]|443", "2001:db8::1|443"),
    ]);
    assert_eq!(err("ip-dst|port", "192.0.2.10|0"), msg::PORT);
    assert_eq!(err("ip-dst|port", "192.0.2.10|65536"), msg::PORT);
    assert_eq!(err("ip-dst|port", "192.0.2.10|http"), msg::PORT);
    assert_eq!(err("ip-dst|port", "192.0.2.300|80"), msg::IP_FORMAT);
    assert_eq!(err("ip-dst|port", "10.0.0.0/8|80"), msg::IP_FORMAT);
    assert_eq!(err("ip-dst|port", "192.0.2.10"), msg::COMPOSITE);
    assert_eq!(err("ip-dst|port", "192.0.2.10|80|90"), msg::COMPOSITE);
    assert_eq!(err("ip-dst|port", "[2001:db8::1]"), msg::PORT);
    assert_eq!(err("port", "0"), msg::PORT);
    assert_eq!(ok("port", "8080"), "8080");
}

#[test]
fn hosts_and_domains() {
    assert_accepts(&[
        ("domain", "EVIL[.]example(dot)com", "evil.example.com"),
        ("domain", ".example.com.", "example.com"),
        ("domain", "ПРИМЕР.РФ", "xn--e1afmkfd.xn--p1ai"),
        ("domain", "_dmarc.example.com", "_dmarc.example.com"),
        ("hostname", "WWW.Example.com", "www.example.com"),
        ("hostname", "www.пример.рф.", "www.xn--e1afmkfd.xn--p1ai"),
        (
            "hostname|port",
            "WWW.Example.com:8080",
            "www.example.com|8080",
        ),
        ("hostname|port", "www.example.com.|80", "www.example.com|80"),
        ("hostname|port", "evil[.]com|80", "evil.com|80"),
        (
            "domain|ip",
            "Example.COM.|2001:DB8::1",
            "example.com|2001:db8::1",
        ),
        (
            "domain|ip",
            "evil[.]com|10[.]0[.]0[.]1",
            "evil.com|10.0.0.1",
        ),
        (
            "domain|ip",
            "пример.рф|10.0.0.1",
            "xn--e1afmkfd.xn--p1ai|10.0.0.1",
        ),
    ]);
    assert_eq!(
        err("domain", "localhost"),
        "Domain has an invalid format. Please double check the value or select type \"other\"."
    );
    assert_eq!(
        err("hostname", "bad host.com"),
        "Hostname has an invalid format. Please double check the value or select type \"other\"."
    );
    assert_eq!(err("domain", "example.c"), msg::host("domain"));
    assert_eq!(err("hostname|port", "localhost|80"), msg::HOSTNAME_FORMAT);
    assert_eq!(err("hostname|port", "example.com|99999"), msg::PORT);
    assert_eq!(err("hostname|port", "example.com"), msg::COMPOSITE);
    assert_eq!(err("domain|ip", "example|10.0.0.1"), msg::DOMAIN_FORMAT);
    assert_eq!(err("domain|ip", "example.com|10.0.0.1/24"), msg::IP_FORMAT);
    assert_eq!(err("domain|ip", "example.com"), msg::COMPOSITE);
}

#[test]
fn urls_and_links() {
    assert_accepts(&[
        (
            "url",
            "hxxps://evil[.]com[:]8443/path?q=1",
            "https://evil.com:8443/path?q=1",
        ),
        ("url", "meow://evil.com", "http://evil.com"),
        ("url", "evil.com/just/a/path", "evil.com/just/a/path"),
        ("uri", "/wp-admin/x.php", "/wp-admin/x.php"),
        (
            "link",
            "https://example.com/report",
            "https://example.com/report",
        ),
        (
            "link",
            "hxxps://example[.]com/report",
            "https://example.com/report",
        ),
    ]);
    assert_eq!(err("url", "http://a\nhttp://b"), msg::NEWLINE);
    assert_eq!(err("link", "example.com/report"), msg::DEFAULT);
    assert_eq!(err("link", "https://exa mple.com"), msg::DEFAULT);
}

#[test]
fn email_types() {
    assert_accepts(&[
        ("email", "Bob@Example.COM", "bob@example.com"),
        ("email-src", "bob[at]evil[.]com", "bob@evil.com"),
        ("email-dst", "Bob[@]Evil.com", "bob@evil.com"),
        ("target-email", "Bob@Example.COM", "bob@example.com"),
        (
            "whois-registrant-email",
            "Bob@Example.COM",
            "bob@example.com",
        ),
        ("eppn", "Bob@Example.COM", "Bob@Example.COM"),
        (
            "dns-soa-email",
            "HostMaster@Example.COM",
            "HostMaster@Example.COM",
        ),
        ("jabber-id", "Bob@Jabber.org/Home", "Bob@Jabber.org/Home"),
    ]);
    assert_refuses(&[
        ("email", "bob"),
        ("email", "bob@localhost"),
        ("email", "b ob@x.com"),
        ("jabber-id", "bob"),
    ]);
    assert_eq!(err("email", "bob"), msg::EMAIL);
}

#[test]
fn identifiers() {
    assert_accepts(&[
        ("vulnerability", "cve-2021-44228", "CVE-2021-44228"),
        (
            "vulnerability",
            "CVE\u{2013}2021\u{2013}44228",
            "CVE-2021-44228",
        ),
        ("weakness", "cwe-79", "CWE-79"),
        (
            "cpe",
            "cpe:2.3:a:Apache:log4j:2.14.1:*:*:*:*:*:*:*",
            "cpe:2.3:a:Apache:log4j:2.14.1:*:*:*:*:*:*:*",
        ),
        ("AS", "AS13335", "13335"),
        ("AS", "as13335", "13335"),
        ("AS", "13335", "13335"),
        ("AS", "AS1.10", "65546"),
        ("AS", "4294967295", "4294967295"),
        ("mac-address", "00-1A-2B-3C-4D-5E", "00:1a:2b:3c:4d:5e"),
        ("mac-address", "001A.2B3C.4D5E", "00:1a:2b:3c:4d:5e"),
        (
            "mac-eui-64",
            "00:1A:2B:FF:FE:3C:4D:5E",
            "00:1a:2b:ff:fe:3c:4d:5e",
        ),
        (
            "onion-address",
            "ExpYuzz4wqqyqhjn.onion",
            "expyuzz4wqqyqhjn.onion",
        ),
        (
            "uuid",
            "5F3B8C2A-1D4E-4F6A-9B7C-0D1E2F3A4B5C",
            "5f3b8c2a-1d4e-4f6a-9b7c-0d1e2f3a4b5c",
        ),
        ("http-method", "post", "POST"),
        ("hex", "deadBEEF", "DEADBEEF"),
        (
            "ssh-fingerprint",
            "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8",
            "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8",
        ),
    ]);
    assert_eq!(err("vulnerability", "CVE-21-44228"), msg::CVE);
    assert_eq!(err("vulnerability", "CVE-2021-442"), msg::CVE);
    assert_eq!(err("weakness", "CWE-"), msg::CWE);
    assert_eq!(err("AS", "4294967296"), msg::AS);
    assert_eq!(err("AS", "ASN13335"), msg::AS);
    assert_eq!(err("mac-address", "00:1a:2b:3c:4d"), msg::DEFAULT);
    assert_eq!(err("mac-eui-64", "00:1a:2b:3c:4d:5e"), msg::DEFAULT);
    assert_eq!(err("onion-address", "example.onion"), msg::ONION);
    assert_eq!(err("uuid", "not-a-uuid"), msg::UUID);
    assert_eq!(err("http-method", "FETCH"), msg::HTTP_METHOD);
    assert_eq!(err("hex", "0xZZ"), msg::DEFAULT);
    assert_eq!(err("ssh-fingerprint", "SHA256:abc"), msg::SSH);
}

#[test]
fn numbers_and_money() {
    assert_accepts(&[
        ("cc-number", "4111 1111-1111 1111", "4111111111111111"),
        ("bin", "411111xx", "411111"),
        (
            "iban",
            "de89 3704 0044 0532 0130 00",
            "DE89370400440532013000",
        ),
        ("bic", "deut-de-ff", "DEUTDEFF"),
        ("phone-number", "0049 (0)30 1234-5678", "+493012345678"),
        ("phone-number", "+1 (555) 010-9999", "+15550109999"),
        ("whois-registrant-phone", "+33.123456789", "+33123456789"),
        ("prtn", "00 1 800 555", "+1800555"),
        ("bank-account-nr", "12345678", "12345678"),
        ("aba-rtn", "011000015", "011000015"),
        ("float", "-1.5e3", "-1.5e3"),
        ("integer", "-42", "-42"),
        ("size-in-bytes", "1024", "1024"),
        ("counter", "0", "0"),
        (
            "btc",
            "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
            "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
        ),
        (
            "xmr",
            "4AdUndXHHZ6cfufTMvppY6JwXNouMBzSkbLYfpAV5Usx",
            "4AdUndXHHZ6cfufTMvppY6JwXNouMBzSkbLYfpAV5Usx",
        ),
        (
            "dash",
            "XpESxaUmonkq8RaLLp46Brx2K39ggQe226",
            "XpESxaUmonkq8RaLLp46Brx2K39ggQe226",
        ),
    ]);
    assert_eq!(err("cc-number", "no digits"), msg::EMPTY);
    assert_eq!(err("phone-number", "1+2"), msg::DEFAULT);
    assert_eq!(err("float", "1,5"), msg::DEFAULT);
    assert_eq!(err("integer", "1.5"), msg::INTEGER);
    assert_eq!(err("size-in-bytes", "-1"), msg::WHOLE_NUMBER);
    assert_eq!(err("counter", "1e3"), msg::WHOLE_NUMBER);
    assert_eq!(err("btc", "bc1-q"), msg::DEFAULT);
    assert_eq!(err("bank-account-nr", "DE12"), msg::DEFAULT);
}

#[test]
fn booleans_and_datetimes() {
    assert_accepts(&[
        ("boolean", "true", "1"),
        ("boolean", " TRUE ", "1"),
        ("boolean", "false", "0"),
        ("boolean", "1", "1"),
        ("boolean", "0", "0"),
        // PHP truthiness, as MISP.
        ("boolean", "no", "1"),
        ("datetime", "2024-01-02", "2024-01-02T00:00:00.000000+0000"),
        (
            "datetime",
            "2024-01-02T03:04:05Z",
            "2024-01-02T03:04:05.000000+0000",
        ),
        (
            "datetime",
            "2024-01-02T03:04:05.5+02:00",
            "2024-01-02T03:04:05.500000+0200",
        ),
        (
            "datetime",
            "2024-01-02T03:04:05.500000+0200",
            "2024-01-02T03:04:05.500000+0200",
        ),
    ]);
    assert_eq!(err("datetime", "next tuesday"), msg::DATETIME);
    assert_eq!(err("datetime", "2024"), msg::DATETIME);
    assert_eq!(
        ok("datetime", "@1700000000"),
        "2023-11-14T22:13:20.000000+0000"
    );
    assert_eq!(err("datetime", "2024-02-30"), msg::DATETIME);
}

#[test]
fn free_text_rules() {
    assert_accepts(&[
        ("text", "  multi\nline\ttext  ", "multi\nline\ttext"),
        ("comment", "0", "0"),
        ("email-body", "Hello\r\nWorld", "Hello\r\nWorld"),
        (
            "yara",
            "rule a { condition: true }\n",
            "rule a { condition: true }",
        ),
        ("anonymised", "SomeThing", "something"),
        ("filename", "Résumé 📄.pdf", "Résumé 📄.pdf"),
        ("windows-service-name", "EvilSvc", "EvilSvc"),
        ("cortex", "{\"a\": [1, 2]}", "{\"a\": [1, 2]}"),
        ("user-agent", "Mozilla/5.0 (X11)", "Mozilla/5.0 (X11)"),
        ("text", "hxxp://evil[.]com", "hxxp://evil[.]com"),
    ]);
    assert_eq!(err("filename", "a\nb"), msg::NEWLINE);
    assert_eq!(err("pdb", "a\nb"), msg::NEWLINE);
    assert_eq!(err("windows-service-name", "C:\\svc"), msg::WINDOWS_SERVICE);
    assert_eq!(
        err("windows-service-displayname", &"a".repeat(257)),
        msg::WINDOWS_SERVICE
    );
    assert_eq!(err("cortex", "{not json"), msg::DEFAULT);
    assert_eq!(err("text", "   \n\t "), msg::EMPTY);
    assert_eq!(err("text", ""), msg::EMPTY);
    assert_eq!(err("text", "\x01\x02"), msg::CONTROL);
    assert_eq!(err("regkey|value", "\x01|x"), msg::CONTROL);
    assert_eq!(err("text", &"a".repeat(MAX_VALUE_BYTES + 1)), msg::TOO_LONG);
    assert_eq!(
        ok("text", &"a".repeat(MAX_VALUE_BYTES)).len(),
        MAX_VALUE_BYTES
    );
}

#[test]
fn unknown_types_are_refused() {
    for t in ["", "foo", "MD5", "ip-dst|portx", "filename|crc32"] {
        assert_eq!(err(t, "x"), msg::INVALID_TYPE, "{t:?}");
    }
}

#[test]
fn composites() {
    let composite: Vec<&str> = TYPES.iter().copied().filter(|t| is_composite(t)).collect();
    assert!(composite.contains(&"malware-sample"));
    assert!(composite.contains(&"regkey|value"));
    assert!(!is_composite("md5") && !is_composite("foo|bar"));
    assert_eq!(
        composite.len(),
        TYPES.iter().filter(|t| t.contains('|')).count() + 1
    );

    let s = |a: &str, b: &str| Some((a.to_owned(), b.to_owned()));
    assert_eq!(
        split_composite("ip-dst|port", "2001:db8::1|443"),
        s("2001:db8::1", "443")
    );
    assert_eq!(
        split_composite("malware-sample", "x.exe|abc"),
        s("x.exe", "abc")
    );
    assert_eq!(split_composite("regkey|value", "k|"), s("k", ""));
    assert_eq!(split_composite("md5", "a|b"), s("a|b", ""));
    assert_eq!(split_composite("domain|ip", "example.com"), None);
    assert_eq!(split_composite("domain|ip", "a|b|c"), None);
}

/// A plausible valid value of every MISP type.
fn sample(t: &str) -> String {
    if let Some(len) = hash_len(t) {
        return hex(len);
    }
    if let Some(len) = t.strip_prefix("filename|").and_then(hash_len) {
        return format!("x.exe|{}", hex(len));
    }
    let tlsh = format!("T1{}", hex(70));
    let ssdeep = "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C";
    match t {
        "ip-src" | "ip-dst" => "192.0.2.1".into(),
        "hostname" | "domain" => "www.example.com".into(),
        "domain|ip" => "example.com|192.0.2.1".into(),
        "email"
        | "email-src"
        | "eppn"
        | "email-dst"
        | "target-email"
        | "whois-registrant-email"
        | "dns-soa-email"
        | "jabber-id" => "bob@example.com".into(),
        "float" => "1.5".into(),
        "url" | "link" => "https://example.com/a".into(),
        "http-method" => "GET".into(),
        "regkey|value" => "HKLM\\Run|evil.exe".into(),
        "AS" => "AS64496".into(),
        "ssh-fingerprint" => "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8".into(),
        "vulnerability" => "CVE-2021-44228".into(),
        "weakness" => "CWE-79".into(),
        "malware-sample" => format!("x.exe|{}", hex(32)),
        "hex" => "DEADBEEF".into(),
        "btc" | "dash" | "xmr" => "1BoatSLRHtKNngkdXEeobR76b53LETtpyT".into(),
        "iban" => "DE89370400440532013000".into(),
        "bic" => "DEUTDEFF".into(),
        "bank-account-nr" | "aba-rtn" | "bin" | "cc-number" => "4111111111111111".into(),
        "prtn" | "phone-number" | "whois-registrant-phone" => "+15550109999".into(),
        "vhash" => "015036656d5223z".into(),
        "ssdeep" => ssdeep.into(),
        "impfuzzy" => "48:Dcokm:Dcokm".into(),
        "telfhash" => hex(70),
        "tlsh" => tlsh,
        "cdhash" => hex(40),
        "filename|vhash" => "x.exe|015036656d5223z".into(),
        "filename|ssdeep" => format!("x.exe|{ssdeep}"),
        "filename|impfuzzy" => "x.exe|48:Dcokm:Dcokm".into(),
        "filename|pehash" => format!("x.exe|{}", hex(40)),
        "filename|tlsh" => format!("x.exe|{tlsh}"),
        "size-in-bytes" | "counter" | "integer" => "42".into(),
        "datetime" => "2024-01-02T03:04:05Z".into(),
        "port" => "443".into(),
        "ip-dst|port" | "ip-src|port" => "192.0.2.1|443".into(),
        "hostname|port" => "www.example.com|443".into(),
        "mac-address" => "00:1a:2b:3c:4d:5e".into(),
        "mac-eui-64" => "00:1a:2b:ff:fe:3c:4d:5e".into(),
        "cortex" => "{}".into(),
        "boolean" => "true".into(),
        "uuid" => "5f3b8c2a-1d4e-4f6a-9b7c-0d1e2f3a4b5c".into(),
        "onion-address" => "expyuzz4wqqyqhjn.onion".into(),
        _ => "sample value 🙂".into(),
    }
}

#[test]
fn every_type_has_a_rule_and_accepts_a_sample() {
    assert_eq!(TYPES.len(), 194);
    for t in TYPES {
        assert!(rule_for(t).is_some(), "{t} has no rule");
        let v = sample(t);
        let normalised = ok(t, &v);
        // Normalising is idempotent.
        assert_eq!(ok(t, &normalised), normalised, "{t}");
        if is_composite(t) {
            assert!(split_composite(t, &normalised).is_some(), "{t}");
        }
    }
}

#[test]
fn no_type_panics_on_odd_input() {
    let long = "9".repeat(70_000);
    let odd = [
        "",
        " ",
        "|",
        "||",
        "0",
        "t",
        "@",
        "[",
        "]",
        "[:",
        "[]:",
        "[::1]",
        ":::",
        "/",
        "a/b/c",
        "AS",
        "AS.",
        "1.",
        ".1",
        "..",
        "🦀",
        "🦀|🦀",
        "\u{0}",
        "\n|\n",
        "x|",
        "|x",
        "00",
        "(0)",
        "%",
        "-",
        "@-",
        "2024",
        "T1",
        "hxx",
        "пример",
        "xn--",
        "::ffff:1.2.3.4:80",
        "1.2.3.4|80|90",
        "[2001:db8::1]443",
        "99999999999999999999999999999999999999999999",
        "1.99999999999999999999999",
        "@99999999999999999999",
        "http://[",
        "http://a@",
        "mailto:",
        "SHA256:",
        "MD5:",
        long.as_str(),
    ];
    for t in TYPES {
        for input in odd {
            let _ = normalise(t, input);
            let _ = split_composite(t, input);
        }
    }
}

#[test]
fn ssdeep_wrapped_over_lines_is_joined() {
    assert_eq!(
        normalise("ssdeep", "3072:GxXIbbVcpID+5/MiPDH8QnO3oMc+i+TN85mQLP\r\ngpnejnceJEOED:Gx4bbVZD+5\r\n/MiPDchdi+TN85muP0SlO").as_deref(),
        Ok("3072:GxXIbbVcpID+5/MiPDH8QnO3oMc+i+TN85mQLPgpnejnceJEOED:Gx4bbVZD+5/MiPDchdi+TN85muP0SlO")
    );
}
