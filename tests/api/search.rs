//! Search: `/attributes/restSearch`, `/events/restSearch` and the filtered
//! `/events/index`, with every filter syntax clients send, paging, the URL
//! forms, and the visibility rule (another organisation never matches,
//! counts or sees what it may not see).

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{s, Resp, TestApp, ADMIN_KEY};

const DAY: i64 = 86_400;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs() as i64
}

/// What [`seed`] created.
struct Seed {
    /// Event ids: alpha (shared, published), beta (organisation only),
    /// gamma (shared with all, unpublished).
    alpha: String,
    beta: String,
    gamma: String,
    /// A user of another organisation.
    other_key: String,
}

async fn add_event(app: &TestApp, event: Value) -> String {
    let r = app
        .post("/events/add", ADMIN_KEY, json!({ "Event": event }))
        .await;
    s(&r.expect(200)["Event"]["id"])
}

/// Three events of the admin's organisation, and a user of organisation B.
async fn seed(app: &TestApp) -> Seed {
    let t = now();
    let alpha = add_event(
        app,
        json!({
            "info": "Alpha campaign", "distribution": 1, "published": true,
            "date": "2024-01-10", "threat_level_id": 1, "analysis": 2,
            "timestamp": t - 3 * DAY, "publish_timestamp": t - 2 * DAY,
            "Tag": [{"name": "tlp:amber"}],
            "Attribute": [
                {"type": "ip-dst", "category": "Network activity", "value": "198.51.100.7",
                 "to_ids": true, "timestamp": t - 10 * DAY, "Tag": [{"name": "kill-chain:c2"}]},
                {"type": "domain", "value": "evil.example", "to_ids": false, "timestamp": t - 3 * DAY},
                {"type": "text", "category": "Other", "value": "0", "to_ids": false, "timestamp": t},
                {"type": "ip-dst|port", "value": "203.0.113.5|443", "to_ids": true, "timestamp": t},
                {"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e", "to_ids": true, "timestamp": t},
                {"type": "domain", "value": "gone.example", "deleted": true, "to_ids": false, "timestamp": t},
                {"type": "domain", "value": "secret.example", "distribution": 0, "to_ids": false, "timestamp": t,
                 "Tag": [{"name": "hidden-only"}]}
            ],
            "Object": [{"name": "domain-ip", "distribution": 0, "Attribute": [
                {"type": "domain", "value": "objhidden.example", "object_relation": "domain", "distribution": 5, "to_ids": false}
            ]}]
        }),
    )
    .await;
    let beta = add_event(
        app,
        json!({
            "info": "Beta report", "distribution": 0, "published": false,
            "date": "2024-02-10", "threat_level_id": 2,
            "Tag": [{"name": "tlp:red"}],
            "Attribute": [
                {"type": "domain", "value": "evil.example", "to_ids": true},
                {"type": "ip-dst", "value": "198.51.100.7", "to_ids": true}
            ]
        }),
    )
    .await;
    let gamma = add_event(
        app,
        json!({
            "info": "Gamma notes", "distribution": 3, "published": false,
            "date": "2024-03-01", "threat_level_id": 3,
            "Tag": [{"name": "tlp:amber"}, {"name": "tlp:red"}],
            "Attribute": [
                {"type": "sha1", "value": "da39a3ee5e6b4b0d3255bfef95601890afd80709", "to_ids": true},
                {"type": "url", "value": "https://evil.example/path", "to_ids": false}
            ]
        }),
    )
    .await;
    let org_b = app.create_org("Org B").await;
    let (_, other_key) = app.create_user("b@example.test", &org_b, 3).await;
    Seed {
        alpha,
        beta,
        gamma,
        other_key,
    }
}

async fn search_raw(app: &TestApp, key: &str, controller: &str, body: Value) -> Resp {
    app.post(&format!("/{controller}/restSearch"), key, body)
        .await
}

/// POSTs an attribute search; returns the attributes and `X-Result-Count`.
async fn attributes(app: &TestApp, key: &str, body: Value) -> (Vec<Value>, i64) {
    let rb = app
        .request(Method::POST, "/attributes/restSearch", key)
        .json(&body);
    let r = rb.send().await.expect("sending the search");
    let count = result_count(&r);
    let r = Resp::read(r).await;
    let list = r.expect(200)["response"]["Attribute"]
        .as_array()
        .unwrap_or_else(|| panic!("no response.Attribute list: {r}"))
        .clone();
    (list, count)
}

fn result_count(r: &reqwest::Response) -> i64 {
    r.headers()
        .get("X-Result-Count")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("an X-Result-Count header")
}

async fn values(app: &TestApp, key: &str, body: Value) -> Vec<String> {
    let (list, count) = attributes(app, key, body).await;
    assert_eq!(count as usize, list.len(), "X-Result-Count without paging");
    list.iter().map(|a| s(&a["value"])).collect()
}

