//! Revocation by caller-supplied CRLs (RFC 5280 §5, §6.3), complete CRLs only.

use std::fmt;
use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateRevocationListDer;
use x509_parser::prelude::{FromDer, ParsedExtension, SubjectPublicKeyInfo};
use x509_parser::revocation_list::CertificateRevocationList;

use x509_parser::x509::X509Name;

use crate::cert::Cert;
use crate::dn::names_equal;
use crate::error::{format_time, CertError, Constraint};
use crate::sig::verify_signed_data;

/// Upper bound on one CRL's size (bounded memory).
const MAX_CRL_LEN: usize = 16 * 1024 * 1024;

/// Upper bound on a CRL file's size (bounded memory when loading).
const MAX_CRL_FILE: u64 = 4 * MAX_CRL_LEN as u64;

/// Certificate revocation lists to check chains against (RFC 5280 §5): DER, shared between
/// validations without copying (a verifier clones them into each handshake's options).
///
/// Loading checks only that each one is a CRL. Whether it applies, verifies and is current
/// is judged per validation against the issuer found in the chain (RFC 5280 §6.3.3): a CRL
/// whose issuer is in no chain changes nothing; a stale or forged one for a chain's issuer
/// fails that validation with [`CertError::BadCrl`].
///
/// ```no_run
/// # fn f() -> Result<(), padlock_cert::CertError> {
/// let mut crls = padlock_cert::Crls::empty();
/// crls.add_file("/etc/company/intermediate.crl.pem")?;
/// let opts = padlock_cert::VerifyOptions { crls, ..Default::default() };
/// # Ok(()) }
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Crls(Arc<Vec<Vec<u8>>>);

impl Crls {
    /// No CRLs: revocation is not checked.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Adds one DER CRL (`CertificateList`, RFC 5280 §5.1).
    pub fn add_der(&mut self, der: &[u8]) -> Result<(), CertError> {
        if der.len() > MAX_CRL_LEN {
            return Err(bad_crl(format!("it is over {MAX_CRL_LEN} bytes")));
        }
        match CertificateRevocationList::from_der(der) {
            Ok(([], _)) => {}
            Ok(_) => return Err(bad_crl("it has trailing bytes".into())),
            Err(e) => return Err(bad_crl(format!("it does not parse as a CRL ({e})"))),
        }
        Arc::make_mut(&mut self.0).push(der.to_vec());
        Ok(())
    }

    /// Adds every `-----BEGIN X509 CRL-----` block of `pem`; returns how many.
    pub fn add_pem(&mut self, pem: &[u8]) -> Result<usize, CertError> {
        let mut added = 0;
        for item in CertificateRevocationListDer::pem_slice_iter(pem) {
            let der = item.map_err(|e| bad_crl(format!("PEM error ({e})")))?;
            self.add_der(der.as_ref())?;
            added += 1;
        }
        if added == 0 {
            return Err(bad_crl(
                "the input holds no -----BEGIN X509 CRL----- block".into(),
            ));
        }
        Ok(added)
    }

    /// Adds the CRLs in a file: PEM (any number of `X509 CRL` blocks, as `openssl ca
    /// -gencrl` writes) or one DER CRL (as CAs publish at their distribution points).
    /// Returns how many.
    pub fn add_file(&mut self, path: impl AsRef<Path>) -> Result<usize, CertError> {
        let path = path.as_ref();
        let io = |reason: String| CertError::Io {
            path: path.display().to_string(),
            reason,
        };
        let len = std::fs::metadata(path)
            .map_err(|e| io(e.to_string()))?
            .len();
        if len > MAX_CRL_FILE {
            return Err(io(format!(
                "it is {len} bytes, over the {MAX_CRL_FILE}-byte limit"
            )));
        }
        let bytes = std::fs::read(path).map_err(|e| io(e.to_string()))?;
        let described = |e: CertError| match e {
            CertError::BadCrl { reason } => CertError::BadCrl {
                reason: format!("in {}, {reason}", path.display()),
            },
            other => other,
        };
        // DER starts with a SEQUENCE tag; PEM with text.
        if bytes.first() == Some(&0x30) {
            self.add_der(&bytes).map_err(described)?;
            Ok(1)
        } else {
            self.add_pem(&bytes).map_err(described)
        }
    }

