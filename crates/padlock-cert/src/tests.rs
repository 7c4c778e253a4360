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

pub(crate) fn intermediate_from(mut params: CertificateParams, parent: &Ca) -> Ca {
    params.use_authority_key_identifier_extension = true;
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

pub(crate) fn leaf_from(mut params: CertificateParams, parent: &Ca) -> (Vec<u8>, KeyPair) {
    params.use_authority_key_identifier_extension = true;
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
    // The same error is raised for client certificates (Usage::ClientAuth), so the fix
    // must not say "the server's".
    assert_eq!(
        err.fix(),
        "Renew the certificate (or check that this machine's clock is right)."
    );
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
                missing_intermediate: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "The certificate at depth 1 (CN=Other Intermediate) was issued by CN=Other Root, which is neither a trusted root nor among the certificates the peer sent."
    );
    assert_eq!(
        err.fix(),
        "Add the root CN=Other Root to the trust store if you trust it, or use a certificate from a public CA."
    );
    assert_eq!(err.tls_alert(), 48);
}

#[test]
fn untrusted_root_sent_in_the_chain() {
    // A private CA's root, sent along with the leaf: its issuer was sent (it is itself), so
    // the sentence must not say it was missing; it names the untrusted root instead (the
    // path builder reports a self-issued dead end as SelfSignedNotTrusted).
    let p = pki();
    let other = root("Other Root");
    let ee = leaf(&["example.com"], &other);
    let err = verify_chain(&ee, &[&other.der], &p.store, None, &opts()).unwrap_err();
    assert!(
        matches!(err, CertError::SelfSignedNotTrusted { depth: 1, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "The chain ends at the self-signed root CN=Other Root, which is not in the trust store."
    );
    assert!(
        err.fix()
            .starts_with("Add CN=Other Root to the trust store"),
        "{}",
        err.fix()
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
    params.key_usages = vec![];
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
        "The server signed with ecdsa_secp384r1_sha384, which TLS 1.3 does not allow for a certificate with an ECDSA P-256 key."
    );
    assert!(matches!(
        verify_tls13_signature(&ee, 0x0401, msg, sig.as_ref()),
        Err(CertError::SchemeMismatch { .. })
    ));

    let mut params = leaf_params(&["ed.example.com"]);
    params.distinguished_name.push(DnType::CommonName, "ed");
    params.use_authority_key_identifier_extension = true;
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

/// A CertificateVerify-like message.
const CV_MESSAGE: &[u8] = b"TLS 1.3, server CertificateVerify\x00transcript";

/// A P-256 end entity under the test PKI, the chain validated for it, and its signature of
/// `message`.
fn signed_by_a_validated_leaf(message: &[u8]) -> (Pki, Vec<u8>, VerifiedChain, Vec<u8>) {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
    let p = pki();
    let (ee, key) = leaf_from(leaf_params(&["example.com"]), &p.inter);
    let chain = verify_chain(&ee, &[&p.inter.der], &p.store, None, &opts()).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, key.serialized_der()).unwrap();
    let sig = pair.sign(&SystemRandom::new(), message).unwrap();
    (p, ee, chain, sig.as_ref().to_vec())
}

/// The CertificateVerify check on a validated chain reads only the end entity's key, and
/// answers exactly as the check that parses the whole certificate.
#[test]
fn tls13_signature_on_a_verified_chain() {
    let (_, ee, chain, sig) = signed_by_a_validated_leaf(CV_MESSAGE);
    let (msg, sig) = (CV_MESSAGE, sig.as_slice());
    assert!(crate::sig::validated_spki(&ee).is_some());
    chain.verify_tls13_signature(0x0403, msg, sig).unwrap();
    for (scheme, m) in [(0x0403, &b"other"[..]), (0x0503, msg), (0x0401, msg)] {
        assert_eq!(
            chain.verify_tls13_signature(scheme, m, sig),
            verify_tls13_signature(&ee, scheme, m, sig)
        );
        assert!(chain.verify_tls13_signature(scheme, m, sig).is_err());
    }
    // The certificate's key, not the intermediate's: a chain whose end entity is the
    // intermediate refuses the end entity's signature.
    let mut other = chain.clone();
    other.certs.remove(0);
    assert!(other.verify_tls13_signature(0x0403, msg, sig).is_err());
    // Not a certificate: the full parse reports it.
    let mut junk = chain.clone();
    junk.certs[0] = b"\x30\x03\x02\x01\x01".to_vec();
    assert!(matches!(
        junk.verify_tls13_signature(0x0403, msg, sig),
        Err(CertError::Malformed { .. })
    ));
    junk.certs.clear();
    assert!(junk.verify_tls13_signature(0x0403, msg, sig).is_err());
    // On a certificate openssl made, the walk finds the key the full parse finds.
    let rsa_pss = include_bytes!("testdata/rsa-pss-cert.der");
    let spki = crate::sig::validated_spki(rsa_pss).unwrap();
    let parsed = crate::cert::Cert::parse(rsa_pss, Some(0)).unwrap();
    assert_eq!(spki.raw, parsed.x509.public_key().raw);
}

/// Through the store, the end entity's key stays parsed for the next CertificateVerify with
/// it; every signature is still checked, and the answers are those of the uncached check.
#[test]
fn end_entity_key_parsed_once_still_checks_every_signature() {
    let (p, _, chain, sig) = signed_by_a_validated_leaf(CV_MESSAGE);
    let (msg, sig) = (CV_MESSAGE, sig.as_slice());
    for _ in 0..3 {
        p.store
            .verify_tls13_signature(&chain, 0x0403, msg, sig)
            .unwrap();
        for (scheme, m) in [(0x0403, &b"other"[..]), (0x0503, msg), (0x0401, msg)] {
            assert_eq!(
                p.store.verify_tls13_signature(&chain, scheme, m, sig),
                chain.verify_tls13_signature(scheme, m, sig)
            );
        }
        let mut forged = sig.to_vec();
        if let Some(last) = forged.last_mut() {
            *last ^= 1;
        }
        assert!(matches!(
            p.store.verify_tls13_signature(&chain, 0x0403, msg, &forged),
            Err(CertError::BadCertificateVerify { scheme: 0x0403 })
        ));
    }
    // Another end entity's signature is not accepted with the cached key, and that end
    // entity's own chain gets its own key.
    let (_, _, other, other_sig) = signed_by_a_validated_leaf(CV_MESSAGE);
    assert!(p
        .store
        .verify_tls13_signature(&chain, 0x0403, msg, &other_sig)
        .is_err());
    p.store
        .verify_tls13_signature(&other, 0x0403, msg, &other_sig)
        .unwrap();
}

/// A trust anchor's key is parsed once and then serves every chain it validates; a
/// certificate with the anchor's name but another signer is still refused.
#[test]
fn anchor_key_parsed_once_still_checks_every_signature() {
    let ca = root("Cached Root");
    let mut store = RootStore::empty();
    store.add_der(&ca.der).unwrap();
    let inter = intermediate("Cached Intermediate", &ca);
    let ee = leaf(&["example.com"], &inter);
    for _ in 0..3 {
        verify_chain(&ee, &[&inter.der], &store, None, &opts()).unwrap();
    }
    let impostor = root("Cached Root");
    let forged = intermediate("Cached Intermediate", &impostor);
    let ee = leaf(&["example.com"], &forged);
    let err = verify_chain(&ee, &[&forged.der], &store, None, &opts()).unwrap_err();
    assert!(
        matches!(err, CertError::BadSignature { depth: 1, .. }),
        "{err:?}"
    );
    // RSA anchors too (their parsed key also carries the Montgomery context).
    let ca = root_with("Cached RSA Root", &rcgen::PKCS_RSA_SHA256);
    let mut store = RootStore::empty();
    store.add_der(&ca.der).unwrap();
    let ee = leaf(&["example.com"], &ca);
    for _ in 0..2 {
        verify_chain(&ee, &[], &store, None, &opts()).unwrap();
    }
    let impostor = root_with("Cached RSA Root", &rcgen::PKCS_RSA_SHA256);
    let ee = leaf(&["example.com"], &impostor);
    assert!(matches!(
        verify_chain(&ee, &[], &store, None, &opts()),
        Err(CertError::BadSignature { depth: 0, .. })
    ));
}

/// An id-RSASSA-PSS key (RFC 4055 §1.2), as `openssl genpkey -algorithm RSA-PSS` makes and
/// OpenSSL servers present: the certificate is self-signed with PSS-SHA256 and the signature
/// over the message was made by openssl with that key (PSS, SHA-256, MGF1-SHA-256, salt 32).
/// Regression: such keys were rejected as "a malformed RSA key".
#[test]
fn rsa_pss_key() {
    let cert = include_bytes!("testdata/rsa-pss-cert.der");
    let msg = include_bytes!("testdata/rsa-pss-message.bin");
    let sig = include_bytes!("testdata/rsa-pss-signature.bin");
    let parsed = crate::cert::Cert::parse(cert, Some(0)).unwrap();
    assert_eq!(
        crate::sig::key_kind(parsed.x509.public_key()),
        Ok(crate::sig::KeyKind::RsaPss(2048))
    );
    verify_tls13_signature(cert, 0x0809, msg, sig).unwrap();
    let err = verify_tls13_signature(cert, 0x0809, b"other", sig).unwrap_err();
    assert_eq!(err.tls_alert(), 51);
    // RFC 8446 §4.2.3: an id-RSASSA-PSS key signs with rsa_pss_pss_*, never rsa_pss_rsae_*.
    assert!(matches!(
        verify_tls13_signature(cert, 0x0804, msg, sig),
        Err(CertError::SchemeMismatch { .. })
    ));
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

fn custom(oid: &[u64], der: Vec<u8>, critical: bool) -> rcgen::CustomExtension {
    let mut e = rcgen::CustomExtension::from_oid_content(oid, der);
    e.set_criticality(critical);
    e
}

#[test]
fn spki_pins() {
    let p = pki();
    let ee = leaf(&["example.com"], &p.inter);
    let root_pin = SpkiPin::of_cert(&p.root.der).unwrap();
    let pinned = VerifyOptions {
        pins: vec![SpkiPin::parse(&root_pin.to_string()).unwrap()],
        ..opts()
    };
    let chain = verify_chain(&ee, &[&p.inter.der], &p.store, None, &pinned).unwrap();
    assert_eq!(chain.pins().len(), 3);
    assert_eq!(chain.pins().last(), Some(&root_pin));
    assert_eq!(chain.pins().first(), Some(&SpkiPin::of_cert(&ee).unwrap()));

    let other = SpkiPin::of_cert(&root("Elsewhere").der).unwrap();
    let wrong = VerifyOptions {
        pins: vec![other],
        ..opts()
    };
    let err = verify_chain(&ee, &[&p.inter.der], &p.store, None, &wrong).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "No certificate in the chain matches the pinned keys {other}; the chain has sha256/"
        )),
        "{text}"
    );
    assert!(text.contains(&root_pin.to_string()), "{text}");
    assert!(err.fix().contains("update the pin"));

    let err = SpkiPin::parse("sha1/AAAA").unwrap_err();
    assert_eq!(
        err.to_string(),
        "The pin \"sha1/AAAA\" is not of the form sha256/BASE64 with a 32-byte hash."
    );
    assert!(SpkiPin::parse("sha256/AAAA").is_err());
}

