//! Our own private keys, used for CertificateVerify (RFC 8446 §4.4.3).
//! Verifying the peer's signatures is the certificate crate's job.

use std::fmt;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, EcdsaSigningAlgorithm, Ed25519KeyPair, KeyPair, RsaKeyPair,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::PrivateKeyDer;

use super::der::{self, oid};
use super::CryptoError;

/// `SignatureScheme` codepoints (RFC 8446 §4.2.3) this module produces.
mod scheme {
    pub(super) const ECDSA_SECP256R1_SHA256: u16 = 0x0403;
    pub(super) const ECDSA_SECP384R1_SHA384: u16 = 0x0503;
    pub(super) const ECDSA_SECP521R1_SHA512: u16 = 0x0603;
    pub(super) const RSA_PSS_RSAE_SHA256: u16 = 0x0804;
    pub(super) const RSA_PSS_RSAE_SHA384: u16 = 0x0805;
    pub(super) const RSA_PSS_RSAE_SHA512: u16 = 0x0806;
    pub(super) const ED25519: u16 = 0x0807;
    pub(super) const RSA_PSS_PSS_SHA256: u16 = 0x0809;
    pub(super) const RSA_PSS_PSS_SHA384: u16 = 0x080a;
    pub(super) const RSA_PSS_PSS_SHA512: u16 = 0x080b;
}

/// RFC 8446 §4.2.3 ties each ECDSA scheme to one curve, so a key has one.
static P256_SCHEMES: &[u16] = &[scheme::ECDSA_SECP256R1_SHA256];
static P384_SCHEMES: &[u16] = &[scheme::ECDSA_SECP384R1_SHA384];
static P521_SCHEMES: &[u16] = &[scheme::ECDSA_SECP521R1_SHA512];
static ED25519_SCHEMES: &[u16] = &[scheme::ED25519];
/// Strongest hash first; every peer that offers RSA-PSS offers SHA-256 too,
/// so preferring SHA-512 costs no interoperability.
static RSAE_SCHEMES: &[u16] = &[
    scheme::RSA_PSS_RSAE_SHA512,
    scheme::RSA_PSS_RSAE_SHA384,
    scheme::RSA_PSS_RSAE_SHA256,
];
static PSS_SCHEMES: &[u16] = &[
    scheme::RSA_PSS_PSS_SHA512,
    scheme::RSA_PSS_PSS_SHA384,
    scheme::RSA_PSS_PSS_SHA256,
];
static PSS_SHA256_SCHEMES: &[u16] = &[scheme::RSA_PSS_PSS_SHA256];
static PSS_SHA384_SCHEMES: &[u16] = &[scheme::RSA_PSS_PSS_SHA384];
static PSS_SHA512_SCHEMES: &[u16] = &[scheme::RSA_PSS_PSS_SHA512];

/// RFC 8446 §4.2.3 / §C.4 and common policy: RSA below 2048 bits is refused.
const MIN_RSA_BITS: usize = 2048;
/// aws-lc-rs signs with RSA keys of at most 8192 bits.
const MAX_RSA_BITS: usize = 8192;

enum Inner {
    Ecdsa {
        key: EcdsaKeyPair,
        schemes: &'static [u16],
        name: &'static str,
    },
    Rsa {
        key: RsaKeyPair,
        bits: usize,
        /// rsaEncryption keys make rsa_pss_rsae_*; id-RSASSA-PSS keys make
        /// only rsa_pss_pss_* (RFC 8446 §4.2.3), possibly one hash only.
        schemes: &'static [u16],
    },
    Ed25519(Ed25519KeyPair),
}

/// A private key padlock signs handshakes with.
pub struct SigningKey {
    inner: Inner,
}

impl SigningKey {
    /// Loads the first private key in a PEM file: PKCS#8 ("PRIVATE KEY"),
    /// SEC1 ("EC PRIVATE KEY") or PKCS#1 ("RSA PRIVATE KEY").
    pub fn from_pem(pem: &[u8]) -> Result<Self, CryptoError> {
        const ENCRYPTED: &[u8] = b"-----BEGIN ENCRYPTED PRIVATE KEY-----";
        if pem.windows(ENCRYPTED.len()).any(|w| w == ENCRYPTED) {
            return Err(CryptoError::UnsupportedKey(
                "the private key is password-protected; decrypt it first \
                 (e.g. `openssl pkey -in key.pem -out plain.pem`)"
                    .into(),
            ));
        }
        let der = PrivateKeyDer::from_pem_slice(pem).map_err(|e| {
            CryptoError::KeyRejected(format!("no usable private key in PEM input ({e})"))
        })?;
        Self::from_der(&der)
    }