    /// The CRLs in a file, as [`Crls::add_file`] reads them.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, CertError> {
        let mut crls = Self::empty();
        crls.add_file(path)?;
        Ok(crls)
    }

    /// Adds the CRLs of `other`.
    pub fn extend(&mut self, other: &Crls) {
        Arc::make_mut(&mut self.0).extend(other.0.iter().cloned());
    }
}

/// The DER CRLs, in the order they were added.
impl Deref for Crls {
    type Target = [Vec<u8>];
    fn deref(&self) -> &[Vec<u8>] {
        &self.0
    }
}

/// DER CRLs taken as they are; one that is not a CRL fails the validations it would apply
/// to (use [`Crls::add_der`] to find out at once).
impl From<Vec<Vec<u8>>> for Crls {
    fn from(ders: Vec<Vec<u8>>) -> Self {
        Self(Arc::new(ders))
    }
}

impl fmt::Debug for Crls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Crls({} CRLs)", self.0.len())
    }
}

/// Where the issuer's key and keyUsage come from.
pub(crate) struct CrlIssuer<'a> {
    /// The name CRLs must be issued under (RFC 5280 §6.3.3 b).
    pub subject_name: &'a X509Name<'a>,
    pub subject: String,
    pub spki: SubjectPublicKeyInfo<'a>,
    /// Its keyUsage (if any) asserts cRLSign (RFC 5280 §4.2.1.3).
    pub crl_sign_allowed: bool,
}

fn bad_crl(what: String) -> CertError {
    CertError::BadCrl { reason: what }
}

/// Checks `cert` (at `depth`) against every CRL whose issuer is `issuer`.
pub(crate) fn check(
    crls: &[Vec<u8>],
    cert: &Cert<'_>,
    depth: usize,
    issuer: &CrlIssuer<'_>,
    now: i64,
) -> Result<(), CertError> {
    for der in crls {
        if der.len() > MAX_CRL_LEN {
            return Err(bad_crl(format!("it is over {MAX_CRL_LEN} bytes")));
        }
        let Ok((rest, crl)) = CertificateRevocationList::from_der(der) else {
            return Err(bad_crl("it does not parse".into()));
        };
        if !rest.is_empty() {
            return Err(bad_crl("trailing bytes".into()));
        }
        if !names_equal(crl.issuer(), issuer.subject_name)
            || !names_equal(cert.x509.issuer(), issuer.subject_name)
        {
            continue;
        }
        // RFC 5280 §6.3.3 f: the CRL signer's key must verify the CRL...
        if verify_signed_data(
            &issuer.spki,
            &crl.signature_algorithm,
            crl.tbs_cert_list.as_ref(),
            crl.signature_value.data.as_ref(),
        )
        .is_err()
        {
            return Err(bad_crl(format!(
                "its signature does not verify with the key of {}",
                issuer.subject
            )));
        }
        // ...and be allowed to sign CRLs (RFC 5280 §4.2.1.3 cRLSign).
        if !issuer.crl_sign_allowed {
            return Err(CertError::ConstraintViolated {
                constraint: Constraint::KeyUsage,
                subject: issuer.subject.clone(),
                depth: depth + 1,
                detail: "it signed a CRL but its key usage does not include cRLSign".into(),
            });
        }
        // RFC 5280 §5.2.3: conforming CRLs carry a non-critical cRLNumber.
        let mut number = false;
        for ext in crl.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::CRLNumber(_) => {
                    if ext.critical {
                        return Err(bad_crl(
                            "its cRLNumber extension is marked critical (RFC 5280 §5.2.3)".into(),
                        ));
                    }
                    number = true;
                }
                // A partitioned CRL's scope (RFC 5280 §5.2.5) only narrows what it
                // covers; a serial it lists is revoked all the same.
                ParsedExtension::AuthorityKeyIdentifier(_)
                | ParsedExtension::IssuingDistributionPoint(_) => {}
                _ if ext.critical => {
                    return Err(bad_crl(format!(
                        "it has the critical extension {} that padlock does not process",
                        ext.oid
                    )));
                }
                _ => {}
            }
        }
        // RFC 5280 §6.3.3 a.2: a CRL past its nextUpdate is stale; one from the future
        // is not yet in force.
        if let Some(next) = crl.next_update() {
            if now > next.timestamp() {
                return Err(bad_crl(format!(
                    "its nextUpdate ({}) has passed",
                    format_time(next.timestamp())
                )));
            }
        }
        if crl.last_update().timestamp() > now {
            return Err(bad_crl(format!(
                "its thisUpdate ({}) is still to come",
                format_time(crl.last_update().timestamp())
            )));
        }
        if !number {
            return Err(bad_crl("it has no cRLNumber (RFC 5280 §5.2.3)".into()));
        }
        let serial = cert.x509.raw_serial();
        let revoked_at = crl
            .iter_revoked_certificates()
            .find(|r| strip_zero(r.raw_serial()) == strip_zero(serial))
            .map(|r| r.revocation_date.timestamp());
        if let Some(revoked_at) = revoked_at {
            return Err(CertError::Revoked {
                subject: cert.subject(),
                depth,
                serial: cert.x509.raw_serial_as_string(),
                revoked_at,
            });
        }
    }
    Ok(())
}

