//! `snort` and `suricata`: IDS rules, MISP's `NidsExport` and
//! `NidsSnortExport` (the Suricata variants of some rules are in
//! `suricata.rs`).
//!
//! The output is a comment block naming the variables the rules use, then
//! one rule a line (no newline after the last). An attribute's first rule
//! has SID `nids_sid + 10 × attribute id + 1` and its further rules the next
//! numbers; the message is `MISP e<event id> [<tags>] <what>` (the
//! attribute's tags, and in event exports the event's after them), the
//! priority the event's threat level, and the reference the event's URL.
//! In event exports, `network-connection` and `ddos` objects give one rule
//! each (SID from the object's id), after the attributes.

use std::sync::LazyLock;

use regex_lite::{Captures, Regex};

use super::{event_order, suricata, Context, EventInfo, Exporter, Item};
use cydef_model::event::MispObject;

/// Which IDS the rules are written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Suricata,
    Snort,
}

impl Flavor {
    fn name(self) -> &'static str {
        match self {
            Flavor::Suricata => "suricata",
            Flavor::Snort => "snort",
        }
    }
}

const CLASSTYPE: &str = "trojan-activity";
/// The `tag` option of rules that follow a session.
pub(super) const SESSION: &str = "tag:session,600,seconds;";

/// The NIDS export.
#[derive(Debug, Clone)]
pub struct Nids {
    flavor: Flavor,
    nids_sid: i64,
    baseurl: String,
}

impl Nids {
    pub fn new(flavor: Flavor, ctx: &Context) -> Self {
        Self {
            flavor,
            nids_sid: ctx.nids_sid,
            baseurl: ctx.baseurl.trim_end_matches('/').to_owned(),
        }
    }

    fn rules_ctx<'a>(&'a self, event: &EventInfo, tags: String) -> RuleCtx<'a> {
        RuleCtx {
            event_id: event.event.id,
            priority: event.event.threat_level_id,
            tags,
            baseurl: &self.baseurl,
        }
    }

    fn write(rules: Vec<String>, out: &mut String) {
        for r in rules {
            out.push('\n');
            out.push_str(&r);
        }
    }

    fn attribute_rules(&self, item: &Item<'_>, tags: String, out: &mut String) {
        let c = self.rules_ctx(item.event, tags);
        let mut rules = Vec::new();
        attribute_rules(self.flavor, &c, item, self.nids_sid, &mut rules);
        Self::write(rules, out);
    }
}

impl Exporter for Nids {
    fn header(&mut self, out: &mut String) {
        out.push_str(&format!(
            "# MISP export of IDS rules - optimized for {}\n\
             #\n\
             # These NIDS rules contain some variables that need to exist in your configuration.\n\
             # Make sure you have set:\n\
             #\n\
             # $HOME_NET     - Your internal network range\n\
             # $EXTERNAL_NET - The network considered as outside\n\
             # $SMTP_SERVERS - All your internal SMTP servers\n\
             # $HTTP_PORTS   - The ports used to contain HTTP traffic (not required with suricata export)\n\
             # ",
            self.flavor.name()
        ));
    }

    /// Attribute searches: the message names the attribute's tags only.
    fn attribute(&mut self, item: &Item<'_>, out: &mut String) {
        self.attribute_rules(item, item.tags.join(","), out);
    }

