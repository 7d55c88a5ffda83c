//! MISP event documents as clients send them, parsed into typed structs.
//!
//! Every shape found in real exports is accepted: `{"Event": …}`,
//! `{"response": [{"Event": …}]}` and a bare event; numbers as numbers or
//! strings; flags as booleans, 0/1 or "0"/"1"; `null` lists as empty. Fields
//! MISP computes (ids, counts, `RelatedEvent`) are read and ignored.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::flex::{flex_bool, flex_i64, flex_string};

/// A list that may be `null` or absent.
fn flex_vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// The UUID of an embedded `SharingGroup` (MISP's exports carry the whole
/// group with each part of distribution 4, and MISP matches groups by UUID).
/// Anything else there (an empty list, a group without a UUID) names no
/// group.
fn embedded_group_uuid<'de, D>(d: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(match Value::deserialize(d)? {
        Value::Object(group) => match group.get("uuid") {
            Some(Value::String(u)) if !u.trim().is_empty() => Some(u.trim().to_owned()),
            _ => None,
        },
        _ => None,
    })
}

/// An organisation named in a document (`Orgc`, `Org`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OrgIn {
    #[serde(default, deserialize_with = "flex_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    pub uuid: Option<String>,
}

/// A tag on an event or attribute.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TagIn {
    #[serde(default, deserialize_with = "flex_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    pub colour: Option<String>,
    #[serde(default, deserialize_with = "flex_bool")]
    pub exportable: Option<bool>,
    #[serde(default, deserialize_with = "flex_bool")]
    pub local: Option<bool>,
    #[serde(default, deserialize_with = "flex_bool")]
    pub hide_tag: Option<bool>,
    #[serde(default, deserialize_with = "flex_i64")]
    pub numerical_value: Option<i64>,
    #[serde(default, deserialize_with = "flex_string")]
    pub relationship_type: Option<String>,
}

/// A galaxy block; only its clusters' tag names are kept for now.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GalaxyIn {
    #[serde(rename = "GalaxyCluster", default, deserialize_with = "flex_vec")]
    pub clusters: Vec<GalaxyClusterIn>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct GalaxyClusterIn {
    #[serde(default, deserialize_with = "flex_string")]
    pub tag_name: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    pub value: Option<String>,
    #[serde(rename = "type", default, deserialize_with = "flex_string")]
    pub cluster_type: Option<String>,
    #[serde(default, deserialize_with = "flex_bool")]
    pub local: Option<bool>,
}

/// A sighting attached to an attribute.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SightingIn {
    #[serde(default, deserialize_with = "flex_string")]
    pub uuid: Option<String>,
    #[serde(default, deserialize_with = "flex_i64")]
    pub date_sighting: Option<i64>,
    #[serde(default, deserialize_with = "flex_string")]
    pub source: Option<String>,
    #[serde(rename = "type", default, deserialize_with = "flex_i64")]
    pub sighting_type: Option<i64>,
    #[serde(rename = "Organisation", default)]
    pub organisation: Option<OrgIn>,
    #[serde(default, deserialize_with = "flex_string")]
    pub attribute_uuid: Option<String>,
}

/// An attribute, top-level or inside an object.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AttributeIn {
    #[serde(default, deserialize_with = "flex_string")]
    pub uuid: Option<String>,
    #[serde(rename = "type", default, deserialize_with = "flex_string")]
    pub attr_type: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    pub category: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    pub value: Option<String>,
    #[serde(default, deserialize_with = "flex_bool")]
    pub to_ids: Option<bool>,
    #[serde(default, deserialize_with = "flex_string")]
    pub comment: Option<String>,
    #[serde(default, deserialize_with = "flex_i64")]
    pub distribution: Option<i64>,
    #[serde(default, deserialize_with = "flex_i64")]
    pub sharing_group_id: Option<i64>,
    /// `SharingGroup.uuid`: the embedded group, which wins over
    /// `sharing_group_id` (MISP's `captureSG`).
    #[serde(
        rename = "SharingGroup",
        default,
        deserialize_with = "embedded_group_uuid"
    )]
    pub sharing_group_uuid: Option<String>,
    #[serde(default, deserialize_with = "flex_i64")]
    pub timestamp: Option<i64>,
    #[serde(default, deserialize_with = "flex_bool")]
    pub deleted: Option<bool>,
    #[serde(default, deserialize_with = "flex_bool")]
    pub disable_correlation: Option<bool>,
    #[serde(default, deserialize_with = "flex_string")]
    pub object_relation: Option<String>,
    #[serde(default)]
    pub first_seen: Option<Value>,
    #[serde(default)]
    pub last_seen: Option<Value>,
    /// Base64 content of `attachment` and `malware-sample` attributes.
    #[serde(default, deserialize_with = "flex_string")]
    pub data: Option<String>,
    #[serde(rename = "Tag", default, deserialize_with = "flex_vec")]
    pub tags: Vec<TagIn>,
    #[serde(rename = "Galaxy", default, deserialize_with = "flex_vec")]
    pub galaxies: Vec<GalaxyIn>,
    #[serde(rename = "Sighting", default, deserialize_with = "flex_vec")]
    pub sightings: Vec<SightingIn>,
    #[serde(rename = "ShadowAttribute", default, deserialize_with = "flex_vec")]
    pub shadow_attributes: Vec<ShadowAttributeIn>,
}

