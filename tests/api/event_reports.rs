//! Event reports: add, view, edit, soft and hard delete, restore, index, who
//! may see and change them, and that changes bump and unpublish the event.

use serde_json::{json, Value};

use crate::helpers::{s, TestApp, NO_PERMISSION};

const OLD: i64 = 1_600_000_000;
const NOT_PERMITTED: &str = "You do not have permission to do that.";

async fn event(app: &TestApp, key: &str, distribution: i64) -> String {
    let r = app
        .post(
            "/events/add",
            key,
            json!({"Event": {
                "info": "report tests",
                "distribution": distribution,
                "timestamp": OLD.to_string(),
                "published": true,
            }}),
        )
        .await;
    s(&r.expect(200)["Event"]["id"])
}

async fn event_head(app: &TestApp, id: &str) -> Value {
    let r = app.get(&format!("/events/view/{id}"), &app.admin_key).await;
    r.expect(200)["Event"].clone()
}

async fn org_of(app: &TestApp, key: &str) -> String {
    let r = app.get("/users/view/me", key).await;
    s(&r.expect(200)["User"]["org_id"])
}

fn len(v: &Value) -> usize {
    v.as_array()
        .map_or_else(|| panic!("expected a list: {v}"), Vec::len)
}

async fn lifecycle(app: TestApp) {
    let org = org_of(&app, &app.admin_key).await;
    let ev = event(&app, &app.admin_key, 1).await;
    let path = format!("/eventReports/add/{ev}");
    let r = app
        .post(
            &path,
            &app.admin_key,
            json!({"EventReport": {"name": "Initial analysis", "content": "# APT\nbad things"}}),
        )
        .await;
    let body = r.expect(200).clone();
    let rep = &body["EventReport"];
    assert_eq!(rep["name"], "Initial analysis");
    assert_eq!(rep["content"], "# APT\nbad things");
    assert_eq!(rep["event_id"], ev.as_str());
    assert_eq!(rep["distribution"], "5");
    assert_eq!(rep["sharing_group_id"], "0");
    assert_eq!(rep["deleted"], false);
    assert_eq!(body["Event"]["id"], ev.as_str());
    assert_eq!(body["Event"]["info"], "report tests");
    assert_eq!(body["Event"]["Orgc"]["id"], org.as_str());
    assert_eq!(body["SharingGroup"]["id"], Value::Null);
    let id = s(&rep["id"]);
    let uuid = s(&rep["uuid"]);

    // Adding unpublished the event and bumped its timestamp.
    let head = event_head(&app, &ev).await;
    assert_eq!(head["published"], false);
    assert!(s(&head["timestamp"]).parse::<i64>().unwrap_or(0) > OLD);
    assert_eq!(head["EventReport"][0]["name"], "Initial analysis");

    // View by id and by UUID.
    for key in [&id, &uuid] {
        let r = app
            .get(&format!("/eventReports/view/{key}"), &app.admin_key)
            .await;
        assert_eq!(r.expect(200)["EventReport"]["id"], id.as_str());
    }

    // Edit: the given fields change, the rest stay.
    app.post(&format!("/events/publish/{ev}"), &app.admin_key, json!({}))
        .await
        .expect(200);
    let r = app
        .post(
            &format!("/eventReports/edit/{id}"),
            &app.admin_key,
            json!({"content": "updated", "distribution": 0}),
        )
        .await;
    let rep = &r.expect(200)["EventReport"];
    assert_eq!(rep["name"], "Initial analysis");
    assert_eq!(rep["content"], "updated");
    assert_eq!(rep["distribution"], "0");
    assert_eq!(event_head(&app, &ev).await["published"], false);

    // Soft delete, index contexts, restore, hard delete.
    let path = format!("/eventReports/delete/{id}");
    let r = app.post(&path, &app.admin_key, json!({})).await;
    let body = r.expect(200);
    assert_eq!(body["saved"], true);
    assert_eq!(body["message"], format!("Event Report {id} soft deleted"));
    let index = |q: String| {
        let app = &app;
        async move { app.get(&q, &app.admin_key).await.expect(200).clone() }
    };
    assert_eq!(
        len(&index(format!("/eventReports/index/event_id:{ev}")).await),
        0
    );
    let deleted = index(format!("/eventReports/index?event_id={ev}&context=deleted")).await;
    assert_eq!(len(&deleted), 1);
    assert_eq!(deleted[0]["EventReport"]["deleted"], true);
    let r = app
        .post(
            &format!("/eventReports/restore/{id}"),
            &app.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(
        r.expect(200)["message"],
        format!("Event Report {id} restored")
    );
    let live = index(format!("/eventReports/index/event_id:{ev}")).await;
    assert_eq!(len(&live), 1);
    assert_eq!(live[0]["EventReport"]["uuid"], uuid.as_str());
    assert_eq!(
        len(&index("/eventReports/index/value:UPDATE".into()).await),
        1
    );
    assert_eq!(
        len(&index("/eventReports/index/value:nothing".into()).await),
        0
    );

    let r = app
        .post(
            &format!("/eventReports/delete/{id}/1"),
            &app.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(
        r.expect(200)["message"],
        format!("Event Report {id} hard deleted")
    );
    let path = format!("/eventReports/view/{id}");
    app.get(&path, &app.admin_key)
        .await
        .expect_error(404, "Invalid report", &path);
    assert_eq!(
        len(&index("/eventReports/index/context:all".into()).await),
        0
    );

    // Hard delete via the body.
    let r = app
        .post(
            &format!("/eventReports/add/{ev}"),
            &app.admin_key,
            json!({"name": "second"}),
        )
        .await;
    let id2 = s(&r.expect(200)["EventReport"]["id"]);
    app.post(
        &format!("/eventReports/delete/{id2}"),
        &app.admin_key,
        json!({"hard": 1}),
    )
    .await
    .expect(200);
    assert_eq!(
        len(&index("/eventReports/index/context:all".into()).await),
        0
    );
}

async fn access(app: TestApp) {
    let org_a = org_of(&app, &app.admin_key).await;
    let (_, a_key) = app.create_user("a@example.test", &org_a, 3).await;
    let org_b = app.create_org("Org B").await;
    let (_, b_key) = app.create_user("b@example.test", &org_b, 3).await;
    let (_, ro_key) = app.create_user("ro@example.test", &org_a, 6).await;

    let shared = event(&app, &a_key, 1).await;
    let hidden = event(&app, &a_key, 0).await;
    let add = |ev: &str, body: Value| {
        let app = &app;
        let path = format!("/eventReports/add/{ev}");
        let key = a_key.clone();
        async move { s(&app.post(&path, &key, body).await.expect(200)["EventReport"]["id"]) }
    };
    let open = add(&shared, json!({"name": "open", "distribution": 1})).await;
    let private = add(&shared, json!({"name": "org only", "distribution": 0})).await;
    let gone = add(&shared, json!({"name": "deleted"})).await;
    app.post(&format!("/eventReports/delete/{gone}"), &a_key, json!({}))
        .await
        .expect(200);
    let in_hidden = add(&hidden, json!({"name": "in hidden event"})).await;

    // Org B sees only the live shared report of the shared event.
    let r = app.get("/eventReports/index", &b_key).await;
    let list = r.expect(200);
    assert_eq!(len(list), 1, "{list}");
    assert_eq!(list[0]["EventReport"]["id"], open.as_str());
    let r = app.get("/eventReports/index/context:deleted", &b_key).await;
    assert_eq!(len(r.expect(200)), 0);
    let r = app.get("/eventReports/index/context:all", &a_key).await;
    assert_eq!(len(r.expect(200)), 4);
    for id in [&private, &gone, &in_hidden] {
        let path = format!("/eventReports/view/{id}");
        app.get(&path, &b_key)
            .await
            .expect_error(404, "Invalid report", &path);
    }
    app.get(&format!("/eventReports/view/{open}"), &b_key)
        .await
        .expect(200);

    // Org B may not add to, edit or delete in Org A's event.
    let path = format!("/eventReports/add/{shared}");
    app.post(&path, &b_key, json!({"name": "mine"}))
        .await
        .expect_error(403, NOT_PERMITTED, &path);
    let path = format!("/eventReports/add/{hidden}");
    app.post(&path, &b_key, json!({"name": "mine"}))
        .await
        .expect_error(404, "Invalid event", &path);
    let path = format!("/eventReports/edit/{open}");
    app.post(&path, &b_key, json!({"name": "mine"}))
        .await
        .expect_error(403, NOT_PERMITTED, &path);
    let path = format!("/eventReports/delete/{open}");
    app.post(&path, &b_key, json!({}))
        .await
        .expect_error(403, NOT_PERMITTED, &path);
    let path = format!("/eventReports/restore/{gone}");
    app.post(&path, &b_key, json!({}))
        .await
        .expect_error(404, "Invalid report", &path);
    // A read-only user lacks perm_add.
    let path = format!("/eventReports/add/{shared}");
    app.post(&path, &ro_key, json!({"name": "x"}))
        .await
        .expect_error(403, NO_PERMISSION, &path);
    let r = app.get(&format!("/eventReports/view/{open}"), &b_key).await;
    assert_eq!(r.expect(200)["EventReport"]["name"], "open");
}

async fn bad_input(app: TestApp) {
    let ev = event(&app, &app.admin_key, 1).await;
    let path = format!("/eventReports/add/{ev}");
    let r = app
        .post(&path, &app.admin_key, json!({"content": "no name"}))
        .await;
    let errors = r.expect_save_failed("Could not add EventReport");
    assert_eq!(errors["name"][0], "This field cannot be left blank");
    let r = app
        .post(
            &path,
            &app.admin_key,
            json!({"name": "x", "distribution": 9}),
        )
        .await;
    let errors = r.expect_save_failed("Could not add EventReport");
    assert!(errors["distribution"][0]
        .as_str()
        .is_some_and(|m| m.starts_with("Options: Your organisation only")));
    let r = app
        .post(&path, &app.admin_key, json!({"name": "x", "uuid": "nope"}))
        .await;
    let errors = r.expect_save_failed("Could not add EventReport");
    assert_eq!(errors["uuid"][0], "Please provide a valid RFC 4122 UUID");
    let uuid = "5f0c8d8e-1a2b-4c3d-8e9f-0a1b2c3d4e5f";
    app.post(&path, &app.admin_key, json!({"name": "x", "uuid": uuid}))
        .await
        .expect(200);
    let r = app
        .post(&path, &app.admin_key, json!({"name": "y", "uuid": uuid}))
        .await;
    let errors = r.expect_save_failed("Could not add EventReport");
    assert_eq!(errors["uuid"][0], "The UUID provided is not unique");
    app.post_raw(&path, &app.admin_key, "{nope")
        .await
        .expect(400);
    let r = app
        .post(
            &format!("/eventReports/edit/{uuid}"),
            &app.admin_key,
            json!({"name": "  "}),
        )
        .await;
    r.expect_save_failed("Could not edit EventReport");
    for missing in ["/eventReports/add/999999", "/eventReports/add/junk"] {
        app.post(missing, &app.admin_key, json!({"name": "x"}))
            .await
            .expect_error(404, "Invalid event", missing);
    }
    for missing in ["/eventReports/view/999999", "/eventReports/view/junk"] {
        app.get(missing, &app.admin_key)
            .await
            .expect_error(404, "Invalid report", missing);
    }
    let r = app
        .get("/eventReports/index/event_id:999999", &app.admin_key)
        .await;
    assert_eq!(len(r.expect(200)), 0);
}

/// Adds a report named `name` to `ev`; returns its id.
async fn add_report(app: &TestApp, ev: &str, name: &str) -> String {
    let r = app
        .post(
            &format!("/eventReports/add/{ev}"),
            &app.admin_key,
            json!({ "name": name }),
        )
        .await;
    s(&r.expect(200)["EventReport"]["id"])
}

/// The report as its owner sees it (`deleted` included), or `None` once
/// it is gone for good.
async fn stored(app: &TestApp, ev: &str, id: &str) -> Option<Value> {
    let r = app
        .get(
            &format!("/eventReports/index?event_id={ev}&context=all"),
            &app.admin_key,
        )
        .await;
    r.expect(200)
        .as_array()
        .expect("a list")
        .iter()
        .find(|e| e["EventReport"]["id"] == id)
        .map(|e| e["EventReport"].clone())
}

/// The hard flag as MISP reads it (any set value deletes for good), the
/// 255-character name, deleted reports being editable and repeated deletes
/// and restores answering 200 (as in MISP), and index paging.
async fn flags_names_repeats_and_paging(app: TestApp) {
    let ev = event(&app, &app.admin_key, 1).await;
    // `/abc` and `/2` are set flags: the report is gone for good.
    for flag in ["abc", "2", "true"] {
        let id = add_report(&app, &ev, &format!("hard {flag}")).await;
        let path = format!("/eventReports/delete/{id}/{flag}");
        let r = app.post(&path, &app.admin_key, json!({})).await;
        assert_eq!(
            r.expect(200)["message"],
            format!("Event Report {id} hard deleted"),
            "/{flag}"
        );
        assert!(stored(&app, &ev, &id).await.is_none(), "/{flag}");
    }
    let id = add_report(&app, &ev, "hard body").await;
    let r = app
        .post(
            &format!("/eventReports/delete/{id}"),
            &app.admin_key,
            json!({"hard": "yes please"}),
        )
        .await;
    assert_eq!(
        r.expect(200)["message"],
        format!("Event Report {id} hard deleted")
    );
    assert!(stored(&app, &ev, &id).await.is_none());
    // `/0`, `/false` and `{"hard": 0}` are soft deletes.
    for (suffix, body) in [
        ("/0", json!({})),
        ("/false", json!({})),
        ("", json!({"hard": 0})),
        ("", json!({"hard": ""})),
    ] {
        let id = add_report(&app, &ev, "soft").await;
        let r = app
            .post(
                &format!("/eventReports/delete/{id}{suffix}"),
                &app.admin_key,
                body.clone(),
            )
            .await;
        assert_eq!(
            r.expect(200)["message"],
            format!("Event Report {id} soft deleted"),
            "{suffix} {body}"
        );
        assert_eq!(stored(&app, &ev, &id).await.expect("kept")["deleted"], true);
    }

    // A soft-deleted report can be edited, as in MISP; it stays deleted.
    let id = add_report(&app, &ev, "to edit").await;
    let delete = format!("/eventReports/delete/{id}");
    app.post(&delete, &app.admin_key, json!({}))
        .await
        .expect(200);
    let r = app
        .post(
            &format!("/eventReports/edit/{id}"),
            &app.admin_key,
            json!({"content": "edited while deleted"}),
        )
        .await;
    let rep = &r.expect(200)["EventReport"];
    assert_eq!(rep["content"], "edited while deleted");
    assert_eq!(rep["deleted"], true);
    // Deleting a deleted report and restoring a live one answer 200, as in
    // MISP, and change nothing else.
    let r = app.post(&delete, &app.admin_key, json!({})).await;
    assert_eq!(
        r.expect(200)["message"],
        format!("Event Report {id} soft deleted")
    );
    assert_eq!(stored(&app, &ev, &id).await.expect("kept")["deleted"], true);
    let restore = format!("/eventReports/restore/{id}");
    app.post(&restore, &app.admin_key, json!({}))
        .await
        .expect(200);
    let r = app.post(&restore, &app.admin_key, json!({})).await;
    assert_eq!(
        r.expect(200)["message"],
        format!("Event Report {id} restored")
    );
    let rep = stored(&app, &ev, &id).await.expect("kept");
    assert_eq!(rep["deleted"], false);
    assert_eq!(rep["content"], "edited while deleted");

    // Names: at most 255 characters (MISP's varchar(255)).
    let add = format!("/eventReports/add/{ev}");
    let r = app
        .post(&add, &app.admin_key, json!({"name": "n".repeat(100_000)}))
        .await;
    let errors = r.expect_save_failed("Could not add EventReport");
    assert_eq!(
        errors["name"],
        json!(["The name is too long (255 characters at most)."])
    );
    let long = "é".repeat(255);
    let id = add_report(&app, &ev, &long).await;
    assert_eq!(
        stored(&app, &ev, &id).await.expect("kept")["name"],
        long.as_str()
    );
    let r = app
        .post(
            &format!("/eventReports/edit/{id}"),
            &app.admin_key,
            json!({"name": "x".repeat(256)}),
        )
        .await;
    let errors = r.expect_save_failed("Could not edit EventReport");
    assert_eq!(
        errors["name"],
        json!(["The name is too long (255 characters at most)."])
    );
    assert_eq!(
        stored(&app, &ev, &id).await.expect("kept")["name"],
        long.as_str()
    );

    // Index paging: `limit` and `page` as restSearch reads them.
    let all = app
        .get(
            &format!("/eventReports/index?event_id={ev}&context=all"),
            &app.admin_key,
        )
        .await;
    let ids: Vec<String> = all
        .expect(200)
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| s(&e["EventReport"]["id"]))
        .collect();
    assert_eq!(ids.len(), 6);
    for (query, expected) in [
        ("limit=2", &ids[..2]),
        ("limit=2&page=2", &ids[2..4]),
        ("limit=5&page=2", &ids[5..]),
        ("limit=2&page=9", &ids[..0]),
        ("limit=0", &ids[..]),
        ("page=2", &ids[..]),
    ] {
        let r = app
            .get(
                &format!("/eventReports/index?event_id={ev}&context=all&{query}"),
                &app.admin_key,
            )
            .await;
        let got: Vec<String> = r
            .expect(200)
            .as_array()
            .expect("a list")
            .iter()
            .map(|e| s(&e["EventReport"]["id"]))
            .collect();
        assert_eq!(got, expected, "{query}");
    }
    let r = app
        .post(
            "/eventReports/index",
            &app.admin_key,
            json!({"event_id": ev, "context": "all", "limit": 3}),
        )
        .await;
    assert_eq!(len(r.expect(200)), 3);
    for (query, message) in [
        (
            "limit=-1",
            "Invalid value for the limit filter: must not be negative.",
        ),
        (
            "limit=abc",
            "Invalid value for the limit filter: 'abc' is not a number.",
        ),
        (
            "limit=2&page=-3",
            "Invalid value for the page filter: must not be negative.",
        ),
        (
            "page=1.5",
            "Invalid value for the page filter: 1.5 is not a whole number.",
        ),
    ] {
        app.get(&format!("/eventReports/index?{query}"), &app.admin_key)
            .await
            .expect_error(400, message, "/eventReports/index");
    }
}

api_tests!(lifecycle, access, bad_input, flags_names_repeats_and_paging);
