//! MISP objects and their references: add (checked against the object's
//! template), view, edit, soft and hard delete; add and delete references.
//! The template check is shared with `events/add` ([`template_rejections`]).
//!
//! Every change bumps the object's and the event's timestamps and
//! unpublishes the event, in the same transaction (see `ObjectStore`).

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use cydef_model::event::edit::{attribute_differs, overlay_attribute, overlay_object};
use cydef_model::event::input::{AttributeIn, ObjectIn};
use cydef_model::event::{
    Attribute, Event, MispObject, NewAttribute, NewEvent, NewObject, NewReference, Rejection,
};
use cydef_model::object_template::{AttrFacts, ObjectTemplate, TemplateKey};
use cydef_model::{flex, time_fmt, EntityRef};
use cydef_store::{ObjectEdit, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use super::events::{may_modify, scope_for};
use super::{bulk_resource, hard_delete, resource};
use crate::auth::{AuthUser, Authed, CanAdd};
use crate::error::{success_body, ApiError, ApiResult};
use crate::event_view::{
    attribute_view, object_view, reference_view, ObjectView, ReferenceView, Scope, TagView,
};
use crate::sharing::check_groups;
use crate::views::{ErrorBody, SaveFailedBody, SuccessBody};
use crate::wire::{int_str, BODY_LIMIT};
use crate::AppState;

/// MISP's answers (`ObjectsController`, `ObjectReferencesController`).
const INVALID_OBJECT: &str = "Invalid object.";
const INVALID_EVENT: &str = "Invalid event.";
const INVALID_TEMPLATE: &str = "Invalid template.";
const INVALID_REFERENCE: &str = "Invalid object reference.";
const INVALID_TARGET: &str = "Invalid target.";
const TARGET_ELSEWHERE: &str =
    "Invalid target. Target has to be within the same event or extending it.";
use crate::error::NOT_PERMITTED;
const EDIT_NOT_PERMITTED: &str = "Insufficient permissions to edit this object.";
const NO_ATTRIBUTES: &str = "Could not save the object as no attributes were set.";
const UUID_TAKEN: &str = "The UUID provided is not unique";

/// `{"Object": {…}}` with the object's live attributes and its references.
#[derive(Serialize, ToSchema)]
pub struct ObjectEnvelope {
    #[serde(rename = "Object")]
    pub object: ObjectView,
}

/// The event an object belongs to, as `objects/view` shows it.
#[derive(Serialize, ToSchema)]
pub struct ObjectEventView {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub id: i64,
    pub info: String,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub org_id: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub orgc_id: i64,
}

/// An object with its event (`objects/view`).
#[derive(Serialize, ToSchema)]
pub struct ObjectDetail {
    #[serde(flatten)]
    pub object: ObjectView,
    #[serde(rename = "Event")]
    pub event: ObjectEventView,
}

#[derive(Serialize, ToSchema)]
pub struct ObjectDetailEnvelope {
    #[serde(rename = "Object")]
    pub object: ObjectDetail,
}

/// `{"ObjectReference": {…}}`.
#[derive(Serialize, ToSchema)]
pub struct ReferenceEnvelope {
    #[serde(rename = "ObjectReference")]
    pub reference: ReferenceView,
}

/// The body of `object_references/add`, bare or as `{"ObjectReference": {…}}`.
#[derive(Deserialize, ToSchema)]
pub struct ReferenceInput {
    /// The object the reference starts from, when the path does not name it
    /// (PyMISP posts to `objectReferences/add`).
    #[serde(default, deserialize_with = "flex::flex_string")]
    pub object_uuid: Option<String>,
    #[serde(default, deserialize_with = "flex::flex_string")]
    pub referenced_uuid: Option<String>,
    #[serde(default, deserialize_with = "flex::flex_string")]
    pub relationship_type: Option<String>,
    /// The web form's choice; used unless it is `custom`.
    #[serde(default, deserialize_with = "flex::flex_string")]
    pub relationship_type_select: Option<String>,
    #[serde(default, deserialize_with = "flex::flex_string")]
    pub comment: Option<String>,
    #[serde(default, deserialize_with = "flex::flex_string")]
    pub uuid: Option<String>,
}

// ---------------------------------------------------------------------------
// Template checks, shared with events/add.

/// Looks templates up once per key for a request.
#[derive(Default)]
struct Templates(HashMap<TemplateKey, Option<ObjectTemplate>>);

impl Templates {
    async fn get(
        &mut self,
        state: &AppState,
        key: &TemplateKey,
    ) -> ApiResult<Option<&ObjectTemplate>> {
        if !self.0.contains_key(key) {
            let found = match state.store.find_object_template(key).await? {
                Some(stored) => Some(stored.template().map_err(ApiError::Internal)?),
                None => None,
            };
            self.0.insert(key.clone(), found);
        }
        Ok(self.0.get(key).and_then(Option::as_ref))
    }
}

/// Why objects of a validated event document do not fit their templates
/// (paths `Object[i]`, `Object[i].Attribute[j]`). Objects naming no known
/// template, and soft-deleted objects, are not checked.
pub(crate) async fn template_rejections(
    state: &AppState,
    ev: &NewEvent,
) -> ApiResult<Vec<Rejection>> {
    let mut templates = Templates::default();
    let mut out = Vec::new();
    for (i, o) in ev.objects.iter().enumerate() {
        let Some(key) = TemplateKey::for_object(o) else {
            continue;
        };
        if let Some(t) = templates.get(state, &key).await? {
            out.extend(t.check_object(&format!("Object[{i}]"), o));
        }
    }
    Ok(out)
}

/// A refusal as MISP words `errors` for objects: one string, a line per reason.
fn rejection_text(rejections: &[Rejection]) -> Value {
    let lines: Vec<String> = rejections
        .iter()
        .map(|r| {
            if r.path == "Object" {
                r.message.clone()
            } else {
                format!("{} ({}): {}", r.path, r.field, r.message)
            }
        })
        .collect();
    Value::String(lines.join("\n"))
}

fn conflict(e: StoreError, action: &str) -> ApiError {
    match e {
        StoreError::Conflict(field) => ApiError::save_failed_with(
            format!("Could not {action} Object"),
            json!({ field: [UUID_TAKEN] }),
            None,
        ),
        other => other.into(),
    }
}

// ---------------------------------------------------------------------------
// Reading requests and stored objects.

/// An object body: `{"Object": {…}}` (attributes inside it or beside it),
/// `{"request": …}` or bare.
fn read_object(bytes: &[u8]) -> ApiResult<ObjectIn> {
    if bytes.len() > BODY_LIMIT {
        return Err(ApiError::bad_request("The request body is too large."));
    }
    let trimmed = bytes.trim_ascii();
    let mut value: Value = if trimmed.is_empty() {
        Value::Object(Map::new())
    } else {
        crate::wire::json_value(trimmed)?
    };
    if let Some(inner) = value.get_mut("request").map(Value::take) {
        value = inner;
    }
    let Value::Object(mut map) = value else {
        return Err(ApiError::bad_request(
            "Expected a JSON object (optionally wrapped in {\"Object\": …}).",
        ));
    };
    if let Some(Value::Object(mut inner)) = map.remove("Object") {
        for key in ["Attribute", "ObjectReference"] {
            if !inner.contains_key(key) {
                if let Some(v) = map.remove(key) {
                    inner.insert(key.to_owned(), v);
                }
            }
        }
        map = inner;
    }
    serde_json::from_value(Value::Object(map))
        .map_err(|e| ApiError::bad_request(format!("Invalid object: {e}")))
}

/// An object the caller may see, with its event and how much of it they see.
async fn visible_object(
    state: &AppState,
    user: &AuthUser,
    id: &str,
) -> ApiResult<(MispObject, Event, Scope)> {
    let r = EntityRef::parse(id).ok_or_else(|| ApiError::not_found(INVALID_OBJECT))?;
    let object = state
        .store
        .find_object(r)
        .await
        .map_err(|e| ApiError::from_store(e, INVALID_OBJECT))?;
    let event = state
        .store
        .find_event(EntityRef::Id(object.event_id))
        .await
        .map_err(|e| ApiError::from_store(e, INVALID_OBJECT))?;
    match scope_for(&user.viewer(state).await?, &event) {
        // Soft-deleted objects are the owner's business, as in the event view.
        Some(scope)
            if scope.shows(object.distribution, object.sharing_group_id)
                && (scope.is_everything() || !object.deleted) =>
        {
            Ok((object, event, scope))
        }
        _ => Err(ApiError::not_found(INVALID_OBJECT)),
    }
}

/// The object as MISP shows it: its live attributes (those the reader may
/// see) with their tags, and its references.
async fn render(state: &AppState, o: &MispObject, scope: &Scope) -> ApiResult<ObjectView> {
    let (attributes, tags) = state.store.object_attributes(o.id).await?;
    let mut tag_views: HashMap<i64, Vec<TagView>> = HashMap::new();
    for l in &tags {
        tag_views
            .entry(l.target_id)
            .or_default()
            .push(TagView::new(l));
    }
    let attribute = attributes
        .into_iter()
        .filter(|a| !a.deleted && scope.shows(a.distribution, a.sharing_group_id))
        .map(|a| {
            let tags = tag_views.remove(&a.id).unwrap_or_default();
            attribute_view(a, tags, Vec::new())
        })
        .collect();
    let references = state
        .store
        .object_references(o.id)
        .await?
        .iter()
        .filter(|r| scope.is_everything() || !r.deleted)
        .map(|r| reference_view(r, &o.uuid))
        .collect();
    Ok(object_view(o, references, attribute))
}

/// Gives attributes without first/last seen the object's, as MISP does.
fn inherit_seen(o: &mut NewObject) {
    for a in &mut o.attributes {
        if a.first_seen.is_none() {
            a.first_seen.clone_from(&o.first_seen);
        }
        if a.last_seen.is_none() {
            a.last_seen.clone_from(&o.last_seen);
        }
    }
}

/// Fills the object's template fields from its template where missing.
fn fill_from_template(o: &mut NewObject, t: &ObjectTemplate) {
    if o.meta_category.is_empty() {
        o.meta_category.clone_from(&t.meta_category);
    }
    if o.description.is_empty() {
        o.description.clone_from(&t.description);
    }
    if o.template_uuid.is_none() {
        o.template_uuid = Some(t.uuid.clone());
    }
    if o.template_version.is_none() {
        o.template_version = Some(t.version.to_string());
    }
}

// ---------------------------------------------------------------------------
// Objects.

/// Adds an object with its attributes to an event. An object whose template
/// is known (by `template_uuid`, else by `name`, or the template named in the
/// path) must satisfy it: required relations present, relations of the
/// template with its types (and listed values), single relations used once.
#[utoipa::path(post, path = "/objects/add/{event_id}", tag = "Objects",
    summary = "Add an object to an event",
    params(("event_id" = String, Path, description = "Event id or UUID")),
    request_body(content = Object, description = "`{\"Object\": {…, \"Attribute\": […]}}` or the bare object (PyMISP)"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "The stored object with its attributes", body = ObjectEnvelope),
        (status = 400, description = "Body is not JSON", body = ErrorBody),
        (status = 403, description = "No perm_add, `You do not have permission to do that.`, or the object was refused (`errors` says why; nothing is stored)", body = SaveFailedBody),
        (status = 404, description = "`Invalid event.`: unknown, malformed or not visible", body = ErrorBody)))]
