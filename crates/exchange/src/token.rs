//! Session and CSRF tokens: 256 random bits from the operating system's generator, shown as
//! hex. The store keeps only a session token's SHA-256, so a copy of the database opens no
//! session.

use rand::rngs::OsRng;
use rand::TryRngCore;
use sha2::{Digest, Sha256};

/// A new random token (64 hex digits).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    // The operating system's generator failing is not something to continue after.
    OsRng
        .try_fill_bytes(&mut bytes)
        .expect("the operating system's random number generator");
    hex::encode(bytes)
}

/// What the store keeps of a session token.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two tokens in time that does not depend on where they differ.
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_compared_exactly() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert!(same(&a, &a.clone()));
        assert!(!same(&a, &b));
        assert!(!same(&a, &a[..63]));
        assert_eq!(digest(&a).len(), 64);
        assert_ne!(digest(&a), a);
    }
}
