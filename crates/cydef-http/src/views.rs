//! Response bodies in MISP's shapes and field order. Integer columns are
//! JSON strings and flags are booleans, as MISP emits them.

use cydef_model::auth_key::AuthKey;
use cydef_model::role::{Permission, Role};
use cydef_model::time_fmt::datetime;
use cydef_model::{Organisation, User};
use serde::Serialize;
use utoipa::ToSchema;

use crate::wire::{int_str, opt_int_str};

/// An organisation (`{"Organisation": …}`).
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationView {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String, example = "1")]
    pub id: i64,
    pub name: String,
    /// `YYYY-MM-DD HH:MM:SS`
    pub date_created: String,
    pub date_modified: String,
    pub description: String,
    #[serde(rename = "type")]
    pub org_type: String,
    pub nationality: String,
    pub sector: String,
    /// Only shown to site admins, as in MISP.
    #[serde(
        serialize_with = "opt_int_str",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub created_by: Option<i64>,
    pub uuid: String,
    pub contacts: String,
    pub local: bool,
    pub restricted_to_domain: Vec<String>,
    pub landingpage: String,
    #[serde(
        serialize_with = "opt_int_str",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub user_count: Option<i64>,
}

impl OrganisationView {
    pub fn new(o: &Organisation, show_creator: bool, user_count: Option<i64>) -> Self {
        Self {
            id: o.id,
            name: o.name.clone(),
            date_created: datetime(o.date_created),
            date_modified: datetime(o.date_modified),
            description: o.description.clone(),
            org_type: o.org_type.clone(),
            nationality: o.nationality.clone(),
            sector: o.sector.clone(),
            created_by: show_creator.then_some(o.created_by),
            uuid: o.uuid.clone(),
            contacts: o.contacts.clone(),
            local: o.local,
            restricted_to_domain: o.restricted_to_domain.clone(),
            landingpage: o.landingpage.clone(),
            user_count,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationEnvelope {
    #[serde(rename = "Organisation")]
    pub organisation: OrganisationView,
}

/// A role (`{"Role": …}`). `perm_full` is never shown, as in MISP.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleView {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String, example = "3")]
    pub id: i64,
    pub name: String,
    pub created: String,
    pub modified: String,
    pub perm_add: bool,
    pub perm_modify: bool,
    pub perm_modify_org: bool,
    pub perm_publish: bool,
    pub perm_delegate: bool,
    pub perm_sync: bool,
    pub perm_admin: bool,
    pub perm_audit: bool,
    pub perm_auth: bool,
    pub perm_site_admin: bool,
    pub perm_regexp_access: bool,
    pub perm_tagger: bool,
    pub perm_template: bool,
    pub perm_sharing_group: bool,
    pub perm_tag_editor: bool,
    pub perm_sighting: bool,
    pub perm_object_template: bool,
    pub perm_publish_zmq: bool,
    pub perm_publish_kafka: bool,
    pub perm_decaying: bool,
    pub perm_galaxy_editor: bool,
    pub perm_warninglist: bool,
    pub perm_view_feed_correlations: bool,
    pub perm_analyst_data: bool,
    pub perm_skip_otp: bool,
    pub perm_server_sign: bool,
    pub perm_sync_authoritative: bool,
    pub perm_sync_internal: bool,
    pub default_role: bool,
    pub memory_limit: String,
    pub max_execution_time: String,
    pub restricted_to_site_admin: bool,
    pub enforce_rate_limit: bool,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub rate_limit_count: i64,
    /// MISP's summary level: "0" read only … "3" publish.
    pub permission: String,
    pub permission_description: String,
    /// Whether new users get this role (`roles/index` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<bool>,
}

impl RoleView {
    pub fn new(r: &Role) -> Self {
        Self {
            id: r.id,
            name: r.name.clone(),
            created: datetime(r.created),
            modified: datetime(r.modified),
            perm_add: r.has(Permission::Add),
            perm_modify: r.has(Permission::Modify),
            perm_modify_org: r.has(Permission::ModifyOrg),
            perm_publish: r.has(Permission::Publish),
            perm_delegate: r.has(Permission::Delegate),
            perm_sync: r.has(Permission::Sync),
            perm_admin: r.has(Permission::Admin),
            perm_audit: r.has(Permission::Audit),
            perm_auth: r.has(Permission::Auth),
            perm_site_admin: r.has(Permission::SiteAdmin),
            perm_regexp_access: r.has(Permission::RegexpAccess),
            perm_tagger: r.has(Permission::Tagger),
            perm_template: r.has(Permission::Template),
            perm_sharing_group: r.has(Permission::SharingGroup),
            perm_tag_editor: r.has(Permission::TagEditor),
            perm_sighting: r.has(Permission::Sighting),
            perm_object_template: r.has(Permission::ObjectTemplate),
            perm_publish_zmq: r.has(Permission::PublishZmq),
            perm_publish_kafka: r.has(Permission::PublishKafka),
            perm_decaying: r.has(Permission::Decaying),
            perm_galaxy_editor: r.has(Permission::GalaxyEditor),
            perm_warninglist: r.has(Permission::Warninglist),
            perm_view_feed_correlations: r.has(Permission::ViewFeedCorrelations),
            perm_analyst_data: r.has(Permission::AnalystData),
            perm_skip_otp: r.has(Permission::SkipOtp),
            perm_server_sign: r.has(Permission::ServerSign),
            perm_sync_authoritative: r.has(Permission::SyncAuthoritative),
            perm_sync_internal: r.has(Permission::SyncInternal),
            default_role: r.default_role,
            memory_limit: r.memory_limit.clone(),
            max_execution_time: r.max_execution_time.clone(),
            restricted_to_site_admin: r.restricted_to_site_admin,
            enforce_rate_limit: r.enforce_rate_limit,
            rate_limit_count: r.rate_limit_count,
            permission: r.permission_level().to_string(),
            permission_description: r.permission_description().to_owned(),
            default: None,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoleEnvelope {
    #[serde(rename = "Role")]
    pub role: RoleView,
}

/// A user (`{"User": …}`). The password is never shown; `authkey` carries a
/// new key in plaintext only in the answer to `admin/users/add`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String, example = "1")]
    pub id: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub org_id: i64,
    #[schema(value_type = String)]
    pub server_id: &'static str,
    pub email: String,
    pub autoalert: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authkey: Option<String>,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub invited_by: i64,
    pub gpgkey: String,
    pub certif_public: String,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub nids_sid: i64,
    pub termsaccepted: bool,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub newsread: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub role_id: i64,
    pub change_pw: bool,
    pub contactalert: bool,
    pub disabled: bool,
    /// `YYYY-MM-DD HH:MM:SS` or null.
    pub expiration: Option<String>,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub current_login: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub last_login: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub last_api_access: i64,
    pub force_logout: bool,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub date_created: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub date_modified: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub last_pw_change: i64,
    pub external_auth_required: bool,
    pub external_auth_key: String,
    pub notification_daily: bool,
    pub notification_weekly: bool,
    pub notification_monthly: bool,
}

impl UserView {
    pub fn new(u: &User) -> Self {
        Self {
            id: u.id,
            org_id: u.org_id,
            server_id: "0",
            email: u.email.clone(),
            autoalert: u.autoalert,
            authkey: None,
            invited_by: u.invited_by,
            gpgkey: u.gpgkey.clone(),
            certif_public: u.certif_public.clone(),
            nids_sid: u.nids_sid,
            termsaccepted: u.termsaccepted,
            newsread: u.newsread,
            role_id: u.role_id,
            change_pw: u.change_pw,
            contactalert: u.contactalert,
            disabled: u.disabled,
            expiration: u.expiration.filter(|e| *e > 0).map(datetime),
            current_login: u.current_login,
            last_login: u.last_login,
            last_api_access: u.last_api_access,
            force_logout: u.force_logout,
            date_created: u.date_created,
            date_modified: u.date_modified,
            last_pw_change: u.last_pw_change,
            external_auth_required: false,
            external_auth_key: String::new(),
            notification_daily: u.notification_daily,
            notification_weekly: u.notification_weekly,
            notification_monthly: u.notification_monthly,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserEnvelope {
    #[serde(rename = "User")]
    pub user: UserView,
}

/// `users/view`: the user with its role, settings and organisation.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserDetail {
    #[serde(rename = "User")]
    pub user: UserView,
    #[serde(rename = "Role")]
    pub role: RoleView,
    /// User settings; MISP sends `[]` when there are none.
    #[serde(rename = "UserSetting")]
    #[schema(value_type = Vec<Object>)]
    pub user_setting: Vec<serde_json::Value>,
    #[serde(rename = "Organisation")]
    pub organisation: OrganisationView,
}

/// The short role shown in `admin/users/index`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleBrief {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub id: i64,
    pub name: String,
    pub perm_auth: bool,
    pub perm_site_admin: bool,
    pub perm_admin: bool,
}

/// An id and a name.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgBrief {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub id: i64,
    pub name: String,
}

/// One row of `admin/users/index`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserIndexEntry {
    #[serde(rename = "User")]
    pub user: UserView,
    #[serde(rename = "Role")]
    pub role: RoleBrief,
    #[serde(rename = "Organisation")]
    pub organisation: OrgBrief,
}

/// An API key as stored: never the key, only its first and last four characters.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthKeyView {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub id: i64,
    pub uuid: String,
    pub authkey_start: String,
    pub authkey_end: String,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub created: i64,
    /// Epoch seconds; "0" never expires.
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub expiration: i64,
    pub read_only: bool,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub user_id: i64,
    pub comment: String,
    /// CIDR ranges, or null for anywhere.
    pub allowed_ips: Option<Vec<String>>,
    pub unique_ips: Vec<String>,
    #[serde(serialize_with = "opt_int_str")]
    #[schema(value_type = Option<String>)]
    pub last_used: Option<i64>,
    /// The new key in plaintext: only in the answer to `auth_keys/add`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authkey_raw: Option<String>,
}

impl AuthKeyView {
    pub fn new(k: &AuthKey) -> Self {
        Self {
            id: k.id,
            uuid: k.uuid.clone(),
            authkey_start: k.authkey_start.clone(),
            authkey_end: k.authkey_end.clone(),
            created: k.created,
            expiration: k.expiration,
            read_only: k.read_only,
            user_id: k.user_id,
            comment: k.comment.clone(),
            allowed_ips: (!k.allowed_ips.is_empty())
                .then(|| k.allowed_ips.iter().map(ToString::to_string).collect()),
            unique_ips: Vec::new(),
            last_used: k.last_used,
            authkey_raw: None,
        }
    }
}

/// The owner shown beside a key.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyOwner {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub id: i64,
    pub email: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthKeyEnvelope {
    #[serde(rename = "AuthKey")]
    pub auth_key: AuthKeyView,
    #[serde(rename = "User", skip_serializing_if = "Option::is_none")]
    pub user: Option<KeyOwner>,
}

/// MISP's `{"name", "message", "url"}` error body.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    #[schema(example = "Invalid organisation")]
    pub name: String,
    #[schema(example = "Invalid organisation")]
    pub message: String,
    #[schema(example = "/organisations/view/999")]
    pub url: String,
}

/// MISP's answer to a failed save (HTTP 403).
#[derive(Debug, Serialize, ToSchema)]
pub struct SaveFailedBody {
    /// Always false.
    pub saved: bool,
    pub name: String,
    pub message: String,
    pub url: String,
    /// `{"field": ["message", …]}`, or a list or a string.
    #[schema(value_type = Object)]
    pub errors: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// MISP's answer to a successful action.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuccessBody {
    pub saved: bool,
    pub success: bool,
    pub name: String,
    pub message: String,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}
