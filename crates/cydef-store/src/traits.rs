//! The domain-shaped persistence traits. [`Store`] is all of them together;
//! the server holds an `Arc<dyn Store>`.

use async_trait::async_trait;
use cydef_model::{
    role::Role, ApiKey, AuthKey, EntityRef, NewAuthKey, NewOrganisation, NewUser, Organisation,
    User,
};

use crate::{Backend, StoreResult};

/// Instance-wide settings, shared by every API node on the same database.
#[async_trait]
pub trait SettingsStore {
    async fn get_setting(&self, name: &str) -> StoreResult<Option<String>>;
    /// Stores `value` unless the setting exists; returns the value that is
    /// stored afterwards. Safe when several nodes race.
    async fn init_setting(&self, name: &str, value: &str) -> StoreResult<String>;
}

/// What first start creates.
#[derive(Debug, Clone)]
pub struct Bootstrap {
    pub org_name: String,
    pub admin_email: String,
    pub admin_key: ApiKey,
    pub admin_password_hash: Option<String>,
    pub roles: Vec<Role>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BootstrapOutcome {
    /// The instance was empty and is now set up; the admin's key is the one given.
    Created { admin_user_id: i64 },
    /// The instance was already set up; nothing changed.
    AlreadyDone,
}

#[async_trait]
pub trait BootstrapStore {
    /// Creates the first organisation, the default roles, the site admin and
    /// its key, all in one transaction, unless any user exists already.
    async fn bootstrap(&self, b: &Bootstrap) -> StoreResult<BootstrapOutcome>;
}

/// Which organisations `list_orgs` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgScope {
    Local,
    External,
    All,
}

#[async_trait]
pub trait OrgStore: Send + Sync {
    async fn create_org(&self, org: &NewOrganisation, created_by: i64)
        -> StoreResult<Organisation>;
    async fn get_org(&self, r: EntityRef) -> StoreResult<Organisation>;
    async fn find_org_by_name(&self, name: &str) -> StoreResult<Option<Organisation>>;
    /// Organisations with their user counts, ordered by lower-cased name.
    async fn list_orgs(
        &self,
        scope: OrgScope,
        search: Option<&str>,
    ) -> StoreResult<Vec<(Organisation, i64)>>;
    async fn update_org(&self, id: i64, org: &NewOrganisation) -> StoreResult<Organisation>;
    /// Fails with `InUse` while users belong to the organisation.
    async fn delete_org(&self, id: i64) -> StoreResult<()>;
    async fn org_user_count(&self, id: i64) -> StoreResult<i64>;

