//! A certificate's fields (RFC 5280 §4.1), found by walking its outer DER structure, each
//! field then read by x509-parser.
//!
//! Path validation reads every presented certificate once per validation. x509-parser's
//! whole-certificate parser spends about half its time on the skeleton around the fields
//! (nom combinators, the serial number as a big integer, unique identifiers); this walk
//! finds the fields directly and hands each to the same x509-parser reader.

use std::borrow::Cow;
use x509_parser::certificate::{BasicExtension, Validity};
use x509_parser::error::X509Error;

use x509_parser::der_parser::asn1_rs::{Any, BitString};
use x509_parser::extensions::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, GeneralName, KeyIdentifier,
    KeyUsage, NameConstraints, ParsedExtension, SubjectAlternativeName, X509Extension,
};
use x509_parser::oid_registry::{
    Oid, OID_X509_EXT_BASIC_CONSTRAINTS, OID_X509_EXT_KEY_USAGE, OID_X509_EXT_NAME_CONSTRAINTS,
};
use x509_parser::prelude::{AlgorithmIdentifier, FromDer, SubjectPublicKeyInfo};
use x509_parser::x509::{AttributeTypeAndValue, RelativeDistinguishedName, X509Name, X509Version};

/// Reads one DER TLV (X.690 §8.1): (tag, contents, rest). Single-byte tags; definite
/// lengths of up to four bytes in their shortest form (X.690 §10.1).
pub(crate) fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let (bytes, r) = rest.split_at_checked(n)?;
        rest = r;
        let len = bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        // Shortest form: no leading zero byte, and the long form only from 128 on.
        if bytes.first() == Some(&0) || len < 0x80 {
            return None;
        }
        len
    };
    let (contents, rest) = rest.split_at_checked(len)?;
    Some((tag, contents, rest))
}

/// One TLV with tag `tag`, whole (header included), and what follows it.
fn element(input: &[u8], tag: u8) -> Option<(&[u8], &[u8], &[u8])> {
    let (t, contents, rest) = tlv(input)?;
    let whole = input.get(..input.len() - rest.len())?;
    (t == tag).then_some((whole, contents, rest))
}

/// Runs an x509-parser reader over exactly `der`.
fn whole<'a, T: FromDer<'a, X509Error>>(der: &'a [u8], what: &str) -> Result<T, String> {
    match T::from_der(der) {
        Ok(([], v)) => Ok(v),
        Ok((rest, _)) => Err(format!("{} bytes follow its {what}", rest.len())),
        Err(e) => Err(format!("its {what} cannot be read ({e})")),
    }
}

const SEQUENCE: u8 = 0x30;

