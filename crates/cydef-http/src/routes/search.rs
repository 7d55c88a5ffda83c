//! MISP's searches: `/attributes/restSearch`, `/events/restSearch` and the
//! filtered `/events/index`. Every syntax clients use is read by one parser
//! (`cydef_model::search`); what a user may see is decided by the store
//! (`SearchStore`), so that a search never matches, counts or returns what
//! the caller may not see.

use std::collections::HashMap;

use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use cydef_model::event::TagLink;
use cydef_model::search::{
    self, Controller, Deleted, ExportFormat, Filter, ReturnFormat, SearchRequest, Sources,
    SUPPORTED_FORMATS,
};
use cydef_model::time_fmt;
use cydef_store::OrgScope;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::events::{render, scope_for, view_stream, IndexEntry};
use super::export::{self, Scope as ExportScope};
use super::{named, resource};
use crate::auth::{AuthUser, Authed};
use crate::error::{ApiError, ApiResult};
use crate::event_view::{self, AttributeView, EventEnvelope, EventOrg, ObjectView, TagView};
use crate::views::ErrorBody;
use crate::wire::{int_str, INVALID_JSON};
use crate::AppState;

/// MISP's answer to a POST search without a body or parameters.
const NO_TERMS: &str =
    "Either specify the search terms in the url, or POST a json with the filter parameters.";
/// MISP's answer to a GET search without parameters.
const GET_WITHOUT_PARAMETERS: &str = "Restsearch queries using GET and no parameters are not allowed. If you have passed parameters via a JSON body, make sure you use POST requests.";

/// The event an attribute search result belongs to, as MISP shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttributeEvent {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub org_id: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub distribution: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub id: i64,
    pub info: String,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub orgc_id: i64,
    pub uuid: String,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub publish_timestamp: i64,
}

/// One attribute of an attribute search, with its event.
#[derive(Debug, Serialize, ToSchema)]
pub struct FoundAttribute {
    #[serde(flatten)]
    pub attribute: AttributeView,
    /// With `includeEventUuid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_uuid: Option<String>,
    #[serde(rename = "Event")]
    pub event: AttributeEvent,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttributeList {
    #[serde(rename = "Attribute")]
    pub attribute: Vec<FoundAttribute>,
}

/// `{"response": {"Attribute": […]}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttributeSearchResponse {
    pub response: AttributeList,
}

/// `{"response": [{"Event": …}, …]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventSearchResponse {
    pub response: Vec<EventEnvelope>,
}

/// A tag on an event, as the events index shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndexEventTag {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub event_id: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub tag_id: i64,
    pub local: bool,
    pub relationship_type: Option<String>,
    #[serde(rename = "Tag")]
    pub tag: IndexTag,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IndexTag {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub id: i64,
    pub name: String,
    pub colour: String,
    pub is_galaxy: bool,
}

/// One row of the filtered events index: the event, its organisations and
/// its tags.
#[derive(Serialize, ToSchema)]
pub struct IndexRow {
    #[serde(flatten)]
    pub entry: IndexEntry,
    #[serde(rename = "EventTag")]
    pub event_tag: Vec<IndexEventTag>,
}

/// Reads a search from the URL (named parameters, query string, the
/// `returnFormat` path segment or MISP's legacy positional form) and the body.
fn read_request(
    req: &HttpRequest,
    body: &[u8],
    tail: Option<&str>,
    controller: Option<Controller>,
) -> ApiResult<SearchRequest> {
    read_search(req, body, tail, controller).map(|(q, _)| q)
}

