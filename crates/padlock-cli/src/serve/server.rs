//! Accepting and serving connections: handshake and idle timeouts, a connection limit,
//! HTTP/2 or HTTP/1.x by ALPN, the 0-RTT rule, access log lines (see log.rs), and a
//! graceful shutdown that lets requests in flight finish.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::body::{Bytes, Frame, Incoming, SizeHint};
use hyper::header::{HeaderValue, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode, Version};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use padlock::{HandshakeInfo, ServerConfig};
use padlock_tokio::TlsAcceptor;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinSet;

use super::body::Body;
use super::early::{self, EarlyFirst};
use super::idle::IdleTimeout;
use super::linger::Lingering;
use super::log::AccessLog;
use super::notice::Notices;
use super::offered::Offered;
use super::page;

/// The bounds every connection lives under.
#[derive(Debug, Clone)]
pub struct Limits {
    /// A client must finish its handshake within this (a ClientHello that never completes,
    /// one byte a minute, ...).
    pub handshake_timeout: Duration,
    /// A connection on which no byte moves for this long is closed.
    pub idle_timeout: Duration,
    /// Connections served at once; further clients wait in the listen queue.
    pub max_connections: usize,
    /// How long a graceful shutdown waits for requests in flight before it cuts them.
    pub drain_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            handshake_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            max_connections: 8192,
            drain_timeout: Duration::from_secs(10),
        }
    }
}

/// Counters, readable while the server runs; printed when it stops.
#[derive(Debug, Default)]
pub struct Stats {
    /// TCP connections accepted.
    pub accepted: AtomicU64,
    /// Handshakes completed.
    pub handshakes: AtomicU64,
    /// Connections dropped because their handshake did not finish in time.
    pub handshake_timeouts: AtomicU64,
    /// Handshakes that failed (bad ClientHello, no common parameters, peer alert...).
    pub handshake_failures: AtomicU64,
    /// Connections closed after the handshake because nothing moved for the idle timeout.
    pub idle_timeouts: AtomicU64,
    /// HTTP requests answered.
    pub requests: AtomicU64,
}

impl Stats {
    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters as a JSON object (the shutdown summary with --json).
    pub fn to_json(&self) -> serde_json::Value {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        serde_json::json!({
            "accepted": get(&self.accepted),
            "handshakes": get(&self.handshakes),
            "handshake_timeouts": get(&self.handshake_timeouts),
            "handshake_failures": get(&self.handshake_failures),
            "idle_timeouts": get(&self.idle_timeouts),
            "requests": get(&self.requests),
        })
    }

    /// One line for logs.
    pub fn summary(&self) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        format!(
            "{} accepted, {} handshakes, {} handshake timeouts, {} handshake failures, {} idle timeouts, {} requests",
            get(&self.accepted),
            get(&self.handshakes),
            get(&self.handshake_timeouts),
            get(&self.handshake_failures),
            get(&self.idle_timeouts),
            get(&self.requests),
        )
    }
}

/// What one connection's handshake established, shared by its requests.
#[derive(Debug)]
pub struct Visit {
    pub peer: SocketAddr,
    pub info: HandshakeInfo,
    /// What the client offered, when its ClientHello was traced.
    pub offered: Option<Offered>,
    /// The handshake page as last rendered for this connection.
    pub page: page::Rendered,
}

/// Where the server writes: the access log, and its own messages.
pub struct Logs {
    pub access: AccessLog,
    pub notices: Notices,
}

/// A boxed response future.
pub type ResponseFuture = Pin<Box<dyn Future<Output = Response<Body>> + Send>>;
/// Answers one request, knowing the connection's handshake and whether the request came as
/// 0-RTT early data (only GET and HEAD get that far: others get 425 first).
pub type Handler = Arc<dyn Fn(Request<Incoming>, Arc<Visit>, bool) -> ResponseFuture + Send + Sync>;

