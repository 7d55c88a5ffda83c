//! Users.

use std::sync::Arc;

use cydef_model::role::ids;
use cydef_model::{ApiKey, NewUser};
use cydef_store::Store;

use crate::fixtures::{
    assert_conflict, assert_invalid_ref, assert_not_found, assert_recent, create_org, create_user,
    new_key, new_user, seed,
};

fn full_user(org_id: i64, invited_by: i64) -> NewUser {
    NewUser {
        org_id,
        role_id: ids::PUBLISHER,
        email: "alice@example.test".to_owned(),
        disabled: false,
        autoalert: true,
        contactalert: true,
        termsaccepted: true,
        change_pw: true,
        invited_by,
        gpgkey: "-----BEGIN PGP PUBLIC KEY BLOCK-----\n…".to_owned(),
        certif_public: "-----BEGIN CERTIFICATE-----".to_owned(),
        nids_sid: 4_000_123,
        expiration: Some(2_000_000_000),
        notification_daily: true,
        notification_weekly: false,
        notification_monthly: true,
        password_hash: Some("$argon2id$first".to_owned()),
    }
}

async fn create_and_get(store: Arc<dyn Store>) {
    let seed = seed(&store).await;
    let req = full_user(seed.admin_org_id, seed.admin_user_id);
    let user = store.create_user(&req).await.expect("create user");
    assert!(user.id > seed.admin_user_id);
    assert_eq!(user.org_id, req.org_id);
    assert_eq!(user.role_id, ids::PUBLISHER);
    assert_eq!(user.email, req.email);
    assert!(!user.disabled);
    assert!(user.autoalert);
    assert!(user.contactalert);
    assert!(user.termsaccepted);
    assert!(user.change_pw);
    assert_eq!(user.invited_by, seed.admin_user_id);
    assert_eq!(user.gpgkey, req.gpgkey);
    assert_eq!(user.certif_public, req.certif_public);
    assert_eq!(user.nids_sid, 4_000_123);
    assert_eq!(user.expiration, Some(2_000_000_000));
    assert!(user.notification_daily);
    assert!(!user.notification_weekly);
    assert!(user.notification_monthly);
    assert_eq!(user.newsread, 0);
    assert_eq!(user.current_login, 0);
    assert_eq!(user.last_login, 0);
    assert_eq!(user.last_api_access, 0);
    assert!(!user.force_logout);
    assert_recent(user.date_created, "date_created");
    assert_eq!(user.date_modified, user.date_created);
    assert_eq!(user.last_pw_change, user.date_created);
    assert_eq!(store.get_user(user.id).await.expect("get user"), user);
    assert_not_found(store.get_user(9999).await);

    // Defaults: no password, no expiration.
    let plain = store
        .create_user(&new_user(
            seed.admin_org_id,
            ids::READ_ONLY,
            "bob@example.test",
        ))
        .await
        .expect("create minimal user");
    assert_eq!(plain.expiration, None);
    assert_eq!(plain.role_id, ids::READ_ONLY);
    let (_, hash) = store
        .get_user_by_email("bob@example.test")
        .await
        .expect("get")
        .expect("bob exists");
    assert_eq!(hash, None);
}
contract_test!(create_and_get => sqlite_users_create_and_get, postgres_users_create_and_get);

async fn duplicate_email_conflicts(store: Arc<dyn Store>) {
    let seed = seed(&store).await;
    create_user(&store, seed.admin_org_id, ids::USER, "dup@example.test").await;
    assert_conflict(
        store
            .create_user(&new_user(seed.admin_org_id, ids::USER, "dup@example.test"))
            .await,
        "email",
    );
    assert_conflict(
        store
            .create_user(&new_user(seed.admin_org_id, ids::USER, "admin@admin.test"))
            .await,
        "email",
    );
    let other = create_user(&store, seed.admin_org_id, ids::USER, "other@example.test").await;
    assert_conflict(
        store
            .update_user(
                other,
                &new_user(seed.admin_org_id, ids::USER, "dup@example.test"),
            )
            .await,
        "email",
    );
    assert_eq!(store.list_users(None).await.expect("list").len(), 3);
    assert_eq!(
        store.get_user(other).await.expect("get").email,
        "other@example.test"
    );
}
contract_test!(duplicate_email_conflicts => sqlite_users_duplicate_email_conflicts, postgres_users_duplicate_email_conflicts);

