//! Sightings: add (by id, UUID, value), index, listSightings, delete,
//! restSearch, MISP's default sighting policy, and that a sighting leaves the
//! event's timestamp and published flag alone.

use serde_json::{json, Value};

use crate::helpers::{s, TestApp, NO_PERMISSION};

const OLD: i64 = 1_600_000_000;
const NO_MATCH: &str =
    "Could not add the Sighting. Reason: No valid attributes found that match the criteria.";

/// Creates a published event with `key` holding `attributes`; returns the
/// event id and the attribute ids in order.
async fn event(
    app: &TestApp,
    key: &str,
    distribution: i64,
    attributes: Value,
) -> (String, Vec<String>) {
    let r = app
        .post(
            "/events/add",
            key,
            json!({"Event": {
                "info": "sighting tests",
                "distribution": distribution,
                "timestamp": OLD.to_string(),
                "published": true,
                "Attribute": attributes,
            }}),
        )
        .await;
    let ev = r.expect(200)["Event"].clone();
    let ids = ev["Attribute"]
        .as_array()
        .expect("attributes")
        .iter()
        .map(|a| s(&a["id"]))
        .collect();
    (s(&ev["id"]), ids)
}

async fn org_of(app: &TestApp, key: &str) -> String {
    let r = app.get("/users/view/me", key).await;
    s(&r.expect(200)["User"]["org_id"])
}

fn len(v: &Value) -> usize {
    v.as_array()
        .map_or_else(|| panic!("expected a list: {v}"), Vec::len)
}

async fn add_by_id_uuid_and_value(app: TestApp) {
    let admin_org = org_of(&app, &app.admin_key).await;
    let (ev, ids) = event(
        &app,
        &app.admin_key,
        1,
        json!([
            {"type": "ip-dst", "value": "198.51.100.7"},
            {"type": "domain", "value": "evil.example"},
        ]),
    )
    .await;
    let (ev2, ids2) = event(
        &app,
        &app.admin_key,
        1,
        json!([{"type": "ip-src", "value": "198.51.100.7"}]),
    )
    .await;

    // By id in the path, with a source and a timestamp.
    let r = app
        .post(
            &format!("/sightings/add/{}", ids[0]),
            &app.admin_key,
            json!({"source": " honeypot ", "timestamp": 1_700_000_000}),
        )
        .await;
    let sg = &r.expect(200)["Sighting"];
    assert_eq!(sg["attribute_id"], ids[0].as_str());
    assert_eq!(sg["event_id"], ev.as_str());
    assert_eq!(sg["org_id"], admin_org.as_str());
    assert_eq!(sg["type"], "0");
    assert_eq!(sg["source"], "honeypot");
    assert_eq!(sg["date_sighting"], "1700000000");
    assert_eq!(s(&sg["uuid"]).len(), 36);

    // By the attribute's UUID in the body, as a false positive.
    let view = app
        .get(&format!("/attributes/view/{}", ids[1]), &app.admin_key)
        .await;
    let uuid = s(&view.expect(200)["Attribute"]["uuid"]);
    let r = app
        .post(
            "/sightings/add",
            &app.admin_key,
            json!({"Sighting": {"uuid": uuid, "type": "1"}}),
        )
        .await;
    let sg = &r.expect(200)["Sighting"];
    assert_eq!(sg["attribute_id"], ids[1].as_str());
    assert_eq!(sg["type"], "1");

    // By value: every visible attribute with it, in both events.
    let r = app
        .post(
            "/sightings/add",
            &app.admin_key,
            json!({"value": "198.51.100.7"}),
        )
        .await;
    r.expect(200);
    let r = app
        .get(&format!("/sightings/index/{ev}"), &app.admin_key)
        .await;
    let list = r.expect(200);
    assert_eq!(len(list), 3, "{list}");
    assert_eq!(list[0]["attribute_uuid"].as_str().map(str::len), Some(36));
    assert_eq!(list[0]["Organisation"]["id"], admin_org.as_str());
    let r = app
        .get(&format!("/sightings/index/{ev2}"), &app.admin_key)
        .await;
    let list = r.expect(200);
    assert_eq!(len(list), 1);
    assert_eq!(list[0]["attribute_id"], ids2[0].as_str());

    // Sightings neither unpublish nor bump the event; they set sighting_timestamp.
    let r = app.get(&format!("/events/view/{ev}"), &app.admin_key).await;
    let e = &r.expect(200)["Event"];
    assert_eq!(e["published"], true);
    assert_eq!(e["timestamp"], OLD.to_string().as_str());
    assert!(s(&e["sighting_timestamp"]).parse::<i64>().unwrap_or(0) > OLD);

    // listSightings, PyMISP style (POST body) and path style; newest first.
    let r = app
        .post(
            "/sightings/listSightings",
            &app.admin_key,
            json!({"context": "attribute", "id": ids[0]}),
        )
        .await;
    let list = r.expect(200);
    assert_eq!(len(list), 2, "{list}");
    assert_eq!(list[1]["Sighting"]["date_sighting"], "1700000000");
    assert_eq!(list[0]["Organisation"]["id"], admin_org.as_str());
    let r = app
        .get(
            &format!("/sightings/listSightings/{ev}/event"),
            &app.admin_key,
        )
        .await;
    assert_eq!(len(r.expect(200)), 3);
}

