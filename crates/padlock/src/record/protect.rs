//! Per-record AEAD protection, RFC 8446 §5.2–§5.5.

use core::fmt;

use aws_lc_rs::aead::{Aad, Algorithm, LessSafeKey, Nonce, UnboundKey, NONCE_LEN};
use zeroize::Zeroize;

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

impl Drop for TrafficKey {
    fn drop(&mut self) {
        // The key itself lives (and is cleansed) inside aws-lc; the iv is
        // traffic-secret output too (RFC 8446 §7.3).
        self.iv_head.zeroize();
        self.iv_tail.zeroize();
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
    /// The inner plaintext is `plaintext`, the content type and `padding`
    /// zero bytes (RFC 8446 §5.4); `padding` is clamped so it stays within
    /// 2^14 + 1 bytes. Without padding the AEAD encrypts straight from
    /// `plaintext` into `out` (no intermediate copy); with padding,
    /// `plaintext` is copied once into `out` and sealed there. `out` grows by
    /// at most one reservation; nothing else allocates. On error `out` is
    /// left as it was.
    pub fn seal(
        &mut self,
        typ: ContentType,
        plaintext: &[u8],
        padding: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), RecordError> {
        let (padding, total) = self.plan(typ, plaintext, padding)?;
        let start = out.len();
        out.resize(start + total, 0);
        let sealed = match out.get_mut(start..) {
            Some(record) => self.seal_planned(typ, plaintext, padding, record),
            None => Err(RecordError::Internal("output bounds")),
        };
        if sealed.is_err() {
            out.truncate(start);
        }
        sealed
    }

    /// Like [`seal`](Self::seal), but writes the record at the front of a
    /// caller-owned buffer (e.g. a reused send buffer) and returns its length
    /// ([`sealed_len`](Self::sealed_len)). Fails with `Internal` if `out` is
    /// too short, writing nothing.
    pub fn seal_into(
        &mut self,
        typ: ContentType,
        plaintext: &[u8],
        padding: usize,
        out: &mut [u8],
    ) -> Result<usize, RecordError> {
        let (padding, total) = self.plan(typ, plaintext, padding)?;
        let record = out.get_mut(..total).ok_or(RecordError::Internal(
            "output buffer too small for the record",
        ))?;
        self.seal_planned(typ, plaintext, padding, record)?;
        Ok(total)
    }

    /// The wire length of a record carrying `plaintext_len` content bytes and
    /// `padding` (clamped as [`seal`](Self::seal) does).
    pub fn sealed_len(&self, plaintext_len: usize, padding: usize) -> usize {
        let padding = padding.min(MAX_PLAINTEXT_LEN.saturating_sub(plaintext_len));
        plaintext_len + padding + self.overhead()
    }

    /// Validates one seal and returns (clamped padding, record length).
    fn plan(
        &self,
        typ: ContentType,
        plaintext: &[u8],
        padding: usize,
    ) -> Result<(usize, usize), RecordError> {
        if plaintext.len() > MAX_PLAINTEXT_LEN {
            return Err(RecordError::RecordOverflow);
        }
        if plaintext.is_empty() && typ != ContentType::APPLICATION_DATA {
            // RFC 8446 §5.4: only application data may be empty.
            return Err(RecordError::Internal("empty handshake or alert record"));
        }
        self.key.check_usable(1)?;
        let padding = padding.min(MAX_PLAINTEXT_LEN - plaintext.len());
        Ok((padding, self.sealed_len(plaintext.len(), padding)))
    }

    /// Seals into `record`, exactly the planned length.
    fn seal_planned(
        &mut self,
        typ: ContentType,
        plaintext: &[u8],
        padding: usize,
        record: &mut [u8],
    ) -> Result<(), RecordError> {
        let tag_len = self.key.tag_len();
        let inner_len = plaintext.len() + 1 + padding;
        let hdr = header(
            ContentType::APPLICATION_DATA,
            TLS12_RECORD_VERSION,
            inner_len + tag_len,
        );
        let (hdr_slot, body) = record.split_at_mut(RECORD_HEADER_LEN.min(record.len()));
        if hdr_slot.len() != RECORD_HEADER_LEN || body.len() != inner_len + tag_len {
            return Err(RecordError::Internal("record buffer of the wrong size"));
        }
        hdr_slot.copy_from_slice(&hdr);
        let nonce = self.key.nonce();
        let aead = &self.key.key;

        let sealed = if padding == 0 {
            // The content type travels as the AEAD's "extra" plaintext, so
            // the content is read once from the caller and written once,
            // encrypted (RFC 8446 §5.2 TLSInnerPlaintext = content || type).
            let (ciphertext, type_and_tag) = body.split_at_mut(plaintext.len());
            aead.seal_out_of_place_scatter(
                nonce,
                Aad::from(hdr),
                plaintext,
                ciphertext,
                &[typ.0],
                type_and_tag,
            )
            .is_ok()
        } else {
            let (inner, tag_slot) = body.split_at_mut(inner_len);
            let (content, trailer) = inner.split_at_mut(plaintext.len());
            content.copy_from_slice(plaintext);
            if let Some((type_slot, zeros)) = trailer.split_first_mut() {
                *type_slot = typ.0;
                zeros.fill(0); // §5.4: padding MUST be zeros
            }
            match aead.seal_in_place_separate_tag(nonce, Aad::from(hdr), inner) {
                Ok(tag) if tag.as_ref().len() == tag_slot.len() => {
                    tag_slot.copy_from_slice(tag.as_ref());
                    true
                }
                _ => false,
            }
        };
        if !sealed {
            // Never leave plaintext behind in the output.
            record.fill(0);
            return Err(RecordError::Internal("AEAD seal failed"));
        }
        self.key.seq += 1;
        Ok(())
    }

    /// Seals in place one record whose content already lies in `buf` after a reserved
    /// header at `record_start` (`buf[record_start + 5..]`, at most 2^14 bytes): appends the
    /// content type and the tag and writes the header, so that a flight encoded where it is
    /// sent is encrypted where it lies (RFC 8446 §5.2). On error the content is wiped and
    /// `buf` cut back to `record_start`.
    pub fn seal_in_place(
        &mut self,
        typ: ContentType,
        buf: &mut Vec<u8>,
        record_start: usize,
    ) -> Result<(), RecordError> {
        let content_start = record_start + RECORD_HEADER_LEN;
        let content_len = buf
            .len()
            .checked_sub(content_start)
            .ok_or(RecordError::Internal("no room for the record header"))?;
        if content_len > MAX_PLAINTEXT_LEN {
            return Err(RecordError::RecordOverflow);
        }
        if content_len == 0 && typ != ContentType::APPLICATION_DATA {
            return Err(RecordError::Internal("empty handshake or alert record"));
        }
        self.key.check_usable(1)?;
        buf.push(typ.0);
        let hdr = header(
            ContentType::APPLICATION_DATA,
            TLS12_RECORD_VERSION,
            content_len + 1 + self.key.tag_len(),
        );
        let nonce = self.key.nonce();
        let sealed = match buf.get_mut(content_start..) {
            Some(inner) => self
                .key
                .key
                .seal_in_place_separate_tag(nonce, Aad::from(hdr), inner)
                .ok(),
            None => None,
        };
        let (Some(tag), Some(hdr_slot)) = (sealed, buf.get_mut(record_start..content_start)) else {
            // Never leave plaintext behind in the buffer.
            buf.get_mut(record_start..).unwrap_or_default().fill(0);
            buf.truncate(record_start);
            return Err(RecordError::Internal("AEAD seal failed"));
        };
        hdr_slot.copy_from_slice(&hdr);
        buf.extend_from_slice(tag.as_ref());
        self.key.seq += 1;
        Ok(())
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

    /// Like [`open`](Self::open), but decrypts out of place: from `payload`
    /// (the caller's bytes, left untouched) into `out`, which must hold the
    /// payload less the tag. One pass over the record where a copy into the
    /// receive buffer and an in-place decryption would make two. On failure
    /// `out` holds unauthenticated bytes: the caller must not use them.
    pub fn open_into<'o>(
        &mut self,
        header: [u8; RECORD_HEADER_LEN],
        payload: &[u8],
        out: &'o mut [u8],
    ) -> Result<(ContentType, &'o mut [u8]), RecordError> {
        self.check_record(header, payload.len())?;
        let inner_len = payload
            .len()
            .checked_sub(self.key.tag_len())
            .ok_or(RecordError::BadRecordMac)?;
        let (ciphertext, tag) = payload.split_at(inner_len);
        let inner = out
            .get_mut(..inner_len)
            .ok_or(RecordError::Internal("no room for the plaintext"))?;
        self.key
            .key
            .open_separate_gather(self.key.nonce(), Aad::from(header), ciphertext, tag, inner)
            .map_err(|_| RecordError::BadRecordMac)?;
        self.key.seq += 1;
        inner_plaintext(inner)
    }

    /// `Ok(None)` when authentication fails; the caller decides whether that
    /// is fatal.
    fn decrypt<'a>(
        &self,
        header: [u8; RECORD_HEADER_LEN],
        payload: &'a mut [u8],
    ) -> Result<Option<&'a mut [u8]>, RecordError> {
        self.check_record(header, payload.len())?;
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

    /// The checks before decryption: outer type, length, key usage (§5.2, §5.5).
    fn check_record(
        &self,
        header: [u8; RECORD_HEADER_LEN],
        payload_len: usize,
    ) -> Result<(), RecordError> {
        let [typ, _, _, l0, l1] = header;
        if ContentType(typ) != ContentType::APPLICATION_DATA {
            // RFC 8446 §5.2: opaque_type is always application_data; §5 a
            // protected record of any other outer type is unexpected.
            return Err(RecordError::UnexpectedMessage(
                "unprotected record where a protected one was expected",
            ));
        }
        if usize::from(u16::from_be_bytes([l0, l1])) != payload_len {
            return Err(RecordError::Internal(
                "record header length does not match payload",
            ));
        }
        if payload_len > MAX_CIPHERTEXT_LEN {
            return Err(RecordError::RecordOverflow);
        }
        self.key.check_usable(1)
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
