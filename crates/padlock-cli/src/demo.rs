//! `padlock demo`: a throwaway CA, a server and a client on loopback, and each step of the
//! handshake drawn as it happens; then a second connection that resumes with a ticket from
//! the first and sends its request as 0-RTT data (RFC 8446 §2.2, §2.3), and what changed.
//! With `--json`, the same as one object (built in `demo_json.rs`).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use padlock::msgs::enums::HandshakeType;
use padlock::msgs::{ClientHello, EncryptedExtensions, ServerHello};
use padlock::padlock_cert::RootStore;
use padlock::pki_types::ServerName;
use padlock::{
    CertifiedKey, ClientConfig, Connection, Event, HandshakeInfo, ServerConfig, Side, Stream,
    TraceStep,
};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

use crate::certs::Summary;
use crate::demo_json;
use crate::diagram::{self, body, count_flights, ms, round_trips_phrase};

/// `println!` when the demo is drawn as text; nothing with `--json`.
macro_rules! say {
    ($text:expr) => {
        if $text {
            println!();
        }
    };
    ($text:expr, $($arg:tt)*) => {
        if $text {
            println!($($arg)*);
        }
    };
}

#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  padlock demo
  padlock demo | less        (plain text when piped)
  padlock demo --json        (one JSON object: the setup, both connections, what changed)

To see the same steps against a real server: padlock connect example.com --trace")]
pub struct Args {
    /// Print one JSON object instead of the diagram.
    #[arg(long)]
    json: bool,
}

const TIMEOUT: Duration = Duration::from_secs(10);

pub fn run(args: Args) -> Result<ExitCode, String> {
    let text = !args.json;
    say!(
        text,
        "padlock demo: a TLS 1.3 handshake on loopback explained step by step, then a \
         resumed connection with 0-RTT data\n"
    );

    // 1. A throwaway certificate authority and a certificate for localhost.
    let setup = Instant::now();
    let pki = throwaway_pki().map_err(|e| format!("making the CA: {e}"))?;
    let setup_time = setup.elapsed();
    let ca_name = pki.ca_name.clone();
    say!(
        text,
        "made a throwaway CA {ca_name:?} and a certificate for localhost in {}",
        ms(setup_time)
    );
    say!(
        text,
        "(ECDSA P-256; only this demo's client trusts that CA)"
    );

    // 2. The server, on a free loopback port, in its own thread: it answers two connections
    //    and reports, for each, whether its answer went out with its first flight.
    let mut server_config =
        ServerConfig::with_single_cert(pki.server_key).map_err(|e| e.to_string())?;
    server_config.alpn_protocols = vec![ALPN.to_vec()];
    // RFC 8446 §4.2.10: the tickets it issues allow this much 0-RTT data.
    server_config.max_early_data_size = MAX_EARLY_DATA;
    let server_config = Arc::new(server_config);
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    say!(text, "server listening on {addr}");
    let (answered_tx, answered) = mpsc::channel();
    let server = std::thread::spawn(move || {
        for _ in 0..2 {
            serve_one(&listener, server_config.clone(), &answered_tx)?;
        }
        Ok::<(), String>(())
    });

    // 3. The client. Its config keeps the tickets the server sends (the default in-memory
    //    session store) and may send 0-RTT data with them.
    let mut config = ClientConfig::new(pki.roots);
    config.trace = true;
    config.alpn_protocols = vec![ALPN.to_vec()];
    config.enable_early_data = true;
    let config = Arc::new(config);

    say!(text, "\n== 1. first connection: a full handshake ==\n");
    let first = visit(&config, addr, false, &answered, text)?;
    say!(text, "\n== 2. second connection: resumed with a ticket from the first, the GET sent as 0-RTT data ==\n");
    let second = visit(&config, addr, true, &answered, text)?;
    server
        .join()
        .map_err(|_| "the server thread panicked".to_string())??;
    if args.json {
        let setup = demo_json::Setup {
            time: setup_time,
            ca_name: &ca_name,
            ca_der: &pki.ca_der,
            server_der: &pki.server_der,
            server_name: SERVER_NAME,
            addr,
            alpn: ALPN,
            max_early_data_size: MAX_EARLY_DATA,
        };
        println!("{}", demo_json::json(&setup, &first, &second));
        return Ok(ExitCode::SUCCESS);
    }
    println!();
    for line in what_changed(&first, &second) {
        println!("{line}");
    }
    println!("\ndone: both connections closed with close_notify, so no data was cut short.");
    Ok(ExitCode::SUCCESS)
}

