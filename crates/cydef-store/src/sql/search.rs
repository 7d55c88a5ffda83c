//! Searches: MISP's restSearch (attributes and events) and the filtered
//! events index. A request becomes one SQL statement with bound parameters
//! (plus a `COUNT(*)` twin for `X-Result-Count`); no request value is ever
//! written into the SQL text. The text is built once, backend-neutral
//! (`$n` placeholders), and run on each backend's own driver.
//!
//! Filters are written to use the indexes: `IN` lists on `value1`/`value2`
//! (hash indexes on PostgreSQL), tag filters as `IN` subqueries on
//! `attribute_tags(tag_id)` and `event_tags(tag_id)`, paging by id.

use std::collections::HashMap;

use async_trait::async_trait;
use cydef_model::search::{Deleted, Filter, SearchRequest, SortKey, TimeRange};

use super::events::{ATTRIBUTE_COLUMNS, EVENT_COLUMNS, OBJECT_COLUMNS, TAG_COLUMNS};
use super::visibility::{
    attribute_visible, event_visible, object_visible, owns_event, shared_attribute,
};
use super::{rows, PgStore, SqliteStore};
use crate::{AttributeHits, EventHits, ObjectHits, SearchStore, StoreResult, Viewer};

/// A bound parameter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    Int(i64),
    Text(String),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_owned())
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}

/// SQL text with `$n` placeholders and the values bound to them, in order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    pub fn bind(&mut self, a: impl Into<Arg>) -> &mut Self {
        self.args.push(a.into());
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
        self
    }

    /// `(x1, x2, …)` with each item bound; returns the text pushed, so that
    /// the same list can be used again without binding it twice.
    fn bind_list<T: Clone + Into<Arg>>(&mut self, items: &[T]) -> String {
        let start = self.text.len();
        self.push("(");
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(item.clone());
        }
        self.push(")");
        self.text[start..].to_owned()
    }
}

/// What differs between the two SQL dialects for searching.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dialect {
    /// Case-insensitive `LIKE`: SQLite's `LIKE` is (for ASCII); PostgreSQL
    /// needs `ILIKE`.
    pub like: &'static str,
    /// How a long list is bound as one parameter.
    pub arrays: Arrays,
}

/// How a list longer than [`INLINE_LIST`] is bound as one parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arrays {
    /// A JSON array, read with `json_each` (SQLite).
    JsonEach,
    /// An array literal cast to an array type and unnested (PostgreSQL).
    Postgres,
}

const SQLITE: Dialect = Dialect {
    like: "LIKE",
    arrays: Arrays::JsonEach,
};
const POSTGRES: Dialect = Dialect {
    like: "ILIKE",
    arrays: Arrays::Postgres,
};

/// Lists of more items than this are bound as one parameter (a JSON array
/// on SQLite, an array on PostgreSQL), so that a list of any length stays
/// under the backends' limits on bound parameters (SQLite's 32,766,
/// PostgreSQL's 65,535). Shorter lists keep one parameter per item, the
/// statements the search benchmarks measure.
pub(crate) const INLINE_LIST: usize = 1000;

/// An item of a list that may be bound as one array parameter.
pub(crate) trait ListItem: Clone + Into<Arg> + serde::Serialize {
    /// PostgreSQL's array type of the items.
    const PG_ARRAY: &'static str;
    /// The item in a PostgreSQL array literal.
    fn pg_element(&self, out: &mut String);
}

impl ListItem for String {
    const PG_ARRAY: &'static str = "text[]";
    fn pg_element(&self, out: &mut String) {
        // Every element quoted, `"` and `\` escaped: the literal reads back
        // exactly the items (NUL never reaches the database).
        out.push('"');
        for c in self.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
    }
}

impl ListItem for i64 {
    const PG_ARRAY: &'static str = "bigint[]";
    fn pg_element(&self, out: &mut String) {
        out.push_str(&self.to_string());
    }
}

/// `{"a","b"}`: the items as a PostgreSQL array literal.
fn pg_array<T: ListItem>(items: &[T]) -> String {
    let mut out = String::from("{");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        item.pg_element(&mut out);
    }
    out.push('}');
    out
}

/// `["a","b"]`: the items as a JSON array.
fn json_array<T: ListItem>(items: &[T]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned())
}

/// A `%` pattern as a LIKE pattern: `%` stays a wildcard, `_` and `\` are
/// literal (MISP's clients only use `%`).
fn like_pattern(s: &str) -> String {
    s.replace('\\', "\\\\").replace('_', "\\_")
}

/// A substring as a LIKE pattern.
fn substring_pattern(s: &str) -> String {
    format!("%{}%", like_pattern(s).replace('%', "\\%"))
}

fn is_pattern(s: &str) -> bool {
    s.contains('%')
}

/// The tag ids each tag filter item names.
pub(crate) type TagIds = HashMap<String, Vec<i64>>;

/// Every tag item of a search (`tags` and `event_tags`, all three lists).
fn tag_items(q: &SearchRequest) -> Vec<&String> {
    let mut items: Vec<&String> = [&q.tags, &q.event_tags]
        .into_iter()
        .flat_map(|f| f.any.iter().chain(&f.all).chain(&f.not))
        .collect();
    items.sort();
    items.dedup();
    items
}

/// The ids of the tags an item names: by name (case-insensitive), by `%`
/// pattern, or by numeric id.
fn tag_lookup(d: Dialect, item: &str) -> Sql {
    let mut sql = Sql::default();
    sql.push("SELECT t.id FROM tags t WHERE ");
    if is_pattern(item) {
        sql.push("t.name ")
            .push(d.like)
            .push(" ")
            .bind(like_pattern(item))
            .push(" ESCAPE '\\'");
    } else {
        sql.push("LOWER(t.name) = LOWER(").bind(item).push(")");
        if let Ok(id) = item.parse::<i64>() {
            sql.push(" OR t.id = ").bind(id);
        }
    }
    sql
}

