//! MISP's wire conventions: path spellings, `.json` suffixes, named
//! parameters, value types, body wrappers, error bodies and health checks.

use std::path::PathBuf;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{s, TestApp};

api_tests!(
    version_path_spellings,
    describe_types_matches_misp,
    controller_spellings_and_named_params,
    ids_are_strings_and_flags_booleans,
    wrong_method_is_405_json,
    unknown_path_is_404_json,
    invalid_json_is_400_and_creates_nothing,
    no_content_type_and_no_accept_header,
    body_wrappers_are_accepted,
    flexible_values_and_unknown_fields,
    health_needs_no_auth,
    oversized_bodies_get_a_json_error,
);

/// A body over a route's limit is answered in MISP's error shape, whichever
/// extractor read it (review finding: some routes answered actix's plain
/// text).
async fn oversized_bodies_get_a_json_error(app: TestApp) {
    let big = format!("{{\"values\": [\"{}\"]}}", "1".repeat(2 * 1024 * 1024));
    for path in [
        "/sightings/add",
        "/sharing_groups/add",
        "/admin/organisations/add",
    ] {
        let r = app
            .send(
                app.request(reqwest::Method::POST, path, &app.admin_key)
                    .header("Content-Type", "application/json")
                    .body(big.clone()),
            )
            .await;
        assert!(
            r.status == 413 || r.status == 400,
            "{path}: unexpected status {r}"
        );
        assert!(
            r.content_type.starts_with("application/json"),
            "{path}: not JSON: {r}"
        );
        assert!(r.body["message"].is_string(), "{path}: {r}");
    }
}

async fn version_path_spellings(app: TestApp) {
    let mut versions = Vec::new();
    for path in [
        "/servers/getVersion.json",
        "/servers/getversion",
        "/servers/getVersion",
        "/servers/get_version",
        "//servers//getVersion/",
    ] {
        let r = app.get(path, &app.admin_key).await;
        versions.push(s(&r.expect(200)["version"]));
    }
    versions.dedup();
    assert_eq!(versions.len(), 1, "{versions:?}");
    let r = app
        .get("/servers/getPyMISPVersion.json", &app.admin_key)
        .await;
    assert!(r.expect(200)["version"].is_string(), "{r}");
}

fn shared_data_dir() -> PathBuf {
    let dir = std::env::var("CYDEF_SHARED_DATA").map_or_else(
        |_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
        PathBuf::from,
    );
    assert!(
        dir.join("misp-core/describeTypes.json").is_file(),
        "MISP's reference data not found: {} has no misp-core/describeTypes.json \
         (set CYDEF_SHARED_DATA to the shared data directory)",
        dir.display()
    );
    dir
}

async fn describe_types_matches_misp(app: TestApp) {
    let path = shared_data_dir().join("misp-core/describeTypes.json");
    let text = std::fs::read_to_string(&path).expect("reading describeTypes.json");
    let expected: Value = serde_json::from_str(&text).expect("describeTypes.json is JSON");
    for url in [
        "/attributes/describeTypes.json",
        "/attributes/describeTypes",
    ] {
        let r = app.get(url, &app.admin_key).await;
        let body = r.expect(200);
        assert!(
            body["result"] == expected["result"],
            "{url}: result differs from {}",
            path.display()
        );
        // Order matters too: compare the serialised forms.
        assert_eq!(
            serde_json::to_string(&body["result"]).expect("json"),
            serde_json::to_string(&expected["result"]).expect("json"),
            "{url}: key order differs"
        );
    }
}

async fn controller_spellings_and_named_params(app: TestApp) {
    app.create_key(&app.admin_key, "me", json!({"comment": "spelled"}))
        .await;
    let a = app.get("/authKeys/index", &app.admin_key).await;
    let b = app.get("/auth_keys/index", &app.admin_key).await;
    let c = app.get("/auth_keys/index.json", &app.admin_key).await;
    assert_eq!(a.expect(200), b.expect(200));
    assert_eq!(b.body, *c.expect(200));
    assert_eq!(a.body.as_array().map(Vec::len), Some(2), "{a}");

    let ext = app.create_org("External Org").await;
    app.post(
        &format!("/admin/organisations/edit/{ext}"),
        &app.admin_key,
        json!({"local": false}),
    )
    .await
    .expect(200);
    let names = |r: &crate::helpers::Resp| -> Vec<String> {
        r.expect(200)
            .as_array()
            .expect("a list")
            .iter()
            .map(|o| s(&o["Organisation"]["name"]))
            .collect()
    };
    let all = app
        .get("/organisations/index/scope:all", &app.admin_key)
        .await;
    assert_eq!(names(&all), vec!["External Org", "ORGNAME"]);
    let local = app.get("/organisations/index", &app.admin_key).await;
    assert_eq!(names(&local), vec!["ORGNAME"]);
    let external = app
        .get("/organisations/index/scope:external.json", &app.admin_key)
        .await;
    assert_eq!(names(&external), vec!["External Org"]);
    let query = app
        .get("/organisations/index?scope=all", &app.admin_key)
        .await;
    assert_eq!(names(&query), vec!["External Org", "ORGNAME"]);
    let search = app
        .get(
            "/organisations/index/scope:all/searchall:external",
            &app.admin_key,
        )
        .await;
    assert_eq!(names(&search), vec!["External Org"]);
}

