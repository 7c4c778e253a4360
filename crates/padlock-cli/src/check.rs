//! `padlock check HOST[:PORT]...`: certificate expiry across many servers, for cron.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use padlock::padlock_cert::RootStore;
use padlock::ClientConfig;
use serde_json::json;

use crate::certinfo::{self, CertFacts};
use crate::observe::{self, Outcome, Problem, RecordingVerifier, Target};
use crate::parallel;
use crate::style::{self, Colour};

/// Host lists longer than this are refused (bounded memory and run time).
const MAX_HOSTS: usize = 10_000;

#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  padlock check example.com example.org:8443
  padlock check --file hosts.txt --warn-days 21
  padlock check internal.test:443 --ca company-root.pem --json

The file lists one HOST[:PORT] per line; blank lines and lines starting with # are skipped.
Exit status: 0 when every certificate is valid for more than --warn-days days, 1 when one
expires sooner or a check failed, 2 on bad arguments.")]
pub struct Args {
    // `help` rather than a doc comment: rustdoc would read [:PORT] as a link.
    #[arg(
        value_name = "HOST[:PORT]",
        help = "Servers, as HOST[:PORT] (port 443 by default)"
    )]
    hosts: Vec<String>,
    /// Also read servers from this file, one per line.
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
    /// Warn when a certificate expires within this many days.
    #[arg(long, default_value_t = 30, value_name = "N")]
    warn_days: i64,
    /// Trust the CA certificates in this PEM file instead of the Mozilla roots (repeatable).
    #[arg(long = "ca", value_name = "FILE.pem")]
    ca: Vec<PathBuf>,
    /// Servers checked at once.
    #[arg(long, default_value_t = 4, value_name = "N")]
    jobs: usize,
    /// Seconds to wait for each server.
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    timeout: u64,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

/// What one server's check found.
enum Status {
    Ok,
    ExpiresSoon,
    Error(Problem),
}

struct Row {
    target: String,
    /// The certificate of the presented chain that expires first, and its position.
    first_expiry: Option<(usize, CertFacts)>,
    status: Status,
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    let mut inputs = args.hosts.clone();
    if let Some(path) = &args.file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        inputs.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string),
        );
    }
    if inputs.is_empty() {
        eprintln!("padlock: give servers as arguments or with --file");
        return Ok(ExitCode::from(2));
    }
    if inputs.len() > MAX_HOSTS {
        return Err(format!("more than {MAX_HOSTS} servers; split the list"));
    }
    let mut targets = Vec::new();
    for i in &inputs {
        match Target::parse(i) {
            Ok(t) => targets.push(t),
            Err(e) => {
                eprintln!("padlock: {e}");
                return Ok(ExitCode::from(2));
            }
        }
    }
    let roots = observe::roots(&args.ca)?;
    let timeout = Duration::from_secs(args.timeout.max(1));
    let now = certinfo::now();
    let progress = std::io::stderr().is_terminal() && !args.json;
    let done = AtomicUsize::new(0);
    let rows = parallel::map(&targets, args.jobs, |t| {
        let row = check_one(t, &roots, timeout, now, args.warn_days);
        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
        if progress {
            // \r and clear-to-end-of-line: one status line that rewrites itself.
            eprint!("\r\x1b[Kchecked {n}/{} ({t})", targets.len());
            std::io::stderr().flush().ok();
        }
        row
    });
    if progress {
        eprint!("\r\x1b[K");
    }
    if args.json {
        print_json(&rows, now, args.warn_days);
    } else {
        print_table(&rows, now, args.warn_days);
    }
    let all_ok = rows.iter().all(|r| matches!(r.status, Status::Ok));
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn check_one(
    target: &Target,
    roots: &Arc<RootStore>,
    timeout: Duration,
    now: i64,
    warn_days: i64,
) -> Row {
    let row = |first_expiry, status| Row {
        target: target.to_string(),
        first_expiry,
        status,
    };
    let name = match target.server_name(None) {
        Ok(n) => n,
        Err(e) => return row(None, Status::Error(Problem::plain(e))),
    };
    let verifier = RecordingVerifier::new(roots.clone());
    let config = Arc::new(ClientConfig::with_verifier(verifier.clone()));
    let observed = match observe::handshake(target, name, config, &verifier, timeout, None, false) {
        Outcome::Done(o) => o,
        Outcome::Refused(alert) => {
            return row(
                None,
                Status::Error(Problem {
                    sentence: format!(
                        "The server refused the TLS 1.3 handshake with the alert {alert}."
                    ),
                    fix: Some(format!(
                    "Run `padlock probe {target}` to see which versions and algorithms it accepts."
                )),
                }),
            )
        }
        Outcome::Failed(why) => return row(None, Status::Error(Problem::plain(why))),
    };
    // An intermediate that expires before the leaf breaks the site just the same.
    let first_expiry = observed
        .info
        .peer_certificates
        .iter()
        .filter_map(|der| CertFacts::parse(der).ok())
        .enumerate()
        .min_by_key(|(_, c)| c.not_after);
    let status = match (&observed.cert_problem, &first_expiry) {
        (Some(p), _) => Status::Error(p.clone()),
        (None, Some((_, c))) if c.days_left(now) < warn_days => Status::ExpiresSoon,
        (None, Some(_)) => Status::Ok,
        (None, None) => Status::Error(Problem::plain("the server sent no readable certificate")),
    };
    row(first_expiry, status)
}

