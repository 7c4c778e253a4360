//! padlock <-> rustls 0.23 (aws-lc-rs provider, default features), in process over an
//! in-memory transport, with padlock as client and as server: every suite x group, the
//! hybrid X25519MLKEM768, HelloRetryRequest from each side, each server key type, ALPN
//! (agreement and mismatch), KeyUpdate, the exporter, large transfers, close_notify,
//! NewSessionTicket, resumption with 0-RTT data on each other's tickets; and what a deployed
//! rustls also does: tiny records, data in the Finished flight, TLS 1.2-only peers, failed
//! negotiation and trust, a CertificateRequest, a resumption ticket with 0-RTT data from
//! another server, backpressure, SNI, and OCSP staples each way.
//!
//! rustls is an independent implementation of RFC 8446, so agreement here means both
//! stacks read the RFC the same way, not merely that padlock agrees with itself.

use std::io::{ErrorKind, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use padlock::alert::AlertDescription;
use padlock::crypto::{self, CipherSuite, Group};
use padlock::msgs::enums::{HandshakeType, ProtocolVersion};
use padlock::padlock_cert::RootStore;
use padlock::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use padlock::{CertifiedKey, ClientConfig, Connection, Error, Event, ServerConfig};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SignatureAlgorithm,
};
use rustls::client::{ClientSessionStore, Tls12ClientSessionValue, Tls13ClientSessionValue};
use rustls::crypto::aws_lc_rs as aws;
use rustls::crypto::{CryptoProvider, SupportedKxGroup};
use rustls::{NamedGroup, RootCertStore, SupportedCipherSuite};

// ---- the three suites and four groups, as each stack names them ----

fn suites() -> [(&'static CipherSuite, SupportedCipherSuite); 3] {
    use aws::cipher_suite as cs;
    [
        (
            &crypto::TLS_AES_128_GCM_SHA256,
            cs::TLS13_AES_128_GCM_SHA256,
        ),
        (
            &crypto::TLS_AES_256_GCM_SHA384,
            cs::TLS13_AES_256_GCM_SHA384,
        ),
        (
            &crypto::TLS_CHACHA20_POLY1305_SHA256,
            cs::TLS13_CHACHA20_POLY1305_SHA256,
        ),
    ]
}

fn groups() -> [(&'static Group, &'static dyn SupportedKxGroup); 4] {
    use aws::kx_group as kx;
    [
        (&crypto::X25519MLKEM768, kx::X25519MLKEM768),
        (&crypto::X25519, kx::X25519),
        (&crypto::SECP256R1, kx::SECP256R1),
        (&crypto::SECP384R1, kx::SECP384R1),
    ]
}

/// rustls's aws-lc-rs provider, optionally narrowed to some suites or groups.
fn provider(
    suites: Option<Vec<SupportedCipherSuite>>,
    groups: Option<Vec<&'static dyn SupportedKxGroup>>,
) -> Arc<CryptoProvider> {
    let mut p = aws::default_provider();
    if let Some(s) = suites {
        p.cipher_suites = s;
    }
    if let Some(g) = groups {
        p.kx_groups = g;
    }
    Arc::new(p)
}

// ---- certificates: one throwaway CA, leaves of each key type ----

struct Pki {
    ca: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

/// A leaf certificate and its key, in the forms each stack loads.
struct Leaf {
    chain: Vec<CertificateDer<'static>>,
    key_der: Vec<u8>,
    cert_pem: String,
    key_pem: String,
}

impl Pki {
    fn new() -> Self {
        Self::named("padlock rustls-interop CA")
    }

    fn named(ca_name: &str) -> Self {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, ca_name);
        let ca = params.self_signed(&key).unwrap();
        Self {
            ca: ca.der().clone(),
            issuer: Issuer::new(params, key),
        }
    }

    fn leaf(&self, alg: &'static SignatureAlgorithm) -> Leaf {
        self.leaf_for(&["localhost"], alg)
    }

    fn leaf_for(&self, names: &[&str], alg: &'static SignatureAlgorithm) -> Leaf {
        let key = KeyPair::generate_for(alg).unwrap();
        let names = names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let mut params = CertificateParams::new(names).unwrap();
        // RFC 5280 §4.2.1.1: CAs put an authorityKeyIdentifier in what they issue.
        params.use_authority_key_identifier_extension = true;
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            chain: vec![cert.der().clone()],
            key_der: key.serialize_der(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    fn padlock_client(&self) -> ClientConfig {
        let mut roots = RootStore::empty();
        roots.add_der(self.ca.as_ref()).unwrap();
        ClientConfig::new(roots)
    }

    fn rustls_roots(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots.add(self.ca.clone()).unwrap();
        roots
    }

    /// A rustls client offering TLS 1.3 and 1.2 (its defaults), as deployed.
    fn rustls_client(&self, provider: Arc<CryptoProvider>) -> rustls::ClientConfig {
        self.rustls_client_for(provider, rustls::DEFAULT_VERSIONS)
    }

    fn rustls_client_for(
        &self,
        provider: Arc<CryptoProvider>,
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> rustls::ClientConfig {
        rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .unwrap()
            .with_root_certificates(self.rustls_roots())
            .with_no_client_auth()
    }
}

impl Leaf {
    fn padlock_key(&self) -> CertifiedKey {
        CertifiedKey::from_pem(self.cert_pem.as_bytes(), self.key_pem.as_bytes()).unwrap()
    }

    fn padlock_server(&self) -> ServerConfig {
        ServerConfig::with_single_cert(self.padlock_key()).unwrap()
    }

    fn rustls_key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()))
    }

    /// A rustls server accepting TLS 1.3 and 1.2 (its defaults), as deployed.
    fn rustls_server(&self, provider: Arc<CryptoProvider>) -> rustls::ServerConfig {
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), self.rustls_key())
            .unwrap()
    }
}

fn localhost() -> ServerName<'static> {
    ServerName::try_from("localhost").unwrap()
}

// ---- the in-memory transport ----

/// What went wrong on each side when a handshake or transfer failed.
#[derive(Debug)]
struct Failure {
    padlock: Option<Error>,
    rustls: Option<rustls::Error>,
}

/// One padlock connection and one rustls connection wired back to back.
struct Pair {
    padlock: Connection,
    rustls: rustls::Connection,
    /// TLS bytes rustls wrote that padlock has not taken yet (its receive buffer was full).
    to_padlock: Vec<u8>,
    /// Plaintext each side has received so far.
    padlock_got: Vec<u8>,
    rustls_got: Vec<u8>,
    /// rustls's reader returned Ok(0): the peer's close_notify arrived.
    rustls_eof: bool,
    rustls_error: Option<rustls::Error>,
    /// The most bytes handed over in one call, to split records across deliveries.
    chunk: usize,
    /// Whether padlock's application reads what arrives (false: it stalls, and padlock's
    /// receive buffer fills).
    padlock_reads: bool,
}

