use async_trait::async_trait;
use cydef_model::time_fmt;

use super::{Backend, PgStore, SqliteStore};
use crate::sql::rows::role_columns;
use crate::{Bootstrap, BootstrapOutcome, BootstrapStore, StoreError, StoreResult};

macro_rules! impl_bootstrap {
    ($store:ty, $backend:expr) => {
        #[async_trait]
        impl BootstrapStore for $store {
            async fn bootstrap(&self, b: &Bootstrap) -> StoreResult<BootstrapOutcome> {
                // SQLite: take the write lock up front. A deferred transaction
                // that reads the user count and then writes fails with
                // SQLITE_BUSY_SNAPSHOT when another connection bootstrapped
                // in between; BEGIN IMMEDIATE makes the second one wait and
                // then see AlreadyDone.
                let begin = if $backend == Backend::Sqlite { "BEGIN IMMEDIATE" } else { "BEGIN" };
                let mut tx = self.pool.begin_with(begin).await?;
                if $backend == Backend::Postgres {
                    // Two nodes starting at once on one database take turns here.
                    sqlx::query("SELECT pg_advisory_xact_lock(7243001)")
                        .execute(&mut *tx)
                        .await?;
                }
                let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
                    .fetch_one(&mut *tx)
                    .await?;
                if users > 0 {
                    return Ok(BootstrapOutcome::AlreadyDone);
                }
                let now = time_fmt::now();
                let roles: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM roles")
                    .fetch_one(&mut *tx)
                    .await?;
                if roles == 0 {
                    let cols = role_columns();
                    let placeholders: Vec<String> = (1..=cols.split(',').count())
                        .map(|i| format!("${i}"))
                        .collect();
                    let sql = format!(
                        "INSERT INTO roles ({cols}) VALUES ({})",
                        placeholders.join(", ")
                    );
                    for r in &b.roles {
                        let q = bind_role!(sqlx::query(&sql).bind(r.id), r);
                        q.execute(&mut *tx).await?;
                    }
                    if $backend == Backend::Postgres {
                        sqlx::query(
                            "SELECT setval(pg_get_serial_sequence('roles', 'id'), \
                             (SELECT MAX(id) FROM roles))",
                        )
                        .execute(&mut *tx)
                        .await?;
                    }
                }
                let existing: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM organisations WHERE LOWER(name) = LOWER($1)")
                        .bind(&b.org_name)
                        .fetch_optional(&mut *tx)
                        .await?;
                let org_id = match existing {
                    Some(id) => id,
                    None => sqlx::query_scalar(
                        "INSERT INTO organisations (uuid, name, date_created, date_modified, \
                         description, org_type, local) VALUES ($1, $2, $3, $3, $4, 'ADMIN', $5) \
                         RETURNING id",
                    )
                    .bind(uuid::Uuid::new_v4().to_string())
                    .bind(&b.org_name)
                    .bind(now)
                    .bind("Automatically generated admin organisation")
                    .bind(true)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| StoreError::from_db(e, "name"))?,
                };
                let admin_user_id: i64 = sqlx::query_scalar(
                    "INSERT INTO users (org_id, role_id, email, password_hash, termsaccepted, \
                     nids_sid, date_created, date_modified, last_pw_change) \
                     VALUES ($1, $2, $3, $4, $5, 4000000, $6, $6, $6) RETURNING id",
                )
                .bind(org_id)
                .bind(cydef_model::role::ids::ADMIN)
                .bind(&b.admin_email)
                .bind(b.admin_password_hash.as_deref())
                .bind(true)
                .bind(now)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| StoreError::from_db(e, "email"))?;
                sqlx::query(
                    "INSERT INTO auth_keys (uuid, authkey_hash, authkey_start, authkey_end, \
                     created, user_id, comment) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(uuid::Uuid::new_v4().to_string())
                .bind(b.admin_key.hash())
                .bind(b.admin_key.start())
                .bind(b.admin_key.end())
                .bind(now)
                .bind(admin_user_id)
                .bind("Initial auto-generated key")
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(BootstrapOutcome::Created { admin_user_id })
            }
        }
    };
}

impl_bootstrap!(SqliteStore, Backend::Sqlite);
impl_bootstrap!(PgStore, Backend::Postgres);
