//! First start: default roles, admin organisation, admin user and key.

use std::sync::Arc;

use cydef_model::role::{default_roles, ids, Permission};
use cydef_model::{time_fmt, ApiKey, EntityRef};
use cydef_store::{BootstrapOutcome, OrgScope, Store};

use crate::fixtures::{
    assert_recent, bootstrap_request, create_org, new_role, seed, ADMIN_EMAIL, ADMIN_ORG,
    ADMIN_PASSWORD_HASH,
};

/// (users, orgs, keys, roles) currently stored.
async fn counts(store: &Arc<dyn Store>) -> (usize, usize, usize, usize) {
    (
        store.list_users(None).await.expect("list users").len(),
        store
            .list_orgs(OrgScope::All, None)
            .await
            .expect("list orgs")
            .len(),
        store
            .list_auth_keys(None, None)
            .await
            .expect("list keys")
            .len(),
        store.list_roles().await.expect("list roles").len(),
    )
}

async fn creates_defaults(store: Arc<dyn Store>) {
    assert_eq!(counts(&store).await, (0, 0, 0, 0), "a new store is empty");

    let now = time_fmt::now();
    let key = ApiKey::generate();
    let mut request = bootstrap_request(ADMIN_ORG, ADMIN_EMAIL, &key);
    request.roles = default_roles(now);
    let outcome = store.bootstrap(&request).await.expect("bootstrap");
    let BootstrapOutcome::Created { admin_user_id } = outcome else {
        panic!("bootstrap of an empty store returned {outcome:?}");
    };

    // Exactly MISP's six default roles, with MISP's ids, names and flags.
    let roles = store.list_roles().await.expect("list roles");
    let expected = default_roles(now);
    let got: Vec<(i64, &str)> = roles.iter().map(|r| (r.id, r.name.as_str())).collect();
    assert_eq!(
        got,
        vec![
            (1, "admin"),
            (2, "Org Admin"),
            (3, "User"),
            (4, "Publisher"),
            (5, "Sync user"),
            (6, "Read Only"),
        ]
    );
    for (stored, want) in roles.iter().zip(&expected) {
        assert_eq!(
            stored.perms, want.perms,
            "permission flags of role {}",
            want.name
        );
        assert_eq!(stored, want, "role {} round-trips completely", want.name);
        assert_eq!(store.get_role(want.id).await.expect("get role"), *want);
    }
    assert!(roles[0].has(Permission::SiteAdmin));
    assert!(!roles[1].has(Permission::SiteAdmin));
    assert!(roles[1].has(Permission::Admin));
    assert_eq!(
        roles
            .iter()
            .filter(|r| r.default_role)
            .map(|r| r.id)
            .collect::<Vec<_>>(),
        vec![3]
    );

    // The admin organisation.
    let org = store
        .find_org_by_name(ADMIN_ORG)
        .await
        .expect("find org")
        .expect("admin org exists");
    assert_eq!(org.name, ADMIN_ORG);
    assert!(org.local, "the admin org is local");
    assert_eq!(org.org_type, "ADMIN");
    assert!(
        uuid::Uuid::parse_str(&org.uuid).is_ok(),
        "org uuid {} is a UUID",
        org.uuid
    );
    assert_recent(org.date_created, "org.date_created");
    assert_eq!(
        store.get_org(EntityRef::Id(org.id)).await.expect("get org"),
        org
    );

    // The admin user: role 1 in that organisation, with the password hash.
    let admin = store.get_user(admin_user_id).await.expect("get admin");
    assert_eq!(admin.id, admin_user_id);
    assert_eq!(admin.role_id, ids::ADMIN);
    assert_eq!(admin.org_id, org.id);
    assert_eq!(admin.email, ADMIN_EMAIL);
    assert!(admin.termsaccepted);
    assert!(!admin.disabled);
    assert_recent(admin.date_created, "admin.date_created");
    let (by_email, hash) = store
        .get_user_by_email(ADMIN_EMAIL)
        .await
        .expect("get admin by email")
        .expect("admin exists");
    assert_eq!(by_email, admin);
    assert_eq!(hash.as_deref(), Some(ADMIN_PASSWORD_HASH));
    assert_eq!(store.org_user_count(org.id).await.expect("count"), 1);

    // The admin key: found by its first and last four characters, stored
    // only as a hash that matches the plaintext.
    let found = store
        .find_auth_keys(key.start(), key.end())
        .await
        .expect("find key");
    assert_eq!(found.len(), 1, "exactly one key with that start/end");
    let stored = &found[0];
    assert_eq!(stored.user_id, admin_user_id);
    assert_eq!(stored.authkey_start, key.start());
    assert_eq!(stored.authkey_end, key.end());
    assert!(
        key.matches(&stored.authkey_hash),
        "the plaintext key matches the stored hash"
    );
    assert!(!ApiKey::generate().matches(&stored.authkey_hash));
    assert_ne!(
        stored.authkey_hash,
        key.expose(),
        "the plaintext is not stored"
    );
    assert!(!stored.authkey_hash.contains(key.expose()));
    assert_eq!(stored.expiration, 0);
    assert!(!stored.read_only);
    assert!(stored.allowed_ips.is_empty());
    assert_eq!(stored.last_used, None);
    assert_recent(stored.created, "key.created");
    let listed = store.list_auth_keys(None, None).await.expect("list keys");
    assert_eq!(listed, vec![(stored.clone(), ADMIN_EMAIL.to_owned())]);

    assert_eq!(counts(&store).await, (1, 1, 1, 6));
}
contract_test!(creates_defaults => sqlite_bootstrap_creates_defaults, postgres_bootstrap_creates_defaults);