/// Builds the WHERE clauses of one search; `and()` separates conditions.
struct Builder<'a> {
    sql: Sql,
    d: Dialect,
    viewer: &'a Viewer,
    tags: &'a TagIds,
}

impl<'a> Builder<'a> {
    fn new(d: Dialect, viewer: &'a Viewer, tags: &'a TagIds) -> Self {
        Self {
            sql: Sql::default(),
            d,
            viewer,
            tags,
        }
    }

    fn and(&mut self) -> &mut Sql {
        self.sql.push(" AND ")
    }

    fn like(&mut self, column: &str, pattern: String) {
        let op = self.d.like;
        self.sql
            .push(column)
            .push(" ")
            .push(op)
            .push(" ")
            .bind(pattern)
            .push(" ESCAPE '\\'");
    }

    /// A filter over one condition per item: `any` OR-ed, `all` AND-ed,
    /// `not` negated. `group` matches a whole list of items at once (an `IN`).
    fn filter<T: Clone>(&mut self, f: &Filter<T>, mut group: impl FnMut(&mut Self, &[T])) {
        if !f.any.is_empty() {
            self.and();
            group(self, &f.any);
        }
        for item in &f.all {
            self.and();
            group(self, std::slice::from_ref(item));
        }
        if !f.not.is_empty() {
            self.and().push("NOT ");
            group(self, &f.not);
        }
    }

    /// `SELECT …` of the items of a list bound as one parameter: a JSON
    /// array read with `json_each` (SQLite), an array literal cast and
    /// unnested (PostgreSQL). Used as `x IN (SELECT …)`, a semi-join or a
    /// hashed subplan: never `= ANY(array)`, which PostgreSQL checks by
    /// walking the array for every row of a generic plan. Returns the text
    /// pushed, so that the list can be used again without binding it twice.
    fn list_select<T: ListItem>(&mut self, items: &[T]) -> String {
        let start = self.sql.text.len();
        match self.d.arrays {
            Arrays::JsonEach => {
                self.sql
                    .push("SELECT value FROM json_each(")
                    .bind(json_array(items))
                    .push(")");
            }
            Arrays::Postgres => {
                self.sql
                    .push("SELECT unnest(CAST(")
                    .bind(pg_array(items))
                    .push(" AS ")
                    .push(T::PG_ARRAY)
                    .push("))");
            }
        }
        self.sql.text[start..].to_owned()
    }

    /// Membership in `items`, the text that follows a column: ` IN ($1, …)`,
    /// or for a list of more than [`INLINE_LIST`] items ` IN (SELECT …)`
    /// over one bound array ([`Self::list_select`]).
    fn member_of<T: ListItem>(&mut self, items: &[T]) {
        if items.len() <= INLINE_LIST {
            self.sql.push(" IN ");
            self.sql.bind_list(items);
        } else {
            self.sql.push(" IN (");
            self.list_select(items);
            self.sql.push(")");
        }
    }

    /// `column` equals one of the items, or matches one with `%`.
    fn text_in(&mut self, column: &str, items: &[String]) {
        let (patterns, exact): (Vec<&String>, Vec<&String>) =
            items.iter().partition(|s| is_pattern(s));
        self.sql.push("(");
        let mut first = true;
        if !exact.is_empty() {
            self.sql.push(column);
            let exact: Vec<String> = exact.into_iter().cloned().collect();
            self.member_of(&exact);
            first = false;
        }
        for p in patterns {
            if !first {
                self.sql.push(" OR ");
            }
            self.like(column, like_pattern(p));
            first = false;
        }
        self.sql.push(")");
    }

    fn int_in(&mut self, column: &str, items: &[i64]) {
        self.sql.push(column);
        self.member_of(items);
    }

    fn ints(&mut self, column: &str, f: &Filter<i64>) {
        self.filter(f, |b, items| b.int_in(column, items));
    }

    fn texts(&mut self, column: &str, f: &Filter<String>) {
        self.filter(f, |b, items| b.text_in(column, items));
    }

    fn range(&mut self, column: &str, r: &TimeRange) {
        if let Some(from) = r.from {
            self.and().push(column).push(" >= ").bind(from);
        }
        if let Some(to) = r.to {
            self.and().push(column).push(" <= ").bind(to);
        }
    }

    /// Attribute values: exact values against either half (`value1`,
    /// `value2`), `a|b` against both halves, `%` patterns with LIKE.
    fn values(&mut self, items: &[String]) {
        let mut exact = Vec::new();
        let mut parts: Vec<String> = Vec::new();
        let mut first = true;
        self.sql.push("(");
        for item in items {
            if is_pattern(item) {
                if !first {
                    self.sql.push(" OR ");
                }
                self.sql.push("(");
                self.like("a.value1", like_pattern(item));
                self.sql.push(" OR (a.value2 <> '' AND ");
                self.like("a.value2", like_pattern(item));
                self.sql.push("))");
                first = false;
            } else {
                exact.push(item.clone());
                if let Some((l, r)) = item.split_once('|') {
                    parts.push(l.to_owned());
                    parts.push(r.to_owned());
                }
            }
        }
        if !exact.is_empty() {
            if !first {
                self.sql.push(" OR ");
            }
            if exact.len() <= INLINE_LIST {
                self.sql.push("a.value1 IN ");
                // Bound once, used twice.
                let list = self.sql.bind_list(&exact);
                // `value2 <> ''` lets the planner use the partial index on
                // value2 (migration 0004).
                self.sql
                    .push(" OR (a.value2 <> '' AND a.value2 IN ")
                    .push(&list)
                    .push(")");
                for pair in parts.chunks(2) {
                    if let [l, r] = pair {
                        self.sql.push(" OR (a.value1 = ");
                        self.sql.bind(l.clone());
                        self.sql.push(" AND a.value2 = ");
                        self.sql.bind(r.clone());
                        self.sql.push(")");
                    }
                }
            } else {
                self.long_values(&exact, &parts);
            }
        }
        self.sql.push(")");
    }

