//! The domain-shaped persistence traits. [`Store`] is all of them together;
//! the server holds an `Arc<dyn Store>`.

use async_trait::async_trait;
use cydef_model::sharing_group::AuthorizedGroups;
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
    + EventReadStore
    + SearchStore
    + SightingStore
    + ReportStore
    + SharingGroupStore
    + ProposalStore
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
    /// Events `viewer` may see (the rule of `sql/visibility.rs`), newest
    /// first, with `attribute_count` counting only the attributes it sees.
    async fn list_events(
        &self,
        page: Page,
        viewer: &Viewer,
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
    /// Tags ordered by lower-cased name, with usage counts: the events
    /// `viewer` sees and the live attributes it sees (`sql/visibility.rs`).
    async fn list_tags(&self, filter: &TagFilter, viewer: &Viewer) -> StoreResult<Vec<TagUsage>>;
    /// One tag with its usage counts, as `list_tags` counts them.
    async fn tag_usage(&self, id: i64, viewer: &Viewer) -> StoreResult<TagUsage>;
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

/// Which parts of an event a read returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartFilter {
    /// `Some(groups)`: only parts another organisation holding `groups` sees
    /// (`sql/visibility.rs`): distribution 1–3, 5 (the event's own), and 4
    /// when the part's sharing group is one of `groups`. `None`: every part.
    pub shared_with: Option<AuthorizedGroups>,
    /// Leave out soft-deleted parts.
    pub live_only: bool,
}

/// Where a page of an event's attributes starts. The event view reads the
/// top-level attributes first, by id, then the attributes inside objects,
/// by object and id (the order in which the view shows them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeCursor {
    /// Top-level attributes with an id above `after_id` (0: from the first).
    TopLevel { after_id: i64 },
    /// Attributes in objects after (`after_object_id`, `after_id`)
    /// ((0, 0): from the first).
    InObjects { after_object_id: i64, after_id: i64 },
}

/// An attribute with its tags (in the order they were attached) and its
/// sightings (by id).
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeEntry {
    pub attribute: cydef_model::event::Attribute,
    pub tags: Vec<AttributeTag>,
    pub sightings: Vec<cydef_model::event::Sighting>,
}

/// A tag attached to an attribute, by id: the tags themselves are read once
/// per event ([`EventParts::attribute_tags`]), not once per attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeTag {
    pub tag_id: i64,
    pub local: bool,
    pub relationship_type: Option<String>,
}

/// Everything in an event but its attributes, each list in id order. These
/// are read whole: they are few next to the attributes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventParts {
    pub objects: Vec<cydef_model::event::MispObject>,
    pub references: Vec<cydef_model::event::ObjectReference>,
    pub event_tags: Vec<cydef_model::event::TagLink>,
    /// Every tag attached to an attribute of the event, once, by id.
    pub attribute_tags: Vec<cydef_model::event::Tag>,
    /// Proposals on the event itself (`old_id` 0), not those on attributes.
    pub proposals: Vec<cydef_model::event::Proposal>,
    pub reports: Vec<cydef_model::event::Report>,
}

/// The reads of the event view, which streams events of any size: the
/// attributes come in keyset-paged batches, so memory stays flat.
#[async_trait]
pub trait EventReadStore {
    /// How many attributes to read per batch on this backend.
    fn attribute_batch(&self) -> i64;
    /// The event's objects, references, tags, proposals and reports.
    async fn event_parts(&self, event_id: i64) -> StoreResult<EventParts>;
    /// Up to `limit` attributes after `cursor` that pass `filter`, in view
    /// order, with their tags and sightings. Fewer than `limit` means that
    /// the cursor's part (top-level or in objects) is exhausted. Attributes in
    /// objects are returned whatever their object's distribution or state.
    async fn attribute_page(
        &self,
        event_id: i64,
        cursor: AttributeCursor,
        filter: &PartFilter,
        limit: i64,
    ) -> StoreResult<Vec<AttributeEntry>>;
    /// The number of attributes another organisation, authorised for
    /// `groups`, sees in the event: live shared ones (as [`PartFilter`]),
    /// top-level or in live shared objects.
    async fn shared_attribute_count(
        &self,
        event_id: i64,
        groups: &AuthorizedGroups,
    ) -> StoreResult<i64>;
}

