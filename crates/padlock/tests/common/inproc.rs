//! A padlock server running inside the test process, for tests that point real clients
//! (`openssl s_client`, `gnutls-cli`, `curl`, raw sockets) at padlock and then check what the
//! *server* recorded: its `HandshakeInfo`, the typed `padlock::Error` that ended a connection,
//! the 0-RTT data it accepted, the KeyUpdates it saw.
//!
//! Every server and every connection is bounded in time and size, so a misbehaving client can
//! fail a test but never hang it.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use padlock::{Connection, Error, Event, HandshakeInfo, ServerConfig, Stream};

use super::{Peer, DEFAULT_TIMEOUT};

/// What the server does once the handshake is done.
#[derive(Clone, Copy, Debug)]
pub enum Service {
    /// Sends back the 0-RTT data (if any), then every byte received until the client's
    /// close_notify.
    Echo,
    /// Reads one HTTP/1.x request head and answers `200 OK` with [`PAGE`], then closes.
    Http,
}

/// The body the HTTP service answers with.
pub const PAGE: &str = "hello from the padlock test server\n";
/// Connections one test server accepts before it stops listening.
pub const MAX_CONNECTIONS: usize = 64;
/// How long one test server lives at most, whatever the test does.
pub const SERVER_LIFETIME: Duration = Duration::from_secs(60);
/// Read/write timeout on each accepted socket, so a silent client cannot hang a handler.
pub const IO_TIMEOUT: Duration = Duration::from_secs(15);
/// Bytes of application data a connection records (the rest is echoed, not kept).
pub const MAX_RECORDED: usize = 64 * 1024;

/// What the server saw on one connection.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// The handshake's outcome, if it completed.
    pub info: Option<HandshakeInfo>,
    /// The 0-RTT data [`Connection::take_early_data`] gave after the handshake.
    pub early: Vec<u8>,
    /// Whether [`Event::EarlyDataReceived`] was raised.
    pub early_event: bool,
    /// The TLS error that ended the connection, if one did.
    pub error: Option<Error>,
    /// A transport error that was not a TLS error (timeout, reset), if one happened.
    pub io_error: Option<String>,
    /// Application data received after the handshake (at most [`MAX_RECORDED`] bytes).
    pub received: Vec<u8>,
    /// One entry per KeyUpdate from the peer: whether it had update_requested.
    pub key_updates: Vec<bool>,
    /// Whether the peer sent close_notify.
    pub peer_closed: bool,
    /// A panic inside padlock while serving (must never happen).
    pub panicked: Option<String>,
}

impl Seen {
    /// The handshake's outcome; panics (showing everything seen) if there was none.
    pub fn info(&self) -> &HandshakeInfo {
        self.info
            .as_ref()
            .unwrap_or_else(|| panic!("the server completed no handshake: {self:?}"))
    }

    /// The TLS error that ended the connection; panics if there was none.
    pub fn error(&self) -> &Error {
        self.error
            .as_ref()
            .unwrap_or_else(|| panic!("the server recorded no TLS error: {self:?}"))
    }
}

type Log = Arc<(Mutex<Vec<Seen>>, Condvar)>;

/// A padlock server on 127.0.0.1:<free port>, one thread per connection. Stops accepting when
/// dropped (handlers end on their own: every socket has a timeout).
pub struct Server {
    /// The port it listens on.
    pub port: u16,
    log: Log,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl Server {
    /// Listens on a free port and serves every connection with `config`, then `service`.
    pub fn start(config: ServerConfig, service: Service) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        // Non-blocking accept so the loop can notice `stop` and its own deadline.
        listener.set_nonblocking(true).unwrap();
        let config = Arc::new(config);
        let log: Log = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let (log, stop) = (log.clone(), stop.clone());
            thread::spawn(move || accept_loop(listener, config, service, log, stop))
        };
        Server {
            port,
            log,
            stop,
            acceptor: Some(acceptor),
        }
    }

    /// Waits until `n` connections have finished; returns all of them in completion order.
    /// Fails the test if padlock panicked on any of them.
    pub fn wait_seen(&self, n: usize) -> Vec<Seen> {
        let deadline = Instant::now() + DEFAULT_TIMEOUT;
        let (lock, cond) = &*self.log;
        let mut seen = lock.lock().unwrap();
        while seen.len() < n {
            let now = Instant::now();
            assert!(
                now < deadline,
                "the server finished {} of {n} connections within {DEFAULT_TIMEOUT:?}: {:#?}",
                seen.len(),
                *seen
            );
            seen = cond.wait_timeout(seen, deadline - now).unwrap().0;
        }
        for s in seen.iter() {
            assert!(
                s.panicked.is_none(),
                "padlock panicked while serving: {s:?}"
            );
        }
        seen.clone()
    }

    /// The `n`th finished connection (1-based), waiting for it.
    pub fn nth(&self, n: usize) -> Seen {
        self.wait_seen(n).swap_remove(n - 1)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.acceptor.take() {
            let _ = t.join();
        }
    }
}

fn accept_loop(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    service: Service,
    log: Log,
    stop: Arc<AtomicBool>,
) {
    let deadline = Instant::now() + SERVER_LIFETIME;
    let accepted = AtomicUsize::new(0);
    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        match listener.accept() {
            Ok((tcp, _)) => {
                if accepted.fetch_add(1, Ordering::Relaxed) >= MAX_CONNECTIONS {
                    return;
                }
                let (config, log) = (config.clone(), log.clone());
                thread::spawn(move || {
                    // A panic is recorded, not lost with the thread: wait_seen reports it.
                    let seen = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        serve(tcp, config, service)
                    }))
                    .unwrap_or_else(|payload| Seen {
                        panicked: Some(
                            payload
                                .downcast_ref::<String>()
                                .cloned()
                                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                                .unwrap_or_default(),
                        ),
                        ..Seen::default()
                    });
                    let (lock, cond) = &*log;
                    lock.lock().unwrap().push(seen);
                    cond.notify_all();
                });
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(5))
            }
            Err(e) => panic!("accept failed: {e}"),
        }
    }
}

