//! Sharing groups: `sharing_groups/index|view|add|edit|delete` and the quick
//! edits `sharing_groups/addOrg|removeOrg|addServer|removeServer`.
//!
//! Who may do what is MISP's (see `cydef_model::sharing_group`): anyone sees
//! the groups they may use; `perm_sharing_group` is needed for every change;
//! only the creator organisation (or a site admin) edits and deletes; members
//! with `extend` may also add and remove members. A group the caller may not
//! see answers exactly as a missing one.

use actix_web::{web, HttpRequest, HttpResponse};
use cydef_model::sharing_group::{
    Actor, MemberOrgIn, MemberServerIn, NewSharingGroup, OrgKey, SharingGroupDetail,
    SharingGroupInput, SharingGroupRequest, LOCAL_SERVER,
};
use cydef_model::{time_fmt, EntityRef, Organisation};
use cydef_store::{SharingGroupOwner, SharingGroupPatch, StoreError, Viewer};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::{named, resource};
use crate::auth::{AuthUser, Authed, CanSharingGroup};
use crate::error::{success_body, ApiError, ApiResult};
use crate::views::{ErrorBody, OrganisationView, SaveFailedBody, SuccessBody};
use crate::wire::{int_str, value_to_bool, MispJson, Wrapped};
use crate::AppState;

const INVALID: &str = "Invalid sharing group";
const NOT_ALLOWED: &str = "Action not allowed.";
const NO_EDIT_RIGHTS: &str = "Invalid sharing group or no editing rights.";
const NO_SG_ID: &str = "No valid sharing group ID provided.";
const INVALID_ORG: &str = "Invalid organisation.";
const INVALID_SERVER: &str = "Invalid Server.";

impl Wrapped for SharingGroupInput {
    const WRAPPER: &'static str = "SharingGroup";
}

fn actor(u: &AuthUser) -> Actor {
    Actor {
        org_id: u.org.id,
        site_admin: u.is_site_admin(),
        perm_sharing_group: u.has(cydef_model::Permission::SharingGroup),
    }
}

// ---------------------------------------------------------------- views

/// A sharing group's own fields, in MISP's column order.
#[derive(Debug, Serialize, ToSchema)]
pub struct SharingGroupView {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String, example = "1")]
    pub id: i64,
    pub name: String,
    pub releasability: String,
    pub description: String,
    pub uuid: String,
    pub organisation_uuid: String,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub org_id: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub sync_user_id: i64,
    pub active: bool,
    /// `YYYY-MM-DD HH:MM:SS`
    pub created: String,
    pub modified: String,
    pub local: bool,
    pub roaming: bool,
}

/// The fields `sharing_groups/index` shows of a group.
#[derive(Debug, Serialize, ToSchema)]
pub struct SharingGroupIndexFields {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String, example = "1")]
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub description: String,
    pub releasability: String,
    pub local: bool,
    pub active: bool,
    pub roaming: bool,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub org_count: i64,
}

/// An organisation as sharing groups show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SharingGroupOrgBrief {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub id: i64,
    pub name: String,
    pub uuid: String,
    pub local: bool,
}

impl SharingGroupOrgBrief {
    fn new(o: &Organisation) -> Self {
        Self {
            id: o.id,
            name: o.name.clone(),
            uuid: o.uuid.clone(),
            local: o.local,
        }
    }
}

/// A member organisation (`SharingGroupOrg`).
#[derive(Debug, Serialize, ToSchema)]
pub struct SharingGroupOrgView {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub sharing_group_id: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub org_id: i64,
    pub extend: bool,
    #[serde(rename = "Organisation")]
    pub organisation: SharingGroupOrgBrief,
}

/// A server as sharing groups show it; server 0 is `Local instance`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SharingGroupServerBrief {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub id: i64,
    pub name: String,
    pub url: String,
}

/// A member server (`SharingGroupServer`).
#[derive(Debug, Serialize, ToSchema)]
pub struct SharingGroupServerView {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub sharing_group_id: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub server_id: i64,
    pub all_orgs: bool,
    #[serde(rename = "Server")]
    pub server: SharingGroupServerBrief,
}

/// `sharing_groups/view`, `add` and `edit`: the group, its creator
/// organisation and its members.
#[derive(Debug, Serialize, ToSchema)]
pub struct SharingGroupEnvelope {
    #[serde(rename = "SharingGroup")]
    pub sharing_group: SharingGroupView,
    #[serde(rename = "Organisation")]
    pub organisation: OrganisationView,
    #[serde(rename = "SharingGroupOrg")]
    pub sharing_group_org: Vec<SharingGroupOrgView>,
    #[serde(rename = "SharingGroupServer")]
    pub sharing_group_server: Vec<SharingGroupServerView>,
}

