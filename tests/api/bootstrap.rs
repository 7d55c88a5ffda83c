//! First start: the generated admin key, its file, and restarts that change nothing.

use std::sync::Arc;

use crate::helpers::{client, spawn_server, Backend, Resp, TestDb, ADMIN_KEY, AUTH_FAILED};

db_tests!(
    first_start_generates_the_admin_key,
    concurrent_first_starts_bootstrap_once,
);

async fn get(base: &str, path: &str, key: &str) -> Resp {
    let r = client()
        .get(format!("{base}{path}"))
        .header("Authorization", key)
        .send()
        .await
        .expect("sending the request");
    Resp::read(r).await
}

async fn first_start_generates_the_admin_key(db: Arc<TestDb>) {
    let dir = db.data_dir("first");
    let server = spawn_server(&db.config_in(&dir, None)).await;
    let key = server
        .generated_admin_key
        .clone()
        .expect("a first start without CYDEF_ADMIN_KEY generates a key");
    assert_eq!(key.len(), 40, "{key}");
    assert!(key.bytes().all(|b| b.is_ascii_alphanumeric()), "{key}");
    let file = dir.join(cydef::ADMIN_KEY_FILE);
    let contents = std::fs::read_to_string(&file).expect("the admin.key file exists");
    assert_eq!(contents.trim(), key);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "admin.key must be readable by its owner only"
        );
    }
    let r = get(&server.base, "/users/view/me", &key).await;
    let me = r.expect(200);
    assert_eq!(me["User"]["email"], "admin@admin.test", "{r}");
    assert_eq!(me["Role"]["perm_site_admin"], true, "{r}");
    assert_eq!(me["Organisation"]["name"], "ORGNAME", "{r}");
    server.stop().await;

    // A restart on the same database and data directory changes nothing.
    let server = spawn_server(&db.config_in(&dir, None)).await;
    assert_eq!(server.generated_admin_key, None, "no new key on a restart");
    let contents = std::fs::read_to_string(&file).expect("admin.key");
    assert_eq!(contents.trim(), key, "admin.key is unchanged");
    let r = get(&server.base, "/admin/users/index", &key).await;
    assert_eq!(
        r.expect(200).as_array().map(Vec::len),
        Some(1),
        "still one user: {r}"
    );
    server.stop().await;

    // Nor does a start from another data directory, even with a CYDEF_ADMIN_KEY.
    let other = db.data_dir("second");
    let server = spawn_server(&db.config_in(&other, Some(ADMIN_KEY))).await;
    assert_eq!(server.generated_admin_key, None);
    assert!(
        !other.join(cydef::ADMIN_KEY_FILE).exists(),
        "no admin.key written"
    );
    let r = get(&server.base, "/servers/getVersion", ADMIN_KEY).await;
    r.expect_error(403, AUTH_FAILED, "/servers/getVersion");
    let r = get(&server.base, "/admin/users/index", &key).await;
    assert_eq!(
        r.expect(200).as_array().map(Vec::len),
        Some(1),
        "still one user: {r}"
    );
    let r = get(&server.base, "/roles/index", &key).await;
    assert_eq!(r.expect(200).as_array().map(Vec::len), Some(6), "{r}");
    let r = get(&server.base, "/organisations/index/scope:all", &key).await;
    assert_eq!(r.expect(200).as_array().map(Vec::len), Some(1), "{r}");
    let r = get(&server.base, "/auth_keys/index", &key).await;
    assert_eq!(r.expect(200).as_array().map(Vec::len), Some(1), "{r}");
    server.stop().await;
}

async fn concurrent_first_starts_bootstrap_once(db: Arc<TestDb>) {
    let (a, b) = (db.data_dir("a"), db.data_dir("b"));
    let (ca, cb) = (db.config_in(&a, None), db.config_in(&b, None));
    let (sa, sb) = if db.backend == Backend::Sqlite {
        // Two processes migrating one new SQLite file at once race (sqlx takes
        // no lock on SQLite), so SQLite nodes start one after the other.
        eprintln!("SQLite: starting the second server after the first");
        let sa = spawn_server(&ca).await;
        (sa, spawn_server(&cb).await)
    } else {
        tokio::join!(spawn_server(&ca), spawn_server(&cb))
    };
    let keys: Vec<String> = [&sa, &sb]
        .iter()
        .filter_map(|s| s.generated_admin_key.clone())
        .collect();
    assert_eq!(keys.len(), 1, "exactly one start bootstraps: {keys:?}");
    for server in [&sa, &sb] {
        let r = get(&server.base, "/admin/users/index", &keys[0]).await;
        assert_eq!(r.expect(200).as_array().map(Vec::len), Some(1), "{r}");
        let r = get(&server.base, "/roles/index", &keys[0]).await;
        assert_eq!(r.expect(200).as_array().map(Vec::len), Some(6), "{r}");
    }
    sa.stop().await;
    sb.stop().await;
}
