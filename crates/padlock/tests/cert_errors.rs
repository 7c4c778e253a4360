//! Certificate failures through real handshakes (issue 3): the padlock client against
//! `openssl s_server` (OpenSSL 3.0) presenting broken chains, and the padlock server against
//! `openssl s_client` presenting client certificates.
//!
//! Each case checks four things a person relies on: the typed error, the alert the peer
//! received (OpenSSL logs `alert number N`, RFC 8446 §6.2), the one-sentence `Display` and
//! the suggested `fix()`; and that the chain the peer presented and the best path padlock
//! built stay available on the error.
//!
//! The chains are made here: rcgen for most (leaves carry an authorityKeyIdentifier, which
//! padlock-cert requires, RFC 5280 §4.2.1.1), the openssl command line for what rcgen
//! cannot sign (SHA-1, RSA-1024). OpenSSL refuses to *serve* those two at its default
//! security level, so their s_server runs at `@SECLEVEL=0`.
//!
//! Interop tests never skip: a missing peer panics (see `common::require_tool`).

mod common;

use std::io::Read;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use padlock::alert::AlertDescription;
use padlock::padlock_cert::{
    CertError, Constraint, Crls, Rejection, RootStore, SpkiPin, Usage, ValidationLevel,
};
use padlock::pki_types::ServerName;
use padlock::verify::{ChainVerifier, ClientChainVerifier};
use padlock::{CertifiedKey, ClientConfig, Connection, Error, HandshakeInfo, ServerConfig, Stream};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CertifiedIssuer,
    CustomExtension, DnType, ExtendedKeyUsagePurpose, IsCa, KeyIdMethod, KeyPair, KeyUsagePurpose,
    RevokedCertParams, SanType, SerialNumber,
};

/// Bound on every socket read and write, so a silent peer fails the test instead of hanging it.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------------
// A private PKI per test, with the defects the test needs
// ---------------------------------------------------------------------------------------------

/// Subject names of the forged CAs, as padlock-cert prints them.
const ROOT_CN: &str = "padlock cert-errors root CA";
const INTER_CN: &str = "padlock cert-errors intermediate CA";

/// Where the forged leaves say their issuer can be fetched (AIA caIssuers).
const CA_ISSUERS_URL: &str = "http://ca.padlock.test/intermediate.der";

/// A root and an intermediate in a temporary directory, issuing leaves on demand.
struct Forge {
    dir: PathBuf,
    root: CertifiedIssuer<'static, KeyPair>,
    inter: CertifiedIssuer<'static, KeyPair>,
}

/// A leaf certificate on disk: `cert` alone, `chain` = leaf + intermediate, `key`.
struct Leaf {
    cert: PathBuf,
    chain: PathBuf,
    key: PathBuf,
    der: Vec<u8>,
}

impl Forge {
    fn new(tag: &str) -> Forge {
        use std::sync::atomic::{AtomicU32, Ordering};
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "padlock-cert-errors-{tag}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let root = CertifiedIssuer::self_signed(
            ca_params(ROOT_CN, BasicConstraints::Unconstrained),
            KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap(),
        )
        .unwrap();
        let mut inter_params = ca_params(INTER_CN, BasicConstraints::Constrained(0));
        // certificatePolicies { anyPolicy }, as public CAs' intermediates carry: without it
        // no CA/Browser Forum level survives the chain (RFC 5280 §6.1.3 e).
        inter_params.custom_extensions = vec![CustomExtension::from_oid_content(
            &[2, 5, 29, 32],
            der_seq(&der_seq(&[0x06, 0x04, 0x55, 0x1d, 0x20, 0x00])),
        )];
        let inter = CertifiedIssuer::signed_by(
            inter_params,
            KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap(),
            &root,
        )
        .unwrap();
        let forge = Forge { dir, root, inter };
        std::fs::write(forge.path("root.pem"), forge.root.pem()).unwrap();
        std::fs::write(forge.path("inter.pem"), forge.inter.pem()).unwrap();
        std::fs::write(
            forge.path("inter-key.pem"),
            forge.inter.key().serialize_pem(),
        )
        .unwrap();
        forge
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    fn root_der(&self) -> Vec<u8> {
        self.root.der().to_vec()
    }

    fn inter_der(&self) -> Vec<u8> {
        self.inter.der().to_vec()
    }

    /// A store trusting exactly this forge's root.
    fn roots(&self) -> RootStore {
        let mut roots = RootStore::empty();
        roots.add_der(&self.root_der()).unwrap();
        roots
    }

    /// A client trusting exactly this forge's root.
    fn client(&self) -> ClientConfig {
        ClientConfig::new(self.roots())
    }

    /// A server leaf for `localhost` signed by the intermediate, after `edit` changed its
    /// parameters; written as `<stem>.pem`, `<stem>-chain.pem` and `<stem>-key.pem`.
    fn leaf(&self, stem: &str, edit: impl FnOnce(&mut CertificateParams)) -> Leaf {
        let mut params = leaf_params("localhost", ExtendedKeyUsagePurpose::ServerAuth);
        params.subject_alt_names = vec![SanType::DnsName("localhost".try_into().unwrap())];
        edit(&mut params);
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let cert = params.signed_by(&key, &self.inter).unwrap();
        self.write_leaf(stem, &cert.pem(), &key.serialize_pem())
    }

    /// A client leaf (clientAuth) signed by the intermediate, after `edit`.
    fn client_leaf(&self, stem: &str, edit: impl FnOnce(&mut CertificateParams)) -> Leaf {
        let mut params = leaf_params(CLIENT_CN, ExtendedKeyUsagePurpose::ClientAuth);
        params.subject_alt_names = vec![SanType::DnsName(CLIENT_NAME.try_into().unwrap())];
        edit(&mut params);
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let cert = params.signed_by(&key, &self.inter).unwrap();
        self.write_leaf(stem, &cert.pem(), &key.serialize_pem())
    }