/// [`read_request`], and whether the body held any key at all.
fn read_search(
    req: &HttpRequest,
    body: &[u8],
    tail: Option<&str>,
    controller: Option<Controller>,
) -> ApiResult<(SearchRequest, bool)> {
    let map: Option<Map<String, Value>> = if body.trim_ascii().is_empty() {
        None
    } else {
        match crate::wire::parse_body(body, "request")? {
            Value::Object(m) => Some(m),
            _ => return Err(ApiError::bad_request(INVALID_JSON)),
        }
    };
    // `/restSearch/json/null/md5`: the first segment is the format, the
    // others MISP's positional parameters.
    let segments: Vec<&str> = tail
        .unwrap_or_default()
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let mut pairs = match controller {
        Some(c) if !segments.is_empty() => search::positional(c, &segments),
        _ => Vec::new(),
    };
    pairs.extend(named(req).0);
    let q = search::parse(
        &Sources {
            body: map.as_ref(),
            named: &pairs,
            path_format: None,
        },
        time_fmt::now(),
    )
    .map_err(|e| ApiError::bad_request(e.0))?;
    let body_given = map.as_ref().is_some_and(|m| !m.is_empty());
    Ok((q, body_given))
}

/// The format asked: JSON (`None`) or one of `valid`'s exports. Others
/// are refused naming the valid ones: 400 for MISP formats not produced
/// yet (STIX, …), 404 for the rest.
fn check_format(q: &SearchRequest, valid: &[&str]) -> ApiResult<Option<ExportFormat>> {
    let list = valid.join(", ");
    match &q.return_format {
        ReturnFormat::Json => Ok(None),
        ReturnFormat::Export(f) if valid.contains(&f.name()) => Ok(Some(*f)),
        ReturnFormat::Export(f) => Err(ApiError::not_found(format!(
            "Invalid output format: {}. Valid formats: {list}.",
            f.name()
        ))),
        ReturnFormat::NotYetSupported(f) => Err(ApiError::bad_request(format!(
            "The {f} export format is not supported yet. Valid formats: {list}."
        ))),
        ReturnFormat::Unknown(f) => Err(ApiError::not_found(format!(
            "Invalid output format: {f}. Valid formats: {list}."
        ))),
    }
}

/// A restSearch must say what it searches: MISP refuses a GET without
/// parameters and a POST with neither URL parameters nor a body (empty or
/// `{}`); a body of unknown keys only searches everything, as in MISP.
fn check_terms(req: &HttpRequest, q: &SearchRequest, body_given: bool) -> ApiResult<()> {
    if q.any_parameter || (body_given && req.method() != actix_web::http::Method::GET) {
        Ok(())
    } else if req.method() == actix_web::http::Method::GET {
        Err(ApiError::bad_request(GET_WITHOUT_PARAMETERS))
    } else {
        Err(ApiError::bad_request(NO_TERMS))
    }
}

fn count_headers(total: i64) -> [(&'static str, String); 3] {
    [
        ("x-result-count", total.to_string()),
        ("x-export-module-used", "json".to_owned()),
        ("x-response-format", "json".to_owned()),
    ]
}

fn with_count(total: i64) -> actix_web::HttpResponseBuilder {
    let mut r = HttpResponse::Ok();
    for header in count_headers(total) {
        r.insert_header(header);
    }
    r
}

/// Attributes matching the filters, each with its event and tags.
///
/// Filters (body, named parameters or query string; snake_case or
/// camelCase): `value` (`%` wildcards; composite values match either half),
/// `type`, `category`, `org`, `tags`/`tag` (the attribute's or its event's),
/// `event_tags`, `eventid`, `uuid`, `eventinfo`, `from`/`to`, `last`,
/// `timestamp`, `attribute_timestamp`, `event_timestamp`,
/// `publish_timestamp`, `published`, `to_ids`, `deleted`, `distribution`,
/// `sharinggroup`, `threat_level_id`, `analysis`, `object_relation`,
/// `searchall`, `limit`/`page`. Lists, `!` negation, `a&&!b` and
/// `{"OR": [], "AND": [], "NOT": []}` are accepted everywhere.
///
/// `returnFormat` (or the path segment after `restSearch`) is `json` or one
/// of MISP's text exports: `csv` (`requested_attributes`, `includeContext`,
/// `headerless`), `text`, `hashes`, `suricata`, `snort`, `rpz` (`policy`,
/// `walled_garden`, `ns`, `email`, `serial`, `ttl`, …). The detection
/// formats take only `to_ids` attributes of published events unless
/// `to_ids` or `published` is given.
#[utoipa::path(post, path = "/attributes/restSearch", tag = "Search",
    request_body(content = Object, description = "Filters, bare or as `{\"request\": {…}}`"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "Matching attributes; `X-Result-Count` is the number of matches in all pages. With `returnFormat` `csv` (text/csv), `text`, `hashes`, `suricata`, `snort` or `rpz` (text/plain), MISP's export of them", content(
            (AttributeSearchResponse = "application/json"),
            (String = "text/csv"),
            (String = "text/plain"))),
        (status = 400, description = "Body is not JSON, a filter cannot be read, or the export format is not supported yet (STIX, …)", body = ErrorBody),
        (status = 403, description = "Authentication failed", body = ErrorBody),
        (status = 404, description = "Unknown export format", body = ErrorBody)))]