    /// [`Self::values`] for a list of more than [`INLINE_LIST`] exact
    /// values, bound once as one array: the ids of the attributes whose
    /// `value1`, or non-empty `value2`, is one of them (each half driven from
    /// its index, item by item), and for `a|b` items those whose `value1` is
    /// one of the left halves (which have no `|`) and `value1|value2` one of
    /// the items.
    fn long_values(&mut self, exact: &[String], parts: &[String]) {
        self.sql
            .push("a.id IN (SELECT va.id FROM attributes va WHERE va.value1 IN (");
        let list = self.list_select(exact);
        self.sql.push(
            ") UNION ALL SELECT va.id FROM attributes va WHERE va.value2 <> '' AND va.value2 IN (",
        );
        self.sql.push(&list).push(")");
        if !parts.is_empty() {
            let mut lefts: Vec<String> = parts.iter().step_by(2).cloned().collect();
            lefts.sort_unstable();
            lefts.dedup();
            self.sql
                .push(" UNION ALL SELECT va.id FROM attributes va WHERE va.value1");
            self.member_of(&lefts);
            self.sql
                .push(" AND (va.value1 || '|' || va.value2) IN (")
                .push(&list)
                .push(")");
        }
        self.sql.push(")");
    }

    /// The ids of the tags the items name (see [`tag_lookup`]), bound as
    /// integers: with concrete ids the planner can use the tag columns'
    /// statistics (a rare tag is driven from its index, a common one probed).
    fn tag_ids(&mut self, items: &[String]) {
        let mut ids: Vec<i64> = items
            .iter()
            .flat_map(|i| self.tags.get(i).into_iter().flatten().copied())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            // No such tag: `IN (NULL)` matches nothing.
            self.sql.push("NULL");
        } else if ids.len() > INLINE_LIST {
            // Many tags (`%` patterns naming thousands): one bound array.
            self.list_select(&ids);
        } else {
            for (i, id) in ids.into_iter().enumerate() {
                if i > 0 {
                    self.sql.push(", ");
                }
                self.sql.bind(id);
            }
        }
    }

    /// The attribute `a` or its event carries one of the tags. One
    /// uncorrelated `IN` over a `UNION ALL`, so that the planner may drive
    /// the search from the tag's rows (`attribute_tags(tag_id)`,
    /// `event_tags(tag_id)` then `attributes(event_id, id)`) or probe a hash
    /// of them, whichever is cheaper.
    fn attribute_tagged(&mut self, items: &[String]) {
        self.sql
            .push("a.id IN (SELECT at.attribute_id FROM attribute_tags at WHERE at.tag_id IN (");
        self.tag_ids(items);
        self.sql.push(
            ") UNION ALL SELECT ta.id FROM event_tags et JOIN attributes ta ON ta.event_id = et.event_id \
             WHERE et.tag_id IN (",
        );
        self.tag_ids(items);
        self.sql.push("))");
    }

    /// The event `e` carries one of the tags.
    fn event_tagged(&mut self, items: &[String]) {
        self.sql
            .push("e.id IN (SELECT et.event_id FROM event_tags et WHERE et.tag_id IN (");
        self.tag_ids(items);
        self.sql.push("))");
    }

    /// The event `e`, or one of its attributes the viewer sees, carries one
    /// of the tags. Uncorrelated (the subquery's own `e` shadows the outer
    /// one), so it runs once per search, not once per event.
    fn event_or_attribute_tagged(&mut self, items: &[String]) {
        self.sql
            .push("e.id IN (SELECT et.event_id FROM event_tags et WHERE et.tag_id IN (");
        self.tag_ids(items);
        self.sql.push(
            ") UNION ALL SELECT a.event_id FROM attribute_tags at \
             JOIN attributes a ON a.id = at.attribute_id JOIN events e ON e.id = a.event_id \
             LEFT JOIN objects o ON o.id = a.object_id WHERE at.tag_id IN (",
        );
        self.tag_ids(items);
        self.sql.push(") AND ");
        self.live_attribute();
        self.sql.push(" AND ");
        attribute_visible(&mut self.sql, self.viewer);
        self.sql.push(")");
    }

    /// The creating organisation, by id, UUID or name.
    fn org(&mut self, items: &[String]) {
        self.sql
            .push("e.orgc_id IN (SELECT g.id FROM organisations g WHERE ");
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.sql.push(" OR ");
            }
            if let Ok(id) = item.parse::<i64>() {
                self.sql.push("g.id = ").bind(id);
            } else if is_pattern(item) {
                self.like("g.name", like_pattern(item));
            } else {
                self.sql
                    .push("LOWER(g.name) = LOWER(")
                    .bind(item.clone())
                    .push(") OR g.uuid = ")
                    .bind(item.to_ascii_lowercase());
            }
        }
        self.sql.push(")");
    }

    /// Event info, a substring unless the item has `%` wildcards.
    fn info(&mut self, items: &[String]) {
        self.sql.push("(");
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.sql.push(" OR ");
            }
            let p = if is_pattern(item) {
                like_pattern(item)
            } else {
                substring_pattern(item)
            };
            self.like("e.info", p);
        }
        self.sql.push(")");
    }

    /// `a` is not soft-deleted, nor is its object.
    fn live_attribute(&mut self) {
        self.sql
            .push("(a.deleted = FALSE AND (a.object_id IS NULL OR o.deleted = FALSE))");
    }

    fn deleted(&mut self, d: Deleted) {
        match d {
            Deleted::Exclude => {
                self.and();
                self.live_attribute();
            }
            Deleted::Only => {
                self.and()
                    .push("(a.deleted = TRUE OR (a.object_id IS NOT NULL AND o.deleted = TRUE))");
            }
            Deleted::Both => {}
        }
    }

    /// `searchall`: a substring of a value, comment, the event info or a
    /// tag of the attribute.
    fn searchall(&mut self, s: &str) {
        let p = if is_pattern(s) {
            like_pattern(s)
        } else {
            substring_pattern(s)
        };
        self.sql.push("(");
        for column in ["a.value1", "a.value2", "a.comment", "e.info"] {
            self.like(column, p.clone());
            self.sql.push(" OR ");
        }
        self.sql.push(
            "a.id IN (SELECT at.attribute_id FROM attribute_tags at WHERE at.tag_id IN \
             (SELECT t.id FROM tags t WHERE ",
        );
        self.like("t.name", p);
        self.sql.push(")))");
    }

    /// Conditions on the attribute `a` alone (used directly by attribute
    /// searches and inside `EXISTS` by event searches). `timestamp` is the
    /// attribute's.
    fn attribute_conditions(&mut self, q: &SearchRequest, timestamp: Option<&TimeRange>) {
        self.filter(&q.value, |b, items| b.values(items));
        self.texts("a.type", &q.attr_type);
        self.texts("a.category", &q.category);
        self.texts("a.object_relation", &q.object_relation);
        if let Some(to_ids) = q.to_ids {
            self.and().push(if to_ids {
                "a.to_ids = TRUE"
            } else {
                "a.to_ids = FALSE"
            });
        }
        if let Some(t) = timestamp {
            self.range("a.timestamp", t);
        }
        self.range("a.timestamp", &q.attribute_timestamp);
        if let Some(s) = &q.searchall {
            self.and();
            self.searchall(s);
        }
    }

    /// Whether a search has conditions on attributes.
    fn has_attribute_conditions(q: &SearchRequest) -> bool {
        !q.value.is_empty()
            || !q.attr_type.is_empty()
            || !q.category.is_empty()
            || !q.object_relation.is_empty()
            || q.to_ids.is_some()
            || !q.attribute_timestamp.is_empty()
            || q.searchall.is_some()
    }

    /// Conditions on the event `e` shared by both searches.
    fn event_conditions(&mut self, q: &SearchRequest) {
        self.ints("e.id", &q.eventid);
        self.filter(&q.org, |b, items| b.org(items));
        self.filter(&q.eventinfo, |b, items| b.info(items));
        self.filter(&q.event_tags, |b, items| b.event_tagged(items));
        self.ints("e.threat_level_id", &q.threat_level_id);
        self.ints("e.analysis", &q.analysis);
        if let Some(from) = &q.date_from {
            self.and().push("e.date >= ").bind(from.as_str());
        }
        if let Some(to) = &q.date_to {
            self.and().push("e.date <= ").bind(to.as_str());
        }
        self.range("e.publish_timestamp", &q.publish_timestamp);
        self.range("e.timestamp", &q.event_timestamp);
        if let Some(p) = q.published {
            self.and().push(if p {
                "e.published = TRUE"
            } else {
                "e.published = FALSE"
            });
        }
    }

    /// `FROM … WHERE …` of an attribute search.
    fn attribute_search(mut self, q: &SearchRequest) -> Sql {
        self.sql.push(
            " FROM attributes a JOIN events e ON e.id = a.event_id \
             LEFT JOIN objects o ON o.id = a.object_id WHERE ",
        );
        attribute_visible(&mut self.sql, self.viewer);
        self.deleted(q.deleted);
        self.attribute_conditions(q, Some(&q.timestamp));
        self.event_conditions(q);
        self.filter(&q.tags, |b, items| b.attribute_tagged(items));
        self.filter(&q.uuid, |b, items| {
            // The attribute's UUID or its event's, as one `IN` on `a.id`
            // (each half by its own index).
            b.sql
                .push("a.id IN (SELECT u.id FROM attributes u WHERE ");
            b.text_in("u.uuid", items);
            b.sql.push(
                " UNION ALL SELECT u.id FROM events ue JOIN attributes u ON u.event_id = ue.id WHERE ",
            );
            b.text_in("ue.uuid", items);
            b.sql.push(")");
        });
        self.ints("a.distribution", &q.distribution);
        self.ints("a.sharing_group_id", &q.sharing_group);
        self.sql
    }

    /// `FROM … WHERE …` of an event search.
    fn event_search(mut self, q: &SearchRequest) -> Sql {
        self.sql.push(" FROM events e WHERE ");
        event_visible(&mut self.sql, self.viewer);
        self.event_conditions(q);
        self.range("e.timestamp", &q.timestamp);
        self.ints("e.distribution", &q.distribution);
        self.ints("e.sharing_group_id", &q.sharing_group);
        self.filter(&q.tags, |b, items| b.event_or_attribute_tagged(items));
        if Self::has_attribute_conditions(q) || q.deleted == Deleted::Only {
            // An event matches attribute filters through an attribute the
            // viewer sees.
            self.and().push(
                "EXISTS (SELECT 1 FROM attributes a LEFT JOIN objects o ON o.id = a.object_id \
                 WHERE a.event_id = e.id AND ",
            );
            attribute_visible(&mut self.sql, self.viewer);
            self.deleted(q.deleted);
            self.attribute_conditions(q, None);
            self.sql.push(")");
        }
        if !q.uuid.is_empty() {
            let viewer = self.viewer;
            self.filter(&q.uuid, |b, items| {
                b.sql.push("(");
                b.text_in("e.uuid", items);
                b.sql.push(
                    " OR EXISTS (SELECT 1 FROM attributes a LEFT JOIN objects o ON o.id = a.object_id \
                     WHERE a.event_id = e.id AND ",
                );
                b.text_in("a.uuid", items);
                b.sql.push(" AND ");
                b.live_attribute();
                b.sql.push(" AND ");
                attribute_visible(&mut b.sql, viewer);
                b.sql.push("))");
            });
        }
        self.sql
    }
}

