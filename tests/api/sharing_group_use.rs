//! Writers may only give events, attributes and objects a sharing group they
//! may use (MISP's `checkIfAuthorised`); distribution 4 needs a group.

use serde_json::json;

use crate::helpers::{s, TestApp, ADMIN_KEY};

const NOT_AUTHORISED: &str =
    "Invalid sharing group or you don't have access to that sharing group.";

/// A sharing group created by a new organisation (its admin, role 2);
/// returns (group id, that org's admin key, an outsider org user's key).
pub(crate) async fn group_and_outsider(app: &TestApp) -> (String, String, String) {
    let owner = app.create_org("Owner Org").await;
    let (_, owner_key) = app.create_user("admin@owner.test", &owner, 2).await;
    let outsider = app.create_org("Outsider Org").await;
    let (_, outsider_key) = app.create_user("admin@outsider.test", &outsider, 2).await;
    let r = app
        .post(
            "/sharing_groups/add",
            &owner_key,
            json!({"SharingGroup": {"name": "closed circle", "releasability": "members"}}),
        )
        .await;
    let id = s(&r.expect(200)["SharingGroup"]["id"]);
    (id, owner_key, outsider_key)
}

async fn events_name_only_usable_groups(app: TestApp) {
    let (sg, owner_key, outsider_key) = group_and_outsider(&app).await;
    let sg_num: i64 = sg.parse().expect("id");
    // An outsider may not use the group, nor may anyone name none.
    let r = app
        .post(
            "/events/add",
            &outsider_key,
            json!({"Event": {"info": "x", "distribution": 4, "sharing_group_id": sg_num}}),
        )
        .await;
    let errors = r.expect_save_failed("Could not add Event");
    assert_eq!(
        errors["Event"]["sharing_group_id"][0], NOT_AUTHORISED,
        "{errors}"
    );
    let r = app
        .post(
            "/events/add",
            &owner_key,
            json!({"Event": {"info": "x", "distribution": 4}}),
        )
        .await;
    let errors = r.expect_save_failed("Could not add Event");
    assert!(
        s(&errors["Event"]["sharing_group_id"][0]).starts_with("Sharing group chosen"),
        "{errors}"
    );
    // An attribute inside a document is checked too.
    let r = app
        .post(
            "/events/add",
            &outsider_key,
            json!({"Event": {"info": "x", "Attribute": [
                {"type": "domain", "value": "a.example", "distribution": 4, "sharing_group_id": sg_num}
            ]}}),
        )
        .await;
    let errors = r.expect_save_failed("Could not add Event");
    assert_eq!(
        errors["Attribute[0]"]["sharing_group_id"][0],
        NOT_AUTHORISED
    );
    // A nonexistent group is refused like a foreign one.
    let r = app
        .post(
            "/events/add",
            ADMIN_KEY,
            json!({"Event": {"info": "x", "distribution": 4, "sharing_group_id": 999}}),
        )
        .await;
    r.expect_save_failed("Could not add Event");
    // The owner may, and the event keeps its group.
    let r = app
        .post(
            "/events/add",
            &owner_key,
            json!({"Event": {"info": "shared with the circle", "distribution": 4, "sharing_group_id": sg_num}}),
        )
        .await;
    let ev = r.expect(200)["Event"].clone();
    assert_eq!(ev["distribution"], "4");
    assert_eq!(ev["sharing_group_id"], sg.as_str());
    let id = s(&ev["id"]);
    // Edits are checked the same way.
    let r = app
        .post(
            &format!("/events/edit/{id}"),
            &owner_key,
            json!({"Event": {"distribution": 4, "sharing_group_id": 999}}),
        )
        .await;
    r.expect_save_failed("Could not edit Event");
}

