//! `padlock probe`, `check`, `inspect` and `ca` against real servers started by each test:
//! `padlock serve` (good, expiring, expired, mismatched, self-signed, incomplete chains),
//! `openssl s_server` limited to old versions, curl and headless Chromium as clients. Every
//! failure sentence is compared with padlock-cert's own rendering of the same error.

#[path = "../../padlock/tests/common/mod.rs"]
mod common;
mod run;
mod support;

use std::fs;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;
use padlock_cert::{CertError, PeerName, RootStore, VerifyOptions};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use run::TempDir;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use support::Serve;

// ---- helpers ------------------------------------------------------------------------------

fn padlock_cmd() -> Command {
    Command::new(env!("CARGO_BIN_EXE_padlock"))
}

/// `padlock args...`, bounded.
fn padlock(args: &[&str]) -> ToolRun {
    let mut cmd = padlock_cmd();
    cmd.args(args);
    run_tool(cmd, "", DEFAULT_TIMEOUT)
}

fn exit_code(run: &ToolRun) -> i32 {
    run.status
        .and_then(|s| s.code())
        .unwrap_or_else(|| run.fail("no exit code"))
}

#[track_caller]
fn assert_contains(run: &ToolRun, needle: &str) {
    run.assert_output_contains(needle);
}

/// A private CA made with rcgen, for certificates TestPki does not have.
struct Ca {
    params: CertificateParams,
    key: KeyPair,
    pem: String,
}

impl Ca {
    fn new(cn: &str) -> Ca {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let pem = params.self_signed(&key).unwrap().pem();
        Ca { params, key, pem }
    }

    /// A leaf for `names` (DNS or IP) valid from `from` to `until` (seconds from now),
    /// written as `<stem>.pem` and `<stem>-key.pem` in `dir`.
    fn leaf(&self, dir: &TempDir, stem: &str, names: &[&str], from: i64, until: i64) -> Creds {
        let key = KeyPair::generate().unwrap();
        let mut params = leaf_params(names, from, until);
        params.use_authority_key_identifier_extension = true;
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer).unwrap();
        Creds::write(dir, stem, &cert.pem(), &key.serialize_pem())
    }
}

fn leaf_params(names: &[&str], from: i64, until: i64) -> CertificateParams {
    let mut params = CertificateParams::default();
    params
        .distinguished_name
        .push(DnType::CommonName, names.first().copied().unwrap_or("leaf"));
    params.subject_alt_names = names
        .iter()
        .map(|n| match n.parse::<IpAddr>() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName((*n).try_into().unwrap()),
        })
        .collect();
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now + time::Duration::seconds(from);
    params.not_after = now + time::Duration::seconds(until);
    params
}

struct Creds {
    chain: PathBuf,
    key: PathBuf,
}

impl Creds {
    fn write(dir: &TempDir, stem: &str, chain: &str, key: &str) -> Creds {
        let creds = Creds {
            chain: dir.path(&format!("{stem}.pem")),
            key: dir.path(&format!("{stem}-key.pem")),
        };
        fs::write(&creds.chain, chain).unwrap();
        fs::write(&creds.key, key).unwrap();
        creds
    }
}

const DAY: i64 = 86_400;

/// What padlock-cert says about `chain` for the name 127.0.0.1 against the roots in `ca`
/// (the Mozilla roots when empty).
fn expected_error(chain: &Path, ca: &[&Path]) -> CertError {
    let certs: Vec<Vec<u8>> = CertificateDer::pem_file_iter(chain)
        .unwrap()
        .map(|c| c.unwrap().to_vec())
        .collect();
    // No --ca means the Mozilla roots, as the commands use.
    let mut roots = if ca.is_empty() {
        RootStore::mozilla()
    } else {
        RootStore::empty()
    };
    for path in ca {
        roots.add_pem_file(path).unwrap();
    }
    let intermediates: Vec<&[u8]> = certs[1..].iter().map(Vec::as_slice).collect();
    padlock_cert::verify_chain(
        &certs[0],
        &intermediates,
        &roots,
        Some(&PeerName::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST))),
        &VerifyOptions::default(),
    )
    .expect_err("the chain should not validate")
}

/// The SPKI pin of a PEM certificate as openssl computes it (an independent implementation).
fn openssl_pin(cert: &Path) -> String {
    let script = format!(
        "openssl x509 -in '{}' -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | openssl base64 -A",
        cert.display()
    );
    let mut cmd = Command::new("sh");
    cmd.args(["-c", &script]);
    let run = run_tool(cmd, "", DEFAULT_TIMEOUT);
    run.assert_success();
    format!("sha256/{}", run.stdout.trim())
}

fn openssl_fingerprint(cert: &Path) -> String {
    let mut cmd = Command::new("openssl");
    cmd.args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
        .arg(cert);
    let run = run_tool(cmd, "", DEFAULT_TIMEOUT);
    run.assert_success();
    run.stdout
        .trim()
        .split_once('=')
        .map(|(_, f)| f.to_string())
        .unwrap_or_else(|| run.fail("no fingerprint"))
}

/// Like the harness's `require_tool`, naming the Debian package (they differ here).
fn require(tool: &str, package: &str) {
    let found = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()));
    assert!(
        found,
        "`{tool}` is not installed: run ./scripts/test.sh, which installs it, or `apt-get install -y {package}`. These tests never skip."
    );
}

