//! The floor: what the primitives a handshake or a record cannot avoid cost when called on
//! aws-lc-rs directly, with no TLS around them. Both stacks sit on these same primitives, so
//! the floor says how far each is from the limit.

use std::hint::black_box;

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey};
use aws_lc_rs::kem::{DecapsulationKey, EncapsulationKey, ML_KEM_768};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};
use aws_lc_rs::{digest, hkdf, hmac};

use crate::harness::Start;
use crate::pki::{Identity, KeyType};
use crate::report::Row;
use crate::stacks::{Group, Suite};
use crate::Settings;

/// Runs `op` repeatedly for about `secs` (on the run's clock, like every other figure) and
/// returns seconds per call.
fn per_op(secs: f64, mut op: impl FnMut()) -> f64 {
    op(); // warm caches and lazily initialised state
    let start = Start::now();
    let mut n = 0u64;
    let mut batch = 1u64;
    while start.secs() < secs {
        for _ in 0..batch {
            op();
        }
        n += batch;
        batch = (batch * 2).min(1024);
    }
    start.secs() / n as f64
}

fn x25519_keypair() -> (EphemeralPrivateKey, Vec<u8>) {
    let rng = SystemRandom::new();
    let key = EphemeralPrivateKey::generate(&agreement::X25519, &rng).expect("X25519 key");
    let public = key.compute_public_key().expect("X25519 public key");
    (key, public.as_ref().to_vec())
}

/// One side's X25519: generate a key pair and agree with the peer's share.
fn x25519_side(peer: &[u8]) {
    let (key, public) = x25519_keypair();
    black_box(public);
    agreement::agree_ephemeral(
        key,
        UnparsedPublicKey::new(&agreement::X25519, peer),
        (),
        |s| {
            black_box(s);
            Ok(())
        },
    )
    .expect("X25519 agreement");
}

/// The client's ML-KEM-768 part: generate the decapsulation key, export the encapsulation
/// key, decapsulate the server's ciphertext.
fn mlkem_client(ciphertext: &[u8]) {
    let dk = DecapsulationKey::generate(&ML_KEM_768).expect("ML-KEM key");
    let ek = dk.encapsulation_key().expect("encapsulation key");
    black_box(ek.key_bytes().expect("encapsulation key bytes"));
    black_box(dk.decapsulate(ciphertext.into()).expect("decapsulation"));
}

/// The server's ML-KEM-768 part: parse (and check) the client's key, encapsulate.
fn mlkem_server(ek_bytes: &[u8]) {
    let ek = EncapsulationKey::new(&ML_KEM_768, ek_bytes).expect("encapsulation key");
    black_box(ek.encapsulate().expect("encapsulation"));
}

struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// RFC 8446 §7.1 HKDF-Expand-Label.
fn expand_label(prk: &hkdf::Prk, label: &[u8], context: &[u8], out: &mut [u8]) {
    let len = u16::try_from(out.len()).unwrap_or(0).to_be_bytes();
    let label_len = [u8::try_from(6 + label.len()).unwrap_or(0)];
    let context_len = [u8::try_from(context.len()).unwrap_or(0)];
    let info: [&[u8]; 6] = [&len, &label_len, b"tls13 ", label, &context_len, context];
    prk.expand(&info, Len(out.len()))
        .and_then(|okm| okm.fill(out))
        .expect("HKDF-Expand-Label");
}

