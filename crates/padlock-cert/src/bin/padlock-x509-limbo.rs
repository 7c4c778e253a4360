//! `padlock-x509-limbo LIMBO.json [RESULTS.json]`: runs the x509-limbo suite through
//! padlock-cert and writes the harness results JSON (to stdout without RESULTS.json);
//! a summary goes to stderr.

use std::process::ExitCode;

use padlock_cert::limbo::{run_suite, tally, Suite};

/// The suite file is a few MiB; refuse anything absurd (bounded memory).
const MAX_SUITE: u64 = 256 * 1024 * 1024;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(input) = args.first() else {
        eprintln!("usage: padlock-x509-limbo LIMBO.json [RESULTS.json]");
        return ExitCode::from(2);
    };
    match std::fs::metadata(input) {
        Ok(m) if m.len() <= MAX_SUITE => {}
        Ok(_) => {
            eprintln!("{input} is larger than {MAX_SUITE} bytes");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("cannot read {input}: {e}");
            return ExitCode::from(2);
        }
    }
    let suite: Suite = match std::fs::read(input)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot load {input}: {e}");
            return ExitCode::from(2);
        }
    };
    let results = run_suite(&suite);
    let t = tally(&suite, &results);
    let json = match serde_json::to_string_pretty(&results) {
        Ok(j) => j,
        Err(e) => {
            eprintln!("cannot serialize results: {e}");
            return ExitCode::FAILURE;
        }
    };
    match args.get(1) {
        Some(out) => {
            if let Err(e) = std::fs::write(out, json + "\n") {
                eprintln!("cannot write {out}: {e}");
                return ExitCode::FAILURE;
            }
        }
        None => println!("{json}"),
    }
    eprintln!(
        "{} cases: {} match expected, {} skipped, {} accepted that should fail, {} rejected that should pass",
        suite.testcases.len(),
        t.matched,
        t.skipped,
        t.accepted_should_fail.len(),
        t.rejected_should_pass.len()
    );
    for id in &t.accepted_should_fail {
        eprintln!("  accepted (should fail): {id}");
    }
    for id in &t.rejected_should_pass {
        eprintln!("  rejected (should pass): {id}");
    }
    ExitCode::SUCCESS
}
