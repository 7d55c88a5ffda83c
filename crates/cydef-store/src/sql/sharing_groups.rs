//! Sharing groups and their members, for both backends.
//!
//! Who may see a group is one SQL condition, [`AUTHORIZED`], used by the
//! index, by `authorized_sharing_group_ids` and by `may_use_sharing_group`.

use std::collections::HashMap;

use async_trait::async_trait;
use cydef_model::sharing_group::{
    NewSharingGroup, SharingGroup, SharingGroupDetail, SharingGroupOrg, SharingGroupServer,
};
use cydef_model::{EntityRef, Organisation};
use sqlx::ColumnIndex;

use super::rows::{self, DbRow, ORG_COLUMNS};
use super::{PgStore, SqliteStore};
use crate::{
    SharingGroupOwner, SharingGroupPatch, SharingGroupStore, StoreError, StoreResult, Viewer,
};

/// MISP's `checkIfAuthorised` over the group aliased `sg`, with `$1` the
/// reader's organisation and `$2` whether the reader is a site admin. The
/// creator organisation, member organisations and, when the local server is
/// a member with `all_orgs`, every organisation may use the group.
pub(crate) const AUTHORIZED: &str = "($2 OR sg.org_id = $1 \
     OR EXISTS (SELECT 1 FROM sharing_group_orgs m WHERE m.sharing_group_id = sg.id AND m.org_id = $1) \
     OR EXISTS (SELECT 1 FROM sharing_group_servers v WHERE v.sharing_group_id = sg.id \
                AND v.server_id = 0 AND v.all_orgs = TRUE))";

const SG_COLUMNS: &str = "sg.id, sg.uuid, sg.name, sg.releasability, sg.description, \
     sg.organisation_uuid, sg.org_id, sg.sync_user_id, sg.active, sg.created, sg.modified, \
     sg.local, sg.roaming";

/// The groups a load reads: `$1`/`$2` as in [`AUTHORIZED`], `$3` the active
/// flag (or NULL for any), `$4` one id (or NULL for all).
fn scope() -> String {
    format!("($4 IS NULL OR sg.id = $4) AND ($3 IS NULL OR sg.active = $3) AND {AUTHORIZED}")
}

fn group<R: DbRow>(row: &R) -> Result<SharingGroup, StoreError>
where
    for<'a> &'a str: ColumnIndex<R>,
{
    Ok(SharingGroup {
        id: row.i64("id")?,
        uuid: row.text("uuid")?,
        name: row.text("name")?,
        releasability: row.text("releasability")?,
        description: row.text("description")?,
        organisation_uuid: row.text("organisation_uuid")?,
        org_id: row.i64("org_id")?,
        sync_user_id: row.i64("sync_user_id")?,
        active: row.bool("active")?,
        created: row.i64("created")?,
        modified: row.i64("modified")?,
        local: row.bool("local")?,
        roaming: row.bool("roaming")?,
    })
}

fn member_org<R: DbRow>(row: &R) -> Result<(SharingGroupOrg, Organisation), StoreError>
where
    for<'a> &'a str: ColumnIndex<R>,
{
    Ok((
        SharingGroupOrg {
            id: row.i64("member_id")?,
            sharing_group_id: row.i64("member_sg")?,
            org_id: row.i64("id")?,
            extend: row.bool("member_extend")?,
        },
        rows::org(row)?,
    ))
}

fn member_server<R: DbRow>(row: &R) -> Result<SharingGroupServer, StoreError>
where
    for<'a> &'a str: ColumnIndex<R>,
{
    Ok(SharingGroupServer {
        id: row.i64("id")?,
        sharing_group_id: row.i64("sharing_group_id")?,
        server_id: row.i64("server_id")?,
        all_orgs: row.bool("all_orgs")?,
    })
}

