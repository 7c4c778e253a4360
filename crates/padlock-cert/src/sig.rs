//! Signature checks through aws-lc-rs: certificate signatures (RFC 5280 §4.1.1.2,
//! RFC 3279/4055/5758/8410 algorithm identifiers) and TLS 1.3 CertificateVerify
//! (RFC 8446 §4.4.3).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use aws_lc_rs::signature::{self, ParsedPublicKey, UnparsedPublicKey, VerificationAlgorithm};
use x509_parser::oid_registry::{OID_EC_P256, OID_NIST_EC_P384, OID_NIST_EC_P521};
use x509_parser::prelude::{AlgorithmIdentifier, FromDer, SubjectPublicKeyInfo};

use crate::cert::Cert;
use crate::error::CertError;
use crate::fields::tlv;

/// The public key types padlock verifies with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyKind {
    /// rsaEncryption, with its modulus size in bits.
    Rsa(usize),
    /// id-RSASSA-PSS (RFC 4055 §1.2), modulus bits.
    RsaPss(usize),
    EcP256,
    EcP384,
    EcP521,
    Ed25519,
}

impl KeyKind {
    pub fn describe(self) -> String {
        match self {
            Self::Rsa(bits) => format!("a {bits}-bit RSA key"),
            Self::RsaPss(bits) => format!("a {bits}-bit RSA-PSS key"),
            Self::EcP256 => "an ECDSA P-256 key".into(),
            Self::EcP384 => "an ECDSA P-384 key".into(),
            Self::EcP521 => "an ECDSA P-521 key".into(),
            Self::Ed25519 => "an Ed25519 key".into(),
        }
    }
}

/// Why a signature was not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SigFailure {
    /// SHA-1, MD5, RSA under 2048 bits.
    Weak(String),
    /// Not an algorithm padlock implements, or a key that does not fit it.
    Unsupported(String),
    /// The math says no.
    Bad,
    /// The signer's key is too weak (RSA under 2048 bits).
    WeakKey(String),
    /// The signer's key is of a type or curve padlock does not support.
    UnsupportedKey(String),
}

const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const RSASSA_PSS: &str = "1.2.840.113549.1.1.10";
const MGF1: &str = "1.2.840.113549.1.1.8";
const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const ED25519: &str = "1.3.101.112";
const SHA1: &str = "1.3.14.3.2.26";
const SHA256: &str = "2.16.840.1.101.3.4.2.1";
const SHA384: &str = "2.16.840.1.101.3.4.2.2";
const SHA512: &str = "2.16.840.1.101.3.4.2.3";

/// Dotted text of the OIDs met on every verification, by their DER contents, so the
/// hot path does not format OIDs (the rest fall back to `to_id_string`).
pub(crate) const KNOWN_OIDS: &[(&[u8], &str)] = &[
    (
        &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02],
        "1.2.840.10045.4.3.2",
    ),
    (
        &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03],
        "1.2.840.10045.4.3.3",
    ),
    (
        &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04],
        "1.2.840.10045.4.3.4",
    ),
    (&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01], EC_PUBLIC_KEY),
    (
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
        RSA_ENCRYPTION,
    ),
    (
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a],
        RSASSA_PSS,
    ),
    (
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b],
        "1.2.840.113549.1.1.11",
    ),
    (
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c],
        "1.2.840.113549.1.1.12",
    ),
    (
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d],
        "1.2.840.113549.1.1.13",
    ),
    (&[0x2b, 0x65, 0x70], ED25519),
];

pub(crate) fn oid_text(
    oid: &x509_parser::der_parser::oid::Oid<'_>,
) -> std::borrow::Cow<'static, str> {
    let bytes = oid.as_bytes();
    match KNOWN_OIDS.iter().find(|(b, _)| *b == bytes) {
        Some((_, text)) => std::borrow::Cow::Borrowed(text),
        None => std::borrow::Cow::Owned(oid.to_id_string()),
    }
}

/// RSA moduli above this are refused, bounding the cost of one verification.
const MAX_RSA_BITS: usize = 8192;

