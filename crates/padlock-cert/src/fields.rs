//! A certificate's fields (RFC 5280 §4.1), found by walking its outer DER structure, each
//! field then read by x509-parser.
//!
//! Path validation reads every presented certificate once per validation. x509-parser's
//! whole-certificate parser spends about half its time on the skeleton around the fields
//! (nom combinators, the serial number as a big integer, unique identifiers); this walk
//! finds the fields directly and hands each to the same x509-parser reader.

use x509_parser::certificate::{BasicExtension, Validity};
use x509_parser::error::X509Error;
use x509_parser::extensions::{
    BasicConstraints, KeyUsage, NameConstraints, ParsedExtension, X509Extension,
};
use x509_parser::oid_registry::{
    Oid, OID_X509_EXT_BASIC_CONSTRAINTS, OID_X509_EXT_KEY_USAGE, OID_X509_EXT_NAME_CONSTRAINTS,
};
use x509_parser::prelude::{AlgorithmIdentifier, FromDer, SubjectPublicKeyInfo};
use x509_parser::x509::{X509Name, X509Version};

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
    validity: Validity,
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
        let signature_algorithm = whole(outer_signature_algorithm, "signatureAlgorithm")?;

        // RFC 5280 §4.1.2.1: version is [0] EXPLICIT, absent for v1.
        let mut version = X509Version::V1;
        if let Some((0xa0, v, rest)) = tlv(tbs) {
            version = whole(v, "version")?;
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
            while !seq.is_empty() {
                let (next, ext) = X509Extension::from_der(seq)
                    .map_err(|e| format!("its extensions cannot be read ({e})"))?;
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
            issuer: whole(issuer, "issuer")?,
            validity: whole(validity, "validity")?,
            subject: whole(subject, "subject")?,
            subject_pki: whole(spki, "subjectPublicKeyInfo")?,
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

    pub fn validity(&self) -> &Validity {
        &self.validity
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