/// Who is reading: site admins see everything; others what the visibility
/// rule (`sql/visibility.rs`) lets their organisation see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub org_id: i64,
    pub site_admin: bool,
    /// The sharing groups the organisation is authorised for
    /// ([`SharingGroupStore::authorized_sharing_group_ids`]): events and
    /// parts of distribution 4 in one of them are open to it. Not consulted
    /// for site admins, who see everything.
    pub sharing_groups: AuthorizedGroups,
}

/// A page of attribute search results with what their view needs.
#[derive(Debug, Clone, Default)]
pub struct AttributeHits {
    /// Matches in all pages (0 when the search says `skip_count`).
    pub total: i64,
    /// This page, in id order.
    pub attributes: Vec<cydef_model::event::Attribute>,
    /// The events of this page's attributes.
    pub events: Vec<cydef_model::event::Event>,
    /// Tags of this page's attributes (`target_id` is the attribute).
    pub attribute_tags: Vec<cydef_model::event::TagLink>,
    /// Tags of their events (`target_id` is the event).
    pub event_tags: Vec<cydef_model::event::TagLink>,
    /// The objects this page's attributes are in, by id.
    pub objects: Vec<cydef_model::event::MispObject>,
}

/// A page of event search results.
#[derive(Debug, Clone, Default)]
pub struct EventHits {
    /// Matches in all pages (0 when the search says `skip_count`).
    pub total: i64,
    /// This page. `attribute_count` counts what the viewer may see.
    pub events: Vec<cydef_model::event::Event>,
}

/// A page of object search results with their visible attributes.
#[derive(Debug, Clone, Default)]
pub struct ObjectHits {
    /// Matches in all pages.
    pub total: i64,
    /// This page, in id order.
    pub objects: Vec<cydef_model::event::MispObject>,
    /// The visible attributes of this page's objects, in id order.
    pub attributes: Vec<cydef_model::event::Attribute>,
    /// Their tags (`target_id` is the attribute).
    pub attribute_tags: Vec<cydef_model::event::TagLink>,
}

/// MISP's restSearch and events index. Each search is one filtered statement
/// (plus a count) whose visibility condition comes from `sql/visibility.rs`:
/// nothing the viewer may not see is matched, counted or returned.
#[async_trait]
pub trait SearchStore {
    /// Attributes matching the search, ordered by id and paged.
    async fn search_attributes(
        &self,
        q: &cydef_model::search::SearchRequest,
        viewer: &Viewer,
    ) -> StoreResult<AttributeHits>;
    /// Events matching the search (an event matches attribute filters when
    /// one of its visible attributes does), ordered by id, or as `sort` and
    /// `direction` say (newest first when `newest_first` and no sort is given).
    async fn search_events(
        &self,
        q: &cydef_model::search::SearchRequest,
        viewer: &Viewer,
        newest_first: bool,
    ) -> StoreResult<EventHits>;
    /// Objects matching the search (an object matches attribute filters
    /// when one of its visible attributes does), ordered by id and paged.
    async fn search_objects(
        &self,
        q: &cydef_model::search::SearchRequest,
        viewer: &Viewer,
    ) -> StoreResult<ObjectHits>;
    /// Tags of the given events (`target_id` is the event), for the index.
    async fn tags_of_events(
        &self,
        event_ids: &[i64],
    ) -> StoreResult<Vec<cydef_model::event::TagLink>>;
}

/// Which attributes a sighting is recorded on (`sightings/add`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SightingTarget {
    /// Attributes by id (MISP accepts `1|2|3` lists).
    Ids(Vec<i64>),
    Uuid(String),
    /// Every attribute whose value (either half of a composite) is one of these.
    Values(Vec<String>),
}

/// A sighting to record for an organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SightingRecord {
    pub org_id: i64,
    pub date_sighting: i64,
    pub source: String,
    /// 0 sighting, 1 false positive, 2 expiration.
    pub sighting_type: i64,
}

/// Filters of a sighting read; all given ones must hold. `Some(vec![])`
/// matches nothing (a filter that named only unknown entities).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SightingFilter {
    pub attribute_ids: Option<Vec<i64>>,
    pub attribute_uuids: Option<Vec<String>>,
    pub event_ids: Option<Vec<i64>>,
    pub org_ids: Option<Vec<i64>>,
    pub not_org_ids: Vec<i64>,
    pub types: Option<Vec<i64>>,
    pub sources: Option<Vec<String>>,
    /// Inclusive bounds on `date_sighting`.
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// Newest `date_sighting` first (MISP's `listSightings`); otherwise by id.
    pub newest_first: bool,
}

