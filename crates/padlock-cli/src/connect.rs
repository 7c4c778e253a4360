//! `padlock connect HOST:PORT`: handshake, report, and optionally `GET` a path.

use std::io;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use padlock::padlock_cert::RootStore;
use padlock::pki_types::ServerName;
use padlock::record::RecordError;
use padlock::{crypto, ClientConfig, Connection, KeyLogFile, Stream};

use crate::certs::{self, Summary};
use crate::http;

const TIMEOUT: Duration = Duration::from_secs(15);

#[derive(clap::Args)]
pub struct Args {
    /// The server, as HOST:PORT (`[v6addr]:PORT` for IPv6 literals).
    target: String,
    /// The name to send in SNI and to check the certificate against (default: HOST).
    #[arg(long)]
    servername: Option<String>,
    /// Trust the CA certificates in this PEM file instead of the Mozilla roots (repeatable).
    #[arg(long = "ca", value_name = "FILE.pem")]
    ca: Vec<PathBuf>,
    /// Offer only these cipher suites, by IANA name (repeatable).
    #[arg(long = "suite", value_name = "IANA_NAME")]
    suites: Vec<String>,
    /// Offer only these groups: X25519, secp256r1 (P-256), secp384r1 (P-384), X25519MLKEM768.
    #[arg(long = "group", value_name = "NAME")]
    groups: Vec<String>,
    /// Offer these ALPN protocols (repeatable), e.g. h2, http/1.1.
    #[arg(long = "alpn", value_name = "PROTO")]
    alpn: Vec<String>,
    /// After the handshake, send `GET PATH HTTP/1.1` and print the response.
    #[arg(long = "http-get", value_name = "PATH")]
    http_get: Option<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Append the traffic secrets to FILE in the NSS key log format (for Wireshark).
    #[arg(long, value_name = "FILE")]
    keylog: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    let (host, port) = split_target(&args.target)?;
    let name = args.servername.clone().unwrap_or_else(|| host.clone());
    let server_name = ServerName::try_from(name.clone())
        .map_err(|_| format!("{name:?} is not a valid DNS name or IP address"))?;
    let config = Arc::new(build_config(&args)?);

    let started = Instant::now();
    let addr = resolve(&host, port)?;
    let tcp = TcpStream::connect_timeout(&addr, TIMEOUT)
        .map_err(|e| tcp_failure(&args.target, addr, &e))?;
    let tcp_time = started.elapsed();
    tcp.set_read_timeout(Some(TIMEOUT)).ok();
    tcp.set_write_timeout(Some(TIMEOUT)).ok();
    tcp.set_nodelay(true).ok();

    let conn = Connection::client(config, server_name).map_err(|e| e.to_string())?;
    let mut tls = Stream::new(conn, tcp);
    let hs_start = Instant::now();
    tls.handshake()
        .map_err(|e| format!("TLS handshake with {} failed: {}", args.target, why(&e)))?;
    let hs_time = hs_start.elapsed();

    let response = match &args.http_get {
        Some(path) => Some(http::get(&mut tls, &name, path)?),
        None => {
            tls.close().ok();
            None
        }
    };