/// One entry of `sharing_groups/index`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SharingGroupIndexItem {
    #[serde(rename = "SharingGroup")]
    pub sharing_group: SharingGroupIndexFields,
    #[serde(rename = "Organisation")]
    pub organisation: SharingGroupOrgBrief,
    #[serde(rename = "SharingGroupOrg")]
    pub sharing_group_org: Vec<SharingGroupOrgView>,
    #[serde(rename = "SharingGroupServer")]
    pub sharing_group_server: Vec<SharingGroupServerView>,
    /// The caller may edit the group (creator organisation, site admin, or a
    /// member with `extend`), with `perm_sharing_group`.
    pub editable: bool,
    /// The caller may delete the group (creator organisation or site admin).
    pub deletable: bool,
}

/// `sharing_groups/index`: `{"response": [...]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SharingGroupIndex {
    pub response: Vec<SharingGroupIndexItem>,
}

fn members(
    d: &SharingGroupDetail,
    baseurl: &str,
) -> (Vec<SharingGroupOrgView>, Vec<SharingGroupServerView>) {
    let orgs = d
        .orgs
        .iter()
        .map(|(m, o)| SharingGroupOrgView {
            id: m.id,
            sharing_group_id: m.sharing_group_id,
            org_id: m.org_id,
            extend: m.extend,
            organisation: SharingGroupOrgBrief::new(o),
        })
        .collect();
    let servers = d
        .servers
        .iter()
        .map(|s| SharingGroupServerView {
            id: s.id,
            sharing_group_id: s.sharing_group_id,
            server_id: s.server_id,
            all_orgs: s.all_orgs,
            server: SharingGroupServerBrief {
                id: s.server_id,
                name: if s.server_id == LOCAL_SERVER {
                    "Local instance".to_owned()
                } else {
                    String::new()
                },
                url: if s.server_id == LOCAL_SERVER {
                    baseurl.to_owned()
                } else {
                    String::new()
                },
            },
        })
        .collect();
    (orgs, servers)
}

fn envelope(d: &SharingGroupDetail, baseurl: &str) -> SharingGroupEnvelope {
    let g = &d.group;
    let (orgs, servers) = members(d, baseurl);
    SharingGroupEnvelope {
        sharing_group: SharingGroupView {
            id: g.id,
            name: g.name.clone(),
            releasability: g.releasability.clone(),
            description: g.description.clone(),
            uuid: g.uuid.clone(),
            organisation_uuid: g.organisation_uuid.clone(),
            org_id: g.org_id,
            sync_user_id: g.sync_user_id,
            active: g.active,
            created: time_fmt::datetime(g.created),
            modified: time_fmt::datetime(g.modified),
            local: g.local,
            roaming: g.roaming,
        },
        organisation: OrganisationView::new(&d.creator, false, None),
        sharing_group_org: orgs,
        sharing_group_server: servers,
    }
}

fn baseurl(state: &AppState) -> String {
    state.config.baseurl.clone().unwrap_or_default()
}

// ---------------------------------------------------------------- lookups

/// The group named by `key` if the caller may see it; otherwise `not_found`
/// as a 404, so a group's existence does not leak.
async fn visible(
    state: &AppState,
    user: &AuthUser,
    key: &str,
    not_found: &str,
) -> ApiResult<SharingGroupDetail> {
    let r = EntityRef::parse(key).ok_or_else(|| ApiError::not_found(not_found))?;
    let d = state
        .store
        .get_sharing_group(r)
        .await
        .map_err(|e| ApiError::from_store(e, not_found))?;
    if d.may_use(user.org.id, user.is_site_admin()) {
        Ok(d)
    } else {
        Err(ApiError::not_found(not_found))
    }
}