async fn ids_are_strings_and_flags_booleans(app: TestApp) {
    let r = app.get("/users/view/me", &app.admin_key).await;
    let me = r.expect(200);
    assert_eq!(me["User"]["id"], "1", "{r}");
    assert_eq!(me["User"]["org_id"], "1", "{r}");
    assert_eq!(me["User"]["role_id"], "1", "{r}");
    assert_eq!(me["User"]["disabled"], false, "{r}");
    assert_eq!(me["Role"]["id"], "1", "{r}");
    assert_eq!(me["Role"]["perm_site_admin"], true, "{r}");
    assert_eq!(me["Organisation"]["id"], "1", "{r}");
    assert_eq!(me["Organisation"]["local"], true, "{r}");
    let r = app.get("/organisations/view/1", &app.admin_key).await;
    let org = &r.expect(200)["Organisation"];
    assert_eq!(org["id"], "1");
    assert_eq!(org["user_count"], "1", "{r}");
    assert!(org["restricted_to_domain"].is_array(), "{r}");
    let r = app.get("/auth_keys/index", &app.admin_key).await;
    let key = &r.expect(200)[0]["AuthKey"];
    assert!(key["id"].is_string() && key["user_id"] == "1", "{r}");
    assert!(
        key["expiration"].is_string() && key["created"].is_string(),
        "{r}"
    );
    assert!(key["read_only"].is_boolean(), "{r}");
}

async fn wrong_method_is_405_json(app: TestApp) {
    let r = app.get("/admin/organisations/add", &app.admin_key).await;
    assert_eq!(r.status, 405, "{r}");
    assert!(r.content_type.starts_with("application/json"), "{r}");
    assert!(r.body["message"].is_string(), "{r}");
    assert_eq!(r.body["name"], r.body["message"], "{r}");
    assert_eq!(r.body["url"], "/admin/organisations/add", "{r}");
    let r = app
        .send(app.request(Method::DELETE, "/servers/getVersion.json", &app.admin_key))
        .await;
    assert_eq!(r.status, 405, "{r}");
    assert_eq!(r.body["url"], "/servers/getVersion.json", "{r}");
}

async fn unknown_path_is_404_json(app: TestApp) {
    for path in ["/no/such/thing", "/events/frobnicate/1", "/"] {
        let r = app.get(path, &app.admin_key).await;
        assert_eq!(r.status, 404, "{path}: {r}");
        assert!(r.content_type.starts_with("application/json"), "{r}");
        assert!(r.body["message"].is_string(), "{r}");
        assert_eq!(r.body["url"], path, "{r}");
    }
}

async fn invalid_json_is_400_and_creates_nothing(app: TestApp) {
    let before = app.org_count().await;
    for body in [
        r#"{"name": "Broken"#,
        "name=Broken",
        r#"{"name": "Broken",}"#,
    ] {
        let r = app
            .send(
                app.request(Method::POST, "/admin/organisations/add", &app.admin_key)
                    .header("Content-Type", "application/json")
                    .body(body),
            )
            .await;
        assert_eq!(r.status, 400, "{body}: {r}");
        assert!(r.content_type.starts_with("application/json"), "{r}");
        assert!(
            s(&r.body["message"]).starts_with("Invalid JSON input."),
            "{r}"
        );
        assert_eq!(r.body["url"], "/admin/organisations/add", "{r}");
    }
    // A JSON value that is not an object is a 400 too.
    let r = app
        .post(
            "/admin/organisations/add",
            &app.admin_key,
            json!(["Broken"]),
        )
        .await;
    assert_eq!(r.status, 400, "{r}");
    assert_eq!(app.org_count().await, before, "nothing was created");
    let r = app.get("/organisations/view/Broken", &app.admin_key).await;
    assert_eq!(r.status, 404, "{r}");
}

