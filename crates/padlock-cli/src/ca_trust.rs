//! `padlock ca install|uninstall`: the root into (and out of) the places clients read trusted
//! roots from: the Debian/Ubuntu system store (update-ca-certificates, which curl, OpenSSL and
//! GnuTLS read) and NSS databases (certutil; Chromium and Firefox on Linux).

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::ca::RootCert;

/// Where update-ca-certificates picks up local roots (Debian's ca-certificates(8)).
const SYSTEM_STORE: &str = "/usr/local/share/ca-certificates";

#[derive(clap::Args)]
pub struct TrustArgs {
    /// The system store directory (for tests; default /usr/local/share/ca-certificates).
    #[arg(long, hide = true, value_name = "DIR")]
    system_store_dir: Option<PathBuf>,
    /// The program that rebuilds the system bundle (for tests; default update-ca-certificates).
    #[arg(long, hide = true, value_name = "PROGRAM")]
    update_command: Option<PathBuf>,
    /// NSS databases to use instead of ~/.pki/nssdb and Firefox's profiles (repeatable).
    #[arg(long = "nss-db", hide = true, value_name = "DIR")]
    nss_dbs: Vec<PathBuf>,
}

/// The names the root goes by in the stores: unique per root, so that reinstalling or
/// several CAs on one machine never clash.
fn short_id(root: &RootCert) -> String {
    root.facts
        .sha256_fingerprint
        .replace(':', "")
        .chars()
        .take(16)
        .collect::<String>()
        .to_ascii_lowercase()
}

fn system_file_name(root: &RootCert) -> String {
    // update-ca-certificates takes only files ending in .crt.
    format!("padlock-development-ca-{}.crt", short_id(root))
}

fn nss_nickname(root: &RootCert) -> String {
    format!("padlock development CA {}", short_id(root))
}

/// How one store fared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Done,
    Skipped,
    Failed,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Done => "done",
            Status::Skipped => "skipped",
            Status::Failed => "failed",
        }
    }
}

/// One line of `install`/`uninstall`: which store, how it went, in words.
pub struct StoreLine {
    /// "system store" or "NSS".
    pub store: &'static str,
    pub status: Status,
    pub detail: String,
}

impl StoreLine {
    /// As the text output shows it.
    pub fn text(&self) -> String {
        let failed = if self.status == Status::Failed && self.store != "NSS" {
            "FAILED: "
        } else {
            ""
        };
        format!("  {:<13} {failed}{}", self.store, self.detail)
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "store": if self.store == "NSS" { "nss" } else { "system" },
            "status": self.status.name(),
            "detail": self.detail,
        })
    }
}

/// Adds the root to the system store and the NSS databases; one line per store.
pub fn install(root: &RootCert, args: &TrustArgs) -> Vec<StoreLine> {
    let mut lines = vec![system_line(system_install(root, args))];
    lines.extend(nss(root, args, true));
    lines
}

/// Removes the root from the stores `install` adds it to; one line per store.
pub fn uninstall(root: &RootCert, args: &TrustArgs) -> Vec<StoreLine> {
    let mut lines = vec![system_line(system_uninstall(root, args))];
    lines.extend(nss(root, args, false));
    lines
}

fn system_line(result: Result<(Status, String), String>) -> StoreLine {
    let (status, detail) = result.unwrap_or_else(|e| (Status::Failed, e));
    StoreLine {
        store: "system store",
        status,
        detail,
    }
}

/// The store directory, or the note saying why this system has none.
fn system_dir(args: &TrustArgs) -> Result<PathBuf, String> {
    let dir = args
        .system_store_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(SYSTEM_STORE));
    if dir.is_dir() {
        Ok(dir)
    } else {
        Err(format!(
            "skipped: no {} (update-ca-certificates is Debian's and Ubuntu's; elsewhere add {} to the system store by hand)",
            dir.display(),
            crate::ca::ROOT_CERT
        ))
    }
}

fn system_install(root: &RootCert, args: &TrustArgs) -> Result<(Status, String), String> {
    let dir = match system_dir(args) {
        Ok(dir) => dir,
        Err(note) => return Ok((Status::Skipped, note)),
    };
    let dest = dir.join(system_file_name(root));
    let pem = fs::read(&root.path).map_err(|e| format!("reading {}: {e}", root.path.display()))?;
    let sudo = match fs::write(&dest, &pem) {
        Ok(()) => false,
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied && on_path("sudo") => {
            // As mkcert does: only the copy and the rebuild need root.
            run(
                Command::new("sudo").args([
                    OsStr::new("install"),
                    OsStr::new("-m"),
                    OsStr::new("644"),
                    root.path.as_os_str(),
                    dest.as_os_str(),
                ]),
                true,
            )?;
            true
        }
        Err(e) => return Err(format!("writing {}: {e} (run as root)", dest.display())),
    };
    let update = update_ca_certificates(args, sudo)?;
    Ok((Status::Done, format!("added {}; {update}", dest.display())))
}

