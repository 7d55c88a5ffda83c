//! Sharing groups: CRUD, members, who may see and change a group, bad input.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{s, TestApp, NO_PERMISSION};

api_tests!(
    add_view_index_and_delete,
    members_by_body_and_path,
    other_orgs_neither_see_nor_change,
    extend_members_may_add_orgs,
    permission_and_bad_input,
    delete_refuses_groups_in_use,
);

/// Org admins (role 2) have perm_sharing_group; users (role 3) do not.
async fn org_with_users(app: &TestApp, name: &str) -> (String, String, String) {
    let org = app.create_org(name).await;
    let slug = name.to_lowercase().replace(' ', "");
    let (_, admin) = app
        .create_user(&format!("admin@{slug}.test"), &org, 2)
        .await;
    let (_, user) = app.create_user(&format!("user@{slug}.test"), &org, 3).await;
    (org, admin, user)
}

fn member_orgs(sg: &Value) -> Vec<(String, bool)> {
    let mut v: Vec<_> = sg["SharingGroupOrg"]
        .as_array()
        .expect("SharingGroupOrg list")
        .iter()
        .map(|m| (s(&m["org_id"]), m["extend"].as_bool().expect("extend flag")))
        .collect();
    v.sort();
    v
}

async fn add_view_index_and_delete(app: TestApp) {
    let (org_b, key_b, _) = org_with_users(&app, "Bank B").await;
    let r = app
        .post(
            "/sharing_groups/add",
            &key_b,
            json!({"SharingGroup": {"name": " Banks ", "releasability": "Banks only",
                   "description": "Banking sector", "active": "1"}}),
        )
        .await;
    let sg = r.expect(200);
    let g = &sg["SharingGroup"];
    assert_eq!(g["name"], "Banks", "{r}");
    assert_eq!(g["releasability"], "Banks only");
    assert_eq!(g["description"], "Banking sector");
    assert_eq!(g["org_id"], org_b.as_str());
    assert_eq!(g["active"], true);
    assert_eq!(g["local"], true);
    assert_eq!(g["roaming"], false);
    assert_eq!(s(&g["created"]).len(), 19, "YYYY-MM-DD HH:MM:SS: {r}");
    assert_eq!(sg["Organisation"]["id"], org_b.as_str());
    assert_eq!(g["organisation_uuid"], sg["Organisation"]["uuid"]);
    // The creator organisation is a member with extend; the local instance
    // is a server without all_orgs.
    assert_eq!(member_orgs(sg), vec![(org_b.clone(), true)]);
    let servers = sg["SharingGroupServer"].as_array().expect("servers");
    assert_eq!(servers.len(), 1, "{r}");
    assert_eq!(servers[0]["server_id"], "0");
    assert_eq!(servers[0]["all_orgs"], false);
    assert_eq!(servers[0]["Server"]["name"], "Local instance");
    let id = s(&g["id"]);
    let uuid = s(&g["uuid"]);

    // View by id and UUID; HEAD.
    for key in [&id, &uuid] {
        let r = app
            .get(&format!("/sharing_groups/view/{key}"), &key_b)
            .await;
        assert_eq!(r.expect(200)["SharingGroup"]["name"], "Banks", "{r}");
    }
    let head = app
        .send(app.request(Method::HEAD, &format!("/sharing_groups/view/{id}"), &key_b))
        .await;
    assert_eq!(head.status, 200);
    let head = app
        .send(app.request(Method::HEAD, "/sharing_groups/view/999", &key_b))
        .await;
    assert_eq!(head.status, 404);

    // Index, in both spellings, with the edit flags.
    for path in ["/sharing_groups/index", "/sharingGroups/index.json"] {
        let r = app.get(path, &key_b).await;
        let list = r.expect(200)["response"].as_array().expect("response list");
        assert_eq!(list.len(), 1, "{r}");
        assert_eq!(list[0]["SharingGroup"]["name"], "Banks");
        assert_eq!(list[0]["SharingGroup"]["org_count"], "1");
        assert_eq!(list[0]["Organisation"]["id"], org_b.as_str());
        assert_eq!(list[0]["editable"], true);
        assert_eq!(list[0]["deletable"], true);
    }

    // Edit: fields change, members listed are added, none removed.
    let org_c = app.create_org("Bank C").await;
    let r = app
        .post(
            &format!("/sharing_groups/edit/{id}"),
            &key_b,
            json!({"SharingGroup": {"description": "Changed", "active": 0},
                   "SharingGroupOrg": [{"org_id": org_c, "extend": 0}]}),
        )
        .await;
    let sg = r.expect(200);
    assert_eq!(sg["SharingGroup"]["description"], "Changed", "{r}");
    assert_eq!(sg["SharingGroup"]["name"], "Banks");
    assert_eq!(sg["SharingGroup"]["active"], false);
    let mut want = vec![(org_b.clone(), true), (org_c.clone(), false)];
    want.sort();
    assert_eq!(member_orgs(sg), want);
    // Inactive groups are listed by `index/true` only.
    let r = app.get("/sharing_groups/index", &key_b).await;
    assert_eq!(r.expect(200)["response"], json!([]), "{r}");
    let r = app.get("/sharing_groups/index/true", &key_b).await;
    assert_eq!(r.expect(200)["response"].as_array().map(Vec::len), Some(1));

    // A second group with the same name is renamed, as MISP does.
    let r = app
        .post("/sharing_groups/add", &key_b, json!({"name": "banks"}))
        .await;
    let renamed = s(&r.expect(200)["SharingGroup"]["name"]);
    assert!(renamed.starts_with("banks_"), "{r}");
    // Renaming onto a taken name fails.
    let r = app
        .post(
            &format!("/sharing_groups/edit/{id}"),
            &key_b,
            json!({"name": renamed}),
        )
        .await;
    let errors = r.expect_save_failed("Could not edit SharingGroup");
    assert_eq!(
        errors["name"],
        json!(["A sharing group with this name already exists."])
    );

    // Delete.
    let r = app
        .post(&format!("/sharing_groups/delete/{id}"), &key_b, json!({}))
        .await;
    let body = r.expect(200);
    assert_eq!(body["saved"], true);
    assert_eq!(body["message"], "SharingGroup deleted");
    let r = app.get(&format!("/sharing_groups/view/{id}"), &key_b).await;
    r.expect_error(
        404,
        "Invalid sharing group",
        &format!("/sharing_groups/view/{id}"),
    );
}

