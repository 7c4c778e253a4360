//! Cross-message tests: RFC 8448 vectors, round trips, truncation, length
//! tampering and a deterministic fuzz loop.

use super::*;
use crate::alert::AlertDescription;
use crate::codec::tests::length_fields_of;
use crate::codec::DecodeError;

pub(super) fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(|b| b.is_ascii_hexdigit()).collect();
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

// RFC 8448 §3 (simple 1-RTT handshake), complete handshake messages.
pub(super) const RFC8448_CH: &str =
    "01 00 00 c0 03 03 cb 34 ec b1 e7 81 63 ba 1c 38 c6 da cb 19 6a 6d ff a2
    1a 8d 99 12 ec 18 a2 ef 62 83 02 4d ec e7 00 00 06 13 01 13 03 13 02 01 00 00 91 00 00 00 0b
    00 09 00 00 06 73 65 72 76 65 72 ff 01 00 01 00 00 0a 00 14 00 12 00 1d 00 17 00 18 00 19 01
    00 01 01 01 02 01 03 01 04 00 23 00 00 00 33 00 26 00 24 00 1d 00 20 99 38 1d e5 60 e4 bd 43
    d2 3d 8e 43 5a 7d ba fe b3 c0 6e 51 c1 3c ae 4d 54 13 69 1e 52 9a af 2c 00 2b 00 03 02 03 04
    00 0d 00 20 00 1e 04 03 05 03 06 03 02 03 08 04 08 05 08 06 04 01 05 01 06 01 02 01 04 02 05
    02 06 02 02 02 00 2d 00 02 01 01 00 1c 00 02 40 01";
const RFC8448_SH: &str = "02 00 00 56 03 03 a6 af 06 a4 12 18 60 dc 5e 6e 60 24 9c d3 4c 95 93 0c
    8a c5 cb 14 34 da c1 55 77 2e d3 e2 69 28 00 13 01 00 00 2e 00 33 00 24 00 1d 00 20 c9 82 88
    76 11 20 95 fe 66 76 2b db f7 c6 72 e1 56 d6 cc 25 3b 83 3d f1 dd 69 b1 b0 4e 75 1f 0f 00 2b
    00 02 03 04";
const RFC8448_EE: &str = "08 00 00 24 00 22 00 0a 00 14 00 12 00 1d 00 17 00 18 00 19 01 00 01 01
    01 02 01 03 01 04 00 1c 00 02 40 01 00 00 00 00";
const RFC8448_CERT: &str = "0b 00 01 b9 00 00 01 b5 00 01 b0 30 82 01 ac 30 82 01 15 a0 03 02 01
    02 02 01 02 30 0d 06 09 2a 86 48 86 f7 0d 01 01 0b 05 00 30 0e 31 0c 30 0a 06 03 55 04 03 13 03
    72 73 61 30 1e 17 0d 31 36 30 37 33 30 30 31 32 33 35 39 5a 17 0d 32 36 30 37 33 30 30 31 32 33
    35 39 5a 30 0e 31 0c 30 0a 06 03 55 04 03 13 03 72 73 61 30 81 9f 30 0d 06 09 2a 86 48 86 f7 0d
    01 01 01 05 00 03 81 8d 00 30 81 89 02 81 81 00 b4 bb 49 8f 82 79 30 3d 98 08 36 39 9b 36 c6 98
    8c 0c 68 de 55 e1 bd b8 26 d3 90 1a 24 61 ea fd 2d e4 9a 91 d0 15 ab bc 9a 95 13 7a ce 6c 1a f1
    9e aa 6a f9 8c 7c ed 43 12 09 98 e1 87 a8 0e e0 cc b0 52 4b 1b 01 8c 3e 0b 63 26 4d 44 9a 6d 38
    e2 2a 5f da 43 08 46 74 80 30 53 0e f0 46 1c 8c a9 d9 ef bf ae 8e a6 d1 d0 3e 2b d1 93 ef f0 ab
    9a 80 02 c4 74 28 a6 d3 5a 8d 88 d7 9f 7f 1e 3f 02 03 01 00 01 a3 1a 30 18 30 09 06 03 55 1d 13
    04 02 30 00 30 0b 06 03 55 1d 0f 04 04 03 02 05 a0 30 0d 06 09 2a 86 48 86 f7 0d 01 01 0b 05 00
    03 81 81 00 85 aa d2 a0 e5 b9 27 6b 90 8c 65 f7 3a 72 67 17 06 18 a5 4c 5f 8a 7b 33 7d 2d f7 a5
    94 36 54 17 f2 ea e8 f8 a5 8c 8f 81 72 f9 31 9c f3 6b 7f d6 c5 5b 80 f2 1a 03 01 51 56 72 60 96
    fd 33 5e 5e 67 f2 db f1 02 70 2e 60 8c ca e6 be c1 fc 63 a4 2a 99 be 5c 3e b7 10 7c 3c 54 e9 b9
    eb 2b d5 20 3b 1c 3b 84 e0 a8 b2 f7 59 40 9b a3 ea c9 d9 1d 40 2d cc 0c c8 f8 96 12 29 ac 91 87
    b4 2b 4d e1 00 00";
const RFC8448_CV: &str = "0f 00 00 84 08 04 00 80 5a 74 7c 5d 88 fa 9b d2 e5 5a b0 85 a6 10 15 b7
    21 1f 82 4c d4 84 14 5a b3 ff 52 f1 fd a8 47 7b 0b 7a bc 90 db 78 e2 d3 3a 5c 14 1a 07 86 53 fa
    6b ef 78 0c 5e a2 48 ee aa a7 85 c4 f3 94 ca b6 d3 0b be 8d 48 59 ee 51 1f 60 29 57 b1 54 11 ac
    02 76 71 45 9e 46 44 5c 9e a5 8c 18 1e 81 8e 95 b8 c3 fb 0b f3 27 84 09 d3 be 15 2a 3d a5 04 3e
    06 3d da 65 cd f5 ae a2 0d 53 df ac d4 2f 74 f3";
const RFC8448_SERVER_FINISHED: &str = "14 00 00 20 9b 9b 14 1d 90 63 37 fb d2 cb dc e7 1d f4 de da
    4a b4 2c 30 95 72 cb 7f ff ee 54 54 b7 8f 07 18";
