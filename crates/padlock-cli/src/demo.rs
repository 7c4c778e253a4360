//! `padlock demo`: a throwaway CA, a server and a client on loopback, and each step of the
//! handshake drawn as it happens.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use padlock::padlock_cert::RootStore;
use padlock::pki_types::ServerName;
use padlock::{CertifiedKey, ClientConfig, Connection, Event, ServerConfig, Side, Stream};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

use crate::certs::Summary;
use crate::diagram::{self, count_flights, ms};

#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  padlock demo
  padlock demo | less        (plain text when piped)

To see the same steps against a real server: padlock connect example.com --trace")]
pub struct Args {}
const TIMEOUT: Duration = Duration::from_secs(10);

pub fn run(_args: Args) -> Result<ExitCode, String> {
    println!("padlock demo: one TLS 1.3 handshake on loopback, explained step by step\n");

    // 1. A throwaway certificate authority and a certificate for localhost.
    let setup = Instant::now();
    let (roots, server_key, ca_name) =
        throwaway_pki().map_err(|e| format!("making the CA: {e}"))?;
    println!(
        "made a throwaway CA {ca_name:?} and a certificate for localhost in {}",
        ms(setup.elapsed())
    );
    println!("(ECDSA P-256; only this demo's client trusts that CA)");

    // 2. The server, on a free loopback port, in its own thread.
    let mut server_config =
        ServerConfig::with_single_cert(server_key).map_err(|e| e.to_string())?;
    server_config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let server_config = Arc::new(server_config);
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("server listening on {addr}");
    let server = std::thread::spawn(move || serve_one(&listener, server_config));

    // 3. The client: connect, then drive the handshake by hand to show each message.
    let tcp_start = Instant::now();
    let mut tcp = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    tcp.set_read_timeout(Some(TIMEOUT)).ok();
    // Without this, Nagle's algorithm holds the request behind the client's Finished until
    // the server's delayed ACK, and the demo shows a 40 ms stall that is not TLS's doing.
    tcp.set_nodelay(true).ok();
    println!("client connected over TCP in {}\n", ms(tcp_start.elapsed()));

    let mut config = ClientConfig::new(roots);
    config.trace = true;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let name = ServerName::try_from("localhost").map_err(|e| e.to_string())?;
    // Creating the client builds its ClientHello: the handshake starts here.
    let start = Instant::now();
    let mut conn = Connection::client(Arc::new(config), name).map_err(|e| e.to_string())?;
    println!("{}", diagram::header());

    let mut senders = Vec::new();
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        show_events(&mut conn, start, &mut senders);
        tcp.write_all(conn.pending_tls())
            .map_err(|e| e.to_string())?;
        let n = conn.pending_tls().len();
        conn.consume_tls(n);
        if !conn.is_handshaking() {
            break;
        }
        let n = tcp.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("the server closed the connection during the handshake".into());
        }
        if let Err(e) = conn.feed_tls(buf.get(..n).unwrap_or_default()) {
            // Send our alert so the server learns why, then report.
            tcp.write_all(conn.pending_tls()).ok();
            return Err(format!("handshake failed: {e}"));
        }
    }
    let hs_time = start.elapsed();

    let info = conn.info().clone();
    let (flights, round_trips) = count_flights(&senders);
    println!();
    println!(
        "handshake complete in {}: {flights} flights, {round_trips} round trip{}{}",
        ms(hs_time),
        if round_trips == 1 { "" } else { "s" },
        if info.hello_retry {
            " (the HelloRetryRequest cost one)"
        } else {
            ""
        },
    );
    println!(
        "  TLS 1.3, {}, key exchange {}, ALPN {}",
        info.cipher_suite.unwrap_or("?"),
        info.group_name.unwrap_or("?"),
        info.alpn
            .as_deref()
            .map(String::from_utf8_lossy)
            .unwrap_or("(none)".into()),
    );
    for (i, der) in info.peer_certificates.iter().enumerate() {
        let s = Summary::of(der);
        println!("  certificate {i}: {} (issued by {})", s.subject, s.issuer);
    }
    println!();

    // 4. Application data under the application traffic keys, then close_notify both ways.
    let mut tls = Stream::new(conn, tcp);
    let request = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    tls.write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    arrow(
        Side::Client,
        &format!("application data ({} bytes)", request.len()),
        start.elapsed(),
    );
    println!("    GET / HTTP/1.1, encrypted under the client's application traffic key");
    let mut response = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = tls.read(&mut chunk).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        if response.is_empty() {
            arrow(
                Side::Server,
                &format!("application data ({n} bytes)"),
                start.elapsed(),
            );
            let text = String::from_utf8_lossy(chunk.get(..n).unwrap_or_default()).into_owned();
            println!("    {}", text.lines().next().unwrap_or(""));
            if let Some(body) = text.split("\r\n\r\n").nth(1) {
                println!("    body: {}", body.trim());
            }
        }
        response.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
    // read() returned 0: the server's close_notify arrived.
    arrow(Side::Server, "close_notify", start.elapsed());
    println!("    the server has nothing more to send");
    tls.close().map_err(|e| e.to_string())?;
    arrow(Side::Client, "close_notify", start.elapsed());
    println!("    nor has the client");
    server
        .join()
        .map_err(|_| "the server thread panicked".to_string())??;
    println!("\ndone: both sides closed with close_notify, so no data was cut short.");
    Ok(ExitCode::SUCCESS)
}

