//! restSearch in MISP's text formats: `csv`, `text`, `hashes`, `suricata`,
//! `snort` and `rpz` on `/attributes/restSearch` and `/events/restSearch`
//! (body, named parameters and the path segment after `restSearch`), and
//! the older `/events/nids/…` and `/events/hids/…` URLs. Every answer is
//! compared with the exact text MISP writes for the same data.

use std::collections::HashMap;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{s, TestApp, ADMIN_KEY};

/// Attribute and event timestamps of the seed.
const TS: i64 = 1_700_000_000;
/// The admin's `nids_sid`.
const NIDS_SID: i64 = 4_000_000;
const VALID: &str = "json, csv, text, hashes, suricata, snort, rpz";
const NIDS_HEAD: &str = "#\n\
    # These NIDS rules contain some variables that need to exist in your configuration.\n\
    # Make sure you have set:\n\
    #\n\
    # $HOME_NET     - Your internal network range\n\
    # $EXTERNAL_NET - The network considered as outside\n\
    # $SMTP_SERVERS - All your internal SMTP servers\n\
    # $HTTP_PORTS   - The ports used to contain HTTP traffic (not required with suricata export)\n\
    # ";
const CSV_HEADER: &str = "uuid,event_id,category,type,value,comment,to_ids,date,object_relation,attribute_tag,object_uuid,object_name,object_meta_category\n";

fn uuid(n: u32) -> String {
    format!("5f0c7e3a-0000-4000-8000-{n:012}")
}

const OBJECT_UUID: &str = "5f0c7e3a-0000-4000-9000-000000000001";

/// What [`seed`] made.
struct Seed {
    /// Published, distribution 1, threat level 1, tagged `tlp:amber`.
    alpha: String,
    /// Unpublished.
    beta: String,
    /// Attribute ids by UUID.
    ids: HashMap<String, i64>,
    /// A user of another organisation.
    other_key: String,
}

impl Seed {
    fn id(&self, n: u32) -> i64 {
        self.ids[&uuid(n)]
    }

    /// The first SID of attribute `n`'s rules.
    fn sid(&self, n: u32) -> i64 {
        NIDS_SID + self.id(n) * 10 + 1
    }
}

fn attr(n: u32, attr_type: &str, category: &str, value: &str, to_ids: bool) -> Value {
    json!({
        "uuid": uuid(n), "type": attr_type, "category": category, "value": value,
        "to_ids": to_ids, "timestamp": TS, "distribution": 5
    })
}

async fn seed(app: &TestApp) -> Seed {
    let mut a1 = attr(1, "ip-dst", "Network activity", "198.51.100.7", true);
    a1["comment"] = json!("said \"hi\", twice");
    a1["Tag"] = json!([{"name": "kill-chain:c2"}]);
    let mut a8 = attr(8, "domain", "Network activity", "secret.example", true);
    a8["distribution"] = json!(0);
    let mut o1 = attr(9, "domain", "Network activity", "obj.example", true);
    o1["object_relation"] = json!("domain");
    let alpha = json!({
        "info": "Export alpha", "distribution": 1, "published": true, "date": "2024-01-10",
        "threat_level_id": 1, "analysis": 2, "timestamp": TS,
        "Tag": [{"name": "tlp:amber"}],
        "Attribute": [
            a1,
            attr(2, "domain", "Network activity", "evil.example", true),
            attr(3, "url", "Network activity", "https://evil.example/path", true),
            attr(4, "md5", "Payload delivery", "d41d8cd98f00b204e9800998ecf8427e", true),
            attr(5, "filename|sha1", "Payload delivery", "a.exe|da39a3ee5e6b4b0d3255bfef95601890afd80709", true),
            attr(6, "domain", "Network activity", "benign.example", false),
            attr(7, "hostname", "Network activity", "www.evil.example", true),
            a8
        ],
        "Object": [{"name": "domain-ip", "meta-category": "network", "uuid": OBJECT_UUID,
                    "distribution": 5, "timestamp": TS, "Attribute": [o1]}]
    });
    let beta = json!({
        "info": "Export beta", "distribution": 1, "published": false, "date": "2024-02-10",
        "threat_level_id": 2,
        "Attribute": [
            attr(10, "ip-src", "Network activity", "203.0.113.9", true),
            attr(11, "domain", "Network activity", "evil.example", true)
        ]
    });
    let mut ids = Vec::new();
    for e in [alpha, beta] {
        let r = app
            .post("/events/add", ADMIN_KEY, json!({ "Event": e }))
            .await;
        ids.push(s(&r.expect(200)["Event"]["id"]));
    }
    let r = app
        .post(
            "/attributes/restSearch",
            ADMIN_KEY,
            json!({"eventid": ids.clone(), "deleted": [0, 1]}),
        )
        .await;
    let ids_by_uuid = r.expect(200)["response"]["Attribute"]
        .as_array()
        .expect("attributes")
        .iter()
        .map(|a| (s(&a["uuid"]), s(&a["id"]).parse::<i64>().expect("an id")))
        .collect();
    let org_b = app.create_org("Org B").await;
    let (_, other_key) = app.create_user("b@example.test", &org_b, 3).await;
    Seed {
        alpha: ids[0].clone(),
        beta: ids[1].clone(),
        ids: ids_by_uuid,
        other_key,
    }
}

