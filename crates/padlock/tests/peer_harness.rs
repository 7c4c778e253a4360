//! Self-tests of the interop harness: real peers against each other, no padlock code. They
//! prove the generated PKI is accepted by OpenSSL, GnuTLS and curl (chain, name, EKU), that
//! the builders start, reach and stop peers, and that every wait is bounded.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

#[test]
fn pki_files_have_the_promised_formats() {
    let pki = TestPki::shared();
    let ed25519 = pki.server(KeyKind::Ed25519);
    let v2 = std::fs::read_to_string(ed25519.key_pkcs8v2_pem.as_ref().unwrap()).unwrap();
    assert!(v2.starts_with("-----BEGIN PRIVATE KEY-----"), "{v2}");
    for kind in KeyKind::ALL {
        for cred in [pki.server(kind), pki.client(kind)] {
            assert_eq!(cred.chain_der.len(), 2);
            assert!(!cred.key_pkcs8_der.is_empty());
            let key = std::fs::read_to_string(&cred.key_pem).unwrap();
            assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"), "{key}");
            if let Some(sec1) = &cred.key_sec1_pem {
                let text = std::fs::read_to_string(sec1).unwrap();
                assert!(text.starts_with("-----BEGIN EC PRIVATE KEY-----"), "{text}");
            }
            if let Some(pkcs1) = &cred.key_pkcs1_pem {
                let text = std::fs::read_to_string(pkcs1).unwrap();
                assert!(
                    text.starts_with("-----BEGIN RSA PRIVATE KEY-----"),
                    "{text}"
                );
            }
        }
    }
    let ecdsa = pki.server(KeyKind::EcdsaP256);
    assert!(ecdsa.key_sec1_pem.is_some() && ecdsa.key_pkcs1_pem.is_none());
    assert!(pki.server(KeyKind::Rsa2048).key_pkcs1_pem.is_some());

    // The RSA-PSS leaf must carry the id-RSASSA-PSS key OID and a PSS-signed chain.
    let mut text = Command::new("openssl");
    text.args(["x509", "-noout", "-text", "-in"])
        .arg(&pki.server(KeyKind::RsaPss).cert_pem);
    let run = run_tool(text, "", DEFAULT_TIMEOUT);
    run.assert_success()
        .assert_output_contains("Public Key Algorithm: rsassaPss")
        .assert_output_contains("Signature Algorithm: rsassaPss");
}

#[test]
fn a_fresh_pki_is_removed_on_drop() {
    let pki = TestPki::new();
    let dir = pki.dir().to_owned();
    assert!(pki.ca_pem().exists() && pki.all_ca_pem().exists());
    assert_ne!(dir, TestPki::shared().dir());
    drop(pki);
    assert!(!dir.exists(), "{dir:?} left behind");
}

#[test]
fn openssl_verify_accepts_every_chain_with_its_purpose() {
    let pki = TestPki::shared();
    for kind in KeyKind::ALL {
        for (cred, purpose) in [
            (pki.server(kind), "sslserver"),
            (pki.client(kind), "sslclient"),
        ] {
            let mut cmd = Command::new("openssl");
            cmd.args(["verify", "-x509_strict", "-purpose", purpose, "-CAfile"])
                .arg(&cred.ca_pem)
                .arg("-untrusted")
                .arg(&cred.intermediate_pem)
                .arg(&cred.cert_pem);
            run_tool(cmd, "", DEFAULT_TIMEOUT).assert_success();
        }
    }
}

#[test]
fn openssl_client_to_openssl_server_verifies_chain_and_name() {
    let pki = TestPki::shared();
    let kind = KeyKind::EcdsaP256;
    let tls = openssl_tls13_args("TLS_CHACHA20_POLY1305_SHA256", &["X25519"]);
    let (_server, port) = openssl_s_server(pki, kind, &strs(&tls));
    let mut args = openssl_verify_args(pki, kind);
    args.extend(tls.iter().cloned());
    args.push("-brief".into());
    openssl_s_client(port, &strs(&args))
        .assert_success()
        .assert_output_contains("Verification: OK")
        .assert_output_contains("Verified peername: localhost")
        .assert_output_contains("Ciphersuite: TLS_CHACHA20_POLY1305_SHA256")
        .assert_output_contains("Server Temp Key: X25519");
}

#[test]
fn openssl_client_verifies_every_server_kind() {
    let pki = TestPki::shared();
    for kind in KeyKind::ALL {
        let (_server, port) = openssl_s_server(pki, kind, &["-tls1_3"]);
        let mut args = openssl_verify_args(pki, kind);
        args.push("-brief".into());
        openssl_s_client(port, &strs(&args))
            .assert_success()
            .assert_output_contains("Verification: OK");
    }
}

#[test]
fn openssl_client_certificate_is_accepted() {
    let pki = TestPki::shared();
    let kind = KeyKind::EcdsaP384;
    let client = pki.client(KeyKind::Ed25519);
    let ca = client.ca_pem.display().to_string();
    let (server, port) = openssl_s_server(
        pki,
        kind,
        &[
            "-tls1_3",
            "-Verify",
            "1",
            "-verify_return_error",
            "-CAfile",
            &ca,
        ],
    );
    let mut args = openssl_verify_args(pki, kind);
    args.extend(openssl_client_cert_args(pki, KeyKind::Ed25519));
    args.push("-brief".into());
    openssl_s_client(port, &strs(&args)).assert_success();
    server.wait_for_output("CN = padlock test client ed25519", DEFAULT_TIMEOUT);
}

