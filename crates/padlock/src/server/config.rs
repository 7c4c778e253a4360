//! What a server offers: certificates chosen by name (SNI), suites, groups, ALPN.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use crate::crypto::{CipherSuite, Group, SigningKey, ALL_CIPHER_SUITES, ALL_GROUPS};
use crate::error::Error;
use crate::keylog::KeyLog;
use crate::resumption::{ReplayGuard, TicketIssuer, Ticketer};
use crate::verify::ClientCertVerifier;
use std::time::Duration;

/// A certificate chain (leaf first) and the private key for its leaf.
pub struct CertifiedKey {
    /// DER certificates, leaf first, as they are sent.
    pub chain: Vec<CertificateDer<'static>>,
    /// The leaf's private key.
    pub key: SigningKey,
    /// A DER OCSPResponse (RFC 6960 §4.2.1) for the leaf, stapled to it for clients that
    /// send status_request (RFC 8446 §4.4.2.1). Sent as given: keeping it fresh (a
    /// response's nextUpdate) is the caller's job.
    pub ocsp_response: Option<Vec<u8>>,
}

impl CertifiedKey {
    /// Pairs a chain with its key.
    pub fn new(chain: Vec<CertificateDer<'static>>, key: SigningKey) -> Result<Self, Error> {
        if chain.is_empty() {
            return Err(Error::Config("the certificate chain is empty".into()));
        }
        Ok(Self {
            chain,
            key,
            ocsp_response: None,
        })
    }

    /// Staples `der` (a DER OCSPResponse for the leaf) for clients that ask. Only its
    /// outer form is checked here (a DER SEQUENCE of bounded size), not its content.
    pub fn with_ocsp_response(mut self, der: Vec<u8>) -> Result<Self, Error> {
        if der.first() != Some(&0x30) || der.len() > crate::msgs::MAX_OCSP_RESPONSE_LEN {
            return Err(Error::Config(format!(
                "the OCSP response is not a DER OCSPResponse of at most {} bytes",
                crate::msgs::MAX_OCSP_RESPONSE_LEN
            )));
        }
        self.ocsp_response = Some(der);
        Ok(self)
    }

    /// Loads a PEM chain (leaf first) and a PEM private key (PKCS#8, SEC1 or PKCS#1).
    pub fn from_pem(chain_pem: &[u8], key_pem: &[u8]) -> Result<Self, Error> {
        let chain = CertificateDer::pem_slice_iter(chain_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::Config(format!("reading the certificate chain: {e}")))?;
        let key = SigningKey::from_pem(key_pem)?;
        Self::new(chain, key)
    }

    /// Loads a PEM chain file and a PEM key file.
    pub fn from_pem_files(chain: impl AsRef<Path>, key: impl AsRef<Path>) -> Result<Self, Error> {
        let read = |p: &Path| {
            std::fs::read(p).map_err(|e| Error::Config(format!("reading {}: {e}", p.display())))
        };
        Self::from_pem(&read(chain.as_ref())?, &read(key.as_ref())?)
    }

    /// The DNS names in the leaf's subjectAltName (for choosing it by SNI).
    pub fn dns_names(&self) -> Vec<String> {
        self.chain
            .first()
            .map(|leaf| padlock_cert::dns_names(leaf.as_ref()))
            .unwrap_or_default()
    }
}

impl std::fmt::Debug for CertifiedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertifiedKey")
            .field("chain_len", &self.chain.len())
            .field("key", &self.key.describe())
            .field(
                "ocsp_response_len",
                &self.ocsp_response.as_ref().map(Vec::len),
            )
            .finish()
    }
}

/// Chooses the certificate for a ClientHello (RFC 8446 §4.4.2.2; SNI per RFC 6066 §3).
pub trait ResolvesServerCert: Send + Sync {
    /// `server_name` is the client's SNI, if it sent one.
    fn resolve(&self, server_name: Option<&str>) -> Option<Arc<CertifiedKey>>;
}

/// One certificate for every name.
#[derive(Debug, Clone)]
pub struct SingleCert(pub Arc<CertifiedKey>);

