//! Extension blocks (RFC 8446 §4.2) and the payloads shared between
//! messages.

use crate::codec::{put_bytes, put_prefixed, put_u16, put_u32, DecodeError, Reader};

use super::enums::{ExtensionType, HandshakeType, NamedGroup, ProtocolVersion, SignatureScheme};
use super::views::{ExtensionTypes, ProtocolNames, U16List};

/// The message an extension block belongs to: the columns of the RFC 8446
/// §4.2 table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExtensionContext {
    /// CH
    ClientHello,
    /// SH
    ServerHello,
    /// HRR
    HelloRetryRequest,
    /// EE
    EncryptedExtensions,
    /// CT (a CertificateEntry's extensions)
    Certificate,
    /// CR
    CertificateRequest,
    /// NST
    NewSessionTicket,
}

impl ExtensionContext {
    /// The handshake message type carrying this block (HRR is a ServerHello
    /// on the wire, RFC 8446 §4.1.4).
    pub fn handshake_type(self) -> HandshakeType {
        match self {
            Self::ClientHello => HandshakeType::CLIENT_HELLO,
            Self::ServerHello | Self::HelloRetryRequest => HandshakeType::SERVER_HELLO,
            Self::EncryptedExtensions => HandshakeType::ENCRYPTED_EXTENSIONS,
            Self::Certificate => HandshakeType::CERTIFICATE,
            Self::CertificateRequest => HandshakeType::CERTIFICATE_REQUEST,
            Self::NewSessionTicket => HandshakeType::NEW_SESSION_TICKET,
        }
    }
}

/// RFC 8446 §4.2's table: `Some(allowed)` for the extensions it lists,
/// `None` for extensions it does not (those are "unrecognized" and ignored).
pub fn allowed_in(ext: ExtensionType, ctx: ExtensionContext) -> Option<bool> {
    use ExtensionContext::*;
    let allowed: &[ExtensionContext] = match ext {
        ExtensionType::SERVER_NAME
        | ExtensionType::MAX_FRAGMENT_LENGTH
        | ExtensionType::SUPPORTED_GROUPS
        | ExtensionType::USE_SRTP
        | ExtensionType::HEARTBEAT
        | ExtensionType::ALPN
        | ExtensionType::CLIENT_CERTIFICATE_TYPE
        | ExtensionType::SERVER_CERTIFICATE_TYPE => &[ClientHello, EncryptedExtensions],
        ExtensionType::STATUS_REQUEST | ExtensionType::SIGNED_CERTIFICATE_TIMESTAMP => {
            &[ClientHello, CertificateRequest, Certificate]
        }
        ExtensionType::SIGNATURE_ALGORITHMS
        | ExtensionType::SIGNATURE_ALGORITHMS_CERT
        | ExtensionType::CERTIFICATE_AUTHORITIES => &[ClientHello, CertificateRequest],
        ExtensionType::PADDING
        | ExtensionType::PSK_KEY_EXCHANGE_MODES
        | ExtensionType::POST_HANDSHAKE_AUTH => &[ClientHello],
        ExtensionType::KEY_SHARE | ExtensionType::SUPPORTED_VERSIONS => {
            &[ClientHello, ServerHello, HelloRetryRequest]
        }
        ExtensionType::PRE_SHARED_KEY => &[ClientHello, ServerHello],
        ExtensionType::EARLY_DATA => &[ClientHello, EncryptedExtensions, NewSessionTicket],
        ExtensionType::COOKIE => &[ClientHello, HelloRetryRequest],
        ExtensionType::OID_FILTERS => &[CertificateRequest],
        _ => return None,
    };
    Some(allowed.contains(&ctx))
}

/// One undecoded extension: its type and a reader over its data.
pub(crate) type RawExtension<'a> = (ExtensionType, Reader<'a>);

/// A validated extension block: the types in wire order (which messages keep as their
/// `present` list) and the entries, read again from the bytes when iterated, so a block
/// costs one `Vec`, not two.
#[derive(Debug)]
pub(crate) struct ExtensionBlock<'a> {
    /// Every extension type, in wire order, without duplicates.
    pub(crate) types: Vec<ExtensionType>,
    /// The extensions' types and data.
    pub(crate) entries: Entries<'a>,
}

