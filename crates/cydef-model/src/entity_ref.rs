//! A reference to a stored entity as MISP URLs give it: a numeric id or a UUID.

use std::fmt;
use uuid::Uuid;

/// `{id}` in a MISP path: either the numeric id or the UUID of the entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityRef {
    Id(i64),
    Uuid(Uuid),
}

impl EntityRef {
    /// Parses a path segment. Anything that is neither a positive integer nor a
    /// UUID is `None`: callers answer it exactly as an unknown id, so a malformed
    /// reference never reaches another entity's data.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if !s.is_empty() && s.len() <= 18 && s.bytes().all(|b| b.is_ascii_digit()) {
            return s.parse::<i64>().ok().filter(|id| *id > 0).map(Self::Id);
        }
        if s.len() == 36 || s.len() == 32 {
            return Uuid::parse_str(s).ok().map(Self::Uuid);
        }
        None
    }
}

impl fmt::Display for EntityRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Id(id) => write!(f, "{id}"),
            Self::Uuid(u) => write!(f, "{u}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ids_and_uuids_only() {
        assert_eq!(EntityRef::parse("12"), Some(EntityRef::Id(12)));
        assert_eq!(EntityRef::parse("0"), None);
        assert_eq!(EntityRef::parse("-3"), None);
        assert_eq!(EntityRef::parse("12abc"), None);
        assert_eq!(EntityRef::parse("99999999999999999999"), None);
        let u = "5e6b9c1d-0b1c-4f7a-9c1d-2a3b4c5d6e7f";
        assert_eq!(
            EntityRef::parse(u),
            Some(EntityRef::Uuid(Uuid::parse_str(u).expect("valid uuid")))
        );
        assert_eq!(
            EntityRef::parse("not-a-uuid-at-all-but-36-chars-long!"),
            None
        );
    }
}