fn json_of(run: &ToolRun) -> serde_json::Value {
    serde_json::from_str(run.stdout.trim())
        .unwrap_or_else(|e| run.fail(&format!("stdout is not JSON: {e}")))
}

// ---- probe ----------------------------------------------------------------------------------

#[test]
fn probe_openssl_tls12_only_says_enable_tls13() {
    let pki = TestPki::shared();
    let (_server, port) = openssl_s_server(pki, KeyKind::EcdsaP256, &["-tls1_2", "-quiet"]);
    let ca = pki.ca_pem().display().to_string();
    let target = format!("127.0.0.1:{port}");
    let run = padlock(&["probe", &target, "--servername", "localhost", "--ca", &ca]);
    assert_eq!(exit_code(&run), 1, "{}", run.output);
    assert_contains(&run, "TLS 1.0  no (alert protocol_version)");
    assert_contains(&run, "TLS 1.1  no (alert protocol_version)");
    assert_contains(
        &run,
        "TLS 1.2  yes (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)",
    );
    assert_contains(&run, "TLS 1.3  no (alert protocol_version)");
    assert_contains(
        &run,
        "change    TLS 1.3 is not enabled: enable it (a faster handshake, forward secrecy on every connection, no legacy ciphers).",
    );
    // The certificate still gets judged: TLS 1.2 sends it in the clear.
    assert_contains(&run, "certificate   CN=localhost, ECDSA P-256");
    assert_contains(&run, "valid for localhost");
    assert!(!run.output.contains("TLS 1.0 and 1.1"), "{}", run.output);

    let json = json_of(&padlock(&[
        "probe",
        &target,
        "--servername",
        "localhost",
        "--ca",
        &ca,
        "--json",
    ]));
    assert_eq!(json["versions"]["1.2"]["accepted"], true);
    assert_eq!(json["versions"]["1.3"]["accepted"], false);
    assert_eq!(json["ok"], false);
    assert_eq!(json["certificate_error"], serde_json::Value::Null);
}

#[test]
fn probe_openssl_with_tls10_says_disable_it() {
    let pki = TestPki::shared();
    // SECLEVEL 0: OpenSSL 3 otherwise refuses TLS 1.0 and 1.1 itself.
    let (_server, port) = openssl_s_server(
        pki,
        KeyKind::EcdsaP256,
        &["-no_tls1_3", "-cipher", "DEFAULT:@SECLEVEL=0", "-quiet"],
    );
    let run = padlock(&[
        "probe",
        &format!("127.0.0.1:{port}"),
        "--servername",
        "localhost",
    ]);
    assert_eq!(exit_code(&run), 1, "{}", run.output);
    assert_contains(&run, "TLS 1.0  yes (TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA)");
    assert_contains(&run, "TLS 1.1  yes");
    assert_contains(
        &run,
        "change    TLS 1.0 and 1.1 are enabled: disable them (RFC 8996 deprecates them and browsers refuse them).",
    );
    // Without --ca the Mozilla roots do not know the test root: the sentence and fix of
    // padlock-cert, for the chain openssl sent.
    let err = expected_error(&pki.server(KeyKind::EcdsaP256).chain_pem, &[]);
    assert!(matches!(err, CertError::UnknownIssuer { .. }), "{err:?}");
    assert_contains(&run, &format!("change    {} {}", err, err.fix()));
}

#[test]
fn probe_padlock_serve_tls13_suites_groups_resumption() {
    let serve = Serve::start_kind(KeyKind::EcdsaP256, &[]);
    let ca = TestPki::shared().ca_pem().display().to_string();
    let run = padlock(&[
        "probe",
        &serve.target(),
        "--servername",
        "localhost",
        "--ca",
        &ca,
    ]);
    assert_eq!(exit_code(&run), 0, "{}", run.output);
    for v in ["1.0", "1.1", "1.2"] {
        assert_contains(&run, &format!("TLS {v}  no (alert protocol_version)"));
    }
    // No key share at all: the server must ask for one (RFC 8446 §4.1.4).
    assert_contains(&run, "TLS 1.3  yes (HelloRetryRequest for X25519MLKEM768)");
    for suite in SUITES {
        assert_contains(&run, &format!("{suite:<30} yes"));
    }
    for group in ["X25519MLKEM768", "X25519", "secp256r1", "secp384r1"] {
        assert_contains(&run, &format!("{group:<30} yes"));
    }
    // padlock serve takes a share it supports rather than asking for its favourite.
    assert_contains(
        &run,
        "share for secp384r1            -> accepted without HelloRetryRequest",
    );
    assert_contains(
        &run,
        "resumption    yes (the second connection used a session ticket)",
    );
    assert_contains(
        &run,
        "0-RTT         no (the server's tickets do not allow early data)",
    );
    assert_contains(&run, "valid for localhost");
    assert_contains(
        &run,
        "note      TLS 1.2 is off: clients without TLS 1.3 (roughly those from before 2018) cannot connect.",
    );
    assert!(!run.output.contains("\n  change "), "{}", run.output);

    let json = json_of(&padlock(&[
        "probe",
        &serve.target(),
        "--servername",
        "localhost",
        "--ca",
        &ca,
        "--json",
    ]));
    assert_eq!(json["ok"], true);
    assert_eq!(json["versions"]["1.3"]["accepted"], true);
    assert_eq!(json["tls13_groups"]["X25519MLKEM768"]["accepted"], true);
    assert_eq!(json["resumption"], true);
    assert_eq!(json["certificate"]["dns_names"][0], "localhost");
}