/// Accepts and serves connections until the first message on `shutdown`, then stops
/// accepting, asks every connection to finish its current requests (HTTP/2 GOAWAY, HTTP/1.1
/// close after the response) and waits for them up to `limits.drain_timeout`, or until a
/// second message (a second Ctrl-C) says not to wait.
pub async fn serve(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    limits: Limits,
    stats: Arc<Stats>,
    handler: Handler,
    logs: Logs,
    mut shutdown: mpsc::Receiver<()>,
) {
    let Logs {
        access: log,
        notices,
    } = logs;
    let acceptor = TlsAcceptor::from(config);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    loop {
        // At the limit, stop accepting: clients wait in the kernel's listen queue instead
        // of costing us memory.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            _ = shutdown.recv() => break,
        };
        let Ok(slot) = slot else { break };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.recv() => break,
            // Reap finished connections so the set does not grow with the server's uptime.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let (tcp, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                notices.say(
                    "accept_failed",
                    format_args!("accept failed: {e}"),
                    || serde_json::json!({ "error": e.to_string() }),
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        Stats::bump(&stats.accepted);
        tcp.set_nodelay(true).ok();
        let (acceptor, limits, stats, handler, log, stop) = (
            acceptor.clone(),
            limits.clone(),
            stats.clone(),
            handler.clone(),
            log.clone(),
            stop_rx.clone(),
        );
        connections.spawn(async move {
            let conn = Connection {
                peer,
                stats: &stats,
                handler,
                log,
                stop,
            };
            if let Err(e) = conn.run(tcp, acceptor, &limits).await {
                notices.connection_error(peer, &e);
            }
            drop(slot);
        });
    }
    // Graceful shutdown: no new connections; the ones we have finish what they are doing.
    drop(listener);
    stop_tx.send_replace(true);
    let open = connections.len();
    notices.say(
        "stopping",
        format_args!(
            "stopping: no new connections; waiting up to {:?} for the {open} open",
            limits.drain_timeout
        ),
        || {
            serde_json::json!({
                "open_connections": open,
                "drain_timeout_ms": limits.drain_timeout.as_millis() as u64,
            })
        },
    );
    let drained = tokio::time::timeout(limits.drain_timeout, async {
        tokio::select! {
            () = async { while connections.join_next().await.is_some() {} } => true,
            Some(()) = shutdown.recv() => false,
        }
    })
    .await;
    if drained != Ok(true) {
        let busy = connections.len();
        notices.say(
            "closing",
            format_args!("closing the {busy} connections still busy"),
            || serde_json::json!({ "busy_connections": busy }),
        );
        connections.shutdown().await;
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// One accepted connection.
struct Connection<'a> {
    peer: SocketAddr,
    stats: &'a Stats,
    handler: Handler,
    log: AccessLog,
    stop: watch::Receiver<bool>,
}

