//! `padlock serve`: HTTPS on tokio (hyper over padlock-tokio, HTTP/2 or HTTP/1.x by ALPN)
//! whose page shows each visitor its own handshake, and which can serve a directory.
//!
//! - [`server`]: accepting, timeouts, the connection limit, graceful shutdown, 0-RTT policy
//!   and the access log lines (text or JSON), which [`log`] buffers;
//! - [`notice`]: what the server says about itself (listening, reloads, shutdown);
//! - [`site`]: what each request gets (the handshake [`page`], [`files`] under `--root`, 404);
//! - [`early`]: which requests arrived as 0-RTT early data;
//! - [`reload`]: certificates chosen by SNI and reloaded when their files change;
//! - [`client_auth`]: client certificates (`--client-ca`) and their CRLs (`--crl`), reloaded
//!   alike;
//! - [`idle`] and [`linger`]: the transport under TLS, which times out when nothing moves and
//!   closes so that the last bytes we sent reach the client.

mod body;
mod client_auth;
mod early;
mod files;
mod idle;
mod linger;
mod log;
mod notice;
mod offered;
mod page;
mod reload;
mod server;
mod site;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use padlock::{KeyLogFile, ServerConfig};
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::mpsc;

use client_auth::ClientAuth;
use reload::{CertPair, ReloadingResolver};
use server::{Limits, Stats};

/// ALPN protocols served without `--alpn`, most preferred first (IANA ALPN registry names).
/// "http/1.0" too: a client that offers only it (curl --http1.0) must not get
/// no_application_protocol (RFC 7301 §3.2).
const DEFAULT_ALPN: [&[u8]; 3] = [b"h2", b"http/1.1", b"http/1.0"];
/// 0-RTT data a client may send with `--early-data` (RFC 8446 §4.2.10 max_early_data_size):
/// room for a few request heads.
const MAX_EARLY_DATA: u32 = 16 * 1024;

#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  padlock serve --cert localhost.pem --key localhost-key.pem
  padlock serve --cert a.pem --key a-key.pem --cert b.pem --key b-key.pem --listen 0.0.0.0:443
  padlock serve --cert site.pem --key site-key.pem --root ./public --early-data
  padlock serve --cert site.pem --key site-key.pem --client-ca clients.pem --max-connections 1000
  padlock serve --cert site.pem --key site-key.pem --client-ca clients.pem --crl clients.crl
  padlock serve --cert site.pem --key site-key.pem --ocsp site-ocsp.der
  padlock serve --cert site.pem --key site-key.pem --json --access-log access.jsonl

The page at /.padlock (and at / unless --root has an index.html) shows the visitor's
handshake. Certificate files are reloaded when they change (checked every --reload-interval
seconds) and on SIGHUP. SIGTERM or SIGINT stops accepting and lets requests in flight finish
(for up to 10 s; a second signal stops at once).
Each handshake and each request is logged (on stderr unless --access-log says otherwise):
peer, method, path, version, status, bytes, ALPN, time. Request lines are buffered and
written within 0.1 s; --access-log off saves their cost on busy servers.
With --json every line is one JSON object with an event key: handshake and request in the
access log; listening (with listening_on: the address) on stdout; reloads, errors,
stopping and the shutdown counters on stderr.
Small files under --root (up to 128 KiB) are kept in memory; each request still checks
that the file's inode, size and times are unchanged, and reads it again if not.")]
pub struct Args {
    /// PEM certificate chain, leaf first (repeat with --key for several names, chosen by SNI).
    #[arg(long = "cert", value_name = "CHAIN.pem", required = true)]
    certs: Vec<PathBuf>,
    /// PEM private key for the --cert at the same position.
    #[arg(long = "key", value_name = "KEY.pem", required = true)]
    keys: Vec<PathBuf>,
    /// DER OCSP response to staple to the --cert at the same position, for clients that
    /// ask (status_request); reloaded when the file changes.
    #[arg(long = "ocsp", value_name = "FILE.der")]
    ocsp: Vec<PathBuf>,
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// ALPN protocols to accept, preferred first (default: h2, http/1.1, http/1.0).
    #[arg(long = "alpn", value_name = "PROTO")]
    alpn: Vec<String>,
    /// Append traffic secrets to FILE (NSS key log format).
    #[arg(long, value_name = "FILE")]
    keylog: Option<PathBuf>,
    /// Accept 0-RTT early data from resuming clients: GET and HEAD requests in it are
    /// answered, any other method gets 425 Too Early (RFC 8470).
    #[arg(long)]
    early_data: bool,
    /// Require a client certificate issued by a CA in this PEM file (mTLS; repeatable).
    #[arg(long = "client-ca", value_name = "FILE.pem")]
    client_ca: Vec<PathBuf>,
    /// Refuse client certificates revoked by the CRLs in FILE (PEM or DER; repeatable; with
    /// --client-ca). Reloaded with the certificates: when the file changes, and on SIGHUP.
    #[arg(long = "crl", value_name = "FILE", requires = "client_ca")]
    crls: Vec<PathBuf>,
    /// Serve the files under DIR (index.html for directories; nothing outside DIR, even
    /// through symbolic links; no dot files but .well-known).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Seconds a client gets to complete its handshake.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    handshake_timeout: f64,
    /// Seconds without a byte moving either way after which a connection is closed.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    idle_timeout: f64,
    /// Connections served at once; further clients wait in the listen queue.
    #[arg(long, value_name = "N", default_value_t = 8192)]
    max_connections: usize,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Where handshake and request lines go: a FILE (appended to), - for stderr, or off.
    #[arg(long, value_name = "FILE|-|off", default_value = "-")]
    access_log: log::Destination,
    /// Seconds between checks of the certificate files for changes (0: only on SIGHUP).
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    reload_interval: f64,
    /// Write the access log and the server's own messages as JSON lines.
    #[arg(long)]
    json: bool,
}

