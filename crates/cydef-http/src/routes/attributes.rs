//! Attributes one at a time: add (one or a list), view, edit, soft and hard
//! delete, restore. Both URL styles MISP accepts are served: action style
//! (`/attributes/view/{id}`) and REST (`GET /attributes/{id}`).
//!
//! Every change bumps the event's timestamp and unpublishes it, in the same
//! transaction as the change (see `AttributeStore`).

use actix_web::{web, HttpRequest, HttpResponse};
use cydef_model::event::edit::overlay_attribute;
use cydef_model::event::input::AttributeIn;
use cydef_model::event::{Attribute, Event, NewAttribute, Rejection, DUPLICATE_ATTRIBUTE};
use cydef_model::{flex, time_fmt, EntityRef};
use cydef_store::StoreError;
use serde::Serialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use super::events::{may_modify, scope_for, visible_event};
use super::{bulk_resource, hard_delete, resource};
use crate::auth::{AuthUser, Authed, CanAdd};
use crate::error::{ApiError, ApiResult};
use crate::event_view::{attribute_view, AttributeView, Scope, TagView};
use crate::sharing::check_groups;
use crate::views::{ErrorBody, SaveFailedBody};
use crate::wire::{MispJson, Wrapped, BODY_LIMIT};
use crate::AppState;

pub(crate) const INVALID_ATTRIBUTE: &str = "Invalid attribute";
/// MISP's answer when the caller may not change this event. PyMISP matches
/// this exact text to fall back to proposals.
use crate::error::NOT_PERMITTED;
/// MISP's answer to an edit whose timestamp is not newer than the stored one
/// (the guard against sync loops).
pub(crate) const NOT_NEWER: &str =
    "Attribute could not be saved: Attribute in the request not newer than the local copy.";
/// MISP's message for an attribute UUID that is taken.
const UUID_TAKEN: &str = "The UUID provided is not unique";

impl Wrapped for AttributeIn {
    const WRAPPER: &'static str = "Attribute";
}

/// One attribute: `{"Attribute": {…}}`, with `errors` for the attributes of
/// the same request that were refused.
#[derive(Serialize, ToSchema)]
pub struct AttributeEnvelope {
    #[serde(rename = "Attribute")]
    pub attribute: AttributeView,
    /// `{"attribute_<n>": {"field": ["message"]}}` for refused attributes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub errors: Option<Value>,
}

/// Several attributes added at once, with `errors` for those refused.
#[derive(Serialize, ToSchema)]
pub struct AttributeListEnvelope {
    #[serde(rename = "Attribute")]
    pub attribute: Vec<AttributeView>,
    /// `{"attribute_<n>": {"field": ["message"]}}` for refused attributes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub errors: Option<Value>,
}

/// MISP's answer to a deletion: `{"message": "Attribute deleted."}`.
#[derive(Serialize, ToSchema)]
pub struct MessageBody {
    #[schema(example = "Attribute deleted.")]
    pub message: String,
}

