//! Writes seed inputs for the fuzz targets into `fuzz/seeds/<target>/` from real padlock
//! handshakes, so the fuzzers start from valid records and messages instead of noise.
//! `scripts/test.sh` copies the seeds into each corpus; regenerate with
//! `cargo +nightly run --manifest-path fuzz/Cargo.toml --example make_seeds`.
//!
//! Seeds for the connection targets start with the knobs byte (see `padlock_fuzz::drive`):
//! server seeds are everything a client sent, fed back to a server with the same
//! configuration (deterministic up to the client's encrypted Finished, including the
//! HelloRetryRequest round and, for configuration 3, a resumption with 0-RTT data: its
//! tickets are unsealed, see `PlainTickets`); client seeds are what a server answered (its key share belongs
//! to another client, so the client gets as far as decrypting the server's first record).

use std::path::Path;
use std::sync::Arc;

use padlock::msgs::HandshakeType;
use padlock::verify::ClientChainVerifier;
use padlock::{CertifiedKey, ClientConfig, Connection, Event, ServerConfig};

fn write(dir: &Path, target: &str, name: &str, bytes: &[u8]) {
    let dir = dir.join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}

fn main() {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    // Whole-input and 1-byte-at-a-time chunking (see `drive`).
    let chunkings = [(31u8 << 3, "whole"), (0, "bytewise")];
    for s in 0..4u8 {
        for c in 0..4u8 {
            let mut client =
                Connection::client(padlock_fuzz::client_config(c), padlock_fuzz::localhost())
                    .unwrap();
            // Client 3 resumes with 0-RTT data (server 3 redeems its ticket).
            let _ = client.write_early_data(b"GET / HTTP/1.1\r\n\r\n");
            let mut server = Connection::server(padlock_fuzz::server_config(s)).unwrap();
            let padlock_fuzz::Exchange {
                to_server,
                to_client,
                error,
            } = padlock_fuzz::handshake(&mut client, &mut server);
            println!(
                "client {c} -> server {s}: {}",
                error.map_or("ok".into(), |e| e.to_string())
            );
            if (s, c) == (3, 3) {
                assert!(server.info().resumed && server.info().early_data_accepted);
            }
            // The record target's knobs are two bytes: read size, then mode (0x04: the
            // zero-copy path).
            for (knobs, how) in [([0, 0], "bytewise"), ([0x7f, 0x04], "zero-copy")] {
                let mut seed = knobs.to_vec();
                seed.extend_from_slice(&to_server);
                write(
                    &out,
                    "record_deframer",
                    &format!("client{c}-to-server{s}-{how}"),
                    &seed,
                );
            }
            for (chunk, how) in chunkings {
                let mut seed = vec![s | chunk];
                seed.extend_from_slice(&to_server);
                write(
                    &out,
                    "server_first_flight",
                    &format!("client{c}-to-server{s}-{how}"),
                    &seed,
                );
                let mut seed = vec![c | chunk];
                seed.extend_from_slice(&to_client);
                write(
                    &out,
                    "client_first_flight",
                    &format!("server{s}-to-client{c}-{how}"),
                    &seed,
                );
            }
        }
    }

    // Every message of a handshake with client authentication and a HelloRetryRequest, as
    // the codec target wants them: the type byte, then the body.
    let (roots, chain, key) = padlock_fuzz::pki();
    let mut server_config = ServerConfig::with_single_cert(
        CertifiedKey::from_pem(chain.as_bytes(), key.as_bytes()).unwrap(),
    )
    .unwrap();
    server_config.groups = vec![&padlock::crypto::SECP384R1];
    server_config.alpn_protocols = vec![b"h2".to_vec()];
    server_config.client_verifier = Some(Arc::new(ClientChainVerifier::optional(Arc::new(
        roots.clone(),
    ))));
    server_config.trace = true;
    let mut client_config = ClientConfig::new(roots.clone());
    client_config.alpn_protocols = vec![b"h2".to_vec()];
    client_config.trace = true;
    let mut client =
        Connection::client(Arc::new(client_config), padlock_fuzz::localhost()).unwrap();
    let mut server = Connection::server(Arc::new(server_config)).unwrap();
    let ex = padlock_fuzz::handshake(&mut client, &mut server);
    assert!(ex.error.is_none());
    let mut n = 0;
    // The same messages as the record target's sealed items (mode 0x01): each one's
    // TLSInnerPlaintext is the message, content type handshake(22), and two bytes of padding.
    let mut sealed = vec![0x7f, 0x01];
    for conn in [&mut client, &mut server] {
        while let Some(event) = conn.next_event() {
            if let Event::Trace(step) = event {
                if !step.sent_by_us {
                    continue;
                }
                let mut seed = vec![step.typ.0];
                seed.extend_from_slice(step.bytes.get(4..).unwrap());
                write(
                    &out,
                    "handshake_codec",
                    &format!("{n:02}-{:?}", step.typ),
                    &seed,
                );
                n += 1;
                let len = u16::try_from(step.bytes.len() + 3).unwrap();
                sealed.extend_from_slice(&len.to_be_bytes());
                sealed.extend_from_slice(&step.bytes);
                sealed.extend_from_slice(&[22, 0, 0]);
            }
        }
    }
    write(
        &out,
        "record_deframer",
        "sealed-handshake-messages",
        &sealed,
    );
    // Messages a first handshake does not send.
    for (name, typ, body) in [
        ("key_update", HandshakeType::KEY_UPDATE, &[1][..]),
        (
            "end_of_early_data",
            HandshakeType::END_OF_EARLY_DATA,
            &[][..],
        ),
        (
            "new_session_ticket",
            HandshakeType::NEW_SESSION_TICKET,
            &[
                0, 0, 0x1c, 0x20, 1, 2, 3, 4, 1, 0, 0, 3, 7, 7, 7, 0, 8, 0, 0x2a, 0, 4, 0, 0, 0x40,
                0,
            ][..],
        ),
    ] {
        let mut seed = vec![typ.0];
        seed.extend_from_slice(body);
        write(&out, "handshake_codec", name, &seed);
    }
    println!("seeds written to {}", out.display());
}
