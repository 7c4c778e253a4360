//! State both roles share once the handshake is under way: record protection, the
//! outgoing and incoming buffers, alerts, KeyUpdate and the exporter.

use std::sync::Arc;

use crate::alert::{Alert, AlertDescription};
use crate::conn::{Event, Events, Side};
use crate::crypto::suites::CipherSuite;
use crate::error::Error;
use crate::info::{HandshakeInfo, TraceStep};
use crate::key_schedule::{self, ExporterSecret, Secret};
use crate::keylog::{labels, KeyLog};
use crate::msgs::enums::HandshakeType;
use crate::msgs::{HandshakeMessage, KeyUpdate};
use crate::record::{
    self, ContentType, Record, RecordError, RecordOpener, RecordSealer, MAX_PLAINTEXT_LEN,
    MAX_RECORD_WIRE_LEN, TLS12_RECORD_VERSION,
};

/// Outgoing bytes already sent are dropped from the front of the buffer once they are
/// at least this many and at least half of it, so consuming is amortised O(1).
const COMPACT_THRESHOLD: usize = 16 * 1024;

/// Events kept for an application that does not take them (most async servers never call
/// `next_event`): a peer sending KeyUpdates or tickets forever must not grow this queue.
/// Enough for a whole traced handshake; past it the oldest events are dropped.
pub(crate) const MAX_QUEUED_EVENTS: usize = 64;

/// A drained send buffer up to this size is freed (handshake flights, small writes: cheap to
/// allocate again, and an idle connection then holds nothing); a bigger one was filled by bulk
/// writes and is kept, so the next bulk write seals into it without allocating or zeroing.
const KEEP_SEND_BUFFER_ABOVE: usize = 2 * MAX_RECORD_WIRE_LEN;

/// Room reserved for a handshake flight written into the send buffer when its writer does
/// not know better: a Finished with its record overhead, or a KeyUpdate, fits.
const SMALL_FLIGHT: usize = 128;

/// TLS bytes waiting for the transport. `buf[start..end]` is pending; all of `buf` is
/// initialised, so records are sealed straight into its free tail (out-of-place AEAD: the
/// caller's plaintext is read once, by the cipher).
#[derive(Default)]
struct SendBuffer {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl SendBuffer {
    fn pending(&self) -> &[u8] {
        self.buf.get(self.start..self.end).unwrap_or_default()
    }

    fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            if self.buf.len() <= KEEP_SEND_BUFFER_ABOVE {
                self.buf = Vec::new();
            }
        } else if self.start >= COMPACT_THRESHOLD && self.start * 2 >= self.end {
            self.compact();
        }
    }

    fn compact(&mut self) {
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
    }

    /// Free space of at least `additional` bytes after the pending ones.
    fn space(&mut self, additional: usize) -> &mut [u8] {
        if self.buf.len() - self.end < additional {
            if self.start > 0 {
                self.compact();
            }
            let needed = self.end + additional;
            if self.buf.len() < needed {
                // Capacity grows geometrically (or as reserved for a whole flight); only the
                // bytes about to be written are initialised, each once.
                if self.buf.capacity() < needed {
                    let capacity = needed.max(self.buf.capacity() * 2);
                    self.buf.reserve_exact(capacity - self.buf.len());
                }
                self.buf.resize(needed, 0);
            }
        }
        self.buf.get_mut(self.end..).unwrap_or_default()
    }

    /// Room for `additional` more bytes after the pending ones, allocated now (not
    /// initialised): for a flight written in several steps whose size is known up front.
    fn reserve(&mut self, additional: usize) {
        let needed = self.end + additional;
        if self.buf.capacity() < needed {
            self.buf.reserve_exact(needed - self.buf.len());
        }
    }

    /// Marks `n` bytes written into [`SendBuffer::space`] as pending.
    fn advance(&mut self, n: usize) {
        self.end = (self.end + n).min(self.buf.len());
    }

    fn extend(&mut self, bytes: &[u8]) {
        if let Some(dst) = self.space(bytes.len()).get_mut(..bytes.len()) {
            dst.copy_from_slice(bytes);
            self.advance(bytes.len());
        }
    }
}

