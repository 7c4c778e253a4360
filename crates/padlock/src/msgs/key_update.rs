//! KeyUpdate (RFC 8446 §4.6.3).

use crate::codec::{DecodeError, Reader};

/// `KeyUpdate` (RFC 8446 §4.6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyUpdate {
    /// `update_requested(1)` versus `update_not_requested(0)`.
    pub update_requested: bool,
}

impl KeyUpdate {
    /// Decodes the body. RFC 8446 §4.6.3: any value other than 0 or 1
    /// MUST be answered with illegal_parameter.
    pub fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let v = r.at("KeyUpdate").u8()?;
        r.finish("KeyUpdate")?;
        match v {
            0 => Ok(Self {
                update_requested: false,
            }),
            1 => Ok(Self {
                update_requested: true,
            }),
            _ => Err(DecodeError::IllegalParameter {
                what: "KeyUpdate",
                reason: "request_update is neither 0 nor 1",
            }),
        }
    }

    /// Encodes the body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(u8::from(self.update_requested));
    }
}