    /// A self-signed end-entity certificate for `localhost` (CA:FALSE), as `openssl req
    /// -x509` with the right extensions or a development tool makes.
    fn self_signed_leaf(&self, stem: &str) -> Leaf {
        let mut params = leaf_params("localhost", ExtendedKeyUsagePurpose::ServerAuth);
        params.subject_alt_names = vec![SanType::DnsName("localhost".try_into().unwrap())];
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let cert = params.self_signed(&key).unwrap();
        self.write_leaf(stem, &cert.pem(), &key.serialize_pem())
    }

    /// A server leaf for `localhost` made and signed by the openssl command line with the
    /// intermediate's key: `newkey` as `openssl req -newkey` takes it, `digest` as `x509
    /// -req` does (`-sha1`, `-sha256`).
    fn openssl_leaf(&self, stem: &str, newkey: &[&str], digest: &str) -> Leaf {
        std::fs::write(
            self.path("leaf.ext"),
            "basicConstraints = critical,CA:FALSE\n\
             keyUsage = critical,digitalSignature\n\
             extendedKeyUsage = serverAuth\n\
             subjectAltName = DNS:localhost\n\
             subjectKeyIdentifier = hash\n\
             authorityKeyIdentifier = keyid\n",
        )
        .unwrap();
        let (key, csr, cert) = (
            format!("{stem}-key.pem"),
            format!("{stem}.csr"),
            format!("{stem}.pem"),
        );
        let mut req = vec!["req", "-new", "-nodes", "-subj", "/CN=localhost", "-newkey"];
        req.extend(newkey);
        req.extend(["-keyout", &key, "-out", &csr]);
        self.openssl(&req);
        self.openssl(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "inter.pem",
            "-CAkey",
            "inter-key.pem",
            digest,
            "-days",
            "30",
            "-extfile",
            "leaf.ext",
            "-out",
            &cert,
        ]);
        let pem = std::fs::read_to_string(self.path(&cert)).unwrap();
        let key_pem = std::fs::read_to_string(self.path(&key)).unwrap();
        self.write_leaf(stem, &pem, &key_pem)
    }

    /// A current CRL from the intermediate (thisUpdate yesterday, nextUpdate in a month)
    /// revoking `serials` two days ago, written as PEM to `<stem>.pem`; with the revocation
    /// date as padlock-cert prints it.
    fn crl(&self, stem: &str, serials: &[&[u8]]) -> (PathBuf, String) {
        let (revoked_at, when) = midnight(-2);
        let crl = CertificateRevocationListParams {
            this_update: midnight(-1).0,
            next_update: midnight(30).0,
            crl_number: SerialNumber::from_slice(&[1]),
            issuing_distribution_point: None,
            revoked_certs: serials
                .iter()
                .map(|serial| RevokedCertParams {
                    serial_number: SerialNumber::from_slice(serial),
                    revocation_time: revoked_at,
                    reason_code: None,
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        }
        .signed_by(&self.inter)
        .unwrap();
        let path = self.path(&format!("{stem}.pem"));
        std::fs::write(&path, crl.pem().unwrap()).unwrap();
        (path, when)
    }

    fn openssl(&self, args: &[&str]) {
        let mut cmd = Command::new("openssl");
        cmd.current_dir(&self.dir).args(args);
        run_tool(cmd, "", DEFAULT_TIMEOUT).assert_success();
    }

    fn write_leaf(&self, stem: &str, cert_pem: &str, key_pem: &str) -> Leaf {
        let leaf = Leaf {
            cert: self.path(&format!("{stem}.pem")),
            chain: self.path(&format!("{stem}-chain.pem")),
            key: self.path(&format!("{stem}-key.pem")),
            der: pem_to_der(cert_pem),
        };
        std::fs::write(&leaf.cert, cert_pem).unwrap();
        std::fs::write(&leaf.chain, cert_pem.to_string() + &self.inter.pem()).unwrap();
        std::fs::write(&leaf.key, key_pem).unwrap();
        leaf
    }
}

impl Drop for Forge {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The client leaves' common name.
const CLIENT_CN: &str = "padlock cert-errors client";

fn ca_params(cn: &str, constraints: BasicConstraints) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.is_ca = IsCa::Ca(constraints);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.use_authority_key_identifier_extension = true;
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2049, 12, 31);
    params
}

fn leaf_params(cn: &str, eku: ExtendedKeyUsagePurpose) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![eku];
    params.use_authority_key_identifier_extension = true;
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2049, 12, 31);
    params
}

/// A DER SEQUENCE around `content` (short lengths only: these extensions are small).
fn der_seq(content: &[u8]) -> Vec<u8> {
    assert!(content.len() < 128);
    let mut out = vec![0x30, content.len() as u8];
    out.extend_from_slice(content);
    out
}

/// authorityInfoAccess with one caIssuers URI (RFC 5280 §4.2.2.1).
fn aia_ca_issuers(url: &str) -> CustomExtension {
    // id-ad-caIssuers 1.3.6.1.5.5.7.48.2, then [6] uniformResourceIdentifier.
    let mut ad = vec![0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02];
    ad.extend([0x86, url.len() as u8]);
    ad.extend_from_slice(url.as_bytes());
    CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], der_seq(&der_seq(&ad)))
}

/// certificatePolicies with the CA/Browser Forum domain-validated OID 2.23.140.1.2.1.
fn dv_policy() -> CustomExtension {
    let oid = [0x06, 0x06, 0x67, 0x81, 0x0c, 0x01, 0x02, 0x01];
    CustomExtension::from_oid_content(&[2, 5, 29, 32], der_seq(&der_seq(&oid)))
}

