//! Interop with a real stack (rustls, a dev-dependency): we decode the
//! ClientHellos it writes, and it accepts ours and answers with a
//! ServerHello or HelloRetryRequest that we decode.

use std::sync::Arc;

use aws_lc_rs::agreement::{EphemeralPrivateKey, X25519};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};

use super::*;

/// Concatenated handshake-record payloads from a TLS byte stream (only the
/// unencrypted records, content type 22, that precede encryption).
fn handshake_bytes(mut tls: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while tls.len() >= 5 {
        let len = usize::from(u16::from_be_bytes([tls[3], tls[4]]));
        if tls[0] == 22 {
            out.extend_from_slice(&tls[5..5 + len]);
        }
        tls = &tls[5 + len..];
    }
    out
}

/// Splits concatenated handshake messages.
fn split_messages(mut bytes: &[u8]) -> Vec<HandshakeMessage> {
    let mut out = Vec::new();
    while let Some((_, len)) = handshake_header(bytes) {
        out.push(HandshakeMessage::decode_message(&bytes[..4 + len]).unwrap());
        bytes = &bytes[4 + len..];
    }
    assert!(bytes.is_empty());
    out
}

/// The ClientHello rustls writes, with its handshake header.
fn rustls_client_hello_message(config: rustls::ClientConfig) -> Vec<u8> {
    let name = ServerName::try_from("example.com").unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut wire = Vec::new();
    conn.write_tls(&mut wire).unwrap();
    handshake_bytes(&wire)
}

fn rustls_client_hello(config: rustls::ClientConfig) -> ClientHello {
    let msgs = split_messages(&rustls_client_hello_message(config));
    match msgs.as_slice() {
        [HandshakeMessage::ClientHello(ch)] => ch.clone(),
        other => panic!("expected one ClientHello, got {other:?}"),
    }
}

#[test]
fn decodes_rustls_client_hello() {
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    let ch = rustls_client_hello(config);
    let e = &ch.extensions;
    assert_eq!(e.server_name.as_deref(), Some("example.com"));
    assert!(e
        .supported_versions
        .as_ref()
        .unwrap()
        .contains(&ProtocolVersion::TLS1_3));
    assert!(ch
        .cipher_suites
        .contains(&CipherSuiteId::TLS_AES_128_GCM_SHA256));
    let shares = e.key_shares.as_ref().unwrap();
    assert!(shares.iter().any(|s| s.group == NamedGroup::X25519));
    assert!(e
        .signature_algorithms
        .as_ref()
        .unwrap()
        .contains(&SignatureScheme::ED25519));
    assert!(e.psk_modes.is_some());
}

#[test]
fn decodes_rustls_tls12_only_client_hello() {
    let config = rustls::ClientConfig::builder_with_protocol_versions(&[&rustls::version::TLS12])
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    let ch = rustls_client_hello(config);
    // A TLS 1.2-only offer: no TLS 1.3 version, no key shares.
    let versions = ch.extensions.supported_versions.clone().unwrap_or_default();
    assert!(!versions.contains(&ProtocolVersion::TLS1_3));
    assert!(ch.extensions.key_shares.is_none());
    assert!(ch
        .cipher_suites
        .contains(&CipherSuiteId::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256));
    assert!(ch
        .extensions
        .present
        .contains(&ExtensionType::EXTENDED_MASTER_SECRET));
}

fn rustls_server() -> rustls::ServerConnection {
    let cert = rcgen::generate_simple_self_signed(vec!["example.com".to_string()]).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.signing_key.serialize_der()));
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .unwrap();
    rustls::ServerConnection::new(Arc::new(config)).unwrap()
}

/// Our ClientHello as a TLS record, fed to a rustls server; returns the
/// plaintext handshake messages it answers with.
fn rustls_answer(ch: ClientHello) -> Vec<HandshakeMessage> {
    let msg = HandshakeMessage::ClientHello(ch).to_bytes();
    let mut record = vec![22, 3, 1];
    record.extend_from_slice(&(msg.len() as u16).to_be_bytes());
    record.extend_from_slice(&msg);
    let mut server = rustls_server();
    server.read_tls(&mut record.as_slice()).unwrap();
    server.process_new_packets().unwrap();
    let mut wire = Vec::new();
    while server.wants_write() {
        server.write_tls(&mut wire).unwrap();
    }
    // Only the first record (ServerHello or HRR) is plaintext handshake.
    let len = usize::from(u16::from_be_bytes([wire[3], wire[4]]));
    assert_eq!(wire[0], 22);
    split_messages(&wire[5..5 + len])
}

