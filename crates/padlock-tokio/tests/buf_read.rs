//! TlsStream as `AsyncBufRead` (the plaintext lent where it was decrypted) and `poll_read`
//! copying straight into the caller's unfilled buffer: lines from `openssl s_server -www`,
//! partial consumes mixed with copying reads across a KeyUpdate and close_notify,
//! `tokio::io::copy_buf`, truncation and cancellation.

#[path = "../../padlock/tests/common/mod.rs"]
mod common;
mod support;

use std::future::{poll_fn, Future};
use std::io::ErrorKind;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::time::Duration;

use padlock::alert::AlertDescription;
use padlock::Error;
use padlock_tokio::{tls_error, TlsStream};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, DuplexStream, ReadBuf};
use tokio::time::timeout;

use common::{openssl_s_server, KeyKind, TestPki, SERVER_NAME};
use support::*;

/// Every test finishes well inside this, or fails instead of hanging.
async fn bounded<F: Future>(f: F) -> F::Output {
    timeout(Duration::from_secs(20), f)
        .await
        .expect("test did not finish in 20 s")
}

/// A handshake over an in-memory pipe of `capacity` bytes: (client, server).
async fn duplex_pair(capacity: usize) -> (TlsStream<DuplexStream>, TlsStream<DuplexStream>) {
    let (client_io, server_io) = tokio::io::duplex(capacity);
    let (client, server) = tokio::join!(
        connector().connect(localhost(), client_io),
        acceptor().accept(server_io)
    );
    (client.unwrap(), server.unwrap())
}

