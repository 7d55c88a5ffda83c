//! Contract tests for `cydef_store::Store`: every test is written once, as
//! `async fn name(store: Arc<dyn Store>)`, and instantiated for both backends
//! by [`contract_test!`] as `sqlite_<name>` and `postgres_<name>`.
//!
//! SQLite runs use a new file in a fresh temporary directory; PostgreSQL runs
//! use a new database on the server named by `CYDEF_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`). `CYDEF_TEST_SKIP_PG=1`
//! skips the PostgreSQL runs; otherwise an unreachable server fails them.

/// `contract_test!(path::to::body => sqlite_name, postgres_name);` declares two
/// `#[tokio::test]`s running `body(store)` on each backend. With a trailing
/// `, with_url` the body is `body(store, url)` and may open more stores on the
/// same database.
macro_rules! contract_test {
    ($body:path => $sqlite:ident, $postgres:ident) => {
        #[tokio::test]
        async fn $sqlite() {
            crate::harness::run(crate::harness::Kind::Sqlite, |store, _url| $body(store)).await;
        }

        #[tokio::test]
        async fn $postgres() {
            crate::harness::run(crate::harness::Kind::Postgres, |store, _url| $body(store)).await;
        }
    };
    ($body:path => $sqlite:ident, $postgres:ident, with_url) => {
        #[tokio::test]
        async fn $sqlite() {
            crate::harness::run(crate::harness::Kind::Sqlite, $body).await;
        }

        #[tokio::test]
        async fn $postgres() {
            crate::harness::run(crate::harness::Kind::Postgres, $body).await;
        }
    };
}

mod fixtures;
mod harness;

mod auth_keys;
mod bootstrap;
mod concurrency;
mod orgs;
mod proposals;
mod roles;
mod search;
mod settings;
mod sharing_groups;
mod users;
mod visibility;

#[tokio::test]
async fn unsupported_url_scheme_is_rejected() {
    let err = cydef_store::connect("mysql://root@127.0.0.1/cydef")
        .await
        .err()
        .expect("a mysql: URL must be refused");
    assert!(
        err.to_string().contains("mysql"),
        "error should name the scheme: {err}"
    );
}
