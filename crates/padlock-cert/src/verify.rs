//! Path building and validation (RFC 5280 §6.1) with backtracking over candidate
//! issuers, bounded in depth and in signature checks.

use rustls_pki_types::UnixTime;
use x509_parser::prelude::{FromDer, ParsedExtension, SubjectPublicKeyInfo};

use crate::cert::Cert;
use crate::error::{CertError, Constraint};
use crate::name::{check_name, PeerName};
use crate::sig::{verify_cert_signature, SigFailure};
use crate::store::{Anchor, RootStore};

/// What the end-entity certificate is being validated for (RFC 5280 §4.2.1.12).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Usage {
    /// A TLS server certificate (id-kp-serverAuth).
    #[default]
    ServerAuth,
    /// A TLS client certificate (id-kp-clientAuth).
    ClientAuth,
}

impl Usage {
    fn describe(self) -> &'static str {
        match self {
            Self::ServerAuth => "serverAuth",
            Self::ClientAuth => "clientAuth",
        }
    }
}

/// Knobs for [`verify_chain`]. Build with `VerifyOptions { .., ..VerifyOptions::default() }`.
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    /// The time at which the chain must be valid.
    pub time: UnixTime,
    /// Server or client certificate.
    pub usage: Usage,
    /// The most intermediate certificates allowed between the end entity and the anchor.
    pub max_depth: usize,
    /// The most signature verifications path building may spend (pathological inputs
    /// with many candidate issuers would otherwise cost exponential time).
    pub max_signature_checks: usize,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            time: UnixTime::now(),
            usage: Usage::ServerAuth,
            max_depth: 6,
            max_signature_checks: 100,
        }
    }
}

/// A chain that validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedChain {
    /// DER certificates from the end entity to the trust anchor. The anchor's own
    /// certificate is last when the store has it (roots from webpki-roots are name and
    /// key only, so then the last entry is the top intermediate).
    pub certs: Vec<Vec<u8>>,
    /// The trust anchor's subject, as people read it.
    pub anchor_subject: String,
}

/// The ranks of failures met while building, so that the one reported is the one
/// closest to success: a path that reached a root and broke a rule says more than
/// "issuer unknown".
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    NoIssuer,
    TooLong,
    Signature,
    Validation,
}

struct Builder<'a> {
    roots: &'a RootStore,
    /// Index 0 is the end entity; the rest are the presented intermediates.
    certs: Vec<Cert<'a>>,
    opts: &'a VerifyOptions,
    now: i64,
    sig_checks: usize,
    exhausted: bool,
    best: Option<(Rank, CertError)>,
}

/// Upper bound on presented intermediates considered (bounded memory and work).
const MAX_PRESENTED: usize = 64;

/// Validates `end_entity` up to a root of `roots`, using `intermediates` as candidate
/// issuers in any order, then checks `name` against its subjectAltName.
pub fn verify_chain(
    end_entity: &[u8],
    intermediates: &[&[u8]],
    roots: &RootStore,
    name: Option<&PeerName>,
    opts: &VerifyOptions,
) -> Result<VerifiedChain, CertError> {
    let leaf = Cert::parse(end_entity, Some(0))?;
    let mut certs = vec![leaf];
    // A malformed extra certificate is skipped, not fatal: peers send junk that the
    // valid path never needs.
    certs.extend(
        intermediates
            .iter()
            .take(MAX_PRESENTED)
            .filter_map(|der| Cert::parse(der, None).ok()),
    );
    let now = i64::try_from(opts.time.as_secs()).unwrap_or(i64::MAX);
    let mut builder = Builder {
        roots,
        certs,
        opts,
        now,
        sig_checks: 0,
        exhausted: false,
        best: None,
    };
    let mut path = vec![0usize];
    let Some(anchor) = builder.search(&mut path) else {
        return Err(builder.into_error());
    };
    let leaf = builder.certs.first().ok_or(CertError::NoCertificates)?;
    if let Some(name) = name {
        check_name(leaf, name)?;
    }
    let mut chain: Vec<Vec<u8>> = path
        .iter()
        .filter_map(|&i| builder.certs.get(i))
        .map(|c| c.der.to_vec())
        .collect();
    if let Some(der) = &anchor.cert {
        if chain.last() != Some(der) {
            chain.push(der.clone());
        }
    }
    Ok(VerifiedChain {
        certs: chain,
        anchor_subject: anchor.subject.clone(),
    })
}

impl<'a> Builder<'a> {
    fn record(&mut self, rank: Rank, err: CertError) {
        if self.best.as_ref().is_none_or(|(r, _)| rank > *r) {
            self.best = Some((rank, err));
        }
    }

