//! Per-record AEAD protection, RFC 8446 §5.2–§5.5.

use core::fmt;

use aws_lc_rs::aead::{Aad, Algorithm, LessSafeKey, Nonce, UnboundKey, NONCE_LEN};

use super::{
    header, ContentType, RecordError, MAX_CIPHERTEXT_LEN, MAX_PLAINTEXT_LEN, RECORD_HEADER_LEN,
    TLS12_RECORD_VERSION,
};

/// How many records before the hard limit [`RecordSealer::near_limit`] starts
/// asking for a KeyUpdate (RFC 8446 §5.5: update *prior to* the limit).
const NEAR_LIMIT_MARGIN: u64 = 4096;

/// One direction's traffic key with its §5.3 nonce state.
struct TrafficKey {
    key: LessSafeKey,
    /// `write_iv` split so the per-record nonce is one u64 XOR (§5.3: the
    /// sequence number is left-padded with zeros to the 12-byte iv length,
    /// so it only ever touches the last 8 bytes).
    iv_head: [u8; 4],
    iv_tail: u64,
    seq: u64,
    limit: u64,
}

impl TrafficKey {
    fn new(
        aead: &'static Algorithm,
        key: &[u8],
        iv: [u8; NONCE_LEN],
        limit: u64,
    ) -> Result<Self, RecordError> {
        let key = UnboundKey::new(aead, key).map_err(|_| RecordError::InvalidKey)?;
        let [a, b, c, d, tail @ ..] = iv;
        Ok(Self {
            key: LessSafeKey::new(key),
            iv_head: [a, b, c, d],
            iv_tail: u64::from_be_bytes(tail),
            seq: 0,
            limit,
        })
    }

    /// RFC 8446 §5.3: iv XOR the 64-bit sequence number, left-padded.
    fn nonce(&self) -> Nonce {
        let [a, b, c, d] = self.iv_head;
        let [e, f, g, h, i, j, k, l] = (self.iv_tail ^ self.seq).to_be_bytes();
        Nonce::assume_unique_for_key([a, b, c, d, e, f, g, h, i, j, k, l])
    }

    /// Refuses to use the key once the caller's limit (§5.5) is reached or
    /// the sequence number could not be incremented without wrapping (§5.3).
    fn check_usable(&self, records: u64) -> Result<(), RecordError> {
        let after = self
            .seq
            .checked_add(records)
            .ok_or(RecordError::SequenceExhausted)?;
        if after > self.limit {
            return Err(RecordError::KeyLimitReached);
        }
        Ok(())
    }

    fn tag_len(&self) -> usize {
        self.key.algorithm().tag_len()
    }

    fn near_limit(&self) -> bool {
        let margin = NEAR_LIMIT_MARGIN.min(self.limit / 2);
        self.seq >= self.limit.saturating_sub(margin) || self.seq >= u64::MAX - margin
    }
}

impl fmt::Debug for TrafficKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never prints key or iv.
        f.debug_struct("TrafficKey")
            .field("aead", self.key.algorithm())
            .field("seq", &self.seq)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

/// Protects outgoing records under one traffic key (RFC 8446 §5.2).
#[derive(Debug)]
pub struct RecordSealer {
    key: TrafficKey,
}

impl RecordSealer {
    /// A sealer for `key`/`iv` (from RFC 8446 §7.3) starting at sequence 0.
    /// `limit` is the number of records this key may protect (§5.5); pass
    /// `u64::MAX` for no limit beyond the sequence space.
    pub fn new(
        aead: &'static Algorithm,
        key: &[u8],
        iv: [u8; NONCE_LEN],
        limit: u64,
    ) -> Result<Self, RecordError> {
        Ok(Self {
            key: TrafficKey::new(aead, key, iv, limit)?,
        })
    }

    /// Appends ONE protected record (header, ciphertext, tag) to `out`.
    ///
    /// `plaintext` is copied once into `out`, followed by the inner content
    /// type and `padding` zero bytes (RFC 8446 §5.4), and encrypted there.
    /// `padding` is clamped so the inner plaintext stays within 2^14 + 1
    /// bytes. `out` grows by at most one reservation; nothing else allocates.
    pub fn seal(
        &mut self,
        typ: ContentType,
        plaintext: &[u8],
        padding: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), RecordError> {
        if plaintext.len() > MAX_PLAINTEXT_LEN {
            return Err(RecordError::RecordOverflow);
        }
        if plaintext.is_empty() && typ != ContentType::APPLICATION_DATA {
            // RFC 8446 §5.4: only application data may be empty.
            return Err(RecordError::Internal("empty handshake or alert record"));
        }
        self.key.check_usable(1)?;
        let padding = padding.min(MAX_PLAINTEXT_LEN - plaintext.len());
        let inner_len = plaintext.len() + 1 + padding;
        let hdr = header(
            ContentType::APPLICATION_DATA,
            TLS12_RECORD_VERSION,
            inner_len + self.key.tag_len(),
        );

        out.reserve(RECORD_HEADER_LEN + inner_len + self.key.tag_len());
        let start = out.len();
        out.extend_from_slice(&hdr);
        out.extend_from_slice(plaintext);
        out.push(typ.0);
        out.resize(out.len() + padding, 0);

        let nonce = self.key.nonce();
        let sealed = match out.get_mut(start + RECORD_HEADER_LEN..) {
            Some(body) => self
                .key
                .key
                .seal_in_place_separate_tag(nonce, Aad::from(hdr), body)
                .ok(),
            None => None,
        };
        let Some(tag) = sealed else {
            // Never leave plaintext behind in the output buffer.
            out.truncate(start);
            return Err(RecordError::Internal("AEAD seal failed"));
        };
        out.extend_from_slice(tag.as_ref());
        self.key.seq += 1;
        Ok(())
    }

