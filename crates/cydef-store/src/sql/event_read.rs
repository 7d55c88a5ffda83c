//! The reads of the streamed event view: the small per-event parts in one
//! call, the attributes in keyset-paged batches with their tags and
//! sightings, so that memory does not grow with the size of the event.

use std::collections::HashMap;

use async_trait::async_trait;
use cydef_model::event::Attribute;
use cydef_model::sharing_group::AuthorizedGroups;
use sqlx::QueryBuilder;

use super::events::{ATTRIBUTE_COLUMNS, OBJECT_COLUMNS, REFERENCE_COLUMNS, TAG_COLUMNS};
use super::rows::{self, DbRow};
use super::search::{Arg, Sql};
use super::sightings::bind_sql;
use super::visibility::{part_filter, shared_attribute};
use super::{PgStore, SqliteStore};
use crate::{
    AttributeCursor, AttributeEntry, AttributeTag, EventParts, EventReadStore, PartFilter,
    StoreError, StoreResult,
};

/// The statement of one page of an event's attributes: those after `cursor`
/// that pass `filter` (the visibility rule's `part_filter`), in view order.
///
/// Both orders are range scans of `attributes_event_object` (event_id,
/// object_id, id). Top-level attributes are ordered by `object_id, id`
/// (object_id is NULL for all of them) so that PostgreSQL sees the index's
/// order: ordered by `id` alone, it may instead sort all of the event's live
/// attributes for every batch, read from the partial duplicate index that
/// `object_id IS NULL AND NOT deleted` matches.
fn page_statement(event_id: i64, cursor: AttributeCursor, filter: &PartFilter, limit: i64) -> Sql {
    let mut sql = Sql::default();
    sql.push("SELECT ")
        .push(ATTRIBUTE_COLUMNS)
        .push(" FROM attributes a WHERE a.event_id = ")
        .bind(event_id);
    match cursor {
        AttributeCursor::TopLevel { after_id } => {
            sql.push(" AND a.object_id IS NULL AND a.id > ")
                .bind(after_id);
        }
        AttributeCursor::InObjects {
            after_object_id,
            after_id,
        } => {
            sql.push(" AND a.object_id IS NOT NULL AND (a.object_id, a.id) > (")
                .bind(after_object_id)
                .push(", ")
                .bind(after_id)
                .push(")");
        }
    }
    part_filter(&mut sql, filter);
    sql.push(" ORDER BY a.object_id, a.id LIMIT ").bind(limit);
    sql
}

/// Attributes per batch on SQLite. Each SQLite connection reads on its own
/// thread, and the allocator keeps that thread's peak: small batches keep
/// the server's memory low, and cost nothing without a network between.
const SQLITE_BATCH: i64 = 500;

/// Attributes per batch on PostgreSQL, where every query is a round trip.
const POSTGRES_BATCH: i64 = 2000;

