//! The event view, `{"Event": {…}}`, in MISP's field order: integers as
//! strings, flags as booleans, and the nested lists MISP always sends (empty
//! when there is nothing).
//!
//! The view is streamed ([`respond`]): the attributes are read from the
//! store in keyset-paged batches and written to the client batch by batch,
//! so that memory stays flat whatever the size of the event. The event's
//! other parts (objects, references, tags, proposals, reports) are few next
//! to its attributes and are read whole beforehand. Whatever may still
//! refuse the request (visibility, the reads of those parts, the first batch
//! of attributes) is settled before the status line is sent; a database
//! error after that can only cut the body short, and is logged.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use actix_web::http::header::ContentType;
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use cydef_model::event::{
    Attribute, Event, EventContents, MispObject, ObjectReference, Proposal, Report, Sighting, Tag,
    TagLink,
};
use cydef_model::sharing_group::AuthorizedGroups;
use cydef_model::Organisation;
use cydef_store::{AttributeCursor, AttributeEntry, EventParts, PartFilter, Store, StoreError};
use futures_util::stream::{self, StreamExt};
use serde::Serialize;
use tracing::Instrument;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::wire::int_str;

/// An organisation as events show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventOrg {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub id: i64,
    pub name: String,
    pub uuid: String,
    pub local: bool,
}

impl EventOrg {
    pub fn new(o: &Organisation) -> Self {
        Self {
            id: o.id,
            name: o.name.clone(),
            uuid: o.uuid.clone(),
            local: o.local,
        }
    }
}

/// A tag on an event or attribute.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagView {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub id: i64,
    pub name: String,
    pub colour: String,
    pub exportable: bool,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub user_id: i64,
    pub hide_tag: bool,
    pub numerical_value: Option<String>,
    pub is_galaxy: bool,
    pub is_custom_galaxy: bool,
    pub local_only: bool,
    pub local: bool,
    pub relationship_type: Option<String>,
}

impl TagView {
    pub fn new(l: &TagLink) -> Self {
        Self::attached(&l.tag, l.local, l.relationship_type.clone())
    }

    /// The tag `t`, attached (`local`, `relationship_type`).
    pub fn attached(t: &Tag, local: bool, relationship_type: Option<String>) -> Self {
        Self {
            id: t.id,
            name: t.name.clone(),
            colour: t.colour.clone(),
            exportable: t.exportable,
            user_id: t.user_id,
            hide_tag: t.hide_tag,
            numerical_value: t.numerical_value.map(|n| n.to_string()),
            is_galaxy: t.is_galaxy,
            is_custom_galaxy: t.is_custom_galaxy,
            local_only: t.local_only,
            local,
            relationship_type,
        }
    }
}

/// A sighting of an attribute.
#[derive(Debug, Serialize, ToSchema)]
pub struct SightingView {
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
    #[serde(rename = "type", serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub sighting_type: i64,
    pub attribute_uuid: String,
}

/// An attribute, top-level or inside an object.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttributeView {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(rename = "type")]
    pub attr_type: String,
    pub category: String,
    pub to_ids: bool,
    pub uuid: String,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub event_id: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub distribution: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub timestamp: i64,
    pub comment: String,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub sharing_group_id: i64,
    pub deleted: bool,
    pub disable_correlation: bool,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub object_id: i64,
    pub object_relation: Option<String>,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    #[serde(rename = "Galaxy")]
    #[schema(value_type = Vec<Object>)]
    pub galaxy: Vec<serde_json::Value>,
    #[serde(rename = "ShadowAttribute")]
    pub shadow_attribute: Vec<ProposalView>,
    #[serde(rename = "Sighting", skip_serializing_if = "Vec::is_empty")]
    pub sighting: Vec<SightingView>,
    #[serde(rename = "Tag", skip_serializing_if = "Vec::is_empty")]
    pub tag: Vec<TagView>,
}

/// A reference from an object.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReferenceView {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub id: i64,
    pub uuid: String,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub timestamp: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub object_id: i64,
    pub referenced_uuid: String,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub referenced_id: i64,
    pub referenced_type: Option<String>,
    pub relationship_type: String,
    pub comment: String,
    pub deleted: bool,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub event_id: i64,
    pub source_uuid: String,
    pub object_uuid: String,
}

/// A MISP object and its attributes.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObjectView {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub id: i64,
    pub name: String,
    #[serde(rename = "meta-category")]
    pub meta_category: String,
    pub description: String,
    pub template_uuid: Option<String>,
    pub template_version: Option<String>,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub event_id: i64,
    pub uuid: String,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub timestamp: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub distribution: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub sharing_group_id: i64,
    pub comment: String,
    pub deleted: bool,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    #[serde(rename = "ObjectReference")]
    pub object_reference: Vec<ReferenceView>,
    #[serde(rename = "Attribute")]
    pub attribute: Vec<AttributeView>,
}

/// A proposal (shadow attribute).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProposalView {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(rename = "type")]
    pub attr_type: String,
    pub category: String,
    pub to_ids: bool,
    pub uuid: String,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub event_id: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub old_id: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub timestamp: i64,
    pub comment: String,
    pub proposal_to_delete: bool,
    pub deleted: bool,
    pub value: String,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub org_id: i64,
}

/// An event report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
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

/// The event itself: the documented shape of the view. The view is written
/// by [`ViewWriter`], from [`EventHead`] and the parts in this order; a test
/// checks that both give the same bytes.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub orgc_id: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub org_id: i64,
    pub date: String,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub threat_level_id: i64,
    pub info: String,
    pub published: bool,
    pub uuid: String,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub attribute_count: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub analysis: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub timestamp: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub distribution: i64,
    pub proposal_email_lock: bool,
    pub locked: bool,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub publish_timestamp: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub sharing_group_id: i64,
    pub disable_correlation: bool,
    pub extends_uuid: String,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub sighting_timestamp: i64,
    #[serde(rename = "Org")]
    pub org: EventOrg,
    #[serde(rename = "Orgc")]
    pub orgc: EventOrg,
    #[serde(rename = "Attribute")]
    pub attribute: Vec<AttributeView>,
    #[serde(rename = "ShadowAttribute")]
    pub shadow_attribute: Vec<ProposalView>,
    #[serde(rename = "RelatedEvent")]
    #[schema(value_type = Vec<Object>)]
    pub related_event: Vec<serde_json::Value>,
    #[serde(rename = "Galaxy")]
    #[schema(value_type = Vec<Object>)]
    pub galaxy: Vec<serde_json::Value>,
    #[serde(rename = "Object")]
    pub object: Vec<ObjectView>,
    #[serde(rename = "EventReport")]
    pub event_report: Vec<ReportView>,
    #[serde(rename = "Tag")]
    pub tag: Vec<TagView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventEnvelope {
    #[serde(rename = "Event")]
    pub event: EventView,
}

