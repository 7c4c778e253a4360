use super::*;

#[test]
fn round_trip_all_aeads_with_and_without_padding() {
    for alg in ALGS {
        for padding in [0, 1, 17, 300] {
            for typ in [
                ContentType::HANDSHAKE,
                ContentType::ALERT,
                ContentType::APPLICATION_DATA,
            ] {
                let (mut sealer, mut opener) = pair(alg);
                for len in [
                    1usize,
                    2,
                    100,
                    4096,
                    MAX_PLAINTEXT_LEN - 1,
                    MAX_PLAINTEXT_LEN,
                ] {
                    let msg: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
                    let mut out = Vec::new();
                    sealer.seal(typ, &msg, padding, &mut out).unwrap();
                    let pad = padding.min(MAX_PLAINTEXT_LEN - len);
                    assert_eq!(out.len(), 5 + len + 1 + pad + alg.tag_len());
                    assert!(out.len() - 5 <= MAX_CIPHERTEXT_LEN);
                    let (h, mut p) = split_record(&out);
                    assert_eq!(h[..3], [23, 3, 3]);
                    let (t, plain) = opener.open(h, &mut p).unwrap();
                    assert_eq!(t, typ);
                    assert_eq!(plain, &msg[..]);
                }
                assert_eq!(sealer.sequence(), 6);
                assert_eq!(opener.sequence(), 6);
            }
        }
    }
}

#[test]
fn empty_application_data_is_allowed_but_empty_handshake_is_not() {
    let (mut sealer, mut opener) = pair(&AES_128_GCM);
    let mut out = Vec::new();
    sealer
        .seal(ContentType::APPLICATION_DATA, &[], 5, &mut out)
        .unwrap();
    let (h, mut p) = split_record(&out);
    let (t, plain) = opener.open(h, &mut p).unwrap();
    assert_eq!((t, plain.len()), (ContentType::APPLICATION_DATA, 0));
    assert!(sealer
        .seal(ContentType::HANDSHAKE, &[], 0, &mut out)
        .is_err());
}

#[test]
fn rfc8448_client_finished_seals_and_opens_exactly() {
    let key = hex(vectors::CLIENT_HS_KEY);
    let iv = iv12(vectors::CLIENT_HS_IV);
    let mut sealer = RecordSealer::new(&AES_128_GCM, &key, iv, u64::MAX).unwrap();
    let mut out = Vec::new();
    let fin = hex(vectors::CLIENT_FINISHED);
    sealer
        .seal(ContentType::HANDSHAKE, &fin, 0, &mut out)
        .unwrap();
    assert_eq!(out, hex(vectors::CLIENT_FINISHED_RECORD));

    let mut opener = RecordOpener::new(&AES_128_GCM, &key, iv, u64::MAX).unwrap();
    let (h, mut p) = split_record(&out);
    let (t, plain) = opener.open(h, &mut p).unwrap();
    assert_eq!(t, ContentType::HANDSHAKE);
    assert_eq!(plain, &fin[..]);
}

#[test]
fn rfc8448_server_flight_opens_and_reseals() {
    let key = hex(vectors::SERVER_HS_KEY);
    let iv = iv12(vectors::SERVER_HS_IV);
    let wire = hex(vectors::SERVER_FLIGHT_RECORD);
    assert_eq!(wire.len(), 679);
    let (h, mut p) = split_record(&wire);
    let mut opener = RecordOpener::new(&AES_128_GCM, &key, iv, u64::MAX).unwrap();
    let (t, plain) = opener.open(h, &mut p).unwrap();
    assert_eq!(t, ContentType::HANDSHAKE);
    assert_eq!(plain.len(), 657);
    // EncryptedExtensions first, Finished (32-byte verify_data) last.
    assert_eq!(plain[..4], [0x08, 0x00, 0x00, 0x24]);
    assert_eq!(plain[657 - 36..657 - 32], [0x14, 0x00, 0x00, 0x20]);
    let plain = plain.to_vec();

    let mut sealer = RecordSealer::new(&AES_128_GCM, &key, iv, u64::MAX).unwrap();
    let mut out = Vec::new();
    sealer
        .seal(ContentType::HANDSHAKE, &plain, 0, &mut out)
        .unwrap();
    assert_eq!(out, wire);
}

