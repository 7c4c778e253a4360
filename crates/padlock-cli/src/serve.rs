//! `padlock serve`: an HTTPS/1.x server whose page shows the visitor its own handshake.

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use padlock::padlock_cert::RootStore;
use padlock::{
    CertifiedKey, ClientChainVerifier, Connection, HandshakeInfo, KeyLogFile, ServerConfig,
    SniResolver, Stream,
};

use crate::certs::{self, Summary};
use crate::http;

/// ALPN protocols served without `--alpn`, most preferred first (IANA ALPN registry names).
const DEFAULT_ALPN: [&[u8]; 2] = [b"http/1.1", b"http/1.0"];
/// Connections served at once; more wait in the listen queue.
const MAX_CONNECTIONS: usize = 512;
/// A client that sends nothing for this long (mid-handshake or between requests) is dropped.
const IDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// 0-RTT data a client may send with `--early-data` (RFC 8446 §4.2.10 max_early_data_size):
/// room for a request head.
const MAX_EARLY_DATA: u32 = 16 * 1024;

#[derive(clap::Args)]
pub struct Args {
    /// PEM certificate chain, leaf first (repeat with --key for several names, chosen by SNI).
    #[arg(long = "cert", value_name = "CHAIN.pem", required = true)]
    certs: Vec<PathBuf>,
    /// PEM private key for the --cert at the same position.
    #[arg(long = "key", value_name = "KEY.pem", required = true)]
    keys: Vec<PathBuf>,
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// ALPN protocols to accept (default: http/1.1, http/1.0).
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
}

pub fn run(args: Args) -> Result<ExitCode, String> {
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
        // Both HTTP versions we speak: a client that offers only "http/1.0" (curl --http1.0)
        // must not get no_application_protocol (RFC 7301 §3.2).
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
    if !args.client_ca.is_empty() {
        let mut roots = RootStore::empty();
        for path in &args.client_ca {
            certs::add_pem_file(&mut roots, path)?;
        }
        config.client_verifier = Some(Arc::new(ClientChainVerifier::required(Arc::new(roots))));
    }
    let config = Arc::new(config);

    let listener =
        TcpListener::bind(args.listen).map_err(|e| format!("binding {}: {e}", args.listen))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    println!("listening on {local}");
    std::io::stdout().flush().ok();

    let active = Arc::new(AtomicUsize::new(0));
    for tcp in listener.incoming() {
        let tcp = match tcp {
            Ok(t) => t,
            Err(e) => {
                eprintln!("accept failed: {e}");
                continue;
            }
        };
        if active.load(Ordering::Relaxed) >= MAX_CONNECTIONS {
            eprintln!("connection limit ({MAX_CONNECTIONS}) reached; dropping a connection");
            continue;
        }
        active.fetch_add(1, Ordering::Relaxed);
        let config = config.clone();
        let active = active.clone();
        std::thread::spawn(move || {
            let peer = tcp
                .peer_addr()
                .map(|a| a.to_string())
                .unwrap_or_else(|_| "?".into());
            if let Err(e) = serve_connection(config, tcp, &peer) {
                eprintln!("{peer}: {e}");
            }
            active.fetch_sub(1, Ordering::Relaxed);
        });
    }
    Ok(ExitCode::SUCCESS)
}