/// The request each connection sends.
pub const REQUEST: &str = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
/// The name the server's certificate covers and the client asks for.
const SERVER_NAME: &str = "localhost";
/// The one application protocol both sides speak.
const ALPN: &[u8] = b"http/1.1";
/// RFC 8446 §4.2.10: the 0-RTT data the server's tickets allow.
const MAX_EARLY_DATA: u32 = 16384;

/// What a resumed connection's hellos offered and what the server took (RFC 8446 §4.2.10,
/// §4.2.11), read from the recorded messages; the text and the JSON both say it.
pub struct ResumptionShape {
    pub offered_psk: bool,
    pub offered_early_data: bool,
    pub accepted_psk: bool,
    pub accepted_early_data: bool,
}

impl ResumptionShape {
    pub fn of(visit: &Visit) -> Self {
        let ch = visit
            .step(HandshakeType::CLIENT_HELLO)
            .and_then(|s| ClientHello::decode(body(s)).ok());
        let sh = visit
            .step(HandshakeType::SERVER_HELLO)
            .and_then(|s| ServerHello::decode(body(s)).ok());
        let ee = visit
            .step(HandshakeType::ENCRYPTED_EXTENSIONS)
            .and_then(|s| EncryptedExtensions::decode(body(s)).ok());
        ResumptionShape {
            offered_psk: ch
                .as_ref()
                .is_some_and(|c| c.extensions.pre_shared_key.is_some()),
            offered_early_data: ch.as_ref().is_some_and(|c| c.extensions.early_data),
            accepted_psk: sh.is_some_and(|s| s.extensions.pre_shared_key.is_some()),
            accepted_early_data: ee.is_some_and(|e| e.early_data),
        }
    }
}

/// What one connection showed, for comparing the two.
pub struct Visit {
    /// The handshake messages, in order (not the tickets that follow it).
    pub steps: Vec<TraceStep>,
    /// Messages after the handshake (the server's tickets).
    pub after: Vec<TraceStep>,
    /// Application data and close_notify, in order.
    pub records: Vec<Record>,
    /// When the ClientHello was built: every time counts from here.
    pub start: Instant,
    pub tcp_time: Duration,
    pub hs_time: Duration,
    pub flights: usize,
    pub round_trips: usize,
    pub info: HandshakeInfo,
    /// Bytes of the request sent as 0-RTT data.
    pub early_sent: usize,
    /// Whether the server's answer came with its first flight (0.5-RTT data).
    pub answered_early: bool,
    /// From the ClientHello to the first byte of the response.
    pub response_after: Duration,
    /// The whole response, as received.
    pub response: Vec<u8>,
}

/// A record that is not a handshake message, as the diagram draws it.
pub struct Record {
    pub from: Side,
    /// `application_data` or `close_notify`.
    pub kind: &'static str,
    /// Plaintext bytes (0 for close_notify).
    pub bytes: usize,
    pub at: Duration,
    /// Sent as 0-RTT data, with the ClientHello (RFC 8446 §2.3).
    pub early_data: bool,
    /// Sent right behind the server's Finished, before the client's (RFC 8446 §4.4.4).
    pub half_rtt: bool,
}

impl Visit {
    pub fn has(&self, typ: HandshakeType) -> bool {
        self.steps.iter().any(|s| s.typ == typ)
    }

    /// The last message of this type (the ServerHello after a HelloRetryRequest).
    pub fn step(&self, typ: HandshakeType) -> Option<&TraceStep> {
        self.steps.iter().rev().find(|s| s.typ == typ)
    }