fn pem_to_der(pem: &str) -> Vec<u8> {
    use padlock::pki_types::pem::PemObject;
    padlock::pki_types::CertificateDer::from_pem_slice(pem.as_bytes())
        .unwrap()
        .to_vec()
}

/// Midnight UTC `days` from today (negative: in the past), as rcgen takes it; with the
/// date, as padlock-cert prints it.
fn midnight(days: i64) -> (time::OffsetDateTime, String) {
    let date = time::OffsetDateTime::now_utc().date() + time::Duration::days(days);
    let at = rcgen::date_time_ymd(date.year(), date.month() as u8, date.day());
    (at, format!("{date} 00:00:00 UTC"))
}

// ---------------------------------------------------------------------------------------------
// Peers
// ---------------------------------------------------------------------------------------------

/// `openssl s_server -tls1_3 -www` serving `leaf` (and `chain` via `-cert_chain`, if given).
fn s_server(leaf: &Leaf, chain: Option<&Path>, extra: &[&str]) -> (Peer, u16) {
    start_server(|port| {
        let mut cmd = Command::new("openssl");
        cmd.arg("s_server")
            .args(["-accept", &format!("127.0.0.1:{port}")])
            .arg("-cert")
            .arg(&leaf.cert)
            .arg("-key")
            .arg(&leaf.key)
            .args(["-tls1_3", "-www"]);
        if let Some(chain) = chain {
            cmd.arg("-cert_chain").arg(chain);
        }
        cmd.args(extra);
        cmd
    })
}

/// The padlock client for `localhost` over TCP to `port`, bounded reads and writes.
fn open(port: u16, config: ClientConfig) -> Stream<TcpStream> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    tcp.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    let name = ServerName::try_from(SERVER_NAME).unwrap();
    Stream::new(Connection::client(Arc::new(config), name).unwrap(), tcp)
}

/// Runs the handshake, which must fail with a padlock [`Error`]; returns it.
fn connect_err(port: u16, config: ClientConfig) -> Error {
    let mut tls = open(port, config);
    match tls.handshake() {
        Ok(()) => panic!("handshake succeeded: {:?}", tls.connection().info()),
        Err(e) => tls
            .connection()
            .error()
            .cloned()
            .unwrap_or_else(|| panic!("not a TLS error: {e:?}")),
    }
}

/// Runs the handshake, which must succeed; returns what it established.
fn connect_ok(port: u16, config: ClientConfig) -> HandshakeInfo {
    let mut tls = open(port, config);
    if let Err(e) = tls.handshake() {
        panic!("handshake failed: {e}");
    }
    let info = tls.connection().info().clone();
    let _ = tls.close();
    info
}

/// The checks every certificate failure gets: a typed [`Error::Certificate`], the alert
/// padlock sent and OpenSSL logged (`alert number N`), the sentence and the fix. Returns
/// the rejection for the chain checks.
fn assert_rejected<'e>(
    e: &'e Error,
    peer: &Peer,
    alert: AlertDescription,
    sentence: &str,
    fix: &str,
) -> &'e Rejection {
    peer.wait_for_output(&format!("alert number {}", alert.0), DEFAULT_TIMEOUT);
    assert_refused(e, Usage::ServerAuth, alert, sentence, fix)
}

/// The checks of [`assert_rejected`] that do not depend on the peer: the error judged a
/// certificate for `usage` and carries `alert`, `sentence` and `fix`.
fn assert_refused<'e>(
    e: &'e Error,
    usage: Usage,
    alert: AlertDescription,
    sentence: &str,
    fix: &str,
) -> &'e Rejection {
    let Error::Certificate(rejection) = e else {
        panic!("expected Error::Certificate, got {e:?}");
    };
    assert_eq!(rejection.usage, usage);
    assert_eq!(e.alert(), Some(alert), "{e:?}");
    assert_eq!(e.to_string(), sentence);
    assert_eq!(e.fix().as_deref(), Some(fix), "{e:?}");
    assert_eq!(rejection.fix(), fix);
    rejection
}

// ---------------------------------------------------------------------------------------------
// The padlock client against openssl s_server
// ---------------------------------------------------------------------------------------------

#[test]
fn expired_leaf() {
    let forge = Forge::new("expired");
    let (not_after, when) = midnight(-3);
    let leaf = forge.leaf("expired", |p| p.not_after = not_after);
    let (server, port) = s_server(&leaf, Some(&forge.path("inter.pem")), &[]);
    let e = connect_err(port, forge.client());
    let r = assert_rejected(
        &e,
        &server,
        AlertDescription::CERTIFICATE_EXPIRED,
        &format!("The end-entity certificate (CN=localhost) expired on {when}, 3 days ago."),
        "Renew the certificate (or check that this machine's clock is right).",
    );
    assert!(
        matches!(r.error, CertError::Expired { depth: 0, .. }),
        "{r:?}"
    );
    // The evidence: what the server sent, and the full path padlock found before the
    // validity check refused it.
    assert_eq!(r.presented, vec![leaf.der.clone(), forge.inter_der()]);
    assert_eq!(
        r.best_chain,
        vec![leaf.der.clone(), forge.inter_der(), forge.root_der()]
    );
}

#[test]
fn not_yet_valid_leaf() {
    let forge = Forge::new("not-yet-valid");
    let (not_before, when) = midnight(4);
    let leaf = forge.leaf("future", |p| p.not_before = not_before);
    let (server, port) = s_server(&leaf, Some(&forge.path("inter.pem")), &[]);
    let e = connect_err(port, forge.client());
    let r = assert_rejected(
        &e,
        &server,
        AlertDescription::CERTIFICATE_EXPIRED,
        &format!(
            "The end-entity certificate (CN=localhost) is not valid until {when}, 3 days from now."
        ),
        "Check this machine's clock; if it is right, wait until the certificate becomes valid or re-issue it.",
    );
    assert!(matches!(r.error, CertError::NotYetValid { depth: 0, .. }));
    assert_eq!(r.presented, vec![leaf.der.clone(), forge.inter_der()]);
    assert_eq!(r.best_chain.first(), Some(&leaf.der));
}

