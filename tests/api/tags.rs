//! Tags: `tags/index|view|add|edit|delete|search`, and tagging events and
//! attributes through `events/addTag|removeTag`, `attributes/addTag|removeTag`
//! and `tags/attachTagToObject|removeTagFromObject`.

use serde_json::{json, Value};

use crate::helpers::{s, TestApp, NO_PERMISSION};

api_tests!(
    add_view_edit_and_delete_a_tag,
    duplicate_names_and_invalid_fields,
    index_filters_and_search,
    tag_management_permissions,
    event_add_and_remove_tag,
    attribute_add_and_remove_tag,
    attach_and_remove_by_uuid,
    tagging_permissions,
    counts_only_what_the_caller_may_see,
);

const OLD: i64 = 1_600_000_000;
const ORGC_ONLY: &str = "Cannot alter the tags of this data, only the organisation that has created the data (orgc) can modify global tags.";

/// An event with one attribute, created with `key`, published, with an old
/// timestamp; returns the event's id and uuid and the attribute's id and uuid.
async fn event(app: &TestApp, key: &str, distribution: i64) -> (String, String, String, String) {
    let r = app
        .post(
            "/events/add",
            key,
            json!({"Event": {
                "info": format!("tagging {}", uuid::Uuid::new_v4()),
                "distribution": distribution,
                "threat_level_id": 2,
                "analysis": 1,
                "published": true,
                "timestamp": OLD.to_string(),
                "Attribute": [{
                    "type": "ip-dst", "category": "Network activity",
                    "value": "198.51.100.7", "distribution": 5,
                    "timestamp": OLD.to_string()
                }]
            }}),
        )
        .await;
    let e = &r.expect(200)["Event"];
    let a = &e["Attribute"][0];
    (s(&e["id"]), s(&e["uuid"]), s(&a["id"]), s(&a["uuid"]))
}

async fn event_view(app: &TestApp, id: &str) -> Value {
    let r = app.get(&format!("/events/view/{id}"), &app.admin_key).await;
    r.expect(200)["Event"].clone()
}

fn tag_names(tags: &Value) -> Vec<String> {
    tags.as_array()
        .map(|l| l.iter().map(|t| s(&t["name"])).collect())
        .unwrap_or_default()
}

async fn add_tag(app: &TestApp, body: Value) -> Value {
    let r = app.post("/tags/add", &app.admin_key, body).await;
    r.expect(200)["Tag"].clone()
}

async fn add_view_edit_and_delete_a_tag(app: TestApp) {
    let key = &app.admin_key;
    let tag = add_tag(&app, json!({"Tag": {"name": "tlp:amber"}})).await;
    let id = s(&tag["id"]);
    assert_eq!(tag["name"], "tlp:amber");
    // MISP's colour for a tag added without one: the start of md5(name).
    assert_eq!(tag["colour"], "#b1eacd", "{tag}");
    assert_eq!(tag["exportable"], true);
    assert_eq!(tag["org_id"], "0");
    assert_eq!(tag["user_id"], "0");
    assert_eq!(tag["hide_tag"], false);
    assert_eq!(tag["numerical_value"], Value::Null);
    assert_eq!(tag["is_galaxy"], false);
    assert_eq!(tag["local_only"], false);

    let galaxy = add_tag(
        &app,
        json!({"name": "misp-galaxy:threat-actor=\"APT 28\"", "colour": "#0088cc"}),
    )
    .await;
    assert_eq!(galaxy["is_galaxy"], true, "{galaxy}");
    assert_eq!(galaxy["colour"], "#0088cc");

    let r = app.get(&format!("/tags/view/{id}"), key).await;
    let v = r.expect(200);
    assert_eq!(v["id"], id.as_str(), "tags/view answers the tag bare: {v}");
    assert_eq!(v["count"], 0);
    assert_eq!(v["attribute_count"], 0);
    assert!(v.get("Tag").is_none());

    let r = app
        .post(
            &format!("/tags/edit/{id}"),
            key,
            json!({"Tag": {"colour": "#FFC000", "numerical_value": "50", "hide_tag": 1}}),
        )
        .await;
    let edited = &r.expect(200)["Tag"];
    assert_eq!(
        edited["name"], "tlp:amber",
        "absent fields are kept: {edited}"
    );
    assert_eq!(edited["colour"], "#FFC000");
    assert_eq!(edited["numerical_value"], "50");
    assert_eq!(edited["hide_tag"], true);
    assert_eq!(edited["exportable"], true);

    let r = app
        .post(
            &format!("/tags/edit/{id}"),
            key,
            json!({"colour": "orange"}),
        )
        .await;
    let errors = r.expect_save_failed("Could not edit Tag");
    assert_eq!(
        errors["colour"][0], "Colour has to be in the RGB format (#FFFFFF)",
        "{r}"
    );

    let r = app
        .post(&format!("/tags/delete/{id}"), key, json!({}))
        .await;
    assert_eq!(
        r.expect(200),
        &json!({"name": "Tag deleted.", "message": "Tag deleted.", "url": format!("/tags/delete/{id}")})
    );
    let r = app.get(&format!("/tags/view/{id}"), key).await;
    r.expect_error(404, "Invalid Tag", &format!("/tags/view/{id}"));
    let r = app
        .post(&format!("/tags/delete/{id}"), key, json!({}))
        .await;
    r.expect_error(404, "Invalid tag", &format!("/tags/delete/{id}"));
    let r = app
        .post("/tags/edit/999999", key, json!({"colour": "#000000"}))
        .await;
    r.expect_error(404, "Invalid tag", "/tags/edit/999999");
    let r = app.get("/tags/view/nope", key).await;
    r.expect_error(404, "Invalid Tag", "/tags/view/nope");
}