pub(crate) struct Core {
    pub(crate) side: Side,
    sealer: Option<RecordSealer>,
    opener: Option<RecordOpener>,
    /// Bumped at every change of receive keys, to enforce RFC 8446 §5.1's record boundary.
    pub(crate) recv_epoch: u32,
    outgoing: SendBuffer,
    received: Vec<u8>,
    received_read: usize,
    pub(crate) peer_closed: bool,
    pub(crate) sent_close_notify: bool,
    pub(crate) handshake_complete: bool,
    pub(crate) may_send_application_data: bool,
    pub(crate) may_receive_application_data: bool,
    /// Until the peer's Finished, a plaintext change_cipher_spec is dropped (RFC 8446 §5).
    pub(crate) ccs_allowed: bool,
    pub(crate) error: Option<Error>,
    pub(crate) events: Events,
    pub(crate) info: HandshakeInfo,
    suite: Option<&'static CipherSuite>,
    send_secret: Option<Secret>,
    recv_secret: Option<Secret>,
    exporter_secret: Option<ExporterSecret>,
    key_log: Option<Arc<dyn KeyLog>>,
    pub(crate) client_random: [u8; 32],
    trace: bool,
    /// Bytes of rejected 0-RTT data still to be skipped by trial decryption (RFC 8446 §4.2.10).
    pub(crate) early_data_to_skip: usize,
    /// Server: application data now arriving is 0-RTT data, kept apart because it may be a
    /// replay (RFC 8446 §8).
    pub(crate) receiving_early_data: bool,
    early_received: Vec<u8>,
    /// Server: how much more early data we take before the peer exceeds max_early_data_size.
    pub(crate) early_data_allowance: usize,
    /// Client: 0-RTT data may still be written, up to this many more bytes.
    pub(crate) early_data_send_allowance: Option<usize>,
    /// Client: a copy of what we sent as early data, to resend if the server rejects it.
    pub(crate) early_data_sent: Vec<u8>,
}

/// Which direction a set of traffic keys protects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Send,
    Receive,
}

impl Core {
    pub(crate) fn new(side: Side, key_log: Option<Arc<dyn KeyLog>>, trace: bool) -> Self {
        Self {
            side,
            sealer: None,
            opener: None,
            recv_epoch: 0,
            outgoing: SendBuffer::default(),
            received: Vec::new(),
            received_read: 0,
            peer_closed: false,
            sent_close_notify: false,
            handshake_complete: false,
            may_send_application_data: false,
            may_receive_application_data: false,
            ccs_allowed: false,
            error: None,
            events: Events::new(),
            info: HandshakeInfo::default(),
            suite: None,
            send_secret: None,
            recv_secret: None,
            exporter_secret: None,
            key_log,
            client_random: [0; 32],
            trace,
            early_data_to_skip: 0,
            receiving_early_data: false,
            early_received: Vec::new(),
            early_data_allowance: 0,
            early_data_send_allowance: None,
            early_data_sent: Vec::new(),
        }
    }

    /// Queues an event for [`crate::Connection::next_event`], dropping the oldest when
    /// [`MAX_QUEUED_EVENTS`] wait (bounded memory).
    pub(crate) fn push_event(&mut self, event: Event) {
        if self.events.len() >= MAX_QUEUED_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(event);
    }

    // ---- outgoing bytes ----

    pub(crate) fn pending_tls(&self) -> &[u8] {
        self.outgoing.pending()
    }

    pub(crate) fn consume_tls(&mut self, n: usize) {
        self.outgoing.consume(n);
    }

