//! `events/edit/{id}` and `PUT /events/{id}`: MISP's merge of a whole event
//! document into a stored event, the synchronisation timestamp guard, who may
//! edit, and that a refused edit writes nothing.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{s, TestApp, ADMIN_KEY};

const A1: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const A2: &str = "aaaaaaaa-0000-4000-8000-000000000002";
const O1: &str = "bbbbbbbb-0000-4000-8000-000000000001";
const OA1: &str = "bbbbbbbb-0000-4000-8000-0000000000a1";

fn attrs(ev: &Value) -> Vec<&Value> {
    ev["Attribute"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn by_uuid<'a>(ev: &'a Value, uuid: &str) -> &'a Value {
    attrs(ev)
        .into_iter()
        .find(|a| a["uuid"] == uuid)
        .unwrap_or_else(|| panic!("no attribute {uuid} in {ev}"))
}

fn ts(v: &Value) -> i64 {
    s(v).parse().expect("an integer string")
}

/// An event with two attributes and an object, published; returns its view.
async fn seed(app: &TestApp) -> Value {
    let r = app
        .post(
            "/events/add",
            ADMIN_KEY,
            json!({"Event": {
                "info": "before", "distribution": 1, "threat_level_id": 2, "published": true,
                "timestamp": 1_600_000_000,
                "Attribute": [
                    {"uuid": A1, "type": "ip-dst", "value": "10.0.0.1", "comment": "one", "timestamp": 1_600_000_000},
                    {"uuid": A2, "type": "domain", "value": "two.example", "timestamp": 1_600_000_000}
                ],
                "Object": [{"uuid": O1, "name": "domain-ip", "meta-category": "network",
                    "timestamp": 1_600_000_000,
                    "Attribute": [{"uuid": OA1, "type": "ip-dst", "object_relation": "ip",
                        "value": "10.0.0.9", "timestamp": 1_600_000_000}]}]
            }}),
        )
        .await;
    r.expect(200)["Event"].clone()
}

async fn view(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/events/view/{id}"), ADMIN_KEY)
        .await
        .expect(200)["Event"]
        .clone()
}

async fn merges_by_uuid_as_pymisp_sends_it(app: TestApp) {
    let ev = seed(&app).await;
    let id = s(&ev["id"]);
    // What PyMISP sends after changing one attribute: everything, with the
    // edited parts' timestamps removed.
    let mut doc = ev.clone();
    doc.as_object_mut().expect("object").remove("timestamp");
    doc.as_object_mut().expect("object").remove("published");
    doc["info"] = json!("after");
    for a in doc["Attribute"].as_array_mut().expect("list") {
        if a["uuid"] == A1 {
            a["comment"] = json!("edited");
            a.as_object_mut().expect("object").remove("timestamp");
        } else {
            // An unchanged copy with a changed value must not be applied.
            a["value"] = json!("ignored.example");
        }
    }
    doc["Attribute"].as_array_mut().expect("list").push(
        json!({"type": "url", "value": "https://new.example/x", "Tag": [{"name": "tlp:green"}]}),
    );
    doc["Tag"] = json!([{"name": "tlp:amber"}]);
    let r = app
        .post(
            &format!("/events/edit/{id}"),
            ADMIN_KEY,
            json!({"Event": doc}),
        )
        .await;
    let out = r.expect(200)["Event"].clone();
    assert_eq!(out["info"], "after");
    assert_eq!(
        out["threat_level_id"], "2",
        "absent fields keep their values"
    );
    assert_eq!(
        out["published"], false,
        "an edit without published unpublishes"
    );
    assert!(
        ts(&out["timestamp"]) > 1_600_000_000,
        "the server stamps the edit"
    );
    assert_eq!(out["attribute_count"], "4");
    let a1 = by_uuid(&out, A1);
    assert_eq!(a1["comment"], "edited");
    assert_eq!(a1["value"], "10.0.0.1");
    assert!(ts(&a1["timestamp"]) > 1_600_000_000);
    let a2 = by_uuid(&out, A2);
    assert_eq!(
        a2["value"], "two.example",
        "a part not newer than stored is left alone"
    );
    assert_eq!(ts(&a2["timestamp"]), 1_600_000_000);
    let new = attrs(&out)
        .into_iter()
        .find(|a| a["type"] == "url")
        .expect("the new attribute");
    assert_eq!(new["value"], "https://new.example/x");
    assert_eq!(new["Tag"][0]["name"], "tlp:green");
    let tags: Vec<String> = out["Tag"]
        .as_array()
        .expect("tags")
        .iter()
        .map(|t| s(&t["name"]))
        .collect();
    assert_eq!(tags, vec!["tlp:amber"]);
    // The object and its attribute were sent unchanged: untouched.
    assert_eq!(out["Object"][0]["Attribute"][0]["value"], "10.0.0.9");
    // And what the view shows afterwards is the same.
    let again = view(&app, &id).await;
    assert_eq!(by_uuid(&again, A1)["comment"], "edited");
    assert_eq!(again["attribute_count"], "4");
}