/// Classifies a SubjectPublicKeyInfo, rejecting keys that are weak or unsupported.
pub(crate) fn key_kind(spki: &SubjectPublicKeyInfo<'_>) -> Result<KeyKind, SigFailure> {
    let alg = oid_text(&spki.algorithm.algorithm);
    match alg.as_ref() {
        RSA_ENCRYPTION | RSASSA_PSS => {
            // An id-RSASSA-PSS key holds the same RSAPublicKey (RFC 4055 §1.2).
            let Some(modulus) = rsa_modulus(&spki.subject_public_key.data) else {
                return Err(SigFailure::UnsupportedKey("a malformed RSA key".into()));
            };
            let bits = modulus_bits(modulus);
            if bits < 2048 {
                return Err(SigFailure::WeakKey(format!("a {bits}-bit RSA key")));
            }
            if bits > MAX_RSA_BITS {
                return Err(SigFailure::UnsupportedKey(format!("a {bits}-bit RSA key")));
            }
            Ok(if alg == RSA_ENCRYPTION {
                KeyKind::Rsa(bits)
            } else {
                KeyKind::RsaPss(bits)
            })
        }
        EC_PUBLIC_KEY => {
            let params = spki.algorithm.parameters.as_ref();
            // RFC 5480 §2.1.1: only namedCurve; explicit parameters are not allowed.
            if params.is_some_and(|p| p.as_oid().is_err()) {
                return Err(SigFailure::UnsupportedKey(
                    "an EC key with explicit curve parameters".into(),
                ));
            }
            let curve = params.and_then(|p| p.as_oid().ok());
            match curve {
                Some(c) if c == OID_EC_P256 => Ok(KeyKind::EcP256),
                Some(c) if c == OID_NIST_EC_P384 => Ok(KeyKind::EcP384),
                Some(c) if c == OID_NIST_EC_P521 => Ok(KeyKind::EcP521),
                Some(c) => Err(SigFailure::UnsupportedKey(format!(
                    "the elliptic curve {c}"
                ))),
                None => Err(SigFailure::UnsupportedKey(
                    "an EC key without a named curve".into(),
                )),
            }
        }
        ED25519 => Ok(KeyKind::Ed25519),
        other => Err(SigFailure::UnsupportedKey(format!(
            "the key algorithm {}",
            oid_name(other)
        ))),
    }
}

/// The modulus of an RSAPublicKey (RFC 8017 §A.1.1: SEQUENCE { modulus INTEGER,
/// publicExponent INTEGER }), found by walking its DER: every chain classifies several RSA
/// keys, and x509-parser's reader cost more than the rest of the classification. aws-lc
/// parses the key strictly again when it verifies with it.
fn rsa_modulus(key: &[u8]) -> Option<&[u8]> {
    let (0x30, fields, []) = tlv(key)? else {
        return None;
    };
    let (0x02, modulus, rest) = tlv(fields)? else {
        return None;
    };
    let (0x02, exponent, []) = tlv(rest)? else {
        return None;
    };
    (!modulus.is_empty() && !exponent.is_empty()).then_some(modulus)
}

/// The exact bit length of a big-endian modulus (leading zero octets and bits skipped).
pub(crate) fn modulus_bits(modulus: &[u8]) -> usize {
    let skip = modulus.iter().take_while(|b| **b == 0).count();
    match modulus.get(skip..).and_then(|m| m.split_first()) {
        Some((first, rest)) => rest.len() * 8 + (8 - first.leading_zeros() as usize),
        None => 0,
    }
}

fn oid_name(oid: &str) -> String {
    match oid {
        "1.2.840.10040.4.1" => "DSA".into(),
        "1.3.101.113" => "Ed448".into(),
        other => format!("OID {other}"),
    }
}

/// A hash AlgorithmIdentifier must carry absent or NULL parameters (RFC 4055 §2.1).
fn hash_of(alg_der: &[u8]) -> Option<String> {
    let (rest, alg) = AlgorithmIdentifier::from_der(alg_der).ok()?;
    if !rest.is_empty() {
        return None;
    }
    match &alg.parameters {
        None => {}
        Some(p) if p.tag().0 == 5 && p.data.is_empty() => {}
        Some(_) => return None,
    }
    Some(alg.algorithm.to_id_string())
}

