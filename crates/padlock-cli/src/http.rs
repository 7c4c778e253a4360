//! Just enough HTTP/1.x for `connect --http-get`.

use std::io::{self, Read, Write};

/// Response heads larger than this are refused (a bounded read, whatever the server sends).
pub const MAX_HEAD: usize = 16 * 1024;
/// Response bodies `connect` keeps at most this much of.
pub const MAX_BODY: usize = 8 * 1024 * 1024;

/// A response as `connect --http-get` saw it.
pub struct Response {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
    /// The server closed without close_notify after the body (common, and harmless when the
    /// body's length was known).
    pub truncated: bool,
}

/// The `GET path` request `connect --http-get` sends.
pub fn get_request(host: &str, path: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: padlock/{}\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// Sends `request` (or what is left of it: `request[sent..]`) and reads the response.
pub fn send_and_read<S: Read + Write>(
    stream: &mut S,
    request: &[u8],
    sent: usize,
) -> Result<Response, String> {
    let rest = request.get(sent..).unwrap_or_default();
    if !rest.is_empty() {
        stream
            .write_all(rest)
            .and_then(|()| stream.flush())
            .map_err(|e| format!("sending the request: {e}"))?;
    }
    read_response(stream)
}

/// Reads one response (until its Content-Length is complete or the server closes).
fn read_response<S: Read>(stream: &mut S) -> Result<Response, String> {
    let mut data = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let mut truncated = false;
    let mut expected_len: Option<usize> = None;
    let mut head_end: Option<usize> = None;
    loop {
        if let (Some(end), Some(len)) = (head_end, expected_len) {
            if data.len() >= end + len {
                break;
            }
        }
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                data.extend_from_slice(buf.get(..n).unwrap_or_default());
                if data.len() > MAX_HEAD + MAX_BODY {
                    return Err("response too large".into());
                }
                if head_end.is_none() {
                    if let Some(pos) = find(&data, b"\r\n\r\n") {
                        head_end = Some(pos + 4);
                        expected_len = content_length(data.get(..pos).unwrap_or_default());
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && !data.is_empty() => {
                truncated = true;
                break;
            }
            Err(e) => return Err(format!("reading the response: {e}")),
        }
    }
    let end = head_end.ok_or("the server sent no complete HTTP response head")?;
    let head = String::from_utf8_lossy(data.get(..end).unwrap_or_default()).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("the response has no status code")?;
    let body = data.get(end..).unwrap_or_default().to_vec();
    Ok(Response {
        status,
        head,
        body,
        truncated,
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn content_length(head: &[u8]) -> Option<usize> {
    let head = String::from_utf8_lossy(head);
    head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().ok())?
    })
}

/// A response as `scan` reads it: the head parsed, the body decoded and bounded.
pub struct Page {
    pub status: u16,
    pub reason: String,
    /// Header names as sent; look them up with [`Page::header`].
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body was longer than the limit: `body` is its beginning.
    pub cut: bool,
    /// Why the body ended before its declared end, if it did.
    pub ended_early: Option<String>,
}

impl Page {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every header called `name`.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Informational (1xx) responses skipped before the real one.
const MAX_INTERIM: usize = 8;

/// Sends `GET path` for `authority` (the Host header) and reads the response: the body by
/// Content-Length, chunked transfer coding (RFC 9112 §7.1) or to the end of the
/// connection, keeping at most `max_body` bytes of it.
pub fn fetch<S: Read + Write>(
    stream: &mut S,
    authority: &str,
    path: &str,
    max_body: usize,
) -> Result<Page, String> {
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: padlock/{}\r\n\
         Accept: text/html,application/xhtml+xml;q=0.9,*/*;q=0.1\r\n\
         Accept-Encoding: identity\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    );
    stream
        .write_all(request.as_bytes())
        .and_then(|()| stream.flush())
        .map_err(|e| format!("sending the request: {e}"))?;

    let mut data = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let mut interim = 0;
    let (status, reason, headers) = loop {
        let end = loop {
            let found = find(&data, b"\r\n\r\n");
            if let Some(pos) = found.filter(|&pos| pos <= MAX_HEAD) {
                break pos + 4;
            }
            if data.len() > MAX_HEAD {
                return Err(format!("the response head is longer than {MAX_HEAD} bytes"));
            }
            match read_some(stream, &mut buf)? {
                Got::Data(n) => data.extend_from_slice(buf.get(..n).unwrap_or_default()),
                Got::End | Got::Truncated => {
                    return Err("the server closed the connection before answering".into())
                }
            }
        };
        let head = String::from_utf8_lossy(data.get(..end).unwrap_or_default()).into_owned();
        data.drain(..end);
        let (status, reason, headers) = parse_response_head(&head)?;
        if (100..200).contains(&status) && status != 101 && interim < MAX_INTERIM {
            interim += 1;
            continue;
        }
        break (status, reason, headers);
    };
    let mut page = Page {
        status,
        reason,
        headers,
        body: Vec::new(),
        cut: false,
        ended_early: None,
    };
    // RFC 9112 §6.3: no body after 1xx, 204 and 304; chunked wins over Content-Length.
    let mut framing = if matches!(status, 100..=199 | 204 | 304) {
        Framing::Length(0)
    } else if page
        .header("transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().trim_end().ends_with("chunked"))
    {
        Framing::Chunked(Chunked::default())
    } else if let Some(len) = page.header("content-length") {
        Framing::Length(
            len.trim()
                .parse()
                .map_err(|_| format!("the Content-Length {len:?} is not a number"))?,
        )
    } else {
        Framing::Close
    };
    let mut pending = data;
    loop {
        framing.feed(&pending, &mut page.body)?;
        if page.body.len() > max_body {
            page.body.truncate(max_body);
            page.cut = true;
            break;
        }
        if framing.done() {
            break;
        }
        match read_some(stream, &mut buf)? {
            Got::Data(n) => pending = buf.get(..n).unwrap_or_default().to_vec(),
            Got::End => {
                if !matches!(framing, Framing::Close) {
                    page.ended_early = Some(format!(
                        "the server closed the connection after {} bytes of the body, before its end",
                        page.body.len()
                    ));
                }
                break;
            }
            Got::Truncated => {
                page.ended_early = Some(format!(
                    "the connection ended without close_notify after {} bytes of the body: the \
                     page may be cut short",
                    page.body.len()
                ));
                break;
            }
        }
    }
    Ok(page)
}

/// What one read brought.
enum Got {
    Data(usize),
    /// A clean end of stream (close_notify, for TLS).
    End,
    /// The transport ended without close_notify.
    Truncated,
}

fn read_some<S: Read>(stream: &mut S, buf: &mut [u8]) -> Result<Got, String> {
    loop {
        match stream.read(buf) {
            Ok(0) => return Ok(Got::End),
            Ok(n) => return Ok(Got::Data(n)),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(Got::Truncated),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                ) =>
            {
                return Err("the server took too long to send the page".into())
            }
            Err(e) => return Err(format!("reading the response: {e}")),
        }
    }
}

type Head = (u16, String, Vec<(String, String)>);

fn parse_response_head(head: &str) -> Result<Head, String> {
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(format!(
            "the server did not answer in HTTP/1.x (it sent {:?})",
            status_line.chars().take(40).collect::<String>()
        ));
    }
    let status = parts
        .next()
        .and_then(|s| s.parse().ok())
        .filter(|s| (100..1000).contains(s))
        .ok_or("the response has no status code")?;
    let reason = parts.next().unwrap_or_default().trim().to_string();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok((status, reason, headers))
}

/// How the end of a response body is found.
enum Framing {
    /// This many bytes still to come.
    Length(usize),
    Chunked(Chunked),
    /// Until the server closes the connection.
    Close,
}

impl Framing {
    fn feed(&mut self, data: &[u8], body: &mut Vec<u8>) -> Result<(), String> {
        match self {
            Framing::Length(left) => {
                let n = data.len().min(*left);
                body.extend_from_slice(data.get(..n).unwrap_or_default());
                *left -= n;
                Ok(())
            }
            Framing::Chunked(c) => c.feed(data, body),
            Framing::Close => {
                body.extend_from_slice(data);
                Ok(())
            }
        }
    }

    fn done(&self) -> bool {
        match self {
            Framing::Length(left) => *left == 0,
            Framing::Chunked(c) => c.is_done(),
            Framing::Close => false,
        }
    }
}

/// Longest chunk-size or trailer line accepted.
const MAX_CHUNK_LINE: usize = 4096;

/// An incremental decoder for the chunked transfer coding (RFC 9112 §7.1): fed the bytes
/// as they arrive, it appends the chunks' data to the body.
#[derive(Default)]
pub struct Chunked {
    state: ChunkState,
    line: Vec<u8>,
}

#[derive(Default, PartialEq, Eq)]
enum ChunkState {
    /// Reading a `size[;extensions]` line.
    #[default]
    Size,
    /// This many data bytes still to come.
    Data(u64),
    /// The CRLF after a chunk's data.
    DataEnd,
    /// Trailer fields, up to an empty line.
    Trailers,
    Done,
}

impl Chunked {
    pub fn is_done(&self) -> bool {
        self.state == ChunkState::Done
    }

    pub fn feed(&mut self, mut data: &[u8], body: &mut Vec<u8>) -> Result<(), String> {
        while !data.is_empty() && self.state != ChunkState::Done {
            if let ChunkState::Data(left) = self.state {
                let n = data.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                body.extend_from_slice(data.get(..n).unwrap_or_default());
                data = data.get(n..).unwrap_or_default();
                let left = left - n as u64;
                self.state = if left == 0 {
                    ChunkState::DataEnd
                } else {
                    ChunkState::Data(left)
                };
                continue;
            }
            // A line: up to and including '\n'.
            let (part, rest, complete) = match data.iter().position(|&b| b == b'\n') {
                Some(i) => (data.get(..i).unwrap_or_default(), data.get(i + 1..), true),
                None => (data, None, false),
            };
            data = rest.unwrap_or_default();
            self.line.extend_from_slice(part);
            if self.line.len() > MAX_CHUNK_LINE {
                return Err("a chunk-size or trailer line is too long".into());
            }
            if !complete {
                break;
            }
            let line = String::from_utf8_lossy(&self.line)
                .trim_end_matches('\r')
                .to_string();
            self.line.clear();
            self.state = match self.state {
                ChunkState::Size => {
                    let size = line.split(';').next().unwrap_or_default().trim();
                    let size = u64::from_str_radix(size, 16)
                        .ok()
                        .filter(|_| !size.is_empty() && size.len() <= 16)
                        .ok_or_else(|| format!("bad chunk size {size:?}"))?;
                    if size == 0 {
                        ChunkState::Trailers
                    } else {
                        ChunkState::Data(size)
                    }
                }
                ChunkState::DataEnd if line.is_empty() => ChunkState::Size,
                ChunkState::DataEnd => return Err("a chunk is longer than its size".into()),
                ChunkState::Trailers if line.is_empty() => ChunkState::Done,
                ChunkState::Trailers => ChunkState::Trailers,
                ChunkState::Data(_) | ChunkState::Done => {
                    return Err("chunked decoder out of step".into())
                }
            };
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream that hands out a canned response in small pieces and records the request.
    struct Canned {
        response: Vec<u8>,
        at: usize,
        piece: usize,
        written: Vec<u8>,
    }

    impl Read for Canned {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let rest = self.response.get(self.at..).unwrap_or_default();
            let n = rest.len().min(self.piece).min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            self.at += n;
            Ok(n)
        }
    }

    impl Write for Canned {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.written.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn fetch_canned(response: &str, piece: usize, max: usize) -> Result<Page, String> {
        let mut s = Canned {
            response: response.as_bytes().to_vec(),
            at: 0,
            piece,
            written: Vec::new(),
        };
        let page = fetch(&mut s, "a.test:8443", "/x?y", max)?;
        let request = String::from_utf8(s.written).unwrap();
        assert!(request.starts_with("GET /x?y HTTP/1.1\r\nHost: a.test:8443\r\n"));
        Ok(page)
    }

    #[test]
    fn bodies_by_length_chunks_and_close() {
        for piece in [1, 3, 4096] {
            let p = fetch_canned(
                "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA",
                piece,
                100,
            )
            .unwrap();
            assert_eq!(
                (p.status, p.reason.as_str(), &p.body[..]),
                (200, "OK", &b"hello"[..])
            );
            let p = fetch_canned(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n\
                 5;ext=1\r\nhello\r\nA\r\n, chunked!\r\n0\r\nX-Trailer: y\r\n\r\nEXTRA",
                piece,
                100,
            )
            .unwrap();
            assert_eq!(p.body, b"hello, chunked!");
            assert!(p.ended_early.is_none() && !p.cut);
            let p = fetch_canned("HTTP/1.0 200 OK\r\n\r\nto the end", piece, 100).unwrap();
            assert_eq!(p.body, b"to the end");
        }
    }

    #[test]
    fn limits_and_early_ends() {
        let p = fetch_canned("HTTP/1.1 200 OK\r\n\r\n0123456789", 4096, 4).unwrap();
        assert_eq!((&p.body[..], p.cut), (&b"0123"[..], true));
        let p = fetch_canned(
            "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort",
            4096,
            100,
        )
        .unwrap();
        assert!(p.ended_early.unwrap().contains("after 5 bytes"));
        let p = fetch_canned("HTTP/1.1 204 No Content\r\n\r\n", 4096, 100).unwrap();
        assert!(p.body.is_empty() && p.ended_early.is_none());
    }

    #[test]
    fn malformed_responses() {
        for (response, error) in [
            ("SSH-2.0-OpenSSH\r\n\r\n", "did not answer in HTTP/1.x"),
            ("HTTP/1.1 abc\r\n\r\n", "no status code"),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
                "not a number",
            ),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                "bad chunk size",
            ),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
                "longer than its size",
            ),
            ("HTTP/1.1 200", "closed the connection before answering"),
        ] {
            let e = fetch_canned(response, 7, 100).err().unwrap();
            assert!(e.contains(error), "{response:?}: {e}");
        }
        let huge = format!("HTTP/1.1 200 OK\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEAD + 1));
        assert!(fetch_canned(&huge, 4096, 10)
            .err()
            .unwrap()
            .contains("longer than"));
        let long_size = format!(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{}",
            "0".repeat(MAX_CHUNK_LINE + 1)
        );
        assert!(fetch_canned(&long_size, 4096, 10)
            .err()
            .unwrap()
            .contains("too long"));
        let overflow = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n";
        assert!(fetch_canned(overflow, 4096, 10)
            .err()
            .unwrap()
            .contains("bad chunk size"));
    }
}
