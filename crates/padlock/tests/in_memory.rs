//! padlock client <-> padlock server over an in-memory transport: every suite and group,
//! HelloRetryRequest from both sides, ALPN, SNI, KeyUpdate, large transfers, and the
//! failures RFC 8446 names an alert for.

use std::sync::{Arc, Mutex};

use padlock::alert::AlertDescription;
use padlock::crypto::{self, CipherSuite, Group};
use padlock::padlock_cert::RootStore;
use padlock::pki_types::ServerName;
use padlock::{
    CertifiedKey, ClientConfig, Connection, Error, Event, KeyLog, ServerConfig, SingleCert,
    SniResolver,
};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SignatureAlgorithm,
};

struct Pki {
    roots: RootStore,
    ca_issuer: Issuer<'static, KeyPair>,
}

impl Pki {
    fn new() -> Self {
        Self::named("padlock in-memory test CA")
    }

    fn named(ca_name: &str) -> Self {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, ca_name);
        let ca = params.self_signed(&key).unwrap();
        let mut roots = RootStore::empty();
        roots.add_der(ca.der()).unwrap();
        Self {
            roots,
            ca_issuer: Issuer::new(params, key),
        }
    }

    fn leaf(&self, names: &[&str], alg: &'static SignatureAlgorithm) -> CertifiedKey {
        let key = KeyPair::generate_for(alg).unwrap();
        let mut params =
            CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap();
        // RFC 5280 §4.2.1.1: CAs put an authorityKeyIdentifier in what they issue.
        params.use_authority_key_identifier_extension = true;
        let cert = params.signed_by(&key, &self.ca_issuer).unwrap();
        CertifiedKey::from_pem(cert.pem().as_bytes(), key.serialize_pem().as_bytes()).unwrap()
    }

    fn client(&self) -> ClientConfig {
        ClientConfig::new(self.roots.clone())
    }

    fn server(&self) -> ServerConfig {
        ServerConfig::with_single_cert(self.leaf(&["localhost"], &rcgen::PKCS_ECDSA_P256_SHA256))
            .unwrap()
    }
}

fn localhost() -> ServerName<'static> {
    ServerName::try_from("localhost").unwrap()
}

/// Moves all pending TLS bytes from `from` to `to`; returns how many moved.
fn transfer(from: &mut Connection, to: &mut Connection) -> Result<usize, Error> {
    let mut moved = 0;
    while from.wants_write() {
        let data = from.pending_tls().to_vec();
        let n = to.feed_tls(&data)?;
        from.consume_tls(n);
        moved += n;
        if n == 0 {
            break;
        }
    }
    Ok(moved)
}

/// Runs the handshake; returns the first error either side hit.
fn handshake(client: &mut Connection, server: &mut Connection) -> Result<(), Error> {
    for _ in 0..20 {
        if !client.is_handshaking() && !server.is_handshaking() {
            // Deliver anything left over (e.g. the client's Finished was already processed).
            transfer(client, server)?;
            transfer(server, client)?;
            return Ok(());
        }
        transfer(client, server)?;
        transfer(server, client)?;
    }
    panic!("handshake did not finish in 20 flights");
}

fn connect(client_cfg: ClientConfig, server_cfg: ServerConfig) -> (Connection, Connection) {
    let mut client = Connection::client(Arc::new(client_cfg), localhost()).unwrap();
    let mut server = Connection::server(Arc::new(server_cfg)).unwrap();
    handshake(&mut client, &mut server).unwrap();
    (client, server)
}

fn exchange(a: &mut Connection, b: &mut Connection, data: &[u8]) {
    a.write(data).unwrap();
    transfer(a, b).unwrap();
    let mut got = vec![0u8; data.len()];
    let mut filled = 0;
    while filled < data.len() {
        let n = b.read(&mut got[filled..]).unwrap();
        assert!(n > 0, "no data arrived");
        filled += n;
    }
    assert_eq!(got, data);
}

#[test]
fn every_suite_with_every_group() {
    let pki = Pki::new();
    for suite in crypto::ALL_CIPHER_SUITES {
        for group in crypto::ALL_GROUPS {
            let mut client = pki.client();
            client.cipher_suites = vec![*suite];
            client.set_groups(vec![*group]);
            let (mut c, mut s) = connect(client, pki.server());
            for conn in [&c, &s] {
                let info = conn.info();
                assert_eq!(info.cipher_suite, Some(suite.name));
                assert_eq!(info.group_name, Some(group.name));
                assert!(!info.hello_retry);
            }
            assert_eq!(c.info().peer_certificates.len(), 1);
            exchange(&mut c, &mut s, b"ping");
            exchange(&mut s, &mut c, b"pong");
        }
    }
}

#[test]
fn client_retries_with_the_group_the_server_asks_for() {
    let pki = Pki::new();
    let mut client = pki.client();
    client.set_groups(vec![&crypto::X25519, &crypto::SECP384R1]);
    client.key_share_groups = vec![&crypto::X25519];
    let mut server = pki.server();
    server.groups = vec![&crypto::SECP384R1];
    let (mut c, mut s) = connect(client, server);
    assert!(c.info().hello_retry && s.info().hello_retry);
    assert_eq!(c.info().group_name, Some("secp384r1"));
    exchange(&mut c, &mut s, b"after HRR");
}

