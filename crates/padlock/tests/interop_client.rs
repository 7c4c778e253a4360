//! The padlock client against real servers started by the test: `openssl s_server` (OpenSSL
//! 3.0) and `gnutls-serv` (GnuTLS 3.7). Every suite x group each peer speaks, every server key
//! type, HelloRetryRequest forced by the server, KeyUpdate in both directions, ALPN, the
//! key log, and the failures a client must name: a TLS 1.2-only server, a wrong name, an
//! untrusted CA, a connection cut without close_notify.
//!
//! Interop tests never skip: a missing peer panics (see `common::require_tool`).
//!
//! What the peers were found to do, and the tests pin down:
//! - A TLS 1.2-only OpenSSL or GnuTLS reads our supported_versions and alerts before any
//!   ServerHello (protocol_version / handshake_failure); padlock's own ServerHello version
//!   and downgrade-sentinel checks are reached through a proxy that strips supported_versions.
//! - OpenSSL 3.0's s_server `-alpn` refuses a client with no protocol in common
//!   (no_application_protocol); gnutls-serv ignores the mismatch unless `--alpn-fatal`.
//! - s_server's `q` command closes the socket before its close_notify (a truncation), and in
//!   `-www` mode it waits for the client to close before accepting the next connection.

mod common;

use std::io::{self, BufRead, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use padlock::alert::AlertDescription;
use padlock::crypto::{self, Group};
use padlock::msgs::enums::{HandshakeType, ProtocolVersion, SignatureScheme};
use padlock::padlock_cert::{CertError, RootStore};
use padlock::pki_types::ServerName;
use padlock::{ClientConfig, Connection, Error, Event, KeyLogFile, Stream};

/// Bound on every socket read and write, so a silent peer fails the test instead of hanging it.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// A client trusting only the root in `ca_pem`, offering all of padlock's suites and groups.
fn client_trusting(ca_pem: &Path) -> ClientConfig {
    let mut roots = RootStore::empty();
    let added = roots.add_pem_file(ca_pem).unwrap();
    assert_eq!(added, 1, "{ca_pem:?} should hold exactly one root");
    ClientConfig::new(roots)
}

/// A client trusting the root that anchors the server credential of `kind`.
fn client_for(kind: KeyKind) -> ClientConfig {
    client_trusting(&TestPki::shared().server(kind).ca_pem)
}

/// A client offering exactly `group` (so its one key share fits and no HRR is needed).
fn client_with_group(kind: KeyKind, group: &str) -> ClientConfig {
    let mut config = client_for(kind);
    config.set_groups(vec![group_named(group)]);
    config
}

fn group_named(name: &str) -> &'static Group {
    crypto::group_by_name(name).unwrap_or_else(|| panic!("padlock lacks group {name}"))
}

/// A TCP connection to the peer on 127.0.0.1 with bounded reads and writes, wrapped in a
/// padlock client for `localhost`; nothing is sent yet.
fn open(port: u16, config: ClientConfig) -> Stream<TcpStream> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    tcp.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    tcp.set_nodelay(true).unwrap();
    let name = ServerName::try_from(SERVER_NAME).unwrap();
    let conn = Connection::client(Arc::new(config), name).unwrap();
    Stream::new(conn, tcp)
}

/// [`open`] and run the handshake, which must succeed.
fn connect(port: u16, config: ClientConfig) -> Stream<TcpStream> {
    let mut tls = open(port, config);
    if let Err(e) = tls.handshake() {
        panic!("handshake with the peer on port {port} failed: {e}");
    }
    tls
}

/// [`open`] and run the handshake, which must fail with a padlock [`Error`]; returns it.
fn connect_err(port: u16, config: ClientConfig) -> Error {
    let mut tls = open(port, config);
    match tls.handshake() {
        Ok(()) => panic!("handshake succeeded: {:?}", tls.connection().info()),
        Err(e) => tls_error(&e).clone(),
    }
}

/// The padlock [`Error`] inside an `io::Error` from [`Stream`].
fn tls_error(e: &io::Error) -> &Error {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<Error>())
        .unwrap_or_else(|| panic!("not a TLS error: {e:?} ({e})"))
}

