//! `padlock inspect FILE|HOST:PORT...`: decode certificates, chains, private keys and CSRs
//! (PEM or DER) or a server's chain, and warn about what will break.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use padlock::crypto::SigningKey;
use padlock::pki_types::pem::{PemObject, SectionKind};
use padlock::pki_types::{
    PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer,
};
use padlock::ClientConfig;
use serde_json::json;
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::FromDer;
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::certinfo::{self, CertFacts};
use crate::lint;
use crate::observe::{self, Outcome, Problem, RecordingVerifier, Target};
use crate::style::{self, Colour};

/// Files larger than this are not certificates, keys or CSRs (bounded memory).
const MAX_FILE: u64 = 1024 * 1024;

#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  padlock inspect chain.pem
  padlock inspect cert.pem key.pem        (also checks that the key matches)
  padlock inspect request.csr
  padlock inspect example.com:443 --json

Exit status: 0 when nothing was found wrong, 1 when there are warnings (or the server's
chain does not validate), 2 when an input could not be read.")]
pub struct Args {
    /// Files (PEM or DER: certificates, chains, private keys, CSRs, public keys) or
    /// servers as HOST:PORT. Files and keys given together are checked against each other.
    #[arg(required = true, value_name = "FILE|HOST:PORT")]
    inputs: Vec<String>,
    /// Validate against the CA certificates in this PEM file (repeatable); for servers the
    /// default is the Mozilla roots, for files no validation without --ca.
    #[arg(long = "ca", value_name = "FILE.pem")]
    ca: Vec<PathBuf>,
    /// The name to send in SNI and to check the certificate against (default: HOST).
    #[arg(long)]
    servername: Option<String>,
    /// Seconds to wait for a server.
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    timeout: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// One decoded object.
enum Item {
    Certificate(Box<CertFacts>),
    PrivateKey {
        key: String,
        public: Vec<u8>,
    },
    Csr {
        subject: String,
        key: String,
        names: Vec<String>,
        signature_ok: bool,
        spki_pin: String,
    },
    PublicKey {
        key: String,
        spki_pin: String,
    },
    /// Something recognised but not decoded (a CRL...), or unusable.
    Other(String),
}

struct Source {
    name: String,
    items: Vec<Item>,
    /// The server's verdict, for HOST:PORT inputs.
    verdict: Option<Option<Problem>>,
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    let mut sources = Vec::new();
    for input in &args.inputs {
        match load(input, &args) {
            Ok(s) => sources.push(s),
            Err(e) => {
                eprintln!("padlock: {e}");
                return Ok(ExitCode::from(2));
            }
        }
    }
    let certs: Vec<&CertFacts> = sources
        .iter()
        .flat_map(|s| &s.items)
        .filter_map(|i| match i {
            Item::Certificate(c) => Some(c.as_ref()),
            _ => None,
        })
        .collect();
    let keys: Vec<Vec<u8>> = sources
        .iter()
        .flat_map(|s| &s.items)
        .filter_map(|i| match i {
            Item::PrivateKey { public, .. } => Some(public.clone()),
            _ => None,
        })
        .collect();
    let now = certinfo::now();
    let owned: Vec<CertFacts> = certs.iter().map(|c| (*c).clone()).collect();
    let mut warnings = lint::lint(&owned, &keys, now);
    for s in &sources {
        for i in &s.items {
            if let Item::Csr {
                signature_ok: false,
                subject,
                ..
            } = i
            {
                warnings.push(format!(
                    "The signature of the request for {subject} does not verify: the CSR was altered or damaged; create it again."
                ));
            }
        }
    }
    // Files are validated only when --ca says against what.
    let file_verdict = if !args.ca.is_empty() && sources.iter().all(|s| s.verdict.is_none()) {
        Some(validate_files(&args)?)
    } else {
        None
    };
    let failed = sources.iter().any(|s| matches!(s.verdict, Some(Some(_))))
        || matches!(file_verdict, Some(Some(_)));