#[test]
fn server_asks_for_its_preferred_group() {
    let pki = Pki::new();
    let mut client = pki.client();
    client.set_groups(vec![&crypto::X25519, &crypto::SECP256R1]);
    client.key_share_groups = vec![&crypto::X25519];
    let mut server = pki.server();
    server.groups = vec![&crypto::SECP256R1, &crypto::X25519];
    server.prefer_existing_key_share = false;
    let (c, s) = connect(client, server);
    assert!(c.info().hello_retry && s.info().hello_retry);
    assert_eq!(s.info().group_name, Some("secp256r1"));
}

#[test]
fn hybrid_post_quantum_group_is_the_default() {
    let pki = Pki::new();
    let (c, _s) = connect(pki.client(), pki.server());
    assert_eq!(c.info().group_name, Some("X25519MLKEM768"));
    assert!(!c.info().hello_retry);
}

#[test]
fn server_without_ml_kem_needs_no_retry() {
    let pki = Pki::new();
    let mut server = pki.server();
    server.groups = vec![&crypto::X25519, &crypto::SECP256R1];
    let (c, _s) = connect(pki.client(), server);
    assert_eq!(c.info().group_name, Some("X25519"));
    assert!(!c.info().hello_retry);
}

#[test]
fn alpn_picks_the_servers_preference() {
    let pki = Pki::new();
    let mut client = pki.client();
    client.alpn_protocols = vec![b"http/1.1".to_vec(), b"h2".to_vec()];
    let mut server = pki.server();
    server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let (c, s) = connect(client, server);
    assert_eq!(c.info().alpn.as_deref(), Some(&b"h2"[..]));
    assert_eq!(s.info().alpn.as_deref(), Some(&b"h2"[..]));
}

#[test]
fn alpn_mismatch_is_no_application_protocol() {
    let pki = Pki::new();
    let mut client = pki.client();
    client.alpn_protocols = vec![b"imap".to_vec()];
    let mut server = pki.server();
    server.alpn_protocols = vec![b"h2".to_vec()];
    let mut c = Connection::client(Arc::new(client), localhost()).unwrap();
    let mut s = Connection::server(Arc::new(server)).unwrap();
    transfer(&mut c, &mut s).ok();
    assert!(matches!(
        s.error(),
        Some(Error::NoApplicationProtocol { .. })
    ));
    let err = transfer(&mut s, &mut c).unwrap_err();
    assert!(matches!(
        err,
        Error::PeerAlert(AlertDescription::NO_APPLICATION_PROTOCOL)
    ));
}

#[test]
fn sni_chooses_the_certificate() {
    let pki = Pki::new();
    let mut resolver = SniResolver::new();
    resolver.add(Arc::new(
        pki.leaf(&["a.test"], &rcgen::PKCS_ECDSA_P256_SHA256),
    ));
    let b = pki.leaf(&["b.test"], &rcgen::PKCS_ED25519);
    let b_der = b.chain[0].as_ref().to_vec();
    resolver.add(Arc::new(b));
    let server = ServerConfig::new(Arc::new(resolver)).unwrap();
    let mut c = Connection::client(
        Arc::new(pki.client()),
        ServerName::try_from("b.test").unwrap(),
    )
    .unwrap();
    let mut s = Connection::server(Arc::new(server)).unwrap();
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(s.info().server_name.as_deref(), Some("b.test"));
    assert_eq!(c.info().peer_certificates[0], b_der);
}

#[test]
fn each_server_key_type() {
    let pki = Pki::new();
    for alg in [
        &rcgen::PKCS_ECDSA_P256_SHA256,
        &rcgen::PKCS_ECDSA_P384_SHA384,
        &rcgen::PKCS_ED25519,
        &rcgen::PKCS_RSA_SHA256,
    ] {
        let server = ServerConfig::with_single_cert(pki.leaf(&["localhost"], alg)).unwrap();
        let (mut c, mut s) = connect(pki.client(), server);
        exchange(&mut c, &mut s, b"hello");
    }
}

#[test]
fn key_update_both_ways() {
    let pki = Pki::new();
    let (mut c, mut s) = connect(pki.client(), pki.server());
    c.send_key_update(true).unwrap();
    transfer(&mut c, &mut s).unwrap();
    assert!(std::iter::from_fn(|| s.next_event()).any(|e| e
        == Event::PeerKeyUpdated {
            update_requested: true
        }));
    // The server answered with its own KeyUpdate.
    transfer(&mut s, &mut c).unwrap();
    assert!(std::iter::from_fn(|| c.next_event()).any(|e| e
        == Event::PeerKeyUpdated {
            update_requested: false
        }));
    exchange(&mut c, &mut s, b"new keys, client to server");
    exchange(&mut s, &mut c, b"new keys, server to client");
    s.send_key_update(false).unwrap();
    exchange(&mut s, &mut c, b"again");
    exchange(&mut c, &mut s, b"and back");
}

#[test]
fn events_nobody_takes_stay_bounded() {
    let pki = Pki::new();
    let (mut c, mut s) = connect(pki.client(), pki.server());
    // A peer that keeps updating its keys, and an application that never asks for events.
    for _ in 0..1000 {
        c.send_key_update(false).unwrap();
        transfer(&mut c, &mut s).unwrap();
    }
    let events: Vec<Event> = std::iter::from_fn(|| s.next_event()).collect();
    assert_eq!(events.len(), 64, "the oldest events were dropped");
    assert!(events.iter().all(|e| *e
        == Event::PeerKeyUpdated {
            update_requested: false
        }));
    exchange(&mut c, &mut s, b"still working");
}

