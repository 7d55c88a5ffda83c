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
    /// Tags with the number of events and attributes using each.
    async fn list_tags(&self) -> StoreResult<Vec<(cydef_model::event::Tag, i64, i64)>>;
}
