//! `rpz`: a DNS Response Policy Zone (MISP's `RPZExport`) of the distinct
//! addresses (`ip-src`, `ip-dst`, the address of `domain|ip`), domains
//! (`domain`, the domain of `domain|ip`; their sub-domains too) and host
//! names (`hostname`), each section under a comment saying what the policy
//! does. The zone's SOA and NS records come from the search's settings,
//! else MISP's defaults (policy NXDOMAIN, `localhost.`, `root.localhost`,
//! serial `$date00`, refresh 2h, retry 30m, expiry 30d, minimum TTL 1h,
//! TTL 1w). An empty result is a zone with only those records.

use std::collections::HashSet;
use std::net::Ipv6Addr;

use cydef_model::search::RpzSettings;

use super::{Exporter, Item};

/// MISP's policies: name, what it does, and the record's target (`None`:
/// the walled garden).
const POLICIES: &[(&str, &str, Option<&str>)] = &[
    ("DROP", "timeout.", Some("rpz-drop.")),
    (
        "NXDOMAIN",
        "return NXDOMAIN (name does not exist) irrespective of actual result received.",
        Some("."),
    ),
    (
        "NODATA",
        "returns NODATA (name exists but no answers returned) irrespective of actual result received.",
        Some("*."),
    ),
    ("Local-Data", "returns the defined alternate location.", None),
    (
        "PASSTHRU",
        "lets queries through, but allows for logging the hits (useful for testing).",
        Some("rpz-passthru."),
    ),
    ("TCP-only", "force the client to use TCP.", Some("rpz-tcp-only.")),
];

/// The distinct values of one section, in the order first found.
#[derive(Debug, Default)]
struct Section {
    seen: HashSet<String>,
    items: Vec<String>,
}

impl Section {
    fn add(&mut self, v: &str) {
        if self.seen.insert(v.to_owned()) {
            self.items.push(v.to_owned());
        }
    }
}

/// The RPZ export.
#[derive(Debug)]
pub struct Rpz {
    settings: RpzSettings,
    now: i64,
    ips: Section,
    domains: Section,
    hostnames: Section,
}

impl Rpz {
    pub fn new(settings: &RpzSettings, now: i64) -> Self {
        Self {
            settings: settings.clone(),
            now,
            ips: Section::default(),
            domains: Section::default(),
            hostnames: Section::default(),
        }
    }
}

impl Exporter for Rpz {
    fn header(&mut self, _out: &mut String) {}

    fn attribute(&mut self, item: &Item<'_>, _out: &mut String) {
        let a = item.attribute;
        match a.attr_type.as_str() {
            "ip-src" | "ip-dst" => self.ips.add(&a.value1),
            "domain" => self.domains.add(&a.value1),
            "domain|ip" => {
                self.domains.add(&a.value1);
                self.ips.add(&a.value2);
            }
            "hostname" => self.hostnames.add(&a.value1),
            _ => {}
        }
    }

    fn footer(&mut self, out: &mut String) {
        let s = &self.settings;
        let get =
            |v: &Option<String>, default: &str| v.clone().unwrap_or_else(|| default.to_owned());
        // An unknown policy name is ignored, as in MISP.
        let (_, explanation, target) = s
            .policy
            .as_deref()
            .and_then(|p| POLICIES.iter().find(|(name, _, _)| *name == p))
            .or_else(|| POLICIES.iter().find(|(name, _, _)| *name == "NXDOMAIN"))
            .copied()
            .unwrap_or(POLICIES[1]);
        let action = match target {
            Some(t) => t.to_owned(),
            None => get(&s.walled_garden, "127.0.0.1"),
        };
        let ns = get(&s.ns, "localhost.");
        let serial = get(&s.serial, "$date00")
            .replace("$date", &ymd(self.now))
            .replace("$time", &self.now.to_string());
        out.push_str(&format!("$TTL {};\n", get(&s.ttl, "1w")));
        out.push_str(&format!(
            "@               SOA {ns} {} ({serial} {} {} {} {})\n",
            get(&s.email, "root.localhost"),
            get(&s.refresh, "2h"),
            get(&s.retry, "30m"),
            get(&s.expiry, "30d"),
            get(&s.minimum_ttl, "1h"),
        ));
        out.push_str(&format!("                NS {ns}\n"));
        if let Some(alt) = s.ns_alt.as_deref().filter(|a| !a.is_empty()) {
            out.push_str(&format!("                NS {alt}\n"));
        }
        out.push('\n');
        let sections: [(&Section, &str); 3] = [
            (&self.ips, "list of IP addresses"),
            (&self.domains, "domain names and all of their sub-domains"),
            (&self.hostnames, "hostnames"),
        ];
        for (i, (section, what)) in sections.into_iter().enumerate() {
            if section.items.is_empty() {
                continue;
            }
            out.push_str(&format!("; The following {what} will {explanation}\n"));
            for item in &section.items {
                match i {
                    0 => out.push_str(&format!("{} CNAME {action}\n", rpz_ip(item))),
                    1 => out.push_str(&format!("{item} CNAME {action}\n*.{item} CNAME {action}\n")),
                    _ => out.push_str(&format!("{item} CNAME {action}\n")),
                }
            }
            out.push('\n');
        }
    }
}

