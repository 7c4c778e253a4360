//! [`TlsStream`]: a padlock [`Connection`] over a tokio transport, as `AsyncRead + AsyncWrite`.
//!
//! The stream owns both the transport and the sans-I/O connection, and keeps no other state
//! of its own that a dropped future could leave half-updated: every poll method either makes
//! progress that is fully recorded in the [`Connection`] (bytes fed, bytes consumed) or
//! returns `Pending` having changed nothing the caller could observe.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll, Waker};

use padlock::{to_io_error, Connection, Error};
use tokio::io::{AsyncBufRead, AsyncRead, AsyncWrite, ReadBuf};

/// Encrypted bytes we let wait for the transport before `poll_write` stops taking plaintext.
///
/// Backpressure: a peer (or network) that does not drain our writes makes the writer wait
/// instead of growing this queue. With [`MAX_PLAINTEXT_PER_WRITE`] on top, the queue never
/// holds more than about 128 KiB plus record overhead.
pub const MAX_PENDING_TLS: usize = 64 * 1024;

/// Plaintext one `poll_write` takes at most (four full records, RFC 8446 §5.1).
pub const MAX_PLAINTEXT_PER_WRITE: usize = 4 * 16 * 1024;

/// Queued TLS bytes past which reading stops with an error.
///
/// Writes alone never queue more than [`MAX_PENDING_TLS`] + [`MAX_PLAINTEXT_PER_WRITE`] plus
/// record overhead; only answers that reading produces (KeyUpdate, RFC 8446 §4.6.3) can go
/// beyond, when a peer keeps asking for them without reading ours.
const MAX_PENDING_TLS_WHILE_READING: usize = 4 * MAX_PENDING_TLS;

/// Where closing our side of the connection stands (RFC 8446 §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WriteSide {
    Open,
    /// close_notify is queued; it still has to reach the transport, then the transport's
    /// write half is shut down.
    Closing,
}

/// A TLS 1.3 connection over an async transport (usually a `tokio::net::TcpStream`).
///
/// Made by [`TlsConnector::connect`](crate::TlsConnector::connect) or
/// [`TlsAcceptor::accept`](crate::TlsAcceptor::accept) once the handshake is done.
///
/// - Reading returns end of stream (`Ok` with nothing filled) only after the peer's
///   close_notify; a transport that ends without one is an `UnexpectedEof` error whose inner
///   error is [`padlock::Error::Truncated`].
/// - Shutting down (`AsyncWriteExt::shutdown`, i.e. [`AsyncWrite::poll_shutdown`]) sends close_notify,
///   flushes it and then shuts down the transport's write half; reading stays possible
///   (half-close).
/// - Writing applies backpressure: when more than [`MAX_PENDING_TLS`] encrypted bytes wait
///   for the transport, `poll_write` returns `Pending` until they drain.
///
/// - Reading without a copy: `TlsStream` is also [`AsyncBufRead`], lending the plaintext
///   where it was decrypted (`read_line`, `lines()`, `tokio::io::copy_buf` use it as is).
///
/// Cancellation: `poll_read`, `poll_fill_buf`, `poll_write`, `poll_flush` and
/// `poll_shutdown` are each safe to abandon at any `Pending`. A `Pending` read has taken no
/// plaintext (received TLS bytes are already inside the connection and are not lost); a
/// `Pending` write has taken no plaintext (so `tokio::select!` on `write` loses nothing, as
/// with a `TcpStream`); an abandoned flush or shutdown resumes where it stopped when called
/// again.
#[derive(Debug)]
pub struct TlsStream<IO> {
    io: IO,
    conn: Connection,
    write_side: WriteSide,
    /// The task last left waiting for the transport to take our bytes. tokio's I/O types
    /// keep one waker per direction, so when reading sends something (an alert, a KeyUpdate
    /// answer) it registers this one, not its own: a writer on another task (after
    /// `tokio::io::split`) must not lose its wakeup to a reader.
    write_waker: Option<Waker>,
    /// Client: how many bytes went out as 0-RTT early data.
    early_data_sent: usize,
}

impl<IO> TlsStream<IO> {
    pub(crate) fn new(io: IO, conn: Connection) -> Self {
        Self {
            io,
            conn,
            write_side: WriteSide::Open,
            write_waker: None,
            early_data_sent: 0,
        }
    }

    pub(crate) fn set_early_data_sent(&mut self, n: usize) {
        self.early_data_sent = n;
    }

    /// The transport.
    pub fn get_ref(&self) -> &IO {
        &self.io
    }

    /// The transport, mutably. Reading from or writing to it directly corrupts the TLS
    /// stream; this is for socket options and the like.
    pub fn get_mut(&mut self) -> &mut IO {
        &mut self.io
    }

