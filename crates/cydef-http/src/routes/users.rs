//! Users: `users/view/me`, `admin/users/index|view|add|edit|delete`.
//!
//! Site admins manage every user. Org admins manage the users of their own
//! organisation only, cannot touch site admins and cannot hand out roles that
//! carry site-admin, sync or regexp rights, as in MISP.

use actix_web::{web, HttpRequest, HttpResponse};
use cydef_model::role::{Permission, Role};
use cydef_model::user::normalise_email;
use cydef_model::{password, ApiKey, EntityRef, NewUser, User};
use cydef_store::StoreError;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{named, resource};
use crate::auth::{AuthUser, Authed, OrgAdmin};
use crate::error::{success_body, ApiError, ApiResult};
use crate::views::{
    ErrorBody, OrgBrief, OrganisationView, RoleBrief, RoleView, SaveFailedBody, SuccessBody,
    UserDetail, UserEnvelope, UserIndexEntry, UserView,
};
use crate::wire::{flex_bool, flex_i64, flex_string, MispJson, Wrapped};
use crate::AppState;

const INVALID: &str = "Invalid user";
const CANNOT_ASSIGN: &str = "You are not authorised to assign that role to a user.";

/// The writable fields of a user. Absent fields keep their value on edit and
/// take MISP's defaults on add. Unknown fields are ignored, as MISP does.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct UserInput {
    #[serde(default, deserialize_with = "flex_string")]
    pub email: Option<String>,
    /// Defaults to the caller's organisation.
    #[serde(default, deserialize_with = "flex_i64")]
    #[schema(value_type = Option<String>)]
    pub org_id: Option<i64>,
    /// Defaults to the default role (3, User).
    #[serde(default, deserialize_with = "flex_i64")]
    #[schema(value_type = Option<String>)]
    pub role_id: Option<i64>,
    /// Enables the JWT login; MISP's password policy applies.
    #[serde(default, deserialize_with = "flex_string")]
    pub password: Option<String>,
    #[serde(default, deserialize_with = "flex_bool")]
    #[schema(value_type = Option<bool>)]
    pub disabled: Option<bool>,
    #[serde(default, deserialize_with = "flex_bool")]
    #[schema(value_type = Option<bool>)]
    pub autoalert: Option<bool>,
    #[serde(default, deserialize_with = "flex_bool")]
    #[schema(value_type = Option<bool>)]
    pub contactalert: Option<bool>,
    #[serde(default, deserialize_with = "flex_bool")]
    #[schema(value_type = Option<bool>)]
    pub termsaccepted: Option<bool>,
    #[serde(default, deserialize_with = "flex_bool")]
    #[schema(value_type = Option<bool>)]
    pub change_pw: Option<bool>,
    #[serde(default, deserialize_with = "flex_string")]
    pub gpgkey: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    pub certif_public: Option<String>,
    #[serde(default, deserialize_with = "flex_i64")]
    #[schema(value_type = Option<String>)]
    pub nids_sid: Option<i64>,
    /// Epoch seconds after which the account is disabled.
    #[serde(default, deserialize_with = "flex_i64")]
    #[schema(value_type = Option<String>)]
    pub expiration: Option<i64>,
    #[serde(default, deserialize_with = "flex_bool")]
    #[schema(value_type = Option<bool>)]
    pub notification_daily: Option<bool>,
    #[serde(default, deserialize_with = "flex_bool")]
    #[schema(value_type = Option<bool>)]
    pub notification_weekly: Option<bool>,
    #[serde(default, deserialize_with = "flex_bool")]
    #[schema(value_type = Option<bool>)]
    pub notification_monthly: Option<bool>,
}

impl Wrapped for UserInput {
    const WRAPPER: &'static str = "User";
}

fn as_new(u: &User) -> NewUser {
    NewUser {
        org_id: u.org_id,
        role_id: u.role_id,
        email: u.email.clone(),
        disabled: u.disabled,
        autoalert: u.autoalert,
        contactalert: u.contactalert,
        termsaccepted: u.termsaccepted,
        change_pw: u.change_pw,
        invited_by: u.invited_by,
        gpgkey: u.gpgkey.clone(),
        certif_public: u.certif_public.clone(),
        nids_sid: u.nids_sid,
        expiration: u.expiration,
        notification_daily: u.notification_daily,
        notification_weekly: u.notification_weekly,
        notification_monthly: u.notification_monthly,
        password_hash: None,
    }
}

