//! Chains built by rcgen, one test per rule and per error variant.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SignatureAlgorithm,
};
use rustls_pki_types::UnixTime;

use crate::*;

/// 2030-05-31, inside every test certificate's validity unless a test says otherwise.
const NOW: u64 = 1_906_416_000;

pub(crate) struct Ca {
    pub params: CertificateParams,
    pub key: KeyPair,
    pub der: Vec<u8>,
}

impl Ca {
    pub fn issuer(&self) -> Issuer<'_, &KeyPair> {
        Issuer::from_params(&self.params, &self.key)
    }
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = rcgen::date_time_ymd(2020, 1, 1);
    p.not_after = rcgen::date_time_ymd(2040, 1, 1);
    p
}

pub(crate) fn root_with(cn: &str, alg: &'static SignatureAlgorithm) -> Ca {
    let params = ca_params(cn);
    let key = KeyPair::generate_for(alg).unwrap();
    let der = params.self_signed(&key).unwrap().der().to_vec();
    Ca { params, key, der }
}

pub(crate) fn root(cn: &str) -> Ca {
    root_with(cn, &rcgen::PKCS_ECDSA_P256_SHA256)
}

pub(crate) fn intermediate_from(params: CertificateParams, parent: &Ca) -> Ca {
    let key = KeyPair::generate().unwrap();
    let der = params
        .signed_by(&key, &parent.issuer())
        .unwrap()
        .der()
        .to_vec();
    Ca { params, key, der }
}

pub(crate) fn intermediate(cn: &str, parent: &Ca) -> Ca {
    intermediate_from(ca_params(cn), parent)
}

pub(crate) fn leaf_params(names: &[&str]) -> CertificateParams {
    let mut p =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    p.distinguished_name
        .push(DnType::CommonName, names.first().copied().unwrap_or("leaf"));
    p.not_before = rcgen::date_time_ymd(2025, 1, 1);
    p.not_after = rcgen::date_time_ymd(2035, 1, 1);
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p
}

pub(crate) fn leaf_from(params: CertificateParams, parent: &Ca) -> (Vec<u8>, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let der = params
        .signed_by(&key, &parent.issuer())
        .unwrap()
        .der()
        .to_vec();
    (der, key)
}

pub(crate) fn leaf(names: &[&str], parent: &Ca) -> Vec<u8> {
    leaf_from(leaf_params(names), parent).0
}

pub(crate) fn opts() -> VerifyOptions {
    VerifyOptions {
        time: UnixTime::since_unix_epoch(std::time::Duration::from_secs(NOW)),
        ..VerifyOptions::default()
    }
}

pub(crate) struct Pki {
    pub root: Ca,
    pub inter: Ca,
    pub store: RootStore,
}

pub(crate) fn pki() -> Pki {
    let root = root("Test Root");
    let inter = intermediate("Test Intermediate", &root);
    let mut store = RootStore::empty();
    store.add_der(&root.der).unwrap();
    Pki { root, inter, store }
}

fn dns(s: &str) -> PeerName {
    PeerName::parse(s).unwrap()
}

#[test]
fn valid_chain() {
    let p = pki();
    let ee = leaf(&["example.com"], &p.inter);
    let chain = verify_chain(
        &ee,
        &[&p.inter.der],
        &p.store,
        Some(&dns("example.com")),
        &opts(),
    )
    .unwrap();
    assert_eq!(
        chain.certs,
        vec![ee, p.inter.der.clone(), p.root.der.clone()]
    );
    assert_eq!(chain.anchor_subject, "CN=Test Root");
}