/// An organisation by id, UUID or name (MISP's `fetchOrg`).
async fn find_org(state: &AppState, key: &OrgKey) -> ApiResult<Option<Organisation>> {
    if let Some(id) = key.id {
        return match state.store.get_org(EntityRef::Id(id)).await {
            Ok(o) => Ok(Some(o)),
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        };
    }
    if let Some(u) = key
        .uuid
        .as_deref()
        .and_then(|u| uuid::Uuid::parse_str(u).ok())
    {
        match state.store.get_org(EntityRef::Uuid(u)).await {
            Ok(o) => return Ok(Some(o)),
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    match key.name.as_deref() {
        Some(name) => Ok(state.store.find_org_by_name(name).await?),
        None => Ok(None),
    }
}

/// A path segment or body value naming an organisation.
fn org_key(s: &str) -> OrgKey {
    let s = s.trim();
    match EntityRef::parse(s) {
        Some(EntityRef::Id(id)) => OrgKey {
            id: Some(id),
            ..Default::default()
        },
        Some(EntityRef::Uuid(u)) => OrgKey {
            uuid: Some(u.to_string()),
            ..Default::default()
        },
        None => OrgKey {
            name: Some(crate::normalize::percent_decode(s)),
            ..Default::default()
        },
    }
}

fn key_text(o: &OrgKey) -> String {
    o.id.map(|i| i.to_string())
        .or_else(|| o.uuid.clone())
        .or_else(|| o.name.clone())
        .unwrap_or_default()
}

/// Resolves the member organisations and servers of a request, collecting
/// every unknown one.
async fn resolve_members(
    state: &AppState,
    orgs: &[MemberOrgIn],
    servers: &[MemberServerIn],
    errors: &mut Vec<(&'static str, String)>,
) -> ApiResult<(Vec<(i64, bool)>, Vec<(i64, bool)>)> {
    let mut org_ids = Vec::with_capacity(orgs.len());
    for m in orgs {
        match find_org(state, &m.org).await? {
            Some(o) => org_ids.push((o.id, m.extend)),
            None => errors.push((
                "SharingGroupOrg",
                format!("{INVALID_ORG} ({})", key_text(&m.org)),
            )),
        }
    }
    let mut server_ids = Vec::with_capacity(servers.len());
    for s in servers {
        // There are no remote servers yet: only this instance (0) can be named.
        match s.server_id {
            Some(LOCAL_SERVER) => server_ids.push((LOCAL_SERVER, s.all_orgs)),
            _ => errors.push(("SharingGroupServer", INVALID_SERVER.to_owned())),
        }
    }
    Ok((org_ids, server_ids))
}

// ---------------------------------------------------------------- handlers

/// Lists the sharing groups the caller may see (active ones; `index/true`
/// lists the inactive ones), ordered by name.
#[utoipa::path(get, path = "/sharing_groups/index", tag = "Sharing groups",
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = SharingGroupIndex),
        (status = 403, description = "Authentication failed", body = ErrorBody)))]
pub async fn index(
    state: web::Data<AppState>,
    user: Authed,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let params = named(&req);
    let passive = req
        .match_info()
        .get("passive")
        .or_else(|| params.get("passive"))
        .is_some_and(|p| p == "true" || p == "1");
    // The groups are what this lists: the rule needs only the organisation.
    let viewer = Viewer {
        org_id: user.org.id,
        site_admin: user.is_site_admin(),
        sharing_groups: Default::default(),
    };
    let groups = state
        .store
        .list_sharing_groups(&viewer, Some(!passive))
        .await?;
    let a = actor(&user);
    let base = baseurl(&state);
    let response = groups
        .iter()
        .map(|d| {
            let (orgs, servers) = members(d, &base);
            let g = &d.group;
            SharingGroupIndexItem {
                sharing_group: SharingGroupIndexFields {
                    id: g.id,
                    uuid: g.uuid.clone(),
                    name: g.name.clone(),
                    description: g.description.clone(),
                    releasability: g.releasability.clone(),
                    local: g.local,
                    active: g.active,
                    roaming: g.roaming,
                    org_count: i64::try_from(d.orgs.len()).unwrap_or(i64::MAX),
                },
                organisation: SharingGroupOrgBrief::new(&d.creator),
                sharing_group_org: orgs,
                sharing_group_server: servers,
                editable: d.may_extend(&a),
                deletable: d.may_edit(&a),
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(SharingGroupIndex { response }))
}

/// One sharing group by id or UUID. `HEAD` answers 200 or 404 with no body
/// (PyMISP's `sharing_group_exists`).
#[utoipa::path(get, path = "/sharing_groups/view/{id}", tag = "Sharing groups",
    params(("id" = String, Path, description = "Numeric id or UUID")),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = SharingGroupEnvelope),
        (status = 403, description = "Authentication failed", body = ErrorBody),
        (status = 404, description = "`Invalid sharing group` (unknown, or not visible to the caller)", body = ErrorBody)))]
pub async fn view(
    state: web::Data<AppState>,
    user: Authed,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let d = visible(&state, &user, &id, INVALID).await?;
    Ok(HttpResponse::Ok().json(envelope(&d, &baseurl(&state))))
}

