//! Reading sharing-group data: events and parts of distribution 4 are seen
//! by the organisations authorised for their group (MISP's
//! `createEventConditions` and attribute conditions), in every read (event
//! view and index, attribute, object and report views, searches,
//! sightings), and by nobody else; removing a member closes them to it.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{s, Resp, TestApp};

/// What [`setup`] made.
struct World {
    /// Org A's admin, who owns everything.
    key_a: String,
    /// A user of org B, a member of the group.
    key_b: String,
    /// A user of org C, not a member.
    key_c: String,
    sg: String,
    org_b: String,
    /// The event of distribution 4 in the group, and its UUID.
    sg_event: String,
    sg_event_uuid: String,
    /// The event of distribution 1, and its UUID.
    open_event: String,
    open_event_uuid: String,
    /// Attribute ids by value.
    attributes: Vec<(String, String)>,
    /// The object in the group and the one in A's other group.
    sg_object: String,
    other_object: String,
    /// The report in the group and the one in A's other group.
    sg_report: String,
    other_report: String,
}

impl World {
    fn attribute(&self, value: &str) -> &str {
        self.attributes
            .iter()
            .find(|(v, _)| v == value)
            .map(|(_, id)| id.as_str())
            .unwrap_or_else(|| panic!("no attribute {value}"))
    }
}

fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v[key].as_array().map_or(&[], Vec::as_slice)
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn strings(items: &[&str]) -> Vec<String> {
    sorted(items.iter().map(|s| (*s).to_owned()).collect())
}

/// Values of an event view's attributes, top-level and in objects.
fn event_values(ev: &Value) -> Vec<String> {
    let mut values: Vec<String> = list(ev, "Attribute")
        .iter()
        .map(|a| s(&a["value"]))
        .collect();
    for o in list(ev, "Object") {
        values.extend(list(o, "Attribute").iter().map(|a| s(&a["value"])));
    }
    sorted(values)
}

async fn create_group(app: &TestApp, key: &str, name: &str) -> String {
    let r = app
        .post(
            "/sharing_groups/add",
            key,
            json!({"SharingGroup": {"name": name, "releasability": "members"}}),
        )
        .await;
    s(&r.expect(200)["SharingGroup"]["id"])
}

async fn add_event(app: &TestApp, key: &str, event: Value) -> Value {
    let r = app
        .post("/events/add", key, json!({ "Event": event }))
        .await;
    r.expect(200)["Event"].clone()
}

