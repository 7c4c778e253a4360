//! SPKI pinning: `sha256/BASE64` of a SubjectPublicKeyInfo, as HPKP (RFC 7469 §2.4) wrote them.

use std::fmt;
use std::str::FromStr;

use aws_lc_rs::digest::{digest, SHA256};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

use crate::error::CertError;

/// A SHA-256 hash of a DER SubjectPublicKeyInfo.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SpkiPin(pub [u8; 32]);

impl SpkiPin {
    /// Parses `sha256/BASE64`.
    pub fn parse(s: &str) -> Result<Self, CertError> {
        let bad = || CertError::BadPin { pin: s.to_string() };
        let b64 = s.trim().strip_prefix("sha256/").ok_or_else(bad)?;
        let bytes = STANDARD.decode(b64).map_err(|_| bad())?;
        <[u8; 32]>::try_from(bytes.as_slice())
            .map(Self)
            .map_err(|_| bad())
    }

    /// The pin of a DER SubjectPublicKeyInfo.
    pub fn of_spki(spki_der: &[u8]) -> Self {
        let d = digest(&SHA256, spki_der);
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        Self(out)
    }

    /// The pin of a DER certificate's key.
    pub fn of_cert(cert_der: &[u8]) -> Result<Self, CertError> {
        let (_, cert) = X509Certificate::from_der(cert_der).map_err(|e| CertError::Malformed {
            what: format!("X.509 parse error ({e})"),
            depth: None,
        })?;
        Ok(Self::of_spki(cert.public_key().raw))
    }
}

impl FromStr for SpkiPin {
    type Err = CertError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for SpkiPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256/{}", STANDARD.encode(self.0))
    }
}

impl fmt::Debug for SpkiPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