/// The extensions every CA and most leaves carry, in their usual DER form, read without
/// x509-parser's generic machinery (about 0.15 us each): basicConstraints, keyUsage,
/// extKeyUsage, subjectAltName of DNS names and IP addresses, subjectKeyIdentifier,
/// authorityKeyIdentifier with keyIdentifier only (RFC 5280 §4.2.1.1-4.2.1.3, §4.2.1.6,
/// §4.2.1.9, §4.2.1.12). The result is what x509-parser reads from the
/// same bytes; any other form, and every other extension, returns `None`, for
/// x509-parser to read (and to judge, when malformed).
fn common_extension(input: &[u8]) -> Option<(&[u8], X509Extension<'_>)> {
    const BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];
    const KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x0f];
    const SUBJECT_KEY_ID: &[u8] = &[0x55, 0x1d, 0x0e];
    const AUTHORITY_KEY_ID: &[u8] = &[0x55, 0x1d, 0x23];
    const EXT_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x25];
    const SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];
    let (SEQUENCE, ext, next) = tlv(input)? else {
        return None;
    };
    let (0x06, oid, rest) = tlv(ext)? else {
        return None;
    };
    // critical BOOLEAN DEFAULT FALSE: DER writes TRUE as 0xff and never writes FALSE.
    let (critical, value_tlv) = match tlv(rest)? {
        (0x01, [0xff], rest) => (true, tlv(rest)?),
        (0x01, ..) => return None,
        other => (false, other),
    };
    let (0x04, value, []) = value_tlv else {
        return None;
    };
    let parsed = match oid {
        BASIC_CONSTRAINTS => {
            let (SEQUENCE, mut body, []) = tlv(value)? else {
                return None;
            };
            let mut ca = false;
            if let Some((0x01, v, rest)) = tlv(body) {
                if v != [0xff] {
                    return None;
                }
                ca = true;
                body = rest;
            }
            let path_len_constraint = match tlv(body) {
                None if body.is_empty() => None,
                Some((0x02, int, [])) => Some(small_uint(int)?),
                _ => return None,
            };
            ParsedExtension::BasicConstraints(BasicConstraints {
                ca,
                path_len_constraint,
            })
        }
        KEY_USAGE => {
            let (0x03, [unused, bits @ ..], []) = tlv(value)? else {
                return None;
            };
            // One or two bytes, unused bits zero (X.690 §11.2.1), as x509-parser folds them.
            let last = *bits.last()?;
            if *unused > 7 || bits.len() > 2 || last & ((1u8 << unused) - 1) != 0 {
                return None;
            }
            let flags = bits
                .iter()
                .rev()
                .fold(0u16, |acc, b| (acc << 8) | u16::from(b.reverse_bits()));
            ParsedExtension::KeyUsage(KeyUsage { flags })
        }
        SUBJECT_KEY_ID => {
            let (0x04, id, []) = tlv(value)? else {
                return None;
            };
            ParsedExtension::SubjectKeyIdentifier(KeyIdentifier(id))
        }
        AUTHORITY_KEY_ID => {
            let (SEQUENCE, body, []) = tlv(value)? else {
                return None;
            };
            let (0x80, id, []) = tlv(body)? else {
                return None;
            };
            ParsedExtension::AuthorityKeyIdentifier(AuthorityKeyIdentifier {
                key_identifier: Some(KeyIdentifier(id)),
                authority_cert_issuer: None,
                authority_cert_serial: None,
            })
        }
        EXT_KEY_USAGE => ParsedExtension::ExtendedKeyUsage(ext_key_usage(value)?),
        SUBJECT_ALT_NAME => ParsedExtension::SubjectAlternativeName(alt_names(value)?),
        _ => return None,
    };
    let oid = Oid::new(Cow::Borrowed(oid));
    Some((next, X509Extension::new(oid, critical, value, parsed)))
}

/// extKeyUsage (RFC 5280 §4.2.1.12) when it lists only purposes x509-parser names (the
/// TLS ones among them); `None` for anything else, x509-parser then keeps the others.
fn ext_key_usage(value: &[u8]) -> Option<ExtendedKeyUsage<'_>> {
    const KP: [u8; 7] = [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03];
    let (SEQUENCE, mut body, []) = tlv(value)? else {
        return None;
    };
    let mut eku = ExtendedKeyUsage {
        any: false,
        server_auth: false,
        client_auth: false,
        code_signing: false,
        email_protection: false,
        time_stamping: false,
        ocsp_signing: false,
        other: Vec::new(),
    };
    if body.is_empty() {
        return None;
    }
    while !body.is_empty() {
        let (0x06, oid, rest) = tlv(body)? else {
            return None;
        };
        body = rest;
        let flag = match oid {
            [0x55, 0x1d, 0x25, 0x00] => &mut eku.any,
            [p @ .., n] if p == KP => match n {
                1 => &mut eku.server_auth,
                2 => &mut eku.client_auth,
                3 => &mut eku.code_signing,
                4 => &mut eku.email_protection,
                8 => &mut eku.time_stamping,
                9 => &mut eku.ocsp_signing,
                _ => return None,
            },
            _ => return None,
        };
        *flag = true;
    }
    Some(eku)
}

/// subjectAltName (RFC 5280 §4.2.1.6) when it holds only dNSName and iPAddress entries, the
/// ones a TLS server certificate has; `None` for anything else.
fn alt_names(value: &[u8]) -> Option<SubjectAlternativeName<'_>> {
    let (SEQUENCE, mut body, []) = tlv(value)? else {
        return None;
    };
    if body.is_empty() {
        return None;
    }
    let mut general_names = Vec::new();
    while !body.is_empty() {
        let (tag, data, rest) = tlv(body)?;
        body = rest;
        general_names.push(match tag {
            // [2] IA5String; x509-parser reads it as UTF-8 (deployed names sometimes are).
            0x82 => GeneralName::DNSName(std::str::from_utf8(data).ok()?),
            0x87 => GeneralName::IPAddress(data),
            _ => return None,
        });
    }
    Some(SubjectAlternativeName { general_names })
}

