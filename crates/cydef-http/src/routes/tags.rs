//! Tags: `tags/index|view|add|edit|delete|search`, and tagging events and
//! attributes: `tags/attachTagToObject|removeTagFromObject` (by UUID, what
//! PyMISP's `tag()`/`untag()` call), `events/addTag|removeTag` and
//! `attributes/addTag|removeTag` (by id or UUID). Answers are MISP's, each
//! endpoint with its own envelope and messages.

use actix_web::{web, HttpRequest, HttpResponse};
use cydef_model::event::{Attribute, Event, Tag};
use cydef_model::role::Permission;
use cydef_model::tag::{NewTag, TagChanges};
use cydef_model::{time_fmt, EntityRef};
use cydef_store::{Attached, StoreError, TagFilter, TagTarget, TagUsage};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::events::{may_modify, scope_for, visible_event};
use super::{named, resource};
use crate::auth::{AuthUser, Authed, CanEditTags, CanTag, SiteAdmin};
use crate::error::{message_body, success_body, ApiError, ApiResult};
use crate::event_view::Scope;
use crate::normalize::percent_decode;
use crate::views::{ErrorBody, SaveFailedBody, SuccessBody};
use crate::wire::{flex_bool, flex_i64, flex_string, int_str, value_to_bool, MispJson, Wrapped};
use crate::AppState;

const INVALID_TAG_VIEW: &str = "Invalid Tag";
const INVALID_TAG_EDIT: &str = "Invalid tag";
const INVALID_TAG: &str = "Invalid Tag.";
const INVALID_TARGET: &str = "Invalid Target.";
const INVALID_ATTRIBUTE: &str = "Invalid attribute";
const NAME_TAKEN: &str = "A similar name already exists.";
const ORGC_ONLY: &str = "Cannot alter the tags of this data, only the organisation that has created the data (orgc) can modify global tags.";
const EVENT_NO_PERMISSION: &str = "You don't have permission to do that.";

// ---------------------------------------------------------------- views ---

/// A tag (`{"Tag": …}` in add, edit and search answers).
#[derive(Debug, Serialize, ToSchema)]
pub struct TagDetails {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String, example = "3")]
    pub id: i64,
    #[schema(example = "tlp:amber")]
    pub name: String,
    #[schema(example = "#ffc000")]
    pub colour: String,
    pub exportable: bool,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub org_id: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub user_id: i64,
    pub hide_tag: bool,
    pub numerical_value: Option<String>,
    pub is_galaxy: bool,
    pub is_custom_galaxy: bool,
    pub local_only: bool,
}

impl TagDetails {
    pub fn new(t: &Tag) -> Self {
        Self {
            id: t.id,
            name: t.name.clone(),
            colour: t.colour.clone(),
            exportable: t.exportable,
            org_id: t.org_id,
            user_id: t.user_id,
            hide_tag: t.hide_tag,
            numerical_value: t.numerical_value.map(|n| n.to_string()),
            is_galaxy: t.is_galaxy,
            is_custom_galaxy: t.is_custom_galaxy,
            local_only: t.local_only,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TagEnvelope {
    #[serde(rename = "Tag")]
    pub tag: TagDetails,
}

/// A tag with the events and attributes carrying it that the caller may see
/// (`tags/view` answers it bare). The counts are JSON numbers, as in MISP.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagWithCounts {
    #[serde(flatten)]
    pub tag: TagDetails,
    /// Only in `tags/index`; always false (favourites are not kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub favourite: Option<bool>,
    /// Events carrying the tag that the caller may see.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    /// Attributes carrying the tag that the caller may see.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute_count: Option<i64>,
}

/// `tags/index`: `{"Tag": [...]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagIndex {
    #[serde(rename = "Tag")]
    pub tags: Vec<TagWithCounts>,
}

/// The answer of `events/addTag|removeTag` and `attributes/addTag|removeTag`
/// (always HTTP 200 in MISP, whether `saved` or not; Cydef answers refusals
/// for lack of permission with 403 and the same body plus `name`, `message`
/// and `url`).
#[derive(Debug, Serialize, ToSchema)]
pub struct TagActionBody {
    pub saved: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "Tag added.")]
    pub success: Option<String>,
    /// Whether the event was unpublished by the change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_publish: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "Invalid Tag.")]
    pub errors: Option<String>,
}

impl TagActionBody {
    fn done(message: impl Into<String>, check_publish: bool) -> HttpResponse {
        HttpResponse::Ok().json(Self {
            saved: true,
            success: Some(message.into()),
            check_publish: Some(check_publish),
            errors: None,
        })
    }

    fn refused(message: impl Into<String>) -> HttpResponse {
        HttpResponse::Ok().json(Self {
            saved: false,
            success: None,
            check_publish: None,
            errors: Some(message.into()),
        })
    }
}

/// A refusal for lack of permission on one event: 403 with MISP's message as
/// `errors` (and as `name`/`message`).
fn not_allowed(message: &str) -> ApiError {
    ApiError::save_failed_with(message, Value::String(message.to_owned()), None)
}

// --------------------------------------------------------------- inputs ---

/// A tag's fields for `tags/add` and `tags/edit`; absent fields keep their
/// value on edit and take MISP's defaults on add (colour from the name).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TagInput {
    #[serde(default, deserialize_with = "flex_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    pub colour: Option<String>,
    #[serde(default, deserialize_with = "flex_bool")]
    pub exportable: Option<bool>,
    #[serde(default, deserialize_with = "flex_i64")]
    #[schema(value_type = Option<String>)]
    pub org_id: Option<i64>,
    #[serde(default, deserialize_with = "flex_i64")]
    #[schema(value_type = Option<String>)]
    pub user_id: Option<i64>,
    #[serde(default, deserialize_with = "flex_bool")]
    pub hide_tag: Option<bool>,
    #[serde(default, deserialize_with = "flex_i64")]
    #[schema(value_type = Option<String>)]
    pub numerical_value: Option<i64>,
    #[serde(default, deserialize_with = "flex_bool")]
    pub local_only: Option<bool>,
}

