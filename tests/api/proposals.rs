//! Proposals (`shadow_attributes/*`): proposing new attributes, changes and
//! deletions; accepting (as the attribute endpoints would, bumping and
//! unpublishing the event) and discarding; who may do what and see which
//! proposal; the index filters; refusals in MISP's words.

use serde_json::{json, Value};

use crate::helpers::{s, Resp, TestApp, NO_PERMISSION};

const OLD: i64 = 1_600_000_000;
const NOT_PERMITTED: &str = "You do not have permission to do that.";
const NOT_ACCEPTED: &str = "Proposal not found or you are not authorised to accept it.";
const NOT_DISCARDED: &str = "Could not discard proposal.";

/// An event of `key`'s organisation, published, with an old timestamp and
/// the given attributes; returns its id.
async fn event(app: &TestApp, key: &str, distribution: i64, attributes: Value) -> String {
    let r = app
        .post(
            "/events/add",
            key,
            json!({"Event": {
                "info": "proposal tests",
                "distribution": distribution,
                "timestamp": OLD.to_string(),
                "published": true,
                "Attribute": attributes,
            }}),
        )
        .await;
    s(&r.expect(200)["Event"]["id"])
}

async fn event_view(app: &TestApp, id: &str) -> Value {
    let r = app.get(&format!("/events/view/{id}"), &app.admin_key).await;
    r.expect(200)["Event"].clone()
}

/// The event's live attribute with this value.
fn attribute<'a>(event: &'a Value, value: &str) -> &'a Value {
    event["Attribute"]
        .as_array()
        .and_then(|l| l.iter().find(|a| a["value"] == value))
        .unwrap_or_else(|| panic!("no attribute {value} in {event}"))
}

async fn org_of(app: &TestApp, key: &str) -> String {
    let r = app.get("/users/view/me", key).await;
    s(&r.expect(200)["User"]["org_id"])
}

fn len(v: &Value) -> usize {
    v.as_array()
        .map_or_else(|| panic!("expected a list: {v}"), Vec::len)
}

/// The ids of the proposals in an index answer.
fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .map_or_else(|| panic!("expected a list: {list}"), Vec::as_slice)
        .iter()
        .map(|p| s(&p["ShadowAttribute"]["id"]))
        .collect()
}

async fn propose(app: &TestApp, path: &str, key: &str, body: Value) -> Value {
    let r = app.post(path, key, body).await;
    r.expect(200)["ShadowAttribute"].clone()
}

/// Asserts a refused proposal; returns its `errors`.
#[track_caller]
fn refused(r: &Resp) -> Value {
    r.expect(403);
    assert_eq!(r.body["saved"], false, "{r}");
    let message = s(&r.body["message"]);
    assert!(
        message.starts_with("Could not save the proposal. Errors: ["),
        "{r}"
    );
    r.body["errors"].clone()
}