#[test]
fn ten_megabytes_in_odd_sized_writes() {
    let pki = Pki::new();
    let (mut c, mut s) = connect(pki.client(), pki.server());
    let data: Vec<u8> = (0..10_000_000u32)
        .map(|i| (i * 7 + i / 251) as u8)
        .collect();
    stream_through(&mut c, &mut s, &data);
    stream_through(&mut s, &mut c, &data);
}

/// Writes `data` in odd-sized pieces through `from` and reads it all back from `to`.
fn stream_through(from: &mut Connection, to: &mut Connection, data: &[u8]) {
    let mut sent = 0;
    let mut received = Vec::with_capacity(data.len());
    let mut buf = vec![0u8; 7919];
    let sizes = [1usize, 13, 4097, 16384, 16385, 65537, 100_003];
    let mut i = 0;
    while sent < data.len() {
        let n = sizes[i % sizes.len()].min(data.len() - sent);
        i += 1;
        from.write(&data[sent..sent + n]).unwrap();
        sent += n;
        while from.wants_write() {
            let pending = from.pending_tls().to_vec();
            let taken = to.feed_tls(&pending).unwrap();
            from.consume_tls(taken);
            loop {
                let r = to.read(&mut buf).unwrap();
                if r == 0 {
                    break;
                }
                received.extend_from_slice(&buf[..r]);
            }
        }
    }
    assert_eq!(received.len(), data.len());
    assert!(received == data, "data corrupted in transit");
}

#[test]
fn close_notify_is_a_clean_end_and_eof_without_it_is_truncation() {
    let pki = Pki::new();
    let (mut c, mut s) = connect(pki.client(), pki.server());
    c.send_close_notify();
    transfer(&mut c, &mut s).unwrap();
    assert!(s.peer_closed());
    let mut buf = [0u8; 16];
    assert_eq!(s.read(&mut buf).unwrap(), 0);
    s.recv_eof().unwrap();

    let (_c2, mut s2) = connect(pki.client(), pki.server());
    assert!(matches!(s2.recv_eof(), Err(Error::Truncated)));
}

#[test]
fn flipped_bit_is_bad_record_mac() {
    let pki = Pki::new();
    let (mut c, mut s) = connect(pki.client(), pki.server());
    c.write(b"secret").unwrap();
    let mut bytes = c.pending_tls().to_vec();
    let last = bytes.len() - 3;
    bytes[last] ^= 0x01;
    let err = s.feed_tls(&bytes).unwrap_err();
    assert!(matches!(err, Error::Record(_)), "{err:?}");
    assert_eq!(err.alert(), Some(AlertDescription::BAD_RECORD_MAC));
    // The server sent the alert; the client reports it.
    let err = transfer(&mut s, &mut c).unwrap_err();
    assert!(matches!(
        err,
        Error::PeerAlert(AlertDescription::BAD_RECORD_MAC)
    ));
}

#[test]
fn no_common_suite_is_handshake_failure() {
    let pki = Pki::new();
    let mut client = pki.client();
    client.cipher_suites = vec![&crypto::TLS_CHACHA20_POLY1305_SHA256];
    let mut server = pki.server();
    server.cipher_suites = vec![&crypto::TLS_AES_128_GCM_SHA256];
    let mut c = Connection::client(Arc::new(client), localhost()).unwrap();
    let mut s = Connection::server(Arc::new(server)).unwrap();
    let _ = transfer(&mut c, &mut s);
    let err = s.error().cloned().unwrap();
    assert!(matches!(err, Error::NoCommonCipherSuite { .. }));
    assert!(
        err.to_string().contains("TLS_CHACHA20_POLY1305_SHA256"),
        "{err}"
    );
    let err = transfer(&mut s, &mut c).unwrap_err();
    assert!(matches!(
        err,
        Error::PeerAlert(AlertDescription::HANDSHAKE_FAILURE)
    ));
}

#[test]
fn untrusted_server_is_refused_with_the_right_alert() {
    let pki = Pki::new();
    let other = Pki::named("some other CA");
    let mut c = Connection::client(Arc::new(other.client()), localhost()).unwrap();
    let mut s = Connection::server(Arc::new(pki.server())).unwrap();
    let err = handshake(&mut c, &mut s).unwrap_err();
    let err = c.error().cloned().unwrap_or(err);
    assert!(matches!(err, Error::Certificate(_)), "{err:?}");
    assert_eq!(err.alert(), Some(AlertDescription::UNKNOWN_CA));
}

#[test]
fn wrong_name_is_refused() {
    let pki = Pki::new();
    let mut c = Connection::client(
        Arc::new(pki.client()),
        ServerName::try_from("example.org").unwrap(),
    )
    .unwrap();
    let mut s = Connection::server(Arc::new(pki.server())).unwrap();
    assert!(handshake(&mut c, &mut s).is_err());
    assert!(matches!(c.error(), Some(Error::Certificate(_))));
}

