//! Editing a stored event with a MISP document (`events/edit`), as MISP's
//! `Event::_edit` does, as a pure function from the stored event, its
//! contents and the document to the rows to write:
//!
//! - A document `timestamp` not newer than the stored one refuses the edit
//!   (the synchronisation loop guard); without one the server stamps it.
//! - Event fields absent from the document keep their stored values;
//!   `published` is false unless the document says otherwise.
//! - Attributes, objects and reports are matched by UUID. A stored part whose
//!   document copy carries a timestamp not newer than the stored one is left
//!   alone (PyMISP drops the timestamp of what it changed, so unchanged parts
//!   keep theirs); a matched part otherwise takes the document's fields over
//!   its stored ones; an unknown UUID is a new part. Parts missing from the
//!   document are kept (deleting goes through `"deleted": true`).
//! - Tags, sightings and proposals are added; stored ones are kept.
//!
//! The merged document is validated as a whole with the rules of
//! [`EventIn::validate`], so an edit is refused, with every reason, exactly
//! when an equivalent new event would be; nothing is written then.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::input::{AttributeIn, EventIn, EventReportIn, ObjectIn};
use super::{
    Attribute, Event, EventContents, MispObject, NewAttribute, NewEvent, Rejection, Report,
};

/// MISP's message when the document is not newer than the stored event.
pub const NOT_NEWER_EVENT: &str =
    "Event could not be saved: Event in the request not newer than the local copy.";

/// Why an edit is refused.
#[derive(Debug, Clone, PartialEq)]
pub enum EditRefusal {
    /// The document's `timestamp` is not newer than the stored event's.
    NotNewer,
    /// Parts of the merged document are invalid.
    Rejected(Vec<Rejection>),
}

/// What an edit writes.
#[derive(Debug, Clone, PartialEq)]
pub struct EventEdit {
    /// The event's fields after the edit, and the parts to write: new ones
    /// and changed ones (those named in the id maps below). Unchanged parts
    /// are not in it. `timestamp` is the document's, or `None` for now.
    pub event: NewEvent,
    /// Stored attributes (UUID → id) that `event` changes.
    pub attribute_ids: HashMap<String, i64>,
    /// Stored objects (UUID → id) that `event` changes.
    pub object_ids: HashMap<String, i64>,
    /// Stored reports (UUID → id) that `event` changes.
    pub report_ids: HashMap<String, i64>,
    /// Whether anything differs from what is stored (MISP publishes an edit
    /// that says `published` only when something changed).
    pub changed: bool,
}

impl EventEdit {
    /// New objects of the edit (those that template checks apply to whole).
    pub fn new_objects(&self) -> impl Iterator<Item = &super::NewObject> {
        self.event
            .objects
            .iter()
            .filter(|o| !self.object_ids.contains_key(&o.uuid))
    }
}

fn normal_uuid(raw: Option<&str>) -> Option<String> {
    raw.and_then(|u| uuid::Uuid::parse_str(u.trim()).ok())
        .map(|u| u.hyphenated().to_string())
}

/// Whether a document part with `timestamp` is to be skipped against a
/// stored part stamped `stored`.
fn not_newer(timestamp: Option<i64>, stored: i64) -> bool {
    timestamp.is_some_and(|t| t <= stored)
}

/// The group a stored part keeps under an edit that names none: its own
/// only with distribution 4 (a row stored before ids were reset keeps no
/// stale group). Whatever the request gives, the distribution after the
/// overlay decides in validation ([`super::own_group`]).
fn stored_group(distribution: i64, id: i64) -> Option<i64> {
    super::own_group(distribution, Some(id))
}