impl Wrapped for TagInput {
    const WRAPPER: &'static str = "Tag";
}

impl TagInput {
    fn changes(&self) -> TagChanges {
        TagChanges {
            name: self.name.clone(),
            colour: self.colour.clone(),
            exportable: self.exportable,
            org_id: self.org_id,
            user_id: self.user_id,
            hide_tag: self.hide_tag,
            numerical_value: self.numerical_value,
            local_only: self.local_only,
        }
    }
}

/// `tags/search` body: `{"tag": name or [names]}` or PyMISP's
/// `{"tagname": …, "strict_tagname": …}`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TagSearchInput {
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub tag: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub tagname: Option<Value>,
    #[serde(default, deserialize_with = "flex_bool")]
    pub strict_tagname: Option<bool>,
}

impl Wrapped for TagSearchInput {
    const WRAPPER: &'static str = "Tag";
}

/// `tags/attachTagToObject|removeTagFromObject` body, as PyMISP sends it.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TagObjectInput {
    /// UUID of an event or an attribute.
    #[serde(default, deserialize_with = "flex_string")]
    pub uuid: Option<String>,
    /// A tag name or id, or a list of them (attach only).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub tag: Option<Value>,
    #[serde(default, deserialize_with = "flex_bool")]
    pub local: Option<bool>,
    #[serde(default, deserialize_with = "flex_string")]
    pub relationship_type: Option<String>,
}

impl Wrapped for TagObjectInput {
    const WRAPPER: &'static str = "Tag";
}

/// `events/addTag|removeTag` body: `{"event": id, "tag": …}` (also
/// `event_id`/`id`, `tag_id`, wrapped in `{"Event": …}` or `{"request": …}`).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct EventTagInput {
    #[serde(default, alias = "event_id", alias = "id")]
    #[schema(value_type = Option<String>)]
    pub event: Option<Value>,
    /// A tag id or name, or a list (or JSON-encoded list) of them.
    #[serde(default, alias = "tag_id")]
    #[schema(value_type = Option<Object>)]
    pub tag: Option<Value>,
    #[serde(default, deserialize_with = "flex_bool")]
    pub local: Option<bool>,
    #[serde(default, deserialize_with = "flex_string")]
    pub relationship_type: Option<String>,
}

impl Wrapped for EventTagInput {
    const WRAPPER: &'static str = "Event";
}

/// `attributes/addTag|removeTag` body: `{"attribute": id, "tag": …}` (also
/// `attribute_id`/`id`, `tag_id`, wrapped in `{"Attribute": …}`).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct AttributeTagInput {
    #[serde(default, alias = "attribute_id", alias = "id")]
    #[schema(value_type = Option<String>)]
    pub attribute: Option<Value>,
    /// A tag id or name, or a list (or JSON-encoded list) of them.
    #[serde(default, alias = "tag_id")]
    #[schema(value_type = Option<Object>)]
    pub tag: Option<Value>,
    #[serde(default, deserialize_with = "flex_bool")]
    pub local: Option<bool>,
    #[serde(default, deserialize_with = "flex_string")]
    pub relationship_type: Option<String>,
}

impl Wrapped for AttributeTagInput {
    const WRAPPER: &'static str = "Attribute";
}

// -------------------------------------------------------------- helpers ---

/// A scalar JSON value as text (`"5"` for `5`); lists and objects are not.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Tag references in a request: one id or name, a list, or a JSON-encoded
/// list (as MISP's forms send several); empty entries are dropped.
fn tag_refs(v: &Value) -> Vec<String> {
    let items = match v {
        Value::Array(items) => items.iter().filter_map(scalar).collect(),
        Value::String(s) if s.trim_start().starts_with('[') => {
            match serde_json::from_str::<Value>(s) {
                Ok(Value::Array(items)) => items.iter().filter_map(scalar).collect(),
                _ => vec![s.trim().to_owned()],
            }
        }
        other => scalar(other).into_iter().collect(),
    };
    items
        .into_iter()
        .filter(|s: &String| !s.is_empty())
        .collect()
}

/// A tag id as MISP's `is_numeric` sees it.
fn numeric_id(s: &str) -> Option<i64> {
    s.trim().parse::<i64>().ok()
}