/// RFC 8446 §4.4.3: a CertificateVerify made with a key other than the certificate's is
/// decrypt_error, on the client and (with client certificates) on the server.
#[test]
fn certificate_verify_with_another_key_is_decrypt_error() {
    let pki = Pki::new();
    let good = pki.leaf(&["localhost"], &rcgen::PKCS_ECDSA_P256_SHA256);
    let other = pki.leaf(&["localhost"], &rcgen::PKCS_ECDSA_P256_SHA256);
    let impostor = CertifiedKey::new(good.chain.clone(), other.key).unwrap();
    let mut c = Connection::client(Arc::new(pki.client()), localhost()).unwrap();
    let mut s =
        Connection::server(Arc::new(ServerConfig::with_single_cert(impostor).unwrap())).unwrap();
    let err = handshake(&mut c, &mut s).unwrap_err();
    let err = c.error().cloned().unwrap_or(err);
    assert!(matches!(err, Error::BadSignature(_)), "{err:?}");
    assert_eq!(err.alert(), Some(AlertDescription::DECRYPT_ERROR));
    // Whose signature it was, in the sentence and the fix, as for refused chains.
    let sentence = err.to_string();
    assert!(
        sentence.starts_with("The server's CertificateVerify signature (")
            && sentence.contains("the server has not proved that it holds"),
        "{sentence}"
    );
    assert!(err.fix().unwrap().starts_with("The server does not hold"));
    let r = err.rejection().unwrap();
    assert_eq!(r.usage, padlock::padlock_cert::Usage::ServerAuth);
    let presented: Vec<&[u8]> = r.presented.iter().map(Vec::as_slice).collect();
    let chain: Vec<&[u8]> = good.chain.iter().map(|c| c.as_ref()).collect();
    assert_eq!(presented, chain);
    assert!(!r.best_chain.is_empty(), "the validated path is kept");

    let mut client = pki.client();
    client.client_auth = Some(Arc::new(
        CertifiedKey::new(
            good.chain.clone(),
            pki.leaf(&["client"], &rcgen::PKCS_ECDSA_P256_SHA256).key,
        )
        .unwrap(),
    ));
    let mut server = pki.server();
    server.client_verifier = Some(Arc::new(padlock::ClientChainVerifier::required(Arc::new(
        pki.roots.clone(),
    ))));
    let mut c = Connection::client(Arc::new(client), localhost()).unwrap();
    let mut s = Connection::server(Arc::new(server)).unwrap();
    let err = handshake(&mut c, &mut s).unwrap_err();
    let err = s.error().cloned().unwrap_or(err);
    assert!(matches!(err, Error::BadSignature(_)), "{err:?}");
    assert_eq!(err.alert(), Some(AlertDescription::DECRYPT_ERROR));
    let sentence = err.to_string();
    assert!(
        sentence.starts_with("The client's CertificateVerify signature (")
            && sentence.contains("the client has not proved that it holds"),
        "{sentence}"
    );
    assert!(err.fix().unwrap().starts_with("The client does not hold"));
    assert_eq!(
        err.rejection().unwrap().usage,
        padlock::padlock_cert::Usage::ClientAuth
    );
}

/// Captures the secrets a connection logs, as an attacker who has them would.
#[derive(Default)]
struct CapturedSecrets(Mutex<Vec<(String, Vec<u8>)>>);

impl KeyLog for CapturedSecrets {
    fn log(&self, label: &str, _client_random: &[u8; 32], secret: &[u8]) {
        self.0
            .lock()
            .unwrap()
            .push((label.to_string(), secret.to_vec()));
    }
}

impl CapturedSecrets {
    fn get(&self, label: &str) -> Vec<u8> {
        let all = self.0.lock().unwrap();
        all.iter().find(|(l, _)| l == label).unwrap().1.clone()
    }
}

#[test]
fn wrong_client_finished_is_decrypt_error() {
    use padlock::key_schedule::{derive_traffic_keys, Secret};
    use padlock::record::{ContentType, RecordOpener, RecordSealer};

    let pki = Pki::new();
    let log = Arc::new(CapturedSecrets::default());
    let mut client = pki.client();
    client.key_log = Some(log.clone());
    client.middlebox_compat = false;
    let suite: &'static CipherSuite = &crypto::TLS_AES_128_GCM_SHA256;
    client.cipher_suites = vec![suite];
    let mut c = Connection::client(Arc::new(client), localhost()).unwrap();
    let mut s = Connection::server(Arc::new(pki.server())).unwrap();
    transfer(&mut c, &mut s).unwrap();
    transfer(&mut s, &mut c).unwrap();
    assert!(!c.is_handshaking());

    // The client's second flight is one record: its Finished under the client handshake key.
    let record = c.pending_tls().to_vec();
    let secret = Secret::from_bytes(&log.get("CLIENT_HANDSHAKE_TRAFFIC_SECRET")).unwrap();
    let keys = derive_traffic_keys(suite, &secret).unwrap();
    let mut opener = RecordOpener::new(suite.aead, keys.key(), keys.iv, u64::MAX).unwrap();
    let header: [u8; 5] = record[..5].try_into().unwrap();
    let mut payload = record[5..].to_vec();
    let (typ, plain) = opener.open(header, &mut payload).unwrap();
    assert_eq!(typ, ContentType::HANDSHAKE);
    let mut finished = plain.to_vec();
    assert_eq!(finished[0], 20, "expected the Finished message");
    let last = finished.len() - 1;
    finished[last] ^= 0x80;
    let mut sealer = RecordSealer::new(suite.aead, keys.key(), keys.iv, u64::MAX).unwrap();
    let mut forged = Vec::new();
    sealer
        .seal(ContentType::HANDSHAKE, &finished, 0, &mut forged)
        .unwrap();

    let err = s.feed_tls(&forged).unwrap_err();
    assert!(matches!(err, Error::BadFinished), "{err:?}");
    assert_eq!(err.alert(), Some(AlertDescription::DECRYPT_ERROR));
}

