//! Random input must never panic: a deterministic fuzz loop over the whole
//! receive path (deframer → opener / plain checks → joiner).

use super::*;

fn drive(wire: &[u8], rng: &mut Rng, opener: &mut RecordOpener) {
    let mut d = Deframer::with_limit(rng.below(3 * MAX_RECORD_WIRE_LEN));
    let mut j = HandshakeJoiner::with_max_message_len(rng.below(70_000));
    let mut fed = 0;
    loop {
        match d.next_record() {
            Ok(Some(rec)) => {
                let h = rec.header();
                let typ = rec.typ;
                if typ == ContentType::APPLICATION_DATA {
                    let r = if rng.below(2) == 0 {
                        opener.open(h, rec.payload).map(Some)
                    } else {
                        opener.try_open(h, rec.payload)
                    };
                    if let Ok(Some((ContentType::HANDSHAKE, plain))) = r {
                        let _ = j.push(plain);
                    }
                } else {
                    let _ = check_plain_record(typ, rec.payload);
                    let _ = check_ccs(rec.payload);
                    if typ == ContentType::HANDSHAKE && j.push(rec.payload).is_err() {
                        return;
                    }
                }
                while let Ok(Some(_)) = j.next_message() {}
                let _ = d.retain(rng.below(100));
                let n = d.retained().len();
                d.consume_retained(rng.below(n + 1));
            }
            Ok(None) => {
                if fed == wire.len() {
                    return;
                }
                let n = (1 + rng.below(5000)).min(wire.len() - fed);
                let taken = d.push(&wire[fed..fed + n]);
                if taken == 0 {
                    return;
                }
                fed += taken;
            }
            Err(_) => return,
        }
    }
}

#[test]
fn random_input_never_panics() {
    let mut rng = Rng(0xdead_beef);
    let mut opener = RecordOpener::new(&AES_128_GCM, &[0; 16], [0; 12], 1000).unwrap();
    for _ in 0..2000 {
        let len = rng.below(40_000);
        let mut wire = rng.bytes(len);
        // Bias towards plausible headers so the deeper paths run.
        let mut at = 0;
        while at + 5 <= wire.len() && rng.below(4) != 0 {
            wire[at] = 20 + rng.below(4) as u8;
            wire[at + 1] = 3;
            wire[at + 2] = 3;
            let l = rng.below(2000);
            wire[at + 3] = (l >> 8) as u8;
            wire[at + 4] = l as u8;
            at += 5 + l;
        }
        drive(&wire, &mut rng, &mut opener);
    }
}

#[test]
fn random_valid_protected_stream_round_trips() {
    let mut rng = Rng(42);
    for alg in ALGS {
        let (mut sealer, mut opener) = pair(alg);
        let mut wire = Vec::new();
        let mut msgs = Vec::new();
        for _ in 0..300 {
            let typ = if rng.below(3) == 0 {
                ContentType::HANDSHAKE
            } else {
                ContentType::APPLICATION_DATA
            };
            let len = 1 + rng.below(2000);
            let m = rng.bytes(len);
            sealer.seal(typ, &m, rng.below(64), &mut wire).unwrap();
            msgs.push((typ, m));
        }
        let mut d = Deframer::new();
        let mut got = Vec::new();
        let mut fed = 0;
        while fed < wire.len() || d.has_partial() {
            let n = (1 + rng.below(7000)).min(wire.len() - fed);
            fed += d.push(&wire[fed..fed + n]);
            while let Some(rec) = d.next_record().unwrap() {
                let h = rec.header();
                let (t, p) = opener.open(h, rec.payload).unwrap();
                got.push((t, p.to_vec()));
            }
        }
        assert_eq!(got, msgs);
    }
}
