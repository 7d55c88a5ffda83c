//! The route table. Every path is registered once, in its canonical MISP
//! form (see [`crate::normalize`]); a known path called with another method
//! answers 405 with a JSON body.

use actix_web::{web, HttpMessage, HttpRequest, Resource};

use crate::normalize::NamedParams;

pub mod attributes;
pub mod auth_keys;
pub mod event_edit;
pub mod event_reports;
pub mod events;
pub(crate) mod export;
pub mod health;
pub mod login;
pub mod object_templates;
pub mod objects;
pub mod organisations;
pub mod roles;
pub mod search;
pub mod servers;
pub mod shadow_attributes;
pub mod sharing_groups;
pub mod sightings;
pub mod tags;
pub mod users;

pub(crate) fn resource(path: &str) -> Resource {
    web::resource(path).default_service(web::to(crate::method_not_allowed))
}

/// A resource that takes whole events in its body: up to
/// [`crate::wire::BODY_LIMIT`] instead of the small default. Only for routes
/// that authenticate before reading the body.
pub(crate) fn bulk_resource(path: &str) -> Resource {
    resource(path).app_data(web::PayloadConfig::new(crate::wire::BODY_LIMIT))
}

/// Named (`key:value`) and query parameters of the request.
pub(crate) fn named(req: &HttpRequest) -> NamedParams {
    req.extensions()
        .get::<NamedParams>()
        .cloned()
        .unwrap_or_default()
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    health::configure(cfg);
    login::configure(cfg);
    servers::configure(cfg);
    users::configure(cfg);
    organisations::configure(cfg);
    roles::configure(cfg);
    auth_keys::configure(cfg);
    sharing_groups::configure(cfg);
    // Before events and attributes: `/events/addTag` must not be taken for
    // `/events/{id}`.
    // Before events and attributes: `/events/restSearch` must not be taken
    // for `/events/{id}`.
    search::configure(cfg);
    tags::configure(cfg);
    events::configure(cfg);
    attributes::configure(cfg);
    objects::configure(cfg);
    object_templates::configure(cfg);
    sightings::configure(cfg);
    event_reports::configure(cfg);
    shadow_attributes::configure(cfg);
}
