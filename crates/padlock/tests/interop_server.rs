//! Real clients (`openssl s_client`, `gnutls-cli`, `curl`, raw sockets) against a padlock
//! server running in this process: every suite x group, every server key type, HelloRetryRequest
//! forced from the client's side, KeyUpdate sent by the peer, ALPN, SNI, and bad input. Each
//! test asserts both what the client printed and what the *server* recorded (its
//! `HandshakeInfo`, or the typed `padlock::Error` that ended the connection).

mod common;

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;

use common::*;
use padlock::alert::AlertDescription;
use padlock::crypto::{self, CipherSuite, Group};
use padlock::pki_types::ServerName;
use padlock::{CertifiedKey, ClientConfig, Connection, Error, ServerConfig, SniResolver};

// ---------------------------------------------------------------------------------------------
// Configurations
// ---------------------------------------------------------------------------------------------

fn pki() -> &'static TestPki {
    TestPki::shared()
}

fn certified_key(kind: KeyKind) -> CertifiedKey {
    let cred = pki().server(kind);
    CertifiedKey::from_pem_files(&cred.chain_pem, &cred.key_pem).unwrap()
}

fn server_config(kind: KeyKind) -> ServerConfig {
    ServerConfig::with_single_cert(certified_key(kind)).unwrap()
}

fn suite(name: &str) -> &'static CipherSuite {
    crypto::suite_by_name(name).unwrap()
}

fn group(name: &str) -> &'static Group {
    crypto::group_by_name(canonical_group(name)).unwrap()
}

fn combos() -> Vec<(&'static str, &'static str)> {
    SUITES
        .iter()
        .flat_map(|s| GROUPS.iter().map(move |g| (*s, *g)))
        .collect()
}

fn assert_negotiated(seen: &Seen, suite: &str, group: &str) {
    let info = seen.info();
    assert_eq!(info.cipher_suite, Some(suite), "{seen:?}");
    assert_eq!(info.group_name, Some(canonical_group(group)), "{seen:?}");
    assert_eq!(
        info.version,
        Some(padlock::msgs::enums::ProtocolVersion::TLS1_3)
    );
}

// ---------------------------------------------------------------------------------------------
// Interactive clients: send lines, wait for their echo, end with close_notify
// ---------------------------------------------------------------------------------------------

/// `openssl s_client` with `args`, one line echoed; returns its output.
fn openssl_echo(port: u16, args: &[&str]) -> String {
    let mut peer = spawn_openssl_s_client(port, args);
    echo_through(&mut peer, &token("openssl"));
    finish(peer)
}

/// `gnutls-cli` with `args`, one line echoed; returns its output.
fn gnutls_echo(port: u16, args: &[&str]) -> String {
    let mut peer = spawn_gnutls_cli(port, args);
    echo_through(&mut peer, &token("gnutls"));
    finish(peer)
}

fn openssl_checked_args(kind: KeyKind, extra: &[String]) -> Vec<String> {
    let mut args = openssl_verify_args(pki(), kind);
    args.extend(extra.iter().cloned());
    args
}

fn gnutls_checked_args(kind: KeyKind, extra: &[String]) -> Vec<String> {
    let mut args = gnutls_verify_args(pki(), kind);
    args.extend(extra.iter().cloned());
    args
}

// ---------------------------------------------------------------------------------------------
// 1-3: every suite x group with each client
// ---------------------------------------------------------------------------------------------

#[test]
fn openssl_s_client_every_suite_and_group() {
    let server = Server::start(server_config(KeyKind::EcdsaP256), Service::Echo);
    for (i, (suite, group)) in combos().into_iter().enumerate() {
        let mut extra = openssl_tls13_args(suite, &[group]);
        extra.push("-brief".into());
        let args = openssl_checked_args(KeyKind::EcdsaP256, &extra);
        let out = openssl_echo(server.port, &strs(&args));
        assert!(out.contains(&format!("Ciphersuite: {suite}")), "{out}");
        assert!(out.contains("Verification: OK"), "{out}");
        assert!(out.contains("Verified peername: localhost"), "{out}");
        let seen = server.nth(i + 1);
        assert_negotiated(&seen, suite, group);
        assert!(!seen.info().hello_retry);
        assert_eq!(seen.info().server_name.as_deref(), Some("localhost"));
        assert!(seen.peer_closed, "no close_notify from s_client: {seen:?}");
        assert!(seen.error.is_none(), "{seen:?}");
    }
}

