use core::fmt;

/// A record-layer failure. Every variant maps to the RFC 8446 §6 alert the
/// connection must send before closing ([`RecordError::alert_code`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordError {
    /// A record or its inner plaintext exceeds the §5.1/§5.2/§5.4 limits.
    RecordOverflow,
    /// AEAD authentication failed (§5.2).
    BadRecordMac,
    /// A record type RFC 8446 does not define (§5: unexpected_message).
    UnexpectedContentType(u8),
    /// A record header or message header that cannot be parsed.
    DecodeError(&'static str),
    /// The caller's usage limit for this traffic key is reached (§5.5):
    /// the connection must have updated its keys earlier.
    KeyLimitReached,
    /// The 64-bit sequence number would wrap, which §5.3 forbids.
    SequenceExhausted,
    /// A structurally valid record that the protocol forbids here.
    UnexpectedMessage(&'static str),
    /// A handshake message longer than the configured maximum.
    HandshakeTooLarge,
    /// Key material of the wrong length for the AEAD (a bug in the caller).
    InvalidKey,
    /// A misuse of the API or a failure inside the AEAD implementation.
    Internal(&'static str),
}

impl RecordError {
    /// The RFC 8446 §6 AlertDescription to send for this error.
    pub fn alert_code(&self) -> u8 {
        match self {
            Self::UnexpectedContentType(_) | Self::UnexpectedMessage(_) => 10, // unexpected_message
            Self::BadRecordMac => 20,                                          // bad_record_mac
            Self::RecordOverflow => 22,                                        // record_overflow
            // decode_error, as rustls does for oversized handshake messages:
            // the length field is out of the range this endpoint accepts.
            Self::DecodeError(_) | Self::HandshakeTooLarge => 50,
            Self::KeyLimitReached
            | Self::SequenceExhausted
            | Self::InvalidKey
            | Self::Internal(_) => 80, // internal_error
        }
    }
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RecordOverflow => f.write_str("record exceeds the TLS 1.3 size limit"),
            Self::BadRecordMac => f.write_str("record failed authentication (bad_record_mac)"),
            Self::UnexpectedContentType(t) => write!(f, "unknown record content type {t}"),
            Self::DecodeError(what) => write!(f, "malformed {what}"),
            Self::KeyLimitReached => f.write_str("usage limit of the traffic key reached"),
            Self::SequenceExhausted => f.write_str("record sequence number exhausted"),
            Self::UnexpectedMessage(what) => write!(f, "unexpected message: {what}"),
            Self::HandshakeTooLarge => f.write_str("handshake message exceeds the size limit"),
            Self::InvalidKey => f.write_str("traffic key has the wrong length for its AEAD"),
            Self::Internal(what) => write!(f, "internal record-layer error: {what}"),
        }
    }
}

impl std::error::Error for RecordError {}
