//! 0-RTT early data under hyper: which requests arrived in it (RFC 8446 §2.3, RFC 8470).
//!
//! padlock hands the early data over once the handshake is done
//! ([`padlock_tokio::TlsStream::take_early_data`]); it is the beginning of the client's byte
//! stream. [`EarlyFirst`] puts it back in front of the stream for hyper, and the functions
//! here count the requests that *begin* inside it: an HTTP/1.x connection answers its
//! requests in order, and hyper's HTTP/2 server hands streams to the service in the order
//! their HEADERS arrived, so the first N requests the service sees are the early ones.
//!
//! Where the end of an early request cannot be found (a chunked body, a head hyper will
//! reject anyway), every request on the connection counts as early: a safe request is served
//! either way, and an unsafe one gets 425 instead of running on data an attacker may replay.
//! A request the server never hands to the service (an HTTP/2 stream the client reset) only
//! makes later requests count as early too, never the reverse.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Every request on the connection is treated as early.
pub const ALL: usize = usize::MAX;

/// Headers one request head may have (hyper's own limit).
const MAX_HEADERS: usize = 100;

/// How many HTTP/1.x requests begin in `early`.
pub fn http1_requests(early: &[u8]) -> usize {
    let mut count = 0;
    let mut at = 0;
    while let Some(rest) = early.get(at..).filter(|r| !r.is_empty()) {
        count += 1;
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut headers);
        let head_len = match req.parse(rest) {
            // The head goes on after the early data: so does everything after it.
            Ok(httparse::Status::Partial) => return count,
            Ok(httparse::Status::Complete(n)) => n,
            Err(_) => return ALL,
        };
        if !matches!(req.method, Some("GET" | "HEAD")) {
            // It gets 425 and the connection closes after it (see server.rs): nothing
            // follows it.
            return count;
        }
        let Some(body_len) = body_len(req.headers) else {
            return ALL;
        };
        at = usize::try_from(body_len)
            .ok()
            .and_then(|b| b.checked_add(head_len))
            .and_then(|b| b.checked_add(at))
            .unwrap_or(usize::MAX);
    }
    count
}

