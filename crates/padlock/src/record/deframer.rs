//! Splitting the received byte stream into records (RFC 8446 §5.1).
//!
//! One contiguous receive buffer: I/O writes into [`Deframer::space`] (or
//! [`Deframer::push`] copies in), records are handed out as `&mut` slices of
//! that buffer so they are decrypted where they lie, and decrypted
//! application data can stay there until the reader takes it
//! ([`Deframer::retain`]). Bytes move only when a record would not fit in the
//! tail of the buffer: then the unconsumed bytes (less than one record plus
//! any retained plaintext) slide to the front, so the work per byte received
//! stays constant instead of growing with the stream.

use core::fmt;

use super::{
    ContentType, RecordError, MAX_CIPHERTEXT_LEN, MAX_PLAINTEXT_LEN, MAX_RECORD_WIRE_LEN,
    RECORD_HEADER_LEN,
};

/// Default bound on the receive buffer: one retained record's plaintext
/// region plus one full record, so [`Deframer::retain`] never blocks a read.
pub const DEFAULT_BUFFER_LIMIT: usize = 2 * MAX_RECORD_WIRE_LEN;

/// The buffer starts this small: handshake records are mostly short.
const INITIAL_CAPACITY: usize = 4096;

/// Below this much free space the buffer grows (while under its limit)
/// before handing out space: tiny reads waste system calls.
const MIN_READ: usize = 2048;

/// One record, borrowed from the [`Deframer`]'s buffer.
pub struct Record<'a> {
    /// The (outer) content type.
    pub typ: ContentType,
    /// `legacy_record_version`; RFC 8446 §5.1 says to ignore it.
    pub legacy_version: u16,
    /// The fragment, mutable so protected records are decrypted in place.
    pub payload: &'a mut [u8],
}

impl fmt::Debug for Record<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Lengths only: payloads may be plaintext after opening.
        f.debug_struct("Record")
            .field("typ", &self.typ)
            .field(
                "legacy_version",
                &format_args!("{:#06x}", self.legacy_version),
            )
            .field("len", &self.payload.len())
            .finish()
    }
}

impl Record<'_> {
    /// The 5-byte header as received: the AAD of a protected record (§5.2).
    pub fn header(&self) -> [u8; RECORD_HEADER_LEN] {
        super::header(self.typ, self.legacy_version, self.payload.len())
    }
}

/// Splits a received byte stream into records, bounded in memory.
pub struct Deframer {
    /// The bytes; `cap` of them are in use, those past `end` free. Only `buf.len()` of them
    /// are initialised: [`push`](Self::push) appends past it without zero-filling the free
    /// space first (allocated, not yet written), which only [`space`](Self::space) needs.
    buf: Vec<u8>,
    /// The buffer's size in use (`buf.capacity()` is at least this).
    cap: usize,
    /// First byte not yet returned as a record.
    start: usize,
    /// End of the received bytes.
    end: usize,
    /// Plaintext kept for the reader (`retain`); lies before `start`.
    retained_start: usize,
    retained_end: usize,
    /// Offset and length of the payload most recently handed out, while it
    /// is still where it was.
    last_payload: Option<(usize, usize)>,
    limit: usize,
    /// Bytes slid to the front so far (diagnostics; proves the amortisation).
    slid: u64,
    /// Size of the buffer when it was last released: a new one starts at that size, so a
    /// stream of full records does not regrow it step by step after each release.
    released_len: usize,
}

impl fmt::Debug for Deframer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Offsets only: the buffer holds decrypted plaintext.
        f.debug_struct("Deframer")
            .field("capacity", &self.cap)
            .field("start", &self.start)
            .field("end", &self.end)
            .field("retained", &(self.retained_start..self.retained_end))
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl Default for Deframer {
    fn default() -> Self {
        Self::new()
    }
}

impl Deframer {
    /// A deframer bounded by [`DEFAULT_BUFFER_LIMIT`]. Allocates nothing until
    /// the first read.
    pub fn new() -> Self {
        Self::with_limit(DEFAULT_BUFFER_LIMIT)
    }

    /// A deframer whose buffer never exceeds `limit` bytes (raised to one
    /// maximum-size record at least; [`retain`](Self::retain) needs twice that
    /// to keep reading while plaintext is held).
    pub fn with_limit(limit: usize) -> Self {
        Self {
            buf: Vec::new(),
            cap: 0,
            start: 0,
            end: 0,
            retained_start: 0,
            retained_end: 0,
            last_payload: None,
            limit: limit.max(MAX_RECORD_WIRE_LEN),
            slid: 0,
            released_len: 0,
        }
    }

    /// Free space to read received bytes into; report how many with
    /// [`advance`](Self::advance). May be empty (or short) while complete
    /// records or retained plaintext wait in a buffer at its limit: consume
    /// those first. Never empty when neither waits.
    pub fn space(&mut self) -> &mut [u8] {
        self.make_room();
        // A transport writes into a slice: the free space must be initialised.
        if self.buf.len() < self.cap {
            self.buf.resize(self.cap, 0);
        }
        self.buf.get_mut(self.end..self.cap).unwrap_or_default()
    }

