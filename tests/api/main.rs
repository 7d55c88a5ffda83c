//! HTTP-level integration tests: the real server (`cydef::start`) on port 0,
//! driven with reqwest, once on SQLite and once on PostgreSQL per test.
//!
//! PostgreSQL: a fresh database per test on the server named by
//! `CYDEF_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`);
//! `CYDEF_TEST_SKIP_PG=1` skips the PostgreSQL variants. Each test is written
//! once and instantiated as `<module>::sqlite::<name>` and
//! `<module>::postgres::<name>`, so `cargo test --test api sqlite` runs one backend.

#[macro_use]
mod helpers;

mod access_matrix;
mod attributes;
mod auth;
mod auth_keys;
mod bootstrap;
mod event_edit;
mod event_reports;
mod event_view;
mod events;
mod import;
mod multinode;
mod objects;
mod openapi;
mod orgs;
mod proposals;
mod roles;
mod search;
mod search_export;
mod sharing_group_ids;
mod sharing_group_use;
mod sharing_group_visibility;
mod sharing_groups;
mod sightings;
mod tags;
mod users;
mod wire;