#[test]
fn self_signed_leaf_not_trusted() {
    let forge = Forge::new("self-signed");
    let leaf = forge.self_signed_leaf("self-signed");
    let (server, port) = s_server(&leaf, None, &[]);
    let e = connect_err(port, forge.client());
    let r = assert_rejected(
        &e,
        &server,
        AlertDescription::UNKNOWN_CA,
        "The certificate for CN=localhost is self-signed and is not in the trust store.",
        "Use a certificate from a public CA, or add this certificate to the trust store if you trust it (RootStore::add_pem_file).",
    );
    assert!(matches!(
        r.error,
        CertError::SelfSignedNotTrusted { depth: 0, .. }
    ));
    assert_eq!(r.presented, vec![leaf.der.clone()]);
    assert_eq!(r.best_chain, vec![leaf.der.clone()]);

    // What the fix says works: trusting that very certificate.
    let mut roots = RootStore::empty();
    roots.add_pem_file(&leaf.cert).unwrap();
    let info = connect_ok(port, ClientConfig::new(roots));
    assert_eq!(info.verified_chain, vec![leaf.der.clone()]);
}

#[test]
fn unknown_ca() {
    // A complete chain (leaf + intermediate) to a root the client does not trust.
    let forge = Forge::new("unknown-ca");
    let leaf = forge.leaf("leaf", |_| {});
    let (server, port) = s_server(&leaf, Some(&forge.path("inter.pem")), &[]);
    // (Another forge would not do: its root has the same name, so padlock would find the
    // signature bad rather than the issuer unknown.)
    let mut other = RootStore::empty();
    other.add_pem_file(TestPki::shared().ca_pem()).unwrap();
    let e = connect_err(port, ClientConfig::new(other));
    let r = assert_rejected(
        &e,
        &server,
        AlertDescription::UNKNOWN_CA,
        &format!(
            "The certificate at depth 1 (CN={INTER_CN}) was issued by CN={ROOT_CN}, which is neither a trusted root nor among the certificates the peer sent."
        ),
        &format!(
            "Add the root CN={ROOT_CN} to the trust store if you trust it, or use a certificate from a public CA."
        ),
    );
    assert!(matches!(
        r.error,
        CertError::UnknownIssuer {
            depth: 1,
            missing_intermediate: false,
            ..
        }
    ));
    assert_eq!(r.presented, vec![leaf.der.clone(), forge.inter_der()]);
    assert_eq!(r.best_chain, vec![leaf.der.clone(), forge.inter_der()]);
}

#[test]
fn missing_intermediate() {
    let forge = Forge::new("missing-intermediate");

    // The leaf names where its issuer is published (AIA caIssuers): padlock says where.
    let leaf = forge.leaf("aia", |p| {
        p.custom_extensions = vec![aia_ca_issuers(CA_ISSUERS_URL)]
    });
    let (server, port) = s_server(&leaf, None, &[]);
    let e = connect_err(port, forge.client());
    let r = assert_rejected(
        &e,
        &server,
        AlertDescription::UNKNOWN_CA,
        &format!(
            "The end-entity certificate (CN=localhost) was issued by CN={INTER_CN}, which is neither a trusted root nor among the certificates the peer sent; the peer probably left out an intermediate certificate (it is published at {CA_ISSUERS_URL})."
        ),
        &format!(
            "Configure the server to send its full chain; the missing intermediate is at {CA_ISSUERS_URL}."
        ),
    );
    match &r.error {
        CertError::UnknownIssuer {
            depth: 0,
            missing_intermediate: true,
            ca_issuers_url: Some(url),
            ..
        } => assert_eq!(url, CA_ISSUERS_URL),
        other => panic!("expected a missing intermediate, got {other:?}"),
    }
    assert_eq!(r.presented, vec![leaf.der.clone()]);
    assert_eq!(r.best_chain, vec![leaf.der.clone()]);

    // Without AIA, the sentence still says an intermediate seems missing.
    let leaf = forge.leaf("no-aia", |_| {});
    let (server, port) = s_server(&leaf, None, &[]);
    let e = connect_err(port, forge.client());
    assert_rejected(
        &e,
        &server,
        AlertDescription::UNKNOWN_CA,
        &format!(
            "The end-entity certificate (CN=localhost) was issued by CN={INTER_CN}, which is neither a trusted root nor among the certificates the peer sent; the peer probably left out an intermediate certificate."
        ),
        "Configure the server to send its full chain (leaf followed by intermediates), or add the issuing CA to the trust store.",
    );

    // The same leaf with its intermediate sent is fine.
    let (_server, port) = s_server(&leaf, Some(&forge.path("inter.pem")), &[]);
    let info = connect_ok(port, forge.client());
    assert_eq!(
        info.verified_chain,
        vec![leaf.der.clone(), forge.inter_der(), forge.root_der()]
    );
}

#[test]
fn name_mismatch_lists_the_names_covered() {
    let forge = Forge::new("name-mismatch");
    let leaf = forge.leaf("elsewhere", |p| {
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name
            .push(DnType::CommonName, "elsewhere.padlock.test");
        p.subject_alt_names = vec![
            SanType::DnsName("elsewhere.padlock.test".try_into().unwrap()),
            SanType::DnsName("*.elsewhere.padlock.test".try_into().unwrap()),
            SanType::IpAddress("192.0.2.7".parse().unwrap()),
        ];
    });
    let (server, port) = s_server(&leaf, Some(&forge.path("inter.pem")), &[]);
    let e = connect_err(port, forge.client());
    let r = assert_rejected(
        &e,
        &server,
        AlertDescription::BAD_CERTIFICATE,
        "The certificate is not valid for localhost; it covers only elsewhere.padlock.test, *.elsewhere.padlock.test, 192.0.2.7.",
        "Connect using a name the certificate covers, or re-issue it with localhost in subjectAltName.",
    );
    assert!(matches!(r.error, CertError::NameMismatch { .. }));
    assert_eq!(r.presented, vec![leaf.der.clone(), forge.inter_der()]);
    // The path itself was fine: the best chain reaches the root.
    assert_eq!(
        r.best_chain,
        vec![leaf.der.clone(), forge.inter_der(), forge.root_der()]
    );
}

