//! Sharing groups: a named set of organisations (and servers) that events,
//! attributes, objects and reports of distribution 4 are shared with.
//!
//! Who may do what follows MISP's `SharingGroup` model:
//! - *use* (see the group, share with it; `checkIfAuthorised`): site admins,
//!   the creator organisation, member organisations, and everyone on this
//!   instance when the group lists the local server with `all_orgs`;
//! - *edit* and *delete* (`checkIfOwner`): site admins and the creator
//!   organisation;
//! - *extend* (add or remove members; `checkIfAuthorisedExtend`): site admins,
//!   and users with `perm_sharing_group` of the creator organisation or of a
//!   member organisation whose `extend` flag is set.

use serde::Deserialize;
use serde_json::Value;

use crate::flex::{flex_bool, flex_string, value_to_bool, value_to_i64};
use crate::Organisation;

/// `server_id` of the local instance in `sharing_group_servers`.
pub const LOCAL_SERVER: i64 = 0;

/// Longest name MISP's schema stores.
pub const NAME_MAX: usize = 255;

/// A stored sharing group.
#[derive(Debug, Clone, PartialEq)]
pub struct SharingGroup {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub releasability: String,
    pub description: String,
    pub organisation_uuid: String,
    /// The creator organisation, which owns the group.
    pub org_id: i64,
    pub sync_user_id: i64,
    pub active: bool,
    pub created: i64,
    pub modified: i64,
    pub local: bool,
    pub roaming: bool,
}

/// A member organisation.
#[derive(Debug, Clone, PartialEq)]
pub struct SharingGroupOrg {
    pub id: i64,
    pub sharing_group_id: i64,
    pub org_id: i64,
    /// The organisation may add and remove members.
    pub extend: bool,
}

/// A member server; [`LOCAL_SERVER`] is this instance.
#[derive(Debug, Clone, PartialEq)]
pub struct SharingGroupServer {
    pub id: i64,
    pub sharing_group_id: i64,
    pub server_id: i64,
    /// Every organisation on that server is in the group.
    pub all_orgs: bool,
}

/// A group with its creator organisation and its members (members in id
/// order, each with its organisation).
#[derive(Debug, Clone, PartialEq)]
pub struct SharingGroupDetail {
    pub group: SharingGroup,
    pub creator: Organisation,
    pub orgs: Vec<(SharingGroupOrg, Organisation)>,
    pub servers: Vec<SharingGroupServer>,
}

/// The caller, as far as sharing-group rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub org_id: i64,
    pub site_admin: bool,
    /// The role's `perm_sharing_group`.
    pub perm_sharing_group: bool,
}

impl SharingGroupDetail {
    /// MISP's `checkIfAuthorised`: may this organisation see and use the group?
    pub fn may_use(&self, org_id: i64, site_admin: bool) -> bool {
        site_admin
            || self.group.org_id == org_id
            || self.orgs.iter().any(|(m, _)| m.org_id == org_id)
            || self
                .servers
                .iter()
                .any(|s| s.server_id == LOCAL_SERVER && s.all_orgs)
    }

    /// MISP's `checkIfOwner`: may this caller edit or delete the group?
    pub fn may_edit(&self, actor: &Actor) -> bool {
        actor.site_admin || (actor.perm_sharing_group && self.group.org_id == actor.org_id)
    }

    /// MISP's `checkIfAuthorisedExtend`: may this caller add or remove members?
    pub fn may_extend(&self, actor: &Actor) -> bool {
        self.may_edit(actor)
            || (actor.perm_sharing_group
                && self
                    .orgs
                    .iter()
                    .any(|(m, _)| m.org_id == actor.org_id && m.extend))
    }

    /// The member row of an organisation, if it is a member.
    pub fn member(&self, org_id: i64) -> Option<&SharingGroupOrg> {
        self.orgs
            .iter()
            .map(|(m, _)| m)
            .find(|m| m.org_id == org_id)
    }
}

/// The sharing groups whose distribution-4 data an organisation may read:
/// MISP's `SharingGroup::authorizedIds` (the store's
/// `authorized_sharing_group_ids`), read once per request. Sorted and
/// without duplicates; cheap to clone (the list is shared).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthorizedGroups(std::sync::Arc<[i64]>);

impl AuthorizedGroups {
    pub fn new(ids: impl IntoIterator<Item = i64>) -> Self {
        let mut ids: Vec<i64> = ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        Self(ids.into())
    }

    /// Whether a part of distribution 4 in group `id` is open to the reader.
    pub fn contains(&self, id: i64) -> bool {
        self.0.binary_search(&id).is_ok()
    }

