//! Events and what they hold: attributes, objects, object references, tags,
//! sightings, proposals and reports.
//!
//! [`input`] reads documents as clients send them; [`EventIn::validate`]
//! turns one into a [`NewEvent`], whose every value is normalised and
//! checked. Policy: a document with any invalid part is refused whole, with
//! every reason listed; nothing of it is stored.

pub mod edit;
pub mod input;
pub mod stored;

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

pub use input::{parse_events, DocumentError, EventIn};
use input::{AttributeIn, GalaxyIn, ObjectIn, TagIn};
pub use stored::*;

use crate::attribute_value;
use crate::types::{category_allows, is_category, sane_default};

/// Distribution levels. Events take 0–4; attributes, objects and reports also
/// take 5 (inherit the event's).
pub mod distribution {
    pub const ORG_ONLY: i64 = 0;
    pub const COMMUNITY: i64 = 1;
    pub const CONNECTED: i64 = 2;
    pub const ALL: i64 = 3;
    pub const SHARING_GROUP: i64 = 4;
    pub const INHERIT: i64 = 5;
}

/// A tag to attach, by name.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTagLink {
    pub name: String,
    pub colour: Option<String>,
    pub exportable: bool,
    pub hide_tag: bool,
    pub numerical_value: Option<i64>,
    pub local: bool,
    pub relationship_type: Option<String>,
}

impl NewTagLink {
    /// The colour to create the tag with: the one sent, else MISP's default
    /// for the name.
    pub fn colour_or_default(&self) -> String {
        self.colour
            .clone()
            .unwrap_or_else(|| crate::tag::default_colour(&self.name))
    }
}

/// A sighting to store with an attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSighting {
    pub uuid: String,
    pub date_sighting: i64,
    pub source: String,
    pub sighting_type: i64,
    pub org_name: Option<String>,
    pub org_uuid: Option<String>,
    /// The organisation the sighting is stored under, once the writer has
    /// resolved `org_name`/`org_uuid` (who may keep them is the writer's
    /// rule); `None` stores it under the writing user's organisation.
    pub org_id: Option<i64>,
}

/// A validated attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAttribute {
    pub uuid: String,
    pub attr_type: String,
    pub category: String,
    /// Normalised value; for composite types `value1|value2`.
    pub value: String,
    pub value1: String,
    pub value2: String,
    pub to_ids: bool,
    pub comment: String,
    pub distribution: i64,
    /// Only with distribution 4 (see [`own_group`]).
    pub sharing_group_id: Option<i64>,
    /// The UUID of the group the document embeds (`SharingGroup`), only
    /// with distribution 4; the writers' check resolves it to a local id.
    pub sharing_group_uuid: Option<String>,
    pub timestamp: Option<i64>,
    pub deleted: bool,
    pub disable_correlation: bool,
    pub object_relation: Option<String>,
    /// MISP's ISO 8601 form, microseconds and zone.
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub data: Option<String>,
    pub tags: Vec<NewTagLink>,
    pub sightings: Vec<NewSighting>,
}

/// A validated object reference; the target is resolved by UUID at storage.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReference {
    pub uuid: String,
    pub referenced_uuid: String,
    pub relationship_type: String,
    pub comment: String,
    pub timestamp: Option<i64>,
    pub deleted: bool,
}

/// A validated object.
#[derive(Debug, Clone, PartialEq)]
pub struct NewObject {
    pub uuid: String,
    pub name: String,
    pub meta_category: String,
    pub description: String,
    pub template_uuid: Option<String>,
    pub template_version: Option<String>,
    pub comment: String,
    pub distribution: i64,
    /// Only with distribution 4 (see [`own_group`]).
    pub sharing_group_id: Option<i64>,
    /// The UUID of the group the document embeds (`SharingGroup`), only
    /// with distribution 4; the writers' check resolves it to a local id.
    pub sharing_group_uuid: Option<String>,
    pub timestamp: Option<i64>,
    pub deleted: bool,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub attributes: Vec<NewAttribute>,
    pub references: Vec<NewReference>,
}

/// A validated proposal.
#[derive(Debug, Clone, PartialEq)]
pub struct NewProposal {
    pub uuid: String,
    pub attr_type: String,
    pub category: String,
    pub value: String,
    pub to_ids: bool,
    pub comment: String,
    pub timestamp: Option<i64>,
    pub proposal_to_delete: bool,
    pub old_uuid: Option<String>,
    pub org_name: Option<String>,
}

