//! A hyper 1.x client over padlock: offers `h2` and `http/1.1` and speaks what ALPN chose.
//!
//! ```text
//! cargo run -p padlock-tokio --example hyper_client -- HOST PORT [CA.pem] [h2|http/1.1]
//! ```
//! Without a CA file the Mozilla roots are trusted.

use std::sync::Arc;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::{header, Request, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use padlock::padlock_cert::RootStore;
use padlock::pki_types::ServerName;
use padlock::ClientConfig;
use padlock_tokio::TlsConnector;
use tokio::net::TcpStream;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What one request came back with.
#[derive(Debug)]
pub struct Fetched {
    /// The protocol ALPN agreed on, if any.
    pub alpn: Option<Vec<u8>>,
    /// Whether the TLS session was resumed from a ticket.
    pub resumed: bool,
    /// The HTTP status.
    pub status: StatusCode,
    /// The whole body.
    pub body: Bytes,
}

/// A client config trusting `roots` and offering `alpn`, most preferred first.
pub fn client_config(roots: RootStore, alpn: &[&[u8]]) -> Arc<ClientConfig> {
    let mut config = ClientConfig::new(roots);
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

/// `GET https://host:port/path` over a fresh TLS connection, in HTTP/2 if ALPN chose `h2`
/// and HTTP/1.1 otherwise.
pub async fn get(
    connector: &TlsConnector,
    host: &str,
    port: u16,
    path: &str,
) -> Result<Fetched, BoxError> {
    let tcp = TcpStream::connect((host, port)).await?;
    // Small writes (the Finished, then a request) must not wait for a delayed ACK (Nagle).
    tcp.set_nodelay(true)?;
    let name = ServerName::try_from(host.to_string())?;
    let tls = connector.connect(name, tcp).await?;
    let alpn = tls.connection().info().alpn.clone();
    let resumed = tls.connection().info().resumed;
    let io = TokioIo::new(tls);
    let response = if alpn.as_deref() == Some(b"h2") {
        let (mut sender, conn) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), io).await?;
        tokio::spawn(conn);
        // HTTP/2 carries the authority in the :authority pseudo-header, from the URI.
        let req =
            Request::get(format!("https://{host}:{port}{path}")).body(Empty::<Bytes>::new())?;
        sender.send_request(req).await?
    } else {
        let (mut sender, conn) = hyper::client::conn::http1::handshake(io).await?;
        tokio::spawn(conn);
        let req = Request::get(path)
            .header(header::HOST, format!("{host}:{port}"))
            .body(Empty::<Bytes>::new())?;
        sender.send_request(req).await?
    };
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    Ok(Fetched {
        alpn,
        resumed,
        status,
        body,
    })
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(host), Some(port)) = (args.first(), args.get(1)) else {
        return Err("usage: hyper_client HOST PORT [CA.pem] [h2|http/1.1]".into());
    };
    let roots = match args.get(2) {
        Some(ca) => {
            let mut roots = RootStore::empty();
            roots.add_pem_file(ca)?;
            roots
        }
        None => RootStore::mozilla(),
    };
    let alpn: Vec<&[u8]> = match args.get(3).map(String::as_str) {
        Some(one) => vec![one.as_bytes()],
        None => vec![b"h2", b"http/1.1"],
    };
    let connector = TlsConnector::from(client_config(roots, &alpn));
    let fetched = get(&connector, host, port.parse()?, "/").await?;
    let alpn = fetched.alpn.as_deref().map(String::from_utf8_lossy);
    eprintln!(
        "alpn: {alpn:?}, resumed: {}, status: {}",
        fetched.resumed, fetched.status
    );
    println!("{}", String::from_utf8_lossy(&fetched.body));
    Ok(())
}