/// An export answer.
struct Export {
    status: u16,
    content_type: String,
    count: Option<i64>,
    disposition: Option<String>,
    module: Option<String>,
    text: String,
}

impl Export {
    #[track_caller]
    fn ok(&self, content_type: &str) -> &str {
        assert_eq!(self.status, 200, "{}", self.text);
        assert_eq!(self.content_type, content_type, "{}", self.text);
        &self.text
    }
}

async fn send(rb: reqwest::RequestBuilder) -> Export {
    let r = rb.send().await.expect("sending the search");
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let status = r.status().as_u16();
    let content_type = header("Content-Type").unwrap_or_default();
    let count = header("X-Result-Count").and_then(|v| v.parse().ok());
    let disposition = header("Content-Disposition");
    let module = header("X-Export-Module-Used");
    let text = r.text().await.expect("reading the answer");
    Export {
        status,
        content_type,
        count,
        disposition,
        module,
        text,
    }
}

async fn post(app: &TestApp, key: &str, path: &str, body: Value) -> Export {
    send(app.request(Method::POST, path, key).json(&body)).await
}

async fn get(app: &TestApp, key: &str, path: &str) -> Export {
    send(app.request(Method::GET, path, key)).await
}

const CSV: &str = "text/csv; charset=UTF-8";
const TEXT: &str = "text/plain; charset=UTF-8";

/// Lines of the seed's attributes in MISP's default CSV columns.
fn csv_line(seed: &Seed, n: u32) -> String {
    let (eid, rest) = match n {
        1 => (&seed.alpha, "\"Network activity\",\"ip-dst\",\"198.51.100.7\",\"said \"\"hi\"\", twice\",1,1700000000,\"\",\"kill-chain:c2\",\"\",\"\",\"\""),
        2 => (&seed.alpha, "\"Network activity\",\"domain\",\"evil.example\",\"\",1,1700000000,\"\",\"\",\"\",\"\",\"\""),
        3 => (&seed.alpha, "\"Network activity\",\"url\",\"https://evil.example/path\",\"\",1,1700000000,\"\",\"\",\"\",\"\",\"\""),
        4 => (&seed.alpha, "\"Payload delivery\",\"md5\",\"d41d8cd98f00b204e9800998ecf8427e\",\"\",1,1700000000,\"\",\"\",\"\",\"\",\"\""),
        5 => (&seed.alpha, "\"Payload delivery\",\"filename|sha1\",\"a.exe|da39a3ee5e6b4b0d3255bfef95601890afd80709\",\"\",1,1700000000,\"\",\"\",\"\",\"\",\"\""),
        6 => (&seed.alpha, "\"Network activity\",\"domain\",\"benign.example\",\"\",0,1700000000,\"\",\"\",\"\",\"\",\"\""),
        7 => (&seed.alpha, "\"Network activity\",\"hostname\",\"www.evil.example\",\"\",1,1700000000,\"\",\"\",\"\",\"\",\"\""),
        8 => (&seed.alpha, "\"Network activity\",\"domain\",\"secret.example\",\"\",1,1700000000,\"\",\"\",\"\",\"\",\"\""),
        9 => (&seed.alpha, "\"Network activity\",\"domain\",\"obj.example\",\"\",1,1700000000,\"domain\",\"\",\"5f0c7e3a-0000-4000-9000-000000000001\",\"domain-ip\",\"network\""),
        _ => unreachable!("no attribute {n} in the seed"),
    };
    format!("\"{}\",{eid},{rest}\n", uuid(n))
}

