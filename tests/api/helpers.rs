//! The test harness: a fresh database per test (a SQLite file in a temporary
//! directory, or a new PostgreSQL database), the real server started on it
//! with `cydef::start`, and small request helpers.

use std::fmt;
use std::future::Future;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use cydef::{Config, Secret};
use cydef_store::Store;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{json, Value};

/// The site admin key every [`TestApp`] starts with.
pub const ADMIN_KEY: &str = "TestAdminKey0123456789abcdefghijklmnopqr";
/// A password that satisfies the password policy.
pub const PASSWORD: &str = "Str0ng Password!";
/// MISP's authentication failure message.
pub const AUTH_FAILED: &str = "Authentication failed. Please make sure you pass the API key of an API enabled user along in the Authorization header.";
/// MISP's answer when the role lacks a permission.
pub const NO_PERMISSION: &str = "You do not have permission to use this functionality.";
/// The default PostgreSQL server for tests.
const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Instantiates `async fn name(app: TestApp)` tests once per backend, as
/// `sqlite::name` and `postgres::name`.
macro_rules! api_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
                async fn $name() {
                    $crate::helpers::run_app($crate::helpers::Backend::Sqlite, super::$name).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
                async fn $name() {
                    $crate::helpers::run_app($crate::helpers::Backend::Postgres, super::$name).await;
                }
            )*
        }
    };
}

/// Instantiates `async fn name(db: TestDb)` tests (a fresh, empty database
/// and no server) once per backend.
macro_rules! db_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
                async fn $name() {
                    $crate::helpers::run_db($crate::helpers::Backend::Sqlite, super::$name).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
                async fn $name() {
                    $crate::helpers::run_db($crate::helpers::Backend::Postgres, super::$name).await;
                }
            )*
        }
    };
}

fn skip(backend: Backend) -> bool {
    let skip =
        backend == Backend::Postgres && std::env::var("CYDEF_TEST_SKIP_PG").is_ok_and(|v| v == "1");
    if skip {
        eprintln!("CYDEF_TEST_SKIP_PG=1: skipping the PostgreSQL variant of this test");
    }
    skip
}

/// Runs a test against a started server on a fresh database of `backend`.
pub async fn run_app<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    if skip(backend) {
        return;
    }
    let db = Arc::new(TestDb::new(backend));
    let server = spawn_server(&db.config(Some(ADMIN_KEY))).await;
    let app = TestApp {
        base: server.base.clone(),
        addr: server.addr,
        client: client(),
        admin_key: ADMIN_KEY.to_owned(),
        backend,
        _db: db.clone(),
    };
    test(app).await;
    server.stop().await;
    // `db` is dropped last: the database and directory go after the server.
    drop(db);
}

/// Runs a test on a fresh, empty database of `backend`.
pub async fn run_db<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(Arc<TestDb>) -> Fut,
    Fut: Future<Output = ()>,
{
    if skip(backend) {
        return;
    }
    test(Arc::new(TestDb::new(backend))).await;
}

