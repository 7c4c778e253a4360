//! Stapled OCSP responses (RFC 6960 §4.2): decoding what a TLS server staples
//! (RFC 8446 §4.4.2.1) and checking it against the certificate it is about.
//!
//! [`decode`] reads an `OCSPResponse` with a bounded DER reader: every length is checked
//! against the bytes present, nesting is bounded by the structure, and malformed input is an
//! [`OcspError`], never a panic. [`check`] then finds the `SingleResponse` for a leaf (by
//! CertID: serial, issuer name hash and issuer key hash) and verifies the response's
//! signature, made by the issuer or by a responder the issuer delegated to with
//! id-kp-OCSPSigning (RFC 6960 §4.2.2.2), with the same algorithm rules as certificates.
//! Not checked: the nonce (stapled responses have none), critical extensions we do not
//! know, a delegated responder's revocation (id-pkix-ocsp-nocheck), and whether the issuer
//! itself chains to a trust anchor (that is the chain validator's job).

use aws_lc_rs::digest::{digest, Algorithm, SHA1_FOR_LEGACY_USE_ONLY, SHA256, SHA384, SHA512};
use x509_parser::prelude::{AlgorithmIdentifier, FromDer, X509Certificate};

use crate::sig::verify_signed_data;

/// Upper bound on a response we decode (bounded memory); stapled responses are a few KiB.
pub const MAX_RESPONSE_LEN: usize = 64 * 1024;
/// Upper bound on SingleResponses and embedded certificates we look at.
const MAX_ITEMS: usize = 64;

const ID_PKIX_OCSP_BASIC: &[u8] = &[0x2b, 6, 1, 5, 5, 7, 48, 1, 1];
const OID_SHA1: &[u8] = &[0x2b, 14, 3, 2, 26];
const OID_SHA256: &[u8] = &[0x60, 0x86, 0x48, 1, 101, 3, 4, 2, 1];
const OID_SHA384: &[u8] = &[0x60, 0x86, 0x48, 1, 101, 3, 4, 2, 2];
const OID_SHA512: &[u8] = &[0x60, 0x86, 0x48, 1, 101, 3, 4, 2, 3];

/// Why a stapled response could not be read or does not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OcspError {
    /// Not DER, or not the RFC 6960 structure; `what` names the field.
    Malformed {
        /// The field being read.
        what: &'static str,
    },
    /// Larger than [`MAX_RESPONSE_LEN`].
    TooLarge,
    /// responseBytes of a type other than id-pkix-ocsp-basic.
    UnsupportedResponseType,
}

impl std::fmt::Display for OcspError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Malformed { what } => write!(f, "malformed OCSP response ({what})"),
            Self::TooLarge => write!(f, "OCSP response over {MAX_RESPONSE_LEN} bytes"),
            Self::UnsupportedResponseType => {
                write!(f, "OCSP response type is not id-pkix-ocsp-basic")
            }
        }
    }
}

impl std::error::Error for OcspError {}

/// `OCSPResponseStatus` (RFC 6960 §4.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseStatus {
    /// 0: the response has valid confirmations.
    Successful,
    /// 1: illegal confirmation request.
    MalformedRequest,
    /// 2: internal error in the issuer.
    InternalError,
    /// 3: try again later.
    TryLater,
    /// 5: the request must be signed.
    SigRequired,
    /// 6: the request is unauthorized.
    Unauthorized,
    /// Any other value.
    Other(u8),
}

impl ResponseStatus {
    fn from_u8(v: u8) -> Self {
        match v {
            0 => Self::Successful,
            1 => Self::MalformedRequest,
            2 => Self::InternalError,
            3 => Self::TryLater,
            5 => Self::SigRequired,
            6 => Self::Unauthorized,
            v => Self::Other(v),
        }
    }

    /// The name RFC 6960 gives it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Successful => "successful",
            Self::MalformedRequest => "malformedRequest",
            Self::InternalError => "internalError",
            Self::TryLater => "tryLater",
            Self::SigRequired => "sigRequired",
            Self::Unauthorized => "unauthorized",
            Self::Other(_) => "unknown status",
        }
    }
}