async fn duplicate_names_and_invalid_fields(app: TestApp) {
    let key = &app.admin_key;
    let first = add_tag(&app, json!({"name": "dup", "colour": "#123456"})).await;
    // As MISP (REST): adding a name that exists answers the existing tag.
    let again = add_tag(&app, json!({"name": "dup", "colour": "#654321"})).await;
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["colour"], "#123456");
    let upper = add_tag(&app, json!({"name": "DUP"})).await;
    assert_eq!(upper["id"], first["id"], "names compare case-insensitively");

    let other = add_tag(&app, json!({"name": "other"})).await;
    let r = app
        .post(
            &format!("/tags/edit/{}", s(&other["id"])),
            key,
            json!({"name": "Dup"}),
        )
        .await;
    let errors = r.expect_save_failed("Could not edit Tag");
    assert_eq!(errors, &json!({"name": ["A similar name already exists."]}));

    let r = app.post("/tags/add", key, json!({"name": "  "})).await;
    let errors = r.expect_save_failed("Could not add Tag");
    assert_eq!(errors["name"][0], "This field is required.", "{r}");
    let r = app
        .post("/tags/add", key, json!({"name": "x", "colour": "#12345"}))
        .await;
    let errors = r.expect_save_failed("Could not add Tag");
    assert!(errors.get("colour").is_some(), "{r}");

    let r = app.get("/tags/index", key).await;
    assert_eq!(tag_names(&r.expect(200)["Tag"]), ["dup", "other"], "{r}");
}

async fn index_filters_and_search(app: TestApp) {
    let key = &app.admin_key;
    for name in ["tlp:green", "Foo", "tlp:amber", "bar"] {
        add_tag(&app, json!({ "name": name })).await;
    }
    let r = app.get("/tags/index", key).await;
    let body = r.expect(200);
    assert_eq!(
        tag_names(&body["Tag"]),
        ["bar", "Foo", "tlp:amber", "tlp:green"],
        "ordered by name, case-insensitively"
    );
    let first = &body["Tag"][0];
    let keys: Vec<&str> = first
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "name",
            "colour",
            "exportable",
            "org_id",
            "user_id",
            "hide_tag",
            "numerical_value",
            "is_galaxy",
            "is_custom_galaxy",
            "local_only",
            "favourite",
            "count",
            "attribute_count"
        ]
    );
    assert!(first["id"].is_string());

    let r = app.get("/tags/index/searchall:TLP", key).await;
    assert_eq!(
        tag_names(&r.expect(200)["Tag"]),
        ["tlp:amber", "tlp:green"],
        "{r}"
    );
    let r = app.get("/tags/index?searchall=oo", key).await;
    assert_eq!(tag_names(&r.expect(200)["Tag"]), ["Foo"], "{r}");
    let r = app.get("/tags/index/name:foo", key).await;
    assert_eq!(tag_names(&r.expect(200)["Tag"]), ["Foo"], "{r}");
    let r = app.get("/tags/index/exclude_statistics:1", key).await;
    assert!(r.expect(200)["Tag"][0].get("count").is_none(), "{r}");

    // tags/search: `%` is a wildcard; answers a list of {"Tag": …}.
    let r = app.get("/tags/search/tlp%25", key).await;
    let found: Vec<String> = r
        .expect(200)
        .as_array()
        .expect("a list")
        .iter()
        .map(|t| s(&t["Tag"]["name"]))
        .collect();
    assert_eq!(found, ["tlp:amber", "tlp:green"], "{r}");
    let r = app.get("/tags/search/FOO", key).await;
    assert_eq!(r.expect(200).as_array().map(Vec::len), Some(1), "{r}");
    let r = app
        .post(
            "/tags/search",
            key,
            json!({"tagname": "%amber", "strict_tagname": false}),
        )
        .await;
    assert_eq!(r.expect(200)[0]["Tag"]["name"], "tlp:amber", "{r}");
    let r = app
        .post(
            "/tags/search",
            key,
            json!({"tagname": "%amber", "strict_tagname": true}),
        )
        .await;
    assert_eq!(r.expect(200), &json!([]), "strict: whole names only");
    let r = app.get("/tags/search/nothing", key).await;
    assert_eq!(r.expect(200), &json!([]));
}