/// A path segment of the matched route, percent-decoded, if present.
fn segment(req: &HttpRequest, name: &str) -> Option<String> {
    req.match_info()
        .get(name)
        .map(|s| percent_decode(s).trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// A flag in the named parameters (`/local:1`).
fn named_flag(req: &HttpRequest, key: &str) -> Option<bool> {
    named(req)
        .get(key)
        .and_then(|v| value_to_bool(&Value::String(v.to_owned())).ok().flatten())
}

fn relationship(r: Option<String>) -> Option<String> {
    r.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// May `user` use `tag` at all? Tags limited to an organisation or a user
/// (`org_id`/`user_id` not 0) are for them only; site admins use any
/// (MISP's `Tag::createConditions`).
fn usable(user: &AuthUser, tag: &Tag) -> bool {
    user.is_site_admin()
        || ((tag.org_id == 0 || tag.org_id == user.org.id)
            && (tag.user_id == 0 || tag.user_id == user.user.id))
}

/// May `user` change the tags of `event`? As MISP's `canModifyTag`: site
/// admins; taggers (or sync users) who may modify the event; for local tags,
/// also taggers of the organisation that holds the event on this instance
/// (`org_id`, Cydef's counterpart of MISP's host organisation).
fn may_tag(user: &AuthUser, event: &Event, local: bool) -> bool {
    user.is_site_admin()
        || ((user.has(Permission::Tagger) || user.has(Permission::Sync))
            && (may_modify(user, event) || (local && event.org_id == user.org.id)))
}

/// May `user` change global tags through `tags/attachTagToObject`? MISP
/// lets only site admins and the creating organisation (`orgc`) do so.
fn may_tag_globally(user: &AuthUser, event: &Event) -> bool {
    user.is_site_admin() || event.orgc_id == user.org.id
}

/// Loads a live attribute `user` may see, with its event; anything else is
/// `not_found`, exactly as a missing one.
async fn visible_attribute(
    state: &AppState,
    user: &AuthUser,
    r: EntityRef,
    not_found: &str,
) -> ApiResult<(Attribute, Event)> {
    let missing = || ApiError::not_found(not_found);
    let attribute = match state.store.get_attribute(r).await {
        Ok(a) if !a.deleted => a,
        Ok(_) | Err(StoreError::NotFound) => return Err(missing()),
        Err(e) => return Err(e.into()),
    };
    let event = state
        .store
        .find_event(EntityRef::Id(attribute.event_id))
        .await
        .map_err(|e| ApiError::from_store(e, not_found))?;
    match scope_for(&user.viewer(state).await?, &event) {
        Some(Scope::Everything) => {}
        Some(scope) if scope.shows(attribute.distribution, attribute.sharing_group_id) => {
            // An attribute inside an object is visible only if the object is.
            if let Some(oid) = attribute.object_id {
                let object = state
                    .store
                    .find_object(EntityRef::Id(oid))
                    .await
                    .map_err(|e| ApiError::from_store(e, not_found))?;
                if object.deleted || !scope.shows(object.distribution, object.sharing_group_id) {
                    return Err(missing());
                }
            }
        }
        _ => return Err(missing()),
    }
    Ok((attribute, event))
}

fn attribute_target(a: &Attribute) -> TagTarget {
    TagTarget::Attribute {
        id: a.id,
        event_id: a.event_id,
        object_id: a.object_id,
    }
}

/// An existing tag by id, or by name (exact, else case-insensitive).
async fn lookup_tag(state: &AppState, reference: &str) -> ApiResult<Option<Tag>> {
    let found = match numeric_id(reference) {
        Some(id) => state.store.get_tag(id).await,
        None => state
            .store
            .find_tag_by_name(reference.trim())
            .await
            .and_then(|t| t.ok_or(StoreError::NotFound)),
    };
    match found {
        Ok(t) => Ok(Some(t)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Tag ids for `events/addTag` and `attributes/addTag`: ids as given; a
/// single name resolved among the tags `user` may use (MISP does not create
/// tags here). `None`: a name that does not resolve.
async fn tag_ids_for(
    state: &AppState,
    user: &AuthUser,
    refs: &[String],
) -> ApiResult<Option<Vec<i64>>> {
    let mut ids = Vec::new();
    for r in refs {
        match numeric_id(r) {
            Some(id) => ids.push(id),
            None => match lookup_tag(state, r).await? {
                Some(t) if usable(user, &t) => ids.push(t.id),
                _ => return Ok(None),
            },
        }
    }
    Ok(Some(ids))
}

fn not_found_to_none<T>(r: Result<T, StoreError>) -> ApiResult<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn with_counts(u: &TagUsage, favourite: Option<bool>, counts: bool) -> TagWithCounts {
    TagWithCounts {
        tag: TagDetails::new(&u.tag),
        favourite,
        count: counts.then_some(u.event_count),
        attribute_count: counts.then_some(u.attribute_count),
    }
}

fn name_taken(action: &str) -> ApiError {
    ApiError::save_failed(
        format!("Could not {action} Tag"),
        &[("name", NAME_TAKEN.to_owned())],
        None,
    )
}

// ------------------------------------------------------------- handlers ---

/// Lists all tags with their usage counts.
///
/// Ordered by name; `count` and `attribute_count` are the events and
/// attributes carrying each tag that the caller may see. Named parameters:
/// `searchall:` (substring of the name), `name:`/`filter:`/`search:` (whole
/// name), `exclude_statistics:1`, `favouritesOnly:1`.
#[utoipa::path(get, path = "/tags/index", tag = "Tags",
    params(
        ("searchall" = Option<String>, Query, description = "Case-insensitive substring of the name (also as the named parameter `searchall:`)"),
        ("name" = Option<String>, Query, description = "Case-insensitive whole name")),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = TagIndex),
        (status = 403, description = "Authentication failed", body = ErrorBody)))]
pub async fn index(
    state: web::Data<AppState>,
    user: Authed,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let params = named(&req);
    let given = |k: &str| {
        params
            .get(k)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let flag = |k: &str| {
        given(k).is_some_and(|v| {
            value_to_bool(&Value::String(v))
                .ok()
                .flatten()
                .unwrap_or(false)
        })
    };
    let filter = TagFilter {
        contains: given("searchall"),
        names: ["name", "filter", "search"]
            .iter()
            .filter_map(|k| given(k))
            .collect(),
    };
    let tags = if flag("favouritesOnly") {
        Vec::new()
    } else {
        state
            .store
            .list_tags(&filter, &user.viewer(&state).await?)
            .await?
    };
    let counts = !flag("exclude_statistics");
    Ok(HttpResponse::Ok().json(TagIndex {
        tags: tags
            .iter()
            .map(|u| with_counts(u, Some(false), counts))
            .collect(),
    }))
}

/// Shows one tag with its usage counts.
///
/// The tag is answered bare (not wrapped), with the events and attributes
/// carrying it that the caller may see.
#[utoipa::path(get, path = "/tags/view/{id}", tag = "Tags",
    params(("id" = String, Path, description = "Numeric tag id")),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = TagWithCounts),
        (status = 403, description = "Authentication failed", body = ErrorBody),
        (status = 404, description = "`Invalid Tag`", body = ErrorBody)))]
