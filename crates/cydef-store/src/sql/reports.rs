//! Event reports one at a time: add, read, edit, soft delete and restore,
//! hard delete, and the index under the visibility rule. Every change
//! touches the event (timestamp, unpublished) in the same transaction.

use async_trait::async_trait;
use cydef_model::event::Report;
use cydef_model::EntityRef;

use super::rows;
use super::search::{Arg, Sql};
use super::sightings::bind_sql;
use super::visibility::report_visible;
use super::{PgStore, SqliteStore};
use crate::{ReportFields, ReportFilter, ReportStore, StoreError, StoreResult, Viewer};

const REPORT_COLUMNS: &str =
    "id, uuid, event_id, name, content, distribution, sharing_group_id, timestamp, deleted";

/// The index statement: the reports the viewer sees (`report_visible`: of
/// events its organisation does not own, only live shared ones).
fn index_statement(f: &ReportFilter, v: &Viewer) -> Sql {
    let cols: Vec<String> = REPORT_COLUMNS
        .split(',')
        .map(|c| format!("r.{}", c.trim()))
        .collect();
    let mut sql = Sql::default();
    sql.push("SELECT ")
        .push(&cols.join(", "))
        .push(" FROM event_reports r JOIN events e ON e.id = r.event_id WHERE ");
    report_visible(&mut sql, v);
    if let Some(event_id) = f.event_id {
        sql.push(" AND r.event_id = ").bind(event_id);
    }
    match f.deleted {
        Some(true) => {
            sql.push(" AND r.deleted = TRUE");
        }
        Some(false) => {
            sql.push(" AND r.deleted = FALSE");
        }
        None => {}
    }
    if let Some(term) = f.search.as_deref().filter(|t| !t.is_empty()) {
        let like = format!("%{}%", term.to_lowercase());
        sql.push(" AND (LOWER(r.name) LIKE ")
            .bind(like.as_str())
            .push(" OR LOWER(r.content) LIKE ")
            .bind(like)
            .push(" OR CAST(r.id AS TEXT) = ")
            .bind(term)
            .push(" OR r.uuid = ")
            .bind(term.to_lowercase())
            .push(")");
    }
    sql.push(" ORDER BY r.id");
    if let Some((offset, limit)) = f.window {
        sql.push(" LIMIT ")
            .bind(limit)
            .push(" OFFSET ")
            .bind(offset);
    }
    sql
}