impl Connection<'_> {
    /// Handshake under its timeout, then HTTP until the client leaves, falls idle, or the
    /// server shuts down. Timeouts are counted, not logged: under a slow-loris attack a line
    /// each would flood the log.
    async fn run(
        mut self,
        tcp: TcpStream,
        acceptor: TlsAcceptor,
        limits: &Limits,
    ) -> Result<(), String> {
        let io = IdleTimeout::new(Lingering::new(tcp), limits.idle_timeout);
        let idled = io.expired_flag();
        let started = Instant::now();
        let handshake = tokio::time::timeout(limits.handshake_timeout, acceptor.accept(io));
        let tls = tokio::select! {
            r = handshake => r,
            _ = self.stop.wait_for(|stop| *stop) => return Ok(()),
        };
        let mut tls = match tls {
            Ok(Ok(tls)) => tls,
            Ok(Err(e)) if e.kind() == io::ErrorKind::TimedOut => {
                Stats::bump(&self.stats.handshake_timeouts);
                return Ok(());
            }
            Ok(Err(e)) => {
                Stats::bump(&self.stats.handshake_failures);
                return Err(handshake_failure(&e));
            }
            Err(_) => {
                Stats::bump(&self.stats.handshake_timeouts);
                return Ok(());
            }
        };
        Stats::bump(&self.stats.handshakes);
        // 0-RTT data (RFC 8446 §2.3) is the start of the client's byte stream: it goes back
        // in front of it, and the requests that begin in it are counted (see early.rs).
        let early_data = tls.take_early_data();
        let visit = Arc::new(Visit {
            peer: self.peer,
            offered: Offered::take_from(tls.connection_mut()),
            info: tls.connection().info().clone(),
            page: page::Rendered::default(),
        });
        if self.log.is_json() {
            let line = handshake_json(&visit, early_data.len(), started.elapsed());
            self.log.connection(format_args!("{line}"));
        } else if self.log.is_on() {
            self.log.connection(format_args!(
                "{}: {}",
                self.peer,
                page::describe(&visit.info, early_data.len())
            ));
        }
        let h2 = visit.info.alpn.as_deref() == Some(b"h2");
        let early_requests = match (early_data.is_empty(), h2) {
            (true, _) => 0,
            (false, true) => early::h2_requests(&early_data),
            (false, false) => early::http1_requests(&early_data),
        };
        let io = EarlyFirst::new(early_data, tls);
        let result = self.http(io, h2, visit, early_requests).await;
        // hyper may close an idle HTTP/1.1 connection cleanly when its read fails, so ask the
        // transport rather than the result.
        if idled.load(Ordering::Relaxed) {
            Stats::bump(&self.stats.idle_timeouts);
            return Ok(());
        }
        match result {
            Err(e) if !peer_went_away(&*e) => Err(e.to_string()),
            _ => Ok(()),
        }
    }

    /// Serves HTTP/2 or HTTP/1.x until the connection ends; on `stop`, finishes the requests
    /// in flight and closes. The first `early_requests` requests came as 0-RTT data.
    async fn http<IO>(
        &mut self,
        io: IO,
        h2: bool,
        visit: Arc<Visit>,
        early_requests: usize,
    ) -> Result<(), BoxError>
    where
        IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let seen = AtomicUsize::new(0);
        let stats = self.stats;
        let log = &self.log;
        let service = service_fn(|req| {
            // Counted when hyper hands the request over, in arrival order (see early.rs).
            let early = seen.fetch_add(1, Ordering::Relaxed) < early_requests;
            Stats::bump(&stats.requests);
            let response = respond(
                req,
                visit.clone(),
                early,
                h2,
                self.handler.clone(),
                log.clone(),
            );
            async move { Ok::<_, Infallible>(response.await) }
        });
        let io = TokioIo::new(io);
        let stop = &mut self.stop;
        if h2 {
            let conn = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                .timer(TokioTimer::new())
                .serve_connection(io, service);
            tokio::pin!(conn);
            tokio::select! {
                r = conn.as_mut() => return Ok(r?),
                _ = stop.wait_for(|stop| *stop) => conn.as_mut().graceful_shutdown(),
            }
            Ok(conn.await?)
        } else {
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .serve_connection(io, service);
            tokio::pin!(conn);
            tokio::select! {
                r = conn.as_mut() => return Ok(r?),
                _ = stop.wait_for(|stop| *stop) => conn.as_mut().graceful_shutdown(),
            }
            Ok(conn.await?)
        }
    }
}

/// Whether an error only says that the client left (reset, or closed without close_notify,
/// as many clients do once they have their response): not worth a log line.
fn peer_went_away(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<io::Error>() {
            use io::ErrorKind::{BrokenPipe, ConnectionReset, UnexpectedEof};
            return matches!(io.kind(), BrokenPipe | ConnectionReset | UnexpectedEof);
        }
        cur = err.source();
    }
    false
}

/// The response to one request: 425 for an unsafe request sent as 0-RTT data, else the
/// handler's; HEAD gets the headers only; logged once its body is sent.
fn respond(
    req: Request<Incoming>,
    visit: Arc<Visit>,
    early: bool,
    h2: bool,
    handler: Handler,
    log: AccessLog,
) -> impl Future<Output = Response<LoggedBody>> + Send + 'static {
    // Nothing to gather when nothing is logged.
    let mut entry = log.is_on().then(|| RequestLine {
        json: log.is_json(),
        started: Instant::now(),
        peer: visit.peer,
        method: req.method().clone(),
        path: req.uri().path().to_owned(),
        version: req.version(),
        alpn: visit.info.alpn.clone(),
        early,
        status: StatusCode::OK,
        bytes: 0,
    });
    let safe = matches!(*req.method(), Method::GET | Method::HEAD);
    let head = req.method() == Method::HEAD;
    async move {
        let mut response = if early && !safe {
            too_early(h2)
        } else {
            handler(req, visit, early).await
        };
        if head {
            // hyper leaves out HEAD bodies in HTTP/1.x but not in HTTP/2: the length stays
            // (RFC 9110 §9.3.2), the body goes.
            let len = response.body().len();
            response
                .headers_mut()
                .entry(CONTENT_LENGTH)
                .or_insert(len.into());
            *response.body_mut() = Body::empty();
        }
        if let Some(entry) = &mut entry {
            entry.status = response.status();
        }
        response.map(|body| LoggedBody { body, entry, log })
    }
}