pub async fn view(
    state: web::Data<AppState>,
    user: Authed,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = numeric_id(&id).ok_or_else(|| ApiError::not_found(INVALID_TAG_VIEW))?;
    let usage = state
        .store
        .tag_usage(id, &user.viewer(&state).await?)
        .await
        .map_err(|e| ApiError::from_store(e, INVALID_TAG_VIEW))?;
    Ok(HttpResponse::Ok().json(with_counts(&usage, None, true)))
}

/// Creates a tag (perm_tag_editor).
///
/// As in MISP, a tag whose name exists already (compared case-insensitively)
/// is not created again: the existing one is answered.
#[utoipa::path(post, path = "/tags/add", tag = "Tags",
    request_body = TagInput,
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "The new tag, or the existing one of that name", body = TagEnvelope),
        (status = 400, description = "Body is not JSON", body = ErrorBody),
        (status = 403, description = "No perm_tag_editor, or invalid fields (`errors`)", body = SaveFailedBody)))]
pub async fn add(
    state: web::Data<AppState>,
    _user: Authed<CanEditTags>,
    body: MispJson<TagInput>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    let name = input
        .name
        .as_deref()
        .map(cydef_model::tag::clean_name)
        .unwrap_or_default();
    if !name.is_empty() {
        if let Some(existing) = state.store.find_tag_by_name(&name).await? {
            return Ok(HttpResponse::Ok().json(TagEnvelope {
                tag: TagDetails::new(&existing),
            }));
        }
    }
    let tag = input.changes().apply(NewTag::named(&name));
    let errors = tag.validate();
    if !errors.is_empty() {
        return Err(ApiError::save_failed("Could not add Tag", &errors, None));
    }
    match state.store.create_tag(&tag).await {
        Ok(t) => Ok(HttpResponse::Ok().json(TagEnvelope {
            tag: TagDetails::new(&t),
        })),
        Err(StoreError::Conflict(_)) => Err(name_taken("add")),
        Err(e) => Err(e.into()),
    }
}

/// Changes a tag (site admins).
///
/// Site admins only, as in MISP. Absent fields keep their value.
#[utoipa::path(post, path = "/tags/edit/{id}", tag = "Tags",
    params(("id" = String, Path, description = "Numeric tag id")),
    request_body = TagInput,
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = TagEnvelope),
        (status = 400, description = "Body is not JSON", body = ErrorBody),
        (status = 403, description = "Not a site admin, or invalid fields such as a name in use (`errors`)", body = SaveFailedBody),
        (status = 404, description = "`Invalid tag`", body = ErrorBody)))]
pub async fn edit(
    state: web::Data<AppState>,
    _user: Authed<SiteAdmin>,
    id: web::Path<String>,
    body: MispJson<TagInput>,
) -> ApiResult<HttpResponse> {
    let id = numeric_id(&id).ok_or_else(|| ApiError::not_found(INVALID_TAG_EDIT))?;
    let stored = state
        .store
        .get_tag(id)
        .await
        .map_err(|e| ApiError::from_store(e, INVALID_TAG_EDIT))?;
    let tag = body.0.changes().apply(NewTag::from_tag(&stored));
    let errors = tag.validate();
    if !errors.is_empty() {
        return Err(ApiError::save_failed(
            "Could not edit Tag",
            &errors,
            Some(id),
        ));
    }
    match state.store.update_tag(id, &tag).await {
        Ok(t) => Ok(HttpResponse::Ok().json(TagEnvelope {
            tag: TagDetails::new(&t),
        })),
        Err(StoreError::Conflict(_)) => Err(name_taken("edit")),
        Err(e) => Err(ApiError::from_store(e, INVALID_TAG_EDIT)),
    }
}

/// Deletes a tag (site admins).
///
/// Site admins only, as in MISP. The tag is removed from every event and
/// attribute. The answer is MISP's: `{"name", "message", "url"}`.
#[utoipa::path(post, path = "/tags/delete/{id}", tag = "Tags",
    params(("id" = String, Path, description = "Numeric tag id")),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "`Tag deleted.`", body = ErrorBody),
        (status = 403, description = "Not a site admin", body = ErrorBody),
        (status = 404, description = "`Invalid tag`", body = ErrorBody)))]
pub async fn delete(
    state: web::Data<AppState>,
    _user: Authed<SiteAdmin>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = numeric_id(&id).ok_or_else(|| ApiError::not_found(INVALID_TAG_EDIT))?;
    state
        .store
        .delete_tag(id)
        .await
        .map_err(|e| ApiError::from_store(e, INVALID_TAG_EDIT))?;
    let base = state.config.baseurl.as_deref().unwrap_or_default();
    let url = format!("{}/tags/delete/{id}", base.trim_end_matches('/'));
    Ok(HttpResponse::Ok().json(message_body("Tag deleted.", &url)))
}

/// Finds tags by name.
///
/// `%` is a wildcard and case does not matter; with `strict_tagname` (or
/// `/tags/search/{tag}/1`) only whole names or ids match. Answers MISP's
/// list of `{"Tag": …}`.
#[utoipa::path(get, path = "/tags/search/{tag}", tag = "Tags",
    params(("tag" = String, Path, description = "A name; `%` matches any text")),
    request_body(content = TagSearchInput, description = "Alternatively (POST): `{\"tag\": …}` or `{\"tagname\": …, \"strict_tagname\": …}`"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = Vec<TagEnvelope>),
        (status = 400, description = "Body is not JSON", body = ErrorBody),
        (status = 403, description = "Authentication failed", body = ErrorBody)))]