const RFC8448_NST: &str = "04 00 00 c9 00 00 00 1e fa d6 aa c5 02 00 00 00 b2 2c 03 5d 82 93 59 ee
    5f f7 af 4e c9 00 00 00 00 26 2a 64 94 dc 48 6d 2c 8a 34 cb 33 fa 90 bf 1b 00 70 ad 3c 49 88 83
    c9 36 7c 09 a2 be 78 5a bc 55 cd 22 60 97 a3 a9 82 11 72 83 f8 2a 03 a1 43 ef d3 ff 5d d3 6d 64
    e8 61 be 7f d6 1d 28 27 db 27 9c ce 14 50 77 d4 54 a3 66 4d 4e 6d a4 d2 9e e0 37 25 a6 a4 da fc
    d0 fc 67 d2 ae a7 05 29 51 3e 3d a2 67 7f a5 90 6c 5b 3f 7d 8f 92 f2 28 bd a4 0d da 72 14 70 f9
    fb f2 97 b5 ae a6 17 64 6f ac 5c 03 27 2e 97 07 27 c6 21 a7 91 41 ef 5f 7d e6 50 5e 5b fb c3 88
    e9 33 43 69 40 93 93 4a e4 d3 57 00 08 00 2a 00 04 00 00 04 00";
// RFC 8448 §5: HelloRetryRequest.
const RFC8448_HRR: &str = "02 00 00 ac 03 03 cf 21 ad 74 e5 9a 61 11 be 1d 8c 02 1e 65 b8 91 c2 a2
    11 16 7a bb 8c 5e 07 9e 09 e2 c8 a8 33 9c 00 13 01 00 00 84 00 33 00 02 00 17 00 2c 00 74 00 72
    71 dc d0 4b b8 8b c3 18 91 19 39 8a 00 00 00 00 ee fa fc 76 c1 46 b8 23 b0 96 f8 aa ca d3 65 dd
    00 30 95 3f 4e df 62 56 36 e5 f2 1b b2 e2 3f cc 65 4b 1b 5b 40 31 8d 10 d1 37 ab cb b8 75 74 e3
    6e 8a 1f 02 5f 7d fa 5d 6e 50 78 1b 5e da 4a a1 5b 0c 8b e7 78 25 7d 16 aa 30 30 e9 e7 84 1d d9
    e4 c0 34 22 67 e8 ca 0c af 57 1f b2 b7 cf f0 f9 34 b0 00 2b 00 02 03 04";

/// RFC 8448 §4: the resumed ClientHello, with pre_shared_key and a padding
/// extension of 87 zero bytes (spelled out by `resumed_client_hello`).
pub(super) fn resumed_client_hello() -> Vec<u8> {
    let head = "01 00 01 fc 03 03 1b c3 ce b6 bb e3 9c ff 93 83 55 b5 a5 0a db 6d b2 1b 7a 6a
        f6 49 d7 b4 bc 41 9d 78 76 48 7d 95 00 00 06 13 01 13 03 13 02 01 00 01 cd 00 00 00 0b 00 09
        00 00 06 73 65 72 76 65 72 ff 01 00 01 00 00 0a 00 14 00 12 00 1d 00 17 00 18 00 19 01 00 01
        01 01 02 01 03 01 04 00 33 00 26 00 24 00 1d 00 20 e4 ff b6 8a c0 5f 8d 96 c9 9d a2 66 98 34
        6c 6b e1 64 82 ba dd da fe 05 1a 66 b4 f1 8d 66 8f 0b 00 2a 00 00 00 2b 00 03 02 03 04 00 0d
        00 20 00 1e 04 03 05 03 06 03 02 03 08 04 08 05 08 06 04 01 05 01 06 01 02 01 04 02 05 02 06
        02 02 02 00 2d 00 02 01 01 00 1c 00 02 40 01 00 15 00 57";
    let tail = "00 29 00 dd 00 b8 00 b2 2c 03 5d 82 93 59 ee 5f f7 af 4e c9 00 00 00 00 26 2a 64
        94 dc 48 6d 2c 8a 34 cb 33 fa 90 bf 1b 00 70 ad 3c 49 88 83 c9 36 7c 09 a2 be 78 5a bc 55 cd
        22 60 97 a3 a9 82 11 72 83 f8 2a 03 a1 43 ef d3 ff 5d d3 6d 64 e8 61 be 7f d6 1d 28 27 db 27
        9c ce 14 50 77 d4 54 a3 66 4d 4e 6d a4 d2 9e e0 37 25 a6 a4 da fc d0 fc 67 d2 ae a7 05 29 51
        3e 3d a2 67 7f a5 90 6c 5b 3f 7d 8f 92 f2 28 bd a4 0d da 72 14 70 f9 fb f2 97 b5 ae a6 17 64
        6f ac 5c 03 27 2e 97 07 27 c6 21 a7 91 41 ef 5f 7d e6 50 5e 5b fb c3 88 e9 33 43 69 40 93 93
        4a e4 d3 57 fa d6 aa cb 00 21 20 3a dd 4f b2 d8 fd f8 22 a0 ca 3c f7 67 8e f5 e8 8d ae 99 01
        41 c5 92 4d 57 bb 6f a3 1b 9e 5f 9d";
    let mut out = hex(head);
    out.extend_from_slice(&[0; 87]);
    out.extend(hex(tail));
    assert_eq!(out.len(), 512);
    out
}

fn decode_whole(msg: &[u8]) -> HandshakeMessage {
    let (typ, len) = handshake_header(msg).unwrap();
    assert_eq!(len + 4, msg.len());
    let m = HandshakeMessage::decode_message(msg).unwrap();
    assert_eq!(m.typ(), typ);
    m
}

