//! Events: add (a whole nested document), view, delete, publish, unpublish,
//! index, and the event blocklist. Both URL styles MISP accepts are served:
//! action style (`/events/view/{id}`) and REST (`GET /events/{id}`).

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use cydef_model::event::{parse_events, EventIn, NewEvent, Rejection};
use cydef_model::role::Permission;
use cydef_model::{time_fmt, EntityRef, Organisation};
use cydef_store::{StoreError, Viewer};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use super::{bulk_resource, named, resource};
use crate::auth::{AuthUser, Authed, CanAdd, CanModify, CanPublish, SiteAdmin};
use crate::error::{success_body, ApiError, ApiResult, NO_PERMISSION};
use crate::event_view::{self, EventEnvelope, EventOrg, Scope};
use crate::ingest::{self, Importer, Outcome};
use crate::views::{ErrorBody, SaveFailedBody, SuccessBody};
use crate::wire::{int_str, BODY_LIMIT, INVALID_JSON};
use crate::AppState;

pub(crate) const INVALID_EVENT: &str = "Invalid event";

/// A body wrapped as `{"Event": …}`, the shape PyMISP and exports use; read
/// straight into typed structs without an intermediate JSON tree.
#[derive(Deserialize)]
struct Wrapped {
    #[serde(rename = "Event")]
    event: EventIn,
}

/// Reads an event document in any of MISP's shapes.
pub(crate) fn read_document(bytes: &[u8]) -> ApiResult<Vec<EventIn>> {
    if bytes.len() > BODY_LIMIT {
        return Err(ApiError::bad_request("The request body is too large."));
    }
    if crate::wire::has_nul_escape(bytes) {
        return Err(ApiError::bad_request(crate::wire::NUL_REFUSED));
    }
    match serde_json::from_slice::<Wrapped>(bytes) {
        Ok(w) => return Ok(vec![w.event]),
        Err(e) if e.is_syntax() || e.is_eof() => return Err(ApiError::bad_request(INVALID_JSON)),
        Err(_) => {}
    }
    let value: Value =
        serde_json::from_slice(bytes).map_err(|_| ApiError::bad_request(INVALID_JSON))?;
    parse_events(value).map_err(|e| ApiError::bad_request(e.0))
}

