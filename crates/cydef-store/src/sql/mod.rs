//! The SQL backends. Each backend is a thin struct around its native pool;
//! the trait implementations are written once, in the submodules, as macros
//! that are expanded for both pool types.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

use crate::{Store, StoreError, StoreResult};

#[macro_use]
mod rows;
mod attributes;
mod auth_keys;
mod bootstrap;
mod event_edit;
mod event_read;
mod events;
mod objects;
mod orgs;
mod proposals;
mod reports;
mod roles;
mod search;
mod settings;
mod shared;
mod sharing_groups;
mod sightings;
mod tags;
mod users;
mod visibility;
mod write;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// SQLite store.
pub struct SqliteStore {
    pool: SqlitePool,
}

/// PostgreSQL store.
pub struct PgStore {
    pool: PgPool,
}

impl SqliteStore {
    /// A transaction that writes. SQLite's default (deferred) transaction
    /// that reads first and writes later fails at once with
    /// SQLITE_BUSY_SNAPSHOT when another connection wrote in between;
    /// `BEGIN IMMEDIATE` takes the write lock up front, so writers queue
    /// (within the busy timeout) instead of failing.
    pub(crate) async fn write_tx(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

impl PgStore {
    /// A transaction that writes (PostgreSQL's row locks need nothing more).
    pub(crate) async fn write_tx(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Postgres>> {
        Ok(self.pool.begin().await?)
    }
}

/// Opens the database named by `url` (`sqlite:…` or `postgres://…`), creating
/// a SQLite file if missing, and applies that backend's migrations.
pub async fn connect(url: &str) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let opts = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?;
        POSTGRES_MIGRATIONS.run(&pool).await?;
        Ok(Arc::new(PgStore { pool }))
    } else if url.starts_with("sqlite:") {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?;
        // sqlx takes no migration lock on SQLite: when two processes start
        // on a new file at once, one fails on the tables the other just
        // made. Running again finds the migrations recorded and does nothing.
        if SQLITE_MIGRATIONS.run(&pool).await.is_err() {
            tokio::time::sleep(Duration::from_millis(200)).await;
            SQLITE_MIGRATIONS.run(&pool).await?;
        }
        Ok(Arc::new(SqliteStore { pool }))
    } else {
        Err(StoreError::Other(sqlx::Error::Configuration(
            format!(
                "unsupported database URL scheme (want sqlite: or postgres:): {}",
                scheme(url)
            )
            .into(),
        )))
    }
}

fn scheme(url: &str) -> &str {
    url.split(':').next().unwrap_or("")
}

macro_rules! impl_store {
    ($store:ty, $backend:expr) => {
        #[async_trait::async_trait]
        impl Store for $store {
            fn backend(&self) -> Backend {
                $backend
            }

            async fn ping(&self) -> StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn close(&self) {
                self.pool.close().await;
            }
        }
    };
}

impl_store!(SqliteStore, Backend::Sqlite);
impl_store!(PgStore, Backend::Postgres);
