//! Ephemeral key exchange for the `key_share` extension (RFC 8446 §4.2.8,
//! §7.4) and the X25519MLKEM768 hybrid (draft-ietf-tls-ecdhe-mlkem).

use std::fmt;

use aws_lc_rs::agreement::{self, PrivateKey, UnparsedPublicKey};
use aws_lc_rs::kem::{self, DecapsulationKey, EncapsulationKey, ML_KEM_768};
use zeroize::Zeroizing;

use super::CryptoError;

/// ML-KEM-768 encapsulation key length (FIPS 203 §8, table 3).
const MLKEM768_ENCAP_KEY_LEN: usize = 1184;
/// ML-KEM-768 ciphertext length (FIPS 203 §8, table 3).
const MLKEM768_CIPHERTEXT_LEN: usize = 1088;
/// X25519 public values are 32 bytes (RFC 8446 §4.2.8.2, RFC 7748 §6.1).
const X25519_LEN: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Plain ECDHE with the share length of RFC 8446 §4.2.8.2 (the same
    /// for client and server).
    Ecdh(&'static agreement::Algorithm, usize),
    /// ML-KEM-768 followed by X25519, in that order in every encoding
    /// (draft-ietf-tls-ecdhe-mlkem §3 for X25519MLKEM768).
    X25519MlKem768,
}

/// A named group (RFC 8446 §4.2.7) that padlock can use for key exchange.
pub struct Group {
    /// The IANA `NamedGroup` codepoint.
    pub id: u16,
    /// The IANA name, e.g. `"X25519"` or `"secp256r1"`.
    pub name: &'static str,
    kind: Kind,
}

/// x25519 (0x001d), RFC 7748.
pub static X25519: Group = Group {
    id: 0x001d,
    name: "X25519",
    kind: Kind::Ecdh(&agreement::X25519, X25519_LEN),
};

/// secp256r1 / NIST P-256 (0x0017).
pub static SECP256R1: Group = Group {
    id: 0x0017,
    name: "secp256r1",
    kind: Kind::Ecdh(&agreement::ECDH_P256, 65),
};

/// secp384r1 / NIST P-384 (0x0018).
pub static SECP384R1: Group = Group {
    id: 0x0018,
    name: "secp384r1",
    kind: Kind::Ecdh(&agreement::ECDH_P384, 97),
};

/// X25519MLKEM768 (0x11ec), the post-quantum hybrid of
/// draft-ietf-tls-ecdhe-mlkem.
pub static X25519MLKEM768: Group = Group {
    id: 0x11ec,
    name: "X25519MLKEM768",
    kind: Kind::X25519MlKem768,
};

/// All groups in default preference order: the hybrid first, so that
/// recorded traffic stays confidential against a future quantum computer;
/// then X25519 (fast, misuse-resistant, universally supported), then the
/// NIST curves for peers that only do those.
pub static ALL_GROUPS: &[&Group] = &[&X25519MLKEM768, &X25519, &SECP256R1, &SECP384R1];

/// The group with IANA codepoint `id`, if implemented.
pub fn group_by_id(id: u16) -> Option<&'static Group> {
    ALL_GROUPS.iter().copied().find(|g| g.id == id)
}

/// The group called `name`, case-insensitively; accepts the IANA names plus
/// the aliases "P-256" and "P-384" (and "x25519mlkem768" of course).
pub fn group_by_name(name: &str) -> Option<&'static Group> {
    if name.eq_ignore_ascii_case("P-256") || name.eq_ignore_ascii_case("prime256v1") {
        return Some(&SECP256R1);
    }
    if name.eq_ignore_ascii_case("P-384") {
        return Some(&SECP384R1);
    }
    ALL_GROUPS
        .iter()
        .copied()
        .find(|g| g.name.eq_ignore_ascii_case(name))
}

impl Group {
    /// Length of the `key_exchange` field a client sends for this group.
    pub const fn client_share_len(&self) -> usize {
        match self.kind {
            Kind::Ecdh(_, len) => len,
            Kind::X25519MlKem768 => MLKEM768_ENCAP_KEY_LEN + X25519_LEN,
        }
    }

