//! Sharing groups: CRUD, members, and who may use a group.

use std::sync::Arc;

use cydef_model::sharing_group::NewSharingGroup;
use cydef_model::EntityRef;
use cydef_store::{SharingGroupOwner, SharingGroupPatch, Store, Viewer};

use crate::fixtures::{assert_conflict, assert_invalid_ref, assert_not_found, create_org, seed};

fn new_sg(name: &str) -> NewSharingGroup {
    NewSharingGroup {
        name: name.to_owned(),
        releasability: "Members only".to_owned(),
        description: "A test group".to_owned(),
        active: true,
        ..Default::default()
    }
}

async fn crud_and_members(store: Arc<dyn Store>) {
    let seed = seed(&store).await;
    let a = create_org(&store, "Org A").await;
    let b = create_org(&store, "Org B").await;
    let uuid = "55f6ea5e-2c60-40e5-964f-47a8950d210f";
    let owner = SharingGroupOwner {
        org_id: a,
        user_id: seed.admin_user_id,
    };
    let id = store
        .create_sharing_group(
            &NewSharingGroup {
                uuid: Some(uuid.to_owned()),
                ..new_sg("Banks")
            },
            owner,
            &[(a, true), (b, false), (b, true)],
            &[(0, false)],
            1_700_000_000,
        )
        .await
        .expect("create");
    let d = store
        .get_sharing_group(EntityRef::Uuid(uuid.parse().expect("uuid")))
        .await
        .expect("get by uuid");
    assert_eq!(d.group.id, id);
    assert_eq!(d.group.name, "Banks");
    assert_eq!(d.group.releasability, "Members only");
    assert_eq!(d.group.org_id, a);
    assert_eq!(d.group.sync_user_id, seed.admin_user_id);
    assert_eq!(d.group.created, 1_700_000_000);
    assert_eq!(d.group.modified, 1_700_000_000);
    assert!(d.group.active && d.group.local && !d.group.roaming);
    assert_eq!(d.creator.id, a);
    assert_eq!(d.group.organisation_uuid, d.creator.uuid);
    let members: Vec<_> = d
        .orgs
        .iter()
        .map(|(m, o)| (m.org_id, m.extend, o.name.clone()))
        .collect();
    assert_eq!(
        members,
        vec![(a, true, "Org A".to_owned()), (b, true, "Org B".to_owned())],
        "a member listed twice keeps its last flag"
    );
    assert_eq!(d.servers.len(), 1);
    assert_eq!((d.servers[0].server_id, d.servers[0].all_orgs), (0, false));

    // Names are unique case-insensitively; UUIDs are unique.
    assert_conflict(
        store
            .create_sharing_group(&new_sg("BANKS"), owner, &[], &[], 1)
            .await,
        "name",
    );
    assert_conflict(
        store
            .create_sharing_group(
                &NewSharingGroup {
                    uuid: Some(uuid.to_owned()),
                    ..new_sg("Other")
                },
                owner,
                &[],
                &[],
                1,
            )
            .await,
        "uuid",
    );
    // An unknown member or owner writes nothing.
    assert_invalid_ref(
        store
            .create_sharing_group(&new_sg("Ghost"), owner, &[(9999, false)], &[], 1)
            .await,
        "org_id",
    );
    assert_invalid_ref(
        store
            .create_sharing_group(
                &new_sg("Ghost"),
                SharingGroupOwner {
                    org_id: 9999,
                    user_id: 1,
                },
                &[],
                &[],
                1,
            )
            .await,
        "org_id",
    );
    let all = Viewer {
        org_id: seed.admin_org_id,
        site_admin: true,
        sharing_groups: Default::default(),
    };
    assert_eq!(
        store
            .list_sharing_groups(&all, None)
            .await
            .expect("list")
            .len(),
        1
    );

    // Update: given fields change, listed members are upserted, none removed.
    store
        .update_sharing_group(
            id,
            &SharingGroupPatch {
                description: Some("Changed".to_owned()),
                active: Some(false),
                ..Default::default()
            },
            &[(b, false)],
            &[(0, true)],
            1_700_000_100,
        )
        .await
        .expect("update");
    let d = store
        .get_sharing_group(EntityRef::Id(id))
        .await
        .expect("get");
    assert_eq!(d.group.description, "Changed");
    assert_eq!(d.group.name, "Banks");
    assert!(!d.group.active);
    assert_eq!(d.group.modified, 1_700_000_100);
    assert_eq!(d.orgs.len(), 2);
    assert_eq!(d.member(b).map(|m| m.extend), Some(false));
    assert!(d.servers[0].all_orgs);
    assert_eq!(
        store
            .list_sharing_groups(&all, Some(true))
            .await
            .expect("list")
            .len(),
        0
    );
    assert_eq!(
        store
            .list_sharing_groups(&all, Some(false))
            .await
            .expect("list")
            .len(),
        1
    );

    // Single members.
    let c = create_org(&store, "Org C").await;
    store
        .add_sharing_group_org(id, c, true)
        .await
        .expect("add org");
    assert_conflict(store.add_sharing_group_org(id, c, false).await, "org_id");
    assert_invalid_ref(store.add_sharing_group_org(id, 9999, false).await, "org_id");
    store
        .remove_sharing_group_org(id, c)
        .await
        .expect("remove org");
    assert_not_found(store.remove_sharing_group_org(id, c).await);
    assert_conflict(
        store.add_sharing_group_server(id, 0, false).await,
        "server_id",
    );
    store
        .remove_sharing_group_server(id, 0)
        .await
        .expect("remove server");
    assert_not_found(store.remove_sharing_group_server(id, 0).await);
    store
        .add_sharing_group_server(id, 0, false)
        .await
        .expect("add server");

    // Delete removes the members too.
    store.delete_sharing_group(id).await.expect("delete");
    assert_not_found(store.get_sharing_group(EntityRef::Id(id)).await);
    assert_not_found(store.delete_sharing_group(id).await);
    assert_eq!(
        store
            .authorized_sharing_group_ids(0, true)
            .await
            .expect("ids"),
        Vec::<i64>::new()
    );
}