/// RSASSA-PSS-params (RFC 4055 §3.1): we accept SHA-256/384/512 with MGF1 over the same
/// hash, salt length equal to the hash length and trailerField 1, as the CA/B Forum
/// requires. Returns the hash output length.
fn pss_params(
    params: Option<&x509_parser::der_parser::asn1_rs::Any<'_>>,
) -> Result<usize, SigFailure> {
    let bad = || SigFailure::Unsupported("RSA-PSS with unusual parameters".into());
    let params = params.ok_or_else(bad)?;
    let mut body: &[u8] = params.data;
    let (mut hash, mut mgf_hash, mut salt, mut trailer) = (None, None, None, 1u32);
    while !body.is_empty() {
        let (tag, contents, rest) = tlv(body).ok_or_else(bad)?;
        body = rest;
        match tag {
            0xa0 => hash = Some(hash_of(contents).ok_or_else(bad)?),
            0xa1 => {
                let (_, mgf, _) = tlv(contents).ok_or_else(bad)?;
                let (_, _mgf_oid, inner) = tlv(mgf).ok_or_else(bad)?;
                let (rest, mgf_alg) = AlgorithmIdentifier::from_der(contents).map_err(|_| bad())?;
                if !rest.is_empty() || mgf_alg.algorithm.to_id_string() != MGF1 {
                    return Err(bad());
                }
                mgf_hash = Some(hash_of(inner).ok_or_else(bad)?);
            }
            0xa2 => {
                let (t, int, _) = tlv(contents).ok_or_else(bad)?;
                if t != 2 || int.len() > 2 {
                    return Err(bad());
                }
                salt = Some(int.iter().fold(0usize, |a, b| (a << 8) | usize::from(*b)));
            }
            0xa3 => {
                let (t, int, _) = tlv(contents).ok_or_else(bad)?;
                if t != 2 || int != [1] {
                    return Err(bad());
                }
                trailer = 1;
            }
            _ => return Err(bad()),
        }
    }
    let hash = hash.unwrap_or_else(|| SHA1.to_string());
    if hash == SHA1 {
        return Err(SigFailure::Weak("RSA-PSS with SHA-1".into()));
    }
    let len = match hash.as_str() {
        SHA256 => 32,
        SHA384 => 48,
        SHA512 => 64,
        _ => return Err(bad()),
    };
    if mgf_hash.as_deref() != Some(hash.as_str()) || salt != Some(len) || trailer != 1 {
        return Err(bad());
    }
    Ok(len)
}

/// Picks the aws-lc-rs algorithm for a certificate signature algorithm and issuer key.
fn cert_algorithm(
    sig_alg: &AlgorithmIdentifier<'_>,
    key: KeyKind,
) -> Result<&'static dyn VerificationAlgorithm, SigFailure> {
    let oid = oid_text(&sig_alg.algorithm);
    let params = sig_alg.parameters.as_ref();
    let null_or_absent = params.is_none_or(|p| p.tag().0 == 5 && p.data.is_empty());
    let absent = params.is_none();
    let mismatch = || {
        SigFailure::Unsupported(format!(
            "a {} signature from {}",
            sig_name(&oid),
            key.describe()
        ))
    };
    let malformed =
        || SigFailure::Unsupported(format!("{} with invalid parameters", sig_name(&oid)));
    Ok(match oid.as_ref() {
        "1.2.840.113549.1.1.4" | "1.2.840.113549.1.1.2" => {
            return Err(SigFailure::Weak("MD5".into()))
        }
        "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" | "1.2.840.10045.4.1" | "1.2.840.10040.4.3" => {
            return Err(SigFailure::Weak("SHA-1".into()))
        }
        "1.2.840.113549.1.1.11" | "1.2.840.113549.1.1.12" | "1.2.840.113549.1.1.13" => {
            if !matches!(key, KeyKind::Rsa(_)) {
                return Err(mismatch());
            }
            if !null_or_absent {
                return Err(malformed());
            }
            match oid.as_ref() {
                "1.2.840.113549.1.1.11" => &signature::RSA_PKCS1_2048_8192_SHA256,
                "1.2.840.113549.1.1.12" => &signature::RSA_PKCS1_2048_8192_SHA384,
                _ => &signature::RSA_PKCS1_2048_8192_SHA512,
            }
        }
        RSASSA_PSS => {
            if !matches!(key, KeyKind::Rsa(_) | KeyKind::RsaPss(_)) {
                return Err(mismatch());
            }
            match pss_params(params)? {
                32 => &signature::RSA_PSS_2048_8192_SHA256,
                48 => &signature::RSA_PSS_2048_8192_SHA384,
                _ => &signature::RSA_PSS_2048_8192_SHA512,
            }
        }
        "1.2.840.10045.4.3.2" | "1.2.840.10045.4.3.3" | "1.2.840.10045.4.3.4" => {
            // RFC 5758 §3.2: ECDSA AlgorithmIdentifiers have absent parameters.
            if !absent {
                return Err(malformed());
            }
            match (key, oid.as_ref()) {
                (KeyKind::EcP256, "1.2.840.10045.4.3.2") => &signature::ECDSA_P256_SHA256_ASN1,
                (KeyKind::EcP256, "1.2.840.10045.4.3.3") => &signature::ECDSA_P256_SHA384_ASN1,
                (KeyKind::EcP256, _) => &signature::ECDSA_P256_SHA512_ASN1,
                (KeyKind::EcP384, "1.2.840.10045.4.3.2") => &signature::ECDSA_P384_SHA256_ASN1,
                (KeyKind::EcP384, "1.2.840.10045.4.3.3") => &signature::ECDSA_P384_SHA384_ASN1,
                (KeyKind::EcP384, _) => &signature::ECDSA_P384_SHA512_ASN1,
                (KeyKind::EcP521, "1.2.840.10045.4.3.2") => &signature::ECDSA_P521_SHA256_ASN1,
                (KeyKind::EcP521, "1.2.840.10045.4.3.3") => &signature::ECDSA_P521_SHA384_ASN1,
                (KeyKind::EcP521, _) => &signature::ECDSA_P521_SHA512_ASN1,
                _ => return Err(mismatch()),
            }
        }
        ED25519 => {
            // RFC 8410 §3: parameters MUST be absent.
            if !absent {
                return Err(malformed());
            }
            if key != KeyKind::Ed25519 {
                return Err(mismatch());
            }
            &signature::ED25519
        }
        _ => return Err(SigFailure::Unsupported(sig_name(&oid))),
    })
}

