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

/// Whether a flag is set, as MISP's PHP reads `if ($hard)`: `1`, `true`,
/// `yes`, `on` and any other text are set; `0`, `false`, `no`, `off` and
/// `""` are not (in PHP `"false"` would be set; here it means what it says).
fn flag_set(v: &serde_json::Value) -> bool {
    use serde_json::Value;
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(_) => {
            cydef_model::flex::value_to_bool(v).map_or(true, |b| b.unwrap_or(false))
        }
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

/// Whether a delete is for good: `…/delete/{id}/{hard}` (any set flag, see
/// [`flag_set`]), the named parameter `hard:1`, or `{"hard": 1}` in the body
/// (bare or wrapped in `wrapper`; PyMISP's form). A body that is not JSON
/// is a 400: a mistyped `{"hard": 1}` must not become a soft delete.
pub(crate) fn hard_delete(
    req: &HttpRequest,
    body: &[u8],
    wrapper: &str,
) -> crate::error::ApiResult<bool> {
    let set = |s: &str| flag_set(&serde_json::Value::String(s.to_owned()));
    if req.match_info().get("hard").is_some_and(set) || named(req).get("hard").is_some_and(set) {
        return Ok(true);
    }
    Ok(crate::wire::parse_body(body, wrapper)?
        .get("hard")
        .is_some_and(flag_set))
}
