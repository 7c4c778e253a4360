//! Arbitrary bytes through the whole receive path: Deframer (fed in
//! input-chosen chunks), plain-record checks, RecordOpener with a fixed key,
//! and HandshakeJoiner. Any panic is a bug: RFC 8446 wants every malformed
//! input to end in an alert.
//!
//! Input: byte 0 picks the read size, byte 1 the mode; the rest is either
//! the wire itself, or (mode bit 0x01) a list of `u16 length || inner
//! plaintext` items that are sealed under the fixed key first, so that
//! authentic records with arbitrary inner plaintexts (padding, content
//! types, handshake fragments) reach the code behind the AEAD.
#![no_main]

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_128_GCM};
use libfuzzer_sys::fuzz_target;
use padlock::record::{
    check_ccs, check_plain_record, ContentType, Deframer, HandshakeJoiner, RecordOpener,
    MAX_CIPHERTEXT_LEN,
};

const KEY: [u8; 16] = [7; 16];
const IV: [u8; 12] = [9; 12];

/// Seals each `u16 length || bytes` item of `input` as one protected record
/// whose TLSInnerPlaintext is exactly those bytes (RFC 8446 §5.2, §5.3).
fn seal_items(mut input: &[u8]) -> Vec<u8> {
    let Ok(key) = UnboundKey::new(&AES_128_GCM, &KEY) else {
        return Vec::new();
    };
    let key = LessSafeKey::new(key);
    let mut wire = Vec::new();
    let mut seq = 0u64;
    while let [a, b, rest @ ..] = input {
        let len = usize::from(u16::from_be_bytes([*a, *b])).min(rest.len());
        let len = len.min(MAX_CIPHERTEXT_LEN - 16);
        let (inner, tail) = rest.split_at(len);
        input = tail;
        let mut nonce = IV;
        for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
            *n ^= s;
        }
        let total = inner.len() + 16;
        let header = [23, 3, 3, (total >> 8) as u8, total as u8];
        let mut body = inner.to_vec();
        if key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(header),
                &mut body,
            )
            .is_err()
        {
            return wire;
        }
        wire.extend_from_slice(&header);
        wire.extend_from_slice(&body);
        seq += 1;
    }
    wire
}

fuzz_target!(|data: &[u8]| {
    let [chunk, mode, rest @ ..] = data else {
        return;
    };
    let chunk = usize::from(*chunk) * 131 + 1;
    let use_try_open = mode & 0x02 != 0;
    let zero_copy = mode & 0x04 != 0;
    let sealed;
    let wire: &[u8] = if mode & 0x01 != 0 {
        sealed = seal_items(rest);
        &sealed
    } else {
        rest
    };

    let Ok(mut opener) = RecordOpener::new(&AES_128_GCM, &KEY, IV, 1 << 20) else {
        return;
    };
    let mut deframer = Deframer::new();
    let mut joiner = HandshakeJoiner::with_max_message_len(1 << 15);
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
                            assert!(n <= 1 << 14);
                            if deframer.retain(n) {
                                assert_eq!(deframer.retained().len(), n);
                                deframer.consume_retained(n / 2 + 1);
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
                // The reader drains retained plaintext before reading more.
                let r = deframer.retained().len();
                deframer.consume_retained(r);
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
