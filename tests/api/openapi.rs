//! The OpenAPI document: served, complete, committed and fresh; Swagger UI.

use serde_json::Value;

use crate::helpers::TestApp;

api_tests!(served_document_is_complete, swagger_ui_is_served);

/// Paths that need no credentials.
fn is_public(path: &str) -> bool {
    path.starts_with("/health/") || path == "/auth/login"
}

async fn served_document_is_complete(app: TestApp) {
    let r = app.get("/openapi.json", "").await;
    let doc = r.expect(200);
    assert!(
        r.content_type.starts_with("application/json"),
        "{}",
        r.content_type
    );
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "no openapi version"
    );
    let committed: Value =
        serde_json::from_str(&cydef_http::openapi::document_json()).expect("document_json is JSON");
    assert!(
        *doc == committed,
        "the served document differs from document_json()"
    );
    let paths = doc["paths"].as_object().expect("paths");
    for expected in [
        "/servers/getVersion",
        "/users/view/{id}",
        "/admin/users/add",
        "/admin/organisations/add",
        "/roles/index",
        "/auth_keys/add/{user_id}",
        "/auth/login",
        "/health/ready",
    ] {
        assert!(paths.contains_key(expected), "{expected} is not documented");
    }
    let schemes = doc["components"]["securitySchemes"]
        .as_object()
        .expect("security schemes");
    assert!(schemes.contains_key("ApiKey") && schemes.contains_key("Bearer"));
    let mut operations = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("a path item") {
            if !["get", "post", "put", "delete", "head", "patch"].contains(&method.as_str()) {
                continue;
            }
            operations += 1;
            let tags = op["tags"].as_array().map_or(0, Vec::len);
            assert!(tags > 0, "{method} {path} has no tag");
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            assert!(
                secured || is_public(path),
                "{method} {path} declares no security"
            );
            for req in op["security"].as_array().into_iter().flatten() {
                for scheme in req.as_object().expect("a requirement").keys() {
                    assert!(
                        schemes.contains_key(scheme),
                        "{method} {path}: unknown scheme {scheme}"
                    );
                }
            }
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path} has no responses"
            );
        }
    }
    assert!(operations >= 20, "only {operations} operations documented");
}

async fn swagger_ui_is_served(app: TestApp) {
    let r = app.get("/swagger-ui/", "").await;
    assert_eq!(r.status, 200, "{r}");
    assert!(
        r.content_type.starts_with("text/html"),
        "{}",
        r.content_type
    );
    assert!(
        r.text.to_lowercase().contains("swagger"),
        "not the Swagger UI page"
    );
}

#[test]
fn committed_document_is_fresh() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/openapi.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == cydef_http::openapi::document_json(),
        "openapi/openapi.json is stale: run `cargo run -p cydef -- openapi > openapi/openapi.json`"
    );
}
