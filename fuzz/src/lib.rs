//! Shared fixtures for the connection fuzz targets: a few server and client configurations
//! (built once per process) and a driver that feeds input-chosen chunks to a [`Connection`].
//!
//! The input's first byte is a "knobs" byte (which configuration, how to chunk the wire);
//! the rest is what the peer sent. Seeds in `fuzz/seeds/` follow the same layout.

use std::sync::{Arc, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use padlock::crypto;
use padlock::padlock_cert::RootStore;
use padlock::pki_types::ServerName;
use padlock::resumption::{
    ClientSession, MemorySessionStore, ServerSession, SessionStore, TicketIssuer,
    MAX_TICKET_LIFETIME,
};
use padlock::verify::ClientChainVerifier;
use padlock::{CertifiedKey, ClientConfig, Connection, ServerConfig, SingleCert};
use zeroize::Zeroizing;

/// A certificate for localhost from a throwaway CA, and that CA as the only root.
/// The fixtures' PKI: (roots, chain PEM, key PEM).
pub fn pki() -> &'static (RootStore, String, String) {
    static PKI: OnceLock<(RootStore, String, String)> = OnceLock::new();
    PKI.get_or_init(|| {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
        let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let mut roots = RootStore::empty();
        roots.add_der(ca.der()).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let leaf = CertificateParams::new(vec!["localhost".to_string()])
            .unwrap()
            .signed_by(&key, &issuer)
            .unwrap();
        let chain = format!("{}{}", leaf.pem(), ca.pem());
        (roots, chain, key.serialize_pem())
    })
}

/// Tickets that are the session state itself, unsealed: the fuzzer can then write tickets
/// the server redeems, and seeds recorded in one process stay valid in the next (the real
/// `Ticketer` seals under a random per-process key). Fuzzing only.
struct PlainTickets;

impl TicketIssuer for PlainTickets {
    fn issue(&self, state: &[u8]) -> Option<Vec<u8>> {
        Some(state.to_vec())
    }

    /// Restamps a well-formed state as issued now, so that recorded seeds never expire.
    fn redeem(&self, ticket: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        match ServerSession::decode(ticket) {
            Ok(mut session) => {
                session.issued_ms = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as u64);
                Some(session.encode())
            }
            Err(_) => Some(Zeroizing::new(ticket.to_vec())),
        }
    }

    fn lifetime(&self) -> u32 {
        MAX_TICKET_LIFETIME
    }
}

/// The fixtures' server certificate, parsed once.
fn server_key() -> Arc<CertifiedKey> {
    static KEY: OnceLock<Arc<CertifiedKey>> = OnceLock::new();
    let (_, chain, key) = pki();
    Arc::clone(KEY.get_or_init(|| {
        Arc::new(CertifiedKey::from_pem(chain.as_bytes(), key.as_bytes()).unwrap())
    }))
}

fn new_server_config() -> ServerConfig {
    ServerConfig::new(Arc::new(SingleCert(server_key()))).unwrap()
}

/// Server configurations the knobs choose between:
/// 0. defaults;
/// 1. accepts only secp384r1: a ClientHello sharing X25519 gets a HelloRetryRequest, so the
///    second ClientHello is reachable in plaintext; ALPN h2;
/// 2. ALPN, tracing, and an optional client certificate (CertificateRequest);
/// 3. resumption with [`PlainTickets`] and 0-RTT: PSK binders, early data, replay checks.
///    Built afresh for each call, so that its replay guard has not seen the ticket yet.
pub fn server_config(knobs: u8) -> Arc<ServerConfig> {
    static CONFIGS: OnceLock<Vec<Arc<ServerConfig>>> = OnceLock::new();
    let configs = CONFIGS.get_or_init(|| {
        let plain = new_server_config();
        let mut hrr = new_server_config();
        hrr.groups = vec![&crypto::SECP384R1];
        hrr.alpn_protocols = vec![b"h2".to_vec()];
        let mut alpn = new_server_config();
        alpn.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        alpn.client_verifier = Some(Arc::new(ClientChainVerifier::optional(Arc::new(
            pki().0.clone(),
        ))));
        alpn.trace = true;
        [plain, hrr, alpn].map(Arc::new).to_vec()
    });
    match configs.get(usize::from(knobs % 4)) {
        Some(config) => Arc::clone(config),
        None => {
            let mut resume = new_server_config();
            resume.ticket_issuer = Some(Arc::new(PlainTickets));
            resume.max_early_data_size = 16 * 1024;
            resume.alpn_protocols = vec![b"http/1.1".to_vec()];
            Arc::new(resume)
        }
    }
}

/// A session store that always holds the same ticket: every connection offers it.
struct OneTicket(ClientSession);

impl SessionStore for OneTicket {
    fn put(&self, _: ClientSession) {}

    fn take(&self, _: &str) -> Option<ClientSession> {
        Some(self.0.clone())
    }
}

/// A ticket from a real handshake with server configuration 3, which allows 0-RTT.
fn ticket() -> ClientSession {
    let store = Arc::new(MemorySessionStore::default());
    let mut config = ClientConfig::new(pki().0.clone());
    config.session_store = Some(store.clone());
    // 0-RTT needs the same ALPN as the ticket's connection (RFC 8446 §4.2.10).
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let mut client = Connection::client(Arc::new(config), localhost()).unwrap();
    let mut server = Connection::server(server_config(3)).unwrap();
    let ex = handshake(&mut client, &mut server);
    assert!(ex.error.is_none() && !client.is_handshaking());
    store.take("localhost").unwrap()
}

