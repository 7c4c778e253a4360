#![forbid(unsafe_code)]
#![warn(missing_docs)]
//! Async TLS 1.3 for tokio, over padlock's sans-I/O [`Connection`].
//!
//! [`TlsConnector`] and [`TlsAcceptor`] run the handshake over any transport that implements
//! tokio's `AsyncRead + AsyncWrite` and give back a [`TlsStream`], which implements them too,
//! so hyper, axum and anything else written for tokio run on it unchanged.
//!
//! ```no_run
//! use std::sync::Arc;
//! use padlock::{ClientConfig, padlock_cert::RootStore, pki_types::ServerName};
//! use padlock_tokio::TlsConnector;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # async fn run() -> std::io::Result<()> {
//! let connector = TlsConnector::from(Arc::new(ClientConfig::new(RootStore::mozilla())));
//! let tcp = tokio::net::TcpStream::connect("example.com:443").await?;
//! let name = ServerName::try_from("example.com").unwrap();
//! let mut tls = connector.connect(name, tcp).await?;
//! tls.write_all(b"GET / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n").await?;
//! let mut page = Vec::new();
//! tls.read_to_end(&mut page).await?; // an error if the server cut the connection short
//! # Ok(()) }
//! ```
//!
//! Resumption works as with the blocking [`padlock::Stream`]: connections made from one
//! `Arc<ClientConfig>` share its session store. Note that TLS 1.3 tickets arrive after the
//! handshake, so a connection must read something before its tickets can be used.

mod handshake;
mod stream;

use std::io;
use std::sync::Arc;

use padlock::pki_types::ServerName;
use padlock::{to_io_error, ClientConfig, Connection, ServerConfig};

pub use handshake::{Accept, Connect};
pub use stream::{TlsStream, MAX_PENDING_TLS, MAX_PLAINTEXT_PER_WRITE};

/// Re-exported so that users need one dependency.
pub use padlock;

/// Makes client connections from one shared [`ClientConfig`].
#[derive(Clone)]
pub struct TlsConnector {
    config: Arc<ClientConfig>,
}

impl From<Arc<ClientConfig>> for TlsConnector {
    fn from(config: Arc<ClientConfig>) -> Self {
        Self { config }
    }
}

impl std::fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConnector").finish_non_exhaustive()
    }
}

impl TlsConnector {
    /// The config every connection uses.
    pub fn config(&self) -> &Arc<ClientConfig> {
        &self.config
    }

    /// Runs a client handshake with `name` over `io`. Nothing is sent until the future is
    /// first polled.
    pub fn connect<IO>(&self, name: ServerName<'static>, io: IO) -> Connect<IO> {
        match Connection::client(self.config.clone(), name) {
            Ok(conn) => Connect::handshaking(TlsStream::new(io, conn)),
            Err(e) => Connect::failed(to_io_error(e)),
        }
    }

    /// Like [`TlsConnector::connect`], and sends `early_data` as 0-RTT data in the first
    /// flight, right behind the ClientHello (RFC 8446 §2.3).
    ///
    /// This needs `enable_early_data` in the config and a ticket for `name` that allows early
    /// data; otherwise, or past the ticket's limit, less (or nothing) is sent:
    /// [`TlsStream::early_data_sent`] tells how much, and
    /// `connection().info().early_data_accepted` whether the server took it. Early data can
    /// be replayed by an attacker (RFC 8446 §8): send only what is safe to repeat.
    pub fn connect_with_early_data<IO>(
        &self,
        name: ServerName<'static>,
        io: IO,
        early_data: &[u8],
    ) -> Connect<IO> {
        let mut conn = match Connection::client(self.config.clone(), name) {
            Ok(conn) => conn,
            Err(e) => return Connect::failed(to_io_error(e)),
        };
        match conn.write_early_data(early_data) {
            Ok(n) => {
                let mut stream = TlsStream::new(io, conn);
                stream.set_early_data_sent(n);
                Connect::handshaking(stream)
            }
            Err(e) => Connect::failed(to_io_error(e)),
        }
    }
}

/// Accepts server connections with one shared [`ServerConfig`].
#[derive(Clone)]
pub struct TlsAcceptor {
    config: Arc<ServerConfig>,
}

impl From<Arc<ServerConfig>> for TlsAcceptor {
    fn from(config: Arc<ServerConfig>) -> Self {
        Self { config }
    }
}

impl std::fmt::Debug for TlsAcceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsAcceptor").finish_non_exhaustive()
    }
}

impl TlsAcceptor {
    /// The config every connection uses.
    pub fn config(&self) -> &Arc<ServerConfig> {
        &self.config
    }

    /// Runs a server handshake over `io`. Bound it with `tokio::time::timeout`: a client
    /// that sends nothing would otherwise hold the connection forever.
    ///
    /// 0-RTT data the client sent is waiting in [`TlsStream::take_early_data`] afterwards.
    pub fn accept<IO>(&self, io: IO) -> Accept<IO> {
        match Connection::server(self.config.clone()) {
            Ok(conn) => Accept::handshaking(TlsStream::new(io, conn)),
            Err(e) => Accept::failed(to_io_error(e)),
        }
    }
}

/// The [`padlock::Error`] inside an `io::Error` from this crate, if it carries one.
pub fn tls_error(e: &io::Error) -> Option<&padlock::Error> {
    e.get_ref()?.downcast_ref::<padlock::Error>()
}