fn seconds(what: &str, secs: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(secs).map_err(|_| format!("--{what}: {secs} is not a duration"))
}

/// The server's TLS settings; the certificates come from `resolver`.
fn server_config(
    args: &Args,
    resolver: Arc<ReloadingResolver>,
    client_auth: Option<Arc<ClientAuth>>,
) -> Result<ServerConfig, String> {
    let mut config = ServerConfig::new(resolver).map_err(|e| e.to_string())?;
    config.alpn_protocols = if args.alpn.is_empty() {
        DEFAULT_ALPN.iter().map(|p| p.to_vec()).collect()
    } else {
        args.alpn.iter().map(|p| p.as_bytes().to_vec()).collect()
    };
    if let Some(path) = &args.keylog {
        let log = KeyLogFile::open(path).map_err(|e| format!("opening key log: {e}"))?;
        config.key_log = Some(Arc::new(log));
    }
    if args.early_data {
        config.max_early_data_size = MAX_EARLY_DATA;
    }
    if let Some(client_auth) = client_auth {
        config.client_verifier = Some(client_auth);
    }
    // The page lists what the client offered: that is in its ClientHello, which the
    // connection hands over as a trace event.
    config.trace = true;
    Ok(config)
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    if args.certs.len() != args.keys.len() {
        return Err("give one --key for each --cert".into());
    }
    if args.ocsp.len() > args.certs.len() {
        return Err("give at most one --ocsp for each --cert".into());
    }
    let pairs: Vec<CertPair> = args
        .certs
        .iter()
        .zip(&args.keys)
        .enumerate()
        .map(|(i, (cert, key))| {
            CertPair::new(cert.clone(), key.clone()).with_ocsp(args.ocsp.get(i).cloned())
        })
        .collect();
    let resolver = Arc::new(ReloadingResolver::load(&pairs)?);
    let client_auth = if args.client_ca.is_empty() {
        None
    } else {
        Some(Arc::new(ClientAuth::load(
            &args.client_ca,
            args.crls.clone(),
        )?))
    };
    let config = Arc::new(server_config(&args, resolver.clone(), client_auth.clone())?);
    let root = match &args.root {
        Some(dir) => Some(files::Root::open(dir)?),
        None => None,
    };
    let limits = Limits {
        handshake_timeout: seconds("handshake-timeout", args.handshake_timeout)?,
        idle_timeout: seconds("idle-timeout", args.idle_timeout)?,
        max_connections: args.max_connections.max(1),
        ..Limits::default()
    };
    let reload_interval = seconds("reload-interval", args.reload_interval)?;
    let access_log = log::AccessLog::open(&args.access_log, args.json)?;
    let notices = notice::Notices::new(args.json);

    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.threads {
        runtime.worker_threads(n.max(1));
    }
    let runtime = runtime
        .enable_all()
        .build()
        .map_err(|e| format!("starting the runtime: {e}"))?;
    let result = runtime.block_on(async {
        let listener = TcpListener::bind(args.listen)
            .await
            .map_err(|e| format!("binding {}: {e}", args.listen))?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        // Handlers first: once "listening on" is out, a signal must not kill us by default.
        let signals = Signals::install()?;
        let watcher = reload::Watcher::new(pairs, resolver, notices).with_client_auth(client_auth);
        tokio::spawn(watcher.run(reload_interval, signals.hangup));
        notices.listening(local);
        tokio::spawn(access_log.clone().flush_regularly());
        let stats = Arc::new(Stats::default());
        server::serve(
            listener,
            config,
            limits,
            stats.clone(),
            site::handler(root),
            server::Logs {
                access: access_log.clone(),
                notices,
            },
            signals.stop,
        )
        .await;
        access_log.flush();
        let dropped = access_log.dropped();
        if dropped > 0 && !args.json {
            eprintln!("the access log could not keep up: {dropped} lines dropped");
        }
        notices.say(
            "shutdown",
            format_args!("shut down: {}", stats.summary()),
            || {
                let mut summary = stats.to_json();
                summary["access_log_lines_dropped"] = dropped.into();
                summary
            },
        );
        Ok(ExitCode::SUCCESS)
    });
    // Responses cut short at shutdown log their line when the runtime drops their tasks.
    drop(runtime);
    access_log.flush();
    result
}

/// The signals `serve` acts on.
struct Signals {
    /// A message for each SIGINT (Ctrl-C) or SIGTERM.
    stop: mpsc::Receiver<()>,
    /// SIGHUP: reload the certificates now.
    hangup: Signal,
}

impl Signals {
    fn install() -> Result<Self, String> {
        let handler = |kind: SignalKind| {
            signal(kind).map_err(|e| format!("installing a signal handler: {e}"))
        };
        let mut term = handler(SignalKind::terminate())?;
        let mut int = handler(SignalKind::interrupt())?;
        let hangup = handler(SignalKind::hangup())?;
        let (tx, stop) = mpsc::channel(4);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    Some(()) = term.recv() => {}
                    Some(()) = int.recv() => {}
                    else => return,
                }
                if tx.send(()).await.is_err() {
                    return;
                }
            }
        });
        Ok(Self { stop, hangup })
    }
}
