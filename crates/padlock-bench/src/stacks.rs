//! The two stacks behind one small trait, so that every benchmark drives padlock and rustls
//! through literally the same code: same steps, same buffers, same order of calls.

use std::io::{self, BufRead, Read, Write};
use std::sync::Arc;

use crate::pki::{Identity, SERVER_NAME};

/// The cipher suites and groups the rows name, by their IANA names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Suite {
    Aes128Gcm,
    Aes256Gcm,
    Chacha20Poly1305,
}

impl Suite {
    pub const ALL: [Suite; 3] = [Suite::Aes128Gcm, Suite::Aes256Gcm, Suite::Chacha20Poly1305];

    pub fn label(self) -> &'static str {
        match self {
            Suite::Aes128Gcm => "TLS_AES_128_GCM_SHA256",
            Suite::Aes256Gcm => "TLS_AES_256_GCM_SHA384",
            Suite::Chacha20Poly1305 => "TLS_CHACHA20_POLY1305_SHA256",
        }
    }

    fn padlock(self) -> &'static padlock::crypto::CipherSuite {
        match self {
            Suite::Aes128Gcm => &padlock::crypto::TLS_AES_128_GCM_SHA256,
            Suite::Aes256Gcm => &padlock::crypto::TLS_AES_256_GCM_SHA384,
            Suite::Chacha20Poly1305 => &padlock::crypto::TLS_CHACHA20_POLY1305_SHA256,
        }
    }

    fn rustls(self) -> rustls::SupportedCipherSuite {
        use rustls::crypto::aws_lc_rs::cipher_suite as cs;
        match self {
            Suite::Aes128Gcm => cs::TLS13_AES_128_GCM_SHA256,
            Suite::Aes256Gcm => cs::TLS13_AES_256_GCM_SHA384,
            Suite::Chacha20Poly1305 => cs::TLS13_CHACHA20_POLY1305_SHA256,
        }
    }

    /// The aws-lc-rs AEAD of the suite, for the floor.
    pub fn aead(self) -> &'static aws_lc_rs::aead::Algorithm {
        self.padlock().aead
    }
}

/// Key-exchange groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    X25519,
    X25519MlKem768,
}

impl Group {
    pub const ALL: [Group; 2] = [Group::X25519, Group::X25519MlKem768];

    pub fn label(self) -> &'static str {
        match self {
            Group::X25519 => "X25519",
            Group::X25519MlKem768 => "X25519MLKEM768",
        }
    }

    fn padlock(self) -> &'static padlock::crypto::Group {
        match self {
            Group::X25519 => &padlock::crypto::X25519,
            Group::X25519MlKem768 => &padlock::crypto::X25519MLKEM768,
        }
    }

    fn rustls(self) -> &'static dyn rustls::crypto::SupportedKxGroup {
        use rustls::crypto::aws_lc_rs::kx_group;
        match self {
            Group::X25519 => kx_group::X25519,
            Group::X25519MlKem768 => kx_group::X25519MLKEM768,
        }
    }
}

/// One connection endpoint as the benchmarks see it. Each method is one thing an application
/// does with a TLS library; the time spent in it is charged to that endpoint's side.
pub trait Endpoint {
    /// Takes TLS bytes that arrived from the transport and processes every complete record.
    /// Returns how many bytes were taken (fewer when received plaintext must be read first).
    fn take_tls(&mut self, data: &[u8]) -> usize;
    /// Moves every TLS byte waiting to be sent into `wire`.
    fn give_tls(&mut self, wire: &mut Vec<u8>);
    /// Hands application data to the library for sending.
    fn write_plain(&mut self, data: &[u8]);
    /// Copies received application data into `buf`; 0 when none is waiting.
    fn read_plain(&mut self, buf: &mut [u8]) -> usize;
    /// Takes the received application data the library lends where it holds it (a borrowing
    /// read, as `BufRead::fill_buf` + `consume`) and marks it read; 0 when none is waiting.
    /// The slice goes through `black_box`, standing for an application that uses it there.
    fn read_plain_in_place(&mut self) -> usize;
    /// Whether the handshake is still under way.
    fn is_handshaking(&self) -> bool;
    /// Whether the handshake was a full one without HelloRetryRequest (`resumed == false`)
    /// or a resumption (`resumed == true`), for counting only rounds of the intended shape.
    fn had_shape(&self, resumed: bool) -> bool;
    /// The negotiated (group, suite) labels, to check the setup once per row.
    fn negotiated(&self) -> (String, String);
}

