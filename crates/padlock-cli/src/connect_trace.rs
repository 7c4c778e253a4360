//! `padlock connect --trace`: the handshake drawn message by message (as `padlock demo` draws
//! it), the DNS and TCP times, the round trips, the chain with each certificate's names,
//! validity, key, level and SPKI pin, and the verdict; in text, or as keys of `--json`.

use std::time::Duration;

use padlock::padlock_cert::ValidationLevel;
use padlock::{Error, Side, TraceStep};

use crate::certinfo::{self, CertFacts};
use crate::connect_report::{Shown, Visit};
use crate::diagram::{self, ms, round_trips_phrase};
use crate::staple::Staple;
use crate::style::{paint, Colour};

/// Certificates expiring within this many days are shown in yellow.
const SOON_DAYS: i64 = 30;

/// The trace of each connection: DNS, TCP, the diagram, the round trips. With --resume the
/// first (full) connection comes first.
pub fn print_trace(shown: &Shown, first: Option<&Visit>, last: &Visit) {
    print_lookup(shown, last);
    if let Some(f) = first {
        println!("first connection, for a session ticket:");
        print_connection(shown, f);
        println!("second connection, resuming that session:");
    }
    print_connection(shown, last);
}

fn print_lookup(shown: &Shown, v: &Visit) {
    let ip = v.addr.ip().to_string();
    if shown.host.parse::<std::net::IpAddr>().is_ok() {
        println!("DNS       none needed: {} is an IP address", shown.host);
    } else {
        println!(
            "DNS       {} is {ip} (resolved in {})",
            shown.host,
            ms(shown.dns_time)
        );
    }
}

fn print_connection(shown: &Shown, v: &Visit) {
    println!(
        "TCP       connected to {} in {} (1 round trip: SYN, SYN-ACK)",
        v.addr,
        ms(v.tcp_time)
    );
    println!();
    println!("{}", diagram::header());
    let handshake = v.handshake().len();
    for (i, step) in v.steps.iter().enumerate() {
        if i == handshake {
            println!("    (after the handshake)");
        }
        for line in diagram::step_lines(step, since(v, step), shown.name) {
            println!("{line}");
        }
    }
    if let Some((from, alert)) = failure_alert(v) {
        let at = v.failure.as_ref().map(|f| f.at).unwrap_or_default();
        println!("{}", diagram::arrow(from, &format!("alert {alert}"), at));
    }
    println!();
    let (flights, round_trips) = flights(v);
    let hrr = if v.info.hello_retry {
        " (the HelloRetryRequest cost one)"
    } else {
        ""
    };
    match (&v.failure, v.handshake_steps) {
        (None, _) | (Some(_), Some(_)) => println!(
            "handshake complete in {}: {flights} flights, {}{hrr} (plus 1 for TCP)",
            ms(v.hs_time),
            round_trips_phrase(round_trips)
        ),
        (Some(f), None) => println!(
            "handshake failed after {}, {} into it{hrr}",
            ms(f.at),
            round_trips_phrase(round_trips)
        ),
    }
    println!();
}

/// The alert that ended a failed handshake and who sent it: the server's, or the one padlock
/// sent for its own error (RFC 8446 §6.2).
fn failure_alert(v: &Visit) -> Option<(Side, String)> {
    let error = v.failure.as_ref()?.error.as_ref()?;
    match error {
        Error::PeerAlert(a) => Some((Side::Server, a.to_string())),
        e => e.alert().map(|a| (Side::Client, a.to_string())),
    }
}

fn since(v: &Visit, step: &TraceStep) -> Duration {
    step.at.saturating_duration_since(v.hs_start)
}

/// Flights and round trips of the handshake proper.
fn flights(v: &Visit) -> (usize, usize) {
    let senders: Vec<Side> = v.handshake().iter().map(|s| s.from).collect();
    diagram::count_flights(&senders)
}

/// The certificates to show and how they were judged.
struct Chain {
    /// Leaf first.
    certs: Vec<Vec<u8>>,
    /// Whether `certs` is the validated path (else: as the server presented them).
    validated: bool,
    /// For a rejected chain: the certificates padlock's best path added to `certs` (from
    /// the trust store), so that every pin the error sentence lists is shown.
    beyond: Vec<Vec<u8>>,
}