async fn invalid_references(store: Arc<dyn Store>) {
    let seed = seed(&store).await;
    assert_invalid_ref(
        store
            .create_user(&new_user(9999, ids::USER, "noorg@example.test"))
            .await,
        "org_id",
    );
    assert_invalid_ref(
        store
            .create_user(&new_user(seed.admin_org_id, 9999, "norole@example.test"))
            .await,
        "role_id",
    );
    assert_eq!(
        store.list_users(None).await.expect("list").len(),
        1,
        "nothing stored"
    );
    assert!(store
        .get_user_by_email("noorg@example.test")
        .await
        .expect("get")
        .is_none());
    assert!(store
        .get_user_by_email("norole@example.test")
        .await
        .expect("get")
        .is_none());

    let user = create_user(&store, seed.admin_org_id, ids::USER, "carol@example.test").await;
    assert_invalid_ref(
        store
            .update_user(user, &new_user(9999, ids::USER, "carol@example.test"))
            .await,
        "org_id",
    );
    assert_invalid_ref(
        store
            .update_user(
                user,
                &new_user(seed.admin_org_id, 9999, "carol@example.test"),
            )
            .await,
        "role_id",
    );
    let unchanged = store.get_user(user).await.expect("get");
    assert_eq!(
        (unchanged.org_id, unchanged.role_id),
        (seed.admin_org_id, ids::USER)
    );
}
contract_test!(invalid_references => sqlite_users_invalid_references, postgres_users_invalid_references);

async fn get_by_email_case_insensitive(store: Arc<dyn Store>) {
    let seed = seed(&store).await;
    let mut req = new_user(seed.admin_org_id, ids::USER, "dave@example.test");
    req.password_hash = Some("$argon2id$dave".to_owned());
    let dave = store.create_user(&req).await.expect("create");
    for spelling in [
        "dave@example.test",
        "DAVE@Example.TEST",
        "  Dave@example.test ",
    ] {
        let (user, hash) = store
            .get_user_by_email(spelling)
            .await
            .expect("get by email")
            .unwrap_or_else(|| panic!("{spelling:?} should find dave"));
        assert_eq!(user, dave);
        assert_eq!(hash.as_deref(), Some("$argon2id$dave"));
    }
    assert!(store
        .get_user_by_email("nobody@example.test")
        .await
        .expect("get")
        .is_none());
    assert!(store
        .get_user_by_email("dave@example")
        .await
        .expect("get")
        .is_none());
}
contract_test!(get_by_email_case_insensitive => sqlite_users_get_by_email_case_insensitive, postgres_users_get_by_email_case_insensitive);

async fn update_password_semantics(store: Arc<dyn Store>) {
    let seed = seed(&store).await;
    let other_org = create_org(&store, "Other Org").await;
    let created = store
        .create_user(&full_user(seed.admin_org_id, seed.admin_user_id))
        .await
        .expect("create");

    // password_hash None: every other field replaced, the hash kept.
    let change = NewUser {
        org_id: other_org,
        role_id: ids::READ_ONLY,
        email: "alice.new@example.test".to_owned(),
        disabled: true,
        autoalert: false,
        contactalert: false,
        termsaccepted: false,
        change_pw: false,
        invited_by: 0,
        gpgkey: String::new(),
        certif_public: String::new(),
        nids_sid: 7,
        expiration: None,
        notification_daily: false,
        notification_weekly: true,
        notification_monthly: false,
        password_hash: None,
    };
    let updated = store
        .update_user(created.id, &change)
        .await
        .expect("update");
    assert_eq!(updated.id, created.id);
    assert_eq!(updated.org_id, other_org);
    assert_eq!(updated.role_id, ids::READ_ONLY);
    assert_eq!(updated.email, "alice.new@example.test");
    assert!(updated.disabled);
    assert!(!updated.autoalert);
    assert!(!updated.termsaccepted);
    assert!(!updated.change_pw);
    assert_eq!(updated.gpgkey, "");
    assert_eq!(updated.nids_sid, 7);
    assert_eq!(updated.expiration, None);
    assert!(updated.notification_weekly);
    assert!(!updated.notification_daily);
    assert_eq!(updated.date_created, created.date_created);
    assert!(updated.date_modified >= created.date_modified);
    assert_eq!(
        updated.last_pw_change, created.last_pw_change,
        "no password change"
    );
    assert_eq!(store.get_user(created.id).await.expect("get"), updated);
    let (_, hash) = store
        .get_user_by_email("alice.new@example.test")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(
        hash.as_deref(),
        Some("$argon2id$first"),
        "None keeps the stored hash"
    );
    assert!(store
        .get_user_by_email("alice@example.test")
        .await
        .expect("get")
        .is_none());

    // password_hash Some: replaced.
    let with_pw = NewUser {
        password_hash: Some("$argon2id$second".to_owned()),
        ..change.clone()
    };
    let updated2 = store
        .update_user(created.id, &with_pw)
        .await
        .expect("update password");
    assert!(updated2.last_pw_change >= updated.last_pw_change);
    let (_, hash) = store
        .get_user_by_email("alice.new@example.test")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(hash.as_deref(), Some("$argon2id$second"));

    assert_not_found(store.update_user(9999, &change).await);
}
contract_test!(update_password_semantics => sqlite_users_update_password_semantics, postgres_users_update_password_semantics);