impl Pair {
    /// padlock as client, rustls as server.
    fn padlock_client(client: ClientConfig, server: rustls::ServerConfig) -> Self {
        let padlock = Connection::client(Arc::new(client), localhost()).unwrap();
        let rustls = rustls::ServerConnection::new(Arc::new(server)).unwrap();
        Self::new(padlock, rustls.into())
    }

    /// rustls as client, padlock as server.
    fn padlock_server(server: ServerConfig, client: rustls::ClientConfig) -> Self {
        let padlock = Connection::server(Arc::new(server)).unwrap();
        let rustls = rustls::ClientConnection::new(Arc::new(client), localhost()).unwrap();
        Self::new(padlock, rustls.into())
    }

    fn new(padlock: Connection, rustls: rustls::Connection) -> Self {
        Self {
            padlock,
            rustls,
            to_padlock: Vec::new(),
            padlock_got: Vec::new(),
            rustls_got: Vec::new(),
            rustls_eof: false,
            rustls_error: None,
            chunk: usize::MAX,
            padlock_reads: true,
        }
    }

    /// Moves every pending TLS byte one way and then the other, collecting the plaintext
    /// that arrives. Errors are recorded, not returned, so that the alert a failing side
    /// sends still reaches its peer. Returns whether any byte moved.
    fn step(&mut self) -> bool {
        let mut moved = false;
        while self.padlock.wants_write() {
            let pending = self.padlock.pending_tls();
            let mut pending = &pending[..pending.len().min(self.chunk)];
            let n = match self.rustls.read_tls(&mut pending) {
                Ok(n) if n > 0 => n,
                _ => break,
            };
            self.padlock.consume_tls(n);
            moved = true;
            if let Err(e) = self.rustls.process_new_packets() {
                self.rustls_error.get_or_insert(e);
            }
            self.drain_rustls();
        }
        while self.rustls.wants_write() {
            if self.rustls.write_tls(&mut self.to_padlock).unwrap() == 0 {
                break;
            }
        }
        while !self.to_padlock.is_empty() {
            let take = self.to_padlock.len().min(self.chunk);
            match self.padlock.feed_tls(&self.to_padlock[..take]) {
                Ok(n) => {
                    self.to_padlock.drain(..n);
                    moved |= n > 0;
                    let freed = self.drain_padlock();
                    if n == 0 && freed == 0 {
                        break;
                    }
                }
                Err(_) => {
                    // padlock failed and queued its alert; the rest is never read.
                    self.to_padlock.clear();
                    moved = true;
                }
            }
        }
        self.drain_padlock();
        moved
    }

    fn drain_padlock(&mut self) -> usize {
        if !self.padlock_reads {
            return 0;
        }
        let mut buf = [0u8; 8192];
        let mut total = 0;
        while let Ok(n) = self.padlock.read(&mut buf) {
            if n == 0 {
                break;
            }
            self.padlock_got.extend_from_slice(&buf[..n]);
            total += n;
        }
        total
    }

    fn drain_rustls(&mut self) {
        let mut buf = [0u8; 8192];
        loop {
            match self.rustls.reader().read(&mut buf) {
                Ok(0) => {
                    self.rustls_eof = true;
                    break;
                }
                Ok(n) => self.rustls_got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => panic!("rustls reader: {e}"),
            }
        }
    }

    fn failure(&self) -> Option<Failure> {
        let f = Failure {
            padlock: self.padlock.error().cloned(),
            rustls: self.rustls_error.clone(),
        };
        (f.padlock.is_some() || f.rustls.is_some()).then_some(f)
    }

    /// Runs the handshake to the end, including any post-handshake messages (tickets).
    fn handshake(&mut self) -> Result<(), Box<Failure>> {
        for _ in 0..32 {
            if self.step() {
                continue;
            }
            if let Some(f) = self.failure() {
                return Err(Box::new(f));
            }
            assert!(
                !self.padlock.is_handshaking() && !self.rustls.is_handshaking(),
                "handshake stalled: padlock handshaking {}, rustls handshaking {}",
                self.padlock.is_handshaking(),
                self.rustls.is_handshaking()
            );
            return Ok(());
        }
        panic!("handshake did not settle in 32 flights");
    }

    fn connected(mut self) -> Self {
        if let Err(f) = self.handshake() {
            panic!("handshake failed: {f:?}");
        }
        self
    }

    /// Moves bytes until nothing moves; panics if either side failed.
    fn settle(&mut self) {
        while self.step() {}
        if let Some(f) = self.failure() {
            panic!("connection failed: {f:?}");
        }
    }

    /// Sends `data` from padlock in writes of the given (cycled) sizes; rustls must receive
    /// exactly it.
    fn padlock_sends(&mut self, data: &[u8], sizes: &[usize]) {
        self.rustls_got.clear();
        let mut sent = 0;
        for &size in sizes.iter().cycle() {
            if sent == data.len() {
                break;
            }
            let end = (sent + size).min(data.len());
            assert_eq!(self.padlock.write(&data[sent..end]).unwrap(), end - sent);
            sent = end;
            self.step();
        }
        self.settle();
        assert_eq!(self.rustls_got.len(), data.len());
        assert!(self.rustls_got == data, "data corrupted padlock -> rustls");
        self.rustls_got.clear();
    }

    /// Sends `data` from rustls; padlock must receive exactly it.
    fn rustls_sends(&mut self, data: &[u8], sizes: &[usize]) {
        self.padlock_got.clear();
        let mut sent = 0;
        for &size in sizes.iter().cycle() {
            if sent == data.len() {
                break;
            }
            let end = (sent + size).min(data.len());
            while sent < end {
                // rustls takes less than offered when its send buffer is full.
                let n = self.rustls.writer().write(&data[sent..end]).unwrap();
                sent += n;
                let moved = self.step();
                assert!(n > 0 || moved, "rustls accepts no data and sends nothing");
            }
        }
        self.settle();
        assert_eq!(self.padlock_got.len(), data.len());
        assert!(self.padlock_got == data, "data corrupted rustls -> padlock");
        self.padlock_got.clear();
    }

    fn ping_pong(&mut self) {
        self.padlock_sends(b"ping from padlock", &[5, 100]);
        self.rustls_sends(b"pong from rustls", &[3, 100]);
    }

    /// Both sides agree on suite and group, and these are the expected ones.
    fn assert_negotiated(&self, suite: &CipherSuite, group: &Group) {
        let info = self.padlock.info();
        assert_eq!(info.cipher_suite_id, Some(suite.id), "padlock suite");
        assert_eq!(info.group.map(|g| g.0), Some(group.id), "padlock group");
        let rs = self.rustls.negotiated_cipher_suite().unwrap();
        assert_eq!(u16::from(rs.suite()), suite.id, "rustls suite {rs:?}");
        let rg = self.rustls.negotiated_key_exchange_group().unwrap();
        assert_eq!(
            u16::from(rg.name()),
            group.id,
            "rustls group {:?}",
            rg.name()
        );
        assert_eq!(
            self.rustls.protocol_version(),
            Some(rustls::ProtocolVersion::TLSv1_3)
        );
    }

