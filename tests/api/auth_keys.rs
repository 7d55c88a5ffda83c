//! API keys: `auth_keys/add|index|view|edit|delete` and who may manage whose keys.

use serde_json::json;

use crate::helpers::{contains_key, contains_string, s, TestApp, NO_PERMISSION};

api_tests!(
    add_own_key,
    index_never_shows_secrets,
    view_edit_and_delete,
    users_cannot_touch_other_users_keys,
    org_admin_manages_its_users_keys,
    invalid_input_is_rejected,
    org_admin_cannot_take_over_privileged_users,
);

async fn add_own_key(app: TestApp) {
    let r = app
        .post(
            "/auth_keys/add/me",
            &app.admin_key,
            json!({"comment": "CI key"}),
        )
        .await;
    let key = &r.expect(200)["AuthKey"];
    let raw = s(&key["authkey_raw"]);
    assert_eq!(raw.len(), 40, "{r}");
    assert!(raw.bytes().all(|b| b.is_ascii_alphanumeric()), "{r}");
    assert_eq!(key["authkey_start"], &raw[..4], "{r}");
    assert_eq!(key["authkey_end"], &raw[36..], "{r}");
    assert_eq!(key["user_id"], "1", "{r}");
    assert_eq!(key["comment"], "CI key", "{r}");
    assert_eq!(key["expiration"], "0", "{r}");
    assert_eq!(key["read_only"], false, "{r}");
    assert_eq!(key["allowed_ips"], json!(null), "{r}");
    assert!(uuid::Uuid::parse_str(&s(&key["uuid"])).is_ok(), "{r}");
    assert!(key.get("authkey").is_none(), "no hash: {r}");
    let r = app.get("/users/view/me", &raw).await;
    assert_eq!(r.expect(200)["User"]["email"], "admin@admin.test", "{r}");
    // `auth_keys/add` with no user, an empty body, and the numeric own id.
    let r = app.post_raw("/auth_keys/add", &app.admin_key, "").await;
    let other = s(&r.expect(200)["AuthKey"]["authkey_raw"]);
    app.assert_key_works(&other).await;
    let (_, third) = app.create_key(&app.admin_key, "1", json!({})).await;
    app.assert_key_works(&third).await;
    assert!(raw != other && other != third);
}

async fn index_never_shows_secrets(app: TestApp) {
    let org = app.create_org("Key Org").await;
    let (_, user_key) = app.create_user("keys@example.test", &org, 3).await;
    let (_, raw) = app
        .create_key(&app.admin_key, "me", json!({"comment": "mine"}))
        .await;
    let (_, user_raw) = app.create_key(&user_key, "me", json!({})).await;
    for path in ["/auth_keys/index", "/authKeys/index.json"] {
        let r = app.get(path, &app.admin_key).await;
        let list = r.expect(200);
        assert_eq!(list.as_array().map(Vec::len), Some(4), "{r}");
        assert!(!contains_key(list, "authkey"), "no authkey field: {r}");
        assert!(!contains_key(list, "authkey_raw"), "{r}");
        for secret in [&raw, &user_raw, &user_key, &app.admin_key] {
            assert!(!contains_string(list, secret), "a key leaked: {r}");
        }
        assert!(!contains_string(list, "$argon2"), "a hash leaked: {r}");
        assert!(!contains_string(list, "$2y$"), "a hash leaked: {r}");
        let mine = list
            .as_array()
            .expect("list")
            .iter()
            .find(|k| k["AuthKey"]["comment"] == "mine")
            .expect("the new key is listed");
        assert_eq!(mine["AuthKey"]["authkey_start"], &raw[..4]);
        assert_eq!(mine["AuthKey"]["authkey_end"], &raw[36..]);
        assert_eq!(mine["User"]["email"], "admin@admin.test");
    }
    // A plain user sees only its own keys.
    let r = app.get("/auth_keys/index", &user_key).await;
    let list = r.expect(200).as_array().expect("list").clone();
    assert_eq!(list.len(), 2, "{r}");
    assert!(
        list.iter()
            .all(|k| k["User"]["email"] == "keys@example.test"),
        "{r}"
    );
    let r = app.get("/auth_keys/index/1", &user_key).await;
    assert!(
        r.expect(200)
            .as_array()
            .expect("list")
            .iter()
            .all(|k| k["AuthKey"]["user_id"] != "1"),
        "{r}"
    );
    // A filter by user for the site admin.
    let r = app.get("/auth_keys/index/user_id:1", &app.admin_key).await;
    assert_eq!(r.expect(200).as_array().map(Vec::len), Some(2), "{r}");
}

