//! The certificates every benchmark uses, generated once per run and handed to both stacks.
//!
//! Each chain is root -> intermediate -> leaf with one key type throughout, the shape of
//! rustls-bench's test CA: the server sends leaf + intermediate, the client trusts the root,
//! so a full handshake costs the client two certificate signatures and the CertificateVerify.

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, RsaKeySize, SanType, SignatureAlgorithm,
};

/// The name every server certificate is for and every client asks for.
pub const SERVER_NAME: &str = "localhost";

/// The server certificate's key type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    /// ECDSA P-256 with SHA-256 throughout.
    EcdsaP256,
    /// RSA-2048 (PKCS#1 v1.5 certificate signatures; RSA-PSS CertificateVerify, RFC 8446 §4.2.3).
    Rsa2048,
}

impl KeyType {
    /// Both key types, in report order.
    pub const ALL: [KeyType; 2] = [KeyType::EcdsaP256, KeyType::Rsa2048];

    /// The label used in report rows.
    pub fn label(self) -> &'static str {
        match self {
            KeyType::EcdsaP256 => "ecdsa-p256",
            KeyType::Rsa2048 => "rsa2048",
        }
    }

    fn algorithm(self) -> &'static SignatureAlgorithm {
        match self {
            KeyType::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            KeyType::Rsa2048 => &rcgen::PKCS_RSA_SHA256,
        }
    }

    fn generate(self) -> KeyPair {
        match self {
            KeyType::EcdsaP256 => KeyPair::generate_for(self.algorithm()),
            KeyType::Rsa2048 => KeyPair::generate_rsa_for(self.algorithm(), RsaKeySize::_2048),
        }
        .expect("key generation")
    }
}

/// One server identity: what the server presents and what the client trusts.
pub struct Identity {
    /// The key type of every certificate in the chain.
    pub key_type: KeyType,
    /// DER certificates the server sends: leaf, intermediate.
    pub chain: Vec<Vec<u8>>,
    /// The leaf's private key, PKCS#8 DER.
    pub key_pkcs8: Vec<u8>,
    /// The root certificate the client trusts, DER.
    pub root: Vec<u8>,
}

impl Identity {
    /// Generates a fresh chain for `key_type`.
    pub fn generate(key_type: KeyType) -> Self {
        let root = CertifiedIssuer::self_signed(
            ca_params("padlock-bench root CA", BasicConstraints::Unconstrained),
            key_type.generate(),
        )
        .expect("root certificate");
        let intermediate = CertifiedIssuer::signed_by(
            ca_params(
                "padlock-bench intermediate CA",
                BasicConstraints::Constrained(0),
            ),
            key_type.generate(),
            &*root,
        )
        .expect("intermediate certificate");
        let leaf_key = key_type.generate();
        let leaf = leaf_params()
            .signed_by(&leaf_key, &*intermediate)
            .expect("leaf certificate");
        Self {
            key_type,
            chain: vec![leaf.der().to_vec(), intermediate.der().to_vec()],
            key_pkcs8: leaf_key.serialize_der(),
            root: root.der().to_vec(),
        }
    }

    /// An identity from its parts (as passed to a child process).
    pub fn from_der(
        key_type: KeyType,
        chain: Vec<Vec<u8>>,
        key_pkcs8: Vec<u8>,
        root: Vec<u8>,
    ) -> Self {
        Self {
            key_type,
            chain,
            key_pkcs8,
            root,
        }
    }
}

fn validity(params: &mut CertificateParams) {
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2049, 12, 31);
}

fn ca_params(cn: &str, constraints: BasicConstraints) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.is_ca = IsCa::Ca(constraints);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.use_authority_key_identifier_extension = true;
    validity(&mut params);
    params
}

fn leaf_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, SERVER_NAME);
    params.subject_alt_names = vec![SanType::DnsName(
        SERVER_NAME.try_into().expect("a valid DNS name"),
    )];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.use_authority_key_identifier_extension = true;
    validity(&mut params);
    params
}