async fn policy_and_access(app: TestApp) {
    let org_a = org_of(&app, &app.admin_key).await;
    let (_, a_key) = app.create_user("a@example.test", &org_a, 3).await;
    let org_b = app.create_org("Org B").await;
    let (_, b_key) = app.create_user("b@example.test", &org_b, 3).await;
    let org_c = app.create_org("Org C").await;
    let (_, c_key) = app.create_user("c@example.test", &org_c, 3).await;
    let (_, ro_key) = app.create_user("ro@example.test", &org_b, 6).await;

    let (ev, ids) = event(
        &app,
        &a_key,
        1,
        json!([
            {"type": "ip-dst", "value": "192.0.2.1"},
            {"type": "ip-dst", "value": "192.0.2.2", "distribution": 0},
        ]),
    )
    .await;
    let add = |key: String, id: String| {
        let app = &app;
        async move {
            app.post(&format!("/sightings/add/{id}"), &key, json!({}))
                .await
        }
    };
    let b_sighting = s(&add(b_key.clone(), ids[0].clone()).await.expect(200)["Sighting"]["id"]);
    let r = add(c_key.clone(), ids[0].clone()).await;
    let c_sighting = s(&r.expect(200)["Sighting"]["id"]);
    assert_eq!(r.body["Sighting"]["org_id"], org_c.as_str());
    add(a_key.clone(), ids[0].clone()).await.expect(200);

    // The org-only attribute is as missing to other organisations.
    let path = format!("/sightings/add/{}", ids[1]);
    app.post(&path, &b_key, json!({}))
        .await
        .expect_error(404, NO_MATCH, &path);
    let path = format!("/sightings/listSightings/{}/attribute", ids[1]);
    app.get(&path, &b_key)
        .await
        .expect_error(404, "Invalid attribute", &path);
    // A read-only user may not record sightings.
    let path = format!("/sightings/add/{}", ids[0]);
    app.post(&path, &ro_key, json!({}))
        .await
        .expect_error(403, NO_PERMISSION, &path);

    // The owner sees every sighting, others only their own organisation's.
    let list_path = format!("/sightings/listSightings/{}/attribute", ids[0]);
    assert_eq!(len(app.get(&list_path, &a_key).await.expect(200)), 3);
    assert_eq!(
        len(app.get(&list_path, &app.admin_key).await.expect(200)),
        3
    );
    let r = app.get(&list_path, &b_key).await;
    let list = r.expect(200);
    assert_eq!(len(list), 1);
    assert_eq!(list[0]["Sighting"]["org_id"], org_b.as_str());
    let r = app.get(&format!("/sightings/index/{ev}"), &c_key).await;
    let list = r.expect(200);
    assert_eq!(len(list), 1);
    assert_eq!(list[0]["id"], c_sighting.as_str());
    let r = app
        .post(
            "/sightings/restSearch/attribute",
            &b_key,
            json!({"id": ids[0]}),
        )
        .await;
    assert_eq!(len(&r.expect(200)["response"]), 1);
    // The event view and restSearch apply the same policy.
    fn sighting_orgs(event: &Value) -> Vec<String> {
        let mut orgs: Vec<String> = event["Attribute"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|a| a["Sighting"].as_array().cloned().unwrap_or_default())
            .map(|s| s["org_id"].as_str().unwrap_or_default().to_owned())
            .collect();
        orgs.sort();
        orgs
    }
    let view = format!("/events/view/{ev}");
    let r = app.get(&view, &b_key).await;
    assert_eq!(sighting_orgs(&r.expect(200)["Event"]), vec![org_b.clone()]);
    let r = app.get(&view, &a_key).await;
    assert_eq!(sighting_orgs(&r.expect(200)["Event"]).len(), 3);
    let r = app
        .post("/events/restSearch", &b_key, json!({"eventid": ev}))
        .await;
    let found = sighting_orgs(&r.expect(200)["response"][0]["Event"]);
    assert!(found.iter().all(|o| o == &org_b), "{found:?}");

    // Deleting: only one's own organisation's sightings.
    let path = format!("/sightings/delete/{c_sighting}");
    app.post(&path, &b_key, json!({}))
        .await
        .expect_error(404, "Invalid sighting.", &path);
    let path = format!("/sightings/delete/{b_sighting}");
    let r = app.post(&path, &b_key, json!({})).await;
    let body = r.expect(200);
    assert_eq!(body["saved"], true);
    assert_eq!(body["message"], "Sighting successfully deleted.");
    assert_eq!(body["id"], b_sighting.as_str());
    app.post(&path, &b_key, json!({}))
        .await
        .expect_error(404, "Invalid sighting.", &path);
    assert_eq!(len(app.get(&list_path, &a_key).await.expect(200)), 2);
    let path = format!("/sightings/delete/{c_sighting}");
    app.post(&path, &app.admin_key, json!({})).await.expect(200);
    assert_eq!(len(app.get(&list_path, &a_key).await.expect(200)), 1);

    // An event other organisations may not see is an invalid event.
    let (hidden, hidden_ids) = event(
        &app,
        &a_key,
        0,
        json!([{"type": "ip-dst", "value": "192.0.2.9"}]),
    )
    .await;
    let path = format!("/sightings/index/{hidden}");
    app.get(&path, &b_key)
        .await
        .expect_error(404, "Invalid event", &path);
    let path = format!("/sightings/listSightings/{hidden}/event");
    app.get(&path, &b_key)
        .await
        .expect_error(404, "Invalid event", &path);
    let path = format!("/sightings/add/{}", hidden_ids[0]);
    app.post(&path, &b_key, json!({}))
        .await
        .expect_error(404, NO_MATCH, &path);
    // By value, only visible attributes are sighted.
    app.post("/sightings/add", &b_key, json!({"value": "192.0.2.9"}))
        .await
        .expect_error(404, NO_MATCH, "/sightings/add");
}

