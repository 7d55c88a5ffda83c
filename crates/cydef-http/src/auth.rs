//! Who is calling: API keys (MISP's `Authorization` / `X-MISP-AUTH`) and JWT
//! bearer tokens, resolved once per request by the [`Authed`] extractor, and
//! the one mechanism that checks permissions ([`Requirement`]).

use std::future::Future;
use std::marker::PhantomData;
use std::net::IpAddr;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::OnceLock;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use cydef_model::role::{Permission, PermissionSet};
use cydef_model::sharing_group::AuthorizedGroups;
use cydef_model::{time_fmt, ApiKey, AuthKey, EntityRef, Organisation, Role, User};
use cydef_store::Viewer;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult, ACCOUNT_DISABLED, AUTH_FAILED, NO_PERMISSION};
use crate::AppState;

/// How the caller proved who it is.
#[derive(Debug, Clone)]
pub enum Credential {
    Key(AuthKey),
    Jwt,
}

/// The authenticated caller: user, role, organisation and the permissions in
/// force for this request (a read-only key keeps only `perm_auth` and
/// `perm_audit`, as in MISP).
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user: User,
    pub role: Role,
    pub org: Organisation,
    pub credential: Credential,
    pub perms: PermissionSet,
    /// The sharing groups of [`AuthUser::viewer`], read on first use and
    /// kept for the rest of the request.
    sharing_groups: OnceLock<AuthorizedGroups>,
}

impl AuthUser {
    pub fn has(&self, p: Permission) -> bool {
        self.perms.has(p)
    }

    /// The caller as the visibility rule sees it: its organisation, whether
    /// it is a site admin (with the permissions in force: a read-only key of
    /// a site admin reads as its organisation), and the sharing groups the
    /// organisation is authorised for (MISP's `authorizedIds`). The groups
    /// are read once per request, on first use; never for site admins, who
    /// see everything.
    pub async fn viewer(&self, state: &AppState) -> ApiResult<Viewer> {
        let site_admin = self.is_site_admin();
        let sharing_groups = match self.sharing_groups.get() {
            _ if site_admin => AuthorizedGroups::default(),
            Some(groups) => groups.clone(),
            None => {
                let ids = state
                    .store
                    .authorized_sharing_group_ids(self.org.id, false)
                    .await?;
                self.sharing_groups
                    .get_or_init(|| AuthorizedGroups::new(ids))
                    .clone()
            }
        };
        Ok(Viewer {
            org_id: self.org.id,
            site_admin,
            sharing_groups,
        })
    }

    pub fn is_site_admin(&self) -> bool {
        self.has(Permission::SiteAdmin)
    }

    /// An org admin (perm_admin) or a site admin.
    pub fn is_admin(&self) -> bool {
        self.has(Permission::Admin) || self.is_site_admin()
    }

    /// The one rule for whose account and keys an admin may manage: site
    /// admins everyone; everyone themselves; org admins the users of their
    /// own organisation whose role carries nothing an org admin may not
    /// hand out, and who are not admins themselves.
    pub fn may_administer(&self, user: &User, role: &Role) -> bool {
        self.is_site_admin()
            || user.id == self.user.id
            || (self.is_admin()
                && user.org_id == self.org.id
                && !is_privileged(role)
                && !role.has(Permission::Admin))
    }

    /// May this caller give `role` to a user? Org admins may not hand out
    /// privileged roles (see [`is_privileged`]).
    pub fn may_assign(&self, role: &Role) -> bool {
        self.is_site_admin() || !is_privileged(role)
    }
}

/// Roles only a site admin may hand out: site admin, sync, regexp rights,
/// or restricted to site admins.
pub fn is_privileged(role: &Role) -> bool {
    role.has(Permission::SiteAdmin)
        || role.has(Permission::Sync)
        || role.has(Permission::RegexpAccess)
        || role.restricted_to_site_admin
}

impl AuthUser {}

/// A permission rule an endpoint declares in its signature.
pub trait Requirement {
    /// What the rule says, for the OpenAPI document and logs.
    const DESCRIPTION: &'static str;
    fn allows(user: &AuthUser) -> bool;
}

/// Any authenticated user.
pub struct AnyUser;
impl Requirement for AnyUser {
    const DESCRIPTION: &'static str = "any authenticated user";
    fn allows(_: &AuthUser) -> bool {
        true
    }
}