/// `CertStatus` (RFC 6960 §4.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertStatus {
    /// Not revoked (as of thisUpdate).
    Good,
    /// Revoked at `time` (Unix seconds), with the CRLReason code if given.
    Revoked {
        /// revocationTime, Unix seconds.
        time: i64,
        /// revocationReason (RFC 5280 §5.3.1), if present.
        reason: Option<u8>,
    },
    /// The responder does not know the certificate.
    Unknown,
}

impl CertStatus {
    /// "good", "revoked" or "unknown".
    pub fn name(self) -> &'static str {
        match self {
            Self::Good => "good",
            Self::Revoked { .. } => "revoked",
            Self::Unknown => "unknown",
        }
    }
}

/// One `SingleResponse`: the status of one certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SingleResponse {
    /// CertID.hashAlgorithm's OID, DER content bytes.
    hash_oid: Vec<u8>,
    issuer_name_hash: Vec<u8>,
    issuer_key_hash: Vec<u8>,
    /// CertID.serialNumber, DER content bytes (as in the certificate).
    pub serial: Vec<u8>,
    /// The certificate's status.
    pub status: CertStatus,
    /// thisUpdate, Unix seconds.
    pub this_update: i64,
    /// nextUpdate, Unix seconds, if given.
    pub next_update: Option<i64>,
}

/// A decoded `OCSPResponse`. For a non-successful status the basic fields are empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OcspResponse {
    /// responseStatus.
    pub status: ResponseStatus,
    /// producedAt, Unix seconds (0 without a BasicOCSPResponse).
    pub produced_at: i64,
    /// The SingleResponses, in order.
    pub responses: Vec<SingleResponse>,
    /// Certificates the responder included (DER), e.g. a delegated responder's.
    pub certs: Vec<Vec<u8>>,
    responder: Responder,
    tbs: Vec<u8>,
    sig_alg: Vec<u8>,
    signature: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Responder {
    None,
    /// byName: the DER Name.
    ByName(Vec<u8>),
    /// byKey: SHA-1 of the responder's public key (RFC 6960 §4.2.1).
    ByKey(Vec<u8>),
}

/// How far a stapled response was checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signature {
    /// Verified with the issuer's key (the issuer signed it).
    ByIssuer,
    /// Verified with a delegated responder's key, whose certificate the issuer signed and
    /// which has id-kp-OCSPSigning.
    ByDelegatedResponder,
    /// Not checked: no issuer certificate was given.
    NotChecked,
    /// Does not verify: why.
    Invalid(String),
}

/// What [`check`] found for one certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StapleReport {
    /// responseStatus.
    pub response_status: ResponseStatus,
    /// The certificate's status; `None` when the response is not successful or has no
    /// SingleResponse for this certificate.
    pub cert_status: Option<CertStatus>,
    /// thisUpdate of that SingleResponse (Unix seconds).
    pub this_update: Option<i64>,
    /// nextUpdate of that SingleResponse (Unix seconds).
    pub next_update: Option<i64>,
    /// producedAt (Unix seconds).
    pub produced_at: i64,
    /// The signature check.
    pub signature: Signature,
    /// thisUpdate is not in the future and nextUpdate (if any) not in the past, at `now`.
    pub current: bool,
}

impl StapleReport {
    /// A response that is successful, signed by the issuer or its delegate, current and
    /// says "good" for the certificate.
    pub fn is_good(&self) -> bool {
        self.response_status == ResponseStatus::Successful
            && self.cert_status == Some(CertStatus::Good)
            && matches!(
                self.signature,
                Signature::ByIssuer | Signature::ByDelegatedResponder
            )
            && self.current
    }
}