/// Which stack a configuration is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stack {
    Padlock,
    Rustls,
}

// ---- padlock ----------------------------------------------------------------------------

/// padlock's client and server configurations for one row.
pub struct PadlockConfigs {
    pub client: Arc<padlock::ClientConfig>,
    pub server: Arc<padlock::ServerConfig>,
}

impl PadlockConfigs {
    /// The client offers exactly `suite` and `group`; the server accepts padlock's defaults
    /// (every suite and group), as a real server would. `resumption` turns on stateless
    /// tickets (one per handshake, as for rustls) and the client's in-memory ticket store, for
    /// the `resume` rows; without it neither side keeps or issues tickets.
    pub fn new(id: &Identity, suite: Suite, group: Group, resumption: bool) -> Self {
        let mut roots = padlock::padlock_cert::RootStore::empty();
        roots.add_der(&id.root).expect("root certificate");
        let mut client = padlock::ClientConfig::new(roots);
        client.cipher_suites = vec![suite.padlock()];
        client.set_groups(vec![group.padlock()]);
        use padlock::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
        let chain = id
            .chain
            .iter()
            .map(|c| CertificateDer::from(c.clone()))
            .collect();
        let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.key_pkcs8.clone()));
        let signing_key = padlock::crypto::SigningKey::from_der(&der).expect("server key");
        let key = padlock::CertifiedKey::new(chain, signing_key).expect("server certificate");
        let mut server = padlock::ServerConfig::with_single_cert(key).expect("server config");
        if resumption {
            server.send_tickets = 1;
        } else {
            server.ticket_issuer = None;
            client.session_store = None;
        }
        Self {
            client: Arc::new(client),
            server: Arc::new(server),
        }
    }

    pub fn new_client(&self) -> padlock::Connection {
        let name = padlock::pki_types::ServerName::try_from(SERVER_NAME).expect("server name");
        padlock::Connection::client(self.client.clone(), name).expect("padlock client")
    }

    pub fn new_server(&self) -> padlock::Connection {
        padlock::Connection::server(self.server.clone()).expect("padlock server")
    }
}

impl Endpoint for padlock::Connection {
    fn take_tls(&mut self, data: &[u8]) -> usize {
        self.feed_tls(data)
            .expect("padlock: processing received TLS")
    }

    fn give_tls(&mut self, wire: &mut Vec<u8>) {
        let pending = self.pending_tls();
        let n = pending.len();
        wire.extend_from_slice(pending);
        self.consume_tls(n);
    }

    fn write_plain(&mut self, data: &[u8]) {
        let n = self.write(data).expect("padlock: write");
        assert_eq!(n, data.len(), "padlock accepts every write whole");
    }

    fn read_plain(&mut self, buf: &mut [u8]) -> usize {
        self.read(buf).expect("padlock: read")
    }

    fn read_plain_in_place(&mut self) -> usize {
        let n = std::hint::black_box(self.plaintext()).len();
        self.consume_plaintext(n)
            .expect("padlock: consume_plaintext");
        n
    }

    fn is_handshaking(&self) -> bool {
        padlock::Connection::is_handshaking(self)
    }

    fn had_shape(&self, resumed: bool) -> bool {
        let info = self.info();
        info.resumed == resumed && !info.hello_retry
    }

    fn negotiated(&self) -> (String, String) {
        let info = self.info();
        (
            info.group_name.unwrap_or("none").to_string(),
            info.cipher_suite.unwrap_or("none").to_string(),
        )
    }
}

// ---- rustls -----------------------------------------------------------------------------

/// rustls's client and server configurations for one row: the aws-lc-rs provider, TLS 1.3
/// only, the same certificates, suite and group as padlock's.
pub struct RustlsConfigs {
    pub client: Arc<rustls::ClientConfig>,
    pub server: Arc<rustls::ServerConfig>,
}

impl RustlsConfigs {
    /// Full handshakes: no session cache on either side and no tickets, as padlock's
    /// `handshake` rows. `resumption` turns on stateless tickets (one per handshake)
    /// and a client session cache, for the `resume` rows.
    pub fn new(id: &Identity, suite: Suite, group: Group, resumption: bool) -> Self {
        use rustls::crypto::aws_lc_rs as provider;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

        let mut client_provider = provider::default_provider();
        client_provider.cipher_suites = vec![suite.rustls()];
        client_provider.kx_groups = vec![group.rustls()];
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from(id.root.clone()))
            .expect("root certificate");
        let mut client = rustls::ClientConfig::builder_with_provider(Arc::new(client_provider))
            .with_protocol_versions(&[&rustls::version::TLS13])
            .expect("TLS 1.3")
            .with_root_certificates(roots)
            .with_no_client_auth();

