//! Event reports (markdown write-ups attached to an event):
//! `eventReports/add/{event_id}`, `view`, `edit`, `delete` (soft, or hard with
//! `/1` or `{"hard": 1}`), `restore` and `index`.
//!
//! A report is seen like an attribute of its event: the organisations owning
//! the event see all of them (soft-deleted ones when they ask); others see
//! the live reports of distribution 1, 2, 3 or 5 of events they may see.
//! Changing a report needs perm_add and the right to modify the event
//! (`may_modify`); every change bumps the event's timestamp and unpublishes
//! it (see `ReportStore`).

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};

use actix_web::{web, HttpRequest, HttpResponse};
use cydef_model::event::input::EventReportIn;
use cydef_model::event::{Event, Report};
use cydef_model::search::SearchError;
use cydef_model::{flex, time_fmt, EntityRef};
use cydef_store::{ReportFields, ReportFilter, StoreError};
use serde::Serialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use super::events::{may_modify, scope_for, visible_event, INVALID_EVENT};
use super::{hard_delete, named, resource};
use crate::auth::{AuthUser, Authed, CanAdd};
use crate::error::{success_body, ApiError, ApiResult, NOT_PERMITTED};
use crate::event_view::Scope;
use crate::views::{ErrorBody, SaveFailedBody, SuccessBody};
use crate::wire::{int_str, parse_body};
use crate::AppState;

const INVALID_REPORT: &str = "Invalid report";
const BLANK: &str = "This field cannot be left blank";
const BAD_DISTRIBUTION: &str = "Options: Your organisation only, This community only, Connected communities, All communities, Sharing group, Inherit event";
const BAD_UUID: &str = "Please provide a valid RFC 4122 UUID";
const UUID_TAKEN: &str = "The UUID provided is not unique";
/// MISP's `name` column is a `varchar(255)`.
const NAME_MAX: usize = 255;
const NAME_TOO_LONG: &str = "The name is too long (255 characters at most).";

/// An event report row, in MISP's column order.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportRow {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub id: i64,
    pub uuid: String,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub event_id: i64,
    pub name: String,
    pub content: String,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub distribution: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub sharing_group_id: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub timestamp: i64,
    pub deleted: bool,
}

/// An organisation's id and name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportOrg {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub id: i64,
    pub name: String,
}

/// The report's sharing group; all `null` until sharing groups exist.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportSharingGroup {
    #[schema(value_type = Option<String>)]
    pub id: Option<String>,
    #[schema(value_type = Option<String>)]
    pub name: Option<String>,
    #[schema(value_type = Option<String>)]
    pub uuid: Option<String>,
}

/// The report's event, as MISP contains it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportEvent {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub orgc_id: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub org_id: i64,
    pub info: String,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub user_id: i64,
    pub date: String,
    #[serde(rename = "Orgc")]
    pub orgc: ReportOrg,
    #[serde(rename = "Org")]
    pub org: ReportOrg,
}

/// `{"EventReport": {…}, "SharingGroup": {…}, "Event": {…}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportEnvelope {
    #[serde(rename = "EventReport")]
    pub report: ReportRow,
    #[serde(rename = "SharingGroup")]
    pub sharing_group: ReportSharingGroup,
    #[serde(rename = "Event")]
    pub event: ReportEvent,
}

async fn org_name(state: &AppState, id: i64) -> ApiResult<ReportOrg> {
    match state.store.get_org(EntityRef::Id(id)).await {
        Ok(o) => Ok(ReportOrg {
            id: o.id,
            name: o.name,
        }),
        Err(StoreError::NotFound) => Ok(ReportOrg {
            id,
            name: String::new(),
        }),
        Err(e) => Err(e.into()),
    }
}