/// POSTs an event search; returns the events' infos in order and the count.
async fn events(app: &TestApp, key: &str, body: Value) -> (Vec<String>, i64) {
    let rb = app
        .request(Method::POST, "/events/restSearch", key)
        .json(&body);
    let r = rb.send().await.expect("sending the search");
    let count = result_count(&r);
    let r = Resp::read(r).await;
    let list = r.expect(200)["response"]
        .as_array()
        .unwrap_or_else(|| panic!("no response list: {r}"))
        .iter()
        .map(|e| s(&e["Event"]["info"]))
        .collect();
    (list, count)
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

async fn value_filters(app: TestApp) {
    seed(&app).await;
    let k = ADMIN_KEY;
    assert_eq!(
        values(&app, k, json!({"value": "198.51.100.7"})).await,
        strings(&["198.51.100.7", "198.51.100.7"])
    );
    // "0" is a value, not "no filter".
    assert_eq!(
        values(&app, k, json!({"value": "0"})).await,
        strings(&["0"])
    );
    assert_eq!(values(&app, k, json!({"value": 0})).await, strings(&["0"]));
    // Wildcards, case-insensitive.
    assert_eq!(
        sorted(values(&app, k, json!({"value": "%EVIL.example%"})).await),
        strings(&["evil.example", "evil.example", "https://evil.example/path"])
    );
    // Composite values match either half, or both.
    assert_eq!(
        values(&app, k, json!({"value": "203.0.113.5"})).await,
        strings(&["203.0.113.5|443"])
    );
    assert_eq!(
        values(&app, k, json!({"value": "443"})).await,
        strings(&["203.0.113.5|443"])
    );
    assert_eq!(
        values(&app, k, json!({"value": "203.0.113.5|443"})).await,
        strings(&["203.0.113.5|443"])
    );
    // Lists, negation, type and category.
    assert_eq!(
        sorted(
            values(
                &app,
                k,
                json!({"value": ["0", "evil.example"], "type": "!domain"})
            )
            .await
        ),
        strings(&["0"])
    );
    assert_eq!(
        values(
            &app,
            k,
            json!({"type": "md5", "category": "Payload delivery"})
        )
        .await,
        strings(&["d41d8cd98f00b204e9800998ecf8427e"])
    );
    assert_eq!(
        values(
            &app,
            k,
            json!({"type": {"OR": ["sha1"]}, "eventinfo": "gamma"})
        )
        .await,
        strings(&["da39a3ee5e6b4b0d3255bfef95601890afd80709"])
    );
    // A thousand values in one search.
    let mut many: Vec<String> = (0..1000).map(|i| format!("absent-{i}.example")).collect();
    many.push("d41d8cd98f00b204e9800998ecf8427e".to_owned());
    assert_eq!(
        values(&app, k, json!({"value": many})).await,
        strings(&["d41d8cd98f00b204e9800998ecf8427e"])
    );
    // Soft-deleted attributes only when asked.
    assert!(values(&app, k, json!({"value": "gone.example"}))
        .await
        .is_empty());
    assert_eq!(
        values(&app, k, json!({"value": "gone.example", "deleted": 1})).await,
        strings(&["gone.example"])
    );
    assert_eq!(
        values(
            &app,
            k,
            json!({"value": ["gone.example", "evil.example"], "deleted": [0, 1]})
        )
        .await
        .len(),
        3
    );
    // The attribute carries its event and tags.
    let (list, _) = attributes(
        &app,
        k,
        json!({"value": "198.51.100.7", "eventinfo": "Alpha", "includeEventTags": true,
               "includeEventUuid": true}),
    )
    .await;
    assert_eq!(list.len(), 1);
    let a = &list[0];
    assert_eq!(a["Event"]["info"], "Alpha campaign");
    assert_eq!(a["Event"]["distribution"], "1");
    assert!(a["Event"]["uuid"].as_str().is_some_and(|u| u.len() == 36));
    assert_eq!(a["event_uuid"], a["Event"]["uuid"]);
    assert_eq!(a["Event"]["orgc_id"], a["Event"]["org_id"]);
    let tags: Vec<String> = a["Tag"]
        .as_array()
        .expect("tags")
        .iter()
        .map(|t| s(&t["name"]))
        .collect();
    assert_eq!(tags, strings(&["kill-chain:c2", "tlp:amber"]));
    assert_eq!(a["to_ids"], true);
}

async fn to_ids_and_published(app: TestApp) {
    seed(&app).await;
    let k = ADMIN_KEY;
    let off = sorted(values(&app, k, json!({"to_ids": false})).await);
    assert_eq!(
        off,
        strings(&[
            "0",
            "evil.example",
            "https://evil.example/path",
            "objhidden.example",
            "secret.example"
        ])
    );
    let on = values(&app, k, json!({"to_ids": "1", "eventinfo": "Alpha"})).await;
    assert_eq!(
        sorted(on),
        strings(&[
            "198.51.100.7",
            "203.0.113.5|443",
            "d41d8cd98f00b204e9800998ecf8427e"
        ])
    );
    let (published, _) = events(&app, k, json!({"published": true})).await;
    assert_eq!(published, strings(&["Alpha campaign"]));
    let (unpublished, _) = events(&app, k, json!({"published": 0})).await;
    assert_eq!(unpublished, strings(&["Beta report", "Gamma notes"]));
}

async fn paging_is_deterministic(app: TestApp) {
    seed(&app).await;
    let k = ADMIN_KEY;
    let all = values(&app, k, json!({"deleted": [0, 1]})).await;
    assert_eq!(all.len(), 12);
    let mut paged = Vec::new();
    for page in 1..=5 {
        let (list, count) = attributes(
            &app,
            k,
            json!({"deleted": [0, 1], "limit": "5", "page": page}),
        )
        .await;
        assert_eq!(count, 12, "X-Result-Count is the total");
        let expected = match page {
            1 | 2 => 5,
            3 => 2,
            _ => 0,
        };
        assert_eq!(list.len(), expected, "page {page}");
        paged.extend(list.iter().map(|a| s(&a["value"])));
    }
    assert_eq!(paged, all);
    // Past the end: 200, the envelope keeps its shape.
    let r = search_raw(&app, k, "attributes", json!({"limit": 5, "page": 99})).await;
    assert_eq!(r.expect(200), &json!({"response": {"Attribute": []}}));
    let r = search_raw(&app, k, "events", json!({"limit": 5, "page": 99})).await;
    assert_eq!(r.expect(200), &json!({"response": []}));
    // Events page by id too.
    let (p1, count) = events(&app, k, json!({"limit": 2, "page": 1})).await;
    let (p2, _) = events(&app, k, json!({"limit": 2, "page": 2})).await;
    assert_eq!(count, 3);
    assert_eq!(p1, strings(&["Alpha campaign", "Beta report"]));
    assert_eq!(p2, strings(&["Gamma notes"]));
}

async fn tag_filters(app: TestApp) {
    seed(&app).await;
    let k = ADMIN_KEY;
    let infos = |list: Vec<Value>| -> Vec<String> {
        let mut v: Vec<String> = list.iter().map(|a| s(&a["Event"]["info"])).collect();
        v.dedup();
        v
    };
    // Event tags count for attribute searches.
    let (list, _) = attributes(&app, k, json!({"tags": ["tlp:amber"]})).await;
    assert_eq!(list.len(), 9);
    assert_eq!(infos(list), strings(&["Alpha campaign", "Gamma notes"]));
    let (list, _) = attributes(&app, k, json!({"tags": ["tlp:amber", "!tlp:red"]})).await;
    assert_eq!(infos(list), strings(&["Alpha campaign"]));
    let (list, _) = attributes(&app, k, json!({"tags": "tlp:amber&&!tlp:red"})).await;
    assert_eq!(infos(list), strings(&["Alpha campaign"]));
    let (list, _) = attributes(&app, k, json!({"tags": {"AND": ["tlp:amber", "tlp:red"]}})).await;
    assert_eq!(infos(list), strings(&["Gamma notes"]));
    let (list, _) = attributes(&app, k, json!({"tag": "TLP:%"})).await;
    assert_eq!(
        infos(list),
        strings(&["Alpha campaign", "Beta report", "Gamma notes"])
    );
    assert_eq!(
        values(&app, k, json!({"tags": "kill-chain:c2"})).await,
        strings(&["198.51.100.7"])
    );
    assert_eq!(values(&app, k, json!({"tags": []})).await.len(), 11);
    // Events: the event's tags, or those of its attributes.
    let (list, _) = events(
        &app,
        k,
        json!({"tags": {"OR": ["tlp:amber"], "NOT": ["tlp:red"]}}),
    )
    .await;
    assert_eq!(list, strings(&["Alpha campaign"]));
    let (list, _) = events(&app, k, json!({"tags": ["kill-chain:c2"]})).await;
    assert_eq!(list, strings(&["Alpha campaign"]));
    let (list, _) = events(&app, k, json!({"event_tags": ["kill-chain:c2"]})).await;
    assert!(list.is_empty());
}

async fn time_filters(app: TestApp) {
    seed(&app).await;
    let k = ADMIN_KEY;
    let t = now();
    // Attribute timestamps: alpha's are now-10d, now-3d and now.
    assert_eq!(
        values(&app, k, json!({"timestamp": ["5d", "1d"]})).await,
        strings(&["evil.example"])
    );
    assert_eq!(
        values(
            &app,
            k,
            json!({"attribute_timestamp": [t - 5 * DAY, t - DAY]})
        )
        .await,
        strings(&["evil.example"])
    );
    assert_eq!(
        values(
            &app,
            k,
            json!({"timestamp": [(t - 5 * DAY).to_string(), (t - DAY).to_string()]})
        )
        .await,
        strings(&["evil.example"])
    );
    let date = |epoch: i64| -> String {
        let days = epoch.div_euclid(DAY);
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        format!("{y:04}-{m:02}-{d:02} 00:00:00")
    };
    // A date string and its epoch agree: everything from the start of
    // yesterday's day on.
    let since = date(t - DAY);
    let by_date = values(&app, k, json!({"timestamp": since, "eventinfo": "Alpha"})).await;
    assert_eq!(by_date.len(), 5);
    let (_, count) = attributes(&app, k, json!({"timestamp": "1d", "eventinfo": "Alpha"})).await;
    assert_eq!(count, 5);
    // Event dates (`from`/`to`) and publication (`last`).
    let (list, _) = events(&app, k, json!({"from": "2024-02-01", "to": "2024-02-28"})).await;
    assert_eq!(list, strings(&["Beta report"]));
    let (list, _) = events(&app, k, json!({"from": "2024-01-10"})).await;
    assert_eq!(list.len(), 3);
    let (list, _) = events(&app, k, json!({"last": "3d"})).await;
    assert_eq!(list, strings(&["Alpha campaign"]));
    let (list, _) = events(&app, k, json!({"last": "1d"})).await;
    assert!(list.is_empty());
    let (list, _) = events(&app, k, json!({"publish_timestamp": t - 3 * DAY})).await;
    assert_eq!(list, strings(&["Alpha campaign"]));
    let (list, _) = events(&app, k, json!({"event_timestamp": ["4d", "2d"]})).await;
    assert_eq!(list, strings(&["Alpha campaign"]));
    let (list, _) = events(&app, k, json!({"timestamp": "1d"})).await;
    assert_eq!(list, strings(&["Beta report", "Gamma notes"]));
    let r = search_raw(&app, k, "attributes", json!({"timestamp": "yesterday"})).await;
    r.expect(400);
}

async fn url_forms_and_errors(app: TestApp) {
    seed(&app).await;
    let k = ADMIN_KEY;
    let md5 = "d41d8cd98f00b204e9800998ecf8427e";
    for path in [
        "/attributes/restSearch/json/type:md5",
        "/attributes/restSearch/returnFormat:json/type:md5",
        "/attributes/restSearch/json/null/null/null/md5",
        "/attributes/restSearch?type=md5",
        "/attributes/restSearch.json?type=md5&last=7d",
    ] {
        let r = app.get(path, k).await;
        let list = r.expect(200)["response"]["Attribute"]
            .as_array()
            .unwrap_or_else(|| panic!("{path}: {r}"))
            .clone();
        let got: Vec<String> = list.iter().map(|a| s(&a["value"])).collect();
        assert_eq!(got, strings(&[md5]), "{path}");
    }
    let r = app
        .get("/attributes/restSearch/value:198.51.100.7", k)
        .await;
    assert_eq!(
        r.expect(200)["response"]["Attribute"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    let r = app.get("/events/restSearch/json/eventinfo:Gamma", k).await;
    assert_eq!(r.expect(200)["response"][0]["Event"]["info"], "Gamma notes");
    // MISP's `order` is accepted (results stay in id order).
    assert_eq!(
        values(
            &app,
            k,
            json!({"type": "md5", "order": "Attribute.value desc"})
        )
        .await,
        strings(&[md5])
    );
    // The body may be wrapped in {"request": …}.
    assert_eq!(
        values(&app, k, json!({"request": {"type": "md5"}})).await,
        strings(&[md5])
    );
    // No parameters with GET, and bodies that are not JSON, are refused.
    let r = app.get("/attributes/restSearch", k).await;
    r.expect(400);
    assert!(s(&r.body["message"]).starts_with("Restsearch queries using GET and no parameters"));
    let r = app.post_raw("/attributes/restSearch", k, "type=md5").await;
    r.expect(400);
    assert!(s(&r.body["message"]).starts_with("Invalid JSON input."));
    let r = app.post_raw("/events/restSearch", k, "{\"value\": ").await;
    r.expect(400);
    for empty in ["", "{}", "{\"request\": {}}"] {
        let r = app.post_raw("/attributes/restSearch", k, empty).await;
        r.expect_error(
            400,
            "Either specify the search terms in the url, or POST a json with the filter parameters.",
            "/attributes/restSearch",
        );
    }
    // Formats not produced (yet) are named in the answer with the valid
    // ones; the text exports are tested in search_export.rs.
    let valid = "json, csv, text, hashes, suricata, snort, rpz";
    let r = search_raw(&app, k, "attributes", json!({"returnFormat": "stix2"})).await;
    r.expect(400);
    assert_eq!(
        r.body["message"],
        format!("The stix2 export format is not supported yet. Valid formats: {valid}.")
    );
    let r = app.get("/attributes/restSearch/bogus/type:md5", k).await;
    r.expect(404);
    assert_eq!(
        r.body["message"],
        format!("Invalid output format: bogus. Valid formats: {valid}.")
    );
    let r = app.get("/events/nids/suricata/download", k).await;
    r.expect(200);
    let r = search_raw(&app, k, "attributes", json!({"tags": {"XOR": ["a"]}})).await;
    r.expect(400);
    let r = search_raw(&app, k, "attributes", json!({"limit": "ten"})).await;
    r.expect(400);
    // Unauthenticated.
    let r = search_raw(&app, "", "attributes", json!({"value": "x"})).await;
    r.expect(403);
}

async fn event_search_shapes(app: TestApp) {
    let seed = seed(&app).await;
    let k = ADMIN_KEY;
    let r = search_raw(&app, k, "events", json!({"value": "198.51.100.7"})).await;
    let list = r.expect(200)["response"]
        .as_array()
        .expect("a list")
        .clone();
    let ids: Vec<String> = list.iter().map(|e| s(&e["Event"]["id"])).collect();
    assert_eq!(ids, vec![seed.alpha.clone(), seed.beta.clone()]);
    // Each event with its attributes (all of them, not only the matching ones).
    let alpha = &list[0]["Event"];
    assert_eq!(alpha["Attribute"].as_array().map(Vec::len), Some(6));
    assert_eq!(alpha["Object"].as_array().map(Vec::len), Some(1));
    assert_eq!(alpha["Tag"][0]["name"], "tlp:amber");
    // metadata: no attributes.
    let r = search_raw(
        &app,
        k,
        "events",
        json!({"eventid": [seed.gamma.clone()], "metadata": true}),
    )
    .await;
    let e = &r.expect(200)["response"][0]["Event"];
    assert_eq!(e["info"], "Gamma notes");
    assert_eq!(e["Attribute"], json!([]));
    // Attribute filters select events through their attributes.
    let (list, count) = events(&app, k, json!({"type": "sha1"})).await;
    assert_eq!((list, count), (strings(&["Gamma notes"]), 1));
    let (list, _) = events(&app, k, json!({"eventid": ["!".to_owned() + &seed.alpha]})).await;
    assert_eq!(list, strings(&["Beta report", "Gamma notes"]));
    let (list, _) = events(&app, k, json!({"threat_level_id": "2"})).await;
    assert_eq!(list, strings(&["Beta report"]));
    let (list, _) = events(&app, k, json!({"org": "ORGNAME"})).await;
    assert_eq!(list.len(), 3, "by name");
    let (list, _) = events(&app, k, json!({"org": "1"})).await;
    assert_eq!(list.len(), 3, "by id");
    let (list, _) = events(&app, k, json!({"org": "Org B"})).await;
    assert!(list.is_empty());
    let r = search_raw(&app, k, "events", json!({"value": "nothing.example"})).await;
    assert_eq!(r.expect(200), &json!({"response": []}));
    // A deleted attribute's event is found only when asking for deleted ones.
    let (list, _) = events(&app, k, json!({"value": "gone.example"})).await;
    assert!(list.is_empty());
    let (list, _) = events(&app, k, json!({"value": "gone.example", "deleted": 1})).await;
    assert_eq!(list, strings(&["Alpha campaign"]));
}

async fn another_organisation_sees_only_what_is_shared(app: TestApp) {
    let seed = seed(&app).await;
    let b = seed.other_key.as_str();
    // Beta is organisation-only: its copy of the value is neither matched nor counted.
    let (list, count) = attributes(&app, b, json!({"value": "198.51.100.7"})).await;
    assert_eq!((list.len(), count), (1, 1));
    assert_eq!(list[0]["Event"]["info"], "Alpha campaign");
    // Organisation-only attributes, attributes in organisation-only objects,
    // and deleted ones are invisible, as are tags only they carry.
    for body in [
        json!({"value": "secret.example"}),
        json!({"value": "objhidden.example"}),
        json!({"value": "gone.example", "deleted": 1}),
        json!({"value": "gone.example", "deleted": [0, 1]}),
        json!({"tags": "hidden-only"}),
        json!({"value": "%hidden%"}),
        json!({"searchall": "secret"}),
    ] {
        let (list, count) = attributes(&app, b, body.clone()).await;
        assert_eq!((list.len(), count), (0, 0), "{body}");
        // An event never matches through what the reader may not see.
        let (list, count) = events(&app, b, body.clone()).await;
        assert_eq!((list.len(), count), (0, 0), "{body}");
    }
    // The site admin does see them.
    let (list, _) = attributes(&app, ADMIN_KEY, json!({"value": "secret.example"})).await;
    assert_eq!(list.len(), 1);
    let (list, _) = events(&app, ADMIN_KEY, json!({"tags": "hidden-only"})).await;
    assert_eq!(list, strings(&["Alpha campaign"]));
    // Whole searches: counts and contents are of the visible parts only.
    let (list, count) = attributes(&app, b, json!({"limit": 100})).await;
    assert_eq!(count, 7);
    let mut got: Vec<String> = list.iter().map(|a| s(&a["value"])).collect();
    got.sort();
    assert_eq!(
        got,
        strings(&[
            "0",
            "198.51.100.7",
            "203.0.113.5|443",
            "d41d8cd98f00b204e9800998ecf8427e",
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "evil.example",
            "https://evil.example/path"
        ])
    );
    let (list, count) = events(&app, b, json!({"tags": "tlp:red"})).await;
    assert_eq!((list, count), (strings(&["Gamma notes"]), 1));
    let r = search_raw(&app, b, "events", json!({"eventid": seed.alpha.clone()})).await;
    let alpha = &r.expect(200)["response"][0]["Event"];
    let shown: Vec<String> = alpha["Attribute"]
        .as_array()
        .expect("attributes")
        .iter()
        .map(|a| s(&a["value"]))
        .collect();
    assert!(!shown.contains(&"secret.example".to_owned()));
    assert!(!shown.contains(&"gone.example".to_owned()));
    assert_eq!(alpha["Object"], json!([]));
    assert_eq!(alpha["attribute_count"], "5");
    let (list, _) = events(&app, b, json!({"eventid": seed.beta.clone()})).await;
    assert!(list.is_empty());
    // The index: Beta is not listed and counts are of what B sees.
    let r = app.get("/events/index", b).await;
    let rows = r.expect(200).as_array().expect("a list").clone();
    let infos: Vec<String> = rows.iter().map(|e| s(&e["info"])).collect();
    assert_eq!(infos, strings(&["Gamma notes", "Alpha campaign"]));
    assert_eq!(rows[1]["attribute_count"], "5");
    let r = app.get("/events/index/searchinfo:Beta", b).await;
    assert_eq!(r.expect(200), &json!([]));
}

async fn index_filters(app: TestApp) {
    let seed = seed(&app).await;
    let k = ADMIN_KEY;
    let infos = |r: &Resp| -> Vec<String> {
        r.expect(200)
            .as_array()
            .unwrap_or_else(|| panic!("a list: {r}"))
            .iter()
            .map(|e| s(&e["info"]))
            .collect()
    };
    let r = app.get("/events/index", k).await;
    assert_eq!(
        infos(&r),
        strings(&["Gamma notes", "Beta report", "Alpha campaign"])
    );
    let first = &r.body[2];
    assert_eq!(first["Org"]["id"], first["org_id"]);
    assert_eq!(first["Orgc"]["name"], first["Org"]["name"]);
    assert_eq!(first["EventTag"][0]["Tag"]["name"], "tlp:amber");
    for (path, expected) in [
        ("/events/index/searchinfo:alpha", vec!["Alpha campaign"]),
        (
            "/events/index/searchtag:tlp:red",
            vec!["Gamma notes", "Beta report"],
        ),
        ("/events/index/searchpublished:1", vec!["Alpha campaign"]),
        (
            "/events/index/searchpublished:0",
            vec!["Gamma notes", "Beta report"],
        ),
        (
            "/events/index/searchdatefrom:2024-02-01/searchdateuntil:2024-02-28",
            vec!["Beta report"],
        ),
        ("/events/index/searchorg:Org B", vec![]),
        ("/events/index/limit:1/page:2", vec!["Beta report"]),
        ("/events/index/limit:1/page:4", vec![]),
        (
            "/events/index/sort:date/direction:asc",
            vec!["Alpha campaign", "Beta report", "Gamma notes"],
        ),
        (
            "/events/index/sort:threat_level_id/direction:desc",
            vec!["Gamma notes", "Beta report", "Alpha campaign"],
        ),
        ("/events/index?searchinfo=gamma", vec!["Gamma notes"]),
    ] {
        let r = app.get(path, k).await;
        assert_eq!(infos(&r), strings(&expected), "{path}");
    }
    let r = app
        .get(&format!("/events/index/searcheventid:{}", seed.beta), k)
        .await;
    assert_eq!(infos(&r), strings(&["Beta report"]));
    // PyMISP's search_index POSTs its filters.
    let r = app
        .post(
            "/events/index",
            k,
            json!({"eventinfo": "a", "tags": ["tlp:amber"], "published": 0, "limit": 10, "page": 1}),
        )
        .await;
    assert_eq!(infos(&r), strings(&["Gamma notes"]));
    let r = app
        .post("/events/index", k, json!({"sort": "nonsense"}))
        .await;
    r.expect(400);
    let _ = seed.gamma;
}

async fn more_filters(app: TestApp) {
    let seed = seed(&app).await;
    let k = ADMIN_KEY;
    // UUIDs: of an attribute, or of its event.
    let (list, _) = attributes(
        &app,
        k,
        json!({"value": "evil.example", "eventid": seed.beta.clone()}),
    )
    .await;
    let beta_attr = list[0].clone();
    let attr_uuid = s(&beta_attr["uuid"]);
    let event_uuid = s(&beta_attr["Event"]["uuid"]);
    assert_eq!(
        values(&app, k, json!({"uuid": attr_uuid.clone()})).await,
        strings(&["evil.example"])
    );
    assert_eq!(
        values(&app, k, json!({"uuid": event_uuid.clone()})).await,
        strings(&["evil.example", "198.51.100.7"])
    );
    let (list, _) = events(&app, k, json!({"uuid": attr_uuid})).await;
    assert_eq!(list, strings(&["Beta report"]));
    let (list, _) = events(&app, k, json!({"uuid": [event_uuid.to_uppercase()]})).await;
    assert_eq!(list, strings(&["Beta report"]));
    // Object relations, attribute distribution, event analysis.
    assert_eq!(
        values(&app, k, json!({"object_relation": "domain"})).await,
        strings(&["objhidden.example"])
    );
    assert_eq!(
        sorted(values(&app, k, json!({"distribution": "0"})).await),
        strings(&["secret.example"])
    );
    let (list, _) = events(&app, k, json!({"distribution": [0, 3]})).await;
    assert_eq!(list, strings(&["Beta report", "Gamma notes"]));
    let (list, _) = events(&app, k, json!({"analysis": 2})).await;
    assert_eq!(list, strings(&["Alpha campaign"]));
    // searchall: values, comments, event info and tags.
    assert_eq!(
        sorted(values(&app, k, json!({"searchall": "kill-chain"})).await),
        strings(&["198.51.100.7"])
    );
    let (list, _) = events(&app, k, json!({"searchall": "notes"})).await;
    assert_eq!(list, strings(&["Gamma notes"]));
    // Filters combine with AND.
    assert_eq!(
        values(
            &app,
            k,
            json!({"type": "domain", "to_ids": true, "threat_level_id": [2]})
        )
        .await,
        strings(&["evil.example"])
    );
    // Sharing groups: nothing here is shared with one.
    assert!(values(&app, k, json!({"sharinggroup": 1})).await.is_empty());
}

/// POSTs an object search; returns the objects and the count.
async fn objects(app: &TestApp, key: &str, body: Value) -> (Vec<Value>, i64) {
    let rb = app
        .request(Method::POST, "/objects/restSearch", key)
        .json(&body);
    let r = rb.send().await.expect("sending the search");
    let count = result_count(&r);
    let r = Resp::read(r).await;
    let list = r.expect(200)["response"]
        .as_array()
        .unwrap_or_else(|| panic!("no response list: {r}"))
        .clone();
    (list, count)
}

async fn object_search(app: TestApp) {
    let seed = seed(&app).await;
    // A shared object in Gamma.
    let r = app
        .post(
            &format!("/objects/add/{}", seed.gamma),
            ADMIN_KEY,
            json!({"Object": {"name": "domain-ip", "distribution": 5, "Attribute": [
                {"type": "domain", "value": "shared-object.example", "object_relation": "domain", "to_ids": true},
                {"type": "ip-dst", "value": "192.0.2.77", "object_relation": "ip", "to_ids": false}
            ]}}),
        )
        .await;
    r.expect(200);
    let (list, count) = objects(&app, ADMIN_KEY, json!({"object_name": "domain-ip"})).await;
    assert_eq!((list.len(), count), (2, 2));
    let (list, _) = objects(&app, ADMIN_KEY, json!({"value": "192.0.2.77"})).await;
    assert_eq!(list.len(), 1);
    let object = &list[0]["Object"];
    assert_eq!(object["name"], "domain-ip");
    assert_eq!(object["event_id"], seed.gamma.as_str());
    let mut values: Vec<String> = object["Attribute"]
        .as_array()
        .expect("attributes")
        .iter()
        .map(|a| s(&a["value"]))
        .collect();
    values.sort();
    assert_eq!(values, strings(&["192.0.2.77", "shared-object.example"]));
    // Another organisation sees the shared object only, never the
    // organisation-only one in Alpha, nor match through it.
    let b = seed.other_key.as_str();
    let (list, count) = objects(&app, b, json!({"object_name": "domain-ip"})).await;
    assert_eq!((list.len(), count), (1, 1));
    assert_eq!(list[0]["Object"]["event_id"], seed.gamma.as_str());
    let (list, count) = objects(&app, b, json!({"value": "objhidden.example"})).await;
    assert_eq!((list.len(), count), (0, 0));
    let r = app
        .post(
            "/objects/restSearch",
            ADMIN_KEY,
            json!({"value": "nothing.example"}),
        )
        .await;
    assert_eq!(r.expect(200), &json!({"response": []}));
}

/// Lists of any length (clients send whole IOC feeds): 40,000 values or
/// event ids answer 200 with exactly the matches on attribute, event and
/// object searches, as a list of a thousand does; items that each need a
/// condition of their own (`%` patterns, `AND` items) are limited, with a
/// 400 naming the filter.
async fn long_lists(app: TestApp) {
    let seed = seed(&app).await;
    let k = ADMIN_KEY;
    let b = seed.other_key.as_str();
    let found = [
        "198.51.100.7",
        "203.0.113.5|443",
        "objhidden.example",
        "0",
        "443",
    ];
    let alpha: i64 = seed.alpha.parse().expect("an id");
    let gamma: i64 = seed.gamma.parse().expect("an id");
    // A thousand values (bound one by one), and forty thousand (over
    // SQLite's 32,766 and, with both value columns, PostgreSQL's 65,535
    // bound parameters).
    for total in [1_000, 40_000] {
        let mut many: Vec<String> = (found.len()..total)
            .map(|i| format!("absent-{i}"))
            .collect();
        many.extend(found.iter().map(|v| (*v).to_owned()));
        assert_eq!(many.len(), total);
        let started = std::time::Instant::now();
        assert_eq!(
            sorted(values(&app, k, json!({ "value": many })).await),
            strings(&[
                "0",
                "198.51.100.7",
                "198.51.100.7",
                "203.0.113.5|443",
                "objhidden.example"
            ]),
            "{total} values"
        );
        eprintln!("{total} values: {:?}", started.elapsed());
        // Another organisation: only what it sees (not Beta's copy, nor the
        // organisation-only object's attribute).
        assert_eq!(
            sorted(values(&app, b, json!({ "value": many })).await),
            strings(&["0", "198.51.100.7", "203.0.113.5|443"]),
            "{total} values"
        );
        // Negated: everything else.
        let (_, all) = attributes(&app, k, json!({"deleted": 0})).await;
        let (_, rest) = attributes(&app, k, json!({ "value": { "NOT": many } })).await;
        assert_eq!(rest, all - 5, "{total} values negated");
        let (infos, count) = events(&app, k, json!({ "value": many })).await;
        assert_eq!(
            (sorted(infos), count),
            (strings(&["Alpha campaign", "Beta report"]), 2)
        );
        let (list, count) = objects(&app, k, json!({ "value": many })).await;
        assert_eq!((list.len(), count), (1, 1), "{total} values");
        assert_eq!(list[0]["Object"]["event_id"], seed.alpha.as_str());
        // Event ids.
        let mut ids: Vec<i64> = (1_000_000..).take(total - 2).collect();
        ids.extend([alpha, gamma]);
        let (infos, count) = events(&app, k, json!({ "eventid": ids })).await;
        assert_eq!(
            (sorted(infos), count),
            (strings(&["Alpha campaign", "Gamma notes"]), 2)
        );
        assert_eq!(
            values(&app, k, json!({ "eventid": ids, "type": "sha1" })).await,
            strings(&["da39a3ee5e6b4b0d3255bfef95601890afd80709"])
        );
        let (list, _) = objects(&app, k, json!({ "eventid": ids })).await;
        assert_eq!(list.len(), 1);
        let (infos, _) = events(&app, k, json!({ "eventid": { "NOT": ids } })).await;
        assert_eq!(infos, strings(&["Beta report"]));
        // Types, categories and UUIDs are lists like any other.
        let mut types: Vec<String> = (2..total).map(|i| format!("type-{i}")).collect();
        types.extend(["md5".to_owned(), "sha1".to_owned()]);
        assert_eq!(
            sorted(values(&app, k, json!({ "type": types })).await),
            strings(&[
                "d41d8cd98f00b204e9800998ecf8427e",
                "da39a3ee5e6b4b0d3255bfef95601890afd80709"
            ])
        );
    }
    // Too many `%` patterns (each a condition of its own): a 400 naming the
    // filter, never a 500.
    let patterns: Vec<String> = (0..=300).map(|i| format!("%absent-{i}%")).collect();
    let r = app
        .post("/attributes/restSearch", k, json!({ "value": patterns }))
        .await;
    r.expect_error(
        400,
        "Invalid value for the value filter: too many items that each need a condition of \
         their own (% patterns, AND items, org and eventinfo items): at most 300 in a search; \
         lists of exact values have no limit.",
        "/attributes/restSearch",
    );
    // 300 patterns are searched, also inside the `EXISTS` of event and
    // object searches (where SQLite counts the expression depth twice).
    let (list, _) = attributes(&app, k, json!({ "value": patterns[..300], "type": "!md5" })).await;
    assert!(list.is_empty());
    let (infos, _) = events(&app, k, json!({ "value": { "NOT": patterns[..300] } })).await;
    assert_eq!(
        sorted(infos),
        strings(&["Alpha campaign", "Beta report", "Gamma notes"])
    );
    let (list, _) = objects(&app, k, json!({ "value": patterns[..300] })).await;
    assert!(list.is_empty());
    let r = app
        .post(
            "/events/restSearch",
            k,
            json!({ "eventid": { "AND": (1..=301).collect::<Vec<i64>>() } }),
        )
        .await;
    assert_eq!(r.status, 400, "{r}");
    assert!(s(&r.body["message"]).starts_with("Invalid value for the eventid filter"));
}

/// The request shapes of integrations people run against MISP (written
/// from their documented behaviour).
async fn real_client_shapes(app: TestApp) {
    seed(&app).await;
    let k = ADMIN_KEY;
    // TheHive: events/index with searchtag/searchorg in a {"request": …} body.
    let r = app
        .post(
            "/events/index",
            k,
            json!({"request": {"searchtag": "tlp:amber", "searchorg": "ORGNAME", "limit": 10, "page": 1}}),
        )
        .await;
    let infos: Vec<String> = r
        .expect(200)
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| s(&e["info"]))
        .collect();
    assert_eq!(infos, strings(&["Gamma notes", "Alpha campaign"]));
    // OpenCTI: tags with OR/NOT, searchall, enforceWarninglist, paging until
    // an empty page.
    let mut found = Vec::new();
    for page in 1.. {
        let (list, _) = events(
            &app,
            k,
            json!({"returnFormat": "json", "tags": {"OR": ["tlp:amber", "tlp:red"], "NOT": ["tlp:red"]},
                   "searchall": "evil", "enforceWarninglist": true, "limit": 1, "page": page}),
        )
        .await;
        if list.is_empty() {
            break;
        }
        found.extend(list);
        assert!(page < 10, "paging does not end");
    }
    assert_eq!(found, strings(&["Alpha campaign"]));
    // Elastic/Splunk: page attributes with to_ids until a short page.
    let mut total = 0;
    for page in 1.. {
        let (list, count) = attributes(
            &app,
            k,
            json!({"returnFormat": "json", "to_ids": 1, "limit": 2, "page": page,
                   "timestamp": "30d", "includeEventTags": 1}),
        )
        .await;
        assert_eq!(count, 6);
        total += list.len();
        if list.len() < 2 {
            break;
        }
    }
    assert_eq!(total, 6);
    // QRadar: GET with the legacy positional form and no Accept header.
    let (status, body) = app
        .raw_http(
            "GET",
            "/attributes/restSearch/json/null/",
            &[("Authorization", ADMIN_KEY)],
            "",
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["response"]["Attribute"].as_array().map(Vec::len),
        Some(11)
    );
}

api_tests!(
    real_client_shapes,
    object_search,
    more_filters,
    value_filters,
    to_ids_and_published,
    paging_is_deterministic,
    tag_filters,
    time_filters,
    url_forms_and_errors,
    event_search_shapes,
    another_organisation_sees_only_what_is_shared,
    index_filters,
    long_lists,
);
