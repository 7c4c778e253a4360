//! `padlock scan URL`: fetch a page over padlock's TLS client and list its mixed content
//! (subresources loaded over plain http://), with how browsers treat each and the fix.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use padlock::padlock_cert::RootStore;
use padlock::{ClientConfig, Connection, Error, HandshakeInfo, Stream};
use serde_json::json;

use crate::certs::Summary;
use crate::http::{self, Page};
use crate::mixed::{self, Class, Findings, Item};
use crate::observe::{self, Problem, RecordingVerifier, Target};
use crate::style::{self, capitalized, Colour};
use crate::weburl::{self, WebUrl};

/// Redirects followed (within https://) before giving up.
const MAX_REDIRECTS: usize = 5;

/// The fix for the whole page: one header upgrades every request.
const UPGRADE_FIX: &str = "To have browsers upgrade every http:// subresource at once, send the \
    header Content-Security-Policy: upgrade-insecure-requests (each host must then serve it over \
    HTTPS).";

#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  padlock scan https://example.com/
  padlock scan https://localhost:8443/index.html --ca dev-root.pem
  padlock scan example.com/shop --json --max-bytes 1000000

Active mixed content (scripts, style sheets, fonts, frames, objects, text tracks, forms that
submit to http://) is blocked by browsers or exposes what users type; passive mixed content
(images, audio, video) is upgraded to https:// or shown with a warning. The page's own
Content-Security-Policy: upgrade-insecure-requests (header or <meta>) makes browsers upgrade
all of them.

Exit status: 0 when the page has no active mixed content and its certificate is valid; 1 when
it has active mixed content (not covered by upgrade-insecure-requests) or the certificate
failed validation; 2 when the page could not be fetched (network, TLS, HTTP status, redirects).")]
pub struct Args {
    /// The page: an https:// URL (a bare HOST/PATH means https://).
    url: String,
    /// Trust the CA certificates in this PEM file instead of the Mozilla roots (repeatable).
    #[arg(long = "ca", value_name = "FILE.pem")]
    ca: Vec<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Read at most this many bytes of the page; the rest is not scanned.
    #[arg(long, default_value_t = 5 * 1024 * 1024, value_name = "N")]
    max_bytes: usize,
    /// Seconds for the whole scan, redirects included.
    #[arg(long, default_value_t = 20, value_name = "SECS")]
    timeout: u64,
}

/// One request and what came back.
struct Hop {
    url: WebUrl,
    addr: SocketAddr,
    info: HandshakeInfo,
    handshake: Duration,
    /// `None`: the certificate validated.
    cert_problem: Option<Problem>,
    page: Page,
}

/// Why the page could not be scanned: the sentence, and what to do if there is something.
struct Failure {
    sentence: String,
    fix: Option<String>,
}

impl Failure {
    fn new(sentence: impl Into<String>) -> Failure {
        Failure {
            sentence: sentence.into(),
            fix: None,
        }
    }

    fn with_fix(mut self, fix: &str) -> Failure {
        self.fix = Some(fix.to_string());
        self
    }
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    // Bad arguments exit 2 like every other "not scanned": 1 means the page has problems.
    scan(args).or_else(|message| {
        eprintln!("padlock: {}", one_line(&message));
        Ok(ExitCode::from(2))
    })
}

fn scan(args: Args) -> Result<ExitCode, String> {
    let start = start_url(&args.url)?;
    let roots = observe::roots(&args.ca)?;
    let deadline = Instant::now() + Duration::from_secs(args.timeout.max(1));
    let colour = style::enabled() && !args.json;

    let mut hops: Vec<Hop> = Vec::new();
    let failure = follow(&start, &roots, deadline, args.max_bytes, &mut hops).err();
    let findings = match (&failure, hops.last()) {
        (None, Some(last)) => Some(mixed::scan(&last.page.body, &last.url)),
        _ => None,
    };
    let header_upgrade = hops.last().is_some_and(|h| {
        h.page
            .headers_named("content-security-policy")
            .any(mixed::upgrades)
    });
    let report = Report {
        start: &start,
        hops: &hops,
        failure: failure.as_ref(),
        findings: findings.as_ref(),
        header_upgrade,
        max_bytes: args.max_bytes,
    };
    if args.json {
        println!("{}", report.json());
    } else {
        report.print(colour);
    }
    if let Some(f) = &failure {
        eprintln!("padlock: {}", one_line(&f.sentence));
    }
    Ok(ExitCode::from(report.exit_code()))
}

/// The URL the user gave, as an https:// URL.
fn start_url(given: &str) -> Result<WebUrl, String> {
    let given = weburl::clean(given);
    let with_scheme = match weburl::scheme_of(&given) {
        Some(_) if given.contains("://") => given.clone(),
        // `host:port/path` looks like a scheme to the URL rules; nobody means that.
        _ => format!("https://{given}"),
    };
    let url = WebUrl::parse(&with_scheme)?;
    match url.scheme.as_str() {
        "https" => Ok(url),
        "http" => Err(format!(
            "{given} is plain http://: there is no TLS to check and every subresource is \
             insecure anyway; scan the https:// URL instead"
        )),
        other => Err(format!("scan fetches https:// pages, not {other}:")),
    }
}

/// Fetches `start`, following redirects within https://, recording each hop.
fn follow(
    start: &WebUrl,
    roots: &Arc<RootStore>,
    deadline: Instant,
    max_bytes: usize,
    hops: &mut Vec<Hop>,
) -> Result<(), Failure> {
    let mut url = start.clone();
    for _ in 0..=MAX_REDIRECTS {
        let hop = fetch(&url, roots, deadline, max_bytes)?;
        let status = hop.page.status;
        let location = hop.page.header("location").map(str::to_string);
        hops.push(hop);
        if !matches!(status, 301 | 302 | 303 | 307 | 308) {
            return check_page(hops.last());
        }
        let location = location.ok_or_else(|| {
            Failure::new(format!("{url} answered {status} without a Location header"))
        })?;
        let next = url
            .join(&location)
            .map_err(|e| Failure::new(format!("{url} redirects to {location:?}: {e}")))?;
        if next.scheme != "https" {
            return Err(Failure::new(format!(
                "{url} redirects to {next}, out of HTTPS: a visitor's browser would leave TLS there, \
                 so scan stops"
            ))
            .with_fix("Redirect to an https:// URL."));
        }
        url = next;
    }
    Err(Failure::new(format!(
        "more than {MAX_REDIRECTS} redirects, the last to {url}"
    ))
    .with_fix("Redirect straight to the final page; check for a redirect loop."))
}

/// Whether the final response is a page to scan.
fn check_page(hop: Option<&Hop>) -> Result<(), Failure> {
    let Some(hop) = hop else {
        return Err(Failure::new("no response"));
    };
    let page = &hop.page;
    if !(200..300).contains(&page.status) {
        return Err(Failure::new(format!(
            "{} answered {} {}, not a page",
            hop.url, page.status, page.reason
        )));
    }
    if let Some(coding) = page
        .header("content-encoding")
        .filter(|c| !c.trim().eq_ignore_ascii_case("identity"))
    {
        return Err(Failure::new(format!(
            "{} sent the page compressed ({coding}) although padlock asked for it uncompressed",
            hop.url
        )));
    }
    if let Some(ct) = page.header("content-type") {
        let media = ct
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if media != "text/html" && media != "application/xhtml+xml" {
            return Err(Failure::new(format!(
                "{} is not an HTML page (Content-Type: {ct}): nothing to scan",
                hop.url
            )));
        }
    }
    Ok(())
}

/// One GET over a fresh TLS connection, bounded by `deadline`.
fn fetch(
    url: &WebUrl,
    roots: &Arc<RootStore>,
    deadline: Instant,
    max_bytes: usize,
) -> Result<Hop, Failure> {
    let target = Target {
        host: url.host.clone(),
        port: url.port_or_default(),
    };
    let name = target.server_name(None).map_err(Failure::new)?;
    // Record the certificate verdict rather than stop at it: the page is still worth
    // scanning, and the report says what is wrong with the certificate.
    let verifier = RecordingVerifier::new(roots.clone());
    let mut config = ClientConfig::with_verifier(verifier.clone());
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let left = remaining(deadline).ok_or_else(|| Failure::new("out of time"))?;
    let (tcp, addr) = target.connect(left).map_err(Failure::new)?;
    let conn =
        Connection::client(Arc::new(config), name).map_err(|e| Failure::new(e.to_string()))?;
    let mut tls = Stream::new(conn, Deadline { tcp, deadline });
    let hs_start = Instant::now();
    if let Err(e) = tls.handshake() {
        let why = match tls.connection().error() {
            Some(err) => handshake_problem(err),
            None => io_problem(&e),
        };
        return Err(Failure::new(format!(
            "TLS handshake with {target} failed: {why}"
        )));
    }
    let handshake = hs_start.elapsed();
    let page = http::fetch(&mut tls, &url.authority(), &url.path, max_bytes)
        .map_err(|e| Failure::new(format!("fetching {url}: {e}")))?;
    tls.close().ok();
    let cert_problem = match verifier.verdict() {
        Some(Ok(())) => None,
        Some(Err(e)) => Some(Problem::of_error(&e)),
        None => Some(Problem::plain("the server sent no certificate")),
    };
    Ok(Hop {
        url: url.clone(),
        addr,
        info: tls.connection().info().clone(),
        handshake,
        cert_problem,
        page,
    })
}

fn remaining(deadline: Instant) -> Option<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    (!left.is_zero()).then_some(left)
}