/// `{"field": ["message", …]}` from validation rejections.
fn field_errors(rejections: &[Rejection]) -> Value {
    let mut errors = Map::new();
    for r in rejections {
        let list = errors
            .entry(r.field.to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = list {
            list.push(Value::String(r.message.clone()));
        }
    }
    Value::Object(errors)
}

fn one_error(field: &str, message: &str) -> Value {
    json!({ field: [message] })
}

/// The errors of a store refusal, in MISP's words.
fn conflict_errors(e: StoreError) -> ApiResult<Value> {
    match e {
        StoreError::Conflict("uuid") => Ok(one_error("uuid", UUID_TAKEN)),
        StoreError::Conflict(_) => Ok(one_error("value", DUPLICATE_ATTRIBUTE)),
        other => Err(other.into()),
    }
}

/// Reads an add body: a bare attribute, `{"Attribute": {…}}`,
/// `{"Attribute": […]}`, a list of either, or any of them in
/// `{"request": …}`. A `value` given as a list, or as lines with
/// `batch_import`, is one attribute per value, as in MISP.
fn read_attributes(bytes: &[u8]) -> ApiResult<Vec<Value>> {
    if bytes.len() > BODY_LIMIT {
        return Err(ApiError::bad_request("The request body is too large."));
    }
    let trimmed = bytes.trim_ascii();
    let mut body: Value = if trimmed.is_empty() {
        Value::Object(Map::new())
    } else {
        crate::wire::json_value(trimmed)?
    };
    // `{"request": …}` and `{"Attribute": …}`, in any nesting.
    let unwrap_once = |v: Value| match v {
        Value::Object(mut m) if m.contains_key("Attribute") => {
            Ok(m.remove("Attribute").unwrap_or(Value::Null))
        }
        Value::Object(mut m) if m.len() == 1 && m.contains_key("request") => {
            Ok(m.remove("request").unwrap_or(Value::Null))
        }
        other => Err(other),
    };
    loop {
        match unwrap_once(body) {
            Ok(inner) => body = inner,
            Err(done) => {
                body = done;
                break;
            }
        }
    }
    let items = match body {
        Value::Array(items) => items
            .into_iter()
            .map(|i| match i {
                Value::Object(mut m) if m.get("Attribute").is_some_and(Value::is_object) => {
                    m.remove("Attribute").unwrap_or(Value::Null)
                }
                other => other,
            })
            .collect(),
        other => vec![other],
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let batch = item
            .get("batch_import")
            .is_some_and(|b| flex::value_to_bool(b).ok().flatten().unwrap_or(false));
        let values: Option<Vec<Value>> = match item.get("value") {
            Some(Value::Array(vs)) => Some(vs.clone()),
            Some(Value::String(s)) if batch => Some(
                s.trim_end_matches('\n')
                    .split('\n')
                    .map(|v| Value::String(v.to_owned()))
                    .collect(),
            ),
            _ => None,
        };
        match (values, item) {
            (Some(values), Value::Object(m)) => {
                for v in values {
                    let mut one = m.clone();
                    one.insert("value".into(), v);
                    out.push(Value::Object(one));
                }
            }
            (_, item) => out.push(item),
        }
    }
    Ok(out)
}

/// An attribute `user` may see, deleted or not; anything else is
/// `Invalid attribute`, exactly as a missing one.
pub(crate) async fn visible_attribute(
    state: &AppState,
    user: &AuthUser,
    id: &str,
) -> ApiResult<(Attribute, Event)> {
    let not_found = || ApiError::not_found(INVALID_ATTRIBUTE);
    let r = EntityRef::parse(id).ok_or_else(not_found)?;
    let attribute = state
        .store
        .get_attribute(r)
        .await
        .map_err(|e| ApiError::from_store(e, INVALID_ATTRIBUTE))?;
    let event = state
        .store
        .find_event(EntityRef::Id(attribute.event_id))
        .await
        .map_err(|e| ApiError::from_store(e, INVALID_ATTRIBUTE))?;
    match scope_for(&user.viewer(state).await?, &event) {
        Some(Scope::Everything) => Ok((attribute, event)),
        Some(scope) if scope.shows(attribute.distribution, attribute.sharing_group_id) => {
            // An attribute inside an object is visible only if the object is.
            if let Some(object_id) = attribute.object_id {
                let object = state
                    .store
                    .find_object(EntityRef::Id(object_id))
                    .await
                    .map_err(|e| ApiError::from_store(e, INVALID_ATTRIBUTE))?;
                if !scope.shows(object.distribution, object.sharing_group_id) || object.deleted {
                    return Err(not_found());
                }
            }
            Ok((attribute, event))
        }
        _ => Err(not_found()),
    }
}

/// The attribute as MISP shows it, with its tags.
async fn render(state: &AppState, a: Attribute) -> ApiResult<AttributeView> {
    let tags = state.store.attribute_tag_links(a.id).await?;
    Ok(attribute_view(
        a,
        tags.iter().map(TagView::new).collect(),
        Vec::new(),
    ))
}

/// The event id of an add request: the path's, else the body's `event_id`.
fn event_id_of(req: &HttpRequest, items: &[Value]) -> ApiResult<String> {
    if let Some(id) = req.match_info().get("event_id") {
        return Ok(id.to_owned());
    }
    items
        .first()
        .and_then(|i| i.get("event_id"))
        .and_then(|v| match v {
            Value::String(s) => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::MethodNotAllowed("No event ID set.".into()))
}

/// Adds one attribute, or a list of them, to an event. Each attribute is
/// validated and stored on its own: the valid ones are saved and the refused
/// ones reported in `errors` (`attribute_<n>`). One attribute saved answers
/// `{"Attribute": {…}}`, several `{"Attribute": […]}`; none is a 403 save
/// failure. A duplicate (same type, category and normalised value as a live
/// top-level attribute of the event) is refused with
/// `A similar attribute already exists for this event.`
#[utoipa::path(post, path = "/attributes/add/{event_id}", tag = "Attributes",
    summary = "Add attributes to an event",
    params(("event_id" = String, Path, description = "Event id or UUID")),
    request_body(content = Object, description = "An attribute (bare or `{\"Attribute\": {…}}`) or a list of them"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "The stored attribute (one), or the stored attributes (several); `errors` lists refused ones", body = AttributeEnvelope),
        (status = 400, description = "Body is not JSON", body = ErrorBody),
        (status = 403, description = "No perm_add, `You do not have permission to do that.` (not the event's owner), or every attribute refused (`errors`)", body = SaveFailedBody),
        (status = 404, description = "`Invalid event`: unknown, malformed or not visible", body = ErrorBody)))]