pub async fn add(
    state: web::Data<AppState>,
    user: Authed<CanAdd>,
    path: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    add_object(&state, &user, &path, None, &body).await
}

/// As `objects/add/{event_id}`, with the template named in the path (id or
/// UUID): the object takes its name, meta-category, description and template
/// fields from it.
#[utoipa::path(post, path = "/objects/add/{event_id}/{template_id}", tag = "Objects",
    summary = "Add an object to an event, from a given template",
    params(
        ("event_id" = String, Path, description = "Event id or UUID"),
        ("template_id" = String, Path, description = "Object template id or UUID")),
    request_body(content = Object, description = "`{\"Object\": {…, \"Attribute\": […]}}` or the bare object"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "The stored object with its attributes", body = ObjectEnvelope),
        (status = 400, description = "Body is not JSON", body = ErrorBody),
        (status = 403, description = "No perm_add, `You do not have permission to do that.`, or the object was refused", body = SaveFailedBody),
        (status = 404, description = "`Invalid event.` or `Invalid template.`", body = ErrorBody)))]
pub async fn add_with_template(
    state: web::Data<AppState>,
    user: Authed<CanAdd>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let (event_id, template_id) = path.into_inner();
    let template = match EntityRef::parse(&template_id) {
        Some(EntityRef::Id(id)) => state.store.get_object_template(id).await.map(Some),
        Some(EntityRef::Uuid(u)) => {
            state
                .store
                .find_object_template(&TemplateKey::Uuid(u.hyphenated().to_string()))
                .await
        }
        None => Ok(None),
    };
    let template = match template {
        Ok(Some(t)) => t.template().map_err(ApiError::Internal)?,
        Ok(None) | Err(StoreError::NotFound) => return Err(ApiError::not_found(INVALID_TEMPLATE)),
        Err(e) => return Err(e.into()),
    };
    add_object(&state, &user, &event_id, Some(template), &body).await
}