async fn head(state: web::Data<AppState>, user: Authed, id: web::Path<String>) -> HttpResponse {
    match visible(&state, &user, &id, INVALID).await {
        Ok(_) => HttpResponse::Ok().finish(),
        Err(_) => HttpResponse::NotFound().finish(),
    }
}

/// The body of `sharing_groups/add` and `edit`, bare or in
/// `{"SharingGroup": …}` (documentation only; numbers and flags may be
/// strings, as everywhere).
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct SharingGroupBody {
    pub name: Option<String>,
    /// Kept when valid and unused; otherwise one is generated.
    pub uuid: Option<String>,
    pub releasability: Option<String>,
    pub description: Option<String>,
    /// Defaults to true.
    pub active: Option<bool>,
    /// Defaults to false.
    pub roaming: Option<bool>,
    /// The creator organisation (`{"id"|"uuid"|"name"}`); site admins only,
    /// otherwise the caller's organisation.
    #[serde(rename = "Organisation")]
    pub organisation: Option<Value>,
    /// Member organisations: `[{"org_id", "extend"}]` or
    /// `[{"Organisation": {"id"|"uuid"|"name"}, "extend"}]`.
    #[serde(rename = "SharingGroupOrg")]
    pub sharing_group_org: Option<Vec<Value>>,
    /// Member servers: `[{"server_id": 0, "all_orgs"}]`; only this instance
    /// (0) exists.
    #[serde(rename = "SharingGroupServer")]
    pub sharing_group_server: Option<Vec<Value>>,
}

fn save_failed(action: &str, errors: &[(&str, String)], id: Option<i64>) -> ApiError {
    ApiError::save_failed(format!("Could not {action} SharingGroup"), errors, id)
}

fn store_save_error(e: StoreError, action: &str, id: Option<i64>) -> ApiError {
    match e {
        StoreError::Conflict("uuid") => save_failed(
            action,
            &[("uuid", "The UUID provided is not unique".into())],
            id,
        ),
        StoreError::Conflict(_) => save_failed(
            action,
            &[(
                "name",
                "A sharing group with this name already exists.".into(),
            )],
            id,
        ),
        StoreError::InvalidReference(_) => {
            save_failed(action, &[("SharingGroupOrg", INVALID_ORG.to_owned())], id)
        }
        StoreError::NotFound => ApiError::not_found(INVALID),
        other => other.into(),
    }
}

fn parse_request(
    body: SharingGroupInput,
    action: &str,
    id: Option<i64>,
) -> ApiResult<SharingGroupRequest> {
    body.parse().map_err(|e| save_failed(action, &e, id))
}

/// Creates a sharing group (`perm_sharing_group`). The creator organisation
/// is the caller's (a site admin may name another in `Organisation`) and is
/// made a member with `extend`. Without `roaming` and without servers, the
/// local instance is added as a server (without `all_orgs`), as MISP does.
#[utoipa::path(post, path = "/sharing_groups/add", tag = "Sharing groups",
    request_body = SharingGroupBody,
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = SharingGroupEnvelope),
        (status = 400, description = "Body is not JSON", body = ErrorBody),
        (status = 403, description = "No `perm_sharing_group`, or validation failed (`saved: false`)", body = SaveFailedBody)))]
