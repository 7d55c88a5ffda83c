//! Searches: the visibility rule holds at the store (another organisation
//! never matches, counts or receives what it may not see), and paging is by
//! id with a total.

use std::sync::Arc;

use cydef_model::event::parse_events;
use cydef_model::search::{parse, SearchRequest, Sources};
use cydef_model::time_fmt;
use cydef_store::{EventOwner, Store, Viewer};
use serde_json::{json, Value};

use crate::fixtures::{create_org, seed};

fn request(v: Value) -> SearchRequest {
    let map = v.as_object().cloned().expect("an object");
    parse(
        &Sources {
            body: Some(&map),
            ..Sources::default()
        },
        time_fmt::now(),
    )
    .expect("a search")
}

async fn add(store: &Arc<dyn Store>, org_id: i64, user_id: i64, doc: Value) -> i64 {
    let event = parse_events(doc)
        .expect("an event document")
        .remove(0)
        .validate()
        .expect("a valid event");
    let owner = EventOwner {
        org_id,
        orgc_id: org_id,
        user_id,
    };
    store
        .create_event(&event, &owner, time_fmt::now())
        .await
        .expect("stored")
}

async fn hidden_parts_are_never_matched(store: Arc<dyn Store>) {
    let s = seed(&store).await;
    let other = create_org(&store, "Other org").await;
    add(
        &store,
        s.admin_org_id,
        s.admin_user_id,
        json!({"Event": {"info": "shared", "distribution": 1, "Attribute": [
            {"type": "domain", "value": "a.example", "distribution": 5},
            {"type": "domain", "value": "hidden.example", "distribution": 0},
            {"type": "domain", "value": "gone.example", "deleted": true}
        ]}}),
    )
    .await;
    add(
        &store,
        s.admin_org_id,
        s.admin_user_id,
        json!({"Event": {"info": "private", "distribution": 0, "Attribute": [
            {"type": "domain", "value": "a.example"}
        ]}}),
    )
    .await;
    let admin = Viewer {
        org_id: s.admin_org_id,
        site_admin: false,
        sharing_groups: Default::default(),
    };
    let reader = Viewer {
        org_id: other,
        site_admin: false,
        sharing_groups: Default::default(),
    };

    let q = request(json!({"value": "a.example"}));
    let mine = store.search_attributes(&q, &admin).await.expect("search");
    assert_eq!((mine.total, mine.attributes.len()), (2, 2));
    let theirs = store.search_attributes(&q, &reader).await.expect("search");
    assert_eq!((theirs.total, theirs.attributes.len()), (1, 1));
    assert_eq!(theirs.events.len(), 1);
    assert_eq!(theirs.events[0].info, "shared");

    for body in [
        json!({"value": "hidden.example"}),
        json!({"value": "gone.example", "deleted": [0, 1]}),
        json!({"value": "%hidden%"}),
    ] {
        let q = request(body.clone());
        let a = store.search_attributes(&q, &reader).await.expect("search");
        assert_eq!((a.total, a.attributes.len()), (0, 0), "{body}");
        let e = store
            .search_events(&q, &reader, false)
            .await
            .expect("search");
        assert_eq!((e.total, e.events.len()), (0, 0), "{body}");
        let a = store.search_attributes(&q, &admin).await.expect("search");
        assert_eq!(a.total, 1, "the owner sees {body}");
    }

    // The index counts what the reader sees.
    let all = store
        .search_events(&request(json!({})), &reader, true)
        .await
        .expect("index");
    assert_eq!(all.total, 1);
    assert_eq!(all.events[0].attribute_count, 1);
}