    /// Length of the `key_exchange` field a server answers with.
    pub const fn server_share_len(&self) -> usize {
        match self.kind {
            Kind::Ecdh(_, len) => len,
            Kind::X25519MlKem768 => MLKEM768_CIPHERTEXT_LEN + X25519_LEN,
        }
    }

    /// Whether the group's key exchange includes X25519 (alone or in X25519MLKEM768), whose
    /// key can be made from an [`X25519Seed`].
    pub fn uses_x25519(&self) -> bool {
        match self.kind {
            Kind::Ecdh(alg, _) => *alg == agreement::X25519,
            Kind::X25519MlKem768 => true,
        }
    }

    /// Whether the group includes a post-quantum KEM.
    pub const fn is_post_quantum(&self) -> bool {
        matches!(self.kind, Kind::X25519MlKem768)
    }
}

/// RFC 8446 §4.2.8.2: X25519 shares are 32 bytes; NIST shares are the
/// uncompressed point 0x04 || X || Y.
fn ecdh_share_len(alg: &'static agreement::Algorithm) -> usize {
    if *alg == agreement::ECDH_P256 {
        65
    } else if *alg == agreement::ECDH_P384 {
        97
    } else {
        X25519_LEN
    }
}

impl PartialEq for Group {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Group {}

impl fmt::Debug for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// The (EC)DHE shared secret, input to HKDF-Extract for the Handshake
/// Secret (RFC 8446 §7.1). Wiped on drop.
pub struct SharedSecret {
    /// Inline, so that a handshake allocates nothing for it.
    bytes: Zeroizing<[u8; MAX_SHARED_SECRET_LEN]>,
    len: usize,
}

/// The largest shared secret: X25519MLKEM768's 64 (ML-KEM-768's 32 bytes, then X25519's),
/// with room for P-521's 66 should it be offered one day (P-384's is 48).
const MAX_SHARED_SECRET_LEN: usize = 66;

impl SharedSecret {
    /// The concatenation of `parts`; an internal error if it would not fit (no group's
    /// secret is that long).
    fn from_parts(parts: &[&[u8]]) -> Result<Self, CryptoError> {
        let mut bytes = Zeroizing::new([0u8; MAX_SHARED_SECRET_LEN]);
        let mut len = 0;
        for p in parts {
            bytes
                .get_mut(len..len + p.len())
                .ok_or(CryptoError::Internal("shared secret longer than expected"))?
                .copy_from_slice(p);
            len += p.len();
        }
        Ok(Self { bytes, len })
    }

    /// The secret bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedSecret(..)")
    }
}

enum Private {
    Ecdh(PrivateKey),
    Hybrid {
        mlkem: DecapsulationKey<kem::AlgorithmId>,
        x25519: PrivateKey,
    },
}

/// An X25519 private key's 32 random bytes (RFC 7748 §5: X25519 clamps them itself),
/// drawn by the caller in the same call to the RNG as the Hello's random: each call to
/// aws-lc's RNG costs about 0.4 us whatever its length, as much as a twentieth of the key
/// exchange. Wiped on drop.
pub struct X25519Seed(Zeroizing<[u8; 32]>);

impl X25519Seed {
    /// Takes the seed out of the first 32 bytes of `random`, which the caller draws
    /// from the RNG and wipes; `None` if there are fewer.
    pub fn from_random(random: &[u8]) -> Option<Self> {
        let bytes: [u8; 32] = random.get(..32)?.try_into().ok()?;
        Some(Self(Zeroizing::new(bytes)))
    }
}

impl fmt::Debug for X25519Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("X25519Seed(..)")
    }
}