    /// The ids, ascending.
    pub fn ids(&self) -> &[i64] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<i64>> for AuthorizedGroups {
    fn from(ids: Vec<i64>) -> Self {
        Self::new(ids)
    }
}

/// The writable fields of a sharing group, validated.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewSharingGroup {
    pub uuid: Option<String>,
    pub name: String,
    pub releasability: String,
    pub description: String,
    pub active: bool,
    pub roaming: bool,
}

impl NewSharingGroup {
    /// MISP's rules: a non-empty name of at most 255 characters and, when
    /// given, a well-formed UUID (stored lower-case).
    pub fn validate(mut self) -> Result<Self, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        self.name = self.name.trim().to_owned();
        if self.name.is_empty() {
            errors.push(("name", "This field cannot be left empty.".to_owned()));
        } else if self.name.chars().count() > NAME_MAX {
            errors.push((
                "name",
                "The name is too long (255 characters at most).".to_owned(),
            ));
        }
        if let Some(u) = &self.uuid {
            match uuid::Uuid::parse_str(u.trim()) {
                Ok(u) => self.uuid = Some(u.hyphenated().to_string()),
                Err(_) => errors.push(("uuid", "Please provide a valid RFC 4122 UUID".to_owned())),
            }
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(errors)
        }
    }
}

/// How a request names an organisation: by id, UUID or name (tried in that
/// order by the caller).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OrgKey {
    pub id: Option<i64>,
    pub uuid: Option<String>,
    pub name: Option<String>,
}

impl OrgKey {
    pub fn is_empty(&self) -> bool {
        self.id.is_none() && self.uuid.is_none() && self.name.is_none()
    }

    /// Reads `{"id", "uuid", "name"}` (MISP sometimes wraps it in a list).
    fn from_org_value(v: &Value) -> Result<Self, String> {
        let v = match v {
            Value::Array(items) => items.first().unwrap_or(&Value::Null),
            other => other,
        };
        let Value::Object(map) = v else {
            return Err("expected an organisation object".to_owned());
        };
        Ok(Self {
            id: map.get("id").map(value_to_i64).transpose()?.flatten(),
            uuid: text(map.get("uuid")),
            name: text(map.get("name")),
        })
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    match v {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// A member organisation in a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberOrgIn {
    pub org: OrgKey,
    pub extend: bool,
}

/// A member server in a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberServerIn {
    /// `None` when the entry names a server by URL or name only.
    pub server_id: Option<i64>,
    pub all_orgs: bool,
}

/// A sharing group as clients send it (`sharing_groups/add|edit`): bare or
/// wrapped in `{"SharingGroup": …}`, with `Organisation` (the creator),
/// `SharingGroupOrg` and `SharingGroupServer` beside or inside the wrapper.
#[derive(Debug, Default, Deserialize)]
pub struct SharingGroupInput {
    #[serde(default, deserialize_with = "flex_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    pub uuid: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    pub releasability: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "flex_bool")]
    pub active: Option<bool>,
    #[serde(default, deserialize_with = "flex_bool")]
    pub roaming: Option<bool>,
    #[serde(default, rename = "Organisation")]
    pub organisation: Option<Value>,
    #[serde(default, rename = "SharingGroupOrg")]
    pub sharing_group_org: Option<Value>,
    #[serde(default, rename = "SharingGroupServer")]
    pub sharing_group_server: Option<Value>,
    #[serde(default, rename = "SharingGroup")]
    pub inner: Option<Box<SharingGroupInput>>,
}

/// A parsed request: the fields given (absent ones are `None`), the creator
/// organisation if named, and the members listed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SharingGroupRequest {
    pub name: Option<String>,
    pub uuid: Option<String>,
    pub releasability: Option<String>,
    pub description: Option<String>,
    pub active: Option<bool>,
    pub roaming: Option<bool>,
    pub creator: Option<OrgKey>,
    pub orgs: Vec<MemberOrgIn>,
    pub servers: Vec<MemberServerIn>,
}

