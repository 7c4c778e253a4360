//! Reassembling handshake messages from record fragments (RFC 8446 §5.1):
//! a message may span records, and a record may carry several messages.

use core::fmt;

use super::{RecordError, MAX_PLAINTEXT_LEN};

/// `msg_type` (1) + `length` (3), RFC 8446 §4.
pub const HANDSHAKE_HEADER_LEN: usize = 4;

/// Default bound on one handshake message, header included: 64 KiB of body
/// is more than any certificate chain seen in practice needs.
pub const DEFAULT_MAX_HANDSHAKE_MESSAGE_LEN: usize = (64 << 10) + HANDSHAKE_HEADER_LEN;

/// After a large message the buffer shrinks back to this once drained.
const IDLE_CAPACITY: usize = 4096;

/// A whole handshake message taken from the front of a record's content:
/// `(msg_type, the message with its header, the rest of the content)`.
pub type SplitMessage<'f> = (u8, &'f [u8], &'f [u8]);

/// Joins handshake fragments into whole messages, bounded in memory.
pub struct HandshakeJoiner {
    buf: Vec<u8>,
    /// First byte not yet handed out as a message.
    start: usize,
    max_message_len: usize,
}

impl fmt::Debug for HandshakeJoiner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandshakeJoiner")
            .field("buffered", &self.buffered_len())
            .field("max_message_len", &self.max_message_len)
            .finish_non_exhaustive()
    }
}

impl Default for HandshakeJoiner {
    fn default() -> Self {
        Self::new()
    }
}

impl HandshakeJoiner {
    /// A joiner accepting messages up to [`DEFAULT_MAX_HANDSHAKE_MESSAGE_LEN`].
    pub fn new() -> Self {
        Self::with_max_message_len(DEFAULT_MAX_HANDSHAKE_MESSAGE_LEN)
    }

    /// A joiner accepting messages up to `max` bytes, header included.
    pub fn with_max_message_len(max: usize) -> Self {
        Self {
            buf: Vec::new(),
            start: 0,
            max_message_len: max.max(HANDSHAKE_HEADER_LEN),
        }
    }

    /// Appends the content of one handshake record. Drain
    /// [`next_message`](Self::next_message) after each push: unconsumed bytes
    /// are bounded by one maximum message plus one record.
    pub fn push(&mut self, fragment: &[u8]) -> Result<(), RecordError> {
        if fragment.is_empty() {
            // RFC 8446 §5.1: zero-length handshake fragments are forbidden.
            return Err(RecordError::UnexpectedMessage(
                "zero-length handshake fragment",
            ));
        }
        self.reclaim();
        if self.buf.len() + fragment.len() > self.max_message_len + MAX_PLAINTEXT_LEN {
            return Err(RecordError::HandshakeTooLarge);
        }
        self.buf.extend_from_slice(fragment);
        Ok(())
    }

    /// The next complete message as `(msg_type, whole message including its
    /// 4-byte header)`, or `None` until more fragments arrive. A header
    /// announcing more than the maximum fails as soon as it is visible.
    pub fn next_message(&mut self) -> Result<Option<(u8, &[u8])>, RecordError> {
        let avail = self.buf.get(self.start..).unwrap_or_default();
        let Some((typ, total)) = self.whole_message(avail)? else {
            return Ok(None);
        };
        let at = self.start;
        self.start += total;
        let message = self
            .buf
            .get(at..at + total)
            .ok_or(RecordError::Internal("joiner bounds"))?;
        Ok(Some((typ, message)))
    }

    /// The whole message at the start of `fragment`, a record's content, when the joiner
    /// holds nothing: `(msg_type, message with its header, the rest of the fragment)`, so
    /// that a message inside one record is handled where it lies instead of being copied
    /// in. `None` when the fragment does not start with a whole message (push it then);
    /// a header announcing more than the maximum fails as in
    /// [`next_message`](Self::next_message).
    pub fn split_message<'f>(
        &self,
        fragment: &'f [u8],
    ) -> Result<Option<SplitMessage<'f>>, RecordError> {
        if !self.is_empty() {
            return Ok(None);
        }
        let Some((typ, total)) = self.whole_message(fragment)? else {
            return Ok(None);
        };
        Ok(fragment
            .split_at_checked(total)
            .map(|(message, rest)| (typ, message, rest)))
    }

    /// `(msg_type, length with the header)` of the message starting `avail`, if whole.
    fn whole_message(&self, avail: &[u8]) -> Result<Option<(u8, usize)>, RecordError> {
        let Some(&[typ, l0, l1, l2]) = avail.first_chunk::<HANDSHAKE_HEADER_LEN>() else {
            return Ok(None);
        };
        let body_len = u32::from_be_bytes([0, l0, l1, l2]);
        let total = usize::try_from(body_len)
            .map_err(|_| RecordError::HandshakeTooLarge)?
            .saturating_add(HANDSHAKE_HEADER_LEN);
        if total > self.max_message_len {
            return Err(RecordError::HandshakeTooLarge);
        }
        Ok((avail.len() >= total).then_some((typ, total)))
    }

    /// True when no handshake bytes are buffered: RFC 8446 §5.1 requires this
    /// at every key change (else unexpected_message), and before any record
    /// of another type.
    pub fn is_empty(&self) -> bool {
        self.start >= self.buf.len()
    }

    /// Frees the buffer if every message was handed out. After the handshake, handshake
    /// messages are rare (NewSessionTicket, KeyUpdate): an idle connection need not keep a
    /// buffer for them.
    pub fn release_if_empty(&mut self) {
        if self.is_empty() {
            self.buf = Vec::new();
            self.start = 0;
        }
    }

    /// Buffered bytes not yet handed out.
    pub fn buffered_len(&self) -> usize {
        self.buf.len().saturating_sub(self.start)
    }

    /// Drops bytes already handed out; the remainder (a partial message that
    /// arrived in the last record) slides to the front.
    fn reclaim(&mut self) {
        if self.start == 0 {
            return;
        }
        if self.is_empty() {
            self.buf.clear();
            if self.buf.capacity() > MAX_PLAINTEXT_LEN {
                self.buf.shrink_to(IDLE_CAPACITY);
            }
        } else {
            self.buf.drain(..self.start);
        }
        self.start = 0;
    }
}
