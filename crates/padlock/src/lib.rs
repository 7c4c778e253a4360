#![forbid(unsafe_code)]
#![warn(missing_docs)]
//! padlock: a TLS 1.3 stack (RFC 8446).
//!
//! The core is sans-I/O: a [`Connection`] takes the bytes the transport received and gives
//! back the bytes to send, with plaintext and [`Event`]s in between. [`Stream`] runs it over
//! any blocking `Read + Write`.
//!
//! ```no_run
//! use std::{io::{Read, Write}, net::TcpStream, sync::Arc};
//! use padlock::{ClientConfig, Connection, Stream};
//!
//! let config = Arc::new(ClientConfig::new(padlock_cert::RootStore::mozilla()));
//! let name = "example.com".try_into().unwrap();
//! let conn = Connection::client(config, name).unwrap();
//! let mut tls = Stream::new(conn, TcpStream::connect("example.com:443").unwrap());
//! tls.write_all(b"GET / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n").unwrap();
//! let mut page = Vec::new();
//! tls.read_to_end(&mut page).unwrap();
//! ```
//!
//! Where to find each part of RFC 8446:
//! - §4 handshake messages and extensions: [`msgs`]; the client's and server's state machines:
//!   `client` and `server`
//! - §5 record layer: [`record`]
//! - §6 alerts: [`alert`], and [`Error::alert`] for which alert each failure sends
//! - §7 key schedule: [`key_schedule`], [`transcript`]
//! - cryptographic primitives (all from aws-lc-rs): [`crypto`]

pub mod alert;
pub mod codec;
pub mod crypto;
pub mod key_schedule;
pub mod keylog;
pub mod msgs;
pub mod record;
pub mod resumption;
pub mod transcript;
pub mod verify;

mod client;
mod common;
mod conn;
mod error;
mod handshake;
mod info;
mod server;
mod stream;

pub use client::ClientConfig;
pub use conn::{Connection, Event, Side};
pub use error::Error;
pub use info::{HandshakeInfo, TraceStep};
pub use keylog::{KeyLog, KeyLogFile};
pub use server::{CertifiedKey, ResolvesServerCert, ServerConfig, SingleCert, SniResolver};
pub use stream::{to_io_error, Stream};
pub use verify::{ChainVerifier, ClientCertVerifier, ClientChainVerifier, ServerCertVerifier};

/// Certificate validation, re-exported so that users need one dependency.
pub use padlock_cert;
/// The ecosystem's shared PKI types (`ServerName`, `CertificateDer`, ...).
pub use rustls_pki_types as pki_types;

/// The README's Rust examples, compiled by `cargo test` so that they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
