//! MISP's text exports of restSearch results: `csv`, `text`, `hashes`,
//! `suricata`, `snort` and `rpz`, one file per format. Everything here is
//! pure formatting: an [`Exporter`] is given the attributes a search found,
//! page by page, and appends its output to a string; fetching and streaming
//! is `routes/export.rs`.
//!
//! The output is MISP's, byte for byte where MISP is well-defined (the same
//! header and footer, the same rule text and SIDs); where MISP has a bug the
//! deviation is noted at the place and in docs/api-design.md.

mod csv;
mod hashes;
mod nids;
mod rpz;
mod suricata;
mod text;

use cydef_model::event::{Attribute, Event, MispObject};
use cydef_model::search::{ExportFormat, SearchRequest};

pub use self::csv::Csv;
pub use self::hashes::Hashes;
pub use self::nids::{Flavor, Nids};
pub use self::rpz::Rpz;
pub use self::text::Text;

/// An event as the exports show it.
#[derive(Debug, Clone)]
pub struct EventInfo {
    pub event: Event,
    /// The owning organisation's name (MISP's `Org.name`).
    pub org_name: String,
    /// The creating organisation's name (`Orgc.name`).
    pub orgc_name: String,
    /// The names of the event's exported tags, in order.
    pub tags: Vec<String>,
}

/// One attribute to export, with what the formats show of its context.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    pub attribute: &'a Attribute,
    /// The names of the attribute's exported tags, in order.
    pub tags: &'a [String],
    /// The object the attribute is in, if any.
    pub object: Option<&'a MispObject>,
    pub event: &'a EventInfo,
}

/// A format. The output is `header`, then what `attribute` (attribute
/// searches) or `event` (event searches) append for each result, then
/// `footer`; formats that group their output (RPZ, NIDS in part) keep state
/// between the calls.
pub trait Exporter {
    fn header(&mut self, out: &mut String);
    /// One attribute of an attribute search.
    fn attribute(&mut self, item: &Item<'_>, out: &mut String);
    /// One event of an event search, with the attributes exported of it
    /// (top-level and in objects) in id order. By default each is written
    /// as by [`Exporter::attribute`], as MISP's flattened exports do.
    fn event(&mut self, event: &EventInfo, items: &[Item<'_>], out: &mut String) {
        let _ = event;
        for item in items {
            self.attribute(item, out);
        }
    }
    fn footer(&mut self, out: &mut String);
}

/// What the exports need beyond the found attributes.
#[derive(Debug, Clone)]
pub struct Context {
    /// The reader's `nids_sid`: rule SIDs start after it.
    pub nids_sid: i64,
    /// The instance's public URL (`MISP.baseurl`), for rule references.
    pub baseurl: String,
    /// Now, in epoch seconds (the RPZ serial's `$date` and `$time`).
    pub now: i64,
}

/// The exporter of `format` for the search `q`.
pub fn exporter(format: ExportFormat, q: &SearchRequest, ctx: &Context) -> Box<dyn Exporter> {
    match format {
        ExportFormat::Csv => Box::new(Csv::new(
            &q.requested_attributes,
            q.include_context,
            q.headerless,
        )),
        ExportFormat::Text => Box::new(Text::default()),
        ExportFormat::Hashes => Box::new(Hashes::default()),
        ExportFormat::Suricata => Box::new(Nids::new(Flavor::Suricata, ctx)),
        ExportFormat::Snort => Box::new(Nids::new(Flavor::Snort, ctx)),
        ExportFormat::Rpz => Box::new(Rpz::new(&q.rpz, ctx.now)),
    }
}

/// The `Content-Type` of a format's answer (MISP's `csv` and `txt`
/// response types).
pub fn content_type(format: ExportFormat) -> &'static str {
    match format.response_type() {
        "csv" => "text/csv; charset=UTF-8",
        _ => "text/plain; charset=UTF-8",
    }
}

/// The items of one event in MISP's unflattened order: top-level attributes
/// first (by id), then the attributes of each object (objects by id).
pub(crate) fn event_order<'a, 'b>(items: &'b [Item<'a>]) -> Vec<&'b Item<'a>> {
    let mut ordered: Vec<&Item<'a>> = items.iter().collect();
    ordered.sort_by_key(|i| (i.attribute.object_id.unwrap_or(0), i.attribute.id));
    ordered
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Known inputs for the formats' tests.

    use super::*;

    pub fn event(id: i64) -> EventInfo {
        EventInfo {
            event: Event {
                id,
                uuid: "5f0c7e3a-0000-4000-8000-00000000000e".to_owned(),
                org_id: 1,
                orgc_id: 2,
                user_id: 1,
                info: "Alpha \"campaign\"".to_owned(),
                date: "2024-01-10".to_owned(),
                threat_level_id: 1,
                analysis: 2,
                distribution: 1,
                sharing_group_id: 0,
                published: true,
                publish_timestamp: 1_700_000_100,
                timestamp: 1_700_000_000,
                sighting_timestamp: 0,
                attribute_count: 3,
                disable_correlation: false,
                extends_uuid: String::new(),
                proposal_email_lock: false,
                locked: false,
            },
            org_name: "ORGNAME".to_owned(),
            orgc_name: "Creator".to_owned(),
            tags: vec!["tlp:amber".to_owned()],
        }
    }

    pub fn attribute(id: i64, attr_type: &str, value: &str) -> Attribute {
        let (value1, value2) = match value.split_once('|') {
            Some((a, b)) if cydef_model::attribute_value::is_composite(attr_type) => {
                (a.to_owned(), b.to_owned())
            }
            _ => (value.to_owned(), String::new()),
        };
        Attribute {
            id,
            uuid: format!("5f0c7e3a-0000-4000-8000-{id:012}"),
            event_id: 7,
            object_id: None,
            object_relation: None,
            category: "Network activity".to_owned(),
            attr_type: attr_type.to_owned(),
            value1,
            value2,
            to_ids: true,
            comment: String::new(),
            distribution: 5,
            sharing_group_id: 0,
            timestamp: 1_700_000_000,
            deleted: false,
            disable_correlation: false,
            first_seen: None,
            last_seen: None,
            data: None,
        }
    }

    pub fn object(id: i64, name: &str) -> MispObject {
        MispObject {
            id,
            uuid: format!("5f0c7e3a-0000-4000-9000-{id:012}"),
            event_id: 7,
            name: name.to_owned(),
            meta_category: "network".to_owned(),
            description: String::new(),
            template_uuid: None,
            template_version: None,
            comment: String::new(),
            distribution: 5,
            sharing_group_id: 0,
            timestamp: 1_700_000_000,
            deleted: false,
            first_seen: None,
            last_seen: None,
        }
    }

    pub fn item<'a>(a: &'a Attribute, e: &'a EventInfo) -> Item<'a> {
        Item {
            attribute: a,
            tags: &[],
            object: None,
            event: e,
        }
    }

    /// The whole output of an attribute export of `items`.
    pub fn attributes(x: &mut dyn Exporter, items: &[Item<'_>]) -> String {
        let mut out = String::new();
        x.header(&mut out);
        for i in items {
            x.attribute(i, &mut out);
        }
        x.footer(&mut out);
        out
    }

    /// The whole output of an event export of one event.
    pub fn one_event(x: &mut dyn Exporter, e: &EventInfo, items: &[Item<'_>]) -> String {
        let mut out = String::new();
        x.header(&mut out);
        x.event(e, items, &mut out);
        x.footer(&mut out);
        out
    }
}
