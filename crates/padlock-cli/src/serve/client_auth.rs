//! Client certificates (`--client-ca`, `--crl`): a [`ChainVerifier`] rebuilt when the CRL
//! files change. A CA publishes each CRL with a nextUpdate, commonly a week ahead, and a
//! new one before then; padlock refuses a stale CRL rather than trust it (RFC 5280 §6.3.3),
//! so a server that kept the CRLs it started with would refuse every client a week later.
//! Reloads happen with the certificates' (see [`super::reload::Watcher`]); a CRL file that
//! fails to load leaves the CRLs in force as they were.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::SystemTime;

use padlock::msgs::SignatureScheme;
use padlock::padlock_cert::{RootStore, VerifiedChain};
use padlock::{ChainVerifier, ClientCertVerifier, Error};

use super::notice::Notices;
use super::reload::file_stamp;
use crate::certs;

/// The server's client-certificate verifier, with CRLs that can be replaced while
/// handshakes use it.
pub struct ClientAuth {
    roots: Arc<RootStore>,
    crl_files: Vec<PathBuf>,
    current: RwLock<Arc<ChainVerifier>>,
    /// What the CRL files held when last read.
    stamps: Mutex<Vec<Option<[u8; 32]>>>,
}

impl ClientAuth {
    /// Requires client certificates from the CAs in `client_ca`, not revoked by the CRLs in
    /// `crl_files`.
    pub fn load(client_ca: &[PathBuf], crl_files: Vec<PathBuf>) -> Result<Self, String> {
        let mut roots = RootStore::empty();
        for path in client_ca {
            certs::add_pem_file(&mut roots, path)?;
        }
        let roots = Arc::new(roots);
        let stamps = crl_files.iter().map(|p| file_stamp(p)).collect();
        let verifier = ChainVerifier::required(roots.clone()).with_crls(certs::crls(&crl_files)?);
        Ok(Self {
            roots,
            crl_files,
            current: RwLock::new(Arc::new(verifier)),
            stamps: Mutex::new(stamps),
        })
    }

    fn current(&self) -> Arc<ChainVerifier> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Re-reads the CRL files if one changed since the last look (or always, if `force`);
    /// logs the outcome. Blocking (it reads files).
    pub fn check(&self, force: bool, notices: Notices) {
        if self.crl_files.is_empty() {
            return;
        }
        let stamps: Vec<_> = self.crl_files.iter().map(|p| file_stamp(p)).collect();
        {
            let mut last = self.stamps.lock().unwrap_or_else(PoisonError::into_inner);
            if !force && *last == stamps {
                return;
            }
            // As for certificates: an unchanged broken file is not retried every poll.
            *last = stamps;
        }
        match certs::crls(&self.crl_files) {
            Ok(crls) => {
                let verifier = ChainVerifier::required(self.roots.clone()).with_crls(crls);
                *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(verifier);
                let n = self.crl_files.len();
                notices.say(
                    "reloaded",
                    format_args!("reloaded {n} CRL file(s)"),
                    || serde_json::json!({ "crl_files": n }),
                );
            }
            Err(e) => notices.say(
                "reload_failed",
                format_args!("reloading CRLs failed, still using the old ones: {e}"),
                || serde_json::json!({ "what": "crls", "error": e }),
            ),
        }
    }
}

impl ClientCertVerifier for ClientAuth {
    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn verify_client_cert(
        &self,
        end_entity: &[u8],
        intermediates: &[&[u8]],
        now: SystemTime,
    ) -> Result<Option<VerifiedChain>, Error> {
        self.current()
            .verify_client_cert(end_entity, intermediates, now)
    }

    /// The current verifier's own check, which keeps clients' keys parsed in its store.
    fn verify_signature_after_chain(
        &self,
        verified: Option<&VerifiedChain>,
        end_entity: &[u8],
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        self.current()
            .verify_signature_after_chain(verified, end_entity, scheme, message, signature)
    }
}
