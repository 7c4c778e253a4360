//! Hand-built ClientHellos for `padlock probe`: which protocol versions a server accepts is
//! read from its first answer alone (a ServerHello naming the version, or an alert), so no
//! TLS 1.0-1.2 implementation is needed.
//!
//! A TLS 1.2-or-older hello carries the version in legacy_version and has no
//! supported_versions (RFC 5246 §7.4.1.2); a TLS 1.3 hello says 0x0303 there and lists 1.3 in
//! supported_versions (RFC 8446 §4.1.2, §4.2.1).

use std::io::{Read, Write};
use std::time::Duration;

use padlock::codec::{put_bytes, Reader};
use padlock::msgs::{
    CipherSuiteId, ClientExtensions, ClientHello, HandshakeMessage, HandshakeType, NamedGroup,
    ProtocolVersion, ServerHello, SignatureScheme,
};

use crate::observe::Target;

/// Record content types (RFC 8446 §5.1).
const ALERT: u8 = 21;
const HANDSHAKE: u8 = 22;
/// Largest record we read: 2^14 plus the most expansion TLS 1.2 allows (RFC 5246 §6.2.3).
const MAX_RECORD: usize = (1 << 14) + 2048;
/// A ServerHello never needs more than a few records; stop after this many bytes.
const MAX_ANSWER: usize = 64 * 1024;

/// The versions `probe` asks about, oldest first.
pub const VERSIONS: [ProtocolVersion; 4] = [
    ProtocolVersion::TLS1_0,
    ProtocolVersion::TLS1_1,
    ProtocolVersion::TLS1_2,
    ProtocolVersion::TLS1_3,
];

/// "1.0" ... "1.3".
pub fn version_label(v: ProtocolVersion) -> &'static str {
    match v {
        ProtocolVersion::TLS1_0 => "1.0",
        ProtocolVersion::TLS1_1 => "1.1",
        ProtocolVersion::TLS1_2 => "1.2",
        ProtocolVersion::TLS1_3 => "1.3",
        _ => "?",
    }
}

/// The TLS 1.2-style suites a legacy hello offers: what browsers and servers of that era
/// share (ECDHE and plain-RSA key exchange; GCM, ChaCha20 and CBC), so that a server that
/// speaks the version at all finds one.
const LEGACY_SUITES: &[u16] = &[
    0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, // ECDHE, AEAD
    0xc009, 0xc013, 0xc00a, 0xc014, // ECDHE, CBC
    0x009c, 0x009d, 0x002f, 0x0035, // RSA key exchange
    0x000a, // 3DES, for the very old
    0x00ff, // TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 §3.3)
];

const TLS13_SUITES: &[u16] = &[0x1301, 0x1302, 0x1303];

/// What signature_algorithms offers: every scheme in use, SHA-1 last (TLS 1.0/1.1 servers
/// ignore the extension; 1.2 servers need an overlap with their certificate).
const SCHEMES: &[u16] = &[
    0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601, 0x0807, 0x0809, 0x080a, 0x080b,
    0x0603, 0x0201, 0x0203,
];

/// The groups a hello lists: padlock's, then the other common curves.
const GROUPS: &[u16] = &[0x11ec, 0x001d, 0x0017, 0x0018, 0x0019, 0x001e];

/// How a server answered one ClientHello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A ServerHello: the version it chose and the suite.
    Hello {
        version: ProtocolVersion,
        suite: CipherSuiteId,
        /// The random ends in the RFC 8446 §4.1.3 sentinel: the server speaks TLS 1.3 too.
        downgrade_sentinel: bool,
    },
    /// A HelloRetryRequest: TLS 1.3, and the group the server wants a share for.
    HelloRetry { group: Option<NamedGroup> },
    /// An alert, by name.
    Alert(String),
    /// The connection closed (or reset) without an answer.
    Closed,
    /// Something that is not TLS, described.
    NotTls(String),
}

impl Answer {
    /// The version the server agreed to, if it agreed to one.
    pub fn version(&self) -> Option<ProtocolVersion> {
        match self {
            Answer::Hello { version, .. } => Some(*version),
            Answer::HelloRetry { .. } => Some(ProtocolVersion::TLS1_3),
            _ => None,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Answer::Hello { version, suite, .. } => format!("ServerHello {version:?} {suite:?}"),
            Answer::HelloRetry { group } => match group {
                Some(g) => format!("HelloRetryRequest for {g:?}"),
                None => "HelloRetryRequest".into(),
            },
            Answer::Alert(a) => format!("alert {a}"),
            Answer::Closed => "connection closed".into(),
            Answer::NotTls(what) => what.clone(),
        }
    }
}

