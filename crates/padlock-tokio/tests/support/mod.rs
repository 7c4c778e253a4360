//! Configs and loopback plumbing shared by this crate's tests.

#![allow(dead_code)]

use std::sync::Arc;

use padlock::padlock_cert::RootStore;
use padlock::pki_types::ServerName;
use padlock::{CertifiedKey, ClientConfig, ServerConfig};
use padlock_tokio::{TlsAcceptor, TlsConnector, TlsStream};
use tokio::net::{TcpListener, TcpStream};

use crate::common::{KeyKind, TestPki};

/// A server config with the shared PKI's ECDSA P-256 leaf and `alpn`.
pub fn server_config(alpn: &[&[u8]]) -> ServerConfig {
    let cred = TestPki::shared().server(KeyKind::EcdsaP256);
    let key = CertifiedKey::from_pem_files(&cred.chain_pem, &cred.key_pem).unwrap();
    let mut config = ServerConfig::with_single_cert(key).unwrap();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    config
}

/// The roots that anchor the shared PKI's (non-PSS) leaves.
pub fn roots() -> RootStore {
    let mut roots = RootStore::empty();
    roots
        .add_der(TestPki::shared().server(KeyKind::EcdsaP256).ca_der.as_ref())
        .unwrap();
    roots
}

/// A client config that trusts the shared PKI, offering `alpn`.
pub fn client_config(alpn: &[&[u8]]) -> ClientConfig {
    let mut config = ClientConfig::new(roots());
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    config
}

pub fn acceptor() -> TlsAcceptor {
    TlsAcceptor::from(Arc::new(server_config(&[])))
}

pub fn connector() -> TlsConnector {
    TlsConnector::from(Arc::new(client_config(&[])))
}

pub fn localhost() -> ServerName<'static> {
    ServerName::try_from("localhost").unwrap()
}

pub async fn listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").await.unwrap()
}

/// One handshake over loopback TCP: (client stream, server stream).
pub async fn pair(
    connector: &TlsConnector,
    acceptor: &TlsAcceptor,
) -> (TlsStream<TcpStream>, TlsStream<TcpStream>) {
    let listener = listener().await;
    let addr = listener.local_addr().unwrap();
    let acceptor = acceptor.clone();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        acceptor.accept(tcp).await.unwrap()
    });
    let tcp = TcpStream::connect(addr).await.unwrap();
    let client = connector.connect(localhost(), tcp).await.unwrap();
    (client, server.await.unwrap())
}
