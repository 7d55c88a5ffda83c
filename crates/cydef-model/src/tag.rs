//! Tags as MISP manages them: the stored fields, MISP's defaults (colour from
//! the name's MD5, exportable), validation with MISP's messages, and MISP's
//! galaxy-name rules.

use md5::{Digest, Md5};

/// Longest tag name MISP stores (`varchar(255)`); longer names are cut.
pub const MAX_NAME_CHARS: usize = 255;

/// The writable fields of a tag.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTag {
    pub name: String,
    pub colour: String,
    pub exportable: bool,
    /// `0`: any organisation may use the tag; otherwise only this one.
    pub org_id: i64,
    /// `0`: any user may use the tag; otherwise only this one.
    pub user_id: i64,
    pub hide_tag: bool,
    pub numerical_value: Option<i64>,
    pub local_only: bool,
}

impl NewTag {
    /// A tag with MISP's defaults (`Tag::quickAdd`): the colour derived from
    /// the name, exportable, usable by everyone.
    pub fn named(name: &str) -> Self {
        let name = clean_name(name);
        Self {
            colour: default_colour(&name),
            name,
            exportable: true,
            org_id: 0,
            user_id: 0,
            hide_tag: false,
            numerical_value: None,
            local_only: false,
        }
    }

    /// The stored fields of an existing tag.
    pub fn from_tag(t: &crate::event::Tag) -> Self {
        Self {
            name: t.name.clone(),
            colour: t.colour.clone(),
            exportable: t.exportable,
            org_id: t.org_id,
            user_id: t.user_id,
            hide_tag: t.hide_tag,
            numerical_value: t.numerical_value,
            local_only: t.local_only,
        }
    }

    pub fn is_galaxy(&self) -> bool {
        is_galaxy(&self.name)
    }

    pub fn is_custom_galaxy(&self) -> bool {
        is_custom_galaxy(&self.name)
    }

    /// MISP's validation (`Tag::$validate`, bar uniqueness, which the store
    /// enforces): `(field, message)` for each failed rule.
    pub fn validate(&self) -> Vec<(&'static str, String)> {
        let mut errors = Vec::new();
        if self.name.trim().is_empty() {
            errors.push(("name", "This field is required.".to_owned()));
        }
        if self.colour.trim().is_empty() {
            errors.push(("colour", "Colour cannot be empty.".to_owned()));
        } else if !is_rgb(&self.colour) {
            errors.push((
                "colour",
                "Colour has to be in the RGB format (#FFFFFF)".to_owned(),
            ));
        }
        errors
    }
}

/// The fields a `tags/add` or `tags/edit` body sets; `None` is not given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TagChanges {
    pub name: Option<String>,
    pub colour: Option<String>,
    pub exportable: Option<bool>,
    pub org_id: Option<i64>,
    pub user_id: Option<i64>,
    pub hide_tag: Option<bool>,
    pub numerical_value: Option<i64>,
    pub local_only: Option<bool>,
}

impl TagChanges {
    /// `base` with the given fields replaced. A new name without a colour
    /// keeps the colour of `base`.
    pub fn apply(&self, base: NewTag) -> NewTag {
        NewTag {
            name: self.name.as_deref().map(clean_name).unwrap_or(base.name),
            colour: self.colour.clone().unwrap_or(base.colour),
            exportable: self.exportable.unwrap_or(base.exportable),
            org_id: self.org_id.unwrap_or(base.org_id),
            user_id: self.user_id.unwrap_or(base.user_id),
            hide_tag: self.hide_tag.unwrap_or(base.hide_tag),
            numerical_value: self.numerical_value.or(base.numerical_value),
            local_only: self.local_only.unwrap_or(base.local_only),
        }
    }
}

/// Trims a name and cuts it to [`MAX_NAME_CHARS`].
pub fn clean_name(name: &str) -> String {
    name.trim().chars().take(MAX_NAME_CHARS).collect()
}

