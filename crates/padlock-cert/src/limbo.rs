//! The x509-limbo harness: runs the suite's cases through [`verify_chain`] and writes
//! the harness results JSON (`{"version": 1, "harness", "results": [{id, actual_result,
//! context}]}`), with the error sentence as `context`.

use std::time::Duration;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, UnixTime};
use serde::{Deserialize, Serialize};

use crate::{verify_chain, PeerName, RootStore, Usage, VerifyOptions};

/// The harness name written into the results.
pub const HARNESS: &str = "padlock-cert";

/// The suite file.
#[derive(Debug, Deserialize)]
pub struct Suite {
    /// Format version (1).
    pub version: u32,
    /// The cases.
    pub testcases: Vec<Case>,
}

/// A peer name as the suite spells it.
#[derive(Debug, Deserialize)]
pub struct LimboName {
    /// `DNS`, `IP` or `RFC822`.
    pub kind: String,
    /// The name.
    pub value: String,
}

/// One test case (fields this harness reads).
#[derive(Debug, Deserialize)]
pub struct Case {
    /// Unique id, e.g. `rfc5280::validity::expired-leaf`.
    pub id: String,
    /// Feature tags, e.g. `has-crl`, `pedantic-serial-number`.
    #[serde(default)]
    pub features: Option<Vec<String>>,
    /// `SERVER` or `CLIENT`.
    pub validation_kind: String,
    /// PEM trust anchors.
    pub trusted_certs: Vec<String>,
    /// PEM intermediates, any order.
    pub untrusted_intermediates: Vec<String>,
    /// PEM end entity.
    pub peer_certificate: String,
    /// RFC 3339, or null for now.
    pub validation_time: Option<String>,
    /// Required leaf key usages, e.g. `digitalSignature`.
    #[serde(default)]
    pub key_usage: Option<Vec<String>>,
    /// Required leaf extended key usages.
    #[serde(default)]
    pub extended_key_usage: Option<Vec<String>>,
    /// The name to check, for SERVER.
    pub expected_peer_name: Option<LimboName>,
    /// Maximum intermediates.
    pub max_chain_depth: Option<usize>,
    /// PEM CRLs.
    #[serde(default)]
    pub crls: Vec<String>,
    /// `SUCCESS` or `FAILURE`.
    pub expected_result: String,
}

/// One line of the results file.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    /// The case id.
    pub id: String,
    /// `SUCCESS`, `FAILURE` or `SKIPPED`.
    pub actual_result: String,
    /// Why it failed or was skipped, in words.
    pub context: Option<String>,
}

/// The results file.
#[derive(Debug, Serialize)]
pub struct Results {
    /// Format version (1).
    pub version: u32,
    /// [`HARNESS`].
    pub harness: String,
    /// One per case.
    pub results: Vec<CaseResult>,
}

/// Counts against the expected results.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    /// Actual equals expected.
    pub matched: usize,
    /// Skipped cases.
    pub skipped: usize,
    /// Expected FAILURE, got SUCCESS.
    pub accepted_should_fail: Vec<String>,
    /// Expected SUCCESS, got FAILURE.
    pub rejected_should_pass: Vec<String>,
}

fn pem_certs(pem: &str) -> Result<Vec<Vec<u8>>, String> {
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .map(|r| r.map(|d| d.as_ref().to_vec()).map_err(|e| e.to_string()))
        .collect()
}

fn skip(case: &Case, why: &str) -> CaseResult {
    CaseResult {
        id: case.id.clone(),
        actual_result: "SKIPPED".into(),
        context: Some(why.into()),
    }
}