async fn add_object(
    state: &AppState,
    user: &AuthUser,
    event_id: &str,
    template: Option<ObjectTemplate>,
    body: &[u8],
) -> ApiResult<HttpResponse> {
    let event = match super::events::visible_event(state, user, event_id).await {
        Ok((event, _)) => event,
        Err(ApiError::NotFound(_)) => return Err(ApiError::not_found(INVALID_EVENT)),
        Err(e) => return Err(e),
    };
    if !may_modify(user, &event) {
        return Err(ApiError::forbidden(NOT_PERMITTED));
    }
    let fail = |errors: Value| ApiError::save_failed_with("Could not add Object", errors, None);
    let mut input = read_object(body)?;
    if input.attributes.is_empty() {
        return Err(fail(Value::String(NO_ATTRIBUTES.into())));
    }
    if let Some(t) = &template {
        // MISP: the template's fields win.
        input.name = Some(t.name.clone());
        input.meta_category = Some(t.meta_category.clone());
        input.description = Some(t.description.clone());
        input.template_uuid = Some(t.uuid.clone());
        input.template_version = Some(t.version.to_string());
    }
    let mut object = input.validate().map_err(|r| fail(rejection_text(&r)))?;
    let refused = check_groups(state, user, &mut object).await?;
    if !refused.is_empty() {
        return Err(fail(rejection_text(&refused)));
    }
    let mut templates = Templates::default();
    let template = match template {
        Some(t) => Some(t),
        None => match TemplateKey::for_object(&object) {
            Some(key) => templates.get(state, &key).await?.cloned(),
            None => None,
        },
    };
    if let Some(t) = &template {
        let rejections = t.check_object("Object", &object);
        if !rejections.is_empty() {
            return Err(fail(rejection_text(&rejections)));
        }
        fill_from_template(&mut object, t);
    }
    inherit_seen(&mut object);
    let now = time_fmt::now();
    // A new object is stamped now, as are its attributes.
    object.timestamp = None;
    for a in &mut object.attributes {
        a.timestamp = None;
    }
    let id = match state.store.add_object(event.id, &object, now).await {
        Ok(id) => id,
        Err(StoreError::NotFound) => return Err(ApiError::not_found(INVALID_EVENT)),
        Err(e) => return Err(conflict(e, "add")),
    };
    let stored = state.store.find_object(EntityRef::Id(id)).await?;
    Ok(HttpResponse::Ok().json(ObjectEnvelope {
        object: render(state, &stored, &Scope::Everything).await?,
    }))
}