/// A validated event report.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReport {
    pub uuid: String,
    pub name: String,
    pub content: String,
    pub distribution: i64,
    /// Only with distribution 4 (see [`own_group`]).
    pub sharing_group_id: Option<i64>,
    /// The UUID of the group the document embeds (`SharingGroup`), only
    /// with distribution 4; the writers' check resolves it to a local id.
    pub sharing_group_uuid: Option<String>,
    pub timestamp: Option<i64>,
    pub deleted: bool,
}

/// The creating organisation named in a document.
#[derive(Debug, Clone, PartialEq)]
pub struct OrgRef {
    pub name: Option<String>,
    pub uuid: Option<String>,
}

/// A validated event document.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub uuid: String,
    pub info: String,
    pub date: String,
    pub threat_level_id: i64,
    pub analysis: i64,
    pub distribution: i64,
    /// Only with distribution 4 (see [`own_group`]).
    pub sharing_group_id: Option<i64>,
    /// The UUID of the group the document embeds (`SharingGroup`), only
    /// with distribution 4; the writers' check resolves it to a local id.
    pub sharing_group_uuid: Option<String>,
    pub published: bool,
    pub timestamp: Option<i64>,
    pub publish_timestamp: i64,
    pub disable_correlation: bool,
    pub extends_uuid: Option<String>,
    pub orgc: Option<OrgRef>,
    pub attributes: Vec<NewAttribute>,
    pub objects: Vec<NewObject>,
    pub tags: Vec<NewTagLink>,
    pub proposals: Vec<NewProposal>,
    pub reports: Vec<NewReport>,
}

impl NewEvent {
    /// Every sighting of the document's attributes, top-level and in objects.
    pub fn sightings_mut(&mut self) -> impl Iterator<Item = &mut NewSighting> {
        self.attributes
            .iter_mut()
            .chain(
                self.objects
                    .iter_mut()
                    .flat_map(|o| o.attributes.iter_mut()),
            )
            .flat_map(|a| a.sightings.iter_mut())
    }

    /// Live (not soft-deleted) attributes, top-level and in live objects:
    /// MISP's `attribute_count`.
    pub fn attribute_count(&self) -> usize {
        let live = |a: &&NewAttribute| !a.deleted;
        self.attributes.iter().filter(live).count()
            + self
                .objects
                .iter()
                .filter(|o| !o.deleted)
                .map(|o| o.attributes.iter().filter(live).count())
                .sum::<usize>()
    }
}

/// One reason a document was refused: where, which UUID, which field, why.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    /// `Event`, `Attribute[3]`, `Object[1].Attribute[0]`, …
    pub path: String,
    pub uuid: Option<String>,
    pub field: &'static str,
    pub message: String,
}

/// Longest tag name, as MISP's schema allows.
pub const TAG_NAME_MAX: usize = 255;

/// The group a part of `distribution` keeps: only distribution 4 names one.
/// Any other distribution (5, inherit, included) has none, whatever id was
/// sent, as MISP resets `sharing_group_id` to 0 (`beforeValidate`).
pub fn own_group(distribution: i64, id: Option<i64>) -> Option<i64> {
    id.filter(|id| *id > 0 && distribution == distribution::SHARING_GROUP)
}

/// The embedded group UUID a part of `distribution` keeps (distribution 4
/// only), lower-cased when it is a UUID; anything else is kept as sent and
/// names no group that exists.
fn own_group_uuid(distribution: i64, uuid: Option<&str>) -> Option<String> {
    let raw = uuid.map(str::trim).filter(|u| !u.is_empty())?;
    (distribution == distribution::SHARING_GROUP).then(|| {
        Uuid::parse_str(raw).map_or_else(|_| raw.to_owned(), |u| u.hyphenated().to_string())
    })
}

/// A part of a document that names a sharing group (distribution 4), for the
/// check that the writer may use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharingGroupUse {
    /// Where the part is, as in [`Rejection::path`].
    pub path: String,
    pub uuid: String,
    /// `None` when distribution 4 names no group (or, once resolved, when
    /// the embedded group is not on this instance).
    pub sharing_group_id: Option<i64>,
    /// The embedded group's UUID, when the document carries one.
    pub sharing_group_uuid: Option<String>,
}

/// A validated write whose parts may name sharing groups: what the writers'
/// check reads, and where it puts the local ids of embedded groups.
pub trait SharingGroupParts {
    /// Every part of distribution 4, with the group it names.
    fn sharing_group_uses(&self) -> Vec<SharingGroupUse>;
    /// Gives every part that embeds a group the local id `local` has for
    /// that group's UUID, or no id when the group is not there.
    fn resolve_sharing_groups(&mut self, local: &HashMap<String, i64>);
}