    /// Bytes one record carrying `plaintext_len` bytes of content (no padding) takes on the
    /// wire: header, content, inner type, tag.
    pub fn record_len(&self, plaintext_len: usize) -> usize {
        plaintext_len + self.overhead()
    }

    /// Writes ONE protected record (header, ciphertext, tag) of `plaintext` (no padding) at
    /// the start of `out`, which must hold at least [`record_len`](Self::record_len) bytes,
    /// and returns its length.
    ///
    /// The AEAD reads the caller's plaintext and writes the ciphertext straight into `out`
    /// (aws-lc's out-of-place sealing, the inner content type encrypted from a one-byte
    /// side buffer): no copy of the plaintext is made first, unlike [`seal`](Self::seal).
    pub fn seal_into(
        &mut self,
        typ: ContentType,
        plaintext: &[u8],
        out: &mut [u8],
    ) -> Result<usize, RecordError> {
        if plaintext.len() > MAX_PLAINTEXT_LEN {
            return Err(RecordError::RecordOverflow);
        }
        if plaintext.is_empty() && typ != ContentType::APPLICATION_DATA {
            // RFC 8446 §5.4: only application data may be empty.
            return Err(RecordError::Internal("empty handshake or alert record"));
        }
        self.key.check_usable(1)?;
        let tag_len = self.key.tag_len();
        let total = self.record_len(plaintext.len());
        let hdr = header(
            ContentType::APPLICATION_DATA,
            TLS12_RECORD_VERSION,
            plaintext.len() + 1 + tag_len,
        );
        let record = out
            .get_mut(..total)
            .ok_or(RecordError::Internal("record output too small"))?;
        let (head, body) = record.split_at_mut(RECORD_HEADER_LEN);
        head.copy_from_slice(&hdr);
        let (ciphertext, type_and_tag) = body.split_at_mut(plaintext.len());
        let nonce = self.key.nonce();
        if self
            .key
            .key
            .seal_out_of_place_scatter(
                nonce,
                Aad::from(hdr),
                plaintext,
                ciphertext,
                &[typ.0],
                type_and_tag,
            )
            .is_err()
        {
            return Err(RecordError::Internal("AEAD seal failed"));
        }
        self.key.seq += 1;
        Ok(total)
    }

    /// Splits `data` into records of at most `max_fragment_len` plaintext
    /// bytes (clamped to 1..=2^14, RFC 8446 §5.1) and appends them all to
    /// `out`, reserving the whole output once. Returns the number of records;
    /// empty `data` writes none. Either every record is written or none is.
    pub fn seal_fragments(
        &mut self,
        typ: ContentType,
        data: &[u8],
        max_fragment_len: usize,
        out: &mut Vec<u8>,
    ) -> Result<usize, RecordError> {
        let frag = max_fragment_len.clamp(1, MAX_PLAINTEXT_LEN);
        let records = data.len().div_ceil(frag);
        self.key
            .check_usable(u64::try_from(records).unwrap_or(u64::MAX))?;
        out.reserve(data.len() + records * self.overhead());
        let start = out.len();
        for chunk in data.chunks(frag) {
            if let Err(e) = self.seal(typ, chunk, 0, out) {
                out.truncate(start);
                return Err(e);
            }
        }
        Ok(records)
    }

    /// Bytes a record adds to its content: header, inner type and tag.
    pub fn overhead(&self) -> usize {
        RECORD_HEADER_LEN + 1 + self.key.tag_len()
    }

    /// The sequence number the next record will use (RFC 8446 §5.3).
    pub fn sequence(&self) -> u64 {
        self.key.seq
    }

    /// True once the key is close to its usage limit: time to send a
    /// KeyUpdate (RFC 8446 §4.6.3, §5.5).
    pub fn near_limit(&self) -> bool {
        self.key.near_limit()
    }

    /// The AEAD this sealer uses.
    pub fn algorithm(&self) -> &'static Algorithm {
        self.key.key.algorithm()
    }
}

/// Removes protection from incoming records under one traffic key
/// (RFC 8446 §5.2), in place.
#[derive(Debug)]
pub struct RecordOpener {
    key: TrafficKey,
}

