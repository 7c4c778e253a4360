//! `padlock ca`: a local certificate authority for development (what mkcert does): a root
//! kept in the user's data directory, leaves for localhost names and IPs that browsers accept,
//! and installing the root where the system and the browsers look for trusted roots.

use std::fs;
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use padlock::pki_types::pem::PemObject;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use time::{Duration, OffsetDateTime};

use crate::ca_trust;
use crate::certinfo::{self, CertFacts};

/// The root's certificate and key inside the CA directory (mkcert's names).
pub const ROOT_CERT: &str = "rootCA.pem";
pub const ROOT_KEY: &str = "rootCA-key.pem";

/// Roots live ten years: long enough to install once.
const ROOT_DAYS: i64 = 3650;
/// Leaves live 820 days: within the 825 days Apple's platforms accept for certificates from
/// user-installed roots (and Chrome follows none of the public 398-day rule for them).
const LEAF_DAYS: i64 = 820;

#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  padlock ca init
  padlock ca issue localhost 127.0.0.1 ::1
  padlock serve --cert localhost.pem --key localhost-key.pem
  padlock ca install          (the system store and Chromium's/Firefox's NSS databases)
  padlock ca root             (prints the root certificate's path, e.g. for curl --cacert)
  padlock ca uninstall
  padlock ca issue localhost --json   (paths, names, fingerprints and expiry as one JSON object)

The CA directory is --ca-dir, else $PADLOCK_CA_DIR, else padlock/ in the user's data
directory ($XDG_DATA_HOME or ~/.local/share on Linux). The root key stays there, readable
by you alone: anyone who has it can issue certificates your browser trusts.")]
pub struct Args {
    /// The CA directory.
    #[arg(long, global = true, value_name = "DIR")]
    ca_dir: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: CaCommand,
}

#[derive(clap::Subcommand)]
enum CaCommand {
    /// Create the root certificate and key (once; an existing CA is kept).
    Init,
    /// Issue a certificate for DNS names and IP addresses: NAME.pem and NAME-key.pem.
    Issue(IssueArgs),
    /// Trust the root: the system store (update-ca-certificates) and NSS databases (certutil).
    Install(ca_trust::TrustArgs),
    /// Remove the root from the stores `install` added it to.
    Uninstall(ca_trust::TrustArgs),
    /// Print the path of the root certificate.
    Root,
}

#[derive(clap::Args)]
struct IssueArgs {
    /// DNS names (wildcards like *.example.test too) and IP addresses; the first one names
    /// the files.
    #[arg(required = true, value_name = "NAME")]
    names: Vec<String>,
    /// Write the files here instead of the current directory.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    let dir = ca_dir(args.ca_dir.as_deref())?;
    let json = args.json;
    match args.command {
        CaCommand::Init => init(&dir, json),
        CaCommand::Issue(a) => issue(&dir, &a, json),
        CaCommand::Install(a) => trust(&load_root_cert(&dir)?, &a, true, json),
        CaCommand::Uninstall(a) => trust(&load_root_cert(&dir)?, &a, false, json),
        CaCommand::Root => {
            let path = dir.join(ROOT_CERT);
            if !path.exists() {
                return Err(not_initialised(&dir));
            }
            if json {
                let root = load_root_cert(&dir)?;
                let mut out = root_json(&dir, &root);
                out["command"] = "root".into();
                println!("{out}");
            } else {
                println!("{}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// What every `--json` answer says about the root.
fn root_json(dir: &Path, root: &RootCert) -> serde_json::Value {
    serde_json::json!({
        "ca_dir": dir.display().to_string(),
        "root_certificate": root.path.display().to_string(),
        "root_key": dir.join(ROOT_KEY).display().to_string(),
        "subject": root.facts.subject,
        "not_after": certinfo::date_time(root.facts.not_after),
        "sha256_fingerprint": root.facts.sha256_fingerprint,
        "spki_pin": root.facts.spki_pin,
    })
}

/// `install` (`add`) or `uninstall`, as text or JSON.
fn trust(
    root: &RootCert,
    args: &ca_trust::TrustArgs,
    add: bool,
    json: bool,
) -> Result<ExitCode, String> {
    let lines = if add {
        ca_trust::install(root, args)
    } else {
        ca_trust::uninstall(root, args)
    };
    // Installing must reach a store; uninstalling must fail nowhere.
    let ok = if add {
        lines.iter().any(|l| l.status == ca_trust::Status::Done)
    } else {
        !lines.iter().any(|l| l.status == ca_trust::Status::Failed)
    };
    if json {
        println!(
            "{}",
            serde_json::json!({
                "command": if add { "install" } else { "uninstall" },
                "root_certificate": root.path.display().to_string(),
                "subject": root.facts.subject,
                "sha256_fingerprint": root.facts.sha256_fingerprint,
                "stores": lines.iter().map(ca_trust::StoreLine::to_json).collect::<Vec<_>>(),
                "ok": ok,
            })
        );
        return Ok(if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    println!(
        "{} {} ({})",
        if add { "installing" } else { "uninstalling" },
        root.path.display(),
        root.facts.subject
    );
    for l in &lines {
        println!("{}", l.text());
    }
    match (add, ok) {
        (true, true) => println!("restart the browser so that it reads the new root"),
        (true, false) => return Err("the root was installed nowhere (see above)".into()),
        (false, true) => {}
        (false, false) => return Ok(ExitCode::FAILURE),
    }
    Ok(ExitCode::SUCCESS)
}

/// `--ca-dir`, else `$PADLOCK_CA_DIR`, else `<user data dir>/padlock`.
fn ca_dir(flag: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(dir) = flag {
        return Ok(dir.to_path_buf());
    }
    if let Some(dir) = std::env::var_os("PADLOCK_CA_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    user_data_dir().map(|d| d.join("padlock")).ok_or_else(|| {
        "cannot find your data directory: give --ca-dir or set PADLOCK_CA_DIR".into()
    })
}

/// The per-user data directory of the platform: XDG on Linux and BSDs, Application Support on
/// macOS, %LOCALAPPDATA% on Windows.
fn user_data_dir() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if cfg!(windows) {
        return env("LOCALAPPDATA");
    }
    let home = env("HOME");
    if cfg!(target_os = "macos") {
        return home.map(|h| h.join("Library/Application Support"));
    }
    // XDG Base Directory: a relative $XDG_DATA_HOME is invalid and must be ignored.
    env("XDG_DATA_HOME")
        .filter(|d| d.is_absolute())
        .or_else(|| home.map(|h| h.join(".local/share")))
}

fn not_initialised(dir: &Path) -> String {
    format!(
        "there is no CA in {}: run `padlock ca init` first",
        dir.display()
    )
}

/// The root certificate, PEM, as `install` and `uninstall` need it.
pub struct RootCert {
    pub path: PathBuf,
    pub facts: CertFacts,
}

fn load_root_cert(dir: &Path) -> Result<RootCert, String> {
    let path = dir.join(ROOT_CERT);
    let pem = fs::read(&path).map_err(|_| not_initialised(dir))?;
    let der = padlock::pki_types::CertificateDer::from_pem_slice(&pem)
        .map_err(|e| format!("{}: no certificate ({e:?})", path.display()))?;
    let facts = CertFacts::parse(&der).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(RootCert { path, facts })
}

fn init(dir: &Path, json: bool) -> Result<ExitCode, String> {
    let cert_path = dir.join(ROOT_CERT);
    let key_path = dir.join(ROOT_KEY);
    match (cert_path.exists(), key_path.exists()) {
        (true, true) => {
            let root = load_root_cert(dir)?;
            if json {
                let mut out = root_json(dir, &root);
                out["command"] = "init".into();
                out["created"] = false.into();
                println!("{out}");
                return Ok(ExitCode::SUCCESS);
            }
            println!(
                "the CA in {} already exists ({}, valid until {}); nothing to do",
                dir.display(),
                root.facts.subject,
                certinfo::date(root.facts.not_after)
            );
            return Ok(ExitCode::SUCCESS);
        }
        (false, false) => {}
        _ => {
            return Err(format!(
                "{} holds only one of {ROOT_CERT} and {ROOT_KEY}; move it away and run `padlock ca init` again",
                dir.display()
            ))
        }
    }
    create_private_dir(dir)?;
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|e| e.to_string())?;
    let cert = root_params()?
        .self_signed(&key)
        .map_err(|e| format!("creating the root: {e}"))?;
    write_private(&key_path, key.serialize_pem().as_bytes())?;
    write_public(&cert_path, cert.pem().as_bytes())?;
    let facts = CertFacts::parse(cert.der())?;
    if json {
        let root = RootCert {
            path: cert_path,
            facts,
        };
        let mut out = root_json(dir, &root);
        out["command"] = "init".into();
        out["created"] = true.into();
        println!("{out}");
        return Ok(ExitCode::SUCCESS);
    }
    println!("created a CA in {}", dir.display());
    println!(
        "  root certificate  {} ({})",
        cert_path.display(),
        facts.subject
    );
    println!(
        "  root key          {} (readable by you alone)",
        key_path.display()
    );
    println!("  valid until       {}", certinfo::date(facts.not_after));
    println!("next: `padlock ca issue localhost 127.0.0.1` and `padlock ca install`");
    Ok(ExitCode::SUCCESS)
}

/// Who the CA belongs to, so that several developers' roots in one browser tell apart.
fn owner() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "user".into());
    let host = fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "localhost".into());
    format!("{user}@{host}")
}

fn random_serial() -> Result<SerialNumber, String> {
    // 16 random bytes, top bit clear: a positive INTEGER with at least 64 bits of entropy
    // (RFC 5280 §4.1.2.2, CA/Browser Forum BR §7.1).
    let mut serial = [0u8; 16];
    padlock::crypto::random_bytes(&mut serial).map_err(|e| e.to_string())?;
    serial[0] &= 0x7f;
    Ok(SerialNumber::from_slice(&serial))
}

fn root_params() -> Result<CertificateParams, String> {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "padlock development CA");
    dn.push(DnType::OrganizationalUnitName, owner());
    dn.push(
        DnType::CommonName,
        format!("padlock development CA {}", owner()),
    );
    params.distinguished_name = dn;
    // pathLenConstraint 0: the root signs leaves only (RFC 5280 §4.2.1.9).
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(ROOT_DAYS);
    params.serial_number = Some(random_serial()?);
    Ok(params)
}

/// One name for a leaf: an IP address or a DNS name (with at most a leading `*.`).
fn san(name: &str) -> Result<SanType, String> {
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    let lower = name.trim_end_matches('.').to_ascii_lowercase();
    let base = lower.strip_prefix("*.").unwrap_or(&lower);
    let valid = !base.is_empty()
        && base.len() <= 253
        && base.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if !valid {
        return Err(format!(
            "{name:?} is neither an IP address nor a DNS name (letters, digits and hyphens; a wildcard only as a leading *.; IDNs in their xn-- form)"
        ));
    }
    if lower.starts_with("*.") && !base.contains('.') {
        return Err(format!(
            "{name:?} is a wildcard for a whole top-level domain, which browsers refuse; use *.example.test"
        ));
    }
    let ia5 = lower
        .clone()
        .try_into()
        .map_err(|_| format!("{name:?} is not ASCII"))?;
    Ok(SanType::DnsName(ia5))
}

/// The file stem for a first name: `*` and `:` are awkward in file names.
fn file_stem(name: &str) -> String {
    name.trim_end_matches('.')
        .to_ascii_lowercase()
        .replace('*', "_wildcard")
        .replace([':', '/', '\\'], "_")
}

fn issue(dir: &Path, args: &IssueArgs, json: bool) -> Result<ExitCode, String> {
    let sans = args
        .names
        .iter()
        .map(|n| san(n))
        .collect::<Result<Vec<_>, _>>()?;
    let first = args.names.first().ok_or("give at least one name")?;
    let root_pem = fs::read_to_string(dir.join(ROOT_CERT)).map_err(|_| not_initialised(dir))?;
    let key_pem = fs::read_to_string(dir.join(ROOT_KEY))
        .map_err(|e| format!("reading the root key {}: {e}", dir.join(ROOT_KEY).display()))?;
    let root_key =
        KeyPair::from_pem(&key_pem).map_err(|e| format!("the root key is unusable: {e}"))?;
    let issuer = Issuer::from_ca_cert_pem(&root_pem, &root_key)
        .map_err(|e| format!("the root certificate is unusable: {e}"))?;

    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "padlock development certificate");
    dn.push(DnType::OrganizationalUnitName, owner());
    // Browsers read subjectAltName only (RFC 9525); the CN is for people reading the file.
    dn.push(DnType::CommonName, first.as_str());
    params.distinguished_name = dn;
    params.subject_alt_names = sans;
    params.is_ca = IsCa::ExplicitNoCa;
    // ECDSA keys sign; they never encipher (RFC 5480 §3).
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let now = OffsetDateTime::now_utc();
    // An hour of slack for clocks slightly behind this one.
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(LEAF_DAYS) - Duration::hours(1);
    params.serial_number = Some(random_serial()?);
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|e| e.to_string())?;
    let cert = params
        .signed_by(&key, &issuer)
        .map_err(|e| format!("issuing the certificate: {e}"))?;

    let out = args.out.clone().unwrap_or_else(|| PathBuf::from("."));
    fs::create_dir_all(&out).map_err(|e| format!("creating {}: {e}", out.display()))?;
    let stem = file_stem(first);
    let cert_path = out.join(format!("{stem}.pem"));
    let key_path = out.join(format!("{stem}-key.pem"));
    // The chain a server sends: the leaf alone, since the root signed it directly and
    // clients already hold the root (RFC 8446 §4.4.2 lets the root be omitted).
    write_public(&cert_path, cert.pem().as_bytes())?;
    write_private(&key_path, key.serialize_pem().as_bytes())?;
    let facts = CertFacts::parse(cert.der())?;
    if json {
        println!(
            "{}",
            serde_json::json!({
                "command": "issue",
                "certificate": cert_path.display().to_string(),
                "key": key_path.display().to_string(),
                "names": facts.names(),
                "subject": facts.subject,
                "issuer": facts.issuer,
                "serial": facts.serial,
                "not_before": certinfo::date_time(facts.not_before),
                "not_after": certinfo::date_time(facts.not_after),
                "days_left": facts.days_left(certinfo::now()),
                "sha256_fingerprint": facts.sha256_fingerprint,
                "spki_pin": facts.spki_pin,
                "root_certificate": dir.join(ROOT_CERT).display().to_string(),
            })
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!("issued a certificate for {}", facts.names().join(", "));
    println!("  certificate  {}", cert_path.display());
    println!("  key          {}", key_path.display());
    println!(
        "  valid until  {} ({} days)",
        certinfo::date(facts.not_after),
        facts.days_left(certinfo::now())
    );
    println!(
        "serve it: padlock serve --cert {} --key {}",
        cert_path.display(),
        key_path.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn create_private_dir(dir: &Path) -> Result<(), String> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| format!("creating {}: {e}", dir.display()))
}

/// Writes a private key readable by its owner alone (0600 on Unix), also when the file
/// already existed with wider permissions.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let err = |e: std::io::Error| format!("writing {}: {e}", path.display());
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(err)?;
    }
    file.write_all(bytes).map_err(err)
}

fn write_public(path: &Path, bytes: &[u8]) -> Result<(), String> {
    fs::write(path, bytes).map_err(|e| format!("writing {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(matches!(san("127.0.0.1"), Ok(SanType::IpAddress(_))));
        assert!(matches!(san("::1"), Ok(SanType::IpAddress(_))));
        assert!(matches!(san("Localhost"), Ok(SanType::DnsName(d)) if d.as_str() == "localhost"));
        assert!(matches!(san("*.app.test"), Ok(SanType::DnsName(_))));
        assert!(san("*.test").unwrap_err().contains("top-level"));
        assert!(san("a..b").is_err());
        assert!(san("a.*.b").is_err());
        assert!(san("bad name").is_err());
        assert!(san("-x.test").is_err());
        assert_eq!(file_stem("*.app.test"), "_wildcard.app.test");
        assert_eq!(file_stem("::1"), "__1");
    }

    #[test]
    fn data_dir_prefers_the_flag() {
        assert_eq!(
            ca_dir(Some(Path::new("/x/y"))).unwrap(),
            PathBuf::from("/x/y")
        );
    }
}