async fn bad_input(app: TestApp) {
    let (_, ids) = event(
        &app,
        &app.admin_key,
        1,
        json!([{"type": "ip-dst", "value": "203.0.113.5"}]),
    )
    .await;
    let path = format!("/sightings/add/{}", ids[0]);
    app.post(&path, &app.admin_key, json!({"type": 5}))
        .await
        .expect_error(
            400,
            "Could not add the Sighting. Reason: Invalid type, please change it before you POST 1000000 sightings.",
            &path,
        );
    app.post("/sightings/add", &app.admin_key, json!({}))
        .await
        .expect_error(
            400,
            "Could not add the Sighting. Reason: No valid attributes found.",
            "/sightings/add",
        );
    app.post(&path, &app.admin_key, json!({"timestamp": "yesterday-ish"}))
        .await
        .expect_error(
            400,
            "Could not add the Sighting. Reason: Invalid timestamp.",
            &path,
        );
    app.post_raw(&path, &app.admin_key, "{not json")
        .await
        .expect(400);
    for missing in ["/sightings/add/999999", "/sightings/add/not-an-id"] {
        app.post(missing, &app.admin_key, json!({}))
            .await
            .expect_error(404, NO_MATCH, missing);
    }
    let path = format!("/sightings/listSightings/{}/object", ids[0]);
    app.get(&path, &app.admin_key)
        .await
        .expect_error(400, "Invalid context object.", &path);
    app.post("/sightings/restSearch/attribute", &app.admin_key, json!({}))
        .await
        .expect_error(
            400,
            "An ID or UUID must be provided if the context is set.",
            "/sightings/restSearch/attribute",
        );
    app.post(
        "/sightings/restSearch/attribute",
        &app.admin_key,
        json!({"id": "abc"}),
    )
    .await
    .expect_error(
        400,
        "Invalid ID `abc` provided.",
        "/sightings/restSearch/attribute",
    );
    let r = app.get("/sightings/restSearch", &app.admin_key).await;
    r.expect(400);
    app.post(
        "/sightings/restSearch",
        &app.admin_key,
        json!({"returnFormat": "stix"}),
    )
    .await
    .expect_error(404, "Invalid output format.", "/sightings/restSearch");
    let r = app.get("/sightings/delete/1", &app.admin_key).await;
    r.expect(405);
    // Case and `.json` variants reach the same routes.
    let r = app
        .post(
            &format!("/Sightings/ListSightings/{}/attribute.json", ids[0]),
            &app.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(len(r.expect(200)), 0);
}

async fn rest_search_filters(app: TestApp) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (ev, ids) = event(
        &app,
        &app.admin_key,
        1,
        json!([
            {"type": "ip-dst", "value": "198.51.100.20"},
            {"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e"},
        ]),
    )
    .await;
    let sight = |id: String, body: Value| {
        let app = &app;
        async move {
            app.post(&format!("/sightings/add/{id}"), &app.admin_key, body)
                .await
                .expect(200);
        }
    };
    sight(ids[0].clone(), json!({"source": "ids"})).await;
    sight(ids[0].clone(), json!({"type": 1, "source": "analyst"})).await;
    sight(ids[1].clone(), json!({"source": "ids"})).await;
    // Older than MISP's default 30-day window.
    sight(ids[1].clone(), json!({"timestamp": now - 40 * 86_400})).await;
    // Expirations replace the organisation's earlier one.
    sight(ids[1].clone(), json!({"type": 2})).await;
    sight(ids[1].clone(), json!({"type": 2})).await;

    let search = |body: Value| {
        let app = &app;
        async move {
            let r = app
                .post("/sightings/restSearch", &app.admin_key, body)
                .await;
            r.expect(200)["response"].clone()
        }
    };
    assert_eq!(len(&search(json!({"returnFormat": "json"})).await), 4);
    assert_eq!(len(&search(json!({"last": "60d"})).await), 5);
    assert_eq!(
        len(&search(json!({"from": now - 50 * 86_400, "to": now - 30 * 86_400})).await),
        1
    );
    let hits = search(json!({"context": "attribute", "id": ids[0], "type": "1"})).await;
    assert_eq!(len(&hits), 1);
    assert_eq!(hits[0]["Sighting"]["source"], "analyst");
    assert_eq!(hits[0]["Sighting"]["value"], "198.51.100.20");
    assert!(hits[0]["Sighting"].get("Attribute").is_none());
    let hits = search(json!({"source": "ids", "includeAttribute": true, "includeEvent": 1})).await;
    assert_eq!(len(&hits), 2);
    assert_eq!(hits[1]["Sighting"]["Attribute"]["type"], "md5");
    assert_eq!(hits[1]["Sighting"]["Attribute"]["to_ids"], true);
    assert_eq!(hits[1]["Sighting"]["Event"]["id"], ev.as_str());
    assert_eq!(hits[1]["Sighting"]["Event"]["info"], "sighting tests");
    let hits =
        search(json!({"context": "event", "id": ev.parse::<i64>().unwrap_or(0), "type": 2})).await;
    assert_eq!(len(&hits), 1, "{hits}");
    let other = app.create_org("Nobody").await;
    assert_eq!(len(&search(json!({"org_id": other})).await), 0);
    assert_eq!(
        len(&search(json!({"org_id": format!("!{other}")})).await),
        4
    );
    let r = app
        .post(
            "/sightings/restSearch/attribute",
            &app.admin_key,
            json!({"id": ids[0], "includeUuid": true}),
        )
        .await;
    let hits = &r.expect(200)["response"];
    assert_eq!(len(hits), 2);
    assert_eq!(
        hits[0]["Sighting"]["attribute_uuid"].as_str().map(str::len),
        Some(36)
    );
    assert_eq!(
        hits[0]["Sighting"]["event_uuid"].as_str().map(str::len),
        Some(36)
    );
}

