//! Sightings: `sightings/add`, `sightings/index/{event_id}`,
//! `sightings/listSightings/{id}/{context}`, `sightings/delete/{id}` and
//! `sightings/restSearch`.
//!
//! A sighting belongs to the recording user's organisation. Who sees which
//! sightings is MISP's default sighting policy (`Plugin.Sightings_policy` 0):
//! on events their organisation owns, users see every sighting; elsewhere
//! only their own organisation's, and only on attributes they may see (see
//! `SightingStore`). Recording a sighting sets the event's
//! `sighting_timestamp` and does not unpublish the event or change its
//! `timestamp`.

use std::collections::{BTreeSet, HashMap};

use actix_web::{web, HttpRequest, HttpResponse};
use cydef_model::event::{Attribute, Event, Sighting};
use cydef_model::search::{parse_range, parse_time};
use cydef_model::{flex, time_fmt, EntityRef};
use cydef_store::{SightingFilter, SightingHits, SightingRecord, SightingTarget};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::events::{visible_event, INVALID_EVENT};
use super::{named, resource};
use crate::auth::{Authed, CanDeleteSightings, CanSight};
use crate::error::{success_body, ApiError, ApiResult};
use crate::views::ErrorBody;
use crate::wire::{int_str, parse_body};
use crate::AppState;

const INVALID_SIGHTING: &str = "Invalid sighting.";
const INVALID_ATTRIBUTE: &str = "Invalid attribute";
const ADD_FAILED: &str = "Could not add the Sighting. Reason: ";
const NO_ATTRIBUTES: &str = "No valid attributes found.";
const NO_MATCH: &str = "No valid attributes found that match the criteria.";
const INVALID_TYPE: &str = "Invalid type, please change it before you POST 1000000 sightings.";
/// MISP's `source` column is a `varchar(255)`.
const SOURCE_MAX: usize = 255;
/// MISP's default restSearch window when no time filter is given.
const DEFAULT_WINDOW: i64 = 30 * 86_400;

/// An organisation as sightings name it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SightingOrg {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub id: i64,
    pub uuid: String,
    pub name: String,
}

/// The sighted attribute (restSearch `includeAttribute`).
#[derive(Debug, Serialize, ToSchema)]
pub struct SightingAttribute {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub id: i64,
    pub value: String,
    pub uuid: String,
    #[serde(rename = "type")]
    pub attr_type: String,
    pub category: String,
    pub to_ids: bool,
}

/// The creating organisation's name.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgName {
    pub name: String,
}

/// The event of a sighting (restSearch `includeEvent`).
#[derive(Debug, Serialize, ToSchema)]
pub struct SightingEvent {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub id: i64,
    pub uuid: String,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub orgc_id: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub org_id: i64,
    pub info: String,
    #[serde(rename = "Orgc")]
    pub orgc: OrgName,
}

/// A sighting in MISP's column order, with what the endpoint adds.
#[derive(Debug, Serialize, ToSchema)]
pub struct SightingEntry {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub attribute_id: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub event_id: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub org_id: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub date_sighting: i64,
    pub uuid: String,
    pub source: String,
    /// 0 sighting, 1 false positive, 2 expiration.
    #[serde(rename = "type", serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub sighting_type: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute_uuid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_uuid: Option<String>,
    #[serde(rename = "Attribute", skip_serializing_if = "Option::is_none")]
    pub attribute: Option<SightingAttribute>,
    #[serde(rename = "Event", skip_serializing_if = "Option::is_none")]
    pub event: Option<SightingEvent>,
    #[serde(rename = "Organisation", skip_serializing_if = "Option::is_none")]
    pub organisation: Option<SightingOrg>,
}

