//! Row mapping shared by both backends. The functions are generic over the
//! row type; the bounds say which column types both drivers can decode.

use cydef_model::auth_key::AuthKey;
use cydef_model::event as ev;
use cydef_model::role::{Permission, PermissionSet, Role};
use cydef_model::{Organisation, User};
use sqlx::{ColumnIndex, Decode, Row, Type};

use crate::StoreError;

/// A row whose database can decode the column types we use.
pub(crate) trait DbRow: Row
where
    for<'a> &'a str: ColumnIndex<Self>,
{
    fn i64(&self, col: &str) -> Result<i64, sqlx::Error>;
    fn opt_i64(&self, col: &str) -> Result<Option<i64>, sqlx::Error>;
    fn bool(&self, col: &str) -> Result<bool, sqlx::Error>;
    fn text(&self, col: &str) -> Result<String, sqlx::Error>;
    fn opt_text(&self, col: &str) -> Result<Option<String>, sqlx::Error>;
}

impl<R> DbRow for R
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
{
    fn i64(&self, col: &str) -> Result<i64, sqlx::Error> {
        self.try_get(col)
    }
    fn opt_i64(&self, col: &str) -> Result<Option<i64>, sqlx::Error> {
        self.try_get(col)
    }
    fn bool(&self, col: &str) -> Result<bool, sqlx::Error> {
        self.try_get(col)
    }
    fn text(&self, col: &str) -> Result<String, sqlx::Error> {
        self.try_get(col)
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>, sqlx::Error> {
        self.try_get(col)
    }
}

pub(crate) const ORG_COLUMNS: &str = "id, uuid, name, date_created, date_modified, description, \
     org_type, nationality, sector, created_by, contacts, local, restricted_to_domain, landingpage";

pub(crate) fn org<R: DbRow>(row: &R) -> Result<Organisation, StoreError>
where
    for<'a> &'a str: ColumnIndex<R>,
{
    let domains: String = row.text("restricted_to_domain")?;
    Ok(Organisation {
        id: row.i64("id")?,
        uuid: row.text("uuid")?,
        name: row.text("name")?,
        date_created: row.i64("date_created")?,
        date_modified: row.i64("date_modified")?,
        description: row.text("description")?,
        org_type: row.text("org_type")?,
        nationality: row.text("nationality")?,
        sector: row.text("sector")?,
        created_by: row.i64("created_by")?,
        contacts: row.text("contacts")?,
        local: row.bool("local")?,
        restricted_to_domain: serde_json::from_str(&domains)
            .map_err(|e| StoreError::Corrupt(format!("restricted_to_domain: {e}")))?,
        landingpage: row.text("landingpage")?,
    })
}

/// Role columns: the fixed ones, then one per permission flag.
pub(crate) fn role_columns() -> String {
    let mut cols = String::from(
        "id, name, created, modified, default_role, memory_limit, max_execution_time, \
         restricted_to_site_admin, enforce_rate_limit, rate_limit_count",
    );
    for p in Permission::ALL {
        cols.push_str(", ");
        cols.push_str(p.name());
    }
    cols
}

pub(crate) fn role<R: DbRow>(row: &R) -> Result<Role, StoreError>
where
    for<'a> &'a str: ColumnIndex<R>,
{
    let mut perms = PermissionSet::default();
    for p in Permission::ALL {
        perms = perms.with(*p, row.bool(p.name())?);
    }
    Ok(Role {
        id: row.i64("id")?,
        name: row.text("name")?,
        created: row.i64("created")?,
        modified: row.i64("modified")?,
        perms,
        default_role: row.bool("default_role")?,
        memory_limit: row.text("memory_limit")?,
        max_execution_time: row.text("max_execution_time")?,
        restricted_to_site_admin: row.bool("restricted_to_site_admin")?,
        enforce_rate_limit: row.bool("enforce_rate_limit")?,
        rate_limit_count: row.i64("rate_limit_count")?,
    })
}

pub(crate) const USER_COLUMNS: &str = "id, org_id, role_id, email, disabled, autoalert, \
     contactalert, termsaccepted, change_pw, invited_by, gpgkey, certif_public, nids_sid, newsread, \
     expiration, current_login, last_login, last_api_access, force_logout, date_created, \
     date_modified, last_pw_change, notification_daily, notification_weekly, notification_monthly";

pub(crate) fn user<R: DbRow>(row: &R) -> Result<User, StoreError>
where
    for<'a> &'a str: ColumnIndex<R>,
{
    Ok(User {
        id: row.i64("id")?,
        org_id: row.i64("org_id")?,
        role_id: row.i64("role_id")?,
        email: row.text("email")?,
        disabled: row.bool("disabled")?,
        autoalert: row.bool("autoalert")?,
        contactalert: row.bool("contactalert")?,
        termsaccepted: row.bool("termsaccepted")?,
        change_pw: row.bool("change_pw")?,
        invited_by: row.i64("invited_by")?,
        gpgkey: row.text("gpgkey")?,
        certif_public: row.text("certif_public")?,
        nids_sid: row.i64("nids_sid")?,
        newsread: row.i64("newsread")?,
        expiration: row.opt_i64("expiration")?,
        current_login: row.i64("current_login")?,
        last_login: row.i64("last_login")?,
        last_api_access: row.i64("last_api_access")?,
        force_logout: row.bool("force_logout")?,
        date_created: row.i64("date_created")?,
        date_modified: row.i64("date_modified")?,
        last_pw_change: row.i64("last_pw_change")?,
        notification_daily: row.bool("notification_daily")?,
        notification_weekly: row.bool("notification_weekly")?,
        notification_monthly: row.bool("notification_monthly")?,
    })
}

pub(crate) const AUTH_KEY_COLUMNS: &str = "id, uuid, authkey_hash, authkey_start, authkey_end, \
     created, expiration, read_only, user_id, comment, allowed_ips, last_used";

pub(crate) fn auth_key<R: DbRow>(row: &R) -> Result<AuthKey, StoreError>
where
    for<'a> &'a str: ColumnIndex<R>,
{
    let ips: String = row.text("allowed_ips")?;
    Ok(AuthKey {
        id: row.i64("id")?,
        uuid: row.text("uuid")?,
        authkey_hash: row.text("authkey_hash")?,
        authkey_start: row.text("authkey_start")?,
        authkey_end: row.text("authkey_end")?,
        created: row.i64("created")?,
        expiration: row.i64("expiration")?,
        read_only: row.bool("read_only")?,
        user_id: row.i64("user_id")?,
        comment: row.text("comment")?,
        allowed_ips: serde_json::from_str(&ips)
            .map_err(|e| StoreError::Corrupt(format!("allowed_ips: {e}")))?,
        last_used: row.opt_i64("last_used")?,
    })
}

/// Binds a role's columns in [`role_columns`] order, from `name` on
/// (`with_id` also binds the id first).
macro_rules! bind_role {
    ($q:expr, $r:expr) => {{
        let r = $r;
        let mut q = $q
            .bind(&r.name)
            .bind(r.created)
            .bind(r.modified)
            .bind(r.default_role)
            .bind(&r.memory_limit)
            .bind(&r.max_execution_time)
            .bind(r.restricted_to_site_admin)
            .bind(r.enforce_rate_limit)
            .bind(r.rate_limit_count);
        for (_, on) in r.perms.iter() {
            q = q.bind(on);
        }
        q
    }};
}

pub(crate) fn event<R: DbRow>(row: &R) -> Result<ev::Event, StoreError>
where
    for<'a> &'a str: ColumnIndex<R>,
{
    Ok(ev::Event {
        id: row.i64("id")?,
        uuid: row.text("uuid")?,
        org_id: row.i64("org_id")?,
        orgc_id: row.i64("orgc_id")?,
        user_id: row.i64("user_id")?,
        info: row.text("info")?,
        date: row.text("date")?,
        threat_level_id: row.i64("threat_level_id")?,
        analysis: row.i64("analysis")?,
        distribution: row.i64("distribution")?,
        sharing_group_id: row.i64("sharing_group_id")?,
        published: row.bool("published")?,
        publish_timestamp: row.i64("publish_timestamp")?,
        timestamp: row.i64("timestamp")?,
        sighting_timestamp: row.i64("sighting_timestamp")?,
        attribute_count: row.i64("attribute_count")?,
        disable_correlation: row.bool("disable_correlation")?,
        extends_uuid: row.text("extends_uuid")?,
        proposal_email_lock: row.bool("proposal_email_lock")?,
        locked: row.bool("locked")?,
    })
}

pub(crate) fn attribute<R: DbRow>(row: &R) -> Result<ev::Attribute, StoreError>
where
    for<'a> &'a str: ColumnIndex<R>,
{
    Ok(ev::Attribute {
        id: row.i64("id")?,
        uuid: row.text("uuid")?,
        event_id: row.i64("event_id")?,
        object_id: row.opt_i64("object_id")?,
        object_relation: row.opt_text("object_relation")?,
        category: row.text("category")?,
        attr_type: row.text("type")?,
        value1: row.text("value1")?,
        value2: row.text("value2")?,
        to_ids: row.bool("to_ids")?,
        comment: row.text("comment")?,
        distribution: row.i64("distribution")?,
        sharing_group_id: row.i64("sharing_group_id")?,
        timestamp: row.i64("timestamp")?,
        deleted: row.bool("deleted")?,
        disable_correlation: row.bool("disable_correlation")?,
        first_seen: row.opt_text("first_seen")?,
        last_seen: row.opt_text("last_seen")?,
        data: row.opt_text("data")?,
    })
}

pub(crate) fn object<R: DbRow>(row: &R) -> Result<ev::MispObject, StoreError>
where
    for<'a> &'a str: ColumnIndex<R>,
{
    Ok(ev::MispObject {
        id: row.i64("id")?,
        uuid: row.text("uuid")?,
        event_id: row.i64("event_id")?,
        name: row.text("name")?,
        meta_category: row.text("meta_category")?,
        description: row.text("description")?,
        template_uuid: row.opt_text("template_uuid")?,
        template_version: row.opt_text("template_version")?,
        comment: row.text("comment")?,
        distribution: row.i64("distribution")?,
        sharing_group_id: row.i64("sharing_group_id")?,
        timestamp: row.i64("timestamp")?,
        deleted: row.bool("deleted")?,
        first_seen: row.opt_text("first_seen")?,
        last_seen: row.opt_text("last_seen")?,
    })
}

pub(crate) fn reference<R: DbRow>(row: &R) -> Result<ev::ObjectReference, StoreError>
where
    for<'a> &'a str: ColumnIndex<R>,
{
    Ok(ev::ObjectReference {
        id: row.i64("id")?,
        uuid: row.text("uuid")?,
        event_id: row.i64("event_id")?,
        object_id: row.i64("object_id")?,
        referenced_uuid: row.text("referenced_uuid")?,
        referenced_type: row.opt_i64("referenced_type")?,
        referenced_id: row.i64("referenced_id")?,
        relationship_type: row.text("relationship_type")?,
        comment: row.text("comment")?,
        timestamp: row.i64("timestamp")?,
        deleted: row.bool("deleted")?,
    })
}

/// A tag from columns selected with `TAG_COLUMNS` (prefixed names).
pub(crate) fn tag<R: DbRow>(row: &R) -> Result<ev::Tag, StoreError>
where
    for<'a> &'a str: ColumnIndex<R>,
{
    Ok(ev::Tag {
        id: row.i64("tag_id")?,
        name: row.text("tag_name")?,
        colour: row.text("colour")?,
        exportable: row.bool("exportable")?,
        org_id: row.i64("tag_org_id")?,
        user_id: row.i64("tag_user_id")?,
        hide_tag: row.bool("hide_tag")?,
        numerical_value: row.opt_i64("numerical_value")?,
        is_galaxy: row.bool("is_galaxy")?,
        is_custom_galaxy: row.bool("is_custom_galaxy")?,
        local_only: row.bool("local_only")?,
    })
}

pub(crate) fn tag_link<R: DbRow>(row: &R) -> Result<ev::TagLink, StoreError>
where
    for<'a> &'a str: ColumnIndex<R>,
{
    Ok(ev::TagLink {
        target_id: row.i64("target_id")?,
        tag: tag(row)?,
        local: row.bool("local")?,
        relationship_type: row.opt_text("relationship_type")?,
    })
}

pub(crate) fn sighting<R: DbRow>(row: &R) -> Result<ev::Sighting, StoreError>
where
    for<'a> &'a str: ColumnIndex<R>,
{
    Ok(ev::Sighting {
        id: row.i64("id")?,
        uuid: row.text("uuid")?,
        attribute_id: row.i64("attribute_id")?,
        event_id: row.i64("event_id")?,
        org_id: row.i64("org_id")?,
        date_sighting: row.i64("date_sighting")?,
        source: row.text("source")?,
        sighting_type: row.i64("type")?,
    })
}

pub(crate) fn proposal<R: DbRow>(row: &R) -> Result<ev::Proposal, StoreError>
where
    for<'a> &'a str: ColumnIndex<R>,
{
    Ok(ev::Proposal {
        id: row.i64("id")?,
        uuid: row.text("uuid")?,
        event_id: row.i64("event_id")?,
        old_id: row.i64("old_id")?,
        org_id: row.i64("org_id")?,
        category: row.text("category")?,
        attr_type: row.text("type")?,
        value1: row.text("value1")?,
        value2: row.text("value2")?,
        to_ids: row.bool("to_ids")?,
        comment: row.text("comment")?,
        timestamp: row.i64("timestamp")?,
        proposal_to_delete: row.bool("proposal_to_delete")?,
        deleted: row.bool("deleted")?,
    })
}

pub(crate) fn report<R: DbRow>(row: &R) -> Result<ev::Report, StoreError>
where
    for<'a> &'a str: ColumnIndex<R>,
{
    Ok(ev::Report {
        id: row.i64("id")?,
        uuid: row.text("uuid")?,
        event_id: row.i64("event_id")?,
        name: row.text("name")?,
        content: row.text("content")?,
        distribution: row.i64("distribution")?,
        sharing_group_id: row.i64("sharing_group_id")?,
        timestamp: row.i64("timestamp")?,
        deleted: row.bool("deleted")?,
    })
}

pub(crate) fn blocklist<R: DbRow>(row: &R) -> Result<ev::BlocklistEntry, StoreError>
where
    for<'a> &'a str: ColumnIndex<R>,
{
    Ok(ev::BlocklistEntry {
        id: row.i64("id")?,
        event_uuid: row.text("event_uuid")?,
        created: row.i64("created")?,
        event_info: row.text("event_info")?,
        comment: row.text("comment")?,
        event_orgc: row.text("event_orgc")?,
    })
}