#[test]
fn rfc8448_application_data_and_alerts_at_nonzero_sequence() {
    let payload: Vec<u8> = (0u8..50).collect();

    // Client direction: data at sequence 0, close_notify at 1.
    let key = hex(vectors::CLIENT_AP_KEY);
    let iv = iv12(vectors::CLIENT_AP_IV);
    let mut sealer = RecordSealer::new(&AES_128_GCM, &key, iv, u64::MAX).unwrap();
    let mut out = Vec::new();
    sealer
        .seal(ContentType::APPLICATION_DATA, &payload, 0, &mut out)
        .unwrap();
    assert_eq!(out, hex(vectors::CLIENT_APP_RECORD));
    out.clear();
    sealer
        .seal(ContentType::ALERT, &[1, 0], 0, &mut out)
        .unwrap();
    assert_eq!(out, hex(vectors::CLIENT_ALERT_RECORD));

    // Server direction: ticket at 0, data at 1, close_notify at 2.
    let key = hex(vectors::SERVER_AP_KEY);
    let iv = iv12(vectors::SERVER_AP_IV);
    let mut opener = RecordOpener::new(&AES_128_GCM, &key, iv, u64::MAX).unwrap();
    let mut stream = hex(vectors::SERVER_TICKET_RECORD);
    stream.extend(hex(vectors::SERVER_APP_RECORD));
    stream.extend(hex(vectors::SERVER_ALERT_RECORD));
    let mut deframer = Deframer::new();
    assert_eq!(deframer.push(&stream), stream.len());
    let mut seen = Vec::new();
    while let Some(rec) = deframer.next_record().unwrap() {
        let h = rec.header();
        let (t, plain) = opener.open(h, rec.payload).unwrap();
        seen.push((t, plain.to_vec()));
    }
    assert!(!deframer.has_partial());
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].0, ContentType::HANDSHAKE);
    assert_eq!(seen[0].1[0], 4, "NewSessionTicket");
    assert_eq!(seen[1], (ContentType::APPLICATION_DATA, payload));
    assert_eq!(seen[2], (ContentType::ALERT, vec![1, 0]));
    assert_eq!(opener.sequence(), 3);
}

#[test]
fn rfc8448_record_does_not_open_at_another_sequence() {
    let key = hex(vectors::CLIENT_AP_KEY);
    let iv = iv12(vectors::CLIENT_AP_IV);
    let wire = hex(vectors::CLIENT_APP_RECORD);
    let mut opener = RecordOpener::new(&AES_128_GCM, &key, iv, u64::MAX).unwrap();
    // Burn sequence 0 on a forged record via try_open: it must not advance.
    let (h, mut p) = split_record(&wire);
    p[0] ^= 1;
    assert!(opener.try_open(h, &mut p).unwrap().is_none());
    assert_eq!(opener.sequence(), 0);
    let (h, mut p) = split_record(&wire);
    assert!(opener.try_open(h, &mut p).unwrap().is_some());
    assert_eq!(opener.sequence(), 1);
    let (h, mut p) = split_record(&wire);
    assert_eq!(opener.open(h, &mut p), Err(RecordError::BadRecordMac));
}

#[test]
fn any_flipped_bit_is_bad_record_mac() {
    for alg in ALGS {
        let (mut sealer, _) = pair(alg);
        let mut out = Vec::new();
        sealer
            .seal(
                ContentType::APPLICATION_DATA,
                b"attack at dawn",
                3,
                &mut out,
            )
            .unwrap();
        for byte in 0..out.len() {
            for bit in 0..8 {
                let mut rec = out.clone();
                rec[byte] ^= 1 << bit;
                let (h, mut p) = split_record(&rec);
                let (_, mut opener) = pair(alg);
                let r = opener.open(h, &mut p);
                match byte {
                    // Outer type changed: not a protected record at all.
                    0 => assert!(matches!(r, Err(RecordError::UnexpectedMessage(_)))),
                    // Length changed: header disagrees with the payload.
                    3 | 4 => assert!(r.is_err()),
                    _ => assert_eq!(r, Err(RecordError::BadRecordMac), "byte {byte} bit {bit}"),
                }
                assert_eq!(opener.sequence(), 0);
            }
        }
    }
}

#[test]
fn sequence_numbers_advance_and_nonces_differ() {
    for alg in ALGS {
        let (mut sealer, mut opener) = pair(alg);
        let mut records = Vec::new();
        for _ in 0..4 {
            let mut out = Vec::new();
            sealer
                .seal(
                    ContentType::APPLICATION_DATA,
                    b"same plaintext",
                    0,
                    &mut out,
                )
                .unwrap();
            records.push(out);
        }
        assert_eq!(sealer.sequence(), 4);
        for (i, a) in records.iter().enumerate() {
            for b in &records[i + 1..] {
                assert_ne!(a, b, "same plaintext must not repeat ciphertext");
            }
        }
        // Out of order fails; in order succeeds.
        let (h, mut p) = split_record(&records[1]);
        assert_eq!(opener.open(h, &mut p), Err(RecordError::BadRecordMac));
        for r in &records {
            let (h, mut p) = split_record(r);
            opener.open(h, &mut p).unwrap();
        }
        assert_eq!(opener.sequence(), 4);
    }
}