/// A blank value names nothing (review finding: it sighted every attribute
/// whose second half is empty).
async fn blank_values_sight_nothing(app: TestApp) {
    let r = app
        .post(
            "/events/add",
            &app.admin_key,
            json!({"Event": {"info": "blank", "distribution": 1, "Attribute": [
                {"type": "domain", "value": "a.example"}]}}),
        )
        .await;
    let id = s(&r.expect(200)["Event"]["id"]);
    for body in [
        json!({"value": ""}),
        json!({"values": ["", " "]}),
        json!({"value": "", "id": ""}),
    ] {
        let r = app.post("/sightings/add", &app.admin_key, body).await;
        assert_eq!(r.status, 400, "{r}");
    }
    let r = app
        .get(&format!("/sightings/index/{id}"), &app.admin_key)
        .await;
    assert_eq!(r.expect(200).as_array().map(Vec::len), Some(0), "{r}");
}

/// What `sightings/add` refuses (a time at or before the epoch, a `source`
/// that is not a string or is over MISP's 255 characters), the restSearch
/// filters that are refused rather than ignored (`from`, `to`, `type`), and
/// that `sightings/delete` answers with the id as given.
async fn input_checks_and_delete_answers(app: TestApp) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (ev, ids) = event(
        &app,
        &app.admin_key,
        1,
        json!([{"type": "ip-dst", "value": "203.0.113.9"}]),
    )
    .await;
    let path = format!("/sightings/add/{}", ids[0]);
    let reason = |why: &str| format!("Could not add the Sighting. Reason: {why}");
    for body in [
        json!({"timestamp": "-5"}),
        json!({"timestamp": -5}),
        json!({"timestamp": 0}),
        json!({"date_sighting": "-86400"}),
        json!({"date": "1969-12-31", "time": "00:00:00"}),
    ] {
        app.post(&path, &app.admin_key, body.clone())
            .await
            .expect_error(400, &reason("Invalid timestamp."), &path);
    }
    app.post(
        &path,
        &app.admin_key,
        json!({"source": "s".repeat(100_000)}),
    )
    .await
    .expect_error(
        400,
        &reason("The source is too long (255 characters at most)."),
        &path,
    );
    app.post(&path, &app.admin_key, json!({"source": "é".repeat(256)}))
        .await
        .expect_error(
            400,
            &reason("The source is too long (255 characters at most)."),
            &path,
        );
    for source in [json!({"a": 1}), json!(["x"]), json!(true)] {
        app.post(&path, &app.admin_key, json!({ "source": source }))
            .await
            .expect_error(400, &reason("The source must be a string."), &path);
    }
    // Nothing refused was stored.
    let index = format!("/sightings/index/{ev}");
    assert_eq!(len(app.get(&index, &app.admin_key).await.expect(200)), 0);
    // At the limit, and a number as MISP takes it.
    let longest = "é".repeat(255);
    let r = app
        .post(
            &path,
            &app.admin_key,
            json!({"source": longest, "timestamp": now - 40 * 86_400}),
        )
        .await;
    let first = r.expect(200)["Sighting"].clone();
    assert_eq!(first["source"], longest.as_str());
    assert_eq!(first["date_sighting"], (now - 40 * 86_400).to_string());
    let r = app
        .post(&path, &app.admin_key, json!({"source": 42, "timestamp": 1}))
        .await;
    let second = r.expect(200)["Sighting"].clone();
    assert_eq!(second["source"], "42");
    assert_eq!(second["date_sighting"], "1");
    let r = app.post(&path, &app.admin_key, json!({})).await;
    let third = r.expect(200)["Sighting"].clone();

    // restSearch: unreadable times and types are 400s.
    let search = "/sightings/restSearch";
    for (body, message) in [
        (json!({"from": "x"}), "Invalid value for the from filter: 'x' is not a time (use epoch seconds, a date such as 2024-01-31, or a relative time such as 7d, 12h or 30m)."),
        (json!({"to": "x"}), "Invalid value for the to filter: 'x' is not a time (use epoch seconds, a date such as 2024-01-31, or a relative time such as 7d, 12h or 30m)."),
        (json!({"from": "1d", "to": "x"}), "Invalid value for the to filter: 'x' is not a time (use epoch seconds, a date such as 2024-01-31, or a relative time such as 7d, 12h or 30m)."),
        (json!({"last": "x"}), "Invalid value for the last filter: 'x' is not a time (use epoch seconds, a date such as 2024-01-31, or a relative time such as 7d, 12h or 30m)."),
        (json!({"type": "x"}), "Invalid type `x` provided. Valid options are: 0 (Sighting), 1 (False-positive), 2 (Expiration)."),
        (json!({"type": [0, 5]}), "Invalid type `5` provided. Valid options are: 0 (Sighting), 1 (False-positive), 2 (Expiration)."),
    ] {
        app.post(search, &app.admin_key, body.clone())
            .await
            .expect_error(400, message, search);
    }
    // `from` and `to` are bounds each on its own; without them the window
    // is `last`, by default 30 days.
    let found = |body: Value| {
        let app = &app;
        async move {
            let r = app.post(search, &app.admin_key, body).await;
            let mut ids: Vec<String> = r.expect(200)["response"]
                .as_array()
                .expect("a list")
                .iter()
                .map(|h| s(&h["Sighting"]["id"]))
                .collect();
            ids.sort();
            ids
        }
    };
    let (a, b, c) = (s(&first["id"]), s(&second["id"]), s(&third["id"]));
    let mut all = vec![a.clone(), b.clone(), c.clone()];
    all.sort();
    assert_eq!(found(json!({"type": 0})).await, vec![c.clone()]);
    assert_eq!(found(json!({"from": now - 50 * 86_400})).await, {
        let mut v = vec![a.clone(), c.clone()];
        v.sort();
        v
    });
    assert_eq!(found(json!({"to": now - 30 * 86_400})).await, {
        let mut v = vec![a.clone(), b.clone()];
        v.sort();
        v
    });
    assert_eq!(found(json!({"from": 0, "to": now + 60})).await, all);
    assert_eq!(found(json!({"last": "60d"})).await, {
        let mut v = vec![a.clone(), c.clone()];
        v.sort();
        v
    });

    // Deleting answers with the id as given: a UUID, or an id.
    let by_uuid = format!("/sightings/delete/{}", s(&first["uuid"]));
    let r = app.post(&by_uuid, &app.admin_key, json!({})).await;
    let body = r.expect(200);
    assert_eq!(body["message"], "Sighting successfully deleted.");
    assert_eq!(body["id"], first["uuid"]);
    assert_eq!(body["url"], by_uuid.as_str());
    let by_id = format!("/sightings/delete/{b}");
    let r = app.post(&by_id, &app.admin_key, json!({})).await;
    assert_eq!(r.expect(200)["id"], b.as_str());
    assert_eq!(found(json!({"from": 0})).await, vec![c]);
}