/// Org A (its admin) makes a sharing group with org B as a member, and a
/// second group of its own; an event of distribution 4 in the first group
/// with attributes of distribution 5, 4 (the group), 0 and 4 (the other
/// group), an object and a report in each group; and an event of
/// distribution 1 with attributes of distribution 4 (the group) and 5.
async fn setup(app: &TestApp) -> World {
    let org_a = app.create_org("Org A").await;
    let org_b = app.create_org("Org B").await;
    let org_c = app.create_org("Org C").await;
    let (_, key_a) = app.create_user("admin@a.test", &org_a, 2).await;
    let (_, key_b) = app.create_user("user@b.test", &org_b, 3).await;
    let (_, key_c) = app.create_user("user@c.test", &org_c, 3).await;
    let sg = create_group(app, &key_a, "A and B").await;
    app.post(
        &format!("/sharing_groups/addOrg/{sg}/{org_b}"),
        &key_a,
        json!({}),
    )
    .await
    .expect(200);
    let other = create_group(app, &key_a, "A alone").await;
    let sg_num: i64 = sg.parse().expect("numeric id");
    let other_num: i64 = other.parse().expect("numeric id");

    let ev = add_event(
        app,
        &key_a,
        json!({"info": "for the group", "distribution": 4, "sharing_group_id": sg_num,
            "Attribute": [
                {"type": "domain", "value": "inherit.example", "distribution": 5},
                {"type": "domain", "value": "group.example", "distribution": 4, "sharing_group_id": sg_num},
                {"type": "domain", "value": "org-only.example", "distribution": 0},
                {"type": "domain", "value": "other-group.example", "distribution": 4, "sharing_group_id": other_num}
            ],
            "Object": [
                {"name": "domain-ip", "distribution": 4, "sharing_group_id": sg_num, "Attribute": [
                    {"type": "domain", "value": "group-object.example", "object_relation": "domain", "distribution": 5}
                ]},
                {"name": "domain-ip", "distribution": 4, "sharing_group_id": other_num, "Attribute": [
                    {"type": "domain", "value": "other-object.example", "object_relation": "domain", "distribution": 5}
                ]}
            ],
            "EventReport": [
                {"name": "group report", "content": "for B", "distribution": 4, "sharing_group_id": sg_num},
                {"name": "other report", "content": "not for B", "distribution": 4, "sharing_group_id": other_num}
            ]}),
    )
    .await;
    assert_eq!(ev["distribution"], "4");
    assert_eq!(ev["attribute_count"], "6");
    let mut attributes: Vec<(String, String)> = list(&ev, "Attribute")
        .iter()
        .map(|a| (s(&a["value"]), s(&a["id"])))
        .collect();
    let objects = list(&ev, "Object");
    assert_eq!(objects.len(), 2);
    for o in objects {
        attributes.extend(
            list(o, "Attribute")
                .iter()
                .map(|a| (s(&a["value"]), s(&a["id"]))),
        );
    }
    let object_in = |sg: &str| {
        s(&objects
            .iter()
            .find(|o| o["sharing_group_id"] == sg)
            .expect("the object")["id"])
    };
    let reports = list(&ev, "EventReport");
    let report_in = |sg: &str| {
        s(&reports
            .iter()
            .find(|r| r["sharing_group_id"] == sg)
            .expect("the report")["id"])
    };
    let open = add_event(
        app,
        &key_a,
        json!({"info": "for everyone", "distribution": 1, "Attribute": [
            {"type": "domain", "value": "open-group.example", "distribution": 4, "sharing_group_id": sg_num},
            {"type": "domain", "value": "open-public.example", "distribution": 5}
        ]}),
    )
    .await;
    attributes.extend(
        list(&open, "Attribute")
            .iter()
            .map(|a| (s(&a["value"]), s(&a["id"]))),
    );
    World {
        key_a,
        key_b,
        key_c,
        sg_object: object_in(&sg),
        other_object: object_in(&other),
        sg_report: report_in(&sg),
        other_report: report_in(&other),
        sg,
        org_b,
        sg_event: s(&ev["id"]),
        sg_event_uuid: s(&ev["uuid"]),
        open_event: s(&open["id"]),
        open_event_uuid: s(&open["uuid"]),
        attributes,
    }
}

/// The `/events/index` entries a user sees: (uuid, attribute_count), sorted.
async fn index(app: &TestApp, key: &str) -> Vec<(String, String)> {
    let r = app.get("/events/index", key).await;
    let mut entries: Vec<(String, String)> = r
        .expect(200)
        .as_array()
        .unwrap_or_else(|| panic!("an index list: {r}"))
        .iter()
        .map(|e| (s(&e["uuid"]), s(&e["attribute_count"])))
        .collect();
    entries.sort();
    entries
}

fn sorted_pairs(mut v: Vec<(String, String)>) -> Vec<(String, String)> {
    v.sort();
    v
}

/// POSTs a search; returns the response and `X-Result-Count`.
async fn search(app: &TestApp, key: &str, controller: &str, body: Value) -> (Resp, i64) {
    let r = app
        .request(Method::POST, &format!("/{controller}/restSearch"), key)
        .json(&body)
        .send()
        .await
        .expect("sending the search");
    let count = r
        .headers()
        .get("X-Result-Count")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("an X-Result-Count header");
    (Resp::read(r).await, count)
}

/// The attribute values a search finds, checked against `X-Result-Count`.
async fn found_values(app: &TestApp, key: &str, body: Value) -> Vec<String> {
    let (r, count) = search(app, key, "attributes", body).await;
    let values: Vec<String> = list(&r.expect(200)["response"], "Attribute")
        .iter()
        .map(|a| s(&a["value"]))
        .collect();
    assert_eq!(count as usize, values.len(), "{r}");
    sorted(values)
}

/// The events an event search finds: (uuid, values seen in it), sorted.
async fn found_events(app: &TestApp, key: &str, body: Value) -> Vec<(String, Vec<String>)> {
    let (r, count) = search(app, key, "events", body).await;
    let mut events: Vec<(String, Vec<String>)> = r.expect(200)["response"]
        .as_array()
        .unwrap_or_else(|| panic!("a response list: {r}"))
        .iter()
        .map(|e| (s(&e["Event"]["uuid"]), event_values(&e["Event"])))
        .collect();
    assert_eq!(count as usize, events.len(), "{r}");
    events.sort();
    events
}