    fn padlock_events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.padlock.next_event()).collect()
    }
}

// ---- 1. every suite x group, both directions ----

#[test]
fn padlock_client_every_suite_and_group() {
    let pki = Pki::new();
    let leaf = pki.leaf(&rcgen::PKCS_ECDSA_P256_SHA256);
    let server = leaf.rustls_server(provider(None, None));
    for (suite, _) in suites() {
        for (group, _) in groups() {
            let mut client = pki.padlock_client();
            client.cipher_suites = vec![suite];
            client.set_groups(vec![group]);
            let mut pair = Pair::padlock_client(client, server.clone()).connected();
            pair.assert_negotiated(suite, group);
            assert!(
                !pair.padlock.info().hello_retry,
                "{} {}",
                suite.name,
                group.name
            );
            assert_eq!(
                pair.padlock.info().peer_certificates,
                vec![leaf.chain[0].to_vec()]
            );
            pair.ping_pong();
        }
    }
}

#[test]
fn padlock_server_every_suite_and_group() {
    let pki = Pki::new();
    let leaf = pki.leaf(&rcgen::PKCS_ECDSA_P256_SHA256);
    for (suite, rustls_suite) in suites() {
        for (group, rustls_group) in groups() {
            let client =
                pki.rustls_client(provider(Some(vec![rustls_suite]), Some(vec![rustls_group])));
            let mut pair = Pair::padlock_server(leaf.padlock_server(), client).connected();
            pair.assert_negotiated(suite, group);
            assert!(
                !pair.padlock.info().hello_retry,
                "{} {}",
                suite.name,
                group.name
            );
            assert_eq!(
                pair.padlock.info().server_name.as_deref(),
                Some("localhost")
            );
            assert_eq!(
                pair.rustls.peer_certificates().unwrap().to_vec(),
                leaf.chain
            );
            pair.ping_pong();
        }
    }
}

// ---- 2. the hybrid post-quantum group is what both pick by default ----

#[test]
fn x25519mlkem768_by_default_both_directions() {
    let pki = Pki::new();
    let leaf = pki.leaf(&rcgen::PKCS_ECDSA_P256_SHA256);
    let pairs = [
        Pair::padlock_client(
            pki.padlock_client(),
            leaf.rustls_server(provider(None, None)),
        ),
        Pair::padlock_server(
            leaf.padlock_server(),
            pki.rustls_client(provider(None, None)),
        ),
    ];
    for pair in pairs {
        let mut pair = pair.connected();
        let suite = crypto::suite_by_id(pair.padlock.info().cipher_suite_id.unwrap()).unwrap();
        pair.assert_negotiated(suite, &crypto::X25519MLKEM768);
        assert_eq!(
            pair.padlock.info().group_name,
            Some("X25519MLKEM768"),
            "{:?}",
            pair.padlock.side()
        );
        assert!(!pair.padlock.info().hello_retry);
        pair.ping_pong();
    }
}

// ---- 3. HelloRetryRequest from each side ----

#[test]
fn padlock_server_sends_hello_retry_request() {
    let pki = Pki::new();
    let leaf = pki.leaf(&rcgen::PKCS_ECDSA_P256_SHA256);
    use aws::kx_group as kx;
    // rustls shares only its first group; padlock accepts only a later one.
    for (rustls_groups, padlock_group) in [
        (vec![kx::X25519, kx::SECP384R1], &crypto::SECP384R1),
        // The default rustls client shares X25519MLKEM768 and X25519; neither fits.
        (aws::DEFAULT_KX_GROUPS.to_vec(), &crypto::SECP256R1),
    ] {
        let mut server = leaf.padlock_server();
        server.groups = vec![padlock_group];
        let client = pki.rustls_client(provider(None, Some(rustls_groups)));
        let mut pair = Pair::padlock_server(server, client).connected();
        assert!(pair.padlock.info().hello_retry, "{}", padlock_group.name);
        let suite = crypto::suite_by_id(pair.padlock.info().cipher_suite_id.unwrap()).unwrap();
        pair.assert_negotiated(suite, padlock_group);
        pair.ping_pong();
    }
}

#[test]
fn padlock_client_follows_hello_retry_request() {
    let pki = Pki::new();
    let leaf = pki.leaf(&rcgen::PKCS_ECDSA_P256_SHA256);
    let mut client = pki.padlock_client();
    client.set_groups(vec![&crypto::X25519, &crypto::SECP384R1]);
    client.key_share_groups = vec![&crypto::X25519];
    let server = leaf.rustls_server(provider(None, Some(vec![aws::kx_group::SECP384R1])));
    let mut pair = Pair::padlock_client(client, server).connected();
    assert!(pair.padlock.info().hello_retry);
    let suite = crypto::suite_by_id(pair.padlock.info().cipher_suite_id.unwrap()).unwrap();
    pair.assert_negotiated(suite, &crypto::SECP384R1);
    pair.ping_pong();
}

#[test]
fn padlock_client_without_middlebox_compat_follows_hello_retry_request() {
    let pki = Pki::new();
    let leaf = pki.leaf(&rcgen::PKCS_ECDSA_P256_SHA256);
    let mut client = pki.padlock_client();
    client.middlebox_compat = false;
    let server = leaf.rustls_server(provider(None, Some(vec![aws::kx_group::SECP256R1])));
    let mut pair = Pair::padlock_client(client, server).connected();
    assert!(pair.padlock.info().hello_retry);
    assert_eq!(pair.padlock.info().group_name, Some("secp256r1"));
    pair.ping_pong();
}

// ---- 4. server key types ----

#[test]
fn each_server_key_type_both_directions() {
    let pki = Pki::new();
    for (alg, schemes) in [
        (&rcgen::PKCS_ECDSA_P256_SHA256, &[0x0403u16][..]),
        (&rcgen::PKCS_ECDSA_P384_SHA384, &[0x0503][..]),
        (&rcgen::PKCS_ED25519, &[0x0807][..]),
        // RSA keys sign with RSA-PSS in TLS 1.3 (RFC 8446 §4.4.3); rsa_pss_rsae_*.
        (&rcgen::PKCS_RSA_SHA256, &[0x0804, 0x0805, 0x0806][..]),
    ] {
        let leaf = pki.leaf(alg);

        let server = leaf.rustls_server(provider(None, None));
        let mut pair = Pair::padlock_client(pki.padlock_client(), server).connected();
        let scheme = pair.padlock.info().peer_signature_scheme.unwrap();
        assert!(
            schemes.contains(&scheme),
            "{alg:?}: rustls signed with {scheme:#06x}"
        );
        pair.ping_pong();

        let client = pki.rustls_client(provider(None, None));
        let mut pair = Pair::padlock_server(leaf.padlock_server(), client).connected();
        assert_eq!(
            pair.rustls.peer_certificates().unwrap().to_vec(),
            leaf.chain
        );
        pair.ping_pong();
    }
}

// ---- 5. ALPN ----

