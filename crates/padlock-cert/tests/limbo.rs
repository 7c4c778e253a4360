//! Runs the x509-limbo suite (shared/x509-limbo/limbo-native.json) and holds the floor:
//! the match count may only go up, and nothing that should fail is accepted unless the
//! case is pedantic and listed in README.md.

use std::path::PathBuf;

use padlock_cert::limbo::{is_pedantic, run_suite, tally, Suite};

/// Matches reached so far; raise it when padlock gets better (README.md has the table).
const FLOOR: usize = 196;

/// Pedantic cases padlock accepts on purpose (README.md explains each).
const ACCEPTED_PEDANTIC: &[&str] = &[
    "rfc5280::aki::cross-signed-root-missing-aki",
    "webpki::eku::ee-without-eku",
    "webpki::eku::root-has-eku",
];

fn suite_path() -> PathBuf {
    if let Some(p) = std::env::var_os("PADLOCK_LIMBO_JSON") {
        return PathBuf::from(p);
    }
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    // CI lays shared/ beside the clone; a git worktree sits one level deeper.
    for up in ["../../../shared", "../../../../shared"] {
        let p = crate_dir.join(up).join("x509-limbo/limbo-native.json");
        if p.exists() {
            return p;
        }
    }
    panic!("limbo-native.json not found: set PADLOCK_LIMBO_JSON or lay shared/ beside the clone");
}

#[test]
fn limbo_floor() {
    let path = suite_path();
    let bytes = std::fs::read(&path).unwrap();
    let suite: Suite = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(suite.testcases.len(), 208);
    let results = run_suite(&suite);
    let t = tally(&suite, &results);
    eprintln!(
        "x509-limbo: {} match, {} skipped, accepted-should-fail {:?}, rejected-should-pass {:?}",
        t.matched, t.skipped, t.accepted_should_fail, t.rejected_should_pass
    );
    assert!(
        t.matched >= FLOOR,
        "{} matches, floor is {FLOOR}",
        t.matched
    );
    for id in &t.accepted_should_fail {
        let case = suite.testcases.iter().find(|c| &c.id == id).unwrap();
        assert!(
            is_pedantic(case) && ACCEPTED_PEDANTIC.contains(&id.as_str()),
            "{id} should fail but was accepted"
        );
    }
    // Every failure comes with a sentence.
    for r in &results.results {
        if r.actual_result == "FAILURE" {
            let c = r.context.as_deref().unwrap_or("");
            assert!(c.ends_with('.') && !c.is_empty(), "{}: {c:?}", r.id);
        }
    }
}

/// The suite's `online::` chains (real sites) validate against the Mozilla set from
/// webpki-roots too, whose anchors are names and keys without certificates.
#[test]
fn online_chains_against_mozilla_roots() {
    use padlock_cert::{verify_chain, PeerName, RootStore, UnixTime, VerifyOptions};
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;

    let suite: Suite = serde_json::from_slice(&std::fs::read(suite_path()).unwrap()).unwrap();
    let roots = RootStore::mozilla();
    let mut checked = 0;
    for case in suite
        .testcases
        .iter()
        .filter(|c| c.id.starts_with("online::"))
    {
        let der = |pem: &str| {
            CertificateDer::from_pem_slice(pem.as_bytes())
                .unwrap()
                .as_ref()
                .to_vec()
        };
        let leaf = der(&case.peer_certificate);
        let inters: Vec<Vec<u8>> = case
            .untrusted_intermediates
            .iter()
            .map(|p| der(p))
            .collect();
        let refs: Vec<&[u8]> = inters.iter().map(Vec::as_slice).collect();
        let t = time::OffsetDateTime::parse(
            case.validation_time.as_deref().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        let opts = VerifyOptions {
            time: UnixTime::since_unix_epoch(std::time::Duration::from_secs(
                t.unix_timestamp() as u64
            )),
            ..VerifyOptions::default()
        };
        let name = PeerName::parse(&case.expected_peer_name.as_ref().unwrap().value).unwrap();
        match verify_chain(&leaf, &refs, &roots, Some(&name), &opts) {
            Ok(chain) => {
                checked += 1;
                assert!(!chain.anchor_subject.is_empty());
                // Public sites' certificates carry a CA/Browser Forum policy that their
                // CAs pass on.
                assert_ne!(
                    chain.level,
                    padlock_cert::ValidationLevel::Unknown,
                    "{}",
                    case.id
                );
                eprintln!("{}: {}", case.id, chain.level);
            }
            // A root that left the Mozilla program since the capture is the only excuse.
            Err(e) => assert!(
                matches!(e, padlock_cert::CertError::UnknownIssuer { .. }),
                "{}: {e}",
                case.id
            ),
        }
    }
    eprintln!("{checked} online chains validated against webpki-roots");
    assert!(
        checked >= 10,
        "only {checked} online chains validated against webpki-roots"
    );
}
