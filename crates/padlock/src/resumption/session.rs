//! What a resumable session remembers (RFC 8446 §4.6.1, §2.2), and its encoding inside a
//! server's ticket.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use zeroize::Zeroizing;

use crate::codec::{put_bytes, put_u16, put_u32, put_u8, DecodeError, Reader};

/// Tickets never live longer than this (RFC 8446 §4.6.1: seven days).
pub const MAX_TICKET_LIFETIME: u32 = 7 * 24 * 3600;

/// Milliseconds since the Unix epoch (ticket ages are in milliseconds, §4.2.11).
pub(crate) fn unix_now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis()
        .try_into()
        .unwrap_or(u64::MAX)
}

/// The server's view of a session, sealed into its ticket (or kept in its store).
#[derive(Clone, PartialEq, Eq)]
pub struct ServerSession {
    /// Cipher suite of the original connection; resumption needs one with the same hash.
    pub suite_id: u16,
    /// The PSK: HKDF-Expand-Label(resumption_master_secret, "resumption", nonce).
    pub psk: Zeroizing<Vec<u8>>,
    /// When the ticket was issued, in milliseconds since the epoch.
    pub issued_ms: u64,
    /// ticket_age_add, to undo the client's obfuscation (§4.6.1).
    pub age_add: u32,
    /// Advertised lifetime in seconds.
    pub lifetime: u32,
    /// Early data the ticket allows (0: none).
    pub max_early_data: u32,
    /// ALPN of the original connection: 0-RTT requires the same (§4.2.10).
    pub alpn: Option<Vec<u8>>,
    /// The SNI of the original connection: tickets don't cross names.
    pub server_name: Option<String>,
    /// Whether the client had authenticated with a certificate.
    pub client_authenticated: bool,
}

const SESSION_VERSION: u8 = 1;

impl ServerSession {
    /// Serialises for sealing into a ticket.
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(96));
        put_u8(&mut out, SESSION_VERSION);
        put_u16(&mut out, self.suite_id);
        put_bytes(&mut out, 1, &self.psk);
        put_u32(&mut out, (self.issued_ms >> 32) as u32);
        put_u32(&mut out, self.issued_ms as u32);
        put_u32(&mut out, self.age_add);
        put_u32(&mut out, self.lifetime);
        put_u32(&mut out, self.max_early_data);
        put_bytes(&mut out, 1, self.alpn.as_deref().unwrap_or_default());
        put_bytes(
            &mut out,
            2,
            self.server_name.as_deref().unwrap_or_default().as_bytes(),
        );
        put_u8(&mut out, u8::from(self.client_authenticated));
        out
    }

    /// Parses what [`ServerSession::encode`] wrote.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        if r.u8()? != SESSION_VERSION {
            return Err(DecodeError::Invalid {
                what: "session state",
                reason: "unknown version",
            });
        }
        let suite_id = r.u16()?;
        let psk = Zeroizing::new(r.bytes_u8(1)?.to_vec());
        let hi = u64::from(r.u32()?);
        let lo = u64::from(r.u32()?);
        let age_add = r.u32()?;
        let lifetime = r.u32()?;
        let max_early_data = r.u32()?;
        let alpn = r.bytes_u8(0)?;
        let name = r.bytes_u16(0)?;
        let client_authenticated = r.u8()? == 1;
        r.finish("session state")?;
        Ok(Self {
            suite_id,
            psk,
            issued_ms: (hi << 32) | lo,
            age_add,
            lifetime,
            max_early_data,
            alpn: (!alpn.is_empty()).then(|| alpn.to_vec()),
            server_name: (!name.is_empty()).then(|| String::from_utf8_lossy(name).into_owned()),
            client_authenticated,
        })
    }
}

impl std::fmt::Debug for ServerSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerSession")
            .field("suite_id", &self.suite_id)
            .field("issued_ms", &self.issued_ms)
            .field("lifetime", &self.lifetime)
            .field("max_early_data", &self.max_early_data)
            .finish_non_exhaustive()
    }
}

/// The client's view of a session: a ticket and what it needs to use it.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSession {
    /// The server name the ticket is for.
    pub server_name: String,
    /// Cipher suite of the original connection.
    pub suite_id: u16,
    /// The opaque ticket, sent back as the PSK identity.
    pub ticket: Vec<u8>,
    /// The PSK derived from the ticket nonce.
    pub psk: Zeroizing<Vec<u8>>,
    /// ticket_age_add from the server.
    pub age_add: u32,
    /// Lifetime in seconds, capped at seven days.
    pub lifetime: u32,
    /// When we received the ticket, in milliseconds since the epoch.
    pub received_ms: u64,
    /// Early data the server will take (0: none).
    pub max_early_data: u32,
    /// ALPN of the original connection.
    pub alpn: Option<Vec<u8>>,
}