pub async fn search(
    state: web::Data<AppState>,
    _user: Authed,
    req: HttpRequest,
    body: MispJson<TagSearchInput>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    let mut refs = Vec::new();
    if let Some(v) = input.tag.as_ref().or(input.tagname.as_ref()) {
        refs = tag_refs(v);
    }
    if refs.is_empty() {
        refs.extend(segment(&req, "tag"));
    }
    let strict = input.strict_tagname.unwrap_or(false)
        || segment(&req, "strict").is_some_and(|s| {
            value_to_bool(&Value::String(s))
                .ok()
                .flatten()
                .unwrap_or(false)
        });
    let tags: Vec<Tag> = if strict {
        let mut found: Vec<Tag> = Vec::new();
        for r in &refs {
            let t = match numeric_id(r) {
                Some(id) => not_found_to_none(state.store.get_tag(id).await)?,
                None => state.store.find_tag_by_name(r).await?,
            };
            if let Some(t) = t {
                if !found.iter().any(|f| f.id == t.id) {
                    found.push(t);
                }
            }
        }
        found
    } else {
        state.store.search_tags(&refs).await?
    };
    let body: Vec<TagEnvelope> = tags
        .iter()
        .map(|t| TagEnvelope {
            tag: TagDetails::new(t),
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

/// An event or attribute found by UUID for `tags/*TagToObject`.
struct TagObject {
    target: TagTarget,
    kind: &'static str,
    id: i64,
    event: Event,
}

async fn object_by_uuid(state: &AppState, user: &AuthUser, uuid: &str) -> ApiResult<TagObject> {
    let Some(r @ EntityRef::Uuid(_)) = EntityRef::parse(uuid) else {
        return Err(ApiError::not_found(INVALID_TARGET));
    };
    match visible_event(state, user, uuid).await {
        Ok((event, _)) => {
            return Ok(TagObject {
                target: TagTarget::Event(event.id),
                kind: "Event",
                id: event.id,
                event,
            })
        }
        Err(ApiError::NotFound(_)) => {}
        Err(e) => return Err(e),
    }
    let (attribute, event) = visible_attribute(state, user, r, INVALID_TARGET).await?;
    Ok(TagObject {
        target: attribute_target(&attribute),
        kind: "Attribute",
        id: attribute.id,
        event,
    })
}

/// Attaches tags to an event or attribute by UUID.
///
/// What PyMISP's `tag()` calls: `{"uuid", "tag", "local",
/// "relationship_type"}`. A tag name that does not exist yet is created when
/// the caller may create tags. Global tags are for site admins and the
/// creating organisation; local tags for the organisation holding the event.
/// A tag attached already is a success that changes nothing.
#[utoipa::path(post, path = "/tags/attachTagToObject", tag = "Tags",
    request_body = TagObjectInput,
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = SuccessBody),
        (status = 400, description = "No `uuid` or `tag`, or a body that is not JSON", body = ErrorBody),
        (status = 403, description = "No perm_tagger, not the creating organisation (global tags), or every tag refused (`errors` gives the reasons)", body = SaveFailedBody),
        (status = 404, description = "`Invalid Target.`: no event or attribute with that UUID the caller may see", body = ErrorBody)))]
pub async fn attach_to_object(
    state: web::Data<AppState>,
    user: Authed<CanTag>,
    req: HttpRequest,
    body: MispJson<TagObjectInput>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    let uuid = segment(&req, "uuid")
        .or_else(|| {
            input
                .uuid
                .as_deref()
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_owned)
        })
        .ok_or_else(|| ApiError::bad_request("Invalid object uuid"))?;
    let refs = match segment(&req, "tag") {
        Some(t) => tag_refs(&Value::String(t)),
        None => input.tag.as_ref().map(tag_refs).unwrap_or_default(),
    };
    if refs.is_empty() {
        return Err(ApiError::bad_request("Invalid tag"));
    }
    let local = segment(&req, "local")
        .and_then(|s| value_to_bool(&Value::String(s)).ok().flatten())
        .or(input.local)
        .unwrap_or(false);
    let relationship_type = relationship(input.relationship_type);
    let object = object_by_uuid(&state, &user, &uuid).await?;
    if !local && !may_tag_globally(&user, &object.event) {
        return Err(ApiError::forbidden(ORGC_ONLY));
    }
    let now = time_fmt::now();
    let mut fails: Vec<String> = Vec::new();
    let mut existing: Vec<String> = Vec::new();
    let mut successes = 0;
    let mut message = String::new();
    for r in &refs {
        if local && !may_tag(&user, &object.event, true) {
            fails.push("Local tags can only be added by users of the host organisation.".into());
            continue;
        }
        let tag = match lookup_tag(&state, r).await? {
            Some(t) => t,
            None if numeric_id(r).is_some() => {
                fails.push(INVALID_TAG.into());
                continue;
            }
            None if !user.has(Permission::TagEditor) => {
                fails.push("Tag not found and insufficient privileges to create it.".into());
                continue;
            }
            None => match state.store.create_tag(&NewTag::named(r)).await {
                Ok(t) => t,
                Err(StoreError::Conflict(_)) => match lookup_tag(&state, r).await? {
                    Some(t) => t,
                    None => {
                        fails.push(format!(
                            "Unable to create tag. Reason: {{\"name\":[\"{NAME_TAKEN}\"]}}"
                        ));
                        continue;
                    }
                },
                Err(e) => return Err(e.into()),
            },
        };
        if !user.is_site_admin() {
            if tag.org_id != 0 && tag.org_id != user.org.id {
                fails.push("Invalid Tag. This tag can only be set by a fixed organisation.".into());
                continue;
            }
            if tag.user_id != 0 && tag.user_id != user.user.id {
                fails.push("Invalid Tag. This tag can only be set by a fixed user.".into());
                continue;
            }
        }
        if tag.local_only && !local {
            fails.push("Invalid Tag. This tag can only be set as a local tag.".into());
            continue;
        }
        match state
            .store
            .attach_tag(
                object.target,
                tag.id,
                local,
                relationship_type.as_deref(),
                now,
            )
            .await
        {
            Ok(Attached::New) => {
                message = format!(
                    "{} tag {}({}) successfully attached to {}({}).",
                    if local { "Local" } else { "Global" },
                    tag.name,
                    tag.id,
                    object.kind,
                    object.id
                );
            }
            Ok(Attached::Already) => {
                message = format!(
                    "{} already has the requested tag attached, no changes had to be made for tag {}.",
                    object.kind, tag.name
                );
                existing.push(tag.name.clone());
            }
            Err(StoreError::InvalidReference(_) | StoreError::NotFound) => {
                fails.push("Failed to attach tag to object.".into());
                continue;
            }
            Err(e) => return Err(e.into()),
        }
        successes += 1;
    }
    let failed = (!fails.is_empty()).then(|| {
        let reasons: serde_json::Map<String, Value> = fails
            .iter()
            .enumerate()
            .map(|(i, f)| (i.to_string(), Value::String(f.clone())))
            .collect();
        format!(
            "Failed to attach {} tags. Reasons: {}",
            fails.len(),
            Value::Object(reasons)
        )
    });
    if successes == 0 {
        return Err(ApiError::save_failed_with(
            "Could not attachTagToObject Tag",
            Value::String(failed.unwrap_or_default()),
            None,
        ));
    }
    if successes > 1 {
        message = format!(
            "Successfully attached {successes} tags to {} ({})",
            object.kind, object.id
        );
        if !existing.is_empty() {
            message.push_str(&format!(
                ". {} already has the requested tag attached, no changes had to be made for tags {}.",
                object.id,
                Value::from(existing)
            ));
        }
    }
    if let Some(f) = failed {
        message.push('\n');
        message.push_str(&f);
    }
    Ok(HttpResponse::Ok().json(success_body(&message, None)))
}

