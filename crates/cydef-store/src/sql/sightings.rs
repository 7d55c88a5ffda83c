//! Sightings: recording them on attributes the viewer may see, and reading
//! them under the visibility rule (`sql/visibility.rs`) and MISP's default
//! sighting policy. Recording touches only the event's `sighting_timestamp`:
//! a sighting neither unpublishes the event nor changes its `timestamp`.

use std::collections::BTreeSet;

use async_trait::async_trait;
use cydef_model::event::{Attribute, Event, Sighting};
use cydef_model::EntityRef;

use super::events::{ATTRIBUTE_COLUMNS, EVENT_COLUMNS};
use super::rows;
use super::search::{Arg, Sql};
use super::visibility::{attribute_visible, owns_event};
use super::{PgStore, SqliteStore};
use crate::{
    SightingFilter, SightingHits, SightingRecord, SightingStore, SightingTarget, StoreError,
    StoreResult, Viewer,
};

const SIGHTING_COLUMNS: &str =
    "s.id, s.uuid, s.attribute_id, s.event_id, s.org_id, s.date_sighting, s.source, s.type";

/// Most values bound in one `IN` list, well under SQLite's parameter limit.
const IN_CHUNK: usize = 1000;

/// Binds a built statement's arguments, in order.
macro_rules! bind_sql {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Int(i) => q.bind(*i),
                Arg::Text(s) => q.bind(s.clone()),
            };
        }
        q
    }};
}
pub(crate) use bind_sql;

/// `(item, item, …)` with every item bound.
pub(crate) fn push_list<T: Clone + Into<Arg>>(sql: &mut Sql, items: &[T]) {
    sql.push("(");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(item.clone());
    }
    sql.push(")");
}

/// ` AND {column} IN (…)`, or a condition that holds for nothing when the
/// list is empty.
fn push_in<T: Clone + Into<Arg>>(sql: &mut Sql, column: &str, items: &Option<Vec<T>>) {
    match items {
        None => {}
        Some(list) if list.is_empty() => {
            sql.push(" AND 1 = 0");
        }
        Some(list) => {
            sql.push(" AND ").push(column).push(" IN ");
            push_list(sql, list);
        }
    }
}

/// The sightings statement: visible attributes only, and of events the
/// viewer's organisation does not own, only its own sightings (MISP's
/// `Plugin.Sightings_policy` 0, the default).
fn sightings_statement(f: &SightingFilter, v: &Viewer) -> Sql {
    let mut sql = Sql::default();
    sql.push("SELECT ").push(SIGHTING_COLUMNS).push(
        " FROM sightings s JOIN attributes a ON a.id = s.attribute_id \
             JOIN events e ON e.id = s.event_id LEFT JOIN objects o ON o.id = a.object_id WHERE ",
    );
    attribute_visible(&mut sql, v);
    sql.push(" AND (");
    owns_event(&mut sql, v);
    sql.push(" OR s.org_id = ").bind(v.org_id).push(")");
    push_in(&mut sql, "s.attribute_id", &f.attribute_ids);
    push_in(&mut sql, "a.uuid", &f.attribute_uuids);
    push_in(&mut sql, "s.event_id", &f.event_ids);
    push_in(&mut sql, "s.org_id", &f.org_ids);
    if !f.not_org_ids.is_empty() {
        sql.push(" AND s.org_id NOT IN ");
        push_list(&mut sql, &f.not_org_ids);
    }
    push_in(&mut sql, "s.type", &f.types);
    push_in(&mut sql, "s.source", &f.sources);
    if let Some(from) = f.from {
        sql.push(" AND s.date_sighting >= ").bind(from);
    }
    if let Some(to) = f.to {
        sql.push(" AND s.date_sighting <= ").bind(to);
    }
    if f.newest_first {
        sql.push(" ORDER BY s.date_sighting DESC, s.id DESC");
    } else {
        sql.push(" ORDER BY s.id");
    }
    sql
}

/// The attributes statement of `sightable_attributes`; `None` when the
/// target names nothing.
fn sightable_statement(target: &SightingTarget, v: &Viewer) -> Option<Sql> {
    let cols: Vec<String> = ATTRIBUTE_COLUMNS
        .split(',')
        .map(|c| format!("a.{}", c.trim()))
        .collect();
    let mut sql = Sql::default();
    sql.push("SELECT ").push(&cols.join(", ")).push(
        " FROM attributes a JOIN events e ON e.id = a.event_id \
         LEFT JOIN objects o ON o.id = a.object_id WHERE a.deleted = FALSE AND ",
    );
    attribute_visible(&mut sql, v);
    match target {
        SightingTarget::Ids(ids) if !ids.is_empty() => {
            sql.push(" AND a.id IN ");
            push_list(&mut sql, ids);
        }
        SightingTarget::Uuid(u) => {
            sql.push(" AND a.uuid = ").bind(u.as_str());
        }
        SightingTarget::Values(values) if !values.is_empty() => {
            sql.push(" AND (a.value1 IN ");
            push_list(&mut sql, values);
            sql.push(" OR (a.value2 <> '' AND a.value2 IN ");
            push_list(&mut sql, values);
            sql.push("))");
        }
        _ => return None,
    }
    sql.push(" ORDER BY a.id");
    Some(sql)
}

