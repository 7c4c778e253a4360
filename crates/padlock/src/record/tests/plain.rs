use super::*;

#[test]
fn plain_records_fragment_at_2_14() {
    let mut out = Vec::new();
    let payload = vec![5u8; MAX_PLAINTEXT_LEN * 2 + 3];
    write_plain_record(ContentType::HANDSHAKE, &payload, &mut out);
    assert_eq!(out.len(), payload.len() + 3 * 5);
    let mut d = Deframer::new();
    d.push(&out);
    let mut lens = Vec::new();
    while let Some(rec) = d.next_record().unwrap() {
        assert_eq!(rec.legacy_version, 0x0303);
        check_plain_record(rec.typ, rec.payload).unwrap();
        lens.push(rec.payload.len());
    }
    assert_eq!(lens, [MAX_PLAINTEXT_LEN, MAX_PLAINTEXT_LEN, 3]);

    out.clear();
    write_plain_record_with_version(ContentType::HANDSHAKE, 0x0301, &[1, 0, 0, 0], &mut out);
    assert_eq!(out, [22, 3, 1, 0, 4, 1, 0, 0, 0]);
    out.clear();
    write_plain_record(ContentType::ALERT, &[], &mut out);
    assert!(out.is_empty());
}

#[test]
fn plain_record_checks() {
    assert_eq!(
        check_plain_record(ContentType::HANDSHAKE, &vec![1; MAX_PLAINTEXT_LEN + 1]),
        Err(RecordError::RecordOverflow)
    );
    assert_eq!(
        check_plain_record(ContentType::APPLICATION_DATA, &[1])
            .unwrap_err()
            .alert_code(),
        10
    );
    assert_eq!(
        check_plain_record(ContentType::HANDSHAKE, &[])
            .unwrap_err()
            .alert_code(),
        10
    );
    assert_eq!(
        check_plain_record(ContentType::ALERT, &[])
            .unwrap_err()
            .alert_code(),
        10
    );
    assert_eq!(
        check_plain_record(ContentType(99), &[1]),
        Err(RecordError::UnexpectedContentType(99))
    );
    check_plain_record(ContentType::ALERT, &[2, 40]).unwrap();
    check_plain_record(ContentType::CHANGE_CIPHER_SPEC, &[1]).unwrap();
}

#[test]
fn ccs() {
    let mut d = Deframer::new();
    d.push(&CCS_RECORD);
    let rec = d.next_record().unwrap().unwrap();
    assert_eq!(rec.typ, ContentType::CHANGE_CIPHER_SPEC);
    check_ccs(rec.payload).unwrap();
    for bad in [&[][..], &[0], &[2], &[1, 1]] {
        assert_eq!(check_ccs(bad).unwrap_err().alert_code(), 10);
    }
}

#[test]
fn content_type_debug_and_alert_codes() {
    assert_eq!(format!("{:?}", ContentType::HANDSHAKE), "handshake");
    assert_eq!(format!("{:?}", ContentType(0)), "invalid");
    assert_eq!(format!("{:?}", ContentType(99)), "ContentType(99)");
    assert_eq!(RecordError::RecordOverflow.alert_code(), 22);
    assert_eq!(RecordError::BadRecordMac.alert_code(), 20);
    assert_eq!(RecordError::UnexpectedContentType(1).alert_code(), 10);
    assert_eq!(RecordError::DecodeError("x").alert_code(), 50);
    assert!(!RecordError::BadRecordMac.to_string().is_empty());
}

#[test]
fn debug_output_shows_no_buffer_contents() {
    let mut d = Deframer::new();
    d.push(&[23, 3, 3, 0, 3, 0xaa, 0xbb, 0xcc]);
    let rec = d.next_record().unwrap().unwrap();
    let s = format!("{rec:?}");
    assert!(s.contains("application_data") && s.contains("0x0303") && !s.contains("170"));
    let s = format!("{d:?}");
    assert!(!s.contains("170") && s.contains("start: 8"));
    let mut j = HandshakeJoiner::new();
    j.push(&[1, 0, 0, 9, 42]).unwrap();
    assert!(!format!("{j:?}").contains("42"));
    let (sealer, _) = pair(&AES_128_GCM);
    assert!(format!("{sealer:?}").contains("seq: 0"));
}
