//! Certificates chosen by SNI, reloaded when their files change (and the client
//! certificates' CRLs with them, see [`super::client_auth`]).
//!
//! Handshakes read the current [`SniResolver`] behind a lock held only to clone an `Arc`;
//! a reload builds a whole new one and swaps it in, so a handshake sees either the old set
//! or the new one, never a mix. A chain and key that fail to load, or do not belong together
//! (say the certificate was written and the key not yet), leave the current set serving.

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use aws_lc_rs::digest;
use padlock::{CertifiedKey, ResolvesServerCert, SniResolver};
use tokio::signal::unix::Signal;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::client_auth::ClientAuth;
use super::notice::Notices;

/// SHA-256 of a certificate file, its key file and its OCSP response file, `None` for one
/// that cannot be read (or is not given).
type Stamp = [Option<[u8; 32]>; 3];

/// A `--cert` file and its `--key`.
#[derive(Debug, Clone)]
pub struct CertPair {
    cert: PathBuf,
    key: PathBuf,
    /// `--ocsp`: a DER OCSP response stapled to the leaf (RFC 8446 §4.4.2.1).
    ocsp: Option<PathBuf>,
}

impl CertPair {
    pub fn new(cert: PathBuf, key: PathBuf) -> Self {
        Self {
            cert,
            key,
            ocsp: None,
        }
    }

    pub fn with_ocsp(mut self, ocsp: Option<PathBuf>) -> Self {
        self.ocsp = ocsp;
        self
    }

    fn load(&self) -> Result<CertifiedKey, String> {
        let ck = CertifiedKey::from_pem_files(&self.cert, &self.key).map_err(|e| e.to_string())?;
        let leaf = ck.chain.first().map(|c| c.as_ref()).unwrap_or_default();
        let spki = X509Certificate::from_der(leaf)
            .map(|(_, cert)| cert.public_key().subject_public_key.data.to_vec())
            .map_err(|e| format!("reading {}: {e}", self.cert.display()))?;
        if spki != ck.key.public_key() {
            return Err(format!(
                "the key in {} does not belong to the first certificate in {}",
                self.key.display(),
                self.cert.display()
            ));
        }
        match &self.ocsp {
            Some(path) => {
                let der =
                    std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
                ck.with_ocsp_response(der)
                    .map_err(|e| format!("{}: {e}", path.display()))
            }
            None => Ok(ck),
        }
    }

    /// What tells us the files changed: a digest of their contents. Modification times can
    /// miss a rewrite within the file system's clock tick; a few kilobytes read every few
    /// seconds cost nothing.
    fn stamp(&self) -> Stamp {
        [Some(&self.cert), Some(&self.key), self.ocsp.as_ref()].map(|p| file_stamp(p?))
    }
}

/// SHA-256 of a file's contents, `None` if it cannot be read (see [`CertPair::stamp`]).
pub(super) fn file_stamp(path: &Path) -> Option<[u8; 32]> {
    let bytes = std::fs::read(path).ok()?;
    let d = digest::digest(&digest::SHA256, &bytes);
    d.as_ref().try_into().ok()
}

fn load_all(pairs: &[CertPair]) -> Result<SniResolver, String> {
    let mut resolver = SniResolver::new();
    for pair in pairs {
        resolver.add(Arc::new(pair.load()?));
    }
    Ok(resolver)
}

/// The server's certificate resolver: an [`SniResolver`] that can be replaced while
/// handshakes use it.
pub struct ReloadingResolver {
    current: RwLock<Arc<SniResolver>>,
}

impl ReloadingResolver {
    /// Loads every pair, or says which one failed.
    pub fn load(pairs: &[CertPair]) -> Result<Self, String> {
        Ok(Self {
            current: RwLock::new(Arc::new(load_all(pairs)?)),
        })
    }

    fn current(&self) -> Arc<SniResolver> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn replace(&self, resolver: SniResolver) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(resolver);
    }
}

impl ResolvesServerCert for ReloadingResolver {
    fn resolve(&self, server_name: Option<&str>) -> Option<Arc<CertifiedKey>> {
        self.current().resolve(server_name)
    }
}

/// Watches the certificate files and reloads them into the resolver.
pub struct Watcher {
    pairs: Vec<CertPair>,
    resolver: Arc<ReloadingResolver>,
    stamps: Vec<Stamp>,
    /// The client-certificate verifier, whose CRLs are reloaded alike.
    client_auth: Option<Arc<ClientAuth>>,
    notices: Notices,
}