/// One object with its live attributes, its references and its event.
#[utoipa::path(get, path = "/objects/view/{id}", tag = "Objects",
    summary = "View an object",
    params(("id" = String, Path, description = "Object id or UUID")),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = ObjectDetailEnvelope),
        (status = 403, description = "Authentication failed", body = ErrorBody),
        (status = 404, description = "`Invalid object.`: unknown, malformed or not visible", body = ErrorBody)))]
pub async fn view(
    state: web::Data<AppState>,
    user: Authed,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (object, event, scope) = visible_object(&state, &user, &id).await?;
    Ok(HttpResponse::Ok().json(ObjectDetailEnvelope {
        object: ObjectDetail {
            object: render(&state, &object, &scope).await?,
            event: ObjectEventView {
                id: event.id,
                info: event.info.clone(),
                org_id: event.org_id,
                orgc_id: event.orgc_id,
            },
        },
    }))
}

async fn head(state: web::Data<AppState>, user: Authed, id: web::Path<String>) -> HttpResponse {
    match visible_object(&state, &user, &id).await {
        Ok(_) => HttpResponse::Ok().finish(),
        Err(_) => HttpResponse::NotFound().finish(),
    }
}

/// Changes an object, as MISP's `objects/edit`: `comment`,
/// `template_version`, `distribution`, `sharing_group_id`, `first_seen` and
/// `last_seen` when given; attributes matched by UUID are updated, new ones
/// added, and, when an `Attribute` list is sent, stored attributes missing
/// from it are soft-deleted. `"deleted": true` soft-deletes the object. The
/// result must still satisfy the object's template.
#[utoipa::path(post, path = "/objects/edit/{id}", tag = "Objects",
    summary = "Edit an object and its attributes",
    params(("id" = String, Path, description = "Object id or UUID")),
    request_body(content = Object, description = "`{\"Object\": {…, \"Attribute\": […]}}` or the bare object (PyMISP's update_object)"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "The object as stored", body = ObjectEnvelope),
        (status = 400, description = "Body is not JSON", body = ErrorBody),
        (status = 403, description = "No perm_add, `Insufficient permissions to edit this object.`, or the change was refused (`errors`)", body = SaveFailedBody),
        (status = 404, description = "`Invalid object.`", body = ErrorBody)))]