/// One side's key schedule for a full SHA-256 handshake without a PSK (RFC 8446 §7.1, §7.3,
/// §4.4.4), from the ECDHE secret on: the handshake secret and its two traffic secrets, the
/// master secret and the two application traffic secrets, the four traffic key/iv pairs,
/// and the two finished keys with their HMACs. Left out as avoidable: the early secret and
/// the salt derived from it, constants when there is no PSK (computed once, here as in
/// padlock), and the exporter master secret, which only an application that exports keying
/// material needs (§7.5). `hashes` stands in for the transcript snapshots (see
/// [`transcript_hash`]).
fn key_schedule(derived_salt: &[u8], shared: &[u8], hashes: &[digest::Digest; 4]) {
    let alg = hkdf::HKDF_SHA256;
    let zeros = [0u8; 32];
    let empty_hash = digest::digest(&digest::SHA256, b"");
    let hash = |i: usize| hashes.get(i).map(|d| d.as_ref()).unwrap_or_default();

    let hs = hkdf::Salt::new(alg, derived_salt).extract(shared);
    let (mut c_hs, mut s_hs, mut derived) = ([0u8; 32], [0u8; 32], [0u8; 32]);
    expand_label(&hs, b"c hs traffic", hash(0), &mut c_hs);
    expand_label(&hs, b"s hs traffic", hash(0), &mut s_hs);
    expand_label(&hs, b"derived", empty_hash.as_ref(), &mut derived);
    let master = hkdf::Salt::new(alg, &derived).extract(&zeros);
    let (mut c_ap, mut s_ap) = ([0u8; 32], [0u8; 32]);
    expand_label(&master, b"c ap traffic", hash(3), &mut c_ap);
    expand_label(&master, b"s ap traffic", hash(3), &mut s_ap);
    for secret in [&c_hs, &s_hs, &c_ap, &s_ap] {
        let prk = hkdf::Prk::new_less_safe(alg, secret);
        let (mut key, mut iv) = ([0u8; 16], [0u8; 12]);
        expand_label(&prk, b"key", b"", &mut key);
        expand_label(&prk, b"iv", b"", &mut iv);
        black_box((key, iv));
    }
    for (secret, h) in [(&s_hs, hash(2)), (&c_hs, hash(3))] {
        let prk = hkdf::Prk::new_less_safe(alg, secret);
        let mut finished_key = [0u8; 32];
        expand_label(&prk, b"finished", b"", &mut finished_key);
        let key = hmac::Key::new(hmac::HMAC_SHA256, &finished_key);
        black_box(hmac::sign(&key, h));
    }
}

/// The salt a PSK-less handshake secret is extracted with: Derive-Secret(Early Secret,
/// "derived", "") of the all-zero early secret, the same for every such handshake.
fn no_psk_salt() -> [u8; 32] {
    let alg = hkdf::HKDF_SHA256;
    let zeros = [0u8; 32];
    let early = hkdf::Salt::new(alg, &zeros).extract(&zeros);
    let empty_hash = digest::digest(&digest::SHA256, b"");
    let mut derived = [0u8; 32];
    expand_label(&early, b"derived", empty_hash.as_ref(), &mut derived);
    derived
}

/// The transcript hash of a full handshake (RFC 8446 §4.4.1) over `transcript`, the
/// configuration's real message bytes, with the four snapshots the key schedule and the
/// authentication messages read: after ServerHello (handshake traffic secrets), after
/// Certificate (CertificateVerify), after CertificateVerify (the server's Finished), after
/// the server's Finished (application secrets, the client's Finished). Split evenly here:
/// where the snapshots fall does not change the cost.
fn transcript_hash(transcript: &[u8]) -> [digest::Digest; 4] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    let quarter = transcript.len().div_ceil(4).max(1);
    let mut parts = transcript.chunks(quarter);
    std::array::from_fn(|_| {
        ctx.update(parts.next().unwrap_or_default());
        ctx.clone().finish()
    })
}

/// One primitive (or a fixed sequence of them) with its inputs, run again and again.
type Op = Box<dyn FnMut()>;

/// Record protection of one handshake (RFC 8446 §5.2), (client, server): each side sets up
/// its four traffic keys (handshake and application, both directions; aws-lc's AES-GCM key
/// schedule and GHASH table), seals its own encrypted flight and opens the other's, each
/// flight one record with its content-type byte.
fn record_ops(server_flight: usize, client_flight: usize) -> (Op, Op) {
    fn keys() -> [LessSafeKey; 4] {
        std::array::from_fn(|i| {
            let bytes = [u8::try_from(i).unwrap_or(0); 16];
            LessSafeKey::new(
                UnboundKey::new(&aws_lc_rs::aead::AES_128_GCM, &bytes).expect("AEAD key"),
            )
        })
    }
    const HEADER: [u8; 5] = [23, 3, 3, 0, 0];
    let nonce = || Nonce::assume_unique_for_key([0; 12]);
    let sealed = |len: usize| {
        let mut record = vec![0x16u8; len + 1];
        let [key, ..] = keys();
        let tag = key
            .seal_in_place_separate_tag(nonce(), Aad::from(HEADER), &mut record)
            .expect("seal");
        record.extend_from_slice(tag.as_ref());
        record
    };
    let side = |send_len: usize, received: Vec<u8>| -> Op {
        let [key, ..] = keys();
        let mut out = vec![0x16u8; send_len + 1];
        let mut plain = vec![0u8; received.len().saturating_sub(16)];
        Box::new(move || {
            let fresh = keys();
            black_box(&fresh);
            let tag = key
                .seal_in_place_separate_tag(nonce(), Aad::from(HEADER), &mut out)
                .expect("seal");
            let _ = black_box(tag);
            let (ciphertext, tag) = received.split_at(received.len().saturating_sub(16));
            key.open_separate_gather(nonce(), Aad::from(HEADER), ciphertext, tag, &mut plain)
                .expect("open");
            black_box(&plain);
        })
    };
    (
        side(client_flight, sealed(server_flight)),
        side(server_flight, sealed(client_flight)),
    )
}