/// Human name of a signature algorithm OID.
pub(crate) fn sig_name(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.11" => "RSA PKCS#1 v1.5 with SHA-256".into(),
        "1.2.840.113549.1.1.12" => "RSA PKCS#1 v1.5 with SHA-384".into(),
        "1.2.840.113549.1.1.13" => "RSA PKCS#1 v1.5 with SHA-512".into(),
        "1.2.840.113549.1.1.14" => "RSA PKCS#1 v1.5 with SHA-224".into(),
        RSASSA_PSS => "RSA-PSS".into(),
        "1.2.840.10045.4.3.2" => "ECDSA with SHA-256".into(),
        "1.2.840.10045.4.3.3" => "ECDSA with SHA-384".into(),
        "1.2.840.10045.4.3.4" => "ECDSA with SHA-512".into(),
        "1.2.840.10045.4.3.1" => "ECDSA with SHA-224".into(),
        ED25519 => "Ed25519".into(),
        "1.3.101.113" => "Ed448".into(),
        other => format!("the signature algorithm {other}"),
    }
}

/// A trust anchor's key as aws-lc-rs parses it for verification, kept for the signature
/// algorithm the anchor signs with: every chain the anchor validates would otherwise
/// parse the key again (for RSA, also its Montgomery context).
#[derive(Clone, Default)]
pub(crate) struct ParsedKeyCache(OnceLock<Option<(usize, ParsedPublicKey)>>);

impl ParsedKeyCache {
    /// The parsed `key` for `alg`, when the cache holds (or now takes) it for `alg`.
    /// Algorithms are told apart by address: each comes from one place in
    /// `cert_algorithm`, and a different address only means no cache.
    fn get(&self, alg: &'static dyn VerificationAlgorithm, key: &[u8]) -> Option<&ParsedPublicKey> {
        let addr = std::ptr::from_ref(alg).cast::<()>() as usize;
        self.0
            .get_or_init(|| ParsedPublicKey::new(alg, key).ok().map(|p| (addr, p)))
            .as_ref()
            .filter(|(a, _)| *a == addr)
            .map(|(_, parsed)| parsed)
    }
}

impl std::fmt::Debug for ParsedKeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0.get() {
            Some(Some(_)) => "ParsedKeyCache(parsed)",
            _ => "ParsedKeyCache(empty)",
        })
    }
}

/// How many parsed keys one [`PresentedKeyCache`] keeps (bounded memory).
const PRESENTED_KEYS: usize = 32;

