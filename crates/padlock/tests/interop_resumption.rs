//! Resumption, 0-RTT and client certificates against real peers (issue 4), checking what the
//! peer printed and what padlock recorded:
//!
//! 1. `openssl s_client -sess_out/-sess_in -early_data` and `gnutls-cli --resume --earlydata`
//!    against an in-process padlock server: resumed, early data accepted and delivered; the
//!    same ticket's early data a second time is refused (RFC 8446 §8).
//! 2. The padlock client against `openssl s_server -early_data` and `gnutls-serv --earlydata`:
//!    resumed with 0-RTT (§2.3, §4.2.10, §4.2.11); early data a server rejects is resent.
//! 4. Client certificates (§4.3.2, §4.4.2): padlock client -> `openssl s_server -Verify`;
//!    `curl --cert`, `openssl s_client -cert` and `gnutls-cli --x509certfile` -> padlock
//!    server (s_client with every key type); no certificate (certificate_required) or one
//!    from another CA refused on both ends; a resumed session keeps the client's
//!    authentication.
//! 5. KeyUpdate and data after a resumed handshake (§4.6.3).
//!
//! (3, rustls in process, is in rustls_interop.rs.)

mod common;

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::*;
use padlock::alert::AlertDescription;
use padlock::padlock_cert::RootStore;
use padlock::pki_types::ServerName;
use padlock::{
    CertifiedKey, ClientChainVerifier, ClientConfig, Connection, Error, Event, ServerConfig, Stream,
};

/// The 0-RTT limit our server and the peers' servers advertise.
const MAX_EARLY_DATA: u32 = 16384;

// ---------------------------------------------------------------------------------------------
// Configurations and small helpers
// ---------------------------------------------------------------------------------------------

fn pki() -> &'static TestPki {
    TestPki::shared()
}

const KIND: KeyKind = KeyKind::EcdsaP256;

fn server_config() -> ServerConfig {
    let cred = pki().server(KIND);
    let key = CertifiedKey::from_pem_files(&cred.chain_pem, &cred.key_pem).unwrap();
    ServerConfig::with_single_cert(key).unwrap()
}

fn early_data_server() -> ServerConfig {
    let mut config = server_config();
    config.max_early_data_size = MAX_EARLY_DATA;
    config
}

/// A padlock server that requires a client certificate from the test root (`ca.pem`).
fn mtls_server(service: Service) -> Server {
    mtls_server_trusting(&[KIND], service)
}

/// A padlock server that requires a client certificate from the roots of `kinds`.
fn mtls_server_trusting(kinds: &[KeyKind], service: Service) -> Server {
    let mut roots = RootStore::empty();
    for kind in kinds {
        roots.add_der(pki().client(*kind).ca_der.as_ref()).unwrap();
    }
    let mut config = server_config();
    config.client_verifier = Some(Arc::new(ClientChainVerifier::required(Arc::new(roots))));
    Server::start(config, service)
}

fn padlock_client() -> ClientConfig {
    let mut roots = RootStore::empty();
    roots.add_der(pki().server(KIND).ca_der.as_ref()).unwrap();
    ClientConfig::new(roots)
}

fn localhost() -> ServerName<'static> {
    ServerName::try_from(SERVER_NAME).unwrap()
}

