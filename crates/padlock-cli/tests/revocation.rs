//! Revocation on the command line (issue 3): `padlock connect --crl` against `openssl
//! s_server`, and `padlock serve --client-ca --crl` against `openssl s_client`, with CRLs
//! made by `openssl ca -revoke` and `-gencrl` for the shared PKI's openssl-made RSA-PSS
//! intermediate. Each checks the one-line sentence and fix a person sees, and that without
//! the CRL the same certificate is accepted; `serve` reloads a CRL file on SIGHUP.

#[path = "../../padlock/tests/common/mod.rs"]
mod common;
mod run;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use run::{failure_line, padlock, TempDir};
use support::{pki, Serve};

/// `openssl ca`'s state for the RSA-PSS intermediate in a scratch directory: an index of
/// revoked certificates and a CRL number.
struct OpensslCa {
    dir: TempDir,
}

impl OpensslCa {
    fn new() -> OpensslCa {
        let dir = TempDir::new();
        std::fs::write(dir.0.join("index.txt"), "").unwrap();
        std::fs::write(dir.0.join("crlnumber"), "01\n").unwrap();
        let config = format!(
            "[ca]\n\
             default_ca = test_ca\n\
             [test_ca]\n\
             database = index.txt\n\
             crlnumber = crlnumber\n\
             certificate = {}\n\
             private_key = {}\n\
             default_md = sha256\n\
             default_crl_days = 7\n\
             crl_extensions = crl_ext\n\
             [crl_ext]\n\
             authorityKeyIdentifier = keyid:always\n",
            pki().path("rsa-pss-intermediate.pem").display(),
            pki().path("rsa-pss-int-key.pem").display(),
        );
        std::fs::write(dir.0.join("ca.cnf"), config).unwrap();
        OpensslCa { dir }
    }

    fn openssl(&self, args: &[&str]) {
        let mut cmd = Command::new("openssl");
        cmd.current_dir(&self.dir.0)
            .args(["ca", "-config", "ca.cnf"])
            .args(args);
        run_tool(cmd, "", DEFAULT_TIMEOUT).assert_success();
    }

    /// Writes a fresh CRL of the certificates revoked so far (PEM, signed like the PKI's
    /// certificates: RSA-PSS with SHA-256 and a 32-byte salt); returns its path.
    fn crl(&self) -> PathBuf {
        let crl = self.dir.0.join("crl.pem");
        let out = crl.display().to_string();
        self.openssl(&[&["-gencrl", "-out", &out], RSA_PSS_SIGOPTS].concat());
        crl
    }

    /// Revokes `cert` and writes a fresh CRL. Returns the CRL's path and the words padlock
    /// uses for the revoked certificate: `serial SERIAL) was revoked on DATE.`.
    fn revoke(&self, cert: &Path) -> (PathBuf, String) {
        let cert = cert.display().to_string();
        self.openssl(&["-revoke", &cert]);
        let crl = self.crl();
        // index.txt: R <TAB> notAfter <TAB> revocation time <TAB> serial <TAB> ...
        let index = std::fs::read_to_string(self.dir.0.join("index.txt")).unwrap();
        let fields: Vec<&str> = index.lines().last().unwrap().split('\t').collect();
        let (at, serial) = (fields[2], fields[3]);
        let serial: Vec<String> = serial
            .to_ascii_lowercase()
            .as_bytes()
            .chunks(2)
            .map(|pair| String::from_utf8(pair.to_vec()).unwrap())
            .collect();
        // YYMMDDHHMMSSZ, UTCTime (RFC 5280 §4.1.2.5.1).
        let when = format!(
            "20{}-{}-{} {}:{}:{} UTC",
            &at[0..2],
            &at[2..4],
            &at[4..6],
            &at[6..8],
            &at[8..10],
            &at[10..12]
        );
        (
            crl,
            format!("serial {}) was revoked on {when}.", serial.join(":")),
        )
    }
}

/// `openssl s_client` arguments presenting `client`'s certificate and intermediate, reading
/// until the server closes (its alert about our certificate comes after our Finished).
fn s_client_args(client: &Credential) -> Vec<String> {
    let mut args = openssl_verify_args(pki(), support::KIND);
    for (flag, path) in [
        ("-cert", &client.cert_pem),
        ("-cert_chain", &client.intermediate_pem),
        ("-key", &client.key_pem),
    ] {
        args.push(flag.to_string());
        args.push(path.display().to_string());
    }
    args.extend(["-tls1_3".to_string(), "-ign_eof".to_string()]);
    args
}