#[test]
fn sha1_signature_is_too_weak() {
    let forge = Forge::new("sha1");
    let leaf = forge.openssl_leaf(
        "sha1",
        &["ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
        "-sha1",
    );
    let (server, port) = s_server(
        &leaf,
        Some(&forge.path("inter.pem")),
        &["-cipher", "DEFAULT:@SECLEVEL=0"],
    );
    let e = connect_err(port, forge.client());
    let r = assert_rejected(
        &e,
        &server,
        AlertDescription::UNSUPPORTED_CERTIFICATE,
        "The end-entity certificate (CN=localhost) uses SHA-1, which is too weak to trust.",
        "Re-issue the certificate with SHA-256 or better and an RSA key of at least 2048 bits (or ECDSA P-256).",
    );
    assert!(matches!(r.error, CertError::WeakAlgorithm { depth: 0, .. }));
    assert_eq!(r.presented, vec![leaf.der.clone(), forge.inter_der()]);
}

#[test]
fn rsa_1024_key_is_too_weak() {
    let forge = Forge::new("rsa1024");
    let leaf = forge.openssl_leaf("rsa1024", &["rsa:1024"], "-sha256");
    let (server, port) = s_server(
        &leaf,
        Some(&forge.path("inter.pem")),
        &["-cipher", "DEFAULT:@SECLEVEL=0"],
    );
    let e = connect_err(port, forge.client());
    let r = assert_rejected(
        &e,
        &server,
        AlertDescription::UNSUPPORTED_CERTIFICATE,
        "The end-entity certificate (CN=localhost) uses a 1024-bit RSA key, which is too weak to trust.",
        "Re-issue the certificate with SHA-256 or better and an RSA key of at least 2048 bits (or ECDSA P-256).",
    );
    assert!(matches!(r.error, CertError::WeakAlgorithm { depth: 0, .. }));
    assert_eq!(r.presented, vec![leaf.der.clone(), forge.inter_der()]);
    assert_eq!(r.best_chain.first(), Some(&leaf.der));
}

#[test]
fn pin_mismatch_lists_the_chains_pins() {
    // The TestPki chain validates; the pin is of an unrelated key.
    let pki = TestPki::shared();
    let cred = pki.server(KeyKind::EcdsaP256);
    let (server, port) = openssl_s_server(pki, KeyKind::EcdsaP256, &["-tls1_3", "-www"]);
    let other = Forge::new("pin-mismatch");
    let wrong = SpkiPin::of_cert(&other.root_der()).unwrap();
    let mut roots = RootStore::empty();
    roots.add_pem_file(&cred.ca_pem).unwrap();
    let verifier = ChainVerifier::new(Arc::new(roots)).with_pins(vec![wrong]);
    let config = ClientConfig::with_verifier(Arc::new(verifier));

    let e = connect_err(port, config);
    let pin = |der: &[u8]| SpkiPin::of_cert(der).unwrap().to_string();
    let (leaf, inter, root) = (
        pin(&cred.chain_der[0]),
        pin(&cred.chain_der[1]),
        pin(&cred.ca_der),
    );
    let r = assert_rejected(
        &e,
        &server,
        AlertDescription::CERTIFICATE_UNKNOWN,
        &format!(
            "No certificate in the chain matches the pinned keys {wrong}; the chain has {leaf}, {inter}, {root}."
        ),
        &format!("If the key change is expected, update the pin (the end-entity key is {leaf})."),
    );
    match &r.error {
        CertError::PinMismatch { expected, present } => {
            assert_eq!(expected, &[wrong.to_string()]);
            assert_eq!(present, &[leaf, inter, root]);
        }
        other => panic!("expected a pin mismatch, got {other:?}"),
    }
    let sent: Vec<Vec<u8>> = cred.chain_der.iter().map(|c| c.to_vec()).collect();
    assert_eq!(r.presented, sent);
    assert_eq!(r.best_chain, [sent, vec![cred.ca_der.to_vec()]].concat());
}

#[test]
fn pin_match_reports_chain_anchor_and_level() {
    // A domain-validated leaf under an intermediate that passes policies on (anyPolicy).
    let forge = Forge::new("pin-match");
    let leaf = forge.leaf("dv", |p| p.custom_extensions = vec![dv_policy()]);
    let (_server, port) = s_server(&leaf, Some(&forge.path("inter.pem")), &[]);
    let full = vec![leaf.der.clone(), forge.inter_der(), forge.root_der()];

    // Pinned on the intermediate's key, among one pin of an unrelated key: one match is enough.
    let unrelated = SpkiPin::of_cert(&Forge::new("pin-match-other").root_der()).unwrap();
    let pin = SpkiPin::parse(&SpkiPin::of_cert(&forge.inter_der()).unwrap().to_string()).unwrap();
    let verifier = ChainVerifier::new(Arc::new(forge.roots())).with_pins(vec![unrelated, pin]);
    assert_eq!(verifier.pins(), &[unrelated, pin]);
    let info = connect_ok(port, ClientConfig::with_verifier(Arc::new(verifier)));
    assert_eq!(info.verified_chain, full);
    assert_eq!(info.peer_certificates, full[..2].to_vec());
    assert_eq!(
        info.trust_anchor.as_deref(),
        Some(&*format!("CN={ROOT_CN}"))
    );
    assert_eq!(info.validation_level, Some(ValidationLevel::Dv));

    // Without the policy OID padlock claims no level.
    let plain = forge.leaf("plain", |_| {});
    let (_server, port) = s_server(&plain, Some(&forge.path("inter.pem")), &[]);
    let info = connect_ok(port, forge.client());
    assert_eq!(info.validation_level, Some(ValidationLevel::Unknown));
}

// ---------------------------------------------------------------------------------------------
// The padlock server against openssl s_client presenting client certificates
// ---------------------------------------------------------------------------------------------

/// A padlock server on a free loopback port for one connection; the handshake's outcome
/// comes back on the channel. After a good handshake it sends close_notify at once.
fn padlock_server_once(
    config: ServerConfig,
) -> (u16, mpsc::Receiver<Result<HandshakeInfo, Error>>) {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let config = Arc::new(config);
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let deadline = Instant::now() + DEFAULT_TIMEOUT;
        let tcp = loop {
            match listener.accept() {
                Ok((tcp, _)) => break tcp,
                Err(_) if Instant::now() < deadline => thread::sleep(Duration::from_millis(5)),
                Err(e) => panic!("no client within {DEFAULT_TIMEOUT:?}: {e}"),
            }
        };
        tcp.set_nonblocking(false).unwrap();
        tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        tcp.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        let mut tls = Stream::new(Connection::server(config).unwrap(), tcp);
        let outcome = match tls.handshake() {
            Ok(()) => {
                let info = tls.connection().info().clone();
                let _ = tls.close();
                Ok(info)
            }
            Err(e) => Err(tls
                .connection()
                .error()
                .cloned()
                .unwrap_or_else(|| panic!("not a TLS error: {e:?}"))),
        };
        // Let the client read our last records (the alert) before the socket goes away.
        let tcp = tls.get_mut();
        let _ = tcp.shutdown(Shutdown::Write);
        let _ = tcp.set_read_timeout(Some(Duration::from_secs(2)));
        let mut sink = [0u8; 4096];
        while matches!(tcp.read(&mut sink), Ok(n) if n > 0) {}
        let _ = tx.send(outcome);
    });
    (port, rx)
}

