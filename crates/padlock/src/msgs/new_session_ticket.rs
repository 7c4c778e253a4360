//! NewSessionTicket (RFC 8446 §4.6.1).

use crate::codec::{put_bytes, put_prefixed, put_u32, DecodeError, Reader};

use super::enums::ExtensionType;
use super::extensions::{check_allowed, put_extension, read_block, ExtensionContext};

/// `NewSessionTicket` (RFC 8446 §4.6.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSessionTicket {
    /// `ticket_lifetime` in seconds; RFC 8446 §4.6.1 caps it at 604800,
    /// which the client enforces.
    pub lifetime: u32,
    /// `ticket_age_add`.
    pub age_add: u32,
    /// `opaque ticket_nonce<0..255>`.
    pub nonce: Vec<u8>,
    /// `opaque ticket<1..2^16-1>`.
    pub ticket: Vec<u8>,
    /// early_data's max_early_data_size (RFC 8446 §4.2.10).
    pub max_early_data_size: Option<u32>,
}

impl NewSessionTicket {
    /// Decodes the body. Unknown extensions are ignored.
    pub fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let lifetime = r.at("ticket_lifetime").u32()?;
        let age_add = r.at("ticket_age_add").u32()?;
        let nonce = r.at("ticket_nonce").bytes_u8(0)?.to_vec();
        let ticket = r.at("ticket").bytes_u16(1)?.to_vec();
        let block = read_block(&mut r)?;
        r.finish("NewSessionTicket")?;
        check_allowed(
            block.types.iter().copied(),
            ExtensionContext::NewSessionTicket,
        )?;
        let mut max_early_data_size = None;
        for (typ, mut data) in block.entries {
            if typ == ExtensionType::EARLY_DATA {
                max_early_data_size = Some(data.u32()?);
                data.finish("early_data")?;
            }
        }
        Ok(Self {
            lifetime,
            age_add,
            nonce,
            ticket,
            max_early_data_size,
        })
    }

    /// Encodes the body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, self.lifetime);
        put_u32(out, self.age_add);
        put_bytes(out, 1, &self.nonce);
        put_bytes(out, 2, &self.ticket);
        put_prefixed(out, 2, |o| {
            if let Some(max) = self.max_early_data_size {
                put_extension(o, ExtensionType::EARLY_DATA, |o| put_u32(o, max));
            }
        });
    }
}