pub async fn attributes_search(
    state: web::Data<AppState>,
    user: Authed,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    attribute_search(&state, &user, &req, &body, None).await
}

async fn attributes_search_tail(
    state: web::Data<AppState>,
    user: Authed,
    req: HttpRequest,
    tail: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    attribute_search(&state, &user, &req, &body, Some(&tail)).await
}

async fn attribute_search(
    state: &AppState,
    user: &AuthUser,
    req: &HttpRequest,
    body: &[u8],
    tail: Option<&str>,
) -> ApiResult<HttpResponse> {
    let (q, body_given) = read_search(req, body, tail, Some(Controller::Attributes))?;
    let format = check_format(&q, SUPPORTED_FORMATS)?;
    check_terms(req, &q, body_given)?;
    let viewer = user.viewer(state).await?;
    if let Some(f) = format {
        return export::respond(state, user, viewer, q, f, ExportScope::Attributes).await;
    }
    let hits = state.store.search_attributes(&q, &viewer).await?;
    let events: HashMap<i64, &cydef_model::event::Event> =
        hits.events.iter().map(|e| (e.id, e)).collect();
    let mut attribute_tags: HashMap<i64, Vec<TagView>> = HashMap::new();
    for l in &hits.attribute_tags {
        attribute_tags
            .entry(l.target_id)
            .or_default()
            .push(TagView::new(l));
    }
    let mut event_tags: HashMap<i64, Vec<&TagLink>> = HashMap::new();
    if q.include_event_tags {
        for l in &hits.event_tags {
            event_tags.entry(l.target_id).or_default().push(l);
        }
    }
    let mut found = Vec::with_capacity(hits.attributes.len());
    for a in hits.attributes {
        let Some(e) = events.get(&a.event_id) else {
            continue;
        };
        let mut tags = attribute_tags.remove(&a.id).unwrap_or_default();
        for l in event_tags.get(&a.event_id).into_iter().flatten() {
            if !tags.iter().any(|t| t.id == l.tag.id) {
                tags.push(TagView::new(l));
            }
        }
        let event = AttributeEvent {
            org_id: e.org_id,
            distribution: e.distribution,
            id: e.id,
            info: e.info.clone(),
            orgc_id: e.orgc_id,
            uuid: e.uuid.clone(),
            publish_timestamp: e.publish_timestamp,
        };
        found.push(FoundAttribute {
            attribute: event_view::attribute_view(a, tags, Vec::new()),
            event_uuid: q.include_event_uuid.then(|| e.uuid.clone()),
            event,
        });
    }
    Ok(with_count(hits.total).json(AttributeSearchResponse {
        response: AttributeList { attribute: found },
    }))
}