async fn tag_management_permissions(app: TestApp) {
    let org = app.create_org("Taggers").await;
    let (_, user) = app.create_user("user@taggers.test", &org, 3).await;
    let (_, org_admin) = app.create_user("admin@taggers.test", &org, 2).await;
    let (_, read_only) = app.create_user("ro@taggers.test", &org, 6).await;

    let r = app
        .post("/tags/add", &user, json!({"name": "by-user"}))
        .await;
    r.expect_error(403, NO_PERMISSION, "/tags/add");
    let r = app
        .post("/tags/add", &org_admin, json!({"name": "by-org-admin"}))
        .await;
    let id = s(&r.expect(200)["Tag"]["id"]);
    // Editing and deleting tags is for site admins, as in MISP.
    let r = app
        .post(
            &format!("/tags/edit/{id}"),
            &org_admin,
            json!({"colour": "#000000"}),
        )
        .await;
    r.expect_error(403, NO_PERMISSION, &format!("/tags/edit/{id}"));
    let r = app
        .post(&format!("/tags/delete/{id}"), &org_admin, json!({}))
        .await;
    r.expect_error(403, NO_PERMISSION, &format!("/tags/delete/{id}"));
    for key in [&user, &read_only] {
        let r = app.get("/tags/index", key).await;
        assert_eq!(tag_names(&r.expect(200)["Tag"]), ["by-org-admin"]);
        app.get(&format!("/tags/view/{id}"), key).await.expect(200);
        app.get("/tags/search/by%25", key).await.expect(200);
    }
}

