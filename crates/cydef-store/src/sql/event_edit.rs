//! Applying a planned event edit ([`cydef_model::event::edit::EventEdit`])
//! in one transaction: the event's fields, changed and new objects,
//! attributes, references, reports, tags, sightings and proposals.

use async_trait::async_trait;
use cydef_model::event::edit::EventEdit;
use cydef_model::event::{NewAttribute, NewObject, NewReport, NewTagLink};

use super::write::AttrRow;
use super::{PgStore, SqliteStore};
use crate::{EventEditStore, StoreError, StoreResult};

macro_rules! impl_event_edit {
    ($store:ty, $db:ty) => {
        #[async_trait]
        impl EventEditStore for $store {
            async fn edit_event(
                &self,
                event_id: i64,
                edit: &EventEdit,
                org_id: i64,
                now: i64,
            ) -> StoreResult<()> {
                let ev = &edit.event;
                let mut tx = self.write_tx().await?;
                let publish_now = ev.published && edit.changed;
                let done = sqlx::query(
                    "UPDATE events SET info = $1, date = $2, threat_level_id = $3, analysis = $4, \
                     distribution = $5, sharing_group_id = $6, published = $7, \
                     publish_timestamp = CASE WHEN $8 THEN $9 ELSE publish_timestamp END, \
                     timestamp = $10, disable_correlation = $11, extends_uuid = $12 WHERE id = $13",
                )
                .bind(&ev.info)
                .bind(&ev.date)
                .bind(ev.threat_level_id)
                .bind(ev.analysis)
                .bind(ev.distribution)
                .bind(ev.sharing_group_id.unwrap_or(0))
                .bind(ev.published)
                .bind(publish_now)
                .bind(now)
                .bind(ev.timestamp.unwrap_or(now))
                .bind(ev.disable_correlation)
                .bind(ev.extends_uuid.clone().unwrap_or_default())
                .bind(event_id)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }

                // Objects: changed ones updated, new ones inserted.
                let mut new_objects: Vec<&NewObject> = Vec::new();
                for o in &ev.objects {
                    match edit.object_ids.get(&o.uuid) {
                        Some(id) => {
                            sqlx::query(
                                "UPDATE objects SET name = $1, meta_category = $2, description = $3, \
                                 template_uuid = $4, template_version = $5, comment = $6, \
                                 distribution = $7, sharing_group_id = $8, timestamp = $9, \
                                 deleted = $10, first_seen = $11, last_seen = $12 WHERE id = $13",
                            )
                            .bind(&o.name)
                            .bind(&o.meta_category)
                            .bind(&o.description)
                            .bind(&o.template_uuid)
                            .bind(&o.template_version)
                            .bind(&o.comment)
                            .bind(o.distribution)
                            .bind(o.sharing_group_id.unwrap_or(0))
                            .bind(o.timestamp.unwrap_or(now))
                            .bind(o.deleted)
                            .bind(&o.first_seen)
                            .bind(&o.last_seen)
                            .bind(*id)
                            .execute(&mut *tx)
                            .await?;
                        }
                        None => new_objects.push(o),
                    }
                }
                Self::insert_objects(&mut tx, event_id, &new_objects, now).await?;
                let object_ids = Self::uuid_map(&mut tx, "objects", event_id).await?;

                // Attributes: changed ones first (a changed value may free a
                // duplicate slot a new one takes), then new ones.
                let all: Vec<(Option<i64>, &NewAttribute)> = ev
                    .attributes
                    .iter()
                    .map(|a| (None, a))
                    .chain(ev.objects.iter().flat_map(|o| {
                        let oid = object_ids.get(&o.uuid).copied();
                        o.attributes.iter().map(move |a| (oid, a))
                    }))
                    .collect();
                let mut new_rows: Vec<AttrRow<'_>> = Vec::new();
                for (oid, a) in &all {
                    match edit.attribute_ids.get(&a.uuid) {
                        Some(id) => {
                            Self::update_attribute_row(&mut tx, *id, a, now).await?;
                            if a.deleted {
                                Self::on_attribute_deleted(&mut tx, *id).await?;
                            }
                        }
                        None => new_rows.push((*oid, *a)),
                    }
                }
                Self::insert_attributes(&mut tx, event_id, &new_rows, now).await?;
                let attr_ids = Self::uuid_map(&mut tx, "attributes", event_id).await?;

                // Tags on the event and on the written attributes.
                Self::tag_event(&mut tx, event_id, &ev.tags).await?;
                let written: Vec<(i64, &NewAttribute)> = all
                    .iter()
                    .filter_map(|(_, a)| attr_ids.get(&a.uuid).map(|id| (*id, *a)))
                    .collect();
                let tagged: Vec<(i64, &[NewTagLink])> = written
                    .iter()
                    .filter(|(_, a)| !a.tags.is_empty())
                    .map(|(id, a)| (*id, a.tags.as_slice()))
                    .collect();
                Self::tag_attributes(&mut tx, event_id, &tagged).await?;
                let sightings: Vec<(i64, &cydef_model::event::NewSighting)> = written
                    .iter()
                    .flat_map(|(id, a)| a.sightings.iter().map(move |s| (*id, s)))
                    .collect();
                Self::insert_sightings(&mut tx, event_id, org_id, &sightings).await?;

                let references: Vec<(i64, &cydef_model::event::NewReference)> = ev
                    .objects
                    .iter()
                    .filter_map(|o| object_ids.get(&o.uuid).map(|id| (*id, o)))
                    .flat_map(|(oid, o)| o.references.iter().map(move |r| (oid, r)))
                    .collect();
                Self::insert_references(&mut tx, event_id, &references, &attr_ids, &object_ids, now)
                    .await?;

                // Reports: changed ones updated, new ones inserted.
                let mut new_reports: Vec<&NewReport> = Vec::new();
                for r in &ev.reports {
                    match edit.report_ids.get(&r.uuid) {
                        Some(id) => {
                            sqlx::query(
                                "UPDATE event_reports SET name = $1, content = $2, distribution = $3, \
                                 sharing_group_id = $4, timestamp = $5, deleted = $6 WHERE id = $7",
                            )
                            .bind(&r.name)
                            .bind(&r.content)
                            .bind(r.distribution)
                            .bind(r.sharing_group_id.unwrap_or(0))
                            .bind(r.timestamp.unwrap_or(now))
                            .bind(r.deleted)
                            .bind(*id)
                            .execute(&mut *tx)
                            .await?;
                        }
                        None => new_reports.push(r),
                    }
                }
                Self::insert_reports(&mut tx, event_id, &new_reports, now).await?;
                Self::insert_proposals(&mut tx, event_id, org_id, &ev.proposals, true, now).await?;

                Self::recount_attributes(&mut tx, event_id).await?;
                tx.commit().await?;
                Ok(())
            }
        }
    };
}

impl_event_edit!(SqliteStore, sqlx::Sqlite);
impl_event_edit!(PgStore, sqlx::Postgres);