/// Removes a tag from an event or attribute by UUID.
///
/// What PyMISP's `untag()` calls: `{"uuid", "tag"}`. Global tags are for
/// site admins and the creating organisation; local tags also for the
/// organisation holding the event.
#[utoipa::path(post, path = "/tags/removeTagFromObject", tag = "Tags",
    request_body = TagObjectInput,
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = SuccessBody),
        (status = 400, description = "No `uuid` or `tag`, or a body that is not JSON", body = ErrorBody),
        (status = 403, description = "No perm_tagger, or not allowed to change this object's tags", body = ErrorBody),
        (status = 404, description = "`Invalid Tag.`, `Invalid Target.`, or the tag is not attached", body = ErrorBody)))]
pub async fn remove_from_object(
    state: web::Data<AppState>,
    user: Authed<CanTag>,
    req: HttpRequest,
    body: MispJson<TagObjectInput>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    let uuid = segment(&req, "uuid")
        .or_else(|| {
            input
                .uuid
                .as_deref()
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_owned)
        })
        .ok_or_else(|| ApiError::bad_request("Invalid object uuid"))?;
    let reference = segment(&req, "tag")
        .or_else(|| input.tag.as_ref().and_then(scalar))
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::bad_request("Invalid tag"))?;
    let tag = lookup_tag(&state, &reference)
        .await?
        .ok_or_else(|| ApiError::not_found(INVALID_TAG))?;
    let object = object_by_uuid(&state, &user, &uuid).await?;
    let link = state
        .store
        .find_tag_link(object.target, tag.id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "Could not remove tag as it is not attached to the target {}",
                object.kind
            ))
        })?;
    if link.local {
        if !may_tag(&user, &object.event, true) {
            return Err(ApiError::forbidden(
                "Insufficient privileges to remove local tags from events you do not own.",
            ));
        }
    } else if !may_tag_globally(&user, &object.event) {
        return Err(ApiError::forbidden(ORGC_ONLY));
    }
    let removed = state
        .store
        .detach_tag(object.target, tag.id, time_fmt::now())
        .await
        .map_err(|e| {
            ApiError::from_store(
                e,
                &format!(
                    "Could not remove tag as it is not attached to the target {}",
                    object.kind
                ),
            )
        })?;
    let message = format!(
        "{} tag {} ({}) successfully removed from {}({}).",
        if removed.local { "Local" } else { "Global" },
        tag.name,
        tag.id,
        object.kind,
        object.id
    );
    Ok(HttpResponse::Ok().json(success_body(&message, None)))
}

/// Attaches tags to an event.
///
/// Tags are ids, a name, or a JSON list. `local:1` as a named parameter (or
/// `"local": true` in the body) attaches local tags. MISP's answer:
/// `{"saved": true, "success": "Tag added.", "check_publish": true}`, or
/// `{"saved": false, "errors": …}` (HTTP 200) when the tag is unknown or
/// attached already.
#[utoipa::path(post, path = "/events/addTag/{id}/{tag}", tag = "Tags",
    params(
        ("id" = String, Path, description = "Event id or UUID (or `event` in the body)"),
        ("tag" = String, Path, description = "Tag id or name (or `tag` in the body)")),
    request_body(content = EventTagInput, description = "Optional: `{\"event\": id, \"tag\": …}`"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = TagActionBody),
        (status = 403, description = "No perm_tagger, or not allowed to change this event's tags", body = SaveFailedBody),
        (status = 404, description = "`Invalid event`", body = ErrorBody)))]