    pub fn handshake_bytes(&self) -> usize {
        self.steps.iter().map(|s| s.len).sum()
    }

    pub fn bytes_of(&self, types: &[HandshakeType]) -> usize {
        self.steps
            .iter()
            .filter(|s| types.contains(&s.typ))
            .map(|s| s.len)
            .sum()
    }

    /// Bytes of (EC)DHE and ML-KEM key shares in the last ClientHello and ServerHello.
    pub fn key_share_bytes(&self) -> usize {
        let client: usize = self
            .step(HandshakeType::CLIENT_HELLO)
            .and_then(|s| ClientHello::decode(body(s)).ok())
            .and_then(|ch| ch.extensions.key_shares)
            .map_or(0, |shares| {
                shares.iter().map(|k| k.key_exchange.len()).sum()
            });
        let server = self
            .step(HandshakeType::SERVER_HELLO)
            .and_then(|s| ServerHello::decode(body(s)).ok())
            .and_then(|sh| sh.extensions.key_share)
            .map_or(0, |k| k.key_exchange.len());
        client + server
    }

    /// Server flights the client waited for before the response arrived.
    pub fn round_trips_to_response(&self) -> usize {
        self.round_trips + usize::from(!self.answered_early)
    }
}

/// One client connection: the handshake drawn message by message (when `text`), then `GET /`
/// (as 0-RTT data when `early` and the ticket allow it), the response and close_notify both
/// ways.
fn visit(
    config: &Arc<ClientConfig>,
    addr: SocketAddr,
    early: bool,
    answered: &mpsc::Receiver<bool>,
    text: bool,
) -> Result<Visit, String> {
    let tcp_start = Instant::now();
    let mut tcp = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    let tcp_time = tcp_start.elapsed();
    tcp.set_read_timeout(Some(TIMEOUT)).ok();
    // Without this, Nagle's algorithm holds the request behind the client's Finished until
    // the server's delayed ACK, and the demo shows a 40 ms stall that is not TLS's doing.
    tcp.set_nodelay(true).ok();
    say!(text, "client connected over TCP in {}\n", ms(tcp_time));

    let name = ServerName::try_from(SERVER_NAME).map_err(|e| e.to_string())?;
    // Creating the client builds its ClientHello: the handshake starts here.
    let start = Instant::now();
    let mut conn = Connection::client(config.clone(), name).map_err(|e| e.to_string())?;
    say!(text, "{}", diagram::header());
    let mut steps = Vec::new();
    let mut records = Vec::new();
    show_events(&mut conn, start, &mut steps, text);
    // RFC 8446 §2.3: 0-RTT data goes right behind the ClientHello, under a key derived from
    // the ticket's pre-shared key. 0 bytes taken: no ticket that allows early data.
    let early_sent = if early {
        conn.write_early_data(REQUEST.as_bytes())
            .map_err(|e| e.to_string())?
    } else {
        0
    };
    if early_sent > 0 {
        let record = Record {
            from: Side::Client,
            kind: "application_data",
            bytes: early_sent,
            at: start.elapsed(),
            early_data: true,
            half_rtt: false,
        };
        arrow(
            text,
            &format!("application data, 0-RTT ({early_sent} bytes)"),
            &record,
        );
        records.push(record);
        say!(
            text,
            "    GET / HTTP/1.1, encrypted under the client's early traffic key (from the ticket),"
        );
        say!(
            text,
            "    sent with the ClientHello, before the server has answered anything"
        );
    }

    let mut buf = vec![0u8; 32 * 1024];
    loop {
        show_events(&mut conn, start, &mut steps, text);
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
        if let Err(e) = feed_all(&mut conn, buf.get(..n).unwrap_or_default()) {
            // Send our alert so the server learns why, then report.
            tcp.write_all(conn.pending_tls()).ok();
            return Err(format!("handshake failed: {e}"));
        }
    }
    let hs_time = start.elapsed();

    let info = conn.info().clone();
    let senders: Vec<Side> = steps.iter().map(|s| s.from).collect();
    let (flights, round_trips) = count_flights(&senders);
    say!(text);
    say!(
        text,
        "handshake complete in {}: {flights} flights, {}{}",
        ms(hs_time),
        round_trips_phrase(round_trips),
        if info.hello_retry {
            " (the HelloRetryRequest cost one)"
        } else {
            ""
        },
    );
    say!(
        text,
        "  TLS 1.3, {}, key exchange {}, ALPN {}",
        info.cipher_suite.unwrap_or("?"),
        info.group_name.unwrap_or("?"),
        info.alpn
            .as_deref()
            .map(String::from_utf8_lossy)
            .unwrap_or("(none)".into()),
    );
    if info.resumed {
        say!(
            text,
            "  resumed with a ticket from the first connection; 0-RTT data {}",
            if info.early_data_accepted {
                "accepted"
            } else {
                "not accepted"
            }
        );
    }
    for (i, der) in info.peer_certificates.iter().enumerate() {
        let s = Summary::of(der);
        say!(
            text,
            "  certificate {i}: {} (issued by {})",
            s.subject,
            s.issuer
        );
    }
    say!(text);

    // 4. Application data under the application traffic keys, then close_notify both ways.
    let mut tls = Stream::new(conn, tcp);
    if !info.early_data_accepted {
        // Sent now, after the handshake; or again, if the server refused the 0-RTT copy.
        tls.write_all(REQUEST.as_bytes())
            .map_err(|e| e.to_string())?;
        let record = Record {
            from: Side::Client,
            kind: "application_data",
            bytes: REQUEST.len(),
            at: start.elapsed(),
            early_data: false,
            half_rtt: false,
        };
        arrow(
            text,
            &format!("application data ({} bytes)", REQUEST.len()),
            &record,
        );
        records.push(record);
        say!(
            text,
            "    GET / HTTP/1.1, encrypted under the client's application traffic key"
        );
    }
    let mut response = Vec::new();
    let mut after = Vec::new();
    let mut chunk = [0u8; 4096];
    let mut answered_early = false;
    let mut response_after = Duration::ZERO;
    loop {
        let n = tls.read(&mut chunk).map_err(|e| e.to_string())?;
        // The server's tickets (RFC 8446 §4.6.1) arrive after the handshake.
        show_events(tls.connection_mut(), start, &mut after, text);
        if n == 0 {
            break;
        }
        if response.is_empty() {
            response_after = start.elapsed();
            answered_early = answered
                .recv_timeout(TIMEOUT)
                .map_err(|_| "the server did not report how it answered".to_string())?;
            let record = Record {
                from: Side::Server,
                kind: "application_data",
                bytes: n,
                at: response_after,
                early_data: false,
                half_rtt: answered_early,
            };
            arrow(text, &format!("application data ({n} bytes)"), &record);
            records.push(record);
            let head = String::from_utf8_lossy(chunk.get(..n).unwrap_or_default()).into_owned();
            say!(text, "    {}", head.lines().next().unwrap_or(""));
            if let Some(body) = head.split("\r\n\r\n").nth(1) {
                say!(text, "    body: {}", body.trim());
            }
            if answered_early {
                say!(
                    text,
                    "    sent right behind the server's Finished (0.5-RTT data, RFC 8446 §4.4.4):"
                );
                say!(
                    text,
                    "    the answer to the 0-RTT request came with the server's first flight"
                );
            }
        } else if let Some(last) = records.last_mut() {
            // More of the response: the diagram keeps one arrow for it.
            last.bytes += n;
        }
        response.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
    // read() returned 0: the server's close_notify arrived.
    let closed = close_notify(Side::Server, start.elapsed());
    arrow(text, "close_notify", &closed);
    records.push(closed);
    say!(text, "    the server has nothing more to send");
    tls.close().map_err(|e| e.to_string())?;
    let closed = close_notify(Side::Client, start.elapsed());
    arrow(text, "close_notify", &closed);
    records.push(closed);
    say!(text, "    nor has the client");
    Ok(Visit {
        steps,
        after,
        records,
        start,
        tcp_time,
        hs_time,
        flights,
        round_trips,
        info,
        early_sent,
        answered_early,
        response_after,
        response,
    })
}

fn close_notify(from: Side, at: Duration) -> Record {
    Record {
        from,
        kind: "close_notify",
        bytes: 0,
        at,
        early_data: false,
        half_rtt: false,
    }
}

/// Feeds everything received; the demo reads its plaintext promptly, so the connection
/// takes it all (a stall would be a bug worth reporting rather than a loop).
fn feed_all(conn: &mut Connection, mut data: &[u8]) -> Result<(), padlock::Error> {
    while !data.is_empty() {
        let n = conn.feed_tls(data)?;
        if n == 0 {
            return Err(padlock::Error::LimitExceeded("receive buffer full"));
        }
        data = data.get(n..).unwrap_or_default();
    }
    Ok(())
}

/// The resumed connection next to the first, in sentences drawn from what each showed.
fn what_changed(first: &Visit, second: &Visit) -> Vec<String> {
    let mut out = vec!["what changed on the resumed connection:".to_string()];
    if !second.info.resumed {
        out.push(
            "  nothing: the server did not accept the ticket, so this was a full handshake again"
                .into(),
        );
        return out;
    }
    if !second.has(HandshakeType::CERTIFICATE) && !second.has(HandshakeType::CERTIFICATE_VERIFY) {
        out.push(
            "  no Certificate, no CertificateVerify: the server proved itself with the pre-shared \
             key from the first connection's ticket (RFC 8446 §2.2), so nothing was signed or \
             checked against the CA"
                .into(),
        );
    }
    let shape = ResumptionShape::of(second);
    let mut carried = Vec::new();
    if shape.offered_psk {
        carried.push("pre_shared_key (the ticket, with a binder)");
    }
    if shape.offered_early_data {
        carried.push("early_data");
    }
    let mut took = Vec::new();
    if shape.accepted_psk {
        took.push("the ServerHello's pre_shared_key took the ticket");
    }
    if shape.accepted_early_data {
        took.push("EncryptedExtensions' early_data took the 0-RTT data");
    }
    if !carried.is_empty() {
        out.push(format!(
            "  new extensions: the ClientHello carried {}{}{}",
            carried.join(" and "),
            if took.is_empty() { "" } else { "; " },
            took.join(", ")
        ));
    }
    if second.early_sent > 0 {
        out.push(format!(
            "  the GET ({} bytes) went out with the ClientHello as 0-RTT data; \
             EndOfEarlyData{} ended it",
            second.early_sent,
            if second.has(HandshakeType::END_OF_EARLY_DATA) {
                ""
            } else {
                " (not sent: the data was refused)"
            }
        ));
    }
    out.push(format!(
        "  early data accepted: {}",
        if second.info.early_data_accepted {
            "yes"
        } else {
            "no (the client sent the request again after the handshake)"
        }
    ));
    if let Some(group) = second.info.group_name {
        out.push(format!(
            "  a fresh {group} key exchange still ran (psk_dhe_ke): a leaked ticket does not \
             expose this connection's keys; the 0-RTT data has no such protection and could \
             be replayed, so send only requests that are safe to repeat (RFC 8446 §8)"
        ));
    }
    let certificates = first.bytes_of(&[
        HandshakeType::CERTIFICATE,
        HandshakeType::CERTIFICATE_VERIFY,
    ]);
    let shares = match (first.key_share_bytes(), second.key_share_bytes()) {
        (a, b) if a == b => format!("{a} bytes of each"),
        (a, b) => format!("{a} and {b} bytes"),
    };
    out.push(format!(
        "  handshake messages: {} bytes -> {} bytes ({certificates} of the first were the \
         Certificate and CertificateVerify; the key shares take {shares})",
        first.handshake_bytes(),
        second.handshake_bytes(),
    ));
    out.push(format!(
        "  round trips until the response: {} -> {}; time: {} -> {}",
        first.round_trips_to_response(),
        second.round_trips_to_response(),
        ms(first.response_after),
        ms(second.response_after)
    ));
    out
}

/// The demo's server, for one connection: answers one `GET`, then closes with close_notify
/// and waits for the client's. The handshake is driven by hand so that 0-RTT data can be
/// answered as soon as it arrives, with the server's first flight.
fn serve_one(
    listener: &TcpListener,
    config: Arc<ServerConfig>,
    answered: &mpsc::Sender<bool>,
) -> Result<(), String> {
    let (mut tcp, _) = listener.accept().map_err(|e| e.to_string())?;
    tcp.set_read_timeout(Some(TIMEOUT)).ok();
    tcp.set_nodelay(true).ok();
    let mut conn = Connection::server(config).map_err(|e| e.to_string())?;
    let body = "hello from the padlock demo server\n";
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut request = Vec::new();
    let mut done = false;
    let mut buf = vec![0u8; 32 * 1024];
    while conn.is_handshaking() {
        let n = tcp.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("the client closed the connection during the handshake".into());
        }
        let fed = feed_all(&mut conn, buf.get(..n).unwrap_or_default());
        request.extend(conn.take_early_data());
        // A GET is safe to repeat, so it may be answered from replayable 0-RTT data, before
        // the client's Finished (RFC 8446 §8).
        if fed.is_ok() && !done && request_complete(&request) && conn.is_handshaking() {
            answered.send(true).ok();
            conn.write(response.as_bytes()).map_err(|e| e.to_string())?;
            done = true;
        }
        tcp.write_all(conn.pending_tls())
            .map_err(|e| e.to_string())?;
        let n = conn.pending_tls().len();
        conn.consume_tls(n);
        fed.map_err(|e| e.to_string())?;
    }
    let mut tls = Stream::new(conn, tcp);
    if !done {
        let mut chunk = [0u8; 1024];
        while !request_complete(&request) {
            let n = tls.read(&mut chunk).map_err(|e| e.to_string())?;
            if n == 0 || request.len() > 16 * 1024 {
                return Err("the client sent no complete request".into());
            }
            request.extend_from_slice(chunk.get(..n).unwrap_or_default());
        }
        answered.send(false).ok();
        tls.write_all(response.as_bytes())
            .map_err(|e| e.to_string())?;
    }
    tls.close().map_err(|e| e.to_string())?;
    let mut rest = Vec::new();
    tls.read_to_end(&mut rest).map_err(|e| e.to_string())?;
    Ok(())
}