macro_rules! impl_event_read {
    ($store:ty, $db:ty, $batch:expr) => {
        #[async_trait]
        impl EventReadStore for $store {
            fn attribute_batch(&self) -> i64 {
                $batch
            }

            async fn event_parts(&self, event_id: i64) -> StoreResult<EventParts> {
                let mut conn = self.pool.acquire().await?;
                let objects = sqlx::query(&format!(
                    "SELECT {OBJECT_COLUMNS} FROM objects WHERE event_id = $1 ORDER BY id"
                ))
                .bind(event_id)
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(rows::object)
                .collect::<StoreResult<Vec<_>>>()?;
                let references = sqlx::query(&format!(
                    "SELECT {REFERENCE_COLUMNS} FROM object_references WHERE event_id = $1 ORDER BY id"
                ))
                .bind(event_id)
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(rows::reference)
                .collect::<StoreResult<Vec<_>>>()?;
                let event_tags = sqlx::query(&format!(
                    "SELECT et.event_id AS target_id, et.local, et.relationship_type, {TAG_COLUMNS} \
                     FROM event_tags et JOIN tags t ON t.id = et.tag_id WHERE et.event_id = $1 \
                     ORDER BY et.id"
                ))
                .bind(event_id)
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(rows::tag_link)
                .collect::<StoreResult<Vec<_>>>()?;
                let attribute_tags = sqlx::query(&format!(
                    "SELECT {TAG_COLUMNS} FROM tags t \
                     WHERE t.id IN (SELECT tag_id FROM attribute_tags WHERE event_id = $1) \
                     ORDER BY t.id"
                ))
                .bind(event_id)
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(rows::tag)
                .collect::<StoreResult<Vec<_>>>()?;
                let proposals = sqlx::query(
                    "SELECT id, uuid, event_id, old_id, org_id, category, type, value1, value2, \
                     to_ids, comment, timestamp, proposal_to_delete, deleted FROM shadow_attributes \
                     WHERE event_id = $1 ORDER BY id",
                )
                .bind(event_id)
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(rows::proposal)
                .collect::<StoreResult<Vec<_>>>()?;
                let reports = sqlx::query(
                    "SELECT id, uuid, event_id, name, content, distribution, sharing_group_id, \
                     timestamp, deleted FROM event_reports WHERE event_id = $1 ORDER BY id",
                )
                .bind(event_id)
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(rows::report)
                .collect::<StoreResult<Vec<_>>>()?;
                Ok(EventParts {
                    objects,
                    references,
                    event_tags,
                    attribute_tags,
                    proposals,
                    reports,
                })
            }

            async fn attribute_page(
                &self,
                event_id: i64,
                cursor: AttributeCursor,
                filter: &PartFilter,
                limit: i64,
            ) -> StoreResult<Vec<AttributeEntry>> {
                let sql = page_statement(event_id, cursor, filter, limit);
                let mut conn = self.pool.acquire().await?;
                let mut entries: Vec<AttributeEntry> = Self::page_attributes(&mut conn, &sql)
                    .await?
                    .into_iter()
                    .map(|attribute| AttributeEntry {
                        attribute,
                        tags: Vec::new(),
                        sightings: Vec::new(),
                    })
                    .collect();
                if entries.is_empty() {
                    return Ok(entries);
                }
                let at: HashMap<i64, usize> = entries
                    .iter()
                    .enumerate()
                    .map(|(i, e)| (e.attribute.id, i))
                    .collect();

                // Tags and sightings by attribute id: the batch's own rows,
                // found through `attribute_tags_pair` and
                // `sightings_attribute` (a condition on `event_id` would
                // make SQLite scan the whole event's rows for every batch).
                // Tags by id only: their names and colours are in
                // `EventParts`, and narrow rows are much cheaper to read.
                let mut qb: QueryBuilder<$db> = QueryBuilder::new(
                    "SELECT attribute_id, tag_id, local, relationship_type FROM attribute_tags \
                     WHERE attribute_id IN (",
                );
                let mut ids = qb.separated(", ");
                for e in &entries {
                    ids.push_bind(e.attribute.id);
                }
                qb.push(") ORDER BY id");
                for row in qb.build().fetch_all(&mut *conn).await? {
                    let attribute_id = row.i64("attribute_id")?;
                    if let Some(&i) = at.get(&attribute_id) {
                        entries[i].tags.push(AttributeTag {
                            tag_id: row.i64("tag_id")?,
                            local: row.bool("local")?,
                            relationship_type: row.opt_text("relationship_type")?,
                        });
                    }
                }

                let mut qb: QueryBuilder<$db> = QueryBuilder::new(
                    "SELECT id, uuid, attribute_id, event_id, org_id, date_sighting, source, type \
                     FROM sightings WHERE attribute_id IN (",
                );
                let mut ids = qb.separated(", ");
                for e in &entries {
                    ids.push_bind(e.attribute.id);
                }
                qb.push(") ORDER BY id");
                for row in qb.build().fetch_all(&mut *conn).await? {
                    let s = rows::sighting(&row)?;
                    if let Some(&i) = at.get(&s.attribute_id) {
                        entries[i].sightings.push(s);
                    }
                }
                Ok(entries)
            }

            async fn shared_attribute_count(
                &self,
                event_id: i64,
                groups: &AuthorizedGroups,
            ) -> StoreResult<i64> {
                let mut sql = Sql::default();
                sql.push(
                    "SELECT COUNT(*) FROM attributes a LEFT JOIN objects o ON o.id = a.object_id \
                     WHERE a.event_id = ",
                )
                .bind(event_id)
                .push(" AND ");
                shared_attribute(&mut sql, groups);
                let count: i64 = bind_sql!(sqlx::query_scalar(&sql.text), &sql.args)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(count)
            }
        }
    };
}

