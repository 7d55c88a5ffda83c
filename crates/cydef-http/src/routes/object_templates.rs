//! Object templates: the index, one template with its elements, and the
//! reload from the knowledge base (`CYDEF_KB_DIR`).

use actix_web::{web, HttpRequest, HttpResponse};
use cydef_model::object_template::{StoredObjectTemplate, TemplateElement, TemplateKey};
use cydef_model::{time_fmt, EntityRef};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{named, resource};
use crate::auth::{Authed, SiteAdmin};
use crate::error::{success_body, ApiError, ApiResult};
use crate::views::{ErrorBody, SaveFailedBody, SuccessBody};
use crate::wire::int_str;
use crate::AppState;

const INVALID_TEMPLATE: &str = "Invalid object template";

/// An object template as MISP shows it.
#[derive(Serialize, ToSchema)]
pub struct ObjectTemplateView {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub id: i64,
    /// Templates loaded from the knowledge base belong to no user (`"0"`).
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub user_id: i64,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub org_id: i64,
    pub uuid: String,
    pub name: String,
    #[serde(rename = "meta-category")]
    pub meta_category: String,
    pub description: String,
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub version: i64,
    /// `{"required": […], "requiredOneOf": […]}`, the lists the template has.
    #[schema(value_type = Object)]
    pub requirements: Value,
    pub fixed: bool,
    pub active: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ObjectTemplateEnvelope {
    #[serde(rename = "ObjectTemplate")]
    pub template: ObjectTemplateView,
}

/// One object relation of a template.
#[derive(Serialize, ToSchema)]
pub struct ObjectTemplateElementView {
    #[serde(serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub object_template_id: i64,
    pub object_relation: String,
    #[serde(rename = "type")]
    pub attr_type: String,
    #[serde(rename = "ui-priority", serialize_with = "int_str")]
    #[schema(value_type = String)]
    pub ui_priority: i64,
    pub categories: Vec<String>,
    pub sane_default: Vec<String>,
    pub values_list: Vec<String>,
    pub description: String,
    pub disable_correlation: Option<bool>,
    pub multiple: bool,
}

/// A template with its elements (`object_templates/view`).
#[derive(Serialize, ToSchema)]
pub struct ObjectTemplateDetail {
    #[serde(rename = "ObjectTemplate")]
    pub template: ObjectTemplateView,
    #[serde(rename = "ObjectTemplateElement")]
    pub elements: Vec<ObjectTemplateElementView>,
}

fn template_view(t: &StoredObjectTemplate) -> ObjectTemplateView {
    ObjectTemplateView {
        id: t.id,
        user_id: 0,
        org_id: 0,
        uuid: t.uuid.clone(),
        name: t.name.clone(),
        meta_category: t.meta_category.clone(),
        description: t.description.clone(),
        version: t.version,
        requirements: serde_json::from_str(&t.requirements)
            .unwrap_or_else(|_| Value::Object(Default::default())),
        fixed: t.fixed,
        active: t.active,
    }
}

fn element_view(template_id: i64, e: &TemplateElement) -> ObjectTemplateElementView {
    ObjectTemplateElementView {
        object_template_id: template_id,
        object_relation: e.object_relation.clone(),
        attr_type: e.attr_type.clone(),
        ui_priority: e.ui_priority,
        categories: e.categories.clone(),
        sane_default: e.sane_default.clone(),
        values_list: e.values_list.clone(),
        description: e.description.clone(),
        disable_correlation: e.disable_correlation,
        multiple: e.multiple,
    }
}

/// The active object templates, by name (site admins get inactive ones too
/// with `/object_templates/index/all`).
#[utoipa::path(get, path = "/object_templates/index", tag = "Objects",
    summary = "List object templates",
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = Vec<ObjectTemplateEnvelope>),
        (status = 403, description = "Authentication failed", body = ErrorBody)))]