async fn attributes_and_objects_name_only_usable_groups(app: TestApp) {
    let (sg, _, outsider_key) = group_and_outsider(&app).await;
    let sg_num: i64 = sg.parse().expect("id");
    let r = app
        .post(
            "/events/add",
            &outsider_key,
            json!({"Event": {"info": "outsider event"}}),
        )
        .await;
    let id = s(&r.expect(200)["Event"]["id"]);
    let r = app
        .post(
            &format!("/attributes/add/{id}"),
            &outsider_key,
            json!({"type": "ip-dst", "value": "192.0.2.1", "distribution": 4, "sharing_group_id": sg_num}),
        )
        .await;
    let errors = r.expect_save_failed("Could not add Attribute");
    assert_eq!(errors["sharing_group_id"][0], NOT_AUTHORISED, "{errors}");
    let r = app
        .post(
            &format!("/attributes/add/{id}"),
            &outsider_key,
            json!({"type": "ip-dst", "value": "192.0.2.1"}),
        )
        .await;
    let attr = s(&r.expect(200)["Attribute"]["id"]);
    let r = app
        .post(
            &format!("/attributes/edit/{attr}"),
            &outsider_key,
            json!({"distribution": 4, "sharing_group_id": sg_num}),
        )
        .await;
    r.expect_save_failed("Could not edit Attribute");
    let r = app
        .post(
            &format!("/objects/add/{id}"),
            &outsider_key,
            json!({"Object": {"name": "custom", "distribution": 4, "sharing_group_id": sg_num,
                "Attribute": [{"type": "text", "object_relation": "note", "value": "x"}]}}),
        )
        .await;
    r.expect_save_failed("Could not add Object");
    // Nothing was written by the refusals.
    let ev = app.get(&format!("/events/view/{id}"), &outsider_key).await;
    let ev = &ev.expect(200)["Event"];
    assert_eq!(ev["attribute_count"], "1");
    assert_eq!(ev["Attribute"][0]["distribution"], "5");
    assert_eq!(ev["Object"].as_array().map(Vec::len), Some(0));
}

/// Reports are checked like attributes (review finding: they were not).
async fn reports_name_only_usable_groups(app: TestApp) {
    let (sg, _, outsider_key) = group_and_outsider(&app).await;
    let sg_num: i64 = sg.parse().expect("id");
    let r = app
        .post(
            "/events/add",
            &outsider_key,
            json!({"Event": {"info": "outsider event"}}),
        )
        .await;
    let id = s(&r.expect(200)["Event"]["id"]);
    for body in [
        json!({"EventReport": {"name": "r", "content": "c", "distribution": 4, "sharing_group_id": sg_num}}),
        json!({"EventReport": {"name": "r", "content": "c", "distribution": 4, "sharing_group_id": 9999}}),
        json!({"EventReport": {"name": "r", "content": "c", "distribution": 4}}),
    ] {
        let r = app
            .post(&format!("/eventReports/add/{id}"), &outsider_key, body)
            .await;
        let errors = r.expect_save_failed("Could not add EventReport");
        assert!(errors["sharing_group_id"][0].is_string(), "{errors}");
    }
    let r = app
        .post(
            &format!("/eventReports/add/{id}"),
            &outsider_key,
            json!({"EventReport": {"name": "r", "content": "c"}}),
        )
        .await;
    let report = s(&r.expect(200)["EventReport"]["id"]);
    let r = app
        .post(
            &format!("/eventReports/edit/{report}"),
            &outsider_key,
            json!({"EventReport": {"distribution": 4, "sharing_group_id": sg_num}}),
        )
        .await;
    r.expect_save_failed("Could not edit EventReport");
    // A body that is not JSON does not turn a hard delete into a soft one.
    let r = app
        .send(
            app.request(
                reqwest::Method::POST,
                &format!("/eventReports/delete/{report}"),
                &outsider_key,
            )
            .body("{\"hard\": 1"),
        )
        .await;
    assert_eq!(r.status, 400, "{r}");
}

/// Tag counts never count attributes another organisation may not see,
/// sharing-group ones included (review finding: they did).
async fn tag_counts_leave_out_sharing_group_attributes(app: TestApp) {
    let (sg, owner_key, outsider_key) = group_and_outsider(&app).await;
    let sg_num: i64 = sg.parse().expect("id");
    let r = app
        .post(
            "/events/add",
            &owner_key,
            json!({"Event": {"info": "community event", "distribution": 1, "Attribute": [
                {"type": "domain", "value": "circle.example", "distribution": 4,
                 "sharing_group_id": sg_num, "Tag": [{"name": "review:sg-tag"}]},
                {"type": "domain", "value": "public.example", "Tag": [{"name": "review:public-tag"}]}
            ]}}),
        )
        .await;
    r.expect(200);
    let counts = |body: &serde_json::Value, name: &str| {
        body["Tag"]
            .as_array()
            .expect("tags")
            .iter()
            .find(|t| t["name"] == name)
            .map(|t| t["attribute_count"].clone())
    };
    let r = app.get("/tags/index", &outsider_key).await;
    let body = r.expect(200);
    assert_eq!(counts(body, "review:sg-tag"), Some(json!(0)), "{body}");
    assert_eq!(counts(body, "review:public-tag"), Some(json!(1)), "{body}");
    let r = app.get("/tags/index", &owner_key).await;
    assert_eq!(counts(r.expect(200), "review:sg-tag"), Some(json!(1)));
}

api_tests!(
    events_name_only_usable_groups,
    attributes_and_objects_name_only_usable_groups,
    reports_name_only_usable_groups,
    tag_counts_leave_out_sharing_group_attributes,
);
