//! The ClientHello parser (RFC 8446 §4.1.2): a view borrowing the message body.
//!
//! The server consumes a ClientHello where it arrives, so it reads this view and copies
//! out only what outlives the message; [`ClientHello::decode`] copies all of it for tools
//! and tests. Both go through [`ClientHelloRef::parse`], so they accept and reject the
//! same bytes with the same errors.

use crate::codec::{DecodeError, Reader};

use super::client_hello::{ClientExtensions, ClientHello};
use super::enums::{
    CipherSuiteId, ExtensionType, NamedGroup, ProtocolVersion, PskKeyExchangeMode, SignatureScheme,
};
use super::extensions::{
    check_allowed, read_block_in_place, read_cookie_bytes, read_empty, read_group_list,
    read_protocol_names, read_scheme_list, read_server_name, read_status_request, read_versions,
    ExtensionContext, KeyShareEntry, OfferedPsksRef,
};
use super::views::{ExtensionTypes, KeyShares, ProtocolNames, U16List, U8List};

/// A `ClientHello` (RFC 8446 §4.1.2) borrowed from its body, validated as
/// [`ClientHello::decode`] validates it.
#[derive(Clone, Debug)]
pub struct ClientHelloRef<'a> {
    /// 0x0303 from TLS 1.3 clients; lower from legacy peers.
    pub legacy_version: ProtocolVersion,
    /// 32 random bytes.
    pub random: [u8; 32],
    /// `opaque legacy_session_id<0..32>`.
    pub legacy_session_id: &'a [u8],
    /// `CipherSuite cipher_suites<2..2^16-2>`: never empty.
    pub cipher_suites: U16List<'a, CipherSuiteId>,
    /// `opaque legacy_compression_methods<1..2^8-1>`.
    pub compression_methods: &'a [u8],
    /// The extensions we understand, plus the types of all present.
    pub extensions: ClientExtensionsRef<'a>,
}

/// The ClientHello extensions we interpret, borrowed (see [`ClientExtensions`]).
#[derive(Clone, Debug, Default)]
pub struct ClientExtensionsRef<'a> {
    /// server_name's host_name (RFC 6066 §3).
    pub server_name: Option<&'a str>,
    /// supported_versions (RFC 8446 §4.2.1).
    pub supported_versions: Option<U16List<'a, ProtocolVersion>>,
    /// supported_groups (RFC 8446 §4.2.7).
    pub supported_groups: Option<U16List<'a, NamedGroup>>,
    /// signature_algorithms (RFC 8446 §4.2.3).
    pub signature_algorithms: Option<U16List<'a, SignatureScheme>>,
    /// signature_algorithms_cert (RFC 8446 §4.2.3).
    pub signature_algorithms_cert: Option<U16List<'a, SignatureScheme>>,
    /// key_share's client_shares; may be empty (RFC 8446 §4.2.8).
    pub key_shares: Option<KeyShares<'a>>,
    /// application_layer_protocol_negotiation (RFC 7301).
    pub alpn: Option<ProtocolNames<'a>>,
    /// cookie echoed from a HelloRetryRequest (RFC 8446 §4.2.2).
    pub cookie: Option<&'a [u8]>,
    /// psk_key_exchange_modes (RFC 8446 §4.2.9).
    pub psk_modes: Option<U8List<'a, PskKeyExchangeMode>>,
    /// early_data indication (RFC 8446 §4.2.10).
    pub early_data: bool,
    /// status_request asking for an OCSP response (RFC 6066 §8).
    pub status_request: bool,
    /// pre_shared_key (RFC 8446 §4.2.11); always the last extension.
    pub pre_shared_key: Option<OfferedPsksRef<'a>>,
    /// Every extension type in wire order, including unknown ones.
    pub present: ExtensionTypes<'a>,
}

impl<'a> ClientHelloRef<'a> {
    /// Parses a ClientHello body (without the handshake header).
    pub fn parse(body: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let legacy_version = ProtocolVersion::read(r.at("legacy_version"))?;
        let random = r.at("random").array()?;
        let legacy_session_id = r.at("legacy_session_id").bytes_u8(0)?;
        if legacy_session_id.len() > 32 {
            return Err(DecodeError::Invalid {
                what: "legacy_session_id",
                reason: "longer than 32 bytes",
            });
        }
        let cipher_suites = U16List::new(r.at("cipher_suites").sub_u16()?.fixed_list(2)?);
        let compression_methods = r.at("legacy_compression_methods").bytes_u8(1)?;
        // Pre-TLS 1.3 clients may omit the extensions block entirely
        // (RFC 5246 §7.4.1.2); they still decode so the server can answer
        // with protocol_version rather than decode_error.
        let extensions = if r.is_empty() {
            ClientExtensionsRef::default()
        } else {
            ClientExtensionsRef::read(&mut r)?
        };
        r.finish("ClientHello")?;
        Ok(Self {
            legacy_version,
            random,
            legacy_session_id,
            cipher_suites,
            compression_methods,
            extensions,
        })
    }

    /// Copies everything out into the owned form.
    pub fn into_owned(self) -> ClientHello {
        ClientHello {
            legacy_version: self.legacy_version,
            random: self.random,
            legacy_session_id: self.legacy_session_id.to_vec(),
            cipher_suites: self.cipher_suites.to_vec(),
            compression_methods: self.compression_methods.to_vec(),
            extensions: self.extensions.into_owned(),
        }
    }
}