/// Decodes a DER `OCSPResponse` (RFC 6960 §4.2.1) without checking it.
pub fn decode(der: &[u8]) -> Result<OcspResponse, OcspError> {
    if der.len() > MAX_RESPONSE_LEN {
        return Err(OcspError::TooLarge);
    }
    let mut outer = Der::new(der);
    let mut resp = outer.sequence("OCSPResponse")?;
    outer.finish("OCSPResponse")?;
    let status = match resp.tlv(0x0a, "responseStatus")? {
        [v] => ResponseStatus::from_u8(*v),
        _ => return Err(malformed("responseStatus")),
    };
    let mut out = OcspResponse {
        status,
        produced_at: 0,
        responses: Vec::new(),
        certs: Vec::new(),
        responder: Responder::None,
        tbs: Vec::new(),
        sig_alg: Vec::new(),
        signature: Vec::new(),
    };
    if resp.is_empty() {
        return Ok(out);
    }
    // responseBytes [0] EXPLICIT ResponseBytes
    let mut explicit = Der::new(resp.tlv(0xa0, "responseBytes")?);
    resp.finish("OCSPResponse")?;
    let mut bytes = explicit.sequence("ResponseBytes")?;
    explicit.finish("responseBytes")?;
    if bytes.tlv(0x06, "responseType")? != ID_PKIX_OCSP_BASIC {
        return Err(OcspError::UnsupportedResponseType);
    }
    let basic = bytes.tlv(0x04, "response")?;
    bytes.finish("ResponseBytes")?;
    decode_basic(basic, &mut out)?;
    Ok(out)
}

/// `BasicOCSPResponse` (RFC 6960 §4.2.1).
fn decode_basic(der: &[u8], out: &mut OcspResponse) -> Result<(), OcspError> {
    let mut outer = Der::new(der);
    let mut basic = outer.sequence("BasicOCSPResponse")?;
    outer.finish("BasicOCSPResponse")?;
    let tbs_full = basic.raw_tlv(0x30, "tbsResponseData")?;
    out.sig_alg = basic.raw_tlv(0x30, "signatureAlgorithm")?.to_vec();
    let sig = basic.tlv(0x03, "signature")?;
    // BIT STRING: the first byte counts unused bits, which must be 0 for a signature.
    out.signature = match sig.split_first() {
        Some((0, rest)) => rest.to_vec(),
        _ => return Err(malformed("signature")),
    };
    if !basic.is_empty() {
        let mut explicit = Der::new(basic.tlv(0xa0, "certs")?);
        let mut certs = explicit.sequence("certs")?;
        explicit.finish("certs")?;
        while !certs.is_empty() {
            if out.certs.len() >= MAX_ITEMS {
                return Err(malformed("certs"));
            }
            out.certs.push(certs.raw_tlv(0x30, "certs")?.to_vec());
        }
    }
    basic.finish("BasicOCSPResponse")?;
    out.tbs = tbs_full.to_vec();

    let mut tbs = Der::new(tbs_full).sequence("tbsResponseData")?;
    if tbs.peek() == Some(0xa0) {
        // version [0] EXPLICIT Version DEFAULT v1: only v1 (0) exists.
        if tbs.tlv(0xa0, "version")? != [0x02, 0x01, 0x00] {
            return Err(malformed("version"));
        }
    }
    out.responder = match tbs.peek() {
        Some(0xa1) => Responder::ByName(tbs.tlv(0xa1, "responderID")?.to_vec()),
        Some(0xa2) => {
            let mut key = Der::new(tbs.tlv(0xa2, "responderID")?);
            let hash = key.tlv(0x04, "responderID")?.to_vec();
            key.finish("responderID")?;
            Responder::ByKey(hash)
        }
        _ => return Err(malformed("responderID")),
    };
    out.produced_at = generalized_time(tbs.tlv(0x18, "producedAt")?)?;
    let mut responses = tbs.sequence("responses")?;
    while !responses.is_empty() {
        if out.responses.len() >= MAX_ITEMS {
            return Err(malformed("responses"));
        }
        out.responses
            .push(single_response(responses.sequence("SingleResponse")?)?);
    }
    // responseExtensions [1] EXPLICIT Extensions OPTIONAL: not interpreted.
    if tbs.peek() == Some(0xa1) {
        tbs.tlv(0xa1, "responseExtensions")?;
    }
    tbs.finish("tbsResponseData")
}