/// A CertificateVerify-sized message (RFC 8446 §4.4.3: 64 spaces, context, 0, hash).
const CV_MESSAGE: [u8; 130] = [0x20; 130];
/// A TBSCertificate-sized message for the chain's signatures.
const TBS_MESSAGE: [u8; 600] = [0x30; 600];

/// Signing and verification with one identity's leaf key.
struct Signer {
    key_type: KeyType,
    ecdsa: Option<EcdsaKeyPair>,
    rsa: Option<RsaKeyPair>,
}

impl Signer {
    fn new(id: &Identity) -> Self {
        match id.key_type {
            KeyType::EcdsaP256 => Self {
                key_type: id.key_type,
                ecdsa: Some(
                    EcdsaKeyPair::from_pkcs8(
                        &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                        &id.key_pkcs8,
                    )
                    .expect("ECDSA key"),
                ),
                rsa: None,
            },
            KeyType::Rsa2048 => Self {
                key_type: id.key_type,
                ecdsa: None,
                rsa: Some(RsaKeyPair::from_pkcs8(&id.key_pkcs8).expect("RSA key")),
            },
        }
    }

    /// The CertificateVerify signature: ECDSA, or RSA-PSS (RFC 8446 §4.2.3).
    fn sign(&self, msg: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        if let Some(k) = &self.ecdsa {
            return k.sign(&rng, msg).expect("ECDSA sign").as_ref().to_vec();
        }
        if let Some(k) = &self.rsa {
            let mut sig = vec![0; k.public_modulus_len()];
            k.sign(&signature::RSA_PSS_SHA256, &rng, msg, &mut sig)
                .expect("RSA sign");
            return sig;
        }
        unreachable!("a signer has a key")
    }

    /// A certificate signature: ECDSA, or RSA PKCS#1 v1.5 as rcgen issues them.
    fn sign_cert(&self, msg: &[u8]) -> Vec<u8> {
        match &self.rsa {
            Some(k) => {
                let mut sig = vec![0; k.public_modulus_len()];
                k.sign(
                    &signature::RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    msg,
                    &mut sig,
                )
                .expect("RSA sign");
                sig
            }
            None => self.sign(msg),
        }
    }

    fn public_key(&self) -> Vec<u8> {
        match (&self.ecdsa, &self.rsa) {
            (Some(k), _) => k.public_key().as_ref().to_vec(),
            (_, Some(k)) => k.public_key().as_ref().to_vec(),
            _ => unreachable!("a signer has a key"),
        }
    }

    fn verify_alg(&self, cert: bool) -> &'static dyn signature::VerificationAlgorithm {
        match (self.key_type, cert) {
            (KeyType::EcdsaP256, _) => &signature::ECDSA_P256_SHA256_ASN1,
            (KeyType::Rsa2048, false) => &signature::RSA_PSS_2048_8192_SHA256,
            (KeyType::Rsa2048, true) => &signature::RSA_PKCS1_2048_8192_SHA256,
        }
    }
}

/// Each signature primitive of one identity, with its inputs.
struct SignOps {
    sign: Op,
    verify_cv: Op,
    verify_cert: Op,
}