#[test]
fn over_long_records_overflow() {
    let (mut sealer, mut opener) = pair(&AES_128_GCM);
    let mut out = Vec::new();
    assert_eq!(
        sealer.seal(
            ContentType::APPLICATION_DATA,
            &vec![0; MAX_PLAINTEXT_LEN + 1],
            0,
            &mut out
        ),
        Err(RecordError::RecordOverflow)
    );
    assert!(out.is_empty());
    assert_eq!(sealer.sequence(), 0);

    // Ciphertext above 2^14 + 256.
    let mut p = vec![0; MAX_CIPHERTEXT_LEN + 1];
    let h = header(ContentType::APPLICATION_DATA, 0x0303, p.len());
    assert_eq!(opener.open(h, &mut p), Err(RecordError::RecordOverflow));

    // An authentic record whose inner plaintext exceeds 2^14 + 1: build it
    // with the raw AEAD, since our sealer refuses to.
    use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey};
    let key: Vec<u8> = (0..16u8).collect();
    let raw = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &key).unwrap());
    let mut inner = vec![0x41; MAX_PLAINTEXT_LEN + 1];
    inner.push(23);
    let h = header(ContentType::APPLICATION_DATA, 0x0303, inner.len() + 16);
    let tag = raw
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key([0xa5; 12]),
            Aad::from(h),
            &mut inner,
        )
        .unwrap();
    inner.extend_from_slice(tag.as_ref());
    assert_eq!(opener.open(h, &mut inner), Err(RecordError::RecordOverflow));
}

/// Seals raw inner plaintext bytes, bypassing the sealer's own checks.
fn seal_raw_inner(inner: &[u8]) -> ([u8; 5], Vec<u8>) {
    use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey};
    let key: Vec<u8> = (0..16u8).collect();
    let raw = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &key).unwrap());
    let mut body = inner.to_vec();
    let h = header(ContentType::APPLICATION_DATA, 0x0303, body.len() + 16);
    let tag = raw
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key([0xa5; 12]),
            Aad::from(h),
            &mut body,
        )
        .unwrap();
    body.extend_from_slice(tag.as_ref());
    (h, body)
}

#[test]
fn inner_plaintext_rules() {
    let cases: [(&[u8], Result<ContentType, RecordError>); 7] = [
        (
            &[0, 0, 0],
            Err(RecordError::UnexpectedMessage(
                "protected record without a content type",
            )),
        ),
        (
            &[],
            Err(RecordError::UnexpectedMessage(
                "protected record without a content type",
            )),
        ),
        (
            &[1, 20],
            Err(RecordError::UnexpectedMessage(
                "protected change_cipher_spec record",
            )),
        ),
        (
            &[22, 0, 0],
            Err(RecordError::UnexpectedMessage(
                "zero-length handshake or alert record",
            )),
        ),
        (&[9, 99, 0], Err(RecordError::UnexpectedContentType(99))),
        (&[0, 0, 23, 0, 0], Ok(ContentType::APPLICATION_DATA)),
        (&[1, 0, 21, 0], Ok(ContentType::ALERT)),
    ];
    for (inner, want) in cases {
        let (_, mut opener) = pair(&AES_128_GCM);
        let (h, mut body) = seal_raw_inner(inner);
        let got = opener.open(h, &mut body).map(|(t, _)| t);
        assert_eq!(got, want, "inner {inner:?}");
    }
    // Padding is stripped and zeros inside the content survive.
    let (_, mut opener) = pair(&AES_128_GCM);
    let (h, mut body) = seal_raw_inner(&[0, 5, 0, 23, 0, 0, 0]);
    assert_eq!(opener.open(h, &mut body).unwrap().1, &[0, 5, 0][..]);
}

#[test]
fn short_and_mismatched_payloads() {
    let (_, mut opener) = pair(&CHACHA20_POLY1305);
    for len in 0..17 {
        let mut p = vec![0; len];
        let h = header(ContentType::APPLICATION_DATA, 0x0303, len);
        assert_eq!(opener.open(h, &mut p), Err(RecordError::BadRecordMac));
        assert_eq!(opener.try_open(h, &mut p), Ok(None));
    }
    let mut p = vec![0; 40];
    let h = header(ContentType::APPLICATION_DATA, 0x0303, 39);
    assert!(matches!(
        opener.open(h, &mut p),
        Err(RecordError::Internal(_))
    ));
    let h = header(ContentType::HANDSHAKE, 0x0303, 40);
    assert!(matches!(
        opener.open(h, &mut p),
        Err(RecordError::UnexpectedMessage(_))
    ));
}