impl SightingEntry {
    fn new(s: &Sighting) -> Self {
        Self {
            id: s.id,
            attribute_id: s.attribute_id,
            event_id: s.event_id,
            org_id: s.org_id,
            date_sighting: s.date_sighting,
            uuid: s.uuid.clone(),
            source: s.source.clone(),
            sighting_type: s.sighting_type,
            value: None,
            attribute_uuid: None,
            event_uuid: None,
            attribute: None,
            event: None,
            organisation: None,
        }
    }
}

/// `{"Sighting": {…}}`.
#[derive(Serialize, ToSchema)]
pub struct SightingEnvelope {
    #[serde(rename = "Sighting")]
    pub sighting: SightingEntry,
}

/// One entry of `listSightings`: the sighting and its organisation.
#[derive(Serialize, ToSchema)]
pub struct SightingListEntry {
    #[serde(rename = "Sighting")]
    pub sighting: SightingEntry,
    #[serde(rename = "Organisation", skip_serializing_if = "Option::is_none")]
    pub organisation: Option<SightingOrg>,
}

/// `{"response": [{"Sighting": {…}}, …]}`, restSearch's JSON export.
#[derive(Serialize, ToSchema)]
pub struct SightingSearchResponse {
    pub response: Vec<SightingEnvelope>,
}

/// The request body as an object (`{"Sighting": …}` and `{"request": …}`
/// unwrapped); an empty body is `{}`.
fn body_object(bytes: &[u8]) -> ApiResult<Map<String, Value>> {
    match parse_body(bytes, "Sighting")? {
        Value::Object(m) => Ok(m),
        _ => Err(ApiError::bad_request(
            "Expected a JSON object (optionally wrapped in {\"Sighting\": …}).",
        )),
    }
}

/// A body field, `null` counting as absent (PyMISP sends unset filters as
/// `null`).
fn field<'a>(body: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    body.get(key).filter(|v| !v.is_null())
}

/// A scalar as text (strings trimmed, numbers as written).
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A scalar or a list of scalars, as texts.
fn texts(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items.iter().filter_map(text).collect(),
        other => text(other).into_iter().collect(),
    }
}

/// MISP's id lists: `12`, or `12|13|14` (non-numeric parts dropped).
fn id_list(s: &str) -> Vec<i64> {
    s.split('|')
        .filter_map(|p| p.trim().parse::<i64>().ok())
        .collect()
}