async fn event_add_and_remove_tag(app: TestApp) {
    let key = &app.admin_key;
    let (event_id, event_uuid, _, _) = event(&app, key, 1).await;
    let amber = s(&add_tag(&app, json!({"name": "tlp:amber"})).await["id"]);
    add_tag(&app, json!({"name": "source:osint"})).await;
    let before = event_view(&app, &event_id).await;
    assert_eq!(before["published"], true);
    assert_eq!(before["timestamp"], OLD.to_string());

    // By id in the path.
    let r = app
        .post(
            &format!("/events/addTag/{event_id}/{amber}"),
            key,
            json!({}),
        )
        .await;
    assert_eq!(
        r.expect(200),
        &json!({"saved": true, "success": "Tag added.", "check_publish": true})
    );
    let after = event_view(&app, &event_id).await;
    assert_eq!(tag_names(&after["Tag"]), ["tlp:amber"]);
    assert_eq!(after["Tag"][0]["local"], false);
    assert_eq!(after["published"], false, "tagging unpublishes");
    let ts: i64 = s(&after["timestamp"]).parse().expect("a timestamp");
    assert!(ts > OLD, "tagging bumps the event timestamp: {ts}");

    // Attached already: MISP's answer, nothing changes.
    let r = app
        .post(
            &format!("/events/addTag/{event_id}/{amber}"),
            key,
            json!({}),
        )
        .await;
    assert_eq!(
        r.expect(200),
        &json!({"saved": false, "errors": "Tag is already attached to this event."})
    );

    // By name, in the body form (PyMISP's old `{"event", "tag"}`), by UUID.
    let r = app
        .post(
            "/events/addTag",
            key,
            json!({"event": event_uuid, "tag": "SOURCE:OSINT"}),
        )
        .await;
    assert_eq!(r.expect(200)["success"], "Tag added.", "{r}");
    let r = app
        .post(
            "/events/addTag",
            key,
            json!({"request": {"Event": {"id": event_id, "tag_id": "no-such-tag"}}}),
        )
        .await;
    assert_eq!(
        r.expect(200),
        &json!({"saved": false, "errors": "Invalid Tag."})
    );
    let view = event_view(&app, &event_id).await;
    assert_eq!(tag_names(&view["Tag"]), ["tlp:amber", "source:osint"]);

    // Removing: by name in the path; again is MISP's refusal.
    let r = app
        .post(
            &format!("/events/removeTag/{event_id}/tlp:amber"),
            key,
            json!({}),
        )
        .await;
    // `tlp:amber` in a path is a CakePHP named parameter, as in MISP: no tag.
    assert_eq!(
        r.expect(200),
        &json!({"saved": false, "errors": "Invalid Tag."})
    );
    let r = app
        .post(
            &format!("/events/removeTag/{event_id}"),
            key,
            json!({"tag": "tlp:amber"}),
        )
        .await;
    assert_eq!(
        r.expect(200),
        &json!({"saved": true, "success": "Tag removed.", "check_publish": true})
    );
    let r = app
        .post(
            &format!("/events/removeTag/{event_id}/{amber}"),
            key,
            json!({}),
        )
        .await;
    assert_eq!(
        r.expect(200),
        &json!({"saved": false, "errors": "Invalid event - tag combination."})
    );
    let view = event_view(&app, &event_id).await;
    assert_eq!(tag_names(&view["Tag"]), ["source:osint"]);

    // Local tags (`local:1`) are stored as such and leave the event alone.
    app.post(&format!("/events/publish/{event_id}"), key, json!({}))
        .await
        .expect(200);
    let published = event_view(&app, &event_id).await;
    let r = app
        .post(
            &format!("/events/addTag/{event_id}/{amber}/local:1"),
            key,
            json!({}),
        )
        .await;
    assert_eq!(r.expect(200)["saved"], true, "{r}");
    let view = event_view(&app, &event_id).await;
    assert_eq!(view["published"], true, "a local tag does not unpublish");
    assert_eq!(view["timestamp"], published["timestamp"]);
    let local = view["Tag"]
        .as_array()
        .and_then(|l| l.iter().find(|t| t["name"] == "tlp:amber"))
        .expect("the local tag");
    assert_eq!(local["local"], true);
    let r = app
        .post(
            &format!("/events/removeTag/{event_id}/{amber}"),
            key,
            json!({}),
        )
        .await;
    assert_eq!(
        r.expect(200),
        &json!({"saved": true, "success": "Tag removed.", "check_publish": false})
    );

    let r = app.post("/events/addTag/999999/1", key, json!({})).await;
    r.expect_error(404, "Invalid event", "/events/addTag/999999/1");
}

