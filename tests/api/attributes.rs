//! Attribute endpoints: add (one and a list), view, edit, soft and hard
//! delete, restore, the REST aliases, and who may do what.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{s, TestApp, NO_PERMISSION};

/// MISP's answer when the caller may not change the event (PyMISP matches it).
const NOT_PERMITTED: &str = "You do not have permission to do that.";
const DUPLICATE: &str = "A similar attribute already exists for this event.";
const NOT_NEWER: &str =
    "Attribute could not be saved: Attribute in the request not newer than the local copy.";
const OLD: i64 = 1_600_000_000;

/// Creates an event with `key`; `extra` fields are laid over a minimal one
/// (distribution 1, an old timestamp, published). Returns its id.
async fn event(app: &TestApp, key: &str, extra: Value) -> String {
    let mut ev = json!({
        "info": "attribute tests",
        "distribution": 1,
        "timestamp": OLD.to_string(),
        "published": true,
    });
    if let (Some(base), Some(extra)) = (ev.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            base.insert(k.clone(), v.clone());
        }
    }
    let r = app.post("/events/add", key, json!({ "Event": ev })).await;
    s(&r.expect(200)["Event"]["id"])
}

/// The event view including soft-deleted attributes (`deleted:1`).
async fn event_view(app: &TestApp, id: &str) -> Value {
    let r = app
        .get(&format!("/events/view/{id}/deleted:1"), &app.admin_key)
        .await;
    r.expect(200)["Event"].clone()
}

fn ts(v: &Value) -> i64 {
    s(v).parse().expect("a numeric timestamp")
}

/// Live (not deleted) top-level values of an event view.
fn live_values(ev: &Value) -> Vec<String> {
    ev["Attribute"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|a| a["deleted"] == false)
        .map(|a| s(&a["value"]))
        .collect()
}

async fn add(app: &TestApp, event_id: &str, body: Value) -> Value {
    let r = app
        .post(&format!("/attributes/add/{event_id}"), &app.admin_key, body)
        .await;
    r.expect(200)["Attribute"].clone()
}

/// A site admin's organisation id.
async fn admin_org(app: &TestApp) -> String {
    let r = app.get("/users/view/me", &app.admin_key).await;
    s(&r.expect(200)["User"]["org_id"])
}

async fn add_one(app: TestApp) {
    let ev = event(&app, &app.admin_key, json!({})).await;
    let before = event_view(&app, &ev).await;
    assert_eq!(before["published"], true);
    let a = add(
        &app,
        &ev,
        json!({"type": "ip-dst", "value": " 198.51.100.7 ", "comment": "c2"}),
    )
    .await;
    assert!(a.is_object(), "{a}");
    assert_eq!(a["type"], "ip-dst");
    assert_eq!(a["category"], "Network activity");
    assert_eq!(a["value"], "198.51.100.7");
    assert_eq!(a["to_ids"], true);
    assert_eq!(a["comment"], "c2");
    assert_eq!(a["event_id"], ev.as_str());
    assert_eq!(a["distribution"], "5");
    assert_eq!(a["deleted"], false);
    assert!(a.get("Tag").is_none(), "{a}");
    assert!(s(&a["id"]).parse::<i64>().is_ok());

    let after = event_view(&app, &ev).await;
    assert_eq!(after["published"], false);
    assert!(ts(&after["timestamp"]) > OLD);
    assert_eq!(after["attribute_count"], "1");
    assert_eq!(live_values(&after), vec!["198.51.100.7"]);

    // Wrapped, by UUID, with a tag.
    let uuid = s(&after["uuid"]);
    let a = add(
        &app,
        &uuid,
        json!({"Attribute": {"type": "domain", "value": "evil.example", "Tag": [{"name": "tlp:green"}]}}),
    )
    .await;
    assert_eq!(a["Tag"][0]["name"], "tlp:green", "{a}");
    assert_eq!(event_view(&app, &ev).await["attribute_count"], "2");
}