/// Renders reports with their events (each event and organisation read once).
async fn render(
    state: &AppState,
    reports: Vec<Report>,
    known: &[&Event],
) -> ApiResult<Vec<ReportEnvelope>> {
    let mut events: HashMap<i64, Event> = known.iter().map(|e| (e.id, (*e).clone())).collect();
    for id in reports
        .iter()
        .map(|r| r.event_id)
        .collect::<BTreeSet<i64>>()
    {
        if let Entry::Vacant(slot) = events.entry(id) {
            let e = state
                .store
                .find_event(EntityRef::Id(id))
                .await
                .map_err(|e| ApiError::from_store(e, INVALID_REPORT))?;
            slot.insert(e);
        }
    }
    let mut orgs: HashMap<i64, ReportOrg> = HashMap::new();
    for e in events.values() {
        for id in [e.org_id, e.orgc_id] {
            if let Entry::Vacant(slot) = orgs.entry(id) {
                slot.insert(org_name(state, id).await?);
            }
        }
    }
    let org = |id: i64| {
        orgs.get(&id).cloned().unwrap_or(ReportOrg {
            id,
            name: String::new(),
        })
    };
    let mut out = Vec::with_capacity(reports.len());
    for r in reports {
        let e = events
            .get(&r.event_id)
            .ok_or_else(|| ApiError::not_found(INVALID_REPORT))?;
        out.push(ReportEnvelope {
            sharing_group: ReportSharingGroup {
                id: None,
                name: None,
                uuid: None,
            },
            event: ReportEvent {
                id: e.id,
                orgc_id: e.orgc_id,
                org_id: e.org_id,
                info: e.info.clone(),
                user_id: e.user_id,
                date: e.date.clone(),
                orgc: org(e.orgc_id),
                org: org(e.org_id),
            },
            report: ReportRow {
                id: r.id,
                uuid: r.uuid,
                event_id: r.event_id,
                name: r.name,
                content: r.content,
                distribution: r.distribution,
                sharing_group_id: r.sharing_group_id,
                timestamp: r.timestamp,
                deleted: r.deleted,
            },
        });
    }
    Ok(out)
}

async fn render_one(state: &AppState, report: Report, event: &Event) -> ApiResult<ReportEnvelope> {
    render(state, vec![report], &[event])
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found(INVALID_REPORT))
}

/// A report `user` may see, with its event; soft-deleted ones only for the
/// organisations owning the event. Anything else is `Invalid report`.
async fn visible_report(state: &AppState, user: &AuthUser, id: &str) -> ApiResult<(Report, Event)> {
    let not_found = || ApiError::not_found(INVALID_REPORT);
    let r = EntityRef::parse(id).ok_or_else(not_found)?;
    let report = state
        .store
        .get_report(r)
        .await
        .map_err(|e| ApiError::from_store(e, INVALID_REPORT))?;
    let event = state
        .store
        .find_event(EntityRef::Id(report.event_id))
        .await
        .map_err(|e| ApiError::from_store(e, INVALID_REPORT))?;
    match scope_for(&user.viewer(state).await?, &event) {
        Some(Scope::Everything) => Ok((report, event)),
        Some(scope)
            if scope.shows(report.distribution, report.sharing_group_id) && !report.deleted =>
        {
            Ok((report, event))
        }
        _ => Err(not_found()),
    }
}

/// The body as a report (`{"EventReport": …}` and `{"request": …}` unwrapped).
fn read_report(bytes: &[u8]) -> ApiResult<EventReportIn> {
    let value = parse_body(bytes, "EventReport")?;
    if !value.is_object() {
        return Err(ApiError::bad_request(
            "Expected a JSON object (optionally wrapped in {\"EventReport\": …}).",
        ));
    }
    serde_json::from_value(value)
        .map_err(|e| ApiError::bad_request(format!("Invalid request: {e}")))
}

/// Checks the fields MISP validates; the errors as `{"field": ["message"]}`.
/// The name's length is checked when one is given (`name_given`): an edit
/// of another field keeps a stored name as it is.
fn check(fields: &ReportFields, name_given: bool) -> Result<(), Value> {
    let mut errors = Map::new();
    if fields.name.trim().is_empty() {
        errors.insert("name".into(), json!([BLANK]));
    } else if name_given && fields.name.chars().count() > NAME_MAX {
        errors.insert("name".into(), json!([NAME_TOO_LONG]));
    }
    if !(0..=5).contains(&fields.distribution) {
        errors.insert("distribution".into(), json!([BAD_DISTRIBUTION]));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Value::Object(errors))
    }
}

/// A report with distribution 4 must name a group its writer may use.
async fn check_group(
    state: &AppState,
    user: &AuthUser,
    fields: &ReportFields,
    uuid: &str,
) -> ApiResult<Result<(), Value>> {
    if fields.distribution != 4 {
        return Ok(Ok(()));
    }
    let uses = [cydef_model::event::SharingGroupUse {
        path: "EventReport".into(),
        uuid: uuid.to_owned(),
        sharing_group_id: (fields.sharing_group_id > 0).then_some(fields.sharing_group_id),
        sharing_group_uuid: None,
    }];
    let refused = crate::sharing::refused_groups(state, user, &uses).await?;
    Ok(match refused.first() {
        None => Ok(()),
        Some(r) => Err(json!({ "sharing_group_id": [r.message] })),
    })
}

