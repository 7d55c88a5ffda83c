//! Roles.

use std::sync::Arc;

use cydef_model::role::{ids, Permission, PermissionSet, Role};
use cydef_store::Store;

use crate::fixtures::{
    assert_conflict, assert_in_use, assert_not_found, create_user, new_role, seed,
};

async fn create_update_delete(store: Arc<dyn Store>) {
    let mut req = new_role(
        "Analyst",
        &[Permission::Add, Permission::Tagger, Permission::Sighting],
    );
    req.id = 42; // ignored: the database assigns the id
    let created = store.create_role(&req).await.expect("create role");
    assert_eq!(created.id, 1, "first role in an empty store");
    assert_eq!(
        created,
        Role {
            id: created.id,
            ..req.clone()
        },
        "every field round-trips"
    );
    assert!(created.has(Permission::Tagger));
    assert!(!created.has(Permission::Publish));
    assert_eq!(store.get_role(created.id).await.expect("get"), created);
    assert_not_found(store.get_role(42).await);

    // Every single flag can be stored on its own and read back.
    for (i, p) in Permission::ALL.iter().enumerate() {
        let r = store
            .create_role(&new_role(&format!("only {}", p.name()), &[*p]))
            .await
            .expect("create single-flag role");
        assert_eq!(r.perms, PermissionSet::of(&[*p]), "flag {p} alone (#{i})");
    }

    // Update replaces name, flags and limits.
    let mut change = created.clone();
    change.name = "Senior Analyst".to_owned();
    change.perms = PermissionSet::of(&[
        Permission::Publish,
        Permission::SyncInternal,
        Permission::SkipOtp,
    ]);
    change.default_role = true;
    change.enforce_rate_limit = false;
    change.rate_limit_count = 0;
    change.restricted_to_site_admin = true;
    change.memory_limit = String::new();
    change.modified = 1_800_000_000;
    let updated = store.update_role(&change).await.expect("update role");
    assert_eq!(updated, change);
    assert_eq!(store.get_role(created.id).await.expect("get"), change);
    assert_eq!(
        updated.permission_level(),
        0,
        "publish without add is level 0"
    );

    let missing = Role {
        id: 9999,
        name: "Ghost".to_owned(),
        ..change.clone()
    };
    assert_not_found(store.update_role(&missing).await);

    // Delete.
    let before = store.list_roles().await.expect("list").len();
    store.delete_role(created.id).await.expect("delete role");
    assert_not_found(store.get_role(created.id).await);
    assert_eq!(store.list_roles().await.expect("list").len(), before - 1);
    assert_not_found(store.delete_role(created.id).await);
}
contract_test!(create_update_delete => sqlite_roles_create_update_delete, postgres_roles_create_update_delete);

async fn list_is_ordered_by_id(store: Arc<dyn Store>) {
    let b = store
        .create_role(&new_role("B", &[]))
        .await
        .expect("create");
    let a = store
        .create_role(&new_role("A", &[]))
        .await
        .expect("create");
    let roles = store.list_roles().await.expect("list");
    assert_eq!(roles, vec![b, a]);
}
contract_test!(list_is_ordered_by_id => sqlite_roles_list_is_ordered_by_id, postgres_roles_list_is_ordered_by_id);

async fn delete_in_use(store: Arc<dyn Store>) {
    let seed = seed(&store).await;
    assert_in_use(store.delete_role(ids::ADMIN).await);
    create_user(&store, seed.admin_org_id, ids::USER, "u@example.test").await;
    assert_in_use(store.delete_role(ids::USER).await);
    assert_eq!(
        store.get_role(ids::USER).await.expect("still there").name,
        "User"
    );
    // An unused default role can go.
    store
        .delete_role(ids::READ_ONLY)
        .await
        .expect("delete unused role");
    assert_eq!(store.list_roles().await.expect("list").len(), 5);
}
contract_test!(delete_in_use => sqlite_roles_delete_in_use, postgres_roles_delete_in_use);

async fn duplicate_name_conflicts(store: Arc<dyn Store>) {
    seed(&store).await;
    assert_conflict(store.create_role(&new_role("admin", &[])).await, "name");
    assert_conflict(store.create_role(&new_role("READ ONLY", &[])).await, "name");
    let analyst = store
        .create_role(&new_role("Analyst", &[]))
        .await
        .expect("create");
    assert_conflict(store.create_role(&new_role("analyst", &[])).await, "name");
    let renamed = Role {
        name: "Publisher".to_owned(),
        ..analyst.clone()
    };
    assert_conflict(store.update_role(&renamed).await, "name");
    assert_eq!(
        store.get_role(analyst.id).await.expect("get").name,
        "Analyst"
    );
    assert_eq!(store.list_roles().await.expect("list").len(), 7);
}
contract_test!(duplicate_name_conflicts => sqlite_roles_duplicate_name_conflicts, postgres_roles_duplicate_name_conflicts);
