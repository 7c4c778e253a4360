//! How a peer's certificate is judged: the verifier traits the handshake calls, and the
//! default implementations over `padlock-cert`.
//!
//! The handshake asks two questions (RFC 8446 §4.4.2, §4.4.3): does the chain lead to a
//! trusted root and name the peer we wanted; and did the peer sign the transcript with the
//! certificate's key.
//!
//! Whom a client trusts is the [`RootStore`] given to [`ChainVerifier`] (or to
//! [`crate::ClientConfig::new`], which wraps it in one):
//! - [`RootStore::mozilla()`]: the default, the Mozilla root program (webpki-roots), the
//!   usual choice for public servers;
//! - [`RootStore::native()`]: the operating system's store, which also holds roots an
//!   administrator installed (a company CA);
//! - [`RootStore::add_pem_file`] on [`RootStore::empty()`]: exactly a private CA;
//! - combinations with [`RootStore::extend`], e.g. Mozilla plus a private CA:
//!
//! ```no_run
//! # fn f() -> Result<(), padlock::padlock_cert::CertError> {
//! use padlock::padlock_cert::RootStore;
//! let mut roots = RootStore::mozilla();
//! let mut private = RootStore::empty();
//! private.add_pem_file("/etc/company/root-ca.pem")?;
//! roots.extend(&private);
//! let config = padlock::ClientConfig::new(roots);
//! # Ok(()) }
//! ```
//!
//! [`ChainVerifier`] is the one policy for both roles: as a [`ServerCertVerifier`] (in a
//! client) it validates the server's chain for serverAuth and the name asked for; as a
//! [`ClientCertVerifier`] (in a server; [`ClientChainVerifier`] is the same type) the
//! client's chain for clientAuth. Either way it can also:
//! - narrow trust to chains holding a given key, [`ChainVerifier::with_pins`]:
//!   `ClientConfig::with_verifier(Arc::new(ChainVerifier::new(roots).with_pins(pins)))`;
//! - refuse revoked certificates, [`ChainVerifier::with_crls`], with CRLs a CA published
//!   ([`padlock_cert::Crls::add_file`] reads PEM or DER files).
//!
//! A failed validation is [`Error::Certificate`], which keeps the chain the peer presented
//! and the best path padlock built ([`padlock_cert::Rejection`], whose sentence and fix say
//! whether the certificate was the server's or the client's); a successful one fills
//! [`crate::HandshakeInfo::verified_chain`] and [`crate::HandshakeInfo::validation_level`].

use std::sync::Arc;
use std::time::SystemTime;

use padlock_cert::{
    Crls, PeerName, RootStore, SpkiPin, UnixTime, Usage, VerifiedChain, VerifyOptions,
};
use rustls_pki_types::ServerName;

use crate::error::Error;
use crate::handshake::CertificateVerifyContext;
use crate::msgs::enums::SignatureScheme;

/// The signature schemes we accept in CertificateVerify, best first (RFC 8446 §4.2.3).
pub const SUPPORTED_SCHEMES: &[SignatureScheme] = &[
    SignatureScheme::ECDSA_SECP256R1_SHA256,
    SignatureScheme::ED25519,
    SignatureScheme::ECDSA_SECP384R1_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA256,
    SignatureScheme::RSA_PSS_RSAE_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA512,
    SignatureScheme::RSA_PSS_PSS_SHA256,
    SignatureScheme::RSA_PSS_PSS_SHA384,
    SignatureScheme::RSA_PSS_PSS_SHA512,
    SignatureScheme::ECDSA_SECP521R1_SHA512,
];

/// Judges a server's certificate chain on behalf of a client.
pub trait ServerCertVerifier: Send + Sync {
    /// Checks the chain (leaf first, as sent) up to a trusted root, and that it names
    /// `server_name`. Returns the validated path when the verifier built one, for
    /// [`crate::HandshakeInfo`]; `None` from verifiers that accept without building a path.
    fn verify_server_cert(
        &self,
        end_entity: &[u8],
        intermediates: &[&[u8]],
        server_name: &ServerName<'_>,
        now: SystemTime,
    ) -> Result<Option<VerifiedChain>, Error>;

    /// Checks a CertificateVerify signature made with the end-entity certificate's key.
    fn verify_signature(
        &self,
        end_entity: &[u8],
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        check_certificate_verify(None, end_entity, scheme, message, signature)
    }