async fn members_by_body_and_path(app: TestApp) {
    let (org_b, key_b, _) = org_with_users(&app, "Bank B").await;
    let org_c = app.create_org("Bank C").await;
    let org_d = app.create_org("Bank D").await;
    let r = app
        .post(
            "/sharing_groups/add",
            &key_b,
            json!({"name": "Members", "roaming": true,
                   "SharingGroupOrg": [{"Organisation": {"name": "Bank C"}, "extend": true}]}),
        )
        .await;
    let sg = r.expect(200);
    // Roaming: no server added.
    assert_eq!(sg["SharingGroupServer"], json!([]), "{r}");
    let mut want = vec![(org_b.clone(), true), (org_c.clone(), true)];
    want.sort();
    assert_eq!(member_orgs(sg), want);
    let id = s(&sg["SharingGroup"]["id"]);
    let uuid = s(&sg["SharingGroup"]["uuid"]);

    // PyMISP's body form.
    let r = app
        .post(
            "/sharingGroups/addOrg",
            &key_b,
            json!({"sg_id": uuid, "org_id": org_d, "extend": false}),
        )
        .await;
    let body = r.expect(200);
    assert_eq!(body["message"], "Organisation added to the sharing group.");
    assert_eq!(body["saved"], true);
    let r = app
        .post(
            "/sharingGroups/addOrg",
            &key_b,
            json!({"sg_id": id, "org_id": org_d}),
        )
        .await;
    assert_eq!(
        r.expect_save_failed("Could not add Organisation to SharingGroup"),
        "Organisation is already in the sharing group."
    );
    // Path form.
    let r = app
        .post(
            &format!("/sharing_groups/removeOrg/{id}/{org_d}"),
            &key_b,
            json!({}),
        )
        .await;
    assert_eq!(
        r.expect(200)["message"],
        "Organisation removed from the sharing group."
    );
    let r = app
        .post(
            &format!("/sharing_groups/removeOrg/{id}/{org_d}"),
            &key_b,
            json!({}),
        )
        .await;
    assert_eq!(
        r.expect_save_failed("Could not remove Organisation from SharingGroup"),
        "Organisation is not in the sharing group."
    );
    let r = app
        .post(
            &format!("/sharing_groups/addOrg/{id}/9999"),
            &key_b,
            json!({}),
        )
        .await;
    r.expect_error(
        404,
        "Invalid organisation.",
        &format!("/sharing_groups/addOrg/{id}/9999"),
    );

    // Servers: only the local instance (0).
    let r = app
        .post(
            "/sharing_groups/addServer",
            &key_b,
            json!({"sg_id": id, "server_id": 0, "all_orgs": true}),
        )
        .await;
    assert_eq!(
        r.expect(200)["message"],
        "Server added to the sharing group."
    );
    let r = app.get(&format!("/sharing_groups/view/{id}"), &key_b).await;
    let servers = r.expect(200)["SharingGroupServer"].clone();
    assert_eq!(servers.as_array().map(Vec::len), Some(1), "{r}");
    assert_eq!(servers[0]["all_orgs"], true);
    let r = app
        .post(
            &format!("/sharing_groups/addServer/{id}/0"),
            &key_b,
            json!({}),
        )
        .await;
    assert_eq!(
        r.expect_save_failed("Could not add Server to SharingGroup"),
        "Server is already in the sharing group."
    );
    let r = app
        .post(
            &format!("/sharing_groups/addServer/{id}/5"),
            &key_b,
            json!({}),
        )
        .await;
    r.expect_error(
        404,
        "Invalid Server.",
        &format!("/sharing_groups/addServer/{id}/5"),
    );
    let r = app
        .post(
            "/sharing_groups/removeServer",
            &key_b,
            json!({"sg_id": id, "server_id": "0"}),
        )
        .await;
    assert_eq!(
        r.expect(200)["message"],
        "Server removed from the sharing group."
    );
    let r = app
        .post(
            "/sharing_groups/removeServer",
            &key_b,
            json!({"server_id": 0}),
        )
        .await;
    r.expect_error(
        400,
        "No valid sharing group ID provided.",
        "/sharing_groups/removeServer",
    );
}

