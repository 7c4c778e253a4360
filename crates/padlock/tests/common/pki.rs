//! A throwaway PKI on disk for interop tests: root CA -> intermediate -> leaf, for every key
//! type a TLS 1.3 server may hold (RFC 8446 §4.2.3), as PEM files real peers load and as DER.
//!
//! The rcgen chain (ECDSA P-256 root and intermediate) issues ECDSA P-256/P-384, RSA-2048 and
//! Ed25519 leaves. RSA-PSS is made with the openssl command line instead: its key carries the
//! id-RSASSA-PSS OID, so the CertificateVerify must use rsa_pss_pss_* (RFC 8446 §4.2.3), and
//! every certificate in that chain is PSS-signed too.

use std::fs;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, CertifiedIssuer, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, RsaKeySize, SanType,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::process::{run_tool, DEFAULT_TIMEOUT};

/// The key type of a leaf certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// ECDSA on secp256r1.
    EcdsaP256,
    /// ECDSA on secp384r1.
    EcdsaP384,
    /// RSA-2048 with the rsaEncryption OID (rsa_pss_rsae_* in TLS 1.3).
    Rsa2048,
    /// Ed25519.
    Ed25519,
    /// RSA-2048 with the id-RSASSA-PSS OID (rsa_pss_pss_* in TLS 1.3), openssl-made chain.
    RsaPss,
}

impl KeyKind {
    /// Every kind.
    pub const ALL: [KeyKind; 5] = [
        KeyKind::EcdsaP256,
        KeyKind::EcdsaP384,
        KeyKind::Rsa2048,
        KeyKind::Ed25519,
        KeyKind::RsaPss,
    ];

    /// The file-name stem: `ecdsa-p256`, `ecdsa-p384`, `rsa2048`, `ed25519`, `rsa-pss`.
    pub fn name(self) -> &'static str {
        match self {
            KeyKind::EcdsaP256 => "ecdsa-p256",
            KeyKind::EcdsaP384 => "ecdsa-p384",
            KeyKind::Rsa2048 => "rsa2048",
            KeyKind::Ed25519 => "ed25519",
            KeyKind::RsaPss => "rsa-pss",
        }
    }

    /// The SignatureScheme a TLS 1.3 CertificateVerify made with this key uses by default
    /// (RFC 8446 §4.2.3 names).
    pub fn default_scheme(self) -> &'static str {
        match self {
            KeyKind::EcdsaP256 => "ecdsa_secp256r1_sha256",
            KeyKind::EcdsaP384 => "ecdsa_secp384r1_sha384",
            KeyKind::Rsa2048 => "rsa_pss_rsae_sha256",
            KeyKind::Ed25519 => "ed25519",
            KeyKind::RsaPss => "rsa_pss_pss_sha256",
        }
    }
}

/// One leaf certificate with its chain and key, as files and as DER.
pub struct Credential {
    /// The key type.
    pub kind: KeyKind,
    /// The leaf certificate alone (`<kind>-cert.pem`).
    pub cert_pem: PathBuf,
    /// Leaf then intermediate (`<kind>-chain.pem`): what a server sends.
    pub chain_pem: PathBuf,
    /// The intermediate alone, for peers that take the chain separately (`-cert_chain`).
    pub intermediate_pem: PathBuf,
    /// The root that anchors this chain (`ca.pem`, or `rsa-pss-ca.pem` for RSA-PSS).
    pub ca_pem: PathBuf,
    /// The private key as PKCS#8 (`<kind>-key.pem`).
    pub key_pem: PathBuf,
    /// The same EC key as SEC1 `EC PRIVATE KEY` (ECDSA kinds only).
    pub key_sec1_pem: Option<PathBuf>,
    /// The same RSA key as PKCS#1 `RSA PRIVATE KEY` (`Rsa2048` only).
    pub key_pkcs1_pem: Option<PathBuf>,
    /// An unrelated Ed25519 key in PKCS#8 v2 form (RFC 5958, public key included), for
    /// key-loading tests (`Ed25519` only; not the key of this certificate).
    pub key_pkcs8v2_pem: Option<PathBuf>,
    /// Leaf then intermediate, DER.
    pub chain_der: Vec<CertificateDer<'static>>,
    /// The root, DER.
    pub ca_der: CertificateDer<'static>,
    /// The PKCS#8 private key, DER.
    pub key_pkcs8_der: Vec<u8>,
}

