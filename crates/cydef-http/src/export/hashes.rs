//! `hashes`: the hash of each hash-like attribute, one a line (MISP's
//! `HashesExport`): the value of the hash types, the hash half of the
//! `filename|…` types and of `malware-sample`; other types are skipped.
//! Values are not made distinct. The body ends with a newline.

use super::{Exporter, Item};

/// Types whose value is a hash.
const SIMPLE: &[&str] = &[
    "md5",
    "sha1",
    "sha256",
    "sha224",
    "sha384",
    "sha512",
    "sha512/224",
    "sha512/256",
    "sha3-224",
    "sha3-256",
    "sha3-384",
    "sha3-512",
    "ssdeep",
    "imphash",
    "tlsh",
    "x509-fingerprint-sha1",
    "x509-fingerprint-md5",
    "x509-fingerprint-sha256",
    "pehash",
    "authentihash",
    "impfuzzy",
];

/// `name|hash` types: the second half is exported. (MISP's list, which
/// has neither `filename|sha384` nor `filename|vhash`.)
const COMPOSITE: &[&str] = &[
    "malware-sample",
    "filename|md5",
    "filename|sha1",
    "filename|sha256",
    "filename|sha224",
    "filename|sha512",
    "filename|sha512/224",
    "filename|sha512/256",
    "filename|sha3-224",
    "filename|sha3-256",
    "filename|sha3-384",
    "filename|sha3-512",
    "filename|ssdeep",
    "filename|imphash",
    "filename|tlsh",
    "filename|pehash",
    "filename|authentihash",
    "filename|impfuzzy",
];

/// The hash an attribute exports, if any.
fn hash<'a>(item: &Item<'a>) -> Option<&'a str> {
    let a = item.attribute;
    let t = a.attr_type.as_str();
    if COMPOSITE.contains(&t) {
        Some(&a.value2)
    } else if SIMPLE.contains(&t) {
        Some(&a.value1)
    } else {
        None
    }
}

/// The hashes export.
#[derive(Debug, Default)]
pub struct Hashes {
    written: bool,
}

impl Exporter for Hashes {
    fn header(&mut self, _out: &mut String) {}

    fn attribute(&mut self, item: &Item<'_>, out: &mut String) {
        if let Some(h) = hash(item) {
            if self.written {
                out.push('\n');
            }
            out.push_str(h);
            self.written = true;
        }
    }

    fn footer(&mut self, out: &mut String) {
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{attribute, attributes, event, item, one_event};
    use super::*;

    #[test]
    fn hashes_one_a_line() {
        let e = event(7);
        let md5 = attribute(1, "md5", "d41d8cd98f00b204e9800998ecf8427e");
        let ip = attribute(2, "ip-dst", "198.51.100.7");
        let file = attribute(
            3,
            "filename|sha1",
            "a.exe|da39a3ee5e6b4b0d3255bfef95601890afd80709",
        );
        let sample = attribute(
            4,
            "malware-sample",
            "b.zip|d41d8cd98f00b204e9800998ecf8427e",
        );
        let sha384 = attribute(5, "filename|sha384", "c.exe|abc");
        let items = [
            item(&md5, &e),
            item(&ip, &e),
            item(&file, &e),
            item(&sample, &e),
            item(&sha384, &e),
        ];
        let expected = "d41d8cd98f00b204e9800998ecf8427e\n\
                        da39a3ee5e6b4b0d3255bfef95601890afd80709\n\
                        d41d8cd98f00b204e9800998ecf8427e\n";
        assert_eq!(attributes(&mut Hashes::default(), &items), expected);
        assert_eq!(one_event(&mut Hashes::default(), &e, &items), expected);
    }

    #[test]
    fn empty_is_one_empty_line() {
        let e = event(7);
        let ip = attribute(2, "ip-dst", "198.51.100.7");
        assert_eq!(attributes(&mut Hashes::default(), &[item(&ip, &e)]), "\n");
    }
}
