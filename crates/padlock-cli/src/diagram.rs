//! Handshake messages drawn as a sequence diagram: one arrow per message between the client's
//! and the server's lifelines, with its size, the time since the handshake began, and what
//! matters in it. `padlock demo` and `padlock connect --trace` draw with this.

use std::time::Duration;

use padlock::msgs::enums::{HandshakeType, NamedGroup};
use padlock::msgs::{
    Certificate, CertificateVerify, ClientHello, EncryptedExtensions, NewSessionTicket, ServerHello,
};
use padlock::{crypto, Side, TraceStep};

use crate::certs::Summary;

/// Width of the diagram: an arrow and its label fill this many columns.
pub const WIDTH: usize = 60;

/// The header above the lifelines.
pub fn header() -> String {
    format!(
        "{:<30}{:>30}   time since the handshake began",
        "client", "server"
    )
}

/// `1.23 ms`.
pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// One message as an arrow between the two lifelines, with the time since the handshake began.
pub fn arrow(from: Side, label: &str, at: Duration) -> String {
    let at = ms(at);
    let dashes = "-".repeat(WIDTH.saturating_sub(label.len() + 2));
    match from {
        Side::Client => format!("{label} {dashes}>   +{at}"),
        Side::Server => format!("<{dashes} {label}   +{at}"),
    }
}

/// A message's arrow (`ClientHello (250 bytes)`) followed by its indented details.
/// `server_name` is the name the client asked for, which the Certificate must cover.
pub fn step_lines(step: &TraceStep, at: Duration, server_name: &str) -> Vec<String> {
    let label = format!("{} ({} bytes)", message_name(step), step.len);
    let mut out = vec![arrow(step.from, &label, at)];
    out.extend(
        details(step, server_name)
            .into_iter()
            .map(|l| format!("    {l}")),
    );
    out
}

/// Flights (runs of messages from one side) and round trips (the times the client had to wait
/// for the server: one per server flight).
pub fn count_flights(senders: &[Side]) -> (usize, usize) {
    let mut flights = 0;
    let mut round_trips = 0;
    let mut last = None;
    for &side in senders {
        if last != Some(side) {
            flights += 1;
            if side == Side::Server {
                round_trips += 1;
            }
            last = Some(side);
        }
    }
    (flights, round_trips)
}

/// `1 round trip`, `2 round trips`.
pub fn round_trips_phrase(n: usize) -> String {
    format!("{n} round trip{}", if n == 1 { "" } else { "s" })
}

/// The message's name as RFC 8446 §4 writes it (a HelloRetryRequest is a ServerHello with a
/// special random, §4.1.3).
pub fn message_name(step: &TraceStep) -> String {
    let name = match step.typ {
        HandshakeType::CLIENT_HELLO => "ClientHello",
        HandshakeType::SERVER_HELLO => match ServerHello::decode(body(step)) {
            Ok(sh) if sh.is_hello_retry_request() => "HelloRetryRequest",
            _ => "ServerHello",
        },
        HandshakeType::ENCRYPTED_EXTENSIONS => "EncryptedExtensions",
        HandshakeType::CERTIFICATE_REQUEST => "CertificateRequest",
        HandshakeType::CERTIFICATE => "Certificate",
        HandshakeType::CERTIFICATE_VERIFY => "CertificateVerify",
        HandshakeType::FINISHED => "Finished",
        HandshakeType::NEW_SESSION_TICKET => "NewSessionTicket",
        HandshakeType::KEY_UPDATE => "KeyUpdate",
        HandshakeType::END_OF_EARLY_DATA => "EndOfEarlyData",
        other => return format!("{other:?}"),
    };
    name.to_string()
}

/// The message without its 4-byte handshake header (RFC 8446 §4).
pub fn body(step: &TraceStep) -> &[u8] {
    step.bytes
        .get(padlock::msgs::HANDSHAKE_HEADER_LEN..)
        .unwrap_or_default()
}