async fn edits_objects_and_soft_deletes_by_flag(app: TestApp) {
    let ev = seed(&app).await;
    let id = s(&ev["id"]);
    let r = app
        .send(app.request(Method::PUT, &format!("/events/{id}"), ADMIN_KEY).json(&json!({
            "Event": {
                "Attribute": [{"uuid": A2, "deleted": true}],
                "Object": [{"uuid": O1, "comment": "object edited",
                    "Attribute": [
                        {"uuid": OA1, "value": "10.0.0.10"},
                        {"type": "domain", "object_relation": "domain", "value": "obj.example"}
                    ],
                    "ObjectReference": [{"referenced_uuid": A1, "relationship_type": "related-to"}]
                }]
            }
        })))
        .await;
    let out = r.expect(200)["Event"].clone();
    assert_eq!(out["info"], "before");
    assert!(
        attrs(&out).iter().all(|a| a["uuid"] != A2),
        "a soft-deleted attribute leaves the default view: {out}"
    );
    assert_eq!(out["attribute_count"], "3");
    let object = &out["Object"][0];
    assert_eq!(object["comment"], "object edited");
    let values: Vec<String> = object["Attribute"]
        .as_array()
        .expect("list")
        .iter()
        .map(|a| s(&a["value"]))
        .collect();
    assert_eq!(values, vec!["10.0.0.10", "obj.example"]);
    assert_eq!(object["ObjectReference"][0]["referenced_uuid"], A1);
    assert_eq!(object["ObjectReference"][0]["referenced_type"], "0");
    // The deleted attribute is still there for the owner with deleted:1.
    let r = app
        .get(&format!("/events/view/{id}/deleted:1"), ADMIN_KEY)
        .await;
    assert_eq!(by_uuid(&r.expect(200)["Event"], A2)["deleted"], true);
}

async fn a_stale_timestamp_is_refused_and_writes_nothing(app: TestApp) {
    let ev = seed(&app).await;
    let id = s(&ev["id"]);
    let stored_ts = ts(&ev["timestamp"]);
    let r = app
        .post(
            &format!("/events/edit/{id}"),
            ADMIN_KEY,
            json!({"Event": {"info": "stale", "timestamp": stored_ts}}),
        )
        .await;
    let errors = r.expect_save_failed("Could not edit Event");
    assert_eq!(
        errors,
        "Event could not be saved: Event in the request not newer than the local copy."
    );
    assert_eq!(r.body["url"], format!("/events/edit/{id}"));
    // A newer one is taken, with its timestamp.
    let r = app
        .post(
            &format!("/events/edit/{id}"),
            ADMIN_KEY,
            json!({"Event": {"info": "newer", "timestamp": stored_ts + 10}}),
        )
        .await;
    let out = r.expect(200)["Event"].clone();
    assert_eq!(out["info"], "newer");
    assert_eq!(ts(&out["timestamp"]), stored_ts + 10);
}

