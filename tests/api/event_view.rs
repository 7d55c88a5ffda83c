//! The streamed event view: an event larger than one batch of the view's
//! reads (top-level and in objects, with batch boundaries inside objects)
//! comes back whole, in order and with exactly what each reader may see: the
//! owner with and without deleted parts, another organisation without its
//! organisation-only parts.

use serde_json::{json, Value};

use crate::helpers::{s, TestApp, ADMIN_KEY};

/// Top-level attributes: more than one batch (2,000).
const TOP: usize = 2_300;
/// Objects of [`PER_OBJECT`] attributes: more than one batch in objects,
/// and 2,000 is not a multiple of 7, so batches end inside objects.
const OBJECTS: usize = 330;
const PER_OBJECT: usize = 7;

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn top_attribute(i: usize) -> Value {
    let (t, value) = if i.is_multiple_of(97) {
        ("domain|ip", format!("d{i}.example.com|192.0.2.{}", i % 250))
    } else {
        (
            "ip-dst",
            format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255),
        )
    };
    let distribution = match i % 10 {
        3 => 0,
        7 => 5,
        _ => 1,
    };
    let mut a = json!({
        "uuid": uuid(), "type": t, "category": "Network activity", "value": value,
        "distribution": distribution, "deleted": i % 13 == 5, "comment": format!("top {i}"),
    });
    if i.is_multiple_of(4) {
        let mut tags = vec![json!({"name": format!("view:t=\"{}\"", i % 5)})];
        if i.is_multiple_of(50) {
            tags.push(json!({"name": "view:second"}));
        }
        a["Tag"] = Value::Array(tags);
    }
    if i % 100 == 1 {
        a["Sighting"] = json!([{"uuid": uuid(), "date_sighting": 1_700_000_000 + i, "source": "test", "type": 0}]);
    }
    a
}

fn object(o: usize, uuids: &[String]) -> Value {
    let attributes: Vec<Value> = (0..PER_OBJECT)
        .map(|j| {
            json!({
                "uuid": uuid(), "type": "text", "category": "Other", "object_relation": "text",
                "value": format!("o{o}-a{j}"),
                "distribution": if (o + j).is_multiple_of(8) { 0 } else { 5 },
                "deleted": (o * 7 + j) % 10 == 3,
            })
        })
        .collect();
    let mut ob = json!({
        "uuid": uuids[o], "name": "view-test-object", "meta-category": "misc",
        "distribution": if o % 9 == 4 { 0 } else { 5 }, "deleted": o % 11 == 6,
        "Attribute": attributes,
    });
    if o.is_multiple_of(5) && o + 1 < OBJECTS {
        ob["ObjectReference"] = json!([{
            "uuid": uuid(), "referenced_uuid": uuids[o + 1], "relationship_type": "related-to",
        }]);
    }
    ob
}

fn flag(v: &Value) -> bool {
    v.as_bool().unwrap_or(false)
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

/// What a reader sees of a part: other organisations only shared parts
/// (not distribution 0 or 4), and deleted parts only the owner, on request.
fn shown(part: &Value, shared_only: bool, with_deleted: bool) -> bool {
    (!shared_only || !matches!(int(&part["distribution"]), 0 | 4))
        && (with_deleted || !flag(&part["deleted"]))
}

fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v[key].as_array().map_or(&[], Vec::as_slice)
}

fn uuids(parts: &[&Value]) -> Vec<String> {
    parts.iter().map(|p| s(&p["uuid"])).collect()
}

fn tag_names(a: &Value) -> Vec<String> {
    list(a, "Tag").iter().map(|t| s(&t["name"])).collect()
}