/// `errors` for a refused document: `{"Attribute[3]": {"value": ["…"], "uuid": "…"}}`.
pub(crate) fn rejection_errors(rejections: &[Rejection]) -> Value {
    let mut errors = Map::new();
    for r in rejections {
        let entry = errors
            .entry(r.path.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(fields) = entry {
            // The part's UUID identifies it, unless the message is about the UUID.
            if let (Some(uuid), false) = (&r.uuid, r.field == "uuid") {
                fields.insert("uuid".into(), Value::String(uuid.clone()));
            }
            let list = fields
                .entry(r.field.to_owned())
                .or_insert_with(|| Value::Array(Vec::new()));
            if !list.is_array() {
                *list = Value::Array(Vec::new());
            }
            if let Value::Array(list) = list {
                list.push(Value::String(r.message.clone()));
            }
        }
    }
    Value::Object(errors)
}

/// Whether `viewer` may see `event` at all, and how much of it (MISP's
/// `Event::createEventConditions`; the store's `sql/visibility.rs` is the
/// same rule in SQL). Site admins and the owning or creating organisation
/// see everything; other organisations see events shared beyond the
/// organisation (distribution 1–3) and sharing-group events (4) of a group
/// they are authorised for, with only the parts [`Scope::shows`] shows.
pub(crate) fn scope_for(viewer: &Viewer, event: &cydef_model::event::Event) -> Option<Scope> {
    let groups = &viewer.sharing_groups;
    if viewer.site_admin || event.org_id == viewer.org_id || event.orgc_id == viewer.org_id {
        Some(Scope::Everything)
    } else if (1..=3).contains(&event.distribution)
        || (event.distribution == 4 && groups.contains(event.sharing_group_id))
    {
        Some(Scope::SharedOnly(groups.clone()))
    } else {
        None
    }
}

/// Loads an event `user` may see; anything else is `Invalid event`, exactly
/// as a missing one, so that existence does not leak.
pub(crate) async fn visible_event(
    state: &AppState,
    user: &AuthUser,
    id: &str,
) -> ApiResult<(cydef_model::event::Event, Scope)> {
    let r = EntityRef::parse(id).ok_or_else(|| ApiError::not_found(INVALID_EVENT))?;
    let event = state
        .store
        .find_event(r)
        .await
        .map_err(|e| ApiError::from_store(e, INVALID_EVENT))?;
    let viewer = user.viewer(state).await?;
    let scope = scope_for(&viewer, &event).ok_or_else(|| ApiError::not_found(INVALID_EVENT))?;
    Ok((event, scope))
}

/// May `user` change or delete `event`? As MISP: site admins; users with
/// perm_modify_org on their organisation's events; users with perm_modify on
/// events they created.
pub(crate) fn may_modify(user: &AuthUser, event: &cydef_model::event::Event) -> bool {
    user.is_site_admin()
        || (event.orgc_id == user.org.id
            && (user.has(Permission::ModifyOrg)
                || (user.has(Permission::Modify) && event.user_id == user.user.id)))
}

async fn org_of(state: &AppState, id: i64) -> ApiResult<Organisation> {
    state
        .store
        .get_org(EntityRef::Id(id))
        .await
        .map_err(ApiError::from)
}

/// The event's organisation and creating organisation.
async fn orgs_of(
    store: &dyn cydef_store::Store,
    event: &cydef_model::event::Event,
) -> ApiResult<(Organisation, Organisation)> {
    let org = store.get_org(EntityRef::Id(event.org_id)).await?;
    let orgc = if event.orgc_id == event.org_id {
        org.clone()
    } else {
        store.get_org(EntityRef::Id(event.orgc_id)).await?
    };
    Ok((org, orgc))
}

/// The view built whole in memory (see [`event_view::build`]), for answers
/// that need an [`EventEnvelope`] value; event views use [`view_response`].
pub(crate) async fn render(
    state: &AppState,
    user: &AuthUser,
    event: &cydef_model::event::Event,
    scope: Scope,
) -> ApiResult<EventEnvelope> {
    let contents = state.store.event_contents(event.id).await?;
    let (org, orgc) = orgs_of(state.store.as_ref(), event).await?;
    Ok(event_view::build(
        event,
        &org,
        &orgc,
        contents,
        scope,
        user.org.id,
    ))
}

/// Answers with the view of `event` as a reader with `scope` sees it,
/// streamed batch by batch (see [`event_view`]), with soft-deleted parts
/// only when `with_deleted` and the reader sees everything. Everything that
/// can fail with an error answer is read before the response starts.
pub(crate) async fn view_response(
    state: &AppState,
    user: &AuthUser,
    event: &cydef_model::event::Event,
    scope: Scope,
    with_deleted: bool,
) -> ApiResult<HttpResponse> {
    let parts = view_spec(&state.store, user.org.id, event, scope, with_deleted).await?;
    let view = parts.with_spec(event, |spec| {
        event_view::store_stream(state.store.clone(), spec)
    })?;
    Ok(event_view::respond(view).await?)
}

/// What a view of an event needs besides the event, read before it starts.
pub(crate) struct ViewParts {
    org: Organisation,
    orgc: Organisation,
    parts: cydef_store::EventParts,
    visibility: event_view::Visibility,
    attribute_count: i64,
}

impl ViewParts {
    /// Hands the parts to `f` as the [`event_view::ViewSpec`] of `event`.
    fn with_spec<T>(
        self,
        event: &cydef_model::event::Event,
        f: impl FnOnce(event_view::ViewSpec<'_>) -> T,
    ) -> T {
        let ViewParts {
            org,
            orgc,
            parts,
            visibility,
            attribute_count,
        } = self;
        f(event_view::ViewSpec {
            event,
            org: &org,
            orgc: &orgc,
            parts,
            visibility,
            attribute_count,
        })
    }
}

/// Reads what the view of `event` needs for a reader of organisation
/// `viewer_org_id` with `scope`.
async fn view_spec(
    store: &Arc<dyn cydef_store::Store>,
    viewer_org_id: i64,
    event: &cydef_model::event::Event,
    scope: Scope,
    with_deleted: bool,
) -> Result<ViewParts, StoreError> {
    let org = store.get_org(EntityRef::Id(event.org_id)).await?;
    let orgc = if event.orgc_id == event.org_id {
        org.clone()
    } else {
        store.get_org(EntityRef::Id(event.orgc_id)).await?
    };
    let parts = store.event_parts(event.id).await?;
    let attribute_count = match &scope {
        Scope::Everything => event.attribute_count,
        // Another organisation's count is of what it may see, so that the
        // number does not reveal hidden attributes.
        Scope::SharedOnly(groups) => store.shared_attribute_count(event.id, groups).await?,
    };
    Ok(ViewParts {
        org,
        orgc,
        parts,
        visibility: event_view::Visibility::new(scope, with_deleted, viewer_org_id),
        attribute_count,
    })
}

/// The view of `event` as a stream of body chunks (see [`view_response`]),
/// for answers made of several views.
pub(crate) async fn view_stream(
    store: &Arc<dyn cydef_store::Store>,
    viewer_org_id: i64,
    event: &cydef_model::event::Event,
    scope: Scope,
    with_deleted: bool,
) -> Result<event_view::StoreViewStream, event_view::ViewError> {
    let parts = view_spec(store, viewer_org_id, event, scope, with_deleted).await?;
    parts.with_spec(event, |spec| event_view::store_stream(store.clone(), spec))
}

/// What `user` may keep of a document they write: the creator and sighting
/// organisations it names (site admins and sync users), `published`.
pub(crate) fn importer(user: &AuthUser) -> Importer {
    Importer {
        user_id: user.user.id,
        org_id: user.org.id,
        keep_creator: user.is_site_admin() || user.has(Permission::Sync),
        may_publish: user.has(Permission::Publish),
    }
}

/// Stores one validated document for `user`; returns the new event's id.
pub(crate) async fn store_event(state: &AppState, user: &AuthUser, ev: NewEvent) -> ApiResult<i64> {
    let who = importer(user);
    match ingest::import(state.store.as_ref(), &who, ev).await {
        Ok(Outcome::Created(id)) => Ok(id),
        Ok(Outcome::Exists(id)) => {
            // MISP points at the existing event. Only when the caller may see
            // it: otherwise the answer must not give its id away (that the
            // UUID is taken cannot be hidden, as UUIDs are unique).
            let visible = match state.store.find_event(EntityRef::Id(id)).await {
                Ok(e) => scope_for(&user.viewer(state).await?, &e).is_some(),
                Err(_) => false,
            };
            if visible {
                Err(ApiError::AlreadyExists {
                    message: "Event already exists, if you would like to edit it, use the url in the location header.".into(),
                    location: format!("/events/{id}"),
                })
            } else {
                Err(ApiError::save_failed_with(
                    "Could not add Event",
                    json!({"Event": {"uuid": ["An event with this UUID already exists."]}}),
                    None,
                ))
            }
        }
        Ok(Outcome::Blocklisted) => Err(ApiError::save_failed_with(
            "Could not add Event",
            json!({"Event": ["Event blocked by event blocklist."]}),
            None,
        )),
        Err(StoreError::Conflict("uuid")) => Err(ApiError::save_failed_with(
            "Could not add Event",
            json!({"Event": {"uuid": ["An event with this UUID already exists."]}}),
            None,
        )),
        Err(StoreError::Conflict(field)) => Err(ApiError::save_failed_with(
            "Could not add Event",
            json!({ field: ["An item with this UUID already exists on this instance."] }),
            None,
        )),
        Err(e) => Err(e.into()),
    }
}

/// Creates an event from a whole MISP document: attributes, objects with
/// their attributes and references, tags, galaxy clusters (kept as their
/// `misp-galaxy:` tags), sightings, proposals and reports. A document with
/// any invalid part is refused whole, every reason listed; nothing is stored.
#[utoipa::path(post, path = "/events/add", tag = "Events",
    request_body(content = Object, description = "`{\"Event\": {…}}`, `{\"response\": [{\"Event\": …}]}` or a bare event"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "The stored event", body = EventEnvelope),
        (status = 400, description = "Body is not JSON or not an event", body = ErrorBody),
        (status = 403, description = "No perm_add, or the document was refused (`errors` names each part and why)", body = SaveFailedBody),
        (status = 404, description = "An event with this UUID exists; see the Location header", body = ErrorBody)))]
