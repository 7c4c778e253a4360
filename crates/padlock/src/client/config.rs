//! What a client offers and whom it trusts.

use std::sync::Arc;

use padlock_cert::RootStore;

use crate::crypto::{CipherSuite, Group, ALL_CIPHER_SUITES, ALL_GROUPS};
use crate::error::Error;
use crate::keylog::KeyLog;
use crate::resumption::{MemorySessionStore, SessionStore};
use crate::server::CertifiedKey;
use crate::verify::{ChainVerifier, ServerCertVerifier};

/// A client's settings, shared by all its connections (`Arc<ClientConfig>`).
#[derive(Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Cipher suites to offer, most preferred first.
    pub cipher_suites: Vec<&'static CipherSuite>,
    /// Key-exchange groups to offer in supported_groups, most preferred first.
    pub groups: Vec<&'static Group>,
    /// Groups to send a key share for in the first ClientHello (RFC 8446 §4.2.8). A server
    /// that wants another of `groups` answers with HelloRetryRequest, costing a round trip.
    pub key_share_groups: Vec<&'static Group>,
    /// ALPN protocols to offer, most preferred first (RFC 7301).
    pub alpn_protocols: Vec<Vec<u8>>,
    /// Judges the server's certificate chain and CertificateVerify.
    pub verifier: Arc<dyn ServerCertVerifier>,
    /// Where to log traffic secrets (SSLKEYLOGFILE), if anywhere.
    pub key_log: Option<Arc<dyn KeyLog>>,
    /// Send server_name (SNI) for DNS names (never for IP addresses, RFC 6066 §3).
    pub enable_sni: bool,
    /// Middlebox compatibility mode (RFC 8446 §D.4): a fake session id and change_cipher_spec.
    pub middlebox_compat: bool,
    /// Emit [`crate::Event::Trace`] for every handshake message.
    pub trace: bool,
    /// Where tickets are kept for resumption; `None` disables resumption.
    pub session_store: Option<Arc<dyn SessionStore>>,
    /// Offer 0-RTT when a ticket allows it; data then goes in with
    /// [`crate::Connection::write_early_data`].
    pub enable_early_data: bool,
    /// When the server refuses our 0-RTT data: resend it as ordinary data right after the
    /// handshake (`true`), or only report [`crate::Event::EarlyDataRejected`] (`false`).
    pub resend_rejected_early_data: bool,
    /// Our certificate and key, for servers that ask for one (mTLS).
    pub client_auth: Option<Arc<CertifiedKey>>,
    /// Ask the server to staple an OCSP response to its certificate (status_request,
    /// RFC 6066 §8, RFC 8446 §4.4.2.1); the response lands, unverified, in
    /// [`crate::HandshakeInfo::ocsp_response`] (`padlock_cert::ocsp` decodes and checks it).
    pub request_ocsp: bool,
}

impl ClientConfig {
    /// A client that trusts the roots in `roots`, with padlock's default suites and groups.
    /// The default trust store is [`RootStore::mozilla()`]; [`crate::verify`] lists the
    /// others (the OS store, PEM files, combinations) and pinning.
    pub fn new(roots: RootStore) -> Self {
        Self::with_verifier(Arc::new(ChainVerifier::new(Arc::new(roots))))
    }

    /// A client that judges certificates with `verifier`.
    pub fn with_verifier(verifier: Arc<dyn ServerCertVerifier>) -> Self {
        let groups: Vec<&'static Group> = ALL_GROUPS.to_vec();
        Self {
            cipher_suites: ALL_CIPHER_SUITES.to_vec(),
            key_share_groups: default_key_shares(&groups),
            groups,
            alpn_protocols: Vec::new(),
            verifier,
            key_log: None,
            enable_sni: true,
            middlebox_compat: true,
            trace: false,
            session_store: Some(Arc::new(MemorySessionStore::default())),
            enable_early_data: false,
            resend_rejected_early_data: false,
            client_auth: None,
            request_ocsp: false,
        }
    }

    /// Offers exactly `groups`, in this order, sending shares for the default subset.
    pub fn set_groups(&mut self, groups: Vec<&'static Group>) {
        self.key_share_groups = default_key_shares(&groups);
        self.groups = groups;
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.cipher_suites.is_empty() {
            return Err(Error::Config("no cipher suites enabled".into()));
        }
        if self.groups.is_empty() {
            return Err(Error::Config("no key-exchange groups enabled".into()));
        }
        if self.key_share_groups.is_empty()
            || self
                .key_share_groups
                .iter()
                .any(|g| !self.groups.iter().any(|h| h.id == g.id))
        {
            return Err(Error::Config(
                "key shares must be for a non-empty subset of the offered groups".into(),
            ));
        }
        if self
            .alpn_protocols
            .iter()
            .any(|p| p.is_empty() || p.len() > 255)
        {
            return Err(Error::Config(
                "ALPN protocol names must be 1 to 255 bytes".into(),
            ));
        }
        Ok(())
    }
}

/// A share for the first group; when that is a post-quantum hybrid, also one for the first
/// classical group, so that servers without ML-KEM need no HelloRetryRequest (what browsers do).
fn default_key_shares(groups: &[&'static Group]) -> Vec<&'static Group> {
    let mut shares: Vec<&'static Group> = groups.iter().take(1).copied().collect();
    if shares.first().is_some_and(|g| g.is_post_quantum()) {
        if let Some(classical) = groups.iter().find(|g| !g.is_post_quantum()) {
            shares.push(classical);
        }
    }
    shares
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field(
                "cipher_suites",
                &self
                    .cipher_suites
                    .iter()
                    .map(|s| s.name)
                    .collect::<Vec<_>>(),
            )
            .field(
                "groups",
                &self.groups.iter().map(|g| g.name).collect::<Vec<_>>(),
            )
            .field("alpn_protocols", &self.alpn_protocols)
            .finish_non_exhaustive()
    }
}