    /// Writes `payload` as records of type `typ`, protected when send keys are installed.
    fn send_records(&mut self, typ: ContentType, payload: &[u8]) -> Result<(), Error> {
        // A zero-length payload still makes one record (needed for nothing today, but harmless
        // for application data; handshake and alert payloads are never empty).
        let mut chunks = payload.chunks(MAX_PLAINTEXT_LEN).peekable();
        if chunks.peek().is_none() {
            return Ok(());
        }
        let records = payload.len().div_ceil(MAX_PLAINTEXT_LEN);
        match self.sealer.as_mut() {
            Some(sealer) => {
                // One reservation for the whole write, then each record is sealed in place
                // in the send buffer; records sealed before a failure stay queued.
                let space = self
                    .outgoing
                    .space(payload.len() + records * sealer.overhead());
                let mut written = 0;
                let mut result = Ok(());
                for chunk in chunks {
                    let out = space.get_mut(written..).unwrap_or_default();
                    match sealer.seal_into(typ, chunk, 0, out) {
                        Ok(n) => written += n,
                        Err(e) => {
                            result = Err(e);
                            break;
                        }
                    }
                }
                self.outgoing.advance(written);
                result?;
            }
            None => {
                // Room for every header and the payload at once, not a reallocation per piece.
                self.outgoing
                    .space(records * record::RECORD_HEADER_LEN + payload.len());
                for chunk in chunks {
                    self.outgoing
                        .extend(&record::header(typ, TLS12_RECORD_VERSION, chunk.len()));
                    self.outgoing.extend(chunk);
                }
            }
        }
        Ok(())
    }

    /// Sends already-encoded handshake messages (one flight may be several messages).
    pub(crate) fn send_handshake_bytes(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.send_records(ContentType::HANDSHAKE, bytes)
    }

    /// Encodes `msg`, records it in the trace, and returns its bytes for the transcript.
    pub(crate) fn encode_handshake(&mut self, msg: &HandshakeMessage, out: &mut Vec<u8>) {
        let start = out.len();
        msg.encode(out);
        let end = out.len();
        if self.trace {
            let bytes = out.get(start..end).unwrap_or_default().to_vec();
            self.trace_sent(msg.typ(), &bytes);
        }
    }

    /// Records a message we send in the trace (when tracing is on).
    pub(crate) fn trace_sent(&mut self, typ: HandshakeType, bytes: &[u8]) {
        if self.trace {
            self.push_event(Event::Trace(TraceStep::new(self.side, true, typ, bytes)));
        }
    }

    /// Back to unprotected records: a client that sent 0-RTT data under the early key and
    /// then got a HelloRetryRequest sends its second ClientHello in the clear (§4.1.2).
    pub(crate) fn clear_send_keys(&mut self) {
        self.sealer = None;
    }

    pub(crate) fn trace_received(&mut self, typ: HandshakeType, raw: &[u8]) {
        if self.trace {
            let peer = match self.side {
                Side::Client => Side::Server,
                Side::Server => Side::Client,
            };
            self.push_event(Event::Trace(TraceStep::new(peer, false, typ, raw)));
        }
    }

