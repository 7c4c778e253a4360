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