impl<'a> ClientExtensionsRef<'a> {
    fn read(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let (present, entries) = read_block_in_place(r, |types| {
            check_allowed(types.iter().copied(), ExtensionContext::ClientHello)?;
            // RFC 8446 §4.2.11: pre_shared_key "MUST be the last extension";
            // servers MUST reject otherwise with illegal_parameter.
            let psk = types
                .iter()
                .position(|t| *t == ExtensionType::PRE_SHARED_KEY);
            if psk.is_some_and(|pos| pos + 1 != types.len()) {
                return Err(DecodeError::IllegalParameter {
                    what: "pre_shared_key",
                    reason: "not the last extension of the ClientHello",
                });
            }
            Ok(())
        })?;
        let mut ext = ClientExtensionsRef {
            present,
            ..Default::default()
        };
        for (typ, mut data) in entries {
            let d = &mut data;
            match typ {
                ExtensionType::SERVER_NAME => ext.server_name = read_server_name(d)?,
                ExtensionType::SUPPORTED_VERSIONS => {
                    ext.supported_versions = Some(read_versions(d)?)
                }
                ExtensionType::SUPPORTED_GROUPS => ext.supported_groups = Some(read_group_list(d)?),
                ExtensionType::SIGNATURE_ALGORITHMS => {
                    ext.signature_algorithms = Some(read_scheme_list(d)?)
                }
                ExtensionType::SIGNATURE_ALGORITHMS_CERT => {
                    ext.signature_algorithms_cert = Some(read_scheme_list(d)?)
                }
                ExtensionType::KEY_SHARE => ext.key_shares = Some(read_client_shares(d)?),
                ExtensionType::ALPN => ext.alpn = Some(read_protocol_names(d)?),
                ExtensionType::COOKIE => ext.cookie = Some(read_cookie_bytes(d)?),
                ExtensionType::PSK_KEY_EXCHANGE_MODES => {
                    let modes = d.sub_u8()?.fixed_list(1)?;
                    ext.psk_modes = Some(U8List::new(modes));
                    d.finish("psk_key_exchange_modes")?;
                }
                ExtensionType::EARLY_DATA => {
                    read_empty(d)?;
                    ext.early_data = true;
                }
                ExtensionType::STATUS_REQUEST => ext.status_request = read_status_request(d)?,
                ExtensionType::PRE_SHARED_KEY => {
                    ext.pre_shared_key = Some(OfferedPsksRef::read(d)?)
                }
                // Unknown or uninterpreted: recorded in `present` only.
                _ => {}
            }
        }
        Ok(ext)
    }

    /// Copies everything out into the owned form.
    pub fn into_owned(self) -> ClientExtensions {
        ClientExtensions {
            server_name: self.server_name.map(str::to_owned),
            supported_versions: self.supported_versions.map(|l| l.to_vec()),
            supported_groups: self.supported_groups.map(|l| l.to_vec()),
            signature_algorithms: self.signature_algorithms.map(|l| l.to_vec()),
            signature_algorithms_cert: self.signature_algorithms_cert.map(|l| l.to_vec()),
            key_shares: self.key_shares.map(|shares| {
                shares
                    .iter()
                    .map(|s| KeyShareEntry {
                        group: s.group,
                        key_exchange: s.key_exchange.to_vec(),
                    })
                    .collect()
            }),
            alpn: self
                .alpn
                .map(|names| names.iter().map(<[u8]>::to_vec).collect()),
            cookie: self.cookie.map(<[u8]>::to_vec),
            psk_modes: self.psk_modes.map(|l| l.to_vec()),
            early_data: self.early_data,
            status_request: self.status_request,
            pre_shared_key: self.pre_shared_key.map(|p| p.to_owned_psks()),
            present: self.present.to_vec(),
        }
    }
}

/// `KeyShareEntry client_shares<0..2^16-1>` (RFC 8446 §4.2.8). Duplicate
/// groups are rejected: "Clients MUST NOT offer multiple KeyShareEntry
/// values for the same group" and servers MAY enforce it with
/// illegal_parameter.
fn read_client_shares<'a>(r: &mut Reader<'a>) -> Result<KeyShares<'a>, DecodeError> {
    let mut list = r.sub_u16()?;
    let shares = KeyShares::new(list.clone().rest());
    let mut count = 0usize;
    while !list.is_empty() {
        NamedGroup::read(&mut list)?;
        list.bytes_u16(1)?;
        count += 1;
    }
    r.finish("key_share")?;
    if has_duplicate_group(shares, count) {
        return Err(DecodeError::IllegalParameter {
            what: "key_share",
            reason: "two shares for the same group",
        });
    }
    Ok(shares)
}

/// Lists up to this many shares are checked for duplicate groups pairwise, without
/// allocating; longer (hostile) ones are sorted, to stay O(n log n).
const PAIRWISE_SHARE_CHECK: usize = 16;

fn has_duplicate_group(shares: KeyShares<'_>, count: usize) -> bool {
    if count <= PAIRWISE_SHARE_CHECK {
        return shares.iter().enumerate().any(|(i, s)| {
            shares
                .iter()
                .skip(i + 1)
                .any(|later| later.group == s.group)
        });
    }
    let mut groups: Vec<NamedGroup> = shares.iter().map(|s| s.group).collect();
    groups.sort_unstable();
    groups.windows(2).any(|w| w.first() == w.get(1))
}