/// An AlgorithmIdentifier (RFC 5280 §4.1.1.2) of an algorithm padlock verifies with, with
/// absent parameters or one DER element, as x509-parser reads it; `None` otherwise.
fn algorithm_fast(der: &[u8]) -> Option<AlgorithmIdentifier<'_>> {
    let (SEQUENCE, body, []) = tlv(der)? else {
        return None;
    };
    let (0x06, oid, params) = tlv(body)? else {
        return None;
    };
    if !crate::sig::KNOWN_OIDS
        .iter()
        .any(|(known, _)| *known == oid)
    {
        return None;
    }
    let parameters = match params {
        [] => None,
        _ => match Any::from_der(params).ok()? {
            ([], any) => Some(any),
            _ => return None,
        },
    };
    Some(AlgorithmIdentifier::new(
        Oid::new(Cow::Borrowed(oid)),
        parameters,
    ))
}

/// A SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) of a known key algorithm, its key a BIT
/// STRING without unused bits, as x509-parser reads it; `None` otherwise.
fn spki_fast(der: &[u8]) -> Option<SubjectPublicKeyInfo<'_>> {
    let (SEQUENCE, body, []) = tlv(der)? else {
        return None;
    };
    let (alg, _, rest) = element(body, SEQUENCE)?;
    let (0x03, [0, key @ ..], []) = tlv(rest)? else {
        return None;
    };
    Some(SubjectPublicKeyInfo {
        algorithm: algorithm_fast(alg)?,
        subject_public_key: BitString::new(0, key),
        raw: der,
    })
}

/// A Name (RFC 5280 §4.1.2.4) as x509-parser reads it, when each attribute type is an OID
/// of single-byte arcs (id-at-*, as names use) and each value one DER element that
/// x509-parser's `Any` reader accepts; `None` for anything else, x509-parser then reads
/// (or refuses) it.
fn name_fast(der: &[u8]) -> Option<X509Name<'_>> {
    let (SEQUENCE, mut body, []) = tlv(der)? else {
        return None;
    };
    let mut rdns = Vec::new();
    while !body.is_empty() {
        let (0x31, mut set, rest) = tlv(body)? else {
            return None;
        };
        body = rest;
        if set.is_empty() {
            return None;
        }
        let mut attrs = Vec::with_capacity(1);
        while !set.is_empty() {
            let (SEQUENCE, attr, rest) = tlv(set)? else {
                return None;
            };
            set = rest;
            let (0x06, oid, value) = tlv(attr)? else {
                return None;
            };
            if oid.is_empty() || oid.iter().any(|b| b & 0x80 != 0) {
                return None;
            }
            let ([], value) = Any::from_der(value).ok()? else {
                return None;
            };
            attrs.push(AttributeTypeAndValue::new(
                Oid::new(Cow::Borrowed(oid)),
                value,
            ));
        }
        rdns.push(RelativeDistinguishedName::new(attrs));
    }
    Some(X509Name::new(rdns, der))
}

/// Validity in the forms RFC 5280 §4.1.2.5.1-2 prescribes (UTCTime YYMMDDHHMMSSZ,
/// GeneralizedTime YYYYMMDDHHMMSSZ) as x509-parser reads them; `None` for anything else,
/// x509-parser then reads (or refuses) it.
fn validity_fast(der: &[u8]) -> Option<(i64, i64)> {
    let (SEQUENCE, body, []) = tlv(der)? else {
        return None;
    };
    let (t1, body, rest) = tlv(body)?;
    let (t2, body2, []) = tlv(rest)? else {
        return None;
    };
    Some((time_fast(t1, body)?, time_fast(t2, body2)?))
}

fn time_fast(tag: u8, text: &[u8]) -> Option<i64> {
    let (year, rest) = match (tag, text) {
        // RFC 5280 §4.1.2.5.1: YY of 50 or more is 19YY, below 50 is 20YY.
        (0x17, [y @ .., b'Z']) if y.len() == 12 => {
            let (yy, rest) = y.split_at(2);
            let yy = digits(yy)?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, rest)
        }
        (0x18, [y @ .., b'Z']) if y.len() == 14 => {
            let (yyyy, rest) = y.split_at(4);
            (digits(yyyy)?, rest)
        }
        _ => return None,
    };
    let [mo, d, h, mi, se] = [0, 2, 4, 6, 8].map(|i| rest.get(i..i + 2).and_then(digits));
    let (month, day, hour, min, sec) = (mo?, d?, h?, mi?, se?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > month_days || hour > 23 || min > 59 || sec > 59 {
        return None;
    }
    // Days from civil (H. Hinnant's algorithm), proleptic Gregorian.
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hour * 3600 + min * 60 + sec)
}

