//! Objects one at a time (add with attributes, read, edit, soft and hard
//! delete), their references, and object templates. Every change to an object
//! or reference touches the object and the event (timestamp, unpublished,
//! attribute count) in the same transaction.

use std::collections::HashMap;

use async_trait::async_trait;
use cydef_model::event::{
    Attribute, MispObject, NewAttribute, NewObject, NewReference, NewTagLink, ObjectReference,
    TagLink,
};
use cydef_model::object_template::{NewObjectTemplate, StoredObjectTemplate, TemplateKey};
use cydef_model::EntityRef;
use sqlx::{ColumnIndex, QueryBuilder};

use super::events::{ATTRIBUTE_COLUMNS, OBJECT_COLUMNS, REFERENCE_COLUMNS, TAG_COLUMNS};
use super::rows::{self, DbRow};
use super::shared::CHUNK;
use super::write::AttrRow;
use super::{PgStore, SqliteStore};
use crate::{ObjectEdit, ObjectStore, ReferenceTarget, StoreError, StoreResult, TemplateLoad};

const TEMPLATE_COLUMNS: &str = "id, uuid, name, version, description, meta_category, \
     requirements, definition, fixed, active";

fn template_row<R: DbRow>(row: &R) -> Result<StoredObjectTemplate, StoreError>
where
    for<'a> &'a str: ColumnIndex<R>,
{
    Ok(StoredObjectTemplate {
        id: row.i64("id")?,
        uuid: row.text("uuid")?,
        name: row.text("name")?,
        version: row.i64("version")?,
        description: row.text("description")?,
        meta_category: row.text("meta_category")?,
        requirements: row.text("requirements")?,
        definition: row.text("definition")?,
        fixed: row.bool("fixed")?,
        active: row.bool("active")?,
    })
}