fn sign_ops(id: &Identity) -> SignOps {
    let s = std::rc::Rc::new(Signer::new(id));
    let public = s.public_key();
    let cv_sig = s.sign(&CV_MESSAGE);
    let cert_sig = s.sign_cert(&TBS_MESSAGE);
    // Every key is parsed once, outside the measurement: a key met before need not be
    // parsed again (padlock-cert keeps anchors', intermediates' and end entities' keys
    // parsed), so parsing is not part of what a handshake cannot avoid.
    let verify = |cert: bool, msg: &'static [u8], sig: Vec<u8>| -> Op {
        let parsed = signature::ParsedPublicKey::new(s.verify_alg(cert), &public)
            .expect("public key parses");
        Box::new(move || {
            parsed.verify_sig(msg, &sig).expect("signature verifies");
        })
    };
    let signer = std::rc::Rc::clone(&s);
    SignOps {
        sign: Box::new(move || {
            black_box(signer.sign(&CV_MESSAGE));
        }),
        verify_cv: verify(false, &CV_MESSAGE, cv_sig),
        verify_cert: verify(true, &TBS_MESSAGE, cert_sig),
    }
}

/// One group's key exchange as each side does it, (client, server).
fn kx_ops(group: Group) -> (Op, Op) {
    let x25519 = || -> Op {
        let (_, peer) = x25519_keypair();
        Box::new(move || x25519_side(&peer))
    };
    match group {
        Group::X25519 => (x25519(), x25519()),
        Group::X25519MlKem768 => {
            let dk = DecapsulationKey::generate(&ML_KEM_768).expect("ML-KEM key");
            let ek = dk.encapsulation_key().expect("encapsulation key");
            let ek_bytes = ek.key_bytes().expect("key bytes").as_ref().to_vec();
            let (ct, _) = ek.encapsulate().expect("encapsulation");
            let ct = ct.as_ref().to_vec();
            let (mut xc, mut xs) = (x25519(), x25519());
            (
                Box::new(move || {
                    xc();
                    mlkem_client(&ct);
                }),
                Box::new(move || {
                    xs();
                    mlkem_server(&ek_bytes);
                }),
            )
        }
    }
}

/// The floor of each handshake configuration, per side.
pub struct HandshakeFloor {
    pub key: &'static str,
    pub group: Group,
    /// Handshakes per second if only the primitives cost anything.
    pub client: f64,
    pub server: f64,
}