#[test]
fn validation_level() {
    let p = pki();
    // An intermediate that passes every policy on (anyPolicy), as public CAs' do.
    let any_policy = vec![0x30, 0x08, 0x30, 0x06, 0x06, 0x04, 0x55, 0x1d, 0x20, 0x00];
    let mut params = ca_params("Policy CA");
    params.custom_extensions = vec![custom(&[2, 5, 29, 32], any_policy, false)];
    let ca = intermediate_from(params, &p.root);
    let ee = leaf(&["example.com"], &ca);
    let chain = verify_chain(&ee, &[&ca.der], &p.store, None, &opts()).unwrap();
    assert_eq!(chain.level, ValidationLevel::Unknown);
    for (policy, want) in [
        (
            vec![0x06, 0x06, 0x67, 0x81, 0x0c, 0x01, 0x02, 0x01],
            ValidationLevel::Dv,
        ),
        (
            vec![0x06, 0x06, 0x67, 0x81, 0x0c, 0x01, 0x02, 0x02],
            ValidationLevel::Ov,
        ),
        (
            vec![0x06, 0x05, 0x67, 0x81, 0x0c, 0x01, 0x01],
            ValidationLevel::Ev,
        ),
    ] {
        let mut info = vec![0x30, policy.len() as u8];
        info.extend(policy);
        let mut seq = vec![0x30, info.len() as u8];
        seq.extend(info);
        let mut params = leaf_params(&["example.com"]);
        params.custom_extensions = vec![custom(&[2, 5, 29, 32], seq, false)];
        let (ee, _) = leaf_from(params.clone(), &ca);
        let chain = verify_chain(&ee, &[&ca.der], &p.store, None, &opts()).unwrap();
        assert_eq!(chain.level, want);
        // Under an intermediate without certificatePolicies the policy is not valid
        // through the chain (RFC 5280 §6.1.3 e), so no level is claimed.
        let (ee, _) = leaf_from(params, &p.inter);
        let chain = verify_chain(&ee, &[&p.inter.der], &p.store, None, &opts()).unwrap();
        assert_eq!(chain.level, ValidationLevel::Unknown);
    }
    assert_eq!(ValidationLevel::Ev.to_string(), "EV (extended validation)");
}