macro_rules! impl_objects {
    ($store:ty, $db:ty) => {
        impl $store {
            /// After a change: the object's timestamp, and the event's
            /// timestamp, unpublished, live attributes recounted.
            async fn obj_touch(
                tx: &mut sqlx::Transaction<'_, $db>,
                event_id: i64,
                object_id: Option<i64>,
                now: i64,
            ) -> StoreResult<()> {
                if let Some(oid) = object_id {
                    sqlx::query("UPDATE objects SET timestamp = $1 WHERE id = $2")
                        .bind(now)
                        .bind(oid)
                        .execute(&mut **tx)
                        .await?;
                }
                Self::touch_event(tx, event_id, now).await
            }

            /// Inserts attributes of an object; `Conflict("attribute_uuid")`
            /// when a UUID is taken.
            async fn obj_insert_attributes(
                tx: &mut sqlx::Transaction<'_, $db>,
                event_id: i64,
                object_id: i64,
                attrs: &[NewAttribute],
                now: i64,
            ) -> StoreResult<()> {
                let rows: Vec<AttrRow<'_>> = attrs.iter().map(|a| (Some(object_id), a)).collect();
                Self::insert_attributes(tx, event_id, &rows, now).await?;
                if attrs.iter().all(|a| a.tags.is_empty()) {
                    return Ok(());
                }
                let ids: HashMap<String, i64> =
                    sqlx::query_as::<_, (String, i64)>("SELECT uuid, id FROM attributes WHERE object_id = $1")
                        .bind(object_id)
                        .fetch_all(&mut **tx)
                        .await?
                        .into_iter()
                        .collect();
                let tagged: Vec<(i64, &[NewTagLink])> = attrs
                    .iter()
                    .filter(|a| !a.tags.is_empty())
                    .filter_map(|a| ids.get(&a.uuid).map(|id| (*id, a.tags.as_slice())))
                    .collect();
                Self::tag_attributes(tx, event_id, &tagged).await
            }

            async fn obj_event_of(
                tx: &mut sqlx::Transaction<'_, $db>,
                object_id: i64,
            ) -> StoreResult<i64> {
                let found: Option<i64> = sqlx::query_scalar("SELECT event_id FROM objects WHERE id = $1")
                    .bind(object_id)
                    .fetch_optional(&mut **tx)
                    .await?;
                found.ok_or(StoreError::NotFound)
            }
        }

        #[async_trait]
        impl ObjectStore for $store {
            async fn find_object(&self, r: EntityRef) -> StoreResult<MispObject> {
                let (cond, id, uuid) = match r {
                    EntityRef::Id(id) => ("id = $1", id, None),
                    EntityRef::Uuid(u) => ("uuid = $1", 0, Some(u.hyphenated().to_string())),
                };
                let q = format!("SELECT {OBJECT_COLUMNS} FROM objects WHERE {cond}");
                let row = match uuid {
                    Some(u) => sqlx::query(&q).bind(u).fetch_optional(&self.pool).await?,
                    None => sqlx::query(&q).bind(id).fetch_optional(&self.pool).await?,
                };
                rows::object(&row.ok_or(StoreError::NotFound)?)
            }

            async fn object_attributes(
                &self,
                object_id: i64,
            ) -> StoreResult<(Vec<Attribute>, Vec<TagLink>)> {
                let attributes = sqlx::query(&format!(
                    "SELECT {ATTRIBUTE_COLUMNS} FROM attributes WHERE object_id = $1 ORDER BY id"
                ))
                .bind(object_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::attribute)
                .collect::<StoreResult<Vec<_>>>()?;
                let tags = sqlx::query(&format!(
                    "SELECT at.attribute_id AS target_id, at.local, at.relationship_type, {TAG_COLUMNS} \
                     FROM attribute_tags at JOIN tags t ON t.id = at.tag_id \
                     JOIN attributes a ON a.id = at.attribute_id \
                     WHERE a.object_id = $1 ORDER BY at.id"
                ))
                .bind(object_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::tag_link)
                .collect::<StoreResult<Vec<_>>>()?;
                Ok((attributes, tags))
            }

            async fn object_references(&self, object_id: i64) -> StoreResult<Vec<ObjectReference>> {
                sqlx::query(&format!(
                    "SELECT {REFERENCE_COLUMNS} FROM object_references WHERE object_id = $1 ORDER BY id"
                ))
                .bind(object_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::reference)
                .collect()
            }

            async fn add_object(&self, event_id: i64, o: &NewObject, now: i64) -> StoreResult<i64> {
                let mut tx = self.write_tx().await?;
                let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM events WHERE id = $1")
                    .bind(event_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if exists.is_none() {
                    return Err(StoreError::NotFound);
                }
                Self::insert_objects(&mut tx, event_id, &[o], now).await?;
                let object_id: i64 = sqlx::query_scalar("SELECT id FROM objects WHERE uuid = $1")
                    .bind(&o.uuid)
                    .fetch_one(&mut *tx)
                    .await?;
                Self::obj_insert_attributes(&mut tx, event_id, object_id, &o.attributes, now).await?;
                Self::obj_touch(&mut tx, event_id, None, now).await?;
                tx.commit().await?;
                Ok(object_id)
            }

            async fn edit_object(&self, object_id: i64, edit: &ObjectEdit, now: i64) -> StoreResult<()> {
                let mut tx = self.write_tx().await?;
                let event_id = Self::obj_event_of(&mut tx, object_id).await?;
                let (set_first, first) = match &edit.first_seen {
                    Some(v) => (true, v.clone()),
                    None => (false, None),
                };
                let (set_last, last) = match &edit.last_seen {
                    Some(v) => (true, v.clone()),
                    None => (false, None),
                };
                sqlx::query(
                    "UPDATE objects SET \
                     comment = COALESCE($1, comment), \
                     template_version = COALESCE($2, template_version), \
                     distribution = COALESCE($3, distribution), \
                     sharing_group_id = COALESCE($4, sharing_group_id), \
                     first_seen = CASE WHEN $5 THEN $6 ELSE first_seen END, \
                     last_seen = CASE WHEN $7 THEN $8 ELSE last_seen END, \
                     timestamp = $9 WHERE id = $10",
                )
                .bind(&edit.comment)
                .bind(&edit.template_version)
                .bind(edit.distribution)
                .bind(edit.sharing_group_id)
                .bind(set_first)
                .bind(first)
                .bind(set_last)
                .bind(last)
                .bind(now)
                .bind(object_id)
                .execute(&mut *tx)
                .await?;
                for (id, a) in &edit.changed {
                    Self::update_attribute_row(&mut tx, *id, a, now).await?;
                }
                Self::obj_insert_attributes(&mut tx, event_id, object_id, &edit.added, now).await?;
                let mut removed = edit.removed.clone();
                if edit.delete {
                    sqlx::query("UPDATE objects SET deleted = TRUE WHERE id = $1")
                        .bind(object_id)
                        .execute(&mut *tx)
                        .await?;
                    let ids: Vec<i64> = sqlx::query_scalar(
                        "SELECT id FROM attributes WHERE object_id = $1 AND deleted = FALSE",
                    )
                    .bind(object_id)
                    .fetch_all(&mut *tx)
                    .await?;
                    removed.extend(ids);
                    sqlx::query(
                        "UPDATE object_references SET deleted = TRUE \
                         WHERE referenced_type = 1 AND referenced_id = $1",
                    )
                    .bind(object_id)
                    .execute(&mut *tx)
                    .await?;
                }
                for id in removed {
                    sqlx::query(
                        "UPDATE attributes SET deleted = TRUE, timestamp = $1 \
                         WHERE id = $2 AND object_id = $3",
                    )
                    .bind(now)
                    .bind(id)
                    .bind(object_id)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("DELETE FROM shadow_attributes WHERE old_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                Self::obj_touch(&mut tx, event_id, Some(object_id), now).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn delete_object(&self, object_id: i64, hard: bool, now: i64) -> StoreResult<()> {
                let mut tx = self.write_tx().await?;
                let event_id = Self::obj_event_of(&mut tx, object_id).await?;
                if hard {
                    const IN_OBJECT: &str = "(SELECT id FROM attributes WHERE object_id = $1)";
                    for sql in [
                        format!("DELETE FROM attribute_tags WHERE attribute_id IN {IN_OBJECT}"),
                        format!("DELETE FROM sightings WHERE attribute_id IN {IN_OBJECT}"),
                        format!("DELETE FROM shadow_attributes WHERE old_id IN {IN_OBJECT}"),
                        format!(
                            "DELETE FROM object_references WHERE referenced_type = 0 \
                             AND referenced_id IN {IN_OBJECT}"
                        ),
                        "DELETE FROM object_references WHERE object_id = $1 \
                         OR (referenced_type = 1 AND referenced_id = $1)"
                            .to_owned(),
                        "DELETE FROM attributes WHERE object_id = $1".to_owned(),
                        "DELETE FROM objects WHERE id = $1".to_owned(),
                    ] {
                        sqlx::query(&sql).bind(object_id).execute(&mut *tx).await?;
                    }
                    Self::obj_touch(&mut tx, event_id, None, now).await?;
                } else {
                    sqlx::query("UPDATE objects SET deleted = TRUE WHERE id = $1")
                        .bind(object_id)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(
                        "DELETE FROM shadow_attributes WHERE old_id IN \
                         (SELECT id FROM attributes WHERE object_id = $1 AND deleted = FALSE)",
                    )
                    .bind(object_id)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "UPDATE attributes SET deleted = TRUE, timestamp = $1 \
                         WHERE object_id = $2 AND deleted = FALSE",
                    )
                    .bind(now)
                    .bind(object_id)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "UPDATE object_references SET deleted = TRUE \
                         WHERE referenced_type = 1 AND referenced_id = $1",
                    )
                    .bind(object_id)
                    .execute(&mut *tx)
                    .await?;
                    Self::obj_touch(&mut tx, event_id, Some(object_id), now).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn find_reference(&self, r: EntityRef) -> StoreResult<ObjectReference> {
                let q = |cond: &str| format!("SELECT {REFERENCE_COLUMNS} FROM object_references WHERE {cond}");
                let row = match r {
                    EntityRef::Id(id) => {
                        sqlx::query(&q("id = $1")).bind(id).fetch_optional(&self.pool).await?
                    }
                    EntityRef::Uuid(u) => {
                        sqlx::query(&q("uuid = $1"))
                            .bind(u.hyphenated().to_string())
                            .fetch_optional(&self.pool)
                            .await?
                    }
                };
                rows::reference(&row.ok_or(StoreError::NotFound)?)
            }

            async fn resolve_reference_target(&self, uuid: &str) -> StoreResult<Option<ReferenceTarget>> {
                let object: Option<(i64, i64)> = sqlx::query_as(
                    "SELECT id, event_id FROM objects WHERE uuid = $1 AND deleted = FALSE",
                )
                .bind(uuid)
                .fetch_optional(&self.pool)
                .await?;
                if let Some((id, event_id)) = object {
                    return Ok(Some(ReferenceTarget {
                        referenced_type: 1,
                        referenced_id: id,
                        event_id,
                    }));
                }
                let attribute: Option<(i64, i64)> = sqlx::query_as(
                    "SELECT id, event_id FROM attributes WHERE uuid = $1 AND deleted = FALSE",
                )
                .bind(uuid)
                .fetch_optional(&self.pool)
                .await?;
                Ok(attribute.map(|(id, event_id)| ReferenceTarget {
                    referenced_type: 0,
                    referenced_id: id,
                    event_id,
                }))
            }

            async fn add_reference(
                &self,
                object: &MispObject,
                r: &NewReference,
                target: ReferenceTarget,
                now: i64,
            ) -> StoreResult<ObjectReference> {
                let mut tx = self.write_tx().await?;
                let row = sqlx::query(&format!(
                    "INSERT INTO object_references (uuid, event_id, object_id, referenced_uuid, \
                     referenced_type, referenced_id, relationship_type, comment, timestamp, deleted) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, FALSE) RETURNING {REFERENCE_COLUMNS}"
                ))
                .bind(&r.uuid)
                .bind(object.event_id)
                .bind(object.id)
                .bind(&r.referenced_uuid)
                .bind(target.referenced_type)
                .bind(target.referenced_id)
                .bind(&r.relationship_type)
                .bind(&r.comment)
                .bind(now)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| StoreError::from_db(e, "uuid"))?;
                let stored = rows::reference(&row)?;
                Self::obj_touch(&mut tx, object.event_id, Some(object.id), now).await?;
                tx.commit().await?;
                Ok(stored)
            }

            async fn delete_reference(&self, id: i64, hard: bool, now: i64) -> StoreResult<()> {
                let mut tx = self.write_tx().await?;
                let found: Option<(i64, i64)> =
                    sqlx::query_as("SELECT event_id, object_id FROM object_references WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                let (event_id, object_id) = found.ok_or(StoreError::NotFound)?;
                if hard {
                    sqlx::query("DELETE FROM object_references WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                } else {
                    sqlx::query("UPDATE object_references SET deleted = TRUE, timestamp = $1 WHERE id = $2")
                        .bind(now)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                Self::obj_touch(&mut tx, event_id, Some(object_id), now).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn upsert_object_templates(
                &self,
                templates: &[NewObjectTemplate],
                now: i64,
            ) -> StoreResult<TemplateLoad> {
                let mut tx = self.write_tx().await?;
                let stored: HashMap<String, i64> =
                    sqlx::query_as::<_, (String, i64)>("SELECT uuid, version FROM object_templates")
                        .fetch_all(&mut *tx)
                        .await?
                        .into_iter()
                        .collect();
                // One row per UUID: the highest version in the input wins.
                let mut best: HashMap<&str, &NewObjectTemplate> = HashMap::new();
                for t in templates {
                    let e = best.entry(t.template.uuid.as_str()).or_insert(t);
                    if t.template.version > e.template.version {
                        *e = t;
                    }
                }
                let mut load = TemplateLoad::default();
                let mut writes: Vec<&NewObjectTemplate> = Vec::new();
                for t in templates {
                    let is_best = best
                        .get(t.template.uuid.as_str())
                        .is_some_and(|b| std::ptr::eq(*b, t));
                    match stored.get(&t.template.uuid) {
                        _ if !is_best => load.unchanged += 1,
                        None => {
                            load.inserted += 1;
                            writes.push(t);
                        }
                        Some(v) if *v < t.template.version => {
                            load.updated += 1;
                            writes.push(t);
                        }
                        Some(_) => load.unchanged += 1,
                    }
                }
                // Sorted by UUID so that concurrent loads lock rows in one order.
                writes.sort_by(|a, b| a.template.uuid.cmp(&b.template.uuid));
                for chunk in writes.chunks(CHUNK) {
                    let mut qb: QueryBuilder<$db> = QueryBuilder::new(
                        "INSERT INTO object_templates (uuid, name, version, description, meta_category, \
                         requirements, definition, fixed, active, created, modified) ",
                    );
                    qb.push_values(chunk, |mut b, t| {
                        let tpl = &t.template;
                        b.push_bind(&tpl.uuid)
                            .push_bind(&tpl.name)
                            .push_bind(tpl.version)
                            .push_bind(&tpl.description)
                            .push_bind(&tpl.meta_category)
                            .push_bind(tpl.requirements().to_string())
                            .push_bind(&t.definition)
                            .push_bind(true)
                            .push_bind(true)
                            .push_bind(now)
                            .push_bind(now);
                    });
                    qb.push(
                        " ON CONFLICT (uuid) DO UPDATE SET name = excluded.name, \
                         version = excluded.version, description = excluded.description, \
                         meta_category = excluded.meta_category, requirements = excluded.requirements, \
                         definition = excluded.definition, modified = excluded.modified \
                         WHERE object_templates.version < excluded.version",
                    );
                    qb.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(load)
            }

            async fn list_object_templates(&self, all: bool) -> StoreResult<Vec<StoredObjectTemplate>> {
                sqlx::query(&format!(
                    "SELECT {TEMPLATE_COLUMNS} FROM object_templates \
                     WHERE ($1 OR active = TRUE) ORDER BY name, id"
                ))
                .bind(all)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(template_row)
                .collect()
            }

            async fn get_object_template(&self, id: i64) -> StoreResult<StoredObjectTemplate> {
                let row = sqlx::query(&format!(
                    "SELECT {TEMPLATE_COLUMNS} FROM object_templates WHERE id = $1"
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                template_row(&row.ok_or(StoreError::NotFound)?)
            }

            async fn find_object_template(
                &self,
                key: &TemplateKey,
            ) -> StoreResult<Option<StoredObjectTemplate>> {
                let (cond, value) = match key {
                    TemplateKey::Uuid(u) => ("uuid = $1", u),
                    TemplateKey::Name(n) => ("name = $1", n),
                };
                let row = sqlx::query(&format!(
                    "SELECT {TEMPLATE_COLUMNS} FROM object_templates \
                     WHERE {cond} AND active = TRUE ORDER BY version DESC, id LIMIT 1"
                ))
                .bind(value)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(template_row).transpose()
            }
        }
    };
}

impl_objects!(SqliteStore, sqlx::Sqlite);
impl_objects!(PgStore, sqlx::Postgres);