pub async fn add(
    state: web::Data<AppState>,
    user: Authed<CanAdd>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let items = read_attributes(&body)?;
    let event_id = event_id_of(&req, &items)?;
    let (event, _) = visible_event(&state, &user, &event_id).await?;
    if !may_modify(&user, &event) {
        return Err(ApiError::forbidden(NOT_PERMITTED));
    }
    // Per input position: the index of its validated attribute, or its errors.
    let mut slots: Vec<Result<usize, Value>> = Vec::with_capacity(items.len());
    let mut valid: Vec<NewAttribute> = Vec::new();
    let mut checked: Vec<Result<NewAttribute, Value>> = Vec::with_capacity(items.len());
    for item in items {
        let parsed = match item {
            Value::Object(_) => serde_json::from_value::<AttributeIn>(item)
                .map_err(|e| one_error("Attribute", &format!("Invalid attribute: {e}"))),
            _ => Err(one_error(
                "Attribute",
                "An attribute must be a JSON object.",
            )),
        };
        checked.push(parsed.and_then(|a| a.validate(false).map_err(|r| field_errors(&r))));
    }
    for attribute in checked {
        let attribute = match attribute {
            Ok(mut a) => {
                let refused = check_groups(&state, &user, &mut a).await?;
                if refused.is_empty() {
                    Ok(a)
                } else {
                    Err(field_errors(&refused))
                }
            }
            Err(e) => Err(e),
        };
        match attribute {
            Ok(a) => {
                slots.push(Ok(valid.len()));
                valid.push(a);
            }
            Err(errors) => slots.push(Err(errors)),
        }
    }
    let mut outcomes = if valid.is_empty() {
        Vec::new()
    } else {
        state
            .store
            .add_attributes(event.id, &valid, time_fmt::now())
            .await
            .map_err(|e| ApiError::from_store(e, super::events::INVALID_EVENT))?
    }
    .into_iter()
    .map(Some)
    .collect::<Vec<_>>();

    let total = slots.len();
    let mut saved = Vec::new();
    let mut errors = Map::new();
    for (k, slot) in slots.into_iter().enumerate() {
        let outcome = match slot {
            Ok(i) => match outcomes.get_mut(i).and_then(Option::take) {
                Some(Ok(a)) => Ok(a),
                Some(Err(e)) => Err(conflict_errors(e)?),
                None => return Err(ApiError::Internal("attribute outcome missing".into())),
            },
            Err(e) => Err(e),
        };
        match outcome {
            Ok(a) => saved.push(render(&state, a).await?),
            Err(e) => {
                errors.insert(format!("attribute_{k}"), e);
            }
        }
    }
    if saved.is_empty() {
        let errors = if total == 1 {
            errors.remove("attribute_0").unwrap_or(Value::Null)
        } else {
            Value::Object(errors)
        };
        return Err(ApiError::save_failed_with(
            "Could not add Attribute",
            errors,
            None,
        ));
    }
    let errors = (!errors.is_empty()).then_some(Value::Object(errors));
    if saved.len() == 1 {
        let attribute = saved.remove(0);
        Ok(HttpResponse::Ok().json(AttributeEnvelope { attribute, errors }))
    } else {
        Ok(HttpResponse::Ok().json(AttributeListEnvelope {
            attribute: saved,
            errors,
        }))
    }
}