fn serve_connection(config: Arc<ServerConfig>, tcp: TcpStream, peer: &str) -> Result<(), String> {
    tcp.set_read_timeout(Some(IDLE_TIMEOUT)).ok();
    tcp.set_write_timeout(Some(IDLE_TIMEOUT)).ok();
    tcp.set_nodelay(true).ok();
    let conn = Connection::server(config).map_err(|e| e.to_string())?;
    let mut tls = Stream::new(conn, tcp);
    tls.handshake()
        .map_err(|e| format!("handshake failed: {e}"))?;
    let info = tls.connection().info().clone();
    // 0-RTT data (RFC 8446 §2.3) comes before everything sent after the handshake: the first
    // request, or its beginning, may be in it.
    let mut pending = tls.connection_mut().take_early_data();
    let mut early_left = pending.len();
    eprintln!("{peer}: {}", describe(&info, early_left));

    loop {
        let req = match http::read_request(&mut tls, &mut pending) {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(e) => return Err(format!("reading request: {e}")),
        };
        let early = early_left > 0;
        early_left = early_left.saturating_sub(req.head_len);
        let (status, body) = match (req.method.as_str(), req.path.as_str()) {
            // RFC 8470 §5.2: early data may be a replay; only safe methods are answered.
            (m, _) if early && !matches!(m, "GET" | "HEAD") => (
                "425 Too Early",
                "this request came as 0-RTT early data, which can be replayed: send it again after the handshake\n".to_string(),
            ),
            ("GET" | "HEAD", "/") => ("200 OK", page(&info, early)),
            ("GET" | "HEAD", _) => ("404 Not Found", "not found\n".to_string()),
            _ => ("405 Method Not Allowed", "only GET and HEAD\n".to_string()),
        };
        // After a 425 the request's body, if any, is still unread: start afresh.
        let keep_alive = req.keep_alive && !status.starts_with("425");
        let mut response = format!(
            "{} {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: {}\r\nServer: padlock\r\n\r\n",
            if req.version == "HTTP/1.0" { "HTTP/1.0" } else { "HTTP/1.1" },
            body.len(),
            if keep_alive { "keep-alive" } else { "close" },
        );
        if req.method != "HEAD" {
            response.push_str(&body);
        }
        tls.write_all(response.as_bytes())
            .map_err(|e| format!("writing response: {e}"))?;
        if !keep_alive {
            break;
        }
    }
    tls.close().ok();
    Ok(())
}

fn describe(info: &HandshakeInfo, early_data: usize) -> String {
    format!(
        "TLS 1.3 {} {}{}{}{}{}{}{}",
        info.cipher_suite.unwrap_or("?"),
        info.group_name.unwrap_or("?"),
        if info.hello_retry {
            " after HelloRetryRequest"
        } else {
            ""
        },
        info.alpn
            .as_ref()
            .map(|p| format!(" alpn={}", String::from_utf8_lossy(p)))
            .unwrap_or_default(),
        info.server_name
            .as_ref()
            .map(|n| format!(" sni={n}"))
            .unwrap_or_default(),
        if info.resumed { " resumed" } else { "" },
        if info.early_data_accepted {
            format!(" 0-RTT={early_data}B")
        } else {
            String::new()
        },
        match client_subject(info) {
            Some(s) => format!(" client-cert={s:?}"),
            None if info.client_authenticated => " client-cert=(from the resumed session)".into(),
            None => String::new(),
        },
    )
}

/// The subject of the client's certificate, when it sent one in this handshake.
fn client_subject(info: &HandshakeInfo) -> Option<String> {
    let leaf = info.peer_certificates.first()?;
    info.client_authenticated.then(|| Summary::of(leaf).subject)
}

fn page(info: &HandshakeInfo, early: bool) -> String {
    let row = |k: &str, v: &str| format!("<tr><th>{k}</th><td>{}</td></tr>\n", escape(v));
    let alpn = info
        .alpn
        .as_ref()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .unwrap_or_else(|| "(none)".into());
    let client = match client_subject(info) {
        Some(subject) => subject,
        None if info.client_authenticated => "(authenticated when the session began)".into(),
        None => "(none)".into(),
    };
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>padlock</title></head><body>\n\
         <h1>Your TLS handshake with padlock</h1>\n<table>\n{}{}{}{}{}{}{}{}{}</table>\n</body></html>\n",
        row("version", "TLS 1.3"),
        row("cipher suite", info.cipher_suite.unwrap_or("?")),
        row("key exchange group", info.group_name.unwrap_or("?")),
        row("HelloRetryRequest", if info.hello_retry { "yes" } else { "no" }),
        row("ALPN", &alpn),
        row("server name (SNI)", info.server_name.as_deref().unwrap_or("(none)")),
        row("resumed", if info.resumed { "yes" } else { "no" }),
        row(
            "0-RTT early data",
            if early {
                "this request came as early data"
            } else if info.early_data_accepted {
                "accepted"
            } else {
                "no"
            }
        ),
        row("client certificate", &client),
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
