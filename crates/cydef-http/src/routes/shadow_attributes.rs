//! Proposals (MISP's shadow attributes): `shadow_attributes/add/{event_id}`
//! proposes a new attribute, `edit/{attribute_id}` a change to one,
//! `delete/{attribute_id}` its deletion; `accept/{id}` applies a proposal
//! and `discard/{id}` drops it; `view/{id}` and `index[/{event_id}]` read
//! them.
//!
//! Who may do what is MISP's: anyone with perm_add who sees the event (and
//! the attribute) may propose, on any event, their own organisation's too;
//! accepting needs the right to modify the event (`may_modify`: site admins,
//! perm_modify_org in the creating organisation, perm_modify for the event's
//! creator); discarding too, or being the user who proposed it. Proposals
//! are seen by whoever sees their event and, for a proposal about an
//! attribute, that attribute (the store's rule, `ProposalStore`).
//!
//! Proposed values are validated and normalised exactly as the attribute
//! endpoints do (`AttributeIn::validate`), and validated again when
//! accepted; accepting goes through the same store steps as
//! `attributes/add`, `edit` and `delete`, so it bumps the event's timestamp
//! and unpublishes it. Accepted and discarded proposals are removed.

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use cydef_model::event::edit::overlay_attribute;
use cydef_model::event::input::AttributeIn;
use cydef_model::event::{Attribute, NewAttribute, Rejection, DUPLICATE_ATTRIBUTE};
use cydef_model::{flex, time_fmt, EntityRef};
use cydef_store::{
    ProposalChange, ProposalEntry, ProposalFilter, ProposalRequest, Proposer, StoreError,
};
use serde::Serialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use super::attributes::visible_attribute;
use super::events::{may_modify, visible_event};
use super::{named, resource};
use crate::auth::{AuthUser, Authed, CanAdd};
use crate::error::{ApiError, ApiResult};
use crate::sharing::check_groups;
use crate::views::{ErrorBody, SaveFailedBody};
use crate::wire::{int_str, parse_body};
use crate::{request_url, AppState};

/// MISP's answers, word for word.
const INVALID_EVENT: &str = "Invalid Event";
const INVALID_EVENT_INDEX: &str = "Invalid Event.";
const INVALID_ATTRIBUTE: &str = "Invalid Attribute.";
const INVALID_PROPOSAL: &str = "Invalid proposal.";
const INVALID_INPUT: &str = "Invalid input.";
const NOT_ACCEPTED: &str = "Proposal not found or you are not authorised to accept it.";
const NOT_DISCARDED: &str = "Could not discard proposal.";
const SAVE_FAILED: &str = "Could not save the proposal.";
const DELETE_PROPOSED: &str = "The proposal to delete the attribute has been saved";
const ACCEPTED_NEW: &str = "Proposal accepted.";
const ACCEPTED_CHANGE: &str = "Proposed change accepted.";
const DISCARDED: &str = "Proposal discarded.";
const UUID_TAKEN: &str = "The UUID provided is not unique";
const NO_ATTACHMENTS: &str = "Proposals cannot carry attachment contents yet.";

/// The proposing organisation, as MISP's index contains it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProposalOrg {
    pub name: String,
    pub uuid: String,
}

/// A proposal, with MISP's fields (the union of what its add, view and
/// index answers show).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProposalRow {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub id: i64,
    /// The attribute a change or deletion is about; "0" for a new attribute.
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub old_id: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub event_id: i64,
    #[serde(rename = "type")]
    pub attr_type: String,
    pub category: String,
    /// The new attribute's UUID, or the UUID of the attribute the proposal is about.
    pub uuid: String,
    pub to_ids: bool,
    pub value: String,
    pub comment: String,
    /// The proposing organisation.
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub org_id: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub timestamp: i64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub deleted: bool,
    pub proposal_to_delete: bool,
    pub disable_correlation: bool,
    /// The organisation that created the event.
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub event_org_id: i64,
    /// The proposer's e-mail: only in the answer to the proposer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub event_uuid: String,
    pub org_uuid: String,
    /// The UUID of the attribute a change or deletion is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_uuid: Option<String>,
    #[serde(rename = "Org")]
    pub org: ProposalOrg,
}