#[test]
fn alpn_agreement_both_directions() {
    let pki = Pki::new();
    let leaf = pki.leaf(&rcgen::PKCS_ECDSA_P256_SHA256);

    let mut client = pki.padlock_client();
    client.alpn_protocols = vec![b"http/1.1".to_vec(), b"h2".to_vec()];
    let mut server = leaf.rustls_server(provider(None, None));
    server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let pair = Pair::padlock_client(client, server).connected();
    assert_eq!(pair.padlock.info().alpn.as_deref(), Some(&b"h2"[..]));
    assert_eq!(pair.rustls.alpn_protocol(), Some(&b"h2"[..]));

    let mut server = leaf.padlock_server();
    server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let mut client = pki.rustls_client(provider(None, None));
    client.alpn_protocols = vec![b"http/1.1".to_vec(), b"h2".to_vec()];
    let pair = Pair::padlock_server(server, client).connected();
    assert_eq!(pair.padlock.info().alpn.as_deref(), Some(&b"h2"[..]));
    assert_eq!(pair.rustls.alpn_protocol(), Some(&b"h2"[..]));

    // A client that offers no ALPN gets none, even from a server that has protocols.
    let mut server = leaf.padlock_server();
    server.alpn_protocols = vec![b"h2".to_vec()];
    let pair = Pair::padlock_server(server, pki.rustls_client(provider(None, None))).connected();
    assert_eq!(pair.padlock.info().alpn, None);
    assert_eq!(pair.rustls.alpn_protocol(), None);
}

#[test]
fn alpn_mismatch_with_rustls_server_is_no_application_protocol() {
    let pki = Pki::new();
    let leaf = pki.leaf(&rcgen::PKCS_ECDSA_P256_SHA256);
    let mut client = pki.padlock_client();
    client.alpn_protocols = vec![b"http/1.1".to_vec()];
    let mut server = leaf.rustls_server(provider(None, None));
    server.alpn_protocols = vec![b"h2".to_vec()];
    let f = Pair::padlock_client(client, server)
        .handshake()
        .unwrap_err();
    assert!(
        matches!(f.rustls, Some(rustls::Error::NoApplicationProtocol)),
        "{f:?}"
    );
    assert!(
        matches!(
            f.padlock,
            Some(Error::PeerAlert(AlertDescription::NO_APPLICATION_PROTOCOL))
        ),
        "{f:?}"
    );
}

#[test]
fn alpn_mismatch_with_rustls_client_is_no_application_protocol() {
    let pki = Pki::new();
    let leaf = pki.leaf(&rcgen::PKCS_ECDSA_P256_SHA256);
    let mut server = leaf.padlock_server();
    server.alpn_protocols = vec![b"h2".to_vec()];
    let mut client = pki.rustls_client(provider(None, None));
    client.alpn_protocols = vec![b"http/1.1".to_vec()];
    let f = Pair::padlock_server(server, client)
        .handshake()
        .unwrap_err();
    assert!(
        matches!(f.padlock, Some(Error::NoApplicationProtocol { .. })),
        "{f:?}"
    );
    assert!(
        matches!(
            f.rustls,
            Some(rustls::Error::AlertReceived(
                rustls::AlertDescription::NoApplicationProtocol
            ))
        ),
        "{f:?}"
    );
}

// ---- 6. KeyUpdate ----

fn key_updates(mut pair: Pair) {
    let side = pair.padlock.side();
    pair.padlock_events();

    // rustls updates its keys and asks padlock to do the same (RFC 8446 §4.6.3).
    pair.rustls.refresh_traffic_keys().unwrap();
    pair.settle();
    let events = pair.padlock_events();
    assert!(
        events.contains(&Event::PeerKeyUpdated {
            update_requested: true
        }),
        "{side:?}: {events:?}"
    );
    pair.ping_pong();

    // padlock asks; rustls queues its answer ahead of the next record it sends.
    pair.padlock.send_key_update(true).unwrap();
    pair.settle();
    pair.ping_pong();
    let events = pair.padlock_events();
    assert!(
        events.contains(&Event::PeerKeyUpdated {
            update_requested: false
        }),
        "{side:?}: {events:?}"
    );

    // An update that asks for nothing back, several times over.
    for _ in 0..3 {
        pair.padlock.send_key_update(false).unwrap();
        pair.ping_pong();
    }
    pair.rustls.refresh_traffic_keys().unwrap();
    pair.padlock.send_key_update(true).unwrap();
    pair.settle();
    pair.ping_pong();
    pair.ping_pong();
}

#[test]
fn key_update_both_directions() {
    let pki = Pki::new();
    let leaf = pki.leaf(&rcgen::PKCS_ECDSA_P256_SHA256);
    for (suite, rustls_suite) in suites() {
        let mut client = pki.padlock_client();
        client.cipher_suites = vec![suite];
        key_updates(
            Pair::padlock_client(client, leaf.rustls_server(provider(None, None))).connected(),
        );
        let client = pki.rustls_client(provider(Some(vec![rustls_suite]), None));
        key_updates(Pair::padlock_server(leaf.padlock_server(), client).connected());
    }
}

// ---- 7. exporter (RFC 8446 §7.5) ----

fn exporters_agree(pair: &Pair) {
    let label = b"EXPORTER-padlock-interop";
    for context in [None, Some(&b""[..]), Some(&b"some context"[..])] {
        for len in [1usize, 16, 32, 48, 64, 255] {
            let mut ours = vec![0u8; len];
            pair.padlock
                .export_keying_material(label, context, &mut ours)
                .unwrap();
            let theirs = pair
                .rustls
                .export_keying_material(vec![0u8; len], label, context)
                .unwrap();
            assert_eq!(ours, theirs, "context {context:?}, {len} bytes");
        }
    }
    // RFC 8446 §7.5: in TLS 1.3 no context and an empty one give the same output.
    let mut none = [0u8; 32];
    let mut empty = [0u8; 32];
    pair.padlock
        .export_keying_material(label, None, &mut none)
        .unwrap();
    pair.padlock
        .export_keying_material(label, Some(b""), &mut empty)
        .unwrap();
    assert_eq!(none, empty);
}

#[test]
fn exporter_matches_rustls() {
    let pki = Pki::new();
    let leaf = pki.leaf(&rcgen::PKCS_ECDSA_P256_SHA256);
    for (suite, rustls_suite) in suites() {
        let mut client = pki.padlock_client();
        client.cipher_suites = vec![suite];
        let pair =
            Pair::padlock_client(client, leaf.rustls_server(provider(None, None))).connected();
        exporters_agree(&pair);
        let client = pki.rustls_client(provider(Some(vec![rustls_suite]), None));
        let pair = Pair::padlock_server(leaf.padlock_server(), client).connected();
        exporters_agree(&pair);
    }
}

// ---- 8. large transfers ----

