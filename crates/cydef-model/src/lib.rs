//! Cydef's domain model: the MISP vocabulary (attribute types, roles and their
//! permission flags, organisations, users, API keys) as plain Rust types.
//!
//! This crate does no I/O: it knows nothing of databases or HTTP. Values that
//! come from outside are parsed into these types at the edge, so that past the
//! edge a value is valid by construction.
#![forbid(unsafe_code)]

pub mod attribute_value;
pub mod auth_key;
pub mod describe_types;
pub mod entity_ref;
pub mod event;
pub mod flex;
pub mod object_template;
pub mod org;
pub mod password;
pub mod role;
pub mod search;
pub mod sharing_group;
pub mod tag;
pub mod time_fmt;
pub mod types;
pub mod user;

pub use auth_key::{ApiKey, AuthKey, NewAuthKey};
pub use entity_ref::EntityRef;
pub use org::{NewOrganisation, Organisation};
pub use role::{Permission, Role};
pub use user::{NewUser, User};

/// The MISP version Cydef's API mirrors, reported by `servers/getVersion`.
pub const MISP_VERSION: &str = "2.5.17";

/// The PyMISP version recommended to clients.
pub const PYMISP_RECOMMENDED_VERSION: &str = "2.5.17";