pub async fn edit(
    state: web::Data<AppState>,
    user: Authed<CanAdd>,
    id: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let (object, event, _) = visible_object(&state, &user, &id).await?;
    if !may_modify(&user, &event) {
        return Err(ApiError::forbidden(EDIT_NOT_PERMITTED));
    }
    let fail = |errors: Value| ApiError::save_failed_with("Could not edit Object", errors, None);
    let req = read_object(&body)?;
    let (stored, _) = state.store.object_attributes(object.id).await?;
    let by_uuid: HashMap<&str, &Attribute> = stored.iter().map(|a| (a.uuid.as_str(), a)).collect();
    // Validate the request with the stored values filled in: the
    // distribution after the overlay decides whether a group is kept.
    let mut full = overlay_object(&object, &req);
    full.references = Vec::new();
    full.attributes = req
        .attributes
        .iter()
        .map(|a| {
            let known = a
                .uuid
                .as_deref()
                .and_then(|u| uuid::Uuid::parse_str(u.trim()).ok())
                .and_then(|u| by_uuid.get(u.hyphenated().to_string().as_str()).copied());
            match known {
                Some(s) => AttributeIn {
                    timestamp: None,
                    ..overlay_attribute(s, a)
                },
                None => a.clone(),
            }
        })
        .collect();
    let mut validated = full.validate().map_err(|r| fail(rejection_text(&r)))?;
    let refused = check_groups(&state, &user, &mut validated).await?;
    if !refused.is_empty() {
        return Err(fail(rejection_text(&refused)));
    }

    // The group follows the distribution: both are written when either is
    // given (a change away from 4 clears the group).
    let group_given = req.distribution.is_some()
        || req.sharing_group_id.is_some()
        || req.sharing_group_uuid.is_some();
    let mut edit = ObjectEdit {
        comment: req.comment.clone(),
        template_version: req.template_version.clone().filter(|v| !v.is_empty()),
        distribution: group_given.then_some(validated.distribution),
        sharing_group_id: group_given.then(|| validated.sharing_group_id.unwrap_or(0)),
        first_seen: req
            .first_seen
            .as_ref()
            .map(|_| validated.first_seen.clone()),
        last_seen: req.last_seen.as_ref().map(|_| validated.last_seen.clone()),
        delete: req.deleted == Some(true) && !object.deleted,
        ..ObjectEdit::default()
    };
    let mut mentioned = Vec::new();
    for a in &validated.attributes {
        match by_uuid.get(a.uuid.as_str()) {
            Some(s) => {
                mentioned.push(s.id);
                if attribute_differs(s, a) {
                    edit.changed.push((s.id, a.clone()));
                }
            }
            None => {
                let mut a = a.clone();
                a.timestamp = None;
                edit.added.push(a);
            }
        }
    }
    if !req.attributes.is_empty() {
        edit.removed = stored
            .iter()
            .filter(|a| !a.deleted && !mentioned.contains(&a.id))
            .map(|a| a.id)
            .collect();
    }

    // The object after the change must fit its template.
    if !edit.delete {
        let changed: HashMap<i64, &NewAttribute> =
            edit.changed.iter().map(|(id, a)| (*id, a)).collect();
        let mut facts: Vec<AttrFacts<'_>> = Vec::new();
        for s in &stored {
            let fact = match changed.get(&s.id) {
                Some(a) => AttrFacts {
                    uuid: Some(&a.uuid),
                    relation: a.object_relation.as_deref(),
                    attr_type: &a.attr_type,
                    value: &a.value,
                    deleted: a.deleted,
                },
                None => AttrFacts {
                    uuid: Some(&s.uuid),
                    relation: s.object_relation.as_deref(),
                    attr_type: &s.attr_type,
                    value: &s.value1,
                    deleted: s.deleted || edit.removed.contains(&s.id),
                },
            };
            facts.push(fact);
        }
        facts.extend(edit.added.iter().map(|a| AttrFacts {
            uuid: Some(&a.uuid),
            relation: a.object_relation.as_deref(),
            attr_type: &a.attr_type,
            value: &a.value,
            deleted: a.deleted,
        }));
        if let Some(key) = TemplateKey::of(object.template_uuid.as_deref(), &object.name) {
            let mut templates = Templates::default();
            if let Some(t) = templates.get(&state, &key).await? {
                let rejections = t.check("Object", Some(&object.uuid), &facts);
                if !rejections.is_empty() {
                    return Err(fail(rejection_text(&rejections)));
                }
            }
        }
    }

    state
        .store
        .edit_object(object.id, &edit, time_fmt::now())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found(INVALID_OBJECT),
            other => conflict(other, "edit"),
        })?;
    let stored = state.store.find_object(EntityRef::Id(object.id)).await?;
    Ok(HttpResponse::Ok().json(ObjectEnvelope {
        object: render(&state, &stored, &Scope::Everything).await?,
    }))
}

