//! How a peer's certificate is judged: the verifier traits the handshake calls, and the
//! default implementations over `padlock-cert`.
//!
//! The handshake asks two questions (RFC 8446 §4.4.2, §4.4.3): does the chain lead to a
//! trusted root and name the peer we wanted; and did the peer sign the transcript with the
//! certificate's key.

use std::sync::Arc;
use std::time::SystemTime;

use padlock_cert::{PeerName, RootStore, UnixTime, Usage, VerifyOptions};
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
    /// Checks the chain (leaf first, as sent) up to a trusted root, and that it names `server_name`.
    fn verify_server_cert(
        &self,
        end_entity: &[u8],
        intermediates: &[&[u8]],
        server_name: &ServerName<'_>,
        now: SystemTime,
    ) -> Result<(), Error>;

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

    /// The schemes to offer in signature_algorithms.
    fn supported_schemes(&self) -> &[SignatureScheme] {
        SUPPORTED_SCHEMES
    }
}

/// Judges a client's certificate chain on behalf of a server (mTLS).
pub trait ClientCertVerifier: Send + Sync {
    /// Whether a client without a certificate is refused (`certificate_required`).
    fn client_auth_mandatory(&self) -> bool;

    /// Checks the client's chain up to a trusted root for the clientAuth usage.
    fn verify_client_cert(
        &self,
        end_entity: &[u8],
        intermediates: &[&[u8]],
        now: SystemTime,
    ) -> Result<(), Error>;

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

    /// The schemes to offer in CertificateRequest.
    fn supported_schemes(&self) -> &[SignatureScheme] {
        SUPPORTED_SCHEMES
    }
}

/// The default verifier: path validation by `padlock-cert` up to a set of trusted roots.
#[derive(Clone)]
pub struct ChainVerifier {
    roots: Arc<RootStore>,
}

impl ChainVerifier {
    /// Trusts exactly the roots in `roots`.
    pub fn new(roots: Arc<RootStore>) -> Self {
        Self { roots }
    }

    fn options(now: SystemTime, usage: Usage) -> VerifyOptions {
        let since_epoch = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        VerifyOptions {
            time: UnixTime::since_unix_epoch(since_epoch),
            usage,
            ..VerifyOptions::default()
        }
    }
}

impl std::fmt::Debug for ChainVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ChainVerifier({} roots)", self.roots.len())
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
    ) -> Result<(), Error> {
        let name = peer_name(server_name);
        padlock_cert::verify_chain(
            end_entity,
            intermediates,
            &self.roots,
            Some(&name),
            &Self::options(now, Usage::ServerAuth),
        )
        .map(|_| ())
        .map_err(Error::Certificate)
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
    ) -> Result<(), Error> {
        padlock_cert::verify_chain(
            end_entity,
            intermediates,
            &self.roots,
            None,
            &ChainVerifier::options(now, Usage::ClientAuth),
        )
        .map(|_| ())
        .map_err(Error::Certificate)
    }
}
