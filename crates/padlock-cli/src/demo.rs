//! `padlock demo`: a throwaway CA, a server and a client on loopback, and each step of the
//! handshake drawn as it happens.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use padlock::msgs::enums::HandshakeType;
use padlock::msgs::{ClientHello, ServerHello};
use padlock::padlock_cert::RootStore;
use padlock::pki_types::ServerName;
use padlock::{
    CertifiedKey, ClientConfig, Connection, Event, ServerConfig, Side, Stream, TraceStep,
};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

use crate::certs::Summary;

#[derive(clap::Args)]
pub struct Args {}

const WIDTH: usize = 60;

pub fn run(_args: Args) -> Result<ExitCode, String> {
    let t0 = Instant::now();
    println!("padlock demo: one TLS 1.3 handshake on loopback, explained step by step\n");

    // 1. A throwaway certificate authority and a certificate for localhost.
    let (roots, server_key, ca_name) =
        throwaway_pki().map_err(|e| format!("making the CA: {e}"))?;
    println!(
        "[{:>7}] made a throwaway CA {ca_name:?} (ECDSA P-256) and issued a certificate",
        ms(t0)
    );
    println!("          for localhost and 127.0.0.1; only this demo's client trusts it.");

    // 2. The server, on a free loopback port, in its own thread.
    let server_config =
        Arc::new(ServerConfig::with_single_cert(server_key).map_err(|e| e.to_string())?);
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("[{:>7}] server listening on {addr}", ms(t0));
    let server = std::thread::spawn(move || -> Result<(), String> {
        let (tcp, _) = listener.accept().map_err(|e| e.to_string())?;
        tcp.set_read_timeout(Some(Duration::from_secs(10))).ok();
        tcp.set_nodelay(true).ok();
        let conn = Connection::server(server_config).map_err(|e| e.to_string())?;
        let mut tls = Stream::new(conn, tcp);
        let mut request = [0u8; 1024];
        let n = tls.read(&mut request).map_err(|e| e.to_string())?;
        let body = "hello from the padlock demo server\n";
        let response = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = n;
        tls.write_all(response.as_bytes())
            .map_err(|e| e.to_string())?;
        tls.close().map_err(|e| e.to_string())?;
        Ok(())
    });

    // 3. The client: connect, then drive the handshake by hand to show each message.
    let mut config = ClientConfig::new(roots);
    config.trace = true;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let name = ServerName::try_from("localhost").map_err(|e| e.to_string())?;
    let mut conn = Connection::client(Arc::new(config), name).map_err(|e| e.to_string())?;
    let tcp_start = Instant::now();
    let mut tcp = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    tcp.set_read_timeout(Some(Duration::from_secs(10))).ok();
    println!(
        "[{:>7}] client connected over TCP in {:.2} ms\n",
        ms(t0),
        tcp_start.elapsed().as_secs_f64() * 1000.0
    );
    println!("{:<28}{:>32}", "client", "server");

    let hs_start = Instant::now();
    let mut flights = 0;
    let mut buf = vec![0u8; 32 * 1024];
    while conn.is_handshaking() {
        show_events(&mut conn, t0);
        if conn.wants_write() {
            flights += 1;
            tcp.write_all(conn.pending_tls())
                .map_err(|e| e.to_string())?;
            let n = conn.pending_tls().len();
            conn.consume_tls(n);
        }
        let n = tcp.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("the server closed the connection during the handshake".into());
        }
        conn.feed_tls(buf.get(..n).unwrap_or_default())
            .map_err(|e| format!("handshake failed: {e}"))?;
    }
    show_events(&mut conn, t0);
    tcp.write_all(conn.pending_tls())
        .map_err(|e| e.to_string())?;
    let n = conn.pending_tls().len();
    conn.consume_tls(n);
    let hs_time = hs_start.elapsed();

    let info = conn.info().clone();
    println!();
    println!(
        "handshake complete in {:.2} ms and {} round trip{}: TLS 1.3, {}, {}{}",
        hs_time.as_secs_f64() * 1000.0,
        flights.max(1) - 1 + 1,
        if flights > 1 { "s" } else { "" },
        info.cipher_suite.unwrap_or("?"),
        info.group_name.unwrap_or("?"),
        if info.hello_retry {
            " (after HelloRetryRequest)"
        } else {
            ""
        },
    );
    for (i, der) in info.peer_certificates.iter().enumerate() {
        let s = Summary::of(der);
        println!("  certificate {i}: {} (issued by {})", s.subject, s.issuer);
    }

    // 4. Application data under the application traffic keys.
    let mut tls = Stream::new(conn, tcp);
    let request = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    tls.write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    println!(
        "\n[{:>7}] client -> server  application data: GET / ({} bytes, encrypted)",
        ms(t0),
        request.len()
    );
    let mut response = Vec::new();
    tls.read_to_end(&mut response).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&response);
    println!(
        "[{:>7}] server -> client  application data: {} ({} bytes), then close_notify",
        ms(t0),
        text.lines().next().unwrap_or(""),
        response.len()
    );
    if let Some(body) = text.split("\r\n\r\n").nth(1) {
        println!("          body: {}", body.trim());
    }
    tls.close().ok();
    server
        .join()
        .map_err(|_| "the server thread panicked".to_string())??;
    println!("\ndone: both sides closed with close_notify, so no data was cut short.");
    Ok(ExitCode::SUCCESS)
}