/// A sharing group is kept only with distribution 4, as in MISP.
fn sharing_group(distribution: i64, given: Option<i64>) -> i64 {
    cydef_model::event::own_group(distribution, given).unwrap_or(0)
}

/// Adds a report to an event: `name` (required), `content` (markdown),
/// `distribution` (0–5, by default 5, the event's), `uuid` (optional).
#[utoipa::path(post, path = "/event_reports/add/{event_id}", tag = "Event reports",
    summary = "Add an event report",
    params(("event_id" = String, Path, description = "Event id or UUID")),
    request_body(content = Object, description = "`{\"name\", \"content\", \"distribution\"}`, bare or as `{\"EventReport\": {…}}`"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "The stored report", body = ReportEnvelope),
        (status = 400, description = "Body is not JSON", body = ErrorBody),
        (status = 403, description = "No perm_add, `You do not have permission to do that.`, or the report was refused (`errors`)", body = SaveFailedBody),
        (status = 404, description = "`Invalid event`: unknown, malformed or not visible", body = ErrorBody)))]
pub async fn add(
    state: web::Data<AppState>,
    user: Authed<CanAdd>,
    event_id: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let (event, _) = visible_event(&state, &user, &event_id).await?;
    if !may_modify(&user, &event) {
        return Err(ApiError::forbidden(NOT_PERMITTED));
    }
    let input = read_report(&body)?;
    const FAILED: &str = "Could not add EventReport";
    let distribution = input.distribution.unwrap_or(5);
    let fields = ReportFields {
        name: input.name.clone().unwrap_or_default(),
        content: input.content.clone().unwrap_or_default(),
        distribution,
        sharing_group_id: sharing_group(distribution, input.sharing_group_id),
    };
    check(&fields, true).map_err(|errors| ApiError::save_failed_with(FAILED, errors, None))?;
    check_group(
        &state,
        &user,
        &fields,
        input.uuid.as_deref().unwrap_or_default(),
    )
    .await?
    .map_err(|errors| ApiError::save_failed_with(FAILED, errors, None))?;
    let uuid = match input
        .uuid
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        None => uuid::Uuid::new_v4(),
        Some(u) => uuid::Uuid::parse_str(u)
            .map_err(|_| ApiError::save_failed(FAILED, &[("uuid", BAD_UUID.into())], None))?,
    }
    .hyphenated()
    .to_string();
    let report = match state
        .store
        .add_report(event.id, &uuid, &fields, time_fmt::now())
        .await
    {
        Ok(r) => r,
        Err(StoreError::Conflict(_)) => {
            return Err(ApiError::save_failed(
                FAILED,
                &[("uuid", UUID_TAKEN.into())],
                None,
            ))
        }
        Err(e) => return Err(ApiError::from_store(e, INVALID_EVENT)),
    };
    let event = state
        .store
        .find_event(EntityRef::Id(event.id))
        .await
        .map_err(|e| ApiError::from_store(e, INVALID_EVENT))?;
    Ok(HttpResponse::Ok().json(render_one(&state, report, &event).await?))
}

/// One report with its event.
#[utoipa::path(get, path = "/event_reports/view/{id}", tag = "Event reports",
    summary = "View an event report",
    params(("id" = String, Path, description = "Report id or UUID")),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = ReportEnvelope),
        (status = 403, description = "Authentication failed", body = ErrorBody),
        (status = 404, description = "`Invalid report`: unknown, malformed or not visible", body = ErrorBody)))]
pub async fn view(
    state: web::Data<AppState>,
    user: Authed,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (report, event) = visible_report(&state, &user, &id).await?;
    Ok(HttpResponse::Ok().json(render_one(&state, report, &event).await?))
}

/// Changes a report's `name`, `content`, `distribution` or
/// `sharing_group_id`; others keep their values. The timestamp becomes the
/// time of the edit (a `timestamp` in the body is ignored, as in MISP).
#[utoipa::path(post, path = "/event_reports/edit/{id}", tag = "Event reports",
    summary = "Edit an event report",
    params(("id" = String, Path, description = "Report id or UUID")),
    request_body(content = Object, description = "The fields to change, bare or as `{\"EventReport\": {…}}`"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "The report as stored", body = ReportEnvelope),
        (status = 400, description = "Body is not JSON", body = ErrorBody),
        (status = 403, description = "No perm_add, `You do not have permission to do that.`, or the new values were refused (`errors`)", body = SaveFailedBody),
        (status = 404, description = "`Invalid report`", body = ErrorBody)))]
