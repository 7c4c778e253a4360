//! The TLS 1.3 cipher suites (RFC 8446 §B.4) padlock implements.

use std::fmt;

use aws_lc_rs::aead;

use super::hash::HashAlgorithm;

/// A TLS 1.3 cipher suite: an AEAD plus the hash used by HKDF and the
/// transcript (RFC 8446 §4.1.1, §B.4).
pub struct CipherSuite {
    /// The IANA codepoint.
    pub id: u16,
    /// The IANA name, e.g. `"TLS_AES_128_GCM_SHA256"`.
    pub name: &'static str,
    /// The suite's hash (RFC 8446 §7.1).
    pub hash: HashAlgorithm,
    /// The record protection algorithm (RFC 8446 §5.2).
    pub aead: &'static aead::Algorithm,
    /// AEAD key length in bytes (`key_length` in RFC 8446 §7.3).
    pub key_len: usize,
    /// How many records one traffic key may protect before the sender must
    /// update it (RFC 8446 §5.5), see the constants below for the reasoning.
    pub confidentiality_limit: u64,
}

/// Every TLS 1.3 AEAD uses a 12-byte nonce (`iv_length`, RFC 8446 §5.3).
pub const IV_LEN: usize = 12;

/// Every TLS 1.3 AEAD has a 16-byte tag (RFC 8446 §5.2 via RFC 5116).
pub const TAG_LEN: usize = 16;

/// RFC 8446 §5.5 allows about 2^24.5 full-size records per AES-GCM key for
/// a 2^-57 attacker advantage. We rekey at 2^23, a factor ~5.6 below, like
/// other stacks do: the bound is an estimate that assumes every record is
/// full size and the attacker's advantage is additive across keys, while a
/// KeyUpdate every 8 million records costs nothing measurable.
const AES_GCM_CONFIDENTIALITY_LIMIT: u64 = 1 << 23;

/// ChaCha20-Poly1305's confidentiality bound is beyond 2^64 records, so the
/// only limit is that the 64-bit sequence number must not wrap (RFC 8446
/// §5.3); a KeyUpdate just before that point resets it.
const CHACHA20_CONFIDENTIALITY_LIMIT: u64 = u64::MAX;

/// `TLS_AES_128_GCM_SHA256` (0x1301), mandatory to implement (RFC 8446 §9.1).
pub static TLS_AES_128_GCM_SHA256: CipherSuite = CipherSuite {
    id: 0x1301,
    name: "TLS_AES_128_GCM_SHA256",
    hash: HashAlgorithm::Sha256,
    aead: &aead::AES_128_GCM,
    key_len: 16,
    confidentiality_limit: AES_GCM_CONFIDENTIALITY_LIMIT,
};

/// `TLS_AES_256_GCM_SHA384` (0x1302).
pub static TLS_AES_256_GCM_SHA384: CipherSuite = CipherSuite {
    id: 0x1302,
    name: "TLS_AES_256_GCM_SHA384",
    hash: HashAlgorithm::Sha384,
    aead: &aead::AES_256_GCM,
    key_len: 32,
    confidentiality_limit: AES_GCM_CONFIDENTIALITY_LIMIT,
};

/// `TLS_CHACHA20_POLY1305_SHA256` (0x1303).
pub static TLS_CHACHA20_POLY1305_SHA256: CipherSuite = CipherSuite {
    id: 0x1303,
    name: "TLS_CHACHA20_POLY1305_SHA256",
    hash: HashAlgorithm::Sha256,
    aead: &aead::CHACHA20_POLY1305,
    key_len: 32,
    confidentiality_limit: CHACHA20_CONFIDENTIALITY_LIMIT,
};

/// All suites in our default preference order.
///
/// AES-128-GCM first: it is the mandatory suite every peer has, it is the
/// fastest on hardware with AES instructions (what aws-lc targets), and
/// 128-bit keys are ample against classical attackers. AES-256-GCM next for
/// peers or policies that want a 256-bit key. ChaCha20-Poly1305 last: it is
/// the better choice only on CPUs without AES acceleration, and such clients
/// list it first themselves, which a server may honour.
pub static ALL_CIPHER_SUITES: &[&CipherSuite] = &[
    &TLS_AES_128_GCM_SHA256,
    &TLS_AES_256_GCM_SHA384,
    &TLS_CHACHA20_POLY1305_SHA256,
];

/// The suite with IANA codepoint `id`, if we implement it.
pub fn suite_by_id(id: u16) -> Option<&'static CipherSuite> {
    ALL_CIPHER_SUITES.iter().copied().find(|s| s.id == id)
}

/// The suite with IANA name `name` (case-insensitive), if we implement it.
pub fn suite_by_name(name: &str) -> Option<&'static CipherSuite> {
    ALL_CIPHER_SUITES
        .iter()
        .copied()
        .find(|s| s.name.eq_ignore_ascii_case(name))
}

impl CipherSuite {
    /// AEAD nonce length, always [`IV_LEN`].
    pub const fn iv_len(&self) -> usize {
        IV_LEN
    }

    /// AEAD tag length, always [`TAG_LEN`].
    pub const fn tag_len(&self) -> usize {
        TAG_LEN
    }
}

impl PartialEq for CipherSuite {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for CipherSuite {}

impl fmt::Debug for CipherSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl fmt::Display for CipherSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert_eq!(suite_by_id(0x1302), Some(&TLS_AES_256_GCM_SHA384));
        assert_eq!(suite_by_id(0x1304), None);
        assert_eq!(
            suite_by_name("tls_chacha20_poly1305_sha256"),
            Some(&TLS_CHACHA20_POLY1305_SHA256)
        );
        assert_eq!(suite_by_name("AES128"), None);
    }

    #[test]
    fn key_lengths_match_aws_lc() {
        for s in ALL_CIPHER_SUITES {
            assert_eq!(s.key_len, s.aead.key_len(), "{}", s.name);
            assert_eq!(s.aead.nonce_len(), IV_LEN);
            assert_eq!(s.aead.tag_len(), TAG_LEN);
        }
    }
}