/// `{"ShadowAttribute": {…}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProposalEnvelope {
    #[serde(rename = "ShadowAttribute")]
    pub shadow_attribute: ProposalRow,
}

/// MISP's answer to a deletion proposal.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProposedBody {
    pub saved: bool,
    #[schema(example = "The proposal to delete the attribute has been saved")]
    pub success: String,
}

/// MISP's answer to accepting or discarding: `{"name", "message", "url"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DoneBody {
    #[schema(example = "Proposal accepted.")]
    pub name: String,
    #[schema(example = "Proposal accepted.")]
    pub message: String,
    pub url: String,
}

fn row(e: ProposalEntry, with_email: bool) -> ProposalRow {
    let p = e.proposal;
    let value = if cydef_model::attribute_value::is_composite(&p.attr_type) {
        format!("{}|{}", p.value1, p.value2)
    } else {
        p.value1
    };
    ProposalRow {
        id: p.id,
        old_id: p.old_id,
        event_id: p.event_id,
        attr_type: p.attr_type,
        category: p.category,
        uuid: p.uuid,
        to_ids: p.to_ids,
        value,
        comment: p.comment,
        org_id: p.org_id,
        timestamp: p.timestamp,
        first_seen: e.first_seen,
        last_seen: e.last_seen,
        deleted: p.deleted,
        proposal_to_delete: p.proposal_to_delete,
        disable_correlation: e.disable_correlation,
        event_org_id: e.event_orgc_id,
        email: with_email.then_some(e.email),
        event_uuid: e.event_uuid,
        org_uuid: e.org_uuid.clone(),
        old_uuid: e.old_uuid.filter(|_| p.old_id != 0),
        org: ProposalOrg {
            name: e.org_name,
            uuid: e.org_uuid,
        },
    }
}

fn envelope(e: ProposalEntry, with_email: bool) -> HttpResponse {
    HttpResponse::Ok().json(ProposalEnvelope {
        shadow_attribute: row(e, with_email),
    })
}

fn done(message: &str) -> HttpResponse {
    HttpResponse::Ok().json(DoneBody {
        name: message.to_owned(),
        message: message.to_owned(),
        url: request_url(),
    })
}

fn proposer(user: &AuthUser) -> Proposer {
    Proposer {
        org_id: user.org.id,
        email: user.user.email.clone(),
    }
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

/// A refused proposal: 403 with `errors`, and MISP's message listing the
/// first reason per field (`Could not save the proposal. Errors: [value]: …`).
fn refused(errors: Value) -> ApiError {
    let mut message = format!("{SAVE_FAILED} Errors: ");
    if let Value::Object(fields) = &errors {
        let reasons: Vec<String> = fields
            .iter()
            .map(|(field, list)| {
                let first = list
                    .get(0)
                    .and_then(Value::as_str)
                    .or_else(|| list.as_str())
                    .unwrap_or_default();
                format!("[{field}]: {first}")
            })
            .collect();
        message.push_str(&reasons.join(" "));
    }
    ApiError::save_failed_with(message, errors, None)
}

/// Maps `NotFound` of a read to `message`; anything else as usual.
fn not_found_as(e: ApiError, message: &str) -> ApiError {
    match e {
        ApiError::NotFound(_) => ApiError::not_found(message),
        other => other,
    }
}

/// The body as one proposed attribute: bare, or wrapped in
/// `ShadowAttribute`, `Attribute` or `Proposal` (MISP accepts all three),
/// or in `{"request": …}`.
fn read_proposal(bytes: &[u8]) -> ApiResult<AttributeIn> {
    let mut value = parse_body(bytes, "ShadowAttribute")?;
    'unwrap: loop {
        if let Value::Object(m) = &mut value {
            if m.len() == 1 {
                for key in ["ShadowAttribute", "Attribute", "Proposal", "request"] {
                    if m.get(key).is_some_and(Value::is_object) {
                        value = m.remove(key).unwrap_or(Value::Null);
                        continue 'unwrap;
                    }
                }
            }
        }
        break;
    }
    if !value.is_object() {
        return Err(ApiError::bad_request(
            "Expected a JSON object (optionally wrapped in {\"ShadowAttribute\": …}).",
        ));
    }
    serde_json::from_value(value)
        .map_err(|e| ApiError::bad_request(format!("Invalid request: {e}")))
}

