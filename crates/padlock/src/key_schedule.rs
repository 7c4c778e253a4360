//! The TLS 1.3 key schedule (RFC 8446 §7), as a typestate:
//! [`EarlySecret`] → [`HandshakeSecret`] → [`MasterSecret`], plus the free
//! functions that derive traffic keys, Finished values, key updates,
//! resumption PSKs and exported keying material from their secrets.
//!
//! ```text
//! EarlySecret::new(hash, psk)      binder_key, client_early_traffic_secret,
//!   .into_handshake_secret(ecdhe)  early_exporter_master_secret
//! HandshakeSecret                  {client,server}_handshake_traffic_secret(CH..SH)
//!   .into_master_secret()
//! MasterSecret                     {client,server}_application_traffic_secret_0,
//!                                  exporter_master_secret (CH..server Finished),
//!                                  resumption_master_secret (CH..client Finished)
//! ```
//!
//! Every `&[u8]` transcript argument is a Transcript-Hash output (see
//! [`crate::transcript`]), never raw messages. Derivations return `Result`
//! only because aws-lc-rs's HKDF-Expand is fallible in its signature; with
//! the fixed lengths used here it fails only on an internal error.

use std::fmt;
use std::sync::OnceLock;

use aws_lc_rs::{hkdf, hmac};
use zeroize::Zeroize;

use crate::crypto::suites::IV_LEN;
use crate::crypto::{CipherSuite, CryptoError, HashAlgorithm, Output, MAX_HASH_LEN};

/// Every HkdfLabel.label starts with this (RFC 8446 §7.1).
const LABEL_PREFIX: &[u8] = b"tls13 ";

/// A secret of the key schedule (Hash.length bytes), wiped on drop.
#[derive(Clone)]
pub struct Secret {
    buf: [u8; MAX_HASH_LEN],
    len: usize,
}

impl Secret {
    /// Wraps stored secret bytes (e.g. a resumption PSK from a ticket).
    /// At most [`MAX_HASH_LEN`] bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        let mut buf = [0u8; MAX_HASH_LEN];
        buf.get_mut(..bytes.len())
            .ok_or(CryptoError::InvalidLength)?
            .copy_from_slice(bytes);
        Ok(Self {
            buf,
            len: bytes.len(),
        })
    }

    /// The secret bytes (for SSLKEYLOGFILE or ticket storage).
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the secret is empty (never, for schedule outputs).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({} bytes)", self.len)
    }
}

/// HKDF-Extract (RFC 5869 §2.2) is HMAC-Hash(salt, IKM). aws-lc-rs's
/// `hkdf::Prk` cannot be read back as bytes, and TLS 1.3 chains the
/// extracted secrets through Derive-Secret, so the extract step is done with
/// aws-lc-rs's HMAC directly.
fn hkdf_extract(hash: HashAlgorithm, salt: &[u8], ikm: &[u8]) -> Secret {
    let key = hmac::Key::new(hash.hmac_algorithm(), salt);
    let tag = hmac::sign(&key, ikm);
    // A tag is exactly Hash.length <= MAX_HASH_LEN bytes.
    Secret::from_bytes(tag.as_ref()).unwrap_or(Secret {
        buf: [0u8; MAX_HASH_LEN],
        len: 0,
    })
}

struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// A secret keyed once for the HKDF-Expand-Label calls made from it (RFC 8446 §7.1): the
/// handshake secret gives three secrets, the master secret up to four, a traffic secret its
/// key and iv. aws-lc-rs's `Prk` copies the key in and wipes it when dropped, so one per
/// secret rather than one per label.
#[derive(Clone)]
struct Expander {
    hash: HashAlgorithm,
    prk: hkdf::Prk,
}

impl Expander {
    fn new(hash: HashAlgorithm, secret: &Secret) -> Result<Self, CryptoError> {
        if secret.len() != hash.output_len() {
            return Err(CryptoError::Internal(
                "secret length does not match the hash",
            ));
        }
        // Prk::new_less_safe accepts up to 64 bytes; secrets are at most 48.
        let prk = hkdf::Prk::new_less_safe(hash.hkdf_algorithm(), secret.as_bytes());
        Ok(Self { hash, prk })
    }

