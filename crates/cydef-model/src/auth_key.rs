//! MISP API keys ("advanced auth keys").
//!
//! A key is 40 ASCII alphanumerics. Like MISP we store only a hash and the
//! first and last four characters, and find a key by those four-and-four.
//! Unlike MISP (bcrypt), the hash is SHA-256: a random 40-character key has
//! about 238 bits of entropy, so a slow KDF adds nothing against guessing
//! while it would cost tens of milliseconds on every API call.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use rand::{distributions::Alphanumeric, Rng};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Length of a MISP API key.
pub const KEY_LEN: usize = 40;

/// A syntactically valid API key. Its `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Parses a key as sent in `Authorization` or `X-MISP-AUTH`.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        (s.len() == KEY_LEN && s.bytes().all(|b| b.is_ascii_alphanumeric()))
            .then(|| Self(s.to_owned()))
    }

    /// A new random key.
    pub fn generate() -> Self {
        let key: String = rand::thread_rng()
            .sample_iter(&Alphanumeric)
            .take(KEY_LEN)
            .map(char::from)
            .collect();
        Self(key)
    }

    /// The plaintext key. Call only to hand it to its owner, once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn start(&self) -> &str {
        &self.0[..4]
    }

    pub fn end(&self) -> &str {
        &self.0[KEY_LEN - 4..]
    }

    /// Hex SHA-256 of the key, as stored.
    pub fn hash(&self) -> String {
        hash_hex(self.0.as_bytes())
    }

    /// Constant-time comparison against a stored hash.
    pub fn matches(&self, stored_hash: &str) -> bool {
        self.hash().as_bytes().ct_eq(stored_hash.as_bytes()).into()
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({}…{})", self.start(), self.end())
    }
}

fn hash_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A stored auth key (never the key itself).
#[derive(Debug, Clone, PartialEq)]
pub struct AuthKey {
    pub id: i64,
    pub uuid: String,
    pub authkey_start: String,
    pub authkey_end: String,
    pub authkey_hash: String,
    pub created: i64,
    /// Epoch seconds; 0 means it never expires.
    pub expiration: i64,
    pub read_only: bool,
    pub user_id: i64,
    pub comment: String,
    /// CIDR ranges the key may be used from; empty means anywhere.
    pub allowed_ips: Vec<IpNet>,
    pub last_used: Option<i64>,
}

impl AuthKey {
    pub fn is_expired(&self, now: i64) -> bool {
        self.expiration > 0 && self.expiration <= now
    }

    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        let ip = canonical_ip(ip);
        self.allowed_ips.is_empty() || self.allowed_ips.iter().any(|net| net.contains(&ip))
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`) compare as IPv4.
fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// What a new key is made of; the store assigns id and uuid.
#[derive(Debug, Clone)]
pub struct NewAuthKey {
    pub user_id: i64,
    pub expiration: i64,
    pub read_only: bool,
    pub comment: String,
    pub allowed_ips: Vec<IpNet>,
}

/// Parses MISP's `allowed_ips`: a list or a newline/comma separated string of
/// IPs or CIDR ranges. A bare IP becomes a /32 or /128.
pub fn parse_allowed_ips(items: &[String]) -> Result<Vec<IpNet>, String> {
    let mut out = Vec::new();
    for raw in items.iter().flat_map(|s| s.split([',', '\n', ' '])) {
        let item = raw.trim();
        if item.is_empty() {
            continue;
        }
        let net = item
            .parse::<IpNet>()
            .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
            .map_err(|_| format!("{item} is not a valid IP range"))?;
        out.push(net.trunc());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_40_alphanumerics() {
        assert!(ApiKey::parse(&"a".repeat(40)).is_some());
        assert!(ApiKey::parse(&"a".repeat(39)).is_none());
        assert!(ApiKey::parse(&format!("{}!", "a".repeat(39))).is_none());
        assert!(ApiKey::parse("Basic dXNlcjpwYXNz").is_none());
    }

    #[test]
    fn generated_keys_hash_and_match() {
        let k = ApiKey::generate();
        assert_eq!(k.expose().len(), 40);
        let h = k.hash();
        assert_eq!(h.len(), 64);
        assert!(k.matches(&h));
        assert!(!ApiKey::generate().matches(&h));
        let dbg = format!("{k:?}");
        assert!(!dbg.contains(k.expose()));
    }

    #[test]
    fn allowed_ips() {
        let nets = parse_allowed_ips(&["10.0.0.0/8, 192.0.2.1".into(), "2001:db8::/32".into()])
            .expect("valid");
        let key = AuthKey {
            id: 1,
            uuid: String::new(),
            authkey_start: String::new(),
            authkey_end: String::new(),
            authkey_hash: String::new(),
            created: 0,
            expiration: 0,
            read_only: false,
            user_id: 1,
            comment: String::new(),
            allowed_ips: nets,
            last_used: None,
        };
        assert!(key.allows_ip("10.2.3.4".parse().expect("ip")));
        assert!(key.allows_ip("::ffff:10.2.3.4".parse().expect("ip")));
        assert!(key.allows_ip("192.0.2.1".parse().expect("ip")));
        assert!(!key.allows_ip("192.0.2.2".parse().expect("ip")));
        assert!(key.allows_ip("2001:db8::5".parse().expect("ip")));
        assert!(!key.allows_ip("127.0.0.1".parse().expect("ip")));
        assert!(parse_allowed_ips(&["nonsense".into()]).is_err());
    }

    #[test]
    fn expiry() {
        let mut key = AuthKey {
            id: 1,
            uuid: String::new(),
            authkey_start: String::new(),
            authkey_end: String::new(),
            authkey_hash: String::new(),
            created: 0,
            expiration: 0,
            read_only: false,
            user_id: 1,
            comment: String::new(),
            allowed_ips: vec![],
            last_used: None,
        };
        assert!(!key.is_expired(100));
        key.expiration = 100;
        assert!(key.is_expired(100));
        assert!(!key.is_expired(99));
    }
}