fn proposal_view(p: &Proposal) -> ProposalView {
    let value = if cydef_model::attribute_value::is_composite(&p.attr_type) {
        format!("{}|{}", p.value1, p.value2)
    } else {
        p.value1.clone()
    };
    ProposalView {
        id: p.id,
        attr_type: p.attr_type.clone(),
        category: p.category.clone(),
        to_ids: p.to_ids,
        uuid: p.uuid.clone(),
        event_id: p.event_id,
        old_id: p.old_id,
        timestamp: p.timestamp,
        comment: p.comment.clone(),
        proposal_to_delete: p.proposal_to_delete,
        deleted: p.deleted,
        value,
        org_id: p.org_id,
    }
}

fn report_view(r: &Report) -> ReportView {
    ReportView {
        id: r.id,
        uuid: r.uuid.clone(),
        event_id: r.event_id,
        name: r.name.clone(),
        content: r.content.clone(),
        distribution: r.distribution,
        sharing_group_id: r.sharing_group_id,
        timestamp: r.timestamp,
        deleted: r.deleted,
    }
}

/// Which parts of an event a reader sees: everything (site admins, the
/// event's organisations), or what is shared with another organisation
/// authorised for these sharing groups (`routes::events::scope_for`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Everything,
    SharedOnly(AuthorizedGroups),
}

impl Scope {
    /// Whether a part (attribute, object, report) of this distribution and
    /// sharing group is shown. Other organisations see parts shared beyond
    /// the owner (1–3), those inheriting the event's (5), and sharing-group
    /// parts (4) of a group they are authorised for; never
    /// organisation-only parts (0). The rule of the store's
    /// `sql/visibility.rs`, for the same groups.
    pub fn shows(&self, distribution: i64, sharing_group_id: i64) -> bool {
        match self {
            Scope::Everything => true,
            Scope::SharedOnly(groups) => {
                matches!(distribution, 1..=3 | 5)
                    || (distribution == 4 && groups.contains(sharing_group_id))
            }
        }
    }

    /// Whether the reader sees the whole event (and so also soft-deleted
    /// parts, when asked, and every sighting).
    pub fn is_everything(&self) -> bool {
        matches!(self, Scope::Everything)
    }
}

/// What one reader sees of an event's parts: [`Scope`], and whether
/// soft-deleted parts are shown (only ever to readers who see everything,
/// and only when they ask for them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visibility {
    scope: Scope,
    show_deleted: bool,
    /// The reader's organisation: the only one whose sightings a reader who
    /// does not see everything is shown.
    viewer_org_id: i64,
}

impl Visibility {
    /// Soft-deleted parts are the owner's business: others never see them,
    /// whatever they ask for.
    pub fn new(scope: Scope, with_deleted: bool, viewer_org_id: i64) -> Self {
        Self {
            show_deleted: with_deleted && scope.is_everything(),
            scope,
            viewer_org_id,
        }
    }

    /// MISP's default sighting policy (`Plugin.Sightings_policy` 0): the
    /// event's owner (and site admins) see every sighting, other
    /// organisations only their own.
    pub fn shows_sighting(&self, s: &Sighting) -> bool {
        self.scope.is_everything() || s.org_id == self.viewer_org_id
    }

    /// Whether a part (attribute, object, report) is shown.
    fn shows(&self, distribution: i64, sharing_group_id: i64, deleted: bool) -> bool {
        self.scope.shows(distribution, sharing_group_id) && (self.show_deleted || !deleted)
    }

    /// The same rule for the store, so that hidden attributes are not even
    /// read. The writer still applies [`Visibility::shows`] to every part: it
    /// is the authority on what the view shows.
    pub fn filter(&self) -> PartFilter {
        PartFilter {
            shared_with: match &self.scope {
                Scope::Everything => None,
                Scope::SharedOnly(groups) => Some(groups.clone()),
            },
            live_only: !self.show_deleted,
        }
    }
}

/// An event and what a reader may see of it, settled before the response
/// starts.
pub struct ViewSpec<'a> {
    pub event: &'a Event,
    pub org: &'a Organisation,
    pub orgc: &'a Organisation,
    /// The event's parts other than attributes, unfiltered.
    pub parts: EventParts,
    pub visibility: Visibility,
    /// `attribute_count` as this reader may see it: the stored count, or for
    /// another organisation the count of what it sees, so that the number
    /// does not reveal hidden attributes.
    pub attribute_count: i64,
}