#[test]
fn rfc8448_client_hello() {
    let HandshakeMessage::ClientHello(ch) = decode_whole(&hex(RFC8448_CH)) else {
        panic!("not a ClientHello")
    };
    assert_eq!(ch.legacy_version, ProtocolVersion::TLS1_2);
    assert_eq!(ch.random[..4], [0xcb, 0x34, 0xec, 0xb1]);
    assert!(ch.legacy_session_id.is_empty());
    assert_eq!(
        ch.cipher_suites,
        [
            CipherSuiteId::TLS_AES_128_GCM_SHA256,
            CipherSuiteId::TLS_CHACHA20_POLY1305_SHA256,
            CipherSuiteId::TLS_AES_256_GCM_SHA384
        ]
    );
    assert_eq!(ch.compression_methods, [0]);
    let e = &ch.extensions;
    assert_eq!(e.server_name.as_deref(), Some("server"));
    assert_eq!(
        e.supported_versions.as_deref(),
        Some(&[ProtocolVersion::TLS1_3][..])
    );
    assert_eq!(
        e.supported_groups.as_deref(),
        Some(
            &[
                NamedGroup::X25519,
                NamedGroup::SECP256R1,
                NamedGroup::SECP384R1,
                NamedGroup::SECP521R1,
                NamedGroup::FFDHE2048,
                NamedGroup::FFDHE3072,
                NamedGroup::FFDHE4096,
                NamedGroup::FFDHE6144,
                NamedGroup::FFDHE8192
            ][..]
        )
    );
    let shares = e.key_shares.as_ref().unwrap();
    assert_eq!(shares.len(), 1);
    assert_eq!(shares[0].group, NamedGroup::X25519);
    assert_eq!(shares[0].key_exchange[..4], [0x99, 0x38, 0x1d, 0xe5]);
    let sigs = e.signature_algorithms.as_ref().unwrap();
    assert_eq!(sigs.len(), 15);
    assert_eq!(sigs[0], SignatureScheme::ECDSA_SECP256R1_SHA256);
    assert!(sigs.contains(&SignatureScheme::RSA_PSS_RSAE_SHA256));
    assert_eq!(
        e.psk_modes.as_deref(),
        Some(&[PskKeyExchangeMode::PSK_DHE_KE][..])
    );
    assert!(!e.early_data && e.pre_shared_key.is_none() && e.alpn.is_none());
    assert_eq!(
        e.present,
        [
            ExtensionType::SERVER_NAME,
            ExtensionType::RENEGOTIATION_INFO,
            ExtensionType::SUPPORTED_GROUPS,
            ExtensionType::SESSION_TICKET,
            ExtensionType::KEY_SHARE,
            ExtensionType::SUPPORTED_VERSIONS,
            ExtensionType::SIGNATURE_ALGORITHMS,
            ExtensionType::PSK_KEY_EXCHANGE_MODES,
            ExtensionType::RECORD_SIZE_LIMIT,
        ]
    );
}

#[test]
fn rfc8448_server_flight_round_trips() {
    // Messages without unknown extensions re-encode byte for byte.
    for vector in [
        RFC8448_SH,
        RFC8448_CERT,
        RFC8448_CV,
        RFC8448_SERVER_FINISHED,
        RFC8448_NST,
        RFC8448_HRR,
    ] {
        let bytes = hex(vector);
        assert_eq!(decode_whole(&bytes).to_bytes(), bytes);
    }

    let HandshakeMessage::ServerHello(sh) = decode_whole(&hex(RFC8448_SH)) else {
        panic!()
    };
    assert!(!sh.is_hello_retry_request());
    assert_eq!(sh.cipher_suite, CipherSuiteId::TLS_AES_128_GCM_SHA256);
    assert_eq!(
        sh.extensions.supported_version,
        Some(ProtocolVersion::TLS1_3)
    );
    let share = sh.extensions.key_share.as_ref().unwrap();
    assert_eq!(share.group, NamedGroup::X25519);
    assert_eq!(share.key_exchange.len(), 32);

    let HandshakeMessage::EncryptedExtensions(ee) = decode_whole(&hex(RFC8448_EE)) else {
        panic!()
    };
    assert!(ee.server_name_ack);
    assert_eq!(ee.supported_groups.as_ref().unwrap().len(), 9);
    assert_eq!(
        ee.present,
        [
            ExtensionType::SUPPORTED_GROUPS,
            ExtensionType::RECORD_SIZE_LIMIT,
            ExtensionType::SERVER_NAME
        ]
    );

    let HandshakeMessage::Certificate(cert) = decode_whole(&hex(RFC8448_CERT)) else {
        panic!()
    };
    assert!(cert.context.is_empty());
    assert_eq!(cert.entries.len(), 1);
    assert_eq!(cert.entries[0].cert_der.len(), 0x1b0);
    assert!(cert.entries[0].extension_types().is_empty());

    let HandshakeMessage::CertificateVerify(cv) = decode_whole(&hex(RFC8448_CV)) else {
        panic!()
    };
    assert_eq!(cv.scheme, SignatureScheme::RSA_PSS_RSAE_SHA256);
    assert_eq!(cv.signature.len(), 128);

    let HandshakeMessage::NewSessionTicket(nst) = decode_whole(&hex(RFC8448_NST)) else {
        panic!()
    };
    assert_eq!(nst.lifetime, 30);
    assert_eq!(nst.age_add, 0xfad6_aac5);
    assert_eq!(nst.nonce, [0, 0]);
    assert_eq!(nst.ticket.len(), 0xb2);
    assert_eq!(nst.max_early_data_size, Some(0x400));

    let HandshakeMessage::ServerHello(hrr) = decode_whole(&hex(RFC8448_HRR)) else {
        panic!()
    };
    assert!(hrr.is_hello_retry_request());
    assert_eq!(hrr.extensions.selected_group, Some(NamedGroup::SECP256R1));
    assert_eq!(hrr.extensions.key_share, None);
    assert_eq!(hrr.extensions.cookie.as_ref().unwrap().len(), 0x72);
}

#[test]
fn rfc8448_resumed_client_hello_binders() {
    let bytes = resumed_client_hello();
    let HandshakeMessage::ClientHello(ch) = decode_whole(&bytes) else {
        panic!()
    };
    let e = &ch.extensions;
    assert!(e.early_data);
    assert_eq!(e.present.last(), Some(&ExtensionType::PRE_SHARED_KEY));
    assert!(e.present.contains(&ExtensionType::PADDING));
    let psks = e.pre_shared_key.as_ref().unwrap();
    assert_eq!(psks.identities.len(), 1);
    assert_eq!(psks.identities[0].identity.len(), 0xb2);
    assert_eq!(psks.identities[0].obfuscated_ticket_age, 0xfad6_aacb);
    assert_eq!(
        psks.binders,
        [hex("3a dd 4f b2 d8 fd f8 22 a0 ca 3c f7 67 8e f5 e8
        8d ae 99 01 41 c5 92 4d 57 bb 6f a3 1b 9e 5f 9d")]
    );
    // RFC 8448 §4 gives the hash of the truncated ClientHello.
    let n = psks.binders_encoded_len();
    assert_eq!(n, 35);
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &bytes[..bytes.len() - n]);
    assert_eq!(
        digest.as_ref(),
        hex(
            "63 22 4b 2e 45 73 f2 d3 45 4c a8 4b 9d 00 9a 04 f6 be 9e 05 71 1a 83 96 47 3a ef a0
            1e 92 4a 14"
        )
    );
    let mut tail = Vec::new();
    psks.encode_binders(&mut tail);
    assert!(bytes.ends_with(&tail));
}

#[test]
fn hrr_random_is_sha256_of_label() {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, b"HelloRetryRequest");
    assert_eq!(d.as_ref(), HRR_RANDOM);
    assert_eq!(DOWNGRADE_TLS12, hex("44 4F 57 4E 47 52 44 01")[..]);
    assert_eq!(DOWNGRADE_TLS11, hex("44 4F 57 4E 47 52 44 00")[..]);
}