pub async fn add(
    state: web::Data<AppState>,
    user: Authed<CanAdd>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let mut docs = read_document(&body)?;
    if docs.len() != 1 {
        return Err(ApiError::bad_request("Send one event per request."));
    }
    let doc = docs.remove(0);
    let mut ev = doc.validate().map_err(|r| {
        ApiError::save_failed_with("Could not add Event", rejection_errors(&r), None)
    })?;
    let refused = crate::sharing::check_groups(&state, &user, &mut ev).await?;
    if !refused.is_empty() {
        return Err(ApiError::save_failed_with(
            "Could not add Event",
            rejection_errors(&refused),
            None,
        ));
    }
    // Objects naming a known template must satisfy it.
    let rejected = super::objects::template_rejections(&state, &ev).await?;
    if !rejected.is_empty() {
        return Err(ApiError::save_failed_with(
            "Could not add Event",
            rejection_errors(&rejected),
            None,
        ));
    }
    let id = store_event(&state, &user, ev).await?;
    let event = state.store.find_event(EntityRef::Id(id)).await?;
    view_response(&state, &user, &event, Scope::Everything, false).await
}

/// One event with everything the caller may see in it. Soft-deleted
/// attributes and objects are left out unless `deleted:1` (named parameter,
/// query or, as PyMISP sends it, `{"deleted": true}` in a POST body).
#[utoipa::path(get, path = "/events/view/{id}", tag = "Events",
    params(("id" = String, Path, description = "Numeric id or UUID")),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = EventEnvelope),
        (status = 403, description = "Authentication failed", body = ErrorBody),
        (status = 404, description = "`Invalid event`: unknown, malformed or not visible", body = ErrorBody)))]
