use async_trait::async_trait;
use cydef_model::{time_fmt, EntityRef, NewOrganisation, Organisation};

use super::rows::{self, ORG_COLUMNS};
use super::{PgStore, SqliteStore};
use crate::{OrgScope, OrgStore, StoreError, StoreResult};

fn domains_json(org: &NewOrganisation) -> String {
    serde_json::Value::from(org.restricted_to_domain.clone()).to_string()
}

macro_rules! impl_orgs {
    ($store:ty) => {
        #[async_trait]
        impl OrgStore for $store {
            async fn create_org(
                &self,
                org: &NewOrganisation,
                created_by: i64,
            ) -> StoreResult<Organisation> {
                let now = time_fmt::now();
                let uuid = org
                    .uuid
                    .clone()
                    .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
                let sql = format!(
                    "INSERT INTO organisations (uuid, name, date_created, date_modified, \
                     description, org_type, nationality, sector, created_by, contacts, local, \
                     restricted_to_domain, landingpage) \
                     VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                     RETURNING {ORG_COLUMNS}"
                );
                let row = sqlx::query(&sql)
                    .bind(&uuid)
                    .bind(&org.name)
                    .bind(now)
                    .bind(&org.description)
                    .bind(&org.org_type)
                    .bind(&org.nationality)
                    .bind(&org.sector)
                    .bind(created_by)
                    .bind(&org.contacts)
                    .bind(org.local)
                    .bind(domains_json(org))
                    .bind(&org.landingpage)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(conflict_field)?;
                rows::org(&row)
            }

            async fn get_org(&self, r: EntityRef) -> StoreResult<Organisation> {
                let row = match r {
                    EntityRef::Id(id) => {
                        sqlx::query(&format!("SELECT {ORG_COLUMNS} FROM organisations WHERE id = $1"))
                            .bind(id)
                            .fetch_optional(&self.pool)
                            .await?
                    }
                    EntityRef::Uuid(u) => {
                        sqlx::query(&format!("SELECT {ORG_COLUMNS} FROM organisations WHERE uuid = $1"))
                            .bind(u.hyphenated().to_string())
                            .fetch_optional(&self.pool)
                            .await?
                    }
                };
                rows::org(&row.ok_or(StoreError::NotFound)?)
            }

            async fn find_org_by_name(&self, name: &str) -> StoreResult<Option<Organisation>> {
                let sql = format!(
                    "SELECT {ORG_COLUMNS} FROM organisations WHERE LOWER(name) = LOWER($1)"
                );
                let row = sqlx::query(&sql)
                    .bind(name.trim())
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(rows::org).transpose()
            }

            async fn list_orgs(
                &self,
                scope: OrgScope,
                search: Option<&str>,
            ) -> StoreResult<Vec<(Organisation, i64)>> {
                let scope_sql = match scope {
                    OrgScope::Local => "o.local = $1",
                    OrgScope::External => "o.local = $1",
                    OrgScope::All => "$1 = $1",
                };
                // The pattern is lower-cased by the database, with the same
                // LOWER() as the columns: SQLite's LOWER() folds ASCII only, so
                // a pattern lower-cased in Rust would miss non-ASCII capitals.
                let pattern = search.map(|s| format!("%{s}%"));
                let sql = format!(
                    "SELECT {cols}, (SELECT COUNT(*) FROM users u WHERE u.org_id = o.id) AS user_count \
                     FROM organisations o WHERE {scope_sql} AND ($2 IS NULL \
                     OR LOWER(o.name) LIKE LOWER($2) OR LOWER(o.description) LIKE LOWER($2) \
                     OR LOWER(o.uuid) LIKE LOWER($2) OR LOWER(o.sector) LIKE LOWER($2) \
                     OR LOWER(o.nationality) LIKE LOWER($2) OR LOWER(o.org_type) LIKE LOWER($2)) \
                     ORDER BY LOWER(o.name), o.id",
                    cols = ORG_COLUMNS
                        .split(", ")
                        .map(|c| format!("o.{c}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                let local = !matches!(scope, OrgScope::External);
                let found = sqlx::query(&sql)
                    .bind(local)
                    .bind(pattern)
                    .fetch_all(&self.pool)
                    .await?;
                found
                    .iter()
                    .map(|row| {
                        use sqlx::Row;
                        Ok((rows::org(row)?, row.try_get::<i64, _>("user_count")?))
                    })
                    .collect()
            }

            async fn update_org(
                &self,
                id: i64,
                org: &NewOrganisation,
            ) -> StoreResult<Organisation> {
                let current = self.get_org(EntityRef::Id(id)).await?;
                let uuid = org.uuid.clone().unwrap_or(current.uuid);
                let sql = format!(
                    "UPDATE organisations SET uuid = $1, name = $2, date_modified = $3, \
                     description = $4, org_type = $5, nationality = $6, sector = $7, \
                     contacts = $8, local = $9, restricted_to_domain = $10, landingpage = $11 \
                     WHERE id = $12 RETURNING {ORG_COLUMNS}"
                );
                let row = sqlx::query(&sql)
                    .bind(&uuid)
                    .bind(&org.name)
                    .bind(time_fmt::now())
                    .bind(&org.description)
                    .bind(&org.org_type)
                    .bind(&org.nationality)
                    .bind(&org.sector)
                    .bind(&org.contacts)
                    .bind(org.local)
                    .bind(domains_json(org))
                    .bind(&org.landingpage)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(conflict_field)?;
                rows::org(&row.ok_or(StoreError::NotFound)?)
            }

            async fn delete_org(&self, id: i64) -> StoreResult<()> {
                let mut tx = self.write_tx().await?;
                let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE org_id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                if users > 0 {
                    return Err(StoreError::InUse("users"));
                }
                let done = sqlx::query("DELETE FROM organisations WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| match StoreError::from_db(e, "organisation") {
                        StoreError::InvalidReference(f) => StoreError::InUse(f),
                        other => other,
                    })?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                tx.commit().await?;
                Ok(())
            }

            async fn org_user_count(&self, id: i64) -> StoreResult<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE org_id = $1")
                    .bind(id)
                    .fetch_one(&self.pool)
                    .await?)
            }
        }
    };
}

/// Tells which unique rule a failed organisation write broke.
fn conflict_field(e: sqlx::Error) -> StoreError {
    let text = e.to_string();
    match StoreError::from_db(e, "name") {
        StoreError::Conflict(_) if text.contains("uuid") => StoreError::Conflict("uuid"),
        other => other,
    }
}

impl_orgs!(SqliteStore);
impl_orgs!(PgStore);