impl Credential {
    /// The private key in the form padlock's loaders take.
    pub fn private_key(&self) -> PrivateKeyDer<'static> {
        PrivatePkcs8KeyDer::from(self.key_pkcs8_der.clone()).into()
    }

    /// The leaf certificate, DER.
    pub fn leaf_der(&self) -> &CertificateDer<'static> {
        &self.chain_der[0]
    }
}

/// The generated PKI in a fresh temporary directory, removed on drop.
pub struct TestPki {
    dir: PathBuf,
    servers: Vec<Credential>,
    clients: Vec<Credential>,
}

/// DNS name every server leaf carries (plus IP 127.0.0.1 and ::1).
pub const SERVER_NAME: &str = "localhost";
/// DNS name every client leaf carries.
pub const CLIENT_NAME: &str = "client.padlock.test";

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Temporary directories are `padlock-pki-<pid>-<counter>-<nanos>`.
const DIR_PREFIX: &str = "padlock-pki-";

impl TestPki {
    /// Generates everything; panics (with the openssl output) on any failure.
    pub fn new() -> TestPki {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "{DIR_PREFIX}{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&dir).unwrap();
        // Own the directory before generating, so a panic below still cleans it up.
        let mut pki = TestPki {
            dir,
            servers: Vec::new(),
            clients: Vec::new(),
        };
        pki.generate_rcgen();
        pki.generate_rsa_pss();
        pki.write_all_roots();
        pki
    }