fn resolve_group(id: &mut Option<i64>, uuid: &Option<String>, local: &HashMap<String, i64>) {
    if let Some(u) = uuid {
        *id = local.get(u).copied();
    }
}

impl NewAttribute {
    fn sharing_group_use(&self, path: String) -> Option<SharingGroupUse> {
        (self.distribution == distribution::SHARING_GROUP).then(|| SharingGroupUse {
            path,
            uuid: self.uuid.clone(),
            sharing_group_id: self.sharing_group_id,
            sharing_group_uuid: self.sharing_group_uuid.clone(),
        })
    }
}

impl NewObject {
    /// The object and its attributes that name a sharing group; paths
    /// start with `path` (`Object`, `Object[2]`).
    fn sharing_group_uses_at(&self, path: &str) -> Vec<SharingGroupUse> {
        let own = (self.distribution == distribution::SHARING_GROUP).then(|| SharingGroupUse {
            path: path.to_owned(),
            uuid: self.uuid.clone(),
            sharing_group_id: self.sharing_group_id,
            sharing_group_uuid: self.sharing_group_uuid.clone(),
        });
        own.into_iter()
            .chain(
                self.attributes
                    .iter()
                    .enumerate()
                    .filter_map(|(i, a)| a.sharing_group_use(format!("{path}.Attribute[{i}]"))),
            )
            .collect()
    }
}

/// The attribute, when it names a sharing group (path `Attribute`).
impl SharingGroupParts for NewAttribute {
    fn sharing_group_uses(&self) -> Vec<SharingGroupUse> {
        self.sharing_group_use("Attribute".to_owned())
            .into_iter()
            .collect()
    }

    fn resolve_sharing_groups(&mut self, local: &HashMap<String, i64>) {
        resolve_group(&mut self.sharing_group_id, &self.sharing_group_uuid, local);
    }
}

/// The object (path `Object`) and its attributes (`Object.Attribute[i]`).
impl SharingGroupParts for NewObject {
    fn sharing_group_uses(&self) -> Vec<SharingGroupUse> {
        self.sharing_group_uses_at("Object")
    }

    fn resolve_sharing_groups(&mut self, local: &HashMap<String, i64>) {
        resolve_group(&mut self.sharing_group_id, &self.sharing_group_uuid, local);
        for a in &mut self.attributes {
            a.resolve_sharing_groups(local);
        }
    }
}

/// The event, attributes, objects and their attributes, reports.
impl SharingGroupParts for NewEvent {
    fn sharing_group_uses(&self) -> Vec<SharingGroupUse> {
        let mut out = Vec::new();
        if self.distribution == distribution::SHARING_GROUP {
            out.push(SharingGroupUse {
                path: "Event".to_owned(),
                uuid: self.uuid.clone(),
                sharing_group_id: self.sharing_group_id,
                sharing_group_uuid: self.sharing_group_uuid.clone(),
            });
        }
        out.extend(
            self.attributes
                .iter()
                .enumerate()
                .filter_map(|(i, a)| a.sharing_group_use(format!("Attribute[{i}]"))),
        );
        for (i, o) in self.objects.iter().enumerate() {
            out.extend(o.sharing_group_uses_at(&format!("Object[{i}]")));
        }
        out.extend(
            self.reports
                .iter()
                .enumerate()
                .filter(|(_, r)| r.distribution == distribution::SHARING_GROUP)
                .map(|(i, r)| SharingGroupUse {
                    path: format!("EventReport[{i}]"),
                    uuid: r.uuid.clone(),
                    sharing_group_id: r.sharing_group_id,
                    sharing_group_uuid: r.sharing_group_uuid.clone(),
                }),
        );
        out
    }

    fn resolve_sharing_groups(&mut self, local: &HashMap<String, i64>) {
        resolve_group(&mut self.sharing_group_id, &self.sharing_group_uuid, local);
        for a in &mut self.attributes {
            a.resolve_sharing_groups(local);
        }
        for o in &mut self.objects {
            o.resolve_sharing_groups(local);
        }
        for r in &mut self.reports {
            resolve_group(&mut r.sharing_group_id, &r.sharing_group_uuid, local);
        }
    }
}

/// MISP's message for a duplicate attribute.
pub const DUPLICATE_ATTRIBUTE: &str = "A similar attribute already exists for this event.";

struct Ctx {
    rejections: Vec<Rejection>,
}

impl Ctx {
    fn reject(
        &mut self,
        path: &str,
        uuid: Option<&str>,
        field: &'static str,
        message: impl Into<String>,
    ) {
        self.rejections.push(Rejection {
            path: path.to_owned(),
            uuid: uuid.map(str::to_owned),
            field,
            message: message.into(),
        });
    }
}

