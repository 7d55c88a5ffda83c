//! API keys: `auth_keys/add|index|view|edit|delete`.
//!
//! Who sees and manages which keys follows MISP: site admins all keys, org
//! admins the keys of their organisation's users (not of site admins), other
//! users their own.

use actix_web::{web, HttpRequest, HttpResponse};
use cydef_model::auth_key::parse_allowed_ips;
use cydef_model::role::Permission;
use cydef_model::{ApiKey, AuthKey, NewAuthKey, User};
use cydef_store::AuthKeyPatch;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{named, resource};
use crate::auth::{AuthUser, Authed, ManageKeys};
use crate::error::{success_body, ApiError, ApiResult};
use crate::views::{
    AuthKeyEnvelope, AuthKeyView, ErrorBody, KeyOwner, SaveFailedBody, SuccessBody,
};
use crate::wire::{flex_bool, flex_string, flex_string_list, MispJson, Wrapped};
use crate::AppState;

const INVALID: &str = "Invalid AuthKey.";
const NOT_YOURS: &str =
    "Invalid user or insufficient privileges to interact with an authkey for the given user.";

/// The editable fields of a key.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct AuthKeyInput {
    #[serde(default, deserialize_with = "flex_string")]
    pub comment: Option<String>,
    /// IPs or CIDR ranges the key may be used from: a list, or one string
    /// with one range per line.
    #[serde(default, deserialize_with = "flex_string_list")]
    pub allowed_ips: Option<Vec<String>>,
    /// Epoch seconds, or a `YYYY-MM-DD` date; 0 or empty never expires.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub expiration: Option<Value>,
    #[serde(default, deserialize_with = "flex_bool")]
    #[schema(value_type = Option<bool>)]
    pub read_only: Option<bool>,
}

impl Wrapped for AuthKeyInput {
    const WRAPPER: &'static str = "AuthKey";
}

fn parse_expiration(v: &Value) -> Result<i64, String> {
    let bad = || "Expiration must be in YYYY-MM-DD format.".to_owned();
    match v {
        Value::Null => Ok(0),
        Value::String(s) if s.trim().is_empty() => Ok(0),
        Value::String(s) => {
            let s = s.trim();
            if let Ok(n) = s.parse::<i64>() {
                return Ok(n.max(0));
            }
            let fmt = time::macros::format_description!("[year]-[month]-[day]");
            time::Date::parse(s.get(..10).unwrap_or(s), &fmt)
                .map(|d| d.midnight().assume_utc().unix_timestamp())
                .map_err(|_| bad())
        }
        Value::Number(n) => n.as_i64().map(|n| n.max(0)).ok_or_else(bad),
        _ => Err(bad()),
    }
}

impl AuthKeyInput {
    fn patch(self) -> Result<AuthKeyPatch, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let allowed_ips = match self.allowed_ips {
            Some(list) => match parse_allowed_ips(&list) {
                Ok(nets) => Some(nets),
                Err(e) => {
                    errors.push(("allowed_ips", e));
                    None
                }
            },
            None => None,
        };
        let expiration = match self.expiration {
            Some(v) => match parse_expiration(&v) {
                Ok(e) => Some(e),
                Err(e) => {
                    errors.push(("expiration", e));
                    None
                }
            },
            None => None,
        };
        if errors.is_empty() {
            Ok(AuthKeyPatch {
                comment: self.comment,
                expiration,
                read_only: self.read_only,
                allowed_ips,
            })
        } else {
            Err(errors)
        }
    }
}

/// May `actor` manage the keys of `owner`?
async fn may_manage(state: &AppState, actor: &AuthUser, owner: &User) -> ApiResult<bool> {
    if actor.is_site_admin() || owner.id == actor.user.id {
        return Ok(true);
    }
    if !actor.is_admin() || owner.org_id != actor.org.id {
        return Ok(false);
    }
    let role = state.store.get_role(owner.role_id).await?;
    Ok(actor.may_administer(owner, &role))
}