/// Events matching the filters, each with everything the caller may see in
/// it (`metadata`: without attributes, objects and reports). An event matches
/// attribute filters (`value`, `type`, `category`, `to_ids`, …) through one
/// of its attributes the caller may see; `tags` match the event's tags and
/// those of its visible attributes. Same filters as `/attributes/restSearch`.
///
/// The text exports (`returnFormat` as for `/attributes/restSearch`) write
/// every attribute the caller sees in the matching events (only `to_ids`
/// ones for the detection formats), top-level attributes first.
#[utoipa::path(post, path = "/events/restSearch", tag = "Search",
    request_body(content = Object, description = "Filters, bare or as `{\"request\": {…}}`"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "Matching events; `X-Result-Count` is the number of matching events in all pages. With `returnFormat` `csv` (text/csv), `text`, `hashes`, `suricata`, `snort` or `rpz` (text/plain), MISP's export of their attributes", content(
            (EventSearchResponse = "application/json"),
            (String = "text/csv"),
            (String = "text/plain"))),
        (status = 400, description = "Body is not JSON, a filter cannot be read, or the export format is not supported yet (STIX, …)", body = ErrorBody),
        (status = 403, description = "Authentication failed", body = ErrorBody),
        (status = 404, description = "Unknown export format", body = ErrorBody)))]
pub async fn events_search(
    state: web::Data<AppState>,
    user: Authed,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    event_search(&state, &user, &req, &body, None).await
}

async fn events_search_tail(
    state: web::Data<AppState>,
    user: Authed,
    req: HttpRequest,
    tail: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    event_search(&state, &user, &req, &body, Some(&tail)).await
}

async fn event_search(
    state: &AppState,
    user: &AuthUser,
    req: &HttpRequest,
    body: &[u8],
    tail: Option<&str>,
) -> ApiResult<HttpResponse> {
    let (q, body_given) = read_search(req, body, tail, Some(Controller::Events))?;
    let format = check_format(&q, SUPPORTED_FORMATS)?;
    check_terms(req, &q, body_given)?;
    let viewer = user.viewer(state).await?;
    if let Some(f) = format {
        return export::respond(state, user, viewer, q, f, ExportScope::Events).await;
    }
    let hits = state.store.search_events(&q, &viewer, false).await?;
    if !q.metadata {
        // The store matched only visible events; each view applies the same
        // rule to the parts.
        let events = hits
            .events
            .into_iter()
            .filter_map(|e| scope_for(&viewer, &e).map(|scope| (e, scope)))
            .collect();
        let list = EventList {
            store: state.store.clone(),
            viewer_org_id: user.org.id,
            with_deleted: q.deleted != Deleted::Exclude,
            events,
            current: None,
            state: ListState::Start,
        };
        let mut response = event_view::respond(list).await?;
        for (name, value) in count_headers(hits.total) {
            response.headers_mut().insert(
                actix_web::http::header::HeaderName::from_static(name),
                actix_web::http::header::HeaderValue::from_str(&value)
                    .map_err(|e| ApiError::Internal(e.to_string()))?,
            );
        }
        return Ok(response);
    }
    let mut response = Vec::with_capacity(hits.events.len());
    for event in &hits.events {
        // The store matched only visible events; the view applies the same
        // rule to the parts.
        let Some(scope) = scope_for(&viewer, event) else {
            continue;
        };
        let everything = scope.is_everything();
        let mut envelope = render(state, user, event, scope).await?;
        if !everything || q.deleted == Deleted::Exclude {
            event_view::drop_deleted(&mut envelope.event);
        }
        if q.metadata {
            let e = &mut envelope.event;
            e.attribute.clear();
            e.object.clear();
            e.shadow_attribute.clear();
            e.event_report.clear();
        }
        response.push(envelope);
    }
    Ok(with_count(hits.total).json(EventSearchResponse { response }))
}

/// Where an [`EventList`] is.
enum ListState {
    Start,
    Events { written: bool },
    Done,
}