fn our_client_hello(key_shares: Vec<KeyShareEntry>) -> ClientHello {
    let mut random = [0u8; 32];
    SystemRandom::new().fill(&mut random).unwrap();
    ClientHello {
        legacy_version: ProtocolVersion::TLS1_2,
        random,
        legacy_session_id: vec![0x5a; 32],
        cipher_suites: vec![
            CipherSuiteId::TLS_AES_256_GCM_SHA384,
            CipherSuiteId::TLS_AES_128_GCM_SHA256,
        ],
        compression_methods: vec![0],
        extensions: ClientExtensions {
            server_name: Some("example.com".into()),
            supported_versions: Some(vec![ProtocolVersion::TLS1_3]),
            supported_groups: Some(vec![NamedGroup::X25519]),
            signature_algorithms: Some(vec![
                SignatureScheme::ECDSA_SECP256R1_SHA256,
                SignatureScheme::ED25519,
                SignatureScheme::RSA_PSS_RSAE_SHA256,
            ]),
            key_shares: Some(key_shares),
            alpn: None,
            psk_modes: Some(vec![PskKeyExchangeMode::PSK_DHE_KE]),
            ..Default::default()
        },
    }
}

#[test]
fn rustls_accepts_our_client_hello() {
    let private = EphemeralPrivateKey::generate(&X25519, &SystemRandom::new()).unwrap();
    let public = private.compute_public_key().unwrap();
    let ch = our_client_hello(vec![KeyShareEntry {
        group: NamedGroup::X25519,
        key_exchange: public.as_ref().to_vec(),
    }]);
    let answer = rustls_answer(ch);
    let [HandshakeMessage::ServerHello(sh)] = answer.as_slice() else {
        panic!("{answer:?}")
    };
    assert!(!sh.is_hello_retry_request());
    assert_eq!(sh.legacy_session_id_echo, vec![0x5a; 32]);
    assert_eq!(sh.cipher_suite, CipherSuiteId::TLS_AES_256_GCM_SHA384);
    assert_eq!(
        sh.extensions.supported_version,
        Some(ProtocolVersion::TLS1_3)
    );
    let share = sh.extensions.key_share.as_ref().unwrap();
    assert_eq!(share.group, NamedGroup::X25519);
    assert_eq!(share.key_exchange.len(), 32);
}

#[test]
fn rustls_answers_hello_retry_request() {
    let answer = rustls_answer(our_client_hello(vec![]));
    let [HandshakeMessage::ServerHello(hrr)] = answer.as_slice() else {
        panic!("{answer:?}")
    };
    assert!(hrr.is_hello_retry_request());
    assert_eq!(hrr.extensions.selected_group, Some(NamedGroup::X25519));
    assert_eq!(
        hrr.extensions.supported_version,
        Some(ProtocolVersion::TLS1_3)
    );
}

#[test]
fn borrowed_parse_of_rustls_client_hello() {
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    let msg = rustls_client_hello_message(config);
    let body = &msg[4..];
    let owned = ClientHello::decode(body).unwrap();
    let view = ClientHelloRef::parse(body).unwrap();
    assert_eq!(view.clone().into_owned(), owned);
    let e = &view.extensions;
    assert_eq!(e.server_name, Some("example.com"));
    assert!(e
        .supported_versions
        .unwrap()
        .contains(ProtocolVersion::TLS1_3));
    // The shares borrow the message: the hybrid one is 1216 bytes long in place.
    let shares: Vec<_> = e.key_shares.unwrap().iter().collect();
    assert_eq!(
        shares.len(),
        owned.extensions.key_shares.as_ref().unwrap().len()
    );
    for (s, o) in shares
        .iter()
        .zip(owned.extensions.key_shares.as_ref().unwrap())
    {
        assert_eq!(s.group, o.group);
        assert_eq!(s.key_exchange, o.key_exchange.as_slice());
        assert!(body.as_ptr_range().contains(&s.key_exchange.as_ptr()));
    }
    assert!(e
        .present
        .iter()
        .eq(owned.extensions.present.iter().copied()));
}