/// Deletes an object: softly (the object, its attributes and references to
/// it are marked deleted) or, with `/objects/delete/{id}/1` or
/// `{"hard": 1}`, for good with its attributes and every reference from or
/// to them. The answer's `id` is the object's, as given (MISP answers with
/// the event's id there).
#[utoipa::path(post, path = "/objects/delete/{id}", tag = "Objects",
    summary = "Delete an object (soft, or hard with `/1` or `{\"hard\": 1}`)",
    params(("id" = String, Path, description = "Object id or UUID")),
    request_body(content = Object, description = "Optional: `{\"hard\": 1}` deletes for good"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "`Object deleted`; `id` is the object's id or UUID, as given", body = SuccessBody),
        (status = 403, description = "No perm_add, or `You do not have permission to do that.`", body = ErrorBody),
        (status = 404, description = "`Invalid object.`", body = ErrorBody)))]
pub async fn delete(
    state: web::Data<AppState>,
    user: Authed<CanAdd>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let id = req.match_info().get("id").unwrap_or_default().to_owned();
    let (object, event, _) = visible_object(&state, &user, &id).await?;
    if !may_modify(&user, &event) {
        return Err(ApiError::forbidden(NOT_PERMITTED));
    }
    let hard = hard_delete(&req, &body, "Object")?;
    state
        .store
        .delete_object(object.id, hard, time_fmt::now())
        .await
        .map_err(|e| ApiError::from_store(e, INVALID_OBJECT))?;
    let mut answer = success_body("Object deleted", None);
    answer["id"] = Value::String(id);
    Ok(HttpResponse::Ok().json(answer))
}

