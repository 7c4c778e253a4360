//! `padlock serve` on tokio (crates/padlock-cli/src/serve_tokio.rs, included here until the
//! CLI wires it in): hyper clients in both protocols, load, slow-loris, the connection limit,
//! idle timeout and graceful shutdown, all in-process on loopback.

#[path = "../../padlock/tests/common/mod.rs"]
mod common;
mod support;

#[path = "../examples/hyper_client.rs"]
#[allow(dead_code)]
mod hyper_client;
#[path = "../../padlock-cli/src/serve_tokio.rs"]
#[allow(dead_code)]
mod serve_tokio;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::Response;
use padlock::Connection;
use padlock_tokio::TlsConnector;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use common::SERVER_NAME;
use serve_tokio::{Handler, Limits, Stats};
use support::*;

async fn bounded<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(25), f)
        .await
        .expect("test did not finish in 25 s")
}

struct Running {
    addr: SocketAddr,
    stats: Arc<Stats>,
    stop: Option<oneshot::Sender<()>>,
    done: JoinHandle<()>,
}

impl Running {
    /// Graceful shutdown; returns once `serve` has returned.
    async fn shut_down(mut self) {
        self.stop.take().unwrap().send(()).unwrap();
        self.done.await.unwrap();
    }

    fn stat(&self, pick: impl Fn(&Stats) -> u64) -> u64 {
        pick(&self.stats)
    }
}

async fn start(limits: Limits, handler: Handler) -> Running {
    let config = Arc::new(server_config(&[b"h2", b"http/1.1"]));
    let listener = listener().await;
    let addr = listener.local_addr().unwrap();
    let stats = Arc::new(Stats::default());
    let (stop, stopped) = oneshot::channel::<()>();
    let done = tokio::spawn(serve_tokio::serve(
        listener,
        config,
        limits,
        stats.clone(),
        handler,
        async {
            let _ = stopped.await;
        },
    ));
    Running {
        addr,
        stats,
        stop: Some(stop),
        done,
    }
}

fn n(c: &std::sync::atomic::AtomicU64) -> u64 {
    c.load(Ordering::Relaxed)
}