pub async fn event_add_tag(
    state: web::Data<AppState>,
    user: Authed<CanTag>,
    req: HttpRequest,
    body: MispJson<EventTagInput>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    let id = segment(&req, "id")
        .or_else(|| input.event.as_ref().and_then(scalar))
        .unwrap_or_default();
    let (event, _) = visible_event(&state, &user, &id).await?;
    let local = named_flag(&req, "local").or(input.local).unwrap_or(false);
    let refs = match segment(&req, "tag") {
        Some(t) => tag_refs(&Value::String(t)),
        None => input.tag.as_ref().map(tag_refs).unwrap_or_default(),
    };
    if !may_tag(&user, &event, local) {
        return Err(not_allowed(EVENT_NO_PERMISSION));
    }
    let Some(ids) = tag_ids_for(&state, &user, &refs)
        .await?
        .filter(|ids| !ids.is_empty())
    else {
        return Ok(TagActionBody::refused(INVALID_TAG));
    };
    let relationship_type = relationship(input.relationship_type);
    let now = time_fmt::now();
    let target = TagTarget::Event(event.id);
    let mut added = 0;
    let mut fails: Vec<&str> = Vec::new();
    for id in ids {
        let tag = match not_found_to_none(state.store.get_tag(id).await)? {
            Some(t) if usable(&user, &t) => t,
            _ => {
                fails.push("Tag not found.");
                continue;
            }
        };
        if state.store.find_tag_link(target, tag.id).await?.is_some() {
            fails.push("Tag is already attached to this event.");
            continue;
        }
        if tag.local_only && !local {
            fails.push("Invalid Tag. This tag can only be set as a local tag.");
            continue;
        }
        match state
            .store
            .attach_tag(target, tag.id, local, relationship_type.as_deref(), now)
            .await?
        {
            Attached::New => added += 1,
            Attached::Already => fails.push("Tag is already attached to this event."),
        }
    }
    Ok(match (added, fails.is_empty()) {
        (0, _) => TagActionBody::refused(fails.join(", ")),
        (1, true) => TagActionBody::done("Tag added.", true),
        (n, true) => TagActionBody::done(format!("{n} tags added."), true),
        (n, false) => {
            let head = if n == 1 {
                "Tag added".to_owned()
            } else {
                format!("{n} tags added")
            };
            TagActionBody::done(
                format!(
                    "{head}, but {} could not be added: {}",
                    fails.len(),
                    fails.join(", ")
                ),
                true,
            )
        }
    })
}

/// Removes a tag from an event.
///
/// The tag is an id or a name. Answers like `events/addTag`.
#[utoipa::path(post, path = "/events/removeTag/{id}/{tag}", tag = "Tags",
    params(
        ("id" = String, Path, description = "Event id or UUID (or `event` in the body)"),
        ("tag" = String, Path, description = "Tag id or name (or `tag` in the body)")),
    request_body(content = EventTagInput, description = "Optional: `{\"event\": id, \"tag\": …}`"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = TagActionBody),
        (status = 403, description = "No perm_tagger, or not allowed to change this event's tags", body = SaveFailedBody),
        (status = 404, description = "`Invalid event`", body = ErrorBody)))]
pub async fn event_remove_tag(
    state: web::Data<AppState>,
    user: Authed<CanTag>,
    req: HttpRequest,
    body: MispJson<EventTagInput>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    let id = segment(&req, "id")
        .or_else(|| input.event.as_ref().and_then(scalar))
        .unwrap_or_default();
    let (event, _) = visible_event(&state, &user, &id).await?;
    let reference = segment(&req, "tag").or_else(|| input.tag.as_ref().and_then(scalar));
    let tag = match reference.filter(|r| !r.is_empty()) {
        Some(r) => lookup_tag(&state, &r).await?,
        None => None,
    };
    let Some(tag) = tag else {
        return Ok(TagActionBody::refused(INVALID_TAG));
    };
    let target = TagTarget::Event(event.id);
    let Some(link) = state.store.find_tag_link(target, tag.id).await? else {
        return Ok(TagActionBody::refused("Invalid event - tag combination."));
    };
    if !may_tag(&user, &event, link.local) {
        return Err(not_allowed(EVENT_NO_PERMISSION));
    }
    match state
        .store
        .detach_tag(target, tag.id, time_fmt::now())
        .await
    {
        Ok(removed) => Ok(TagActionBody::done("Tag removed.", !removed.local)),
        Err(StoreError::NotFound) => Ok(TagActionBody::refused("Invalid event - tag combination.")),
        Err(e) => Err(e.into()),
    }
}

/// Attaches tags to an attribute.
///
/// Tags are ids, a name, or a JSON list. `local:1` as a named parameter (or
/// `"local": true` in the body) attaches local tags. Answers like
/// `events/addTag`.
#[utoipa::path(post, path = "/attributes/addTag/{id}/{tag}", tag = "Tags",
    params(
        ("id" = String, Path, description = "Attribute id or UUID (or `attribute` in the body)"),
        ("tag" = String, Path, description = "Tag id or name (or `tag` in the body)")),
    request_body(content = AttributeTagInput, description = "Optional: `{\"attribute\": id, \"tag\": …}`"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = TagActionBody),
        (status = 403, description = "No perm_tagger, or not allowed to change this event's tags", body = SaveFailedBody),
        (status = 404, description = "`Invalid attribute`, or `Invalid tag` when none is given", body = ErrorBody)))]