pub async fn view(
    state: web::Data<AppState>,
    user: Authed,
    id: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    show(&state, &user, &id, &req, &[]).await
}

/// `POST /events/view/{id}`: PyMISP sends its options (`deleted`) as a body.
async fn view_post(
    state: web::Data<AppState>,
    user: Authed,
    id: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    show(&state, &user, &id, &req, &body).await
}

async fn show(
    state: &AppState,
    user: &AuthUser,
    id: &str,
    req: &HttpRequest,
    body: &[u8],
) -> ApiResult<HttpResponse> {
    let params = named(req);
    let mut with_deleted = params
        .get("deleted")
        .and_then(|v| {
            crate::wire::value_to_bool(&Value::String(v.to_owned()))
                .ok()
                .flatten()
        })
        .unwrap_or(false);
    if !body.is_empty() {
        let options = crate::wire::parse_body(body, "Event")?;
        if let Some(v) = options.get("deleted") {
            with_deleted = crate::wire::value_to_bool(v)
                .ok()
                .flatten()
                .unwrap_or(false);
        }
    }
    let (event, scope) = visible_event(state, user, id).await?;
    // Soft-deleted parts are the owner's business: others never see them
    // (`Visibility::new`).
    view_response(state, user, &event, scope, with_deleted).await
}

async fn head(state: web::Data<AppState>, user: Authed, id: web::Path<String>) -> HttpResponse {
    match visible_event(&state, &user, &id).await {
        Ok(_) => HttpResponse::Ok().finish(),
        Err(_) => HttpResponse::NotFound().finish(),
    }
}

/// Deletes an event and everything in it, and puts its UUID on the event
/// blocklist so that it is not imported again.
#[utoipa::path(post, path = "/events/delete/{id}", tag = "Events",
    params(("id" = String, Path, description = "Numeric id or UUID")),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = SuccessBody),
        (status = 403, description = "Not allowed to change this event", body = ErrorBody),
        (status = 404, description = "`Invalid event`", body = ErrorBody)))]
pub async fn delete(
    state: web::Data<AppState>,
    user: Authed<CanModify>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (event, _) = visible_event(&state, &user, &id).await?;
    if !may_modify(&user, &event) {
        return Err(ApiError::forbidden(NO_PERMISSION));
    }
    let orgc = org_of(&state, event.orgc_id).await?;
    state
        .store
        .delete_event(event.id, Some(("Deleted from this instance", &orgc.name)))
        .await
        .map_err(|e| ApiError::from_store(e, INVALID_EVENT))?;
    Ok(HttpResponse::Ok().json(success_body("Event deleted.", Some(event.id))))
}

async fn set_published(
    state: &AppState,
    user: &AuthUser,
    id: &str,
    published: bool,
) -> ApiResult<HttpResponse> {
    let (event, _) = visible_event(state, user, id).await?;
    if !(user.is_site_admin() || event.orgc_id == user.org.id) {
        return Err(ApiError::forbidden(NO_PERMISSION));
    }
    let event = state
        .store
        .set_published(event.id, published, time_fmt::now())
        .await
        .map_err(|e| ApiError::from_store(e, INVALID_EVENT))?;
    let message = if published {
        "Event published without alerts"
    } else {
        "Event unpublished."
    };
    Ok(HttpResponse::Ok().json(success_body(message, Some(event.id))))
}

