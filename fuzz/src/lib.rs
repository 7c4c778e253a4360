//! Shared fixtures for the connection fuzz targets: a few server and client configurations
//! (built once per process) and a driver that feeds input-chosen chunks to a [`Connection`].
//!
//! The input's first byte is a "knobs" byte (which configuration, how to chunk the wire);
//! the rest is what the peer sent. Seeds in `fuzz/seeds/` follow the same layout.

use std::sync::{Arc, OnceLock};

use padlock::crypto;
use padlock::padlock_cert::RootStore;
use padlock::pki_types::ServerName;
use padlock::{CertifiedKey, ClientConfig, Connection, ServerConfig};

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

/// Server configurations the knobs choose between: defaults; a server that accepts only
/// secp384r1 (a ClientHello sharing X25519 gets a HelloRetryRequest, so the second
/// ClientHello path is reachable in plaintext); one preferring the client's share, with ALPN
/// and tracing.
pub fn server_config(knobs: u8) -> Arc<ServerConfig> {
    static CONFIGS: OnceLock<Vec<Arc<ServerConfig>>> = OnceLock::new();
    let configs = CONFIGS.get_or_init(|| {
        let key = || CertifiedKey::from_pem(pki().1.as_bytes(), pki().2.as_bytes()).unwrap();
        let plain = ServerConfig::with_single_cert(key()).unwrap();
        let mut hrr = ServerConfig::with_single_cert(key()).unwrap();
        hrr.groups = vec![&crypto::SECP384R1];
        hrr.alpn_protocols = vec![b"h2".to_vec()];
        let mut alpn = ServerConfig::with_single_cert(key()).unwrap();
        alpn.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        alpn.prefer_existing_key_share = true;
        alpn.trace = true;
        vec![Arc::new(plain), Arc::new(hrr), Arc::new(alpn)]
    });
    Arc::clone(&configs[usize::from(knobs) % configs.len()])
}

/// Client configurations: defaults (shares X25519MLKEM768 and X25519); a client sharing
/// only secp256r1 without middlebox compatibility; one with ALPN and tracing.
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
        vec![Arc::new(plain), Arc::new(p256), Arc::new(alpn)]
    });
    Arc::clone(&configs[usize::from(knobs) % configs.len()])
}

/// A client that has already produced its ClientHello (discarded: the fuzzer plays the
/// server).
pub fn client(knobs: u8) -> Connection {
    let name = ServerName::try_from("localhost").unwrap();
    let mut conn = Connection::client(client_config(knobs), name).unwrap();
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
