//! A padlock server fed arbitrary bytes as if from a client: the record layer, ClientHello
//! decoding and negotiation (suites, groups, key shares, HelloRetryRequest and the second
//! ClientHello, ALPN, SNI), alerts and change_cipher_spec. Anything past the ClientHello is
//! encrypted under keys the fuzzer cannot know, so it exercises the record opener's
//! rejection paths. It must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use padlock::Connection;

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, wire)) = data.split_first() else {
        return;
    };
    let conn = Connection::server(padlock_fuzz::server_config(knobs)).unwrap();
    padlock_fuzz::drive(conn, knobs, wire);
});
