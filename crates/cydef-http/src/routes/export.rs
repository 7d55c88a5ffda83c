//! restSearch in MISP's text formats (`csv`, `text`, `hashes`, `suricata`,
//! `snort`, `rpz`): the search is run page by page and each page is
//! formatted by [`crate::export`] and streamed, so that an export of any size
//! holds one page at a time (and the distinct values the formats that
//! group them keep: text, RPZ).
//!
//! Attribute searches read the attributes themselves, [`ATTRIBUTE_PAGE`] at
//! a time (or the one page asked with `limit`/`page`). Event searches read
//! the matching events [`EVENT_PAGE`] at a time and then, for a few events
//! at a time (about [`CHUNK_ATTRIBUTES`] attributes, or one larger event),
//! the attributes the reader may see in them, as MISP's event exports do:
//! every attribute of a matching event (only `to_ids` ones for the
//! detection formats), not only those that matched.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use cydef_model::event::{Event, MispObject, TagLink};
use cydef_model::search::{ExportFormat, Filter, SearchRequest};
use cydef_model::time_fmt;
use cydef_store::{AttributeHits, OrgScope, Store, StoreError, Viewer};
use futures_util::{stream, StreamExt};
use tracing::Instrument;

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::export::{self, EventInfo, Exporter, Item};
use crate::AppState;

/// Attributes read per page of an attribute search.
pub(crate) const ATTRIBUTE_PAGE: i64 = 5_000;
/// Events read per page of an event search.
pub(crate) const EVENT_PAGE: i64 = 500;
/// About how many attributes are read at once in an event search.
pub(crate) const CHUNK_ATTRIBUTES: i64 = 10_000;
/// Body chunks are about this size.
const CHUNK_BYTES: usize = 64 * 1024;

/// What is searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    Attributes,
    Events,
}

/// Answers the search `q` in `format`, streamed. The first page is read
/// before the answer starts, so that an error there is an error answer and
/// `X-Result-Count` (matching attributes or events in all pages) is known.
pub(crate) async fn respond(
    state: &AppState,
    user: &AuthUser,
    viewer: Viewer,
    mut q: SearchRequest,
    format: ExportFormat,
    scope: Scope,
) -> ApiResult<HttpResponse> {
    q.apply_export_defaults(format);
    let ctx = export::Context {
        nids_sid: user.user.nids_sid,
        baseurl: state.config.baseurl.clone().unwrap_or_default(),
        now: time_fmt::now(),
    };
    let exporter = export::exporter(format, &q, &ctx);
    // Organisation names are only shown in CSV's event context.
    let orgs = if format == ExportFormat::Csv && q.include_context {
        state
            .store
            .list_orgs(OrgScope::All, None)
            .await?
            .into_iter()
            .map(|(o, _)| (o.id, o.name))
            .collect()
    } else {
        HashMap::new()
    };
    let filename = (scope == Scope::Events).then(|| {
        let which = match (
            q.eventid.any.as_slice(),
            q.eventid.all.is_empty(),
            q.eventid.not.is_empty(),
        ) {
            ([id], true, true) => id.to_string(),
            _ => "list".to_owned(),
        };
        format!("misp.event.{which}.{}", format.response_type())
    });
    let mut run = Run {
        store: state.store.clone(),
        viewer,
        user_paged: q.limit.is_some(),
        q,
        scope,
        exporter,
        orgs,
        total: 0,
        phase: Phase::Header,
    };
    let first = run.next_chunk().await?.unwrap_or_default();
    let mut response = HttpResponse::Ok();
    response
        .content_type(export::content_type(format))
        .insert_header(("X-Result-Count", run.total.to_string()))
        .insert_header(("X-Export-Module-Used", format.name()))
        .insert_header(("X-Response-Format", format.response_type()));
    if let Some(name) = filename {
        response.insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(name)],
        });
    }
    let span = tracing::Span::current();
    let rest = stream::try_unfold(run, move |mut run| {
        async move {
            match run.next_chunk().await {
                Ok(Some(chunk)) => Ok(Some((chunk, run))),
                Ok(None) => Ok(None),
                Err(e) => {
                    tracing::error!(error = %e, "export cut short");
                    Err(e)
                }
            }
        }
        .instrument(span.clone())
    });
    let body = stream::once(async move { Ok::<_, StoreError>(first) }).chain(rest);
    Ok(response.streaming(body))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Header,
    /// Read this page (1-based) next.
    Page(i64),
    Footer,
    Done,
}

