//! Revocation by caller-supplied CRLs (RFC 5280 §5, §6.3), complete CRLs only.

use x509_parser::prelude::{FromDer, ParsedExtension, SubjectPublicKeyInfo};
use x509_parser::revocation_list::CertificateRevocationList;

use x509_parser::x509::X509Name;

use crate::cert::Cert;
use crate::dn::names_equal;
use crate::error::{format_time, CertError, Constraint};
use crate::sig::verify_signed_data;

/// Upper bound on one CRL's size (bounded memory).
const MAX_CRL_LEN: usize = 16 * 1024 * 1024;

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