/// Organisations by id, for naming them in answers.
async fn orgs_by_id(
    state: &AppState,
    ids: impl IntoIterator<Item = i64>,
) -> ApiResult<HashMap<i64, SightingOrg>> {
    let mut out = HashMap::new();
    for id in ids.into_iter().collect::<BTreeSet<i64>>() {
        if id <= 0 {
            continue;
        }
        match state.store.get_org(EntityRef::Id(id)).await {
            Ok(o) => {
                out.insert(
                    id,
                    SightingOrg {
                        id: o.id,
                        uuid: o.uuid,
                        name: o.name,
                    },
                );
            }
            // A sighting imported for an organisation deleted since.
            Err(cydef_store::StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}

/// The attributes a `sightings/add` names: by id or UUID (the path's, else
/// the body's `uuid`, else its `id`), else by `value` or `values`.
fn sighting_target(
    path_id: Option<&str>,
    body: &Map<String, Value>,
) -> ApiResult<Option<SightingTarget>> {
    let id = path_id
        .map(str::to_owned)
        .or_else(|| field(body, "uuid").and_then(text))
        .or_else(|| field(body, "id").and_then(text))
        .filter(|s| !s.is_empty());
    if let Some(id) = id {
        if id.contains('|') {
            return Ok(Some(SightingTarget::Ids(id_list(&id))));
        }
        return Ok(match EntityRef::parse(&id) {
            Some(EntityRef::Id(i)) => Some(SightingTarget::Ids(vec![i])),
            Some(EntityRef::Uuid(u)) => Some(SightingTarget::Uuid(u.hyphenated().to_string())),
            None => None,
        });
    }
    // Blank values name nothing (matching them would sight every attribute
    // whose second half is empty).
    let values: Vec<String> = field(body, "value")
        .or_else(|| field(body, "values"))
        .map(texts)
        .unwrap_or_default()
        .into_iter()
        .filter(|v| !v.trim().is_empty())
        .collect();
    if values.is_empty() {
        return Err(ApiError::bad_request(format!(
            "{ADD_FAILED}{NO_ATTRIBUTES}"
        )));
    }
    Ok(Some(SightingTarget::Values(values)))
}

/// When the sighting happened: `date` and `time`, else `timestamp`, else
/// `date_sighting` (epoch seconds or a date-time), else now. A time at or
/// before the epoch (`"-5"`, `0`) is refused.
fn sighting_time(body: &Map<String, Value>, now: i64) -> ApiResult<i64> {
    let invalid = || ApiError::bad_request(format!("{ADD_FAILED}Invalid timestamp."));
    let t = if let (Some(date), Some(time)) = (
        field(body, "date").and_then(text),
        field(body, "time").and_then(text),
    ) {
        parse_time("date", &Value::String(format!("{date} {time}")), now)
            .map_err(|_| invalid())?
            .ok_or_else(invalid)?
    } else {
        match field(body, "timestamp").or_else(|| field(body, "date_sighting")) {
            None => now,
            Some(v) => parse_time("timestamp", v, now)
                .map_err(|_| invalid())?
                .unwrap_or(now),
        }
    };
    if t <= 0 {
        return Err(invalid());
    }
    Ok(t)
}

/// The sighting's `source`: a string (or a number, as MISP takes it) of at
/// most 255 characters, trimmed; absent is `""`.
fn sighting_source(body: &Map<String, Value>) -> ApiResult<String> {
    let source = match field(body, "source") {
        None => String::new(),
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => {
            return Err(ApiError::bad_request(format!(
                "{ADD_FAILED}The source must be a string."
            )))
        }
    };
    if source.chars().count() > SOURCE_MAX {
        return Err(ApiError::bad_request(format!(
            "{ADD_FAILED}The source is too long ({SOURCE_MAX} characters at most)."
        )));
    }
    Ok(source)
}

/// Records a sighting on attributes: one named by id or UUID (in the path,
/// or the body's `uuid` or `id`; `1|2|3` names several), or every attribute
/// the caller may see whose value is `value` (or one of `values`). `type` 0
/// is a sighting, 1 a false positive, 2 an expiration (replacing the
/// organisation's earlier one); `source` is free text of at most 255
/// characters; `timestamp` (or `date_sighting`, or `date` and `time`) says
/// when, after the epoch, by default now. Answers the (last) recorded
/// sighting.
#[utoipa::path(post, path = "/sightings/add/{id}", tag = "Sightings",
    summary = "Add a sighting",
    params(("id" = String, Path, description = "Attribute id or UUID; `1|2|3` for several. Without it (`/sightings/add`), the body names the attribute or values")),
    request_body(content = Object, description = "`{\"value\": …}` or `{\"values\": […]}` (without an id), `type`, `source`, `timestamp`"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "The recorded sighting", body = SightingEnvelope),
        (status = 400, description = "Body not JSON, an invalid `type`, a `timestamp` that is unreadable or not after the epoch, a `source` that is not a string or is over 255 characters, or neither an attribute nor a value given", body = ErrorBody),
        (status = 403, description = "No perm_sighting", body = ErrorBody),
        (status = 404, description = "No live attribute the caller may see matches", body = ErrorBody)))]