fn status_words(r: &Row, now: i64, warn_days: i64) -> String {
    match &r.status {
        Status::Ok => "ok".into(),
        Status::ExpiresSoon => {
            let (i, c) = match &r.first_expiry {
                Some((i, c)) => (*i, c),
                None => return "expires soon".into(),
            };
            let which = if i == 0 {
                String::new()
            } else {
                format!(" (certificate {} in the chain, {})", i + 1, c.subject)
            };
            format!(
                "expires soon: {}, within {warn_days} days{which}",
                certinfo::days_phrase(c.days_left(now))
            )
        }
        Status::Error(p) => p.sentence.clone(),
    }
}

fn print_table(rows: &[Row], now: i64, warn_days: i64) {
    let width = rows
        .iter()
        .map(|r| r.target.len())
        .max()
        .unwrap_or(4)
        .max(4);
    println!(
        "{:<width$}  {:>5}  {:<10}  STATUS",
        "HOST", "DAYS", "EXPIRES"
    );
    let colour = style::enabled();
    for r in rows {
        let (days, date) = match &r.first_expiry {
            Some((_, c)) => (c.days_left(now).to_string(), certinfo::date(c.not_after)),
            None => ("-".into(), "-".into()),
        };
        let tint = match r.status {
            Status::Ok => Colour::Green,
            Status::ExpiresSoon => Colour::Yellow,
            Status::Error(_) => Colour::Red,
        };
        println!(
            "{:<width$}  {days:>5}  {date:<10}  {}",
            r.target,
            style::paint(colour, tint, &status_words(r, now, warn_days))
        );
        if let Status::Error(Problem { fix: Some(fix), .. }) = &r.status {
            println!("{:<width$}  {:>5}  {:<10}  fix: {fix}", "", "", "");
        }
    }
}

fn print_json(rows: &[Row], now: i64, warn_days: i64) {
    let hosts: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            let (status, error, fix) = match &r.status {
                Status::Ok => ("ok", None, None),
                Status::ExpiresSoon => ("expires_soon", None, None),
                Status::Error(p) => ("error", Some(&p.sentence), p.fix.as_ref()),
            };
            json!({
                "host": r.target,
                "status": status,
                "days_left": r.first_expiry.as_ref().map(|(_, c)| c.days_left(now)),
                "not_after": r.first_expiry.as_ref().map(|(_, c)| certinfo::date_time(c.not_after)),
                "subject": r.first_expiry.as_ref().map(|(_, c)| &c.subject),
                "message": status_words(r, now, warn_days),
                "error": error,
                "fix": fix,
            })
        })
        .collect();
    let out = json!({
        "warn_days": warn_days,
        "ok": rows.iter().all(|r| matches!(r.status, Status::Ok)),
        "hosts": hosts,
    });
    println!("{out}");
}
