//! The borrowed ClientHello parser against the owned decode it replaced: the same
//! results on malformed input, and views that read back what the owned form holds.

use super::tests::{
    client_hello, client_hello_prefix, hex, resumed_client_hello, with_extensions, RFC8448_CH,
};
use super::*;

/// Malformed (and a few borderline well-formed) ClientHellos, each with the decode
/// result padlock gave before the parser borrowed (checked against that version).
fn client_hello_cases() -> Vec<(&'static str, Vec<u8>)> {
    let ch = |exts: &[(u16, &[u8])]| with_extensions(&client_hello_prefix(), exts);
    let body = |s: &str| hex(&s.replace("{r}", &"00".repeat(32)));
    let mut psk = hex("00 07 00 01 aa 00 00 00 00 00 21 20");
    psk.extend_from_slice(&[0; 32]);
    let mut two_ids_one_binder = hex("00 0e 00 01 aa 00 00 00 00 00 01 bb 00 00 00 00 00 21 20");
    two_ids_one_binder.extend_from_slice(&[0; 32]);
    let mut short_binder = hex("00 07 00 01 aa 00 00 00 00 00 20 1f");
    short_binder.extend_from_slice(&[0; 31]);
    let mut short_ids = hex("00 06 00 00 aa 00 00 00 00 21 20");
    short_ids.extend_from_slice(&[0; 32]);
    let mut psk_trailing = psk.clone();
    psk_trailing.push(0);
    let mut long_sid = body("0303 {r} 21");
    long_sid.extend_from_slice(&[0; 33]);
    long_sid.extend_from_slice(&[0, 2, 0x13, 1, 1, 0]);
    let mut trailing = ch(&[(0xfafa, &[])]);
    trailing.push(0);
    let mut long_versions = vec![255];
    long_versions.extend_from_slice(&[3; 255]);
    vec![
        ("no extensions", body("0301 {r} 00 0002 1301 0100")),
        ("empty cipher_suites", body("0303 {r} 00 0000 0100")),
        ("odd cipher_suites", body("0303 {r} 00 0003 130113 0100")),
        ("empty compression", body("0303 {r} 00 0002 1301 00")),
        ("33-byte session id", long_sid),
        ("short random", hex("0303 0000")),
        (
            "one byte after compression",
            body("0303 {r} 00 0002 1301 0100 00"),
        ),
        ("bytes after extensions", trailing),
        ("unknown extension", ch(&[(0xfafa, &[1, 2, 3])])),
        ("psk last", ch(&[(0x2b, &[2, 3, 4]), (41, &psk)])),
        ("psk not last", ch(&[(41, &psk), (0x2b, &[2, 3, 4])])),
        ("duplicate unknown", ch(&[(0x1234, &[]), (0x1234, &[])])),
        ("oid_filters", ch(&[(48, &[0, 0])])),
        ("truncated extension", {
            let mut b = client_hello_prefix();
            b.extend_from_slice(&[0, 5, 0, 0x2b, 0, 2, 2]);
            b
        }),
        ("empty versions", ch(&[(0x2b, &[0])])),
        ("odd versions", ch(&[(0x2b, &[3, 3, 4, 3])])),
        ("255-byte versions", ch(&[(0x2b, &long_versions)])),
        ("versions trailing", ch(&[(0x2b, &[2, 3, 4, 0])])),
        ("empty groups", ch(&[(10, &[0, 0])])),
        ("odd groups", ch(&[(10, &[0, 3, 0, 0x1d, 0])])),
        ("groups trailing", ch(&[(10, &[0, 2, 0, 0x1d, 0])])),
        ("odd schemes", ch(&[(13, &[0, 1, 4])])),
        ("empty schemes_cert", ch(&[(50, &[0, 0])])),
        ("empty psk modes", ch(&[(45, &[0])])),
        ("psk modes trailing", ch(&[(45, &[1, 1, 9])])),
        ("empty cookie", ch(&[(44, &[0, 0])])),
        ("cookie trailing", ch(&[(44, &[0, 1, 7, 7])])),
        ("early_data with data", ch(&[(42, &[0])])),
        ("empty alpn list", ch(&[(16, &[0, 0])])),
        ("empty alpn name", ch(&[(16, &[0, 1, 0])])),
        ("alpn trailing", ch(&[(16, &[0, 3, 2, b'h', b'2', 0])])),
        ("empty key_share list", ch(&[(51, &[0, 0])])),
        ("empty key", ch(&[(51, &[0, 4, 0, 0x1d, 0, 0])])),
        ("truncated share", ch(&[(51, &[0, 5, 0, 0x1d, 0, 2, 9])])),
        (
            "key_share trailing",
            ch(&[(51, &[0, 5, 0, 0x1d, 0, 1, 9, 0])]),
        ),
        (
            "two shares, one group",
            ch(&[(51, &[0, 10, 0, 0x1d, 0, 1, 9, 0, 0x1d, 0, 1, 8])]),
        ),
        ("non-ASCII SNI", ch(&[(0, &[0, 5, 0, 0, 2, 0xc3, 0xa9])])),
        (
            "two host_names",
            ch(&[(0, &[0, 8, 0, 0, 1, b'a', 0, 0, 1, b'b'])]),
        ),
        ("empty SNI list", ch(&[(0, &[0, 0])])),
        ("status_request truncated", ch(&[(5, &[1, 0, 0])])),
        ("binders mismatch", ch(&[(41, &two_ids_one_binder)])),
        ("short identities", ch(&[(41, &short_ids)])),
        ("short binder", ch(&[(41, &short_binder)])),
        ("psk trailing", ch(&[(41, &psk_trailing)])),
    ]
}