    fn into_error(self) -> CertError {
        if self.exhausted {
            return CertError::BudgetExhausted {
                signature_checks: self.sig_checks,
            };
        }
        match self.best {
            Some((_, e)) => e,
            None => CertError::NoCertificates,
        }
    }

    fn spend(&mut self) -> bool {
        if self.sig_checks >= self.opts.max_signature_checks {
            self.exhausted = true;
            return false;
        }
        self.sig_checks += 1;
        true
    }

    fn sig_error(&self, child: usize, depth: usize, issuer: String, f: SigFailure) -> CertError {
        let subject = self.certs.get(child).map(Cert::subject).unwrap_or_default();
        match f {
            SigFailure::Weak(what) => CertError::WeakAlgorithm {
                subject,
                depth,
                what,
            },
            SigFailure::Unsupported(what) => CertError::UnsupportedAlgorithm {
                subject,
                depth,
                what,
            },
            SigFailure::Bad => CertError::BadSignature {
                subject,
                issuer,
                depth,
            },
        }
    }

    /// Depth-first search for an issuer of the last certificate of `path`, trying trust
    /// anchors first, then presented intermediates; backtracks on any failure.
    fn search(&mut self, path: &mut Vec<usize>) -> Option<&'a Anchor> {
        let cur_idx = *path.last()?;
        let depth = path.len() - 1;
        let roots = self.roots;
        let mut candidates = 0usize;

        let issuer_key = self.certs.get(cur_idx)?.issuer_key.clone();
        for anchor in roots.candidates(&issuer_key) {
            candidates += 1;
            if !self.spend() {
                return None;
            }
            let Ok((_, spki)) = SubjectPublicKeyInfo::from_der(&anchor.spki_der) else {
                continue;
            };
            let cur = self.certs.get(cur_idx)?;
            if let Err(f) = verify_cert_signature(cur, &spki) {
                let err = self.sig_error(cur_idx, depth, anchor.subject.clone(), f);
                self.record(Rank::Signature, err);
                continue;
            }
            match self.validate(path, anchor) {
                Ok(()) => return Some(anchor),
                Err(e) => self.record(Rank::Validation, e),
            }
        }

        for next in 1..self.certs.len() {
            let Some(cand) = self.certs.get(next) else {
                continue;
            };
            if cand.subject_key != issuer_key || path.contains(&next) {
                continue;
            }
            // A presented copy of a trusted root was already tried as an anchor.
            if roots.contains_cert(cand.der, &cand.subject_key) {
                continue;
            }
            // RFC 4158 §5.2: the same name and key twice in one path is a loop.
            let repeats = path.iter().any(|&i| {
                self.certs.get(i).is_some_and(|c| {
                    c.subject_key == cand.subject_key
                        && c.x509.public_key().raw == cand.x509.public_key().raw
                })
            });
            if repeats {
                continue;
            }
            candidates += 1;
            if depth >= self.opts.max_depth {
                self.record(
                    Rank::TooLong,
                    CertError::PathTooLong {
                        max_intermediates: self.opts.max_depth,
                    },
                );
                continue;
            }
            if !self.spend() {
                return None;
            }
            let (Some(cur), Some(cand)) = (self.certs.get(cur_idx), self.certs.get(next)) else {
                continue;
            };
            if let Err(f) = verify_cert_signature(cur, cand.x509.public_key()) {
                let err = self.sig_error(cur_idx, depth, cand.subject(), f);
                self.record(Rank::Signature, err);
                continue;
            }
            path.push(next);
            if let Some(anchor) = self.search(path) {
                return Some(anchor);
            }
            path.pop();
            if self.exhausted {
                return None;
            }
        }

