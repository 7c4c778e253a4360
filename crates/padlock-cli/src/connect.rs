//! `padlock connect HOST:PORT`: handshake, report, and optionally `GET` a path. With
//! `--resume` (two connections) or `--session-file` (tickets kept across runs) the reported
//! connection resumes a session, optionally sending 0-RTT early data (RFC 8446 §2.2, §2.3);
//! `--cert`/`--key` answer a server's CertificateRequest (mTLS, §4.3.2). `--trace` draws each
//! handshake message as it crossed the wire and explains the chain; `--pin` narrows trust to
//! chains holding a given key.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use padlock::msgs::enums::HandshakeType;
use padlock::padlock_cert::{RootStore, SpkiPin};
use padlock::pki_types::ServerName;
use padlock::record::RecordError;
use padlock::resumption::FileSessionStore;
use padlock::{
    crypto, CertifiedKey, ChainVerifier, ClientConfig, Connection, Event, KeyLogFile, Stream,
};

use crate::certs;
use crate::connect_report::{print_json, print_text, Failure, Shown, Visit};
use crate::connect_trace::print_trace;
use crate::{http, style};

const TIMEOUT: Duration = Duration::from_secs(15);

#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  padlock connect example.com
  padlock connect example.com:443 --trace          (each handshake message, the chain, the verdict)
  padlock connect localhost:8443 --ca ca.pem --http-get /
  padlock connect example.com --pin sha256/BASE64   (a pin that --trace or inspect printed)
  padlock connect intranet:443 --ca ca.pem --crl ca.crl   (refuse revoked certificates)
  padlock connect example.com --group X25519MLKEM768 --alpn h2 --json
  padlock connect example.com --resume --early-data --http-get /

Errors go to stderr as one line, with the fix when padlock knows it; the exit status is
non-zero. Colour only on a terminal (and never with NO_COLOR set).")]
pub struct Args {
    /// The server, as HOST:PORT (`[v6addr]:PORT` for IPv6 literals).
    target: String,
    /// The name to send in SNI and to check the certificate against (default: HOST).
    #[arg(long)]
    servername: Option<String>,
    /// Trust the CA certificates in this PEM file instead of the Mozilla roots (repeatable).
    #[arg(long = "ca", value_name = "FILE.pem")]
    ca: Vec<PathBuf>,
    /// Offer only these cipher suites, by IANA name (repeatable).
    #[arg(long = "suite", value_name = "IANA_NAME")]
    suites: Vec<String>,
    /// Offer only these groups: X25519, secp256r1 (P-256), secp384r1 (P-384), X25519MLKEM768.
    #[arg(long = "group", value_name = "NAME")]
    groups: Vec<String>,
    /// Offer these ALPN protocols (repeatable), e.g. h2, http/1.1.
    #[arg(long = "alpn", value_name = "PROTO")]
    alpn: Vec<String>,
    /// After the handshake, send `GET PATH HTTP/1.1` and print the response.
    #[arg(long = "http-get", value_name = "PATH")]
    http_get: Option<String>,
    /// Print one JSON object instead of text (with --trace: the messages too). A failed
    /// handshake still prints it, with `verdict`, `error` and `fix`.
    #[arg(long)]
    json: bool,
    /// Show each handshake message with its size and time, the DNS and TCP times, the round
    /// trips, and the chain: each certificate's names, validity, key, level and SPKI pin.
    #[arg(long)]
    trace: bool,
    /// Require a key of the validated chain to have this SPKI pin, `sha256/BASE64` as
    /// `padlock inspect` prints it (repeatable: any one may match).
    #[arg(long = "pin", value_name = "sha256/BASE64")]
    pins: Vec<String>,
    /// Refuse certificates revoked by the CRLs in FILE (PEM, as `openssl ca -gencrl` writes
    /// them, or DER; repeatable). A CRL applies to the certificates its issuer issued and
    /// must be current; certificates of other issuers are not checked for revocation.
    #[arg(long = "crl", value_name = "FILE")]
    crls: Vec<PathBuf>,
    /// Append the traffic secrets to FILE in the NSS key log format (for Wireshark).
    #[arg(long, value_name = "FILE")]
    keylog: Option<PathBuf>,
    /// Connect twice and report the second connection, resumed with a session ticket from
    /// the first (no certificate exchange).
    #[arg(long)]
    resume: bool,
    /// Keep session tickets in FILE (created readable by you only: it holds secrets), so that
    /// a later run resumes.
    #[arg(long, value_name = "FILE")]
    session_file: Option<PathBuf>,
    /// Send TEXT as 0-RTT early data when a session ticket allows it (otherwise, or when the
    /// server refuses it, right after the handshake). Without TEXT, the --http-get request
    /// itself goes as early data. Early data can be replayed: send only what is safe to repeat.
    #[arg(long, value_name = "TEXT", num_args = 0..=1, default_missing_value = "")]
    early_data: Option<String>,
    /// Client certificate chain (PEM, leaf first) for servers that ask for one (mTLS).
    #[arg(long, value_name = "CHAIN.pem", requires = "key")]
    cert: Option<PathBuf>,
    /// Private key (PEM) of --cert.
    #[arg(long, value_name = "KEY.pem", requires = "cert")]
    key: Option<PathBuf>,
}