/// Loads a key the caller may manage; anything else is `Invalid AuthKey.`.
async fn managed_key(state: &AppState, actor: &AuthUser, id: &str) -> ApiResult<(AuthKey, User)> {
    let id = id
        .parse::<i64>()
        .map_err(|_| ApiError::not_found(INVALID))?;
    let key = state
        .store
        .get_auth_key(id)
        .await
        .map_err(|e| ApiError::from_store(e, INVALID))?;
    let owner = state
        .store
        .get_user(key.user_id)
        .await
        .map_err(|e| ApiError::from_store(e, INVALID))?;
    if !may_manage(state, actor, &owner).await? {
        return Err(ApiError::not_found(INVALID));
    }
    Ok((key, owner))
}

fn envelope(key: &AuthKey, owner: &User) -> AuthKeyEnvelope {
    AuthKeyEnvelope {
        auth_key: AuthKeyView::new(key),
        user: Some(KeyOwner {
            id: owner.id,
            email: owner.email.clone(),
        }),
    }
}

/// Creates a key for a user (`me` or an id); the key is returned once, in
/// plaintext, as `AuthKey.authkey_raw`.
#[utoipa::path(post, path = "/auth_keys/add/{user_id}", tag = "Auth keys",
    params(("user_id" = String, Path, description = "`me` or a numeric user id")),
    request_body = AuthKeyInput,
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = AuthKeyEnvelope),
        (status = 400, description = "Body is not JSON", body = ErrorBody),
        (status = 403, description = "No permission for that user, read-only key, or validation failed", body = SaveFailedBody)))]
pub async fn add(
    state: web::Data<AppState>,
    actor: Authed<ManageKeys>,
    user_id: web::Path<String>,
    body: MispJson<AuthKeyInput>,
) -> ApiResult<HttpResponse> {
    create(&state, &actor, &user_id, body.0).await
}

/// `auth_keys/add` with no user: a key for the caller.
async fn add_own(
    state: web::Data<AppState>,
    actor: Authed<ManageKeys>,
    body: MispJson<AuthKeyInput>,
) -> ApiResult<HttpResponse> {
    create(&state, &actor, "me", body.0).await
}

async fn create(
    state: &AppState,
    actor: &AuthUser,
    target: &str,
    input: AuthKeyInput,
) -> ApiResult<HttpResponse> {
    let owner = if target == "me" {
        actor.user.clone()
    } else {
        let id = target
            .parse::<i64>()
            .map_err(|_| ApiError::forbidden(NOT_YOURS))?;
        state
            .store
            .get_user(id)
            .await
            .map_err(|_| ApiError::forbidden(NOT_YOURS))?
    };
    if !may_manage(state, actor, &owner).await? {
        return Err(ApiError::forbidden(NOT_YOURS));
    }
    let patch = input
        .patch()
        .map_err(|e| ApiError::save_failed("Could not add auth_key", &e, None))?;
    let secret = ApiKey::generate();
    let key = state
        .store
        .create_auth_key(
            &NewAuthKey {
                user_id: owner.id,
                expiration: patch.expiration.unwrap_or(0),
                read_only: patch.read_only.unwrap_or(false),
                comment: patch.comment.unwrap_or_default(),
                allowed_ips: patch.allowed_ips.unwrap_or_default(),
            },
            &secret,
        )
        .await?;
    let mut view = AuthKeyView::new(&key);
    view.authkey_raw = Some(secret.expose().to_owned());
    Ok(HttpResponse::Ok().json(AuthKeyEnvelope {
        auth_key: view,
        user: None,
    }))
}

/// Keys the caller may see; `/auth_keys/index/{user_id}` or `user_id:` filters by owner.
#[utoipa::path(get, path = "/auth_keys/index", tag = "Auth keys",
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = Vec<AuthKeyEnvelope>),
        (status = 403, description = "Authentication failed", body = ErrorBody)))]