/// The ClientHello offering exactly `version`. The TLS 1.3 one sends no key share at all
/// (an empty client_shares is legal, RFC 8446 §4.2.8), so a TLS 1.3 server must answer with
/// a HelloRetryRequest naming the group it prefers.
pub fn client_hello(version: ProtocolVersion, sni: Option<&str>) -> Result<Vec<u8>, String> {
    let mut random = [0u8; 32];
    padlock::crypto::random_bytes(&mut random).map_err(|e| e.to_string())?;
    let tls13 = version == ProtocolVersion::TLS1_3;
    let suites = if tls13 { TLS13_SUITES } else { LEGACY_SUITES };
    let extensions = ClientExtensions {
        server_name: sni.map(str::to_string),
        supported_versions: tls13.then(|| vec![ProtocolVersion::TLS1_3]),
        supported_groups: Some(GROUPS.iter().map(|&g| NamedGroup(g)).collect()),
        signature_algorithms: Some(SCHEMES.iter().map(|&s| SignatureScheme(s)).collect()),
        key_shares: tls13.then(Vec::new),
        ..Default::default()
    };
    let hello = ClientHello {
        legacy_version: if tls13 {
            ProtocolVersion::TLS1_2
        } else {
            version
        },
        random,
        legacy_session_id: Vec::new(),
        cipher_suites: suites.iter().map(|&s| CipherSuiteId(s)).collect(),
        compression_methods: vec![0],
        extensions,
    };
    let message = HandshakeMessage::ClientHello(hello).to_bytes();
    // The record says TLS 1.0, what clients send in the first record for compatibility
    // with old servers (RFC 8446 §5.1, RFC 5246 Appendix E.1).
    let mut record = vec![HANDSHAKE, 0x03, 0x01];
    put_bytes(&mut record, 2, &message);
    Ok(record)
}

/// The first answer, and for TLS 1.2 and older the certificate chain that follows it in
/// the clear (RFC 5246 §7.4.2); TLS 1.3 encrypts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub answer: Answer,
    /// DER certificates, leaf first; empty when not seen.
    pub chain: Vec<Vec<u8>>,
}

/// Sends the hello for `version` and reads the answer.
pub fn ask(
    target: &Target,
    version: ProtocolVersion,
    sni: Option<&str>,
    timeout: Duration,
) -> Result<Reply, String> {
    let (mut tcp, _) = target.connect(timeout)?;
    let hello = client_hello(version, sni)?;
    tcp.write_all(&hello)
        .map_err(|e| format!("sending ClientHello: {e}"))?;
    read_answer(&mut tcp)
}

/// Reads records up to the first handshake message or alert; after a pre-1.3 ServerHello,
/// on to the Certificate message.
pub fn read_answer(io: &mut impl Read) -> Result<Reply, String> {
    let mut handshake = Vec::new();
    let mut hello: Option<Answer> = None;
    let mut total = 0usize;
    // Once a ServerHello arrived, whatever happens next still leaves that answer.
    let end = |hello: Option<Answer>, otherwise: Answer| Reply {
        answer: hello.unwrap_or(otherwise),
        chain: Vec::new(),
    };
    loop {
        let mut header = [0u8; 5];
        match read_full(io, &mut header) {
            Ok(true) => {}
            Ok(false) => return Ok(end(hello, Answer::Closed)),
            Err(e) if is_reset(&e) || (is_timeout(&e) && hello.is_some()) => {
                return Ok(end(hello, Answer::Closed))
            }
            Err(e) if is_timeout(&e) => return Err("the server did not answer in time".into()),
            Err(e) => return Err(format!("reading the answer: {e}")),
        }
        let [typ, major, _, hi, lo] = header;
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        if major != 3 || !(20..=23).contains(&typ) || len > MAX_RECORD {
            return Ok(end(hello, Answer::NotTls(not_tls(&header))));
        }
        total += len;
        if total > MAX_ANSWER {
            return Ok(end(hello, Answer::NotTls("an oversized answer".into())));
        }
        let mut body = vec![0u8; len];
        match read_full(io, &mut body) {
            Ok(true) => {}
            Ok(false) => return Ok(end(hello, Answer::Closed)),
            Err(e) if is_reset(&e) || is_timeout(&e) => return Ok(end(hello, Answer::Closed)),
            Err(e) => return Err(format!("reading the answer: {e}")),
        }
        match typ {
            ALERT => {
                let alert = match body.get(1) {
                    Some(d) => format!("{:?}", padlock::alert::AlertDescription(*d)),
                    None => "a malformed alert".into(),
                };
                return Ok(end(hello, Answer::Alert(alert)));
            }
            HANDSHAKE => {
                handshake.extend_from_slice(&body);
                match messages(&handshake)? {
                    Next::More => {}
                    Next::Hello(a) if is_legacy(&a) => hello = Some(a),
                    Next::Hello(a) => return Ok(end(None, a)),
                    Next::Chain(a, chain) => return Ok(Reply { answer: a, chain }),
                    Next::NoChain(a) => return Ok(end(None, a)),
                }
            }
            // change_cipher_spec or application data before a ServerHello: not a TLS server.
            _ => return Ok(end(hello, Answer::NotTls("records out of order".into()))),
        }
    }
}

