//! Attributes one at a time: add (several, each stored or refused on its own),
//! read, edit, soft delete and restore, hard delete. Every change touches the
//! event (timestamp, unpublished, attribute count) in the same transaction.

use async_trait::async_trait;
use cydef_model::event::{Attribute, NewAttribute, TagLink};
use cydef_model::EntityRef;

use super::events::{ATTRIBUTE_COLUMNS, TAG_COLUMNS};
use super::rows;
use super::{PgStore, SqliteStore};
use crate::{AttributeStore, StoreError, StoreResult};

macro_rules! impl_attributes {
    ($store:ty, $db:ty) => {
        impl $store {
            /// The event after a change to its attributes: new timestamp,
            /// unpublished, live attributes recounted; the object's timestamp
            /// too when the attribute is in one.
            pub(crate) async fn attr_touch_event(
                tx: &mut sqlx::Transaction<'_, $db>,
                event_id: i64,
                object_id: Option<i64>,
                now: i64,
            ) -> StoreResult<()> {
                Self::touch_event(tx, event_id, now).await?;
                if let Some(oid) = object_id {
                    sqlx::query("UPDATE objects SET timestamp = $1 WHERE id = $2")
                        .bind(now)
                        .bind(oid)
                        .execute(&mut **tx)
                        .await?;
                }
                Ok(())
            }

            /// `(event_id, object_id)` of an attribute.
            async fn attr_owner(
                tx: &mut sqlx::Transaction<'_, $db>,
                id: i64,
            ) -> StoreResult<(i64, Option<i64>)> {
                let found: Option<(i64, Option<i64>)> =
                    sqlx::query_as("SELECT event_id, object_id FROM attributes WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut **tx)
                        .await?;
                found.ok_or(StoreError::NotFound)
            }

        }

        #[async_trait]
        impl AttributeStore for $store {
            async fn add_attributes(
                &self,
                event_id: i64,
                attrs: &[NewAttribute],
                now: i64,
            ) -> StoreResult<Vec<StoreResult<Attribute>>> {
                let mut tx = self.write_tx().await?;
                let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM events WHERE id = $1")
                    .bind(event_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if exists.is_none() {
                    return Err(StoreError::NotFound);
                }
                let mut out = Vec::with_capacity(attrs.len());
                let mut stored_any = false;
                for a in attrs {
                    // DO NOTHING covers both unique rules (UUID and the
                    // duplicate index), so one refusal never aborts the rest.
                    let row = sqlx::query(&format!(
                        "INSERT INTO attributes (uuid, event_id, object_id, object_relation, category, \
                         type, value1, value2, to_ids, comment, distribution, sharing_group_id, \
                         timestamp, deleted, disable_correlation, first_seen, last_seen, data) \
                         VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
                         $15, $16, $17) ON CONFLICT DO NOTHING RETURNING {ATTRIBUTE_COLUMNS}"
                    ))
                    .bind(&a.uuid)
                    .bind(event_id)
                    .bind(&a.object_relation)
                    .bind(&a.category)
                    .bind(&a.attr_type)
                    .bind(&a.value1)
                    .bind(&a.value2)
                    .bind(a.to_ids)
                    .bind(&a.comment)
                    .bind(a.distribution)
                    .bind(a.sharing_group_id.unwrap_or(0))
                    .bind(a.timestamp.unwrap_or(now))
                    .bind(a.deleted)
                    .bind(a.disable_correlation)
                    .bind(&a.first_seen)
                    .bind(&a.last_seen)
                    .bind(&a.data)
                    .fetch_optional(&mut *tx)
                    .await?;
                    match row {
                        Some(row) => {
                            let stored = rows::attribute(&row)?;
                            Self::tag_attributes(&mut tx, event_id, &[(stored.id, a.tags.as_slice())]).await?;
                            stored_any = true;
                            out.push(Ok(stored));
                        }
                        None => {
                            let taken: Option<i64> =
                                sqlx::query_scalar("SELECT id FROM attributes WHERE uuid = $1")
                                    .bind(&a.uuid)
                                    .fetch_optional(&mut *tx)
                                    .await?;
                            out.push(Err(StoreError::Conflict(if taken.is_some() {
                                "uuid"
                            } else {
                                "value"
                            })));
                        }
                    }
                }
                if stored_any {
                    Self::attr_touch_event(&mut tx, event_id, None, now).await?;
                }
                tx.commit().await?;
                Ok(out)
            }

            async fn get_attribute(&self, r: EntityRef) -> StoreResult<Attribute> {
                let row = match r {
                    EntityRef::Id(id) => {
                        sqlx::query(&format!(
                            "SELECT {ATTRIBUTE_COLUMNS} FROM attributes WHERE id = $1"
                        ))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?
                    }
                    EntityRef::Uuid(u) => {
                        sqlx::query(&format!(
                            "SELECT {ATTRIBUTE_COLUMNS} FROM attributes WHERE uuid = $1"
                        ))
                        .bind(u.hyphenated().to_string())
                        .fetch_optional(&self.pool)
                        .await?
                    }
                };
                rows::attribute(&row.ok_or(StoreError::NotFound)?)
            }

            async fn attribute_tag_links(&self, attribute_id: i64) -> StoreResult<Vec<TagLink>> {
                sqlx::query(&format!(
                    "SELECT at.attribute_id AS target_id, at.local, at.relationship_type, {TAG_COLUMNS} \
                     FROM attribute_tags at JOIN tags t ON t.id = at.tag_id \
                     WHERE at.attribute_id = $1 ORDER BY at.id"
                ))
                .bind(attribute_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::tag_link)
                .collect()
            }

            async fn update_attribute(
                &self,
                id: i64,
                a: &NewAttribute,
                now: i64,
            ) -> StoreResult<Attribute> {
                let mut tx = self.write_tx().await?;
                let (event_id, object_id) = Self::attr_owner(&mut tx, id).await?;
                let row = Self::update_attribute_row(&mut tx, id, a, now).await?;
                let stored = rows::attribute(&row.ok_or(StoreError::NotFound)?)?;
                if a.deleted {
                    Self::on_attribute_deleted(&mut tx, id).await?;
                }
                Self::attr_touch_event(&mut tx, event_id, object_id, now).await?;
                tx.commit().await?;
                Ok(stored)
            }

            async fn set_attribute_deleted(
                &self,
                id: i64,
                deleted: bool,
                now: i64,
            ) -> StoreResult<Attribute> {
                let mut tx = self.write_tx().await?;
                let (event_id, object_id) = Self::attr_owner(&mut tx, id).await?;
                let row = sqlx::query(&format!(
                    "UPDATE attributes SET deleted = $1, timestamp = $2 WHERE id = $3 \
                     RETURNING {ATTRIBUTE_COLUMNS}"
                ))
                .bind(deleted)
                .bind(now)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(|e| StoreError::from_db(e, "value"))?;
                let stored = rows::attribute(&row.ok_or(StoreError::NotFound)?)?;
                if deleted {
                    Self::on_attribute_deleted(&mut tx, id).await?;
                }
                Self::attr_touch_event(&mut tx, event_id, object_id, now).await?;
                tx.commit().await?;
                Ok(stored)
            }

            async fn hard_delete_attribute(&self, id: i64, now: i64) -> StoreResult<()> {
                let mut tx = self.write_tx().await?;
                let (event_id, object_id) = Self::attr_owner(&mut tx, id).await?;
                for sql in [
                    "DELETE FROM attribute_tags WHERE attribute_id = $1",
                    "DELETE FROM sightings WHERE attribute_id = $1",
                    "DELETE FROM shadow_attributes WHERE old_id = $1",
                    "DELETE FROM attributes WHERE id = $1",
                ] {
                    sqlx::query(sql).bind(id).execute(&mut *tx).await?;
                }
                Self::attr_touch_event(&mut tx, event_id, object_id, now).await?;
                tx.commit().await?;
                Ok(())
            }
        }
    };
}

impl_attributes!(SqliteStore, sqlx::Sqlite);
impl_attributes!(PgStore, sqlx::Postgres);