async fn list_filtered_by_org(store: Arc<dyn Store>) {
    let seed = seed(&store).await;
    let org_a = create_org(&store, "A").await;
    let org_b = create_org(&store, "B").await;
    let a1 = create_user(&store, org_a, ids::USER, "a1@a.test").await;
    let b1 = create_user(&store, org_b, ids::USER, "b1@b.test").await;
    let a2 = create_user(&store, org_a, ids::ORG_ADMIN, "a2@a.test").await;

    let ids_of =
        |users: Vec<cydef_model::User>| users.into_iter().map(|u| u.id).collect::<Vec<_>>();
    assert_eq!(
        ids_of(store.list_users(None).await.expect("all")),
        vec![seed.admin_user_id, a1, b1, a2],
        "all users, ordered by id"
    );
    assert_eq!(
        ids_of(store.list_users(Some(org_a)).await.expect("org a")),
        vec![a1, a2]
    );
    assert_eq!(
        ids_of(store.list_users(Some(org_b)).await.expect("org b")),
        vec![b1]
    );
    assert_eq!(
        ids_of(
            store
                .list_users(Some(seed.admin_org_id))
                .await
                .expect("admin org")
        ),
        vec![seed.admin_user_id]
    );
    assert!(store.list_users(Some(9999)).await.expect("none").is_empty());
    let listed = store.list_users(Some(org_a)).await.expect("org a");
    assert_eq!(listed[0], store.get_user(a1).await.expect("get"));
}
contract_test!(list_filtered_by_org => sqlite_users_list_filtered_by_org, postgres_users_list_filtered_by_org);

async fn delete_removes_keys(store: Arc<dyn Store>) {
    let seed = seed(&store).await;
    let user = create_user(&store, seed.admin_org_id, ids::USER, "gone@example.test").await;
    let k1 = ApiKey::generate();
    let k2 = ApiKey::generate();
    let key1 = store
        .create_auth_key(&new_key(user, "one"), &k1)
        .await
        .expect("key 1");
    let key2 = store
        .create_auth_key(&new_key(user, "two"), &k2)
        .await
        .expect("key 2");
    assert_eq!(
        store
            .list_auth_keys(None, Some(user))
            .await
            .expect("list")
            .len(),
        2
    );

    store.delete_user(user).await.expect("delete user");
    assert_not_found(store.get_user(user).await);
    assert!(store
        .get_user_by_email("gone@example.test")
        .await
        .expect("get")
        .is_none());
    assert_not_found(store.get_auth_key(key1.id).await);
    assert_not_found(store.get_auth_key(key2.id).await);
    assert!(store
        .find_auth_keys(k1.start(), k1.end())
        .await
        .expect("find")
        .is_empty());
    assert!(store
        .find_auth_keys(k2.start(), k2.end())
        .await
        .expect("find")
        .is_empty());
    assert!(store
        .list_auth_keys(None, Some(user))
        .await
        .expect("list")
        .is_empty());

    // The admin and its key are untouched.
    let remaining = store.list_auth_keys(None, None).await.expect("list");
    assert_eq!(remaining.len(), 1);
    assert!(seed.admin_key.matches(&remaining[0].0.authkey_hash));
    assert_eq!(store.list_users(None).await.expect("list").len(), 1);

    assert_not_found(store.delete_user(user).await);
}
contract_test!(delete_removes_keys => sqlite_users_delete_removes_keys, postgres_users_delete_removes_keys);

async fn touch_api_access(store: Arc<dyn Store>) {
    let seed = seed(&store).await;
    store
        .touch_user_api_access(seed.admin_user_id, 1_700_000_123)
        .await
        .expect("touch");
    assert_eq!(
        store
            .get_user(seed.admin_user_id)
            .await
            .expect("get")
            .last_api_access,
        1_700_000_123
    );
}
contract_test!(touch_api_access => sqlite_users_touch_api_access, postgres_users_touch_api_access);

async fn create_with_key_is_atomic(store: Arc<dyn Store>) {
    let seed = seed(&store).await;
    let key = ApiKey::generate();
    let user = store
        .create_user_with_key(&full_user(seed.admin_org_id, seed.admin_user_id), &key)
        .await
        .expect("create user with key");
    let found = store
        .find_auth_keys(key.start(), key.end())
        .await
        .expect("find key");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].user_id, user.id);
    assert!(key.matches(&found[0].authkey_hash));

    // A failing user insert leaves no key behind.
    let other = ApiKey::generate();
    let duplicate = store
        .create_user_with_key(&full_user(seed.admin_org_id, seed.admin_user_id), &other)
        .await;
    assert_conflict(duplicate, "email");
    assert!(store
        .find_auth_keys(other.start(), other.end())
        .await
        .expect("find key")
        .is_empty());
}
contract_test!(create_with_key_is_atomic => sqlite_users_create_with_key_is_atomic, postgres_users_create_with_key_is_atomic);
