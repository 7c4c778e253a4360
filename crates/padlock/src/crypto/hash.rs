//! The two transcript/HKDF hashes TLS 1.3 cipher suites use (RFC 8446 §B.4).

use std::fmt;
use std::ops::Deref;
use std::sync::OnceLock;

use aws_lc_rs::{digest, hkdf, hmac};

/// The largest hash output padlock handles: SHA-384.
pub const MAX_HASH_LEN: usize = 48;

/// The hash bound to a cipher suite, used for the transcript, HKDF and the
/// Finished HMAC (RFC 8446 §7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// SHA-256 (`TLS_AES_128_GCM_SHA256`, `TLS_CHACHA20_POLY1305_SHA256`).
    Sha256,
    /// SHA-384 (`TLS_AES_256_GCM_SHA384`).
    Sha384,
}

impl HashAlgorithm {
    /// `Hash.length` in RFC 8446's notation.
    pub const fn output_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
        }
    }

    /// Short name, as in "SHA-256".
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
        }
    }

    /// The aws-lc-rs digest algorithm.
    pub fn digest_algorithm(self) -> &'static digest::Algorithm {
        match self {
            Self::Sha256 => &digest::SHA256,
            Self::Sha384 => &digest::SHA384,
        }
    }

    /// The aws-lc-rs HKDF algorithm.
    pub fn hkdf_algorithm(self) -> hkdf::Algorithm {
        match self {
            Self::Sha256 => hkdf::HKDF_SHA256,
            Self::Sha384 => hkdf::HKDF_SHA384,
        }
    }

    /// The aws-lc-rs HMAC algorithm.
    pub fn hmac_algorithm(self) -> hmac::Algorithm {
        match self {
            Self::Sha256 => hmac::HMAC_SHA256,
            Self::Sha384 => hmac::HMAC_SHA384,
        }
    }

    /// One-shot `Hash(data)`.
    pub fn hash(self, data: &[u8]) -> Output {
        Output::from_digest(&digest::digest(self.digest_algorithm(), data))
    }

    /// `Hash("")`, the context of every Derive-Secret over no messages
    /// (RFC 8446 §7.1, "derived" and binder keys): a constant, hashed once per algorithm.
    pub fn empty_hash(self) -> Output {
        static EMPTY: [OnceLock<Output>; 2] = [OnceLock::new(), OnceLock::new()];
        *self.slot(&EMPTY).get_or_init(|| self.hash(&[]))
    }

    /// This algorithm's entry of a per-algorithm table.
    pub(crate) fn slot<T>(self, table: &[T; 2]) -> &T {
        match self {
            Self::Sha256 => &table[0],
            Self::Sha384 => &table[1],
        }
    }
}

/// A running hash over handshake messages. Cloning it is how the transcript
/// hash is read mid-handshake without disturbing it.
#[derive(Clone)]
pub struct HashContext {
    algorithm: HashAlgorithm,
    ctx: digest::Context,
}

impl HashContext {
    /// A fresh context for `algorithm`.
    pub fn new(algorithm: HashAlgorithm) -> Self {
        Self {
            algorithm,
            ctx: digest::Context::new(algorithm.digest_algorithm()),
        }
    }

    /// The hash this context computes.
    pub fn algorithm(&self) -> HashAlgorithm {
        self.algorithm
    }

    /// Absorbs more bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.ctx.update(data);
    }

    /// The hash of everything absorbed so far; the context stays usable.
    pub fn current(&self) -> Output {
        Output::from_digest(&self.ctx.clone().finish())
    }

    /// The hash of everything absorbed so far, consuming the context.
    pub fn finish(self) -> Output {
        Output::from_digest(&self.ctx.finish())
    }
}

impl fmt::Debug for HashContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HashContext")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// A hash or HMAC output of at most [`MAX_HASH_LEN`] bytes, kept inline so
/// the handshake allocates nothing for it.
#[derive(Clone, Copy)]
pub struct Output {
    buf: [u8; MAX_HASH_LEN],
    len: usize,
}

impl Output {
    /// Copies `bytes`; `None` if longer than [`MAX_HASH_LEN`].
    pub fn new(bytes: &[u8]) -> Option<Self> {
        let mut buf = [0u8; MAX_HASH_LEN];
        buf.get_mut(..bytes.len())?.copy_from_slice(bytes);
        Some(Self {
            buf,
            len: bytes.len(),
        })
    }

    fn from_digest(d: &digest::Digest) -> Self {
        // Digests of SHA-256/384 always fit; an empty Output is the
        // conservative fallback that never matches a real value.
        Self::new(d.as_ref()).unwrap_or(Self {
            buf: [0u8; MAX_HASH_LEN],
            len: 0,
        })
    }

    pub(crate) fn from_tag(t: &hmac::Tag) -> Self {
        Self::new(t.as_ref()).unwrap_or(Self {
            buf: [0u8; MAX_HASH_LEN],
            len: 0,
        })
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

impl AsRef<[u8]> for Output {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Deref for Output {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for Output {
    /// Constant time: Outputs include Finished verify_data and PSK binders.
    fn eq(&self, other: &Self) -> bool {
        aws_lc_rs::constant_time::verify_slices_are_equal(self.as_bytes(), other.as_bytes()).is_ok()
    }
}

impl Eq for Output {}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_hashes_match_fips_180_4() {
        assert_eq!(
            format!("{:?}", HashAlgorithm::Sha256.empty_hash()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(HashAlgorithm::Sha384.empty_hash().len(), 48);
    }

    #[test]
    fn current_does_not_disturb_running_hash() {
        let mut ctx = HashContext::new(HashAlgorithm::Sha256);
        ctx.update(b"ab");
        let mid = ctx.current();
        assert_eq!(mid, HashAlgorithm::Sha256.hash(b"ab"));
        ctx.update(b"c");
        assert_eq!(ctx.finish(), HashAlgorithm::Sha256.hash(b"abc"));
    }

    #[test]
    fn output_rejects_oversize() {
        assert!(Output::new(&[0u8; 49]).is_none());
        assert_eq!(Output::new(&[1, 2]).map(|o| o.len()), Some(2));
    }
}
