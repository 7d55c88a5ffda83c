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

contract_test!(hidden_parts_are_never_matched => sqlite_search_hidden_parts_are_never_matched, postgres_search_hidden_parts_are_never_matched);
contract_test!(pages_by_id_with_a_total => sqlite_search_pages_by_id_with_a_total, postgres_search_pages_by_id_with_a_total);
