//! Several API nodes on one database: two processes of the real binary.
//! Whatever one node writes, the other sees at once; there is no node-local
//! state (keys, revocations and JWT secrets live in the database).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{
    client, free_port, s, wait_ready, Backend, Resp, TestDb, ADMIN_KEY, PASSWORD,
};

db_tests!(two_nodes_share_one_database);

/// A server process, killed when dropped (also when the test panics).
struct Node {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Node {
    fn start(db: &TestDb, name: &str) -> Self {
        let port = free_port();
        let data_dir = db.data_dir(name);
        std::fs::create_dir_all(&data_dir).expect("data directory");
        let log = db.dir.0.join(format!("{name}.log"));
        let out = std::fs::File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_cydef"))
            .arg("serve")
            .current_dir(&data_dir)
            .env_clear()
            .env("CYDEF_LISTEN", format!("127.0.0.1:{port}"))
            .env("CYDEF_DATA_DIR", &data_dir)
            .env("DATABASE_URL", &db.url)
            .env("CYDEF_ADMIN_KEY", ADMIN_KEY)
            .env("CYDEF_WORKERS", "2")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("starting the cydef binary");
        Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    async fn wait_ready(&mut self) {
        let url = format!("{}/health/ready", self.base);
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "node {} exited with {status} before it was ready:\n{}",
                    self.base,
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            if client()
                .get(&url)
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                wait_ready(&client(), &url, Duration::from_secs(1)).await;
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "node {} was not ready within 60s:\n{}",
            self.base,
            std::fs::read_to_string(&self.log).unwrap_or_default()
        );
    }

    async fn get(&self, path: &str, key: &str) -> Resp {
        let r = client()
            .get(format!("{}{path}", self.base))
            .header("Authorization", key)
            .send()
            .await
            .expect("sending the request");
        Resp::read(r).await
    }

    async fn post(&self, path: &str, key: &str, body: Value) -> Resp {
        let mut rb = client().post(format!("{}{path}", self.base)).json(&body);
        if !key.is_empty() {
            rb = rb.header("Authorization", key);
        }
        Resp::read(rb.send().await.expect("sending the request")).await
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn two_nodes_share_one_database(db: Arc<TestDb>) {
    // Both start at once on the fresh database: migrations and the first-start
    // bootstrap must cope with a concurrent node.
    // (Not on SQLite: sqlx takes no migration lock there, so a second node
    // starts once the first has created the database.)
    let mut a = Node::start(&db, "node-a");
    if db.backend == Backend::Sqlite {
        a.wait_ready().await;
    }
    let mut b = Node::start(&db, "node-b");
    a.wait_ready().await;
    b.wait_ready().await;
    for node in [&a, &b] {
        let r = node.get("/admin/users/index", ADMIN_KEY).await;
        assert_eq!(
            r.expect(200).as_array().map(Vec::len),
            Some(1),
            "one admin: {r}"
        );
        let r = node.get("/roles/index", ADMIN_KEY).await;
        assert_eq!(r.expect(200).as_array().map(Vec::len), Some(6), "{r}");
    }

    // An organisation created through A is visible through B.
    let r = a
        .post(
            "/admin/organisations/add",
            ADMIN_KEY,
            json!({"name": "Shared Org"}),
        )
        .await;
    let org = s(&r.expect(200)["Organisation"]["id"]);
    let r = b
        .get(&format!("/organisations/view/{org}"), ADMIN_KEY)
        .await;
    assert_eq!(r.expect(200)["Organisation"]["name"], "Shared Org", "{r}");
    // And its name is taken on B too.
    let r = b
        .post(
            "/admin/organisations/add",
            ADMIN_KEY,
            json!({"name": "shared org"}),
        )
        .await;
    r.expect_save_failed("Could not add Organisation");

    // A key created through A works on B; deleted through B, it fails on A.
    let r = a.post("/auth_keys/add/me", ADMIN_KEY, json!({})).await;
    let key = &r.expect(200)["AuthKey"];
    let (key_id, raw) = (s(&key["id"]), s(&key["authkey_raw"]));
    let r = b.get("/users/view/me", &raw).await;
    assert_eq!(r.expect(200)["User"]["email"], "admin@admin.test", "{r}");
    let r = a.get("/servers/getVersion", &raw).await;
    r.expect(200);
    let r = b
        .post(&format!("/auth_keys/delete/{key_id}"), ADMIN_KEY, json!({}))
        .await;
    r.expect(200);
    for node in [&a, &b] {
        let r = node.get("/servers/getVersion", &raw).await;
        assert_eq!(r.status, 403, "a revoked key fails on every node: {r}");
    }

    // A user disabled through B is locked out on A.
    let r = a
        .post(
            "/admin/users/add",
            ADMIN_KEY,
            json!({"email": "nodes@example.test", "org_id": org, "role_id": 3, "password": PASSWORD}),
        )
        .await;
    let user = &r.expect(200)["User"];
    let (user_id, user_key) = (s(&user["id"]), s(&user["authkey"]));
    // A JWT issued by one node is accepted by the other (shared secret).
    let r = a
        .post(
            "/auth/login",
            "",
            json!({"email": "nodes@example.test", "password": PASSWORD}),
        )
        .await;
    let token = s(&r.expect(200)["token"]);
    let r = b.get("/users/view/me", &format!("Bearer {token}")).await;
    assert_eq!(r.expect(200)["User"]["email"], "nodes@example.test", "{r}");
    a.get("/users/view/me", &user_key).await.expect(200);
    let r = b
        .post(
            &format!("/admin/users/edit/{user_id}"),
            ADMIN_KEY,
            json!({"disabled": true}),
        )
        .await;
    r.expect(200);
    let r = a.get("/users/view/me", &user_key).await;
    assert_eq!(r.status, 403, "{r}");
    let r = a.get("/users/view/me", &format!("Bearer {token}")).await;
    assert_eq!(r.status, 403, "{r}");
}