async fn add_list(app: TestApp) {
    let ev = event(&app, &app.admin_key, json!({})).await;
    let r = app
        .post(
            &format!("/attributes/add/{ev}"),
            &app.admin_key,
            json!([
                {"type": "ip-dst", "value": "198.51.100.1"},
                {"type": "ip-dst", "value": "not an ip"},
                {"type": "domain", "value": "a.example"},
            ]),
        )
        .await;
    let body = r.expect(200);
    let list = body["Attribute"].as_array().expect("a list of attributes");
    assert_eq!(list.len(), 2, "{body}");
    assert_eq!(list[0]["value"], "198.51.100.1");
    assert_eq!(list[1]["value"], "a.example");
    assert_eq!(
        body["errors"],
        json!({"attribute_1": {"value": ["IP address has an invalid format."]}})
    );

    // One saved out of two: a single attribute, as MISP answers.
    let r = app
        .post(
            &format!("/attributes/add/{ev}"),
            &app.admin_key,
            json!({"Attribute": [
                {"type": "ip-dst", "value": "198.51.100.1"},
                {"type": "ip-dst", "value": "198.51.100.2"},
            ]}),
        )
        .await;
    let body = r.expect(200);
    assert_eq!(body["Attribute"]["value"], "198.51.100.2", "{body}");
    assert_eq!(body["errors"]["attribute_0"]["value"][0], DUPLICATE);

    // A list of values is one attribute per value.
    let r = app
        .post(
            &format!("/attributes/add/{ev}"),
            &app.admin_key,
            json!({"type": "hostname", "value": ["h1.example", "h2.example"]}),
        )
        .await;
    assert_eq!(r.expect(200)["Attribute"].as_array().map(Vec::len), Some(2));

    // Nothing saved: a save failure listing each.
    let r = app
        .post(
            &format!("/attributes/add/{ev}"),
            &app.admin_key,
            json!([{"type": "ip-dst", "value": "x"}, {"type": "no-such-type", "value": "y"}]),
        )
        .await;
    let errors = r.expect_save_failed("Could not add Attribute");
    assert!(errors["attribute_0"]["value"].is_array(), "{errors}");
    assert!(errors["attribute_1"]["type"].is_array(), "{errors}");

    let after = event_view(&app, &ev).await;
    assert_eq!(after["attribute_count"], "5");
    assert_eq!(live_values(&after).len(), 5);
}

async fn duplicates_refused(app: TestApp) {
    let ev = event(&app, &app.admin_key, json!({})).await;
    let first = add(&app, &ev, json!({"type": "domain", "value": "example.com"})).await;
    let path = format!("/attributes/add/{ev}");
    for value in ["example.com", "Example.com", " EXAMPLE.COM. "] {
        let r = app
            .post(
                &path,
                &app.admin_key,
                json!({"type": "domain", "value": value}),
            )
            .await;
        r.expect(403);
        assert_eq!(
            r.body,
            json!({
                "saved": false,
                "name": "Could not add Attribute",
                "message": "Could not add Attribute",
                "url": path,
                "errors": {"value": [DUPLICATE]},
            }),
            "{value}"
        );
    }
    // Another category is another attribute.
    add(
        &app,
        &ev,
        json!({"type": "domain", "category": "Payload delivery", "value": "example.com"}),
    )
    .await;
    // A soft-deleted attribute does not count.
    let r = app
        .post(
            &format!("/attributes/delete/{}", s(&first["id"])),
            &app.admin_key,
            json!({}),
        )
        .await;
    r.expect(200);
    add(&app, &ev, json!({"type": "domain", "value": "Example.com"})).await;
    // The same UUID twice is refused.
    let taken = add(&app, &ev, json!({"type": "comment", "value": "x"})).await;
    let r = app
        .post(
            &path,
            &app.admin_key,
            json!({"type": "comment", "value": "y", "uuid": taken["uuid"]}),
        )
        .await;
    let errors = r.expect_save_failed("Could not add Attribute");
    assert_eq!(
        errors,
        &json!({"uuid": ["The UUID provided is not unique"]})
    );
}