/// One attribute with its tags.
#[utoipa::path(get, path = "/attributes/view/{id}", tag = "Attributes",
    summary = "View an attribute",
    params(("id" = String, Path, description = "Attribute id or UUID")),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = AttributeEnvelope),
        (status = 403, description = "Authentication failed", body = ErrorBody),
        (status = 404, description = "`Invalid attribute`: unknown, malformed, deleted or not visible", body = ErrorBody)))]
pub async fn view(
    state: web::Data<AppState>,
    user: Authed,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (a, _) = visible_attribute(&state, &user, &id).await?;
    if a.deleted {
        return Err(ApiError::not_found(INVALID_ATTRIBUTE));
    }
    let attribute = render(&state, a).await?;
    Ok(HttpResponse::Ok().json(AttributeEnvelope {
        attribute,
        errors: None,
    }))
}

async fn head(state: web::Data<AppState>, user: Authed, id: web::Path<String>) -> HttpResponse {
    match visible_attribute(&state, &user, &id).await {
        Ok((a, _)) if !a.deleted => HttpResponse::Ok().finish(),
        _ => HttpResponse::NotFound().finish(),
    }
}

/// Changes an attribute: any of `value`, `type`, `category`, `to_ids`,
/// `comment`, `distribution`, `sharing_group_id`, `first_seen`, `last_seen`,
/// `disable_correlation`, `deleted`; others keep their values. A `timestamp`
/// not newer than the stored one refuses the edit (MISP's guard for
/// synchronisation); without one the server stamps the time of the edit.
#[utoipa::path(post, path = "/attributes/edit/{id}", tag = "Attributes",
    summary = "Edit an attribute",
    params(("id" = String, Path, description = "Attribute id or UUID")),
    request_body(content = Object, description = "The fields to change, bare or as `{\"Attribute\": {…}}`"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "The attribute as stored", body = AttributeEnvelope),
        (status = 400, description = "Body is not JSON", body = ErrorBody),
        (status = 403, description = "No perm_add, `You do not have permission to do that.`, or the new values were refused (`errors`)", body = SaveFailedBody),
        (status = 404, description = "`Invalid attribute`: unknown, malformed, deleted or not visible", body = ErrorBody),
        (status = 405, description = "The request's timestamp is not newer than the stored one", body = ErrorBody)))]
pub async fn edit(
    state: web::Data<AppState>,
    user: Authed<CanAdd>,
    id: web::Path<String>,
    body: MispJson<AttributeIn>,
) -> ApiResult<HttpResponse> {
    let (stored, event) = visible_attribute(&state, &user, &id).await?;
    if stored.deleted {
        return Err(ApiError::not_found(INVALID_ATTRIBUTE));
    }
    if !may_modify(&user, &event) {
        return Err(ApiError::forbidden(NOT_PERMITTED));
    }
    let req = body.0;
    if req.timestamp.is_some_and(|t| t <= stored.timestamp) {
        return Err(ApiError::MethodNotAllowed(NOT_NEWER.into()));
    }
    let fail = |errors| ApiError::save_failed_with("Could not edit Attribute", errors, None);
    let mut new = overlay_attribute(&stored, &req)
        .validate(stored.object_id.is_some())
        .map_err(|r| fail(field_errors(&r)))?;
    let refused = check_groups(&state, &user, &mut new).await?;
    if !refused.is_empty() {
        return Err(fail(field_errors(&refused)));
    }
    let updated = match state
        .store
        .update_attribute(stored.id, &new, time_fmt::now())
        .await
    {
        Ok(a) => a,
        Err(StoreError::NotFound) => return Err(ApiError::not_found(INVALID_ATTRIBUTE)),
        Err(e) => return Err(fail(conflict_errors(e)?)),
    };
    let attribute = render(&state, updated).await?;
    Ok(HttpResponse::Ok().json(AttributeEnvelope {
        attribute,
        errors: None,
    }))
}