/// A reference from an object to an attribute or object, by UUID.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReferenceIn {
    #[serde(default, deserialize_with = "flex_string")]
    pub uuid: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    pub referenced_uuid: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    pub relationship_type: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    pub comment: Option<String>,
    #[serde(default, deserialize_with = "flex_i64")]
    pub timestamp: Option<i64>,
    #[serde(default, deserialize_with = "flex_bool")]
    pub deleted: Option<bool>,
}

/// A MISP object and its attributes.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ObjectIn {
    #[serde(default, deserialize_with = "flex_string")]
    pub uuid: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    pub name: Option<String>,
    #[serde(
        rename = "meta-category",
        alias = "meta_category",
        default,
        deserialize_with = "flex_string"
    )]
    pub meta_category: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    pub template_uuid: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    pub template_version: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    pub comment: Option<String>,
    #[serde(default, deserialize_with = "flex_i64")]
    pub distribution: Option<i64>,
    #[serde(default, deserialize_with = "flex_i64")]
    pub sharing_group_id: Option<i64>,
    /// `SharingGroup.uuid`: the embedded group, which wins over
    /// `sharing_group_id` (MISP's `captureSG`).
    #[serde(
        rename = "SharingGroup",
        default,
        deserialize_with = "embedded_group_uuid"
    )]
    pub sharing_group_uuid: Option<String>,
    #[serde(default, deserialize_with = "flex_i64")]
    pub timestamp: Option<i64>,
    #[serde(default, deserialize_with = "flex_bool")]
    pub deleted: Option<bool>,
    #[serde(default)]
    pub first_seen: Option<Value>,
    #[serde(default)]
    pub last_seen: Option<Value>,
    #[serde(rename = "Attribute", default, deserialize_with = "flex_vec")]
    pub attributes: Vec<AttributeIn>,
    #[serde(rename = "ObjectReference", default, deserialize_with = "flex_vec")]
    pub references: Vec<ReferenceIn>,
}

/// A proposal (shadow attribute).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ShadowAttributeIn {
    #[serde(default, deserialize_with = "flex_string")]
    pub uuid: Option<String>,
    #[serde(rename = "type", default, deserialize_with = "flex_string")]
    pub attr_type: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    pub category: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    pub value: Option<String>,
    #[serde(default, deserialize_with = "flex_bool")]
    pub to_ids: Option<bool>,
    #[serde(default, deserialize_with = "flex_string")]
    pub comment: Option<String>,
    #[serde(default, deserialize_with = "flex_i64")]
    pub timestamp: Option<i64>,
    #[serde(default, deserialize_with = "flex_bool")]
    pub proposal_to_delete: Option<bool>,
    #[serde(default, deserialize_with = "flex_bool")]
    pub disable_correlation: Option<bool>,
    #[serde(default, deserialize_with = "flex_string")]
    pub old_id: Option<String>,
    #[serde(rename = "Org", default)]
    pub org: Option<OrgIn>,
}

