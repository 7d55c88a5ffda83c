//! Users.

/// A stored user (the password hash stays in the store's row and never
/// reaches this type's serialisation).
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: i64,
    pub org_id: i64,
    pub role_id: i64,
    pub email: String,
    pub disabled: bool,
    pub autoalert: bool,
    pub contactalert: bool,
    pub termsaccepted: bool,
    pub change_pw: bool,
    pub invited_by: i64,
    pub gpgkey: String,
    pub certif_public: String,
    pub nids_sid: i64,
    pub newsread: i64,
    pub expiration: Option<i64>,
    pub current_login: i64,
    pub last_login: i64,
    pub last_api_access: i64,
    pub force_logout: bool,
    pub date_created: i64,
    pub date_modified: i64,
    pub last_pw_change: i64,
    pub notification_daily: bool,
    pub notification_weekly: bool,
    pub notification_monthly: bool,
}

/// The writable fields of a user, validated.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewUser {
    pub org_id: i64,
    pub role_id: i64,
    pub email: String,
    pub disabled: bool,
    pub autoalert: bool,
    pub contactalert: bool,
    pub termsaccepted: bool,
    pub change_pw: bool,
    pub invited_by: i64,
    pub gpgkey: String,
    pub certif_public: String,
    pub nids_sid: i64,
    pub expiration: Option<i64>,
    pub notification_daily: bool,
    pub notification_weekly: bool,
    pub notification_monthly: bool,
    /// Argon2 PHC hash of the password, if the user has one.
    pub password_hash: Option<String>,
}

/// Normalises an e-mail address (trimmed, lower-case) and checks its shape.
pub fn normalise_email(raw: &str) -> Result<String, &'static str> {
    let email = raw.trim().to_lowercase();
    let valid = validator::ValidateEmail::validate_email(&email);
    if valid {
        Ok(email)
    } else {
        Err("An email address is required, please enter a valid one.")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn emails() {
        assert_eq!(
            super::normalise_email(" Admin@Example.TEST ").as_deref(),
            Ok("admin@example.test")
        );
        assert!(super::normalise_email("not an email").is_err());
        assert!(super::normalise_email("").is_err());
    }
}