async fn invalid_value_refused(app: TestApp) {
    let ev = event(&app, &app.admin_key, json!({})).await;
    let path = format!("/attributes/add/{ev}");
    let r = app
        .post(
            &path,
            &app.admin_key,
            json!({"type": "ip-dst", "value": "999.1.1.1"}),
        )
        .await;
    r.expect(403);
    assert_eq!(
        r.body,
        json!({
            "saved": false,
            "name": "Could not add Attribute",
            "message": "Could not add Attribute",
            "url": path,
            "errors": {"value": ["IP address has an invalid format."]},
        })
    );
    let r = app
        .post(
            &path,
            &app.admin_key,
            json!({"type": "md5", "value": "abc"}),
        )
        .await;
    let errors = r.expect_save_failed("Could not add Attribute");
    assert!(errors["value"][0]
        .as_str()
        .is_some_and(|m| m.starts_with("Checksum has an invalid length or format")));
    let after = event_view(&app, &ev).await;
    assert_eq!(after["Attribute"], json!([]));
    assert_eq!(after["attribute_count"], "0");
    assert_eq!(after["published"], true, "a refused add changes nothing");
    assert_eq!(ts(&after["timestamp"]), OLD);
}

async fn view(app: TestApp) {
    let ev = event(&app, &app.admin_key, json!({})).await;
    let a = add(
        &app,
        &ev,
        json!({"type": "url", "value": "https://evil.example/x", "Tag": [{"name": "tlp:amber"}]}),
    )
    .await;
    let id = s(&a["id"]);
    let uuid = s(&a["uuid"]);
    for path in [
        format!("/attributes/view/{id}"),
        format!("/attributes/view/{uuid}"),
        format!("/attributes/{id}"),
        format!("/attributes/view/{id}.json"),
    ] {
        let r = app.get(&path, &app.admin_key).await;
        let got = &r.expect(200)["Attribute"];
        assert_eq!(got["id"], id.as_str(), "{path}");
        assert_eq!(got["value"], "https://evil.example/x");
        assert_eq!(got["Tag"][0]["name"], "tlp:amber");
    }
    let head = app
        .send(app.request(
            Method::HEAD,
            &format!("/attributes/view/{id}"),
            &app.admin_key,
        ))
        .await;
    assert_eq!(head.status, 200);
    let head = app
        .send(app.request(Method::HEAD, "/attributes/view/99999", &app.admin_key))
        .await;
    assert_eq!(head.status, 404);
}

async fn edit_with_stale_timestamp_refused(app: TestApp) {
    let ev = event(&app, &app.admin_key, json!({})).await;
    let a = add(
        &app,
        &ev,
        json!({"type": "ip-dst", "value": "198.51.100.9"}),
    )
    .await;
    let id = s(&a["id"]);
    let stored = ts(&a["timestamp"]);
    let path = format!("/attributes/edit/{id}");
    for stale in [stored, stored - 10] {
        let r = app
            .post(
                &path,
                &app.admin_key,
                json!({"value": "198.51.100.10", "timestamp": stale.to_string()}),
            )
            .await;
        r.expect_error(405, NOT_NEWER, &path);
    }
    let r = app
        .get(&format!("/attributes/view/{id}"), &app.admin_key)
        .await;
    assert_eq!(r.expect(200)["Attribute"]["value"], "198.51.100.9");
    // A newer timestamp is accepted and kept.
    let newer = stored + 100;
    let r = app
        .post(
            &path,
            &app.admin_key,
            json!({"Attribute": {"value": "198.51.100.10", "timestamp": newer}}),
        )
        .await;
    let got = &r.expect(200)["Attribute"];
    assert_eq!(got["value"], "198.51.100.10");
    assert_eq!(ts(&got["timestamp"]), newer);
}

