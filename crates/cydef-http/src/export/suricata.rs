//! The Suricata rules that differ from Snort's (MISP's
//! `NidsSuricataExport`): DNS and HTTP keywords for host names and domains,
//! URLs by scheme (HTTP host and path, TLS SNI, SSH and FTP to an address),
//! user agents and JA3 hashes. Everything else is `nids.rs`.

use std::net::IpAddr;

use super::nids::{preg_quote, replace_illegal_chars, Rule, RuleCtx, SESSION};

/// `dns.query`, then the HTTP `Host` header.
pub(super) fn domain(c: &RuleCtx<'_>, value: &str, sid: &mut i64, rules: &mut Vec<String>) {
    let v = replace_illegal_chars(value);
    let q = preg_quote(&v);
    rules.push(c.render(&Rule {
        proto: "dns",
        src: ("any", "any"),
        dst: ("any", "any"),
        msg: format!("Domain {v}"),
        content: format!("dns.query; content:\"{v}\"; nocase; pcre: \"/(^|[^A-Za-z0-9-]){q}$/i\";"),
        tag: "",
        sid: *sid,
    }));
    *sid += 1;
    rules.push(c.render(&Rule {
        proto: "http",
        src: ("$HOME_NET", "any"),
        dst: ("$EXTERNAL_NET", "any"),
        msg: format!("Outgoing HTTP Domain {v}"),
        content: format!(
            "flow:to_server,established; http.header; content: \"Host|3a|\"; nocase; http.header; content:\"{v}\"; fast_pattern; nocase; pcre: \"/(^|[^A-Za-z0-9-]){q}[^A-Za-z0-9-\\.]/Hi\";"
        ),
        tag: SESSION,
        sid: *sid,
    }));
}

pub(super) fn hostname(c: &RuleCtx<'_>, value: &str, sid: i64, rules: &mut Vec<String>) {
    let v = replace_illegal_chars(value);
    let q = preg_quote(&v);
    rules.push(c.render(&Rule {
        proto: "dns",
        src: ("any", "any"),
        dst: ("any", "any"),
        msg: format!("Hostname {v}"),
        content: format!(
            "dns.query; content:\"{v}\"; nocase; pcre: \"/(^|[^A-Za-z0-9-\\.]){q}$/i\";"
        ),
        tag: "",
        sid,
    }));
    rules.push(c.render(&Rule {
        proto: "http",
        src: ("$HOME_NET", "any"),
        dst: ("$EXTERNAL_NET", "any"),
        msg: format!("Outgoing HTTP Hostname {v}"),
        content: format!(
            "flow:to_server,established; http.header; content: \"Host|3a| {v}\"; fast_pattern; nocase; pcre: \"/(^|[^A-Za-z0-9-\\.]){q}[^A-Za-z0-9-\\.]/Hi\";"
        ),
        tag: SESSION,
        sid: sid + 1,
    }));
}

pub(super) fn user_agent(c: &RuleCtx<'_>, value: &str, sid: i64, rules: &mut Vec<String>) {
    let v = replace_illegal_chars(value);
    rules.push(c.render(&Rule {
        proto: "http",
        src: ("$HOME_NET", "any"),
        dst: ("$EXTERNAL_NET", "any"),
        msg: format!("Outgoing User-Agent {v}"),
        content: format!(
            "flow:to_server,established; content:\"{v}\"; fast_pattern; http_user_agent;"
        ),
        tag: SESSION,
        sid,
    }));
}

/// `ja3` or `ja3s` hashes.
pub(super) fn ja3(c: &RuleCtx<'_>, kind: &str, value: &str, sid: i64, rules: &mut Vec<String>) {
    let v = replace_illegal_chars(value);
    let label = kind.to_ascii_uppercase();
    rules.push(c.render(&Rule {
        proto: "tls",
        src: ("any", "any"),
        dst: ("any", "any"),
        msg: format!("{label} Hash: {v}"),
        content: format!("{kind}.hash; content:\"{v}\"; fast_pattern;"),
        tag: SESSION,
        sid,
    }));
}