async fn other_orgs_neither_see_nor_change(app: TestApp) {
    let (org_b, key_b, user_b) = org_with_users(&app, "Bank B").await;
    let (_, key_c, _) = org_with_users(&app, "Bank C").await;
    let r = app
        .post("/sharing_groups/add", &key_b, json!({"name": "Private"}))
        .await;
    let id = s(&r.expect(200)["SharingGroup"]["id"]);

    // Another organisation: not listed, 404 on view, edit, delete and quick edits.
    let r = app.get("/sharing_groups/index", &key_c).await;
    assert_eq!(r.expect(200)["response"], json!([]), "{r}");
    let view = format!("/sharing_groups/view/{id}");
    app.get(&view, &key_c)
        .await
        .expect_error(404, "Invalid sharing group", &view);
    let edit = format!("/sharing_groups/edit/{id}");
    app.post(&edit, &key_c, json!({"name": "Stolen"}))
        .await
        .expect_error(404, "Invalid sharing group", &edit);
    let delete = format!("/sharing_groups/delete/{id}");
    app.post(&delete, &key_c, json!({}))
        .await
        .expect_error(404, "Invalid sharing group", &delete);
    let r = app
        .post(
            "/sharing_groups/addOrg",
            &key_c,
            json!({"sg_id": id, "org_id": org_b}),
        )
        .await;
    r.expect_error(
        404,
        "Invalid sharing group or no editing rights.",
        "/sharing_groups/addOrg",
    );

    // A user of the creator organisation sees it but has no perm_sharing_group.
    let r = app.get(&view, &user_b).await;
    r.expect(200);
    let r = app.get("/sharing_groups/index", &user_b).await;
    let list = r.expect(200)["response"].clone();
    assert_eq!(list[0]["editable"], false, "{r}");
    assert_eq!(list[0]["deletable"], false);

    // The local instance with all_orgs makes it visible to everyone, but
    // still not editable by them.
    app.post(
        &format!("/sharing_groups/removeServer/{id}/0"),
        &key_b,
        json!({}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/sharing_groups/addServer/{id}/0/1"),
        &key_b,
        json!({}),
    )
    .await
    .expect(200);
    let r = app.get("/sharing_groups/index", &key_c).await;
    let list = r.expect(200)["response"].clone();
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{r}");
    assert_eq!(list[0]["editable"], false);
    assert_eq!(list[0]["deletable"], false);
    app.post(&edit, &key_c, json!({"name": "Stolen"}))
        .await
        .expect_error(403, "Action not allowed.", &edit);
    app.post(&delete, &key_c, json!({}))
        .await
        .expect_error(403, "Action not allowed.", &delete);
    let r = app.get(&view, &key_b).await;
    assert_eq!(r.expect(200)["SharingGroup"]["name"], "Private");
    // The site admin sees and may edit everything.
    let r = app.get("/sharing_groups/index", &app.admin_key).await;
    assert_eq!(r.expect(200)["response"][0]["deletable"], true, "{r}");
}

async fn extend_members_may_add_orgs(app: TestApp) {
    let (_, key_b, _) = org_with_users(&app, "Bank B").await;
    let (org_c, key_c, _) = org_with_users(&app, "Bank C").await;
    let (org_d, key_d, _) = org_with_users(&app, "Bank D").await;
    let org_e = app.create_org("Bank E").await;
    let r = app
        .post(
            "/sharing_groups/add",
            &key_b,
            json!({"name": "Extended", "SharingGroupOrg": [
                {"org_id": org_c, "extend": 1}, {"org_id": org_d, "extend": 0}]}),
        )
        .await;
    let id = s(&r.expect(200)["SharingGroup"]["id"]);
    // C may extend: it adds E; D may not.
    let r = app
        .post(
            &format!("/sharing_groups/addOrg/{id}/{org_e}"),
            &key_c,
            json!({}),
        )
        .await;
    assert_eq!(
        r.expect(200)["message"],
        "Organisation added to the sharing group."
    );
    let path = format!("/sharing_groups/removeOrg/{id}/{org_e}");
    app.post(&path, &key_d, json!({})).await.expect_error(
        403,
        "Invalid sharing group or no editing rights.",
        &path,
    );
    // Extending is not owning: C may not edit or delete.
    let edit = format!("/sharing_groups/edit/{id}");
    app.post(&edit, &key_c, json!({"name": "Mine"}))
        .await
        .expect_error(403, "Action not allowed.", &edit);
    let r = app.get("/sharing_groups/index", &key_c).await;
    let item = &r.expect(200)["response"][0];
    assert_eq!(item["editable"], true, "{r}");
    assert_eq!(item["deletable"], false);
    let r = app.get("/sharing_groups/index", &key_d).await;
    assert_eq!(r.expect(200)["response"][0]["editable"], false, "{r}");
    let r = app.get(&format!("/sharing_groups/view/{id}"), &key_b).await;
    assert_eq!(
        r.expect(200)["SharingGroupOrg"].as_array().map(Vec::len),
        Some(4),
        "{r}"
    );
}

async fn permission_and_bad_input(app: TestApp) {
    let (_, key_b, user_b) = org_with_users(&app, "Bank B").await;
    // No perm_sharing_group: MISP's 403, nothing created.
    let r = app
        .post("/sharing_groups/add", &user_b, json!({"name": "Nope"}))
        .await;
    r.expect_error(403, NO_PERMISSION, "/sharing_groups/add");
    let r = app
        .post(
            "/sharing_groups/addOrg",
            &user_b,
            json!({"sg_id": 1, "org_id": 1}),
        )
        .await;
    r.expect_error(403, NO_PERMISSION, "/sharing_groups/addOrg");
    let r = app.get("/sharing_groups/index", &key_b).await;
    assert_eq!(r.expect(200)["response"], json!([]));

    // Missing name, bad UUID, unknown member organisation and server: every
    // reason at once.
    let r = app
        .post(
            "/sharing_groups/add",
            &key_b,
            json!({"uuid": "not-a-uuid", "SharingGroupOrg": [{"org_id": 9999}],
                   "SharingGroupServer": [{"server_id": 3}]}),
        )
        .await;
    let errors = r.expect_save_failed("Could not add SharingGroup");
    assert_eq!(
        errors["name"],
        json!(["This field cannot be left empty."]),
        "{r}"
    );
    assert_eq!(
        errors["uuid"],
        json!(["Please provide a valid RFC 4122 UUID"])
    );
    assert_eq!(
        errors["SharingGroupOrg"],
        json!(["Invalid organisation. (9999)"])
    );
    assert_eq!(errors["SharingGroupServer"], json!(["Invalid Server."]));
    let r = app
        .post(
            "/sharing_groups/add",
            &key_b,
            json!({"name": "X", "SharingGroupOrg": [{"extend": 1}]}),
        )
        .await;
    let errors = r.expect_save_failed("Could not add SharingGroup");
    assert!(errors["SharingGroupOrg"].is_array(), "{r}");
    // Not JSON.
    let r = app
        .post_raw("/sharing_groups/add", &key_b, "{not json")
        .await;
    assert_eq!(r.status, 400, "{r}");
    // A UUID in use.
    let wanted = uuid::Uuid::new_v4().to_string();
    app.post(
        "/sharing_groups/add",
        &key_b,
        json!({"name": "First", "uuid": wanted.to_uppercase()}),
    )
    .await
    .expect(200);
    let r = app
        .post(
            "/sharing_groups/add",
            &key_b,
            json!({"name": "Second", "uuid": wanted}),
        )
        .await;
    let errors = r.expect_save_failed("Could not add SharingGroup");
    assert_eq!(errors["uuid"], json!(["The UUID provided is not unique"]));
    // Malformed ids answer as unknown ones.
    app.get("/sharing_groups/view/abc", &key_b)
        .await
        .expect_error(404, "Invalid sharing group", "/sharing_groups/view/abc");
    // Wrong method.
    let r = app.get("/sharing_groups/add", &key_b).await;
    assert_eq!(r.status, 405, "{r}");
}

async fn delete_refuses_groups_in_use(app: TestApp) {
    let (_, key_b, _) = org_with_users(&app, "Bank B").await;
    let r = app
        .post("/sharing_groups/add", &key_b, json!({"name": "Used"}))
        .await;
    let id = s(&r.expect(200)["SharingGroup"]["id"]);
    let r = app
        .post(
            "/events/add",
            &app.admin_key,
            json!({"Event": {"info": "shared", "distribution": 4, "sharing_group_id": id}}),
        )
        .await;
    r.expect(200);
    let r = app
        .post(&format!("/sharing_groups/delete/{id}"), &key_b, json!({}))
        .await;
    let errors = r.expect_save_failed("Could not delete SharingGroup");
    assert_eq!(
        errors,
        "The sharing group could not be deleted: events still use it."
    );
}
