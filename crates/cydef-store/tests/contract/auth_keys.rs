//! API keys.

use std::sync::Arc;

use cydef_model::role::ids;
use cydef_model::{ApiKey, AuthKey, NewAuthKey};
use cydef_store::{AuthKeyPatch, Store};
use ipnet::IpNet;

use crate::fixtures::{
    assert_invalid_ref, assert_not_found, assert_recent, create_org, create_user, new_key, seed,
    ADMIN_EMAIL,
};

fn nets(items: &[&str]) -> Vec<IpNet> {
    items
        .iter()
        .map(|s| s.parse().expect("valid CIDR"))
        .collect()
}

async fn create_and_find(store: Arc<dyn Store>) {
    let seed = seed(&store).await;
    let user = create_user(&store, seed.admin_org_id, ids::USER, "keys@example.test").await;
    let secret = ApiKey::generate();
    let req = NewAuthKey {
        user_id: user,
        expiration: 2_000_000_000,
        read_only: true,
        comment: "CI pipeline — ключ".to_owned(),
        allowed_ips: nets(&["10.0.0.0/8", "192.0.2.1/32", "2001:db8::/32", "::1/128"]),
    };
    let key = store
        .create_auth_key(&req, &secret)
        .await
        .expect("create key");
    assert!(key.id > 0);
    assert!(
        uuid::Uuid::parse_str(&key.uuid).is_ok(),
        "key uuid {} is a UUID",
        key.uuid
    );
    assert_eq!(key.user_id, user);
    assert_eq!(key.authkey_start, secret.start());
    assert_eq!(key.authkey_end, secret.end());
    assert!(secret.matches(&key.authkey_hash));
    assert_ne!(key.authkey_hash, secret.expose());
    assert_eq!(key.expiration, 2_000_000_000);
    assert!(key.read_only);
    assert_eq!(key.comment, req.comment);
    assert_eq!(key.allowed_ips, req.allowed_ips);
    assert_eq!(key.last_used, None);
    assert_recent(key.created, "key.created");
    assert!(key.allows_ip("10.1.2.3".parse().expect("ip")));
    assert!(key.allows_ip("2001:db8::42".parse().expect("ip")));
    assert!(!key.allows_ip("192.0.2.2".parse().expect("ip")));

    assert_eq!(store.get_auth_key(key.id).await.expect("get"), key);
    let found = store
        .find_auth_keys(secret.start(), secret.end())
        .await
        .expect("find");
    assert_eq!(found, vec![key.clone()]);
    let wrong_end = if secret.end() == "zzzz" {
        "yyyy"
    } else {
        "zzzz"
    };
    assert!(store
        .find_auth_keys(secret.start(), wrong_end)
        .await
        .expect("find")
        .is_empty());
    assert_not_found(store.get_auth_key(9999).await);

    // Two keys sharing start and end are both returned; the hash tells them apart.
    let twin = ApiKey::parse(&format!(
        "{}{}{}",
        secret.start(),
        "0".repeat(32),
        secret.end()
    ))
    .expect("valid key");
    let twin_key = store
        .create_auth_key(&new_key(user, "twin"), &twin)
        .await
        .expect("twin");
    let found = store
        .find_auth_keys(secret.start(), secret.end())
        .await
        .expect("find");
    assert_eq!(found.len(), 2);
    let matching: Vec<&AuthKey> = found
        .iter()
        .filter(|k| twin.matches(&k.authkey_hash))
        .collect();
    assert_eq!(matching, vec![&twin_key]);
}
contract_test!(create_and_find => sqlite_auth_keys_create_and_find, postgres_auth_keys_create_and_find);

async fn list_filters(store: Arc<dyn Store>) {
    let seed = seed(&store).await;
    let org_a = create_org(&store, "A").await;
    let org_b = create_org(&store, "B").await;
    let a1 = create_user(&store, org_a, ids::USER, "a1@a.test").await;
    let b1 = create_user(&store, org_b, ids::USER, "b1@b.test").await;
    let ka1 = store
        .create_auth_key(&new_key(a1, "a1 #1"), &ApiKey::generate())
        .await
        .expect("key");
    let kb1 = store
        .create_auth_key(&new_key(b1, "b1 #1"), &ApiKey::generate())
        .await
        .expect("key");
    let ka2 = store
        .create_auth_key(&new_key(a1, "a1 #2"), &ApiKey::generate())
        .await
        .expect("key");

    let summary = |list: Vec<(AuthKey, String)>| {
        list.into_iter()
            .map(|(k, email)| (k.id, k.comment, email))
            .collect::<Vec<_>>()
    };
    let all = store.list_auth_keys(None, None).await.expect("all");
    assert_eq!(all.len(), 4);
    assert!(seed.admin_key.matches(&all[0].0.authkey_hash));
    assert_eq!(all[0].1, ADMIN_EMAIL);
    assert_eq!(
        summary(all[1..].to_vec()),
        vec![
            (ka1.id, "a1 #1".to_owned(), "a1@a.test".to_owned()),
            (kb1.id, "b1 #1".to_owned(), "b1@b.test".to_owned()),
            (ka2.id, "a1 #2".to_owned(), "a1@a.test".to_owned()),
        ],
        "ordered by id, with owner e-mail"
    );
    let by_org = store
        .list_auth_keys(Some(org_a), None)
        .await
        .expect("org a");
    assert_eq!(
        by_org,
        vec![
            (ka1.clone(), "a1@a.test".to_owned()),
            (ka2.clone(), "a1@a.test".to_owned())
        ]
    );
    let by_user = store.list_auth_keys(None, Some(b1)).await.expect("user b1");
    assert_eq!(by_user, vec![(kb1.clone(), "b1@b.test".to_owned())]);
    let both = store
        .list_auth_keys(Some(org_b), Some(b1))
        .await
        .expect("org b, user b1");
    assert_eq!(
        summary(both),
        vec![(kb1.id, "b1 #1".to_owned(), "b1@b.test".to_owned())]
    );
    assert!(store
        .list_auth_keys(Some(org_a), Some(b1))
        .await
        .expect("mismatch")
        .is_empty());
    assert!(store
        .list_auth_keys(Some(9999), None)
        .await
        .expect("no org")
        .is_empty());
    assert!(store
        .list_auth_keys(None, Some(9999))
        .await
        .expect("no user")
        .is_empty());
}
contract_test!(list_filters => sqlite_auth_keys_list_filters, postgres_auth_keys_list_filters);

