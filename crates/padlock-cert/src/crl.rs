//! Revocation by caller-supplied CRLs (RFC 5280 §5, §6.3), complete CRLs only.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex};

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
/// Each CRL is parsed once, when added: its revoked serial numbers are kept sorted, so a
/// validation looks a certificate up instead of walking the list, and its signature is
/// verified the first time an issuer's key is offered for it, not in every handshake (a
/// public CA's CRL can hold hundreds of thousands of entries in megabytes of DER).
///
/// ```no_run
/// # fn f() -> Result<(), padlock_cert::CertError> {
/// let mut crls = padlock_cert::Crls::empty();
/// crls.add_file("/etc/company/intermediate.crl.pem")?;
/// let opts = padlock_cert::VerifyOptions { crls, ..Default::default() };
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct Crls(Arc<Vec<Arc<Crl>>>);

/// One CRL: its DER and what validations need of it, read once.
struct Crl {
    der: Vec<u8>,
    /// What the list says, or why it cannot be read (which fails any validation that
    /// reaches a CRL check, as an unreadable revocation source must not pass silently).
    summary: Result<Summary, String>,
    /// The SubjectPublicKeyInfo (DER) that verified the signature, if one did: the
    /// signature covers the whole list, so it is checked once per key, not per handshake.
    verified_by: Mutex<Option<Vec<u8>>>,
}

/// The parts of a CRL that a validation reads.
struct Summary {
    /// The issuer Name, DER (compared by RFC 5280 §7.1 rules at validation time).
    issuer: Vec<u8>,
    this_update: i64,
    next_update: Option<i64>,
    /// RFC 5280 §5.2: why the extensions make the CRL unusable (a critical cRLNumber, a
    /// critical extension padlock does not process), else whether a cRLNumber is present.
    extensions: Result<bool, String>,
    /// Revoked serial numbers (magnitude, leading zero stripped), sorted, with the
    /// revocation date.
    revoked: Vec<(Box<[u8]>, i64)>,
}

impl Crl {
    fn parse(der: Vec<u8>) -> Crl {
        let summary = Summary::read(&der);
        Crl {
            der,
            summary,
            verified_by: Mutex::new(None),
        }
    }
}

impl Summary {
    fn read(der: &[u8]) -> Result<Summary, String> {
        if der.len() > MAX_CRL_LEN {
            return Err(format!("it is over {MAX_CRL_LEN} bytes"));
        }
        let crl = match CertificateRevocationList::from_der(der) {
            Ok(([], crl)) => crl,
            Ok(_) => return Err("it has trailing bytes".into()),
            Err(e) => return Err(format!("it does not parse as a CRL ({e})")),
        };
        let mut revoked: Vec<(Box<[u8]>, i64)> = crl
            .iter_revoked_certificates()
            .map(|r| {
                (
                    Box::from(strip_zero(r.raw_serial())),
                    r.revocation_date.timestamp(),
                )
            })
            .collect();
        revoked.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(Summary {
            issuer: crl.issuer().as_raw().to_vec(),
            this_update: crl.last_update().timestamp(),
            next_update: crl.next_update().map(|t| t.timestamp()),
            extensions: extensions_verdict(&crl),
            revoked,
        })
    }

    /// When the serial number `serial` (DER INTEGER content) was revoked, if it was.
    fn revoked_at(&self, serial: &[u8]) -> Option<i64> {
        let serial = strip_zero(serial);
        self.revoked
            .binary_search_by(|(s, _)| (**s).cmp(serial))
            .ok()
            .and_then(|i| self.revoked.get(i))
            .map(|(_, at)| *at)
    }
}

/// RFC 5280 §5.2.3: conforming CRLs carry a non-critical cRLNumber; §5.2: a critical
/// extension we do not process makes the CRL unusable. `Ok(has_crl_number)`.
fn extensions_verdict(crl: &CertificateRevocationList<'_>) -> Result<bool, String> {
    let mut number = false;
    for ext in crl.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::CRLNumber(_) => {
                if ext.critical {
                    return Err(
                        "its cRLNumber extension is marked critical (RFC 5280 §5.2.3)".into(),
                    );
                }
                number = true;
            }
            // A partitioned CRL's scope (RFC 5280 §5.2.5) only narrows what it covers; a
            // serial it lists is revoked all the same.
            ParsedExtension::AuthorityKeyIdentifier(_)
            | ParsedExtension::IssuingDistributionPoint(_) => {}
            _ if ext.critical => {
                return Err(format!(
                    "it has the critical extension {} that padlock does not process",
                    ext.oid
                ));
            }
            _ => {}
        }
    }
    Ok(number)
}