/// The body's length from Content-Length; `None` when it is framed otherwise (chunked) or
/// the header is malformed or repeated.
fn body_len(headers: &[httparse::Header<'_>]) -> Option<u64> {
    let mut len = None;
    for h in headers {
        if h.name.eq_ignore_ascii_case("transfer-encoding") {
            return None;
        }
        if h.name.eq_ignore_ascii_case("content-length") {
            if len.is_some() {
                return None;
            }
            len = Some(std::str::from_utf8(h.value).ok()?.trim().parse().ok()?);
        }
    }
    Some(len.unwrap_or(0))
}

/// The HTTP/2 connection preface (RFC 9113 §3.4).
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// Frame header length and the HEADERS frame type (RFC 9113 §4.1, §6.2).
const FRAME_HEADER: usize = 9;
const HEADERS: u8 = 0x1;

/// How many HTTP/2 requests (streams opened by HEADERS) begin in `early`.
pub fn h2_requests(early: &[u8]) -> usize {
    let Some(mut frames) = early.strip_prefix(PREFACE) else {
        // Nothing but (part of) the preface: no request. Anything else hyper rejects.
        return if PREFACE.starts_with(early) { 0 } else { ALL };
    };
    let mut count = 0;
    let mut last_stream = 0u32;
    while !frames.is_empty() {
        let Some(&[l0, l1, l2, typ, _flags, s0, s1, s2, s3]) = frames.get(..FRAME_HEADER) else {
            // A frame begins here and its type is not known yet: count it, to be safe.
            return count + 1;
        };
        let len = usize::from(l0) << 16 | usize::from(l1) << 8 | usize::from(l2);
        let stream = u32::from_be_bytes([s0 & 0x7f, s1, s2, s3]);
        // A client opens streams with increasing odd ids (RFC 9113 §5.1.1); HEADERS on a
        // stream already open are trailers.
        if typ == HEADERS && stream > last_stream {
            count += 1;
            last_stream = stream;
        }
        frames = frames.get(FRAME_HEADER + len..).unwrap_or_default();
    }
    count
}

/// A transport whose first bytes are `early`, then whatever `io` delivers.
pub struct EarlyFirst<IO> {
    early: Vec<u8>,
    taken: usize,
    io: IO,
}

impl<IO> EarlyFirst<IO> {
    pub fn new(early: Vec<u8>, io: IO) -> Self {
        Self {
            early,
            taken: 0,
            io,
        }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for EarlyFirst<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let left = this.early.get(this.taken..).unwrap_or_default();
        if left.is_empty() {
            return Pin::new(&mut this.io).poll_read(cx, buf);
        }
        let n = left.len().min(buf.remaining());
        buf.put_slice(left.get(..n).unwrap_or_default());
        this.taken += n;
        if this.taken == this.early.len() {
            this.early = Vec::new();
            this.taken = 0;
        }
        Poll::Ready(Ok(()))
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for EarlyFirst<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[test]
    fn http1_counts_requests_that_begin_in_early_data() {
        assert_eq!(http1_requests(b""), 0);
        assert_eq!(http1_requests(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 1);
        // Pipelined, the second cut short: both began early.
        assert_eq!(
            http1_requests(b"GET / HTTP/1.1\r\nHost: a\r\n\r\nHEAD /x HTTP/1.1\r\nHo"),
            2
        );
        // A body of known length is skipped over.
        assert_eq!(
            http1_requests(b"GET / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\n\r\n"),
            2
        );
        // A body that goes on after the early data: the next request starts after it.
        assert_eq!(
            http1_requests(b"GET / HTTP/1.1\r\nContent-Length: 300\r\n\r\nabc"),
            1
        );
        assert_eq!(http1_requests(b"GE"), 1);
    }

    #[test]
    fn http1_stops_at_an_unsafe_method_and_gives_up_on_unknown_framing() {
        // The POST gets 425 and the connection closes: what follows is never served.
        assert_eq!(
            http1_requests(b"POST / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n"),
            1
        );
        assert_eq!(
            http1_requests(b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            ALL
        );
        assert_eq!(
            http1_requests(b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"),
            ALL
        );
        assert_eq!(
            http1_requests(b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n"),
            ALL
        );
        assert_eq!(http1_requests(b"\x00\x01\x02 garbage\r\n\r\n"), ALL);
    }

    fn frame(typ: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
        let len = payload.len() as u32;
        let mut f = len.to_be_bytes()[1..].to_vec();
        f.extend([typ, 0]);
        f.extend(stream.to_be_bytes());
        f.extend(payload);
        f
    }

    #[test]
    fn h2_counts_streams_opened_in_early_data() {
        assert_eq!(h2_requests(b""), 0);
        assert_eq!(h2_requests(&PREFACE[..10]), 0);
        assert_eq!(h2_requests(b"GET / HTTP/1.1\r\n\r\n"), ALL);
        let mut early = PREFACE.to_vec();
        early.extend(frame(0x4, 0, &[0; 6])); // SETTINGS
        assert_eq!(h2_requests(&early), 0);
        early.extend(frame(HEADERS, 1, b"hpack"));
        early.extend(frame(0x0, 1, b"data"));
        early.extend(frame(HEADERS, 1, b"trailers"));
        early.extend(frame(HEADERS, 3, b"hpack"));
        assert_eq!(h2_requests(&early), 2);
        // A frame header cut short may be a third HEADERS.
        early.extend(&frame(HEADERS, 5, b"hpack")[..4]);
        assert_eq!(h2_requests(&early), 3);
        // A HEADERS frame whose payload goes on after the early data still counts.
        let mut cut = PREFACE.to_vec();
        cut.extend(&frame(HEADERS, 1, &[0; 100])[..20]);
        assert_eq!(h2_requests(&cut), 1);
    }

    #[tokio::test]
    async fn early_data_is_read_before_the_stream() {
        let mut io = EarlyFirst::new(b"early ".to_vec(), &b"and later"[..]);
        let mut small = [0u8; 3];
        io.read_exact(&mut small).await.unwrap();
        assert_eq!(&small, b"ear");
        let mut rest = String::new();
        io.read_to_string(&mut rest).await.unwrap();
        assert_eq!(rest, "ly and later");
    }
}
