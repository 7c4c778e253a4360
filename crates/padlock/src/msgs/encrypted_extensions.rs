//! EncryptedExtensions (RFC 8446 §4.3.1).

use crate::codec::{put_prefixed, DecodeError, Reader};

use super::enums::{ExtensionType, NamedGroup};
use super::extensions::{
    check_allowed, put_alpn, put_extension, put_groups, read_alpn, read_block, read_empty,
    read_groups, ExtensionContext,
};

/// `EncryptedExtensions` (RFC 8446 §4.3.1). Encoding writes only what is
/// set; `present` is ignored when encoding.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EncryptedExtensions {
    /// An empty server_name: the server used the client's SNI (RFC 6066 §3).
    pub server_name_ack: bool,
    /// The server's supported_groups, a hint for later connections
    /// (RFC 8446 §4.2.7).
    pub supported_groups: Option<Vec<NamedGroup>>,
    /// The selected ALPN protocol (RFC 7301 §3.1: exactly one).
    pub alpn: Option<Vec<u8>>,
    /// The server accepted 0-RTT data (RFC 8446 §4.2.10).
    pub early_data: bool,
    /// Every extension type in wire order, including unknown ones.
    pub present: Vec<ExtensionType>,
}

impl EncryptedExtensions {
    /// Decodes the body.
    pub fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let block = read_block(&mut r)?;
        r.finish("EncryptedExtensions")?;
        check_allowed(
            block.types.iter().copied(),
            ExtensionContext::EncryptedExtensions,
        )?;
        let mut ee = EncryptedExtensions {
            present: block.types,
            ..Default::default()
        };
        for (typ, mut data) in block.entries {
            let d = &mut data;
            match typ {
                ExtensionType::SERVER_NAME => {
                    read_empty(d)?;
                    ee.server_name_ack = true;
                }
                ExtensionType::SUPPORTED_GROUPS => ee.supported_groups = Some(read_groups(d)?),
                ExtensionType::ALPN => {
                    let mut list = read_alpn(d)?;
                    // RFC 7301 §3.1: the server's list "MUST contain exactly
                    // one" protocol.
                    match (list.pop(), list.is_empty()) {
                        (Some(p), true) => ee.alpn = Some(p),
                        _ => {
                            return Err(DecodeError::Invalid {
                                what: "application_layer_protocol_negotiation",
                                reason: "server selected more than one protocol",
                            })
                        }
                    }
                }
                ExtensionType::EARLY_DATA => {
                    read_empty(d)?;
                    ee.early_data = true;
                }
                _ => {}
            }
        }
        Ok(ee)
    }

    /// Encodes the body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_prefixed(out, 2, |o| {
            if self.server_name_ack {
                put_extension(o, ExtensionType::SERVER_NAME, |_| {});
            }
            if let Some(g) = &self.supported_groups {
                put_extension(o, ExtensionType::SUPPORTED_GROUPS, |o| put_groups(o, g));
            }
            if let Some(p) = &self.alpn {
                put_extension(o, ExtensionType::ALPN, |o| put_alpn(o, [p.as_slice()]));
            }
            if self.early_data {
                put_extension(o, ExtensionType::EARLY_DATA, |_| {});
            }
        });
    }
}