/// Fills `out` with random bytes and draws an X25519 seed in the same call to the RNG.
pub fn random_with_x25519_seed(out: &mut [u8]) -> Result<X25519Seed, CryptoError> {
    let mut buf = Zeroizing::new([0u8; 128]);
    let drawn = buf
        .get_mut(..out.len() + 32)
        .ok_or(CryptoError::Internal("too many random bytes at once"))?;
    super::random_bytes(drawn)?;
    let (public, seed) = drawn.split_at(out.len());
    out.copy_from_slice(public);
    X25519Seed::from_random(seed).ok_or(CryptoError::Internal("X25519 seed"))
}

/// A client's in-flight key exchange: the ephemeral private key(s) behind
/// one `KeyShareEntry` of the ClientHello.
pub struct KeyExchange {
    group: &'static Group,
    private: Private,
    share: Vec<u8>,
}

impl KeyExchange {
    /// Generates a fresh ephemeral key pair for `group`.
    pub fn start(group: &'static Group) -> Result<Self, CryptoError> {
        Self::start_seeded(group, None)
    }

    /// [`Self::start`], the X25519 key (alone or in X25519MLKEM768) made from `seed` when
    /// given; other groups draw their own.
    pub fn start_seeded(
        group: &'static Group,
        seed: Option<X25519Seed>,
    ) -> Result<Self, CryptoError> {
        let (private, share) = match group.kind {
            Kind::Ecdh(alg, _) => {
                let (key, public) = ecdh_keypair(alg, seed)?;
                (Private::Ecdh(key), public.as_ref().to_vec())
            }
            Kind::X25519MlKem768 => {
                let mlkem = DecapsulationKey::generate(&ML_KEM_768)
                    .map_err(|_| CryptoError::Internal("ML-KEM key generation"))?;
                let encap = mlkem
                    .encapsulation_key()
                    .and_then(|k| k.key_bytes())
                    .map_err(|_| CryptoError::Internal("ML-KEM encapsulation key"))?;
                let (x25519, x_pub) = ecdh_keypair(&agreement::X25519, seed)?;
                let mut share = Vec::with_capacity(group.client_share_len());
                share.extend_from_slice(encap.as_ref());
                share.extend_from_slice(x_pub.as_ref());
                (Private::Hybrid { mlkem, x25519 }, share)
            }
        };
        if share.len() != group.client_share_len() {
            return Err(CryptoError::Internal("unexpected key share length"));
        }
        Ok(Self {
            group,
            private,
            share,
        })
    }

    /// The group this exchange is for.
    pub fn group(&self) -> &'static Group {
        self.group
    }

    /// Our `key_exchange` bytes for the ClientHello's `KeyShareEntry`.
    pub fn public_share(&self) -> &[u8] {
        &self.share
    }

    /// Combines our private key(s) with the ServerHello's `key_exchange`.
    /// Any malformed share is `InvalidPeerShare` (`illegal_parameter`).
    pub fn complete(self, server_share: &[u8]) -> Result<SharedSecret, CryptoError> {
        match self.private {
            Private::Ecdh(key) => ecdh_agree(key, server_share),
            Private::Hybrid { mlkem, x25519 } => {
                if server_share.len() != self.group.server_share_len() {
                    return Err(CryptoError::InvalidPeerShare);
                }
                let (ct, x_pub) = server_share
                    .split_at_checked(MLKEM768_CIPHERTEXT_LEN)
                    .ok_or(CryptoError::InvalidPeerShare)?;
                // ML-KEM decapsulation of a well-sized ciphertext cannot fail
                // (implicit rejection, FIPS 203 §6.3); an error is internal.
                let mlkem_ss = mlkem
                    .decapsulate(ct.into())
                    .map_err(|_| CryptoError::InvalidPeerShare)?;
                let x_ss = ecdh_agree(x25519, x_pub)?;
                SharedSecret::from_parts(&[mlkem_ss.as_ref(), x_ss.as_bytes()])
            }
        }
    }
}

impl fmt::Debug for KeyExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyExchange")
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

/// The server side: answers a client's `key_exchange` for `group` with our
/// share and the shared secret. The client share is validated first
/// (length, point form, on-curve; ML-KEM encapsulation key check).
pub fn server_key_exchange(
    group: &'static Group,
    client_share: &[u8],
) -> Result<(Vec<u8>, SharedSecret), CryptoError> {
    server_key_exchange_seeded(group, client_share, None)
}