/// `FROM … WHERE …` of an object search.
impl Builder<'_> {
    fn object_search(mut self, q: &SearchRequest) -> Sql {
        self.sql
            .push(" FROM objects o JOIN events e ON e.id = o.event_id WHERE ");
        object_visible(&mut self.sql, self.viewer);
        match q.deleted {
            Deleted::Exclude => {
                self.and().push("o.deleted = FALSE");
            }
            Deleted::Only => {
                self.and().push("o.deleted = TRUE");
            }
            Deleted::Both => {}
        }
        self.event_conditions(q);
        self.texts("o.name", &q.object_name);
        self.ints("o.distribution", &q.distribution);
        self.ints("o.sharing_group_id", &q.sharing_group);
        self.range("o.timestamp", &q.timestamp);
        self.filter(&q.uuid, |b, items| {
            b.sql.push("(");
            b.text_in("o.uuid", items);
            b.sql.push(" OR ");
            b.text_in("e.uuid", items);
            b.sql.push(")");
        });
        let viewer = self.viewer;
        self.filter(&q.tags, |b, items| {
            // The event's tags, or those of a visible attribute of the object.
            b.sql.push("(");
            b.event_tagged(items);
            b.sql.push(
                " OR EXISTS (SELECT 1 FROM attribute_tags at JOIN attributes a ON a.id = at.attribute_id \
                 WHERE a.object_id = o.id AND at.tag_id IN (",
            );
            b.tag_ids(items);
            b.sql.push(") AND a.deleted = FALSE AND ");
            attribute_visible(&mut b.sql, viewer);
            b.sql.push("))");
        });
        if Self::has_attribute_conditions(q) {
            self.and().push(
                "EXISTS (SELECT 1 FROM attributes a WHERE a.object_id = o.id AND a.deleted = FALSE AND ",
            );
            attribute_visible(&mut self.sql, self.viewer);
            self.attribute_conditions(q, None);
            self.sql.push(")");
        }
        self.sql
    }
}

