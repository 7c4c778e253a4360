//! The TLS 1.3 record layer (RFC 8446 §5), sans-I/O.
//!
//! - [`Deframer`] splits the received byte stream into records inside one
//!   bounded receive buffer; payloads are handed out as `&mut [u8]` so that
//!   [`RecordOpener`] decrypts them where they lie.
//! - [`RecordSealer`] / [`RecordOpener`] apply the per-record AEAD protection
//!   of §5.2–§5.5.
//! - [`HandshakeJoiner`] reassembles handshake messages across records (§5.1).
//! - [`write_plain_record`], [`check_plain_record`] and [`check_ccs`] cover the
//!   unprotected records of the start of the handshake.

mod deframer;
mod error;
mod joiner;
mod plain;
mod protect;

use core::fmt;

pub use deframer::{Deframer, Record, DEFAULT_BUFFER_LIMIT};
pub use error::RecordError;
pub use joiner::{
    HandshakeJoiner, SplitMessage, DEFAULT_MAX_HANDSHAKE_MESSAGE_LEN, HANDSHAKE_HEADER_LEN,
};
pub use plain::{
    check_ccs, check_plain_record, write_plain_record, write_plain_record_with_version, CCS_RECORD,
};
pub use protect::{RecordOpener, RecordSealer};

/// The largest `TLSPlaintext.fragment` (and `TLSInnerPlaintext.content`), RFC 8446 §5.1.
pub const MAX_PLAINTEXT_LEN: usize = 1 << 14;

/// The largest `TLSCiphertext.encrypted_record`, RFC 8446 §5.2: 2^14 content
/// + 1 content type + at most 255 bytes of AEAD expansion.
pub const MAX_CIPHERTEXT_LEN: usize = (1 << 14) + 256;

/// `type || legacy_record_version || length`, RFC 8446 §5.1.
pub const RECORD_HEADER_LEN: usize = 5;

/// The largest record on the wire, header included.
pub const MAX_RECORD_WIRE_LEN: usize = RECORD_HEADER_LEN + MAX_CIPHERTEXT_LEN;

/// `legacy_record_version` of every record we send except possibly the first
/// ClientHello (RFC 8446 §5.1).
pub const TLS12_RECORD_VERSION: u16 = 0x0303;

/// `legacy_record_version` an initial ClientHello SHOULD carry for middlebox
/// compatibility (RFC 8446 §5.1).
pub const TLS10_RECORD_VERSION: u16 = 0x0301;

/// The record-level `ContentType` of RFC 8446 §5.1. A newtype, so unknown
/// values survive decoding and can be reported.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentType(pub u8);

impl ContentType {
    /// `invalid(0)`: never valid on the wire.
    pub const INVALID: Self = Self(0);
    /// `change_cipher_spec(20)`: only for middlebox compatibility (RFC 8446 §D.4).
    pub const CHANGE_CIPHER_SPEC: Self = Self(20);
    /// `alert(21)`, RFC 8446 §6.
    pub const ALERT: Self = Self(21);
    /// `handshake(22)`, RFC 8446 §4.
    pub const HANDSHAKE: Self = Self(22);
    /// `application_data(23)`; also the outer type of every protected record (§5.2).
    pub const APPLICATION_DATA: Self = Self(23);

    /// The IANA name, if the value is one RFC 8446 defines.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::INVALID => "invalid",
            Self::CHANGE_CIPHER_SPEC => "change_cipher_spec",
            Self::ALERT => "alert",
            Self::HANDSHAKE => "handshake",
            Self::APPLICATION_DATA => "application_data",
            _ => return None,
        })
    }

    /// Whether a record of this type may appear on the wire: the four types
    /// RFC 8446 §5 defines (`invalid` excluded). Anything else is an
    /// unexpected record type (§5: unexpected_message).
    pub fn is_known(self) -> bool {
        matches!(
            self,
            Self::CHANGE_CIPHER_SPEC | Self::ALERT | Self::HANDSHAKE | Self::APPLICATION_DATA
        )
    }
}

impl fmt::Debug for ContentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "ContentType({})", self.0),
        }
    }
}

impl From<u8> for ContentType {
    fn from(value: u8) -> Self {
        Self(value)
    }
}

/// Encodes a record header. `len` must not exceed `u16::MAX`; every caller
/// passes a length already bounded by [`MAX_CIPHERTEXT_LEN`].
pub(crate) fn header(typ: ContentType, version: u16, len: usize) -> [u8; RECORD_HEADER_LEN] {
    let [v0, v1] = version.to_be_bytes();
    let [l0, l1] = u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes();
    [typ.0, v0, v1, l0, l1]
}

#[cfg(test)]
mod tests;
