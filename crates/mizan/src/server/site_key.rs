//! The site's secret key: it signs what mizan hands the browser to bring back (the no-JavaScript
//! form's flash cookie), so a value the server did not write is told apart and ignored.

use std::sync::Arc;

use hmac::{Hmac, Mac};
use password_hash::rand_core::{OsRng, RngCore};
use sha2::Sha256;

/// Shortest secret [`SiteKey::new`] accepts, in bytes: HMAC-SHA-256's own strength.
pub const MIN_SITE_KEY_BYTES: usize = 32;

/// Length of a signature, in bytes (HMAC-SHA-256).
pub(crate) const SIGNATURE_BYTES: usize = 32;

/// Why a secret cannot be the site's key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SiteKeyError {
    /// The secret is shorter than [`MIN_SITE_KEY_BYTES`]: a short secret can be guessed offline
    /// from one signed value.
    #[error(
        "the site's secret key is {length} bytes long; it must be at least {MIN_SITE_KEY_BYTES} \
         bytes (generate one with `openssl rand -base64 48`)"
    )]
    TooShort {
        /// The length given.
        length: usize,
    },
}

/// The key mizan signs with. Give every node of one site the same key (and keep it across
/// restarts): a value signed by one is then read by all.
#[derive(Clone)]
pub struct SiteKey {
    /// HMAC-SHA-256 keyed once; each signature clones it (the key schedule is not redone).
    mac: Arc<Hmac<Sha256>>,
}

impl std::fmt::Debug for SiteKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key itself, not even in a debug log.
        f.write_str("SiteKey(..)")
    }
}

impl SiteKey {
    /// The key of `secret`, which must be at least [`MIN_SITE_KEY_BYTES`] long.
    pub fn new(secret: impl AsRef<[u8]>) -> Result<Self, SiteKeyError> {
        let secret = secret.as_ref();
        if secret.len() < MIN_SITE_KEY_BYTES {
            return Err(SiteKeyError::TooShort {
                length: secret.len(),
            });
        }
        Ok(Self::from_checked(secret))
    }

    /// A key of this process only, from the operating system's random source: what it signed is
    /// not read after a restart or by another node.
    pub fn random() -> Self {
        let mut secret = [0_u8; 2 * MIN_SITE_KEY_BYTES];
        OsRng.fill_bytes(&mut secret);
        Self::from_checked(&secret)
    }

    fn from_checked(secret: &[u8]) -> Self {
        // HMAC takes a key of any length: `new_from_slice` cannot fail for it.
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
        Self { mac: Arc::new(mac) }
    }

    /// The keyed hash of `data` for `purpose`: the purpose is hashed in, so a value signed for
    /// one use is never valid for another.
    fn keyed(&self, purpose: &str, data: &[u8]) -> Hmac<Sha256> {
        let mut mac = (*self.mac).clone();
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(data);
        mac
    }

    /// The signature of `data` for `purpose`.
    pub(crate) fn sign(&self, purpose: &str, data: &[u8]) -> [u8; SIGNATURE_BYTES] {
        self.keyed(purpose, data).finalize().into_bytes().into()
    }

    /// Whether `signature` is this key's for `data` and `purpose` (compared in constant time).
    pub(crate) fn verify(&self, purpose: &str, data: &[u8], signature: &[u8]) -> bool {
        self.keyed(purpose, data).verify_slice(signature).is_ok()
    }
}

/// What the cookies mizan signs need, handed by the admit layer to the requests that read or
/// write them (pages and form posts: `GET`, `HEAD`, and `/api/mizan/form/`): the key, and whether
/// they are `Secure` (whenever the session cookie is).
#[derive(Debug, Clone)]
pub(crate) struct SignedCookies {
    /// The site's key.
    pub key: SiteKey,
    /// Whether the cookies are sent over HTTPS only.
    pub secure: bool,
}

#[cfg(test)]
mod tests {
    use super::{MIN_SITE_KEY_BYTES, SiteKey, SiteKeyError};

    #[test]
    fn a_secret_shorter_than_32_bytes_is_refused() {
        assert_eq!(
            SiteKey::new("x".repeat(MIN_SITE_KEY_BYTES - 1)).err(),
            Some(SiteKeyError::TooShort { length: 31 })
        );
        assert!(SiteKey::new("x".repeat(MIN_SITE_KEY_BYTES)).is_ok());
    }

    #[test]
    fn a_signature_holds_for_its_key_data_and_purpose_only() {
        let key = SiteKey::new([7_u8; 32]).expect("long enough");
        let signature = key.sign("flash", b"data");
        assert!(key.verify("flash", b"data", &signature));
        assert!(!key.verify("flash", b"date", &signature));
        assert!(!key.verify("other", b"data", &signature));
        assert!(!key.verify("flash", b"data", &signature[..31]));
        let other = SiteKey::new([8_u8; 32]).expect("long enough");
        assert!(!other.verify("flash", b"data", &signature));
        assert!(!SiteKey::random().verify("flash", b"data", &signature));
    }
}