/// How long a connection is kept open after its work for the server's session tickets
/// (sent right after the handshake, RFC 8446 §4.6.1) or its verdict on our certificate.
const LINGER: Duration = Duration::from_secs(2);

/// What the reported connection sends, and how.
struct Payload {
    /// Offered as 0-RTT data when a ticket allows it; else sent after the handshake.
    early: Option<Vec<u8>>,
    /// Whether `early` is the --http-get request itself (then it is not sent again).
    early_is_request: bool,
    /// The --http-get request.
    request: Option<Vec<u8>>,
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    let (host, port) = split_target(&args.target)?;
    let name = args.servername.clone().unwrap_or_else(|| host.clone());
    let server_name = ServerName::try_from(name.clone())
        .map_err(|_| format!("{name:?} is not a valid DNS name or IP address"))?;
    let pins = parse_pins(&args.pins)?;
    let config = build_config(&args, &pins)?;
    let payload = payload(&args, &name)?;
    // The random generator seeds itself on first use (tens of milliseconds): done here, that
    // one-time cost does not show as the time of the first ClientHello.
    let _ = aws_lc_rs::rand::generate::<[u8; 32]>(&aws_lc_rs::rand::SystemRandom::new());
    let dns_start = Instant::now();
    let addr = resolve(&host, port)?;
    let dns_time = dns_start.elapsed();
    let keep_tickets = args.session_file.is_some();
    let shown = Shown {
        target: &args.target,
        host: &host,
        name: &name,
        early_data: args.early_data.is_some(),
        client_cert: args.cert.is_some(),
        trace: args.trace,
        pins: &pins,
        dns_time,
        colour: style::enabled(),
    };

    // --resume: a first, full handshake whose tickets the reported connection resumes with.
    let first = if args.resume {
        let mut plain = config.clone();
        plain.enable_early_data = false;
        let plain_payload = Payload {
            early: None,
            early_is_request: false,
            request: payload.request.clone(),
        };
        let v = visit(
            &args,
            addr,
            Arc::new(plain),
            &server_name,
            &plain_payload,
            true,
        )?;
        if v.failure.is_some() {
            return report_failure(&args, &shown, None, &v);
        }
        Some(v)
    } else {
        None
    };
    let last = visit(
        &args,
        addr,
        Arc::new(config),
        &server_name,
        &payload,
        keep_tickets,
    )?;
    if last.failure.is_some() {
        return report_failure(&args, &shown, first.as_ref(), &last);
    }
    if args.json {
        print_json(&shown, first.as_ref(), &last);
    } else {
        if args.trace {
            print_trace(&shown, first.as_ref(), &last);
        }
        print_text(&shown, first.as_ref(), &last);
    }
    Ok(ExitCode::SUCCESS)
}

/// A connection that failed after TCP connected: with --json or --trace, what was seen up
/// to the failure goes to stdout; the error itself is the one line on stderr.
fn report_failure(
    args: &Args,
    shown: &Shown,
    first: Option<&Visit>,
    failed: &Visit,
) -> Result<ExitCode, String> {
    if args.json {
        print_json(shown, first, failed);
    } else if args.trace {
        print_trace(shown, first, failed);
        crate::connect_trace::print_failure(shown, failed);
    }
    Err(failed
        .failure
        .as_ref()
        .map(|f| f.message.clone())
        .unwrap_or_default())
}

/// The `--pin` arguments, checked.
fn parse_pins(pins: &[String]) -> Result<Vec<SpkiPin>, String> {
    pins.iter()
        .map(|p| SpkiPin::parse(p).map_err(|e| format!("--pin: {e} Fix: {}", e.fix())))
        .collect()
}