async fn lifecycle(app: TestApp) {
    let org_a = org_of(&app, &app.admin_key).await;
    let (_, a_key) = app.create_user("owner@a.test", &org_a, 3).await;
    let org_b = app.create_org("Org B").await;
    let (_, b_key) = app.create_user("proposer@b.test", &org_b, 3).await;
    let ev = event(
        &app,
        &a_key,
        1,
        json!([
            {"type": "ip-dst", "category": "Network activity", "value": "1.2.3.4", "to_ids": true},
            {"type": "domain", "value": "old.example"}
        ]),
    )
    .await;
    // Published by someone who may (the owner's role may not).
    app.post(&format!("/events/publish/{ev}"), &app.admin_key, json!({}))
        .await
        .expect(200);
    let before = event_view(&app, &ev).await;
    let ip = attribute(&before, "1.2.3.4").clone();
    let domain = attribute(&before, "old.example").clone();
    let ev_uuid = s(&before["uuid"]);

    // Org B proposes a new attribute: validated and normalised (refanged)
    // as attributes/add would.
    let new = propose(
        &app,
        &format!("/shadow_attributes/add/{ev}"),
        &b_key,
        json!({"ShadowAttribute": {
            "type": "domain", "value": " evil[.]example ", "comment": "seen in mail"
        }}),
    )
    .await;
    assert_eq!(new["value"], "evil.example");
    assert_eq!(new["type"], "domain");
    assert_eq!(new["category"], "Network activity");
    assert_eq!(new["to_ids"], true);
    assert_eq!(new["comment"], "seen in mail");
    assert_eq!(new["old_id"], "0");
    assert_eq!(new["event_id"], ev.as_str());
    assert_eq!(new["org_id"], org_b.as_str());
    assert_eq!(new["event_org_id"], org_a.as_str());
    assert_eq!(new["email"], "proposer@b.test");
    assert_eq!(new["deleted"], false);
    assert_eq!(new["proposal_to_delete"], false);
    assert_eq!(new["event_uuid"], ev_uuid.as_str());
    assert_eq!(new["Org"]["name"], "Org B");
    let new_id = s(&new["id"]);
    let new_uuid = s(&new["uuid"]);

    // Proposing touches nothing of the event.
    let head = event_view(&app, &ev).await;
    assert_eq!(head["published"], true);
    assert_eq!(head["timestamp"], OLD.to_string());

    // A change to the IP (PyMISP's camelCase path; the proposal carries the
    // attribute's UUID) and the deletion of the domain.
    let change = propose(
        &app,
        &format!("/shadowAttributes/edit/{}", s(&ip["id"])),
        &b_key,
        json!({"comment": "a sinkhole", "to_ids": false}),
    )
    .await;
    assert_eq!(change["uuid"], ip["uuid"]);
    assert_eq!(change["old_id"], ip["id"]);
    assert_eq!(change["value"], "1.2.3.4");
    assert_eq!(change["category"], "Network activity");
    assert_eq!(change["to_ids"], false);
    assert_eq!(change["comment"], "a sinkhole");
    assert_eq!(change["old_uuid"], ip["uuid"]);
    let change_id = s(&change["id"]);
    let r = app
        .post(
            &format!("/shadow_attributes/delete/{}", s(&domain["uuid"])),
            &b_key,
            json!({}),
        )
        .await;
    assert_eq!(
        r.expect(200),
        &json!({"saved": true, "success": "The proposal to delete the attribute has been saved"})
    );

    // The owner sees all three; the view does not show the e-mail.
    let r = app
        .get(&format!("/shadow_attributes/index/{ev}"), &a_key)
        .await;
    let list = r.expect(200).clone();
    assert_eq!(len(&list), 3, "{list}");
    let deletion = list
        .as_array()
        .and_then(|l| {
            l.iter()
                .find(|p| p["ShadowAttribute"]["proposal_to_delete"] == true)
        })
        .map(|p| p["ShadowAttribute"].clone())
        .expect("the deletion proposal");
    assert_eq!(deletion["uuid"], domain["uuid"]);
    assert_eq!(deletion["value"], "old.example");
    assert_eq!(deletion["org_uuid"], deletion["Org"]["uuid"]);
    assert!(deletion.get("email").is_none());
    let deletion_id = s(&deletion["id"]);
    let r = app
        .get(&format!("/shadow_attributes/view/{new_id}.json"), &a_key)
        .await;
    let viewed = &r.expect(200)["ShadowAttribute"];
    assert_eq!(viewed["uuid"], new_uuid.as_str());
    assert!(viewed.get("email").is_none());

    // Accepting the new attribute adds it (distribution 5, the proposal's
    // UUID), bumps and unpublishes the event, and removes the proposal.
    let path = format!("/shadow_attributes/accept/{new_id}");
    let r = app.post(&path, &a_key, json!({})).await;
    assert_eq!(
        r.expect(200),
        &json!({"name": "Proposal accepted.", "message": "Proposal accepted.", "url": path})
    );
    let head = event_view(&app, &ev).await;
    assert_eq!(head["published"], false);
    assert!(s(&head["timestamp"]).parse::<i64>().unwrap_or(0) > OLD);
    assert_eq!(head["attribute_count"], "3");
    let added = attribute(&head, "evil.example");
    assert_eq!(added["uuid"], new_uuid.as_str());
    assert_eq!(added["distribution"], "5");
    assert_eq!(added["comment"], "seen in mail");
    let path = format!("/shadow_attributes/view/{new_id}");
    app.get(&path, &a_key)
        .await
        .expect_error(404, "Invalid proposal.", &path);

    // Accepting the change edits the attribute.
    app.post(&format!("/events/publish/{ev}"), &app.admin_key, json!({}))
        .await
        .expect(200);
    let r = app
        .post(
            &format!("/shadow_attributes/accept/{change_id}"),
            &a_key,
            json!({}),
        )
        .await;
    assert_eq!(r.expect(200)["message"], "Proposed change accepted.");
    let r = app
        .get(&format!("/attributes/view/{}", s(&ip["id"])), &a_key)
        .await;
    let edited = &r.expect(200)["Attribute"];
    assert_eq!(edited["to_ids"], false);
    assert_eq!(edited["comment"], "a sinkhole");
    assert_eq!(edited["value"], "1.2.3.4");
    assert_eq!(event_view(&app, &ev).await["published"], false);

    // Accepting the deletion soft-deletes the domain.
    let r = app
        .post(
            &format!("/shadow_attributes/accept/{deletion_id}"),
            &a_key,
            json!({}),
        )
        .await;
    assert_eq!(r.expect(200)["message"], "Proposed change accepted.");
    let path = format!("/attributes/view/{}", s(&domain["id"]));
    app.get(&path, &a_key)
        .await
        .expect_error(404, "Invalid attribute", &path);
    assert_eq!(event_view(&app, &ev).await["attribute_count"], "2");

    let r = app.get("/shadow_attributes/index", &app.admin_key).await;
    assert_eq!(len(r.expect(200)), 0);
}

