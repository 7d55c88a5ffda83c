//! Cydef's HTTP API: MISP's paths and JSON envelopes over actix-web.
//!
//! The server is a library function, [`serve`], that takes a bound listener,
//! so tests start the real server on port 0. Handlers parse requests into
//! domain types at the edge, check permissions through the [`auth::Authed`]
//! extractor and talk to storage only through `Arc<dyn Store>`.
#![forbid(unsafe_code)]

pub mod auth;
pub mod error;
pub mod event_view;
pub mod export;
pub mod ingest;
pub mod normalize;
pub mod openapi;
mod routes;
pub mod sharing;
pub mod views;
pub mod wire;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App, HttpResponse, HttpServer};
use cydef_store::Store;
use tracing_actix_web::TracingLogger;

pub use auth::JwtKeys;

tokio::task_local! {
    /// The path as the client sent it, for MISP's `url` in error bodies.
    pub(crate) static REQUEST_URL: String;
}

/// The URL of the request being answered, or "" outside a request.
pub fn request_url() -> String {
    REQUEST_URL.try_with(Clone::clone).unwrap_or_default()
}

/// Settings the HTTP layer needs.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Public base URL of the instance (MISP's `MISP.baseurl`), if set.
    pub baseurl: Option<String>,
    /// Number of actix worker threads; 0 means one per core.
    pub workers: usize,
    /// The MISP knowledge bases (`CYDEF_KB_DIR`), if configured; object
    /// templates are reloaded from it by `POST /object_templates/update`.
    pub kb_dir: Option<std::path::PathBuf>,
}

/// What every handler can reach. Nothing here is node-local state that would
/// break with several API nodes on one database: the store is the database,
/// the JWT secret comes from it.
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub jwt: JwtKeys,
    pub config: HttpConfig,
}

/// Builds the running server on an already bound listener.
pub fn serve(listener: TcpListener, state: AppState) -> std::io::Result<Server> {
    let workers = state.config.workers;
    let state = web::Data::new(state);
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::PayloadConfig::new(wire::SMALL_BODY_LIMIT))
            .configure(routes::configure)
            .configure(openapi::configure)
            .default_service(web::to(not_found))
            .wrap(from_fn(error::json_errors))
            .wrap(from_fn(normalize::misp_paths))
            .wrap(Compress::default())
            .wrap(TracingLogger::default())
    })
    .listen(listener)?;
    if workers > 0 {
        server = server.workers(workers);
    }
    Ok(server.run())
}

async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(error::message_body("Not Found", &request_url()))
}

/// Answer for a known path called with a method it does not take.
pub(crate) async fn method_not_allowed() -> HttpResponse {
    HttpResponse::MethodNotAllowed().json(error::message_body(
        "You do not have permission to access this area with this request method.",
        &request_url(),
    ))
}