/// [`server_key_exchange`], the X25519 key made from `seed` when given (see
/// [`X25519Seed`]).
pub fn server_key_exchange_seeded(
    group: &'static Group,
    client_share: &[u8],
    seed: Option<X25519Seed>,
) -> Result<(Vec<u8>, SharedSecret), CryptoError> {
    match group.kind {
        Kind::Ecdh(alg, _) => {
            check_ecdh_share(alg, client_share)?;
            let (key, public) = ecdh_keypair(alg, seed)?;
            let secret = ecdh_agree(key, client_share)?;
            Ok((public.as_ref().to_vec(), secret))
        }
        Kind::X25519MlKem768 => {
            if client_share.len() != group.client_share_len() {
                return Err(CryptoError::InvalidPeerShare);
            }
            let (ek, x_client) = client_share
                .split_at_checked(MLKEM768_ENCAP_KEY_LEN)
                .ok_or(CryptoError::InvalidPeerShare)?;
            // aws-lc performs FIPS 203 §7.2's encapsulation key check
            // (coefficients reduced mod q), which the draft requires.
            let ek = EncapsulationKey::new(&ML_KEM_768, ek)
                .map_err(|_| CryptoError::InvalidPeerShare)?;
            let (ct, mlkem_ss) = ek
                .encapsulate()
                .map_err(|_| CryptoError::InvalidPeerShare)?;
            let (x_key, x_pub) = ecdh_keypair(&agreement::X25519, seed)?;
            let x_ss = ecdh_agree(x_key, x_client)?;
            let mut share = Vec::with_capacity(group.server_share_len());
            share.extend_from_slice(ct.as_ref());
            share.extend_from_slice(x_pub.as_ref());
            if share.len() != group.server_share_len() {
                return Err(CryptoError::Internal("unexpected key share length"));
            }
            Ok((
                share,
                SharedSecret::from_parts(&[mlkem_ss.as_ref(), x_ss.as_bytes()])?,
            ))
        }
    }
}

/// A fresh ECDH key pair; the public key stays inline (aws-lc-rs's `PublicKey`), copied
/// only where the share is assembled. An X25519 key is made from `seed` when given.
fn ecdh_keypair(
    alg: &'static agreement::Algorithm,
    seed: Option<X25519Seed>,
) -> Result<(PrivateKey, agreement::PublicKey), CryptoError> {
    let key = match seed {
        Some(seed) if *alg == agreement::X25519 => PrivateKey::from_private_key(alg, &*seed.0)
            .map_err(|_| CryptoError::Internal("X25519 key from seed"))?,
        _ => PrivateKey::generate(alg).map_err(|_| CryptoError::Internal("ECDH key generation"))?,
    };
    let public = key
        .compute_public_key()
        .map_err(|_| CryptoError::Internal("ECDH public key"))?;
    Ok((key, public))
}

/// aws-lc-rs also accepts compressed points and SubjectPublicKeyInfo; TLS 1.3
/// allows only the raw 32-byte X25519 value or the uncompressed point
/// (RFC 8446 §4.2.8.2), so the form is checked here first.
fn check_ecdh_share(alg: &'static agreement::Algorithm, share: &[u8]) -> Result<(), CryptoError> {
    let len_ok = share.len() == ecdh_share_len(alg);
    let form_ok = *alg == agreement::X25519 || share.first() == Some(&0x04);
    if len_ok && form_ok {
        Ok(())
    } else {
        Err(CryptoError::InvalidPeerShare)
    }
}

