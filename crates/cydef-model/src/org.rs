//! Organisations.

/// A stored organisation.
#[derive(Debug, Clone, PartialEq)]
pub struct Organisation {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub date_created: i64,
    pub date_modified: i64,
    pub description: String,
    pub org_type: String,
    pub nationality: String,
    pub sector: String,
    pub created_by: i64,
    pub contacts: String,
    pub local: bool,
    pub restricted_to_domain: Vec<String>,
    pub landingpage: String,
}

/// The writable fields of an organisation, validated.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewOrganisation {
    pub uuid: Option<String>,
    pub name: String,
    pub description: String,
    pub org_type: String,
    pub nationality: String,
    pub sector: String,
    pub contacts: String,
    pub local: bool,
    pub restricted_to_domain: Vec<String>,
    pub landingpage: String,
}

/// Longest organisation name MISP's schema stores.
pub const NAME_MAX: usize = 255;

impl NewOrganisation {
    /// Checks the fields MISP validates: a non-empty name of at most 255
    /// characters and, when given, a well-formed UUID (stored lower-case).
    pub fn validate(mut self) -> Result<Self, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        self.name = self.name.trim().to_owned();
        if self.name.is_empty() {
            errors.push((
                "name",
                "Please provide a name for the organisation.".to_owned(),
            ));
        } else if self.name.chars().count() > NAME_MAX {
            errors.push((
                "name",
                "The name is too long (255 characters at most).".to_owned(),
            ));
        }
        if let Some(u) = &self.uuid {
            match uuid::Uuid::parse_str(u.trim()) {
                Ok(u) => self.uuid = Some(u.hyphenated().to_string()),
                Err(_) => errors.push(("uuid", "Please provide a valid RFC 4122 UUID".to_owned())),
            }
        }
        self.restricted_to_domain = self
            .restricted_to_domain
            .iter()
            .map(|d| d.trim().to_lowercase())
            .filter(|d| !d.is_empty())
            .collect();
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_name_and_uuid() {
        let ok = NewOrganisation {
            name: "  CIRCL ".into(),
            uuid: Some("55F6EA5E-2C60-40E5-964F-47A8950D210F".into()),
            ..Default::default()
        }
        .validate()
        .expect("valid");
        assert_eq!(ok.name, "CIRCL");
        assert_eq!(
            ok.uuid.as_deref(),
            Some("55f6ea5e-2c60-40e5-964f-47a8950d210f")
        );
        let err = NewOrganisation {
            name: " ".into(),
            uuid: Some("nope".into()),
            ..Default::default()
        }
        .validate()
        .expect_err("invalid");
        assert_eq!(err.len(), 2);
    }
}
