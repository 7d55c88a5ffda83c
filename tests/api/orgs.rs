//! Organisations: add, view (id, UUID, name, HEAD), edit, delete, permissions.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{s, TestApp, NO_PERMISSION};

api_tests!(
    add_returns_the_organisation,
    duplicate_and_empty_names_fail,
    view_by_id_uuid_and_name,
    head_answers_200_or_404,
    edit_changes_only_given_fields,
    delete_refuses_orgs_with_users,
    delete_empty_org,
    only_site_admins_manage_orgs,
    unicode_names_round_trip,
);

async fn add_returns_the_organisation(app: TestApp) {
    let r = app
        .post(
            "/admin/organisations/add",
            &app.admin_key,
            json!({"Organisation": {"name": "  Acme Corp  ", "description": "Anvils", "sector": "Manufacturing",
                   "nationality": "Luxembourg", "type": "CSIRT", "restricted_to_domain": "acme.test\nAcme.example"}}),
        )
        .await;
    let org = &r.expect(200)["Organisation"];
    assert_eq!(org["name"], "Acme Corp", "names are trimmed: {r}");
    assert_eq!(org["local"], true, "{r}");
    assert_eq!(org["description"], "Anvils");
    assert_eq!(org["sector"], "Manufacturing");
    assert_eq!(org["nationality"], "Luxembourg");
    assert_eq!(org["type"], "CSIRT");
    assert_eq!(org["created_by"], "1", "{r}");
    assert_eq!(
        org["restricted_to_domain"],
        json!(["acme.test", "acme.example"])
    );
    let id = s(&org["id"]);
    assert!(id.parse::<i64>().is_ok_and(|n| n > 1), "{r}");
    let uuid = s(&org["uuid"]);
    assert!(uuid::Uuid::parse_str(&uuid).is_ok(), "{r}");
    assert!(
        s(&org["date_created"]).len() == 19,
        "YYYY-MM-DD HH:MM:SS: {r}"
    );
    // A client-chosen UUID is kept (lower case).
    let wanted = uuid::Uuid::new_v4().to_string();
    let r = app
        .post(
            "/admin/organisations/add",
            &app.admin_key,
            json!({"name": "With UUID", "uuid": wanted.to_uppercase()}),
        )
        .await;
    assert_eq!(
        r.expect(200)["Organisation"]["uuid"],
        wanted.as_str(),
        "{r}"
    );
    // The same UUID again is refused.
    let r = app
        .post(
            "/admin/organisations/add",
            &app.admin_key,
            json!({"name": "Other UUID", "uuid": wanted}),
        )
        .await;
    let errors = r.expect_save_failed("Could not add Organisation");
    assert!(errors["uuid"].is_array(), "{r}");
}

async fn duplicate_and_empty_names_fail(app: TestApp) {
    app.create_org("Duplicate Org").await;
    let before = app.org_count().await;
    let r = app
        .post(
            "/admin/organisations/add",
            &app.admin_key,
            json!({"name": "duplicate ORG"}),
        )
        .await;
    let errors = r.expect_save_failed("Could not add Organisation");
    assert_eq!(r.body["url"], "/admin/organisations/add", "{r}");
    assert_eq!(
        errors["name"],
        json!(["An organisation with this name already exists."]),
        "{r}"
    );
    for body in [json!({"name": ""}), json!({"name": "   "}), json!({})] {
        let r = app
            .post("/admin/organisations/add", &app.admin_key, body)
            .await;
        let errors = r.expect_save_failed("Could not add Organisation");
        assert!(
            errors["name"].as_array().is_some_and(|e| !e.is_empty()),
            "{r}"
        );
    }
    assert_eq!(app.org_count().await, before, "nothing created");
    // Renaming onto an existing name fails the same way.
    let other = app.create_org("Other Org").await;
    let r = app
        .post(
            &format!("/admin/organisations/edit/{other}"),
            &app.admin_key,
            json!({"name": "DUPLICATE org"}),
        )
        .await;
    let errors = r.expect_save_failed("Could not edit Organisation");
    assert!(errors["name"].is_array(), "{r}");
}

