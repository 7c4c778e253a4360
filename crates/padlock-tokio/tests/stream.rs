//! TlsStream over loopback TCP and in-memory pipes: bulk data in small pieces, half-close,
//! truncation, backpressure, early data, many concurrent connections, and cancellation.

#[path = "../../padlock/tests/common/mod.rs"]
mod common;
mod support;

use std::future::Future;
use std::io::ErrorKind;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use padlock::alert::AlertDescription;
use padlock::{ClientConfig, Connection, Error, Event};
use padlock_tokio::{
    tls_error, TlsAcceptor, TlsConnector, TlsStream, MAX_PENDING_TLS, MAX_PLAINTEXT_PER_WRITE,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::timeout;

use support::*;

/// Every test finishes well inside this, or fails instead of hanging.
async fn bounded<F: Future>(f: F) -> F::Output {
    timeout(Duration::from_secs(20), f)
        .await
        .expect("test did not finish in 20 s")
}

#[tokio::test]
async fn one_mib_echoed_both_ways_in_small_pieces() {
    bounded(async {
        let (client, mut server) = pair(&connector(), &acceptor()).await;
        let echo = tokio::spawn(async move {
            let mut buf = [0u8; 997];
            loop {
                let n = server.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                server.write_all(&buf[..n]).await.unwrap();
            }
            assert!(server.connection().peer_closed());
            server.shutdown().await.unwrap();
        });

        let data: Vec<u8> = (0..1u32 << 20)
            .map(|i| (i % 251) as u8 ^ (i >> 12) as u8)
            .collect();
        let expected = data.clone();
        // Reader and writer on separate tasks, so the echo never waits on our reading.
        let (mut rd, mut wr) = tokio::io::split(client);
        let writer = tokio::spawn(async move {
            for chunk in data.chunks(1021) {
                wr.write_all(chunk).await.unwrap();
            }
            wr.shutdown().await.unwrap();
        });
        let mut got = Vec::with_capacity(expected.len());
        let mut buf = [0u8; 509];
        loop {
            let n = rd.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        writer.await.unwrap();
        echo.await.unwrap();
        assert_eq!(got.len(), expected.len());
        assert!(got == expected, "echoed data differs");
    })
    .await;
}

#[tokio::test]
async fn shutdown_closes_only_our_half() {
    bounded(async {
        let (mut client, mut server) = pair(&connector(), &acceptor()).await;
        client.write_all(b"request").await.unwrap();
        client.shutdown().await.unwrap();
        let err = client.write_all(b"more").await.unwrap_err();
        assert!(
            matches!(tls_error(&err), Some(Error::ConnectionClosed)),
            "{err}"
        );

        // The server sees the data, then a clean end (close_notify)...
        let mut request = Vec::new();
        server.read_to_end(&mut request).await.unwrap();
        assert_eq!(request, b"request");
        assert!(server.connection().peer_closed());
        // ...and then the transport's FIN: shutdown reached the TCP write half.
        let mut byte = [0u8; 1];
        assert_eq!(server.get_mut().read(&mut byte).await.unwrap(), 0);

        // The other direction is still open.
        server.write_all(b"response").await.unwrap();
        server.shutdown().await.unwrap();
        let mut response = Vec::new();
        client.read_to_end(&mut response).await.unwrap();
        assert_eq!(response, b"response");
        // Shutting down twice is harmless.
        client.shutdown().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn end_of_transport_without_close_notify_is_truncation() {
    bounded(async {
        let (mut client, mut server) = pair(&connector(), &acceptor()).await;
        server.write_all(b"partial answer").await.unwrap();
        server.flush().await.unwrap();
        let (mut tcp, _conn) = server.into_inner();
        tcp.shutdown().await.unwrap(); // a FIN, but no close_notify

        let mut got = Vec::new();
        let err = client.read_to_end(&mut got).await.unwrap_err();
        assert_eq!(got, b"partial answer", "data before the cut is delivered");
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
        assert!(matches!(tls_error(&err), Some(Error::Truncated)), "{err}");
        // The verdict sticks: a truncated stream never turns into a clean end.
        let err = client.read(&mut [0u8; 8]).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
    })
    .await;
}

#[tokio::test]
async fn a_writer_waits_for_a_peer_that_does_not_read() {
    bounded(async {
        // A 16 KiB pipe: once it and the server's receive buffer are full, only our bound
        // stands between the writer and unbounded memory.
        let (client_io, server_io) = tokio::io::duplex(16 * 1024);
        let (client, server) = tokio::join!(
            connector().connect(localhost(), client_io),
            acceptor().accept(server_io)
        );
        let (mut client, mut server) = (client.unwrap(), server.unwrap());

        let data = vec![0x5au8; 4 << 20];
        let mut sent = 0;
        // Each write that does not finish in 100 ms was cancelled having taken nothing.
        while let Ok(n) = timeout(Duration::from_millis(100), client.write(&data[sent..])).await {
            sent += n.unwrap();
            let queued = client.connection().pending_tls().len();
            assert!(
                queued <= MAX_PENDING_TLS + MAX_PLAINTEXT_PER_WRITE + 1024,
                "{queued} bytes queued"
            );
            assert!(sent < data.len(), "4 MiB went into a pipe nobody reads");
        }
        assert!(sent < 1 << 20, "{sent} bytes taken while nobody reads");

        // Once the server reads, the rest goes through.
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            server.read_to_end(&mut got).await.unwrap();
            got.len()
        });
        client.write_all(&data[sent..]).await.unwrap();
        client.shutdown().await.unwrap();
        assert_eq!(reader.await.unwrap(), data.len());
    })
    .await;
}

#[tokio::test]
async fn early_data_after_resumption() {
    bounded(async {
        let mut client = client_config(&[]);
        client.enable_early_data = true;
        let mut server = server_config(&[]);
        server.max_early_data_size = 16384;
        let connector = TlsConnector::from(Arc::new(client));
        let acceptor = TlsAcceptor::from(Arc::new(server));

        // First visit: tickets come after the handshake, so read something to receive them.
        let (mut c, mut s) = pair(&connector, &acceptor).await;
        assert!(!c.connection().info().resumed);
        s.write_all(b"hi").await.unwrap();
        let mut hi = [0u8; 2];
        c.read_exact(&mut hi).await.unwrap();

        let listener = listener().await;
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut s = acceptor.accept(tcp).await.unwrap();
            let early = s.take_early_data();
            s.write_all(b"answer").await.unwrap();
            s.shutdown().await.unwrap();
            (early, s.connection().info().early_data_accepted)
        });
        let tcp = TcpStream::connect(addr).await.unwrap();
        let mut c = connector
            .connect_with_early_data(localhost(), tcp, b"GET /idempotent")
            .await
            .unwrap();
        assert_eq!(c.early_data_sent(), 15);
        let info = c.connection().info();
        assert!(info.resumed && info.early_data_accepted, "{info:?}");
        let mut answer = Vec::new();
        c.read_to_end(&mut answer).await.unwrap();
        assert_eq!(answer, b"answer");
        let (early, accepted) = server.await.unwrap();
        assert!(accepted);
        assert_eq!(early, b"GET /idempotent");
    })
    .await;
}

#[tokio::test]
async fn a_bad_certificate_fails_both_sides_with_typed_errors() {
    bounded(async {
        // A client that trusts nothing: it must reject the server and tell it why.
        let client = ClientConfig::new(padlock::padlock_cert::RootStore::empty());
        let connector = TlsConnector::from(Arc::new(client));
        let listener = listener().await;
        let addr = listener.local_addr().unwrap();
        let acceptor = acceptor();
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            acceptor.accept(tcp).await.unwrap_err()
        });
        let tcp = TcpStream::connect(addr).await.unwrap();
        let err = connector.connect(localhost(), tcp).await.unwrap_err();
        assert!(
            matches!(tls_error(&err), Some(Error::Certificate(_))),
            "{err}"
        );
        let server_err = server.await.unwrap();
        match tls_error(&server_err) {
            Some(Error::PeerAlert(a)) => assert_ne!(*a, AlertDescription::CLOSE_NOTIFY),
            other => panic!("server got {other:?}: {server_err}"),
        }
    })
    .await;
}

