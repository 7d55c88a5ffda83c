//! Sharing-group visibility at the store: a [`Viewer`] authorised for a
//! group sees that group's distribution-4 events and parts in every read
//! (searches, the events index and list, the event view's attribute pages
//! and count, reports, tags, sightings), and nothing of other groups.

use std::sync::Arc;

use cydef_model::event::parse_events;
use cydef_model::search::{parse, SearchRequest, Sources};
use cydef_model::sharing_group::{AuthorizedGroups, NewSharingGroup};
use cydef_model::time_fmt;
use cydef_store::{
    AttributeCursor, EventOwner, Page, PartFilter, ReportFilter, SightingTarget, Store, TagFilter,
    Viewer,
};
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

fn viewer(org_id: i64, groups: &[i64]) -> Viewer {
    Viewer {
        org_id,
        site_admin: false,
        sharing_groups: AuthorizedGroups::new(groups.iter().copied()),
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

async fn members_see_their_groups_data(store: Arc<dyn Store>) {
    let s = seed(&store).await;
    let a = create_org(&store, "Org A").await;
    let b = create_org(&store, "Org B").await;
    let c = create_org(&store, "Org C").await;
    let owner = cydef_store::SharingGroupOwner {
        org_id: a,
        user_id: s.admin_user_id,
    };
    let new_sg = |name: &str| NewSharingGroup {
        name: name.to_owned(),
        active: true,
        ..Default::default()
    };
    let sg = store
        .create_sharing_group(&new_sg("A and B"), owner, &[(a, true), (b, false)], &[], 1)
        .await
        .expect("group");
    let other_sg = store
        .create_sharing_group(&new_sg("A alone"), owner, &[(a, true)], &[], 1)
        .await
        .expect("group");

    let doc = json!({"Event": {"info": "for the group", "distribution": 4, "sharing_group_id": sg,
    "Tag": [{"name": "tlp:amber"}],
    "Attribute": [
        {"type": "domain", "value": "inherit.example", "distribution": 5,
         "Tag": [{"name": "sg-tag"}]},
        {"type": "domain", "value": "group.example", "distribution": 4, "sharing_group_id": sg,
         "Tag": [{"name": "sg-tag"}]},
        {"type": "domain", "value": "org-only.example", "distribution": 0,
         "Tag": [{"name": "sg-tag"}]},
        {"type": "domain", "value": "other-group.example", "distribution": 4,
         "sharing_group_id": other_sg},
        {"type": "domain", "value": "gone.example", "distribution": 4, "sharing_group_id": sg,
         "deleted": true}
    ],
    "Object": [
        {"name": "domain-ip", "distribution": 4, "sharing_group_id": sg, "Attribute": [
            {"type": "domain", "value": "in-group-object.example", "object_relation": "domain",
             "distribution": 5}
        ]},
        {"name": "domain-ip", "distribution": 4, "sharing_group_id": other_sg, "Attribute": [
            {"type": "domain", "value": "in-other-object.example", "object_relation": "domain",
             "distribution": 5}
        ]}
    ],
    "EventReport": [
        {"name": "group report", "content": "x", "distribution": 4, "sharing_group_id": sg},
        {"name": "other report", "content": "x", "distribution": 4, "sharing_group_id": other_sg},
        {"name": "inherited report", "content": "x", "distribution": 5}
    ]}});
    let event = parse_events(doc)
        .expect("a document")
        .remove(0)
        .validate()
        .expect("valid");
    let event_id = store
        .create_event(
            &event,
            &EventOwner {
                org_id: a,
                orgc_id: a,
                user_id: s.admin_user_id,
            },
            time_fmt::now(),
        )
        .await
        .expect("stored");

    let member = viewer(b, &[sg]);
    let outsider = viewer(c, &[]);
    let owner_view = viewer(a, &[sg, other_sg]);
    let visible = sorted(
        [
            "inherit.example",
            "group.example",
            "in-group-object.example",
        ]
        .map(str::to_owned)
        .to_vec(),
    );

    // Searches: exactly the visible attributes, and the event.
    let q = request(json!({"value": "%.example"}));
    let hits = store.search_attributes(&q, &member).await.expect("search");
    let values = sorted(hits.attributes.iter().map(|a| a.value1.clone()).collect());
    assert_eq!(values, visible);
    assert_eq!(hits.total, 3);
    let hits = store
        .search_attributes(&q, &outsider)
        .await
        .expect("search");
    assert_eq!((hits.total, hits.attributes.len()), (0, 0));
    let hits = store
        .search_attributes(&q, &owner_view)
        .await
        .expect("search");
    assert_eq!(hits.total, 6, "the owner sees every live attribute");
    for hidden in [
        "org-only.example",
        "other-group.example",
        "in-other-object.example",
    ] {
        let q = request(json!({"value": hidden}));
        let e = store
            .search_events(&q, &member, false)
            .await
            .expect("search");
        assert_eq!(e.total, 0, "{hidden}");
    }
    let q = request(json!({"value": "group.example"}));
    let e = store
        .search_events(&q, &member, false)
        .await
        .expect("search");
    assert_eq!(
        e.events.iter().map(|e| e.id).collect::<Vec<_>>(),
        [event_id]
    );

    // The index and the list: the member sees the event with the count of
    // what it sees; the outsider does not see it.
    let index = store
        .search_events(&request(json!({})), &member, true)
        .await
        .expect("index");
    assert_eq!(index.total, 1);
    assert_eq!(index.events[0].attribute_count, 3);
    let index = store
        .search_events(&request(json!({})), &outsider, true)
        .await
        .expect("index");
    assert_eq!(index.total, 0);
    let page = Page { limit: 10, page: 1 };
    let listed = store.list_events(page, &member).await.expect("list");
    assert_eq!(
        listed
            .iter()
            .map(|e| (e.id, e.attribute_count))
            .collect::<Vec<_>>(),
        [(event_id, 3)]
    );
    assert!(store
        .list_events(page, &outsider)
        .await
        .expect("list")
        .is_empty());

    // The event view's reads: the count and the attribute pages.
    let groups = AuthorizedGroups::new([sg]);
    assert_eq!(
        store
            .shared_attribute_count(event_id, &groups)
            .await
            .expect("count"),
        3
    );
    assert_eq!(
        store
            .shared_attribute_count(event_id, &AuthorizedGroups::default())
            .await
            .expect("count"),
        1,
        "without the group only the inheriting attribute"
    );
    let filter = PartFilter {
        shared_with: Some(groups.clone()),
        live_only: true,
    };
    let mut paged = Vec::new();
    for cursor in [
        AttributeCursor::TopLevel { after_id: 0 },
        AttributeCursor::InObjects {
            after_object_id: 0,
            after_id: 0,
        },
    ] {
        let page = store
            .attribute_page(event_id, cursor, &filter, 100)
            .await
            .expect("page");
        paged.extend(page.into_iter().map(|e| e.attribute.value1));
    }
    // Attributes in objects come whatever their object's distribution: the
    // view leaves out those of hidden objects.
    assert_eq!(
        sorted(paged),
        sorted(
            [
                "inherit.example",
                "group.example",
                "in-group-object.example",
                "in-other-object.example",
            ]
            .map(str::to_owned)
            .to_vec()
        )
    );

    // Reports.
    let reports = |v: Viewer| {
        let store = store.clone();
        async move {
            let mut names: Vec<String> = store
                .list_reports(
                    &ReportFilter {
                        event_id: Some(event_id),
                        deleted: None,
                        search: None,
                        window: None,
                    },
                    &v,
                )
                .await
                .expect("reports")
                .into_iter()
                .map(|r| r.name)
                .collect();
            names.sort();
            names
        }
    };
    assert_eq!(
        reports(member.clone()).await,
        ["group report", "inherited report"]
    );
    assert!(reports(outsider.clone()).await.is_empty());
    assert_eq!(reports(owner_view.clone()).await.len(), 3);

    // Tag counts: the event tag, and "sg-tag" on two attributes the member
    // sees (not the organisation-only one).
    let tags = store
        .list_tags(&TagFilter::default(), &member)
        .await
        .expect("tags");
    let count = |name: &str, tags: &[cydef_store::TagUsage]| {
        tags.iter()
            .find(|t| t.tag.name == name)
            .map(|t| (t.event_count, t.attribute_count))
    };
    assert_eq!(count("tlp:amber", &tags), Some((1, 0)));
    assert_eq!(count("sg-tag", &tags), Some((0, 2)));
    let tags = store
        .list_tags(&TagFilter::default(), &outsider)
        .await
        .expect("tags");
    assert_eq!(count("tlp:amber", &tags), Some((0, 0)));
    assert_eq!(count("sg-tag", &tags), Some((0, 0)));
    let sg_tag = store
        .find_tag_by_name("sg-tag")
        .await
        .expect("tag")
        .expect("exists");
    let usage = store
        .tag_usage(sg_tag.id, &owner_view)
        .await
        .expect("usage");
    assert_eq!(usage.attribute_count, 3);

    // Sightings may be recorded on what the member sees, and only that.
    let target = SightingTarget::Values(
        ["group.example", "other-group.example", "org-only.example"]
            .map(str::to_owned)
            .to_vec(),
    );
    let sightable: Vec<String> = store
        .sightable_attributes(&target, &member)
        .await
        .expect("sightable")
        .into_iter()
        .map(|a| a.value1)
        .collect();
    assert_eq!(sightable, ["group.example"]);
    assert!(store
        .sightable_attributes(&target, &outsider)
        .await
        .expect("sightable")
        .is_empty());
}

contract_test!(members_see_their_groups_data => sqlite_visibility_members_see_their_groups_data, postgres_visibility_members_see_their_groups_data);
