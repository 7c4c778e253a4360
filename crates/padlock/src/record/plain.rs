//! Unprotected records: the ClientHello/ServerHello phase, alerts sent before
//! keys exist, and the middlebox-compatibility change_cipher_spec.

use super::{
    header, ContentType, RecordError, MAX_PLAINTEXT_LEN, RECORD_HEADER_LEN, TLS12_RECORD_VERSION,
};

/// The dummy change_cipher_spec record of middlebox compatibility mode
/// (RFC 8446 §D.4), sent unprotected.
pub const CCS_RECORD: [u8; 6] = [20, 3, 3, 0, 1, 1];

/// Appends `payload` as unprotected records of type `typ` with
/// `legacy_record_version` 0x0303, split into fragments of at most 2^14 bytes
/// (RFC 8446 §5.1). Empty `payload` writes nothing (§5.1 forbids zero-length
/// handshake fragments).
pub fn write_plain_record(typ: ContentType, payload: &[u8], out: &mut Vec<u8>) {
    write_plain_record_with_version(typ, TLS12_RECORD_VERSION, payload, out);
}

/// [`write_plain_record`] with an explicit `legacy_record_version`: an initial
/// ClientHello may use 0x0301 (RFC 8446 §5.1); everything else uses 0x0303.
pub fn write_plain_record_with_version(
    typ: ContentType,
    version: u16,
    payload: &[u8],
    out: &mut Vec<u8>,
) {
    let records = payload.len().div_ceil(MAX_PLAINTEXT_LEN);
    out.reserve(payload.len() + records * RECORD_HEADER_LEN);
    for fragment in payload.chunks(MAX_PLAINTEXT_LEN) {
        out.extend_from_slice(&header(typ, version, fragment.len()));
        out.extend_from_slice(fragment);
    }
}

/// Checks an unprotected record received before the peer's keys are in use
/// (RFC 8446 §5.1): at most 2^14 bytes, never application data, and no empty
/// handshake or alert fragments. A change_cipher_spec record also needs
/// [`check_ccs`].
pub fn check_plain_record(typ: ContentType, payload: &[u8]) -> Result<(), RecordError> {
    if payload.len() > MAX_PLAINTEXT_LEN {
        return Err(RecordError::RecordOverflow);
    }
    match typ {
        ContentType::APPLICATION_DATA => Err(RecordError::UnexpectedMessage(
            "application data before record protection", // §5.1, §2
        )),
        ContentType::HANDSHAKE | ContentType::ALERT if payload.is_empty() => Err(
            RecordError::UnexpectedMessage("zero-length handshake or alert record"),
        ),
        t if !t.is_known() => Err(RecordError::UnexpectedContentType(t.0)),
        _ => Ok(()),
    }
}

/// RFC 8446 §5: an unprotected change_cipher_spec record consisting of the
/// single byte 0x01 is dropped during the handshake; any other value is an
/// unexpected_message. (The caller decides whether a CCS is allowed at this
/// point of the handshake at all.)
pub fn check_ccs(payload: &[u8]) -> Result<(), RecordError> {
    if payload == [1] {
        Ok(())
    } else {
        Err(RecordError::UnexpectedMessage(
            "change_cipher_spec with a value other than 0x01",
        ))
    }
}