#[test]
fn probe_openssl_resumption_and_0rtt() {
    let pki = TestPki::shared();
    let (_server, port) = openssl_s_server(
        pki,
        KeyKind::EcdsaP256,
        &[
            "-tls1_3",
            "-early_data",
            "-max_early_data",
            "16384",
            "-quiet",
        ],
    );
    let ca = pki.ca_pem().display().to_string();
    let run = padlock(&[
        "probe",
        &format!("127.0.0.1:{port}"),
        "--servername",
        "localhost",
        "--ca",
        &ca,
    ]);
    assert_eq!(exit_code(&run), 0, "{}", run.output);
    // OpenSSL 3.0 has no ML-KEM, and asks for X25519 when offered no share.
    assert_contains(&run, "TLS 1.3  yes (HelloRetryRequest for x25519)");
    assert_contains(
        &run,
        &format!("{:<30} no, refused (handshake_failure)", "X25519MLKEM768"),
    );
    assert_contains(
        &run,
        "resumption    yes (the second connection used a session ticket)",
    );
    assert_contains(&run, "0-RTT         yes (the server took the 0-RTT data)");
    assert_contains(
        &run,
        "consider  X25519MLKEM768 is refused: enable it to protect today's traffic against future quantum computers (browsers offer it first).",
    );
    assert_contains(
        &run,
        "note      0-RTT early data is accepted: make sure the application acts only on requests that are safe to replay (RFC 8446 §8).",
    );
}

#[test]
fn probe_refuses_what_is_not_tls() {
    // A plain TCP listener that answers with HTTP: no version is accepted, exit 2.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            use std::io::Write;
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
        }
    });
    let run = padlock(&["probe", &format!("127.0.0.1:{port}"), "--timeout", "5"]);
    assert_eq!(exit_code(&run), 2, "{}", run.output);
    assert_contains(
        &run,
        "TLS 1.2  no (a plain-text HTTP answer (this port does not speak TLS))",
    );
    assert_contains(
        &run,
        "The server accepted none of TLS 1.0, 1.1, 1.2 and 1.3: check that this port speaks TLS.",
    );
}

// ---- check ----------------------------------------------------------------------------------

#[test]
fn check_table_expiry_and_each_error_sentence() {
    let dir = TempDir::new();
    let pki = TestPki::shared();
    let ca = Ca::new("check test CA");
    let ca_path = dir.path("ca.pem");
    fs::write(&ca_path, &ca.pem).unwrap();
    let ip = ["127.0.0.1"];
    let expiring = ca.leaf(&dir, "expiring", &ip, -DAY, 5 * DAY + 3600);
    let expired = ca.leaf(&dir, "expired", &ip, -30 * DAY, -3 * DAY);
    let mismatch = ca.leaf(&dir, "mismatch", &["other.test"], -DAY, 90 * DAY);
    let stranger = Ca::new("unknown test CA").leaf(&dir, "unknown", &ip, -DAY, 90 * DAY);
    let self_signed = {
        let key = KeyPair::generate().unwrap();
        let cert = leaf_params(&ip, -DAY, 90 * DAY).self_signed(&key).unwrap();
        Creds::write(&dir, "self", &cert.pem(), &key.serialize_pem())
    };
    // The leaf without its intermediate.
    let cred = pki.server(KeyKind::EcdsaP256);
    let no_intermediate = Creds {
        chain: cred.cert_pem.clone(),
        key: cred.key_pem.clone(),
    };

    let good = Serve::start_kind(KeyKind::EcdsaP256, &[]);
    let servers: Vec<(&str, Serve)> = vec![
        (
            "expiring",
            Serve::start_with(&expiring.chain, &expiring.key, &[]),
        ),
        (
            "expired",
            Serve::start_with(&expired.chain, &expired.key, &[]),
        ),
        (
            "mismatch",
            Serve::start_with(&mismatch.chain, &mismatch.key, &[]),
        ),
        (
            "unknown",
            Serve::start_with(&stranger.chain, &stranger.key, &[]),
        ),
        (
            "self",
            Serve::start_with(&self_signed.chain, &self_signed.key, &[]),
        ),
        (
            "no-intermediate",
            Serve::start_with(&no_intermediate.chain, &no_intermediate.key, &[]),
        ),
    ];
    let test_ca = pki.ca_pem().display().to_string();
    let our_ca = ca_path.display().to_string();

    // The good server alone: exit 0.
    let run = padlock(&[
        "check",
        &good.target(),
        "--ca",
        &test_ca,
        "--warn-days",
        "30",
    ]);
    assert_eq!(exit_code(&run), 0, "{}", run.output);
    assert!(run.stdout.starts_with("HOST"), "{}", run.stdout);
    assert_contains(&run, "  2049-12-31  ok");
    // Piped, not a terminal: no progress line on stderr.
    assert!(!run.output.contains("checked "), "{}", run.output);

    // Everything at once, some from a file: exit 1, one row each in input order.
    let list = dir.path("hosts.txt");
    let mut text = String::from("# servers\n\n");
    for (_, s) in &servers[3..] {
        text.push_str(&format!("{}\n", s.target()));
    }
    fs::write(&list, text).unwrap();
    let mut args = vec!["check".to_string(), good.target()];
    args.extend(servers[..3].iter().map(|(_, s)| s.target()));
    args.extend(
        [
            "--file",
            list.to_str().unwrap(),
            "--ca",
            &test_ca,
            "--ca",
            &our_ca,
            "--warn-days",
            "30",
        ]
        .map(String::from),
    );
    let run = padlock(&strs(&args));
    assert_eq!(exit_code(&run), 1, "{}", run.output);
    let rows: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("127."))
        .collect();
    assert_eq!(rows.len(), 7, "{}", run.stdout);
    assert!(rows[0].starts_with(&good.target()) && rows[0].ends_with(" ok"));
    assert!(
        rows[1].contains("     5  ")
            && rows[1].ends_with("expires soon: in 5 days, within 30 days"),
        "{}",
        rows[1]
    );
    let pki_root = pki.ca_pem();
    let roots: [&Path; 2] = [&pki_root, &ca_path];
    for (name, chain) in [
        ("expired", &expired.chain),
        ("mismatch", &mismatch.chain),
        ("unknown", &stranger.chain),
        ("self", &self_signed.chain),
        ("no-intermediate", &no_intermediate.chain),
    ] {
        let err = expected_error(chain, &roots);
        match (name, &err) {
            ("expired", CertError::Expired { .. })
            | ("mismatch", CertError::NameMismatch { .. })
            | ("unknown", CertError::UnknownIssuer { .. })
            | ("self", CertError::SelfSignedNotTrusted { .. })
            | (
                "no-intermediate",
                CertError::UnknownIssuer {
                    missing_intermediate: true,
                    ..
                },
            ) => {}
            other => panic!("unexpected error for {other:?}"),
        }
        let row = rows
            .iter()
            .find(|r| r.ends_with(&err.to_string()))
            .unwrap_or_else(|| panic!("no row says {err}\n{}", run.stdout));
        if name == "expired" {
            // Days left count toward zero: 3 days and some hours ago is -3.
            assert!(row.contains("    -3  "), "{row}");
        }
        assert_contains(&run, &format!("fix: {}", err.fix()));
    }

    // JSON: the expiring one alone, with a 3-day threshold, is fine.
    let json = json_of(&padlock(&[
        "check",
        &servers[0].1.target(),
        "--ca",
        &our_ca,
        "--warn-days",
        "3",
        "--json",
    ]));
    assert_eq!(json["ok"], true);
    assert_eq!(json["hosts"][0]["status"], "ok");
    assert_eq!(json["hosts"][0]["days_left"], 5);
    let json = json_of(&padlock(&[
        "check",
        &servers[0].1.target(),
        "--ca",
        &our_ca,
        "--json",
    ]));
    assert_eq!(json["hosts"][0]["status"], "expires_soon");
    assert_eq!(json["ok"], false);
}

