//! Events: every real MISP event file imports and comes back with the same
//! content; the add/view/delete/publish cycle; bad documents are refused
//! whole; other organisations see only what is shared.

use std::path::PathBuf;

use serde_json::{json, Value};

use crate::helpers::{s, TestApp, ADMIN_KEY};

fn shared_events_dir() -> PathBuf {
    let dir = std::env::var("CYDEF_SHARED_DATA").map_or_else(
        |_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
        PathBuf::from,
    );
    let events = dir.join("events");
    assert!(
        events.is_dir(),
        "shared MISP event files not found at {} (set CYDEF_SHARED_DATA)",
        events.display()
    );
    events
}

/// Every event document under shared/data/events (not the sharing-group list
/// or the index listing, which are not events).
fn event_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![shared_events_dir()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                if !matches!(name, "sharing_groups.json" | "search_index_result.json") {
                    out.push(path);
                }
            }
        }
    }
    out.sort();
    assert!(
        out.len() >= 10,
        "expected the shared event files, found {}",
        out.len()
    );
    out
}

fn event_of(doc: &Value) -> &Value {
    if let Some(e) = doc.get("Event") {
        e
    } else if let Some(r) = doc.get("response") {
        &r[0]["Event"]
    } else {
        doc
    }
}

fn list<'a>(v: &'a Value, key: &str) -> Vec<&'a Value> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn flag(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_i64() != Some(0),
        Value::String(s) => s == "1" || s == "true",
        _ => false,
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn tag_names(v: &Value) -> Vec<String> {
    let mut names: Vec<String> = list(v, "Tag").iter().map(|t| s(&t["name"])).collect();
    for g in list(v, "Galaxy") {
        for c in list(g, "GalaxyCluster") {
            if let Some(n) = c["tag_name"].as_str() {
                names.push(n.to_owned());
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

/// Compares one attribute of the source document with what came back.
fn same_attribute(src: &Value, got: &Value, file: &str) {
    let uuid = s(&src["uuid"]);
    let t = s(&src["type"]);
    let want_value = cydef_model::attribute_value::normalise(&t, &s(&src["value"]))
        .unwrap_or_else(|e| panic!("{file}: {uuid}: {}", e.message));
    assert_eq!(s(&got["type"]), t, "{file}: type of {uuid}");
    assert_eq!(
        s(&got["category"]),
        s(&src["category"]),
        "{file}: category of {uuid}"
    );
    assert_eq!(s(&got["value"]), want_value, "{file}: value of {uuid}");
    assert_eq!(
        got["to_ids"].as_bool(),
        Some(flag(&src["to_ids"])),
        "{file}: to_ids of {uuid}"
    );
    assert_eq!(
        text(&got["comment"]),
        text(&src["comment"]),
        "{file}: comment of {uuid}"
    );
    assert_eq!(
        got["deleted"].as_bool(),
        Some(flag(&src["deleted"])),
        "{file}: deleted of {uuid}"
    );
    if let Some(ts) = src.get("timestamp").filter(|t| !t.is_null()) {
        assert_eq!(
            text(&got["timestamp"]),
            text(ts),
            "{file}: timestamp of {uuid}"
        );
    }
    for seen in ["first_seen", "last_seen"] {
        match src
            .get(seen)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
        {
            Some(v) => {
                let want = cydef_model::attribute_value::normalise_seen(v).expect("valid seen");
                assert_eq!(
                    got[seen].as_str(),
                    Some(want.as_str()),
                    "{file}: {seen} of {uuid}"
                );
            }
            None => assert!(got[seen].is_null(), "{file}: {seen} of {uuid}"),
        }
    }
    assert_eq!(tag_names(got), tag_names(src), "{file}: tags of {uuid}");
}

async fn round_trip_every_shared_event_file(app: TestApp) {
    for path in event_files() {
        let file = path.display().to_string();
        let bytes = std::fs::read(&path).expect("readable file");
        let doc: Value = serde_json::from_slice(&bytes).expect("JSON");
        let src = event_of(&doc);
        let r = app
            .send(
                app.request(reqwest::Method::POST, "/events/add", ADMIN_KEY)
                    .body(bytes.clone()),
            )
            .await;
        if r.status == 404 {
            // The same event appears in two files (a feed copy): MISP's 404
            // with a Location header, and nothing changed.
            assert!(
                r.body["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("already exists"),
                "{file}: {r}"
            );
            continue;
        }
        let created = r.expect(200);
        let uuid = s(&created["Event"]["uuid"]);
        assert_eq!(uuid, s(&src["uuid"]).to_lowercase(), "{file}");
        let got = app
            .get(&format!("/events/view/{uuid}/deleted:1"), ADMIN_KEY)
            .await;
        let ev = &got.expect(200)["Event"];
        assert_eq!(s(&ev["info"]), s(&src["info"]).trim(), "{file}: info");
        assert_eq!(
            text(&ev["threat_level_id"]),
            text(&src["threat_level_id"]),
            "{file}"
        );
        assert_eq!(text(&ev["analysis"]), text(&src["analysis"]), "{file}");
        assert_eq!(s(&ev["date"]), s(&src["date"]), "{file}: date");
        assert_eq!(tag_names(ev), tag_names(src), "{file}: event tags");
        if let Some(orgc) = src["Orgc"]["name"].as_str() {
            assert_eq!(
                s(&ev["Orgc"]["name"]),
                orgc,
                "{file}: Orgc kept for a site admin"
            );
        }

        let src_attrs = list(src, "Attribute");
        let got_attrs = list(ev, "Attribute");
        assert_eq!(got_attrs.len(), src_attrs.len(), "{file}: attribute count");
        for a in &src_attrs {
            let uuid = s(&a["uuid"]);
            let g = got_attrs
                .iter()
                .find(|g| s(&g["uuid"]) == uuid)
                .unwrap_or_else(|| panic!("{file}: attribute {uuid} missing"));
            same_attribute(a, g, &file);
        }

        let src_objs = list(src, "Object");
        let got_objs = list(ev, "Object");
        assert_eq!(got_objs.len(), src_objs.len(), "{file}: object count");
        let live = |attrs: &[&Value]| attrs.iter().filter(|a| !flag(&a["deleted"])).count();
        let mut total = live(&src_attrs);
        for o in &src_objs {
            let uuid = s(&o["uuid"]);
            let g = got_objs
                .iter()
                .find(|g| s(&g["uuid"]) == uuid)
                .unwrap_or_else(|| panic!("{file}: object {uuid} missing"));
            assert_eq!(s(&g["name"]), s(&o["name"]), "{file}: object name");
            assert_eq!(
                text(&g["meta-category"]),
                text(&o["meta-category"]),
                "{file}"
            );
            assert_eq!(
                text(&g["template_uuid"]),
                text(&o["template_uuid"]),
                "{file}"
            );
            let oa = list(o, "Attribute");
            let ga = list(g, "Attribute");
            assert_eq!(ga.len(), oa.len(), "{file}: attributes of object {uuid}");
            if !flag(&o["deleted"]) {
                total += live(&oa);
            }
            for a in &oa {
                let au = s(&a["uuid"]);
                let got = ga
                    .iter()
                    .find(|x| s(&x["uuid"]) == au)
                    .unwrap_or_else(|| panic!("{file}: object attribute {au} missing"));
                same_attribute(a, got, &file);
                assert_eq!(got["object_relation"], a["object_relation"], "{file}");
                assert_eq!(s(&got["object_id"]), s(&g["id"]), "{file}");
            }
            let mut want_refs: Vec<(String, String)> = list(o, "ObjectReference")
                .iter()
                .map(|r| (s(&r["referenced_uuid"]), s(&r["relationship_type"])))
                .collect();
            let mut got_refs: Vec<(String, String)> = list(g, "ObjectReference")
                .iter()
                .map(|r| (s(&r["referenced_uuid"]), s(&r["relationship_type"])))
                .collect();
            want_refs.sort();
            got_refs.sort();
            assert_eq!(got_refs, want_refs, "{file}: references of object {uuid}");
        }
        assert_eq!(
            s(&ev["attribute_count"]),
            total.to_string(),
            "{file}: attribute_count"
        );
        let reports = list(src, "EventReport").len();
        assert_eq!(list(ev, "EventReport").len(), reports, "{file}: reports");
    }
}

async fn add_view_publish_delete_cycle(app: TestApp) {
    let r = app
        .post(
            "/events/add",
            ADMIN_KEY,
            json!({"Event": {"info": "cycle 🦀", "published": false, "Attribute": [
                {"type": "ip-dst", "value": "198.51.100.7", "comment": "ünïcödé 💬"},
                {"type": "domain", "value": "Example.COM."},
                {"type": "domain", "value": "gone.example", "deleted": true}
            ]}}),
        )
        .await;
    let ev = r.expect(200)["Event"].clone();
    let id = s(&ev["id"]);
    assert!(id.parse::<i64>().is_ok(), "ids are strings of digits");
    assert_eq!(ev["published"], false);
    assert_eq!(
        s(&ev["attribute_count"]),
        "2",
        "soft-deleted attributes are not counted"
    );
    let values: Vec<String> = list(&ev, "Attribute")
        .iter()
        .map(|a| s(&a["value"]))
        .collect();
    assert_eq!(values, vec!["198.51.100.7", "example.com"]);
    assert_eq!(s(&list(&ev, "Attribute")[0]["comment"]), "ünïcödé 💬");
    for key in [
        "Org",
        "Orgc",
        "Attribute",
        "ShadowAttribute",
        "RelatedEvent",
        "Galaxy",
        "Object",
        "EventReport",
        "Tag",
    ] {
        assert!(ev.get(key).is_some(), "Event.{key} is always present");
    }

    // Soft-deleted attributes only with deleted:1 (or PyMISP's POST body).
    let uuid = s(&ev["uuid"]);
    let all = app
        .get(&format!("/events/view/{id}/deleted:1"), ADMIN_KEY)
        .await;
    assert_eq!(list(&all.expect(200)["Event"], "Attribute").len(), 3);
    let all = app
        .post(
            &format!("/events/view/{id}"),
            ADMIN_KEY,
            json!({"deleted": true}),
        )
        .await;
    assert_eq!(list(&all.expect(200)["Event"], "Attribute").len(), 3);

    // By id, by uuid, REST style, HEAD.
    for path in [
        format!("/events/view/{id}"),
        format!("/events/view/{uuid}"),
        format!("/events/{id}"),
    ] {
        assert_eq!(
            s(&app.get(&path, ADMIN_KEY).await.expect(200)["Event"]["uuid"]),
            uuid
        );
    }
    let head = app
        .send(app.request(
            reqwest::Method::HEAD,
            &format!("/events/view/{id}"),
            ADMIN_KEY,
        ))
        .await;
    assert_eq!(head.status, 200);

    // Unknown and malformed ids: MISP's 404, never another event.
    for bad in [
        "999999",
        "abc",
        "1 OR 1=1",
        "00000000-0000-0000-0000-000000000000",
    ] {
        let r = app.get(&format!("/events/view/{bad}"), ADMIN_KEY).await;
        assert_eq!(r.status, 404, "{bad}: {r}");
        assert_eq!(r.body["message"], "Invalid event");
    }

    let r = app
        .post(&format!("/events/publish/{id}"), ADMIN_KEY, json!({}))
        .await;
    assert_eq!(r.expect(200)["saved"], true);
    let ev = app.get(&format!("/events/view/{id}"), ADMIN_KEY).await;
    assert_eq!(ev.body["Event"]["published"], true);
    assert_ne!(s(&ev.body["Event"]["publish_timestamp"]), "0");

    // The same UUID again: MISP's 404 with a Location header.
    let again = app
        .send(
            app.request(reqwest::Method::POST, "/events/add", ADMIN_KEY)
                .json(&json!({"Event": {"uuid": uuid, "info": "again"}})),
        )
        .await;
    assert_eq!(again.status, 404, "{again}");

    let r = app
        .post(&format!("/events/delete/{id}"), ADMIN_KEY, json!({}))
        .await;
    assert_eq!(r.expect(200)["message"], "Event deleted.");
    assert_eq!(
        app.get(&format!("/events/view/{id}"), ADMIN_KEY)
            .await
            .status,
        404
    );
    // Deleted events are blocklisted: re-adding is refused.
    let r = app
        .post(
            "/events/add",
            ADMIN_KEY,
            json!({"Event": {"uuid": uuid, "info": "back"}}),
        )
        .await;
    let errors = r.expect_save_failed("Could not add Event");
    assert_eq!(errors["Event"][0], "Event blocked by event blocklist.");
    let bl = app.get("/event_blocklists/index", ADMIN_KEY).await;
    assert!(bl
        .expect(200)
        .as_array()
        .expect("list")
        .iter()
        .any(|b| b["EventBlocklist"]["event_uuid"] == uuid.as_str()));
}

async fn invalid_documents_are_refused_whole(app: TestApp) {
    let before = app
        .get("/events/index", ADMIN_KEY)
        .await
        .expect(200)
        .as_array()
        .map_or(0, Vec::len);
    let r = app
        .post(
            "/events/add",
            ADMIN_KEY,
            json!({"Event": {"info": "bad", "Attribute": [
                {"type": "ip-dst", "value": "192.0.2.1"},
                {"type": "md5", "value": "not-a-hash"},
                {"type": "ip-dst", "value": "192.0.2.1"}
            ]}}),
        )
        .await;
    let errors = r.expect_save_failed("Could not add Event");
    assert!(
        errors["Attribute[1]"]["value"][0]
            .as_str()
            .unwrap_or_default()
            .contains("Checksum"),
        "{errors}"
    );
    assert_eq!(
        errors["Attribute[2]"]["value"][0],
        "A similar attribute already exists for this event."
    );
    for body in [
        json!({}),
        json!({"Event": {"info": null}}),
        json!({"Event": {"info": ""}}),
    ] {
        let r = app.post("/events/add", ADMIN_KEY, body.clone()).await;
        assert!((400..500).contains(&r.status), "{body}: {r}");
    }
    let r = app.post_raw("/events/add", ADMIN_KEY, "{not json").await;
    assert_eq!(r.status, 400, "{r}");
    let r = app.post_raw("/events/add", ADMIN_KEY, "").await;
    assert!((400..500).contains(&r.status), "{r}");
    let after = app
        .get("/events/index", ADMIN_KEY)
        .await
        .expect(200)
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(after, before, "nothing was created");
}

async fn other_organisations_see_only_what_is_shared(app: TestApp) {
    let org_b = app.create_org("Org B").await;
    let (_, key_b) = app.create_user("b@example.test", &org_b, 3).await;
    let private = app
        .post(
            "/events/add",
            ADMIN_KEY,
            json!({"Event": {"info": "org only", "distribution": 0}}),
        )
        .await;
    let private_id = s(&private.expect(200)["Event"]["id"]);
    let shared = app
        .post(
            "/events/add",
            ADMIN_KEY,
            json!({"Event": {"info": "community", "distribution": 1, "Attribute": [
                {"type": "domain", "value": "public.example", "distribution": 5},
                {"type": "domain", "value": "secret.example", "distribution": 0}
            ]}}),
        )
        .await;
    let shared_id = s(&shared.expect(200)["Event"]["id"]);

    let r = app.get(&format!("/events/view/{private_id}"), &key_b).await;
    r.expect_error(404, "Invalid event", &format!("/events/view/{private_id}"));
    let ev = app.get(&format!("/events/view/{shared_id}"), &key_b).await;
    let values: Vec<String> = list(&ev.expect(200)["Event"], "Attribute")
        .iter()
        .map(|a| s(&a["value"]))
        .collect();
    assert_eq!(
        values,
        vec!["public.example"],
        "distribution-0 attributes stay with their organisation"
    );
    let index = app.get("/events/index", &key_b).await;
    let infos: Vec<String> = index
        .expect(200)
        .as_array()
        .expect("list")
        .iter()
        .map(|e| s(&e["info"]))
        .collect();
    assert_eq!(infos, vec!["community"]);

    // Org B may not delete or publish org A's event.
    let r = app
        .post(&format!("/events/delete/{shared_id}"), &key_b, json!({}))
        .await;
    assert_eq!(r.status, 403, "{r}");
    assert_eq!(
        app.get(&format!("/events/view/{shared_id}"), ADMIN_KEY)
            .await
            .status,
        200
    );
    // A user (role 3) creates events as its own organisation, whatever Orgc says.
    let r = app
        .post(
            "/events/add",
            &key_b,
            json!({"Event": {"info": "mine", "Orgc": {"name": "Someone Else"}, "published": true}}),
        )
        .await;
    let ev = &r.expect(200)["Event"];
    assert_eq!(s(&ev["Orgc"]["name"]), "Org B");
    assert_eq!(ev["published"], false, "role 3 may not publish");
}

/// Findings of the adversarial review, kept fixed.
async fn hidden_parts_do_not_leak(app: TestApp) {
    let org_b = app.create_org("Org B").await;
    let (_, key_b) = app.create_user("b@example.test", &org_b, 3).await;
    // A sharing group org B is not in.
    let sg = app
        .post(
            "/sharing_groups/add",
            ADMIN_KEY,
            json!({"SharingGroup": {"name": "admins only"}}),
        )
        .await;
    let sg_id: i64 = s(&sg.expect(200)["SharingGroup"]["id"])
        .parse()
        .expect("numeric id");
    let r = app
        .post(
            "/events/add",
            ADMIN_KEY,
            json!({"Event": {"info": "mixed", "distribution": 1,
                "Attribute": [
                    {"type": "ip-dst", "value": "192.0.2.1", "distribution": 4, "sharing_group_id": sg_id},
                    {"type": "ip-dst", "value": "192.0.2.2", "distribution": 0},
                    {"type": "ip-dst", "value": "192.0.2.3", "distribution": 5},
                    {"type": "ip-dst", "value": "192.0.2.4", "distribution": 5, "deleted": true}
                ],
                "Object": [{"name": "domain-ip", "distribution": 0, "Attribute": [
                    {"type": "domain", "value": "hidden.example", "object_relation": "domain", "distribution": 5}
                ]}]}}),
        )
        .await;
    let ev = r.expect(200)["Event"].clone();
    let id = s(&ev["id"]);
    let uuid = s(&ev["uuid"]);

    // The view shows other organisations only shared, live parts, and counts only those.
    for path in [
        format!("/events/view/{id}"),
        format!("/events/view/{id}/deleted:1"),
    ] {
        let got = app.get(&path, &key_b).await;
        let ev_b = &got.expect(200)["Event"];
        let values: Vec<String> = list(ev_b, "Attribute")
            .iter()
            .map(|a| s(&a["value"]))
            .collect();
        assert_eq!(values, vec!["192.0.2.3"], "{path}");
        assert!(list(ev_b, "Object").is_empty(), "{path}");
        assert_eq!(s(&ev_b["attribute_count"]), "1", "{path}");
    }
    let index = app.get("/events/index", &key_b).await;
    let entry = index
        .expect(200)
        .as_array()
        .and_then(|a| a.iter().find(|e| e["uuid"] == uuid.as_str()).cloned())
        .expect("listed");
    assert_eq!(
        s(&entry["attribute_count"]),
        "1",
        "index count of what org B may see"
    );

    // Attributes inside an org-only object are hidden one by one too.
    let full = app.get(&format!("/events/view/{id}"), ADMIN_KEY).await;
    let object_attr = s(&list(&full.expect(200)["Event"], "Object")[0]["Attribute"][0]["id"]);
    let r = app
        .get(&format!("/attributes/view/{object_attr}"), &key_b)
        .await;
    assert_eq!(r.status, 404, "{r}");

    // Adding an event with the UUID of a hidden one does not give its id away.
    let private = app
        .post(
            "/events/add",
            ADMIN_KEY,
            json!({"Event": {"info": "private", "distribution": 0}}),
        )
        .await;
    let private_uuid = s(&private.expect(200)["Event"]["uuid"]);
    let private_id = s(&private.body["Event"]["id"]);
    let r = app
        .post(
            "/events/add",
            &key_b,
            json!({"Event": {"uuid": private_uuid, "info": "probe"}}),
        )
        .await;
    assert_eq!(r.status, 403, "{r}");
    assert!(
        !r.text.contains(&format!("/events/{private_id}")),
        "no location of the hidden event: {r}"
    );
}

async fn hostile_input_is_refused_cleanly(app: TestApp) {
    // NUL characters: refused the same on both databases, never a 500.
    let r = app
        .post(
            "/admin/organisations/add",
            ADMIN_KEY,
            json!({"name": "nul\u{0}org"}),
        )
        .await;
    assert_eq!(r.status, 400, "{r}");
    let r = app
        .post(
            "/auth/login",
            "",
            json!({"email": "a\u{0}b", "password": "x"}),
        )
        .await;
    assert_eq!(r.status, 400, "{r}");
    let r = app
        .post(
            "/events/add",
            ADMIN_KEY,
            json!({"Event": {"info": "nul\u{0}info"}}),
        )
        .await;
    assert_eq!(r.status, 400, "{r}");
    for path in [
        "/organisations/view/a%00b",
        "/organisations/index/searchall:%00",
    ] {
        let r = app.get(path, ADMIN_KEY).await;
        assert_eq!(r.status, 400, "{path}: {r}");
    }
    // Overlong tag names are refused, not a database error.
    let long = "t".repeat(300);
    let r = app
        .post(
            "/events/add",
            ADMIN_KEY,
            json!({"Event": {"info": "long tag", "Tag": [{"name": long}]}}),
        )
        .await;
    r.expect_save_failed("Could not add Event");
    // Huge page numbers page past the end.
    let r = app
        .get("/events/index/page:9223372036854775807", ADMIN_KEY)
        .await;
    assert_eq!(r.expect(200).as_array().map(Vec::len), Some(0));
    // Unauthenticated routes take small bodies only.
    let big = format!(
        "{{\"email\": \"{}\", \"password\": \"x\"}}",
        "a".repeat(2 * 1024 * 1024)
    );
    let r = app
        .send(
            app.request(reqwest::Method::POST, "/auth/login", "")
                .body(big),
        )
        .await;
    assert!((400..500).contains(&r.status), "{r}");
}

api_tests!(
    round_trip_every_shared_event_file,
    add_view_publish_delete_cycle,
    invalid_documents_are_refused_whole,
    other_organisations_see_only_what_is_shared,
    hidden_parts_do_not_leak,
    hostile_input_is_refused_cleanly,
);