async fn members_see_the_groups_events_and_parts(app: TestApp) {
    let w = setup(&app).await;
    let key = &w.key_b;

    // The index lists both events, counting what B sees.
    assert_eq!(
        index(&app, key).await,
        sorted_pairs(vec![
            (w.sg_event_uuid.clone(), "3".to_owned()),
            (w.open_event_uuid.clone(), "2".to_owned()),
        ])
    );

    // The event view shows exactly the group's parts and what inherits.
    let r = app.get(&format!("/events/view/{}", w.sg_event), key).await;
    let ev = &r.expect(200)["Event"];
    let top: Vec<String> = list(ev, "Attribute")
        .iter()
        .map(|a| s(&a["value"]))
        .collect();
    assert_eq!(sorted(top), strings(&["inherit.example", "group.example"]));
    let objects = list(ev, "Object");
    assert_eq!(objects.len(), 1, "{r}");
    assert_eq!(s(&objects[0]["id"]), w.sg_object);
    assert_eq!(
        event_values(ev),
        strings(&["inherit.example", "group.example", "group-object.example"])
    );
    assert_eq!(ev["attribute_count"], "3");
    let reports: Vec<String> = list(ev, "EventReport")
        .iter()
        .map(|r| s(&r["name"]))
        .collect();
    assert_eq!(reports, ["group report"]);
    let r = app
        .get(&format!("/events/view/{}", w.open_event), key)
        .await;
    let ev = &r.expect(200)["Event"];
    assert_eq!(
        event_values(ev),
        strings(&["open-group.example", "open-public.example"])
    );
    assert_eq!(ev["attribute_count"], "2");

    // One by one: visible parts are served, hidden ones are unknown.
    for value in [
        "inherit.example",
        "group.example",
        "group-object.example",
        "open-group.example",
    ] {
        let r = app
            .get(&format!("/attributes/view/{}", w.attribute(value)), key)
            .await;
        assert_eq!(s(&r.expect(200)["Attribute"]["value"]), value);
    }
    for value in [
        "org-only.example",
        "other-group.example",
        "other-object.example",
    ] {
        let path = format!("/attributes/view/{}", w.attribute(value));
        app.get(&path, key)
            .await
            .expect_error(404, "Invalid attribute", &path);
    }
    let r = app
        .get(&format!("/objects/view/{}", w.sg_object), key)
        .await;
    let attrs: Vec<String> = list(&r.expect(200)["Object"], "Attribute")
        .iter()
        .map(|a| s(&a["value"]))
        .collect();
    assert_eq!(attrs, ["group-object.example"]);
    let r = app
        .get(&format!("/objects/view/{}", w.other_object), key)
        .await;
    assert_eq!(r.status, 404, "{r}");
    let r = app
        .get(&format!("/eventReports/view/{}", w.sg_report), key)
        .await;
    assert_eq!(s(&r.expect(200)["EventReport"]["name"]), "group report");
    let r = app
        .get(&format!("/eventReports/view/{}", w.other_report), key)
        .await;
    assert_eq!(r.status, 404, "{r}");

    // Searches return exactly what B sees.
    assert_eq!(
        found_values(&app, key, json!({"value": "%.example"})).await,
        strings(&[
            "inherit.example",
            "group.example",
            "group-object.example",
            "open-group.example",
            "open-public.example",
        ])
    );
    assert_eq!(
        found_values(&app, key, json!({"distribution": 4})).await,
        strings(&["group.example", "open-group.example"])
    );
    assert_eq!(
        found_events(&app, key, json!({"value": "%.example"})).await,
        sorted_pairs_events(vec![
            (
                w.sg_event_uuid.clone(),
                strings(&["inherit.example", "group.example", "group-object.example"]),
            ),
            (
                w.open_event_uuid.clone(),
                strings(&["open-group.example", "open-public.example"]),
            ),
        ])
    );
    for hidden in [
        "org-only.example",
        "other-group.example",
        "other-object.example",
    ] {
        assert!(found_values(&app, key, json!({"value": hidden}))
            .await
            .is_empty());
        assert!(found_events(&app, key, json!({"value": hidden}))
            .await
            .is_empty());
    }

    // B may record a sighting on a group attribute and read it back.
    let r = app
        .post(
            &format!("/sightings/add/{}", w.attribute("group.example")),
            key,
            json!({}),
        )
        .await;
    r.expect(200);
    let r = app
        .get(&format!("/sightings/index/{}", w.sg_event), key)
        .await;
    let sighted: Vec<String> = r
        .expect(200)
        .as_array()
        .unwrap_or_else(|| panic!("a list: {r}"))
        .iter()
        .map(|s| crate::helpers::s(&s["attribute_id"]))
        .collect();
    assert_eq!(sighted, [w.attribute("group.example")]);
    let r = app
        .post(
            &format!("/sightings/add/{}", w.attribute("other-group.example")),
            key,
            json!({}),
        )
        .await;
    assert_eq!(r.status, 404, "{r}");

    // The owner still sees everything.
    let r = app
        .get(&format!("/events/view/{}", w.sg_event), &w.key_a)
        .await;
    let ev = &r.expect(200)["Event"];
    assert_eq!(event_values(ev).len(), 6);
    assert_eq!(ev["attribute_count"], "6");
}