/// The extensions of a block [`read_block`] has already walked once.
#[derive(Debug)]
pub(crate) struct Entries<'a>(Reader<'a>);

impl<'a> Iterator for Entries<'a> {
    type Item = RawExtension<'a>;

    fn next(&mut self) -> Option<RawExtension<'a>> {
        if self.0.is_empty() {
            return None;
        }
        // `read_block` read these same bytes without error, so neither read fails here;
        // if one did, the iteration would just end.
        let typ = ExtensionType::read(&mut self.0).ok()?;
        let mut data = self.0.sub_u16().ok()?;
        data.at(ext_label(typ));
        Some((typ, data))
    }
}

/// Reads an `Extension extensions<..2^16-1>` block, rejecting duplicates
/// (RFC 8446 §4.2: "There MUST NOT be more than one extension of the same
/// type in a given extension block").
pub(crate) fn read_block<'a>(r: &mut Reader<'a>) -> Result<ExtensionBlock<'a>, DecodeError> {
    let (types, entries) = read_block_in_place(r, |_| Ok(()))?;
    Ok(ExtensionBlock {
        types: types.to_vec(),
        entries,
    })
}

/// [`read_block`] without copying the types out: a view of them and the entries.
/// `check` sees the types (as a slice, while they are at hand) once they are known to
/// be distinct.
pub(crate) fn read_block_in_place<'a>(
    r: &mut Reader<'a>,
    check: impl FnOnce(&[ExtensionType]) -> Result<(), DecodeError>,
) -> Result<(ExtensionTypes<'a>, Entries<'a>), DecodeError> {
    r.at("extensions");
    let block = r.sub_u16()?;
    let mut walk = block.clone();
    // Real blocks (2-20 extensions) are checked for duplicates on the stack; longer
    // ones spill to a Vec that is sorted.
    let mut first = [ExtensionType(0); PAIRWISE_DUPLICATE_CHECK];
    let mut spilled: Vec<ExtensionType> = Vec::new();
    let mut count = 0usize;
    while !walk.is_empty() {
        walk.at("extension");
        let typ = ExtensionType::read(&mut walk)?;
        walk.sub_u16()?;
        match first.get_mut(count) {
            Some(slot) => *slot = typ,
            None => {
                if spilled.is_empty() {
                    spilled.extend_from_slice(&first);
                }
                spilled.push(typ);
            }
        }
        count += 1;
    }
    let types = match spilled.is_empty() {
        true => first.get(..count).unwrap_or_default(),
        false => &spilled,
    };
    if let Some(t) = first_duplicate(types) {
        return Err(DecodeError::DuplicateExtension(t));
    }
    check(types)?;
    let mut contents = block.clone();
    Ok((ExtensionTypes::new(contents.rest(), count), Entries(block)))
}

/// Blocks up to this many extensions are checked for duplicates pairwise, without
/// allocating (real blocks have 2-20); longer ones are sorted.
const PAIRWISE_DUPLICATE_CHECK: usize = 32;

/// The first extension type that occurs twice, if any.
fn first_duplicate(types: &[ExtensionType]) -> Option<ExtensionType> {
    if types.len() <= PAIRWISE_DUPLICATE_CHECK {
        return types.iter().enumerate().find_map(|(i, t)| {
            let later = types.get(i + 1..).unwrap_or_default();
            later.contains(t).then_some(*t)
        });
    }
    // Sorting keeps this O(n log n) for hostile blocks of thousands of
    // empty extensions.
    let mut sorted = types.to_vec();
    sorted.sort_unstable();
    sorted.windows(2).find_map(|w| {
        (w.first() == w.get(1))
            .then(|| w.first().copied())
            .flatten()
    })
}

/// Applies the RFC 8446 §4.2 table: a recognized extension in the wrong
/// message is `illegal_parameter`.
pub(crate) fn check_allowed(
    types: impl IntoIterator<Item = ExtensionType>,
    ctx: ExtensionContext,
) -> Result<(), DecodeError> {
    for typ in types {
        if allowed_in(typ, ctx) == Some(false) {
            return Err(DecodeError::IllegalExtension {
                ext: typ,
                msg: ctx.handshake_type(),
            });
        }
    }
    Ok(())
}