/// Replaces the extensions of the end entity's CertificateEntry in a client's second flight
/// (Certificate, CertificateVerify, Finished) and hands it to the server, which asked for a
/// client certificate. The flight is opened and sealed again with the client's handshake key.
fn client_flight_with_entry_extensions(extensions: Option<Vec<u8>>) -> Result<usize, Error> {
    use padlock::key_schedule::{derive_traffic_keys, Secret};
    use padlock::msgs::HandshakeMessage;
    use padlock::record::{ContentType, RecordOpener, RecordSealer};

    let pki = Pki::new();
    let log = Arc::new(CapturedSecrets::default());
    let mut client = pki.client();
    client.key_log = Some(log.clone());
    client.middlebox_compat = false;
    let suite: &'static CipherSuite = &crypto::TLS_AES_128_GCM_SHA256;
    client.cipher_suites = vec![suite];
    client.client_auth = Some(Arc::new(
        pki.leaf(&["client"], &rcgen::PKCS_ECDSA_P256_SHA256),
    ));
    let mut server = pki.server();
    server.client_verifier = Some(Arc::new(padlock::ClientChainVerifier::required(Arc::new(
        pki.roots.clone(),
    ))));
    let mut c = Connection::client(Arc::new(client), localhost()).unwrap();
    let mut s = Connection::server(Arc::new(server)).unwrap();
    transfer(&mut c, &mut s).unwrap();
    transfer(&mut s, &mut c).unwrap();
    assert!(!c.is_handshaking());

    // The flight's handshake messages, from however many records carry them.
    let secret = Secret::from_bytes(&log.get("CLIENT_HANDSHAKE_TRAFFIC_SECRET")).unwrap();
    let keys = derive_traffic_keys(suite, &secret).unwrap();
    let mut opener = RecordOpener::new(suite.aead, keys.key(), keys.iv, u64::MAX).unwrap();
    let mut wire = c.pending_tls();
    let mut messages = Vec::new();
    while !wire.is_empty() {
        let header: [u8; 5] = wire[..5].try_into().unwrap();
        let len = u16::from_be_bytes([header[3], header[4]]) as usize;
        let mut payload = wire[5..5 + len].to_vec();
        let (typ, plain) = opener.open(header, &mut payload).unwrap();
        assert_eq!(typ, ContentType::HANDSHAKE);
        messages.extend_from_slice(plain);
        wire = &wire[5 + len..];
    }
    let cert_len = 4 + u32::from_be_bytes([0, messages[1], messages[2], messages[3]]) as usize;
    let Ok(HandshakeMessage::Certificate(mut cert)) =
        HandshakeMessage::decode_message(&messages[..cert_len])
    else {
        panic!("expected the client's Certificate first");
    };
    if let Some(extensions) = extensions {
        cert.entries[0].extensions = extensions;
    }
    let mut flight = Vec::new();
    HandshakeMessage::Certificate(cert).encode(&mut flight);
    flight.extend_from_slice(&messages[cert_len..]);
    let mut sealer = RecordSealer::new(suite.aead, keys.key(), keys.iv, u64::MAX).unwrap();
    let mut forged = Vec::new();
    sealer
        .seal(ContentType::HANDSHAKE, &flight, 0, &mut forged)
        .unwrap();
    let fed = s.feed_tls(&forged);
    if fed.is_ok() {
        assert!(!s.is_handshaking() && s.info().client_authenticated);
    }
    fed
}

/// RFC 8446 §4.4.2: extensions in a client's CertificateEntry must correspond to ones in
/// the server's CertificateRequest, and padlock asks for none: a staple (status_request),
/// an SCT or an extension nobody knows is unsupported_extension.
#[test]
fn client_certificate_entry_extensions_are_unsupported_extension() {
    // The flight, opened and sealed again unchanged, is accepted: what fails below is the
    // extension.
    client_flight_with_entry_extensions(None).unwrap();

    let staple = padlock::msgs::CertificateEntry::with_ocsp_response(vec![1], OCSP_TRY_LATER);
    let sct = [0x00, 0x12, 0x00, 0x00].to_vec();
    let unknown = [0xfa, 0xfa, 0x00, 0x01, 0x00].to_vec();
    for extensions in [staple.extensions, sct, unknown] {
        let err = client_flight_with_entry_extensions(Some(extensions.clone())).unwrap_err();
        assert!(
            matches!(err, Error::UnsupportedExtension(_)),
            "{extensions:x?}: {err:?}"
        );
        assert_eq!(err.alert(), Some(AlertDescription::UNSUPPORTED_EXTENSION));
    }
}

#[test]
fn exporter_agrees_on_both_sides() {
    let pki = Pki::new();
    let (c, s) = connect(pki.client(), pki.server());
    let mut a = [0u8; 32];
    let mut b = [0u8; 32];
    c.export_keying_material(b"EXPORTER-test", Some(b"ctx"), &mut a)
        .unwrap();
    s.export_keying_material(b"EXPORTER-test", Some(b"ctx"), &mut b)
        .unwrap();
    assert_eq!(a, b);
    assert_ne!(a, [0u8; 32]);
}

/// The exporter secret is derived when first asked for (or at once, to be logged) and is
/// settled before a KeyUpdate retires the first application secrets (RFC 8446 §7.2); either
/// way, both sides export the same bytes, before and after KeyUpdates (§7.5).
#[test]
fn exporter_is_the_same_deferred_logged_and_after_key_updates() {
    let pki = Pki::new();
    let mut client = pki.client();
    client.key_log = Some(Arc::new(CapturedSecrets::default()));
    let (mut c, mut s) = connect(client, pki.server());
    let export = |conn: &Connection| {
        let mut out = [0u8; 48];
        conn.export_keying_material(b"EXPORTER-test", None, &mut out)
            .unwrap();
        out
    };
    let before = export(&c);
    assert_eq!(export(&s), before);
    assert_eq!(export(&s), before, "a deferred secret gives the same twice");
    c.send_key_update(true).unwrap();
    transfer(&mut c, &mut s).unwrap();
    transfer(&mut s, &mut c).unwrap();
    exchange(&mut c, &mut s, b"after the updates");
    assert_eq!(export(&c), before);
    assert_eq!(export(&s), before);
}

