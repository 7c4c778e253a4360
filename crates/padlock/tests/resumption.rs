//! Resumption, 0-RTT with replay protection, and client certificates, padlock <-> padlock
//! in memory (RFC 8446 §2.2, §2.3, §4.2.10, §4.2.11, §4.3.2, §4.6.1, §8).

use std::sync::Arc;

use padlock::alert::AlertDescription;
use padlock::crypto;
use padlock::padlock_cert::RootStore;
use padlock::pki_types::ServerName;
use padlock::resumption::{
    MemorySessionStore, ServerSession, SessionCache, SessionStore, TicketIssuer, Ticketer,
};
use padlock::{
    CertifiedKey, ClientChainVerifier, ClientConfig, Connection, Error, Event, ServerConfig,
};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

struct Pki {
    roots: RootStore,
    issuer: Issuer<'static, KeyPair>,
}

impl Pki {
    fn new() -> Self {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "padlock resumption test CA");
        let ca = params.self_signed(&key).unwrap();
        let mut roots = RootStore::empty();
        roots.add_der(ca.der()).unwrap();
        Self {
            roots,
            issuer: Issuer::new(params, key),
        }
    }

    fn leaf(&self, name: &str) -> CertifiedKey {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = CertificateParams::new(vec![name.to_string()]).unwrap();
        // RFC 5280 §4.2.1.1: CAs put an authorityKeyIdentifier in what they issue.
        params.use_authority_key_identifier_extension = true;
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        CertifiedKey::from_pem(cert.pem().as_bytes(), key.serialize_pem().as_bytes()).unwrap()
    }

    fn server(&self) -> ServerConfig {
        ServerConfig::with_single_cert(self.leaf("localhost")).unwrap()
    }

    fn client(&self) -> ClientConfig {
        ClientConfig::new(self.roots.clone())
    }
}

fn localhost() -> ServerName<'static> {
    ServerName::try_from("localhost").unwrap()
}

fn transfer(from: &mut Connection, to: &mut Connection) -> Result<(), Error> {
    while from.wants_write() {
        let data = from.pending_tls().to_vec();
        let n = to.feed_tls(&data)?;
        from.consume_tls(n);
        if n == 0 {
            break;
        }
    }
    Ok(())
}

fn handshake(c: &mut Connection, s: &mut Connection) -> Result<(), Error> {
    for _ in 0..10 {
        transfer(c, s)?;
        transfer(s, c)?;
        if !c.is_handshaking() && !s.is_handshaking() {
            transfer(c, s)?;
            return Ok(());
        }
    }
    panic!("no progress");
}

fn events(c: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| c.next_event()).collect()
}

/// A full handshake whose tickets land in `client`'s store.
fn first_visit(client: &Arc<ClientConfig>, server: &Arc<ServerConfig>) {
    let mut c = Connection::client(client.clone(), localhost()).unwrap();
    let mut s = Connection::server(server.clone()).unwrap();
    handshake(&mut c, &mut s).unwrap();
    assert!(!c.info().resumed);
    let tickets = events(&mut c)
        .into_iter()
        .filter(|e| *e == Event::TicketReceived)
        .count();
    assert_eq!(tickets, 2, "the server sends two tickets by default");
}

#[test]
fn second_connection_resumes_without_certificates() {
    let pki = Pki::new();
    let client = Arc::new(pki.client());
    let server = Arc::new(pki.server());
    first_visit(&client, &server);

    let mut c = Connection::client(client.clone(), localhost()).unwrap();
    let mut s = Connection::server(server.clone()).unwrap();
    handshake(&mut c, &mut s).unwrap();
    assert!(c.info().resumed && s.info().resumed);
    assert!(
        c.info().peer_certificates.is_empty(),
        "no Certificate in a PSK handshake"
    );
    c.write(b"resumed").unwrap();
    transfer(&mut c, &mut s).unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(s.read(&mut buf).unwrap(), 7);
}

#[test]
fn resumption_across_a_hello_retry_request() {
    let pki = Pki::new();
    let mut client = pki.client();
    client.set_groups(vec![&crypto::X25519, &crypto::SECP384R1]);
    client.key_share_groups = vec![&crypto::X25519];
    let client = Arc::new(client);
    let mut server = pki.server();
    server.groups = vec![&crypto::SECP384R1];
    let server = Arc::new(server);
    first_visit(&client, &server);
    let mut c = Connection::client(client, localhost()).unwrap();
    let mut s = Connection::server(server).unwrap();
    handshake(&mut c, &mut s).unwrap();
    assert!(c.info().resumed && c.info().hello_retry);
}

fn early_data_configs(pki: &Pki) -> (Arc<ClientConfig>, Arc<ServerConfig>) {
    let mut client = pki.client();
    client.enable_early_data = true;
    let mut server = pki.server();
    server.max_early_data_size = 16384;
    (Arc::new(client), Arc::new(server))
}