/// `ns` in id order.
fn by_id(seed: &Seed, ns: &[u32]) -> Vec<u32> {
    let mut v = ns.to_vec();
    v.sort_by_key(|n| seed.id(*n));
    v
}

async fn csv_attributes(app: TestApp) {
    let seed = seed(&app).await;
    let k = ADMIN_KEY;
    // Every attribute of the event, to_ids or not, in id order, with the
    // object's columns; the body ends with an empty line.
    let r = post(
        &app,
        k,
        "/attributes/restSearch",
        json!({"returnFormat": "csv", "eventid": seed.alpha.clone()}),
    )
    .await;
    let rows: String = by_id(&seed, &[1, 2, 3, 4, 5, 6, 7, 8, 9])
        .into_iter()
        .map(|n| csv_line(&seed, n))
        .collect();
    assert_eq!(r.ok(CSV), format!("{CSV_HEADER}{rows}\n"));
    assert_eq!(r.count, Some(9));
    assert_eq!(r.module.as_deref(), Some("csv"));
    assert_eq!(r.disposition, None);
    // requested_attributes choose the columns (and leave out the object's);
    // `timestamp` is headed `date`, numbers are bare, booleans 0/1.
    let r = post(
        &app,
        k,
        "/attributes/restSearch",
        json!({"returnFormat": "csv", "value": ["198.51.100.7", "benign.example"],
               "requested_attributes": ["value", "timestamp", "to_ids", "id", "object_meta-category"]}),
    )
    .await;
    let mut expected = String::from("value,date,to_ids,id,object_meta_category\n");
    for n in by_id(&seed, &[1, 6]) {
        let (value, to_ids) = if n == 1 {
            ("198.51.100.7", 1)
        } else {
            ("benign.example", 0)
        };
        expected.push_str(&format!(
            "\"{value}\",1700000000,{to_ids},{},\"\"\n",
            seed.id(n)
        ));
    }
    expected.push('\n');
    assert_eq!(r.ok(CSV), expected);
    // includeContext adds the event's columns; headerless drops the header.
    let r = post(
        &app,
        k,
        "/attributes/restSearch",
        json!({"returnFormat": "csv", "value": "198.51.100.7", "includeContext": 1,
               "headerless": 1, "requested_attributes": ["uuid"]}),
    )
    .await;
    assert_eq!(
        r.ok(CSV),
        format!(
            "\"{}\",\"Export alpha\",\"ORGNAME\",\"ORGNAME\",1,\"High\",2,\"2024-01-10\",\"tlp:amber\",1700000000\n\n",
            uuid(1)
        )
    );
    let r = post(
        &app,
        k,
        "/attributes/restSearch",
        json!({"returnFormat": "csv", "value": "obj.example", "includeContext": true}),
    )
    .await;
    assert_eq!(
        r.ok(CSV),
        format!(
            "{},event_info,event_member_org,event_source_org,event_distribution,event_threat_level_id,\
             event_analysis,event_date,event_tag,event_timestamp\n{},\"Export alpha\",\"ORGNAME\",\
             \"ORGNAME\",1,\"High\",2,\"2024-01-10\",\"tlp:amber\",1700000000\n\n",
            CSV_HEADER.trim_end(),
            csv_line(&seed, 9).trim_end()
        )
    );
    // Nothing found: the header and the empty line.
    let r = post(
        &app,
        k,
        "/attributes/restSearch",
        json!({"returnFormat": "csv", "value": "nothing.example"}),
    )
    .await;
    assert_eq!(r.ok(CSV), format!("{CSV_HEADER}\n"));
    assert_eq!(r.count, Some(0));
    // The format as the path segment, with named parameters or MISP's
    // positional ones.
    let r = get(&app, k, "/attributes/restSearch/csv/type:md5").await;
    assert_eq!(r.ok(CSV), format!("{CSV_HEADER}{}\n", csv_line(&seed, 4)));
    let r = get(&app, k, "/attributes/restSearch/csv/null/null/null/md5").await;
    assert_eq!(r.ok(CSV), format!("{CSV_HEADER}{}\n", csv_line(&seed, 4)));
    // limit/page: that page only.
    let r = post(
        &app,
        k,
        "/attributes/restSearch",
        json!({"returnFormat": "csv", "eventid": seed.alpha.clone(), "limit": 2, "page": 2}),
    )
    .await;
    let second: String = by_id(&seed, &[1, 2, 3, 4, 5, 6, 7, 8, 9])[2..4]
        .iter()
        .map(|n| csv_line(&seed, *n))
        .collect();
    assert_eq!(r.ok(CSV), format!("{CSV_HEADER}{second}\n"));
    assert_eq!(r.count, Some(9));
    // Another organisation: only what is shared with it.
    let r = post(
        &app,
        &seed.other_key,
        "/attributes/restSearch",
        json!({"returnFormat": "csv", "type": "domain", "requested_attributes": ["value"]}),
    )
    .await;
    // (secret.example is organisation-only; the unpublished event is shared.)
    let mut expected = String::from("value\n");
    for n in by_id(&seed, &[2, 6, 9, 11]) {
        let v = match n {
            6 => "benign.example",
            9 => "obj.example",
            _ => "evil.example",
        };
        expected.push_str(&format!("\"{v}\"\n"));
    }
    expected.push('\n');
    assert_eq!(r.ok(CSV), expected);
}

