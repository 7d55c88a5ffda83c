//! `events/edit/{id}` (and `PUT`/`POST /events/{id}`): a whole MISP event
//! document merged into a stored event, as MISP's `Event::_edit`. The merge
//! rules live in the model ([`cydef_model::event::edit`]); this handler
//! checks who may edit, what they may publish and tag, and answers with the
//! event as stored.

use actix_web::{web, HttpResponse};
use cydef_model::event::edit::{plan_edit, EditRefusal, NOT_NEWER_EVENT};
use cydef_model::role::Permission;
use cydef_model::time_fmt;
use cydef_store::StoreError;
use serde_json::{json, Value};

use super::events::{may_modify, read_document, rejection_errors, render, visible_event};
use crate::auth::{Authed, CanModify};
use crate::error::{ApiError, ApiResult};
use crate::event_view::{self, Scope};
use crate::AppState;

/// MISP's answer when the user may not change the event.
const NOT_AUTHORISED: &str = "You are not authorised to do that.";

fn fail(errors: Value) -> ApiError {
    ApiError::save_failed_with("Could not edit Event", errors, None)
}

/// Edits an event with a MISP document. Fields left out keep their values;
/// attributes, objects and reports are matched by UUID: a part whose
/// `timestamp` is not newer than the stored one is left as it is, a matched
/// part without one (or with a newer one) takes the document's fields, an
/// unknown UUID adds a part. Parts missing from the document are kept
/// (`"deleted": true` soft-deletes one). Tags, sightings and proposals are
/// added. An event `timestamp` not newer than the stored one refuses the
/// whole edit (MISP's synchronisation guard); `published` is false unless the
/// document says so and the user may publish. Any invalid part refuses the
/// edit with every reason; nothing is written then.
#[utoipa::path(post, path = "/events/edit/{id}", tag = "Events",
    summary = "Edit an event with a whole or partial MISP document",
    params(("id" = String, Path, description = "Numeric id or UUID")),
    request_body(content = Object, description = "`{\"Event\": {…}}`, `{\"response\": [{\"Event\": …}]}` or a bare event, as PyMISP's update_event sends it"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "The event as stored after the edit", body = crate::event_view::EventEnvelope),
        (status = 400, description = "Body is not JSON or not an event", body = crate::views::ErrorBody),
        (status = 403, description = "No perm_modify, not allowed to change this event (`You are not authorised to do that.`), a timestamp not newer than the stored event's, or invalid parts (`errors` names each)", body = crate::views::SaveFailedBody),
        (status = 404, description = "`Invalid event`: unknown, malformed or not visible", body = crate::views::ErrorBody)))]
pub async fn edit(
    state: web::Data<AppState>,
    user: Authed<CanModify>,
    id: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let (event, _) = visible_event(&state, &user, &id).await?;
    if !may_modify(&user, &event) {
        return Err(ApiError::forbidden(NOT_AUTHORISED));
    }
    let mut docs = read_document(&body)?;
    if docs.len() != 1 {
        return Err(ApiError::bad_request("Send one event per request."));
    }
    let doc = docs.remove(0);
    let contents = state.store.event_contents(event.id).await?;
    let mut plan = plan_edit(&event, &contents, &doc).map_err(|r| match r {
        EditRefusal::NotNewer => fail(json!(NOT_NEWER_EVENT)),
        EditRefusal::Rejected(r) => fail(rejection_errors(&r)),
    })?;
    if !user.has(Permission::Publish) {
        plan.event.published = false;
    }
    // As MISP: tags in an edit are applied only for taggers.
    if !user.has(Permission::Tagger) {
        plan.event.tags.clear();
        for a in plan.event.attributes.iter_mut().chain(
            plan.event
                .objects
                .iter_mut()
                .flat_map(|o| o.attributes.iter_mut()),
        ) {
            a.tags.clear();
        }
    }
    let refused = crate::sharing::check_groups(&state, &user, &mut plan.event).await?;
    if !refused.is_empty() {
        return Err(fail(rejection_errors(&refused)));
    }
    crate::ingest::sighting_orgs(
        state.store.as_ref(),
        &super::events::importer(&user),
        &mut plan.event,
    )
    .await?;
    // New objects naming a known template must satisfy it (changed objects
    // carry only their changed attributes, so they are not checked whole).
    let new_objects = cydef_model::event::NewEvent {
        objects: plan.new_objects().cloned().collect(),
        attributes: Vec::new(),
        reports: Vec::new(),
        proposals: Vec::new(),
        tags: Vec::new(),
        ..plan.event.clone()
    };
    let rejected = super::objects::template_rejections(&state, &new_objects).await?;
    if !rejected.is_empty() {
        return Err(fail(rejection_errors(&rejected)));
    }
    match state
        .store
        .edit_event(event.id, &plan, user.org.id, time_fmt::now())
        .await
    {
        Ok(()) => {}
        Err(StoreError::NotFound) => return Err(ApiError::not_found(super::events::INVALID_EVENT)),
        Err(StoreError::Conflict("value")) => {
            return Err(fail(
                json!({"Attribute": {"value": [cydef_model::event::DUPLICATE_ATTRIBUTE]}}),
            ))
        }
        Err(StoreError::Conflict(field)) => {
            return Err(fail(
                json!({ field: ["An item with this UUID already exists on this instance."] }),
            ))
        }
        Err(e) => return Err(e.into()),
    }
    let event = state
        .store
        .find_event(cydef_model::EntityRef::Id(event.id))
        .await?;
    let mut envelope = render(&state, &user, &event, Scope::Everything).await?;
    event_view::drop_deleted(&mut envelope.event);
    Ok(HttpResponse::Ok().json(envelope))
}