    /// Checks the CertificateVerify signature after [`ServerCertVerifier::verify_server_cert`]
    /// accepted `end_entity` and returned `verified`: what the handshake calls. When
    /// `verified` is a chain validated for this very `end_entity`, the default checks with
    /// the key read from it (the same check as [`ServerCertVerifier::verify_signature`]'s
    /// default, without parsing the certificate again); otherwise it calls
    /// [`ServerCertVerifier::verify_signature`]. A verifier that returns chains and checks
    /// signatures its own way overrides this method too. (Which schemes are acceptable at
    /// all is [`ServerCertVerifier::supported_schemes`], enforced before either.)
    fn verify_signature_after_chain(
        &self,
        verified: Option<&VerifiedChain>,
        end_entity: &[u8],
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        with_validated_key(None, verified, end_entity, scheme, message, signature)
            .unwrap_or_else(|| self.verify_signature(end_entity, scheme, message, signature))
    }

    /// The schemes to offer in signature_algorithms.
    fn supported_schemes(&self) -> &[SignatureScheme] {
        SUPPORTED_SCHEMES
    }
}

/// Judges a client's certificate chain on behalf of a server (mTLS). The methods mirror
/// [`ServerCertVerifier`]'s, without a name to check (the server did not ask for one).
pub trait ClientCertVerifier: Send + Sync {
    /// Whether a client without a certificate is refused (`certificate_required`).
    fn client_auth_mandatory(&self) -> bool;

    /// Checks the client's chain up to a trusted root for the clientAuth usage. Returns the
    /// validated path when the verifier built one, as [`ServerCertVerifier::verify_server_cert`].
    fn verify_client_cert(
        &self,
        end_entity: &[u8],
        intermediates: &[&[u8]],
        now: SystemTime,
    ) -> Result<Option<VerifiedChain>, Error>;

    /// Checks a CertificateVerify signature made with the client certificate's key.
    fn verify_signature(
        &self,
        end_entity: &[u8],
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        check_certificate_verify(None, end_entity, scheme, message, signature)
    }

    /// As [`ServerCertVerifier::verify_signature_after_chain`], after
    /// [`ClientCertVerifier::verify_client_cert`].
    fn verify_signature_after_chain(
        &self,
        verified: Option<&VerifiedChain>,
        end_entity: &[u8],
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        with_validated_key(None, verified, end_entity, scheme, message, signature)
            .unwrap_or_else(|| self.verify_signature(end_entity, scheme, message, signature))
    }

    /// The schemes to offer in CertificateRequest.
    fn supported_schemes(&self) -> &[SignatureScheme] {
        SUPPORTED_SCHEMES
    }
}

/// RFC 8446 §4.4.3: checks a CertificateVerify signature with the key of `end_entity`. When
/// `verified` is a chain padlock-cert validated for this very `end_entity`, its key is read
/// from there, so that the certificate is not parsed a second time.
pub fn check_certificate_verify(
    verified: Option<&VerifiedChain>,
    end_entity: &[u8],
    scheme: SignatureScheme,
    message: &[u8],
    signature: &[u8],
) -> Result<(), Error> {
    with_validated_key(None, verified, end_entity, scheme, message, signature).unwrap_or_else(
        || {
            padlock_cert::verify_tls13_signature(end_entity, scheme.0, message, signature)
                .map_err(|e| bad_signature(e, end_entity, None))
        },
    )
}

/// A CertificateVerify that failed, with the evidence: the end entity (the handshake puts
/// the whole chain as presented in its place, and the signer's role: a verifier knows
/// neither) and the validated path, if any.
fn bad_signature(
    error: padlock_cert::CertError,
    end_entity: &[u8],
    verified: Option<&VerifiedChain>,
) -> Error {
    Error::BadSignature(Box::new(padlock_cert::Rejection {
        error,
        presented: vec![end_entity.to_vec()],
        best_chain: verified.map(|c| c.certs.clone()).unwrap_or_default(),
        usage: padlock_cert::Usage::ServerAuth,
    }))
}

