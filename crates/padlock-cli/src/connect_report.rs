//! What `padlock connect` prints: text for people, or one JSON object.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use padlock::padlock_cert::SpkiPin;
use padlock::{HandshakeInfo, TraceStep};

use crate::certs::Summary;
use crate::connect_trace;
use crate::http;
use crate::staple::{self, Staple};

/// What the command line asked for, as far as the report needs it.
pub struct Shown<'a> {
    pub target: &'a str,
    /// The host part of the target, as resolved.
    pub host: &'a str,
    pub name: &'a str,
    /// `--early-data` was given.
    pub early_data: bool,
    /// `--cert` was given.
    pub client_cert: bool,
    /// `--trace` was given.
    pub trace: bool,
    /// The `--pin`s.
    pub pins: &'a [SpkiPin],
    /// How long resolving the host took.
    pub dns_time: Duration,
    /// Colour the text (stdout is a terminal).
    pub colour: bool,
}

/// Why a connection failed after TCP connected.
pub struct Failure {
    /// The one line for stderr.
    pub message: String,
    /// The same without its context ("TLS handshake with HOST failed"), for the verdict.
    pub reason: String,
    /// The TLS error, when padlock's connection holds one (certificate problems carry the
    /// presented chain, [`padlock::Error::rejection`]).
    pub error: Option<padlock::Error>,
    /// When, since the handshake began.
    pub at: Duration,
}

/// One connection, as the report shows it.
pub struct Visit {
    pub addr: SocketAddr,
    pub tcp_time: Duration,
    pub hs_time: Duration,
    pub info: HandshakeInfo,
    pub response: Option<http::Response>,
    /// Bytes `Connection::write_early_data` took (0: no ticket allowing 0-RTT).
    pub early_sent: usize,
    /// Whether padlock resent refused early data after the handshake.
    pub early_resent: bool,
    /// NewSessionTickets that reached the session store.
    pub tickets: usize,
    /// When the ClientHello was built: the trace's times count from here.
    pub hs_start: Instant,
    /// Every handshake message, sent or received, in order.
    pub steps: Vec<TraceStep>,
    /// How many of `steps` the handshake itself had (the rest came after it: tickets,
    /// KeyUpdate); `None` when it did not complete.
    pub handshake_steps: Option<usize>,
    /// What went wrong, if anything.
    pub failure: Option<Failure>,
}

impl Visit {
    /// The messages of the handshake proper.
    pub fn handshake(&self) -> &[TraceStep] {
        let n = self.handshake_steps.unwrap_or(self.steps.len());
        self.steps.get(..n).unwrap_or(&self.steps)
    }
}

/// One JSON object: the reported (last) connection, and `first_connection` with --resume.
pub fn print_json(shown: &Shown, first: Option<&Visit>, last: &Visit) {
    let info = &last.info;
    let chain: Vec<Summary> = connect_trace::presented(last)
        .iter()
        .map(|c| Summary::of(c))
        .collect();
    let mut out = serde_json::json!({
        "target": shown.target,
        "server_name": shown.name,
        // Known once a ServerHello arrived (a failed handshake may not have got that far).
        "version": info.cipher_suite.map(|_| "TLSv1.3"),
        "cipher_suite": info.cipher_suite,
        "group": info.group_name,
        "hello_retry": info.hello_retry,
        "alpn": alpn(info),
        "peer_certificates": chain.iter().map(Summary::to_json).collect::<Vec<_>>(),
        "http_status": last.response.as_ref().map(|r| r.status),
        "dns_ms": shown.dns_time.as_secs_f64() * 1000.0,
        "tcp_connect_ms": last.tcp_time.as_secs_f64() * 1000.0,
        "handshake_ms": last.hs_time.as_secs_f64() * 1000.0,
        "resumed": info.resumed,
        "early_data_offered": info.early_data_offered,
        "early_data_sent": last.early_sent,
        "early_data_accepted": info.early_data_accepted,
        "client_authenticated": info.client_authenticated,
        "tickets_received": last.tickets,
        "ocsp_staple": staple::json(info),
    });
    connect_trace::add_json(&mut out, shown, last);
    if let Some(f) = first {
        out["first_connection"] = serde_json::json!({
            "resumed": f.info.resumed,
            "handshake_ms": f.hs_time.as_secs_f64() * 1000.0,
            "tickets_received": f.tickets,
            "http_status": f.response.as_ref().map(|r| r.status),
        });
        if shown.trace {
            out["first_connection"]["trace"] = connect_trace::steps_json(f);
        }
    }
    println!("{out}");
}

