//! The validation API: options, results, and [`verify_chain`], which builds a path
//! (see `build.rs`) and then checks the peer's name and the pins.

use rustls_pki_types::UnixTime;

use crate::build::Builder;
use crate::cert::Cert;
use crate::crl::Crls;
use crate::error::CertError;
use crate::name::{check_name, PeerName};
use crate::pin::SpkiPin;
use crate::policy::{self, ValidationLevel};
use crate::sig;
use crate::store::RootStore;

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
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::ServerAuth => "serverAuth",
            Self::ClientAuth => "clientAuth",
        }
    }
}

/// Knobs for [`verify_chain`]. Build with `VerifyOptions { .., ..VerifyOptions::default() }`.
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    /// The time at which the chain must be valid. `VerifyOptions::default()` takes the
    /// current time when it is called: build options per validation (or set this field
    /// each time) rather than keeping one value for the life of a process.
    pub time: UnixTime,
    /// Server or client certificate.
    pub usage: Usage,
    /// The most intermediate certificates allowed between the end entity and the anchor.
    pub max_depth: usize,
    /// The most signature verifications path building may spend (pathological inputs
    /// with many candidate issuers would otherwise cost exponential time).
    pub max_signature_checks: usize,
    /// CRLs to check the chain against (RFC 5280 §6.3), when the caller has them.
    pub crls: Crls,
    /// Require digitalSignature in the end entity's keyUsage, when it has one. TLS 1.3
    /// needs it: the key signs CertificateVerify (RFC 8446 §4.4.2.2).
    pub require_digital_signature: bool,
    /// SPKI pins: when non-empty, at least one key of the validated chain (end entity,
    /// intermediates or anchor) must match one of them.
    pub pins: Vec<SpkiPin>,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            time: UnixTime::now(),
            usage: Usage::ServerAuth,
            max_depth: 8,
            max_signature_checks: 100,
            crls: Crls::empty(),
            require_digital_signature: true,
            pins: Vec::new(),
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
    /// The trust anchor's DER SubjectPublicKeyInfo.
    pub anchor_spki: Vec<u8>,
    /// DV, OV or EV, from the end entity's certificatePolicies.
    pub level: ValidationLevel,
}

impl VerifiedChain {
    /// The SPKI pins of the chain's keys, end entity first, the anchor's last (whose
    /// key webpki-roots anchors have without a certificate).
    pub fn pins(&self) -> Vec<SpkiPin> {
        let anchor = SpkiPin::of_spki(&self.anchor_spki);
        let mut pins: Vec<SpkiPin> = self
            .certs
            .iter()
            .filter_map(|der| SpkiPin::of_cert(der).ok())
            .collect();
        if pins.last() != Some(&anchor) {
            pins.push(anchor);
        }
        pins
    }

    /// Checks a TLS 1.3 CertificateVerify signature (RFC 8446 §4.4.3) with the key of this
    /// chain's end entity, with the rules of [`crate::verify_tls13_signature`]. The end
    /// entity passed validation when this chain was built, so only its
    /// SubjectPublicKeyInfo is read again, not the whole certificate.
    pub fn verify_tls13_signature(
        &self,
        scheme: u16,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CertError> {
        self.verify_tls13_signature_cached(scheme, message, signature, None)
    }

    pub(crate) fn verify_tls13_signature_cached(
        &self,
        scheme: u16,
        message: &[u8],
        signature: &[u8],
        cache: Option<&sig::PresentedKeyCache>,
    ) -> Result<(), CertError> {
        let leaf = self.certs.first().ok_or(CertError::NoCertificates)?;
        match sig::validated_spki(leaf) {
            Some(spki) => sig::verify_tls13_with_key(
                &spki,
                scheme,
                message,
                signature,
                || {
                    Cert::parse(leaf, Some(0))
                        .map(|c| c.subject())
                        .unwrap_or_default()
                },
                cache,
            ),
            // Not the DER of a certificate: the full parse says what is wrong.
            None => sig::verify_tls13_signature(leaf, scheme, message, signature),
        }
    }
}

/// Upper bound on presented intermediates considered (bounded memory and work).
const MAX_PRESENTED: usize = 64;

/// A rejected chain, with what the peer presented and the best path padlock built, so
/// that a caller can show or log them (issue: errors keep their evidence).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// Why.
    pub error: CertError,
    /// The certificates as presented: end entity first, then the intermediates.
    pub presented: Vec<Vec<u8>>,
    /// The path that got furthest (end entity first), ending with the anchor's
    /// certificate when the failure came after reaching one.
    pub best_chain: Vec<Vec<u8>>,
    /// What the end entity was judged for: whether it is a server's or a client's
    /// certificate, which the sentence and the fix name.
    pub usage: Usage,
}

