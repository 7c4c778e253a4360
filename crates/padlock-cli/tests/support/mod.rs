//! A `padlock serve` process and a hyper client over padlock-tokio, for the tests of the
//! tokio server (serve_http.rs, serve_load.rs).

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::{header, HeaderMap, Method, Request, StatusCode, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use padlock::padlock_cert::RootStore;
use padlock::pki_types::ServerName;
use padlock::ClientConfig;
use padlock_tokio::{TlsConnector, TlsStream};
use tokio::net::TcpStream;

use crate::common::*;

/// The key type of the server's certificate unless a test says otherwise.
pub const KIND: KeyKind = KeyKind::EcdsaP256;

pub fn pki() -> &'static TestPki {
    TestPki::shared()
}

/// A running `padlock serve`, killed on drop (through [`Peer`]).
pub struct Serve {
    pub peer: Peer,
    pub port: u16,
}

impl Serve {
    /// `padlock serve --cert CHAIN --key KEY --listen 127.0.0.1:0 extra...` with the shared
    /// PKI's [`KIND`] credential. With `--json` in `extra`, the port comes from the JSON
    /// "listening" line.
    pub fn start(extra: &[&str]) -> Serve {
        Serve::start_kind(KIND, extra)
    }

    /// The same with the shared PKI's credential of `kind`.
    pub fn start_kind(kind: KeyKind, extra: &[&str]) -> Serve {
        let cred = pki().server(kind);
        Serve::start_with(&cred.chain_pem, &cred.key_pem, extra)
    }

    /// The same with another chain and key.
    pub fn start_with(chain: &Path, key: &Path, extra: &[&str]) -> Serve {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_padlock"));
        cmd.arg("serve")
            .arg("--cert")
            .arg(chain)
            .arg("--key")
            .arg(key)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra);
        let peer = Peer::spawn(cmd);
        let addr = if extra.contains(&"--json") {
            // {"event":"listening","listening_on":"127.0.0.1:PORT"}
            let rest = peer.wait_for_line(
                "{\"event\":\"listening\",\"listening_on\":\"",
                DEFAULT_TIMEOUT,
            );
            rest.trim_end_matches("\"}").to_string()
        } else {
            peer.wait_for_line("listening on ", DEFAULT_TIMEOUT)
        };
        let port = addr
            .strip_prefix("127.0.0.1:")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| peer.fail(&format!("unexpected listen address {addr:?}")));
        assert_ne!(port, 0);
        Serve { peer, port }
    }

    /// `127.0.0.1:PORT`, as the commands take it.
    pub fn target(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The handshakes the server logged so far (one stderr line per connection, text or
    /// `--json`).
    pub fn logged_handshakes(&self) -> usize {
        let out = self.peer.output();
        out.matches(": TLS 1.3 TLS_").count() + out.matches("\"event\":\"handshake\"").count()
    }

    /// Sends the signal `name` (TERM, INT, HUP) to the server.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args(["-s", name, &self.peer.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -s {name} failed");
    }

    /// Sends SIGTERM and waits for the server to exit; its summary line ("N accepted, ...").
    pub fn shut_down(mut self) -> String {
        self.signal("TERM");
        let status = self.peer.wait_for_exit(DEFAULT_TIMEOUT);
        assert!(status.success(), "{status}: {}", self.peer.output());
        self.peer
            .output()
            .lines()
            .find_map(|l| l.strip_prefix("shut down: "))
            .unwrap_or_else(|| self.peer.fail("no summary line"))
            .to_string()
    }

    /// The server's open file descriptors.
    pub fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.peer.pid()))
            .unwrap()
            .count()
    }

    /// The server's resident memory in bytes.
    pub fn resident_bytes(&self) -> usize {
        let statm = std::fs::read_to_string(format!("/proc/{}/statm", self.peer.pid())).unwrap();
        let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
        pages * 4096
    }

    /// Waits (up to 10 s) until `ready` holds for the server.
    pub fn wait_until(&self, what: &str, ready: impl Fn(&Serve) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ready(self) {
            if Instant::now() > deadline {
                self.peer.fail(&format!("still not {what} after 10 s"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// `padlock connect 127.0.0.1:PORT --servername localhost args...`, bounded like every peer.
pub fn padlock_connect(port: u16, args: &[&str]) -> ToolRun {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_padlock"));
    cmd.arg("connect")
        .arg(format!("127.0.0.1:{port}"))
        .args(["--servername", SERVER_NAME])
        .args(args);
    run_tool(cmd, "", DEFAULT_TIMEOUT)
}

/// The count in a summary line, e.g. `count(summary, "handshake timeouts")`.
pub fn count(summary: &str, what: &str) -> u64 {
    summary
        .split(", ")
        .find_map(|part| part.strip_suffix(what))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {what:?} in {summary:?}"))
}

/// A client config trusting the root of `kind`, offering `alpn`.
pub fn client_config_for(kind: KeyKind, alpn: &[&[u8]]) -> ClientConfig {
    let mut roots = RootStore::empty();
    roots.add_der(pki().server(kind).ca_der.as_ref()).unwrap();
    let mut config = ClientConfig::new(roots);
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    config
}

pub fn connector(alpn: &[&[u8]]) -> TlsConnector {
    TlsConnector::from(Arc::new(client_config_for(KIND, alpn)))
}

pub fn localhost() -> ServerName<'static> {
    ServerName::try_from(SERVER_NAME).unwrap()
}

/// A TLS connection to the server.
pub async fn tls(connector: &TlsConnector, port: u16) -> TlsStream<TcpStream> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    // Small writes (the Finished, then a request) must not wait for a delayed ACK (Nagle).
    tcp.set_nodelay(true).unwrap();
    connector.connect(localhost(), tcp).await.unwrap()
}

/// What one request came back with.
#[derive(Debug)]
pub struct Fetched {
    pub alpn: Option<Vec<u8>>,
    pub version: Version,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Fetched {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

/// One request over a fresh connection, in HTTP/2 if ALPN chose `h2`, else HTTP/1.1.
pub async fn fetch(connector: &TlsConnector, port: u16, method: Method, path: &str) -> Fetched {
    let tls = tls(connector, port).await;
    let alpn = tls.connection().info().alpn.clone();
    let io = TokioIo::new(tls);
    let response = if alpn.as_deref() == Some(b"h2") {
        let (mut sender, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
            .await
            .unwrap();
        tokio::spawn(conn);
        let req = Request::builder()
            .method(method)
            .uri(format!("https://{SERVER_NAME}:{port}{path}"))
            .body(Empty::<Bytes>::new())
            .unwrap();
        sender.send_request(req).await.unwrap()
    } else {
        let (mut sender, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
        tokio::spawn(conn);
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, format!("{SERVER_NAME}:{port}"))
            .body(Empty::<Bytes>::new())
            .unwrap();
        sender.send_request(req).await.unwrap()
    };
    let (parts, body) = response.into_parts();
    Fetched {
        alpn,
        version: parts.version,
        status: parts.status,
        headers: parts.headers,
        body: body.collect().await.unwrap().to_bytes(),
    }
}

/// Runs `f` on a fresh two-thread runtime, bounded.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            tokio::time::timeout(Duration::from_secs(40), f)
                .await
                .expect("test did not finish in 40 s")
        })
}