pub async fn add(
    state: web::Data<AppState>,
    user: Authed<CanSharingGroup>,
    body: MispJson<SharingGroupInput>,
) -> ApiResult<HttpResponse> {
    let req = parse_request(body.0, "add", None)?;
    let mut errors = Vec::new();
    let new = NewSharingGroup {
        uuid: req.uuid.clone(),
        name: req.name.clone().unwrap_or_default(),
        releasability: req.releasability.clone().unwrap_or_default(),
        description: req.description.clone().unwrap_or_default(),
        active: req.active.unwrap_or(true),
        roaming: req.roaming.unwrap_or(false),
    };
    let new = match new.validate() {
        Ok(n) => Some(n),
        Err(e) => {
            errors.extend(e);
            None
        }
    };
    let mut creator = user.org.clone();
    if let (true, Some(key)) = (user.is_site_admin(), &req.creator) {
        match find_org(&state, key).await? {
            Some(o) => creator = o,
            None => errors.push(("Organisation", INVALID_ORG.to_owned())),
        }
    }
    let (mut orgs, mut servers) =
        resolve_members(&state, &req.orgs, &req.servers, &mut errors).await?;
    let Some(mut new) = new.filter(|_| errors.is_empty()) else {
        return Err(save_failed("add", &errors, None));
    };
    if !orgs.iter().any(|(id, _)| *id == creator.id) {
        orgs.insert(0, (creator.id, true));
    }
    if !new.roaming && servers.is_empty() {
        servers.push((LOCAL_SERVER, false));
    }
    let owner = SharingGroupOwner {
        org_id: creator.id,
        user_id: user.user.id,
    };
    let now = time_fmt::now();
    let base_name = new.name.clone();
    // MISP renames a new group whose name is taken (`name_NNNN`) rather than
    // refusing it; a few attempts make a collision on the suffix harmless.
    let mut attempt = 0;
    let id = loop {
        match state
            .store
            .create_sharing_group(&new, owner, &orgs, &servers, now)
            .await
        {
            Ok(id) => break id,
            Err(StoreError::Conflict("name")) if attempt < 5 => {
                attempt += 1;
                new.name = format!("{base_name}_{}", rand::random::<u16>() % 10_000);
            }
            Err(e) => return Err(store_save_error(e, "add", None)),
        }
    };
    let d = state
        .store
        .get_sharing_group(EntityRef::Id(id))
        .await
        .map_err(|e| ApiError::from_store(e, INVALID))?;
    Ok(HttpResponse::Ok().json(envelope(&d, &baseurl(&state))))
}

/// Edits a sharing group (its creator organisation or a site admin, with
/// `perm_sharing_group`). Absent fields keep their values; listed members are
/// added or have their flag updated; members not listed stay (use
/// `removeOrg`/`removeServer`).
#[utoipa::path(post, path = "/sharing_groups/edit/{id}", tag = "Sharing groups",
    params(("id" = String, Path, description = "Numeric id or UUID")),
    request_body = SharingGroupBody,
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = SharingGroupEnvelope),
        (status = 400, description = "Body is not JSON", body = ErrorBody),
        (status = 403, description = "No `perm_sharing_group`, `Action not allowed.` (not the creator organisation), or validation failed", body = SaveFailedBody),
        (status = 404, description = "`Invalid sharing group`", body = ErrorBody)))]
pub async fn edit(
    state: web::Data<AppState>,
    user: Authed<CanSharingGroup>,
    id: web::Path<String>,
    body: MispJson<SharingGroupInput>,
) -> ApiResult<HttpResponse> {
    let d = visible(&state, &user, &id, INVALID).await?;
    if !d.may_edit(&actor(&user)) {
        return Err(ApiError::forbidden(NOT_ALLOWED));
    }
    let sg_id = d.group.id;
    let req = parse_request(body.0, "edit", Some(sg_id))?;
    let mut errors = Vec::new();
    let name = req.name.as_ref().map(|n| n.trim().to_owned());
    if let Some(n) = &name {
        let check = NewSharingGroup {
            name: n.clone(),
            ..Default::default()
        };
        if let Err(e) = check.validate() {
            errors.extend(e);
        }
    }
    let (orgs, servers) = resolve_members(&state, &req.orgs, &req.servers, &mut errors).await?;
    if !errors.is_empty() {
        return Err(save_failed("edit", &errors, Some(sg_id)));
    }
    let patch = SharingGroupPatch {
        name,
        releasability: req.releasability,
        description: req.description,
        active: req.active,
        roaming: req.roaming,
    };
    state
        .store
        .update_sharing_group(sg_id, &patch, &orgs, &servers, time_fmt::now())
        .await
        .map_err(|e| store_save_error(e, "edit", Some(sg_id)))?;
    let d = state
        .store
        .get_sharing_group(EntityRef::Id(sg_id))
        .await
        .map_err(|e| ApiError::from_store(e, INVALID))?;
    Ok(HttpResponse::Ok().json(envelope(&d, &baseurl(&state))))
}

/// Deletes a sharing group (its creator organisation or a site admin, with
/// `perm_sharing_group`), unless events, attributes, objects or reports use it.
#[utoipa::path(post, path = "/sharing_groups/delete/{id}", tag = "Sharing groups",
    params(("id" = String, Path, description = "Numeric id or UUID")),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "`SharingGroup deleted`", body = SuccessBody),
        (status = 403, description = "No `perm_sharing_group`, `Action not allowed.`, or the group is in use (`saved: false`)", body = SaveFailedBody),
        (status = 404, description = "`Invalid sharing group`", body = ErrorBody)))]