/// Publishes an event (`published`, `publish_timestamp`).
#[utoipa::path(post, path = "/events/publish/{id}", tag = "Events",
    params(("id" = String, Path, description = "Numeric id or UUID")),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = SuccessBody),
        (status = 403, description = "No perm_publish, or not the creating organisation", body = ErrorBody),
        (status = 404, description = "`Invalid event`", body = ErrorBody)))]
pub async fn publish(
    state: web::Data<AppState>,
    user: Authed<CanPublish>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    set_published(&state, &user, &id, true).await
}

/// Unpublishes an event.
#[utoipa::path(post, path = "/events/unpublish/{id}", tag = "Events",
    params(("id" = String, Path, description = "Numeric id or UUID")),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = SuccessBody),
        (status = 403, description = "No perm_publish, or not the creating organisation", body = ErrorBody),
        (status = 404, description = "`Invalid event`", body = ErrorBody)))]
pub async fn unpublish(
    state: web::Data<AppState>,
    user: Authed<CanPublish>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    set_published(&state, &user, &id, false).await
}

/// One row of the events index.
#[derive(serde::Serialize, ToSchema)]
pub struct IndexEntry {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub org_id: i64,
    pub date: String,
    pub info: String,
    pub uuid: String,
    pub published: bool,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub analysis: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub attribute_count: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub orgc_id: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub timestamp: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub distribution: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub sharing_group_id: i64,
    pub proposal_email_lock: bool,
    pub locked: bool,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub threat_level_id: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub publish_timestamp: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub sighting_timestamp: i64,
    pub disable_correlation: bool,
    pub extends_uuid: String,
    #[serde(rename = "Org")]
    pub org: EventOrg,
    #[serde(rename = "Orgc")]
    pub orgc: EventOrg,
}

/// Events the caller may see, newest first, with MISP's index filters
/// (`searchinfo`, `searchorg`, `searchtag`, `searchpublished`,
/// `searchdatefrom`/`searchdateuntil`, `eventid`, …), `limit`/`page` and
/// `sort`/`direction`, as named parameters, query string or body (see
/// [`super::search::index`]).
#[utoipa::path(get, path = "/events/index", tag = "Events",
    request_body(content = Object, description = "Optional filters (PyMISP's `search_index` POSTs them)"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "`X-Result-Count` is the number of matching events in all pages", body = Vec<super::search::IndexRow>),
        (status = 400, description = "A filter cannot be read, or the body is not JSON", body = ErrorBody),
        (status = 403, description = "Authentication failed", body = ErrorBody)))]
pub async fn index(
    state: web::Data<AppState>,
    user: Authed,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    super::search::index(&state, &user, &req, &body).await
}

/// An entry of the event blocklist.
#[derive(serde::Serialize, ToSchema)]
pub struct BlocklistView {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub id: i64,
    pub event_uuid: String,
    pub created: String,
    pub event_info: String,
    pub comment: String,
    pub event_orgc: String,
}

#[derive(serde::Serialize, ToSchema)]
pub struct BlocklistEnvelope {
    #[serde(rename = "EventBlocklist")]
    pub entry: BlocklistView,
}

fn blocklist_view(b: &cydef_model::event::BlocklistEntry) -> BlocklistEnvelope {
    BlocklistEnvelope {
        entry: BlocklistView {
            id: b.id,
            event_uuid: b.event_uuid.clone(),
            created: time_fmt::datetime(b.created),
            event_info: b.event_info.clone(),
            comment: b.comment.clone(),
            event_orgc: b.event_orgc.clone(),
        },
    }
}

/// Event UUIDs that are refused on import (site admins).
#[utoipa::path(get, path = "/event_blocklists/index", tag = "Events",
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = Vec<BlocklistEnvelope>),
        (status = 403, description = "Not a site admin", body = ErrorBody)))]
pub async fn blocklist_index(
    state: web::Data<AppState>,
    _user: Authed<SiteAdmin>,
) -> ApiResult<HttpResponse> {
    let entries = state.store.list_blocklist().await?;
    Ok(HttpResponse::Ok().json(entries.iter().map(blocklist_view).collect::<Vec<_>>()))
}