pub(super) fn client_hello() -> ClientHello {
    ClientHello {
        legacy_version: ProtocolVersion::TLS1_2,
        random: [7; 32],
        legacy_session_id: (0..32).collect(),
        cipher_suites: vec![
            CipherSuiteId::TLS_AES_128_GCM_SHA256,
            CipherSuiteId::TLS_AES_256_GCM_SHA384,
            CipherSuiteId(0x0a0a),
        ],
        compression_methods: vec![0],
        extensions: ClientExtensions {
            server_name: Some("example.com".into()),
            supported_versions: Some(vec![ProtocolVersion::TLS1_3, ProtocolVersion::TLS1_2]),
            supported_groups: Some(vec![
                NamedGroup::X25519MLKEM768,
                NamedGroup::X25519,
                NamedGroup::SECP256R1,
            ]),
            signature_algorithms: Some(vec![
                SignatureScheme::ED25519,
                SignatureScheme::ECDSA_SECP256R1_SHA256,
            ]),
            signature_algorithms_cert: Some(vec![SignatureScheme::RSA_PKCS1_SHA256]),
            key_shares: Some(vec![
                KeyShareEntry {
                    group: NamedGroup::X25519,
                    key_exchange: vec![1; 32],
                },
                KeyShareEntry {
                    group: NamedGroup::SECP256R1,
                    key_exchange: vec![4; 65],
                },
            ]),
            alpn: Some(vec![b"h2".to_vec(), b"http/1.1".to_vec()]),
            cookie: Some(vec![9; 40]),
            psk_modes: Some(vec![
                PskKeyExchangeMode::PSK_DHE_KE,
                PskKeyExchangeMode::PSK_KE,
            ]),
            early_data: true,
            status_request: true,
            pre_shared_key: Some(OfferedPsks {
                identities: vec![
                    PskIdentity {
                        identity: vec![5; 20],
                        obfuscated_ticket_age: 0xdead_beef,
                    },
                    PskIdentity {
                        identity: vec![6],
                        obfuscated_ticket_age: 1,
                    },
                ],
                binders: vec![vec![0xaa; 32], vec![0xbb; 48]],
            }),
            present: vec![
                ExtensionType::SERVER_NAME,
                ExtensionType::SUPPORTED_VERSIONS,
                ExtensionType::SUPPORTED_GROUPS,
                ExtensionType::SIGNATURE_ALGORITHMS,
                ExtensionType::SIGNATURE_ALGORITHMS_CERT,
                ExtensionType::KEY_SHARE,
                ExtensionType::ALPN,
                ExtensionType::COOKIE,
                ExtensionType::PSK_KEY_EXCHANGE_MODES,
                ExtensionType::EARLY_DATA,
                ExtensionType::STATUS_REQUEST,
                ExtensionType::PRE_SHARED_KEY,
            ],
        },
    }
}

fn server_hello() -> ServerHello {
    ServerHello {
        legacy_version: ProtocolVersion::TLS1_2,
        random: [3; 32],
        legacy_session_id_echo: vec![8; 32],
        cipher_suite: CipherSuiteId::TLS_CHACHA20_POLY1305_SHA256,
        compression_method: 0,
        extensions: ServerHelloExtensions {
            supported_version: Some(ProtocolVersion::TLS1_3),
            key_share: Some(KeyShareEntry {
                group: NamedGroup::X25519MLKEM768,
                key_exchange: vec![2; 1120],
            }),
            selected_group: None,
            cookie: None,
            pre_shared_key: Some(1),
            present: vec![
                ExtensionType::KEY_SHARE,
                ExtensionType::PRE_SHARED_KEY,
                ExtensionType::SUPPORTED_VERSIONS,
            ],
        },
    }
}

fn hello_retry_request() -> ServerHello {
    ServerHello {
        legacy_version: ProtocolVersion::TLS1_2,
        random: HRR_RANDOM,
        legacy_session_id_echo: vec![],
        cipher_suite: CipherSuiteId::TLS_AES_128_GCM_SHA256,
        compression_method: 0,
        extensions: ServerHelloExtensions {
            supported_version: Some(ProtocolVersion::TLS1_3),
            key_share: None,
            selected_group: Some(NamedGroup::SECP384R1),
            cookie: Some(vec![0x42; 17]),
            pre_shared_key: None,
            present: vec![
                ExtensionType::KEY_SHARE,
                ExtensionType::COOKIE,
                ExtensionType::SUPPORTED_VERSIONS,
            ],
        },
    }
}

/// Every message type with every field populated.
fn samples() -> Vec<HandshakeMessage> {
    vec![
        HandshakeMessage::ClientHello(client_hello()),
        HandshakeMessage::ServerHello(server_hello()),
        HandshakeMessage::ServerHello(hello_retry_request()),
        HandshakeMessage::EncryptedExtensions(EncryptedExtensions {
            server_name_ack: true,
            supported_groups: Some(vec![NamedGroup::X25519, NamedGroup::SECP384R1]),
            alpn: Some(b"h2".to_vec()),
            early_data: true,
            present: vec![
                ExtensionType::SERVER_NAME,
                ExtensionType::SUPPORTED_GROUPS,
                ExtensionType::ALPN,
                ExtensionType::EARLY_DATA,
            ],
        }),
        HandshakeMessage::CertificateRequest(CertificateRequest {
            context: vec![1, 2, 3],
            signature_algorithms: vec![
                SignatureScheme::ED25519,
                SignatureScheme::RSA_PSS_RSAE_SHA256,
            ],
            signature_algorithms_cert: Some(vec![SignatureScheme::ECDSA_SECP384R1_SHA384]),
            present: vec![
                ExtensionType::SIGNATURE_ALGORITHMS,
                ExtensionType::SIGNATURE_ALGORITHMS_CERT,
            ],
        }),
        HandshakeMessage::Certificate(Certificate {
            context: vec![4],
            entries: vec![
                CertificateEntry {
                    cert_der: vec![0x30; 100],
                    // status_request with 3 bytes of (uninterpreted) data.
                    extensions: vec![0, 5, 0, 3, 1, 2, 3],
                },
                CertificateEntry {
                    cert_der: vec![0x31; 50],
                    extensions: vec![],
                },
            ],
        }),
        HandshakeMessage::CertificateVerify(CertificateVerify {
            scheme: SignatureScheme::ED25519,
            signature: vec![0x55; 64],
        }),
        HandshakeMessage::Finished(Finished {
            verify_data: vec![0x66; 32],
        }),
        HandshakeMessage::Finished(Finished {
            verify_data: vec![0x67; 48],
        }),
        HandshakeMessage::NewSessionTicket(NewSessionTicket {
            lifetime: 7200,
            age_add: 0x0102_0304,
            nonce: vec![0, 1, 2, 3, 4, 5, 6, 7],
            ticket: vec![0x77; 100],
            max_early_data_size: Some(16384),
        }),
        HandshakeMessage::KeyUpdate(KeyUpdate {
            update_requested: true,
        }),
        HandshakeMessage::KeyUpdate(KeyUpdate {
            update_requested: false,
        }),
        HandshakeMessage::EndOfEarlyData,
    ]
}