/// What `--early-data` and `--http-get` ask to send.
fn payload(args: &Args, host: &str) -> Result<Payload, String> {
    let request = args
        .http_get
        .as_ref()
        .map(|path| http::get_request(host, path).into_bytes());
    let (early, early_is_request) = match (&args.early_data, &request) {
        (None, _) => (None, false),
        (Some(text), _) if !text.is_empty() => (Some(text.clone().into_bytes()), false),
        (Some(_), Some(req)) => (Some(req.clone()), true),
        (Some(_), None) => {
            return Err("--early-data needs TEXT, or --http-get PATH to send as early data".into())
        }
    };
    Ok(Payload {
        early,
        early_is_request,
        request,
    })
}

/// Connects, handshakes (offering `payload.early` as 0-RTT data), sends the rest, and
/// closes; with `keep_tickets`, only after the server's session tickets have arrived.
/// Only a failed TCP connection is an `Err`: a failure after it is kept in
/// [`Visit::failure`], with the messages traced up to it.
fn visit(
    args: &Args,
    addr: SocketAddr,
    config: Arc<ClientConfig>,
    server_name: &ServerName<'static>,
    payload: &Payload,
    keep_tickets: bool,
) -> Result<Visit, String> {
    let started = Instant::now();
    let tcp = TcpStream::connect_timeout(&addr, TIMEOUT)
        .map_err(|e| tcp_failure(&args.target, addr, &e))?;
    let tcp_time = started.elapsed();
    tcp.set_read_timeout(Some(TIMEOUT)).ok();
    tcp.set_write_timeout(Some(TIMEOUT)).ok();
    tcp.set_nodelay(true).ok();

    // Creating the client builds its ClientHello: the handshake, and the trace's clock,
    // start here.
    let hs_start = Instant::now();
    let mut conn = Connection::client(config, server_name.clone()).map_err(|e| e.to_string())?;
    let early = payload.early.as_deref().unwrap_or_default();
    let early_sent = if early.is_empty() {
        0
    } else {
        conn.write_early_data(early).map_err(|e| e.to_string())?
    };
    let mut tls = Stream::new(conn, tcp);
    let handshake = tls.handshake();
    let hs_time = hs_start.elapsed();
    let mut events: Vec<Event> = Vec::new();
    events.extend(std::iter::from_fn(|| tls.connection_mut().next_event()));
    let mut response = None;
    let outcome = match handshake {
        Err(e) => Err((
            format!("TLS handshake with {} failed", args.target),
            why(&e),
        )),
        Ok(()) => after_handshake(
            args,
            &mut tls,
            payload,
            early_sent,
            keep_tickets,
            &mut events,
            &mut response,
        )
        .map_err(|reason| (String::new(), reason)),
    };
    let failure = outcome.err().map(|(context, reason)| Failure {
        message: if context.is_empty() {
            reason.clone()
        } else {
            format!("{context}: {reason}")
        },
        reason,
        error: tls.connection().error().cloned(),
        at: hs_start.elapsed(),
    });

    let mut visit = Visit {
        addr,
        tcp_time,
        hs_time,
        info: tls.connection().info().clone(),
        response,
        early_sent,
        early_resent: false,
        tickets: 0,
        hs_start,
        steps: Vec::new(),
        handshake_steps: None,
        failure,
    };
    events.extend(std::iter::from_fn(|| tls.connection_mut().next_event()));
    for event in events {
        match event {
            Event::TicketReceived => visit.tickets += 1,
            Event::EarlyDataRejected { resent } => visit.early_resent = resent,
            Event::HandshakeComplete => visit.handshake_steps = Some(visit.steps.len()),
            Event::Trace(step) => visit.steps.push(step),
            _ => {}
        }
    }
    Ok(visit)
}

