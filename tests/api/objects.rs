//! MISP objects, object references and object templates: templates loaded
//! from the shared knowledge base, objects checked against them on
//! `objects/add` and inside event documents, the add/view/edit/delete cycle,
//! references, and the event bookkeeping every change does.

use serde_json::{json, Value};

use crate::helpers::{kb_dir, s, TestApp, NO_PERMISSION};

const DOMAIN_IP: &str = "43b3b146-77eb-4931-b4cc-b66c60f28734";
const AV_SIGNATURE: &str = "4dbb56ef-4763-4c97-8696-a2bfc305cf8e";

/// Number of `definition.json` files in the knowledge base's templates.
fn template_files() -> usize {
    let dir = kb_dir().join("objects").join("objects");
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .filter(|e| e.path().join("definition.json").is_file())
        .count()
}

/// Creates a published event (with one top-level attribute) as `key`;
/// returns its id.
async fn new_event(app: &TestApp, key: &str, distribution: u8) -> String {
    let r = app
        .post(
            "/events/add",
            key,
            json!({"Event": {
                "info": "objects test", "distribution": distribution, "published": true,
                "Attribute": [{"type": "ip-dst", "value": "192.0.2.1"}]
            }}),
        )
        .await;
    s(&r.expect(200)["Event"]["id"])
}

async fn event(app: &TestApp, id: &str) -> Value {
    let r = app.get(&format!("/events/view/{id}"), &app.admin_key).await;
    r.expect(200)["Event"].clone()
}

fn domain_ip(domain: &str, ip: &str) -> Value {
    json!({
        "name": "domain-ip", "meta-category": "network",
        "description": "A domain and IP address seen as a tuple",
        "template_uuid": DOMAIN_IP, "template_version": "11",
        "distribution": "5", "comment": "first",
        "Attribute": [
            {"object_relation": "domain", "type": "domain", "value": domain, "category": "Network activity"},
            {"object_relation": "ip", "type": "ip-dst", "value": ip, "to_ids": true}
        ]
    })
}

async fn templates_are_loaded_listed_and_viewable(app: TestApp) {
    let key = &app.admin_key;
    let r = app.get("/object_templates/index", key).await;
    let list = r.expect(200).as_array().expect("a list").clone();
    assert_eq!(
        list.len(),
        template_files(),
        "one template per definition.json"
    );
    let entry = list
        .iter()
        .find(|t| t["ObjectTemplate"]["uuid"] == DOMAIN_IP)
        .expect("domain-ip is listed");
    let t = &entry["ObjectTemplate"];
    assert_eq!(t["name"], "domain-ip");
    assert_eq!(t["meta-category"], "network");
    assert!(t["version"].is_string() && t["id"].is_string(), "{t}");
    assert_eq!(t["active"], true);
    assert_eq!(
        t["requirements"]["requiredOneOf"],
        json!(["ip", "domain", "hostname"])
    );
    let id = s(&t["id"]);

    for reference in [id.as_str(), DOMAIN_IP, "domain-ip"] {
        let r = app
            .get(&format!("/object_templates/view/{reference}"), key)
            .await;
        let body = r.expect(200);
        assert_eq!(body["ObjectTemplate"]["id"], id.as_str(), "{reference}");
        let elements = body["ObjectTemplateElement"].as_array().expect("elements");
        let ip = elements
            .iter()
            .find(|e| e["object_relation"] == "ip")
            .expect("the ip relation");
        assert_eq!(ip["type"], "ip-dst");
        assert_eq!(ip["multiple"], true);
        assert_eq!(ip["object_template_id"], id.as_str());
    }
    app.get("/objectTemplates/view/no-such-template", key)
        .await
        .expect_error(
            404,
            "Invalid object template",
            "/objectTemplates/view/no-such-template",
        );

    // The reload is idempotent and for site admins only.
    let r = app.post("/object_templates/update", key, json!({})).await;
    assert_eq!(
        r.expect(200)["message"],
        "All object templates are up to date already."
    );
    let org = app.create_org("Template Readers").await;
    let (_, user_key) = app.create_user("reader@templates.test", &org, 3).await;
    app.post("/objectTemplates/update", &user_key, json!({}))
        .await
        .expect_error(403, NO_PERMISSION, "/objectTemplates/update");
    let r = app.get("/object_templates/index", &user_key).await;
    assert_eq!(
        r.expect(200).as_array().map(Vec::len),
        Some(template_files())
    );
}