    /// Loads a DER private key in any of the three encodings.
    pub fn from_der(key: &PrivateKeyDer<'_>) -> Result<Self, CryptoError> {
        let inner = match key {
            PrivateKeyDer::Pkcs8(k) => from_pkcs8(k.secret_pkcs8_der())?,
            PrivateKeyDer::Sec1(k) => from_sec1(k.secret_sec1_der())?,
            PrivateKeyDer::Pkcs1(k) => from_pkcs1(k.secret_pkcs1_der(), RSAE_SCHEMES)?,
            _ => {
                return Err(CryptoError::UnsupportedKey(
                    "unknown private key encoding".into(),
                ))
            }
        };
        Ok(Self { inner })
    }

    /// The `SignatureScheme` codepoints this key can produce, best first.
    pub fn schemes(&self) -> &'static [u16] {
        match &self.inner {
            Inner::Ecdsa { schemes, .. } | Inner::Rsa { schemes, .. } => schemes,
            Inner::Ed25519(_) => ED25519_SCHEMES,
        }
    }

    /// Our best scheme that the peer listed in `signature_algorithms`
    /// (RFC 8446 §4.4.3), or `None` if there is no overlap.
    pub fn choose_scheme(&self, offered: &[u16]) -> Option<u16> {
        self.schemes().iter().copied().find(|s| offered.contains(s))
    }

    /// Signs `message` (for TLS, the CertificateVerify content of RFC 8446
    /// §4.4.3) with `scheme`, which must be one of [`Self::schemes`].
    /// ECDSA signatures are DER `ECDSA-Sig-Value`s.
    pub fn sign(&self, scheme: u16, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut signature = Vec::new();
        self.sign_into(scheme, message, &mut signature)?;
        Ok(signature)
    }

    /// [`Self::sign`], appending the signature to `out` (a message being encoded) instead
    /// of returning it in a `Vec` of its own. On error `out` is left as it was.
    pub fn sign_into(
        &self,
        scheme: u16,
        message: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), CryptoError> {
        if !self.schemes().contains(&scheme) {
            return Err(CryptoError::UnsupportedScheme(scheme));
        }
        let rng = SystemRandom::new();
        match &self.inner {
            Inner::Ecdsa { key, .. } => key
                .sign(&rng, message)
                .map(|s| out.extend_from_slice(s.as_ref()))
                .map_err(|_| CryptoError::SigningFailed),
            Inner::Rsa { key, .. } => {
                let padding: &'static dyn signature::RsaEncoding = match scheme {
                    scheme::RSA_PSS_RSAE_SHA256 | scheme::RSA_PSS_PSS_SHA256 => {
                        &signature::RSA_PSS_SHA256
                    }
                    scheme::RSA_PSS_RSAE_SHA384 | scheme::RSA_PSS_PSS_SHA384 => {
                        &signature::RSA_PSS_SHA384
                    }
                    scheme::RSA_PSS_RSAE_SHA512 | scheme::RSA_PSS_PSS_SHA512 => {
                        &signature::RSA_PSS_SHA512
                    }
                    other => return Err(CryptoError::UnsupportedScheme(other)),
                };
                let start = out.len();
                out.resize(start + key.public_modulus_len(), 0);
                let signed = match out.get_mut(start..) {
                    Some(sig) => key.sign(padding, &rng, message, sig).is_ok(),
                    None => false,
                };
                if !signed {
                    out.truncate(start);
                    return Err(CryptoError::SigningFailed);
                }
                Ok(())
            }
            Inner::Ed25519(key) => key
                .try_sign(message)
                .map(|s| out.extend_from_slice(s.as_ref()))
                .map_err(|_| CryptoError::SigningFailed),
        }
    }

    /// The public key as it appears in the contents of the
    /// `subjectPublicKey` BIT STRING of a matching certificate (RFC 5280
    /// §4.1.2.7): the uncompressed point for ECDSA, the PKCS#1
    /// `RSAPublicKey` DER for RSA and RSA-PSS, 32 bytes for Ed25519. Lets
    /// configuration code check that a key and certificate belong together.
    pub fn public_key(&self) -> &[u8] {
        match &self.inner {
            Inner::Ecdsa { key, .. } => key.public_key().as_ref(),
            Inner::Rsa { key, .. } => key.public_key().as_ref(),
            Inner::Ed25519(key) => key.public_key().as_ref(),
        }
    }

    /// A short human description: "ECDSA P-256", "RSA 2048", "RSA-PSS 3072",
    /// "Ed25519".
    pub fn describe(&self) -> String {
        match &self.inner {
            Inner::Ecdsa { name, .. } => format!("ECDSA {name}"),
            Inner::Rsa { bits, schemes, .. } if *schemes == RSAE_SCHEMES => format!("RSA {bits}"),
            Inner::Rsa { bits, .. } => format!("RSA-PSS {bits}"),
            Inner::Ed25519(_) => "Ed25519".into(),
        }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({})", self.describe())
    }
}