async fn attribute_add_and_remove_tag(app: TestApp) {
    let key = &app.admin_key;
    let (event_id, _, attr_id, attr_uuid) = event(&app, key, 1).await;
    let foo_tag = s(&add_tag(&app, json!({"name": "foo"})).await["id"]);
    add_tag(&app, json!({"name": "bar"})).await;

    let r = app
        .post(
            &format!("/attributes/addTag/{attr_id}/{foo_tag}/local:1"),
            key,
            json!({}),
        )
        .await;
    assert_eq!(
        r.expect(200),
        &json!({"saved": true, "success": "Tag added.", "check_publish": true})
    );
    let view = event_view(&app, &event_id).await;
    assert_eq!(view["published"], true, "a local tag does not unpublish");
    let attr = &view["Attribute"][0];
    assert_eq!(tag_names(&attr["Tag"]), ["foo"]);
    assert_eq!(attr["Tag"][0]["local"], true);

    let r = app
        .post(
            "/attributes/addTag",
            key,
            json!({"attribute": attr_uuid, "tag": "BAR", "relationship_type": "mentions"}),
        )
        .await;
    assert_eq!(r.expect(200)["success"], "Tag added.", "{r}");
    let view = event_view(&app, &event_id).await;
    let attr = &view["Attribute"][0];
    assert_eq!(tag_names(&attr["Tag"]), ["foo", "bar"]);
    assert_eq!(attr["Tag"][1]["local"], false);
    assert_eq!(attr["Tag"][1]["relationship_type"], "mentions");
    assert_eq!(view["published"], false, "a global tag unpublishes");
    assert!(s(&view["timestamp"]).parse::<i64>().expect("ts") > OLD);
    assert!(s(&attr["timestamp"]).parse::<i64>().expect("ts") > OLD);

    let r = app
        .post(
            &format!("/attributes/addTag/{attr_id}/{foo_tag}"),
            key,
            json!({}),
        )
        .await;
    assert_eq!(
        r.expect(200),
        &json!({"saved": false, "errors": "Tag could not be added."})
    );

    let r = app
        .post(
            &format!("/attributes/removeTag/{attr_id}/{foo_tag}"),
            key,
            json!({}),
        )
        .await;
    assert_eq!(
        r.expect(200),
        &json!({"saved": true, "success": "Tag removed.", "check_publish": false})
    );
    let r = app
        .post(
            &format!("/attributes/removeTag/{attr_id}"),
            key,
            json!({"tag": "bar"}),
        )
        .await;
    assert_eq!(r.expect(200)["check_publish"], true, "{r}");
    let r = app
        .post(
            &format!("/attributes/removeTag/{attr_id}/{foo_tag}"),
            key,
            json!({}),
        )
        .await;
    assert_eq!(
        r.expect(200),
        &json!({"saved": false, "errors": "Invalid attribute - tag combination."})
    );
    let view = event_view(&app, &event_id).await;
    assert!(
        view["Attribute"][0]
            .get("Tag")
            .is_none_or(|t| t == &json!([])),
        "{view}"
    );

    let r = app
        .post("/attributes/addTag/999999/1", key, json!({}))
        .await;
    r.expect_error(404, "Invalid attribute", "/attributes/addTag/999999/1");
}

async fn attach_and_remove_by_uuid(app: TestApp) {
    let key = &app.admin_key;
    let (event_id, event_uuid, _, attr_uuid) = event(&app, key, 1).await;

    // A name that does not exist yet is created (the site admin may).
    let r = app
        .post(
            "/tags/attachTagToObject",
            key,
            json!({"uuid": event_uuid, "tag": "tlp:amber", "local": false, "relationship_type": "classifies"}),
        )
        .await;
    let body = r.expect(200);
    let amber = app.get("/tags/index/name:tlp:amber", key).await;
    let amber = amber.expect(200)["Tag"][0].clone();
    assert_eq!(amber["name"], "tlp:amber", "created on the fly");
    assert_eq!(
        body,
        &json!({
            "saved": true, "success": true,
            "name": format!("Global tag tlp:amber({}) successfully attached to Event({event_id}).", s(&amber["id"])),
            "message": format!("Global tag tlp:amber({}) successfully attached to Event({event_id}).", s(&amber["id"])),
            "url": "/tags/attachTagToObject"
        })
    );
    let r = app
        .post(
            "/tags/attachTagToObject",
            key,
            json!({"uuid": event_uuid, "tag": "tlp:amber"}),
        )
        .await;
    assert_eq!(
        r.expect(200)["message"],
        "Event already has the requested tag attached, no changes had to be made for tag tlp:amber."
    );

    let r = app
        .post(
            "/tags/attachTagToObject",
            key,
            json!({"uuid": attr_uuid, "tag": "foo", "local": true}),
        )
        .await;
    assert!(
        s(&r.expect(200)["message"]).starts_with("Local tag foo("),
        "{r}"
    );
    let view = event_view(&app, &event_id).await;
    assert_eq!(tag_names(&view["Tag"]), ["tlp:amber"]);
    assert_eq!(view["Tag"][0]["relationship_type"], "classifies");
    assert_eq!(view["Tag"][0]["local"], false);
    assert_eq!(view["published"], false);
    let attr = &view["Attribute"][0];
    assert_eq!(tag_names(&attr["Tag"]), ["foo"]);
    assert_eq!(attr["Tag"][0]["local"], true);

    let r = app
        .post(
            "/tags/removeTagFromObject",
            key,
            json!({"uuid": attr_uuid, "tag": "foo"}),
        )
        .await;
    let foo_id = app.get("/tags/index/name:foo", key).await.expect(200)["Tag"][0]["id"].clone();
    let attr_id = s(&attr["id"]);
    assert_eq!(
        r.expect(200)["message"],
        format!(
            "Local tag foo ({}) successfully removed from Attribute({attr_id}).",
            s(&foo_id)
        )
    );
    let r = app
        .post(
            "/tags/removeTagFromObject",
            key,
            json!({"uuid": attr_uuid, "tag": "foo"}),
        )
        .await;
    r.expect_error(
        404,
        "Could not remove tag as it is not attached to the target Attribute",
        "/tags/removeTagFromObject",
    );
    let r = app
        .post(
            "/tags/removeTagFromObject",
            key,
            json!({"uuid": event_uuid, "tag": "TLP:AMBER"}),
        )
        .await;
    assert!(
        s(&r.expect(200)["message"]).starts_with("Global tag tlp:amber ("),
        "{r}"
    );
    let r = app
        .post(
            "/tags/removeTagFromObject",
            key,
            json!({"uuid": event_uuid, "tag": "no-such-tag"}),
        )
        .await;
    r.expect_error(404, "Invalid Tag.", "/tags/removeTagFromObject");

    let r = app
        .post(
            "/tags/attachTagToObject",
            key,
            json!({"uuid": uuid::Uuid::new_v4().to_string(), "tag": "x"}),
        )
        .await;
    r.expect_error(404, "Invalid Target.", "/tags/attachTagToObject");
    let r = app
        .post("/tags/attachTagToObject", key, json!({"uuid": event_uuid}))
        .await;
    r.expect_error(400, "Invalid tag", "/tags/attachTagToObject");
    let r = app
        .post(
            "/tags/attachTagToObject",
            key,
            json!({"uuid": event_uuid, "tag": "999999"}),
        )
        .await;
    let errors = r.expect_save_failed("Could not attachTagToObject Tag");
    assert_eq!(
        errors,
        &json!("Failed to attach 1 tags. Reasons: {\"0\":\"Invalid Tag.\"}")
    );
}

