//! Liveness and readiness for load balancers (no authentication).

use actix_web::{web, HttpResponse};

use super::resource;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// "ok", or "unavailable" when the database does not answer.
    pub status: &'static str,
    /// "sqlite" or "postgres".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/health/live", tag = "Health",
    responses((status = 200, description = "The process is up", body = Health)))]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok",
        database: None,
    })
}

/// Readiness: the database answers.
#[utoipa::path(get, path = "/health/ready", tag = "Health",
    responses(
        (status = 200, description = "Ready to serve", body = Health),
        (status = 503, description = "The database does not answer", body = Health)))]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let database = Some(state.store.backend().name());
    match state.store.ping().await {
        Ok(()) => HttpResponse::Ok().json(Health {
            status: "ok",
            database,
        }),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable().json(Health {
                status: "unavailable",
                database,
            })
        }
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/health/live").route(web::get().to(live)))
        .service(resource("/health/ready").route(web::get().to(ready)));
}
