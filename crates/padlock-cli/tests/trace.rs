//! `padlock connect --trace` and `--pin` against `openssl s_server`: every handshake message in
//! order with the sizes openssl itself reports, the round trips (two with a
//! HelloRetryRequest), the chain with SPKI pins that match `padlock inspect`'s and openssl's,
//! pins enforced, a broken server's presented chain with the sentence and the fix, and the
//! same facts in `--json`.

#[path = "../../padlock/tests/common/mod.rs"]
mod common;
mod run;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use common::*;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use run::{assert_in_order, failure_line, padlock, plain_server, text, TempDir};
use serde_json::Value;

/// The messages of a full handshake without client certificates (RFC 8446 §2), in order.
const FULL_HANDSHAKE: [&str; 7] = [
    "ClientHello",
    "ServerHello",
    "EncryptedExtensions",
    "Certificate",
    "CertificateVerify",
    "Finished",
    "Finished",
];

/// `padlock connect 127.0.0.1:PORT --servername localhost --ca <root of kind> args...`.
fn connect(pki: &TestPki, kind: KeyKind, port: u16, args: &[&str]) -> Output {
    connect_trusting(&pki.server(kind).ca_pem, port, args)
}

/// `padlock connect 127.0.0.1:PORT --servername localhost --ca <ca> args...`.
fn connect_trusting(ca: &Path, port: u16, args: &[&str]) -> Output {
    let target = format!("127.0.0.1:{port}");
    let mut all = vec![
        "connect",
        &target,
        "--servername",
        "localhost",
        "--ca",
        ca.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    padlock(&all)
}

/// The run's stdout, after checking that it succeeded.
fn success(out: &Output) -> String {
    assert!(
        out.status.success(),
        "padlock failed:\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// The diagram's arrows: (sender, message name, size in bytes), in order.
fn arrows(trace: &str) -> Vec<(&'static str, String, usize)> {
    let mut out = Vec::new();
    for line in trace.lines() {
        let (from, label) = if let Some(rest) = line.strip_prefix('<') {
            let label = rest.trim_start_matches('-').trim_start();
            ("server", label.split("   +").next().unwrap_or(""))
        } else if line.contains(" --") && line.contains(">   +") {
            ("client", line.split(" --").next().unwrap_or(""))
        } else {
            continue;
        };
        let Some((name, size)) = label.split_once(" (") else {
            continue;
        };
        let Some(bytes) = size.strip_suffix(" bytes)") else {
            continue;
        };
        // Every arrow ends with the time since the handshake began.
        assert!(line.trim_end().ends_with(" ms"), "no time on {line:?}");
        out.push((from, name.to_string(), bytes.parse().unwrap()));
    }
    out
}

/// What `openssl s_server -msg` printed about handshake messages: (sender, name, length).
fn openssl_messages(output: &str) -> Vec<(&'static str, String, usize)> {
    let mut out = Vec::new();
    for line in output.lines() {
        // ">>> TLS 1.3, Handshake [length 007a], ServerHello"
        let from = if line.starts_with(">>> ") {
            "server"
        } else if line.starts_with("<<< ") {
            "client"
        } else {
            continue;
        };
        if !line.contains(", Handshake [length ") {
            continue;
        }
        let hex = line
            .split("[length ")
            .nth(1)
            .and_then(|r| r.split(']').next())
            .unwrap();
        let name = line.rsplit(", ").next().unwrap().trim().to_string();
        out.push((from, name, usize::from_str_radix(hex, 16).unwrap()));
    }
    out
}

/// The SPKI pin of a PEM certificate, computed by openssl (RFC 7469 §2.4).
fn openssl_pin(cert_pem: &Path) -> String {
    let script = format!(
        "openssl x509 -in '{}' -pubkey -noout | openssl pkey -pubin -outform der \
         | openssl dgst -sha256 -binary | openssl base64 -A",
        cert_pem.display()
    );
    let out = Command::new("sh").args(["-c", &script]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    format!("sha256/{}", text(&out.stdout).trim())
}

/// The `SPKI pin` lines `padlock inspect FILE` prints, in order.
fn inspect_pins(file: &Path) -> Vec<String> {
    let out = padlock(&["inspect", file.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    stdout
        .lines()
        .filter_map(|l| l.trim().strip_prefix("SPKI pin"))
        .map(|p| p.trim().to_string())
        .collect()
}

/// The `pin` lines of the trace's chain, in order.
fn trace_pins(trace: &str) -> Vec<String> {
    trace
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pin "))
        .map(|p| p.split_whitespace().next().unwrap().to_string())
        .collect()
}

#[test]
fn trace_shows_each_message_with_openssl_s_sizes_and_the_chain_with_its_pins() {
    let pki = TestPki::shared();
    let kind = KeyKind::EcdsaP256;
    let (mut server, port) = openssl_s_server(pki, kind, &["-tls1_3", "-msg"]);
    let out = connect(pki, kind, port, &["--trace"]);
    let trace = success(&out);
    assert!(!trace.contains('\x1b'), "no colour when piped:\n{trace}");
    assert_in_order(
        &trace,
        &[
            "DNS       none needed: 127.0.0.1 is an IP address",
            "TCP       connected to 127.0.0.1:",
            "ClientHello (",
            "offers suites TLS_AES_128_GCM_SHA256",
            "ServerHello (",
            "EncryptedExtensions (",
            "Certificate (",
            "the server's chain: 2 certificates, leaf CN=",
            "CertificateVerify (",
            "ecdsa_secp256r1_sha256 signature",
            "Finished (",
            "Finished (",
            "handshake complete in ",
            "3 flights, 1 round trip (plus 1 for TCP)",
            "chain     validated, leaf first, up to the trust anchor",
            "  0  CN=",
            "      issuer    ",
            "      valid     until ",
            " days left)",
            "      key       ECDSA P-256",
            "      level     unknown (no CA/Browser Forum policy)",
            "      pin       sha256/",
            "  1  ",
            "  2  ",
            "verdict   trusted: the chain leads to ",
            "and covers localhost",
        ],
    );

    // The messages and their sizes, as openssl saw them on its side.
    let ours: Vec<_> = arrows(&trace)
        .into_iter()
        .filter(|(_, name, _)| name != "NewSessionTicket")
        .collect();
    let names: Vec<&str> = ours.iter().map(|(_, n, _)| n.as_str()).collect();
    assert_eq!(names, FULL_HANDSHAKE, "{trace}");
    server.wait_for_output("Handshake [length", Duration::from_secs(5));
    // openssl prints the client's Finished once it has processed it.
    let theirs = wait_for_messages(&server, ours.len());
    assert_eq!(theirs.len(), ours.len(), "{}", server.output());
    for ((from, name, len), (o_from, o_name, o_len)) in ours.iter().zip(&theirs) {
        assert_eq!(
            (from, name, len),
            (o_from, o_name, o_len),
            "padlock vs openssl -msg:\n{trace}\n{}",
            server.output()
        );
    }

    // The pins: the same as openssl computes and as `padlock inspect` prints.
    let cred = pki.server(kind);
    let expected: Vec<String> = [&cred.cert_pem, &cred.intermediate_pem, &cred.ca_pem]
        .iter()
        .map(|p| openssl_pin(p))
        .collect();
    assert_eq!(trace_pins(&trace), expected, "{trace}");
    let mut inspected = inspect_pins(&cred.chain_pem);
    inspected.extend(inspect_pins(&cred.ca_pem));
    assert_eq!(inspected, expected);
    server.kill();
}

/// openssl's handshake messages once at least `n` are printed (the client's Finished may be
/// logged after padlock has exited).
fn wait_for_messages(server: &Peer, n: usize) -> Vec<(&'static str, String, usize)> {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let got: Vec<_> = openssl_messages(&server.output())
            .into_iter()
            .filter(|(_, name, _)| name != "NewSessionTicket")
            .collect();
        if got.len() >= n || std::time::Instant::now() > deadline {
            return got;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn trace_shows_a_hello_retry_request_and_two_round_trips() {
    let pki = TestPki::shared();
    let kind = KeyKind::EcdsaP256;
    // padlock sends a key share for its first group only (X25519); the server takes only
    // P-384, so it asks for that share with a HelloRetryRequest (RFC 8446 §4.1.4).
    let (mut server, port) = openssl_s_server(pki, kind, &["-tls1_3", "-groups", "P-384"]);
    let out = connect(
        pki,
        kind,
        port,
        &["--trace", "--group", "X25519", "--group", "P-384"],
    );
    let trace = success(&out);
    assert_in_order(
        &trace,
        &[
            "ClientHello (",
            "sends key shares X25519 (32 bytes)",
            "HelloRetryRequest (",
            "the server wants a key share for secp384r1",
            "ClientHello (",
            "sends key shares secp384r1 (97 bytes)",
            "ServerHello (",
            "key exchange secp384r1",
            "Finished (",
            "Finished (",
            "5 flights, 2 round trips (the HelloRetryRequest cost one)",
            "hello retry   yes",
            "verdict   trusted",
        ],
    );
    server.kill();
}

#[test]
fn a_matching_pin_is_accepted_and_a_wrong_one_lists_the_chain_s_pins() {
    let pki = TestPki::shared();
    let kind = KeyKind::EcdsaP256;
    let cred = pki.server(kind);
    let leaf = openssl_pin(&cred.cert_pem);
    let intermediate = openssl_pin(&cred.intermediate_pem);
    let root = openssl_pin(&cred.ca_pem);
    let (mut server, port) = openssl_s_server(pki, kind, &["-tls1_3", "-www"]);

    // Pinning the intermediate (what HPKP advised: survives leaf renewals).
    let out = connect(pki, kind, port, &["--trace", "--pin", &intermediate]);
    let trace = success(&out);
    assert!(
        trace.contains(&format!("pin       {intermediate}  (matches --pin)")),
        "{trace}"
    );
    assert!(
        trace.contains("; the key of certificate 1 matches a --pin"),
        "{trace}"
    );
    // Without --trace too, with any of several pins.
    let wrong = format!("sha256/{}", "A".repeat(43) + "=");
    success(&connect(
        pki,
        kind,
        port,
        &["--pin", &wrong, "--pin", &leaf],
    ));

    // A pin of no key in the chain: refused, naming every pin the chain does have.
    let out = connect(pki, kind, port, &["--pin", &wrong]);
    let line = failure_line(&out);
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    assert!(
        line.contains(&format!(
            "No certificate in the chain matches the pinned keys {wrong}; the chain has {leaf}, {intermediate}, {root}."
        )),
        "{line}"
    );
    assert!(line.contains(" Fix: If the key change is expected, update the pin"));

    // With --trace, the same sentence closes the trace, after the chain as presented.
    let out = connect(pki, kind, port, &["--trace", "--pin", &wrong]);
    failure_line(&out);
    let trace = text(&out.stdout);
    assert_in_order(
        &trace,
        &[
            "Certificate (",
            "alert certificate_unknown -",
            "handshake failed after ",
            "chain     as the server presented it, leaf first (rejected)",
            &leaf,
            &intermediate,
            &root,
            "verdict   rejected: No certificate in the chain matches the pinned keys",
            "fix       If the key change is expected, update the pin",
        ],
    );

    // A malformed pin is refused before connecting.
    let line = failure_line(&padlock(&["connect", "127.0.0.1:1", "--pin", "sha1/abc"]));
    assert!(line.contains("is not of the form sha256/BASE64"), "{line}");
    server.kill();
}

/// A root and, issued by it, an expired leaf for localhost: (root PEM file, leaf PEM file,
/// key PEM file) in `dir`.
fn expired_chain(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "padlock trace test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);

    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "expired.localhost");
    // padlock-cert wants an authorityKeyIdentifier on leaves (RFC 5280 §4.2.1.1).
    params.use_authority_key_identifier_extension = true;
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    let leaf = params.signed_by(&key, &issuer).unwrap();

    let files = (
        dir.join("ca.pem"),
        dir.join("leaf.pem"),
        dir.join("key.pem"),
    );
    std::fs::write(&files.0, ca.pem()).unwrap();
    std::fs::write(&files.1, leaf.pem()).unwrap();
    std::fs::write(&files.2, key.serialize_pem()).unwrap();
    files
}

#[test]
fn an_expired_certificate_shows_the_presented_chain_the_sentence_and_the_fix() {
    let dir = TempDir::new();
    let (ca, leaf, key) = expired_chain(&dir.0);
    let (mut server, port) = start_server(|port| {
        let mut cmd = Command::new("openssl");
        cmd.arg("s_server")
            .args(["-accept", &format!("127.0.0.1:{port}"), "-tls1_3"])
            .arg("-cert")
            .arg(&leaf)
            .arg("-key")
            .arg(&key);
        cmd
    });

    let out = connect_trusting(&ca, port, &["--trace"]);
    let line = failure_line(&out);
    assert!(line.contains("expired on 2021-01-01"), "{line}");
    assert!(line.contains(" Fix: Renew the certificate"), "{line}");
    let trace = text(&out.stdout);
    assert_in_order(
        &trace,
        &[
            "ClientHello (",
            "ServerHello (",
            "Certificate (",
            "the server's chain: 1 certificate, leaf CN=expired.localhost",
            "alert certificate_expired -",
            "handshake failed after ",
            "1 round trip into it",
            "chain     as the server presented it, leaf first (rejected)",
            "  0  CN=expired.localhost",
            "      issuer    CN=padlock trace test CA",
            "      valid     until 2021-01-01 (expired ",
            " days ago)",
            "      pin       sha256/",
            "verdict   rejected: ",
            "expired on 2021-01-01",
            "fix       Renew the certificate",
        ],
    );
    // Nothing after the failure claims success.
    assert!(!trace.contains("verdict   trusted"), "{trace}");
    assert!(!trace.contains("handshake complete"), "{trace}");

    // --json: the same facts for machines, still one line on stderr.
    let out = connect_trusting(&ca, port, &["--json", "--trace"]);
    failure_line(&out);
    let json: Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(json["verdict"], "rejected", "{json}");
    assert!(
        json["error"]
            .as_str()
            .unwrap()
            .contains("expired on 2021-01-01"),
        "{json}"
    );
    assert!(json["fix"]
        .as_str()
        .unwrap()
        .starts_with("Renew the certificate"));
    assert_eq!(json["chain_validated"], false);
    assert_eq!(json["chain"][0]["subject"], "CN=expired.localhost");
    assert!(json["chain"][0]["days_left"].as_i64().unwrap() < -365);
    assert_eq!(
        json["peer_certificates"][0]["subject"],
        "CN=expired.localhost"
    );
    server.kill();
}

#[test]
fn json_with_trace_has_the_old_keys_and_the_trace_s() {
    let pki = TestPki::shared();
    let kind = KeyKind::EcdsaP384;
    let (mut server, port) = openssl_s_server(pki, kind, &["-tls1_3", "-www"]);
    let out = connect(pki, kind, port, &["--json", "--trace", "--http-get", "/"]);
    let json: Value = serde_json::from_str(success(&out).trim()).unwrap();
    for key in [
        "version",
        "cipher_suite",
        "group",
        "hello_retry",
        "alpn",
        "peer_certificates",
        "http_status",
        "resumed",
        "early_data_accepted",
        "dns_ms",
        "tcp_connect_ms",
        "handshake_ms",
        "flights",
        "round_trips",
        "trace",
        "chain",
        "chain_validated",
        "trust_anchor",
        "validation_level",
        "pins",
        "verdict",
        "error",
        "fix",
    ] {
        assert!(json.get(key).is_some(), "{key} missing: {json}");
    }
    assert_eq!(json["version"], "TLSv1.3");
    assert_eq!(json["http_status"], 200);
    assert_eq!(json["round_trips"], 1);
    assert_eq!(json["flights"], 3);
    assert_eq!(json["verdict"], "trusted");
    assert_eq!(json["error"], Value::Null);
    assert_eq!(json["chain_validated"], true);
    assert_eq!(json["validation_level"], "unknown");
    let messages: Vec<&str> = json["trace"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["after_handshake"] == false)
        .map(|m| m["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages, FULL_HANDSHAKE);
    let first = &json["trace"][0];
    assert_eq!(first["from"], "client");
    assert!(first["bytes"].as_u64().unwrap() > 100);
    assert!(first["at_ms"].as_f64().unwrap() >= 0.0);
    let chain = json["chain"].as_array().unwrap();
    assert_eq!(chain.len(), 3, "leaf, intermediate, root: {json}");
    assert_eq!(chain[0]["key"], "ECDSA P-384");
    let cred = pki.server(kind);
    assert_eq!(chain[0]["spki_pin"], openssl_pin(&cred.cert_pem));
    assert!(chain[0]["days_left"].as_i64().unwrap() > 0);
    server.kill();
}

#[test]
fn help_has_examples() {
    for command in ["connect", "demo", "probe", "check", "inspect", "ca"] {
        let out = padlock(&[command, "--help"]);
        let help = success(&out);
        assert!(help.contains("Examples:"), "{command}: {help}");
        assert!(
            help.contains(&format!("padlock {command}")),
            "{command}: {help}"
        );
    }
}

#[test]
fn colour_only_on_a_terminal() {
    let pki = TestPki::shared();
    let kind = KeyKind::EcdsaP256;
    let (mut server, port) = openssl_s_server(pki, kind, &["-tls1_3", "-www"]);
    let command = format!(
        "{} connect 127.0.0.1:{port} --servername localhost --ca {} --trace",
        env!("CARGO_BIN_EXE_padlock"),
        pki.server(kind).ca_pem.display()
    );
    // `script` runs the command on a pseudo-terminal.
    require_tool("script");
    let on_terminal = |no_colour: bool| {
        let mut cmd = Command::new("script");
        cmd.args(["-qefc", &command, "/dev/null"]);
        if no_colour {
            cmd.env("NO_COLOR", "1");
        } else {
            cmd.env_remove("NO_COLOR");
        }
        let out = cmd.output().unwrap();
        success(&out)
    };
    let coloured = on_terminal(false);
    assert!(coloured.contains("\x1b[32mtrusted\x1b[0m"), "{coloured:?}");
    let plain = on_terminal(true);
    assert!(plain.contains("verdict   trusted"), "{plain}");
    assert!(!plain.contains('\x1b'), "{plain:?}");
    // Piped: plain (checked with the rest of the trace above), and the same words.
    let piped = success(&connect(pki, kind, port, &["--trace"]));
    assert!(!piped.contains('\x1b'));
    server.kill();
}

#[test]
fn a_server_that_hangs_up_shows_the_client_hello_and_the_reason() {
    let (port, server) = plain_server(b"");
    let target = format!("127.0.0.1:{port}");
    let out = padlock(&["connect", &target, "--trace"]);
    server.join().unwrap();
    let line = failure_line(&out);
    assert!(
        line.starts_with(&format!(
            "padlock: TLS handshake with {target} failed: the server closed"
        )),
        "{line}"
    );
    let trace = text(&out.stdout);
    assert_in_order(
        &trace,
        &[
            "ClientHello (",
            "handshake failed after ",
            "0 round trips into it",
            "verdict   failed: the server closed the connection during the handshake",
        ],
    );
    assert!(!trace.contains("chain "), "no certificate arrived: {trace}");
}

#[test]
fn a_reader_that_stops_early_ends_padlock_quietly() {
    use std::process::Stdio;
    // `padlock demo | head -0`: the pipe is closed before padlock writes anything.
    let mut child = Command::new(env!("CARGO_BIN_EXE_padlock"))
        .arg("demo")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(141), "{stderr}");
}

#[test]
fn resume_with_trace_draws_both_connections() {
    let pki = TestPki::shared();
    let kind = KeyKind::EcdsaP256;
    let (mut server, port) = openssl_s_server(pki, kind, &["-tls1_3", "-www"]);
    let out = connect(pki, kind, port, &["--trace", "--resume"]);
    let trace = success(&out);
    assert_in_order(
        &trace,
        &[
            "first connection, for a session ticket:",
            "ClientHello (",
            "Certificate (",
            "(after the handshake)",
            "NewSessionTicket (",
            "a ticket to resume this session later",
            "second connection, resuming that session:",
            "ClientHello (",
            "offers a ticket from an earlier connection (pre_shared_key",
            "ServerHello (",
            "resumes the session from the ticket: no certificate this time",
            "Finished (",
            "Finished (",
            "3 flights, 1 round trip",
            "resumed       yes",
            "chain     none sent: the session was resumed",
            "verdict   trusted: a resumed session with localhost",
        ],
    );
    // The resumed handshake has no Certificate: after the second ClientHello, none.
    let second = trace.split("second connection").nth(1).unwrap();
    assert!(!second.contains("Certificate ("), "{second}");
    server.kill();
}