/// Client configurations:
/// 0. defaults (shares X25519MLKEM768 and X25519);
/// 1. shares only secp256r1, no middlebox compatibility;
/// 2. ALPN and tracing;
/// 3. offers a ticket (pre_shared_key) and 0-RTT.
pub fn client_config(knobs: u8) -> Arc<ClientConfig> {
    static CONFIGS: OnceLock<Vec<Arc<ClientConfig>>> = OnceLock::new();
    let configs = CONFIGS.get_or_init(|| {
        let roots = || pki().0.clone();
        let plain = ClientConfig::new(roots());
        let mut p256 = ClientConfig::new(roots());
        p256.key_share_groups = vec![&crypto::SECP256R1];
        p256.middlebox_compat = false;
        let mut alpn = ClientConfig::new(roots());
        alpn.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        alpn.trace = true;
        let mut resume = ClientConfig::new(roots());
        resume.session_store = Some(Arc::new(OneTicket(ticket())));
        resume.enable_early_data = true;
        resume.alpn_protocols = vec![b"http/1.1".to_vec()];
        [plain, p256, alpn, resume].map(Arc::new).to_vec()
    });
    Arc::clone(&configs[usize::from(knobs) % configs.len()])
}

/// The name every fixture connects to.
pub fn localhost() -> ServerName<'static> {
    ServerName::try_from("localhost").unwrap()
}

/// The bytes each side sent in [`handshake`].
#[derive(Default)]
pub struct Exchange {
    /// Everything the client sent.
    pub to_server: Vec<u8>,
    /// Everything the server sent.
    pub to_client: Vec<u8>,
    /// The first error either side hit, if any.
    pub error: Option<padlock::Error>,
}

/// Runs a handshake in memory, then lets post-handshake messages (tickets) arrive. A
/// failure (no common ALPN, say) ends the exchange: its alert is recorded too.
pub fn handshake(client: &mut Connection, server: &mut Connection) -> Exchange {
    let mut ex = Exchange::default();
    for _ in 0..10 {
        let c = client.pending_tls().to_vec();
        client.consume_tls(c.len());
        ex.to_server.extend_from_slice(&c);
        if let Err(e) = server.feed_tls(&c) {
            ex.to_client.extend_from_slice(server.pending_tls());
            ex.error = Some(e);
            break;
        }
        let s = server.pending_tls().to_vec();
        server.consume_tls(s.len());
        ex.to_client.extend_from_slice(&s);
        if let Err(e) = client.feed_tls(&s) {
            ex.to_server.extend_from_slice(client.pending_tls());
            ex.error = Some(e);
            break;
        }
    }
    ex
}

/// A client that has already produced its ClientHello (discarded: the fuzzer plays the
/// server).
pub fn client(knobs: u8) -> Connection {
    let mut conn = Connection::client(client_config(knobs), localhost()).unwrap();
    // With a ticket that allows it, the first flight carries 0-RTT data too.
    let _ = conn.write_early_data(b"GET / HTTP/1.1\r\n\r\n");
    let n = conn.pending_tls().len();
    conn.consume_tls(n);
    conn
}

/// Feeds `wire` to `conn` in chunks whose size the knobs choose, draining everything the
/// connection produces (TLS bytes, events, plaintext) after each chunk, then signals end of
/// stream. Any panic is a bug: RFC 8446 wants every malformed input to end in an alert.
pub fn drive(mut conn: Connection, knobs: u8, wire: &[u8]) {
    // Chunk sizes 1, 6, 11, ... 156, and "everything at once".
    let chunk = match knobs >> 3 {
        31 => usize::MAX,
        k => usize::from(k) * 5 + 1,
    };
    let mut plaintext = [0u8; 4096];
    let mut rest = wire;
    while !rest.is_empty() {
        let now = rest.get(..chunk.min(rest.len())).unwrap_or_default();
        match conn.feed_tls(now) {
            Ok(taken) => {
                // A connection only refuses bytes when plaintext waits for the application
                // or the peer has closed (RFC 8446 §6.1: later data is ignored).
                if taken < now.len() {
                    assert!(
                        conn.readable() > 0 || conn.peer_closed(),
                        "feed_tls stalled with nothing to read"
                    );
                }
                rest = rest.get(taken..).unwrap_or_default();
            }
            Err(e) => {
                // A failed connection stays failed, with the same error, and holds its alert.
                assert!(
                    conn.error().is_some(),
                    "feed_tls failed without recording {e:?}"
                );
                assert!(conn.feed_tls(b"\x16\x03\x03\x00\x00").is_err());
                let _ = e.alert();
                let _ = e.to_string();
                break;
            }
        }
        let pending = conn.pending_tls().len();
        conn.consume_tls(pending);
        while conn.next_event().is_some() {}
        let _ = conn.take_early_data();
        while let Ok(n) = conn.read(&mut plaintext) {
            if n == 0 {
                break;
            }
        }
        if conn.peer_closed() {
            break;
        }
    }
    let _ = conn.recv_eof();
    let _ = conn.info();
    let _ = conn.write(b"after the end");
    conn.send_close_notify();
}
