//! `padlock probe HOST:PORT`: what a server accepts (protocol versions, TLS 1.3 suites and
//! groups, HelloRetryRequest, resumption, 0-RTT), its certificate, and what to change.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use padlock::crypto::{CipherSuite, Group, ALL_CIPHER_SUITES, ALL_GROUPS};
use padlock::msgs::ProtocolVersion;
use padlock::pki_types::ServerName;
use padlock::ClientConfig;
use padlock_cert::RootStore;
use serde_json::json;

use crate::certinfo::{self, CertFacts};
use crate::observe::{self, Observed, Outcome, Problem, RecordingVerifier, Target};
use crate::parallel;
use crate::probe_hello::{self, Answer, Reply, VERSIONS};
use crate::staple::{self, Staple};
use crate::style::{self, Colour};

#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  padlock probe example.com
  padlock probe localhost:8443 --ca ca.pem
  padlock probe 192.0.2.7:443 --servername www.example.com --json

Exit status: 0 when there is nothing to change, 1 when the verdict lists a change,
2 when the server could not be probed at all.")]
pub struct Args {
    // `help` rather than a doc comment: rustdoc would read [:PORT] as a link.
    #[arg(help = "The server, as HOST[:PORT] (port 443 by default; [v6addr]:PORT for IPv6)")]
    target: String,
    /// Trust the CA certificates in this PEM file instead of the Mozilla roots (repeatable).
    #[arg(long = "ca", value_name = "FILE.pem")]
    ca: Vec<PathBuf>,
    /// The name to send in SNI and to check the certificate against (default: HOST).
    #[arg(long)]
    servername: Option<String>,
    /// Seconds to wait for each connection and answer.
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    timeout: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// How much a finding matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Severity {
    /// Fix it: insecure, non-compliant, or broken for clients.
    Change,
    /// Worth doing.
    Consider,
    /// Worth knowing.
    Note,
}

impl Severity {
    fn label(self) -> &'static str {
        match self {
            Severity::Change => "change",
            Severity::Consider => "consider",
            Severity::Note => "note",
        }
    }
}

struct Finding {
    severity: Severity,
    text: String,
}

/// One TLS 1.3 handshake restricted to one suite or one group.
struct Trial {
    name: &'static str,
    result: Result<(), String>,
}