/// The report for people.
pub fn print_text(shown: &Shown, first: Option<&Visit>, last: &Visit) {
    let info = &last.info;
    if let Some(f) = first {
        println!(
            "first connection: {} handshake in {:.1} ms, {} session ticket(s) received",
            if f.info.resumed { "resumed" } else { "full" },
            f.hs_time.as_secs_f64() * 1000.0,
            f.tickets
        );
    }
    println!(
        "connected to {} ({}) as {}",
        shown.target, last.addr, shown.name
    );
    println!("  version       TLS 1.3");
    println!("  cipher suite  {}", info.cipher_suite.unwrap_or("?"));
    println!("  group         {}", info.group_name.unwrap_or("?"));
    println!(
        "  hello retry   {}",
        if info.hello_retry {
            "yes (one extra round trip)"
        } else {
            "no"
        }
    );
    println!(
        "  ALPN          {}",
        alpn(info).as_deref().unwrap_or("(none)")
    );
    println!(
        "  resumed       {}",
        if info.resumed {
            "yes (a session ticket from an earlier connection: no certificate exchange)"
        } else {
            "no"
        }
    );
    if shown.early_data {
        let early = if info.early_data_accepted {
            format!("accepted ({} bytes sent as 0-RTT)", last.early_sent)
        } else if last.early_sent > 0 && last.early_resent {
            "refused by the server; resent after the handshake".to_string()
        } else {
            "not sent: no session ticket allowing 0-RTT (sent after the handshake)".to_string()
        };
        println!("  early data    {early}");
    }
    if shown.client_cert {
        let sent = if info.client_authenticated {
            "sent (the server asked for one)"
        } else if info.resumed {
            "not asked for (a resumed session carries the original authentication)"
        } else {
            "not sent (the server did not ask for one)"
        };
        println!("  client cert   {sent}");
    }
    println!(
        "  timing        TCP connect {:.1} ms, handshake {:.1} ms",
        last.tcp_time.as_secs_f64() * 1000.0,
        last.hs_time.as_secs_f64() * 1000.0
    );
    if !info.resumed && !shown.trace {
        let ocsp = match Staple::of(info) {
            Some(s) => s.describe(),
            None => "none (the server stapled no OCSP response)".into(),
        };
        println!("  OCSP staple   {ocsp}");
    }
    if shown.trace {
        println!();
        connect_trace::print_chain(shown, last);
    } else {
        print_certificates(info);
    }
    if let Some(r) = &last.response {
        println!();
        print!("{}", r.head);
        println!("{}", String::from_utf8_lossy(&r.body));
        if r.truncated {
            eprintln!("padlock: note: the server closed the connection without close_notify");
        }
    }
}

/// The short list of certificates (--trace shows the long one).
fn print_certificates(info: &HandshakeInfo) {
    if info.resumed && info.peer_certificates.is_empty() {
        println!("  certificates  (none: verified when the session was first established)");
    } else {
        println!("  certificates  (verified)");
    }
    for (i, der) in info.peer_certificates.iter().enumerate() {
        let c = Summary::of(der);
        println!("    {i}: {}", c.subject);
        println!("       issued by {}, valid until {}", c.issuer, c.not_after);
    }
}

fn alpn(info: &HandshakeInfo) -> Option<String> {
    info.alpn
        .as_ref()
        .map(|p| String::from_utf8_lossy(p).into_owned())
}
