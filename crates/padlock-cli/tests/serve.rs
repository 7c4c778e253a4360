//! The `padlock serve` binary against real clients (curl, `openssl s_client`) and against
//! `padlock connect`: each test starts its own server on a free port (`--listen 127.0.0.1:0`,
//! address read from its `listening on ADDR` line) and kills it when done.

#[path = "../../padlock/tests/common/mod.rs"]
mod common;
mod support;

use std::net::TcpStream;
use std::process::Command;

use common::*;
use support::{padlock_connect, Serve};

fn ca(kind: KeyKind) -> String {
    TestPki::shared().server(kind).ca_pem.display().to_string()
}

/// The page `padlock serve` answers `GET /` with (it shows the visitor its handshake).
const PAGE_TITLE: &str = "Your TLS handshake with padlock";

#[test]
fn curl_http11_every_suite() {
    let serve = Serve::start_kind(KeyKind::EcdsaP256, &[]);
    let groups = ["X25519", "secp256r1", "secp384r1"];
    for (suite, group) in SUITES.iter().zip(groups) {
        let mut args = curl_tls13_args(suite, &[group]);
        args.extend(curl_verify_args(TestPki::shared(), KeyKind::EcdsaP256));
        args.extend(strings(&[
            "--http1.1",
            "-w",
            "\n%{http_code} %{http_version}",
        ]));
        let run = curl(serve.port, &strs(&args));
        run.assert_success();
        let page = &run.stdout;
        assert!(page.ends_with("\n200 1.1"), "{page}");
        assert!(page.contains(PAGE_TITLE), "{page}");
        // The page reports what the server negotiated.
        assert!(
            page.contains(&format!("<td>{suite}</td>")),
            "{suite}: {page}"
        );
        assert!(
            page.contains(&format!("<td>{}</td>", canonical_group(group))),
            "{group}: {page}"
        );
        assert!(page.contains("<td>http/1.1</td>"), "ALPN: {page}");
    }
    assert_eq!(serve.logged_handshakes(), 3, "{}", serve.peer.output());
}

#[test]
fn curl_http10() {
    let serve = Serve::start_kind(KeyKind::EcdsaP256, &[]);
    let mut args = curl_verify_args(TestPki::shared(), KeyKind::EcdsaP256);
    // --include: the status line shows the version the server answered with.
    args.extend(strings(&["--tlsv1.3", "--http1.0", "--include"]));
    let run = curl(serve.port, &strs(&args));
    run.assert_success();
    assert!(run.stdout.starts_with("HTTP/1.0 200 OK\r\n"), "{run:?}");
    assert!(run.stdout.contains(PAGE_TITLE), "{run:?}");
    // curl --http1.0 offers only the "http/1.0" ALPN protocol.
    assert!(run.stdout.contains("<td>http/1.0</td>"), "{run:?}");
}

#[test]
fn curl_keeps_the_connection_alive_between_requests() {
    let serve = Serve::start_kind(KeyKind::EcdsaP256, &[]);
    let url = format!("https://{SERVER_NAME}:{}/", serve.port);
    let mut args = curl_verify_args(TestPki::shared(), KeyKind::EcdsaP256);
    args.extend(strings(&[
        "--tlsv1.3",
        "--http1.1",
        "-w",
        "[%{http_code}]",
        &url,
    ]));
    // Two URLs in one curl: the second request reuses the first connection.
    let run = curl_url(serve.port, &url, &strs(&args));
    run.assert_success();
    assert_eq!(run.stdout.matches("[200]").count(), 2, "{run:?}");
    assert_eq!(run.stdout.matches(PAGE_TITLE).count(), 2, "{run:?}");
    assert_eq!(serve.logged_handshakes(), 1, "{}", serve.peer.output());
}

#[test]
fn curl_other_paths_are_404() {
    let serve = Serve::start_kind(KeyKind::EcdsaP256, &[]);
    let url = format!("https://{SERVER_NAME}:{}/missing", serve.port);
    let mut args = curl_verify_args(TestPki::shared(), KeyKind::EcdsaP256);
    args.extend(strings(&["-w", "%{http_code}"]));
    let run = curl_url(serve.port, &url, &strs(&args));
    run.assert_success();
    assert!(run.stdout.ends_with("404"), "{run:?}");
}

#[test]
fn curl_every_server_key_type() {
    for kind in KeyKind::ALL {
        let serve = Serve::start_kind(kind, &[]);
        let mut args = curl_verify_args(TestPki::shared(), kind);
        args.extend(strings(&["--tlsv1.3", "-w", "%{http_code}"]));
        let run = curl(serve.port, &strs(&args));
        run.assert_success();
        assert!(run.stdout.ends_with("200"), "{kind:?}: {run:?}");
    }
}

#[test]
fn openssl_s_client_gets_the_page() {
    let serve = Serve::start_kind(KeyKind::Rsa2048, &[]);
    let mut args = openssl_verify_args(TestPki::shared(), KeyKind::Rsa2048);
    // -ign_eof: keep reading after our request until the server closes.
    args.extend(strings(&["-tls1_3", "-ign_eof", "-alpn", "http/1.1"]));
    let request = format!("GET / HTTP/1.1\r\nHost: {SERVER_NAME}\r\nConnection: close\r\n\r\n");
    let run = openssl_s_client_input(serve.port, &strs(&args), &request);
    run.assert_success()
        .assert_output_contains("Verify return code: 0 (ok)")
        .assert_output_contains("ALPN protocol: http/1.1")
        .assert_output_contains("HTTP/1.1 200 OK")
        .assert_output_contains(PAGE_TITLE);
}

