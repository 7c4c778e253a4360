//! What a handshake negotiated, for applications and for people reading a trace.

use std::time::Instant;

use crate::conn::Side;
use crate::msgs::enums::{HandshakeType, NamedGroup, ProtocolVersion};

/// The outcome of a handshake: filled in as the handshake proceeds.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct HandshakeInfo {
    /// Negotiated protocol version (always TLS 1.3 today).
    pub version: Option<ProtocolVersion>,
    /// IANA name of the negotiated cipher suite, e.g. `TLS_AES_128_GCM_SHA256`.
    pub cipher_suite: Option<&'static str>,
    /// Codepoint of the negotiated cipher suite.
    pub cipher_suite_id: Option<u16>,
    /// The key-exchange group used, if (EC)DHE was part of the handshake.
    pub group: Option<NamedGroup>,
    /// Name of that group, e.g. `X25519MLKEM768`.
    pub group_name: Option<&'static str>,
    /// Whether the server sent a HelloRetryRequest.
    pub hello_retry: bool,
    /// The ALPN protocol agreed on.
    pub alpn: Option<Vec<u8>>,
    /// The server name the client asked for (SNI).
    pub server_name: Option<String>,
    /// The peer's certificate chain as sent, leaf first (DER).
    pub peer_certificates: Vec<Vec<u8>>,
    /// The path the verifier validated, end entity first, up to the trust anchor's
    /// certificate when the store has it (webpki-roots anchors are a name and key only, so
    /// the path then ends at the top intermediate). Empty when the peer sent no
    /// certificate, on resumption, or when a custom verifier reported no path.
    pub verified_chain: Vec<Vec<u8>>,
    /// The trust anchor the chain led to, as people read its name.
    pub trust_anchor: Option<String>,
    /// DV, OV, IV or EV, from the end entity's CA/Browser Forum certificatePolicies.
    pub validation_level: Option<padlock_cert::ValidationLevel>,
    /// The signature scheme of the peer's CertificateVerify.
    pub peer_signature_scheme: Option<u16>,
    /// Whether the session was resumed from a pre-shared key.
    pub resumed: bool,
    /// Whether the client offered 0-RTT early data.
    pub early_data_offered: bool,
    /// Whether the server accepted the client's 0-RTT early data.
    pub early_data_accepted: bool,
    /// Whether the client authenticated with a certificate (mTLS).
    pub client_authenticated: bool,
    /// The DER OCSPResponse (RFC 6960 §4.2.1) the server stapled to its end-entity
    /// certificate (RFC 8446 §4.4.2.1), when [`crate::ClientConfig::request_ocsp`] asked
    /// for one. Not verified here: `padlock_cert::ocsp` decodes it and checks its signature.
    pub ocsp_response: Option<Vec<u8>>,
}

impl HandshakeInfo {
    /// Keeps what the verifier established about the peer's chain.
    pub(crate) fn record_verified(&mut self, verified: Option<padlock_cert::VerifiedChain>) {
        if let Some(v) = verified {
            self.verified_chain = v.certs;
            self.trust_anchor = Some(v.anchor_subject);
            self.validation_level = Some(v.level);
        }
    }
}

/// One handshake message crossing the wire, for `padlock demo` and `--trace`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceStep {
    /// Who sent it.
    pub from: Side,
    /// Whether we sent it (true) or received it.
    pub sent_by_us: bool,
    /// The message type.
    pub typ: HandshakeType,
    /// Its size on the wire, header included.
    pub len: usize,
    /// When it was sent or processed.
    pub at: Instant,
    /// The message itself, header included, for tools that show its fields.
    pub bytes: Vec<u8>,
}

impl TraceStep {
    pub(crate) fn new(from: Side, sent_by_us: bool, typ: HandshakeType, bytes: &[u8]) -> Self {
        Self {
            from,
            sent_by_us,
            typ,
            len: bytes.len(),
            at: Instant::now(),
            bytes: bytes.to_vec(),
        }
    }
}
