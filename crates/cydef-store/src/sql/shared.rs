//! Write steps shared by the event, attribute and object stores.

use std::collections::HashMap;

use cydef_model::event::NewTagLink;
use sqlx::QueryBuilder;

use super::{PgStore, SqliteStore};
use crate::StoreResult;

/// Rows per multi-row INSERT, under SQLite's 32,766 bound parameters.
pub(crate) const CHUNK: usize = 1500;

macro_rules! impl_shared {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Ids of the tags by name, creating the missing ones (MISP creates
            /// tags named by imported data). One place for every write path.
            pub(crate) async fn upsert_tag_ids(
                tx: &mut sqlx::Transaction<'_, $db>,
                tags: &[&NewTagLink],
            ) -> StoreResult<HashMap<String, i64>> {
                use sqlx::Row;
                let mut ids = HashMap::new();
                for chunk in tags.chunks(CHUNK) {
                    let mut qb: QueryBuilder<$db> = QueryBuilder::new(
                        "INSERT INTO tags (name, colour, exportable, hide_tag, numerical_value, is_galaxy) ",
                    );
                    qb.push_values(chunk, |mut b, t| {
                        b.push_bind(&t.name)
                            .push_bind(t.colour_or_default())
                            .push_bind(t.exportable)
                            .push_bind(t.hide_tag)
                            .push_bind(t.numerical_value)
                            .push_bind(cydef_model::tag::is_galaxy(&t.name));
                    });
                    qb.push(" ON CONFLICT (name) DO NOTHING");
                    qb.build().execute(&mut **tx).await?;
                    let mut sel: QueryBuilder<$db> =
                        QueryBuilder::new("SELECT id, name FROM tags WHERE name IN (");
                    let mut sep = sel.separated(", ");
                    for t in chunk {
                        sep.push_bind(&t.name);
                    }
                    sel.push(")");
                    for r in sel.build().fetch_all(&mut **tx).await? {
                        ids.insert(r.try_get::<String, _>("name")?, r.try_get::<i64, _>("id")?);
                    }
                }
                Ok(ids)
            }
        }
    };
}

impl_shared!(SqliteStore, sqlx::Sqlite);
impl_shared!(PgStore, sqlx::Postgres);