/// Appends one extension with its u16 length.
pub(crate) fn put_extension(out: &mut Vec<u8>, typ: ExtensionType, f: impl FnOnce(&mut Vec<u8>)) {
    typ.encode(out);
    put_prefixed(out, 2, f);
}

fn ext_label(typ: ExtensionType) -> &'static str {
    typ.name().unwrap_or("extension")
}

/// `KeyShareEntry` (RFC 8446 §4.2.8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyShareEntry {
    /// The group of the share.
    pub group: NamedGroup,
    /// `opaque key_exchange<1..2^16-1>`.
    pub key_exchange: Vec<u8>,
}

impl KeyShareEntry {
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let group = NamedGroup::read(r)?;
        let key_exchange = r.bytes_u16(1)?.to_vec();
        Ok(Self {
            group,
            key_exchange,
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        self.group.encode(out);
        put_bytes(out, 2, &self.key_exchange);
    }
}

/// `PskIdentity` (RFC 8446 §4.2.11).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PskIdentity {
    /// `opaque identity<1..2^16-1>`: a ticket or an external PSK label.
    pub identity: Vec<u8>,
    /// Ticket age plus `ticket_age_add`, mod 2^32 (RFC 8446 §4.2.11.1).
    pub obfuscated_ticket_age: u32,
}

/// `OfferedPsks` (RFC 8446 §4.2.11): the ClientHello's pre_shared_key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OfferedPsks {
    /// `PskIdentity identities<7..2^16-1>`.
    pub identities: Vec<PskIdentity>,
    /// `PskBinderEntry binders<33..2^16-1>`, each `opaque<32..255>`, one per
    /// identity in the same order.
    pub binders: Vec<Vec<u8>>,
}

impl OfferedPsks {
    /// Bytes the binders list occupies at the very end of an encoded
    /// ClientHello, including its 2-byte length. The binder transcript is
    /// the encoded ClientHello (with handshake header) minus this suffix
    /// (RFC 8446 §4.2.11.2); pre_shared_key is always the last extension.
    pub fn binders_encoded_len(&self) -> usize {
        2 + self.binders.iter().map(|b| 1 + b.len()).sum::<usize>()
    }

    #[cfg(test)]
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        OfferedPsksRef::read(r).map(|p| p.to_owned_psks())
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        put_prefixed(out, 2, |o| {
            for id in &self.identities {
                put_bytes(o, 2, &id.identity);
                put_u32(o, id.obfuscated_ticket_age);
            }
        });
        self.encode_binders(out);
    }

    /// Appends just the binders list (its bytes are the ClientHello's last
    /// [`Self::binders_encoded_len`] bytes).
    pub fn encode_binders(&self, out: &mut Vec<u8>) {
        put_prefixed(out, 2, |o| {
            for b in &self.binders {
                put_bytes(o, 1, b);
            }
        });
    }
}

/// A ClientHello's pre_shared_key (RFC 8446 §4.2.11), borrowed from it: the
/// identities and binders lists, validated.
#[derive(Clone, Copy, Debug)]
pub struct OfferedPsksRef<'a> {
    identities: &'a [u8],
    binders: &'a [u8],
}

/// One offered identity, borrowed (RFC 8446 §4.2.11).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PskIdentityRef<'a> {
    /// `opaque identity<1..2^16-1>`: a ticket or an external PSK label.
    pub identity: &'a [u8],
    /// Ticket age plus `ticket_age_add`, mod 2^32 (RFC 8446 §4.2.11.1).
    pub obfuscated_ticket_age: u32,
}

impl<'a> OfferedPsksRef<'a> {
    /// `PskIdentity identities<7..2^16-1>`, in the client's order.
    pub fn identities(&self) -> impl Iterator<Item = PskIdentityRef<'a>> + 'a {
        let mut r = Reader::new(self.identities);
        // Validated by `read`: these reads succeed; a failure would just end the list.
        std::iter::from_fn(move || {
            let len = r.u16().ok()?;
            let identity = r.take(usize::from(len)).ok()?;
            let obfuscated_ticket_age = r.u32().ok()?;
            Some(PskIdentityRef {
                identity,
                obfuscated_ticket_age,
            })
        })
    }