/// Only what a proposal can carry: type, category, value, to_ids, comment,
/// first/last seen (and, for a new attribute, its UUID and correlation
/// flag). Distribution, sharing group, tags, sightings, a timestamp and the
/// deleted flag are not part of a proposal and are dropped, as MISP does.
fn proposable(input: AttributeIn) -> AttributeIn {
    AttributeIn {
        uuid: input.uuid,
        attr_type: input.attr_type,
        category: input.category,
        value: input.value,
        to_ids: input.to_ids,
        comment: input.comment,
        disable_correlation: input.disable_correlation,
        first_seen: input.first_seen,
        last_seen: input.last_seen,
        ..AttributeIn::default()
    }
}

/// MISP's attachment types, whose type and category a proposal may not change.
fn is_attachment(attr_type: &str) -> bool {
    matches!(attr_type, "attachment" | "malware-sample")
}

/// The proposed values laid over a stored attribute, validated as
/// `attributes/edit` validates them. The type of an attribute in an object,
/// and the type and category of an attachment, stay.
fn changed_attribute(stored: &Attribute, input: AttributeIn) -> Result<NewAttribute, Value> {
    let mut input = AttributeIn {
        uuid: None,
        disable_correlation: None,
        ..proposable(input)
    };
    if stored.object_id.is_some() || is_attachment(&stored.attr_type) {
        input.attr_type = None;
    }
    if is_attachment(&stored.attr_type) {
        input.category = None;
    }
    overlay_attribute(stored, &input)
        .validate(stored.object_id.is_some())
        .map_err(|r| field_errors(&r))
}

/// Whether an edit proposal changes anything MISP lets it change.
fn proposes_a_change(input: &AttributeIn) -> bool {
    let given = |v: &Option<Value>| v.as_ref().is_some_and(|v| !v.is_null());
    input.attr_type.is_some()
        || input.category.is_some()
        || input.value.is_some()
        || input.to_ids.is_some()
        || input.comment.is_some()
        || given(&input.first_seen)
        || given(&input.last_seen)
}

/// A store refusal of a proposal or of its acceptance, in MISP's words.
fn conflict(e: StoreError) -> Value {
    match e {
        StoreError::Conflict("uuid" | "attribute_uuid") => json!({ "uuid": [UUID_TAKEN] }),
        _ => json!({ "value": [DUPLICATE_ATTRIBUTE] }),
    }
}

/// Proposes a new attribute for an event, with the fields of
/// `attributes/add` (`type`, `category`, `value`, `to_ids`, `comment`,
/// `first_seen`, `last_seen`, `uuid`), validated and normalised as there.
#[utoipa::path(post, path = "/shadow_attributes/add/{event_id}", tag = "Proposals",
    summary = "Propose a new attribute",
    params(("event_id" = String, Path, description = "Event id or UUID")),
    request_body(content = Object, description = "An attribute, bare or as `{\"ShadowAttribute\": {…}}`"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "The stored proposal (with the proposer's `email`)", body = ProposalEnvelope),
        (status = 400, description = "Body is not a JSON object", body = ErrorBody),
        (status = 403, description = "No perm_add, or the proposal was refused (`errors`)", body = SaveFailedBody),
        (status = 404, description = "`Invalid Event`: unknown, malformed or not visible", body = ErrorBody)))]