pub async fn add(
    state: web::Data<AppState>,
    user: Authed<CanSight>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let body = body_object(&body)?;
    let now = time_fmt::now();
    let sighting_type = match field(&body, "type") {
        None => 0,
        Some(v) => flex::value_to_i64(v)
            .ok()
            .flatten()
            .filter(|t| (0..=2).contains(t))
            .ok_or_else(|| ApiError::bad_request(format!("{ADD_FAILED}{INVALID_TYPE}")))?,
    };
    let source = sighting_source(&body)?;
    let date_sighting = sighting_time(&body, now)?;
    let no_match = || ApiError::not_found(format!("{ADD_FAILED}{NO_MATCH}"));
    let target = sighting_target(req.match_info().get("id"), &body)?.ok_or_else(no_match)?;
    let attributes = state
        .store
        .sightable_attributes(&target, &user.viewer(&state).await?)
        .await?;
    if attributes.is_empty() {
        return Err(no_match());
    }
    let record = SightingRecord {
        org_id: user.org.id,
        date_sighting,
        source,
        sighting_type,
    };
    let mut saved = state
        .store
        .add_sightings(&attributes, &record, now)
        .await
        .map_err(|e| ApiError::from_store(e, &format!("{ADD_FAILED}{NO_MATCH}")))?;
    let last = saved.pop().ok_or_else(no_match)?;
    Ok(HttpResponse::Ok().json(SightingEnvelope {
        sighting: SightingEntry::new(&last),
    }))
}

/// The sightings of an event (or, without an id, of every event the caller
/// may see), each with its attribute's UUID and its organisation.
#[utoipa::path(get, path = "/sightings/index/{event_id}", tag = "Sightings",
    summary = "List the sightings of an event",
    params(("event_id" = String, Path, description = "Event id or UUID; without it (`/sightings/index`), every visible event")),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "The sightings the caller may see, by id", body = [SightingEntry]),
        (status = 403, description = "Authentication failed", body = ErrorBody),
        (status = 404, description = "`Invalid event`: unknown, malformed or not visible", body = ErrorBody)))]
pub async fn index(
    state: web::Data<AppState>,
    user: Authed,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let mut filter = SightingFilter::default();
    if let Some(id) = req.match_info().get("event_id") {
        let (event, _) = visible_event(&state, &user, id).await?;
        filter.event_ids = Some(vec![event.id]);
    }
    let hits = state
        .store
        .find_sightings(&filter, &user.viewer(&state).await?)
        .await?;
    let orgs = orgs_by_id(&state, hits.sightings.iter().map(|s| s.org_id)).await?;
    let uuids: HashMap<i64, &str> = hits
        .attributes
        .iter()
        .map(|a| (a.id, a.uuid.as_str()))
        .collect();
    let out: Vec<SightingEntry> = hits
        .sightings
        .iter()
        .map(|s| {
            let mut v = SightingEntry::new(s);
            v.attribute_uuid = uuids.get(&s.attribute_id).map(|u| (*u).to_owned());
            v.organisation = orgs.get(&s.org_id).cloned();
            v
        })
        .collect();
    Ok(HttpResponse::Ok().json(out))
}

/// The parameters of `listSightings`: the path's, overridden by a POST
/// body's `id`, `context` and `org_id` (PyMISP posts them).
struct ListParams {
    id: String,
    context: String,
    org: Option<String>,
}

fn list_params(req: &HttpRequest, body: &Map<String, Value>) -> ListParams {
    let path = |k: &str| req.match_info().get(k).map(str::to_owned);
    let from_body = |k: &str| field(body, k).and_then(text).filter(|s| !s.is_empty());
    ListParams {
        id: from_body("id").or_else(|| path("id")).unwrap_or_default(),
        context: from_body("context")
            .or_else(|| path("context"))
            .unwrap_or_else(|| "attribute".to_owned()),
        org: from_body("org_id")
            .or_else(|| path("org_id"))
            .filter(|o| o != "0" && o != "false"),
    }
}

/// The organisation a filter names by id or UUID.
async fn org_filter(state: &AppState, org: &str) -> ApiResult<i64> {
    let r = EntityRef::parse(org).ok_or_else(|| ApiError::not_found("Invalid organisation"))?;
    match r {
        EntityRef::Id(id) => Ok(id),
        EntityRef::Uuid(_) => state
            .store
            .get_org(r)
            .await
            .map(|o| o.id)
            .map_err(|e| ApiError::from_store(e, "Invalid organisation")),
    }
}

