//! SSLKEYLOGFILE: the NSS key log format, so that Wireshark can decrypt a capture.
//!
//! Each line is `LABEL <client_random hex> <secret hex>`; the TLS 1.3 labels are
//! those of the IETF draft "The SSLKEYLOGFILE Format for TLS" (draft-ietf-tls-keylogfile).

use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::Path;
use std::sync::Mutex;

/// Where traffic secrets go when the application asks for them to be logged.
///
/// Logging secrets defeats TLS for whoever can read the log: enable it only for debugging.
pub trait KeyLog: Send + Sync {
    /// Record one secret. `label` is e.g. `CLIENT_HANDSHAKE_TRAFFIC_SECRET`.
    fn log(&self, label: &str, client_random: &[u8; 32], secret: &[u8]);
}

/// Appends secrets to a file in the NSS key log format.
pub struct KeyLogFile {
    file: Mutex<File>,
}

impl KeyLogFile {
    /// Opens (creating or appending to) `path`.
    pub fn open(path: impl AsRef<Path>) -> std::io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self {
            file: Mutex::new(file),
        })
    }

    /// Opens the file named by the `SSLKEYLOGFILE` environment variable, if it is set.
    pub fn from_env() -> Option<std::io::Result<Self>> {
        let path = std::env::var_os("SSLKEYLOGFILE")?;
        if path.is_empty() {
            return None;
        }
        Some(Self::open(path))
    }
}

/// Formats one key log line (without the newline).
pub fn format_line(label: &str, client_random: &[u8; 32], secret: &[u8]) -> String {
    let mut line = String::with_capacity(label.len() + 2 + 64 + secret.len() * 2);
    line.push_str(label);
    line.push(' ');
    for b in client_random {
        let _ = write!(line, "{b:02x}");
    }
    line.push(' ');
    for b in secret {
        let _ = write!(line, "{b:02x}");
    }
    line
}

impl KeyLog for KeyLogFile {
    fn log(&self, label: &str, client_random: &[u8; 32], secret: &[u8]) {
        let line = format_line(label, client_random, secret);
        // A failing key log must never break the connection it describes.
        if let Ok(mut f) = self.file.lock() {
            let _ = writeln!(f, "{line}");
        }
    }
}

impl std::fmt::Debug for KeyLogFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyLogFile")
    }
}

/// The labels, as constants so client and server spell them alike.
pub mod labels {
    /// Client early traffic secret (0-RTT).
    pub const CLIENT_EARLY: &str = "CLIENT_EARLY_TRAFFIC_SECRET";
    /// Client handshake traffic secret.
    pub const CLIENT_HANDSHAKE: &str = "CLIENT_HANDSHAKE_TRAFFIC_SECRET";
    /// Server handshake traffic secret.
    pub const SERVER_HANDSHAKE: &str = "SERVER_HANDSHAKE_TRAFFIC_SECRET";
    /// First client application traffic secret.
    pub const CLIENT_TRAFFIC_0: &str = "CLIENT_TRAFFIC_SECRET_0";
    /// First server application traffic secret.
    pub const SERVER_TRAFFIC_0: &str = "SERVER_TRAFFIC_SECRET_0";
    /// Exporter master secret.
    pub const EXPORTER: &str = "EXPORTER_SECRET";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_format() {
        let line = format_line("CLIENT_TRAFFIC_SECRET_0", &[0xab; 32], &[1, 2, 255]);
        assert_eq!(
            line,
            format!("CLIENT_TRAFFIC_SECRET_0 {} 0102ff", "ab".repeat(32))
        );
    }
}