pub async fn add(
    state: web::Data<AppState>,
    user: Authed<CanAdd>,
    event_id: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let (event, _) = visible_event(&state, &user, &event_id)
        .await
        .map_err(|e| not_found_as(e, INVALID_EVENT))?;
    let input = read_proposal(&body)?;
    // The contents of an attachment would be lost: refused, not dropped.
    if input.data.as_deref().is_some_and(|d| !d.is_empty()) {
        return Err(refused(json!({ "data": [NO_ATTACHMENTS] })));
    }
    let input = proposable(input);
    let attribute = input
        .validate(false)
        .map_err(|r| refused(field_errors(&r)))?;
    let request = ProposalRequest::Add {
        event_id: event.id,
        attribute,
    };
    match state
        .store
        .add_proposal(&request, &proposer(&user), time_fmt::now())
        .await
    {
        Ok(entry) => Ok(envelope(entry, true)),
        Err(StoreError::NotFound) => Err(ApiError::not_found(INVALID_EVENT)),
        Err(e @ StoreError::Conflict(_)) => Err(refused(conflict(e))),
        Err(e) => Err(e.into()),
    }
}

/// Proposes a change to an attribute: any of `type`, `category`, `value`,
/// `to_ids`, `comment`, `first_seen`, `last_seen` (the others keep the
/// attribute's values; the type of an attribute in an object stays). The
/// proposal carries the attribute's UUID, as in MISP.
#[utoipa::path(post, path = "/shadow_attributes/edit/{attribute_id}", tag = "Proposals",
    summary = "Propose a change to an attribute",
    params(("attribute_id" = String, Path, description = "Attribute id or UUID")),
    request_body(content = Object, description = "The fields to change, bare or as `{\"ShadowAttribute\": {…}}`"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "The stored proposal (with the proposer's `email`)", body = ProposalEnvelope),
        (status = 400, description = "Body is not a JSON object, or `Invalid input.` (no field to change)", body = ErrorBody),
        (status = 403, description = "No perm_add, or the proposal was refused (`errors`)", body = SaveFailedBody),
        (status = 404, description = "`Invalid Attribute.`: unknown, malformed, deleted or not visible", body = ErrorBody)))]
pub async fn edit(
    state: web::Data<AppState>,
    user: Authed<CanAdd>,
    id: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let (stored, _) = visible_attribute(&state, &user, &id)
        .await
        .map_err(|e| not_found_as(e, INVALID_ATTRIBUTE))?;
    if stored.deleted {
        return Err(ApiError::not_found(INVALID_ATTRIBUTE));
    }
    let input = read_proposal(&body)?;
    if !proposes_a_change(&input) {
        return Err(ApiError::bad_request(INVALID_INPUT));
    }
    let attribute = changed_attribute(&stored, input).map_err(refused)?;
    let request = ProposalRequest::Edit {
        attribute_id: stored.id,
        attribute,
    };
    match state
        .store
        .add_proposal(&request, &proposer(&user), time_fmt::now())
        .await
    {
        Ok(entry) => Ok(envelope(entry, true)),
        Err(StoreError::NotFound) => Err(ApiError::not_found(INVALID_ATTRIBUTE)),
        Err(e @ StoreError::Conflict(_)) => Err(refused(conflict(e))),
        Err(e) => Err(e.into()),
    }
}

/// Proposes deleting an attribute.
#[utoipa::path(post, path = "/shadow_attributes/delete/{attribute_id}", tag = "Proposals",
    summary = "Propose deleting an attribute",
    params(("attribute_id" = String, Path, description = "Attribute id or UUID")),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "`{\"saved\": true, \"success\": \"The proposal to delete the attribute has been saved\"}`", body = ProposedBody),
        (status = 403, description = "No perm_add", body = ErrorBody),
        (status = 404, description = "`Invalid Attribute.`: unknown, malformed, deleted or not visible", body = ErrorBody)))]