fn body_of(msg: &HandshakeMessage) -> Vec<u8> {
    let bytes = msg.to_bytes();
    let (typ, len) = handshake_header(&bytes).unwrap();
    assert_eq!(typ, msg.typ());
    assert_eq!(len + 4, bytes.len());
    bytes[4..].to_vec()
}

#[test]
fn round_trips() {
    for msg in samples() {
        let body = body_of(&msg);
        assert_eq!(HandshakeMessage::decode(msg.typ(), &body).unwrap(), msg);
        assert_eq!(
            HandshakeMessage::decode_message(&msg.to_bytes()).unwrap(),
            msg
        );
    }
}

/// Prefix lengths that are themselves valid messages: a ClientHello or
/// ServerHello cut right before its extensions is a legal pre-TLS 1.3
/// message, and the first 32 bytes of a 48-byte Finished are a Finished.
fn legal_prefixes(msg: &HandshakeMessage, body: &[u8]) -> Vec<usize> {
    match msg {
        HandshakeMessage::ClientHello(ch) => {
            let mut ext = Vec::new();
            ch.extensions.encode(&mut ext);
            vec![body.len() - ext.len()]
        }
        HandshakeMessage::ServerHello(sh) => {
            vec![2 + 32 + 1 + sh.legacy_session_id_echo.len() + 2 + 1]
        }
        HandshakeMessage::Finished(_) => vec![32],
        _ => vec![],
    }
}

#[test]
fn every_strict_prefix_is_an_error() {
    for msg in samples() {
        let body = body_of(&msg);
        let legal = legal_prefixes(&msg, &body);
        for n in 0..body.len() {
            let r = HandshakeMessage::decode(msg.typ(), &body[..n]);
            assert_eq!(
                r.is_ok(),
                legal.contains(&n),
                "{:?} prefix {n}: {r:?}",
                msg.typ()
            );
        }
    }
}

#[test]
fn every_length_field_off_by_one_is_an_error() {
    let mut rfc: Vec<Vec<u8>> = [
        RFC8448_CH,
        RFC8448_SH,
        RFC8448_EE,
        RFC8448_CERT,
        RFC8448_NST,
        RFC8448_HRR,
    ]
    .iter()
    .map(|v| hex(v))
    .collect();
    rfc.push(resumed_client_hello());
    let mut cases: Vec<(HandshakeType, Vec<u8>)> =
        samples().iter().map(|m| (m.typ(), body_of(m))).collect();
    for m in rfc {
        let (typ, _) = handshake_header(&m).unwrap();
        cases.push((typ, m[4..].to_vec()));
    }
    let mut checked = 0;
    for (typ, body) in cases {
        let mut fields = length_fields_of(|| {
            HandshakeMessage::decode(typ, &body).unwrap();
        });
        fields.sort_unstable();
        fields.dedup();
        // Only Finished, KeyUpdate and EndOfEarlyData have no length fields.
        let bare = [
            HandshakeType::FINISHED,
            HandshakeType::KEY_UPDATE,
            HandshakeType::END_OF_EARLY_DATA,
        ];
        assert_eq!(fields.is_empty(), bare.contains(&typ), "{typ:?}");
        checked += fields.len();
        for (at, width) in fields {
            let field = &body[at..at + width];
            let value = field.iter().fold(0u32, |acc, b| acc << 8 | u32::from(*b));
            for new in [value.checked_add(1), value.checked_sub(1)]
                .into_iter()
                .flatten()
            {
                if new >> (8 * width) != 0 {
                    continue;
                }
                let mut bad = body.clone();
                bad[at..at + width].copy_from_slice(&new.to_be_bytes()[4 - width..]);
                let r = HandshakeMessage::decode(typ, &bad);
                assert!(
                    r.is_err(),
                    "{typ:?}: length at {at} {value} -> {new} decoded: {r:?}"
                );
            }
        }
    }
    assert!(checked > 100, "only {checked} length fields found");
}

/// A deterministic xorshift generator: no dependency, reproducible runs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_input_never_panics() {
    let mut rng = Rng(0x5eed_1e55_f00d_cafe);
    let types: Vec<HandshakeType> = (0..=255u8).map(HandshakeType).collect();
    let seeds: Vec<(HandshakeType, Vec<u8>)> =
        samples().iter().map(|m| (m.typ(), body_of(m))).collect();
    for _ in 0..20_000 {
        let typ = types[rng.below(types.len())];
        let len = rng.below(300);
        let junk: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let _ = HandshakeMessage::decode(typ, &junk);
    }
    // Mutations of valid encodings reach much deeper than pure noise.
    for _ in 0..50_000 {
        let msg = &seeds[rng.below(seeds.len())];
        let mut bytes = msg.1.clone();
        for _ in 0..=rng.below(4) {
            match rng.below(3) {
                0 if !bytes.is_empty() => {
                    let i = rng.below(bytes.len());
                    bytes[i] = rng.next() as u8;
                }
                1 if !bytes.is_empty() => {
                    let i = rng.below(bytes.len());
                    bytes.truncate(i);
                }
                _ => {
                    let i = rng.below(bytes.len() + 1);
                    bytes.insert(i, rng.next() as u8);
                }
            }
        }
        let _ = HandshakeMessage::decode(msg.0, &bytes);
    }
}

pub(super) fn with_extensions(body_prefix: &[u8], exts: &[(u16, &[u8])]) -> Vec<u8> {
    let mut out = body_prefix.to_vec();
    crate::codec::put_prefixed(&mut out, 2, |o| {
        for (t, d) in exts {
            crate::codec::put_u16(o, *t);
            crate::codec::put_bytes(o, 2, d);
        }
    });
    out
}

