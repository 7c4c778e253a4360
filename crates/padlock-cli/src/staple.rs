//! The OCSP response a server stapled (RFC 8446 §4.4.2.1), as `connect` and `probe` report
//! it: decoded and checked by `padlock_cert::ocsp` against the leaf and its issuer.

use padlock::padlock_cert::ocsp::{self, CertStatus, OcspError, Signature, StapleReport};
use padlock::HandshakeInfo;

use crate::certinfo;

/// A stapled response and what checking it found.
pub struct Staple {
    /// Its size in bytes.
    pub len: usize,
    /// The check, or why it could not be read.
    pub report: Result<StapleReport, OcspError>,
}

impl Staple {
    /// The staple in `info`, if the server sent one, checked at the current time.
    pub fn of(info: &HandshakeInfo) -> Option<Staple> {
        let der = info.ocsp_response.as_ref()?;
        let leaf = info.peer_certificates.first()?;
        // The issuer is the second certificate of the validated path, else of what was sent.
        let issuer = info
            .verified_chain
            .get(1)
            .or_else(|| info.peer_certificates.get(1));
        Some(Staple {
            len: der.len(),
            report: ocsp::check(der, leaf, issuer.map(Vec::as_slice), certinfo::now()),
        })
    }

    /// One line: status, signature, dates.
    pub fn describe(&self) -> String {
        let r = match &self.report {
            Ok(r) => r,
            Err(e) => return format!("unreadable ({e}, {} bytes)", self.len),
        };
        if r.response_status != ocsp::ResponseStatus::Successful {
            return format!("responder said {}: no status", r.response_status.name());
        }
        let status = match r.cert_status {
            None => return "no status for this certificate in the response".into(),
            Some(CertStatus::Revoked { time, .. }) => {
                format!("REVOKED since {}", certinfo::date_time(time))
            }
            Some(s) => s.name().to_string(),
        };
        let next = match r.next_update {
            Some(n) => format!("next update {}", certinfo::date_time(n)),
            None => "no next update".into(),
        };
        let stale = if r.current { "" } else { ", NOT CURRENT" };
        format!("{status}, {}; {next}{stale}", signature_words(&r.signature))
    }

    /// The JSON object `--json` carries.
    pub fn to_json(&self) -> serde_json::Value {
        let r = match &self.report {
            Ok(r) => r,
            Err(e) => return serde_json::json!({ "bytes": self.len, "error": e.to_string() }),
        };
        let (signature, signature_error) = match &r.signature {
            Signature::ByIssuer => ("issuer", None),
            Signature::ByDelegatedResponder => ("delegated_responder", None),
            Signature::NotChecked => ("not_checked", None),
            Signature::Invalid(why) => ("invalid", Some(why.clone())),
        };
        let revoked_at = match r.cert_status {
            Some(CertStatus::Revoked { time, .. }) => Some(certinfo::date_time(time)),
            _ => None,
        };
        serde_json::json!({
            "bytes": self.len,
            "response_status": r.response_status.name(),
            "cert_status": r.cert_status.map(CertStatus::name),
            "revoked_at": revoked_at,
            "produced_at": certinfo::date_time(r.produced_at),
            "this_update": r.this_update.map(certinfo::date_time),
            "next_update": r.next_update.map(certinfo::date_time),
            "current": r.current,
            "signature": signature,
            "signature_error": signature_error,
            "good": r.is_good(),
        })
    }
}

fn signature_words(s: &Signature) -> String {
    match s {
        Signature::ByIssuer => "signed by the issuer".into(),
        Signature::ByDelegatedResponder => "signed by the issuer's OCSP responder".into(),
        Signature::NotChecked => "signature not checked (no issuer certificate)".into(),
        Signature::Invalid(why) => format!("BAD SIGNATURE: {why}"),
    }
}

/// `connect`'s and `probe`'s JSON value for a handshake: the staple, or null.
pub fn json(info: &HandshakeInfo) -> serde_json::Value {
    Staple::of(info).map_or(serde_json::Value::Null, |s| s.to_json())
}