async fn edit_bumps_event_and_unpublishes(app: TestApp) {
    let ev = event(
        &app,
        &app.admin_key,
        json!({"Attribute": [{"type": "ip-dst", "value": "203.0.113.5", "timestamp": OLD.to_string()}]}),
    )
    .await;
    let before = event_view(&app, &ev).await;
    assert_eq!(before["published"], true);
    assert_eq!(ts(&before["timestamp"]), OLD);
    let id = s(&before["Attribute"][0]["id"]);

    let r = app
        .send(
            app.request(
                Method::PUT,
                &format!("/attributes/edit/{id}"),
                &app.admin_key,
            )
            .json(
                &json!({"comment": "edited", "to_ids": 0, "category": "Payload delivery",
                              "first_seen": "2024-01-02T03:04:05Z"}),
            ),
        )
        .await;
    let got = &r.expect(200)["Attribute"];
    assert_eq!(got["comment"], "edited");
    assert_eq!(got["to_ids"], false);
    assert_eq!(got["category"], "Payload delivery");
    assert_eq!(got["value"], "203.0.113.5", "unchanged fields kept");
    assert_eq!(got["type"], "ip-dst");
    assert_eq!(got["first_seen"], "2024-01-02T03:04:05.000000+00:00");
    assert!(ts(&got["timestamp"]) > OLD);

    let after = event_view(&app, &ev).await;
    assert_eq!(after["published"], false);
    assert!(ts(&after["timestamp"]) > OLD);
    assert_eq!(after["Attribute"][0]["comment"], "edited");

    // Invalid new values are refused and nothing changes.
    let path = format!("/attributes/edit/{id}");
    let r = app
        .post(&path, &app.admin_key, json!({"value": "not an ip"}))
        .await;
    let errors = r.expect_save_failed("Could not edit Attribute");
    assert_eq!(
        errors,
        &json!({"value": ["IP address has an invalid format."]})
    );
    // An edit into a duplicate is refused.
    add(
        &app,
        &ev,
        json!({"type": "ip-dst", "value": "203.0.113.6", "category": "Payload delivery"}),
    )
    .await;
    let r = app
        .post(&path, &app.admin_key, json!({"value": "203.0.113.6"}))
        .await;
    let errors = r.expect_save_failed("Could not edit Attribute");
    assert_eq!(errors, &json!({"value": [DUPLICATE]}));
    // The REST alias edits too.
    let r = app
        .send(
            app.request(Method::PUT, &format!("/attributes/{id}"), &app.admin_key)
                .json(&json!({"comment": "via REST"})),
        )
        .await;
    assert_eq!(r.expect(200)["Attribute"]["comment"], "via REST");
}