/// Applies the input over `base`, validating and hashing the password.
async fn merge(
    input: UserInput,
    mut base: NewUser,
    errors: &mut Vec<(&'static str, String)>,
) -> NewUser {
    if let Some(email) = input.email {
        match normalise_email(&email) {
            Ok(e) => base.email = e,
            Err(m) => errors.push(("email", m.to_owned())),
        }
    }
    if base.email.is_empty() && !errors.iter().any(|(f, _)| *f == "email") {
        errors.push(("email", "Mandatory field not set.".to_owned()));
    }
    if let Some(v) = input.org_id {
        base.org_id = v;
    }
    if let Some(v) = input.role_id {
        base.role_id = v;
    }
    macro_rules! set {
        ($($f:ident),*) => { $( if let Some(v) = input.$f { base.$f = v; } )* };
    }
    set!(
        disabled,
        autoalert,
        contactalert,
        termsaccepted,
        change_pw,
        gpgkey,
        certif_public,
        nids_sid,
        notification_daily,
        notification_weekly,
        notification_monthly
    );
    if let Some(e) = input.expiration {
        base.expiration = (e > 0).then_some(e);
    }
    if let Some(pw) = input.password.filter(|p| !p.is_empty()) {
        match password::check_policy(&pw) {
            Ok(()) => match web::block(move || password::hash(&pw)).await {
                Ok(Ok(h)) => base.password_hash = Some(h),
                _ => errors.push(("password", "The password could not be stored.".to_owned())),
            },
            Err(m) => errors.push(("password", m.to_owned())),
        }
    }
    base
}

/// Loads a user `actor` may administer; anything else is `Invalid user`.
async fn managed_user(state: &AppState, actor: &AuthUser, id: &str) -> ApiResult<(User, Role)> {
    let id = id
        .parse::<i64>()
        .map_err(|_| ApiError::not_found(INVALID))?;
    let user = state
        .store
        .get_user(id)
        .await
        .map_err(|e| ApiError::from_store(e, INVALID))?;
    let role = state.store.get_role(user.role_id).await?;
    if !actor.may_administer(&user, &role) {
        return Err(ApiError::not_found(INVALID));
    }
    Ok((user, role))
}

async fn detail(state: &AppState, user: &User) -> ApiResult<UserDetail> {
    let role = state.store.get_role(user.role_id).await?;
    let org = state.store.get_org(EntityRef::Id(user.org_id)).await?;
    Ok(UserDetail {
        user: UserView::new(user),
        role: RoleView::new(&role),
        user_setting: Vec::new(),
        organisation: OrganisationView::new(&org, false, None),
    })
}

fn save_error(e: StoreError, action: &str, id: Option<i64>) -> ApiError {
    let message = format!("Could not {action} User");
    match e {
        StoreError::Conflict(_) => ApiError::save_failed(
            message,
            &[(
                "email",
                "An account with this email address already exists.".into(),
            )],
            id,
        ),
        StoreError::InvalidReference("role_id") => {
            ApiError::save_failed(message, &[("role_id", "Invalid role".into())], id)
        }
        StoreError::InvalidReference(_) => {
            ApiError::save_failed_with(message, serde_json::json!(["Invalid organisation"]), id)
        }
        other => ApiError::from_store(other, INVALID),
    }
}

/// Checks the organisation and role of a user about to be saved.
async fn check_refs(
    state: &AppState,
    actor: &AuthUser,
    new: &NewUser,
    action: &str,
    id: Option<i64>,
) -> ApiResult<()> {
    let message = format!("Could not {action} User");
    if !actor.is_site_admin() && new.org_id != actor.org.id {
        return Err(ApiError::save_failed_with(
            message,
            serde_json::json!(["Invalid organisation"]),
            id,
        ));
    }
    if state
        .store
        .get_org(EntityRef::Id(new.org_id))
        .await
        .is_err()
    {
        return Err(ApiError::save_failed_with(
            message,
            serde_json::json!(["Invalid organisation"]),
            id,
        ));
    }
    let role = match state.store.get_role(new.role_id).await {
        Ok(r) => r,
        Err(StoreError::NotFound) => {
            return Err(ApiError::save_failed(
                message,
                &[("role_id", "Invalid role".into())],
                id,
            ))
        }
        Err(e) => return Err(e.into()),
    };
    if !actor.may_assign(&role) {
        return Err(ApiError::forbidden(CANNOT_ASSIGN));
    }
    Ok(())
}

/// The caller (`me`) or, for site admins, any user, with role, settings and
/// organisation. PyMISP calls this on connect.
#[utoipa::path(get, path = "/users/view/{id}", tag = "Users",
    params(("id" = String, Path, description = "`me` or a numeric id")),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = UserDetail),
        (status = 403, description = "Authentication failed", body = ErrorBody),
        (status = 404, description = "`Invalid user`", body = ErrorBody)))]