/// Parses and lower-cases a UUID, or makes a new one when absent.
fn uuid_or_new(raw: Option<&str>, ctx: &mut Ctx, path: &str) -> String {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Uuid::new_v4().to_string(),
        Some(s) => match Uuid::parse_str(s) {
            Ok(u) => u.hyphenated().to_string(),
            Err(_) => {
                ctx.reject(
                    path,
                    Some(s),
                    "uuid",
                    "Please provide a valid RFC 4122 UUID",
                );
                Uuid::new_v4().to_string()
            }
        },
    }
}

fn ranged(
    v: Option<i64>,
    default: i64,
    max: i64,
    field: &'static str,
    ctx: &mut Ctx,
    path: &str,
) -> i64 {
    match v {
        None => default,
        Some(n) if (0..=max).contains(&n) => n,
        Some(n) => {
            ctx.reject(
                path,
                None,
                field,
                format!("{field} must be between 0 and {max}, not {n}."),
            );
            default
        }
    }
}

fn tag_links(tags: &[TagIn], galaxies: &[GalaxyIn], ctx: &mut Ctx, path: &str) -> Vec<NewTagLink> {
    let mut out: Vec<NewTagLink> = Vec::new();
    let mut seen = HashSet::new();
    for t in tags {
        let Some(name) = t.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) else {
            ctx.reject(path, None, "Tag", "A tag needs a name.");
            continue;
        };
        if name.chars().count() > TAG_NAME_MAX {
            ctx.reject(
                path,
                None,
                "Tag",
                format!("Tag names are at most {TAG_NAME_MAX} characters."),
            );
            continue;
        }
        if seen.insert(name.to_owned()) {
            out.push(NewTagLink {
                name: name.to_owned(),
                colour: t.colour.clone().filter(|c| !c.is_empty()),
                exportable: t.exportable.unwrap_or(true),
                hide_tag: t.hide_tag.unwrap_or(false),
                numerical_value: t.numerical_value,
                local: t.local.unwrap_or(false),
                relationship_type: t.relationship_type.clone().filter(|r| !r.is_empty()),
            });
        }
    }
    // Galaxy clusters are kept as their `misp-galaxy:` tags until galaxies
    // have a home of their own.
    for g in galaxies {
        for c in &g.clusters {
            let name = c.tag_name.clone().or_else(|| {
                Some(format!(
                    "misp-galaxy:{}=\"{}\"",
                    c.cluster_type.as_deref()?,
                    c.value.as_deref()?
                ))
            });
            if let Some(name) = name {
                if seen.insert(name.clone()) {
                    out.push(NewTagLink {
                        name,
                        colour: None,
                        exportable: true,
                        hide_tag: false,
                        numerical_value: None,
                        local: c.local.unwrap_or(false),
                        relationship_type: None,
                    });
                }
            }
        }
    }
    out
}

fn seen(
    v: Option<&serde_json::Value>,
    field: &'static str,
    ctx: &mut Ctx,
    path: &str,
) -> Option<String> {
    let raw = match v? {
        serde_json::Value::Null => return None,
        serde_json::Value::String(s) if s.trim().is_empty() => return None,
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => {
            ctx.reject(
                path,
                None,
                field,
                format!("{field} must be an ISO 8601 date."),
            );
            return None;
        }
    };
    match attribute_value::normalise_seen(&raw) {
        Ok(iso) => Some(iso),
        Err(e) => {
            ctx.reject(path, None, field, e.message);
            None
        }
    }
}

fn seen_order(first: &Option<String>, last: &Option<String>, ctx: &mut Ctx, path: &str) {
    if let (Some(f), Some(l)) = (first, last) {
        let order = attribute_value::parse_seen(f)
            .and_then(|f| Ok((f, attribute_value::parse_seen(l)?)))
            .and_then(|(f, l)| attribute_value::check_seen_order(Some(f), Some(l)));
        if let Err(e) = order {
            ctx.reject(path, None, "last_seen", e.message);
        }
    }
}

/// The longest event info or attribute comment, in bytes: what MISP's `TEXT`
/// columns hold on MySQL (values have their own limit, with MISP's message,
/// in `attribute_value`). Attachment data and report contents are not
/// limited by this.
pub const MAX_TEXT_BYTES: usize = 65_535;

fn too_long(field: &str) -> String {
    format!("The {field} is too long: at most {MAX_TEXT_BYTES} bytes.")
}