/// Deletes an attribute: softly (`deleted` set; it can be restored) or, with
/// `/attributes/delete/{id}/1` or `{"hard": 1}`, for good.
#[utoipa::path(post, path = "/attributes/delete/{id}", tag = "Attributes",
    summary = "Delete an attribute (soft, or hard with `/1` or `{\"hard\": 1}`)",
    params(("id" = String, Path, description = "Attribute id or UUID")),
    request_body(content = Object, description = "Optional: `{\"hard\": 1}` deletes for good"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "`{\"message\": \"Attribute deleted.\"}`", body = MessageBody),
        (status = 403, description = "No perm_add, or `You do not have permission to do that.`", body = ErrorBody),
        (status = 404, description = "`Invalid attribute`: unknown, malformed, not visible, or already deleted (soft delete)", body = ErrorBody)))]
pub async fn delete(
    state: web::Data<AppState>,
    user: Authed<CanAdd>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let id = req.match_info().get("id").unwrap_or_default().to_owned();
    let hard = hard_delete(&req, &body, "Attribute")?;
    let (a, event) = visible_attribute(&state, &user, &id).await?;
    if a.deleted && !hard {
        return Err(ApiError::not_found(INVALID_ATTRIBUTE));
    }
    if !may_modify(&user, &event) {
        return Err(ApiError::forbidden(NOT_PERMITTED));
    }
    let now = time_fmt::now();
    let done = if hard {
        state.store.hard_delete_attribute(a.id, now).await
    } else {
        state
            .store
            .set_attribute_deleted(a.id, true, now)
            .await
            .map(|_| ())
    };
    done.map_err(|e| ApiError::from_store(e, INVALID_ATTRIBUTE))?;
    Ok(HttpResponse::Ok().json(MessageBody {
        message: "Attribute deleted.".into(),
    }))
}

/// Restores a soft-deleted attribute, unless a live attribute of the event
/// now has the same type, category and value.
#[utoipa::path(post, path = "/attributes/restore/{id}", tag = "Attributes",
    summary = "Restore a soft-deleted attribute",
    params(("id" = String, Path, description = "Attribute id or UUID")),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "The restored attribute", body = AttributeEnvelope),
        (status = 403, description = "No perm_add, `You do not have permission to do that.`, or a duplicate is live (`errors.value`)", body = SaveFailedBody),
        (status = 404, description = "`Invalid attribute`", body = ErrorBody)))]
pub async fn restore(
    state: web::Data<AppState>,
    user: Authed<CanAdd>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (a, event) = visible_attribute(&state, &user, &id).await?;
    if !may_modify(&user, &event) {
        return Err(ApiError::forbidden(NOT_PERMITTED));
    }
    let restored = match state
        .store
        .set_attribute_deleted(a.id, false, time_fmt::now())
        .await
    {
        Ok(a) => a,
        Err(StoreError::NotFound) => return Err(ApiError::not_found(INVALID_ATTRIBUTE)),
        Err(e) => {
            return Err(ApiError::save_failed_with(
                "Could not restore Attribute",
                conflict_errors(e)?,
                None,
            ))
        }
    };
    let attribute = render(&state, restored).await?;
    Ok(HttpResponse::Ok().json(AttributeEnvelope {
        attribute,
        errors: None,
    }))
}

/// An attribute id or UUID in a REST path (`/attributes/{id}`), so that the
/// alias never shadows an action such as `/attributes/restSearch`.
const REST_ID: &str = "/attributes/{id:[0-9]+|[0-9a-fA-F-]{32,36}}";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(bulk_resource("/attributes/add").route(web::post().to(add)))
        .service(bulk_resource("/attributes/add/{event_id}").route(web::post().to(add)))
        .service(
            resource("/attributes/view/{id}")
                .route(web::get().to(view))
                .route(web::head().to(head)),
        )
        .service(
            resource("/attributes/edit/{id}")
                .route(web::post().to(edit))
                .route(web::put().to(edit)),
        )
        .service(
            resource("/attributes/delete/{id}")
                .route(web::post().to(delete))
                .route(web::delete().to(delete)),
        )
        .service(
            resource("/attributes/delete/{id}/{hard}")
                .route(web::post().to(delete))
                .route(web::delete().to(delete)),
        )
        .service(resource("/attributes/restore/{id}").route(web::post().to(restore)))
        .service(bulk_resource("/attributes").route(web::post().to(add)))
        .service(
            resource(REST_ID)
                .route(web::get().to(view))
                .route(web::head().to(head))
                .route(web::put().to(edit))
                .route(web::post().to(edit))
                .route(web::delete().to(delete)),
        );
}