/// An address or network as an RPZ IP trigger: `prefix.reversed.rpz-ip`
/// (`32.7.100.51.198.rpz-ip`; IPv6 groups reversed with `zz` for `::`).
fn rpz_ip(value: &str) -> String {
    let (addr, prefix) = match value.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (value, None),
    };
    // MISP tests the whole value for IPv6, so that an IPv6 network is
    // written as if it were IPv4; the address alone is tested here.
    let v6 = addr.parse::<Ipv6Addr>().is_ok();
    let prefix = prefix.unwrap_or(if v6 { "128" } else { "32" });
    let body = if v6 {
        let expanded = addr.replace("::", ":zz:");
        let groups: Vec<&str> = expanded
            .split(':')
            .filter(|g| !g.is_empty())
            .rev()
            .collect();
        groups.join(".")
    } else {
        addr.split('.').rev().collect::<Vec<_>>().join(".")
    };
    format!("{prefix}.{body}.rpz-ip")
}

/// `YYYYMMDD` of an epoch time (UTC).
fn ymd(epoch: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(epoch)
        .map(|t| format!("{:04}{:02}{:02}", t.year(), u8::from(t.month()), t.day()))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{attribute, attributes, event, item, one_event};
    use super::*;

    /// 2024-06-15 12:00 UTC.
    const NOW: i64 = 1_718_452_800;

    const HEAD: &str = "$TTL 1w;\n\
        @               SOA localhost. root.localhost (2024061500 2h 30m 30d 1h)\n                NS localhost.\n\n";

    #[test]
    fn empty_zone() {
        assert_eq!(
            attributes(&mut Rpz::new(&RpzSettings::default(), NOW), &[]),
            HEAD
        );
    }

    #[test]
    fn sections() {
        let e = event(7);
        let ip = attribute(1, "ip-dst", "198.51.100.7");
        let net = attribute(2, "ip-src", "10.0.0.0/8");
        let dom = attribute(3, "domain", "evil.example");
        let pair = attribute(4, "domain|ip", "evil.example|2001:db8::1");
        let host = attribute(5, "hostname", "www.evil.example");
        let md5 = attribute(6, "md5", "d41d8cd98f00b204e9800998ecf8427e");
        let items = [
            item(&ip, &e),
            item(&net, &e),
            item(&dom, &e),
            item(&pair, &e),
            item(&host, &e),
            item(&md5, &e),
        ];
        let expected = format!(
            "{HEAD}\
             ; The following list of IP addresses will return NXDOMAIN (name does not exist) irrespective of actual result received.\n\
             32.7.100.51.198.rpz-ip CNAME .\n\
             8.0.0.0.10.rpz-ip CNAME .\n\
             128.1.zz.db8.2001.rpz-ip CNAME .\n\
             \n\
             ; The following domain names and all of their sub-domains will return NXDOMAIN (name does not exist) irrespective of actual result received.\n\
             evil.example CNAME .\n\
             *.evil.example CNAME .\n\
             \n\
             ; The following hostnames will return NXDOMAIN (name does not exist) irrespective of actual result received.\n\
             www.evil.example CNAME .\n\
             \n"
        );
        assert_eq!(
            attributes(&mut Rpz::new(&RpzSettings::default(), NOW), &items),
            expected
        );
        assert_eq!(
            one_event(&mut Rpz::new(&RpzSettings::default(), NOW), &e, &items),
            expected
        );
    }

    #[test]
    fn settings_and_policies() {
        let e = event(7);
        let dom = attribute(3, "domain", "evil.example");
        let settings = RpzSettings {
            policy: Some("Local-Data".to_owned()),
            walled_garden: Some("garden.example.".to_owned()),
            ns: Some("ns1.example.".to_owned()),
            ns_alt: Some("ns2.example.".to_owned()),
            email: Some("hostmaster.example".to_owned()),
            serial: Some("$time".to_owned()),
            ttl: Some("1h".to_owned()),
            ..RpzSettings::default()
        };
        let out = attributes(&mut Rpz::new(&settings, NOW), &[item(&dom, &e)]);
        assert_eq!(
            out,
            "$TTL 1h;\n\
             @               SOA ns1.example. hostmaster.example (1718452800 2h 30m 30d 1h)\n                NS ns1.example.\n                NS ns2.example.\n\n\
             ; The following domain names and all of their sub-domains will returns the defined alternate location.\n\
             evil.example CNAME garden.example.\n\
             *.evil.example CNAME garden.example.\n\n"
        );
        let drop = RpzSettings {
            policy: Some("DROP".to_owned()),
            ..RpzSettings::default()
        };
        let out = attributes(&mut Rpz::new(&drop, NOW), &[item(&dom, &e)]);
        assert!(
            out.contains("will timeout.\nevil.example CNAME rpz-drop.\n"),
            "{out}"
        );
        let unknown = RpzSettings {
            policy: Some("BOGUS".to_owned()),
            ..RpzSettings::default()
        };
        let out = attributes(&mut Rpz::new(&unknown, NOW), &[item(&dom, &e)]);
        assert!(out.contains("evil.example CNAME .\n"), "{out}");
    }

    #[test]
    fn ip_triggers() {
        assert_eq!(rpz_ip("2001:db8::/32"), "32.zz.db8.2001.rpz-ip");
        assert_eq!(rpz_ip("::1"), "128.1.zz.rpz-ip");
    }
}