async fn view_by_id_uuid_and_name(app: TestApp) {
    let id = app.create_org("Viewable Org").await;
    let r = app
        .get(&format!("/organisations/view/{id}"), &app.admin_key)
        .await;
    let by_id = r.expect(200)["Organisation"].clone();
    assert_eq!(by_id["name"], "Viewable Org");
    assert_eq!(by_id["user_count"], "0", "{r}");
    let uuid = s(&by_id["uuid"]);
    for key in [
        uuid.clone(),
        uuid.to_uppercase(),
        "Viewable%20Org".to_owned(),
        "Viewable+Org".to_owned(),
        format!("{id}.json"),
    ] {
        let r = app
            .get(&format!("/organisations/view/{key}"), &app.admin_key)
            .await;
        assert_eq!(r.expect(200)["Organisation"], by_id, "{key}: {r}");
    }
    for key in [
        "99999",
        "No Such Org",
        "00000000-0000-4000-8000-000000000000",
        "0",
    ] {
        let path = format!("/organisations/view/{key}");
        let r = app.get(&path, &app.admin_key).await;
        assert_eq!(r.status, 404, "{key}: {r}");
        assert_eq!(r.body["message"], "Invalid organisation", "{r}");
    }
    let r = app.get("/organisations/view/424242", &app.admin_key).await;
    r.expect_error(404, "Invalid organisation", "/organisations/view/424242");
}

async fn head_answers_200_or_404(app: TestApp) {
    let id = app.create_org("Head Org").await;
    let r = app
        .send(app.request(
            Method::HEAD,
            &format!("/organisations/view/{id}"),
            &app.admin_key,
        ))
        .await;
    assert_eq!(r.status, 200, "{r}");
    assert!(r.text.is_empty());
    let r = app
        .send(app.request(Method::HEAD, "/organisations/view/98765", &app.admin_key))
        .await;
    assert_eq!(r.status, 404, "{r}");
    let r = app
        .send(app.request(Method::HEAD, &format!("/organisations/view/{id}"), ""))
        .await;
    assert_eq!(r.status, 403, "HEAD needs authentication too: {r}");
}

async fn edit_changes_only_given_fields(app: TestApp) {
    let r = app
        .post(
            "/admin/organisations/add",
            &app.admin_key,
            json!({"name": "Editable", "description": "Before", "sector": "Finance", "nationality": "France"}),
        )
        .await;
    let before = r.expect(200)["Organisation"].clone();
    let id = s(&before["id"]);
    let r = app
        .post(
            &format!("/admin/organisations/edit/{id}"),
            &app.admin_key,
            json!({"Organisation": {"description": "After"}}),
        )
        .await;
    let after = &r.expect(200)["Organisation"];
    assert_eq!(after["description"], "After", "{r}");
    for field in [
        "name",
        "sector",
        "nationality",
        "uuid",
        "local",
        "type",
        "date_created",
        "id",
    ] {
        assert_eq!(after[field], before[field], "{field} changed: {r}");
    }
    // Edit by UUID, with PUT.
    let uuid = s(&before["uuid"]);
    let r = app
        .send(
            app.request(
                Method::PUT,
                &format!("/admin/organisations/edit/{uuid}"),
                &app.admin_key,
            )
            .json(&json!({"name": "Edited", "local": 0})),
        )
        .await;
    let after = &r.expect(200)["Organisation"];
    assert_eq!(after["name"], "Edited", "{r}");
    assert_eq!(after["local"], false, "{r}");
    assert_eq!(after["description"], "After", "{r}");
    let r = app
        .get(&format!("/organisations/view/{id}"), &app.admin_key)
        .await;
    assert_eq!(r.expect(200)["Organisation"]["name"], "Edited");
    let r = app
        .post(
            "/admin/organisations/edit/77777",
            &app.admin_key,
            json!({"name": "x"}),
        )
        .await;
    assert_eq!(r.status, 404, "{r}");
    assert_eq!(r.body["url"], "/admin/organisations/edit/77777", "{r}");
}

async fn delete_refuses_orgs_with_users(app: TestApp) {
    let org = app.create_org("Populated Org").await;
    app.create_user("member@example.test", &org, 3).await;
    let path = format!("/admin/organisations/delete/{org}");
    let r = app.post(&path, &app.admin_key, json!({})).await;
    r.expect_save_failed("Could not delete Organisation");
    assert_eq!(r.body["url"], path.as_str(), "{r}");
    assert_eq!(r.body["id"], org.as_str(), "{r}");
    let r = app
        .get(&format!("/organisations/view/{org}"), &app.admin_key)
        .await;
    assert_eq!(r.expect(200)["Organisation"]["user_count"], "1", "{r}");
    // The admin's own organisation cannot be deleted either.
    let r = app
        .post("/admin/organisations/delete/1", &app.admin_key, json!({}))
        .await;
    r.expect_save_failed("Could not delete Organisation");
    app.get("/organisations/view/1", &app.admin_key)
        .await
        .expect(200);
}