#[test]
fn check_shows_progress_and_colour_on_a_terminal_only() {
    let serve = Serve::start_kind(KeyKind::EcdsaP256, &[]);
    let ca = TestPki::shared().ca_pem().display().to_string();
    let line = format!(
        "{} check {} --ca {ca}",
        env!("CARGO_BIN_EXE_padlock"),
        serve.target()
    );
    // script(1) runs the command on a pseudo-terminal.
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &line, "/dev/null"]);
    let run = run_tool(cmd, "", DEFAULT_TIMEOUT);
    run.assert_success();
    assert_contains(&run, &format!("checked 1/1 ({})", serve.target()));
    assert_contains(&run, "\x1b[32mok\x1b[0m");
    // The same through a pipe: neither.
    let run = padlock(&["check", &serve.target(), "--ca", &ca]);
    assert!(
        !run.output.contains("checked") && !run.output.contains('\x1b'),
        "{}",
        run.output
    );
}

#[test]
fn check_unreachable_and_bad_arguments() {
    let port = free_port();
    let run = padlock(&["check", &format!("127.0.0.1:{port}")]);
    assert_eq!(exit_code(&run), 1, "{}", run.output);
    assert_contains(
        &run,
        &format!("Cannot connect to 127.0.0.1:{port}: Connection refused"),
    );
    let run = padlock(&["check", "host:notaport"]);
    assert_eq!(exit_code(&run), 2, "{}", run.output);
    assert_contains(&run, "\"host:notaport\" is not HOST[:PORT]");
    let run = padlock(&["check"]);
    assert_eq!(exit_code(&run), 2, "{}", run.output);
}

// ---- inspect --------------------------------------------------------------------------------