/// What `ClientHello::decode` returned for each case before it went through
/// `ClientHelloRef::parse` (run on commit 1365bf7), as `Debug` of `Result<(), DecodeError>`.
const BEFORE: &[(&str, &str)] = &[
        ("no extensions", "Ok(())"),
        ("empty cipher_suites", "Err(Invalid { what: \"cipher_suites\", reason: \"empty list\" })"),
        ("odd cipher_suites", "Err(Invalid { what: \"cipher_suites\", reason: \"length is not a multiple of the item size\" })"),
        ("empty compression", "Err(Invalid { what: \"legacy_compression_methods\", reason: \"vector shorter than its minimum length\" })"),
        ("33-byte session id", "Err(Invalid { what: \"legacy_session_id\", reason: \"longer than 32 bytes\" })"),
        ("short random", "Err(Truncated { what: \"random\" })"),
        ("one byte after compression", "Err(Truncated { what: \"extensions\" })"),
        ("bytes after extensions", "Err(TrailingData { what: \"ClientHello\" })"),
        ("unknown extension", "Ok(())"),
        ("psk last", "Ok(())"),
        ("psk not last", "Err(IllegalParameter { what: \"pre_shared_key\", reason: \"not the last extension of the ClientHello\" })"),
        ("duplicate unknown", "Err(DuplicateExtension(ExtensionType(0x1234)))"),
        ("oid_filters", "Err(IllegalExtension { ext: oid_filters, msg: client_hello })"),
        ("truncated extension", "Err(Truncated { what: \"extension\" })"),
        ("empty versions", "Err(Invalid { what: \"supported_versions\", reason: \"empty list\" })"),
        ("odd versions", "Err(Invalid { what: \"supported_versions\", reason: \"length is not a multiple of the item size\" })"),
        ("255-byte versions", "Err(Invalid { what: \"supported_versions\", reason: \"vector longer than its maximum length\" })"),
        ("versions trailing", "Err(TrailingData { what: \"supported_versions\" })"),
        ("empty groups", "Err(Invalid { what: \"supported_groups\", reason: \"empty list\" })"),
        ("odd groups", "Err(Invalid { what: \"supported_groups\", reason: \"length is not a multiple of the item size\" })"),
        ("groups trailing", "Err(TrailingData { what: \"supported_groups\" })"),
        ("odd schemes", "Err(Invalid { what: \"signature_algorithms\", reason: \"length is not a multiple of the item size\" })"),
        ("empty schemes_cert", "Err(Invalid { what: \"signature_algorithms_cert\", reason: \"empty list\" })"),
        ("empty psk modes", "Err(Invalid { what: \"psk_key_exchange_modes\", reason: \"empty list\" })"),
        ("psk modes trailing", "Err(TrailingData { what: \"psk_key_exchange_modes\" })"),
        ("empty cookie", "Err(Invalid { what: \"cookie\", reason: \"vector shorter than its minimum length\" })"),
        ("cookie trailing", "Err(TrailingData { what: \"cookie\" })"),
        ("early_data with data", "Err(TrailingData { what: \"early_data\" })"),
        ("empty alpn list", "Err(Invalid { what: \"application_layer_protocol_negotiation\", reason: \"vector shorter than its minimum length\" })"),
        ("empty alpn name", "Err(Invalid { what: \"application_layer_protocol_negotiation\", reason: \"vector shorter than its minimum length\" })"),
        ("alpn trailing", "Err(TrailingData { what: \"application_layer_protocol_negotiation\" })"),
        ("empty key_share list", "Ok(())"),
        ("empty key", "Err(Invalid { what: \"key_share\", reason: \"vector shorter than its minimum length\" })"),
        ("truncated share", "Err(Truncated { what: \"key_share\" })"),
        ("key_share trailing", "Err(TrailingData { what: \"key_share\" })"),
        ("two shares, one group", "Err(IllegalParameter { what: \"key_share\", reason: \"two shares for the same group\" })"),
        ("non-ASCII SNI", "Err(Invalid { what: \"server_name\", reason: \"host_name is not printable ASCII\" })"),
        ("two host_names", "Err(IllegalParameter { what: \"server_name\", reason: \"more than one host_name\" })"),
        ("empty SNI list", "Err(Invalid { what: \"server_name\", reason: \"vector shorter than its minimum length\" })"),
        ("status_request truncated", "Err(Truncated { what: \"status_request.request_extensions\" })"),
        ("binders mismatch", "Err(IllegalParameter { what: \"pre_shared_key\", reason: \"number of binders differs from number of identities\" })"),
        ("short identities", "Err(Invalid { what: \"psk identities\", reason: \"vector shorter than its minimum length\" })"),
        ("short binder", "Err(Invalid { what: \"psk binders\", reason: \"vector shorter than its minimum length\" })"),
        ("psk trailing", "Err(TrailingData { what: \"pre_shared_key\" })"),
];