/// A URL, by scheme: `http` (host and path), `https` (TLS SNI), `ssh` and
/// `ftp` (only to an IP address: a name gives no rule), anything else as an
/// HTTP URI.
pub(super) fn url(c: &RuleCtx<'_>, value: &str, sid: i64, rules: &mut Vec<String>) {
    let parsed = parse_url(value);
    let scheme = parsed.as_ref().and_then(|u| u.scheme);
    let host = parsed.as_ref().and_then(|u| u.host).unwrap_or_default();
    let port = parsed.as_ref().and_then(|u| u.port);
    let path = parsed.as_ref().and_then(|u| u.path);
    let rule = |proto: &str, dst: (&str, &str), content: String, tag: &str| {
        c.render(&Rule {
            proto,
            src: ("$HOME_NET", "any"),
            dst,
            msg: format!("Outgoing URL {}", replace_illegal_chars(value)),
            content,
            tag,
            sid,
        })
    };
    let port_or = |default: &str| port.map_or_else(|| default.to_owned(), |p| p.to_string());
    let r = match scheme {
        Some("http") => {
            let h = replace_illegal_chars(host);
            let h = h.trim_matches(['[', ']']);
            let dst_ip = if is_ip(h) { h } else { "$EXTERNAL_NET" };
            let content = match path {
                // MISP writes the path unescaped; it is escaped here so that
                // the rule stays valid.
                Some(p) => format!(
                    "flow:to_server,established; http.header; content:\"{h}\"; fast_pattern; nocase; http.uri; content:\"{}\"; nocase;",
                    replace_illegal_chars(p)
                ),
                None => format!("flow:to_server,established; http.header; content:\"{h}\"; nocase;"),
            };
            rule("http", (dst_ip, &port_or("$HTTP_PORTS")), content, SESSION)
        }
        Some("https") => {
            let h = replace_illegal_chars(host);
            rule(
                "tls",
                ("$EXTERNAL_NET", &port_or("443")),
                format!("tls.sni; content:\"{h}\";"),
                SESSION,
            )
        }
        Some("ssh") if is_ip(host) => rule(
            "tcp",
            (host, "$SSH_PORTS"),
            "flow:to_server; app-layer-protocol:ssh;".to_owned(),
            "",
        ),
        Some("ftp") if is_ip(host) => rule(
            "tcp",
            (host, &port_or("[20,21]")),
            "flow:to_server; app-layer-protocol:ftp;".to_owned(),
            "",
        ),
        Some("ssh" | "ftp") => return,
        _ => rule(
            "http",
            ("$EXTERNAL_NET", "any"),
            format!(
                "flow:to_server,established; http.uri; content:\"{}\"; fast_pattern; nocase;",
                replace_illegal_chars(value)
            ),
            SESSION,
        ),
    };
    rules.push(r);
}

fn is_ip(s: &str) -> bool {
    s.parse::<IpAddr>().is_ok()
}

/// What MISP reads of a URL with PHP's `parse_url`.
#[derive(Debug, PartialEq, Eq)]
struct Url<'a> {
    scheme: Option<&'a str>,
    host: Option<&'a str>,
    port: Option<u16>,
    path: Option<&'a str>,
}

