//! Proposals (`ProposalStore`): stored as proposed, seen under MISP's rule,
//! accepted through the attribute write steps (the event touched, the
//! proposal gone, a refused change leaving it in place), discarded; UUIDs
//! shared by proposals about one attribute.

use std::sync::Arc;

use cydef_model::event::edit::plan_edit;
use cydef_model::event::input::AttributeIn;
use cydef_model::event::{parse_events, Attribute, NewAttribute};
use cydef_model::{time_fmt, EntityRef};
use cydef_store::{
    EventOwner, ProposalChange, ProposalEntry, ProposalFilter, ProposalRequest, Proposer, Store,
    StoreError, Viewer,
};
use serde_json::{json, Value};

use crate::fixtures::{assert_conflict, assert_not_found, create_org, seed};

const OLD: i64 = 1_600_000_000;

async fn add_event(store: &Arc<dyn Store>, org_id: i64, user_id: i64, doc: Value) -> i64 {
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
        .create_event(&event, &owner, OLD)
        .await
        .expect("stored")
}

fn viewer(org_id: i64, site_admin: bool) -> Viewer {
    Viewer {
        org_id,
        site_admin,
        sharing_groups: Default::default(),
    }
}

fn attr(v: Value) -> NewAttribute {
    serde_json::from_value::<AttributeIn>(v)
        .expect("an attribute")
        .validate(false)
        .expect("valid")
}

async fn attributes(store: &Arc<dyn Store>, event_id: i64) -> Vec<Attribute> {
    store
        .event_contents(event_id)
        .await
        .expect("contents")
        .attributes
}

async fn list(store: &Arc<dyn Store>, v: &Viewer, filter: ProposalFilter) -> Vec<ProposalEntry> {
    store.list_proposals(&filter, v).await.expect("list")
}

fn ids(entries: &[ProposalEntry]) -> Vec<i64> {
    let mut ids: Vec<i64> = entries.iter().map(|e| e.proposal.id).collect();
    ids.sort_unstable();
    ids
}

async fn propose_accept_discard(store: Arc<dyn Store>) {
    let s = seed(&store).await;
    let other = create_org(&store, "Proposers").await;
    let ev = add_event(
        &store,
        s.admin_org_id,
        s.admin_user_id,
        json!({"Event": {"info": "target", "distribution": 1, "published": true,
        "timestamp": OLD.to_string(),
        "Attribute": [
            {"type": "ip-dst", "value": "1.2.3.4", "timestamp": OLD.to_string()},
            {"type": "domain", "value": "gone.example", "timestamp": OLD.to_string()}
        ]}}),
    )
    .await;
    let stored = attributes(&store, ev).await;
    let (ip, domain) = (&stored[0], &stored[1]);
    let proposer = Proposer {
        org_id: other,
        email: "p@proposers.test".into(),
    };
    let now = time_fmt::now();

    // A new attribute, a change (twice: proposals about one attribute share
    // its UUID) and a deletion.
    let new = store
        .add_proposal(
            &ProposalRequest::Add {
                event_id: ev,
                attribute: attr(json!({"type": "url", "value": "hxxp://evil[.]example/a"})),
            },
            &proposer,
            now,
        )
        .await
        .expect("add");
    assert_eq!(new.proposal.value1, "http://evil.example/a");
    assert_eq!(new.proposal.old_id, 0);
    assert_eq!(new.proposal.org_id, other);
    assert_eq!(new.email, "p@proposers.test");
    assert_eq!(new.org_name, "Proposers");
    assert_eq!(new.event_orgc_id, s.admin_org_id);
    let mut changed = attr(
        json!({"type": "ip-dst", "value": "1.2.3.4", "comment": "sinkhole",
        "to_ids": false}),
    );
    changed.uuid = ip.uuid.clone();
    let mut changes = Vec::new();
    for _ in 0..2 {
        let c = store
            .add_proposal(
                &ProposalRequest::Edit {
                    attribute_id: ip.id,
                    attribute: changed.clone(),
                },
                &proposer,
                now,
            )
            .await
            .expect("edit");
        assert_eq!(c.proposal.uuid, ip.uuid);
        assert_eq!(c.proposal.old_id, ip.id);
        assert_eq!(c.old_uuid.as_deref(), Some(ip.uuid.as_str()));
        changes.push(c.proposal.id);
    }
    let deletion = store
        .add_proposal(
            &ProposalRequest::Delete {
                attribute_id: domain.id,
            },
            &proposer,
            now,
        )
        .await
        .expect("delete");
    assert!(deletion.proposal.proposal_to_delete);
    assert_eq!(deletion.proposal.value1, "gone.example");
    // A new attribute's UUID is its proposal's own.
    let mut again = attr(json!({"type": "ip-dst", "value": "9.9.9.9"}));
    again.uuid = new.proposal.uuid.clone();
    assert_conflict(
        store
            .add_proposal(
                &ProposalRequest::Add {
                    event_id: ev,
                    attribute: again,
                },
                &proposer,
                now,
            )
            .await,
        "uuid",
    );
    // Proposing touches nothing.
    let event = store.find_event(EntityRef::Id(ev)).await.expect("event");
    assert_eq!((event.timestamp, event.published), (OLD, true));

    let owner = viewer(s.admin_org_id, false);
    assert_eq!(
        list(&store, &owner, ProposalFilter::default()).await.len(),
        4
    );

    // Accepting the new attribute stores it with the proposal's UUID.
    let create = ProposalChange::Create(attr(json!({"uuid": new.proposal.uuid,
        "type": "url", "value": "http://evil.example/a"})));
    let added = store
        .accept_proposal(new.proposal.id, &create, now)
        .await
        .expect("accept");
    assert_eq!(added.uuid, new.proposal.uuid);
    let event = store.find_event(EntityRef::Id(ev)).await.expect("event");
    assert_eq!((event.timestamp, event.published), (now, false));
    assert_eq!(event.attribute_count, 3);
    assert_not_found(store.accept_proposal(new.proposal.id, &create, now).await);

    // A change to the IP, the deletion of the domain.
    let mut update = changed.clone();
    update.timestamp = None;
    let updated = store
        .accept_proposal(changes[0], &ProposalChange::Update(update.clone()), now)
        .await
        .expect("accept change");
    assert_eq!(
        (updated.comment.as_str(), updated.to_ids),
        ("sinkhole", false)
    );
    let gone = store
        .accept_proposal(deletion.proposal.id, &ProposalChange::Delete, now + 1)
        .await
        .expect("accept deletion");
    assert!(gone.deleted);
    let event = store.find_event(EntityRef::Id(ev)).await.expect("event");
    assert_eq!((event.timestamp, event.attribute_count), (now + 1, 2));

    // Discarding removes; the rest was consumed.
    store.discard_proposal(changes[1]).await.expect("discard");
    assert_not_found(store.discard_proposal(changes[1]).await);
    assert!(list(&store, &owner, ProposalFilter::default())
        .await
        .is_empty());
}