/// Runs one case.
pub fn run_case(case: &Case) -> CaseResult {
    let usage = match case.validation_kind.as_str() {
        "SERVER" => Usage::ServerAuth,
        "CLIENT" => Usage::ClientAuth,
        other => return skip(case, &format!("unknown validation kind {other}")),
    };
    for eku in case.extended_key_usage.iter().flatten() {
        let fits = matches!(
            (eku.as_str(), usage),
            ("serverAuth", Usage::ServerAuth) | ("clientAuth", Usage::ClientAuth)
        );
        if !fits {
            return skip(
                case,
                &format!("extended key usage {eku} is not a TLS usage"),
            );
        }
    }
    let time = match &case.validation_time {
        None => UnixTime::now(),
        Some(t) => {
            match time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339) {
                Ok(t) => UnixTime::since_unix_epoch(Duration::from_secs(
                    u64::try_from(t.unix_timestamp()).unwrap_or(0),
                )),
                Err(e) => return skip(case, &format!("bad validation time: {e}")),
            }
        }
    };
    let mut roots = RootStore::empty();
    for pem in &case.trusted_certs {
        match pem_certs(pem) {
            Ok(ders) => {
                for der in ders {
                    // A trust anchor that does not parse cannot anchor anything.
                    let _ = roots.add_der(&der);
                }
            }
            Err(e) => return skip(case, &format!("bad PEM: {e}")),
        }
    }
    let mut inters = Vec::new();
    for pem in &case.untrusted_intermediates {
        match pem_certs(pem) {
            Ok(ders) => inters.extend(ders),
            Err(e) => return skip(case, &format!("bad PEM: {e}")),
        }
    }
    let leaf = match pem_certs(&case.peer_certificate) {
        Ok(mut v) if !v.is_empty() => v.remove(0),
        _ => return skip(case, "no peer certificate"),
    };
    let mut crls = Vec::new();
    for pem in &case.crls {
        match CertificateRevocationListDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(v) => crls.extend(v.into_iter().map(|d| d.as_ref().to_vec())),
            Err(e) => return skip(case, &format!("bad CRL PEM: {e}")),
        }
    }
    let name = match (&case.expected_peer_name, usage) {
        (Some(n), Usage::ServerAuth) if n.kind == "DNS" || n.kind == "IP" => {
            match PeerName::parse(&n.value) {
                Ok(p) => match (&p, n.kind.as_str()) {
                    (PeerName::Ip(_), "IP") | (PeerName::Dns(_), "DNS") => Some(p),
                    _ => {
                        return CaseResult {
                            id: case.id.clone(),
                            actual_result: "FAILURE".into(),
                            context: Some(format!("{} is not a valid {} name.", n.value, n.kind)),
                        }
                    }
                },
                Err(e) => {
                    return CaseResult {
                        id: case.id.clone(),
                        actual_result: "FAILURE".into(),
                        context: Some(e.to_string()),
                    }
                }
            }
        }
        _ => None,
    };
    let opts = VerifyOptions {
        time,
        usage,
        max_depth: case
            .max_chain_depth
            .unwrap_or(VerifyOptions::default().max_depth),
        crls: crls.into(),
        require_digital_signature: case
            .key_usage
            .iter()
            .flatten()
            .any(|k| k == "digitalSignature"),
        ..VerifyOptions::default()
    };
    let refs: Vec<&[u8]> = inters.iter().map(Vec::as_slice).collect();
    match verify_chain(&leaf, &refs, &roots, name.as_ref(), &opts) {
        Ok(_) => CaseResult {
            id: case.id.clone(),
            actual_result: "SUCCESS".into(),
            context: None,
        },
        Err(e) => CaseResult {
            id: case.id.clone(),
            actual_result: "FAILURE".into(),
            context: Some(e.to_string()),
        },
    }
}

/// Runs every case of a suite.
pub fn run_suite(suite: &Suite) -> Results {
    Results {
        version: 1,
        harness: HARNESS.into(),
        results: suite.testcases.iter().map(run_case).collect(),
    }
}

/// Compares results with the suite's expectations.
pub fn tally(suite: &Suite, results: &Results) -> Tally {
    let mut t = Tally::default();
    for (case, r) in suite.testcases.iter().zip(&results.results) {
        match (case.expected_result.as_str(), r.actual_result.as_str()) {
            (_, "SKIPPED") => t.skipped += 1,
            (e, a) if e == a => t.matched += 1,
            ("FAILURE", _) => t.accepted_should_fail.push(case.id.clone()),
            _ => t.rejected_should_pass.push(case.id.clone()),
        }
    }
    t
}

/// True when a case's features mark it as pedantic (a rule beyond what browsers enforce).
pub fn is_pedantic(case: &Case) -> bool {
    case.features
        .iter()
        .flatten()
        .any(|f| f.starts_with("pedantic-"))
}
