//! The access log (`--access-log FILE|-|off`): one line per connection and per request
//! (text, or with `--json` one JSON object a line), buffered.
//!
//! A line per request written straight to stderr costs a `write` system call per request,
//! under a lock shared by every worker thread: at tens of thousands of requests a second that
//! is a large part of the server's time. Request lines are therefore collected in memory and
//! written in batches: by a task every [`FLUSH_INTERVAL`], or at once when [`FLUSH_AT`] bytes
//! are waiting. Connection lines (the handshake) are rare and written at once, with the
//! request lines before them, so the log stays in order and shows a handshake as soon as it
//! happened.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// How long a request line may wait in memory before it is written.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(100);
/// Waiting bytes past which the request that adds a line writes them all.
const FLUSH_AT: usize = 32 * 1024;
/// Waiting bytes past which lines are dropped (and counted) instead of kept: bounded memory
/// when the log cannot be written as fast as requests come.
const MAX_WAITING: usize = 1024 * 1024;

/// Where `--access-log` sends the lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// `-`: standard error (the default).
    Stderr,
    /// Appended to a file.
    File(PathBuf),
    /// `off`: no access log.
    Off,
}

impl FromStr for Destination {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "-" => Destination::Stderr,
            "off" => Destination::Off,
            "" => return Err("an empty file name (use - for stderr, off for none)".into()),
            path => Destination::File(path.into()),
        })
    }
}

/// The access log, shared by every connection. `None` inside when it is off.
#[derive(Clone, Default)]
pub struct AccessLog(Option<Arc<Sink>>);

struct Sink {
    /// Lines not yet written. Only ever held for an append or a swap.
    waiting: Mutex<Vec<u8>>,
    /// The destination, held across a write: two flushes must not interleave their batches.
    out: Mutex<Output>,
    dropped: AtomicU64,
    /// Lines are JSON objects (`--json`).
    json: bool,
}

enum Output {
    Stderr,
    File(File),
}

impl Output {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Output::Stderr => io::stderr().lock().write_all(bytes),
            Output::File(f) => f.write_all(bytes),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves nothing half-done here: a buffer of
    // whole lines.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl AccessLog {
    /// Opens `destination` (a file is created, or appended to); `json`: callers write JSON
    /// lines.
    pub fn open(destination: &Destination, json: bool) -> Result<Self, String> {
        let out = match destination {
            Destination::Off => return Ok(AccessLog(None)),
            Destination::Stderr => Output::Stderr,
            Destination::File(path) => Output::File(open_append(path)?),
        };
        Ok(AccessLog(Some(Arc::new(Sink {
            waiting: Mutex::new(Vec::with_capacity(FLUSH_AT)),
            out: Mutex::new(out),
            dropped: AtomicU64::new(0),
            json,
        }))))
    }

    /// Whether lines are logged at all: when not, callers skip formatting them.
    pub fn is_on(&self) -> bool {
        self.0.is_some()
    }

    /// Whether lines are to be JSON objects (`--json`).
    pub fn is_json(&self) -> bool {
        self.0.as_ref().is_some_and(|s| s.json)
    }

    /// A request line: kept in memory, written within [`FLUSH_INTERVAL`].
    pub fn request(&self, line: std::fmt::Arguments<'_>) {
        let Some(sink) = &self.0 else { return };
        let full = {
            let mut waiting = lock(&sink.waiting);
            if waiting.len() >= MAX_WAITING {
                sink.dropped.fetch_add(1, Ordering::Relaxed);
                return;
            }
            // Writing into a Vec fails only if a Display impl does, and then the line is
            // simply cut short.
            let _ = writeln!(waiting, "{line}");
            waiting.len() >= FLUSH_AT
        };
        if full {
            sink.flush();
        }
    }

    /// A connection line: written at once, after the request lines waiting before it.
    pub fn connection(&self, line: std::fmt::Arguments<'_>) {
        let Some(sink) = &self.0 else { return };
        let _ = writeln!(lock(&sink.waiting), "{line}");
        sink.flush();
    }

    /// Writes everything waiting (at shutdown, and from [`AccessLog::flush_regularly`]).
    pub fn flush(&self) {
        if let Some(sink) = &self.0 {
            sink.flush();
        }
    }

    /// Lines dropped because the log could not keep up.
    pub fn dropped(&self) -> u64 {
        self.0
            .as_ref()
            .map_or(0, |s| s.dropped.load(Ordering::Relaxed))
    }

    /// Flushes every [`FLUSH_INTERVAL`], for as long as the runtime runs.
    pub async fn flush_regularly(self) {
        if self.0.is_none() {
            return;
        }
        let mut tick = tokio::time::interval(FLUSH_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            self.flush();
        }
    }
}

impl Sink {
    fn flush(&self) {
        let mut out = lock(&self.out);
        let batch = std::mem::take(&mut *lock(&self.waiting));
        if batch.is_empty() {
            return;
        }
        // A log that cannot be written must not take the server down (eprintln! would
        // panic): the lines are lost.
        let _ = out.write_all(&batch);
        // Hand the allocation back for the next batch, unless lines came meanwhile.
        let mut waiting = lock(&self.waiting);
        if waiting.is_empty() {
            let mut batch = batch;
            batch.clear();
            *waiting = batch;
        }
    }
}

fn open_append(path: &Path) -> Result<File, String> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("--access-log {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations() {
        assert_eq!("-".parse(), Ok(Destination::Stderr));
        assert_eq!("off".parse(), Ok(Destination::Off));
        assert_eq!(
            "a.log".parse(),
            Ok(Destination::File(PathBuf::from("a.log")))
        );
        assert!("".parse::<Destination>().is_err());
    }

    #[test]
    fn lines_stay_in_order_and_reach_the_file_when_flushed() {
        let path = std::env::temp_dir().join(format!("padlock-log-{}.log", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let log = AccessLog::open(&Destination::File(path.clone()), false).unwrap();
        log.request(format_args!("request {}", 1));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "");
        log.connection(format_args!("connection"));
        log.request(format_args!("request {}", 2));
        log.flush();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "request 1\nconnection\nrequest 2\n"
        );
        assert_eq!(log.dropped(), 0);
        std::fs::remove_file(&path).unwrap();
        let off = AccessLog::open(&Destination::Off, true).unwrap();
        assert!(!off.is_on());
        off.request(format_args!("nothing"));
    }
}