/// The check with the key of `verified`'s end entity, if `verified` is a chain for this
/// very `end_entity`; `None` otherwise. With the `store` the chain was validated against,
/// the key stays parsed there for the next handshake with the same end entity.
fn with_validated_key(
    store: Option<&RootStore>,
    verified: Option<&VerifiedChain>,
    end_entity: &[u8],
    scheme: SignatureScheme,
    message: &[u8],
    signature: &[u8],
) -> Option<Result<(), Error>> {
    let chain = verified.filter(|c| c.certs.first().is_some_and(|leaf| leaf == end_entity))?;
    let checked = match store {
        Some(store) => store.verify_tls13_signature(chain, scheme.0, message, signature),
        None => chain.verify_tls13_signature(scheme.0, message, signature),
    };
    Some(checked.map_err(|e| bad_signature(e, end_entity, Some(chain))))
}

/// The default verifier of both roles: path validation by `padlock-cert` up to a set of
/// trusted roots, optionally with SPKI pins and CRLs. What the end entity must be for
/// comes from the role: serverAuth and the name the client asked for when a client
/// judges a server ([`ServerCertVerifier`]), clientAuth when a server judges a client
/// ([`ClientCertVerifier`]).
#[derive(Clone)]
pub struct ChainVerifier {
    roots: Arc<RootStore>,
    pins: Vec<SpkiPin>,
    crls: Crls,
    client_auth_mandatory: bool,
}

/// The name [`ChainVerifier`] goes by in a server, judging client certificates: built with
/// [`ChainVerifier::required`] or [`ChainVerifier::optional`].
pub type ClientChainVerifier = ChainVerifier;

impl ChainVerifier {
    /// Trusts exactly the roots in `roots`. As a [`ClientCertVerifier`] it refuses clients
    /// without a certificate, as [`ChainVerifier::required`].
    pub fn new(roots: Arc<RootStore>) -> Self {
        Self {
            roots,
            pins: Vec::new(),
            crls: Crls::empty(),
            client_auth_mandatory: true,
        }
    }

    /// For a server: clients must present a certificate chaining to `roots`.
    pub fn required(roots: Arc<RootStore>) -> Self {
        Self::new(roots)
    }

    /// For a server: clients may present a certificate; if they do, it must chain to `roots`.
    pub fn optional(roots: Arc<RootStore>) -> Self {
        Self {
            client_auth_mandatory: false,
            ..Self::new(roots)
        }
    }

    /// Also requires one key of the validated chain (end entity, intermediate or root) to
    /// match one of `pins` (`sha256/BASE64`, as HPKP wrote them, RFC 7469 §2.4). Pinning
    /// narrows trust and never widens it: the chain must still lead to a trusted root. A
    /// mismatch is [`padlock_cert::CertError::PinMismatch`], listing the pins the chain has.
    pub fn with_pins(mut self, pins: Vec<SpkiPin>) -> Self {
        self.pins = pins;
        self
    }

    /// Also refuses chains with a certificate that one of `crls` revokes (RFC 5280 §6.3):
    /// [`padlock_cert::CertError::Revoked`], alert certificate_revoked. A CRL applies to the
    /// certificates its issuer issued, and must verify with that issuer's key and be
    /// current (before its nextUpdate), else the validation fails with
    /// [`padlock_cert::CertError::BadCrl`]: refresh the CRLs as the CA publishes them.
    /// Certificates whose issuer has no CRL here are not checked for revocation.
    pub fn with_crls(mut self, crls: Crls) -> Self {
        self.crls = crls;
        self
    }

    /// The trusted roots.
    pub fn roots(&self) -> &RootStore {
        &self.roots
    }

    /// The configured pins (empty: no pinning).
    pub fn pins(&self) -> &[SpkiPin] {
        &self.pins
    }

    /// The configured CRLs (empty: revocation is not checked).
    pub fn crls(&self) -> &Crls {
        &self.crls
    }

    /// Validates a chain for `usage` (and `name`, if given) at `now`: the one path both
    /// roles take. Options are built per handshake: the validity period is judged at `now`,
    /// not at the time the verifier was made (pins and CRLs are shared, not copied).
    fn verify(
        &self,
        end_entity: &[u8],
        intermediates: &[&[u8]],
        usage: Usage,
        name: Option<&PeerName>,
        now: SystemTime,
    ) -> Result<Option<VerifiedChain>, Error> {
        let since_epoch = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        let options = VerifyOptions {
            time: UnixTime::since_unix_epoch(since_epoch),
            usage,
            pins: self.pins.clone(),
            crls: self.crls.clone(),
            ..VerifyOptions::default()
        };
        padlock_cert::verify_chain_report(end_entity, intermediates, &self.roots, name, &options)
            .map(Some)
            .map_err(Error::Certificate)
    }
}