/// Statements of an object search: the page and its count.
pub(crate) fn object_statements(
    d: Dialect,
    q: &SearchRequest,
    v: &Viewer,
    tags: &TagIds,
) -> (Sql, Sql) {
    let cols: Vec<String> = OBJECT_COLUMNS
        .split(',')
        .map(|c| format!("o.{}", c.trim()))
        .collect();
    let body = Builder::new(d, v, tags).object_search(q);
    let mut count = Sql::default();
    count.push("SELECT COUNT(*)");
    append(&mut count, &body);
    let mut page = Sql::default();
    page.push("SELECT ").push(&cols.join(", "));
    append(&mut page, &body);
    page.push(" ORDER BY o.id");
    window(&mut page, q);
    (page, count)
}

/// The attributes of the given objects that the viewer sees (live ones, or
/// also deleted ones when the search asks and the viewer owns the event).
fn object_attributes(object_ids: &[i64], v: &Viewer, deleted: Deleted) -> Sql {
    let cols: Vec<String> = ATTRIBUTE_COLUMNS
        .split(',')
        .map(|c| format!("a.{}", c.trim()))
        .collect();
    let mut sql = Sql::default();
    sql.push("SELECT ").push(&cols.join(", ")).push(
        " FROM attributes a JOIN objects o ON o.id = a.object_id JOIN events e ON e.id = a.event_id \
         WHERE a.object_id IN ",
    );
    sql.bind_list(object_ids);
    sql.push(" AND ");
    attribute_visible(&mut sql, v);
    if deleted == Deleted::Exclude {
        sql.push(" AND a.deleted = FALSE");
    }
    sql.push(" ORDER BY a.id");
    sql
}

/// `LIMIT`/`OFFSET` of the requested page, if any.
fn window(sql: &mut Sql, q: &SearchRequest) {
    if let Some((offset, limit)) = q.window() {
        sql.push(" LIMIT ")
            .bind(limit)
            .push(" OFFSET ")
            .bind(offset);
    }
}

/// The events' columns, with `attribute_count` counting only what the viewer
/// sees (stored count for the owner, live shared attributes for others).
pub(crate) fn event_columns(viewer: &Viewer) -> Sql {
    let mut sql = Sql::default();
    let cols: Vec<String> = EVENT_COLUMNS
        .split(',')
        .map(|c| format!("e.{}", c.trim()))
        .filter(|c| c != "e.attribute_count")
        .collect();
    sql.push(&cols.join(", "));
    sql.push(", CASE WHEN ");
    owns_event(&mut sql, viewer);
    sql.push(
        " THEN e.attribute_count ELSE (SELECT COUNT(*) FROM attributes a \
         LEFT JOIN objects o ON o.id = a.object_id WHERE a.event_id = e.id AND ",
    );
    shared_attribute(&mut sql, &viewer.sharing_groups);
    sql.push(") END AS attribute_count");
    sql
}

fn sort_column(k: SortKey) -> &'static str {
    match k {
        SortKey::Id => "e.id",
        SortKey::Date => "e.date",
        SortKey::Info => "e.info",
        SortKey::Timestamp => "e.timestamp",
        SortKey::PublishTimestamp => "e.publish_timestamp",
        SortKey::ThreatLevel => "e.threat_level_id",
        SortKey::Analysis => "e.analysis",
        SortKey::Distribution => "e.distribution",
        SortKey::Published => "e.published",
        SortKey::Org => "e.orgc_id",
        SortKey::AttributeCount => "e.attribute_count",
    }
}

