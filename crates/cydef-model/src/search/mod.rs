//! Search requests: one parser for every way MISP's clients ask
//! (`/attributes/restSearch`, `/events/restSearch`, `/events/index`).
//!
//! Parameters come from a JSON body (bare or wrapped in `{"request": …}`)
//! and from CakePHP named parameters or the query string, which win over the
//! body as in MISP. Names are matched without regard to case, `_` and `-`
//! (`to_ids` = `toIds`, `returnFormat` = `return_format`), and the events
//! index's `search` prefix is optional (`searchinfo` = `info`). Unknown
//! parameters are ignored, as MISP does.

mod filter;
mod when;

use serde_json::{Map, Value};

pub use filter::Filter;
pub use when::{parse_date, parse_range, parse_time, TimeRange};

use crate::flex::{value_to_bool, value_to_i64};

/// A parameter whose value cannot be read; answered as a 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SearchError(pub String);

impl SearchError {
    pub fn invalid(name: &str, why: &str) -> Self {
        Self(format!("Invalid value for the {name} filter: {why}."))
    }
}

/// Most items a search may have that each need a condition of their own
/// (`%` patterns, `AND` items, and every `org` and `eventinfo` item), in all
/// its filters together: each deepens the statement's expression tree, which
/// SQLite limits to a depth of 1,000 and counts twice inside the `EXISTS` of
/// event and object searches. Lists of exact values and ids have no limit:
/// they are matched as one list however long.
pub const MAX_CONDITIONS: usize = 300;

/// Export formats Cydef answers today (the first is the default).
pub const SUPPORTED_FORMATS: &[&str] =
    &["json", "csv", "text", "hashes", "suricata", "snort", "rpz"];

/// MISP's other export formats: known, not answered yet.
pub const PLANNED_FORMATS: &[&str] = &[
    "stix",
    "stix2",
    "stix-json",
    "stix-xml",
    "xml",
    "openioc",
    "yara",
    "yara-json",
    "cache",
    "count",
    "attack",
    "attack-sightings",
    "context",
    "context-markdown",
    "netfilter",
    "opendata",
    "hosts",
    "kunai",
];

/// MISP's text export formats that Cydef produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Text,
    Hashes,
    Suricata,
    Snort,
    Rpz,
}

impl ExportFormat {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Self::Csv,
            "text" => Self::Text,
            "hashes" => Self::Hashes,
            "suricata" => Self::Suricata,
            "snort" => Self::Snort,
            "rpz" => Self::Rpz,
            _ => return None,
        })
    }

    /// The `returnFormat` name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Text => "text",
            Self::Hashes => "hashes",
            Self::Suricata => "suricata",
            Self::Snort => "snort",
            Self::Rpz => "rpz",
        }
    }

    /// MISP's response type (`X-Response-Format`, the file extension):
    /// `csv` or `txt`.
    pub fn response_type(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            _ => "txt",
        }
    }

    /// Whether the format feeds detection (MISP's exports without
    /// `non_restrictive_export`): unless the search says otherwise, it takes
    /// only `to_ids` attributes of published events.
    pub fn restrictive(self) -> bool {
        self != Self::Csv
    }
}

/// The requested output format.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ReturnFormat {
    #[default]
    Json,
    /// A text export Cydef produces.
    Export(ExportFormat),
    /// One of MISP's formats that Cydef does not produce yet.
    NotYetSupported(String),
    /// Not a format MISP knows.
    Unknown(String),
}

impl ReturnFormat {
    pub fn parse(s: &str) -> Self {
        let lower = s.trim().to_ascii_lowercase();
        if let Some(f) = ExportFormat::parse(&lower) {
            return Self::Export(f);
        }
        match lower.as_str() {
            "" | "json" | "download" => Self::Json,
            f if PLANNED_FORMATS.contains(&f) => Self::NotYetSupported(lower),
            _ => Self::Unknown(s.trim().to_owned()),
        }
    }
}

