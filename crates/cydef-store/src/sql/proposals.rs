//! Proposals (MISP's shadow attributes): proposing a new attribute, a change
//! to an attribute or its deletion; the index under the visibility rule;
//! accepting (through the attribute write steps of `write.rs`, touching the
//! event) and discarding.

use async_trait::async_trait;
use cydef_model::event::{Attribute, NewAttribute};
use sqlx::ColumnIndex;

use super::events::ATTRIBUTE_COLUMNS;
use super::rows::{self, DbRow};
use super::search::{Arg, Sql};
use super::sightings::bind_sql;
use super::visibility::{attribute_visible, event_visible};
use super::{PgStore, SqliteStore};
use crate::{
    ProposalChange, ProposalEntry, ProposalFilter, ProposalRequest, ProposalStore, Proposer,
    StoreError, StoreResult, Viewer,
};

/// The columns of a [`ProposalEntry`]: the proposal `p`, its event `e`, the
/// proposing organisation `og` and the attribute `a` it is about.
const ENTRY_COLUMNS: &str = "p.id, p.uuid, p.event_id, p.old_id, p.org_id, p.category, p.type, \
     p.value1, p.value2, p.to_ids, p.comment, p.timestamp, p.proposal_to_delete, p.deleted, \
     p.email, p.first_seen, p.last_seen, p.disable_correlation, e.uuid AS event_uuid, \
     e.orgc_id AS event_orgc_id, COALESCE(og.name, '') AS org_name, \
     COALESCE(og.uuid, '') AS org_uuid, a.uuid AS old_uuid";

/// The joins behind [`ENTRY_COLUMNS`]; the attribute's object is `o`, as
/// the visibility conditions expect.
const ENTRY_FROM: &str = " FROM shadow_attributes p JOIN events e ON e.id = p.event_id \
     LEFT JOIN organisations og ON og.id = p.org_id \
     LEFT JOIN attributes a ON p.old_id <> 0 AND a.id = p.old_id \
     LEFT JOIN objects o ON o.id = a.object_id";

/// The columns `sort` may name, and what they sort by.
fn sort_column(name: &str) -> Option<&'static str> {
    Some(match name.trim().to_ascii_lowercase().as_str() {
        "id" => "p.id",
        "old_id" => "p.old_id",
        "event_id" => "p.event_id",
        "type" => "p.type",
        "category" => "p.category",
        "uuid" => "p.uuid",
        "to_ids" => "p.to_ids",
        "value" | "value1" => "p.value1",
        "value2" => "p.value2",
        "comment" => "p.comment",
        "org_id" => "p.org_id",
        "timestamp" => "p.timestamp",
        "first_seen" => "p.first_seen",
        "last_seen" => "p.last_seen",
        "deleted" => "p.deleted",
        "proposal_to_delete" => "p.proposal_to_delete",
        "disable_correlation" => "p.disable_correlation",
        _ => return None,
    })
}

