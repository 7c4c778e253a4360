//! `padlock serve` on tokio: thousands of connections on a few threads, HTTP/2 or HTTP/1.1 by
//! ALPN (hyper over padlock-tokio), with a handshake timeout, an idle timeout, a connection
//! limit and a graceful shutdown that lets requests in flight finish.
//!
//! Self-contained on purpose (it uses nothing else from this crate), so padlock-tokio's tests
//! can include it by path.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use padlock::{CertifiedKey, HandshakeInfo, KeyLogFile, ServerConfig, SniResolver};
use padlock_tokio::{TlsAcceptor, TlsStream};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tokio::time::{sleep_until, Instant, Sleep};

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

/// Counters, readable while the server runs.
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
    /// Connections open right now (handshaking or serving).
    pub active: AtomicUsize,
}

impl Stats {
    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
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

/// The response body type every handler returns.
pub type Body = Full<Bytes>;
/// A boxed response future.
pub type ResponseFuture = Pin<Box<dyn Future<Output = Response<Body>> + Send>>;
/// Answers one request, knowing the connection's handshake.
pub type Handler =
    Arc<dyn Fn(Request<Incoming>, Arc<HandshakeInfo>) -> ResponseFuture + Send + Sync>;

/// The page `padlock serve` shows: the visitor's own handshake.
pub fn handshake_page() -> Handler {
    Arc::new(|req, info| {
        let response = match (req.method(), req.uri().path()) {
            (&Method::GET | &Method::HEAD, "/") => {
                Response::new(Full::new(Bytes::from(page(&info, req.version()))))
            }
            (&Method::GET | &Method::HEAD, _) => status(StatusCode::NOT_FOUND, "not found\n"),
            _ => status(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n"),
        };
        Box::pin(async move { response })
    })
}

fn status(code: StatusCode, text: &'static str) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *r.status_mut() = code;
    r
}

fn page(info: &HandshakeInfo, version: hyper::Version) -> String {
    let alpn = info
        .alpn
        .as_ref()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .unwrap_or_else(|| "(none)".into());
    let rows = [
        ("version", "TLS 1.3".to_string()),
        ("cipher suite", info.cipher_suite.unwrap_or("?").to_string()),
        (
            "key exchange group",
            info.group_name.unwrap_or("?").to_string(),
        ),
        (
            "HelloRetryRequest",
            if info.hello_retry { "yes" } else { "no" }.into(),
        ),
        ("resumed", if info.resumed { "yes" } else { "no" }.into()),
        ("ALPN", alpn),
        ("HTTP", format!("{version:?}")),
        (
            "server name (SNI)",
            info.server_name.clone().unwrap_or_else(|| "(none)".into()),
        ),
    ];
    let mut html = String::from(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>padlock</title></head><body>\n\
         <h1>Your TLS handshake with padlock</h1>\n<table>\n",
    );
    for (k, v) in rows {
        html.push_str(&format!("<tr><th>{k}</th><td>{}</td></tr>\n", escape(&v)));
    }
    html.push_str("</table>\n</body></html>\n");
    html
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Accepts and serves connections until `shutdown` completes, then stops accepting, asks
/// every connection to finish its current requests (HTTP/2 GOAWAY, HTTP/1.1 close after the
/// response) and waits up to `limits.drain_timeout` for them.
pub async fn serve(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    limits: Limits,
    stats: Arc<Stats>,
    handler: Handler,
    shutdown: impl Future<Output = ()>,
) {
    let acceptor = TlsAcceptor::from(config);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        // At the limit, stop accepting: clients wait in the kernel's listen queue instead
        // of costing us memory.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            () = &mut shutdown => break,
        };
        let Ok(slot) = slot else { break };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = &mut shutdown => break,
            // Reap finished connections so the set does not grow with the server's uptime.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let (tcp, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                eprintln!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        Stats::bump(&stats.accepted);
        tcp.set_nodelay(true).ok();
        let (acceptor, limits, stats, handler, stop) = (
            acceptor.clone(),
            limits.clone(),
            stats.clone(),
            handler.clone(),
            stop_rx.clone(),
        );
        connections.spawn(async move {
            stats.active.fetch_add(1, Ordering::Relaxed);
            if let Err(e) = connection(tcp, acceptor, &limits, &stats, handler, stop).await {
                eprintln!("{peer}: {e}");
            }
            stats.active.fetch_sub(1, Ordering::Relaxed);
            drop(slot);
        });
    }
    // Graceful shutdown: no new connections; the ones we have finish what they are doing.
    drop(listener);
    stop_tx.send_replace(true);
    let drained = tokio::time::timeout(limits.drain_timeout, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        eprintln!(
            "{} connections still busy after {:?}; closing them",
            connections.len(),
            limits.drain_timeout
        );
        connections.shutdown().await;
    }
}

/// One connection: handshake under its timeout, then HTTP until the client leaves, falls
/// idle, or the server shuts down. Timeouts are counted, not logged: under a slow-loris
/// attack a line each would flood the log.
async fn connection(
    tcp: TcpStream,
    acceptor: TlsAcceptor,
    limits: &Limits,
    stats: &Stats,
    handler: Handler,
    mut stop: watch::Receiver<bool>,
) -> Result<(), String> {
    let io = IdleTimeout::new(tcp, limits.idle_timeout);
    let idled = io.expired_flag();
    let handshake = tokio::time::timeout(limits.handshake_timeout, acceptor.accept(io));
    let tls = tokio::select! {
        r = handshake => r,
        _ = stop.wait_for(|stop| *stop) => return Ok(()),
    };
    let tls = match tls {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) if e.kind() == io::ErrorKind::TimedOut => {
            Stats::bump(&stats.handshake_timeouts);
            return Ok(());
        }
        Ok(Err(e)) => {
            Stats::bump(&stats.handshake_failures);
            return Err(format!("handshake failed: {e}"));
        }
        Err(_) => {
            Stats::bump(&stats.handshake_timeouts);
            return Ok(());
        }
    };
    Stats::bump(&stats.handshakes);
    let result = http(tls, stats, handler, stop).await;
    // hyper may close an idle HTTP/1.1 connection cleanly when its read fails, so ask the
    // transport rather than the result.
    if idled.load(Ordering::Relaxed) {
        Stats::bump(&stats.idle_timeouts);
        return Ok(());
    }
    match result {
        Err(e) if !peer_went_away(&*e) => Err(e.to_string()),
        _ => Ok(()),
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

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Serves HTTP/2 or HTTP/1.1 (by ALPN) until the connection ends; on `stop`, finishes the
/// requests in flight and closes.
async fn http(
    tls: TlsStream<IdleTimeout<TcpStream>>,
    stats: &Stats,
    handler: Handler,
    mut stop: watch::Receiver<bool>,
) -> Result<(), BoxError> {
    let info = Arc::new(tls.connection().info().clone());
    let h2 = info.alpn.as_deref() == Some(b"h2");
    let requests = &stats.requests;
    let service = service_fn(|req| {
        Stats::bump(requests);
        let response = handler(req, info.clone());
        async move { Ok::<_, Infallible>(response.await) }
    });
    let io = TokioIo::new(tls);
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

/// A transport that fails with `TimedOut` when no byte has moved either way for a while.
///
/// Under TLS, so it also bounds a peer that trickles a record one byte at a time. The timer
/// is re-armed lazily (only when it fires early), so busy connections cost a clock read per
/// I/O, not a timer update.
pub struct IdleTimeout<IO> {
    io: IO,
    timeout: Duration,
    last_activity: Instant,
    timer: Pin<Box<Sleep>>,
    expired: Arc<AtomicBool>,
}

impl<IO> IdleTimeout<IO> {
    /// Wraps `io`; the clock starts now.
    pub fn new(io: IO, timeout: Duration) -> Self {
        let now = Instant::now();
        Self {
            io,
            timeout,
            last_activity: now,
            timer: Box::pin(sleep_until(now + timeout)),
            expired: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Becomes true when the timeout fires; stays readable after the transport is dropped.
    pub fn expired_flag(&self) -> Arc<AtomicBool> {
        self.expired.clone()
    }

    fn active(&mut self) {
        self.last_activity = Instant::now();
    }

    /// `Ready` with the error once the connection has been idle for the whole timeout.
    fn poll_expired(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        loop {
            ready!(self.timer.as_mut().poll(cx));
            let deadline = self.last_activity + self.timeout;
            if deadline <= Instant::now() {
                self.expired.store(true, Ordering::Relaxed);
                return Poll::Ready(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("nothing sent or received for {:?}", self.timeout),
                ));
            }
            self.timer.as_mut().reset(deadline);
        }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for IdleTimeout<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(r) => {
                this.active();
                Poll::Ready(r)
            }
            Poll::Pending => this.poll_expired(cx).map(Err),
        }
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for IdleTimeout<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.io).poll_write(cx, buf) {
            Poll::Ready(r) => {
                this.active();
                Poll::Ready(r)
            }
            Poll::Pending => this.poll_expired(cx).map(Err),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.io).poll_shutdown(cx) {
            Poll::Pending => this.poll_expired(cx).map(Err),
            ready => ready,
        }
    }
}

/// `padlock serve` options for the tokio server.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// PEM certificate chain, leaf first (repeat with --key for several names, chosen by SNI).
    #[arg(long = "cert", value_name = "CHAIN.pem", required = true)]
    pub certs: Vec<PathBuf>,
    /// PEM private key for the --cert at the same position.
    #[arg(long = "key", value_name = "KEY.pem", required = true)]
    pub keys: Vec<PathBuf>,
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub listen: SocketAddr,
    /// ALPN protocols to accept, preferred first (default: h2, http/1.1).
    #[arg(long = "alpn", value_name = "PROTO")]
    pub alpn: Vec<String>,
    /// Append traffic secrets to FILE (NSS key log format).
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<PathBuf>,
    /// Seconds a client gets to complete its handshake.
    #[arg(long, default_value_t = 10)]
    pub handshake_timeout: u64,
    /// Seconds without traffic after which a connection is closed.
    #[arg(long, default_value_t = 30)]
    pub idle_timeout: u64,
    /// Connections served at once.
    #[arg(long, default_value_t = 8192)]
    pub max_connections: usize,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// The server config `Args` describe.
pub fn server_config(args: &Args) -> Result<Arc<ServerConfig>, String> {
    if args.certs.len() != args.keys.len() {
        return Err("give one --key for each --cert".into());
    }
    let mut resolver = SniResolver::new();
    for (cert, key) in args.certs.iter().zip(&args.keys) {
        let ck = CertifiedKey::from_pem_files(cert, key).map_err(|e| e.to_string())?;
        resolver.add(Arc::new(ck));
    }
    let mut config = ServerConfig::new(Arc::new(resolver)).map_err(|e| e.to_string())?;
    config.alpn_protocols = if args.alpn.is_empty() {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        args.alpn.iter().map(|p| p.as_bytes().to_vec()).collect()
    };
    if let Some(path) = &args.keylog {
        let log = KeyLogFile::open(path).map_err(|e| format!("opening key log: {e}"))?;
        config.key_log = Some(Arc::new(log));
    }
    Ok(Arc::new(config))
}

/// Runs the server until SIGINT or SIGTERM, then shuts down gracefully.
pub fn run(args: Args) -> Result<ExitCode, String> {
    let config = server_config(&args)?;
    let limits = Limits {
        handshake_timeout: Duration::from_secs(args.handshake_timeout),
        idle_timeout: Duration::from_secs(args.idle_timeout),
        max_connections: args.max_connections,
        ..Limits::default()
    };
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.threads {
        runtime.worker_threads(n.max(1));
    }
    let runtime = runtime
        .enable_all()
        .build()
        .map_err(|e| format!("starting the runtime: {e}"))?;
    runtime.block_on(async {
        let listener = TcpListener::bind(args.listen)
            .await
            .map_err(|e| format!("binding {}: {e}", args.listen))?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        println!("listening on {local}");
        let stats = Arc::new(Stats::default());
        serve(
            listener,
            config,
            limits,
            stats.clone(),
            handshake_page(),
            shutdown_signal(),
        )
        .await;
        eprintln!("shut down: {}", stats.summary());
        Ok(ExitCode::SUCCESS)
    })
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async {
            match term.as_mut() {
                Some(t) => { t.recv().await; }
                None => std::future::pending::<()>().await,
            }
        } => {}
    }
}