    /// The organisation with this UUID, else with this name, else a new
    /// external (non-local) one: how events name their creator on import.
    async fn ensure_org(
        &self,
        name: &str,
        uuid: Option<&str>,
        created_by: i64,
    ) -> StoreResult<Organisation> {
        if let Some(u) = uuid.and_then(|u| uuid::Uuid::parse_str(u).ok()) {
            match self.get_org(EntityRef::Uuid(u)).await {
                Ok(o) => return Ok(o),
                Err(crate::StoreError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        if let Some(o) = self.find_org_by_name(name).await? {
            return Ok(o);
        }
        let new = NewOrganisation {
            uuid: uuid
                .and_then(|u| uuid::Uuid::parse_str(u).ok())
                .map(|u| u.hyphenated().to_string()),
            name: name.trim().to_owned(),
            local: false,
            ..Default::default()
        };
        match self.create_org(&new, created_by).await {
            Ok(o) => Ok(o),
            // Created meanwhile by another request.
            Err(crate::StoreError::Conflict(_)) => self
                .find_org_by_name(name)
                .await?
                .ok_or(crate::StoreError::NotFound),
            Err(e) => Err(e),
        }
    }
}

#[async_trait]
pub trait RoleStore {
    async fn list_roles(&self) -> StoreResult<Vec<Role>>;
    async fn get_role(&self, id: i64) -> StoreResult<Role>;
    /// Inserts a role; `role.id` is ignored and assigned by the database.
    async fn create_role(&self, role: &Role) -> StoreResult<Role>;
    async fn update_role(&self, role: &Role) -> StoreResult<Role>;
    /// Fails with `InUse` while users have the role.
    async fn delete_role(&self, id: i64) -> StoreResult<()>;
}

#[async_trait]
pub trait UserStore {
    async fn create_user(&self, user: &NewUser) -> StoreResult<User>;
    /// Creates a user and its first API key in one transaction.
    async fn create_user_with_key(&self, user: &NewUser, key: &ApiKey) -> StoreResult<User>;
    async fn get_user(&self, id: i64) -> StoreResult<User>;
    /// The user and its password hash, for login.
    async fn get_user_by_email(&self, email: &str) -> StoreResult<Option<(User, Option<String>)>>;
    /// Users, optionally of one organisation, ordered by id.
    async fn list_users(&self, org_id: Option<i64>) -> StoreResult<Vec<User>>;
    /// Replaces the writable fields. `password_hash: None` keeps the stored one.
    async fn update_user(&self, id: i64, user: &NewUser) -> StoreResult<User>;
    /// Deletes the user and its keys.
    async fn delete_user(&self, id: i64) -> StoreResult<()>;
    async fn touch_user_api_access(&self, id: i64, now: i64) -> StoreResult<()>;
}

/// The editable fields of an auth key; `None` keeps the stored value.
#[derive(Debug, Clone, Default)]
pub struct AuthKeyPatch {
    pub comment: Option<String>,
    pub expiration: Option<i64>,
    pub read_only: Option<bool>,
    pub allowed_ips: Option<Vec<ipnet::IpNet>>,
}

#[async_trait]
pub trait AuthKeyStore {
    async fn create_auth_key(&self, key: &NewAuthKey, secret: &ApiKey) -> StoreResult<AuthKey>;
    /// Keys whose first and last four characters are these (MISP's lookup).
    async fn find_auth_keys(&self, start: &str, end: &str) -> StoreResult<Vec<AuthKey>>;
    async fn get_auth_key(&self, id: i64) -> StoreResult<AuthKey>;
    /// Keys with their owners' e-mail, optionally only of users of one
    /// organisation or of one user, ordered by id.
    async fn list_auth_keys(
        &self,
        org_id: Option<i64>,
        user_id: Option<i64>,
    ) -> StoreResult<Vec<(AuthKey, String)>>;
    async fn update_auth_key(&self, id: i64, patch: &AuthKeyPatch) -> StoreResult<AuthKey>;
    async fn delete_auth_key(&self, id: i64) -> StoreResult<()>;
    async fn touch_auth_key(&self, id: i64, now: i64) -> StoreResult<()>;
}

/// The whole persistence interface.
#[async_trait]
pub trait Store:
    SettingsStore
    + BootstrapStore
    + OrgStore
    + RoleStore
    + UserStore
    + AuthKeyStore
    + EventStore
    + AttributeStore
    + TagStore
    + ObjectStore
    + EventEditStore
    + Send
    + Sync
{
    fn backend(&self) -> Backend;
    /// A trivial round trip, for readiness checks.
    async fn ping(&self) -> StoreResult<()>;
    async fn close(&self);
}

/// Who an event belongs to: `org_id` owns it on this instance, `orgc_id`
/// created it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventOwner {
    pub org_id: i64,
    pub orgc_id: i64,
    pub user_id: i64,
}

/// A page of the events index, newest first by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    pub page: i64,
}

#[async_trait]
pub trait EventStore {
    /// Stores a whole validated document in one transaction: the event, its
    /// objects, attributes, references, tags, sightings, proposals and
    /// reports. Fails with `Conflict("uuid")` when the event UUID exists and
    /// `Conflict("attribute_uuid")` when a contained UUID does, leaving nothing written.
    async fn create_event(
        &self,
        event: &cydef_model::event::NewEvent,
        owner: &EventOwner,
        now: i64,
    ) -> StoreResult<i64>;
    async fn find_event(&self, r: EntityRef) -> StoreResult<cydef_model::event::Event>;
    async fn event_contents(&self, event_id: i64)
        -> StoreResult<cydef_model::event::EventContents>;
    /// Events a reader may list, newest first. `viewer_org: None` is a site
    /// admin (everything); otherwise the reader's organisation's events and
    /// those shared beyond it (distribution 1–3).
    async fn list_events(
        &self,
        page: Page,
        viewer_org: Option<i64>,
    ) -> StoreResult<Vec<cydef_model::event::Event>>;
    /// Deletes an event and everything in it; with a blocklist entry, its
    /// UUID is blocked from re-import in the same transaction.
    async fn delete_event(&self, id: i64, block: Option<(&str, &str)>) -> StoreResult<()>;
    /// Sets `published` (and `publish_timestamp` when publishing).
    async fn set_published(
        &self,
        id: i64,
        published: bool,
        now: i64,
    ) -> StoreResult<cydef_model::event::Event>;
    async fn is_blocklisted(&self, uuid: &str) -> StoreResult<bool>;
    async fn list_blocklist(&self) -> StoreResult<Vec<cydef_model::event::BlocklistEntry>>;
    async fn add_blocklist(
        &self,
        uuid: &str,
        info: &str,
        comment: &str,
        orgc: &str,
        now: i64,
    ) -> StoreResult<cydef_model::event::BlocklistEntry>;
    async fn delete_blocklist(&self, id: i64) -> StoreResult<()>;
}

/// Attributes one at a time, as MISP's attribute endpoints change them. Every
/// change sets the event's `timestamp` to `now`, unpublishes it and recounts
/// its `attribute_count` (live attributes), in the same transaction.
#[async_trait]
pub trait AttributeStore {
    /// Adds top-level attributes (with their tags) to an event in one
    /// transaction. Each is stored or refused on its own, in order:
    /// `Err(Conflict("value"))` for a live duplicate (same type, category and
    /// value) and `Err(Conflict("uuid"))` for a UUID in use. The event is
    /// touched only when at least one attribute is stored.
    async fn add_attributes(
        &self,
        event_id: i64,
        attrs: &[cydef_model::event::NewAttribute],
        now: i64,
    ) -> StoreResult<Vec<StoreResult<cydef_model::event::Attribute>>>;
    /// An attribute by id or UUID, deleted or not.
    async fn get_attribute(&self, r: EntityRef) -> StoreResult<cydef_model::event::Attribute>;
    /// The tags on an attribute, in the order they were attached.
    async fn attribute_tag_links(
        &self,
        attribute_id: i64,
    ) -> StoreResult<Vec<cydef_model::event::TagLink>>;
    /// Replaces the editable fields (type, category, value, to_ids, comment,
    /// distribution, sharing group, correlation flag, first/last seen,
    /// deleted) with those of `a`; the attribute's timestamp becomes
    /// `a.timestamp` or `now`. `Conflict("value")` when that would duplicate a
    /// live attribute.
    async fn update_attribute(
        &self,
        id: i64,
        a: &cydef_model::event::NewAttribute,
        now: i64,
    ) -> StoreResult<cydef_model::event::Attribute>;
    /// Soft-deletes or restores an attribute (its timestamp becomes `now`).
    /// Deleting also marks references to it as deleted and drops proposals
    /// on it; restoring fails with `Conflict("value")` on a live duplicate.
    async fn set_attribute_deleted(
        &self,
        id: i64,
        deleted: bool,
        now: i64,
    ) -> StoreResult<cydef_model::event::Attribute>;
    /// Removes an attribute with its tags, sightings and proposals.
    async fn hard_delete_attribute(&self, id: i64, now: i64) -> StoreResult<()>;
}

/// What a tag is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagTarget {
    Event(i64),
    /// An attribute, the event holding it and the object it is in, if any.
    Attribute {
        id: i64,
        event_id: i64,
        object_id: Option<i64>,
    },
}