fn serve(tcp: TcpStream, config: Arc<ServerConfig>, service: Service) -> Seen {
    tcp.set_nonblocking(false).unwrap();
    tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    tcp.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    tcp.set_nodelay(true).unwrap();
    let conn = Connection::server(config).unwrap();
    let mut tls = Stream::new(conn, tcp);
    let mut seen = Seen::default();
    let result = tls.handshake().and_then(|()| {
        seen.info = Some(tls.connection().info().clone());
        // Every 0-RTT record precedes the client's Finished (RFC 8446 §2.3), so it has all
        // arrived.
        seen.early = tls.connection_mut().take_early_data();
        match service {
            Service::Echo => {
                tls.write_all(&seen.early)?;
                echo(&mut tls, &mut seen)
            }
            Service::Http => http(&mut tls, &mut seen),
        }
    });
    while let Some(event) = tls.connection_mut().next_event() {
        match event {
            Event::PeerKeyUpdated { update_requested } => seen.key_updates.push(update_requested),
            Event::PeerClosed => seen.peer_closed = true,
            Event::EarlyDataReceived => seen.early_event = true,
            _ => {}
        }
    }
    seen.peer_closed |= tls.connection().peer_closed();
    if let Err(e) = result {
        seen.error = tls.connection().error().cloned();
        if seen.error.is_none() {
            seen.io_error = Some(e.to_string());
        }
    }
    linger(tls.get_mut());
    seen
}

fn record(seen: &mut Seen, data: &[u8]) {
    let room = MAX_RECORDED.saturating_sub(seen.received.len());
    seen.received
        .extend_from_slice(&data[..data.len().min(room)]);
}

fn echo(tls: &mut Stream<TcpStream>, seen: &mut Seen) -> io::Result<()> {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = tls.read(&mut buf)?;
        if n == 0 {
            // The client's close_notify: answer with ours (RFC 8446 §6.1).
            return tls.close();
        }
        record(seen, &buf[..n]);
        tls.write_all(&buf[..n])?;
    }
}

fn http(tls: &mut Stream<TcpStream>, seen: &mut Seen) -> io::Result<()> {
    let mut buf = [0u8; 4096];
    while !seen.received.windows(4).any(|w| w == b"\r\n\r\n") {
        if seen.received.len() >= MAX_RECORDED {
            return Err(io::Error::other("request head too large"));
        }
        let n = tls.read(&mut buf)?;
        if n == 0 {
            return Err(io::Error::other("client closed before a full request"));
        }
        record(seen, &buf[..n]);
    }
    let version = if seen.received.starts_with(b"GET / HTTP/1.0") {
        "HTTP/1.0"
    } else {
        "HTTP/1.1"
    };
    let response = format!(
        "{version} 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{PAGE}",
        PAGE.len()
    );
    tls.write_all(response.as_bytes())?;
    tls.close()
}

/// Half-closes and reads what the client still sends, so that closing the socket with unread
/// data does not reset the connection and destroy our last records in the client's buffer.
fn linger(tcp: &mut TcpStream) {
    let _ = tcp.shutdown(Shutdown::Write);
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(2)));
    let mut sink = [0u8; 4096];
    while matches!(tcp.read(&mut sink), Ok(n) if n > 0) {}
}

// ---------------------------------------------------------------------------------------------
// Interactive clients against the echo service
// ---------------------------------------------------------------------------------------------

/// A line only the echo service can put in a client's output (unique within the process).
pub fn token(what: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("padlock-echo-{what}-{}", N.fetch_add(1, Ordering::Relaxed))
}

/// Sends `line` and waits for the echo service's copy of it.
pub fn echo_through(peer: &mut Peer, line: &str) {
    peer.send_stdin(&format!("{line}\n"));
    peer.wait_for_output(line, DEFAULT_TIMEOUT);
}

/// Closes stdin (the client then sends close_notify) and expects a clean exit; returns the
/// client's output.
pub fn finish(mut peer: Peer) -> String {
    peer.close_stdin();
    let status = peer.wait_for_exit(DEFAULT_TIMEOUT);
    if !status.success() {
        peer.fail(&format!("exited with {status}"));
    }
    peer.output()
}

/// Between two lines echoed through `peer` (an `openssl s_client -msg` against
/// [`Service::Echo`]), has s_client send a KeyUpdate (RFC 8446 §4.6.3): `K` with
/// update_requested, after which the server's answering KeyUpdate is awaited, or `k` without.
/// Returns the two lines.
pub fn openssl_key_update(peer: &mut Peer, update_requested: bool) -> (String, String) {
    let before = token("before");
    echo_through(peer, &before);
    // s_client drops whatever else arrives on stdin in the same read, so the second line waits
    // for the KeyUpdate to have gone through.
    let (command, wait_for) = if update_requested {
        ("K\n", "<<< TLS 1.3, Handshake [length 0005], KeyUpdate")
    } else {
        ("k\n", ">>> TLS 1.3, Handshake [length 0005], KeyUpdate")
    };
    peer.send_stdin(command);
    peer.wait_for_output(wait_for, DEFAULT_TIMEOUT);
    let after = token("after");
    echo_through(peer, &after);
    (before, after)
}