#[test]
fn key_limit_and_sequence_exhaustion() {
    let key = [1u8; 16];
    let mut sealer = RecordSealer::new(&AES_128_GCM, &key, [0; 12], 3).unwrap();
    let mut opener = RecordOpener::new(&AES_128_GCM, &key, [0; 12], 3).unwrap();
    let mut recs = Vec::new();
    for i in 0..3 {
        assert_eq!(sealer.near_limit(), i >= 2, "seq {i}");
        let mut out = Vec::new();
        sealer
            .seal(ContentType::APPLICATION_DATA, b"x", 0, &mut out)
            .unwrap();
        recs.push(out);
    }
    let mut out = Vec::new();
    assert_eq!(
        sealer.seal(ContentType::APPLICATION_DATA, b"x", 0, &mut out),
        Err(RecordError::KeyLimitReached)
    );
    assert!(out.is_empty());
    for r in &recs {
        let (h, mut p) = split_record(r);
        opener.open(h, &mut p).unwrap();
    }
    let (h, mut p) = split_record(&recs[0]);
    assert_eq!(opener.open(h, &mut p), Err(RecordError::KeyLimitReached));

    assert_eq!(RecordError::KeyLimitReached.alert_code(), 80);
    assert!(RecordSealer::new(&AES_256_GCM, &key, [0; 12], 1).is_err());
}

#[test]
fn big_limit_near_limit_is_quiet() {
    let (sealer, opener) = pair(&AES_128_GCM);
    assert!(!sealer.near_limit());
    assert!(!opener.near_limit());
}

#[test]
fn seal_fragments_splits_at_2_14_and_reserves_once() {
    for alg in ALGS {
        let (mut sealer, mut opener) = pair(alg);
        let data: Vec<u8> = (0..(1usize << 20) + 5).map(|i| (i % 251) as u8).collect();
        let mut out = Vec::new();
        let n = sealer
            .seal_fragments(ContentType::APPLICATION_DATA, &data, usize::MAX, &mut out)
            .unwrap();
        assert_eq!(n, 65);
        let expected = data.len() + n * sealer.overhead();
        assert_eq!(out.len(), expected);
        // One reservation: the capacity is exactly what was needed.
        assert_eq!(out.capacity(), expected);

        let mut deframer = Deframer::new();
        let mut got = Vec::new();
        let mut fed = 0;
        while fed < out.len() || deframer.has_partial() {
            fed += deframer.push(&out[fed..]);
            while let Some(rec) = deframer.next_record().unwrap() {
                let h = rec.header();
                assert!(rec.payload.len() <= MAX_PLAINTEXT_LEN + 1 + alg.tag_len());
                let (_, plain) = opener.open(h, rec.payload).unwrap();
                got.extend_from_slice(plain);
            }
        }
        assert_eq!(got, data);

        out.clear();
        assert_eq!(
            sealer
                .seal_fragments(ContentType::HANDSHAKE, &data[..10], 3, &mut out)
                .unwrap(),
            4
        );
        assert_eq!(
            sealer
                .seal_fragments(ContentType::APPLICATION_DATA, &[], 3, &mut out)
                .unwrap(),
            0
        );
    }
}

#[test]
fn padding_is_clamped_to_the_record_limit() {
    let (mut sealer, mut opener) = pair(&AES_256_GCM);
    let mut out = Vec::new();
    sealer
        .seal(
            ContentType::APPLICATION_DATA,
            &[7; 100],
            usize::MAX,
            &mut out,
        )
        .unwrap();
    assert_eq!(out.len(), 5 + MAX_PLAINTEXT_LEN + 1 + 16);
    let (h, mut p) = split_record(&out);
    assert_eq!(opener.open(h, &mut p).unwrap().1, &[7; 100][..]);
}