/// The index statement: proposals on events the viewer sees; a proposal
/// about an attribute only while the viewer sees that attribute (MISP's
/// `ShadowAttribute::buildConditions`, whose owners see every attribute of
/// their events). `None` reads without the visibility rule.
fn index_statement(f: &ProposalFilter, v: Option<&Viewer>) -> Sql {
    let mut sql = Sql::default();
    sql.push("SELECT ")
        .push(ENTRY_COLUMNS)
        .push(ENTRY_FROM)
        .push(" WHERE 1 = 1");
    if let Some(v) = v {
        sql.push(" AND ");
        event_visible(&mut sql, v);
        sql.push(" AND (p.old_id = 0 OR ");
        attribute_visible(&mut sql, v);
        sql.push(")");
        if f.own_events_only {
            sql.push(" AND e.orgc_id = ").bind(v.org_id);
        }
    }
    if let Some(id) = f.id {
        sql.push(" AND p.id = ").bind(id);
    }
    if let Some(event_id) = f.event_id {
        sql.push(" AND p.event_id = ").bind(event_id);
    }
    if let Some(term) = f.search.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let like = format!("%{}%", term.to_lowercase());
        sql.push(" AND (");
        for (i, column) in [
            "p.value1",
            "p.value2",
            "p.comment",
            "e.info",
            "og.name",
            "og.uuid",
            "p.uuid",
            "e.uuid",
        ]
        .iter()
        .enumerate()
        {
            if i > 0 {
                sql.push(" OR ");
            }
            sql.push("LOWER(")
                .push(column)
                .push(") LIKE ")
                .bind(like.as_str());
        }
        sql.push(")");
    }
    match f.deleted {
        Some(true) => {
            sql.push(" AND p.deleted = TRUE");
        }
        Some(false) => {
            sql.push(" AND p.deleted = FALSE");
        }
        None => {}
    }
    if let Some(since) = f.since {
        sql.push(" AND p.timestamp >= ").bind(since);
    }
    match f.sort.as_deref().and_then(sort_column) {
        Some(column) => {
            let direction = if f.descending { "DESC" } else { "ASC" };
            sql.push(" ORDER BY ")
                .push(column)
                .push(" ")
                .push(direction)
                .push(", p.id");
        }
        None => {
            sql.push(" ORDER BY p.event_id DESC, p.type, p.id");
        }
    }
    if let Some(limit) = f.limit.filter(|l| *l > 0) {
        let page = f.page.filter(|p| *p > 0).unwrap_or(1);
        sql.push(" LIMIT ")
            .bind(limit)
            .push(" OFFSET ")
            .bind((page - 1).saturating_mul(limit));
    }
    sql
}

fn entry<R: DbRow>(row: &R) -> StoreResult<ProposalEntry>
where
    for<'a> &'a str: ColumnIndex<R>,
{
    Ok(ProposalEntry {
        proposal: rows::proposal(row)?,
        email: row.text("email")?,
        first_seen: row.opt_text("first_seen")?,
        last_seen: row.opt_text("last_seen")?,
        disable_correlation: row.bool("disable_correlation")?,
        event_uuid: row.text("event_uuid")?,
        event_orgc_id: row.i64("event_orgc_id")?,
        org_name: row.text("org_name")?,
        org_uuid: row.text("org_uuid")?,
        old_uuid: row.opt_text("old_uuid")?,
    })
}

/// A proposal row to insert.
struct Row<'a> {
    uuid: &'a str,
    event_id: i64,
    old_id: i64,
    category: &'a str,
    attr_type: &'a str,
    value1: &'a str,
    value2: &'a str,
    to_ids: bool,
    comment: &'a str,
    proposal_to_delete: bool,
    first_seen: Option<&'a str>,
    last_seen: Option<&'a str>,
    disable_correlation: bool,
}

impl<'a> Row<'a> {
    fn of(a: &'a NewAttribute, uuid: &'a str, event_id: i64, old_id: i64) -> Self {
        Row {
            uuid,
            event_id,
            old_id,
            category: &a.category,
            attr_type: &a.attr_type,
            value1: &a.value1,
            value2: &a.value2,
            to_ids: a.to_ids,
            comment: &a.comment,
            proposal_to_delete: false,
            first_seen: a.first_seen.as_deref(),
            last_seen: a.last_seen.as_deref(),
            disable_correlation: a.disable_correlation,
        }
    }
}