#[test]
fn keylog_lines_match_between_peers() {
    let pki = Pki::new();
    let clog = Arc::new(CapturedSecrets::default());
    let slog = Arc::new(CapturedSecrets::default());
    let mut client = pki.client();
    client.key_log = Some(clog.clone());
    let mut server = pki.server();
    server.key_log = Some(slog.clone());
    let _ = connect(client, server);
    for label in [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "SERVER_TRAFFIC_SECRET_0",
        "EXPORTER_SECRET",
    ] {
        assert_eq!(clog.get(label), slog.get(label), "{label}");
    }
}

#[test]
fn groups_resolve_by_name() {
    for (name, want) in [
        ("X25519", "X25519"),
        ("P-256", "secp256r1"),
        ("secp384r1", "secp384r1"),
        ("X25519MLKEM768", "X25519MLKEM768"),
    ] {
        let g: &Group = crypto::group_by_name(name).unwrap();
        assert_eq!(g.name, want);
    }
}

/// The client's first flight with early_data added to its ClientHello, followed by
/// `zero_rtt` bytes of application_data records the server has no key for: what a client
/// resuming with a ticket from another server sends (RFC 8446 §4.2.10).
fn hello_with_early_data(client: &Connection, zero_rtt: &[usize]) -> Vec<u8> {
    use padlock::msgs::ClientHello;
    let flight = client.pending_tls();
    let len = u16::from_be_bytes([flight[3], flight[4]]) as usize;
    let message = &flight[5..5 + len];
    assert_eq!(message[0], 1, "expected the ClientHello");
    let mut hello = ClientHello::decode(&message[4..]).unwrap();
    hello.extensions.early_data = true;
    let mut body = Vec::new();
    hello.encode(&mut body);
    let mut out = vec![22, 3, 1];
    out.extend_from_slice(&((body.len() + 4) as u16).to_be_bytes());
    out.push(1);
    out.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    out.extend_from_slice(&body);
    for &n in zero_rtt {
        out.extend_from_slice(&[23, 3, 3]);
        out.extend_from_slice(&(n as u16).to_be_bytes());
        out.extend(std::iter::repeat_n(0x5a, n));
    }
    out
}

#[test]
fn rejected_early_data_is_skipped() {
    let pki = Pki::new();
    let mut client = pki.client();
    client.middlebox_compat = false;
    let c = Connection::client(Arc::new(client), localhost()).unwrap();
    let mut s = Connection::server(Arc::new(pki.server())).unwrap();
    // padlock accepts no 0-RTT: it answers with a full handshake, trial-decrypting the
    // records that follow with the handshake key and dropping those that fail.
    s.feed_tls(&hello_with_early_data(&c, &[100, 16_401, 1000]))
        .unwrap();
    assert!(s.error().is_none(), "{:?}", s.error());
    assert!(s.wants_write());
    assert!(s.is_handshaking());
    assert!(!s.info().resumed);
}

#[test]
fn too_much_rejected_early_data_is_bad_record_mac() {
    let pki = Pki::new();
    let c = Connection::client(Arc::new(pki.client()), localhost()).unwrap();
    let mut s = Connection::server(Arc::new(pki.server())).unwrap();
    let err = s
        .feed_tls(&hello_with_early_data(&c, &[16_401; 5]))
        .unwrap_err();
    assert_eq!(
        err.alert(),
        Some(AlertDescription::BAD_RECORD_MAC),
        "{err:?}"
    );
}

#[test]
fn plaintext_comes_out_in_order_through_small_reads_and_partial_feeds() {
    // Decrypted records wait in the receive buffer until read; whatever the read sizes,
    // the feed chunking, KeyUpdates and close_notify in between, the bytes come out in order.
    let pki = Pki::new();
    let (mut c, mut s) = connect(pki.client(), pki.server());
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    c.write(&data[..40_000]).unwrap();
    c.send_key_update(true).unwrap();
    c.write(&data[40_000..]).unwrap();
    c.send_close_notify();
    let wire = c.pending_tls().to_vec();
    let n = wire.len();
    c.consume_tls(n);

    let mut received = Vec::new();
    let mut offset = 0;
    let mut buf = [0u8; 7_001];
    let mut step = 0;
    while offset < wire.len() || s.readable() > 0 {
        let chunk = [1, 500, 20_000, 3][step % 4];
        step += 1;
        let end = (offset + chunk).min(wire.len());
        offset += s.feed_tls(&wire[offset..end]).unwrap();
        let read_len = [7_001, 13, 4096][step % 3];
        let r = s.read(&mut buf[..read_len]).unwrap();
        received.extend_from_slice(&buf[..r]);
    }
    assert!(received == data, "data reordered or lost");
    assert!(s.peer_closed());
    assert_eq!(s.read(&mut buf).unwrap(), 0);
    // The KeyUpdate asked for ours: the server answered it.
    assert!(s.wants_write());
}