#[test]
fn four_mebibytes_each_way_in_odd_sized_writes() {
    const LEN: usize = 4 << 20;
    let data: Vec<u8> = (0..LEN as u32).map(|i| (i * 31 + i / 257) as u8).collect();
    let sizes = [1, 17, 4093, 16383, 16384, 16385, 65537, 100_003];
    let pki = Pki::new();
    let leaf = pki.leaf(&rcgen::PKCS_ECDSA_P256_SHA256);

    let mut pair = Pair::padlock_client(
        pki.padlock_client(),
        leaf.rustls_server(provider(None, None)),
    )
    .connected();
    pair.padlock_sends(&data, &sizes);
    pair.rustls_sends(&data, &sizes);

    let mut pair = Pair::padlock_server(
        leaf.padlock_server(),
        pki.rustls_client(provider(None, None)),
    )
    .connected();
    pair.padlock_sends(&data, &sizes);
    pair.rustls_sends(&data, &sizes);
}

// ---- 9. close_notify ----

fn closes(mut pair: Pair) {
    let side = pair.padlock.side();
    pair.ping_pong();

    // rustls closes: padlock reads a clean end of data, and may still send (half-close).
    pair.rustls.send_close_notify();
    pair.settle();
    assert!(pair.padlock.peer_closed(), "{side:?}");
    let mut buf = [0u8; 16];
    assert_eq!(pair.padlock.read(&mut buf).unwrap(), 0);
    assert!(pair.padlock_events().contains(&Event::PeerClosed));
    pair.padlock.recv_eof().unwrap();

    // padlock closes: rustls's reader reports a clean EOF, Ok(0).
    assert!(!pair.rustls_eof);
    pair.padlock.send_close_notify();
    pair.settle();
    assert!(pair.rustls_eof, "{side:?}");
    assert_eq!(pair.rustls.reader().read(&mut buf).unwrap(), 0);
    assert!(matches!(
        pair.padlock.write(b"late"),
        Err(Error::ConnectionClosed)
    ));
}

fn truncations(mut pair: Pair) {
    let side = pair.padlock.side();
    pair.ping_pong();
    // The transport ends with no close_notify: each side calls it truncation, not EOF.
    assert!(
        matches!(pair.padlock.recv_eof(), Err(Error::Truncated)),
        "{side:?}"
    );
    assert_eq!(pair.rustls.read_tls(&mut &b""[..]).unwrap(), 0);
    pair.rustls.process_new_packets().unwrap();
    let err = pair.rustls.reader().read(&mut [0u8; 16]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "{side:?}");
}

#[test]
fn close_notify_both_ways() {
    let pki = Pki::new();
    let leaf = pki.leaf(&rcgen::PKCS_ECDSA_P256_SHA256);
    closes(
        Pair::padlock_client(
            pki.padlock_client(),
            leaf.rustls_server(provider(None, None)),
        )
        .connected(),
    );
    closes(
        Pair::padlock_server(
            leaf.padlock_server(),
            pki.rustls_client(provider(None, None)),
        )
        .connected(),
    );
    truncations(
        Pair::padlock_client(
            pki.padlock_client(),
            leaf.rustls_server(provider(None, None)),
        )
        .connected(),
    );
    truncations(
        Pair::padlock_server(
            leaf.padlock_server(),
            pki.rustls_client(provider(None, None)),
        )
        .connected(),
    );
}

// ---- 10. NewSessionTicket ----

#[test]
fn padlock_client_accepts_rustls_session_tickets() {
    let pki = Pki::new();
    let leaf = pki.leaf(&rcgen::PKCS_ECDSA_P256_SHA256);
    for tickets in [0, 2, 5] {
        let mut client = pki.padlock_client();
        client.trace = true;
        let mut server = leaf.rustls_server(provider(None, None));
        server.send_tls13_tickets = tickets;
        let mut pair = Pair::padlock_client(client, server).connected();
        let received = pair
            .padlock_events()
            .into_iter()
            .filter(|e| {
                matches!(e, Event::Trace(t)
                    if !t.sent_by_us && t.typ == HandshakeType::NEW_SESSION_TICKET)
            })
            .count();
        assert_eq!(received, tickets);
        pair.ping_pong();
        pair.padlock.send_key_update(true).unwrap();
        pair.ping_pong();
    }
}

/// A rustls client session store that only counts the tickets it is given.
#[derive(Debug, Default)]
struct TicketCounter(AtomicUsize);

