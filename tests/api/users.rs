//! Users: `users/view/me`, `admin/users/add|index|view|edit|delete`, and what
//! org admins and plain users may do.

use serde_json::{json, Value};

use crate::helpers::{s, TestApp, NO_PERMISSION, PASSWORD};

api_tests!(
    add_user_returns_a_working_key,
    view_me_has_misp_shape,
    add_user_validation_failures,
    index_lists_users_with_role_and_org,
    edit_user,
    deleted_users_lose_access,
    org_admin_scope,
    plain_users_cannot_administer,
);

async fn add_user_returns_a_working_key(app: TestApp) {
    let org = app.create_org("People Org").await;
    let r = app
        .post(
            "/admin/users/add",
            &app.admin_key,
            json!({"User": {"email": "Alice@Example.TEST", "org_id": org, "role_id": "3"}}),
        )
        .await;
    let user = &r.expect(200)["User"];
    assert_eq!(user["email"], "alice@example.test", "{r}");
    assert_eq!(user["org_id"], org.as_str(), "{r}");
    assert_eq!(user["role_id"], "3", "{r}");
    assert_eq!(user["invited_by"], "1", "{r}");
    assert_eq!(user["disabled"], false, "{r}");
    let key = s(&user["authkey"]);
    assert_eq!(key.len(), 40, "{r}");
    assert!(key.bytes().all(|b| b.is_ascii_alphanumeric()), "{r}");
    assert!(
        user.get("password")
            .is_none_or(|p| !p.as_str().is_some_and(|p| p.starts_with('$'))),
        "no password hash: {r}"
    );
    let r = app.get("/users/view/me", &key).await;
    let me = r.expect(200);
    assert_eq!(me["User"]["email"], "alice@example.test", "{r}");
    assert_eq!(me["User"]["id"], user["id"], "{r}");
    assert_eq!(me["Role"]["name"], "User", "{r}");
    assert_eq!(me["Role"]["id"], "3", "{r}");
    assert_eq!(me["Organisation"]["name"], "People Org", "{r}");
    // The default role, when none is given, is User (3), in the admin's org.
    let r = app
        .post(
            "/admin/users/add",
            &app.admin_key,
            json!({"email": "default@example.test"}),
        )
        .await;
    let user = &r.expect(200)["User"];
    assert_eq!(user["role_id"], "3", "{r}");
    assert_eq!(user["org_id"], "1", "{r}");
}

async fn view_me_has_misp_shape(app: TestApp) {
    let r = app.get("/users/view/me.json", &app.admin_key).await;
    let me = r.expect(200);
    let keys: Vec<&str> = me
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        vec!["User", "Role", "UserSetting", "Organisation"],
        "{r}"
    );
    assert_eq!(me["UserSetting"], json!([]), "{r}");
    assert_eq!(me["User"]["email"], "admin@admin.test", "{r}");
    assert_eq!(me["Role"]["name"], "admin", "{r}");
    assert_eq!(me["Role"]["perm_site_admin"], true, "{r}");
    assert!(me["Role"].get("perm_full").is_none(), "{r}");
    assert_eq!(me["Organisation"]["name"], "ORGNAME", "{r}");
    assert!(!crate::helpers::contains_string(me, &app.admin_key), "{r}");
    // By id, the same user.
    let r = app.get("/users/view/1", &app.admin_key).await;
    let by_id = r.expect(200);
    for field in ["id", "email", "org_id", "role_id", "date_created"] {
        assert_eq!(by_id["User"][field], me["User"][field], "{field}: {r}");
    }
    assert_eq!(by_id["Role"], me["Role"], "{r}");
}