/// After the handshake: the early data that did not go as 0-RTT, the --http-get request, and
/// the wait for tickets or for the server's verdict on our certificate.
fn after_handshake(
    args: &Args,
    tls: &mut Stream<TcpStream>,
    payload: &Payload,
    early_sent: usize,
    keep_tickets: bool,
    events: &mut Vec<Event>,
    response: &mut Option<http::Response>,
) -> Result<(), String> {
    // Only a server that asked for our certificate can refuse it, and it says so after our
    // Finished: wait for its verdict then (RFC 8446 §4.4.2.4).
    let cert_requested = events.iter().any(|e| {
        matches!(e, Event::Trace(step)
            if !step.sent_by_us && step.typ == HandshakeType::CERTIFICATE_REQUEST)
    });

    let refused = |tls: &Stream<TcpStream>, what: String| match tls.connection().error() {
        Some(e @ padlock::Error::PeerAlert(_)) => refusal(e, args.cert.is_some()),
        _ => what,
    };
    // Early data that did not fit in 0-RTT goes now, as ordinary data (what the server
    // refused, padlock itself has queued again: `resend_rejected_early_data`).
    let early = payload.early.as_deref().unwrap_or_default();
    let unsent = early.get(early_sent..).unwrap_or_default();
    if payload.early_is_request {
        if let Some(req) = &payload.request {
            let r = http::send_and_read(tls, req, early_sent);
            *response = Some(r.map_err(|e| refused(tls, e))?);
        }
    } else {
        if !unsent.is_empty() {
            tls.write_all(unsent)
                .map_err(|e| refused(tls, format!("sending the early data: {e}")))?;
        }
        if let Some(req) = &payload.request {
            let r = http::send_and_read(tls, req, 0);
            *response = Some(r.map_err(|e| refused(tls, e))?);
        }
    }
    if keep_tickets || cert_requested {
        linger(tls, events);
        if let Some(e @ padlock::Error::PeerAlert(_)) = tls.connection().error() {
            return Err(refusal(e, args.cert.is_some()));
        }
    } else {
        tls.close().ok();
    }
    Ok(())
}

/// Sends close_notify and reads until the server closes, a session ticket arrives, or
/// [`LINGER`] passes: tickets follow the handshake (RFC 8446 §4.6.1), and a server that
/// refuses our certificate says so only after our Finished (§4.4.2.4).
/// The events seen on the way are added to `events`.
fn linger(tls: &mut Stream<TcpStream>, events: &mut Vec<Event>) {
    let deadline = Instant::now() + LINGER;
    tls.get_mut().set_read_timeout(Some(LINGER)).ok();
    tls.close().ok();
    let mut buf = [0u8; 4096];
    let mut total = 0usize;
    // A server that keeps sending (a banner, a page) is not waited for past 64 KiB.
    while Instant::now() < deadline && total < 64 * 1024 {
        events.extend(std::iter::from_fn(|| tls.connection_mut().next_event()));
        if events.contains(&Event::TicketReceived) {
            break;
        }
        match tls.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => total += n,
        }
    }
}

/// The server ended the connection after our handshake with an alert: why, in words.
fn refusal(e: &padlock::Error, sent_cert: bool) -> String {
    use padlock::alert::AlertDescription as A;
    match e {
        padlock::Error::PeerAlert(A::CERTIFICATE_REQUIRED) => {
            "the server requires a client certificate (give one with --cert and --key)".into()
        }
        padlock::Error::PeerAlert(a) if sent_cert => {
            format!("the server refused our client certificate: it sent the alert {a}")
        }
        other => format!("the server ended the connection: {other}"),
    }
}