/// Checks one view against the document it was made from.
fn check_view(doc: &Value, text: &str, shared_only: bool, with_deleted: bool, what: &str) {
    let body: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{what}: {e}"));
    // Compact JSON, nothing but the document: re-serialising gives the same text.
    assert_eq!(
        serde_json::to_string(&body).expect("JSON"),
        text,
        "{what}: compact"
    );
    let src = &doc["Event"];
    let ev = &body["Event"];
    let keys: Vec<&str> = ev
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "orgc_id",
            "org_id",
            "date",
            "threat_level_id",
            "info",
            "published",
            "uuid",
            "attribute_count",
            "analysis",
            "timestamp",
            "distribution",
            "proposal_email_lock",
            "locked",
            "publish_timestamp",
            "sharing_group_id",
            "disable_correlation",
            "extends_uuid",
            "sighting_timestamp",
            "Org",
            "Orgc",
            "Attribute",
            "ShadowAttribute",
            "RelatedEvent",
            "Galaxy",
            "Object",
            "EventReport",
            "Tag"
        ],
        "{what}: MISP's field order"
    );
    let event_id = s(&ev["id"]);
    assert_eq!(tag_names(ev), ["tlp:green"], "{what}");

    let want_top: Vec<&Value> = list(src, "Attribute")
        .iter()
        .filter(|a| shown(a, shared_only, with_deleted))
        .collect();
    let got_top: Vec<&Value> = list(ev, "Attribute").iter().collect();
    assert_eq!(
        uuids(&got_top),
        uuids(&want_top),
        "{what}: top-level attributes"
    );
    let mut last_id = 0;
    for (got, want) in got_top.iter().zip(&want_top) {
        let id: i64 = s(&got["id"]).parse().expect("numeric id");
        assert!(id > last_id, "{what}: attributes in id order");
        last_id = id;
        assert_eq!(s(&got["event_id"]), event_id, "{what}");
        assert_eq!(s(&got["object_id"]), "0", "{what}");
        assert_eq!(got["value"], want["value"], "{what}");
        assert_eq!(got["type"], want["type"], "{what}");
        assert_eq!(got["comment"], want["comment"], "{what}");
        assert_eq!(got["deleted"], want["deleted"], "{what}");
        assert_eq!(
            s(&got["distribution"]),
            want["distribution"].to_string(),
            "{what}"
        );
        assert_eq!(tag_names(got), tag_names(want), "{what}: tags");
        let sightings = list(got, "Sighting");
        // The document's sightings are the owner's: another organisation
        // sees only its own (MISP's default sighting policy).
        let want_sightings = if shared_only {
            0
        } else {
            list(want, "Sighting").len()
        };
        assert_eq!(sightings.len(), want_sightings, "{what}: sightings");
        for sighting in sightings {
            assert_eq!(sighting["attribute_uuid"], got["uuid"], "{what}");
            assert_eq!(s(&sighting["attribute_id"]), s(&got["id"]), "{what}");
        }
        let attribute_keys: Vec<&str> = got
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            attribute_keys[..3],
            ["id", "type", "category"],
            "{what}: attribute field order"
        );
        // As MISP's JSON converter: `Sighting` and `Tag` only when not empty.
        let mut tail = vec!["ShadowAttribute"];
        if !sightings.is_empty() {
            tail.push("Sighting");
        }
        if !tag_names(got).is_empty() {
            tail.push("Tag");
        }
        assert_eq!(
            attribute_keys[attribute_keys.len() - tail.len()..],
            tail[..],
            "{what}: attribute field order"
        );
    }

    let want_objects: Vec<&Value> = list(src, "Object")
        .iter()
        .filter(|o| shown(o, shared_only, with_deleted))
        .collect();
    let got_objects: Vec<&Value> = list(ev, "Object").iter().collect();
    assert_eq!(uuids(&got_objects), uuids(&want_objects), "{what}: objects");
    let mut count = want_top.iter().filter(|a| !flag(&a["deleted"])).count();
    let mut last_object = 0;
    for (got, want) in got_objects.iter().zip(&want_objects) {
        let oid: i64 = s(&got["id"]).parse().expect("numeric id");
        assert!(oid > last_object, "{what}: objects in id order");
        last_object = oid;
        let want_attrs: Vec<&Value> = list(want, "Attribute")
            .iter()
            .filter(|a| shown(a, shared_only, with_deleted))
            .collect();
        let got_attrs: Vec<&Value> = list(got, "Attribute").iter().collect();
        assert_eq!(
            uuids(&got_attrs),
            uuids(&want_attrs),
            "{what}: attributes of object {}",
            s(&want["uuid"])
        );
        for (g, w) in got_attrs.iter().zip(&want_attrs) {
            assert_eq!(s(&g["object_id"]), s(&got["id"]), "{what}");
            assert_eq!(g["value"], w["value"], "{what}");
            assert_eq!(g["object_relation"], "text", "{what}");
        }
        if !flag(&want["deleted"]) {
            count += want_attrs.iter().filter(|a| !flag(&a["deleted"])).count();
        }
        let refs: Vec<String> = list(got, "ObjectReference")
            .iter()
            .map(|r| s(&r["referenced_uuid"]))
            .collect();
        let want_refs: Vec<String> = list(want, "ObjectReference")
            .iter()
            .map(|r| s(&r["referenced_uuid"]))
            .collect();
        assert_eq!(refs, want_refs, "{what}: references");
    }
    assert_eq!(
        s(&ev["attribute_count"]),
        count.to_string(),
        "{what}: count"
    );
}