async fn soft_delete_restore_hard_delete(app: TestApp) {
    let ev = event(&app, &app.admin_key, json!({})).await;
    let a = add(
        &app,
        &ev,
        json!({"type": "domain", "value": "gone.example"}),
    )
    .await;
    let id = s(&a["id"]);
    app.post(&format!("/events/publish/{ev}"), &app.admin_key, json!({}))
        .await
        .expect(200);

    let r = app
        .post(
            &format!("/attributes/delete/{id}"),
            &app.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(r.expect(200), &json!({"message": "Attribute deleted."}));
    let after = event_view(&app, &ev).await;
    assert_eq!(after["attribute_count"], "0");
    assert_eq!(after["published"], false);
    assert!(live_values(&after).is_empty());
    let view = format!("/attributes/view/{id}");
    app.get(&view, &app.admin_key)
        .await
        .expect_error(404, "Invalid attribute", &view);
    // A soft-deleted attribute cannot be soft-deleted or edited again.
    let del = format!("/attributes/delete/{id}");
    app.post(&del, &app.admin_key, json!({}))
        .await
        .expect_error(404, "Invalid attribute", &del);
    let edit = format!("/attributes/edit/{id}");
    app.post(&edit, &app.admin_key, json!({"comment": "x"}))
        .await
        .expect_error(404, "Invalid attribute", &edit);

    // Restore.
    let r = app
        .post(
            &format!("/attributes/restore/{id}"),
            &app.admin_key,
            json!({}),
        )
        .await;
    let got = &r.expect(200)["Attribute"];
    assert_eq!(got["deleted"], false);
    assert_eq!(got["value"], "gone.example");
    assert_eq!(event_view(&app, &ev).await["attribute_count"], "1");

    // Restoring into a duplicate is refused.
    app.post(&del, &app.admin_key, json!({})).await.expect(200);
    add(
        &app,
        &ev,
        json!({"type": "domain", "value": "gone.example"}),
    )
    .await;
    let r = app
        .post(
            &format!("/attributes/restore/{id}"),
            &app.admin_key,
            json!({}),
        )
        .await;
    let errors = r.expect_save_failed("Could not restore Attribute");
    assert_eq!(errors, &json!({"value": [DUPLICATE]}));

    // Hard delete of the soft-deleted one: /1.
    let r = app
        .post(
            &format!("/attributes/delete/{id}/1"),
            &app.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(r.expect(200)["message"], "Attribute deleted.");
    let ev_now = event_view(&app, &ev).await;
    assert_eq!(ev_now["Attribute"].as_array().map(Vec::len), Some(1));
    assert_eq!(ev_now["attribute_count"], "1");
    let restore = format!("/attributes/restore/{id}");
    app.post(&restore, &app.admin_key, json!({}))
        .await
        .expect_error(404, "Invalid attribute", &restore);

    // Hard delete with {"hard": 1} (PyMISP) and with the REST alias.
    let b = add(&app, &ev, json!({"type": "domain", "value": "b.example"})).await;
    let r = app
        .post(
            &format!("/attributes/delete/{}", s(&b["id"])),
            &app.admin_key,
            json!({"hard": 1}),
        )
        .await;
    r.expect(200);
    let c = add(&app, &ev, json!({"type": "domain", "value": "c.example"})).await;
    let r = app
        .send(app.request(
            Method::DELETE,
            &format!("/attributes/{}", s(&c["uuid"])),
            &app.admin_key,
        ))
        .await;
    r.expect(200);
    let ev_now = event_view(&app, &ev).await;
    assert_eq!(live_values(&ev_now), vec!["gone.example"]);
    assert_eq!(
        ev_now["Attribute"].as_array().map(Vec::len),
        Some(2),
        "c soft, b hard"
    );
    assert_eq!(ev_now["attribute_count"], "1");
}

async fn other_org_may_view_not_change(app: TestApp) {
    let org_a = admin_org(&app).await;
    let (_, a_key) = app.create_user("a-user@example.test", &org_a, 3).await;
    let org_b = app.create_org("Org B").await;
    let (_, b_key) = app.create_user("b-user@example.test", &org_b, 3).await;

    for distribution in 1..=3 {
        let ev = event(&app, &a_key, json!({"distribution": distribution})).await;
        let a = add(&app, &ev, json!({"type": "ip-src", "value": "192.0.2.44"})).await;
        let id = s(&a["id"]);
        // Adding, editing, deleting: MISP's exact text, which PyMISP relies on.
        let path = format!("/attributes/add/{ev}");
        app.post(
            &path,
            &b_key,
            json!({"type": "ip-src", "value": "192.0.2.45"}),
        )
        .await
        .expect_error(403, NOT_PERMITTED, &path);
        let path = format!("/attributes/edit/{id}");
        app.post(&path, &b_key, json!({"comment": "mine now"}))
            .await
            .expect_error(403, NOT_PERMITTED, &path);
        let path = format!("/attributes/delete/{id}");
        app.post(&path, &b_key, json!({}))
            .await
            .expect_error(403, NOT_PERMITTED, &path);
        let path = format!("/attributes/restore/{id}");
        app.post(&path, &b_key, json!({}))
            .await
            .expect_error(403, NOT_PERMITTED, &path);
        // Viewing is allowed.
        let r = app.get(&format!("/attributes/view/{id}"), &b_key).await;
        assert_eq!(r.expect(200)["Attribute"]["value"], "192.0.2.44");
        // Org-only attributes of a shared event stay hidden.
        let hidden = add(
            &app,
            &ev,
            json!({"type": "ip-src", "value": "192.0.2.46", "distribution": 0}),
        )
        .await;
        let path = format!("/attributes/view/{}", s(&hidden["id"]));
        app.get(&path, &b_key)
            .await
            .expect_error(404, "Invalid attribute", &path);
        // The creator's organisation may change it (perm_modify_org).
        let r = app
            .post(
                &format!("/attributes/edit/{id}"),
                &a_key,
                json!({"comment": "ok"}),
            )
            .await;
        assert_eq!(r.expect(200)["Attribute"]["comment"], "ok");
    }

    // An org-only event is invisible to org B: 404, as a missing one.
    let ev = event(&app, &a_key, json!({"distribution": 0})).await;
    let a = add(&app, &ev, json!({"type": "ip-src", "value": "192.0.2.47"})).await;
    let id = s(&a["id"]);
    let path = format!("/attributes/add/{ev}");
    app.post(
        &path,
        &b_key,
        json!({"type": "ip-src", "value": "192.0.2.48"}),
    )
    .await
    .expect_error(404, "Invalid event", &path);
    for path in [
        format!("/attributes/view/{id}"),
        format!("/attributes/edit/{id}"),
        format!("/attributes/delete/{id}"),
    ] {
        let r = if path.contains("view") {
            app.get(&path, &b_key).await
        } else {
            app.post(&path, &b_key, json!({})).await
        };
        r.expect_error(404, "Invalid attribute", &path);
    }

    // A role without perm_add is stopped by the ACL, with MISP's ACL message.
    let (_, ro_key) = app.create_user("ro@example.test", &org_a, 6).await;
    let path = format!("/attributes/add/{ev}");
    app.post(
        &path,
        &ro_key,
        json!({"type": "ip-src", "value": "192.0.2.49"}),
    )
    .await
    .expect_error(403, NO_PERMISSION, &path);
}

async fn invalid_ids_are_not_found(app: TestApp) {
    let key = app.admin_key.clone();
    for id in [
        "abc",
        "0",
        "-1",
        "999999",
        "5e6b9c1d-0b1c-4f7a-9c1d-2a3b4c5d6e7f",
    ] {
        let path = format!("/attributes/view/{id}");
        app.get(&path, &key)
            .await
            .expect_error(404, "Invalid attribute", &path);
        for action in ["edit", "delete", "restore"] {
            let path = format!("/attributes/{action}/{id}");
            app.post(&path, &key, json!({}))
                .await
                .expect_error(404, "Invalid attribute", &path);
        }
        let path = format!("/attributes/add/{id}");
        app.post(&path, &key, json!({"type": "comment", "value": "x"}))
            .await
            .expect_error(404, "Invalid event", &path);
    }
}

async fn rest_add_with_event_id_in_body(app: TestApp) {
    let ev = event(&app, &app.admin_key, json!({})).await;
    let r = app
        .post(
            "/attributes",
            &app.admin_key,
            json!({"event_id": ev, "type": "text", "value": "hello"}),
        )
        .await;
    let got = &r.expect(200)["Attribute"];
    assert_eq!(got["event_id"], ev.as_str());
    assert_eq!(got["value"], "hello");
    let r = app
        .post(
            "/attributes/add",
            &app.admin_key,
            json!({"type": "text", "value": "x"}),
        )
        .await;
    r.expect_error(405, "No event ID set.", "/attributes/add");
}

api_tests!(
    add_one,
    add_list,
    duplicates_refused,
    invalid_value_refused,
    view,
    edit_with_stale_timestamp_refused,
    edit_bumps_event_and_unpublishes,
    soft_delete_restore_hard_delete,
    other_org_may_view_not_change,
    invalid_ids_are_not_found,
    rest_add_with_event_id_in_body,
    concurrent_writes_to_one_event_all_succeed,
);

/// Writers that read before they write (attribute add and edit check the
/// event first) must queue, not fail, when they meet: on SQLite a deferred
/// transaction would fail at once with SQLITE_BUSY_SNAPSHOT.
async fn concurrent_writes_to_one_event_all_succeed(app: TestApp) {
    let r = app
        .post(
            "/events/add",
            &app.admin_key,
            json!({"Event": {"info": "many writers"}}),
        )
        .await;
    let id = s(&r.expect(200)["Event"]["id"]);
    let writes = (0..24).map(|i| {
        let app = &app;
        let id = id.clone();
        async move {
            app.post(
                &format!("/attributes/add/{id}"),
                &app.admin_key,
                json!({"type": "ip-dst", "value": format!("198.51.100.{i}")}),
            )
            .await
        }
    });
    let answers = futures_util::future::join_all(writes).await;
    for r in &answers {
        r.expect(200);
    }
    let ev = app.get(&format!("/events/view/{id}"), &app.admin_key).await;
    assert_eq!(ev.expect(200)["Event"]["attribute_count"], "24");
}