/// The sightings of attributes or events (`context` `attribute`, the
/// default, or `event`), newest first, each with its organisation;
/// optionally only those of one organisation (`org_id`, an id or UUID).
#[utoipa::path(post, path = "/sightings/listSightings/{id}/{context}", tag = "Sightings",
    summary = "List the sightings of an attribute or an event",
    params(
        ("id" = String, Path, description = "Attribute or event id (`1|2|3` for several); a body `id` overrides it"),
        ("context" = String, Path, description = "`attribute` (the default) or `event`")),
    request_body(content = Object, description = "Optional `{\"id\", \"context\", \"org_id\"}` (PyMISP posts these to `/sightings/listSightings`)"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "`[{\"Sighting\": {…}, \"Organisation\": {…}}]`, newest first", body = [SightingListEntry]),
        (status = 400, description = "Body not JSON, or an unknown context", body = ErrorBody),
        (status = 404, description = "`Invalid attribute` / `Invalid event`: unknown, deleted or not visible; `Invalid organisation`", body = ErrorBody)))]
pub async fn list_sightings(
    state: web::Data<AppState>,
    user: Authed,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let body = body_object(&body)?;
    let p = list_params(&req, &body);
    let v = user.viewer(&state).await?;
    let mut filter = SightingFilter {
        newest_first: true,
        ..Default::default()
    };
    match p.context.as_str() {
        "attribute" => {
            let target = if p.id.contains('|') {
                SightingTarget::Ids(id_list(&p.id))
            } else {
                match EntityRef::parse(&p.id) {
                    Some(EntityRef::Id(i)) => SightingTarget::Ids(vec![i]),
                    Some(EntityRef::Uuid(u)) => SightingTarget::Uuid(u.hyphenated().to_string()),
                    None => return Err(ApiError::not_found(INVALID_ATTRIBUTE)),
                }
            };
            let attributes = state.store.sightable_attributes(&target, &v).await?;
            if attributes.is_empty() {
                return Err(ApiError::not_found(INVALID_ATTRIBUTE));
            }
            filter.attribute_ids = Some(attributes.iter().map(|a| a.id).collect());
        }
        "event" => {
            let ids: Vec<String> = if p.id.contains('|') {
                id_list(&p.id).iter().map(i64::to_string).collect()
            } else {
                vec![p.id.clone()]
            };
            let mut events = Vec::new();
            for id in &ids {
                match visible_event(&state, &user, id).await {
                    Ok((e, _)) => events.push(e.id),
                    Err(ApiError::NotFound(_)) => {}
                    Err(e) => return Err(e),
                }
            }
            if events.is_empty() {
                return Err(ApiError::not_found(INVALID_EVENT));
            }
            filter.event_ids = Some(events);
        }
        other => {
            return Err(ApiError::bad_request(format!("Invalid context {other}.")));
        }
    }
    if let Some(org) = &p.org {
        filter.org_ids = Some(vec![org_filter(&state, org).await?]);
    }
    let hits = state.store.find_sightings(&filter, &v).await?;
    let orgs = orgs_by_id(&state, hits.sightings.iter().map(|s| s.org_id)).await?;
    let out: Vec<SightingListEntry> = hits
        .sightings
        .iter()
        .map(|s| SightingListEntry {
            sighting: SightingEntry::new(s),
            organisation: orgs.get(&s.org_id).cloned(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(out))
}

/// Deletes a sighting of the caller's organisation (site admins: any).
/// Anything else, like an unknown id, is `Invalid sighting.` The answer's
/// `id` is the id or UUID as given, as in MISP.
#[utoipa::path(post, path = "/sightings/delete/{id}", tag = "Sightings",
    summary = "Delete a sighting",
    params(("id" = String, Path, description = "Sighting id or UUID")),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "`Sighting successfully deleted.`", body = crate::views::SuccessBody),
        (status = 403, description = "Needs perm_sighting and perm_modify_org", body = ErrorBody),
        (status = 404, description = "`Invalid sighting.`: unknown, malformed, or another organisation's", body = ErrorBody)))]