async fn missing_required_relation_is_refused_and_nothing_stored(app: TestApp) {
    let key = &app.admin_key;
    let eid = new_event(&app, key, 1).await;
    let before = event(&app, &eid).await;
    let r = app
        .post(
            &format!("/objects/add/{eid}"),
            key,
            json!({"Object": {
                "name": "av-signature", "template_uuid": AV_SIGNATURE,
                "Attribute": [{"object_relation": "software", "type": "text", "value": "ClamAV"}]
            }}),
        )
        .await;
    let errors = r.expect_save_failed("Could not add Object");
    assert_eq!(
        errors,
        "Could not save the object as a required attribute is not set (signature)"
    );
    assert_eq!(r.body["url"], format!("/objects/add/{eid}"));

    // By name alone, and from the template in the path, the same rule holds.
    let r = app
        .post(
            &format!("/objects/add/{eid}"),
            key,
            json!({"name": "av-signature",
                   "Attribute": [{"object_relation": "software", "type": "text", "value": "ClamAV"}]}),
        )
        .await;
    r.expect_save_failed("Could not add Object");
    let r = app
        .post(
            &format!("/objects/add/{eid}/{AV_SIGNATURE}"),
            key,
            json!({"Attribute": [{"object_relation": "software", "type": "text", "value": "ClamAV"}]}),
        )
        .await;
    r.expect_save_failed("Could not add Object");

    // A relation of the template with the wrong type, and no attributes at all.
    let r = app
        .post(
            &format!("/objects/add/{eid}"),
            key,
            json!({"Object": {"name": "domain-ip", "template_uuid": DOMAIN_IP,
                "Attribute": [{"object_relation": "ip", "type": "domain", "value": "example.com"}]}}),
        )
        .await;
    let errors = s(r.expect_save_failed("Could not add Object"));
    assert!(errors.contains("takes the type ip-dst"), "{errors}");
    let r = app
        .post(
            &format!("/objects/add/{eid}"),
            key,
            json!({"Object": {"name": "domain-ip"}}),
        )
        .await;
    assert_eq!(
        r.expect_save_failed("Could not add Object"),
        "Could not save the object as no attributes were set."
    );
    app.post(
        &format!("/objects/add/{eid}/99999"),
        key,
        json!({"Attribute": []}),
    )
    .await
    .expect_error(
        404,
        "Invalid template.",
        &format!("/objects/add/{eid}/99999"),
    );

    let after = event(&app, &eid).await;
    assert_eq!(after["Object"], json!([]));
    assert_eq!(after["attribute_count"], "1");
    assert_eq!(after["timestamp"], before["timestamp"]);
    assert_eq!(after["published"], true);
}

