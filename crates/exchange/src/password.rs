//! Passwords, hashed with Argon2id.
//!
//! Parameters: the `argon2` crate's defaults, which are RFC 9106's second recommended option
//! as OWASP's password storage cheat sheet gives it (Argon2id, 19 MiB of memory, 2 passes,
//! 1 lane), with a 16-byte random salt per password; the hash is stored as a PHC string
//! (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`), so the parameters travel with it.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// The shortest password accepted (NIST SP 800-63B asks at least 8; an account that edits
/// published pages gets more).
pub const MIN_LENGTH: usize = 12;

/// The longest password accepted (hashing cost does not depend on length with Argon2, but an
/// unbounded form field is no use).
pub const MAX_LENGTH: usize = 256;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PasswordError {
    #[error("a password needs at least {MIN_LENGTH} characters")]
    TooShort,
    #[error("a password has at most {MAX_LENGTH} characters")]
    TooLong,
    #[error("the password must not be the account's name")]
    SameAsName,
    #[error("hashing the password failed: {0}")]
    Hashing(String),
}

/// Checks a new password for an account named `name`.
pub fn check_new(password: &str, name: &str) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars < MIN_LENGTH {
        return Err(PasswordError::TooShort);
    }
    if chars > MAX_LENGTH {
        return Err(PasswordError::TooLong);
    }
    if password.eq_ignore_ascii_case(name) {
        return Err(PasswordError::SameAsName);
    }
    Ok(())
}

/// The PHC string of `password` under a fresh random salt.
pub fn hash(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hashing(e.to_string()))
}

/// Whether `password` matches the stored PHC string (`false` for a malformed one).
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Spends the time of one verification, for a name without an account, so that the answer
/// time does not tell which names exist.
pub fn verify_nothing(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let stored = DUMMY.get_or_init(|| hash("no account has this password").unwrap_or_default());
    let _ = verify(password, stored);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only_and_is_salted() {
        let a = hash("correct horse battery").unwrap();
        let b = hash("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "two hashes of one password differ by their salt");
        assert!(verify("correct horse battery", &a));
        assert!(verify("correct horse battery", &b));
        assert!(!verify("correct horse batterx", &a));
        assert!(!verify("correct horse battery", "not a hash"));
    }

    #[test]
    fn new_passwords_are_checked() {
        assert_eq!(check_new("short", "anna"), Err(PasswordError::TooShort));
        assert_eq!(
            check_new("graz-editor-1", "GRAZ-EDITOR-1"),
            Err(PasswordError::SameAsName)
        );
        assert_eq!(
            check_new(&"x".repeat(MAX_LENGTH + 1), "anna"),
            Err(PasswordError::TooLong)
        );
        assert_eq!(check_new("twelve chars", "anna"), Ok(()));
    }
}
