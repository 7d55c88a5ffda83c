//! The access matrix (issue #5): organisation A owns events of every
//! distribution (0–3, and 4 in a sharing group of A with B as member),
//! published and not, each with attributes of distribution 0, 1, 5 and 4,
//! objects of distribution 0 and 5 and reports of distribution 0 and 5.
//! For every viewer (A, B, B's read-only user, C, the site admin) the
//! expected visible set is computed from MISP's rule
//! (`Event::createEventConditions`, attribute conditions, with the default
//! `unpublishedprivate` = false) and every read endpoint must return exactly
//! that set; every write of another organisation is refused and changes
//! nothing. Mismatches are collected and reported together.

use std::collections::BTreeSet;
use std::fmt::Debug;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{s, Resp, TestApp, ADMIN_KEY, NO_PERMISSION};

const TAG: &str = "matrix:everywhere";
const SUFFIX: &str = ".matrix.example";

/// How a viewer stands to A's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    /// A's organisation, or a site admin: everything.
    Owner,
    /// An organisation in A's sharing group.
    Member,
    /// Any other organisation.
    Outsider,
}

impl Standing {
    /// Whether an event of `distribution` is visible.
    fn sees_event(self, distribution: u8) -> bool {
        match self {
            Standing::Owner => true,
            Standing::Member => (1..=4).contains(&distribution),
            Standing::Outsider => (1..=3).contains(&distribution),
        }
    }

    /// Whether a part (attribute, object, report) of `distribution` inside a
    /// visible event is visible.
    fn sees_part(self, distribution: u8) -> bool {
        match self {
            Standing::Owner => true,
            Standing::Member => matches!(distribution, 1..=5),
            Standing::Outsider => matches!(distribution, 1..=3 | 5),
        }
    }
}

struct Viewer {
    name: &'static str,
    key: String,
    org: String,
    standing: Standing,
}

#[derive(Debug, Clone)]
struct Attr {
    id: String,
    uuid: String,
    value: String,
    distribution: u8,
    /// The distribution of the object holding it, if any.
    object: Option<u8>,
}

#[derive(Debug, Clone)]
struct Part {
    id: String,
    uuid: String,
    distribution: u8,
}

#[derive(Debug, Clone)]
struct Ev {
    id: String,
    distribution: u8,
    published: bool,
    attrs: Vec<Attr>,
    objects: Vec<Part>,
    reports: Vec<Part>,
}

struct World {
    viewers: Vec<Viewer>,
    events: Vec<Ev>,
    /// A's user, who created the events.
    key_a: String,
    /// B's user and read-only user.
    key_b: String,
    key_ro: String,
    key_c: String,
}

impl World {
    fn viewer(&self, name: &str) -> &Viewer {
        self.viewers
            .iter()
            .find(|v| v.name == name)
            .expect("a viewer")
    }
}

/// The expectations of the rule.
fn sees_event(v: &Viewer, e: &Ev) -> bool {
    v.standing.sees_event(e.distribution)
}

fn sees_attr(v: &Viewer, e: &Ev, a: &Attr) -> bool {
    sees_event(v, e)
        && v.standing.sees_part(a.distribution)
        && a.object.is_none_or(|d| v.standing.sees_part(d))
}

fn sees_part(v: &Viewer, e: &Ev, p: &Part) -> bool {
    sees_event(v, e) && v.standing.sees_part(p.distribution)
}

type Set = BTreeSet<String>;

fn set<I: IntoIterator<Item = String>>(items: I) -> Set {
    items.into_iter().collect()
}