fn attribute(a: &AttributeIn, in_object: bool, ctx: &mut Ctx, path: &str) -> Option<NewAttribute> {
    let before = ctx.rejections.len();
    let uuid = uuid_or_new(a.uuid.as_deref(), ctx, path);
    let uuid_ref = Some(uuid.as_str());
    let Some(attr_type) = a
        .attr_type
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    else {
        ctx.reject(path, uuid_ref, "type", "Attribute type is required.");
        return None;
    };
    let Some(defaults) = sane_default(attr_type) else {
        ctx.reject(
            path,
            uuid_ref,
            "type",
            format!("Invalid type: {attr_type}."),
        );
        return None;
    };
    let category = match a
        .category
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        None => defaults.default_category.to_owned(),
        Some(c) if !is_category(c) => {
            ctx.reject(
                path,
                uuid_ref,
                "category",
                format!("Invalid category: {c}."),
            );
            c.to_owned()
        }
        Some(c) if !category_allows(c, attr_type) => {
            ctx.reject(
                path,
                uuid_ref,
                "category",
                format!("The type {attr_type} is not allowed in the category {c}."),
            );
            c.to_owned()
        }
        Some(c) => c.to_owned(),
    };
    let raw_value = a.value.clone().unwrap_or_default();
    let value = match attribute_value::normalise(attr_type, &raw_value) {
        Ok(v) => v,
        Err(e) => {
            ctx.reject(path, uuid_ref, "value", e.message);
            raw_value
        }
    };
    let (value1, value2) = attribute_value::split_composite(attr_type, &value)
        .unwrap_or_else(|| (value.clone(), String::new()));
    if a.comment.as_ref().is_some_and(|c| c.len() > MAX_TEXT_BYTES) {
        ctx.reject(path, uuid_ref, "comment", too_long("comment"));
    }
    let distribution = ranged(
        a.distribution,
        distribution::INHERIT,
        5,
        "distribution",
        ctx,
        path,
    );
    let object_relation = a.object_relation.clone().filter(|r| !r.is_empty());
    if in_object && object_relation.is_none() {
        ctx.reject(
            path,
            uuid_ref,
            "object_relation",
            "An object attribute needs an object_relation.",
        );
    }
    let first_seen = seen(a.first_seen.as_ref(), "first_seen", ctx, path);
    let last_seen = seen(a.last_seen.as_ref(), "last_seen", ctx, path);
    seen_order(&first_seen, &last_seen, ctx, path);
    let tags = tag_links(&a.tags, &a.galaxies, ctx, path);
    let sightings = a
        .sightings
        .iter()
        .map(|s| NewSighting {
            uuid: s
                .uuid
                .as_deref()
                .and_then(|u| Uuid::parse_str(u).ok())
                .unwrap_or_else(Uuid::new_v4)
                .hyphenated()
                .to_string(),
            date_sighting: s.date_sighting.unwrap_or_else(crate::time_fmt::now),
            source: s.source.clone().unwrap_or_default(),
            sighting_type: s.sighting_type.unwrap_or(0).clamp(0, 2),
            org_name: s.organisation.as_ref().and_then(|o| o.name.clone()),
            org_uuid: s.organisation.as_ref().and_then(|o| o.uuid.clone()),
            org_id: None,
        })
        .collect();
    if ctx.rejections.len() > before {
        return None;
    }
    Some(NewAttribute {
        uuid,
        attr_type: attr_type.to_owned(),
        category,
        value,
        value1,
        value2,
        to_ids: a.to_ids.unwrap_or(defaults.to_ids),
        comment: a.comment.clone().unwrap_or_default(),
        distribution,
        sharing_group_id: own_group(distribution, a.sharing_group_id),
        sharing_group_uuid: own_group_uuid(distribution, a.sharing_group_uuid.as_deref()),
        timestamp: a.timestamp.filter(|t| *t > 0),
        deleted: a.deleted.unwrap_or(false),
        disable_correlation: a.disable_correlation.unwrap_or(false),
        object_relation,
        first_seen,
        last_seen,
        data: a.data.clone().filter(|d| !d.is_empty()),
        tags,
        sightings,
    })
}

impl AttributeIn {
    /// Validates and normalises one attribute on its own, as the attribute
    /// endpoints receive it; `in_object` requires an `object_relation`. Every
    /// reason it is refused is returned (path `Attribute`).
    pub fn validate(&self, in_object: bool) -> Result<NewAttribute, Vec<Rejection>> {
        let mut ctx = Ctx {
            rejections: Vec::new(),
        };
        match attribute(self, in_object, &mut ctx, "Attribute") {
            Some(a) if ctx.rejections.is_empty() => Ok(a),
            _ => Err(ctx.rejections),
        }
    }
}