fn system_uninstall(root: &RootCert, args: &TrustArgs) -> Result<(Status, String), String> {
    let dir = match system_dir(args) {
        Ok(dir) => dir,
        Err(note) => return Ok((Status::Skipped, note)),
    };
    let dest = dir.join(system_file_name(root));
    if !dest.exists() {
        return Ok((Status::Done, format!("{} was not there", dest.display())));
    }
    let sudo = match fs::remove_file(&dest) {
        Ok(()) => false,
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied && on_path("sudo") => {
            run(
                Command::new("sudo").args([OsStr::new("rm"), OsStr::new("-f"), dest.as_os_str()]),
                true,
            )?;
            true
        }
        Err(e) => return Err(format!("removing {}: {e} (run as root)", dest.display())),
    };
    let update = update_ca_certificates(args, sudo)?;
    Ok((
        Status::Done,
        format!("removed {}; {update}", dest.display()),
    ))
}

fn update_ca_certificates(args: &TrustArgs, sudo: bool) -> Result<String, String> {
    let program = args
        .update_command
        .clone()
        .unwrap_or_else(|| PathBuf::from("update-ca-certificates"));
    let mut cmd = if sudo {
        let mut c = Command::new("sudo");
        c.arg(&program);
        c
    } else {
        Command::new(&program)
    };
    run(&mut cmd, sudo)?;
    Ok(format!("ran {}", program.display()))
}

/// The NSS databases to use: the flag's, else the shared one Chromium reads and each
/// Firefox profile's.
fn nss_dbs(args: &TrustArgs) -> Vec<(PathBuf, bool)> {
    if !args.nss_dbs.is_empty() {
        return args.nss_dbs.iter().map(|d| (d.clone(), true)).collect();
    }
    let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) else {
        return Vec::new();
    };
    let home = PathBuf::from(home);
    // ~/.pki/nssdb is created if missing: Chromium reads it once it exists.
    let mut dbs = vec![(home.join(".pki/nssdb"), true)];
    if let Ok(profiles) = fs::read_dir(home.join(".mozilla/firefox")) {
        for p in profiles.flatten() {
            if p.path().join("cert9.db").exists() {
                dbs.push((p.path(), false));
            }
        }
    }
    dbs
}

/// Adds (or removes) the root in every NSS database; a line per database.
fn nss(root: &RootCert, args: &TrustArgs, add: bool) -> Vec<StoreLine> {
    let line = |status, detail| StoreLine {
        store: "NSS",
        status,
        detail,
    };
    if !on_path("certutil") {
        let what = if add {
            "not added to"
        } else {
            "not removed from"
        };
        return vec![line(
            Status::Skipped,
            format!(
                "{what} Chromium's and Firefox's databases: certutil is missing (install libnss3-tools on Debian/Ubuntu, nss-tools on Fedora)"
            ),
        )];
    }
    let nick = nss_nickname(root);
    let mut lines = Vec::new();
    for (dir, create) in nss_dbs(args) {
        let db = format!("sql:{}", dir.display());
        let result = if add {
            nss_add(&dir, &db, create, &nick, &root.path)
        } else if !dir.join("cert9.db").exists() {
            Ok(format!("{}: no database", dir.display()))
        } else {
            nss_remove(&db, &nick).map(|gone| {
                if gone {
                    format!("{}: removed \"{nick}\"", dir.display())
                } else {
                    format!("{}: \"{nick}\" was not there", dir.display())
                }
            })
        };
        lines.push(match result {
            Ok(detail) => line(Status::Done, detail),
            Err(e) => line(Status::Failed, format!("{}: FAILED: {e}", dir.display())),
        });
    }
    lines
}

fn nss_add(dir: &Path, db: &str, create: bool, nick: &str, cert: &Path) -> Result<String, String> {
    if !dir.join("cert9.db").exists() {
        if !create {
            return Err("no database".into());
        }
        fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        run(
            Command::new("certutil").args(["-N", "-d", db, "--empty-password"]),
            false,
        )?;
    }
    // Trust flags "C,,": a CA trusted to issue server certificates (certutil(1)).
    run(
        Command::new("certutil")
            .args(["-A", "-d", db, "-t", "C,,", "-n", nick, "-i"])
            .arg(cert),
        false,
    )?;
    Ok(format!("{}: added \"{nick}\"", dir.display()))
}

/// Deletes every certificate called `nick`; false when there was none.
fn nss_remove(db: &str, nick: &str) -> Result<bool, String> {
    let mut removed = false;
    // Bounded: a database holds at most a few copies under one nickname.
    for _ in 0..8 {
        let status = Command::new("certutil")
            .args(["-D", "-d", db, "-n", nick])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| format!("running certutil: {e}"))?;
        if !status.success() {
            return Ok(removed);
        }
        removed = true;
    }
    Ok(removed)
}

/// Runs a command to completion; its output is shown only when it fails (or when `sudo`
/// may need to ask for a password on the terminal).
fn run(cmd: &mut Command, interactive: bool) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    if interactive {
        let status = cmd.status().map_err(|e| format!("running {shown}: {e}"))?;
        return if status.success() {
            Ok(())
        } else {
            Err(format!("{shown} failed ({status})"))
        };
    }
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("running {shown}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{shown} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Whether `program` is an executable file in a `$PATH` directory.
pub fn on_path(program: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|d| d.join(program).is_file())
}