macro_rules! impl_proposals {
    ($store:ty, $db:ty) => {
        impl $store {
            async fn insert_proposal(
                tx: &mut sqlx::Transaction<'_, $db>,
                r: &Row<'_>,
                proposer: &Proposer,
                now: i64,
            ) -> StoreResult<i64> {
                sqlx::query_scalar(
                    "INSERT INTO shadow_attributes (uuid, event_id, old_id, org_id, category, \
                     type, value1, value2, to_ids, comment, timestamp, proposal_to_delete, \
                     deleted, email, first_seen, last_seen, disable_correlation) VALUES ($1, $2, \
                     $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
                     RETURNING id",
                )
                .bind(r.uuid)
                .bind(r.event_id)
                .bind(r.old_id)
                .bind(proposer.org_id)
                .bind(r.category)
                .bind(r.attr_type)
                .bind(r.value1)
                .bind(r.value2)
                .bind(r.to_ids)
                .bind(r.comment)
                .bind(now)
                .bind(r.proposal_to_delete)
                .bind(false)
                .bind(&proposer.email)
                .bind(r.first_seen)
                .bind(r.last_seen)
                .bind(r.disable_correlation)
                .fetch_one(&mut **tx)
                .await
                .map_err(|e| match StoreError::from_db(e, "uuid") {
                    StoreError::InvalidReference(_) => StoreError::NotFound,
                    other => other,
                })
            }

            /// A live attribute, read in the transaction.
            async fn live_attribute(
                tx: &mut sqlx::Transaction<'_, $db>,
                id: i64,
            ) -> StoreResult<Attribute> {
                let row = sqlx::query(&format!(
                    "SELECT {ATTRIBUTE_COLUMNS} FROM attributes WHERE id = $1 AND deleted = $2"
                ))
                .bind(id)
                .bind(false)
                .fetch_optional(&mut **tx)
                .await?;
                rows::attribute(&row.ok_or(StoreError::NotFound)?)
            }
        }

        #[async_trait]
        impl ProposalStore for $store {
            async fn add_proposal(
                &self,
                request: &ProposalRequest,
                proposer: &Proposer,
                now: i64,
            ) -> StoreResult<ProposalEntry> {
                let mut tx = self.write_tx().await?;
                let id = match request {
                    ProposalRequest::Add {
                        event_id,
                        attribute,
                    } => {
                        let row = Row::of(attribute, &attribute.uuid, *event_id, 0);
                        Self::insert_proposal(&mut tx, &row, proposer, now).await?
                    }
                    ProposalRequest::Edit {
                        attribute_id,
                        attribute,
                    } => {
                        let stored = Self::live_attribute(&mut tx, *attribute_id).await?;
                        let row = Row::of(attribute, &stored.uuid, stored.event_id, stored.id);
                        Self::insert_proposal(&mut tx, &row, proposer, now).await?
                    }
                    ProposalRequest::Delete { attribute_id } => {
                        let a = Self::live_attribute(&mut tx, *attribute_id).await?;
                        let row = Row {
                            uuid: &a.uuid,
                            event_id: a.event_id,
                            old_id: a.id,
                            category: &a.category,
                            attr_type: &a.attr_type,
                            value1: &a.value1,
                            value2: &a.value2,
                            to_ids: a.to_ids,
                            comment: "",
                            proposal_to_delete: true,
                            first_seen: a.first_seen.as_deref(),
                            last_seen: a.last_seen.as_deref(),
                            disable_correlation: a.disable_correlation,
                        };
                        Self::insert_proposal(&mut tx, &row, proposer, now).await?
                    }
                };
                tx.commit().await?;
                let filter = ProposalFilter {
                    id: Some(id),
                    ..Default::default()
                };
                let sql = index_statement(&filter, None);
                let row = bind_sql!(sqlx::query(&sql.text), &sql.args)
                    .fetch_optional(&self.pool)
                    .await?;
                entry(&row.ok_or(StoreError::NotFound)?)
            }

            async fn list_proposals(
                &self,
                filter: &ProposalFilter,
                viewer: &Viewer,
            ) -> StoreResult<Vec<ProposalEntry>> {
                let sql = index_statement(filter, Some(viewer));
                bind_sql!(sqlx::query(&sql.text), &sql.args)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(entry)
                    .collect()
            }

            async fn accept_proposal(
                &self,
                id: i64,
                change: &ProposalChange,
                now: i64,
            ) -> StoreResult<Attribute> {
                let mut tx = self.write_tx().await?;
                // Taking the proposal first claims it: a concurrent accept or
                // discard of the same proposal finds nothing.
                let taken: Option<(i64, i64)> = sqlx::query_as(
                    "DELETE FROM shadow_attributes WHERE id = $1 AND deleted = $2 \
                     RETURNING event_id, old_id",
                )
                .bind(id)
                .bind(false)
                .fetch_optional(&mut *tx)
                .await?;
                let (event_id, old_id) = taken.ok_or(StoreError::NotFound)?;
                let stored = match change {
                    ProposalChange::Create(a) => {
                        if old_id != 0 {
                            return Err(StoreError::NotFound);
                        }
                        Self::insert_attributes(&mut tx, event_id, &[(None, a)], now).await?;
                        let row = sqlx::query(&format!(
                            "SELECT {ATTRIBUTE_COLUMNS} FROM attributes WHERE uuid = $1"
                        ))
                        .bind(&a.uuid)
                        .fetch_one(&mut *tx)
                        .await?;
                        let stored = rows::attribute(&row)?;
                        Self::tag_attributes(&mut tx, event_id, &[(stored.id, a.tags.as_slice())])
                            .await?;
                        Self::attr_touch_event(&mut tx, event_id, None, now).await?;
                        stored
                    }
                    ProposalChange::Update(a) => {
                        let current = Self::live_attribute(&mut tx, old_id).await?;
                        let row = Self::update_attribute_row(&mut tx, old_id, a, now).await?;
                        let stored = rows::attribute(&row.ok_or(StoreError::NotFound)?)?;
                        if a.deleted {
                            Self::on_attribute_deleted(&mut tx, old_id).await?;
                        }
                        Self::attr_touch_event(&mut tx, current.event_id, current.object_id, now)
                            .await?;
                        stored
                    }
                    ProposalChange::Delete => {
                        let current = Self::live_attribute(&mut tx, old_id).await?;
                        let row = sqlx::query(&format!(
                            "UPDATE attributes SET deleted = $1, timestamp = $2 WHERE id = $3 \
                             RETURNING {ATTRIBUTE_COLUMNS}"
                        ))
                        .bind(true)
                        .bind(now)
                        .bind(old_id)
                        .fetch_one(&mut *tx)
                        .await?;
                        let stored = rows::attribute(&row)?;
                        Self::on_attribute_deleted(&mut tx, old_id).await?;
                        Self::attr_touch_event(&mut tx, current.event_id, current.object_id, now)
                            .await?;
                        stored
                    }
                };
                tx.commit().await?;
                Ok(stored)
            }

            async fn discard_proposal(&self, id: i64) -> StoreResult<()> {
                let mut tx = self.write_tx().await?;
                let done = sqlx::query("DELETE FROM shadow_attributes WHERE id = $1 AND deleted = $2")
                    .bind(id)
                    .bind(false)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                tx.commit().await?;
                Ok(())
            }
        }
    };
}

