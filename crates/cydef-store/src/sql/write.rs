//! Write steps shared by every path that stores event contents: whole-event
//! ingest, event edits, attribute and object writes. Each step takes the open
//! transaction, so a caller's steps commit or roll back together.
//!
//! Rows go in as multi-row `INSERT`s of [`CHUNK`] rows; attributes on
//! PostgreSQL go in as one `INSERT … SELECT FROM UNNEST(…)` per chunk (one
//! prepared statement, arrays instead of thousands of bound values).

use std::collections::HashMap;

use cydef_model::event::{
    NewAttribute, NewObject, NewProposal, NewReference, NewReport, NewSighting, NewTagLink,
};
use sqlx::QueryBuilder;

use super::shared::CHUNK;
use super::{PgStore, SqliteStore};
use crate::{StoreError, StoreResult};

/// An attribute to insert and the object it belongs to, if any.
pub(crate) type AttrRow<'a> = (Option<i64>, &'a NewAttribute);

/// Maps an attribute insert failure. The duplicate rule's index is
/// `attributes_no_duplicates`: PostgreSQL names it, SQLite lists its columns.
fn attribute_conflict(e: sqlx::Error) -> StoreError {
    let text = e.to_string();
    match StoreError::from_db(e, "attribute_uuid") {
        StoreError::Conflict(_)
            if text.contains("no_duplicates") || text.contains("attributes.value1") =>
        {
            StoreError::Conflict("value")
        }
        other => other,
    }
}

/// Where a reference points, among the event's attributes and objects.
fn reference_target(
    uuid: &str,
    attr_ids: &HashMap<String, i64>,
    object_ids: &HashMap<String, i64>,
) -> (Option<i64>, i64) {
    match (attr_ids.get(uuid), object_ids.get(uuid)) {
        (Some(id), _) => (Some(0), *id),
        (None, Some(id)) => (Some(1), *id),
        (None, None) => (None, 0),
    }
}