#[test]
fn gnutls_cli_every_suite_and_group() {
    let server = Server::start(server_config(KeyKind::EcdsaP256), Service::Echo);
    for (i, (suite, group)) in combos().into_iter().enumerate() {
        let extra = vec![format!(
            "--priority={}",
            gnutls_priority(&[suite], &[group])
        )];
        let args = gnutls_checked_args(KeyKind::EcdsaP256, &extra);
        let out = gnutls_echo(server.port, &strs(&args));
        // e.g. "- Description: (TLS1.3-X.509)-(ECDHE-X25519)-(ECDSA-SECP256R1-SHA256)-(AES-128-GCM)"
        let group_token = gnutls_group(group).trim_start_matches("+GROUP-");
        let cipher_token = gnutls_cipher(suite).trim_start_matches('+');
        for part in [
            "(TLS1.3-X.509)".to_string(),
            format!("(ECDHE-{group_token})"),
            format!("({cipher_token})"),
        ] {
            assert!(out.contains(&part), "{part} missing: {out}");
        }
        let seen = server.nth(i + 1);
        assert_negotiated(&seen, suite, group);
        assert_eq!(seen.info().server_name.as_deref(), Some("localhost"));
        assert!(seen.error.is_none(), "{seen:?}");
    }
}

#[test]
fn curl_fetches_a_page_with_every_suite() {
    let server = Server::start(server_config(KeyKind::EcdsaP256), Service::Http);
    let groups = ["X25519", "secp256r1", "secp384r1"];
    for (i, (suite, group)) in SUITES.iter().zip(groups).enumerate() {
        let mut args = curl_tls13_args(suite, &[group]);
        args.extend(curl_verify_args(pki(), KeyKind::EcdsaP256));
        args.extend(["--http1.1".into(), "-w".into(), "%{http_code}".into()]);
        let run = curl(server.port, &strs(&args));
        run.assert_success();
        assert_eq!(run.stdout, format!("{PAGE}200"), "{run:?}");
        let seen = server.nth(i + 1);
        assert_negotiated(&seen, suite, group);
        assert!(
            seen.received.starts_with(b"GET / HTTP/1.1\r\n"),
            "{:?}",
            String::from_utf8_lossy(&seen.received)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 4: every server key type, checked by OpenSSL with the scheme pinned
// ---------------------------------------------------------------------------------------------

/// A CertificateVerify scheme (RFC 8446 §4.2.3) and how OpenSSL reports it: (scheme, "Peer
/// signature type", "Peer signing digest").
type Scheme = (&'static str, &'static str, &'static str);

/// Each server key type with the schemes it can sign with.
const KEY_SCHEMES: &[(KeyKind, &[Scheme])] = &[
    (
        KeyKind::EcdsaP256,
        &[("ecdsa_secp256r1_sha256", "ECDSA", "SHA256")],
    ),
    (
        KeyKind::EcdsaP384,
        &[("ecdsa_secp384r1_sha384", "ECDSA", "SHA384")],
    ),
    (
        KeyKind::Rsa2048,
        &[
            ("rsa_pss_rsae_sha256", "RSA-PSS", "SHA256"),
            ("rsa_pss_rsae_sha384", "RSA-PSS", "SHA384"),
            ("rsa_pss_rsae_sha512", "RSA-PSS", "SHA512"),
        ],
    ),
    (KeyKind::Ed25519, &[("ed25519", "ed25519", "")]),
    (
        KeyKind::RsaPss,
        &[
            ("rsa_pss_pss_sha256", "RSA-PSS", "SHA256"),
            ("rsa_pss_pss_sha384", "RSA-PSS", "SHA384"),
            ("rsa_pss_pss_sha512", "RSA-PSS", "SHA512"),
        ],
    ),
];

#[test]
fn every_server_key_type_verifies_in_openssl() {
    for (kind, schemes) in KEY_SCHEMES {
        let server = Server::start(server_config(*kind), Service::Echo);
        for (i, (scheme, sig_type, digest)) in schemes.iter().enumerate() {
            // `-sigalgs` pins the one scheme the server may sign its CertificateVerify with.
            let extra = strings(&["-tls1_3", "-sigalgs", scheme]);
            let args = openssl_checked_args(*kind, &extra);
            let out = openssl_echo(server.port, &strs(&args));
            assert!(
                out.contains("Verify return code: 0 (ok)"),
                "{kind:?}: {out}"
            );
            assert!(
                out.contains(&format!("Peer signature type: {sig_type}")),
                "{scheme}: {out}"
            );
            if !digest.is_empty() {
                assert!(
                    out.contains(&format!("Peer signing digest: {digest}")),
                    "{scheme}: {out}"
                );
            }
            let seen = server.nth(i + 1);
            assert!(seen.error.is_none(), "{kind:?} {scheme}: {seen:?}");
        }
    }
}

#[test]
fn every_server_key_type_verifies_in_gnutls() {
    for (kind, _) in KEY_SCHEMES {
        let server = Server::start(server_config(*kind), Service::Echo);
        let args = gnutls_checked_args(*kind, &[]);
        gnutls_echo(server.port, &strs(&args));
        let seen = server.nth(1);
        assert!(seen.error.is_none(), "{kind:?}: {seen:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// 5: HelloRetryRequest forced by what the client sends
// ---------------------------------------------------------------------------------------------

/// The server accepts only secp384r1; the client's one share is X25519.
fn p384_only_server() -> Server {
    let mut config = server_config(KeyKind::EcdsaP256);
    config.groups = vec![group("secp384r1")];
    Server::start(config, Service::Echo)
}

/// The server prefers secp256r1 and will not settle for the client's X25519 share.
fn p256_preferring_server() -> Server {
    let mut config = server_config(KeyKind::EcdsaP256);
    config.groups = vec![group("secp256r1"), group("X25519")];
    config.prefer_existing_key_share = false;
    Server::start(config, Service::Echo)
}

#[test]
fn openssl_hello_retry_when_no_share_fits() {
    let server = p384_only_server();
    let args = openssl_checked_args(
        KeyKind::EcdsaP256,
        &strings(&["-tls1_3", "-groups", "X25519:P-384", "-msg"]),
    );
    let out = openssl_echo(server.port, &strs(&args));
    // The client sent two ClientHellos; the retry was answered with P-384.
    assert_eq!(out.matches(", ClientHello").count(), 2, "{out}");
    let seen = server.nth(1);
    assert!(seen.info().hello_retry, "{seen:?}");
    assert_eq!(seen.info().group_name, Some("secp384r1"));
}

#[test]
fn openssl_hello_retry_to_the_servers_preferred_group() {
    let server = p256_preferring_server();
    let args = openssl_checked_args(
        KeyKind::EcdsaP256,
        &strings(&["-tls1_3", "-groups", "X25519:P-256", "-msg"]),
    );
    let out = openssl_echo(server.port, &strs(&args));
    assert_eq!(out.matches(", ClientHello").count(), 2, "{out}");
    let seen = server.nth(1);
    assert!(seen.info().hello_retry, "{seen:?}");
    assert_eq!(seen.info().group_name, Some("secp256r1"));
}

#[test]
fn openssl_hello_retry_when_its_share_is_for_a_group_we_lack() {
    // OpenSSL sends one share, for the first group listed: X448, which padlock does not
    // implement. The default server (all groups) asks for P-256 instead.
    let server = Server::start(server_config(KeyKind::EcdsaP256), Service::Echo);
    let args = openssl_checked_args(
        KeyKind::EcdsaP256,
        &strings(&["-tls1_3", "-groups", "X448:P-256", "-brief"]),
    );
    let out = openssl_echo(server.port, &strs(&args));
    assert!(out.contains("Server Temp Key: ECDH, prime256v1"), "{out}");
    let seen = server.nth(1);
    assert!(seen.info().hello_retry, "{seen:?}");
    assert_eq!(seen.info().group_name, Some("secp256r1"));
}

#[test]
fn gnutls_hello_retry_when_no_share_fits() {
    let server = p384_only_server();
    // GnuTLS sends shares for the first two groups listed: X25519 and P-256.
    let priority = gnutls_priority(&[], &["X25519", "secp256r1", "secp384r1"]);
    let args = gnutls_checked_args(KeyKind::EcdsaP256, &[format!("--priority={priority}")]);
    gnutls_echo(server.port, &strs(&args));
    let seen = server.nth(1);
    assert!(seen.info().hello_retry, "{seen:?}");
    assert_eq!(seen.info().group_name, Some("secp384r1"));
}

#[test]
fn gnutls_hello_retry_to_the_servers_preferred_group() {
    let server = p256_preferring_server();
    // Shares for X25519 and P-384; the server wants P-256, which the client also lists.
    let priority = gnutls_priority(&[], &["X25519", "secp384r1", "secp256r1"]);
    let args = gnutls_checked_args(KeyKind::EcdsaP256, &[format!("--priority={priority}")]);
    gnutls_echo(server.port, &strs(&args));
    let seen = server.nth(1);
    assert!(seen.info().hello_retry, "{seen:?}");
    assert_eq!(seen.info().group_name, Some("secp256r1"));
}

// ---------------------------------------------------------------------------------------------
// 6: KeyUpdate from the peer
// ---------------------------------------------------------------------------------------------

#[test]
fn openssl_key_update_requested_is_answered() {
    let server = Server::start(server_config(KeyKind::EcdsaP256), Service::Echo);
    let args = openssl_checked_args(KeyKind::EcdsaP256, &strings(&["-tls1_3", "-msg"]));
    let mut peer = spawn_openssl_s_client(server.port, &strs(&args));
    let (before, after) = openssl_key_update(&mut peer, true);
    let out = finish(peer);
    let key_updates: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("Handshake [length 0005], KeyUpdate"))
        .collect();
    // Ours went out first; the server's answer came back (before the echo under new keys).
    assert_eq!(
        key_updates,
        [
            ">>> TLS 1.3, Handshake [length 0005], KeyUpdate",
            "<<< TLS 1.3, Handshake [length 0005], KeyUpdate"
        ],
        "{out}"
    );
    let seen = server.nth(1);
    assert_eq!(seen.key_updates, vec![true], "{seen:?}");
    assert_eq!(seen.received, format!("{before}\n{after}\n").into_bytes());
    assert!(seen.peer_closed && seen.error.is_none(), "{seen:?}");
}

#[test]
fn openssl_key_update_not_requested() {
    let server = Server::start(server_config(KeyKind::EcdsaP256), Service::Echo);
    let args = openssl_checked_args(KeyKind::EcdsaP256, &strings(&["-tls1_3", "-msg"]));
    let mut peer = spawn_openssl_s_client(server.port, &strs(&args));
    openssl_key_update(&mut peer, false);
    let out = finish(peer);
    assert!(
        !out.contains("<<< TLS 1.3, Handshake [length 0005], KeyUpdate"),
        "{out}"
    );
    assert_eq!(server.nth(1).key_updates, vec![false]);
}

/// gnutls-cli's inline commands: `^rekey^` updates both directions (update_requested),
/// `^rekey1^` only its own sending keys.
fn gnutls_rekey(command: &str) -> Seen {
    let server = Server::start(server_config(KeyKind::EcdsaP256), Service::Echo);
    let args = gnutls_checked_args(KeyKind::EcdsaP256, &strings(&["--inline-commands"]));
    let mut peer = spawn_gnutls_cli(server.port, &strs(&args));
    let before = token("before");
    echo_through(&mut peer, &before);
    peer.send_stdin(&format!("{command}\n"));
    peer.wait_for_output("- Rekey was completed", DEFAULT_TIMEOUT);
    let after = token("after");
    echo_through(&mut peer, &after);
    finish(peer);
    let seen = server.nth(1);
    assert_eq!(seen.received, format!("{before}\n{after}\n").into_bytes());
    assert!(seen.error.is_none(), "{seen:?}");
    seen
}

#[test]
fn gnutls_rekey_with_update_requested_is_answered() {
    assert_eq!(gnutls_rekey("^rekey^").key_updates, vec![true]);
}

#[test]
fn gnutls_rekey_local_only() {
    assert_eq!(gnutls_rekey("^rekey1^").key_updates, vec![false]);
}

// ---------------------------------------------------------------------------------------------
// 7: ALPN
// ---------------------------------------------------------------------------------------------

fn alpn_server() -> Server {
    let mut config = server_config(KeyKind::EcdsaP256);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Server::start(config, Service::Echo)
}

#[test]
fn openssl_alpn_agrees_on_h2() {
    let server = alpn_server();
    let args = openssl_checked_args(
        KeyKind::EcdsaP256,
        &strings(&["-tls1_3", "-alpn", "http/1.1,h2"]),
    );
    let out = openssl_echo(server.port, &strs(&args));
    assert!(out.contains("ALPN protocol: h2"), "{out}");
    assert_eq!(server.nth(1).info().alpn.as_deref(), Some(&b"h2"[..]));
}

#[test]
fn openssl_alpn_mismatch_is_no_application_protocol() {
    let server = alpn_server();
    let args = openssl_checked_args(KeyKind::EcdsaP256, &strings(&["-tls1_3", "-alpn", "imap"]));
    let run = openssl_s_client(server.port, &strs(&args));
    run.assert_failure();
    // OpenSSL names the alert and its number (RFC 7301 §3.2: no_application_protocol, 120).
    run.assert_output_contains("no application protocol")
        .assert_output_contains("alert number 120");
    let seen = server.nth(1);
    match seen.error() {
        Error::NoApplicationProtocol { offered } => assert_eq!(offered, &["imap"]),
        other => panic!("expected NoApplicationProtocol, got {other:?}"),
    }
    assert!(seen.info.is_none());
}

#[test]
fn gnutls_alpn_agrees_and_mismatch_fails() {
    let server = alpn_server();
    let args = gnutls_checked_args(KeyKind::EcdsaP256, &strings(&["--alpn=h2"]));
    let out = gnutls_echo(server.port, &strs(&args));
    assert!(out.contains("Application protocol: h2"), "{out}");
    assert_eq!(server.nth(1).info().alpn.as_deref(), Some(&b"h2"[..]));

    let args = gnutls_checked_args(KeyKind::EcdsaP256, &strings(&["--alpn=imap"]));
    let run = gnutls_cli(server.port, &strs(&args));
    run.assert_failure();
    run.assert_output_contains("No supported application protocol");
    assert!(matches!(
        server.nth(2).error(),
        Error::NoApplicationProtocol { .. }
    ));
}

// ---------------------------------------------------------------------------------------------
// 8: bad input
// ---------------------------------------------------------------------------------------------

#[test]
fn tls12_only_client_gets_protocol_version() {
    let server = Server::start(server_config(KeyKind::EcdsaP256), Service::Echo);
    let args = openssl_checked_args(KeyKind::EcdsaP256, &strings(&["-tls1_2"]));
    let run = openssl_s_client(server.port, &strs(&args));
    run.assert_failure()
        .assert_output_contains("alert protocol version");
    let seen = server.nth(1);
    let error = seen.error();
    match error {
        Error::ProtocolVersion { offered } => assert_eq!(
            offered,
            &[padlock::msgs::enums::ProtocolVersion::TLS1_2],
            "{error}"
        ),
        other => panic!("expected ProtocolVersion, got {other:?}"),
    }
    assert_eq!(error.alert(), Some(AlertDescription::PROTOCOL_VERSION));
    let message = error.to_string();
    assert!(
        message.contains("TLS 1.3") && message.contains("TLSv1.2"),
        "{message}"
    );
}

#[test]
fn gnutls_tls12_only_client_gets_protocol_version() {
    let server = Server::start(server_config(KeyKind::EcdsaP256), Service::Echo);
    let priority = "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.1";
    let args = gnutls_checked_args(KeyKind::EcdsaP256, &[format!("--priority={priority}")]);
    let run = gnutls_cli(server.port, &strs(&args));
    run.assert_failure();
    run.assert_output_contains("protocol version");
    let seen = server.nth(1);
    let error = seen.error();
    assert!(matches!(error, Error::ProtocolVersion { .. }), "{error:?}");
    assert!(error.to_string().contains("TLSv1.2"), "{error}");
}

#[test]
fn no_common_cipher_suite_is_handshake_failure() {
    let mut config = server_config(KeyKind::EcdsaP256);
    config.cipher_suites = vec![suite("TLS_CHACHA20_POLY1305_SHA256")];
    let server = Server::start(config, Service::Echo);
    let args = openssl_checked_args(
        KeyKind::EcdsaP256,
        &strings(&["-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"]),
    );
    let run = openssl_s_client(server.port, &strs(&args));
    run.assert_failure()
        .assert_output_contains("alert handshake failure");
    let seen = server.nth(1);
    match seen.error() {
        Error::NoCommonCipherSuite { offered } => {
            assert!(
                offered.iter().any(|s| s == "TLS_AES_128_GCM_SHA256"),
                "{offered:?}"
            );
            assert!(!offered.iter().any(|s| s == "TLS_CHACHA20_POLY1305_SHA256"));
        }
        other => panic!("expected NoCommonCipherSuite, got {other:?}"),
    }
    assert_eq!(
        seen.error().alert(),
        Some(AlertDescription::HANDSHAKE_FAILURE)
    );
}

/// A raw TCP client: sends `bytes`, half-closes, and returns everything the server sent back.
fn raw_exchange(port: u16, bytes: &[u8]) -> Vec<u8> {
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(DEFAULT_TIMEOUT)).unwrap();
    // The server may fail and close before reading everything: a broken pipe is fine.
    let _ = tcp.write_all(bytes);
    let _ = tcp.shutdown(Shutdown::Write);
    let mut reply = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tcp.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => reply.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("reading the server's answer: {e}"),
        }
    }
    reply
}

/// The first bytes of the ClientHello record padlock's own client would send.
fn a_real_client_hello() -> Vec<u8> {
    let config = ClientConfig::new(padlock::padlock_cert::RootStore::empty());
    let conn =
        Connection::client(Arc::new(config), ServerName::try_from("localhost").unwrap()).unwrap();
    conn.pending_tls().to_vec()
}

/// Asserts the server answered with exactly the fatal alert its error names, in a plaintext
/// alert record (RFC 8446 §6: before keys exist, alerts are sent unprotected).
fn assert_alert_record(reply: &[u8], seen: &Seen) {
    let alert = seen
        .error()
        .alert()
        .unwrap_or_else(|| panic!("error with no alert: {seen:?}"));
    assert!(
        reply.len() >= 7,
        "no alert record: {reply:02x?} for {seen:?}"
    );
    assert_eq!(reply[0], 0x15, "not an alert record: {reply:02x?}");
    assert_eq!(&reply[3..5], &[0, 2], "alert length: {reply:02x?}");
    assert_eq!(reply[5], 2, "not fatal: {reply:02x?}");
    assert_eq!(reply[6], alert.0, "{reply:02x?} for {seen:?}");
}

#[test]
fn half_a_client_hello_then_close() {
    let server = Server::start(server_config(KeyKind::EcdsaP256), Service::Echo);
    let hello = a_real_client_hello();
    // Cut inside the record header, then inside the body.
    for (i, cut) in [3, hello.len() / 2].into_iter().enumerate() {
        let reply = raw_exchange(server.port, &hello[..cut]);
        let seen = server.nth(i + 1);
        assert!(matches!(seen.error(), Error::Truncated), "{seen:?}");
        assert!(seen.info.is_none());
        assert!(reply.is_empty(), "{reply:02x?}");
    }
}

#[test]
fn garbage_gets_an_alert_never_a_panic() {
    let server = Server::start(server_config(KeyKind::EcdsaP256), Service::Echo);
    let mut n = 0;
    let mut check = |bytes: &[u8], want: Option<AlertDescription>| {
        let reply = raw_exchange(server.port, bytes);
        n += 1;
        let seen = server.nth(n);
        assert!(seen.info.is_none(), "{seen:?}");
        assert_alert_record(&reply, &seen);
        if let Some(want) = want {
            assert_eq!(seen.error().alert(), Some(want), "{seen:?}");
        }
    };
    // Plain HTTP on the TLS port: not a record content type.
    check(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", None);
    // A record longer than RFC 8446 §5.1 allows.
    check(
        &[0x16, 0x03, 0x01, 0xff, 0xff, 0x01],
        Some(AlertDescription::RECORD_OVERFLOW),
    );
    // A ClientHello whose body is noise.
    let mut noise = vec![0x16, 0x03, 0x01, 0x00, 0x44, 0x01, 0x00, 0x00, 0x40];
    noise.extend(pseudo_random(1, 0x40));
    check(&noise, Some(AlertDescription::DECODE_ERROR));
    // A real ClientHello with bits flipped past its header, and pure noise of many lengths.
    let hello = a_real_client_hello();
    for seed in 2..8 {
        let mut flipped = hello.clone();
        for (i, r) in pseudo_random(seed, 8).into_iter().enumerate() {
            let at = 9 + (r as usize * 7 + i * 131) % (hello.len() - 9);
            flipped[at] ^= 1 << (r % 8);
        }
        let reply = raw_exchange(server.port, &flipped);
        n += 1;
        let seen = server.nth(n);
        // A flip can land somewhere harmless (a random byte, a GREASE-like value); the
        // handshake then proceeds until the client's silence ends it. Either way: no panic,
        // and any error that names an alert sent it.
        if let Some(e) = &seen.error {
            if e.alert().is_some() {
                assert_alert_record_or_server_hello(&reply, &seen);
            }
        }
    }
    // Noise of many lengths: bare, inside a handshake record, and inside a ClientHello, so
    // that it reaches the deframer, the handshake joiner and the ClientHello decoder.
    for seed in 8..38u64 {
        let len = 1 + (seed as usize * 97) % 600;
        let body = pseudo_random(seed, len);
        let bytes = match seed % 3 {
            0 => body,
            1 => [record_header(0x16, len), body].concat(),
            _ => [
                record_header(0x16, len + 4),
                vec![0x01, 0, (len >> 8) as u8, len as u8],
                body,
            ]
            .concat(),
        };
        let reply = raw_exchange(server.port, &bytes);
        n += 1;
        let seen = server.nth(n);
        assert!(seen.info.is_none(), "{seen:?}");
        match seen.error().alert() {
            Some(_) => assert_alert_record(&reply, &seen),
            // A handshake message longer than its record, cut by our half-close.
            None => assert!(matches!(seen.error(), Error::Truncated), "{seen:?}"),
        }
    }
}

/// A plaintext TLS record header (RFC 8446 §5.1) for `len` bytes of content `typ`.
fn record_header(typ: u8, len: usize) -> Vec<u8> {
    vec![typ, 0x03, 0x01, (len >> 8) as u8, len as u8]
}

/// After a flipped bit the server may have answered with its flight before failing; the
/// alert is then the last record, encrypted. Check only what a plaintext answer shows.
fn assert_alert_record_or_server_hello(reply: &[u8], seen: &Seen) {
    if reply.first() == Some(&0x16) {
        return;
    }
    assert_alert_record(reply, seen);
}

/// Deterministic noise (xorshift64*), so a failure can be replayed.
fn pseudo_random(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// 9: SNI
// ---------------------------------------------------------------------------------------------

/// The second name the SNI server holds a certificate for, under its own CA.
const OTHER_NAME: &str = "other.padlock.test";

/// A CA and a P-384 leaf for [`OTHER_NAME`] (TestPki issues only `localhost` leaves), with
/// the CA written to a file the clients can trust. Removed on drop.
struct OtherName {
    dir: PathBuf,
    ca_pem: PathBuf,
    chain_pem: String,
    key_pem: String,
}

impl OtherName {
    fn new() -> OtherName {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
        let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "padlock SNI test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let leaf_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
        let mut leaf_params = CertificateParams::new(vec![OTHER_NAME.to_string()]).unwrap();
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, OTHER_NAME);
        leaf_params.use_authority_key_identifier_extension = true;
        let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
        let dir = std::env::temp_dir().join(format!(
            "padlock-interop-sni-{}-{}",
            std::process::id(),
            token("dir")
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let ca_pem = dir.join("other-ca.pem");
        std::fs::write(&ca_pem, ca.pem()).unwrap();
        OtherName {
            dir,
            ca_pem,
            chain_pem: leaf.pem(),
            key_pem: leaf_key.serialize_pem(),
        }
    }

    fn certified_key(&self) -> CertifiedKey {
        CertifiedKey::from_pem(self.chain_pem.as_bytes(), self.key_pem.as_bytes()).unwrap()
    }
}

impl Drop for OtherName {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A server with the TestPki `localhost` chain (added first: the default for unknown names and
/// for no name) and the [`OtherName`] chain.
fn sni_server(other: &OtherName) -> Server {
    let mut resolver = SniResolver::new();
    resolver.add(Arc::new(certified_key(KeyKind::EcdsaP256)));
    resolver.add(Arc::new(other.certified_key()));
    Server::start(
        ServerConfig::new(Arc::new(resolver)).unwrap(),
        Service::Echo,
    )
}

#[test]
fn openssl_sni_picks_the_certificate_by_name() {
    let other = OtherName::new();
    let server = sni_server(&other);
    let ca_pem = &other.ca_pem;

    // The second name: its own chain, checked by OpenSSL against its own CA and name.
    let args = strings(&[
        "-tls1_3",
        "-servername",
        OTHER_NAME,
        "-CAfile",
        ca_pem.to_str().unwrap(),
        "-verify_hostname",
        OTHER_NAME,
        "-verify_return_error",
        "-brief",
    ]);
    let out = openssl_echo(server.port, &strs(&args));
    assert!(
        out.contains(&format!("Peer certificate: CN = {OTHER_NAME}")),
        "{out}"
    );
    assert!(out.contains("Verification: OK"), "{out}");
    assert_eq!(
        server.nth(1).info().server_name.as_deref(),
        Some(OTHER_NAME)
    );

    // localhost: the TestPki chain.
    let mut args = openssl_verify_args(pki(), KeyKind::EcdsaP256);
    args.extend(strings(&["-tls1_3", "-brief"]));
    let out = openssl_echo(server.port, &strs(&args));
    assert!(out.contains("Peer certificate: CN = localhost"), "{out}");
    assert_eq!(
        server.nth(2).info().server_name.as_deref(),
        Some("localhost")
    );

    // A name no certificate covers, and no name at all: the default (localhost) chain.
    let ca = pki()
        .server(KeyKind::EcdsaP256)
        .ca_pem
        .display()
        .to_string();
    for (i, name_args) in [
        vec!["-servername", "unknown.padlock.test"],
        vec!["-noservername"],
    ]
    .into_iter()
    .enumerate()
    {
        let mut args = strings(&name_args);
        args.extend(strings(&[
            "-tls1_3",
            "-brief",
            "-CAfile",
            &ca,
            "-verify_return_error",
        ]));
        let out = openssl_echo(server.port, &strs(&args));
        assert!(out.contains("Peer certificate: CN = localhost"), "{out}");
        let seen = server.nth(3 + i);
        let expected = (i == 0).then_some("unknown.padlock.test");
        assert_eq!(seen.info().server_name.as_deref(), expected);
    }
}

#[test]
fn gnutls_sni_picks_the_certificate_by_name() {
    let other = OtherName::new();
    let server = sni_server(&other);
    let ca_pem = &other.ca_pem;
    let args = vec![
        format!("--sni-hostname={OTHER_NAME}"),
        format!("--verify-hostname={OTHER_NAME}"),
        format!("--x509cafile={}", ca_pem.display()),
    ];
    gnutls_echo(server.port, &strs(&args));
    assert_eq!(
        server.nth(1).info().server_name.as_deref(),
        Some(OTHER_NAME)
    );
    // The same client trusting only the other CA refuses the default chain for localhost.
    let args = vec![
        format!("--sni-hostname={SERVER_NAME}"),
        format!("--verify-hostname={SERVER_NAME}"),
        format!("--x509cafile={}", ca_pem.display()),
    ];
    gnutls_cli(server.port, &strs(&args)).assert_failure();
}