/// Site admins only (MISP's `perm_site_admin`).
pub struct SiteAdmin;
impl Requirement for SiteAdmin {
    const DESCRIPTION: &'static str = "perm_site_admin";
    fn allows(u: &AuthUser) -> bool {
        u.is_site_admin()
    }
}

/// Org admins and site admins (MISP's `perm_admin`).
pub struct OrgAdmin;
impl Requirement for OrgAdmin {
    const DESCRIPTION: &'static str = "perm_admin";
    fn allows(u: &AuthUser) -> bool {
        u.is_admin()
    }
}

/// Users allowed to manage their API keys (MISP's `perm_auth`), not through a
/// read-only key.
pub struct ManageKeys;
impl Requirement for ManageKeys {
    const DESCRIPTION: &'static str = "perm_auth, not with a read-only key";
    fn allows(u: &AuthUser) -> bool {
        let read_only = matches!(&u.credential, Credential::Key(k) if k.read_only);
        u.has(Permission::Auth) && !read_only
    }
}

/// A requirement that is one permission flag.
macro_rules! flag_requirement {
    ($($(#[$doc:meta])* $name:ident => $perm:ident),* $(,)?) => {
        $(
            $(#[$doc])*
            pub struct $name;
            impl Requirement for $name {
                const DESCRIPTION: &'static str = Permission::$perm.name();
                fn allows(u: &AuthUser) -> bool {
                    u.has(Permission::$perm)
                }
            }
        )*
    };
}

flag_requirement! {
    /// Creating events and attributes (`perm_add`).
    CanAdd => Add,
    /// Changing events of one's own (`perm_modify`); per-event ownership is
    /// checked by the handler against the event.
    CanModify => Modify,
    /// Publishing (`perm_publish`).
    CanPublish => Publish,
    /// Tagging (`perm_tagger`).
    CanTag => Tagger,
    /// Creating and editing tags (`perm_tag_editor`).
    CanEditTags => TagEditor,
    /// Creating and changing sharing groups (`perm_sharing_group`).
    CanSharingGroup => SharingGroup,
    /// Recording sightings (`perm_sighting`).
    CanSight => Sighting,
}

/// Deleting sightings: `perm_sighting` and `perm_modify_org`, as MISP's ACL
/// requires; which sightings is checked by the handler (the organisation's own).
pub struct CanDeleteSightings;
impl Requirement for CanDeleteSightings {
    const DESCRIPTION: &'static str = "perm_sighting and perm_modify_org";
    fn allows(u: &AuthUser) -> bool {
        u.has(Permission::Sighting) && u.has(Permission::ModifyOrg)
    }
}

/// The extractor: authenticates the request and checks `R`. Failing
/// authentication is MISP's 403; a missing permission is MISP's 403 with
/// "You do not have permission to use this functionality."
pub struct Authed<R: Requirement = AnyUser>(pub AuthUser, PhantomData<R>);

impl<R: Requirement> Deref for Authed<R> {
    type Target = AuthUser;
    fn deref(&self) -> &AuthUser {
        &self.0
    }
}

impl<R: Requirement + 'static> FromRequest for Authed<R> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let cached = req.extensions().get::<AuthUser>().cloned();
            let user = match cached {
                Some(u) => u,
                None => {
                    let state = req
                        .app_data::<web::Data<AppState>>()
                        .ok_or_else(|| ApiError::Internal("application state missing".into()))?
                        .clone();
                    let user = authenticate(&state, &req).await?;
                    req.extensions_mut().insert(user.clone());
                    user
                }
            };
            if !R::allows(&user) {
                return Err(ApiError::forbidden(NO_PERMISSION));
            }
            Ok(Authed(user, PhantomData))
        })
    }
}

/// The credential a request carries.
enum Presented {
    Keys(Vec<String>),
    Bearer(String),
    Nothing,
}

fn presented(req: &HttpRequest) -> Presented {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    // X-MISP-AUTH wins over Authorization, as in MISP.
    let raw = match header("X-MISP-AUTH").or_else(|| header("Authorization")) {
        Some(raw) => raw,
        None => return Presented::Nothing,
    };
    let lower = raw.to_ascii_lowercase();
    if lower.starts_with("basic") {
        return Presented::Nothing;
    }
    if let Some(token) = raw
        .strip_prefix("Bearer ")
        .or_else(|| raw.strip_prefix("bearer "))
    {
        return Presented::Bearer(token.trim().to_owned());
    }
    // MISP accepts a comma-separated list; a few are enough, and a cap keeps
    // one request from costing hundreds of lookups.
    Presented::Keys(
        raw.split(',')
            .take(MAX_KEY_CANDIDATES)
            .map(|k| k.trim().to_owned())
            .collect(),
    )
}

