//! The futures that run a handshake: [`Connect`] and [`Accept`].

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite};

use crate::TlsStream;

/// A handshake in progress, or how it ended before it could start.
// The stream is kept inline: the failed variant is rare and short-lived, and boxing the
// stream would cost an allocation for every handshake.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum MidHandshake<IO> {
    Handshaking(TlsStream<IO>),
    /// The connection could not be set up (bad config, early data refused locally).
    Failed(io::Error),
    /// The future already returned.
    Done,
}

impl<IO: AsyncRead + AsyncWrite + Unpin> MidHandshake<IO> {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<TlsStream<IO>>> {
        match std::mem::replace(self, MidHandshake::Done) {
            MidHandshake::Handshaking(mut stream) => match stream.poll_handshake(cx) {
                Poll::Ready(Ok(())) => Poll::Ready(Ok(stream)),
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                Poll::Pending => {
                    *self = MidHandshake::Handshaking(stream);
                    Poll::Pending
                }
            },
            MidHandshake::Failed(e) => Poll::Ready(Err(e)),
            MidHandshake::Done => Poll::Ready(Err(io::Error::other(
                "padlock-tokio: handshake future polled after it completed",
            ))),
        }
    }
}

macro_rules! handshake_future {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// Cancel-safe in the sense that matters for a handshake: dropping it (for instance
        /// when `tokio::time::timeout` fires) drops the transport and the half-made
        /// connection together, and nothing else holds state from it. Other connections
        /// sharing the same config are unaffected.
        #[derive(Debug)]
        #[must_use = "a handshake does nothing unless awaited"]
        pub struct $name<IO>(MidHandshake<IO>);

        impl<IO> $name<IO> {
            pub(crate) fn handshaking(stream: TlsStream<IO>) -> Self {
                Self(MidHandshake::Handshaking(stream))
            }

            pub(crate) fn failed(e: io::Error) -> Self {
                Self(MidHandshake::Failed(e))
            }

            /// The transport, while the handshake runs.
            pub fn get_ref(&self) -> Option<&IO> {
                match &self.0 {
                    MidHandshake::Handshaking(s) => Some(s.get_ref()),
                    _ => None,
                }
            }
        }

        impl<IO: AsyncRead + AsyncWrite + Unpin> Future for $name<IO> {
            type Output = io::Result<TlsStream<IO>>;

            fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
                self.0.poll(cx)
            }
        }
    };
}

handshake_future!(
    /// The client side of a handshake, from [`TlsConnector::connect`](crate::TlsConnector::connect).
    /// Resolves to the stream once the handshake is complete.
    Connect
);

handshake_future!(
    /// The server side of a handshake, from [`TlsAcceptor::accept`](crate::TlsAcceptor::accept).
    /// Resolves to the stream once the client's Finished has verified.
    Accept
);