/// An attribute row as SQLite's `json_array` writes it: the columns of
/// [`ATTRIBUTE_COLUMNS`] in order, booleans as 0/1.
#[derive(serde::Deserialize)]
struct AttributeJson(
    i64,
    String,
    i64,
    Option<i64>,
    Option<String>,
    String,
    String,
    String,
    String,
    i64,
    String,
    i64,
    i64,
    i64,
    i64,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
);

impl From<AttributeJson> for Attribute {
    fn from(j: AttributeJson) -> Self {
        let AttributeJson(
            id,
            uuid,
            event_id,
            object_id,
            object_relation,
            category,
            attr_type,
            value1,
            value2,
            to_ids,
            comment,
            distribution,
            sharing_group_id,
            timestamp,
            deleted,
            disable_correlation,
            first_seen,
            last_seen,
            data,
        ) = j;
        Attribute {
            id,
            uuid,
            event_id,
            object_id,
            object_relation,
            category,
            attr_type,
            value1,
            value2,
            to_ids: to_ids != 0,
            comment,
            distribution,
            sharing_group_id,
            timestamp,
            deleted: deleted != 0,
            disable_correlation: disable_correlation != 0,
            first_seen,
            last_seen,
            data,
        }
    }
}

impl SqliteStore {
    /// The attributes `sql` (a [`page_statement`]) selects, as one JSON
    /// array made by SQLite: one row crosses from SQLite's thread instead
    /// of one per attribute, which is most of the cost of reading rows
    /// there (a channel message, a wake-up and a copy of every value per
    /// row). Several times faster on large events.
    async fn page_attributes(
        conn: &mut sqlx::SqliteConnection,
        sql: &Sql,
    ) -> StoreResult<Vec<Attribute>> {
        let wrapped = format!(
            "SELECT json_group_array(json_array({ATTRIBUTE_COLUMNS})) FROM ({})",
            sql.text
        );
        let json: String = bind_sql!(sqlx::query_scalar(&wrapped), &sql.args)
            .fetch_one(&mut *conn)
            .await?;
        let rows: Vec<AttributeJson> = serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("attribute page: {e}")))?;
        let mut attributes: Vec<Attribute> = rows.into_iter().map(Attribute::from).collect();
        // The aggregate's order is not promised: restore the page's.
        attributes.sort_unstable_by_key(|a| (a.object_id, a.id));
        Ok(attributes)
    }
}

impl PgStore {
    /// The attributes `sql` (a [`page_statement`]) selects.
    async fn page_attributes(
        conn: &mut sqlx::PgConnection,
        sql: &Sql,
    ) -> StoreResult<Vec<Attribute>> {
        bind_sql!(sqlx::query(&sql.text), &sql.args)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(rows::attribute)
            .collect()
    }
}

impl_event_read!(SqliteStore, sqlx::Sqlite, SQLITE_BATCH);
impl_event_read!(PgStore, sqlx::Postgres, POSTGRES_BATCH);