async fn a_refused_accept_keeps_the_proposal(store: Arc<dyn Store>) {
    let s = seed(&store).await;
    let ev = add_event(
        &store,
        s.admin_org_id,
        s.admin_user_id,
        json!({"Event": {"info": "dup", "Attribute": [{"type": "domain", "value": "a.example"}]}}),
    )
    .await;
    let proposer = Proposer {
        org_id: s.admin_org_id,
        email: "admin@admin.test".into(),
    };
    let dup = attr(json!({"type": "domain", "value": "a.example"}));
    let p = store
        .add_proposal(
            &ProposalRequest::Add {
                event_id: ev,
                attribute: dup.clone(),
            },
            &proposer,
            OLD,
        )
        .await
        .expect("proposed");
    let before = store.find_event(EntityRef::Id(ev)).await.expect("event");
    assert_conflict(
        store
            .accept_proposal(p.proposal.id, &ProposalChange::Create(dup), OLD + 5)
            .await,
        "value",
    );
    let after = store.find_event(EntityRef::Id(ev)).await.expect("event");
    assert_eq!(after.timestamp, before.timestamp);
    let still = list(
        &store,
        &viewer(s.admin_org_id, true),
        ProposalFilter {
            id: Some(p.proposal.id),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(still.len(), 1);
    // An unknown event or attribute.
    assert!(matches!(
        store
            .add_proposal(
                &ProposalRequest::Add {
                    event_id: 999_999,
                    attribute: attr(json!({"type": "domain", "value": "b.example"})),
                },
                &proposer,
                OLD,
            )
            .await,
        Err(StoreError::NotFound)
    ));
    assert_not_found(
        store
            .add_proposal(
                &ProposalRequest::Delete {
                    attribute_id: 999_999,
                },
                &proposer,
                OLD,
            )
            .await,
    );
}

async fn seen_under_misps_rule(store: Arc<dyn Store>) {
    let s = seed(&store).await;
    let b = create_org(&store, "Org B").await;
    let c = create_org(&store, "Org C").await;
    let shared = add_event(
        &store,
        s.admin_org_id,
        s.admin_user_id,
        json!({"Event": {"info": "shared", "distribution": 1, "Attribute": [
            {"type": "domain", "value": "open.example"},
            {"type": "domain", "value": "private.example", "distribution": 0}
        ]}}),
    )
    .await;
    let private = add_event(
        &store,
        s.admin_org_id,
        s.admin_user_id,
        json!({"Event": {"info": "private", "distribution": 0}}),
    )
    .await;
    let stored = attributes(&store, shared).await;
    let by = |org_id| Proposer {
        org_id,
        email: format!("{org_id}@orgs.test"),
    };
    let on_open = store
        .add_proposal(
            &ProposalRequest::Delete {
                attribute_id: stored[0].id,
            },
            &by(b),
            OLD,
        )
        .await
        .expect("proposed")
        .proposal
        .id;
    let on_private_attr = store
        .add_proposal(
            &ProposalRequest::Delete {
                attribute_id: stored[1].id,
            },
            &by(s.admin_org_id),
            OLD,
        )
        .await
        .expect("proposed")
        .proposal
        .id;
    let in_private_event = store
        .add_proposal(
            &ProposalRequest::Add {
                event_id: private,
                attribute: attr(json!({"type": "domain", "value": "x.example"})),
            },
            &by(s.admin_org_id),
            OLD + 10,
        )
        .await
        .expect("proposed")
        .proposal
        .id;
    let all = ProposalFilter::default;
    let mut everything = vec![on_open, on_private_attr, in_private_event];
    everything.sort_unstable();
    assert_eq!(
        ids(&list(&store, &viewer(s.admin_org_id, false), all()).await),
        everything
    );
    assert_eq!(
        ids(&list(&store, &viewer(c, true), all()).await),
        everything
    );
    // Another organisation, the proposer's or a third one, sees what it
    // sees of the event.
    assert_eq!(
        ids(&list(&store, &viewer(b, false), all()).await),
        vec![on_open]
    );
    assert_eq!(
        ids(&list(&store, &viewer(c, false), all()).await),
        vec![on_open]
    );
    // `all:0`, `searchall`, `timestamp`, paging.
    let own = ProposalFilter {
        own_events_only: true,
        ..all()
    };
    assert!(list(&store, &viewer(c, false), own.clone())
        .await
        .is_empty());
    assert_eq!(
        list(&store, &viewer(s.admin_org_id, false), own)
            .await
            .len(),
        3
    );
    let search = |term: &str| ProposalFilter {
        search: Some(term.to_owned()),
        ..all()
    };
    let admin = viewer(s.admin_org_id, true);
    assert_eq!(
        ids(&list(&store, &admin, search("ORG B")).await),
        vec![on_open]
    );
    assert_eq!(
        ids(&list(&store, &admin, search("X.EXAMPLE")).await),
        vec![in_private_event]
    );
    let recent = ProposalFilter {
        since: Some(OLD + 5),
        ..all()
    };
    assert_eq!(
        ids(&list(&store, &admin, recent).await),
        vec![in_private_event]
    );
    let paged = ProposalFilter {
        sort: Some("id".into()),
        limit: Some(2),
        page: Some(2),
        ..all()
    };
    assert_eq!(ids(&list(&store, &admin, paged).await), vec![everything[2]]);
}

/// Proposals in an event document are stored with it, and an edit that
/// sends them again keeps them once (their UUIDs unique among new-attribute
/// proposals), whatever proposals about attributes share.
async fn documents_carry_proposals(store: Arc<dyn Store>) {
    let s = seed(&store).await;
    let doc = |timestamp: i64| {
        json!({"Event": {"uuid": "7e4f2a1b-8c9d-4e0f-a1b2-c3d4e5f6a7b8", "info": "imported",
            "timestamp": timestamp.to_string(),
            "Attribute": [{"uuid": "11111111-2222-4333-8444-555555555555",
                "type": "domain", "value": "a.example"}],
            "ShadowAttribute": [{"uuid": "0b6c5f4e-3d2c-4b1a-9f8e-7d6c5b4a3f2e",
                "type": "domain", "value": "b.example"}]}})
    };
    let ev = add_event(&store, s.admin_org_id, s.admin_user_id, doc(OLD)).await;
    let a = &attributes(&store, ev).await[0];
    // A pending change about the attribute, with its UUID.
    store
        .add_proposal(
            &ProposalRequest::Delete { attribute_id: a.id },
            &Proposer {
                org_id: s.admin_org_id,
                email: String::new(),
            },
            OLD,
        )
        .await
        .expect("proposed");
    let event = store.find_event(EntityRef::Id(ev)).await.expect("event");
    let contents = store.event_contents(ev).await.expect("contents");
    let edit_doc = parse_events(doc(OLD + 10)).expect("doc").remove(0);
    let edit = plan_edit(&event, &contents, &edit_doc).expect("a plan");
    store
        .edit_event(ev, &edit, s.admin_org_id, OLD + 10)
        .await
        .expect("edited");
    let all = list(
        &store,
        &viewer(s.admin_org_id, true),
        ProposalFilter::default(),
    )
    .await;
    let mut uuids: Vec<&str> = all.iter().map(|e| e.proposal.uuid.as_str()).collect();
    uuids.sort_unstable();
    assert_eq!(
        uuids,
        vec![
            "0b6c5f4e-3d2c-4b1a-9f8e-7d6c5b4a3f2e",
            "11111111-2222-4333-8444-555555555555"
        ]
    );
}

contract_test!(propose_accept_discard => sqlite_proposals_lifecycle, postgres_proposals_lifecycle);
contract_test!(a_refused_accept_keeps_the_proposal => sqlite_refused_accept_keeps_proposal, postgres_refused_accept_keeps_proposal);
contract_test!(seen_under_misps_rule => sqlite_proposals_visibility, postgres_proposals_visibility);
contract_test!(documents_carry_proposals => sqlite_documents_carry_proposals, postgres_documents_carry_proposals);