/// `openssl s_client` with `args` is refused by `serve` with certificate_revoked, and the
/// server logs the sentence (ending in `revoked`, as [`OpensslCa::revoke`] gave it) and fix.
fn assert_refused_as_revoked(serve: &Serve, args: &[&str], revoked: &str) {
    let run = openssl_s_client(serve.port, args);
    assert!(
        run.output.contains("alert certificate revoked"),
        "{}",
        run.output
    );
    let log = serve
        .peer
        .wait_for_output("Fix: The client certificate", DEFAULT_TIMEOUT);
    let expected = format!(
        "handshake failed: The client's certificate (CN=padlock test client rsa-pss, {revoked} \
         Fix: The client certificate was withdrawn by its CA: issue the client a new one."
    );
    assert!(log.contains(&expected), "{expected}\n{log}");
}

#[test]
fn connect_with_crl_refuses_a_revoked_server_certificate() {
    let ca = OpensslCa::new();
    let cred = pki().server(KeyKind::RsaPss);
    let (crl, revoked) = ca.revoke(&cred.cert_pem);
    let (server, port) = openssl_s_server(pki(), KeyKind::RsaPss, &["-tls1_3", "-www"]);
    let target = format!("127.0.0.1:{port}");
    let ca_pem = cred.ca_pem.display().to_string();
    let crl = crl.display().to_string();
    let connect = |extra: &[&str]| {
        let mut args = vec![
            "connect",
            &target,
            "--servername",
            SERVER_NAME,
            "--ca",
            &ca_pem,
        ];
        args.extend(extra);
        padlock(&args)
    };

    let out = connect(&["--crl", &crl]);
    assert_eq!(
        failure_line(&out),
        format!(
            "padlock: TLS handshake with {target} failed: The end-entity certificate \
             (CN=localhost, {revoked} \
             Fix: The certificate was withdrawn by its CA: replace it with a new one."
        )
    );
    // The alert padlock sent: certificate_revoked (RFC 8446 §6.2).
    server.wait_for_output("alert number 44", DEFAULT_TIMEOUT);

    // Without the CRL padlock has no way to know: the certificate is accepted.
    let out = connect(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A file that holds no CRL is refused before connecting, with the fix.
    let out = connect(&["--crl", &ca_pem]);
    let line = failure_line(&out);
    assert!(
        line.starts_with(&format!(
            "padlock: --crl: A supplied CRL cannot be used: in {ca_pem}, the input holds no"
        )),
        "{line}"
    );
    assert!(
        line.ends_with("Fix: Supply the issuing CA's current CRL, as published by the CA."),
        "{line}"
    );
}

#[test]
fn serve_with_crl_refuses_a_revoked_client_certificate() {
    let ca = OpensslCa::new();
    let client = pki().client(KeyKind::RsaPss);
    let (crl, revoked) = ca.revoke(&client.cert_pem);
    let client_ca = client.ca_pem.display().to_string();
    let crl = crl.display().to_string();
    let serve = Serve::start(&["--client-ca", &client_ca, "--crl", &crl]);
    let args = s_client_args(client);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    assert_refused_as_revoked(&serve, &args, &revoked);

    // The same client is let in by a server without the CRL.
    drop(serve);
    let serve = Serve::start(&["--client-ca", &client_ca]);
    let request = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    let run = openssl_s_client_input(serve.port, &args, request);
    assert!(run.output.contains("HTTP/1.1 200 OK"), "{}", run.output);
}

#[test]
fn serve_reloads_its_crl_on_sighup() {
    let ca = OpensslCa::new();
    let client = pki().client(KeyKind::RsaPss);
    let client_ca = client.ca_pem.display().to_string();
    // A CRL that revokes nothing yet.
    let crl = ca.crl().display().to_string();
    let serve = Serve::start(&[
        "--client-ca",
        &client_ca,
        "--crl",
        &crl,
        "--reload-interval",
        "0",
    ]);
    let args = s_client_args(client);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let request = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    let run = openssl_s_client_input(serve.port, &args, request);
    assert!(run.output.contains("HTTP/1.1 200 OK"), "{}", run.output);

    // The CA revokes the client and publishes a new CRL in the same file; SIGHUP.
    let (_, revoked) = ca.revoke(&client.cert_pem);
    serve.signal("HUP");
    serve
        .peer
        .wait_for_output("reloaded 1 CRL file(s)", DEFAULT_TIMEOUT);
    assert_refused_as_revoked(&serve, &args, &revoked);
}
