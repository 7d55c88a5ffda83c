use serde_json::{json, Value};

use super::*;

const NOW: i64 = 1_700_000_000;

fn body(v: Value) -> SearchRequest {
    let map = v.as_object().cloned().expect("an object");
    parse(
        &Sources {
            body: Some(&map),
            ..Sources::default()
        },
        NOW,
    )
    .expect("a search")
}

fn named(pairs: &[(&str, &str)], format: Option<&str>) -> Result<SearchRequest, SearchError> {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    parse(
        &Sources {
            body: None,
            named: &pairs,
            path_format: format,
        },
        NOW,
    )
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn zero_is_a_value() {
    let q = body(json!({"value": "0"}));
    assert_eq!(q.value.any, strs(&["0"]));
    let q = body(json!({"value": 0}));
    assert_eq!(q.value.any, strs(&["0"]));
}

#[test]
fn to_ids_false_filters() {
    assert_eq!(body(json!({"to_ids": false})).to_ids, Some(false));
    assert_eq!(body(json!({"to_ids": "0"})).to_ids, Some(false));
    assert_eq!(body(json!({"toIds": 1})).to_ids, Some(true));
    assert_eq!(body(json!({"to_ids": [0, 1]})).to_ids, None);
    assert_eq!(body(json!({})).to_ids, None);
}

#[test]
fn both_spellings() {
    let q = body(json!({
        "returnFormat": "json", "includeEventUuid": true, "include_event_tags": "1",
        "threat_level_id": "1", "eventTimestamp": "1d", "object_relation": "ip"
    }));
    assert_eq!(q.return_format, ReturnFormat::Json);
    assert!(q.include_event_uuid);
    assert!(q.include_event_tags);
    assert_eq!(q.threat_level_id.any, vec![1]);
    assert_eq!(q.event_timestamp.from, Some(NOW - 86_400));
    assert_eq!(q.object_relation.any, strs(&["ip"]));
}

#[test]
fn numbers_and_limits_as_strings() {
    let q = body(json!({"limit": "20", "page": "2", "eventid": ["3", 4]}));
    assert_eq!(q.window(), Some((20, 20)));
    assert_eq!(q.eventid.any, vec![3, 4]);
    assert_eq!(body(json!({"limit": 5})).window(), Some((0, 5)));
    assert_eq!(body(json!({"page": 5})).window(), None);
    let bad = parse(
        &Sources {
            body: Some(&json!({"limit": "ten"}).as_object().cloned().expect("obj")),
            ..Sources::default()
        },
        NOW,
    );
    assert!(bad.is_err());
}

#[test]
fn tags_in_every_syntax() {
    let q = body(json!({"tags": ["tlp:amber", "!tlp:red"]}));
    assert_eq!(q.tags.any, strs(&["tlp:amber"]));
    assert_eq!(q.tags.not, strs(&["tlp:red"]));
    let q = body(json!({"tags": {"AND": ["a", "b"], "NOT": ["c"]}}));
    assert_eq!(q.tags.all, strs(&["a", "b"]));
    assert_eq!(q.tags.not, strs(&["c"]));
    let q = body(json!({"tag": "a&&!b"}));
    assert_eq!(q.tags.any, strs(&["a"]));
    assert_eq!(q.tags.not, strs(&["b"]));
    assert!(body(json!({"tags": []})).tags.is_empty());
}

#[test]
fn named_parameters_override_the_body() {
    let map = json!({"type": "md5", "returnFormat": "csv"})
        .as_object()
        .cloned()
        .expect("obj");
    let pairs = vec![("type".to_owned(), "sha1".to_owned())];
    let q = parse(
        &Sources {
            body: Some(&map),
            named: &pairs,
            path_format: Some("json"),
        },
        NOW,
    )
    .expect("a search");
    assert_eq!(q.attr_type.any, strs(&["sha1"]));
    assert_eq!(q.return_format, ReturnFormat::Json);
}

#[test]
fn url_forms() {
    let q = named(&[("type", "md5"), ("last", "7d")], Some("json")).expect("a search");
    assert_eq!(q.attr_type.any, strs(&["md5"]));
    assert_eq!(q.publish_timestamp.from, Some(NOW - 7 * 86_400));
    let q = named(&[("value", "2001;db8;;1")], None).expect("a search");
    assert_eq!(q.value.any, strs(&["2001:db8::1"]));
    let q = named(&[("type", "md5||sha1")], None).expect("a search");
    assert_eq!(q.attr_type.any, strs(&["md5", "sha1"]));
    let pos = positional(
        Controller::Attributes,
        &["json", "null", "null", "null", "md5"],
    );
    assert_eq!(
        pos,
        vec![
            ("returnFormat".to_owned(), "json".to_owned()),
            ("type".to_owned(), "md5".to_owned())
        ]
    );
    assert!(!named(&[], None).expect("empty").any_parameter);
}

#[test]
fn return_formats() {
    assert_eq!(ReturnFormat::parse("JSON"), ReturnFormat::Json);
    assert_eq!(
        ReturnFormat::parse(" CSV"),
        ReturnFormat::Export(ExportFormat::Csv)
    );
    for f in &SUPPORTED_FORMATS[1..] {
        let parsed = ReturnFormat::parse(f);
        assert!(
            matches!(parsed, ReturnFormat::Export(e) if e.name() == *f),
            "{f}"
        );
    }
    assert_eq!(
        ReturnFormat::parse("stix2"),
        ReturnFormat::NotYetSupported("stix2".to_owned())
    );
    assert_eq!(
        ReturnFormat::parse("bogus"),
        ReturnFormat::Unknown("bogus".to_owned())
    );
}

#[test]
fn export_options() {
    let q = body(json!({
        "returnFormat": "rpz", "policy": "DROP", "walled_garden": "wg.example",
        "ns": "ns1.example.", "minimum_ttl": "2h", "headerless": 1, "includeAllTags": "1",
        "requested_attributes": ["uuid", "value"]
    }));
    assert_eq!(q.return_format, ReturnFormat::Export(ExportFormat::Rpz));
    assert_eq!(q.rpz.policy.as_deref(), Some("DROP"));
    assert_eq!(q.rpz.walled_garden.as_deref(), Some("wg.example"));
    assert_eq!(q.rpz.ns.as_deref(), Some("ns1.example."));
    assert_eq!(q.rpz.minimum_ttl.as_deref(), Some("2h"));
    assert_eq!(q.rpz.ttl, None);
    assert!(q.headerless && q.include_all_tags);
    assert_eq!(q.requested_attributes, strs(&["uuid", "value"]));
}

#[test]
fn detection_exports_default_to_ids_and_published() {
    let mut q = body(json!({"type": "md5"}));
    q.apply_export_defaults(ExportFormat::Csv);
    assert_eq!((q.to_ids, q.published), (None, None));
    q.apply_export_defaults(ExportFormat::Suricata);
    assert_eq!((q.to_ids, q.published), (Some(true), Some(true)));
    // Given, even as "either", they are kept; null is not given.
    let mut q = body(json!({"to_ids": [0, 1], "published": false}));
    q.apply_export_defaults(ExportFormat::Text);
    assert_eq!((q.to_ids, q.published), (None, Some(false)));
    let mut q = body(json!({"to_ids": null, "published": null}));
    q.apply_export_defaults(ExportFormat::Hashes);
    assert_eq!((q.to_ids, q.published), (Some(true), Some(true)));
}

#[test]
fn times_and_dates() {
    let q = body(json!({
        "timestamp": ["5d", "1d"], "from": "2024-01-01", "to": 1_704_153_600,
        "publish_timestamp": "1699999000", "last": "1h"
    }));
    assert_eq!(q.timestamp.from, Some(NOW - 5 * 86_400));
    assert_eq!(q.timestamp.to, Some(NOW - 86_400));
    assert_eq!(q.date_from.as_deref(), Some("2024-01-01"));
    assert_eq!(q.date_to.as_deref(), Some("2024-01-02"));
    // `last` and `publish_timestamp` both bound publication; the later wins.
    assert_eq!(q.publish_timestamp.from, Some(1_699_999_000));
}

#[test]
fn deleted_modes() {
    assert_eq!(body(json!({})).deleted, Deleted::Exclude);
    assert_eq!(body(json!({"deleted": false})).deleted, Deleted::Exclude);
    assert_eq!(body(json!({"deleted": 1})).deleted, Deleted::Only);
    assert_eq!(body(json!({"deleted": [0, 1]})).deleted, Deleted::Both);
    assert_eq!(body(json!({"deleted": "both"})).deleted, Deleted::Both);
}

#[test]
fn index_names() {
    let q = body(json!({
        "searchinfo": "apt", "searchorg": "CIRCL", "searchtag": "tlp:white",
        "searchpublished": "1", "searchdatefrom": "2024-01-01", "searchdateuntil": "2024-02-01",
        "searcheventid": "7", "sort": "date", "direction": "desc", "searchall": "x"
    }));
    assert_eq!(q.eventinfo.any, strs(&["apt"]));
    assert_eq!(q.org.any, strs(&["CIRCL"]));
    assert_eq!(q.tags.any, strs(&["tlp:white"]));
    assert_eq!(q.published, Some(true));
    assert_eq!(q.date_from.as_deref(), Some("2024-01-01"));
    assert_eq!(q.date_to.as_deref(), Some("2024-02-01"));
    assert_eq!(q.eventid.any, vec![7]);
    assert_eq!(q.sort, Some(SortKey::Date));
    assert_eq!(q.descending, Some(true));
    assert_eq!(q.searchall.as_deref(), Some("x"));
    // MISP's index form sends 2 for "published or not".
    assert_eq!(body(json!({"searchpublished": "2"})).published, None);
}

#[test]
fn requested_attributes_as_csv_or_list() {
    let q = body(json!({"requested_attributes": "value, type"}));
    assert_eq!(q.requested_attributes, strs(&["value", "type"]));
    let q = body(json!({"requestedAttributes": ["uuid"]}));
    assert_eq!(q.requested_attributes, strs(&["uuid"]));
}

#[test]
fn long_lists_and_the_condition_limit() {
    // Exact values: no limit (and repeated ones read once).
    let values: Vec<String> = (0..40_000).map(|i| format!("v{}", i % 30_000)).collect();
    let q = body(json!({ "value": values, "eventid": (1..=40_000).collect::<Vec<i64>>() }));
    assert_eq!(q.value.any.len(), 30_000);
    assert_eq!(q.eventid.any.len(), 40_000);
    // Patterns, `AND` items, org and eventinfo items: at most MAX_CONDITIONS
    // in all, the error naming the filter that goes over.
    let patterns: Vec<String> = (0..MAX_CONDITIONS).map(|i| format!("%{i}%")).collect();
    assert_eq!(
        body(json!({ "value": patterns })).value.any.len(),
        MAX_CONDITIONS
    );
    let err = parse(
        &Sources {
            body: json!({ "value": patterns, "eventinfo": "apt" }).as_object(),
            ..Sources::default()
        },
        NOW,
    )
    .expect_err("over the limit");
    assert!(
        err.0
            .starts_with("Invalid value for the eventinfo filter: too many items"),
        "{err}"
    );
    let all: Vec<String> = (0..=MAX_CONDITIONS).map(|i| i.to_string()).collect();
    let err = parse(
        &Sources {
            body: json!({ "type": { "AND": all } }).as_object(),
            ..Sources::default()
        },
        NOW,
    )
    .expect_err("over the limit");
    assert!(err.0.contains("the type filter"), "{err}");
}