    fn event(&mut self, event: &EventInfo, items: &[Item<'_>], out: &mut String) {
        fn with_event_tags<'a>(mut names: Vec<&'a str>, event: &'a EventInfo) -> String {
            names.extend(event.tags.iter().map(String::as_str));
            names.join(",")
        }
        let mut special: Vec<(&MispObject, Vec<&Item<'_>>)> = Vec::new();
        for item in event_order(items) {
            match item.object {
                Some(o) if is_special(o) => match special.last_mut() {
                    Some((last, list)) if last.id == o.id => list.push(item),
                    _ => special.push((o, vec![item])),
                },
                _ => {
                    let tags =
                        with_event_tags(item.tags.iter().map(String::as_str).collect(), event);
                    self.attribute_rules(item, tags, out);
                }
            }
        }
        for (object, list) in special {
            let tags = with_event_tags(
                list.iter()
                    .flat_map(|i| i.tags.iter().map(String::as_str))
                    .collect(),
                event,
            );
            let c = self.rules_ctx(event, tags);
            let sid = self.nids_sid + object.id * 10 + 1;
            let rule = object_rule(&c, object, &list, sid);
            Self::write(vec![rule], out);
        }
    }

    fn footer(&mut self, _out: &mut String) {}
}

/// Objects exported as one rule each.
fn is_special(o: &MispObject) -> bool {
    o.name == "network-connection" || o.name == "ddos"
}

/// What every rule of one attribute (or object) shares.
pub(super) struct RuleCtx<'a> {
    event_id: i64,
    priority: i64,
    /// Tag names, comma-separated.
    tags: String,
    baseurl: &'a str,
}

/// One rule's parts.
pub(super) struct Rule<'a> {
    pub proto: &'a str,
    pub src: (&'a str, &'a str),
    pub dst: (&'a str, &'a str),
    pub msg: String,
    pub content: String,
    pub tag: &'a str,
    pub sid: i64,
}

impl RuleCtx<'_> {
    pub(super) fn render(&self, r: &Rule<'_>) -> String {
        format!(
            "alert {} {} {} -> {} {} ({}; {} {} classtype:{CLASSTYPE}; sid:{}; rev:1; priority:{}; {};) ",
            r.proto,
            r.src.0,
            r.src.1,
            r.dst.0,
            r.dst.1,
            self.msg(&r.msg),
            r.content,
            r.tag,
            r.sid,
            self.priority,
            self.reference(),
        )
    }

    fn msg(&self, what: &str) -> String {
        format!("msg: \"MISP e{} [{}] {what}\"", self.event_id, self.tags)
    }

    fn reference(&self) -> String {
        format!(
            "reference:url,{}/events/view/{}",
            self.baseurl, self.event_id
        )
    }
}

/// The rules of one attribute, appended to `rules`.
fn attribute_rules(
    flavor: Flavor,
    c: &RuleCtx<'_>,
    item: &Item<'_>,
    nids_sid: i64,
    rules: &mut Vec<String>,
) {
    let a = item.attribute;
    let mut sid = nids_sid + a.id * 10 + 1;
    let value = a.value();
    let t = a.attr_type.as_str();
    let suricata = flavor == Flavor::Suricata;
    match t {
        "ip-dst" | "ip-dst|port" => ip_dst(c, t, &value, sid, rules),
        "ip-src" | "ip-src|port" => ip_src(c, t, &value, sid, rules),
        "email" => {
            email(c, EmailPart::Source, &value, sid, rules);
            sid += 1;
            email(c, EmailPart::Destination, &value, sid, rules);
        }
        "email-src" => email(c, EmailPart::Source, &value, sid, rules),
        "email-dst" => email(c, EmailPart::Destination, &value, sid, rules),
        "email-subject" => email(c, EmailPart::Subject, &value, sid, rules),
        "email-attachment" => email(c, EmailPart::Attachment, &value, sid, rules),
        "domain" => domain(flavor, c, &value, &mut sid, rules),
        "domain|ip" => {
            domain(flavor, c, &a.value1, &mut sid, rules);
            sid += 1;
            ip_dst(c, t, &a.value2, sid, rules);
            sid += 1;
            ip_src(c, t, &a.value2, sid, rules);
        }
        "hostname" if suricata => suricata::hostname(c, &value, sid, rules),
        "hostname" => hostname(c, &value, sid, rules),
        "url" if suricata => suricata::url(c, &value, sid, rules),
        "url" => url(c, &value, sid, rules),
        "user-agent" if suricata => suricata::user_agent(c, &value, sid, rules),
        "user-agent" => user_agent(c, &value, sid, rules),
        // Snort has no JA3 rules.
        "ja3-fingerprint-md5" if suricata => suricata::ja3(c, "ja3", &value, sid, rules),
        "ja3s-fingerprint-md5" if suricata => suricata::ja3(c, "ja3s", &value, sid, rules),
        "snort" => rules.push(snort_rule(c, &value, sid)),
        _ => {}
    }
}