pub async fn edit(
    state: web::Data<AppState>,
    user: Authed<CanAdd>,
    id: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let (stored, event) = visible_report(&state, &user, &id).await?;
    if !may_modify(&user, &event) {
        return Err(ApiError::forbidden(NOT_PERMITTED));
    }
    let input = read_report(&body)?;
    let distribution = input.distribution.unwrap_or(stored.distribution);
    let fields = ReportFields {
        name: input.name.clone().unwrap_or(stored.name.clone()),
        content: input.content.clone().unwrap_or(stored.content.clone()),
        distribution,
        sharing_group_id: sharing_group(
            distribution,
            input.sharing_group_id.or(Some(stored.sharing_group_id)),
        ),
    };
    check(&fields, input.name.is_some())
        .map_err(|errors| ApiError::save_failed_with("Could not edit EventReport", errors, None))?;
    check_group(&state, &user, &fields, &stored.uuid)
        .await?
        .map_err(|errors| ApiError::save_failed_with("Could not edit EventReport", errors, None))?;
    let report = state
        .store
        .update_report(stored.id, &fields, time_fmt::now())
        .await
        .map_err(|e| ApiError::from_store(e, INVALID_REPORT))?;
    let event = state
        .store
        .find_event(EntityRef::Id(event.id))
        .await
        .map_err(|e| ApiError::from_store(e, INVALID_REPORT))?;
    Ok(HttpResponse::Ok().json(render_one(&state, report, &event).await?))
}

/// Deletes a report: softly (it can be restored) or, with `/1` or
/// `{"hard": 1}`, for good.
#[utoipa::path(post, path = "/event_reports/delete/{id}", tag = "Event reports",
    summary = "Delete an event report (soft, or hard with `/1` or `{\"hard\": 1}`)",
    params(("id" = String, Path, description = "Report id or UUID")),
    request_body(content = Object, description = "Optional: `{\"hard\": 1}` deletes for good"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "`Event Report {id} soft deleted` / `… hard deleted`", body = SuccessBody),
        (status = 403, description = "No perm_add, or `You do not have permission to do that.`", body = ErrorBody),
        (status = 404, description = "`Invalid report`", body = ErrorBody)))]
pub async fn delete(
    state: web::Data<AppState>,
    user: Authed<CanAdd>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let id = req.match_info().get("id").unwrap_or_default().to_owned();
    let hard = hard_delete(&req, &body, "EventReport")?;
    let (report, event) = visible_report(&state, &user, &id).await?;
    if !may_modify(&user, &event) {
        return Err(ApiError::forbidden(NOT_PERMITTED));
    }
    let now = time_fmt::now();
    let done = if hard {
        state.store.hard_delete_report(report.id, now).await
    } else {
        state
            .store
            .set_report_deleted(report.id, true, now)
            .await
            .map(|_| ())
    };
    done.map_err(|e| ApiError::from_store(e, INVALID_REPORT))?;
    let how = if hard { "hard" } else { "soft" };
    Ok(HttpResponse::Ok().json(success_body(
        &format!("Event Report {id} {how} deleted"),
        Some(report.id),
    )))
}

/// Restores a soft-deleted report.
#[utoipa::path(post, path = "/event_reports/restore/{id}", tag = "Event reports",
    summary = "Restore a soft-deleted event report",
    params(("id" = String, Path, description = "Report id or UUID")),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "`Event Report {id} restored`", body = SuccessBody),
        (status = 403, description = "No perm_add, or `You do not have permission to do that.`", body = ErrorBody),
        (status = 404, description = "`Invalid report`", body = ErrorBody)))]
pub async fn restore(
    state: web::Data<AppState>,
    user: Authed<CanAdd>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (report, event) = visible_report(&state, &user, &id).await?;
    if !may_modify(&user, &event) {
        return Err(ApiError::forbidden(NOT_PERMITTED));
    }
    state
        .store
        .set_report_deleted(report.id, false, time_fmt::now())
        .await
        .map_err(|e| ApiError::from_store(e, INVALID_REPORT))?;
    Ok(HttpResponse::Ok().json(success_body(
        &format!("Event Report {id} restored"),
        Some(report.id),
    )))
}