/// Everything `probe` learnt.
struct Report {
    target: Target,
    server_name: String,
    versions: Vec<(ProtocolVersion, Result<Answer, String>)>,
    /// The chain a TLS 1.2-or-older ServerHello was followed by.
    legacy_chain: Vec<Vec<u8>>,
    suites: Vec<Trial>,
    groups: Vec<Trial>,
    /// The answer to a TLS 1.3 ClientHello without key shares.
    empty_share: Option<Answer>,
    /// Offering a share for the server's least preferred supported group: (group, HRR sent).
    other_share: Option<(&'static str, Result<bool, String>)>,
    first: Option<Observed>,
    /// The chain (leaf first) from the TLS 1.3 handshake, else from a TLS 1.2-or-older
    /// answer, and what is wrong with it.
    certificate: Option<(Vec<Vec<u8>>, Option<Problem>)>,
    resumption: Option<Result<Observed, String>>,
}

/// 0-RTT data sent on the resumed connection: a request that is safe to replay (RFC 8446 §8).
fn early_request(host: &str) -> Vec<u8> {
    format!("HEAD / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").into_bytes()
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    let target = Target::parse(&args.target)?;
    let name = target.server_name(args.servername.as_deref())?;
    let roots = observe::roots(&args.ca)?;
    let timeout = Duration::from_secs(args.timeout.max(1));
    let report = probe(&target, name, roots, timeout);
    let findings = verdict(&report);
    let reachable = report
        .versions
        .iter()
        .any(|(_, a)| matches!(a, Ok(Answer::Hello { .. } | Answer::HelloRetry { .. })));
    if args.json {
        println!("{}", to_json(&report, &findings));
    } else {
        print_text(&report, &findings);
    }
    Ok(if !reachable {
        ExitCode::from(2)
    } else if findings.iter().any(|f| f.severity == Severity::Change) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn probe(
    target: &Target,
    name: ServerName<'static>,
    roots: Arc<RootStore>,
    timeout: Duration,
) -> Report {
    let server_name = name.to_str().into_owned();
    // SNI carries DNS names only (RFC 6066 §3).
    let sni = match &name {
        ServerName::DnsName(d) => Some(d.as_ref().to_string()),
        _ => None,
    };
    let mut asks: Vec<Option<ProtocolVersion>> = VERSIONS.iter().copied().map(Some).collect();
    // One more TLS 1.3 hello: the version one says whether 1.3 is there at all, and this
    // is the same question; keep them apart so a retry cannot be confused with a refusal.
    asks.push(None);
    let answers = parallel::map(&asks, 4, |v| {
        probe_hello::ask(
            target,
            v.unwrap_or(ProtocolVersion::TLS1_3),
            sni.as_deref(),
            timeout,
        )
    });
    let legacy_chain = answers
        .iter()
        .filter_map(|a| a.as_ref().ok())
        .map(|r| r.chain.clone())
        .find(|c| !c.is_empty())
        .unwrap_or_default();
    let answers: Vec<Result<Answer, String>> = answers
        .into_iter()
        .map(|a| a.map(|r: Reply| r.answer))
        .collect();
    let versions: Vec<(ProtocolVersion, Result<Answer, String>)> = VERSIONS
        .iter()
        .copied()
        .zip(answers.iter().cloned())
        .collect();
    let empty_share = answers.last().and_then(|a| a.clone().ok());

    let trial = |suites: Vec<&'static CipherSuite>, groups: Vec<&'static Group>| {
        let verifier = RecordingVerifier::new(roots.clone());
        let mut config = ClientConfig::with_verifier(verifier.clone());
        config.cipher_suites = suites;
        config.set_groups(groups);
        // As browsers do: ask for a stapled OCSP response (RFC 8446 §4.4.2.1).
        config.request_ocsp = true;
        observe::handshake(
            target,
            name.clone(),
            Arc::new(config),
            &verifier,
            timeout,
            None,
            false,
        )
    };
    // The first full handshake doubles as the source of the certificate chain.
    let first = match trial(ALL_CIPHER_SUITES.to_vec(), ALL_GROUPS.to_vec()) {
        Outcome::Done(o) => Some(*o),
        _ => None,
    };
    let tls13 = first.is_some()
        || versions
            .iter()
            .any(|(v, a)| *v == ProtocolVersion::TLS1_3 && is_accepted(*v, a));
    let mut report = Report {
        target: target.clone(),
        server_name,
        versions,
        legacy_chain,
        suites: Vec::new(),
        groups: Vec::new(),
        empty_share,
        other_share: None,
        certificate: None,
        first,
        resumption: None,
    };
    report.certificate = match &report.first {
        Some(o) => Some((o.info.peer_certificates.clone(), o.cert_problem.clone())),
        None if !report.legacy_chain.is_empty() => Some((
            report.legacy_chain.clone(),
            judge(&report.legacy_chain, &roots, &report.server_name),
        )),
        None => None,
    };
    if !tls13 {
        return report;
    }

    enum Job {
        Suite(&'static CipherSuite),
        Group(&'static Group),
    }
    let jobs: Vec<Job> = ALL_CIPHER_SUITES
        .iter()
        .map(|s| Job::Suite(s))
        .chain(ALL_GROUPS.iter().map(|g| Job::Group(g)))
        .collect();
    let results = parallel::map(&jobs, 4, |job| {
        let outcome = match job {
            Job::Suite(s) => trial(vec![s], ALL_GROUPS.to_vec()),
            Job::Group(g) => trial(ALL_CIPHER_SUITES.to_vec(), vec![g]),
        };
        match outcome {
            Outcome::Done(_) => Ok(()),
            Outcome::Refused(why) => Err(format!("refused ({why})")),
            Outcome::Failed(why) => Err(format!("failed: {why}")),
        }
    });
    for (job, result) in jobs.iter().zip(results) {
        match job {
            Job::Suite(s) => report.suites.push(Trial {
                name: s.name,
                result,
            }),
            Job::Group(g) => report.groups.push(Trial {
                name: g.name,
                result,
            }),
        }
    }

    // A share for the supported group the server likes least (in our order): a server that
    // insists on its own preference answers with a HelloRetryRequest.
    let supported: Vec<&'static Group> = ALL_GROUPS
        .iter()
        .copied()
        .filter(|g| {
            report
                .groups
                .iter()
                .any(|t| t.name == g.name && t.result.is_ok())
        })
        .collect();
    if let (true, Some(last)) = (supported.len() >= 2, supported.last().copied()) {
        let verifier = RecordingVerifier::new(roots.clone());
        let mut config = ClientConfig::with_verifier(verifier.clone());
        config.groups = supported.clone();
        config.key_share_groups = vec![last];
        let outcome = observe::handshake(
            target,
            name.clone(),
            Arc::new(config),
            &verifier,
            timeout,
            None,
            false,
        );
        report.other_share = Some((
            last.name,
            match outcome {
                Outcome::Done(o) => Ok(o.info.hello_retry),
                Outcome::Refused(why) => Err(format!("refused ({why})")),
                Outcome::Failed(why) => Err(why),
            },
        ));
    }

    // Resumption and 0-RTT: one config (so one session store) for two connections.
    let verifier = RecordingVerifier::new(roots);
    let mut config = ClientConfig::with_verifier(verifier.clone());
    config.enable_early_data = true;
    let config = Arc::new(config);
    let early = early_request(&report.server_name);
    report.resumption = Some(
        match observe::handshake(
            target,
            name.clone(),
            config.clone(),
            &verifier,
            timeout,
            None,
            true,
        ) {
            Outcome::Done(_) => {
                match observe::handshake(
                    target,
                    name,
                    config,
                    &verifier,
                    timeout,
                    Some(&early),
                    false,
                ) {
                    Outcome::Done(o) => Ok(*o),
                    Outcome::Refused(why) => Err(format!("second connection refused ({why})")),
                    Outcome::Failed(why) => Err(format!("second connection failed: {why}")),
                }
            }
            Outcome::Refused(why) => Err(format!("refused ({why})")),
            Outcome::Failed(why) => Err(why),
        },
    );
    report
}

/// Validates a chain seen outside a padlock handshake (TLS 1.2 and older send it in the
/// clear), for the serverAuth usage and `name`.
fn judge(chain: &[Vec<u8>], roots: &RootStore, name: &str) -> Option<Problem> {
    let (leaf, rest) = chain.split_first()?;
    let intermediates: Vec<&[u8]> = rest.iter().map(Vec::as_slice).collect();
    let result = padlock_cert::PeerName::parse(name).and_then(|peer| {
        padlock_cert::verify_chain(
            leaf,
            &intermediates,
            roots,
            Some(&peer),
            &padlock_cert::VerifyOptions::default(),
        )
    });
    result.err().map(|e| Problem::of_cert(&e))
}

/// The server agreed to exactly `v`.
fn is_accepted(v: ProtocolVersion, answer: &Result<Answer, String>) -> bool {
    matches!(answer, Ok(a) if a.version() == Some(v))
}

fn answer_words(v: ProtocolVersion, answer: &Result<Answer, String>) -> String {
    match answer {
        Ok(a) if a.version() == Some(v) => match a {
            Answer::Hello { suite, .. } => format!("yes ({suite:?})"),
            other => format!("yes ({})", other.describe()),
        },
        Ok(Answer::Hello { version, .. }) => format!("no (the server chose {version:?})"),
        Ok(other) => format!("no ({})", other.describe()),
        Err(e) => format!("unknown ({e})"),
    }
}

fn verdict(r: &Report) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut push = |severity, text: String| out.push(Finding { severity, text });
    let accepted = |v| r.versions.iter().any(|(w, a)| *w == v && is_accepted(v, a));
    let old: Vec<&str> = [ProtocolVersion::TLS1_0, ProtocolVersion::TLS1_1]
        .into_iter()
        .filter(|v| accepted(*v))
        .map(probe_hello::version_label)
        .collect();
    let tls13 = accepted(ProtocolVersion::TLS1_3) || r.first.is_some();
    if !r.versions.iter().any(|(v, a)| is_accepted(*v, a)) && r.first.is_none() {
        push(
            Severity::Change,
            "The server accepted none of TLS 1.0, 1.1, 1.2 and 1.3: check that this port speaks TLS.".into(),
        );
        return out;
    }
    match old.as_slice() {
        [] => {}
        [one] => push(
            Severity::Change,
            format!("TLS {one} is enabled: disable it (RFC 8996 deprecates it and browsers refuse it)."),
        ),
        _ => push(
            Severity::Change,
            format!(
                "TLS {} are enabled: disable them (RFC 8996 deprecates them and browsers refuse them).",
                old.join(" and ")
            ),
        ),
    }
    if !tls13 {
        push(
            Severity::Change,
            "TLS 1.3 is not enabled: enable it (a faster handshake, forward secrecy on every connection, no legacy ciphers).".into(),
        );
    } else if !accepted(ProtocolVersion::TLS1_2) {
        push(
            Severity::Note,
            "TLS 1.2 is off: clients without TLS 1.3 (roughly those from before 2018) cannot connect.".into(),
        );
    }
    if tls13 {
        let refused = |list: &[Trial], name: &str| {
            list.iter()
                .any(|t| t.name.eq_ignore_ascii_case(name) && t.result.is_err())
        };
        if refused(&r.suites, "TLS_AES_128_GCM_SHA256") {
            push(
                Severity::Change,
                "TLS_AES_128_GCM_SHA256 is refused: enable it, every TLS 1.3 server must (RFC 8446 §9.1).".into(),
            );
        }
        if refused(&r.groups, "secp256r1") {
            push(
                Severity::Change,
                "The secp256r1 group is refused: enable it, every TLS 1.3 server must (RFC 8446 §9.1).".into(),
            );
        }
        if refused(&r.groups, "X25519") {
            push(
                Severity::Consider,
                "The X25519 group is refused: enable it, most clients prefer it (RFC 8446 §9.1)."
                    .into(),
            );
        }
        if refused(&r.groups, "X25519MLKEM768") {
            push(
                Severity::Consider,
                "X25519MLKEM768 is refused: enable it to protect today's traffic against future quantum computers (browsers offer it first).".into(),
            );
        }
        match &r.empty_share {
            Some(Answer::HelloRetry { .. }) | None => {}
            Some(other) => push(
                Severity::Change,
                format!(
                    "A TLS 1.3 ClientHello without key shares got {} instead of a HelloRetryRequest (RFC 8446 §4.1.4): upgrade the TLS library.",
                    other.describe()
                ),
            ),
        }
        match &r.resumption {
            Some(Ok(o)) if !o.info.resumed => push(
                Severity::Consider,
                "Session resumption is off: enable session tickets so that returning clients skip the certificate exchange.".into(),
            ),
            Some(Ok(o)) if o.info.early_data_accepted => push(
                Severity::Note,
                "0-RTT early data is accepted: make sure the application acts only on requests that are safe to replay (RFC 8446 §8).".into(),
            ),
            _ => {}
        }
    }
    if let Some(c) = leaf(r) {
        let days = c.days_left(certinfo::now());
        if (0..30).contains(&days) {
            push(
                Severity::Consider,
                format!(
                    "The certificate expires {} ({}): renew it now.",
                    certinfo::days_phrase(days),
                    certinfo::date(c.not_after)
                ),
            );
        }
    }
    if let Some(text) = r.first.as_ref().and_then(|o| staple_problem(&o.info)) {
        push(Severity::Change, text);
    }
    if let Some(p) = r.certificate.as_ref().and_then(|(_, p)| p.as_ref()) {
        push(
            Severity::Change,
            match &p.fix {
                Some(fix) => format!("{} {fix}", p.sentence),
                None => p.sentence.clone(),
            },
        );
    }
    // Most important first; the sort is stable, so each group keeps its order.
    out.sort_by_key(|f| f.severity as u8);
    out
}

/// What is wrong with a stapled OCSP response, if one came: clients that check it refuse
/// the connection (or ignore the staple and ask the responder themselves).
fn staple_problem(info: &padlock::HandshakeInfo) -> Option<String> {
    use padlock_cert::ocsp::{CertStatus, Signature};
    let s = Staple::of(info)?;
    let r = match &s.report {
        Ok(r) => r,
        Err(e) => return Some(format!("The stapled OCSP response is unreadable ({e}): staple the DER response your CA's responder returns.")),
    };
    if matches!(r.cert_status, Some(CertStatus::Revoked { .. })) {
        return Some(
            "The stapled OCSP response says the certificate is revoked: replace the certificate."
                .into(),
        );
    }
    if let Signature::Invalid(why) = &r.signature {
        return Some(format!("The stapled OCSP response's signature does not hold ({why}): staple a response from the issuer's responder."));
    }
    if r.cert_status.is_some() && !r.current {
        return Some(
            "The stapled OCSP response is out of date: fetch a fresh one before its nextUpdate."
                .into(),
        );
    }
    if r.cert_status.is_none() {
        return Some("The stapled OCSP response has no status for this certificate: staple the response for this certificate.".into());
    }
    None
}

fn leaf(r: &Report) -> Option<CertFacts> {
    r.certificate
        .as_ref()
        .and_then(|(chain, _)| chain.first())
        .and_then(|der| CertFacts::parse(der).ok())
}

fn trial_words(t: &Trial) -> String {
    match &t.result {
        Ok(()) => "yes".into(),
        Err(e) => format!("no, {e}"),
    }
}

fn print_text(r: &Report, findings: &[Finding]) {
    let addr = r
        .first
        .as_ref()
        .map(|o| format!(" ({})", o.addr))
        .unwrap_or_default();
    println!("probe {}{addr} as {}", r.target, r.server_name);
    println!();
    println!("protocol versions");
    for (v, a) in &r.versions {
        println!(
            "  TLS {}  {}",
            probe_hello::version_label(*v),
            answer_words(*v, a)
        );
    }
    if !r.suites.is_empty() {
        println!("TLS 1.3 cipher suites");
        for t in &r.suites {
            println!("  {:<30} {}", t.name, trial_words(t));
        }
        println!("TLS 1.3 key exchange groups");
        for t in &r.groups {
            println!("  {:<30} {}", t.name, trial_words(t));
        }
    }
    if let (Some(a), false) = (&r.empty_share, r.suites.is_empty()) {
        println!("HelloRetryRequest");
        println!("  no key share offered           -> {}", a.describe());
        if let Some((group, result)) = &r.other_share {
            let words = match result {
                Ok(true) => "HelloRetryRequest: the server insists on its own preference".into(),
                Ok(false) => "accepted without HelloRetryRequest".into(),
                Err(e) => format!("failed: {e}"),
            };
            println!("  share for {group:<20} -> {words}");
        }
    }
    if let Some(res) = &r.resumption {
        let (resumed, early) = match res {
            Ok(o) => (
                if o.info.resumed {
                    "yes (the second connection used a session ticket)".to_string()
                } else {
                    "no (the second connection was a full handshake)".to_string()
                },
                if o.info.early_data_accepted {
                    "yes (the server took the 0-RTT data)".to_string()
                } else if o.early_data_sent > 0 {
                    "no (offered, the server refused it)".to_string()
                } else if o.info.resumed {
                    "no (the server's tickets do not allow early data)".to_string()
                } else {
                    "no (no ticket to send it with)".to_string()
                },
            ),
            Err(e) => (format!("unknown: {e}"), "unknown".into()),
        };
        println!("resumption    {resumed}");
        println!("0-RTT         {early}");
    }
    if let Some(c) = leaf(r) {
        let now = certinfo::now();
        println!(
            "certificate   {}, {}, expires {} ({}), covers {}",
            c.subject,
            c.key,
            certinfo::date(c.not_after),
            certinfo::days_phrase(c.days_left(now)),
            c.names().join(", ")
        );
        match r.certificate.as_ref().and_then(|(_, p)| p.as_ref()) {
            None => println!("              valid for {}", r.server_name),
            Some(p) => println!("              {}", p.sentence),
        }
    }
    if let Some(o) = &r.first {
        match Staple::of(&o.info) {
            Some(s) => println!("OCSP          the server staples OCSP: {}", s.describe()),
            None => println!("OCSP          the server does not staple OCSP"),
        }
    }
    println!();
    if findings.is_empty() {
        println!("verdict: nothing to change");
    } else {
        println!("verdict:");
        let colour = style::enabled();
        for f in findings {
            let tint = match f.severity {
                Severity::Change => Colour::Red,
                Severity::Consider => Colour::Yellow,
                Severity::Note => Colour::Green,
            };
            let label = style::paint(colour, tint, &format!("{:<8}", f.severity.label()));
            println!("  {label}  {}", f.text);
        }
    }
}

fn to_json(r: &Report, findings: &[Finding]) -> serde_json::Value {
    let versions: serde_json::Map<String, serde_json::Value> = r
        .versions
        .iter()
        .map(|(v, a)| {
            (
                probe_hello::version_label(*v).to_string(),
                json!({
                    "accepted": is_accepted(*v, a),
                    "answer": match a { Ok(a) => a.describe(), Err(e) => e.clone() },
                }),
            )
        })
        .collect();
    let trials = |list: &[Trial]| -> serde_json::Value {
        list.iter()
            .map(|t| {
                (
                    t.name.to_string(),
                    json!({ "accepted": t.result.is_ok(), "error": t.result.as_ref().err() }),
                )
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let now = certinfo::now();
    let (resumed, early) = match &r.resumption {
        Some(Ok(o)) => (json!(o.info.resumed), json!(o.info.early_data_accepted)),
        _ => (serde_json::Value::Null, serde_json::Value::Null),
    };
    json!({
        "target": r.target.to_string(),
        "address": r.first.as_ref().map(|o| o.addr.to_string()),
        "server_name": r.server_name,
        "versions": versions,
        "tls13_cipher_suites": trials(&r.suites),
        "tls13_groups": trials(&r.groups),
        "hello_retry": {
            "without_key_share": r.empty_share.as_ref().map(Answer::describe),
            "share_for": r.other_share.as_ref().map(|(g, _)| g),
            "retried": r.other_share.as_ref().and_then(|(_, res)| res.as_ref().ok()),
        },
        "resumption": resumed,
        "early_data_accepted": early,
        "certificate": leaf(r).map(|c| c.to_json(now)),
        "certificate_error": r.certificate.as_ref().and_then(|(_, p)| p.as_ref()).map(Problem::to_json),
        "ocsp_stapling": r.first.as_ref().map(|o| o.info.ocsp_response.is_some()),
        "ocsp_staple": r.first.as_ref().map(|o| staple::json(&o.info)),
        "verdict": findings.iter().map(|f| json!({"severity": f.severity.label(), "text": f.text})).collect::<Vec<_>>(),
        "ok": !findings.iter().any(|f| f.severity == Severity::Change),
    })
}
