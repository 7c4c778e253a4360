//! Validation level from certificatePolicies (CA/Browser Forum policy OIDs, BR §7.1.6.1).

use std::collections::BTreeSet;
use std::fmt;

use x509_parser::extensions::ParsedExtension;

use crate::cert::Cert;
use crate::error::{CertError, Constraint};

/// How much the CA checked about the subject, as its certificate declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValidationLevel {
    /// Domain validated (2.23.140.1.2.1): control of the name only.
    Dv,
    /// Organization validated (2.23.140.1.2.2).
    Ov,
    /// Individual validated (2.23.140.1.2.3).
    Iv,
    /// Extended validation (2.23.140.1.1).
    Ev,
    /// No CA/Browser Forum policy OID (private CAs, self-signed certificates).
    Unknown,
}

impl fmt::Display for ValidationLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Dv => "DV (domain validated)",
            Self::Ov => "OV (organization validated)",
            Self::Iv => "IV (individual validated)",
            Self::Ev => "EV (extended validation)",
            Self::Unknown => "unknown (no CA/Browser Forum policy)",
        })
    }
}

/// The highest level the end-entity certificate asserts that stays valid through the
/// chain (`valid`, from [`process`]): an EV policy only counts if every CA above allowed it.
pub(crate) fn level(cert: &Cert<'_>, valid: Option<&ValidPolicies>) -> ValidationLevel {
    let Some(valid) = valid else {
        return ValidationLevel::Unknown;
    };
    let mut best = ValidationLevel::Unknown;
    for ext in cert.x509.extensions() {
        let ParsedExtension::CertificatePolicies(policies) = ext.parsed_extension() else {
            continue;
        };
        for p in policies {
            if !valid.any && !valid.set.contains(p.policy_id.as_bytes()) {
                continue;
            }
            let this = match p.policy_id.to_id_string().as_str() {
                "2.23.140.1.1" => ValidationLevel::Ev,
                "2.23.140.1.2.2" => ValidationLevel::Ov,
                "2.23.140.1.2.3" => ValidationLevel::Iv,
                "2.23.140.1.2.1" => ValidationLevel::Dv,
                _ => continue,
            };
            if rank(this) > rank(best) {
                best = this;
            }
        }
    }
    best
}

fn rank(l: ValidationLevel) -> u8 {
    match l {
        ValidationLevel::Unknown => 0,
        ValidationLevel::Dv => 1,
        ValidationLevel::Iv => 2,
        ValidationLevel::Ov => 3,
        ValidationLevel::Ev => 4,
    }
}

/// anyPolicy, 2.5.29.32.0 (RFC 5280 §4.2.1.4), as DER contents.
const ANY_POLICY: &[u8] = &[0x55, 0x1d, 0x20, 0x00];

/// Policies or mappings one certificate may list (bounds the work; real ones list a few).
const MAX_POLICIES: usize = 64;

/// What RFC 5280 §6.1 policy processing leaves for the end entity, with the user's
/// initial policy set {anyPolicy} and no initial explicit-policy, mapping or anyPolicy
/// inhibition (what browsers use): the valid policies, and whether anyPolicy is valid.
/// The tree is kept as one level of sets, which is all those inputs need, so a
/// pathological chain cannot grow it (the CVE-2023-0464 class).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ValidPolicies {
    pub any: bool,
    pub set: BTreeSet<Vec<u8>>,
}

fn policy_violation(cert: &Cert<'_>, depth: usize, detail: impl Into<String>) -> CertError {
    CertError::ConstraintViolated {
        constraint: Constraint::Policy,
        subject: cert.subject(),
        depth,
        detail: detail.into(),
    }
}