fn domain(flavor: Flavor, c: &RuleCtx<'_>, value: &str, sid: &mut i64, rules: &mut Vec<String>) {
    match flavor {
        Flavor::Suricata => suricata::domain(c, value, sid, rules),
        Flavor::Snort => snort_domain(c, value, sid, rules),
    }
}

/// `ip|port` for the `…|port` types, else `ip` and `any`.
fn ip_port<'v>(attr_type: &str, value: &'v str) -> (&'v str, &'v str) {
    if attr_type.contains("port") {
        value.split_once('|').unwrap_or((value, ""))
    } else {
        (value, "any")
    }
}

fn ip_dst(c: &RuleCtx<'_>, attr_type: &str, value: &str, sid: i64, rules: &mut Vec<String>) {
    let (ip, port) = ip_port(attr_type, value);
    rules.push(c.render(&Rule {
        proto: "ip",
        src: ("$HOME_NET", "any"),
        dst: (ip, port),
        msg: format!("Outgoing To IP: {value}"),
        content: String::new(),
        tag: "",
        sid,
    }));
}

fn ip_src(c: &RuleCtx<'_>, attr_type: &str, value: &str, sid: i64, rules: &mut Vec<String>) {
    let (ip, port) = ip_port(attr_type, value);
    rules.push(c.render(&Rule {
        proto: "ip",
        src: (ip, port),
        dst: ("$HOME_NET", "any"),
        msg: format!("Incoming From IP: {value}"),
        content: String::new(),
        tag: "",
        sid,
    }));
}

#[derive(Clone, Copy)]
enum EmailPart {
    Source,
    Destination,
    Subject,
    Attachment,
}

fn email(c: &RuleCtx<'_>, part: EmailPart, value: &str, sid: i64, rules: &mut Vec<String>) {
    let v = replace_illegal_chars(value);
    let (content, msg) = match part {
        EmailPart::Source => (
            format!("flow:established,to_server; content:\"MAIL FROM|3a|\"; nocase; content:\"{v}\"; fast_pattern; nocase; content:\"|0D 0A 0D 0A|\"; within:8192;"),
            format!("Source Email Address: {v}"),
        ),
        EmailPart::Destination => (
            format!("flow:established,to_server; content:\"RCPT TO|3a|\"; nocase; content:\"{v}\"; fast_pattern; nocase; content:\"|0D 0A 0D 0A|\"; within:8192;"),
            format!("Destination Email Address: {v}"),
        ),
        EmailPart::Subject => (
            format!("flow:established,to_server; content:\"Subject|3a|\"; nocase; content:\"{v}\"; fast_pattern; nocase; content:\"|0D 0A 0D 0A|\"; within:8192;"),
            "Bad Email Subject".to_owned(),
        ),
        EmailPart::Attachment => (
            format!("flow:established,to_server; content:\"Content-Disposition|3a| attachment|3b| filename|3d 22|\"; content:\"{v}|22|\"; fast_pattern; content:\"|0D 0A 0D 0A|\"; within:8192;"),
            "Bad Email Attachment".to_owned(),
        ),
    };
    rules.push(c.render(&Rule {
        proto: "tcp",
        src: ("$EXTERNAL_NET", "any"),
        dst: ("$SMTP_SERVERS", "25"),
        msg,
        content,
        tag: SESSION,
        sid,
    }));
}

