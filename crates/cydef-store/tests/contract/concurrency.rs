//! Several stores (API nodes) on one database.

use std::sync::Arc;

use cydef_model::role::ids;
use cydef_model::{ApiKey, EntityRef};
use cydef_store::{BootstrapOutcome, OrgScope, Store};

use crate::fixtures::{bootstrap_request, create_org, new_org, new_user, seed};

async fn second_store(url: &str) -> Arc<dyn Store> {
    cydef_store::connect(url)
        .await
        .unwrap_or_else(|e| panic!("open a second store on {url}: {e:?}"))
}

async fn writes_visible_across_stores(one: Arc<dyn Store>, url: String) {
    let two = second_store(&url).await; // migrations already applied: a no-op
    let seed = seed(&one).await;

    // Written by one, read by two.
    let org = one
        .create_org(&new_org("Shared"), 1)
        .await
        .expect("create via one");
    assert_eq!(
        two.get_org(EntityRef::Id(org.id))
            .await
            .expect("get via two"),
        org
    );
    assert_eq!(
        two.find_org_by_name("shared").await.expect("find via two"),
        Some(org.clone())
    );
    assert_eq!(two.list_roles().await.expect("roles via two").len(), 6);
    let admin_keys = two
        .find_auth_keys(seed.admin_key.start(), seed.admin_key.end())
        .await
        .expect("find key via two");
    assert_eq!(admin_keys.len(), 1);

    // Written by two, read by one.
    let user = two
        .create_user(&new_user(org.id, ids::USER, "node2@example.test"))
        .await
        .expect("create via two");
    let users = one.list_users(Some(org.id)).await.expect("list via one");
    assert_eq!(users, vec![user.clone()]);
    assert_eq!(
        two.init_setting("jwt_secret", "from two")
            .await
            .expect("init via two"),
        "from two"
    );
    assert_eq!(
        one.init_setting("jwt_secret", "from one")
            .await
            .expect("init via one"),
        "from two"
    );
    assert_eq!(
        one.get_setting("jwt_secret")
            .await
            .expect("get via one")
            .as_deref(),
        Some("from two")
    );

    // Updates and deletes too.
    let mut change = new_org("Shared (renamed)");
    change.local = false;
    one.update_org(org.id, &change)
        .await
        .expect("update via one");
    let seen = two
        .get_org(EntityRef::Id(org.id))
        .await
        .expect("get via two");
    assert_eq!(seen.name, "Shared (renamed)");
    assert!(!seen.local);
    two.delete_user(user.id).await.expect("delete via two");
    assert!(one
        .list_users(Some(org.id))
        .await
        .expect("list via one")
        .is_empty());
    one.delete_org(org.id).await.expect("delete via one");
    assert!(two
        .find_org_by_name("Shared (renamed)")
        .await
        .expect("find via two")
        .is_none());

    // A uniqueness rule holds across stores.
    create_org(&one, "Unique").await;
    assert!(two.create_org(&new_org("UNIQUE"), 1).await.is_err());

    two.close().await;
}
contract_test!(writes_visible_across_stores => sqlite_concurrency_writes_visible_across_stores, postgres_concurrency_writes_visible_across_stores, with_url);

async fn racing_bootstraps_create_one_admin(one: Arc<dyn Store>, url: String) {
    let two = second_store(&url).await;
    let key_one = ApiKey::generate();
    let key_two = ApiKey::generate();
    let req_one = bootstrap_request("Org One", "one@admin.test", &key_one);
    let req_two = bootstrap_request("Org Two", "two@admin.test", &key_two);
    let (r1, r2) = tokio::join!(one.bootstrap(&req_one), two.bootstrap(&req_two));
    let r1 = r1.expect("bootstrap via one must not fail when racing");
    let r2 = r2.expect("bootstrap via two must not fail when racing");
    let created = [&r1, &r2]
        .iter()
        .filter(|r| matches!(r, BootstrapOutcome::Created { .. }))
        .count();
    assert_eq!(
        created, 1,
        "exactly one node sets up the instance: {r1:?} / {r2:?}"
    );
    assert!(r1 == BootstrapOutcome::AlreadyDone || r2 == BootstrapOutcome::AlreadyDone);
    assert_eq!(one.list_users(None).await.expect("users").len(), 1);
    assert_eq!(
        one.list_orgs(OrgScope::All, None)
            .await
            .expect("orgs")
            .len(),
        1
    );
    assert_eq!(one.list_auth_keys(None, None).await.expect("keys").len(), 1);
    assert_eq!(one.list_roles().await.expect("roles").len(), 6);
    two.close().await;
}
contract_test!(racing_bootstraps_create_one_admin => sqlite_concurrency_racing_bootstraps_create_one_admin, postgres_concurrency_racing_bootstraps_create_one_admin, with_url);

async fn racing_init_setting_agrees(one: Arc<dyn Store>, url: String) {
    let two = second_store(&url).await;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let store = if i % 2 == 0 {
            Arc::clone(&one)
        } else {
            Arc::clone(&two)
        };
        tasks.push(tokio::spawn(async move {
            store
                .init_setting("jwt_secret", &format!("value {i}"))
                .await
        }));
    }
    let mut values = Vec::new();
    for t in tasks {
        values.push(
            t.await
                .expect("task")
                .expect("init_setting must not fail when racing"),
        );
    }
    let stored = one
        .get_setting("jwt_secret")
        .await
        .expect("get")
        .expect("set");
    assert!(
        values.iter().all(|v| *v == stored),
        "every racer sees the winner {stored:?}: {values:?}"
    );
    two.close().await;
}
contract_test!(racing_init_setting_agrees => sqlite_concurrency_racing_init_setting_agrees, postgres_concurrency_racing_init_setting_agrees, with_url);
