//! A transport that gives up when nothing moves: the idle timeout under TLS.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{sleep_until, Instant, Sleep};

/// A transport that fails with `TimedOut` when no byte has moved either way for a while.
///
/// It sits under TLS and counts raw bytes: a peer that trickles a byte now and then keeps it
/// alive, which is why the handshake has a deadline of its own (and hyper one for request
/// heads). Writes count too, so a client that stops reading a response is dropped as well.
/// The timer is re-armed lazily (only when it fires early), so busy connections cost a clock read per
/// I/O, not a timer update.
pub struct IdleTimeout<IO> {
    io: IO,
    timeout: Duration,
    last_activity: Instant,
    timer: Pin<Box<Sleep>>,
    expired: Arc<AtomicBool>,
}

impl<IO> IdleTimeout<IO> {
    /// Wraps `io`; the clock starts now.
    pub fn new(io: IO, timeout: Duration) -> Self {
        let now = Instant::now();
        Self {
            io,
            timeout,
            last_activity: now,
            timer: Box::pin(sleep_until(now + timeout)),
            expired: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Becomes true when the timeout fires; stays readable after the transport is dropped.
    pub fn expired_flag(&self) -> Arc<AtomicBool> {
        self.expired.clone()
    }

    fn active(&mut self) {
        self.last_activity = Instant::now();
    }

    /// `Ready` with the error once the connection has been idle for the whole timeout.
    fn poll_expired(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        loop {
            ready!(self.timer.as_mut().poll(cx));
            let deadline = self.last_activity + self.timeout;
            if deadline <= Instant::now() {
                self.expired.store(true, Ordering::Relaxed);
                return Poll::Ready(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("nothing sent or received for {:?}", self.timeout),
                ));
            }
            self.timer.as_mut().reset(deadline);
        }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for IdleTimeout<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(r) => {
                this.active();
                Poll::Ready(r)
            }
            Poll::Pending => this.poll_expired(cx).map(Err),
        }
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for IdleTimeout<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.io).poll_write(cx, buf) {
            Poll::Ready(r) => {
                this.active();
                Poll::Ready(r)
            }
            Poll::Pending => this.poll_expired(cx).map(Err),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.io).poll_shutdown(cx) {
            Poll::Pending => this.poll_expired(cx).map(Err),
            ready => ready,
        }
    }
}