    /// HKDF-Expand-Label(Secret, Label, Context, Length), writing `out.len()` bytes.
    fn expand_label(
        &self,
        label: &[u8],
        context: &[u8],
        out: &mut [u8],
    ) -> Result<(), CryptoError> {
        // struct { uint16 length; opaque label<7..255>; opaque context<0..255>; }
        let length = u16::try_from(out.len()).map_err(|_| CryptoError::InvalidLength)?;
        let label_len = u8::try_from(LABEL_PREFIX.len() + label.len())
            .map_err(|_| CryptoError::InvalidLength)?;
        let context_len = u8::try_from(context.len()).map_err(|_| CryptoError::InvalidLength)?;
        let length = length.to_be_bytes();
        let info: [&[u8]; 6] = [
            &length,
            &[label_len],
            LABEL_PREFIX,
            label,
            &[context_len],
            context,
        ];
        self.prk
            .expand(&info, Len(out.len()))
            .and_then(|okm| okm.fill(out))
            .map_err(|_| CryptoError::InvalidLength)
    }

    /// Derive-Secret(Secret, Label, Messages), given Transcript-Hash(Messages).
    fn derive_secret(&self, label: &[u8], transcript_hash: &[u8]) -> Result<Secret, CryptoError> {
        let mut buf = [0u8; MAX_HASH_LEN];
        let out = buf
            .get_mut(..self.hash.output_len())
            .ok_or(CryptoError::Internal("hash longer than MAX_HASH_LEN"))?;
        let result = self
            .expand_label(label, transcript_hash, out)
            .and_then(|()| Secret::from_bytes(out));
        buf.zeroize();
        result
    }

    /// The "derived" step between stages: Derive-Secret(., "derived", "").
    fn next_stage_salt(&self) -> Result<Secret, CryptoError> {
        self.derive_secret(b"derived", &self.hash.empty_hash())
    }
}

/// HKDF-Expand-Label(Secret, Label, Context, Length) of RFC 8446 §7.1,
/// writing `out.len()` bytes. `label` is without the "tls13 " prefix.
pub fn hkdf_expand_label(
    hash: HashAlgorithm,
    secret: &Secret,
    label: &[u8],
    context: &[u8],
    out: &mut [u8],
) -> Result<(), CryptoError> {
    Expander::new(hash, secret)?.expand_label(label, context, out)
}

/// Derive-Secret(Secret, Label, Messages) of RFC 8446 §7.1, given
/// `transcript_hash` = Transcript-Hash(Messages).
pub fn derive_secret(
    hash: HashAlgorithm,
    secret: &Secret,
    label: &[u8],
    transcript_hash: &[u8],
) -> Result<Secret, CryptoError> {
    Expander::new(hash, secret)?.derive_secret(label, transcript_hash)
}

/// The "derived" step between stages: Derive-Secret(., "derived", "").
fn next_stage_salt(hash: HashAlgorithm, secret: &Secret) -> Result<Secret, CryptoError> {
    Expander::new(hash, secret)?.next_stage_salt()
}

/// Early Secret = HKDF-Extract(0, PSK) (RFC 8446 §7.1).
pub struct EarlySecret {
    hash: HashAlgorithm,
    secret: Secret,
    /// No PSK: the secret is the public constant HKDF-Extract(0, 0).
    without_psk: bool,
}

/// Without a PSK, the Early Secret and the salt it hands to the handshake stage
/// (Derive-Secret(., "derived", "")) depend on nothing but the hash: public constants,
/// derived once per hash algorithm instead of on every full handshake.
struct NoPskConstants {
    early: Secret,
    derived: Secret,
}

fn no_psk_constants(hash: HashAlgorithm) -> Option<&'static NoPskConstants> {
    static CONSTANTS: [OnceLock<Option<NoPskConstants>>; 2] = [OnceLock::new(), OnceLock::new()];
    hash.slot(&CONSTANTS)
        .get_or_init(|| {
            let zeros = [0u8; MAX_HASH_LEN];
            let zeros = zeros.get(..hash.output_len()).unwrap_or(&[]);
            let early = hkdf_extract(hash, zeros, zeros);
            let derived = next_stage_salt(hash, &early).ok()?;
            Some(NoPskConstants { early, derived })
        })
        .as_ref()
}

