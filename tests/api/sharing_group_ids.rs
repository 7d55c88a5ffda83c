//! A part keeps a sharing group only with distribution 4, as MISP's
//! `beforeValidate` resets `sharing_group_id` to 0 otherwise (review
//! finding: any id given with another distribution was stored, so that a
//! non-member could keep the owner from deleting its group and
//! `sharinggroup` searches matched other data). Every write path stores 0,
//! and a change away from distribution 4 clears the group.

use serde_json::{json, Value};

use crate::helpers::{s, TestApp, ADMIN_KEY};
use crate::sharing_group_use::group_and_outsider;

/// A group id that does not exist.
const MISSING: i64 = 99_999;

/// Every `sharing_group_id` in `v`, with where it is.
fn group_ids(v: &Value, path: &str, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(map) => {
            for (k, inner) in map {
                let here = format!("{path}.{k}");
                if k == "sharing_group_id" {
                    out.push((here.clone(), inner.clone()));
                }
                group_ids(inner, &here, out);
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                group_ids(inner, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// Asserts that every part of `body` has `sharing_group_id` "0", and that
/// there are `at_least` of them.
fn all_zero(body: &Value, at_least: usize) {
    let mut ids = Vec::new();
    group_ids(body, "", &mut ids);
    assert!(ids.len() >= at_least, "{ids:?} in {body}");
    let kept: Vec<_> = ids.iter().filter(|(_, id)| *id != json!("0")).collect();
    assert!(kept.is_empty(), "groups kept: {kept:?}");
}

async fn view_event(app: &TestApp, key: &str, id: &str) -> Value {
    app.get(&format!("/events/view/{id}"), key)
        .await
        .expect(200)
        .clone()
}

/// Every write path, with distribution 1 (or 2, 5) and the id of a group the
/// writer may not use, or of none at all: stored as 0; the group's owner can
/// then delete it, and a `sharinggroup` search matches none of it.
async fn ids_outside_distribution_4_are_stored_as_0(app: TestApp) {
    let (sg, owner_key, outsider_key) = group_and_outsider(&app).await;
    let sg_num: i64 = sg.parse().expect("id");
    let key = outsider_key.as_str();
    for group in [sg_num, MISSING] {
        // events/add: the event and every part of the document.
        let r = app
            .post(
                "/events/add",
                key,
                json!({"Event": {
                    "info": format!("not shared with {group}"),
                    "distribution": 1, "sharing_group_id": group,
                    "Attribute": [{"type": "domain", "value": format!("a{group}.example"),
                                   "distribution": 1, "sharing_group_id": group}],
                    "Object": [{"name": "custom", "distribution": 2, "sharing_group_id": group,
                                "Attribute": [{"type": "text", "object_relation": "note", "value": "in object",
                                               "distribution": 5, "sharing_group_id": group}]}],
                    "EventReport": [{"name": "report", "content": "c",
                                     "distribution": 1, "sharing_group_id": group}]
                }}),
            )
            .await;
        let ev = r.expect(200)["Event"].clone();
        all_zero(&ev, 4);
        let eid = s(&ev["id"]);

        // attributes/add, then attributes/edit naming the group alone.
        let r = app
            .post(
                &format!("/attributes/add/{eid}"),
                key,
                json!({"type": "ip-dst", "value": "192.0.2.1", "distribution": 1, "sharing_group_id": group}),
            )
            .await;
        let attr = r.expect(200)["Attribute"].clone();
        assert_eq!(attr["sharing_group_id"], "0", "{attr}");
        let aid = s(&attr["id"]);
        let r = app
            .post(
                &format!("/attributes/edit/{aid}"),
                key,
                json!({"sharing_group_id": group}),
            )
            .await;
        assert_eq!(r.expect(200)["Attribute"]["sharing_group_id"], "0", "{r}");
        let r = app.get(&format!("/attributes/view/{aid}"), key).await;
        assert_eq!(r.expect(200)["Attribute"]["sharing_group_id"], "0", "{r}");

        // objects/add, then objects/edit on the object and its attribute.
        let r = app
            .post(
                &format!("/objects/add/{eid}"),
                key,
                json!({"Object": {"name": "custom", "distribution": 1, "sharing_group_id": group,
                    "Attribute": [{"type": "text", "object_relation": "note", "value": "added",
                                   "distribution": 1, "sharing_group_id": group}]}}),
            )
            .await;
        let object = r.expect(200)["Object"].clone();
        all_zero(&object, 2);
        let oid = s(&object["id"]);
        let r = app
            .post(
                &format!("/objects/edit/{oid}"),
                key,
                json!({"Object": {"sharing_group_id": group, "Attribute": [
                    {"uuid": object["Attribute"][0]["uuid"], "sharing_group_id": group}
                ]}}),
            )
            .await;
        all_zero(r.expect(200), 2);
        let r = app.get(&format!("/objects/view/{oid}"), key).await;
        all_zero(r.expect(200), 2);

        // events/edit: the event, and an attribute by UUID.
        let r = app
            .post(
                &format!("/events/edit/{eid}"),
                key,
                json!({"Event": {"sharing_group_id": group, "Attribute": [
                    {"uuid": attr["uuid"], "sharing_group_id": group, "comment": "edited"}
                ]}}),
            )
            .await;
        all_zero(r.expect(200), 7);

        // What is stored, as the view shows it.
        let ev = view_event(&app, key, &eid).await;
        let edited = ev["Event"]["Attribute"]
            .as_array()
            .expect("attributes")
            .iter()
            .find(|a| a["uuid"] == attr["uuid"])
            .cloned();
        assert_eq!(edited.map(|a| a["comment"].clone()), Some(json!("edited")));
        all_zero(&ev, 7);
    }

    // Nothing uses the group: a search for it finds nothing, and its owner
    // may delete it.
    let r = app
        .post(
            "/attributes/restSearch",
            ADMIN_KEY,
            json!({"sharinggroup": sg_num}),
        )
        .await;
    assert_eq!(r.expect(200)["response"]["Attribute"], json!([]), "{r}");
    let r = app
        .post(
            &format!("/sharing_groups/delete/{sg}"),
            &owner_key,
            json!({}),
        )
        .await;
    assert_eq!(r.expect(200)["saved"], true, "{r}");
}

/// The owner of a group moves its data away from distribution 4: every
/// path clears the group (review finding: the stale id stayed, and kept the
/// group in use).
async fn a_change_away_from_distribution_4_clears_the_group(app: TestApp) {
    let (sg, owner_key, _) = group_and_outsider(&app).await;
    let sg_num: i64 = sg.parse().expect("id");
    let key = owner_key.as_str();
    let shared = json!({"distribution": 4, "sharing_group_id": sg_num});
    let part = |mut v: Value| {
        v.as_object_mut()
            .expect("object")
            .extend(shared.as_object().expect("object").clone());
        v
    };
    let r = app
        .post(
            "/events/add",
            key,
            json!({"Event": part(json!({
                "info": "shared with the circle",
                "Attribute": [part(json!({"type": "domain", "value": "circle.example"}))],
                "Object": [part(json!({"name": "custom", "Attribute": [
                    part(json!({"type": "text", "object_relation": "note", "value": "in object"}))
                ]}))],
                "EventReport": [part(json!({"name": "report", "content": "c"}))]
            }))}),
        )
        .await;
    let ev = r.expect(200)["Event"].clone();
    let eid = s(&ev["id"]);
    let mut ids = Vec::new();
    group_ids(&ev, "", &mut ids);
    assert!(ids.iter().all(|(_, id)| *id == json!(sg)), "{ids:?}");
    // In use: the group cannot be deleted yet.
    let r = app
        .post(&format!("/sharing_groups/delete/{sg}"), key, json!({}))
        .await;
    assert_eq!(r.status, 403, "{r}");

    let attribute = s(&ev["Attribute"][0]["id"]);
    let r = app
        .post(
            &format!("/attributes/edit/{attribute}"),
            key,
            json!({"distribution": 0}),
        )
        .await;
    let a = &r.expect(200)["Attribute"];
    assert_eq!(
        (s(&a["distribution"]), s(&a["sharing_group_id"])),
        ("0".into(), "0".into())
    );

    let object = &ev["Object"][0];
    let r = app
        .post(
            &format!("/objects/edit/{}", s(&object["id"])),
            key,
            json!({"Object": {"distribution": 1, "Attribute": [
                {"uuid": object["Attribute"][0]["uuid"], "distribution": 5}
            ]}}),
        )
        .await;
    let o = &r.expect(200)["Object"];
    assert_eq!(o["distribution"], "1", "{o}");
    all_zero(o, 2);

    let r = app
        .post(
            &format!("/events/edit/{eid}"),
            key,
            json!({"Event": {"distribution": 0, "EventReport": [
                {"uuid": ev["EventReport"][0]["uuid"], "distribution": 5}
            ]}}),
        )
        .await;
    assert_eq!(r.expect(200)["Event"]["distribution"], "0", "{r}");

    let ev = view_event(&app, key, &eid).await;
    all_zero(&ev, 5);
    let r = app
        .post(&format!("/sharing_groups/delete/{sg}"), key, json!({}))
        .await;
    assert_eq!(r.expect(200)["saved"], true, "{r}");
}

api_tests!(
    ids_outside_distribution_4_are_stored_as_0,
    a_change_away_from_distribution_4_clears_the_group,
);

/// `cydef import` follows the same rule (the importer is a site admin, who
/// may use every group, yet ids outside distribution 4 are still dropped).
mod imported {
    use std::sync::Arc;

    use crate::helpers::TestDb;
    use crate::import::{local_group, run_import};

    db_tests!(imported_ids_outside_distribution_4_are_stored_as_0);

    async fn imported_ids_outside_distribution_4_are_stored_as_0(db: Arc<TestDb>) {
        let dir = db.data_dir("import-sg-ids");
        let (sg, _) = local_group(&db, &dir).await;
        let uuid = "0b5c3f4e-8a2d-4e6f-9c1b-3d5e7f9a1b2c";
        let file = dir.join("event.json");
        let doc = serde_json::json!({"Event": {
            "uuid": uuid, "info": "imported", "distribution": "1", "sharing_group_id": sg.to_string(),
            "Attribute": [
                {"type": "domain", "value": "a.example", "distribution": "1", "sharing_group_id": sg.to_string()},
                {"type": "domain", "value": "b.example", "distribution": "5", "sharing_group_id": super::MISSING.to_string()}
            ],
            "Object": [{"name": "custom", "distribution": "2", "sharing_group_id": super::MISSING.to_string(),
                "Attribute": [{"type": "text", "object_relation": "note", "value": "x",
                               "distribution": "3", "sharing_group_id": sg.to_string()}]}]
        }});
        std::fs::write(&file, serde_json::to_vec(&doc).expect("json")).expect("write");
        let (ok, stdout, stderr) = run_import(&db, &dir, std::slice::from_ref(&file));
        assert!(
            ok && stdout.contains("created 1 events"),
            "{stdout}{stderr}"
        );

        let store = cydef_store::connect(&db.url).await.expect("store");
        let event = store
            .find_event(cydef_model::EntityRef::Uuid(
                uuid::Uuid::parse_str(uuid).expect("uuid"),
            ))
            .await
            .expect("the event");
        assert_eq!(event.sharing_group_id, 0);
        let contents = store.event_contents(event.id).await.expect("contents");
        assert_eq!(contents.attributes.len(), 3);
        assert!(contents.attributes.iter().all(|a| a.sharing_group_id == 0));
        assert!(contents.objects.iter().all(|o| o.sharing_group_id == 0));
        // Nothing uses the group.
        store.delete_sharing_group(sg).await.expect("deleted");
        store.close().await;
    }
}