        if candidates == 0 {
            let cur = self.certs.get(cur_idx)?;
            let err = if depth == 0 && cur.is_self_issued() {
                CertError::SelfSignedNotTrusted {
                    subject: cur.subject(),
                }
            } else {
                CertError::UnknownIssuer {
                    subject: cur.subject(),
                    issuer: cur.issuer(),
                    depth,
                    missing_intermediate: !cur.is_self_issued(),
                    ca_issuers_url: cur.ca_issuers_url(),
                }
            };
            self.record(Rank::NoIssuer, err);
        }
        None
    }

    /// RFC 5280 §6.1.3–6.1.5 over a complete path, from the anchor down to the end entity.
    fn validate(&self, path: &[usize], _anchor: &Anchor) -> Result<(), CertError> {
        for (depth, &idx) in path.iter().enumerate().rev() {
            let Some(cert) = self.certs.get(idx) else {
                continue;
            };
            self.check_validity(cert, depth)?;
            check_critical_extensions(cert, depth)?;
            if depth > 0 {
                self.check_issuer(cert, depth, path)?;
            } else {
                self.check_end_entity(cert)?;
            }
        }
        Ok(())
    }

    /// RFC 5280 §6.1.3 a.2: the validation time lies within notBefore..=notAfter.
    fn check_validity(&self, cert: &Cert<'_>, depth: usize) -> Result<(), CertError> {
        let v = cert.x509.validity();
        let (nb, na) = (v.not_before.timestamp(), v.not_after.timestamp());
        if self.now > na {
            return Err(CertError::Expired {
                subject: cert.subject(),
                depth,
                not_after: na,
                now: self.now,
            });
        }
        if self.now < nb {
            return Err(CertError::NotYetValid {
                subject: cert.subject(),
                depth,
                not_before: nb,
                now: self.now,
            });
        }
        Ok(())
    }

    /// RFC 5280 §6.1.4 k, l, m, n: an issuer is a CA, within its path length, allowed to
    /// sign certificates.
    fn check_issuer(&self, cert: &Cert<'_>, depth: usize, path: &[usize]) -> Result<(), CertError> {
        let violated = |constraint, detail: String| CertError::ConstraintViolated {
            constraint,
            subject: cert.subject(),
            depth,
            detail,
        };
        let bc = match cert.x509.basic_constraints() {
            Ok(bc) => bc.map(|b| b.value.clone()),
            Err(e) => {
                return Err(violated(
                    Constraint::Encoding,
                    format!("unreadable basicConstraints ({e})"),
                ))
            }
        };
        let Some(bc) = bc.filter(|b| b.ca) else {
            return Err(violated(
                Constraint::NotCa,
                "it issued another certificate but is not marked as a CA".into(),
            ));
        };
        if let Some(max) = bc.path_len_constraint {
            // RFC 5280 §6.1.4 l: self-issued intermediates do not count.
            let below = path
                .iter()
                .take(depth)
                .skip(1)
                .filter(|&&i| self.certs.get(i).is_some_and(|c| !c.is_self_issued()))
                .count();
            if below > max as usize {
                return Err(violated(
                    Constraint::PathLength,
                    format!("it allows {max} CA certificates below it, the chain has {below}"),
                ));
            }
        }
        if let Ok(Some(ku)) = cert.x509.key_usage() {
            if !ku.value.key_cert_sign() {
                return Err(violated(
                    Constraint::KeyUsage,
                    "its key usage does not include keyCertSign".into(),
                ));
            }
        }
        Ok(())
    }

    /// RFC 5280 §4.2.1.12: if the end entity restricts its purposes, ours must be among them.
    fn check_end_entity(&self, cert: &Cert<'_>) -> Result<(), CertError> {
        let usage = self.opts.usage;
        match cert.x509.extended_key_usage() {
            Ok(Some(eku)) => {
                let ok = match usage {
                    Usage::ServerAuth => eku.value.server_auth,
                    Usage::ClientAuth => eku.value.client_auth,
                };
                if !ok {
                    return Err(CertError::ConstraintViolated {
                        constraint: Constraint::ExtendedKeyUsage,
                        subject: cert.subject(),
                        depth: 0,
                        detail: format!(
                            "its extended key usage does not include {}",
                            usage.describe()
                        ),
                    });
                }
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(e) => Err(CertError::Malformed {
                what: format!("unreadable extendedKeyUsage ({e})"),
                depth: Some(0),
            }),
        }
    }
}

/// RFC 5280 §4.2: a certificate with a critical extension we cannot process is rejected.
fn check_critical_extensions(cert: &Cert<'_>, depth: usize) -> Result<(), CertError> {
    for ext in cert.x509.extensions() {
        if !ext.critical {
            continue;
        }
        let understood = matches!(
            ext.parsed_extension(),
            ParsedExtension::BasicConstraints(_)
                | ParsedExtension::KeyUsage(_)
                | ParsedExtension::ExtendedKeyUsage(_)
                | ParsedExtension::SubjectAlternativeName(_)
                | ParsedExtension::NameConstraints(_)
                | ParsedExtension::CertificatePolicies(_)
                | ParsedExtension::PolicyConstraints(_)
                | ParsedExtension::InhibitAnyPolicy(_)
                | ParsedExtension::PolicyMappings(_)
        );
        if !understood {
            return Err(CertError::ConstraintViolated {
                constraint: Constraint::UnknownCriticalExtension,
                subject: cert.subject(),
                depth,
                detail: format!("the critical extension {} is not understood", ext.oid),
            });
        }
    }
    Ok(())
}