#[test]
fn wants_read_is_false_while_received_data_waits_and_the_buffer_never_runs_dry() {
    let pki = Pki::new();
    let (mut c, mut s) = connect(pki.client(), pki.server());
    let data = vec![0x42u8; 200_000];
    c.write(&data).unwrap();
    let wire = c.pending_tls().to_vec();
    let n = wire.len();
    c.consume_tls(n);
    assert!(s.wants_read());
    // A transport that reads into recv_buffer whenever wants_read says so never sees an
    // empty buffer (which it would take for end of stream).
    let mut offset = 0;
    let mut received = 0;
    let mut buf = vec![0u8; 5000];
    while received < data.len() {
        if s.wants_read() && offset < wire.len() {
            let space = s.recv_buffer();
            assert!(!space.is_empty(), "wants_read but no space");
            let k = space.len().min(wire.len() - offset).min(3000);
            space[..k].copy_from_slice(&wire[offset..offset + k]);
            offset += k;
            s.recv_done(k).unwrap();
        } else {
            let r = s.read(&mut buf).unwrap();
            assert!(r > 0 || offset < wire.len(), "stuck");
            received += r;
        }
    }
    assert!(s.wants_read());
}

#[test]
fn plaintext_is_lent_in_place_and_consumed_in_any_steps() {
    // The borrowing read gives the same bytes in the same order as `read`, whatever the
    // consumption steps, mixed with copying reads, across records, a KeyUpdate and
    // close_notify; nothing is lent beyond one record.
    let pki = Pki::new();
    let (mut c, mut s) = connect(pki.client(), pki.server());
    let data: Vec<u8> = (0..150_000u32).map(|i| (i % 253) as u8).collect();
    c.write(&data[..70_000]).unwrap();
    c.send_key_update(false).unwrap();
    c.write(&data[70_000..]).unwrap();
    c.send_close_notify();
    let wire = c.pending_tls().to_vec();
    let n = wire.len();
    c.consume_tls(n);

    let mut received = Vec::new();
    let mut offset = 0;
    let mut buf = [0u8; 1000];
    let mut step = 0;
    while offset < wire.len() || s.readable() > 0 {
        offset += s.feed_tls(&wire[offset..]).unwrap();
        step += 1;
        if step % 5 == 0 {
            let r = s.read(&mut buf).unwrap();
            received.extend_from_slice(&buf[..r]);
            continue;
        }
        let lent = s.plaintext();
        assert!(lent.len() <= 16_384, "more than a record lent");
        assert_eq!(lent.len(), s.readable());
        let take = lent.len().min([1, 9_000, 100_000, 4_095][step % 4]);
        received.extend_from_slice(&lent[..take]);
        s.consume_plaintext(take).unwrap();
    }
    assert!(received == data, "data reordered or lost");
    assert!(s.peer_closed());
    assert!(s.plaintext().is_empty());
    // Consuming more than is lent, or from nothing, is harmless.
    s.consume_plaintext(10).unwrap();
    assert_eq!(s.read(&mut buf).unwrap(), 0);
}

/// A DER OCSPResponse with status tryLater: well-formed, and its content is no concern of
/// the TLS layer (RFC 8446 §4.4.2.1 carries it opaquely).
const OCSP_TRY_LATER: &[u8] = &[0x30, 0x03, 0x0a, 0x01, 0x03];

#[test]
fn ocsp_staple_reaches_a_client_that_asks_and_only_it() {
    let pki = Pki::new();
    let key = Arc::new(
        pki.leaf(&["localhost"], &rcgen::PKCS_ECDSA_P256_SHA256)
            .with_ocsp_response(OCSP_TRY_LATER.to_vec())
            .unwrap(),
    );
    let server = || ServerConfig::new(Arc::new(SingleCert(key.clone()))).unwrap();

    let mut asking = pki.client();
    asking.request_ocsp = true;
    let (mut c, mut s) = connect(asking.clone(), server());
    assert_eq!(c.info().ocsp_response.as_deref(), Some(OCSP_TRY_LATER));
    exchange(&mut c, &mut s, b"ping");

    // RFC 8446 §4.4.2.1: no status_request, no staple (a staple would be
    // unsupported_extension for this client).
    let (c, _) = connect(pki.client(), server());
    assert_eq!(c.info().ocsp_response, None);

    // Asking a server without a staple: no staple, no failure.
    let (c, _) = connect(asking.clone(), pki.server());
    assert_eq!(c.info().ocsp_response, None);

    // After a HelloRetryRequest the second ClientHello still asks.
    asking.set_groups(vec![
        crypto::group_by_name("secp384r1").unwrap(),
        crypto::group_by_name("X25519").unwrap(),
    ]);
    asking.key_share_groups = vec![crypto::group_by_name("secp384r1").unwrap()];
    let mut cfg = server();
    cfg.groups = vec![crypto::group_by_name("X25519").unwrap()];
    let (c, _) = connect(asking, cfg);
    assert!(c.info().hello_retry);
    assert_eq!(c.info().ocsp_response.as_deref(), Some(OCSP_TRY_LATER));
}

#[test]
fn an_ocsp_response_that_is_not_der_is_refused_as_configuration() {
    let pki = Pki::new();
    let key = pki.leaf(&["localhost"], &rcgen::PKCS_ECDSA_P256_SHA256);
    assert!(matches!(
        key.with_ocsp_response(b"not DER".to_vec()),
        Err(Error::Config(_))
    ));
}