/// A padlock server with the TestPki ECDSA credential, requiring client certificates that
/// chain to `roots`.
fn mtls_server(roots: RootStore) -> ServerConfig {
    mtls_server_with(ClientChainVerifier::required(Arc::new(roots)))
}

/// A padlock server with the TestPki ECDSA credential, judging client certificates with
/// `verifier`.
fn mtls_server_with(verifier: ClientChainVerifier) -> ServerConfig {
    let cred = TestPki::shared().server(KeyKind::EcdsaP256);
    let mut config = ServerConfig::with_single_cert(
        CertifiedKey::from_pem_files(&cred.chain_pem, &cred.key_pem).unwrap(),
    )
    .unwrap();
    config.client_verifier = Some(Arc::new(verifier));
    config
}

/// The checks of [`assert_rejected`] for a client certificate the padlock server refused,
/// with the alert as `openssl s_client` reported it.
fn assert_client_rejected<'e>(
    e: &'e Error,
    run: &ToolRun,
    alert: AlertDescription,
    sentence: &str,
    fix: &str,
) -> &'e Rejection {
    let logged = format!("alert number {}", alert.0);
    assert!(run.output.contains(&logged), "{}", run.output);
    assert_refused(e, Usage::ClientAuth, alert, sentence, fix)
}

/// `openssl s_client` presenting `cert` + `chain` with `key`; `-ign_eof` keeps it reading
/// after the handshake, so that it prints the alert the server sends about its certificate
/// (in TLS 1.3 that arrives after the client has finished its side of the handshake).
fn s_client_with_cert(port: u16, cert: &Path, chain: &Path, key: &Path) -> ToolRun {
    let pki = TestPki::shared();
    let verify = openssl_verify_args(pki, KeyKind::EcdsaP256);
    let mut args: Vec<&str> = verify.iter().map(String::as_str).collect();
    let (cert, chain, key) = (
        cert.display().to_string(),
        chain.display().to_string(),
        key.display().to_string(),
    );
    args.extend([
        "-tls1_3",
        "-ign_eof",
        "-cert",
        &cert,
        "-cert_chain",
        &chain,
        "-key",
        &key,
    ]);
    openssl_s_client(port, &args)
}

fn outcome(rx: &mpsc::Receiver<Result<HandshakeInfo, Error>>) -> Result<HandshakeInfo, Error> {
    rx.recv_timeout(DEFAULT_TIMEOUT)
        .expect("the padlock server finished no handshake")
}

#[test]
fn server_accepts_testpki_client_certificate() {
    let pki = TestPki::shared();
    let client = pki.client(KeyKind::EcdsaP256);
    let mut roots = RootStore::empty();
    roots.add_pem_file(&client.ca_pem).unwrap();
    let (port, rx) = padlock_server_once(mtls_server(roots));
    let run = s_client_with_cert(
        port,
        &client.cert_pem,
        &client.intermediate_pem,
        &client.key_pem,
    );
    let info = outcome(&rx).unwrap_or_else(|e| panic!("{e}\n{}", run.output));
    assert!(info.client_authenticated);
    let sent: Vec<Vec<u8>> = client.chain_der.iter().map(|c| c.to_vec()).collect();
    assert_eq!(info.peer_certificates, sent);
    assert_eq!(
        info.verified_chain,
        [sent, vec![client.ca_der.to_vec()]].concat()
    );
    assert_eq!(
        info.trust_anchor.as_deref(),
        Some("CN=padlock test root CA")
    );
}

