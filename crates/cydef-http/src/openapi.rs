//! The OpenAPI document, generated from the handlers' annotations, served at
//! `/openapi.json` with Swagger UI at `/swagger-ui/`, and committed as
//! `openapi/openapi.json` (refresh with `cargo run -p cydef -- openapi > openapi/openapi.json`).

use actix_web::web;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use crate::routes::shadow_attributes;
use crate::routes::{
    attributes, auth_keys, event_edit, events, health, login, object_templates, objects,
    organisations, roles, search, servers, sharing_groups, tags, users,
};
use crate::routes::{event_reports, sightings};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Cydef",
        description = "A MISP-compatible threat-intelligence sharing server. Paths, JSON envelopes, status codes and error shapes follow MISP's API so that PyMISP and other MISP clients work unchanged.\n\nAuthenticate with a MISP API key in `Authorization` (or `X-MISP-AUTH`), or with a bearer token from `POST /auth/login`. Integer fields are JSON strings, as MISP emits them. Errors are `{\"name\", \"message\", \"url\"}`; failed saves are HTTP 403 with `{\"saved\": false, …, \"errors\"}`.",
        license(name = "AGPL-3.0-only")
    ),
    paths(
        health::live,
        health::ready,
        login::login,
        servers::get_version,
        servers::get_pymisp_version,
        servers::describe_types,
        users::view_me,
        users::admin_view,
        users::index,
        users::add,
        users::edit,
        users::delete,
        organisations::index,
        organisations::view,
        organisations::add,
        organisations::edit,
        organisations::delete,
        sharing_groups::index,
        sharing_groups::view,
        sharing_groups::add,
        sharing_groups::edit,
        sharing_groups::delete,
        sharing_groups::add_org,
        sharing_groups::remove_org,
        sharing_groups::add_server,
        sharing_groups::remove_server,
        roles::index,
        roles::view,
        roles::add,
        roles::edit,
        roles::delete,
        auth_keys::add,
        auth_keys::index,
        auth_keys::view,
        auth_keys::edit,
        auth_keys::delete,
        events::add,
        event_edit::edit,
        events::view,
        events::delete,
        events::publish,
        events::unpublish,
        events::index,
        events::blocklist_index,
        events::blocklist_add,
        events::blocklist_delete,
        tags::index,
        tags::view,
        tags::add,
        tags::edit,
        tags::delete,
        tags::search,
        tags::attach_to_object,
        tags::remove_from_object,
        tags::event_add_tag,
        tags::event_remove_tag,
        tags::attribute_add_tag,
        tags::attribute_remove_tag,
        attributes::add,
        attributes::view,
        attributes::edit,
        attributes::delete,
        attributes::restore,
        objects::add,
        objects::add_with_template,
        objects::view,
        objects::edit,
        objects::delete,
        objects::add_reference,
        objects::view_reference,
        objects::delete_reference,
        object_templates::index,
        object_templates::view,
        object_templates::update,
        search::attributes_search,
        search::events_search,
        search::objects_search,
        search::nids_export,
        search::hids_export,
        sightings::add,
        sightings::index,
        sightings::list_sightings,
        sightings::delete,
        sightings::rest_search,
        event_reports::add,
        event_reports::view,
        event_reports::edit,
        event_reports::delete,
        event_reports::restore,
        event_reports::index,
        shadow_attributes::add,
        shadow_attributes::edit,
        shadow_attributes::delete,
        shadow_attributes::accept,
        shadow_attributes::discard,
        shadow_attributes::view,
        shadow_attributes::index,
        shadow_attributes::event_index,
    ),
    modifiers(&Security),
    tags(
        (name = "Health", description = "Liveness and readiness for load balancers"),
        (name = "Authentication", description = "JWT login for frontends"),
        (name = "Servers", description = "Version information"),
        (name = "Attributes", description = "Attributes: add, view, edit, delete, restore; attribute types"),
        (name = "Users", description = "User accounts"),
        (name = "Organisations", description = "Organisations"),
        (name = "Sharing groups", description = "Sharing groups and their member organisations and servers"),
        (name = "Roles", description = "Roles and permission flags"),
        (name = "Auth keys", description = "MISP API keys"),
        (name = "Events", description = "Events and everything in them"),
        (name = "Objects", description = "MISP objects, object references and object templates"),
        (name = "Tags", description = "Tags, and tagging events and attributes"),
        (name = "Search", description = "restSearch over attributes, events and objects (MISP's filters; JSON export)"),
        (name = "Sightings", description = "Sightings of attributes: add, list, delete, restSearch (MISP's default sighting policy)"),
        (name = "Event reports", description = "Markdown reports attached to events"),
        (name = "Proposals", description = "Proposals (shadow attributes): proposing new attributes, changes and deletions; accepting and discarding them"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "ApiKey",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "A 40-character MISP API key, sent as is (no prefix). `X-MISP-AUTH` is accepted too.",
            ))),
        );
        components.add_security_scheme(
            "Bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("A token from `POST /auth/login`."))
                    .build(),
            ),
        );
    }
}

/// The document as pretty JSON with a trailing newline, as committed.
pub fn document_json() -> String {
    let mut s = ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(SwaggerUi::new("/swagger-ui/{_:.*}").url("/openapi.json", ApiDoc::openapi()));
}
