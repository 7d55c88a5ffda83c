//! Organisations: `organisations/index|view`, `admin/organisations/add|edit|delete`.

use actix_web::{web, HttpRequest, HttpResponse};
use cydef_model::{EntityRef, NewOrganisation, Organisation};
use cydef_store::{OrgScope, StoreError};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{named, resource};
use crate::auth::{Authed, SiteAdmin};
use crate::error::{success_body, ApiError, ApiResult};
use crate::views::{
    ErrorBody, OrganisationEnvelope, OrganisationView, SaveFailedBody, SuccessBody,
};
use crate::wire::{flex_bool, flex_string, flex_string_list, MispJson, Wrapped};
use crate::AppState;

const INVALID: &str = "Invalid organisation";

/// The writable fields of an organisation; absent fields keep their value on
/// edit and take MISP's defaults on add. Unknown fields are ignored, as MISP does.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct OrganisationInput {
    #[serde(default, deserialize_with = "flex_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    pub uuid: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    pub description: Option<String>,
    #[serde(default, rename = "type", deserialize_with = "flex_string")]
    pub org_type: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    pub nationality: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    pub sector: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    pub contacts: Option<String>,
    /// Defaults to true (a local organisation) on add.
    #[serde(default, deserialize_with = "flex_bool")]
    #[schema(value_type = Option<bool>)]
    pub local: Option<bool>,
    /// A list of domains, or one string with one domain per line.
    #[serde(default, deserialize_with = "flex_string_list")]
    pub restricted_to_domain: Option<Vec<String>>,
    #[serde(default, deserialize_with = "flex_string")]
    pub landingpage: Option<String>,
}

impl Wrapped for OrganisationInput {
    const WRAPPER: &'static str = "Organisation";
}

impl OrganisationInput {
    fn apply(self, base: NewOrganisation) -> NewOrganisation {
        NewOrganisation {
            uuid: self.uuid.or(base.uuid),
            name: self.name.unwrap_or(base.name),
            description: self.description.unwrap_or(base.description),
            org_type: self.org_type.unwrap_or(base.org_type),
            nationality: self.nationality.unwrap_or(base.nationality),
            sector: self.sector.unwrap_or(base.sector),
            contacts: self.contacts.unwrap_or(base.contacts),
            local: self.local.unwrap_or(base.local),
            restricted_to_domain: self
                .restricted_to_domain
                .unwrap_or(base.restricted_to_domain),
            landingpage: self.landingpage.unwrap_or(base.landingpage),
        }
    }
}

fn as_new(o: &Organisation) -> NewOrganisation {
    NewOrganisation {
        uuid: Some(o.uuid.clone()),
        name: o.name.clone(),
        description: o.description.clone(),
        org_type: o.org_type.clone(),
        nationality: o.nationality.clone(),
        sector: o.sector.clone(),
        contacts: o.contacts.clone(),
        local: o.local,
        restricted_to_domain: o.restricted_to_domain.clone(),
        landingpage: o.landingpage.clone(),
    }
}

/// Finds an organisation by id, UUID or (as MISP's view allows) name.
async fn find(state: &AppState, key: &str) -> ApiResult<Organisation> {
    match EntityRef::parse(key) {
        Some(r) => state
            .store
            .get_org(r)
            .await
            .map_err(|e| ApiError::from_store(e, INVALID)),
        None => state
            .store
            .find_org_by_name(&crate::normalize::percent_decode(key))
            .await?
            .ok_or_else(|| ApiError::not_found(INVALID)),
    }
}

fn save_error(e: StoreError, action: &str, id: Option<i64>) -> ApiError {
    let message = format!("Could not {action} Organisation");
    match e {
        StoreError::Conflict("uuid") => ApiError::save_failed(
            message,
            &[(
                "uuid",
                "An organisation with this UUID already exists.".into(),
            )],
            id,
        ),
        StoreError::Conflict(_) => ApiError::save_failed(
            message,
            &[(
                "name",
                "An organisation with this name already exists.".into(),
            )],
            id,
        ),
        StoreError::NotFound => ApiError::not_found(INVALID),
        other => ApiError::from(other),
    }
}

fn validation_error(
    errors: Vec<(&'static str, String)>,
    action: &str,
    id: Option<i64>,
) -> ApiError {
    ApiError::save_failed(format!("Could not {action} Organisation"), &errors, id)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct IndexParams {
    /// `local` (default), `external` or `all`; also as a named parameter `scope:all`.
    pub scope: Option<String>,
    /// Substring of name, description, UUID, sector, nationality or type; also `searchall:…`.
    pub searchall: Option<String>,
}

/// Lists organisations with their user counts, ordered by name.
#[utoipa::path(get, path = "/organisations/index", tag = "Organisations",
    params(IndexParams),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, description = "A list of `{\"Organisation\": …}`", body = Vec<OrganisationEnvelope>),
        (status = 403, description = "Authentication failed", body = ErrorBody)))]
pub async fn index(
    state: web::Data<AppState>,
    user: Authed,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let params = named(&req);
    let scope = match params.get("scope").map(str::to_ascii_lowercase).as_deref() {
        Some("external") => OrgScope::External,
        Some("all") => OrgScope::All,
        _ => OrgScope::Local,
    };
    let search = params
        .get("searchall")
        .or_else(|| params.get("quickFilter"))
        .filter(|s| !s.is_empty());
    let orgs = state.store.list_orgs(scope, search).await?;
    let show_creator = user.is_site_admin();
    let body: Vec<_> = orgs
        .iter()
        .map(|(o, count)| OrganisationEnvelope {
            organisation: OrganisationView::new(o, show_creator, Some(*count)),
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

/// One organisation by id, UUID or name. `HEAD` answers 200 or 404 with no body.
#[utoipa::path(get, path = "/organisations/view/{id}", tag = "Organisations",
    params(("id" = String, Path, description = "Numeric id, UUID or name")),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = OrganisationEnvelope),
        (status = 403, description = "Authentication failed", body = ErrorBody),
        (status = 404, description = "`Invalid organisation`", body = ErrorBody)))]