async fn no_content_type_and_no_accept_header(app: TestApp) {
    let auth = ("Authorization", app.admin_key.as_str());
    let (status, body) = app
        .raw_http("GET", "/servers/getVersion", &[auth], "")
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["version"].is_string(), "{body}");
    let (status, body) = app
        .raw_http(
            "POST",
            "/admin/organisations/add",
            &[auth],
            r#"{"Organisation": {"name": "Raw Org"}}"#,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["Organisation"]["name"], "Raw Org", "{body}");
    // reqwest with no Content-Type either.
    let r = app
        .post_raw(
            "/admin/organisations/add",
            &app.admin_key,
            r#"{"name": "Raw Org 2"}"#,
        )
        .await;
    assert_eq!(r.expect(200)["Organisation"]["name"], "Raw Org 2", "{r}");
    // A text/plain or form Content-Type does not stop a JSON body either.
    let r = app
        .send(
            app.request(Method::POST, "/admin/organisations/add", &app.admin_key)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(r#"{"name": "Raw Org 3"}"#),
        )
        .await;
    assert_eq!(r.expect(200)["Organisation"]["name"], "Raw Org 3", "{r}");
}

async fn body_wrappers_are_accepted(app: TestApp) {
    for (name, body) in [
        (
            "Wrapped Org",
            json!({"Organisation": {"name": "Wrapped Org"}}),
        ),
        ("Request Org", json!({"request": {"name": "Request Org"}})),
        (
            "Request Wrapped Org",
            json!({"request": {"Organisation": {"name": "Request Wrapped Org"}}}),
        ),
        ("Bare Org", json!({"name": "Bare Org"})),
    ] {
        let r = app
            .post("/admin/organisations/add", &app.admin_key, body)
            .await;
        assert_eq!(r.expect(200)["Organisation"]["name"], name, "{r}");
        let r = app
            .get(&format!("/organisations/view/{name}"), &app.admin_key)
            .await;
        assert_eq!(r.expect(200)["Organisation"]["name"], name, "{r}");
    }
    let r = app
        .post(
            "/admin/roles/add",
            &app.admin_key,
            json!({"Role": {"name": "Wrapped Role", "perm_auth": 1}}),
        )
        .await;
    assert_eq!(r.expect(200)["Role"]["perm_auth"], true, "{r}");
    let r = app
        .post(
            "/auth_keys/add/me",
            &app.admin_key,
            json!({"AuthKey": {"comment": "wrapped"}}),
        )
        .await;
    assert_eq!(r.expect(200)["AuthKey"]["comment"], "wrapped", "{r}");
}

async fn flexible_values_and_unknown_fields(app: TestApp) {
    // Booleans as "1", 1 and true; numbers as strings; unknown fields ignored.
    let org = app.create_org("Flexible Org").await;
    for (i, flag) in [json!("1"), json!(1), json!(true)].into_iter().enumerate() {
        let r = app
            .post(
                "/admin/users/add",
                &app.admin_key,
                json!({
                    "email": format!("flex{i}@example.test"),
                    "org_id": org.clone(),
                    "role_id": "3",
                    "autoalert": flag,
                    "nids_sid": "4000123",
                    "no_such_field": {"x": [1, 2]},
                    "another_unknown": 17
                }),
            )
            .await;
        let user = &r.expect(200)["User"];
        assert_eq!(user["autoalert"], true, "{r}");
        assert_eq!(user["nids_sid"], "4000123", "{r}");
        assert_eq!(user["org_id"], org.as_str(), "{r}");
        assert_eq!(user["role_id"], "3", "{r}");
        assert!(user.get("no_such_field").is_none(), "{r}");
    }
    // org_id as a JSON number.
    let org_num: i64 = org.parse().expect("numeric id");
    let r = app
        .post(
            "/admin/users/add",
            &app.admin_key,
            json!({"email": "num@example.test", "org_id": org_num, "role_id": 3, "disabled": "0"}),
        )
        .await;
    let user = &r.expect(200)["User"];
    assert_eq!(user["org_id"], org.as_str(), "{r}");
    assert_eq!(user["disabled"], false, "{r}");
    // Local as "0" and unknown organisation fields.
    let r = app
        .post(
            "/admin/organisations/add",
            &app.admin_key,
            json!({"name": "Not Local", "local": "0", "frobnicate": true, "id": "999"}),
        )
        .await;
    let o = &r.expect(200)["Organisation"];
    assert_eq!(o["local"], false, "{r}");
    assert_ne!(o["id"], "999", "a client-given id is ignored: {r}");
    // Stray query parameters are ignored.
    let r = app
        .get("/servers/getVersion?foo=bar&limit=5&x", &app.admin_key)
        .await;
    r.expect(200);
    let r = app
        .get("/users/view/me.json?unknown=1", &app.admin_key)
        .await;
    assert_eq!(r.expect(200)["User"]["id"], "1", "{r}");
    let r = app.get("/organisations/index?frob=1", &app.admin_key).await;
    assert!(r.expect(200).is_array(), "{r}");
}

async fn health_needs_no_auth(app: TestApp) {
    let r = app.get("/health/live", "").await;
    assert_eq!(r.expect(200)["status"], "ok", "{r}");
    let r = app.get("/health/ready", "").await;
    let body = r.expect(200);
    assert_eq!(body["status"], "ok", "{r}");
    let expected = match app.backend {
        crate::helpers::Backend::Sqlite => "sqlite",
        crate::helpers::Backend::Postgres => "postgres",
    };
    assert_eq!(body["database"], expected, "{r}");
    // A bad key does not matter there.
    let r = app.get("/health/ready", "garbage").await;
    r.expect(200);
}