/// The parsed keys most recently met in presented certificates, by signature algorithm and
/// key bytes. A [`crate::RootStore`] keeps two: one for issuers (the intermediate CAs peers
/// send), one for end entities (whose keys check CertificateVerify). Most chains a client
/// sees share a few intermediates, and a client reconnecting to a server meets the same end
/// entity again; their keys would otherwise be parsed again every time (for RSA, with its
/// Montgomery context), as anchors' keys were before [`ParsedKeyCache`]. Only parsing is
/// saved: every signature is still verified.
#[derive(Default)]
pub(crate) struct PresentedKeyCache(Mutex<VecDeque<CachedKey>>);

struct CachedKey {
    alg: usize,
    key: Vec<u8>,
    parsed: Arc<ParsedPublicKey>,
}

impl PresentedKeyCache {
    /// The parsed `key` for `alg`, parsing and remembering it on a miss (the oldest entry
    /// makes room). `None` when aws-lc-rs does not accept the key for `alg`.
    fn get(
        &self,
        alg: &'static dyn VerificationAlgorithm,
        key: &[u8],
    ) -> Option<Arc<ParsedPublicKey>> {
        let addr = std::ptr::from_ref(alg).cast::<()>() as usize;
        let lock = || self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(hit) = lock()
            .iter()
            .find(|e| e.alg == addr && e.key == key)
            .map(|e| Arc::clone(&e.parsed))
        {
            return Some(hit);
        }
        // Parsed outside the lock: other validations need not wait for it.
        let parsed = Arc::new(ParsedPublicKey::new(alg, key).ok()?);
        let mut entries = lock();
        if entries.len() >= PRESENTED_KEYS {
            entries.pop_front();
        }
        entries.push_back(CachedKey {
            alg: addr,
            key: key.to_vec(),
            parsed: Arc::clone(&parsed),
        });
        Some(parsed)
    }
}

/// A copy of a store starts with an empty cache (it is only a cache).
impl Clone for PresentedKeyCache {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl std::fmt::Debug for PresentedKeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0.lock().map_or(0, |e| e.len());
        write!(f, "PresentedKeyCache({n} keys)")
    }
}

