//! `cydef import`: MISP feed directories and event files straight into the
//! database, run as the real binary; a second run skips what is there.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use crate::helpers::{TestDb, ADMIN_KEY};

db_tests!(imports_a_feed_directory_and_skips_on_rerun);

fn shared(sub: &str) -> PathBuf {
    let dir = std::env::var("CYDEF_SHARED_DATA").map_or_else(
        |_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
        PathBuf::from,
    );
    let path = dir.join(sub);
    assert!(
        path.exists(),
        "shared data missing: {} (set CYDEF_SHARED_DATA)",
        path.display()
    );
    path
}

fn import(db: &TestDb, data_dir: &std::path::Path, paths: &[PathBuf]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cydef"))
        .arg("import")
        .args(paths)
        .env("DATABASE_URL", &db.url)
        .env("CYDEF_DATA_DIR", data_dir)
        .env("CYDEF_ADMIN_KEY", ADMIN_KEY)
        .env("NO_COLOR", "1")
        .output()
        .expect("running cydef import");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

async fn imports_a_feed_directory_and_skips_on_rerun(db: Arc<TestDb>) {
    let dir = db.data_dir("import");
    let feed = shared("feeds/circl-osint-sample");
    let manifest: serde_json::Map<String, serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(feed.join("manifest.json")).expect("manifest"),
    )
    .expect("manifest JSON");
    let large = shared("events/large/chrome-mal-ids-misp-export.json");

    let (ok, stdout) = import(&db, &dir, &[feed.clone(), large]);
    assert!(ok, "{stdout}");
    let want = format!("created {} events", manifest.len() + 1);
    assert!(stdout.contains(&want), "expected '{want}' in: {stdout}");
    assert!(stdout.contains("0 failed"), "{stdout}");

    let (ok, stdout) = import(&db, &dir, &[feed]);
    assert!(ok, "{stdout}");
    assert!(stdout.contains("created 0 events"), "{stdout}");
    assert!(
        stdout.contains(&format!("skipped {} already present", manifest.len())),
        "{stdout}"
    );

    // What was imported is served: the large event with its 5,050 attributes.
    let store = cydef_store::connect(&db.url).await.expect("store");
    let events = store
        .list_events(
            cydef_store::Page {
                limit: 100,
                page: 1,
            },
            None,
        )
        .await
        .expect("events");
    assert_eq!(events.len(), manifest.len() + 1);
    assert!(
        events.iter().any(|e| e.attribute_count == 5050),
        "the large event"
    );
    store.close().await;
}