pub async fn delete(
    state: web::Data<AppState>,
    user: Authed<CanSharingGroup>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let d = visible(&state, &user, &id, INVALID).await?;
    if !d.may_edit(&actor(&user)) {
        return Err(ApiError::forbidden(NOT_ALLOWED));
    }
    match state.store.delete_sharing_group(d.group.id).await {
        Ok(()) => {
            Ok(HttpResponse::Ok().json(success_body("SharingGroup deleted", Some(d.group.id))))
        }
        Err(StoreError::InUse(what)) => Err(ApiError::save_failed_with(
            "Could not delete SharingGroup",
            json!(format!(
                "The sharing group could not be deleted: {} still use it.",
                what.replace('_', " ")
            )),
            Some(d.group.id),
        )),
        Err(e) => Err(ApiError::from_store(e, INVALID)),
    }
}

/// The body of the quick edits, as PyMISP sends it (`{"sg_id", "org_id",
/// "extend"}`, `{"sg_id", "server_id", "all_orgs"}`); path segments win.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct QuickEditBody {
    /// The group (also `sg_uuid`, `id`, `uuid`).
    #[schema(value_type = Option<String>)]
    pub sg_id: Option<Value>,
    #[schema(value_type = Option<String>)]
    pub sg_uuid: Option<Value>,
    #[schema(value_type = Option<String>)]
    pub id: Option<Value>,
    #[schema(value_type = Option<String>)]
    pub uuid: Option<Value>,
    /// The organisation: id, UUID or name (also `org_uuid`, `org_name`).
    #[schema(value_type = Option<String>)]
    pub org_id: Option<Value>,
    #[schema(value_type = Option<String>)]
    pub org_uuid: Option<Value>,
    #[schema(value_type = Option<String>)]
    pub org_name: Option<Value>,
    /// The server: only `0`, this instance, exists.
    #[schema(value_type = Option<String>)]
    pub server_id: Option<Value>,
    #[schema(value_type = Option<bool>)]
    pub extend: Option<Value>,
    #[schema(value_type = Option<bool>)]
    pub all: Option<Value>,
    #[schema(value_type = Option<bool>)]
    pub all_orgs: Option<Value>,
}

impl Wrapped for QuickEditBody {
    const WRAPPER: &'static str = "SharingGroup";
}

/// A body value as a path segment would give it ("" when absent).
fn text_of(v: Option<&Value>) -> Option<String> {
    match v {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

fn flag(path: Option<&str>, body: &[Option<&Value>]) -> ApiResult<bool> {
    let mut v = path.map(|p| Value::String(p.to_owned()));
    for b in body.iter().flatten() {
        v = Some((*b).clone());
    }
    match v {
        None => Ok(false),
        Some(v) => value_to_bool(&v)
            .map(|b| b.unwrap_or(false))
            .map_err(|e| ApiError::bad_request(format!("Invalid request: {e}"))),
    }
}

/// The group of a quick edit, which the caller must be allowed to extend.
async fn quick_edit_group(
    state: &AppState,
    user: &AuthUser,
    req: &HttpRequest,
    body: &QuickEditBody,
) -> ApiResult<SharingGroupDetail> {
    let key = req.match_info().get("sg").map(str::to_owned).or_else(|| {
        [&body.sg_id, &body.sg_uuid, &body.id, &body.uuid]
            .into_iter()
            .find_map(|v| text_of(v.as_ref()))
    });
    let key = key.ok_or_else(|| ApiError::bad_request(NO_SG_ID))?;
    let d = visible(state, user, &key, NO_EDIT_RIGHTS).await?;
    if !d.may_extend(&actor(user)) {
        return Err(ApiError::forbidden(NO_EDIT_RIGHTS));
    }
    Ok(d)
}

async fn quick_edit_org(
    state: &AppState,
    req: &HttpRequest,
    body: &QuickEditBody,
) -> ApiResult<Organisation> {
    let key = req
        .match_info()
        .get("object")
        .map(org_key)
        .or_else(|| text_of(body.org_id.as_ref()).map(|s| org_key(&s)))
        .or_else(|| text_of(body.org_uuid.as_ref()).map(|s| org_key(&s)))
        .or_else(|| {
            text_of(body.org_name.as_ref()).map(|s| OrgKey {
                name: Some(s),
                ..Default::default()
            })
        });
    match key {
        Some(k) => find_org(state, &k)
            .await?
            .ok_or_else(|| ApiError::not_found(INVALID_ORG)),
        None => Err(ApiError::not_found(INVALID_ORG)),
    }
}

fn quick_edit_server(req: &HttpRequest, body: &QuickEditBody) -> ApiResult<i64> {
    let key = req
        .match_info()
        .get("object")
        .map(str::to_owned)
        .or_else(|| text_of(body.server_id.as_ref()));
    // There are no remote servers yet: only this instance (0) can be named.
    match key.as_deref().map(str::trim) {
        Some("0") => Ok(LOCAL_SERVER),
        _ => Err(ApiError::not_found(INVALID_SERVER)),
    }
}

/// Adds an organisation to a sharing group (`extend` optional).
#[utoipa::path(post, path = "/sharing_groups/addOrg/{sg}/{object}", tag = "Sharing groups",
    params(
        ("sg" = String, Path, description = "Sharing group id or UUID"),
        ("object" = String, Path, description = "Organisation id, UUID or name")),
    request_body = QuickEditBody,
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "`Organisation added to the sharing group.`", body = SuccessBody),
        (status = 400, description = "`No valid sharing group ID provided.`", body = ErrorBody),
        (status = 403, description = "No `perm_sharing_group`; no right to extend the group; or the organisation is a member already (`saved: false`)", body = SaveFailedBody),
        (status = 404, description = "`Invalid sharing group or no editing rights.` / `Invalid organisation.`", body = ErrorBody)))]
