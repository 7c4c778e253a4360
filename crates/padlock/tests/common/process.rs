//! Child processes for real TLS peers: output captured by reader threads, every wait bounded,
//! the process killed on drop. A wait that runs out panics with everything the peer printed,
//! because a bare "timed out" says nothing about why an interop test failed.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

/// Bound for every wait on a peer unless a test passes its own.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// What the reader threads have collected so far.
#[derive(Default)]
struct Captured {
    /// stdout and stderr interleaved in arrival order.
    combined: Vec<u8>,
    stdout: Vec<u8>,
    /// Pipes that reached end of file; at 2 the child can print nothing more.
    closed_pipes: u8,
}

type Shared = Arc<(Mutex<Captured>, Condvar)>;

fn lock(shared: &Shared) -> MutexGuard<'_, Captured> {
    // A reader thread never panics while holding the lock, but a poisoned lock must not hide
    // the output a failing test wants to show.
    shared.0.lock().unwrap_or_else(|e| e.into_inner())
}

fn spawn_reader(mut pipe: impl Read + Send + 'static, shared: Shared, is_stdout: bool) {
    thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let mut c = lock(&shared);
                    c.combined.extend_from_slice(&buf[..n]);
                    if is_stdout {
                        c.stdout.extend_from_slice(&buf[..n]);
                    }
                    shared.1.notify_all();
                }
            }
        }
        lock(&shared).closed_pipes += 1;
        shared.1.notify_all();
    });
}

/// Panics with a clear message when `name` is not an executable on `PATH`.
///
/// Interop tests never skip: `scripts/test.sh` installs every peer, so a missing one is a
/// broken environment that must be visible.
pub fn require_tool(name: &str) -> PathBuf {
    if let Some(found) = find_tool(name) {
        return found;
    }
    let package = match name {
        "gnutls-cli" | "gnutls-serv" => "gnutls-bin",
        other => other,
    };
    panic!(
        "required TLS peer `{name}` is not installed (not found on PATH). \
         Run ./scripts/test.sh, which installs it, or `apt-get install -y {package}`. \
         Interop tests never skip."
    );
}

fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// A loopback port that was free a moment ago (bind to port 0, read it back).
///
/// Another process may take it before the peer binds; the server builders retry on
/// "address in use".
pub fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    listener.local_addr().unwrap().port()
}

/// Whether something listens on `port` of this host.
///
/// On Linux this reads the kernel's socket table instead of connecting, because a probe
/// connection would be a real (failed) handshake for the peer and would consume servers
/// started with `-naccept 1`.
pub fn is_listening(port: u16) -> bool {
    let tables = ["/proc/net/tcp", "/proc/net/tcp6"];
    let mut any_table = false;
    for table in tables {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        any_table = true;
        let listening = text.lines().skip(1).any(|line| {
            let mut fields = line.split_whitespace();
            let local = fields.nth(1).unwrap_or("");
            let state = fields.nth(1).unwrap_or("");
            let local_port = local.rsplit(':').next().unwrap_or("");
            state == "0A" && u16::from_str_radix(local_port, 16) == Ok(port)
        });
        if listening {
            return true;
        }
    }
    if !any_table {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        return TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok();
    }
    false
}

/// A running peer process. Its stdin stays open until [`Peer::close_stdin`] (openssl
/// s_server exits on stdin EOF); it is killed when dropped.
pub struct Peer {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    shared: Shared,
}

impl Peer {
    /// Starts `cmd` with all three standard streams piped.
    pub fn spawn(mut cmd: Command) -> Peer {
        let program = cmd.get_program().to_string_lossy().into_owned();
        require_tool(&program);
        let args: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let name = format!("{program} {}", args.join(" "));
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `{name}`: {e}"));
        let shared: Shared = Arc::default();
        spawn_reader(child.stdout.take().unwrap(), shared.clone(), true);
        spawn_reader(child.stderr.take().unwrap(), shared.clone(), false);
        let stdin = child.stdin.take();
        Peer {
            name,
            child,
            stdin,
            shared,
        }
    }

    /// The command line, for messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything printed so far, stdout and stderr interleaved.
    pub fn output(&self) -> String {
        String::from_utf8_lossy(&lock(&self.shared).combined).into_owned()
    }