impl SharingGroupInput {
    /// Flattens the `SharingGroup` wrapper and reads the member lists,
    /// collecting every reason a part is refused.
    pub fn parse(self) -> Result<SharingGroupRequest, Vec<(&'static str, String)>> {
        let mut outer = self;
        let inner = outer.inner.take().map(|b| *b).unwrap_or_default();
        let mut errors = Vec::new();
        let organisation = inner.organisation.or(outer.organisation);
        let creator = match organisation {
            None | Some(Value::Null) => None,
            Some(v) => match OrgKey::from_org_value(&v) {
                Ok(k) if k.is_empty() => None,
                Ok(k) => Some(k),
                Err(e) => {
                    errors.push(("Organisation", e));
                    None
                }
            },
        };
        let orgs = match inner.sharing_group_org.or(outer.sharing_group_org) {
            None | Some(Value::Null) => Vec::new(),
            Some(v) => list_of(v)
                .iter()
                .filter_map(|e| match member_org(e) {
                    Ok(m) => Some(m),
                    Err(msg) => {
                        errors.push(("SharingGroupOrg", msg));
                        None
                    }
                })
                .collect(),
        };
        let servers = match inner.sharing_group_server.or(outer.sharing_group_server) {
            None | Some(Value::Null) => Vec::new(),
            Some(v) => list_of(v)
                .iter()
                .filter_map(|e| match member_server(e) {
                    Ok(m) => Some(m),
                    Err(msg) => {
                        errors.push(("SharingGroupServer", msg));
                        None
                    }
                })
                .collect(),
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(SharingGroupRequest {
            name: inner.name.or(outer.name),
            uuid: inner.uuid.or(outer.uuid).filter(|u| !u.trim().is_empty()),
            releasability: inner.releasability.or(outer.releasability),
            description: inner.description.or(outer.description),
            active: inner.active.or(outer.active),
            roaming: inner.roaming.or(outer.roaming),
            creator,
            orgs,
            servers,
        })
    }
}

/// MISP accepts one member object where a list is expected.
fn list_of(v: Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items,
        Value::Object(map) if map.is_empty() => Vec::new(),
        other => vec![other],
    }
}

/// `{"org_id", "extend"}`, `{"Organisation": {"id"|"uuid"|"name"}, "extend"}`
/// or a flat `{"uuid", "name", "extend"}`. A flat `id` is the member row's
/// (as in a group read back from `view`), not the organisation's.
fn member_org(v: &Value) -> Result<MemberOrgIn, String> {
    let v = match v {
        Value::Object(m) if m.len() == 1 && m.contains_key("SharingGroupOrg") => {
            &m["SharingGroupOrg"]
        }
        other => other,
    };
    let Value::Object(map) = v else {
        return Err(format!("expected an organisation entry, found {v}"));
    };
    let extend = map
        .get("extend")
        .map(value_to_bool)
        .transpose()?
        .flatten()
        .unwrap_or(false);
    let mut org = match map.get("Organisation") {
        Some(o) if !o.is_null() => OrgKey::from_org_value(o)?,
        _ => OrgKey::default(),
    };
    if org.id.is_none() {
        org.id = map.get("org_id").map(value_to_i64).transpose()?.flatten();
    }
    if org.is_empty() {
        org.uuid = text(map.get("uuid"));
        org.name = text(map.get("name"));
    }
    if org.is_empty() {
        return Err("An organisation entry names no organisation (org_id, uuid or name).".into());
    }
    Ok(MemberOrgIn { org, extend })
}

