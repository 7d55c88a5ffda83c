//! `csv`: one line per attribute, MISP's `CsvExport`.
//!
//! The columns are `requested_attributes`, or by default `uuid, event_id,
//! category, type, value, comment, to_ids, timestamp, object_relation,
//! attribute_tag` and the object's `object_uuid, object_name,
//! object_meta-category`; `includeContext` adds the event's `event_info,
//! event_member_org, event_source_org, event_distribution,
//! event_threat_level_id, event_analysis, event_date, event_tag,
//! event_timestamp`. The header names them with `-` written `_` and
//! `timestamp` written `date` (`headerless` leaves it out). Booleans are
//! `0`/`1`, numbers (PHP's `is_numeric`) are bare, other values are quoted
//! with `"` doubled, and an absent value is `""`. The body ends with an empty
//! line, as MISP's does.

use std::borrow::Cow;

use super::{event_order, EventInfo, Exporter, Item};

const DEFAULT_FIELDS: &[&str] = &[
    "uuid",
    "event_id",
    "category",
    "type",
    "value",
    "comment",
    "to_ids",
    "timestamp",
    "object_relation",
    "attribute_tag",
];
const DEFAULT_OBJECT_FIELDS: &[&str] = &["object_uuid", "object_name", "object_meta-category"];
const EVENT_CONTEXT_FIELDS: &[&str] = &[
    "event_info",
    "event_member_org",
    "event_source_org",
    "event_distribution",
    "event_threat_level_id",
    "event_analysis",
    "event_date",
    "event_tag",
    "event_timestamp",
];

/// The CSV export.
#[derive(Debug, Clone)]
pub struct Csv {
    fields: Vec<String>,
    headerless: bool,
}

impl Csv {
    pub fn new(requested: &[String], include_context: bool, headerless: bool) -> Self {
        let mut fields: Vec<String> = if requested.is_empty() {
            DEFAULT_FIELDS
                .iter()
                .chain(DEFAULT_OBJECT_FIELDS)
                .map(|f| (*f).to_owned())
                .collect()
        } else {
            requested.to_vec()
        };
        if include_context {
            fields.extend(EVENT_CONTEXT_FIELDS.iter().map(|f| (*f).to_owned()));
        }
        Self { fields, headerless }
    }

    fn line(&self, item: &Item<'_>, out: &mut String) {
        for (i, field) in self.fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_cell(out, cell(item, field));
        }
        out.push('\n');
    }
}

impl Exporter for Csv {
    fn header(&mut self, out: &mut String) {
        if self.headerless {
            return;
        }
        let names: Vec<String> = self
            .fields
            .iter()
            .map(|f| {
                if f == "timestamp" {
                    "date".to_owned()
                } else {
                    f.replace('-', "_")
                }
            })
            .collect();
        out.push_str(&names.join(","));
        out.push('\n');
    }

    fn attribute(&mut self, item: &Item<'_>, out: &mut String) {
        self.line(item, out);
    }

    /// Top-level attributes, then those of each object.
    fn event(&mut self, _event: &EventInfo, items: &[Item<'_>], out: &mut String) {
        for item in event_order(items) {
            self.line(item, out);
        }
    }

    fn footer(&mut self, out: &mut String) {
        out.push('\n');
    }
}

/// One value, typed as MISP's rows hold it.
enum Cell<'a> {
    Missing,
    Int(i64),
    Bool(bool),
    Text(Cow<'a, str>),
}

fn text<'a>(s: &'a str) -> Cell<'a> {
    Cell::Text(Cow::Borrowed(s))
}

fn joined(names: &[String]) -> Cell<'static> {
    if names.is_empty() {
        Cell::Missing
    } else {
        Cell::Text(Cow::Owned(names.join(",")))
    }
}

/// MISP's threat level names.
fn threat_level(id: i64) -> &'static str {
    match id {
        1 => "High",
        2 => "Medium",
        3 => "Low",
        _ => "Undefined",
    }
}