impl TagTarget {
    pub fn event_id(self) -> i64 {
        match self {
            Self::Event(id) | Self::Attribute { event_id: id, .. } => id,
        }
    }
}

/// Filters of the tags index; all given ones must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagFilter {
    /// Case-insensitive substring of the name (MISP's `searchall`).
    pub contains: Option<String>,
    /// Case-insensitive whole names (MISP's `name`, `filter`, `search`).
    pub names: Vec<String>,
}

/// A tag with the number of events and attributes carrying it that a reader
/// may see.
#[derive(Debug, Clone, PartialEq)]
pub struct TagUsage {
    pub tag: cydef_model::event::Tag,
    pub event_count: i64,
    pub attribute_count: i64,
}

/// Whether `attach_tag` linked the tag or found it linked already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attached {
    New,
    Already,
}

/// Tags and their links to events and attributes. Attaching or detaching a
/// global (non-local) tag sets the event's `timestamp` to `now` and
/// unpublishes it (on an attribute, also the attribute's and its object's
/// timestamps), in the same transaction, as MISP does; local tags change
/// nothing else.
#[async_trait]
pub trait TagStore {
    /// Tags ordered by lower-cased name, with usage counts. `viewer_org:
    /// None` counts everything (site admin); otherwise only events of that
    /// organisation or shared beyond it (distribution 1–3), and of those
    /// only the live attributes the organisation may see.
    async fn list_tags(
        &self,
        filter: &TagFilter,
        viewer_org: Option<i64>,
    ) -> StoreResult<Vec<TagUsage>>;
    /// One tag with its usage counts, as `list_tags` counts them.
    async fn tag_usage(&self, id: i64, viewer_org: Option<i64>) -> StoreResult<TagUsage>;
    async fn get_tag(&self, id: i64) -> StoreResult<cydef_model::event::Tag>;
    /// The tag with exactly this name, else one whose name matches
    /// case-insensitively.
    async fn find_tag_by_name(&self, name: &str) -> StoreResult<Option<cydef_model::event::Tag>>;
    /// Tags whose lower-cased name is `LIKE` any lower-cased pattern (`%` and
    /// `_` are wildcards), ordered by name.
    async fn search_tags(&self, patterns: &[String]) -> StoreResult<Vec<cydef_model::event::Tag>>;
    /// `Conflict("name")` when a tag of that name exists (compared
    /// case-insensitively, as MISP on MySQL).
    async fn create_tag(
        &self,
        tag: &cydef_model::tag::NewTag,
    ) -> StoreResult<cydef_model::event::Tag>;
    /// Replaces a tag's fields; `Conflict("name")` as in `create_tag` when
    /// the name changes to one in use.
    async fn update_tag(
        &self,
        id: i64,
        tag: &cydef_model::tag::NewTag,
    ) -> StoreResult<cydef_model::event::Tag>;
    /// Deletes a tag and its links (events and attributes are not touched).
    async fn delete_tag(&self, id: i64) -> StoreResult<()>;
    /// The link of a tag to a target, if any.
    async fn find_tag_link(
        &self,
        target: TagTarget,
        tag_id: i64,
    ) -> StoreResult<Option<cydef_model::event::TagLink>>;
    /// Links a tag to an event or attribute. A tag linked already is left as
    /// it is (`Attached::Already`) and nothing is touched.
    async fn attach_tag(
        &self,
        target: TagTarget,
        tag_id: i64,
        local: bool,
        relationship_type: Option<&str>,
        now: i64,
    ) -> StoreResult<Attached>;
    /// Removes a link and returns it; `NotFound` when there is none.
    async fn detach_tag(
        &self,
        target: TagTarget,
        tag_id: i64,
        now: i64,
    ) -> StoreResult<cydef_model::event::TagLink>;
}