/// The zone settings of the RPZ export, as MISP reads them from the search
/// (`policy`, `walled_garden`, `ns`, `ns_alt`, `email`, `serial`, `refresh`,
/// `retry`, `expiry`, `minimum_ttl`, `ttl`); unset ones take MISP's defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RpzSettings {
    pub policy: Option<String>,
    pub walled_garden: Option<String>,
    pub ns: Option<String>,
    pub ns_alt: Option<String>,
    pub email: Option<String>,
    pub serial: Option<String>,
    pub refresh: Option<String>,
    pub retry: Option<String>,
    pub expiry: Option<String>,
    pub minimum_ttl: Option<String>,
    pub ttl: Option<String>,
}

/// What to do with soft-deleted attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Deleted {
    /// Leave them out (the default).
    #[default]
    Exclude,
    /// Only them.
    Only,
    /// Both live and deleted ones.
    Both,
}

/// Columns the events index can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Id,
    Date,
    Info,
    Timestamp,
    PublishTimestamp,
    ThreatLevel,
    Analysis,
    Distribution,
    Published,
    Org,
    AttributeCount,
}

impl SortKey {
    fn parse(s: &str) -> Option<Self> {
        Some(match squash(s).as_str() {
            "id" | "eventid" => Self::Id,
            "date" => Self::Date,
            "info" | "eventinfo" => Self::Info,
            "timestamp" => Self::Timestamp,
            "publishtimestamp" => Self::PublishTimestamp,
            "threatlevelid" | "threatlevel" => Self::ThreatLevel,
            "analysis" => Self::Analysis,
            "distribution" => Self::Distribution,
            "published" => Self::Published,
            "org" | "orgid" | "orgc" | "orgcid" => Self::Org,
            "attributecount" => Self::AttributeCount,
            _ => return None,
        })
    }
}

/// A parsed search. Empty filters do not filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchRequest {
    pub return_format: ReturnFormat,
    /// Attribute values (`%` is a wildcard); composite values match either
    /// half, or both halves when the item has a `|`.
    pub value: Filter<String>,
    pub attr_type: Filter<String>,
    pub category: Filter<String>,
    /// The creating organisation, by name (`%` wildcards), id or UUID.
    pub org: Filter<String>,
    /// Tags on the attribute or on its event (`%` wildcards).
    pub tags: Filter<String>,
    /// Tags on the event only.
    pub event_tags: Filter<String>,
    pub eventid: Filter<i64>,
    /// Attribute or event UUIDs.
    pub uuid: Filter<String>,
    /// Event info, as a substring unless it has `%` wildcards.
    pub eventinfo: Filter<String>,
    pub object_relation: Filter<String>,
    /// Object names (object searches).
    pub object_name: Filter<String>,
    pub distribution: Filter<i64>,
    pub sharing_group: Filter<i64>,
    pub threat_level_id: Filter<i64>,
    pub analysis: Filter<i64>,
    /// Event `date` bounds (`YYYY-MM-DD`, inclusive).
    pub date_from: Option<String>,
    pub date_to: Option<String>,
    /// `timestamp`: the attribute's in attribute searches, the event's in
    /// event searches.
    pub timestamp: TimeRange,
    pub publish_timestamp: TimeRange,
    pub event_timestamp: TimeRange,
    pub attribute_timestamp: TimeRange,
    pub published: Option<bool>,
    pub to_ids: Option<bool>,
    pub deleted: Deleted,
    /// Substring searched in values, comments, event info and tag names.
    pub searchall: Option<String>,
    pub limit: Option<i64>,
    pub page: Option<i64>,
    pub sort: Option<SortKey>,
    /// `direction`: `Some(true)` for `desc`.
    pub descending: Option<bool>,
    pub metadata: bool,
    pub include_event_uuid: bool,
    pub include_event_tags: bool,
    pub include_context: bool,
    pub with_attachments: bool,
    pub enforce_warninglist: bool,
    pub requested_attributes: Vec<String>,
    /// CSV without its header line.
    pub headerless: bool,
    /// Exports: tags that are not `exportable` too.
    pub include_all_tags: bool,
    /// Whether `to_ids` and `published` were given (even as "either"):
    /// detection exports default them to 1 otherwise.
    pub to_ids_given: bool,
    pub published_given: bool,
    /// RPZ zone settings.
    pub rpz: RpzSettings,
    /// Not a parameter: the caller needs no count of all matches (the later
    /// pages of an export), so the store does not compute it (`total` 0).
    pub skip_count: bool,
    /// Whether any parameter at all was given (MISP refuses a GET search
    /// without one).
    pub any_parameter: bool,
}