/// Reads until what arrived contains `needle`; returns all of it.
fn read_until(tls: &mut Stream<TcpStream>, needle: &str) -> String {
    let deadline = Instant::now() + IO_TIMEOUT;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&got).contains(needle) {
        assert!(
            Instant::now() < deadline,
            "no {needle:?} after {IO_TIMEOUT:?}; got {:?}",
            String::from_utf8_lossy(&got)
        );
        match tls.read(&mut buf) {
            Ok(0) => panic!(
                "peer closed before sending {needle:?}; got {:?}",
                String::from_utf8_lossy(&got)
            ),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => panic!(
                "reading {needle:?}: {e}; got {:?}",
                String::from_utf8_lossy(&got)
            ),
        }
    }
    String::from_utf8(got).unwrap()
}

/// Sends an HTTP/1.0 GET to `openssl s_server -www` and reads the whole page, which must end
/// with the server's close_notify (a clean `Ok(0)`).
fn http_get(tls: &mut Stream<TcpStream>) -> String {
    tls.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut page = Vec::new();
    tls.read_to_end(&mut page)
        .unwrap_or_else(|e| panic!("reading the page: {e}"));
    assert!(tls.connection().peer_closed());
    String::from_utf8_lossy(&page).into_owned()
}

/// Writes `line` and reads it back from an echoing server.
fn echo(tls: &mut Stream<TcpStream>, line: &str) {
    tls.write_all(line.as_bytes()).unwrap();
    let got = read_until(tls, line);
    assert_eq!(got, line);
}

/// Asserts the negotiated suite and group, and that no HelloRetryRequest happened.
fn assert_negotiated(tls: &Stream<TcpStream>, suite: &str, group: &str) {
    let info = tls.connection().info();
    assert_eq!(info.version, Some(ProtocolVersion::TLS1_3));
    assert_eq!(info.cipher_suite, Some(suite), "{info:?}");
    assert_eq!(info.group_name, Some(canonical_group(group)), "{info:?}");
    assert!(!info.hello_retry, "{info:?}");
}

fn scheme_name(info: &padlock::HandshakeInfo) -> String {
    let scheme = info
        .peer_signature_scheme
        .expect("no CertificateVerify scheme");
    format!("{:?}", SignatureScheme(scheme))
}

/// Every event the connection has queued so far.
fn drain_events(tls: &mut Stream<TcpStream>) -> Vec<Event> {
    std::iter::from_fn(|| tls.connection_mut().next_event()).collect()
}

// ---------------------------------------------------------------------------------------
// 1. openssl s_server: every suite x group.

#[test]
fn openssl_every_suite_and_group() {
    let pki = TestPki::shared();
    for suite in SUITES {
        for group in GROUPS {
            let mut args = openssl_tls13_args(suite, &[group]);
            args.push("-www".into());
            let (server, port) = openssl_s_server(pki, KeyKind::EcdsaP256, &strs(&args));
            let mut tls = connect(port, client_with_group(KeyKind::EcdsaP256, group));
            assert_negotiated(&tls, suite, group);
            let page = http_get(&mut tls);
            assert!(
                page.starts_with("HTTP/1.0 200 ok"),
                "{suite} {group}: {page}"
            );
            // The status page names the suite the server thinks it negotiated.
            assert!(
                page.contains(&format!("New, TLSv1.3, Cipher is {suite}")),
                "{suite} {group}: {page}"
            );
            drop(server);
        }
    }
}

/// `Stream` as `BufRead`: the page of `openssl s_server -www` read line by line from the
/// plaintext padlock lends in place, up to the server's close_notify.
#[test]
fn openssl_page_read_line_by_line_without_copies() {
    let pki = TestPki::shared();
    let (server, port) = openssl_s_server(pki, KeyKind::EcdsaP256, &["-tls1_3", "-www"]);
    let mut tls = connect(port, client_for(KeyKind::EcdsaP256));
    tls.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut status = String::new();
    tls.read_line(&mut status).unwrap();
    assert_eq!(status.trim_end(), "HTTP/1.0 200 ok");
    let lines: Vec<String> = (&mut tls)
        .lines()
        .map(|l| l.unwrap_or_else(|e| panic!("reading the page: {e}")))
        .collect();
    assert!(
        lines.iter().any(|l| l.contains("New, TLSv1.3, Cipher is")),
        "{lines:?}"
    );
    assert!(tls.connection().peer_closed());
    assert!(tls.fill_buf().unwrap().is_empty(), "EOF after close_notify");
    drop(server);
}