/// The value of column `name` for `item`: an attribute field, or one MISP
/// adds (tags, the object's, the event's).
fn cell<'a>(item: &Item<'a>, name: &str) -> Cell<'a> {
    let a = item.attribute;
    let e = item.event;
    match name {
        "id" => Cell::Int(a.id),
        "event_id" => Cell::Int(a.event_id),
        "object_id" => Cell::Int(a.object_id.unwrap_or(0)),
        "object_relation" => a.object_relation.as_deref().map_or(Cell::Missing, text),
        "category" => text(&a.category),
        "type" => text(&a.attr_type),
        "value" => Cell::Text(Cow::Owned(a.value())),
        "value1" => text(&a.value1),
        "value2" => text(&a.value2),
        "to_ids" => Cell::Bool(a.to_ids),
        "uuid" => text(&a.uuid),
        "timestamp" => Cell::Int(a.timestamp),
        "distribution" => Cell::Int(a.distribution),
        "sharing_group_id" => Cell::Int(a.sharing_group_id),
        "comment" => text(&a.comment),
        "deleted" => Cell::Bool(a.deleted),
        "disable_correlation" => Cell::Bool(a.disable_correlation),
        "first_seen" => a.first_seen.as_deref().map_or(Cell::Missing, text),
        "last_seen" => a.last_seen.as_deref().map_or(Cell::Missing, text),
        "attribute_tag" => joined(item.tags),
        "event_info" => text(&e.event.info),
        "event_member_org" => text(&e.org_name),
        "event_source_org" => text(&e.orgc_name),
        "event_distribution" => Cell::Int(e.event.distribution),
        "event_threat_level_id" => text(threat_level(e.event.threat_level_id)),
        "event_analysis" => Cell::Int(e.event.analysis),
        "event_date" => text(&e.event.date),
        "event_tag" => joined(&e.tags),
        "event_timestamp" => Cell::Int(e.event.timestamp),
        "object_uuid" => item.object.map_or(Cell::Missing, |o| text(&o.uuid)),
        "object_name" => item.object.map_or(Cell::Missing, |o| text(&o.name)),
        "object_meta-category" => item
            .object
            .map_or(Cell::Missing, |o| text(&o.meta_category)),
        _ => Cell::Missing,
    }
}

fn write_cell(out: &mut String, c: Cell<'_>) {
    match c {
        Cell::Missing => out.push_str("\"\""),
        Cell::Int(n) => out.push_str(&n.to_string()),
        Cell::Bool(b) => out.push(if b { '1' } else { '0' }),
        Cell::Text(s) if is_numeric(&s) => out.push_str(&s),
        Cell::Text(s) => {
            out.push('"');
            out.push_str(&s.replace('"', "\"\""));
            out.push('"');
        }
    }
}