pub(super) fn client_hello_prefix() -> Vec<u8> {
    let mut out = vec![3, 3];
    out.extend_from_slice(&[0; 32]);
    out.extend_from_slice(&[0, 0, 2, 0x13, 0x01, 1, 0]);
    out
}

fn server_hello_prefix(random: [u8; 32]) -> Vec<u8> {
    let mut out = vec![3, 3];
    out.extend_from_slice(&random);
    out.extend_from_slice(&[0, 0x13, 0x01, 0]);
    out
}

fn alert_of(r: Result<HandshakeMessage, DecodeError>) -> AlertDescription {
    r.unwrap_err().alert()
}

#[test]
fn client_hello_rules() {
    let ch = |exts: &[(u16, &[u8])]| {
        HandshakeMessage::decode(
            HandshakeType::CLIENT_HELLO,
            &with_extensions(&client_hello_prefix(), exts),
        )
    };
    let psk: &[u8] = &hex("00 07 00 01 aa 00 00 00 00 00 21 20");
    let mut psk = psk.to_vec();
    psk.extend_from_slice(&[0; 32]);
    // pre_shared_key must be last (RFC 8446 §4.2.11).
    assert!(ch(&[(0x2b, &[2, 3, 4]), (41, &psk)]).is_ok());
    assert_eq!(
        alert_of(ch(&[(41, &psk), (0x2b, &[2, 3, 4])])),
        AlertDescription::ILLEGAL_PARAMETER
    );
    // Duplicates, even unknown ones.
    assert_eq!(
        alert_of(ch(&[(0x1234, &[]), (0x1234, &[])])),
        AlertDescription::ILLEGAL_PARAMETER
    );
    // oid_filters is CR-only.
    assert_eq!(
        alert_of(ch(&[(48, &[0, 0])])),
        AlertDescription::ILLEGAL_PARAMETER
    );
    // Unknown extensions are recorded and ignored.
    let Ok(HandshakeMessage::ClientHello(m)) = ch(&[(0xfafa, &[1, 2, 3])]) else {
        panic!()
    };
    assert_eq!(m.extensions.present, [ExtensionType(0xfafa)]);
    // Empty or odd lists.
    assert_eq!(
        alert_of(ch(&[(0x2b, &[0])])),
        AlertDescription::DECODE_ERROR
    );
    assert_eq!(
        alert_of(ch(&[(0x2b, &[3, 3, 4, 3])])),
        AlertDescription::DECODE_ERROR
    );
    assert_eq!(
        alert_of(ch(&[(10, &[0, 0])])),
        AlertDescription::DECODE_ERROR
    );
    assert_eq!(
        alert_of(ch(&[(13, &[0, 1, 4])])),
        AlertDescription::DECODE_ERROR
    );
    assert_eq!(alert_of(ch(&[(45, &[0])])), AlertDescription::DECODE_ERROR);
    assert_eq!(
        alert_of(ch(&[(44, &[0, 0])])),
        AlertDescription::DECODE_ERROR
    );
    assert_eq!(alert_of(ch(&[(42, &[0])])), AlertDescription::DECODE_ERROR);
    // ALPN: empty list, empty protocol name.
    assert_eq!(
        alert_of(ch(&[(16, &[0, 0])])),
        AlertDescription::DECODE_ERROR
    );
    assert_eq!(
        alert_of(ch(&[(16, &[0, 1, 0])])),
        AlertDescription::DECODE_ERROR
    );
    // key_share: empty list is fine (RFC 8446 §4.2.8), empty key is not,
    // two shares of one group are illegal.
    assert!(ch(&[(51, &[0, 0])]).is_ok());
    assert_eq!(
        alert_of(ch(&[(51, &[0, 4, 0, 0x1d, 0, 0])])),
        AlertDescription::DECODE_ERROR
    );
    assert_eq!(
        alert_of(ch(&[(51, &[0, 10, 0, 0x1d, 0, 1, 9, 0, 0x1d, 0, 1, 8])])),
        AlertDescription::ILLEGAL_PARAMETER
    );
    // Past the pairwise check's length, duplicates are found by sorting.
    for len in [16u16, 17, 40] {
        let shares = |dup: bool| {
            let mut list = Vec::new();
            for g in 0..len {
                let g = if dup && g + 1 == len {
                    0x0100
                } else {
                    0x0100 + g
                };
                list.extend_from_slice(&g.to_be_bytes());
                list.extend_from_slice(&[0, 1, 7]);
            }
            let mut ext = (list.len() as u16).to_be_bytes().to_vec();
            ext.extend_from_slice(&list);
            ext
        };
        assert!(ch(&[(51, &shares(false))]).is_ok(), "{len} shares");
        assert_eq!(
            alert_of(ch(&[(51, &shares(true))])),
            AlertDescription::ILLEGAL_PARAMETER,
            "{len} shares, first and last of one group"
        );
    }
    // Non-ASCII SNI.
    assert_eq!(
        alert_of(ch(&[(0, &[0, 5, 0, 0, 2, 0xc3, 0xa9])])),
        AlertDescription::DECODE_ERROR
    );
}

#[test]
fn client_hello_legacy_shapes() {
    let base = client_hello_prefix();
    // No extensions at all (pre-TLS 1.3 client) still decodes.
    let mut legacy = base.clone();
    legacy[1] = 1; // legacy_version 0x0301
    let Ok(HandshakeMessage::ClientHello(m)) =
        HandshakeMessage::decode(HandshakeType::CLIENT_HELLO, &legacy)
    else {
        panic!()
    };
    assert_eq!(m.legacy_version, ProtocolVersion::TLS1_0);
    assert_eq!(m.extensions, ClientExtensions::default());
    // Empty cipher_suites, odd cipher_suites, empty compression methods,
    // and a 33-byte session id.
    for bad in [
        "0303 {r} 00 0000 0100",
        "0303 {r} 00 0003 130113 0100",
        "0303 {r} 00 0002 1301 00",
    ] {
        let b = hex(&bad.replace("{r}", &"00".repeat(32)));
        assert_eq!(
            alert_of(HandshakeMessage::decode(HandshakeType::CLIENT_HELLO, &b)),
            AlertDescription::DECODE_ERROR,
            "{bad}"
        );
    }
    let mut long_sid = vec![3, 3];
    long_sid.extend_from_slice(&[0; 32]);
    long_sid.push(33);
    long_sid.extend_from_slice(&[0; 33]);
    long_sid.extend_from_slice(&[0, 2, 0x13, 1, 1, 0]);
    assert!(HandshakeMessage::decode(HandshakeType::CLIENT_HELLO, &long_sid).is_err());
}