/// RFC 8470 §5.2: early data may be a replay, so a request that is not safe to repeat is
/// refused and the client sends it again after the handshake.
fn too_early(h2: bool) -> Response<Body> {
    let mut response = Response::new(Body::text(
        "this request came as 0-RTT early data, which can be replayed: send it again after the handshake\n",
    ));
    *response.status_mut() = StatusCode::from_u16(425).unwrap_or(StatusCode::BAD_REQUEST);
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    if !h2 {
        // The request's body, if any, is unread: the connection cannot go on past it (and
        // early.rs counts on nothing after it being served).
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// The access log's JSON object for a handshake. The names are those of `padlock connect
/// --json` where the concept is the same.
fn handshake_json(visit: &Visit, early_data: usize, took: Duration) -> serde_json::Value {
    let info = &visit.info;
    serde_json::json!({
        "event": "handshake",
        "peer": visit.peer.to_string(),
        "server_name": info.server_name,
        "version": info.cipher_suite.map(|_| "TLSv1.3"),
        "cipher_suite": info.cipher_suite,
        "group": info.group_name,
        "hello_retry": info.hello_retry,
        "alpn": info.alpn.as_deref().map(String::from_utf8_lossy),
        "resumed": info.resumed,
        "early_data_accepted": info.early_data_accepted,
        "early_data_bytes": early_data,
        "client_authenticated": info.client_authenticated,
        // None on a resumed session: the certificate was checked when it began.
        "client_certificate": page::client_subject(info),
        // From the TCP accept: the wait for the ClientHello counts too.
        "handshake_ms": took.as_secs_f64() * 1000.0,
    })
}

/// One access log line, written when the response is done.
struct RequestLine {
    /// Written as a JSON object (`--json`).
    json: bool,
    started: Instant,
    peer: SocketAddr,
    method: Method,
    path: String,
    version: Version,
    alpn: Option<Vec<u8>>,
    early: bool,
    status: StatusCode,
    bytes: u64,
}

impl std::fmt::Display for RequestLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.json {
            let line = serde_json::json!({
                "event": "request",
                "peer": self.peer.to_string(),
                "method": self.method.as_str(),
                "path": self.path,
                "http_version": format!("{:?}", self.version),
                "status": self.status.as_u16(),
                "bytes": self.bytes,
                "alpn": self.alpn.as_deref().map(String::from_utf8_lossy),
                "early_data": self.early,
                "duration_ms": self.started.elapsed().as_secs_f64() * 1000.0,
            });
            return write!(f, "{line}");
        }
        let alpn = self
            .alpn
            .as_deref()
            .map_or("-".into(), String::from_utf8_lossy);
        write!(
            f,
            "{} \"{} {} {:?}\" {} {} alpn={alpn} {:.1}ms{}",
            self.peer,
            self.method,
            self.path,
            self.version,
            self.status.as_u16(),
            self.bytes,
            self.started.elapsed().as_secs_f64() * 1000.0,
            if self.early { " 0-RTT" } else { "" },
        )
    }
}

/// A response body that counts what it sends and logs the request when it is dropped: once
/// sent, or when the client went away first.
pub struct LoggedBody {
    body: Body,
    /// `None` when the access log is off.
    entry: Option<RequestLine>,
    log: AccessLog,
}

impl Drop for LoggedBody {
    fn drop(&mut self) {
        if let Some(entry) = &self.entry {
            self.log.request(format_args!("{entry}"));
        }
    }
}

impl hyper::body::Body for LoggedBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        let frame = Pin::new(&mut this.body).poll_frame(cx);
        if let (Poll::Ready(Some(Ok(f))), Some(entry)) = (&frame, &mut this.entry) {
            if let Some(data) = f.data_ref() {
                entry.bytes += data.len() as u64;
            }
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A failed handshake, for the log: padlock's sentence, with the fix when padlock knows one
/// (a client certificate it refused: expired, revoked, from an unknown CA...).
fn handshake_failure(e: &io::Error) -> String {
    match e.get_ref().and_then(|e| e.downcast_ref::<padlock::Error>()) {
        Some(tls) => match tls.fix() {
            Some(fix) => format!("handshake failed: {tls} Fix: {fix}"),
            None => format!("handshake failed: {tls}"),
        },
        None => format!("handshake failed: {e}"),
    }
}