impl SearchRequest {
    /// Offset and row count of the requested page, if paged. A page without
    /// a limit is not paged; a limit without a page is the first page.
    pub fn window(&self) -> Option<(i64, i64)> {
        let limit = self.limit?;
        let page = self.page.unwrap_or(1).max(1);
        Some(((page - 1).saturating_mul(limit), limit))
    }

    /// MISP's defaults for detection exports: only `to_ids` attributes of
    /// published events, unless the search names `to_ids` or `published`.
    pub fn apply_export_defaults(&mut self, format: ExportFormat) {
        if !format.restrictive() {
            return;
        }
        if !self.to_ids_given {
            self.to_ids = Some(true);
        }
        if !self.published_given {
            self.published = Some(true);
        }
    }
}

/// Parameter names compared without case, `_`, `-` or spaces.
fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The field a parameter name sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Param {
    ReturnFormat,
    Value,
    Type,
    Category,
    Org,
    Tags,
    EventTags,
    EventId,
    Uuid,
    EventInfo,
    ObjectRelation,
    ObjectName,
    Distribution,
    SharingGroup,
    ThreatLevel,
    Analysis,
    From,
    To,
    Last,
    Timestamp,
    PublishTimestamp,
    EventTimestamp,
    AttributeTimestamp,
    Published,
    ToIds,
    Deleted,
    SearchAll,
    Limit,
    Page,
    Sort,
    Direction,
    Metadata,
    IncludeEventUuid,
    IncludeEventTags,
    IncludeContext,
    WithAttachments,
    EnforceWarninglist,
    RequestedAttributes,
    Headerless,
    IncludeAllTags,
    Rpz(RpzField),
}

/// An RPZ zone setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RpzField {
    Policy,
    WalledGarden,
    Ns,
    NsAlt,
    Email,
    Serial,
    Refresh,
    Retry,
    Expiry,
    MinimumTtl,
    Ttl,
}

