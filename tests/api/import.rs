//! `cydef import`: MISP feed directories and event files straight into the
//! database, run as the real binary; a second run skips what is there.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use cydef_model::sharing_group::NewSharingGroup;
use serde_json::{json, Value};

use crate::helpers::{TestDb, ADMIN_KEY};

db_tests!(
    nothing_to_import_is_said,
    imports_a_feed_directory_and_skips_on_rerun,
    a_newer_file_updates_the_stored_event,
    sharing_groups_are_checked_as_for_the_api,
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
    let (ok, stdout, _) = run_import(db, data_dir, paths);
    (ok, stdout)
}

/// Runs `cydef import`: whether it succeeded, its stdout (the summary) and
/// stderr (each failed file with the reason).
pub(crate) fn run_import(
    db: &TestDb,
    data_dir: &std::path::Path,
    paths: &[PathBuf],
) -> (bool, String, String) {
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
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A directory with no manifest and no event files is said in a warning,
/// not a quiet "created 0"; `import --help` is the usage, not a path.
async fn nothing_to_import_is_said(db: Arc<TestDb>) {
    let dir = db.data_dir("import-empty");
    let empty = dir.join("no-events-here");
    std::fs::create_dir_all(&empty).expect("a directory");
    std::fs::write(empty.join("README.txt"), "not an event").expect("a file");
    let (ok, stdout, stderr) = run_import(&db, &dir, std::slice::from_ref(&empty));
    assert!(ok && stdout.contains("created 0 events"), "{stdout}");
    assert!(
        stderr.contains("warning: ")
            && stderr.contains("has no manifest.json and no .json event files"),
        "{stderr}"
    );
    let (ok, stdout, _) = run_import(&db, &dir, &[PathBuf::from("--help")]);
    assert!(ok && stdout.contains("usage: cydef"), "{stdout}");
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

/// Bootstraps the database (an import of nothing) and makes a sharing group
/// of the site admin's organisation there; returns its id and UUID.
pub(crate) async fn local_group(db: &TestDb, dir: &std::path::Path) -> (i64, String) {
    let empty = dir.join("nothing");
    std::fs::create_dir_all(&empty).expect("an empty directory");
    let (ok, stdout, stderr) = run_import(db, dir, &[empty]);
    assert!(ok, "{stdout}{stderr}");
    let store = cydef_store::connect(&db.url).await.expect("store");
    let admin = store.list_users(None).await.expect("users").remove(0);
    let uuid = uuid::Uuid::new_v4().to_string();
    let id = store
        .create_sharing_group(
            &NewSharingGroup {
                uuid: Some(uuid.clone()),
                name: "local circle".into(),
                releasability: String::new(),
                description: String::new(),
                active: true,
                roaming: false,
            },
            cydef_store::SharingGroupOwner {
                org_id: admin.org_id,
                user_id: admin.id,
            },
            &[(admin.org_id, true)],
            &[(0, false)],
            1,
        )
        .await
        .expect("a sharing group");
    store.close().await;
    (id, uuid)
}

/// The importer is a site admin, with the API's rules (review finding: it
/// stored any group): a group that is not here, by id or by the embedded
/// `SharingGroup`'s UUID, or distribution 4 without a group, refuses the
/// file whole, with the reason; an embedded group that is here is used by
/// its local id.
async fn sharing_groups_are_checked_as_for_the_api(db: Arc<TestDb>) {
    const UNKNOWN_GROUP: &str = "3f1e6a52-0c4d-4b8e-9a7f-000000000001";
    const NO_GROUP: &str = "3f1e6a52-0c4d-4b8e-9a7f-000000000002";
    const UNKNOWN_UUID: &str = "3f1e6a52-0c4d-4b8e-9a7f-000000000003";
    const HALF_GOOD: &str = "3f1e6a52-0c4d-4b8e-9a7f-000000000004";
    const HALF_BAD: &str = "3f1e6a52-0c4d-4b8e-9a7f-000000000005";
    const BY_UUID: &str = "3f1e6a52-0c4d-4b8e-9a7f-000000000006";
    const REMOTE_GROUP: &str = "9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
    let dir = db.data_dir("import-sharing-groups");
    let (sg, sg_uuid) = local_group(&db, &dir).await;
    let write = |name: &str, doc: Value| -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, serde_json::to_vec(&doc).expect("json")).expect("write");
        path
    };
    let files = [
        write(
            "unknown-group.json",
            json!({"Event": {"uuid": UNKNOWN_GROUP, "info": "unknown group", "distribution": "1",
                "Attribute": [{"type": "domain", "value": "a.example",
                               "distribution": "4", "sharing_group_id": "99999"}]}}),
        ),
        write(
            "no-group.json",
            json!({"Event": {"uuid": NO_GROUP, "info": "no group", "distribution": "4"}}),
        ),
        write(
            "unknown-uuid.json",
            json!({"Event": {"uuid": UNKNOWN_UUID, "info": "unknown embedded group",
                "distribution": "4", "sharing_group_id": sg.to_string(),
                "SharingGroup": {"id": sg.to_string(), "name": "remote circle", "uuid": REMOTE_GROUP}}}),
        ),
        write(
            "half.json",
            json!({"response": [
                {"Event": {"uuid": HALF_GOOD, "info": "fine"}},
                {"Event": {"uuid": HALF_BAD, "info": "no group", "distribution": 4}}
            ]}),
        ),
        write(
            "by-uuid.json",
            json!({"Event": {"uuid": BY_UUID, "info": "local group by UUID",
                "distribution": "4", "sharing_group_id": "77",
                "SharingGroup": {"id": "77", "name": "circle", "uuid": sg_uuid.to_uppercase()},
                "Attribute": [{"type": "domain", "value": "d.example", "distribution": "4",
                               "sharing_group_id": "77", "SharingGroup": {"uuid": sg_uuid}}]}}),
        ),
    ];
    let (ok, stdout, stderr) = run_import(&db, &dir, &files);
    assert!(!ok, "{stdout}");
    assert!(
        stdout.contains("created 1 events") && stdout.contains("4 failed"),
        "{stdout}{stderr}"
    );
    let line = |file: &str| -> String {
        stderr
            .lines()
            .find(|l| l.contains(file))
            .unwrap_or_else(|| panic!("no line for {file} in {stderr}"))
            .to_owned()
    };
    const NOT_USABLE: &str =
        "sharing_group_id: Invalid sharing group or you don't have access to that sharing group.";
    const WITHOUT_GROUP: &str = "Event sharing_group_id: Sharing group chosen as the distribution \
        level, but no sharing group specified.";
    assert!(line("unknown-group.json").contains(&format!("Attribute[0] {NOT_USABLE}")));
    assert!(line("no-group.json").contains(WITHOUT_GROUP));
    assert!(line("unknown-uuid.json").contains(&format!("Event {NOT_USABLE}")));
    assert!(line("half.json").contains(WITHOUT_GROUP));

    let store = cydef_store::connect(&db.url).await.expect("store");
    let find = |u: &str| {
        let r = cydef_model::EntityRef::Uuid(uuid::Uuid::parse_str(u).expect("uuid"));
        let store = &store;
        async move { store.find_event(r).await }
    };
    // Nothing of a refused file is stored, not even its valid first event.
    for refused in [UNKNOWN_GROUP, NO_GROUP, UNKNOWN_UUID, HALF_GOOD, HALF_BAD] {
        assert!(
            matches!(find(refused).await, Err(cydef_store::StoreError::NotFound)),
            "{refused} was stored"
        );
    }
    // The embedded group is the local one, whatever id the source gave it.
    let event = find(BY_UUID).await.expect("the event");
    assert_eq!((event.distribution, event.sharing_group_id), (4, sg));
    let contents = store.event_contents(event.id).await.expect("contents");
    assert_eq!(contents.attributes[0].sharing_group_id, sg);

    // A newer copy that, merged into the stored event, names a group that is
    // not here (the attribute stays at distribution 4) does not update it.
    let newer = write(
        "by-uuid-newer.json",
        json!({"Event": {"uuid": BY_UUID, "info": "moved to a missing group",
            "timestamp": (event.timestamp + 100).to_string(),
            "distribution": "4", "sharing_group_id": sg.to_string(),
            "Attribute": [{"uuid": contents.attributes[0].uuid, "type": "domain",
                           "value": "d.example", "sharing_group_id": "99999"}]}}),
    );
    let (ok, stdout, stderr) = run_import(&db, &dir, &[newer]);
    assert!(!ok && stdout.contains("updated 0,"), "{stdout}");
    assert!(
        stderr.contains(&format!("update refused: Attribute[0] {NOT_USABLE}")),
        "{stderr}"
    );
    let after = find(BY_UUID).await.expect("the event");
    assert_eq!(
        (after.info.as_str(), after.sharing_group_id),
        ("local group by UUID", sg)
    );
    store.close().await;
}
