//! Password hashing with Argon2id (a memory-hard KDF), for the JWT login.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;

/// Minimum length MISP's default password policy asks for.
pub const MIN_LENGTH: usize = 12;

/// Hashes a password into a PHC string (`$argon2id$…`).
pub fn hash(plain: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(plain.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Checks a password against a stored PHC string. A malformed hash never verifies.
pub fn verify(plain: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|parsed| {
            Argon2::default()
                .verify_password(plain.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// MISP's default password policy: at least 12 characters, with an upper-case
/// letter, a lower-case letter and a digit or special character.
pub fn check_policy(plain: &str) -> Result<(), &'static str> {
    let long = plain.chars().count() >= MIN_LENGTH;
    let upper = plain.chars().any(char::is_uppercase);
    let lower = plain.chars().any(char::is_lowercase);
    let other = plain.chars().any(|c| !c.is_alphabetic());
    if long && upper && lower && other {
        Ok(())
    } else {
        Err("Passwords must be at least 12 characters long and contain an upper-case letter, a lower-case letter and a digit or special character.")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn hash_and_verify() {
        let h = super::hash("Correct horse 1").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(super::verify("Correct horse 1", &h));
        assert!(!super::verify("Correct horse 2", &h));
        assert!(!super::verify("x", "not a hash"));
    }

    #[test]
    fn policy() {
        assert!(super::check_policy("short").is_err());
        assert!(super::check_policy("alllowercase123").is_err());
        assert!(super::check_policy("Good Password 1").is_ok());
    }
}