    /// Sends a flight of handshake messages encoded straight into the send buffer: `write`
    /// appends whole messages to the `Vec` it is given (and may read them back, for the
    /// transcript), which is the send buffer's own storage after a reserved record header;
    /// the flight is then framed where it lies, sealed in place when send keys are
    /// installed (no scratch buffer, no copy). A flight longer than one record (2^14 bytes,
    /// RFC 8446 §5.1) is moved out and sent as several. `write` must not send anything
    /// itself.
    pub(crate) fn send_handshake_flight<T>(
        &mut self,
        write: impl FnOnce(&mut Self, &mut Vec<u8>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut buf = std::mem::take(&mut self.outgoing.buf);
        // Bytes past `end` are free space: the flight goes right after the pending ones.
        buf.truncate(self.outgoing.end);
        let record_start = buf.len();
        // A small flight (a Finished) fits without growing; writers of big ones reserve.
        buf.reserve(SMALL_FLIGHT);
        buf.extend_from_slice(&[0; record::RECORD_HEADER_LEN]);
        let written = write(self, &mut buf);
        let written = match written {
            Ok(_) if !self.outgoing.buf.is_empty() => {
                Err(Error::Internal("a flight's writer sent records itself"))
            }
            other => other,
        };
        let value = match written {
            Ok(value) => value,
            Err(e) => {
                // Never leave an unsent flight's plaintext behind.
                buf.get_mut(record_start..).unwrap_or_default().fill(0);
                buf.truncate(record_start);
                self.restore_send_buffer(buf);
                return Err(e);
            }
        };
        let content_len = buf
            .len()
            .saturating_sub(record_start + record::RECORD_HEADER_LEN);
        let framed = if content_len == 0 {
            buf.truncate(record_start);
            Ok(None)
        } else if content_len > MAX_PLAINTEXT_LEN {
            let content = buf.split_off(record_start + record::RECORD_HEADER_LEN);
            buf.truncate(record_start);
            Ok(Some(content))
        } else {
            match self.sealer.as_mut() {
                // On failure the sealer wipes the content and cuts the buffer back.
                Some(sealer) => sealer
                    .seal_in_place(ContentType::HANDSHAKE, &mut buf, record_start)
                    .map(|()| None)
                    .map_err(Error::from),
                None => {
                    let hdr =
                        record::header(ContentType::HANDSHAKE, TLS12_RECORD_VERSION, content_len);
                    if let Some(slot) = buf.get_mut(record_start..record_start + hdr.len()) {
                        slot.copy_from_slice(&hdr);
                    }
                    Ok(None)
                }
            }
        };
        self.restore_send_buffer(buf);
        if let Some(content) = framed? {
            self.send_records(ContentType::HANDSHAKE, &content)?;
        }
        Ok(value)
    }

    /// Puts the send buffer's storage back after [`Core::send_handshake_flight`]: everything
    /// in it up to its length is pending.
    fn restore_send_buffer(&mut self, buf: Vec<u8>) {
        self.outgoing.end = buf.len();
        self.outgoing.buf = buf;
    }

    /// Allocates the send buffer for about `bytes` more of records at once (a flight written
    /// record by record would otherwise grow it several times).
    pub(crate) fn reserve_send(&mut self, bytes: usize) {
        self.outgoing.reserve(bytes);
    }

    /// The middlebox-compatibility change_cipher_spec (RFC 8446 §D.4).
    pub(crate) fn send_compat_ccs(&mut self) {
        self.outgoing.extend(&record::CCS_RECORD);
    }

    pub(crate) fn send_alert(&mut self, alert: Alert) {
        let bytes = alert.encode();
        // An alert that cannot be sealed (keys exhausted) is simply not sent.
        let _ = self.send_records(ContentType::ALERT, &bytes);
    }

    pub(crate) fn send_application_data(&mut self, data: &[u8]) -> Result<(), Error> {
        // RFC 8446 §5.5: rekey before the AEAD's confidentiality limit.
        if self.sealer.as_ref().is_some_and(|s| s.near_limit()) {
            self.send_key_update(false)?;
        }
        self.send_records(ContentType::APPLICATION_DATA, data)
    }

    // ---- keys ----

    pub(crate) fn set_suite(&mut self, suite: &'static CipherSuite) {
        self.suite = Some(suite);
    }

    fn suite(&self) -> Result<&'static CipherSuite, Error> {
        self.suite.ok_or(Error::Internal("cipher suite not chosen"))
    }