impl RecordOpener {
    /// An opener for `key`/`iv` starting at sequence 0. `limit` is the number
    /// of records accepted under this key (§5.5); `u64::MAX` for none beyond
    /// the sequence space (peers such as OpenSSL never update keys on their own).
    pub fn new(
        aead: &'static Algorithm,
        key: &[u8],
        iv: [u8; NONCE_LEN],
        limit: u64,
    ) -> Result<Self, RecordError> {
        Ok(Self {
            key: TrafficKey::new(aead, key, iv, limit)?,
        })
    }

    /// Decrypts `payload` in place, strips the padding and returns the inner
    /// content type and the content, a prefix of `payload`.
    ///
    /// `header` is the record's 5-byte header, authenticated as AAD (§5.2).
    pub fn open<'a>(
        &mut self,
        header: [u8; RECORD_HEADER_LEN],
        payload: &'a mut [u8],
    ) -> Result<(ContentType, &'a mut [u8]), RecordError> {
        match self.decrypt(header, payload)? {
            Some(inner) => {
                self.key.seq += 1;
                inner_plaintext(inner)
            }
            None => Err(RecordError::BadRecordMac),
        }
    }

    /// Like [`open`](Self::open), but a record that fails authentication
    /// yields `Ok(None)` and leaves the sequence number unchanged: a server
    /// skips 0-RTT records it rejected this way (RFC 8446 §4.2.10). The
    /// caller bounds how much it skips (max_early_data_size).
    pub fn try_open<'a>(
        &mut self,
        header: [u8; RECORD_HEADER_LEN],
        payload: &'a mut [u8],
    ) -> Result<Option<(ContentType, &'a mut [u8])>, RecordError> {
        match self.decrypt(header, payload)? {
            Some(inner) => {
                self.key.seq += 1;
                inner_plaintext(inner).map(Some)
            }
            None => Ok(None),
        }
    }

    /// `Ok(None)` when authentication fails; the caller decides whether that
    /// is fatal.
    fn decrypt<'a>(
        &self,
        header: [u8; RECORD_HEADER_LEN],
        payload: &'a mut [u8],
    ) -> Result<Option<&'a mut [u8]>, RecordError> {
        let [typ, _, _, l0, l1] = header;
        if ContentType(typ) != ContentType::APPLICATION_DATA {
            // RFC 8446 §5.2: opaque_type is always application_data; §5 a
            // protected record of any other outer type is unexpected.
            return Err(RecordError::UnexpectedMessage(
                "unprotected record where a protected one was expected",
            ));
        }
        if usize::from(u16::from_be_bytes([l0, l1])) != payload.len() {
            return Err(RecordError::Internal(
                "record header length does not match payload",
            ));
        }
        if payload.len() > MAX_CIPHERTEXT_LEN {
            return Err(RecordError::RecordOverflow);
        }
        self.key.check_usable(1)?;
        let Some(inner_len) = payload.len().checked_sub(self.key.tag_len()) else {
            // Shorter than a tag: cannot be authentic.
            return Ok(None);
        };
        let (inner, tag) = payload.split_at_mut(inner_len);
        match self.key.key.open_in_place_separate_tag(
            self.key.nonce(),
            Aad::from(header),
            tag,
            inner,
        ) {
            Ok(inner) => Ok(Some(inner)),
            Err(_) => Ok(None),
        }
    }

    /// The sequence number the next record must carry (RFC 8446 §5.3).
    pub fn sequence(&self) -> u64 {
        self.key.seq
    }

    /// True once the key is close to its usage limit.
    pub fn near_limit(&self) -> bool {
        self.key.near_limit()
    }

    /// The AEAD this opener uses.
    pub fn algorithm(&self) -> &'static Algorithm {
        self.key.key.algorithm()
    }
}

/// Parses an authenticated `TLSInnerPlaintext` (RFC 8446 §5.2, §5.4).
fn inner_plaintext(inner: &mut [u8]) -> Result<(ContentType, &mut [u8]), RecordError> {
    if inner.len() > MAX_PLAINTEXT_LEN + 1 {
        // §5.4: the encoded TLSInnerPlaintext MUST NOT exceed 2^14 + 1.
        return Err(RecordError::RecordOverflow);
    }
    // §5.4: the content type is the last non-zero byte; padding is zeros.
    let Some(type_at) = inner.iter().rposition(|&b| b != 0) else {
        return Err(RecordError::UnexpectedMessage(
            "protected record without a content type",
        ));
    };
    let (content, rest) = inner.split_at_mut(type_at);
    let typ = ContentType(rest.first().copied().unwrap_or(0));
    match typ {
        ContentType::CHANGE_CIPHER_SPEC => Err(RecordError::UnexpectedMessage(
            "protected change_cipher_spec record", // §5
        )),
        ContentType::HANDSHAKE | ContentType::ALERT if content.is_empty() => Err(
            RecordError::UnexpectedMessage("zero-length handshake or alert record"), // §5.4
        ),
        t if !t.is_known() => Err(RecordError::UnexpectedContentType(t.0)),
        t => Ok((t, content)),
    }
}