// ---------------------------------------------------------------------------------------
// 2. gnutls-serv: every suite x group.

#[test]
fn gnutls_every_suite_and_group() {
    let pki = TestPki::shared();
    for suite in SUITES {
        for group in GROUPS {
            let priority = gnutls_priority(&[suite], &[group]);
            let (server, port) = gnutls_serv(
                pki,
                KeyKind::EcdsaP256,
                &["--echo", "--disable-client-cert", "--priority", &priority],
            );
            let mut tls = connect(port, client_with_group(KeyKind::EcdsaP256, group));
            assert_negotiated(&tls, suite, group);
            echo(&mut tls, &format!("ping {suite} {group}\n"));
            tls.close().unwrap();
            drop(server);
        }
    }
}

// ---------------------------------------------------------------------------------------
// 3. Every server key type: the client verifies the chain and the CertificateVerify.

#[test]
fn openssl_every_server_key_type() {
    let pki = TestPki::shared();
    for kind in KeyKind::ALL {
        let (server, port) = openssl_s_server(pki, kind, &["-tls1_3", "-www"]);
        let mut tls = connect(port, client_for(kind));
        let info = tls.connection().info().clone();
        assert_eq!(scheme_name(&info), kind.default_scheme(), "{kind:?}");
        let sent: Vec<&[u8]> = pki
            .server(kind)
            .chain_der
            .iter()
            .map(|c| c.as_ref())
            .collect();
        let got: Vec<&[u8]> = info.peer_certificates.iter().map(Vec::as_slice).collect();
        assert_eq!(got, sent, "{kind:?}: the chain as the server sent it");
        let page = http_get(&mut tls);
        assert!(page.starts_with("HTTP/1.0 200 ok"), "{kind:?}: {page}");
        drop(server);
    }
}

// ---------------------------------------------------------------------------------------
// 4. HelloRetryRequest forced by the server (RFC 8446 §4.1.4).

/// Offers X25519 and secp384r1 but sends only an X25519 share.
fn client_x25519_share_p384_allowed() -> ClientConfig {
    let mut config = client_for(KeyKind::EcdsaP256);
    config.groups = vec![&crypto::X25519, &crypto::SECP384R1];
    config.key_share_groups = vec![&crypto::X25519];
    config
}

fn assert_retried_with_p384(tls: &Stream<TcpStream>) {
    let info = tls.connection().info();
    assert!(info.hello_retry, "{info:?}");
    assert_eq!(info.group_name, Some("secp384r1"), "{info:?}");
}

#[test]
fn openssl_hello_retry_request() {
    let pki = TestPki::shared();
    let (server, port) = openssl_s_server(
        pki,
        KeyKind::EcdsaP256,
        &["-tls1_3", "-groups", "P-384", "-www", "-msg"],
    );
    let mut tls = connect(port, client_x25519_share_p384_allowed());
    assert_retried_with_p384(&tls);
    assert!(http_get(&mut tls).starts_with("HTTP/1.0 200 ok"));
    // The server saw both ClientHellos: the retry really crossed the wire.
    server.wait_for_output_count("ClientHello", 2, DEFAULT_TIMEOUT);
}

#[test]
fn gnutls_hello_retry_request() {
    let pki = TestPki::shared();
    let priority = gnutls_priority(&[], &["secp384r1"]);
    let (_server, port) = gnutls_serv(
        pki,
        KeyKind::EcdsaP256,
        &["--echo", "--disable-client-cert", "--priority", &priority],
    );
    let mut tls = connect(port, client_x25519_share_p384_allowed());
    assert_retried_with_p384(&tls);
    echo(&mut tls, "after a retry\n");
    tls.close().unwrap();
}

// ---------------------------------------------------------------------------------------
// 5. KeyUpdate (RFC 8446 §4.6.3) in both directions.

/// The -msg line for a KeyUpdate; `received` from openssl's point of view.
fn key_update_msg(received: bool) -> String {
    let arrow = if received { "<<<" } else { ">>>" };
    format!("{arrow} TLS 1.3, Handshake [length 0005], KeyUpdate")
}

/// `openssl s_server -msg` (no -www: stdin goes to the client, the client's data to stdout),
/// with padlock connected and the server done with its side of the handshake.
fn openssl_interactive() -> (Peer, Stream<TcpStream>) {
    let pki = TestPki::shared();
    let (server, port) = openssl_s_server(pki, KeyKind::EcdsaP256, &["-tls1_3", "-msg"]);
    let tls = connect(port, client_for(KeyKind::EcdsaP256));
    // Printed once the server has processed our Finished.
    server.wait_for_output("CIPHER is", DEFAULT_TIMEOUT);
    (server, tls)
}

