//! Ingest and view benchmark (issue: events at speed).
//!
//! For SQLite and PostgreSQL: starts the real `cydef` binary on a fresh
//! database, posts generated 10k-attribute events (10% inside objects, 30%
//! tagged) through `POST /events/add`, then a 50k-attribute event, and reads
//! it back with `GET /events/view`, sampling the server's resident memory.
//!
//! The view is measured twice: in the server that just ingested (its RSS
//! already holds what ingest left behind), and in a fresh server started on
//! the same database, whose idle RSS is the baseline of "memory above idle".
//!
//! Run: `cargo bench -p cydef --bench ingest` (PostgreSQL at
//! CYDEF_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres;
//! CYDEF_BENCH_SKIP_PG=1 skips it; CYDEF_BENCH_VIEW_ONLY=1 skips the 10k
//! ingests and measures the 50k event only).

mod common;

use std::time::Instant;

use common::{
    client, percentile, rss_kib, start, start_in, with_peak_rss, PgDatabase, Server, KEY,
};
use serde_json::{json, Value};

/// A generated event: `n` attributes, 10% inside objects of 10, 30% tagged.
fn event(n: usize, seed: &str) -> Value {
    let tags: Vec<String> = (0..50).map(|i| format!("bench:tag=\"{i}\"")).collect();
    let mut attributes = Vec::new();
    let mut objects = Vec::new();
    let in_objects = n / 10;
    for i in 0..n - in_objects {
        let (t, v) = match i % 5 {
            0 => (
                "ip-dst",
                format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255),
            ),
            1 => ("domain", format!("d{i}-{seed}.example.com")),
            2 => (
                "md5",
                format!("{:032x}", i as u128 * 7919 + seed.len() as u128),
            ),
            3 => ("url", format!("https://x{i}.example.org/{seed}/p")),
            _ => ("sha256", format!("{:064x}", i as u128 * 104_729)),
        };
        let mut a = json!({"type": t, "value": v, "to_ids": i % 2 == 0, "comment": "generated"});
        if i % 10 < 3 {
            a["Tag"] = json!([{"name": tags[i % 50]}]);
        }
        attributes.push(a);
    }
    for o in 0..in_objects / 10 {
        let attrs: Vec<Value> = (0..10)
            .map(|j| {
                let k = o * 10 + j;
                if j % 2 == 0 {
                    json!({"type": "filename", "object_relation": "filename", "value": format!("f{k}-{seed}.exe")})
                } else {
                    json!({"type": "md5", "object_relation": "md5", "value": format!("{:032x}", k as u128 + 1_000_000)})
                }
            })
            .collect();
        objects.push(json!({"name": "file", "meta-category": "file", "Attribute": attrs}));
    }
    json!({"Event": {"info": format!("bench {seed}"), "distribution": 1, "Attribute": attributes, "Object": objects,
        "Tag": [{"name": "tlp:amber"}]}})
}

/// Views event `id` five times while sampling the server's RSS: the body
/// size, the sorted times and the peak RSS (KiB).
fn view(server: &Server, id: &str) -> (usize, Vec<f64>, u64) {
    let client = client();
    let ((bytes, mut views), peak) = with_peak_rss(server.child.id(), || {
        let mut views = Vec::new();
        let mut bytes = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let r = client
                .get(format!("{}/events/view/{id}", server.url))
                .header("Authorization", KEY)
                .send()
                .expect("view");
            assert!(r.status().is_success(), "view failed: {}", r.status());
            bytes = r.bytes().expect("body").len();
            views.push(t.elapsed().as_secs_f64());
        }
        (bytes, views)
    });
    views.sort_by(f64::total_cmp);
    (bytes, views, peak)
}

/// The view in a fresh server on the same database: memory above its idle RSS.
fn bench_fresh_view(label: &str, server: &Server, id: &str) {
    std::thread::sleep(std::time::Duration::from_millis(300));
    let idle = rss_kib(server.child.id());
    let (bytes, views, peak) = view(server, id);
    println!(
        "{label:<9} fresh server, view 50k ({:.1} MB): p50 {:>6.3} s, max {:>6.3} s | RSS idle {} MB, peak during view {} MB (+{} MB above idle)",
        bytes as f64 / 1e6,
        percentile(&views, 0.5),
        views[views.len() - 1],
        idle / 1024,
        peak / 1024,
        peak.saturating_sub(idle) / 1024,
    );
}

/// Ingests, then views the 50k event; returns its id.
fn bench(label: &str, server: &Server) -> String {
    let client = client();
    let pid = server.child.id();
    let idle = rss_kib(pid);
    let mut rates = Vec::new();
    let runs = if std::env::var("CYDEF_BENCH_VIEW_ONLY").is_ok_and(|v| v == "1") {
        0
    } else {
        3
    };
    for run in 0..runs {
        let body = serde_json::to_vec(&event(10_000, &format!("{label}{run}"))).expect("json");
        let t = Instant::now();
        let r = client
            .post(format!("{}/events/add", server.url))
            .header("Authorization", KEY)
            .body(body)
            .send()
            .expect("add");
        let secs = t.elapsed().as_secs_f64();
        assert!(
            r.status().is_success(),
            "add failed: {}",
            r.text().unwrap_or_default()
        );
        rates.push(10_000.0 / secs);
    }
    rates.sort_by(f64::total_cmp);
    let big = serde_json::to_vec(&event(50_000, &format!("{label}-big"))).expect("json");
    let t = Instant::now();
    let r = client
        .post(format!("{}/events/add", server.url))
        .header("Authorization", KEY)
        .body(big)
        .send()
        .expect("add big");
    let big_secs = t.elapsed().as_secs_f64();
    let created: Value = r.json().expect("json");
    let id = created["Event"]["id"].as_str().expect("id").to_owned();
    // Settle, then sample memory while viewing.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let before_view = rss_kib(pid);
    let (bytes, views, peak) = view(server, &id);
    let ingest = if rates.is_empty() {
        "ingest 10k: skipped".to_owned()
    } else {
        format!(
            "ingest 10k: median {:>8.0} attr/s (min {:>7.0}, max {:>7.0})",
            percentile(&rates, 0.5),
            rates[0],
            rates[rates.len() - 1],
        )
    };
    println!(
        "{label:<9} {ingest} | ingest 50k: {:>6.2} s ({:>7.0} attr/s) | view 50k ({:.1} MB): p50 {:>6.3} s, max {:>6.3} s | RSS idle {} MB, before view {} MB, peak during view {} MB (+{} MB)",
        big_secs,
        50_000.0 / big_secs,
        bytes as f64 / 1e6,
        percentile(&views, 0.5),
        views[views.len() - 1],
        idle / 1024,
        before_view / 1024,
        peak / 1024,
        peak.saturating_sub(before_view) / 1024,
    );
    id
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument filters nothing here.
    let sqlite = start(None);
    let id = bench("sqlite", &sqlite);
    let dir = sqlite.dir.clone();
    drop(sqlite);
    let fresh = start_in(dir, None);
    bench_fresh_view("sqlite", &fresh, &id);
    drop(fresh);
    if common::skip_pg() {
        println!("postgres  skipped (CYDEF_BENCH_SKIP_PG=1)");
        return;
    }
    let db = PgDatabase::create();
    let pg = start(Some(&db.url));
    let id = bench("postgres", &pg);
    let dir = pg.dir.clone();
    drop(pg);
    let fresh = start_in(dir, Some(&db.url));
    bench_fresh_view("postgres", &fresh, &id);
    drop(fresh);
}
