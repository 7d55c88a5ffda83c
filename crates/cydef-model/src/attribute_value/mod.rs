//! Attribute value normalisation and validation, as MISP applies it before an
//! attribute is stored.
//!
//! [`normalise`] runs, for one of MISP's attribute types, the same pipeline
//! MISP does: trim, refang (for the URL, host, IP and e-mail types), the
//! type's rewrite (case, separators, IPv6 compression, punycode, ...), the
//! generic value checks (not empty, not only control characters, composite
//! shape) and then the type's own check, answering MISP's own message when the
//! value is refused.
//!
//! Where Cydef departs from MISP it is lenient only in ways that produce a
//! value MISP itself accepts, so values flow both ways between the two:
//! 4-byte UTF-8 (emoji) is kept rather than replaced by `?`, host names get
//! the same dot-trimming and punycode treatment as domains, whitespace around
//! the `|` of network and hash composites is dropped, `(.)`/`{.}` are refanged
//! too, `integer` accepts a signed whole number (MISP's check can never pass
//! for a string), and the types MISP lists but does not validate
//! (`suricata`, `edge-extension-id`, `uuid`, `filename|impfuzzy`) get the rule
//! of their nearest sibling.

mod checks;
mod datetime;
mod net;
#[cfg(test)]
mod tests;

use std::fmt;

use checks::{
    has_newline, is_all_control, is_alnum, is_cdhash, is_digits, is_hash, is_impfuzzy, is_integer,
    is_numeric, is_port, is_ssdeep, is_ssh_fingerprint, is_telfhash, is_tlsh, is_xdigits, php_trim,
};
pub use datetime::{check_seen_order, format_seen, normalise_seen, parse_seen, parse_seen_opt};

/// The longest value MISP stores (its `value` column is a TEXT), in bytes.
pub const MAX_VALUE_BYTES: usize = 65535;

/// Why a value was refused, in MISP's own words where MISP has them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    pub message: String,
}

impl ValueError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ValueError {}

impl From<&str> for ValueError {
    fn from(message: &str) -> Self {
        Self::new(message)
    }
}

