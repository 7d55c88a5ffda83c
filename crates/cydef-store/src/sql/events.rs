//! Events: whole-document ingest in one transaction with multi-row inserts,
//! and the reads the event view needs.

use std::collections::HashMap;

use super::rows;
use super::search::{append, event_columns, Arg, Sql};
use super::sightings::bind_sql;
use super::visibility::event_visible;
use super::write::AttrRow;
use super::{PgStore, SqliteStore};
use crate::{EventOwner, EventStore, Page, StoreError, StoreResult, Viewer};
use async_trait::async_trait;
use cydef_model::event::{
    BlocklistEntry, Event, EventContents, NewAttribute, NewEvent, NewObject, NewTagLink,
};
use cydef_model::EntityRef;

pub(crate) const EVENT_COLUMNS: &str = "id, uuid, org_id, orgc_id, user_id, info, date, \
     threat_level_id, analysis, distribution, sharing_group_id, published, publish_timestamp, \
     timestamp, sighting_timestamp, attribute_count, disable_correlation, extends_uuid, \
     proposal_email_lock, locked";

pub(crate) const ATTRIBUTE_COLUMNS: &str = "id, uuid, event_id, object_id, object_relation, \
     category, type, value1, value2, to_ids, comment, distribution, sharing_group_id, timestamp, \
     deleted, disable_correlation, first_seen, last_seen, data";

pub(crate) const OBJECT_COLUMNS: &str = "id, uuid, event_id, name, meta_category, description, \
     template_uuid, template_version, comment, distribution, sharing_group_id, timestamp, deleted, \
     first_seen, last_seen";

pub(crate) const REFERENCE_COLUMNS: &str = "id, uuid, event_id, object_id, referenced_uuid, \
     referenced_type, referenced_id, relationship_type, comment, timestamp, deleted";

pub(crate) const TAG_COLUMNS: &str = "t.id AS tag_id, t.name AS tag_name, t.colour, t.exportable, \
     t.org_id AS tag_org_id, t.user_id AS tag_user_id, t.hide_tag, t.numerical_value, t.is_galaxy, \
     t.is_custom_galaxy, t.local_only";

