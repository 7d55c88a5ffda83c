//! Roles: `roles/index|view`, `admin/roles/add|edit|delete`.

use actix_web::{web, HttpResponse};
use cydef_model::role::{Permission, PermissionSet, Role};
use cydef_model::time_fmt;
use cydef_store::StoreError;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::resource;
use crate::auth::{Authed, SiteAdmin};
use crate::error::{success_body, ApiError, ApiResult};
use crate::views::{ErrorBody, RoleEnvelope, RoleView, SaveFailedBody, SuccessBody};
use crate::wire::{value_to_bool, value_to_i64, MispJson, Wrapped};
use crate::AppState;

const INVALID: &str = "Invalid Role.";

/// A role's fields: `name`, any `perm_*` flag, `default_role`,
/// `memory_limit`, `max_execution_time`, `restricted_to_site_admin`,
/// `enforce_rate_limit`, `rate_limit_count`, and `permission` (0–3, MISP's
/// shortcut that sets perm_add, perm_modify, perm_modify_org and perm_publish).
/// Absent fields keep their value on edit and are off on add.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(value_type = Object)]
pub struct RoleInput(Map<String, Value>);

impl Wrapped for RoleInput {
    const WRAPPER: &'static str = "Role";
}

impl RoleInput {
    fn apply(self, mut role: Role) -> Result<Role, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let flag = |key: &'static str, v: &Value, errors: &mut Vec<(&'static str, String)>| {
            match value_to_bool(v) {
                Ok(b) => b,
                Err(e) => {
                    errors.push((key, e));
                    None
                }
            }
        };
        let mut perms: PermissionSet = role.perms;
        for p in Permission::ALL {
            if let Some(v) = self.0.get(p.name()) {
                if let Some(b) = flag(p.name(), v, &mut errors) {
                    perms = perms.with(*p, b);
                }
            }
        }
        role.perms = perms;
        if let Some(v) = self.0.get("name") {
            match v.as_str().map(str::trim) {
                Some(n) if !n.is_empty() && n.chars().count() <= 100 => {
                    n.clone_into(&mut role.name)
                }
                _ => errors.push(("name", "Name cannot be empty.".to_owned())),
            }
        }
        if role.name.is_empty() && !errors.iter().any(|(f, _)| *f == "name") {
            errors.push(("name", "Name cannot be empty.".to_owned()));
        }
        for (key, target) in [
            ("default_role", &mut role.default_role),
            (
                "restricted_to_site_admin",
                &mut role.restricted_to_site_admin,
            ),
            ("enforce_rate_limit", &mut role.enforce_rate_limit),
        ] {
            if let Some(v) = self.0.get(key) {
                if let Some(b) = flag(key, v, &mut errors) {
                    *target = b;
                }
            }
        }
        if let Some(v) = self.0.get("rate_limit_count") {
            match value_to_i64(v) {
                Ok(n) => role.rate_limit_count = n.unwrap_or(0).max(0),
                Err(e) => errors.push(("rate_limit_count", e)),
            }
        }
        if let Some(v) = self.0.get("memory_limit").and_then(Value::as_str) {
            v.clone_into(&mut role.memory_limit);
        }
        if let Some(v) = self.0.get("max_execution_time") {
            match value_to_i64(v) {
                Ok(n) => role.max_execution_time = n.map(|n| n.to_string()).unwrap_or_default(),
                Err(e) => errors.push(("max_execution_time", e)),
            }
        }
        // `permission` is applied last so it wins over the four flags, as in MISP.
        if let Some(v) = self.0.get("permission") {
            let level = match v.as_str() {
                Some("read_only") => Some(0),
                Some("manage_own") => Some(1),
                Some("manage_org") => Some(2),
                Some("publish") => Some(3),
                _ => value_to_i64(v).ok().flatten(),
            };
            match level {
                Some(l @ 0..=3) => role.apply_permission_level(l as u8),
                _ => errors.push(("permission", "Permission must be 0, 1, 2 or 3.".to_owned())),
            }
        }
        if errors.is_empty() {
            Ok(role)
        } else {
            Err(errors)
        }
    }
}

fn blank_role() -> Role {
    let now = time_fmt::now();
    Role {
        id: 0,
        name: String::new(),
        created: now,
        modified: now,
        perms: PermissionSet::default(),
        default_role: false,
        memory_limit: String::new(),
        max_execution_time: String::new(),
        restricted_to_site_admin: false,
        enforce_rate_limit: false,
        rate_limit_count: 0,
    }
}

fn save_error(e: StoreError, action: &str, id: Option<i64>) -> ApiError {
    match e {
        StoreError::Conflict(_) => ApiError::save_failed(
            format!("Could not {action} Role"),
            &[("name", "A role with this name already exists.".into())],
            id,
        ),
        other => ApiError::from_store(other, INVALID),
    }
}

