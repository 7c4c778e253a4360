//! A padlock client, its ClientHello sent, fed arbitrary bytes as if from the server:
//! ServerHello and HelloRetryRequest checks (version, downgrade sentinel, suite, group, key
//! share, cookie), the retried ClientHello, alerts, change_cipher_spec, and the record
//! opener once handshake keys exist. It must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, wire)) = data.split_first() else {
        return;
    };
    padlock_fuzz::drive(padlock_fuzz::client(knobs), knobs, wire);
});