#[test]
fn openssl_sends_key_update_requested() {
    let (mut server, mut tls) = openssl_interactive();
    server.send_stdin("K\n");
    server.wait_for_output(&key_update_msg(false), DEFAULT_TIMEOUT);
    server.send_stdin("from openssl under new keys\n");
    read_until(&mut tls, "from openssl under new keys\n");
    let events = drain_events(&mut tls);
    assert!(
        events.contains(&Event::PeerKeyUpdated {
            update_requested: true
        }),
        "{events:?}"
    );
    // padlock answered at once with its own KeyUpdate, update_not_requested (18 00 00 01 00).
    let out = server.wait_for_output(&key_update_msg(true), DEFAULT_TIMEOUT);
    let answer = out.split(&key_update_msg(true)).nth(1).unwrap();
    assert!(
        answer.trim_start().starts_with("18 00 00 01 00"),
        "{answer}"
    );
    // Both directions still work under the new keys.
    tls.write_all(b"from padlock under new keys\n").unwrap();
    server.wait_for_output("from padlock under new keys", DEFAULT_TIMEOUT);
    server.send_stdin("second line\n");
    read_until(&mut tls, "second line\n");
}

#[test]
fn openssl_accepts_padlock_key_update() {
    let (mut server, mut tls) = openssl_interactive();
    tls.key_update(true).unwrap();
    tls.write_all(b"after padlock's update\n").unwrap();
    let out = server.wait_for_output("after padlock's update", DEFAULT_TIMEOUT);
    let update = out.split(&key_update_msg(true)).nth(1).unwrap_or_else(|| {
        panic!("openssl did not log our KeyUpdate:\n{out}");
    });
    assert!(
        update.trim_start().starts_with("18 00 00 01 01"),
        "{update}"
    );
    // OpenSSL answers update_requested with its own KeyUpdate before its next data.
    server.send_stdin("reply under openssl's new keys\n");
    read_until(&mut tls, "reply under openssl's new keys\n");
    let events = drain_events(&mut tls);
    assert!(
        events.contains(&Event::PeerKeyUpdated {
            update_requested: false
        }),
        "{events:?}"
    );
    server.wait_for_output(&key_update_msg(false), DEFAULT_TIMEOUT);
    // And a second round without asking the peer to update.
    tls.key_update(false).unwrap();
    tls.write_all(b"second update\n").unwrap();
    server.wait_for_output("second update", DEFAULT_TIMEOUT);
}

// ---------------------------------------------------------------------------------------
// 6. ALPN (RFC 7301).

fn client_offering_alpn(protocols: &[&str]) -> ClientConfig {
    let mut config = client_for(KeyKind::EcdsaP256);
    config.alpn_protocols = protocols.iter().map(|p| p.as_bytes().to_vec()).collect();
    config
}