    /// `PskBinderEntry binders<33..2^16-1>`, one per identity in the same order.
    pub fn binders(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let mut r = Reader::new(self.binders);
        std::iter::from_fn(move || {
            let len = r.u8().ok()?;
            r.take(usize::from(len)).ok()
        })
    }

    /// The binder for the identity at `index`.
    pub fn binder(&self, index: usize) -> Option<&'a [u8]> {
        self.binders().nth(index)
    }

    /// See [`OfferedPsks::binders_encoded_len`].
    pub fn binders_encoded_len(&self) -> usize {
        2 + self.binders.len()
    }

    /// Copies the lists out.
    pub fn to_owned_psks(&self) -> OfferedPsks {
        OfferedPsks {
            identities: self
                .identities()
                .map(|id| PskIdentity {
                    identity: id.identity.to_vec(),
                    obfuscated_ticket_age: id.obfuscated_ticket_age,
                })
                .collect(),
            binders: self.binders().map(<[u8]>::to_vec).collect(),
        }
    }

    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        r.at("psk identities");
        let mut ids = r.sub_u16()?;
        ids.check_min(7)?;
        let identities = ids.clone().rest();
        let mut identity_count = 0usize;
        while !ids.is_empty() {
            ids.bytes_u16(1)?;
            ids.u32()?;
            identity_count += 1;
        }
        r.at("psk binders");
        let mut list = r.sub_u16()?;
        list.check_min(33)?;
        let binders = list.clone().rest();
        let mut binder_count = 0usize;
        while !list.is_empty() {
            list.bytes_u8(32)?;
            binder_count += 1;
        }
        r.finish("pre_shared_key")?;
        // RFC 8446 §4.2.11: one binder "for each value in the identities list".
        if binder_count != identity_count {
            return Err(DecodeError::IllegalParameter {
                what: "pre_shared_key",
                reason: "number of binders differs from number of identities",
            });
        }
        Ok(Self {
            identities,
            binders,
        })
    }
}

/// `NamedGroup named_group_list<2..2^16-1>` (RFC 8446 §4.2.7).
pub(crate) fn read_groups(r: &mut Reader<'_>) -> Result<Vec<NamedGroup>, DecodeError> {
    read_group_list(r).map(|l| l.to_vec())
}

/// [`read_groups`], borrowed.
pub(crate) fn read_group_list<'a>(
    r: &mut Reader<'a>,
) -> Result<U16List<'a, NamedGroup>, DecodeError> {
    let list = r.sub_u16()?.fixed_list(2)?;
    r.finish(ext_label(ExtensionType::SUPPORTED_GROUPS))?;
    Ok(U16List::new(list))
}

pub(crate) fn put_groups(out: &mut Vec<u8>, groups: &[NamedGroup]) {
    put_prefixed(out, 2, |o| groups.iter().for_each(|g| g.encode(o)));
}

/// `SignatureScheme supported_signature_algorithms<2..2^16-2>` (RFC 8446
/// §4.2.3), for both signature_algorithms and signature_algorithms_cert.
pub(crate) fn read_schemes(r: &mut Reader<'_>) -> Result<Vec<SignatureScheme>, DecodeError> {
    read_scheme_list(r).map(|l| l.to_vec())
}

/// [`read_schemes`], borrowed.
pub(crate) fn read_scheme_list<'a>(
    r: &mut Reader<'a>,
) -> Result<U16List<'a, SignatureScheme>, DecodeError> {
    let what = r.what();
    let list = r.sub_u16()?.fixed_list(2)?;
    r.finish(what)?;
    Ok(U16List::new(list))
}

pub(crate) fn put_schemes(out: &mut Vec<u8>, schemes: &[SignatureScheme]) {
    put_prefixed(out, 2, |o| schemes.iter().for_each(|s| s.encode(o)));
}

