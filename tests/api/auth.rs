//! Authentication: API keys in `Authorization` and `X-MISP-AUTH`, expiry,
//! IP allow-lists, disabled accounts, read-only keys, revoked keys and JWT.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{s, TestApp, AUTH_FAILED, NO_PERMISSION, PASSWORD};

api_tests!(
    admin_key_in_authorization_header,
    admin_key_in_x_misp_auth_header,
    wrong_missing_or_basic_credentials_are_rejected,
    expired_keys_are_rejected,
    ip_allow_lists_are_enforced,
    disabled_users_are_rejected,
    read_only_keys_cannot_write,
    deleted_keys_stop_working,
    jwt_login_and_bearer_tokens,
);

async fn admin_key_in_authorization_header(app: TestApp) {
    let r = app.get("/servers/getVersion", &app.admin_key).await;
    let body = r.expect(200);
    assert!(
        body["version"].as_str().is_some_and(|v| v.starts_with('2')),
        "{r}"
    );
    assert_eq!(body["perm_sync"], true, "the admin role has perm_sync");
    assert_eq!(body["uuid"], "-");
}

async fn admin_key_in_x_misp_auth_header(app: TestApp) {
    let r = app
        .send(
            app.client
                .get(app.url("/servers/getVersion"))
                .header("X-MISP-AUTH", &app.admin_key),
        )
        .await;
    assert!(r.expect(200)["version"].is_string(), "{r}");
    // X-MISP-AUTH wins over a wrong Authorization header.
    let r = app
        .send(
            app.client
                .get(app.url("/servers/getVersion"))
                .header("Authorization", "A".repeat(40))
                .header("X-MISP-AUTH", &app.admin_key),
        )
        .await;
    r.expect(200);
}

async fn wrong_missing_or_basic_credentials_are_rejected(app: TestApp) {
    let wrong = "Zz".repeat(20);
    for (label, rb) in [
        (
            "wrong key",
            app.request(Method::GET, "/servers/getVersion", &wrong),
        ),
        (
            "no key",
            app.request(Method::GET, "/servers/getVersion", ""),
        ),
        (
            "malformed key",
            app.request(Method::GET, "/servers/getVersion", "short"),
        ),
        (
            "basic auth",
            app.request(
                Method::GET,
                "/servers/getVersion",
                "Basic YWRtaW5AYWRtaW4udGVzdDpwYXNzd29yZA==",
            ),
        ),
        (
            "basic auth with the admin key",
            app.client
                .get(app.url("/servers/getVersion"))
                .basic_auth(&app.admin_key, Some("x")),
        ),
    ] {
        let r = app.send(rb).await;
        assert_eq!(r.status, 403, "{label}: {r}");
        assert_eq!(r.body["message"], AUTH_FAILED, "{label}: {r}");
        assert_eq!(r.body["name"], AUTH_FAILED, "{label}: {r}");
        assert_eq!(r.body["url"], "/servers/getVersion", "{label}: {r}");
    }
    // The url is the path as requested, not the canonical one.
    let r = app.get("/users/view/me.json", &wrong).await;
    r.expect_error(403, AUTH_FAILED, "/users/view/me.json");
    let r = app.get("/authKeys/index", "").await;
    r.expect_error(403, AUTH_FAILED, "/authKeys/index");
}

async fn expired_keys_are_rejected(app: TestApp) {
    let (_, by_date) = app
        .create_key(&app.admin_key, "me", json!({"expiration": "2000-01-01"}))
        .await;
    app.assert_key_fails(&by_date).await;
    let (_, by_epoch) = app
        .create_key(&app.admin_key, "me", json!({"expiration": 1}))
        .await;
    app.assert_key_fails(&by_epoch).await;
    let (_, future) = app
        .create_key(&app.admin_key, "me", json!({"expiration": "2999-12-31"}))
        .await;
    app.assert_key_works(&future).await;
    let (_, never) = app
        .create_key(&app.admin_key, "me", json!({"expiration": 0}))
        .await;
    app.assert_key_works(&never).await;
}

async fn ip_allow_lists_are_enforced(app: TestApp) {
    let (_, elsewhere) = app
        .create_key(&app.admin_key, "me", json!({"allowed_ips": ["10.0.0.0/8"]}))
        .await;
    let r = app.get("/servers/getVersion", &elsewhere).await;
    r.expect_error(
        403,
        "It is not possible to use this Auth key from your IP address",
        "/servers/getVersion",
    );
    let (_, local) = app
        .create_key(
            &app.admin_key,
            "me",
            json!({"allowed_ips": ["127.0.0.0/8"]}),
        )
        .await;
    app.assert_key_works(&local).await;
    let (_, single) = app
        .create_key(
            &app.admin_key,
            "me",
            json!({"allowed_ips": "10.1.2.3\n127.0.0.1"}),
        )
        .await;
    app.assert_key_works(&single).await;
}