fn param(name: &str) -> Option<Param> {
    let key = squash(name);
    let lookup = |k: &str| -> Option<Param> {
        use Param::*;
        Some(match k {
            "returnformat" => ReturnFormat,
            "value" | "value1" | "attribute" => Value,
            "type" | "typeattribute" => Type,
            "category" => Category,
            "org" | "orgc" => Org,
            "tags" | "tag" => Tags,
            "eventtags" => EventTags,
            "eventid" | "eventids" => EventId,
            "uuid" => Uuid,
            "eventinfo" | "info" => EventInfo,
            "objectrelation" => ObjectRelation,
            "objectname" => ObjectName,
            "distribution" => Distribution,
            "sharinggroup" | "sharinggroupid" => SharingGroup,
            "threatlevelid" | "threatlevel" => ThreatLevel,
            "analysis" => Analysis,
            "from" | "datefrom" => From,
            "to" | "dateuntil" | "dateto" => To,
            "last" => Last,
            "timestamp" => Timestamp,
            "publishtimestamp" => PublishTimestamp,
            "eventtimestamp" => EventTimestamp,
            "attributetimestamp" => AttributeTimestamp,
            "published" => Published,
            "toids" => ToIds,
            "deleted" => Deleted,
            "searchall" | "all" | "quickfilter" => SearchAll,
            "limit" => Limit,
            "page" => Page,
            // MISP's restSearch `order` ("Attribute.value desc") is not
            // applied; results are in id order.
            "sort" => Sort,
            "direction" => Direction,
            "metadata" => Metadata,
            "includeeventuuid" => IncludeEventUuid,
            "includeeventtags" => IncludeEventTags,
            "includecontext" => IncludeContext,
            "withattachments" | "includeattachments" => WithAttachments,
            "enforcewarninglist" => EnforceWarninglist,
            "requestedattributes" => RequestedAttributes,
            "headerless" => Headerless,
            "includealltags" => IncludeAllTags,
            "policy" => Rpz(RpzField::Policy),
            "walledgarden" => Rpz(RpzField::WalledGarden),
            "ns" => Rpz(RpzField::Ns),
            "nsalt" => Rpz(RpzField::NsAlt),
            "email" => Rpz(RpzField::Email),
            "serial" => Rpz(RpzField::Serial),
            "refresh" => Rpz(RpzField::Refresh),
            "retry" => Rpz(RpzField::Retry),
            "expiry" => Rpz(RpzField::Expiry),
            "minimumttl" => Rpz(RpzField::MinimumTtl),
            "ttl" => Rpz(RpzField::Ttl),
            _ => return None,
        })
    };
    // The events index names its filters `searchinfo`, `searchorg`, …
    lookup(&key).or_else(|| key.strip_prefix("search").and_then(lookup))
}

/// A yes/no filter: `true`/`false`, `1`/`0` and their strings. A list holding
/// both, or another number (MISP's index sends `2` for "either"), is no filter.
fn tri_state(name: &str, v: &Value) -> Result<Option<bool>, SearchError> {
    match v {
        Value::Array(items) => {
            let mut seen = Vec::new();
            for item in items {
                if let Some(b) = tri_state(name, item)? {
                    if !seen.contains(&b) {
                        seen.push(b);
                    }
                }
            }
            Ok(if seen.len() == 1 { Some(seen[0]) } else { None })
        }
        Value::Number(n) if !matches!(n.as_i64(), Some(0 | 1)) => Ok(None),
        Value::String(s) if s.trim().parse::<i64>().is_ok_and(|n| n != 0 && n != 1) => Ok(None),
        other => value_to_bool(other).map_err(|e| SearchError::invalid(name, &e)),
    }
}

fn flag(name: &str, v: &Value) -> Result<bool, SearchError> {
    Ok(tri_state(name, v)?.unwrap_or(false))
}

fn deleted(v: &Value) -> Result<Deleted, SearchError> {
    if let Value::String(s) = v {
        match s.trim().to_ascii_lowercase().as_str() {
            "only" => return Ok(Deleted::Only),
            "both" | "all" => return Ok(Deleted::Both),
            _ => {}
        }
    }
    if let Value::Array(items) = v {
        let mut live = false;
        let mut dead = false;
        for item in items {
            match value_to_bool(item).map_err(|e| SearchError::invalid("deleted", &e))? {
                Some(true) => dead = true,
                Some(false) => live = true,
                None => {}
            }
        }
        return Ok(match (live, dead) {
            (true, true) => Deleted::Both,
            (false, true) => Deleted::Only,
            _ => Deleted::Exclude,
        });
    }
    Ok(
        match value_to_bool(v).map_err(|e| SearchError::invalid("deleted", &e))? {
            Some(true) => Deleted::Only,
            _ => Deleted::Exclude,
        },
    )
}

fn count(name: &str, v: &Value) -> Result<Option<i64>, SearchError> {
    let n = value_to_i64(v).map_err(|e| SearchError::invalid(name, &e))?;
    match n {
        Some(n) if n < 0 => Err(SearchError::invalid(name, "must not be negative")),
        // 0 is "no limit" / "no page", as in MISP.
        Some(0) => Ok(None),
        other => Ok(other),
    }
}