    /// Marks `n` bytes written into [`space`](Self::space) as received.
    /// (Clamped to the space available.)
    pub fn advance(&mut self, n: usize) {
        self.end = self.end.saturating_add(n).min(self.buf.len()).min(self.cap);
    }

    /// Copies as much of `data` in as fits and returns how many bytes were
    /// taken; fewer than `data.len()` means the buffer is full until records
    /// are consumed.
    pub fn push(&mut self, data: &[u8]) -> usize {
        let mut taken = 0;
        while let Some(rest) = data.get(taken..).filter(|r| !r.is_empty()) {
            self.make_room();
            let n = (self.cap - self.end).min(rest.len());
            if n == 0 {
                break;
            }
            let Some(src) = rest.get(..n) else { break };
            // Overwrite the initialised free bytes, append the rest (no zero-fill first).
            let overlap = self.buf.len().saturating_sub(self.end).min(n);
            let (over, appended) = src.split_at(overlap);
            if let Some(dst) = self.buf.get_mut(self.end..self.end + overlap) {
                dst.copy_from_slice(over);
            }
            self.buf.extend_from_slice(appended);
            self.end += n;
            taken += n;
        }
        taken
    }

    /// The next complete record, or `None` if more bytes are needed.
    ///
    /// Header checks (RFC 8446 §5.1, §5.2): unknown content types are
    /// unexpected_message; a `legacy_record_version` whose major byte is not 3
    /// is not TLS at all (decode_error; the field is otherwise ignored, as
    /// §5.1 requires, so 0x0301 ClientHellos from OpenSSL pass); a length
    /// above 2^14 + 256 is record_overflow. Errors are sticky: the bad
    /// header stays at the front. Zero-length and 2^14-bound checks need to
    /// know whether the record is protected: see
    /// [`check_plain_record`](super::check_plain_record) and
    /// [`RecordOpener::open`](super::RecordOpener::open).
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>, RecordError> {
        let avail = self.buf.get(self.start..self.end).unwrap_or_default();
        let Some(&[typ, v0, v1, l0, l1]) = avail.first_chunk::<RECORD_HEADER_LEN>() else {
            return Ok(None);
        };
        let typ = ContentType(typ);
        if !typ.is_known() {
            return Err(RecordError::UnexpectedContentType(typ.0));
        }
        if v0 != 3 {
            return Err(RecordError::DecodeError("legacy_record_version"));
        }
        let len = usize::from(u16::from_be_bytes([l0, l1]));
        if len > MAX_CIPHERTEXT_LEN {
            return Err(RecordError::RecordOverflow);
        }
        if avail.len() < RECORD_HEADER_LEN + len {
            return Ok(None);
        }
        let at = self.start + RECORD_HEADER_LEN;
        self.start = at + len;
        self.last_payload = Some((at, len));
        let payload = self
            .buf
            .get_mut(at..at + len)
            .ok_or(RecordError::Internal("deframer bounds"))?;
        Ok(Some(Record {
            typ,
            legacy_version: u16::from_be_bytes([v0, v1]),
            payload,
        }))
    }

    /// Keeps the first `len` bytes of the payload of the record most recently
    /// returned by [`next_record`](Self::next_record) — the plaintext that
    /// [`RecordOpener::open`](super::RecordOpener::open) leaves at its front —
    /// readable through [`retained`](Self::retained), so application data
    /// reaches the reader without an intermediate copy.
    ///
    /// Returns false, keeping nothing, if retained bytes are still unread,
    /// if `len` exceeds that payload (or 2^14), or if the buffer was touched
    /// ([`space`](Self::space)/[`push`](Self::push)) since the record was
    /// handed out. The caller then copies the plaintext instead.
    pub fn retain(&mut self, len: usize) -> bool {
        let Some((at, payload_len)) = self.last_payload.take() else {
            return false;
        };
        if len > payload_len || len > MAX_PLAINTEXT_LEN || !self.retained().is_empty() {
            return false;
        }
        self.retained_start = at;
        self.retained_end = at + len;
        true
    }

    /// Room for the plaintext of one record of `payload_len` bytes that the
    /// caller decrypts out of place from its own bytes (which never enter the
    /// buffer): only while nothing is buffered or retained. The room then
    /// counts as the payload most recently handed out, so
    /// [`retain`](Self::retain) keeps the plaintext written there. `None`
    /// otherwise: the caller pushes the bytes instead.
    pub fn plaintext_room(&mut self, payload_len: usize) -> Option<&mut [u8]> {
        if self.has_partial() || !self.retained().is_empty() || payload_len > MAX_CIPHERTEXT_LEN {
            return None;
        }
        if self.cap < payload_len {
            let grown = (self.cap * 2)
                .max(payload_len)
                .max(INITIAL_CAPACITY)
                .max(self.released_len)
                .min(self.limit);
            self.grow_to(grown);
        }
        // The cipher writes into a slice: initialise the record's length, not the buffer's.
        if self.buf.len() < payload_len {
            self.buf.resize(payload_len, 0);
        }
        // As if the record had been received at the front and handed out:
        // the plaintext lies before `start`, where retained bytes live.
        self.start = payload_len;
        self.end = payload_len;
        self.retained_start = 0;
        self.retained_end = 0;
        self.last_payload = Some((0, payload_len));
        self.buf.get_mut(..payload_len)
    }