async fn text_and_hashes(app: TestApp) {
    let seed = seed(&app).await;
    let k = ADMIN_KEY;
    // Detection formats take to_ids attributes of published events unless
    // told otherwise; values are distinct, one a line.
    let r = post(
        &app,
        k,
        "/attributes/restSearch",
        json!({"returnFormat": "text", "type": "domain"}),
    )
    .await;
    let domains = |ns: &[u32]| -> String {
        let names = [
            (2, "evil.example"),
            (6, "benign.example"),
            (8, "secret.example"),
            (9, "obj.example"),
            (11, "evil.example"),
        ];
        let mut seen = Vec::new();
        for n in by_id(&seed, ns) {
            let v = names.iter().find(|(m, _)| *m == n).expect("a domain").1;
            if !seen.contains(&v) {
                seen.push(v);
            }
        }
        format!("{}\n", seen.join("\n"))
    };
    assert_eq!(r.ok(TEXT), domains(&[2, 8, 9]));
    assert_eq!(r.count, Some(3));
    assert_eq!(r.module.as_deref(), Some("text"));
    // Both published and unpublished events, to_ids or not: the unpublished
    // copy of evil.example is written once.
    let r = post(
        &app,
        k,
        "/attributes/restSearch",
        json!({"returnFormat": "text", "type": "domain", "published": [0, 1], "to_ids": [0, 1]}),
    )
    .await;
    assert_eq!(r.ok(TEXT), domains(&[2, 6, 8, 9, 11]));
    let r = post(
        &app,
        k,
        "/attributes/restSearch",
        json!({"returnFormat": "text", "type": "domain", "to_ids": 0}),
    )
    .await;
    assert_eq!(r.ok(TEXT), "benign.example\n");
    // Path form: the positional type after the format.
    let r = get(&app, k, "/attributes/restSearch/text/null/null/null/domain").await;
    assert_eq!(r.ok(TEXT), domains(&[2, 8, 9]));
    // Nothing: one empty line.
    let r = post(
        &app,
        k,
        "/attributes/restSearch",
        json!({"returnFormat": "text", "value": "nothing.example"}),
    )
    .await;
    assert_eq!(r.ok(TEXT), "\n");
    // Hashes: the hash of hash types and of filename|hash.
    let r = post(
        &app,
        k,
        "/attributes/restSearch",
        json!({"returnFormat": "hashes", "eventid": seed.alpha.clone()}),
    )
    .await;
    let hashes: Vec<&str> = by_id(&seed, &[4, 5])
        .into_iter()
        .map(|n| {
            if n == 4 {
                "d41d8cd98f00b204e9800998ecf8427e"
            } else {
                "da39a3ee5e6b4b0d3255bfef95601890afd80709"
            }
        })
        .collect();
    assert_eq!(r.ok(TEXT), format!("{}\n", hashes.join("\n")));
    let r = post(
        &app,
        k,
        "/attributes/restSearch",
        json!({"returnFormat": "hashes", "type": "domain"}),
    )
    .await;
    assert_eq!(r.ok(TEXT), "\n");
    // MISP's older URL: /events/hids/{md5|sha1|sha256}/download.
    let r = get(&app, k, "/events/hids/md5/download").await;
    assert_eq!(r.ok(TEXT), "d41d8cd98f00b204e9800998ecf8427e\n");
    assert_eq!(r.count, Some(1));
    let r = get(&app, k, "/events/hids/sha1/download").await;
    assert_eq!(r.ok(TEXT), "da39a3ee5e6b4b0d3255bfef95601890afd80709\n");
    let r = get(&app, k, "/events/hids/sha256").await;
    assert_eq!(r.ok(TEXT), "\n");
    // Events: every to_ids value of the matching published events.
    let r = post(
        &app,
        k,
        "/events/restSearch",
        json!({"returnFormat": "text", "value": "198.51.100.7"}),
    )
    .await;
    let body = r.ok(TEXT).to_owned();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), 8, "{body}");
    assert!(lines.contains(&"a.exe|da39a3ee5e6b4b0d3255bfef95601890afd80709"));
    assert!(!lines.contains(&"benign.example"));
    assert!(!lines.contains(&"203.0.113.9"));
    assert_eq!(r.count, Some(1));
    assert_eq!(
        r.disposition.as_deref(),
        Some("attachment; filename=\"misp.event.list.txt\"")
    );
}