// ---------------------------------------------------------------------------
// References.

/// Adds a reference from an object to an attribute or object of the same
/// event, found by UUID (`referenced_type` 0 attribute, 1 object).
#[utoipa::path(post, path = "/object_references/add/{object_id}", tag = "Objects",
    summary = "Add an object reference",
    params(("object_id" = String, Path, description = "Source object id or UUID")),
    request_body(content = ReferenceInput, description = "Bare or as `{\"ObjectReference\": {…}}`"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = ReferenceEnvelope),
        (status = 400, description = "Body is not JSON", body = ErrorBody),
        (status = 403, description = "No perm_add, or the reference was refused (`errors`)", body = SaveFailedBody),
        (status = 404, description = "`Invalid object.` (unknown, deleted, or not the caller's to change), `Invalid target.`", body = ErrorBody)))]
pub async fn add_reference(
    state: web::Data<AppState>,
    user: Authed<CanAdd>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let mut value = crate::wire::parse_body(&body, "ObjectReference")?;
    if let Some(inner) = value.get_mut("ObjectReference").map(Value::take) {
        value = inner;
    }
    let input: ReferenceInput = serde_json::from_value(value)
        .map_err(|e| ApiError::bad_request(format!("Invalid request: {e}")))?;
    let object_id = req
        .match_info()
        .get("object_id")
        .map(str::to_owned)
        .or_else(|| input.object_uuid.clone())
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ApiError::not_found("No object defined."))?;
    let (object, event, _) = visible_object(&state, &user, &object_id).await?;
    if object.deleted || !may_modify(&user, &event) {
        return Err(ApiError::not_found(INVALID_OBJECT));
    }
    let fail = |field: &str, msg: &str| {
        ApiError::save_failed_with(
            "Could not add ObjectReference",
            json!({ field: [msg] }),
            None,
        )
    };
    let relationship_type = match input.relationship_type_select.as_deref() {
        Some(s) if !s.is_empty() && s != "custom" => s.to_owned(),
        _ => input
            .relationship_type
            .clone()
            .unwrap_or_default()
            .trim()
            .to_owned(),
    };
    if relationship_type.is_empty() {
        return Err(fail(
            "relationship_type",
            "A reference needs a relationship_type.",
        ));
    }
    let target_uuid = input
        .referenced_uuid
        .as_deref()
        .and_then(|u| uuid::Uuid::parse_str(u.trim()).ok())
        .map(|u| u.hyphenated().to_string())
        .ok_or_else(|| ApiError::not_found(INVALID_TARGET))?;
    let target = state
        .store
        .resolve_reference_target(&target_uuid)
        .await?
        .ok_or_else(|| ApiError::not_found(INVALID_TARGET))?;
    if target.event_id != object.event_id {
        return Err(ApiError::not_found(TARGET_ELSEWHERE));
    }
    let uuid = match input
        .uuid
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        None => uuid::Uuid::new_v4().to_string(),
        Some(u) => uuid::Uuid::parse_str(u)
            .map(|u| u.hyphenated().to_string())
            .map_err(|_| fail("uuid", "Please provide a valid RFC 4122 UUID"))?,
    };
    let reference = NewReference {
        uuid,
        referenced_uuid: target_uuid,
        relationship_type,
        comment: input.comment.clone().unwrap_or_default(),
        timestamp: None,
        deleted: false,
    };
    let stored = match state
        .store
        .add_reference(&object, &reference, target, time_fmt::now())
        .await
    {
        Ok(r) => r,
        Err(StoreError::Conflict(_)) => return Err(fail("uuid", UUID_TAKEN)),
        Err(e) => return Err(e.into()),
    };
    Ok(HttpResponse::Ok().json(ReferenceEnvelope {
        reference: reference_view(&stored, &object.uuid),
    }))
}