fn single_response(mut r: Der<'_>) -> Result<SingleResponse, OcspError> {
    let mut cert_id = r.sequence("CertID")?;
    let mut alg = cert_id.sequence("CertID.hashAlgorithm")?;
    let hash_oid = alg.tlv(0x06, "CertID.hashAlgorithm")?.to_vec();
    let issuer_name_hash = cert_id.tlv(0x04, "issuerNameHash")?.to_vec();
    let issuer_key_hash = cert_id.tlv(0x04, "issuerKeyHash")?.to_vec();
    let serial = cert_id.tlv(0x02, "serialNumber")?.to_vec();
    cert_id.finish("CertID")?;
    // CertStatus: good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo,
    // unknown [2] IMPLICIT NULL.
    let status = match r.peek() {
        Some(0x80) => {
            r.tlv(0x80, "certStatus")?;
            CertStatus::Good
        }
        Some(0xa1) => {
            let mut info = Der::new(r.tlv(0xa1, "certStatus")?);
            let time = generalized_time(info.tlv(0x18, "revocationTime")?)?;
            let reason = if info.is_empty() {
                None
            } else {
                let mut explicit = Der::new(info.tlv(0xa0, "revocationReason")?);
                match explicit.tlv(0x0a, "revocationReason")? {
                    [v] => Some(*v),
                    _ => return Err(malformed("revocationReason")),
                }
            };
            info.finish("RevokedInfo")?;
            CertStatus::Revoked { time, reason }
        }
        Some(0x82) => {
            r.tlv(0x82, "certStatus")?;
            CertStatus::Unknown
        }
        _ => return Err(malformed("certStatus")),
    };
    let this_update = generalized_time(r.tlv(0x18, "thisUpdate")?)?;
    let next_update = if r.peek() == Some(0xa0) {
        let mut explicit = Der::new(r.tlv(0xa0, "nextUpdate")?);
        let t = generalized_time(explicit.tlv(0x18, "nextUpdate")?)?;
        explicit.finish("nextUpdate")?;
        Some(t)
    } else {
        None
    };
    if r.peek() == Some(0xa1) {
        r.tlv(0xa1, "singleExtensions")?;
    }
    r.finish("SingleResponse")?;
    Ok(SingleResponse {
        hash_oid,
        issuer_name_hash,
        issuer_key_hash,
        serial,
        status,
        this_update,
        next_update,
    })
}

/// Checks a stapled response for the certificate `leaf` (DER). With `issuer` (the leaf's
/// issuer certificate, DER) the SingleResponse must match the full CertID and the signature
/// is verified; without it only the serial is matched and the signature is
/// [`Signature::NotChecked`]. `now` is Unix seconds.
pub fn check(
    response_der: &[u8],
    leaf: &[u8],
    issuer: Option<&[u8]>,
    now: i64,
) -> Result<StapleReport, OcspError> {
    let resp = decode(response_der)?;
    let (_, leaf) = X509Certificate::from_der(leaf).map_err(|_| malformed("certificate"))?;
    let issuer = match issuer {
        Some(der) => Some(
            X509Certificate::from_der(der)
                .map_err(|_| malformed("issuer certificate"))?
                .1,
        ),
        None => None,
    };
    let mut report = StapleReport {
        response_status: resp.status,
        cert_status: None,
        this_update: None,
        next_update: None,
        produced_at: resp.produced_at,
        signature: Signature::NotChecked,
        current: false,
    };
    if resp.status != ResponseStatus::Successful {
        return Ok(report);
    }
    let serial = leaf.raw_serial();
    let single = resp.responses.iter().find(|s| {
        s.serial == serial
            && issuer
                .as_ref()
                .is_none_or(|i| cert_id_matches(s, &leaf, i).unwrap_or(false))
    });
    if let Some(s) = single {
        report.cert_status = Some(s.status);
        report.this_update = Some(s.this_update);
        report.next_update = s.next_update;
        // RFC 6960 §4.2.2.1: thisUpdate in the future or nextUpdate in the past is not
        // current; a few minutes of clock skew are tolerated.
        const SKEW: i64 = 5 * 60;
        report.current = s.this_update <= now.saturating_add(SKEW)
            && s.next_update.is_none_or(|n| n >= now.saturating_sub(SKEW));
    }
    if let Some(issuer) = &issuer {
        report.signature = verify_signature(&resp, issuer, now);
    }
    Ok(report)
}

