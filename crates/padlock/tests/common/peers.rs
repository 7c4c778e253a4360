//! Builders for the real peers of ../shared/PEERS.md: servers come back running and
//! listening, clients come back finished (or killed at their timeout).

use std::process::Command;
use std::time::Duration;

use super::pki::{KeyKind, TestPki, SERVER_NAME};
use super::process::{free_port, run_tool, Peer, ToolRun, DEFAULT_TIMEOUT};

/// Attempts at binding a server before giving up; only "address in use" (another process
/// took the port [`free_port`] handed out) is retried.
const BIND_ATTEMPTS: usize = 4;

/// Starts a server command built by `make(port)` on a free port and waits until it listens.
pub fn start_server(make: impl Fn(u16) -> Command) -> (Peer, u16) {
    let mut last = None;
    for _ in 0..BIND_ATTEMPTS {
        let port = free_port();
        let mut peer = Peer::spawn(make(port));
        match peer.try_wait_for_port(port, DEFAULT_TIMEOUT) {
            Ok(()) => return (peer, port),
            Err(why) => {
                let output = peer.output();
                let lost_race = output.contains("in use");
                if !lost_race {
                    peer.fail(&why);
                }
                last = Some((why, output));
            }
        }
    }
    let (why, output) = last.unwrap_or_default();
    panic!("no free port after {BIND_ATTEMPTS} attempts: {why}\n{output}");
}

/// `openssl s_server` on 127.0.0.1 with the server credential of `kind` (leaf via `-cert`,
/// intermediate via `-cert_chain`), plus `extra` arguments (e.g. `-www`, `-tls1_3`, `-groups
/// P-384`, `-trace`). Its stdin stays open; `k`/`K` lines on it send a KeyUpdate.
pub fn openssl_s_server(pki: &TestPki, kind: KeyKind, extra: &[&str]) -> (Peer, u16) {
    let cred = pki.server(kind);
    start_server(|port| {
        let mut cmd = Command::new("openssl");
        cmd.arg("s_server")
            .args(["-accept", &format!("127.0.0.1:{port}")])
            .arg("-cert")
            .arg(&cred.cert_pem)
            .arg("-key")
            .arg(&cred.key_pem)
            .arg("-cert_chain")
            .arg(&cred.intermediate_pem)
            .args(extra);
        cmd
    })
}

/// `gnutls-serv` with the server credential of `kind` (the whole chain file), plus `extra`
/// (e.g. `--echo` or `--http`, `--priority ...`, `--disable-client-cert`). gnutls-serv has no
/// bind address option and listens on every interface.
pub fn gnutls_serv(pki: &TestPki, kind: KeyKind, extra: &[&str]) -> (Peer, u16) {
    let cred = pki.server(kind);
    start_server(|port| {
        let mut cmd = Command::new("gnutls-serv");
        cmd.args(["-p", &port.to_string()])
            .arg(format!("--x509certfile={}", cred.chain_pem.display()))
            .arg(format!("--x509keyfile={}", cred.key_pem.display()))
            .args(extra);
        cmd
    })
}

fn openssl_s_client_command(port: u16, args: &[&str]) -> Command {
    let mut cmd = Command::new("openssl");
    cmd.arg("s_client")
        .args(["-connect", &format!("127.0.0.1:{port}")])
        .args(args);
    cmd
}

fn gnutls_cli_command(port: u16, args: &[&str]) -> Command {
    let mut cmd = Command::new("gnutls-cli");
    cmd.arg("127.0.0.1")
        .args(["-p", &port.to_string()])
        .args(args);
    cmd
}

/// `openssl s_client -connect 127.0.0.1:PORT args...` with stdin closed at once: it completes
/// the handshake, prints the session and exits.
pub fn openssl_s_client(port: u16, args: &[&str]) -> ToolRun {
    openssl_s_client_input(port, args, "")
}

/// [`openssl_s_client`] with `input` on stdin (add `-ign_eof` to read the server's answer
/// after the input ends).
pub fn openssl_s_client_input(port: u16, args: &[&str], input: &str) -> ToolRun {
    run_tool(openssl_s_client_command(port, args), input, DEFAULT_TIMEOUT)
}

/// `openssl s_client` kept running with stdin open, for interactive tests (KeyUpdate, data).
pub fn spawn_openssl_s_client(port: u16, args: &[&str]) -> Peer {
    Peer::spawn(openssl_s_client_command(port, args))
}