pub async fn add_org(
    state: web::Data<AppState>,
    user: Authed<CanSharingGroup>,
    req: HttpRequest,
    body: MispJson<QuickEditBody>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let d = quick_edit_group(&state, &user, &req, &body).await?;
    let org = quick_edit_org(&state, &req, &body).await?;
    let extend = flag(req.match_info().get("flag"), &[body.extend.as_ref()])?;
    let refused = || {
        ApiError::save_failed_with(
            "Could not add Organisation to SharingGroup",
            json!("Organisation is already in the sharing group."),
            None,
        )
    };
    if d.member(org.id).is_some() {
        return Err(refused());
    }
    match state
        .store
        .add_sharing_group_org(d.group.id, org.id, extend)
        .await
    {
        Ok(()) => Ok(HttpResponse::Ok().json(success_body(
            "Organisation added to the sharing group.",
            None,
        ))),
        Err(StoreError::Conflict(_)) => Err(refused()),
        Err(StoreError::InvalidReference(_)) => Err(ApiError::not_found(INVALID_ORG)),
        Err(e) => Err(e.into()),
    }
}

/// Removes an organisation from a sharing group.
#[utoipa::path(post, path = "/sharing_groups/removeOrg/{sg}/{object}", tag = "Sharing groups",
    params(
        ("sg" = String, Path, description = "Sharing group id or UUID"),
        ("object" = String, Path, description = "Organisation id, UUID or name")),
    request_body = QuickEditBody,
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "`Organisation removed from the sharing group.`", body = SuccessBody),
        (status = 400, description = "`No valid sharing group ID provided.`", body = ErrorBody),
        (status = 403, description = "No `perm_sharing_group`; no right to extend the group; or the organisation is not a member (`saved: false`)", body = SaveFailedBody),
        (status = 404, description = "`Invalid sharing group or no editing rights.` / `Invalid organisation.`", body = ErrorBody)))]
pub async fn remove_org(
    state: web::Data<AppState>,
    user: Authed<CanSharingGroup>,
    req: HttpRequest,
    body: MispJson<QuickEditBody>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let d = quick_edit_group(&state, &user, &req, &body).await?;
    let org = quick_edit_org(&state, &req, &body).await?;
    match state
        .store
        .remove_sharing_group_org(d.group.id, org.id)
        .await
    {
        Ok(()) => Ok(HttpResponse::Ok().json(success_body(
            "Organisation removed from the sharing group.",
            None,
        ))),
        Err(StoreError::NotFound) => Err(ApiError::save_failed_with(
            "Could not remove Organisation from SharingGroup",
            json!("Organisation is not in the sharing group."),
            None,
        )),
        Err(e) => Err(e.into()),
    }
}

/// Adds a server to a sharing group (`all_orgs` optional). Only this
/// instance, server `0`, exists.
#[utoipa::path(post, path = "/sharing_groups/addServer/{sg}/{object}", tag = "Sharing groups",
    params(
        ("sg" = String, Path, description = "Sharing group id or UUID"),
        ("object" = String, Path, description = "Server id: `0`, this instance")),
    request_body = QuickEditBody,
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "`Server added to the sharing group.`", body = SuccessBody),
        (status = 400, description = "`No valid sharing group ID provided.`", body = ErrorBody),
        (status = 403, description = "No `perm_sharing_group`; no right to extend the group; or the server is a member already (`saved: false`)", body = SaveFailedBody),
        (status = 404, description = "`Invalid sharing group or no editing rights.` / `Invalid Server.`", body = ErrorBody)))]