pub async fn delete(
    state: web::Data<AppState>,
    user: Authed<CanAdd>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (stored, _) = visible_attribute(&state, &user, &id)
        .await
        .map_err(|e| not_found_as(e, INVALID_ATTRIBUTE))?;
    if stored.deleted {
        return Err(ApiError::not_found(INVALID_ATTRIBUTE));
    }
    let request = ProposalRequest::Delete {
        attribute_id: stored.id,
    };
    match state
        .store
        .add_proposal(&request, &proposer(&user), time_fmt::now())
        .await
    {
        Ok(_) => Ok(HttpResponse::Ok().json(ProposedBody {
            saved: true,
            success: DELETE_PROPOSED.to_owned(),
        })),
        Err(StoreError::NotFound) => Err(ApiError::not_found(INVALID_ATTRIBUTE)),
        Err(e) => Err(e.into()),
    }
}

/// A live proposal `user` may see, by numeric id; `None` for anything else.
async fn visible_proposal(
    state: &AppState,
    user: &AuthUser,
    id: &str,
) -> ApiResult<Option<ProposalEntry>> {
    let Some(EntityRef::Id(id)) = EntityRef::parse(id) else {
        return Ok(None);
    };
    let filter = ProposalFilter {
        id: Some(id),
        deleted: Some(false),
        ..Default::default()
    };
    let viewer = user.viewer(state).await?;
    Ok(state
        .store
        .list_proposals(&filter, &viewer)
        .await?
        .into_iter()
        .next())
}

/// The event of a proposal, and whether `user` may change it.
async fn may_decide(state: &AppState, user: &AuthUser, entry: &ProposalEntry) -> ApiResult<bool> {
    let event = state
        .store
        .find_event(EntityRef::Id(entry.proposal.event_id))
        .await?;
    Ok(may_modify(user, &event))
}

/// What accepting a proposal does, validated as the attribute endpoints
/// validate it for `user`; `Err` holds the save failure.
async fn change_of(
    state: &AppState,
    user: &AuthUser,
    entry: &ProposalEntry,
) -> ApiResult<Result<ProposalChange, ApiError>> {
    let p = &entry.proposal;
    let value = if cydef_model::attribute_value::is_composite(&p.attr_type) {
        format!("{}|{}", p.value1, p.value2)
    } else {
        p.value1.clone()
    };
    let input = AttributeIn {
        attr_type: Some(p.attr_type.clone()),
        category: Some(p.category.clone()),
        value: Some(value),
        to_ids: Some(p.to_ids),
        comment: Some(p.comment.clone()),
        first_seen: Some(entry.first_seen.clone().map_or(Value::Null, Value::String)),
        last_seen: Some(entry.last_seen.clone().map_or(Value::Null, Value::String)),
        ..AttributeIn::default()
    };
    if p.old_id == 0 {
        // A new attribute takes the event's distribution, as MISP does.
        let new = AttributeIn {
            uuid: Some(p.uuid.clone()),
            distribution: Some(5),
            disable_correlation: Some(entry.disable_correlation),
            ..input
        };
        return Ok(new
            .validate(false)
            .map(ProposalChange::Create)
            .map_err(|r| {
                ApiError::save_failed_with("Could not add Attribute", field_errors(&r), None)
            }));
    }
    if p.proposal_to_delete {
        return Ok(Ok(ProposalChange::Delete));
    }
    let stored = state
        .store
        .get_attribute(EntityRef::Id(p.old_id))
        .await
        .map_err(|e| ApiError::from_store(e, NOT_ACCEPTED))?;
    if stored.deleted {
        return Err(ApiError::not_found(NOT_ACCEPTED));
    }
    let fail = |errors| ApiError::save_failed_with("Could not edit Attribute", errors, None);
    let mut new = match changed_attribute(&stored, input) {
        Ok(new) => new,
        Err(errors) => return Ok(Err(fail(errors))),
    };
    // The attribute keeps its sharing group, which the acceptor must be
    // allowed to use, as for `attributes/edit`.
    let refused = check_groups(state, user, &mut new).await?;
    if !refused.is_empty() {
        return Ok(Err(fail(field_errors(&refused))));
    }
    Ok(Ok(ProposalChange::Update(new)))
}