impl ResolvesServerCert for SingleCert {
    fn resolve(&self, _server_name: Option<&str>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// Certificates chosen by the client's server_name: exact names first, then `*.` wildcards
/// one label deep, then the default (the first added) for clients that sent no name or an
/// unknown one.
#[derive(Debug, Default, Clone)]
pub struct SniResolver {
    by_name: HashMap<String, Arc<CertifiedKey>>,
    default: Option<Arc<CertifiedKey>>,
}

impl SniResolver {
    /// An empty resolver.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `key` under every DNS name in its leaf's subjectAltName.
    pub fn add(&mut self, key: Arc<CertifiedKey>) {
        for name in key.dns_names() {
            self.by_name
                .entry(name.to_ascii_lowercase())
                .or_insert_with(|| key.clone());
        }
        if self.default.is_none() {
            self.default = Some(key);
        }
    }
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, server_name: Option<&str>) -> Option<Arc<CertifiedKey>> {
        if let Some(name) = server_name {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if let Some(k) = self.by_name.get(&name) {
                return Some(k.clone());
            }
            if let Some((_, parent)) = name.split_once('.') {
                if let Some(k) = self.by_name.get(&format!("*.{parent}")) {
                    return Some(k.clone());
                }
            }
        }
        self.default.clone()
    }
}

/// A server's settings, shared by all its connections (`Arc<ServerConfig>`).
#[derive(Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Cipher suites we accept, most preferred first (we choose by our order).
    pub cipher_suites: Vec<&'static CipherSuite>,
    /// Groups we accept, most preferred first.
    pub groups: Vec<&'static Group>,
    /// Chooses the certificate by SNI.
    pub cert_resolver: Arc<dyn ResolvesServerCert>,
    /// ALPN protocols we speak, most preferred first. Empty: ALPN is ignored.
    pub alpn_protocols: Vec<Vec<u8>>,
    /// Client certificate policy (mTLS); `None`: we never ask.
    pub client_verifier: Option<Arc<dyn ClientCertVerifier>>,
    /// Where to log traffic secrets (SSLKEYLOGFILE), if anywhere.
    pub key_log: Option<Arc<dyn KeyLog>>,
    /// Prefer a group the client already sent a share for over a better one that would need
    /// a HelloRetryRequest (saves a round trip; what OpenSSL does).
    pub prefer_existing_key_share: bool,
    /// Emit [`crate::Event::Trace`] for every handshake message.
    pub trace: bool,
    /// Makes and redeems resumption tickets; `None`: no tickets, no resumption.
    pub ticket_issuer: Option<Arc<dyn TicketIssuer>>,
    /// NewSessionTickets sent after each full handshake (RFC 8446 §4.6.1).
    pub send_tickets: usize,
    /// 0-RTT data accepted per connection; 0 disables early data (RFC 8446 §4.2.10).
    pub max_early_data_size: u32,
    /// Single-use and freshness checks that keep 0-RTT data from being replayed (§8).
    pub replay_guard: Arc<ReplayGuard>,
}

/// How often the default ticket key rotates; tickets stay valid for up to two periods.
pub const DEFAULT_TICKET_KEY_PERIOD: Duration = Duration::from_secs(6 * 3600);

impl ServerConfig {
    /// A server that presents certificates chosen by `resolver`.
    pub fn new(resolver: Arc<dyn ResolvesServerCert>) -> Result<Self, Error> {
        Ok(Self {
            cipher_suites: ALL_CIPHER_SUITES.to_vec(),
            groups: ALL_GROUPS.to_vec(),
            cert_resolver: resolver,
            alpn_protocols: Vec::new(),
            client_verifier: None,
            key_log: None,
            prefer_existing_key_share: true,
            trace: false,
            ticket_issuer: Some(Arc::new(Ticketer::new(DEFAULT_TICKET_KEY_PERIOD)?)),
            send_tickets: 2,
            max_early_data_size: 0,
            replay_guard: Arc::new(ReplayGuard::new(Duration::from_secs(10), 100_000)),
        })
    }

    /// A server with a single certificate chain.
    pub fn with_single_cert(key: CertifiedKey) -> Result<Self, Error> {
        Self::new(Arc::new(SingleCert(Arc::new(key))))
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.cipher_suites.is_empty() {
            return Err(Error::Config("no cipher suites enabled".into()));
        }
        if self.groups.is_empty() {
            return Err(Error::Config("no key-exchange groups enabled".into()));
        }
        Ok(())
    }
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
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