fn object(o: &ObjectIn, ctx: &mut Ctx, path: &str) -> Option<NewObject> {
    let before = ctx.rejections.len();
    let uuid = uuid_or_new(o.uuid.as_deref(), ctx, path);
    let name = o
        .name
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    if name.is_empty() {
        ctx.reject(path, Some(&uuid), "name", "An object needs a name.");
    }
    let attributes: Vec<_> = o
        .attributes
        .iter()
        .enumerate()
        .filter_map(|(i, a)| attribute(a, true, ctx, &format!("{path}.Attribute[{i}]")))
        .collect();
    let references = o
        .references
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let rpath = format!("{path}.ObjectReference[{i}]");
            let uuid = uuid_or_new(r.uuid.as_deref(), ctx, &rpath);
            let target = r
                .referenced_uuid
                .as_deref()
                .map(str::trim)
                .unwrap_or_default();
            let Ok(target) = Uuid::parse_str(target) else {
                ctx.reject(
                    &rpath,
                    Some(&uuid),
                    "referenced_uuid",
                    "A reference needs the UUID of its target.",
                );
                return None;
            };
            let relationship_type = r.relationship_type.clone().unwrap_or_default();
            if relationship_type.trim().is_empty() {
                ctx.reject(
                    &rpath,
                    Some(&uuid),
                    "relationship_type",
                    "A reference needs a relationship_type.",
                );
                return None;
            }
            Some(NewReference {
                uuid,
                referenced_uuid: target.hyphenated().to_string(),
                relationship_type,
                comment: r.comment.clone().unwrap_or_default(),
                timestamp: r.timestamp.filter(|t| *t > 0),
                deleted: r.deleted.unwrap_or(false),
            })
        })
        .collect();
    let first_seen = seen(o.first_seen.as_ref(), "first_seen", ctx, path);
    let last_seen = seen(o.last_seen.as_ref(), "last_seen", ctx, path);
    seen_order(&first_seen, &last_seen, ctx, path);
    let distribution = ranged(
        o.distribution,
        distribution::INHERIT,
        5,
        "distribution",
        ctx,
        path,
    );
    if ctx.rejections.len() > before {
        return None;
    }
    Some(NewObject {
        uuid,
        name,
        meta_category: o.meta_category.clone().unwrap_or_default(),
        description: o.description.clone().unwrap_or_default(),
        template_uuid: o.template_uuid.clone().filter(|t| !t.is_empty()),
        template_version: o.template_version.clone().filter(|t| !t.is_empty()),
        comment: o.comment.clone().unwrap_or_default(),
        distribution,
        sharing_group_id: own_group(distribution, o.sharing_group_id),
        sharing_group_uuid: own_group_uuid(distribution, o.sharing_group_uuid.as_deref()),
        timestamp: o.timestamp.filter(|t| *t > 0),
        deleted: o.deleted.unwrap_or(false),
        first_seen,
        last_seen,
        attributes,
        references,
    })
}

fn today() -> String {
    let now = time::OffsetDateTime::now_utc();
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    now.date().format(&fmt).unwrap_or_default()
}

fn valid_date(raw: &str) -> Option<String> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let head = raw.trim().get(..10)?;
    time::Date::parse(head, &fmt)
        .ok()
        .and_then(|d| d.format(&fmt).ok())
}

impl ObjectIn {
    /// Validates and normalises one object on its own (`objects/add`,
    /// `objects/edit`): messages name it `Object` and its attributes
    /// `Object.Attribute[i]`. UUIDs must be unique within the object.
    pub fn validate(&self) -> Result<NewObject, Vec<Rejection>> {
        let mut ctx = Ctx {
            rejections: Vec::new(),
        };
        let validated = object(self, &mut ctx, "Object");
        if let Some(o) = &validated {
            let mut uuids = HashSet::new();
            uuids.insert(o.uuid.as_str());
            for (i, a) in o.attributes.iter().enumerate() {
                if !uuids.insert(a.uuid.as_str()) {
                    ctx.reject(
                        &format!("Object.Attribute[{i}]"),
                        Some(&a.uuid),
                        "uuid",
                        "This UUID is used twice in the document.",
                    );
                }
            }
        }
        match validated {
            Some(o) if ctx.rejections.is_empty() => Ok(o),
            _ => Err(ctx.rejections),
        }
    }
}