pub async fn delete(
    state: web::Data<AppState>,
    user: Authed<CanDeleteSightings>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let not_found = || ApiError::not_found(INVALID_SIGHTING);
    let r = EntityRef::parse(&id).ok_or_else(not_found)?;
    let sighting = state
        .store
        .get_sighting(r)
        .await
        .map_err(|e| ApiError::from_store(e, INVALID_SIGHTING))?;
    if !user.is_site_admin() && sighting.org_id != user.org.id {
        return Err(not_found());
    }
    state
        .store
        .delete_sighting(sighting.id)
        .await
        .map_err(|e| ApiError::from_store(e, INVALID_SIGHTING))?;
    let mut body = success_body("Sighting successfully deleted.", None);
    body["id"] = Value::String(id.into_inner());
    Ok(HttpResponse::Ok().json(body))
}

/// The restSearch filters, from the body and from named parameters.
fn search_params(req: &HttpRequest, bytes: &[u8]) -> ApiResult<Map<String, Value>> {
    let mut params = body_object(bytes)?;
    for (k, v) in named(req).0 {
        params.entry(k).or_insert(Value::String(v));
    }
    params.retain(|_, v| !v.is_null());
    Ok(params)
}

/// The ids of a restSearch `id` filter; anything not an integer is refused.
fn search_ids(v: &Value) -> ApiResult<Vec<i64>> {
    let one = |v: &Value| {
        flex::value_to_i64(v).ok().flatten().ok_or_else(|| {
            ApiError::bad_request(format!(
                "Invalid ID `{}` provided.",
                text(v).unwrap_or_else(|| v.to_string())
            ))
        })
    };
    match v {
        Value::Array(items) => items.iter().map(one).collect(),
        other => Ok(vec![one(other)?]),
    }
}

/// The sighting types of a restSearch `type` filter: 0, 1 or 2.
fn search_types(v: &Value) -> ApiResult<Vec<i64>> {
    let one = |v: &Value| {
        flex::value_to_i64(v)
            .ok()
            .flatten()
            .filter(|t| (0..=2).contains(t))
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "Invalid type `{}` provided. Valid options are: 0 (Sighting), \
                     1 (False-positive), 2 (Expiration).",
                    text(v).unwrap_or_else(|| v.to_string())
                ))
            })
    };
    match v {
        Value::Array(items) => items.iter().map(one).collect(),
        other => Ok(vec![one(other)?]),
    }
}