/// Sightings with the attributes and events they are on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SightingHits {
    pub sightings: Vec<cydef_model::event::Sighting>,
    pub attributes: Vec<cydef_model::event::Attribute>,
    pub events: Vec<cydef_model::event::Event>,
}

/// Sightings (`sightings/*`). Every read applies the visibility rule of
/// `sql/visibility.rs` to the sighted attribute, and MISP's default sighting
/// policy (`Plugin.Sightings_policy` 0): the organisations that own the event
/// see every sighting of it; others see only their own organisation's.
/// Recording a sighting sets the event's `sighting_timestamp`, and nothing
/// else of the event.
#[async_trait]
pub trait SightingStore {
    /// The live attributes the viewer may see that the target names, by id.
    async fn sightable_attributes(
        &self,
        target: &SightingTarget,
        viewer: &Viewer,
    ) -> StoreResult<Vec<cydef_model::event::Attribute>>;
    /// Records one sighting per attribute in one transaction and sets their
    /// events' `sighting_timestamp` to `now`. An expiration (type 2) replaces
    /// the organisation's earlier expiration of the same attribute, as in MISP.
    async fn add_sightings(
        &self,
        attributes: &[cydef_model::event::Attribute],
        record: &SightingRecord,
        now: i64,
    ) -> StoreResult<Vec<cydef_model::event::Sighting>>;
    /// A sighting by id or UUID, without access checks.
    async fn get_sighting(&self, r: EntityRef) -> StoreResult<cydef_model::event::Sighting>;
    async fn delete_sighting(&self, id: i64) -> StoreResult<()>;
    /// The sightings matching `filter` that the viewer may see.
    async fn find_sightings(
        &self,
        filter: &SightingFilter,
        viewer: &Viewer,
    ) -> StoreResult<SightingHits>;
}

/// The editable fields of an event report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFields {
    pub name: String,
    pub content: String,
    pub distribution: i64,
    pub sharing_group_id: i64,
}

/// Filters of the event-report index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFilter {
    pub event_id: Option<i64>,
    /// `Some(false)` live reports only, `Some(true)` deleted ones only,
    /// `None` both. Deleted reports are only ever shown to the organisations
    /// owning the event.
    pub deleted: Option<bool>,
    /// Case-insensitive substring of the name or content, or the id or UUID.
    pub search: Option<String>,
    /// The page, as `(offset, limit)`; `None` lists every report.
    pub window: Option<(i64, i64)>,
}

/// Event reports (`eventReports/*`). Every change sets the event's
/// `timestamp` to `now` and unpublishes it, in the same transaction.
#[async_trait]
pub trait ReportStore {
    /// `Conflict("uuid")` when the UUID is in use.
    async fn add_report(
        &self,
        event_id: i64,
        uuid: &str,
        fields: &ReportFields,
        now: i64,
    ) -> StoreResult<cydef_model::event::Report>;
    /// A report by id or UUID, deleted or not.
    async fn get_report(&self, r: EntityRef) -> StoreResult<cydef_model::event::Report>;
    /// Replaces the editable fields; the report's timestamp becomes `now`.
    async fn update_report(
        &self,
        id: i64,
        fields: &ReportFields,
        now: i64,
    ) -> StoreResult<cydef_model::event::Report>;
    /// Soft-deletes or restores a report (its timestamp becomes `now`).
    async fn set_report_deleted(
        &self,
        id: i64,
        deleted: bool,
        now: i64,
    ) -> StoreResult<cydef_model::event::Report>;
    async fn hard_delete_report(&self, id: i64, now: i64) -> StoreResult<()>;
    /// Reports the viewer may see that match `filter`, by id: those of the
    /// viewer's events, and of other visible events those of distribution 1,
    /// 2, 3 or 5 that are not deleted.
    async fn list_reports(
        &self,
        filter: &ReportFilter,
        viewer: &Viewer,
    ) -> StoreResult<Vec<cydef_model::event::Report>>;
}

/// The fields `update_sharing_group` changes; `None` keeps the stored value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SharingGroupPatch {
    pub name: Option<String>,
    pub releasability: Option<String>,
    pub description: Option<String>,
    pub active: Option<bool>,
    pub roaming: Option<bool>,
}