/// Blocks event UUIDs from import: `{"uuids": […], "comment", "info", "eorgc"}`.
#[derive(Deserialize, ToSchema)]
pub struct BlocklistInput {
    pub uuids: Vec<String>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub info: Option<String>,
    #[serde(default)]
    pub eorgc: Option<String>,
}

impl crate::wire::Wrapped for BlocklistInput {
    const WRAPPER: &'static str = "EventBlocklist";
}

/// Adds UUIDs to the event blocklist (site admins).
#[utoipa::path(post, path = "/event_blocklists/add", tag = "Events",
    request_body = BlocklistInput,
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = Vec<BlocklistEnvelope>),
        (status = 400, description = "Body is not JSON", body = ErrorBody),
        (status = 403, description = "Not a site admin, or an invalid or already blocked UUID", body = SaveFailedBody)))]
pub async fn blocklist_add(
    state: web::Data<AppState>,
    _user: Authed<SiteAdmin>,
    body: crate::wire::MispJson<BlocklistInput>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    let mut uuids = Vec::new();
    for raw in &input.uuids {
        match uuid::Uuid::parse_str(raw.trim()) {
            Ok(u) => uuids.push(u.hyphenated().to_string()),
            Err(_) => {
                return Err(ApiError::save_failed(
                    "Could not add EventBlocklist",
                    &[("uuids", format!("{raw} is not a valid UUID."))],
                    None,
                ))
            }
        }
    }
    let now = time_fmt::now();
    let mut added = Vec::new();
    for u in uuids {
        match state
            .store
            .add_blocklist(
                &u,
                input.info.as_deref().unwrap_or_default(),
                input.comment.as_deref().unwrap_or_default(),
                input.eorgc.as_deref().unwrap_or_default(),
                now,
            )
            .await
        {
            Ok(b) => added.push(blocklist_view(&b)),
            Err(StoreError::Conflict(_)) => {
                return Err(ApiError::save_failed(
                    "Could not add EventBlocklist",
                    &[("event_uuid", format!("{u} is already blocked."))],
                    None,
                ))
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(HttpResponse::Ok().json(added))
}

/// Removes an entry from the event blocklist (site admins).
#[utoipa::path(post, path = "/event_blocklists/delete/{id}", tag = "Events",
    params(("id" = String, Path)),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = SuccessBody),
        (status = 403, description = "Not a site admin", body = ErrorBody),
        (status = 404, description = "`Invalid blocklist entry`", body = ErrorBody)))]
pub async fn blocklist_delete(
    state: web::Data<AppState>,
    _user: Authed<SiteAdmin>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let not_found = "Invalid blocklist entry";
    let id = id
        .parse::<i64>()
        .map_err(|_| ApiError::not_found(not_found))?;
    state
        .store
        .delete_blocklist(id)
        .await
        .map_err(|e| ApiError::from_store(e, not_found))?;
    Ok(HttpResponse::Ok().json(success_body("Blocklist entry removed", Some(id))))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(bulk_resource("/events/add").route(web::post().to(add)))
        .service(
            resource("/events/view/{id}")
                .route(web::get().to(view))
                .route(web::post().to(view_post))
                .route(web::head().to(head)),
        )
        .service(
            resource("/events/delete/{id}")
                .route(web::post().to(delete))
                .route(web::delete().to(delete)),
        )
        .service(resource("/events/publish/{id}").route(web::post().to(publish)))
        .service(resource("/events/unpublish/{id}").route(web::post().to(unpublish)))
        .service(
            resource("/events/index")
                .route(web::get().to(index))
                .route(web::post().to(index)),
        )
        .service(
            bulk_resource("/events")
                .route(web::get().to(index))
                .route(web::post().to(add)),
        )
        .service(
            bulk_resource("/events/edit/{id}")
                .route(web::post().to(super::event_edit::edit))
                .route(web::put().to(super::event_edit::edit)),
        )
        .service(
            bulk_resource("/events/{id}")
                .route(web::get().to(view))
                .route(web::head().to(head))
                .route(web::put().to(super::event_edit::edit))
                .route(web::post().to(super::event_edit::edit))
                .route(web::delete().to(delete)),
        )
        .service(resource("/event_blocklists/index").route(web::get().to(blocklist_index)))
        .service(resource("/event_blocklists/add").route(web::post().to(blocklist_add)))
        .service(
            resource("/event_blocklists/delete/{id}")
                .route(web::post().to(blocklist_delete))
                .route(web::delete().to(blocklist_delete)),
        );
}