fn cert_id_matches(
    s: &SingleResponse,
    leaf: &X509Certificate<'_>,
    issuer: &X509Certificate<'_>,
) -> Option<bool> {
    let alg: &'static Algorithm = match s.hash_oid.as_slice() {
        OID_SHA1 => &SHA1_FOR_LEGACY_USE_ONLY,
        OID_SHA256 => &SHA256,
        OID_SHA384 => &SHA384,
        OID_SHA512 => &SHA512,
        _ => return None,
    };
    // RFC 6960 §4.1.1: hashes of the issuer's DN and of its subjectPublicKey's value.
    let name = digest(alg, leaf.issuer().as_raw());
    let key = digest(alg, &issuer.public_key().subject_public_key.data);
    Some(
        name.as_ref() == s.issuer_name_hash.as_slice()
            && key.as_ref() == s.issuer_key_hash.as_slice()
            && leaf.issuer().as_raw() == issuer.subject().as_raw(),
    )
}

/// RFC 6960 §4.2.2.2: signed by the CA that issued the certificate, or by a responder whose
/// certificate that CA issued with id-kp-OCSPSigning. (A locally configured responder is
/// not supported.)
fn verify_signature(resp: &OcspResponse, issuer: &X509Certificate<'_>, now: i64) -> Signature {
    let Ok((_, sig_alg)) = AlgorithmIdentifier::from_der(&resp.sig_alg) else {
        return Signature::Invalid("its signatureAlgorithm does not decode".into());
    };
    let signed_by = |cert: &X509Certificate<'_>| {
        verify_signed_data(cert.public_key(), &sig_alg, &resp.tbs, &resp.signature)
    };
    if responder_is(&resp.responder, issuer) {
        return match signed_by(issuer) {
            Ok(()) => Signature::ByIssuer,
            Err(e) => Signature::Invalid(format!("the issuer's signature fails ({e:?})")),
        };
    }
    for der in &resp.certs {
        let Ok((_, responder)) = X509Certificate::from_der(der) else {
            continue;
        };
        if !responder_is(&resp.responder, &responder) {
            continue;
        }
        if responder.issuer().as_raw() != issuer.subject().as_raw()
            || verify_signed_data(
                issuer.public_key(),
                &responder.signature_algorithm,
                responder.tbs_certificate.as_ref(),
                &responder.signature_value.data,
            )
            .is_err()
        {
            return Signature::Invalid(
                "the responder's certificate was not issued by the certificate's issuer".into(),
            );
        }
        let validity = responder.validity();
        if now < validity.not_before.timestamp() || now > validity.not_after.timestamp() {
            return Signature::Invalid(
                "the responder's certificate is outside its validity period".into(),
            );
        }
        let ocsp_signing = matches!(
            responder.extended_key_usage(),
            Ok(Some(eku)) if eku.value.ocsp_signing
        );
        if !ocsp_signing {
            return Signature::Invalid(
                "the responder's certificate lacks id-kp-OCSPSigning".into(),
            );
        }
        return match signed_by(&responder) {
            Ok(()) => Signature::ByDelegatedResponder,
            Err(e) => Signature::Invalid(format!("the responder's signature fails ({e:?})")),
        };
    }
    Signature::Invalid("signed by neither the issuer nor a responder it authorised".into())
}

fn responder_is(responder: &Responder, cert: &X509Certificate<'_>) -> bool {
    match responder {
        // byName holds the DER Name inside the [1] EXPLICIT tag.
        Responder::ByName(name) => name.as_slice() == cert.subject().as_raw(),
        Responder::ByKey(hash) => {
            digest(
                &SHA1_FOR_LEGACY_USE_ONLY,
                &cert.public_key().subject_public_key.data,
            )
            .as_ref()
                == hash.as_slice()
        }
        Responder::None => false,
    }
}

fn malformed(what: &'static str) -> OcspError {
    OcspError::Malformed { what }
}