/// Accepts a proposal: a new attribute is added to the event (distribution
/// 5, the proposal's UUID), a change is applied to the attribute, a
/// deletion soft-deletes it, each exactly as the attribute endpoints would
/// (a duplicate is refused and the proposal stays). The event's timestamp is
/// bumped and it is unpublished; the proposal is removed.
#[utoipa::path(post, path = "/shadow_attributes/accept/{id}", tag = "Proposals",
    summary = "Accept a proposal",
    params(("id" = String, Path, description = "Proposal id")),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "`Proposal accepted.` (new attribute) or `Proposed change accepted.`", body = DoneBody),
        (status = 403, description = "No perm_add; `Proposal not found or you are not authorised to accept it.` (may not modify the event); or the change was refused (`errors`)", body = SaveFailedBody),
        (status = 404, description = "`Proposal not found or you are not authorised to accept it.`: unknown or not visible", body = ErrorBody)))]
pub async fn accept(
    state: web::Data<AppState>,
    user: Authed<CanAdd>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let entry = visible_proposal(&state, &user, &id)
        .await?
        .ok_or_else(|| ApiError::not_found(NOT_ACCEPTED))?;
    if !may_decide(&state, &user, &entry).await? {
        return Err(ApiError::forbidden(NOT_ACCEPTED));
    }
    let change = change_of(&state, &user, &entry).await??;
    let failed = match &change {
        ProposalChange::Create(_) => "Could not add Attribute",
        _ => "Could not edit Attribute",
    };
    match state
        .store
        .accept_proposal(entry.proposal.id, &change, time_fmt::now())
        .await
    {
        Ok(_) if entry.proposal.old_id == 0 => Ok(done(ACCEPTED_NEW)),
        Ok(_) => Ok(done(ACCEPTED_CHANGE)),
        Err(StoreError::NotFound) => Err(ApiError::not_found(NOT_ACCEPTED)),
        Err(e @ StoreError::Conflict(_)) => {
            Err(ApiError::save_failed_with(failed, conflict(e), None))
        }
        Err(e) => Err(e.into()),
    }
}

/// Discards a proposal. Allowed to whoever may accept it and to the user
/// who proposed it.
#[utoipa::path(post, path = "/shadow_attributes/discard/{id}", tag = "Proposals",
    summary = "Discard a proposal",
    params(("id" = String, Path, description = "Proposal id")),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "`Proposal discarded.`", body = DoneBody),
        (status = 403, description = "No perm_add, or `Could not discard proposal.` (neither the proposer nor allowed to modify the event)", body = ErrorBody),
        (status = 404, description = "`Could not discard proposal.`: unknown or not visible", body = ErrorBody)))]
pub async fn discard(
    state: web::Data<AppState>,
    user: Authed<CanAdd>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let entry = visible_proposal(&state, &user, &id)
        .await?
        .ok_or_else(|| ApiError::not_found(NOT_DISCARDED))?;
    let proposer = !entry.email.is_empty() && entry.email == user.user.email;
    if !proposer && !may_decide(&state, &user, &entry).await? {
        return Err(ApiError::forbidden(NOT_DISCARDED));
    }
    match state.store.discard_proposal(entry.proposal.id).await {
        Ok(()) => Ok(done(DISCARDED)),
        Err(e) => Err(ApiError::from_store(e, NOT_DISCARDED)),
    }
}

/// One proposal.
#[utoipa::path(get, path = "/shadow_attributes/view/{id}", tag = "Proposals",
    summary = "View a proposal",
    params(("id" = String, Path, description = "Proposal id")),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = ProposalEnvelope),
        (status = 403, description = "Authentication failed", body = ErrorBody),
        (status = 404, description = "`Invalid proposal.`: unknown, malformed or not visible", body = ErrorBody)))]