macro_rules! impl_events {
    ($store:ty, $db:ty) => {
        #[async_trait]
        impl EventStore for $store {
            async fn create_event(
                &self,
                ev: &NewEvent,
                owner: &EventOwner,
                now: i64,
            ) -> StoreResult<i64> {
                let mut tx = self.write_tx().await?;
                let event_id: i64 = sqlx::query_scalar(
                    "INSERT INTO events (uuid, org_id, orgc_id, user_id, info, date, threat_level_id, \
                     analysis, distribution, sharing_group_id, published, publish_timestamp, timestamp, \
                     attribute_count, disable_correlation, extends_uuid) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
                     RETURNING id",
                )
                .bind(&ev.uuid)
                .bind(owner.org_id)
                .bind(owner.orgc_id)
                .bind(owner.user_id)
                .bind(&ev.info)
                .bind(&ev.date)
                .bind(ev.threat_level_id)
                .bind(ev.analysis)
                .bind(ev.distribution)
                .bind(ev.sharing_group_id.unwrap_or(0))
                .bind(ev.published)
                .bind(ev.publish_timestamp)
                .bind(ev.timestamp.unwrap_or(now))
                .bind(ev.attribute_count() as i64)
                .bind(ev.disable_correlation)
                .bind(ev.extends_uuid.clone().unwrap_or_default())
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| StoreError::from_db(e, "uuid"))?;

                // Objects first: attributes point at them.
                let objects: Vec<&NewObject> = ev.objects.iter().collect();
                Self::insert_objects(&mut tx, event_id, &objects, now).await?;
                let object_ids = if ev.objects.is_empty() {
                    HashMap::new()
                } else {
                    Self::uuid_map(&mut tx, "objects", event_id).await?
                };

                let mut attrs: Vec<AttrRow<'_>> =
                    ev.attributes.iter().map(|a| (None, a)).collect();
                for o in &ev.objects {
                    let oid = object_ids.get(&o.uuid).copied();
                    attrs.extend(o.attributes.iter().map(|a| (oid, a)));
                }
                Self::insert_attributes(&mut tx, event_id, &attrs, now).await?;
                let attr_ids = if attrs.is_empty() {
                    HashMap::new()
                } else {
                    Self::uuid_map(&mut tx, "attributes", event_id).await?
                };

                Self::tag_event(&mut tx, event_id, &ev.tags).await?;
                let stored_attrs: Vec<(i64, &NewAttribute)> = attrs
                    .iter()
                    .filter_map(|(_, a)| attr_ids.get(&a.uuid).map(|id| (*id, *a)))
                    .collect();
                let tagged: Vec<(i64, &[NewTagLink])> = stored_attrs
                    .iter()
                    .filter(|(_, a)| !a.tags.is_empty())
                    .map(|(id, a)| (*id, a.tags.as_slice()))
                    .collect();
                Self::tag_attributes(&mut tx, event_id, &tagged).await?;

                let sightings: Vec<(i64, &cydef_model::event::NewSighting)> = stored_attrs
                    .iter()
                    .flat_map(|(aid, a)| a.sightings.iter().map(move |s| (*aid, s)))
                    .collect();
                Self::insert_sightings(&mut tx, event_id, owner.org_id, &sightings).await?;

                let references: Vec<(i64, &cydef_model::event::NewReference)> = ev
                    .objects
                    .iter()
                    .filter_map(|o| object_ids.get(&o.uuid).map(|id| (*id, o)))
                    .flat_map(|(oid, o)| o.references.iter().map(move |r| (oid, r)))
                    .collect();
                Self::insert_references(&mut tx, event_id, &references, &attr_ids, &object_ids, now)
                    .await?;
                Self::insert_proposals(&mut tx, event_id, owner.org_id, &ev.proposals, false, now)
                    .await?;
                let reports: Vec<&cydef_model::event::NewReport> = ev.reports.iter().collect();
                Self::insert_reports(&mut tx, event_id, &reports, now).await?;

                tx.commit().await?;
                Ok(event_id)
            }

            async fn find_event(&self, r: EntityRef) -> StoreResult<Event> {
                let row = match r {
                    EntityRef::Id(id) => {
                        sqlx::query(&format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = $1"))
                            .bind(id)
                            .fetch_optional(&self.pool)
                            .await?
                    }
                    EntityRef::Uuid(u) => {
                        sqlx::query(&format!("SELECT {EVENT_COLUMNS} FROM events WHERE uuid = $1"))
                            .bind(u.hyphenated().to_string())
                            .fetch_optional(&self.pool)
                            .await?
                    }
                };
                rows::event(&row.ok_or(StoreError::NotFound)?)
            }

            async fn event_contents(&self, event_id: i64) -> StoreResult<EventContents> {
                let attributes = sqlx::query(&format!(
                    "SELECT {ATTRIBUTE_COLUMNS} FROM attributes WHERE event_id = $1 ORDER BY id"
                ))
                .bind(event_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::attribute)
                .collect::<StoreResult<Vec<_>>>()?;
                let objects = sqlx::query(&format!(
                    "SELECT {OBJECT_COLUMNS} FROM objects WHERE event_id = $1 ORDER BY id"
                ))
                .bind(event_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::object)
                .collect::<StoreResult<Vec<_>>>()?;
                let references = sqlx::query(&format!(
                    "SELECT {REFERENCE_COLUMNS} FROM object_references WHERE event_id = $1 ORDER BY id"
                ))
                .bind(event_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::reference)
                .collect::<StoreResult<Vec<_>>>()?;
                let event_tags = sqlx::query(&format!(
                    "SELECT et.event_id AS target_id, et.local, et.relationship_type, {TAG_COLUMNS} \
                     FROM event_tags et JOIN tags t ON t.id = et.tag_id WHERE et.event_id = $1 ORDER BY et.id"
                ))
                .bind(event_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::tag_link)
                .collect::<StoreResult<Vec<_>>>()?;
                let attribute_tags = sqlx::query(&format!(
                    "SELECT at.attribute_id AS target_id, at.local, at.relationship_type, {TAG_COLUMNS} \
                     FROM attribute_tags at JOIN tags t ON t.id = at.tag_id WHERE at.event_id = $1 ORDER BY at.id"
                ))
                .bind(event_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::tag_link)
                .collect::<StoreResult<Vec<_>>>()?;
                let sightings = sqlx::query(
                    "SELECT id, uuid, attribute_id, event_id, org_id, date_sighting, source, type \
                     FROM sightings WHERE event_id = $1 ORDER BY id",
                )
                .bind(event_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::sighting)
                .collect::<StoreResult<Vec<_>>>()?;
                let proposals = sqlx::query(
                    "SELECT id, uuid, event_id, old_id, org_id, category, type, value1, value2, to_ids, \
                     comment, timestamp, proposal_to_delete, deleted FROM shadow_attributes \
                     WHERE event_id = $1 ORDER BY id",
                )
                .bind(event_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::proposal)
                .collect::<StoreResult<Vec<_>>>()?;
                let reports = sqlx::query(
                    "SELECT id, uuid, event_id, name, content, distribution, sharing_group_id, timestamp, \
                     deleted FROM event_reports WHERE event_id = $1 ORDER BY id",
                )
                .bind(event_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::report)
                .collect::<StoreResult<Vec<_>>>()?;
                Ok(EventContents {
                    attributes,
                    objects,
                    references,
                    event_tags,
                    attribute_tags,
                    sightings,
                    proposals,
                    reports,
                })
            }

            async fn list_events(&self, page: Page, viewer: &Viewer) -> StoreResult<Vec<Event>> {
                let limit = page.limit.clamp(1, 100_000);
                let offset = (page.page.max(1) - 1).saturating_mul(limit);
                // Another organisation's count is of the attributes it may
                // see, so that the number does not reveal hidden ones.
                let mut sql = Sql::default();
                sql.push("SELECT ");
                append(&mut sql, &event_columns(viewer));
                sql.push(" FROM events e WHERE ");
                event_visible(&mut sql, viewer);
                sql.push(" ORDER BY e.id DESC LIMIT ")
                    .bind(limit)
                    .push(" OFFSET ")
                    .bind(offset);
                let found = bind_sql!(sqlx::query(&sql.text), &sql.args)
                    .fetch_all(&self.pool)
                    .await?;
                found.iter().map(rows::event).collect()
            }

            async fn delete_event(&self, id: i64, block: Option<(&str, &str)>) -> StoreResult<()> {
                let mut tx = self.write_tx().await?;
                let event: Option<(String, String)> =
                    sqlx::query_as("SELECT uuid, info FROM events WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                let Some((uuid, info)) = event else {
                    return Err(StoreError::NotFound);
                };
                // Children first, explicitly: SQLite only cascades with
                // foreign keys on, and the order keeps both backends alike.
                for table in [
                    "attribute_tags",
                    "event_tags",
                    "sightings",
                    "object_references",
                    "attributes",
                    "objects",
                    "shadow_attributes",
                    "event_reports",
                ] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE event_id = $1"))
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query("DELETE FROM events WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                if let Some((comment, orgc)) = block {
                    sqlx::query(
                        "INSERT INTO event_blocklists (event_uuid, created, event_info, comment, event_orgc) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_uuid) DO NOTHING",
                    )
                    .bind(&uuid)
                    .bind(cydef_model::time_fmt::now())
                    .bind(&info)
                    .bind(comment)
                    .bind(orgc)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn set_published(&self, id: i64, published: bool, now: i64) -> StoreResult<Event> {
                let row = sqlx::query(&format!(
                    "UPDATE events SET published = $1, \
                     publish_timestamp = CASE WHEN $1 THEN $2 ELSE publish_timestamp END \
                     WHERE id = $3 RETURNING {EVENT_COLUMNS}"
                ))
                .bind(published)
                .bind(now)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                rows::event(&row.ok_or(StoreError::NotFound)?)
            }

            async fn is_blocklisted(&self, uuid: &str) -> StoreResult<bool> {
                let found: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM event_blocklists WHERE event_uuid = $1")
                        .bind(uuid)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(found.is_some())
            }

            async fn list_blocklist(&self) -> StoreResult<Vec<BlocklistEntry>> {
                let found = sqlx::query(
                    "SELECT id, event_uuid, created, event_info, comment, event_orgc \
                     FROM event_blocklists ORDER BY id",
                )
                .fetch_all(&self.pool)
                .await?;
                found.iter().map(rows::blocklist).collect()
            }

            async fn add_blocklist(
                &self,
                uuid: &str,
                info: &str,
                comment: &str,
                orgc: &str,
                now: i64,
            ) -> StoreResult<BlocklistEntry> {
                let row = sqlx::query(
                    "INSERT INTO event_blocklists (event_uuid, created, event_info, comment, event_orgc) \
                     VALUES ($1, $2, $3, $4, $5) \
                     RETURNING id, event_uuid, created, event_info, comment, event_orgc",
                )
                .bind(uuid)
                .bind(now)
                .bind(info)
                .bind(comment)
                .bind(orgc)
                .fetch_one(&self.pool)
                .await
                .map_err(|e| StoreError::from_db(e, "event_uuid"))?;
                rows::blocklist(&row)
            }

            async fn delete_blocklist(&self, id: i64) -> StoreResult<()> {
                let done = sqlx::query("DELETE FROM event_blocklists WHERE id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            }
        }
    };
}

impl_events!(SqliteStore, sqlx::Sqlite);
impl_events!(PgStore, sqlx::Postgres);