/// Builds the store filter of a restSearch.
async fn search_filter(
    state: &AppState,
    p: &Map<String, Value>,
    context: Option<&str>,
    now: i64,
) -> ApiResult<SightingFilter> {
    let mut f = SightingFilter::default();
    let bad = |e: cydef_model::search::SearchError| ApiError::bad_request(e.0);
    // Every time given is read (an unreadable one is a 400); `from` and `to`
    // are bounds each on its own, and only without them does `last` (by
    // default 30 days) apply.
    let time = |name: &str| -> ApiResult<Option<i64>> {
        Ok(match field(p, name) {
            Some(v) => parse_time(name, v, now).map_err(bad)?,
            None => None,
        })
    };
    let (from, to) = (time("from")?, time("to")?);
    let last = match field(p, "last") {
        Some(v) => Some(parse_range("last", v, now).map_err(bad)?),
        None => None,
    };
    if from.is_some() || to.is_some() {
        f.from = from;
        f.to = to;
    } else {
        match last {
            Some(range) => {
                f.from = range.from;
                f.to = range.to;
            }
            None => f.from = Some(now - DEFAULT_WINDOW),
        }
    }
    if let Some(t) = field(p, "type") {
        f.types = Some(search_types(t)?);
    }
    if let Some(source) = field(p, "source") {
        f.sources = Some(texts(source));
    }
    if let Some(orgs) = field(p, "org_id") {
        let mut ids = Vec::new();
        for org in texts(orgs) {
            let (negated, org) = match org.strip_prefix('!') {
                Some(rest) => (true, rest.to_owned()),
                None => (false, org),
            };
            let id = match EntityRef::parse(&org) {
                Some(EntityRef::Id(id)) => Some(id),
                Some(r @ EntityRef::Uuid(_)) => state.store.get_org(r).await.ok().map(|o| o.id),
                None => None,
            };
            match (negated, id) {
                (true, Some(id)) => f.not_org_ids.push(id),
                (false, Some(id)) => ids.push(id),
                (_, None) => {}
            }
        }
        if !ids.is_empty() || f.not_org_ids.is_empty() {
            f.org_ids = Some(ids);
        }
    }
    if let Some(ids) = field(p, "id") {
        let ids = search_ids(ids)?;
        match context {
            Some("attribute") => f.attribute_ids = Some(ids),
            Some("event") => f.event_ids = Some(ids),
            // MISP ignores an id without a context.
            _ => {}
        }
    }
    if let Some(uuids) = field(p, "uuid") {
        let uuids = texts(uuids);
        match context {
            Some("attribute") => f.attribute_uuids = Some(uuids),
            Some("event") => {
                let mut ids = Vec::new();
                for u in uuids {
                    if let Some(r @ EntityRef::Uuid(_)) = EntityRef::parse(&u) {
                        if let Ok(e) = state.store.find_event(r).await {
                            ids.push(e.id);
                        }
                    }
                }
                f.event_ids = Some(ids);
            }
            _ => {}
        }
    }
    Ok(f)
}

fn flag(p: &Map<String, Value>, key: &str) -> bool {
    field(p, key).is_some_and(|v| flex::value_to_bool(v).ok().flatten().unwrap_or(false))
}

/// Renders restSearch hits, with what `includeAttribute`, `includeEvent`
/// and `includeUuid` ask for.
async fn render_hits(
    state: &AppState,
    hits: &SightingHits,
    p: &Map<String, Value>,
) -> ApiResult<Vec<SightingEnvelope>> {
    let (with_attribute, with_event, with_uuid) = (
        flag(p, "includeAttribute"),
        flag(p, "includeEvent"),
        flag(p, "includeUuid"),
    );
    let attributes: HashMap<i64, &Attribute> = hits.attributes.iter().map(|a| (a.id, a)).collect();
    let events: HashMap<i64, &Event> = hits.events.iter().map(|e| (e.id, e)).collect();
    let org_ids = hits
        .sightings
        .iter()
        .map(|s| s.org_id)
        .chain(hits.events.iter().map(|e| e.orgc_id));
    let orgs = orgs_by_id(state, org_ids).await?;
    let mut out = Vec::with_capacity(hits.sightings.len());
    for s in &hits.sightings {
        let mut v = SightingEntry::new(s);
        let attribute = attributes.get(&s.attribute_id);
        let event = events.get(&s.event_id);
        v.value = attribute.map(|a| a.value());
        if with_uuid {
            v.attribute_uuid = attribute.map(|a| a.uuid.clone());
            v.event_uuid = event.map(|e| e.uuid.clone());
        }
        if with_attribute {
            v.attribute = attribute.map(|a| SightingAttribute {
                id: a.id,
                value: a.value(),
                uuid: a.uuid.clone(),
                attr_type: a.attr_type.clone(),
                category: a.category.clone(),
                to_ids: a.to_ids,
            });
        }
        if with_event {
            v.event = event.map(|e| SightingEvent {
                id: e.id,
                uuid: e.uuid.clone(),
                orgc_id: e.orgc_id,
                org_id: e.org_id,
                info: e.info.clone(),
                orgc: OrgName {
                    name: orgs
                        .get(&e.orgc_id)
                        .map(|o| o.name.clone())
                        .unwrap_or_default(),
                },
            });
        }
        v.organisation = orgs.get(&s.org_id).cloned();
        out.push(SightingEnvelope { sighting: v });
    }
    Ok(out)
}

