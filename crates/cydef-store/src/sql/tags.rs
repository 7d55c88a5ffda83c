//! Tags: the tag list with usage counts a reader may see, tag CRUD, and
//! attaching tags to events and attributes (touching the event in the same
//! transaction, as MISP does for global tags).

use async_trait::async_trait;
use cydef_model::event::{Tag, TagLink};
use cydef_model::tag::NewTag;

use super::events::TAG_COLUMNS;
use super::rows;
use super::search::{Arg, Sql};
use super::sightings::bind_sql;
use super::visibility::{attribute_visible, event_visible};
use super::{PgStore, SqliteStore};
use crate::{Attached, StoreError, StoreResult, TagFilter, TagStore, TagTarget, TagUsage, Viewer};

/// `SELECT` of tags `t` with their usage counts for `viewer`: the events it
/// sees, and the live attributes it sees (`sql/visibility.rs`).
fn usage_select(viewer: &Viewer) -> Sql {
    let mut sql = Sql::default();
    sql.push("SELECT ").push(TAG_COLUMNS).push(
        ", (SELECT COUNT(*) FROM event_tags et JOIN events e ON e.id = et.event_id \
         WHERE et.tag_id = t.id AND ",
    );
    event_visible(&mut sql, viewer);
    sql.push(
        ") AS event_count, (SELECT COUNT(*) FROM attribute_tags at \
         JOIN attributes a ON a.id = at.attribute_id JOIN events e ON e.id = a.event_id \
         LEFT JOIN objects o ON o.id = a.object_id WHERE at.tag_id = t.id AND NOT a.deleted AND ",
    );
    attribute_visible(&mut sql, viewer);
    sql.push(") AS attribute_count FROM tags t");
    sql
}

fn usage<R: rows::DbRow>(row: &R) -> StoreResult<TagUsage>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
{
    Ok(TagUsage {
        tag: rows::tag(row)?,
        event_count: row.i64("event_count")?,
        attribute_count: row.i64("attribute_count")?,
    })
}

/// `SELECT` of one link of a target to a tag: `$1` the target, `$2` the tag.
fn link_query(target: TagTarget) -> String {
    match target {
        TagTarget::Event(_) => format!(
            "SELECT l.id AS link_id, l.event_id AS target_id, l.local, l.relationship_type, \
             {TAG_COLUMNS} FROM event_tags l JOIN tags t ON t.id = l.tag_id \
             WHERE l.event_id = $1 AND l.tag_id = $2"
        ),
        TagTarget::Attribute { .. } => format!(
            "SELECT l.id AS link_id, l.attribute_id AS target_id, l.local, l.relationship_type, \
             {TAG_COLUMNS} FROM attribute_tags l JOIN tags t ON t.id = l.tag_id \
             WHERE l.attribute_id = $1 AND l.tag_id = $2"
        ),
    }
}

fn target_id(target: TagTarget) -> i64 {
    match target {
        TagTarget::Event(id) | TagTarget::Attribute { id, .. } => id,
    }
}