async fn update_patch(store: Arc<dyn Store>) {
    let seed = seed(&store).await;
    let secret = ApiKey::generate();
    let key = store
        .create_auth_key(&new_key(seed.admin_user_id, "original"), &secret)
        .await
        .expect("create");

    // An empty patch changes nothing.
    let same = store
        .update_auth_key(key.id, &AuthKeyPatch::default())
        .await
        .expect("empty patch");
    assert_eq!(same, key);

    // Only the comment.
    let patched = store
        .update_auth_key(
            key.id,
            &AuthKeyPatch {
                comment: Some("renamed".into()),
                ..Default::default()
            },
        )
        .await
        .expect("patch comment");
    assert_eq!(
        patched,
        AuthKey {
            comment: "renamed".into(),
            ..key.clone()
        }
    );

    // Expiration, read-only and allowed IPs (v4 and v6 CIDRs).
    let ips = nets(&[
        "198.51.100.0/24",
        "203.0.113.7/32",
        "2001:db8:abcd::/48",
        "fe80::/10",
    ]);
    let patch = AuthKeyPatch {
        comment: None,
        expiration: Some(1_900_000_000),
        read_only: Some(true),
        allowed_ips: Some(ips.clone()),
    };
    let patched = store.update_auth_key(key.id, &patch).await.expect("patch");
    let expected = AuthKey {
        comment: "renamed".into(),
        expiration: 1_900_000_000,
        read_only: true,
        allowed_ips: ips.clone(),
        ..key.clone()
    };
    assert_eq!(patched, expected);
    assert_eq!(store.get_auth_key(key.id).await.expect("get"), expected);
    let text: Vec<String> = patched
        .allowed_ips
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        text,
        vec![
            "198.51.100.0/24",
            "203.0.113.7/32",
            "2001:db8:abcd::/48",
            "fe80::/10"
        ]
    );

    // Back: read-write, no expiry, any address. Hash and owner never change.
    let patch = AuthKeyPatch {
        comment: Some(String::new()),
        expiration: Some(0),
        read_only: Some(false),
        allowed_ips: Some(Vec::new()),
    };
    let patched = store
        .update_auth_key(key.id, &patch)
        .await
        .expect("patch back");
    assert_eq!(
        patched,
        AuthKey {
            comment: String::new(),
            ..key.clone()
        }
    );
    assert!(secret.matches(&patched.authkey_hash));

    assert_not_found(store.update_auth_key(9999, &AuthKeyPatch::default()).await);
}
contract_test!(update_patch => sqlite_auth_keys_update_patch, postgres_auth_keys_update_patch);

async fn delete_and_touch(store: Arc<dyn Store>) {
    let seed = seed(&store).await;
    let secret = ApiKey::generate();
    let key = store
        .create_auth_key(&new_key(seed.admin_user_id, "temp"), &secret)
        .await
        .expect("create");

    store
        .touch_auth_key(key.id, 1_700_000_321)
        .await
        .expect("touch");
    let touched = store.get_auth_key(key.id).await.expect("get");
    assert_eq!(touched.last_used, Some(1_700_000_321));
    assert_eq!(
        touched,
        AuthKey {
            last_used: Some(1_700_000_321),
            ..key.clone()
        }
    );
    store
        .touch_auth_key(key.id, 1_700_000_999)
        .await
        .expect("touch again");
    assert_eq!(
        store.get_auth_key(key.id).await.expect("get").last_used,
        Some(1_700_000_999)
    );

    store.delete_auth_key(key.id).await.expect("delete");
    assert_not_found(store.get_auth_key(key.id).await);
    assert!(store
        .find_auth_keys(secret.start(), secret.end())
        .await
        .expect("find")
        .is_empty());
    assert_not_found(store.delete_auth_key(key.id).await);
    // The admin's own key is still there.
    let rest = store.list_auth_keys(None, None).await.expect("list");
    assert_eq!(rest.len(), 1);
    assert!(seed.admin_key.matches(&rest[0].0.authkey_hash));
}
contract_test!(delete_and_touch => sqlite_auth_keys_delete_and_touch, postgres_auth_keys_delete_and_touch);

async fn missing_user_rejected(store: Arc<dyn Store>) {
    seed(&store).await;
    let secret = ApiKey::generate();
    let result = store
        .create_auth_key(&new_key(9999, "orphan"), &secret)
        .await;
    assert_invalid_ref(result, "user_id");
    assert!(store
        .find_auth_keys(secret.start(), secret.end())
        .await
        .expect("find")
        .is_empty());
    assert_eq!(
        store.list_auth_keys(None, None).await.expect("list").len(),
        1
    );
}
contract_test!(missing_user_rejected => sqlite_auth_keys_missing_user_rejected, postgres_auth_keys_missing_user_rejected);