#[test]
fn gnutls_client_certificate_is_accepted_by_openssl() {
    let pki = TestPki::shared();
    let kind = KeyKind::Rsa2048;
    let ca = pki.client(KeyKind::RsaPss).ca_pem.display().to_string();
    let (server, port) = openssl_s_server(
        pki,
        kind,
        &[
            "-tls1_3",
            "-Verify",
            "1",
            "-verify_return_error",
            "-CAfile",
            &ca,
        ],
    );
    let mut args = gnutls_verify_args(pki, kind);
    args.extend(gnutls_client_cert_args(pki, KeyKind::RsaPss));
    gnutls_cli(port, &strs(&args)).assert_success();
    server.wait_for_output("CN = padlock test client rsa-pss", DEFAULT_TIMEOUT);
}

#[test]
fn gnutls_client_to_gnutls_server_with_every_kind() {
    let pki = TestPki::shared();
    let priority = gnutls_priority(&["TLS_AES_256_GCM_SHA384"], &["secp384r1"]);
    for kind in KeyKind::ALL {
        let (_server, port) = gnutls_serv(
            pki,
            kind,
            &["--echo", "--disable-client-cert", "--priority", &priority],
        );
        let mut args = gnutls_verify_args(pki, kind);
        args.extend(["--priority".into(), priority.clone()]);
        gnutls_cli(port, &strs(&args))
            .assert_success()
            .assert_output_contains("The certificate is trusted")
            .assert_output_contains("(TLS1.3-X.509)-(ECDHE-SECP384R1)")
            .assert_output_contains("(AES-256-GCM)");
    }
}

#[test]
fn curl_gets_200_from_openssl_www() {
    let pki = TestPki::shared();
    let kind = KeyKind::Rsa2048;
    let (_server, port) = openssl_s_server(pki, kind, &["-www"]);
    let mut args = curl_verify_args(pki, kind);
    args.extend(curl_tls13_args("TLS_AES_128_GCM_SHA256", &["P-256"]));
    args.extend(["--output".into(), "/dev/null".into()]);
    args.extend(["--write-out".into(), "%{http_code}".into()]);
    let run = curl(port, &strs(&args));
    run.assert_success();
    assert_eq!(run.stdout.trim(), "200", "{}", run.output);
}

#[test]
fn gnutls_client_to_openssl_server_with_hello_retry() {
    let pki = TestPki::shared();
    let kind = KeyKind::EcdsaP256;
    let (server, port) = openssl_s_server(pki, kind, &["-tls1_3", "-groups", "P-384", "-trace"]);
    // GnuTLS sends shares for the first two groups only, so P-384 needs a HelloRetryRequest.
    let priority = gnutls_priority(&[], &["X25519", "secp256r1", "secp384r1"]);
    let mut args = gnutls_verify_args(pki, kind);
    args.extend(["--priority".into(), priority]);
    gnutls_cli(port, &strs(&args))
        .assert_success()
        .assert_output_contains("(ECDHE-SECP384R1)");
    server.wait_for_output_count("ClientHello", 2, DEFAULT_TIMEOUT);
}

#[test]
fn names_map_to_each_peer_spelling() {
    assert_eq!(
        gnutls_priority(&["TLS_CHACHA20_POLY1305_SHA256"], &["P-384"]),
        "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305:-GROUP-ALL:+GROUP-SECP384R1"
    );
    assert_eq!(gnutls_cipher("TLS_AES_128_GCM_SHA256"), "+AES-128-GCM");
    assert_eq!(gnutls_group("X25519"), "+GROUP-X25519");
    assert_eq!(openssl_group("secp256r1"), "P-256");
    assert_eq!(openssl_group("P-384"), "P-384");
    assert_eq!(
        openssl_suite("TLS_AES_256_GCM_SHA384"),
        "TLS_AES_256_GCM_SHA384"
    );
}

#[test]
#[should_panic(expected = "is not installed")]
fn missing_peer_fails_loudly() {
    require_tool("padlock-no-such-peer");
}

#[test]
fn client_runs_are_bounded() {
    let start = Instant::now();
    let mut cmd = Command::new("sleep");
    cmd.arg("30");
    let run = run_tool(cmd, "", Duration::from_millis(300));
    assert!(run.timed_out() && !run.success());
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
#[should_panic(expected = "ACCEPT")]
fn waits_are_bounded_and_show_the_output() {
    let pki = TestPki::shared();
    let (server, _port) = openssl_s_server(pki, KeyKind::EcdsaP256, &[]);
    // The panic message carries the peer's output, which includes its "ACCEPT" banner.
    server.wait_for_output("never printed", Duration::from_millis(300));
}

#[test]
fn wait_for_line_returns_the_rest_of_a_complete_line() {
    let mut cmd = Command::new("sh");
    cmd.args([
        "-c",
        "echo starting; printf 'listening on 127.0.0.1:'; sleep 0.2; echo 4433; exec sleep 30",
    ]);
    let peer = Peer::spawn(cmd);
    let addr = peer.wait_for_line("listening on ", DEFAULT_TIMEOUT);
    assert_eq!(addr, "127.0.0.1:4433");
}