/// `{"response":[…]}` of event views, each streamed from the store in turn,
/// so that memory does not grow with the size of the events.
struct EventList {
    store: std::sync::Arc<dyn cydef_store::Store>,
    viewer_org_id: i64,
    with_deleted: bool,
    events: std::collections::VecDeque<(cydef_model::event::Event, event_view::Scope)>,
    current: Option<event_view::StoreViewStream>,
    state: ListState,
}

impl event_view::Chunks for EventList {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, event_view::ViewError> {
        loop {
            if let Some(view) = &mut self.current {
                if let Some(chunk) = view.next_chunk().await? {
                    return Ok(Some(chunk));
                }
                self.current = None;
            }
            match self.state {
                ListState::Start => {
                    self.state = ListState::Events { written: false };
                    return Ok(Some(Bytes::from_static(br#"{"response":["#)));
                }
                ListState::Events { written } => match self.events.pop_front() {
                    Some((event, scope)) => {
                        self.current = Some(
                            view_stream(
                                &self.store,
                                self.viewer_org_id,
                                &event,
                                scope,
                                self.with_deleted,
                            )
                            .await?,
                        );
                        self.state = ListState::Events { written: true };
                        if written {
                            return Ok(Some(Bytes::from_static(b",")));
                        }
                    }
                    None => {
                        self.state = ListState::Done;
                        return Ok(Some(Bytes::from_static(b"]}")));
                    }
                },
                ListState::Done => return Ok(None),
            }
        }
    }
}

/// `{"Object": …}`: an object with its visible attributes.
#[derive(Debug, Serialize, ToSchema)]
pub struct FoundObject {
    #[serde(rename = "Object")]
    pub object: ObjectView,
}

/// `{"response": [{"Object": …}, …]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObjectSearchResponse {
    pub response: Vec<FoundObject>,
}

/// Objects matching the filters, each with the attributes the caller may see
/// in it. `object_name` selects by name; attribute filters (`value`, `type`,
/// `to_ids`, …) match through a visible attribute of the object; `tags`
/// match the event's tags or those of the object's visible attributes.
/// Object references are not included.
#[utoipa::path(post, path = "/objects/restSearch", tag = "Search",
    request_body(content = Object, description = "Filters, bare or as `{\"request\": {…}}`"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "Matching objects; `X-Result-Count` is the number of matches in all pages", body = ObjectSearchResponse),
        (status = 400, description = "Body is not JSON, a filter cannot be read, or the export format is not supported yet", body = ErrorBody),
        (status = 403, description = "Authentication failed", body = ErrorBody),
        (status = 404, description = "Unknown export format", body = ErrorBody)))]
pub async fn objects_search(
    state: web::Data<AppState>,
    user: Authed,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    object_search(&state, &user, &req, &body, None).await
}

async fn objects_search_tail(
    state: web::Data<AppState>,
    user: Authed,
    req: HttpRequest,
    tail: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    object_search(&state, &user, &req, &body, Some(&tail)).await
}

async fn object_search(
    state: &AppState,
    user: &AuthUser,
    req: &HttpRequest,
    body: &[u8],
    tail: Option<&str>,
) -> ApiResult<HttpResponse> {
    let (q, body_given) = read_search(req, body, tail, Some(Controller::Objects))?;
    // MISP's object search answers JSON only.
    check_format(&q, &["json"])?;
    check_terms(req, &q, body_given)?;
    let hits = state
        .store
        .search_objects(&q, &user.viewer(state).await?)
        .await?;
    let mut tags: HashMap<i64, Vec<TagView>> = HashMap::new();
    for l in &hits.attribute_tags {
        tags.entry(l.target_id).or_default().push(TagView::new(l));
    }
    let mut attributes: HashMap<i64, Vec<AttributeView>> = HashMap::new();
    for a in hits.attributes {
        let Some(object_id) = a.object_id else {
            continue;
        };
        let t = tags.remove(&a.id).unwrap_or_default();
        attributes
            .entry(object_id)
            .or_default()
            .push(event_view::attribute_view(a, t, Vec::new()));
    }
    let response = hits
        .objects
        .iter()
        .map(|o| FoundObject {
            object: event_view::object_view(
                o,
                Vec::new(),
                attributes.remove(&o.id).unwrap_or_default(),
            ),
        })
        .collect();
    Ok(with_count(hits.total).json(ObjectSearchResponse { response }))
}