impl Crls {
    /// No CRLs: revocation is not checked.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Adds one DER CRL (`CertificateList`, RFC 5280 §5.1).
    pub fn add_der(&mut self, der: &[u8]) -> Result<(), CertError> {
        let crl = Crl::parse(der.to_vec());
        if let Err(reason) = &crl.summary {
            return Err(bad_crl(reason.clone()));
        }
        Arc::make_mut(&mut self.0).push(Arc::new(crl));
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

    /// Adds the CRLs of `other` (shared, not copied).
    pub fn extend(&mut self, other: &Crls) {
        Arc::make_mut(&mut self.0).extend(other.0.iter().cloned());
    }

    /// How many CRLs there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none (revocation is not checked).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The DER CRLs, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.0.iter().map(|c| c.der.as_slice())
    }
}

/// The same CRLs in the same order.
impl PartialEq for Crls {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Crls {}

/// DER CRLs taken as they are; one that is not a CRL fails the validations it would apply
/// to (use [`Crls::add_der`] to find out at once).
impl From<Vec<Vec<u8>>> for Crls {
    fn from(ders: Vec<Vec<u8>>) -> Self {
        Self(Arc::new(
            ders.into_iter().map(|d| Arc::new(Crl::parse(d))).collect(),
        ))
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
    crls: &Crls,
    cert: &Cert<'_>,
    depth: usize,
    issuer: &CrlIssuer<'_>,
    now: i64,
) -> Result<(), CertError> {
    for crl in crls.0.iter() {
        let summary = crl
            .summary
            .as_ref()
            .map_err(|reason| bad_crl(reason.clone()))?;
        let crl_issuer = match X509Name::from_der(&summary.issuer) {
            Ok((_, name)) => name,
            Err(_) => return Err(bad_crl("its issuer name does not parse".into())),
        };
        if !names_equal(&crl_issuer, issuer.subject_name)
            || !names_equal(cert.x509.issuer(), issuer.subject_name)
        {
            continue;
        }
        // RFC 5280 §6.3.3 f: the CRL signer's key must verify the CRL...
        verify_once(crl, issuer)?;
        // ...and be allowed to sign CRLs (RFC 5280 §4.2.1.3 cRLSign).
        if !issuer.crl_sign_allowed {
            return Err(CertError::ConstraintViolated {
                constraint: Constraint::KeyUsage,
                subject: issuer.subject.clone(),
                depth: depth + 1,
                detail: "it signed a CRL but its key usage does not include cRLSign".into(),
            });
        }
        let has_number = summary.extensions.clone().map_err(bad_crl)?;
        // RFC 5280 §6.3.3 a.2: a CRL past its nextUpdate is stale; one from the future
        // is not yet in force.
        if let Some(next) = summary.next_update {
            if now > next {
                return Err(bad_crl(format!(
                    "its nextUpdate ({}) has passed",
                    format_time(next)
                )));
            }
        }
        if summary.this_update > now {
            return Err(bad_crl(format!(
                "its thisUpdate ({}) is still to come",
                format_time(summary.this_update)
            )));
        }
        if !has_number {
            return Err(bad_crl("it has no cRLNumber (RFC 5280 §5.2.3)".into()));
        }
        if let Some(revoked_at) = summary.revoked_at(cert.x509.raw_serial()) {
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

/// Verifies `crl`'s signature with `issuer`'s key unless that key verified it before.
fn verify_once(crl: &Crl, issuer: &CrlIssuer<'_>) -> Result<(), CertError> {
    let key = issuer.spki.raw;
    // A poisoned lock only means another validation panicked mid-update; the cache is
    // an optimisation, so fall back to verifying.
    let cached = crl
        .verified_by
        .lock()
        .map(|v| v.as_deref() == Some(key))
        .unwrap_or(false);
    if cached {
        return Ok(());
    }
    let verified = match CertificateRevocationList::from_der(&crl.der) {
        Ok((_, parsed)) => verify_signed_data(
            &issuer.spki,
            &parsed.signature_algorithm,
            parsed.tbs_cert_list.as_ref(),
            parsed.signature_value.data.as_ref(),
        )
        .is_ok(),
        Err(_) => false,
    };
    if !verified {
        return Err(bad_crl(format!(
            "its signature does not verify with the key of {}",
            issuer.subject
        )));
    }
    if let Ok(mut slot) = crl.verified_by.lock() {
        *slot = Some(key.to_vec());
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
        crl_revoking_all(&[serial], issuer)
    }

    fn crl_revoking_all(
        serials: &[&[u8]],
        issuer: &crate::tests::Ca,
    ) -> rcgen::CertificateRevocationList {
        CertificateRevocationListParams {
            this_update: rcgen::date_time_ymd(2030, 1, 1),
            next_update: rcgen::date_time_ymd(2031, 1, 1),
            crl_number: SerialNumber::from_slice(&[7]),
            issuing_distribution_point: None,
            revoked_certs: serials
                .iter()
                .map(|serial| RevokedCertParams {
                    serial_number: SerialNumber::from_slice(serial),
                    revocation_time: rcgen::date_time_ymd(2030, 2, 3),
                    reason_code: None,
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        }
        .signed_by(&issuer.issuer())
        .unwrap()
    }

    fn leaf_with_serial(serial: &[u8], issuer: &crate::tests::Ca) -> Vec<u8> {
        let mut params = leaf_params(&["www.example"]);
        params.serial_number = Some(SerialNumber::from_slice(serial));
        leaf_from(params, issuer).0
    }

    #[test]
    fn revoked_serials_are_looked_up_in_a_list_of_many() {
        let p = pki();
        let listed: Vec<Vec<u8>> = (0u16..300)
            .map(|i| (i * 7 + 3).to_be_bytes().to_vec())
            .collect();
        let refs: Vec<&[u8]> = listed.iter().map(Vec::as_slice).collect();
        let crl = crl_revoking_all(&refs, &p.inter);
        let opts = VerifyOptions {
            crls: vec![crl.der().to_vec()].into(),
            ..opts()
        };
        for (serial, revoked) in [
            (&listed[0][..], true),
            (&listed[299][..], true),
            (&[0x00, 0x12][..], false),
            (&[0x7f][..], false),
        ] {
            let ee = leaf_with_serial(serial, &p.inter);
            let got = verify_chain_report(&ee, &[&p.inter.der], &p.store, None, &opts);
            match got {
                Err(r) => assert!(
                    revoked && matches!(r.error, CertError::Revoked { .. }),
                    "{serial:02x?}: {}",
                    r.error
                ),
                Ok(_) => assert!(!revoked, "{serial:02x?} should be revoked"),
            }
        }
    }

    #[test]
    fn a_signature_verified_once_is_not_trusted_for_another_key() {
        // The CRL's signature is checked once per issuer key: a re-keyed intermediate with
        // the same name must not inherit the verdict of the key that signed the CRL.
        let p = pki();
        let rekeyed = crate::tests::intermediate("Test Intermediate", &p.root);
        let crl = crl_revoking(&[0x11], &p.inter);
        let opts = VerifyOptions {
            crls: vec![crl.der().to_vec()].into(),
            ..opts()
        };
        let good = leaf_with_serial(&[0x22], &p.inter);
        let other = leaf_with_serial(&[0x22], &rekeyed);
        for _ in 0..2 {
            verify_chain_report(&good, &[&p.inter.der], &p.store, None, &opts).unwrap();
            let r =
                verify_chain_report(&other, &[&rekeyed.der], &p.store, None, &opts).unwrap_err();
            assert!(
                matches!(&r.error, CertError::BadCrl { reason } if reason.contains("signature does not verify")),
                "{r:?}"
            );
        }
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
        assert_eq!(crls.iter().next(), Some(crl.der().as_ref()));
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