/// `YYYYMMDDHHMMSSZ` (RFC 5280 §4.1.2.5.2 profile, which RFC 6960 follows), optionally
/// with fractional seconds, which are dropped.
fn generalized_time(v: &[u8]) -> Result<i64, OcspError> {
    let bad = || malformed("GeneralizedTime");
    let text = std::str::from_utf8(v).map_err(|_| bad())?;
    let text = text.strip_suffix('Z').ok_or_else(bad)?;
    let (main, frac) = text.split_once('.').unwrap_or((text, "0"));
    if main.len() != 14
        || !main.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let num = |range: std::ops::Range<usize>| -> Result<u32, OcspError> {
        main.get(range).and_then(|s| s.parse().ok()).ok_or_else(bad)
    };
    let year = i32::try_from(num(0..4)?).map_err(|_| bad())?;
    let month =
        time::Month::try_from(u8::try_from(num(4..6)?).map_err(|_| bad())?).map_err(|_| bad())?;
    let day = u8::try_from(num(6..8)?).map_err(|_| bad())?;
    let date = time::Date::from_calendar_date(year, month, day).map_err(|_| bad())?;
    let hms = |r| num(r).and_then(|v| u8::try_from(v).map_err(|_| bad()));
    let t = date
        .with_hms(hms(8..10)?, hms(10..12)?, hms(12..14)?)
        .map_err(|_| bad())?;
    Ok(t.assume_utc().unix_timestamp())
}

/// A bounded DER reader: definite lengths only (DER), every length checked against the
/// bytes that remain.
struct Der<'a> {
    buf: &'a [u8],
}