/// Statements of an attribute search: the page and its count.
pub(crate) fn attribute_statements(
    d: Dialect,
    q: &SearchRequest,
    v: &Viewer,
    tags: &TagIds,
) -> (Sql, Sql) {
    let cols: Vec<String> = ATTRIBUTE_COLUMNS
        .split(',')
        .map(|c| format!("a.{}", c.trim()))
        .collect();
    let mut page = Sql::default();
    page.push("SELECT ").push(&cols.join(", "));
    let body = Builder::new(d, v, tags).attribute_search(q);
    let mut count = Sql::default();
    count.push("SELECT COUNT(*)");
    append(&mut count, &body);
    append(&mut page, &body);
    page.push(" ORDER BY a.id");
    window(&mut page, q);
    (page, count)
}

/// Statements of an event search: the page and its count.
pub(crate) fn event_statements(
    d: Dialect,
    q: &SearchRequest,
    v: &Viewer,
    tags: &TagIds,
    newest_first: bool,
) -> (Sql, Sql) {
    let body = Builder::new(d, v, tags).event_search(q);
    let mut count = Sql::default();
    count.push("SELECT COUNT(*)");
    append(&mut count, &body);
    let desc = q.descending.unwrap_or(q.sort.is_none() && newest_first);
    let dir = if desc { " DESC" } else { " ASC" };
    let mut order = String::from(" ORDER BY ");
    if let Some(k) = q.sort.filter(|k| *k != SortKey::Id) {
        order.push_str(sort_column(k));
        order.push_str(dir);
        order.push_str(", ");
    }
    order.push_str("e.id");
    order.push_str(dir);
    // The page is chosen first and the visible attribute counts computed
    // for its rows only (not for the rows an OFFSET skips).
    let mut inner = Sql::default();
    inner.push("SELECT e.*");
    append(&mut inner, &body);
    inner.push(&order);
    window(&mut inner, q);
    let mut page = Sql::default();
    page.push("SELECT ");
    append(&mut page, &event_columns(v));
    page.push(" FROM (");
    append(&mut page, &inner);
    page.push(") e");
    page.push(&order);
    (page, count)
}

/// Appends `other`, renumbering its placeholders after this statement's.
pub(crate) fn append(sql: &mut Sql, other: &Sql) {
    let base = sql.args.len();
    let bytes = other.text.as_bytes();
    let mut i = 0;
    let mut out = String::with_capacity(other.text.len() + 16);
    let mut in_quote = false;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'\'' {
            in_quote = !in_quote;
        }
        if c == b'$' && !in_quote {
            let start = i + 1;
            let mut end = start;
            while end < bytes.len() && bytes[end].is_ascii_digit() {
                end += 1;
            }
            if let Ok(n) = other.text[start..end].parse::<usize>() {
                out.push('$');
                out.push_str(&(n + base).to_string());
                i = end;
                continue;
            }
        }
        // Pushing whole UTF-8 sequences: copy up to the next ASCII byte.
        let next = (i + 1..bytes.len())
            .find(|&j| other.text.is_char_boundary(j))
            .unwrap_or(bytes.len());
        out.push_str(&other.text[i..next]);
        i = next;
    }
    sql.text.push_str(&out);
    sql.args.extend(other.args.iter().cloned());
}

/// `SELECT … WHERE x.col IN ($1, …)` for a page's ids.
fn by_ids(select: &str, ids: &[i64], order: &str) -> Sql {
    let mut sql = Sql::default();
    sql.push(select);
    sql.bind_list(ids);
    sql.push(order);
    sql
}

