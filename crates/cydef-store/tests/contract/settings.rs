//! Instance-wide settings.

use std::sync::Arc;

use cydef_store::Store;

async fn init_keeps_first(store: Arc<dyn Store>) {
    assert_eq!(store.get_setting("jwt_secret").await.expect("get"), None);
    assert_eq!(
        store
            .init_setting("jwt_secret", "first")
            .await
            .expect("init"),
        "first"
    );
    assert_eq!(
        store
            .init_setting("jwt_secret", "second")
            .await
            .expect("init again"),
        "first"
    );
    assert_eq!(
        store.get_setting("jwt_secret").await.expect("get"),
        Some("first".to_owned())
    );

    // Settings are independent of each other.
    assert_eq!(store.get_setting("other").await.expect("get"), None);
    assert_eq!(store.init_setting("other", "x").await.expect("init"), "x");
    assert_eq!(
        store.get_setting("jwt_secret").await.expect("get"),
        Some("first".to_owned())
    );

    // Arbitrary text values survive: long, empty, Unicode, quotes.
    let long = "é".repeat(10_000);
    assert_eq!(store.init_setting("long", &long).await.expect("init"), long);
    assert_eq!(store.init_setting("empty", "").await.expect("init"), "");
    assert_eq!(
        store.get_setting("empty").await.expect("get"),
        Some(String::new())
    );
    let odd = "it's \"quoted\"; DROP TABLE users; -- 🔑";
    assert_eq!(store.init_setting("odd", odd).await.expect("init"), odd);
    assert_eq!(
        store.get_setting("odd").await.expect("get").as_deref(),
        Some(odd)
    );
    assert_eq!(
        store.get_setting("JWT_SECRET").await.expect("get"),
        None,
        "names are case-sensitive"
    );
}
contract_test!(init_keeps_first => sqlite_settings_init_keeps_first, postgres_settings_init_keeps_first);