/// One export under way.
struct Run {
    store: Arc<dyn Store>,
    viewer: Viewer,
    q: SearchRequest,
    /// The search asked for one page (`limit`): only that page is read.
    user_paged: bool,
    scope: Scope,
    exporter: Box<dyn Exporter>,
    orgs: HashMap<i64, String>,
    /// Matches in all pages, known after the first.
    total: i64,
    phase: Phase,
}

impl Run {
    /// The next piece of the body, or `None` after the last.
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, StoreError> {
        let mut out = String::new();
        loop {
            if out.len() >= CHUNK_BYTES {
                return Ok(Some(Bytes::from(out)));
            }
            self.phase = match self.phase {
                Phase::Header => {
                    self.exporter.header(&mut out);
                    Phase::Page(1)
                }
                Phase::Page(n) => {
                    let more = match self.scope {
                        Scope::Attributes => self.attribute_page(n, &mut out).await?,
                        Scope::Events => self.event_page(n, &mut out).await?,
                    };
                    if more {
                        Phase::Page(n + 1)
                    } else {
                        Phase::Footer
                    }
                }
                Phase::Footer => {
                    self.exporter.footer(&mut out);
                    Phase::Done
                }
                Phase::Done => return Ok((!out.is_empty()).then(|| Bytes::from(out))),
            };
        }
    }

    /// The search of page `n`: the one asked, or page `n` of `size`. Only
    /// the first page counts all matches.
    fn paged(&self, n: i64, size: i64) -> SearchRequest {
        let mut q = self.q.clone();
        if !self.user_paged {
            q.limit = Some(size);
            q.page = Some(n);
        }
        q.skip_count = n > 1;
        q
    }

    /// Whether a page of `len` rows may have more after it.
    fn more_after(&self, len: usize, size: i64) -> bool {
        !self.user_paged && i64::try_from(len).unwrap_or(i64::MAX) >= size
    }

    /// Page `n` of an attribute search; returns whether there may be more.
    async fn attribute_page(&mut self, n: i64, out: &mut String) -> Result<bool, StoreError> {
        let q = self.paged(n, ATTRIBUTE_PAGE);
        let hits = self.store.search_attributes(&q, &self.viewer).await?;
        if n == 1 {
            self.total = hits.total;
        }
        let more = self.more_after(hits.attributes.len(), ATTRIBUTE_PAGE);
        let found = Found::new(&hits, &self.orgs, self.q.include_all_tags);
        let events: HashMap<i64, EventInfo> = hits
            .events
            .iter()
            .map(|e| (e.id, found.event_info(e)))
            .collect();
        for a in &hits.attributes {
            let Some(event) = events.get(&a.event_id) else {
                continue;
            };
            self.exporter.attribute(&found.item(a, event), out);
        }
        Ok(more)
    }

    /// Page `n` of an event search, each event with the attributes the
    /// reader sees in it; returns whether there may be more.
    async fn event_page(&mut self, n: i64, out: &mut String) -> Result<bool, StoreError> {
        let q = self.paged(n, EVENT_PAGE);
        let hits = self.store.search_events(&q, &self.viewer, false).await?;
        if n == 1 {
            self.total = hits.total;
        }
        let more = self.more_after(hits.events.len(), EVENT_PAGE);
        if self.q.metadata {
            return Ok(more);
        }
        for chunk in chunks(&hits.events) {
            self.event_chunk(chunk, out).await?;
        }
        Ok(more)
    }

