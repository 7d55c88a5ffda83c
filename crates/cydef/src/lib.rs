//! The Cydef server process: configuration, first-start bootstrap, and the
//! start of the HTTP server. `main` only parses the command line.
#![forbid(unsafe_code)]

pub mod config;
pub mod import;

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use cydef_http::{AppState, HttpConfig, JwtKeys};
use cydef_model::{password, role, ApiKey};
use cydef_store::{Bootstrap, BootstrapOutcome, Store};

pub use config::{Config, Secret};

/// A started server.
pub struct Running {
    pub addr: SocketAddr,
    pub server: actix_web::dev::Server,
    pub store: Arc<dyn Store>,
    /// The admin key generated at first start, if this start generated one.
    pub generated_admin_key: Option<String>,
}

/// Name of the file, in the data directory, holding a generated admin key.
pub const ADMIN_KEY_FILE: &str = "admin.key";

/// Connects the database and bootstraps a new instance, without serving.
pub async fn open(config: &Config) -> anyhow::Result<(Arc<dyn Store>, Option<String>)> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data directory {}", config.data_dir.display()))?;
    let store = cydef_store::connect(&config.database_url())
        .await
        .context("opening the database")?;
    tracing::info!(backend = store.backend().name(), "database ready");
    let generated_admin_key = bootstrap(config, store.as_ref()).await?;
    Ok((store, generated_admin_key))
}

/// Connects the database, bootstraps a new instance and binds the listener.
/// The returned server must be awaited (or spawned) to serve.
pub async fn start(config: &Config) -> anyhow::Result<Running> {
    let (store, generated_admin_key) = open(config).await?;
    if let Some(kb_dir) = &config.kb_dir {
        load_object_templates(store.as_ref(), kb_dir).await?;
    }
    let secret = store
        .init_setting("jwt_secret", &ApiKey::generate().expose().repeat(2))
        .await?;
    let listener =
        TcpListener::bind(&config.listen).with_context(|| format!("binding {}", config.listen))?;
    let addr = listener.local_addr()?;
    let state = AppState {
        store: store.clone(),
        jwt: JwtKeys::new(secret.as_bytes(), config.jwt_lifetime_secs),
        config: HttpConfig {
            baseurl: config.baseurl.clone(),
            workers: config.workers,
            kb_dir: config.kb_dir.clone(),
        },
    };
    let server = cydef_http::serve(listener, state)?;
    tracing::info!(%addr, "listening");
    Ok(Running {
        addr,
        server,
        store,
        generated_admin_key,
    })
}

/// Loads (or updates) the object templates of the knowledge base. A missing
/// templates folder is an error: `CYDEF_KB_DIR` was set for a reason.
pub async fn load_object_templates(
    store: &dyn Store,
    kb_dir: &Path,
) -> anyhow::Result<cydef_store::kb::TemplateLoadReport> {
    let report =
        cydef_store::kb::load_object_templates(store, kb_dir, cydef_model::time_fmt::now())
            .await
            .with_context(|| format!("loading object templates from {}", kb_dir.display()))?;
    for s in &report.skipped {
        tracing::warn!(file = %s.path.display(), reason = %s.reason, "object template skipped");
    }
    tracing::info!(
        dir = %report.dir.display(),
        files = report.files,
        inserted = report.load.inserted,
        updated = report.load.updated,
        unchanged = report.load.unchanged,
        read_ms = report.read_time.as_millis() as u64,
        store_ms = report.store_time.as_millis() as u64,
        "object templates loaded"
    );
    Ok(report)
}

/// First start: the organisation, MISP's default roles, the site admin and
/// its key. Returns the key when it was generated here (not given).
async fn bootstrap(config: &Config, store: &dyn Store) -> anyhow::Result<Option<String>> {
    let (key, generated) = match &config.admin_key {
        Some(k) => (
            ApiKey::parse(k.expose()).context("CYDEF_ADMIN_KEY must be 40 letters and digits")?,
            false,
        ),
        None => (ApiKey::generate(), true),
    };
    let admin_password_hash = match &config.admin_password {
        Some(p) => Some(password::hash(p.expose()).map_err(anyhow::Error::msg)?),
        None => None,
    };
    let outcome = store
        .bootstrap(&Bootstrap {
            org_name: config.org_name.trim().to_owned(),
            admin_email: cydef_model::user::normalise_email(&config.admin_email)
                .map_err(anyhow::Error::msg)?,
            admin_key: key.clone(),
            admin_password_hash,
            roles: role::default_roles(cydef_model::time_fmt::now()),
        })
        .await?;
    match outcome {
        BootstrapOutcome::AlreadyDone => Ok(None),
        BootstrapOutcome::Created { .. } if generated => {
            let path = config.data_dir.join(ADMIN_KEY_FILE);
            write_secret_file(&path, key.expose())?;
            tracing::info!(file = %path.display(), "first start: created the site admin and its API key");
            Ok(Some(key.expose().to_owned()))
        }
        BootstrapOutcome::Created { .. } => {
            tracing::info!("first start: created the site admin with the key from CYDEF_ADMIN_KEY");
            Ok(None)
        }
    }
}

/// Writes a file readable by its owner only (0600).
fn write_secret_file(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    writeln!(f, "{contents}")?;
    Ok(())
}
