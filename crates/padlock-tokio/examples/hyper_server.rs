//! A hyper 1.x server over padlock: HTTP/2 or HTTP/1.1, whichever ALPN chose.
//!
//! ```text
//! cargo run -p padlock-tokio --example hyper_server -- CHAIN.pem KEY.pem [127.0.0.1:8443]
//! curl --http2 --cacert ca.pem https://localhost:8443/
//! ```

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use padlock::{CertifiedKey, ServerConfig};
use padlock_tokio::{TlsAcceptor, TlsStream};
use tokio::net::{TcpListener, TcpStream};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A client gets this long to finish its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A server config offering `h2` then `http/1.1` (RFC 7301).
pub fn server_config(chain_pem: &str, key_pem: &str) -> Result<Arc<ServerConfig>, BoxError> {
    let mut config =
        ServerConfig::with_single_cert(CertifiedKey::from_pem_files(chain_pem, key_pem)?)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Accepts connections forever, each on its own task.
pub async fn run(listener: TcpListener, acceptor: TlsAcceptor) {
    loop {
        let Ok((tcp, peer)) = listener.accept().await else {
            continue;
        };
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            // The timeout drops a stalled handshake; dropping is safe at any point.
            let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => return eprintln!("{peer}: handshake failed: {e}"),
                Err(_) => return eprintln!("{peer}: handshake timed out"),
            };
            if let Err(e) = serve_connection(tls).await {
                eprintln!("{peer}: {e}");
            }
        });
    }
}

/// Serves HTTP on one TLS connection, in the version ALPN agreed on.
pub async fn serve_connection(tls: TlsStream<TcpStream>) -> Result<(), BoxError> {
    let alpn = tls.connection().info().alpn.clone();
    let alpn_name = alpn
        .as_deref()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .unwrap_or_else(|| "none".into());
    let service = service_fn(move |req: Request<Incoming>| {
        let body = format!(
            "hello from padlock: alpn={alpn_name} version={:?} path={}\n",
            req.version(),
            req.uri().path()
        );
        async move { Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(body)))) }
    });
    let io = TokioIo::new(tls);
    if alpn.as_deref() == Some(b"h2") {
        hyper::server::conn::http2::Builder::new(TokioExecutor::new())
            .serve_connection(io, service)
            .await?;
    } else {
        hyper::server::conn::http1::Builder::new()
            .serve_connection(io, service)
            .await?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(chain), Some(key)) = (args.first(), args.get(1)) else {
        return Err("usage: hyper_server CHAIN.pem KEY.pem [ADDR]".into());
    };
    let addr: SocketAddr = args
        .get(2)
        .map(String::as_str)
        .unwrap_or("127.0.0.1:8443")
        .parse()?;
    let acceptor = TlsAcceptor::from(server_config(chain, key)?);
    let listener = TcpListener::bind(addr).await?;
    println!("listening on {}", listener.local_addr()?);
    run(listener, acceptor).await;
    Ok(())
}
