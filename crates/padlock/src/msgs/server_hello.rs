//! ServerHello and HelloRetryRequest (RFC 8446 §4.1.3, §4.1.4).

use crate::codec::{put_bytes, put_prefixed, DecodeError, Reader};

use super::enums::{CipherSuiteId, ExtensionType, NamedGroup, ProtocolVersion};
use super::extensions::{
    check_allowed, put_extension, put_u16_ext, read_block, read_cookie, read_u16_exact,
    ExtensionContext, KeyShareEntry,
};

/// The ServerHello.random that marks a HelloRetryRequest: SHA-256 of
/// "HelloRetryRequest" (RFC 8446 §4.1.3).
pub const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// Last 8 bytes of ServerHello.random from a TLS 1.3-capable server that
/// negotiated TLS 1.2 (RFC 8446 §4.1.3).
pub const DOWNGRADE_TLS12: [u8; 8] = *b"DOWNGRD\x01";

/// Last 8 bytes of ServerHello.random from a TLS 1.3-capable server that
/// negotiated TLS 1.1 or below (RFC 8446 §4.1.3).
pub const DOWNGRADE_TLS11: [u8; 8] = *b"DOWNGRD\x00";

/// `ServerHello` (RFC 8446 §4.1.3); also carries HelloRetryRequests, which
/// share its wire type and differ only by [`HRR_RANDOM`] (§4.1.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerHello {
    /// Always 0x0303 in TLS 1.3; the version is in `supported_version`.
    pub legacy_version: ProtocolVersion,
    /// 32 bytes; [`HRR_RANDOM`] for a HelloRetryRequest.
    pub random: [u8; 32],
    /// `opaque legacy_session_id_echo<0..32>`.
    pub legacy_session_id_echo: Vec<u8>,
    /// The selected suite.
    pub cipher_suite: CipherSuiteId,
    /// Must be 0 (the client checks, RFC 8446 §4.1.3).
    pub compression_method: u8,
    /// The extensions we understand, plus all types present.
    pub extensions: ServerHelloExtensions,
}

/// ServerHello / HelloRetryRequest extensions. Encoding writes only the
/// fields that are set (for a HelloRetryRequest, `selected_group` instead
/// of `key_share`); `present` is ignored when encoding.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerHelloExtensions {
    /// supported_versions' selected_version (RFC 8446 §4.2.1).
    pub supported_version: Option<ProtocolVersion>,
    /// key_share's server_share (ServerHello only, RFC 8446 §4.2.8).
    pub key_share: Option<KeyShareEntry>,
    /// key_share's selected_group (HelloRetryRequest only).
    pub selected_group: Option<NamedGroup>,
    /// cookie (HelloRetryRequest only, RFC 8446 §4.2.2).
    pub cookie: Option<Vec<u8>>,
    /// pre_shared_key's selected_identity (ServerHello only, §4.2.11).
    pub pre_shared_key: Option<u16>,
    /// Every extension type in wire order, including unknown ones.
    pub present: Vec<ExtensionType>,
}

impl ServerHello {
    /// True when this is a HelloRetryRequest (RFC 8446 §4.1.3).
    pub fn is_hello_retry_request(&self) -> bool {
        self.random == HRR_RANDOM
    }

    /// Decodes a ServerHello or HelloRetryRequest body.
    pub fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let legacy_version = ProtocolVersion::read(r.at("legacy_version"))?;
        let random: [u8; 32] = r.at("random").array()?;
        let session_id = r.at("legacy_session_id_echo").bytes_u8(0)?;
        if session_id.len() > 32 {
            return Err(DecodeError::Invalid {
                what: "legacy_session_id_echo",
                reason: "longer than 32 bytes",
            });
        }
        let cipher_suite = CipherSuiteId::read(r.at("cipher_suite"))?;
        let compression_method = r.at("legacy_compression_method").u8()?;
        // A TLS 1.2 ServerHello may have no extensions (RFC 5246 §7.4.1.3);
        // decode it so the client can answer protocol_version.
        let extensions = if r.is_empty() {
            ServerHelloExtensions::default()
        } else {
            ServerHelloExtensions::read(&mut r, random == HRR_RANDOM)?
        };
        r.finish("ServerHello")?;
        Ok(Self {
            legacy_version,
            random,
            legacy_session_id_echo: session_id.to_vec(),
            cipher_suite,
            compression_method,
            extensions,
        })
    }

    /// Encodes the body; a HelloRetryRequest (by its random) gets
    /// `selected_group` as its key_share.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.legacy_version.encode(out);
        out.extend_from_slice(&self.random);
        put_bytes(out, 1, &self.legacy_session_id_echo);
        self.cipher_suite.encode(out);
        out.push(self.compression_method);
        self.extensions.encode(out, self.is_hello_retry_request());
    }
}

impl ServerHelloExtensions {
    fn read(r: &mut Reader<'_>, hrr: bool) -> Result<Self, DecodeError> {
        let block = read_block(r)?;
        let mut ext = ServerHelloExtensions {
            present: block.types,
            ..Default::default()
        };
        // Without supported_versions this is a TLS 1.2 (or older) ServerHello
        // whose extensions follow older rules (e.g. ALPN and server_name
        // live in it): RFC 8446 §4.2's table does not apply and the client
        // rejects the version, so only `present` is filled in.
        if !ext.present.contains(&ExtensionType::SUPPORTED_VERSIONS) {
            return Ok(ext);
        }
        let ctx = if hrr {
            ExtensionContext::HelloRetryRequest
        } else {
            ExtensionContext::ServerHello
        };
        check_allowed(ext.present.iter().copied(), ctx)?;
        for (typ, mut data) in block.entries {
            let d = &mut data;
            match typ {
                ExtensionType::SUPPORTED_VERSIONS => {
                    ext.supported_version = Some(ProtocolVersion(read_u16_exact(d)?))
                }
                // RFC 8446 §4.2.8: a HelloRetryRequest's key_share is a bare
                // NamedGroup.
                ExtensionType::KEY_SHARE if hrr => {
                    ext.selected_group = Some(NamedGroup(read_u16_exact(d)?))
                }
                ExtensionType::KEY_SHARE => {
                    let share = KeyShareEntry::read(d)?;
                    d.finish("key_share")?;
                    ext.key_share = Some(share);
                }
                ExtensionType::COOKIE => ext.cookie = Some(read_cookie(d)?),
                ExtensionType::PRE_SHARED_KEY => ext.pre_shared_key = Some(read_u16_exact(d)?),
                _ => {}
            }
        }
        Ok(ext)
    }

    fn encode(&self, out: &mut Vec<u8>, hrr: bool) {
        put_prefixed(out, 2, |o| {
            if hrr {
                if let Some(g) = self.selected_group {
                    put_u16_ext(o, ExtensionType::KEY_SHARE, g.0);
                }
            } else if let Some(share) = &self.key_share {
                put_extension(o, ExtensionType::KEY_SHARE, |o| share.encode(o));
            }
            if let Some(id) = self.pre_shared_key {
                put_u16_ext(o, ExtensionType::PRE_SHARED_KEY, id);
            }
            if let Some(cookie) = &self.cookie {
                put_extension(o, ExtensionType::COOKIE, |o| put_bytes(o, 2, cookie));
            }
            if let Some(v) = self.supported_version {
                put_u16_ext(o, ExtensionType::SUPPORTED_VERSIONS, v.0);
            }
        });
    }
}