/// MISP's older IDS export, `/events/nids/{suricata|snort}[/download]`:
/// the rules of the published events with `to_ids` attributes that the
/// filters (named or query parameters, or a body) select, as
/// `/events/restSearch` in that format. MISP answers Suricata rules whatever
/// the segment says; the segment is honoured here.
#[utoipa::path(get, path = "/events/nids/{format}/download", tag = "Search",
    params(("format" = String, Path, description = "`suricata` or `snort`")),
    request_body(content = Object, description = "Optional filters, as for `/events/restSearch`"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "The rules (`X-Result-Count`: matching events)", body = String, content_type = "text/plain"),
        (status = 400, description = "A filter cannot be read", body = ErrorBody),
        (status = 403, description = "Authentication failed", body = ErrorBody),
        (status = 404, description = "Neither `suricata` nor `snort`", body = ErrorBody)))]
pub async fn nids_export(
    state: web::Data<AppState>,
    user: Authed,
    req: HttpRequest,
    format: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let format = match ExportFormat::parse(&format) {
        Some(f @ (ExportFormat::Suricata | ExportFormat::Snort)) => f,
        _ => {
            return Err(ApiError::not_found(format!(
                "Invalid output format: {format}. Valid formats: suricata, snort."
            )))
        }
    };
    let q = read_request(&req, &body, None, None)?;
    let viewer = user.viewer(&state).await?;
    export::respond(&state, &user, viewer, q, format, ExportScope::Events).await
}

/// MISP's older hash export, `/events/hids/{md5|sha1|sha256}[/download]`:
/// the `hashes` export of attributes of those types (`md5` also takes
/// `malware-sample` and `filename|md5`, and so on; another segment is taken
/// as the type), with the filters given, as `/attributes/restSearch`.
#[utoipa::path(get, path = "/events/hids/{format}/download", tag = "Search",
    params(("format" = String, Path, description = "`md5`, `sha1`, `sha256` (or another attribute type)")),
    request_body(content = Object, description = "Optional filters, as for `/attributes/restSearch`"),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "One hash a line (`X-Result-Count`: matching attributes)", body = String, content_type = "text/plain"),
        (status = 400, description = "A filter cannot be read", body = ErrorBody),
        (status = 403, description = "Authentication failed", body = ErrorBody)))]
pub async fn hids_export(
    state: web::Data<AppState>,
    user: Authed,
    req: HttpRequest,
    format: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let types: Vec<String> = match format.as_str() {
        "md5" => vec!["malware-sample", "md5", "filename|md5"],
        "sha1" => vec!["sha1", "filename|sha1"],
        "sha256" => vec!["sha256", "filename|sha256"],
        other => vec![other],
    }
    .into_iter()
    .map(str::to_owned)
    .collect();
    let mut q = read_request(&req, &body, None, None)?;
    q.attr_type = Filter {
        any: types,
        ..Filter::default()
    };
    let viewer = user.viewer(&state).await?;
    export::respond(
        &state,
        &user,
        viewer,
        q,
        ExportFormat::Hashes,
        ExportScope::Attributes,
    )
    .await
}

