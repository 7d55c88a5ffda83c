use async_trait::async_trait;
use cydef_model::{time_fmt, ApiKey, AuthKey, NewAuthKey};
use ipnet::IpNet;

use super::rows::{self, AUTH_KEY_COLUMNS};
use super::{PgStore, SqliteStore};
use crate::{AuthKeyPatch, AuthKeyStore, StoreError, StoreResult};

fn ips_json(ips: &[IpNet]) -> String {
    serde_json::Value::from(ips.iter().map(ToString::to_string).collect::<Vec<_>>()).to_string()
}

fn prefixed(cols: &str, prefix: &str) -> String {
    cols.split(", ")
        .map(|c| format!("{prefix}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

macro_rules! impl_auth_keys {
    ($store:ty) => {
        #[async_trait]
        impl AuthKeyStore for $store {
            async fn create_auth_key(
                &self,
                k: &NewAuthKey,
                secret: &ApiKey,
            ) -> StoreResult<AuthKey> {
                let sql = format!(
                    "INSERT INTO auth_keys (uuid, authkey_hash, authkey_start, authkey_end, created, \
                     expiration, read_only, user_id, comment, allowed_ips) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {AUTH_KEY_COLUMNS}"
                );
                let row = sqlx::query(&sql)
                    .bind(uuid::Uuid::new_v4().to_string())
                    .bind(secret.hash())
                    .bind(secret.start())
                    .bind(secret.end())
                    .bind(time_fmt::now())
                    .bind(k.expiration)
                    .bind(k.read_only)
                    .bind(k.user_id)
                    .bind(&k.comment)
                    .bind(ips_json(&k.allowed_ips))
                    .fetch_one(&self.pool)
                    .await
                    .map_err(|e| StoreError::from_db(e, "user_id"))?;
                rows::auth_key(&row)
            }

            async fn find_auth_keys(&self, start: &str, end: &str) -> StoreResult<Vec<AuthKey>> {
                let sql = format!(
                    "SELECT {AUTH_KEY_COLUMNS} FROM auth_keys \
                     WHERE authkey_start = $1 AND authkey_end = $2"
                );
                let found = sqlx::query(&sql)
                    .bind(start)
                    .bind(end)
                    .fetch_all(&self.pool)
                    .await?;
                found.iter().map(rows::auth_key).collect()
            }

            async fn get_auth_key(&self, id: i64) -> StoreResult<AuthKey> {
                let sql = format!("SELECT {AUTH_KEY_COLUMNS} FROM auth_keys WHERE id = $1");
                let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
                rows::auth_key(&row.ok_or(StoreError::NotFound)?)
            }

            async fn list_auth_keys(
                &self,
                org_id: Option<i64>,
                user_id: Option<i64>,
            ) -> StoreResult<Vec<(AuthKey, String)>> {
                use sqlx::Row;
                let sql = format!(
                    "SELECT {}, u.email AS owner_email FROM auth_keys k JOIN users u ON u.id = k.user_id \
                     WHERE ($1 IS NULL OR u.org_id = $1) AND ($2 IS NULL OR k.user_id = $2) \
                     ORDER BY k.id",
                    prefixed(AUTH_KEY_COLUMNS, "k")
                );
                let found = sqlx::query(&sql)
                    .bind(org_id)
                    .bind(user_id)
                    .fetch_all(&self.pool)
                    .await?;
                found
                    .iter()
                    .map(|row| Ok((rows::auth_key(row)?, row.try_get::<String, _>("owner_email")?)))
                    .collect()
            }

            async fn update_auth_key(&self, id: i64, p: &AuthKeyPatch) -> StoreResult<AuthKey> {
                let sql = format!(
                    "UPDATE auth_keys SET comment = COALESCE($1, comment), \
                     expiration = COALESCE($2, expiration), read_only = COALESCE($3, read_only), \
                     allowed_ips = COALESCE($4, allowed_ips) WHERE id = $5 \
                     RETURNING {AUTH_KEY_COLUMNS}"
                );
                let row = sqlx::query(&sql)
                    .bind(p.comment.as_deref())
                    .bind(p.expiration)
                    .bind(p.read_only)
                    .bind(p.allowed_ips.as_deref().map(ips_json))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                rows::auth_key(&row.ok_or(StoreError::NotFound)?)
            }

            async fn delete_auth_key(&self, id: i64) -> StoreResult<()> {
                let done = sqlx::query("DELETE FROM auth_keys WHERE id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            }

            async fn touch_auth_key(&self, id: i64, now: i64) -> StoreResult<()> {
                sqlx::query("UPDATE auth_keys SET last_used = $1 WHERE id = $2")
                    .bind(now)
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
        }
    };
}

impl_auth_keys!(SqliteStore);
impl_auth_keys!(PgStore);