    /// A few events: their attributes read at once and written event by
    /// event.
    async fn event_chunk(&mut self, events: &[Event], out: &mut String) -> Result<(), StoreError> {
        let q = SearchRequest {
            eventid: Filter {
                any: events.iter().map(|e| e.id).collect(),
                ..Filter::default()
            },
            to_ids: self.q.to_ids,
            deleted: self.q.deleted,
            skip_count: true,
            ..SearchRequest::default()
        };
        let hits = self.store.search_attributes(&q, &self.viewer).await?;
        let found = Found::new(&hits, &self.orgs, self.q.include_all_tags);
        let mut by_event: HashMap<i64, Vec<&cydef_model::event::Attribute>> = HashMap::new();
        for a in &hits.attributes {
            by_event.entry(a.event_id).or_default().push(a);
        }
        for e in events {
            let info = found.event_info(e);
            let items: Vec<Item<'_>> = by_event
                .remove(&e.id)
                .unwrap_or_default()
                .into_iter()
                .map(|a| found.item(a, &info))
                .collect();
            self.exporter.event(&info, &items, out);
        }
        Ok(())
    }
}

/// Events in order, grouped so that each group has about
/// [`CHUNK_ATTRIBUTES`] attributes (an event with more is a group alone).
fn chunks(events: &[Event]) -> Vec<&[Event]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut size = 0;
    for (i, e) in events.iter().enumerate() {
        let count = e.attribute_count.max(1);
        if i > start && size + count > CHUNK_ATTRIBUTES {
            out.push(&events[start..i]);
            start = i;
            size = 0;
        }
        size += count;
    }
    if start < events.len() {
        out.push(&events[start..]);
    }
    out
}

/// What a page of attributes brings besides them: tag names and objects.
struct Found<'h> {
    attribute_tags: HashMap<i64, Vec<String>>,
    event_tags: HashMap<i64, Vec<String>>,
    objects: HashMap<i64, &'h MispObject>,
    orgs: &'h HashMap<i64, String>,
}

impl<'h> Found<'h> {
    fn new(hits: &'h AttributeHits, orgs: &'h HashMap<i64, String>, all_tags: bool) -> Self {
        // Exports show exportable tags only, unless `includeAllTags`.
        let names = |links: &[TagLink]| {
            let mut m: HashMap<i64, Vec<String>> = HashMap::new();
            for l in links.iter().filter(|l| all_tags || l.tag.exportable) {
                m.entry(l.target_id).or_default().push(l.tag.name.clone());
            }
            m
        };
        Self {
            attribute_tags: names(&hits.attribute_tags),
            event_tags: names(&hits.event_tags),
            objects: hits.objects.iter().map(|o| (o.id, o)).collect(),
            orgs,
        }
    }

    fn event_info(&self, e: &Event) -> EventInfo {
        let org = |id: i64| self.orgs.get(&id).cloned().unwrap_or_default();
        EventInfo {
            event: e.clone(),
            org_name: org(e.org_id),
            orgc_name: org(e.orgc_id),
            tags: self.event_tags.get(&e.id).cloned().unwrap_or_default(),
        }
    }

    fn item<'a>(&'a self, a: &'a cydef_model::event::Attribute, event: &'a EventInfo) -> Item<'a> {
        Item {
            attribute: a,
            tags: self.attribute_tags.get(&a.id).map_or(&[], Vec::as_slice),
            object: a.object_id.and_then(|id| self.objects.get(&id).copied()),
            event,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: i64, attribute_count: i64) -> Event {
        Event {
            id,
            uuid: String::new(),
            org_id: 1,
            orgc_id: 1,
            user_id: 1,
            info: String::new(),
            date: String::new(),
            threat_level_id: 4,
            analysis: 0,
            distribution: 1,
            sharing_group_id: 0,
            published: true,
            publish_timestamp: 0,
            timestamp: 0,
            sighting_timestamp: 0,
            attribute_count,
            disable_correlation: false,
            extends_uuid: String::new(),
            proposal_email_lock: false,
            locked: false,
        }
    }

    #[test]
    fn events_are_read_in_chunks_of_about_the_same_size() {
        let events = [
            event(1, 4_000),
            event(2, 5_000),
            event(3, 2_000),
            event(4, 50_000),
            event(5, 0),
            event(6, 10),
        ];
        let ids: Vec<Vec<i64>> = chunks(&events)
            .iter()
            .map(|c| c.iter().map(|e| e.id).collect())
            .collect();
        assert_eq!(ids, vec![vec![1, 2], vec![3], vec![4], vec![5, 6]]);
        assert!(chunks(&[]).is_empty());
    }
}