fn ecdh_agree(key: PrivateKey, peer: &[u8]) -> Result<SharedSecret, CryptoError> {
    let alg = key.algorithm();
    check_ecdh_share(alg, peer)?;
    let secret = agreement::agree(
        &key,
        UnparsedPublicKey::new(alg, peer),
        CryptoError::InvalidPeerShare,
        |s| SharedSecret::from_parts(&[s]),
    )?;
    // RFC 8446 §7.4.2: an all-zero X25519 output means the peer sent a
    // small-order point; it MUST be rejected. Folded so timing does not
    // depend on where a non-zero byte is.
    if *alg == agreement::X25519 && secret.as_bytes().iter().fold(0u8, |a, b| a | b) == 0 {
        return Err(CryptoError::InvalidPeerShare);
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(group: &'static Group) {
        let client = KeyExchange::start(group).unwrap();
        assert_eq!(client.group(), group);
        assert_eq!(client.public_share().len(), group.client_share_len());
        let (server_share, server_secret) =
            server_key_exchange(group, client.public_share()).unwrap();
        assert_eq!(server_share.len(), group.server_share_len());
        let client_secret = client.complete(&server_share).unwrap();
        assert_eq!(client_secret.as_bytes(), server_secret.as_bytes());
        assert!(client_secret.as_bytes().iter().any(|&b| b != 0));
    }

    /// A seeded X25519 key is X25519 of the seed (RFC 7748 §6.1's keys), on both sides,
    /// alone and inside X25519MLKEM768; the seed is taken once.
    #[test]
    fn seeded_x25519_keys() {
        use crate::key_schedule::tests::unhex;
        let alice = unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        let alice_pub = unhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        let bob = unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        let bob_pub = unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        let shared = unhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        let client = KeyExchange::start_seeded(&X25519, X25519Seed::from_random(&alice)).unwrap();
        assert_eq!(client.public_share(), &alice_pub[..]);
        let (share, server_secret) =
            server_key_exchange_seeded(&X25519, &alice_pub, X25519Seed::from_random(&bob)).unwrap();
        assert_eq!(share, bob_pub);
        assert_eq!(server_secret.as_bytes(), &shared[..]);
        assert_eq!(client.complete(&share).unwrap().as_bytes(), &shared[..]);

        let hybrid =
            KeyExchange::start_seeded(&X25519MLKEM768, X25519Seed::from_random(&alice)).unwrap();
        assert_eq!(
            &hybrid.public_share()[MLKEM768_ENCAP_KEY_LEN..],
            &alice_pub[..]
        );
        // A NIST group ignores the seed and draws its own key.
        let p256 = KeyExchange::start_seeded(&SECP256R1, X25519Seed::from_random(&alice));
        assert_eq!(p256.unwrap().public_share().len(), 65);
        assert!(X25519Seed::from_random(&alice[..31]).is_none());

        let mut random = [0u8; 64];
        let seed = random_with_x25519_seed(&mut random).unwrap();
        assert_ne!(random, [0u8; 64]);
        assert_ne!(&*seed.0, &random[..32]);
        assert!(random_with_x25519_seed(&mut [0u8; 97]).is_err());
    }

    #[test]
    fn every_group_round_trips() {
        for g in ALL_GROUPS {
            round_trip(g);
        }
    }

    #[test]
    fn share_sizes() {
        assert_eq!(X25519.client_share_len(), 32);
        assert_eq!(SECP256R1.client_share_len(), 65);
        assert_eq!(SECP384R1.server_share_len(), 97);
        assert_eq!(X25519MLKEM768.client_share_len(), 1184 + 32);
        assert_eq!(X25519MLKEM768.server_share_len(), 1088 + 32);
        let client = KeyExchange::start(&X25519MLKEM768).unwrap();
        let (share, secret) = server_key_exchange(&X25519MLKEM768, client.public_share()).unwrap();
        assert_eq!(share.len(), 1120);
        assert_eq!(secret.as_bytes().len(), 64);
    }

    /// Independent aws-lc-rs calls on the other side pin the wire layout
    /// and secret order: ML-KEM first, X25519 second, everywhere.
    #[test]
    fn hybrid_layout_is_mlkem_then_x25519() {
        // Our client against a hand-built server.
        let client = KeyExchange::start(&X25519MLKEM768).unwrap();
        let (ek, client_x) = client.public_share().split_at(1184);
        let (ct, kem_ss) = EncapsulationKey::new(&ML_KEM_768, ek)
            .unwrap()
            .encapsulate()
            .unwrap();
        let (x_key, x_pub) = ecdh_keypair(&agreement::X25519, None).unwrap();
        let x_ss = ecdh_agree(x_key, client_x).unwrap();
        let mut expected = kem_ss.as_ref().to_vec();
        expected.extend_from_slice(x_ss.as_bytes());
        let server_share = [ct.as_ref(), x_pub.as_ref()].concat();
        assert_eq!(client.complete(&server_share).unwrap().as_bytes(), expected);

        // Our server against a hand-built client.
        let dk = DecapsulationKey::generate(&ML_KEM_768).unwrap();
        let ek = dk.encapsulation_key().unwrap().key_bytes().unwrap();
        let (x_key, x_pub) = ecdh_keypair(&agreement::X25519, None).unwrap();
        let client_share = [ek.as_ref(), x_pub.as_ref()].concat();
        let (share, secret) = server_key_exchange(&X25519MLKEM768, &client_share).unwrap();
        let (ct, server_x) = share.split_at(1088);
        let kem_ss = dk.decapsulate(ct.into()).unwrap();
        let x_ss = ecdh_agree(x_key, server_x).unwrap();
        assert_eq!(&secret.as_bytes()[..32], kem_ss.as_ref());
        assert_eq!(&secret.as_bytes()[32..], x_ss.as_bytes());
    }

    #[test]
    fn lookups() {
        assert_eq!(group_by_id(0x11ec), Some(&X25519MLKEM768));
        assert_eq!(group_by_id(0x001e), None);
        assert_eq!(group_by_name("p-256"), Some(&SECP256R1));
        assert_eq!(group_by_name("P-384"), Some(&SECP384R1));
        assert_eq!(group_by_name("x25519"), Some(&X25519));
        assert_eq!(group_by_name("X25519MLKEM768"), Some(&X25519MLKEM768));
        assert_eq!(group_by_name("ffdhe2048"), None);
        assert_eq!(ALL_GROUPS[0], &X25519MLKEM768);
    }

    fn rejects_as_server(group: &'static Group, share: &[u8]) {
        assert_eq!(
            server_key_exchange(group, share).map(|_| ()).unwrap_err(),
            CryptoError::InvalidPeerShare,
            "{group} accepted {} bytes",
            share.len()
        );
    }

    fn rejects_as_client(group: &'static Group, share: &[u8]) {
        let kx = KeyExchange::start(group).unwrap();
        assert_eq!(
            kx.complete(share).map(|_| ()).unwrap_err(),
            CryptoError::InvalidPeerShare,
            "{group} accepted {} bytes",
            share.len()
        );
    }

    #[test]
    fn wrong_lengths_rejected() {
        for g in ALL_GROUPS {
            for len in [0, 1, g.client_share_len() - 1, g.client_share_len() + 1] {
                rejects_as_server(g, &vec![4u8; len]);
            }
            for len in [0, 1, g.server_share_len() - 1, g.server_share_len() + 1] {
                rejects_as_client(g, &vec![4u8; len]);
            }
        }
    }

    #[test]
    fn nist_points_must_be_uncompressed_and_on_curve() {
        for g in [&SECP256R1, &SECP384R1] {
            let good = KeyExchange::start(g).unwrap().public_share().to_vec();
            // Off the curve: perturb Y.
            let mut off = good.clone();
            *off.last_mut().unwrap() ^= 1;
            rejects_as_server(g, &off);
            rejects_as_client(g, &off);
            // Right length, wrong form byte (compressed / hybrid markers).
            for form in [0x00, 0x02, 0x03, 0x06, 0x07] {
                let mut bad = good.clone();
                bad[0] = form;
                rejects_as_server(g, &bad);
                rejects_as_client(g, &bad);
            }
            // A valid compressed point is still refused (RFC 8446 §4.2.8.2).
            let field = (good.len() - 1) / 2;
            let mut compressed = vec![0x02 | (good[good.len() - 1] & 1)];
            compressed.extend_from_slice(&good[1..=field]);
            rejects_as_server(g, &compressed);
            // The point at infinity / all zeros.
            let mut zeros = vec![0u8; good.len()];
            zeros[0] = 4;
            rejects_as_server(g, &zeros);
        }
    }

    #[test]
    fn small_order_x25519_rejected() {
        // The all-zero u-coordinate and the order-8 point from RFC 7748's
        // and libsodium's blocklists give an all-zero shared secret.
        let zero = [0u8; 32];
        let mut one = [0u8; 32];
        one[0] = 1;
        let order8 = [
            0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f,
            0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16,
            0x5f, 0x49, 0xb8, 0x00,
        ];
        for bad in [zero, one, order8] {
            rejects_as_server(&X25519, &bad);
            rejects_as_client(&X25519, &bad);
        }
        // The hybrid checks its X25519 half too.
        let client = KeyExchange::start(&X25519MLKEM768).unwrap();
        let mut share = client.public_share().to_vec();
        share[1184..].copy_from_slice(&zero);
        rejects_as_server(&X25519MLKEM768, &share);
        let (mut server_share, _) =
            server_key_exchange(&X25519MLKEM768, client.public_share()).unwrap();
        server_share[1088..].copy_from_slice(&zero);
        assert_eq!(
            client.complete(&server_share).map(|_| ()).unwrap_err(),
            CryptoError::InvalidPeerShare
        );
    }

    #[test]
    fn mlkem_encapsulation_key_check() {
        // FIPS 203 §7.2: every 12-bit coefficient must be < q = 3329.
        // Setting the first coefficient to 0xfff makes the key invalid.
        let client = KeyExchange::start(&X25519MLKEM768).unwrap();
        let mut share = client.public_share().to_vec();
        share[0] = 0xff;
        share[1] |= 0x0f;
        rejects_as_server(&X25519MLKEM768, &share);
    }

    #[test]
    fn garbage_shares_never_panic() {
        let mut seed = 0x9e37_79b9u32;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            (seed & 0xff) as u8
        };
        for g in ALL_GROUPS {
            for len in [g.client_share_len(), g.server_share_len(), 3, 64] {
                let share: Vec<u8> = (0..len).map(|_| next()).collect();
                let _ = server_key_exchange(g, &share);
                let _ = KeyExchange::start(g).unwrap().complete(&share);
            }
        }
    }
}