/// The rule text of the seed's Suricata rules, as MISP writes them.
fn suricata_rules(seed: &Seed, n: u32, tags: &str) -> Vec<String> {
    let e = &seed.alpha;
    let sid = seed.sid(n);
    let tail = |sid: i64| {
        format!("classtype:trojan-activity; sid:{sid}; rev:1; priority:1; reference:url,/events/view/{e};) ")
    };
    match n {
        1 => vec![format!(
            "alert ip $HOME_NET any -> 198.51.100.7 any (msg: \"MISP e{e} [{tags}] Outgoing To IP: 198.51.100.7\";   {}",
            tail(sid)
        )],
        2 => vec![
            format!(
                "alert dns any any -> any any (msg: \"MISP e{e} [{tags}] Domain evil.example\"; dns.query; content:\"evil.example\"; nocase; pcre: \"/(^|[^A-Za-z0-9-])evil\\.example$/i\";  {}",
                tail(sid)
            ),
            format!(
                "alert http $HOME_NET any -> $EXTERNAL_NET any (msg: \"MISP e{e} [{tags}] Outgoing HTTP Domain evil.example\"; flow:to_server,established; http.header; content: \"Host|3a|\"; nocase; http.header; content:\"evil.example\"; fast_pattern; nocase; pcre: \"/(^|[^A-Za-z0-9-])evil\\.example[^A-Za-z0-9-\\.]/Hi\"; tag:session,600,seconds; {}",
                tail(sid + 1)
            ),
        ],
        3 => vec![format!(
            "alert tls $HOME_NET any -> $EXTERNAL_NET 443 (msg: \"MISP e{e} [{tags}] Outgoing URL https|3a|//evil.example/path\"; tls.sni; content:\"evil.example\"; tag:session,600,seconds; {}",
            tail(sid)
        )],
        _ => Vec::new(),
    }
}

/// The same rules for Snort.
fn snort_rules(seed: &Seed, n: u32) -> Vec<String> {
    let e = &seed.alpha;
    let sid = seed.sid(n);
    let tail = |sid: i64| {
        format!("classtype:trojan-activity; sid:{sid}; rev:1; priority:1; reference:url,/events/view/{e};) ")
    };
    let dns = "content:\"|01 00 00 01 00 00 00 00 00 01|\"; depth:10; offset:2; content:\"|04|evil|07|example|00|\"; fast_pattern; nocase;";
    match n {
        1 => vec![format!(
            "alert ip $HOME_NET any -> 198.51.100.7 any (msg: \"MISP e{e} [kill-chain:c2] Outgoing To IP: 198.51.100.7\";   {}",
            tail(sid)
        )],
        2 => vec![
            format!(
                "alert udp any any -> any 53 (msg: \"MISP e{e} [] Domain: evil.example\"; {dns}  {}",
                tail(sid)
            ),
            format!(
                "alert tcp any any -> any 53 (msg: \"MISP e{e} [] Domain: evil.example\"; {dns} flow:established;  {}",
                tail(sid + 1)
            ),
            format!(
                "alert tcp $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS (msg: \"MISP e{e} [] Outgoing HTTP Domain: evil.example\"; flow:to_server,established; content: \"Host|3a|\"; nocase; http_header; content:\"evil.example\"; fast_pattern; nocase; http_header; pcre: \"/(^|[^A-Za-z0-9-])evil\\.example[^A-Za-z0-9-\\.]/H\"; tag:session,600,seconds; {}",
                tail(sid + 2)
            ),
        ],
        3 => vec![format!(
            "alert tcp $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS (msg: \"MISP e{e} [] Outgoing HTTP URL: https|3a|//evil.example/path\"; flow:to_server,established; content:\"https|3a|//evil.example/path\"; nocase; http_uri; tag:session,600,seconds; {}",
            tail(sid)
        )],
        _ => Vec::new(),
    }
}