pub async fn attribute_add_tag(
    state: web::Data<AppState>,
    user: Authed<CanTag>,
    req: HttpRequest,
    body: MispJson<AttributeTagInput>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    let id = segment(&req, "id")
        .or_else(|| input.attribute.as_ref().and_then(scalar))
        .ok_or_else(|| ApiError::not_found(INVALID_ATTRIBUTE))?;
    let refs = match segment(&req, "tag") {
        Some(t) => tag_refs(&Value::String(t)),
        None => match &input.tag {
            Some(v) => tag_refs(v),
            None => return Err(ApiError::not_found(INVALID_TAG_EDIT)),
        },
    };
    let local = named_flag(&req, "local").or(input.local).unwrap_or(false);
    let Some(ids) = tag_ids_for(&state, &user, &refs)
        .await?
        .filter(|ids| !ids.is_empty())
    else {
        return Ok(TagActionBody::refused(INVALID_TAG));
    };
    let r = EntityRef::parse(&id).ok_or_else(|| ApiError::not_found(INVALID_ATTRIBUTE))?;
    let (attribute, event) = visible_attribute(&state, &user, r, INVALID_ATTRIBUTE).await?;
    if !may_tag(&user, &event, local) {
        return Err(not_allowed(crate::error::NOT_PERMITTED));
    }
    let relationship_type = relationship(input.relationship_type);
    let now = time_fmt::now();
    let target = attribute_target(&attribute);
    let (mut added, mut failed) = (0, 0);
    for id in ids {
        let tag = match not_found_to_none(state.store.get_tag(id).await)? {
            Some(t) if usable(&user, &t) && (local || !t.local_only) => t,
            _ => {
                failed += 1;
                continue;
            }
        };
        match state
            .store
            .attach_tag(target, tag.id, local, relationship_type.as_deref(), now)
            .await?
        {
            Attached::New => added += 1,
            Attached::Already => failed += 1,
        }
    }
    if failed == 0 {
        let message = if added == 1 {
            "Tag added.".to_owned()
        } else {
            format!("{added} tags added")
        };
        return Ok(TagActionBody::done(message, true));
    }
    let mut message = if failed == 1 {
        "Tag could not be added.".to_owned()
    } else {
        format!("{failed} tags could not be added.")
    };
    match added {
        0 => {}
        1 => message.push_str(" However, 1 tag was added."),
        n => message.push_str(&format!(" However, {n} tags were added.")),
    }
    Ok(TagActionBody::refused(message))
}

/// Removes a tag from an attribute.
///
/// The tag is an id or a name. Answers like `events/addTag`.
#[utoipa::path(post, path = "/attributes/removeTag/{id}/{tag}", tag = "Tags",
    params(
        ("id" = String, Path, description = "Attribute id or UUID (or `attribute` in the body)"),
        ("tag" = String, Path, description = "Tag id or name (or `tag` in the body)")),
    request_body(content = AttributeTagInput, description = "Optional: `{\"attribute\": id, \"tag\": …}`"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = TagActionBody),
        (status = 403, description = "No perm_tagger, or not allowed to change this event's tags", body = SaveFailedBody),
        (status = 404, description = "`Invalid attribute`, or `Invalid tag` when none is given", body = ErrorBody)))]
pub async fn attribute_remove_tag(
    state: web::Data<AppState>,
    user: Authed<CanTag>,
    req: HttpRequest,
    body: MispJson<AttributeTagInput>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    let id = segment(&req, "id")
        .or_else(|| input.attribute.as_ref().and_then(scalar))
        .ok_or_else(|| ApiError::not_found(INVALID_ATTRIBUTE))?;
    let reference = match segment(&req, "tag") {
        Some(t) => t,
        None => match &input.tag {
            Some(v) => scalar(v).unwrap_or_default(),
            None => return Err(ApiError::not_found(INVALID_TAG_EDIT)),
        },
    };
    let r = EntityRef::parse(&id).ok_or_else(|| ApiError::not_found(INVALID_ATTRIBUTE))?;
    let (attribute, event) = visible_attribute(&state, &user, r, INVALID_ATTRIBUTE).await?;
    let tag = match reference.is_empty() {
        true => None,
        false => lookup_tag(&state, &reference).await?,
    };
    let Some(tag) = tag else {
        return Ok(TagActionBody::refused(INVALID_TAG));
    };
    let target = attribute_target(&attribute);
    let link = state.store.find_tag_link(target, tag.id).await?;
    if !may_tag(&user, &event, link.as_ref().is_some_and(|l| l.local)) {
        return Err(not_allowed(crate::error::NOT_PERMITTED));
    }
    if link.is_none() {
        return Ok(TagActionBody::refused(
            "Invalid attribute - tag combination.",
        ));
    }
    match state
        .store
        .detach_tag(target, tag.id, time_fmt::now())
        .await
    {
        Ok(removed) => Ok(TagActionBody::done("Tag removed.", !removed.local)),
        Err(StoreError::NotFound) => Ok(TagActionBody::refused(
            "Invalid attribute - tag combination.",
        )),
        Err(e) => Err(e.into()),
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/tags/index")
            .route(web::get().to(index))
            .route(web::post().to(index)),
    )
    .service(resource("/tags").route(web::get().to(index)))
    .service(resource("/tags/view/{id}").route(web::get().to(view)))
    .service(resource("/tags/add").route(web::post().to(add)))
    .service(
        resource("/tags/edit/{id}")
            .route(web::post().to(edit))
            .route(web::put().to(edit)),
    )
    .service(
        resource("/tags/delete/{id}")
            .route(web::post().to(delete))
            .route(web::delete().to(delete)),
    );
    for path in [
        "/tags/search",
        "/tags/search/{tag}",
        "/tags/search/{tag}/{strict}",
    ] {
        cfg.service(
            resource(path)
                .route(web::get().to(search))
                .route(web::post().to(search)),
        );
    }
    for path in [
        "/tags/attachTagToObject",
        "/tags/attachTagToObject/{uuid}",
        "/tags/attachTagToObject/{uuid}/{tag}",
        "/tags/attachTagToObject/{uuid}/{tag}/{local}",
    ] {
        cfg.service(resource(path).route(web::post().to(attach_to_object)));
    }
    for path in [
        "/tags/removeTagFromObject",
        "/tags/removeTagFromObject/{uuid}",
        "/tags/removeTagFromObject/{uuid}/{tag}",
    ] {
        cfg.service(resource(path).route(web::post().to(remove_from_object)));
    }
    for suffix in ["", "/{id}", "/{id}/{tag}"] {
        cfg.service(
            resource(&format!("/events/addTag{suffix}")).route(web::post().to(event_add_tag)),
        )
        .service(
            resource(&format!("/events/removeTag{suffix}")).route(web::post().to(event_remove_tag)),
        )
        .service(
            resource(&format!("/attributes/addTag{suffix}"))
                .route(web::post().to(attribute_add_tag)),
        )
        .service(
            resource(&format!("/attributes/removeTag{suffix}"))
                .route(web::post().to(attribute_remove_tag)),
        );
    }
}
