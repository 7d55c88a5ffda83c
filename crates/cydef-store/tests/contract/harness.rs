//! Per-test databases for both backends.
//!
//! Every contract test runs twice: against a brand-new SQLite file in its own
//! temporary directory, and against a brand-new PostgreSQL database created on
//! the server named by `CYDEF_TEST_PG_URL`. The database is dropped afterwards
//! (best effort), whether the test passed or panicked.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use cydef_store::{Backend, Store};
use sqlx::Connection;

/// Admin URL used when `CYDEF_TEST_PG_URL` is not set.
const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Which backend a test instance runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

impl Kind {
    fn backend(self) -> Backend {
        match self {
            Kind::Sqlite => Backend::Sqlite,
            Kind::Postgres => Backend::Postgres,
        }
    }
}

/// A fresh, empty database that exists for one test.
pub struct TestDb {
    kind: Kind,
    /// The URL `cydef_store::connect` accepts for this database.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(PathBuf),
    PgDatabase { admin_url: String, name: String },
}

fn pg_skipped() -> bool {
    std::env::var("CYDEF_TEST_SKIP_PG").is_ok_and(|v| v.trim() == "1")
}

fn pg_admin_url() -> String {
    std::env::var("CYDEF_TEST_PG_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_PG_URL.to_owned())
}

/// `admin_url` with its database name replaced by `db` (query kept).
fn with_database(admin_url: &str, db: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin_url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut url = format!("{}/{db}", &base[..authority_end]);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

impl TestDb {
    /// Creates the database, or returns `None` when the backend is skipped
    /// (PostgreSQL with `CYDEF_TEST_SKIP_PG=1`). Panics when it cannot.
    pub async fn create(kind: Kind) -> Option<TestDb> {
        match kind {
            Kind::Sqlite => {
                let dir = std::env::temp_dir().join(format!(
                    "cydef-store-contract-{}",
                    uuid::Uuid::new_v4().simple()
                ));
                std::fs::create_dir_all(&dir)
                    .unwrap_or_else(|e| panic!("cannot create temp dir {}: {e}", dir.display()));
                let file = dir.join("cydef.sqlite");
                assert!(
                    !file.exists(),
                    "fresh temp dir already has {}",
                    file.display()
                );
                Some(TestDb {
                    kind,
                    url: format!("sqlite://{}?mode=rwc", file.display()),
                    cleanup: Cleanup::Dir(dir),
                })
            }
            Kind::Postgres => {
                if pg_skipped() {
                    println!("CYDEF_TEST_SKIP_PG=1: skipping the PostgreSQL run of this test");
                    return None;
                }
                let admin_url = pg_admin_url();
                let name = format!("cydef_t_{}", uuid::Uuid::new_v4().simple());
                let mut admin = sqlx::PgConnection::connect(&admin_url)
                    .await
                    .unwrap_or_else(|e| {
                        panic!(
                            "PostgreSQL contract tests cannot reach the server at {admin_url} \
                         (set CYDEF_TEST_PG_URL to an admin URL, or CYDEF_TEST_SKIP_PG=1 to \
                         skip the PostgreSQL runs): {e}"
                        )
                    });
                sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                    .execute(&mut admin)
                    .await
                    .unwrap_or_else(|e| {
                        panic!("CREATE DATABASE {name} on {admin_url} failed: {e}")
                    });
                let _ = admin.close().await;
                Some(TestDb {
                    kind,
                    url: with_database(&admin_url, &name),
                    cleanup: Cleanup::PgDatabase { admin_url, name },
                })
            }
        }
    }

    /// Opens a store on this database (runs migrations); panics on failure.
    pub async fn connect(&self) -> Arc<dyn Store> {
        let store = cydef_store::connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("cydef_store::connect({}) failed: {e:?}", self.url));
        assert_eq!(
            store.backend(),
            self.kind.backend(),
            "connect picked the wrong backend"
        );
        if let Cleanup::Dir(dir) = &self.cleanup {
            let file = dir.join("cydef.sqlite");
            assert!(
                file.is_file(),
                "connect did not create the SQLite file {}",
                file.display()
            );
        }
        store
    }

    /// Removes the database; best effort, never panics.
    pub async fn destroy(self) {
        match self.cleanup {
            Cleanup::Dir(dir) => {
                if let Err(e) = std::fs::remove_dir_all(&dir) {
                    eprintln!("warning: could not remove {}: {e}", dir.display());
                }
            }
            Cleanup::PgDatabase { admin_url, name } => {
                match sqlx::PgConnection::connect(&admin_url).await {
                    Ok(mut admin) => {
                        let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                        if let Err(e) = sqlx::query(&sql).execute(&mut admin).await {
                            eprintln!("warning: could not drop test database {name}: {e}");
                        }
                        let _ = admin.close().await;
                    }
                    Err(e) => eprintln!("warning: could not drop test database {name}: {e}"),
                }
            }
        }
    }
}

/// Runs one test body against a fresh database of `kind`. The body gets the
/// store and the database URL (for tests that open a second store). The
/// database is removed afterwards, then a panic in the body is re-raised.
pub async fn run<F, Fut>(kind: Kind, test: F)
where
    F: FnOnce(Arc<dyn Store>, String) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(db) = TestDb::create(kind).await else {
        return;
    };
    let store = db.connect().await;
    store.ping().await.expect("ping a freshly opened store");
    let outcome = tokio::spawn(test(Arc::clone(&store), db.url.clone())).await;
    store.close().await;
    drop(store);
    db.destroy().await;
    if let Err(e) = outcome {
        if e.is_panic() {
            std::panic::resume_unwind(e.into_panic());
        }
        panic!("test task did not finish: {e}");
    }
}

#[test]
fn with_database_replaces_only_the_name() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(with_database("postgres://u:p@h", "x"), "postgres://u:p@h/x");
    assert_eq!(
        with_database("postgresql://u@h:1/db?sslmode=disable", "x"),
        "postgresql://u@h:1/x?sslmode=disable"
    );
}