/// Floor rows for the handshake primitives, and the per-configuration floors.
pub fn handshake(settings: &Settings, ids: &[Identity]) -> (Vec<Row>, Vec<HandshakeFloor>) {
    let secs = settings.floor_secs;
    let cost = |op: &mut Op| per_op(secs, &mut *op);
    let mut rows = Vec::new();
    let salt = no_psk_salt();
    let key_schedule_op = || -> Op {
        let sample = transcript_hash(&[0x16; 2048]);
        Box::new(move || key_schedule(&salt, &[7u8; 32], &sample))
    };
    let hkdf = cost(&mut key_schedule_op());
    for g in Group::ALL {
        let (mut c, mut s) = kx_ops(g);
        match g {
            Group::X25519 => rows.push(Row::floor(
                "kx X25519 keygen+agree (each side)",
                1.0 / cost(&mut c),
                "ops/s",
            )),
            Group::X25519MlKem768 => {
                rows.push(Row::floor(
                    "kx X25519MLKEM768 client (X25519 + ML-KEM keygen+decaps)",
                    1.0 / cost(&mut c),
                    "ops/s",
                ));
                rows.push(Row::floor(
                    "kx X25519MLKEM768 server (X25519 + ML-KEM encaps)",
                    1.0 / cost(&mut s),
                    "ops/s",
                ));
            }
        }
    }
    rows.push(Row::floor(
        "hkdf TLS 1.3 key schedule, one side (SHA-256, no PSK, no exporter)",
        1.0 / hkdf,
        "ops/s",
    ));
    let random_op = || -> Op {
        Box::new(|| {
            let mut random = [0u8; 32];
            aws_lc_rs::rand::fill(&mut random).expect("random bytes");
            black_box(random);
        })
    };
    rows.push(Row::floor(
        "random 32 bytes (the Hello's random, one per side)",
        1.0 / cost(&mut random_op()),
        "ops/s",
    ));
    let mut floors = Vec::new();
    for id in ids {
        let mut ops = sign_ops(id);
        let label = id.key_type.label();
        let (cv, cert) = match id.key_type {
            KeyType::EcdsaP256 => ("ecdsa-p256", "ecdsa-p256"),
            KeyType::Rsa2048 => ("rsa2048 pss", "rsa2048 pkcs1"),
        };
        rows.push(Row::floor(
            format!("sign {cv} (CertificateVerify)"),
            1.0 / cost(&mut ops.sign),
            "ops/s",
        ));
        rows.push(Row::floor(
            format!("verify {cv} (CertificateVerify, key parsed once)"),
            1.0 / cost(&mut ops.verify_cv),
            "ops/s",
        ));
        rows.push(Row::floor(
            format!("verify {cert} (certificate signature, key parsed once)"),
            1.0 / cost(&mut ops.verify_cert),
            "ops/s",
        ));
        for g in Group::ALL {
            let bytes = crate::handshake::handshake_bytes(id, g);
            let transcript_op = || -> Op {
                let transcript = vec![0x16u8; bytes.transcript];
                Box::new(move || {
                    black_box(transcript_hash(&transcript));
                })
            };
            rows.push(Row::floor(
                format!(
                    "transcript hash {label} {} ({} bytes, 4 snapshots)",
                    g.label(),
                    bytes.transcript
                ),
                1.0 / cost(&mut transcript_op()),
                "ops/s",
            ));
            let (mut rc, mut rs) = record_ops(bytes.server_flight, bytes.client_flight);
            rows.push(Row::floor(
                format!(
                    "records {label} {}: 4 AES-128-GCM keys, seal+open of {} and {} bytes (per side)",
                    g.label(),
                    bytes.server_flight,
                    bytes.client_flight
                ),
                2.0 / (cost(&mut rc) + cost(&mut rs)),
                "ops/s",
            ));
            // Each side's primitives run one after the other, as in a handshake, so that
            // what they cost each other (caches, branch predictors) counts too: the client
            // checks two certificate signatures (leaf, intermediate) and the
            // CertificateVerify, the server signs once; both draw their Hello's random,
            // exchange keys, hash the same transcript, run the whole key schedule, set up
            // four record keys and protect the two encrypted flights.
            let (kc, ks) = kx_ops(g);
            let (first, second) = (sign_ops(id), sign_ops(id));
            let client_ops = vec![
                random_op(),
                kc,
                transcript_op(),
                key_schedule_op(),
                rc,
                first.verify_cert,
                second.verify_cert,
                first.verify_cv,
            ];
            let server_ops = vec![
                random_op(),
                ks,
                transcript_op(),
                key_schedule_op(),
                rs,
                second.sign,
            ];
            let sides = [("client", client_ops), ("server", server_ops)].map(|(side, mut seq)| {
                let rate = 1.0 / per_op(secs, || seq.iter_mut().for_each(|op| op()));
                rows.push(Row::floor(
                    format!("handshake {side} {label} {} (primitives only)", g.label()),
                    rate,
                    "handshakes/s",
                ));
                (side, rate)
            });
            let [(_, client), (_, server)] = sides;
            floors.push(HandshakeFloor {
                key: label,
                group: g,
                client,
                server,
            });
        }
    }
    (rows, floors)
}