        let chain = id
            .chain
            .iter()
            .map(|c| CertificateDer::from(c.clone()))
            .collect();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.key_pkcs8.clone()));
        let mut server =
            rustls::ServerConfig::builder_with_provider(Arc::new(provider::default_provider()))
                .with_protocol_versions(&[&rustls::version::TLS13])
                .expect("TLS 1.3")
                .with_no_client_auth()
                .with_single_cert(chain, key)
                .expect("server certificate and key");

        if resumption {
            client.resumption = rustls::client::Resumption::in_memory_sessions(256);
            server.ticketer = provider::Ticketer::new().expect("ticketer");
            server.send_tls13_tickets = 1;
        } else {
            client.resumption = rustls::client::Resumption::disabled();
            server.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
            server.send_tls13_tickets = 0;
        }
        Self {
            client: Arc::new(client),
            server: Arc::new(server),
        }
    }

    pub fn new_client(&self) -> rustls::ClientConnection {
        let name = rustls::pki_types::ServerName::try_from(SERVER_NAME).expect("server name");
        let mut c =
            rustls::ClientConnection::new(self.client.clone(), name).expect("rustls client");
        // padlock accepts every write whole; so must rustls (its default caps unsent TLS at
        // 64 KiB, which a 1 MiB write exceeds). rustls-bench does the same.
        c.set_buffer_limit(None);
        c
    }

    pub fn new_server(&self) -> rustls::ServerConnection {
        let mut s = rustls::ServerConnection::new(self.server.clone()).expect("rustls server");
        s.set_buffer_limit(None);
        s
    }
}

macro_rules! rustls_endpoint {
    ($conn:ty) => {
        impl Endpoint for $conn {
            fn take_tls(&mut self, data: &[u8]) -> usize {
                let mut rd = data;
                let n = self.read_tls(&mut rd).expect("rustls: read_tls");
                self.process_new_packets()
                    .expect("rustls: processing received TLS");
                n
            }

            fn give_tls(&mut self, wire: &mut Vec<u8>) {
                while self.wants_write() {
                    self.write_tls(wire).expect("rustls: write_tls");
                }
            }

            fn write_plain(&mut self, data: &[u8]) {
                self.writer().write_all(data).expect("rustls: write");
            }

            fn read_plain(&mut self, buf: &mut [u8]) -> usize {
                match self.reader().read(buf) {
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => 0,
                    Err(e) => panic!("rustls: read: {e}"),
                }
            }

            fn read_plain_in_place(&mut self) -> usize {
                let mut reader = self.reader();
                let n = match reader.fill_buf() {
                    Ok(lent) => std::hint::black_box(lent).len(),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => 0,
                    Err(e) => panic!("rustls: fill_buf: {e}"),
                };
                reader.consume(n);
                n
            }

            fn is_handshaking(&self) -> bool {
                // The inherent method (through Deref), not this trait's.
                std::ops::Deref::deref(self).is_handshaking()
            }

            fn had_shape(&self, resumed: bool) -> bool {
                let want = if resumed {
                    rustls::HandshakeKind::Resumed
                } else {
                    rustls::HandshakeKind::Full
                };
                self.handshake_kind() == Some(want)
            }

            fn negotiated(&self) -> (String, String) {
                let group = self
                    .negotiated_key_exchange_group()
                    .map(|g| format!("{:?}", g.name()))
                    .unwrap_or_else(|| "none".into());
                let suite = self
                    .negotiated_cipher_suite()
                    .map(|s| format!("{:?}", s.suite()))
                    .unwrap_or_else(|| "none".into());
                (group, suite)
            }
        }
    };
}

rustls_endpoint!(rustls::ClientConnection);
rustls_endpoint!(rustls::ServerConnection);

/// rustls prints TLS 1.3 suites as `TLS13_AES_128_GCM_SHA256`; padlock by IANA name.
pub fn same_suite(a: &str, b: &str) -> bool {
    a.trim_start_matches("TLS13_").trim_start_matches("TLS_")
        == b.trim_start_matches("TLS13_").trim_start_matches("TLS_")
}