#[test]
fn inspect_testpki_chain_key_pins_fingerprints() {
    let pki = TestPki::shared();
    let cred = pki.server(KeyKind::EcdsaP256);
    let chain = cred.chain_pem.display().to_string();
    let key = cred.key_pem.display().to_string();
    let run = padlock(&["inspect", &chain, &key]);
    assert_eq!(exit_code(&run), 0, "{}", run.output);
    assert_contains(&run, "subject      CN=localhost");
    assert_contains(&run, "issuer       CN=padlock test intermediate CA");
    assert_contains(&run, "names        localhost, 127.0.0.1, ::1");
    assert_contains(&run, "to 2049-12-31 (");
    assert_contains(&run, "key          ECDSA P-256");
    assert_contains(&run, "role         end entity, serverAuth");
    assert_contains(&run, "role         CA");
    assert_contains(&run, "private key  ECDSA P-256");
    assert_contains(&run, "no warnings");
    assert_contains(
        &run,
        &format!("SPKI pin     {}", openssl_pin(&cred.cert_pem)),
    );
    assert_contains(
        &run,
        &format!("SPKI pin     {}", openssl_pin(&cred.intermediate_pem)),
    );
    assert_contains(
        &run,
        &format!("SHA-256      {}", openssl_fingerprint(&cred.cert_pem)),
    );

    // Every key type; RSA sizes from the key itself.
    for (kind, words) in [
        (KeyKind::EcdsaP384, "ECDSA P-384"),
        (KeyKind::Rsa2048, "RSA 2048"),
        (KeyKind::Ed25519, "Ed25519"),
        (KeyKind::RsaPss, "RSA-PSS 2048"),
    ] {
        let c = pki.server(kind);
        let run = padlock(&[
            "inspect",
            c.cert_pem.to_str().unwrap(),
            c.key_pem.to_str().unwrap(),
            "--json",
        ]);
        assert_eq!(exit_code(&run), 0, "{kind:?}: {}", run.output);
        let json = json_of(&run);
        let items = &json["sources"][0]["items"];
        assert_eq!(items[0]["key"], words, "{kind:?}");
        assert_eq!(items[0]["spki_pin"], openssl_pin(&c.cert_pem), "{kind:?}");
        assert_eq!(json["sources"][1]["items"][0]["key"], words, "{kind:?}");
        assert_eq!(json["warnings"], serde_json::json!([]));
    }

    // With --ca the files are validated too; without a name, for any name.
    let run = padlock(&["inspect", &chain, "--ca", pki.ca_pem().to_str().unwrap()]);
    assert_eq!(exit_code(&run), 0, "{}", run.output);
    assert_contains(&run, "chain        valid");
    let run = padlock(&[
        "inspect",
        &chain,
        "--ca",
        pki.ca_pem().to_str().unwrap(),
        "--servername",
        "www.example.com",
    ]);
    assert_eq!(exit_code(&run), 1, "{}", run.output);
    assert_contains(
        &run,
        "chain        NOT VALID: The certificate is not valid for www.example.com; it covers only localhost, 127.0.0.1, ::1.",
    );
}

#[test]
fn inspect_lints_wrong_order_wrong_key_expiry_and_decodes_der_and_csr() {
    let dir = TempDir::new();
    let pki = TestPki::shared();
    let cred = pki.server(KeyKind::EcdsaP256);
    // Intermediate first, then the leaf: the order a server must not send.
    let reversed = dir.path("reversed.pem");
    fs::write(
        &reversed,
        fs::read_to_string(&cred.intermediate_pem).unwrap()
            + &fs::read_to_string(&cred.cert_pem).unwrap(),
    )
    .unwrap();
    let other_key = pki.server(KeyKind::EcdsaP384).key_pem.display().to_string();
    let run = padlock(&["inspect", reversed.to_str().unwrap(), &other_key]);
    assert_eq!(exit_code(&run), 1, "{}", run.output);
    assert_contains(
        &run,
        "The chain is out of order: certificate 2 (CN=localhost) is not the issuer of certificate 1 (CN=padlock test intermediate CA); put the leaf first and then each issuer, in the order 2, 1.",
    );
    assert_contains(
        &run,
        "The private key does not match certificate 1 (CN=padlock test intermediate CA): use the key the certificate was issued for, or re-issue the certificate for this key.",
    );

    // The leaf's key next to the intermediate-first file: it belongs to certificate 2.
    let run = padlock(&[
        "inspect",
        reversed.to_str().unwrap(),
        cred.key_pem.to_str().unwrap(),
    ]);
    assert_contains(
        &run,
        "The private key belongs to certificate 2 (CN=localhost), not to the leaf certificate 1 (CN=padlock test intermediate CA): put that certificate first, or use the leaf's key.",
    );

    // Expiring soon, and no subjectAltName.
    let ca = Ca::new("inspect test CA");
    let soon = ca.leaf(&dir, "soon", &["soon.test"], -DAY, 10 * DAY + 3600);
    let key = KeyPair::generate().unwrap();
    let nosan = leaf_params(&[], -DAY, 90 * DAY).self_signed(&key).unwrap();
    let nosan_path = dir.path("nosan.pem");
    fs::write(&nosan_path, nosan.pem()).unwrap();
    let run = padlock(&[
        "inspect",
        soon.chain.to_str().unwrap(),
        nosan_path.to_str().unwrap(),
    ]);
    assert_eq!(exit_code(&run), 1, "{}", run.output);
    let soon_date = {
        let t = time::OffsetDateTime::now_utc() + time::Duration::seconds(10 * DAY + 3600);
        t.date().to_string()
    };
    assert_contains(
        &run,
        &format!(
            "Certificate 1 (CN=soon.test) expires in 10 days ({soon_date}): renew it before then."
        ),
    );
    assert_contains(
        &run,
        "Certificate 2 (CN=leaf) has no subjectAltName, so browsers accept it for no name (the common name is ignored, RFC 9525): re-issue it with the names in subjectAltName.",
    );

    // DER certificate and a CSR made by openssl.
    let der = dir.path("leaf.der");
    fs::write(&der, cred.leaf_der().as_ref()).unwrap();
    let run = padlock(&["inspect", der.to_str().unwrap()]);
    assert_eq!(exit_code(&run), 0, "{}", run.output);
    assert_contains(&run, "names        localhost, 127.0.0.1, ::1");
    let csr = dir.path("req.csr");
    let mut cmd = Command::new("openssl");
    cmd.args(["req", "-new", "-subj", "/CN=csr.test", "-addext"])
        .arg("subjectAltName=DNS:csr.test,IP:10.1.2.3")
        .arg("-key")
        .arg(&cred.key_pem)
        .arg("-out")
        .arg(&csr);
    run_tool(cmd, "", DEFAULT_TIMEOUT).assert_success();
    let run = padlock(&["inspect", csr.to_str().unwrap()]);
    assert_eq!(exit_code(&run), 0, "{}", run.output);
    assert_contains(&run, "certificate signing request");
    assert_contains(&run, "names        csr.test, 10.1.2.3");
    assert_contains(&run, "signature    valid");
    assert_contains(
        &run,
        &format!("SPKI pin     {}", openssl_pin(&cred.cert_pem)),
    );

    // Not a file, not a server.
    let run = padlock(&["inspect", "missing/file.pem"]);
    assert_eq!(exit_code(&run), 2, "{}", run.output);
    assert_contains(&run, "missing/file.pem: no such file");
    let junk = dir.path("junk.bin");
    fs::write(&junk, b"\x01\x02junk").unwrap();
    let run = padlock(&["inspect", junk.to_str().unwrap()]);
    assert_eq!(exit_code(&run), 2, "{}", run.output);
    assert_contains(
        &run,
        "neither PEM nor a DER certificate, private key or CSR",
    );
}