/// Puts groups, creators and members together, keeping the groups' order.
fn assemble(
    groups: Vec<SharingGroup>,
    creators: Vec<Organisation>,
    orgs: Vec<(SharingGroupOrg, Organisation)>,
    servers: Vec<SharingGroupServer>,
) -> StoreResult<Vec<SharingGroupDetail>> {
    let creators: HashMap<i64, Organisation> = creators.into_iter().map(|o| (o.id, o)).collect();
    let mut by_group: HashMap<i64, SharingGroupDetail> = HashMap::new();
    let mut order = Vec::with_capacity(groups.len());
    for g in groups {
        let creator = creators
            .get(&g.org_id)
            .cloned()
            .ok_or_else(|| StoreError::Corrupt(format!("sharing group {} has no creator", g.id)))?;
        order.push(g.id);
        by_group.insert(
            g.id,
            SharingGroupDetail {
                group: g,
                creator,
                orgs: Vec::new(),
                servers: Vec::new(),
            },
        );
    }
    for (m, o) in orgs {
        if let Some(d) = by_group.get_mut(&m.sharing_group_id) {
            d.orgs.push((m, o));
        }
    }
    for s in servers {
        if let Some(d) = by_group.get_mut(&s.sharing_group_id) {
            d.servers.push(s);
        }
    }
    Ok(order
        .into_iter()
        .filter_map(|id| by_group.remove(&id))
        .collect())
}

/// Tells which unique rule a failed group write broke.
fn conflict_field(e: sqlx::Error) -> StoreError {
    let text = e.to_string();
    match StoreError::from_db(e, "name") {
        StoreError::Conflict(_) if text.contains("uuid") => StoreError::Conflict("uuid"),
        other => other,
    }
}

const UPSERT_ORG: &str = "INSERT INTO sharing_group_orgs (sharing_group_id, org_id, extend) \
     VALUES ($1, $2, $3) ON CONFLICT (sharing_group_id, org_id) DO UPDATE SET extend = excluded.extend";
const UPSERT_SERVER: &str = "INSERT INTO sharing_group_servers (sharing_group_id, server_id, all_orgs) \
     VALUES ($1, $2, $3) ON CONFLICT (sharing_group_id, server_id) DO UPDATE SET all_orgs = excluded.all_orgs";

