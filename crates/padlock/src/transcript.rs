//! The handshake transcript hash (RFC 8446 §4.4.1).
//!
//! The hash function is only known once the cipher suite is, i.e. after the
//! ClientHello has been sent or received, so bytes are buffered until
//! [`Transcript::start_hash`] and hashed incrementally after it.
//!
//! Every message is added whole, 4-byte handshake header included, exactly
//! as sent or received (RFC 8446 §4.4.1).
//!
//! Client: `new()`, `add(CH1)`; on ServerHello `start_hash(suite.hash)`,
//! `add(SH)`; on HelloRetryRequest instead `start_hash(suite.hash)`,
//! `rollup_for_hrr()`, `add(HRR)`, then `add(CH2)`. PSK binders for CH1 use
//! [`Transcript::hash_with_algorithm`] with the PSK's hash (the suite is not
//! chosen yet), after [`Transcript::speculate`] with that hash and adding the
//! truncated ClientHello, so that it is hashed once; for CH2, [`Transcript::hash_with`].
//!
//! Server: `new()`; having read CH and chosen the suite, `start_hash`, verify
//! binders with `hash_with(truncated CH)`, then `add(CH)`. The truncated
//! ClientHello is the message up to and including the `identities` of the
//! `pre_shared_key` extension, without the binders list or its length
//! (RFC 8446 §4.2.11.2).

use crate::crypto::{CryptoError, HashAlgorithm, HashContext, Output};

/// The most bytes buffered before the hash is chosen. Only the first
/// ClientHello precedes that choice; 64 KiB is far beyond any real one
/// (large post-quantum shares are ~1.2 KiB each).
pub const MAX_BUFFERED: usize = 64 * 1024;

/// `HandshakeType.message_hash` (RFC 8446 §4).
const MESSAGE_HASH: u8 = 254;

#[derive(Clone, Debug)]
enum State {
    Buffering(Vec<u8>),
    /// Still buffering, and meanwhile hashing with the hash a PSK offer implies: when the
    /// suite turns out to use it (always, when the PSK is accepted), the buffered bytes are
    /// not hashed a second time.
    Speculating(Vec<u8>, HashContext),
    Hashing(HashContext),
}

/// The running transcript: the concatenation of every handshake message
/// (with its 4-byte header), as Transcript-Hash requires.
#[derive(Clone, Debug)]
pub struct Transcript {
    state: State,
    /// The hash of everything added so far, once computed: the server Finished's hash is
    /// asked for twice on each side (application secrets, then the client Finished), and
    /// each computation copies the hash state and finishes it.
    last: Option<Output>,
}

impl Default for Transcript {
    fn default() -> Self {
        Self::new()
    }
}

impl Transcript {
    /// An empty transcript that buffers until the hash is known.
    pub fn new() -> Self {
        Self {
            state: State::Buffering(Vec::new()),
            last: None,
        }
    }

    /// An empty transcript that hashes with `hash` from the start (for a
    /// side that already knows the suite).
    pub fn with_hash(hash: HashAlgorithm) -> Self {
        Self {
            state: State::Hashing(HashContext::new(hash)),
            last: None,
        }
    }

    /// Appends one complete handshake message, header included.
    pub fn add(&mut self, message: &[u8]) -> Result<(), CryptoError> {
        self.last = None;
        match &mut self.state {
            State::Buffering(buf) => {
                if buf.len().saturating_add(message.len()) > MAX_BUFFERED {
                    return Err(CryptoError::TranscriptTooLarge);
                }
                buf.extend_from_slice(message);
            }
            State::Speculating(buf, ctx) => {
                if buf.len().saturating_add(message.len()) > MAX_BUFFERED {
                    return Err(CryptoError::TranscriptTooLarge);
                }
                buf.extend_from_slice(message);
                ctx.update(message);
            }
            State::Hashing(ctx) => ctx.update(message),
        }
        Ok(())
    }