/// Why a handshake failed, in padlock's words.
fn handshake_problem(e: &Error) -> String {
    match e {
        Error::Truncated => "the server closed the connection during the handshake (it may \
            not support TLS 1.3, or not speak TLS on this port)"
            .into(),
        Error::ProtocolVersion { .. } => {
            "the server answered with a TLS version older than 1.3".into()
        }
        other => {
            let p = Problem::of_error(other);
            match p.fix {
                Some(fix) => format!("{} Fix: {fix}", p.sentence),
                None => p.sentence,
            }
        }
    }
}

fn io_problem(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            "the server did not answer in time".into()
        }
        io::ErrorKind::ConnectionReset => {
            "the server reset the connection (it may not speak TLS on this port)".into()
        }
        _ => e.to_string(),
    }
}

/// The TCP stream with one deadline for every read and write: a server that trickles its
/// page a byte at a time still cannot hold the scan past it.
struct Deadline {
    tcp: TcpStream,
    deadline: Instant,
}

impl Deadline {
    fn left(&self) -> io::Result<Duration> {
        remaining(self.deadline)
            .ok_or_else(|| io::Error::new(io::ErrorKind::TimedOut, "the scan's time limit passed"))
    }
}

impl Read for Deadline {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.left()?;
        self.tcp.set_read_timeout(Some(left))?;
        self.tcp.read(buf)
    }
}