/// What a load of object templates did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TemplateLoad {
    /// Templates whose UUID was new.
    pub inserted: usize,
    /// Templates stored in a lower version, now replaced.
    pub updated: usize,
    /// Templates stored already in the same or a higher version.
    pub unchanged: usize,
}

/// Where an object reference points, resolved on this instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReferenceTarget {
    /// 0 attribute, 1 object (MISP's `referenced_type`).
    pub referenced_type: i64,
    pub referenced_id: i64,
    pub event_id: i64,
}

/// A change to an object and its attributes (`objects/edit`), computed by the
/// caller: `None` fields are kept.
#[derive(Debug, Clone, Default)]
pub struct ObjectEdit {
    pub comment: Option<String>,
    pub template_version: Option<String>,
    pub distribution: Option<i64>,
    pub sharing_group_id: Option<i64>,
    pub first_seen: Option<Option<String>>,
    pub last_seen: Option<Option<String>>,
    /// Stored attributes (by id) whose editable fields take these values.
    pub changed: Vec<(i64, cydef_model::event::NewAttribute)>,
    /// New attributes of the object.
    pub added: Vec<cydef_model::event::NewAttribute>,
    /// Stored attributes (by id) to soft-delete.
    pub removed: Vec<i64>,
    /// Soft-deletes the object after the change.
    pub delete: bool,
}

