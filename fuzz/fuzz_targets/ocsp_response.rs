//! Stapled OCSP responses (RFC 6960 §4.2.1, carried per RFC 8446 §4.4.2.1): arbitrary bytes
//! as a CertificateEntry's extension block (the TLS framing, `CertificateEntry::ocsp_response`)
//! and as a DER OCSPResponse (`padlock_cert::ocsp::decode`, then `check` against a real leaf
//! and issuer, which reaches the CertID match and the signature check). Any panic is a bug:
//! a malformed staple must be a typed error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use padlock::msgs::CertificateEntry;
use padlock::padlock_cert::ocsp;

const CA: &[u8] = include_bytes!("../../crates/padlock-cert/src/testdata/ocsp-ca.der");
const LEAF: &[u8] = include_bytes!("../../crates/padlock-cert/src/testdata/ocsp-leaf.der");

fuzz_target!(|data: &[u8]| {
    let entry = CertificateEntry {
        cert_der: LEAF.to_vec(),
        extensions: data.to_vec(),
    };
    let _ = entry.ocsp_response();
    if let Ok(resp) = ocsp::decode(data) {
        // Whatever decodes is checked at its own production time, with and without the
        // issuer.
        let now = resp.produced_at;
        let _ = ocsp::check(data, LEAF, Some(CA), now);
        let _ = ocsp::check(data, LEAF, None, now);
    }
});
