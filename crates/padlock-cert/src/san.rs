//! Reading a certificate's subjectAltName without validating it (for choosing a
//! certificate by SNI, and for showing people what a certificate covers).

use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

/// The dNSName entries of `der`'s subjectAltName, as written (empty if it has none or does
/// not parse).
pub fn dns_names(der: &[u8]) -> Vec<String> {
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        return Vec::new();
    };
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        return Vec::new();
    };
    san.value
        .general_names
        .iter()
        .filter_map(|n| match n {
            GeneralName::DNSName(d) => Some((*d).to_string()),
            _ => None,
        })
        .collect()
}