#[test]
fn server_refuses_a_server_certificate_as_client_certificate() {
    // The TestPki server leaf allows serverAuth only (RFC 5280 §4.2.1.12).
    let pki = TestPki::shared();
    let cred = pki.server(KeyKind::EcdsaP256);
    let mut roots = RootStore::empty();
    roots.add_pem_file(&cred.ca_pem).unwrap();
    let (port, rx) = padlock_server_once(mtls_server(roots));
    let run = s_client_with_cert(port, &cred.cert_pem, &cred.intermediate_pem, &cred.key_pem);
    let e = outcome(&rx).expect_err("a serverAuth-only certificate was accepted");
    let Error::Certificate(r) = &e else {
        panic!("expected Error::Certificate, got {e:?}");
    };
    assert!(
        matches!(
            r.error,
            CertError::ConstraintViolated {
                constraint: Constraint::ExtendedKeyUsage,
                depth: 0,
                ..
            }
        ),
        "{e:?}"
    );
    assert_client_rejected(
        &e,
        &run,
        AlertDescription::BAD_CERTIFICATE,
        "The client's certificate (CN=localhost) violates its extended key usage: its extended key usage does not include clientAuth.",
        "Re-issue the client certificate with the clientAuth extended key usage.",
    );
}

#[test]
fn server_refuses_expired_client_certificate() {
    let forge = Forge::new("client-expired");
    let (not_after, when) = midnight(-3);
    let client = forge.client_leaf("client", |p| p.not_after = not_after);
    let (port, rx) = padlock_server_once(mtls_server(forge.roots()));
    let run = s_client_with_cert(port, &client.cert, &forge.path("inter.pem"), &client.key);
    let e = outcome(&rx).expect_err("an expired client certificate was accepted");
    let r = assert_client_rejected(
        &e,
        &run,
        AlertDescription::CERTIFICATE_EXPIRED,
        &format!("The client's certificate (CN={CLIENT_CN}) expired on {when}, 3 days ago."),
        "Renew the client certificate (or check that this machine's clock is right).",
    );
    assert!(
        matches!(r.error, CertError::Expired { depth: 0, .. }),
        "{e:?}"
    );
    assert_eq!(r.presented, vec![client.der.clone(), forge.inter_der()]);
    assert_eq!(
        r.best_chain,
        vec![client.der.clone(), forge.inter_der(), forge.root_der()]
    );
    // OpenSSL's client reports the alert the padlock server sent: 45 is certificate_expired.
    assert!(
        run.output.contains("alert certificate expired"),
        "{}",
        run.output
    );
}

#[test]
fn server_refuses_client_certificate_from_unknown_ca() {
    // A complete client chain to a root the server does not trust.
    let forge = Forge::new("client-unknown-ca");
    let client = forge.client_leaf("client", |_| {});
    let mut other = RootStore::empty();
    other.add_pem_file(TestPki::shared().ca_pem()).unwrap();
    let (port, rx) = padlock_server_once(mtls_server(other));
    let run = s_client_with_cert(port, &client.cert, &forge.path("inter.pem"), &client.key);
    let e = outcome(&rx).expect_err("a client certificate from an unknown CA was accepted");
    let r = assert_client_rejected(
        &e,
        &run,
        AlertDescription::UNKNOWN_CA,
        &format!(
            "The certificate at depth 1 of the client's chain (CN={INTER_CN}) was issued by CN={ROOT_CN}, which is neither a trusted root nor among the certificates the client sent."
        ),
        &format!(
            "Add the root CN={ROOT_CN} to the server's client CAs if you trust it, or issue the client a certificate from a CA the server trusts."
        ),
    );
    assert!(matches!(r.error, CertError::UnknownIssuer { depth: 1, .. }));
    assert_eq!(r.presented, vec![client.der.clone(), forge.inter_der()]);
}

#[test]
fn server_pins_client_certificates() {
    let forge = Forge::new("client-pins");
    let client = forge.client_leaf("client", |_| {});
    let pin = |der: &[u8]| SpkiPin::of_cert(der).unwrap();
    let wrong = pin(&Forge::new("client-pins-other").root_der());
    let verifier = ClientChainVerifier::required(Arc::new(forge.roots())).with_pins(vec![wrong]);

    // Pinned on an unrelated key: refused, and the sentence lists the client chain's pins.
    let (port, rx) = padlock_server_once(mtls_server_with(verifier.clone()));
    let run = s_client_with_cert(port, &client.cert, &forge.path("inter.pem"), &client.key);
    let e = outcome(&rx).expect_err("a client certificate off the pins was accepted");
    let (leaf, inter, root) = (
        pin(&client.der),
        pin(&forge.inter_der()),
        pin(&forge.root_der()),
    );
    let r = assert_client_rejected(
        &e,
        &run,
        AlertDescription::CERTIFICATE_UNKNOWN,
        &format!(
            "No certificate in the client's chain matches the pinned keys {wrong}; the chain has {leaf}, {inter}, {root}."
        ),
        &format!(
            "If the client's key change is expected, update the pin (the client certificate's key is {leaf})."
        ),
    );
    match &r.error {
        CertError::PinMismatch { expected, present } => {
            assert_eq!(expected, &[wrong.to_string()]);
            assert_eq!(
                present,
                &[leaf.to_string(), inter.to_string(), root.to_string()]
            );
        }
        other => panic!("expected a pin mismatch, got {other:?}"),
    }

    // Pinned on the client's own key (beside the unrelated pin): accepted.
    let verifier = verifier.with_pins(vec![wrong, leaf]);
    assert_eq!(verifier.pins(), &[wrong, leaf]);
    let (port, rx) = padlock_server_once(mtls_server_with(verifier));
    let run = s_client_with_cert(port, &client.cert, &forge.path("inter.pem"), &client.key);
    let info = outcome(&rx).unwrap_or_else(|e| panic!("{e}\n{}", run.output));
    assert!(info.client_authenticated);
    assert_eq!(
        info.verified_chain,
        vec![client.der.clone(), forge.inter_der(), forge.root_der()]
    );
}