/// An async client that does not follow redirects.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("building the HTTP client")
}

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> Self {
        let path = std::env::temp_dir().join(format!("{prefix}-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).expect("creating a temporary directory");
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A PostgreSQL database created for one test and dropped (with force) after it.
pub struct PgDb {
    admin_url: String,
    pub name: String,
    pub url: String,
}

fn psql(url: &str, sql: &str) -> Result<(), String> {
    let out = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql])
        .output()
        .map_err(|e| format!("running psql (is it installed?): {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

impl PgDb {
    pub fn create() -> Self {
        let admin_url =
            std::env::var("CYDEF_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned());
        let name = format!("cydef_t_{}", uuid::Uuid::new_v4().simple());
        if let Err(e) = psql(&admin_url, &format!("CREATE DATABASE {name}")) {
            panic!(
                "could not create the PostgreSQL test database on {admin_url} \
                 (set CYDEF_TEST_PG_URL, or CYDEF_TEST_SKIP_PG=1 to skip): {e}"
            );
        }
        let url = with_database(&admin_url, &name);
        Self {
            admin_url,
            name,
            url,
        }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        if let Err(e) = psql(
            &self.admin_url,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        ) {
            eprintln!("warning: could not drop test database {}: {e}", self.name);
        }
    }
}

/// A fresh database and a temporary directory for one test.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    pub dir: TempDir,
    // Dropped after `dir` is of no consequence; the server is stopped first.
    _pg: Option<PgDb>,
}

impl TestDb {
    pub fn new(backend: Backend) -> Self {
        let dir = TempDir::new("cydef-api-test");
        let (url, pg) = match backend {
            Backend::Sqlite => (
                format!("sqlite://{}?mode=rwc", dir.0.join("cydef.db").display()),
                None,
            ),
            Backend::Postgres => {
                let pg = PgDb::create();
                (pg.url.clone(), Some(pg))
            }
        };
        Self {
            backend,
            url,
            dir,
            _pg: pg,
        }
    }

    /// A fresh data directory inside the test's temporary directory.
    pub fn data_dir(&self, name: &str) -> PathBuf {
        self.dir.0.join(name)
    }

    /// A configuration for an in-process server on this database.
    pub fn config(&self, admin_key: Option<&str>) -> Config {
        self.config_in(&self.data_dir("data"), admin_key)
    }

    pub fn config_in(&self, data_dir: &Path, admin_key: Option<&str>) -> Config {
        Config {
            listen: "127.0.0.1:0".to_owned(),
            data_dir: data_dir.to_path_buf(),
            database_url: Some(Secret::new(self.url.clone())),
            admin_key: admin_key.map(Secret::new),
            workers: 2,
            kb_dir: Some(kb_dir()),
            ..Config::default()
        }
    }
}

/// The shared reference data (`CYDEF_SHARED_DATA`, default
/// `<repo>/../shared/data`); panics when it is missing.
pub fn shared_data() -> PathBuf {
    let path = std::env::var_os("CYDEF_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    assert!(
        path.is_dir(),
        "shared data directory not found: {} (set CYDEF_SHARED_DATA)",
        path.display()
    );
    path
}

/// The MISP knowledge bases in the shared data (`<shared>/kb`), which every
/// test server loads its object templates from.
pub fn kb_dir() -> PathBuf {
    let path = shared_data().join("kb");
    assert!(
        path.join("objects").is_dir(),
        "knowledge base not found: {} (set CYDEF_SHARED_DATA)",
        path.display()
    );
    path
}

/// An in-process server spawned on the test's runtime.
pub struct Server {
    pub addr: SocketAddr,
    pub base: String,
    pub store: Arc<dyn Store>,
    pub generated_admin_key: Option<String>,
    handle: actix_web::dev::ServerHandle,
}

impl Server {
    /// Stops the server and closes its database pool.
    pub async fn stop(self) {
        self.handle.stop(false).await;
        self.store.close().await;
    }
}

pub async fn spawn_server(config: &Config) -> Server {
    let running = cydef::start(config).await.expect("starting the server");
    let handle = running.server.handle();
    tokio::spawn(running.server);
    Server {
        addr: running.addr,
        base: format!("http://{}", running.addr),
        store: running.store,
        generated_admin_key: running.generated_admin_key,
        handle,
    }
}

/// A running server on a fresh database, with the admin key [`ADMIN_KEY`].
pub struct TestApp {
    pub base: String,
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub admin_key: String,
    pub backend: Backend,
    /// Keeps the database for as long as the test holds the app.
    _db: Arc<TestDb>,
}

/// A response: status and body (JSON, `Null` when empty, or the text as a
/// JSON string when it is not JSON).
pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub content_type: String,
    pub text: String,
}

impl fmt::Display for Resp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {} {}", self.status, self.text)
    }
}

impl Resp {
    pub async fn read(r: reqwest::Response) -> Self {
        let status = r.status().as_u16();
        let content_type = r
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = r.text().await.expect("reading the response body");
        let body = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()))
        };
        Self {
            status,
            body,
            content_type,
            text,
        }
    }

    /// Asserts the status, showing the body on failure.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "unexpected status: {self}");
        &self.body
    }

    /// Asserts MISP's error body `{"name", "message", "url"}`.
    #[track_caller]
    pub fn expect_error(&self, status: u16, message: &str, url: &str) {
        self.expect(status);
        assert_eq!(self.body["message"], message, "{self}");
        assert_eq!(self.body["name"], message, "{self}");
        assert_eq!(self.body["url"], url, "{self}");
    }

    /// Asserts a failed save: 403 with `saved: false` and `errors`; returns `errors`.
    #[track_caller]
    pub fn expect_save_failed(&self, message: &str) -> &Value {
        self.expect(403);
        assert_eq!(self.body["saved"], false, "{self}");
        assert_eq!(self.body["message"], message, "{self}");
        assert_eq!(self.body["name"], message, "{self}");
        assert!(self.body.get("errors").is_some(), "no errors: {self}");
        &self.body["errors"]
    }
}