    /// The TLS connection: [`Connection::info`] tells the negotiated ALPN protocol, suite,
    /// group, resumption and early data.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The TLS connection, mutably (for [`Connection::next_event`],
    /// [`Connection::send_key_update`], ...). Bytes this queues are sent by the next write or
    /// flush.
    pub fn connection_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Takes the stream apart. TLS bytes still queued in the connection are not sent.
    pub fn into_inner(self) -> (IO, Connection) {
        (self.io, self.conn)
    }

    /// Server: the 0-RTT early data the client sent, taken out (empty if none was accepted).
    ///
    /// It may be a replay (RFC 8446 §8): act on it only if doing so twice is harmless.
    pub fn take_early_data(&mut self) -> Vec<u8> {
        self.conn.take_early_data()
    }

    /// Client: how many bytes [`TlsConnector::connect_with_early_data`] sent as 0-RTT data.
    ///
    /// Whether the server took them is [`padlock::HandshakeInfo::early_data_accepted`]; if it
    /// did not, they were delivered as ordinary data only when the config's
    /// `resend_rejected_early_data` is set, and the application must resend them otherwise.
    ///
    /// [`TlsConnector::connect_with_early_data`]: crate::TlsConnector::connect_with_early_data
    pub fn early_data_sent(&self) -> usize {
        self.early_data_sent
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> TlsStream<IO> {
    /// Writes queued TLS bytes to the transport until none are left. Each byte the transport
    /// takes is consumed from the connection at once, so stopping at `Pending` loses nothing.
    fn poll_write_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.conn.wants_write() {
            let n = ready!(self.poll_io_write(cx))?;
            self.conn.consume_tls(n);
        }
        Poll::Ready(Ok(()))
    }

    /// One write of queued TLS bytes, remembering the writer's waker if it must wait.
    fn poll_io_write(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.io).poll_write(cx, self.conn.pending_tls()) {
            Poll::Pending => {
                self.write_waker = Some(cx.waker().clone());
                Poll::Pending
            }
            Poll::Ready(Ok(0)) => Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
            ready => ready,
        }
    }

    fn poll_flush_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_write_tls(cx))?;
        match Pin::new(&mut self.io).poll_flush(cx) {
            Poll::Pending => {
                self.write_waker = Some(cx.waker().clone());
                Poll::Pending
            }
            ready => ready,
        }
    }

    /// Sends what reading queued (alerts, KeyUpdate answers) if the transport takes it now,
    /// without waiting: under the waiting writer's waker (see `write_waker`), or none.
    fn write_tls_without_waiting(&mut self) {
        let waker = self
            .write_waker
            .clone()
            .unwrap_or_else(|| Waker::noop().clone());
        let mut cx = Context::from_waker(&waker);
        while self.conn.wants_write() {
            match Pin::new(&mut self.io).poll_write(&mut cx, self.conn.pending_tls()) {
                Poll::Ready(Ok(n)) if n > 0 => self.conn.consume_tls(n),
                // Not ready, or failed: the next write or flush reports a failure that lasts.
                _ => return,
            }
        }
    }

    /// Reads once from the transport straight into the connection's receive buffer and
    /// processes what came. `Ready(Ok)` means progress: bytes were fed, or the end of the
    /// transport was a clean one after close_notify.
    fn poll_read_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Answers an earlier read left behind, if the transport now takes them.
        self.send_answers()?;
        let space = self.conn.recv_buffer();
        if space.is_empty() {
            // Unreachable while callers drain plaintext first; a bound, not a wait.
            return Poll::Ready(Err(to_io_error(Error::LimitExceeded(
                "receive buffer full",
            ))));
        }
        let mut buf = ReadBuf::new(space);
        ready!(Pin::new(&mut self.io).poll_read(cx, &mut buf))?;
        let n = buf.filled().len();
        let result = if n == 0 {
            // RFC 8446 §6.1: an end without close_notify is a truncation, not an end.
            self.conn.recv_eof()
        } else {
            self.conn.recv_done(n)
        };
        if let Err(e) = result {
            // Last gasp: try to send the alert the failure queued (RFC 8446 §6.2); the
            // connection is over either way, so a transport that is not ready is ignored.
            self.write_tls_without_waiting();
            return Poll::Ready(Err(to_io_error(e)));
        }
        self.send_answers()?;
        Poll::Ready(Ok(()))
    }

    /// Sends what processing received records queued (KeyUpdate answers) without waiting,
    /// and refuses to read on while too much of it is stuck.
    fn send_answers(&mut self) -> io::Result<()> {
        if self.conn.wants_write() {
            self.write_tls_without_waiting();
            if self.conn.pending_tls().len() > MAX_PENDING_TLS_WHILE_READING {
                return Err(to_io_error(Error::LimitExceeded(
                    "the peer asks for KeyUpdates faster than it reads our answers",
                )));
            }
        }
        Ok(())
    }

    /// Drives the handshake: sends each flight, reads the peer's, until it is complete.
    ///
    /// All progress lives in the connection, so the future that calls this can be dropped
    /// at any `Pending` without leaving anything half-done for others (nothing is shared but
    /// the configs).
    pub(crate) fn poll_handshake(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            ready!(self.poll_flush_tls(cx))?;
            if !self.conn.is_handshaking() {
                return Poll::Ready(Ok(()));
            }
            if let Some(e) = self.conn.error() {
                return Poll::Ready(Err(to_io_error(e.clone())));
            }
            ready!(self.poll_read_tls(cx))?;
        }
    }

    /// Streams come out of the connector and acceptor with the handshake done; this only
    /// guards against one that is not, and costs nothing once it is.
    fn poll_handshake_if_needed(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.conn.is_handshaking() {
            self.poll_handshake(cx)
        } else {
            Poll::Ready(Ok(()))
        }
    }

    /// Reads until the connection lends some plaintext, or the peer's close_notify ended
    /// the stream (then `plaintext()` is empty). Received data comes before an error that
    /// followed it, as with a `TcpStream`.
    fn poll_plaintext(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_handshake_if_needed(cx))?;
        while self.conn.plaintext().is_empty() {
            if let Some(e) = self.conn.error() {
                let e = to_io_error(e.clone());
                // A record opened by `consume_plaintext` may have failed with no transport
                // at hand: its alert (RFC 8446 §6.2) goes now, if the transport takes it.
                self.write_tls_without_waiting();
                return Poll::Ready(Err(e));
            }
            if self.conn.peer_closed() {
                // close_notify: a clean end of stream.
                break;
            }
            ready!(self.poll_read_tls(cx))?;
        }
        Poll::Ready(Ok(()))
    }

    /// Marks `n` bytes of the lent plaintext as read.
    fn consume_plaintext(&mut self, n: usize) {
        // Consuming opens the records that waited for the space. A failure in one of them
        // stays with the connection (and its alert is queued): the bytes handed out are the
        // caller's, and the next read returns the error.
        let _ = self.conn.consume_plaintext(n);
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsStream<IO> {
    /// Cancel-safe: returns `Pending` only when no plaintext was handed out.
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_handshake_if_needed(cx))?;
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        ready!(this.poll_plaintext(cx))?;
        // Copied straight from where the record was decrypted into the caller's unfilled
        // space: no zero-filling of the caller's buffer (hyper's can be large) first.
        let lent = this.conn.plaintext();
        let n = lent.len().min(buf.remaining());
        if let Some(taken) = lent.get(..n) {
            buf.put_slice(taken);
        }
        this.consume_plaintext(n);
        Poll::Ready(Ok(()))
    }
}