async fn add_user_validation_failures(app: TestApp) {
    let org = app.create_org("Validation Org").await;
    app.create_user("taken@example.test", &org, 3).await;
    let count = app.user_count().await;
    let r = app
        .post(
            "/admin/users/add",
            &app.admin_key,
            json!({"email": "TAKEN@example.test", "org_id": org, "role_id": 3}),
        )
        .await;
    let errors = r.expect_save_failed("Could not add User");
    assert_eq!(r.body["url"], "/admin/users/add", "{r}");
    assert_eq!(
        errors["email"],
        json!(["An account with this email address already exists."]),
        "{r}"
    );
    let r = app
        .post(
            "/admin/users/add",
            &app.admin_key,
            json!({"email": "noorg@example.test", "org_id": "9999", "role_id": 3}),
        )
        .await;
    let errors = r.expect_save_failed("Could not add User");
    assert_eq!(*errors, json!(["Invalid organisation"]), "{r}");
    let r = app
        .post(
            "/admin/users/add",
            &app.admin_key,
            json!({"email": "norole@example.test", "org_id": org, "role_id": "99"}),
        )
        .await;
    let errors = r.expect_save_failed("Could not add User");
    assert!(errors["role_id"].is_array(), "{r}");
    for email in ["not an email", "", "a@", "@b.test"] {
        let r = app
            .post(
                "/admin/users/add",
                &app.admin_key,
                json!({"email": email, "org_id": org, "role_id": 3}),
            )
            .await;
        let errors = r.expect_save_failed("Could not add User");
        assert!(errors["email"].is_array(), "{email:?}: {r}");
    }
    let r = app
        .post("/admin/users/add", &app.admin_key, json!({"org_id": org}))
        .await;
    let errors = r.expect_save_failed("Could not add User");
    assert!(errors["email"].is_array(), "a missing e-mail: {r}");
    let r = app
        .post(
            "/admin/users/add",
            &app.admin_key,
            json!({"email": "weak@example.test", "org_id": org, "password": "short"}),
        )
        .await;
    let errors = r.expect_save_failed("Could not add User");
    assert!(errors["password"].is_array(), "{r}");
    assert_eq!(app.user_count().await, count, "nothing was created");
    let r = app
        .get("/admin/users/index/searchemail:noorg", &app.admin_key)
        .await;
    assert_eq!(r.expect(200), &json!([]), "{r}");
}

fn find_user<'a>(list: &'a Value, email: &str) -> Option<&'a Value> {
    list.as_array()?
        .iter()
        .find(|u| u["User"]["email"] == email)
}

async fn index_lists_users_with_role_and_org(app: TestApp) {
    let org = app.create_org("Index Org").await;
    let (id, key) = app.create_user("listed@example.test", &org, 4).await;
    let r = app.get("/admin/users/index", &app.admin_key).await;
    let list = r.expect(200);
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{r}");
    let admin = find_user(list, "admin@admin.test").expect("the admin is listed");
    assert_eq!(admin["Role"]["name"], "admin");
    assert_eq!(admin["Role"]["perm_site_admin"], true);
    assert_eq!(admin["Organisation"]["name"], "ORGNAME");
    let listed = find_user(list, "listed@example.test").expect("the user is listed");
    assert_eq!(listed["User"]["id"], id.as_str());
    assert_eq!(listed["User"]["org_id"], org.as_str());
    assert_eq!(listed["Role"]["id"], "4");
    assert_eq!(listed["Role"]["name"], "Publisher");
    assert_eq!(listed["Role"]["perm_auth"], true);
    assert_eq!(listed["Role"]["perm_admin"], false);
    assert_eq!(listed["Organisation"]["id"], org.as_str());
    assert_eq!(listed["Organisation"]["name"], "Index Org");
    assert!(!crate::helpers::contains_string(list, &key), "no keys: {r}");
    assert!(
        !crate::helpers::contains_string(list, &app.admin_key),
        "no keys: {r}"
    );
    // Filters.
    let r = app
        .get(
            &format!("/admin/users/index/searchorg:{org}"),
            &app.admin_key,
        )
        .await;
    assert_eq!(r.expect(200).as_array().map(Vec::len), Some(1), "{r}");
    let r = app
        .get("/admin/users/index?searchemail=LISTED", &app.admin_key)
        .await;
    assert!(
        find_user(r.expect(200), "listed@example.test").is_some(),
        "{r}"
    );
    // admin/users/view.
    let r = app
        .get(&format!("/admin/users/view/{id}"), &app.admin_key)
        .await;
    let view = r.expect(200);
    assert_eq!(view["User"]["email"], "listed@example.test", "{r}");
    assert_eq!(view["Role"]["name"], "Publisher", "{r}");
    assert_eq!(view["Organisation"]["name"], "Index Org", "{r}");
    let r = app.get("/admin/users/view/4242", &app.admin_key).await;
    r.expect_error(404, "Invalid user", "/admin/users/view/4242");
}