    /// Before the hash is fixed, also hashes with `hash` from now on (a client offering a
    /// PSK of that hash), so that [`Self::hash_with_algorithm`] and [`Self::start_hash`]
    /// with it need not hash the buffered bytes again. No effect once hashing or
    /// already speculating.
    pub fn speculate(&mut self, hash: HashAlgorithm) {
        if let State::Buffering(buf) = &mut self.state {
            let buf = std::mem::take(buf);
            let mut ctx = HashContext::new(hash);
            ctx.update(&buf);
            self.state = State::Speculating(buf, ctx);
        }
    }

    /// Fixes the hash (the negotiated suite's) and hashes what was buffered.
    /// Calling it again with the same algorithm is a no-op; with a different
    /// one it is an error (a second ServerHello/HRR changing the suite,
    /// which RFC 8446 §4.1.4 forbids).
    pub fn start_hash(&mut self, hash: HashAlgorithm) -> Result<(), CryptoError> {
        let (ctx, result) = match std::mem::replace(&mut self.state, State::Buffering(Vec::new())) {
            State::Speculating(_, ctx) if ctx.algorithm() == hash => (ctx, Ok(())),
            State::Buffering(buf) | State::Speculating(buf, _) => {
                let mut ctx = HashContext::new(hash);
                ctx.update(&buf);
                (ctx, Ok(()))
            }
            State::Hashing(ctx) if ctx.algorithm() == hash => (ctx, Ok(())),
            State::Hashing(ctx) => (ctx, Err(CryptoError::TranscriptHashMismatch)),
        };
        self.state = State::Hashing(ctx);
        result
    }

    /// The hash, once started.
    pub fn algorithm(&self) -> Option<HashAlgorithm> {
        match &self.state {
            State::Buffering(_) | State::Speculating(..) => None,
            State::Hashing(ctx) => Some(ctx.algorithm()),
        }
    }

    /// Transcript-Hash of everything added so far, computed once until the next
    /// [`Self::add`]. Errors before [`Self::start_hash`].
    pub fn current_hash(&mut self) -> Result<Output, CryptoError> {
        if let Some(hash) = self.last {
            return Ok(hash);
        }
        let hash = match &self.state {
            State::Buffering(_) | State::Speculating(..) => {
                return Err(CryptoError::TranscriptHashMismatch)
            }
            State::Hashing(ctx) => ctx.current(),
        };
        self.last = Some(hash);
        Ok(hash)
    }

    /// Transcript-Hash of everything so far followed by `extra`, without
    /// adding `extra`: the PSK binder hash over a truncated ClientHello
    /// (RFC 8446 §4.2.11.2). Errors before [`Self::start_hash`].
    pub fn hash_with(&self, extra: &[u8]) -> Result<Output, CryptoError> {
        match &self.state {
            State::Buffering(_) | State::Speculating(..) => {
                Err(CryptoError::TranscriptHashMismatch)
            }
            State::Hashing(ctx) => {
                let mut ctx = ctx.clone();
                ctx.update(extra);
                Ok(ctx.finish())
            }
        }
    }

    /// Like [`Self::hash_with`] but with an explicit hash, usable before the
    /// suite is known: a client computes its first ClientHello's binders
    /// with each PSK's own hash. After [`Self::start_hash`] `hash` must
    /// match the transcript's.
    pub fn hash_with_algorithm(
        &self,
        hash: HashAlgorithm,
        extra: &[u8],
    ) -> Result<Output, CryptoError> {
        match &self.state {
            State::Buffering(buf) => {
                let mut ctx = HashContext::new(hash);
                ctx.update(buf);
                ctx.update(extra);
                Ok(ctx.finish())
            }
            State::Speculating(_, ctx) if ctx.algorithm() == hash => {
                let mut ctx = ctx.clone();
                ctx.update(extra);
                Ok(ctx.finish())
            }
            State::Speculating(buf, _) => {
                let mut ctx = HashContext::new(hash);
                ctx.update(buf);
                ctx.update(extra);
                Ok(ctx.finish())
            }
            State::Hashing(ctx) if ctx.algorithm() == hash => self.hash_with(extra),
            State::Hashing(_) => Err(CryptoError::TranscriptHashMismatch),
        }
    }