/// RFC 5280 §6.1.3 d–f, §6.1.4 a–b, h–j and §6.1.5 over `certs`, ordered from the one
/// the anchor issued to the end entity. `None` is the NULL valid_policy_tree.
pub(crate) fn process(certs: &[&Cert<'_>]) -> Result<Option<ValidPolicies>, CertError> {
    let n = certs.len();
    let (mut explicit, mut mapping, mut any_inhibit) = (n + 1, n + 1, n + 1);
    let mut tree = Some(ValidPolicies {
        any: true,
        set: BTreeSet::new(),
    });
    for (i, cert) in certs.iter().enumerate() {
        let depth = n - 1 - i;
        let last = i + 1 == n;
        let self_issued = cert.is_self_issued();
        let mut listed: Option<Vec<&[u8]>> = None;
        let mut maps: Vec<(&[u8], &[u8])> = Vec::new();
        let (mut require, mut inhibit_map, mut inhibit_any) = (None, None, None);
        for ext in cert.x509.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::CertificatePolicies(p) => {
                    listed = Some(p.iter().map(|pi| pi.policy_id.as_bytes()).collect())
                }
                ParsedExtension::PolicyMappings(m) => maps.extend(m.mappings.iter().map(|pm| {
                    (
                        pm.issuer_domain_policy.as_bytes(),
                        pm.subject_domain_policy.as_bytes(),
                    )
                })),
                ParsedExtension::PolicyConstraints(pc) => {
                    require = pc.require_explicit_policy;
                    inhibit_map = pc.inhibit_policy_mapping;
                }
                ParsedExtension::InhibitAnyPolicy(ia) => inhibit_any = Some(ia.skip_certs),
                _ => {}
            }
        }
        if listed.as_ref().is_some_and(|l| l.len() > MAX_POLICIES) || maps.len() > MAX_POLICIES {
            return Err(policy_violation(
                cert,
                depth,
                format!("it lists more than {MAX_POLICIES} policies or mappings"),
            ));
        }
        // §6.1.3 d, e: keep the policies this certificate asserts that its issuer allowed.
        tree = match (tree, listed) {
            (Some(t), Some(list)) => {
                let asserts_any = list.contains(&ANY_POLICY);
                let mut set: BTreeSet<Vec<u8>> = list
                    .iter()
                    .filter(|p| **p != ANY_POLICY && (t.any || t.set.contains(**p)))
                    .map(|p| p.to_vec())
                    .collect();
                let any_allowed = asserts_any && (any_inhibit > 0 || (!last && self_issued));
                if any_allowed {
                    set.extend(t.set.iter().cloned());
                }
                let any = any_allowed && t.any;
                (any || !set.is_empty()).then_some(ValidPolicies { any, set })
            }
            _ => None,
        };
        // §6.1.3 f.
        if explicit == 0 && tree.is_none() {
            return Err(policy_violation(
                cert,
                depth,
                "the chain requires an explicit certificate policy (requireExplicitPolicy) and none is valid down to it",
            ));
        }
        if last {
            if require == Some(0) {
                explicit = 0;
            }
            break;
        }
        // §6.1.4 a, b: mappings rename the policies expected below.
        if maps
            .iter()
            .any(|(i, s)| *i == ANY_POLICY || *s == ANY_POLICY)
        {
            return Err(policy_violation(
                cert,
                depth,
                "it maps to or from anyPolicy (RFC 5280 §4.2.1.5)",
            ));
        }
        if let Some(t) = tree.as_mut() {
            let issuer_domains: BTreeSet<&[u8]> = maps.iter().map(|(i, _)| *i).collect();
            for idp in issuer_domains {
                let present = t.set.remove(idp);
                if mapping > 0 && (present || t.any) {
                    t.set.extend(
                        maps.iter()
                            .filter(|(i, _)| *i == idp)
                            .map(|(_, s)| s.to_vec()),
                    );
                }
            }
            if !t.any && t.set.is_empty() {
                tree = None;
            }
        }
        // §6.1.4 h–j: counters, then the certificate's own constraints.
        if !self_issued {
            explicit = explicit.saturating_sub(1);
            mapping = mapping.saturating_sub(1);
            any_inhibit = any_inhibit.saturating_sub(1);
        }
        if let Some(r) = require {
            explicit = explicit.min(r as usize);
        }
        if let Some(m) = inhibit_map {
            mapping = mapping.min(m as usize);
        }
        if let Some(s) = inhibit_any {
            any_inhibit = any_inhibit.min(s as usize);
        }
    }
    // §6.1.5 a, b, g.
    explicit = explicit.saturating_sub(1);
    if explicit == 0 && tree.is_none() {
        if let Some(leaf) = certs.last() {
            return Err(policy_violation(
                leaf,
                0,
                "the chain requires an explicit certificate policy (requireExplicitPolicy) and none is valid for it",
            ));
        }
    }
    Ok(tree)
}
