//! `padlock serve` under load, as a process: 2,000 connections held open at once, then 5,000
//! sequential handshakes with requests, with no descriptors or memory left behind; 200
//! slow-loris connections dropped by the handshake timeout while others are served; the idle
//! timeout; the connection limit. Bounded: the whole file runs in well under 40 s.

#[path = "../../padlock/tests/common/mod.rs"]
mod common;
mod support;

use std::time::{Duration, Instant};

use padlock::Connection;
use padlock_tokio::TlsConnector;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use support::*;

/// An HTTP/1.1 request on a fresh connection, answered and closed cleanly.
async fn one_request(connector: &TlsConnector, port: u16) {
    let mut tls = tls(connector, port).await;
    tls.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = Vec::new();
    tls.read_to_end(&mut response).await.unwrap();
    assert!(response.starts_with(b"HTTP/1.1 200 OK"));
}

/// This process's limit on open files (the server inherits it).
fn open_file_limit() -> usize {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

#[test]
fn thousands_of_connections_leave_no_descriptors_or_memory_behind() {
    const HELD: usize = 2000;
    const SEQUENTIAL: usize = 5000;
    assert!(
        open_file_limit() > HELD + 200,
        "raise the open-file limit (ulimit -n) above {}: scripts/test.sh does",
        HELD + 200
    );
    let serve = Serve::start(&[]);
    let fds_at_start = serve.open_fds();
    block_on(async {
        let connector = connector(&[b"http/1.1"]);
        // Held open at once: handshake and one keep-alive request each, then wait.
        let started = Instant::now();
        let mut held = tokio::task::JoinSet::new();
        for _ in 0..HELD {
            let connector = connector.clone();
            let port = serve.port;
            held.spawn(async move {
                let mut tls = tls(&connector, port).await;
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
        let fds_held = serve.open_fds();
        assert!(fds_held >= fds_at_start + HELD, "{fds_held} fds");
        eprintln!("{HELD} connections open after {:?}", started.elapsed());
        drop(streams);
        serve.wait_until("back to its descriptors", |s| {
            s.open_fds() <= fds_at_start + 2
        });
        let rss_before = serve.resident_bytes();

        let started = Instant::now();
        for _ in 0..SEQUENTIAL {
            one_request(&connector, serve.port).await;
        }
        eprintln!(
            "{SEQUENTIAL} sequential handshakes+requests in {:?}",
            started.elapsed()
        );
        // Every connection is gone: descriptors are back where they were, and thousands of
        // connections later the server has not grown.
        serve.wait_until("back to its descriptors", |s| {
            s.open_fds() <= fds_at_start + 2
        });
        let rss_after = serve.resident_bytes();
        assert!(
            rss_after < rss_before + (16 << 20),
            "resident memory grew from {rss_before} to {rss_after} bytes over {SEQUENTIAL} connections"
        );
    });
    let summary = serve.shut_down();
    assert_eq!(
        count(&summary, "handshakes"),
        (HELD + SEQUENTIAL) as u64,
        "{summary}"
    );
    assert_eq!(count(&summary, "handshake failures"), 0, "{summary}");
    assert_eq!(count(&summary, "requests"), (HELD + SEQUENTIAL) as u64);
}

#[test]
fn slow_loris_connections_are_dropped_while_others_are_served() {
    const STALLED: usize = 200;
    let serve = Serve::start(&["--handshake-timeout", "1.5"]);
    block_on(async {
        let connector = connector(&[b"http/1.1"]);
        // Each sends the first byte of a ClientHello, then nothing.
        let hello = Connection::client(connector.config().clone(), localhost())
            .unwrap()
            .pending_tls()
            .to_vec();
        let mut stalled = Vec::new();
        let started = Instant::now();
        for _ in 0..STALLED {
            let mut tcp = TcpStream::connect(("127.0.0.1", serve.port)).await.unwrap();
            tcp.write_all(&hello[..1]).await.unwrap();
            stalled.push(tcp);
        }
        // Normal clients keep being served meanwhile, before the stalled ones time out.
        for _ in 0..20 {
            one_request(&connector, serve.port).await;
        }
        assert!(started.elapsed() < Duration::from_millis(1500));

        // Every stalled connection is closed by the server once its time is up.
        for tcp in &mut stalled {
            let mut buf = [0u8; 64];
            let n = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buf))
                .await
                .expect("a stalled connection was not dropped")
                .unwrap_or(0);
            assert_eq!(n, 0);
        }
        assert!(started.elapsed() >= Duration::from_millis(1400));
    });
    // ...and counted.
    let summary = serve.shut_down();
    assert_eq!(
        count(&summary, "handshake timeouts"),
        STALLED as u64,
        "{summary}"
    );
    assert_eq!(count(&summary, "handshakes"), 20, "{summary}");
}

#[test]
fn an_idle_connection_is_closed_after_the_idle_timeout() {
    let serve = Serve::start(&["--idle-timeout", "0.3"]);
    block_on(async {
        let mut tls = tls(&connector(&[b"http/1.1"]), serve.port).await;
        let started = Instant::now();
        let mut buf = [0u8; 16];
        // hyper closes an idle HTTP/1.1 connection cleanly: close_notify, then FIN.
        let r = tls.read(&mut buf).await;
        assert!(matches!(r, Ok(0)), "{r:?}");
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(250), "{waited:?}");
    });
    let summary = serve.shut_down();
    assert_eq!(count(&summary, "idle timeouts"), 1, "{summary}");
}

#[test]
fn the_connection_limit_queues_further_clients() {
    let serve = Serve::start(&["--max-connections", "2", "--threads", "1"]);
    block_on(async {
        let connector = connector(&[]);
        let mut first = Vec::new();
        for _ in 0..2 {
            first.push(tls(&connector, serve.port).await);
        }
        // The third waits in the listen queue: no handshake yet.
        let tcp = TcpStream::connect(("127.0.0.1", serve.port)).await.unwrap();
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
    });
}