/// A proposal in a document: at the event's level (a new attribute), or
/// inside the attribute `old_uuid` (a change to it, or its deletion).
fn proposal(
    s: &input::ShadowAttributeIn,
    spath: &str,
    old_uuid: Option<&str>,
    ctx: &mut Ctx,
) -> Option<NewProposal> {
    let spath = spath.to_owned();
    let uuid = uuid_or_new(s.uuid.as_deref(), ctx, &spath);
    let attr_type = s.attr_type.clone().unwrap_or_default();
    let Some(defaults) = sane_default(&attr_type) else {
        ctx.reject(
            &spath,
            Some(&uuid),
            "type",
            format!("Invalid type: {attr_type}."),
        );
        return None;
    };
    let value = match attribute_value::normalise(&attr_type, s.value.as_deref().unwrap_or_default())
    {
        Ok(v) => v,
        Err(e) => {
            ctx.reject(&spath, Some(&uuid), "value", e.message);
            return None;
        }
    };
    Some(NewProposal {
        uuid,
        category: s
            .category
            .clone()
            .unwrap_or_else(|| defaults.default_category.to_owned()),
        attr_type,
        value,
        to_ids: s.to_ids.unwrap_or(defaults.to_ids),
        comment: s.comment.clone().unwrap_or_default(),
        timestamp: s.timestamp,
        proposal_to_delete: s.proposal_to_delete.unwrap_or(false),
        old_uuid: old_uuid.map(str::to_owned),
        org_name: s.org.as_ref().and_then(|o| o.name.clone()),
    })
}

impl EventIn {
    /// Validates and normalises the whole document. Any invalid part refuses
    /// the whole document; every reason is returned.
    pub fn validate(&self) -> Result<NewEvent, Vec<Rejection>> {
        let mut ctx = Ctx {
            rejections: Vec::new(),
        };
        let path = "Event";
        let uuid = uuid_or_new(self.uuid.as_deref(), &mut ctx, path);
        let info = self
            .info
            .as_deref()
            .map(str::trim)
            .unwrap_or_default()
            .to_owned();
        if info.is_empty() {
            ctx.reject(path, Some(&uuid), "info", "Info cannot be empty.");
        } else if info.len() > MAX_TEXT_BYTES {
            ctx.reject(path, Some(&uuid), "info", too_long("info"));
        }
        let date = match self.date.as_deref().filter(|d| !d.trim().is_empty()) {
            None => today(),
            Some(d) => valid_date(d).unwrap_or_else(|| {
                ctx.reject(
                    path,
                    Some(&uuid),
                    "date",
                    "Expected a date in YYYY-MM-DD format.",
                );
                today()
            }),
        };
        let threat_level_id = match self.threat_level_id {
            None => 4,
            Some(n @ 1..=4) => n,
            Some(n) => {
                ctx.reject(
                    path,
                    Some(&uuid),
                    "threat_level_id",
                    format!("threat_level_id must be 1, 2, 3 or 4, not {n}."),
                );
                4
            }
        };
        let analysis = ranged(self.analysis, 0, 2, "analysis", &mut ctx, path);
        let distribution = ranged(
            self.distribution,
            distribution::COMMUNITY,
            4,
            "distribution",
            &mut ctx,
            path,
        );
        let extends_uuid = match self
            .extends_uuid
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(s) => match Uuid::parse_str(s) {
                Ok(u) => Some(u.hyphenated().to_string()),
                Err(_) => {
                    ctx.reject(
                        path,
                        Some(&uuid),
                        "extends_uuid",
                        "extends_uuid must be a UUID.",
                    );
                    None
                }
            },
        };
        let tags = tag_links(&self.tags, &self.galaxies, &mut ctx, path);
        let attributes: Vec<(usize, NewAttribute)> = self
            .attributes
            .iter()
            .enumerate()
            .filter_map(|(i, a)| {
                attribute(a, false, &mut ctx, &format!("Attribute[{i}]")).map(|a| (i, a))
            })
            .collect();
        let objects: Vec<(usize, NewObject)> = self
            .objects
            .iter()
            .enumerate()
            .filter_map(|(i, o)| object(o, &mut ctx, &format!("Object[{i}]")).map(|o| (i, o)))
            .collect();
        check_uniqueness(&attributes, &objects, &mut ctx);
        let attributes: Vec<NewAttribute> = attributes.into_iter().map(|(_, a)| a).collect();
        let objects: Vec<NewObject> = objects.into_iter().map(|(_, o)| o).collect();
        // Proposals of new attributes, then those inside attributes (changes
        // to them), whose attributes are known by their validated UUIDs.
        let mut proposals: Vec<NewProposal> = self
            .shadow_attributes
            .iter()
            .enumerate()
            .filter_map(|(i, s)| proposal(s, &format!("ShadowAttribute[{i}]"), None, &mut ctx))
            .collect();
        for (i, a) in self.attributes.iter().enumerate() {
            let Some(stored) = attributes.get(i) else {
                continue;
            };
            for (j, s) in a.shadow_attributes.iter().enumerate() {
                let path = format!("Attribute[{i}].ShadowAttribute[{j}]");
                proposals.extend(proposal(s, &path, Some(&stored.uuid), &mut ctx));
            }
        }
        for (i, o) in self.objects.iter().enumerate() {
            let Some(stored) = objects
                .get(i)
                .filter(|n| n.attributes.len() == o.attributes.len())
            else {
                continue;
            };
            for (k, a) in o.attributes.iter().enumerate() {
                for (j, s) in a.shadow_attributes.iter().enumerate() {
                    let path = format!("Object[{i}].Attribute[{k}].ShadowAttribute[{j}]");
                    proposals.extend(proposal(
                        s,
                        &path,
                        Some(&stored.attributes[k].uuid),
                        &mut ctx,
                    ));
                }
            }
        }
        let reports = self
            .reports
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let rpath = format!("EventReport[{i}]");
                let uuid = uuid_or_new(r.uuid.as_deref(), &mut ctx, &rpath);
                let name = r.name.clone().unwrap_or_default();
                if name.trim().is_empty() {
                    ctx.reject(
                        &rpath,
                        Some(&uuid),
                        "name",
                        "This field cannot be left blank",
                    );
                }
                let distribution = ranged(
                    r.distribution,
                    distribution::INHERIT,
                    5,
                    "distribution",
                    &mut ctx,
                    &rpath,
                );
                NewReport {
                    uuid,
                    name,
                    content: r.content.clone().unwrap_or_default(),
                    distribution,
                    sharing_group_id: own_group(distribution, r.sharing_group_id),
                    sharing_group_uuid: own_group_uuid(
                        distribution,
                        r.sharing_group_uuid.as_deref(),
                    ),
                    timestamp: r.timestamp,
                    deleted: r.deleted.unwrap_or(false),
                }
            })
            .collect();
        if !ctx.rejections.is_empty() {
            return Err(ctx.rejections);
        }
        Ok(NewEvent {
            uuid,
            info,
            date,
            threat_level_id,
            analysis,
            distribution,
            sharing_group_id: own_group(distribution, self.sharing_group_id),
            sharing_group_uuid: own_group_uuid(distribution, self.sharing_group_uuid.as_deref()),
            published: self.published.unwrap_or(false),
            timestamp: self.timestamp.filter(|t| *t > 0),
            publish_timestamp: self.publish_timestamp.unwrap_or(0).max(0),
            disable_correlation: self.disable_correlation.unwrap_or(false),
            extends_uuid,
            orgc: self.orgc.as_ref().map(|o| OrgRef {
                name: o.name.clone().filter(|n| !n.trim().is_empty()),
                uuid: o.uuid.clone().filter(|u| Uuid::parse_str(u).is_ok()),
            }),
            attributes,
            objects,
            tags,
            proposals,
            reports,
        })
    }
}