async fn multi_batch_event_streams_whole(app: TestApp) {
    let org_b = app.create_org("Org B").await;
    let (_, key_b) = app.create_user("b@example.test", &org_b, 3).await;
    let object_uuids: Vec<String> = (0..OBJECTS).map(|_| uuid()).collect();
    let doc = json!({"Event": {
        "uuid": uuid(), "info": "streamed", "distribution": 1, "date": "2024-05-06",
        "Tag": [{"name": "tlp:green"}],
        "Attribute": (0..TOP).map(top_attribute).collect::<Vec<_>>(),
        "Object": (0..OBJECTS).map(|o| object(o, &object_uuids)).collect::<Vec<_>>(),
    }});
    let created = app
        .send(
            app.request(reqwest::Method::POST, "/events/add", ADMIN_KEY)
                .json(&doc),
        )
        .await;
    let id = s(&created.expect(200)["Event"]["id"]);
    // `events/add` answers with the same streamed view as `events/view`.
    check_view(&doc, &created.text, false, false, "add");

    let get = |path: String, key: String| {
        let app = &app;
        async move {
            let r = app
                .request(reqwest::Method::GET, &path, &key)
                .send()
                .await
                .expect("a response");
            assert_eq!(r.status(), 200, "{path}");
            assert!(
                r.headers().get(reqwest::header::CONTENT_LENGTH).is_none(),
                "{path}: streamed, so no Content-Length"
            );
            assert_eq!(
                r.headers()
                    .get(reqwest::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok()),
                Some("application/json"),
                "{path}"
            );
            r.text().await.expect("a body")
        }
    };
    let owner = get(format!("/events/view/{id}"), ADMIN_KEY.to_owned()).await;
    check_view(&doc, &owner, false, false, "owner");
    assert_eq!(owner, created.text, "view and add answer alike");
    assert_eq!(
        get(format!("/events/{id}"), ADMIN_KEY.to_owned()).await,
        owner
    );

    let with_deleted = get(format!("/events/view/{id}/deleted:1"), ADMIN_KEY.to_owned()).await;
    check_view(&doc, &with_deleted, false, true, "owner, deleted:1");
    let posted = app
        .post(
            &format!("/events/view/{id}"),
            ADMIN_KEY,
            json!({"deleted": true}),
        )
        .await;
    posted.expect(200);
    assert_eq!(posted.text, with_deleted, "PyMISP's POST form");

    let other = get(format!("/events/view/{id}"), key_b.clone()).await;
    check_view(&doc, &other, true, false, "other organisation");
    assert_eq!(
        get(format!("/events/view/{id}/deleted:1"), key_b.clone()).await,
        other,
        "other organisations never see deleted parts"
    );
    assert!(other.len() < owner.len() && owner.len() < with_deleted.len());

    // events/restSearch streams the same views, in a `response` list, with
    // a second event after the big one.
    let small = app
        .post(
            "/events/add",
            ADMIN_KEY,
            json!({"Event": {"info": "small", "distribution": 1,
                "Attribute": [{"type": "ip-dst", "value": "198.51.100.1"}]}}),
        )
        .await;
    let small_id = s(&small.expect(200)["Event"]["id"]);
    let small_view = get(format!("/events/view/{small_id}"), key_b.clone()).await;
    // `deleted: [0, 1]` asks for live and deleted parts (`1` alone would
    // match only events with deleted attributes, as in MISP).
    for (key, deleted, big_view) in [
        (ADMIN_KEY.to_owned(), json!(false), &owner),
        (ADMIN_KEY.to_owned(), json!([0, 1]), &with_deleted),
        (key_b.clone(), json!([0, 1]), &other),
    ] {
        let r = app
            .request(reqwest::Method::POST, "/events/restSearch", &key)
            .json(&json!({"eventid": [id, small_id], "deleted": deleted}))
            .send()
            .await
            .expect("a response");
        assert_eq!(r.status(), 200);
        let count = r
            .headers()
            .get("X-Result-Count")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body: Value = r.json().await.expect("JSON");
        let found: Vec<String> = body["response"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| s(&e["Event"]["id"]))
            .collect();
        assert_eq!(
            count.as_deref(),
            Some("2"),
            "{found:?} for {id}, {small_id}"
        );
        let events = body["response"].as_array().expect("a list");
        assert_eq!(events.len(), 2);
        let by_id = |want: &str| {
            events
                .iter()
                .find(|e| s(&e["Event"]["id"]) == want)
                .expect("listed")
                .clone()
        };
        let big: Value = serde_json::from_str(big_view).expect("JSON");
        assert_eq!(by_id(&id), big, "restSearch and view agree");
        if key == key_b {
            let small: Value = serde_json::from_str(&small_view).expect("JSON");
            assert_eq!(by_id(&small_id), small);
        }
    }

    let head = app
        .send(app.request(reqwest::Method::HEAD, &format!("/events/view/{id}"), &key_b))
        .await;
    assert_eq!(head.status, 200);
}

api_tests!(multi_batch_event_streams_whole);
