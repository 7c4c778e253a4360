//! Just enough HTTP/1.x for `connect --http-get` and `serve`.

use std::io::{self, Read, Write};

/// Request heads larger than this are refused (a bounded read, whatever the client sends).
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

/// A request head as `serve` parses it.
pub struct Request {
    pub method: String,
    pub path: String,
    pub version: String,
    pub keep_alive: bool,
    /// Bytes the head took, blank line included.
    pub head_len: usize,
}

/// Reads one request head (bounded by [`MAX_HEAD`]). `Ok(None)`: the client closed first.
pub fn read_request<S: Read>(
    stream: &mut S,
    pending: &mut Vec<u8>,
) -> Result<Option<Request>, String> {
    let mut buf = [0u8; 4096];
    loop {
        if let Some(pos) = find(pending, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(pending.get(..pos).unwrap_or_default()).into_owned();
            pending.drain(..pos + 4);
            return parse_request(&head, pos + 4).map(Some);
        }
        if pending.len() > MAX_HEAD {
            return Err("request head too large".into());
        }
        let n = stream.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Ok(None);
        }
        pending.extend_from_slice(buf.get(..n).unwrap_or_default());
    }
}

fn parse_request(head: &str, head_len: usize) -> Result<Request, String> {
    let mut lines = head.lines();
    let first = lines.next().ok_or("empty request")?;
    let mut parts = first.split_whitespace();
    let method = parts.next().ok_or("no method")?.to_string();
    let path = parts.next().ok_or("no path")?.to_string();
    let version = parts.next().unwrap_or("HTTP/1.0").to_string();
    let mut keep_alive = version == "HTTP/1.1";
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            if name.trim().eq_ignore_ascii_case("connection") {
                let v = value.trim().to_ascii_lowercase();
                if v.contains("close") {
                    keep_alive = false;
                } else if v.contains("keep-alive") {
                    keep_alive = true;
                }
            }
        }
    }
    Ok(Request {
        method,
        path,
        version,
        keep_alive,
        head_len,
    })
}