/// UUIDs are unique across the document, and two live top-level attributes
/// may not share type, category and value (MISP's duplicate rule; the same
/// value inside an object, in another category or soft-deleted is allowed).
/// Indexes are those of the document, so that messages point at the right part.
fn check_uniqueness(
    attributes: &[(usize, NewAttribute)],
    objects: &[(usize, NewObject)],
    ctx: &mut Ctx,
) {
    let mut uuids = HashSet::new();
    let all = attributes
        .iter()
        .map(|(i, a)| (format!("Attribute[{i}]"), &a.uuid))
        .chain(objects.iter().flat_map(|(i, o)| {
            std::iter::once((format!("Object[{i}]"), &o.uuid)).chain(
                o.attributes
                    .iter()
                    .enumerate()
                    .map(move |(j, a)| (format!("Object[{i}].Attribute[{j}]"), &a.uuid)),
            )
        }));
    for (path, uuid) in all {
        if !uuids.insert(uuid.clone()) {
            ctx.reject(
                &path,
                Some(uuid),
                "uuid",
                "This UUID is used twice in the document.",
            );
        }
    }
    let mut values = HashSet::new();
    for (i, a) in attributes {
        if a.deleted {
            continue;
        }
        if !values.insert((a.attr_type.as_str(), a.category.as_str(), a.value.as_str())) {
            ctx.reject(
                &format!("Attribute[{i}]"),
                Some(&a.uuid),
                "value",
                DUPLICATE_ATTRIBUTE,
            );
        }
    }
}

#[cfg(test)]
mod tests;