/// DNS queries over UDP and TCP, and HTTP `Host` headers.
fn snort_domain(c: &RuleCtx<'_>, value: &str, sid: &mut i64, rules: &mut Vec<String>) {
    let v = replace_illegal_chars(value);
    let content = format!(
        "content:\"|01 00 00 01 00 00 00 00 00 01|\"; depth:10; offset:2; content:\"{}\"; fast_pattern; nocase;",
        dns_name_raw(&v, false)
    );
    dns_rules(c, &format!("Domain: {v}"), &content, sid, rules);
    *sid += 1;
    rules.push(c.render(&Rule {
        proto: "tcp",
        src: ("$HOME_NET", "any"),
        dst: ("$EXTERNAL_NET", "$HTTP_PORTS"),
        msg: format!("Outgoing HTTP Domain: {v}"),
        content: format!(
            "flow:to_server,established; content: \"Host|3a|\"; nocase; http_header; content:\"{v}\"; fast_pattern; nocase; http_header; pcre: \"/(^|[^A-Za-z0-9-]){}[^A-Za-z0-9-\\.]/H\";",
            preg_quote(&v)
        ),
        tag: SESSION,
        sid: *sid,
    }));
}

fn hostname(c: &RuleCtx<'_>, value: &str, mut sid: i64, rules: &mut Vec<String>) {
    let v = replace_illegal_chars(value);
    let content = format!(
        "content:\"|01 00 00 01 00 00 00 00 00 01|\"; depth:10; offset:2; content:\"{}\"; fast_pattern; nocase;",
        dns_name_raw(&v, true)
    );
    dns_rules(c, &format!("Hostname: {v}"), &content, &mut sid, rules);
    sid += 1;
    rules.push(c.render(&Rule {
        proto: "tcp",
        src: ("$HOME_NET", "any"),
        dst: ("$EXTERNAL_NET", "$HTTP_PORTS"),
        msg: format!("Outgoing HTTP Hostname: {v}"),
        content: format!(
            "flow:to_server,established; content: \"Host|3a| {v}\"; nocase; http_header; pcre: \"/(^|[^A-Za-z0-9-\\.]){}[^A-Za-z0-9-\\.]/H\";",
            preg_quote(&v)
        ),
        tag: SESSION,
        sid,
    }));
}

/// The UDP and TCP DNS rules of a name (two SIDs).
fn dns_rules(c: &RuleCtx<'_>, msg: &str, content: &str, sid: &mut i64, rules: &mut Vec<String>) {
    rules.push(c.render(&Rule {
        proto: "udp",
        src: ("any", "any"),
        dst: ("any", "53"),
        msg: msg.to_owned(),
        content: content.to_owned(),
        tag: "",
        sid: *sid,
    }));
    *sid += 1;
    rules.push(c.render(&Rule {
        proto: "tcp",
        src: ("any", "any"),
        dst: ("any", "53"),
        msg: msg.to_owned(),
        content: format!("{content} flow:established;"),
        tag: "",
        sid: *sid,
    }));
}

fn url(c: &RuleCtx<'_>, value: &str, sid: i64, rules: &mut Vec<String>) {
    let v = replace_illegal_chars(value);
    rules.push(c.render(&Rule {
        proto: "tcp",
        src: ("$HOME_NET", "any"),
        dst: ("$EXTERNAL_NET", "$HTTP_PORTS"),
        msg: format!("Outgoing HTTP URL: {v}"),
        content: format!("flow:to_server,established; content:\"{v}\"; nocase; http_uri;"),
        tag: SESSION,
        sid,
    }));
}

fn user_agent(c: &RuleCtx<'_>, value: &str, sid: i64, rules: &mut Vec<String>) {
    let v = replace_illegal_chars(value);
    rules.push(c.render(&Rule {
        proto: "tcp",
        src: ("$HOME_NET", "any"),
        dst: ("$EXTERNAL_NET", "$HTTP_PORTS"),
        msg: format!("Outgoing User-Agent: {v}"),
        content: format!("flow:to_server,established; content:\"{v}\"; http_header;"),
        tag: SESSION,
        sid,
    }));
}