fn list(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

fn uuids(v: &Value) -> Set {
    set(list(v).iter().map(|x| s(&x["uuid"])))
}

/// Mismatches, collected so that one run reports every failing case.
#[derive(Default)]
struct Check {
    cases: usize,
    failures: Vec<String>,
}

impl Check {
    fn eq<T: PartialEq + Debug>(&mut self, what: impl FnOnce() -> String, expected: T, got: T) {
        self.cases += 1;
        if expected != got {
            self.failures
                .push(format!("{}: expected {expected:?}, got {got:?}", what()));
        }
    }

    #[track_caller]
    fn done(self, name: &str) {
        eprintln!("{name}: {} cases checked", self.cases);
        assert!(
            self.failures.is_empty(),
            "{name}: {} of {} cases failed:\n{}",
            self.failures.len(),
            self.cases,
            self.failures.join("\n")
        );
    }
}

fn attribute(value: &str, distribution: u8, sg: i64) -> Value {
    let mut a = json!({"type": "domain", "category": "Network activity", "value": value,
        "distribution": distribution, "to_ids": true, "Tag": [{"name": TAG}]});
    if distribution == 4 {
        a["sharing_group_id"] = json!(sg);
    }
    a
}

async fn setup(app: &TestApp) -> World {
    let org_a = app.create_org("Org A").await;
    let org_b = app.create_org("Org B").await;
    let org_c = app.create_org("Org C").await;
    let (_, key_a_admin) = app.create_user("admin@a.test", &org_a, 2).await;
    let (_, key_a) = app.create_user("user@a.test", &org_a, 3).await;
    let (_, key_b) = app.create_user("user@b.test", &org_b, 3).await;
    let (_, key_ro) = app.create_user("reader@b.test", &org_b, 6).await;
    let (_, key_c) = app.create_user("user@c.test", &org_c, 3).await;
    let r = app
        .post(
            "/sharing_groups/add",
            &key_a_admin,
            json!({"SharingGroup": {"name": "A and B", "releasability": "members"}}),
        )
        .await;
    let sg = s(&r.expect(200)["SharingGroup"]["id"]);
    app.post(
        &format!("/sharing_groups/addOrg/{sg}/{org_b}"),
        &key_a_admin,
        json!({}),
    )
    .await
    .expect(200);
    let sg: i64 = sg.parse().expect("a numeric group id");
    app.post("/tags/add", ADMIN_KEY, json!({"name": TAG}))
        .await
        .expect(200);
    let r = app.get("/users/view/me", ADMIN_KEY).await;
    let admin_org = s(&r.expect(200)["User"]["org_id"]);

    let mut events = Vec::new();
    for distribution in 0..=4u8 {
        for published in [false, true] {
            let p = if published { "p" } else { "u" };
            let name = |part: &str| format!("e{distribution}{p}-{part}{SUFFIX}");
            let attributes: Vec<Value> = [0u8, 1, 5, 4]
                .iter()
                .map(|d| attribute(&name(&format!("a{d}")), *d, sg))
                .collect();
            let objects: Vec<Value> = [0u8, 5]
                .iter()
                .map(|d| {
                    json!({
                        "name": "domain-ip", "meta-category": "network", "distribution": d,
                        "Attribute": [{"object_relation": "domain", "type": "domain",
                            "category": "Network activity", "value": name(&format!("o{d}")),
                            "distribution": 5, "to_ids": true, "Tag": [{"name": TAG}]}]
                    })
                })
                .collect();
            let reports: Vec<Value> = [0u8, 5]
                .iter()
                .map(|d| json!({"name": format!("report {d}"), "content": "text", "distribution": d}))
                .collect();
            let mut event = json!({
                "info": format!("matrix {distribution} {p}"),
                "distribution": distribution,
                "Tag": [{"name": TAG}],
                "Attribute": attributes,
                "Object": objects,
                "EventReport": reports,
            });
            if distribution == 4 {
                event["sharing_group_id"] = json!(sg);
            }
            let r = app
                .post("/events/add", &key_a, json!({ "Event": event }))
                .await;
            let ev = &r.expect(200)["Event"];
            let id = s(&ev["id"]);
            let dist = |x: &Value| -> u8 { s(&x["distribution"]).parse().expect("a distribution") };
            let mut attrs: Vec<Attr> = list(&ev["Attribute"])
                .iter()
                .map(|a| Attr {
                    id: s(&a["id"]),
                    uuid: s(&a["uuid"]),
                    value: s(&a["value"]),
                    distribution: dist(a),
                    object: None,
                })
                .collect();
            let mut objects = Vec::new();
            for o in list(&ev["Object"]) {
                objects.push(Part {
                    id: s(&o["id"]),
                    uuid: s(&o["uuid"]),
                    distribution: dist(o),
                });
                attrs.extend(list(&o["Attribute"]).iter().map(|a| Attr {
                    id: s(&a["id"]),
                    uuid: s(&a["uuid"]),
                    value: s(&a["value"]),
                    distribution: dist(a),
                    object: Some(dist(o)),
                }));
            }
            let reports: Vec<Part> = list(&ev["EventReport"])
                .iter()
                .map(|x| Part {
                    id: s(&x["id"]),
                    uuid: s(&x["uuid"]),
                    distribution: dist(x),
                })
                .collect();
            assert_eq!(attrs.len(), 6, "{r}");
            assert_eq!(objects.len(), 2, "{r}");
            assert_eq!(reports.len(), 2, "{r}");
            assert_eq!(
                list(&ev["Tag"]).len(),
                1,
                "the event is tagged as the matrix needs: {r}"
            );
            if published {
                app.post(&format!("/events/publish/{id}"), &key_a_admin, json!({}))
                    .await
                    .expect(200);
            }
            let r = app.get(&format!("/events/view/{id}"), ADMIN_KEY).await;
            let view = &r.expect(200)["Event"];
            assert_eq!(view["published"], published, "{r}");
            assert_eq!(s(&view["distribution"]), distribution.to_string());
            events.push(Ev {
                id,
                distribution,
                published,
                attrs,
                objects,
                reports,
            });
        }
    }

    let viewer = |name, key: &str, org: &str, standing| Viewer {
        name,
        key: key.to_owned(),
        org: org.to_owned(),
        standing,
    };
    World {
        viewers: vec![
            viewer("A", &key_a, &org_a, Standing::Owner),
            viewer("B", &key_b, &org_b, Standing::Member),
            viewer("B read-only", &key_ro, &org_b, Standing::Member),
            viewer("C", &key_c, &org_c, Standing::Outsider),
            viewer("site admin", ADMIN_KEY, &admin_org, Standing::Owner),
        ],
        events,
        key_a,
        key_b,
        key_ro,
        key_c,
    }
}

/// POSTs a search; returns the response and its `X-Result-Count`.
async fn search(app: &TestApp, key: &str, path: &str, body: Value) -> (Resp, Option<i64>) {
    let r = app
        .request(Method::POST, path, key)
        .json(&body)
        .send()
        .await
        .expect("sending the search");
    let count = r
        .headers()
        .get("X-Result-Count")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (Resp::read(r).await, count)
}

/// Events view, index and single-part views.
async fn views_match_the_rule(app: TestApp) {
    let w = setup(&app).await;
    let mut c = Check::default();
    for v in &w.viewers {
        // The events index.
        let r = app.get("/events/index", &v.key).await;
        let got = set(list(r.expect(200)).iter().map(|e| s(&e["id"])));
        let expected = set(w
            .events
            .iter()
            .filter(|e| sees_event(v, e))
            .map(|e| e.id.clone()));
        c.eq(|| format!("/events/index as {}", v.name), expected, got);

        for e in &w.events {
            let tag = format!("event dist {} published {}", e.distribution, e.published);
            // The event view.
            let path = format!("/events/view/{}", e.id);
            let r = app.get(&path, &v.key).await;
            if !sees_event(v, e) {
                c.eq(
                    || format!("{path} ({tag}) as {}: status/message", v.name),
                    (404, "Invalid event".to_owned()),
                    (r.status, s(&r.body["message"])),
                );
            } else {
                c.eq(
                    || format!("{path} ({tag}) as {}: status", v.name),
                    200,
                    r.status,
                );
                let ev = &r.body["Event"];
                let top = set(e
                    .attrs
                    .iter()
                    .filter(|a| a.object.is_none() && sees_attr(v, e, a))
                    .map(|a| a.uuid.clone()));
                c.eq(
                    || format!("{path} ({tag}) as {}: Attribute uuids", v.name),
                    top,
                    uuids(&ev["Attribute"]),
                );
                let objects = set(e
                    .objects
                    .iter()
                    .filter(|o| sees_part(v, e, o))
                    .map(|o| o.uuid.clone()));
                c.eq(
                    || format!("{path} ({tag}) as {}: Object uuids", v.name),
                    objects,
                    uuids(&ev["Object"]),
                );
                let in_objects = set(e
                    .attrs
                    .iter()
                    .filter(|a| a.object.is_some() && sees_attr(v, e, a))
                    .map(|a| a.uuid.clone()));
                let got = set(list(&ev["Object"])
                    .iter()
                    .flat_map(|o| list(&o["Attribute"]).iter().map(|a| s(&a["uuid"]))));
                c.eq(
                    || format!("{path} ({tag}) as {}: object Attribute uuids", v.name),
                    in_objects,
                    got,
                );
                let reports = set(e
                    .reports
                    .iter()
                    .filter(|x| sees_part(v, e, x))
                    .map(|x| x.uuid.clone()));
                c.eq(
                    || format!("{path} ({tag}) as {}: EventReport uuids", v.name),
                    reports,
                    uuids(&ev["EventReport"]),
                );
                let count = e.attrs.iter().filter(|a| sees_attr(v, e, a)).count();
                c.eq(
                    || format!("{path} ({tag}) as {}: attribute_count", v.name),
                    count.to_string(),
                    s(&ev["attribute_count"]),
                );
            }

            // Each attribute, object and report on its own.
            for a in &e.attrs {
                let path = format!("/attributes/view/{}", a.id);
                let r = app.get(&path, &v.key).await;
                let (expected, got) = if sees_attr(v, e, a) {
                    (
                        (200, a.uuid.clone()),
                        (r.status, s(&r.body["Attribute"]["uuid"])),
                    )
                } else {
                    (
                        (404, "Invalid attribute".to_owned()),
                        (r.status, s(&r.body["message"])),
                    )
                };
                c.eq(
                    || {
                        format!(
                            "{path} ({tag}, attribute dist {} object {:?}) as {}",
                            a.distribution, a.object, v.name
                        )
                    },
                    expected,
                    got,
                );
            }
            for o in &e.objects {
                let path = format!("/objects/view/{}", o.id);
                let r = app.get(&path, &v.key).await;
                let (expected, got) = if sees_part(v, e, o) {
                    (
                        (200, o.uuid.clone()),
                        (r.status, s(&r.body["Object"]["uuid"])),
                    )
                } else {
                    ((404, String::new()), (r.status, String::new()))
                };
                c.eq(
                    || {
                        format!(
                            "{path} ({tag}, object dist {}) as {}",
                            o.distribution, v.name
                        )
                    },
                    expected,
                    got,
                );
            }
            for x in &e.reports {
                let path = format!("/eventReports/view/{}", x.id);
                let r = app.get(&path, &v.key).await;
                let (expected, got) = if sees_part(v, e, x) {
                    (
                        (200, x.uuid.clone()),
                        (r.status, s(&r.body["EventReport"]["uuid"])),
                    )
                } else {
                    (
                        (404, "Invalid report".to_owned()),
                        (r.status, s(&r.body["message"])),
                    )
                };
                c.eq(
                    || {
                        format!(
                            "{path} ({tag}, report dist {}) as {}",
                            x.distribution, v.name
                        )
                    },
                    expected,
                    got,
                );
            }
            // The report index of the event: what is visible; an invisible
            // event is answered as an unknown one (an empty list).
            let path = format!("/eventReports/index/event_id:{}", e.id);
            let r = app.get(&path, &v.key).await;
            let got = set(list(&r.body).iter().map(|x| s(&x["EventReport"]["uuid"])));
            let expected = set(e
                .reports
                .iter()
                .filter(|x| sees_part(v, e, x))
                .map(|x| x.uuid.clone()));
            c.eq(
                || format!("{path} ({tag}) as {}", v.name),
                (200, expected),
                (r.status, got),
            );
        }
    }
    c.done("views_match_the_rule");
}

/// restSearch (JSON, CSV, text), object search and tag counts.
async fn searches_match_the_rule(app: TestApp) {
    let w = setup(&app).await;
    let mut c = Check::default();
    let wildcard = format!("%{SUFFIX}");
    for v in &w.viewers {
        let visible: Vec<&Attr> = w
            .events
            .iter()
            .flat_map(|e| e.attrs.iter().filter(move |a| sees_attr(v, e, a)))
            .collect();

        // Attributes, JSON.
        let (r, count) = search(
            &app,
            &v.key,
            "/attributes/restSearch",
            json!({"value": wildcard}),
        )
        .await;
        let got = set(list(&r.body["response"]["Attribute"])
            .iter()
            .map(|a| s(&a["uuid"])));
        c.eq(
            || format!("/attributes/restSearch as {}: status", v.name),
            200,
            r.status,
        );
        c.eq(
            || format!("/attributes/restSearch as {}: uuids", v.name),
            set(visible.iter().map(|a| a.uuid.clone())),
            got,
        );
        c.eq(
            || format!("/attributes/restSearch as {}: X-Result-Count", v.name),
            Some(visible.len() as i64),
            count,
        );

        // Attributes, CSV: the uuid and value columns.
        let (r, count) = search(
            &app,
            &v.key,
            "/attributes/restSearch",
            json!({"returnFormat": "csv", "value": wildcard}),
        )
        .await;
        let mut lines = r.text.lines();
        let header = lines.next().unwrap_or_default().to_owned();
        let rows: Vec<(String, String)> = lines
            .filter(|l| !l.is_empty())
            .map(|l| {
                let cols: Vec<&str> = l.split(',').collect();
                let col = |i: usize| cols.get(i).unwrap_or(&"").trim_matches('"').to_owned();
                (col(0), col(4))
            })
            .collect();
        c.eq(
            || {
                format!(
                    "/attributes/restSearch csv as {}: status and header",
                    v.name
                )
            },
            (200, true),
            (
                r.status,
                header.starts_with("uuid,event_id,category,type,value"),
            ),
        );
        c.eq(
            || {
                format!(
                    "/attributes/restSearch csv as {}: (uuid, value) rows",
                    v.name
                )
            },
            visible
                .iter()
                .map(|a| (a.uuid.clone(), a.value.clone()))
                .collect::<BTreeSet<_>>(),
            rows.iter().cloned().collect::<BTreeSet<_>>(),
        );
        c.eq(
            || {
                format!(
                    "/attributes/restSearch csv as {}: row and X-Result-Count",
                    v.name
                )
            },
            (visible.len(), Some(visible.len() as i64)),
            (rows.len(), count),
        );

        // Attributes, text: every published or not, to_ids or not.
        let (r, _) = search(
            &app,
            &v.key,
            "/attributes/restSearch",
            json!({"returnFormat": "text", "value": wildcard,
                   "published": [0, 1], "to_ids": [0, 1]}),
        )
        .await;
        let got = set(r.text.lines().filter(|l| !l.is_empty()).map(str::to_owned));
        c.eq(
            || format!("/attributes/restSearch text as {}: values", v.name),
            (200, set(visible.iter().map(|a| a.value.clone()))),
            (r.status, got),
        );
        // The default text export: to_ids attributes of published events.
        let (r, _) = search(
            &app,
            &v.key,
            "/attributes/restSearch",
            json!({"returnFormat": "text", "value": wildcard}),
        )
        .await;
        let got = set(r.text.lines().filter(|l| !l.is_empty()).map(str::to_owned));
        let expected = set(w
            .events
            .iter()
            .filter(|e| e.published)
            .flat_map(|e| e.attrs.iter().filter(move |a| sees_attr(v, e, a)))
            .map(|a| a.value.clone()));
        c.eq(
            || {
                format!(
                    "/attributes/restSearch text (default) as {}: values",
                    v.name
                )
            },
            (200, expected),
            (r.status, got),
        );

        // Events: ids, and the attributes inside each.
        let (r, count) = search(
            &app,
            &v.key,
            "/events/restSearch",
            json!({"value": wildcard}),
        )
        .await;
        let got: BTreeSet<(String, Set)> = list(&r.body["response"])
            .iter()
            .map(|x| {
                let ev = &x["Event"];
                let mut attrs = uuids(&ev["Attribute"]);
                for o in list(&ev["Object"]) {
                    attrs.extend(uuids(&o["Attribute"]));
                }
                (s(&ev["id"]), attrs)
            })
            .collect();
        let expected: BTreeSet<(String, Set)> = w
            .events
            .iter()
            .filter(|e| sees_event(v, e))
            .map(|e| {
                let attrs = set(e
                    .attrs
                    .iter()
                    .filter(|a| sees_attr(v, e, a))
                    .map(|a| a.uuid.clone()));
                (e.id.clone(), attrs)
            })
            .collect();
        let n = expected.len() as i64;
        c.eq(
            || {
                format!(
                    "/events/restSearch as {}: (event id, attribute uuids)",
                    v.name
                )
            },
            (200, expected),
            (r.status, got),
        );
        c.eq(
            || format!("/events/restSearch as {}: X-Result-Count", v.name),
            Some(n),
            count,
        );

        // Objects.
        let (r, _) = search(
            &app,
            &v.key,
            "/objects/restSearch",
            json!({"value": wildcard}),
        )
        .await;
        let got = set(list(&r.body["response"])
            .iter()
            .map(|x| s(&x["Object"]["uuid"])));
        let expected = set(w.events.iter().flat_map(|e| {
            e.objects
                .iter()
                .filter(move |o| sees_part(v, e, o))
                .map(|o| o.uuid.clone())
        }));
        c.eq(
            || format!("/objects/restSearch as {}: uuids", v.name),
            (200, expected),
            (r.status, got),
        );

        // Tag counts are per viewer: visible events and live visible attributes.
        let r = app.get("/tags/index", &v.key).await;
        let tag = list(&r.body["Tag"])
            .iter()
            .find(|t| t["name"] == TAG)
            .cloned()
            .unwrap_or(Value::Null);
        let events = w.events.iter().filter(|e| sees_event(v, e)).count() as i64;
        c.eq(
            || format!("/tags/index as {}: {TAG} (count, attribute_count)", v.name),
            (Some(events), Some(visible.len() as i64)),
            (tag["count"].as_i64(), tag["attribute_count"].as_i64()),
        );
    }
    c.done("searches_match_the_rule");
}

/// Sightings: everyone records one on each attribute it may see (the others
/// are unknown to it); the index shows the owner everything, others only
/// their own organisation's sightings on what they see.
async fn sightings_match_the_rule(app: TestApp) {
    let w = setup(&app).await;
    let mut c = Check::default();
    let recorders = ["A", "B", "C"];
    for name in recorders {
        let v = w.viewer(name);
        for e in &w.events {
            for a in &e.attrs {
                let path = format!("/sightings/add/{}", a.id);
                let r = app.post(&path, &v.key, json!({})).await;
                c.eq(
                    || {
                        format!(
                            "{path} (event dist {} published {}, attribute dist {} object {:?}) as {}",
                            e.distribution, e.published, a.distribution, a.object, v.name
                        )
                    },
                    if sees_attr(v, e, a) { 200 } else { 404 },
                    r.status,
                );
            }
        }
    }
    for v in &w.viewers {
        for e in &w.events {
            let path = format!("/sightings/index/{}", e.id);
            let r = app.get(&path, &v.key).await;
            let what = || {
                format!(
                    "{path} (event dist {} published {}) as {}",
                    e.distribution, e.published, v.name
                )
            };
            if !sees_event(v, e) {
                c.eq(
                    what,
                    (404, "Invalid event".to_owned()),
                    (r.status, s(&r.body["message"])),
                );
                continue;
            }
            // (attribute id, organisation) of every sighting recorded.
            let mut expected = BTreeSet::new();
            for name in recorders {
                let rec = w.viewer(name);
                for a in e.attrs.iter().filter(|a| sees_attr(rec, e, a)) {
                    let shown =
                        v.standing == Standing::Owner || (rec.org == v.org && sees_attr(v, e, a));
                    if shown {
                        expected.insert((a.id.clone(), rec.org.clone()));
                    }
                }
            }
            let got: BTreeSet<(String, String)> = list(&r.body)
                .iter()
                .map(|x| (s(&x["attribute_id"]), s(&x["org_id"])))
                .collect();
            c.eq(what, (200, expected), (r.status, got));
        }
    }
    c.done("sightings_match_the_rule");
}

/// The site admin's view of every event.
async fn snapshot(app: &TestApp, events: &[Ev]) -> Vec<Value> {
    let mut out = Vec::new();
    for e in events {
        let r = app.get(&format!("/events/view/{}", e.id), ADMIN_KEY).await;
        out.push(r.expect(200).clone());
    }
    out
}

/// Other organisations (B, B's reader, C) may not change A's events: 403 on
/// the events they see, 404 on the others, and nothing changes.
async fn writes_are_refused(app: TestApp) {
    let w = setup(&app).await;
    let mut c = Check::default();
    let before = snapshot(&app, &w.events).await;
    let before_a = app.get("/events/index", &w.key_a).await.expect(200).clone();
    for key in [&w.key_b, &w.key_ro, &w.key_c] {
        let v = w.viewers.iter().find(|v| &v.key == key).expect("a viewer");
        for e in &w.events {
            // A top-level attribute of distribution 5, visible with its event.
            let a = e
                .attrs
                .iter()
                .find(|a| a.object.is_none() && a.distribution == 5)
                .expect("an attribute of distribution 5");
            let id = &e.id;
            let writes = [
                (
                    format!("/attributes/add/{id}"),
                    json!({"type": "domain", "value": "added.write.example"}),
                ),
                (
                    format!("/attributes/edit/{}", a.id),
                    json!({"comment": "hijacked"}),
                ),
                (format!("/attributes/delete/{}", a.id), json!({})),
                (
                    format!("/events/edit/{id}"),
                    json!({"Event": {"info": "hijacked"}}),
                ),
                (format!("/events/delete/{id}"), json!({})),
                (format!("/events/publish/{id}"), json!({})),
                (
                    format!("/objects/add/{id}"),
                    json!({"name": "domain-ip", "meta-category": "network", "distribution": 5,
                        "Attribute": [{"object_relation": "domain", "type": "domain",
                            "value": "object.write.example"}]}),
                ),
                (format!("/eventReports/add/{id}"), json!({"name": "mine"})),
            ];
            for (path, body) in writes {
                // The role's permissions are checked first (MISP's ACL, the
                // same answer for any id): the read-only role may not write,
                // role 3 may not publish. Then the event: 404 when it is not
                // visible, 403 when it is another organisation's.
                let acl = v.name == "B read-only" || path.starts_with("/events/publish/");
                let expected = if acl || sees_event(v, e) { 403 } else { 404 };
                let r = app.post(&path, key, body).await;
                if acl && r.status == 403 {
                    c.eq(
                        || format!("POST {path} as {}: ACL message", v.name),
                        NO_PERMISSION,
                        r.body["message"].as_str().unwrap_or_default(),
                    );
                }
                c.eq(
                    || {
                        format!(
                            "POST {path} (event dist {} published {}) as {}",
                            e.distribution, e.published, v.name
                        )
                    },
                    expected,
                    r.status,
                );
            }
        }
    }
    let after = snapshot(&app, &w.events).await;
    for ((e, b), a) in w.events.iter().zip(&before).zip(&after) {
        c.eq(
            || {
                format!(
                    "/events/view/{} (dist {} published {}) unchanged after refused writes",
                    e.id, e.distribution, e.published
                )
            },
            b,
            a,
        );
    }
    let after_a = app.get("/events/index", &w.key_a).await.expect(200).clone();
    c.eq(
        || "/events/index as A unchanged after refused writes".to_owned(),
        before_a,
        after_a,
    );
    c.done("writes_are_refused");
}

api_tests!(
    views_match_the_rule,
    searches_match_the_rule,
    sightings_match_the_rule,
    writes_are_refused,
);