/// A new sharing group's owner: the creator organisation and the user who
/// made it (MISP's `org_id` and `sync_user_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SharingGroupOwner {
    pub org_id: i64,
    pub user_id: i64,
}

/// Sharing groups and their members (`sharing_groups`, `sharing_group_orgs`,
/// `sharing_group_servers`). Members are `(org_id, extend)` and
/// `(server_id, all_orgs)` pairs; server 0 is this instance. Who may see a
/// group is MISP's `checkIfAuthorised`: site admins, the creator
/// organisation, member organisations, and everyone when the local server is
/// a member with `all_orgs`.
#[async_trait]
pub trait SharingGroupStore {
    /// Creates a group with its members in one transaction; returns its id.
    /// `organisation_uuid` is the owner organisation's. `Conflict("uuid")` or
    /// `Conflict("name")` (names compare case-insensitively);
    /// `InvalidReference("org_id")` for an unknown organisation, writing
    /// nothing. A member listed twice keeps its last flag.
    async fn create_sharing_group(
        &self,
        sg: &cydef_model::sharing_group::NewSharingGroup,
        owner: SharingGroupOwner,
        orgs: &[(i64, bool)],
        servers: &[(i64, bool)],
        now: i64,
    ) -> StoreResult<i64>;
    /// A group by id or UUID with its creator and members, whoever asks.
    async fn get_sharing_group(
        &self,
        r: EntityRef,
    ) -> StoreResult<cydef_model::sharing_group::SharingGroupDetail>;
    /// The groups `viewer` may see, ordered by name; only active (or only
    /// inactive) ones when `active` says so.
    async fn list_sharing_groups(
        &self,
        viewer: &Viewer,
        active: Option<bool>,
    ) -> StoreResult<Vec<cydef_model::sharing_group::SharingGroupDetail>>;
    /// Changes the given fields (setting `modified` to `now`) and adds the
    /// listed members, or updates their flag, in one transaction; members not
    /// listed stay (MISP's `captureSG`). Errors as `create_sharing_group`.
    async fn update_sharing_group(
        &self,
        id: i64,
        patch: &SharingGroupPatch,
        orgs: &[(i64, bool)],
        servers: &[(i64, bool)],
        now: i64,
    ) -> StoreResult<()>;
    /// Deletes a group and its members. `InUse("events")` (or `attributes`,
    /// `objects`, `event_reports`) while anything carries its id, as MISP.
    async fn delete_sharing_group(&self, id: i64) -> StoreResult<()>;
    /// `Conflict("org_id")` when the organisation is a member already;
    /// `InvalidReference("org_id")` when it does not exist.
    async fn add_sharing_group_org(&self, sg_id: i64, org_id: i64, extend: bool)
        -> StoreResult<()>;
    /// `NotFound` when the organisation is not a member.
    async fn remove_sharing_group_org(&self, sg_id: i64, org_id: i64) -> StoreResult<()>;
    /// `Conflict("server_id")` when the server is a member already.
    async fn add_sharing_group_server(
        &self,
        sg_id: i64,
        server_id: i64,
        all_orgs: bool,
    ) -> StoreResult<()>;
    /// `NotFound` when the server is not a member.
    async fn remove_sharing_group_server(&self, sg_id: i64, server_id: i64) -> StoreResult<()>;
    /// MISP's `authorizedIds`, plus the groups the organisation created (as
    /// `checkIfAuthorised`): every group for a site admin; otherwise those
    /// created by `org_id`, those it is a member of, and those listing the
    /// local server with `all_orgs`. Ascending ids; empty when none.
    async fn authorized_sharing_group_ids(
        &self,
        org_id: i64,
        site_admin: bool,
    ) -> StoreResult<Vec<i64>>;
    /// MISP's `checkIfAuthorised` for one group: may this organisation see
    /// and use it? `false` for a group that does not exist.
    async fn may_use_sharing_group(
        &self,
        id: i64,
        org_id: i64,
        site_admin: bool,
    ) -> StoreResult<bool>;
}