#[test]
fn require_explicit_policy() {
    let p = pki();
    // policyConstraints { requireExplicitPolicy 0 }, critical (RFC 5280 §4.2.1.11).
    let mut params = ca_params("Strict Policy CA");
    params.custom_extensions = vec![custom(
        &[2, 5, 29, 36],
        vec![0x30, 0x03, 0x80, 0x01, 0x00],
        true,
    )];
    let ca = intermediate_from(params, &p.root);
    let ee = leaf(&["example.com"], &ca);
    let err = verify_chain(&ee, &[&ca.der], &p.store, None, &opts()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "The end-entity certificate (CN=example.com) violates its certificate policies: the chain requires an explicit certificate policy (requireExplicitPolicy) and none is valid down to it."
    );
}

#[test]
fn rejection_keeps_chains() {
    let p = pki();
    let mut params = leaf_params(&["example.com"]);
    params.not_after = rcgen::date_time_ymd(2030, 1, 1);
    let (ee, _) = leaf_from(params, &p.inter);
    let junk = b"not a certificate".to_vec();
    let r = verify_chain_report(&ee, &[&junk, &p.inter.der], &p.store, None, &opts()).unwrap_err();
    assert!(matches!(r.error, CertError::Expired { .. }));
    // A Rejection reads as its error: the same sentence and fix.
    assert_eq!(r.to_string(), r.error.to_string());
    assert_eq!(r.fix(), r.error.fix());
    assert_eq!(r.presented, vec![ee.clone(), junk, p.inter.der.clone()]);
    assert_eq!(
        r.best_chain,
        vec![ee, p.inter.der.clone(), p.root.der.clone()]
    );
}