    /// Installs traffic keys derived from `secret` for one direction (RFC 8446 §7.3).
    pub(crate) fn install_keys(&mut self, dir: Direction, secret: &Secret) -> Result<(), Error> {
        let suite = self.suite()?;
        let keys = key_schedule::derive_traffic_keys(suite, secret)?;
        match dir {
            Direction::Send => {
                self.sealer = Some(RecordSealer::new(
                    suite.aead,
                    keys.key(),
                    keys.iv,
                    suite.confidentiality_limit,
                )?);
            }
            Direction::Receive => {
                self.opener = Some(RecordOpener::new(
                    suite.aead,
                    keys.key(),
                    keys.iv,
                    suite.confidentiality_limit,
                )?);
                self.recv_epoch += 1;
            }
        }
        Ok(())
    }

    /// Installs the first application traffic secrets and remembers them for KeyUpdate.
    pub(crate) fn install_application_secret(
        &mut self,
        dir: Direction,
        secret: Secret,
    ) -> Result<(), Error> {
        self.install_keys(dir, &secret)?;
        match dir {
            Direction::Send => self.send_secret = Some(secret),
            Direction::Receive => self.recv_secret = Some(secret),
        }
        Ok(())
    }

    /// Keeps the exporter secret; with a key log, derives it now to log it.
    pub(crate) fn set_exporter_secret(&mut self, mut secret: ExporterSecret) -> Result<(), Error> {
        if self.key_log.is_some() {
            let derived = secret.settle()?;
            self.log_secret(labels::EXPORTER, derived);
        }
        self.exporter_secret = Some(secret);
        Ok(())
    }

    /// Before a KeyUpdate retires application_traffic_secret_0 (RFC 8446 §7.2): a deferred
    /// exporter secret is derived, and the master secret that would re-derive it wiped.
    fn settle_exporter_secret(&mut self) -> Result<(), Error> {
        if let Some(secret) = &mut self.exporter_secret {
            secret.settle()?;
        }
        Ok(())
    }

    pub(crate) fn log_secret(&self, label: &str, secret: &Secret) {
        if let Some(log) = &self.key_log {
            log.log(label, &self.client_random, secret.as_bytes());
        }
    }

    pub(crate) fn send_key_update(&mut self, request_peer: bool) -> Result<(), Error> {
        let suite = self.suite()?;
        let current = self
            .send_secret
            .as_ref()
            .ok_or(Error::HandshakeNotComplete)?;
        let mut bytes = Vec::with_capacity(5);
        let msg = HandshakeMessage::KeyUpdate(KeyUpdate {
            update_requested: request_peer,
        });
        let next = key_schedule::next_application_traffic_secret(suite.hash, current)?;
        self.settle_exporter_secret()?;
        self.encode_handshake(&msg, &mut bytes);
        self.send_handshake_bytes(&bytes)?;
        self.install_application_secret(Direction::Send, next)
    }

    /// RFC 8446 §4.6.3: the peer moved to new keys; answer update_requested with our own.
    pub(crate) fn receive_key_update(&mut self, raw: &[u8]) -> Result<(), Error> {
        let body = raw.get(4..).unwrap_or_default();
        let ku = KeyUpdate::decode(body)?;
        self.trace_received(HandshakeType::KEY_UPDATE, raw);
        let suite = self.suite()?;
        let current = self
            .recv_secret
            .as_ref()
            .ok_or(Error::Internal("no receive secret"))?;
        let next = key_schedule::next_application_traffic_secret(suite.hash, current)?;
        self.settle_exporter_secret()?;
        self.install_application_secret(Direction::Receive, next)?;
        if ku.update_requested && !self.sent_close_notify {
            self.send_key_update(false)?;
        }
        self.push_event(Event::PeerKeyUpdated {
            update_requested: ku.update_requested,
        });
        Ok(())
    }

    pub(crate) fn export_keying_material(
        &self,
        label: &[u8],
        context: Option<&[u8]>,
        out: &mut [u8],
    ) -> Result<(), Error> {
        let suite = self.suite()?;
        let secret = self
            .exporter_secret
            .as_ref()
            .ok_or(Error::HandshakeNotComplete)?
            .secret()?;
        key_schedule::export_keying_material(suite.hash, &secret, label, context, out)?;
        Ok(())
    }