fn rejected(what: &str, e: aws_lc_rs::error::KeyRejected) -> CryptoError {
    CryptoError::KeyRejected(format!("{what}: {e}"))
}

fn from_pkcs8(bytes: &[u8]) -> Result<Inner, CryptoError> {
    let info = der::parse_pkcs8(bytes)
        .ok_or_else(|| CryptoError::KeyRejected("malformed PKCS#8 structure".into()))?;
    match info.algorithm {
        a if a == oid::EC_PUBLIC_KEY => {
            let curve = info
                .parameters
                .and_then(|(tag, c)| (tag == der::OID).then_some(c));
            let (alg, schemes, name) = ecdsa_for_curve(curve)?;
            let key = EcdsaKeyPair::from_pkcs8(alg, bytes).map_err(|e| rejected("ECDSA key", e))?;
            Ok(Inner::Ecdsa { key, schemes, name })
        }
        a if a == oid::RSA_ENCRYPTION => {
            check_rsa_bits(der::rsa_modulus_bits(info.private_key))?;
            let key = RsaKeyPair::from_pkcs8(bytes).map_err(|e| rejected("RSA key", e))?;
            rsa(key, RSAE_SCHEMES)
        }
        a if a == oid::RSASSA_PSS => {
            // aws-lc-rs's RsaKeyPair::from_pkcs8 accepts only rsaEncryption
            // keys, but an RSASSA-PSS PKCS#8 wraps the same PKCS#1
            // RSAPrivateKey (RFC 4055 §1.2); the OID only restricts use.
            let schemes = match der::pss_restriction(info.parameters) {
                Ok(None) => PSS_SCHEMES,
                Ok(Some(h)) if h == oid::SHA256 => PSS_SHA256_SCHEMES,
                Ok(Some(h)) if h == oid::SHA384 => PSS_SHA384_SCHEMES,
                Ok(Some(_)) => PSS_SHA512_SCHEMES,
                Err(why) => return Err(CryptoError::UnsupportedKey(why.into())),
            };
            from_pkcs1(info.private_key, schemes)
        }
        a if a == oid::ED25519 => Ed25519KeyPair::from_pkcs8(bytes)
            .map(Inner::Ed25519)
            .map_err(|e| rejected("Ed25519 key", e)),
        a if a == oid::ED448 => Err(CryptoError::UnsupportedKey(
            "Ed448 keys are not supported (aws-lc has no Ed448)".into(),
        )),
        a if a == oid::X25519 => Err(CryptoError::UnsupportedKey(
            "an X25519 key is for key agreement and cannot sign".into(),
        )),
        a if a == oid::DSA => Err(CryptoError::UnsupportedKey(
            "DSA keys cannot be used with TLS 1.3".into(),
        )),
        _ => Err(CryptoError::UnsupportedKey(
            "unrecognised private key algorithm".into(),
        )),
    }
}

fn from_sec1(bytes: &[u8]) -> Result<Inner, CryptoError> {
    let (curve, scalar_len) = der::parse_sec1(bytes)
        .ok_or_else(|| CryptoError::KeyRejected("malformed SEC1 EC private key".into()))?;
    // Without explicit parameters the scalar length identifies the curve
    // (RFC 5915 §3: privateKey is ceiling(log2(n)/8) octets).
    let (alg, schemes, name) = match (curve, scalar_len) {
        (Some(c), _) => ecdsa_for_curve(Some(c))?,
        (None, 32) => ecdsa_for_curve(Some(oid::SECP256R1))?,
        (None, 48) => ecdsa_for_curve(Some(oid::SECP384R1))?,
        (None, 66) => ecdsa_for_curve(Some(oid::SECP521R1))?,
        (None, _) => {
            return Err(CryptoError::UnsupportedKey(
                "SEC1 key without a recognisable curve".into(),
            ))
        }
    };
    let key =
        EcdsaKeyPair::from_private_key_der(alg, bytes).map_err(|e| rejected("ECDSA key", e))?;
    Ok(Inner::Ecdsa { key, schemes, name })
}

