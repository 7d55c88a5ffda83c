use serde_json::json;

use super::*;

fn doc(v: serde_json::Value) -> EventIn {
    let mut events = parse_events(v).expect("a MISP event");
    assert_eq!(events.len(), 1);
    events.remove(0)
}

#[test]
fn reads_every_shape() {
    let bare = json!({"info": "x"});
    let wrapped = json!({"Event": {"info": "x"}});
    let response = json!({"response": [{"Event": {"info": "x"}}]});
    for v in [bare, wrapped, response] {
        assert_eq!(doc(v).info.as_deref(), Some("x"));
    }
    assert!(parse_events(json!("nope")).is_err());
}

#[test]
fn defaults_and_normalisation() {
    let ev = doc(json!({"Event": {
        "info": "  test  ",
        "threat_level_id": "2",
        "published": "1",
        "Attribute": [
            {"type": "domain", "value": "Example.COM."},
            {"type": "md5", "value": "D41D8CD98F00B204E9800998ECF8427E", "to_ids": 0},
            {"type": "ip-dst|port", "value": "192.0.2.10:443", "category": "Network activity"}
        ],
        "Tag": [{"name": "tlp:amber"}, {"name": "tlp:amber"}]
    }}))
    .validate()
    .expect("valid");
    assert_eq!(ev.info, "test");
    assert_eq!(ev.threat_level_id, 2);
    assert!(ev.published);
    assert_eq!(ev.distribution, distribution::COMMUNITY);
    assert_eq!(ev.tags.len(), 1, "duplicate tags are kept once");
    let a = &ev.attributes;
    assert_eq!(a[0].value, "example.com");
    assert_eq!(a[0].category, "Network activity");
    assert!(a[0].to_ids, "domain's sane default");
    assert_eq!(a[0].distribution, distribution::INHERIT);
    assert_eq!(a[1].value, "d41d8cd98f00b204e9800998ecf8427e");
    assert!(!a[1].to_ids);
    assert_eq!(a[2].value, "192.0.2.10|443");
    assert_eq!(
        (a[2].value1.as_str(), a[2].value2.as_str()),
        ("192.0.2.10", "443")
    );
}

#[test]
fn refuses_whole_document_with_every_reason() {
    let err = doc(json!({
        "info": "",
        "Attribute": [
            {"type": "md5", "value": "abc"},
            {"type": "domain", "value": "ok.example"},
            {"type": "no-such-type", "value": "x"},
            {"type": "domain", "value": "ok.example", "category": "Network activity"},
            {"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e", "category": "Network activity"}
        ]
    }))
    .validate()
    .expect_err("invalid");
    let fields: Vec<(&str, &str)> = err.iter().map(|r| (r.path.as_str(), r.field)).collect();
    assert!(fields.contains(&("Event", "info")));
    assert!(fields.contains(&("Attribute[0]", "value")));
    assert!(fields.contains(&("Attribute[2]", "type")));
    assert!(
        fields.contains(&("Attribute[3]", "value")),
        "duplicate: {fields:?}"
    );
    assert!(fields.contains(&("Attribute[4]", "category")));
    assert!(err.iter().any(|r| r.message == DUPLICATE_ATTRIBUTE));
}

#[test]
fn duplicates_only_among_live_top_level_attributes() {
    let ev = doc(json!({
        "info": "dups",
        "Attribute": [
            {"type": "domain", "value": "example.com"},
            {"type": "domain", "value": "example.com", "deleted": true},
            {"type": "domain", "value": "example.com", "category": "Payload delivery"}
        ],
        "Object": [{"name": "domain-ip", "Attribute": [
            {"type": "domain", "value": "example.com", "object_relation": "domain"}
        ]}]
    }))
    .validate()
    .expect("not duplicates");
    assert_eq!(
        ev.attribute_count(),
        3,
        "the soft-deleted one is not counted"
    );
}