fn pattern(len: u32) -> Vec<u8> {
    (0..len)
        .map(|i| (i % 253) as u8 ^ (i >> 11) as u8)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lines_from_openssl_s_server_www() {
    bounded(async {
        let pki = TestPki::shared();
        let (_server, port) = tokio::task::spawn_blocking(move || {
            openssl_s_server(pki, KeyKind::EcdsaP256, &["-www", "-tls1_3"])
        })
        .await
        .unwrap();
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let name = padlock::pki_types::ServerName::try_from(SERVER_NAME).unwrap();
        let mut tls = connector().connect(name, tcp).await.unwrap();
        tls.write_all(b"GET / HTTP/1.0\r\n\r\n").await.unwrap();

        // The status line with read_line, the rest with lines(): both straight from the
        // records, and the end is s_server's close_notify (an error otherwise).
        let mut status = String::new();
        tls.read_line(&mut status).await.unwrap();
        assert!(status.starts_with("HTTP/1.0 200"), "{status:?}");
        let mut lines = tls.lines();
        let mut page = Vec::new();
        while let Some(line) = lines.next_line().await.unwrap() {
            page.push(line);
        }
        let tls = lines.into_inner();
        assert!(tls.connection().peer_closed());
        assert!(
            page.iter().any(|l| l.trim() == "Protocol  : TLSv1.3"),
            "{page:#?}"
        );
        assert!(page.len() > 10, "{page:#?}");
    })
    .await;
}

#[tokio::test]
async fn partial_consumes_and_copying_reads_across_key_update_and_close_notify() {
    bounded(async {
        // A small pipe: records arrive in pieces, and the reader's steps fall anywhere.
        let (mut client, mut server) = duplex_pair(3000).await;
        let data = pattern(150_000);
        let sent = data.clone();
        let writer = tokio::spawn(async move {
            client.write_all(&sent[..70_000]).await.unwrap();
            // The server must answer this while it only reads (RFC 8446 §4.6.3).
            client.connection_mut().send_key_update(true).unwrap();
            for chunk in sent[70_000..].chunks(7_001) {
                client.write_all(chunk).await.unwrap();
            }
            client.shutdown().await.unwrap();
            let mut answer = Vec::new();
            client.read_to_end(&mut answer).await.unwrap();
            answer
        });

        let mut received = Vec::new();
        let mut buf = [0u8; 1000];
        let mut step = 0usize;
        loop {
            step += 1;
            if step % 5 == 0 {
                let n = server.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                received.extend_from_slice(&buf[..n]);
                continue;
            }
            let lent = server.fill_buf().await.unwrap();
            if lent.is_empty() {
                break;
            }
            assert!(lent.len() <= 16_384, "more than a record lent");
            let take = lent.len().min([1, 9_000, 100_000, 4_095][step % 4]);
            received.extend_from_slice(&lent[..take]);
            server.consume(take);
        }
        assert_eq!(received.len(), data.len());
        assert!(received == data, "data reordered or lost");
        assert!(server.connection().peer_closed());
        // The end sticks, for both ways of reading; consuming past it is harmless.
        assert!(server.fill_buf().await.unwrap().is_empty());
        server.consume(10);
        assert_eq!(server.read(&mut buf).await.unwrap(), 0);

        // Half-close: the server still writes, under the keys its KeyUpdate answer set.
        server.write_all(b"got it all").await.unwrap();
        server.shutdown().await.unwrap();
        assert_eq!(writer.await.unwrap(), b"got it all");
    })
    .await;
}

#[tokio::test]
async fn lines_split_across_records_and_transport_reads() {
    bounded(async {
        let (mut client, mut server) = pair(&connector(), &acceptor()).await;
        let lines: Vec<String> = (0..2_000)
            .map(|i| format!("line {i} {}", "x".repeat(i % 97)))
            .collect();
        let text = lines.join("\n") + "\n";
        let writer = tokio::spawn(async move {
            // Writes of odd sizes, so lines straddle records.
            for chunk in text.as_bytes().chunks(333) {
                client.write_all(chunk).await.unwrap();
            }
            client.shutdown().await.unwrap();
        });
        let mut got = Vec::new();
        let mut reader = (&mut server).lines();
        while let Some(line) = reader.next_line().await.unwrap() {
            got.push(line);
        }
        writer.await.unwrap();
        assert_eq!(got, lines);
    })
    .await;
}

#[tokio::test]
async fn copy_buf_moves_a_mebibyte_and_reports_truncation() {
    bounded(async {
        let (mut client, mut server) = pair(&connector(), &acceptor()).await;
        let data = pattern(1 << 20);
        let sent = data.clone();
        let writer = tokio::spawn(async move {
            client.write_all(&sent).await.unwrap();
            client.shutdown().await.unwrap();
            // Read to the server's close_notify: closing a socket with unread bytes (our
            // session tickets) would reset the connection under the server's reads.
            client.read_to_end(&mut Vec::new()).await.unwrap();
        });
        let mut sink = Vec::new();
        let n = tokio::io::copy_buf(&mut server, &mut sink).await.unwrap();
        assert_eq!(n, data.len() as u64);
        assert!(sink == data, "copied data differs");
        server.shutdown().await.unwrap();
        writer.await.unwrap();

        // A transport that ends without close_notify: what came is copied, then the error.
        let (mut client, mut server) = pair(&connector(), &acceptor()).await;
        client.write_all(b"cut short").await.unwrap();
        client.flush().await.unwrap();
        let (mut tcp, _conn) = client.into_inner();
        tcp.shutdown().await.unwrap(); // a FIN, but no close_notify
        let mut sink = Vec::new();
        let err = tokio::io::copy_buf(&mut server, &mut sink)
            .await
            .unwrap_err();
        assert_eq!(sink, b"cut short");
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
        assert!(matches!(tls_error(&err), Some(Error::Truncated)), "{err}");
        // The verdict sticks for fill_buf too.
        let err = server.fill_buf().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
    })
    .await;
}

#[tokio::test]
async fn poll_read_fills_only_what_it_copies() {
    bounded(async {
        let (mut client, mut server) = duplex_pair(64 * 1024).await;
        client.write_all(b"twelve bytes").await.unwrap();
        client.flush().await.unwrap();
        // A large, uninitialised buffer: the read must not zero-fill it first.
        let mut storage = vec![MaybeUninit::<u8>::uninit(); 64 * 1024];
        let mut buf = ReadBuf::uninit(&mut storage);
        poll_fn(|cx| Pin::new(&mut server).poll_read(cx, &mut buf))
            .await
            .unwrap();
        assert_eq!(buf.filled(), b"twelve bytes");
        assert_eq!(buf.initialized().len(), 12);

        // A full buffer reads nothing and takes nothing.
        let mut full = ReadBuf::new(&mut []);
        poll_fn(|cx| Pin::new(&mut server).poll_read(cx, &mut full))
            .await
            .unwrap();
        client.write_all(b"more").await.unwrap();
        let mut more = [0u8; 4];
        server.read_exact(&mut more).await.unwrap();
        assert_eq!(&more, b"more");
    })
    .await;
}

#[tokio::test]
async fn a_fill_buf_cancelled_while_waiting_loses_nothing() {
    bounded(async {
        let (mut client, mut server) = duplex_pair(64 * 1024).await;
        // Nothing sent yet: each wait is cancelled at its timeout, having lent nothing.
        for _ in 0..3 {
            assert!(timeout(Duration::from_millis(20), server.fill_buf())
                .await
                .is_err());
        }
        // A record that arrives in two pieces, the first while nobody waits.
        let conn = client.connection_mut();
        conn.write(b"after the wait and more").unwrap();
        let pending = conn.pending_tls().to_vec();
        conn.consume_tls(pending.len());
        let (head, tail) = pending.split_at(pending.len() / 2);
        client.get_mut().write_all(head).await.unwrap();
        assert!(timeout(Duration::from_millis(20), server.fill_buf())
            .await
            .is_err());
        client.get_mut().write_all(tail).await.unwrap();

        let mut got = Vec::new();
        while got.len() < 23 {
            let lent = server.fill_buf().await.unwrap();
            got.extend_from_slice(lent);
            let n = lent.len();
            server.consume(n);
        }
        assert_eq!(got, b"after the wait and more");
    })
    .await;
}

#[tokio::test]
async fn a_bad_record_opened_by_consume_fails_the_next_read_and_sends_its_alert() {
    bounded(async {
        let (mut client, mut server) = duplex_pair(64 * 1024).await;
        // Two records in one piece; the second's tag is damaged. The first is lent, and the
        // second waits for the space until the reader consumes.
        let conn = client.connection_mut();
        conn.write(b"good").unwrap();
        conn.write(b"damaged").unwrap();
        let mut wire = conn.pending_tls().to_vec();
        conn.consume_tls(wire.len());
        *wire.last_mut().unwrap() ^= 1;
        client.get_mut().write_all(&wire).await.unwrap();

        assert_eq!(server.fill_buf().await.unwrap(), b"good");
        server.consume(4);
        let err = server.fill_buf().await.unwrap_err();
        assert!(
            matches!(tls_error(&err), Some(e @ Error::Record(_))
                if e.alert() == Some(AlertDescription::BAD_RECORD_MAC)),
            "{err}"
        );
        // The verdict sticks, and the alert (RFC 8446 §6.2) reached the peer although the
        // failure came from a consume, with no transport at hand.
        assert!(server.read(&mut [0u8; 8]).await.is_err());
        let err = client.read(&mut [0u8; 8]).await.unwrap_err();
        assert!(
            matches!(
                tls_error(&err),
                Some(Error::PeerAlert(a)) if *a == AlertDescription::BAD_RECORD_MAC
            ),
            "{err}"
        );
    })
    .await;
}