/// `n` clients at once against one acceptor, each sending a line and reading it back.
async fn many_at_once(n: usize) {
    let listener = listener().await;
    let addr = listener.local_addr().unwrap();
    let acceptor = acceptor();
    let server = tokio::spawn(async move {
        let mut conns = JoinSet::new();
        for _ in 0..n {
            let (tcp, _) = listener.accept().await.unwrap();
            let acceptor = acceptor.clone();
            conns.spawn(async move {
                let mut s = acceptor.accept(tcp).await.unwrap();
                let mut line = Vec::new();
                s.read_to_end(&mut line).await.unwrap();
                s.write_all(&line).await.unwrap();
                s.shutdown().await.unwrap();
            });
        }
        while let Some(r) = conns.join_next().await {
            r.unwrap();
        }
    });
    let connector = connector();
    let mut clients = JoinSet::new();
    for i in 0..n {
        let connector = connector.clone();
        clients.spawn(async move {
            let tcp = TcpStream::connect(addr).await.unwrap();
            let mut c = connector.connect(localhost(), tcp).await.unwrap();
            let line = format!("client number {i}");
            c.write_all(line.as_bytes()).await.unwrap();
            c.shutdown().await.unwrap();
            let mut back = Vec::new();
            c.read_to_end(&mut back).await.unwrap();
            assert_eq!(back, line.as_bytes());
        });
    }
    while let Some(r) = clients.join_next().await {
        r.unwrap();
    }
    server.await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn two_hundred_connections_on_one_thread() {
    bounded(many_at_once(200)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_connections_on_two_threads() {
    bounded(many_at_once(200)).await;
}

/// Polls `f` once. The test moves every byte itself, so nothing needs waking.
fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    let mut cx = Context::from_waker(Waker::noop());
    Pin::new(f).poll(&mut cx)
}

#[tokio::test]
async fn handshakes_cancelled_at_every_stage_leave_the_configs_usable() {
    bounded(async {
        let connector = connector();
        let acceptor = acceptor();
        let mut buf = vec![0u8; 64 * 1024];

        // Client: dropped before its first poll, after sending the ClientHello, and after
        // taking half of the server's flight.
        for stage in 0..3 {
            let (client_io, mut wire) = tokio::io::duplex(64 * 1024);
            let mut connect = connector.connect(localhost(), client_io);
            if stage >= 1 {
                assert!(poll_once(&mut connect).is_pending());
            }
            if stage >= 2 {
                let mut server = Connection::server(acceptor.config().clone()).unwrap();
                let n = wire.read(&mut buf).await.unwrap();
                server.feed_tls(&buf[..n]).unwrap();
                let flight = server.pending_tls().to_vec();
                wire.write_all(&flight[..flight.len() / 2]).await.unwrap();
                assert!(poll_once(&mut connect).is_pending());
                assert!(connect.get_ref().is_some(), "still handshaking");
            }
            drop(connect);
            // The peer sees the transport end, nothing else.
            let mut rest = Vec::new();
            wire.read_to_end(&mut rest).await.unwrap();
        }

        // Server: dropped after half a ClientHello, and after sending its flight while
        // waiting for the client's Finished.
        for stage in 0..2 {
            let (server_io, mut wire) = tokio::io::duplex(64 * 1024);
            let mut client = Connection::client(connector.config().clone(), localhost()).unwrap();
            let hello = client.pending_tls().to_vec();
            let sent = if stage == 0 {
                hello.len() / 2
            } else {
                hello.len()
            };
            wire.write_all(&hello[..sent]).await.unwrap();
            let mut accept = acceptor.accept(server_io);
            assert!(poll_once(&mut accept).is_pending());
            if stage == 1 {
                let n = wire.read(&mut buf).await.unwrap();
                client.consume_tls(sent);
                client.feed_tls(&buf[..n]).unwrap();
                assert!(!client.is_handshaking(), "the server's flight was complete");
            }
            drop(accept);
        }

        // The same connector and acceptor still make connections.
        let (mut c, mut s) = pair(&connector, &acceptor).await;
        c.write_all(b"still fine").await.unwrap();
        c.shutdown().await.unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"still fine");
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_stalled_handshake_is_dropped_by_its_timeout_while_others_are_served() {
    bounded(async {
        let connector = connector();
        let acceptor = acceptor();
        let listener = listener().await;
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let mut outcomes = JoinSet::new();
            for _ in 0..2 {
                let (tcp, _) = listener.accept().await.unwrap();
                let acceptor = acceptor.clone();
                outcomes.spawn(async move {
                    match timeout(Duration::from_millis(500), acceptor.accept(tcp)).await {
                        Err(_) => "timed out",
                        Ok(Err(_)) => "failed",
                        Ok(Ok(mut s)) => {
                            s.write_all(b"ok").await.unwrap();
                            s.shutdown().await.unwrap();
                            "served"
                        }
                    }
                });
            }
            let mut seen = Vec::new();
            while let Some(r) = outcomes.join_next().await {
                seen.push(r.unwrap());
            }
            seen
        });

        // Half a ClientHello, then silence.
        let hello = Connection::client(connector.config().clone(), localhost())
            .unwrap()
            .pending_tls()
            .to_vec();
        let mut staller = TcpStream::connect(addr).await.unwrap();
        staller.write_all(&hello[..hello.len() / 2]).await.unwrap();

        // A normal client is served meanwhile, on the same single thread.
        let tcp = TcpStream::connect(addr).await.unwrap();
        let mut c = connector.connect(localhost(), tcp).await.unwrap();
        let mut got = Vec::new();
        c.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"ok");

        let mut seen = server.await.unwrap();
        seen.sort();
        assert_eq!(seen, ["served", "timed out"]);
    })
    .await;
}

/// A raw sans-I/O client handshaken with `acceptor` over an in-memory pipe of `capacity`:
/// the test plays the client's side byte by byte.
async fn raw_client(
    acceptor: &TlsAcceptor,
    capacity: usize,
) -> (Connection, DuplexStream, TlsStream<DuplexStream>) {
    let (server_io, mut wire) = tokio::io::duplex(capacity);
    let accept = tokio::spawn(acceptor.accept(server_io));
    let mut client = Connection::client(Arc::new(client_config(&[])), localhost()).unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    while client.is_handshaking() {
        send_pending(&mut client, &mut wire).await;
        let n = wire.read(&mut buf).await.unwrap();
        assert_eq!(client.feed_tls(&buf[..n]).unwrap(), n);
    }
    send_pending(&mut client, &mut wire).await;
    (client, wire, accept.await.unwrap().unwrap())
}

async fn send_pending(conn: &mut Connection, wire: &mut DuplexStream) {
    let out = conn.pending_tls().to_vec();
    wire.write_all(&out).await.unwrap();
    conn.consume_tls(out.len());
}

#[tokio::test]
async fn key_update_answers_go_out_while_the_application_only_reads() {
    bounded(async {
        let (mut client, mut wire, mut server) = raw_client(&acceptor(), 64 * 1024).await;
        client.send_key_update(true).unwrap();
        client.write(b"after the update").unwrap();
        send_pending(&mut client, &mut wire).await;

        let mut got = [0u8; 16];
        server.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"after the update");

        // The server never wrote, yet its KeyUpdate (RFC 8446 §4.6.3) reached us, and data
        // under its new keys decrypts.
        let mut buf = vec![0u8; 4096];
        let n = wire.read(&mut buf).await.unwrap();
        client.feed_tls(&buf[..n]).unwrap();
        let events: Vec<Event> = std::iter::from_fn(|| client.next_event()).collect();
        assert!(
            events.contains(&Event::PeerKeyUpdated {
                update_requested: false
            }),
            "{events:?}"
        );
        server.write_all(b"new keys").await.unwrap();
        let n = wire.read(&mut buf).await.unwrap();
        client.feed_tls(&buf[..n]).unwrap();
        let mut plain = [0u8; 8];
        assert_eq!(client.read(&mut plain).unwrap(), 8);
        assert_eq!(&plain, b"new keys");
    })
    .await;
}

#[tokio::test]
async fn a_peer_flooding_key_update_requests_without_reading_is_cut_off() {
    bounded(async {
        // A small pipe the flooding client never reads from: our answers pile up.
        let (mut client, wire, mut server) = raw_client(&acceptor(), 16 * 1024).await;
        let (_unread, mut to_server) = tokio::io::split(wire);
        let flood = tokio::spawn(async move {
            loop {
                for _ in 0..256 {
                    client.send_key_update(true).unwrap();
                }
                let out = client.pending_tls().to_vec();
                client.consume_tls(out.len());
                if to_server.write_all(&out).await.is_err() {
                    return;
                }
            }
        });
        let err = server.read(&mut [0u8; 64]).await.unwrap_err();
        assert!(
            matches!(tls_error(&err), Some(Error::LimitExceeded(what)) if what.contains("KeyUpdate")),
            "{err}"
        );
        let queued = server.connection().pending_tls().len();
        assert!(queued < 5 * MAX_PENDING_TLS, "{queued} bytes queued");
        flood.abort();
    })
    .await;
}