    /// One PKI per test binary, generated on first use (about a second of key generation that
    /// every test would otherwise repeat). Tests must not modify its files. Statics are never
    /// dropped, so each call site sweeps the directories of test processes that have ended.
    pub fn shared() -> &'static TestPki {
        static SHARED: OnceLock<TestPki> = OnceLock::new();
        SHARED.get_or_init(|| {
            sweep_dead_process_dirs();
            TestPki::new()
        })
    }

    /// The directory holding every file.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A path inside [`TestPki::dir`].
    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    /// The rcgen root (`ca.pem`), which anchors every kind except RSA-PSS.
    pub fn ca_pem(&self) -> PathBuf {
        self.path("ca.pem")
    }

    /// Both roots in one file (`all-ca.pem`), for a client that should accept any kind.
    pub fn all_ca_pem(&self) -> PathBuf {
        self.path("all-ca.pem")
    }

    /// The server credential (serverAuth; `localhost`, 127.0.0.1, ::1) of `kind`.
    pub fn server(&self, kind: KeyKind) -> &Credential {
        find(&self.servers, kind)
    }

    /// The client credential (clientAuth; `client.padlock.test`) of `kind`.
    pub fn client(&self, kind: KeyKind) -> &Credential {
        find(&self.clients, kind)
    }

    fn generate_rcgen(&mut self) {
        let root_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let root = CertifiedIssuer::self_signed(
            ca_params("padlock test root CA", BasicConstraints::Unconstrained),
            root_key,
        )
        .unwrap();
        let int_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let intermediate = CertifiedIssuer::signed_by(
            ca_params(
                "padlock test intermediate CA",
                BasicConstraints::Constrained(0),
            ),
            int_key,
            &*root,
        )
        .unwrap();
        fs::write(self.path("ca.pem"), root.pem()).unwrap();
        fs::write(self.path("intermediate.pem"), intermediate.pem()).unwrap();

        for kind in [
            KeyKind::EcdsaP256,
            KeyKind::EcdsaP384,
            KeyKind::Rsa2048,
            KeyKind::Ed25519,
        ] {
            for role in [Role::Server, Role::Client] {
                let key = generate_key(kind);
                let cert = leaf_params(kind, role)
                    .signed_by(&key, &*intermediate)
                    .unwrap();
                let stem = role.stem(kind);
                let cert_pem = self.path(&format!("{stem}-cert.pem"));
                let chain_pem = self.path(&format!("{stem}-chain.pem"));
                let key_pem = self.path(&format!("{stem}-key.pem"));
                fs::write(&cert_pem, cert.pem()).unwrap();
                fs::write(&chain_pem, cert.pem() + &intermediate.pem()).unwrap();
                fs::write(&key_pem, key.serialize_pem()).unwrap();
                let credential = self.credential(
                    kind,
                    stem,
                    self.path("intermediate.pem"),
                    self.path("ca.pem"),
                );
                role.push(self, credential);
            }
        }
    }

    /// The RSA-PSS chain, entirely through the openssl command line (rcgen cannot make
    /// id-RSASSA-PSS keys).
    fn generate_rsa_pss(&mut self) {
        fs::write(self.path("openssl.cnf"), OPENSSL_CNF).unwrap();
        let kind = KeyKind::RsaPss;
        self.openssl(
            &["genpkey", "-algorithm", "RSA-PSS", "-quiet"],
            "rsa-pss-ca-key.pem",
        );
        self.openssl_sign(
            &["req", "-x509", "-new", "-key", "rsa-pss-ca-key.pem"],
            "/CN=padlock test RSA-PSS root CA",
            "v3_root",
            "rsa-pss-ca.pem",
        );
        self.openssl(
            &["genpkey", "-algorithm", "RSA-PSS", "-quiet"],
            "rsa-pss-int-key.pem",
        );
        self.issue(
            "rsa-pss-int-key.pem",
            "/CN=padlock test RSA-PSS intermediate CA",
            ("rsa-pss-ca.pem", "rsa-pss-ca-key.pem"),
            "v3_intermediate",
            "rsa-pss-intermediate.pem",
        );
        for role in [Role::Server, Role::Client] {
            let stem = role.stem(kind);
            let key = format!("{stem}-key.pem");
            let cert = format!("{stem}-cert.pem");
            self.openssl(&["genpkey", "-algorithm", "RSA-PSS", "-quiet"], &key);
            let (subject, section) = match role {
                Role::Server => ("/CN=localhost", "v3_server"),
                Role::Client => ("/CN=padlock test client rsa-pss", "v3_client"),
            };
            self.issue(
                &key,
                subject,
                ("rsa-pss-intermediate.pem", "rsa-pss-int-key.pem"),
                section,
                &cert,
            );
            let chain = fs::read_to_string(self.path(&cert)).unwrap()
                + &fs::read_to_string(self.path("rsa-pss-intermediate.pem")).unwrap();
            fs::write(self.path(&format!("{stem}-chain.pem")), chain).unwrap();
            let credential = self.credential(
                kind,
                stem,
                self.path("rsa-pss-intermediate.pem"),
                self.path("rsa-pss-ca.pem"),
            );
            role.push(self, credential);
        }
    }

    /// Issues a certificate for the key in `key_file`, signed by `(ca_cert, ca_key)`.
    fn issue(
        &self,
        key_file: &str,
        subject: &str,
        (ca_cert, ca_key): (&str, &str),
        section: &str,
        out: &str,
    ) {
        let csr = format!("{out}.csr");
        self.openssl(
            &[
                "req",
                "-new",
                "-config",
                "openssl.cnf",
                "-key",
                key_file,
                "-subj",
                subject,
            ],
            &csr,
        );
        let serial = format!(
            "0x{:x}",
            0x1000_0000u32 + COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        self.openssl_sign(
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                ca_cert,
                "-CAkey",
                ca_key,
                "-set_serial",
                &serial,
                "-extfile",
                "openssl.cnf",
            ],
            "",
            section,
            out,
        );
    }

    /// Runs an openssl signing command with PSS parameters every verifier accepts
    /// (SHA-256, MGF1-SHA-256, salt = hash length, as RFC 8446 §4.2.3 requires of TLS).
    fn openssl_sign(&self, args: &[&str], subject: &str, section: &str, out: &str) {
        let mut all: Vec<&str> = args.to_vec();
        if !subject.is_empty() {
            all.extend(["-config", "openssl.cnf", "-subj", subject]);
        }
        all.extend(["-extensions", section, "-days", "3650", "-sha256"]);
        all.extend(RSA_PSS_SIGOPTS);
        self.openssl(&all, out);
    }

    /// Runs `openssl args... -out out` in the PKI directory; panics with its output on failure.
    fn openssl(&self, args: &[&str], out: &str) {
        let mut cmd = Command::new("openssl");
        cmd.current_dir(&self.dir).args(args).args(["-out", out]);
        run_tool(cmd, "", DEFAULT_TIMEOUT).assert_success();
    }

    /// Writes the SEC1 / PKCS#1 variants of the key (where they exist) and reads every file
    /// of `stem` back as DER.
    fn credential(
        &self,
        kind: KeyKind,
        stem: String,
        intermediate: PathBuf,
        ca: PathBuf,
    ) -> Credential {
        let key_pem = self.path(&format!("{stem}-key.pem"));
        let key_file = format!("{stem}-key.pem");
        let (key_sec1_pem, key_pkcs1_pem) = match kind {
            KeyKind::EcdsaP256 | KeyKind::EcdsaP384 => {
                let out = format!("{stem}-key-sec1.pem");
                self.openssl(&["ec", "-in", &key_file], &out);
                (Some(self.path(&out)), None)
            }
            KeyKind::Rsa2048 => {
                let out = format!("{stem}-key-pkcs1.pem");
                self.openssl(&["rsa", "-traditional", "-in", &key_file], &out);
                (None, Some(self.path(&out)))
            }
            KeyKind::Ed25519 | KeyKind::RsaPss => (None, None),
        };
        let key_pkcs8v2_pem = (kind == KeyKind::Ed25519).then(|| {
            // Same idea as the SEC1/PKCS#1 variants: the v2 encoding of an Ed25519 key, for
            // loaders that must accept both (its own key; nothing signs with it).
            let v2 = KeyPair::from_pkcs8_der_and_sign_algo(
                &PrivatePkcs8KeyDer::from(ed25519_pkcs8(true)),
                &rcgen::PKCS_ED25519,
            )
            .unwrap();
            let out = self.path(&format!("{stem}-key-pkcs8v2.pem"));
            fs::write(&out, v2.serialize_pem()).unwrap();
            out
        });
        let chain_pem = self.path(&format!("{stem}-chain.pem"));
        let chain_der = CertificateDer::pem_file_iter(&chain_pem)
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        assert_eq!(
            chain_der.len(),
            2,
            "{chain_pem:?} must hold leaf + intermediate"
        );
        let key_pkcs8_der = PrivatePkcs8KeyDer::from_pem_file(&key_pem)
            .unwrap()
            .secret_pkcs8_der()
            .to_vec();
        Credential {
            kind,
            cert_pem: self.path(&format!("{stem}-cert.pem")),
            chain_pem,
            intermediate_pem: intermediate,
            ca_der: CertificateDer::from_pem_file(&ca).unwrap(),
            ca_pem: ca,
            key_pem,
            key_sec1_pem,
            key_pkcs1_pem,
            key_pkcs8v2_pem,
            chain_der,
            key_pkcs8_der,
        }
    }

    fn write_all_roots(&self) {
        let both = fs::read_to_string(self.path("ca.pem")).unwrap()
            + &fs::read_to_string(self.path("rsa-pss-ca.pem")).unwrap();
        fs::write(self.all_ca_pem(), both).unwrap();
    }
}