/// Reads without copying: [`AsyncBufRead::poll_fill_buf`] lends the plaintext where the
/// connection decrypted it (at most one record), and [`AsyncBufRead::consume`] marks it read.
/// `read_line`, `lines()`, `tokio::io::copy_buf` and the like then need no buffer of their own.
///
/// The same guarantees as reading with `poll_read` hold: `poll_fill_buf` returns `Pending`
/// only when nothing is lent, returns an empty slice only after the peer's close_notify, and
/// a transport that ends without one is an `UnexpectedEof` error.
impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncBufRead for TlsStream<IO> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        ready!(this.poll_plaintext(cx))?;
        Poll::Ready(Ok(this.conn.plaintext()))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_mut().consume_plaintext(amt);
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsStream<IO> {
    /// Cancel-safe: returns `Pending` only when no plaintext was taken.
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_handshake_if_needed(cx))?;
        if this.write_side != WriteSide::Open {
            return Poll::Ready(Err(to_io_error(Error::ConnectionClosed)));
        }
        // Backpressure: drain the queue below its bound before taking more plaintext.
        while this.conn.pending_tls().len() >= MAX_PENDING_TLS {
            let n = ready!(this.poll_io_write(cx))?;
            this.conn.consume_tls(n);
        }
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let take = buf.get(..MAX_PLAINTEXT_PER_WRITE).unwrap_or(buf);
        let n = this.conn.write(take).map_err(to_io_error)?;
        // Start sending at once. The plaintext is already taken, so a transport that is not
        // ready (or failed) must not turn this into `Pending` or an error: what is left waits
        // for the next write or flush, which reports a failure that persists.
        let _ = this.poll_write_tls(cx);
        Poll::Ready(Ok(n))
    }

    /// Sends every queued TLS byte and flushes the transport.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.poll_flush_tls(cx)
    }

    /// Half-close: queues close_notify (once), sends it with everything before it, then
    /// shuts down the transport's write half. Reading goes on until the peer closes too.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.write_side == WriteSide::Open {
            // A failed connection already queued its alert instead; this is then a no-op.
            this.conn.send_close_notify();
            this.write_side = WriteSide::Closing;
        }
        ready!(this.poll_flush_tls(cx))?;
        match Pin::new(&mut this.io).poll_shutdown(cx) {
            Poll::Pending => {
                this.write_waker = Some(cx.waker().clone());
                Poll::Pending
            }
            ready => ready,
        }
    }
}