#[test]
fn server_hello_rules() {
    let sh = |random: [u8; 32], exts: &[(u16, &[u8])]| {
        HandshakeMessage::decode(
            HandshakeType::SERVER_HELLO,
            &with_extensions(&server_hello_prefix(random), exts),
        )
    };
    // A TLS 1.2 ServerHello carrying ALPN and server_name (legal there):
    // decodes, leaving version rejection to the client.
    let Ok(HandshakeMessage::ServerHello(m)) = sh(
        [1; 32],
        &[(0, &[]), (16, &[0, 3, 2, b'h', b'2']), (0xff01, &[0])],
    ) else {
        panic!()
    };
    assert_eq!(m.extensions.supported_version, None);
    assert_eq!(m.extensions.present.len(), 3);
    // No extensions at all.
    assert!(
        HandshakeMessage::decode(HandshakeType::SERVER_HELLO, &server_hello_prefix([1; 32]))
            .is_ok()
    );
    // TLS 1.3 ServerHello: the §4.2 table applies.
    let v13: (u16, &[u8]) = (43, &[3, 4]);
    assert_eq!(
        alert_of(sh([1; 32], &[v13, (44, &[0, 1, 1])])),
        AlertDescription::ILLEGAL_PARAMETER
    );
    assert_eq!(
        alert_of(sh([1; 32], &[v13, (0, &[])])),
        AlertDescription::ILLEGAL_PARAMETER
    );
    assert!(sh([1; 32], &[v13, (41, &[0, 0])]).is_ok());
    // HRR: cookie allowed, pre_shared_key not; key_share is a bare group.
    assert!(sh(HRR_RANDOM, &[v13, (44, &[0, 1, 1]), (51, &[0, 0x17])]).is_ok());
    assert_eq!(
        alert_of(sh(HRR_RANDOM, &[v13, (41, &[0, 0])])),
        AlertDescription::ILLEGAL_PARAMETER
    );
    assert_eq!(
        alert_of(sh(HRR_RANDOM, &[v13, (51, &[0, 0x1d, 0, 1, 9])])),
        AlertDescription::DECODE_ERROR
    );
    // A ServerHello's key_share is a full entry.
    assert_eq!(
        alert_of(sh([1; 32], &[v13, (51, &[0, 0x17])])),
        AlertDescription::DECODE_ERROR
    );
    // supported_versions with two versions is malformed in a ServerHello.
    assert_eq!(
        alert_of(sh([1; 32], &[(43, &[3, 4, 3, 3])])),
        AlertDescription::DECODE_ERROR
    );
}

#[test]
fn encrypted_extensions_rules() {
    let ee = |exts: &[(u16, &[u8])]| {
        HandshakeMessage::decode(
            HandshakeType::ENCRYPTED_EXTENSIONS,
            &with_extensions(&[], exts),
        )
    };
    assert!(ee(&[]).is_ok());
    for forbidden in [51u16, 41, 43, 44, 45, 13, 21, 49, 50, 5] {
        assert_eq!(
            alert_of(ee(&[(forbidden, &[])])),
            AlertDescription::ILLEGAL_PARAMETER
        );
    }
    // The ALPN answer names exactly one protocol (RFC 7301 §3.1).
    assert_eq!(
        alert_of(ee(&[(16, &[0, 4, 1, b'a', 1, b'b'])])),
        AlertDescription::DECODE_ERROR
    );
    // server_name and early_data acknowledgements are empty.
    assert_eq!(alert_of(ee(&[(0, &[0])])), AlertDescription::DECODE_ERROR);
    assert_eq!(
        alert_of(ee(&[(42, &[0, 0, 0, 0])])),
        AlertDescription::DECODE_ERROR
    );
}

#[test]
fn certificate_request_rules() {
    let cr = |exts: &[(u16, &[u8])]| {
        HandshakeMessage::decode(
            HandshakeType::CERTIFICATE_REQUEST,
            &with_extensions(&[0], exts),
        )
    };
    assert_eq!(alert_of(cr(&[])), AlertDescription::MISSING_EXTENSION);
    assert_eq!(
        alert_of(cr(&[(50, &[0, 2, 8, 7])])),
        AlertDescription::MISSING_EXTENSION
    );
    assert!(cr(&[
        (13, &[0, 2, 8, 7]),
        (47, &[0, 3, 0, 1, 0x30]),
        (48, &[0, 0])
    ])
    .is_ok());
    assert_eq!(
        alert_of(cr(&[(13, &[0, 2, 8, 7]), (0, &[])])),
        AlertDescription::ILLEGAL_PARAMETER
    );
}

#[test]
fn certificate_rules() {
    // An empty certificate_list is legal (client without a certificate).
    let Ok(HandshakeMessage::Certificate(c)) =
        HandshakeMessage::decode(HandshakeType::CERTIFICATE, &[0, 0, 0, 0])
    else {
        panic!()
    };
    assert!(c.entries.is_empty());
    // Empty cert_data is not.
    assert!(
        HandshakeMessage::decode(HandshakeType::CERTIFICATE, &hex("00 000005 000000 0000"))
            .is_err()
    );
    // Entry extensions: key_share is illegal in a Certificate, SCT is fine.
    assert_eq!(
        alert_of(HandshakeMessage::decode(
            HandshakeType::CERTIFICATE,
            &hex("00 00000a 000001 30 0004 0033 0000")
        )),
        AlertDescription::ILLEGAL_PARAMETER
    );
    let Ok(HandshakeMessage::Certificate(c)) = HandshakeMessage::decode(
        HandshakeType::CERTIFICATE,
        &hex("00 00000a 000001 30 0004 0012 0000"),
    ) else {
        panic!()
    };
    assert_eq!(
        c.entries[0].extension_types(),
        [ExtensionType::SIGNED_CERTIFICATE_TIMESTAMP]
    );
}