/// MISP's validation messages.
pub(crate) mod msg {
    pub const INVALID_TYPE: &str = "Invalid type.";
    pub const EMPTY: &str = "Value cannot be empty.";
    pub const CONTROL: &str =
        "Value provided consists purely of control characters and is therefore considered to be empty.";
    pub const COMPOSITE: &str =
        "Composite type found but the value not in the composite (value1|value2) format.";
    pub const DEFAULT: &str =
        "Value not in the right type/format. Please double check the value or select type \"other\".";
    pub const TOO_LONG: &str = "The entered string is too long and would get truncated. Please consider adding the data as an attachment instead";
    pub const TLSH: &str = "Checksum has an invalid length or format (expected: at least 35 hexadecimal characters, optionally starting with t1 instead of hexadecimal characters). Please double check the value or select type \"other\".";
    pub const TELFHASH: &str = "Checksum has an invalid length or format (expected: 70 or 72 hexadecimal characters). Please double check the value or select type \"other\".";
    pub const PEHASH: &str = "The input doesn't match the expected sha1 format (expected: 40 hexadecimal characters). Keep in mind that MISP currently only supports SHA1 for PEhashes, if you would like to get the support extended to other hash types, make sure to create a github ticket about it at https://github.com/MISP/MISP!";
    pub const SSDEEP: &str = "Invalid SSDeep hash. The format has to be blocksize:hash:hash";
    pub const IMPFUZZY: &str = "Invalid impfuzzy format. The format has to be imports:hash:hash";
    pub const CDHASH: &str =
        "The input doesn't match the expected format (expected: 40 or more hexadecimal characters)";
    pub const HTTP_METHOD: &str = "Unknown HTTP method.";
    pub const FILENAME_PEHASH: &str = "The input doesn't match the expected filename|sha1 format (expected: filename|40 hexadecimal characters). Keep in mind that MISP currently only supports SHA1 for PEhashes, if you would like to get the support extended to other hash types, make sure to create a github ticket about it at https://github.com/MISP/MISP!";
    pub const FILENAME_NEWLINE: &str = "Filename must not contain new line character.";
    pub const FILENAME_SSDEEP: &str = "Invalid ssdeep hash (expected: blocksize:hash:hash).";
    pub const FILENAME_TLSH: &str = "TLSH hash has an invalid length or format (expected: filename|at least 35 hexadecimal characters, optionally starting with t1 instead of hexadecimal characters). Please double check the value or select type \"other\".";
    pub const FILENAME_VHASH: &str = "Checksum has an invalid length or format (expected: filename|string characters). Please double check the value or select type \"other\".";
    pub const CIDR_FORMAT: &str = "Invalid CIDR notation value found.";
    pub const CIDR_V4: &str =
        "Invalid CIDR notation value found, for IPv4 must be lower or equal 32.";
    pub const CIDR_V6: &str =
        "Invalid CIDR notation value found, for IPv6 must be lower or equal 128.";
    pub const IP_FORMAT: &str = "IP address has an invalid format.";
    pub const PORT: &str = "Port numbers have to be integers between 1 and 65535.";
    pub const ONION: &str = "Onion address has an invalid format.";
    pub const HOSTNAME_FORMAT: &str = "Hostname has an invalid format.";
    pub const DOMAIN_FORMAT: &str = "Domain has an invalid format.";
    pub const EMAIL: &str =
        "Email address has an invalid format. Please double check the value or select type \"other\".";
    pub const CVE: &str = "Invalid format. Expected: CVE-xxxx-xxxx...";
    pub const CWE: &str = "Invalid format. Expected: CWE-x...";
    pub const WINDOWS_SERVICE: &str = "Invalid format. Only values shorter than 256 characters that don't include any forward or backward slashes are allowed.";
    pub const NEWLINE: &str = "Value must not contain new line character.";
    pub const SSH: &str = "SSH fingerprint must be in MD5 or SHA256 format.";
    pub const DATETIME: &str = "Datetime has to be in the ISO 8601 format.";
    pub const WHOLE_NUMBER: &str = "The value has to be a whole number greater or equal 0.";
    pub const INTEGER: &str = "The value has to be an integer value.";
    pub const AS: &str = "AS number have to be integer between 1 and 4294967295";
    pub const UUID: &str = "Please provide a valid RFC 4122 UUID";
    pub const SEEN_FORMAT: &str = "Invalid ISO 8601 format";
    pub const SEEN_ORDER: &str = "Last seen value should be greater than first seen value";

    pub fn hash(len: usize) -> String {
        format!("Checksum has an invalid length or format (expected: {len} hexadecimal characters). Please double check the value or select type \"other\".")
    }

    pub fn filename_hash(len: usize) -> String {
        format!("Checksum has an invalid length or format (expected: filename|{len} hexadecimal characters). Please double check the value or select type \"other\".")
    }

    /// `Domain has an invalid format. ...` / `Hostname has an invalid format. ...`
    pub fn host(type_name: &str) -> String {
        let mut chars = type_name.chars();
        let upper: String = chars
            .next()
            .map(|c| c.to_ascii_uppercase())
            .into_iter()
            .chain(chars)
            .collect();
        format!("{upper} has an invalid format. Please double check the value or select type \"other\".")
    }
}

/// The number of hex digits of each fixed-length hash type.
fn hash_len(name: &str) -> Option<usize> {
    Some(match name {
        "md5"
        | "imphash"
        | "x509-fingerprint-md5"
        | "ja3-fingerprint-md5"
        | "hassh-md5"
        | "hasshserver-md5"
        | "dom-hash" => 32,
        "sha1" | "git-commit-id" | "x509-fingerprint-sha1" | "pehash" => 40,
        "sha224" | "sha512/224" | "sha3-224" => 56,
        "jarm-fingerprint" => 62,
        "sha256" | "authentihash" | "x509-fingerprint-sha256" | "sha512/256" | "sha3-256" => 64,
        "sha384" | "sha3-384" => 96,
        "sha512" | "sha3-512" => 128,
        _ => return None,
    })
}