macro_rules! impl_sightings {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Rows of `table` by id, in chunks, ordered by id.
            async fn rows_by_ids(
                &self,
                table: &str,
                columns: &str,
                ids: &BTreeSet<i64>,
            ) -> StoreResult<Vec<<$db as sqlx::Database>::Row>> {
                let ids: Vec<i64> = ids.iter().copied().collect();
                let mut out = Vec::with_capacity(ids.len());
                for chunk in ids.chunks(IN_CHUNK) {
                    let mut sql = Sql::default();
                    sql.push(&format!("SELECT {columns} FROM {table} WHERE id IN "));
                    push_list(&mut sql, chunk);
                    sql.push(" ORDER BY id");
                    out.extend(
                        bind_sql!(sqlx::query(&sql.text), &sql.args)
                            .fetch_all(&self.pool)
                            .await?,
                    );
                }
                Ok(out)
            }
        }

        #[async_trait]
        impl SightingStore for $store {
            async fn sightable_attributes(
                &self,
                target: &SightingTarget,
                viewer: &Viewer,
            ) -> StoreResult<Vec<Attribute>> {
                let Some(sql) = sightable_statement(target, viewer) else {
                    return Ok(Vec::new());
                };
                bind_sql!(sqlx::query(&sql.text), &sql.args)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(rows::attribute)
                    .collect()
            }

            async fn add_sightings(
                &self,
                attributes: &[Attribute],
                record: &SightingRecord,
                now: i64,
            ) -> StoreResult<Vec<Sighting>> {
                let mut tx = self.write_tx().await?;
                let mut out = Vec::with_capacity(attributes.len());
                let mut events = BTreeSet::new();
                for a in attributes {
                    if record.sighting_type == 2 {
                        sqlx::query(
                            "DELETE FROM sightings WHERE org_id = $1 AND type = 2 \
                             AND attribute_id = $2",
                        )
                        .bind(record.org_id)
                        .bind(a.id)
                        .execute(&mut *tx)
                        .await?;
                    }
                    let row = sqlx::query(
                        "INSERT INTO sightings (uuid, attribute_id, event_id, org_id, \
                         date_sighting, source, type) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                         RETURNING id, uuid, attribute_id, event_id, org_id, date_sighting, \
                         source, type",
                    )
                    .bind(uuid::Uuid::new_v4().hyphenated().to_string())
                    .bind(a.id)
                    .bind(a.event_id)
                    .bind(record.org_id)
                    .bind(record.date_sighting)
                    .bind(&record.source)
                    .bind(record.sighting_type)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| StoreError::from_db(e, "attribute_id"))?;
                    out.push(rows::sighting(&row)?);
                    events.insert(a.event_id);
                }
                for event_id in events {
                    sqlx::query("UPDATE events SET sighting_timestamp = $1 WHERE id = $2")
                        .bind(now)
                        .bind(event_id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(out)
            }

            async fn get_sighting(&self, r: EntityRef) -> StoreResult<Sighting> {
                let (condition, key) = match r {
                    EntityRef::Id(id) => ("s.id = $1", Arg::Int(id)),
                    EntityRef::Uuid(u) => ("s.uuid = $1", Arg::Text(u.hyphenated().to_string())),
                };
                let text = format!("SELECT {SIGHTING_COLUMNS} FROM sightings s WHERE {condition}");
                let row = bind_sql!(sqlx::query(&text), [&key])
                    .fetch_optional(&self.pool)
                    .await?;
                rows::sighting(&row.ok_or(StoreError::NotFound)?)
            }

            async fn delete_sighting(&self, id: i64) -> StoreResult<()> {
                let done = sqlx::query("DELETE FROM sightings WHERE id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            }

            async fn find_sightings(
                &self,
                filter: &SightingFilter,
                viewer: &Viewer,
            ) -> StoreResult<SightingHits> {
                let sql = sightings_statement(filter, viewer);
                let sightings = bind_sql!(sqlx::query(&sql.text), &sql.args)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(rows::sighting)
                    .collect::<StoreResult<Vec<Sighting>>>()?;
                let attribute_ids: BTreeSet<i64> =
                    sightings.iter().map(|s| s.attribute_id).collect();
                let event_ids: BTreeSet<i64> = sightings.iter().map(|s| s.event_id).collect();
                let attributes = self
                    .rows_by_ids("attributes", ATTRIBUTE_COLUMNS, &attribute_ids)
                    .await?
                    .iter()
                    .map(rows::attribute)
                    .collect::<StoreResult<Vec<Attribute>>>()?;
                let events = self
                    .rows_by_ids("events", EVENT_COLUMNS, &event_ids)
                    .await?
                    .iter()
                    .map(rows::event)
                    .collect::<StoreResult<Vec<Event>>>()?;
                Ok(SightingHits {
                    sightings,
                    attributes,
                    events,
                })
            }
        }
    };
}

impl_sightings!(SqliteStore, sqlx::Sqlite);
impl_sightings!(PgStore, sqlx::Postgres);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_orgs_see_only_their_own_sightings() {
        let v = Viewer {
            org_id: 7,
            site_admin: false,
            sharing_groups: Default::default(),
        };
        let sql = sightings_statement(&SightingFilter::default(), &v);
        assert!(sql.text.contains("OR s.org_id = $"), "{}", sql.text);
        let placeholders = sql.text.matches('$').count();
        assert_eq!(placeholders, sql.args.len());
    }

    #[test]
    fn an_empty_filter_list_matches_nothing() {
        let v = Viewer {
            org_id: 1,
            site_admin: true,
            sharing_groups: Default::default(),
        };
        let f = SightingFilter {
            event_ids: Some(Vec::new()),
            ..Default::default()
        };
        assert!(sightings_statement(&f, &v).text.contains("AND 1 = 0"));
        assert!(sightable_statement(&SightingTarget::Values(Vec::new()), &v).is_none());
    }
}