/// Index parameters: named (`event_id:5`) and query parameters, then the
/// fields of a POST body.
fn index_params(req: &HttpRequest, body: &[u8]) -> ApiResult<HashMap<String, String>> {
    let mut out: HashMap<String, String> = HashMap::new();
    if let Value::Object(m) = parse_body(body, "EventReport")? {
        for (k, v) in m {
            let text = match v {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => continue,
            };
            out.insert(k, text);
        }
    }
    for (k, v) in named(req).0 {
        out.entry(k).or_insert(v);
    }
    Ok(out)
}

/// `limit` or `page`: a whole number, at least 0 (0 is none); anything else
/// is a 400 with restSearch's message.
fn count_param(p: &HashMap<String, String>, name: &str) -> ApiResult<Option<i64>> {
    let Some(v) = p.get(name) else {
        return Ok(None);
    };
    let invalid = |why: &str| ApiError::bad_request(SearchError::invalid(name, why).0);
    match flex::value_to_i64(&Value::String(v.clone())).map_err(|e| invalid(&e))? {
        Some(n) if n < 0 => Err(invalid("must not be negative")),
        Some(0) | None => Ok(None),
        some => Ok(some),
    }
}

/// The reports the caller may see, by id: `event_id` (id or UUID) limits
/// them to one event; `context` is `default` (live ones), `deleted` or
/// `all` (soft-deleted ones only ever for the organisations owning the
/// event); `value` searches name and content; `limit` and `page` page them
/// as restSearch does.
#[utoipa::path(get, path = "/event_reports/index", tag = "Event reports",
    summary = "List event reports",
    params(
        ("event_id" = Option<String>, Query, description = "Only this event's reports (also as `event_id:{id}`)"),
        ("context" = Option<String>, Query, description = "`default`, `deleted` or `all`"),
        ("value" = Option<String>, Query, description = "Case-insensitive substring of name or content, or the id or UUID"),
        ("limit" = Option<String>, Query, description = "Reports per page (0: all)"),
        ("page" = Option<String>, Query, description = "Page, from 1 (with `limit`)")),
    request_body(content = Object, description = "Optional: the same filters in a POST body"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = [ReportEnvelope]),
        (status = 400, description = "Body not JSON, or a `limit` or `page` that is not a whole number of at least 0", body = ErrorBody),
        (status = 403, description = "Authentication failed", body = ErrorBody)))]
pub async fn index(
    state: web::Data<AppState>,
    user: Authed,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let p = index_params(&req, &body)?;
    let limit = count_param(&p, "limit")?;
    let page = count_param(&p, "page")?;
    let mut filter = ReportFilter {
        deleted: match p.get("context").map(String::as_str) {
            Some("deleted") => Some(true),
            Some("all") => None,
            _ => Some(false),
        },
        search: p.get("value").cloned().filter(|v| !v.trim().is_empty()),
        // A page without a limit is every report, as in restSearch.
        window: limit.map(|l| ((page.unwrap_or(1) - 1).saturating_mul(l), l)),
        ..Default::default()
    };
    if let Some(e) = p.get("event_id").filter(|e| !e.trim().is_empty()) {
        let event_id = match EntityRef::parse(e) {
            Some(EntityRef::Id(id)) => Some(id),
            Some(r @ EntityRef::Uuid(_)) => state.store.find_event(r).await.ok().map(|e| e.id),
            None => None,
        };
        match event_id {
            Some(id) => filter.event_id = Some(id),
            // No event by that name: nothing to list.
            None => return Ok(HttpResponse::Ok().json(Vec::<ReportEnvelope>::new())),
        }
    }
    let reports = state
        .store
        .list_reports(&filter, &user.viewer(&state).await?)
        .await?;
    Ok(HttpResponse::Ok().json(render(&state, reports, &[]).await?))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/event_reports/add/{event_id}").route(web::post().to(add)))
        .service(resource("/event_reports/view/{id}").route(web::get().to(view)))
        .service(
            resource("/event_reports/edit/{id}")
                .route(web::post().to(edit))
                .route(web::put().to(edit)),
        )
        .service(resource("/event_reports/delete/{id}").route(web::post().to(delete)))
        .service(resource("/event_reports/delete/{id}/{hard}").route(web::post().to(delete)))
        .service(resource("/event_reports/restore/{id}").route(web::post().to(restore)))
        .service(
            resource("/event_reports/index")
                .route(web::get().to(index))
                .route(web::post().to(index)),
        );
}