#[test]
fn objects_references_and_galaxies() {
    let ev = doc(json!({
        "info": "objects",
        "Galaxy": [{"GalaxyCluster": [{"tag_name": "misp-galaxy:threat-actor=\"APT 28\""}]}],
        "Object": [{
            "name": "file",
            "meta-category": "file",
            "uuid": "5C066053-0E94-46EB-9746-4B7D950D210F",
            "Attribute": [{"type": "filename", "value": "a.exe", "object_relation": "filename"}],
            "ObjectReference": [{"referenced_uuid": "9b90b222-5a6e-4a68-8980-c85eb5e4e079", "relationship_type": "drops"}]
        }]
    }))
    .validate()
    .expect("valid");
    assert_eq!(ev.objects[0].uuid, "5c066053-0e94-46eb-9746-4b7d950d210f");
    assert_eq!(ev.objects[0].references[0].relationship_type, "drops");
    assert_eq!(ev.tags[0].name, "misp-galaxy:threat-actor=\"APT 28\"");
    let missing_relation = doc(json!({"info": "x", "Object": [{"name": "file", "Attribute": [{"type": "filename", "value": "a"}]}]}))
        .validate()
        .expect_err("object attribute without relation");
    assert_eq!(missing_relation[0].field, "object_relation");
}

#[test]
fn unicode_survives() {
    let ev = doc(json!({"info": "événement 🦀 組織", "Attribute": [{"type": "text", "value": "🔥 payload", "comment": "💬"}]}))
        .validate()
        .expect("valid");
    assert_eq!(ev.info, "événement 🦀 組織");
    assert_eq!(ev.attributes[0].value, "🔥 payload");
    assert_eq!(ev.attributes[0].comment, "💬");
}

#[test]
fn oversized_text_is_refused() {
    let long = "a".repeat(MAX_TEXT_BYTES + 1);
    let err = doc(json!({
        "info": long,
        "Attribute": [
            {"type": "text", "value": long},
            {"type": "text", "value": "fine", "comment": long},
            {"type": "text", "value": "a".repeat(MAX_TEXT_BYTES)}
        ]
    }))
    .validate()
    .expect_err("too long");
    let fields: Vec<&str> = err.iter().map(|r| r.field).collect();
    assert_eq!(fields, ["info", "value", "comment"], "{err:?}");
}

#[test]
fn only_distribution_4_keeps_a_sharing_group() {
    let ev = doc(json!({"Event": {
        "info": "x", "distribution": "1", "sharing_group_id": "2",
        "Attribute": [
            {"type": "domain", "value": "a.example", "distribution": 1, "sharing_group_id": 2},
            {"type": "domain", "value": "b.example", "sharing_group_id": "3"},
            {"type": "domain", "value": "c.example", "distribution": 4, "sharing_group_id": 4}
        ],
        "Object": [{"name": "file", "distribution": 0, "sharing_group_id": 5, "Attribute": [
            {"type": "filename", "object_relation": "filename", "value": "a", "distribution": 5, "sharing_group_id": 6},
            {"type": "filename", "object_relation": "filename", "value": "b", "distribution": 4, "sharing_group_id": 7}
        ]}],
        "EventReport": [
            {"name": "r", "distribution": 2, "sharing_group_id": 8},
            {"name": "s", "distribution": 4, "sharing_group_id": 9}
        ]
    }}))
    .validate()
    .expect("valid");
    assert_eq!(ev.sharing_group_id, None);
    let attrs: Vec<Option<i64>> = ev.attributes.iter().map(|a| a.sharing_group_id).collect();
    assert_eq!(attrs, [None, None, Some(4)]);
    assert_eq!(ev.objects[0].sharing_group_id, None);
    let in_object: Vec<Option<i64>> = ev.objects[0]
        .attributes
        .iter()
        .map(|a| a.sharing_group_id)
        .collect();
    assert_eq!(in_object, [None, Some(7)]);
    let reports: Vec<Option<i64>> = ev.reports.iter().map(|r| r.sharing_group_id).collect();
    assert_eq!(reports, [None, Some(9)]);
    // Only the parts of distribution 4 are checked.
    let uses: Vec<(String, Option<i64>)> = ev
        .sharing_group_uses()
        .into_iter()
        .map(|u| (u.path, u.sharing_group_id))
        .collect();
    assert_eq!(
        uses,
        [
            ("Attribute[2]".to_owned(), Some(4)),
            ("Object[0].Attribute[1]".to_owned(), Some(7)),
            ("EventReport[1]".to_owned(), Some(9)),
        ]
    );
}

