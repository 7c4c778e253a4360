//! The command line's resumption, 0-RTT and client certificates (issue 4, point 5):
//! `padlock connect --resume / --session-file / --early-data / --cert --key` against
//! `openssl s_server`, `gnutls-serv` and `padlock serve`, and `padlock serve --early-data /
//! --client-ca` against `openssl s_client`, curl and `padlock connect`.

#[path = "../../padlock/tests/common/mod.rs"]
mod common;
mod support;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use serde_json::Value;
use support::{pki, Serve, KIND};

/// `padlock connect 127.0.0.1:PORT --servername localhost --ca CA args...`.
fn padlock_connect(port: u16, args: &[&str]) -> ToolRun {
    let ca = pki().server(KIND).ca_pem.display().to_string();
    let all: Vec<&str> = ["--ca", ca.as_str()]
        .into_iter()
        .chain(args.iter().copied())
        .collect();
    support::padlock_connect(port, &all)
}

/// [`padlock_connect`] with `--json`, which must succeed; its JSON object.
fn padlock_connect_json(port: u16, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let run = padlock_connect(port, &all);
    run.assert_success();
    serde_json::from_str(run.stdout.trim())
        .unwrap_or_else(|e| run.fail(&format!("not one JSON object: {e}")))
}

/// A file name in the PKI directory unique to this call.
fn scratch(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    pki().path(&format!(
        "{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

fn token(what: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("padlock-cli-{what}-{}", N.fetch_add(1, Ordering::Relaxed))
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

const MAX_EARLY_DATA: &str = "16384";

// ---------------------------------------------------------------------------------------------
// padlock connect against other servers
// ---------------------------------------------------------------------------------------------

#[test]
fn connect_resume_early_data_against_openssl_s_server() {
    let (server, port) = openssl_s_server(
        pki(),
        KIND,
        &["-tls1_3", "-early_data", "-max_early_data", MAX_EARLY_DATA],
    );
    let early = token("early");
    let json = padlock_connect_json(port, &["--resume", "--early-data", &early]);
    assert_eq!(json["resumed"], true, "{json}");
    assert_eq!(json["early_data_accepted"], true, "{json}");
    assert_eq!(
        json["peer_certificates"].as_array().map(Vec::len),
        Some(0),
        "a resumed handshake has no Certificate: {json}"
    );
    let out = server.wait_for_output("End of early data", DEFAULT_TIMEOUT);
    assert!(out.contains("Early data received:"), "{out}");
    assert!(out.contains(&early), "{out}");
    assert!(out.contains("Reused session-id"), "{out}");
}

#[test]
fn connect_resume_early_data_against_gnutls_serv() {
    let (server, port) = gnutls_serv(
        pki(),
        KIND,
        &[
            "--echo",
            "--earlydata",
            "--maxearlydata",
            MAX_EARLY_DATA,
            "--disable-client-cert",
            "-d",
            "5",
        ],
    );
    let early = format!("{}\n", token("early"));
    let json = padlock_connect_json(port, &["--resume", "--early-data", &early]);
    assert_eq!(json["resumed"], true, "{json}");
    assert_eq!(json["early_data_accepted"], true, "{json}");
    // gnutls-serv does not print early data; its debug log shows it took ours.
    server.wait_for_output("early data accepted", DEFAULT_TIMEOUT);
    // gnutls-serv prints these lines in its own order: wait for each rather than assume.
    server.wait_for_output("This is a resumed session", DEFAULT_TIMEOUT);
    let decrypted = format!("decrypted early data with length: {}", early.len());
    server.wait_for_output(&decrypted, DEFAULT_TIMEOUT);
}

#[test]
fn connect_client_certificate_against_openssl_s_server() {
    let ca = pki().client(KIND).ca_pem.display().to_string();
    let (server, port) = openssl_s_server(
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
    );
    let cred = pki().client(KIND);
    let (cert, key) = (cred.chain_pem.display(), cred.key_pem.display());
    let json = padlock_connect_json(
        port,
        &["--cert", &cert.to_string(), "--key", &key.to_string()],
    );
    assert_eq!(json["client_authenticated"], true, "{json}");
    let subject = format!("CN = padlock test client {}", KIND.name());
    // s_server prints the subject (stdout) once it has the certificate; `-verify_return_error`
    // makes a failed verification fatal, so the handshake's success is the verdict (its
    // stderr `verify return:1` lines interleave with stdout mid-line: not matched).
    let out = server.wait_for_output(&format!("subject={subject}"), DEFAULT_TIMEOUT);
    assert!(!out.contains("verify error"), "{out}");
}

// ---------------------------------------------------------------------------------------------
// padlock serve against other clients
// ---------------------------------------------------------------------------------------------

/// s_client arguments checking the padlock server, TLS 1.3 only.
fn s_client_args(extra: &[&str]) -> Vec<String> {
    let mut args = openssl_verify_args(pki(), KIND);
    args.push("-tls1_3".into());
    args.extend(strings(extra));
    args
}

/// A full handshake with s_client that saves the session (with padlock's ticket) to a file.
fn s_client_session(port: u16) -> PathBuf {
    let session = scratch("s_client-session.pem");
    let args = s_client_args(&["-sess_out", session.to_str().unwrap()]);
    let mut peer = spawn_openssl_s_client(port, &strs(&args));
    // The tickets come before the response (s_client buffers its report of them until it
    // exits, but writes the response at once). -sess_out keeps the last one.
    peer.send_stdin("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    peer.wait_for_output("HTTP/1.1 200 OK", DEFAULT_TIMEOUT);
    peer.close_stdin();
    peer.wait_for_exit(DEFAULT_TIMEOUT);
    let out = peer.output();
    assert!(
        out.contains("Post-Handshake New Session Ticket arrived"),
        "{out}"
    );
    session
}

/// Resumes `session` with `request` as 0-RTT data; waits for `expect` in the answer and
/// returns everything s_client printed.
fn s_client_early_request(port: u16, session: &Path, request: &str, expect: &str) -> String {
    let early = scratch("s_client-early.txt");
    std::fs::write(&early, request).unwrap();
    let args = s_client_args(&[
        "-sess_in",
        session.to_str().unwrap(),
        "-early_data",
        early.to_str().unwrap(),
    ]);
    let mut peer = spawn_openssl_s_client(port, &strs(&args));
    peer.wait_for_output(expect, DEFAULT_TIMEOUT);
    peer.close_stdin();
    peer.wait_for_exit(DEFAULT_TIMEOUT);
    peer.output()
}

#[test]
fn openssl_s_client_early_get_against_serve() {
    let serve = Serve::start(&["--early-data"]);
    let session = s_client_session(serve.port);
    let request = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    let out = s_client_early_request(serve.port, &session, request, "HTTP/1.1 200 OK");
    assert!(out.contains("Reused, TLSv1.3"), "{out}");
    assert!(out.contains("Early data was accepted"), "{out}");
    // The access log line may come after s_client printed the response: wait for it.
    let log = serve.peer.wait_for_output("0-RTT", DEFAULT_TIMEOUT);
    assert!(log.contains("resumed"), "{log}");
}

#[test]
fn openssl_s_client_early_post_gets_425_too_early() {
    let serve = Serve::start(&["--early-data"]);
    let session = s_client_session(serve.port);
    // RFC 8470 §5.2: a request that is not safe to replay, received as early data.
    let request =
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let out = s_client_early_request(serve.port, &session, request, "HTTP/1.1 425 Too Early");
    assert!(out.contains("Early data was accepted"), "{out}");
}

#[test]
fn serve_without_early_data_resumes_but_refuses_0rtt() {
    let serve = Serve::start(&[]);
    let session = s_client_session(serve.port);
    let request = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    let out = s_client_early_request(serve.port, &session, request, "CONNECTED");
    // The ticket allows no early data, so s_client does not send its file at all.
    assert!(out.contains("Reused, TLSv1.3"), "{out}");
    assert!(!out.contains("Early data was accepted"), "{out}");
    assert!(!out.contains("HTTP/1.1 200 OK"), "{out}");
}

fn client_ca() -> String {
    pki().client(KIND).ca_pem.display().to_string()
}

#[test]
fn curl_with_a_client_certificate_against_serve() {
    let serve = Serve::start(&["--client-ca", &client_ca()]);
    let cred = pki().client(KIND);
    let mut args = curl_verify_args(pki(), KIND);
    args.extend(strings(&["--tlsv1.3", "-w", "\n%{http_code}", "--cert"]));
    args.push(cred.chain_pem.display().to_string());
    args.push("--key".into());
    args.push(cred.key_pem.display().to_string());
    let run = curl(serve.port, &strs(&args));
    run.assert_success();
    assert!(run.stdout.ends_with("\n200"), "{run:?}");
    assert!(
        run.stdout
            .contains(&format!("padlock test client {}", KIND.name())),
        "the page names the client certificate: {run:?}"
    );

    // Without a certificate: certificate_required, in curl's words and in the server's log.
    let args = curl_verify_args(pki(), KIND);
    let run = curl(serve.port, &strs(&args));
    run.assert_failure();
    assert!(run.output.contains("certificate required"), "{run:?}");
    serve.peer.wait_for_output("certificate", DEFAULT_TIMEOUT);
}

#[test]
fn curl_with_a_certificate_from_another_ca_is_refused_by_serve() {
    let serve = Serve::start(&["--client-ca", &client_ca()]);
    let cred = pki().client(KeyKind::RsaPss);
    let mut args = curl_verify_args(pki(), KIND);
    args.extend(strings(&["--tlsv1.3", "--cert"]));
    args.push(cred.chain_pem.display().to_string());
    args.push("--key".into());
    args.push(cred.key_pem.display().to_string());
    let run = curl(serve.port, &strs(&args));
    run.assert_failure();
    let log = serve
        .peer
        .wait_for_output("handshake failed", DEFAULT_TIMEOUT);
    assert!(
        log.contains("RSA-PSS root CA"),
        "the log names the unknown issuer: {log}"
    );
}

// ---------------------------------------------------------------------------------------------
// padlock connect against padlock serve
// ---------------------------------------------------------------------------------------------

#[test]
fn connect_resume_sends_its_get_as_early_data_to_serve() {
    let serve = Serve::start(&["--early-data"]);
    let json = padlock_connect_json(serve.port, &["--resume", "--early-data", "--http-get", "/"]);
    assert_eq!(json["resumed"], true, "{json}");
    assert_eq!(json["early_data_accepted"], true, "{json}");
    assert_eq!(json["http_status"], 200, "{json}");
}

#[test]
fn connect_session_file_resumes_across_runs() {
    let serve = Serve::start(&["--early-data"]);
    let file = scratch("sessions");
    let file = file.to_str().unwrap();
    let first = padlock_connect_json(serve.port, &["--session-file", file, "--http-get", "/"]);
    assert_eq!(first["resumed"], false, "{first}");
    assert_eq!(first["early_data_accepted"], false, "{first}");
    // A second process: the ticket comes from the file, the GET goes as 0-RTT.
    let second = padlock_connect_json(
        serve.port,
        &["--session-file", file, "--early-data", "--http-get", "/"],
    );
    assert_eq!(second["resumed"], true, "{second}");
    assert_eq!(second["early_data_accepted"], true, "{second}");
    assert_eq!(second["http_status"], 200, "{second}");
    // Text output says so too.
    let run = padlock_connect(serve.port, &["--session-file", file]);
    run.assert_success();
    assert!(
        run.stdout
            .contains("resumed       yes (a session ticket from an earlier connection"),
        "{run:?}"
    );
    // The file holds resumption secrets: only its owner may read it.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(file).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "{mode:o}");
}

#[test]
fn connect_early_get_refused_by_another_server_is_resent() {
    let file = scratch("sessions");
    let file = file.to_str().unwrap();
    let first = Serve::start(&["--early-data"]);
    padlock_connect_json(first.port, &["--session-file", file, "--http-get", "/"]);
    drop(first);
    // Same name, another process: another ticket key. The ticket cannot be opened, so a full
    // handshake; the server skips the 0-RTT request and padlock sends it again.
    let second = Serve::start(&["--early-data"]);
    let json = padlock_connect_json(
        second.port,
        &["--session-file", file, "--early-data", "--http-get", "/"],
    );
    assert_eq!(json["resumed"], false, "{json}");
    assert_eq!(json["early_data_offered"], true, "{json}");
    assert_eq!(json["early_data_accepted"], false, "{json}");
    assert_eq!(json["http_status"], 200, "{json}");
}

#[test]
fn connect_early_get_to_serve_without_early_data_goes_after_the_handshake() {
    let serve = Serve::start(&[]);
    let run = padlock_connect(serve.port, &["--resume", "--early-data", "--http-get", "/"]);
    run.assert_success();
    let out = &run.stdout;
    assert!(out.contains("resumed       yes"), "{out}");
    assert!(
        out.contains("early data    not sent: no session ticket allowing 0-RTT"),
        "{out}"
    );
    assert!(out.contains("HTTP/1.1 200 OK"), "{out}");
}

#[test]
fn connect_client_certificate_against_serve() {
    let serve = Serve::start(&["--client-ca", &client_ca()]);
    let cred = pki().client(KIND);
    let (cert, key) = (
        cred.chain_pem.display().to_string(),
        cred.key_pem.display().to_string(),
    );
    let json = padlock_connect_json(
        serve.port,
        &["--cert", &cert, "--key", &key, "--http-get", "/"],
    );
    assert_eq!(json["client_authenticated"], true, "{json}");
    assert_eq!(json["http_status"], 200, "{json}");

    // Without --cert, with and without a request: the server's certificate_required comes
    // after our handshake, and connect waits for it (RFC 8446 §4.4.2.4).
    for args in [&["--http-get", "/"][..], &[]] {
        let run = padlock_connect(serve.port, args);
        run.assert_failure();
        assert_eq!(
            run.output.trim(),
            "padlock: the server requires a client certificate (give one with --cert and --key)",
            "{run:?}"
        );
    }
}