/// ASCII decimal digits as a number.
fn digits(text: &[u8]) -> Option<i64> {
    text.iter().try_fold(0i64, |acc, b| {
        b.is_ascii_digit().then(|| acc * 10 + i64::from(b - b'0'))
    })
}

/// A non-negative DER INTEGER's contents that fit in a u32 (pathLenConstraint), in the
/// shortest form; `None` otherwise.
fn small_uint(int: &[u8]) -> Option<u32> {
    match int {
        [] => None,
        [b, ..] if b & 0x80 != 0 => None,
        [0, next, ..] if next & 0x80 == 0 => None,
        _ if int.len() > 5 => None,
        _ => u32::try_from(int.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b))).ok(),
    }
}

/// The fields of one certificate, borrowed from its DER.
pub(crate) struct Fields<'a> {
    /// tbsCertificate with its header: the bytes the issuer signed.
    pub tbs_certificate: &'a [u8],
    /// The DER of tbsCertificate's signature field (RFC 5280 §4.1.2.3).
    pub inner_signature_algorithm: &'a [u8],
    /// The DER of signatureAlgorithm (RFC 5280 §4.1.1.2).
    pub outer_signature_algorithm: &'a [u8],
    pub signature_algorithm: AlgorithmIdentifier<'a>,
    /// signatureValue's unused-bits count and its bits.
    pub signature_unused_bits: u8,
    pub signature: &'a [u8],
    version: X509Version,
    raw_serial: &'a [u8],
    issuer: X509Name<'a>,
    /// notBefore and notAfter, in seconds since the Unix epoch.
    validity: (i64, i64),
    subject: X509Name<'a>,
    subject_pki: SubjectPublicKeyInfo<'a>,
    extensions: Vec<X509Extension<'a>>,
}