async fn add_view_edit_and_delete_objects(app: TestApp) {
    let key = &app.admin_key;
    let eid = new_event(&app, key, 1).await;
    let before = event(&app, &eid).await;
    assert_eq!(before["published"], true);
    // PyMISP's add_object sends the bare object; {"Object": …} works too.
    let r = app
        .post(
            &format!("/objects/add/{eid}"),
            key,
            domain_ip("example.com", "198.51.100.7"),
        )
        .await;
    let o = r.expect(200)["Object"].clone();
    assert_eq!(o["name"], "domain-ip");
    assert_eq!(o["event_id"], eid.as_str());
    assert_eq!(o["template_uuid"], DOMAIN_IP);
    assert_eq!(o["deleted"], false);
    let attrs = o["Attribute"].as_array().expect("attributes");
    assert_eq!(attrs.len(), 2);
    assert!(attrs.iter().all(|a| a["object_id"] == o["id"]), "{o}");
    let oid = s(&o["id"]);
    let ouuid = s(&o["uuid"]);

    let ev = event(&app, &eid).await;
    assert_eq!(ev["published"], false, "a change unpublishes the event");
    assert_eq!(ev["attribute_count"], "3");
    assert!(
        s(&ev["timestamp"]).parse::<i64>().unwrap_or(0)
            >= s(&before["timestamp"]).parse::<i64>().unwrap_or(i64::MAX)
    );
    assert_eq!(ev["Object"][0]["uuid"], ouuid.as_str());

    for reference in [oid.as_str(), ouuid.as_str()] {
        let r = app.get(&format!("/objects/view/{reference}"), key).await;
        let v = &r.expect(200)["Object"];
        assert_eq!(v["id"], oid.as_str());
        assert_eq!(v["Event"]["id"], eid.as_str());
        assert_eq!(v["Attribute"].as_array().map(Vec::len), Some(2));
    }
    app.get("/objects/view/999999", key).await.expect_error(
        404,
        "Invalid object.",
        "/objects/view/999999",
    );

    // Edit: object fields, one attribute changed by UUID, one added; the
    // attribute left out of the list is soft-deleted, as MISP does.
    let domain = attrs
        .iter()
        .find(|a| a["object_relation"] == "domain")
        .expect("domain attribute");
    let ip = attrs
        .iter()
        .find(|a| a["object_relation"] == "ip")
        .expect("ip attribute");
    let r = app
        .post(
            &format!("/objects/edit/{oid}"),
            key,
            json!({"Object": {
                "comment": "edited", "distribution": 0,
                "Attribute": [
                    {"uuid": domain["uuid"], "value": "example.org"},
                    {"object_relation": "domain", "type": "domain", "value": "example.net"}
                ]
            }}),
        )
        .await;
    let e = r.expect(200)["Object"].clone();
    assert_eq!(e["comment"], "edited");
    assert_eq!(e["distribution"], "0");
    let mut values: Vec<String> = e["Attribute"]
        .as_array()
        .expect("attributes")
        .iter()
        .map(|a| s(&a["value"]))
        .collect();
    values.sort();
    assert_eq!(values, ["example.net", "example.org"]);
    assert_eq!(event(&app, &eid).await["attribute_count"], "3");

    // An edit that breaks the template is refused.
    let r = app
        .post(
            &format!("/objects/edit/{oid}"),
            key,
            json!({"Attribute": [{"object_relation": "text", "type": "text", "value": "only text"}]}),
        )
        .await;
    let errors = s(r.expect_save_failed("Could not edit Object"));
    assert!(
        errors.contains("at least one of the following attributes"),
        "{errors}"
    );
    assert_eq!(
        app.get(&format!("/objects/view/{oid}"), key)
            .await
            .expect(200)["Object"]["Attribute"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    let _ = ip;

    // Soft delete: marked deleted with its attributes.
    let r = app
        .post(&format!("/objects/delete/{oid}"), key, json!({}))
        .await;
    let b = r.expect(200);
    assert_eq!(b["message"], "Object deleted");
    assert_eq!(b["saved"], true);
    // The object's id, as given (MISP answers with the event's).
    assert_eq!(b["id"], oid.as_str());
    assert_eq!(b["url"], format!("/objects/delete/{oid}"));
    let v = app.get(&format!("/objects/view/{oid}"), key).await;
    assert_eq!(v.expect(200)["Object"]["deleted"], true);
    assert_eq!(v.body["Object"]["Attribute"], json!([]));
    let ev = event(&app, &eid).await;
    assert_eq!(ev["attribute_count"], "1");
    // The event view leaves soft-deleted objects out, as MISP's does.
    assert_eq!(ev["Object"], json!([]));

    // Hard delete (`/1`, or `{"hard": 1}` as PyMISP sends it): gone with its attributes.
    let r = app
        .post(
            &format!("/objects/add/{eid}"),
            key,
            json!({"Object": domain_ip("hard.example", "203.0.113.9")}),
        )
        .await;
    let second = s(&r.expect(200)["Object"]["id"]);
    app.post(&format!("/objects/delete/{second}/1"), key, json!({}))
        .await
        .expect(200);
    app.get(&format!("/objects/view/{second}"), key)
        .await
        .expect_error(404, "Invalid object.", &format!("/objects/view/{second}"));
    let r = app
        .post(
            &format!("/objects/add/{eid}"),
            key,
            domain_ip("third.example", "203.0.113.10"),
        )
        .await;
    let third = s(&r.expect(200)["Object"]["id"]);
    let third_uuid = s(&r.body["Object"]["uuid"]);
    let r = app
        .post(
            &format!("/objects/delete/{third_uuid}"),
            key,
            json!({"hard": 1}),
        )
        .await;
    assert_eq!(r.expect(200)["id"], third_uuid.as_str());
    app.get(&format!("/objects/view/{third}"), key)
        .await
        .expect(404);
    // Any set flag in the path deletes for good, as MISP's `if ($hard)`; a
    // body that is not JSON is refused rather than taken as a soft delete.
    let r = app
        .post(
            &format!("/objects/add/{eid}"),
            key,
            domain_ip("fourth.example", "203.0.113.11"),
        )
        .await;
    let fourth = s(&r.expect(200)["Object"]["id"]);
    let r = app
        .send(
            app.request(
                reqwest::Method::POST,
                &format!("/objects/delete/{fourth}"),
                key,
            )
            .header("Content-Type", "application/json")
            .body("{\"hard\": 1"),
        )
        .await;
    assert_eq!(r.status, 400, "{r}");
    app.get(&format!("/objects/view/{fourth}"), key)
        .await
        .expect(200);
    app.post(&format!("/objects/delete/{fourth}/abc"), key, json!({}))
        .await
        .expect(200);
    app.get(&format!("/objects/view/{fourth}"), key)
        .await
        .expect(404);
    let ev = event(&app, &eid).await;
    assert_eq!(ev["Object"], json!([]));
    assert_eq!(ev["attribute_count"], "1");
    // The soft-deleted object is still there, with its deleted attributes.
    let v = app.get(&format!("/objects/view/{oid}"), key).await;
    assert_eq!(v.expect(200)["Object"]["deleted"], true);
}

async fn references_resolve_and_delete(app: TestApp) {
    let key = &app.admin_key;
    let eid = new_event(&app, key, 1).await;
    let ev = event(&app, &eid).await;
    let attr_uuid = s(&ev["Attribute"][0]["uuid"]);
    let attr_id = s(&ev["Attribute"][0]["id"]);
    let a = app
        .post(
            &format!("/objects/add/{eid}"),
            key,
            domain_ip("a.example", "192.0.2.10"),
        )
        .await;
    let a = a.expect(200)["Object"].clone();
    let b = app
        .post(
            &format!("/objects/add/{eid}"),
            key,
            domain_ip("b.example", "192.0.2.11"),
        )
        .await;
    let b = b.expect(200)["Object"].clone();
    let (aid, auuid) = (s(&a["id"]), s(&a["uuid"]));

    // To an attribute, with the object in the path.
    let r = app
        .post(
            &format!("/objectReferences/add/{aid}"),
            key,
            json!({"ObjectReference": {"referenced_uuid": attr_uuid, "relationship_type": "resolves-to", "comment": "c"}}),
        )
        .await;
    let to_attr = r.expect(200)["ObjectReference"].clone();
    assert_eq!(to_attr["referenced_type"], "0");
    assert_eq!(to_attr["referenced_id"], attr_id.as_str());
    assert_eq!(to_attr["object_id"], aid.as_str());
    assert_eq!(to_attr["object_uuid"], auuid.as_str());
    assert_eq!(to_attr["relationship_type"], "resolves-to");
    assert_eq!(to_attr["comment"], "c");
    assert_eq!(to_attr["deleted"], false);

    // To an object, PyMISP's way: no id in the path, `object_uuid` in the body.
    let ref_uuid = uuid::Uuid::new_v4().to_string();
    let r = app
        .post(
            "/objectReferences/add",
            key,
            json!({"uuid": ref_uuid, "object_uuid": auuid, "referenced_uuid": b["uuid"],
                   "relationship_type": "related-to"}),
        )
        .await;
    let to_obj = r.expect(200)["ObjectReference"].clone();
    assert_eq!(to_obj["referenced_type"], "1");
    assert_eq!(to_obj["referenced_id"], b["id"]);
    assert_eq!(to_obj["uuid"], ref_uuid.as_str());

    let ev = event(&app, &eid).await;
    assert_eq!(ev["published"], false);
    let refs = ev["Object"]
        .as_array()
        .and_then(|os| os.iter().find(|o| o["id"] == aid.as_str()))
        .map(|o| o["ObjectReference"].clone())
        .expect("object a");
    assert_eq!(refs.as_array().map(Vec::len), Some(2));

    // Unknown targets and objects.
    let unknown = uuid::Uuid::new_v4().to_string();
    app.post(
        &format!("/object_references/add/{aid}"),
        key,
        json!({"referenced_uuid": unknown, "relationship_type": "x"}),
    )
    .await
    .expect_error(
        404,
        "Invalid target.",
        &format!("/object_references/add/{aid}"),
    );
    app.post(
        "/object_references/add/999999",
        key,
        json!({"referenced_uuid": attr_uuid, "relationship_type": "x"}),
    )
    .await
    .expect_error(404, "Invalid object.", "/object_references/add/999999");

    // Soft, then hard delete.
    let rid = s(&to_attr["id"]);
    let r = app
        .post(&format!("/objectReferences/delete/{rid}"), key, json!({}))
        .await;
    assert_eq!(r.expect(200)["message"], "ObjectReference deleted");
    let v = app
        .get(&format!("/object_references/view/{rid}"), key)
        .await;
    assert_eq!(v.expect(200)["ObjectReference"]["deleted"], true);
    let rid2 = s(&to_obj["id"]);
    app.post(
        &format!("/objectReferences/delete/{rid2}/true"),
        key,
        json!({}),
    )
    .await
    .expect(200);
    app.get(&format!("/object_references/view/{rid2}"), key)
        .await
        .expect_error(
            404,
            "Invalid object reference.",
            &format!("/object_references/view/{rid2}"),
        );
    let v = app.get(&format!("/objects/view/{aid}"), key).await;
    let refs = v.expect(200)["Object"]["ObjectReference"].clone();
    assert_eq!(refs.as_array().map(Vec::len), Some(1));
    assert_eq!(refs[0]["deleted"], true);

    // Deleting the referenced object marks references to it deleted.
    let r = app
        .post(
            "/objectReferences/add",
            key,
            json!({"ObjectReference": {"object_uuid": auuid, "referenced_uuid": b["uuid"], "relationship_type": "related-to"}}),
        )
        .await;
    let rid3 = s(&r.expect(200)["ObjectReference"]["id"]);
    app.post(&format!("/objects/delete/{}", s(&b["id"])), key, json!({}))
        .await
        .expect(200);
    let v = app
        .get(&format!("/object_references/view/{rid3}"), key)
        .await;
    assert_eq!(v.expect(200)["ObjectReference"]["deleted"], true);
}

async fn event_document_with_an_invalid_templated_object_is_refused(app: TestApp) {
    let key = &app.admin_key;
    let uuid = uuid::Uuid::new_v4().to_string();
    let doc = json!({"Event": {
        "uuid": uuid, "info": "templated objects",
        "Attribute": [{"type": "ip-dst", "value": "192.0.2.50"}],
        "Object": [
            domain_ip("fine.example", "192.0.2.51"),
            {"name": "domain-ip", "template_uuid": DOMAIN_IP,
             "Attribute": [{"object_relation": "text", "type": "text", "value": "no domain, no ip"}]}
        ]
    }});
    let r = app.post("/events/add", key, doc.clone()).await;
    let errors = r.expect_save_failed("Could not add Event");
    let msg = errors["Object[1]"]["Attribute"][0]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        msg.contains("at least one of the following attributes"),
        "{errors}"
    );
    assert!(errors.get("Object[0]").is_none(), "{errors}");
    app.get(&format!("/events/view/{uuid}"), key)
        .await
        .expect(404);

    // The same object by name only (no template_uuid) is checked too; a
    // custom template UUID is not.
    let mut by_name = doc.clone();
    by_name["Event"]["Object"][1]
        .as_object_mut()
        .map(|o| o.remove("template_uuid"));
    app.post("/events/add", key, by_name)
        .await
        .expect_save_failed("Could not add Event");
    let mut custom = doc;
    custom["Event"]["Object"][1]["template_uuid"] = json!(uuid::Uuid::new_v4().to_string());
    let r = app.post("/events/add", key, custom).await;
    let ev = &r.expect(200)["Event"];
    assert_eq!(ev["Object"].as_array().map(Vec::len), Some(2));
    assert_eq!(ev["attribute_count"], "4");
}

async fn permissions_and_visibility(app: TestApp) {
    let key = &app.admin_key;
    let private = new_event(&app, key, 0).await;
    let shared = new_event(&app, key, 3).await;
    let r = app
        .post(
            &format!("/objects/add/{shared}"),
            key,
            domain_ip("p.example", "192.0.2.60"),
        )
        .await;
    let oid = s(&r.expect(200)["Object"]["id"]);

    let org = app.create_org("Object Outsiders").await;
    let (_, user) = app.create_user("user@outsiders.test", &org, 3).await;
    let (_, reader) = app.create_user("reader@outsiders.test", &org, 6).await;
    let body = domain_ip("q.example", "192.0.2.61");

    app.post(&format!("/objects/add/{private}"), &user, body.clone())
        .await
        .expect_error(404, "Invalid event.", &format!("/objects/add/{private}"));
    app.post(&format!("/objects/add/{shared}"), &user, body.clone())
        .await
        .expect_error(
            403,
            "You do not have permission to do that.",
            &format!("/objects/add/{shared}"),
        );
    app.post(&format!("/objects/add/{shared}"), &reader, body.clone())
        .await
        .expect_error(403, NO_PERMISSION, &format!("/objects/add/{shared}"));
    // Others may view, not change.
    app.get(&format!("/objects/view/{oid}"), &user)
        .await
        .expect(200);
    app.post(
        &format!("/objects/edit/{oid}"),
        &user,
        json!({"comment": "x"}),
    )
    .await
    .expect_error(
        403,
        "Insufficient permissions to edit this object.",
        &format!("/objects/edit/{oid}"),
    );
    app.post(&format!("/objects/delete/{oid}"), &user, json!({}))
        .await
        .expect_error(
            403,
            "You do not have permission to do that.",
            &format!("/objects/delete/{oid}"),
        );
    let r = app
        .post(
            &format!("/objects/add/{private}"),
            key,
            domain_ip("r.example", "192.0.2.62"),
        )
        .await;
    let hidden = s(&r.expect(200)["Object"]["id"]);
    app.get(&format!("/objects/view/{hidden}"), &user)
        .await
        .expect_error(404, "Invalid object.", &format!("/objects/view/{hidden}"));
    assert_eq!(
        event(&app, &shared).await["Object"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

api_tests!(
    templates_are_loaded_listed_and_viewable,
    missing_required_relation_is_refused_and_nothing_stored,
    add_view_edit_and_delete_objects,
    references_resolve_and_delete,
    event_document_with_an_invalid_templated_object_is_refused,
    permissions_and_visibility,
);
