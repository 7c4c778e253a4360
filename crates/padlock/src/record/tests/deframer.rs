use super::*;

/// (type, legacy_version, payload) of one record.
type Parsed = (ContentType, u16, Vec<u8>);

/// A stream of plain and protected-looking records of assorted sizes.
fn sample_stream(rng: &mut Rng) -> (Vec<u8>, Vec<Parsed>) {
    let mut wire = Vec::new();
    let mut records = Vec::new();
    for i in 0..40 {
        let typ = [
            ContentType::HANDSHAKE,
            ContentType::APPLICATION_DATA,
            ContentType::ALERT,
            ContentType::CHANGE_CIPHER_SPEC,
        ][i % 4];
        let len = match i % 5 {
            0 => 0,
            1 => 1,
            2 => MAX_CIPHERTEXT_LEN,
            _ => rng.below(3000),
        };
        let version = if i == 0 { 0x0301 } else { 0x0303 };
        let payload = rng.bytes(len);
        wire.extend_from_slice(&header(typ, version, len));
        wire.extend_from_slice(&payload);
        records.push((typ, version, payload));
    }
    (wire, records)
}

/// Feeds `wire` in chunks chosen by `chunk`, each through push or (when `zero_copy` says so)
/// space/advance, collecting the records.
fn deframe(
    wire: &[u8],
    mut chunk: impl FnMut() -> usize,
    mut zero_copy: impl FnMut() -> bool,
) -> Vec<Parsed> {
    let mut d = Deframer::new();
    let mut got = Vec::new();
    let mut fed = 0;
    loop {
        while let Some(rec) = d.next_record().unwrap() {
            got.push((rec.typ, rec.legacy_version, rec.payload.to_vec()));
        }
        if fed == wire.len() {
            break;
        }
        let n = chunk().max(1).min(wire.len() - fed);
        if zero_copy() {
            let space = d.space();
            let n = n.min(space.len());
            assert!(n > 0, "space must never be empty after records are drained");
            space[..n].copy_from_slice(&wire[fed..fed + n]);
            d.advance(n);
            fed += n;
        } else {
            let taken = d.push(&wire[fed..fed + n]);
            assert!(taken > 0);
            fed += taken;
        }
        assert!(d.capacity() <= DEFAULT_BUFFER_LIMIT);
    }
    assert!(!d.has_partial());
    got
}

#[test]
fn one_byte_at_a_time_and_random_chunks_agree() {
    let mut rng = Rng(0x1234_5678);
    let (wire, records) = sample_stream(&mut rng);
    assert_eq!(deframe(&wire, || 1, || false), records);
    assert_eq!(deframe(&wire, || 1, || true), records);
    for seed in 1..20u64 {
        let mut r = Rng(seed * 0x9e37_79b9);
        assert_eq!(
            deframe(&wire, || r.below(40_000), || seed % 2 == 0),
            records
        );
    }
    assert_eq!(deframe(&wire, || usize::MAX, || false), records);
}

/// `push` appends past the initialised part of the buffer and `space` initialises the rest:
/// mixing them, in chunks of every size, must deframe the same records.
#[test]
fn push_and_space_mixed_agree() {
    let mut rng = Rng(0x0bad_cafe);
    let (wire, records) = sample_stream(&mut rng);
    for seed in 1..20u64 {
        let mut sizes = Rng(seed * 0x2545_f491);
        let mut ways = Rng(seed * 0x9e37_79b9);
        let limit = [7, 300, 5000, 40_000][seed as usize % 4];
        assert_eq!(
            deframe(&wire, || sizes.below(limit), || ways.below(2) == 0),
            records
        );
    }
}

#[test]
fn truncated_input_yields_none_and_has_partial() {
    let mut rng = Rng(77);
    let (wire, _) = sample_stream(&mut rng);
    // (The first record is a bare 5-byte header.)
    for cut in [1, 4, 6, 7, 200, wire.len() - 1] {
        let mut d = Deframer::new();
        let mut fed = 0;
        let mut count = 0;
        loop {
            while let Some(_rec) = d.next_record().unwrap() {
                count += 1;
            }
            if fed == cut {
                break;
            }
            fed += d.push(&wire[fed..cut]);
        }
        assert!(d.has_partial(), "cut at {cut}");
        assert!(count < 40);
    }
    let mut d = Deframer::new();
    assert!(!d.has_partial());
    assert!(d.next_record().unwrap().is_none());
}