async fn disabled_users_are_rejected(app: TestApp) {
    let org = app.create_org("Disabled Org").await;
    let (id, key) = app.create_user("disabled@example.test", &org, 3).await;
    app.assert_key_works(&key).await;
    let r = app
        .post(
            &format!("/admin/users/edit/{id}"),
            &app.admin_key,
            json!({"disabled": 1}),
        )
        .await;
    assert_eq!(r.expect(200)["User"]["disabled"], true, "{r}");
    let r = app.get("/users/view/me", &key).await;
    r.expect_error(
        403,
        "Authentication failed. Your user account has been disabled.",
        "/users/view/me",
    );
    // Enabling the account again restores access.
    let r = app
        .post(
            &format!("/admin/users/edit/{id}"),
            &app.admin_key,
            json!({"User": {"disabled": "0"}}),
        )
        .await;
    assert_eq!(r.expect(200)["User"]["disabled"], false, "{r}");
    app.assert_key_works(&key).await;
}

async fn read_only_keys_cannot_write(app: TestApp) {
    let (_, ro) = app
        .create_key(&app.admin_key, "me", json!({"read_only": true}))
        .await;
    let r = app.get("/users/view/me", &ro).await;
    assert_eq!(r.expect(200)["User"]["email"], "admin@admin.test", "{r}");
    let before = app.org_count().await;
    let r = app
        .post(
            "/admin/organisations/add",
            &ro,
            json!({"name": "Read Only Org"}),
        )
        .await;
    r.expect_error(403, NO_PERMISSION, "/admin/organisations/add");
    assert_eq!(app.org_count().await, before, "nothing created");
    let r = app.post("/auth_keys/add", &ro, json!({})).await;
    r.expect_error(403, NO_PERMISSION, "/auth_keys/add");
    let r = app.post("/auth_keys/add/me", &ro, json!({})).await;
    r.expect_error(403, NO_PERMISSION, "/auth_keys/add/me");
    // "1" reads as true too.
    let (_, ro2) = app
        .create_key(&app.admin_key, "me", json!({"read_only": "1"}))
        .await;
    let r = app
        .post(
            "/admin/organisations/add",
            &ro2,
            json!({"name": "Read Only Org"}),
        )
        .await;
    r.expect_error(403, NO_PERMISSION, "/admin/organisations/add");
}

async fn deleted_keys_stop_working(app: TestApp) {
    let (id, key) = app.create_key(&app.admin_key, "me", json!({})).await;
    app.assert_key_works(&key).await;
    let r = app
        .post(
            &format!("/auth_keys/delete/{id}"),
            &app.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(r.expect(200)["success"], true, "{r}");
    app.assert_key_fails(&key).await;
    // The admin's own key is unaffected.
    app.assert_key_works(&app.admin_key).await;
}

async fn jwt_login_and_bearer_tokens(app: TestApp) {
    let org = app.create_org("JWT Org").await;
    let r = app
        .post(
            "/admin/users/add",
            &app.admin_key,
            json!({"email": "jwt@example.test", "org_id": org, "role_id": "3", "password": PASSWORD}),
        )
        .await;
    r.expect(200);
    let r = app
        .post(
            "/auth/login",
            "",
            json!({"email": "jwt@example.test", "password": PASSWORD}),
        )
        .await;
    let body = r.expect(200);
    let token = s(&body["token"]);
    assert_eq!(body["token_type"], "Bearer", "{r}");
    assert!(body["expires_in"].as_i64().is_some_and(|n| n > 0), "{r}");
    let r = app.get("/users/view/me", &format!("Bearer {token}")).await;
    let me = r.expect(200);
    assert_eq!(me["User"]["email"], "jwt@example.test", "{r}");
    assert_eq!(me["Role"]["name"], "User", "{r}");
    // Wrong password, unknown user.
    let r = app
        .post(
            "/auth/login",
            "",
            json!({"email": "jwt@example.test", "password": "Wr0ng Password!"}),
        )
        .await;
    assert_eq!(r.status, 403, "{r}");
    assert_eq!(r.body["url"], "/auth/login", "{r}");
    assert!(r.body.get("token").is_none(), "{r}");
    let r = app
        .post(
            "/auth/login",
            "",
            json!({"email": "nobody@example.test", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 403, "{r}");
    // A user without a password cannot log in.
    app.create_user("nopw@example.test", &org, 3).await;
    let r = app
        .post(
            "/auth/login",
            "",
            json!({"email": "nopw@example.test", "password": ""}),
        )
        .await;
    assert_eq!(r.status, 403, "{r}");
    // Garbage and tampered tokens.
    for bad in [
        "Bearer garbage".to_owned(),
        "Bearer ".to_owned() + &token[..token.len() - 2],
        format!("Bearer {token}x"),
    ] {
        let r = app.get("/users/view/me", &bad).await;
        r.expect_error(403, AUTH_FAILED, "/users/view/me");
    }
}