impl Rejection {
    /// The suggested fix for [`Rejection::error`], for a certificate of [`Rejection::usage`].
    pub fn fix(&self) -> String {
        self.error.fix_for(self.usage)
    }
}

/// The one plain sentence of [`Rejection::error`], for a certificate of [`Rejection::usage`].
impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.error.describe(self.usage), f)
    }
}

impl std::error::Error for Rejection {}

/// Validates `end_entity` up to a root of `roots`, using `intermediates` as candidate
/// issuers in any order, then checks `name` against its subjectAltName and the chain
/// against `opts.pins`.
pub fn verify_chain(
    end_entity: &[u8],
    intermediates: &[&[u8]],
    roots: &RootStore,
    name: Option<&PeerName>,
    opts: &VerifyOptions,
) -> Result<VerifiedChain, CertError> {
    verify_chain_report(end_entity, intermediates, roots, name, opts).map_err(|r| r.error)
}

/// [`verify_chain`], keeping the presented chain and the best built path on failure.
pub fn verify_chain_report(
    end_entity: &[u8],
    intermediates: &[&[u8]],
    roots: &RootStore,
    name: Option<&PeerName>,
    opts: &VerifyOptions,
) -> Result<VerifiedChain, Box<Rejection>> {
    // The presented chain is copied only when there is a rejection to attach it to.
    let reject = |error: CertError, best_chain: Vec<Vec<u8>>| {
        Box::new(Rejection {
            error,
            presented: std::iter::once(end_entity)
                .chain(intermediates.iter().copied())
                .take(MAX_PRESENTED + 1)
                .map(<[u8]>::to_vec)
                .collect(),
            best_chain,
            usage: opts.usage,
        })
    };
    let leaf = Cert::parse(end_entity, Some(0)).map_err(|e| reject(e, Vec::new()))?;
    let mut certs = Vec::with_capacity(1 + intermediates.len().min(MAX_PRESENTED));
    certs.push(leaf);
    // A malformed extra certificate is skipped, not fatal: peers send junk that the
    // valid path never needs.
    certs.extend(
        intermediates
            .iter()
            .take(MAX_PRESENTED)
            .filter_map(|der| Cert::parse(der, None).ok()),
    );
    let mut builder = Builder::new(roots, certs, opts);
    let mut path = Vec::with_capacity(opts.max_depth.min(MAX_PRESENTED) + 2);
    path.push(0usize);
    let found = builder.search(&mut path);
    let Some(anchor) = found else {
        let best_chain = builder.best_chain();
        return Err(reject(builder.into_error(), best_chain));
    };
    let mut chain: Vec<Vec<u8>> = Vec::with_capacity(path.len() + 1);
    chain.extend(
        path.iter()
            .filter_map(|&i| builder.certs.get(i))
            .map(|c| c.der.to_vec()),
    );
    if let Some(der) = &anchor.cert {
        if chain.last() != Some(der) {
            chain.push(der.clone());
        }
    }
    let Some(leaf) = builder.certs.first() else {
        return Err(reject(CertError::NoCertificates, chain));
    };
    if let Some(name) = name {
        check_name(leaf, name).map_err(|e| reject(e, chain.clone()))?;
    }
    let verified = VerifiedChain {
        certs: chain,
        anchor_subject: anchor.subject.clone(),
        anchor_spki: anchor.spki_der.clone(),
        level: policy::level(leaf, builder.policies.as_ref()),
    };
    if !opts.pins.is_empty() {
        let pins = verified.pins();
        if !opts.pins.iter().any(|p| pins.contains(p)) {
            let err = CertError::PinMismatch {
                expected: opts.pins.iter().map(ToString::to_string).collect(),
                present: pins.iter().map(ToString::to_string).collect(),
            };
            return Err(reject(err, verified.certs));
        }
    }
    Ok(verified)
}
