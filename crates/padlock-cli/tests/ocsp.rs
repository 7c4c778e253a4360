//! OCSP stapling (RFC 8446 §4.4.2.1) against real peers: `openssl s_server -status_file`
//! and `gnutls-serv --ocsp-response` stapling a response made by `openssl ocsp` to `padlock
//! connect` and `padlock probe`; `openssl s_client -status` and `gnutls-cli` against
//! `padlock serve --ocsp`; servers that do not staple.

#[path = "../../padlock/tests/common/mod.rs"]
mod common;
mod run;
mod support;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::*;
use run::TempDir;
use support::Serve;

const EXTENSIONS: &str = "\
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = CA:FALSE
subjectAltName = DNS:localhost, IP:127.0.0.1
authorityKeyIdentifier = keyid
extendedKeyUsage = serverAuth
";

/// `openssl args...` in `dir`, which must succeed.
fn openssl(dir: &TempDir, args: &[&str]) {
    let mut cmd = Command::new(require_tool("openssl"));
    cmd.current_dir(&dir.0).args(args);
    run_tool(cmd, "", DEFAULT_TIMEOUT).assert_success();
}

/// A CA (`ca.pem`), two leaves for localhost (`good.pem`, serial 0x1001, and `revoked.pem`,
/// serial 0x1002, revoked), an `openssl ocsp` index saying so, and the responses the CA
/// signs for each: `good-ocsp.der` and `revoked-ocsp.der`, valid for 7 days.
fn pki(dir: &TempDir) {
    fs::write(dir.path("ext.cnf"), EXTENSIONS).unwrap();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    openssl(
        dir,
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-keyout",
                "ca-key.pem",
                "-out",
                "ca.pem",
                "-subj",
                "/CN=padlock OCSP test CA",
                "-days",
                "30",
                "-extensions",
                "ca",
                "-config",
                "ext.cnf",
            ],
        ]
        .concat(),
    );
    for (stem, serial) in [("good", "0x1001"), ("revoked", "0x1002")] {
        let key = format!("{stem}-key.pem");
        let csr = format!("{stem}.csr");
        let pem = format!("{stem}.pem");
        openssl(
            dir,
            &[
                &["req", "-new"][..],
                &ec,
                &["-keyout", &key, "-out", &csr, "-subj", "/CN=localhost"],
            ]
            .concat(),
        );
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca-key.pem",
                "-set_serial",
                serial,
                "-days",
                "20",
                "-extfile",
                "ext.cnf",
                "-extensions",
                "leaf",
                "-out",
                &pem,
            ],
        );
    }
    // The openssl ca index format: status, expiry, revocation (time,reason), serial, file, DN.
    fs::write(
        dir.path("index.txt"),
        "V\t351231000000Z\t\t1001\tunknown\t/CN=localhost\n\
         R\t351231000000Z\t250101000000Z,keyCompromise\t1002\tunknown\t/CN=localhost\n",
    )
    .unwrap();
    for stem in ["good", "revoked"] {
        openssl(
            dir,
            &[
                "ocsp",
                "-index",
                "index.txt",
                "-rsigner",
                "ca.pem",
                "-rkey",
                "ca-key.pem",
                "-CA",
                "ca.pem",
                "-issuer",
                "ca.pem",
                "-cert",
                &format!("{stem}.pem"),
                "-respout",
                &format!("{stem}-ocsp.der"),
                "-ndays",
                "7",
            ],
        );
    }
}

/// `openssl s_server` (TLS 1.3) with the leaf `stem`, stapling `status_file` if given.
fn s_server(dir: &TempDir, stem: &str, status_file: Option<&str>) -> (Peer, u16) {
    start_server(|port| {
        let mut cmd = Command::new(require_tool("openssl"));
        cmd.current_dir(&dir.0)
            .arg("s_server")
            .args(["-accept", &format!("127.0.0.1:{port}")])
            .args([
                "-cert",
                &format!("{stem}.pem"),
                "-key",
                &format!("{stem}-key.pem"),
            ])
            .args(["-tls1_3", "-quiet"]);
        if let Some(file) = status_file {
            cmd.args(["-status_file", file]);
        }
        cmd
    })
}

fn padlock(args: &[&str]) -> ToolRun {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_padlock"));
    cmd.args(args);
    run_tool(cmd, "", DEFAULT_TIMEOUT)
}

fn json_of(run: &ToolRun) -> serde_json::Value {
    serde_json::from_str(run.stdout.trim()).unwrap_or_else(|e| run.fail(&format!("not JSON ({e})")))
}