pub async fn view_me(
    state: web::Data<AppState>,
    actor: Authed,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let user = if id.as_str() == "me" || id.parse::<i64>().ok() == Some(actor.user.id) {
        actor.user.clone()
    } else if actor.is_site_admin() {
        let id = id
            .parse::<i64>()
            .map_err(|_| ApiError::not_found(INVALID))?;
        state
            .store
            .get_user(id)
            .await
            .map_err(|e| ApiError::from_store(e, INVALID))?
    } else {
        return Err(ApiError::not_found("Invalid user or not authorised."));
    };
    Ok(HttpResponse::Ok().json(detail(&state, &user).await?))
}

/// A user the caller administers.
#[utoipa::path(get, path = "/admin/users/view/{id}", tag = "Users",
    params(("id" = String, Path)),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = UserDetail),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "`Invalid user`", body = ErrorBody)))]
pub async fn admin_view(
    state: web::Data<AppState>,
    actor: Authed<OrgAdmin>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (user, _) = managed_user(&state, &actor, &id).await?;
    Ok(HttpResponse::Ok().json(detail(&state, &user).await?))
}

/// Users the caller administers: all for site admins, their organisation's
/// for org admins. Named parameters `searchorg:`, `searchemail:`, `value:` filter.
#[utoipa::path(get, path = "/admin/users/index", tag = "Users",
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = Vec<UserIndexEntry>),
        (status = 403, description = "Not an admin", body = ErrorBody)))]
pub async fn index(
    state: web::Data<AppState>,
    actor: Authed<OrgAdmin>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let params = named(&req);
    let org_filter = if actor.is_site_admin() {
        params.get("searchorg").and_then(|s| s.parse::<i64>().ok())
    } else {
        Some(actor.org.id)
    };
    let email_filter = params
        .get("searchemail")
        .or_else(|| params.get("value"))
        .map(str::to_lowercase);
    let users = state.store.list_users(org_filter).await?;
    let roles = state.store.list_roles().await?;
    let orgs = state
        .store
        .list_orgs(cydef_store::OrgScope::All, None)
        .await?;
    let body: Vec<_> = users
        .iter()
        .filter(|u| email_filter.as_deref().is_none_or(|f| u.email.contains(f)))
        .filter_map(|u| {
            let role = roles.iter().find(|r| r.id == u.role_id)?;
            let (org, _) = orgs.iter().find(|(o, _)| o.id == u.org_id)?;
            Some(UserIndexEntry {
                user: UserView::new(u),
                role: RoleBrief {
                    id: role.id,
                    name: role.name.clone(),
                    perm_auth: role.has(Permission::Auth),
                    perm_site_admin: role.has(Permission::SiteAdmin),
                    perm_admin: role.has(Permission::Admin),
                },
                organisation: OrgBrief {
                    id: org.id,
                    name: org.name.clone(),
                },
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

/// Creates a user and its first API key, returned once in plaintext as
/// `User.authkey`.
#[utoipa::path(post, path = "/admin/users/add", tag = "Users",
    request_body = UserInput,
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = UserEnvelope),
        (status = 400, description = "Body is not JSON", body = ErrorBody),
        (status = 403, description = "Not an admin, or validation failed (duplicate e-mail, unknown organisation or role)", body = SaveFailedBody)))]
pub async fn add(
    state: web::Data<AppState>,
    actor: Authed<OrgAdmin>,
    body: MispJson<UserInput>,
) -> ApiResult<HttpResponse> {
    let default_role = state
        .store
        .list_roles()
        .await?
        .iter()
        .find(|r| r.default_role)
        .map_or(cydef_model::role::ids::USER, |r| r.id);
    let base = NewUser {
        org_id: actor.org.id,
        role_id: default_role,
        invited_by: actor.user.id,
        change_pw: false,
        nids_sid: 4_000_000,
        ..Default::default()
    };
    let mut errors = Vec::new();
    let new = merge(body.0, base, &mut errors).await;
    if !errors.is_empty() {
        return Err(ApiError::save_failed("Could not add User", &errors, None));
    }
    check_refs(&state, &actor, &new, "add", None).await?;
    let key = ApiKey::generate();
    let user = state
        .store
        .create_user_with_key(&new, &key)
        .await
        .map_err(|e| save_error(e, "add", None))?;
    let mut view = UserView::new(&user);
    view.authkey = Some(key.expose().to_owned());
    Ok(HttpResponse::Ok().json(UserEnvelope { user: view }))
}

/// Edits a user the caller administers; absent fields keep their values.
#[utoipa::path(post, path = "/admin/users/edit/{id}", tag = "Users",
    params(("id" = String, Path)),
    request_body = UserInput,
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = UserEnvelope),
        (status = 400, description = "Body is not JSON", body = ErrorBody),
        (status = 403, description = "Not an admin, or validation failed", body = SaveFailedBody),
        (status = 404, description = "`Invalid user`", body = ErrorBody)))]