/// Where the issuer's key may already be parsed.
#[derive(Clone, Copy)]
pub(crate) enum KeyCache<'c> {
    /// A trust anchor's own slot.
    Anchor(&'c ParsedKeyCache),
    /// One of the store's caches of presented keys.
    Presented(&'c PresentedKeyCache),
}

/// Verifies that `issuer_spki` signed `cert` (RFC 5280 §6.1.3 a.1), with the issuer's key
/// from `cache` when it has it.
pub(crate) fn verify_cert_signature_cached(
    cert: &Cert<'_>,
    issuer_spki: &SubjectPublicKeyInfo<'_>,
    cache: Option<KeyCache<'_>>,
) -> Result<(), SigFailure> {
    let key = IssuerKey::of(issuer_spki);
    verify_cert_signature_by(cert, &key.kind, key.bits, cache)
}

/// An issuer's key as signature checks need it: its kind (or why it is refused) and the
/// subjectPublicKey bits. Trust anchors keep theirs, worked out once.
#[derive(Clone, Debug)]
pub(crate) struct IssuerKey<B = Vec<u8>> {
    pub kind: Result<KeyKind, SigFailure>,
    pub bits: B,
}

impl<'a> IssuerKey<&'a [u8]> {
    pub fn of(spki: &'a SubjectPublicKeyInfo<'_>) -> Self {
        Self {
            kind: key_kind(spki),
            bits: spki.subject_public_key.data.as_ref(),
        }
    }
}

/// [`verify_cert_signature_cached`] with the issuer's key already classified.
pub(crate) fn verify_cert_signature_by(
    cert: &Cert<'_>,
    kind: &Result<KeyKind, SigFailure>,
    key: &[u8],
    cache: Option<KeyCache<'_>>,
) -> Result<(), SigFailure> {
    // RFC 5280 §4.1.1.2: the outer and inner algorithm identifiers must be identical.
    if cert.x509.outer_signature_algorithm != cert.x509.inner_signature_algorithm {
        return Err(SigFailure::Unsupported(
            "different signature algorithms inside and outside the signed part".into(),
        ));
    }
    let kind = kind.clone()?;
    let alg = cert_algorithm(&cert.x509.signature_algorithm, kind)?;
    if cert.x509.signature_unused_bits != 0 {
        return Err(SigFailure::Bad);
    }
    let (tbs, sig) = (cert.x509.tbs_certificate, cert.x509.signature);
    let verified = match cache {
        Some(KeyCache::Anchor(c)) => c.get(alg, key).map(|p| p.verify_sig(tbs, sig)),
        Some(KeyCache::Presented(c)) => c.get(alg, key).map(|p| p.verify_sig(tbs, sig)),
        None => None,
    };
    verified
        .unwrap_or_else(|| UnparsedPublicKey::new(alg, key).verify(tbs, sig))
        .map_err(|_| SigFailure::Bad)
}

/// Verifies a signed structure other than a certificate (a CRL) with the same rules.
pub(crate) fn verify_signed_data(
    issuer_spki: &SubjectPublicKeyInfo<'_>,
    sig_alg: &AlgorithmIdentifier<'_>,
    tbs: &[u8],
    sig: &[u8],
) -> Result<(), SigFailure> {
    let key = key_kind(issuer_spki)?;
    let alg = cert_algorithm(sig_alg, key)?;
    UnparsedPublicKey::new(alg, issuer_spki.subject_public_key.data.as_ref())
        .verify(tbs, sig)
        .map_err(|_| SigFailure::Bad)
}

/// TLS 1.3 CertificateVerify (RFC 8446 §4.4.3): checks `signature` over `message` with
/// the end-entity certificate's key for the SignatureScheme `scheme`.
///
/// Allowed: 0x0403/0x0503/0x0603 (ECDSA P-256/P-384/P-521, the key's curve must match),
/// 0x0804–0x0806 (RSA-PSS, rsaEncryption key), 0x0809–0x080b (RSA-PSS, id-RSASSA-PSS
/// key), 0x0807 (Ed25519). RSA PKCS#1 v1.5 and SHA-1 schemes are refused (§4.2.3).
/// A bad signature maps to decrypt_error; a scheme that does not fit the key to
/// illegal_parameter.
pub fn verify_tls13_signature(
    end_entity: &[u8],
    scheme: u16,
    message: &[u8],
    signature: &[u8],
) -> Result<(), CertError> {
    let cert = Cert::parse(end_entity, Some(0))?;
    verify_tls13_with_key(
        cert.x509.public_key(),
        scheme,
        message,
        signature,
        || cert.subject(),
        None,
    )
}

/// The end entity's SubjectPublicKeyInfo, read by walking the DER of a certificate that
/// already passed validation (RFC 5280 §4.1: it is the seventh field of tbsCertificate,
/// after the optional version), without parsing the rest again.
pub(crate) fn validated_spki(cert_der: &[u8]) -> Option<SubjectPublicKeyInfo<'_>> {
    let (0x30, cert, _) = tlv(cert_der)? else {
        return None;
    };
    let (0x30, mut tbs, _) = tlv(cert)? else {
        return None;
    };
    // [0] version (optional), then serialNumber, signature, issuer, validity, subject.
    let mut skip = 5;
    if tbs.first() == Some(&0xa0) {
        skip += 1;
    }
    for _ in 0..skip {
        tbs = tlv(tbs)?.2;
    }
    let (0x30, _, rest) = tlv(tbs)? else {
        return None;
    };
    let spki_der = tbs.get(..tbs.len() - rest.len())?;
    match SubjectPublicKeyInfo::from_der(spki_der) {
        Ok(([], spki)) => Some(spki),
        _ => None,
    }
}