#[test]
fn openssl_alpn() {
    let pki = TestPki::shared();
    let (_server, port) = openssl_s_server(
        pki,
        KeyKind::EcdsaP256,
        &["-tls1_3", "-alpn", "h2,http/1.1", "-www"],
    );
    let mut tls = connect(port, client_offering_alpn(&["http/1.1"]));
    assert_eq!(
        tls.connection().info().alpn.as_deref(),
        Some(&b"http/1.1"[..])
    );
    assert!(http_get(&mut tls).starts_with("HTTP/1.0 200 ok"));
    // s_server reads until the client closes its side before it accepts the next connection.
    drop(tls);

    // OpenSSL's s_server picks by its own preference order.
    let mut tls = connect(port, client_offering_alpn(&["http/1.1", "h2"]));
    assert_eq!(tls.connection().info().alpn.as_deref(), Some(&b"h2"[..]));
    assert!(http_get(&mut tls).starts_with("HTTP/1.0 200 ok"));
    drop(tls);

    // No overlap: s_server's ALPN callback refuses the handshake with no_application_protocol
    // (RFC 7301 §3.2) rather than ignoring ALPN, and padlock reports the peer's alert.
    let e = connect_err(port, client_offering_alpn(&["spdy/3"]));
    assert!(
        matches!(
            e,
            Error::PeerAlert(AlertDescription::NO_APPLICATION_PROTOCOL)
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "the peer sent a fatal alert: no_application_protocol"
    );

    // A client that offers no ALPN at all is served without it.
    let mut tls = connect(port, client_for(KeyKind::EcdsaP256));
    assert_eq!(tls.connection().info().alpn, None);
    assert!(http_get(&mut tls).starts_with("HTTP/1.0 200 ok"));
}

#[test]
fn gnutls_alpn_and_fatal_mismatch() {
    let pki = TestPki::shared();
    let common = [
        "--echo",
        "--disable-client-cert",
        "--alpn=h2",
        "--alpn=http/1.1",
    ];
    let (_server, port) = gnutls_serv(pki, KeyKind::EcdsaP256, &common);
    let mut tls = connect(port, client_offering_alpn(&["http/1.1"]));
    assert_eq!(
        tls.connection().info().alpn.as_deref(),
        Some(&b"http/1.1"[..])
    );
    echo(&mut tls, "alpn ok\n");
    tls.close().unwrap();

    // By default GnuTLS ignores a client with no protocol in common and answers without ALPN.
    let mut tls = connect(port, client_offering_alpn(&["spdy/3"]));
    assert_eq!(tls.connection().info().alpn, None);
    echo(&mut tls, "no alpn\n");
    tls.close().unwrap();

    // With --alpn-fatal GnuTLS refuses a client with no protocol in common.
    let mut fatal = common.to_vec();
    fatal.push("--alpn-fatal");
    let (_server, port) = gnutls_serv(pki, KeyKind::EcdsaP256, &fatal);
    let e = connect_err(port, client_offering_alpn(&["spdy/3"]));
    assert!(
        matches!(
            e,
            Error::PeerAlert(AlertDescription::NO_APPLICATION_PROTOCOL)
        ),
        "{e:?}"
    );
}

#[test]
fn gnutls_optional_client_certificate_request() {
    // Without --disable-client-cert gnutls-serv sends a CertificateRequest; a client with no
    // certificate answers with an empty Certificate (RFC 8446 §4.4.2) and the handshake goes on.
    let pki = TestPki::shared();
    let (_server, port) = gnutls_serv(pki, KeyKind::EcdsaP384, &["--echo"]);
    let mut config = client_for(KeyKind::EcdsaP384);
    config.trace = true;
    let mut tls = connect(port, config);
    let steps: Vec<(bool, HandshakeType, usize)> = drain_events(&mut tls)
        .into_iter()
        .filter_map(|e| match e {
            Event::Trace(step) => Some((step.sent_by_us, step.typ, step.len)),
            _ => None,
        })
        .collect();
    assert!(
        steps
            .iter()
            .any(|&(ours, typ, _)| !ours && typ == HandshakeType::CERTIFICATE_REQUEST),
        "{steps:?}"
    );
    // An empty Certificate: header (4), context length (1), list length (3).
    assert!(
        steps.contains(&(true, HandshakeType::CERTIFICATE, 8)),
        "{steps:?}"
    );
    echo(&mut tls, "no client certificate\n");
    tls.close().unwrap();
}

// ---------------------------------------------------------------------------------------
// 7. Bad input.

#[test]
fn tls12_only_servers_refuse_the_client_hello() {
    // Both peers read our supported_versions (TLS 1.3 only) and refuse before any
    // ServerHello: OpenSSL with protocol_version, GnuTLS with handshake_failure (it finds
    // no TLS 1.2 suite in our offer). padlock reports the peer's alert.
    let pki = TestPki::shared();
    let (_server, port) = openssl_s_server(pki, KeyKind::EcdsaP256, &["-tls1_2", "-www"]);
    let e = connect_err(port, client_for(KeyKind::EcdsaP256));
    assert!(
        matches!(e, Error::PeerAlert(AlertDescription::PROTOCOL_VERSION)),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "the peer sent a fatal alert: protocol_version"
    );

    let priority = "NORMAL:-VERS-ALL:+VERS-TLS1.2";
    let (_server, port) = gnutls_serv(pki, KeyKind::EcdsaP256, &["--echo", "--priority", priority]);
    let e = connect_err(port, client_for(KeyKind::EcdsaP256));
    assert!(
        matches!(e, Error::PeerAlert(AlertDescription::HANDSHAKE_FAILURE)),
        "{e:?}"
    );
}

#[test]
fn tls12_server_hello_through_a_downgrading_proxy() {
    // A man in the middle strips supported_versions from our ClientHello (and adds a TLS 1.2
    // suite), so a real OpenSSL answers with a TLS 1.2 ServerHello.
    let pki = TestPki::shared();

    // A server that cannot do TLS 1.3 sets no sentinel: padlock names the version it chose.
    let (server, port) = openssl_s_server(pki, KeyKind::EcdsaP256, &["-tls1_2", "-www"]);
    let proxy = downgrading_proxy(port);
    let e = connect_err(proxy, client_for(KeyKind::EcdsaP256));
    match &e {
        Error::ProtocolVersion { offered } => assert_eq!(offered, &[ProtocolVersion::TLS1_2]),
        other => panic!("expected ProtocolVersion, got {other:?}"),
    }
    assert_eq!(e.alert(), Some(AlertDescription::PROTOCOL_VERSION));
    assert!(e.to_string().contains("TLSv1.2"), "{e}");
    // OpenSSL logs the alert it received: 70 is protocol_version.
    server.wait_for_output("alert number 70", DEFAULT_TIMEOUT);

    // A server that can do TLS 1.3 but was tricked into 1.2 puts "DOWNGRD\x01" at the end of
    // its random (RFC 8446 §4.1.3); padlock catches it.
    let (server, port) = openssl_s_server(pki, KeyKind::EcdsaP256, &["-www"]);
    let proxy = downgrading_proxy(port);
    let e = connect_err(proxy, client_for(KeyKind::EcdsaP256));
    assert!(matches!(e, Error::DowngradeDetected), "{e:?}");
    assert_eq!(e.alert(), Some(AlertDescription::ILLEGAL_PARAMETER));
    server.wait_for_output("alert number 47", DEFAULT_TIMEOUT);
}

#[test]
fn certificate_for_another_name() {
    let dir = TempDir::new("wrong-name");
    let (ca, cert, key) = dir.ca_and_leaf("elsewhere.padlock.test");
    let (server, port) = start_server(|port| {
        let mut cmd = std::process::Command::new("openssl");
        cmd.arg("s_server")
            .args(["-accept", &format!("127.0.0.1:{port}")])
            .arg("-cert")
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            .args(["-tls1_3", "-www"]);
        cmd
    });
    let e = connect_err(port, client_trusting(&ca));
    match e.certificate_error() {
        Some(CertError::NameMismatch {
            expected, covered, ..
        }) => {
            assert_eq!(expected, SERVER_NAME);
            assert_eq!(covered, &["elsewhere.padlock.test".to_string()]);
        }
        other => panic!("expected a name mismatch, got {other:?}"),
    }
    assert!(matches!(e, Error::Certificate(_)), "{e:?}");
    assert_eq!(e.alert(), Some(AlertDescription::BAD_CERTIFICATE));
    server.wait_for_output("alert number 42", DEFAULT_TIMEOUT);
}

#[test]
fn untrusted_ca() {
    // The ECDSA chain hangs off the rcgen root; trust only the unrelated RSA-PSS root.
    let pki = TestPki::shared();
    let (server, port) = openssl_s_server(pki, KeyKind::EcdsaP256, &["-tls1_3", "-www"]);
    let e = connect_err(port, client_for(KeyKind::RsaPss));
    assert!(
        matches!(&e, Error::Certificate(r) if matches!(r.error, CertError::UnknownIssuer { .. })),
        "{e:?}"
    );
    assert_eq!(e.alert(), Some(AlertDescription::UNKNOWN_CA));
    // The alert reached the server: 48 is unknown_ca.
    server.wait_for_output("alert number 48", DEFAULT_TIMEOUT);
}

#[test]
fn connection_cut_without_close_notify_is_truncation() {
    let (mut server, mut tls) = openssl_interactive();
    server.send_stdin("partial data\n");
    read_until(&mut tls, "partial data\n");
    // The process dies: the kernel closes its socket with a FIN and no close_notify.
    server.kill();
    assert_truncated(&mut tls);
}

#[test]
fn openssl_q_command_is_truncation_too() {
    // s_server's `q` shuts its socket *before* calling SSL_shutdown (apps/s_server.c), so
    // the close_notify it logs never reaches the wire: to the client that is a truncation.
    let (mut server, mut tls) = openssl_interactive();
    server.send_stdin("last words\n");
    read_until(&mut tls, "last words\n");
    server.send_stdin("q\n");
    server.wait_for_output("DONE", DEFAULT_TIMEOUT);
    assert_truncated(&mut tls);
}

/// The next read fails with `UnexpectedEof` wrapping [`Error::Truncated`], never `Ok(0)`.
fn assert_truncated(tls: &mut Stream<TcpStream>) {
    let mut buf = [0u8; 64];
    let e = tls.read(&mut buf).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof, "{e:?}");
    assert!(matches!(tls_error(&e), Error::Truncated), "{e:?}");
    assert!(!tls.connection().peer_closed());
}

