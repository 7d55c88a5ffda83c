//! MISP's URL conventions, applied once before routing.
//!
//! MISP (CakePHP) accepts `camelCase` and `snake_case` controller names,
//! case-insensitive action names, a `.json` suffix on the last segment,
//! CakePHP named parameters (`/path/key:value`), doubled or trailing slashes.
//! This middleware rewrites every such path into the one canonical form the
//! routes are registered under (`/auth_keys/view/3`, `/servers/getVersion`),
//! and moves named parameters into a [`NamedParams`] request extension.

use std::borrow::Cow;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Uri;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse};

use crate::REQUEST_URL;

/// Controllers, in the canonical (snake_case) form routes use.
const CONTROLLERS: &[&str] = &[
    "attributes",
    "auth",
    "auth_keys",
    "event_blocklists",
    "events",
    "health",
    "object_references",
    "object_templates",
    "objects",
    "organisations",
    "roles",
    "servers",
    "sharing_groups",
    "tags",
    "users",
    "sightings",
    "event_reports",
    "shadow_attributes",
];

/// Actions whose canonical spelling is camelCase, as MISP names them.
const ACTIONS: &[&str] = &[
    "addOrg",
    "addServer",
    "addTag",
    "attachTagToObject",
    "describeTypes",
    "getPyMISPVersion",
    "getVersion",
    "listSightings",
    "removeOrg",
    "removeServer",
    "removeTag",
    "removeTagFromObject",
    "restSearch",
];

/// CakePHP named parameters (`key:value` path segments) and query-string
/// parameters of a request, named parameters first.
#[derive(Debug, Clone, Default)]
pub struct NamedParams(pub Vec<(String, String)>);

impl NamedParams {
    /// The first value given for `key` (case-sensitive, as MISP).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

fn canonical<'a>(segment: &'a str, table: &[&'static str]) -> Cow<'a, str> {
    let key = squash(segment);
    match table.iter().find(|c| squash(c) == key) {
        Some(c) => Cow::Borrowed(c),
        None => Cow::Borrowed(segment),
    }
}

fn is_named_param(segment: &str) -> Option<(String, String)> {
    let (key, value) = segment.split_once(':')?;
    let valid_key = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
    valid_key.then(|| (percent_decode(key), percent_decode(value)))
}

/// Decodes `%XX` escapes and `+` (PyMISP turns spaces into `+` in paths).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Paths that are not MISP's and are served exactly as requested: the OpenAPI
/// document (whose `.json` is part of its name) and Swagger UI (whose trailing
/// slash matters).
fn is_passthrough(path: &str) -> bool {
    path == "/openapi.json" || path.starts_with("/swagger-ui/")
}

/// Rewrites a MISP path into its canonical form; returns the new path and the
/// named parameters found in it.
pub fn canonical_path(path: &str) -> (String, Vec<(String, String)>) {
    if is_passthrough(path) {
        return (path.to_owned(), Vec::new());
    }
    let mut named = Vec::new();
    let mut segments: Vec<String> = Vec::new();
    let raw: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let last = raw.len().saturating_sub(1);
    for (i, seg) in raw.iter().enumerate() {
        let seg = if i == last {
            seg.strip_suffix(".json").unwrap_or(seg)
        } else {
            seg
        };
        if segments.len() >= 2 {
            if let Some(kv) = is_named_param(seg) {
                named.push(kv);
                continue;
            }
        }
        segments.push(seg.to_owned());
    }
    let controller_at = usize::from(segments.first().is_some_and(|s| s == "admin"));
    if let Some(c) = segments.get_mut(controller_at) {
        *c = canonical(c, CONTROLLERS).into_owned();
    }
    if let Some(a) = segments.get_mut(controller_at + 1) {
        *a = canonical(a, ACTIONS).into_owned();
    }
    (format!("/{}", segments.join("/")), named)
}

/// The middleware: canonicalises the path, records named and query
/// parameters, and keeps the URL as the client sent it for error bodies.
pub async fn misp_paths(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let original = req.path().to_owned();
    // No stored value can hold a NUL, and PostgreSQL refuses them outright:
    // a URL carrying one is answered here, the same on every backend.
    if req.uri().to_string().to_ascii_lowercase().contains("%00") {
        let body = crate::error::message_body(crate::wire::NUL_REFUSED, &original);
        return Ok(req
            .into_response(HttpResponse::BadRequest().json(body))
            .map_into_right_body());
    }
    let (path, mut named) = canonical_path(&original);
    if let Some(query) = req.uri().query() {
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            named.push((percent_decode(k), percent_decode(v)));
        }
    }
    if path != original {
        let rebuilt = match req.uri().query() {
            Some(q) => format!("{path}?{q}"),
            None => path,
        };
        if let Ok(uri) = rebuilt.parse::<Uri>() {
            req.match_info_mut().get_mut().update(&uri);
            req.head_mut().uri = uri;
        }
    }
    req.extensions_mut().insert(NamedParams(named));
    REQUEST_URL
        .scope(original, next.call(req))
        .await
        .map(ServiceResponse::map_into_left_body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonicalises_misp_paths() {
        assert_eq!(
            canonical_path("/authKeys/view/3.json").0,
            "/auth_keys/view/3"
        );
        assert_eq!(canonical_path("/auth_keys/view/3").0, "/auth_keys/view/3");
        assert_eq!(
            canonical_path("/servers/getversion").0,
            "/servers/getVersion"
        );
        assert_eq!(
            canonical_path("/servers/getPyMISPVersion.json").0,
            "/servers/getPyMISPVersion"
        );
        assert_eq!(
            canonical_path("/attributes/describe_types.json").0,
            "/attributes/describeTypes"
        );
        assert_eq!(
            canonical_path("//admin/users//index/").0,
            "/admin/users/index"
        );
        let (p, named) = canonical_path("/organisations/index/scope:all/searchall:CIRCL+Lux");
        assert_eq!(p, "/organisations/index");
        assert_eq!(
            named,
            vec![
                ("scope".to_owned(), "all".to_owned()),
                ("searchall".to_owned(), "CIRCL Lux".to_owned())
            ]
        );
        let (_, named) = canonical_path("/attributes/restSearch/value:2001:db8::1");
        assert_eq!(named, vec![("value".to_owned(), "2001:db8::1".to_owned())]);
        assert_eq!(canonical_path("/").0, "/");
        assert_eq!(canonical_path("/openapi.json").0, "/openapi.json");
        assert_eq!(canonical_path("/swagger-ui/").0, "/swagger-ui/");
        assert_eq!(
            canonical_path("/swagger-ui/swagger-ui.css").0,
            "/swagger-ui/swagger-ui.css"
        );
    }

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(percent_decode("a%20b%3Ac"), "a b:c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