/// CertificateVerify with the end entity's key `spki`; `subject` names the certificate
/// in errors about its key.
pub(crate) fn verify_tls13_with_key(
    spki: &SubjectPublicKeyInfo<'_>,
    scheme: u16,
    message: &[u8],
    signature: &[u8],
    subject: impl Fn() -> String,
    cache: Option<&PresentedKeyCache>,
) -> Result<(), CertError> {
    let key = key_kind(spki).map_err(|f| match f {
        SigFailure::Weak(what) | SigFailure::WeakKey(what) => CertError::WeakAlgorithm {
            subject: subject(),
            depth: 0,
            what,
        },
        SigFailure::Unsupported(what) | SigFailure::UnsupportedKey(what) => {
            CertError::UnsupportedAlgorithm {
                subject: subject(),
                depth: 0,
                what,
            }
        }
        SigFailure::Bad => CertError::BadCertificateVerify { scheme },
    })?;
    // RFC 8446 §4.2.3: RSASSA-PKCS1-v1_5 and SHA-1 schemes are not for CertificateVerify.
    let alg: &'static dyn VerificationAlgorithm = match (scheme, key) {
        (0x0403, KeyKind::EcP256) => &signature::ECDSA_P256_SHA256_ASN1,
        (0x0503, KeyKind::EcP384) => &signature::ECDSA_P384_SHA384_ASN1,
        (0x0603, KeyKind::EcP521) => &signature::ECDSA_P521_SHA512_ASN1,
        (0x0804, KeyKind::Rsa(_)) => &signature::RSA_PSS_2048_8192_SHA256,
        (0x0805, KeyKind::Rsa(_)) => &signature::RSA_PSS_2048_8192_SHA384,
        (0x0806, KeyKind::Rsa(_)) => &signature::RSA_PSS_2048_8192_SHA512,
        (0x0809, KeyKind::RsaPss(_)) => &signature::RSA_PSS_2048_8192_SHA256,
        (0x080a, KeyKind::RsaPss(_)) => &signature::RSA_PSS_2048_8192_SHA384,
        (0x080b, KeyKind::RsaPss(_)) => &signature::RSA_PSS_2048_8192_SHA512,
        (0x0807, KeyKind::Ed25519) => &signature::ED25519,
        _ => {
            return Err(CertError::SchemeMismatch {
                scheme,
                key: key.describe(),
            })
        }
    };
    let key = spki.subject_public_key.data.as_ref();
    cache
        .and_then(|c| c.get(alg, key))
        .map(|parsed| parsed.verify_sig(message, signature))
        .unwrap_or_else(|| UnparsedPublicKey::new(alg, key).verify(message, signature))
        .map_err(|_| CertError::BadCertificateVerify { scheme })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};

    /// RSAPublicKey's modulus, read by the DER walk: the padded 2049-bit-looking INTEGER
    /// of a 2048-bit key counts 2048 bits; anything but SEQUENCE { INTEGER, INTEGER } with
    /// nothing around it is refused.
    #[test]
    fn rsa_modulus_walk() {
        let mut modulus = vec![0x00, 0x80];
        modulus.resize(257, 0x11);
        let mut fields = vec![0x02, 0x82, 0x01, 0x01];
        fields.extend_from_slice(&modulus);
        fields.extend_from_slice(&[0x02, 0x03, 0x01, 0x00, 0x01]);
        let mut key = vec![0x30, 0x82, 0x01, 0x0a];
        key.extend_from_slice(&fields);
        let m = rsa_modulus(&key).unwrap();
        assert_eq!(modulus_bits(m), 2048);

        let mut trailing = key.clone();
        trailing.push(0);
        assert!(rsa_modulus(&trailing).is_none());
        assert!(rsa_modulus(&key[..key.len() - 1]).is_none());
        let mut not_seq = key.clone();
        not_seq[0] = 0x31;
        assert!(rsa_modulus(&not_seq).is_none());
        let mut no_int = key.clone();
        no_int[4] = 0x04;
        assert!(rsa_modulus(&no_int).is_none());
        assert!(rsa_modulus(&[0x30, 0x04, 0x02, 0x00, 0x02, 0x00]).is_none());
        assert!(rsa_modulus(&[0x30, 0x03, 0x02, 0x01, 0x01]).is_none());
        assert!(rsa_modulus(&[]).is_none());
    }

    /// The cache answers for the algorithm it parsed the key for, and only that one.
    #[test]
    fn parsed_key_cache_is_per_algorithm() {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref()).unwrap();
        let key = pair.public_key().as_ref();
        let sha256: &'static dyn VerificationAlgorithm = &signature::ECDSA_P256_SHA256_ASN1;
        let sha384: &'static dyn VerificationAlgorithm = &signature::ECDSA_P256_SHA384_ASN1;
        let cache = ParsedKeyCache::default();
        let sig = pair.sign(&rng, b"tbs").unwrap();
        let parsed = cache.get(sha256, key).unwrap();
        parsed.verify_sig(b"tbs", sig.as_ref()).unwrap();
        assert!(parsed.verify_sig(b"other", sig.as_ref()).is_err());
        assert!(cache.get(sha256, key).is_some());
        assert!(cache.get(sha384, key).is_none());
        // A key that does not parse is remembered as such: callers take the general path.
        let bad = ParsedKeyCache::default();
        assert!(bad.get(sha256, b"not a point").is_none());
        assert!(bad.get(sha256, key).is_none());
    }
}