async fn tagging_permissions(app: TestApp) {
    let key = &app.admin_key;
    let (shared, shared_uuid, shared_attr, shared_attr_uuid) = event(&app, key, 3).await;
    let (hidden, hidden_uuid, hidden_attr, _) = event(&app, key, 0).await;
    let tag = s(&add_tag(&app, json!({"name": "tlp:red"})).await["id"]);
    let org = app.create_org("Elsewhere").await;
    let (_, other) = app.create_user("user@elsewhere.test", &org, 3).await;
    let (_, read_only) = app.create_user("ro@elsewhere.test", &org, 6).await;

    // Read Only has no perm_tagger: MISP's ACL answer everywhere.
    for path in [
        format!("/events/addTag/{shared}/{tag}"),
        format!("/events/removeTag/{shared}/{tag}"),
        format!("/attributes/addTag/{shared_attr}/{tag}"),
        format!("/attributes/removeTag/{shared_attr}/{tag}"),
        "/tags/attachTagToObject".to_owned(),
        "/tags/removeTagFromObject".to_owned(),
    ] {
        let r = app
            .post(&path, &read_only, json!({"uuid": shared_uuid, "tag": tag}))
            .await;
        r.expect_error(403, NO_PERMISSION, &path);
    }

    // Another organisation sees the shared event but may not tag it.
    let r = app
        .post(&format!("/events/addTag/{shared}/{tag}"), &other, json!({}))
        .await;
    let errors = r.expect_save_failed("You don't have permission to do that.");
    assert_eq!(errors, "You don't have permission to do that.");
    let r = app
        .post(
            &format!("/attributes/addTag/{shared_attr}/{tag}"),
            &other,
            json!({}),
        )
        .await;
    r.expect_save_failed("You do not have permission to do that.");
    let r = app
        .post(
            "/tags/attachTagToObject",
            &other,
            json!({"uuid": shared_uuid, "tag": tag}),
        )
        .await;
    r.expect_error(403, ORGC_ONLY, "/tags/attachTagToObject");
    let r = app
        .post(
            "/tags/attachTagToObject",
            &other,
            json!({"uuid": shared_attr_uuid, "tag": tag, "local": 1}),
        )
        .await;
    let errors = r.expect_save_failed("Could not attachTagToObject Tag");
    assert!(
        s(errors).contains("Local tags can only be added by users of the host organisation."),
        "{r}"
    );
    let r = app
        .post(
            &format!("/events/addTag/{shared}/{tag}/local:1"),
            &other,
            json!({}),
        )
        .await;
    r.expect(403);

    // Tags attached by the owner may not be removed by the other org either.
    app.post(&format!("/events/addTag/{shared}/{tag}"), key, json!({}))
        .await
        .expect(200);
    let r = app
        .post(
            &format!("/events/removeTag/{shared}/{tag}"),
            &other,
            json!({}),
        )
        .await;
    r.expect_save_failed("You don't have permission to do that.");
    let r = app
        .post(
            "/tags/removeTagFromObject",
            &other,
            json!({"uuid": shared_uuid, "tag": tag}),
        )
        .await;
    r.expect_error(403, ORGC_ONLY, "/tags/removeTagFromObject");
    let view = event_view(&app, &shared).await;
    assert_eq!(tag_names(&view["Tag"]), ["tlp:red"], "still tagged");

    // An event the caller may not see is answered as a missing one.
    let path = format!("/events/addTag/{hidden}/{tag}");
    app.post(&path, &other, json!({}))
        .await
        .expect_error(404, "Invalid event", &path);
    let path = format!("/events/removeTag/{hidden}/{tag}");
    app.post(&path, &other, json!({}))
        .await
        .expect_error(404, "Invalid event", &path);
    let path = format!("/attributes/addTag/{hidden_attr}/{tag}");
    app.post(&path, &other, json!({}))
        .await
        .expect_error(404, "Invalid attribute", &path);
    let path = format!("/attributes/removeTag/{hidden_attr}/{tag}");
    app.post(&path, &other, json!({}))
        .await
        .expect_error(404, "Invalid attribute", &path);
    for path in ["/tags/attachTagToObject", "/tags/removeTagFromObject"] {
        app.post(path, &other, json!({"uuid": hidden_uuid, "tag": tag}))
            .await
            .expect_error(404, "Invalid Target.", path);
    }

    // A user of the creating organisation tags its own events (perm_tagger
    // and perm_modify_org).
    let (_, own) = app.create_user("user@admin-org.test", "1", 3).await;
    let r = app
        .post(&format!("/events/addTag/{hidden}/{tag}"), &own, json!({}))
        .await;
    assert_eq!(r.expect(200)["saved"], true, "{r}");
    let r = app
        .post(
            "/tags/attachTagToObject",
            &own,
            json!({"uuid": hidden_uuid, "tag": "made-by-user"}),
        )
        .await;
    let errors = r.expect_save_failed("Could not attachTagToObject Tag");
    assert!(
        s(errors).contains("Tag not found and insufficient privileges to create it."),
        "{r}"
    );
}

