//! Configuration in layers: defaults, then an optional TOML file, then
//! environment variables. The variable names are a contract with deployment
//! scripts: `CYDEF_LISTEN`, `CYDEF_DATA_DIR`, `DATABASE_URL`, `CYDEF_BASEURL`,
//! `CYDEF_ORG_NAME`, `CYDEF_ADMIN_EMAIL`, `CYDEF_ADMIN_KEY`,
//! `CYDEF_ADMIN_PASSWORD`, `CYDEF_KB_DIR`, `CYDEF_WORKERS`,
//! `CYDEF_JWT_LIFETIME`, and `CYDEF_CONFIG` for the file's path (default
//! `./cydef.toml` when it exists).

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Deserialize;

/// A value that must never reach logs or `Debug` output.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub listen: String,
    pub data_dir: PathBuf,
    /// May carry a password, hence secret.
    pub database_url: Option<Secret>,
    pub baseurl: Option<String>,
    pub org_name: String,
    pub admin_email: String,
    pub admin_key: Option<Secret>,
    pub admin_password: Option<Secret>,
    pub kb_dir: Option<PathBuf>,
    pub workers: usize,
    pub jwt_lifetime_secs: i64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".to_owned(),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            baseurl: None,
            org_name: "ORGNAME".to_owned(),
            admin_email: "admin@admin.test".to_owned(),
            admin_key: None,
            admin_password: None,
            kb_dir: None,
            workers: 0,
            jwt_lifetime_secs: 900,
        }
    }
}

/// The file's shape: every key optional, named as the variables without the
/// `CYDEF_` prefix, in lower case.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<Secret>,
    baseurl: Option<String>,
    org_name: Option<String>,
    admin_email: Option<String>,
    admin_key: Option<Secret>,
    admin_password: Option<Secret>,
    kb_dir: Option<PathBuf>,
    workers: Option<usize>,
    jwt_lifetime: Option<i64>,
}