fn chain(v: &Visit) -> Chain {
    let info = &v.info;
    if !info.verified_chain.is_empty() || v.failure.is_none() {
        let certs = if info.verified_chain.is_empty() {
            info.peer_certificates.clone()
        } else {
            info.verified_chain.clone()
        };
        return Chain {
            certs,
            validated: true,
            beyond: Vec::new(),
        };
    }
    let rejected = v
        .failure
        .as_ref()
        .and_then(|f| f.error.as_ref())
        .and_then(Error::rejection);
    let beyond = rejected
        .map(|r| {
            r.best_chain
                .iter()
                .filter(|c| !r.presented.contains(c))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let certs = match rejected {
        Some(r) => r.presented.clone(),
        // Any other failure after the server's Certificate message: the chain as it arrived.
        None => v
            .steps
            .iter()
            .filter(|s| s.from == Side::Server)
            .map(diagram::certificates)
            .find(|c| !c.is_empty())
            .unwrap_or_default(),
    };
    Chain {
        certs,
        validated: false,
        beyond,
    }
}

/// The certificates the server sent, leaf first, even when they were rejected (the
/// handshake keeps them only once they validated).
pub fn presented(v: &Visit) -> Vec<Vec<u8>> {
    if !v.info.peer_certificates.is_empty() || v.failure.is_none() {
        return v.info.peer_certificates.clone();
    }
    chain(v).certs
}

/// The chain, certificate by certificate, then the verdict.
pub fn print_chain(shown: &Shown, v: &Visit) {
    let info = &v.info;
    let chain = chain(v);
    if info.resumed && chain.certs.is_empty() {
        println!("chain     none sent: the session was resumed, its chain verified when first established");
    } else if chain.validated {
        let anchor = info.trust_anchor.as_deref().unwrap_or("a trusted root");
        println!("chain     validated, leaf first, up to the trust anchor {anchor}");
    } else {
        println!("chain     as the server presented it, leaf first (rejected)");
    }
    let now = certinfo::now();
    for (i, der) in chain.certs.iter().chain(&chain.beyond).enumerate() {
        if i == chain.certs.len() {
            println!("          padlock's best path went on with, from the trust store:");
        }
        let facts = match CertFacts::parse(der) {
            Ok(f) => f,
            Err(e) => {
                println!("  {i}  (unreadable certificate: {e})");
                continue;
            }
        };
        println!("  {i}  {}", facts.subject);
        println!("      issuer    {}", facts.issuer);
        println!("      valid     {}", validity(shown, &facts, now));
        println!("      key       {}", facts.key);
        if i == 0 {
            println!("      level     {}", level(v, &facts, chain.validated));
            let ocsp = match Staple::of(info) {
                Some(s) => format!("stapled: {}", s.describe()),
                None => "no staple".into(),
            };
            println!("      OCSP      {ocsp}");
        }
        let matched = if shown.pins.is_empty() {
            ""
        } else if pin_matches(shown, &facts) {
            "  (matches --pin)"
        } else {
            ""
        };
        println!("      pin       {}{matched}", facts.spki_pin);
    }
    if chain.validated && !info.verified_chain.is_empty() {
        let extra = info
            .peer_certificates
            .iter()
            .filter(|c| !info.verified_chain.contains(c))
            .count();
        if extra > 0 {
            println!(
                "          the server also sent {extra} certificate{} not on this path",
                if extra == 1 { "" } else { "s" }
            );
        }
        let anchor_sent = info
            .verified_chain
            .last()
            .is_some_and(|root| info.peer_certificates.contains(root))
            && info.verified_chain.len() > 1;
        if anchor_sent {
            println!(
                "          the server sent the root too (clients need only the chain below it)"
            );
        }
    }
    if v.failure.is_none() {
        println!("verdict   {}", verdict_trusted(shown, v, &chain));
    }
}

/// `until 2031-01-01 (in 1825 days)`, coloured when it is a problem.
fn validity(shown: &Shown, f: &CertFacts, now: i64) -> String {
    let days = f.days_left(now);
    let text = if now < f.not_before {
        format!(
            "from {} (not valid yet) until {}",
            certinfo::date(f.not_before),
            certinfo::date(f.not_after)
        )
    } else if days < 0 || now > f.not_after {
        format!(
            "until {} (expired {})",
            certinfo::date(f.not_after),
            certinfo::days_phrase(days)
        )
    } else {
        format!("until {} ({} days left)", certinfo::date(f.not_after), days)
    };
    let colour = if now < f.not_before || now > f.not_after {
        Some(Colour::Red)
    } else if days < SOON_DAYS {
        Some(Colour::Yellow)
    } else {
        None
    };
    match colour {
        Some(c) => paint(shown.colour, c, &text),
        None => text,
    }
}

/// The leaf's validation level: as validated (the policy held through the chain), or as
/// the certificate asserts it when the chain did not validate.
fn level(v: &Visit, leaf: &CertFacts, validated: bool) -> String {
    match v.info.validation_level {
        Some(level) if validated => level.to_string(),
        _ => format!(
            "as asserted, not validated: {}",
            certinfo::level_words(leaf.validation_level)
        ),
    }
}

fn pin_matches(shown: &Shown, facts: &CertFacts) -> bool {
    shown.pins.iter().any(|p| p.to_string() == facts.spki_pin)
}

fn verdict_trusted(shown: &Shown, v: &Visit, chain: &Chain) -> String {
    let ok = paint(shown.colour, Colour::Green, "trusted");
    if v.info.resumed && chain.certs.is_empty() {
        return format!("{ok}: a resumed session with {}", shown.name);
    }
    let anchor = v.info.trust_anchor.as_deref().unwrap_or("a trusted root");
    let mut out = format!(
        "{ok}: the chain leads to {anchor} and covers {}",
        shown.name
    );
    if !shown.pins.is_empty() {
        let pinned: Vec<String> = chain
            .certs
            .iter()
            .enumerate()
            .filter(|(_, der)| CertFacts::parse(der).is_ok_and(|f| pin_matches(shown, &f)))
            .map(|(i, _)| i.to_string())
            .collect();
        out.push_str(&format!(
            "; the key of certificate {} matches a --pin",
            pinned.join(", ")
        ));
    }
    out
}

/// After a failed handshake's trace: the chain as presented (when there was one), the
/// verdict, the sentence and the fix. The error's one line also goes to stderr.
pub fn print_failure(shown: &Shown, v: &Visit) {
    let Some(failure) = &v.failure else {
        return;
    };
    if !chain(v).certs.is_empty() {
        print_chain(shown, v);
    }
    let error = failure.error.as_ref();
    let cert_error = error.and_then(Error::certificate_error);
    let what = if cert_error.is_some() {
        "rejected"
    } else {
        "failed"
    };
    let sentence = match cert_error {
        Some(c) => c.to_string(),
        None => failure.reason.clone(),
    };
    println!(
        "verdict   {}: {sentence}",
        paint(shown.colour, Colour::Red, what)
    );
    if let Some(fix) = error.and_then(Error::fix) {
        println!("fix       {fix}");
    }
}

/// The trace as JSON: one object per message.
pub fn steps_json(v: &Visit) -> serde_json::Value {
    let handshake = v.handshake().len();
    v.steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            serde_json::json!({
                "from": match s.from { Side::Client => "client", Side::Server => "server" },
                "message": diagram::message_name(s),
                "bytes": s.len,
                "at_ms": since(v, s).as_secs_f64() * 1000.0,
                "after_handshake": i >= handshake,
            })
        })
        .collect()
}

