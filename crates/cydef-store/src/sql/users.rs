use async_trait::async_trait;
use cydef_model::{time_fmt, ApiKey, NewUser, User};

use super::rows::{self, USER_COLUMNS};
use super::{PgStore, SqliteStore};
use crate::{StoreError, StoreResult, UserStore};

/// Maps a failed user write: a duplicate e-mail, or an organisation or role
/// that does not exist.
fn user_write_error(e: sqlx::Error) -> StoreError {
    let text = e.to_string();
    match StoreError::from_db(e, "email") {
        StoreError::InvalidReference(_) if text.contains("role") => {
            StoreError::InvalidReference("role_id")
        }
        StoreError::InvalidReference(_) => StoreError::InvalidReference("org_id"),
        other => other,
    }
}

macro_rules! impl_users {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Names the reference a failed user write broke. SQLite's
            /// foreign-key error does not say which constraint failed, so
            /// when the error is `InvalidReference`, look the ids up.
            async fn name_user_reference(&self, e: StoreError, u: &NewUser) -> StoreError {
                if !matches!(e, StoreError::InvalidReference(_)) {
                    return e;
                }
                let exists = |table: &'static str, id: i64| async move {
                    sqlx::query_scalar::<_, i64>(&format!("SELECT id FROM {table} WHERE id = $1"))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map(|found| found.is_some())
                };
                match (exists("organisations", u.org_id).await, exists("roles", u.role_id).await) {
                    (Ok(false), _) => StoreError::InvalidReference("org_id"),
                    (Ok(true), Ok(false)) => StoreError::InvalidReference("role_id"),
                    _ => e,
                }
            }
        }

        impl $store {
            /// Inserts a user inside a transaction.
            async fn insert_user(
                tx: &mut sqlx::Transaction<'_, $db>,
                u: &NewUser,
            ) -> StoreResult<User> {
                let now = time_fmt::now();
                let sql = format!(
                    "INSERT INTO users (org_id, role_id, email, password_hash, disabled, autoalert, \
                     contactalert, termsaccepted, change_pw, invited_by, gpgkey, certif_public, \
                     nids_sid, expiration, notification_daily, notification_weekly, \
                     notification_monthly, date_created, date_modified, last_pw_change) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
                     $16, $17, $18, $18, $18) RETURNING {USER_COLUMNS}"
                );
                let row = sqlx::query(&sql)
                    .bind(u.org_id)
                    .bind(u.role_id)
                    .bind(&u.email)
                    .bind(u.password_hash.as_deref())
                    .bind(u.disabled)
                    .bind(u.autoalert)
                    .bind(u.contactalert)
                    .bind(u.termsaccepted)
                    .bind(u.change_pw)
                    .bind(u.invited_by)
                    .bind(&u.gpgkey)
                    .bind(&u.certif_public)
                    .bind(u.nids_sid)
                    .bind(u.expiration)
                    .bind(u.notification_daily)
                    .bind(u.notification_weekly)
                    .bind(u.notification_monthly)
                    .bind(now)
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(user_write_error)?;
                rows::user(&row)
            }
        }

        #[async_trait]
        impl UserStore for $store {
            async fn create_user(&self, u: &NewUser) -> StoreResult<User> {
                let mut tx = self.write_tx().await?;
                let user = match Self::insert_user(&mut tx, u).await {
                    Ok(user) => user,
                    Err(e) => {
                        drop(tx);
                        return Err(self.name_user_reference(e, u).await);
                    }
                };
                tx.commit().await?;
                Ok(user)
            }

            async fn create_user_with_key(&self, u: &NewUser, key: &ApiKey) -> StoreResult<User> {
                let mut tx = self.write_tx().await?;
                let user = match Self::insert_user(&mut tx, u).await {
                    Ok(user) => user,
                    Err(e) => {
                        drop(tx);
                        return Err(self.name_user_reference(e, u).await);
                    }
                };
                sqlx::query(
                    "INSERT INTO auth_keys (uuid, authkey_hash, authkey_start, authkey_end, created, user_id) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(uuid::Uuid::new_v4().to_string())
                .bind(key.hash())
                .bind(key.start())
                .bind(key.end())
                .bind(user.date_created)
                .bind(user.id)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(user)
            }

            async fn get_user(&self, id: i64) -> StoreResult<User> {
                let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
                let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
                rows::user(&row.ok_or(StoreError::NotFound)?)
            }

            async fn get_user_by_email(
                &self,
                email: &str,
            ) -> StoreResult<Option<(User, Option<String>)>> {
                use sqlx::Row;
                let sql =
                    format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1");
                let row = sqlx::query(&sql)
                    .bind(email.trim().to_lowercase())
                    .fetch_optional(&self.pool)
                    .await?;
                match row {
                    Some(row) => Ok(Some((
                        rows::user(&row)?,
                        row.try_get::<Option<String>, _>("password_hash")?,
                    ))),
                    None => Ok(None),
                }
            }

            async fn list_users(&self, org_id: Option<i64>) -> StoreResult<Vec<User>> {
                let sql = format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE ($1 IS NULL OR org_id = $1) ORDER BY id"
                );
                let found = sqlx::query(&sql).bind(org_id).fetch_all(&self.pool).await?;
                found.iter().map(rows::user).collect()
            }

            async fn update_user(&self, id: i64, u: &NewUser) -> StoreResult<User> {
                let now = time_fmt::now();
                let sql = format!(
                    "UPDATE users SET org_id = $1, role_id = $2, email = $3, \
                     password_hash = COALESCE($4, password_hash), disabled = $5, autoalert = $6, \
                     contactalert = $7, termsaccepted = $8, change_pw = $9, gpgkey = $10, \
                     certif_public = $11, nids_sid = $12, expiration = $13, \
                     notification_daily = $14, notification_weekly = $15, \
                     notification_monthly = $16, date_modified = $17, \
                     last_pw_change = CASE WHEN $4 IS NULL THEN last_pw_change ELSE $17 END \
                     WHERE id = $18 RETURNING {USER_COLUMNS}"
                );
                let row = sqlx::query(&sql)
                    .bind(u.org_id)
                    .bind(u.role_id)
                    .bind(&u.email)
                    .bind(u.password_hash.as_deref())
                    .bind(u.disabled)
                    .bind(u.autoalert)
                    .bind(u.contactalert)
                    .bind(u.termsaccepted)
                    .bind(u.change_pw)
                    .bind(&u.gpgkey)
                    .bind(&u.certif_public)
                    .bind(u.nids_sid)
                    .bind(u.expiration)
                    .bind(u.notification_daily)
                    .bind(u.notification_weekly)
                    .bind(u.notification_monthly)
                    .bind(now)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(user_write_error);
                let row = match row {
                    Ok(row) => row,
                    Err(e) => return Err(self.name_user_reference(e, u).await),
                };
                rows::user(&row.ok_or(StoreError::NotFound)?)
            }

            async fn delete_user(&self, id: i64) -> StoreResult<()> {
                let mut tx = self.write_tx().await?;
                sqlx::query("DELETE FROM auth_keys WHERE user_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                let done = sqlx::query("DELETE FROM users WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                tx.commit().await?;
                Ok(())
            }

            async fn touch_user_api_access(&self, id: i64, now: i64) -> StoreResult<()> {
                sqlx::query("UPDATE users SET last_api_access = $1 WHERE id = $2")
                    .bind(now)
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
        }
    };
}

impl_users!(SqliteStore, sqlx::Sqlite);
impl_users!(PgStore, sqlx::Postgres);