impl_proposals!(SqliteStore, sqlx::Sqlite);
impl_proposals!(PgStore, sqlx::Postgres);

#[cfg(test)]
mod tests {
    use super::*;
    use cydef_model::sharing_group::AuthorizedGroups;

    #[test]
    fn others_see_proposals_on_what_they_see() {
        let v = Viewer {
            org_id: 3,
            site_admin: false,
            sharing_groups: AuthorizedGroups::default(),
        };
        let f = ProposalFilter {
            event_id: Some(9),
            own_events_only: true,
            search: Some("Evil".into()),
            since: Some(100),
            sort: Some("value".into()),
            descending: true,
            limit: Some(10),
            page: Some(3),
            ..Default::default()
        };
        let sql = index_statement(&f, Some(&v));
        assert!(sql.text.contains("AND (p.old_id = 0 OR ("), "{}", sql.text);
        assert!(sql.text.contains("ORDER BY p.value1 DESC, p.id"));
        assert_eq!(sql.text.matches('$').count(), sql.args.len());
        assert!(sql.args.contains(&Arg::Text("%evil%".into())));
        assert!(sql.args.contains(&Arg::Int(20)), "offset of page 3");
    }

    #[test]
    fn unknown_sort_columns_keep_misp_order() {
        let f = ProposalFilter {
            sort: Some("value1; DROP TABLE events".into()),
            ..Default::default()
        };
        let sql = index_statement(&f, None);
        assert!(sql.text.ends_with("ORDER BY p.event_id DESC, p.type, p.id"));
        assert!(sql.args.is_empty());
    }
}
