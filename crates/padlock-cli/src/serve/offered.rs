//! What the client offered in its ClientHello (RFC 8446 §4.1.2), for the page.

use padlock::msgs::enums::{CipherSuiteId, HandshakeType, NamedGroup, SignatureScheme};
use padlock::msgs::ClientHello;
use padlock::{Connection, Event};

/// The client's offer, from its first ClientHello.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Offered {
    pub cipher_suites: Vec<CipherSuiteId>,
    pub groups: Vec<NamedGroup>,
    /// The groups it sent key shares for (RFC 8446 §4.2.8): its guess.
    pub key_shares: Vec<NamedGroup>,
    pub signature_schemes: Vec<SignatureScheme>,
    pub alpn: Vec<Vec<u8>>,
}

impl Offered {
    /// Takes the connection's queued events (the server config has `trace` on) and decodes
    /// the first ClientHello among them. `None` if there is none or it does not decode
    /// (it did once, or there would be no connection).
    pub fn take_from(conn: &mut Connection) -> Option<Offered> {
        let mut offered = None;
        while let Some(event) = conn.next_event() {
            let Event::Trace(step) = event else { continue };
            if offered.is_some() || step.sent_by_us || step.typ != HandshakeType::CLIENT_HELLO {
                continue;
            }
            // The trace carries the message with its 4-byte header (RFC 8446 §4).
            let Some(hello) = step
                .bytes
                .get(4..)
                .and_then(|b| ClientHello::decode(b).ok())
            else {
                continue;
            };
            let e = hello.extensions;
            offered = Some(Offered {
                cipher_suites: hello.cipher_suites,
                groups: e.supported_groups.unwrap_or_default(),
                key_shares: e
                    .key_shares
                    .unwrap_or_default()
                    .iter()
                    .map(|k| k.group)
                    .collect(),
                signature_schemes: e.signature_algorithms.unwrap_or_default(),
                alpn: e.alpn.unwrap_or_default(),
            });
        }
        offered
    }
}