/// The client's first flight re-framed: the ClientHello's handshake bytes, plus `extra`
/// handshake bytes after them, cut into plaintext handshake records at `cuts` (offsets into
/// the handshake bytes).
fn reframed_hello(client: &Connection, extra: &[u8], cuts: &[usize]) -> Vec<u8> {
    let flight = client.pending_tls();
    let len = u16::from_be_bytes([flight[3], flight[4]]) as usize;
    let mut messages = flight[5..5 + len].to_vec();
    assert_eq!(messages[0], 1, "expected the ClientHello");
    messages.extend_from_slice(extra);
    let mut out = Vec::new();
    let mut start = 0;
    for end in cuts.iter().copied().chain([messages.len()]) {
        out.extend_from_slice(&[22, 3, 1]);
        out.extend_from_slice(&((end - start) as u16).to_be_bytes());
        out.extend_from_slice(&messages[start..end]);
        start = end;
    }
    out
}

/// RFC 8446 §5.1: a handshake message may span records, and records may be cut anywhere
/// in a message; the server reassembles a ClientHello cut into three records (its header
/// split too) exactly as one in a single record.
#[test]
fn client_hello_across_records() {
    let pki = Pki::new();
    let mut client_cfg = pki.client();
    client_cfg.middlebox_compat = false;
    for cuts in [&[2usize, 100][..], &[4], &[1, 2, 3]] {
        let mut c = Connection::client(Arc::new(client_cfg.clone()), localhost()).unwrap();
        let mut s = Connection::server(Arc::new(pki.server())).unwrap();
        let first = reframed_hello(&c, &[], cuts);
        c.consume_tls(c.pending_tls().len());
        s.feed_tls(&first).unwrap();
        handshake(&mut c, &mut s).unwrap();
        exchange(&mut c, &mut s, b"after a reassembled hello");
    }
}

/// RFC 8446 §5.1: handshake messages must not straddle a key change. After the ClientHello
/// the server reads with handshake keys, so more handshake bytes in the ClientHello's
/// record (a whole message or the start of one) are unexpected_message.
#[test]
fn handshake_bytes_after_the_hello_in_its_record_are_refused() {
    let pki = Pki::new();
    let mut client_cfg = pki.client();
    client_cfg.middlebox_compat = false;
    let finished_header = [20u8, 0, 0, 32];
    let mut whole = finished_header.to_vec();
    whole.extend_from_slice(&[0; 32]);
    // Uncut, the hello is handled where it lies; cut, the joiner reassembles it first.
    let cases = [&whole[..], &finished_header[..2]]
        .into_iter()
        .flat_map(|extra| [(extra, &[][..]), (extra, &[100][..])]);
    for (extra, cuts) in cases {
        let c = Connection::client(Arc::new(client_cfg.clone()), localhost()).unwrap();
        let mut s = Connection::server(Arc::new(pki.server())).unwrap();
        let err = s.feed_tls(&reframed_hello(&c, extra, cuts)).unwrap_err();
        assert_eq!(
            err.alert(),
            Some(AlertDescription::UNEXPECTED_MESSAGE),
            "{err:?}"
        );
        assert!(err.to_string().contains("record boundary"), "{err}");
    }
}

/// RFC 8446 §5.1: an unprotected record longer than 2^14 bytes is record_overflow, whether
/// it arrives whole (handed over where it lies) or in pieces (through the receive buffer).
#[test]
fn oversized_unprotected_record_is_record_overflow() {
    let pki = Pki::new();
    let mut record = vec![22, 3, 1];
    let len = (1usize << 14) + 1;
    record.extend_from_slice(&(len as u16).to_be_bytes());
    record.extend_from_slice(&[1, 0x00, 0x3f, 0xfd]);
    record.resize(5 + len, 0);
    for pieces in [&[record.len()][..], &[3, record.len()]] {
        let mut s = Connection::server(Arc::new(pki.server())).unwrap();
        let mut start = 0;
        let mut result = Ok(0);
        for &end in pieces {
            result = s.feed_tls(&record[start..end]);
            if result.is_err() {
                break;
            }
            start = end;
        }
        let err = result.unwrap_err();
        assert_eq!(
            err.alert(),
            Some(AlertDescription::RECORD_OVERFLOW),
            "{err:?}"
        );
    }
}

/// RFC 8446 §5.1: a flight longer than one record (here a certificate with 1500 names,
/// over 2^14 bytes) is split across records; the client reassembles it.
#[test]
fn first_flight_longer_than_a_record() {
    let pki = Pki::new();
    let names: Vec<String> = (0..1500).map(|i| format!("host-{i}.example.com")).collect();
    let mut names: Vec<&str> = names.iter().map(String::as_str).collect();
    names.push("localhost");
    let key = pki.leaf(&names, &rcgen::PKCS_ECDSA_P256_SHA256);
    assert!(key.chain[0].len() > 1 << 14, "{}", key.chain[0].len());
    let server_cfg = ServerConfig::with_single_cert(key).unwrap();
    let mut c = Connection::client(Arc::new(pki.client()), localhost()).unwrap();
    let mut s = Connection::server(Arc::new(server_cfg)).unwrap();
    transfer(&mut c, &mut s).unwrap();
    let flight = s.pending_tls().to_vec();
    let mut records = 0;
    let mut rest = &flight[..];
    while rest.len() >= 5 {
        let len = u16::from_be_bytes([rest[3], rest[4]]) as usize;
        if rest[0] == 23 {
            records += 1;
        }
        rest = &rest[5 + len..];
    }
    assert!(records >= 2, "{records} protected records");
    handshake(&mut c, &mut s).unwrap();
    exchange(&mut c, &mut s, b"after a long flight");
}