fn from_pkcs1(bytes: &[u8], schemes: &'static [u16]) -> Result<Inner, CryptoError> {
    check_rsa_bits(der::rsa_modulus_bits(bytes))?;
    let key = RsaKeyPair::from_der(bytes).map_err(|e| rejected("RSA key", e))?;
    rsa(key, schemes)
}

fn rsa(key: RsaKeyPair, schemes: &'static [u16]) -> Result<Inner, CryptoError> {
    let bits = key.public_modulus_len() * 8;
    check_rsa_bits(Some(bits))?;
    Ok(Inner::Rsa { key, bits, schemes })
}

/// Refuses small RSA keys with a message naming the size, before aws-lc-rs
/// would refuse them with a generic one.
fn check_rsa_bits(bits: Option<usize>) -> Result<(), CryptoError> {
    match bits {
        Some(b) if b < MIN_RSA_BITS => Err(CryptoError::UnsupportedKey(format!(
            "RSA key of {b} bits is too small; at least {MIN_RSA_BITS} bits are required"
        ))),
        Some(b) if b > MAX_RSA_BITS => Err(CryptoError::UnsupportedKey(format!(
            "RSA key of {b} bits is larger than the {MAX_RSA_BITS}-bit maximum"
        ))),
        _ => Ok(()),
    }
}