impl Watcher {
    /// Starts from the files as they are now (what the resolver was loaded from).
    pub fn new(pairs: Vec<CertPair>, resolver: Arc<ReloadingResolver>, notices: Notices) -> Self {
        let stamps = pairs.iter().map(CertPair::stamp).collect();
        Self {
            pairs,
            resolver,
            stamps,
            client_auth: None,
            notices,
        }
    }

    /// Also reloads `client_auth`'s CRL files when they change.
    pub fn with_client_auth(mut self, client_auth: Option<Arc<ClientAuth>>) -> Self {
        self.client_auth = client_auth;
        self
    }

    /// Reloads if any file changed since the last look (or always, if `force`); logs the
    /// outcome. Blocking (it reads files).
    fn check(&mut self, force: bool) {
        if let Some(client_auth) = &self.client_auth {
            client_auth.check(force, self.notices);
        }
        let stamps: Vec<_> = self.pairs.iter().map(CertPair::stamp).collect();
        if !force && stamps == self.stamps {
            return;
        }
        // Remembered even if loading fails: the next change (the key written after the
        // certificate) tries again, an unchanged broken file is not retried every poll.
        self.stamps = stamps;
        match load_all(&self.pairs) {
            Ok(resolver) => {
                self.resolver.replace(resolver);
                let n = self.pairs.len();
                self.notices.say(
                    "reloaded",
                    format_args!("reloaded {n} certificate chain(s)"),
                    || serde_json::json!({ "certificate_chains": n }),
                );
            }
            Err(e) => self.notices.say(
                "reload_failed",
                format_args!("reloading certificates failed, still serving the old ones: {e}"),
                || serde_json::json!({ "what": "certificates", "error": e }),
            ),
        }
    }

    /// Checks every `interval` (never, if it is zero) and on each SIGHUP, forever.
    pub async fn run(mut self, interval: Duration, mut hangup: Signal) {
        let mut tick = (!interval.is_zero()).then(|| {
            let mut t = tokio::time::interval(interval);
            t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            t
        });
        loop {
            let force = tokio::select! {
                _ = async {
                    match tick.as_mut() {
                        Some(t) => { t.tick().await; }
                        None => std::future::pending::<()>().await,
                    }
                } => false,
                r = hangup.recv() => {
                    if r.is_none() {
                        return;
                    }
                    true
                }
            };
            self = match tokio::task::spawn_blocking(move || {
                self.check(force);
                self
            })
            .await
            {
                Ok(watcher) => watcher,
                Err(_) => return,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_pair(dir: &std::path::Path, name: &str) -> (CertPair, rcgen::KeyPair) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec![name.to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let pair = CertPair::new(dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&pair.cert, cert.pem()).unwrap();
        std::fs::write(&pair.key, key.serialize_pem()).unwrap();
        (pair, key)
    }

    fn served_names(resolver: &ReloadingResolver) -> Vec<String> {
        resolver.resolve(None).unwrap().dns_names()
    }

    #[test]
    fn changed_files_are_swapped_in_and_broken_ones_are_not() {
        let dir = std::env::temp_dir().join(format!("padlock-reload-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (pair, _) = write_pair(&dir, "one.test");
        let resolver = Arc::new(ReloadingResolver::load(std::slice::from_ref(&pair)).unwrap());
        let mut watcher = Watcher::new(vec![pair.clone()], resolver.clone(), Notices::default());
        assert_eq!(served_names(&resolver), ["one.test"]);

        // A certificate whose key is not there yet: the old pair keeps serving.
        let other = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["two.test".to_string()])
            .unwrap()
            .self_signed(&other)
            .unwrap();
        std::fs::write(&pair.cert, cert.pem()).unwrap();
        watcher.check(false);
        assert_eq!(served_names(&resolver), ["one.test"]);
        assert!(ReloadingResolver::load(std::slice::from_ref(&pair))
            .err()
            .unwrap()
            .contains("does not belong"));

        // Now the key: the new pair is served.
        std::fs::write(&pair.key, other.serialize_pem()).unwrap();
        watcher.check(false);
        assert_eq!(served_names(&resolver), ["two.test"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
