//! Passwords (argon2id), and random secrets stored only as their SHA-256: session
//! cookies, API tokens, the first-run setup token.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Shortest accepted password, in characters.
pub const PASSWORD_MIN_CHARS: usize = 12;
/// Longest accepted password, in bytes (hashing cost grows with it).
pub const PASSWORD_MAX_BYTES: usize = 1024;

/// What is wrong with a new password, if anything.
pub fn password_problem(password: &str) -> Option<String> {
    if password.chars().count() < PASSWORD_MIN_CHARS {
        Some(format!("At least {PASSWORD_MIN_CHARS} characters"))
    } else if password.len() > PASSWORD_MAX_BYTES {
        Some(format!("At most {PASSWORD_MAX_BYTES} bytes"))
    } else {
        None
    }
}

/// An argon2id PHC string for `password`, with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0_u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `password` matches a stored PHC string (constant-time inside argon2).
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash for the throwaway verification that keeps an unknown email as slow as a
/// wrong password (no account enumeration by timing).
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a real password, only for timing").unwrap_or_default())
}

/// A new random secret with `prefix` (256 bits, URL-safe) and its stored hash.
pub fn new_secret(prefix: &str) -> (String, String) {
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{prefix}{}", to_hex(&bytes));
    let hash = secret_hash(&secret);
    (secret, hash)
}

/// How a secret is stored and looked up.
pub fn secret_hash(secret: &str) -> String {
    to_hex(&Sha256::digest(secret.as_bytes()))
}

/// Whether `secret` is the one stored as `stored_hash`, compared in time independent
/// of where they differ.
pub fn matches_hash(secret: &str, stored_hash: &str) -> bool {
    use subtle::ConstantTimeEq;
    secret_hash(secret)
        .as_bytes()
        .ct_eq(stored_hash.as_bytes())
        .into()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterx", &hash));
        assert!(!verify_password("anything", "not a phc string"));
        assert_ne!(
            hash,
            hash_password("correct horse battery").unwrap(),
            "salted"
        );
        assert!(password_problem("short").is_some());
        assert!(password_problem("long enough password").is_none());
    }

    #[test]
    fn secrets_are_random_and_stored_hashed() {
        let (a, hash) = new_secret("sitrep_");
        let (b, _) = new_secret("sitrep_");
        assert!(a.starts_with("sitrep_") && a.len() == 7 + 64);
        assert_ne!(a, b);
        assert_eq!(secret_hash(&a), hash);
        assert!(matches_hash(&a, &hash) && !matches_hash(&b, &hash));
    }
}