async fn an_invalid_part_refuses_the_whole_edit(app: TestApp) {
    let ev = seed(&app).await;
    let id = s(&ev["id"]);
    let r = app
        .post(
            &format!("/events/edit/{id}"),
            ADMIN_KEY,
            json!({"Event": {"info": "changed", "Attribute": [
                {"type": "domain", "value": "fine.example"},
                {"uuid": A1, "value": "not an ip"}
            ]}}),
        )
        .await;
    let errors = r.expect_save_failed("Could not edit Event");
    assert_eq!(errors["Attribute[1]"]["uuid"], A1, "{errors}");
    assert!(errors["Attribute[1]"]["value"].is_array(), "{errors}");
    assert!(errors.get("Attribute[0]").is_none(), "{errors}");
    // A duplicate of a stored attribute, caught by the database.
    let r = app
        .post(
            &format!("/events/edit/{id}"),
            ADMIN_KEY,
            json!({"Event": {"info": "changed", "Attribute": [
                {"type": "domain", "value": "fresh.example"},
                {"type": "domain", "value": "two.example"}
            ]}}),
        )
        .await;
    let errors = r.expect_save_failed("Could not edit Event");
    assert_eq!(
        errors["Attribute"]["value"][0],
        "A similar attribute already exists for this event."
    );
    // A report without a name, as eventReports/add refuses it.
    let r = app
        .post(
            &format!("/events/edit/{id}"),
            ADMIN_KEY,
            json!({"Event": {"EventReport": [{"name": " ", "content": "c"}]}}),
        )
        .await;
    let errors = r.expect_save_failed("Could not edit Event");
    assert_eq!(
        errors["EventReport[0]"]["name"][0],
        "This field cannot be left blank"
    );
    // Nothing of any of these edits was written.
    let after = view(&app, &id).await;
    assert_eq!(after["info"], "before");
    assert_eq!(by_uuid(&after, A1)["value"], "10.0.0.1");
    assert_eq!(attrs(&after).len(), 2);
    assert_eq!(after["published"], true);
    assert_eq!(after["timestamp"], ev["timestamp"]);
}

async fn only_the_creating_organisation_may_edit(app: TestApp) {
    let ev = seed(&app).await;
    let id = s(&ev["id"]);
    let org_b = app.create_org("Org B").await;
    let (_, key_b) = app.create_user("b@example.test", &org_b, 3).await;
    let r = app
        .post(
            &format!("/events/edit/{id}"),
            &key_b,
            json!({"Event": {"info": "hijacked"}}),
        )
        .await;
    r.expect_error(
        403,
        "You are not authorised to do that.",
        &format!("/events/edit/{id}"),
    );
    // An event B cannot see is a 404, as a missing one.
    let private = app
        .post(
            "/events/add",
            ADMIN_KEY,
            json!({"Event": {"info": "private", "distribution": 0}}),
        )
        .await;
    let pid = s(&private.expect(200)["Event"]["id"]);
    let r = app
        .post(
            &format!("/events/edit/{pid}"),
            &key_b,
            json!({"Event": {"info": "x"}}),
        )
        .await;
    r.expect_error(404, "Invalid event", &format!("/events/edit/{pid}"));
    let r = app
        .post(
            "/events/edit/999999",
            ADMIN_KEY,
            json!({"Event": {"info": "x"}}),
        )
        .await;
    r.expect_error(404, "Invalid event", "/events/edit/999999");
    // A user of the creating organisation (MISP's role 3, User, has
    // perm_modify_org) may edit its events, but not publish them.
    let org_a = s(&ev["org_id"]);
    let (_, user_a) = app.create_user("user@a.test", &org_a, 3).await;
    let r = app
        .post(
            &format!("/events/edit/{id}"),
            &user_a,
            json!({"Event": {"info": "by a user", "published": true}}),
        )
        .await;
    let out = r.expect(200)["Event"].clone();
    assert_eq!(out["info"], "by a user");
    assert_eq!(out["published"], false);
    // A read-only user of the same organisation may not edit at all.
    let (_, reader) = app.create_user("reader@a.test", &org_a, 6).await;
    let r = app
        .post(
            &format!("/events/edit/{id}"),
            &reader,
            json!({"Event": {"info": "by a reader"}}),
        )
        .await;
    assert_eq!(r.status, 403, "{r}");
    assert_eq!(view(&app, &id).await["info"], "by a user");
}

async fn publishing_by_edit_needs_a_change(app: TestApp) {
    let ev = seed(&app).await;
    let id = s(&ev["id"]);
    let before = ts(&ev["publish_timestamp"]);
    let r = app
        .post(
            &format!("/events/edit/{id}"),
            ADMIN_KEY,
            json!({"Event": {"info": "republished", "published": true}}),
        )
        .await;
    let out = r.expect(200)["Event"].clone();
    assert_eq!(out["published"], true);
    assert!(ts(&out["publish_timestamp"]) >= before);
    let r = app
        .send(
            app.request(Method::POST, &format!("/events/edit/{id}"), ADMIN_KEY)
                .body("[1, 2"),
        )
        .await;
    assert_eq!(r.status, 400, "{r}");
}

api_tests!(
    merges_by_uuid_as_pymisp_sends_it,
    edits_objects_and_soft_deletes_by_flag,
    a_stale_timestamp_is_refused_and_writes_nothing,
    an_invalid_part_refuses_the_whole_edit,
    only_the_creating_organisation_may_edit,
    publishing_by_edit_needs_a_change,
);