    /// Everything printed on stdout so far.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&lock(&self.shared).stdout).into_owned()
    }

    /// Writes `text` to the peer's stdin (for example `"K\n"` for a KeyUpdate in openssl).
    pub fn send_stdin(&mut self, text: &str) {
        let stdin = self
            .stdin
            .as_mut()
            .unwrap_or_else(|| panic!("stdin of `{}` is already closed", self.name));
        if let Err(e) = stdin
            .write_all(text.as_bytes())
            .and_then(|()| stdin.flush())
        {
            self.fail(&format!("cannot write to stdin: {e}"));
        }
    }

    /// Closes stdin, which makes openssl s_client/s_server and gnutls-cli finish.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits until something listens on `port`; panics with the output if the peer exits
    /// first or `timeout` passes.
    pub fn wait_for_port(&mut self, port: u16, timeout: Duration) {
        if let Err(why) = self.try_wait_for_port(port, timeout) {
            self.fail(&why);
        }
    }

    /// [`Peer::wait_for_port`] that reports failure instead of panicking.
    pub fn try_wait_for_port(&mut self, port: u16, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            if is_listening(port) {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                // Let the readers drain what the peer said before it died.
                self.wait_for_pipes_closed(Duration::from_secs(1));
                return Err(format!("exited ({status}) before listening on port {port}"));
            }
            if Instant::now() >= deadline {
                return Err(format!("port {port} not listening after {timeout:?}"));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the output contains `needle`; returns the whole output at that point.
    /// Panics with the output if the peer closes its pipes first or `timeout` passes.
    pub fn wait_for_output(&self, needle: &str, timeout: Duration) -> String {
        self.wait_for_output_count(needle, 1, timeout)
    }

    /// Waits until `needle` occurs at least `count` times in the output (for example a second
    /// "ClientHello" after a HelloRetryRequest).
    pub fn wait_for_output_count(&self, needle: &str, count: usize, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        let mut c = lock(&self.shared);
        loop {
            let text = String::from_utf8_lossy(&c.combined).into_owned();
            if text.matches(needle).count() >= count {
                return text;
            }
            let now = Instant::now();
            let why = if c.closed_pipes >= 2 {
                Some("the peer closed its output")
            } else if now >= deadline {
                Some("timed out")
            } else {
                None
            };
            if let Some(why) = why {
                drop(c);
                self.fail(&format!(
                    "waiting for {count} x {needle:?} in the output: {why} after {timeout:?}"
                ));
            }
            c = self
                .shared
                .1
                .wait_timeout(c, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Waits for a line starting with `prefix` and returns the rest of it, trimmed; e.g.
    /// `wait_for_line("listening on ", t)` gives the address `padlock serve` bound.
    pub fn wait_for_line(&self, prefix: &str, timeout: Duration) -> String {
        let needle = if prefix.is_empty() { "\n" } else { prefix };
        let deadline = Instant::now() + timeout;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let text = self.wait_for_output(needle, remaining);
            let found = text
                .lines()
                .zip(text.split_inclusive('\n'))
                // Only complete lines: the rest of a line may still be on its way.
                .filter(|(_, raw)| raw.ends_with('\n'))
                .find_map(|(line, _)| line.strip_prefix(prefix));
            if let Some(rest) = found {
                return rest.trim().to_string();
            }
            if remaining.is_zero() {
                self.fail(&format!("no complete line starting with {prefix:?}"));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the process to exit on its own; panics with the output after `timeout`.
    pub fn wait_for_exit(&mut self, timeout: Duration) -> ExitStatus {
        match self.wait_bounded(timeout) {
            Some(status) => status,
            None => self.fail(&format!("still running after {timeout:?}")),
        }
    }

    /// The exit status if the process ends within `timeout`, else `None` (still running).
    fn wait_bounded(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                self.wait_for_pipes_closed(Duration::from_secs(2));
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Gives the reader threads a bounded time to collect the last output (a grandchild could
    /// hold the pipes open forever, so this never blocks unbounded).
    fn wait_for_pipes_closed(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let mut c = lock(&self.shared);
        while c.closed_pipes < 2 {
            let now = Instant::now();
            if now >= deadline {
                return;
            }
            c = self
                .shared
                .1
                .wait_timeout(c, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Kills the process (idempotent).
    pub fn kill(&mut self) {
        self.stdin = None;
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Panics with `why` and everything the peer printed.
    pub fn fail(&self, why: &str) -> ! {
        panic!(
            "peer `{}`: {why}\n----- peer output -----\n{}\n-----------------------",
            self.name,
            self.output()
        );
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.kill();
        if thread::panicking() {
            // The failing assertion may not mention the peer; its output usually explains it.
            eprintln!(
                "----- output of `{}` -----\n{}\n-----",
                self.name,
                self.output()
            );
        }
    }
}

/// A finished (or timed-out and killed) run of a command-line client.
#[derive(Debug)]
pub struct ToolRun {
    /// The command line.
    pub command: String,
    /// Exit status; `None` when the run timed out and was killed.
    pub status: Option<ExitStatus>,
    /// stdout and stderr interleaved.
    pub output: String,
    /// stdout alone (curl's `-w` text, a response body).
    pub stdout: String,
}

impl ToolRun {
    /// Exited with status 0.
    pub fn success(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }

    /// Whether the run was killed for running past its timeout.
    pub fn timed_out(&self) -> bool {
        self.status.is_none()
    }

    /// Panics with the output unless the run succeeded.
    #[track_caller]
    pub fn assert_success(&self) -> &Self {
        if !self.success() {
            self.fail("expected success");
        }
        self
    }

    /// Panics with the output unless the run ended (within its timeout) with a failure.
    #[track_caller]
    pub fn assert_failure(&self) -> &Self {
        if self.success() || self.timed_out() {
            self.fail("expected a failure exit");
        }
        self
    }

    /// Panics with the output unless it contains `needle`.
    #[track_caller]
    pub fn assert_output_contains(&self, needle: &str) -> &Self {
        if !self.output.contains(needle) {
            self.fail(&format!("expected {needle:?} in the output"));
        }
        self
    }

    /// Panics with `why`, the status and the output.
    #[track_caller]
    pub fn fail(&self, why: &str) -> ! {
        let status = match self.status {
            Some(s) => s.to_string(),
            None => "killed after timeout".to_string(),
        };
        panic!(
            "`{}`: {why} (status: {status})\n----- output -----\n{}\n------------------",
            self.command, self.output
        );
    }
}

/// Runs `cmd` to completion with `stdin` written then closed, killing it after `timeout`.
pub fn run_tool(cmd: Command, stdin: &str, timeout: Duration) -> ToolRun {
    let mut peer = Peer::spawn(cmd);
    if !stdin.is_empty() {
        // A client that already failed has closed its stdin; its status tells the story.
        if let Some(pipe) = peer.stdin.as_mut() {
            let _ = pipe.write_all(stdin.as_bytes());
        }
    }
    peer.close_stdin();
    let status = peer.wait_bounded(timeout);
    if status.is_none() {
        peer.kill();
        peer.wait_for_pipes_closed(Duration::from_secs(1));
    }
    ToolRun {
        command: peer.name.clone(),
        status,
        output: peer.output(),
        stdout: peer.stdout(),
    }
}