impl Write for Deadline {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let left = self.left()?;
        self.tcp.set_write_timeout(Some(left))?;
        self.tcp.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tcp.flush()
    }
}

fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

/// Everything `scan` found, for text or JSON.
struct Report<'a> {
    start: &'a WebUrl,
    hops: &'a [Hop],
    failure: Option<&'a Failure>,
    findings: Option<&'a Findings>,
    /// The final response's Content-Security-Policy header upgrades insecure requests.
    header_upgrade: bool,
    max_bytes: usize,
}

impl Report<'_> {
    fn upgraded(&self) -> bool {
        self.header_upgrade || self.findings.is_some_and(|f| f.meta_upgrade)
    }

    fn items(&self) -> &[Item] {
        self.findings.map_or(&[], |f| f.items.as_slice())
    }

    fn count(&self, class: Class) -> usize {
        self.items().iter().filter(|i| i.class() == class).count()
    }

    fn cert_problems(&self) -> impl Iterator<Item = (&Hop, &Problem)> {
        self.hops
            .iter()
            .filter_map(|h| h.cert_problem.as_ref().map(|p| (h, p)))
    }

    /// 2: not scanned; 1: active mixed content browsers will block, or a bad certificate;
    /// 0: fine (perhaps with passive mixed content).
    fn exit_code(&self) -> u8 {
        if self.failure.is_some() {
            2
        } else if self.cert_problems().next().is_some()
            || (self.count(Class::Active) > 0 && !self.upgraded())
        {
            1
        } else {
            0
        }
    }

    /// The distinct fixes the items call for, in order of first appearance.
    fn fixes(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for item in self.items() {
            let fix = item.kind.fix(item.via_base);
            if !out.contains(&fix) {
                out.push(fix);
            }
        }
        out
    }

    fn print(&self, colour: bool) {
        println!("scan of {}", self.start);
        for hop in self.hops {
            let page = &hop.page;
            let what = if (300..400).contains(&page.status) {
                format!(" -> {}", page.header("location").unwrap_or("?"))
            } else {
                format!(
                    " ({}, {} bytes{})",
                    page.header("content-type").unwrap_or("no Content-Type"),
                    page.body.len(),
                    if page.cut { ", cut" } else { "" }
                )
            };
            println!("  GET {} -> {} {}{what}", hop.url, page.status, page.reason);
        }
        if let Some(hop) = self.hops.last() {
            println!("{}", handshake_line(hop));
            match &hop.cert_problem {
                None => println!(
                    "certificate: {} for {}{}",
                    style::paint(colour, Colour::Green, "valid"),
                    hop.url.host,
                    leaf_words(&hop.info)
                ),
                Some(p) => println!(
                    "certificate: {} {}",
                    style::paint(colour, Colour::Red, "INVALID:"),
                    problem_words(p)
                ),
            }
        }
        let last = self.hops.len().saturating_sub(1);
        for (i, hop) in self.hops.iter().enumerate() {
            if let (true, Some(p)) = (i < last, &hop.cert_problem) {
                println!(
                    "certificate of {} (redirected from): {}",
                    hop.url,
                    problem_words(p)
                );
            }
        }
        if let Some(f) = self.failure {
            println!();
            println!(
                "{} {}",
                style::paint(colour, Colour::Red, "not scanned:"),
                f.sentence
            );
            if let Some(fix) = &f.fix {
                println!("fix: {fix}");
            }
            return;
        }
        let Some(findings) = self.findings else {
            return;
        };
        if let Some(page) = self.hops.last().map(|h| &h.page) {
            if page.cut {
                println!(
                    "note: the page is longer than {} bytes (--max-bytes); the rest was not scanned",
                    self.max_bytes
                );
            }
            if let Some(why) = &page.ended_early {
                println!("note: {why}");
            }
        }
        println!();
        let (active, passive) = (self.count(Class::Active), self.count(Class::Passive));
        if findings.items.is_empty() {
            println!(
                "mixed content: {}: every subresource loads over https:// or from this page's origin",
                style::paint(colour, Colour::Green, "none")
            );
            return;
        }
        println!(
            "mixed content: {} item{}, {active} active (browsers block them), {passive} passive \
             (browsers upgrade them or warn)",
            findings.items.len() + findings.more,
            if findings.items.len() + findings.more == 1 {
                ""
            } else {
                "s"
            },
        );
        for item in &findings.items {
            let class = match item.class() {
                Class::Active => style::paint(colour, Colour::Red, "active "),
                Class::Passive => style::paint(colour, Colour::Yellow, "passive"),
            };
            println!(
                "  {class} line {:<5} {:<10} {:<24} {}",
                item.line,
                item.kind.name(),
                element(item),
                item.url
            );
        }
        if findings.more > 0 {
            println!("  ... and {} more", findings.more);
        }
        if let Some(base) = &findings.insecure_base {
            println!("note: <base href=\"{base}\"> makes the page's relative URLs http://");
        }
        if self.upgraded() {
            println!(
                "note: the page sends Content-Security-Policy: upgrade-insecure-requests{}, so \
                 browsers fetch all of these over https:// instead (each host must serve them)",
                if self.header_upgrade {
                    ""
                } else {
                    " (in a <meta> tag)"
                }
            );
        }
        println!();
        for fix in self.fixes() {
            println!("fix: {}.", capitalized(fix));
        }
        if !self.upgraded() {
            println!("     {UPGRADE_FIX}");
        }
    }

    fn json(&self) -> serde_json::Value {
        let last = self.hops.last();
        let hops: Vec<serde_json::Value> = self
            .hops
            .iter()
            .map(|h| {
                json!({
                    "url": h.url.to_string(),
                    "status": h.page.status,
                    "location": h.page.header("location"),
                    "certificate": cert_json(h),
                })
            })
            .collect();
        let items: Vec<serde_json::Value> = self
            .items()
            .iter()
            .map(|i| {
                json!({
                    "class": i.class().name(),
                    "kind": i.kind.name(),
                    "tag": i.tag,
                    "attribute": i.attribute,
                    "url": i.url,
                    "line": i.line,
                    "via_base": i.via_base,
                    "fix": i.kind.fix(i.via_base),
                })
            })
            .collect();
        json!({
            "url": self.start.to_string(),
            "final_url": last.map(|h| h.url.to_string()),
            "requests": hops,
            "status": last.map(|h| h.page.status),
            "content_type": last.and_then(|h| h.page.header("content-type")),
            "bytes": last.map(|h| h.page.body.len()),
            "cut": last.is_some_and(|h| h.page.cut),
            "ended_early": last.and_then(|h| h.page.ended_early.clone()),
            "handshake": last.map(|h| json!({
                "address": h.addr.to_string(),
                "version": "TLSv1.3",
                "cipher_suite": h.info.cipher_suite,
                "group": h.info.group_name,
                "hello_retry": h.info.hello_retry,
                "alpn": h.info.alpn.as_ref().map(|p| String::from_utf8_lossy(p).into_owned()),
                "handshake_ms": h.handshake.as_secs_f64() * 1000.0,
            })),
            "certificate": last.map(cert_json),
            "error": self.failure.map(|f| f.sentence.clone()),
            "error_fix": self.failure.and_then(|f| f.fix.clone()),
            "upgrade_insecure_requests": self.upgraded(),
            "insecure_base": self.findings.and_then(|f| f.insecure_base.clone()),
            "mixed_content": items,
            "more": self.findings.map_or(0, |f| f.more),
            "active": self.count(Class::Active),
            "passive": self.count(Class::Passive),
            "fix": (!self.items().is_empty()).then_some(UPGRADE_FIX),
            "exit_code": self.exit_code(),
        })
    }
}