    /// On HelloRetryRequest, replaces the transcript (which must hold
    /// exactly ClientHello1) with the synthetic `message_hash` message
    /// `254 || 00 00 Hash.length || Hash(ClientHello1)` (RFC 8446 §4.4.1).
    /// Call it after [`Self::start_hash`] and before adding the HRR.
    pub fn rollup_for_hrr(&mut self) -> Result<(), CryptoError> {
        let State::Hashing(ctx) = &self.state else {
            return Err(CryptoError::TranscriptHashMismatch);
        };
        let hash = ctx.algorithm();
        let ch1_hash = ctx.current();
        let len = u8::try_from(ch1_hash.len())
            .map_err(|_| CryptoError::Internal("hash longer than 255 bytes"))?;
        let mut fresh = HashContext::new(hash);
        fresh.update(&[MESSAGE_HASH, 0, 0, len]);
        fresh.update(&ch1_hash);
        self.state = State::Hashing(fresh);
        self.last = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffered_then_hashed_equals_one_shot() {
        let mut t = Transcript::new();
        t.add(b"client hello").unwrap();
        assert!(t.current_hash().is_err());
        t.start_hash(HashAlgorithm::Sha384).unwrap();
        t.add(b"server hello").unwrap();
        assert_eq!(
            t.current_hash().unwrap(),
            HashAlgorithm::Sha384.hash(b"client helloserver hello")
        );
        assert!(t.start_hash(HashAlgorithm::Sha384).is_ok());
        assert_eq!(
            t.start_hash(HashAlgorithm::Sha256),
            Err(CryptoError::TranscriptHashMismatch)
        );
    }

    #[test]
    fn a_kept_hash_is_dropped_by_every_change() {
        let mut t = Transcript::with_hash(HashAlgorithm::Sha256);
        t.add(b"ab").unwrap();
        let ab = HashAlgorithm::Sha256.hash(b"ab");
        assert_eq!(t.current_hash().unwrap(), ab);
        assert_eq!(t.current_hash().unwrap(), ab);
        t.add(b"c").unwrap();
        assert_eq!(
            t.current_hash().unwrap(),
            HashAlgorithm::Sha256.hash(b"abc")
        );
        t.rollup_for_hrr().unwrap();
        assert_ne!(
            t.current_hash().unwrap(),
            HashAlgorithm::Sha256.hash(b"abc")
        );
        let mut fresh = Transcript::with_hash(HashAlgorithm::Sha256);
        fresh.add(b"abc").unwrap();
        fresh.rollup_for_hrr().unwrap();
        assert_eq!(t.current_hash().unwrap(), fresh.current_hash().unwrap());
    }

    #[test]
    fn hash_with_does_not_commit() {
        let mut t = Transcript::with_hash(HashAlgorithm::Sha256);
        t.add(b"abc").unwrap();
        assert_eq!(
            t.hash_with(b"def").unwrap(),
            HashAlgorithm::Sha256.hash(b"abcdef")
        );
        assert_eq!(
            t.current_hash().unwrap(),
            HashAlgorithm::Sha256.hash(b"abc")
        );
    }

    #[test]
    fn hash_with_algorithm_before_start() {
        let mut t = Transcript::new();
        t.add(b"x").unwrap();
        assert_eq!(
            t.hash_with_algorithm(HashAlgorithm::Sha384, b"y").unwrap(),
            HashAlgorithm::Sha384.hash(b"xy")
        );
        t.start_hash(HashAlgorithm::Sha256).unwrap();
        assert!(t.hash_with_algorithm(HashAlgorithm::Sha384, b"y").is_err());
        assert_eq!(
            t.hash_with_algorithm(HashAlgorithm::Sha256, b"y").unwrap(),
            HashAlgorithm::Sha256.hash(b"xy")
        );
    }

    #[test]
    fn speculation_gives_the_same_hashes() {
        for (spec, chosen) in [
            (HashAlgorithm::Sha256, HashAlgorithm::Sha256),
            (HashAlgorithm::Sha256, HashAlgorithm::Sha384),
            (HashAlgorithm::Sha384, HashAlgorithm::Sha256),
        ] {
            let mut t = Transcript::new();
            t.add(b"ab").unwrap();
            t.speculate(spec);
            t.speculate(chosen);
            t.add(b"cd").unwrap();
            assert_eq!(t.algorithm(), None);
            assert!(t.current_hash().is_err());
            assert!(t.hash_with(b"x").is_err());
            for h in [HashAlgorithm::Sha256, HashAlgorithm::Sha384] {
                assert_eq!(t.hash_with_algorithm(h, b"ef").unwrap(), h.hash(b"abcdef"));
            }
            t.start_hash(chosen).unwrap();
            t.add(b"gh").unwrap();
            assert_eq!(t.current_hash().unwrap(), chosen.hash(b"abcdgh"));
        }
        // Once hashing, speculation changes nothing.
        let mut t = Transcript::with_hash(HashAlgorithm::Sha256);
        t.add(b"ab").unwrap();
        t.speculate(HashAlgorithm::Sha384);
        assert_eq!(t.algorithm(), Some(HashAlgorithm::Sha256));
        assert_eq!(t.current_hash().unwrap(), HashAlgorithm::Sha256.hash(b"ab"));
        // The buffer stays bounded while speculating.
        let mut t = Transcript::new();
        t.speculate(HashAlgorithm::Sha256);
        t.add(&vec![0u8; MAX_BUFFERED]).unwrap();
        assert_eq!(t.add(&[0]), Err(CryptoError::TranscriptTooLarge));
    }

    #[test]
    fn buffer_is_bounded() {
        let mut t = Transcript::new();
        t.add(&vec![0u8; MAX_BUFFERED]).unwrap();
        assert_eq!(t.add(&[0]), Err(CryptoError::TranscriptTooLarge));
        // Once hashing, size no longer matters.
        t.start_hash(HashAlgorithm::Sha256).unwrap();
        t.add(&vec![0u8; 2 * MAX_BUFFERED]).unwrap();
    }

    #[test]
    fn hrr_rollup_is_message_hash_of_ch1() {
        let ch1 = b"\x01\x00\x00\x03abc";
        let hrr = b"\x02\x00\x00\x01z";
        let mut t = Transcript::new();
        t.add(ch1).unwrap();
        assert!(t.rollup_for_hrr().is_err());
        t.start_hash(HashAlgorithm::Sha256).unwrap();
        t.rollup_for_hrr().unwrap();
        t.add(hrr).unwrap();

        let mut expected = vec![254, 0, 0, 32];
        expected.extend_from_slice(&HashAlgorithm::Sha256.hash(ch1));
        expected.extend_from_slice(hrr);
        assert_eq!(
            t.current_hash().unwrap(),
            HashAlgorithm::Sha256.hash(&expected)
        );
    }

    #[test]
    fn hrr_rollup_sha384_uses_48_byte_length() {
        let ch1 = b"\x01\x00\x00\x01a";
        let mut t = Transcript::with_hash(HashAlgorithm::Sha384);
        t.add(ch1).unwrap();
        let mut before = t.clone();
        t.rollup_for_hrr().unwrap();
        let mut expected = vec![254, 0, 0, 48];
        expected.extend_from_slice(&HashAlgorithm::Sha384.hash(ch1));
        assert_eq!(
            t.current_hash().unwrap(),
            HashAlgorithm::Sha384.hash(&expected)
        );
        // A clone taken earlier is unaffected.
        assert_eq!(
            before.current_hash().unwrap(),
            HashAlgorithm::Sha384.hash(ch1)
        );
    }
}