/// `gnutls-cli 127.0.0.1 -p PORT args...` with stdin closed at once (it exits after the
/// handshake). Pass `--sni-hostname localhost --verify-hostname localhost --x509cafile CA`
/// to check the server ([`gnutls_verify_args`]).
pub fn gnutls_cli(port: u16, args: &[&str]) -> ToolRun {
    gnutls_cli_input(port, args, "")
}

/// [`gnutls_cli`] with `input` on stdin.
pub fn gnutls_cli_input(port: u16, args: &[&str], input: &str) -> ToolRun {
    run_tool(gnutls_cli_command(port, args), input, DEFAULT_TIMEOUT)
}

/// `gnutls-cli` kept running with stdin open (with `--inline-commands`, `^rekey^` sends a
/// KeyUpdate with update_requested and `^rekey1^` one without: it updates only its own keys;
/// `- Rekey was completed` follows either).
pub fn spawn_gnutls_cli(port: u16, args: &[&str]) -> Peer {
    Peer::spawn(gnutls_cli_command(port, args))
}

/// `curl https://localhost:PORT/` (resolved to 127.0.0.1) with `args`; `-w '%{http_code}'`
/// puts the status in [`ToolRun::stdout`]. curl's own `--max-time` is set below our bound.
pub fn curl(port: u16, args: &[&str]) -> ToolRun {
    curl_url(port, &format!("https://{SERVER_NAME}:{port}/"), args)
}

/// curl for any URL on `localhost:PORT` (resolved to 127.0.0.1).
pub fn curl_url(port: u16, url: &str, args: &[&str]) -> ToolRun {
    let mut cmd = Command::new("curl");
    cmd.args(["--silent", "--show-error"])
        .args(["--resolve", &format!("{SERVER_NAME}:{port}:127.0.0.1")])
        .args([
            "--max-time",
            &(DEFAULT_TIMEOUT - Duration::from_secs(2))
                .as_secs()
                .to_string(),
        ])
        .args(args)
        .arg(url);
    run_tool(cmd, "", DEFAULT_TIMEOUT)
}

/// s_client arguments that check the server's chain up to the root of `kind` and its name
/// `localhost`, failing the handshake otherwise.
pub fn openssl_verify_args(pki: &TestPki, kind: KeyKind) -> Vec<String> {
    vec![
        "-servername".into(),
        SERVER_NAME.into(),
        "-CAfile".into(),
        pki.server(kind).ca_pem.display().to_string(),
        "-verify_hostname".into(),
        SERVER_NAME.into(),
        "-verify_return_error".into(),
    ]
}

/// gnutls-cli arguments that send SNI `localhost` and check chain and name against the root of
/// `kind` (gnutls-cli fails on a bad certificate by default).
pub fn gnutls_verify_args(pki: &TestPki, kind: KeyKind) -> Vec<String> {
    vec![
        format!("--sni-hostname={SERVER_NAME}"),
        format!("--verify-hostname={SERVER_NAME}"),
        format!("--x509cafile={}", pki.server(kind).ca_pem.display()),
    ]
}

/// curl arguments trusting the root of `kind` (curl checks the name `localhost` by default).
pub fn curl_verify_args(pki: &TestPki, kind: KeyKind) -> Vec<String> {
    vec![
        "--cacert".into(),
        pki.server(kind).ca_pem.display().to_string(),
    ]
}

/// s_client/s_server arguments presenting the client credential of `kind` (leaf via `-cert`,
/// intermediate via `-cert_chain`: OpenSSL reads only the first certificate of `-cert`).
pub fn openssl_client_cert_args(pki: &TestPki, kind: KeyKind) -> Vec<String> {
    let cred = pki.client(kind);
    vec![
        "-cert".into(),
        cred.cert_pem.display().to_string(),
        "-cert_chain".into(),
        cred.intermediate_pem.display().to_string(),
        "-key".into(),
        cred.key_pem.display().to_string(),
    ]
}

/// gnutls-cli arguments presenting the client credential of `kind` (the whole chain file).
pub fn gnutls_client_cert_args(pki: &TestPki, kind: KeyKind) -> Vec<String> {
    let cred = pki.client(kind);
    vec![
        format!("--x509certfile={}", cred.chain_pem.display()),
        format!("--x509keyfile={}", cred.key_pem.display()),
    ]
}
