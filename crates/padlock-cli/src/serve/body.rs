//! Response bodies: a page held in memory, or a file read as it is sent.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use hyper::body::{Bytes, Frame, SizeHint};
use tokio::io::{AsyncRead, ReadBuf};

/// How much of a file one frame carries: a few TLS records, and a bound on the memory each
/// download holds.
const FILE_CHUNK: usize = 64 * 1024;

/// A response body.
pub enum Body {
    /// Everything at once (pages, error messages); `None` once sent.
    Bytes(Option<Bytes>),
    /// A file, `remaining` bytes of it still to send.
    File {
        file: tokio::fs::File,
        remaining: u64,
    },
}

impl Body {
    /// A body of `text`.
    pub fn text(text: impl Into<Bytes>) -> Self {
        let bytes = text.into();
        Body::Bytes((!bytes.is_empty()).then_some(bytes))
    }

    /// No body (HEAD, redirects).
    pub fn empty() -> Self {
        Body::Bytes(None)
    }

    /// The first `len` bytes of `file`.
    pub fn file(file: tokio::fs::File, len: u64) -> Self {
        Body::File {
            file,
            remaining: len,
        }
    }

    /// The exact length.
    pub fn len(&self) -> u64 {
        match self {
            Body::Bytes(b) => b.as_ref().map_or(0, |b| b.len() as u64),
            Body::File { remaining, .. } => *remaining,
        }
    }
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match self.get_mut() {
            Body::Bytes(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            Body::File { file, remaining } => {
                if *remaining == 0 {
                    return Poll::Ready(None);
                }
                let want = usize::try_from(*remaining).map_or(FILE_CHUNK, |r| r.min(FILE_CHUNK));
                let mut chunk = vec![0u8; want];
                let mut buf = ReadBuf::new(&mut chunk);
                ready!(Pin::new(file).poll_read(cx, &mut buf))?;
                let n = buf.filled().len();
                if n == 0 {
                    // The file shrank after we announced its length: the response cannot be
                    // completed, and the client must not take it for whole.
                    return Poll::Ready(Some(Err(io::ErrorKind::UnexpectedEof.into())));
                }
                *remaining -= n as u64;
                chunk.truncate(n);
                Poll::Ready(Some(Ok(Frame::data(Bytes::from(chunk)))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.len() == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len())
    }
}