/// The certificates of a Certificate message, leaf first (DER); empty for other messages.
pub fn certificates(step: &TraceStep) -> Vec<Vec<u8>> {
    if step.typ != HandshakeType::CERTIFICATE {
        return Vec::new();
    }
    Certificate::decode(body(step))
        .map(|c| c.entries.into_iter().map(|e| e.cert_der).collect())
        .unwrap_or_default()
}

/// The IANA name padlock uses for a group (`X25519`, not the registry's `x25519`).
fn group_name(group: NamedGroup) -> String {
    crypto::group_by_id(group.0)
        .map(|g| g.name.to_string())
        .unwrap_or_else(|| format!("{group:?}"))
}

fn list<T>(items: &[T], name: impl Fn(&T) -> String) -> String {
    items.iter().map(name).collect::<Vec<_>>().join(", ")
}

/// What matters in each message, in a sentence or two.
pub fn details(step: &TraceStep, server_name: &str) -> Vec<String> {
    let body = body(step);
    match step.typ {
        HandshakeType::CLIENT_HELLO => match ClientHello::decode(body) {
            Ok(ch) => client_hello(&ch),
            Err(_) => Vec::new(),
        },
        HandshakeType::SERVER_HELLO => match ServerHello::decode(body) {
            Ok(sh) => server_hello(&sh),
            Err(_) => Vec::new(),
        },
        HandshakeType::ENCRYPTED_EXTENSIONS => {
            let ee = EncryptedExtensions::decode(body).ok();
            let alpn = ee
                .as_ref()
                .and_then(|ee| ee.alpn.as_ref())
                .map(|p| format!("ALPN {}", String::from_utf8_lossy(p)))
                .unwrap_or_else(|| "no ALPN".into());
            let mut out = vec![format!(
                "the rest of the server's answers, now encrypted: {alpn}"
            )];
            // RFC 8446 §4.2.10: early_data here is the server taking the 0-RTT data.
            if ee.is_some_and(|ee| ee.early_data) {
                out.push("accepts the client's 0-RTT data (early_data)".into());
            }
            out
        }
        HandshakeType::CERTIFICATE_REQUEST => {
            vec!["the server asks for the client's certificate (mutual TLS)".into()]
        }
        HandshakeType::CERTIFICATE => match Certificate::decode(body) {
            Ok(c) if step.from == Side::Server => {
                let leaf = c
                    .entries
                    .first()
                    .map(|e| Summary::of(&e.cert_der).subject)
                    .unwrap_or_default();
                vec![
                    format!(
                        "the server's chain: {} certificate{}, leaf {leaf}",
                        c.entries.len(),
                        if c.entries.len() == 1 { "" } else { "s" }
                    ),
                    format!(
                        "the client checks it up to a CA it trusts, and that it covers {server_name}"
                    ),
                ]
            }
            Ok(c) => vec![format!(
                "the client's certificate chain ({} certificates)",
                c.entries.len()
            )],
            Err(_) => Vec::new(),
        },
        HandshakeType::CERTIFICATE_VERIFY => {
            let scheme = CertificateVerify::decode(body)
                .map(|cv| format!("{:?}", cv.scheme))
                .unwrap_or_default();
            let who = match step.from {
                Side::Server => "the server holds the certificate's key",
                Side::Client => "the client holds its certificate's key",
            };
            vec![format!(
                "{scheme} signature over the handshake so far: {who}"
            )]
        }
        HandshakeType::FINISHED => match step.from {
            Side::Server => vec!["an HMAC over the handshake: nothing was tampered with".into()],
            Side::Client => vec![
                "the client's HMAC over the handshake; both sides switch to application keys"
                    .into(),
            ],
        },
        // RFC 8446 §4.5: after it, the client's handshake traffic key protects its Finished.
        HandshakeType::END_OF_EARLY_DATA => {
            vec!["the end of the client's 0-RTT data; its handshake key takes over".into()]
        }
        HandshakeType::NEW_SESSION_TICKET => match NewSessionTicket::decode(body) {
            Ok(t) => {
                // RFC 8446 §4.6.1: without an early_data extension the ticket allows no 0-RTT.
                let early = match t.max_early_data_size.filter(|n| *n > 0) {
                    Some(n) => format!("0-RTT data up to {n} bytes"),
                    None => "no 0-RTT data".into(),
                };
                vec![format!(
                    "a ticket to resume this session later: valid {} s, {early}",
                    t.lifetime
                )]
            }
            Err(_) => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn client_hello(ch: &ClientHello) -> Vec<String> {
    let e = &ch.extensions;
    let mut out = vec![format!(
        "offers suites {}",
        list(&ch.cipher_suites, |s| format!("{s:?}"))
    )];
    if let Some(groups) = &e.supported_groups {
        out.push(format!(
            "offers groups {}",
            list(groups, |g| group_name(*g))
        ));
    }
    if let Some(shares) = &e.key_shares {
        out.push(format!(
            "sends key shares {} (if the server takes one, no extra round trip)",
            list(shares, |s| format!(
                "{} ({} bytes)",
                group_name(s.group),
                s.key_exchange.len()
            ))
        ));
    }
    if let Some(name) = &e.server_name {
        out.push(format!("asks for server name {name} (SNI)"));
    }
    if let Some(alpn) = &e.alpn {
        out.push(format!(
            "offers application protocols {} (ALPN)",
            list(alpn, |p| String::from_utf8_lossy(p).into_owned())
        ));
    }
    if let Some(psk) = &e.pre_shared_key {
        // RFC 8446 §4.2.11.2: the binder ties the ticket to this ClientHello.
        let ticket = psk.identities.first().map_or(0, |i| i.identity.len());
        out.push(format!(
            "offers a ticket from an earlier connection (pre_shared_key: {ticket} bytes, \
             with a binder that proves it holds the ticket's key)"
        ));
    }
    if let Some(modes) = &e.psk_modes {
        out.push(format!(
            "resumes only with {} (psk_key_exchange_modes)",
            list(modes, |m| format!("{m:?}"))
        ));
    }
    if e.early_data {
        out.push("announces 0-RTT data (early_data): it follows this message".into());
    }
    out
}

fn server_hello(sh: &ServerHello) -> Vec<String> {
    if sh.is_hello_retry_request() {
        return vec![format!(
            "the server wants a key share for {}: the client must send a new ClientHello",
            sh.extensions
                .selected_group
                .map(group_name)
                .unwrap_or_else(|| "another group".into())
        )];
    }
    let share = match &sh.extensions.key_share {
        Some(k) => format!(
            "key exchange {} (its share: {} bytes)",
            group_name(k.group),
            k.key_exchange.len()
        ),
        None => "no key exchange".into(),
    };
    let mut out = vec![format!("chooses {:?} and {share}", sh.cipher_suite)];
    if let Some(i) = sh.extensions.pre_shared_key {
        out.push(format!(
            "takes ticket {i} (pre_shared_key) and resumes the session from the ticket: \
             no certificate this time"
        ));
    }
    out.push("both sides now derive handshake keys: everything after this is encrypted".into());
    out
}

#[cfg(test)]
mod tests {
    use super::{arrow, count_flights, round_trips_phrase, Side::*};
    use std::time::Duration;

    #[test]
    fn flights_and_round_trips() {
        // CH | SH EE Cert CV Fin | Fin
        let full = [Client, Server, Server, Server, Server, Server, Client];
        assert_eq!(count_flights(&full), (3, 1));
        // CH | HRR | CH | SH EE Cert CV Fin | Fin
        let retry = [Client, Server, Client, Server, Server, Client];
        assert_eq!(count_flights(&retry), (5, 2));
        assert_eq!(count_flights(&[]), (0, 0));
        assert_eq!(round_trips_phrase(1), "1 round trip");
        assert_eq!(round_trips_phrase(2), "2 round trips");
    }

    #[test]
    fn arrows_point_from_the_sender() {
        let at = Duration::from_micros(1500);
        let c = arrow(Client, "ClientHello (9 bytes)", at);
        assert!(c.starts_with("ClientHello (9 bytes) -") && c.ends_with(">   +1.50 ms"));
        let s = arrow(Server, "Finished (36 bytes)", at);
        assert!(s.starts_with("<-") && s.ends_with("- Finished (36 bytes)   +1.50 ms"));
        assert_eq!(c.len(), s.len());
    }
}