fn cert_json(hop: &Hop) -> serde_json::Value {
    let leaf = hop.info.peer_certificates.first().map(|d| Summary::of(d));
    json!({
        "valid": hop.cert_problem.is_none(),
        "subject": leaf.as_ref().map(|s| s.subject.clone()),
        "issuer": leaf.as_ref().map(|s| s.issuer.clone()),
        "not_after": leaf.as_ref().map(|s| s.not_after.clone()),
        "error": hop.cert_problem.as_ref().map(|p| p.sentence.clone()),
        "fix": hop.cert_problem.as_ref().and_then(|p| p.fix.clone()),
    })
}

/// "TLS 1.3, TLS_AES_128_GCM_SHA256, X25519MLKEM768, handshake 2.1 ms (127.0.0.1:8443)"
fn handshake_line(hop: &Hop) -> String {
    format!(
        "connection: TLS 1.3, {}, key exchange {}{}, handshake {:.1} ms ({})",
        hop.info.cipher_suite.unwrap_or("?"),
        hop.info.group_name.unwrap_or("?"),
        if hop.info.hello_retry {
            " after a HelloRetryRequest"
        } else {
            ""
        },
        hop.handshake.as_secs_f64() * 1000.0,
        hop.addr
    )
}

fn leaf_words(info: &HandshakeInfo) -> String {
    match info.peer_certificates.first().map(|d| Summary::of(d)) {
        Some(s) => format!(
            " ({}, issued by {}, until {})",
            s.subject, s.issuer, s.not_after
        ),
        None => String::new(),
    }
}

fn problem_words(p: &Problem) -> String {
    match &p.fix {
        Some(fix) => format!("{} Fix: {fix}", p.sentence),
        None => p.sentence.clone(),
    }
}

/// `<img srcset>`, `<style> @import`, `<div style>`.
fn element(item: &Item) -> String {
    if item.tag == "style" && (item.attribute == "url()" || item.attribute == "@import") {
        format!("<style> {}", item.attribute)
    } else {
        format!("<{} {}>", item.tag, item.attribute)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_urls() {
        let u = |s: &str| start_url(s).map(|u| u.to_string());
        assert_eq!(u("https://a.test/x").unwrap(), "https://a.test/x");
        assert_eq!(u("a.test").unwrap(), "https://a.test/");
        assert_eq!(u("localhost:8443/p").unwrap(), "https://localhost:8443/p");
        assert!(u("http://a.test/").unwrap_err().contains("plain http://"));
        assert!(u("ftp://a.test/").unwrap_err().contains("not ftp:"));
    }
}