async fn nids_rules(app: TestApp) {
    let seed = seed(&app).await;
    let k = ADMIN_KEY;
    let values = json!([
        "198.51.100.7",
        "evil.example",
        "https://evil.example/path",
        "d41d8cd98f00b204e9800998ecf8427e"
    ]);
    // Suricata, from an attribute search: the attribute's tags in the message.
    let r = post(
        &app,
        k,
        "/attributes/restSearch",
        json!({"returnFormat": "suricata", "value": values.clone()}),
    )
    .await;
    let mut expected = format!("# MISP export of IDS rules - optimized for suricata\n{NIDS_HEAD}");
    for n in by_id(&seed, &[1, 2, 3, 4]) {
        let tags = if n == 1 { "kill-chain:c2" } else { "" };
        for rule in suricata_rules(&seed, n, tags) {
            expected.push('\n');
            expected.push_str(&rule);
        }
    }
    assert_eq!(r.ok(TEXT), expected);
    // The unpublished event's copy of evil.example is not there.
    assert_eq!(r.count, Some(4));
    assert_eq!(r.module.as_deref(), Some("suricata"));
    // Snort.
    let r = post(
        &app,
        k,
        "/attributes/restSearch",
        json!({"returnFormat": "snort", "value": values.clone()}),
    )
    .await;
    let mut expected = format!("# MISP export of IDS rules - optimized for snort\n{NIDS_HEAD}");
    for n in by_id(&seed, &[1, 2, 3, 4]) {
        for rule in snort_rules(&seed, n) {
            expected.push('\n');
            expected.push_str(&rule);
        }
    }
    assert_eq!(r.ok(TEXT), expected);
    // Nothing: the comment block alone.
    for format in ["suricata", "snort"] {
        let r = post(
            &app,
            k,
            "/attributes/restSearch",
            json!({"returnFormat": format, "value": "nothing.example"}),
        )
        .await;
        assert_eq!(
            r.ok(TEXT),
            format!("# MISP export of IDS rules - optimized for {format}\n{NIDS_HEAD}")
        );
    }
    // From an event search: every to_ids attribute of the event, the event's
    // tags after the attribute's.
    let r = post(
        &app,
        k,
        "/events/restSearch",
        json!({"returnFormat": "suricata", "eventid": seed.alpha.clone()}),
    )
    .await;
    let body = r.ok(TEXT).to_owned();
    assert_eq!(
        r.disposition.as_deref(),
        Some(format!("attachment; filename=\"misp.event.{}.txt\"", seed.alpha).as_str())
    );
    for rule in suricata_rules(&seed, 1, "kill-chain:c2,tlp:amber")
        .into_iter()
        .chain(suricata_rules(&seed, 2, "tlp:amber"))
    {
        assert!(body.lines().any(|l| l == rule), "{rule}\nnot in\n{body}");
    }
    // ip-dst 1, domain 2 × 3, url 1, hostname 2; not benign.example.
    assert_eq!(body.lines().filter(|l| l.starts_with("alert ")).count(), 10);
    assert!(!body.contains("benign.example"));
    // MISP's older URL, for events as /events/restSearch does.
    for format in ["suricata", "snort"] {
        let legacy = get(&app, k, &format!("/events/nids/{format}/download")).await;
        let search = post(
            &app,
            k,
            "/events/restSearch",
            json!({"returnFormat": format}),
        )
        .await;
        assert_eq!(legacy.ok(TEXT), search.ok(TEXT));
        assert_eq!(legacy.count, Some(1));
    }
    let r = get(
        &app,
        k,
        &format!("/events/nids/suricata/download/eventid:{}", seed.beta),
    )
    .await;
    assert_eq!(
        r.ok(TEXT),
        format!("# MISP export of IDS rules - optimized for suricata\n{NIDS_HEAD}"),
        "an unpublished event"
    );
}

