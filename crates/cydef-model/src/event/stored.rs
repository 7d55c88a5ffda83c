//! Events and their parts as stored, with their ids.

/// An event row.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: i64,
    pub uuid: String,
    pub org_id: i64,
    pub orgc_id: i64,
    pub user_id: i64,
    pub info: String,
    pub date: String,
    pub threat_level_id: i64,
    pub analysis: i64,
    pub distribution: i64,
    pub sharing_group_id: i64,
    pub published: bool,
    pub publish_timestamp: i64,
    pub timestamp: i64,
    pub sighting_timestamp: i64,
    pub attribute_count: i64,
    pub disable_correlation: bool,
    pub extends_uuid: String,
    pub proposal_email_lock: bool,
    pub locked: bool,
}

/// An attribute row.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub id: i64,
    pub uuid: String,
    pub event_id: i64,
    pub object_id: Option<i64>,
    pub object_relation: Option<String>,
    pub category: String,
    pub attr_type: String,
    pub value1: String,
    pub value2: String,
    pub to_ids: bool,
    pub comment: String,
    pub distribution: i64,
    pub sharing_group_id: i64,
    pub timestamp: i64,
    pub deleted: bool,
    pub disable_correlation: bool,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub data: Option<String>,
}

impl Attribute {
    /// The value as MISP shows it: `value1`, or `value1|value2` for composite types.
    pub fn value(&self) -> String {
        if crate::attribute_value::is_composite(&self.attr_type) {
            format!("{}|{}", self.value1, self.value2)
        } else {
            self.value1.clone()
        }
    }
}

/// An object row.
#[derive(Debug, Clone, PartialEq)]
pub struct MispObject {
    pub id: i64,
    pub uuid: String,
    pub event_id: i64,
    pub name: String,
    pub meta_category: String,
    pub description: String,
    pub template_uuid: Option<String>,
    pub template_version: Option<String>,
    pub comment: String,
    pub distribution: i64,
    pub sharing_group_id: i64,
    pub timestamp: i64,
    pub deleted: bool,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
}

/// An object reference row.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectReference {
    pub id: i64,
    pub uuid: String,
    pub event_id: i64,
    pub object_id: i64,
    pub referenced_uuid: String,
    /// 0 attribute, 1 object; `None` when the target is not stored here.
    pub referenced_type: Option<i64>,
    pub referenced_id: i64,
    pub relationship_type: String,
    pub comment: String,
    pub timestamp: i64,
    pub deleted: bool,
}

/// A tag.
#[derive(Debug, Clone, PartialEq)]
pub struct Tag {
    pub id: i64,
    pub name: String,
    pub colour: String,
    pub exportable: bool,
    pub org_id: i64,
    pub user_id: i64,
    pub hide_tag: bool,
    pub numerical_value: Option<i64>,
    pub is_galaxy: bool,
    pub is_custom_galaxy: bool,
    pub local_only: bool,
}

/// A tag attached to an event or an attribute (`target_id`).
#[derive(Debug, Clone, PartialEq)]
pub struct TagLink {
    pub target_id: i64,
    pub tag: Tag,
    pub local: bool,
    pub relationship_type: Option<String>,
}

/// A sighting row.
#[derive(Debug, Clone, PartialEq)]
pub struct Sighting {
    pub id: i64,
    pub uuid: String,
    pub attribute_id: i64,
    pub event_id: i64,
    pub org_id: i64,
    pub date_sighting: i64,
    pub source: String,
    pub sighting_type: i64,
}

/// A proposal row.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub id: i64,
    pub uuid: String,
    pub event_id: i64,
    pub old_id: i64,
    pub org_id: i64,
    pub category: String,
    pub attr_type: String,
    pub value1: String,
    pub value2: String,
    pub to_ids: bool,
    pub comment: String,
    pub timestamp: i64,
    pub proposal_to_delete: bool,
    pub deleted: bool,
}

/// An event report row.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub id: i64,
    pub uuid: String,
    pub event_id: i64,
    pub name: String,
    pub content: String,
    pub distribution: i64,
    pub sharing_group_id: i64,
    pub timestamp: i64,
    pub deleted: bool,
}

/// Everything inside one event, each list in id order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventContents {
    pub attributes: Vec<Attribute>,
    pub objects: Vec<MispObject>,
    pub references: Vec<ObjectReference>,
    pub event_tags: Vec<TagLink>,
    pub attribute_tags: Vec<TagLink>,
    pub sightings: Vec<Sighting>,
    pub proposals: Vec<Proposal>,
    pub reports: Vec<Report>,
}

/// An entry of the event blocklist.
#[derive(Debug, Clone, PartialEq)]
pub struct BlocklistEntry {
    pub id: i64,
    pub event_uuid: String,
    pub created: i64,
    pub event_info: String,
    pub comment: String,
    pub event_orgc: String,
}