async fn delete_empty_org(app: TestApp) {
    let org = app.create_org("Empty Org").await;
    let before = app.org_count().await;
    let path = format!("/admin/organisations/delete/{org}");
    let r = app.post(&path, &app.admin_key, json!({})).await;
    let body = r.expect(200);
    assert_eq!(body["saved"], true, "{r}");
    assert_eq!(body["success"], true, "{r}");
    assert_eq!(body["message"], "Organisation deleted", "{r}");
    assert_eq!(body["name"], "Organisation deleted", "{r}");
    assert_eq!(body["url"], path.as_str(), "{r}");
    assert_eq!(body["id"], org.as_str(), "{r}");
    assert_eq!(app.org_count().await, before - 1);
    let r = app
        .get(&format!("/organisations/view/{org}"), &app.admin_key)
        .await;
    r.expect_error(
        404,
        "Invalid organisation",
        &format!("/organisations/view/{org}"),
    );
    // Again: gone. And with DELETE by UUID.
    let r = app.post(&path, &app.admin_key, json!({})).await;
    assert_eq!(r.status, 404, "{r}");
    let r = app
        .post(
            "/admin/organisations/add",
            &app.admin_key,
            json!({"name": "Delete By UUID"}),
        )
        .await;
    let uuid = s(&r.expect(200)["Organisation"]["uuid"]);
    let r = app
        .send(app.request(
            Method::DELETE,
            &format!("/admin/organisations/delete/{uuid}"),
            &app.admin_key,
        ))
        .await;
    assert_eq!(r.expect(200)["success"], true, "{r}");
    // GET is not a way to delete.
    let keep = app.create_org("Kept Org").await;
    let r = app
        .get(
            &format!("/admin/organisations/delete/{keep}"),
            &app.admin_key,
        )
        .await;
    assert_eq!(r.status, 405, "{r}");
    app.get(&format!("/organisations/view/{keep}"), &app.admin_key)
        .await
        .expect(200);
}

async fn only_site_admins_manage_orgs(app: TestApp) {
    let org = app.create_org("Users Org").await;
    let (_, user) = app.create_user("plain@example.test", &org, 3).await;
    let (_, org_admin) = app.create_user("orgadmin@example.test", &org, 2).await;
    let before = app.org_count().await;
    for key in [&user, &org_admin] {
        let r = app
            .post(
                "/admin/organisations/add",
                key,
                json!({"name": "Forbidden Org"}),
            )
            .await;
        r.expect_error(403, NO_PERMISSION, "/admin/organisations/add");
        let r = app
            .post(
                &format!("/admin/organisations/edit/{org}"),
                key,
                json!({"name": "Renamed"}),
            )
            .await;
        assert_eq!(r.status, 403, "{r}");
        let r = app
            .post(
                &format!("/admin/organisations/delete/{org}"),
                key,
                json!({}),
            )
            .await;
        assert_eq!(r.status, 403, "{r}");
    }
    assert_eq!(app.org_count().await, before);
    // Everyone may list and view; created_by is for site admins only.
    let r = app.get(&format!("/organisations/view/{org}"), &user).await;
    let o = &r.expect(200)["Organisation"];
    assert_eq!(o["name"], "Users Org", "{r}");
    assert!(o.get("created_by").is_none(), "{r}");
    let r = app.get("/organisations/index", &user).await;
    assert!(
        r.expect(200).as_array().is_some_and(|l| l.len() == 2),
        "{r}"
    );
}

async fn unicode_names_round_trip(app: TestApp) {
    for name in ["Ünïcödé Örg", "日本の組織", "Emoji 🛡️🔥 Org", "Ελληνικά"]
    {
        let r = app
            .post(
                "/admin/organisations/add",
                &app.admin_key,
                json!({"name": name}),
            )
            .await;
        let org = &r.expect(200)["Organisation"];
        assert_eq!(org["name"], name, "{r}");
        let id = s(&org["id"]);
        let r = app
            .get(&format!("/organisations/view/{id}"), &app.admin_key)
            .await;
        assert_eq!(r.expect(200)["Organisation"]["name"], name, "{r}");
        let encoded: String = name
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let r = app
            .get(&format!("/organisations/view/{encoded}"), &app.admin_key)
            .await;
        assert_eq!(
            r.expect(200)["Organisation"]["id"],
            id.as_str(),
            "{name}: {r}"
        );
    }
    let r = app
        .get("/organisations/index/scope:all", &app.admin_key)
        .await;
    let names: Vec<String> = r
        .expect(200)
        .as_array()
        .expect("list")
        .iter()
        .map(|o| s(&o["Organisation"]["name"]))
        .collect();
    assert!(names.iter().any(|n| n == "Emoji 🛡️🔥 Org"), "{names:?}");
}