/// Removes `padlock-pki-<pid>-...` directories whose process no longer runs (left by
/// [`TestPki::shared`] or by a killed test). Only where `/proc` tells which processes live.
fn sweep_dead_process_dirs() {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(DIR_PREFIX) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

impl Default for TestPki {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestPki {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

#[derive(Clone, Copy)]
enum Role {
    Server,
    Client,
}

impl Role {
    fn stem(self, kind: KeyKind) -> String {
        match self {
            Role::Server => kind.name().to_string(),
            Role::Client => format!("client-{}", kind.name()),
        }
    }

    fn push(self, pki: &mut TestPki, credential: Credential) {
        match self {
            Role::Server => pki.servers.push(credential),
            Role::Client => pki.clients.push(credential),
        }
    }
}

fn find(list: &[Credential], kind: KeyKind) -> &Credential {
    list.iter()
        .find(|c| c.kind == kind)
        .unwrap_or_else(|| panic!("no {kind:?} credential generated"))
}

fn generate_key(kind: KeyKind) -> KeyPair {
    match kind {
        KeyKind::EcdsaP256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
        KeyKind::EcdsaP384 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384),
        KeyKind::Rsa2048 => KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, RsaKeySize::_2048),
        // rcgen would serialize aws-lc-rs's PKCS#8 v2 (RFC 5958, with the public key), which
        // OpenSSL 3.0 and GnuTLS 3.7 cannot load; give them the v1 form every peer reads.
        KeyKind::Ed25519 => KeyPair::from_pkcs8_der_and_sign_algo(
            &PrivatePkcs8KeyDer::from(ed25519_pkcs8(false)),
            &rcgen::PKCS_ED25519,
        ),
        KeyKind::RsaPss => unreachable!("RSA-PSS keys come from openssl"),
    }
    .unwrap()
}

/// A fresh Ed25519 key as PKCS#8 v1 (RFC 5208) or v2 (RFC 5958).
fn ed25519_pkcs8(v2: bool) -> Vec<u8> {
    use aws_lc_rs::signature::Ed25519KeyPair;
    let key = Ed25519KeyPair::generate().unwrap();
    let doc = if v2 { key.to_pkcs8() } else { key.to_pkcs8v1() };
    doc.unwrap().as_ref().to_vec()
}

fn validity(params: &mut CertificateParams) {
    // Fixed, comfortably wide, and within UTCTime so every peer parses it the same way.
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(2049, 12, 31);
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

fn leaf_params(kind: KeyKind, role: Role) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    match role {
        Role::Server => {
            params
                .distinguished_name
                .push(DnType::CommonName, SERVER_NAME);
            params.subject_alt_names = vec![
                SanType::DnsName(SERVER_NAME.try_into().unwrap()),
                SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
                SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)),
            ];
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        }
        Role::Client => {
            params.distinguished_name.push(
                DnType::CommonName,
                format!("padlock test client {}", kind.name()),
            );
            params.subject_alt_names = vec![SanType::DnsName(CLIENT_NAME.try_into().unwrap())];
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        }
    }
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.use_authority_key_identifier_extension = true;
    validity(&mut params);
    params
}

/// How the openssl-made RSA-PSS chain is signed (and what `openssl ca -gencrl` needs to sign
/// its CRLs alike): PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt, the parameters of
/// rsa_pss_pss_sha256 (RFC 8446 §4.2.3), which padlock-cert verifies.
pub const RSA_PSS_SIGOPTS: &[&str] = &[
    "-sigopt",
    "rsa_padding_mode:pss",
    "-sigopt",
    "rsa_pss_saltlen:32",
    "-sigopt",
    "rsa_mgf1_md:sha256",
];

/// Sections for the openssl-made RSA-PSS chain; mirrors what rcgen puts in the others.
const OPENSSL_CNF: &str = "\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
[v3_intermediate]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1,IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = DNS:client.padlock.test
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
";