async fn edit_user(app: TestApp) {
    let org = app.create_org("Edit Org").await;
    let other = app.create_org("Other Edit Org").await;
    let (id, key) = app.create_user("editme@example.test", &org, 3).await;
    let path = format!("/admin/users/edit/{id}");
    let r = app
        .post(
            &path,
            &app.admin_key,
            json!({"User": {"email": "edited@example.test", "role_id": "4", "autoalert": "1"}}),
        )
        .await;
    let user = &r.expect(200)["User"];
    assert_eq!(user["email"], "edited@example.test", "{r}");
    assert_eq!(user["role_id"], "4", "{r}");
    assert_eq!(user["autoalert"], true, "{r}");
    assert_eq!(user["org_id"], org.as_str(), "unchanged: {r}");
    assert!(user.get("authkey").is_none(), "{r}");
    let r = app.get("/users/view/me", &key).await;
    let me = r.expect(200);
    assert_eq!(me["User"]["email"], "edited@example.test", "{r}");
    assert_eq!(me["Role"]["name"], "Publisher", "{r}");
    // Site admins may move users between organisations.
    let r = app
        .post(&path, &app.admin_key, json!({"org_id": other}))
        .await;
    assert_eq!(r.expect(200)["User"]["org_id"], other.as_str(), "{r}");
    // Validation failures carry the id.
    app.create_user("taken2@example.test", &org, 3).await;
    let r = app
        .post(
            &path,
            &app.admin_key,
            json!({"email": "taken2@example.test"}),
        )
        .await;
    let errors = r.expect_save_failed("Could not edit User");
    assert!(errors["email"].is_array(), "{r}");
    assert_eq!(r.body["id"], id.as_str(), "{r}");
    let r = app
        .post(&path, &app.admin_key, json!({"role_id": 77}))
        .await;
    r.expect_save_failed("Could not edit User");
    let r = app
        .post(
            "/admin/users/edit/9999",
            &app.admin_key,
            json!({"email": "x@example.test"}),
        )
        .await;
    r.expect_error(404, "Invalid user", "/admin/users/edit/9999");
    // A password set by edit allows the JWT login.
    let r = app
        .post(&path, &app.admin_key, json!({"password": PASSWORD}))
        .await;
    r.expect(200);
    let r = app
        .post(
            "/auth/login",
            "",
            json!({"email": "edited@example.test", "password": PASSWORD}),
        )
        .await;
    assert!(r.expect(200)["token"].is_string(), "{r}");
}

async fn deleted_users_lose_access(app: TestApp) {
    let org = app.create_org("Delete Org").await;
    let (id, key) = app.create_user("leaving@example.test", &org, 3).await;
    let (_, second) = app.create_key(&key, "me", json!({})).await;
    app.assert_key_works(&key).await;
    app.assert_key_works(&second).await;
    let path = format!("/admin/users/delete/{id}");
    let r = app.post(&path, &app.admin_key, json!({})).await;
    let body = r.expect(200);
    assert_eq!(body["saved"], true, "{r}");
    assert_eq!(body["success"], true, "{r}");
    assert_eq!(body["url"], path.as_str(), "{r}");
    assert_eq!(body["id"], id.as_str(), "{r}");
    app.assert_key_fails(&key).await;
    app.assert_key_fails(&second).await;
    let r = app
        .get(&format!("/admin/users/view/{id}"), &app.admin_key)
        .await;
    assert_eq!(r.status, 404, "{r}");
    let r = app.post(&path, &app.admin_key, json!({})).await;
    assert_eq!(r.status, 404, "{r}");
    // Nobody deletes themselves.
    let r = app
        .post("/admin/users/delete/1", &app.admin_key, json!({}))
        .await;
    assert_eq!(r.status, 403, "{r}");
    app.assert_key_works(&app.admin_key).await;
    // The organisation is empty now and can go.
    let r = app
        .post(
            &format!("/admin/organisations/delete/{org}"),
            &app.admin_key,
            json!({}),
        )
        .await;
    r.expect(200);
}

