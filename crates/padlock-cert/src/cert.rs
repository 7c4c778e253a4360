//! A parsed certificate with the derived facts path building keeps asking for.

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::oid_registry::{OID_PKIX_ACCESS_DESCRIPTOR_CA_ISSUERS, OID_X509_COMMON_NAME};
use x509_parser::prelude::{FromDer, ParsedExtension};
use x509_parser::x509::{AttributeTypeAndValue, RelativeDistinguishedName, X509Name};

use crate::error::CertError;

/// Upper bound on one certificate's size; real ones are a few KiB (bounded memory rule).
pub(crate) const MAX_CERT_LEN: usize = 64 * 1024;

/// One certificate of a chain: its DER, its parse, and normalized names for matching.
pub(crate) struct Cert<'a> {
    pub der: &'a [u8],
    pub x509: X509Certificate<'a>,
    pub subject_key: Vec<u8>,
    pub issuer_key: Vec<u8>,
}

impl<'a> Cert<'a> {
    /// Parses one DER certificate; trailing bytes are an error (RFC 5280 §4.1 is DER).
    pub fn parse(der: &'a [u8], depth: Option<usize>) -> Result<Self, CertError> {
        if der.len() > MAX_CERT_LEN {
            return Err(CertError::Malformed {
                what: format!(
                    "it is {} bytes long, over the {MAX_CERT_LEN}-byte limit",
                    der.len()
                ),
                depth,
            });
        }
        let (rest, x509) = X509Certificate::from_der(der).map_err(|e| CertError::Malformed {
            what: format!("X.509 parse error ({e})"),
            depth,
        })?;
        if !rest.is_empty() {
            return Err(CertError::Malformed {
                what: format!("{} bytes follow the certificate", rest.len()),
                depth,
            });
        }
        let subject_key = name_key(x509.subject());
        let issuer_key = name_key(x509.issuer());
        Ok(Self {
            der,
            x509,
            subject_key,
            issuer_key,
        })
    }

    /// The subject, as people read it.
    pub fn subject(&self) -> String {
        display_name(self.x509.subject())
    }

    /// The issuer, as people read it.
    pub fn issuer(&self) -> String {
        display_name(self.x509.issuer())
    }

    /// Self-issued per RFC 5280 §3.2: subject and issuer names match.
    pub fn is_self_issued(&self) -> bool {
        self.subject_key == self.issuer_key
    }

    /// The AIA caIssuers URL (RFC 5280 §4.2.2.1), if the certificate has one.
    pub fn ca_issuers_url(&self) -> Option<String> {
        self.x509.extensions().iter().find_map(|ext| {
            if let ParsedExtension::AuthorityInfoAccess(aia) = ext.parsed_extension() {
                aia.iter().find_map(|ad| match &ad.access_location {
                    GeneralName::URI(u)
                        if ad.access_method == OID_PKIX_ACCESS_DESCRIPTOR_CA_ISSUERS =>
                    {
                        Some((*u).to_string())
                    }
                    _ => None,
                })
            } else {
                None
            }
        })
    }
}

/// A name as people read it: the full distinguished name, or "(empty name)".
pub(crate) fn display_name(name: &X509Name<'_>) -> String {
    let s = name.to_string();
    if s.is_empty() {
        "(empty name)".to_string()
    } else {
        s
    }
}

/// The subject common name, if any (only for hints: RFC 9525 forbids matching on it).
pub(crate) fn common_name(name: &X509Name<'_>) -> Option<String> {
    name.iter_by_oid(&OID_X509_COMMON_NAME)
        .next()
        .and_then(|a| a.as_str().ok())
        .map(str::to_string)
}

/// A comparison key for a Name per RFC 5280 §7.1: attribute by attribute, with string
/// values case-folded (ASCII) and whitespace trimmed and collapsed, so that a
/// PrintableString issuer matches a UTF8String subject of the same text.
pub(crate) fn name_key(name: &X509Name<'_>) -> Vec<u8> {
    let mut key = Vec::with_capacity(name.as_raw().len());
    for rdn in name.iter() {
        push_rdn_key(&mut key, rdn);
    }
    key
}

/// The comparison key of one RDN; see [`name_key`].
pub(crate) fn rdn_key(rdn: &RelativeDistinguishedName<'_>) -> Vec<u8> {
    let mut key = Vec::new();
    push_rdn_key(&mut key, rdn);
    key
}

/// Appends one attribute's key: type, then the case-folded, whitespace-collapsed text
/// (or the raw value when it is not a string).
fn push_attr_key(out: &mut Vec<u8>, atv: &AttributeTypeAndValue<'_>) {
    let start = out.len();
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(atv.attr_type().as_bytes());
    out.push(b'=');
    match atv.as_str() {
        Ok(s) => {
            out.push(b's');
            for (i, word) in s.split_ascii_whitespace().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                out.extend(word.bytes().map(|b| b.to_ascii_lowercase()));
            }
        }
        Err(_) => {
            out.push(b'b');
            out.extend_from_slice(atv.attr_value().data);
        }
    }
    // A length prefix keeps attribute boundaries unambiguous.
    let len = u32::try_from(out.len() - start - 4).unwrap_or(u32::MAX);
    if let Some(prefix) = out.get_mut(start..start + 4) {
        prefix.copy_from_slice(&len.to_be_bytes());
    }
}

fn push_rdn_key(out: &mut Vec<u8>, rdn: &RelativeDistinguishedName<'_>) {
    out.push(b'{');
    let mut attrs = rdn.iter();
    match (attrs.next(), attrs.next()) {
        (None, _) => {}
        (Some(only), None) => push_attr_key(out, only),
        _ => {
            // RFC 5280 §7.1: a multi-valued RDN is a set, so its attributes compare
            // unordered.
            let mut keys: Vec<Vec<u8>> = rdn
                .iter()
                .map(|atv| {
                    let mut k = Vec::new();
                    push_attr_key(&mut k, atv);
                    k
                })
                .collect();
            keys.sort();
            for k in keys {
                out.extend_from_slice(&k);
            }
        }
    }
    out.push(b'}');
}

/// Parses a DER Name (with its SEQUENCE header) and returns its comparison key.
pub(crate) fn name_key_der(der: &[u8]) -> Option<(Vec<u8>, String)> {
    let (rest, name) = X509Name::from_der(der).ok()?;
    rest.is_empty()
        .then(|| (name_key(&name), display_name(&name)))
}

/// Prepends a DER SEQUENCE header to `content` (webpki-roots stores names, keys and
/// constraints without their outer SEQUENCE).
pub(crate) fn wrap_sequence(content: &[u8]) -> Vec<u8> {
    let len = content.len();
    let mut out = Vec::with_capacity(len + 6);
    out.push(0x30);
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u32).to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let significant = bytes.get(skip..).unwrap_or(&[]);
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(content);
    out
}