/// A pre-1.3 ServerHello is followed by the certificate in the clear: read on.
fn is_legacy(a: &Answer) -> bool {
    matches!(a, Answer::Hello { version, .. } if *version != ProtocolVersion::TLS1_3)
}

enum Next {
    /// The buffered messages are not complete yet.
    More,
    /// The first message, and nothing more to read for it (or nothing buffered yet).
    Hello(Answer),
    /// A pre-1.3 ServerHello and the Certificate after it.
    Chain(Answer, Vec<Vec<u8>>),
    /// A pre-1.3 ServerHello followed by something other than Certificate (PSK or
    /// anonymous suites).
    NoChain(Answer),
}

/// Walks the complete handshake messages in `buf`: the ServerHello, then for TLS 1.2 and
/// older the message after it.
fn messages(buf: &[u8]) -> Result<Next, String> {
    let Some((typ, len)) = padlock::msgs::handshake_header(buf) else {
        return Ok(Next::More);
    };
    let Some(body) = buf.get(4..4 + len) else {
        return Ok(Next::More);
    };
    let answer = server_hello(typ, body)?;
    if !is_legacy(&answer) {
        return Ok(Next::Hello(answer));
    }
    let rest = buf.get(4 + len..).unwrap_or_default();
    let Some((typ, len)) = padlock::msgs::handshake_header(rest) else {
        return Ok(Next::Hello(answer));
    };
    let Some(body) = rest.get(4..4 + len) else {
        return Ok(Next::Hello(answer));
    };
    Ok(if typ == HandshakeType::CERTIFICATE {
        Next::Chain(answer, tls12_certificates(body))
    } else {
        Next::NoChain(answer)
    })
}

fn server_hello(typ: HandshakeType, body: &[u8]) -> Result<Answer, String> {
    if typ != HandshakeType::SERVER_HELLO {
        return Ok(Answer::NotTls(format!(
            "a {typ:?} message instead of ServerHello"
        )));
    }
    let hello = ServerHello::decode(body).map_err(|e| format!("malformed ServerHello: {e}"))?;
    if hello.is_hello_retry_request() {
        return Ok(Answer::HelloRetry {
            group: hello.extensions.selected_group,
        });
    }
    let version = hello
        .extensions
        .supported_version
        .unwrap_or(hello.legacy_version);
    let tail = hello.random.get(24..).unwrap_or_default();
    Ok(Answer::Hello {
        version,
        suite: hello.cipher_suite,
        downgrade_sentinel: tail == padlock::msgs::DOWNGRADE_TLS12
            || tail == padlock::msgs::DOWNGRADE_TLS11,
    })
}

/// `ASN.1Cert certificate_list<0..2^24-1>`, each `opaque ASN.1Cert<1..2^24-1>` (RFC 5246
/// §7.4.2). A malformed list yields the certificates read before the damage.
fn tls12_certificates(body: &[u8]) -> Vec<Vec<u8>> {
    let mut certs = Vec::new();
    let mut r = Reader::new(body);
    let Ok(mut list) = r.sub_u24() else {
        return certs;
    };
    while !list.is_empty() {
        match list.bytes_u24(1) {
            Ok(der) => certs.push(der.to_vec()),
            Err(_) => break,
        }
    }
    certs
}

fn not_tls(header: &[u8; 5]) -> String {
    if header.starts_with(b"HTTP/") {
        "a plain-text HTTP answer (this port does not speak TLS)".into()
    } else if header.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        format!(
            "plain text ({:?}...): this port does not speak TLS",
            String::from_utf8_lossy(header)
        )
    } else {
        "bytes that are not TLS records".into()
    }
}

