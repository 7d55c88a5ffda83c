//! Roles and their permission flags, as MISP names them.

use std::fmt;

macro_rules! permissions {
    ($($variant:ident => $name:literal,)*) => {
        /// One of MISP's role permission flags.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Permission {
            $($variant,)*
        }

        impl Permission {
            /// Every flag, in the order MISP's roles table lists them.
            pub const ALL: &'static [Permission] = &[$(Permission::$variant,)*];

            /// The flag's MISP name, which is also its column and JSON key.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Permission::$variant => $name,)*
                }
            }

            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($name => Some(Permission::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

permissions! {
    Add => "perm_add",
    Modify => "perm_modify",
    ModifyOrg => "perm_modify_org",
    Publish => "perm_publish",
    Delegate => "perm_delegate",
    Sync => "perm_sync",
    Admin => "perm_admin",
    Audit => "perm_audit",
    Full => "perm_full",
    Auth => "perm_auth",
    SiteAdmin => "perm_site_admin",
    RegexpAccess => "perm_regexp_access",
    Tagger => "perm_tagger",
    Template => "perm_template",
    SharingGroup => "perm_sharing_group",
    TagEditor => "perm_tag_editor",
    Sighting => "perm_sighting",
    ObjectTemplate => "perm_object_template",
    PublishZmq => "perm_publish_zmq",
    PublishKafka => "perm_publish_kafka",
    Decaying => "perm_decaying",
    GalaxyEditor => "perm_galaxy_editor",
    Warninglist => "perm_warninglist",
    ViewFeedCorrelations => "perm_view_feed_correlations",
    AnalystData => "perm_analyst_data",
    SkipOtp => "perm_skip_otp",
    ServerSign => "perm_server_sign",
    SyncAuthoritative => "perm_sync_authoritative",
    SyncInternal => "perm_sync_internal",
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of permission flags, one bit per [`Permission`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PermissionSet(u64);

impl PermissionSet {
    pub fn of(perms: &[Permission]) -> Self {
        perms.iter().fold(Self::default(), |s, p| s.with(*p, true))
    }

    pub fn has(self, p: Permission) -> bool {
        self.0 & (1 << p as u32) != 0
    }

    #[must_use]
    pub fn with(self, p: Permission, on: bool) -> Self {
        if on {
            Self(self.0 | (1 << p as u32))
        } else {
            Self(self.0 & !(1 << p as u32))
        }
    }

    pub fn iter(self) -> impl Iterator<Item = (Permission, bool)> {
        Permission::ALL.iter().map(move |p| (*p, self.has(*p)))
    }
}

/// A MISP role.
#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    pub id: i64,
    pub name: String,
    pub created: i64,
    pub modified: i64,
    pub perms: PermissionSet,
    pub default_role: bool,
    pub memory_limit: String,
    pub max_execution_time: String,
    pub restricted_to_site_admin: bool,
    pub enforce_rate_limit: bool,
    pub rate_limit_count: i64,
}

impl Role {
    pub fn has(&self, p: Permission) -> bool {
        self.perms.has(p)
    }

    /// MISP's summary `permission` level, computed as MISP's virtual field:
    /// 3 when add, modify and publish; 2 when add and modify_org; 1 when add;
    /// else 0.
    pub fn permission_level(&self) -> u8 {
        use Permission::*;
        if self.has(Add) && self.has(Modify) && self.has(Publish) {
            3
        } else if self.has(Add) && self.has(ModifyOrg) {
            2
        } else if self.has(Add) {
            1
        } else {
            0
        }
    }

    /// Applies MISP's `permission` level to the four event flags, as MISP's
    /// role `beforeSave` does: 0 none, 1 add+modify, 2 +modify_org, 3 +publish.
    pub fn apply_permission_level(&mut self, level: u8) {
        use Permission::*;
        self.perms = self
            .perms
            .with(Add, level >= 1)
            .with(Modify, level >= 1)
            .with(ModifyOrg, level >= 2)
            .with(Publish, level >= 3);
    }

    pub fn permission_description(&self) -> &'static str {
        match self.permission_level() {
            0 => "read_only",
            1 => "manage_own",
            2 => "manage_org",
            _ => "publish",
        }
    }
}

/// Ids of MISP's default roles.
pub mod ids {
    pub const ADMIN: i64 = 1;
    pub const ORG_ADMIN: i64 = 2;
    pub const USER: i64 = 3;
    pub const PUBLISHER: i64 = 4;
    pub const SYNC_USER: i64 = 5;
    pub const READ_ONLY: i64 = 6;
}

/// MISP's six default roles, with MISP's ids and flags (from MISP's schema
/// defaults). `created`/`modified` are set to `now`.
pub fn default_roles(now: i64) -> Vec<Role> {
    use Permission::*;
    let role = |id: i64, name: &str, perms: &[Permission], default_role: bool| Role {
        id,
        name: name.to_owned(),
        created: now,
        modified: now,
        perms: PermissionSet::of(perms),
        default_role,
        memory_limit: String::new(),
        max_execution_time: String::new(),
        restricted_to_site_admin: false,
        enforce_rate_limit: false,
        rate_limit_count: 0,
    };
    vec![
        role(
            ids::ADMIN,
            "admin",
            &[
                Add,
                Modify,
                ModifyOrg,
                Publish,
                Delegate,
                Sync,
                Admin,
                Audit,
                Full,
                Auth,
                SiteAdmin,
                RegexpAccess,
                Tagger,
                Template,
                SharingGroup,
                TagEditor,
                Sighting,
                ObjectTemplate,
                PublishZmq,
                PublishKafka,
                Decaying,
                GalaxyEditor,
                Warninglist,
                ViewFeedCorrelations,
                AnalystData,
                ServerSign,
            ],
            false,
        ),
        role(
            ids::ORG_ADMIN,
            "Org Admin",
            &[
                Add,
                Modify,
                ModifyOrg,
                Publish,
                Delegate,
                Admin,
                Audit,
                Auth,
                Tagger,
                Template,
                SharingGroup,
                TagEditor,
                Sighting,
                PublishZmq,
                PublishKafka,
                Decaying,
                GalaxyEditor,
                AnalystData,
            ],
            false,
        ),
        role(
            ids::USER,
            "User",
            &[
                Add,
                Modify,
                ModifyOrg,
                Audit,
                Auth,
                Tagger,
                Sighting,
                Decaying,
                GalaxyEditor,
                AnalystData,
            ],
            true,
        ),
        role(
            ids::PUBLISHER,
            "Publisher",
            &[
                Add,
                Modify,
                ModifyOrg,
                Publish,
                Delegate,
                Audit,
                Auth,
                Tagger,
                Sighting,
                PublishZmq,
                PublishKafka,
                Decaying,
                GalaxyEditor,
                AnalystData,
            ],
            false,
        ),
        role(
            ids::SYNC_USER,
            "Sync user",
            &[
                Add,
                Modify,
                ModifyOrg,
                Publish,
                Delegate,
                Sync,
                Audit,
                Auth,
                Tagger,
                SharingGroup,
                TagEditor,
                Sighting,
                PublishZmq,
                PublishKafka,
                Decaying,
                GalaxyEditor,
                AnalystData,
            ],
            false,
        ),
        role(ids::READ_ONLY, "Read Only", &[Audit, Auth], false),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Permission::ALL {
            assert_eq!(Permission::from_name(p.name()), Some(*p));
        }
        assert!(Permission::ALL.len() < 64);
    }

    #[test]
    fn default_roles_have_misp_ids_and_levels() {
        let roles = default_roles(0);
        let names: Vec<_> = roles.iter().map(|r| (r.id, r.name.as_str())).collect();
        assert_eq!(
            names,
            vec![
                (1, "admin"),
                (2, "Org Admin"),
                (3, "User"),
                (4, "Publisher"),
                (5, "Sync user"),
                (6, "Read Only")
            ]
        );
        assert!(roles[0].has(Permission::SiteAdmin));
        assert!(!roles[1].has(Permission::SiteAdmin));
        assert!(roles[1].has(Permission::Admin));
        let levels: Vec<_> = roles.iter().map(Role::permission_level).collect();
        assert_eq!(levels, vec![3, 3, 2, 3, 3, 0]);
        assert!(roles[2].default_role);
    }
}
