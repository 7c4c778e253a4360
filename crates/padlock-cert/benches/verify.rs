//! Validating a 3-certificate chain (root -> intermediate -> leaf, ECDSA P-256), padlock
//! beside rustls-webpki in the same run. `cargo bench -p padlock-cert`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use padlock_cert::{verify_chain, PeerName, RootStore, VerifyOptions};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.use_authority_key_identifier_extension = true;
    p
}

fn time<F: FnMut()>(name: &str, iters: u32, mut f: F) -> Duration {
    for _ in 0..iters / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    let per = start.elapsed() / iters;
    println!("{name:>14}: {per:?} per chain");
    per
}

fn main() {
    let root_params = ca_params("Bench Root");
    let root_key = KeyPair::generate().unwrap();
    let root = root_params.self_signed(&root_key).unwrap();
    let root_issuer = Issuer::from_params(&root_params, &root_key);
    let inter_params = ca_params("Bench Intermediate");
    let inter_key = KeyPair::generate().unwrap();
    let inter = inter_params.signed_by(&inter_key, &root_issuer).unwrap();
    let inter_issuer = Issuer::from_params(&inter_params, &inter_key);
    let mut leaf_params = CertificateParams::new(vec!["bench.example".to_string()]).unwrap();
    leaf_params.use_authority_key_identifier_extension = true;
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &inter_issuer).unwrap();

    let mut store = RootStore::empty();
    store.add_der(root.der()).unwrap();
    let name = PeerName::parse("bench.example").unwrap();
    let opts = VerifyOptions::default();
    let inter_der: &[u8] = inter.der();
    verify_chain(leaf.der(), &[inter_der], &store, Some(&name), &opts).unwrap();

    let anchors = [webpki::anchor_from_trusted_cert(root.der())
        .unwrap()
        .to_owned()];
    let inters = [CertificateDer::from(inter.der().to_vec())];
    let leaf_der = CertificateDer::from(leaf.der().to_vec());
    let server = ServerName::try_from("bench.example").unwrap();
    let webpki_once = || {
        let ee = webpki::EndEntityCert::try_from(&leaf_der).unwrap();
        ee.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &anchors,
            &inters,
            UnixTime::now(),
            webpki::KeyUsage::server_auth(),
            None,
            None,
        )
        .unwrap();
        ee.verify_is_valid_for_subject_name(&server).unwrap();
    };
    webpki_once();

    if std::env::var_os("PADLOCK_BENCH_PARSE").is_some() {
        use x509_parser::prelude::FromDer;
        time("x509 parse x3", 20_000, || {
            for der in [leaf.der().as_ref(), inter_der, root.der().as_ref()] {
                black_box(x509_parser::certificate::X509Certificate::from_der(der).unwrap());
            }
        });
        return;
    }
    if std::env::var_os("PADLOCK_BENCH_ONLY").is_some() {
        time("padlock-cert", 20_000, || {
            black_box(verify_chain(leaf.der(), &[inter_der], &store, Some(&name), &opts).unwrap());
        });
        return;
    }
    // Interleaved rounds, best of each, so clock-frequency drift hits both alike.
    let iters = 500;
    let (mut p, mut w) = (Duration::MAX, Duration::MAX);
    for _ in 0..6 {
        p = p.min(time("padlock-cert", iters, || {
            black_box(verify_chain(leaf.der(), &[inter_der], &store, Some(&name), &opts).unwrap());
        }));
        w = w.min(time("rustls-webpki", iters, webpki_once));
    }
    println!(
        "best: padlock-cert {p:?}, rustls-webpki {w:?}, ratio {:.2}",
        p.as_secs_f64() / w.as_secs_f64()
    );
}