impl SqliteStore {
    /// Inserts attributes (multi-row `INSERT`). `Conflict("value")` on the
    /// duplicate rule, `Conflict("attribute_uuid")` on a UUID in use.
    pub(crate) async fn insert_attributes(
        tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
        event_id: i64,
        rows: &[AttrRow<'_>],
        now: i64,
    ) -> StoreResult<()> {
        for chunk in rows.chunks(CHUNK) {
            let mut qb: QueryBuilder<sqlx::Sqlite> = QueryBuilder::new(
                "INSERT INTO attributes (uuid, event_id, object_id, object_relation, category, \
                 type, value1, value2, to_ids, comment, distribution, sharing_group_id, \
                 timestamp, deleted, disable_correlation, first_seen, last_seen, data) ",
            );
            qb.push_values(chunk, |mut b, (object_id, a)| {
                b.push_bind(&a.uuid)
                    .push_bind(event_id)
                    .push_bind(*object_id)
                    .push_bind(&a.object_relation)
                    .push_bind(&a.category)
                    .push_bind(&a.attr_type)
                    .push_bind(&a.value1)
                    .push_bind(&a.value2)
                    .push_bind(a.to_ids)
                    .push_bind(&a.comment)
                    .push_bind(a.distribution)
                    .push_bind(a.sharing_group_id.unwrap_or(0))
                    .push_bind(a.timestamp.unwrap_or(now))
                    .push_bind(a.deleted)
                    .push_bind(a.disable_correlation)
                    .push_bind(&a.first_seen)
                    .push_bind(&a.last_seen)
                    .push_bind(&a.data);
            });
            qb.build()
                .execute(&mut **tx)
                .await
                .map_err(attribute_conflict)?;
        }
        Ok(())
    }
}

impl PgStore {
    /// Inserts attributes, one `INSERT … SELECT FROM UNNEST` per chunk: the
    /// statement text never changes, so it is prepared once per connection.
    pub(crate) async fn insert_attributes(
        tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
        event_id: i64,
        rows: &[AttrRow<'_>],
        now: i64,
    ) -> StoreResult<()> {
        const SQL: &str = "INSERT INTO attributes (uuid, event_id, object_id, object_relation, \
             category, type, value1, value2, to_ids, comment, distribution, sharing_group_id, \
             timestamp, deleted, disable_correlation, first_seen, last_seen, data) \
             SELECT u.uuid, $1, u.object_id, u.object_relation, u.category, u.type, u.value1, \
             u.value2, u.to_ids, u.comment, u.distribution, u.sharing_group_id, u.timestamp, \
             u.deleted, u.disable_correlation, u.first_seen, u.last_seen, u.data \
             FROM UNNEST($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], \
             $7::text[], $8::text[], $9::bool[], $10::text[], $11::bigint[], $12::bigint[], \
             $13::bigint[], $14::bool[], $15::bool[], $16::text[], $17::text[], $18::text[]) \
             AS u(uuid, object_id, object_relation, category, type, value1, value2, to_ids, \
             comment, distribution, sharing_group_id, timestamp, deleted, disable_correlation, \
             first_seen, last_seen, data)";
        for chunk in rows.chunks(CHUNK * 4) {
            let n = chunk.len();
            let mut uuid = Vec::with_capacity(n);
            let mut object_id = Vec::with_capacity(n);
            let mut object_relation = Vec::with_capacity(n);
            let mut category = Vec::with_capacity(n);
            let mut attr_type = Vec::with_capacity(n);
            let mut value1 = Vec::with_capacity(n);
            let mut value2 = Vec::with_capacity(n);
            let mut to_ids = Vec::with_capacity(n);
            let mut comment = Vec::with_capacity(n);
            let mut distribution = Vec::with_capacity(n);
            let mut sharing_group_id = Vec::with_capacity(n);
            let mut timestamp = Vec::with_capacity(n);
            let mut deleted = Vec::with_capacity(n);
            let mut disable_correlation = Vec::with_capacity(n);
            let mut first_seen = Vec::with_capacity(n);
            let mut last_seen = Vec::with_capacity(n);
            let mut data = Vec::with_capacity(n);
            for (oid, a) in chunk {
                uuid.push(a.uuid.as_str());
                object_id.push(*oid);
                object_relation.push(a.object_relation.as_deref());
                category.push(a.category.as_str());
                attr_type.push(a.attr_type.as_str());
                value1.push(a.value1.as_str());
                value2.push(a.value2.as_str());
                to_ids.push(a.to_ids);
                comment.push(a.comment.as_str());
                distribution.push(a.distribution);
                sharing_group_id.push(a.sharing_group_id.unwrap_or(0));
                timestamp.push(a.timestamp.unwrap_or(now));
                deleted.push(a.deleted);
                disable_correlation.push(a.disable_correlation);
                first_seen.push(a.first_seen.as_deref());
                last_seen.push(a.last_seen.as_deref());
                data.push(a.data.as_deref());
            }
            sqlx::query(SQL)
                .bind(event_id)
                .bind(uuid)
                .bind(object_id)
                .bind(object_relation)
                .bind(category)
                .bind(attr_type)
                .bind(value1)
                .bind(value2)
                .bind(to_ids)
                .bind(comment)
                .bind(distribution)
                .bind(sharing_group_id)
                .bind(timestamp)
                .bind(deleted)
                .bind(disable_correlation)
                .bind(first_seen)
                .bind(last_seen)
                .bind(data)
                .execute(&mut **tx)
                .await
                .map_err(attribute_conflict)?;
        }
        Ok(())
    }
}

impl SqliteStore {
    /// Attaches tags to attributes: `(attribute id, tag id, link)`.
    pub(crate) async fn link_attribute_tags(
        tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
        event_id: i64,
        links: &[(i64, i64, &NewTagLink)],
    ) -> StoreResult<()> {
        for chunk in links.chunks(CHUNK) {
            let mut qb: QueryBuilder<sqlx::Sqlite> = QueryBuilder::new(
                "INSERT INTO attribute_tags (attribute_id, event_id, tag_id, local, relationship_type) ",
            );
            qb.push_values(chunk, |mut b, (aid, tid, t)| {
                b.push_bind(*aid)
                    .push_bind(event_id)
                    .push_bind(*tid)
                    .push_bind(t.local)
                    .push_bind(&t.relationship_type);
            });
            qb.push(" ON CONFLICT (attribute_id, tag_id) DO NOTHING");
            qb.build().execute(&mut **tx).await?;
        }
        Ok(())
    }
}

impl PgStore {
    /// Attaches tags to attributes: `(attribute id, tag id, link)`, one
    /// `INSERT … SELECT FROM UNNEST` per chunk, as attributes are inserted.
    pub(crate) async fn link_attribute_tags(
        tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
        event_id: i64,
        links: &[(i64, i64, &NewTagLink)],
    ) -> StoreResult<()> {
        const SQL: &str = "INSERT INTO attribute_tags \
             (attribute_id, event_id, tag_id, local, relationship_type) \
             SELECT u.attribute_id, $1, u.tag_id, u.local, u.relationship_type \
             FROM UNNEST($2::bigint[], $3::bigint[], $4::bool[], $5::text[]) \
             AS u(attribute_id, tag_id, local, relationship_type) \
             ON CONFLICT (attribute_id, tag_id) DO NOTHING";
        for chunk in links.chunks(CHUNK * 4) {
            let attribute_ids: Vec<i64> = chunk.iter().map(|(aid, _, _)| *aid).collect();
            let tag_ids: Vec<i64> = chunk.iter().map(|(_, tid, _)| *tid).collect();
            let local: Vec<bool> = chunk.iter().map(|(_, _, t)| t.local).collect();
            let relationship_type: Vec<Option<&str>> = chunk
                .iter()
                .map(|(_, _, t)| t.relationship_type.as_deref())
                .collect();
            sqlx::query(SQL)
                .bind(event_id)
                .bind(attribute_ids)
                .bind(tag_ids)
                .bind(local)
                .bind(relationship_type)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }
}

impl SqliteStore {
    /// Nothing to do: a writing transaction holds SQLite's only write lock
    /// (`BEGIN IMMEDIATE`, see `write_tx`).
    async fn lock_event(
        _tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
        _event_id: i64,
    ) -> StoreResult<()> {
        Ok(())
    }
}

impl PgStore {
    /// Locks the event row until the transaction ends, as an `UPDATE` does
    /// (`FOR NO KEY UPDATE`: writers queue, while the foreign-key checks of
    /// concurrent inserts, which take `KEY SHARE`, do not; `FOR UPDATE`
    /// would deadlock with them).
    async fn lock_event(
        tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
        event_id: i64,
    ) -> StoreResult<()> {
        sqlx::query("SELECT id FROM events WHERE id = $1 FOR NO KEY UPDATE")
            .bind(event_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

macro_rules! impl_write {
    ($store:ty, $db:ty) => {
        impl $store {
            /// `SELECT id, uuid FROM {table} WHERE event_id = $1` as a map.
            pub(crate) async fn uuid_map(
                tx: &mut sqlx::Transaction<'_, $db>,
                table: &str,
                event_id: i64,
            ) -> StoreResult<HashMap<String, i64>> {
                use sqlx::Row;
                let rows = sqlx::query(&format!("SELECT id, uuid FROM {table} WHERE event_id = $1"))
                    .bind(event_id)
                    .fetch_all(&mut **tx)
                    .await?;
                rows.iter()
                    .map(|r| Ok((r.try_get::<String, _>("uuid")?, r.try_get::<i64, _>("id")?)))
                    .collect()
            }

            /// Inserts objects (without their attributes or references).
            pub(crate) async fn insert_objects(
                tx: &mut sqlx::Transaction<'_, $db>,
                event_id: i64,
                objects: &[&NewObject],
                now: i64,
            ) -> StoreResult<()> {
                for chunk in objects.chunks(CHUNK) {
                    let mut qb: QueryBuilder<$db> = QueryBuilder::new(
                        "INSERT INTO objects (uuid, event_id, name, meta_category, description, \
                         template_uuid, template_version, comment, distribution, sharing_group_id, \
                         timestamp, deleted, first_seen, last_seen) ",
                    );
                    qb.push_values(chunk, |mut b, o| {
                        b.push_bind(&o.uuid)
                            .push_bind(event_id)
                            .push_bind(&o.name)
                            .push_bind(&o.meta_category)
                            .push_bind(&o.description)
                            .push_bind(&o.template_uuid)
                            .push_bind(&o.template_version)
                            .push_bind(&o.comment)
                            .push_bind(o.distribution)
                            .push_bind(o.sharing_group_id.unwrap_or(0))
                            .push_bind(o.timestamp.unwrap_or(now))
                            .push_bind(o.deleted)
                            .push_bind(&o.first_seen)
                            .push_bind(&o.last_seen);
                    });
                    qb.build()
                        .execute(&mut **tx)
                        .await
                        .map_err(|e| StoreError::from_db(e, "object_uuid"))?;
                }
                Ok(())
            }

            /// Attaches tags (by tag id) to the event; a tag attached already
            /// stays as it is.
            pub(crate) async fn link_event_tags(
                tx: &mut sqlx::Transaction<'_, $db>,
                event_id: i64,
                links: &[(i64, &NewTagLink)],
            ) -> StoreResult<()> {
                for chunk in links.chunks(CHUNK) {
                    let mut qb: QueryBuilder<$db> = QueryBuilder::new(
                        "INSERT INTO event_tags (event_id, tag_id, local, relationship_type) ",
                    );
                    qb.push_values(chunk, |mut b, (tag_id, t)| {
                        b.push_bind(event_id)
                            .push_bind(*tag_id)
                            .push_bind(t.local)
                            .push_bind(&t.relationship_type);
                    });
                    qb.push(" ON CONFLICT (event_id, tag_id) DO NOTHING");
                    qb.build().execute(&mut **tx).await?;
                }
                Ok(())
            }

            /// Tags of the event, each created if missing and attached.
            pub(crate) async fn tag_event(
                tx: &mut sqlx::Transaction<'_, $db>,
                event_id: i64,
                tags: &[NewTagLink],
            ) -> StoreResult<()> {
                if tags.is_empty() {
                    return Ok(());
                }
                let names: Vec<&NewTagLink> = tags.iter().collect();
                let ids = Self::upsert_tag_ids(tx, &names).await?;
                let links: Vec<(i64, &NewTagLink)> = tags
                    .iter()
                    .filter_map(|t| ids.get(&t.name).map(|id| (*id, t)))
                    .collect();
                Self::link_event_tags(tx, event_id, &links).await
            }

            /// Tags of attributes (by attribute id), each created if missing
            /// and attached.
            pub(crate) async fn tag_attributes(
                tx: &mut sqlx::Transaction<'_, $db>,
                event_id: i64,
                tagged: &[(i64, &[NewTagLink])],
            ) -> StoreResult<()> {
                let mut seen = std::collections::HashSet::new();
                let names: Vec<&NewTagLink> = tagged
                    .iter()
                    .flat_map(|(_, tags)| tags.iter())
                    .filter(|t| seen.insert(t.name.as_str()))
                    .collect();
                if names.is_empty() {
                    return Ok(());
                }
                let ids = Self::upsert_tag_ids(tx, &names).await?;
                let links: Vec<(i64, i64, &NewTagLink)> = tagged
                    .iter()
                    .flat_map(|(aid, tags)| {
                        tags.iter()
                            .filter_map(|t| ids.get(&t.name).map(|tid| (*aid, *tid, t)))
                    })
                    .collect();
                Self::link_attribute_tags(tx, event_id, &links).await
            }

            /// Sightings of attributes: `(attribute id, sighting)`. A sighting
            /// whose UUID is stored already is skipped.
            pub(crate) async fn insert_sightings(
                tx: &mut sqlx::Transaction<'_, $db>,
                event_id: i64,
                org_id: i64,
                sightings: &[(i64, &NewSighting)],
            ) -> StoreResult<()> {
                for chunk in sightings.chunks(CHUNK) {
                    let mut qb: QueryBuilder<$db> = QueryBuilder::new(
                        "INSERT INTO sightings (uuid, attribute_id, event_id, org_id, date_sighting, source, type) ",
                    );
                    qb.push_values(chunk, |mut b, (aid, s)| {
                        b.push_bind(&s.uuid)
                            .push_bind(*aid)
                            .push_bind(event_id)
                            .push_bind(s.org_id.unwrap_or(org_id))
                            .push_bind(s.date_sighting)
                            .push_bind(&s.source)
                            .push_bind(s.sighting_type);
                    });
                    qb.push(" ON CONFLICT (uuid) DO NOTHING");
                    qb.build().execute(&mut **tx).await?;
                }
                Ok(())
            }

            /// References from objects: `(object id, reference)`, resolved
            /// against the event's attributes and objects by UUID.
            pub(crate) async fn insert_references(
                tx: &mut sqlx::Transaction<'_, $db>,
                event_id: i64,
                references: &[(i64, &NewReference)],
                attr_ids: &HashMap<String, i64>,
                object_ids: &HashMap<String, i64>,
                now: i64,
            ) -> StoreResult<()> {
                for chunk in references.chunks(CHUNK) {
                    let mut qb: QueryBuilder<$db> = QueryBuilder::new(
                        "INSERT INTO object_references (uuid, event_id, object_id, referenced_uuid, \
                         referenced_type, referenced_id, relationship_type, comment, timestamp, deleted) ",
                    );
                    qb.push_values(chunk, |mut b, (oid, r)| {
                        let (rtype, rid) = reference_target(&r.referenced_uuid, attr_ids, object_ids);
                        b.push_bind(&r.uuid)
                            .push_bind(event_id)
                            .push_bind(*oid)
                            .push_bind(&r.referenced_uuid)
                            .push_bind(rtype)
                            .push_bind(rid)
                            .push_bind(&r.relationship_type)
                            .push_bind(&r.comment)
                            .push_bind(r.timestamp.unwrap_or(now))
                            .push_bind(r.deleted);
                    });
                    qb.build()
                        .execute(&mut **tx)
                        .await
                        .map_err(|e| StoreError::from_db(e, "reference_uuid"))?;
                }
                Ok(())
            }

            /// Proposals on the event. With `skip_existing`, a proposal whose
            /// UUID is stored already is left alone; otherwise it is
            /// `Conflict("proposal_uuid")`.
            pub(crate) async fn insert_proposals(
                tx: &mut sqlx::Transaction<'_, $db>,
                event_id: i64,
                org_id: i64,
                proposals: &[NewProposal],
                skip_existing: bool,
                now: i64,
            ) -> StoreResult<()> {
                // Proposals to change an attribute (`old_uuid`) point at it by
                // id; one whose attribute is not in the event is left out, and
                // on a re-import one already stored is not stored again.
                let mut targets: Vec<(&NewProposal, i64)> = Vec::with_capacity(proposals.len());
                if proposals.iter().any(|p| p.old_uuid.is_some()) {
                    let attr_ids = Self::uuid_map(tx, "attributes", event_id).await?;
                    let stored: std::collections::HashSet<String> = if skip_existing {
                        sqlx::query_scalar(
                            "SELECT uuid FROM shadow_attributes WHERE event_id = $1 AND old_id <> 0",
                        )
                        .bind(event_id)
                        .fetch_all(&mut **tx)
                        .await?
                        .into_iter()
                        .collect()
                    } else {
                        std::collections::HashSet::new()
                    };
                    for p in proposals {
                        match &p.old_uuid {
                            None => targets.push((p, 0)),
                            Some(u) if !stored.contains(&p.uuid) => {
                                if let Some(id) = attr_ids.get(u) {
                                    targets.push((p, *id));
                                }
                            }
                            Some(_) => {}
                        }
                    }
                } else {
                    targets.extend(proposals.iter().map(|p| (p, 0)));
                }
                for chunk in targets.chunks(CHUNK) {
                    let mut qb: QueryBuilder<$db> = QueryBuilder::new(
                        "INSERT INTO shadow_attributes (uuid, event_id, org_id, category, type, value1, \
                         value2, to_ids, comment, timestamp, proposal_to_delete, old_id) ",
                    );
                    qb.push_values(chunk, |mut b, (p, old_id)| {
                        let (v1, v2) = cydef_model::attribute_value::split_composite(&p.attr_type, &p.value)
                            .unwrap_or_else(|| (p.value.clone(), String::new()));
                        b.push_bind(&p.uuid)
                            .push_bind(event_id)
                            .push_bind(org_id)
                            .push_bind(&p.category)
                            .push_bind(&p.attr_type)
                            .push_bind(v1)
                            .push_bind(v2)
                            .push_bind(p.to_ids)
                            .push_bind(&p.comment)
                            .push_bind(p.timestamp.unwrap_or(now))
                            .push_bind(p.proposal_to_delete)
                            .push_bind(*old_id);
                    });
                    if skip_existing {
                        // UUIDs are unique among proposals of new attributes
                        // only (migration 0009), the rows inserted here.
                        qb.push(" ON CONFLICT (uuid) WHERE old_id = 0 DO NOTHING");
                    }
                    qb.build()
                        .execute(&mut **tx)
                        .await
                        .map_err(|e| StoreError::from_db(e, "proposal_uuid"))?;
                }
                Ok(())
            }

            /// Inserts event reports.
            pub(crate) async fn insert_reports(
                tx: &mut sqlx::Transaction<'_, $db>,
                event_id: i64,
                reports: &[&NewReport],
                now: i64,
            ) -> StoreResult<()> {
                for chunk in reports.chunks(CHUNK) {
                    let mut qb: QueryBuilder<$db> = QueryBuilder::new(
                        "INSERT INTO event_reports (uuid, event_id, name, content, distribution, \
                         sharing_group_id, timestamp, deleted) ",
                    );
                    qb.push_values(chunk, |mut b, r| {
                        b.push_bind(&r.uuid)
                            .push_bind(event_id)
                            .push_bind(&r.name)
                            .push_bind(&r.content)
                            .push_bind(r.distribution)
                            .push_bind(r.sharing_group_id.unwrap_or(0))
                            .push_bind(r.timestamp.unwrap_or(now))
                            .push_bind(r.deleted);
                    });
                    qb.build()
                        .execute(&mut **tx)
                        .await
                        .map_err(|e| StoreError::from_db(e, "report_uuid"))?;
                }
                Ok(())
            }

            /// Sets an attribute's editable fields (not its event, object or
            /// UUID). `Conflict("value")` on the duplicate rule.
            pub(crate) async fn update_attribute_row(
                tx: &mut sqlx::Transaction<'_, $db>,
                id: i64,
                a: &NewAttribute,
                now: i64,
            ) -> StoreResult<Option<<$db as sqlx::Database>::Row>> {
                sqlx::query(&format!(
                    "UPDATE attributes SET category = $1, type = $2, value1 = $3, value2 = $4, \
                     to_ids = $5, comment = $6, distribution = $7, sharing_group_id = $8, \
                     disable_correlation = $9, first_seen = $10, last_seen = $11, deleted = $12, \
                     timestamp = $13, object_relation = COALESCE($14, object_relation) \
                     WHERE id = $15 RETURNING {}",
                    super::events::ATTRIBUTE_COLUMNS
                ))
                .bind(&a.category)
                .bind(&a.attr_type)
                .bind(&a.value1)
                .bind(&a.value2)
                .bind(a.to_ids)
                .bind(&a.comment)
                .bind(a.distribution)
                .bind(a.sharing_group_id.unwrap_or(0))
                .bind(a.disable_correlation)
                .bind(&a.first_seen)
                .bind(&a.last_seen)
                .bind(a.deleted)
                .bind(a.timestamp.unwrap_or(now))
                .bind(&a.object_relation)
                .bind(id)
                .fetch_optional(&mut **tx)
                .await
                .map_err(|e| StoreError::from_db(e, "value"))
            }

            /// What deleting an attribute does to what points at it: references
            /// to it are marked deleted, proposals on it dropped.
            pub(crate) async fn on_attribute_deleted(
                tx: &mut sqlx::Transaction<'_, $db>,
                id: i64,
            ) -> StoreResult<()> {
                sqlx::query(
                    "UPDATE object_references SET deleted = TRUE \
                     WHERE referenced_type = 0 AND referenced_id = $1",
                )
                .bind(id)
                .execute(&mut **tx)
                .await?;
                sqlx::query("DELETE FROM shadow_attributes WHERE old_id = $1")
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }

            /// The event after a change to its contents: new timestamp,
            /// unpublished, live attributes recounted.
            pub(crate) async fn touch_event(
                tx: &mut sqlx::Transaction<'_, $db>,
                event_id: i64,
                now: i64,
            ) -> StoreResult<()> {
                sqlx::query("UPDATE events SET timestamp = $1, published = FALSE WHERE id = $2")
                    .bind(now)
                    .bind(event_id)
                    .execute(&mut **tx)
                    .await?;
                Self::recount_attributes(tx, event_id).await
            }

            /// Sets the event's `attribute_count` to its live attributes. The
            /// event row is locked first, so that the count, a statement of
            /// its own, sees every concurrent writer that committed before
            /// (on PostgreSQL a count inside the `UPDATE` would use the
            /// snapshot taken before waiting for the lock, and lose rows).
            pub(crate) async fn recount_attributes(
                tx: &mut sqlx::Transaction<'_, $db>,
                event_id: i64,
            ) -> StoreResult<()> {
                Self::lock_event(tx, event_id).await?;
                let count: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM attributes WHERE event_id = $1 AND deleted = $2",
                )
                .bind(event_id)
                .bind(false)
                .fetch_one(&mut **tx)
                .await?;
                sqlx::query("UPDATE events SET attribute_count = $1 WHERE id = $2")
                    .bind(count)
                    .bind(event_id)
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }
        }
    };
}

impl_write!(SqliteStore, sqlx::Sqlite);
impl_write!(PgStore, sqlx::Postgres);