async fn who_may_do_what(app: TestApp) {
    let org_a = org_of(&app, &app.admin_key).await;
    // "Manage own events": perm_add and perm_modify, not perm_modify_org.
    let r = app
        .post(
            "/admin/roles/add",
            &app.admin_key,
            json!({"Role": {"name": "Own events", "permission": "1", "perm_auth": true}}),
        )
        .await;
    let own = s(&r.expect(200)["Role"]["id"]).parse().unwrap_or(0);
    let (_, a_key) = app.create_user("creator@a.test", &org_a, own).await;
    let (_, a2_key) = app.create_user("colleague@a.test", &org_a, own).await;
    let (_, publisher_key) = app.create_user("publisher@a.test", &org_a, 4).await;
    let (_, ro_key) = app.create_user("reader@a.test", &org_a, 6).await;
    let org_b = app.create_org("Org B").await;
    let (_, b_key) = app.create_user("proposer@b.test", &org_b, 3).await;
    let (_, b2_key) = app.create_user("colleague@b.test", &org_b, 3).await;
    let org_c = app.create_org("Org C").await;
    let (_, c_key) = app.create_user("reader@c.test", &org_c, 3).await;

    let shared = event(
        &app,
        &a_key,
        1,
        json!([
            {"type": "ip-src", "value": "10.0.0.1"},
            {"type": "ip-src", "value": "10.0.0.2", "distribution": 0}
        ]),
    )
    .await;
    let hidden = event(
        &app,
        &a_key,
        0,
        json!([{"type": "ip-src", "value": "10.0.0.3"}]),
    )
    .await;
    let view = event_view(&app, &shared).await;
    let open_attr = s(&attribute(&view, "10.0.0.1")["id"]);
    let private_attr = s(&attribute(&view, "10.0.0.2")["id"]);
    let hidden_attr = s(&attribute(&event_view(&app, &hidden).await, "10.0.0.3")["id"]);

    // PyMISP falls back to a proposal on exactly this answer to a user of
    // another organisation (attributes/add, edit and delete).
    for (path, body) in [
        (
            format!("/attributes/add/{shared}"),
            json!({"type": "ip-src", "value": "10.9.9.9"}),
        ),
        (
            format!("/attributes/edit/{open_attr}"),
            json!({"comment": "blah"}),
        ),
        (format!("/attributes/delete/{open_attr}"), json!({})),
    ] {
        app.post(&path, &b_key, body)
            .await
            .expect_error(403, NOT_PERMITTED, &path);
    }

    // Proposing needs perm_add and sight of the event and the attribute.
    let path = format!("/shadow_attributes/add/{shared}");
    app.post(
        &path,
        &ro_key,
        json!({"type": "ip-src", "value": "10.1.1.1"}),
    )
    .await
    .expect_error(403, NO_PERMISSION, &path);
    let path = format!("/shadow_attributes/add/{hidden}");
    app.post(
        &path,
        &b_key,
        json!({"type": "ip-src", "value": "10.1.1.1"}),
    )
    .await
    .expect_error(404, "Invalid Event", &path);
    for attr in [&private_attr, &hidden_attr] {
        for action in ["edit", "delete"] {
            let path = format!("/shadow_attributes/{action}/{attr}");
            app.post(&path, &b_key, json!({"comment": "x"}))
                .await
                .expect_error(404, "Invalid Attribute.", &path);
        }
    }

    // Org B proposes on the shared attribute; Org A's colleague proposes on
    // the private one (an organisation may propose on its own events).
    let by_b = propose(
        &app,
        &format!("/shadow_attributes/edit/{open_attr}"),
        &b_key,
        json!({"comment": "from B"}),
    )
    .await;
    let by_b = s(&by_b["id"]);
    let on_private = propose(
        &app,
        &format!("/shadow_attributes/edit/{private_attr}"),
        &a2_key,
        json!({"comment": "from A"}),
    )
    .await;
    let on_private = s(&on_private["id"]);

    // MISP's rule: whoever sees the event (and the attribute) sees the
    // proposal, a third organisation too; the private attribute's only the
    // owner (and site admins).
    let index = |key: String| {
        let app = &app;
        async move {
            let r = app.get("/shadow_attributes/index", &key).await;
            let mut ids = ids(r.expect(200));
            ids.sort();
            ids
        }
    };
    let mut both = vec![by_b.clone(), on_private.clone()];
    both.sort();
    assert_eq!(index(a_key.clone()).await, both);
    assert_eq!(index(app.admin_key.clone()).await, both);
    assert_eq!(index(b_key.clone()).await, vec![by_b.clone()]);
    assert_eq!(index(c_key.clone()).await, vec![by_b.clone()]);
    let path = format!("/shadow_attributes/view/{on_private}");
    app.get(&path, &c_key)
        .await
        .expect_error(404, "Invalid proposal.", &path);
    // `all:0`: only proposals on events one's organisation created.
    let r = app.get("/shadow_attributes/index/all:0", &c_key).await;
    assert_eq!(len(r.expect(200)), 0);
    let r = app.get("/shadow_attributes/index/all:0", &a_key).await;
    assert_eq!(len(r.expect(200)), 2);

    // Accepting needs the right to modify the event: not the proposer, not
    // a colleague without perm_modify_org who did not create the event.
    for key in [&b_key, &a2_key, &c_key] {
        let path = format!("/shadow_attributes/accept/{by_b}");
        app.post(&path, key, json!({}))
            .await
            .expect_error(403, NOT_ACCEPTED, &path);
    }
    let path = format!("/shadow_attributes/accept/{on_private}");
    app.post(&path, &b_key, json!({}))
        .await
        .expect_error(404, NOT_ACCEPTED, &path);
    // Discarding: the proposer may, a colleague of the proposer may not.
    let path = format!("/shadow_attributes/discard/{by_b}");
    app.post(&path, &b2_key, json!({}))
        .await
        .expect_error(403, NOT_DISCARDED, &path);
    let r = app.post(&path, &b_key, json!({})).await;
    assert_eq!(
        r.expect(200),
        &json!({"name": "Proposal discarded.", "message": "Proposal discarded.", "url": path})
    );
    app.post(&path, &b_key, json!({}))
        .await
        .expect_error(404, NOT_DISCARDED, &path);
    // A publisher (perm_modify_org) of the creating organisation accepts.
    let r = app
        .post(
            &format!("/shadow_attributes/accept/{on_private}"),
            &publisher_key,
            json!({}),
        )
        .await;
    assert_eq!(r.expect(200)["message"], "Proposed change accepted.");
    let r = app
        .get(&format!("/attributes/view/{private_attr}"), &a_key)
        .await;
    assert_eq!(r.expect(200)["Attribute"]["comment"], "from A");

    // The event's owner discards another organisation's proposal; a site
    // admin accepts anything.
    let p = propose(
        &app,
        &format!("/shadow_attributes/add/{shared}"),
        &c_key,
        json!({"type": "ip-src", "value": "10.7.7.7"}),
    )
    .await;
    let r = app
        .post(
            &format!("/shadow_attributes/discard/{}", s(&p["id"])),
            &a_key,
            json!({}),
        )
        .await;
    r.expect(200);
    let p = propose(
        &app,
        &format!("/shadow_attributes/add/{shared}"),
        &c_key,
        json!({"type": "ip-src", "value": "10.8.8.8"}),
    )
    .await;
    let r = app
        .post(
            &format!("/shadow_attributes/accept/{}", s(&p["id"])),
            &app.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(r.expect(200)["message"], "Proposal accepted.");
    attribute(&event_view(&app, &shared).await, "10.8.8.8");
}

async fn refusals(app: TestApp) {
    let ev = event(
        &app,
        &app.admin_key,
        1,
        json!([{"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e"}]),
    )
    .await;
    let md5 = attribute(
        &event_view(&app, &ev).await,
        "d41d8cd98f00b204e9800998ecf8427e",
    )
    .clone();
    let md5_id = s(&md5["id"]);
    let add = format!("/shadow_attributes/add/{ev}");
    let key = app.admin_key.clone();

    // Values are checked as attributes' are, every reason named.
    let r = app
        .post(&add, &key, json!({"type": "ip-dst", "value": "not an ip"}))
        .await;
    assert!(refused(&r)["value"][0].is_string(), "{r}");
    let r = app
        .post(
            &add,
            &key,
            json!({"type": "ip-dst", "value": "1.2.3.4", "category": "Financial fraud"}),
        )
        .await;
    assert!(refused(&r)["category"][0].is_string(), "{r}");
    let r = app.post(&add, &key, json!({"value": "1.2.3.4"})).await;
    assert_eq!(refused(&r)["type"][0], "Attribute type is required.");
    let r = app
        .post(
            &add,
            &key,
            json!({"type": "ip-dst", "value": "1.2.3.4", "uuid": "nope"}),
        )
        .await;
    assert_eq!(
        refused(&r)["uuid"][0],
        "Please provide a valid RFC 4122 UUID"
    );
    let r = app
        .post(
            &add,
            &key,
            json!({"type": "attachment", "value": "a.txt", "data": "QUJD"}),
        )
        .await;
    assert!(refused(&r)["data"][0].is_string(), "{r}");
    // Composite values are normalised (hashes lower-cased).
    let p = propose(
        &app,
        &add,
        &key,
        json!({"Proposal": {"type": "filename|md5", "value": "a.exe|0CC175B9C0F1B6A831C399E269772661"}}),
    )
    .await;
    assert_eq!(p["value"], "a.exe|0cc175b9c0f1b6a831c399e269772661");
    // A UUID given twice.
    let uuid = "5f0c8d8e-1a2b-4c3d-8e9f-0a1b2c3d4e5f";
    propose(
        &app,
        &add,
        &key,
        json!({"type": "ip-dst", "value": "1.2.3.5", "uuid": uuid}),
    )
    .await;
    let r = app
        .post(
            &add,
            &key,
            json!({"type": "ip-dst", "value": "1.2.3.6", "uuid": uuid}),
        )
        .await;
    assert_eq!(refused(&r)["uuid"][0], "The UUID provided is not unique");

    // An edit must change something a proposal may change.
    let edit = format!("/shadow_attributes/edit/{md5_id}");
    for body in [json!({}), json!({"distribution": 0, "first_seen": null})] {
        app.post(&edit, &key, body)
            .await
            .expect_error(400, "Invalid input.", &edit);
    }
    let r = app.post(&edit, &key, json!({"value": "xyz"})).await;
    assert!(refused(&r)["value"][0].is_string(), "{r}");
    app.post_raw(&edit, &key, "{nope").await.expect(400);

    // A new attribute that duplicates a live one is refused on accept, as
    // attributes/add refuses it, and the proposal stays.
    let dup = propose(
        &app,
        &add,
        &key,
        json!({"type": "md5", "value": "D41D8CD98F00B204E9800998ECF8427E"}),
    )
    .await;
    let dup = s(&dup["id"]);
    let r = app
        .post(&format!("/shadow_attributes/accept/{dup}"), &key, json!({}))
        .await;
    let errors = r.expect_save_failed("Could not add Attribute");
    assert_eq!(
        errors["value"][0],
        "A similar attribute already exists for this event."
    );
    app.get(&format!("/shadow_attributes/view/{dup}"), &key)
        .await
        .expect(200);

    // Unknown and malformed ids, in MISP's words.
    for path in [
        "/shadow_attributes/add/999999",
        "/shadow_attributes/add/junk",
    ] {
        app.post(path, &key, json!({"type": "ip-dst", "value": "1.2.3.4"}))
            .await
            .expect_error(404, "Invalid Event", path);
    }
    for path in [
        "/shadow_attributes/edit/999999",
        "/shadow_attributes/delete/junk",
    ] {
        app.post(path, &key, json!({"comment": "x"}))
            .await
            .expect_error(404, "Invalid Attribute.", path);
    }
    for path in [
        "/shadow_attributes/view/999999",
        "/shadow_attributes/view/junk",
    ] {
        app.get(path, &key)
            .await
            .expect_error(404, "Invalid proposal.", path);
    }
    let path = "/shadow_attributes/accept/999999";
    app.post(path, &key, json!({}))
        .await
        .expect_error(404, NOT_ACCEPTED, path);
    let path = "/shadow_attributes/discard/999999";
    app.post(path, &key, json!({}))
        .await
        .expect_error(404, NOT_DISCARDED, path);
    let path = "/shadow_attributes/index/999999";
    app.get(path, &key)
        .await
        .expect_error(404, "Invalid Event.", path);
    app.get("/shadow_attributes/accept/1", &key)
        .await
        .expect(405);
}

async fn index_filters(app: TestApp) {
    let org_b = app.create_org("Searchers").await;
    let (_, b_key) = app.create_user("b@search.test", &org_b, 3).await;
    let first = event(&app, &app.admin_key, 1, json!([])).await;
    let second = event(&app, &app.admin_key, 1, json!([])).await;
    let mut made = Vec::new();
    for (ev, value) in [
        (&first, "alpha.example"),
        (&first, "beta.example"),
        (&second, "gamma.example"),
    ] {
        let p = propose(
            &app,
            &format!("/shadow_attributes/add/{ev}"),
            &b_key,
            json!({"type": "domain", "value": value, "comment": format!("about {value}")}),
        )
        .await;
        made.push(s(&p["id"]));
    }
    let get = |path: String| {
        let app = &app;
        async move { ids(app.get(&path, &app.admin_key).await.expect(200)) }
    };
    // Default order: newest event first, then type, then id.
    assert_eq!(
        get("/shadow_attributes/index".into()).await,
        vec![made[2].clone(), made[0].clone(), made[1].clone()]
    );
    assert_eq!(
        get(format!("/shadow_attributes/index/{first}")).await,
        vec![made[0].clone(), made[1].clone()]
    );
    let first_uuid = s(&event_view(&app, &first).await["uuid"]);
    assert_eq!(
        get(format!("/shadow_attributes/index/{first_uuid}"))
            .await
            .len(),
        2
    );
    assert_eq!(
        get("/shadow_attributes/index/searchall:BETA".into()).await,
        vec![made[1].clone()]
    );
    assert_eq!(
        get("/shadow_attributes/index?searchall=searchers".into())
            .await
            .len(),
        3,
        "the proposing organisation's name"
    );
    assert_eq!(
        get("/shadow_attributes/index/sort:value/direction:desc".into()).await,
        vec![made[2].clone(), made[1].clone(), made[0].clone()]
    );
    assert_eq!(
        get("/shadow_attributes/index/sort:id/limit:2/page:2".into()).await,
        vec![made[2].clone()]
    );
    assert!(get("/shadow_attributes/index/deleted:1".into())
        .await
        .is_empty());
    assert_eq!(
        get("/shadow_attributes/index/deleted:0".into()).await.len(),
        3
    );
    assert!(get(format!(
        "/shadow_attributes/index/timestamp:{}",
        i64::MAX / 2
    ))
    .await
    .is_empty());
    assert_eq!(
        get(format!("/shadowAttributes/index/timestamp:{OLD}.json"))
            .await
            .len(),
        3
    );
}

/// Proposals that came in an event document are stored with the event, kept
/// by an edit that sends them again, and can be accepted.
async fn imported_proposals(app: TestApp) {
    let uuid = "0b6c5f4e-3d2c-4b1a-9f8e-7d6c5b4a3f2e";
    let doc = |timestamp: i64| {
        json!({"Event": {
            "uuid": "7e4f2a1b-8c9d-4e0f-a1b2-c3d4e5f6a7b8",
            "info": "imported",
            "distribution": 1,
            "timestamp": timestamp.to_string(),
            "ShadowAttribute": [{"uuid": uuid, "type": "url", "value": "hxxp://bad[.]example/x"}]
        }})
    };
    let r = app.post("/events/add", &app.admin_key, doc(OLD)).await;
    let ev = s(&r.expect(200)["Event"]["id"]);
    app.post(&format!("/events/edit/{ev}"), &app.admin_key, doc(OLD + 10))
        .await
        .expect(200);
    let r = app
        .get(&format!("/shadow_attributes/index/{ev}"), &app.admin_key)
        .await;
    let list = r.expect(200);
    assert_eq!(len(list), 1, "{list}");
    let p = &list[0]["ShadowAttribute"];
    assert_eq!(p["uuid"], uuid);
    assert_eq!(p["value"], "http://bad.example/x");
    let r = app
        .post(
            &format!("/shadow_attributes/accept/{}", s(&p["id"])),
            &app.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(r.expect(200)["message"], "Proposal accepted.");
    let added = attribute(&event_view(&app, &ev).await, "http://bad.example/x").clone();
    assert_eq!(added["uuid"], uuid);
}

/// A proposal on an attribute in an object keeps the attribute's type, and
/// accepting it bumps the object's timestamp too.
async fn object_attributes(app: TestApp) {
    let r = app
        .post(
            "/events/add",
            &app.admin_key,
            json!({"Event": {
                "info": "objects",
                "distribution": 1,
                "timestamp": OLD.to_string(),
                "Object": [{"name": "my-custom-thing", "timestamp": OLD.to_string(), "Attribute": [
                    {"type": "text", "object_relation": "note", "value": "first",
                     "timestamp": OLD.to_string()}
                ]}]
            }}),
        )
        .await;
    let ev = s(&r.expect(200)["Event"]["id"]);
    let view = event_view(&app, &ev).await;
    let object = view["Object"][0].clone();
    let attr = object["Attribute"][0].clone();
    let p = propose(
        &app,
        &format!("/shadow_attributes/edit/{}", s(&attr["id"])),
        &app.admin_key,
        json!({"type": "comment", "value": "second"}),
    )
    .await;
    assert_eq!(p["type"], "text");
    assert_eq!(p["value"], "second");
    app.post(
        &format!("/shadow_attributes/accept/{}", s(&p["id"])),
        &app.admin_key,
        json!({}),
    )
    .await
    .expect(200);
    let view = event_view(&app, &ev).await;
    let object = &view["Object"][0];
    assert_eq!(object["Attribute"][0]["value"], "second");
    assert_eq!(object["Attribute"][0]["object_relation"], "note");
    assert!(s(&object["timestamp"]).parse::<i64>().unwrap_or(0) > OLD);
}

/// MISP's export of an event with a proposal to change one of its
/// attributes (inside the attribute, with the attribute's UUID): stored as a
/// proposal for that attribute, shown inside it in the view, and not stored
/// twice when the same event is edited with the same document.
async fn proposals_inside_attributes_are_kept(app: TestApp) {
    let path = crate::helpers::shared_data().join("events/pymisp/shadow-proposals.json");
    let text = std::fs::read_to_string(&path).expect("the fixture");
    let doc: Value = serde_json::from_str(&text).expect("JSON");
    let source = doc.get("Event").unwrap_or(&doc).clone();
    let proposed: Vec<(String, String)> = source["Attribute"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|a| {
            a["ShadowAttribute"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |p| (s(&a["uuid"]), s(&p["value"])))
        })
        .collect();
    assert!(!proposed.is_empty(), "the fixture has nested proposals");
    let r = app.post("/events/add", &app.admin_key, doc.clone()).await;
    let id = s(&r.expect(200)["Event"]["id"]);
    let shown = |ev: &Value| -> Vec<(String, String)> {
        ev["Attribute"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|a| {
                a["ShadowAttribute"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(move |p| {
                        assert_eq!(p["old_id"], a["id"], "points at its attribute");
                        (s(&a["uuid"]), s(&p["value"]))
                    })
            })
            .collect()
    };
    let r = app.get(&format!("/events/view/{id}"), &app.admin_key).await;
    assert_eq!(shown(&r.expect(200)["Event"]), proposed);
    // The same document again, as an edit: nothing is added.
    let r = app
        .post(&format!("/events/edit/{id}"), &app.admin_key, doc)
        .await;
    assert!(r.status == 200 || r.status == 403, "{r}");
    let r = app.get(&format!("/events/view/{id}"), &app.admin_key).await;
    assert_eq!(shown(&r.expect(200)["Event"]), proposed);
}

api_tests!(
    proposals_inside_attributes_are_kept,
    lifecycle,
    who_may_do_what,
    refusals,
    index_filters,
    imported_proposals,
    object_attributes
);