async fn authorized_ids_follow_misp(store: Arc<dyn Store>) {
    let seed = seed(&store).await;
    let a = create_org(&store, "Org A").await;
    let b = create_org(&store, "Org B").await;
    let c = create_org(&store, "Org C").await;
    let owner = |org_id| SharingGroupOwner {
        org_id,
        user_id: seed.admin_user_id,
    };
    // A's group with B as member; A's group with no members (creator only);
    // C's group open to the whole instance.
    let with_b = store
        .create_sharing_group(&new_sg("With B"), owner(a), &[(b, false)], &[(0, false)], 1)
        .await
        .expect("create");
    let alone = store
        .create_sharing_group(&new_sg("Alone"), owner(a), &[], &[], 1)
        .await
        .expect("create");
    let open = store
        .create_sharing_group(&new_sg("Open"), owner(c), &[], &[(0, true)], 1)
        .await
        .expect("create");
    let ids = |org, admin| {
        let store = store.clone();
        async move {
            store
                .authorized_sharing_group_ids(org, admin)
                .await
                .expect("ids")
        }
    };
    assert_eq!(ids(a, false).await, vec![with_b, alone, open]);
    assert_eq!(ids(b, false).await, vec![with_b, open]);
    assert_eq!(ids(c, false).await, vec![open]);
    let d = create_org(&store, "Org D").await;
    assert_eq!(ids(d, false).await, vec![open]);
    assert_eq!(ids(d, true).await, vec![with_b, alone, open]);
    for (sg, org, want) in [
        (with_b, b, true),
        (with_b, c, false),
        (alone, a, true),
        (alone, b, false),
        (open, d, true),
        (9999, a, false),
    ] {
        assert_eq!(
            store
                .may_use_sharing_group(sg, org, false)
                .await
                .expect("may use"),
            want,
            "group {sg}, org {org}"
        );
    }
    assert!(store
        .may_use_sharing_group(alone, d, true)
        .await
        .expect("may use"));
    // The index lists what may be used, by name, with the model's rule agreeing.
    let list = store
        .list_sharing_groups(
            &Viewer {
                org_id: b,
                site_admin: false,
                sharing_groups: Default::default(),
            },
            None,
        )
        .await
        .expect("list");
    let names: Vec<_> = list.iter().map(|d| d.group.name.as_str()).collect();
    assert_eq!(names, vec!["Open", "With B"]);
    assert!(list.iter().all(|d| d.may_use(b, false)));
}

contract_test!(crud_and_members => sqlite_sharing_groups_crud_and_members, postgres_sharing_groups_crud_and_members);
contract_test!(authorized_ids_follow_misp => sqlite_sharing_groups_authorized_ids, postgres_sharing_groups_authorized_ids);
