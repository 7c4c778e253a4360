//! A parsed certificate with the derived facts path building keeps asking for.

use x509_parser::extensions::GeneralName;
use x509_parser::oid_registry::{OID_PKIX_ACCESS_DESCRIPTOR_CA_ISSUERS, OID_X509_COMMON_NAME};
use x509_parser::prelude::{FromDer, ParsedExtension};
use x509_parser::x509::X509Name;

use crate::dn::names_equal;
use crate::error::CertError;
use crate::fields::Fields;

/// Upper bound on one certificate's size; real ones are a few KiB (bounded memory rule).
pub(crate) const MAX_CERT_LEN: usize = 64 * 1024;

/// One certificate of a chain: its DER, its fields, and whether it is self-issued.
pub(crate) struct Cert<'a> {
    pub der: &'a [u8],
    pub x509: Fields<'a>,
    /// RFC 5280 §3.2: subject and issuer names match (worked out once: path building asks
    /// often).
    self_issued: bool,
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
        let (x509, rest) = Fields::read(der).map_err(|e| CertError::Malformed {
            what: format!("X.509 parse error ({e})"),
            depth,
        })?;
        if !rest.is_empty() {
            return Err(CertError::Malformed {
                what: format!("{} bytes follow the certificate", rest.len()),
                depth,
            });
        }
        let self_issued = names_equal(x509.subject(), x509.issuer());
        Ok(Self {
            der,
            x509,
            self_issued,
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
        self.self_issued
    }

    /// Whether `issuer` could have issued this certificate by name (RFC 5280 §6.1.3 a.4).
    pub fn issued_by_name(&self, issuer: &Cert<'_>) -> bool {
        names_equal(self.x509.issuer(), issuer.x509.subject())
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
    common_name_str(name).map(str::to_string)
}

/// [`common_name`], borrowed from the certificate.
pub(crate) fn common_name_str<'a>(name: &X509Name<'a>) -> Option<&'a str> {
    name.iter_by_oid(&OID_X509_COMMON_NAME)
        .next()
        .and_then(|a| a.as_str().ok())
}

/// Parses a DER Name (with its SEQUENCE header) and returns its comparison key.
pub(crate) fn name_key_der(der: &[u8]) -> Option<(Vec<u8>, String)> {
    let (rest, name) = X509Name::from_der(der).ok()?;
    rest.is_empty()
        .then(|| (crate::dn::name_key(&name), display_name(&name)))
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