/// The stored attribute with the request's fields laid over it: what a
/// request leaves out keeps its stored value. Tags, sightings and proposals
/// of the request are kept as sent.
pub fn overlay_attribute(stored: &Attribute, req: &AttributeIn) -> AttributeIn {
    let req = req.clone();
    AttributeIn {
        uuid: Some(stored.uuid.clone()),
        attr_type: req.attr_type.or_else(|| Some(stored.attr_type.clone())),
        category: req.category.or_else(|| Some(stored.category.clone())),
        value: req.value.or_else(|| Some(stored.value())),
        to_ids: req.to_ids.or(Some(stored.to_ids)),
        comment: req.comment.or_else(|| Some(stored.comment.clone())),
        distribution: req.distribution.or(Some(stored.distribution)),
        sharing_group_id: req
            .sharing_group_id
            .or_else(|| stored_group(stored.distribution, stored.sharing_group_id)),
        sharing_group_uuid: req.sharing_group_uuid,
        timestamp: req.timestamp,
        deleted: req.deleted.or(Some(stored.deleted)),
        disable_correlation: req.disable_correlation.or(Some(stored.disable_correlation)),
        object_relation: req
            .object_relation
            .or_else(|| stored.object_relation.clone()),
        first_seen: req
            .first_seen
            .or_else(|| stored.first_seen.clone().map(Value::String)),
        last_seen: req
            .last_seen
            .or_else(|| stored.last_seen.clone().map(Value::String)),
        data: req.data.or_else(|| stored.data.clone()),
        tags: req.tags,
        galaxies: req.galaxies,
        sightings: req.sightings,
        shadow_attributes: req.shadow_attributes,
    }
}

/// Whether a validated attribute differs from the stored one in anything an
/// edit can change.
pub fn attribute_differs(stored: &Attribute, new: &NewAttribute) -> bool {
    stored.object_relation != new.object_relation
        || stored.category != new.category
        || stored.attr_type != new.attr_type
        || stored.value1 != new.value1
        || stored.value2 != new.value2
        || stored.to_ids != new.to_ids
        || stored.comment != new.comment
        || stored.distribution != new.distribution
        || stored.sharing_group_id != new.sharing_group_id.unwrap_or(0)
        || stored.deleted != new.deleted
        || stored.disable_correlation != new.disable_correlation
        || stored.first_seen != new.first_seen
        || stored.last_seen != new.last_seen
}

/// The stored object with the request's own fields laid over it (its
/// attributes and references are the request's).
pub fn overlay_object(stored: &MispObject, req: &ObjectIn) -> ObjectIn {
    let req = req.clone();
    ObjectIn {
        uuid: Some(stored.uuid.clone()),
        name: req
            .name
            .filter(|n| !n.trim().is_empty())
            .or_else(|| Some(stored.name.clone())),
        meta_category: req
            .meta_category
            .or_else(|| Some(stored.meta_category.clone())),
        description: req.description.or_else(|| Some(stored.description.clone())),
        template_uuid: req.template_uuid.or_else(|| stored.template_uuid.clone()),
        template_version: req
            .template_version
            .or_else(|| stored.template_version.clone()),
        comment: req.comment.or_else(|| Some(stored.comment.clone())),
        distribution: req.distribution.or(Some(stored.distribution)),
        sharing_group_id: req
            .sharing_group_id
            .or_else(|| stored_group(stored.distribution, stored.sharing_group_id)),
        sharing_group_uuid: req.sharing_group_uuid,
        timestamp: req.timestamp,
        deleted: req.deleted.or(Some(stored.deleted)),
        first_seen: req
            .first_seen
            .or_else(|| stored.first_seen.clone().map(Value::String)),
        last_seen: req
            .last_seen
            .or_else(|| stored.last_seen.clone().map(Value::String)),
        attributes: req.attributes,
        references: req.references,
    }
}

fn overlay_report(stored: &Report, req: &EventReportIn) -> EventReportIn {
    let req = req.clone();
    EventReportIn {
        uuid: Some(stored.uuid.clone()),
        name: req.name.or_else(|| Some(stored.name.clone())),
        content: req.content.or_else(|| Some(stored.content.clone())),
        distribution: req.distribution.or(Some(stored.distribution)),
        sharing_group_id: req
            .sharing_group_id
            .or_else(|| stored_group(stored.distribution, stored.sharing_group_id)),
        sharing_group_uuid: req.sharing_group_uuid,
        timestamp: req.timestamp,
        deleted: req.deleted.or(Some(stored.deleted)),
    }
}

