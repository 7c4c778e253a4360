//! ClientHello (RFC 8446 §4.1.2).

use crate::codec::{put_bytes, put_prefixed, DecodeError};

use super::enums::{
    CipherSuiteId, ExtensionType, NamedGroup, ProtocolVersion, PskKeyExchangeMode, SignatureScheme,
};
use super::extensions::{
    put_alpn, put_extension, put_groups, put_schemes, put_server_name, put_status_request,
    put_versions, KeyShareEntry, OfferedPsks,
};
use super::ClientHelloRef;

/// `ClientHello` (RFC 8446 §4.1.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientHello {
    /// 0x0303 from TLS 1.3 clients; lower from legacy peers, which still
    /// decode so the server can report what they offered.
    pub legacy_version: ProtocolVersion,
    /// 32 random bytes.
    pub random: [u8; 32],
    /// `opaque legacy_session_id<0..32>`.
    pub legacy_session_id: Vec<u8>,
    /// `CipherSuite cipher_suites<2..2^16-2>`: never empty.
    pub cipher_suites: Vec<CipherSuiteId>,
    /// `opaque legacy_compression_methods<1..2^8-1>`; TLS 1.3 requires
    /// exactly `[0]`, which the server checks (RFC 8446 §4.1.2).
    pub compression_methods: Vec<u8>,
    /// The extensions we understand, plus the list of all types present.
    pub extensions: ClientExtensions,
}

/// The ClientHello extensions we interpret. Encoding writes the set fields
/// in a fixed order with pre_shared_key last; `present` is ignored when
/// encoding.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientExtensions {
    /// server_name's host_name (RFC 6066 §3).
    pub server_name: Option<String>,
    /// supported_versions (RFC 8446 §4.2.1).
    pub supported_versions: Option<Vec<ProtocolVersion>>,
    /// supported_groups (RFC 8446 §4.2.7).
    pub supported_groups: Option<Vec<NamedGroup>>,
    /// signature_algorithms (RFC 8446 §4.2.3).
    pub signature_algorithms: Option<Vec<SignatureScheme>>,
    /// signature_algorithms_cert (RFC 8446 §4.2.3).
    pub signature_algorithms_cert: Option<Vec<SignatureScheme>>,
    /// key_share's client_shares; may be empty (RFC 8446 §4.2.8).
    pub key_shares: Option<Vec<KeyShareEntry>>,
    /// application_layer_protocol_negotiation (RFC 7301).
    pub alpn: Option<Vec<Vec<u8>>>,
    /// cookie echoed from a HelloRetryRequest (RFC 8446 §4.2.2).
    pub cookie: Option<Vec<u8>>,
    /// psk_key_exchange_modes (RFC 8446 §4.2.9).
    pub psk_modes: Option<Vec<PskKeyExchangeMode>>,
    /// early_data indication (RFC 8446 §4.2.10).
    pub early_data: bool,
    /// status_request asking for an OCSP response (RFC 6066 §8, RFC 8446 §4.4.2.1).
    /// Encoded with an empty responder list and no request extensions.
    pub status_request: bool,
    /// pre_shared_key (RFC 8446 §4.2.11); always the last extension.
    pub pre_shared_key: Option<OfferedPsks>,
    /// Every extension type in wire order, including unknown ones.
    pub present: Vec<ExtensionType>,
}

impl ClientHello {
    /// Decodes a ClientHello body (without the handshake header): [`ClientHelloRef::parse`],
    /// copied out.
    pub fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        ClientHelloRef::parse(body).map(|ch| ch.into_owned())
    }

    /// Encodes the body (without the handshake header).
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.legacy_version.encode(out);
        out.extend_from_slice(&self.random);
        put_bytes(out, 1, &self.legacy_session_id);
        put_prefixed(out, 2, |o| {
            self.cipher_suites.iter().for_each(|s| s.encode(o));
        });
        put_bytes(out, 1, &self.compression_methods);
        self.extensions.encode(out);
    }
}

impl ClientExtensions {
    /// Encodes the extensions block (with its 2-byte length).
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_prefixed(out, 2, |o| {
            if let Some(host) = &self.server_name {
                put_extension(o, ExtensionType::SERVER_NAME, |o| put_server_name(o, host));
            }
            if let Some(v) = &self.supported_versions {
                put_extension(o, ExtensionType::SUPPORTED_VERSIONS, |o| put_versions(o, v));
            }
            if let Some(g) = &self.supported_groups {
                put_extension(o, ExtensionType::SUPPORTED_GROUPS, |o| put_groups(o, g));
            }
            if let Some(s) = &self.signature_algorithms {
                put_extension(o, ExtensionType::SIGNATURE_ALGORITHMS, |o| {
                    put_schemes(o, s)
                });
            }
            if let Some(s) = &self.signature_algorithms_cert {
                put_extension(o, ExtensionType::SIGNATURE_ALGORITHMS_CERT, |o| {
                    put_schemes(o, s)
                });
            }
            if let Some(shares) = &self.key_shares {
                put_extension(o, ExtensionType::KEY_SHARE, |o| {
                    put_prefixed(o, 2, |o| shares.iter().for_each(|s| s.encode(o)));
                });
            }
            if let Some(protocols) = &self.alpn {
                put_extension(o, ExtensionType::ALPN, |o| {
                    put_alpn(o, protocols.iter().map(Vec::as_slice))
                });
            }
            if let Some(cookie) = &self.cookie {
                put_extension(o, ExtensionType::COOKIE, |o| put_bytes(o, 2, cookie));
            }
            if let Some(modes) = &self.psk_modes {
                put_extension(o, ExtensionType::PSK_KEY_EXCHANGE_MODES, |o| {
                    put_prefixed(o, 1, |o| modes.iter().for_each(|m| m.encode(o)));
                });
            }
            if self.early_data {
                put_extension(o, ExtensionType::EARLY_DATA, |_| {});
            }
            if self.status_request {
                put_extension(o, ExtensionType::STATUS_REQUEST, put_status_request);
            }
            // Must stay last: RFC 8446 §4.2.11.
            if let Some(psks) = &self.pre_shared_key {
                put_extension(o, ExtensionType::PRE_SHARED_KEY, |o| psks.encode(o));
            }
        });
    }
}