async fn pages_by_id_with_a_total(store: Arc<dyn Store>) {
    let s = seed(&store).await;
    let attributes: Vec<Value> = (0..7)
        .map(|i| json!({"type": "domain", "value": format!("d{i}.example")}))
        .collect();
    add(
        &store,
        s.admin_org_id,
        s.admin_user_id,
        json!({"Event": {"info": "paged", "Attribute": attributes}}),
    )
    .await;
    let viewer = Viewer {
        org_id: s.admin_org_id,
        site_admin: true,
        sharing_groups: Default::default(),
    };
    let mut seen = Vec::new();
    for page in 1..=4 {
        let q = request(json!({"limit": 3, "page": page}));
        let hits = store.search_attributes(&q, &viewer).await.expect("search");
        assert_eq!(hits.total, 7);
        seen.extend(hits.attributes.iter().map(|a| a.id));
    }
    assert_eq!(seen.len(), 7);
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "id order: {seen:?}");
}

/// Lists longer than the store binds item by item (a JSON array on SQLite,
/// an array literal on PostgreSQL) match exactly what a short list matches,
/// whatever characters the values hold.
async fn long_lists_match_exactly(store: Arc<dyn Store>) {
    let s = seed(&store).await;
    let tricky = [
        r#"quote"d"#,
        r"back\slash\",
        "{braces,comma}",
        "NULL",
        "ünï cödé ☃",
        "'single'",
    ];
    let mut attributes: Vec<Value> = tricky
        .iter()
        .map(|v| json!({"type": "text", "category": "Other", "value": v}))
        .collect();
    attributes.push(json!({"type": "ip-dst|port", "value": "203.0.113.5|443"}));
    attributes.push(json!({"type": "domain", "value": "other.example"}));
    let event = add(
        &store,
        s.admin_org_id,
        s.admin_user_id,
        json!({"Event": {"info": "long lists", "Attribute": attributes}}),
    )
    .await;
    let viewer = Viewer {
        org_id: s.admin_org_id,
        site_admin: false,
        sharing_groups: Default::default(),
    };
    let filler = |n: usize| (0..n).map(|i| format!("absent-{i}.example"));
    for n in [10, 5_000] {
        let mut values: Vec<String> = filler(n).collect();
        values.extend(tricky.iter().map(|v| (*v).to_owned()));
        values.push("203.0.113.5|443".to_owned());
        let q = request(json!({"value": values}));
        let hits = store.search_attributes(&q, &viewer).await.expect("search");
        let mut found: Vec<String> = hits.attributes.iter().map(|a| a.value()).collect();
        found.sort();
        let mut expected: Vec<String> = tricky.iter().map(|v| (*v).to_owned()).collect();
        expected.push("203.0.113.5|443".to_owned());
        expected.sort();
        assert_eq!(found, expected, "{n} filler values");
        assert_eq!(hits.total, 7);
        // Either half of a composite value, in a long list.
        let mut halves: Vec<String> = filler(n).collect();
        halves.push("443".to_owned());
        let q = request(json!({"value": halves}));
        let hits = store.search_attributes(&q, &viewer).await.expect("search");
        assert_eq!(hits.total, 1, "{n} filler values");
        // Negated, and event ids.
        let mut ids: Vec<i64> = (1_000_000..1_000_000 + n as i64).collect();
        ids.push(event);
        let q = request(json!({"value": {"NOT": values}, "eventid": ids}));
        let hits = store.search_attributes(&q, &viewer).await.expect("search");
        assert_eq!(
            hits.attributes
                .iter()
                .map(|a| a.value())
                .collect::<Vec<_>>(),
            vec!["other.example".to_owned()]
        );
        let q = request(json!({"eventid": ids}));
        let events = store
            .search_events(&q, &viewer, false)
            .await
            .expect("search");
        assert_eq!(events.total, 1);
        let q = request(json!({"eventid": ids[..n].to_vec()}));
        let events = store
            .search_events(&q, &viewer, false)
            .await
            .expect("search");
        assert_eq!(events.total, 0);
    }
}

contract_test!(hidden_parts_are_never_matched => sqlite_search_hidden_parts_are_never_matched, postgres_search_hidden_parts_are_never_matched);
contract_test!(pages_by_id_with_a_total => sqlite_search_pages_by_id_with_a_total, postgres_search_pages_by_id_with_a_total);
contract_test!(long_lists_match_exactly => sqlite_search_long_lists_match_exactly, postgres_search_long_lists_match_exactly);