/// `{"server_id", "all_orgs"}` or `{"Server": {"id"…}, "all_orgs"}`.
fn member_server(v: &Value) -> Result<MemberServerIn, String> {
    let v = match v {
        Value::Object(m) if m.len() == 1 && m.contains_key("SharingGroupServer") => {
            &m["SharingGroupServer"]
        }
        other => other,
    };
    let Value::Object(map) = v else {
        return Err(format!("expected a server entry, found {v}"));
    };
    let all_orgs = map
        .get("all_orgs")
        .map(value_to_bool)
        .transpose()?
        .flatten()
        .unwrap_or(false);
    let server = match map.get("Server") {
        Some(Value::Array(items)) => items.first(),
        other => other,
    };
    let mut server_id = match server {
        Some(Value::Object(s)) => s.get("id").map(value_to_i64).transpose()?.flatten(),
        _ => None,
    };
    if server_id.is_none() {
        server_id = map
            .get("server_id")
            .map(value_to_i64)
            .transpose()?
            .flatten();
    }
    Ok(MemberServerIn {
        server_id,
        all_orgs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<SharingGroupRequest, Vec<(&'static str, String)>> {
        serde_json::from_value::<SharingGroupInput>(v)
            .expect("deserialises")
            .parse()
    }

    #[test]
    fn authorized_groups_are_a_sorted_set() {
        let g = AuthorizedGroups::new([7, 3, 7, 1]);
        assert_eq!(g.ids(), &[1, 3, 7]);
        assert!(g.contains(3) && g.contains(7));
        assert!(!g.contains(2) && !g.contains(0));
        assert!(AuthorizedGroups::default().is_empty());
        assert!(!AuthorizedGroups::default().contains(0));
    }

    #[test]
    fn reads_wrapped_and_flexible_bodies() {
        let r = parse(json!({
            "SharingGroup": {"name": "Banks", "active": "1", "roaming": 0},
            "Organisation": {"uuid": "55f6ea5e-2c60-40e5-964f-47a8950d210f"},
            "SharingGroupOrg": [
                {"org_id": "3", "extend": "1"},
                {"id": "9", "Organisation": {"name": "CIRCL"}, "extend": false},
                {"uuid": "0a5b…", "name": "Flat"}
            ],
            "SharingGroupServer": {"server_id": 0, "all_orgs": true}
        }))
        .expect("valid");
        assert_eq!(r.name.as_deref(), Some("Banks"));
        assert_eq!(r.active, Some(true));
        assert_eq!(r.roaming, Some(false));
        assert_eq!(
            r.creator.and_then(|c| c.uuid).as_deref(),
            Some("55f6ea5e-2c60-40e5-964f-47a8950d210f")
        );
        assert_eq!(r.orgs.len(), 3);
        assert_eq!(r.orgs[0].org.id, Some(3));
        assert!(r.orgs[0].extend);
        assert_eq!(r.orgs[1].org.id, None, "a flat id is the member row's");
        assert_eq!(r.orgs[1].org.name.as_deref(), Some("CIRCL"));
        assert_eq!(r.orgs[2].org.name.as_deref(), Some("Flat"));
        assert_eq!(
            r.servers,
            vec![MemberServerIn {
                server_id: Some(0),
                all_orgs: true
            }]
        );
    }

    #[test]
    fn collects_every_bad_member() {
        let errors = parse(json!({
            "name": "X",
            "SharingGroupOrg": [{"extend": 1}, "nope"],
            "SharingGroupServer": [{"server_id": "abc"}]
        }))
        .expect_err("invalid");
        assert_eq!(errors.len(), 3, "{errors:?}");
    }

    #[test]
    fn validates_name_and_uuid() {
        let ok = NewSharingGroup {
            name: "  Banks ".into(),
            uuid: Some("55F6EA5E-2C60-40E5-964F-47A8950D210F".into()),
            ..Default::default()
        }
        .validate()
        .expect("valid");
        assert_eq!(ok.name, "Banks");
        assert_eq!(
            ok.uuid.as_deref(),
            Some("55f6ea5e-2c60-40e5-964f-47a8950d210f")
        );
        let err = NewSharingGroup {
            name: " ".into(),
            uuid: Some("x".into()),
            ..Default::default()
        }
        .validate()
        .expect_err("invalid");
        assert_eq!(err.len(), 2);
    }

    fn org(id: i64) -> Organisation {
        Organisation {
            id,
            uuid: String::new(),
            name: format!("org{id}"),
            date_created: 0,
            date_modified: 0,
            description: String::new(),
            org_type: String::new(),
            nationality: String::new(),
            sector: String::new(),
            created_by: 0,
            contacts: String::new(),
            local: true,
            restricted_to_domain: vec![],
            landingpage: String::new(),
        }
    }

    #[test]
    fn misp_authorisation_rules() {
        let mut sg = SharingGroupDetail {
            group: SharingGroup {
                id: 1,
                uuid: String::new(),
                name: "g".into(),
                releasability: String::new(),
                description: String::new(),
                organisation_uuid: String::new(),
                org_id: 1,
                sync_user_id: 0,
                active: true,
                created: 0,
                modified: 0,
                local: true,
                roaming: false,
            },
            creator: org(1),
            orgs: vec![
                (
                    SharingGroupOrg {
                        id: 1,
                        sharing_group_id: 1,
                        org_id: 2,
                        extend: true,
                    },
                    org(2),
                ),
                (
                    SharingGroupOrg {
                        id: 2,
                        sharing_group_id: 1,
                        org_id: 3,
                        extend: false,
                    },
                    org(3),
                ),
            ],
            servers: vec![SharingGroupServer {
                id: 1,
                sharing_group_id: 1,
                server_id: LOCAL_SERVER,
                all_orgs: false,
            }],
        };
        let actor = |org_id, perm| Actor {
            org_id,
            site_admin: false,
            perm_sharing_group: perm,
        };
        assert!(sg.may_use(1, false) && sg.may_use(2, false) && sg.may_use(3, false));
        assert!(!sg.may_use(4, false));
        assert!(sg.may_use(4, true));
        assert!(sg.may_edit(&actor(1, true)));
        assert!(!sg.may_edit(&actor(1, false)), "perm_sharing_group needed");
        assert!(!sg.may_edit(&actor(2, true)), "extend is not ownership");
        assert!(sg.may_extend(&actor(2, true)));
        assert!(!sg.may_extend(&actor(2, false)));
        assert!(!sg.may_extend(&actor(3, true)), "member without extend");
        sg.servers[0].all_orgs = true;
        assert!(sg.may_use(4, false), "local server with all_orgs");
    }
}