macro_rules! impl_tags {
    ($store:ty, $db:ty) => {
        impl $store {
            /// MISP's touch after a global tag change: the attribute and its
            /// object get `now` as timestamp; the event gets it and is unpublished.
            async fn touch_tagged(
                tx: &mut sqlx::Transaction<'_, $db>,
                target: TagTarget,
                now: i64,
            ) -> StoreResult<()> {
                if let TagTarget::Attribute { id, object_id, .. } = target {
                    sqlx::query("UPDATE attributes SET timestamp = $1 WHERE id = $2")
                        .bind(now)
                        .bind(id)
                        .execute(&mut **tx)
                        .await?;
                    if let Some(oid) = object_id {
                        sqlx::query("UPDATE objects SET timestamp = $1 WHERE id = $2")
                            .bind(now)
                            .bind(oid)
                            .execute(&mut **tx)
                            .await?;
                    }
                }
                sqlx::query("UPDATE events SET timestamp = $1, published = $2 WHERE id = $3")
                    .bind(now)
                    .bind(false)
                    .bind(target.event_id())
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }

            /// Fails with `Conflict("name")` when another tag has `name`,
            /// compared case-insensitively.
            async fn check_name_free(
                tx: &mut sqlx::Transaction<'_, $db>,
                name: &str,
                except_id: i64,
            ) -> StoreResult<()> {
                let taken: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM tags WHERE (name = $1 OR LOWER(name) = LOWER($1)) AND id <> $2 \
                     LIMIT 1",
                )
                .bind(name)
                .bind(except_id)
                .fetch_optional(&mut **tx)
                .await?;
                match taken {
                    Some(_) => Err(StoreError::Conflict("name")),
                    None => Ok(()),
                }
            }

            async fn tag_in(tx: &mut sqlx::Transaction<'_, $db>, id: i64) -> StoreResult<Tag> {
                let row = sqlx::query(&format!("SELECT {TAG_COLUMNS} FROM tags t WHERE t.id = $1"))
                    .bind(id)
                    .fetch_optional(&mut **tx)
                    .await?;
                rows::tag(&row.ok_or(StoreError::NotFound)?)
            }
        }

        #[async_trait]
        impl TagStore for $store {
            async fn list_tags(
                &self,
                filter: &TagFilter,
                viewer: &Viewer,
            ) -> StoreResult<Vec<TagUsage>> {
                let mut sql = usage_select(viewer);
                if let Some(s) = &filter.contains {
                    sql.push(" WHERE LOWER(t.name) LIKE LOWER(")
                        .bind(format!("%{s}%"))
                        .push(")");
                }
                sql.push(" ORDER BY LOWER(t.name), t.name, t.id");
                let found = bind_sql!(sqlx::query(&sql.text), &sql.args)
                    .fetch_all(&self.pool)
                    .await?;
                let names: Vec<String> = filter.names.iter().map(|n| n.to_lowercase()).collect();
                let mut out = Vec::with_capacity(found.len());
                for row in &found {
                    let u = usage(row)?;
                    if names.is_empty() || names.contains(&u.tag.name.to_lowercase()) {
                        out.push(u);
                    }
                }
                Ok(out)
            }

            async fn tag_usage(&self, id: i64, viewer: &Viewer) -> StoreResult<TagUsage> {
                let mut sql = usage_select(viewer);
                sql.push(" WHERE t.id = ").bind(id);
                let row = bind_sql!(sqlx::query(&sql.text), &sql.args)
                    .fetch_optional(&self.pool)
                    .await?;
                usage(&row.ok_or(StoreError::NotFound)?)
            }

            async fn get_tag(&self, id: i64) -> StoreResult<Tag> {
                let row = sqlx::query(&format!("SELECT {TAG_COLUMNS} FROM tags t WHERE t.id = $1"))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                rows::tag(&row.ok_or(StoreError::NotFound)?)
            }

            async fn find_tag_by_name(&self, name: &str) -> StoreResult<Option<Tag>> {
                let exact = sqlx::query(&format!("SELECT {TAG_COLUMNS} FROM tags t WHERE t.name = $1"))
                    .bind(name)
                    .fetch_optional(&self.pool)
                    .await?;
                let row = match exact {
                    Some(r) => Some(r),
                    None => {
                        sqlx::query(&format!(
                            "SELECT {TAG_COLUMNS} FROM tags t WHERE LOWER(t.name) = LOWER($1) \
                             ORDER BY t.id LIMIT 1"
                        ))
                        .bind(name)
                        .fetch_optional(&self.pool)
                        .await?
                    }
                };
                row.as_ref().map(rows::tag).transpose()
            }

            async fn search_tags(&self, patterns: &[String]) -> StoreResult<Vec<Tag>> {
                if patterns.is_empty() {
                    return Ok(Vec::new());
                }
                let conditions: Vec<String> = (1..=patterns.len())
                    .map(|i| format!("LOWER(t.name) LIKE LOWER(${i})"))
                    .collect();
                let sql = format!(
                    "SELECT {TAG_COLUMNS} FROM tags t WHERE {} ORDER BY LOWER(t.name), t.name, t.id",
                    conditions.join(" OR ")
                );
                let mut q = sqlx::query(&sql);
                for p in patterns {
                    q = q.bind(p);
                }
                let found = q.fetch_all(&self.pool).await?;
                found.iter().map(rows::tag).collect()
            }

            async fn create_tag(&self, tag: &NewTag) -> StoreResult<Tag> {
                let mut tx = self.write_tx().await?;
                Self::check_name_free(&mut tx, &tag.name, 0).await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO tags (name, colour, exportable, org_id, user_id, hide_tag, \
                     numerical_value, is_galaxy, is_custom_galaxy, local_only) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                )
                .bind(&tag.name)
                .bind(&tag.colour)
                .bind(tag.exportable)
                .bind(tag.org_id)
                .bind(tag.user_id)
                .bind(tag.hide_tag)
                .bind(tag.numerical_value)
                .bind(tag.is_galaxy())
                .bind(tag.is_custom_galaxy())
                .bind(tag.local_only)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| StoreError::from_db(e, "name"))?;
                let created = Self::tag_in(&mut tx, id).await?;
                tx.commit().await?;
                Ok(created)
            }

            async fn update_tag(&self, id: i64, tag: &NewTag) -> StoreResult<Tag> {
                let mut tx = self.write_tx().await?;
                let stored = Self::tag_in(&mut tx, id).await?;
                if stored.name != tag.name {
                    Self::check_name_free(&mut tx, &tag.name, id).await?;
                }
                sqlx::query(
                    "UPDATE tags SET name = $1, colour = $2, exportable = $3, org_id = $4, \
                     user_id = $5, hide_tag = $6, numerical_value = $7, is_galaxy = $8, \
                     is_custom_galaxy = $9, local_only = $10 WHERE id = $11",
                )
                .bind(&tag.name)
                .bind(&tag.colour)
                .bind(tag.exportable)
                .bind(tag.org_id)
                .bind(tag.user_id)
                .bind(tag.hide_tag)
                .bind(tag.numerical_value)
                .bind(tag.is_galaxy())
                .bind(tag.is_custom_galaxy())
                .bind(tag.local_only)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(|e| StoreError::from_db(e, "name"))?;
                let updated = Self::tag_in(&mut tx, id).await?;
                tx.commit().await?;
                Ok(updated)
            }

            async fn delete_tag(&self, id: i64) -> StoreResult<()> {
                let mut tx = self.write_tx().await?;
                for table in ["attribute_tags", "event_tags"] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE tag_id = $1"))
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                let done = sqlx::query("DELETE FROM tags WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                tx.commit().await?;
                Ok(())
            }

            async fn find_tag_link(
                &self,
                target: TagTarget,
                tag_id: i64,
            ) -> StoreResult<Option<TagLink>> {
                let row = sqlx::query(&link_query(target))
                    .bind(target_id(target))
                    .bind(tag_id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(rows::tag_link).transpose()
            }

            async fn attach_tag(
                &self,
                target: TagTarget,
                tag_id: i64,
                local: bool,
                relationship_type: Option<&str>,
                now: i64,
            ) -> StoreResult<Attached> {
                let mut tx = self.write_tx().await?;
                let inserted = match target {
                    TagTarget::Event(event_id) => sqlx::query(
                        "INSERT INTO event_tags (event_id, tag_id, local, relationship_type) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT (event_id, tag_id) DO NOTHING",
                    )
                    .bind(event_id)
                    .bind(tag_id)
                    .bind(local)
                    .bind(relationship_type)
                    .execute(&mut *tx)
                    .await,
                    TagTarget::Attribute { id, event_id, .. } => sqlx::query(
                        "INSERT INTO attribute_tags (attribute_id, event_id, tag_id, local, \
                         relationship_type) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (attribute_id, tag_id) DO NOTHING",
                    )
                    .bind(id)
                    .bind(event_id)
                    .bind(tag_id)
                    .bind(local)
                    .bind(relationship_type)
                    .execute(&mut *tx)
                    .await,
                }
                .map_err(|e| StoreError::from_db(e, "tag"))?;
                if inserted.rows_affected() == 0 {
                    return Ok(Attached::Already);
                }
                if !local {
                    Self::touch_tagged(&mut tx, target, now).await?;
                }
                tx.commit().await?;
                Ok(Attached::New)
            }

            async fn detach_tag(
                &self,
                target: TagTarget,
                tag_id: i64,
                now: i64,
            ) -> StoreResult<TagLink> {
                use sqlx::Row;
                let mut tx = self.write_tx().await?;
                let row = sqlx::query(&link_query(target))
                    .bind(target_id(target))
                    .bind(tag_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                let link = rows::tag_link(&row)?;
                let link_id: i64 = row.try_get("link_id")?;
                let table = match target {
                    TagTarget::Event(_) => "event_tags",
                    TagTarget::Attribute { .. } => "attribute_tags",
                };
                sqlx::query(&format!("DELETE FROM {table} WHERE id = $1"))
                    .bind(link_id)
                    .execute(&mut *tx)
                    .await?;
                if !link.local {
                    Self::touch_tagged(&mut tx, target, now).await?;
                }
                tx.commit().await?;
                Ok(link)
            }
        }
    };
}

impl_tags!(SqliteStore, sqlx::Sqlite);
impl_tags!(PgStore, sqlx::Postgres);