fn text(name: &str, v: &Value) -> Result<Option<String>, SearchError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s.trim().to_owned())),
        Value::Number(n) => Ok(Some(n.to_string())),
        _ => Err(SearchError::invalid(name, "expected a string")),
    }
}

fn string_list(name: &str, v: &Value) -> Result<Vec<String>, SearchError> {
    let items: Vec<String> = match v {
        Value::Null => Vec::new(),
        Value::String(s) => s.split(',').map(str::to_owned).collect(),
        Value::Array(items) => items
            .iter()
            .map(|i| text(name, i).map(Option::unwrap_or_default))
            .collect::<Result<_, _>>()?,
        _ => return Err(SearchError::invalid(name, "expected a list")),
    };
    Ok(items
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect())
}

/// Where the parameters of one request come from.
#[derive(Debug, Default)]
pub struct Sources<'a> {
    /// The (unwrapped) JSON body, if any.
    pub body: Option<&'a Map<String, Value>>,
    /// Named parameters (`key:value` path segments) and query parameters;
    /// they override the body.
    pub named: &'a [(String, String)],
    /// The `returnFormat` given as a path segment (`/restSearch/json`).
    pub path_format: Option<&'a str>,
}

/// MISP's legacy positional form, `/attributes/restSearch/json/null/md5/…`:
/// the parameter names of the path segments after `restSearch`, in order.
/// `null`, `false` and `0` segments are unset.
const ATTRIBUTE_POSITIONS: &[&str] = &[
    "returnFormat",
    "value",
    "value1",
    "value2",
    "type",
    "category",
    "org",
    "tags",
    "from",
    "to",
    "last",
    "eventid",
    "withAttachments",
    "uuid",
    "publish_timestamp",
    "published",
    "timestamp",
    "enforceWarninglist",
    "to_ids",
    "deleted",
    "includeEventUuid",
    "event_timestamp",
    "threat_level_id",
    "includeEventTags",
    "includeProposals",
    "limit",
    "page",
    "requested_attributes",
    "includeContext",
    "headerless",
];
const EVENT_POSITIONS: &[&str] = &[
    "returnFormat",
    "value",
    "type",
    "category",
    "org",
    "tags",
    "searchall",
    "from",
    "to",
    "last",
    "eventid",
    "withAttachments",
    "metadata",
    "uuid",
    "publish_timestamp",
    "timestamp",
    "event_timestamp",
    "event_tags",
    "published",
    "enforceWarninglist",
    "sgReferenceOnly",
    "limit",
    "page",
    "requested_attributes",
    "includeContext",
    "headerless",
];

const OBJECT_POSITIONS: &[&str] = &[
    "returnFormat",
    "value",
    "type",
    "category",
    "org",
    "tags",
    "first_seen",
    "last_seen",
    "from",
    "to",
    "last",
    "eventid",
    "withAttachments",
    "uuid",
    "publish_timestamp",
    "published",
    "timestamp",
    "enforceWarninglist",
    "to_ids",
    "deleted",
    "includeEventUuid",
    "event_timestamp",
    "threat_level_id",
    "includeEventTags",
    "includeProposals",
    "limit",
    "page",
];

/// Which restSearch is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Controller {
    Attributes,
    Events,
    Objects,
}

