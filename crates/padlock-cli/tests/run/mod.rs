//! Running the `padlock` binary from a test and reading what it said; shared by the test
//! files that include it with `mod run;`.

// Each test file uses its own subset of these helpers.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// `padlock args...`, run to completion.
pub fn padlock(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_padlock"))
        .args(args)
        .output()
        .expect("run padlock")
}

/// Output bytes as text (lossy: a test should see what was printed, whatever it is).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The stderr of a failed run, checked to be exactly one line starting with "padlock: ".
#[track_caller]
pub fn failure_line(out: &Output) -> String {
    let stderr = text(&out.stderr);
    assert!(
        !out.status.success(),
        "expected failure:\n{}\n{stderr}",
        text(&out.stdout)
    );
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr expected: {stderr:?}");
    assert!(lines[0].starts_with("padlock: "), "{stderr}");
    lines[0].to_string()
}

/// Panics unless each needle appears after the previous one.
#[track_caller]
pub fn assert_in_order(haystack: &str, needles: &[&str]) {
    let mut from = 0;
    for needle in needles {
        match haystack.get(from..).and_then(|rest| rest.find(needle)) {
            Some(at) => from += at + needle.len(),
            None => panic!("{needle:?} missing or out of order in:\n{haystack}"),
        }
    }
}

/// A plain TCP server on a free port for one connection: it reads the ClientHello record,
/// answers `reply` (maybe nothing) and closes.
pub fn plain_server(reply: &'static [u8]) -> (u16, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut tcp, _) = listener.accept().unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        // Read the whole ClientHello record: closing with unread data would send a reset
        // instead of the orderly close the tests want.
        let mut header = [0u8; 5];
        tcp.read_exact(&mut header).unwrap();
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        tcp.read_exact(&mut vec![0u8; len]).unwrap();
        tcp.write_all(reply).unwrap();
    });
    (port, server)
}

/// A fresh directory under the system's temp dir, removed on drop (no tempfile dependency).
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "padlock-cli-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// The path of `name` inside the directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// [`TempDir::path`] as a command-line argument.
    pub fn arg(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
