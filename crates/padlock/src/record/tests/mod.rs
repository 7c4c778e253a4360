//! Unit tests for the record layer. Deterministic: randomness comes from a
//! seeded xorshift generator, never the clock.

use aws_lc_rs::aead::{Algorithm, AES_128_GCM, AES_256_GCM, CHACHA20_POLY1305};

use super::*;

mod deframer;
mod joiner;
mod plain;
mod protect;
mod random;
mod vectors;

/// The three TLS 1.3 AEADs (RFC 8446 §B.4).
const ALGS: [&Algorithm; 3] = [&AES_128_GCM, &AES_256_GCM, &CHACHA20_POLY1305];

fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

fn iv12(s: &str) -> [u8; 12] {
    hex(s).try_into().unwrap()
}

/// xorshift64*: deterministic, good enough to shuffle test inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// A sealer and an opener sharing one key, as the two ends of a direction.
fn pair(alg: &'static Algorithm) -> (RecordSealer, RecordOpener) {
    let key: Vec<u8> = (0..alg.key_len() as u8).collect();
    let iv = [0xa5; 12];
    (
        RecordSealer::new(alg, &key, iv, u64::MAX).unwrap(),
        RecordOpener::new(alg, &key, iv, u64::MAX).unwrap(),
    )
}

/// Splits one sealed record into (header, payload).
fn split_record(rec: &[u8]) -> ([u8; 5], Vec<u8>) {
    let (h, p) = rec.split_at(5);
    (h.try_into().unwrap(), p.to_vec())
}