/// Fills `buf`; `Ok(false)` on a clean end of stream before the first byte.
fn read_full(io: &mut impl Read, buf: &mut [u8]) -> std::io::Result<bool> {
    let mut got = 0;
    while got < buf.len() {
        let Some(rest) = buf.get_mut(got..) else {
            break;
        };
        match io.read(rest) {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

fn is_reset(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof
    )
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(typ: u8, body: &[u8]) -> Vec<u8> {
        let mut r = vec![typ, 3, 3];
        put_bytes(&mut r, 2, body);
        r
    }

    #[test]
    fn hellos_decode_as_the_version_they_offer() {
        for v in VERSIONS {
            let rec = client_hello(v, Some("a.test")).unwrap();
            let msg = HandshakeMessage::decode_message(rec.get(5..).unwrap()).unwrap();
            let HandshakeMessage::ClientHello(h) = msg else {
                panic!("not a ClientHello")
            };
            assert_eq!(h.extensions.server_name.as_deref(), Some("a.test"));
            if v == ProtocolVersion::TLS1_3 {
                assert_eq!(h.legacy_version, ProtocolVersion::TLS1_2);
                assert_eq!(
                    h.extensions.supported_versions,
                    Some(vec![ProtocolVersion::TLS1_3])
                );
                assert_eq!(h.extensions.key_shares, Some(vec![]));
                assert!(h.cipher_suites.iter().all(|s| s.is_tls13()));
            } else {
                assert_eq!(h.legacy_version, v);
                assert_eq!(h.extensions.supported_versions, None);
                assert!(!h.cipher_suites.iter().any(|s| s.is_tls13()));
            }
        }
    }

    fn answer(wire: &[u8]) -> Reply {
        read_answer(&mut &wire[..]).unwrap()
    }

    fn server_hello_msg(version: [u8; 2], random: [u8; 32]) -> Vec<u8> {
        let mut body = version.to_vec();
        body.extend_from_slice(&random);
        body.extend_from_slice(&[0, 0xc0, 0x2b, 0]);
        let mut msg = vec![2, 0, 0, body.len() as u8];
        msg.extend_from_slice(&body);
        msg
    }

    #[test]
    fn answers() {
        assert_eq!(
            answer(&record(ALERT, &[2, 70])).answer,
            Answer::Alert("protocol_version".into())
        );
        assert_eq!(answer(b"").answer, Answer::Closed);
        assert!(matches!(
            answer(b"HTTP/1.1 400 Bad Request\r\n").answer,
            Answer::NotTls(s) if s.contains("HTTP")
        ));
        // A TLS 1.2 ServerHello split over two records, with the downgrade sentinel, then
        // the Certificate message in the clear.
        let mut random = [7u8; 32];
        random[24..].copy_from_slice(&padlock::msgs::DOWNGRADE_TLS12);
        let msg = server_hello_msg([3, 3], random);
        let (a, b) = msg.split_at(10);
        let mut wire = record(HANDSHAKE, a);
        wire.extend(record(HANDSHAKE, b));
        let hello = Answer::Hello {
            version: ProtocolVersion::TLS1_2,
            suite: CipherSuiteId(0xc02b),
            downgrade_sentinel: true,
        };
        // The server stops after the hello: the answer stands, without a chain.
        assert_eq!(answer(&wire).answer, hello);
        let certificate = [11, 0, 0, 12, 0, 0, 9, 0, 0, 2, 0xaa, 0xbb, 0, 0, 1, 0xcc];
        wire.extend(record(HANDSHAKE, &certificate));
        let reply = answer(&wire);
        assert_eq!(reply.answer, hello);
        assert_eq!(reply.chain, vec![vec![0xaa, 0xbb], vec![0xcc]]);
        // Truncated inside the first record: closed, not a panic.
        let cut = record(HANDSHAKE, &msg);
        assert_eq!(answer(cut.get(..8).unwrap()).answer, Answer::Closed);
        // A TLS 1.3 ServerHello (supported_versions) ends the reading at once.
        let mut body = vec![3, 3];
        body.extend_from_slice(&[1u8; 32]);
        body.extend_from_slice(&[0, 0x13, 0x01, 0, 0, 6, 0, 0x2b, 0, 2, 3, 4]);
        let mut msg = vec![2, 0, 0, body.len() as u8];
        msg.extend_from_slice(&body);
        assert_eq!(
            answer(&record(HANDSHAKE, &msg)).answer,
            Answer::Hello {
                version: ProtocolVersion::TLS1_3,
                suite: CipherSuiteId(0x1301),
                downgrade_sentinel: false,
            }
        );
    }
}
