//! TLS 1.3 handshake messages (RFC 8446 §4) and their extensions.
//!
//! Each message type has `decode(body)` / `encode(&self, out)` working on
//! the body without the 4-byte handshake header; [`HandshakeMessage`] adds
//! and strips the header.

pub mod certificate;
pub mod client_hello;
pub mod client_hello_ref;
pub mod encrypted_extensions;
pub mod enums;
pub mod extensions;
pub mod finished;
pub mod key_update;
pub mod new_session_ticket;
pub mod server_hello;
pub mod views;

#[cfg(test)]
mod client_hello_ref_tests;
#[cfg(test)]
mod interop_tests;
#[cfg(test)]
mod tests;

pub use certificate::{Certificate, CertificateEntry, CertificateRequest, CertificateVerify};
pub use client_hello::{ClientExtensions, ClientHello};
pub use client_hello_ref::{ClientExtensionsRef, ClientHelloRef};
pub use encrypted_extensions::EncryptedExtensions;
pub use enums::{
    CipherSuiteId, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion, PskKeyExchangeMode,
    SignatureScheme,
};
pub use extensions::{
    KeyShareEntry, OfferedPsks, OfferedPsksRef, PskIdentity, PskIdentityRef, MAX_OCSP_RESPONSE_LEN,
};
pub use finished::{EndOfEarlyData, Finished};
pub use key_update::KeyUpdate;
pub use new_session_ticket::NewSessionTicket;
pub use server_hello::{
    ServerHello, ServerHelloExtensions, DOWNGRADE_TLS11, DOWNGRADE_TLS12, HRR_RANDOM,
};
pub use views::{ExtensionTypes, KeyShareRef, KeyShares, ProtocolNames, U16List, U8List};

use crate::codec::{put_prefixed, DecodeError, Reader};

/// Largest handshake message body we accept. RFC 8446 allows 2^24-1; real
/// messages, even certificate chains, are far smaller, and the joiner must
/// buffer the whole message, so we bound memory here.
pub const MAX_HANDSHAKE_BODY: usize = 0x2_0000;

/// One handshake message (RFC 8446 §4). A HelloRetryRequest is a
/// `ServerHello` (see [`ServerHello::is_hello_retry_request`]).
// Boxing the hellos would save a few hundred bytes per message in flight,
// but messages are decoded and consumed one at a time, and unboxed variants
// keep construction and matching simple for the state machines.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HandshakeMessage {
    /// client_hello(1)
    ClientHello(ClientHello),
    /// server_hello(2), including HelloRetryRequest
    ServerHello(ServerHello),
    /// encrypted_extensions(8)
    EncryptedExtensions(EncryptedExtensions),
    /// certificate_request(13)
    CertificateRequest(CertificateRequest),
    /// certificate(11)
    Certificate(Certificate),
    /// certificate_verify(15)
    CertificateVerify(CertificateVerify),
    /// finished(20)
    Finished(Finished),
    /// new_session_ticket(4)
    NewSessionTicket(NewSessionTicket),
    /// key_update(24)
    KeyUpdate(KeyUpdate),
    /// end_of_early_data(5)
    EndOfEarlyData,
}

impl HandshakeMessage {
    /// The wire type.
    pub fn typ(&self) -> HandshakeType {
        match self {
            Self::ClientHello(_) => HandshakeType::CLIENT_HELLO,
            Self::ServerHello(_) => HandshakeType::SERVER_HELLO,
            Self::EncryptedExtensions(_) => HandshakeType::ENCRYPTED_EXTENSIONS,
            Self::CertificateRequest(_) => HandshakeType::CERTIFICATE_REQUEST,
            Self::Certificate(_) => HandshakeType::CERTIFICATE,
            Self::CertificateVerify(_) => HandshakeType::CERTIFICATE_VERIFY,
            Self::Finished(_) => HandshakeType::FINISHED,
            Self::NewSessionTicket(_) => HandshakeType::NEW_SESSION_TICKET,
            Self::KeyUpdate(_) => HandshakeType::KEY_UPDATE,
            Self::EndOfEarlyData => HandshakeType::END_OF_EARLY_DATA,
        }
    }

    /// Decodes a body of type `typ`. Types that TLS 1.3 does not define
    /// (including TLS 1.2-only ones and message_hash, which never appears on
    /// the wire) fail with [`DecodeError::UnknownHandshakeType`], whose alert
    /// is unexpected_message.
    pub fn decode(typ: HandshakeType, body: &[u8]) -> Result<Self, DecodeError> {
        if body.len() > MAX_HANDSHAKE_BODY {
            return Err(DecodeError::TooLarge {
                what: "handshake message",
            });
        }
        Ok(match typ {
            HandshakeType::CLIENT_HELLO => Self::ClientHello(ClientHello::decode(body)?),
            HandshakeType::SERVER_HELLO => Self::ServerHello(ServerHello::decode(body)?),
            HandshakeType::ENCRYPTED_EXTENSIONS => {
                Self::EncryptedExtensions(EncryptedExtensions::decode(body)?)
            }
            HandshakeType::CERTIFICATE_REQUEST => {
                Self::CertificateRequest(CertificateRequest::decode(body)?)
            }
            HandshakeType::CERTIFICATE => Self::Certificate(Certificate::decode(body)?),
            HandshakeType::CERTIFICATE_VERIFY => {
                Self::CertificateVerify(CertificateVerify::decode(body)?)
            }
            HandshakeType::FINISHED => Self::Finished(Finished::decode(body)?),
            HandshakeType::NEW_SESSION_TICKET => {
                Self::NewSessionTicket(NewSessionTicket::decode(body)?)
            }
            HandshakeType::KEY_UPDATE => Self::KeyUpdate(KeyUpdate::decode(body)?),
            HandshakeType::END_OF_EARLY_DATA => {
                EndOfEarlyData::decode(body)?;
                Self::EndOfEarlyData
            }
            other => return Err(DecodeError::UnknownHandshakeType(other)),
        })
    }

    /// Decodes one complete message including its 4-byte header; `bytes`
    /// must hold exactly that message.
    pub fn decode_message(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let typ = HandshakeType::read(r.at("handshake header"))?;
        let body = r.sub_u24()?;
        r.finish("handshake message")?;
        let mut body = body;
        Self::decode(typ, body.rest())
    }

    /// Encodes the message with its 4-byte header.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.typ().encode(out);
        put_prefixed(out, 3, |o| match self {
            Self::ClientHello(m) => m.encode(o),
            Self::ServerHello(m) => m.encode(o),
            Self::EncryptedExtensions(m) => m.encode(o),
            Self::CertificateRequest(m) => m.encode(o),
            Self::Certificate(m) => m.encode(o),
            Self::CertificateVerify(m) => m.encode(o),
            Self::Finished(m) => m.encode(o),
            Self::NewSessionTicket(m) => m.encode(o),
            Self::KeyUpdate(m) => m.encode(o),
            Self::EndOfEarlyData => {}
        });
    }

    /// The encoding with its header, as a new vector (what the transcript
    /// hashes, RFC 8446 §4.4.1).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

/// Size of the handshake header: msg_type(1) + uint24 length (RFC 8446 §4).
pub const HANDSHAKE_HEADER_LEN: usize = 4;

/// Parses the 4-byte handshake header at the start of `bytes`: the type and
/// the body length. `None` if fewer than 4 bytes are buffered.
pub fn handshake_header(bytes: &[u8]) -> Option<(HandshakeType, usize)> {
    let mut r = Reader::new(bytes);
    let typ = HandshakeType::read(&mut r).ok()?;
    let len = r.u24().ok()?;
    Some((typ, len as usize))
}