async fn rpz_zone(app: TestApp) {
    let seed = seed(&app).await;
    let k = ADMIN_KEY;
    let r = post(
        &app,
        k,
        "/attributes/restSearch",
        json!({"returnFormat": "rpz", "eventid": seed.alpha.clone(), "serial": "2024010100"}),
    )
    .await;
    let head = "$TTL 1w;\n\
        @               SOA localhost. root.localhost (2024010100 2h 30m 30d 1h)\n                NS localhost.\n\n";
    let mut domains = String::new();
    for n in by_id(&seed, &[2, 8, 9]) {
        let d = match n {
            2 => "evil.example",
            8 => "secret.example",
            _ => "obj.example",
        };
        domains.push_str(&format!("{d} CNAME .\n*.{d} CNAME .\n"));
    }
    assert_eq!(
        r.ok(TEXT),
        format!(
            "{head}\
             ; The following list of IP addresses will return NXDOMAIN (name does not exist) irrespective of actual result received.\n\
             32.7.100.51.198.rpz-ip CNAME .\n\n\
             ; The following domain names and all of their sub-domains will return NXDOMAIN (name does not exist) irrespective of actual result received.\n\
             {domains}\n\
             ; The following hostnames will return NXDOMAIN (name does not exist) irrespective of actual result received.\n\
             www.evil.example CNAME .\n\n"
        )
    );
    assert_eq!(r.module.as_deref(), Some("rpz"));
    // The zone settings and the policy come from the search.
    let r = post(
        &app,
        k,
        "/attributes/restSearch",
        json!({"returnFormat": "rpz", "value": "evil.example", "policy": "DROP",
               "ns": "ns1.example.", "email": "hostmaster.example", "ttl": "1d",
               "serial": "7"}),
    )
    .await;
    assert_eq!(
        r.ok(TEXT),
        "$TTL 1d;\n\
         @               SOA ns1.example. hostmaster.example (7 2h 30m 30d 1h)\n                NS ns1.example.\n\n\
         ; The following domain names and all of their sub-domains will timeout.\n\
         evil.example CNAME rpz-drop.\n*.evil.example CNAME rpz-drop.\n\n"
    );
    // Nothing found: the zone's records alone; the default serial is today's.
    let r = post(
        &app,
        k,
        "/events/restSearch",
        json!({"returnFormat": "rpz", "value": "nothing.example"}),
    )
    .await;
    let zone = r.ok(TEXT);
    let lines: Vec<&str> = zone.lines().collect();
    assert_eq!(lines.len(), 4, "{zone}");
    assert_eq!(lines[0], "$TTL 1w;");
    let serial = lines[1]
        .strip_prefix("@               SOA localhost. root.localhost (")
        .and_then(|l| l.strip_suffix(" 2h 30m 30d 1h)"))
        .unwrap_or_else(|| panic!("a SOA record: {zone}"));
    assert!(
        serial.len() == 10 && serial.ends_with("00") && serial.starts_with("20"),
        "{serial}"
    );
    assert_eq!(r.count, Some(0));
}

async fn event_csv(app: TestApp) {
    let seed = seed(&app).await;
    let k = ADMIN_KEY;
    // Events matching through any attribute, with all their attributes:
    // top-level ones first, then the objects'.
    let r = post(
        &app,
        k,
        "/events/restSearch",
        json!({"returnFormat": "csv", "value": "obj.example"}),
    )
    .await;
    let rows: String = by_id(&seed, &[1, 2, 3, 4, 5, 6, 7, 8])
        .into_iter()
        .chain([9])
        .map(|n| csv_line(&seed, n))
        .collect();
    assert_eq!(r.ok(CSV), format!("{CSV_HEADER}{rows}\n"));
    assert_eq!(r.count, Some(1));
    assert_eq!(
        r.disposition.as_deref(),
        Some("attachment; filename=\"misp.event.list.csv\"")
    );
    // CSV is not a detection format: unpublished events and attributes
    // without to_ids are in it.
    let r = post(
        &app,
        k,
        "/events/restSearch",
        json!({"returnFormat": "csv", "eventid": seed.beta.clone(), "requested_attributes": "value,type"}),
    )
    .await;
    assert_eq!(
        r.ok(CSV),
        "value,type\n\"203.0.113.9\",\"ip-src\"\n\"evil.example\",\"domain\"\n\n"
    );
    // Empty.
    let r = post(
        &app,
        k,
        "/events/restSearch",
        json!({"returnFormat": "csv", "value": "nothing.example"}),
    )
    .await;
    assert_eq!(r.ok(CSV), format!("{CSV_HEADER}\n"));
    assert_eq!(r.count, Some(0));
    // The path form.
    let r = get(
        &app,
        k,
        &format!(
            "/events/restSearch/csv/eventid:{}/requested_attributes:value",
            seed.beta
        ),
    )
    .await;
    assert_eq!(r.ok(CSV), "value\n\"203.0.113.9\"\n\"evil.example\"\n\n");
    // Another organisation sees the shared attributes only.
    let r = post(
        &app,
        &seed.other_key,
        "/events/restSearch",
        json!({"returnFormat": "csv", "eventid": seed.alpha.clone(), "requested_attributes": ["value"]}),
    )
    .await;
    let body = r.ok(CSV);
    assert!(!body.contains("secret.example"), "{body}");
    assert_eq!(body.lines().count(), 1 + 8 + 1, "{body}");
}