impl ClientSession {
    /// Whether the ticket is still within its lifetime.
    pub fn is_fresh(&self, now_ms: u64) -> bool {
        now_ms.saturating_sub(self.received_ms) < u64::from(self.lifetime) * 1000
    }

    /// obfuscated_ticket_age (§4.2.11): our idea of the ticket's age plus age_add, mod 2^32.
    ///
    /// The age is rounded down by one millisecond: both instants are truncated to whole
    /// milliseconds, so their difference can exceed the true age by almost 1 ms, while a
    /// server measures from before it sent the ticket and may truncate too. On loopback the
    /// two views are within a millisecond, and a client age above the server's is taken as
    /// a replay (GnuTLS rejects the early data, §8.3 leaves the window to the server); one
    /// millisecond too young is inside every server's window.
    pub fn obfuscated_age(&self, now_ms: u64) -> u32 {
        let age = now_ms.saturating_sub(self.received_ms).saturating_sub(1);
        (age as u32).wrapping_add(self.age_add)
    }

    /// Serialises for a session file.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128 + self.ticket.len());
        put_bytes(&mut out, 2, self.server_name.as_bytes());
        put_u16(&mut out, self.suite_id);
        put_bytes(&mut out, 2, &self.ticket);
        put_bytes(&mut out, 1, &self.psk);
        put_u32(&mut out, self.age_add);
        put_u32(&mut out, self.lifetime);
        put_u32(&mut out, (self.received_ms >> 32) as u32);
        put_u32(&mut out, self.received_ms as u32);
        put_u32(&mut out, self.max_early_data);
        put_bytes(&mut out, 1, self.alpn.as_deref().unwrap_or_default());
        out
    }

    /// Parses what [`ClientSession::encode`] wrote.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let name = r.bytes_u16(1)?;
        let suite_id = r.u16()?;
        let ticket = r.bytes_u16(1)?.to_vec();
        let psk = Zeroizing::new(r.bytes_u8(1)?.to_vec());
        let age_add = r.u32()?;
        let lifetime = r.u32()?.min(MAX_TICKET_LIFETIME);
        let hi = u64::from(r.u32()?);
        let lo = u64::from(r.u32()?);
        let max_early_data = r.u32()?;
        let alpn = r.bytes_u8(0)?;
        r.finish("client session")?;
        Ok(Self {
            server_name: String::from_utf8_lossy(name).into_owned(),
            suite_id,
            ticket,
            psk,
            age_add,
            lifetime,
            received_ms: (hi << 32) | lo,
            max_early_data,
            alpn: (!alpn.is_empty()).then(|| alpn.to_vec()),
        })
    }
}

impl std::fmt::Debug for ClientSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientSession")
            .field("server_name", &self.server_name)
            .field("suite_id", &self.suite_id)
            .field("lifetime", &self.lifetime)
            .field("max_early_data", &self.max_early_data)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_session_round_trip() {
        let s = ServerSession {
            suite_id: 0x1301,
            psk: Zeroizing::new(vec![7; 32]),
            issued_ms: 1_700_000_000_123,
            age_add: 0xdead_beef,
            lifetime: 3600,
            max_early_data: 16384,
            alpn: Some(b"h2".to_vec()),
            server_name: Some("example.com".into()),
            client_authenticated: true,
        };
        let enc = s.encode();
        assert_eq!(ServerSession::decode(&enc).unwrap(), s);
        for n in 0..enc.len() {
            assert!(ServerSession::decode(&enc[..n]).is_err());
        }
    }

    #[test]
    fn client_session_round_trip_and_age() {
        let s = ClientSession {
            server_name: "example.com".into(),
            suite_id: 0x1302,
            ticket: vec![1, 2, 3],
            psk: Zeroizing::new(vec![9; 48]),
            age_add: u32::MAX,
            lifetime: 100,
            received_ms: 1_000,
            max_early_data: 0,
            alpn: None,
        };
        let enc = s.encode();
        assert_eq!(ClientSession::decode(&enc).unwrap(), s);
        for n in 0..enc.len() {
            assert!(ClientSession::decode(&enc[..n]).is_err());
        }
        // 5 ms after receipt, reported as 4 ms (never older than it is), plus age_add.
        assert_eq!(s.obfuscated_age(1_005), 3);
        assert_eq!(s.obfuscated_age(1_000), u32::MAX);
        assert!(s.is_fresh(100_999));
        assert!(!s.is_fresh(101_000));
    }
}
