//! Search benchmark (issue: search and export at a million attributes).
//!
//! For SQLite and PostgreSQL: starts the real `cydef` binary on a fresh
//! database and loads a generated instance through `POST /events/add`: 1M
//! attributes over 20k events, one of them of 50k attributes; 500 tags on 30%
//! of the attributes; `tlp:amber` on half of the events and `tlp:red` on a
//! quarter; 5% of the values repeated across events. Then it times, one
//! request at a time, with p50/p95/p99:
//! - single-value attribute restSearch;
//! - 1,000-value attribute restSearch;
//! - `%substring%` attribute restSearch;
//! - tag-filtered attribute restSearch (`["tlp:amber", "!tlp:red"]`, type,
//!   to_ids, limit 100) and an attribute-tag search;
//! - the events index, any page, with a tag filter;
//! - event restSearch returning the 50k-attribute event, with the server's
//!   peak memory above idle.
//!
//! Run: `cargo bench -p cydef --bench search` (PostgreSQL at
//! CYDEF_TEST_PG_URL; CYDEF_BENCH_SKIP_PG=1 skips it; CYDEF_BENCH_EVENTS=N
//! loads N events instead of 20,000, with the attribute count scaled).

mod common;

use std::time::Instant;

use common::{client, percentile, rss_kib, start, with_peak_rss, PgDatabase, Server, KEY};
use serde_json::{json, Value};

const BIG: usize = 50_000;
const TAGS: usize = 500;

/// A small deterministic generator (the benchmark must load the same data
/// every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// The type and value of global attribute number `k`. One in twenty is one
/// of 5,000 values shared across events (each in about ten).
fn value(k: usize) -> (&'static str, String) {
    if k.is_multiple_of(20) {
        return ("domain", format!("shared-{}.example.net", (k / 20) % 5_000));
    }
    match k % 6 {
        0 => (
            "ip-dst",
            format!("10.{}.{}.{}", (k >> 16) & 255, (k >> 8) & 255, k & 255),
        ),
        1 => ("domain", format!("h{k}.bench-{}.example.com", k % 997)),
        2 => (
            "md5",
            format!("{:032x}", (k as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15)),
        ),
        3 => ("url", format!("https://u{k}.example.org/p/{}", k % 1_000)),
        4 => (
            "sha256",
            format!("{:064x}", (k as u128).wrapping_mul(0xc2b2_ae3d_27d4_eb4f)),
        ),
        _ => ("filename", format!("file-{k}.exe")),
    }
}

fn attribute(k: usize) -> Value {
    let (t, v) = value(k);
    let mut a = json!({"type": t, "value": v, "to_ids": !k.is_multiple_of(4)});
    if k % 10 < 3 {
        a["Tag"] = json!([{"name": format!("bench:t=\"{}\"", (k * 7) % TAGS)}]);
    }
    a
}

/// Event `e` holding global attributes `first..first + n`.
fn event(e: usize, first: usize, n: usize) -> Value {
    let mut tags = Vec::new();
    if e.is_multiple_of(2) {
        tags.push(json!({"name": "tlp:amber"}));
        if e.is_multiple_of(4) {
            tags.push(json!({"name": "tlp:red"}));
        }
    }
    const WORDS: [&str; 5] = ["phishing", "ransomware", "botnet", "apt", "scan"];
    json!({"Event": {
        "info": format!("bench event {e} {}", WORDS[e % WORDS.len()]),
        "distribution": 1,
        "threat_level_id": 1 + e % 4,
        "date": format!("2026-{:02}-{:02}", 1 + e % 12, 1 + e % 28),
        "published": e.is_multiple_of(3),
        "Tag": tags,
        "Attribute": (first..first + n).map(attribute).collect::<Vec<_>>(),
    }})
}

struct Loaded {
    attributes: usize,
    big_id: String,
}

/// Loads the instance with four clients in parallel.
fn load(label: &str, server: &Server, events: usize) -> Loaded {
    let per_event = (1_000_000 - BIG) / 20_000; // 47, plus one for odd events
    let small: Vec<(usize, usize, usize)> = {
        let mut k = BIG;
        (1..events)
            .map(|e| {
                let n = per_event + e % 2;
                let item = (e, k, n);
                k += n;
                item
            })
            .collect()
    };
    let attributes = BIG + small.iter().map(|&(_, _, n)| n).sum::<usize>();
    let client = client();
    let t = Instant::now();
    let r = client
        .post(format!("{}/events/add", server.url))
        .header("Authorization", KEY)
        .json(&event(0, 0, BIG))
        .send()
        .expect("add big");
    assert!(r.status().is_success(), "add big: {}", r.status());
    let big: Value = r.json().expect("json");
    let big_id = big["Event"]["id"].as_str().expect("id").to_owned();
    std::thread::scope(|s| {
        for part in small.chunks(small.len().div_ceil(4).max(1)) {
            let client = client.clone();
            s.spawn(move || {
                for &(e, first, n) in part {
                    let r = client
                        .post(format!("{}/events/add", server.url))
                        .header("Authorization", KEY)
                        .json(&event(e, first, n))
                        .send()
                        .expect("add");
                    assert!(r.status().is_success(), "add {e}: {}", r.status());
                }
            });
        }
    });
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{label:<9} load: {events} events, {attributes} attributes in {secs:.0} s ({:.0} attr/s, 4 clients)",
        attributes as f64 / secs
    );
    Loaded { attributes, big_id }
}

