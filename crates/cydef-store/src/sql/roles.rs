use async_trait::async_trait;
use cydef_model::role::Role;

use super::rows::{self, role_columns};
use super::{PgStore, SqliteStore};
use crate::{RoleStore, StoreError, StoreResult};

/// `name = $1, created = $2, …` for every role column but the id.
fn role_assignments() -> String {
    role_columns()
        .split(", ")
        .skip(1)
        .enumerate()
        .map(|(i, c)| format!("{c} = ${}", i + 1))
        .collect::<Vec<_>>()
        .join(", ")
}

fn role_insert() -> String {
    let all = role_columns();
    let without_id: Vec<&str> = all.split(", ").skip(1).collect();
    let params: Vec<String> = (1..=without_id.len()).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO roles ({}) VALUES ({}) RETURNING {all}",
        without_id.join(", "),
        params.join(", ")
    )
}

macro_rules! impl_roles {
    ($store:ty) => {
        #[async_trait]
        impl RoleStore for $store {
            async fn list_roles(&self) -> StoreResult<Vec<Role>> {
                let sql = format!("SELECT {} FROM roles ORDER BY id", role_columns());
                let found = sqlx::query(&sql).fetch_all(&self.pool).await?;
                found.iter().map(rows::role).collect()
            }

            async fn get_role(&self, id: i64) -> StoreResult<Role> {
                let sql = format!("SELECT {} FROM roles WHERE id = $1", role_columns());
                let row = sqlx::query(&sql)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                rows::role(&row.ok_or(StoreError::NotFound)?)
            }

            async fn create_role(&self, role: &Role) -> StoreResult<Role> {
                let sql = role_insert();
                let row = bind_role!(sqlx::query(&sql), role)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(|e| StoreError::from_db(e, "name"))?;
                rows::role(&row)
            }

            async fn update_role(&self, role: &Role) -> StoreResult<Role> {
                let assignments = role_assignments();
                let n = role_columns().split(", ").count();
                let sql = format!(
                    "UPDATE roles SET {assignments} WHERE id = ${n} RETURNING {}",
                    role_columns()
                );
                let row = bind_role!(sqlx::query(&sql), role)
                    .bind(role.id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| StoreError::from_db(e, "name"))?;
                rows::role(&row.ok_or(StoreError::NotFound)?)
            }

            async fn delete_role(&self, id: i64) -> StoreResult<()> {
                let mut tx = self.write_tx().await?;
                let users: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role_id = $1")
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                if users > 0 {
                    return Err(StoreError::InUse("users"));
                }
                let done = sqlx::query("DELETE FROM roles WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                tx.commit().await?;
                Ok(())
            }
        }
    };
}

impl_roles!(SqliteStore);
impl_roles!(PgStore);