macro_rules! bind_args {
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

macro_rules! impl_search {
    ($store:ty, $db:ty, $dialect:expr) => {
        impl $store {
            async fn rows_of(&self, sql: &Sql) -> StoreResult<Vec<<$db as sqlx::Database>::Row>> {
                Ok(bind_args!(sqlx::query(&sql.text), &sql.args)
                    .fetch_all(&self.pool)
                    .await?)
            }

            /// Tags of the given attributes (`target_id` is the attribute).
            async fn tags_of_attributes(
                &self,
                ids: &[i64],
            ) -> StoreResult<Vec<cydef_model::event::TagLink>> {
                let sql = by_ids(
                    &format!(
                        "SELECT at.attribute_id AS target_id, at.local, at.relationship_type, {TAG_COLUMNS} \
                         FROM attribute_tags at JOIN tags t ON t.id = at.tag_id WHERE at.attribute_id IN "
                    ),
                    ids,
                    " ORDER BY at.id",
                );
                self.rows_of(&sql).await?.iter().map(rows::tag_link).collect()
            }

            /// Resolves the search's tag items to ids (a few lookups in
            /// the small tags table).
            async fn tag_ids_of(&self, q: &SearchRequest) -> StoreResult<TagIds> {
                let mut out = TagIds::new();
                for item in tag_items(q) {
                    let sql = tag_lookup($dialect, item);
                    let ids: Vec<i64> = bind_args!(sqlx::query_scalar::<_, i64>(&sql.text), &sql.args)
                        .fetch_all(&self.pool)
                        .await?;
                    out.insert(item.clone(), ids);
                }
                Ok(out)
            }

            async fn count_of(&self, sql: &Sql) -> StoreResult<i64> {
                Ok(bind_args!(sqlx::query_scalar::<_, i64>(&sql.text), &sql.args)
                    .fetch_one(&self.pool)
                    .await?)
            }
        }

        #[async_trait]
        impl SearchStore for $store {
            async fn search_attributes(
                &self,
                q: &SearchRequest,
                viewer: &Viewer,
            ) -> StoreResult<AttributeHits> {
                let tags = self.tag_ids_of(q).await?;
                let (page, count) = attribute_statements($dialect, q, viewer, &tags);
                // Later pages of an export need no count (`skip_count`).
                let total = if q.skip_count { 0 } else { self.count_of(&count).await? };
                let attributes = self
                    .rows_of(&page)
                    .await?
                    .iter()
                    .map(rows::attribute)
                    .collect::<StoreResult<Vec<_>>>()?;
                if attributes.is_empty() {
                    return Ok(AttributeHits { total, ..AttributeHits::default() });
                }
                let mut event_ids: Vec<i64> = attributes.iter().map(|a| a.event_id).collect();
                event_ids.sort_unstable();
                event_ids.dedup();
                let mut events = Vec::new();
                let mut event_tags = Vec::new();
                let mut attribute_tags = Vec::new();
                // Chunked to stay under SQLite's bound-parameter limit.
                for ids in event_ids.chunks(super::shared::CHUNK) {
                    let sql = by_ids(
                        &format!("SELECT {EVENT_COLUMNS} FROM events WHERE id IN "),
                        ids,
                        " ORDER BY id",
                    );
                    for r in self.rows_of(&sql).await? {
                        events.push(rows::event(&r)?);
                    }
                    event_tags.extend(self.tags_of_events(ids).await?);
                }
                let attribute_ids: Vec<i64> = attributes.iter().map(|a| a.id).collect();
                for ids in attribute_ids.chunks(super::shared::CHUNK) {
                    attribute_tags.extend(self.tags_of_attributes(ids).await?);
                }
                let mut object_ids: Vec<i64> = attributes.iter().filter_map(|a| a.object_id).collect();
                object_ids.sort_unstable();
                object_ids.dedup();
                let mut objects = Vec::new();
                for ids in object_ids.chunks(super::shared::CHUNK) {
                    let sql = by_ids(
                        &format!("SELECT {OBJECT_COLUMNS} FROM objects WHERE id IN "),
                        ids,
                        " ORDER BY id",
                    );
                    for r in self.rows_of(&sql).await? {
                        objects.push(rows::object(&r)?);
                    }
                }
                Ok(AttributeHits {
                    total,
                    attributes,
                    events,
                    attribute_tags,
                    event_tags,
                    objects,
                })
            }

            async fn search_events(
                &self,
                q: &SearchRequest,
                viewer: &Viewer,
                newest_first: bool,
            ) -> StoreResult<EventHits> {
                let tags = self.tag_ids_of(q).await?;
                let (page, count) = event_statements($dialect, q, viewer, &tags, newest_first);
                // Later pages of an export need no count (`skip_count`).
                let total = if q.skip_count { 0 } else { self.count_of(&count).await? };
                let events = self
                    .rows_of(&page)
                    .await?
                    .iter()
                    .map(rows::event)
                    .collect::<StoreResult<Vec<_>>>()?;
                Ok(EventHits { total, events })
            }

            async fn search_objects(
                &self,
                q: &SearchRequest,
                viewer: &Viewer,
            ) -> StoreResult<ObjectHits> {
                let tags = self.tag_ids_of(q).await?;
                let (page, count) = object_statements($dialect, q, viewer, &tags);
                let total = self.count_of(&count).await?;
                let objects = self
                    .rows_of(&page)
                    .await?
                    .iter()
                    .map(rows::object)
                    .collect::<StoreResult<Vec<_>>>()?;
                let mut attributes = Vec::new();
                let mut attribute_tags = Vec::new();
                let object_ids: Vec<i64> = objects.iter().map(|o| o.id).collect();
                for ids in object_ids.chunks(super::shared::CHUNK) {
                    for r in self.rows_of(&object_attributes(ids, viewer, q.deleted)).await? {
                        attributes.push(rows::attribute(&r)?);
                    }
                }
                let attribute_ids: Vec<i64> = attributes.iter().map(|a| a.id).collect();
                for ids in attribute_ids.chunks(super::shared::CHUNK) {
                    attribute_tags.extend(self.tags_of_attributes(ids).await?);
                }
                Ok(ObjectHits {
                    total,
                    objects,
                    attributes,
                    attribute_tags,
                })
            }

            async fn tags_of_events(
                &self,
                event_ids: &[i64],
            ) -> StoreResult<Vec<cydef_model::event::TagLink>> {
                let mut out = Vec::new();
                for ids in event_ids.chunks(super::shared::CHUNK) {
                    let sql = by_ids(
                        &format!(
                            "SELECT et.event_id AS target_id, et.local, et.relationship_type, {TAG_COLUMNS} \
                             FROM event_tags et JOIN tags t ON t.id = et.tag_id WHERE et.event_id IN "
                        ),
                        ids,
                        " ORDER BY et.id",
                    );
                    for r in self.rows_of(&sql).await? {
                        out.push(rows::tag_link(&r)?);
                    }
                }
                Ok(out)
            }
        }
    };
}

impl_search!(SqliteStore, sqlx::Sqlite, SQLITE);
impl_search!(PgStore, sqlx::Postgres, POSTGRES);

#[cfg(test)]
mod tests {
    use super::*;
    use cydef_model::search::{parse, Sources};
    use serde_json::json;

    fn request(v: serde_json::Value) -> SearchRequest {
        let map = v.as_object().cloned().expect("an object");
        parse(
            &Sources {
                body: Some(&map),
                ..Sources::default()
            },
            1_700_000_000,
        )
        .expect("a search")
    }

    /// Another organisation's user, in sharing group 6.
    fn user() -> Viewer {
        Viewer {
            org_id: 2,
            site_admin: false,
            sharing_groups: cydef_model::sharing_group::AuthorizedGroups::new([6]),
        }
    }

    #[test]
    fn values_are_bound_never_written() {
        let q = request(json!({"value": ["x'; DROP TABLE events; --", "a|b", "%evil%"]}));
        let (page, count) = attribute_statements(POSTGRES, &q, &user(), &TagIds::new());
        assert!(!page.text.contains("DROP"));
        assert!(!count.text.contains("evil"));
        assert!(page
            .args
            .contains(&Arg::Text("x'; DROP TABLE events; --".into())));
        assert!(page.args.contains(&Arg::Text("a".into())));
        assert!(page.args.contains(&Arg::Text("%evil%".into())));
        assert!(page.text.contains("ILIKE"));
        // Every placeholder has its value, and the value list is bound once.
        let highest = (1..=page.args.len())
            .rev()
            .find(|n| page.text.contains(&format!("${n}")));
        assert_eq!(highest, Some(page.args.len()));
        assert_eq!(
            page.args
                .iter()
                .filter(|a| **a == Arg::Text("a|b".into()))
                .count(),
            1
        );
    }

    #[test]
    fn long_lists_are_one_parameter() {
        let mut values: Vec<String> = (0..40_000).map(|i| format!("v{i}")).collect();
        values.push("a|b".into());
        values.push("x\"y\\z,{w}".into());
        let ids: Vec<i64> = (1..=40_000).collect();
        let q = request(json!({"value": values, "eventid": ids, "uuid": ["u1", "%u2%"]}));
        for (d, arrays) in [
            (SQLITE, "IN (SELECT value FROM json_each("),
            (POSTGRES, "IN (SELECT unnest(CAST("),
        ] {
            let (page, count) = attribute_statements(d, &q, &user(), &TagIds::new());
            for sql in [&page, &count] {
                assert!(sql.args.len() < 30, "{} parameters", sql.args.len());
                assert!(sql.text.contains(arrays), "{}", sql.text);
                // The halves of `a|b`, through the left halves and the whole.
                assert!(sql
                    .text
                    .contains("(va.value1 || '|' || va.value2) IN (SELECT"));
                assert!(!sql.text.contains("ANY("));
            }
            let (events, _) = event_statements(d, &q, &user(), &TagIds::new(), false);
            assert!(events.args.len() < 30);
            let (objects, _) = object_statements(d, &q, &user(), &TagIds::new());
            assert!(objects.args.len() < 30);
        }
        let (page, _) = attribute_statements(POSTGRES, &q, &user(), &TagIds::new());
        assert!(page.text.contains("AS text[]))") && page.text.contains("AS bigint[]))"));
        // The one left half is a short list: bound as it is.
        assert!(page.args.contains(&Arg::Text("a".into())), "left halves");
        let literal = page
            .args
            .iter()
            .find_map(|a| match a {
                Arg::Text(t) if t.starts_with("{\"v0\"") => Some(t.clone()),
                _ => None,
            })
            .expect("the values as an array literal");
        assert!(
            literal.ends_with(r#","a|b","x\"y\\z,{w}"}"#),
            "{}",
            &literal[literal.len() - 40..]
        );
        let (page, _) = attribute_statements(SQLITE, &q, &user(), &TagIds::new());
        let json = page
            .args
            .iter()
            .find_map(|a| match a {
                Arg::Text(t) if t.starts_with("[\"v0\"") => Some(t.clone()),
                _ => None,
            })
            .expect("the values as a JSON array");
        let back: Vec<String> = serde_json::from_str(&json).expect("JSON");
        assert_eq!(back, values);
        // A tag pattern naming thousands of tags.
        let q = request(json!({"tags": "%x%"}));
        let mut tags = TagIds::new();
        tags.insert("%x%".into(), (1..=5_000).collect());
        for (d, arrays) in [
            (SQLITE, "IN (SELECT value FROM json_each("),
            (POSTGRES, "IN (SELECT unnest(CAST("),
        ] {
            for (sql, _) in [
                attribute_statements(d, &q, &user(), &tags),
                event_statements(d, &q, &user(), &tags, false),
                object_statements(d, &q, &user(), &tags),
            ] {
                assert!(
                    sql.args.len() < 30 && sql.text.contains(arrays),
                    "{}",
                    sql.text
                );
            }
        }
        // A thousand values keep one parameter each.
        let q = request(json!({"value": values[..1000]}));
        let (page, _) = attribute_statements(SQLITE, &q, &user(), &TagIds::new());
        assert!(!page.text.contains("json_each"));
        assert!(page.args.len() > 1000);
    }

    #[test]
    fn paging_is_by_id() {
        let q = request(json!({"limit": 10, "page": 3}));
        let (page, _) = attribute_statements(SQLITE, &q, &user(), &TagIds::new());
        assert!(page.text.ends_with(&format!(
            "ORDER BY a.id LIMIT ${} OFFSET ${}",
            page.args.len() - 1,
            page.args.len()
        )));
        assert_eq!(
            page.args[page.args.len() - 2..],
            [Arg::Int(10), Arg::Int(20)]
        );
    }

    #[test]
    fn renumbers_appended_statements() {
        let mut a = Sql::default();
        a.push("x = ").bind(1);
        let mut b = Sql::default();
        b.push(" AND y = ").bind(2).push(" AND z LIKE '$1'");
        append(&mut a, &b);
        assert_eq!(a.text, "x = $1 AND y = $2 AND z LIKE '$1'");
        assert_eq!(a.args, vec![Arg::Int(1), Arg::Int(2)]);
    }

    #[test]
    fn patterns() {
        assert_eq!(like_pattern("%a_b%"), "%a\\_b%");
        assert_eq!(substring_pattern("50%"), "%50\\%%");
    }

    #[test]
    fn index_sort() {
        let q = request(json!({"sort": "date", "direction": "desc"}));
        let (page, _) = event_statements(SQLITE, &q, &user(), &TagIds::new(), true);
        assert!(page.text.ends_with("ORDER BY e.date DESC, e.id DESC"));
        let (page, _) =
            event_statements(SQLITE, &request(json!({})), &user(), &TagIds::new(), true);
        assert!(page.text.ends_with("ORDER BY e.id DESC"));
        let (page, _) =
            event_statements(SQLITE, &request(json!({})), &user(), &TagIds::new(), false);
        assert!(page.text.ends_with("ORDER BY e.id ASC"));
    }
}
