//! One bounded padlock handshake against a server that records the certificate chain and the
//! validation verdict instead of stopping at a bad certificate: `inspect`, `check` and `probe`
//! report on servers whose certificates are broken, which is when people run them.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use padlock::padlock_cert::{CertError, RootStore, VerifiedChain};
use padlock::pki_types::ServerName;
use padlock::{ChainVerifier, ClientConfig, Connection, Error, HandshakeInfo, ServerCertVerifier};

/// A server to talk to: `HOST:PORT`, `[V6]:PORT`, or `HOST` (port 443).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
}

impl Target {
    pub fn parse(s: &str) -> Result<Target, String> {
        let bad = || format!("{s:?} is not HOST[:PORT]");
        let s = s.trim();
        if s.is_empty() {
            return Err(bad());
        }
        if let Some(rest) = s.strip_prefix('[') {
            let (host, after) = rest.split_once(']').ok_or_else(bad)?;
            let port = match after.strip_prefix(':') {
                Some(p) => p.parse().map_err(|_| bad())?,
                None if after.is_empty() => 443,
                None => return Err(bad()),
            };
            return Ok(Target {
                host: host.into(),
                port,
            });
        }
        match s.rsplit_once(':') {
            // A bare IPv6 address without brackets has several colons and no port.
            Some((host, _)) if host.contains(':') => match s.parse::<std::net::Ipv6Addr>() {
                Ok(_) => Ok(Target {
                    host: s.into(),
                    port: 443,
                }),
                Err(_) => Err(bad()),
            },
            Some((host, port)) if !host.is_empty() => Ok(Target {
                host: host.into(),
                port: port.parse().map_err(|_| bad())?,
            }),
            Some(_) => Err(bad()),
            None => Ok(Target {
                host: s.into(),
                port: 443,
            }),
        }
    }

    /// The name for SNI and the certificate check: `servername` if given, else the host.
    pub fn server_name(&self, servername: Option<&str>) -> Result<ServerName<'static>, String> {
        let name = servername.unwrap_or(&self.host);
        ServerName::try_from(name.to_string())
            .map_err(|_| format!("{name:?} is not a valid DNS name or IP address"))
    }

    /// Resolves and connects within `timeout`, trying each address in turn.
    pub fn connect(&self, timeout: Duration) -> Result<(TcpStream, SocketAddr), String> {
        let addrs: Vec<SocketAddr> = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {}: {e}", self.host))?
            .collect();
        let mut last = format!("{} has no address", self.host);
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, timeout) {
                Ok(tcp) => {
                    tcp.set_read_timeout(Some(timeout)).ok();
                    tcp.set_write_timeout(Some(timeout)).ok();
                    tcp.set_nodelay(true).ok();
                    return Ok((tcp, addr));
                }
                Err(e) => last = format!("cannot connect to {addr}: {e}"),
            }
        }
        Err(last)
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// The trust store: the PEM files given with `--ca`, else the Mozilla roots.
pub fn roots(ca: &[PathBuf]) -> Result<Arc<RootStore>, String> {
    if ca.is_empty() {
        return Ok(Arc::new(RootStore::mozilla()));
    }
    let mut roots = RootStore::empty();
    for path in ca {
        crate::certs::add_pem_file(&mut roots, path)?;
    }
    Ok(Arc::new(roots))
}

/// Validates like [`ChainVerifier`] but lets the handshake go on, keeping the verdict.
/// The CertificateVerify signature is still checked: a server that cannot sign with its
/// certificate's key fails the handshake.
pub struct RecordingVerifier {
    inner: ChainVerifier,
    verdict: Mutex<Option<Result<(), Error>>>,
}

impl RecordingVerifier {
    pub fn new(roots: Arc<RootStore>) -> Arc<Self> {
        Arc::new(Self {
            inner: ChainVerifier::new(roots),
            verdict: Mutex::new(None),
        })
    }

    /// The validation result, once the server's Certificate message has been seen.
    pub fn verdict(&self) -> Option<Result<(), Error>> {
        self.verdict.lock().ok().and_then(|v| v.clone())
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &[u8],
        intermediates: &[&[u8]],
        server_name: &ServerName<'_>,
        now: SystemTime,
    ) -> Result<Option<VerifiedChain>, Error> {
        let result = self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, now);
        let chain = result.as_ref().ok().cloned().flatten();
        if let Ok(mut v) = self.verdict.lock() {
            *v = Some(result.map(|_| ()));
        }
        Ok(chain)
    }
}

/// A certificate problem: the sentence and the fix.
#[derive(Debug, Clone)]
pub struct Problem {
    pub sentence: String,
    pub fix: Option<String>,
}

impl Problem {
    pub fn of_error(e: &Error) -> Problem {
        // A rejection words its sentence and fix for whose certificate it judged.
        if let Some(r) = e.rejection() {
            return Problem {
                sentence: r.to_string(),
                fix: Some(r.fix()),
            };
        }
        match e.certificate_error() {
            Some(c) => Problem::of_cert(c),
            None => Problem {
                sentence: sentence(&e.to_string()),
                fix: None,
            },
        }
    }