async fn counts_only_what_the_caller_may_see(app: TestApp) {
    let key = &app.admin_key;
    let (shared, _, shared_attr, _) = event(&app, key, 3).await;
    let (hidden, _, hidden_attr, _) = event(&app, key, 0).await;
    let tag = s(&add_tag(&app, json!({"name": "counted"})).await["id"]);
    for path in [
        format!("/events/addTag/{shared}/{tag}"),
        format!("/events/addTag/{hidden}/{tag}"),
        format!("/attributes/addTag/{shared_attr}/{tag}"),
        format!("/attributes/addTag/{hidden_attr}/{tag}"),
    ] {
        assert_eq!(
            app.post(&path, key, json!({})).await.expect(200)["saved"],
            true
        );
    }
    let org = app.create_org("Counters").await;
    let (_, other) = app.create_user("user@counters.test", &org, 3).await;

    let r = app.get("/tags/index", key).await;
    let t = &r.expect(200)["Tag"][0];
    assert_eq!(
        (t["count"].clone(), t["attribute_count"].clone()),
        (json!(2), json!(2)),
        "{t}"
    );
    let r = app.get("/tags/index", &other).await;
    let t = &r.expect(200)["Tag"][0];
    assert_eq!(
        (t["count"].clone(), t["attribute_count"].clone()),
        (json!(1), json!(1)),
        "{t}"
    );
    let r = app.get(&format!("/tags/view/{tag}"), &other).await;
    let t = r.expect(200);
    assert_eq!(
        (t["count"].clone(), t["attribute_count"].clone()),
        (json!(1), json!(1)),
        "{t}"
    );

    // Deleting the tag takes it off everything.
    app.post(&format!("/tags/delete/{tag}"), key, json!({}))
        .await
        .expect(200);
    let view = event_view(&app, &shared).await;
    assert!(view.get("Tag").is_none_or(|t| t == &json!([])), "{view}");
}
