//! The cryptographic provider: every primitive padlock uses comes from
//! `aws-lc-rs`; this module only adapts it to TLS 1.3's vocabulary
//! (cipher suites, named groups, signature schemes).

mod der;
pub mod hash;
pub mod kx;
pub mod sign;
pub mod suites;

use std::fmt;

pub use hash::{HashAlgorithm, HashContext, Output, MAX_HASH_LEN};
pub use kx::{
    group_by_id, group_by_name, random_with_x25519_seed, server_key_exchange,
    server_key_exchange_seeded, Group, KeyExchange, SharedSecret, X25519Seed, ALL_GROUPS,
    SECP256R1, SECP384R1, X25519, X25519MLKEM768,
};
pub use sign::SigningKey;
pub use suites::{
    suite_by_id, suite_by_name, CipherSuite, ALL_CIPHER_SUITES, TLS_AES_128_GCM_SHA256,
    TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256,
};

/// Everything that can go wrong inside the crypto provider.
///
/// The handshake maps these onto RFC 8446 §6 alerts: `InvalidPeerShare` is
/// `illegal_parameter` (§4.2.8), the rest are `internal_error` or
/// configuration errors raised before any connection exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CryptoError {
    /// The peer's key share has the wrong length or form, is not a point on
    /// the curve, or produced an all-zero X25519 secret (RFC 8446 §4.2.8.2,
    /// §7.4.2).
    InvalidPeerShare,
    /// The named group is not one this provider implements.
    UnsupportedGroup,
    /// aws-lc-rs refused the key material (malformed or inconsistent).
    KeyRejected(String),
    /// The key is well formed but of a type or size padlock does not sign with.
    UnsupportedKey(String),
    /// The signature scheme is not one this key can produce.
    UnsupportedScheme(u16),
    /// The signing operation itself failed.
    SigningFailed,
    /// More handshake bytes arrived before the hash algorithm was known than
    /// one ClientHello can plausibly hold (RFC 8446 §4.4.1).
    TranscriptTooLarge,
    /// The transcript was asked for a hash before `start_hash`, or with a
    /// different algorithm than the one it was started with.
    TranscriptHashMismatch,
    /// An exporter or HKDF-Expand-Label request was out of range
    /// (label too long or output longer than 255 * Hash.length, RFC 5869 §2.3).
    InvalidLength,
    /// The system random number generator failed.
    RandomFailed,
    /// aws-lc-rs reported a failure that valid inputs cannot cause.
    Internal(&'static str),
}

impl fmt::Display for CryptoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidPeerShare => f.write_str("the peer's key share is invalid"),
            Self::UnsupportedGroup => f.write_str("unsupported key exchange group"),
            Self::KeyRejected(why) => write!(f, "private key rejected: {why}"),
            Self::UnsupportedKey(why) => write!(f, "unsupported private key: {why}"),
            Self::UnsupportedScheme(s) => {
                write!(f, "signature scheme 0x{s:04x} is not usable with this key")
            }
            Self::SigningFailed => f.write_str("signing failed"),
            Self::TranscriptTooLarge => {
                f.write_str("handshake transcript grew too large before the hash was chosen")
            }
            Self::TranscriptHashMismatch => {
                f.write_str("transcript hash requested before or with a different algorithm")
            }
            Self::InvalidLength => {
                f.write_str("requested key material length or label is out of range")
            }
            Self::RandomFailed => f.write_str("the system random number generator failed"),
            Self::Internal(what) => write!(f, "internal cryptographic failure: {what}"),
        }
    }
}

impl std::error::Error for CryptoError {}

/// Fills `buf` from the operating system's CSPRNG (ClientHello/ServerHello
/// `random`, RFC 8446 §4.1.2; session tickets; padding-free nonces).
pub fn random_bytes(buf: &mut [u8]) -> Result<(), CryptoError> {
    use aws_lc_rs::rand::SecureRandom;
    aws_lc_rs::rand::SystemRandom::new()
        .fill(buf)
        .map_err(|_| CryptoError::RandomFailed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Connections move between threads and configs are shared in `Arc`s.
    #[test]
    fn provider_types_are_send_and_sync() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<SigningKey>();
        send_sync::<KeyExchange>();
        send_sync::<SharedSecret>();
        send_sync::<HashContext>();
        send_sync::<CipherSuite>();
        send_sync::<Group>();
        send_sync::<crate::key_schedule::Secret>();
        send_sync::<crate::key_schedule::MasterSecret>();
        send_sync::<crate::transcript::Transcript>();
    }

    #[test]
    fn random_bytes_fills() {
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        random_bytes(&mut a).unwrap();
        random_bytes(&mut b).unwrap();
        assert_ne!(a, b);
    }
}