    pub fn of_cert(c: &CertError) -> Problem {
        Problem {
            sentence: c.to_string(),
            fix: Some(c.fix()),
        }
    }

    pub fn plain(s: impl Into<String>) -> Problem {
        Problem {
            sentence: sentence(&s.into()),
            fix: None,
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "error": self.sentence, "fix": self.fix })
    }
}

/// Starts with a capital and ends with a full stop, like padlock-cert's sentences.
fn sentence(s: &str) -> String {
    let mut c = s.trim().chars();
    let mut out: String = match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// What a handshake showed.
pub struct Observed {
    pub addr: SocketAddr,
    pub info: HandshakeInfo,
    /// `None` when the chain validated.
    pub cert_problem: Option<Problem>,
    /// Bytes [`Connection::write_early_data`] took (0: no ticket allowed 0-RTT).
    pub early_data_sent: usize,
}

/// How a handshake went: done (whatever the certificate's verdict), refused by the server
/// with an alert, or failed otherwise (network, protocol).
pub enum Outcome {
    Done(Box<Observed>),
    Refused(String),
    Failed(String),
}

/// Connects and handshakes with `config` (whose verifier should be `verifier`), then closes.
/// `early_data` is offered as 0-RTT data when the config and a stored ticket allow it;
/// `collect_tickets` waits (briefly) for the session tickets a later connection resumes with.
pub fn handshake(
    target: &Target,
    name: ServerName<'static>,
    config: Arc<ClientConfig>,
    verifier: &RecordingVerifier,
    timeout: Duration,
    early_data: Option<&[u8]>,
    collect_tickets: bool,
) -> Outcome {
    let (tcp, addr) = match target.connect(timeout) {
        Ok(t) => t,
        Err(e) => return Outcome::Failed(e),
    };
    let mut conn = match Connection::client(config, name) {
        Ok(c) => c,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    let early_data_sent = match early_data.map(|d| conn.write_early_data(d)) {
        Some(Ok(n)) => n,
        Some(Err(e)) => return Outcome::Failed(e.to_string()),
        None => 0,
    };
    let mut tls = padlock::Stream::new(conn, tcp);
    if let Err(e) = tls.handshake() {
        return match tls.connection().error() {
            Some(Error::PeerAlert(alert)) => Outcome::Refused(format!("{alert:?}")),
            Some(Error::ProtocolVersion { .. }) => {
                Outcome::Refused("the server answered with an older TLS version than 1.3".into())
            }
            Some(err) => Outcome::Failed(err.to_string()),
            None => Outcome::Failed(describe_io(&e)),
        };
    }
    if collect_tickets {
        drain_tickets(&mut tls, timeout.min(TICKET_WAIT));
    } else {
        tls.close().ok();
    }
    let cert_problem = match verifier.verdict() {
        Some(Ok(())) => None,
        Some(Err(e)) => Some(Problem::of_error(&e)),
        None => Some(Problem::plain("the server sent no certificate")),
    };
    Outcome::Done(Box::new(Observed {
        addr,
        info: tls.connection().info().clone(),
        cert_problem,
        early_data_sent,
    }))
}

/// Servers send their tickets right after the handshake; one that has sent none by then and
/// keeps the connection open is not waited for longer.
const TICKET_WAIT: Duration = Duration::from_secs(2);

/// Sends close_notify and reads until the server closes, so that the NewSessionTickets it
/// sends after the handshake (RFC 8446 §4.6.1) reach the session store. Bounded by `wait`.
fn drain_tickets(tls: &mut padlock::Stream<TcpStream>, wait: Duration) {
    use std::io::Read;
    let deadline = std::time::Instant::now() + wait;
    tls.get_mut().set_read_timeout(Some(wait)).ok();
    tls.close().ok();
    let mut buf = [0u8; 4096];
    let mut total = 0usize;
    // A server that keeps sending (a banner, a page) is not waited for past 64 KiB.
    while std::time::Instant::now() < deadline && total < 64 * 1024 {
        match tls.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => total += n,
        }
    }
}

fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            "the server did not answer in time".into()
        }
        std::io::ErrorKind::UnexpectedEof => {
            "the server closed the connection during the handshake".into()
        }
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let t = |s: &str| Target::parse(s).map(|t| (t.host, t.port));
        assert_eq!(t("a.test:8443"), Ok(("a.test".into(), 8443)));
        assert_eq!(t("a.test"), Ok(("a.test".into(), 443)));
        assert_eq!(t("[::1]:4433"), Ok(("::1".into(), 4433)));
        assert_eq!(t("::1"), Ok(("::1".into(), 443)));
        assert!(t("a:b:c").is_err());
        assert!(t("host:notaport").is_err());
        assert!(t(":443").is_err());
        assert!(t("").is_err());
        assert_eq!(
            Target::parse("[::1]:1").unwrap().to_string(),
            "[::1]:1".to_string()
        );
    }

    #[test]
    fn sentences() {
        assert_eq!(sentence("no route"), "No route.");
        assert_eq!(sentence("Done."), "Done.");
    }
}
