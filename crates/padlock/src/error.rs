//! The one error type of the TLS core, and the alert each error sends (RFC 8446 §6).

use std::fmt;

use crate::alert::AlertDescription;
use crate::codec::DecodeError;
use crate::crypto::CryptoError;
use crate::msgs::enums::{ExtensionType, ProtocolVersion};
use crate::record::RecordError;

/// Everything that can end a TLS connection, with the facts a person needs.
///
/// Each variant knows the alert RFC 8446 §6 tells us to send ([`Error::alert`]); errors that
/// came *from* the peer (its alert, the transport ending early) send none.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Error {
    /// A handshake message or alert could not be decoded.
    Decode(DecodeError),
    /// The record layer rejected a record (bad MAC, overflow, ...).
    Record(RecordError),
    /// A cryptographic operation failed or a peer's key share was invalid.
    Crypto(CryptoError),
    /// The peer's certificate chain, name or pins did not verify. The
    /// [`padlock_cert::Rejection`] holds the reason (`error`, with its sentence and
    /// [`Error::fix`]), the chain as the peer `presented` it, and the `best_chain` padlock
    /// built, so that they can be shown or logged.
    Certificate(Box<padlock_cert::Rejection>),
    /// The peer's CertificateVerify signature did not verify (RFC 8446 §4.4.3): the
    /// certificate was accepted, but the peer has not shown that it holds its key. As for
    /// [`Error::Certificate`], the [`padlock_cert::Rejection`] says why (`error`), whose
    /// signature it was (`usage`: the sentence and [`Error::fix`] say "the server's" or "the
    /// client's"), the chain as `presented`, and as validated (`best_chain`).
    BadSignature(Box<padlock_cert::Rejection>),
    /// A handshake message arrived that the state machine does not accept here.
    UnexpectedMessage {
        /// What the state machine was waiting for.
        expected: &'static str,
        /// What arrived.
        got: String,
    },
    /// The peer does not speak TLS 1.3: it offered only these versions (RFC 8446 §4.2.1).
    ProtocolVersion {
        /// The versions the peer offered or selected.
        offered: Vec<ProtocolVersion>,
    },
    /// The server's random carries the TLS 1.2/1.1 downgrade sentinel (RFC 8446 §4.1.3).
    DowngradeDetected,
    /// No cipher suite is enabled on both sides.
    NoCommonCipherSuite {
        /// The suites the peer offered (IANA names or hex).
        offered: Vec<String>,
    },
    /// No key-exchange group is enabled on both sides.
    NoCommonGroup {
        /// The groups the peer offered (IANA names or hex).
        offered: Vec<String>,
    },
    /// No signature scheme usable with our key was offered.
    NoCommonSignatureScheme,
    /// The server has no certificate for the requested name.
    NoCertificate {
        /// The name the client asked for.
        server_name: Option<String>,
    },
    /// The server requires a client certificate and the client sent none (RFC 8446 §4.4.2.4).
    CertificateRequired,
    /// ALPN: no protocol is acceptable to both sides (RFC 7301 §3.2).
    NoApplicationProtocol {
        /// The protocols the peer offered.
        offered: Vec<String>,
    },
    /// A mandatory extension is missing (RFC 8446 §9.2).
    MissingExtension(&'static str),
    /// The peer answered with an extension we did not offer (RFC 8446 §4.2).
    UnsupportedExtension(ExtensionType),
    /// A field has a value the RFC forbids.
    IllegalParameter(&'static str),
    /// A PSK binder did not verify (RFC 8446 §4.2.11): the ClientHello was altered or the
    /// client does not hold the ticket's key.
    BadPskBinder,
    /// The peer's Finished did not match our transcript (RFC 8446 §4.4.4).
    BadFinished,
    /// The peer sent a fatal alert.
    PeerAlert(AlertDescription),
    /// The transport ended without close_notify: the data may have been cut short (RFC 8446 §6.1).
    Truncated,
    /// Application data was written or read before the handshake allowed it.
    HandshakeNotComplete,
    /// The connection was already closed or failed.
    ConnectionClosed,
    /// A limit we set on a peer-controlled quantity was exceeded.
    LimitExceeded(&'static str),
    /// An invalid local configuration (no suites, unreadable key, ...).
    Config(String),
    /// A bug or an impossible state: never caused by the peer's bytes.
    Internal(&'static str),
}

impl Error {
    /// The alert to send for this error, or `None` when the error came from the peer.
    pub fn alert(&self) -> Option<AlertDescription> {
        use AlertDescription as A;
        Some(match self {
            Error::Decode(e) => e.alert(),
            Error::Record(e) => AlertDescription(e.alert_code()),
            Error::Crypto(crate::crypto::CryptoError::InvalidPeerShare) => A::ILLEGAL_PARAMETER,
            Error::Crypto(_) => A::INTERNAL_ERROR,
            Error::Certificate(r) => AlertDescription(r.error.tls_alert()),
            Error::BadSignature(_) => A::DECRYPT_ERROR,
            Error::UnexpectedMessage { .. } => A::UNEXPECTED_MESSAGE,
            Error::ProtocolVersion { .. } => A::PROTOCOL_VERSION,
            Error::DowngradeDetected => A::ILLEGAL_PARAMETER,
            Error::NoCommonCipherSuite { .. }
            | Error::NoCommonGroup { .. }
            | Error::NoCommonSignatureScheme => A::HANDSHAKE_FAILURE,
            Error::NoCertificate { .. } => A::UNRECOGNIZED_NAME,
            Error::NoApplicationProtocol { .. } => A::NO_APPLICATION_PROTOCOL,
            Error::CertificateRequired => A::CERTIFICATE_REQUIRED,
            Error::MissingExtension(_) => A::MISSING_EXTENSION,
            Error::UnsupportedExtension(_) => A::UNSUPPORTED_EXTENSION,
            Error::IllegalParameter(_) => A::ILLEGAL_PARAMETER,
            Error::BadFinished | Error::BadPskBinder => A::DECRYPT_ERROR,
            Error::LimitExceeded(_) => A::INTERNAL_ERROR,
            Error::Config(_) | Error::Internal(_) => A::INTERNAL_ERROR,
            Error::PeerAlert(_)
            | Error::Truncated
            | Error::HandshakeNotComplete
            | Error::ConnectionClosed => return None,
        })
    }
}

impl Error {
    /// A suggested fix, for the errors where padlock can tell what would help (certificate
    /// problems: [`padlock_cert::Rejection::fix`], which words it for a server's or a
    /// client's certificate, or [`padlock_cert::CertError::fix`]).
    pub fn fix(&self) -> Option<String> {
        match self {
            Error::Certificate(r) => Some(r.fix()),
            Error::BadSignature(r) => Some(r.fix()),
            _ => None,
        }
    }

    /// The certificate error behind [`Error::Certificate`] or [`Error::BadSignature`].
    pub fn certificate_error(&self) -> Option<&padlock_cert::CertError> {
        match self {
            Error::Certificate(r) => Some(&r.error),
            Error::BadSignature(r) => Some(&r.error),
            _ => None,
        }
    }

    /// For [`Error::Certificate`] and [`Error::BadSignature`]: the rejection with the
    /// presented and best-built (for a bad signature: validated) chains.
    pub fn rejection(&self) -> Option<&padlock_cert::Rejection> {
        match self {
            Error::Certificate(r) | Error::BadSignature(r) => Some(r),
            _ => None,
        }
    }
}

fn join(items: &[String]) -> String {
    if items.is_empty() {
        "nothing".to_string()
    } else {
        items.join(", ")
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Decode(e) => write!(f, "malformed message from the peer: {e}"),
            Error::Record(e) => write!(f, "record layer: {e}"),
            Error::Crypto(e) => write!(f, "cryptography: {e}"),
            Error::Certificate(r) => write!(f, "{r}"),
            Error::BadSignature(r) => write!(
                f,
                "{r} Without a valid CertificateVerify, the {} has not proved that it holds its certificate's private key.",
                match r.usage {
                    padlock_cert::Usage::ServerAuth => "server",
                    padlock_cert::Usage::ClientAuth => "client",
                }
            ),
            Error::UnexpectedMessage { expected, got } => {
                write!(f, "unexpected message: expected {expected}, got {got}")
            }
            Error::ProtocolVersion { offered } => {
                let names: Vec<String> = offered.iter().map(|v| format!("{v:?}")).collect();
                write!(
                    f,
                    "the peer does not support TLS 1.3; it offered only {}",
                    join(&names)
                )
            }
            Error::DowngradeDetected => write!(
                f,
                "the server signalled a downgrade to an older TLS version (RFC 8446 §4.1.3): a man in the middle may be stripping TLS 1.3"
            ),
            Error::NoCommonCipherSuite { offered } => write!(
                f,
                "no cipher suite in common; the peer offered {}",
                join(offered)
            ),
            Error::NoCommonGroup { offered } => write!(
                f,
                "no key-exchange group in common; the peer offered {}",
                join(offered)
            ),
            Error::NoCommonSignatureScheme => {
                write!(f, "no signature scheme in common with our certificate's key")
            }
            Error::NoCertificate { server_name } => match server_name {
                Some(n) => write!(f, "no certificate configured for the name {n:?}"),
                None => write!(f, "no certificate configured for a client that sent no name"),
            },
            Error::CertificateRequired => write!(
                f,
                "this server requires a client certificate and none was sent"
            ),
            Error::NoApplicationProtocol { offered } => write!(
                f,
                "no application protocol (ALPN) in common; the peer offered {}",
                join(offered)
            ),
            Error::MissingExtension(what) => write!(f, "the peer left out a required extension: {what}"),
            Error::UnsupportedExtension(e) => {
                write!(f, "the peer answered with an extension we did not offer: {e:?}")
            }
            Error::IllegalParameter(what) => write!(f, "illegal parameter: {what}"),
            Error::BadFinished => write!(
                f,
                "the peer's Finished message does not match the handshake: the handshake was tampered with or the keys disagree"
            ),
            Error::BadPskBinder => write!(
                f,
                "the resumption binder does not match: the ClientHello was altered or the ticket's key is wrong"
            ),
            Error::PeerAlert(a) => write!(f, "the peer sent a fatal alert: {a}"),
            Error::Truncated => write!(
                f,
                "the connection ended without close_notify: the data may have been cut short"
            ),
            Error::HandshakeNotComplete => write!(f, "the handshake has not completed yet"),
            Error::ConnectionClosed => write!(f, "the connection is closed"),
            Error::LimitExceeded(what) => write!(f, "limit exceeded: {what}"),
            Error::Config(what) => write!(f, "configuration: {what}"),
            Error::Internal(what) => write!(f, "internal error: {what}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error::Decode(e)
    }
}

impl From<RecordError> for Error {
    fn from(e: RecordError) -> Self {
        Error::Record(e)
    }
}

impl From<CryptoError> for Error {
    fn from(e: CryptoError) -> Self {
        Error::Crypto(e)
    }
}