pub async fn edit(
    state: web::Data<AppState>,
    actor: Authed<OrgAdmin>,
    id: web::Path<String>,
    body: MispJson<UserInput>,
) -> ApiResult<HttpResponse> {
    let (current, _) = managed_user(&state, &actor, &id).await?;
    let mut errors = Vec::new();
    let new = merge(body.0, as_new(&current), &mut errors).await;
    if !errors.is_empty() {
        return Err(ApiError::save_failed(
            "Could not edit User",
            &errors,
            Some(current.id),
        ));
    }
    check_refs(&state, &actor, &new, "edit", Some(current.id)).await?;
    if current.id == actor.user.id && new.role_id != current.role_id && !actor.is_site_admin() {
        return Err(ApiError::forbidden(CANNOT_ASSIGN));
    }
    let user = state
        .store
        .update_user(current.id, &new)
        .await
        .map_err(|e| save_error(e, "edit", Some(current.id)))?;
    Ok(HttpResponse::Ok().json(UserEnvelope {
        user: UserView::new(&user),
    }))
}

/// Deletes a user the caller administers, with its API keys. Nobody can
/// delete their own account.
#[utoipa::path(post, path = "/admin/users/delete/{id}", tag = "Users",
    params(("id" = String, Path)),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = SuccessBody),
        (status = 403, description = "Not an admin, or deleting oneself", body = ErrorBody),
        (status = 404, description = "`Invalid user`", body = ErrorBody)))]
pub async fn delete(
    state: web::Data<AppState>,
    actor: Authed<OrgAdmin>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (user, _) = managed_user(&state, &actor, &id).await?;
    if user.id == actor.user.id {
        return Err(ApiError::forbidden("You cannot delete yourself."));
    }
    state
        .store
        .delete_user(user.id)
        .await
        .map_err(|e| ApiError::from_store(e, INVALID))?;
    Ok(HttpResponse::Ok().json(success_body("User deleted.", Some(user.id))))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/users/view/{id}").route(web::get().to(view_me)))
        .service(resource("/admin/users/view/{id}").route(web::get().to(admin_view)))
        .service(resource("/admin/users/index").route(web::get().to(index)))
        .service(resource("/admin/users/add").route(web::post().to(add)))
        .service(
            resource("/admin/users/edit/{id}")
                .route(web::post().to(edit))
                .route(web::put().to(edit)),
        )
        .service(
            resource("/admin/users/delete/{id}")
                .route(web::post().to(delete))
                .route(web::delete().to(delete)),
        );
}