pub async fn view(
    state: web::Data<AppState>,
    user: Authed,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let entry = visible_proposal(&state, &user, &id)
        .await?
        .ok_or_else(|| ApiError::not_found(INVALID_PROPOSAL))?;
    Ok(envelope(entry, false))
}

/// Index parameters (named and query parameters), MISP's names.
fn index_filter(params: &HashMap<String, String>) -> ProposalFilter {
    let flag = |k: &str| {
        params.get(k).and_then(|v| {
            flex::value_to_bool(&Value::String(v.clone()))
                .ok()
                .flatten()
        })
    };
    let int = |k: &str| params.get(k).and_then(|v| v.trim().parse::<i64>().ok());
    ProposalFilter {
        own_events_only: flag("all") == Some(false),
        search: params
            .get("searchall")
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty()),
        deleted: flag("deleted"),
        since: int("timestamp").filter(|t| *t > 0),
        sort: params.get("sort").cloned(),
        descending: params
            .get("direction")
            .is_some_and(|d| d.trim().eq_ignore_ascii_case("desc")),
        limit: int("limit").filter(|l| *l > 0),
        page: int("page").filter(|p| *p > 0),
        ..Default::default()
    }
}

/// The proposals the caller may see: those on events it sees, and for a
/// proposal about an attribute, only while it sees the attribute. Named or
/// query parameters: `all` (`0`: only events the caller's organisation
/// created), `searchall` (value, comment, UUIDs, event info, proposing
/// organisation), `deleted`, `timestamp` (at or after), `sort` and
/// `direction`, `limit` and `page`. By default ordered by event (newest
/// first), then type.
#[utoipa::path(get, path = "/shadow_attributes/index", tag = "Proposals",
    summary = "List proposals",
    params(
        ("all" = Option<String>, Query, description = "`0`: only proposals on events the caller's organisation created (also `all:0`)"),
        ("searchall" = Option<String>, Query, description = "Case-insensitive substring of the value, comment, proposal or event UUID, event info, or the proposing organisation's name or UUID"),
        ("deleted" = Option<String>, Query, description = "`0` or `1`"),
        ("timestamp" = Option<String>, Query, description = "Proposals made at or after this epoch"),
        ("sort" = Option<String>, Query, description = "A column: `id`, `event_id`, `type`, `category`, `value`, `timestamp`, …"),
        ("direction" = Option<String>, Query, description = "`asc` or `desc`"),
        ("limit" = Option<String>, Query, description = "Page size"),
        ("page" = Option<String>, Query, description = "Page (from 1), with `limit`")),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = [ProposalEnvelope]),
        (status = 403, description = "Authentication failed", body = ErrorBody)))]
pub async fn index(
    state: web::Data<AppState>,
    user: Authed,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let mut params: HashMap<String, String> = HashMap::new();
    for (k, v) in named(&req).0 {
        params.entry(k).or_insert(v);
    }
    let mut filter = index_filter(&params);
    if let Some(event_id) = req.match_info().get("event_id") {
        let (event, _) = visible_event(&state, &user, event_id)
            .await
            .map_err(|e| not_found_as(e, INVALID_EVENT_INDEX))?;
        filter.event_id = Some(event.id);
    }
    let viewer = user.viewer(&state).await?;
    let entries = state.store.list_proposals(&filter, &viewer).await?;
    let list: Vec<ProposalEnvelope> = entries
        .into_iter()
        .map(|e| ProposalEnvelope {
            shadow_attribute: row(e, false),
        })
        .collect();
    Ok(HttpResponse::Ok().json(list))
}

/// The same list for one event (id or UUID).
#[utoipa::path(get, path = "/shadow_attributes/index/{event_id}", tag = "Proposals",
    summary = "List the proposals of an event",
    params(("event_id" = String, Path, description = "Event id or UUID")),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = [ProposalEnvelope]),
        (status = 403, description = "Authentication failed", body = ErrorBody),
        (status = 404, description = "`Invalid Event.`: unknown, malformed or not visible", body = ErrorBody)))]