fn request_complete(request: &[u8]) -> bool {
    request.windows(4).any(|w| w == b"\r\n\r\n")
}

fn show_events(conn: &mut Connection, start: Instant, steps: &mut Vec<TraceStep>, text: bool) {
    while let Some(event) = conn.next_event() {
        if let Event::Trace(step) = event {
            if text {
                let at = step.at.saturating_duration_since(start);
                for line in diagram::step_lines(&step, at, SERVER_NAME) {
                    println!("{line}");
                }
            }
            steps.push(step);
        }
    }
}

/// Draws one arrow that is not a handshake message (application data, close_notify).
fn arrow(text: bool, label: &str, record: &Record) {
    say!(text, "{}", diagram::arrow(record.from, label, record.at));
}

/// The demo's throwaway PKI.
struct Pki {
    roots: RootStore,
    server_key: CertifiedKey,
    ca_name: String,
    ca_der: Vec<u8>,
    server_der: Vec<u8>,
}

/// A CA that lives only as long as this process, and a certificate it issued for localhost.
fn throwaway_pki() -> Result<Pki, Box<dyn std::error::Error>> {
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
    Ok(Pki {
        roots,
        server_key: key,
        ca_name,
        ca_der: ca.der().to_vec(),
        server_der: leaf.der().to_vec(),
    })
}