#[test]
fn header_checks() {
    let cases: [(&[u8], RecordError); 5] = [
        (&[0, 3, 3, 0, 1, 0], RecordError::UnexpectedContentType(0)),
        (&[24, 3, 3, 0, 1, 0], RecordError::UnexpectedContentType(24)),
        (
            b"GET / HTTP/1.1\r\n",
            RecordError::UnexpectedContentType(b'G'),
        ),
        (
            &[22, 2, 0, 0, 1, 0],
            RecordError::DecodeError("legacy_record_version"),
        ),
        (&[23, 3, 3, 0x41, 0x01], RecordError::RecordOverflow),
    ];
    for (bytes, want) in cases {
        let mut d = Deframer::new();
        d.push(bytes);
        assert_eq!(d.next_record().unwrap_err(), want);
        // Sticky.
        assert_eq!(d.next_record().unwrap_err(), want);
    }
    // The limit itself is fine, as are 0x0300/0x0301/0x0302 versions.
    for version in [0x0300u16, 0x0301, 0x0302, 0x0303] {
        let mut d = Deframer::new();
        let mut wire = header(ContentType::APPLICATION_DATA, version, MAX_CIPHERTEXT_LEN).to_vec();
        wire.resize(5 + MAX_CIPHERTEXT_LEN, 9);
        assert_eq!(d.push(&wire), wire.len());
        let rec = d.next_record().unwrap().unwrap();
        assert_eq!(rec.payload.len(), MAX_CIPHERTEXT_LEN);
        assert_eq!(rec.legacy_version, version);
        assert_eq!(rec.header()[..], wire[..5]);
    }
}

#[test]
fn buffer_is_bounded_and_push_stops_when_full() {
    let mut wire = Vec::new();
    for _ in 0..5 {
        wire.extend_from_slice(&header(
            ContentType::APPLICATION_DATA,
            0x0303,
            MAX_CIPHERTEXT_LEN,
        ));
        wire.resize(wire.len() + MAX_CIPHERTEXT_LEN, 1);
    }
    let mut d = Deframer::new();
    let taken = d.push(&wire);
    assert_eq!(taken, DEFAULT_BUFFER_LIMIT);
    assert_eq!(d.push(&wire[taken..]), 0);
    assert!(d.space().is_empty());
    assert!(d.next_record().unwrap().is_some());
    // A complete record still waits: consume it before reading more.
    assert!(d.space().is_empty());
    assert!(d.next_record().unwrap().is_some());
    assert!(d.next_record().unwrap().is_none());
    assert_eq!(d.space().len(), DEFAULT_BUFFER_LIMIT);
    assert_eq!(d.push(&wire[taken..]), DEFAULT_BUFFER_LIMIT);
    assert!(d.next_record().unwrap().is_some());
    assert!(d.next_record().unwrap().is_some());
    assert!(!d.space().is_empty());

    let mut small = Deframer::with_limit(10);
    assert_eq!(small.push(&wire), MAX_RECORD_WIRE_LEN);
}

#[test]
fn starts_small_and_grows_only_for_big_records() {
    let mut d = Deframer::new();
    assert_eq!(d.capacity(), 0);
    let mut wire = Vec::new();
    for _ in 0..100 {
        wire.extend_from_slice(&header(ContentType::HANDSHAKE, 0x0303, 50));
        wire.extend_from_slice(&[0x11; 50]);
    }
    let mut fed = 0;
    while fed < wire.len() {
        fed += d.push(&wire[fed..(fed + 100).min(wire.len())]);
        while d.next_record().unwrap().is_some() {}
    }
    assert_eq!(d.capacity(), 4096);
}

#[test]
fn slides_are_amortised() {
    // Full-size records read in chunks that straddle record boundaries:
    // bytes moved to make room stay a bounded fraction of bytes received.
    for read_size in [1000, 4096, 20_000, 65_536] {
        let mut rng = Rng(5);
        let mut wire = Vec::new();
        let mut expect = 0;
        for _ in 0..200 {
            let len = 16_000 + rng.below(600);
            wire.extend_from_slice(&header(ContentType::APPLICATION_DATA, 0x0303, len));
            wire.resize(wire.len() + len, 3);
            expect += len;
        }
        let mut d = Deframer::new();
        let mut got = 0;
        let mut fed = 0;
        while fed < wire.len() || d.has_partial() {
            let space = d.space();
            let n = space.len().min(wire.len() - fed).min(read_size);
            space[..n].copy_from_slice(&wire[fed..fed + n]);
            d.advance(n);
            fed += n;
            while let Some(rec) = d.next_record().unwrap() {
                got += rec.payload.len();
            }
        }
        assert_eq!(got, expect);
        let ratio = d.bytes_slid() as f64 / wire.len() as f64;
        assert!(
            ratio < 0.25,
            "read size {read_size}: slid {ratio:.2} of input"
        );
    }
}