pub async fn index(
    state: web::Data<AppState>,
    user: Authed,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let all = user.is_site_admin()
        && (req
            .match_info()
            .get("all")
            .is_some_and(|a| a == "all" || a == "1")
            || named(&req).get("all").is_some_and(|a| a == "1"));
    let templates = state.store.list_object_templates(all).await?;
    Ok(HttpResponse::Ok().json(
        templates
            .iter()
            .map(|t| ObjectTemplateEnvelope {
                template: template_view(t),
            })
            .collect::<Vec<_>>(),
    ))
}

/// One template, by id, UUID or name, with its elements.
#[utoipa::path(get, path = "/object_templates/view/{id}", tag = "Objects",
    summary = "View an object template with its elements",
    params(("id" = String, Path, description = "Template id, UUID or name")),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = ObjectTemplateDetail),
        (status = 403, description = "Authentication failed", body = ErrorBody),
        (status = 404, description = "`Invalid object template`", body = ErrorBody)))]
pub async fn view(
    state: web::Data<AppState>,
    _user: Authed,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let stored = match EntityRef::parse(&id) {
        Some(EntityRef::Id(n)) => state
            .store
            .get_object_template(n)
            .await
            .map_err(|e| ApiError::from_store(e, INVALID_TEMPLATE))?,
        Some(EntityRef::Uuid(u)) => state
            .store
            .find_object_template(&TemplateKey::Uuid(u.hyphenated().to_string()))
            .await?
            .ok_or_else(|| ApiError::not_found(INVALID_TEMPLATE))?,
        None => {
            let name = id.trim();
            if name.is_empty() {
                return Err(ApiError::not_found(INVALID_TEMPLATE));
            }
            state
                .store
                .find_object_template(&TemplateKey::Name(name.to_owned()))
                .await?
                .ok_or_else(|| ApiError::not_found(INVALID_TEMPLATE))?
        }
    };
    let template = stored.template().map_err(ApiError::Internal)?;
    Ok(HttpResponse::Ok().json(ObjectTemplateDetail {
        template: template_view(&stored),
        elements: template
            .elements
            .iter()
            .map(|e| element_view(stored.id, e))
            .collect(),
    }))
}

/// Reloads the object templates from the knowledge base (site admins): new
/// templates are added, higher versions replace lower ones.
#[utoipa::path(post, path = "/object_templates/update", tag = "Objects",
    summary = "Reload object templates from the knowledge base",
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "`Successfully updated N object templates.` or `All object templates are up to date already.`", body = SuccessBody),
        (status = 403, description = "Not a site admin, or no knowledge base is configured", body = SaveFailedBody)))]
pub async fn update(
    state: web::Data<AppState>,
    _user: Authed<SiteAdmin>,
) -> ApiResult<HttpResponse> {
    let fail = |msg: String| {
        ApiError::save_failed_with("Could not update ObjectTemplate", Value::String(msg), None)
    };
    let Some(kb_dir) = state.config.kb_dir.clone() else {
        return Err(fail(
            "No knowledge base directory is configured (CYDEF_KB_DIR).".to_owned(),
        ));
    };
    let read = web::block(move || cydef_store::kb::read_object_templates(&kb_dir))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let (dir, _, templates, skipped) =
        read.map_err(|e| fail(format!("Could not read the object templates: {e}")))?;
    for s in &skipped {
        tracing::warn!(file = %s.path.display(), reason = %s.reason, "object template skipped");
    }
    let load = state
        .store
        .upsert_object_templates(&templates, time_fmt::now())
        .await?;
    tracing::info!(dir = %dir.display(), inserted = load.inserted, updated = load.updated,
        unchanged = load.unchanged, "object templates updated");
    let changed = load.inserted + load.updated;
    let mut message = if changed == 0 {
        "All object templates are up to date already.".to_owned()
    } else {
        format!("Successfully updated {changed} object templates.")
    };
    if !skipped.is_empty() {
        message.push_str(&format!(
            " However, could not update {} object templates.",
            skipped.len()
        ));
    }
    Ok(HttpResponse::Ok().json(success_body(&message, None)))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/object_templates/index").route(web::get().to(index)))
        .service(resource("/object_templates/index/{all}").route(web::get().to(index)))
        .service(resource("/object_templates/view/{id}").route(web::get().to(view)))
        .service(resource("/object_templates/update").route(web::post().to(update)));
}
