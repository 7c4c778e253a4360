//! Trust anchors: the Mozilla set (webpki-roots), the OS store and PEM files, combinable.

use std::collections::HashMap;
use std::path::Path;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use crate::cert::{name_key_der, wrap_sequence, Cert};
use crate::dn::{key_hash, name_hash, name_key, name_matches_key};
use crate::error::CertError;
use crate::profile::{check_profile, Role};
use crate::sig::{IssuerKey, ParsedKeyCache, PresentedKeyCache};
use crate::verify::{Usage, VerifiedChain};
use x509_parser::oid_registry::OID_X509_EXT_NAME_CONSTRAINTS;
use x509_parser::prelude::{FromDer, SubjectPublicKeyInfo};
use x509_parser::x509::X509Name;

/// Upper bound on a PEM trust store file (the Mozilla bundle is about 200 KiB).
const MAX_PEM_FILE: u64 = 16 * 1024 * 1024;

/// One trust anchor (RFC 5280 §6.1.1 d): a name and a key, with the certificate when known.
#[derive(Clone, Debug)]
pub(crate) struct Anchor {
    /// DER Name, with its SEQUENCE header.
    pub subject_der: Vec<u8>,
    /// The subject's comparison key (RFC 5280 §7.1), built once.
    pub subject_key: Vec<u8>,
    /// Subject as people read it.
    pub subject: String,
    /// DER SubjectPublicKeyInfo, with its SEQUENCE header.
    pub spki_der: Vec<u8>,
    /// DER NameConstraints, with its SEQUENCE header, when the anchor is constrained.
    pub name_constraints: Option<Vec<u8>>,
    /// The self-signed certificate, when the anchor came from one.
    pub cert: Option<Vec<u8>>,
    /// What path validation needs from that certificate, worked out once when it is
    /// added rather than on every validation.
    pub facts: Option<AnchorFacts>,
    /// The key as parsed for verification, on first use.
    pub parsed_key: ParsedKeyCache,
    /// The key classified once, when `spki_der` parses.
    pub key: Option<IssuerKey>,
}

/// An anchor's key, classified once rather than on every validation.
fn anchor_key(spki_der: &[u8]) -> Option<IssuerKey> {
    let (_, spki) = SubjectPublicKeyInfo::from_der(spki_der).ok()?;
    let key = IssuerKey::of(&spki);
    Some(IssuerKey {
        kind: key.kind,
        bits: key.bits.to_vec(),
    })
}

/// The facts of an anchor certificate that validation consults.
#[derive(Clone, Debug)]
pub(crate) struct AnchorFacts {
    pub not_before: i64,
    pub not_after: i64,
    pub path_len: Option<u32>,
    /// keyUsage absent or asserting cRLSign.
    pub crl_sign: bool,
    /// The CA profile verdict (depth 0) when validating a server, and a client.
    pub server: Result<(), CertError>,
    pub client: Result<(), CertError>,
}

/// How strictly a root certificate added to a [`RootStore`] is held to the CA/Browser
/// Forum root profile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AnchorPolicy {
    /// Every rule (the default for roots the caller adds).
    #[default]
    Strict,
    /// Roots as a root program ships them (what [`RootStore::native`] uses): long-lived
    /// public roots that predate the profile's bookkeeping rules (authorityKeyIdentifier
    /// contents, subjectKeyIdentifier presence, basicConstraints criticality) are
    /// accepted; validity, CA status, key usage, keys and critical extensions still count.
    /// Use it when loading an OS bundle such as `/etc/ssl/certs/ca-certificates.crt`.
    RootProgram,
}

/// A set of trusted roots.
#[derive(Clone, Debug, Default)]
pub struct RootStore {
    anchors: Vec<Anchor>,
    /// Anchor indices by the hash of their subject's key; a certificate's issuer name is
    /// hashed in place, and a hit is confirmed against the key.
    by_subject: HashMap<u64, Vec<usize>>,
    policy: AnchorPolicy,
    /// Parsed keys of recently met intermediate CAs (a cache; see `PresentedKeyCache`).
    issuer_keys: PresentedKeyCache,
    /// Parsed keys of recently met end entities, for CertificateVerify (a cache too).
    end_entity_keys: PresentedKeyCache,
    /// The lengths of the anchors' certificates: a presented certificate of another length
    /// is not one of them, found without hashing its subject.
    cert_lens: std::collections::BTreeSet<usize>,
}

