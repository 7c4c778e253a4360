#![forbid(unsafe_code)]
//! Certificate path validation for padlock: RFC 5280 §6 path building over trust
//! anchors, RFC 9525 name checks, TLS 1.3 CertificateVerify signatures (RFC 8446 §4.4.3),
//! and errors that say what is wrong and how to fix it.
//!
//! ```no_run
//! use padlock_cert::{verify_chain, PeerName, RootStore, VerifyOptions};
//! # fn f(leaf: &[u8], intermediates: &[&[u8]]) -> Result<(), padlock_cert::CertError> {
//! let roots = RootStore::mozilla();
//! let name = PeerName::parse("example.com")?;
//! let chain = verify_chain(leaf, intermediates, &roots, Some(&name), &VerifyOptions::default())?;
//! println!("trusted via {}", chain.anchor_subject);
//! # Ok(()) }
//! ```

mod build;
mod cert;
mod crl;
mod dn;
mod error;
mod fields;
pub mod limbo;
mod name;
mod nc;
pub mod ocsp;
mod pin;
mod policy;
mod profile;
mod san;
mod sig;
mod store;
mod verify;

#[cfg(test)]
mod tests;

pub use crl::Crls;
pub use error::{CertError, Constraint};
pub use name::PeerName;
pub use pin::SpkiPin;
pub use policy::ValidationLevel;
pub use rustls_pki_types::UnixTime;
pub use san::dns_names;
pub use sig::verify_tls13_signature;
pub use store::{AnchorPolicy, RootStore};
pub use verify::{
    verify_chain, verify_chain_report, Rejection, Usage, VerifiedChain, VerifyOptions,
};