/// Raw AEAD throughput on 16 KiB records: (seal, open) MiB/s per suite.
pub fn aead(settings: &Settings) -> (Vec<Row>, Vec<(Suite, f64, f64)>) {
    const RECORD: usize = 16 * 1024;
    let mut rows = Vec::new();
    let mut rates = Vec::new();
    for suite in Suite::ALL {
        let alg = suite.aead();
        let key_bytes = vec![0x42u8; alg.key_len()];
        let key = LessSafeKey::new(UnboundKey::new(alg, &key_bytes).expect("AEAD key"));
        let header = [23u8, 3, 3, 0x40, 0x11];
        let mut buf = vec![0x5au8; RECORD];
        let mut seq = 0u64;
        let nonce = |seq: u64| {
            let [a, b, c, d, e, f, g, h] = seq.to_be_bytes();
            Nonce::assume_unique_for_key([0, 0, 0, 0, a, b, c, d, e, f, g, h])
        };
        let seal = per_op(settings.floor_secs, || {
            seq += 1;
            let tag = key
                .seal_in_place_separate_tag(nonce(seq), Aad::from(header), &mut buf)
                .expect("seal");
            let _ = black_box(tag);
        });
        let mut ciphertext = vec![0x5au8; RECORD];
        let tag = key
            .seal_in_place_separate_tag(nonce(0), Aad::from(header), &mut ciphertext)
            .expect("seal");
        let mut plaintext = vec![0u8; RECORD];
        // Out of place, so the same ciphertext can be opened again and again; aws-lc runs
        // the same AEAD code as for in-place opening.
        let open = per_op(settings.floor_secs, || {
            key.open_separate_gather(
                nonce(0),
                Aad::from(header),
                &ciphertext,
                tag.as_ref(),
                &mut plaintext,
            )
            .expect("open");
            black_box(&plaintext);
        });
        let mib = RECORD as f64 / f64::from(1 << 20);
        rows.push(Row::floor(
            format!(
                "aead seal {} 16KiB records (one record, cache-hot)",
                suite.label()
            ),
            mib / seal,
            "MiB/s",
        ));
        rows.push(Row::floor(
            format!(
                "aead open {} 16KiB records (one record, cache-hot)",
                suite.label()
            ),
            mib / open,
            "MiB/s",
        ));
        let (seal_stream, open_stream) = aead_streams(settings, &key);
        rows.push(Row::floor(
            format!(
                "aead seal {} 16KiB records, 1 MiB out of place",
                suite.label()
            ),
            1.0 / seal_stream,
            "MiB/s",
        ));
        rows.push(Row::floor(
            format!(
                "aead open {} 16KiB records, 1 MiB out of place",
                suite.label()
            ),
            1.0 / open_stream,
            "MiB/s",
        ));
        rates.push((suite, 1.0 / seal_stream, 1.0 / open_stream));
    }
    (rows, rates)
}

/// What the bulk rows cannot avoid, per MiB: sealing a 1 MiB write as 64 records of 16 KiB
/// from the application's buffer into a wire buffer (each with its content-type byte and
/// tag), and opening 64 such records into a plaintext buffer: the AEAD over every byte,
/// read from one place and written to another once, as a send or a receive must. Seconds
/// per MiB, (seal, open).
fn aead_streams(settings: &Settings, key: &LessSafeKey) -> (f64, f64) {
    const RECORD: usize = 16 * 1024;
    const RECORDS: usize = 64;
    let tag_len = key.algorithm().tag_len();
    let wire_record = RECORD + 1 + tag_len;
    let header = [23u8, 3, 3, 0x40, 0x11];
    let nonce = |seq: usize| {
        let [a, b, c, d, e, f, g, h] = (seq as u64).to_be_bytes();
        Nonce::assume_unique_for_key([0, 0, 0, 0, a, b, c, d, e, f, g, h])
    };
    let plaintext = vec![0x5au8; RECORD * RECORDS];
    let mut wire = vec![0u8; wire_record * RECORDS];
    let seal_all = |wire: &mut [u8]| {
        for (i, (src, dst)) in plaintext
            .chunks(RECORD)
            .zip(wire.chunks_mut(wire_record))
            .enumerate()
        {
            let (ciphertext, type_and_tag) = dst.split_at_mut(RECORD);
            key.seal_out_of_place_scatter(
                nonce(i),
                Aad::from(header),
                src,
                ciphertext,
                &[23],
                type_and_tag,
            )
            .expect("seal");
        }
    };
    seal_all(&mut wire);
    let sealed = wire.clone();
    let seal = per_op(settings.floor_secs, || seal_all(&mut wire));
    let mut opened = vec![0u8; (RECORD + 1) * RECORDS];
    let open = per_op(settings.floor_secs, || {
        for (i, (src, dst)) in sealed
            .chunks(wire_record)
            .zip(opened.chunks_mut(RECORD + 1))
            .enumerate()
        {
            let (ciphertext, tag) = src.split_at(RECORD + 1);
            key.open_separate_gather(nonce(i), Aad::from(header), ciphertext, tag, dst)
                .expect("open");
        }
        black_box(&opened);
    });
    (seal, open)
}