fn target(port: u16) -> String {
    format!("127.0.0.1:{port}")
}

#[test]
fn openssl_staple_is_reported_by_connect_and_probe() {
    let dir = TempDir::new();
    pki(&dir);
    let ca = dir.arg("ca.pem");
    let (_server, port) = s_server(&dir, "good", Some("good-ocsp.der"));
    let common = ["--servername", "localhost", "--ca", &ca];

    let run = padlock(&[&["connect", &target(port)][..], &common].concat());
    run.assert_success();
    run.assert_output_contains("OCSP staple   good, signed by the issuer; next update ");

    let run = padlock(&[&["connect", &target(port), "--trace"][..], &common].concat());
    run.assert_success();
    run.assert_output_contains("OCSP      stapled: good, signed by the issuer; next update ");

    let json = json_of(&padlock(
        &[&["connect", &target(port), "--json"][..], &common].concat(),
    ));
    let staple = &json["ocsp_staple"];
    assert_eq!(staple["response_status"], "successful", "{json}");
    assert_eq!(staple["cert_status"], "good", "{json}");
    assert_eq!(staple["signature"], "issuer", "{json}");
    assert_eq!(staple["current"], true, "{json}");
    assert_eq!(staple["good"], true, "{json}");
    assert!(staple["next_update"].is_string(), "{json}");
    assert_eq!(
        staple["bytes"].as_u64(),
        Some(fs::metadata(dir.path("good-ocsp.der")).unwrap().len())
    );

    let run = padlock(&[&["probe", &target(port)][..], &common].concat());
    run.assert_output_contains("OCSP          the server staples OCSP: good, signed by the issuer");
    let json = json_of(&padlock(
        &[&["probe", &target(port), "--json"][..], &common].concat(),
    ));
    assert_eq!(json["ocsp_stapling"], true, "{json}");
    assert_eq!(json["ocsp_staple"]["cert_status"], "good", "{json}");
}

#[test]
fn a_revoked_staple_is_a_change_in_probe() {
    let dir = TempDir::new();
    pki(&dir);
    let ca = dir.arg("ca.pem");
    let (_server, port) = s_server(&dir, "revoked", Some("revoked-ocsp.der"));
    let run = padlock(&[
        "probe",
        &target(port),
        "--servername",
        "localhost",
        "--ca",
        &ca,
    ]);
    run.assert_output_contains("the server staples OCSP: REVOKED since 2025-01-01 00:00:00 UTC");
    run.assert_output_contains(
        "change    The stapled OCSP response says the certificate is revoked: replace the certificate.",
    );
    assert_eq!(run.status.and_then(|s| s.code()), Some(1), "{}", run.output);

    // The response for the other certificate: no status for this one.
    let (_server, port) = s_server(&dir, "revoked", Some("good-ocsp.der"));
    let json = json_of(&padlock(&[
        "connect",
        &target(port),
        "--servername",
        "localhost",
        "--ca",
        &ca,
        "--json",
    ]));
    assert_eq!(
        json["ocsp_staple"]["cert_status"],
        serde_json::Value::Null,
        "{json}"
    );
    assert_eq!(json["ocsp_staple"]["good"], false, "{json}");
}

#[test]
fn servers_without_a_staple_are_reported_as_not_stapling() {
    let dir = TempDir::new();
    pki(&dir);
    let ca = dir.arg("ca.pem");
    let (_server, port) = s_server(&dir, "good", None);
    let run = padlock(&[
        "probe",
        &target(port),
        "--servername",
        "localhost",
        "--ca",
        &ca,
    ]);
    run.assert_output_contains("OCSP          the server does not staple OCSP");
    let run = padlock(&[
        "connect",
        &target(port),
        "--servername",
        "localhost",
        "--ca",
        &ca,
    ]);
    run.assert_output_contains("OCSP staple   none (the server stapled no OCSP response)");

    // padlock serve without --ocsp: the same.
    let serve = start_serve(&dir, "good", None);
    let json = json_of(&padlock(&[
        "probe",
        &serve.target(),
        "--servername",
        "localhost",
        "--ca",
        &ca,
        "--json",
    ]));
    assert_eq!(json["ocsp_stapling"], false, "{json}");
    assert_eq!(json["ocsp_staple"], serde_json::Value::Null, "{json}");
    let run = openssl_s_client(
        serve.port,
        &["-status", "-servername", "localhost", "-CAfile", &ca],
    );
    run.assert_output_contains("OCSP response: no response sent");
}