impl std::fmt::Debug for ChainVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ChainVerifier({} roots, {} pins, {} CRLs, client certificates {})",
            self.roots.len(),
            self.pins.len(),
            self.crls.len(),
            if self.client_auth_mandatory {
                "required"
            } else {
                "optional"
            }
        )
    }
}

fn peer_name(name: &ServerName<'_>) -> PeerName {
    match name {
        ServerName::IpAddress(ip) => PeerName::Ip(std::net::IpAddr::from(*ip)),
        other => PeerName::Dns(other.to_str().into_owned()),
    }
}

impl ChainVerifier {
    /// Both roles' CertificateVerify check: with the validated chain's key, kept parsed in
    /// this verifier's store for the next handshake with the same end entity; otherwise
    /// (no chain for this end entity) the key read from the certificate, as the traits'
    /// default `verify_signature` does.
    fn check_certificate_verify(
        &self,
        verified: Option<&VerifiedChain>,
        end_entity: &[u8],
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        with_validated_key(
            Some(&self.roots),
            verified,
            end_entity,
            scheme,
            message,
            signature,
        )
        .unwrap_or_else(|| check_certificate_verify(None, end_entity, scheme, message, signature))
    }
}

impl ServerCertVerifier for ChainVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &[u8],
        intermediates: &[&[u8]],
        server_name: &ServerName<'_>,
        now: SystemTime,
    ) -> Result<Option<VerifiedChain>, Error> {
        let name = peer_name(server_name);
        self.verify(
            end_entity,
            intermediates,
            Usage::ServerAuth,
            Some(&name),
            now,
        )
    }

    fn verify_signature_after_chain(
        &self,
        verified: Option<&VerifiedChain>,
        end_entity: &[u8],
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        self.check_certificate_verify(verified, end_entity, scheme, message, signature)
    }
}

impl ClientCertVerifier for ChainVerifier {
    fn client_auth_mandatory(&self) -> bool {
        self.client_auth_mandatory
    }

    fn verify_client_cert(
        &self,
        end_entity: &[u8],
        intermediates: &[&[u8]],
        now: SystemTime,
    ) -> Result<Option<VerifiedChain>, Error> {
        // RFC 5280 §4.2.1.12: a client certificate must allow id-kp-clientAuth; there is no
        // name to check (the server did not ask for one).
        self.verify(end_entity, intermediates, Usage::ClientAuth, None, now)
    }

    fn verify_signature_after_chain(
        &self,
        verified: Option<&VerifiedChain>,
        end_entity: &[u8],
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        self.check_certificate_verify(verified, end_entity, scheme, message, signature)
    }
}

/// The verifier judging the peer's certificate in one handshake, for the steps both roles
/// share (RFC 8446 §4.4.2, §4.4.3; see `handshake.rs`).
pub(crate) enum PeerVerifier<'a> {
    /// A client judging the server it asked for by name.
    Server(&'a dyn ServerCertVerifier, &'a ServerName<'static>),
    /// A server judging a client.
    Client(&'a dyn ClientCertVerifier),
}

impl PeerVerifier<'_> {
    /// The context string the peer signed under (§4.4.3).
    pub(crate) fn context(&self) -> CertificateVerifyContext {
        match self {
            Self::Server(..) => CertificateVerifyContext::Server,
            Self::Client(_) => CertificateVerifyContext::Client,
        }
    }

    pub(crate) fn verify_chain(
        &self,
        end_entity: &[u8],
        intermediates: &[&[u8]],
        now: SystemTime,
    ) -> Result<Option<VerifiedChain>, Error> {
        match self {
            Self::Server(v, name) => v.verify_server_cert(end_entity, intermediates, name, now),
            Self::Client(v) => v.verify_client_cert(end_entity, intermediates, now),
        }
    }

    pub(crate) fn verify_signature(
        &self,
        verified: Option<&VerifiedChain>,
        end_entity: &[u8],
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        match self {
            Self::Server(v, _) => {
                v.verify_signature_after_chain(verified, end_entity, scheme, message, signature)
            }
            Self::Client(v) => {
                v.verify_signature_after_chain(verified, end_entity, scheme, message, signature)
            }
        }
    }

    pub(crate) fn supported_schemes(&self) -> &[SignatureScheme] {
        match self {
            Self::Server(v, _) => v.supported_schemes(),
            Self::Client(v) => v.supported_schemes(),
        }
    }
}