async fn view_edit_and_delete(app: TestApp) {
    let (id, raw) = app
        .create_key(&app.admin_key, "me", json!({"comment": "before"}))
        .await;
    let r = app
        .get(&format!("/auth_keys/view/{id}"), &app.admin_key)
        .await;
    let body = r.expect(200);
    assert_eq!(body["AuthKey"]["id"], id.as_str(), "{r}");
    assert_eq!(body["AuthKey"]["comment"], "before", "{r}");
    assert_eq!(body["User"]["id"], "1", "{r}");
    assert_eq!(body["User"]["email"], "admin@admin.test", "{r}");
    assert!(
        !contains_key(body, "authkey") && !contains_key(body, "authkey_raw"),
        "{r}"
    );
    assert!(!contains_string(body, &raw), "{r}");

    let r = app
        .post(
            &format!("/auth_keys/edit/{id}"),
            &app.admin_key,
            json!({"AuthKey": {"comment": "after", "allowed_ips": ["127.0.0.1", "10.0.0.0/8"]}}),
        )
        .await;
    let key = &r.expect(200)["AuthKey"];
    assert_eq!(key["comment"], "after", "{r}");
    let ips: Vec<String> = key["allowed_ips"]
        .as_array()
        .expect("allowed_ips is a list")
        .iter()
        .map(s)
        .collect();
    assert_eq!(ips.len(), 2, "{r}");
    assert!(ips[0].starts_with("127.0.0.1"), "{r}");
    assert_eq!(ips[1], "10.0.0.0/8", "{r}");
    assert_eq!(key["read_only"], false, "unchanged: {r}");
    app.assert_key_works(&raw).await;
    // Restricting the key to another network locks it out.
    let r = app
        .post(
            &format!("/auth_keys/edit/{id}"),
            &app.admin_key,
            json!({"allowed_ips": "192.168.0.0/16"}),
        )
        .await;
    assert_eq!(r.expect(200)["AuthKey"]["comment"], "after", "kept: {r}");
    let r = app.get("/servers/getVersion", &raw).await;
    assert_eq!(r.status, 403, "{r}");
    // An empty list lifts the restriction.
    let r = app
        .post(
            &format!("/auth_keys/edit/{id}"),
            &app.admin_key,
            json!({"allowed_ips": []}),
        )
        .await;
    assert_eq!(r.expect(200)["AuthKey"]["allowed_ips"], json!(null), "{r}");
    app.assert_key_works(&raw).await;
    // Read-only by edit.
    let r = app
        .post(
            &format!("/auth_keys/edit/{id}"),
            &app.admin_key,
            json!({"read_only": 1}),
        )
        .await;
    assert_eq!(r.expect(200)["AuthKey"]["read_only"], true, "{r}");
    let r = app
        .post("/admin/organisations/add", &raw, json!({"name": "Nope"}))
        .await;
    r.expect_error(403, NO_PERMISSION, "/admin/organisations/add");

    let r = app
        .post(
            &format!("/auth_keys/delete/{id}"),
            &app.admin_key,
            json!({}),
        )
        .await;
    let body = r.expect(200);
    assert_eq!(body["saved"], true, "{r}");
    assert_eq!(body["success"], true, "{r}");
    assert_eq!(body["id"], id.as_str(), "{r}");
    app.assert_key_fails(&raw).await;
    let r = app
        .get(&format!("/auth_keys/view/{id}"), &app.admin_key)
        .await;
    r.expect_error(404, "Invalid AuthKey.", &format!("/auth_keys/view/{id}"));
    let r = app
        .post(
            &format!("/auth_keys/delete/{id}"),
            &app.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(r.status, 404, "{r}");
    let r = app
        .post(
            &format!("/auth_keys/edit/{id}"),
            &app.admin_key,
            json!({"comment": "x"}),
        )
        .await;
    assert_eq!(r.status, 404, "{r}");
}

async fn users_cannot_touch_other_users_keys(app: TestApp) {
    let org = app.create_org("Neighbours").await;
    let (alice, alice_key) = app.create_user("alice@example.test", &org, 3).await;
    let (_, bob_key) = app.create_user("bob@example.test", &org, 3).await;
    let (alice_key_id, _) = app.create_key(&alice_key, "me", json!({})).await;
    let (admin_key_id, _) = app.create_key(&app.admin_key, "me", json!({})).await;
    for id in [&alice_key_id, &admin_key_id] {
        let r = app.get(&format!("/auth_keys/view/{id}"), &bob_key).await;
        r.expect_error(404, "Invalid AuthKey.", &format!("/auth_keys/view/{id}"));
        let r = app
            .post(
                &format!("/auth_keys/edit/{id}"),
                &bob_key,
                json!({"comment": "mine now"}),
            )
            .await;
        assert_eq!(r.status, 404, "{r}");
        let r = app
            .post(&format!("/auth_keys/delete/{id}"), &bob_key, json!({}))
            .await;
        assert_eq!(r.status, 404, "{r}");
    }
    let r = app
        .post(&format!("/auth_keys/add/{alice}"), &bob_key, json!({}))
        .await;
    assert_eq!(r.status, 403, "{r}");
    assert!(r.body.get("AuthKey").is_none(), "{r}");
    let r = app.post("/auth_keys/add/1", &bob_key, json!({})).await;
    assert_eq!(r.status, 403, "{r}");
    let r = app.post("/auth_keys/add/424242", &bob_key, json!({})).await;
    assert_eq!(r.status, 403, "{r}");
    // Alice's key is intact and still hers.
    let r = app
        .get(&format!("/auth_keys/view/{alice_key_id}"), &alice_key)
        .await;
    let key = &r.expect(200)["AuthKey"];
    assert_eq!(key["comment"], "", "{r}");
    assert_eq!(key["user_id"], alice.as_str(), "{r}");
    let r = app.get("/auth_keys/index", &alice_key).await;
    assert_eq!(r.expect(200).as_array().map(Vec::len), Some(2), "{r}");
}

async fn org_admin_manages_its_users_keys(app: TestApp) {
    let org = app.create_org("Managed Org").await;
    let other_org = app.create_org("Unmanaged Org").await;
    let (_, org_admin) = app.create_user("keyadmin@example.test", &org, 2).await;
    let (member, _) = app.create_user("member@example.test", &org, 3).await;
    let (outsider, _) = app
        .create_user("outsider@example.test", &other_org, 3)
        .await;
    let (peer_admin, _) = app.create_user("peeradmin@example.test", &org, 2).await;

    let r = app
        .post(
            &format!("/auth_keys/add/{member}"),
            &org_admin,
            json!({"comment": "for member"}),
        )
        .await;
    let key = &r.expect(200)["AuthKey"];
    assert_eq!(key["user_id"], member.as_str(), "{r}");
    let raw = s(&key["authkey_raw"]);
    let key_id = s(&key["id"]);
    let r = app.get("/users/view/me", &raw).await;
    assert_eq!(r.expect(200)["User"]["email"], "member@example.test", "{r}");
    // It sees, edits and deletes that key.
    let r = app
        .get(&format!("/auth_keys/view/{key_id}"), &org_admin)
        .await;
    assert_eq!(r.expect(200)["User"]["email"], "member@example.test", "{r}");
    let r = app.get("/auth_keys/index", &org_admin).await;
    let list = r.expect(200).as_array().expect("list").clone();
    assert!(
        list.iter().any(|k| k["AuthKey"]["id"] == key_id.as_str()),
        "{r}"
    );
    assert!(
        list.iter()
            .all(|k| k["User"]["email"] != "outsider@example.test"
                && k["User"]["email"] != "admin@admin.test"
                && k["User"]["email"] != "peeradmin@example.test"),
        "{r}"
    );
    // Not for users of other organisations, site admins or other org admins.
    for target in [&outsider, "1", &peer_admin] {
        let r = app
            .post(&format!("/auth_keys/add/{target}"), &org_admin, json!({}))
            .await;
        assert_eq!(r.status, 403, "{target}: {r}");
    }
    let r = app
        .post(
            &format!("/auth_keys/delete/{key_id}"),
            &org_admin,
            json!({}),
        )
        .await;
    r.expect(200);
    app.assert_key_fails(&raw).await;
}

async fn invalid_input_is_rejected(app: TestApp) {
    let r = app.get("/auth_keys/index", &app.admin_key).await;
    let before = r.expect(200).as_array().map(Vec::len);
    let r = app
        .post(
            "/auth_keys/add/me",
            &app.admin_key,
            json!({"allowed_ips": ["not an ip"]}),
        )
        .await;
    let errors = r.expect_save_failed("Could not add auth_key");
    assert!(errors["allowed_ips"].is_array(), "{r}");
    let r = app
        .post(
            "/auth_keys/add/me",
            &app.admin_key,
            json!({"expiration": "next tuesday"}),
        )
        .await;
    let errors = r.expect_save_failed("Could not add auth_key");
    assert_eq!(
        errors["expiration"],
        json!(["Expiration must be in YYYY-MM-DD format."]),
        "{r}"
    );
    let r = app
        .post(
            "/auth_keys/add/me",
            &app.admin_key,
            json!({"read_only": "maybe"}),
        )
        .await;
    assert_eq!(r.status, 400, "{r}");
    let r = app.get("/auth_keys/index", &app.admin_key).await;
    assert_eq!(
        r.expect(200).as_array().map(Vec::len),
        before,
        "nothing created"
    );
    let r = app.get("/auth_keys/view/abc", &app.admin_key).await;
    assert_eq!(r.status, 404, "{r}");
}

/// An org admin may not mint keys for, or reset the password of, users whose
/// role it could not hand out (sync users) or other admins of its organisation.
async fn org_admin_cannot_take_over_privileged_users(app: TestApp) {
    let org_b = app.create_org("Org B").await;
    let (_, admin_b) = app.create_user("admin-b@example.test", &org_b, 2).await;
    let (sync_b, _) = app.create_user("sync-b@example.test", &org_b, 5).await;
    let (admin_b2, _) = app.create_user("admin-b2@example.test", &org_b, 2).await;
    let (user_b, _) = app.create_user("user-b@example.test", &org_b, 3).await;
    for target in [&sync_b, &admin_b2] {
        let r = app
            .post(&format!("/auth_keys/add/{target}"), &admin_b, json!({}))
            .await;
        assert_eq!(r.status, 403, "key for {target}: {r}");
        let r = app
            .post(
                &format!("/admin/users/edit/{target}"),
                &admin_b,
                json!({"password": "Takeover!Takeover!1"}),
            )
            .await;
        assert_eq!(r.status, 404, "edit of {target}: {r}");
    }
    let r = app
        .post(&format!("/auth_keys/add/{user_b}"), &admin_b, json!({}))
        .await;
    r.expect(200);
}
