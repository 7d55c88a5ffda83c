//! `cydef`: run the server (the default), or print the OpenAPI document.

use anyhow::Context;
use tracing_subscriber::EnvFilter;

const USAGE: &str = "usage: cydef [serve | import PATH... | openapi | help]

  serve         run the server (default); configured by CYDEF_* variables, DATABASE_URL
                and an optional cydef.toml (see README.md)
  import PATH   load MISP event files or feed directories (manifest.json + <uuid>.json)
                into the configured database, as the site admin
  openapi       print the OpenAPI document (refresh: cydef openapi > openapi/openapi.json)";

fn main() -> anyhow::Result<()> {
    let command = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "serve".to_owned());
    match command.as_str() {
        "serve" => serve(),
        "import" => import(std::env::args().skip(2).map(Into::into).collect()),
        "openapi" => {
            print!("{}", cydef_http::openapi::document_json());
            Ok(())
        }
        "help" | "-h" | "--help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => {
            eprintln!("unknown command: {other}\n\n{USAGE}");
            std::process::exit(2);
        }
    }
}

fn serve() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = cydef::Config::load().context("loading configuration")?;
    actix_web::rt::System::new().block_on(async move {
        let running = cydef::start(&config).await?;
        if let Some(key) = &running.generated_admin_key {
            // Printed once, on first start; also in the data directory's admin.key (0600).
            println!(
                "Site admin API key (shown once, also saved in {}): {key}",
                config.data_dir.join(cydef::ADMIN_KEY_FILE).display()
            );
        }
        println!("Cydef listening on http://{}", running.addr);
        running.server.await.context("server stopped")?;
        running.store.close().await;
        Ok(())
    })
}

fn import(paths: Vec<std::path::PathBuf>) -> anyhow::Result<()> {
    if paths.is_empty() {
        eprintln!("{USAGE}");
        std::process::exit(2);
    }
    if paths
        .iter()
        .any(|p| p.as_os_str() == "--help" || p.as_os_str() == "-h")
    {
        println!("{USAGE}");
        return Ok(());
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = cydef::Config::load().context("loading configuration")?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let (store, key) = cydef::open(&config).await?;
        if let Some(key) = key {
            println!("Site admin API key (shown once, also saved in {}): {key}",
                config.data_dir.join(cydef::ADMIN_KEY_FILE).display());
        }
        let started = std::time::Instant::now();
        let summary = cydef::import::run(store.as_ref(), &paths, true).await?;
        let secs = started.elapsed().as_secs_f64();
        println!(
            "created {} events ({} attributes), updated {}, skipped {} already present and {} blocklisted, {} failed, in {:.2} s",
            summary.created, summary.attributes, summary.updated, summary.skipped_existing, summary.skipped_blocklisted, summary.failed, secs
        );
        store.close().await;
        if summary.failed > 0 {
            anyhow::bail!("{} file(s) could not be imported", summary.failed);
        }
        Ok(())
    })
}