/// Why a view could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    #[error("reading the event: {0}")]
    Store(#[from] StoreError),
    #[error("writing the event view: {0}")]
    Json(#[from] serde_json::Error),
}

impl From<ViewError> for ApiError {
    fn from(e: ViewError) -> Self {
        match e {
            ViewError::Store(e) => e.into(),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// Answers with the event view, streamed: the response is returned once the
/// event's head and first batch of attributes are written (an error until
/// then is an error response), and the rest is read and written while the
/// client reads. A later error is logged and ends the body early, so the
/// client sees an incomplete response rather than a wrong one.
pub(crate) async fn respond<C: Chunks + 'static>(mut view: C) -> Result<HttpResponse, ViewError> {
    let first = view.next_chunk().await?.unwrap_or_default();
    let span = tracing::Span::current();
    let rest = stream::try_unfold(view, move |mut view| {
        async move {
            match view.next_chunk().await {
                Ok(Some(chunk)) => Ok(Some((chunk, view))),
                Ok(None) => Ok(None),
                Err(e) => {
                    tracing::error!(error = %e, "streamed response cut short");
                    Err(e)
                }
            }
        }
        .instrument(span.clone())
    });
    let body = stream::once(async move { Ok::<_, ViewError>(first) }).chain(rest);
    Ok(HttpResponse::Ok()
        .content_type(ContentType::json())
        .streaming(body))
}

/// A response body written a piece at a time: an event view, or a list of
/// them.
pub(crate) trait Chunks {
    /// The next piece, or `None` after the last.
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, ViewError>;
}

impl<P: Pages> Chunks for ViewStream<P> {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, ViewError> {
        ViewStream::next_chunk(self).await
    }
}

/// An event view read from the store as it is written.
pub(crate) type StoreViewStream = ViewStream<StorePages>;

/// The view of `spec` as a stream of body chunks read from `store`; nothing
/// is read until the first chunk is asked for.
pub(crate) fn store_stream(
    store: Arc<dyn Store>,
    spec: ViewSpec<'_>,
) -> Result<StoreViewStream, ViewError> {
    let batch = store.attribute_batch();
    let pages = StorePages {
        store,
        event_id: spec.event.id,
        filter: spec.visibility.filter(),
    };
    Ok(ViewStream::new(pages, ViewWriter::new(spec)?, batch))
}

/// Where batches of attributes come from: the store, or a list in tests.
pub(crate) trait Pages {
    async fn page(
        &self,
        cursor: AttributeCursor,
        limit: i64,
    ) -> Result<Vec<AttributeEntry>, StoreError>;
}

pub(crate) struct StorePages {
    store: Arc<dyn Store>,
    event_id: i64,
    filter: PartFilter,
}

impl Pages for StorePages {
    async fn page(
        &self,
        cursor: AttributeCursor,
        limit: i64,
    ) -> Result<Vec<AttributeEntry>, StoreError> {
        self.store
            .attribute_page(self.event_id, cursor, &self.filter, limit)
            .await
    }
}

/// Where the stream is: the top-level attributes come first (by id), then
/// the attributes in objects (by object and id), the order of the view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Head,
    /// Read the top-level attributes after this one.
    TopLevel {
        after_id: i64,
    },
    /// The top-level attributes are written: the lists up to the objects.
    EndTopLevel,
    /// Read the attributes in objects after this one.
    InObjects {
        after_object_id: i64,
        after_id: i64,
    },
    /// Everything is read: the objects left and the lists after them.
    Finish,
    Done,
}

/// A batch read and not written yet, and where it goes.
#[derive(Default)]
struct Pending {
    entries: std::vec::IntoIter<AttributeEntry>,
    in_objects: bool,
}

/// Body chunks are about this size, whatever the batch size: small enough
/// that the response buffers stay small, large enough to be cheap.
const CHUNK_BYTES: usize = 64 * 1024;

/// The view as a sequence of body chunks of about [`CHUNK_BYTES`], read
/// from the store one batch of attributes at a time.
pub(crate) struct ViewStream<P> {
    pages: P,
    writer: ViewWriter,
    phase: Phase,
    pending: Pending,
    batch: i64,
}

impl<P: Pages> ViewStream<P> {
    pub(crate) fn new(pages: P, writer: ViewWriter, batch: i64) -> Self {
        Self {
            pages,
            writer,
            phase: Phase::Head,
            pending: Pending::default(),
            batch: batch.max(1),
        }
    }

    /// Reads the batch at `cursor`; returns whether it was full (so that
    /// there may be more after it) and where the next one starts.
    async fn read(
        &mut self,
        cursor: AttributeCursor,
    ) -> Result<Option<AttributeCursor>, StoreError> {
        let page = self.pages.page(cursor, self.batch).await?;
        let full = page.len() >= usize::try_from(self.batch).unwrap_or(usize::MAX);
        let next = page.last().filter(|_| full).map(|e| match cursor {
            AttributeCursor::TopLevel { .. } => AttributeCursor::TopLevel {
                after_id: e.attribute.id,
            },
            AttributeCursor::InObjects { .. } => AttributeCursor::InObjects {
                after_object_id: e.attribute.object_id.unwrap_or(0),
                after_id: e.attribute.id,
            },
        });
        self.pending = Pending {
            entries: page.into_iter(),
            in_objects: matches!(cursor, AttributeCursor::InObjects { .. }),
        };
        Ok(next)
    }

    /// The next piece of the body (the first has the event's head and is
    /// written after the first batch is read), or `None` after the last.
    pub(crate) async fn next_chunk(&mut self) -> Result<Option<Bytes>, ViewError> {
        let mut out = Vec::with_capacity(CHUNK_BYTES + CHUNK_BYTES / 4);
        loop {
            // What was read goes out first, a chunk at a time.
            while out.len() < CHUNK_BYTES {
                let Some(entry) = self.pending.entries.next() else {
                    break;
                };
                if self.pending.in_objects {
                    self.writer.object_attribute(&mut out, entry)?;
                } else {
                    self.writer.top_attribute(&mut out, entry)?;
                }
            }
            if out.len() >= CHUNK_BYTES {
                return Ok(Some(Bytes::from(out)));
            }
            self.phase = match self.phase {
                Phase::Head => {
                    self.writer.begin(&mut out);
                    Phase::TopLevel { after_id: 0 }
                }
                Phase::TopLevel { after_id } => {
                    match self.read(AttributeCursor::TopLevel { after_id }).await? {
                        Some(AttributeCursor::TopLevel { after_id }) => {
                            Phase::TopLevel { after_id }
                        }
                        _ => Phase::EndTopLevel,
                    }
                }
                Phase::EndTopLevel => {
                    self.writer.end_top(&mut out)?;
                    if self.writer.has_objects() {
                        Phase::InObjects {
                            after_object_id: 0,
                            after_id: 0,
                        }
                    } else {
                        Phase::Finish
                    }
                }
                Phase::InObjects {
                    after_object_id,
                    after_id,
                } => {
                    let cursor = AttributeCursor::InObjects {
                        after_object_id,
                        after_id,
                    };
                    match self.read(cursor).await? {
                        Some(AttributeCursor::InObjects {
                            after_object_id,
                            after_id,
                        }) => Phase::InObjects {
                            after_object_id,
                            after_id,
                        },
                        _ => Phase::Finish,
                    }
                }
                Phase::Finish => {
                    self.writer.finish(&mut out)?;
                    Phase::Done
                }
                Phase::Done => return Ok((!out.is_empty()).then(|| Bytes::from(out))),
            };
        }
    }
}

/// The event's own fields and organisations: [`EventView`] up to its lists,
/// which the writer adds after it. A test checks that the two write the same.
#[derive(Serialize)]
struct EventHead<'a> {
    #[serde(serialize_with = "int_str")]
    id: i64,
    #[serde(serialize_with = "int_str")]
    orgc_id: i64,
    #[serde(serialize_with = "int_str")]
    org_id: i64,
    date: &'a str,
    #[serde(serialize_with = "int_str")]
    threat_level_id: i64,
    info: &'a str,
    published: bool,
    uuid: &'a str,
    #[serde(serialize_with = "int_str")]
    attribute_count: i64,
    #[serde(serialize_with = "int_str")]
    analysis: i64,
    #[serde(serialize_with = "int_str")]
    timestamp: i64,
    #[serde(serialize_with = "int_str")]
    distribution: i64,
    proposal_email_lock: bool,
    locked: bool,
    #[serde(serialize_with = "int_str")]
    publish_timestamp: i64,
    #[serde(serialize_with = "int_str")]
    sharing_group_id: i64,
    disable_correlation: bool,
    extends_uuid: &'a str,
    #[serde(serialize_with = "int_str")]
    sighting_timestamp: i64,
    #[serde(rename = "Org")]
    org: EventOrg,
    #[serde(rename = "Orgc")]
    orgc: EventOrg,
}

/// Serialises `value` and takes `tail` off the end of its text, leaving it
/// open for more: `{"a":"1","Attribute":[]}` less `]}` goes on with the
/// attributes.
fn write_open<T: Serialize>(out: &mut Vec<u8>, value: &T, tail: &[u8]) -> serde_json::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    if out.ends_with(tail) {
        out.truncate(out.len() - tail.len());
        Ok(())
    } else {
        Err(serde::ser::Error::custom(
            "unexpected end of a serialised view part",
        ))
    }
}