pub async fn view(
    state: web::Data<AppState>,
    user: Authed,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let org = find(&state, &id).await?;
    let count = state.store.org_user_count(org.id).await?;
    let full = user.is_site_admin() || (user.is_admin() && user.org.id == org.id);
    Ok(HttpResponse::Ok().json(OrganisationEnvelope {
        organisation: OrganisationView::new(&org, full, Some(count)),
    }))
}

async fn head(state: web::Data<AppState>, _user: Authed, id: web::Path<String>) -> HttpResponse {
    match find(&state, &id).await {
        Ok(_) => HttpResponse::Ok().finish(),
        Err(_) => HttpResponse::NotFound().finish(),
    }
}

/// Creates an organisation (site admins).
#[utoipa::path(post, path = "/admin/organisations/add", tag = "Organisations",
    request_body = OrganisationInput,
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = OrganisationEnvelope),
        (status = 400, description = "Body is not JSON", body = ErrorBody),
        (status = 403, description = "Not a site admin, or validation failed (`saved: false`)", body = SaveFailedBody)))]
pub async fn add(
    state: web::Data<AppState>,
    user: Authed<SiteAdmin>,
    body: MispJson<OrganisationInput>,
) -> ApiResult<HttpResponse> {
    let base = NewOrganisation {
        local: true,
        ..Default::default()
    };
    let new = body
        .0
        .apply(base)
        .validate()
        .map_err(|e| validation_error(e, "add", None))?;
    let org = state
        .store
        .create_org(&new, user.user.id)
        .await
        .map_err(|e| save_error(e, "add", None))?;
    Ok(HttpResponse::Ok().json(OrganisationEnvelope {
        organisation: OrganisationView::new(&org, true, None),
    }))
}

/// Edits an organisation (site admins); absent fields keep their values.
#[utoipa::path(post, path = "/admin/organisations/edit/{id}", tag = "Organisations",
    params(("id" = String, Path, description = "Numeric id or UUID")),
    request_body = OrganisationInput,
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = OrganisationEnvelope),
        (status = 400, description = "Body is not JSON", body = ErrorBody),
        (status = 403, description = "Not a site admin, or validation failed", body = SaveFailedBody),
        (status = 404, description = "`Invalid organisation`", body = ErrorBody)))]
pub async fn edit(
    state: web::Data<AppState>,
    _user: Authed<SiteAdmin>,
    id: web::Path<String>,
    body: MispJson<OrganisationInput>,
) -> ApiResult<HttpResponse> {
    let current = match EntityRef::parse(&id) {
        Some(r) => state
            .store
            .get_org(r)
            .await
            .map_err(|e| ApiError::from_store(e, INVALID))?,
        None => return Err(ApiError::not_found(INVALID)),
    };
    let new = body
        .0
        .apply(as_new(&current))
        .validate()
        .map_err(|e| validation_error(e, "edit", Some(current.id)))?;
    let org = state
        .store
        .update_org(current.id, &new)
        .await
        .map_err(|e| save_error(e, "edit", Some(current.id)))?;
    Ok(HttpResponse::Ok().json(OrganisationEnvelope {
        organisation: OrganisationView::new(&org, true, None),
    }))
}

/// Deletes an organisation that has no users left (site admins).
#[utoipa::path(post, path = "/admin/organisations/delete/{id}", tag = "Organisations",
    params(("id" = String, Path, description = "Numeric id or UUID")),
    security(("ApiKey" = []), ("Bearer" = [])),
    responses(
        (status = 200, body = SuccessBody),
        (status = 403, description = "Not a site admin, or the organisation still has users", body = SaveFailedBody),
        (status = 404, description = "`Invalid organisation`", body = ErrorBody)))]
pub async fn delete(
    state: web::Data<AppState>,
    user: Authed<SiteAdmin>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let org = match EntityRef::parse(&id) {
        Some(r) => state
            .store
            .get_org(r)
            .await
            .map_err(|e| ApiError::from_store(e, INVALID))?,
        None => return Err(ApiError::not_found(INVALID)),
    };
    if org.id == user.org.id {
        return Err(ApiError::save_failed_with(
            "Could not delete Organisation",
            serde_json::json!("You cannot delete your own organisation."),
            Some(org.id),
        ));
    }
    match state.store.delete_org(org.id).await {
        Ok(()) => Ok(HttpResponse::Ok().json(success_body("Organisation deleted", Some(org.id)))),
        Err(StoreError::InUse(what)) => Err(ApiError::save_failed_with(
            "Could not delete Organisation",
            serde_json::json!(format!("The organisation still has {what}.")),
            Some(org.id),
        )),
        Err(e) => Err(ApiError::from_store(e, INVALID)),
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/organisations/index").route(web::get().to(index)))
        .service(
            resource("/organisations/view/{id}")
                .route(web::get().to(view))
                .route(web::head().to(head)),
        )
        .service(resource("/admin/organisations/add").route(web::post().to(add)))
        .service(
            resource("/admin/organisations/edit/{id}")
                .route(web::post().to(edit))
                .route(web::put().to(edit)),
        )
        .service(
            resource("/admin/organisations/delete/{id}")
                .route(web::post().to(delete))
                .route(web::delete().to(delete)),
        );
}
