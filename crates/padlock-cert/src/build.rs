//! Path building and validation (RFC 5280 §6.1): depth-first search from the end
//! entity over trust anchors and presented intermediates, backtracking on any failure,
//! bounded in depth and in signature checks; then every rule over a complete path.

use x509_parser::extensions::NameConstraints;
use x509_parser::prelude::{FromDer, SubjectPublicKeyInfo};

use crate::cert::Cert;
use crate::crl;
use crate::dn::names_equal;
use crate::error::{CertError, Constraint};
use crate::nc::{self, NcFailure};
use crate::policy::{self, ValidPolicies};
use crate::profile::{check_profile, Role};
use crate::sig::{verify_cert_signature_by, verify_cert_signature_cached, KeyCache, SigFailure};
use crate::store::{Anchor, AnchorFacts, RootStore};
use crate::verify::{Usage, VerifyOptions};

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

/// A failure met while building: its rank, the error, the path (indices into the
/// builder's certificates) and the anchor certificate it was met on.
type Failure<'a> = (Rank, CertError, Vec<usize>, Option<&'a [u8]>);

pub(crate) struct Builder<'a> {
    roots: &'a RootStore,
    /// Index 0 is the end entity; the rest are the presented intermediates.
    pub(crate) certs: Vec<Cert<'a>>,
    opts: &'a VerifyOptions,
    now: i64,
    sig_checks: usize,
    exhausted: bool,
    /// The most telling failure so far, with the path (indices into `certs`) and the
    /// anchor certificate it was met on.
    best: Option<Failure<'a>>,
    /// The policies the found path leaves valid for the end entity (RFC 5280 §6.1.5).
    pub(crate) policies: Option<ValidPolicies>,
}

impl<'a> Builder<'a> {
    /// A builder over `certs` (the end entity first, then the presented intermediates).
    pub(crate) fn new(roots: &'a RootStore, certs: Vec<Cert<'a>>, opts: &'a VerifyOptions) -> Self {
        Self {
            roots,
            certs,
            opts,
            now: i64::try_from(opts.time.as_secs()).unwrap_or(i64::MAX),
            sig_checks: 0,
            exhausted: false,
            best: None,
            policies: None,
        }
    }

    fn record(&mut self, rank: Rank, err: CertError, path: &[usize], anchor: Option<&'a Anchor>) {
        if self.best.as_ref().is_none_or(|(r, ..)| rank > *r) {
            let anchor_der = anchor.and_then(|a| a.cert.as_deref());
            self.best = Some((rank, err, path.to_vec(), anchor_der));
        }
    }

    pub(crate) fn best_chain(&self) -> Vec<Vec<u8>> {
        let Some((_, _, path, anchor)) = &self.best else {
            return Vec::new();
        };
        let mut chain: Vec<Vec<u8>> = path
            .iter()
            .filter_map(|&i| self.certs.get(i))
            .map(|c| c.der.to_vec())
            .collect();
        if let Some(a) = anchor {
            if chain.last().map(Vec::as_slice) != Some(*a) {
                chain.push(a.to_vec());
            }
        }
        chain
    }

