//! What the benchmarks share: the real server on a fresh database, a
//! PostgreSQL database of their own, memory sampling and percentiles.

#![allow(dead_code)] // each benchmark uses its own part of this

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The site admin's key of every benchmark server.
pub const KEY: &str = "BenchAdminKey0123456789abcdefghijklmnopq";

/// A running `cydef serve`, killed when dropped.
pub struct Server {
    pub child: Child,
    pub url: String,
    pub dir: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Starts the server on a new data directory (its SQLite file, unless
/// `database_url`).
pub fn start(database_url: Option<&str>) -> Server {
    let dir = std::env::temp_dir().join(format!("cydef-bench-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    start_in(dir, database_url)
}

/// Starts the server on `dir` (its SQLite file, unless `database_url`).
pub fn start_in(dir: std::path::PathBuf, database_url: Option<&str>) -> Server {
    let port = free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cydef"));
    cmd.env("CYDEF_LISTEN", format!("127.0.0.1:{port}"))
        .env("CYDEF_DATA_DIR", &dir)
        .env("CYDEF_ADMIN_KEY", KEY)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(url) = database_url {
        cmd.env("DATABASE_URL", url);
    }
    let url = format!("http://127.0.0.1:{port}");
    // Held by `Server` from the start, so the process is reaped on every path.
    let server = Server {
        child: cmd.spawn().expect("start cydef"),
        url,
        dir,
    };
    let client = reqwest::blocking::Client::new();
    for _ in 0..200 {
        if client
            .get(format!("{}/health/ready", server.url))
            .send()
            .is_ok_and(|r| r.status().is_success())
        {
            return server;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the server did not become ready");
}

/// A PostgreSQL database of the benchmark's own, dropped when this is.
pub struct PgDatabase {
    admin: String,
    name: String,
    pub url: String,
}

fn psql(admin: &str, sql: &str) {
    let ok = Command::new("psql")
        .arg(admin)
        .args(["-qAtc", sql])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "psql failed: {sql}");
}

impl PgDatabase {
    /// Creates a database on CYDEF_TEST_PG_URL (default
    /// postgres://postgres@127.0.0.1:5432/postgres).
    pub fn create() -> Self {
        let admin = std::env::var("CYDEF_TEST_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        let name = format!("cydef_bench_{}", uuid::Uuid::new_v4().simple());
        psql(&admin, &format!("CREATE DATABASE {name}"));
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        Self { admin, name, url }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        psql(
            &self.admin,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

/// Whether PostgreSQL is to be skipped (CYDEF_BENCH_SKIP_PG=1).
pub fn skip_pg() -> bool {
    std::env::var("CYDEF_BENCH_SKIP_PG").is_ok_and(|v| v == "1")
}

/// The resident memory of process `pid`, in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// Samples the RSS of `pid` every 2 ms while `f` runs; returns `f`'s result
/// and the peak (KiB).
pub fn with_peak_rss<T>(pid: u32, f: impl FnOnce() -> T) -> (T, u64) {
    let peak = Arc::new(AtomicU64::new(rss_kib(pid)));
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, stop) = (peak.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    let out = f();
    stop.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    (out, peak.load(Ordering::Relaxed))
}

/// The `p` quantile (0–1) of sorted samples.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// A blocking client with a long timeout.
pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .expect("client")
}