#[test]
fn aia_hint_for_missing_intermediate() {
    let p = pki();
    let url = b"http://ca.example/inter.der";
    let mut ad = vec![
        0x06,
        0x08,
        0x2b,
        0x06,
        0x01,
        0x05,
        0x05,
        0x07,
        0x30,
        0x02,
        0x86,
        url.len() as u8,
    ];
    ad.extend_from_slice(url);
    let mut aia = vec![0x30, ad.len() as u8];
    aia.extend(ad);
    let mut seq = vec![0x30, aia.len() as u8];
    seq.extend(aia);
    let mut params = leaf_params(&["example.com"]);
    params.custom_extensions = vec![custom(&[1, 3, 6, 1, 5, 5, 7, 1, 1], seq, false)];
    let (ee, _) = leaf_from(params, &p.inter);
    let err = verify_chain(&ee, &[], &p.store, None, &opts()).unwrap_err();
    assert!(err.to_string().ends_with("the peer probably left out an intermediate certificate (it is published at http://ca.example/inter.der)."), "{err}");
    assert!(err.fix().contains("http://ca.example/inter.der"));
}

#[test]
fn revoked_by_crl() {
    use rcgen::{CertificateRevocationListParams, KeyIdMethod, RevokedCertParams, SerialNumber};
    let p = pki();
    let mut params = leaf_params(&["example.com"]);
    params.serial_number = Some(SerialNumber::from_slice(&[0x0a, 0x0b]));
    let (ee, _) = leaf_from(params, &p.inter);
    let crl = CertificateRevocationListParams {
        this_update: rcgen::date_time_ymd(2030, 1, 1),
        next_update: rcgen::date_time_ymd(2031, 1, 1),
        crl_number: SerialNumber::from_slice(&[1]),
        issuing_distribution_point: None,
        revoked_certs: vec![RevokedCertParams {
            serial_number: SerialNumber::from_slice(&[0x0a, 0x0b]),
            revocation_time: rcgen::date_time_ymd(2030, 2, 3),
            reason_code: None,
            invalidity_date: None,
        }],
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(&p.inter.issuer())
    .unwrap();
    let with_crl = VerifyOptions {
        crls: vec![crl.der().to_vec()].into(),
        ..opts()
    };
    let err = verify_chain(&ee, &[&p.inter.der], &p.store, None, &with_crl).unwrap_err();
    assert_eq!(
        err.to_string(),
        "The end-entity certificate (CN=example.com, serial 0a:0b) was revoked on 2030-02-03 00:00:00 UTC."
    );
    assert_eq!(err.tls_alert(), 44);
    // Another certificate from the same CA is not affected.
    let other = leaf(&["example.com"], &p.inter);
    verify_chain(&other, &[&p.inter.der], &p.store, None, &with_crl).unwrap();
    // After its nextUpdate the CRL is stale and refused rather than trusted.
    let later = VerifyOptions {
        time: UnixTime::since_unix_epoch(std::time::Duration::from_secs(NOW + 365 * 86_400)),
        ..with_crl
    };
    let err = verify_chain(&other, &[&p.inter.der], &p.store, None, &later).unwrap_err();
    assert_eq!(
        err.to_string(),
        "A supplied CRL cannot be used: its nextUpdate (2031-01-01 00:00:00 UTC) has passed."
    );
}

#[test]
fn name_constraints() {
    use rcgen::{GeneralSubtree, NameConstraints};
    let p = pki();
    let mut params = ca_params("Constrained CA");
    params.name_constraints = Some(NameConstraints {
        permitted_subtrees: vec![GeneralSubtree::DnsName("example.com".into())],
        excluded_subtrees: vec![GeneralSubtree::DnsName("secret.example.com".into())],
    });
    let ca = intermediate_from(params, &p.root);
    let ok = leaf(&["www.example.com"], &ca);
    verify_chain(&ok, &[&ca.der], &p.store, None, &opts()).unwrap();
    let outside = leaf(&["example.org"], &ca);
    let err = verify_chain(&outside, &[&ca.der], &p.store, None, &opts()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "The end-entity certificate (CN=example.org) violates its name constraints: the DNS name example.org is outside the permitted subtrees set by CN=Constrained CA."
    );
    let excluded = leaf(&["a.secret.example.com"], &ca);
    let err = verify_chain(&excluded, &[&ca.der], &p.store, None, &opts()).unwrap_err();
    assert!(
        err.to_string()
            .contains("is in the excluded subtree DNS:secret.example.com"),
        "{err}"
    );
    // A wildcard that could stand for an excluded name is refused too.
    let wild = leaf(&["*.example.com"], &ca);
    let err = verify_chain(&wild, &[&ca.der], &p.store, None, &opts()).unwrap_err();
    assert!(
        err.to_string()
            .contains("the DNS name *.example.com is in the excluded subtree"),
        "{err}"
    );
}

#[test]
fn weak_sha1_signature() {
    let root = root_with("RSA Root", &rcgen::PKCS_RSA_SHA256);
    let mut store = RootStore::empty();
    store.add_der(&root.der).unwrap();
    let mut ee = leaf(&["example.com"], &root);
    // Rewrite sha256WithRSAEncryption (…1.1.11) to sha1WithRSAEncryption (…1.1.5) in both
    // AlgorithmIdentifiers: the OID alone must get it refused, before any signature math.
    let sha256_rsa = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
    let mut i = 0;
    while i + sha256_rsa.len() <= ee.len() {
        if ee[i..i + sha256_rsa.len()] == sha256_rsa {
            ee[i + sha256_rsa.len() - 1] = 0x05;
        }
        i += 1;
    }
    let err = verify_chain(&ee, &[], &store, None, &opts()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "The end-entity certificate (CN=example.com) uses SHA-1, which is too weak to trust."
    );
    assert_eq!(err.tls_alert(), 43);
}

#[test]
fn depth_and_budget_bounds() {
    let p = pki();
    let ee = leaf(&["example.com"], &p.inter);
    let shallow = VerifyOptions {
        max_depth: 0,
        ..opts()
    };
    let err = verify_chain(&ee, &[&p.inter.der], &p.store, None, &shallow).unwrap_err();
    assert_eq!(
        err.to_string(),
        "The chain to a trusted root would need more than 0 intermediate certificates."
    );
    let stingy = VerifyOptions {
        max_signature_checks: 1,
        ..opts()
    };
    let err = verify_chain(&ee, &[&p.inter.der], &p.store, None, &stingy).unwrap_err();
    assert!(
        matches!(
            err,
            CertError::BudgetExhausted {
                signature_checks: 1
            }
        ),
        "{err:?}"
    );
}

#[test]
fn path_length_and_key_usage() {
    let mut root_params = ca_params("Short Root");
    root_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(1));
    let key = KeyPair::generate().unwrap();
    let der = root_params.self_signed(&key).unwrap().der().to_vec();
    let short = Ca {
        params: root_params,
        key,
        der,
    };
    let mut store = RootStore::empty();
    store.add_der(&short.der).unwrap();
    let inter = intermediate("Below Short Root", &short);
    let ee = leaf(&["example.com"], &inter);
    // One CA below a pathLen 1 root is fine...
    verify_chain(&ee, &[&inter.der], &store, None, &opts()).unwrap();
    // ...but not two.
    let inter2 = intermediate("Second Level", &inter);
    let ee = leaf(&["example.com"], &inter2);
    let err = verify_chain(&ee, &[&inter.der, &inter2.der], &store, None, &opts()).unwrap_err();
    assert!(
        matches!(
            err,
            CertError::ConstraintViolated {
                constraint: Constraint::PathLength,
                depth: 3,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .ends_with("it allows 1 CA certificates below it, the chain has 2."),
        "{err}"
    );

    let p = pki();
    let mut params = ca_params("No CertSign");
    params.key_usages = vec![KeyUsagePurpose::CrlSign];
    let ca = intermediate_from(params, &p.root);
    let ee = leaf(&["example.com"], &ca);
    let err = verify_chain(&ee, &[&ca.der], &p.store, None, &opts()).unwrap_err();
    assert!(
        err.to_string().contains("does not include keyCertSign"),
        "{err}"
    );

    let mut params = leaf_params(&["example.com"]);
    params.key_usages = vec![KeyUsagePurpose::KeyEncipherment];
    let (ee, _) = leaf_from(params, &p.inter);
    let err = verify_chain(&ee, &[&p.inter.der], &p.store, None, &opts()).unwrap_err();
    assert!(
        err.to_string()
            .contains("digitalSignature, which TLS 1.3 needs"),
        "{err}"
    );
}

#[test]
fn unknown_critical_extension() {
    let p = pki();
    let mut params = leaf_params(&["example.com"]);
    params.custom_extensions = vec![custom(
        &[1, 3, 6, 1, 4, 1, 99999, 1],
        vec![0x05, 0x00],
        true,
    )];
    let (ee, _) = leaf_from(params, &p.inter);
    let err = verify_chain(&ee, &[&p.inter.der], &p.store, None, &opts()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "The end-entity certificate (CN=example.com) violates its critical extension handling: the critical extension 1.3.6.1.4.1.99999.1 is not understood."
    );
}

fn pem_der(pem: &str) -> Vec<u8> {
    use rustls_pki_types::pem::PemObject;
    rustls_pki_types::CertificateDer::from_pem_slice(pem.as_bytes())
        .unwrap()
        .as_ref()
        .to_vec()
}

#[test]
fn rsa_pss_chain_made_by_openssl() {
    // tests/data/pss-*.pem: an id-RSASSA-PSS root signing (RSA-PSS, SHA-256) an
    // rsaEncryption leaf, made with `openssl genpkey -algorithm RSA-PSS` / `openssl x509
    // -sigopt rsa_padding_mode:pss`.
    let root = pem_der(include_str!("../tests/data/pss-root.pem"));
    let ee = pem_der(include_str!("../tests/data/pss-leaf.pem"));
    let mut store = RootStore::empty();
    store.add_der(&root).unwrap();
    let chain = verify_chain(&ee, &[], &store, Some(&dns("pss.example.com")), &opts()).unwrap();
    assert_eq!(chain.anchor_subject, "CN=PSS Root");
}

#[test]
fn weak_rsa_issuer_key() {
    // tests/data/weak-*.pem: a 1024-bit RSA root signing a P-256 leaf (openssl).
    let root = pem_der(include_str!("../tests/data/weak-root.pem"));
    let ee = pem_der(include_str!("../tests/data/weak-leaf.pem"));
    let mut store = RootStore::empty();
    store.add_der(&root).unwrap();
    let err = verify_chain(&ee, &[], &store, None, &opts()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "The certificate at depth 1 (CN=Weak Root) uses a 1024-bit RSA key, which is too weak to trust."
    );
    assert!(err.fix().contains("at least 2048 bits"));
}

#[test]
fn tls13_rsa_pss_rsae() {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{RsaKeyPair, RSA_PSS_SHA256};
    let p = pki();
    let key = KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let mut params = leaf_params(&["rsa.example.com"]);
    params.use_authority_key_identifier_extension = true;
    let ee = params
        .signed_by(&key, &p.inter.issuer())
        .unwrap()
        .der()
        .to_vec();
    let pair = RsaKeyPair::from_pkcs8(key.serialized_der()).unwrap();
    let msg = b"transcript hash context";
    let mut sig = vec![0u8; pair.public_modulus_len()];
    pair.sign(&RSA_PSS_SHA256, &SystemRandom::new(), msg, &mut sig)
        .unwrap();
    verify_tls13_signature(&ee, 0x0804, msg, &sig).unwrap();
    // The same key may not claim rsa_pss_pss (its SPKI is rsaEncryption) nor PKCS#1.
    assert!(matches!(
        verify_tls13_signature(&ee, 0x0809, msg, &sig),
        Err(CertError::SchemeMismatch { .. })
    ));
    assert!(matches!(
        verify_tls13_signature(&ee, 0x0401, msg, &sig),
        Err(CertError::SchemeMismatch { .. })
    ));
    sig[10] ^= 1;
    assert_eq!(
        verify_tls13_signature(&ee, 0x0804, msg, &sig)
            .unwrap_err()
            .tls_alert(),
        51
    );
}

#[test]
fn untrusted_root_sent_by_peer() {
    let p = pki();
    let ee = leaf(&["example.com"], &p.inter);
    let err = verify_chain(
        &ee,
        &[&p.inter.der, &p.root.der],
        &RootStore::empty(),
        None,
        &opts(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "The chain ends at the self-signed root CN=Test Root, which is not in the trust store."
    );
    assert!(matches!(
        err,
        CertError::SelfSignedNotTrusted { depth: 2, .. }
    ));
    assert_eq!(err.tls_alert(), 48);
}

#[test]
fn unusable_crl() {
    use rcgen::{CertificateRevocationListParams, KeyIdMethod, SerialNumber};
    let p = pki();
    let ee = leaf(&["example.com"], &p.inter);
    // Signed by the root but claiming the intermediate's name: the signature fails.
    let impostor = Ca {
        params: p.inter.params.clone(),
        key: KeyPair::generate().unwrap(),
        der: Vec::new(),
    };
    let crl = CertificateRevocationListParams {
        this_update: rcgen::date_time_ymd(2030, 1, 1),
        next_update: rcgen::date_time_ymd(2031, 1, 1),
        crl_number: SerialNumber::from_slice(&[1]),
        issuing_distribution_point: None,
        revoked_certs: vec![],
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(&impostor.issuer())
    .unwrap();
    let with_crl = VerifyOptions {
        crls: vec![crl.der().to_vec()].into(),
        ..opts()
    };
    let err = verify_chain(&ee, &[&p.inter.der], &p.store, None, &with_crl).unwrap_err();
    assert_eq!(
        err.to_string(),
        "A supplied CRL cannot be used: its signature does not verify with the key of CN=Test Intermediate."
    );
}

#[test]
fn native_store_loads_or_says_why() {
    match RootStore::native() {
        Ok(store) => assert!(!store.is_empty()),
        Err(e) => assert!(e
            .to_string()
            .starts_with("Could not load the operating system's trusted roots")),
    }
}

/// Wire input never panics: every truncation and many single-byte corruptions of a
/// chain yield a typed error (or, for a corruption in an unsigned part, success).
#[test]
fn corrupted_input_never_panics() {
    let p = pki();
    let ee = leaf(&["example.com"], &p.inter);
    for cut in 0..ee.len() {
        let short = &ee[..cut];
        assert!(verify_chain(short, &[&p.inter.der], &p.store, None, &opts()).is_err());
        let _ = verify_tls13_signature(short, 0x0403, b"m", b"s");
    }
    for i in (0..ee.len()).step_by(3) {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut bad = ee.clone();
            bad[i] ^= flip;
            let _ = verify_chain(
                &bad,
                &[&p.inter.der],
                &p.store,
                Some(&dns("example.com")),
                &opts(),
            );
            let _ = verify_chain(&ee, &[&bad], &p.store, None, &opts());
            let _ = verify_tls13_signature(&bad, 0x0403, b"m", b"s");
        }
    }
    let mut store = RootStore::empty();
    for i in (0..p.root.der.len()).step_by(5) {
        let mut bad = p.root.der.clone();
        bad[i] ^= 0x41;
        let _ = store.add_der(&bad);
    }
    let _ = verify_chain(&ee, &[&p.inter.der], &store, None, &opts());
}

/// The Mozilla roots as the OS ships them all pass as a root program's anchors; the
/// strict policy (x509-limbo's expectations) refuses the few that predate the CABF
/// bookkeeping rules.
#[test]
fn system_bundle_as_root_program() {
    let path = "/etc/ssl/certs/ca-certificates.crt";
    let Ok(pem) = std::fs::read(path) else {
        return; // no system bundle on this machine
    };
    let count_bad = |policy| {
        let mut store = RootStore::empty();
        store.set_anchor_policy(policy);
        store.add_pem(&pem).unwrap();
        store
            .anchors_for_test()
            .filter(|a| a.facts.as_ref().is_some_and(|f| f.server.is_err()))
            .count()
    };
    assert_eq!(count_bad(AnchorPolicy::RootProgram), 0);
    // (Strictly, 8 of Debian's 144 fail today; that count moves with the bundle.)
    assert!(count_bad(AnchorPolicy::Strict) >= count_bad(AnchorPolicy::RootProgram));
}

#[test]
fn remaining_sentences() {
    let p = pki();
    let err = verify_chain(b"\x30\x03\x02\x01\x01", &[], &p.store, None, &opts()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("The end-entity certificate is malformed: X.509 parse error"),
        "{err}"
    );
    assert_eq!(
        RootStore::empty().add_pem(b"").unwrap_err().to_string(),
        "The PEM input contains no certificate."
    );
    let ee = leaf(&["example.com"], &p.inter);
    let stingy = VerifyOptions {
        max_signature_checks: 1,
        ..opts()
    };
    assert_eq!(
        verify_chain(&ee, &[&p.inter.der], &p.store, None, &stingy)
            .unwrap_err()
            .to_string(),
        "Gave up building a chain after 1 signature checks without finding a valid path."
    );
    assert_eq!(
        verify_tls13_signature(&ee, 0x0403, b"m", b"\x30\x00").unwrap_err().to_string(),
        "The server's CertificateVerify signature (ecdsa_secp256r1_sha256) does not verify with its certificate's key."
    );
    // A client's signature is called the client's, in the sentence and the fix.
    let err = verify_tls13_signature(&ee, 0x0403, b"m", b"\x30\x00").unwrap_err();
    assert_eq!(
        err.sentence_for(Usage::ClientAuth),
        "The client's CertificateVerify signature (ecdsa_secp256r1_sha256) does not verify with its certificate's key."
    );
    assert!(err
        .fix_for(Usage::ClientAuth)
        .starts_with("The client does not hold"));
    assert!(err.fix().starts_with("The server does not hold"));
    let err = verify_tls13_signature(&ee, 0x0503, b"m", b"\x30\x00").unwrap_err();
    assert!(
        err.sentence_for(Usage::ClientAuth)
            .starts_with("The client signed with"),
        "{err}"
    );
    assert!(err.fix_for(Usage::ClientAuth).contains("the client"));

    // sha224WithRSAEncryption: a real algorithm padlock does not accept.
    let root = root_with("RSA Root", &rcgen::PKCS_RSA_SHA256);
    let mut store = RootStore::empty();
    store.add_der(&root.der).unwrap();
    let mut ee = leaf(&["example.com"], &root);
    let sha256_rsa = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
    for i in 0..ee.len() - sha256_rsa.len() {
        if ee[i..i + sha256_rsa.len()] == sha256_rsa {
            ee[i + sha256_rsa.len() - 1] = 0x0e;
        }
    }
    let err = verify_chain(&ee, &[], &store, None, &opts()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "The end-entity certificate (CN=example.com) uses RSA PKCS#1 v1.5 with SHA-224, which padlock does not support."
    );
    assert_eq!(err.tls_alert(), 43);
}

/// Every variant reads as one sentence, offers a fix, and maps to an RFC 8446 §6 alert.
#[test]
fn every_variant_is_a_sentence_with_a_fix() {
    let s = || "CN=x".to_string();
    let all = vec![
        CertError::Malformed {
            what: "w".into(),
            depth: None,
        },
        CertError::Malformed {
            what: "w".into(),
            depth: Some(1),
        },
        CertError::NoCertificates,
        CertError::Io {
            path: "/p".into(),
            reason: "r".into(),
        },
        CertError::NativeStore { reason: "r".into() },
        CertError::Expired {
            subject: s(),
            depth: 1,
            not_after: 0,
            now: 86_400,
        },
        CertError::NotYetValid {
            subject: s(),
            depth: 0,
            not_before: 86_400,
            now: 0,
        },
        CertError::SelfSignedNotTrusted {
            subject: s(),
            depth: 0,
        },
        CertError::SelfSignedNotTrusted {
            subject: s(),
            depth: 2,
        },
        CertError::BadCrl { reason: "r".into() },
        CertError::UnknownIssuer {
            subject: s(),
            issuer: s(),
            depth: 0,
            missing_intermediate: true,
            ca_issuers_url: None,
        },
        CertError::NameMismatch {
            expected: "a".into(),
            covered: vec![],
            common_name: None,
        },
        CertError::WeakAlgorithm {
            subject: s(),
            depth: 0,
            what: "SHA-1".into(),
        },
        CertError::UnsupportedAlgorithm {
            subject: s(),
            depth: 0,
            what: "Ed448".into(),
        },
        CertError::BadSignature {
            subject: s(),
            issuer: s(),
            depth: 0,
        },
        CertError::ConstraintViolated {
            constraint: Constraint::Policy,
            subject: s(),
            depth: 1,
            detail: "d".into(),
        },
        CertError::PathTooLong {
            max_intermediates: 1,
        },
        CertError::BudgetExhausted {
            signature_checks: 1,
        },
        CertError::Revoked {
            subject: s(),
            depth: 0,
            serial: "01".into(),
            revoked_at: 0,
        },
        CertError::PinMismatch {
            expected: vec!["a".into()],
            present: vec![],
        },
        CertError::BadPin { pin: "p".into() },
        CertError::BadCertificateVerify { scheme: 0x0807 },
        CertError::SchemeMismatch {
            scheme: 0x9999,
            key: "an Ed25519 key".into(),
        },
    ];
    for e in all {
        let text = e.to_string();
        assert!(
            text.ends_with('.') && text.chars().next().is_some_and(char::is_uppercase),
            "{text}"
        );
        assert!(!e.fix().is_empty());
        assert!((42..=51).contains(&e.tls_alert()), "{e:?}");
    }
    assert_eq!(
        CertError::Expired {
            subject: s(),
            depth: 1,
            not_after: 0,
            now: 3 * 365 * 86_400
        }
        .to_string(),
        "The certificate at depth 1 (CN=x) expired on 1970-01-01 00:00:00 UTC, 3 years ago."
    );
}

#[test]
fn combined_stores() {
    let p = pki();
    let mut store = RootStore::mozilla();
    let public = store.len();
    store.extend(&p.store);
    assert_eq!(store.len(), public + 1);
    // Adding the same root again changes nothing.
    store.extend(&p.store);
    assert_eq!(store.len(), public + 1);
    let ee = leaf(&["example.com"], &p.inter);
    let chain = verify_chain(
        &ee,
        &[&p.inter.der],
        &store,
        Some(&dns("example.com")),
        &opts(),
    )
    .unwrap();
    assert_eq!(chain.anchor_subject, "CN=Test Root");
}

#[test]
fn p521_chain_and_tls13_scheme() {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P521_SHA512_ASN1_SIGNING};
    let root = root_with("P-521 Root", &rcgen::PKCS_ECDSA_P521_SHA512);
    let mut store = RootStore::empty();
    store.add_der(&root.der).unwrap();
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
    let mut params = leaf_params(&["p521.example.com"]);
    params.use_authority_key_identifier_extension = true;
    let ee = params
        .signed_by(&key, &root.issuer())
        .unwrap()
        .der()
        .to_vec();
    verify_chain(&ee, &[], &store, Some(&dns("p521.example.com")), &opts()).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P521_SHA512_ASN1_SIGNING, key.serialized_der()).unwrap();
    let sig = pair.sign(&SystemRandom::new(), b"msg").unwrap();
    verify_tls13_signature(&ee, 0x0603, b"msg", sig.as_ref()).unwrap();
    assert!(matches!(
        verify_tls13_signature(&ee, 0x0403, b"msg", sig.as_ref()),
        Err(CertError::SchemeMismatch { .. })
    ));
}

#[test]
fn openssl_self_signed_dev_certificates() {
    // tests/data/dev-selfsigned.pem: `openssl req -x509 ... -subj /CN=localhost -addext
    // subjectAltName=DNS:localhost,IP:127.0.0.1 -addext basicConstraints=critical,CA:FALSE`,
    // the usual development certificate, trusted directly.
    let ee = pem_der(include_str!("../tests/data/dev-selfsigned.pem"));
    let mut store = RootStore::empty();
    store.add_der(&ee).unwrap();
    verify_chain(&ee, &[], &store, Some(&dns("localhost")), &opts()).unwrap();
    verify_chain(
        &ee,
        &[],
        &store,
        Some(&PeerName::parse("127.0.0.1").unwrap()),
        &opts(),
    )
    .unwrap();
    let err = verify_chain(
        &ee,
        &[],
        &RootStore::mozilla(),
        Some(&dns("localhost")),
        &opts(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "The certificate for CN=localhost is self-signed and is not in the trust store."
    );
    // Without CA:FALSE, openssl makes a CA certificate, which may not serve as the end
    // entity, trusted or not.
    let ca = pem_der(include_str!("../tests/data/dev-selfsigned-ca.pem"));
    let mut store = RootStore::empty();
    store.add_der(&ca).unwrap();
    let err = verify_chain(&ca, &[], &store, Some(&dns("localhost")), &opts()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "The end-entity certificate (CN=localhost) violates its end-entity rules: it is a CA certificate, which cannot serve as a TLS end entity (CABF BR 7.1.2.7.8)."
    );
    assert!(err.fix().contains("basicConstraints=critical,CA:FALSE"));
}