#[test]
fn gnutls_answers_close_notify_with_close_notify() {
    // The clean end, for contrast: after our close_notify GnuTLS sends its own, and the
    // read gives Ok(0) (RFC 8446 §6.1).
    let pki = TestPki::shared();
    let (_server, port) = gnutls_serv(
        pki,
        KeyKind::EcdsaP256,
        &["--echo", "--disable-client-cert"],
    );
    let mut tls = connect(port, client_for(KeyKind::EcdsaP256));
    echo(&mut tls, "before closing\n");
    tls.close().unwrap();
    let mut rest = Vec::new();
    assert_eq!(tls.read_to_end(&mut rest).unwrap(), 0);
    assert!(tls.connection().peer_closed());
    assert!(drain_events(&mut tls).contains(&Event::PeerClosed));
}

// ---------------------------------------------------------------------------------------
// 8. SSLKEYLOGFILE.

#[test]
fn key_log_matches_openssl() {
    let pki = TestPki::shared();
    let dir = TempDir::new("keylog");
    let ours = dir.path("padlock.keys");
    let theirs = dir.path("openssl.keys");
    let theirs_arg = theirs.display().to_string();
    let (_server, port) = openssl_s_server(
        pki,
        KeyKind::EcdsaP256,
        &["-tls1_3", "-www", "-keylogfile", &theirs_arg],
    );
    let mut config = client_for(KeyKind::EcdsaP256);
    config.key_log = Some(Arc::new(KeyLogFile::open(&ours).unwrap()));
    let mut tls = connect(port, config);
    assert!(http_get(&mut tls).starts_with("HTTP/1.0 200 ok"));

    let ours = std::fs::read_to_string(&ours).unwrap();
    let theirs = wait_for_file_line(&theirs, "CLIENT_TRAFFIC_SECRET_0 ");
    let line = |text: &str, label: &str| -> String {
        let found: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with(&format!("{label} ")))
            .collect();
        assert_eq!(found.len(), 1, "{label} in\n{text}");
        found[0].to_string()
    };
    let client_0 = line(&ours, "CLIENT_TRAFFIC_SECRET_0");
    assert_eq!(client_0, line(&theirs, "CLIENT_TRAFFIC_SECRET_0"));
    // NSS format: LABEL, the 32-byte client random and the secret, in hex.
    let fields: Vec<&str> = client_0.split(' ').collect();
    assert_eq!(fields.len(), 3, "{client_0}");
    assert_eq!(fields[1].len(), 64, "{client_0}");
    // Every other secret agrees too.
    for label in [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_TRAFFIC_SECRET_0",
        "EXPORTER_SECRET",
    ] {
        assert_eq!(line(&ours, label), line(&theirs, label), "{label}");
    }
}