#[test]
fn retained_plaintext_survives_reads_and_slides() {
    let (mut sealer, mut opener) = pair(&AES_128_GCM);
    let mut wire = Vec::new();
    let mut sent = Vec::new();
    let mut rng = Rng(99);
    for _ in 0..50 {
        let len = 1 + rng.below(MAX_PLAINTEXT_LEN);
        let msg = rng.bytes(len);
        sealer
            .seal(
                ContentType::APPLICATION_DATA,
                &msg,
                rng.below(40),
                &mut wire,
            )
            .unwrap();
        sent.extend_from_slice(&msg);
    }
    let mut d = Deframer::new();
    let mut received = Vec::new();
    let mut fed = 0;
    let mut retained_ok = 0;
    while received.len() < sent.len() {
        // The reader takes a random amount of retained plaintext.
        let r = d.retained();
        let take = r.len().min(rng.below(9000));
        received.extend_from_slice(&r[..take]);
        d.consume_retained(take);
        if d.retained().is_empty() {
            if let Some(rec) = d.next_record().unwrap() {
                let h = rec.header();
                let (_, plain) = opener.open(h, rec.payload).unwrap();
                let n = plain.len();
                assert!(d.retain(n));
                retained_ok += 1;
                continue;
            }
        }
        // Read more while plaintext is still retained.
        let space = d.space();
        let n = space.len().min(wire.len() - fed).min(1 + rng.below(30_000));
        space[..n].copy_from_slice(&wire[fed..fed + n]);
        d.advance(n);
        fed += n;
    }
    assert_eq!(received, sent);
    assert_eq!(retained_ok, 50);
    assert!(d.bytes_slid() < wire.len() as u64);
    assert!(d.capacity() <= DEFAULT_BUFFER_LIMIT);
}

#[test]
fn retain_refuses_when_unsafe() {
    let mut d = Deframer::new();
    assert!(!d.retain(0), "no record handed out yet");
    let mut wire = header(ContentType::APPLICATION_DATA, 0x0303, 10).to_vec();
    wire.extend_from_slice(&[1; 10]);
    wire.extend_from_slice(&wire.clone());
    d.push(&wire);
    d.next_record().unwrap().unwrap();
    assert!(!d.retain(11), "longer than the payload");
    d.next_record().unwrap().unwrap();
    assert!(d.retain(4));
    assert_eq!(d.retained(), &[1; 4]);
    assert!(!d.retain(1), "only the last record, once");
    d.consume_retained(100);
    assert!(d.retained().is_empty());
}

#[test]
fn releases_only_when_empty_and_comes_back_at_the_released_size() {
    let mut wire = Vec::new();
    for _ in 0..3 {
        wire.extend_from_slice(&header(ContentType::APPLICATION_DATA, 0x0303, 10_000));
        wire.resize(wire.len() + 10_000, 7);
    }
    let mut d = Deframer::new();
    assert!(!d.release_if_empty(), "nothing allocated yet");
    let taken = d.push(&wire[..wire.len() - 1]);
    assert_eq!(taken, wire.len() - 1);
    let grown = d.capacity();
    assert!(grown >= taken);
    while d.next_record().unwrap().is_some() {}
    assert!(!d.release_if_empty(), "a partial record is buffered");
    d.push(&wire[wire.len() - 1..]);
    let rec = d.next_record().unwrap().unwrap();
    let len = rec.payload.len();
    assert!(d.retain(len));
    assert!(!d.release_if_empty(), "retained plaintext is unread");
    d.consume_retained(len);
    assert!(d.release_if_empty());
    assert_eq!(d.capacity(), 0);
    // The next read gets the size the stream needed, at once.
    assert_eq!(d.space().len(), grown);
}

#[test]
fn plaintext_room_is_kept_like_a_received_record_and_never_handed_out_again() {
    let mut d = Deframer::new();
    let room = d.plaintext_room(1000).unwrap();
    room[..600].fill(0x33);
    assert!(d.retain(600));
    assert_eq!(d.retained(), &[0x33; 600][..]);
    // Received bytes go after it, and none of the space overlaps the retained plaintext.
    let space = d.space();
    space[..5].copy_from_slice(&[23, 3, 3, 0, 1]);
    d.advance(5);
    assert_eq!(d.retained(), &[0x33; 600][..]);
    // While anything is retained or buffered, no room is given.
    assert!(d.plaintext_room(10).is_none());
    d.consume_retained(600);
    assert!(
        d.plaintext_room(10).is_none(),
        "a partial record is buffered"
    );
    let mut fresh = Deframer::new();
    assert!(fresh.plaintext_room(MAX_CIPHERTEXT_LEN + 1).is_none());
    assert_eq!(
        fresh.plaintext_room(MAX_CIPHERTEXT_LEN).map(|r| r.len()),
        Some(MAX_CIPHERTEXT_LEN)
    );
}