// ---------------------------------------------------------------------------------------------
// Revocation by CRL, both roles
// ---------------------------------------------------------------------------------------------

/// Serial numbers of the revoked and of the good leaves (rcgen picks random ones otherwise).
const REVOKED_SERIAL: &[u8] = &[0x0a, 0x0b, 0x0c];
const GOOD_SERIAL: &[u8] = &[0x0d];

/// Two leaves for `usage` (server or client ones), the first with [`REVOKED_SERIAL`], the
/// second with [`GOOD_SERIAL`]; and a current CRL revoking the first, with its date.
fn revocation_case(forge: &Forge, usage: Usage) -> (Leaf, Leaf, PathBuf, String) {
    let make = |stem: &str, serial: &[u8]| {
        let serial =
            |p: &mut CertificateParams| p.serial_number = Some(SerialNumber::from_slice(serial));
        match usage {
            Usage::ServerAuth => forge.leaf(stem, serial),
            _ => forge.client_leaf(stem, serial),
        }
    };
    let (revoked, good) = (make("revoked", REVOKED_SERIAL), make("good", GOOD_SERIAL));
    let (crl, when) = forge.crl("crl", &[REVOKED_SERIAL]);
    (revoked, good, crl, when)
}

#[test]
fn revoked_server_certificate() {
    let forge = Forge::new("crl-server");
    let (revoked, good, crl_file, when) = revocation_case(&forge, Usage::ServerAuth);
    let crls = Crls::from_file(&crl_file).unwrap();
    let config = || {
        let verifier = ChainVerifier::new(Arc::new(forge.roots())).with_crls(crls.clone());
        assert_eq!(verifier.crls().len(), 1);
        ClientConfig::with_verifier(Arc::new(verifier))
    };

    let (server, port) = s_server(&revoked, Some(&forge.path("inter.pem")), &[]);
    let e = connect_err(port, config());
    let r = assert_rejected(
        &e,
        &server,
        AlertDescription::CERTIFICATE_REVOKED,
        &format!(
            "The end-entity certificate (CN=localhost, serial 0a:0b:0c) was revoked on {when}."
        ),
        "The certificate was withdrawn by its CA: replace it with a new one.",
    );
    assert_eq!(r.usage, Usage::ServerAuth);
    assert!(matches!(r.error, CertError::Revoked { depth: 0, .. }));
    assert_eq!(r.presented, vec![revoked.der.clone(), forge.inter_der()]);

    // The same CRLs let another certificate of that CA through; without CRLs, the revoked
    // one passes (padlock does not fetch CRLs itself).
    let (_server, port) = s_server(&good, Some(&forge.path("inter.pem")), &[]);
    connect_ok(port, config());
    let (_server, port) = s_server(&revoked, Some(&forge.path("inter.pem")), &[]);
    connect_ok(port, forge.client());
}

#[test]
fn stale_crl_is_refused_rather_than_trusted() {
    let forge = Forge::new("crl-stale");
    let good = forge.leaf("good", |_| {});
    // A CRL whose nextUpdate passed yesterday.
    let crl = CertificateRevocationListParams {
        this_update: midnight(-10).0,
        next_update: midnight(-1).0,
        crl_number: SerialNumber::from_slice(&[2]),
        issuing_distribution_point: None,
        revoked_certs: Vec::new(),
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(&forge.inter)
    .unwrap();
    let mut crls = Crls::empty();
    crls.add_der(crl.der()).unwrap();
    let verifier = ChainVerifier::new(Arc::new(forge.roots())).with_crls(crls);
    let (server, port) = s_server(&good, Some(&forge.path("inter.pem")), &[]);
    let e = connect_err(port, ClientConfig::with_verifier(Arc::new(verifier)));
    let (_, yesterday) = midnight(-1);
    let r = assert_rejected(
        &e,
        &server,
        AlertDescription::CERTIFICATE_UNKNOWN,
        &format!("A supplied CRL cannot be used: its nextUpdate ({yesterday}) has passed."),
        "Supply the issuing CA's current CRL, as published by the CA.",
    );
    assert!(matches!(r.error, CertError::BadCrl { .. }));
}

#[test]
fn server_refuses_revoked_client_certificate() {
    let forge = Forge::new("crl-client");
    let (revoked, good, crl_file, when) = revocation_case(&forge, Usage::ClientAuth);
    let verifier = ClientChainVerifier::required(Arc::new(forge.roots()))
        .with_crls(Crls::from_file(&crl_file).unwrap());

    let (port, rx) = padlock_server_once(mtls_server_with(verifier.clone()));
    let run = s_client_with_cert(port, &revoked.cert, &forge.path("inter.pem"), &revoked.key);
    let e = outcome(&rx).expect_err("a revoked client certificate was accepted");
    let r = assert_client_rejected(
        &e,
        &run,
        AlertDescription::CERTIFICATE_REVOKED,
        &format!(
            "The client's certificate (CN={CLIENT_CN}, serial 0a:0b:0c) was revoked on {when}."
        ),
        "The client certificate was withdrawn by its CA: issue the client a new one.",
    );
    assert!(matches!(r.error, CertError::Revoked { depth: 0, .. }));
    assert!(
        run.output.contains("alert certificate revoked"),
        "{}",
        run.output
    );

    // Another client of the same CA is let in.
    let (port, rx) = padlock_server_once(mtls_server_with(verifier));
    let run = s_client_with_cert(port, &good.cert, &forge.path("inter.pem"), &good.key);
    let info = outcome(&rx).unwrap_or_else(|e| panic!("{e}\n{}", run.output));
    assert!(info.client_authenticated);
}