/// Waits (up to 10 s) for a counter to reach `want`: the server counts a connection just
/// after closing it, so the client can see the close first.
async fn wait_for_count(server: &Running, pick: impl Fn(&Stats) -> u64, want: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.stat(&pick) != want && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(server.stat(&pick), want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_clients_get_the_handshake_page_in_h2_and_http11() {
    bounded(async {
        let server = start(Limits::default(), serve_tokio::handshake_page()).await;
        for (offered, alpn, version) in [
            (&[&b"h2"[..], b"http/1.1"][..], "h2", "HTTP/2.0"),
            (&[&b"http/1.1"[..]][..], "http/1.1", "HTTP/1.1"),
        ] {
            let connector = TlsConnector::from(hyper_client::client_config(roots(), offered));
            let got = hyper_client::get(&connector, SERVER_NAME, server.addr.port(), "/")
                .await
                .unwrap();
            assert_eq!(got.alpn.as_deref(), Some(alpn.as_bytes()));
            assert_eq!(got.status, 200);
            let page = String::from_utf8(got.body.to_vec()).unwrap();
            assert!(
                page.contains(&format!("<th>ALPN</th><td>{alpn}</td>")),
                "{page}"
            );
            assert!(
                page.contains(&format!("<th>HTTP</th><td>{version}</td>")),
                "{page}"
            );
            let missing = hyper_client::get(&connector, SERVER_NAME, server.addr.port(), "/nope")
                .await
                .unwrap();
            assert_eq!(missing.status, 404);
        }
        assert_eq!(server.stat(|s| n(&s.requests)), 4);
        server.shut_down().await;
    })
    .await;
}

/// Open file descriptors of this process.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Resident memory of this process.
fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

/// An HTTP/1.1 request on a fresh connection, answered and closed cleanly.
async fn one_request(connector: &TlsConnector, addr: SocketAddr) {
    let tcp = TcpStream::connect(addr).await.unwrap();
    // Without it, Nagle holds the request behind the Finished until the server's delayed ACK.
    tcp.set_nodelay(true).unwrap();
    let mut tls = connector.connect(localhost(), tcp).await.unwrap();
    tls.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = Vec::new();
    tls.read_to_end(&mut response).await.unwrap();
    assert!(response.starts_with(b"HTTP/1.1 200 OK"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_connections_leave_no_descriptors_behind() {
    const HELD: usize = 2000;
    const SEQUENTIAL: usize = 5000;
    bounded(async {
        let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
        let fd_limit: usize = limits
            .lines()
            .find(|l| l.starts_with("Max open files"))
            .and_then(|l| l.split_whitespace().nth(3))
            .and_then(|v| v.parse().ok())
            .unwrap();
        assert!(
            fd_limit > 2 * HELD + 200,
            "raise the open-file limit (ulimit -n) above {}: client and server ends share this process",
            2 * HELD + 200
        );
        let server = start(Limits::default(), serve_tokio::handshake_page()).await;
        let connector = TlsConnector::from(Arc::new(client_config(&[b"http/1.1"])));
        let before = open_fds();

        // Held open at once: handshake and one keep-alive request each, then wait.
        let mut held = tokio::task::JoinSet::new();
        let started = Instant::now();
        for _ in 0..HELD {
            let connector = connector.clone();
            let addr = server.addr;
            held.spawn(async move {
                let tcp = TcpStream::connect(addr).await.unwrap();
                let mut tls = connector.connect(localhost(), tcp).await.unwrap();
                tls.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
                    .await
                    .unwrap();
                let mut head = [0u8; 15];
                tls.read_exact(&mut head).await.unwrap();
                assert_eq!(&head, b"HTTP/1.1 200 OK");
                tls
            });
        }
        let mut streams = Vec::with_capacity(HELD);
        while let Some(s) = held.join_next().await {
            streams.push(s.unwrap());
        }
        assert_eq!(server.stats.active.load(Ordering::Relaxed), HELD);
        eprintln!("{HELD} connections open after {:?}", started.elapsed());
        drop(streams);
        wait_for_count(&server, |s| s.active.load(Ordering::Relaxed) as u64, 0).await;
        let rss_before = resident_bytes();

        let started = Instant::now();
        for _ in 0..SEQUENTIAL {
            one_request(&connector, server.addr).await;
        }
        eprintln!(
            "{SEQUENTIAL} sequential handshakes+requests in {:?}",
            started.elapsed()
        );

        // Every connection is gone on both sides: descriptors are back where they were, and
        // thousands of connections later the process has not grown.
        wait_for_count(&server, |s| s.active.load(Ordering::Relaxed) as u64, 0).await;
        let rss_after = resident_bytes();
        assert!(
            rss_after < rss_before + (16 << 20),
            "resident memory grew from {rss_before} to {rss_after} bytes over {SEQUENTIAL} connections"
        );
        let after = open_fds();
        assert!(after <= before + 4, "fds: {before} before, {after} after");
        assert_eq!(
            server.stat(|s| n(&s.handshakes)),
            (HELD + SEQUENTIAL) as u64
        );
        assert_eq!(server.stat(|s| n(&s.handshake_failures)), 0);
        server.shut_down().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_loris_connections_are_dropped_while_others_are_served() {
    const STALLED: usize = 200;
    bounded(async {
        let limits = Limits {
            handshake_timeout: Duration::from_millis(800),
            ..Limits::default()
        };
        let server = start(limits, serve_tokio::handshake_page()).await;
        let connector = TlsConnector::from(Arc::new(client_config(&[b"http/1.1"])));

        // Each sends the first byte of a ClientHello, then nothing.
        let hello = Connection::client(connector.config().clone(), localhost())
            .unwrap()
            .pending_tls()
            .to_vec();
        let mut stalled = Vec::new();
        for _ in 0..STALLED {
            let mut tcp = TcpStream::connect(server.addr).await.unwrap();
            tcp.write_all(&hello[..1]).await.unwrap();
            stalled.push(tcp);
        }
        // Normal clients keep being served meanwhile, promptly.
        let started = Instant::now();
        for _ in 0..20 {
            one_request(&connector, server.addr).await;
        }
        assert!(started.elapsed() < Duration::from_millis(800));

        // Every stalled connection is closed by the server once its time is up, and counted.
        for tcp in &mut stalled {
            let mut buf = [0u8; 64];
            let n = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buf))
                .await
                .expect("a stalled connection was not dropped")
                .unwrap_or(0);
            assert_eq!(n, 0);
        }
        wait_for_count(&server, |s| n(&s.handshake_timeouts), STALLED as u64).await;
        assert_eq!(server.stat(|s| n(&s.handshakes)), 20);
        server.shut_down().await;
    })
    .await;
}

#[tokio::test]
async fn an_idle_connection_is_closed_after_the_idle_timeout() {
    bounded(async {
        let limits = Limits {
            idle_timeout: Duration::from_millis(300),
            ..Limits::default()
        };
        let server = start(limits, serve_tokio::handshake_page()).await;
        let connector = TlsConnector::from(Arc::new(client_config(&[b"http/1.1"])));
        let tcp = TcpStream::connect(server.addr).await.unwrap();
        let mut tls = connector.connect(localhost(), tcp).await.unwrap();
        let started = Instant::now();
        let mut buf = [0u8; 16];
        // hyper closes an idle HTTP/1.1 connection cleanly: close_notify, then FIN.
        let r = tls.read(&mut buf).await;
        assert!(matches!(r, Ok(0)), "{r:?}");
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(250), "{waited:?}");
        wait_for_count(&server, |s| n(&s.idle_timeouts), 1).await;
        server.shut_down().await;
    })
    .await;
}

#[tokio::test]
async fn the_connection_limit_queues_further_clients() {
    bounded(async {
        let limits = Limits {
            max_connections: 2,
            ..Limits::default()
        };
        let server = start(limits, serve_tokio::handshake_page()).await;
        let connector = connector();
        let mut first = Vec::new();
        for _ in 0..2 {
            let tcp = TcpStream::connect(server.addr).await.unwrap();
            first.push(connector.connect(localhost(), tcp).await.unwrap());
        }
        // The third waits in the listen queue: no handshake yet.
        let tcp = TcpStream::connect(server.addr).await.unwrap();
        let third = connector.connect(localhost(), tcp);
        tokio::pin!(third);
        assert!(
            tokio::time::timeout(Duration::from_millis(300), third.as_mut())
                .await
                .is_err()
        );
        // A slot frees up: the third is served.
        let mut one = first.pop().unwrap();
        one.shutdown().await.unwrap();
        drop(one);
        third.await.unwrap();
        server.shut_down().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_lets_requests_in_flight_finish() {
    bounded(async {
        let handler: Handler = Arc::new(|_req, _info| {
            Box::pin(async {
                tokio::time::sleep(Duration::from_millis(400)).await;
                Response::new(Full::new(Bytes::from_static(b"finished\n")))
            })
        });
        let server = start(Limits::default(), handler).await;
        let addr = server.addr;
        let mut in_flight = Vec::new();
        for alpn in [&b"h2"[..], b"http/1.1"] {
            let connector = TlsConnector::from(hyper_client::client_config(roots(), &[alpn]));
            in_flight.push(tokio::spawn(async move {
                hyper_client::get(&connector, SERVER_NAME, addr.port(), "/slow").await
            }));
        }
        // Shut down while both requests are in the handler.
        tokio::time::sleep(Duration::from_millis(150)).await;
        let stats = server.stats.clone();
        assert_eq!(n(&stats.requests), 2);
        let started = Instant::now();
        server.shut_down().await;
        assert!(started.elapsed() >= Duration::from_millis(150));
        for request in in_flight {
            let got = request.await.unwrap().unwrap();
            assert_eq!(got.status, 200);
            assert_eq!(&got.body[..], b"finished\n");
        }
        // And nothing listens any more.
        assert!(TcpStream::connect(addr).await.is_err());
    })
    .await;
}