/// A reference and the object it starts from, if the caller may see them.
async fn visible_reference(
    state: &AppState,
    user: &AuthUser,
    id: &str,
) -> ApiResult<(cydef_model::event::ObjectReference, MispObject, Event)> {
    let r = EntityRef::parse(id).ok_or_else(|| ApiError::not_found(INVALID_REFERENCE))?;
    let reference = state
        .store
        .find_reference(r)
        .await
        .map_err(|e| ApiError::from_store(e, INVALID_REFERENCE))?;
    match visible_object(state, user, &reference.object_id.to_string()).await {
        Ok((object, event, _)) => Ok((reference, object, event)),
        Err(ApiError::NotFound(_)) => Err(ApiError::not_found(INVALID_REFERENCE)),
        Err(e) => Err(e),
    }
}

/// One reference.
#[utoipa::path(get, path = "/object_references/view/{id}", tag = "Objects",
    summary = "View an object reference",
    params(("id" = String, Path, description = "Reference id or UUID")),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = ReferenceEnvelope),
        (status = 403, description = "Authentication failed", body = ErrorBody),
        (status = 404, description = "`Invalid object reference.`", body = ErrorBody)))]
pub async fn view_reference(
    state: web::Data<AppState>,
    user: Authed,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (reference, object, _) = visible_reference(&state, &user, &id).await?;
    Ok(HttpResponse::Ok().json(ReferenceEnvelope {
        reference: reference_view(&reference, &object.uuid),
    }))
}

/// Deletes a reference: softly (marked deleted) or, with
/// `/object_references/delete/{id}/1` (or `/true`), for good.
#[utoipa::path(post, path = "/object_references/delete/{id}", tag = "Objects",
    summary = "Delete an object reference (soft, or hard with `/1`)",
    params(("id" = String, Path, description = "Reference id or UUID")),
    request_body(content = Object, description = "Optional: `{\"hard\": 1}` deletes for good"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "`ObjectReference deleted`", body = SuccessBody),
        (status = 403, description = "No perm_add, or not allowed to change the event (`Invalid object reference.`, as MISP)", body = ErrorBody),
        (status = 404, description = "`Invalid object reference.`", body = ErrorBody)))]
pub async fn delete_reference(
    state: web::Data<AppState>,
    user: Authed<CanAdd>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let id = req.match_info().get("id").unwrap_or_default().to_owned();
    let (reference, _, event) = visible_reference(&state, &user, &id).await?;
    if !may_modify(&user, &event) {
        return Err(ApiError::forbidden(INVALID_REFERENCE));
    }
    let hard = hard_delete(&req, &body, "ObjectReference")?;
    state
        .store
        .delete_reference(reference.id, hard, time_fmt::now())
        .await
        .map_err(|e| ApiError::from_store(e, INVALID_REFERENCE))?;
    Ok(HttpResponse::Ok().json(success_body("ObjectReference deleted", Some(reference.id))))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(bulk_resource("/objects/add/{event_id}").route(web::post().to(add)))
        .service(
            bulk_resource("/objects/add/{event_id}/{template_id}")
                .route(web::post().to(add_with_template)),
        )
        .service(
            resource("/objects/view/{id}")
                .route(web::get().to(view))
                .route(web::head().to(head)),
        )
        .service(
            resource("/objects/edit/{id}")
                .route(web::post().to(edit))
                .route(web::put().to(edit)),
        )
        .service(
            resource("/objects/delete/{id}")
                .route(web::post().to(delete))
                .route(web::delete().to(delete)),
        )
        .service(
            resource("/objects/delete/{id}/{hard}")
                .route(web::post().to(delete))
                .route(web::delete().to(delete)),
        )
        .service(resource("/object_references/add").route(web::post().to(add_reference)))
        .service(
            resource("/object_references/add/{object_id}").route(web::post().to(add_reference)),
        )
        .service(resource("/object_references/view/{id}").route(web::get().to(view_reference)))
        .service(
            resource("/object_references/delete/{id}")
                .route(web::post().to(delete_reference))
                .route(web::delete().to(delete_reference)),
        )
        .service(
            resource("/object_references/delete/{id}/{hard}")
                .route(web::post().to(delete_reference))
                .route(web::delete().to(delete_reference)),
        );
}