fn build_config(args: &Args, pins: &[SpkiPin]) -> Result<ClientConfig, String> {
    let roots = if args.ca.is_empty() {
        RootStore::mozilla()
    } else {
        let mut roots = RootStore::empty();
        for path in &args.ca {
            certs::add_pem_file(&mut roots, path)?;
        }
        roots
    };
    // RFC 7469 §2.6: a pin narrows trust; the chain must still lead to a trusted root.
    let verifier = ChainVerifier::new(Arc::new(roots))
        .with_pins(pins.to_vec())
        .with_crls(certs::crls(&args.crls)?);
    let mut config = ClientConfig::with_verifier(Arc::new(verifier));
    if !args.suites.is_empty() {
        config.cipher_suites = args
            .suites
            .iter()
            .map(|s| {
                crypto::suite_by_name(s).ok_or_else(|| {
                    format!(
                        "unknown cipher suite {s:?}; valid names: {}",
                        names(crypto::ALL_CIPHER_SUITES.iter().map(|s| s.name))
                    )
                })
            })
            .collect::<Result<_, _>>()?;
    }
    if !args.groups.is_empty() {
        let groups = args
            .groups
            .iter()
            .map(|g| {
                crypto::group_by_name(g).ok_or_else(|| {
                    format!(
                        "unknown group {g:?}; valid names: {}",
                        names(crypto::ALL_GROUPS.iter().map(|g| match g.name {
                            "secp256r1" => "secp256r1 (P-256)",
                            "secp384r1" => "secp384r1 (P-384)",
                            other => other,
                        }))
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        config.set_groups(groups);
    }
    config.alpn_protocols = args.alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    if let Some(path) = &args.keylog {
        let log = KeyLogFile::open(path)
            .map_err(|e| format!("opening key log {}: {e}", path.display()))?;
        config.key_log = Some(Arc::new(log));
    } else if let Some(Ok(log)) = KeyLogFile::from_env() {
        config.key_log = Some(Arc::new(log));
    }
    if let Some(path) = &args.session_file {
        config.session_store = Some(Arc::new(FileSessionStore::open(path)));
    }
    // For the CertificateRequest, if any (see `after_handshake`), and for --trace.
    config.trace = true;
    // To report whether the server staples OCSP (RFC 8446 §4.4.2.1).
    config.request_ocsp = true;
    config.enable_early_data = args.early_data.is_some();
    config.resend_rejected_early_data = true;
    if let (Some(cert), Some(key)) = (&args.cert, &args.key) {
        let ck = CertifiedKey::from_pem_files(cert, key)
            .map_err(|e| format!("loading the client certificate: {e}"))?;
        config.client_auth = Some(Arc::new(ck));
    }
    Ok(config)
}

/// Why the TCP connection failed, in words (the caller's one line of stderr).
fn tcp_failure(target: &str, addr: SocketAddr, e: &io::Error) -> String {
    let place = if target == addr.to_string() {
        target.to_string()
    } else {
        format!("{target} ({addr})")
    };
    let why = match e.kind() {
        io::ErrorKind::ConnectionRefused => {
            "connection refused: nothing is listening on that port".to_string()
        }
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => format!(
            "no answer within {} s: the host is down or a firewall drops the packets",
            TIMEOUT.as_secs()
        ),
        _ => e.to_string(),
    };
    format!("TCP connection to {place} failed: {why}")
}

/// Why the handshake failed: the TLS error padlock reported (with the fix for certificate
/// problems), or what the transport did.
fn why(e: &io::Error) -> String {
    match e.get_ref().and_then(|e| e.downcast_ref::<padlock::Error>()) {
        // CertError sentences end with a full stop and come with a suggested fix.
        Some(padlock::Error::Certificate(cert)) => format!("{cert} Fix: {}", cert.fix()),
        Some(tls @ padlock::Error::BadSignature(cert)) => format!("{tls} Fix: {}", cert.fix()),
        // Mid-handshake, a connection without close_notify was not "data cut short": the
        // server gave up on us, typically because it does not speak TLS 1.3.
        Some(padlock::Error::Truncated) => "the server closed the connection during the \
            handshake (it may not support TLS 1.3, or not speak TLS on this port)"
            .to_string(),
        // A record type that is a printable character: the server answered in plain text.
        Some(padlock::Error::Record(RecordError::UnexpectedContentType(t)))
            if t.is_ascii_graphic() =>
        {
            let guess = match t {
                b'H' => " (it looks like HTTP: is this the HTTPS port?)",
                _ => "",
            };
            format!(
                "the server does not speak TLS on this port: it answered in plain text starting with {:?}{guess}",
                char::from(*t)
            )
        }
        Some(tls) => tls.to_string(),
        None => match e.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => format!(
                "the server sent nothing for {} s (it may not speak TLS on this port)",
                TIMEOUT.as_secs()
            ),
            io::ErrorKind::ConnectionReset => {
                "the server reset the connection (it may not speak TLS on this port)".into()
            }
            _ => e.to_string(),
        },
    }
}

fn names<'a>(it: impl Iterator<Item = &'a str>) -> String {
    it.collect::<Vec<_>>().join(", ")
}

/// Splits `host:port`, `[v6]:port`, or a bare host (port 443).
pub fn split_target(target: &str) -> Result<(String, u16), String> {
    let bad = || format!("{target:?} is not HOST:PORT");
    if let Some(rest) = target.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or_else(bad)?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().map_err(|_| bad())?,
            None if after.is_empty() => 443,
            None => return Err(bad()),
        };
        return Ok((host.to_string(), port));
    }
    match target.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => {
            Ok((host.to_string(), port.parse().map_err(|_| bad())?))
        }
        Some(_) => Err(bad()),
        None => Ok((target.to_string(), 443)),
    }
}

fn resolve(host: &str, port: u16) -> Result<SocketAddr, String> {
    (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("resolving {host}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host} has no address"))
}

#[cfg(test)]
mod tests {
    use super::split_target;

    #[test]
    fn targets() {
        assert_eq!(
            split_target("a.test:8443").unwrap(),
            ("a.test".into(), 8443)
        );
        assert_eq!(split_target("[::1]:443").unwrap(), ("::1".into(), 443));
        assert_eq!(
            split_target("example.com").unwrap(),
            ("example.com".into(), 443)
        );
        assert!(split_target("a:b:c").is_err());
        assert!(split_target("host:notaport").is_err());
    }
}