#[test]
fn inspect_server_chain_and_verdict() {
    let serve = Serve::start_kind(KeyKind::EcdsaP256, &[]);
    let pki = TestPki::shared();
    let run = padlock(&[
        "inspect",
        &serve.target(),
        "--ca",
        pki.ca_pem().to_str().unwrap(),
    ]);
    assert_eq!(exit_code(&run), 0, "{}", run.output);
    assert_contains(&run, "chain        valid");
    let cred = pki.server(KeyKind::EcdsaP256);
    assert_contains(
        &run,
        &format!("SPKI pin     {}", openssl_pin(&cred.cert_pem)),
    );
    // Against the Mozilla roots: the chain is shown all the same, with the reason.
    let run = padlock(&["inspect", &serve.target()]);
    assert_eq!(exit_code(&run), 1, "{}", run.output);
    let err = expected_error(&cred.chain_pem, &[]);
    assert_contains(&run, &format!("chain        NOT VALID: {err}"));
    assert_contains(&run, &format!("fix          {}", err.fix()));
    assert_contains(&run, "subject      CN=localhost");
}

// ---- ca -------------------------------------------------------------------------------------

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// `padlock ca ...` in `cwd` with extra environment.
fn ca_run(cwd: &Path, env: &[(&str, &Path)], args: &[&str]) -> ToolRun {
    let mut cmd = padlock_cmd();
    cmd.current_dir(cwd).arg("ca").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_tool(cmd, "", DEFAULT_TIMEOUT)
}

#[test]
fn ca_init_issue_root_then_curl_trusts_padlock_serve() {
    let dir = TempDir::new();
    let ca_dir = dir.path("ca");
    let work = dir.path("work");
    fs::create_dir_all(&work).unwrap();

    // Nothing yet.
    let run = ca_run(
        &work,
        &[("PADLOCK_CA_DIR", &ca_dir)],
        &["issue", "localhost"],
    );
    assert_eq!(exit_code(&run), 1, "{}", run.output);
    assert_contains(
        &run,
        &format!(
            "there is no CA in {}: run `padlock ca init` first",
            ca_dir.display()
        ),
    );

    // init through the environment variable, then again (a no-op) through the flag.
    let run = ca_run(&work, &[("PADLOCK_CA_DIR", &ca_dir)], &["init"]);
    run.assert_success();
    assert_contains(&run, "created a CA in");
    let root = ca_dir.join("rootCA.pem");
    let root_key = ca_dir.join("rootCA-key.pem");
    #[cfg(unix)]
    {
        assert_eq!(mode(&root_key), 0o600);
        assert_eq!(mode(&ca_dir), 0o700);
    }
    let before = fs::read(&root).unwrap();
    let run = ca_run(&work, &[], &["--ca-dir", ca_dir.to_str().unwrap(), "init"]);
    run.assert_success();
    assert_contains(&run, "already exists");
    assert_eq!(fs::read(&root).unwrap(), before, "init must keep the CA");

    let run = ca_run(&work, &[("PADLOCK_CA_DIR", &ca_dir)], &["root"]);
    run.assert_success();
    assert_eq!(run.stdout.trim(), root.display().to_string());

    let run = ca_run(
        &work,
        &[("PADLOCK_CA_DIR", &ca_dir)],
        &["issue", "localhost", "127.0.0.1", "::1"],
    );
    run.assert_success();
    let cert = work.join("localhost.pem");
    let key = work.join("localhost-key.pem");
    #[cfg(unix)]
    assert_eq!(mode(&key), 0o600);

    // What was issued, as inspect (and openssl) read it.
    let json = json_of(&padlock(&[
        "inspect",
        cert.to_str().unwrap(),
        key.to_str().unwrap(),
        "--ca",
        root.to_str().unwrap(),
        "--servername",
        "localhost",
        "--json",
    ]));
    let leaf = &json["sources"][0]["items"][0];
    assert_eq!(leaf["key"], "ECDSA P-256");
    assert_eq!(leaf["dns_names"], serde_json::json!(["localhost"]));
    assert_eq!(
        leaf["ip_addresses"],
        serde_json::json!(["127.0.0.1", "::1"])
    );
    assert_eq!(
        leaf["extended_key_usage"],
        serde_json::json!(["serverAuth"])
    );
    assert_eq!(leaf["is_ca"], false);
    let days = leaf["days_left"].as_i64().unwrap();
    assert!((800..825).contains(&days), "{days}");
    assert_eq!(json["chain"]["valid"], true, "{json}");
    assert_eq!(json["warnings"], serde_json::json!([]));

    // Bad names are refused before anything is written.
    let run = ca_run(&work, &[("PADLOCK_CA_DIR", &ca_dir)], &["issue", "*.test"]);
    assert_eq!(exit_code(&run), 1, "{}", run.output);
    assert_contains(&run, "is a wildcard for a whole top-level domain");

    // curl trusts it with the root, by name and by address.
    let serve = Serve::start_with(&cert, &key, &[]);
    let root_arg = root.display().to_string();
    let run = curl(serve.port, &["--cacert", &root_arg, "--tlsv1.3"]);
    run.assert_success();
    assert!(run.stdout.contains("<td>TLS 1.3</td>"), "{}", run.stdout);
    let url = format!("https://127.0.0.1:{}/", serve.port);
    let run = curl_url(serve.port, &url, &["--cacert", &root_arg]);
    run.assert_success();
    assert!(run.stdout.contains("<td>TLS 1.3</td>"), "{}", run.stdout);
    // And without the root it does not.
    let run = curl(serve.port, &[]);
    assert!(!run.success(), "{}", run.output);

    // issue --out writes elsewhere; a wildcard gets a file-friendly name.
    let out = dir.path("out");
    let run = ca_run(
        &work,
        &[("PADLOCK_CA_DIR", &ca_dir)],
        &["issue", "*.app.test", "--out", out.to_str().unwrap()],
    );
    run.assert_success();
    assert!(out.join("_wildcard.app.test.pem").exists());
    assert!(out.join("_wildcard.app.test-key.pem").exists());
}

