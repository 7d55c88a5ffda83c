//! Roles: MISP's six default roles and `admin/roles/add|edit|delete`.

use serde_json::{json, Value};

use crate::helpers::{s, TestApp, NO_PERMISSION};

api_tests!(index_has_the_default_roles, add_edit_and_delete_roles,);

async fn index_has_the_default_roles(app: TestApp) {
    let r = app.get("/roles/index", &app.admin_key).await;
    let roles: Vec<Value> = r
        .expect(200)
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| e["Role"].clone())
        .collect();
    let field = |name: &str| -> Vec<String> { roles.iter().map(|r| s(&r[name])).collect() };
    assert_eq!(field("id"), ["1", "2", "3", "4", "5", "6"], "{r}");
    assert_eq!(
        field("name"),
        [
            "admin",
            "Org Admin",
            "User",
            "Publisher",
            "Sync user",
            "Read Only"
        ],
        "{r}"
    );
    assert_eq!(field("permission"), ["3", "3", "2", "3", "3", "0"], "{r}");
    for role in &roles {
        assert!(
            role.get("perm_full").is_none(),
            "perm_full is never shown: {role}"
        );
        let expected_default = role["id"] == "3";
        assert_eq!(role["default"], expected_default, "{role}");
        assert!(role["perm_auth"].is_boolean(), "{role}");
    }
    assert_eq!(roles[0]["perm_site_admin"], true);
    assert_eq!(roles[1]["perm_admin"], true);
    assert_eq!(roles[1]["perm_site_admin"], false);
    assert_eq!(roles[4]["perm_sync"], true);
    assert_eq!(roles[5]["perm_add"], false);
    // Any user may list and view the roles.
    let (_, user) = app.create_user("roles@example.test", "1", 6).await;
    let r = app.get("/roles/index", &user).await;
    assert_eq!(r.expect(200).as_array().map(Vec::len), Some(6), "{r}");
    let r = app.get("/roles/view/2", &user).await;
    let role = &r.expect(200)["Role"];
    assert_eq!(role["name"], "Org Admin", "{r}");
    assert!(role.get("perm_full").is_none(), "{r}");
    let r = app.get("/roles/view/99", &user).await;
    assert_eq!(r.status, 404, "{r}");
    assert_eq!(r.body["url"], "/roles/view/99", "{r}");
}

async fn add_edit_and_delete_roles(app: TestApp) {
    let r = app
        .post(
            "/admin/roles/add",
            &app.admin_key,
            json!({"Role": {"name": "Tagger", "permission": "1", "perm_tagger": true, "perm_auth": "1"}}),
        )
        .await;
    let role = r.expect(200)["Role"].clone();
    let id = s(&role["id"]);
    assert_eq!(id, "7", "{r}");
    assert_eq!(role["name"], "Tagger");
    assert_eq!(role["permission"], "1", "{r}");
    assert_eq!(role["perm_add"], true, "permission 1 is manage own: {r}");
    assert_eq!(role["perm_modify"], true, "{r}");
    assert_eq!(role["perm_modify_org"], false, "{r}");
    assert_eq!(role["perm_publish"], false, "{r}");
    assert_eq!(role["perm_tagger"], true, "{r}");
    assert_eq!(role["perm_site_admin"], false, "{r}");
    assert!(role.get("perm_full").is_none(), "{r}");
    // Duplicate and empty names.
    let r = app
        .post(
            "/admin/roles/add",
            &app.admin_key,
            json!({"name": "tagger"}),
        )
        .await;
    let errors = r.expect_save_failed("Could not add Role");
    assert!(errors["name"].is_array(), "{r}");
    let r = app
        .post("/admin/roles/add", &app.admin_key, json!({"name": ""}))
        .await;
    r.expect_save_failed("Could not add Role");
    let r = app
        .post(
            "/admin/roles/add",
            &app.admin_key,
            json!({"name": "Bad level", "permission": 7}),
        )
        .await;
    r.expect_save_failed("Could not add Role");
    let r = app.get("/roles/index", &app.admin_key).await;
    assert_eq!(r.expect(200).as_array().map(Vec::len), Some(7), "{r}");

    // Edit: only the given fields change.
    let r = app
        .post(
            &format!("/admin/roles/edit/{id}"),
            &app.admin_key,
            json!({"perm_sighting": 1, "name": "Tagger 2"}),
        )
        .await;
    let edited = &r.expect(200)["Role"];
    assert_eq!(edited["name"], "Tagger 2", "{r}");
    assert_eq!(edited["perm_sighting"], true, "{r}");
    assert_eq!(edited["perm_tagger"], true, "kept: {r}");
    assert_eq!(edited["permission"], "1", "kept: {r}");
    let r = app
        .post(
            &format!("/admin/roles/edit/{id}"),
            &app.admin_key,
            json!({"permission": 3}),
        )
        .await;
    let edited = &r.expect(200)["Role"];
    assert_eq!(edited["perm_publish"], true, "{r}");
    assert_eq!(edited["permission"], "3", "{r}");
    let r = app.get(&format!("/roles/view/{id}"), &app.admin_key).await;
    assert_eq!(r.expect(200)["Role"]["name"], "Tagger 2", "{r}");
    let r = app
        .post("/admin/roles/edit/99", &app.admin_key, json!({"name": "x"}))
        .await;
    assert_eq!(r.status, 404, "{r}");

    // Not for anyone else.
    let org = app.create_org("Role Org").await;
    let (_, org_admin) = app.create_user("roleadmin@example.test", &org, 2).await;
    let r = app
        .post(
            &format!("/admin/roles/edit/{id}"),
            &org_admin,
            json!({"perm_site_admin": 1}),
        )
        .await;
    r.expect_error(403, NO_PERMISSION, &format!("/admin/roles/edit/{id}"));
    let r = app
        .post(&format!("/admin/roles/delete/{id}"), &org_admin, json!({}))
        .await;
    assert_eq!(r.status, 403, "{r}");

    // A role in use cannot be deleted.
    let (user, key) = app.create_user("tagger@example.test", &org, 7).await;
    let r = app.get("/users/view/me", &key).await;
    assert_eq!(r.expect(200)["Role"]["name"], "Tagger 2", "{r}");
    let path = format!("/admin/roles/delete/{id}");
    let r = app.post(&path, &app.admin_key, json!({})).await;
    r.expect_save_failed("Could not delete Role");
    assert_eq!(r.body["url"], path.as_str(), "{r}");
    app.get(&format!("/roles/view/{id}"), &app.admin_key)
        .await
        .expect(200);
    app.create_user("user3@example.test", &org, 3).await;
    let r = app
        .post("/admin/roles/delete/3", &app.admin_key, json!({}))
        .await;
    r.expect_save_failed("Could not delete Role");
    app.get("/roles/view/3", &app.admin_key).await.expect(200);
    // Once unused, it can.
    app.post(
        &format!("/admin/users/delete/{user}"),
        &app.admin_key,
        json!({}),
    )
    .await
    .expect(200);
    let r = app.post(&path, &app.admin_key, json!({})).await;
    let body = r.expect(200);
    assert_eq!(body["saved"], true, "{r}");
    assert_eq!(body["success"], true, "{r}");
    assert_eq!(body["id"], id.as_str(), "{r}");
    let r = app.get(&format!("/roles/view/{id}"), &app.admin_key).await;
    assert_eq!(r.status, 404, "{r}");
    let r = app.post(&path, &app.admin_key, json!({})).await;
    assert_eq!(r.status, 404, "{r}");
}