#[test]
fn malformed_hellos_fail_as_before() {
    let cases = client_hello_cases();
    assert_eq!(cases.len(), BEFORE.len());
    for ((name, bytes), (before_name, before)) in cases.iter().zip(BEFORE) {
        assert_eq!(name, before_name);
        let parsed = ClientHelloRef::parse(bytes).map(|_| ());
        assert_eq!(format!("{parsed:?}"), *before, "{name}");
        let decoded = ClientHello::decode(bytes).map(|_| ());
        assert_eq!(decoded, parsed, "{name}");
    }
}

fn list<T: From<u16>>(l: Option<U16List<'_, T>>) -> Option<Vec<T>> {
    l.map(|l| l.iter().collect())
}

/// Reads every field of the view through its own accessors (not `into_owned`) and
/// compares it with the owned form.
fn assert_view_matches(view: &ClientHelloRef<'_>, owned: &ClientHello) {
    assert_eq!(view.legacy_version, owned.legacy_version);
    assert_eq!(view.random, owned.random);
    assert_eq!(view.legacy_session_id, owned.legacy_session_id.as_slice());
    assert_eq!(view.cipher_suites.len(), owned.cipher_suites.len());
    assert!(view
        .cipher_suites
        .iter()
        .eq(owned.cipher_suites.iter().copied()));
    for s in &owned.cipher_suites {
        assert!(view.cipher_suites.contains(*s));
    }
    assert_eq!(
        format!("{:?}", view.cipher_suites),
        format!("{:?}", owned.cipher_suites)
    );
    assert_eq!(
        view.compression_methods,
        owned.compression_methods.as_slice()
    );
    let (v, o) = (&view.extensions, &owned.extensions);
    assert_eq!(v.server_name, o.server_name.as_deref());
    assert_eq!(list(v.supported_versions), o.supported_versions);
    assert_eq!(list(v.supported_groups), o.supported_groups);
    assert_eq!(list(v.signature_algorithms), o.signature_algorithms);
    assert_eq!(
        list(v.signature_algorithms_cert),
        o.signature_algorithms_cert
    );
    assert_eq!(
        v.psk_modes.map(|m| m.iter().collect::<Vec<_>>()),
        o.psk_modes
    );
    match (v.key_shares, &o.key_shares) {
        (Some(shares), Some(owned_shares)) => {
            assert_eq!(shares.len(), owned_shares.len());
            assert_eq!(shares.is_empty(), owned_shares.is_empty());
            for (s, t) in shares.iter().zip(owned_shares) {
                assert_eq!(s.group, t.group);
                assert_eq!(s.key_exchange, t.key_exchange.as_slice());
            }
        }
        (None, None) => {}
        other => panic!("key_shares differ: {other:?}"),
    }
    assert_eq!(
        v.alpn
            .map(|a| a.iter().map(<[u8]>::to_vec).collect::<Vec<_>>()),
        o.alpn
    );
    for name in o.alpn.iter().flatten() {
        assert!(v.alpn.is_some_and(|a| a.contains(name)));
    }
    assert_eq!(v.cookie, o.cookie.as_deref());
    assert_eq!(v.early_data, o.early_data);
    assert_eq!(v.status_request, o.status_request);
    match (v.pre_shared_key, &o.pre_shared_key) {
        (Some(psks), Some(owned_psks)) => {
            let ids: Vec<_> = psks.identities().collect();
            assert_eq!(ids.len(), owned_psks.identities.len());
            for (id, owned_id) in ids.iter().zip(&owned_psks.identities) {
                assert_eq!(id.identity, owned_id.identity.as_slice());
                assert_eq!(id.obfuscated_ticket_age, owned_id.obfuscated_ticket_age);
            }
            for (i, b) in owned_psks.binders.iter().enumerate() {
                assert_eq!(psks.binder(i), Some(b.as_slice()));
            }
            assert_eq!(psks.binder(owned_psks.binders.len()), None);
            assert_eq!(psks.binders_encoded_len(), owned_psks.binders_encoded_len());
        }
        (None, None) => {}
        other => panic!("pre_shared_key differs: {other:?}"),
    }
    assert_eq!(v.present.len(), o.present.len());
    assert!(v.present.iter().eq(o.present.iter().copied()));
    for t in &o.present {
        assert!(v.present.contains(*t));
    }
}

#[test]
fn views_read_back_the_sample_hello() {
    // Every extension we interpret, with a PSK and an HRR cookie.
    let ch = client_hello();
    let mut body = Vec::new();
    ch.encode(&mut body);
    let view = ClientHelloRef::parse(&body).unwrap();
    assert_view_matches(&view, &ch);
    assert_eq!(view.clone().into_owned(), ch);
}

#[test]
fn views_read_back_rfc8448_hellos() {
    for msg in [hex(RFC8448_CH), resumed_client_hello()] {
        let body = &msg[4..];
        let owned = ClientHello::decode(body).unwrap();
        let view = ClientHelloRef::parse(body).unwrap();
        assert_view_matches(&view, &owned);
    }
}

#[test]
fn views_of_the_edge_cases_that_decode() {
    for (name, bytes) in client_hello_cases() {
        if let Ok(owned) = ClientHello::decode(&bytes) {
            let view = ClientHelloRef::parse(&bytes).unwrap();
            assert_view_matches(&view, &owned);
            assert_eq!(name == "no extensions", view.extensions.present.is_empty());
        }
    }
}