/// The rule of a `network-connection` or `ddos` object: its addresses,
/// ports and protocol, with MISP's fallbacks for those it lacks.
fn object_rule(c: &RuleCtx<'_>, object: &MispObject, items: &[&Item<'_>], sid: i64) -> String {
    let relation = |name: &str, fallback: &str| -> String {
        items
            .iter()
            .rev()
            .find(|i| i.attribute.object_relation.as_deref() == Some(name))
            .map_or_else(|| fallback.to_owned(), |i| i.attribute.value())
    };
    let (proto_relation, what) = if object.name == "ddos" {
        ("protocol", "DDOS attack detected between")
    } else {
        ("layer4-protocol", "Network connection between")
    };
    let proto = relation(proto_relation, "ip");
    let src_ip = relation("ip-src", "$HOME_NET");
    let dst_ip = relation("ip-dst", "$HOME_NET");
    let src_port = relation("src-port", "any");
    let dst_port = relation("dst-port", "any");
    c.render(&Rule {
        proto: &proto,
        src: (&src_ip, &src_port),
        dst: (&dst_ip, &dst_port),
        msg: format!("{what} {src_ip} and {dst_ip}"),
        content: String::new(),
        tag: "",
        sid,
    })
}

static SID: LazyLock<Regex> = LazyLock::new(|| rx(r"sid\s*:\s*[0-9]+\s*;"));
static REV: LazyLock<Regex> = LazyLock::new(|| rx(r"rev\s*:\s*[0-9]+\s*;"));
static CLASS: LazyLock<Regex> = LazyLock::new(|| rx(r"classtype:[a-zA-Z_-]+;"));
static MSG: LazyLock<Regex> = LazyLock::new(|| rx(r#"msg\s*:\s*"(.*?)"\s*;"#));
static REFERENCE: LazyLock<Regex> = LazyLock::new(|| rx(r"reference\s*:\s*.+?;"));
static END: LazyLock<Regex> = LazyLock::new(|| rx(r";\s*\)"));

#[allow(clippy::expect_used)]
fn rx(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a valid built-in pattern")
}

/// Replaces every match of `re` in `s` with `with(captures)`; returns the
/// result and the number of matches.
fn replace(re: &Regex, s: &str, with: impl Fn(&Captures<'_>) -> String) -> (String, usize) {
    let n = re.find_iter(s).count();
    (
        re.replace_all(s, |c: &Captures<'_>| with(c)).into_owned(),
        n,
    )
}

/// A `snort` attribute: the rule as written, on one line, with MISP's SID,
/// revision, class type, message and reference put in (added when the rule
/// has none).
fn snort_rule(c: &RuleCtx<'_>, value: &str, sid: i64) -> String {
    let rule = value.replace(['\r', '\n'], " ");
    let (rule, sids) = replace(&SID, &rule, |_| format!("sid:{sid};"));
    let (rule, revs) = replace(&REV, &rule, |_| "rev:1;".to_owned());
    let (rule, classes) = replace(&CLASS, &rule, |_| format!("classtype:{CLASSTYPE};"));
    let (rule, msgs) = replace(&MSG, &rule, |m| {
        format!("{};", c.msg(&format!("snort-rule | {}", &m[1])))
    });
    let (rule, references) = replace(&REFERENCE, &rule, |_| format!("{};", c.reference()));
    let mut extra = String::new();
    if sids == 0 {
        extra.push_str(&format!("sid:{sid};"));
    }
    if revs == 0 {
        extra.push_str("rev:1;");
    }
    if classes == 0 {
        extra.push_str(&format!("classtype:{CLASSTYPE};"));
    }
    if msgs == 0 {
        // MISP writes its unfilled template here (`… [tags] %s`).
        extra.push_str(&format!("{};", c.msg("snort-rule")));
    }
    if references == 0 {
        extra.push_str(&format!("{};", c.reference()));
    }
    replace(&END, &rule, |_| format!("; {extra})")).0
}

/// A DNS name as the bytes of a query: `evil.example` is
/// `|04|evil|07|example|00|` (`|01|` first for a host name).
pub(super) fn dns_name_raw(name: &str, hostname: bool) -> String {
    let mut out = String::from(if hostname { "|01|" } else { "" });
    for label in name.split('.') {
        out.push_str(&format!("|{:02x}|{label}", label.len()));
    }
    out.push_str("|00|");
    out
}

/// Characters a rule's content may not hold, as their hex bytes.
pub(super) fn replace_illegal_chars(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("0x") {
            out.push_str("|30 78|");
            rest = &rest[2..];
            continue;
        }
        match c {
            '|' => out.push_str("|7c|"),
            '"' => out.push_str("|22|"),
            ';' => out.push_str("|3b|"),
            ':' => out.push_str("|3a|"),
            '\\' => out.push_str("|5c|"),
            c => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// PHP's `preg_quote` (no delimiter).
pub(super) fn preg_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '.' | '\\' | '+' | '*' | '?' | '[' | '^' | ']' | '$' | '(' | ')' | '{' | '}' | '='
            | '!' | '<' | '>' | '|' | ':' | '-' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\0' => out.push_str("\\000"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{attribute, attributes, event, item, object, one_event};
    use super::*;

    fn ctx() -> Context {
        Context {
            nids_sid: 4_000_000,
            baseurl: "https://misp.example/".to_owned(),
            now: 0,
        }
    }

    const HEAD: &str = "# MISP export of IDS rules - optimized for snort\n#\n\
        # These NIDS rules contain some variables that need to exist in your configuration.\n\
        # Make sure you have set:\n#\n\
        # $HOME_NET     - Your internal network range\n\
        # $EXTERNAL_NET - The network considered as outside\n\
        # $SMTP_SERVERS - All your internal SMTP servers\n\
        # $HTTP_PORTS   - The ports used to contain HTTP traffic (not required with suricata export)\n\
        # ";

    const REF: &str = "reference:url,https://misp.example/events/view/7;) ";

    #[test]
    fn empty_is_the_comment_block() {
        assert_eq!(attributes(&mut Nids::new(Flavor::Snort, &ctx()), &[]), HEAD);
    }

    #[test]
    fn snort_rules() {
        let e = event(7);
        let tags = vec!["tlp:green".to_owned()];
        let ip = attribute(12, "ip-dst", "198.51.100.7");
        let port = attribute(13, "ip-src|port", "203.0.113.5|443");
        let domain = attribute(14, "domain", "evil.example");
        let url = attribute(15, "url", "http://evil.example/a;b");
        let md5 = attribute(16, "md5", "d41d8cd98f00b204e9800998ecf8427e");
        let items = [
            Item {
                tags: &tags,
                ..item(&ip, &e)
            },
            item(&port, &e),
            item(&domain, &e),
            item(&url, &e),
            item(&md5, &e),
        ];
        let out = attributes(&mut Nids::new(Flavor::Snort, &ctx()), &items);
        let expected = [
            format!("alert ip $HOME_NET any -> 198.51.100.7 any (msg: \"MISP e7 [tlp:green] Outgoing To IP: 198.51.100.7\";   classtype:trojan-activity; sid:4000121; rev:1; priority:1; {REF}"),
            format!("alert ip 203.0.113.5 443 -> $HOME_NET any (msg: \"MISP e7 [] Incoming From IP: 203.0.113.5|443\";   classtype:trojan-activity; sid:4000131; rev:1; priority:1; {REF}"),
            format!("alert udp any any -> any 53 (msg: \"MISP e7 [] Domain: evil.example\"; content:\"|01 00 00 01 00 00 00 00 00 01|\"; depth:10; offset:2; content:\"|04|evil|07|example|00|\"; fast_pattern; nocase;  classtype:trojan-activity; sid:4000141; rev:1; priority:1; {REF}"),
            format!("alert tcp any any -> any 53 (msg: \"MISP e7 [] Domain: evil.example\"; content:\"|01 00 00 01 00 00 00 00 00 01|\"; depth:10; offset:2; content:\"|04|evil|07|example|00|\"; fast_pattern; nocase; flow:established;  classtype:trojan-activity; sid:4000142; rev:1; priority:1; {REF}"),
            format!("alert tcp $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS (msg: \"MISP e7 [] Outgoing HTTP Domain: evil.example\"; flow:to_server,established; content: \"Host|3a|\"; nocase; http_header; content:\"evil.example\"; fast_pattern; nocase; http_header; pcre: \"/(^|[^A-Za-z0-9-])evil\\.example[^A-Za-z0-9-\\.]/H\"; tag:session,600,seconds; classtype:trojan-activity; sid:4000143; rev:1; priority:1; {REF}"),
            format!("alert tcp $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS (msg: \"MISP e7 [] Outgoing HTTP URL: http|3a|//evil.example/a|3b|b\"; flow:to_server,established; content:\"http|3a|//evil.example/a|3b|b\"; nocase; http_uri; tag:session,600,seconds; classtype:trojan-activity; sid:4000151; rev:1; priority:1; {REF}"),
        ];
        assert_eq!(out, format!("{HEAD}\n{}", expected.join("\n")));
    }

    #[test]
    fn events_add_event_tags_and_object_rules() {
        let e = event(7);
        let o = object(3, "network-connection");
        let tags = vec!["a".to_owned()];
        let mut src = attribute(20, "ip-src", "10.0.0.1");
        src.object_id = Some(3);
        src.object_relation = Some("ip-src".to_owned());
        let mut port = attribute(21, "port", "8080");
        port.object_id = Some(3);
        port.object_relation = Some("dst-port".to_owned());
        let ip = attribute(22, "ip-dst", "198.51.100.7");
        let items = [
            Item {
                object: Some(&o),
                tags: &tags,
                ..item(&src, &e)
            },
            Item {
                object: Some(&o),
                ..item(&port, &e)
            },
            item(&ip, &e),
        ];
        let out = one_event(&mut Nids::new(Flavor::Snort, &ctx()), &e, &items);
        assert_eq!(
            out,
            format!(
                "{HEAD}\n\
                 alert ip $HOME_NET any -> 198.51.100.7 any (msg: \"MISP e7 [tlp:amber] Outgoing To IP: 198.51.100.7\";   classtype:trojan-activity; sid:4000221; rev:1; priority:1; {REF}\n\
                 alert ip 10.0.0.1 any -> $HOME_NET 8080 (msg: \"MISP e7 [a,tlp:amber] Network connection between 10.0.0.1 and $HOME_NET\";   classtype:trojan-activity; sid:4000031; rev:1; priority:1; {REF}"
            )
        );
    }

    #[test]
    fn snort_attributes_are_rewritten() {
        let c = RuleCtx {
            event_id: 7,
            priority: 2,
            tags: "t".to_owned(),
            baseurl: "https://m",
        };
        let rule = "alert tcp any any -> any 80 (msg:\"Evil\"; content:\"x\"; sid: 123 ; rev:4; classtype:bad-unknown; reference:url,example.com;)";
        assert_eq!(
            snort_rule(&c, rule, 4_000_011),
            "alert tcp any any -> any 80 (msg: \"MISP e7 [t] snort-rule | Evil\"; content:\"x\"; sid:4000011; rev:1; classtype:trojan-activity; reference:url,https://m/events/view/7; )"
        );
        assert_eq!(
            snort_rule(&c, "alert tcp any any -> any 80 (content:\"x\";\n)", 5),
            "alert tcp any any -> any 80 (content:\"x\"; sid:5;rev:1;classtype:trojan-activity;msg: \"MISP e7 [t] snort-rule\";reference:url,https://m/events/view/7;)"
        );
    }

    #[test]
    fn helpers() {
        assert_eq!(dns_name_raw("a.bc", true), "|01||01|a|02|bc|00|");
        assert_eq!(
            replace_illegal_chars("a|b\"c;d:e\\f0x1"),
            "a|7c|b|22|c|3b|d|3a|e|5c|f|30 78|1"
        );
        assert_eq!(preg_quote("a-b.c/d"), "a\\-b\\.c/d");
    }
}