/// Cross-checks against rustls's independent implementations of the same
/// groups (over the same aws-lc, but with its own wire handling), in both
/// directions.
#[cfg(test)]
mod rustls_interop {
    use super::*;
    use rustls::crypto::aws_lc_rs::kx_group;
    use rustls::crypto::SupportedKxGroup;

    fn pairs() -> [(&'static Group, &'static dyn SupportedKxGroup); 4] {
        [
            (&X25519, kx_group::X25519),
            (&SECP256R1, kx_group::SECP256R1),
            (&SECP384R1, kx_group::SECP384R1),
            (&X25519MLKEM768, kx_group::X25519MLKEM768),
        ]
    }

    #[test]
    fn our_client_their_server() {
        for (ours, theirs) in pairs() {
            assert_eq!(u16::from(theirs.name()), ours.id);
            let client = KeyExchange::start(ours).unwrap();
            let done = theirs.start_and_complete(client.public_share()).unwrap();
            let secret = client.complete(&done.pub_key).unwrap();
            assert_eq!(secret.as_bytes(), done.secret.secret_bytes(), "{ours}");
        }
    }

    #[test]
    fn their_client_our_server() {
        for (ours, theirs) in pairs() {
            let client = theirs.start().unwrap();
            let (share, secret) = server_key_exchange(ours, client.pub_key()).unwrap();
            let theirs_secret = client.complete(&share).unwrap();
            assert_eq!(secret.as_bytes(), theirs_secret.secret_bytes(), "{ours}");
        }
    }
}