/// ClientHello `ProtocolVersion versions<2..254>` (RFC 8446 §4.2.1).
pub(crate) fn read_versions<'a>(
    r: &mut Reader<'a>,
) -> Result<U16List<'a, ProtocolVersion>, DecodeError> {
    let mut list = r.sub_u8()?;
    list.check_max(254)?;
    let list = list.fixed_list(2)?;
    r.finish(ext_label(ExtensionType::SUPPORTED_VERSIONS))?;
    Ok(U16List::new(list))
}

pub(crate) fn put_versions(out: &mut Vec<u8>, versions: &[ProtocolVersion]) {
    put_prefixed(out, 1, |o| versions.iter().for_each(|v| v.encode(o)));
}

/// `ProtocolName protocol_name_list<2..2^16-1>`, each `opaque<1..2^8-1>`
/// (RFC 7301 §3.1).
pub(crate) fn read_alpn(r: &mut Reader<'_>) -> Result<Vec<Vec<u8>>, DecodeError> {
    read_protocol_names(r).map(|names| names.iter().map(<[u8]>::to_vec).collect())
}

/// [`read_alpn`], borrowed.
pub(crate) fn read_protocol_names<'a>(
    r: &mut Reader<'a>,
) -> Result<ProtocolNames<'a>, DecodeError> {
    let mut list = r.sub_u16()?;
    list.check_min(2)?;
    let names = list.clone().rest();
    while !list.is_empty() {
        list.bytes_u8(1)?;
    }
    r.finish(ext_label(ExtensionType::ALPN))?;
    Ok(ProtocolNames::new(names))
}

pub(crate) fn put_alpn<'p>(out: &mut Vec<u8>, protocols: impl IntoIterator<Item = &'p [u8]>) {
    put_prefixed(out, 2, |o| {
        for p in protocols {
            put_bytes(o, 1, p);
        }
    });
}

/// The `server_name` extension's `ServerNameList` (RFC 6066 §3): returns
/// the host_name entry. Entries of other name types are skipped.
pub(crate) fn read_server_name<'a>(r: &mut Reader<'a>) -> Result<Option<&'a str>, DecodeError> {
    let mut list = r.sub_u16()?;
    list.check_min(1)?;
    let mut host = None;
    while !list.is_empty() {
        let name_type = list.u8()?;
        let name = list.bytes_u16(1)?;
        if name_type != 0 {
            continue;
        }
        // RFC 6066 §3: "The ServerNameList MUST NOT contain more than one
        // name of the same name_type."
        if host.is_some() {
            return Err(DecodeError::IllegalParameter {
                what: "server_name",
                reason: "more than one host_name",
            });
        }
        host = Some(host_name(name)?);
    }
    r.finish("server_name")?;
    Ok(host)
}

/// RFC 6066 §3: a HostName is an ASCII DNS name. We accept printable ASCII
/// (the name is matched against certificates later, which applies stricter
/// rules) and reject bytes that could confuse logs or comparisons.
fn host_name(bytes: &[u8]) -> Result<&str, DecodeError> {
    if !bytes.iter().all(|b| b.is_ascii_graphic()) {
        return Err(DecodeError::Invalid {
            what: "server_name",
            reason: "host_name is not printable ASCII",
        });
    }
    std::str::from_utf8(bytes).map_err(|_| DecodeError::Invalid {
        what: "server_name",
        reason: "host_name is not printable ASCII",
    })
}

pub(crate) fn put_server_name(out: &mut Vec<u8>, host: &str) {
    put_prefixed(out, 2, |o| {
        o.push(0); // name_type host_name
        put_bytes(o, 2, host.as_bytes());
    });
}

/// `CertificateStatusType` ocsp (RFC 6066 §8); ocsp_multi (RFC 6961) is TLS 1.2 only.
pub(crate) const STATUS_TYPE_OCSP: u8 = 1;

/// Upper bound on a stapled OCSP response (bounded memory): real responses are a few
/// kilobytes; the Certificate message carrying one is itself limited to 64 KiB.
pub const MAX_OCSP_RESPONSE_LEN: usize = 32 * 1024;

