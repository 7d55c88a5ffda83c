//! `cydef`: run the server (the default), or print the OpenAPI document.

use anyhow::Context;
use tracing_subscriber::EnvFilter;

const USAGE: &str = "usage: cydef [serve | openapi | help]

  serve     run the server (default); configured by CYDEF_* variables, DATABASE_URL
            and an optional cydef.toml (see README.md)
  openapi   print the OpenAPI document (refresh: cydef openapi > openapi/openapi.json)";

fn main() -> anyhow::Result<()> {
    let command = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "serve".to_owned());
    match command.as_str() {
        "serve" => serve(),
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
