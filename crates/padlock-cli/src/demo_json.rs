//! `padlock demo --json`: what the demo draws, as one object for machines. Messages use the
//! names and keys of `padlock connect --trace --json` (`from`, `message`, `bytes`, `at_ms`,
//! `after_handshake`; `cipher_suite`, `group`, `round_trips`...).

use std::net::SocketAddr;
use std::time::Duration;

use padlock::msgs::enums::HandshakeType;
use padlock::{Side, TraceStep};
use serde_json::{json, Value};

use crate::certinfo::CertFacts;
use crate::certs::Summary;
use crate::demo::{Record, ResumptionShape, Visit};
use crate::diagram;

/// The demo's CA, server and client, as set up before the first connection.
pub struct Setup<'a> {
    /// Making the CA and the server's certificate.
    pub time: Duration,
    pub ca_name: &'a str,
    pub ca_der: &'a [u8],
    pub server_der: &'a [u8],
    pub server_name: &'a str,
    pub addr: SocketAddr,
    pub alpn: &'a [u8],
    pub max_early_data_size: u32,
}

/// The whole demo: `setup`, `connections` (the full handshake, then the resumed one) and
/// `what_changed` between them.
pub fn json(setup: &Setup, first: &Visit, second: &Visit) -> Value {
    let alpn = String::from_utf8_lossy(setup.alpn);
    json!({
        "setup": {
            "setup_ms": millis(setup.time),
            "ca": certificate(setup.ca_der, setup.ca_name),
            "server": {
                "address": setup.addr.to_string(),
                "server_name": setup.server_name,
                "certificate": certificate(setup.server_der, setup.server_name),
                "alpn": [alpn],
                "max_early_data_size": setup.max_early_data_size,
            },
            "client": {
                "server_name": setup.server_name,
                "trusts": [setup.ca_name],
                "alpn": [alpn],
                "early_data": true,
            },
        },
        "connections": [
            connection("full_handshake", first),
            connection("resumed_0rtt", second),
        ],
        "what_changed": what_changed(first, second),
    })
}

/// Name, key type and SPKI pin (RFC 7469 §2.4, as `connect --pin` takes it).
fn certificate(der: &[u8], name: &str) -> Value {
    match CertFacts::parse(der) {
        Ok(f) => json!({
            "name": name,
            "subject": f.subject,
            "key": f.key,
            "spki_pin": f.spki_pin,
        }),
        Err(e) => json!({ "name": name, "error": e }),
    }
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn side(from: Side) -> &'static str {
    match from {
        Side::Client => "client",
        Side::Server => "server",
    }
}

fn step(v: &Visit, s: &TraceStep, after_handshake: bool) -> Value {
    json!({
        "from": side(s.from),
        "message": diagram::message_name(s),
        "bytes": s.len,
        "at_ms": millis(s.at.saturating_duration_since(v.start)),
        "after_handshake": after_handshake,
    })
}

fn record(r: &Record) -> Value {
    json!({
        "from": side(r.from),
        "record": r.kind,
        "bytes": r.bytes,
        "at_ms": millis(r.at),
        "early_data": r.early_data,
        "half_rtt": r.half_rtt,
    })
}

fn connection(name: &str, v: &Visit) -> Value {
    let info = &v.info;
    let trace: Vec<Value> = v
        .steps
        .iter()
        .map(|s| step(v, s, false))
        .chain(v.after.iter().map(|s| step(v, s, true)))
        .collect();
    let response = String::from_utf8_lossy(&v.response);
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    json!({
        "name": name,
        "tcp_connect_ms": millis(v.tcp_time),
        "handshake_ms": millis(v.hs_time),
        "version": info.cipher_suite.map(|_| "TLSv1.3"),
        "cipher_suite": info.cipher_suite,
        "group": info.group_name,
        "hello_retry": info.hello_retry,
        "alpn": info.alpn.as_deref().map(String::from_utf8_lossy),
        "resumed": info.resumed,
        "early_data_offered": info.early_data_offered,
        "early_data_sent": v.early_sent,
        "early_data_accepted": info.early_data_accepted,
        "peer_certificates": info
            .peer_certificates
            .iter()
            .map(|c| Summary::of(c).to_json())
            .collect::<Vec<_>>(),
        "flights": v.flights,
        "round_trips": v.round_trips,
        "handshake_bytes": v.handshake_bytes(),
        "trace": trace,
        "application_data": v.records.iter().map(record).collect::<Vec<_>>(),
        "request": crate::demo::REQUEST.lines().next(),
        "response": {
            "status_line": head.lines().next(),
            "body": body,
            "bytes": v.response.len(),
            "at_ms": millis(v.response_after),
            "half_rtt": v.answered_early,
        },
        "round_trips_to_response": v.round_trips_to_response(),
        "closed_with_close_notify": true,
    })
}

/// The resumed connection next to the first, as fields (the text's sentences).
fn what_changed(first: &Visit, second: &Visit) -> Value {
    let shape = ResumptionShape::of(second);
    let mut offered = Vec::new();
    if shape.offered_psk {
        offered.push("pre_shared_key");
    }
    if shape.offered_early_data {
        offered.push("early_data");
    }
    let mut accepted = Vec::new();
    if shape.accepted_psk {
        accepted.push("pre_shared_key");
    }
    if shape.accepted_early_data {
        accepted.push("early_data");
    }
    let certificate_messages = [
        HandshakeType::CERTIFICATE,
        HandshakeType::CERTIFICATE_VERIFY,
    ];
    json!({
        "resumed": second.info.resumed,
        // RFC 8446 §2.2: the pre-shared key proves the server; nothing is signed.
        "certificate_sent": [
            first.has(HandshakeType::CERTIFICATE),
            second.has(HandshakeType::CERTIFICATE),
        ],
        "certificate_bytes": [
            first.bytes_of(&certificate_messages),
            second.bytes_of(&certificate_messages),
        ],
        "client_hello_extensions_added": offered,
        "server_accepted": accepted,
        "early_data_sent": second.early_sent,
        "end_of_early_data": second.has(HandshakeType::END_OF_EARLY_DATA),
        "early_data_accepted": second.info.early_data_accepted,
        // psk_dhe_ke: a fresh key exchange still runs, for forward secrecy (RFC 8446 §2.2);
        // the 0-RTT data has none and may be replayed (§8).
        "fresh_key_exchange": second.info.resumed.then_some(second.info.group_name).flatten(),
        "handshake_bytes": [first.handshake_bytes(), second.handshake_bytes()],
        "key_share_bytes": [first.key_share_bytes(), second.key_share_bytes()],
        "round_trips": [first.round_trips, second.round_trips],
        "round_trips_to_response": [
            first.round_trips_to_response(),
            second.round_trips_to_response(),
        ],
        "response_ms": [millis(first.response_after), millis(second.response_after)],
        "handshake_ms": [millis(first.hs_time), millis(second.hs_time)],
    })
}