impl ClientSessionStore for TicketCounter {
    fn set_kx_hint(&self, _: ServerName<'static>, _: NamedGroup) {}
    fn kx_hint(&self, _: &ServerName<'_>) -> Option<NamedGroup> {
        None
    }
    fn set_tls12_session(&self, _: ServerName<'static>, _: Tls12ClientSessionValue) {}
    fn tls12_session(&self, _: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        None
    }
    fn remove_tls12_session(&self, _: &ServerName<'static>) {}
    fn insert_tls13_ticket(&self, _: ServerName<'static>, _: Tls13ClientSessionValue) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn take_tls13_ticket(&self, _: &ServerName<'static>) -> Option<Tls13ClientSessionValue> {
        None
    }
}

fn counting_rustls_client(pki: &Pki) -> (rustls::ClientConfig, Arc<TicketCounter>) {
    let counter = Arc::new(TicketCounter::default());
    let mut client = pki.rustls_client(provider(None, None));
    client.resumption = rustls::client::Resumption::store(counter.clone());
    (client, counter)
}

#[test]
fn padlock_server_sends_two_session_tickets() {
    let pki = Pki::new();
    let leaf = pki.leaf(&rcgen::PKCS_ECDSA_P256_SHA256);

    // Control: the counter does see the tickets a rustls server sends.
    let (client, counter) = counting_rustls_client(&pki);
    let mut c = rustls::ClientConnection::new(Arc::new(client), localhost()).unwrap();
    let mut s =
        rustls::ServerConnection::new(Arc::new(leaf.rustls_server(provider(None, None)))).unwrap();
    rustls_to_rustls(&mut c, &mut s);
    assert_eq!(counter.0.load(Ordering::SeqCst), 2);

    let (client, counter) = counting_rustls_client(&pki);
    let mut pair = Pair::padlock_server(leaf.padlock_server(), client).connected();
    pair.ping_pong();
    pair.settle();
    assert_eq!(counter.0.load(Ordering::SeqCst), 2);
}

// ---- 11. resumption and 0-RTT with each other's tickets ----

/// An idempotent request, what 0-RTT is for (RFC 8446 §8, RFC 8470).
const EARLY_REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";

/// rustls resumes with padlock's stateless tickets (RFC 8446 §4.6.1, §4.2.11) and sends
/// 0-RTT data (§2.3, §4.2.10), which padlock accepts and hands over apart from ordinary
/// data; the connection then carries data and KeyUpdates as usual.
#[test]
fn rustls_client_resumes_with_early_data_to_padlock() {
    let pki = Pki::new();
    let leaf = pki.leaf(&rcgen::PKCS_ECDSA_P256_SHA256);
    let mut server = leaf.padlock_server();
    server.max_early_data_size = 16384;
    let server = Arc::new(server);
    let mut client = pki.rustls_client(provider(None, None));
    client.enable_early_data = true;
    let client = Arc::new(client);

    let c = rustls::ClientConnection::new(client.clone(), localhost()).unwrap();
    let mut pair = Pair::new(Connection::server(server.clone()).unwrap(), c.into()).connected();
    pair.ping_pong();
    assert!(!pair.padlock.info().resumed);

    // padlock sent two tickets: each gives one resumption with 0-RTT.
    for _ in 0..2 {
        let mut c = rustls::ClientConnection::new(client.clone(), localhost()).unwrap();
        c.early_data()
            .expect("padlock's ticket allows 0-RTT")
            .write_all(EARLY_REQUEST)
            .unwrap();
        let mut pair = Pair::new(Connection::server(server.clone()).unwrap(), c.into()).connected();
        let info = pair.padlock.info();
        assert!(info.resumed && info.early_data_accepted, "{info:?}");
        assert!(info.peer_certificates.is_empty());
        assert_eq!(pair.padlock.take_early_data(), EARLY_REQUEST);
        assert!(
            pair.padlock_got.is_empty(),
            "early data is not ordinary data"
        );
        assert!(pair.padlock_events().contains(&Event::EarlyDataReceived));
        let rustls::Connection::Client(c) = &pair.rustls else {
            unreachable!()
        };
        assert!(c.is_early_data_accepted());
        assert!(
            c.peer_certificates().is_some(),
            "rustls keeps the session's chain"
        );
        pair.ping_pong();
        pair.padlock.send_key_update(true).unwrap();
        pair.ping_pong();
    }
}

/// padlock resumes with rustls's tickets and sends 0-RTT data, which rustls accepts.
#[test]
fn padlock_client_resumes_with_early_data_to_rustls() {
    let pki = Pki::new();
    let leaf = pki.leaf(&rcgen::PKCS_ECDSA_P256_SHA256);
    let mut server = leaf.rustls_server(provider(None, None));
    server.max_early_data_size = 16384;
    server.send_tls13_tickets = 2;
    let server = Arc::new(server);
    let mut client = pki.padlock_client();
    client.enable_early_data = true;
    let client = Arc::new(client);

    let s = rustls::ServerConnection::new(server.clone()).unwrap();
    let padlock = Connection::client(client.clone(), localhost()).unwrap();
    let mut pair = Pair::new(padlock, s.into()).connected();
    pair.ping_pong();
    let tickets = pair
        .padlock_events()
        .into_iter()
        .filter(|e| *e == Event::TicketReceived)
        .count();
    assert_eq!(tickets, 2);

    for _ in 0..2 {
        let mut padlock = Connection::client(client.clone(), localhost()).unwrap();
        assert_eq!(
            padlock.write_early_data(EARLY_REQUEST).unwrap(),
            EARLY_REQUEST.len()
        );
        let s = rustls::ServerConnection::new(server.clone()).unwrap();
        let mut pair = Pair::new(padlock, s.into()).connected();
        let info = pair.padlock.info().clone();
        assert!(info.resumed && info.early_data_accepted, "{info:?}");
        let rustls::Connection::Server(s) = &mut pair.rustls else {
            unreachable!()
        };
        let mut early = Vec::new();
        s.early_data()
            .expect("rustls accepted the early data")
            .read_to_end(&mut early)
            .unwrap();
        assert_eq!(early, EARLY_REQUEST);
        assert!(
            pair.rustls_got.is_empty(),
            "early data is not ordinary data"
        );
        pair.ping_pong();
        pair.padlock.send_key_update(true).unwrap();
        pair.ping_pong();
    }
}

// ---- record boundaries ----

/// rustls's smallest records (32 bytes of plaintext) split every handshake message over
/// many records (RFC 8446 §5.1); delivering byte by byte splits every record too.
#[test]
fn tiny_records_and_byte_at_a_time_delivery() {
    let pki = Pki::new();
    let leaf = pki.leaf(&rcgen::PKCS_RSA_SHA256);
    let data: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
    for (fragment, chunk) in [(Some(32), usize::MAX), (None, 1), (Some(32), 1)] {
        let mut server = leaf.rustls_server(provider(None, None));
        server.max_fragment_size = fragment;
        let mut pair = Pair::padlock_client(pki.padlock_client(), server);
        pair.chunk = chunk;
        let mut pair = pair.connected();
        pair.padlock_sends(&data, &[1000, 7]);
        pair.rustls_sends(&data, &[3000, 5]);

        let mut client = pki.rustls_client(provider(None, None));
        client.max_fragment_size = fragment;
        let mut pair = Pair::padlock_server(leaf.padlock_server(), client);
        pair.chunk = chunk;
        let mut pair = pair.connected();
        pair.padlock_sends(&data, &[1000, 7]);
        pair.rustls_sends(&data, &[3000, 5]);
    }
}

/// rustls sends data written before the handshake as soon as its keys allow: the server's
/// right behind its Finished (0.5-RTT), the client's in the same flight as its Finished.
#[test]
fn data_in_the_same_flight_as_finished() {
    let pki = Pki::new();
    let leaf = pki.leaf(&rcgen::PKCS_ECDSA_P256_SHA256);
    let mut pair = Pair::padlock_client(
        pki.padlock_client(),
        leaf.rustls_server(provider(None, None)),
    );
    pair.rustls
        .writer()
        .write_all(b"server speaks first")
        .unwrap();
    let mut pair = pair.connected();
    assert_eq!(pair.padlock_got, b"server speaks first");
    pair.padlock_got.clear();
    pair.ping_pong();

    let mut pair = Pair::padlock_server(
        leaf.padlock_server(),
        pki.rustls_client(provider(None, None)),
    );
    pair.rustls
        .writer()
        .write_all(b"GET / HTTP/1.1\r\n\r\n")
        .unwrap();
    let mut pair = pair.connected();
    assert_eq!(pair.padlock_got, b"GET / HTTP/1.1\r\n\r\n");
    pair.padlock_got.clear();
    pair.ping_pong();
}

// ---- failures: each side sends the alert RFC 8446 §6 names and the other reports it ----

#[test]
fn tls12_only_rustls_peers_get_protocol_version() {
    let pki = Pki::new();
    let leaf = pki.leaf(&rcgen::PKCS_ECDSA_P256_SHA256);

    let client = pki.rustls_client_for(provider(None, None), &[&rustls::version::TLS12]);
    let f = Pair::padlock_server(leaf.padlock_server(), client)
        .handshake()
        .unwrap_err();
    match &f.padlock {
        Some(Error::ProtocolVersion { offered }) => {
            assert!(offered.contains(&ProtocolVersion::TLS1_2), "{offered:?}")
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(
            f.rustls,
            Some(rustls::Error::AlertReceived(
                rustls::AlertDescription::ProtocolVersion
            ))
        ),
        "{f:?}"
    );

    let server = rustls::ServerConfig::builder_with_provider(provider(None, None))
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(leaf.chain.clone(), leaf.rustls_key())
        .unwrap();
    let f = Pair::padlock_client(pki.padlock_client(), server)
        .handshake()
        .unwrap_err();
    assert!(f.rustls.is_some(), "{f:?}");
    assert!(
        matches!(
            f.padlock,
            Some(Error::PeerAlert(AlertDescription::PROTOCOL_VERSION))
        ),
        "{f:?}"
    );
}

#[test]
fn no_common_suite_or_group_is_handshake_failure() {
    let pki = Pki::new();
    let leaf = pki.leaf(&rcgen::PKCS_ECDSA_P256_SHA256);
    let [(aes128, rustls_aes128), _, (_, rustls_chacha)] = suites();

    // rustls client vs padlock server.
    for (client, server_suites, server_groups) in [
        (
            pki.rustls_client(provider(Some(vec![rustls_chacha]), None)),
            vec![aes128],
            None,
        ),
        (
            pki.rustls_client(provider(None, Some(vec![aws::kx_group::X25519]))),
            crypto::ALL_CIPHER_SUITES.to_vec(),
            Some(vec![&crypto::SECP384R1]),
        ),
    ] {
        let mut server = leaf.padlock_server();
        server.cipher_suites = server_suites;
        if let Some(g) = server_groups {
            server.groups = g;
        }
        let f = Pair::padlock_server(server, client)
            .handshake()
            .unwrap_err();
        assert!(
            matches!(
                f.padlock,
                Some(Error::NoCommonCipherSuite { .. } | Error::NoCommonGroup { .. })
            ),
            "{f:?}"
        );
        assert!(
            matches!(
                f.rustls,
                Some(rustls::Error::AlertReceived(
                    rustls::AlertDescription::HandshakeFailure
                ))
            ),
            "{f:?}"
        );
    }

    // padlock client vs rustls server.
    for (suites, groups, server) in [
        (
            vec![&crypto::TLS_CHACHA20_POLY1305_SHA256],
            None,
            leaf.rustls_server(provider(Some(vec![rustls_aes128]), None)),
        ),
        (
            crypto::ALL_CIPHER_SUITES.to_vec(),
            Some(vec![&crypto::X25519]),
            leaf.rustls_server(provider(None, Some(vec![aws::kx_group::SECP384R1]))),
        ),
    ] {
        let mut client = pki.padlock_client();
        client.cipher_suites = suites;
        if let Some(g) = groups {
            client.set_groups(g);
        }
        let f = Pair::padlock_client(client, server)
            .handshake()
            .unwrap_err();
        assert!(
            matches!(f.rustls, Some(rustls::Error::PeerIncompatible(_))),
            "{f:?}"
        );
        assert!(
            matches!(
                f.padlock,
                Some(Error::PeerAlert(AlertDescription::HANDSHAKE_FAILURE))
            ),
            "{f:?}"
        );
    }
}

#[test]
fn untrusted_certificates_are_refused_both_ways() {
    let pki = Pki::new();
    let other = Pki::named("some other CA");
    let leaf = pki.leaf(&rcgen::PKCS_ECDSA_P256_SHA256);

    let f = Pair::padlock_client(
        other.padlock_client(),
        leaf.rustls_server(provider(None, None)),
    )
    .handshake()
    .unwrap_err();
    let err = f.padlock.as_ref().unwrap();
    assert!(matches!(err, Error::Certificate(_)), "{f:?}");
    assert_eq!(err.alert(), Some(AlertDescription::UNKNOWN_CA));
    assert!(
        matches!(
            f.rustls,
            Some(rustls::Error::AlertReceived(
                rustls::AlertDescription::UnknownCA
            ))
        ),
        "{f:?}"
    );

    let f = Pair::padlock_server(
        leaf.padlock_server(),
        other.rustls_client(provider(None, None)),
    )
    .handshake()
    .unwrap_err();
    assert!(
        matches!(f.rustls, Some(rustls::Error::InvalidCertificate(_))),
        "{f:?}"
    );
    assert!(
        matches!(
            f.padlock,
            Some(Error::PeerAlert(AlertDescription::UNKNOWN_CA))
        ),
        "{f:?}"
    );
}

/// A rustls server that asks for a client certificate: padlock has none to give, so it
/// answers with an empty Certificate (RFC 8446 §4.4.2); the server decides.
#[test]
fn rustls_server_requesting_a_client_certificate() {
    let pki = Pki::new();
    let leaf = pki.leaf(&rcgen::PKCS_ECDSA_P256_SHA256);
    for mandatory in [false, true] {
        let builder = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(pki.rustls_roots()),
            provider(None, None),
        );
        let builder = if mandatory {
            builder
        } else {
            builder.allow_unauthenticated()
        };
        let server = rustls::ServerConfig::builder_with_provider(provider(None, None))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(builder.build().unwrap())
            .with_single_cert(leaf.chain.clone(), leaf.rustls_key())
            .unwrap();
        let mut pair = Pair::padlock_client(pki.padlock_client(), server);
        if mandatory {
            let f = pair.handshake().unwrap_err();
            assert!(
                matches!(
                    f.padlock,
                    Some(Error::PeerAlert(AlertDescription::CERTIFICATE_REQUIRED))
                ),
                "{f:?}"
            );
        } else {
            pair.connected().ping_pong();
        }
    }
}

// ---- a rustls client that holds a ticket from another server ----

/// Runs a rustls client and server against each other until neither has anything to send.
fn rustls_to_rustls(c: &mut rustls::ClientConnection, s: &mut rustls::ServerConnection) {
    for _ in 0..10 {
        let mut wire = Vec::new();
        while c.wants_write() {
            c.write_tls(&mut wire).unwrap();
        }
        s.read_tls(&mut &wire[..]).unwrap();
        s.process_new_packets().unwrap();
        let mut wire = Vec::new();
        while s.wants_write() {
            s.write_tls(&mut wire).unwrap();
        }
        c.read_tls(&mut &wire[..]).unwrap();
        c.process_new_packets().unwrap();
    }
    assert!(!c.is_handshaking() && !s.is_handshaking());
}

/// A rustls client that resumes by default: after a rustls server (same name) gave it a
/// ticket, its ClientHello to padlock carries pre_shared_key and, with early data enabled,
/// early_data and 0-RTT records. padlock cannot open another server's ticket: it must ignore
/// the PSK (RFC 8446 §4.2.11: a full handshake), and skip the 0-RTT records it cannot decrypt
/// (§4.2.10), also when it first asks for another key share; rustls then learns the early
/// data was rejected.
#[test]
fn rustls_client_offering_a_ticket_and_early_data_gets_a_full_handshake() {
    let pki = Pki::new();
    let leaf = pki.leaf(&rcgen::PKCS_ECDSA_P256_SHA256);
    for (early, retry) in [(false, false), (true, false), (true, true)] {
        let mut client = pki.rustls_client(provider(None, None));
        client.enable_early_data = early;
        let client = Arc::new(client);
        let mut server = leaf.rustls_server(provider(None, None));
        server.max_early_data_size = if early { 16384 } else { 0 };
        let mut c = rustls::ClientConnection::new(client.clone(), localhost()).unwrap();
        let mut s = rustls::ServerConnection::new(Arc::new(server)).unwrap();
        rustls_to_rustls(&mut c, &mut s);

        let mut c = rustls::ClientConnection::new(client, localhost()).unwrap();
        let zero_rtt = vec![0x42u8; 5000];
        if early {
            let mut ed = c.early_data().expect("rustls should offer 0-RTT");
            ed.write_all(&zero_rtt).unwrap();
        }
        let mut server = leaf.padlock_server();
        if retry {
            server.groups = vec![&crypto::SECP384R1];
        }
        let server = Connection::server(Arc::new(server)).unwrap();
        let mut pair = Pair::new(server, c.into()).connected();
        assert_eq!(pair.padlock.info().hello_retry, retry);
        assert!(!pair.padlock.info().resumed);
        assert!(pair.padlock_got.is_empty(), "0-RTT data leaked");
        let rustls::Connection::Client(c) = &pair.rustls else {
            unreachable!()
        };
        assert!(!c.is_early_data_accepted());
        pair.ping_pong();
    }
}

// ---- backpressure and SNI ----

/// padlock's application stops reading: padlock stops taking TLS bytes once it holds its
/// plaintext limit, the rest waits in the transport, and nothing is lost when reading
/// resumes, including a KeyUpdate and close_notify queued behind the data.
#[test]
fn padlock_backpressure_against_rustls() {
    let pki = Pki::new();
    let leaf = pki.leaf(&rcgen::PKCS_ECDSA_P256_SHA256);
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 253) as u8).collect();
    let mut pair = Pair::padlock_server(
        leaf.padlock_server(),
        pki.rustls_client(provider(None, None)),
    )
    .connected();
    pair.padlock_reads = false;
    let mut sent = 0;
    while sent < data.len() {
        sent += pair.rustls.writer().write(&data[sent..]).unwrap();
        pair.step();
    }
    pair.rustls.refresh_traffic_keys().unwrap();
    pair.rustls.writer().write_all(b"after the update").unwrap();
    pair.rustls.send_close_notify();
    pair.step();
    assert!(
        pair.to_padlock.len() > 500_000,
        "padlock took {} bytes without being read",
        sent - pair.to_padlock.len()
    );
    assert!(pair.padlock.readable() <= 64 * 1024 + 16 * 1024);
    assert!(!pair.padlock.peer_closed());

    pair.padlock_reads = true;
    pair.settle();
    assert_eq!(pair.padlock_got.len(), data.len() + 16);
    assert!(pair.padlock_got[..data.len()] == data[..]);
    assert_eq!(&pair.padlock_got[data.len()..], b"after the update");
    assert!(pair.padlock.peer_closed());
    assert!(pair.padlock_events().contains(&Event::PeerKeyUpdated {
        update_requested: true
    }));
}

#[test]
fn rustls_client_sni_selects_the_certificate() {
    let pki = Pki::new();
    let a = pki.leaf_for(&["a.test"], &rcgen::PKCS_ECDSA_P256_SHA256);
    let b = pki.leaf_for(&["b.test"], &rcgen::PKCS_ED25519);
    let mut resolver = padlock::SniResolver::new();
    resolver.add(Arc::new(a.padlock_key()));
    resolver.add(Arc::new(b.padlock_key()));
    let server = ServerConfig::new(Arc::new(resolver)).unwrap();
    for (name, leaf) in [("b.test", &b), ("a.test", &a)] {
        let client = rustls::ClientConnection::new(
            Arc::new(pki.rustls_client(provider(None, None))),
            ServerName::try_from(name).unwrap(),
        )
        .unwrap();
        let padlock = Connection::server(Arc::new(server.clone())).unwrap();
        let mut pair = Pair::new(padlock, client.into()).connected();
        assert_eq!(pair.padlock.info().server_name.as_deref(), Some(name));
        assert_eq!(
            pair.rustls.peer_certificates().unwrap().to_vec(),
            leaf.chain
        );
        pair.ping_pong();
    }

    // Without SNI the server presents its default (first) certificate.
    let mut client = pki.rustls_client(provider(None, None));
    client.enable_sni = false;
    let client =
        rustls::ClientConnection::new(Arc::new(client), ServerName::try_from("a.test").unwrap())
            .unwrap();
    let padlock = Connection::server(Arc::new(server)).unwrap();
    let pair = Pair::new(padlock, client.into()).connected();
    assert_eq!(pair.padlock.info().server_name, None);
}

// ---- OCSP stapling (RFC 8446 §4.4.2.1) ----

/// A well-formed DER OCSPResponse (status tryLater): the TLS layer carries it opaquely.
const OCSP_STAPLE: &[u8] = &[0x30, 0x03, 0x0a, 0x01, 0x03];

/// rustls's own verifier, recording the OCSP response rustls hands it (rustls asks for one
/// in every ClientHello).
#[derive(Debug)]
struct StapleRecorder {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
    staple: std::sync::Mutex<Option<Vec<u8>>>,
}

impl rustls::client::danger::ServerCertVerifier for StapleRecorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: padlock::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        *self.staple.lock().unwrap() = Some(ocsp_response.to_vec());
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[test]
fn ocsp_staple_from_rustls_server_reaches_padlock_client() {
    let pki = Pki::new();
    let leaf = pki.leaf(&rcgen::PKCS_ECDSA_P256_SHA256);
    let server = rustls::ServerConfig::builder_with_provider(provider(None, None))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert_with_ocsp(leaf.chain.clone(), leaf.rustls_key(), OCSP_STAPLE.to_vec())
        .unwrap();
    let mut client = pki.padlock_client();
    client.request_ocsp = true;
    let mut pair = Pair::padlock_client(client, server.clone()).connected();
    assert_eq!(
        pair.padlock.info().ocsp_response.as_deref(),
        Some(OCSP_STAPLE)
    );
    pair.ping_pong();
    // Not asked, not sent: rustls staples only for a status_request.
    let pair = Pair::padlock_client(pki.padlock_client(), server).connected();
    assert_eq!(pair.padlock.info().ocsp_response, None);
}

#[test]
fn ocsp_staple_from_padlock_server_reaches_rustls_client() {
    let pki = Pki::new();
    let leaf = pki.leaf(&rcgen::PKCS_ECDSA_P256_SHA256);
    let key = leaf
        .padlock_key()
        .with_ocsp_response(OCSP_STAPLE.to_vec())
        .unwrap();
    let server = ServerConfig::with_single_cert(key).unwrap();
    let provider = provider(None, None);
    let recorder = Arc::new(StapleRecorder {
        inner: rustls::client::WebPkiServerVerifier::builder_with_provider(
            Arc::new(pki.rustls_roots()),
            provider.clone(),
        )
        .build()
        .unwrap(),
        staple: std::sync::Mutex::new(None),
    });
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    let mut pair = Pair::padlock_server(server, client).connected();
    pair.ping_pong();
    assert_eq!(
        recorder.staple.lock().unwrap().as_deref(),
        Some(OCSP_STAPLE)
    );
}
