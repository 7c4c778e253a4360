//! A TCP stream that closes gracefully while the client may still be sending.
//!
//! Closing a socket makes the kernel answer whatever the client sends next (or has sent and
//! we did not read) with a reset, and a reset can destroy what we sent last before the
//! client reads it: the alert of a failed handshake (certificate_required, which a TLS 1.3
//! client learns only after it has sent its Finished and its first request), or a 425 whose
//! request body we never read. So, as RFC 9112 §9.6 advises, a connection we wrote to and
//! the client has not closed is half-closed and drained for a moment before it is dropped.
//! One we never wrote to (a stalled handshake) is just closed.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

/// How long a closing connection is drained at most.
const LINGER: Duration = Duration::from_secs(1);
/// How much it may send meanwhile before it is cut off anyway.
const MAX_DRAINED: usize = 256 * 1024;

/// A `TcpStream` that lingers on drop (see the module doc).
pub struct Lingering {
    tcp: Option<TcpStream>,
    wrote: bool,
    peer_closed: bool,
}

impl Lingering {
    pub fn new(tcp: TcpStream) -> Self {
        Self {
            tcp: Some(tcp),
            wrote: false,
            peer_closed: false,
        }
    }

    fn tcp(&mut self) -> io::Result<&mut TcpStream> {
        self.tcp
            .as_mut()
            .ok_or_else(|| io::ErrorKind::NotConnected.into())
    }
}

impl Drop for Lingering {
    fn drop(&mut self) {
        let Some(tcp) = self.tcp.take() else { return };
        let mut probe = [0u8; 1024];
        let unread = matches!(tcp.try_read(&mut probe), Ok(n) if n > 0);
        if !(unread || self.wrote && !self.peer_closed) {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(linger(tcp));
        }
    }
}

/// FIN after everything we wrote, then reads and discards until the client closes too.
async fn linger(mut tcp: TcpStream) {
    let _ = tokio::time::timeout(LINGER, async {
        tcp.shutdown().await?;
        let mut buf = [0u8; 4096];
        let mut drained = 0;
        while drained < MAX_DRAINED {
            match tcp.read(&mut buf).await? {
                0 => break,
                n => drained += n,
            }
        }
        io::Result::Ok(())
    })
    .await;
}

impl AsyncRead for Lingering {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let r = Pin::new(this.tcp()?).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() == before && buf.remaining() > 0 {
            this.peer_closed = true;
        }
        r
    }
}

impl AsyncWrite for Lingering {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(this.tcp()?).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            this.wrote = true;
        }
        r
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.get_mut().tcp()?).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.get_mut().tcp()?).poll_shutdown(cx)
    }
}