impl<'a> Der<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    fn peek(&self) -> Option<u8> {
        self.buf.first().copied()
    }

    fn finish(&self, what: &'static str) -> Result<(), OcspError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(malformed(what))
        }
    }

    /// Reads one element with tag `tag`; returns (whole element, content).
    fn element(&mut self, tag: u8, what: &'static str) -> Result<(&'a [u8], &'a [u8]), OcspError> {
        let bad = || malformed(what);
        let (&t, rest) = self.buf.split_first().ok_or_else(bad)?;
        if t != tag {
            return Err(bad());
        }
        let (&first, mut rest) = rest.split_first().ok_or_else(bad)?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            // Long form: 1 to 3 length bytes (MAX_RESPONSE_LEN fits in 3).
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 3 {
                return Err(bad());
            }
            let (bytes, after) = (rest.get(..n).ok_or_else(bad)?, rest.get(n..));
            rest = after.ok_or_else(bad)?;
            let len = bytes
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            // DER: the shortest form.
            if len < 0x80 || bytes.first() == Some(&0) {
                return Err(bad());
            }
            len
        };
        let content = rest.get(..len).ok_or_else(bad)?;
        let header = self.buf.len() - rest.len();
        let whole = self.buf.get(..header + len).ok_or_else(bad)?;
        self.buf = rest.get(len..).ok_or_else(bad)?;
        Ok((whole, content))
    }

    fn tlv(&mut self, tag: u8, what: &'static str) -> Result<&'a [u8], OcspError> {
        self.element(tag, what).map(|(_, content)| content)
    }

    fn raw_tlv(&mut self, tag: u8, what: &'static str) -> Result<&'a [u8], OcspError> {
        self.element(tag, what).map(|(whole, _)| whole)
    }

    fn sequence(&mut self, what: &'static str) -> Result<Der<'a>, OcspError> {
        self.tlv(0x30, what).map(Der::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_inputs_are_errors() {
        for bad in [
            &[][..],
            &[0x30],
            &[0x30, 0x80],
            &[0x30, 0x84, 0, 0, 0, 1, 0],
            &[0x30, 0x03, 0x0a, 0x01],
            &[0x30, 0x81, 0x01, 0x00],
            &[0x31, 0x03, 0x0a, 0x01, 0x00],
            &[0x30, 0x05, 0x0a, 0x01, 0x00, 0xa0, 0x00],
            &[0x30, 0x04, 0x0a, 0x02, 0x00, 0x00],
            &[0x30, 0x03, 0x0a, 0x01, 0x00, 0x00],
        ] {
            assert!(
                matches!(decode(bad), Err(OcspError::Malformed { .. })),
                "{bad:?}"
            );
        }
        assert_eq!(
            decode(&vec![0x30; MAX_RESPONSE_LEN + 1]),
            Err(OcspError::TooLarge)
        );
    }

    #[test]
    fn unsuccessful_status_decodes() {
        let r = decode(&[0x30, 0x03, 0x0a, 0x01, 0x03]).unwrap();
        assert_eq!(r.status, ResponseStatus::TryLater);
        assert!(r.responses.is_empty());
    }

    #[test]
    fn every_truncation_of_a_response_is_an_error() {
        let der = include_bytes!("testdata/ocsp-good.der");
        assert_eq!(decode(der).unwrap().status, ResponseStatus::Successful);
        for len in 0..der.len() {
            assert!(decode(&der[..len]).is_err(), "{len}");
        }
        // Every single-byte corruption decodes or fails, without a panic.
        for i in 0..der.len() {
            let mut bad = der.to_vec();
            bad[i] ^= 0x55;
            let _ = decode(&bad);
        }
    }

    const CA: &[u8] = include_bytes!("testdata/ocsp-ca.der");
    const LEAF: &[u8] = include_bytes!("testdata/ocsp-leaf.der");
    const REVOKED_LEAF: &[u8] = include_bytes!("testdata/ocsp-revoked-leaf.der");
    const GOOD: &[u8] = include_bytes!("testdata/ocsp-good.der");
    const REVOKED: &[u8] = include_bytes!("testdata/ocsp-revoked.der");

    #[test]
    fn good_response_signed_by_the_issuer() {
        let now = decode(GOOD).unwrap().produced_at;
        let r = check(GOOD, LEAF, Some(CA), now).unwrap();
        assert_eq!(r.cert_status, Some(CertStatus::Good));
        assert_eq!(r.signature, Signature::ByIssuer);
        assert_eq!(r.next_update, Some(r.this_update.unwrap() + 7 * 86400));
        assert!(r.current && r.is_good());
        // A week and a day later it is stale.
        let later = check(GOOD, LEAF, Some(CA), now + 8 * 86400).unwrap();
        assert!(!later.current && !later.is_good());
        // Without the issuer: status from the serial, signature not checked.
        let r = check(GOOD, LEAF, None, now).unwrap();
        assert_eq!(r.cert_status, Some(CertStatus::Good));
        assert_eq!(r.signature, Signature::NotChecked);
        assert!(!r.is_good());
    }

    #[test]
    fn revoked_response_signed_by_a_delegated_responder() {
        let now = decode(REVOKED).unwrap().produced_at;
        let r = check(REVOKED, REVOKED_LEAF, Some(CA), now).unwrap();
        assert!(matches!(
            r.cert_status,
            Some(CertStatus::Revoked {
                reason: Some(1),
                ..
            })
        ));
        assert_eq!(r.signature, Signature::ByDelegatedResponder);
        assert!(!r.is_good());
        // The responder's certificate lives a year: past it, the delegation no longer holds.
        let late = check(REVOKED, REVOKED_LEAF, Some(CA), now + 400 * 86400).unwrap();
        assert!(matches!(late.signature, Signature::Invalid(_)), "{late:?}");
    }

    #[test]
    fn response_about_another_certificate_has_no_status() {
        let now = decode(GOOD).unwrap().produced_at;
        let r = check(GOOD, REVOKED_LEAF, Some(CA), now).unwrap();
        assert_eq!(r.cert_status, None);
    }

    #[test]
    fn tampered_response_fails_the_signature() {
        let now = decode(GOOD).unwrap().produced_at;
        // Flip a bit in the serial number's last byte inside tbsResponseData: the
        // response still decodes but neither the CertID nor the signature match.
        let pos = GOOD
            .windows(4)
            .position(|w| w == [0x02, 0x02, 0x10, 0x01])
            .unwrap();
        let mut bad = GOOD.to_vec();
        bad[pos + 3] ^= 0x02;
        let r = check(&bad, LEAF, Some(CA), now).unwrap();
        assert!(matches!(r.signature, Signature::Invalid(_)), "{r:?}");
        // Checked against an unrelated issuer: not the signer.
        let r = check(GOOD, LEAF, Some(LEAF), now).unwrap();
        assert!(matches!(r.signature, Signature::Invalid(_)));
    }

    #[test]
    fn times() {
        assert_eq!(generalized_time(b"19700101000000Z"), Ok(0));
        assert_eq!(generalized_time(b"20000229120000.5Z"), Ok(951_825_600));
        for bad in [
            &b"2000022912000Z"[..],
            b"20001329120000Z",
            b"20000229120000",
            b"+0000229120000Z",
        ] {
            assert!(generalized_time(bad).is_err());
        }
    }
}