/// Writes the view's text piece by piece, in order: [`ViewWriter::begin`],
/// the top-level attributes, [`ViewWriter::end_top`], the attributes in
/// objects (by object, then id), [`ViewWriter::finish`]. Hidden parts are
/// left out as they come.
pub(crate) struct ViewWriter {
    /// `{"Event":{…,"Orgc":{…}`, open for the lists.
    head: Vec<u8>,
    visibility: Visibility,
    proposals: Vec<ProposalView>,
    /// Proposals to change attributes, by attribute id.
    attribute_proposals: HashMap<i64, Vec<ProposalView>>,
    /// Objects shown and not written yet, in id order, with their
    /// references and no attributes.
    objects: VecDeque<ObjectView>,
    reports: Vec<ReportView>,
    tags: Vec<TagView>,
    /// The tags attached to attributes, by id.
    attribute_tags: HashMap<i64, Tag>,
    /// The object being written, its `"Attribute"` list open.
    open_object: Option<i64>,
    /// Whether the list being written has no item yet.
    list_empty: bool,
    objects_written: bool,
}

impl ViewWriter {
    pub(crate) fn new(spec: ViewSpec<'_>) -> serde_json::Result<Self> {
        let ViewSpec {
            event: e,
            org,
            orgc,
            parts,
            visibility,
            attribute_count,
        } = spec;
        let mut head = br#"{"Event":"#.to_vec();
        let event_head = EventHead {
            id: e.id,
            orgc_id: e.orgc_id,
            org_id: e.org_id,
            date: &e.date,
            threat_level_id: e.threat_level_id,
            info: &e.info,
            published: e.published,
            uuid: &e.uuid,
            attribute_count,
            analysis: e.analysis,
            timestamp: e.timestamp,
            distribution: e.distribution,
            proposal_email_lock: e.proposal_email_lock,
            locked: e.locked,
            publish_timestamp: e.publish_timestamp,
            sharing_group_id: e.sharing_group_id,
            disable_correlation: e.disable_correlation,
            extends_uuid: &e.extends_uuid,
            sighting_timestamp: e.sighting_timestamp,
            org: EventOrg::new(org),
            orgc: EventOrg::new(orgc),
        };
        write_open(&mut head, &event_head, b"}")?;

        let mut references: HashMap<i64, Vec<&ObjectReference>> = HashMap::new();
        for r in &parts.references {
            references.entry(r.object_id).or_default().push(r);
        }
        let objects = parts
            .objects
            .iter()
            .filter(|o| visibility.shows(o.distribution, o.sharing_group_id, o.deleted))
            .map(|o| {
                let refs = references
                    .remove(&o.id)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|r| visibility.show_deleted || !r.deleted)
                    .map(|r| reference_view(r, &o.uuid))
                    .collect();
                object_view(o, refs, Vec::new())
            })
            .collect();
        let reports = parts
            .reports
            .iter()
            .filter(|r| visibility.shows(r.distribution, r.sharing_group_id, r.deleted))
            .map(report_view)
            .collect();
        Ok(Self {
            head,
            visibility,
            proposals: parts
                .proposals
                .iter()
                .filter(|p| p.old_id == 0)
                .map(proposal_view)
                .collect(),
            attribute_proposals: attribute_proposals(&parts.proposals),
            objects,
            reports,
            tags: parts.event_tags.iter().map(TagView::new).collect(),
            attribute_tags: parts
                .attribute_tags
                .into_iter()
                .map(|t| (t.id, t))
                .collect(),
            open_object: None,
            list_empty: true,
            objects_written: false,
        })
    }

    /// The event's fields and organisations, and opens the attribute list.
    fn begin(&mut self, out: &mut Vec<u8>) {
        out.append(&mut self.head);
        out.extend_from_slice(br#","Attribute":["#);
        self.list_empty = true;
    }

    fn shows(&self, a: &Attribute) -> bool {
        self.visibility
            .shows(a.distribution, a.sharing_group_id, a.deleted)
    }

    /// An item of the list being written.
    fn item<T: Serialize>(&mut self, out: &mut Vec<u8>, value: &T) -> serde_json::Result<()> {
        if !std::mem::replace(&mut self.list_empty, false) {
            out.push(b',');
        }
        serde_json::to_writer(&mut *out, value)
    }

    fn top_attribute(
        &mut self,
        out: &mut Vec<u8>,
        entry: AttributeEntry,
    ) -> serde_json::Result<()> {
        if entry.attribute.object_id.is_some() || !self.shows(&entry.attribute) {
            return Ok(());
        }
        self.item(out, &self.entry_view(entry))
    }

    /// Closes the attribute list; the lists between it and the objects; opens
    /// the object list.
    fn end_top(&mut self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        out.extend_from_slice(br#"],"ShadowAttribute":"#);
        serde_json::to_writer(&mut *out, &self.proposals)?;
        out.extend_from_slice(br#","RelatedEvent":[],"Galaxy":[],"Object":["#);
        Ok(())
    }

    /// Whether any object is shown (else attributes in objects need no reading).
    fn has_objects(&self) -> bool {
        !self.objects.is_empty()
    }

    /// Closes the object being written, if any.
    fn close_object(&mut self, out: &mut Vec<u8>) {
        if self.open_object.take().is_some() {
            out.extend_from_slice(b"]}");
        }
    }

    /// Writes the next shown object and leaves its attribute list open.
    fn open_next_object(&mut self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        self.close_object(out);
        if let Some(o) = self.objects.pop_front() {
            if std::mem::replace(&mut self.objects_written, true) {
                out.push(b',');
            }
            write_open(out, &o, b"]}")?;
            self.open_object = Some(o.id);
            self.list_empty = true;
        }
        Ok(())
    }

    /// An attribute inside an object. Attributes come by object id, so the
    /// objects before this one are complete (those without shown attributes
    /// are written empty); attributes of objects not shown are left out.
    fn object_attribute(
        &mut self,
        out: &mut Vec<u8>,
        entry: AttributeEntry,
    ) -> serde_json::Result<()> {
        let Some(object_id) = entry.attribute.object_id else {
            return Ok(());
        };
        if !self.shows(&entry.attribute) {
            return Ok(());
        }
        while self.open_object != Some(object_id) {
            match self.objects.front() {
                Some(next) if next.id <= object_id => self.open_next_object(out)?,
                _ => return Ok(()),
            }
        }
        self.item(out, &self.entry_view(entry))
    }

    /// An attribute with its tags and sightings as the view shows it. A tag
    /// attached since the event's tags were read is left out.
    fn entry_view(&self, entry: AttributeEntry) -> AttributeView {
        let AttributeEntry {
            attribute,
            tags,
            sightings,
        } = entry;
        let tags = tags
            .into_iter()
            .filter_map(|l| {
                self.attribute_tags
                    .get(&l.tag_id)
                    .map(|t| TagView::attached(t, l.local, l.relationship_type))
            })
            .collect();
        let sighting = sightings
            .iter()
            .filter(|s| self.visibility.shows_sighting(s))
            .map(|s| sighting_view(s, &attribute.uuid))
            .collect();
        let proposals = self.attribute_proposals.get(&attribute.id).cloned();
        let mut view = attribute_view(attribute, tags, sighting);
        view.shadow_attribute = proposals.unwrap_or_default();
        view
    }

    /// The objects left, the reports and the event's tags; closes the event.
    fn finish(&mut self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        while !self.objects.is_empty() {
            self.open_next_object(out)?;
        }
        self.close_object(out);
        out.extend_from_slice(br#"],"EventReport":"#);
        serde_json::to_writer(&mut *out, &self.reports)?;
        out.extend_from_slice(br#","Tag":"#);
        serde_json::to_writer(&mut *out, &self.tags)?;
        out.extend_from_slice(b"}}");
        Ok(())
    }
}

/// The view built whole in memory from [`EventContents`], for callers that
/// need an [`EventEnvelope`] value (`events/edit` answers with one). Event
/// views go through [`respond`], which streams; a test checks that both give
/// the same bytes. Call [`drop_deleted`] on the result unless the reader
/// sees everything and asked for deleted parts.
pub fn build(
    e: &Event,
    org: &Organisation,
    orgc: &Organisation,
    c: EventContents,
    scope: Scope,
    viewer_org_id: i64,
) -> EventEnvelope {
    let visibility = Visibility::new(scope.clone(), true, viewer_org_id);
    let mut attr_tags: HashMap<i64, Vec<TagView>> = HashMap::new();
    for l in &c.attribute_tags {
        attr_tags
            .entry(l.target_id)
            .or_default()
            .push(TagView::new(l));
    }
    let attr_uuid: HashMap<i64, &str> = c
        .attributes
        .iter()
        .map(|a| (a.id, a.uuid.as_str()))
        .collect();
    let mut sightings: HashMap<i64, Vec<SightingView>> = HashMap::new();
    for s in c.sightings.iter().filter(|s| visibility.shows_sighting(s)) {
        sightings
            .entry(s.attribute_id)
            .or_default()
            .push(sighting_view(
                s,
                attr_uuid.get(&s.attribute_id).copied().unwrap_or_default(),
            ));
    }
    let object_uuid: HashMap<i64, &str> =
        c.objects.iter().map(|o| (o.id, o.uuid.as_str())).collect();
    let mut refs: HashMap<i64, Vec<ReferenceView>> = HashMap::new();
    for r in &c.references {
        let source = object_uuid.get(&r.object_id).copied().unwrap_or_default();
        refs.entry(r.object_id)
            .or_default()
            .push(reference_view(r, source));
    }
    let mut top = Vec::new();
    let mut in_objects: HashMap<i64, Vec<AttributeView>> = HashMap::new();
    let mut proposals = attribute_proposals(&c.proposals);
    for a in c.attributes {
        if !scope.shows(a.distribution, a.sharing_group_id) {
            continue;
        }
        let tags = attr_tags.remove(&a.id).unwrap_or_default();
        let sighting = sightings.remove(&a.id).unwrap_or_default();
        let object_id = a.object_id;
        let shadow_attribute = proposals.remove(&a.id).unwrap_or_default();
        let mut view = attribute_view(a, tags, sighting);
        view.shadow_attribute = shadow_attribute;
        match object_id {
            Some(oid) => in_objects.entry(oid).or_default().push(view),
            None => top.push(view),
        }
    }
    let objects = c
        .objects
        .iter()
        .filter(|o| scope.shows(o.distribution, o.sharing_group_id))
        .map(|o| {
            object_view(
                o,
                refs.remove(&o.id).unwrap_or_default(),
                in_objects.remove(&o.id).unwrap_or_default(),
            )
        })
        .collect();
    let mut envelope = EventEnvelope {
        event: EventView {
            id: e.id,
            orgc_id: e.orgc_id,
            org_id: e.org_id,
            date: e.date.clone(),
            threat_level_id: e.threat_level_id,
            info: e.info.clone(),
            published: e.published,
            uuid: e.uuid.clone(),
            attribute_count: e.attribute_count,
            analysis: e.analysis,
            timestamp: e.timestamp,
            distribution: e.distribution,
            proposal_email_lock: e.proposal_email_lock,
            locked: e.locked,
            publish_timestamp: e.publish_timestamp,
            sharing_group_id: e.sharing_group_id,
            disable_correlation: e.disable_correlation,
            extends_uuid: e.extends_uuid.clone(),
            sighting_timestamp: e.sighting_timestamp,
            org: EventOrg::new(org),
            orgc: EventOrg::new(orgc),
            attribute: top,
            shadow_attribute: c
                .proposals
                .iter()
                .filter(|p| p.old_id == 0)
                .map(proposal_view)
                .collect(),
            related_event: Vec::new(),
            galaxy: Vec::new(),
            object: objects,
            event_report: c
                .reports
                .iter()
                .filter(|r| scope.shows(r.distribution, r.sharing_group_id))
                .map(report_view)
                .collect(),
            tag: c.event_tags.iter().map(TagView::new).collect(),
        },
    };
    if !scope.is_everything() {
        envelope.event.attribute_count = live_attribute_count(&envelope.event);
    }
    envelope
}

/// Leaves out soft-deleted attributes, objects and reports, as MISP's event
/// view does unless asked for them.
pub fn drop_deleted(e: &mut EventView) {
    e.attribute.retain(|a| !a.deleted);
    e.object.retain(|o| !o.deleted);
    for o in &mut e.object {
        o.attribute.retain(|a| !a.deleted);
        o.object_reference.retain(|r| !r.deleted);
    }
    e.event_report.retain(|r| !r.deleted);
}

/// Live attributes shown in a view, top-level and in live objects.
fn live_attribute_count(e: &EventView) -> i64 {
    let top = e.attribute.iter().filter(|a| !a.deleted).count();
    let in_objects: usize = e
        .object
        .iter()
        .filter(|o| !o.deleted)
        .map(|o| o.attribute.iter().filter(|a| !a.deleted).count())
        .sum();
    i64::try_from(top + in_objects).unwrap_or(i64::MAX)
}

fn sighting_view(s: &Sighting, attribute_uuid: &str) -> SightingView {
    SightingView {
        id: s.id,
        attribute_id: s.attribute_id,
        event_id: s.event_id,
        org_id: s.org_id,
        date_sighting: s.date_sighting,
        uuid: s.uuid.clone(),
        source: s.source.clone(),
        sighting_type: s.sighting_type,
        attribute_uuid: attribute_uuid.to_owned(),
    }
}

pub fn reference_view(r: &ObjectReference, source_uuid: &str) -> ReferenceView {
    ReferenceView {
        id: r.id,
        uuid: r.uuid.clone(),
        timestamp: r.timestamp,
        object_id: r.object_id,
        referenced_uuid: r.referenced_uuid.clone(),
        referenced_id: r.referenced_id,
        referenced_type: r.referenced_type.map(|t| t.to_string()),
        relationship_type: r.relationship_type.clone(),
        comment: r.comment.clone(),
        deleted: r.deleted,
        event_id: r.event_id,
        source_uuid: source_uuid.to_owned(),
        object_uuid: source_uuid.to_owned(),
    }
}

/// The value as MISP shows it: `value1`, or `value1|value2` for composite
/// types (as [`Attribute::value`], without copying `value1`).
fn shown_value(type_name: &str, value1: String, value2: &str) -> String {
    // `is_composite` looks the type up in MISP's type table; only names that
    // can be composite need the lookup.
    if (type_name.contains('|') || type_name == "malware-sample")
        && cydef_model::attribute_value::is_composite(type_name)
    {
        format!("{value1}|{value2}")
    } else {
        value1
    }
}

/// An attribute with its tags and sightings.
/// Live proposals to change attributes (MISP shows them inside the
/// attribute), by attribute id, in id order.
fn attribute_proposals(proposals: &[Proposal]) -> HashMap<i64, Vec<ProposalView>> {
    let mut by_attribute: HashMap<i64, Vec<ProposalView>> = HashMap::new();
    for p in proposals.iter().filter(|p| p.old_id != 0 && !p.deleted) {
        by_attribute
            .entry(p.old_id)
            .or_default()
            .push(proposal_view(p));
    }
    by_attribute
}

pub fn attribute_view(
    a: Attribute,
    tag: Vec<TagView>,
    sighting: Vec<SightingView>,
) -> AttributeView {
    let value = shown_value(&a.attr_type, a.value1, &a.value2);
    AttributeView {
        id: a.id,
        attr_type: a.attr_type,
        category: a.category,
        to_ids: a.to_ids,
        uuid: a.uuid,
        event_id: a.event_id,
        distribution: a.distribution,
        timestamp: a.timestamp,
        comment: a.comment,
        sharing_group_id: a.sharing_group_id,
        deleted: a.deleted,
        disable_correlation: a.disable_correlation,
        object_id: a.object_id.unwrap_or(0),
        object_relation: a.object_relation,
        first_seen: a.first_seen,
        last_seen: a.last_seen,
        value,
        data: a.data,
        galaxy: Vec::new(),
        shadow_attribute: Vec::new(),
        sighting,
        tag,
    }
}

pub fn object_view(
    o: &MispObject,
    object_reference: Vec<ReferenceView>,
    attribute: Vec<AttributeView>,
) -> ObjectView {
    ObjectView {
        id: o.id,
        name: o.name.clone(),
        meta_category: o.meta_category.clone(),
        description: o.description.clone(),
        template_uuid: o.template_uuid.clone(),
        template_version: o.template_version.clone(),
        event_id: o.event_id,
        uuid: o.uuid.clone(),
        timestamp: o.timestamp,
        distribution: o.distribution,
        sharing_group_id: o.sharing_group_id,
        comment: o.comment.clone(),
        deleted: o.deleted,
        first_seen: o.first_seen.clone(),
        last_seen: o.last_seen.clone(),
        object_reference,
        attribute,
    }
}

#[cfg(test)]
mod tests {
    //! The streamed view against the view built whole in memory ([`build`],
    //! the code that answered before streaming): the same bytes for every
    //! scope, with and without deleted parts, at any batch size.

    use super::*;
    use cydef_store::AttributeTag;

    /// The store's pages over an in-memory event, with the store's filter.
    struct MemPages {
        entries: Vec<AttributeEntry>,
        filter: PartFilter,
    }

    impl MemPages {
        fn new(c: &EventContents, filter: PartFilter) -> Self {
            let entries = c
                .attributes
                .iter()
                .map(|a| AttributeEntry {
                    attribute: a.clone(),
                    tags: c
                        .attribute_tags
                        .iter()
                        .filter(|l| l.target_id == a.id)
                        .map(|l| AttributeTag {
                            tag_id: l.tag.id,
                            local: l.local,
                            relationship_type: l.relationship_type.clone(),
                        })
                        .collect(),
                    sightings: c
                        .sightings
                        .iter()
                        .filter(|s| s.attribute_id == a.id)
                        .cloned()
                        .collect(),
                })
                .collect();
            Self { entries, filter }
        }
    }

    impl Pages for MemPages {
        async fn page(
            &self,
            cursor: AttributeCursor,
            limit: i64,
        ) -> Result<Vec<AttributeEntry>, StoreError> {
            let passes = |a: &Attribute| {
                (!self.filter.live_only || !a.deleted)
                    && self.filter.shared_with.as_ref().is_none_or(|groups| {
                        matches!(a.distribution, 1..=3 | 5)
                            || (a.distribution == 4 && groups.contains(a.sharing_group_id))
                    })
            };
            let mut found: Vec<&AttributeEntry> = self
                .entries
                .iter()
                .filter(|e| passes(&e.attribute))
                .filter(|e| match (cursor, e.attribute.object_id) {
                    (AttributeCursor::TopLevel { after_id }, None) => e.attribute.id > after_id,
                    (
                        AttributeCursor::InObjects {
                            after_object_id,
                            after_id,
                        },
                        Some(oid),
                    ) => (oid, e.attribute.id) > (after_object_id, after_id),
                    _ => false,
                })
                .collect();
            found.sort_by_key(|e| (e.attribute.object_id, e.attribute.id));
            Ok(found
                .into_iter()
                .take(usize::try_from(limit).unwrap_or(0))
                .cloned()
                .collect())
        }
    }

    /// A small deterministic generator, so that the event has a bit of
    /// everything without a dependency.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) % n
        }
    }

    /// The reading organisation: neither the owner (1) nor the creator (2).
    const VIEWER_ORG: i64 = 3;

    /// The sharing group the reader is authorised for; parts of
    /// distribution 4 are in it or in group 9, which it is not.
    const READER_GROUP: i64 = 8;

    /// What the reading organisation sees.
    fn shared() -> Scope {
        Scope::SharedOnly(AuthorizedGroups::new([READER_GROUP]))
    }

    fn org(id: i64, name: &str) -> Organisation {
        Organisation {
            id,
            uuid: format!("00000000-0000-4000-8000-00000000000{id}"),
            name: name.to_owned(),
            date_created: 0,
            date_modified: 0,
            description: String::new(),
            org_type: String::new(),
            nationality: String::new(),
            sector: String::new(),
            created_by: 0,
            contacts: String::new(),
            local: id == 1,
            restricted_to_domain: Vec::new(),
            landingpage: String::new(),
        }
    }

    fn tag(id: i64, name: &str) -> Tag {
        Tag {
            id,
            name: name.to_owned(),
            colour: "#00ff00".to_owned(),
            exportable: true,
            org_id: 0,
            user_id: 0,
            hide_tag: false,
            numerical_value: (id % 2 == 0).then_some(id * 10),
            is_galaxy: name.starts_with("misp-galaxy:"),
            is_custom_galaxy: false,
            local_only: false,
        }
    }

    fn event() -> Event {
        Event {
            id: 7,
            uuid: "5b6c1f5e-0000-4000-8000-000000000007".to_owned(),
            org_id: 1,
            orgc_id: 2,
            user_id: 1,
            info: "mixed \"quoted\" ünïcödé".to_owned(),
            date: "2024-01-02".to_owned(),
            threat_level_id: 2,
            analysis: 1,
            distribution: 1,
            sharing_group_id: 0,
            published: true,
            publish_timestamp: 1_700_000_100,
            timestamp: 1_700_000_000,
            sighting_timestamp: 0,
            attribute_count: 1234,
            disable_correlation: false,
            extends_uuid: String::new(),
            proposal_email_lock: false,
            locked: false,
        }
    }

    /// An event with top-level attributes and objects of every distribution,
    /// deleted and live, tagged and sighted, empty objects, objects whose
    /// attributes are all hidden, references, proposals and reports.
    fn contents() -> EventContents {
        let mut rng = Lcg(42);
        let mut c = EventContents::default();
        let types = [
            ("ip-dst", "1.2.3.4", ""),
            ("domain|ip", "example.com", "192.0.2.1"),
            (
                "malware-sample",
                "a.exe",
                "0123456789abcdef0123456789abcdef",
            ),
            ("md5", "0123456789abcdef0123456789abcdef", ""),
            ("not-a-type|x", "left", "right"),
        ];
        let tags = [
            tag(1, "tlp:green"),
            tag(2, "misp-galaxy:x=\"y\""),
            tag(3, "a"),
        ];
        for o in 0..12_i64 {
            c.objects.push(MispObject {
                id: 100 + o,
                uuid: format!("obj-{o}"),
                event_id: 7,
                name: "file".to_owned(),
                meta_category: "file".to_owned(),
                description: String::new(),
                template_uuid: (o % 3 == 0).then(|| "tpl".to_owned()),
                template_version: None,
                comment: format!("object {o}"),
                distribution: [0, 1, 5, 5, 4, 3][usize::try_from(o).unwrap_or(0) % 6],
                sharing_group_id: READER_GROUP + (o / 6 + 1) % 2,
                timestamp: 1_700_000_000 + o,
                deleted: o % 5 == 4,
                first_seen: None,
                last_seen: Some("2024-01-01T00:00:00.000000+00:00".to_owned()),
            });
        }
        // Ids interleave top-level and object attributes, as edits make them.
        for id in 1..=90_i64 {
            let object_id = match rng.next(3) {
                0 => None,
                _ => Some(100 + i64::try_from(rng.next(11)).unwrap_or(0)),
            };
            let (t, v1, v2) = types[usize::try_from(rng.next(5)).unwrap_or(0)];
            c.attributes.push(Attribute {
                id,
                uuid: format!("attr-{id}"),
                event_id: 7,
                object_id,
                object_relation: object_id.map(|_| "filename".to_owned()),
                category: "Network activity".to_owned(),
                attr_type: t.to_owned(),
                value1: format!("{v1}{id}"),
                value2: v2.to_owned(),
                to_ids: id % 2 == 0,
                comment: if id % 7 == 0 {
                    "c\n\"q\"".to_owned()
                } else {
                    String::new()
                },
                distribution: i64::try_from(rng.next(6)).unwrap_or(0),
                sharing_group_id: READER_GROUP + id % 2,
                timestamp: 1_700_000_000 + id,
                deleted: rng.next(5) == 0,
                disable_correlation: id % 11 == 0,
                first_seen: (id % 13 == 0).then(|| "2024-01-01T00:00:00.000000+00:00".to_owned()),
                last_seen: None,
                data: (t == "malware-sample").then(|| "ZGF0YQ==".to_owned()),
            });
            for (k, t) in tags.iter().enumerate() {
                if rng.next(4) == 0 {
                    c.attribute_tags.push(TagLink {
                        target_id: id,
                        tag: t.clone(),
                        local: k == 1,
                        relationship_type: (k == 2).then(|| "related".to_owned()),
                    });
                }
            }
            if rng.next(6) == 0 {
                c.sightings.push(Sighting {
                    id: 500 + id,
                    uuid: format!("sighting-{id}"),
                    attribute_id: id,
                    event_id: 7,
                    org_id: 1 + id % 3,
                    date_sighting: 1_700_000_500,
                    source: "s".to_owned(),
                    sighting_type: 0,
                });
            }
        }
        // The store returns tag links in link order, not attribute order.
        c.attribute_tags.reverse();
        for (i, (from, to)) in [(100, 101), (101, 100), (102, 105), (103, 104), (105, 100)]
            .into_iter()
            .enumerate()
        {
            let i = i64::try_from(i).unwrap_or(0);
            c.references.push(ObjectReference {
                id: 300 + i,
                uuid: format!("ref-{i}"),
                event_id: 7,
                object_id: from,
                referenced_uuid: format!("obj-{}", to - 100),
                referenced_type: Some(1),
                referenced_id: to,
                relationship_type: "connected-to".to_owned(),
                comment: String::new(),
                timestamp: 1_700_000_000,
                deleted: i == 2,
            });
        }
        c.event_tags = vec![
            TagLink {
                target_id: 7,
                tag: tags[0].clone(),
                local: false,
                relationship_type: None,
            },
            TagLink {
                target_id: 7,
                tag: tags[1].clone(),
                local: true,
                relationship_type: None,
            },
        ];
        for (i, old_id) in [0, 3, 0, 5].into_iter().enumerate() {
            let i = i64::try_from(i).unwrap_or(0);
            c.proposals.push(Proposal {
                id: 400 + i,
                uuid: format!("proposal-{i}"),
                event_id: 7,
                old_id,
                org_id: 2,
                category: "Network activity".to_owned(),
                attr_type: if i == 2 { "domain|ip" } else { "domain" }.to_owned(),
                value1: "proposed.example".to_owned(),
                value2: if i == 2 { "192.0.2.9" } else { "" }.to_owned(),
                to_ids: false,
                comment: String::new(),
                timestamp: 1_700_000_000,
                proposal_to_delete: false,
                deleted: i == 1,
            });
        }
        for (i, (distribution, sharing_group_id, deleted)) in [
            (0, 0, false),
            (1, 0, false),
            (5, 0, true),
            (3, 0, false),
            (4, READER_GROUP, false),
            (4, 9, false),
        ]
        .into_iter()
        .enumerate()
        {
            let i = i64::try_from(i).unwrap_or(0);
            c.reports.push(Report {
                id: 600 + i,
                uuid: format!("report-{i}"),
                event_id: 7,
                name: format!("report {i}"),
                content: "# Title\n\nText.".to_owned(),
                distribution,
                sharing_group_id,
                timestamp: 1_700_000_000,
                deleted,
            });
        }
        c
    }

    /// The count the store gives another organisation
    /// (`shared_attribute_count`), computed here from the same rule.
    fn shared_count(c: &EventContents) -> i64 {
        let shared = |d: i64, g: i64| matches!(d, 1..=3 | 5) || (d == 4 && g == READER_GROUP);
        let n = c
            .attributes
            .iter()
            .filter(|a| !a.deleted && shared(a.distribution, a.sharing_group_id))
            .filter(|a| match a.object_id {
                None => true,
                Some(oid) => c.objects.iter().any(|o| {
                    o.id == oid && !o.deleted && shared(o.distribution, o.sharing_group_id)
                }),
            })
            .count();
        i64::try_from(n).unwrap_or(i64::MAX)
    }

    async fn streamed(c: &EventContents, scope: Scope, with_deleted: bool, batch: i64) -> Vec<u8> {
        let (e, org, orgc) = (event(), org(1, "Owner"), org(2, "Creator \"C\""));
        let attribute_count = match scope {
            Scope::Everything => e.attribute_count,
            Scope::SharedOnly(_) => shared_count(c),
        };
        let visibility = Visibility::new(scope, with_deleted, VIEWER_ORG);
        let filter = visibility.filter();
        let parts = EventParts {
            objects: c.objects.clone(),
            references: c.references.clone(),
            event_tags: c.event_tags.clone(),
            attribute_tags: c
                .attribute_tags
                .iter()
                .map(|l| (l.tag.id, l.tag.clone()))
                .collect::<HashMap<_, _>>()
                .into_values()
                .collect(),
            proposals: c.proposals.clone(),
            reports: c.reports.clone(),
        };
        let writer = ViewWriter::new(ViewSpec {
            event: &e,
            org: &org,
            orgc: &orgc,
            parts,
            visibility,
            attribute_count,
        })
        .expect("a writer");
        let mut view = ViewStream::new(MemPages::new(c, filter), writer, batch);
        let mut body = Vec::new();
        let mut chunks = 0;
        while let Some(chunk) = view.next_chunk().await.expect("a chunk") {
            body.extend_from_slice(&chunk);
            chunks += 1;
        }
        assert!(chunks >= 1);
        body
    }

    fn built(c: &EventContents, scope: Scope, with_deleted: bool) -> Vec<u8> {
        let (e, org, orgc) = (event(), org(1, "Owner"), org(2, "Creator \"C\""));
        let everything = scope.is_everything();
        let mut envelope = build(&e, &org, &orgc, c.clone(), scope, VIEWER_ORG);
        if !with_deleted || !everything {
            drop_deleted(&mut envelope.event);
        }
        serde_json::to_vec(&envelope).expect("JSON")
    }

    /// Sighting orgs in a view, top-level and in objects.
    fn sighting_orgs(view: &[u8]) -> Vec<String> {
        let v: serde_json::Value = serde_json::from_slice(view).expect("JSON");
        let ev = &v["Event"];
        let mut attributes: Vec<&serde_json::Value> =
            ev["Attribute"].as_array().into_iter().flatten().collect();
        for o in ev["Object"].as_array().into_iter().flatten() {
            attributes.extend(o["Attribute"].as_array().into_iter().flatten());
        }
        attributes
            .iter()
            .flat_map(|a| a["Sighting"].as_array().into_iter().flatten())
            .map(|s| s["org_id"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    #[tokio::test]
    async fn other_organisations_see_only_their_own_sightings() {
        let c = contents();
        let all = sighting_orgs(&streamed(&c, Scope::Everything, false, 7).await);
        assert!(
            all.iter().any(|o| o == "1") && all.iter().any(|o| o == "3"),
            "{all:?}"
        );
        for view in [
            streamed(&c, shared(), false, 7).await,
            built(&c, shared(), false),
        ] {
            let shared = sighting_orgs(&view);
            assert!(!shared.is_empty(), "the reader's own sightings are shown");
            assert!(shared.iter().all(|o| o == "3"), "{shared:?}");
        }
    }

    #[tokio::test]
    async fn streamed_view_is_the_built_view_byte_for_byte() {
        let c = contents();
        for scope in [Scope::Everything, shared()] {
            for with_deleted in [false, true] {
                let want = built(&c, scope.clone(), with_deleted);
                for batch in [1, 2, 3, 7, 500] {
                    let got = streamed(&c, scope.clone(), with_deleted, batch).await;
                    assert_eq!(
                        String::from_utf8_lossy(&got),
                        String::from_utf8_lossy(&want),
                        "{scope:?}, deleted {with_deleted}, batch {batch}"
                    );
                }
            }
        }
        // The example is not trivial: every kind of part is shown somewhere
        // and hidden somewhere.
        let all = String::from_utf8_lossy(&built(&c, Scope::Everything, true)).into_owned();
        let shared_view = built(&c, shared(), false);
        let shared = String::from_utf8_lossy(&shared_view).into_owned();
        for needle in [
            "\"deleted\":true",
            "\"Sighting\"",
            "\"ObjectReference\":[{",
            "\"Attribute\":[]",
            "domain|ip",
            "\"distribution\":\"0\"",
        ] {
            assert!(all.contains(needle), "{needle}");
        }
        assert!(!shared.contains("\"deleted\":true"));
        assert!(
            all.contains(r#""old_id":"5""#),
            "a live proposal to change attribute 5 is shown inside it"
        );
        assert!(!shared.contains("\"distribution\":\"0\""));
        assert!(shared.contains("\"Object\":[{"));
        assert!(shared.len() < all.len());
        // Sharing-group parts: the reader sees those of its group, of every
        // kind, and none of another group.
        let groups_of = |view: &[u8]| {
            let v: serde_json::Value = serde_json::from_slice(view).expect("JSON");
            let ev = &v["Event"];
            let mut parts: Vec<(&str, serde_json::Value)> = Vec::new();
            for (kind, list) in [
                ("Attribute", &ev["Attribute"]),
                ("Object", &ev["Object"]),
                ("EventReport", &ev["EventReport"]),
            ] {
                for p in list.as_array().into_iter().flatten() {
                    parts.push((kind, p.clone()));
                    for a in p["Attribute"].as_array().into_iter().flatten() {
                        parts.push(("Object.Attribute", a.clone()));
                    }
                }
            }
            let mut found: Vec<(&str, String)> = parts
                .into_iter()
                .filter(|(_, p)| p["distribution"] == "4")
                .map(|(k, p)| {
                    (
                        k,
                        p["sharing_group_id"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                    )
                })
                .collect();
            found.sort();
            found.dedup();
            found
        };
        let in_shared = groups_of(&shared_view);
        assert_eq!(
            in_shared,
            [
                ("Attribute", "8".to_owned()),
                ("EventReport", "8".to_owned()),
                ("Object", "8".to_owned()),
                ("Object.Attribute", "8".to_owned()),
            ],
        );
        let in_all = groups_of(&built(&c, Scope::Everything, true));
        assert!(
            in_all.contains(&("Attribute", "9".to_owned())),
            "{in_all:?}"
        );
        assert!(in_all.contains(&("Object", "9".to_owned())), "{in_all:?}");
    }

    #[tokio::test]
    async fn an_empty_event_has_every_list() {
        let got = streamed(&EventContents::default(), Scope::Everything, false, 3).await;
        let text = String::from_utf8_lossy(&got);
        assert!(
            text.ends_with(
                r#""Attribute":[],"ShadowAttribute":[],"RelatedEvent":[],"Galaxy":[],"Object":[],"EventReport":[],"Tag":[]}}"#
            ),
            "{text}"
        );
        assert_eq!(
            got,
            built(&EventContents::default(), Scope::Everything, false)
        );
    }
}