/// What became of one part of the document.
#[derive(Clone, Copy, PartialEq)]
enum Fate {
    New,
    Changed,
    /// Stored and not newer: validated as stored, then left out.
    Skipped,
}

/// Plans the edit of `stored` (whose parts are `contents`) by `doc`.
pub fn plan_edit(
    stored: &Event,
    contents: &EventContents,
    doc: &EventIn,
) -> Result<EventEdit, EditRefusal> {
    if not_newer(doc.timestamp, stored.timestamp) {
        return Err(EditRefusal::NotNewer);
    }
    let attrs: HashMap<&str, &Attribute> = contents
        .attributes
        .iter()
        .map(|a| (a.uuid.as_str(), a))
        .collect();
    let objects: HashMap<&str, &MispObject> = contents
        .objects
        .iter()
        .map(|o| (o.uuid.as_str(), o))
        .collect();
    let reports: HashMap<&str, &Report> = contents
        .reports
        .iter()
        .map(|r| (r.uuid.as_str(), r))
        .collect();
    let mut misplaced = Vec::new();

    // One attribute of the document, top-level (`object_id` None) or in an
    // object, against the stored one with its UUID.
    let mut attribute_fate = |a: &AttributeIn, object_id: Option<i64>, path: String| {
        let Some(s) = normal_uuid(a.uuid.as_deref()).and_then(|u| attrs.get(u.as_str()).copied())
        else {
            return (a.clone(), Fate::New);
        };
        if s.object_id != object_id {
            misplaced.push(Rejection {
                path,
                uuid: Some(s.uuid.clone()),
                field: "uuid",
                message: "An attribute with this UUID is stored elsewhere in this event; it \
                          cannot move between objects."
                    .into(),
            });
        }
        if not_newer(a.timestamp, s.timestamp) {
            (overlay_attribute(s, &AttributeIn::default()), Fate::Skipped)
        } else {
            (overlay_attribute(s, a), Fate::Changed)
        }
    };

    let mut merged = EventIn {
        uuid: Some(stored.uuid.clone()),
        info: doc.info.clone().or_else(|| Some(stored.info.clone())),
        date: doc.date.clone().or_else(|| Some(stored.date.clone())),
        threat_level_id: doc.threat_level_id.or(Some(stored.threat_level_id)),
        analysis: doc.analysis.or(Some(stored.analysis)),
        distribution: doc.distribution.or(Some(stored.distribution)),
        sharing_group_id: doc
            .sharing_group_id
            .or_else(|| stored_group(stored.distribution, stored.sharing_group_id)),
        sharing_group_uuid: doc.sharing_group_uuid.clone(),
        published: Some(doc.published.unwrap_or(false)),
        timestamp: doc.timestamp,
        publish_timestamp: Some(stored.publish_timestamp),
        disable_correlation: doc.disable_correlation.or(Some(stored.disable_correlation)),
        extends_uuid: doc
            .extends_uuid
            .clone()
            .or_else(|| Some(stored.extends_uuid.clone())),
        tags: doc.tags.clone(),
        galaxies: doc.galaxies.clone(),
        shadow_attributes: doc.shadow_attributes.clone(),
        ..EventIn::default()
    };
    let mut attribute_fates = Vec::with_capacity(doc.attributes.len());
    for (i, a) in doc.attributes.iter().enumerate() {
        let (m, fate) = attribute_fate(a, None, format!("Attribute[{i}]"));
        merged.attributes.push(m);
        attribute_fates.push(fate);
    }
    let mut object_fates = Vec::with_capacity(doc.objects.len());
    for (i, o) in doc.objects.iter().enumerate() {
        let stored_object =
            normal_uuid(o.uuid.as_deref()).and_then(|u| objects.get(u.as_str()).copied());
        let (mut m, fate) = match stored_object {
            None => (o.clone(), Fate::New),
            Some(s) if not_newer(o.timestamp, s.timestamp) => {
                (overlay_object(s, &ObjectIn::default()), Fate::Skipped)
            }
            Some(s) => (overlay_object(s, o), Fate::Changed),
        };
        let mut fates = Vec::new();
        if fate != Fate::Skipped {
            let object_id = stored_object.map(|s| s.id);
            m.attributes = o
                .attributes
                .iter()
                .enumerate()
                .map(|(j, a)| {
                    let (m, f) =
                        attribute_fate(a, object_id, format!("Object[{i}].Attribute[{j}]"));
                    // An attribute new to a new object has no stored twin.
                    fates.push(if object_id.is_none() { Fate::New } else { f });
                    m
                })
                .collect();
        }
        merged.objects.push(m);
        object_fates.push((fate, fates));
    }
    let mut report_fates = Vec::with_capacity(doc.reports.len());
    for r in &doc.reports {
        let stored_report =
            normal_uuid(r.uuid.as_deref()).and_then(|u| reports.get(u.as_str()).copied());
        let (m, fate) = match stored_report {
            None => (r.clone(), Fate::New),
            Some(s) if not_newer(r.timestamp, s.timestamp) => {
                (overlay_report(s, &EventReportIn::default()), Fate::Skipped)
            }
            Some(s) => (overlay_report(s, r), Fate::Changed),
        };
        merged.reports.push(m);
        report_fates.push(fate);
    }

    let mut validated = match merged.validate() {
        Ok(v) if misplaced.is_empty() => v,
        Ok(_) => return Err(EditRefusal::Rejected(misplaced)),
        Err(mut r) => {
            r.extend(misplaced);
            return Err(EditRefusal::Rejected(r));
        }
    };

    let mut changed = stored.info != validated.info
        || stored.date != validated.date
        || stored.threat_level_id != validated.threat_level_id
        || stored.analysis != validated.analysis
        || stored.distribution != validated.distribution
        || stored.sharing_group_id != validated.sharing_group_id.unwrap_or(0)
        || stored.disable_correlation != validated.disable_correlation
        || stored.extends_uuid != validated.extends_uuid.clone().unwrap_or_default();
    let mut edit = EventEdit {
        event: NewEvent {
            attributes: Vec::new(),
            objects: Vec::new(),
            reports: Vec::new(),
            ..validated.clone()
        },
        attribute_ids: HashMap::new(),
        object_ids: HashMap::new(),
        report_ids: HashMap::new(),
        changed: false,
    };
    let keep_attribute = |a: NewAttribute, fate: Fate, edit: &mut EventEdit| match fate {
        Fate::Skipped => None,
        Fate::New => Some(a),
        Fate::Changed => {
            let s = attrs.get(a.uuid.as_str())?;
            edit.attribute_ids.insert(a.uuid.clone(), s.id);
            Some(a)
        }
    };
    for (a, fate) in std::mem::take(&mut validated.attributes)
        .into_iter()
        .zip(attribute_fates)
    {
        if let Some(a) = keep_attribute(a, fate, &mut edit) {
            edit.event.attributes.push(a);
        }
    }
    let stored_references: HashSet<&str> = contents
        .references
        .iter()
        .map(|r| r.uuid.as_str())
        .collect();
    for (mut o, (fate, fates)) in std::mem::take(&mut validated.objects)
        .into_iter()
        .zip(object_fates)
    {
        if fate == Fate::Skipped {
            continue;
        }
        if let (Fate::Changed, Some(s)) = (fate, objects.get(o.uuid.as_str())) {
            edit.object_ids.insert(o.uuid.clone(), s.id);
        }
        o.attributes = std::mem::take(&mut o.attributes)
            .into_iter()
            .zip(fates)
            .filter_map(|(a, f)| keep_attribute(a, f, &mut edit))
            .collect();
        o.references
            .retain(|r| !stored_references.contains(r.uuid.as_str()));
        edit.event.objects.push(o);
    }
    for (r, fate) in std::mem::take(&mut validated.reports)
        .into_iter()
        .zip(report_fates)
    {
        match fate {
            Fate::Skipped => {}
            Fate::New => edit.event.reports.push(r),
            Fate::Changed => {
                if let Some(s) = reports.get(r.uuid.as_str()) {
                    edit.report_ids.insert(r.uuid.clone(), s.id);
                }
                edit.event.reports.push(r);
            }
        }
    }

    // What actually differs, for the `changed` flag.
    let stored_tags: HashSet<&str> = contents
        .event_tags
        .iter()
        .map(|t| t.tag.name.as_str())
        .collect();
    changed |= edit
        .event
        .tags
        .iter()
        .any(|t| !stored_tags.contains(t.name.as_str()));
    let attribute_changed = |a: &NewAttribute| match attrs.get(a.uuid.as_str()) {
        None => true,
        Some(s) => attribute_differs(s, a) || !a.tags.is_empty() || !a.sightings.is_empty(),
    };
    changed |= edit.event.attributes.iter().any(attribute_changed);
    changed |= edit.event.objects.iter().any(|o| {
        !objects.contains_key(o.uuid.as_str())
            || !o.references.is_empty()
            || o.attributes.iter().any(attribute_changed)
            || objects.get(o.uuid.as_str()).is_some_and(|s| {
                s.comment != o.comment
                    || s.distribution != o.distribution
                    || s.sharing_group_id != o.sharing_group_id.unwrap_or(0)
                    || s.deleted != o.deleted
                    || s.first_seen != o.first_seen
                    || s.last_seen != o.last_seen
            })
    });
    changed |= edit
        .event
        .reports
        .iter()
        .any(|r| match reports.get(r.uuid.as_str()) {
            None => true,
            Some(s) => {
                s.name != r.name
                    || s.content != r.content
                    || s.distribution != r.distribution
                    || s.sharing_group_id != r.sharing_group_id.unwrap_or(0)
                    || s.deleted != r.deleted
            }
        });
    changed |= !edit.event.proposals.is_empty();
    edit.changed = changed;
    Ok(edit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::input::{AttributeIn, TagIn};
    use crate::event::SharingGroupParts;

    fn stored_event() -> Event {
        Event {
            id: 7,
            uuid: "5f6b1a2e-0000-4000-8000-000000000001".into(),
            org_id: 1,
            orgc_id: 1,
            user_id: 1,
            info: "stored info".into(),
            date: "2026-01-02".into(),
            threat_level_id: 2,
            analysis: 1,
            distribution: 1,
            sharing_group_id: 0,
            published: true,
            publish_timestamp: 100,
            timestamp: 1_000,
            sighting_timestamp: 0,
            attribute_count: 1,
            disable_correlation: false,
            extends_uuid: String::new(),
            proposal_email_lock: false,
            locked: false,
        }
    }

    fn stored_attribute(id: i64, uuid: &str, value: &str, object_id: Option<i64>) -> Attribute {
        Attribute {
            id,
            uuid: uuid.into(),
            event_id: 7,
            object_id,
            object_relation: object_id.map(|_| "ip".into()),
            category: "Network activity".into(),
            attr_type: "ip-dst".into(),
            value1: value.into(),
            value2: String::new(),
            to_ids: true,
            comment: "stored comment".into(),
            distribution: 5,
            sharing_group_id: 0,
            timestamp: 900,
            deleted: false,
            disable_correlation: false,
            first_seen: None,
            last_seen: None,
            data: None,
        }
    }

    const A1: &str = "5f6b1a2e-0000-4000-8000-0000000000a1";
    const A2: &str = "5f6b1a2e-0000-4000-8000-0000000000a2";

    fn contents() -> EventContents {
        EventContents {
            attributes: vec![
                stored_attribute(11, A1, "10.0.0.1", None),
                stored_attribute(12, A2, "10.0.0.2", None),
            ],
            ..EventContents::default()
        }
    }

    fn attr(uuid: Option<&str>, value: Option<&str>, timestamp: Option<i64>) -> AttributeIn {
        AttributeIn {
            uuid: uuid.map(str::to_owned),
            attr_type: value.map(|_| "ip-dst".to_owned()),
            value: value.map(str::to_owned),
            timestamp,
            ..AttributeIn::default()
        }
    }

    #[test]
    fn a_document_not_newer_than_the_event_is_refused() {
        let doc = EventIn {
            timestamp: Some(1_000),
            ..EventIn::default()
        };
        assert_eq!(
            plan_edit(&stored_event(), &contents(), &doc),
            Err(EditRefusal::NotNewer)
        );
        let doc = EventIn {
            timestamp: Some(1_001),
            ..EventIn::default()
        };
        assert!(plan_edit(&stored_event(), &contents(), &doc).is_ok());
    }

    #[test]
    fn absent_event_fields_keep_their_values_and_published_defaults_to_false() {
        let doc = EventIn::default();
        let edit = plan_edit(&stored_event(), &contents(), &doc).expect("valid");
        assert_eq!(edit.event.info, "stored info");
        assert_eq!(edit.event.date, "2026-01-02");
        assert_eq!(edit.event.threat_level_id, 2);
        assert_eq!(edit.event.analysis, 1);
        assert!(!edit.event.published);
        assert_eq!(edit.event.timestamp, None);
        assert!(!edit.changed);
        assert!(edit.event.attributes.is_empty());
    }

    #[test]
    fn attributes_are_matched_by_uuid_skipped_when_not_newer_and_added_when_unknown() {
        let doc = EventIn {
            info: Some("new info".into()),
            attributes: vec![
                // Unchanged copy, as PyMISP sends it: its timestamp is kept.
                attr(Some(A1), Some("10.9.9.9"), Some(900)),
                // Changed: no timestamp, only a comment.
                AttributeIn {
                    comment: Some("edited".into()),
                    ..attr(Some(&A2.to_uppercase()), None, None)
                },
                attr(None, Some("192.0.2.1"), None),
            ],
            ..EventIn::default()
        };
        let edit = plan_edit(&stored_event(), &contents(), &doc).expect("valid");
        assert!(edit.changed);
        assert_eq!(edit.event.info, "new info");
        let values: Vec<(&str, &str)> = edit
            .event
            .attributes
            .iter()
            .map(|a| (a.value1.as_str(), a.comment.as_str()))
            .collect();
        assert_eq!(values, vec![("10.0.0.2", "edited"), ("192.0.2.1", "")]);
        assert_eq!(edit.attribute_ids.get(A2), Some(&12));
        assert_eq!(edit.attribute_ids.len(), 1);
        // The changed attribute keeps its stored type and category.
        assert_eq!(edit.event.attributes[0].attr_type, "ip-dst");
        assert_eq!(edit.event.attributes[0].category, "Network activity");
    }

    #[test]
    fn an_invalid_change_is_refused_with_the_documents_path() {
        let doc = EventIn {
            attributes: vec![
                attr(Some(A1), None, Some(900)),
                attr(Some(A2), Some("not an ip"), None),
            ],
            ..EventIn::default()
        };
        match plan_edit(&stored_event(), &contents(), &doc) {
            Err(EditRefusal::Rejected(r)) => {
                assert_eq!(r.len(), 1, "{r:?}");
                assert_eq!(r[0].path, "Attribute[1]");
                assert_eq!(r[0].field, "value");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn an_object_attribute_cannot_move_to_the_top_level() {
        let mut c = contents();
        c.attributes.push(stored_attribute(
            13,
            "5f6b1a2e-0000-4000-8000-0000000000a3",
            "10.0.0.3",
            Some(3),
        ));
        let doc = EventIn {
            attributes: vec![attr(
                Some("5f6b1a2e-0000-4000-8000-0000000000a3"),
                Some("10.0.0.3"),
                None,
            )],
            ..EventIn::default()
        };
        match plan_edit(&stored_event(), &c, &doc) {
            Err(EditRefusal::Rejected(r)) => {
                assert!(r
                    .iter()
                    .any(|r| r.path == "Attribute[0]" && r.field == "uuid"))
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_new_event_tag_is_a_change_and_a_stored_one_is_not() {
        let doc = EventIn {
            tags: vec![TagIn {
                name: Some("tlp:green".into()),
                ..TagIn::default()
            }],
            ..EventIn::default()
        };
        let edit = plan_edit(&stored_event(), &contents(), &doc).expect("valid");
        assert!(edit.changed);
        assert_eq!(edit.event.tags.len(), 1);
        let mut c = contents();
        c.event_tags.push(crate::event::TagLink {
            target_id: 7,
            tag: crate::event::Tag {
                id: 1,
                name: "tlp:green".into(),
                colour: String::new(),
                exportable: true,
                org_id: 0,
                user_id: 0,
                hide_tag: false,
                numerical_value: None,
                is_galaxy: false,
                is_custom_galaxy: false,
                local_only: false,
            },
            local: false,
            relationship_type: None,
        });
        let edit = plan_edit(&stored_event(), &c, &doc).expect("valid");
        assert!(!edit.changed);
    }

    /// After an edit, the distribution decides: a group stays only with
    /// distribution 4 (MISP resets `sharing_group_id` otherwise).
    #[test]
    fn the_distribution_after_the_overlay_decides_the_group() {
        let validated = |stored: &Attribute, req: serde_json::Value| {
            let req: AttributeIn = serde_json::from_value(req).expect("request");
            overlay_attribute(stored, &req)
                .validate(false)
                .expect("valid")
        };
        let mut grouped = stored_attribute(11, A1, "10.0.0.1", None);
        grouped.distribution = 4;
        grouped.sharing_group_id = 3;
        // 4 → 0 clears the group; 4 → 5 too.
        for d in [0, 5] {
            let new = validated(&grouped, serde_json::json!({"distribution": d}));
            assert_eq!((new.distribution, new.sharing_group_id), (d, None));
            assert!(attribute_differs(&grouped, &new));
        }
        // Unchanged distribution 4 keeps the stored group; a new one replaces it.
        let new = validated(&grouped, serde_json::json!({"comment": "c"}));
        assert_eq!(new.sharing_group_id, Some(3));
        let new = validated(&grouped, serde_json::json!({"sharing_group_id": 4}));
        assert_eq!(new.sharing_group_id, Some(4));
        // A group given to a part that stays at distribution 5 is dropped.
        let plain = stored_attribute(12, A2, "10.0.0.2", None);
        let new = validated(&plain, serde_json::json!({"sharing_group_id": 4}));
        assert_eq!((new.distribution, new.sharing_group_id), (5, None));
        // A stale group stored with distribution 1 is not picked up by 1 → 4.
        let mut stale = plain.clone();
        stale.distribution = 1;
        stale.sharing_group_id = 2;
        let new = validated(&stale, serde_json::json!({"distribution": 4}));
        assert_eq!((new.distribution, new.sharing_group_id), (4, None));
        assert_eq!(new.sharing_group_uses()[0].sharing_group_id, None);
    }

    #[test]
    fn an_event_edit_clears_groups_outside_distribution_4() {
        let mut event = stored_event();
        event.distribution = 4;
        event.sharing_group_id = 3;
        let mut c = contents();
        c.objects.push(MispObject {
            id: 5,
            uuid: "5f6b1a2e-0000-4000-8000-0000000000b1".into(),
            event_id: 7,
            name: "custom".into(),
            meta_category: String::new(),
            description: String::new(),
            template_uuid: None,
            template_version: None,
            comment: String::new(),
            distribution: 4,
            sharing_group_id: 3,
            timestamp: 900,
            deleted: false,
            first_seen: None,
            last_seen: None,
        });
        let doc: EventIn = serde_json::from_value(serde_json::json!({
            "distribution": 0,
            "Attribute": [{"uuid": A1, "distribution": 1, "sharing_group_id": 2}],
            "Object": [{"uuid": "5f6b1a2e-0000-4000-8000-0000000000b1", "distribution": 1}]
        }))
        .expect("document");
        let edit = plan_edit(&event, &c, &doc).expect("valid");
        assert!(edit.changed);
        assert_eq!(
            (edit.event.distribution, edit.event.sharing_group_id),
            (0, None)
        );
        assert_eq!(edit.event.attributes[0].sharing_group_id, None);
        assert_eq!(edit.event.objects[0].sharing_group_id, None);
        assert!(edit.event.sharing_group_uses().is_empty());
    }
}