    pub(crate) fn into_error(self) -> CertError {
        if self.exhausted {
            return CertError::BudgetExhausted {
                signature_checks: self.sig_checks,
            };
        }
        match self.best {
            Some((_, e, ..)) => e,
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
            // The fault is the issuer's key, one step up the chain.
            SigFailure::WeakKey(what) => CertError::WeakAlgorithm {
                subject: issuer,
                depth: depth + 1,
                what,
            },
            SigFailure::UnsupportedKey(what) => CertError::UnsupportedAlgorithm {
                subject: issuer,
                depth: depth + 1,
                what,
            },
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
    pub(crate) fn search(&mut self, path: &mut Vec<usize>) -> Option<&'a Anchor> {
        let cur_idx = *path.last()?;
        let depth = path.len() - 1;
        let roots = self.roots;
        let mut candidates = 0usize;

        for &i in roots.hashed(self.certs.get(cur_idx)?.x509.issuer()) {
            let issuer = self.certs.get(cur_idx)?.x509.issuer();
            let Some(anchor) = roots.matching(i, issuer) else {
                continue;
            };
            candidates += 1;
            if !self.spend() {
                return None;
            }
            let Some(key) = &anchor.key else {
                continue;
            };
            let cur = self.certs.get(cur_idx)?;
            let cache = Some(KeyCache::Anchor(&anchor.parsed_key));
            if let Err(f) = verify_cert_signature_by(cur, &key.kind, &key.bits, cache) {
                let err = self.sig_error(cur_idx, depth, anchor.subject.clone(), f);
                self.record(Rank::Signature, err, path, Some(anchor));
                continue;
            }
            match self.validate(path, anchor) {
                Ok(policies) => {
                    self.policies = policies;
                    return Some(anchor);
                }
                Err(e) => self.record(Rank::Validation, e, path, Some(anchor)),
            }
        }

        for next in 1..self.certs.len() {
            let Some(cand) = self.certs.get(next) else {
                continue;
            };
            let issued = self
                .certs
                .get(cur_idx)
                .is_some_and(|cur| cur.issued_by_name(cand));
            if !issued || path.contains(&next) {
                continue;
            }
            // A presented copy of a trusted root was already tried as an anchor.
            if roots.contains_cert(cand.der, cand.x509.subject()) {
                continue;
            }
            // RFC 4158 §5.2: the same name and key twice in one path is a loop.
            let repeats = path.iter().any(|&i| {
                self.certs.get(i).is_some_and(|c| {
                    c.x509.public_key().raw == cand.x509.public_key().raw
                        && names_equal(c.x509.subject(), cand.x509.subject())
                })
            });
            if repeats {
                continue;
            }
            candidates += 1;
            // The depth bound counts logical CAs: self-issued certificates (key
            // rollover, RFC 5280 §6.1.4 l) do not add to it.
            let logical = path
                .iter()
                .skip(1)
                .filter(|&&i| self.certs.get(i).is_some_and(|c| !c.is_self_issued()))
                .count()
                + usize::from(!cand.is_self_issued());
            if logical > self.opts.max_depth
                || path.len() > self.opts.max_depth.saturating_mul(2).saturating_add(8)
            {
                self.record(
                    Rank::TooLong,
                    CertError::PathTooLong {
                        max_intermediates: self.opts.max_depth,
                    },
                    path,
                    None,
                );
                continue;
            }
            if !self.spend() {
                return None;
            }
            let (Some(cur), Some(cand)) = (self.certs.get(cur_idx), self.certs.get(next)) else {
                continue;
            };
            let cache = Some(KeyCache::Presented(roots.issuer_keys()));
            if let Err(f) = verify_cert_signature_cached(cur, cand.x509.public_key(), cache) {
                let err = self.sig_error(cur_idx, depth, cand.subject(), f);
                self.record(Rank::Signature, err, path, None);
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
            let err = if cur.is_self_issued() {
                CertError::SelfSignedNotTrusted {
                    subject: cur.subject(),
                    depth,
                }
            } else {
                CertError::UnknownIssuer {
                    subject: cur.subject(),
                    issuer: cur.issuer(),
                    depth,
                    // The end entity's issuer missing suggests an intermediate the peer
                    // did not send; a missing issuer above intermediates the peer did
                    // send is more likely a root this store does not trust.
                    missing_intermediate: depth == 0,
                    ca_issuers_url: cur.ca_issuers_url(),
                }
            };
            self.record(Rank::NoIssuer, err, path, None);
        }
        None
    }

    /// RFC 5280 §6.1.3–6.1.5 over a complete path, from the anchor down to the end entity.
    fn validate(
        &self,
        path: &[usize],
        anchor: &Anchor,
    ) -> Result<Option<ValidPolicies>, CertError> {
        let usage = self.opts.usage;
        let top = path.len();
        // An end-entity certificate trusted directly (a self-signed development
        // certificate) is checked as an end entity only.
        let leaf_is_anchor =
            top == 1 && anchor.cert.as_deref() == self.certs.first().map(|c| c.der);
        // The anchor's own certificate, when the store has one, is held to the CA rules
        // too (validity, basicConstraints, keys), as browsers and OpenSSL do.
        let facts = anchor.facts.as_ref().filter(|_| !leaf_is_anchor);
        if let Some(f) = facts {
            if self.now > f.not_after {
                return Err(CertError::Expired {
                    subject: anchor.subject.clone(),
                    depth: top,
                    not_after: f.not_after,
                    now: self.now,
                });
            }
            if self.now < f.not_before {
                return Err(CertError::NotYetValid {
                    subject: anchor.subject.clone(),
                    depth: top,
                    not_before: f.not_before,
                    now: self.now,
                });
            }
            let verdict = match usage {
                Usage::ServerAuth => &f.server,
                Usage::ClientAuth => &f.client,
            };
            verdict.clone().map_err(|e| e.at_depth(top))?;
        }
        for (depth, &idx) in path.iter().enumerate().rev() {
            let Some(cert) = self.certs.get(idx) else {
                continue;
            };
            self.check_validity(cert, depth)?;
            let role = if depth == 0 {
                Role::EndEntity
            } else {
                Role::Intermediate
            };
            check_profile(cert, depth, role, usage)?;
        }
        // RFC 5280 §6.1.4 l, m: pathLenConstraint counts the non-self-issued CAs below.
        let below = |depth: usize| {
            path.iter()
                .take(depth)
                .skip(1)
                .filter(|&&i| self.certs.get(i).is_some_and(|c| !c.is_self_issued()))
                .count()
        };
        let too_long =
            |subject: String, depth: usize, max: u32, below: usize| CertError::ConstraintViolated {
                constraint: Constraint::PathLength,
                subject,
                depth,
                detail: format!("it allows {max} CA certificates below it, the chain has {below}"),
            };
        for (depth, &idx) in path.iter().enumerate().skip(1) {
            let Some(cert) = self.certs.get(idx) else {
                continue;
            };
            let Ok(Some(bc)) = cert.x509.basic_constraints() else {
                continue;
            };
            if let Some(max) = bc.value.path_len_constraint {
                let n = below(depth);
                if n > max as usize {
                    return Err(too_long(cert.subject(), depth, max, n));
                }
            }
        }
        if let Some(max) = facts.and_then(|f| f.path_len) {
            let n = below(top);
            if n > max as usize {
                return Err(too_long(anchor.subject.clone(), top, max, n));
            }
        }
        self.check_leaf_key_usage()?;
        self.check_name_constraints(path, anchor)?;
        if !self.opts.crls.is_empty() {
            self.check_revocation(path, anchor, facts)?;
        }
        let top_down = path.iter().rev().filter_map(|&i| self.certs.get(i));
        // Paths are short: a buffer on the stack spares an allocation per validation.
        const SHORT: usize = 8;
        match self.certs.first() {
            Some(first) if path.len() <= SHORT => {
                let mut buf = [first; SHORT];
                let mut len = 0;
                for (slot, cert) in buf.iter_mut().zip(top_down) {
                    *slot = cert;
                    len += 1;
                }
                policy::process(buf.get(..len).unwrap_or_default())
            }
            _ => policy::process(&top_down.collect::<Vec<_>>()),
        }
    }

    /// RFC 8446 §4.4.2.2: a TLS 1.3 end-entity key signs, so keyUsage (if any) must allow it.
    fn check_leaf_key_usage(&self) -> Result<(), CertError> {
        let Some(leaf) = self.certs.first() else {
            return Ok(());
        };
        if !self.opts.require_digital_signature {
            return Ok(());
        }
        if let Ok(Some(ku)) = leaf.x509.key_usage() {
            if !ku.value.digital_signature() {
                return Err(CertError::ConstraintViolated {
                    constraint: Constraint::KeyUsage,
                    subject: leaf.subject(),
                    depth: 0,
                    detail: "its key usage does not include digitalSignature, which TLS 1.3 needs"
                        .into(),
                });
            }
        }
        Ok(())
    }

    /// RFC 5280 §6.1.4 g: each CA's name constraints bind every certificate below it,
    /// except self-issued intermediates (§6.1.3 b).
    fn check_name_constraints(&self, path: &[usize], anchor: &Anchor) -> Result<(), CertError> {
        let mut budget = nc::MAX_NC_COMPARISONS;
        let top = path.len();
        let anchor_nc_der = anchor.name_constraints.as_deref();
        let parsed_anchor_nc = match anchor_nc_der {
            Some(der) => match NameConstraints::from_der(der) {
                Ok((_, nc)) => Some(nc),
                Err(_) => {
                    return Err(CertError::Malformed {
                        what: "the trust anchor's name constraints".into(),
                        depth: Some(top),
                    })
                }
            },
            None => None,
        };
        let mut constrainers: Vec<(usize, String, NameConstraints<'_>)> = Vec::new();
        if let Some(nc) = parsed_anchor_nc {
            constrainers.push((top, anchor.subject.clone(), nc));
        }
        let issuers = path
            .iter()
            .enumerate()
            .skip(1)
            .filter_map(|(d, &i)| self.certs.get(i).map(|c| (d, c)));
        for (depth, cert) in issuers {
            if let Ok(Some(nc)) = cert.x509.name_constraints() {
                constrainers.push((depth, cert.subject(), nc.value.clone()));
            }
        }
        for (nc_depth, nc_subject, nc) in &constrainers {
            for (depth, &idx) in path.iter().enumerate().take(*nc_depth) {
                let Some(cert) = self.certs.get(idx) else {
                    continue;
                };
                if depth > 0 && cert.is_self_issued() {
                    continue;
                }
                match nc::check(nc, cert, &mut budget) {
                    Ok(()) => {}
                    Err(NcFailure::BadConstraint(why)) => {
                        return Err(CertError::ConstraintViolated {
                            constraint: Constraint::NameConstraints,
                            subject: nc_subject.clone(),
                            depth: *nc_depth,
                            detail: why,
                        })
                    }
                    Err(NcFailure::Violation(why)) => {
                        return Err(CertError::ConstraintViolated {
                            constraint: Constraint::NameConstraints,
                            subject: cert.subject(),
                            depth,
                            detail: format!("{why} set by {nc_subject}"),
                        })
                    }
                    Err(NcFailure::TooMuchWork) => {
                        return Err(CertError::ConstraintViolated {
                            constraint: Constraint::NameConstraints,
                            subject: nc_subject.clone(),
                            depth: *nc_depth,
                            detail: format!(
                                "checking them would take more than {} comparisons",
                                nc::MAX_NC_COMPARISONS
                            ),
                        })
                    }
                }
            }
        }
        Ok(())
    }

    /// RFC 5280 §6.3 with caller-supplied CRLs: every certificate below the anchor.
    fn check_revocation(
        &self,
        path: &[usize],
        anchor: &Anchor,
        facts: Option<&AnchorFacts>,
    ) -> Result<(), CertError> {
        for (depth, &idx) in path.iter().enumerate() {
            let Some(cert) = self.certs.get(idx) else {
                continue;
            };
            let issuer_cert = path.get(depth + 1).and_then(|&i| self.certs.get(i));
            let crl_sign_allowed = match issuer_cert {
                Some(c) => !matches!(c.x509.key_usage(), Ok(Some(ku)) if !ku.value.crl_sign()),
                None => facts.is_none_or(|f| f.crl_sign),
            };
            let anchor_spki;
            let (spki, subject_name, subject) = match issuer_cert {
                Some(c) => (c.x509.public_key().clone(), c.x509.subject(), c.subject()),
                None => {
                    anchor_spki = SubjectPublicKeyInfo::from_der(&anchor.spki_der)
                        .map(|(_, s)| s)
                        .map_err(|_| CertError::Malformed {
                            what: "the trust anchor's key".into(),
                            depth: Some(depth + 1),
                        })?;
                    // The anchor matched this certificate's issuer name when the path
                    // was built.
                    (anchor_spki, cert.x509.issuer(), anchor.subject.clone())
                }
            };
            let issuer = crl::CrlIssuer {
                subject_name,
                subject,
                spki,
                crl_sign_allowed,
            };
            crl::check(&self.opts.crls, cert, depth, &issuer, self.now)?;
        }
        Ok(())
    }

    /// RFC 5280 §6.1.3 a.2: the validation time lies within notBefore..=notAfter.
    fn check_validity(&self, cert: &Cert<'_>, depth: usize) -> Result<(), CertError> {
        let (nb, na) = cert.x509.validity();
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
}