/// A file in the shared PKI directory unique to this call (session files, early data).
fn scratch(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    pki().path(&format!(
        "{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

fn openssl_client_args(extra: &[&str]) -> Vec<String> {
    let mut args = openssl_verify_args(pki(), KIND);
    args.extend(strings(&["-tls1_3"]));
    args.extend(strings(extra));
    args
}

// ---------------------------------------------------------------------------------------------
// 1: openssl and gnutls clients resume with 0-RTT against the padlock server
// ---------------------------------------------------------------------------------------------

#[test]
fn openssl_s_client_resumes_and_sends_early_data() {
    let server = Server::start(early_data_server(), Service::Echo);
    let session = scratch("openssl-session.pem");
    let session = session.to_str().unwrap();
    let early_file = scratch("openssl-early.txt");
    let early = format!("{}\n", token("early"));
    fs::write(&early_file, &early).unwrap();

    let args = openssl_client_args(&["-sess_out", session]);
    let mut peer = spawn_openssl_s_client(server.port, &strs(&args));
    echo_through(&mut peer, &token("first"));
    let out = finish(peer);
    assert!(out.contains("New, TLSv1.3"), "{out}");
    let first = server.nth(1);
    assert!(!first.info().resumed, "{first:?}");

    let args = openssl_client_args(&[
        "-sess_in",
        session,
        "-early_data",
        early_file.to_str().unwrap(),
    ]);
    let mut peer = spawn_openssl_s_client(server.port, &strs(&args));
    let second_line = token("second");
    echo_through(&mut peer, &second_line);
    let out = finish(peer);
    assert!(out.contains("Reused, TLSv1.3"), "{out}");
    assert!(out.contains("Early data was accepted"), "{out}");
    let second = server.nth(2);
    let info = second.info();
    assert!(
        info.resumed && info.early_data_offered && info.early_data_accepted,
        "{second:?}"
    );
    assert!(
        info.peer_certificates.is_empty(),
        "no Certificate when resuming"
    );
    assert_eq!(second.early, early.as_bytes(), "{second:?}");
    assert!(second.early_event, "{second:?}");
    assert_eq!(second.received, format!("{second_line}\n").into_bytes());
    assert!(second.error.is_none() && second.peer_closed, "{second:?}");

    // §8: the same ticket with 0-RTT again, as a replaying attacker would: the ticket still
    // resumes, but its early data is refused and never reaches the application.
    let mut peer = spawn_openssl_s_client(server.port, &strs(&args));
    echo_through(&mut peer, &token("third"));
    let out = finish(peer);
    assert!(out.contains("Reused, TLSv1.3"), "{out}");
    assert!(out.contains("Early data was rejected"), "{out}");
    let third = server.nth(3);
    assert!(
        third.info().resumed && third.info().early_data_offered,
        "{third:?}"
    );
    assert!(!third.info().early_data_accepted, "{third:?}");
    assert!(third.early.is_empty() && !third.early_event, "{third:?}");
}

#[test]
fn gnutls_cli_resumes_and_sends_early_data() {
    let server = Server::start(early_data_server(), Service::Echo);
    let early_file = scratch("gnutls-early.txt");
    let early = format!("{}\n", token("early"));
    fs::write(&early_file, &early).unwrap();
    let mut args = gnutls_verify_args(pki(), KIND);
    args.push("--resume".into());
    args.push(format!("--earlydata={}", early_file.display()));
    let mut peer = spawn_gnutls_cli(server.port, &strs(&args));
    let line = token("after");
    // gnutls-cli makes the first connection, waits for its ticket, then resumes with 0-RTT.
    peer.wait_for_output("This is a resumed session", DEFAULT_TIMEOUT);
    echo_through(&mut peer, &line);
    let out = finish(peer);
    assert!(out.contains("- Resume Handshake was completed"), "{out}");
    let seen = server.wait_seen(2);
    assert!(!seen[0].info().resumed, "{seen:?}");
    let second = &seen[1];
    let info = second.info();
    assert!(info.resumed && info.early_data_accepted, "{second:?}");
    assert_eq!(second.early, early.as_bytes(), "{second:?}");
    // The early data came back through the echo, before the line sent after the handshake.
    let (early_at, line_at) = (out.find(early.trim()).unwrap(), out.rfind(&line).unwrap());
    assert!(early_at < line_at, "{out}");
    assert_eq!(second.received, format!("{line}\n").into_bytes());
    assert!(second.error.is_none(), "{second:?}");
}

// ---------------------------------------------------------------------------------------------
// 2: the padlock client resumes with 0-RTT against openssl s_server and gnutls-serv
// ---------------------------------------------------------------------------------------------

/// A padlock client connection over TCP, with `early` sent as 0-RTT data when not empty
/// (the ticket taken from the config's store must allow it), after its handshake.
fn connect(config: &Arc<ClientConfig>, port: u16, early: &[u8]) -> Stream<TcpStream> {
    let mut conn = Connection::client(config.clone(), localhost()).unwrap();
    if !early.is_empty() {
        assert_eq!(
            conn.write_early_data(early).unwrap(),
            early.len(),
            "the ticket should allow 0-RTT"
        );
    }
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let mut tls = Stream::new(conn, tcp);
    tls.handshake().unwrap();
    tls
}

/// Reads until `needle` has arrived; returns everything read.
fn read_until(tls: &mut Stream<TcpStream>, needle: &str) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&got).contains(needle) {
        let n = tls.read(&mut buf).unwrap();
        assert!(
            n > 0,
            "closed before {needle:?}: {:?}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&got).into_owned()
}

fn events(tls: &mut Stream<TcpStream>) -> Vec<Event> {
    std::iter::from_fn(|| tls.connection_mut().next_event()).collect()
}

fn tickets(events: &[Event]) -> usize {
    events
        .iter()
        .filter(|e| **e == Event::TicketReceived)
        .count()
}

/// Client data shows up in s_server's output; a line on its stdin comes back to us. Both
/// ways done, the tickets the server sent after its handshake have arrived too.
fn exchange_with_s_server(tls: &mut Stream<TcpStream>, server: &mut Peer) {
    let up = token("to-s_server");
    tls.write_all(format!("{up}\n").as_bytes()).unwrap();
    server.wait_for_output(&up, DEFAULT_TIMEOUT);
    let down = token("from-s_server");
    server.send_stdin(&format!("{down}\n"));
    read_until(tls, &down);
}

#[test]
fn padlock_client_resumes_with_early_data_against_openssl_s_server() {
    let max = MAX_EARLY_DATA.to_string();
    let (mut server, port) = openssl_s_server(
        pki(),
        KIND,
        &["-tls1_3", "-early_data", "-max_early_data", &max],
    );
    let mut config = padlock_client();
    config.enable_early_data = true;
    let config = Arc::new(config);

    let mut tls = connect(&config, port, b"");
    exchange_with_s_server(&mut tls, &mut server);
    assert!(!tls.connection().info().resumed);
    assert!(tickets(&events(&mut tls)) >= 1, "OpenSSL sends tickets");
    tls.close().unwrap();
    drop(tls);
    server.wait_for_output("DONE", DEFAULT_TIMEOUT);

    let early = token("early-data");
    let mut tls = connect(&config, port, early.as_bytes());
    let info = tls.connection().info().clone();
    assert!(
        info.resumed && info.early_data_offered && info.early_data_accepted,
        "{info:?}"
    );
    assert!(info.peer_certificates.is_empty(), "{info:?}");
    exchange_with_s_server(&mut tls, &mut server);
    // s_server prints the early data to stdout and its framing to stderr: check each.
    let out = server.wait_for_output("End of early data", DEFAULT_TIMEOUT);
    assert!(out.contains("Early data received:"), "{out}");
    assert!(out.contains(&early), "{out}");
    assert!(out.contains("Reused session-id"), "{out}");
    tls.close().unwrap();
}

/// A ticket from one `openssl s_server` offered to another (same name, other ticket key):
/// the second cannot open it, so a full handshake without our early data; padlock, told to,
/// sends the data again as ordinary data right after the handshake (RFC 8446 §4.2.10).
#[test]
fn padlock_client_resends_early_data_that_openssl_rejected() {
    let max = MAX_EARLY_DATA.to_string();
    let args = ["-tls1_3", "-early_data", "-max_early_data", &max];
    let (mut first, port) = openssl_s_server(pki(), KIND, &args);
    let mut config = padlock_client();
    config.enable_early_data = true;
    config.resend_rejected_early_data = true;
    let config = Arc::new(config);
    let mut tls = connect(&config, port, b"");
    exchange_with_s_server(&mut tls, &mut first);
    tls.close().unwrap();
    drop(first);

    let (mut second, port) = openssl_s_server(pki(), KIND, &args);
    let early = token("rejected-early-data");
    let mut tls = connect(&config, port, early.as_bytes());
    let info = tls.connection().info().clone();
    assert!(
        !info.resumed && info.early_data_offered && !info.early_data_accepted,
        "{info:?}"
    );
    assert!(events(&mut tls).contains(&Event::EarlyDataRejected { resent: true }));
    exchange_with_s_server(&mut tls, &mut second);
    let out = second.wait_for_output(&early, DEFAULT_TIMEOUT);
    assert!(!out.contains("Early data received"), "{out}");
    tls.close().unwrap();
}

/// Writes `line` and reads it back from an echo server.
fn echo_line(tls: &mut Stream<TcpStream>, line: &str) {
    tls.write_all(format!("{line}\n").as_bytes()).unwrap();
    read_until(tls, line);
}

#[test]
fn padlock_client_resumes_with_early_data_against_gnutls_serv() {
    let max = MAX_EARLY_DATA.to_string();
    let (server, port) = gnutls_serv(
        pki(),
        KIND,
        &[
            "--echo",
            "--earlydata",
            "--maxearlydata",
            &max,
            "--disable-client-cert",
            "-d",
            "5",
        ],
    );
    let mut config = padlock_client();
    config.enable_early_data = true;
    let config = Arc::new(config);

    let mut tls = connect(&config, port, b"");
    echo_line(&mut tls, &token("first"));
    assert!(!tls.connection().info().resumed);
    assert!(tickets(&events(&mut tls)) >= 1, "GnuTLS sends a ticket");
    tls.close().unwrap();
    drop(tls);

    let early = format!("{}\n", token("early-data"));
    let mut tls = connect(&config, port, early.as_bytes());
    let info = tls.connection().info().clone();
    assert!(info.resumed && info.early_data_accepted, "{info:?}");
    // §4.6.3 after a resumed handshake: our KeyUpdate asks GnuTLS to update too; data
    // flows both ways under the new keys.
    echo_line(&mut tls, &token("before-update"));
    tls.key_update(true).unwrap();
    echo_line(&mut tls, &token("after-update"));
    let updates: Vec<Event> = events(&mut tls)
        .into_iter()
        .filter(|e| matches!(e, Event::PeerKeyUpdated { .. }))
        .collect();
    assert_eq!(
        updates,
        [Event::PeerKeyUpdated {
            update_requested: false
        }]
    );
    tls.close().unwrap();
    // gnutls-serv neither prints nor echoes early data; its debug log shows it took ours.
    server.wait_for_output("early data accepted", DEFAULT_TIMEOUT);
    // gnutls-serv prints these lines in its own order: wait for each rather than assume.
    server.wait_for_output("This is a resumed session", DEFAULT_TIMEOUT);
    let decrypted = format!("decrypted early data with length: {}", early.len());
    server.wait_for_output(&decrypted, DEFAULT_TIMEOUT);
}

// ---------------------------------------------------------------------------------------------
// 4: client certificates (mTLS)
// ---------------------------------------------------------------------------------------------

fn client_key(kind: KeyKind) -> Arc<CertifiedKey> {
    let cred = pki().client(kind);
    Arc::new(CertifiedKey::from_pem_files(&cred.chain_pem, &cred.key_pem).unwrap())
}

/// `openssl s_server -Verify 1` trusting the client root (`ca.pem`): it asks for a client
/// certificate and refuses a handshake without one, or (`-verify_return_error`) with one it
/// cannot verify.
fn verifying_s_server() -> (Peer, u16) {
    let ca = pki().client(KIND).ca_pem.display().to_string();
    openssl_s_server(
        pki(),
        KIND,
        &[
            "-tls1_3",
            "-Verify",
            "1",
            "-CAfile",
            &ca,
            "-verify_return_error",
        ],
    )
}

#[test]
fn padlock_client_certificate_against_openssl_s_server() {
    let (mut server, port) = verifying_s_server();
    let mut config = padlock_client();
    config.client_auth = Some(client_key(KIND));
    let mut tls = connect(&Arc::new(config), port, b"");
    assert!(tls.connection().info().client_authenticated);
    exchange_with_s_server(&mut tls, &mut server);
    tls.close().unwrap();
    // The client leaves' subject is `CN=padlock test client <kind>` (the SAN holds
    // CLIENT_NAME): s_server shows it on stdout once it has the certificate. That it verified
    // it is the handshake itself: `-verify_return_error` makes a failed verification fatal.
    // (Its `depth=0 ... verify return:1` lines go to stderr, which the output interleaves
    // with stdout mid-line, so they are not matched.)
    let subject = format!("CN = padlock test client {}", KIND.name());
    let out = server.wait_for_output(&format!("subject={subject}"), DEFAULT_TIMEOUT);
    assert!(!out.contains("verify error"), "{out}");
}

#[test]
fn padlock_client_without_or_with_a_foreign_certificate_is_refused_by_openssl() {
    let (server, port) = verifying_s_server();
    // No certificate: OpenSSL ends the handshake with certificate_required (RFC 8446 §4.4.2.4).
    let conn = Connection::client(Arc::new(padlock_client()), localhost()).unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let mut tls = Stream::new(conn, tcp);
    // Our handshake completes before the server has judged our (empty) Certificate.
    let _ = tls.handshake();
    let err = tls.read(&mut [0u8; 64]).unwrap_err();
    let tls_err = err.get_ref().and_then(|e| e.downcast_ref::<Error>());
    assert!(
        matches!(
            tls_err,
            Some(Error::PeerAlert(AlertDescription::CERTIFICATE_REQUIRED))
        ),
        "{err:?}"
    );
    server.wait_for_output("peer did not return a certificate", DEFAULT_TIMEOUT);

    // A certificate from another CA (the RSA-PSS hierarchy): unknown_ca.
    let mut config = padlock_client();
    config.client_auth = Some(client_key(KeyKind::RsaPss));
    let conn = Connection::client(Arc::new(config), localhost()).unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let mut tls = Stream::new(conn, tcp);
    let _ = tls.handshake();
    let err = tls.read(&mut [0u8; 64]).unwrap_err();
    let tls_err = err.get_ref().and_then(|e| e.downcast_ref::<Error>());
    assert!(
        matches!(
            tls_err,
            Some(Error::PeerAlert(AlertDescription::UNKNOWN_CA))
        ),
        "{err:?}"
    );
    server.wait_for_output("unable to get local issuer certificate", DEFAULT_TIMEOUT);
}

#[test]
fn curl_with_a_client_certificate_against_padlock() {
    let server = mtls_server(Service::Http);
    let cred = pki().client(KIND);
    let mut args = curl_verify_args(pki(), KIND);
    args.extend(strings(&["--tlsv1.3", "--cert"]));
    args.push(cred.chain_pem.display().to_string());
    args.push("--key".into());
    args.push(cred.key_pem.display().to_string());
    let run = curl(server.port, &strs(&args));
    run.assert_success();
    assert_eq!(run.stdout, PAGE);
    let seen = server.nth(1);
    let info = seen.info();
    assert!(info.client_authenticated, "{seen:?}");
    assert_eq!(info.peer_certificates.len(), 2, "leaf and intermediate");
    assert_eq!(info.peer_certificates[0], cred.leaf_der().as_ref());
}

#[test]
fn curl_without_a_client_certificate_is_refused() {
    let server = mtls_server(Service::Http);
    let args = curl_verify_args(pki(), KIND);
    let run = curl(server.port, &strs(&args));
    run.assert_failure();
    assert!(
        run.output.contains("certificate required"),
        "{}",
        run.output
    );
    assert!(matches!(server.nth(1).error(), Error::CertificateRequired));
}

#[test]
fn openssl_s_client_with_a_client_certificate_then_resumed() {
    let server = mtls_server(Service::Echo);
    let session = scratch("mtls-session.pem");
    let session = session.to_str().unwrap();
    let mut args = openssl_client_args(&["-sess_out", session]);
    args.extend(openssl_client_cert_args(pki(), KIND));
    let mut peer = spawn_openssl_s_client(server.port, &strs(&args));
    echo_through(&mut peer, &token("mtls"));
    finish(peer);
    let first = server.nth(1);
    assert!(
        first.info().client_authenticated && !first.info().resumed,
        "{first:?}"
    );
    assert_eq!(
        first.info().peer_certificates[0],
        pki().client(KIND).leaf_der().as_ref()
    );

    // §4.3.2: no CertificateRequest in a PSK handshake; the ticket remembers the client was
    // authenticated.
    let args = openssl_client_args(&["-sess_in", session]);
    let mut peer = spawn_openssl_s_client(server.port, &strs(&args));
    echo_through(&mut peer, &token("mtls-resumed"));
    let out = finish(peer);
    assert!(out.contains("Reused, TLSv1.3"), "{out}");
    let second = server.nth(2);
    assert!(
        second.info().resumed && second.info().client_authenticated,
        "{second:?}"
    );
}

/// gnutls-cli presenting a client certificate: its CertificateEntries carry no extension
/// padlock did not ask for (RFC 8446 §4.4.2; padlock refuses any), and the chain verifies.
#[test]
fn gnutls_cli_with_a_client_certificate() {
    let server = mtls_server(Service::Echo);
    let mut args = gnutls_verify_args(pki(), KIND);
    args.extend(gnutls_client_cert_args(pki(), KIND));
    let mut peer = spawn_gnutls_cli(server.port, &strs(&args));
    echo_through(&mut peer, &token("gnutls-mtls"));
    finish(peer);
    let seen = server.nth(1);
    assert!(seen.info().client_authenticated, "{seen:?}");
    assert_eq!(
        seen.info().peer_certificates[0],
        pki().client(KIND).leaf_der().as_ref()
    );
}

/// s_client prints the alert that ends the connection only once it reads: send a line.
fn refused_s_client(port: u16, extra: &[String]) -> String {
    let mut args = openssl_client_args(&[]);
    args.extend(extra.iter().cloned());
    let mut peer = spawn_openssl_s_client(port, &strs(&args));
    peer.send_stdin("hello\n");
    let out = peer.wait_for_output("SSL alert number", DEFAULT_TIMEOUT);
    peer.close_stdin();
    peer.wait_for_exit(DEFAULT_TIMEOUT);
    out
}

#[test]
fn openssl_s_client_without_a_certificate_gets_certificate_required() {
    let server = mtls_server(Service::Echo);
    let out = refused_s_client(server.port, &[]);
    assert!(
        out.contains("certificate required") && out.contains("SSL alert number 116"),
        "{out}"
    );
    let seen = server.nth(1);
    assert!(
        matches!(seen.error(), Error::CertificateRequired),
        "{seen:?}"
    );
    assert_eq!(
        seen.error().alert(),
        Some(AlertDescription::CERTIFICATE_REQUIRED)
    );
}

/// Every client key type, the RSA-PSS hierarchy (id-RSASSA-PSS keys, another root)
/// included: verified chain, CertificateVerify in the key's own scheme.
#[test]
fn openssl_s_client_certificates_of_every_key_type() {
    let server = mtls_server_trusting(&[KIND, KeyKind::RsaPss], Service::Echo);
    for (n, kind) in KeyKind::ALL.into_iter().enumerate() {
        let mut args = openssl_client_args(&[]);
        args.extend(openssl_client_cert_args(pki(), kind));
        let mut peer = spawn_openssl_s_client(server.port, &strs(&args));
        echo_through(&mut peer, &token(kind.name()));
        finish(peer);
        let seen = server.nth(n + 1);
        let info = seen.info();
        assert!(info.client_authenticated, "{kind:?}: {seen:?}");
        assert_eq!(
            info.peer_certificates[0],
            pki().client(kind).leaf_der().as_ref(),
            "{kind:?}"
        );
    }
}

#[test]
fn openssl_s_client_with_a_certificate_from_another_ca_is_refused() {
    let server = mtls_server(Service::Echo);
    let out = refused_s_client(
        server.port,
        &openssl_client_cert_args(pki(), KeyKind::RsaPss),
    );
    let seen = server.nth(1);
    let err = seen.error();
    assert!(matches!(err, Error::Certificate(_)), "{seen:?}");
    let alert = err.alert().unwrap();
    assert!(
        out.contains(&format!("SSL alert number {}", alert.0)),
        "{err} ({alert:?}) but openssl says: {out}"
    );
    eprintln!("padlock says: {err}\nopenssl says: {out}");
}

// ---------------------------------------------------------------------------------------------
// 5: KeyUpdate and data after a resumed handshake
// ---------------------------------------------------------------------------------------------

#[test]
fn openssl_s_client_key_update_after_resumption() {
    let server = Server::start(server_config(), Service::Echo);
    let session = scratch("keyupdate-session.pem");
    let session = session.to_str().unwrap();
    let args = openssl_client_args(&["-sess_out", session]);
    let mut peer = spawn_openssl_s_client(server.port, &strs(&args));
    echo_through(&mut peer, &token("first"));
    finish(peer);

    let args = openssl_client_args(&["-sess_in", session, "-msg"]);
    let mut peer = spawn_openssl_s_client(server.port, &strs(&args));
    let (before, after) = openssl_key_update(&mut peer, true);
    let out = finish(peer);
    assert!(out.contains("Reused, TLSv1.3"), "{out}");
    let seen = server.nth(2);
    assert!(seen.info().resumed, "{seen:?}");
    assert_eq!(seen.key_updates, vec![true], "{seen:?}");
    assert_eq!(seen.received, format!("{before}\n{after}\n").into_bytes());
    assert!(seen.peer_closed && seen.error.is_none(), "{seen:?}");
}