fn sorted_pairs_events(mut v: Vec<(String, Vec<String>)>) -> Vec<(String, Vec<String>)> {
    v.sort();
    v
}

/// What an organisation outside the group sees: the event of distribution 1
/// without its group attribute, and nothing of the group event.
async fn assert_outsider(app: &TestApp, w: &World, key: &str) {
    assert_eq!(
        index(app, key).await,
        vec![(w.open_event_uuid.clone(), "1".to_owned())]
    );
    let path = format!("/events/view/{}", w.sg_event);
    app.get(&path, key)
        .await
        .expect_error(404, "Invalid event", &path);
    let path = format!("/events/view/{}", w.sg_event_uuid);
    app.get(&path, key)
        .await
        .expect_error(404, "Invalid event", &path);
    let r = app
        .get(&format!("/events/view/{}", w.open_event), key)
        .await;
    let ev = &r.expect(200)["Event"];
    assert_eq!(event_values(ev), strings(&["open-public.example"]));
    assert_eq!(ev["attribute_count"], "1");
    for (value, _) in &w.attributes {
        let path = format!("/attributes/view/{}", w.attribute(value));
        let r = app.get(&path, key).await;
        if value == "open-public.example" {
            r.expect(200);
        } else {
            r.expect_error(404, "Invalid attribute", &path);
        }
    }
    let path = format!("/objects/view/{}", w.sg_object);
    assert_eq!(app.get(&path, key).await.status, 404);
    let path = format!("/eventReports/view/{}", w.sg_report);
    assert_eq!(app.get(&path, key).await.status, 404);
    assert_eq!(
        found_values(app, key, json!({"value": "%.example"})).await,
        strings(&["open-public.example"])
    );
    assert_eq!(
        found_events(app, key, json!({"value": "%.example"})).await,
        vec![(w.open_event_uuid.clone(), strings(&["open-public.example"]))]
    );
    assert!(found_events(app, key, json!({"value": "group.example"}))
        .await
        .is_empty());
    let r = app
        .post(
            &format!("/sightings/add/{}", w.attribute("group.example")),
            key,
            json!({}),
        )
        .await;
    assert_eq!(r.status, 404, "{r}");
    let path = format!("/sightings/index/{}", w.sg_event);
    app.get(&path, key)
        .await
        .expect_error(404, "Invalid event", &path);
}

async fn non_members_see_nothing_of_the_group(app: TestApp) {
    let w = setup(&app).await;
    assert_outsider(&app, &w, &w.key_c).await;
}

async fn removed_members_lose_sight(app: TestApp) {
    let w = setup(&app).await;
    // B sees the group event first…
    let r = app
        .get(&format!("/events/view/{}", w.sg_event), &w.key_b)
        .await;
    r.expect(200);
    app.post(
        &format!("/sharing_groups/removeOrg/{}/{}", w.sg, w.org_b),
        &w.key_a,
        json!({}),
    )
    .await
    .expect(200);
    // …and, once removed, exactly what any outsider sees.
    assert_outsider(&app, &w, &w.key_b).await;
}

api_tests!(
    members_see_the_groups_events_and_parts,
    non_members_see_nothing_of_the_group,
    removed_members_lose_sight,
);