/// A ClientHello's status_request (RFC 6066 §8 `CertificateStatusRequest`): whether it
/// asks for an OCSP response. The responder list and request extensions are not
/// interpreted (we staple whatever response we hold); other status types are ignored
/// because their body is opaque to us.
pub(crate) fn read_status_request(r: &mut Reader<'_>) -> Result<bool, DecodeError> {
    if r.u8()? != STATUS_TYPE_OCSP {
        r.rest();
        return Ok(false);
    }
    // OCSPStatusRequest: ResponderID responder_id_list<0..2^16-1>;
    // Extensions request_extensions (opaque <0..2^16-1>).
    r.at("status_request.responder_id_list").bytes_u16(0)?;
    r.at("status_request.request_extensions").bytes_u16(0)?;
    r.finish("status_request")?;
    Ok(true)
}

/// An OCSP status_request with no responder ids and no request extensions: "the
/// responders are implicitly known to the server" (RFC 6066 §8).
pub(crate) fn put_status_request(out: &mut Vec<u8>) {
    out.push(STATUS_TYPE_OCSP);
    put_u16(out, 0);
    put_u16(out, 0);
}

/// A CertificateEntry's status_request: `CertificateStatus` (RFC 6066 §8, carried per
/// certificate in TLS 1.3, RFC 8446 §4.4.2.1) with an `opaque OCSPResponse<1..2^24-1>`.
pub(crate) fn read_certificate_status(r: &mut Reader<'_>) -> Result<Vec<u8>, DecodeError> {
    if r.at("CertificateStatus.status_type").u8()? != STATUS_TYPE_OCSP {
        return Err(DecodeError::IllegalParameter {
            what: "CertificateStatus",
            reason: "status_type is not ocsp",
        });
    }
    let response = r.at("OCSPResponse").bytes_u24(1)?;
    r.finish("CertificateStatus")?;
    if response.len() > MAX_OCSP_RESPONSE_LEN {
        return Err(DecodeError::TooLarge {
            what: "OCSPResponse",
        });
    }
    Ok(response.to_vec())
}

pub(crate) fn put_certificate_status(out: &mut Vec<u8>, ocsp_response: &[u8]) {
    out.push(STATUS_TYPE_OCSP);
    put_bytes(out, 3, ocsp_response);
}

/// `opaque cookie<1..2^16-1>` (RFC 8446 §4.2.2).
pub(crate) fn read_cookie(r: &mut Reader<'_>) -> Result<Vec<u8>, DecodeError> {
    read_cookie_bytes(r).map(<[u8]>::to_vec)
}

/// [`read_cookie`], borrowed.
pub(crate) fn read_cookie_bytes<'a>(r: &mut Reader<'a>) -> Result<&'a [u8], DecodeError> {
    let cookie = r.bytes_u16(1)?;
    r.finish("cookie")?;
    Ok(cookie)
}

/// An extension whose data must be empty (early_data outside NST, the
/// server_name acknowledgement, RFC 8446 §4.2.10, RFC 6066 §3).
pub(crate) fn read_empty(r: &Reader<'_>) -> Result<(), DecodeError> {
    r.finish(r.what())
}

/// A single u16 payload filling the extension.
pub(crate) fn read_u16_exact(r: &mut Reader<'_>) -> Result<u16, DecodeError> {
    let v = r.u16()?;
    r.finish(r.what())?;
    Ok(v)
}

