use super::*;

fn message(typ: u8, body_len: usize) -> Vec<u8> {
    let mut m = vec![typ];
    m.extend_from_slice(&(body_len as u32).to_be_bytes()[1..]);
    m.extend((0..body_len).map(|i| i as u8));
    m
}

#[test]
fn message_split_across_three_fragments() {
    let m = message(11, 40_000);
    let mut j = HandshakeJoiner::new();
    j.push(&m[..2]).unwrap();
    assert!(j.next_message().unwrap().is_none());
    j.push(&m[2..20_000]).unwrap();
    assert!(j.next_message().unwrap().is_none());
    assert!(!j.is_empty());
    j.push(&m[20_000..]).unwrap();
    let (typ, got) = j.next_message().unwrap().unwrap();
    assert_eq!(typ, 11);
    assert_eq!(got, &m[..]);
    assert!(j.next_message().unwrap().is_none());
    assert!(j.is_empty());
}

#[test]
fn three_messages_in_one_fragment() {
    let msgs = [message(8, 2), message(11, 0), message(20, 32)];
    let mut j = HandshakeJoiner::new();
    j.push(&msgs.concat()).unwrap();
    for m in &msgs {
        let (typ, got) = j.next_message().unwrap().unwrap();
        assert_eq!(typ, m[0]);
        assert_eq!(got, &m[..]);
    }
    assert!(j.next_message().unwrap().is_none());
    assert!(j.is_empty());
}

#[test]
fn messages_straddling_fragments_in_random_splits() {
    let mut rng = Rng(3);
    let msgs: Vec<Vec<u8>> = (0..30).map(|i| message(i as u8, rng.below(5000))).collect();
    let stream = msgs.concat();
    for _ in 0..20 {
        let mut j = HandshakeJoiner::new();
        let mut got = Vec::new();
        let mut at = 0;
        while at < stream.len() {
            let n = (1 + rng.below(MAX_PLAINTEXT_LEN)).min(stream.len() - at);
            j.push(&stream[at..at + n]).unwrap();
            at += n;
            while let Some((_, m)) = j.next_message().unwrap() {
                got.push(m.to_vec());
            }
        }
        assert_eq!(got, msgs);
        assert!(j.is_empty());
    }
}

#[test]
fn over_the_limit_is_an_error() {
    let mut j = HandshakeJoiner::with_max_message_len(1000);
    j.push(&message(1, 996)).unwrap();
    assert!(j.next_message().unwrap().is_some());
    // The header alone is enough to refuse.
    j.push(&message(1, 997)[..4]).unwrap();
    assert_eq!(j.next_message(), Err(RecordError::HandshakeTooLarge));

    let mut j = HandshakeJoiner::new();
    j.push(&[1, 0xff, 0xff, 0xff]).unwrap();
    assert_eq!(j.next_message(), Err(RecordError::HandshakeTooLarge));

    // Pushing without draining is bounded too.
    let mut j = HandshakeJoiner::with_max_message_len(100);
    let mut r = Ok(());
    for _ in 0..100 {
        r = j.push(&[0; 1000]);
        if r.is_err() {
            break;
        }
    }
    assert_eq!(r, Err(RecordError::HandshakeTooLarge));
    assert_eq!(RecordError::HandshakeTooLarge.alert_code(), 50);
}

#[test]
fn empty_fragment_is_unexpected() {
    let mut j = HandshakeJoiner::new();
    assert_eq!(j.push(&[]).unwrap_err().alert_code(), 10);
}

#[test]
fn buffer_shrinks_after_a_large_message() {
    let mut j = HandshakeJoiner::new();
    j.push(&message(11, 60_000)[..MAX_PLAINTEXT_LEN]).unwrap();
    let m = message(11, 60_000);
    let mut at = MAX_PLAINTEXT_LEN;
    while at < m.len() {
        let n = MAX_PLAINTEXT_LEN.min(m.len() - at);
        j.push(&m[at..at + n]).unwrap();
        at += n;
    }
    assert!(j.next_message().unwrap().is_some());
    j.push(&message(4, 10)).unwrap();
    assert!(j.next_message().unwrap().is_some());
    assert!(j.is_empty());
}

#[test]
fn release_if_empty_frees_only_a_drained_buffer() {
    let mut j = HandshakeJoiner::new();
    let m = message(4, 100);
    j.push(&m[..50]).unwrap();
    j.release_if_empty();
    assert!(j.next_message().unwrap().is_none(), "partial message kept");
    j.push(&m[50..]).unwrap();
    assert_eq!(j.next_message().unwrap().unwrap().1, &m[..]);
    j.release_if_empty();
    assert!(j.is_empty());
    j.push(&m).unwrap();
    assert_eq!(j.next_message().unwrap().unwrap().1, &m[..]);
}

/// A record's whole messages are handed out where they lie while the joiner is empty; the
/// rest of the record, and everything while it holds a partial message, is for `push`.
#[test]
fn split_message_takes_whole_messages_in_place() {
    let j = HandshakeJoiner::new();
    let record = [&message(20, 3)[..], &message(8, 0)[..], &[15, 0, 0]].concat();
    let (typ, first, rest) = j.split_message(&record).unwrap().unwrap();
    assert_eq!((typ, first), (20, &message(20, 3)[..]));
    assert!(std::ptr::eq(first.as_ptr(), record.as_ptr()), "not copied");
    let (typ, second, rest) = j.split_message(rest).unwrap().unwrap();
    assert_eq!(
        (typ, second, rest),
        (8, &message(8, 0)[..], &[15, 0, 0][..])
    );
    assert!(j.split_message(rest).unwrap().is_none(), "a partial header");
    assert!(j.split_message(&[]).unwrap().is_none());

    let mut holding = HandshakeJoiner::new();
    holding.push(&[15, 0]).unwrap();
    assert!(holding.split_message(&message(20, 1)).unwrap().is_none());

    let small = HandshakeJoiner::with_max_message_len(100);
    assert!(matches!(
        small.split_message(&[11, 0, 1, 0]),
        Err(RecordError::HandshakeTooLarge)
    ));
}