macro_rules! impl_reports {
    ($store:ty, $db:ty) => {
        impl $store {
            /// The event of a report.
            async fn report_event(
                tx: &mut sqlx::Transaction<'_, $db>,
                id: i64,
            ) -> StoreResult<i64> {
                let found: Option<i64> =
                    sqlx::query_scalar("SELECT event_id FROM event_reports WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut **tx)
                        .await?;
                found.ok_or(StoreError::NotFound)
            }
        }

        #[async_trait]
        impl ReportStore for $store {
            async fn add_report(
                &self,
                event_id: i64,
                uuid: &str,
                fields: &ReportFields,
                now: i64,
            ) -> StoreResult<Report> {
                let mut tx = self.write_tx().await?;
                let row = sqlx::query(&format!(
                    "INSERT INTO event_reports (uuid, event_id, name, content, distribution, \
                     sharing_group_id, timestamp, deleted) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     RETURNING {REPORT_COLUMNS}"
                ))
                .bind(uuid)
                .bind(event_id)
                .bind(&fields.name)
                .bind(&fields.content)
                .bind(fields.distribution)
                .bind(fields.sharing_group_id)
                .bind(now)
                .bind(false)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| match StoreError::from_db(e, "uuid") {
                    StoreError::InvalidReference(_) => StoreError::NotFound,
                    other => other,
                })?;
                let report = rows::report(&row)?;
                Self::touch_event(&mut tx, event_id, now).await?;
                tx.commit().await?;
                Ok(report)
            }

            async fn get_report(&self, r: EntityRef) -> StoreResult<Report> {
                let (condition, key) = match r {
                    EntityRef::Id(id) => ("id = $1", Arg::Int(id)),
                    EntityRef::Uuid(u) => ("uuid = $1", Arg::Text(u.hyphenated().to_string())),
                };
                let text = format!("SELECT {REPORT_COLUMNS} FROM event_reports WHERE {condition}");
                let row = bind_sql!(sqlx::query(&text), [&key])
                    .fetch_optional(&self.pool)
                    .await?;
                rows::report(&row.ok_or(StoreError::NotFound)?)
            }

            async fn update_report(
                &self,
                id: i64,
                fields: &ReportFields,
                now: i64,
            ) -> StoreResult<Report> {
                let mut tx = self.write_tx().await?;
                let event_id = Self::report_event(&mut tx, id).await?;
                let row = sqlx::query(&format!(
                    "UPDATE event_reports SET name = $1, content = $2, distribution = $3, \
                     sharing_group_id = $4, timestamp = $5 WHERE id = $6 RETURNING {REPORT_COLUMNS}"
                ))
                .bind(&fields.name)
                .bind(&fields.content)
                .bind(fields.distribution)
                .bind(fields.sharing_group_id)
                .bind(now)
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
                let report = rows::report(&row)?;
                Self::touch_event(&mut tx, event_id, now).await?;
                tx.commit().await?;
                Ok(report)
            }

            async fn set_report_deleted(
                &self,
                id: i64,
                deleted: bool,
                now: i64,
            ) -> StoreResult<Report> {
                let mut tx = self.write_tx().await?;
                let event_id = Self::report_event(&mut tx, id).await?;
                let row = sqlx::query(&format!(
                    "UPDATE event_reports SET deleted = $1, timestamp = $2 WHERE id = $3 \
                     RETURNING {REPORT_COLUMNS}"
                ))
                .bind(deleted)
                .bind(now)
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
                let report = rows::report(&row)?;
                Self::touch_event(&mut tx, event_id, now).await?;
                tx.commit().await?;
                Ok(report)
            }

            async fn hard_delete_report(&self, id: i64, now: i64) -> StoreResult<()> {
                let mut tx = self.write_tx().await?;
                let event_id = Self::report_event(&mut tx, id).await?;
                sqlx::query("DELETE FROM event_reports WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                Self::touch_event(&mut tx, event_id, now).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn list_reports(
                &self,
                filter: &ReportFilter,
                viewer: &Viewer,
            ) -> StoreResult<Vec<Report>> {
                let sql = index_statement(filter, viewer);
                bind_sql!(sqlx::query(&sql.text), &sql.args)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(rows::report)
                    .collect()
            }
        }
    };
}

impl_reports!(SqliteStore, sqlx::Sqlite);
impl_reports!(PgStore, sqlx::Postgres);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn others_see_only_live_shared_reports() {
        let v = Viewer {
            org_id: 3,
            site_admin: false,
            sharing_groups: cydef_model::sharing_group::AuthorizedGroups::new([2]),
        };
        let f = ReportFilter {
            event_id: Some(9),
            deleted: None,
            search: Some("APT".into()),
            window: Some((20, 10)),
        };
        let sql = index_statement(&f, &v);
        assert!(sql.text.contains(
            "r.deleted = FALSE AND (r.distribution IN (1, 2, 3, 5) \
             OR (r.distribution = 4 AND r.sharing_group_id IN ($"
        ));
        assert_eq!(sql.text.matches('$').count(), sql.args.len());
        assert!(sql.args.contains(&Arg::Text("%apt%".into())));
        assert!(sql.text.ends_with(&format!(
            "ORDER BY r.id LIMIT ${} OFFSET ${}",
            sql.args.len() - 1,
            sql.args.len()
        )));
        assert_eq!(sql.args[sql.args.len() - 2..], [Arg::Int(10), Arg::Int(20)]);
    }
}
