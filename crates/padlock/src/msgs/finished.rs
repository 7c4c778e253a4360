//! Finished and EndOfEarlyData (RFC 8446 §4.4.4, §4.5).

use crate::codec::{DecodeError, Reader};

/// `Finished` (RFC 8446 §4.4.4): `opaque verify_data[Hash.length]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finished {
    /// The HMAC over the transcript; compare in constant time.
    pub verify_data: Vec<u8>,
}

impl Finished {
    /// Decodes the body. Every TLS 1.3 suite hashes with SHA-256 or SHA-384
    /// (RFC 8446 §B.4), so other lengths are malformed; the state machine
    /// still checks the length against the negotiated hash.
    pub fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        if body.len() != 32 && body.len() != 48 {
            return Err(DecodeError::Invalid {
                what: "Finished",
                reason: "verify_data is neither 32 nor 48 bytes",
            });
        }
        Ok(Self {
            verify_data: body.to_vec(),
        })
    }

    /// Encodes the body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.verify_data);
    }
}

/// `EndOfEarlyData` (RFC 8446 §4.5): an empty body.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EndOfEarlyData;

impl EndOfEarlyData {
    /// Decodes the (empty) body.
    pub fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        Reader::new(body).finish("EndOfEarlyData")?;
        Ok(Self)
    }

    /// Encodes the (empty) body.
    pub fn encode(&self, _out: &mut Vec<u8>) {}
}