/// Every role, each flagged `default` when new users get it.
#[utoipa::path(get, path = "/roles/index", tag = "Roles",
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "A list of `{\"Role\": …}`", body = Vec<RoleEnvelope>),
        (status = 403, description = "Authentication failed", body = ErrorBody)))]
pub async fn index(state: web::Data<AppState>, _user: Authed) -> ApiResult<HttpResponse> {
    let roles = state.store.list_roles().await?;
    let body: Vec<_> = roles
        .iter()
        .map(|r| {
            let mut role = RoleView::new(r);
            role.default = Some(r.default_role);
            RoleEnvelope { role }
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

/// One role.
#[utoipa::path(get, path = "/roles/view/{id}", tag = "Roles",
    params(("id" = String, Path)),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = RoleEnvelope),
        (status = 403, description = "Authentication failed", body = ErrorBody),
        (status = 404, description = "`Invalid Role.`", body = ErrorBody)))]
pub async fn view(
    state: web::Data<AppState>,
    _user: Authed,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let role = get(&state, &id).await?;
    Ok(HttpResponse::Ok().json(RoleEnvelope {
        role: RoleView::new(&role),
    }))
}

async fn get(state: &AppState, id: &str) -> ApiResult<Role> {
    let id = id
        .parse::<i64>()
        .map_err(|_| ApiError::not_found(INVALID))?;
    state
        .store
        .get_role(id)
        .await
        .map_err(|e| ApiError::from_store(e, INVALID))
}

/// Creates a role (site admins).
#[utoipa::path(post, path = "/admin/roles/add", tag = "Roles",
    request_body = RoleInput,
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = RoleEnvelope),
        (status = 400, description = "Body is not JSON", body = ErrorBody),
        (status = 403, description = "Not a site admin, or validation failed", body = SaveFailedBody)))]
pub async fn add(
    state: web::Data<AppState>,
    _user: Authed<SiteAdmin>,
    body: MispJson<RoleInput>,
) -> ApiResult<HttpResponse> {
    let role = body
        .0
        .apply(blank_role())
        .map_err(|e| ApiError::save_failed("Could not add Role", &e, None))?;
    let role = state
        .store
        .create_role(&role)
        .await
        .map_err(|e| save_error(e, "add", None))?;
    Ok(HttpResponse::Ok().json(RoleEnvelope {
        role: RoleView::new(&role),
    }))
}

/// Edits a role (site admins); absent fields keep their values.
#[utoipa::path(post, path = "/admin/roles/edit/{id}", tag = "Roles",
    params(("id" = String, Path)),
    request_body = RoleInput,
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = RoleEnvelope),
        (status = 400, description = "Body is not JSON", body = ErrorBody),
        (status = 403, description = "Not a site admin, or validation failed", body = SaveFailedBody),
        (status = 404, description = "`Invalid Role.`", body = ErrorBody)))]
pub async fn edit(
    state: web::Data<AppState>,
    _user: Authed<SiteAdmin>,
    id: web::Path<String>,
    body: MispJson<RoleInput>,
) -> ApiResult<HttpResponse> {
    let current = get(&state, &id).await?;
    let id = current.id;
    let mut role = body
        .0
        .apply(current)
        .map_err(|e| ApiError::save_failed("Could not edit Role", &e, Some(id)))?;
    role.modified = time_fmt::now();
    let role = state
        .store
        .update_role(&role)
        .await
        .map_err(|e| save_error(e, "edit", Some(id)))?;
    Ok(HttpResponse::Ok().json(RoleEnvelope {
        role: RoleView::new(&role),
    }))
}

/// Deletes a role no user has (site admins).
#[utoipa::path(post, path = "/admin/roles/delete/{id}", tag = "Roles",
    params(("id" = String, Path)),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = SuccessBody),
        (status = 403, description = "Not a site admin, or users still have the role", body = SaveFailedBody),
        (status = 404, description = "`Invalid Role.`", body = ErrorBody)))]
pub async fn delete(
    state: web::Data<AppState>,
    _user: Authed<SiteAdmin>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let role = get(&state, &id).await?;
    match state.store.delete_role(role.id).await {
        Ok(()) => Ok(HttpResponse::Ok().json(success_body("Role deleted.", Some(role.id)))),
        Err(StoreError::InUse(_)) => Err(ApiError::save_failed_with(
            "Could not delete Role",
            Value::String("It is not possible to delete role that is assigned to users.".into()),
            Some(role.id),
        )),
        Err(e) => Err(ApiError::from_store(e, INVALID)),
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/roles/index").route(web::get().to(index)))
        .service(resource("/roles/view/{id}").route(web::get().to(view)))
        .service(resource("/admin/roles/add").route(web::post().to(add)))
        .service(
            resource("/admin/roles/edit/{id}")
                .route(web::post().to(edit))
                .route(web::put().to(edit)),
        )
        .service(
            resource("/admin/roles/delete/{id}")
                .route(web::post().to(delete))
                .route(web::delete().to(delete)),
        );
}