    let info = tls.connection().info().clone();
    let chain: Vec<Summary> = info
        .peer_certificates
        .iter()
        .map(|c| Summary::of(c))
        .collect();
    let alpn = info
        .alpn
        .as_ref()
        .map(|p| String::from_utf8_lossy(p).into_owned());
    if args.json {
        let out = serde_json::json!({
            "target": args.target,
            "server_name": name,
            "version": "TLSv1.3",
            "cipher_suite": info.cipher_suite,
            "group": info.group_name,
            "hello_retry": info.hello_retry,
            "alpn": alpn,
            "peer_certificates": chain.iter().map(Summary::to_json).collect::<Vec<_>>(),
            "http_status": response.as_ref().map(|r| r.status),
            "tcp_connect_ms": tcp_time.as_secs_f64() * 1000.0,
            "handshake_ms": hs_time.as_secs_f64() * 1000.0,
        });
        println!("{out}");
    } else {
        println!("connected to {} ({addr}) as {name}", args.target);
        println!("  version       TLS 1.3");
        println!("  cipher suite  {}", info.cipher_suite.unwrap_or("?"));
        println!("  group         {}", info.group_name.unwrap_or("?"));
        println!(
            "  hello retry   {}",
            if info.hello_retry {
                "yes (one extra round trip)"
            } else {
                "no"
            }
        );
        println!("  ALPN          {}", alpn.as_deref().unwrap_or("(none)"));
        println!(
            "  timing        TCP connect {:.1} ms, handshake {:.1} ms",
            tcp_time.as_secs_f64() * 1000.0,
            hs_time.as_secs_f64() * 1000.0
        );
        println!("  certificates  (verified)");
        for (i, c) in chain.iter().enumerate() {
            println!("    {i}: {}", c.subject);
            println!("       issued by {}, valid until {}", c.issuer, c.not_after);
        }
        if let Some(r) = &response {
            println!();
            print!("{}", r.head);
            println!("{}", String::from_utf8_lossy(&r.body));
            if r.truncated {
                eprintln!("padlock: note: the server closed the connection without close_notify");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn build_config(args: &Args) -> Result<ClientConfig, String> {
    let roots = if args.ca.is_empty() {
        RootStore::mozilla()
    } else {
        let mut roots = RootStore::empty();
        for path in &args.ca {
            certs::add_pem_file(&mut roots, path)?;
        }
        roots
    };
    let mut config = ClientConfig::new(roots);
    if !args.suites.is_empty() {
        config.cipher_suites = args
            .suites
            .iter()
            .map(|s| {
                crypto::suite_by_name(s).ok_or_else(|| {
                    format!(
                        "unknown cipher suite {s:?}; valid names: {}",
                        names(crypto::ALL_CIPHER_SUITES.iter().map(|s| s.name))
                    )
                })
            })
            .collect::<Result<_, _>>()?;
    }
    if !args.groups.is_empty() {
        let groups = args
            .groups
            .iter()
            .map(|g| {
                crypto::group_by_name(g).ok_or_else(|| {
                    format!(
                        "unknown group {g:?}; valid names: {}",
                        names(crypto::ALL_GROUPS.iter().map(|g| match g.name {
                            "secp256r1" => "secp256r1 (P-256)",
                            "secp384r1" => "secp384r1 (P-384)",
                            other => other,
                        }))
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        config.set_groups(groups);
    }
    config.alpn_protocols = args.alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    if let Some(path) = &args.keylog {
        let log = KeyLogFile::open(path)
            .map_err(|e| format!("opening key log {}: {e}", path.display()))?;
        config.key_log = Some(Arc::new(log));
    } else if let Some(Ok(log)) = KeyLogFile::from_env() {
        config.key_log = Some(Arc::new(log));
    }
    Ok(config)
}

/// Why the TCP connection failed, in words (the caller's one line of stderr).
fn tcp_failure(target: &str, addr: SocketAddr, e: &io::Error) -> String {
    let place = if target == addr.to_string() {
        target.to_string()
    } else {
        format!("{target} ({addr})")
    };
    let why = match e.kind() {
        io::ErrorKind::ConnectionRefused => {
            "connection refused: nothing is listening on that port".to_string()
        }
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => format!(
            "no answer within {} s: the host is down or a firewall drops the packets",
            TIMEOUT.as_secs()
        ),
        _ => e.to_string(),
    };
    format!("TCP connection to {place} failed: {why}")
}

/// Why the handshake failed: the TLS error padlock reported (with the fix for certificate
/// problems), or what the transport did.
fn why(e: &io::Error) -> String {
    match e.get_ref().and_then(|e| e.downcast_ref::<padlock::Error>()) {
        // CertError sentences end with a full stop and come with a suggested fix.
        Some(padlock::Error::Certificate(cert)) => format!("{cert} Fix: {}", cert.fix()),
        Some(tls @ padlock::Error::BadSignature(cert)) => format!("{tls} Fix: {}", cert.fix()),
        // Mid-handshake, a connection without close_notify was not "data cut short": the
        // server gave up on us, typically because it does not speak TLS 1.3.
        Some(padlock::Error::Truncated) => "the server closed the connection during the \
            handshake (it may not support TLS 1.3, or not speak TLS on this port)"
            .to_string(),
        // A record type that is a printable character: the server answered in plain text.
        Some(padlock::Error::Record(RecordError::UnexpectedContentType(t)))
            if t.is_ascii_graphic() =>
        {
            let guess = match t {
                b'H' => " (it looks like HTTP: is this the HTTPS port?)",
                _ => "",
            };
            format!(
                "the server does not speak TLS on this port: it answered in plain text starting with {:?}{guess}",
                char::from(*t)
            )
        }
        Some(tls) => tls.to_string(),
        None => match e.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => format!(
                "the server sent nothing for {} s (it may not speak TLS on this port)",
                TIMEOUT.as_secs()
            ),
            io::ErrorKind::ConnectionReset => {
                "the server reset the connection (it may not speak TLS on this port)".into()
            }
            _ => e.to_string(),
        },
    }
}

fn names<'a>(it: impl Iterator<Item = &'a str>) -> String {
    it.collect::<Vec<_>>().join(", ")
}

/// Splits `host:port`, `[v6]:port`, or a bare host (port 443).
pub fn split_target(target: &str) -> Result<(String, u16), String> {
    let bad = || format!("{target:?} is not HOST:PORT");
    if let Some(rest) = target.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or_else(bad)?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().map_err(|_| bad())?,
            None if after.is_empty() => 443,
            None => return Err(bad()),
        };
        return Ok((host.to_string(), port));
    }
    match target.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => {
            Ok((host.to_string(), port.parse().map_err(|_| bad())?))
        }
        Some(_) => Err(bad()),
        None => Ok((target.to_string(), 443)),
    }
}

fn resolve(host: &str, port: u16) -> Result<SocketAddr, String> {
    (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("resolving {host}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host} has no address"))
}

#[cfg(test)]
mod tests {
    use super::split_target;

    #[test]
    fn targets() {
        assert_eq!(
            split_target("a.test:8443").unwrap(),
            ("a.test".into(), 8443)
        );
        assert_eq!(split_target("[::1]:443").unwrap(), ("::1".into(), 443));
        assert_eq!(
            split_target("example.com").unwrap(),
            ("example.com".into(), 443)
        );
        assert!(split_target("a:b:c").is_err());
        assert!(split_target("host:notaport").is_err());
    }
}