fn ecdsa_for_curve(
    curve: Option<&[u8]>,
) -> Result<(&'static EcdsaSigningAlgorithm, &'static [u16], &'static str), CryptoError> {
    match curve {
        Some(c) if c == oid::SECP256R1 => Ok((
            &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            P256_SCHEMES,
            "P-256",
        )),
        Some(c) if c == oid::SECP384R1 => Ok((
            &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
            P384_SCHEMES,
            "P-384",
        )),
        Some(c) if c == oid::SECP521R1 => Ok((
            &signature::ECDSA_P521_SHA512_ASN1_SIGNING,
            P521_SCHEMES,
            "P-521",
        )),
        _ => Err(CryptoError::UnsupportedKey(
            "ECDSA key on a curve TLS 1.3 does not sign with (use P-256, P-384 or P-521)".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{UnparsedPublicKey, VerificationAlgorithm};
    use rustls_pki_types::{PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer};

    const MESSAGE: &[u8] = b"TLS 1.3, server CertificateVerify\x00transcript hash";

    fn verifier(scheme: u16) -> &'static dyn VerificationAlgorithm {
        match scheme {
            0x0403 => &signature::ECDSA_P256_SHA256_ASN1,
            0x0503 => &signature::ECDSA_P384_SHA384_ASN1,
            0x0603 => &signature::ECDSA_P521_SHA512_ASN1,
            0x0804 | 0x0809 => &signature::RSA_PSS_2048_8192_SHA256,
            0x0805 | 0x080a => &signature::RSA_PSS_2048_8192_SHA384,
            0x0806 | 0x080b => &signature::RSA_PSS_2048_8192_SHA512,
            0x0807 => &signature::ED25519,
            other => panic!("no verifier for {other:04x}"),
        }
    }

    /// Signs with every scheme the key offers and verifies with aws-lc-rs.
    fn sign_and_verify_all(key: &SigningKey) {
        assert!(!key.schemes().is_empty());
        for &scheme in key.schemes() {
            let sig = key.sign(scheme, MESSAGE).unwrap();
            UnparsedPublicKey::new(verifier(scheme), key.public_key())
                .verify(MESSAGE, &sig)
                .unwrap_or_else(|_| panic!("{} scheme {scheme:04x}", key.describe()));
            let mut wrong = MESSAGE.to_vec();
            wrong[0] ^= 1;
            assert!(UnparsedPublicKey::new(verifier(scheme), key.public_key())
                .verify(&wrong, &sig)
                .is_err());
        }
        assert_eq!(
            key.sign(0x0201, MESSAGE),
            Err(CryptoError::UnsupportedScheme(0x0201)),
            "rsa_pkcs1_sha1 must never be produced"
        );
    }

    fn pem(label: &str, der: &[u8]) -> Vec<u8> {
        const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut b64 = String::new();
        for chunk in der.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
            for i in 0..4 {
                if i <= chunk.len() {
                    b64.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    b64.push('=');
                }
            }
        }
        let mut out = format!("-----BEGIN {label}-----\n");
        for line in b64.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(line).unwrap());
            out.push('\n');
        }
        out.push_str(&format!("-----END {label}-----\n"));
        out.into_bytes()
    }

    fn rcgen_pkcs8(alg: &'static rcgen::SignatureAlgorithm) -> rcgen::KeyPair {
        rcgen::KeyPair::generate_for(alg).unwrap()
    }

    #[test]
    fn ecdsa_p256_pkcs8_and_sec1() {
        let kp = rcgen_pkcs8(&rcgen::PKCS_ECDSA_P256_SHA256);
        let key = SigningKey::from_pem(kp.serialize_pem().as_bytes()).unwrap();
        assert_eq!(key.describe(), "ECDSA P-256");
        assert_eq!(key.schemes(), &[0x0403]);
        assert_eq!(key.public_key(), kp.public_key_raw());
        sign_and_verify_all(&key);

        // SEC1 as found inside the PKCS#8 (no curve parameters) ...
        let inner = der::parse_pkcs8(&kp.serialize_der())
            .unwrap()
            .private_key
            .to_vec();
        let key = SigningKey::from_pem(&pem("EC PRIVATE KEY", &inner)).unwrap();
        assert_eq!(key.public_key(), kp.public_key_raw());
        sign_and_verify_all(&key);
        // ... and as aws-lc-rs writes it (with the named curve).
        let ec = EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            &kp.serialize_der(),
        )
        .unwrap();
        let sec1 =
            aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::EcPrivateKeyRfc5915Der>::as_der(
                &ec.private_key(),
            )
            .unwrap();
        let key = SigningKey::from_pem(&pem("EC PRIVATE KEY", sec1.as_ref())).unwrap();
        assert_eq!(key.public_key(), kp.public_key_raw());
        let key =
            SigningKey::from_der(&PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(sec1.as_ref())))
                .unwrap();
        sign_and_verify_all(&key);
    }

    #[test]
    fn ecdsa_p384() {
        let kp = rcgen_pkcs8(&rcgen::PKCS_ECDSA_P384_SHA384);
        let key = SigningKey::from_pem(kp.serialize_pem().as_bytes()).unwrap();
        assert_eq!(key.describe(), "ECDSA P-384");
        assert_eq!(key.choose_scheme(&[0x0403, 0x0503]), Some(0x0503));
        assert_eq!(key.choose_scheme(&[0x0403, 0x0804]), None);
        sign_and_verify_all(&key);
        let inner = der::parse_pkcs8(&kp.serialize_der())
            .unwrap()
            .private_key
            .to_vec();
        sign_and_verify_all(&SigningKey::from_pem(&pem("EC PRIVATE KEY", &inner)).unwrap());

        let key = SigningKey::from_pem(include_bytes!("testdata/p384-sec1.pem")).unwrap();
        assert_eq!(key.describe(), "ECDSA P-384");
        sign_and_verify_all(&key);
    }

    #[test]
    fn ecdsa_p521_sec1() {
        let key = SigningKey::from_pem(include_bytes!("testdata/p521-sec1.pem")).unwrap();
        assert_eq!(key.describe(), "ECDSA P-521");
        assert_eq!(key.schemes(), &[0x0603]);
        sign_and_verify_all(&key);
    }

    #[test]
    fn ed25519() {
        let kp = rcgen_pkcs8(&rcgen::PKCS_ED25519);
        let key = SigningKey::from_pem(kp.serialize_pem().as_bytes()).unwrap();
        assert_eq!(key.describe(), "Ed25519");
        assert_eq!(key.choose_scheme(&[0x0403, 0x0807]), Some(0x0807));
        assert_eq!(key.public_key(), kp.public_key_raw());
        sign_and_verify_all(&key);
    }

    #[test]
    fn rsa_pkcs8_and_pkcs1() {
        let kp = rcgen_pkcs8(&rcgen::PKCS_RSA_SHA256);
        let key = SigningKey::from_pem(kp.serialize_pem().as_bytes()).unwrap();
        assert_eq!(key.describe(), "RSA 2048");
        assert_eq!(key.schemes(), &[0x0806, 0x0805, 0x0804]);
        assert_eq!(key.choose_scheme(&[0x0804, 0x0809, 0x0401]), Some(0x0804));
        assert_eq!(
            key.choose_scheme(&[0x0809, 0x0401]),
            None,
            "rsae key, pss scheme"
        );
        assert_eq!(key.public_key(), kp.public_key_raw());
        sign_and_verify_all(&key);
        assert_eq!(
            key.sign(0x0809, MESSAGE),
            Err(CryptoError::UnsupportedScheme(0x0809))
        );

        let pkcs1 = der::parse_pkcs8(&kp.serialize_der())
            .unwrap()
            .private_key
            .to_vec();
        let key = SigningKey::from_pem(&pem("RSA PRIVATE KEY", &pkcs1)).unwrap();
        assert_eq!(key.describe(), "RSA 2048");
        sign_and_verify_all(&key);
        let key =
            SigningKey::from_der(&PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(pkcs1))).unwrap();
        assert_eq!(key.public_key(), kp.public_key_raw());
    }

    #[test]
    fn rsa_3072_from_aws_lc() {
        let kp = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa3072).unwrap();
        let der =
            aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&kp).unwrap();
        let key = SigningKey::from_der(&PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            der.as_ref(),
        )))
        .unwrap();
        assert_eq!(key.describe(), "RSA 3072");
        sign_and_verify_all(&key);
    }

    #[test]
    fn rsa_1024_rejected() {
        let err = SigningKey::from_pem(include_bytes!("testdata/rsa1024-pkcs1.pem")).unwrap_err();
        assert!(
            matches!(&err, CryptoError::UnsupportedKey(m) if m.contains("1024")),
            "{err}"
        );
    }

    #[test]
    fn rsa_pss_keys() {
        let key = SigningKey::from_pem(include_bytes!("testdata/rsa-pss-2048.pem")).unwrap();
        assert_eq!(key.describe(), "RSA-PSS 2048");
        assert_eq!(key.schemes(), &[0x080b, 0x080a, 0x0809]);
        assert_eq!(
            key.choose_scheme(&[0x0804, 0x0805]),
            None,
            "pss key, rsae schemes"
        );
        sign_and_verify_all(&key);

        let key = SigningKey::from_pem(include_bytes!("testdata/rsa-pss-sha384-2048.pem")).unwrap();
        assert_eq!(key.schemes(), &[0x080a], "parameters restrict the hash");
        sign_and_verify_all(&key);
    }

    #[test]
    fn unsupported_keys_have_precise_errors() {
        let err = SigningKey::from_pem(include_bytes!("testdata/ed448.pem")).unwrap_err();
        assert!(
            matches!(&err, CryptoError::UnsupportedKey(m) if m.contains("Ed448")),
            "{err}"
        );
        let err = SigningKey::from_pem(include_bytes!("testdata/secp256k1-sec1.pem")).unwrap_err();
        assert!(
            matches!(&err, CryptoError::UnsupportedKey(m) if m.contains("curve")),
            "{err}"
        );
        let err =
            SigningKey::from_pem(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
                .unwrap_err();
        assert!(matches!(err, CryptoError::KeyRejected(_)), "{err}");
        let err = SigningKey::from_pem(
            b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
        )
        .unwrap_err();
        assert!(
            matches!(&err, CryptoError::UnsupportedKey(m) if m.contains("password")),
            "{err}"
        );
        let err = SigningKey::from_pem(b"not pem at all").unwrap_err();
        assert!(matches!(err, CryptoError::KeyRejected(_)), "{err}");
    }

    #[test]
    fn corrupted_keys_are_errors_not_panics() {
        let kp = rcgen_pkcs8(&rcgen::PKCS_ECDSA_P256_SHA256);
        let der = kp.serialize_der();
        for cut in 0..der.len() {
            let truncated = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(&der[..cut]));
            assert!(SigningKey::from_der(&truncated).is_err());
        }
        for i in 0..der.len() {
            let mut flipped = der.clone();
            flipped[i] ^= 0x80;
            let _ = SigningKey::from_der(&PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(flipped)));
            let _ = SigningKey::from_der(&PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(&der[i..])));
            let _ =
                SigningKey::from_der(&PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(&der[i..])));
        }
    }
}