/// How one attribute type is rewritten and checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Fixed-length hex; `lower`: lower-cased first (all but `git-commit-id`).
    Hash {
        len: usize,
        lower: bool,
    },
    /// X.509 fingerprint: colons dropped, lower-cased, fixed-length hex.
    X509 {
        len: usize,
    },
    Tlsh,
    Telfhash,
    Pehash,
    Ssdeep,
    Impfuzzy,
    Cdhash,
    Vhash,
    /// `filename|<fixed-length hash>`.
    FilenameHash {
        len: usize,
    },
    FilenamePehash,
    FilenameSsdeep,
    FilenameTlsh,
    FilenameVhash,
    FilenameImpfuzzy,
    HttpMethod,
    Ip,
    IpPort,
    Port,
    Domain,
    Hostname,
    HostnamePort,
    DomainIp,
    /// `lower`: MISP lower-cases only some of the e-mail-shaped types.
    Email {
        lower: bool,
    },
    Vulnerability,
    Weakness,
    WindowsService,
    /// Anything non-empty.
    Free,
    /// Anything non-empty, lower-cased (`anonymised`).
    FreeLower,
    /// Anything non-empty on a single line.
    SingleLine,
    Link,
    Hex,
    SshFingerprint,
    Datetime,
    WholeNumber,
    Integer,
    /// `[A-Za-z0-9]+` (cryptocurrency addresses).
    Alnum,
    /// IBAN/BIC: upper-cased, separators dropped, alphanumeric.
    BankCode,
    /// Card numbers and BINs: everything but digits dropped.
    CardDigits,
    Numeric,
    Phone,
    Cortex,
    Boolean,
    As,
    Mac {
        groups: usize,
    },
    Onion,
    Uuid,
}