/// MISP objects, their references, and object templates. Every change to an
/// object or reference sets the object's and the event's `timestamp` to
/// `now`, unpublishes the event and recounts its `attribute_count` (live
/// attributes), in the same transaction.
#[async_trait]
pub trait ObjectStore {
    /// An object by id or UUID, deleted or not.
    async fn find_object(&self, r: EntityRef) -> StoreResult<cydef_model::event::MispObject>;
    /// The attributes of an object (deleted ones too), in id order, and the
    /// tags on them.
    async fn object_attributes(
        &self,
        object_id: i64,
    ) -> StoreResult<(
        Vec<cydef_model::event::Attribute>,
        Vec<cydef_model::event::TagLink>,
    )>;
    /// The references from an object, in id order.
    async fn object_references(
        &self,
        object_id: i64,
    ) -> StoreResult<Vec<cydef_model::event::ObjectReference>>;
    /// Stores an object with its attributes (and their tags) in an event;
    /// returns its id. `Conflict("object_uuid")` or `Conflict("attribute_uuid")`
    /// when a UUID is in use, leaving nothing written.
    async fn add_object(
        &self,
        event_id: i64,
        object: &cydef_model::event::NewObject,
        now: i64,
    ) -> StoreResult<i64>;
    /// Applies an edit; `Conflict("attribute_uuid")` when an added
    /// attribute's UUID is in use.
    async fn edit_object(&self, object_id: i64, edit: &ObjectEdit, now: i64) -> StoreResult<()>;
    /// Soft delete: the object and its attributes are marked deleted, as are
    /// references to it. Hard delete: the object, its attributes (with their
    /// tags, sightings and proposals) and every reference from or to them are
    /// removed.
    async fn delete_object(&self, object_id: i64, hard: bool, now: i64) -> StoreResult<()>;
    /// A reference by id or UUID.
    async fn find_reference(
        &self,
        r: EntityRef,
    ) -> StoreResult<cydef_model::event::ObjectReference>;
    /// The live object, else the live attribute, with this UUID.
    async fn resolve_reference_target(&self, uuid: &str) -> StoreResult<Option<ReferenceTarget>>;
    /// Stores a reference from an object to a resolved target.
    async fn add_reference(
        &self,
        object: &cydef_model::event::MispObject,
        reference: &cydef_model::event::NewReference,
        target: ReferenceTarget,
        now: i64,
    ) -> StoreResult<cydef_model::event::ObjectReference>;
    /// Marks a reference deleted, or removes it (`hard`).
    async fn delete_reference(&self, id: i64, hard: bool, now: i64) -> StoreResult<()>;

    /// Stores templates, one row per UUID, keeping the higher version; in one
    /// transaction, and safe to run again (or on several nodes at once).
    async fn upsert_object_templates(
        &self,
        templates: &[cydef_model::object_template::NewObjectTemplate],
        now: i64,
    ) -> StoreResult<TemplateLoad>;
    /// Templates ordered by name; only active ones unless `all`.
    async fn list_object_templates(
        &self,
        all: bool,
    ) -> StoreResult<Vec<cydef_model::object_template::StoredObjectTemplate>>;
    async fn get_object_template(
        &self,
        id: i64,
    ) -> StoreResult<cydef_model::object_template::StoredObjectTemplate>;
    /// The active template with this UUID or name.
    async fn find_object_template(
        &self,
        key: &cydef_model::object_template::TemplateKey,
    ) -> StoreResult<Option<cydef_model::object_template::StoredObjectTemplate>>;
}

/// Editing an event with a MISP document (`events/edit`).
#[async_trait]
pub trait EventEditStore {
    /// Applies a planned edit in one transaction: the event's fields (its
    /// `timestamp` the edit's or `now`; `publish_timestamp` set to `now` when
    /// the edit publishes a change), changed parts updated by id, new parts
    /// inserted, tags, sightings and proposals added (`org_id` owns new
    /// sightings and proposals), `attribute_count` recounted. A UUID in use
    /// elsewhere or a duplicate attribute is a `Conflict` and writes nothing.
    async fn edit_event(
        &self,
        event_id: i64,
        edit: &cydef_model::event::edit::EventEdit,
        org_id: i64,
        now: i64,
    ) -> StoreResult<()>;
}