pub async fn event_index(
    state: web::Data<AppState>,
    user: Authed,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    index(state, user, req).await
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/shadow_attributes/add/{event_id}").route(web::post().to(add)))
        .service(
            resource("/shadow_attributes/edit/{id}")
                .route(web::post().to(edit))
                .route(web::put().to(edit)),
        )
        .service(resource("/shadow_attributes/delete/{id}").route(web::post().to(delete)))
        .service(resource("/shadow_attributes/accept/{id}").route(web::post().to(accept)))
        .service(resource("/shadow_attributes/discard/{id}").route(web::post().to(discard)))
        .service(resource("/shadow_attributes/view/{id}").route(web::get().to(view)))
        .service(resource("/shadow_attributes/index").route(web::get().to(index)))
        .service(resource("/shadow_attributes/index/{event_id}").route(web::get().to(event_index)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(v: Value) -> AttributeIn {
        serde_json::from_value(v).expect("an attribute")
    }

    #[test]
    fn reads_every_wrapper_misp_accepts() {
        for body in [
            json!({"ShadowAttribute": {"type": "ip-dst", "value": "1.2.3.4"}}),
            json!({"Attribute": {"type": "ip-dst", "value": "1.2.3.4"}}),
            json!({"Proposal": {"type": "ip-dst", "value": "1.2.3.4"}}),
            json!({"request": {"ShadowAttribute": {"type": "ip-dst", "value": "1.2.3.4"}}}),
            json!({"type": "ip-dst", "value": "1.2.3.4"}),
        ] {
            let bytes = serde_json::to_vec(&body).expect("json");
            let a = read_proposal(&bytes).expect("read");
            assert_eq!(a.value.as_deref(), Some("1.2.3.4"), "{body}");
        }
        assert!(read_proposal(b"[1]").is_err());
    }

    #[test]
    fn an_edit_must_change_a_proposable_field() {
        assert!(!proposes_a_change(&input(
            json!({"distribution": 1, "first_seen": null})
        )));
        assert!(proposes_a_change(&input(json!({"to_ids": false}))));
        assert!(proposes_a_change(&input(
            json!({"first_seen": "2020-01-01T00:00:00Z"})
        )));
    }

    #[test]
    fn proposals_drop_what_they_cannot_carry() {
        let p = proposable(input(json!({
            "type": "domain", "value": "a.example", "distribution": 4,
            "sharing_group_id": 3, "deleted": true, "timestamp": 5,
            "Tag": [{"name": "tlp:red"}]
        })));
        assert_eq!(p.distribution, None);
        assert_eq!(p.sharing_group_id, None);
        assert_eq!(p.deleted, None);
        assert_eq!(p.timestamp, None);
        assert!(p.tags.is_empty());
        assert_eq!(p.attr_type.as_deref(), Some("domain"));
    }

    #[test]
    fn refusals_name_each_field_as_misp() {
        let e = refused(json!({"value": ["bad"], "type": ["worse"]}));
        match e {
            ApiError::SaveFailed { message, .. } => {
                assert!(message.starts_with("Could not save the proposal. Errors: "));
                assert!(message.contains("[value]: bad"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn index_parameters() {
        let params: HashMap<String, String> = [
            ("all", "0"),
            ("searchall", " evil "),
            ("deleted", "1"),
            ("timestamp", "1700000000"),
            ("sort", "timestamp"),
            ("direction", "DESC"),
            ("limit", "5"),
            ("page", "2"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let f = index_filter(&params);
        assert!(f.own_events_only);
        assert_eq!(f.search.as_deref(), Some("evil"));
        assert_eq!(f.deleted, Some(true));
        assert_eq!(f.since, Some(1_700_000_000));
        assert!(f.descending);
        assert_eq!((f.limit, f.page), (Some(5), Some(2)));
        assert!(!index_filter(&HashMap::new()).own_events_only);
    }
}