    /// Plaintext kept by [`retain`](Self::retain) and not yet consumed.
    pub fn retained(&self) -> &[u8] {
        self.buf
            .get(self.retained_start..self.retained_end)
            .unwrap_or_default()
    }

    /// Marks `n` retained bytes as read by the application.
    pub fn consume_retained(&mut self, n: usize) {
        self.retained_start = self.retained_start.saturating_add(n).min(self.retained_end);
    }

    /// True if received bytes do not (yet) form a complete record: at EOF
    /// this means the stream was truncated mid-record.
    pub fn has_partial(&self) -> bool {
        self.start < self.end
    }

    /// Received bytes not yet returned as records.
    pub fn buffered_len(&self) -> usize {
        self.end - self.start
    }

    /// Frees the buffer when it holds nothing (no partial record, no retained
    /// plaintext), so that an idle connection costs no receive memory. The
    /// next [`space`](Self::space) or [`push`](Self::push) allocates again,
    /// at the size released. Returns whether it released.
    pub fn release_if_empty(&mut self) -> bool {
        if self.has_partial() || !self.retained().is_empty() || self.cap == 0 {
            return false;
        }
        self.released_len = self.cap;
        self.buf = Vec::new();
        self.cap = 0;
        self.start = 0;
        self.end = 0;
        self.retained_start = 0;
        self.retained_end = 0;
        self.last_payload = None;
        true
    }

    /// The current buffer size (for tests and diagnostics).
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// Total bytes moved inside the buffer to make room so far: stays a
    /// fraction of the bytes received (diagnostics and tests).
    pub fn bytes_slid(&self) -> u64 {
        self.slid
    }

    /// First byte that must survive a slide: retained plaintext, else the
    /// unconsumed input.
    fn keep_from(&self) -> usize {
        if self.retained_start < self.retained_end {
            self.retained_start
        } else {
            self.start
        }
    }

    /// Bytes still missing for the record at `start`, as far as its header
    /// tells (at least a header's worth).
    fn record_shortfall(&self) -> usize {
        let avail = self.buf.get(self.start..self.end).unwrap_or_default();
        let total = match avail.first_chunk::<RECORD_HEADER_LEN>() {
            Some(&[_, _, _, l0, l1]) => {
                RECORD_HEADER_LEN
                    + usize::from(u16::from_be_bytes([l0, l1])).min(MAX_CIPHERTEXT_LEN)
            }
            None => RECORD_HEADER_LEN,
        };
        total.saturating_sub(avail.len())
    }

    /// Ensures the free tail can take the rest of the pending record and is
    /// worth a read. Grows first (up to the limit). Slides the kept bytes to
    /// the front only when the pending record cannot complete in the tail,
    /// and while plaintext is retained only if the move frees at least as
    /// many bytes as it copies. Without retained plaintext the move is the
    /// partial record, less than one record per buffer's worth of input
    /// (about a quarter of the input with large reads, almost nothing with
    /// small ones); a small tail that can still complete the record is handed
    /// out as is rather than paid for with a large move.
    fn make_room(&mut self) {
        if self.keep_from() == self.end {
            // Everything consumed: rewind for free.
            self.start = 0;
            self.end = 0;
            self.retained_start = 0;
            self.retained_end = 0;
            self.last_payload = None;
        }
        let shortfall = self.record_shortfall();
        let want = shortfall.max(MIN_READ);
        if self.cap - self.end >= want {
            return;
        }
        if self.cap < self.limit {
            let grown = (self.cap * 2)
                .max(self.end + want)
                .max(INITIAL_CAPACITY)
                .max(self.released_len)
                .min(self.limit);
            self.grow_to(grown);
            if self.cap - self.end >= want {
                return;
            }
        }
        let keep = self.keep_from();
        let tail = self.cap - self.end;
        let moved = self.end - keep;
        let cheap_enough = self.retained().is_empty() || keep >= moved;
        if keep > 0 && tail < shortfall && cheap_enough {
            self.buf.copy_within(keep..self.end, 0);
            self.slid += (self.end - keep) as u64;
            self.start -= keep;
            self.end -= keep;
            self.retained_start = self.retained_start.saturating_sub(keep);
            self.retained_end = self.retained_end.saturating_sub(keep);
            self.last_payload = None;
        }
    }

    /// Makes the buffer `cap` bytes (allocated in one step, not initialised).
    fn grow_to(&mut self, cap: usize) {
        self.buf.reserve_exact(cap.saturating_sub(self.buf.len()));
        self.cap = cap.max(self.cap);
    }
}