/// The string a JSON value holds, or a panic naming what was expected.
#[track_caller]
pub fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a JSON string, found {v}"))
        .to_owned()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request with `Authorization: <key>` (no header when `key` is empty).
    pub fn request(&self, method: Method, path: &str, key: &str) -> RequestBuilder {
        let rb = self.client.request(method, self.url(path));
        if key.is_empty() {
            rb
        } else {
            rb.header("Authorization", key)
        }
    }

    pub async fn send(&self, rb: RequestBuilder) -> Resp {
        Resp::read(rb.send().await.expect("sending the request")).await
    }

    pub async fn get(&self, path: &str, key: &str) -> Resp {
        self.send(self.request(Method::GET, path, key)).await
    }

    pub async fn post(&self, path: &str, key: &str, body: Value) -> Resp {
        self.send(self.request(Method::POST, path, key).json(&body))
            .await
    }

    /// POSTs raw bytes with no Content-Type.
    pub async fn post_raw(&self, path: &str, key: &str, body: &'static str) -> Resp {
        self.send(self.request(Method::POST, path, key).body(body))
            .await
    }

    /// Sends a hand-written HTTP/1.1 request (no headers but those given);
    /// returns the status and the body.
    pub async fn raw_http(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, Value) {
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(body);
        let addr = self.addr;
        let raw = tokio::task::spawn_blocking(move || {
            let mut stream = std::net::TcpStream::connect(addr).expect("connecting");
            stream
                .set_read_timeout(Some(Duration::from_secs(30)))
                .expect("timeout");
            stream
                .write_all(req.as_bytes())
                .expect("writing the request");
            let mut out = Vec::new();
            stream.read_to_end(&mut out).expect("reading the response");
            String::from_utf8_lossy(&out).into_owned()
        })
        .await
        .expect("raw request task");
        let (head, body) = raw.split_once("\r\n\r\n").expect("an HTTP response");
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .unwrap_or_else(|| panic!("no status line in {head}"));
        assert!(
            !head
                .to_ascii_lowercase()
                .contains("transfer-encoding: chunked"),
            "unexpected chunked response: {head}"
        );
        let body = serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_owned()));
        (status, body)
    }

    /// Creates an organisation as the site admin; returns its id.
    pub async fn create_org(&self, name: &str) -> String {
        let r = self
            .post(
                "/admin/organisations/add",
                &self.admin_key,
                json!({ "name": name }),
            )
            .await;
        s(&r.expect(200)["Organisation"]["id"])
    }

    /// Creates a user as the site admin; returns its id and API key.
    pub async fn create_user(&self, email: &str, org_id: &str, role_id: u32) -> (String, String) {
        self.create_user_as(
            &self.admin_key,
            json!({
                "email": email, "org_id": org_id, "role_id": role_id.to_string()
            }),
        )
        .await
    }

    /// Creates a user with `key`; returns its id and API key.
    pub async fn create_user_as(&self, key: &str, body: Value) -> (String, String) {
        let r = self.post("/admin/users/add", key, body).await;
        let user = &r.expect(200)["User"];
        (s(&user["id"]), s(&user["authkey"]))
    }

    /// Creates an API key for `user` (`me` or an id) with `key`; returns the
    /// key's id and its plaintext.
    pub async fn create_key(&self, key: &str, user: &str, body: Value) -> (String, String) {
        let r = self
            .post(&format!("/auth_keys/add/{user}"), key, body)
            .await;
        let k = &r.expect(200)["AuthKey"];
        (s(&k["id"]), s(&k["authkey_raw"]))
    }

    /// The number of organisations (all scopes).
    pub async fn org_count(&self) -> usize {
        let r = self
            .get("/organisations/index/scope:all", &self.admin_key)
            .await;
        r.expect(200).as_array().expect("a list").len()
    }

    /// The number of users.
    pub async fn user_count(&self) -> usize {
        let r = self.get("/admin/users/index", &self.admin_key).await;
        r.expect(200).as_array().expect("a list").len()
    }

    /// Asserts that `key` authenticates (200 on `servers/getVersion`).
    pub async fn assert_key_works(&self, key: &str) {
        let r = self.get("/servers/getVersion", key).await;
        r.expect(200);
    }

    /// Asserts that `key` fails with MISP's authentication message.
    pub async fn assert_key_fails(&self, key: &str) {
        let r = self.get("/servers/getVersion", key).await;
        r.expect_error(403, AUTH_FAILED, "/servers/getVersion");
    }
}

/// Waits until `url` answers 200, or panics after `timeout`.
pub async fn wait_ready(client: &reqwest::Client, url: &str, timeout: Duration) {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Ok(r) = client.get(url).send().await {
            if r.status() == StatusCode::OK {
                return;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{url} did not become ready within {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A free TCP port on 127.0.0.1 (bound, read and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("binding port 0")
        .local_addr()
        .expect("local address")
        .port()
}

/// Every string anywhere in a JSON value.
pub fn contains_string(v: &Value, needle: &str) -> bool {
    match v {
        Value::String(s) => s.contains(needle),
        Value::Array(items) => items.iter().any(|i| contains_string(i, needle)),
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| k.contains(needle) || contains_string(v, needle)),
        _ => false,
    }
}

/// Whether an object key named `key` occurs anywhere in a JSON value.
pub fn contains_key(v: &Value, key: &str) -> bool {
    match v {
        Value::Array(items) => items.iter().any(|i| contains_key(i, key)),
        Value::Object(map) => map.iter().any(|(k, v)| k == key || contains_key(v, key)),
        _ => false,
    }
}

#[test]
fn admin_key_is_a_valid_key() {
    assert_eq!(ADMIN_KEY.len(), 40);
    assert!(ADMIN_KEY.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(
        with_database("postgres://u@h:5432/postgres?sslmode=disable", "x"),
        "postgres://u@h:5432/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
}
