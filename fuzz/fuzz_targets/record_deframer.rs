//! Arbitrary bytes through the whole receive path: Deframer (fed in
//! input-chosen chunks), plain-record checks, RecordOpener with a fixed key,
//! and HandshakeJoiner. Any panic is a bug: RFC 8446 wants every malformed
//! input to end in an alert.
#![no_main]

use libfuzzer_sys::fuzz_target;
use padlock::record::{
    check_ccs, check_plain_record, ContentType, Deframer, HandshakeJoiner, RecordOpener,
};

fuzz_target!(|data: &[u8]| {
    // First byte: chunking and mode choices; the rest is the wire.
    let Some((&knobs, wire)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(knobs & 0x3f) * 97 + 1;
    let use_try_open = knobs & 0x40 != 0;
    let zero_copy = knobs & 0x80 != 0;

    let Ok(mut opener) =
        RecordOpener::new(&aws_lc_rs::aead::AES_128_GCM, &[7; 16], [9; 12], 1 << 20)
    else {
        return;
    };
    let mut deframer = Deframer::new();
    let mut joiner = HandshakeJoiner::with_max_message_len(1 << 14);
    let mut fed = 0;
    loop {
        match deframer.next_record() {
            Ok(Some(record)) => {
                let header = record.header();
                let typ = record.typ;
                if typ == ContentType::APPLICATION_DATA {
                    let opened = if use_try_open {
                        opener.try_open(header, record.payload)
                    } else {
                        opener.open(header, record.payload).map(Some)
                    };
                    match opened {
                        Ok(Some((ContentType::HANDSHAKE, plain))) => {
                            if joiner.push(plain).is_err() {
                                return;
                            }
                        }
                        Ok(Some((_, plain))) => {
                            let n = plain.len();
                            if deframer.retain(n) {
                                let r = deframer.retained().len();
                                deframer.consume_retained(r);
                            }
                        }
                        Ok(None) => {}
                        Err(_) => return,
                    }
                } else {
                    if check_plain_record(typ, record.payload).is_err() {
                        return;
                    }
                    if typ == ContentType::CHANGE_CIPHER_SPEC {
                        let _ = check_ccs(record.payload);
                    } else if typ == ContentType::HANDSHAKE && joiner.push(record.payload).is_err()
                    {
                        return;
                    }
                }
                loop {
                    match joiner.next_message() {
                        Ok(Some((_, message))) => assert!(message.len() >= 4),
                        Ok(None) => break,
                        Err(_) => return,
                    }
                }
            }
            Ok(None) => {
                let Some(rest) = wire.get(fed..).filter(|r| !r.is_empty()) else {
                    // EOF: a partial record here would be a truncation.
                    let _ = deframer.has_partial();
                    return;
                };
                let n = chunk.min(rest.len());
                let taken = if zero_copy {
                    let space = deframer.space();
                    let n = n.min(space.len());
                    space[..n].copy_from_slice(&rest[..n]);
                    deframer.advance(n);
                    n
                } else {
                    deframer.push(&rest[..n])
                };
                assert!(taken > 0, "a drained deframer must accept bytes");
                fed += taken;
            }
            Err(_) => return,
        }
    }
});