#[test]
fn openssl_s_client_hello_retry_over_http10() {
    // OpenSSL sends its one key share for the first group listed: X448, which padlock lacks,
    // so serve asks again for P-384 (RFC 8446 §4.1.4).
    let serve = Serve::start_kind(KeyKind::EcdsaP384, &[]);
    let mut args = openssl_verify_args(TestPki::shared(), KeyKind::EcdsaP384);
    args.extend(strings(&["-tls1_3", "-groups", "X448:P-384", "-ign_eof"]));
    let request = format!("GET / HTTP/1.0\r\nHost: {SERVER_NAME}\r\n\r\n");
    let run = openssl_s_client_input(serve.port, &strs(&args), &request);
    run.assert_success()
        .assert_output_contains("Server Temp Key: ECDH, secp384r1")
        .assert_output_contains("HTTP/1.0 200 OK")
        .assert_output_contains("<tr><th>HelloRetryRequest</th><td>yes</td></tr>")
        .assert_output_contains("<td>secp384r1</td>");
    let log = serve
        .peer
        .wait_for_output("after HelloRetryRequest", DEFAULT_TIMEOUT);
    assert!(log.contains("secp384r1 after HelloRetryRequest"), "{log}");
}

#[test]
fn padlock_connect_json_against_serve() {
    let serve = Serve::start_kind(KeyKind::EcdsaP256, &[]);
    let ca = ca(KeyKind::EcdsaP256);
    let run = padlock_connect(
        serve.port,
        &[
            "--ca",
            &ca,
            "--json",
            "--http-get",
            "/",
            "--alpn",
            "http/1.1",
        ],
    );
    run.assert_success();
    let json: serde_json::Value = serde_json::from_str(run.stdout.trim())
        .unwrap_or_else(|e| run.fail(&format!("stdout is not one JSON object: {e}")));
    assert_eq!(json["version"], "TLSv1.3", "{json}");
    // padlock on both sides: the hybrid post-quantum group, no retry.
    assert_eq!(json["group"], "X25519MLKEM768", "{json}");
    assert_eq!(json["hello_retry"], false, "{json}");
    assert_eq!(json["alpn"], "http/1.1", "{json}");
    assert_eq!(json["http_status"], 200, "{json}");
    assert!(json["cipher_suite"]
        .as_str()
        .is_some_and(|s| SUITES.contains(&s)));
    let certs = json["peer_certificates"].as_array().unwrap();
    assert_eq!(certs.len(), 2, "leaf and intermediate: {json}");
    assert!(
        certs[0]["subject"].as_str().unwrap().contains(SERVER_NAME),
        "{json}"
    );
    assert!(
        certs[1]["subject"]
            .as_str()
            .unwrap()
            .contains("intermediate"),
        "{json}"
    );
}

#[test]
fn padlock_connect_every_suite_and_group_against_serve() {
    let serve = Serve::start_kind(KeyKind::Ed25519, &[]);
    let ca = ca(KeyKind::Ed25519);
    for suite in SUITES {
        for group in ["X25519", "secp256r1", "secp384r1", "X25519MLKEM768"] {
            let run = padlock_connect(
                serve.port,
                &[
                    "--ca",
                    &ca,
                    "--json",
                    "--http-get",
                    "/",
                    "--suite",
                    suite,
                    "--group",
                    group,
                ],
            );
            run.assert_success();
            let json: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
            assert_eq!(json["cipher_suite"], suite, "{json}");
            assert_eq!(json["group"], group, "{json}");
            assert_eq!(json["http_status"], 200, "{json}");
            assert_eq!(json["alpn"], serde_json::Value::Null, "{json}");
        }
    }
}

#[test]
fn padlock_connect_with_the_wrong_ca_fails_in_one_line() {
    let serve = Serve::start_kind(KeyKind::EcdsaP256, &[]);
    // The RSA-PSS root did not issue the ECDSA chain.
    let run = padlock_connect(serve.port, &["--ca", &ca(KeyKind::RsaPss)]);
    run.assert_failure();
    let stderr: Vec<&str> = run.output.lines().collect();
    assert_eq!(stderr.len(), 1, "{run:?}");
    assert!(stderr[0].starts_with("padlock: "), "{run:?}");
    assert!(stderr[0].contains("handshake"), "{run:?}");
}

#[test]
fn a_stalled_client_does_not_block_others() {
    let serve = Serve::start_kind(KeyKind::EcdsaP256, &[]);
    // Connected, silent: its handshake waits for a ClientHello that never comes.
    let _idle = TcpStream::connect(("127.0.0.1", serve.port)).unwrap();
    let mut args = curl_verify_args(TestPki::shared(), KeyKind::EcdsaP256);
    args.extend(strings(&["-w", "%{http_code}"]));
    let run = curl(serve.port, &strs(&args));
    run.assert_success();
    assert!(run.stdout.ends_with("200"), "{run:?}");
}

#[test]
fn serve_refuses_a_missing_key_file() {
    let cred = TestPki::shared().server(KeyKind::EcdsaP256);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_padlock"));
    cmd.arg("serve")
        .arg("--cert")
        .arg(&cred.chain_pem)
        .arg("--key")
        .arg(TestPki::shared().path("no-such-key.pem"))
        .args(["--listen", "127.0.0.1:0"]);
    let run = run_tool(cmd, "", DEFAULT_TIMEOUT);
    run.assert_failure()
        .assert_output_contains("no-such-key.pem");
    assert!(!run.output.contains("listening on"), "{run:?}");
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}