/// Names the positional path segments of a legacy restSearch URL; the first
/// segment is the return format.
pub fn positional(controller: Controller, segments: &[&str]) -> Vec<(String, String)> {
    let names = match controller {
        Controller::Attributes => ATTRIBUTE_POSITIONS,
        Controller::Events => EVENT_POSITIONS,
        Controller::Objects => OBJECT_POSITIONS,
    };
    segments
        .iter()
        .zip(names)
        .filter(|(v, _)| {
            !matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "" | "null" | "false" | "0"
            )
        })
        .map(|(v, n)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

/// Parses a search. `now` anchors relative times.
pub fn parse(src: &Sources<'_>, now: i64) -> Result<SearchRequest, SearchError> {
    // Body first, then named parameters, so that the latter win.
    let mut params: Vec<(Param, &str, Value)> = Vec::new();
    if let Some(body) = src.body {
        for (k, v) in body {
            if let Some(p) = param(k) {
                params.push((p, k.as_str(), v.clone()));
            }
        }
    }
    for (k, v) in src.named {
        if let Some(p) = param(k) {
            // MISP writes `:` as `;` inside named parameters.
            params.push((p, k.as_str(), Value::String(v.replace(';', ":"))));
        }
    }
    if let Some(f) = src.path_format {
        params.push((
            Param::ReturnFormat,
            "returnFormat",
            Value::String(f.to_owned()),
        ));
    }

    let mut q = SearchRequest {
        any_parameter: !params.is_empty(),
        ..SearchRequest::default()
    };
    let mut last: Option<i64> = None;
    let mut direction: Option<bool> = None;
    for (p, name, v) in params {
        let strings = || Filter::parse(name, &v);
        match p {
            Param::ReturnFormat => {
                q.return_format = ReturnFormat::parse(&text(name, &v)?.unwrap_or_default());
            }
            Param::Value => q.value = strings()?,
            Param::Type => q.attr_type = strings()?,
            Param::Category => q.category = strings()?,
            Param::Org => q.org = strings()?,
            Param::Tags => q.tags = strings()?,
            Param::EventTags => q.event_tags = strings()?,
            Param::EventId => q.eventid = strings()?.ints(name)?,
            Param::Uuid => {
                // UUIDs are stored lower-case.
                let mut f = strings()?;
                for list in [&mut f.any, &mut f.all, &mut f.not] {
                    for u in list.iter_mut() {
                        *u = u.to_ascii_lowercase();
                    }
                }
                q.uuid = f;
            }
            Param::EventInfo => q.eventinfo = strings()?,
            Param::ObjectRelation => q.object_relation = strings()?,
            Param::ObjectName => q.object_name = strings()?,
            Param::Distribution => q.distribution = strings()?.ints(name)?,
            Param::SharingGroup => q.sharing_group = strings()?.ints(name)?,
            Param::ThreatLevel => q.threat_level_id = strings()?.ints(name)?,
            Param::Analysis => q.analysis = strings()?.ints(name)?,
            Param::From => q.date_from = parse_date(name, &v, now)?,
            Param::To => q.date_to = parse_date(name, &v, now)?,
            Param::Last => last = parse_time(name, &v, now)?,
            Param::Timestamp => q.timestamp = parse_range(name, &v, now)?,
            Param::PublishTimestamp => q.publish_timestamp = parse_range(name, &v, now)?,
            Param::EventTimestamp => q.event_timestamp = parse_range(name, &v, now)?,
            Param::AttributeTimestamp => q.attribute_timestamp = parse_range(name, &v, now)?,
            Param::Published => {
                q.published = tri_state(name, &v)?;
                q.published_given = !v.is_null();
            }
            Param::ToIds => {
                q.to_ids = tri_state(name, &v)?;
                q.to_ids_given = !v.is_null();
            }
            Param::Deleted => q.deleted = deleted(&v)?,
            Param::SearchAll => q.searchall = text(name, &v)?,
            Param::Limit => q.limit = count(name, &v)?,
            Param::Page => q.page = count(name, &v)?,
            Param::Sort => {
                q.sort = match text(name, &v)? {
                    Some(s) => Some(SortKey::parse(&s).ok_or_else(|| {
                        SearchError::invalid(name, &format!("cannot sort by '{s}'"))
                    })?),
                    None => None,
                }
            }
            Param::Direction => {
                direction = match text(name, &v)?.map(|d| d.to_ascii_lowercase()) {
                    Some(d) if d == "desc" => Some(true),
                    Some(d) if d == "asc" => Some(false),
                    None => None,
                    Some(d) => {
                        return Err(SearchError::invalid(
                            name,
                            &format!("'{d}' is neither asc nor desc"),
                        ))
                    }
                }
            }
            Param::Metadata => q.metadata = flag(name, &v)?,
            Param::IncludeEventUuid => q.include_event_uuid = flag(name, &v)?,
            Param::IncludeEventTags => q.include_event_tags = flag(name, &v)?,
            Param::IncludeContext => q.include_context = flag(name, &v)?,
            Param::WithAttachments => q.with_attachments = flag(name, &v)?,
            Param::EnforceWarninglist => q.enforce_warninglist = flag(name, &v)?,
            Param::RequestedAttributes => q.requested_attributes = string_list(name, &v)?,
            Param::Headerless => q.headerless = flag(name, &v)?,
            Param::IncludeAllTags => q.include_all_tags = flag(name, &v)?,
            Param::Rpz(field) => {
                let value = text(name, &v)?;
                let r = &mut q.rpz;
                let slot = match field {
                    RpzField::Policy => &mut r.policy,
                    RpzField::WalledGarden => &mut r.walled_garden,
                    RpzField::Ns => &mut r.ns,
                    RpzField::NsAlt => &mut r.ns_alt,
                    RpzField::Email => &mut r.email,
                    RpzField::Serial => &mut r.serial,
                    RpzField::Refresh => &mut r.refresh,
                    RpzField::Retry => &mut r.retry,
                    RpzField::Expiry => &mut r.expiry,
                    RpzField::MinimumTtl => &mut r.minimum_ttl,
                    RpzField::Ttl => &mut r.ttl,
                };
                *slot = value;
            }
        }
    }
    // `last` is a lower bound on the publication time.
    if let Some(since) = last {
        q.publish_timestamp.at_least(since);
    }
    q.descending = direction;
    check_conditions(&q)?;
    Ok(q)
}

/// Refuses a search with more than [`MAX_CONDITIONS`] items that each need
/// a condition of their own (a statement that large would overrun the
/// databases' limits on expression depth and bound parameters), naming the
/// filter that goes over.
fn check_conditions(q: &SearchRequest) -> Result<(), SearchError> {
    let patterns = |items: &[String]| items.iter().filter(|s| s.contains('%')).count();
    // Exact items of these are one list; `%` patterns and `AND` items are
    // conditions of their own.
    let listed = |f: &Filter<String>| patterns(&f.any) + patterns(&f.not) + f.all.len();
    // Every item is a condition of its own.
    let each = |f: &Filter<String>| f.any.len() + f.not.len() + f.all.len();
    // Tag items are looked up first; only `AND` items add conditions.
    let tags = |f: &Filter<String>| f.all.len();
    let ints = |f: &Filter<i64>| f.all.len();
    let costs = [
        ("value", listed(&q.value)),
        ("type", listed(&q.attr_type)),
        ("category", listed(&q.category)),
        ("object_relation", listed(&q.object_relation)),
        ("object_name", listed(&q.object_name)),
        ("uuid", listed(&q.uuid)),
        ("org", each(&q.org)),
        ("eventinfo", each(&q.eventinfo)),
        ("tags", tags(&q.tags)),
        ("event_tags", tags(&q.event_tags)),
        ("eventid", ints(&q.eventid)),
        ("distribution", ints(&q.distribution)),
        ("sharinggroup", ints(&q.sharing_group)),
        ("threat_level_id", ints(&q.threat_level_id)),
        ("analysis", ints(&q.analysis)),
    ];
    let mut total = 0;
    for (name, cost) in costs {
        total += cost;
        if total > MAX_CONDITIONS {
            return Err(SearchError::invalid(
                name,
                &format!(
                    "too many items that each need a condition of their own (% patterns, \
                     AND items, org and eventinfo items): at most {MAX_CONDITIONS} in a search; \
                     lists of exact values have no limit"
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