/// The rule of each of MISP's attribute types; `None` for anything else.
fn rule_for(type_name: &str) -> Option<Rule> {
    use Rule::*;
    let rule = match type_name {
        "git-commit-id" => Hash {
            len: 40,
            lower: false,
        },
        "x509-fingerprint-sha1" | "x509-fingerprint-md5" | "x509-fingerprint-sha256" => X509 {
            len: hash_len(type_name)?,
        },
        "md5"
        | "sha1"
        | "sha256"
        | "sha224"
        | "sha384"
        | "sha512"
        | "sha512/224"
        | "sha512/256"
        | "sha3-224"
        | "sha3-256"
        | "sha3-384"
        | "sha3-512"
        | "imphash"
        | "authentihash"
        | "ja3-fingerprint-md5"
        | "jarm-fingerprint"
        | "hassh-md5"
        | "hasshserver-md5"
        | "dom-hash" => Hash {
            len: hash_len(type_name)?,
            lower: true,
        },
        "tlsh" => Tlsh,
        "telfhash" => Telfhash,
        "pehash" => Pehash,
        "ssdeep" => Ssdeep,
        "impfuzzy" => Impfuzzy,
        "cdhash" => Cdhash,
        "vhash" => Vhash,
        "filename|pehash" => FilenamePehash,
        "filename|ssdeep" => FilenameSsdeep,
        "filename|tlsh" => FilenameTlsh,
        "filename|vhash" => FilenameVhash,
        "filename|impfuzzy" => FilenameImpfuzzy,
        "filename|md5"
        | "filename|sha1"
        | "filename|sha256"
        | "filename|imphash"
        | "filename|authentihash"
        | "filename|sha224"
        | "filename|sha384"
        | "filename|sha512"
        | "filename|sha512/224"
        | "filename|sha512/256"
        | "filename|sha3-224"
        | "filename|sha3-256"
        | "filename|sha3-384"
        | "filename|sha3-512" => FilenameHash {
            len: hash_len(type_name.strip_prefix("filename|")?)?,
        },
        "http-method" => HttpMethod,
        "ip-src" | "ip-dst" => Ip,
        "ip-src|port" | "ip-dst|port" => IpPort,
        "port" => Port,
        "domain" => Domain,
        "hostname" => Hostname,
        "hostname|port" => HostnamePort,
        "domain|ip" => DomainIp,
        "email" | "email-src" | "email-dst" | "target-email" | "whois-registrant-email" => {
            Email { lower: true }
        }
        "eppn" | "dns-soa-email" | "jabber-id" => Email { lower: false },
        "vulnerability" => Vulnerability,
        "weakness" => Weakness,
        "windows-service-name" | "windows-service-displayname" => WindowsService,
        "anonymised" => FreeLower,
        "mutex"
        | "process-state"
        | "snort"
        | "suricata"
        | "bro"
        | "zeek"
        | "community-id"
        | "pattern-in-file"
        | "pattern-in-traffic"
        | "pattern-in-memory"
        | "filename-pattern"
        | "pgp-public-key"
        | "pgp-private-key"
        | "yara"
        | "stix2-pattern"
        | "sigma"
        | "gene"
        | "kusto-query"
        | "mime-type"
        | "identity-card-number"
        | "cookie"
        | "attachment"
        | "malware-sample"
        | "comment"
        | "text"
        | "other"
        | "cpe"
        | "email-attachment"
        | "email-body"
        | "email-header"
        | "first-name"
        | "middle-name"
        | "last-name"
        | "full-name" => Free,
        "link" => Link,
        "hex" => Hex,
        "target-user"
        | "campaign-name"
        | "campaign-id"
        | "threat-actor"
        | "target-machine"
        | "target-org"
        | "target-location"
        | "target-external"
        | "email-subject"
        | "malware-type"
        | "url"
        | "uri"
        | "user-agent"
        | "regkey"
        | "regkey|value"
        | "filename"
        | "pdb"
        | "windows-scheduled-task"
        | "whois-registrant-name"
        | "whois-registrant-org"
        | "whois-registrar"
        | "whois-creation-date"
        | "date-of-birth"
        | "place-of-birth"
        | "gender"
        | "passport-number"
        | "passport-country"
        | "passport-expiration"
        | "redress-number"
        | "nationality"
        | "visa-number"
        | "issue-date-of-the-visa"
        | "primary-residence"
        | "country-of-residence"
        | "special-service-request"
        | "frequent-flyer-number"
        | "travel-details"
        | "payment-details"
        | "place-port-of-original-embarkation"
        | "place-port-of-clearance"
        | "place-port-of-onward-foreign-destination"
        | "passenger-name-record-locator-number"
        | "email-dst-display-name"
        | "email-src-display-name"
        | "email-reply-to"
        | "email-x-mailer"
        | "email-mime-boundary"
        | "email-thread-index"
        | "email-message-id"
        | "github-username"
        | "github-repository"
        | "github-organisation"
        | "twitter-id"
        | "dkim"
        | "dkim-signature"
        | "favicon-mmh3"
        | "chrome-extension-id"
        | "edge-extension-id"
        | "mobile-application-id"
        | "azure-application-id"
        | "named pipe" => SingleLine,
        "ssh-fingerprint" => SshFingerprint,
        "datetime" => Datetime,
        "size-in-bytes" | "counter" => WholeNumber,
        "integer" => Integer,
        "btc" | "dash" | "xmr" => Alnum,
        "iban" | "bic" => BankCode,
        "cc-number" | "bin" => CardDigits,
        "bank-account-nr" | "aba-rtn" | "float" => Numeric,
        "prtn" | "phone-number" | "whois-registrant-phone" => Phone,
        "cortex" => Cortex,
        "boolean" => Boolean,
        "AS" => As,
        "mac-address" => Mac { groups: 6 },
        "mac-eui-64" => Mac { groups: 8 },
        "onion-address" => Onion,
        "uuid" => Uuid,
        _ => return None,
    };
    Some(rule)
}

/// MISP's HTTP methods (matched anywhere in the value, as MISP does).
const HTTP_METHODS: &[&str] = &[
    "OPTIONS",
    "GET",
    "HEAD",
    "POST",
    "PUT",
    "DELETE",
    "TRACE",
    "CONNECT",
    "PROPFIND",
    "PROPPATCH",
    "MKCOL",
    "COPY",
    "MOVE",
    "LOCK",
    "UNLOCK",
    "VERSION-CONTROL",
    "REPORT",
    "CHECKOUT",
    "CHECKIN",
    "UNCHECKOUT",
    "MKWORKSPACE",
    "UPDATE",
    "LABEL",
    "MERGE",
    "BASELINE-CONTROL",
    "MKACTIVITY",
    "ORDERPATCH",
    "ACL",
    "PATCH",
    "SEARCH",
];