/// An event report (markdown).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EventReportIn {
    #[serde(default, deserialize_with = "flex_string")]
    pub uuid: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    pub content: Option<String>,
    #[serde(default, deserialize_with = "flex_i64")]
    pub distribution: Option<i64>,
    #[serde(default, deserialize_with = "flex_i64")]
    pub sharing_group_id: Option<i64>,
    /// `SharingGroup.uuid`: the embedded group, which wins over
    /// `sharing_group_id` (MISP's `captureSG`).
    #[serde(
        rename = "SharingGroup",
        default,
        deserialize_with = "embedded_group_uuid"
    )]
    pub sharing_group_uuid: Option<String>,
    #[serde(default, deserialize_with = "flex_i64")]
    pub timestamp: Option<i64>,
    #[serde(default, deserialize_with = "flex_bool")]
    pub deleted: Option<bool>,
}

/// A whole event document.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EventIn {
    #[serde(default, deserialize_with = "flex_string")]
    pub uuid: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    pub info: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    pub date: Option<String>,
    #[serde(default, deserialize_with = "flex_i64")]
    pub threat_level_id: Option<i64>,
    #[serde(default, deserialize_with = "flex_i64")]
    pub analysis: Option<i64>,
    #[serde(default, deserialize_with = "flex_i64")]
    pub distribution: Option<i64>,
    #[serde(default, deserialize_with = "flex_i64")]
    pub sharing_group_id: Option<i64>,
    /// `SharingGroup.uuid`: the embedded group, which wins over
    /// `sharing_group_id` (MISP's `captureSG`).
    #[serde(
        rename = "SharingGroup",
        default,
        deserialize_with = "embedded_group_uuid"
    )]
    pub sharing_group_uuid: Option<String>,
    #[serde(default, deserialize_with = "flex_bool")]
    pub published: Option<bool>,
    #[serde(default, deserialize_with = "flex_i64")]
    pub timestamp: Option<i64>,
    #[serde(default, deserialize_with = "flex_i64")]
    pub publish_timestamp: Option<i64>,
    #[serde(default, deserialize_with = "flex_bool")]
    pub disable_correlation: Option<bool>,
    #[serde(default, deserialize_with = "flex_string")]
    pub extends_uuid: Option<String>,
    #[serde(default, deserialize_with = "flex_bool")]
    pub proposal_email_lock: Option<bool>,
    #[serde(default, deserialize_with = "flex_bool")]
    pub locked: Option<bool>,
    #[serde(rename = "Orgc", default)]
    pub orgc: Option<OrgIn>,
    #[serde(rename = "Org", default)]
    pub org: Option<OrgIn>,
    #[serde(rename = "Attribute", default, deserialize_with = "flex_vec")]
    pub attributes: Vec<AttributeIn>,
    #[serde(rename = "Object", default, deserialize_with = "flex_vec")]
    pub objects: Vec<ObjectIn>,
    #[serde(rename = "Tag", default, deserialize_with = "flex_vec")]
    pub tags: Vec<TagIn>,
    #[serde(rename = "Galaxy", default, deserialize_with = "flex_vec")]
    pub galaxies: Vec<GalaxyIn>,
    #[serde(rename = "ShadowAttribute", default, deserialize_with = "flex_vec")]
    pub shadow_attributes: Vec<ShadowAttributeIn>,
    #[serde(rename = "EventReport", default, deserialize_with = "flex_vec")]
    pub reports: Vec<EventReportIn>,
}

/// Why a document could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentError(pub String);

/// Reads the events of a document in any of MISP's shapes.
pub fn parse_events(value: Value) -> Result<Vec<EventIn>, DocumentError> {
    let events: Vec<Value> = match value {
        Value::Object(mut map) => {
            if let Some(inner) = map.remove("Event") {
                vec![inner]
            } else if let Some(resp) = map.remove("response") {
                match resp {
                    Value::Array(items) => items
                        .into_iter()
                        .map(|i| match i {
                            Value::Object(mut m) if m.contains_key("Event") => {
                                m.remove("Event").unwrap_or(Value::Null)
                            }
                            other => other,
                        })
                        .collect(),
                    other => vec![other],
                }
            } else if let Some(inner) = map.remove("request") {
                return parse_events(inner);
            } else {
                vec![Value::Object(map)]
            }
        }
        Value::Array(items) => items,
        _ => return Err(DocumentError("The document is not a MISP event.".into())),
    };
    events
        .into_iter()
        .map(|e| match e {
            Value::Object(_) => serde_json::from_value::<EventIn>(e)
                .map_err(|err| DocumentError(format!("Invalid event: {err}"))),
            _ => Err(DocumentError("The document is not a MISP event.".into())),
        })
        .collect()
}