/// How many comma-separated keys of one header are tried.
const MAX_KEY_CANDIDATES: usize = 4;

fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    req.peer_addr().map(|a| a.ip())
}

async fn authenticate(state: &AppState, req: &HttpRequest) -> Result<AuthUser, ApiError> {
    let now = time_fmt::now();
    match presented(req) {
        Presented::Nothing => Err(ApiError::forbidden(AUTH_FAILED)),
        Presented::Bearer(token) => {
            let claims = state
                .jwt
                .verify(&token)
                .map_err(|_| ApiError::forbidden(AUTH_FAILED))?;
            let user = state
                .store
                .get_user(claims.sub)
                .await
                .map_err(|_| ApiError::forbidden(AUTH_FAILED))?;
            load_context(state, user, Credential::Jwt, now).await
        }
        Presented::Keys(candidates) => {
            for candidate in candidates {
                let Some(key) = ApiKey::parse(&candidate) else {
                    continue;
                };
                let stored = state
                    .store
                    .find_auth_keys(key.start(), key.end())
                    .await
                    .map_err(ApiError::from)?;
                let Some(found) = stored.into_iter().find(|k| key.matches(&k.authkey_hash)) else {
                    continue;
                };
                if found.is_expired(now) {
                    return Err(ApiError::forbidden(AUTH_FAILED));
                }
                if !found.allowed_ips.is_empty() {
                    match client_ip(req) {
                        None => {
                            return Err(ApiError::forbidden(
                                "Auth key is limited to IP address, but IP address not found",
                            ))
                        }
                        Some(ip) if !found.allows_ip(ip) => {
                            return Err(ApiError::forbidden(
                                "It is not possible to use this Auth key from your IP address",
                            ))
                        }
                        Some(_) => {}
                    }
                }
                let user = state
                    .store
                    .get_user(found.user_id)
                    .await
                    .map_err(|_| ApiError::forbidden(AUTH_FAILED))?;
                // Recording use costs a write; once a minute per key is enough.
                if found.last_used.is_none_or(|t| now - t >= 60) {
                    let _ = state.store.touch_auth_key(found.id, now).await;
                    let _ = state.store.touch_user_api_access(user.id, now).await;
                }
                return load_context(state, user, Credential::Key(found), now).await;
            }
            Err(ApiError::forbidden(AUTH_FAILED))
        }
    }
}

async fn load_context(
    state: &AppState,
    user: User,
    credential: Credential,
    now: i64,
) -> Result<AuthUser, ApiError> {
    if user.disabled || user.expiration.is_some_and(|e| e > 0 && e <= now) {
        return Err(ApiError::forbidden(ACCOUNT_DISABLED));
    }
    let role = state
        .store
        .get_role(user.role_id)
        .await
        .map_err(ApiError::from)?;
    if !role.has(Permission::Auth) {
        return Err(ApiError::forbidden(AUTH_FAILED));
    }
    let org = state
        .store
        .get_org(EntityRef::Id(user.org_id))
        .await
        .map_err(ApiError::from)?;
    let mut perms = role.perms;
    if matches!(&credential, Credential::Key(k) if k.read_only) {
        perms = PermissionSet::of(&[Permission::Auth, Permission::Audit]);
    }
    Ok(AuthUser {
        user,
        role,
        org,
        credential,
        perms,
        sharing_groups: OnceLock::new(),
    })
}

/// JWT claims: the user id and the usual times.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: i64,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
}

const ISSUER: &str = "cydef";

/// Signs and checks bearer tokens with the instance's shared secret (stored in
/// the database, so every API node accepts every node's tokens).
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub lifetime_secs: i64,
}

impl JwtKeys {
    pub fn new(secret: &[u8], lifetime_secs: i64) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            lifetime_secs,
        }
    }

    pub fn issue(&self, user_id: i64) -> Result<String, ApiError> {
        let now = time_fmt::now();
        let claims = Claims {
            sub: user_id,
            iat: now,
            exp: now + self.lifetime_secs,
            iss: ISSUER.to_owned(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::Internal(e.to_string()))
    }

    pub fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.leeway = 5;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).map(|d| d.claims)
    }
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKeys([redacted])")
    }
}