/// Normalises and validates `value` as an attribute of type `type_name`,
/// returning the value MISP would store, or MISP's reason for refusing it.
pub fn normalise(type_name: &str, value: &str) -> Result<String, ValueError> {
    let rule = rule_for(type_name).ok_or(msg::INVALID_TYPE)?;
    let refanged = net::refang(type_name, php_trim(value));
    let value = rule.rewrite(&refanged);
    check_shape(type_name, &value)?;
    rule.check(type_name, &value)?;
    if value.len() > MAX_VALUE_BYTES {
        return Err(msg::TOO_LONG.into());
    }
    Ok(value)
}

/// Whether values of `type_name` are stored as `value1|value2`: the `a|b`
/// types, plus `malware-sample` (`filename|md5`).
pub fn is_composite(type_name: &str) -> bool {
    crate::types::is_type(type_name) && (type_name.contains('|') || type_name == "malware-sample")
}

/// `value1` and `value2` as MISP stores them: the two halves of a composite
/// value, or the value and `""` for any other type. `None` when a composite
/// type's value does not have exactly one `|`.
pub fn split_composite(type_name: &str, value: &str) -> Option<(String, String)> {
    if !is_composite(type_name) {
        return Some((value.to_owned(), String::new()));
    }
    let (first, second) = value.split_once('|')?;
    if second.contains('|') {
        return None;
    }
    Some((first.to_owned(), second.to_owned()))
}

/// The checks MISP runs on every value before the type's own: not empty, not
/// only control characters (nor either half of a composite), and composite
/// values in `a|b` form.
fn check_shape(type_name: &str, value: &str) -> Result<(), ValueError> {
    if php_trim(value).is_empty() {
        return Err(msg::EMPTY.into());
    }
    let composite = is_composite(type_name);
    let mut halves = value.splitn(2, '|');
    let first = halves.next().unwrap_or_default();
    let second = halves.next().unwrap_or_default();
    // PHP's `!empty()` treats "0" as empty.
    let second_counts = composite && !second.is_empty() && second != "0";
    if is_all_control(value)
        || (composite && is_all_control(first))
        || (second_counts && is_all_control(second))
    {
        return Err(msg::CONTROL.into());
    }
    if composite && value.matches('|').count() != 1 {
        return Err(msg::COMPOSITE.into());
    }
    Ok(())
}

/// Lower-cases the part after the first `|` (and trims it), leaving the
/// file name as given.
fn lower_after_pipe(value: &str) -> String {
    match value.split_once('|') {
        Some((name, hash)) => format!("{name}|{}", php_trim(hash).to_ascii_lowercase()),
        None => value.to_owned(),
    }
}

/// The two halves of a value `check_shape` has already found composite.
fn halves(value: &str) -> Result<(&str, &str), ValueError> {
    value.split_once('|').ok_or_else(|| msg::COMPOSITE.into())
}

fn ensure(ok: bool, message: &str) -> Result<(), ValueError> {
    if ok {
        Ok(())
    } else {
        Err(message.into())
    }
}