#[test]
fn early_data_is_accepted_once() {
    let pki = Pki::new();
    let (client, server) = early_data_configs(&pki);
    first_visit(&client, &server);

    let mut c = Connection::client(client.clone(), localhost()).unwrap();
    assert_eq!(c.write_early_data(b"GET / HTTP/1.1\r\n\r\n").unwrap(), 18);
    let first_flight = c.pending_tls().to_vec();
    let mut s = Connection::server(server.clone()).unwrap();
    handshake(&mut c, &mut s).unwrap();
    assert!(c.info().early_data_accepted && s.info().early_data_accepted);
    assert!(c.info().resumed);
    assert_eq!(s.take_early_data(), b"GET / HTTP/1.1\r\n\r\n");
    assert!(events(&mut s).contains(&Event::EarlyDataReceived));

    // An attacker replays the whole first flight to the same server: the ticket was used
    // for 0-RTT once, so the early data is refused.
    let mut replayed = Connection::server(server.clone()).unwrap();
    replayed.feed_tls(&first_flight).unwrap();
    assert!(!replayed.info().early_data_accepted);
    assert!(replayed.take_early_data().is_empty());
}

#[test]
fn replayed_client_hello_completes_without_early_data() {
    let pki = Pki::new();
    let (client, server) = early_data_configs(&pki);
    first_visit(&client, &server);

    let mut c = Connection::client(client, localhost()).unwrap();
    c.write_early_data(b"PING").unwrap();
    let flight = c.pending_tls().to_vec();
    c.consume_tls(flight.len());
    // The first server takes the early data...
    let mut s1 = Connection::server(server.clone()).unwrap();
    s1.feed_tls(&flight).unwrap();
    assert!(s1.info().early_data_accepted);
    // ...the same bytes reach a second server (a replay); the client finishes with it.
    let mut s2 = Connection::server(server).unwrap();
    s2.feed_tls(&flight).unwrap();
    assert!(!s2.info().early_data_accepted);
    handshake(&mut c, &mut s2).unwrap();
    assert!(c.info().resumed, "resumed, but without 0-RTT");
    assert!(!c.info().early_data_accepted);
    assert!(s2.take_early_data().is_empty());
    assert!(events(&mut c).contains(&Event::EarlyDataRejected { resent: false }));
}

#[test]
fn rejected_early_data_is_resent_when_asked() {
    let pki = Pki::new();
    let (client, server) = early_data_configs(&pki);
    first_visit(&client, &server);
    let mut resend = (*client).clone();
    resend.resend_rejected_early_data = true;
    // A server that no longer takes early data.
    let mut strict = (*server).clone();
    strict.max_early_data_size = 0;
    let mut c = Connection::client(Arc::new(resend), localhost()).unwrap();
    assert_eq!(c.write_early_data(b"hello").unwrap(), 5);
    let mut s = Connection::server(Arc::new(strict)).unwrap();
    handshake(&mut c, &mut s).unwrap();
    assert!(c.info().resumed && !c.info().early_data_accepted);
    transfer(&mut c, &mut s).unwrap();
    let mut buf = [0u8; 16];
    let n = s.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hello", "resent as ordinary data");
}

#[test]
fn tampered_binder_is_decrypt_error_and_no_early_data() {
    let pki = Pki::new();
    let (client, server) = early_data_configs(&pki);
    first_visit(&client, &server);
    let mut c = Connection::client(client, localhost()).unwrap();
    c.write_early_data(b"x").unwrap();
    let mut flight = c.pending_tls().to_vec();
    // The ClientHello is the first record; its last byte is the end of the binder.
    let ch_len = u16::from_be_bytes([flight[3], flight[4]]) as usize;
    flight[5 + ch_len - 1] ^= 0x01;
    let mut s = Connection::server(server).unwrap();
    let err = s.feed_tls(&flight).unwrap_err();
    assert!(matches!(err, Error::BadPskBinder), "{err:?}");
    assert_eq!(err.alert(), Some(AlertDescription::DECRYPT_ERROR));
    assert!(s.take_early_data().is_empty());
}

#[test]
fn ticket_from_another_server_key_means_a_full_handshake() {
    let pki = Pki::new();
    let (client, server) = early_data_configs(&pki);
    first_visit(&client, &server);
    let mut other = (*server).clone();
    other.ticket_issuer = Some(Arc::new(
        Ticketer::new(std::time::Duration::from_secs(3600)).unwrap(),
    ));
    let mut c = Connection::client(client, localhost()).unwrap();
    c.write_early_data(b"x").unwrap();
    let mut s = Connection::server(Arc::new(other)).unwrap();
    handshake(&mut c, &mut s).unwrap();
    assert!(!c.info().resumed && !s.info().resumed);
    assert!(!s.info().early_data_accepted);
    assert_eq!(c.info().peer_certificates.len(), 1, "full handshake again");
}