/// A proposal being made (`shadow_attributes/add|edit|delete`), with values
/// validated as an attribute's.
#[derive(Debug, Clone, PartialEq)]
pub enum ProposalRequest {
    /// A new attribute for the event; the proposal takes its UUID, which the
    /// attribute keeps when the proposal is accepted.
    Add {
        event_id: i64,
        attribute: cydef_model::event::NewAttribute,
    },
    /// New values (type, category, value, to_ids, comment, first/last seen)
    /// for a live attribute; the proposal carries the attribute's UUID.
    Edit {
        attribute_id: i64,
        attribute: cydef_model::event::NewAttribute,
    },
    /// Deleting a live attribute (`proposal_to_delete`); the proposal keeps
    /// the attribute's UUID and current values, as MISP does.
    Delete { attribute_id: i64 },
}

/// Who makes a proposal: MISP keeps the organisation and the user's e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposer {
    pub org_id: i64,
    pub email: String,
}

/// A proposal with what its views show beyond the row.
#[derive(Debug, Clone, PartialEq)]
pub struct ProposalEntry {
    pub proposal: cydef_model::event::Proposal,
    /// The proposer's e-mail (empty for proposals that came in an event).
    pub email: String,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub disable_correlation: bool,
    pub event_uuid: String,
    /// The organisation that created the event (MISP's `event_org_id`).
    pub event_orgc_id: i64,
    /// The proposing organisation's name and UUID (empty if unknown).
    pub org_name: String,
    pub org_uuid: String,
    /// The UUID of the attribute a change or deletion is about, while it exists.
    pub old_uuid: Option<String>,
}

/// Filters of the proposal index (MISP's `shadow_attributes/index`); all
/// given ones must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProposalFilter {
    pub id: Option<i64>,
    pub event_id: Option<i64>,
    /// Only proposals on events the viewer's organisation created (MISP's `all:0`).
    pub own_events_only: bool,
    /// Case-insensitive substring of the value, comment, proposal or event
    /// UUID, event info, or the proposing organisation's name or UUID.
    pub search: Option<String>,
    pub deleted: Option<bool>,
    /// Proposals with a `timestamp` at or after this.
    pub since: Option<i64>,
    /// A column to sort by (`id`, `event_id`, `type`, `value`, `timestamp`,
    /// …; unknown names keep the default order: event id descending, then
    /// type, as MISP).
    pub sort: Option<String>,
    pub descending: bool,
    /// Paging: `page` (from 1) counts only with a `limit`.
    pub limit: Option<i64>,
    pub page: Option<i64>,
}

/// What accepting a proposal does, computed by the caller with the rules of
/// the attribute endpoints.
#[derive(Debug, Clone, PartialEq)]
pub enum ProposalChange {
    /// Adds this attribute to the proposal's event (`attributes/add`).
    Create(cydef_model::event::NewAttribute),
    /// Sets the proposal's attribute to these values (`attributes/edit`).
    Update(cydef_model::event::NewAttribute),
    /// Soft-deletes the proposal's attribute (`attributes/delete`).
    Delete,
}

/// Proposals (MISP's shadow attributes). Who may see one is MISP's rule
/// (`ShadowAttribute::buildConditions`): whoever sees its event and, for a
/// proposal about an attribute, that attribute (`sql/visibility.rs`).
#[async_trait]
pub trait ProposalStore {
    /// Stores a proposal; `Conflict("uuid")` when a new attribute's proposal
    /// reuses the UUID of another; `NotFound` when the event or the live
    /// attribute is gone. Nothing else changes (the event is not touched).
    async fn add_proposal(
        &self,
        request: &ProposalRequest,
        proposer: &Proposer,
        now: i64,
    ) -> StoreResult<ProposalEntry>;
    /// The proposals `viewer` may see that match `filter`.
    async fn list_proposals(
        &self,
        filter: &ProposalFilter,
        viewer: &Viewer,
    ) -> StoreResult<Vec<ProposalEntry>>;
    /// Applies a live proposal and removes it in one transaction, with the
    /// attribute write steps (so the attribute rules hold: duplicates are
    /// `Conflict("value")`, a UUID in use `Conflict("attribute_uuid")`), and
    /// touches the event (timestamp `now`, unpublished, attributes
    /// recounted). Returns the attribute as stored. `NotFound` when the
    /// proposal or its attribute is gone. A refused change leaves the
    /// proposal in place.
    async fn accept_proposal(
        &self,
        id: i64,
        change: &ProposalChange,
        now: i64,
    ) -> StoreResult<cydef_model::event::Attribute>;
    /// Removes a live proposal; `NotFound` when there is none.
    async fn discard_proposal(&self, id: i64) -> StoreResult<()>;
}