impl RootStore {
    /// A store that trusts nothing yet.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The Mozilla root program's TLS server roots, as shipped by webpki-roots.
    pub fn mozilla() -> Self {
        let mut store = Self::empty();
        for ta in webpki_roots::TLS_SERVER_ROOTS {
            let subject_der = wrap_sequence(ta.subject.as_ref());
            let Some((key, subject)) = name_key_der(&subject_der) else {
                continue;
            };
            let spki_der = wrap_sequence(ta.subject_public_key_info.as_ref());
            store.insert(Anchor {
                subject_der,
                subject_key: key,
                subject,
                key: anchor_key(&spki_der),
                spki_der,
                name_constraints: ta
                    .name_constraints
                    .as_ref()
                    .map(|nc| wrap_sequence(nc.as_ref())),
                cert: None,
                facts: None,
                parsed_key: ParsedKeyCache::default(),
            });
        }
        store
    }

    /// The operating system's trusted roots (rustls-native-certs). Certificates the OS
    /// store holds but that do not parse are skipped, as every TLS stack does.
    pub fn native() -> Result<Self, CertError> {
        let loaded = rustls_native_certs::load_native_certs();
        let mut store = Self::empty();
        store.set_anchor_policy(AnchorPolicy::RootProgram);
        for der in &loaded.certs {
            let _ = store.add_der(der.as_ref());
        }
        if store.is_empty() {
            let reason = loaded
                .errors
                .first()
                .map(|e| e.to_string())
                .unwrap_or_else(|| "no certificates found".to_string());
            return Err(CertError::NativeStore { reason });
        }
        Ok(store)
    }

    /// Sets how strictly certificates added from now on are checked (see [`AnchorPolicy`]).
    pub fn set_anchor_policy(&mut self, policy: AnchorPolicy) {
        self.policy = policy;
    }

    /// Trusts one DER certificate.
    pub fn add_der(&mut self, der: &[u8]) -> Result<(), CertError> {
        let cert = Cert::parse(der, None)?;
        let role = match self.policy {
            AnchorPolicy::Strict => Role::Anchor,
            AnchorPolicy::RootProgram => Role::ProgramAnchor,
        };
        let (not_before, not_after) = cert.x509.validity();
        let facts = AnchorFacts {
            not_before,
            not_after,
            path_len: match cert.x509.basic_constraints() {
                Ok(Some(bc)) => bc.value.path_len_constraint,
                _ => None,
            },
            crl_sign: match cert.x509.key_usage() {
                Ok(Some(ku)) => ku.value.crl_sign(),
                _ => true,
            },
            server: check_profile(&cert, 0, role, Usage::ServerAuth),
            client: check_profile(&cert, 0, role, Usage::ClientAuth),
        };
        let name_constraints = cert
            .x509
            .extensions()
            .iter()
            .find(|e| e.oid == OID_X509_EXT_NAME_CONSTRAINTS)
            .map(|e| e.value.to_vec());
        let anchor = Anchor {
            subject_der: cert.x509.subject().as_raw().to_vec(),
            subject_key: name_key(cert.x509.subject()),
            subject: cert.subject(),
            spki_der: cert.x509.public_key().raw.to_vec(),
            key: anchor_key(cert.x509.public_key().raw),
            name_constraints,
            cert: Some(der.to_vec()),
            facts: Some(facts),
            parsed_key: ParsedKeyCache::default(),
        };
        self.insert(anchor);
        Ok(())
    }

    /// Trusts every certificate in a PEM buffer; returns how many were added.
    pub fn add_pem(&mut self, pem: &[u8]) -> Result<usize, CertError> {
        let mut added = 0;
        for item in CertificateDer::pem_slice_iter(pem) {
            let der = item.map_err(|e| CertError::Malformed {
                what: format!("PEM error ({e})"),
                depth: None,
            })?;
            self.add_der(der.as_ref())?;
            added += 1;
        }
        if added == 0 {
            return Err(CertError::NoCertificates);
        }
        Ok(added)
    }