/// Waits (bounded) until `path` holds a complete line starting with `prefix`.
fn wait_for_file_line(path: &Path, prefix: &str) -> String {
    let deadline = Instant::now() + DEFAULT_TIMEOUT;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let complete = text.lines().zip(text.split_inclusive('\n'));
        if complete
            .filter(|(_, raw)| raw.ends_with('\n'))
            .any(|(line, _)| line.starts_with(prefix))
        {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "no {prefix:?} line in {path:?}:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------------------
// Helpers: a scratch directory, and a man in the middle that downgrades the ClientHello.

/// A scratch directory removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(what: &str) -> Self {
        use std::sync::atomic::{AtomicU32, Ordering};
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "padlock-interop-client-{what}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, file: &str) -> std::path::PathBuf {
        self.0.join(file)
    }

    /// A fresh root and an ECDSA P-256 server leaf for `name` signed by it; returns the
    /// paths of the root, the leaf and the leaf's key.
    fn ca_and_leaf(
        &self,
        name: &str,
    ) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
        let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "padlock interop wrong-name CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut leaf_params = CertificateParams::new(vec![name.to_string()]).unwrap();
        leaf_params.use_authority_key_identifier_extension = true;
        let leaf = leaf_params.signed_by(&key, &issuer).unwrap();
        let paths = (
            self.path("ca.pem"),
            self.path("leaf.pem"),
            self.path("leaf-key.pem"),
        );
        std::fs::write(&paths.0, ca.pem()).unwrap();
        std::fs::write(&paths.1, leaf.pem()).unwrap();
        std::fs::write(&paths.2, key.serialize_pem()).unwrap();
        paths
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Listens on a free loopback port for one client, rewrites its first record (the
/// ClientHello) with [`downgrade_client_hello`], and relays everything else unchanged to
/// `server_port` and back. Returns the port to connect to.
fn downgrading_proxy(server_port: u16) -> u16 {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (mut client, _) = listener.accept().unwrap();
        client.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        let mut server = TcpStream::connect(("127.0.0.1", server_port)).unwrap();
        server.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        let mut header = [0u8; 5];
        client.read_exact(&mut header).unwrap();
        assert_eq!(header[0], 22, "the first record must be a handshake record");
        let mut body = vec![0u8; usize::from(u16::from_be_bytes([header[3], header[4]]))];
        client.read_exact(&mut body).unwrap();
        let hello = downgrade_client_hello(&body);
        let mut record = vec![22, 3, 1];
        record.extend_from_slice(&u16::try_from(hello.len()).unwrap().to_be_bytes());
        record.extend_from_slice(&hello);
        server.write_all(&record).unwrap();
        let relay = |mut from: TcpStream, mut to: TcpStream| {
            std::thread::spawn(move || {
                let _ = io::copy(&mut from, &mut to);
                let _ = to.shutdown(std::net::Shutdown::Write);
            })
        };
        let up = relay(client.try_clone().unwrap(), server.try_clone().unwrap());
        let down = relay(server, client);
        let _ = up.join();
        let _ = down.join();
    });
    port
}