#[test]
fn distribution_4_without_a_group_is_a_use_without_one() {
    for sg in [json!(null), json!(0), json!("0"), json!(-3)] {
        let a = serde_json::from_value::<AttributeIn>(json!({
            "type": "domain", "value": "a.example", "distribution": 4, "sharing_group_id": sg
        }))
        .expect("attribute")
        .validate(false)
        .expect("valid");
        assert_eq!(a.sharing_group_id, None, "{sg}");
        let uses = a.sharing_group_uses();
        assert_eq!(uses.len(), 1);
        assert_eq!(uses[0].path, "Attribute");
        assert_eq!(uses[0].sharing_group_id, None);
    }
    let o = serde_json::from_value::<ObjectIn>(json!({
        "name": "custom", "distribution": "1", "sharing_group_id": "2",
        "Attribute": [{"type": "text", "object_relation": "note", "value": "x"}]
    }))
    .expect("object")
    .validate()
    .expect("valid");
    assert_eq!(o.sharing_group_id, None);
    assert!(o.sharing_group_uses().is_empty());
}

#[test]
fn an_embedded_group_is_named_by_uuid_and_resolved_to_the_local_id() {
    const SG: &str = "4D2C9B6A-1F0E-4C3B-9A8D-7E6F5A4B3C2D";
    let sg = SG.to_lowercase();
    let mut ev = doc(json!({"Event": {
        "info": "x", "distribution": "4", "sharing_group_id": "12",
        "SharingGroup": {"id": "12", "name": "remote circle", "uuid": SG},
        "Attribute": [
            {"type": "domain", "value": "a.example", "distribution": 4, "sharing_group_id": 3,
             "SharingGroup": {"uuid": "not-a-uuid"}},
            {"type": "domain", "value": "b.example", "distribution": 1,
             "SharingGroup": {"uuid": SG}},
            {"type": "domain", "value": "c.example", "distribution": 4, "sharing_group_id": 3,
             "SharingGroup": []}
        ]
    }}))
    .validate()
    .expect("valid");
    assert_eq!(ev.sharing_group_uuid.as_deref(), Some(sg.as_str()));
    let embedded: Vec<Option<&str>> = ev
        .attributes
        .iter()
        .map(|a| a.sharing_group_uuid.as_deref())
        .collect();
    // Not a UUID: kept, to match nothing; distribution 1: no group at all.
    assert_eq!(embedded, [Some("not-a-uuid"), None, None]);
    let local = HashMap::from([(sg.clone(), 1)]);
    ev.resolve_sharing_groups(&local);
    assert_eq!(ev.sharing_group_id, Some(1), "the UUID wins over the id");
    let uses: Vec<(String, Option<i64>)> = ev
        .sharing_group_uses()
        .into_iter()
        .map(|u| (u.path, u.sharing_group_id))
        .collect();
    assert_eq!(
        uses,
        [
            ("Event".to_owned(), Some(1)),
            // Unknown here: no id, so refused by the writers' check.
            ("Attribute[0]".to_owned(), None),
            ("Attribute[2]".to_owned(), Some(3)),
        ]
    );
}

#[test]
fn proposals_inside_attributes_point_at_them() {
    let ev = doc(json!({"Event": {"info": "x", "Attribute": [
        {"uuid": "5a4cb1c7-fa84-45fa-8d27-4822950d210f", "type": "filename", "value": "blah.exe",
         "ShadowAttribute": [{"uuid": "5a4cb1c7-fa84-45fa-8d27-4822950d210f", "type": "filename",
            "value": "blah.exe.jpg", "category": "Artifacts dropped", "old_id": "811578"}]}
    ]}}))
    .validate()
    .expect("valid");
    assert_eq!(ev.proposals.len(), 1);
    assert_eq!(
        ev.proposals[0].old_uuid.as_deref(),
        Some("5a4cb1c7-fa84-45fa-8d27-4822950d210f")
    );
    assert_eq!(ev.proposals[0].value, "blah.exe.jpg");
}