    if args.json {
        print_json(&sources, &warnings, &file_verdict, now);
    } else {
        print_text(&sources, &warnings, &file_verdict, now);
    }
    Ok(if warnings.is_empty() && !failed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// A file if it exists, else a server.
fn load(input: &str, args: &Args) -> Result<Source, String> {
    let path = Path::new(input);
    if path.exists() {
        let meta = std::fs::metadata(path).map_err(|e| format!("{input}: {e}"))?;
        if meta.len() > MAX_FILE {
            return Err(format!(
                "{input} is {} bytes: too large for a certificate, key or CSR",
                meta.len()
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| format!("reading {input}: {e}"))?;
        let items = decode(&bytes).map_err(|e| format!("{input}: {e}"))?;
        return Ok(Source {
            name: input.to_string(),
            items,
            verdict: None,
        });
    }
    let looks_like_file = input.contains('/') || input.ends_with(".pem") || input.ends_with(".der");
    if looks_like_file || !input.contains(':') && !input.contains('.') {
        return Err(format!(
            "{input}: no such file (for a server, give HOST:PORT)"
        ));
    }
    from_server(input, args)
}

fn from_server(input: &str, args: &Args) -> Result<Source, String> {
    let target = Target::parse(input)?;
    let name = target.server_name(args.servername.as_deref())?;
    let roots = observe::roots(&args.ca)?;
    let verifier = RecordingVerifier::new(roots);
    let config = Arc::new(ClientConfig::with_verifier(verifier.clone()));
    let timeout = Duration::from_secs(args.timeout.max(1));
    match observe::handshake(&target, name, config, &verifier, timeout, None, false) {
        Outcome::Done(o) => {
            let mut items = Vec::new();
            for der in &o.info.peer_certificates {
                items.push(match CertFacts::parse(der) {
                    Ok(c) => Item::Certificate(Box::new(c)),
                    Err(e) => Item::Other(format!("an unreadable certificate: {e}")),
                });
            }
            Ok(Source {
                name: format!("{target} ({})", o.addr),
                items,
                verdict: Some(o.cert_problem),
            })
        }
        Outcome::Refused(why) => Err(format!(
            "{target}: the server refused the TLS 1.3 handshake ({why})"
        )),
        Outcome::Failed(why) => Err(format!("{target}: {why}")),
    }
}

/// Every PEM section, or one DER object.
fn decode(bytes: &[u8]) -> Result<Vec<Item>, String> {
    if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        if bytes
            .windows(29)
            .any(|w| w == b"-----BEGIN ENCRYPTED PRIVATE")
        {
            return Err("the private key is password-protected; decrypt it first (openssl pkey -in key.pem -out plain.pem)".into());
        }
        let mut items = Vec::new();
        for section in <(SectionKind, Vec<u8>)>::pem_slice_iter(bytes) {
            let (kind, der) = section.map_err(|e| format!("bad PEM: {e:?}"))?;
            items.push(decode_section(kind, der));
        }
        if items.is_empty() {
            return Err("no PEM section padlock knows (certificate, key, CSR)".into());
        }
        return Ok(items);
    }
    decode_der(bytes)
        .map(|i| vec![i])
        .ok_or_else(|| "neither PEM nor a DER certificate, private key or CSR".into())
}

fn decode_section(kind: SectionKind, der: Vec<u8>) -> Item {
    let or_other = |item: Option<Item>, what: &str| {
        item.unwrap_or_else(|| Item::Other(format!("an unreadable {what}")))
    };
    match kind {
        SectionKind::Certificate => match CertFacts::parse(&der) {
            Ok(c) => Item::Certificate(Box::new(c)),
            Err(e) => Item::Other(format!("an unreadable certificate: {e}")),
        },
        SectionKind::PrivateKey => or_other(
            private_key(&PrivatePkcs8KeyDer::from(der).into()),
            "PKCS#8 private key",
        ),
        SectionKind::EcPrivateKey => or_other(
            private_key(&PrivateSec1KeyDer::from(der).into()),
            "EC private key",
        ),
        SectionKind::RsaPrivateKey => or_other(
            private_key(&PrivatePkcs1KeyDer::from(der).into()),
            "RSA private key",
        ),
        SectionKind::Csr => or_other(csr(&der), "certificate request"),
        SectionKind::PublicKey => or_other(public_key(&der), "public key"),
        SectionKind::Crl => Item::Other("a CRL (not inspected)".into()),
        other => Item::Other(format!("a {other:?} section (not inspected)")),
    }
}

fn decode_der(der: &[u8]) -> Option<Item> {
    if let Ok(c) = CertFacts::parse(der) {
        return Some(Item::Certificate(Box::new(c)));
    }
    csr(der)
        .or_else(|| private_key(&PrivatePkcs8KeyDer::from(der.to_vec()).into()))
        .or_else(|| private_key(&PrivateSec1KeyDer::from(der.to_vec()).into()))
        .or_else(|| private_key(&PrivatePkcs1KeyDer::from(der.to_vec()).into()))
        .or_else(|| public_key(der))
}

fn private_key(der: &PrivateKeyDer<'_>) -> Option<Item> {
    let key = SigningKey::from_der(der).ok()?;
    Some(Item::PrivateKey {
        key: key.describe(),
        public: key.public_key().to_vec(),
    })
}

fn public_key(der: &[u8]) -> Option<Item> {
    let (rest, spki) = SubjectPublicKeyInfo::from_der(der).ok()?;
    if !rest.is_empty() {
        return None;
    }
    let (key, _) = certinfo::describe_spki(&spki);
    Some(Item::PublicKey {
        key,
        spki_pin: certinfo::spki_pin(der),
    })
}

fn csr(der: &[u8]) -> Option<Item> {
    let (rest, req) = X509CertificationRequest::from_der(der).ok()?;
    if !rest.is_empty() {
        return None;
    }
    let info = &req.certification_request_info;
    let (key, _) = certinfo::describe_spki(&info.subject_pki);
    let mut names = Vec::new();
    for ext in req.requested_extensions().into_iter().flatten() {
        if let ParsedExtension::SubjectAlternativeName(san) = ext {
            for n in &san.general_names {
                match n {
                    GeneralName::DNSName(d) => names.push(d.to_string()),
                    GeneralName::IPAddress(ip) => names.push(certinfo::ip_string(ip)),
                    _ => {}
                }
            }
        }
    }
    Some(Item::Csr {
        subject: info.subject.to_string(),
        key,
        names,
        signature_ok: req.verify_signature().is_ok(),
        spki_pin: certinfo::spki_pin(info.subject_pki.raw),
    })
}

/// Validates the first certificate of the files (with the others as intermediates) against
/// --ca, for the serverAuth usage and, with --servername, that name.
fn validate_files(args: &Args) -> Result<Option<Problem>, String> {
    let ders = read_cert_ders(args)?;
    let Some((leaf, rest)) = ders.split_first() else {
        return Ok(None);
    };
    let roots = observe::roots(&args.ca)?;
    let intermediates: Vec<&[u8]> = rest.iter().map(Vec::as_slice).collect();
    let name = match &args.servername {
        Some(n) => Some(padlock_cert::PeerName::parse(n).map_err(|e| e.to_string())?),
        None => None,
    };
    let result = padlock_cert::verify_chain(
        leaf,
        &intermediates,
        &roots,
        name.as_ref(),
        &padlock_cert::VerifyOptions::default(),
    );
    Ok(result.err().map(|e| Problem::of_cert(&e)))
}

/// The DER certificates of every file input, in order.
fn read_cert_ders(args: &Args) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::new();
    for input in &args.inputs {
        let bytes = std::fs::read(input).map_err(|e| format!("reading {input}: {e}"))?;
        if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
            for c in padlock::pki_types::CertificateDer::pem_slice_iter(&bytes) {
                out.push(c.map_err(|e| format!("{input}: {e:?}"))?.to_vec());
            }
        } else if CertFacts::parse(&bytes).is_ok() {
            out.push(bytes);
        }
    }
    Ok(out)
}

fn print_text(
    sources: &[Source],
    warnings: &[String],
    file_verdict: &Option<Option<Problem>>,
    now: i64,
) {
    let mut n_cert = 0;
    for s in sources {
        println!("{}", s.name);
        for item in &s.items {
            match item {
                Item::Certificate(c) => {
                    n_cert += 1;
                    println!("  certificate {n_cert}");
                    print_cert(c, now);
                }
                Item::PrivateKey { key, .. } => println!("  private key  {key}"),
                Item::Csr {
                    subject,
                    key,
                    names,
                    signature_ok,
                    spki_pin,
                } => {
                    println!("  certificate signing request");
                    println!("    subject      {subject}");
                    println!(
                        "    names        {}",
                        if names.is_empty() {
                            "(none requested)".to_string()
                        } else {
                            names.join(", ")
                        }
                    );
                    println!("    key          {key}");
                    println!("    SPKI pin     {spki_pin}");
                    println!(
                        "    signature    {}",
                        if *signature_ok { "valid" } else { "INVALID" }
                    );
                }
                Item::PublicKey { key, spki_pin } => {
                    println!("  public key   {key}");
                    println!("    SPKI pin     {spki_pin}");
                }
                Item::Other(what) => println!("  {what}"),
            }
        }
        if let Some(verdict) = &s.verdict {
            print_verdict(verdict);
        }
    }
    if let Some(verdict) = file_verdict {
        print_verdict(verdict);
    }
    if warnings.is_empty() {
        println!("no warnings");
    } else {
        println!("warnings");
        let colour = style::enabled();
        for w in warnings {
            println!("  - {}", style::paint(colour, Colour::Yellow, w));
        }
    }
}

fn print_verdict(verdict: &Option<Problem>) {
    match verdict {
        None => println!("  chain        valid"),
        Some(p) => {
            let words = format!("NOT VALID: {}", p.sentence);
            println!(
                "  chain        {}",
                style::paint(style::enabled(), Colour::Red, &words)
            );
            if let Some(fix) = &p.fix {
                println!("  fix          {fix}");
            }
        }
    }
}

fn print_cert(c: &CertFacts, now: i64) {
    println!("    subject      {}", c.subject);
    println!("    issuer       {}", c.issuer);
    let names = c.names();
    println!(
        "    names        {}",
        if names.is_empty() {
            "(no subjectAltName)".to_string()
        } else {
            names.join(", ")
        }
    );
    let days = c.days_left(now);
    println!(
        "    valid        {} to {} ({})",
        certinfo::date(c.not_before),
        certinfo::date(c.not_after),
        if days >= 0 {
            format!("{days} days left")
        } else {
            format!("expired {}", certinfo::days_phrase(days))
        }
    );
    println!("    key          {}", c.key);
    println!("    signature    {}", c.signature_algorithm);
    let mut role = if c.is_ca {
        "CA".to_string()
    } else {
        "end entity".to_string()
    };
    if c.self_issued {
        role.push_str(", self-issued");
    }
    if !c.extended_key_usage.is_empty() {
        role.push_str(&format!(", {}", c.extended_key_usage.join(", ")));
    }
    println!("    role         {role}");
    println!(
        "    validation   {}",
        certinfo::level_words(c.validation_level)
    );
    println!("    serial       {}", c.serial);
    println!("    SPKI pin     {}", c.spki_pin);
    println!("    SHA-256      {}", c.sha256_fingerprint);
}

fn print_json(
    sources: &[Source],
    warnings: &[String],
    file_verdict: &Option<Option<Problem>>,
    now: i64,
) {
    let verdict_json = |v: &Option<Problem>| match v {
        None => json!({ "valid": true }),
        Some(p) => json!({ "valid": false, "error": p.sentence, "fix": p.fix }),
    };
    let sources: Vec<serde_json::Value> = sources
        .iter()
        .map(|s| {
            let items: Vec<serde_json::Value> = s
                .items
                .iter()
                .map(|i| match i {
                    Item::Certificate(c) => {
                        let mut v = c.to_json(now);
                        v["type"] = json!("certificate");
                        v
                    }
                    Item::PrivateKey { key, .. } => json!({ "type": "private_key", "key": key }),
                    Item::Csr {
                        subject,
                        key,
                        names,
                        signature_ok,
                        spki_pin,
                    } => json!({
                        "type": "csr", "subject": subject, "key": key, "names": names,
                        "signature_valid": signature_ok, "spki_pin": spki_pin,
                    }),
                    Item::PublicKey { key, spki_pin } => {
                        json!({ "type": "public_key", "key": key, "spki_pin": spki_pin })
                    }
                    Item::Other(what) => json!({ "type": "other", "description": what }),
                })
                .collect();
            json!({
                "source": s.name,
                "items": items,
                "chain": s.verdict.as_ref().map(verdict_json),
            })
        })
        .collect();
    let out = json!({
        "sources": sources,
        "chain": file_verdict.as_ref().map(verdict_json),
        "warnings": warnings,
    });
    println!("{out}");
}