/// The demo's server: answers one request, then closes with close_notify and waits for the
/// client's.
fn serve_one(listener: &TcpListener, config: Arc<ServerConfig>) -> Result<(), String> {
    let (tcp, _) = listener.accept().map_err(|e| e.to_string())?;
    tcp.set_read_timeout(Some(TIMEOUT)).ok();
    tcp.set_nodelay(true).ok();
    let conn = Connection::server(config).map_err(|e| e.to_string())?;
    let mut tls = Stream::new(conn, tcp);
    let mut request = [0u8; 1024];
    tls.read(&mut request).map_err(|e| e.to_string())?;
    let body = "hello from the padlock demo server\n";
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tls.write_all(response.as_bytes())
        .map_err(|e| e.to_string())?;
    tls.close().map_err(|e| e.to_string())?;
    let mut rest = Vec::new();
    tls.read_to_end(&mut rest).map_err(|e| e.to_string())?;
    Ok(())
}

/// A CA that lives only as long as this process, and a certificate it issued for localhost.
fn throwaway_pki() -> Result<(RootStore, CertifiedKey, String), Box<dyn std::error::Error>> {
    let ca_name = "padlock demo CA (throwaway)".to_string();
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, ca_name.clone());
    let ca = ca_params.self_signed(&ca_key)?;
    let mut roots = RootStore::empty();
    roots.add_der(ca.der())?;
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let mut leaf_params =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])?;
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    // RFC 5280 §4.2.1.1: CAs put an authorityKeyIdentifier in what they issue.
    leaf_params.use_authority_key_identifier_extension = true;
    let leaf = leaf_params.signed_by(&leaf_key, &issuer)?;
    let chain = format!("{}{}", leaf.pem(), ca.pem());
    let key = CertifiedKey::from_pem(chain.as_bytes(), leaf_key.serialize_pem().as_bytes())?;
    Ok((roots, key, ca_name))
}

/// Prints the arrows and details of the messages the connection has traced so far.
fn show_events(conn: &mut Connection, start: Instant, senders: &mut Vec<Side>) {
    while let Some(event) = conn.next_event() {
        if let Event::Trace(step) = event {
            senders.push(step.from);
            let at = step.at.saturating_duration_since(start);
            for line in diagram::step_lines(&step, at, "localhost") {
                println!("{line}");
            }
        }
    }
}

fn arrow(from: Side, label: &str, at: Duration) {
    println!("{}", diagram::arrow(from, label, at));
}