/// Sightings inside a document keep the organisation they name for site
/// admins (found by UUID, else created), and are the writer's own for others.
async fn document_sightings_keep_their_organisation(app: TestApp) {
    let remote_uuid = "5c6983c8-3af8-4c61-b3b7-5dcb0a0a0a0a";
    let doc = |info: &str, value: &str| {
        json!({"Event": {"info": info, "distribution": 1, "Attribute": [{
        "type": "ip-dst", "value": value,
        "Sighting": [
            {"uuid": uuid::Uuid::new_v4().to_string(), "date_sighting": OLD, "type": 0,
             "Organisation": {"name": "Remote CERT", "uuid": remote_uuid}},
            {"uuid": uuid::Uuid::new_v4().to_string(), "date_sighting": OLD, "type": 0}
        ]}]}})
    };
    let sighting_orgs = |ev: &Value| -> Vec<String> {
        let mut orgs: Vec<String> = ev["Attribute"][0]["Sighting"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|x| s(&x["org_id"]))
            .collect();
        orgs.sort();
        orgs
    };
    let admin_org = org_of(&app, &app.admin_key).await;
    let r = app
        .post("/events/add", &app.admin_key, doc("by admin", "192.0.2.70"))
        .await;
    let id = s(&r.expect(200)["Event"]["id"]);
    let r = app
        .get(
            &format!("/organisations/view/{remote_uuid}"),
            &app.admin_key,
        )
        .await;
    let remote = s(&r.expect(200)["Organisation"]["id"]);
    assert_eq!(s(&r.body["Organisation"]["name"]), "Remote CERT");
    let r = app.get(&format!("/events/view/{id}"), &app.admin_key).await;
    let mut want = vec![admin_org.clone(), remote.clone()];
    want.sort();
    assert_eq!(sighting_orgs(&r.expect(200)["Event"]), want);

    // A plain user's document: both sightings are its own organisation's.
    let org_b = app.create_org("Org B").await;
    let (_, b_key) = app.create_user("b@example.test", &org_b, 3).await;
    let r = app
        .post("/events/add", &b_key, doc("by user", "192.0.2.71"))
        .await;
    let id = s(&r.expect(200)["Event"]["id"]);
    let r = app.get(&format!("/events/view/{id}"), &b_key).await;
    assert_eq!(
        sighting_orgs(&r.expect(200)["Event"]),
        vec![org_b.clone(), org_b.clone()]
    );
}

api_tests!(
    document_sightings_keep_their_organisation,
    add_by_id_uuid_and_value,
    policy_and_access,
    bad_input,
    rest_search_filters,
    blank_values_sight_nothing,
    input_checks_and_delete_answers,
);