macro_rules! impl_sharing_groups {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Adds the member organisations (`extend`) and servers
            /// (`all_orgs`) of group `id`, or updates their flags.
            async fn upsert_members(
                tx: &mut sqlx::Transaction<'static, $db>,
                id: i64,
                orgs: &[(i64, bool)],
                servers: &[(i64, bool)],
            ) -> StoreResult<()> {
                for (org_id, extend) in orgs {
                    sqlx::query(UPSERT_ORG)
                        .bind(id)
                        .bind(org_id)
                        .bind(extend)
                        .execute(&mut **tx)
                        .await
                        .map_err(|e| StoreError::from_db(e, "org_id"))?;
                }
                for (server_id, all_orgs) in servers {
                    sqlx::query(UPSERT_SERVER)
                        .bind(id)
                        .bind(server_id)
                        .bind(all_orgs)
                        .execute(&mut **tx)
                        .await
                        .map_err(|e| StoreError::from_db(e, "server_id"))?;
                }
                Ok(())
            }

            /// Groups in [`scope`] with their creators and members, by name.
            async fn load_sharing_groups(
                &self,
                org_id: i64,
                site_admin: bool,
                active: Option<bool>,
                only: Option<i64>,
            ) -> StoreResult<Vec<SharingGroupDetail>> {
                let scope = scope();
                let org_cols = ORG_COLUMNS
                    .split(", ")
                    .map(|c| format!("o.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let mut tx = self.write_tx().await?;
                let groups = sqlx::query(&format!(
                    "SELECT {SG_COLUMNS} FROM sharing_groups sg WHERE {scope} \
                     ORDER BY LOWER(sg.name), sg.id"
                ))
                .bind(org_id)
                .bind(site_admin)
                .bind(active)
                .bind(only)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(group)
                .collect::<StoreResult<Vec<_>>>()?;
                if groups.is_empty() {
                    return Ok(Vec::new());
                }
                let creators = sqlx::query(&format!(
                    "SELECT {org_cols} FROM organisations o WHERE o.id IN \
                     (SELECT sg.org_id FROM sharing_groups sg WHERE {scope})"
                ))
                .bind(org_id)
                .bind(site_admin)
                .bind(active)
                .bind(only)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(rows::org)
                .collect::<StoreResult<Vec<_>>>()?;
                let orgs = sqlx::query(&format!(
                    "SELECT mo.id AS member_id, mo.sharing_group_id AS member_sg, \
                     mo.extend AS member_extend, {org_cols} \
                     FROM sharing_group_orgs mo JOIN organisations o ON o.id = mo.org_id \
                     JOIN sharing_groups sg ON sg.id = mo.sharing_group_id \
                     WHERE {scope} ORDER BY mo.id"
                ))
                .bind(org_id)
                .bind(site_admin)
                .bind(active)
                .bind(only)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(member_org)
                .collect::<StoreResult<Vec<_>>>()?;
                let servers = sqlx::query(&format!(
                    "SELECT s.id, s.sharing_group_id, s.server_id, s.all_orgs \
                     FROM sharing_group_servers s JOIN sharing_groups sg ON sg.id = s.sharing_group_id \
                     WHERE {scope} ORDER BY s.id"
                ))
                .bind(org_id)
                .bind(site_admin)
                .bind(active)
                .bind(only)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(member_server)
                .collect::<StoreResult<Vec<_>>>()?;
                tx.commit().await?;
                assemble(groups, creators, orgs, servers)
            }
        }

        #[async_trait]
        impl SharingGroupStore for $store {
            async fn create_sharing_group(
                &self,
                sg: &NewSharingGroup,
                owner: SharingGroupOwner,
                orgs: &[(i64, bool)],
                servers: &[(i64, bool)],
                now: i64,
            ) -> StoreResult<i64> {
                // The first statement writes: on SQLite, a transaction that
                // reads first cannot always upgrade to a write (another
                // connection may have written since its snapshot).
                let mut tx = self.write_tx().await?;
                let uuid = sg
                    .uuid
                    .clone()
                    .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
                let id: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO sharing_groups (uuid, name, releasability, description, \
                     organisation_uuid, org_id, sync_user_id, active, created, modified, local, roaming) \
                     SELECT $1, $2, $3, $4, o.uuid, o.id, $6, $7, $8, $8, TRUE, $9 \
                     FROM organisations o WHERE o.id = $5 RETURNING id",
                )
                .bind(&uuid)
                .bind(&sg.name)
                .bind(&sg.releasability)
                .bind(&sg.description)
                .bind(owner.org_id)
                .bind(owner.user_id)
                .bind(sg.active)
                .bind(now)
                .bind(sg.roaming)
                .fetch_optional(&mut *tx)
                .await
                .map_err(conflict_field)?;
                let id = id.ok_or(StoreError::InvalidReference("org_id"))?;
                Self::upsert_members(&mut tx, id, orgs, servers).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn get_sharing_group(&self, r: EntityRef) -> StoreResult<SharingGroupDetail> {
                let id: Option<i64> = match r {
                    EntityRef::Id(id) => Some(id),
                    EntityRef::Uuid(u) => {
                        sqlx::query_scalar("SELECT id FROM sharing_groups WHERE uuid = $1")
                            .bind(u.hyphenated().to_string())
                            .fetch_optional(&self.pool)
                            .await?
                    }
                };
                let id = id.ok_or(StoreError::NotFound)?;
                self.load_sharing_groups(0, true, None, Some(id))
                    .await?
                    .into_iter()
                    .next()
                    .ok_or(StoreError::NotFound)
            }

            async fn list_sharing_groups(
                &self,
                viewer: &Viewer,
                active: Option<bool>,
            ) -> StoreResult<Vec<SharingGroupDetail>> {
                self.load_sharing_groups(viewer.org_id, viewer.site_admin, active, None)
                    .await
            }

            async fn update_sharing_group(
                &self,
                id: i64,
                patch: &SharingGroupPatch,
                orgs: &[(i64, bool)],
                servers: &[(i64, bool)],
                now: i64,
            ) -> StoreResult<()> {
                let mut tx = self.write_tx().await?;
                let done = sqlx::query(
                    "UPDATE sharing_groups SET name = COALESCE($1, name), \
                     releasability = COALESCE($2, releasability), \
                     description = COALESCE($3, description), active = COALESCE($4, active), \
                     roaming = COALESCE($5, roaming), modified = $6 WHERE id = $7",
                )
                .bind(patch.name.as_deref())
                .bind(patch.releasability.as_deref())
                .bind(patch.description.as_deref())
                .bind(patch.active)
                .bind(patch.roaming)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(conflict_field)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Self::upsert_members(&mut tx, id, orgs, servers).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn delete_sharing_group(&self, id: i64) -> StoreResult<()> {
                // One statement (members go by ON DELETE CASCADE); when it
                // deletes nothing, find out why.
                let uses = ["events", "attributes", "objects", "event_reports"];
                let unused = uses
                    .iter()
                    .map(|t| format!("NOT EXISTS (SELECT 1 FROM {t} WHERE sharing_group_id = $1)"))
                    .collect::<Vec<_>>()
                    .join(" AND ");
                let done = sqlx::query(&format!(
                    "DELETE FROM sharing_groups WHERE id = $1 AND {unused}"
                ))
                .bind(id)
                .execute(&self.pool)
                .await?;
                if done.rows_affected() > 0 {
                    return Ok(());
                }
                for table in uses {
                    let used: Option<i64> = sqlx::query_scalar(&format!(
                        "SELECT id FROM {table} WHERE sharing_group_id = $1 LIMIT 1"
                    ))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                    if used.is_some() {
                        return Err(StoreError::InUse(table));
                    }
                }
                Err(StoreError::NotFound)
            }

            async fn add_sharing_group_org(
                &self,
                sg_id: i64,
                org_id: i64,
                extend: bool,
            ) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO sharing_group_orgs (sharing_group_id, org_id, extend) \
                     VALUES ($1, $2, $3)",
                )
                .bind(sg_id)
                .bind(org_id)
                .bind(extend)
                .execute(&self.pool)
                .await
                .map_err(|e| StoreError::from_db(e, "org_id"))?;
                Ok(())
            }

            async fn remove_sharing_group_org(&self, sg_id: i64, org_id: i64) -> StoreResult<()> {
                let done = sqlx::query(
                    "DELETE FROM sharing_group_orgs WHERE sharing_group_id = $1 AND org_id = $2",
                )
                .bind(sg_id)
                .bind(org_id)
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            }

            async fn add_sharing_group_server(
                &self,
                sg_id: i64,
                server_id: i64,
                all_orgs: bool,
            ) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO sharing_group_servers (sharing_group_id, server_id, all_orgs) \
                     VALUES ($1, $2, $3)",
                )
                .bind(sg_id)
                .bind(server_id)
                .bind(all_orgs)
                .execute(&self.pool)
                .await
                .map_err(|e| StoreError::from_db(e, "server_id"))?;
                Ok(())
            }

            async fn remove_sharing_group_server(
                &self,
                sg_id: i64,
                server_id: i64,
            ) -> StoreResult<()> {
                let done = sqlx::query(
                    "DELETE FROM sharing_group_servers WHERE sharing_group_id = $1 AND server_id = $2",
                )
                .bind(sg_id)
                .bind(server_id)
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            }

            async fn authorized_sharing_group_ids(
                &self,
                org_id: i64,
                site_admin: bool,
            ) -> StoreResult<Vec<i64>> {
                Ok(sqlx::query_scalar(&format!(
                    "SELECT sg.id FROM sharing_groups sg WHERE {AUTHORIZED} ORDER BY sg.id"
                ))
                .bind(org_id)
                .bind(site_admin)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn may_use_sharing_group(
                &self,
                id: i64,
                org_id: i64,
                site_admin: bool,
            ) -> StoreResult<bool> {
                let found: Option<i64> = sqlx::query_scalar(&format!(
                    "SELECT sg.id FROM sharing_groups sg WHERE sg.id = $3 AND {AUTHORIZED}"
                ))
                .bind(org_id)
                .bind(site_admin)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(found.is_some())
            }
        }
    };
}

impl_sharing_groups!(SqliteStore, sqlx::Sqlite);
impl_sharing_groups!(PgStore, sqlx::Postgres);
