//! The event view, `{"Event": {…}}`, in MISP's field order: integers as
//! strings, flags as booleans, and the nested lists MISP always sends (empty
//! when there is nothing).

use std::collections::HashMap;

use cydef_model::event::{
    Attribute, Event, EventContents, MispObject, ObjectReference, Proposal, Report, Sighting,
    TagLink,
};
use cydef_model::Organisation;
use serde::Serialize;
use utoipa::ToSchema;

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
        let t = &l.tag;
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
            local: l.local,
            relationship_type: l.relationship_type.clone(),
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
#[derive(Debug, Serialize, ToSchema)]
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

/// The event itself.
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

/// Which parts of an event a reader sees: everything, or (for another
/// organisation) all but distribution-0 parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Everything,
    SharedOnly,
}

impl Scope {
    /// Whether a part (attribute, object, report) of this distribution is
    /// shown. Other organisations see parts shared beyond the owner (1–3)
    /// and those inheriting the event's (5); organisation-only parts (0) and,
    /// until sharing groups exist, sharing-group parts (4) are not shown.
    pub fn shows(self, distribution: i64) -> bool {
        self == Scope::Everything || matches!(distribution, 1..=3 | 5)
    }
}

/// Builds the event view from its row, organisations and contents.
pub fn build(
    e: &Event,
    org: &Organisation,
    orgc: &Organisation,
    c: EventContents,
    scope: Scope,
) -> EventEnvelope {
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
    for s in &c.sightings {
        sightings
            .entry(s.attribute_id)
            .or_default()
            .push(sighting_view(s, &attr_uuid));
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
    for a in c.attributes {
        if !scope.shows(a.distribution) {
            continue;
        }
        let tags = attr_tags.remove(&a.id).unwrap_or_default();
        let sighting = sightings.remove(&a.id).unwrap_or_default();
        let object_id = a.object_id;
        let view = attribute_view(a, tags, sighting);
        match object_id {
            Some(oid) => in_objects.entry(oid).or_default().push(view),
            None => top.push(view),
        }
    }
    let objects = c
        .objects
        .iter()
        .filter(|o| scope.shows(o.distribution))
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
                .filter(|r| scope.shows(r.distribution))
                .map(report_view)
                .collect(),
            tag: c.event_tags.iter().map(TagView::new).collect(),
        },
    };
    if scope == Scope::SharedOnly {
        // Another organisation's count is of what it may see, so that the
        // number does not reveal hidden attributes.
        envelope.event.attribute_count = live_attribute_count(&envelope.event);
    }
    envelope
}

fn sighting_view(s: &Sighting, attr_uuid: &HashMap<i64, &str>) -> SightingView {
    SightingView {
        id: s.id,
        attribute_id: s.attribute_id,
        event_id: s.event_id,
        org_id: s.org_id,
        date_sighting: s.date_sighting,
        uuid: s.uuid.clone(),
        source: s.source.clone(),
        sighting_type: s.sighting_type,
        attribute_uuid: attr_uuid
            .get(&s.attribute_id)
            .copied()
            .unwrap_or_default()
            .to_owned(),
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

/// An attribute with its tags and sightings.
pub fn attribute_view(
    a: Attribute,
    tag: Vec<TagView>,
    sighting: Vec<SightingView>,
) -> AttributeView {
    let value = a.value();
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