pub async fn index(
    state: web::Data<AppState>,
    actor: Authed,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    if !actor.has(Permission::Auth) {
        return Err(ApiError::forbidden(crate::error::NO_PERMISSION));
    }
    let params = named(&req);
    let wanted_user = req
        .match_info()
        .get("user_id")
        .or_else(|| params.get("user_id"))
        .and_then(|s| s.parse::<i64>().ok());
    let (org, user) = if actor.is_site_admin() {
        (None, wanted_user)
    } else if actor.has(Permission::Admin) {
        (Some(actor.org.id), wanted_user)
    } else {
        (None, Some(actor.user.id))
    };
    let keys = state.store.list_auth_keys(org, user).await?;
    let mut body = Vec::with_capacity(keys.len());
    for (key, email) in &keys {
        if !actor.is_site_admin() && key.user_id != actor.user.id {
            // Org admins see their organisation's keys, but not other admins'.
            let owner = state.store.get_user(key.user_id).await?;
            if !may_manage(&state, &actor, &owner).await? {
                continue;
            }
        }
        body.push(AuthKeyEnvelope {
            auth_key: AuthKeyView::new(key),
            user: Some(KeyOwner {
                id: key.user_id,
                email: email.clone(),
            }),
        });
    }
    Ok(HttpResponse::Ok().json(body))
}

/// One key the caller may see.
#[utoipa::path(get, path = "/auth_keys/view/{id}", tag = "Auth keys",
    params(("id" = String, Path)),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = AuthKeyEnvelope),
        (status = 403, description = "Authentication failed", body = ErrorBody),
        (status = 404, description = "`Invalid AuthKey.`", body = ErrorBody)))]
pub async fn view(
    state: web::Data<AppState>,
    actor: Authed,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (key, owner) = managed_key(&state, &actor, &id).await?;
    Ok(HttpResponse::Ok().json(envelope(&key, &owner)))
}

/// Edits a key's comment, allowed IPs, expiration or read-only flag.
#[utoipa::path(post, path = "/auth_keys/edit/{id}", tag = "Auth keys",
    params(("id" = String, Path)),
    request_body = AuthKeyInput,
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = AuthKeyEnvelope),
        (status = 400, description = "Body is not JSON", body = ErrorBody),
        (status = 403, description = "Read-only key, or validation failed", body = SaveFailedBody),
        (status = 404, description = "`Invalid AuthKey.`", body = ErrorBody)))]
pub async fn edit(
    state: web::Data<AppState>,
    actor: Authed<ManageKeys>,
    id: web::Path<String>,
    body: MispJson<AuthKeyInput>,
) -> ApiResult<HttpResponse> {
    let (key, owner) = managed_key(&state, &actor, &id).await?;
    let patch = body
        .0
        .patch()
        .map_err(|e| ApiError::save_failed("Could not edit auth_key", &e, Some(key.id)))?;
    let key = state
        .store
        .update_auth_key(key.id, &patch)
        .await
        .map_err(|e| ApiError::from_store(e, INVALID))?;
    Ok(HttpResponse::Ok().json(envelope(&key, &owner)))
}

/// Deletes (revokes) a key; it stops working at once on every node.
#[utoipa::path(post, path = "/auth_keys/delete/{id}", tag = "Auth keys",
    params(("id" = String, Path)),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = SuccessBody),
        (status = 403, description = "Read-only key", body = ErrorBody),
        (status = 404, description = "`Invalid AuthKey.`", body = ErrorBody)))]
pub async fn delete(
    state: web::Data<AppState>,
    actor: Authed<ManageKeys>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (key, _) = managed_key(&state, &actor, &id).await?;
    state
        .store
        .delete_auth_key(key.id)
        .await
        .map_err(|e| ApiError::from_store(e, INVALID))?;
    Ok(HttpResponse::Ok().json(success_body("AuthKey deleted.", Some(key.id))))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/auth_keys/add").route(web::post().to(add_own)))
        .service(resource("/auth_keys/add/{user_id}").route(web::post().to(add)))
        .service(resource("/auth_keys/index").route(web::get().to(index)))
        .service(resource("/auth_keys/index/{user_id}").route(web::get().to(index)))
        .service(resource("/auth_keys/view/{id}").route(web::get().to(view)))
        .service(
            resource("/auth_keys/edit/{id}")
                .route(web::post().to(edit))
                .route(web::put().to(edit)),
        )
        .service(
            resource("/auth_keys/delete/{id}")
                .route(web::post().to(delete))
                .route(web::delete().to(delete)),
        );
}