/// Times `n` requests made by `make`; prints p50/p95/p99 in ms and the
/// mean result count (`X-Result-Count`, else the length of the answer).
fn timed(
    label: &str,
    what: &str,
    server: &Server,
    n: usize,
    make: impl Fn(usize) -> (String, Value),
) {
    let client = client();
    let mut times = Vec::with_capacity(n);
    let mut results = 0usize;
    for i in 0..n {
        let (path, body) = make(i);
        let t = Instant::now();
        let r = client
            .post(format!("{}{path}", server.url))
            .header("Authorization", KEY)
            .json(&body)
            .send()
            .expect("search");
        let status = r.status();
        let count = r
            .headers()
            .get("X-Result-Count")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let text = r.text().expect("body");
        times.push(t.elapsed().as_secs_f64() * 1e3);
        assert!(status.is_success(), "{what}: {status} {text}");
        results += count.unwrap_or_else(|| {
            serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v.as_array().map(Vec::len))
                .unwrap_or(0)
        });
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{label:<9} {what:<44} p50 {:>8.2} ms  p95 {:>8.2} ms  p99 {:>8.2} ms  ({n} requests, {:.1} results each)",
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        percentile(&times, 0.99),
        results as f64 / n as f64,
    );
}

fn bench(label: &str, server: &Server, events: usize) {
    let loaded = load(label, server, events);
    let total = loaded.attributes;
    let pick = |i: usize, salt: u64| {
        let mut rng = Lcg(i as u64 * 7_919 + salt);
        rng.next(total)
    };
    timed(label, "restSearch, one value", server, 300, |i| {
        let (_, v) = value(pick(i, 1));
        ("/attributes/restSearch".into(), json!({"value": v}))
    });
    timed(label, "restSearch, 1,000 values", server, 20, |i| {
        let values: Vec<String> = (0..1_000)
            .map(|j| value(pick(i * 1_000 + j, 2)).1)
            .collect();
        ("/attributes/restSearch".into(), json!({"value": values}))
    });
    timed(label, "restSearch, %substring%", server, 10, |i| {
        (
            "/attributes/restSearch".into(),
            json!({"value": format!("%.bench-{}.example%", (i * 97) % 997)}),
        )
    });
    timed(
        label,
        "restSearch, tlp:amber !tlp:red ip-dst to_ids",
        server,
        100,
        |i| {
            (
                "/attributes/restSearch".into(),
                json!({"tags": ["tlp:amber", "!tlp:red"], "type": "ip-dst", "to_ids": true,
                   "limit": 100, "page": 1 + i % 20}),
            )
        },
    );
    timed(
        label,
        "restSearch, one attribute tag, limit 100",
        server,
        100,
        |i| {
            (
                "/attributes/restSearch".into(),
                json!({"tags": [format!("bench:t=\"{}\"", (i * 13) % TAGS)], "limit": 100}),
            )
        },
    );
    let pages = (events / 2 / 50).max(1);
    timed(
        label,
        "events/index, searchtag, any page of 50",
        server,
        100,
        |i| {
            (
                "/events/index".into(),
                json!({"searchtag": "tlp:amber", "limit": 50, "page": 1 + (i * 37) % pages}),
            )
        },
    );
    timed(
        label,
        "events/index, searchinfo, page of 50",
        server,
        100,
        |i| {
            (
                "/events/index".into(),
                json!({"searchinfo": "ransomware", "limit": 50, "page": 1 + (i * 13) % (pages / 5).max(1)}),
            )
        },
    );

    // The 50k-attribute event through restSearch, memory sampled.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let pid = server.child.id();
    let idle = rss_kib(pid);
    let client = client();
    let ((bytes, mut times), peak) = with_peak_rss(pid, || {
        let mut times = Vec::new();
        let mut bytes = 0;
        for _ in 0..3 {
            let t = Instant::now();
            let r = client
                .post(format!("{}/events/restSearch", server.url))
                .header("Authorization", KEY)
                .json(&json!({"eventid": loaded.big_id}))
                .send()
                .expect("restSearch big");
            assert!(r.status().is_success(), "restSearch big: {}", r.status());
            bytes = r.bytes().expect("body").len();
            times.push(t.elapsed().as_secs_f64());
        }
        (bytes, times)
    });
    times.sort_by(f64::total_cmp);
    println!(
        "{label:<9} events/restSearch of the 50k event ({:.1} MB): p50 {:.3} s, max {:.3} s | RSS before {} MB, peak {} MB (+{} MB)",
        bytes as f64 / 1e6,
        percentile(&times, 0.5),
        times[times.len() - 1],
        idle / 1024,
        peak / 1024,
        peak.saturating_sub(idle) / 1024,
    );
}

fn main() {
    let events = std::env::var("CYDEF_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000usize)
        .max(2);
    let sqlite = start(None);
    bench("sqlite", &sqlite, events);
    drop(sqlite);
    if common::skip_pg() {
        println!("postgres  skipped (CYDEF_BENCH_SKIP_PG=1)");
        return;
    }
    let db = PgDatabase::create();
    let pg = start(Some(&db.url));
    bench("postgres", &pg, events);
    drop(pg);
}