/// A ticket of a SHA-256 suite offered to a server that now prefers a SHA-384 suite: the
/// PSK cannot be used (RFC 8446 §4.2.11), the handshake is a full one under SHA-384, and
/// the client's transcript, hashed ahead with the ticket's SHA-256, is hashed again with
/// SHA-384.
#[test]
fn ticket_of_another_hash_means_a_full_handshake_under_the_new_hash() {
    let pki = Pki::new();
    let mut client = pki.client();
    client.cipher_suites = vec![&crypto::TLS_AES_128_GCM_SHA256];
    let store = client.session_store.clone();
    let client = Arc::new(client);
    let server = Arc::new(pki.server());
    first_visit(&client, &server);

    let mut client = pki.client();
    client.cipher_suites = vec![
        &crypto::TLS_AES_256_GCM_SHA384,
        &crypto::TLS_AES_128_GCM_SHA256,
    ];
    client.session_store = store;
    let mut server = pki.server();
    server.cipher_suites = vec![&crypto::TLS_AES_256_GCM_SHA384];
    let mut c = Connection::client(Arc::new(client), localhost()).unwrap();
    let mut s = Connection::server(Arc::new(server)).unwrap();
    handshake(&mut c, &mut s).unwrap();
    assert!(!c.info().resumed && !s.info().resumed);
    assert_eq!(c.info().cipher_suite, Some("TLS_AES_256_GCM_SHA384"));
    c.write(b"sha-384").unwrap();
    transfer(&mut c, &mut s).unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(s.read(&mut buf).unwrap(), 7);
}

/// Issues tickets that claim to be eight days old.
struct BackdatedIssuer(SessionCache);

impl TicketIssuer for BackdatedIssuer {
    fn issue(&self, state: &[u8]) -> Option<Vec<u8>> {
        let mut s = ServerSession::decode(state).ok()?;
        s.issued_ms -= 8 * 24 * 3600 * 1000;
        self.0.issue(&s.encode())
    }
    fn redeem(&self, ticket: &[u8]) -> Option<zeroize::Zeroizing<Vec<u8>>> {
        self.0.redeem(ticket)
    }
    fn lifetime(&self) -> u32 {
        self.0.lifetime()
    }
}

#[test]
fn expired_ticket_means_a_full_handshake() {
    let pki = Pki::new();
    let (client, server) = early_data_configs(&pki);
    let mut server = (*server).clone();
    server.ticket_issuer = Some(Arc::new(BackdatedIssuer(SessionCache::new(
        16,
        std::time::Duration::from_secs(3600),
    ))));
    let server = Arc::new(server);
    first_visit(&client, &server);
    let mut c = Connection::client(client, localhost()).unwrap();
    c.write_early_data(b"x").unwrap();
    let mut s = Connection::server(server).unwrap();
    handshake(&mut c, &mut s).unwrap();
    assert!(!s.info().resumed && !s.info().early_data_accepted);
}

#[test]
fn stateful_session_cache_resumes_once_per_ticket() {
    let pki = Pki::new();
    let mut server = pki.server();
    server.ticket_issuer = Some(Arc::new(SessionCache::new(
        64,
        std::time::Duration::from_secs(3600),
    )));
    server.send_tickets = 1;
    let server = Arc::new(server);
    let mut client = pki.client();
    client.session_store = Some(Arc::new(MemorySessionStore::new(4, 4)));
    let client = Arc::new(client);
    let mut c = Connection::client(client.clone(), localhost()).unwrap();
    let mut s = Connection::server(server.clone()).unwrap();
    handshake(&mut c, &mut s).unwrap();
    // Each resumed connection brings a fresh ticket, and each ticket works once.
    for _ in 0..3 {
        let mut c = Connection::client(client.clone(), localhost()).unwrap();
        let mut s = Connection::server(server.clone()).unwrap();
        handshake(&mut c, &mut s).unwrap();
        assert!(c.info().resumed);
        assert!(events(&mut c).contains(&Event::TicketReceived));
    }
    // A ticket replayed to the stateful cache is refused: full handshake.
    let store = Arc::new(MemorySessionStore::new(4, 4));
    let mut one = pki.client();
    one.session_store = Some(store.clone());
    let one = Arc::new(one);
    let mut c = Connection::client(one.clone(), localhost()).unwrap();
    let mut s = Connection::server(server.clone()).unwrap();
    handshake(&mut c, &mut s).unwrap();
    let ticket = store.take("localhost").unwrap();
    store.put(ticket.clone());
    let mut c = Connection::client(one.clone(), localhost()).unwrap();
    let mut s = Connection::server(server.clone()).unwrap();
    handshake(&mut c, &mut s).unwrap();
    assert!(c.info().resumed);
    store.put(ticket);
    let mut c = Connection::client(one, localhost()).unwrap();
    let mut s = Connection::server(server).unwrap();
    handshake(&mut c, &mut s).unwrap();
    assert!(!c.info().resumed, "a stateful ticket works once");
}

