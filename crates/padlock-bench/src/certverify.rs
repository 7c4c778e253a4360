//! `cert-verify`: the client's certificate chain validation alone, padlock-cert (through
//! `padlock::ChainVerifier`) against webpki (through rustls's `WebPkiServerVerifier`), on the
//! chain the handshake rows use: 3 certificates, the leaf and the intermediate presented, the
//! root as the only trust anchor. Both check two signatures (leaf by intermediate,
//! intermediate by root), validity at one time taken once before the loop, usage, and the
//! server name; the difference from the floor's two verifications is parsing and
//! path-building overhead. `padlock-bench cert-verify` runs these rows alone.

use std::hint::black_box;
use std::sync::Arc;
use std::time::SystemTime;

use crate::harness::{interleaved, Meter};
use crate::pki::{Identity, SERVER_NAME};
use crate::report::{Better, Figure, Row};
use crate::Settings;

pub fn padlock_verify(id: &Identity, n: u64) -> Meter {
    use padlock::ServerCertVerifier;
    let mut roots = padlock::padlock_cert::RootStore::empty();
    roots.add_der(&id.root).expect("root certificate");
    let verifier = padlock::ChainVerifier::new(Arc::new(roots));
    let name = padlock::pki_types::ServerName::try_from(SERVER_NAME).expect("server name");
    let (leaf, rest) = id.chain.split_first().expect("a chain");
    let intermediates: Vec<&[u8]> = rest.iter().map(|c| c.as_slice()).collect();
    let now = SystemTime::now();
    let mut m = Meter::default();
    for _ in 0..n {
        m.run(|| {
            verifier
                .verify_server_cert(leaf, &intermediates, &name, now)
                .expect("padlock accepts the chain");
        });
    }
    m
}

pub fn rustls_verify(id: &Identity, n: u64) -> Meter {
    use rustls::client::danger::ServerCertVerifier;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(id.root.clone()))
        .expect("root certificate");
    let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
        Arc::new(roots),
        Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
    )
    .build()
    .expect("webpki verifier");
    let name = ServerName::try_from(SERVER_NAME).expect("server name");
    let chain: Vec<CertificateDer<'static>> = id
        .chain
        .iter()
        .map(|c| CertificateDer::from(c.clone()))
        .collect();
    let (leaf, rest) = chain.split_first().expect("a chain");
    let now = UnixTime::now();
    let mut m = Meter::default();
    for _ in 0..n {
        m.run(|| {
            black_box(
                verifier
                    .verify_server_cert(leaf, rest, &name, &[], now)
                    .expect("webpki accepts the chain"),
            );
        });
    }
    m
}

pub fn run(settings: &Settings, ids: &[Identity]) -> Vec<Row> {
    let n = settings.handshake_rounds;
    let mut rows = Vec::new();
    for id in ids {
        padlock_verify(id, settings.handshake_warmup);
        rustls_verify(id, settings.handshake_warmup);
        let (p, r) = interleaved(
            n,
            settings.blocks,
            |k| padlock_verify(id, k),
            |k| rustls_verify(id, k),
            Meter::add,
        );
        rows.push(
            Row::new(
                "cert-verify",
                format!(
                    "client chain {} (3 certs: leaf + intermediate sent, root trusted)",
                    id.key_type.label()
                ),
                Figure::Value(n as f64 / p.secs()),
                Figure::Value(n as f64 / r.secs()),
                "chains/s",
                Better::Higher,
            )
            .with_note(format!(
                "padlock-cert vs webpki; allocations per chain: padlock {:.0}, rustls {:.0}",
                p.allocs as f64 / n as f64,
                r.allocs as f64 / n as f64
            )),
        );
    }
    rows
}