impl EarlySecret {
    /// Starts the schedule; `psk` is `None` for a full handshake (IKM is
    /// then Hash.length zeros).
    pub fn new(hash: HashAlgorithm, psk: Option<&[u8]>) -> Self {
        let zeros = [0u8; MAX_HASH_LEN];
        let zeros = zeros.get(..hash.output_len()).unwrap_or(&[]);
        match (psk, psk.is_none().then(|| no_psk_constants(hash)).flatten()) {
            (None, Some(constants)) => Self {
                hash,
                secret: constants.early.clone(),
                without_psk: true,
            },
            _ => Self {
                hash,
                secret: hkdf_extract(hash, zeros, psk.unwrap_or(zeros)),
                without_psk: false,
            },
        }
    }

    /// The schedule's hash.
    pub fn hash(&self) -> HashAlgorithm {
        self.hash
    }

    /// binder_key: "ext binder" for external PSKs, "res binder" for
    /// resumption (RFC 8446 §7.1, §4.2.11.2). The binder itself is
    /// [`finished_verify_data`] with this as the base key.
    pub fn binder_key(&self, external: bool) -> Result<Secret, CryptoError> {
        let label: &[u8] = if external {
            b"ext binder"
        } else {
            b"res binder"
        };
        derive_secret(self.hash, &self.secret, label, &self.hash.empty_hash())
    }

    /// client_early_traffic_secret over Transcript-Hash(ClientHello).
    pub fn client_early_traffic_secret(
        &self,
        transcript_hash: &[u8],
    ) -> Result<Secret, CryptoError> {
        derive_secret(self.hash, &self.secret, b"c e traffic", transcript_hash)
    }

    /// early_exporter_master_secret over Transcript-Hash(ClientHello).
    pub fn early_exporter_master_secret(
        &self,
        transcript_hash: &[u8],
    ) -> Result<Secret, CryptoError> {
        derive_secret(self.hash, &self.secret, b"e exp master", transcript_hash)
    }

    /// Handshake Secret = HKDF-Extract(Derive-Secret(., "derived", ""),
    /// (EC)DHE shared secret).
    pub fn into_handshake_secret(self, ecdhe: &[u8]) -> Result<HandshakeSecret, CryptoError> {
        let constant = self
            .without_psk
            .then(|| no_psk_constants(self.hash))
            .flatten();
        let salt = match constant {
            Some(c) => c.derived.clone(),
            None => next_stage_salt(self.hash, &self.secret)?,
        };
        let secret = hkdf_extract(self.hash, salt.as_bytes(), ecdhe);
        Ok(HandshakeSecret {
            expander: Expander::new(self.hash, &secret)?,
            #[cfg(test)]
            secret,
        })
    }
}

impl fmt::Debug for EarlySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EarlySecret({:?})", self.hash)
    }
}

/// Handshake Secret (RFC 8446 §7.1).
pub struct HandshakeSecret {
    expander: Expander,
    /// The bytes, for the RFC 8448 vectors; the schedule expands from `expander`.
    #[cfg(test)]
    secret: Secret,
}

impl HandshakeSecret {
    /// The schedule's hash.
    pub fn hash(&self) -> HashAlgorithm {
        self.expander.hash
    }

    /// client_handshake_traffic_secret over Transcript-Hash(CH..SH).
    pub fn client_handshake_traffic_secret(
        &self,
        transcript_hash: &[u8],
    ) -> Result<Secret, CryptoError> {
        self.expander
            .derive_secret(b"c hs traffic", transcript_hash)
    }

    /// server_handshake_traffic_secret over Transcript-Hash(CH..SH).
    pub fn server_handshake_traffic_secret(
        &self,
        transcript_hash: &[u8],
    ) -> Result<Secret, CryptoError> {
        self.expander
            .derive_secret(b"s hs traffic", transcript_hash)
    }

    /// Master Secret = HKDF-Extract(Derive-Secret(., "derived", ""), 0).
    pub fn into_master_secret(self) -> Result<MasterSecret, CryptoError> {
        let hash = self.expander.hash;
        let salt = self.expander.next_stage_salt()?;
        let zeros = [0u8; MAX_HASH_LEN];
        let zeros = zeros.get(..hash.output_len()).unwrap_or(&[]);
        let secret = hkdf_extract(hash, salt.as_bytes(), zeros);
        Ok(MasterSecret {
            expander: Expander::new(hash, &secret)?,
            #[cfg(test)]
            secret,
        })
    }
}

impl fmt::Debug for HandshakeSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HandshakeSecret({:?})", self.expander.hash)
    }
}