#[test]
fn ca_json_for_every_subcommand() {
    require("certutil", "libnss3-tools");
    let dir = TempDir::new();
    let ca_dir = dir.path("ca");
    let store = dir.path("system");
    let home = dir.path("home");
    fs::create_dir_all(&store).unwrap();
    fs::create_dir_all(&home).unwrap();
    let (script, _) = counting_script(&dir);
    let env: [(&str, &Path); 2] = [("PADLOCK_CA_DIR", &ca_dir), ("HOME", &home)];
    let root = ca_dir.join("rootCA.pem");
    let root_text = root.display().to_string();

    let init = json_of(ca_run(&dir.0, &env, &["init", "--json"]).assert_success());
    let fingerprint = openssl_fingerprint(&root);
    assert_eq!(init["command"], "init");
    assert_eq!(init["created"], true);
    assert_eq!(init["root_certificate"], root_text.as_str());
    assert_eq!(init["sha256_fingerprint"], fingerprint.as_str(), "{init}");
    assert!(init["subject"]
        .as_str()
        .unwrap()
        .contains("padlock development CA"));
    assert!(init["not_after"].as_str().unwrap().ends_with(" UTC"));
    // --json also before the subcommand (a global flag); a second init creates nothing.
    let again = json_of(ca_run(&dir.0, &env, &["--json", "init"]).assert_success());
    assert_eq!(again["created"], false);
    assert_eq!(again["sha256_fingerprint"], init["sha256_fingerprint"]);

    let root_json = json_of(ca_run(&dir.0, &env, &["root", "--json"]).assert_success());
    assert_eq!(root_json["command"], "root");
    assert_eq!(root_json["root_certificate"], root_text.as_str());

    let out = dir.path("out");
    let issued = json_of(
        ca_run(
            &dir.0,
            &env,
            &[
                "issue",
                "localhost",
                "127.0.0.1",
                "--out",
                out.to_str().unwrap(),
                "--json",
            ],
        )
        .assert_success(),
    );
    let cert = out.join("localhost.pem");
    assert_eq!(issued["command"], "issue");
    assert_eq!(issued["certificate"], cert.display().to_string().as_str());
    assert_eq!(
        issued["key"],
        out.join("localhost-key.pem").display().to_string().as_str()
    );
    assert_eq!(
        issued["names"],
        serde_json::json!(["localhost", "127.0.0.1"])
    );
    assert_eq!(
        issued["sha256_fingerprint"],
        openssl_fingerprint(&cert).as_str()
    );
    assert_eq!(issued["spki_pin"], openssl_pin(&cert).as_str());
    assert!((800..825).contains(&issued["days_left"].as_i64().unwrap()));

    let trust = |verb: &str| {
        ca_run(
            &dir.0,
            &env,
            &[
                verb,
                "--json",
                "--system-store-dir",
                store.to_str().unwrap(),
                "--update-command",
                script.to_str().unwrap(),
            ],
        )
    };
    let installed = json_of(trust("install").assert_success());
    assert_eq!(installed["command"], "install");
    assert_eq!(installed["ok"], true);
    assert_eq!(installed["stores"][0]["store"], "system");
    assert_eq!(installed["stores"][0]["status"], "done");
    assert_eq!(installed["stores"][1]["store"], "nss");
    assert_eq!(installed["stores"][1]["status"], "done", "{installed}");
    let removed = json_of(trust("uninstall").assert_success());
    assert_eq!(removed["command"], "uninstall");
    assert_eq!(removed["ok"], true);

    // Errors stay one line on stderr, with nothing on stdout.
    let run = ca_run(
        &dir.0,
        &[("PADLOCK_CA_DIR", &dir.path("none"))],
        &["issue", "x.test", "--json"],
    );
    assert_eq!(exit_code(&run), 1, "{}", run.output);
    assert_eq!(run.stdout, "");
}