/// Turns padlock's TLS 1.3 ClientHello (a whole handshake message) into one a TLS 1.2 server
/// answers: supported_versions removed (so legacy_version 1.2 is the offer, RFC 8446 §4.2.1)
/// and ECDHE-ECDSA-AES128-GCM-SHA256 added to the suites.
fn downgrade_client_hello(msg: &[u8]) -> Vec<u8> {
    assert_eq!(msg[0], 1, "not a ClientHello");
    let body = &msg[4..];
    let mut at = 2 + 32; // legacy_version, random
    let session_id_end = at + 1 + usize::from(body[at]);
    let fixed = &body[..session_id_end];
    at = session_id_end;
    let suites_len = usize::from(u16::from_be_bytes([body[at], body[at + 1]]));
    let suites = &body[at + 2..at + 2 + suites_len];
    at += 2 + suites_len;
    let compression_end = at + 1 + usize::from(body[at]);
    let compression = &body[at..compression_end];
    at = compression_end;
    let extensions_len = usize::from(u16::from_be_bytes([body[at], body[at + 1]]));
    let mut extensions = &body[at + 2..at + 2 + extensions_len];
    let mut kept = Vec::new();
    while !extensions.is_empty() {
        let typ = u16::from_be_bytes([extensions[0], extensions[1]]);
        let len = usize::from(u16::from_be_bytes([extensions[2], extensions[3]]));
        if typ != 0x002b {
            kept.extend_from_slice(&extensions[..4 + len]);
        }
        extensions = &extensions[4 + len..];
    }

    let mut out = fixed.to_vec();
    let mut new_suites = vec![0xc0, 0x2b];
    new_suites.extend_from_slice(suites);
    out.extend_from_slice(&u16::try_from(new_suites.len()).unwrap().to_be_bytes());
    out.extend_from_slice(&new_suites);
    out.extend_from_slice(compression);
    out.extend_from_slice(&u16::try_from(kept.len()).unwrap().to_be_bytes());
    out.extend_from_slice(&kept);
    let mut hello = vec![1];
    hello.extend_from_slice(&u32::try_from(out.len()).unwrap().to_be_bytes()[1..]);
    hello.extend_from_slice(&out);
    hello
}