async fn formats_refused(app: TestApp) {
    let k = ADMIN_KEY;
    let r = app
        .post("/attributes/restSearch", k, json!({"returnFormat": "stix"}))
        .await;
    r.expect_error(
        400,
        &format!("The stix export format is not supported yet. Valid formats: {VALID}."),
        "/attributes/restSearch",
    );
    let r = app.get("/events/restSearch/bogus/type:md5", k).await;
    r.expect_error(
        404,
        &format!("Invalid output format: bogus. Valid formats: {VALID}."),
        "/events/restSearch/bogus/type:md5",
    );
    // Objects are searched in JSON only, as in MISP.
    let r = app
        .post("/objects/restSearch", k, json!({"returnFormat": "csv"}))
        .await;
    r.expect_error(
        404,
        "Invalid output format: csv. Valid formats: json.",
        "/objects/restSearch",
    );
    let r = app.get("/events/nids/bro/download", k).await;
    r.expect_error(
        404,
        "Invalid output format: bro. Valid formats: suricata, snort.",
        "/events/nids/bro/download",
    );
    // Exports need a key like any search.
    let r = app.get("/events/hids/md5/download", "").await;
    r.expect(403);
    let r = app
        .post("/attributes/restSearch", "", json!({"returnFormat": "csv"}))
        .await;
    r.expect(403);
    // A GET export without parameters is refused as any restSearch is.
    let r = app.get("/attributes/restSearch", k).await;
    r.expect(400);
}

/// Exports larger than one page: attribute searches read 5,000 attributes
/// a page and event searches about 10,000 a chunk; nothing is lost or
/// repeated between pages.
async fn large_exports_are_paged(app: TestApp) {
    let k = ADMIN_KEY;
    let mut events = Vec::new();
    for (name, n) in [("a", 6_001), ("b", 5_000)] {
        let attributes: Vec<Value> = (0..n)
            .map(|i| {
                json!({"type": "domain", "category": "Network activity",
                            "value": format!("{name}{i:05}.example"), "to_ids": true})
            })
            .collect();
        let e = json!({"Event": {"info": format!("Large {name}"), "distribution": 1,
                                 "published": true, "Attribute": attributes}});
        let r = app.post("/events/add", k, e).await;
        events.push(s(&r.expect(200)["Event"]["id"]));
    }
    // The values in id order, from the JSON search.
    let r = app
        .post(
            "/attributes/restSearch",
            k,
            json!({"eventid": events.clone(), "limit": 20_000}),
        )
        .await;
    let values: Vec<String> = r.expect(200)["response"]["Attribute"]
        .as_array()
        .expect("attributes")
        .iter()
        .map(|a| s(&a["value"]))
        .collect();
    assert_eq!(values.len(), 11_001);
    let r = post(
        &app,
        k,
        "/attributes/restSearch",
        json!({"returnFormat": "text", "eventid": events.clone()}),
    )
    .await;
    assert_eq!(r.ok(TEXT), format!("{}\n", values.join("\n")));
    assert_eq!(r.count, Some(11_001));
    // Events: each event's attributes together, the events in id order.
    let r = post(
        &app,
        k,
        "/events/restSearch",
        json!({"returnFormat": "csv", "eventid": events.clone(), "requested_attributes": ["value"],
               "headerless": 1}),
    )
    .await;
    let rows: String = values.iter().map(|v| format!("\"{v}\"\n")).collect();
    assert_eq!(r.ok(CSV), format!("{rows}\n"));
    assert_eq!(r.count, Some(2));
    // A page asked for is that page only.
    let r = post(
        &app,
        k,
        "/attributes/restSearch",
        json!({"returnFormat": "text", "eventid": events.clone(), "limit": 5_000, "page": 3}),
    )
    .await;
    assert_eq!(r.ok(TEXT), format!("{}\n", values[10_000..].join("\n")));
    assert_eq!(r.count, Some(11_001));
}

api_tests!(
    large_exports_are_paged,
    csv_attributes,
    text_and_hashes,
    nids_rules,
    rpz_zone,
    event_csv,
    formats_refused,
);