fn ms(t0: Instant) -> String {
    format!("{:.1}ms", t0.elapsed().as_secs_f64() * 1000.0)
}

fn show_events(conn: &mut Connection, t0: Instant) {
    while let Some(event) = conn.next_event() {
        if let Event::Trace(step) = event {
            draw(&step, t0);
        }
    }
}

/// One message as an arrow between the two lifelines, with what matters in it.
fn draw(step: &TraceStep, t0: Instant) {
    let label = format!("{:?} ({} bytes)", step.typ, step.len);
    let at = format!("{:.1}ms", step.at.duration_since(t0).as_secs_f64() * 1000.0);
    let arrow_len = WIDTH.saturating_sub(label.len() + 4);
    match step.from {
        Side::Client => println!("{label} {}> [{at}]", "-".repeat(arrow_len)),
        Side::Server => println!("<{} {label} [{at}]", "-".repeat(arrow_len)),
    }
    for line in details(step) {
        println!("    {line}");
    }
}

fn details(step: &TraceStep) -> Vec<String> {
    let body = step.bytes.get(4..).unwrap_or_default();
    match step.typ {
        HandshakeType::CLIENT_HELLO => match ClientHello::decode(body) {
            Ok(ch) => {
                let e = &ch.extensions;
                let mut out = vec![format!(
                    "offers suites {}",
                    ch.cipher_suites
                        .iter()
                        .map(|s| format!("{s:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )];
                if let Some(groups) = &e.supported_groups {
                    out.push(format!(
                        "offers groups {}",
                        groups
                            .iter()
                            .map(|g| format!("{g:?}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                if let Some(shares) = &e.key_shares {
                    out.push(format!(
                        "sends key shares {} (the server picks one: no extra round trip)",
                        shares
                            .iter()
                            .map(|s| format!("{:?} ({} bytes)", s.group, s.key_exchange.len()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                if let Some(name) = &e.server_name {
                    out.push(format!("asks for server name {name} (SNI)"));
                }
                out
            }
            Err(_) => Vec::new(),
        },
        HandshakeType::SERVER_HELLO => match ServerHello::decode(body) {
            Ok(sh) if sh.is_hello_retry_request() => vec![format!(
                "HelloRetryRequest: the server wants a share for {:?}",
                sh.extensions.selected_group
            )],
            Ok(sh) => vec![
                format!(
                    "chooses {:?} and {:?}",
                    sh.cipher_suite,
                    sh.extensions.key_share.as_ref().map(|k| k.group)
                ),
                "both sides now derive handshake keys: everything after this is encrypted".into(),
            ],
            Err(_) => Vec::new(),
        },
        HandshakeType::ENCRYPTED_EXTENSIONS => {
            vec!["the rest of the server's answers (ALPN, ...), now encrypted".into()]
        }
        HandshakeType::CERTIFICATE => {
            vec!["the server's certificate chain; the client checks it up to its trusted CA and the name".into()]
        }
        HandshakeType::CERTIFICATE_VERIFY => {
            vec!["a signature over the whole handshake: proof the server holds the certificate's key".into()]
        }
        HandshakeType::FINISHED => match step.from {
            Side::Server => vec!["an HMAC over the handshake: nothing was tampered with".into()],
            Side::Client => vec![
                "the client's HMAC over the handshake; both sides switch to application keys"
                    .into(),
            ],
        },
        _ => Vec::new(),
    }
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