impl<'a> Fields<'a> {
    /// Reads a DER Certificate; returns it and the bytes after it, or what is wrong.
    pub fn read(der: &'a [u8]) -> Result<(Self, &'a [u8]), String> {
        let bad = |what: &str| format!("its {what} is not DER of the expected form");
        let (_, cert, after) = element(der, SEQUENCE).ok_or_else(|| bad("outer SEQUENCE"))?;
        let (tbs_certificate, mut tbs, rest) =
            element(cert, SEQUENCE).ok_or_else(|| bad("tbsCertificate"))?;
        let (outer_signature_algorithm, _, rest) =
            element(rest, SEQUENCE).ok_or_else(|| bad("signatureAlgorithm"))?;
        let (sig, rest) = match tlv(rest) {
            Some((0x03, sig, rest)) => (sig, rest),
            _ => return Err(bad("signatureValue")),
        };
        if !rest.is_empty() {
            return Err(format!("{} bytes follow its signature", rest.len()));
        }
        let (&signature_unused_bits, signature) =
            sig.split_first().ok_or_else(|| bad("signatureValue"))?;
        if signature_unused_bits > 7 {
            return Err(bad("signatureValue"));
        }
        let signature_algorithm = algorithm_fast(outer_signature_algorithm).map_or_else(
            || whole(outer_signature_algorithm, "signatureAlgorithm"),
            Ok,
        )?;

        // RFC 5280 §4.1.2.1: version is [0] EXPLICIT, absent for v1.
        let mut version = X509Version::V1;
        if let Some((0xa0, v, rest)) = tlv(tbs) {
            version = match v {
                // INTEGER 0..=127, as x509-parser reads it.
                [0x02, 0x01, n] if *n < 0x80 => X509Version(u32::from(*n)),
                _ => whole(v, "version")?,
            };
            tbs = rest;
        }
        let (raw_serial, rest) = match tlv(tbs) {
            Some((0x02, serial, rest)) => (serial, rest),
            _ => return Err(bad("serial number")),
        };
        let field = |name: &str, input: &'a [u8]| {
            element(input, SEQUENCE)
                .map(|(whole, _, rest)| (whole, rest))
                .ok_or_else(|| bad(name))
        };
        let (inner_signature_algorithm, rest) = field("signature", rest)?;
        let (issuer, rest) = field("issuer", rest)?;
        let (validity, rest) = field("validity", rest)?;
        let (subject, rest) = field("subject", rest)?;
        let (spki, mut rest) = field("subjectPublicKeyInfo", rest)?;
        // issuerUniqueID [1] and subjectUniqueID [2] (RFC 5280 §4.1.2.8), unused.
        for tag in [0x81, 0xa1, 0x82, 0xa2] {
            if let Some((t, _, r)) = tlv(rest) {
                if t == tag {
                    rest = r;
                }
            }
        }
        let mut extensions = Vec::new();
        if let Some((0xa3, exts, r)) = tlv(rest) {
            let (_, mut seq, trailing) =
                element(exts, SEQUENCE).ok_or_else(|| bad("extensions"))?;
            if !trailing.is_empty() {
                return Err(bad("extensions"));
            }
            // Counted first, so the vector is allocated once.
            let mut count = 0;
            let mut walk = seq;
            while let Some((_, _, r)) = tlv(walk) {
                count += 1;
                walk = r;
            }
            extensions.reserve_exact(count);
            while !seq.is_empty() {
                let (next, ext) = match common_extension(seq) {
                    Some(read) => read,
                    None => X509Extension::from_der(seq)
                        .map_err(|e| format!("its extensions cannot be read ({e})"))?,
                };
                extensions.push(ext);
                seq = next;
            }
            rest = r;
        }
        if !rest.is_empty() {
            return Err(format!(
                "{} unexpected bytes end its tbsCertificate",
                rest.len()
            ));
        }
        let fields = Self {
            tbs_certificate,
            inner_signature_algorithm,
            outer_signature_algorithm,
            signature_algorithm,
            signature_unused_bits,
            signature,
            version,
            raw_serial,
            issuer: name_fast(issuer).map_or_else(|| whole(issuer, "issuer"), Ok)?,
            validity: match validity_fast(validity) {
                Some(v) => v,
                None => {
                    let v: Validity = whole(validity, "validity")?;
                    (v.not_before.timestamp(), v.not_after.timestamp())
                }
            },
            subject: name_fast(subject).map_or_else(|| whole(subject, "subject"), Ok)?,
            subject_pki: spki_fast(spki).map_or_else(|| whole(spki, "subjectPublicKeyInfo"), Ok)?,
            extensions,
        };
        Ok((fields, after))
    }

    pub fn version(&self) -> X509Version {
        self.version
    }

    /// The serialNumber INTEGER's contents.
    pub fn raw_serial(&self) -> &'a [u8] {
        self.raw_serial
    }

    /// The serial number as hex bytes joined by colons.
    pub fn raw_serial_as_string(&self) -> String {
        let hex: Vec<String> = self.raw_serial.iter().map(|b| format!("{b:02x}")).collect();
        hex.join(":")
    }

    pub fn issuer(&self) -> &X509Name<'a> {
        &self.issuer
    }

    pub fn subject(&self) -> &X509Name<'a> {
        &self.subject
    }

    /// notBefore and notAfter (RFC 5280 §4.1.2.5), in seconds since the Unix epoch.
    pub fn validity(&self) -> (i64, i64) {
        self.validity
    }

    pub fn public_key(&self) -> &SubjectPublicKeyInfo<'a> {
        &self.subject_pki
    }

    pub fn extensions(&self) -> &[X509Extension<'a>] {
        &self.extensions
    }

    /// The extension `oid`, or an error when it appears twice (RFC 5280 §4.2).
    fn unique(&self, oid: &Oid<'_>) -> Result<Option<&X509Extension<'a>>, X509Error> {
        let mut found = None;
        for ext in self.extensions.iter().filter(|e| e.oid == *oid) {
            if found.is_some() {
                return Err(X509Error::DuplicateExtensions);
            }
            found = Some(ext);
        }
        Ok(found)
    }

    pub fn basic_constraints(
        &self,
    ) -> Result<Option<BasicExtension<&BasicConstraints>>, X509Error> {
        Ok(self
            .unique(&OID_X509_EXT_BASIC_CONSTRAINTS)?
            .and_then(|ext| match ext.parsed_extension() {
                ParsedExtension::BasicConstraints(bc) => {
                    Some(BasicExtension::new(ext.critical, bc))
                }
                _ => None,
            }))
    }

    pub fn key_usage(&self) -> Result<Option<BasicExtension<&KeyUsage>>, X509Error> {
        self.unique(&OID_X509_EXT_KEY_USAGE)?
            .map_or(Ok(None), |ext| match ext.parsed_extension() {
                ParsedExtension::KeyUsage(ku) => Ok(Some(BasicExtension::new(ext.critical, ku))),
                _ => Err(X509Error::InvalidExtensions),
            })
    }

    pub fn name_constraints(
        &self,
    ) -> Result<Option<BasicExtension<&NameConstraints<'a>>>, X509Error> {
        self.unique(&OID_X509_EXT_NAME_CONSTRAINTS)?
            .map_or(Ok(None), |ext| match ext.parsed_extension() {
                ParsedExtension::NameConstraints(nc) => {
                    Ok(Some(BasicExtension::new(ext.critical, nc)))
                }
                _ => Err(X509Error::InvalidExtensions),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tlv_of(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        if body.len() < 0x80 {
            out.push(u8::try_from(body.len()).unwrap());
        } else {
            out.push(0x81);
            out.push(u8::try_from(body.len()).unwrap());
        }
        out.extend_from_slice(body);
        out
    }

    /// An Extension: OID arc under id-ce, critical flag bytes (if any), value.
    fn ext(arc: u8, critical: Option<u8>, value: &[u8]) -> Vec<u8> {
        let mut body = tlv_of(0x06, &[0x55, 0x1d, arc]);
        if let Some(c) = critical {
            body.extend(tlv_of(0x01, &[c]));
        }
        body.extend(tlv_of(0x04, value));
        tlv_of(0x30, &body)
    }

    /// Whatever the targeted reader accepts, it reads exactly as x509-parser does.
    fn agrees(der: &[u8]) -> bool {
        match common_extension(der) {
            Some((rest, mine)) => {
                let (theirs_rest, theirs) = X509Extension::from_der(der).unwrap();
                assert_eq!(rest, theirs_rest);
                assert_eq!(mine, theirs, "{der:02x?}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn common_extensions_read_as_x509_parser_does() {
        let seq = |b: &[u8]| tlv_of(0x30, b);
        let int = |b: &[u8]| tlv_of(0x02, b);
        let yes = tlv_of(0x01, &[0xff]);
        let kp = |n: u8| tlv_of(0x06, &[0x2b, 6, 1, 5, 5, 7, 3, n]);
        // basicConstraints
        assert!(agrees(&ext(0x13, None, &seq(&[]))));
        assert!(agrees(&ext(0x13, Some(0xff), &seq(&yes))));
        for n in [
            &[0u8][..],
            &[0x7f],
            &[0x00, 0x80],
            &[0x7f, 0xff, 0xff, 0xff],
        ] {
            assert!(agrees(&ext(
                0x13,
                Some(0xff),
                &seq(&[yes.clone(), int(n)].concat())
            )));
        }
        // Not DER, negative or too large: left to x509-parser.
        assert!(!agrees(&ext(0x13, None, &seq(&tlv_of(0x01, &[0])))));
        assert!(!agrees(&ext(0x13, None, &seq(&tlv_of(0x01, &[1])))));
        for n in [&[0x80u8][..], &[0, 1], &[1, 0, 0, 0, 0], &[]] {
            assert!(!agrees(&ext(
                0x13,
                None,
                &seq(&[yes.clone(), int(n)].concat())
            )));
        }
        assert!(!agrees(&ext(0x13, Some(0), &seq(&[]))));
        // keyUsage: digitalSignature; keyCertSign + cRLSign; decipherOnly (two bytes).
        for bits in [
            &[7u8, 0x80][..],
            &[1, 0x06],
            &[7, 0x80, 0x80],
            &[0, 0xff, 0x80],
        ] {
            assert!(agrees(&ext(0x0f, Some(0xff), &tlv_of(0x03, bits))));
        }
        for bits in [&[0u8][..], &[1, 0x81], &[8, 0x00], &[0, 1, 2, 3]] {
            assert!(!agrees(&ext(0x0f, None, &tlv_of(0x03, bits))));
        }
        // subjectKeyIdentifier, authorityKeyIdentifier (keyIdentifier only).
        assert!(agrees(&ext(0x0e, None, &tlv_of(0x04, &[1, 2, 3]))));
        assert!(agrees(&ext(0x23, None, &seq(&tlv_of(0x80, &[4, 5])))));
        let with_serial = [tlv_of(0x80, &[4]), tlv_of(0x82, &[1])].concat();
        assert!(!agrees(&ext(0x23, None, &seq(&with_serial))));
        // extKeyUsage with TLS purposes and anyExtendedKeyUsage; others left to x509-parser.
        assert!(agrees(&ext(
            0x25,
            None,
            &seq(&[kp(1), kp(2), kp(1)].concat())
        )));
        let any = tlv_of(0x06, &[0x55, 0x1d, 0x25, 0x00]);
        assert!(agrees(&ext(
            0x25,
            None,
            &seq(&[any, kp(9), kp(8)].concat())
        )));
        assert!(!agrees(&ext(0x25, None, &seq(&kp(5)))));
        assert!(!agrees(&ext(0x25, None, &seq(&[]))));
        // subjectAltName of DNS names and IP addresses; others left to x509-parser.
        let dns = |n: &str| tlv_of(0x82, n.as_bytes());
        let ip = tlv_of(0x87, &[127, 0, 0, 1]);
        assert!(agrees(&ext(
            0x11,
            None,
            &seq(&[dns("a.example"), ip.clone()].concat())
        )));
        assert!(agrees(&ext(0x11, Some(0xff), &seq(&dns("*.b.example")))));
        assert!(!agrees(&ext(0x11, None, &seq(&tlv_of(0x82, &[0xff])))));
        assert!(!agrees(&ext(0x11, None, &seq(&tlv_of(0x86, b"https://x")))));
        assert!(!agrees(&ext(0x11, None, &seq(&tlv_of(0xa2, &dns("x"))))));
        assert!(!agrees(&ext(0x11, None, &seq(&[]))));
        // Trailing bytes, other extensions: x509-parser.
        let mut trailing = ext(0x0e, None, &tlv_of(0x04, &[1]));
        trailing.extend([0, 0]);
        assert!(agrees(&trailing));
        assert!(!agrees(&ext(0x12, None, &seq(&[]))));
        assert!(!agrees(&ext(
            0x0e,
            None,
            &[tlv_of(0x04, &[1]), vec![0]].concat()
        )));
    }

    /// On real certificates, every field is what x509-parser's whole-certificate parser reads.
    #[test]
    fn fields_match_x509_parser() {
        use x509_parser::certificate::X509Certificate;
        let p = crate::tests::pki();
        let leaf = crate::tests::leaf(&["example.com", "127.0.0.1"], &p.inter);
        for der in [&leaf[..], &p.inter.der[..], &p.root.der[..]] {
            let (mine, rest) = Fields::read(der).unwrap();
            let (rest2, theirs) = X509Certificate::from_der(der).unwrap();
            assert_eq!(rest, rest2);
            assert_eq!(mine.tbs_certificate, theirs.tbs_certificate.as_ref());
            assert_eq!(mine.signature_algorithm, theirs.signature_algorithm);
            assert_eq!(mine.signature, theirs.signature_value.data.as_ref());
            assert_eq!(
                mine.signature_unused_bits,
                theirs.signature_value.unused_bits
            );
            assert_eq!(mine.version(), theirs.version());
            assert_eq!(mine.raw_serial(), theirs.raw_serial());
            assert_eq!(mine.raw_serial_as_string(), theirs.raw_serial_as_string());
            assert_eq!(mine.issuer(), theirs.issuer());
            assert_eq!(mine.subject(), theirs.subject());
            let v = theirs.validity();
            let expected = (v.not_before.timestamp(), v.not_after.timestamp());
            assert_eq!(mine.validity(), expected);
            assert_eq!(mine.public_key(), theirs.public_key());
            assert_eq!(mine.extensions(), theirs.extensions());
        }
        // A truncated certificate does not read.
        assert!(Fields::read(&leaf[..leaf.len() - 1]).is_err());
    }

    /// The algorithm and key readers agree with x509-parser wherever they answer.
    #[test]
    fn algorithms_and_keys_read_as_x509_parser_does() {
        let ecdsa = tlv_of(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]);
        let rsa = tlv_of(0x06, &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 1, 11]);
        let ec_key = tlv_of(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]);
        let p256 = tlv_of(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]);
        let algs = [
            tlv_of(0x30, &ecdsa),
            tlv_of(0x30, &[rsa.clone(), vec![5, 0]].concat()),
            tlv_of(0x30, &[ec_key.clone(), p256.clone()].concat()),
            tlv_of(0x30, &[rsa.clone(), vec![5, 0, 5, 0]].concat()),
            tlv_of(0x30, &tlv_of(0x06, &[0x55, 4, 3])),
        ];
        let mut answered = 0;
        for der in &algs {
            if let Some(mine) = algorithm_fast(der) {
                assert_eq!(
                    Some(mine),
                    AlgorithmIdentifier::from_der(der).ok().map(|(_, a)| a)
                );
                answered += 1;
            }
        }
        assert_eq!(answered, 3);
        let alg = tlv_of(0x30, &[ec_key, p256].concat());
        for (bits, fast) in [
            (&[0u8, 4, 1, 2][..], true),
            (&[1, 4, 2], false),
            (&[0], true),
        ] {
            let der = tlv_of(0x30, &[alg.clone(), tlv_of(0x03, bits)].concat());
            let mine = spki_fast(&der);
            assert_eq!(mine.is_some(), fast);
            if let Some(mine) = mine {
                assert_eq!(mine, SubjectPublicKeyInfo::from_der(&der).unwrap().1);
            }
        }
    }

    /// The name reader agrees with x509-parser wherever it answers.
    #[test]
    fn names_read_as_x509_parser_does() {
        let atv = |oid: &[u8], tag: u8, v: &[u8]| {
            tlv_of(0x30, &[tlv_of(0x06, oid), tlv_of(tag, v)].concat())
        };
        let cn = [0x55, 4, 3];
        let cases = [
            vec![],
            tlv_of(0x31, &atv(&cn, 0x0c, b"Example CA")),
            [
                tlv_of(0x31, &atv(&[0x55, 4, 6], 0x13, b"US")),
                tlv_of(
                    0x31,
                    &[atv(&cn, 0x0c, b"a"), atv(&[0x55, 4, 10], 0x13, b"Org")].concat(),
                ),
            ]
            .concat(),
            tlv_of(0x31, &atv(&cn, 0x1e, &[0, 0x41])),
            tlv_of(0x31, &atv(&cn, 0x13, b"bad*printable")),
            tlv_of(
                0x31,
                &atv(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 9, 1], 0x16, b"a@b"),
            ),
            tlv_of(0x31, &[]),
            tlv_of(0x31, &[atv(&cn, 0x0c, b"x"), vec![0]].concat()),
            tlv_of(
                0x31,
                &tlv_of(
                    0x30,
                    &[tlv_of(0x06, &cn), tlv_of(0x0c, b"x"), vec![5, 0]].concat(),
                ),
            ),
        ];
        let mut answered = 0;
        for body in cases {
            let der = tlv_of(0x30, &body);
            let theirs = X509Name::from_der(&der).ok();
            if let Some(mine) = name_fast(&der) {
                let (rest, theirs) = theirs.unwrap();
                assert!(rest.is_empty());
                assert_eq!(mine, theirs);
                assert_eq!(mine.as_raw(), theirs.as_raw());
                answered += 1;
            }
        }
        assert_eq!(answered, 5);
    }

    /// The validity reader agrees with x509-parser wherever it answers.
    #[test]
    fn times_read_as_x509_parser_does() {
        let mut answered = 0;
        for text in [
            "491231235959Z",
            "500101000000Z",
            "991231235959Z",
            "000229120000Z",
            "240229000000Z",
            "230229000000Z",
            "20491231235959Z",
            "20500101000000Z",
            "19700101000000Z",
            "99991231235959Z",
            "20000229000000Z",
            "21000229000000Z",
            "201301315959Z",
            "200431000000Z",
            "200101240000Z",
            "200101006000Z",
            "200101000060Z",
            "2001010000Z",
            "200101000000+0000",
            "20200101000000.5Z",
        ] {
            let tag = if text.len() == 15 || text.contains('.') {
                0x18
            } else {
                0x17
            };
            let t = tlv_of(tag, text.as_bytes());
            let der = tlv_of(0x30, &[t.clone(), t].concat());
            let theirs = Validity::from_der(&der)
                .ok()
                .map(|(_, v)| (v.not_before.timestamp(), v.not_after.timestamp()));
            if let Some(mine) = validity_fast(&der) {
                assert_eq!(Some(mine), theirs, "{text}");
                answered += 1;
            }
        }
        assert_eq!(answered, 10);
    }

    #[test]
    fn lengths_are_der() {
        assert_eq!(tlv(&[0x04, 0x01, 7]), Some((0x04, &[7u8][..], &[][..])));
        assert_eq!(tlv(&[0x04, 0x81, 0x01, 7]), None);
        assert_eq!(tlv(&[0x04, 0x82, 0x00, 0x80]), None);
        assert_eq!(tlv(&[0x04, 0x80]), None);
        assert_eq!(tlv(&[0x04, 0x02, 7]), None);
    }
}
