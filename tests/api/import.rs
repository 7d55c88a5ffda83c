//! `cydef import`: MISP feed directories and event files straight into the
//! database, run as the real binary; a second run skips what is there.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use crate::helpers::{TestDb, ADMIN_KEY};

db_tests!(
    imports_a_feed_directory_and_skips_on_rerun,
    a_newer_file_updates_the_stored_event,
);

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
            &cydef_store::Viewer {
                org_id: 1,
                site_admin: true,
                sharing_groups: Default::default(),
            },
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

/// A feed pull: the same event again with a newer timestamp is merged into
/// the stored one (MISP's edit rules); the same timestamp is skipped.
async fn a_newer_file_updates_the_stored_event(db: Arc<TestDb>) {
    let dir = db.data_dir("import-update");
    let feed = shared("feeds/circl-osint-sample");
    let manifest: serde_json::Map<String, serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(feed.join("manifest.json")).expect("manifest"),
    )
    .expect("manifest JSON");
    let read = |path: &std::path::Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(path).expect("event file")).expect("JSON")
    };
    let uuid = manifest
        .keys()
        .find(|u| {
            read(&feed.join(format!("{u}.json")))["Event"]["Attribute"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        })
        .expect("an event with attributes in the feed")
        .clone();
    let original = feed.join(format!("{uuid}.json"));
    let (ok, stdout) = import(&db, &dir, std::slice::from_ref(&original));
    assert!(ok && stdout.contains("created 1 events"), "{stdout}");

    let mut doc = read(&original);
    let event = &mut doc["Event"];
    let stamp: i64 = match &event["timestamp"] {
        serde_json::Value::String(s) => s.parse().expect("timestamp"),
        v => v.as_i64().expect("timestamp"),
    };
    let count = event["Attribute"].as_array().map_or(0, Vec::len);
    event["timestamp"] = serde_json::json!((stamp + 100).to_string());
    event["info"] = serde_json::json!("updated by a newer feed copy");
    event["Attribute"]
        .as_array_mut()
        .expect("attributes")
        .push(serde_json::json!({"type": "domain", "value": "newer-copy.example", "timestamp": stamp + 100}));
    let newer = dir.join("newer.json");
    std::fs::write(&newer, serde_json::to_vec(&doc).expect("json")).expect("write");

    let (ok, stdout) = import(&db, &dir, std::slice::from_ref(&newer));
    assert!(ok, "{stdout}");
    assert!(stdout.contains("updated 1,"), "{stdout}");
    let (ok, stdout) = import(&db, &dir, std::slice::from_ref(&newer));
    assert!(ok, "{stdout}");
    assert!(
        stdout.contains("updated 0,") && stdout.contains("skipped 1 already present"),
        "{stdout}"
    );

    let store = cydef_store::connect(&db.url).await.expect("store");
    let parsed = uuid::Uuid::parse_str(&uuid).expect("uuid");
    let stored = store
        .find_event(cydef_model::EntityRef::Uuid(parsed))
        .await
        .expect("the event");
    assert_eq!(stored.info, "updated by a newer feed copy");
    assert_eq!(stored.timestamp, stamp + 100);
    let contents = store.event_contents(stored.id).await.expect("contents");
    assert!(contents
        .attributes
        .iter()
        .any(|a| a.value1 == "newer-copy.example"));
    let top_level = contents
        .attributes
        .iter()
        .filter(|a| a.object_id.is_none())
        .count();
    assert_eq!(top_level, count + 1);
    store.close().await;
}