/// Adds the trace's keys to `connect --json`'s object: round trips, the chain with facts and
/// pins, the verdict, and on failure the error and its fix (`trace` itself with --trace).
pub fn add_json(out: &mut serde_json::Value, shown: &Shown, v: &Visit) {
    let (flights, round_trips) = flights(v);
    let chain = chain(v);
    let now = certinfo::now();
    let certs: Vec<serde_json::Value> = chain
        .certs
        .iter()
        .map(|der| match CertFacts::parse(der) {
            Ok(f) => {
                let mut j = f.to_json(now);
                if !shown.pins.is_empty() {
                    j["pin_matches"] = pin_matches(shown, &f).into();
                }
                j
            }
            Err(e) => serde_json::json!({ "error": e }),
        })
        .collect();
    let error = v.failure.as_ref().and_then(|f| f.error.as_ref());
    let sentence = v
        .failure
        .as_ref()
        .map(|f| match error.and_then(Error::certificate_error) {
            Some(c) => c.to_string(),
            None => f.reason.clone(),
        });
    let verdict = match (&v.failure, error.and_then(Error::certificate_error)) {
        (None, _) => "trusted",
        (Some(_), Some(_)) => "rejected",
        (Some(_), None) => "failed",
    };
    let extra = serde_json::json!({
        "flights": flights,
        "round_trips": round_trips,
        "chain": certs,
        "chain_validated": chain.validated && !chain.certs.is_empty(),
        "trust_anchor": v.info.trust_anchor,
        "validation_level": v.info.validation_level.map(level_code),
        "pins": shown.pins.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
        "verdict": verdict,
        "error": sentence,
        "fix": error.and_then(Error::fix),
    });
    if let (Some(obj), serde_json::Value::Object(more)) = (out.as_object_mut(), extra) {
        obj.extend(more);
    }
    if let Some(best) = error.and_then(Error::rejection).map(|r| &r.best_chain) {
        out["best_chain"] = best
            .iter()
            .map(|der| crate::certs::Summary::of(der).subject)
            .collect::<Vec<_>>()
            .into();
    }
    if shown.trace {
        out["trace"] = steps_json(v);
    }
}

/// `DV`, `OV`, `IV`, `EV` or `unknown`.
fn level_code(level: ValidationLevel) -> &'static str {
    match level {
        ValidationLevel::Dv => "DV",
        ValidationLevel::Ov => "OV",
        ValidationLevel::Iv => "IV",
        ValidationLevel::Ev => "EV",
        _ => "unknown",
    }
}
