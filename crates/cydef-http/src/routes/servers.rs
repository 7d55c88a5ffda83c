//! `servers/getVersion`, `servers/getPyMISPVersion` and
//! `attributes/describeTypes`.

use actix_web::{web, HttpResponse};
use cydef_model::role::Permission;
use cydef_model::{MISP_VERSION, PYMISP_RECOMMENDED_VERSION};
use serde::Serialize;
use utoipa::ToSchema;

use super::resource;
use crate::auth::Authed;
use crate::views::ErrorBody;

/// `servers/getVersion`.
#[derive(Serialize, ToSchema)]
pub struct Version {
    #[schema(example = "2.5.17")]
    pub version: &'static str,
    pub pymisp_recommended_version: &'static str,
    pub perm_sync: bool,
    pub perm_sighting: bool,
    pub perm_galaxy_editor: bool,
    pub perm_analyst_data: bool,
    /// The instance UUID for sync users, "-" for others.
    pub uuid: String,
    pub request_encoding: Vec<&'static str>,
    pub filter_sightings: bool,
}

/// The MISP version this server speaks, and the caller's main permissions.
#[utoipa::path(get, path = "/servers/getVersion", tag = "Servers",
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = Version),
        (status = 403, description = "Authentication failed", body = ErrorBody)))]
pub async fn get_version(user: Authed) -> HttpResponse {
    HttpResponse::Ok().json(Version {
        version: MISP_VERSION,
        pymisp_recommended_version: PYMISP_RECOMMENDED_VERSION,
        perm_sync: user.has(Permission::Sync),
        perm_sighting: user.has(Permission::Sighting),
        perm_galaxy_editor: user.has(Permission::GalaxyEditor),
        perm_analyst_data: user.has(Permission::AnalystData),
        uuid: "-".to_owned(),
        request_encoding: vec!["gzip"],
        filter_sightings: true,
    })
}

/// `servers/getPyMISPVersion.json`.
#[derive(Serialize, ToSchema)]
pub struct PyMispVersion {
    pub version: &'static str,
}

/// The PyMISP version recommended for this server (deprecated in MISP, still called by old clients).
#[utoipa::path(get, path = "/servers/getPyMISPVersion", tag = "Servers",
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = PyMispVersion),
        (status = 403, description = "Authentication failed", body = ErrorBody)))]
pub async fn get_pymisp_version(_user: Authed) -> HttpResponse {
    HttpResponse::Ok().json(PyMispVersion {
        version: PYMISP_RECOMMENDED_VERSION,
    })
}

/// MISP's attribute type table: every type, its default category and
/// `to_ids`, the categories and which types each allows.
#[utoipa::path(get, path = "/attributes/describeTypes", tag = "Attributes",
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "`{\"result\": {sane_defaults, types, categories, category_type_mappings}}`", body = Object),
        (status = 403, description = "Authentication failed", body = ErrorBody)))]
pub async fn describe_types(_user: Authed) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "result": cydef_model::types::describe_types() }))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/servers/getVersion").route(web::get().to(get_version)))
        .service(resource("/servers/getPyMISPVersion").route(web::get().to(get_pymisp_version)))
        .service(resource("/attributes/describeTypes").route(web::get().to(describe_types)));
}