    /// Trusts every certificate in a PEM file; returns how many were added.
    pub fn add_pem_file(&mut self, path: impl AsRef<Path>) -> Result<usize, CertError> {
        let path = path.as_ref();
        let io = |e: std::io::Error| CertError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let len = std::fs::metadata(path).map_err(io)?.len();
        if len > MAX_PEM_FILE {
            return Err(CertError::Io {
                path: path.display().to_string(),
                reason: format!("it is {len} bytes, over the {MAX_PEM_FILE}-byte limit"),
            });
        }
        let pem = std::fs::read(path).map_err(io)?;
        self.add_pem(&pem)
    }

    /// Adds every anchor of `other` (e.g. Mozilla plus a private CA).
    pub fn extend(&mut self, other: &RootStore) {
        for anchor in &other.anchors {
            self.insert(anchor.clone());
        }
    }

    /// The number of trust anchors.
    pub fn len(&self) -> usize {
        self.anchors.len()
    }

    /// True when nothing is trusted.
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    fn insert(&mut self, anchor: Anchor) {
        let slot = self
            .by_subject
            .entry(key_hash(&anchor.subject_key))
            .or_default();
        let duplicate = slot.iter().any(|&i| {
            self.anchors.get(i).is_some_and(|a| {
                a.subject_key == anchor.subject_key
                    && a.spki_der == anchor.spki_der
                    && a.cert == anchor.cert
            })
        });
        if !duplicate {
            if let Some(der) = &anchor.cert {
                self.cert_lens.insert(der.len());
            }
            slot.push(self.anchors.len());
            self.anchors.push(anchor);
        }
    }

    /// The anchors whose subject matches `name` (a certificate's issuer).
    pub(crate) fn candidates<'s, 'n>(
        &'s self,
        name: &'n X509Name<'n>,
    ) -> impl Iterator<Item = &'s Anchor> + use<'s, 'n> {
        self.hashed(name)
            .iter()
            .filter_map(move |&i| self.matching(i, name))
    }

    /// The indices of the anchors whose subject's hash is `name`'s: candidates, each to be
    /// confirmed with [`RootStore::matching`].
    pub(crate) fn hashed(&self, name: &X509Name<'_>) -> &[usize] {
        self.by_subject
            .get(&name_hash(name))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Anchor `i`, if its subject matches `name`.
    pub(crate) fn matching(&self, i: usize, name: &X509Name<'_>) -> Option<&Anchor> {
        self.anchors
            .get(i)
            .filter(|a| a.subject_der == name.as_raw() || name_matches_key(name, &a.subject_key))
    }

    /// The cache of presented issuers' parsed keys that validations against this store share.
    pub(crate) fn issuer_keys(&self) -> &PresentedKeyCache {
        &self.issuer_keys
    }

    /// Checks a TLS 1.3 CertificateVerify signature (RFC 8446 §4.4.3) with the key of the
    /// end entity of `chain`, a chain validated against this store: the check of
    /// [`VerifiedChain::verify_tls13_signature`], with the key kept parsed in this store for
    /// the next handshake that presents the same end entity (a client reconnecting to a
    /// server). The signature itself is verified every time.
    pub fn verify_tls13_signature(
        &self,
        chain: &VerifiedChain,
        scheme: u16,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CertError> {
        chain.verify_tls13_signature_cached(scheme, message, signature, Some(&self.end_entity_keys))
    }

    #[cfg(test)]
    pub(crate) fn anchors_for_test(&self) -> impl Iterator<Item = &Anchor> {
        self.anchors.iter()
    }

    /// True when this exact certificate is a trust anchor.
    pub(crate) fn contains_cert(&self, der: &[u8], subject: &X509Name<'_>) -> bool {
        self.cert_lens.contains(&der.len())
            && self
                .candidates(subject)
                .any(|a| a.cert.as_deref() == Some(der))
    }
}