pub(crate) fn put_u16_ext(out: &mut Vec<u8>, typ: ExtensionType, v: u16) {
    put_extension(out, typ, |o| put_u16(o, v));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        use ExtensionContext::*;
        assert_eq!(
            allowed_in(ExtensionType::KEY_SHARE, HelloRetryRequest),
            Some(true)
        );
        assert_eq!(
            allowed_in(ExtensionType::KEY_SHARE, EncryptedExtensions),
            Some(false)
        );
        assert_eq!(allowed_in(ExtensionType::COOKIE, ServerHello), Some(false));
        assert_eq!(
            allowed_in(ExtensionType::OID_FILTERS, CertificateRequest),
            Some(true)
        );
        assert_eq!(
            allowed_in(ExtensionType::EARLY_DATA, NewSessionTicket),
            Some(true)
        );
        assert_eq!(
            allowed_in(ExtensionType::RECORD_SIZE_LIMIT, ServerHello),
            None
        );
        assert_eq!(allowed_in(ExtensionType(0x1a1a), ClientHello), None);
    }

    #[test]
    fn duplicates_rejected_in_short_and_long_blocks() {
        for n in [3u16, 40, 2000] {
            // n distinct empty GREASE-like extensions, then a repeat of the second.
            let mut body = Vec::new();
            for t in (0..n).chain([1]) {
                body.extend_from_slice(&(0x7000 + t).to_be_bytes());
                body.extend_from_slice(&[0, 0]);
            }
            let mut block = (body.len() as u16).to_be_bytes().to_vec();
            block.extend_from_slice(&body);
            assert_eq!(
                read_block(&mut Reader::new(&block)).unwrap_err(),
                DecodeError::DuplicateExtension(ExtensionType(0x7001)),
                "{n} extensions"
            );
            // Without the repeat, the block is fine.
            let mut block = ((body.len() - 4) as u16).to_be_bytes().to_vec();
            block.extend_from_slice(&body[..body.len() - 4]);
            assert_eq!(
                read_block(&mut Reader::new(&block)).unwrap().types.len(),
                n as usize
            );
        }
    }

    #[test]
    fn duplicates_rejected() {
        let block = [0, 8, 0, 0x2a, 0, 0, 0, 0x2a, 0, 0];
        assert_eq!(
            read_block(&mut Reader::new(&block)).unwrap_err(),
            DecodeError::DuplicateExtension(ExtensionType::EARLY_DATA)
        );
    }

    #[test]
    fn server_names() {
        let mut out = Vec::new();
        put_server_name(&mut out, "example.com");
        assert_eq!(
            read_server_name(&mut Reader::new(&out)).unwrap(),
            Some("example.com")
        );
        // Non-ASCII and empty names.
        for bad in [
            &[0, 6, 0, 0, 3, b'a', 0xc3, b'b'][..],
            &[0, 3, 0, 0, 0],
            &[0, 0],
        ] {
            let e = read_server_name(&mut Reader::new(bad)).unwrap_err();
            assert_eq!(
                e.alert(),
                crate::alert::AlertDescription::DECODE_ERROR,
                "{bad:?}"
            );
        }
        // Two host_names.
        let two = [0, 8, 0, 0, 1, b'a', 0, 0, 1, b'b'];
        assert!(read_server_name(&mut Reader::new(&two)).is_err());
        // Unknown name types are skipped.
        let other = [0, 4, 7, 0, 1, b'a'];
        assert_eq!(read_server_name(&mut Reader::new(&other)).unwrap(), None);
    }

    #[test]
    fn status_requests() {
        let mut out = Vec::new();
        put_status_request(&mut out);
        assert_eq!(read_status_request(&mut Reader::new(&out)), Ok(true));
        // A responder list and request extensions are read past; other status types
        // (opaque to us) are ignored.
        let listed = [1, 0, 4, 0, 2, 0xaa, 0xbb, 0, 0];
        assert_eq!(read_status_request(&mut Reader::new(&listed)), Ok(true));
        assert_eq!(read_status_request(&mut Reader::new(&[2, 9, 9])), Ok(false));
        for bad in [
            &[][..],
            &[1],
            &[1, 0, 0],
            &[1, 0, 5, 0, 0],
            &[1, 0, 0, 0, 0, 7],
        ] {
            assert!(
                read_status_request(&mut Reader::new(bad)).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn binders_mismatch() {
        let psks = OfferedPsks {
            identities: vec![
                PskIdentity {
                    identity: vec![1],
                    obfuscated_ticket_age: 0,
                },
                PskIdentity {
                    identity: vec![2],
                    obfuscated_ticket_age: 0,
                },
            ],
            binders: vec![vec![0; 32]],
        };
        let mut out = Vec::new();
        psks.encode(&mut out);
        assert_eq!(
            OfferedPsks::read(&mut Reader::new(&out))
                .unwrap_err()
                .alert(),
            crate::alert::AlertDescription::ILLEGAL_PARAMETER
        );
    }
}