/// The events index with MISP's filters (`searchinfo`, `searchorg`,
/// `searchtag`, `searchpublished`, `searchdatefrom`, `searchdateuntil`,
/// `searcheventid`, `searchall`, … with or without the `search` prefix, as
/// named parameters, query string or body), `limit`/`page` and
/// `sort`/`direction`; newest first by default.
pub(crate) async fn index(
    state: &AppState,
    user: &AuthUser,
    req: &HttpRequest,
    body: &[u8],
) -> ApiResult<HttpResponse> {
    let q = read_request(req, body, None, None)?;
    let hits = state
        .store
        .search_events(&q, &user.viewer(state).await?, true)
        .await?;
    let ids: Vec<i64> = hits.events.iter().map(|e| e.id).collect();
    let mut tags: HashMap<i64, Vec<IndexEventTag>> = HashMap::new();
    for l in state.store.tags_of_events(&ids).await? {
        tags.entry(l.target_id).or_default().push(IndexEventTag {
            event_id: l.target_id,
            tag_id: l.tag.id,
            local: l.local,
            relationship_type: l.relationship_type.clone(),
            tag: IndexTag {
                id: l.tag.id,
                name: l.tag.name.clone(),
                colour: l.tag.colour.clone(),
                is_galaxy: l.tag.is_galaxy,
            },
        });
    }
    let orgs = state.store.list_orgs(OrgScope::All, None).await?;
    let org = |id: i64| {
        orgs.iter()
            .find(|(o, _)| o.id == id)
            .map(|(o, _)| EventOrg::new(o))
            .unwrap_or(EventOrg {
                id,
                name: String::new(),
                uuid: String::new(),
                local: false,
            })
    };
    let rows: Vec<IndexRow> = hits
        .events
        .iter()
        .map(|e| IndexRow {
            entry: IndexEntry {
                id: e.id,
                org_id: e.org_id,
                date: e.date.clone(),
                info: e.info.clone(),
                uuid: e.uuid.clone(),
                published: e.published,
                analysis: e.analysis,
                attribute_count: e.attribute_count,
                orgc_id: e.orgc_id,
                timestamp: e.timestamp,
                distribution: e.distribution,
                sharing_group_id: e.sharing_group_id,
                proposal_email_lock: e.proposal_email_lock,
                locked: e.locked,
                threat_level_id: e.threat_level_id,
                publish_timestamp: e.publish_timestamp,
                sighting_timestamp: e.sighting_timestamp,
                disable_correlation: e.disable_correlation,
                extends_uuid: e.extends_uuid.clone(),
                org: org(e.org_id),
                orgc: org(e.orgc_id),
            },
            event_tag: tags.remove(&e.id).unwrap_or_default(),
        })
        .collect();
    Ok(with_count(hits.total).json(rows))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/attributes/restSearch")
            .route(web::get().to(attributes_search))
            .route(web::post().to(attributes_search)),
    )
    .service(
        resource("/attributes/restSearch/{tail:.*}")
            .route(web::get().to(attributes_search_tail))
            .route(web::post().to(attributes_search_tail)),
    )
    .service(
        resource("/events/restSearch")
            .route(web::get().to(events_search))
            .route(web::post().to(events_search)),
    )
    .service(
        resource("/events/restSearch/{tail:.*}")
            .route(web::get().to(events_search_tail))
            .route(web::post().to(events_search_tail)),
    )
    .service(
        resource("/events/nids/{format}/download")
            .route(web::get().to(nids_export))
            .route(web::post().to(nids_export)),
    )
    .service(
        resource("/events/nids/{format}")
            .route(web::get().to(nids_export))
            .route(web::post().to(nids_export)),
    )
    .service(
        resource("/events/hids/{format}/download")
            .route(web::get().to(hids_export))
            .route(web::post().to(hids_export)),
    )
    .service(
        resource("/events/hids/{format}")
            .route(web::get().to(hids_export))
            .route(web::post().to(hids_export)),
    )
    .service(
        resource("/objects/restSearch")
            .route(web::get().to(objects_search))
            .route(web::post().to(objects_search)),
    )
    .service(
        resource("/objects/restSearch/{tail:.*}")
            .route(web::get().to(objects_search_tail))
            .route(web::post().to(objects_search_tail)),
    );
}
