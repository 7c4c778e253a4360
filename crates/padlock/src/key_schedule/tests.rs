//! RFC 8448 (Example Handshake Traces for TLS 1.3) §3 and §4 reproduced
//! through [`Transcript`] and the key schedule.

use super::*;
use crate::crypto::TLS_AES_128_GCM_SHA256;
use crate::transcript::Transcript;

/// Hex to bytes, whitespace ignored (test vectors are quoted as the RFCs print them).
pub(crate) fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn assert_hex(actual: &[u8], expected: &str) {
    assert_eq!(hex(actual), expected.replace(char::is_whitespace, ""));
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

const SHA256: HashAlgorithm = HashAlgorithm::Sha256;

// RFC 8448 §3, handshake messages.
const CLIENT_HELLO: &str = "010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7000006130113031302010000910000000b0009000006736572766572ff01000100000a00140012001d0017001800190100010101020103010400230000003300260024001d002099381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c002b0003020304000d0020001e040305030603020308040805080604010501060102010402050206020202002d00020101001c00024001";
const SERVER_HELLO: &str = "020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e2692800130100002e00330024001d0020c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f002b00020304";
const ENCRYPTED_EXTENSIONS: &str =
    "080000240022000a00140012001d00170018001901000101010201030104001c0002400100000000";
const CERTIFICATE: &str = "0b0001b9000001b50001b0308201ac30820115a003020102020102300d06092a864886f70d01010b0500300e310c300a06035504031303727361301e170d3136303733303031323335395a170d3236303733303031323335395a300e310c300a0603550403130372736130819f300d06092a864886f70d010101050003818d0030818902818100b4bb498f8279303d980836399b36c6988c0c68de55e1bdb826d3901a2461eafd2de49a91d015abbc9a95137ace6c1af19eaa6af98c7ced43120998e187a80ee0ccb0524b1b018c3e0b63264d449a6d38e22a5fda430846748030530ef0461c8ca9d9efbfae8ea6d1d03e2bd193eff0ab9a8002c47428a6d35a8d88d79f7f1e3f0203010001a31a301830090603551d1304023000300b0603551d0f0404030205a0300d06092a864886f70d01010b05000381810085aad2a0e5b9276b908c65f73a7267170618a54c5f8a7b337d2df7a594365417f2eae8f8a58c8f8172f9319cf36b7fd6c55b80f21a03015156726096fd335e5e67f2dbf102702e608ccae6bec1fc63a42a99be5c3eb7107c3c54e9b9eb2bd5203b1c3b84e0a8b2f759409ba3eac9d91d402dcc0cc8f8961229ac9187b42b4de10000";
const CERTIFICATE_VERIFY: &str = "0f000084080400805a747c5d88fa9bd2e55ab085a61015b7211f824cd484145ab3ff52f1fda8477b0b7abc90db78e2d33a5c141a078653fa6bef780c5ea248eeaaa785c4f394cab6d30bbe8d4859ee511f602957b15411ac027671459e46445c9ea58c181e818e95b8c3fb0bf3278409d3be152a3da5043e063dda65cdf5aea20d53dfacd42f74f3";
const SERVER_FINISHED: &str =
    "140000209b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718";
const CLIENT_FINISHED: &str =
    "14000020a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61";

// RFC 8448 §3, {client} create an ephemeral x25519 key pair / {server} ditto.
const CLIENT_X25519_PRIVATE: &str =
    "49af42ba7f7994852d713ef2784bcbcaa7911de26adc5642cb634540e7ea5005";
const SERVER_X25519_PUBLIC: &str =
    "c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f";
const ECDHE: &str = "8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d";

#[test]
fn rfc8448_ecdhe_shared_secret() {
    use aws_lc_rs::agreement;
    let private =
        agreement::PrivateKey::from_private_key(&agreement::X25519, &unhex(CLIENT_X25519_PRIVATE))
            .unwrap();
    let secret = agreement::agree(
        &private,
        agreement::UnparsedPublicKey::new(&agreement::X25519, unhex(SERVER_X25519_PUBLIC)),
        (),
        |s| Ok(s.to_vec()),
    )
    .unwrap();
    assert_hex(&secret, ECDHE);
}

#[test]
fn rfc8448_simple_1rtt() {
    let early = EarlySecret::new(SHA256, None);
    assert_hex(
        early.secret.as_bytes(),
        "33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a",
    );
    assert_hex(
        next_stage_salt(SHA256, &early.secret).unwrap().as_bytes(),
        "6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba",
    );

    let hs = early.into_handshake_secret(&unhex(ECDHE)).unwrap();
    assert_hex(
        hs.secret.as_bytes(),
        "1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac",
    );

    let mut transcript = Transcript::new();
    transcript.add(&unhex(CLIENT_HELLO)).unwrap();
    transcript.start_hash(TLS_AES_128_GCM_SHA256.hash).unwrap();
    transcript.add(&unhex(SERVER_HELLO)).unwrap();
    let th = transcript.current_hash().unwrap();

    let c_hs = hs.client_handshake_traffic_secret(&th).unwrap();
    let s_hs = hs.server_handshake_traffic_secret(&th).unwrap();
    assert_hex(
        c_hs.as_bytes(),
        "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21",
    );
    assert_hex(
        s_hs.as_bytes(),
        "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38",
    );

    let keys = derive_traffic_keys(&TLS_AES_128_GCM_SHA256, &s_hs).unwrap();
    assert_hex(keys.key(), "3fce516009c21727d0f2e4e86ee403bc");
    assert_hex(&keys.iv, "5d313eb2671276ee13000b30");
    let keys = derive_traffic_keys(&TLS_AES_128_GCM_SHA256, &c_hs).unwrap();
    assert_hex(keys.key(), "dbfaa693d1762c5b666af5d950258d01");
    assert_hex(&keys.iv, "5bd3c71b836e0b76bb73265f");

    assert_hex(
        next_stage_salt(SHA256, &hs.secret).unwrap().as_bytes(),
        "43de77e0c77713859a944db9db2590b53190a65b3ee2e4f12dd7a0bb7ce254b4",
    );
    let master = hs.into_master_secret().unwrap();
    assert_hex(
        master.secret.as_bytes(),
        "18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919",
    );

    transcript.add(&unhex(ENCRYPTED_EXTENSIONS)).unwrap();
    transcript.add(&unhex(CERTIFICATE)).unwrap();
    transcript.add(&unhex(CERTIFICATE_VERIFY)).unwrap();
    let th = transcript.current_hash().unwrap();
    let server_fin = finished_verify_data(SHA256, &s_hs, &th).unwrap();
    assert_hex(
        &server_fin,
        "9b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718",
    );
    assert!(verify_finished(SHA256, &s_hs, &th, &server_fin));
    let mut tampered = server_fin.as_bytes().to_vec();
    tampered[31] ^= 1;
    assert!(!verify_finished(SHA256, &s_hs, &th, &tampered));
    assert!(!verify_finished(SHA256, &s_hs, &th, &tampered[..31]));
    assert!(!verify_finished(SHA256, &c_hs, &th, &server_fin));

    transcript.add(&unhex(SERVER_FINISHED)).unwrap();
    let th = transcript.current_hash().unwrap();
    let c_ap = master.client_application_traffic_secret_0(&th).unwrap();
    let s_ap = master.server_application_traffic_secret_0(&th).unwrap();
    assert_hex(
        c_ap.as_bytes(),
        "9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5",
    );
    assert_hex(
        s_ap.as_bytes(),
        "a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643",
    );
    assert_hex(
        master.exporter_master_secret(&th).unwrap().as_bytes(),
        "fe22f881176eda18eb8f44529e6792c50c9a3f89452f68d8ae311b4309d3cf50",
    );
    // Deferred, the same secret: on each request, and once settled.
    let mut exporter = ExporterSecret::deferred(&master, &th).unwrap();
    for _ in 0..2 {
        assert_hex(
            exporter.secret().unwrap().as_bytes(),
            "fe22f881176eda18eb8f44529e6792c50c9a3f89452f68d8ae311b4309d3cf50",
        );
    }
    assert_hex(
        exporter.settle().unwrap().as_bytes(),
        "fe22f881176eda18eb8f44529e6792c50c9a3f89452f68d8ae311b4309d3cf50",
    );
    assert_hex(
        exporter.secret().unwrap().as_bytes(),
        "fe22f881176eda18eb8f44529e6792c50c9a3f89452f68d8ae311b4309d3cf50",
    );
    assert_eq!(format!("{exporter:?}"), "ExporterSecret(derived)");
    let keys = derive_traffic_keys(&TLS_AES_128_GCM_SHA256, &s_ap).unwrap();
    assert_hex(keys.key(), "9f02283b6c9c07efc26bb9f2ac92e356");
    assert_hex(&keys.iv, "cf782b88dd83549aadf1e984");
    let keys = derive_traffic_keys(&TLS_AES_128_GCM_SHA256, &c_ap).unwrap();
    assert_hex(keys.key(), "17422dda596ed5d9acd890e3c63f5051");
    assert_hex(&keys.iv, "5b78923dee08579033e523d9");

    // The client Finished covers the transcript through the server Finished.
    assert_hex(
        &finished_verify_data(SHA256, &c_hs, &th).unwrap(),
        "a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61",
    );

    transcript.add(&unhex(CLIENT_FINISHED)).unwrap();
    let th = transcript.current_hash().unwrap();
    let rms = master.resumption_master_secret(&th).unwrap();
    assert_hex(
        rms.as_bytes(),
        "7df235f2031d2a051287d02b0241b0bfdaf86cc856231f2d5aba46c434ec196c",
    );
    // NewSessionTicket with ticket_nonce 00 00.
    assert_hex(
        resumption_psk(SHA256, &rms, &[0, 0]).unwrap().as_bytes(),
        "4ecd0eb6ec3b4d87f5d6028f922ca4c5851a277fd41311c9e62d2c9492e1c4f3",
    );
}

// RFC 8448 §4: the resumed ClientHello up to (not including) the binders
// list, i.e. the bytes the PSK binder hash covers (§4.2.11.2).
const RESUMED_CH_PREFIX: &str = "010001fc03031bc3ceb6bbe39cff938355b5a50adb6db21b7a6af649d7b4bc419d7876487d95000006130113031302010001cd0000000b0009000006736572766572ff01000100000a00140012001d00170018001901000101010201030104003300260024001d0020e4ffb68ac05f8d96c99da26698346c6be16482badddafe051a66b4f18d668f0b002a0000002b0003020304000d0020001e040305030603020308040805080604010501060102010402050206020202002d00020101001c0002400100150057000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000002900dd00b800b22c035d829359ee5ff7af4ec900000000262a6494dc486d2c8a34cb33fa90bf1b0070ad3c498883c9367c09a2be785abc55cd226097a3a982117283f82a03a143efd3ff5dd36d64e861be7fd61d2827db279cce145077d454a3664d4e6da4d29ee03725a6a4dafcd0fc67d2aea70529513e3da2677fa5906c5b3f7d8f92f228bda40dda721470f9fbf297b5aea617646fac5c03272e970727c621a79141ef5f7de6505e5bfbc388e93343694093934ae4d357fad6aacb";
const RESUMED_BINDERS: &str =
    "0021203add4fb2d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d";
const RESUMED_SERVER_HELLO: &str = "0200005c03033ccfd2dec890222763472ae8136777c9d7358777bb66e91ea5122495f559ea2d00130100003400290002000000330024001d0020121761ee42c333e1b9e77b60dd57c2053cd94512ab47f115e86eff50942cea31002b00020304";
const RESUMED_ECDHE: &str = "f44194756ff9ec9d25180635d66ea6824c6ab3bf179977be37f723570e7ccb2e";

#[test]
fn rfc8448_resumed_0rtt() {
    let psk = "4ecd0eb6ec3b4d87f5d6028f922ca4c5851a277fd41311c9e62d2c9492e1c4f3";
    let early = EarlySecret::new(SHA256, Some(&unhex(psk)));
    assert_hex(
        early.secret.as_bytes(),
        "9b2188e9b2fc6d64d71dc329900e20bb41915000f678aa839cbb797cb7d8332c",
    );

    // The client's binder: before any suite is negotiated the transcript is
    // still buffering, so the PSK's hash is given explicitly.
    let transcript = Transcript::new();
    let binder_hash = transcript
        .hash_with_algorithm(SHA256, &unhex(RESUMED_CH_PREFIX))
        .unwrap();
    assert_hex(
        &binder_hash,
        "63224b2e4573f2d3454ca84b9d009a04f6be9e05711a8396473aefa01e924a14",
    );
    let binder_key = early.binder_key(false).unwrap();
    assert_hex(
        binder_key.as_bytes(),
        "69fe131a3bbad5d63c64eebcc30e395b9d8107726a13d074e389dbc8a4e47256",
    );
    assert_hex(
        finished_key(SHA256, &binder_key).unwrap().as_bytes(),
        "5588673e72cb59c87d220caffe94f2dea9a3b1609f7d50e90a48227db9ed7eaa",
    );
    let binder = finished_verify_data(SHA256, &binder_key, &binder_hash).unwrap();
    assert_hex(
        &binder,
        "3add4fb2d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d",
    );
    // The server's side: hash started before the ClientHello arrives.
    let server_view = Transcript::with_hash(SHA256);
    let server_binder_hash = server_view.hash_with(&unhex(RESUMED_CH_PREFIX)).unwrap();
    assert!(verify_finished(
        SHA256,
        &binder_key,
        &server_binder_hash,
        &binder
    ));
    assert!(!verify_finished(
        SHA256,
        &early.binder_key(true).unwrap(),
        &server_binder_hash,
        &binder
    ));

    let mut transcript = Transcript::with_hash(SHA256);
    transcript.add(&unhex(RESUMED_CH_PREFIX)).unwrap();
    transcript.add(&unhex(RESUMED_BINDERS)).unwrap();
    let th = transcript.current_hash().unwrap();
    let c_e = early.client_early_traffic_secret(&th).unwrap();
    assert_hex(
        c_e.as_bytes(),
        "3fbbe6a60deb66c30a32795aba0eff7eaa10105586e7be5c09678d63b6caab62",
    );
    assert_hex(
        early.early_exporter_master_secret(&th).unwrap().as_bytes(),
        "b2026866610937d7423e5be90862ccf24c0e6091186d34f812089ff5be2ef7df",
    );
    let keys = derive_traffic_keys(&TLS_AES_128_GCM_SHA256, &c_e).unwrap();
    assert_hex(keys.key(), "920205a5b7bf2115e6fc5c2942834f54");
    assert_hex(&keys.iv, "6d475f0993c8e564610db2b9");

    transcript.add(&unhex(RESUMED_SERVER_HELLO)).unwrap();
    let th = transcript.current_hash().unwrap();
    assert_hex(
        next_stage_salt(SHA256, &early.secret).unwrap().as_bytes(),
        "5f1790bbd82c5e7d376ed2e1e52f8e6038c9346db61b43be9a52f77ef3998e80",
    );
    let hs = early.into_handshake_secret(&unhex(RESUMED_ECDHE)).unwrap();
    assert_hex(
        hs.secret.as_bytes(),
        "005cb112fd8eb4ccc623bb88a07c64b3ede1605363fc7d0df8c7ce4ff0fb4ae6",
    );
    assert_hex(
        hs.client_handshake_traffic_secret(&th).unwrap().as_bytes(),
        "2faac08f851d35fea3604fcb4de82dc62c9b164a70974d0462e27f1ab278700f",
    );
    let s_hs = hs.server_handshake_traffic_secret(&th).unwrap();
    assert_hex(
        s_hs.as_bytes(),
        "fe927ae271312e8bf0275b581c54eef020450dc4ecffaa05a1a35d27518e7803",
    );
    let keys = derive_traffic_keys(&TLS_AES_128_GCM_SHA256, &s_hs).unwrap();
    assert_hex(keys.key(), "27c6bdc0a3dcea39a47326d79bc9e4ee");
    assert_hex(&keys.iv, "9569ecdd4d0536705e9ef725");
    let master = hs.into_master_secret().unwrap();
    assert_hex(
        master.secret.as_bytes(),
        "e2d32d4ed66dd37897a0e80c84107503ce58bf8aad4cb55a5002d77ecb890ece",
    );
}

#[test]
fn key_update_and_exporter_are_deterministic_and_bounded() {
    let secret = Secret::from_bytes(&[7u8; 32]).unwrap();
    let next = next_application_traffic_secret(SHA256, &secret).unwrap();
    assert_eq!(next.len(), 32);
    assert_ne!(next.as_bytes(), secret.as_bytes());
    assert_eq!(
        next_application_traffic_secret(SHA256, &secret)
            .unwrap()
            .as_bytes(),
        next.as_bytes()
    );

    let mut a = [0u8; 64];
    let mut b = [0u8; 64];
    export_keying_material(SHA256, &secret, b"EXPERIMENTAL x", None, &mut a).unwrap();
    export_keying_material(SHA256, &secret, b"EXPERIMENTAL x", Some(&[]), &mut b).unwrap();
    assert_eq!(a, b, "RFC 8446 §7.5: empty and absent context are the same");
    export_keying_material(SHA256, &secret, b"EXPERIMENTAL x", Some(b"ctx"), &mut b).unwrap();
    assert_ne!(a, b);
    export_keying_material(SHA256, &secret, b"EXPERIMENTAL y", None, &mut b).unwrap();
    assert_ne!(a, b);

    let mut too_long = vec![0u8; 255 * 32 + 1];
    assert_eq!(
        export_keying_material(SHA256, &secret, b"l", None, &mut too_long),
        Err(CryptoError::InvalidLength)
    );
    let long_label = [b'a'; 250];
    assert_eq!(
        export_keying_material(SHA256, &secret, &long_label, None, &mut a),
        Err(CryptoError::InvalidLength)
    );
    assert!(export_keying_material(SHA256, &secret, &long_label[..249], None, &mut a).is_ok());

    // A secret of the wrong length for the hash is refused, not used.
    let short = Secret::from_bytes(&[1u8; 16]).unwrap();
    assert!(next_application_traffic_secret(SHA256, &short).is_err());
    assert!(Secret::from_bytes(&[0u8; 49]).is_err());
}

#[test]
fn sha384_schedule_has_sha384_lengths() {
    let early = EarlySecret::new(HashAlgorithm::Sha384, None);
    let hs = early.into_handshake_secret(&[1u8; 32]).unwrap();
    let th = HashAlgorithm::Sha384.hash(b"x");
    let s = hs.server_handshake_traffic_secret(&th).unwrap();
    assert_eq!(s.len(), 48);
    let keys = derive_traffic_keys(&crate::crypto::TLS_AES_256_GCM_SHA384, &s).unwrap();
    assert_eq!(keys.key.len(), 32);
    assert_eq!(
        finished_verify_data(HashAlgorithm::Sha384, &s, &th)
            .unwrap()
            .len(),
        48
    );
}

/// rustls logs its exporter master secret (SSLKEYLOGFILE's
/// EXPORTER_SECRET); exporting from it with our code must give what
/// rustls's own exporter gives. Covers the SHA-384 path RFC 8448 lacks.
mod rustls_exporter {
    use super::*;
    use std::sync::{Arc, Mutex};

    use rustls::crypto::aws_lc_rs as provider;
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

    #[derive(Debug, Default)]
    struct Log(Mutex<Vec<(String, Vec<u8>)>>);

    impl rustls::KeyLog for Log {
        fn log(&self, label: &str, _client_random: &[u8], secret: &[u8]) {
            self.0
                .lock()
                .unwrap()
                .push((label.to_string(), secret.to_vec()));
        }
    }

    fn handshake(
        suite: rustls::SupportedCipherSuite,
    ) -> (rustls::ClientConnection, Vec<(String, Vec<u8>)>) {
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let cert = certified.cert.der().clone();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            certified.signing_key.serialize_der(),
        ));
        let mut prov = provider::default_provider();
        prov.cipher_suites = vec![suite];
        let prov = Arc::new(prov);

        let server_config = rustls::ServerConfig::builder_with_provider(prov.clone())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.clone()], key)
            .unwrap();
        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert).unwrap();
        let mut client_config = rustls::ClientConfig::builder_with_provider(prov)
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let log = Arc::new(Log::default());
        client_config.key_log = log.clone();

        let mut client =
            rustls::ClientConnection::new(Arc::new(client_config), "localhost".try_into().unwrap())
                .unwrap();
        let mut server = rustls::ServerConnection::new(Arc::new(server_config)).unwrap();
        for _ in 0..10 {
            let mut buf = Vec::new();
            while client.wants_write() {
                client.write_tls(&mut buf).unwrap();
            }
            server.read_tls(&mut buf.as_slice()).unwrap();
            server.process_new_packets().unwrap();
            buf.clear();
            while server.wants_write() {
                server.write_tls(&mut buf).unwrap();
            }
            client.read_tls(&mut buf.as_slice()).unwrap();
            client.process_new_packets().unwrap();
            if !client.is_handshaking() && !server.is_handshaking() {
                break;
            }
        }
        assert!(!client.is_handshaking());
        let logged = log.0.lock().unwrap().clone();
        (client, logged)
    }

    fn check(suite: rustls::SupportedCipherSuite, hash: HashAlgorithm) {
        let (client, logged) = handshake(suite);
        let (_, ems) = logged
            .iter()
            .find(|(label, _)| label == "EXPORTER_SECRET")
            .unwrap();
        let ems = Secret::from_bytes(ems).unwrap();
        assert_eq!(ems.len(), hash.output_len());
        for (label, context, len) in [
            (&b"EXPERIMENTAL padlock"[..], None, 32),
            (b"EXPERIMENTAL padlock", Some(&b""[..]), 32),
            (b"EXPERIMENTAL padlock", Some(&b"some context"[..]), 100),
            (b"EXTRACTOR-dtls_srtp", None, 60),
        ] {
            let expected = client
                .export_keying_material(vec![0u8; len], label, context)
                .unwrap();
            let mut ours = vec![0u8; len];
            export_keying_material(hash, &ems, label, context, &mut ours).unwrap();
            assert_eq!(ours, expected, "{hash:?} {len}");
        }
    }

    #[test]
    fn sha256_exporter_matches_rustls() {
        check(
            provider::cipher_suite::TLS13_AES_128_GCM_SHA256,
            HashAlgorithm::Sha256,
        );
    }

    #[test]
    fn sha384_exporter_matches_rustls() {
        check(
            provider::cipher_suite::TLS13_AES_256_GCM_SHA384,
            HashAlgorithm::Sha384,
        );
    }
}
