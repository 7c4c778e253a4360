//! Reading certificates for people: subjects, issuers, validity.

use x509_parser::prelude::{FromDer, X509Certificate};

/// The facts about one certificate that `connect` prints.
#[derive(Debug, Clone)]
pub struct Summary {
    pub subject: String,
    pub issuer: String,
    pub not_after: String,
}

impl Summary {
    pub fn of(der: &[u8]) -> Summary {
        match X509Certificate::from_der(der) {
            Ok((_, cert)) => Summary {
                subject: cert.subject().to_string(),
                issuer: cert.issuer().to_string(),
                not_after: cert.validity().not_after.to_string(),
            },
            Err(_) => Summary {
                subject: "(unparseable certificate)".into(),
                issuer: String::new(),
                not_after: String::new(),
            },
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "subject": self.subject,
            "issuer": self.issuer,
            "not_after": self.not_after,
        })
    }
}

/// Reads every PEM certificate in `path` into a root store.
/// The CRLs in the `--crl` files (PEM or DER), for a verifier's `with_crls`.
pub fn crls(paths: &[std::path::PathBuf]) -> Result<padlock::padlock_cert::Crls, String> {
    let mut crls = padlock::padlock_cert::Crls::empty();
    for path in paths {
        crls.add_file(path)
            .map_err(|e| format!("--crl: {e} Fix: {}", e.fix()))?;
    }
    Ok(crls)
}

pub fn add_pem_file(
    roots: &mut padlock::padlock_cert::RootStore,
    path: &std::path::Path,
) -> Result<(), String> {
    let n = roots
        .add_pem_file(path)
        .map_err(|e| format!("reading CA file {}: {e}", path.display()))?;
    if n == 0 {
        return Err(format!("no certificates found in {}", path.display()));
    }
    Ok(())
}