pub async fn add_server(
    state: web::Data<AppState>,
    user: Authed<CanSharingGroup>,
    req: HttpRequest,
    body: MispJson<QuickEditBody>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let d = quick_edit_group(&state, &user, &req, &body).await?;
    let server_id = quick_edit_server(&req, &body)?;
    let all = flag(
        req.match_info().get("flag"),
        &[body.all.as_ref(), body.all_orgs.as_ref()],
    )?;
    let refused = || {
        ApiError::save_failed_with(
            "Could not add Server to SharingGroup",
            json!("Server is already in the sharing group."),
            None,
        )
    };
    if d.servers.iter().any(|s| s.server_id == server_id) {
        return Err(refused());
    }
    match state
        .store
        .add_sharing_group_server(d.group.id, server_id, all)
        .await
    {
        Ok(()) => {
            Ok(HttpResponse::Ok().json(success_body("Server added to the sharing group.", None)))
        }
        Err(StoreError::Conflict(_)) => Err(refused()),
        Err(e) => Err(e.into()),
    }
}

/// Removes a server from a sharing group.
#[utoipa::path(post, path = "/sharing_groups/removeServer/{sg}/{object}", tag = "Sharing groups",
    params(
        ("sg" = String, Path, description = "Sharing group id or UUID"),
        ("object" = String, Path, description = "Server id: `0`, this instance")),
    request_body = QuickEditBody,
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "`Server removed from the sharing group.`", body = SuccessBody),
        (status = 400, description = "`No valid sharing group ID provided.`", body = ErrorBody),
        (status = 403, description = "No `perm_sharing_group`; no right to extend the group; or the server is not a member (`saved: false`)", body = SaveFailedBody),
        (status = 404, description = "`Invalid sharing group or no editing rights.` / `Invalid Server.`", body = ErrorBody)))]
pub async fn remove_server(
    state: web::Data<AppState>,
    user: Authed<CanSharingGroup>,
    req: HttpRequest,
    body: MispJson<QuickEditBody>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let d = quick_edit_group(&state, &user, &req, &body).await?;
    let server_id = quick_edit_server(&req, &body)?;
    match state
        .store
        .remove_sharing_group_server(d.group.id, server_id)
        .await
    {
        Ok(()) => {
            Ok(HttpResponse::Ok()
                .json(success_body("Server removed from the sharing group.", None)))
        }
        Err(StoreError::NotFound) => Err(ApiError::save_failed_with(
            "Could not remove Server from SharingGroup",
            json!("Server is not in the sharing group."),
            None,
        )),
        Err(e) => Err(e.into()),
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    for path in [
        "/sharing_groups",
        "/sharing_groups/index",
        "/sharing_groups/index/{passive}",
    ] {
        cfg.service(resource(path).route(web::get().to(index)));
    }
    cfg.service(
        resource("/sharing_groups/view/{id}")
            .route(web::get().to(view))
            .route(web::head().to(head)),
    )
    .service(resource("/sharing_groups/add").route(web::post().to(add)))
    .service(
        resource("/sharing_groups/edit/{id}")
            .route(web::post().to(edit))
            .route(web::put().to(edit)),
    )
    .service(
        resource("/sharing_groups/delete/{id}")
            .route(web::post().to(delete))
            .route(web::delete().to(delete)),
    );
    for (action, handler) in [
        ("addOrg", QuickEdit::AddOrg),
        ("removeOrg", QuickEdit::RemoveOrg),
        ("addServer", QuickEdit::AddServer),
        ("removeServer", QuickEdit::RemoveServer),
    ] {
        for suffix in ["", "/{sg}", "/{sg}/{object}", "/{sg}/{object}/{flag}"] {
            let r = resource(&format!("/sharing_groups/{action}{suffix}"));
            let r = match handler {
                QuickEdit::AddOrg => r.route(web::post().to(add_org)),
                QuickEdit::RemoveOrg => r.route(web::post().to(remove_org)),
                QuickEdit::AddServer => r.route(web::post().to(add_server)),
                QuickEdit::RemoveServer => r.route(web::post().to(remove_server)),
            };
            cfg.service(r);
        }
    }
}

#[derive(Clone, Copy)]
enum QuickEdit {
    AddOrg,
    RemoveOrg,
    AddServer,
    RemoveServer,
}