#[test]
fn both_seal_paths_match_a_reference_built_from_the_raw_aead() {
    use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey};
    for alg in ALGS {
        for padding in [0usize, 1, 255] {
            let key: Vec<u8> = (0..alg.key_len() as u8).collect();
            let iv = [0xa5u8; 12];
            let msg = b"the quick brown fox";
            let mut sealer = RecordSealer::new(alg, &key, iv, u64::MAX).unwrap();
            // Advance to sequence 1 so the nonce XOR matters.
            sealer
                .seal(ContentType::APPLICATION_DATA, b"-", 0, &mut Vec::new())
                .unwrap();
            let mut ours = Vec::new();
            sealer
                .seal(ContentType::HANDSHAKE, msg, padding, &mut ours)
                .unwrap();

            let raw = LessSafeKey::new(UnboundKey::new(alg, &key).unwrap());
            let mut nonce = iv;
            nonce[11] ^= 1;
            let mut inner = msg.to_vec();
            inner.push(22);
            inner.resize(inner.len() + padding, 0);
            let h = header(
                ContentType::APPLICATION_DATA,
                0x0303,
                inner.len() + alg.tag_len(),
            );
            raw.seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(h),
                &mut inner,
            )
            .unwrap();
            let mut expected = h.to_vec();
            expected.extend_from_slice(&inner);
            assert_eq!(ours, expected, "{alg:?} padding {padding}");
        }
    }
}

#[test]
fn seal_into_a_caller_buffer() {
    let (mut a, mut opener) = pair(&CHACHA20_POLY1305);
    let (mut b, _) = pair(&CHACHA20_POLY1305);
    let mut buf = vec![0xee; 100];
    assert!(matches!(
        a.seal_into(ContentType::APPLICATION_DATA, &[1; 90], 0, &mut buf),
        Err(RecordError::Internal(_))
    ));
    assert_eq!(a.sequence(), 0);
    let n = a
        .seal_into(ContentType::APPLICATION_DATA, &[1; 20], 3, &mut buf)
        .unwrap();
    assert_eq!(n, a.sealed_len(20, 3));
    assert_eq!(n, 5 + 20 + 1 + 3 + 16);
    let mut v = Vec::new();
    b.seal(ContentType::APPLICATION_DATA, &[1; 20], 3, &mut v)
        .unwrap();
    assert_eq!(&buf[..n], &v[..]);
    let (h, mut p) = split_record(&buf[..n]);
    assert_eq!(opener.open(h, &mut p).unwrap().1, &[1; 20][..]);
}

#[test]
fn open_into_agrees_with_open_and_leaves_the_record_alone() {
    for alg in ALGS {
        let (mut sealer, mut in_place) = pair(alg);
        let (_, mut out_of_place) = pair(alg);
        for (typ, len, padding) in [
            (ContentType::APPLICATION_DATA, MAX_PLAINTEXT_LEN, 0),
            (ContentType::HANDSHAKE, 100, 7),
            (ContentType::APPLICATION_DATA, 0, 0),
        ] {
            let msg: Vec<u8> = (0..len).map(|i| (i * 5 + 1) as u8).collect();
            let mut wire = Vec::new();
            sealer.seal(typ, &msg, padding, &mut wire).unwrap();
            let (h, mut p) = split_record(&wire);
            let payload = p.clone();
            let mut out = vec![0u8; MAX_CIPHERTEXT_LEN];
            let (t, plain) = out_of_place.open_into(h, &payload, &mut out).unwrap();
            assert_eq!((t, &*plain), (typ, &msg[..]));
            assert_eq!(payload, wire[5..], "the caller's bytes are untouched");
            let (t, plain) = in_place.open(h, &mut p).unwrap();
            assert_eq!((t, &*plain), (typ, &msg[..]));
        }
        assert_eq!(out_of_place.sequence(), in_place.sequence());
    }
}

#[test]
fn open_into_refuses_a_flipped_bit_and_a_short_output() {
    for alg in ALGS {
        let (mut sealer, _) = pair(alg);
        let mut wire = Vec::new();
        sealer
            .seal(
                ContentType::APPLICATION_DATA,
                b"attack at dawn",
                0,
                &mut wire,
            )
            .unwrap();
        let mut out = vec![0u8; 64];
        for byte in 5..wire.len() {
            let mut rec = wire.clone();
            rec[byte] ^= 0x10;
            let (h, p) = split_record(&rec);
            let (_, mut opener) = pair(alg);
            assert_eq!(
                opener.open_into(h, &p, &mut out),
                Err(RecordError::BadRecordMac),
                "byte {byte}"
            );
            assert_eq!(opener.sequence(), 0);
        }
        let (h, p) = split_record(&wire);
        let (_, mut opener) = pair(alg);
        assert!(matches!(
            opener.open_into(h, &p, &mut out[..3]),
            Err(RecordError::Internal(_))
        ));
        assert!(matches!(
            opener.open_into(h, &p[..5], &mut out),
            Err(RecordError::Internal(_))
        ));
    }
}
