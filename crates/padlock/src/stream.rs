//! A blocking `std::io` adapter: a [`Connection`] over any `Read + Write` transport.

use std::io::{self, BufRead, Read, Write};

use crate::conn::Connection;
use crate::error::Error;

/// A TLS connection over a blocking transport such as a `TcpStream`.
///
/// `read` returns `Ok(0)` only after the peer's close_notify; a transport that ends without
/// one gives an `UnexpectedEof` error wrapping [`Error::Truncated`].
#[derive(Debug)]
pub struct Stream<T> {
    conn: Connection,
    io: T,
}

/// Converts a TLS error to an `io::Error` that still carries it (`get_ref` / `into_inner`).
pub fn to_io_error(e: Error) -> io::Error {
    let kind = match e {
        Error::Truncated => io::ErrorKind::UnexpectedEof,
        Error::ConnectionClosed => io::ErrorKind::NotConnected,
        _ => io::ErrorKind::InvalidData,
    };
    io::Error::new(kind, e)
}

impl<T: Read + Write> Stream<T> {
    /// Wraps a transport; nothing is sent until the first call that needs the handshake.
    pub fn new(conn: Connection, io: T) -> Self {
        Self { conn, io }
    }

    /// Runs the handshake to completion (a no-op once it is done).
    pub fn handshake(&mut self) -> io::Result<()> {
        loop {
            self.flush_tls()?;
            if !self.conn.is_handshaking() {
                return Ok(());
            }
            self.read_tls()?;
        }
    }

    /// The connection, for [`Connection::info`] and friends.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The connection, mutably (for KeyUpdate, events...). Call [`Stream::flush`] after.
    pub fn connection_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// The transport.
    pub fn get_ref(&self) -> &T {
        &self.io
    }

    /// The transport, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.io
    }

    /// Sends close_notify and flushes it (RFC 8446 §6.1).
    pub fn close(&mut self) -> io::Result<()> {
        self.conn.send_close_notify();
        self.flush_tls()
    }

    /// Sends a KeyUpdate now (RFC 8446 §4.6.3).
    pub fn key_update(&mut self, request_peer: bool) -> io::Result<()> {
        self.conn
            .send_key_update(request_peer)
            .map_err(to_io_error)?;
        self.flush_tls()
    }

    fn flush_tls(&mut self) -> io::Result<()> {
        while self.conn.wants_write() {
            let n = self.io.write(self.conn.pending_tls())?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            self.conn.consume_tls(n);
        }
        self.io.flush()
    }

    /// Reads once from the transport and processes what came. Any alert or KeyUpdate answer
    /// this produced is flushed before an error is returned.
    fn read_tls(&mut self) -> io::Result<()> {
        let buf = self.conn.recv_buffer();
        if buf.is_empty() {
            return Err(to_io_error(Error::LimitExceeded("receive buffer full")));
        }
        let n = match self.io.read(buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => return Err(e),
        };
        let result = if n == 0 {
            self.conn.recv_eof()
        } else {
            self.conn.recv_done(n)
        };
        let flushed = self.flush_tls();
        result.map_err(to_io_error)?;
        flushed
    }
}

impl<T: Read + Write> Read for Stream<T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.handshake()?;
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let n = self.conn.read(buf).map_err(to_io_error)?;
            if n > 0 || self.conn.peer_closed() {
                return Ok(n);
            }
            self.read_tls()?;
        }
    }
}

/// Reads without copying: [`BufRead::fill_buf`] lends the plaintext where it was decrypted
/// ([`Connection::plaintext`]), a record's worth at most. `fill_buf` returns an empty slice
/// only after the peer's close_notify.
impl<T: Read + Write> BufRead for Stream<T> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.handshake()?;
        while self.conn.plaintext().is_empty() {
            if let Some(e) = self.conn.error() {
                return Err(to_io_error(e.clone()));
            }
            if self.conn.peer_closed() {
                break;
            }
            self.read_tls()?;
        }
        Ok(self.conn.plaintext())
    }

    fn consume(&mut self, amt: usize) {
        // A failure in the records opened next stays with the connection: the next
        // `fill_buf` or `read` returns it.
        let _ = self.conn.consume_plaintext(amt);
    }
}

impl<T: Read + Write> Write for Stream<T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.handshake()?;
        let n = self.conn.write(buf).map_err(to_io_error)?;
        self.flush_tls()?;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_tls()
    }
}