/// Master Secret (RFC 8446 §7.1).
pub struct MasterSecret {
    expander: Expander,
    /// The bytes, for the RFC 8448 vectors; the schedule expands from `expander`.
    #[cfg(test)]
    secret: Secret,
}

impl MasterSecret {
    /// The schedule's hash.
    pub fn hash(&self) -> HashAlgorithm {
        self.expander.hash
    }

    /// client_application_traffic_secret_0 over Transcript-Hash(CH..server Finished).
    pub fn client_application_traffic_secret_0(
        &self,
        transcript_hash: &[u8],
    ) -> Result<Secret, CryptoError> {
        self.expander
            .derive_secret(b"c ap traffic", transcript_hash)
    }

    /// server_application_traffic_secret_0 over Transcript-Hash(CH..server Finished).
    pub fn server_application_traffic_secret_0(
        &self,
        transcript_hash: &[u8],
    ) -> Result<Secret, CryptoError> {
        self.expander
            .derive_secret(b"s ap traffic", transcript_hash)
    }

    /// exporter_master_secret over Transcript-Hash(CH..server Finished).
    pub fn exporter_master_secret(&self, transcript_hash: &[u8]) -> Result<Secret, CryptoError> {
        self.expander.derive_secret(b"exp master", transcript_hash)
    }

    /// resumption_master_secret over Transcript-Hash(CH..client Finished).
    pub fn resumption_master_secret(&self, transcript_hash: &[u8]) -> Result<Secret, CryptoError> {
        self.expander.derive_secret(b"res master", transcript_hash)
    }
}

/// exporter_master_secret (RFC 8446 §7.5), derived when first needed: most connections
/// never export, and the derivation is an HKDF-Expand (about 1% of a handshake). Until then
/// it keeps the master secret and Transcript-Hash(CH..server Finished), from which nothing
/// follows that the connection does not hold already (its application_traffic_secret_0
/// pair, this secret; the resumption master secret needs the client Finished, §7.1).
/// [`Self::settle`] derives it and wipes the master secret, which a KeyUpdate must do first:
/// §7.2 retires application_traffic_secret_0, and the master secret would re-derive it.
pub struct ExporterSecret(ExporterState);

enum ExporterState {
    Derived(Secret),
    Deferred {
        master: Expander,
        transcript_hash: Output,
    },
}

impl ExporterSecret {
    /// Deferred: derived from `master` over `transcript_hash` when asked for.
    pub fn deferred(master: &MasterSecret, transcript_hash: &[u8]) -> Result<Self, CryptoError> {
        let transcript_hash = Output::new(transcript_hash).ok_or(CryptoError::InvalidLength)?;
        Ok(Self(ExporterState::Deferred {
            master: master.expander.clone(),
            transcript_hash,
        }))
    }

    /// exporter_master_secret, derived now if it was deferred (and then derived again by
    /// the next call: see [`Self::settle`] to keep it).
    pub fn secret(&self) -> Result<Secret, CryptoError> {
        match &self.0 {
            ExporterState::Derived(secret) => Ok(secret.clone()),
            ExporterState::Deferred {
                master,
                transcript_hash,
            } => master.derive_secret(b"exp master", transcript_hash.as_ref()),
        }
    }

    /// Derives the secret if deferred and forgets (wipes) the master secret.
    pub fn settle(&mut self) -> Result<&Secret, CryptoError> {
        if let ExporterState::Deferred { .. } = self.0 {
            self.0 = ExporterState::Derived(self.secret()?);
        }
        match &self.0 {
            ExporterState::Derived(secret) => Ok(secret),
            ExporterState::Deferred { .. } => Err(CryptoError::Internal("exporter not derived")),
        }
    }
}

impl fmt::Debug for ExporterSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.0 {
            ExporterState::Derived(_) => "derived",
            ExporterState::Deferred { .. } => "deferred",
        };
        write!(f, "ExporterSecret({state})")
    }
}

impl fmt::Debug for MasterSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MasterSecret({:?})", self.expander.hash)
    }
}

/// The longest AEAD key of a TLS 1.3 suite (AES-256, ChaCha20: 32 bytes).
const MAX_KEY_LEN: usize = 32;

/// A record protection key and IV (RFC 8446 §7.3). The key is held inline (no
/// allocation: four are derived per handshake) and wiped on drop.
pub struct TrafficKeys {
    key: [u8; MAX_KEY_LEN],
    key_len: usize,
    /// `write_iv`, XORed with the sequence number to form nonces (§5.3).
    pub iv: [u8; IV_LEN],
}