#[test]
fn client_certificate_required_and_presented() {
    let pki = Pki::new();
    let mut server = pki.server();
    server.client_verifier = Some(Arc::new(ClientChainVerifier::required(Arc::new(
        pki.roots.clone(),
    ))));
    let server = Arc::new(server);

    let mut client = pki.client();
    client.client_auth = Some(Arc::new(pki.leaf("client.padlock.test")));
    let mut c = Connection::client(Arc::new(client), localhost()).unwrap();
    let mut s = Connection::server(server.clone()).unwrap();
    handshake(&mut c, &mut s).unwrap();
    assert!(s.info().client_authenticated && c.info().client_authenticated);
    assert_eq!(s.info().peer_certificates.len(), 1);

    // Without a certificate: certificate_required.
    let mut c = Connection::client(Arc::new(pki.client()), localhost()).unwrap();
    let mut s = Connection::server(server).unwrap();
    let err = handshake(&mut c, &mut s).unwrap_err();
    assert!(matches!(err, Error::CertificateRequired), "{err:?}");
    let err = transfer(&mut s, &mut c).unwrap_err();
    assert!(matches!(
        err,
        Error::PeerAlert(AlertDescription::CERTIFICATE_REQUIRED)
    ));
}

#[test]
fn optional_client_certificate_may_be_absent() {
    let pki = Pki::new();
    let mut server = pki.server();
    server.client_verifier = Some(Arc::new(ClientChainVerifier::optional(Arc::new(
        pki.roots.clone(),
    ))));
    let mut c = Connection::client(Arc::new(pki.client()), localhost()).unwrap();
    let mut s = Connection::server(Arc::new(server)).unwrap();
    handshake(&mut c, &mut s).unwrap();
    assert!(!s.info().client_authenticated);
}

#[test]
fn client_certificate_from_an_unknown_ca_is_refused() {
    let pki = Pki::new();
    let stranger = Pki::new();
    let mut server = pki.server();
    server.client_verifier = Some(Arc::new(ClientChainVerifier::required(Arc::new(
        pki.roots.clone(),
    ))));
    let mut client = pki.client();
    client.client_auth = Some(Arc::new(stranger.leaf("client.padlock.test")));
    let mut c = Connection::client(Arc::new(client), localhost()).unwrap();
    let mut s = Connection::server(Arc::new(server)).unwrap();
    let err = handshake(&mut c, &mut s).unwrap_err();
    assert!(matches!(err, Error::Certificate(_)), "{err:?}");
}

#[test]
fn server_answers_early_data_in_its_first_flight() {
    // RFC 8446 §4.4.4: 0.5-RTT data. The answer to a 0-RTT request reaches the client with
    // the server's Finished: one round trip for request and response.
    let pki = Pki::new();
    let (client, server) = early_data_configs(&pki);
    first_visit(&client, &server);

    let mut c = Connection::client(client, localhost()).unwrap();
    c.write_early_data(b"GET /").unwrap();
    let mut s = Connection::server(server).unwrap();
    transfer(&mut c, &mut s).unwrap();
    assert!(s.is_handshaking());
    assert_eq!(s.take_early_data(), b"GET /");
    assert_eq!(s.write(b"200 OK").unwrap(), 6);
    transfer(&mut s, &mut c).unwrap();
    assert!(!c.is_handshaking() && c.info().early_data_accepted);
    let mut buf = [0u8; 16];
    assert_eq!(c.read(&mut buf).unwrap(), 6);
    assert_eq!(&buf[..6], b"200 OK");
    // The client's EndOfEarlyData and Finished complete the server's side.
    transfer(&mut c, &mut s).unwrap();
    assert!(!s.is_handshaking());
}

#[test]
fn no_half_rtt_data_to_a_client_asked_for_a_certificate() {
    let pki = Pki::new();
    let mut server = pki.server();
    server.client_verifier = Some(Arc::new(ClientChainVerifier::required(Arc::new(
        pki.roots.clone(),
    ))));
    let mut client = pki.client();
    client.client_auth = Some(Arc::new(pki.leaf("client.padlock.test")));
    let mut c = Connection::client(Arc::new(client), localhost()).unwrap();
    let mut s = Connection::server(Arc::new(server)).unwrap();
    transfer(&mut c, &mut s).unwrap();
    assert!(s.wants_write(), "the server's first flight is ready");
    assert!(matches!(s.write(b"x"), Err(Error::HandshakeNotComplete)));
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(s.write(b"x").unwrap(), 1);
}