/// PHP 8's `is_numeric`: optional surrounding whitespace, a sign, digits
/// with an optional decimal point, and an optional exponent.
fn is_numeric(s: &str) -> bool {
    let ws = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0B' | '\x0C');
    let s = s.trim_matches(ws).as_bytes();
    let mut i = 0;
    if matches!(s.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let int_start = i;
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - int_start;
    if i < s.len() && s[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < s.len() && s[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return false;
    }
    if i < s.len() && matches!(s[i], b'e' | b'E') {
        i += 1;
        if matches!(s.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_start = i;
        while i < s.len() && s[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == s.len()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{attribute, attributes, event, item, object, one_event};
    use super::*;

    const HEADER: &str = "uuid,event_id,category,type,value,comment,to_ids,date,object_relation,attribute_tag,object_uuid,object_name,object_meta_category\n";

    #[test]
    fn default_columns() {
        let e = event(7);
        let mut ip = attribute(1, "ip-dst", "198.51.100.7");
        ip.comment = "said \"hi\", twice".to_owned();
        let tags = vec!["tlp:amber".to_owned(), "kill-chain:c2".to_owned()];
        let mut port = attribute(2, "ip-dst|port", "203.0.113.5|443");
        port.to_ids = false;
        port.object_id = Some(9);
        port.object_relation = Some("ip".to_owned());
        let o = object(9, "ip-port");
        let asn = attribute(3, "AS", "64496");
        let items = [
            Item {
                tags: &tags,
                ..item(&ip, &e)
            },
            Item {
                object: Some(&o),
                ..item(&port, &e)
            },
            item(&asn, &e),
        ];
        let out = attributes(&mut Csv::new(&[], false, false), &items);
        assert_eq!(
            out,
            format!(
                "{HEADER}\
                 \"5f0c7e3a-0000-4000-8000-000000000001\",7,\"Network activity\",\"ip-dst\",\"198.51.100.7\",\"said \"\"hi\"\", twice\",1,1700000000,\"\",\"tlp:amber,kill-chain:c2\",\"\",\"\",\"\"\n\
                 \"5f0c7e3a-0000-4000-8000-000000000002\",7,\"Network activity\",\"ip-dst|port\",\"203.0.113.5|443\",\"\",0,1700000000,\"ip\",\"\",\"5f0c7e3a-0000-4000-9000-000000000009\",\"ip-port\",\"network\"\n\
                 \"5f0c7e3a-0000-4000-8000-000000000003\",7,\"Network activity\",\"AS\",64496,\"\",1,1700000000,\"\",\"\",\"\",\"\",\"\"\n\
                 \n"
            )
        );
    }

    #[test]
    fn empty_is_the_header_and_an_empty_line() {
        assert_eq!(
            attributes(&mut Csv::new(&[], false, false), &[]),
            format!("{HEADER}\n")
        );
        assert_eq!(attributes(&mut Csv::new(&[], false, true), &[]), "\n");
    }

    #[test]
    fn requested_attributes_and_context() {
        let e = event(7);
        let a = attribute(1, "domain", "evil.example");
        let requested = [
            "value".to_owned(),
            "timestamp".to_owned(),
            "nope".to_owned(),
        ];
        let mut csv = Csv::new(&requested, true, false);
        let out = attributes(&mut csv, &[item(&a, &e)]);
        assert_eq!(
            out,
            "value,date,nope,event_info,event_member_org,event_source_org,event_distribution,\
             event_threat_level_id,event_analysis,event_date,event_tag,event_timestamp\n\
             \"evil.example\",1700000000,\"\",\"Alpha \"\"campaign\"\"\",\"ORGNAME\",\"Creator\",1,\
             \"High\",2,\"2024-01-10\",\"tlp:amber\",1700000000\n\n"
        );
        // Requested columns replace the object's too; headerless drops the header.
        let mut csv = Csv::new(&["object_meta-category".to_owned()], false, true);
        assert_eq!(attributes(&mut csv, &[item(&a, &e)]), "\"\"\n\n");
        let mut csv = Csv::new(&["object_meta-category".to_owned()], false, false);
        assert_eq!(attributes(&mut csv, &[]), "object_meta_category\n\n");
    }

    #[test]
    fn events_list_top_level_attributes_first() {
        let e = event(7);
        let o = object(4, "domain-ip");
        let mut in_object = attribute(1, "domain", "in.example");
        in_object.object_id = Some(4);
        in_object.object_relation = Some("domain".to_owned());
        let top = attribute(2, "domain", "top.example");
        let items = [
            Item {
                object: Some(&o),
                ..item(&in_object, &e)
            },
            item(&top, &e),
        ];
        let mut csv = Csv::new(&["value".to_owned(), "object_name".to_owned()], false, true);
        assert_eq!(
            one_event(&mut csv, &e, &items),
            "\"top.example\",\"\"\n\"in.example\",\"domain-ip\"\n\n"
        );
    }

    #[test]
    fn numbers_as_php_sees_them() {
        for yes in ["0", "12", "-1.5", ".5", "5.", "1e5", " 12", "12 ", "+3E-2"] {
            assert!(is_numeric(yes), "{yes}");
        }
        for no in [
            "", " ", ".", "1.2.3.4", "0x1A", "1e", "e5", "12a", "--1", "1,5",
        ] {
            assert!(!is_numeric(no), "{no}");
        }
    }
}