impl Config {
    /// Loads the layers from the process environment.
    pub fn load() -> anyhow::Result<Self> {
        Self::load_from(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    /// Loads the layers with `env` as the environment (for tests).
    pub fn load_from(env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let mut c = Self::default();
        let file = match env("CYDEF_CONFIG") {
            Some(path) => Some(PathBuf::from(path)),
            None => Some(PathBuf::from("cydef.toml")).filter(|p| p.exists()),
        };
        if let Some(path) = file {
            c.apply_file(&path)?;
        }
        macro_rules! from_env {
            ($($var:literal => $field:ident $(: $conv:expr)?),* $(,)?) => {
                $( if let Some(v) = env($var) { c.$field = from_env!(@conv v $(, $conv)?); } )*
            };
            (@conv $v:ident) => { $v };
            (@conv $v:ident, $conv:expr) => { $conv($v)? };
        }
        from_env! {
            "CYDEF_LISTEN" => listen,
            "CYDEF_DATA_DIR" => data_dir: |v: String| anyhow::Ok(PathBuf::from(v)),
            "DATABASE_URL" => database_url: |v: String| anyhow::Ok(Some(Secret(v))),
            "CYDEF_BASEURL" => baseurl: |v: String| anyhow::Ok(Some(v)),
            "CYDEF_ORG_NAME" => org_name,
            "CYDEF_ADMIN_EMAIL" => admin_email,
            "CYDEF_ADMIN_KEY" => admin_key: |v: String| anyhow::Ok(Some(Secret(v))),
            "CYDEF_ADMIN_PASSWORD" => admin_password: |v: String| anyhow::Ok(Some(Secret(v))),
            "CYDEF_KB_DIR" => kb_dir: |v: String| anyhow::Ok(Some(PathBuf::from(v))),
            "CYDEF_WORKERS" => workers: |v: String| v.parse::<usize>().context("CYDEF_WORKERS must be a number"),
            "CYDEF_JWT_LIFETIME" => jwt_lifetime_secs: |v: String| v.parse::<i64>().context("CYDEF_JWT_LIFETIME must be seconds"),
        }
        c.check()?;
        Ok(c)
    }

    fn apply_file(&mut self, path: &Path) -> anyhow::Result<()> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config file {}", path.display()))?;
        let f: FileConfig = toml::from_str(&text)
            .with_context(|| format!("parsing config file {}", path.display()))?;
        macro_rules! take {
            ($($field:ident),*) => { $( if let Some(v) = f.$field { self.$field = v; } )* };
        }
        take!(listen, data_dir, org_name, admin_email, workers);
        if f.database_url.is_some() {
            self.database_url = f.database_url;
        }
        if f.baseurl.is_some() {
            self.baseurl = f.baseurl;
        }
        if f.admin_key.is_some() {
            self.admin_key = f.admin_key;
        }
        if f.admin_password.is_some() {
            self.admin_password = f.admin_password;
        }
        if f.kb_dir.is_some() {
            self.kb_dir = f.kb_dir;
        }
        if let Some(v) = f.jwt_lifetime {
            self.jwt_lifetime_secs = v;
        }
        Ok(())
    }

    fn check(&self) -> anyhow::Result<()> {
        if let Some(k) = &self.admin_key {
            if cydef_model::ApiKey::parse(k.expose()).is_none() {
                bail!("CYDEF_ADMIN_KEY must be 40 ASCII letters and digits");
            }
        }
        if cydef_model::user::normalise_email(&self.admin_email).is_err() {
            bail!("CYDEF_ADMIN_EMAIL is not a valid e-mail address");
        }
        if self.org_name.trim().is_empty() {
            bail!("CYDEF_ORG_NAME must not be empty");
        }
        if self.jwt_lifetime_secs <= 0 {
            bail!("CYDEF_JWT_LIFETIME must be positive");
        }
        Ok(())
    }

    /// The database URL: `DATABASE_URL`, or a SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose().to_owned(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("cydef.db").display()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn defaults() {
        let c = Config::load_from(env(&[("CYDEF_CONFIG", "/nonexistent/cydef.toml")]));
        assert!(
            c.is_err(),
            "an explicit config file that is missing is an error"
        );
        let c = Config::load_from(env(&[])).expect("defaults");
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert_eq!(c.org_name, "ORGNAME");
        assert_eq!(c.admin_email, "admin@admin.test");
        assert_eq!(c.database_url(), "sqlite://./data/cydef.db?mode=rwc");
    }

    #[test]
    fn file_then_env() {
        let dir = std::env::temp_dir().join(format!("cydef-cfg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("tmp");
        let file = dir.join("c.toml");
        std::fs::write(
            &file,
            "listen = \"0.0.0.0:9000\"\norg_name = \"FromFile\"\n",
        )
        .expect("write");
        let path = file.display().to_string();
        let c = Config::load_from(env(&[
            ("CYDEF_CONFIG", &path),
            ("CYDEF_ORG_NAME", "FromEnv"),
        ]))
        .expect("load");
        assert_eq!(c.listen, "0.0.0.0:9000");
        assert_eq!(c.org_name, "FromEnv");
        std::fs::write(&file, "nonsense_key = 1\n").expect("write");
        assert!(Config::load_from(env(&[("CYDEF_CONFIG", &path)])).is_err());
    }

    #[test]
    fn secrets_are_redacted_and_checked() {
        let key = "A".repeat(40);
        let c = Config::load_from(env(&[
            ("CYDEF_ADMIN_KEY", &key),
            ("DATABASE_URL", "postgres://u:hunter2@localhost/db"),
        ]))
        .expect("load");
        let dbg = format!("{c:?}");
        assert!(!dbg.contains(&key));
        assert!(!dbg.contains("hunter2"));
        assert!(Config::load_from(env(&[("CYDEF_ADMIN_KEY", "short")])).is_err());
    }
}