impl TrafficKeys {
    /// `write_key`, `key_length` bytes.
    pub fn key(&self) -> &[u8] {
        self.key.get(..self.key_len).unwrap_or_default()
    }
}

impl Drop for TrafficKeys {
    fn drop(&mut self) {
        self.key.zeroize();
        self.iv.zeroize();
    }
}

impl fmt::Debug for TrafficKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TrafficKeys(..)")
    }
}

/// `[sender]_write_key` and `[sender]_write_iv` from a traffic secret
/// (RFC 8446 §7.3).
pub fn derive_traffic_keys(
    suite: &CipherSuite,
    secret: &Secret,
) -> Result<TrafficKeys, CryptoError> {
    let mut keys = TrafficKeys {
        key: [0u8; MAX_KEY_LEN],
        key_len: suite.key_len,
        iv: [0u8; IV_LEN],
    };
    let key = keys
        .key
        .get_mut(..suite.key_len)
        .ok_or(CryptoError::InvalidLength)?;
    let expander = Expander::new(suite.hash, secret)?;
    expander.expand_label(b"key", &[], key)?;
    expander.expand_label(b"iv", &[], &mut keys.iv)?;
    Ok(keys)
}

/// finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length)
/// (RFC 8446 §4.4.4).
pub fn finished_key(hash: HashAlgorithm, base_key: &Secret) -> Result<Secret, CryptoError> {
    derive_secret(hash, base_key, b"finished", &[])
}

/// verify_data = HMAC(finished_key, Transcript-Hash(...)) (RFC 8446
/// §4.4.4). With a binder_key as `base_key` and the truncated-ClientHello
/// hash this is the PSK binder (§4.2.11.2).
pub fn finished_verify_data(
    hash: HashAlgorithm,
    base_key: &Secret,
    transcript_hash: &[u8],
) -> Result<Output, CryptoError> {
    let key = finished_key(hash, base_key)?;
    let key = hmac::Key::new(hash.hmac_algorithm(), key.as_bytes());
    Ok(Output::from_tag(&hmac::sign(&key, transcript_hash)))
}

/// Checks a received Finished `verify_data` (or PSK binder) in constant
/// time. Any internal failure counts as a mismatch.
pub fn verify_finished(
    hash: HashAlgorithm,
    base_key: &Secret,
    transcript_hash: &[u8],
    received: &[u8],
) -> bool {
    let Ok(key) = finished_key(hash, base_key) else {
        return false;
    };
    let key = hmac::Key::new(hash.hmac_algorithm(), key.as_bytes());
    hmac::verify(&key, transcript_hash, received).is_ok()
}

/// application_traffic_secret_N+1 for KeyUpdate (RFC 8446 §7.2).
pub fn next_application_traffic_secret(
    hash: HashAlgorithm,
    secret: &Secret,
) -> Result<Secret, CryptoError> {
    derive_secret(hash, secret, b"traffic upd", &[])
}

/// The PSK of a NewSessionTicket: HKDF-Expand-Label(resumption_master_secret,
/// "resumption", ticket_nonce, Hash.length) (RFC 8446 §4.6.1).
pub fn resumption_psk(
    hash: HashAlgorithm,
    resumption_master_secret: &Secret,
    ticket_nonce: &[u8],
) -> Result<Secret, CryptoError> {
    derive_secret(hash, resumption_master_secret, b"resumption", ticket_nonce)
}

/// TLS-Exporter(label, context_value, key_length) (RFC 8446 §7.5), filling
/// `out`. No context and an empty context are the same in TLS 1.3. Errors
/// if the label is longer than 249 bytes or `out` longer than
/// 255 * Hash.length.
pub fn export_keying_material(
    hash: HashAlgorithm,
    exporter_master_secret: &Secret,
    label: &[u8],
    context: Option<&[u8]>,
    out: &mut [u8],
) -> Result<(), CryptoError> {
    if out.len() > 255 * hash.output_len() {
        return Err(CryptoError::InvalidLength);
    }
    let derived = derive_secret(hash, exporter_master_secret, label, &hash.empty_hash())?;
    let context_hash = hash.hash(context.unwrap_or(&[]));
    hkdf_expand_label(hash, &derived, b"exporter", &context_hash, out)
}

#[cfg(test)]
pub(crate) mod tests;