/// `padlock serve` with the leaf `stem`, stapling `ocsp` if given.
fn start_serve(dir: &TempDir, stem: &str, ocsp: Option<&Path>) -> Serve {
    let ocsp = ocsp.map(|p| p.display().to_string());
    let extra: Vec<&str> = match &ocsp {
        Some(path) => vec!["--ocsp", path],
        None => Vec::new(),
    };
    Serve::start_with(
        &dir.path(&format!("{stem}.pem")),
        &dir.path(&format!("{stem}-key.pem")),
        &extra,
    )
}

#[test]
fn openssl_s_client_sees_padlock_serve_staple() {
    let dir = TempDir::new();
    pki(&dir);
    let ca = dir.arg("ca.pem");
    let serve = start_serve(&dir, "good", Some(&dir.path("good-ocsp.der")));
    let run = openssl_s_client(
        serve.port,
        &["-status", "-servername", "localhost", "-CAfile", &ca],
    );
    run.assert_output_contains("OCSP Response Status: successful (0x0)");
    run.assert_output_contains("Cert Status: good");
    run.assert_output_contains("Verify return code: 0 (ok)");

    // padlock's own client, through the binary.
    let json = json_of(&padlock(&[
        "connect",
        &serve.target(),
        "--servername",
        "localhost",
        "--ca",
        &ca,
        "--json",
    ]));
    assert_eq!(json["ocsp_staple"]["good"], true, "{json}");

    // A client that does not ask gets no staple (RFC 8446 §4.4.2.1).
    let run = openssl_s_client(serve.port, &["-servername", "localhost", "-CAfile", &ca]);
    run.assert_output_contains("Verify return code: 0 (ok)");
    assert!(!run.output.contains("OCSP response"), "{}", run.output);
}

#[test]
fn serve_refuses_an_ocsp_file_that_is_not_der() {
    let dir = TempDir::new();
    pki(&dir);
    fs::write(dir.path("bad.der"), "not an OCSP response").unwrap();
    let run = padlock(&[
        "serve",
        "--cert",
        &dir.arg("good.pem"),
        "--key",
        &dir.arg("good-key.pem"),
        "--ocsp",
        &dir.arg("bad.der"),
        "--listen",
        "127.0.0.1:0",
    ]);
    run.assert_failure();
    run.assert_output_contains("bad.der");
    run.assert_output_contains("not a DER OCSPResponse");
}

#[test]
fn gnutls_staples_to_padlock_and_checks_padlock_serve_staple() {
    let dir = TempDir::new();
    pki(&dir);
    let ca = dir.arg("ca.pem");
    // gnutls-serv checks that the response is for its certificate before stapling it.
    let (_server, port) = start_server(|port| {
        let mut cmd = Command::new(require_tool("gnutls-serv"));
        cmd.current_dir(&dir.0)
            .args(["-p", &port.to_string()])
            .args(["--x509certfile=good.pem", "--x509keyfile=good-key.pem"])
            .arg("--ocsp-response=good-ocsp.der");
        cmd
    });
    let json = json_of(&padlock(&[
        "connect",
        &target(port),
        "--servername",
        "localhost",
        "--ca",
        &ca,
        "--json",
    ]));
    assert_eq!(json["ocsp_staple"]["good"], true, "{json}");

    // gnutls-cli asks for a staple and verifies the one it gets against the CA.
    let gnutls_cli = |port: u16| {
        gnutls_cli(
            port,
            &[
                "--sni-hostname",
                "localhost",
                "--verify-hostname",
                "localhost",
                "--x509cafile",
                &ca,
            ],
        )
    };
    let serve = start_serve(&dir, "good", Some(&dir.path("good-ocsp.der")));
    let run = gnutls_cli(serve.port);
    run.assert_output_contains("- Status: The certificate is trusted.");
    run.assert_output_contains("- Options: OCSP status request,");
    // The revoked leaf with its response: gnutls-cli reads the staple and refuses.
    let revoked = start_serve(&dir, "revoked", Some(&dir.path("revoked-ocsp.der")));
    let run = gnutls_cli(revoked.port);
    run.assert_output_contains("The certificate chain is revoked.");
    let plain = start_serve(&dir, "good", None);
    let run = gnutls_cli(plain.port);
    run.assert_output_contains("- Status: The certificate is trusted.");
    assert!(
        !run.output.contains("OCSP status request"),
        "{}",
        run.output
    );
}
