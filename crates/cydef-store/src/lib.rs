//! Cydef's persistence layer.
//!
//! Everything the server stores goes through the [`Store`] trait, whose
//! methods speak the domain's types. Two backends implement it: SQLite (the
//! zero-setup default) and PostgreSQL (production). [`connect`] picks one from
//! the database URL and applies that backend's own migrations.
//!
//! Both backends share their SQL text: the queries are written once, in the
//! dialect both accept (`$1` placeholders, `RETURNING`), and instantiated for
//! each backend's native driver by the macros in [`sql`].
#![forbid(unsafe_code)]

mod error;
pub mod kb;
pub mod sql;
mod traits;

pub use error::{StoreError, StoreResult};
pub use sql::{connect, Backend};
pub use traits::*;