async fn second_run_changes_nothing(store: Arc<dyn Store>) {
    let first = seed(&store).await;
    let before = counts(&store).await;
    assert_eq!(before, (1, 1, 1, 6));
    let roles_before = store.list_roles().await.expect("roles");

    let other_key = ApiKey::generate();
    let mut again = bootstrap_request("Another Org", "other@admin.test", &other_key);
    again.roles = default_roles(1);
    let outcome = store.bootstrap(&again).await.expect("second bootstrap");
    assert_eq!(outcome, BootstrapOutcome::AlreadyDone);

    assert_eq!(
        counts(&store).await,
        before,
        "users/orgs/keys/roles unchanged"
    );
    assert_eq!(store.list_roles().await.expect("roles"), roles_before);
    assert!(store
        .find_org_by_name("Another Org")
        .await
        .expect("find")
        .is_none());
    assert!(store
        .get_user_by_email("other@admin.test")
        .await
        .expect("get")
        .is_none());
    assert!(store
        .find_auth_keys(other_key.start(), other_key.end())
        .await
        .expect("find")
        .iter()
        .all(|k| !other_key.matches(&k.authkey_hash)));
    let keys = store
        .find_auth_keys(first.admin_key.start(), first.admin_key.end())
        .await
        .expect("find");
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].user_id, first.admin_user_id);
}
contract_test!(second_run_changes_nothing => sqlite_bootstrap_second_run_changes_nothing, postgres_bootstrap_second_run_changes_nothing);

async fn role_ids_continue_after_defaults(store: Arc<dyn Store>) {
    seed(&store).await;
    let created = store
        .create_role(&new_role(
            "Analyst",
            &[Permission::Add, Permission::Sighting],
        ))
        .await
        .expect("create role after bootstrap (sequence must be past the default ids)");
    assert_eq!(created.id, 7);
    let next = store
        .create_role(&new_role("Analyst 2", &[]))
        .await
        .expect("create role");
    assert_eq!(next.id, 8);
}
contract_test!(role_ids_continue_after_defaults => sqlite_bootstrap_role_ids_continue_after_defaults, postgres_bootstrap_role_ids_continue_after_defaults);

async fn reuses_existing_org(store: Arc<dyn Store>) {
    // An organisation with the admin org's name (in another case) already exists.
    let existing = create_org(&store, "orgname").await;
    let key = ApiKey::generate();
    let outcome = store
        .bootstrap(&bootstrap_request(ADMIN_ORG, ADMIN_EMAIL, &key))
        .await
        .expect("bootstrap");
    let BootstrapOutcome::Created { admin_user_id } = outcome else {
        panic!("expected Created, got {outcome:?}");
    };
    let admin = store.get_user(admin_user_id).await.expect("admin");
    assert_eq!(
        admin.org_id, existing,
        "the admin joins the existing organisation"
    );
    assert_eq!(
        store
            .list_orgs(OrgScope::All, None)
            .await
            .expect("orgs")
            .len(),
        1
    );
}
contract_test!(reuses_existing_org => sqlite_bootstrap_reuses_existing_org, postgres_bootstrap_reuses_existing_org);