/// MISP's colour for a tag created without one: `#` and the first six hex
/// digits of the MD5 of its name (`Tag::tagColor`).
pub fn default_colour(name: &str) -> String {
    let digest = Md5::digest(name.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("#{}", &hex[..6])
}

fn is_rgb(colour: &str) -> bool {
    let b = colour.as_bytes();
    b.len() == 7 && b[0] == b'#' && b[1..].iter().all(u8::is_ascii_hexdigit)
}

const GALAXY_PREFIX: &str = "misp-galaxy:";

/// The values after each `misp-galaxy:<type>="` in `name` (MISP's
/// `/misp-galaxy:[^:="]+="/i`).
fn galaxy_values(name: &str) -> impl Iterator<Item = &str> {
    let lower = name.to_ascii_lowercase();
    let starts: Vec<usize> = lower
        .match_indices(GALAXY_PREFIX)
        .map(|(i, _)| i + GALAXY_PREFIX.len())
        .collect();
    starts.into_iter().filter_map(move |start| {
        let rest = name.get(start..)?;
        let end = rest.find([':', '=', '"'])?;
        (end > 0 && rest[end..].starts_with("=\"")).then(|| &rest[end + 2..])
    })
}

/// MISP's `Tag::RE_GALAXY`: `misp-galaxy:<type>="<value>…`.
pub fn is_galaxy(name: &str) -> bool {
    galaxy_values(name).any(|v| v.chars().next().is_some_and(|c| !":=\"".contains(c)))
}

/// MISP's `Tag::RE_CUSTOM_GALAXY`: a galaxy tag whose value is a UUID.
pub fn is_custom_galaxy(name: &str) -> bool {
    galaxy_values(name).any(|v| {
        v.get(..36).is_some_and(is_uuid_shape) && v.get(36..).is_some_and(|r| r.starts_with('"'))
    })
}

fn is_uuid_shape(s: &str) -> bool {
    s.bytes().enumerate().all(|(i, b)| match i {
        8 | 13 | 18 | 23 => b == b'-',
        _ => b.is_ascii_hexdigit(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_is_misps() {
        // PHP: '#' . substr(md5('tlp:amber'), 0, 6)
        let hex = format!("{:x}", Md5::digest(b"tlp:amber"));
        assert_eq!(default_colour("tlp:amber"), format!("#{}", &hex[..6]));
        assert_eq!(default_colour("").len(), 7);
        assert_eq!(default_colour(""), "#d41d8c");
    }

    #[test]
    fn validates_like_misp() {
        assert!(NewTag::named("ok").validate().is_empty());
        let mut t = NewTag::named("  ");
        t.colour = "red".into();
        let errors = t.validate();
        assert_eq!(errors[0], ("name", "This field is required.".to_owned()));
        assert_eq!(errors[1].0, "colour");
        assert_eq!(clean_name(&"x".repeat(300)).chars().count(), 255);
    }

    #[test]
    fn galaxy_names() {
        assert!(is_galaxy("misp-galaxy:threat-actor=\"APT 28\""));
        assert!(is_galaxy("MISP-GALAXY:tool=\"x\""));
        assert!(!is_galaxy("misp-galaxy:tool"));
        assert!(!is_galaxy("tlp:amber"));
        assert!(!is_custom_galaxy("misp-galaxy:tool=\"x\""));
        assert!(is_custom_galaxy(
            "misp-galaxy:mine=\"5e6b9c1d-0b1c-4f7a-9c1d-2a3b4c5d6e7f\""
        ));
    }

    #[test]
    fn changes_keep_what_is_not_given() {
        let base = NewTag::named("a");
        let c = TagChanges {
            hide_tag: Some(true),
            ..Default::default()
        };
        let t = c.apply(base.clone());
        assert!(t.hide_tag);
        assert_eq!(t.name, base.name);
        assert_eq!(t.colour, base.colour);
    }
}