    // ---- incoming ----

    /// Removes record protection. `None`: the record is to be dropped (compat CCS, or
    /// rejected 0-RTT data being skipped).
    pub(crate) fn unprotect<'a>(
        &mut self,
        record: Record<'a>,
    ) -> Result<Option<(ContentType, &'a mut [u8])>, Error> {
        if record.typ == ContentType::CHANGE_CIPHER_SPEC {
            // RFC 8446 §5: a single 0x01 is dropped while the handshake runs; anything else,
            // or a CCS after it, is unexpected_message.
            if !self.ccs_allowed {
                return Err(RecordError::UnexpectedMessage("change_cipher_spec").into());
            }
            record::check_ccs(record.payload)?;
            return Ok(None);
        }
        let header = record.header();
        match self.opener.as_mut() {
            Some(opener) => {
                if record.typ != ContentType::APPLICATION_DATA {
                    return Err(
                        RecordError::UnexpectedMessage("unprotected record after keys").into(),
                    );
                }
                if self.early_data_to_skip > 0 {
                    let len = record.payload.len();
                    return match opener.try_open(header, record.payload)? {
                        Some(opened) => {
                            self.early_data_to_skip = 0;
                            Ok(Some(opened))
                        }
                        None if len <= self.early_data_to_skip => {
                            self.early_data_to_skip -= len;
                            Ok(None)
                        }
                        None => Err(RecordError::BadRecordMac.into()),
                    };
                }
                let (typ, plaintext) = opener.open(header, record.payload)?;
                if plaintext.is_empty() && typ != ContentType::APPLICATION_DATA {
                    return Err(RecordError::UnexpectedMessage("empty record").into());
                }
                Ok(Some((typ, plaintext)))
            }
            None => {
                if self.skip_unprotected(record.typ, record.payload)? {
                    return Ok(None);
                }
                Ok(Some((record.typ, record.payload)))
            }
        }
    }

    /// An unprotected record, before the peer's keys (RFC 8446 §5.1): true when it is
    /// skipped (encrypted 0-RTT data we have no key for, up to the amount the client may
    /// send); an error for what may not arrive unprotected: application data beyond that,
    /// more than 2^14 bytes (record_overflow), an empty handshake or alert record.
    pub(crate) fn skip_unprotected(
        &mut self,
        typ: ContentType,
        payload: &[u8],
    ) -> Result<bool, Error> {
        if typ == ContentType::APPLICATION_DATA {
            if self.early_data_to_skip >= payload.len() {
                self.early_data_to_skip -= payload.len();
                return Ok(true);
            }
            return Err(
                RecordError::UnexpectedMessage("application data before the handshake").into(),
            );
        }
        record::check_plain_record(typ, payload)?;
        Ok(false)
    }

    /// Whether unprotected records are what arrives next: the peer's keys are not in use
    /// yet and it has not closed.
    pub(crate) fn reads_unprotected(&self) -> bool {
        self.opener.is_none() && !self.peer_closed
    }

    /// Whether a protected record may be opened straight from the transport's bytes
    /// ([`Core::open_into`]): keys are installed and no rejected 0-RTT data is being
    /// skipped by trial decryption (which [`Core::unprotect`] does).
    pub(crate) fn opens_directly(&self) -> bool {
        self.opener.is_some() && self.early_data_to_skip == 0 && !self.peer_closed
    }

    /// [`Core::unprotect`] for a protected record whose bytes stay with the caller: the
    /// plaintext is decrypted into `out`.
    pub(crate) fn open_into<'o>(
        &mut self,
        header: [u8; record::RECORD_HEADER_LEN],
        payload: &[u8],
        out: &'o mut [u8],
    ) -> Result<(ContentType, &'o mut [u8]), Error> {
        let opener = self
            .opener
            .as_mut()
            .ok_or(Error::Internal("no receive keys"))?;
        let (typ, plaintext) = opener.open_into(header, payload, out)?;
        if plaintext.is_empty() && typ != ContentType::APPLICATION_DATA {
            return Err(RecordError::UnexpectedMessage("empty record").into());
        }
        Ok((typ, plaintext))
    }

    pub(crate) fn receive_alert(&mut self, payload: &[u8]) -> Result<(), Error> {
        let alert = Alert::decode(payload)?;
        // RFC 8446 §6.1: close_notify ends the peer's data; user_canceled is followed by it.
        if alert.description == AlertDescription::CLOSE_NOTIFY {
            self.peer_closed = true;
            self.push_event(Event::PeerClosed);
            return Ok(());
        }
        if alert.description == AlertDescription::USER_CANCELED {
            return Ok(());
        }
        // Every other alert is fatal whatever its level says (RFC 8446 §6.2).
        let err = Error::PeerAlert(alert.description);
        self.error = Some(err.clone());
        Err(err)
    }

    /// Server: keeps 0-RTT data apart (it may be a replay, RFC 8446 §8), within
    /// max_early_data_size (§4.2.10: more is unexpected_message).
    pub(crate) fn receive_early_data(&mut self, data: &[u8]) -> Result<(), Error> {
        if data.len() > self.early_data_allowance {
            return Err(Error::UnexpectedMessage {
                expected: "at most max_early_data_size bytes of early data",
                got: "more early data".into(),
            });
        }
        self.early_data_allowance -= data.len();
        self.early_received.extend_from_slice(data);
        Ok(())
    }

    /// RFC 8446 §2: application data only once the peer's Finished is verified (or its
    /// early data was accepted).
    pub(crate) fn check_application_data_allowed(&self) -> Result<(), Error> {
        if !self.may_receive_application_data {
            return Err(
                RecordError::UnexpectedMessage("application data during the handshake").into(),
            );
        }
        Ok(())
    }

    /// Queues application data that could not stay in the receive buffer (see
    /// `Connection::process_records`).
    pub(crate) fn receive_application_data(&mut self, data: &[u8]) -> Result<(), Error> {
        self.check_application_data_allowed()?;
        if self.received_read == self.received.len() {
            self.received.clear();
            self.received_read = 0;
        } else if self.received_read > 0 && self.received_read * 2 >= self.received.len() {
            self.received.drain(..self.received_read);
            self.received_read = 0;
        }
        self.received.extend_from_slice(data);
        Ok(())
    }

    /// Server: the 0-RTT data received so far, taken out.
    pub(crate) fn take_early_data(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.early_received)
    }

    /// Client: encrypts 0-RTT data under the early traffic key; returns how much was taken.
    pub(crate) fn send_early_data(&mut self, data: &[u8]) -> Result<usize, Error> {
        let Some(allowance) = self.early_data_send_allowance else {
            return Ok(0);
        };
        let n = data.len().min(allowance);
        let chunk = data.get(..n).unwrap_or_default();
        self.send_records(ContentType::APPLICATION_DATA, chunk)?;
        self.early_data_sent.extend_from_slice(chunk);
        self.early_data_send_allowance = Some(allowance - n);
        Ok(n)
    }

    pub(crate) fn received_len(&self) -> usize {
        self.received.len() - self.received_read
    }

    /// Queued application data not yet read.
    pub(crate) fn received(&self) -> &[u8] {
        self.received.get(self.received_read..).unwrap_or_default()
    }

    /// Marks `n` bytes of [`Core::received`] as read (at most all of them).
    pub(crate) fn consume_received(&mut self, n: usize) {
        self.received_read = (self.received_read + n).min(self.received.len());
        if self.received_read == self.received.len() {
            // Released, not kept: an idle connection holds no plaintext buffer.
            self.received = Vec::new();
            self.received_read = 0;
        }
    }
}