/// Searches sightings: `context` (`attribute` or `event`, in the path or the
/// body) with `id` or `uuid`; `type`; `org_id` (ids or UUIDs, `!` negates);
/// `source`; `from` and `to` (each a bound on its own), or else `last` (by
/// default the last 30 days, as in MISP); `includeAttribute`,
/// `includeEvent`, `includeUuid`. JSON only.
#[utoipa::path(post, path = "/sightings/restSearch/{context}", tag = "Sightings",
    summary = "Search sightings",
    params(("context" = String, Path, description = "`attribute` or `event`; optional (`/sightings/restSearch`)")),
    request_body(content = Object, description = "MISP's sighting filters"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "The sightings the caller may see, by id", body = SightingSearchResponse),
        (status = 400, description = "An invalid filter (an unreadable `from`, `to` or `last`, a `type` other than 0, 1 or 2, a non-integer `id`), a context without `id` or `uuid`, or a GET without filters", body = ErrorBody),
        (status = 404, description = "`Invalid output format.` (only `json` is served)", body = ErrorBody)))]
pub async fn rest_search(
    state: web::Data<AppState>,
    user: Authed,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let p = search_params(&req, &body)?;
    if p.is_empty() && req.method() == actix_web::http::Method::GET {
        return Err(ApiError::bad_request(
            "Restsearch queries using GET and no parameters are not allowed. If you have passed \
             parameters via a JSON body, make sure you use POST requests.",
        ));
    }
    let context = req
        .match_info()
        .get("context")
        .map(str::to_owned)
        .or_else(|| field(&p, "context").and_then(text))
        .filter(|c| !c.is_empty());
    if let Some(c) = context.as_deref() {
        if c != "attribute" && c != "event" {
            return Err(ApiError::bad_request(format!("Invalid context {c}.")));
        }
        if field(&p, "id").is_none() && field(&p, "uuid").is_none() {
            return Err(ApiError::bad_request(
                "An ID or UUID must be provided if the context is set.",
            ));
        }
    }
    let format = field(&p, "returnFormat")
        .and_then(text)
        .unwrap_or_else(|| "json".to_owned());
    if format != "json" && format != "download" {
        return Err(ApiError::not_found("Invalid output format."));
    }
    let filter = search_filter(&state, &p, context.as_deref(), time_fmt::now()).await?;
    let hits = state
        .store
        .find_sightings(&filter, &user.viewer(&state).await?)
        .await?;
    let response = render_hits(&state, &hits, &p).await?;
    Ok(HttpResponse::Ok().json(SightingSearchResponse { response }))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/sightings/add").route(web::post().to(add)))
        .service(resource("/sightings/add/{id}").route(web::post().to(add)))
        .service(
            resource("/sightings/index")
                .route(web::get().to(index))
                .route(web::post().to(index)),
        )
        .service(
            resource("/sightings/index/{event_id}")
                .route(web::get().to(index))
                .route(web::post().to(index)),
        );
    for path in [
        "/sightings/listSightings",
        "/sightings/listSightings/{id}",
        "/sightings/listSightings/{id}/{context}",
        "/sightings/listSightings/{id}/{context}/{org_id}",
    ] {
        cfg.service(
            resource(path)
                .route(web::get().to(list_sightings))
                .route(web::post().to(list_sightings)),
        );
    }
    cfg.service(resource("/sightings/delete/{id}").route(web::post().to(delete)));
    for path in ["/sightings/restSearch", "/sightings/restSearch/{context}"] {
        cfg.service(
            resource(path)
                .route(web::get().to(rest_search))
                .route(web::post().to(rest_search)),
        );
    }
}