/// `scheme://[user@]host[:port][/path][?query][#fragment]`; `None` where
/// PHP's `parse_url` fails (an empty host, a bad port). A value without
/// `scheme://` has no scheme (MISP's fallback rule ignores the rest).
fn parse_url(s: &str) -> Option<Url<'_>> {
    let Some((scheme, rest)) = s.split_once("://").filter(|(scheme, _)| {
        let mut chars = scheme.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    }) else {
        return Some(Url {
            scheme: None,
            host: None,
            port: None,
            path: None,
        });
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if authority.is_empty() {
        return None;
    }
    let (host, port) = if authority.starts_with('[') {
        match authority.find(']') {
            Some(i) => (&authority[..=i], authority[i + 1..].strip_prefix(':')),
            None => return None,
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        None | Some("") => None,
        Some(p) if p.bytes().all(|b| b.is_ascii_digit()) => Some(p.parse::<u16>().ok()?),
        Some(_) => return None,
    };
    let path_end = tail.find(['?', '#']).unwrap_or(tail.len());
    let path = Some(&tail[..path_end]).filter(|p| !p.is_empty());
    Some(Url {
        scheme: Some(scheme),
        host: Some(host),
        port,
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{attribute, attributes, event, item};
    use super::super::{Context, Flavor, Nids};
    use super::*;

    const REF: &str = "reference:url,/events/view/7;) ";

    fn rules(attr_type: &str, value: &str) -> Vec<String> {
        let e = event(7);
        let a = attribute(3, attr_type, value);
        let ctx = Context {
            nids_sid: 4_000_000,
            baseurl: String::new(),
            now: 0,
        };
        let out = attributes(&mut Nids::new(Flavor::Suricata, &ctx), &[item(&a, &e)]);
        assert!(out.starts_with("# MISP export of IDS rules - optimized for suricata\n"));
        out.lines().skip(10).map(str::to_owned).collect()
    }

    #[test]
    fn domains_and_host_names() {
        assert_eq!(
            rules("domain", "evil.example"),
            [
                format!("alert dns any any -> any any (msg: \"MISP e7 [] Domain evil.example\"; dns.query; content:\"evil.example\"; nocase; pcre: \"/(^|[^A-Za-z0-9-])evil\\.example$/i\";  classtype:trojan-activity; sid:4000031; rev:1; priority:1; {REF}"),
                format!("alert http $HOME_NET any -> $EXTERNAL_NET any (msg: \"MISP e7 [] Outgoing HTTP Domain evil.example\"; flow:to_server,established; http.header; content: \"Host|3a|\"; nocase; http.header; content:\"evil.example\"; fast_pattern; nocase; pcre: \"/(^|[^A-Za-z0-9-])evil\\.example[^A-Za-z0-9-\\.]/Hi\"; tag:session,600,seconds; classtype:trojan-activity; sid:4000032; rev:1; priority:1; {REF}"),
            ]
        );
        assert_eq!(
            rules("hostname", "www.evil.example")[1],
            format!("alert http $HOME_NET any -> $EXTERNAL_NET any (msg: \"MISP e7 [] Outgoing HTTP Hostname www.evil.example\"; flow:to_server,established; http.header; content: \"Host|3a| www.evil.example\"; fast_pattern; nocase; pcre: \"/(^|[^A-Za-z0-9-\\.])www\\.evil\\.example[^A-Za-z0-9-\\.]/Hi\"; tag:session,600,seconds; classtype:trojan-activity; sid:4000032; rev:1; priority:1; {REF}")
        );
        // domain|ip: the domain's two rules, then the address both ways.
        let r = rules("domain|ip", "evil.example|198.51.100.7");
        assert_eq!(r.len(), 4);
        assert!(r[2].starts_with("alert ip $HOME_NET any -> 198.51.100.7 any (msg: \"MISP e7 [] Outgoing To IP: 198.51.100.7\";"));
        assert!(r[2].contains("sid:4000033;"));
        assert!(r[3].starts_with("alert ip 198.51.100.7 any -> $HOME_NET any (msg: \"MISP e7 [] Incoming From IP: 198.51.100.7\";"));
        assert!(r[3].contains("sid:4000034;"));
    }

    #[test]
    fn urls_by_scheme() {
        assert_eq!(
            rules("url", "http://evil.example/path?q=1"),
            [format!("alert http $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS (msg: \"MISP e7 [] Outgoing URL http|3a|//evil.example/path?q=1\"; flow:to_server,established; http.header; content:\"evil.example\"; fast_pattern; nocase; http.uri; content:\"/path\"; nocase; tag:session,600,seconds; classtype:trojan-activity; sid:4000031; rev:1; priority:1; {REF}")]
        );
        assert_eq!(
            rules("url", "http://198.51.100.7:8080"),
            [format!("alert http $HOME_NET any -> 198.51.100.7 8080 (msg: \"MISP e7 [] Outgoing URL http|3a|//198.51.100.7|3a|8080\"; flow:to_server,established; http.header; content:\"198.51.100.7\"; nocase; tag:session,600,seconds; classtype:trojan-activity; sid:4000031; rev:1; priority:1; {REF}")]
        );
        assert_eq!(
            rules("url", "https://evil.example/x"),
            [format!("alert tls $HOME_NET any -> $EXTERNAL_NET 443 (msg: \"MISP e7 [] Outgoing URL https|3a|//evil.example/x\"; tls.sni; content:\"evil.example\"; tag:session,600,seconds; classtype:trojan-activity; sid:4000031; rev:1; priority:1; {REF}")]
        );
        assert_eq!(
            rules("url", "ssh://198.51.100.7"),
            [format!("alert tcp $HOME_NET any -> 198.51.100.7 $SSH_PORTS (msg: \"MISP e7 [] Outgoing URL ssh|3a|//198.51.100.7\"; flow:to_server; app-layer-protocol:ssh;  classtype:trojan-activity; sid:4000031; rev:1; priority:1; {REF}")]
        );
        assert!(rules("url", "ftp://files.example/a").is_empty());
        assert_eq!(
            rules("url", "evil.example/a\"b"),
            [format!("alert http $HOME_NET any -> $EXTERNAL_NET any (msg: \"MISP e7 [] Outgoing URL evil.example/a|22|b\"; flow:to_server,established; http.uri; content:\"evil.example/a|22|b\"; fast_pattern; nocase; tag:session,600,seconds; classtype:trojan-activity; sid:4000031; rev:1; priority:1; {REF}")]
        );
    }

    #[test]
    fn user_agents_and_ja3() {
        assert_eq!(
            rules("user-agent", "Evil/1.0"),
            [format!("alert http $HOME_NET any -> $EXTERNAL_NET any (msg: \"MISP e7 [] Outgoing User-Agent Evil/1.0\"; flow:to_server,established; content:\"Evil/1.0\"; fast_pattern; http_user_agent; tag:session,600,seconds; classtype:trojan-activity; sid:4000031; rev:1; priority:1; {REF}")]
        );
        assert_eq!(
            rules("ja3-fingerprint-md5", "e7d705a3286e19ea42f587b344ee6865"),
            [format!("alert tls any any -> any any (msg: \"MISP e7 [] JA3 Hash: e7d705a3286e19ea42f587b344ee6865\"; ja3.hash; content:\"e7d705a3286e19ea42f587b344ee6865\"; fast_pattern; tag:session,600,seconds; classtype:trojan-activity; sid:4000031; rev:1; priority:1; {REF}")]
        );
        assert!(rules("md5", "d41d8cd98f00b204e9800998ecf8427e").is_empty());
    }

    #[test]
    fn urls_as_php_reads_them() {
        let u = parse_url("http://user@[2001:db8::1]:8080/a/b?c#d").expect("a URL");
        assert_eq!(
            u,
            Url {
                scheme: Some("http"),
                host: Some("[2001:db8::1]"),
                port: Some(8080),
                path: Some("/a/b"),
            }
        );
        assert_eq!(parse_url("http://"), None);
        assert_eq!(parse_url("http://host:99999/"), None);
        assert_eq!(parse_url("evil.example/x").and_then(|u| u.scheme), None);
    }
}