#[test]
fn expired_leaf() {
    let p = pki();
    let mut params = leaf_params(&["example.com"]);
    params.not_before = rcgen::date_time_ymd(2021, 1, 1);
    params.not_after = rcgen::date_time_ymd(2030, 5, 29);
    let (ee, _) = leaf_from(params, &p.inter);
    let err = verify_chain(
        &ee,
        &[&p.inter.der],
        &p.store,
        Some(&dns("example.com")),
        &opts(),
    )
    .unwrap_err();
    assert!(
        matches!(err, CertError::Expired { depth: 0, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "The end-entity certificate (CN=example.com) expired on 2030-05-29 00:00:00 UTC, 2 days ago."
    );
    assert_eq!(err.tls_alert(), 45);
    assert!(err.fix().contains("Renew"));
}

#[test]
fn not_yet_valid() {
    let p = pki();
    let mut params = leaf_params(&["example.com"]);
    params.not_before = rcgen::date_time_ymd(2031, 1, 1);
    let (ee, _) = leaf_from(params, &p.inter);
    let err = verify_chain(&ee, &[&p.inter.der], &p.store, None, &opts()).unwrap_err();
    assert!(matches!(err, CertError::NotYetValid { .. }), "{err:?}");
    assert!(
        err.to_string().contains("is not valid until 2031-01-01"),
        "{err}"
    );
}

#[test]
fn wrong_name() {
    let p = pki();
    let ee = leaf(&["example.com", "www.example.com"], &p.inter);
    let err = verify_chain(
        &ee,
        &[&p.inter.der],
        &p.store,
        Some(&dns("example.org")),
        &opts(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "The certificate is not valid for example.org; it covers only example.com, www.example.com."
    );
    assert_eq!(err.tls_alert(), 42);
}

#[test]
fn wildcard_name() {
    let p = pki();
    let ee = leaf(&["*.example.com"], &p.inter);
    let o = opts();
    assert!(verify_chain(
        &ee,
        &[&p.inter.der],
        &p.store,
        Some(&dns("WWW.example.com")),
        &o
    )
    .is_ok());
    assert!(verify_chain(
        &ee,
        &[&p.inter.der],
        &p.store,
        Some(&dns("example.com")),
        &o
    )
    .is_err());
    assert!(verify_chain(
        &ee,
        &[&p.inter.der],
        &p.store,
        Some(&dns("a.b.example.com")),
        &o
    )
    .is_err());
}

#[test]
fn no_common_name_fallback() {
    let p = pki();
    let mut params = leaf_params(&[]);
    params
        .distinguished_name
        .push(DnType::CommonName, "example.com");
    let (ee, _) = leaf_from(params, &p.inter);
    let err = verify_chain(
        &ee,
        &[&p.inter.der],
        &p.store,
        Some(&dns("example.com")),
        &opts(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("its common name example.com is not used"),
        "{err}"
    );
}

#[test]
fn ip_san() {
    let p = pki();
    let ee = leaf(&["192.0.2.7", "2001:db8::1"], &p.inter);
    let o = opts();
    let v4 = PeerName::parse("192.0.2.7").unwrap();
    let v6 = PeerName::parse("2001:db8::1").unwrap();
    assert!(verify_chain(&ee, &[&p.inter.der], &p.store, Some(&v4), &o).is_ok());
    assert!(verify_chain(&ee, &[&p.inter.der], &p.store, Some(&v6), &o).is_ok());
    let other = PeerName::parse("192.0.2.8").unwrap();
    let err = verify_chain(&ee, &[&p.inter.der], &p.store, Some(&other), &o).unwrap_err();
    assert!(
        err.to_string()
            .contains("covers only 192.0.2.7, 2001:db8::1"),
        "{err}"
    );
    // An IP address is never matched against a DNS SAN spelling it out.
    let ee = leaf(&["example.com"], &p.inter);
    assert!(verify_chain(&ee, &[&p.inter.der], &p.store, Some(&v4), &o).is_err());
}

#[test]
fn unknown_ca() {
    let p = pki();
    let other = root("Other Root");
    let inter = intermediate("Other Intermediate", &other);
    let ee = leaf(&["example.com"], &inter);
    let err = verify_chain(&ee, &[&inter.der], &p.store, None, &opts()).unwrap_err();
    assert!(
        matches!(
            err,
            CertError::UnknownIssuer {
                depth: 1,
                missing_intermediate: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("was issued by CN=Other Root"),
        "{err}"
    );
    assert_eq!(err.tls_alert(), 48);
}

#[test]
fn missing_intermediate() {
    let p = pki();
    let ee = leaf(&["example.com"], &p.inter);
    let err = verify_chain(&ee, &[], &p.store, None, &opts()).unwrap_err();
    assert!(
        matches!(
            err,
            CertError::UnknownIssuer {
                depth: 0,
                missing_intermediate: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "The end-entity certificate (CN=example.com) was issued by CN=Test Intermediate, which is neither a trusted root nor among the certificates the peer sent; the peer probably left out an intermediate certificate."
    );
    assert!(err.fix().contains("full chain"));
}

#[test]
fn self_signed_leaf() {
    let p = pki();
    let mut params = leaf_params(&["example.com"]);
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, "example.com");
    let key = KeyPair::generate().unwrap();
    let ee = params.self_signed(&key).unwrap().der().to_vec();
    let err = verify_chain(&ee, &[], &p.store, None, &opts()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "The certificate for CN=example.com is self-signed and is not in the trust store."
    );
    // Trusted explicitly, it validates.
    let mut store = RootStore::empty();
    store.add_der(&ee).unwrap();
    assert!(verify_chain(&ee, &[], &store, Some(&dns("example.com")), &opts()).is_ok());
}

#[test]
fn bad_signature() {
    let p = pki();
    // Same name as the real intermediate, different key: the leaf's signature fails.
    let impostor = intermediate("Test Intermediate", &p.root);
    let ee = leaf(&["example.com"], &p.inter);
    let err = verify_chain(&ee, &[&impostor.der], &p.store, None, &opts()).unwrap_err();
    assert!(
        matches!(err, CertError::BadSignature { depth: 0, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("The signature on the end-entity certificate"),
        "{err}"
    );
    // Flip a bit of the signature itself.
    let mut tampered = leaf(&["example.com"], &p.inter);
    let n = tampered.len();
    tampered[n - 5] ^= 1;
    let err = verify_chain(&tampered, &[&p.inter.der], &p.store, None, &opts()).unwrap_err();
    assert!(matches!(err, CertError::BadSignature { .. }), "{err:?}");
}

#[test]
fn backtracks_over_candidates() {
    let p = pki();
    let impostor = intermediate("Test Intermediate", &p.root);
    let ee = leaf(&["example.com"], &p.inter);
    let chain = verify_chain(&ee, &[&impostor.der, &p.inter.der], &p.store, None, &opts()).unwrap();
    assert_eq!(chain.certs.get(1), Some(&p.inter.der));
}

#[test]
fn issuer_must_be_ca() {
    let p = pki();
    let mut params = ca_params("Not A CA");
    params.is_ca = IsCa::ExplicitNoCa;
    let not_ca = intermediate_from(params, &p.root);
    let ee = leaf(&["example.com"], &not_ca);
    let err = verify_chain(&ee, &[&not_ca.der], &p.store, None, &opts()).unwrap_err();
    assert!(
        matches!(
            err,
            CertError::ConstraintViolated {
                constraint: Constraint::NotCa,
                depth: 1,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn eku_checked() {
    let p = pki();
    let mut params = leaf_params(&["example.com"]);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let (ee, _) = leaf_from(params, &p.inter);
    let err = verify_chain(&ee, &[&p.inter.der], &p.store, None, &opts()).unwrap_err();
    assert!(
        err.to_string().contains("does not include serverAuth"),
        "{err}"
    );
    let client = VerifyOptions {
        usage: Usage::ClientAuth,
        ..opts()
    };
    assert!(verify_chain(&ee, &[&p.inter.der], &p.store, None, &client).is_ok());
}

#[test]
fn pem_store() {
    let p = pki();
    let root_pem = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        base64_lines(&p.root.der)
    );
    let mut store = RootStore::empty();
    assert_eq!(store.add_pem(root_pem.as_bytes()).unwrap(), 1);
    assert_eq!(store.len(), 1);
    assert!(matches!(
        store.add_pem(b"nothing here"),
        Err(CertError::NoCertificates)
    ));
    let err = store.add_pem_file("/nonexistent/roots.pem").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Could not read /nonexistent/roots.pem"),
        "{err}"
    );
    assert!(RootStore::mozilla().len() > 100);
}

fn base64_lines(der: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(der)
}

#[test]
fn tls13_signatures() {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{EcdsaKeyPair, Ed25519KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
    let p = pki();
    let (ee, key) = leaf_from(leaf_params(&["example.com"]), &p.inter);
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, key.serialized_der()).unwrap();
    let msg = b"TLS 1.3, server CertificateVerify\x00transcript";
    let sig = pair.sign(&SystemRandom::new(), msg).unwrap();
    verify_tls13_signature(&ee, 0x0403, msg, sig.as_ref()).unwrap();
    let err = verify_tls13_signature(&ee, 0x0403, b"other", sig.as_ref()).unwrap_err();
    assert_eq!(err.tls_alert(), 51);
    assert!(err.to_string().contains("ecdsa_secp256r1_sha256"), "{err}");
    // Wrong curve for the scheme, and PKCS#1 v1.5, are refused before any math.
    let err = verify_tls13_signature(&ee, 0x0503, msg, sig.as_ref()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "The peer signed with ecdsa_secp384r1_sha384, which TLS 1.3 does not allow for a certificate with an ECDSA P-256 key."
    );
    assert!(matches!(
        verify_tls13_signature(&ee, 0x0401, msg, sig.as_ref()),
        Err(CertError::SchemeMismatch { .. })
    ));

    let mut params = leaf_params(&["ed.example.com"]);
    params.distinguished_name.push(DnType::CommonName, "ed");
    let ed_key = KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let ee = params
        .signed_by(&ed_key, &p.inter.issuer())
        .unwrap()
        .der()
        .to_vec();
    let pair = Ed25519KeyPair::from_pkcs8(ed_key.serialized_der()).unwrap();
    let sig = pair.sign(msg);
    verify_tls13_signature(&ee, 0x0807, msg, sig.as_ref()).unwrap();
    assert!(verify_chain(&ee, &[&p.inter.der], &p.store, None, &opts()).is_ok());
}

#[test]
fn rsa_and_p384_chains() {
    let root = root_with("RSA Root", &rcgen::PKCS_RSA_SHA256);
    let mut store = RootStore::empty();
    store.add_der(&root.der).unwrap();
    let inter = intermediate("P-256 Intermediate", &root);
    let ee = leaf(&["example.com"], &inter);
    verify_chain(&ee, &[&inter.der], &store, None, &opts()).unwrap();

    let root = root_with("P-384 Root", &rcgen::PKCS_ECDSA_P384_SHA384);
    let mut store = RootStore::empty();
    store.add_der(&root.der).unwrap();
    let ee = leaf(&["example.com"], &root);
    verify_chain(&ee, &[], &store, None, &opts()).unwrap();
}

#[test]
fn malformed_input() {
    let p = pki();
    let err = verify_chain(b"\x30\x03\x02\x01\x01", &[], &p.store, None, &opts()).unwrap_err();
    assert!(
        matches!(err, CertError::Malformed { depth: Some(0), .. }),
        "{err:?}"
    );
    assert_eq!(err.tls_alert(), 42);
    assert!(verify_tls13_signature(b"", 0x0403, b"", b"").is_err());
}

/// DER tag-length-value with a definite length (X.690 §8.1.3).
fn der(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = body.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(body);
    out
}

/// An id-RSASSA-PSS key (RFC 4055 §1.2, what `openssl genpkey -algorithm RSA-PSS` makes) is
/// an RSA key like any other: x509-parser leaves it undecoded, and it used to be refused as
/// "a malformed RSA key".
#[test]
fn rsassa_pss_keys_are_rsa_keys() {
    use x509_parser::prelude::{FromDer, SubjectPublicKeyInfo};
    let key = KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let mut bits = vec![0u8];
    bits.extend_from_slice(key.public_key_raw());
    let spki = |algorithm: &[u8]| der(0x30, &[der(0x30, algorithm), der(0x03, &bits)].concat());
    // id-RSASSA-PSS without parameters (any hash), and rsaEncryption with NULL parameters.
    let pss = spki(&[0x06, 9, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 1, 10]);
    let rsa = spki(&[
        0x06, 9, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 1, 1, 0x05, 0,
    ]);
    let kind = |der: &[u8]| crate::sig::key_kind(&SubjectPublicKeyInfo::from_der(der).unwrap().1);
    assert_eq!(kind(&pss), Ok(crate::sig::KeyKind::RsaPss(2048)));
    assert_eq!(kind(&rsa), Ok(crate::sig::KeyKind::Rsa(2048)));
}