impl Rule {
    /// MISP's `modifyBeforeValidation`: the type's rewrite of a trimmed,
    /// refanged value. Never fails; a value it cannot make sense of is
    /// returned as is for [`Rule::check`] to refuse.
    fn rewrite(self, v: &str) -> String {
        use Rule::*;
        match self {
            Hash { lower: true, .. }
            | Tlsh
            | Telfhash
            | Pehash
            | Cdhash
            | Vhash
            | FreeLower
            | Onion
            | Uuid => v.to_ascii_lowercase(),
            X509 { .. } => v.replace(':', "").to_ascii_lowercase(),
            // Real exports carry ssdeep hashes wrapped over lines; a hash
            // never contains white space, so it is removed.
            Ssdeep => v.chars().filter(|c| !c.is_whitespace()).collect(),
            FilenameHash { .. } | FilenamePehash | FilenameTlsh | FilenameVhash => {
                lower_after_pipe(v)
            }
            FilenameSsdeep | FilenameImpfuzzy => match v.split_once('|') {
                Some((name, hash)) => format!("{name}|{}", php_trim(hash)),
                None => v.to_owned(),
            },
            HttpMethod | Hex => v.to_ascii_uppercase(),
            Vulnerability | Weakness => v.replace('\u{2013}', "-").to_ascii_uppercase(),
            Email { lower: true } => v.to_ascii_lowercase(),
            Ip => net::normalise_ip(v),
            IpPort => match net::split_ip_port(v) {
                Some((ip, port)) => {
                    let ip = php_trim(&ip);
                    let ip = ip
                        .strip_prefix('[')
                        .and_then(|i| i.strip_suffix(']'))
                        .unwrap_or(ip);
                    format!("{}|{}", net::normalise_ip(ip), php_trim(&port))
                }
                None => v.to_owned(),
            },
            Domain | Hostname => net::normalise_domain(v),
            HostnamePort => {
                let v = v.to_ascii_lowercase().replace(':', "|");
                match v.split_once('|') {
                    Some((host, port)) if !port.contains('|') => {
                        format!(
                            "{}|{}",
                            net::normalise_domain(php_trim(host)),
                            php_trim(port)
                        )
                    }
                    _ => v,
                }
            }
            DomainIp => {
                let v = v.to_ascii_lowercase();
                match v.split_once('|') {
                    Some((domain, ip)) => {
                        format!(
                            "{}|{}",
                            net::normalise_domain(php_trim(domain)),
                            net::normalise_ip(php_trim(ip))
                        )
                    }
                    None => v,
                }
            }
            CardDigits => v.chars().filter(char::is_ascii_digit).collect(),
            BankCode => v
                .to_ascii_uppercase()
                .chars()
                .filter(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
                .collect(),
            Phone => {
                let v = match v.strip_prefix("00") {
                    Some(rest) => format!("+{rest}"),
                    None => v.to_owned(),
                };
                v.replace("(0)", "")
                    .chars()
                    .filter(|c| *c == '+' || c.is_ascii_digit())
                    .collect()
            }
            Mac { .. } => net::normalise_mac(v),
            Boolean => {
                let v = php_trim(v).to_ascii_lowercase();
                let truthy = match v.as_str() {
                    "true" => true,
                    "false" | "" | "0" => false,
                    // PHP truthiness: any other non-empty string is true.
                    _ => true,
                };
                if truthy { "1" } else { "0" }.to_owned()
            }
            Datetime => datetime::parse_datetime(v, false)
                .map_or_else(|| v.to_owned(), datetime::format_misp_datetime),
            As => net::normalise_as(v),
            Hash { lower: false, .. }
            | Impfuzzy
            | Port
            | Email { lower: false }
            | WindowsService
            | Free
            | SingleLine
            | Link
            | SshFingerprint
            | WholeNumber
            | Integer
            | Alnum
            | Numeric
            | Cortex => v.to_owned(),
        }
    }

    /// MISP's `validate`: the type's check of a rewritten value.
    fn check(self, type_name: &str, v: &str) -> Result<(), ValueError> {
        use Rule::*;
        match self {
            Hash { len, .. } | X509 { len } => {
                if is_hash(v, len) {
                    Ok(())
                } else {
                    Err(ValueError::new(msg::hash(len)))
                }
            }
            Tlsh => ensure(is_tlsh(v), msg::TLSH),
            Telfhash => ensure(is_telfhash(v), msg::TELFHASH),
            Pehash => ensure(is_hash(v, 40), msg::PEHASH),
            Ssdeep => ensure(is_ssdeep(v), msg::SSDEEP),
            Impfuzzy => ensure(is_impfuzzy(v), msg::IMPFUZZY),
            Cdhash => ensure(is_cdhash(v), msg::CDHASH),
            Vhash => ensure(!has_newline(v), msg::DEFAULT),
            FilenameHash { len } => {
                let (name, hash) = halves(v)?;
                if filename_ok(name) && is_lower_hex(hash, len) {
                    Ok(())
                } else {
                    Err(ValueError::new(msg::filename_hash(len)))
                }
            }
            FilenamePehash => {
                let (name, hash) = halves(v)?;
                ensure(
                    filename_ok(name) && is_lower_hex(hash, 40),
                    msg::FILENAME_PEHASH,
                )
            }
            FilenameSsdeep => {
                let (name, hash) = halves(v)?;
                ensure(!has_newline(name), msg::FILENAME_NEWLINE)?;
                ensure(is_ssdeep(hash), msg::FILENAME_SSDEEP)
            }
            FilenameTlsh => {
                let (name, hash) = halves(v)?;
                ensure(!has_newline(name), msg::FILENAME_NEWLINE)?;
                ensure(is_tlsh(hash), msg::FILENAME_TLSH)
            }
            FilenameVhash => {
                let (name, hash) = halves(v)?;
                ensure(filename_ok(name) && filename_ok(hash), msg::FILENAME_VHASH)
            }
            FilenameImpfuzzy => {
                let (name, hash) = halves(v)?;
                ensure(!has_newline(name), msg::FILENAME_NEWLINE)?;
                ensure(is_impfuzzy(hash), msg::IMPFUZZY)
            }
            HttpMethod => ensure(HTTP_METHODS.iter().any(|m| v.contains(m)), msg::HTTP_METHOD),
            Ip => net::check_ip_or_cidr(v).map_err(ValueError::from),
            Port => ensure(is_port(v), msg::PORT),
            IpPort => {
                let (ip, port) = halves(v)?;
                ensure(net::is_ip(ip), msg::IP_FORMAT)?;
                ensure(is_port(port), msg::PORT)
            }
            Domain | Hostname => {
                if net::is_domain(v) {
                    Ok(())
                } else {
                    Err(ValueError::new(msg::host(type_name)))
                }
            }
            HostnamePort => {
                let (host, port) = halves(v)?;
                ensure(net::is_domain(host), msg::HOSTNAME_FORMAT)?;
                ensure(is_port(port), msg::PORT)
            }
            DomainIp => {
                let (domain, ip) = halves(v)?;
                ensure(net::is_domain(domain), msg::DOMAIN_FORMAT)?;
                ensure(net::is_ip(ip), msg::IP_FORMAT)
            }
            Email { .. } => ensure(net::is_email(v), msg::EMAIL),
            Vulnerability => ensure(is_cve(v), msg::CVE),
            Weakness => ensure(v.strip_prefix("CWE-").is_some_and(is_digits), msg::CWE),
            WindowsService => ensure(
                v.len() <= 256 && !v.contains(['/', '\\']),
                msg::WINDOWS_SERVICE,
            ),
            Free | FreeLower | Boolean => Ok(()),
            SingleLine => ensure(!has_newline(v), msg::NEWLINE),
            Link => ensure(net::is_php_url(v), msg::DEFAULT),
            Hex => ensure(is_xdigits(v), msg::DEFAULT),
            SshFingerprint => ensure(is_ssh_fingerprint(v), msg::SSH),
            Datetime => ensure(datetime::parse_datetime(v, false).is_some(), msg::DATETIME),
            WholeNumber => ensure(is_digits(v), msg::WHOLE_NUMBER),
            Integer => ensure(is_integer(v), msg::INTEGER),
            Alnum | BankCode => ensure(is_alnum(v), msg::DEFAULT),
            CardDigits | Numeric | Phone => ensure(is_numeric(v), msg::DEFAULT),
            Cortex => ensure(
                serde_json::from_str::<serde_json::Value>(v).is_ok(),
                msg::DEFAULT,
            ),
            As => ensure(net::is_as_number(v), msg::AS),
            Mac { groups } => ensure(net::is_mac(v, groups), msg::DEFAULT),
            Onion => ensure(net::is_onion(v), msg::ONION),
            Uuid => ensure(is_uuid(v), msg::UUID),
        }
    }
}

/// A non-empty file name on one line (MISP's `^.+\|`).
fn filename_ok(name: &str) -> bool {
    !name.is_empty() && !has_newline(name)
}

/// Exactly `len` lowercase hex digits (MISP's `[0-9a-f]{len}`).
fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `CVE-YYYY-NNNN...`: four digits of year, at least four of sequence.
fn is_cve(v: &str) -> bool {
    let Some(rest) = v.strip_prefix("CVE-") else {
        return false;
    };
    match rest.split_once('-') {
        Some((year, seq)) => year.len() == 4 && is_digits(year) && seq.len() >= 4 && is_digits(seq),
        None => false,
    }
}

/// A hyphenated, lowercase UUID (`8-4-4-4-12` hex digits).
fn is_uuid(v: &str) -> bool {
    let groups: Vec<&str> = v.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, len)| {
            g.len() == len && g.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        })
}