/// A stand-in for update-ca-certificates that counts its runs.
fn counting_script(dir: &TempDir) -> (PathBuf, PathBuf) {
    let script = dir.path("update.sh");
    let log = dir.path("update.log");
    fs::write(
        &script,
        format!("#!/bin/sh\necho ran >> '{}'\n", log.display()),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    }
    (script, log)
}

fn nss_list(db: &Path) -> String {
    let mut cmd = Command::new("certutil");
    cmd.args(["-L", "-d", &format!("sql:{}", db.display())]);
    let run = run_tool(cmd, "", DEFAULT_TIMEOUT);
    run.assert_success();
    run.stdout
}

#[test]
fn ca_install_and_uninstall_in_temporary_stores() {
    require("certutil", "libnss3-tools");
    let dir = TempDir::new();
    let ca_dir = dir.path("ca");
    let home = dir.path("home");
    let store = dir.path("system");
    fs::create_dir_all(&home).unwrap();
    fs::create_dir_all(&store).unwrap();
    let (script, log) = counting_script(&dir);
    let env: [(&str, &Path); 2] = [("PADLOCK_CA_DIR", &ca_dir), ("HOME", &home)];
    ca_run(&dir.0, &env, &["init"]).assert_success();
    // Never the real system store: the hidden flags point at the temporary one.
    let trust = |verb: &str| {
        ca_run(
            &dir.0,
            &env,
            &[
                verb,
                "--system-store-dir",
                store.to_str().unwrap(),
                "--update-command",
                script.to_str().unwrap(),
            ],
        )
    };
    let run = trust("install");
    run.assert_success();
    let files: Vec<String> = fs::read_dir(&store)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let file = &files[0];
    assert!(
        file.starts_with("padlock-development-ca-") && file.ends_with(".crt"),
        "{file}"
    );
    assert_eq!(
        fs::read(store.join(file)).unwrap(),
        fs::read(ca_dir.join("rootCA.pem")).unwrap()
    );
    assert_eq!(fs::read_to_string(&log).unwrap(), "ran\n");
    // The NSS database Chromium reads, created in the (temporary) home.
    let nssdb = home.join(".pki/nssdb");
    let id = file
        .trim_start_matches("padlock-development-ca-")
        .trim_end_matches(".crt");
    let listed = nss_list(&nssdb);
    assert!(
        listed.contains(&format!("padlock development CA {id}")) && listed.contains("C,,"),
        "{listed}"
    );
    assert_contains(&run, &format!("added \"padlock development CA {id}\""));

    let run = trust("uninstall");
    run.assert_success();
    assert!(fs::read_dir(&store).unwrap().next().is_none());
    assert_eq!(fs::read_to_string(&log).unwrap(), "ran\nran\n");
    assert!(!nss_list(&nssdb).contains("padlock development CA"));
    assert_contains(&run, &format!("removed \"padlock development CA {id}\""));

    // Twice is harmless.
    let run = trust("uninstall");
    run.assert_success();
    assert_contains(&run, "was not there");

    // A system without the store directory is skipped, and says so.
    let run = ca_run(
        &dir.0,
        &env,
        &[
            "install",
            "--system-store-dir",
            dir.path("absent").to_str().unwrap(),
            "--nss-db",
            dir.path("nss2").to_str().unwrap(),
        ],
    );
    run.assert_success();
    assert_contains(&run, "system store  skipped: no");
}

#[test]
fn chromium_loads_padlock_serve_over_tls13_after_ca_install() {
    require("chromium", "chromium");
    require("certutil", "libnss3-tools");
    let dir = TempDir::new();
    let ca_dir = dir.path("ca");
    let home = dir.path("home");
    fs::create_dir_all(&home).unwrap();
    let (script, _) = counting_script(&dir);
    let env: [(&str, &Path); 2] = [("PADLOCK_CA_DIR", &ca_dir), ("HOME", &home)];
    ca_run(&dir.0, &env, &["init"]).assert_success();
    ca_run(&dir.0, &env, &["issue", "localhost", "127.0.0.1"]).assert_success();
    ca_run(
        &dir.0,
        &env,
        &[
            "install",
            "--system-store-dir",
            dir.0.to_str().unwrap(),
            "--update-command",
            script.to_str().unwrap(),
        ],
    )
    .assert_success();
    let serve = Serve::start_with(
        &dir.path("localhost.pem"),
        &dir.path("localhost-key.pem"),
        &[],
    );

    // Chromium on Linux trusts roots in $HOME/.pki/nssdb: the one `ca install` wrote.
    let profile = dir.path("profile");
    let mut cmd = Command::new("chromium");
    cmd.env("HOME", &home)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("https://localhost:{}/", serve.port));
    let run = run_tool(cmd, "", Duration::from_secs(30));
    run.assert_success();
    assert!(
        run.stdout.contains("<td>TLS 1.3</td>") && run.stdout.contains("Your TLS handshake"),
        "{}",
        run.output
    );
    assert!(
        serve.peer.output().contains(": TLS 1.3 TLS_"),
        "{}",
        serve.peer.output()
    );
}