/// DER INTEGERs may carry one leading zero for sign; compare magnitudes.
fn strip_zero(b: &[u8]) -> &[u8] {
    match b.split_first() {
        Some((0, rest)) if !rest.is_empty() => rest,
        _ => b,
    }
}

#[cfg(test)]
mod tests {
    use super::Crls;
    use crate::tests::{leaf_from, leaf_params, opts, pki};
    use crate::{verify_chain_report, CertError, Usage, VerifyOptions};
    use rcgen::{CertificateRevocationListParams, KeyIdMethod, RevokedCertParams, SerialNumber};

    fn crl_revoking(serial: &[u8], issuer: &crate::tests::Ca) -> rcgen::CertificateRevocationList {
        CertificateRevocationListParams {
            this_update: rcgen::date_time_ymd(2030, 1, 1),
            next_update: rcgen::date_time_ymd(2031, 1, 1),
            crl_number: SerialNumber::from_slice(&[7]),
            issuing_distribution_point: None,
            revoked_certs: vec![RevokedCertParams {
                serial_number: SerialNumber::from_slice(serial),
                revocation_time: rcgen::date_time_ymd(2030, 2, 3),
                reason_code: None,
                invalidity_date: None,
            }],
            key_identifier_method: KeyIdMethod::Sha256,
        }
        .signed_by(&issuer.issuer())
        .unwrap()
    }

    fn scratch(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("padlock-cert-crl-{}-{name}", std::process::id()))
    }

    #[test]
    fn loads_pem_and_der_files_and_revokes_a_client_certificate() {
        let p = pki();
        let mut params = leaf_params(&["client.example"]);
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        params.serial_number = Some(SerialNumber::from_slice(&[0x11]));
        let (ee, _) = leaf_from(params, &p.inter);
        let crl = crl_revoking(&[0x11], &p.inter);

        let (pem, der) = (scratch("crl.pem"), scratch("crl.der"));
        std::fs::write(&pem, crl.pem().unwrap()).unwrap();
        std::fs::write(&der, crl.der()).unwrap();
        let mut crls = Crls::from_file(&pem).unwrap();
        assert_eq!(crls.add_file(&der).unwrap(), 1);
        assert_eq!(crls.len(), 2);
        assert_eq!(&crls[0], crl.der().as_ref());
        let _ = (std::fs::remove_file(&pem), std::fs::remove_file(&der));

        let opts = VerifyOptions {
            usage: Usage::ClientAuth,
            crls: crls.clone(),
            ..opts()
        };
        let r = verify_chain_report(&ee, &[&p.inter.der], &p.store, None, &opts).unwrap_err();
        assert!(matches!(r.error, CertError::Revoked { depth: 0, .. }));
        assert_eq!(r.usage, Usage::ClientAuth);
        assert_eq!(
            r.to_string(),
            "The client's certificate (CN=client.example, serial 11) was revoked on 2030-02-03 00:00:00 UTC."
        );
        assert_eq!(
            r.fix(),
            "The client certificate was withdrawn by its CA: issue the client a new one."
        );
    }

    #[test]
    fn refuses_what_is_not_a_crl() {
        let p = pki();
        let mut crls = Crls::empty();
        let err = crls.add_der(&p.root.der).unwrap_err();
        assert!(matches!(err, CertError::BadCrl { .. }), "{err:?}");
        let err = crls.add_pem(b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");
        assert_eq!(
            err.unwrap_err().to_string(),
            "A supplied CRL cannot be used: the input holds no -----BEGIN X509 CRL----- block."
        );
        let missing = scratch("missing.pem");
        assert!(matches!(
            Crls::from_file(&missing),
            Err(CertError::Io { .. })
        ));
        assert!(crls.is_empty());
    }
}
