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
//! Pinning narrows that trust to chains holding a given key:
//! `ClientConfig::with_verifier(Arc::new(ChainVerifier::new(roots).with_pins(pins)))`.
//!
//! A failed validation is [`Error::Certificate`], which keeps the chain the peer presented
//! and the best path padlock built ([`padlock_cert::Rejection`]); a successful one fills
//! [`crate::HandshakeInfo::verified_chain`] and [`crate::HandshakeInfo::validation_level`].

use std::sync::Arc;
use std::time::SystemTime;

use padlock_cert::{PeerName, RootStore, SpkiPin, UnixTime, Usage, VerifiedChain, VerifyOptions};
use rustls_pki_types::ServerName;

use crate::error::Error;
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
        padlock_cert::verify_tls13_signature(end_entity, scheme.0, message, signature)
            .map_err(Error::BadSignature)
    }

    /// Checks the CertificateVerify signature after [`ServerCertVerifier::verify_server_cert`]
    /// accepted `end_entity` and returned `verified`. The default calls
    /// [`ServerCertVerifier::verify_signature`]; [`ChainVerifier`] reads the key from the
    /// chain it validated instead of parsing the certificate again.
    fn verify_signature_after_chain(
        &self,
        verified: Option<&VerifiedChain>,
        end_entity: &[u8],
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        let _ = verified;
        self.verify_signature(end_entity, scheme, message, signature)
    }

    /// The schemes to offer in signature_algorithms.
    fn supported_schemes(&self) -> &[SignatureScheme] {
        SUPPORTED_SCHEMES
    }
}

/// Judges a client's certificate chain on behalf of a server (mTLS).
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
        padlock_cert::verify_tls13_signature(end_entity, scheme.0, message, signature)
            .map_err(Error::BadSignature)
    }

    /// Checks the CertificateVerify signature after [`ClientCertVerifier::verify_client_cert`]
    /// accepted `end_entity` and returned `verified`; as
    /// [`ServerCertVerifier::verify_signature_after_chain`].
    fn verify_signature_after_chain(
        &self,
        verified: Option<&VerifiedChain>,
        end_entity: &[u8],
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        let _ = verified;
        self.verify_signature(end_entity, scheme, message, signature)
    }

    /// The schemes to offer in CertificateRequest.
    fn supported_schemes(&self) -> &[SignatureScheme] {
        SUPPORTED_SCHEMES
    }
}

/// RFC 8446 §4.4.3 with the key of a chain padlock-cert validated for this very
/// `end_entity`, so that the certificate is not parsed a second time; any other case
/// goes the general way.
fn verify_with_chain(
    verified: Option<&VerifiedChain>,
    end_entity: &[u8],
    scheme: SignatureScheme,
    message: &[u8],
    signature: &[u8],
) -> Result<(), Error> {
    let result = match verified {
        Some(chain) if chain.certs.first().is_some_and(|leaf| leaf == end_entity) => {
            chain.verify_tls13_signature(scheme.0, message, signature)
        }
        _ => padlock_cert::verify_tls13_signature(end_entity, scheme.0, message, signature),
    };
    result.map_err(Error::BadSignature)
}

/// The default verifier: path validation by `padlock-cert` up to a set of trusted roots,
/// optionally with SPKI pins.
#[derive(Clone)]
pub struct ChainVerifier {
    roots: Arc<RootStore>,
    pins: Vec<SpkiPin>,
}

impl ChainVerifier {
    /// Trusts exactly the roots in `roots`.
    pub fn new(roots: Arc<RootStore>) -> Self {
        Self {
            roots,
            pins: Vec::new(),
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

    /// The trusted roots.
    pub fn roots(&self) -> &RootStore {
        &self.roots
    }

    /// The configured pins (empty: no pinning).
    pub fn pins(&self) -> &[SpkiPin] {
        &self.pins
    }

    /// Options for one validation. Built per handshake: the validity period is judged at
    /// `now`, not at the time the verifier was made.
    fn options(now: SystemTime, usage: Usage, pins: &[SpkiPin]) -> VerifyOptions {
        let since_epoch = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        VerifyOptions {
            time: UnixTime::since_unix_epoch(since_epoch),
            usage,
            pins: pins.to_vec(),
            ..VerifyOptions::default()
        }
    }
}

impl std::fmt::Debug for ChainVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ChainVerifier({} roots, {} pins)",
            self.roots.len(),
            self.pins.len()
        )
    }
}

fn peer_name(name: &ServerName<'_>) -> PeerName {
    match name {
        ServerName::IpAddress(ip) => PeerName::Ip(std::net::IpAddr::from(*ip)),
        other => PeerName::Dns(other.to_str().into_owned()),
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
        padlock_cert::verify_chain_report(
            end_entity,
            intermediates,
            &self.roots,
            Some(&name),
            &Self::options(now, Usage::ServerAuth, &self.pins),
        )
        .map(Some)
        .map_err(Error::Certificate)
    }

    fn verify_signature_after_chain(
        &self,
        verified: Option<&VerifiedChain>,
        end_entity: &[u8],
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        verify_with_chain(verified, end_entity, scheme, message, signature)
    }
}

/// The server-side default: client certificates must chain to `roots` with clientAuth.
#[derive(Clone)]
pub struct ClientChainVerifier {
    roots: Arc<RootStore>,
    mandatory: bool,
}

impl ClientChainVerifier {
    /// Clients must present a certificate chaining to `roots`.
    pub fn required(roots: Arc<RootStore>) -> Self {
        Self {
            roots,
            mandatory: true,
        }
    }

    /// Clients may present a certificate; if they do, it must chain to `roots`.
    pub fn optional(roots: Arc<RootStore>) -> Self {
        Self {
            roots,
            mandatory: false,
        }
    }
}

impl ClientCertVerifier for ClientChainVerifier {
    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    fn verify_client_cert(
        &self,
        end_entity: &[u8],
        intermediates: &[&[u8]],
        now: SystemTime,
    ) -> Result<Option<VerifiedChain>, Error> {
        // RFC 5280 §4.2.1.12: a client certificate must allow id-kp-clientAuth; there is no
        // name to check (the server did not ask for one).
        padlock_cert::verify_chain_report(
            end_entity,
            intermediates,
            &self.roots,
            None,
            &ChainVerifier::options(now, Usage::ClientAuth, &[]),
        )
        .map(Some)
        .map_err(Error::Certificate)
    }

    fn verify_signature_after_chain(
        &self,
        verified: Option<&VerifiedChain>,
        end_entity: &[u8],
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        verify_with_chain(verified, end_entity, scheme, message, signature)
    }
}