#[test]
fn small_messages() {
    assert_eq!(
        alert_of(HandshakeMessage::decode(HandshakeType::KEY_UPDATE, &[2])),
        AlertDescription::ILLEGAL_PARAMETER
    );
    assert!(HandshakeMessage::decode(HandshakeType::KEY_UPDATE, &[1, 0]).is_err());
    assert!(HandshakeMessage::decode(HandshakeType::END_OF_EARLY_DATA, &[0]).is_err());
    assert!(HandshakeMessage::decode(HandshakeType::FINISHED, &[0; 33]).is_err());
    assert!(HandshakeMessage::decode(HandshakeType::FINISHED, &[]).is_err());
    for t in [
        HandshakeType::HELLO_REQUEST,
        HandshakeType::SERVER_KEY_EXCHANGE,
        HandshakeType::MESSAGE_HASH,
        HandshakeType(99),
    ] {
        assert_eq!(
            alert_of(HandshakeMessage::decode(t, &[])),
            AlertDescription::UNEXPECTED_MESSAGE
        );
    }
    assert_eq!(
        alert_of(HandshakeMessage::decode(
            HandshakeType::CERTIFICATE,
            &vec![0; MAX_HANDSHAKE_BODY + 1]
        )),
        AlertDescription::DECODE_ERROR
    );
    // NewSessionTicket: empty ticket, and an extension only CH may carry.
    let nst = |ticket: &[u8], exts: &[(u16, &[u8])]| {
        let mut p = vec![0, 0, 0, 1, 0, 0, 0, 2, 0];
        crate::codec::put_bytes(&mut p, 2, ticket);
        HandshakeMessage::decode(
            HandshakeType::NEW_SESSION_TICKET,
            &with_extensions(&p, exts),
        )
    };
    assert!(nst(&[1], &[(0x1a1a, &[])]).is_ok());
    assert_eq!(alert_of(nst(&[], &[])), AlertDescription::DECODE_ERROR);
    assert_eq!(
        alert_of(nst(&[1], &[(45, &[1, 1])])),
        AlertDescription::ILLEGAL_PARAMETER
    );
    assert_eq!(
        alert_of(nst(&[1], &[(42, &[0, 0])])),
        AlertDescription::DECODE_ERROR
    );
}

#[test]
fn header_parsing() {
    assert_eq!(handshake_header(&[1, 0, 1]), None);
    assert_eq!(
        handshake_header(&[20, 0, 0, 32, 9]),
        Some((HandshakeType::FINISHED, 32))
    );
    // decode_message wants exactly one message.
    let mut two = HandshakeMessage::EndOfEarlyData.to_bytes();
    two.push(0);
    assert!(HandshakeMessage::decode_message(&two).is_err());
    assert!(HandshakeMessage::decode_message(&[5, 0, 0, 1]).is_err());
}

/// Random payloads for (mostly) known extension types, in every message
/// that carries extensions: exercises each extension parser, not just the
/// framing.
#[test]
fn random_extension_payloads_never_panic() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let types: Vec<u16> = (0..=60).chain([0xff01, 0xfe0d, 0x1a1a]).collect();
    let payload = |rng: &mut Rng| -> Vec<u8> {
        let n = rng.below(12);
        let mut inner: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
        // Often make the payload look like a well-formed vector, so parsers
        // get past their first length check.
        match rng.below(4) {
            0 => {
                let mut v = vec![0, inner.len() as u8];
                v.append(&mut inner);
                v
            }
            1 => {
                let mut v = vec![inner.len() as u8];
                v.append(&mut inner);
                v
            }
            _ => inner,
        }
    };
    for _ in 0..20_000 {
        let mut exts: Vec<(u16, Vec<u8>)> = (0..rng.below(4))
            .map(|_| (types[rng.below(types.len())], payload(&mut rng)))
            .collect();
        if rng.below(2) == 0 {
            exts.insert(0, (43, vec![3, 4]));
        }
        let exts: Vec<(u16, &[u8])> = exts.iter().map(|(t, d)| (*t, d.as_slice())).collect();
        let mut cert_entry = hex("00 000000 000001 30");
        crate::codec::put_prefixed(&mut cert_entry, 2, |o| {
            for (t, d) in &exts {
                crate::codec::put_u16(o, *t);
                crate::codec::put_bytes(o, 2, d);
            }
        });
        let list_len = (cert_entry.len() - 4) as u32;
        cert_entry[1..4].copy_from_slice(&list_len.to_be_bytes()[1..]);
        let cases = [
            (
                HandshakeType::CLIENT_HELLO,
                with_extensions(&client_hello_prefix(), &exts),
            ),
            (
                HandshakeType::SERVER_HELLO,
                with_extensions(&server_hello_prefix([1; 32]), &exts),
            ),
            (
                HandshakeType::SERVER_HELLO,
                with_extensions(&server_hello_prefix(HRR_RANDOM), &exts),
            ),
            (
                HandshakeType::ENCRYPTED_EXTENSIONS,
                with_extensions(&[], &exts),
            ),
            (
                HandshakeType::CERTIFICATE_REQUEST,
                with_extensions(&[0], &exts),
            ),
            (
                HandshakeType::NEW_SESSION_TICKET,
                with_extensions(&[0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 1, 7], &exts),
            ),
            (HandshakeType::CERTIFICATE, cert_entry),
        ];
        for (typ, body) in cases {
            if let Ok(m) = HandshakeMessage::decode(typ, &body) {
                // Whatever decodes must re-encode into something that decodes
                // to the same message (`present` aside, as unknown extensions
                // are dropped).
                let again = HandshakeMessage::decode_message(&m.to_bytes());
                assert_eq!(
                    again.map(without_present),
                    Ok(without_present(m)),
                    "{typ:?} {body:02x?}"
                );
            }
        }
    }
}

/// The message with its `present` lists cleared (they are not encoded).
fn without_present(mut m: HandshakeMessage) -> HandshakeMessage {
    match &mut m {
        HandshakeMessage::ClientHello(ch) => ch.extensions.present.clear(),
        HandshakeMessage::ServerHello(sh) => sh.extensions.present.clear(),
        HandshakeMessage::EncryptedExtensions(ee) => ee.present.clear(),
        HandshakeMessage::CertificateRequest(cr) => cr.present.clear(),
        _ => {}
    }
    m
}

/// A chain encoded straight from its certificates is byte for byte the Certificate message
/// with those entries and no extensions, with and without a request context.
#[test]
fn certificate_from_a_chain_encodes_like_its_entries() {
    let chain: [&[u8]; 3] = [&[0x30, 0x03, 1, 2, 3], &[0x30; 300], &[7]];
    for context in [&[][..], &[9, 8, 7][..]] {
        let message = Certificate {
            context: context.to_vec(),
            entries: chain
                .iter()
                .map(|der| CertificateEntry {
                    cert_der: der.to_vec(),
                    extensions: Vec::new(),
                })
                .collect(),
        };
        let mut expected = Vec::new();
        message.encode(&mut expected);
        let mut direct = Vec::new();
        Certificate::encode_chain(context, chain, &mut direct);
        assert_eq!(direct, expected);
        assert_eq!(Certificate::decode(&direct).unwrap(), message);
    }
}