async fn org_admin_scope(app: TestApp) {
    let org_a = app.create_org("Org A").await;
    let org_b = app.create_org("Org B").await;
    let (a_user, _) = app.create_user("a-user@example.test", &org_a, 3).await;
    let (_, b_admin) = app.create_user("b-admin@example.test", &org_b, 2).await;

    // Adds a user to its own organisation (org_id omitted).
    let (b_user, b_user_key) = app
        .create_user_as(
            &b_admin,
            json!({"email": "b-user@example.test", "role_id": "3"}),
        )
        .await;
    let r = app.get("/users/view/me", &b_user_key).await;
    let me = r.expect(200);
    assert_eq!(me["User"]["org_id"], org_b.as_str(), "{r}");
    assert_eq!(me["Organisation"]["name"], "Org B", "{r}");
    // Explicitly its own org works too.
    app.create_user_as(
        &b_admin,
        json!({"email": "b-user2@example.test", "org_id": org_b}),
    )
    .await;

    let users_before = app.user_count().await;
    // Not into another organisation.
    let r = app
        .post(
            "/admin/users/add",
            &b_admin,
            json!({"email": "intruder@example.test", "org_id": org_a, "role_id": "3"}),
        )
        .await;
    assert_eq!(r.status, 403, "{r}");
    // Not with the site admin role.
    let r = app
        .post(
            "/admin/users/add",
            &b_admin,
            json!({"email": "wannabe@example.test", "role_id": "1"}),
        )
        .await;
    assert_eq!(r.status, 403, "{r}");
    assert!(r.body["message"].is_string(), "{r}");
    // Nor the sync role.
    let r = app
        .post(
            "/admin/users/add",
            &b_admin,
            json!({"email": "syncer@example.test", "role_id": "5"}),
        )
        .await;
    assert_eq!(r.status, 403, "{r}");
    assert_eq!(app.user_count().await, users_before, "nothing was created");

    // Sees only its own organisation's users.
    let r = app.get("/admin/users/index", &b_admin).await;
    let list = r.expect(200).as_array().expect("a list").clone();
    assert_eq!(list.len(), 3, "{r}");
    assert!(
        list.iter().all(|u| u["User"]["org_id"] == org_b.as_str()),
        "{r}"
    );
    let r = app
        .get(&format!("/admin/users/index/searchorg:{org_a}"), &b_admin)
        .await;
    assert!(
        r.expect(200)
            .as_array()
            .expect("list")
            .iter()
            .all(|u| u["User"]["org_id"] == org_b.as_str()),
        "{r}"
    );
    // Cannot view, edit or delete other organisations' users, nor the site admin.
    for id in [a_user.as_str(), "1"] {
        let r = app.get(&format!("/admin/users/view/{id}"), &b_admin).await;
        assert_eq!(r.status, 404, "{r}");
        let r = app
            .post(
                &format!("/admin/users/edit/{id}"),
                &b_admin,
                json!({"disabled": 1}),
            )
            .await;
        assert_eq!(r.status, 404, "{r}");
        let r = app
            .post(&format!("/admin/users/delete/{id}"), &b_admin, json!({}))
            .await;
        assert_eq!(r.status, 404, "{r}");
        let r = app.get(&format!("/users/view/{id}"), &b_admin).await;
        assert_eq!(r.status, 404, "{r}");
    }
    app.assert_key_works(&app.admin_key).await;
    // Can view and edit its own organisation's users, but not move them out.
    let r = app
        .get(&format!("/admin/users/view/{b_user}"), &b_admin)
        .await;
    assert_eq!(r.expect(200)["User"]["email"], "b-user@example.test", "{r}");
    let r = app
        .post(
            &format!("/admin/users/edit/{b_user}"),
            &b_admin,
            json!({"org_id": org_a}),
        )
        .await;
    assert_eq!(r.status, 403, "{r}");
    let r = app
        .post(
            &format!("/admin/users/edit/{b_user}"),
            &b_admin,
            json!({"role_id": "1"}),
        )
        .await;
    assert_eq!(r.status, 403, "{r}");
    let r = app
        .get(&format!("/admin/users/view/{b_user}"), &b_admin)
        .await;
    let user = &r.expect(200)["User"];
    assert_eq!(user["org_id"], org_b.as_str(), "{r}");
    assert_eq!(user["role_id"], "3", "{r}");
    let r = app
        .post(
            &format!("/admin/users/edit/{b_user}"),
            &b_admin,
            json!({"role_id": "4"}),
        )
        .await;
    assert_eq!(r.expect(200)["User"]["role_id"], "4", "{r}");
    // Cannot create an organisation.
    let r = app
        .post(
            "/admin/organisations/add",
            &b_admin,
            json!({"name": "B's New Org"}),
        )
        .await;
    r.expect_error(403, NO_PERMISSION, "/admin/organisations/add");
    // Can delete its own organisation's users.
    let r = app
        .post(
            &format!("/admin/users/delete/{b_user}"),
            &b_admin,
            json!({}),
        )
        .await;
    r.expect(200);
    app.assert_key_fails(&b_user_key).await;
}

async fn plain_users_cannot_administer(app: TestApp) {
    let org = app.create_org("Plain Org").await;
    let (_, key) = app.create_user("plain@example.test", &org, 3).await;
    let (other, _) = app.create_user("other@example.test", &org, 3).await;
    let r = app.get("/admin/users/index", &key).await;
    r.expect_error(403, NO_PERMISSION, "/admin/users/index");
    let r = app
        .post("/admin/users/add", &key, json!({"email": "x@example.test"}))
        .await;
    r.expect_error(403, NO_PERMISSION, "/admin/users/add");
    let r = app.get(&format!("/admin/users/view/{other}"), &key).await;
    r.expect_error(403, NO_PERMISSION, &format!("/admin/users/view/{other}"));
    let r = app
        .post(
            &format!("/admin/users/edit/{other}"),
            &key,
            json!({"disabled": true}),
        )
        .await;
    assert_eq!(r.status, 403, "{r}");
    let r = app
        .post(&format!("/admin/users/delete/{other}"), &key, json!({}))
        .await;
    assert_eq!(r.status, 403, "{r}");
    let r = app.get(&format!("/users/view/{other}"), &key).await;
    assert_eq!(r.status, 404, "{r}");
    let r = app.get("/admin/roles/add", &key).await;
    assert_eq!(r.status, 405, "{r}");
    let r = app
        .post("/admin/roles/add", &key, json!({"name": "Mine"}))
        .await;
    r.expect_error(403, NO_PERMISSION, "/admin/roles/add");
}
