//! hyper 1.x over padlock, HTTP/2 or HTTP/1.1 by ALPN, against itself, `openssl s_server
//! -www` and curl. The client and server are the crate's examples, so these tests run them.

#[path = "../../padlock/tests/common/mod.rs"]
mod common;
mod support;

#[path = "../examples/hyper_client.rs"]
#[allow(dead_code)]
mod hyper_client;
#[path = "../examples/hyper_server.rs"]
#[allow(dead_code)]
mod hyper_server;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use padlock_tokio::{TlsAcceptor, TlsConnector};

use common::{curl, openssl_s_server, KeyKind, TestPki, SERVER_NAME};
use support::*;

async fn bounded<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(25), f)
        .await
        .expect("test did not finish in 25 s")
}

/// The example server, offering h2 and http/1.1, on a loopback port.
async fn start_hyper_server() -> SocketAddr {
    let cred = TestPki::shared().server(KeyKind::EcdsaP256);
    let config = hyper_server::server_config(
        cred.chain_pem.to_str().unwrap(),
        cred.key_pem.to_str().unwrap(),
    )
    .unwrap();
    let listener = listener().await;
    let addr = listener.local_addr().unwrap();
    tokio::spawn(hyper_server::run(listener, TlsAcceptor::from(config)));
    addr
}

fn connector_offering(alpn: &[&[u8]]) -> TlsConnector {
    TlsConnector::from(hyper_client::client_config(roots(), alpn))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_client_to_hyper_server_in_h2_and_http11() {
    bounded(async {
        let addr = start_hyper_server().await;
        // (offered by the client, chosen, the version hyper's server saw)
        type Case = (&'static [&'static [u8]], &'static [u8], &'static str);
        let cases: [Case; 3] = [
            (&[b"h2", b"http/1.1"], b"h2", "HTTP/2.0"),
            (&[b"http/1.1"], b"http/1.1", "HTTP/1.1"),
            // The server's preference decides (RFC 7301 §3.2).
            (&[b"http/1.1", b"h2"], b"h2", "HTTP/2.0"),
        ];
        for (offered, chosen, version) in cases {
            let connector = connector_offering(offered);
            // Two requests per connector: the second resumes the first's session.
            for path in ["/first", "/second"] {
                let got = hyper_client::get(&connector, SERVER_NAME, addr.port(), path)
                    .await
                    .unwrap();
                assert_eq!(got.alpn.as_deref(), Some(chosen));
                assert_eq!(got.status, 200);
                assert_eq!(got.resumed, path == "/second");
                let body = String::from_utf8(got.body.to_vec()).unwrap();
                let alpn = std::str::from_utf8(chosen).unwrap();
                assert_eq!(
                    body,
                    format!("hello from padlock: alpn={alpn} version={version} path={path}\n")
                );
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_client_to_openssl_s_server_www() {
    bounded(async {
        let pki = TestPki::shared();
        let (_server, port) = tokio::task::spawn_blocking(move || {
            openssl_s_server(
                pki,
                KeyKind::EcdsaP256,
                &["-www", "-tls1_3", "-alpn", "http/1.1"],
            )
        })
        .await
        .unwrap();
        let connector = connector_offering(&[b"h2", b"http/1.1"]);
        let got = hyper_client::get(&connector, SERVER_NAME, port, "/")
            .await
            .unwrap();
        assert_eq!(got.alpn.as_deref(), Some(&b"http/1.1"[..]));
        assert_eq!(got.status, 200);
        let body = String::from_utf8_lossy(&got.body);
        // s_server -www reports the session it negotiated.
        assert!(body.contains("Protocol  : TLSv1.3"), "{body}");
    })
    .await;
}

async fn curl_against_hyper_server(flag: &'static str, alpn: &'static str, version: &str) {
    let addr = start_hyper_server().await;
    let ca = TestPki::shared().ca_pem();
    let run = tokio::task::spawn_blocking(move || {
        curl(
            addr.port(),
            &[
                flag,
                "-v",
                "--cacert",
                ca.to_str().unwrap(),
                "-w",
                "\n%{http_version}",
            ],
        )
    })
    .await
    .unwrap();
    run.assert_success()
        .assert_output_contains(&format!("ALPN: server accepted {alpn}"))
        .assert_output_contains(&format!("alpn={alpn} version={version} path=/"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_http2_to_hyper_server() {
    bounded(curl_against_hyper_server("--http2", "h2", "HTTP/2.0")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_http11_to_hyper_server() {
    bounded(curl_against_hyper_server(
        "--http1.1",
        "http/1.1",
        "HTTP/1.1",
    ))
    .await;
}
