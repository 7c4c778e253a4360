//! The sans-I/O connection: TLS bytes in, TLS bytes out, plaintext and events in between.
//!
//! [`Connection`] owns the record layer (RFC 8446 §5) and hands each complete handshake
//! message to the role's state machine (`client::Handshake` or `server::Handshake`). It never
//! touches a socket: [`crate::stream::Stream`] and other adapters move the bytes.

use std::collections::VecDeque;

use crate::alert::{Alert, AlertDescription, AlertLevel};
use crate::client::{ClientConnected, ClientHandshake};
use crate::common::Core;
use crate::error::Error;
use crate::info::HandshakeInfo;
use crate::msgs::enums::HandshakeType;
use crate::record::{ContentType, Deframer, HandshakeJoiner, RecordError, RECORD_HEADER_LEN};
use crate::server::ServerHandshake;

/// Received plaintext we hold for the application before we stop reading records
/// (backpressure: the peer's data waits in the transport, not in our memory).
const MAX_BUFFERED_PLAINTEXT: usize = 64 * 1024;

/// Something the application may want to react to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The handshake finished; [`Connection::info`] now describes it.
    HandshakeComplete,
    /// The peer updated its sending keys (RFC 8446 §4.6.3).
    PeerKeyUpdated {
        /// Whether the peer asked us to update ours too (we did).
        update_requested: bool,
    },
    /// The peer sent close_notify: no more data will come.
    PeerClosed,
    /// Client: a ticket for resuming later arrived and was stored (RFC 8446 §4.6.1).
    TicketReceived,
    /// Client: the server did not accept our 0-RTT data.
    EarlyDataRejected {
        /// Whether padlock resent it as ordinary data after the handshake (per the config).
        resent: bool,
    },
    /// Server: 0-RTT data arrived; read it with [`Connection::take_early_data`].
    EarlyDataReceived,
    /// A handshake message crossed the wire (only when tracing is enabled in the config).
    Trace(crate::info::TraceStep),
}

/// Which side of the connection we are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// We sent the ClientHello.
    Client,
    /// We answered it.
    Server,
}

pub(crate) enum Handshaker {
    Client(Box<ClientHandshake>),
    Server(Box<ServerHandshake>),
    /// A client after its handshake: only what NewSessionTicket needs.
    ClientConnected(Box<ClientConnected>),
    /// A server after its handshake: it takes no handshake message but KeyUpdate, which
    /// the core handles.
    ServerConnected,
}

impl Handshaker {
    /// Drops the handshake state once the handshake is complete, keeping only what
    /// post-handshake messages (RFC 8446 §4.6) need.
    fn connected(self) -> Self {
        match self {
            Self::Client(c) => Self::ClientConnected(Box::new(c.into_connected())),
            Self::Server(_) => Self::ServerConnected,
            done => done,
        }
    }
}

/// A TLS 1.3 connection, client or server, without I/O.
///
/// Feed it what the transport received ([`Connection::feed_tls`] or the zero-copy
/// [`Connection::recv_buffer`] + [`Connection::recv_done`]); send what
/// [`Connection::pending_tls`] holds; exchange plaintext with [`Connection::read`] and
/// [`Connection::write`].
pub struct Connection {
    deframer: Deframer,
    joiner: HandshakeJoiner,
    pub(crate) core: Core,
    hs: Option<Handshaker>,
    /// Length of the last [`Connection::recv_buffer`] handed out: a transport that filled
    /// less of it had nothing more to give, the moment to release idle buffers.
    offered: usize,
    /// The last [`Connection::feed_tls`] left bytes with the caller until the plaintext is
    /// read: they come straight back, so reading does not free the receive buffer.
    feed_left_bytes: bool,
}

impl Connection {
    pub(crate) fn new(core: Core, hs: Handshaker) -> Self {
        Self {
            deframer: Deframer::new(),
            joiner: HandshakeJoiner::new(),
            core,
            hs: Some(hs),
            offered: 0,
            feed_left_bytes: false,
        }
    }

    /// Which side we are.
    pub fn side(&self) -> Side {
        self.core.side
    }

    /// Takes bytes received from the transport and processes every complete record in them.
    ///
    /// Returns how many bytes were taken: fewer than `data.len()` when our receive buffer is
    /// full because the application has not read its plaintext yet; offer the rest later.
    pub fn feed_tls(&mut self, data: &[u8]) -> Result<usize, Error> {
        self.check_usable()?;
        let mut taken = 0;
        // Decrypted application data waits in the receive buffer until it is read
        // (zero-copy); meanwhile more bytes would only push it around, so none are taken.
        while taken < data.len() && self.deframer.retained().is_empty() {
            let rest = data.get(taken..).unwrap_or_default();
            let r = self.open_in_one_pass(rest);
            if let Some(n) = self.fail_on_error(r)? {
                taken += n;
                continue;
            }
            let n = self.deframer.push(rest);
            taken += n;
            self.process()?;
            if n == 0 {
                break;
            }
        }
        self.feed_left_bytes = taken < data.len();
        if !self.feed_left_bytes {
            self.release_idle_buffers();
        }
        Ok(taken)
    }

    /// Free space in the receive buffer, for a transport to read into directly.
    ///
    /// Received application data is kept in this buffer until [`Connection::read`] takes
    /// it; while [`Connection::wants_read`] is false the space may be empty: read first.
    pub fn recv_buffer(&mut self) -> &mut [u8] {
        self.offered = self.deframer.space().len();
        self.deframer.space()
    }

    /// Marks `n` bytes of [`Connection::recv_buffer`] as received and processes them.
    pub fn recv_done(&mut self, n: usize) -> Result<(), Error> {
        self.check_usable()?;
        self.deframer.advance(n);
        self.process()?;
        if n < self.offered {
            self.release_idle_buffers();
        }
        Ok(())
    }

    /// The transport reached end of stream. Without a close_notify before it, this is
    /// [`Error::Truncated`]: never mistake a cut connection for the end of the data.
    pub fn recv_eof(&mut self) -> Result<(), Error> {
        if self.core.peer_closed {
            return Ok(());
        }
        if let Some(e) = &self.core.error {
            return Err(e.clone());
        }
        self.core.error = Some(Error::Truncated);
        Err(Error::Truncated)
    }

    /// TLS bytes waiting to be sent to the peer.
    pub fn pending_tls(&self) -> &[u8] {
        self.core.pending_tls()
    }

    /// Marks `n` bytes of [`Connection::pending_tls`] as sent.
    pub fn consume_tls(&mut self, n: usize) {
        self.core.consume_tls(n)
    }

    /// Whether there are TLS bytes to send.
    pub fn wants_write(&self) -> bool {
        !self.core.pending_tls().is_empty()
    }

    /// Whether the handshake is still in progress.
    pub fn is_handshaking(&self) -> bool {
        !self.core.handshake_complete
    }

    /// Whether the connection can take more TLS data now: it has not failed, the peer has not
    /// closed, and no decrypted application data waits to be read. (That data stays in the
    /// receive buffer, uncopied, and no more records are opened until the application takes
    /// it, so reading from the transport then would only fill the buffer.)
    pub fn wants_read(&self) -> bool {
        self.core.error.is_none()
            && !self.core.peer_closed
            && self.deframer.retained().is_empty()
            && self.readable() < MAX_BUFFERED_PLAINTEXT
    }

    /// The next event, if any. Only the latest 64 are kept for an application that does
    /// not take them.
    pub fn next_event(&mut self) -> Option<Event> {
        self.core.events.pop_front()
    }

    /// Copies received application data into `buf`, returning how many bytes were copied.
    ///
    /// `Ok(0)` means nothing is buffered right now: check [`Connection::peer_closed`] to tell
    /// the end of the stream (close_notify) from "feed more TLS data first". A connection
    /// that failed returns its error once the data received before the failure is read.
    /// [`Connection::plaintext`] lends the same bytes without the copy.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        let src = self.plaintext();
        let n = src.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), src.get(..n)) {
            dst.copy_from_slice(src);
        }
        if n > 0 {
            // The bytes are the caller's now: a failure in the records processed next is
            // kept and returned by the next call, not in place of these bytes.
            let _ = self.consume_plaintext(n);
            return Ok(n);
        }
        self.check_usable()?;
        Ok(0)
    }

    /// Received application data, lent where it was decrypted (no copy): the plaintext of
    /// the record opened last, or less once part of it was consumed. Empty when nothing is
    /// waiting, as [`Connection::read`] returning `Ok(0)`.
    ///
    /// Mark what was used with [`Connection::consume_plaintext`]; until all of it is
    /// consumed no further record is opened (its bytes wait in the receive buffer or in the
    /// transport). Like [`std::io::BufRead::fill_buf`]; [`crate::Stream`] implements that.
    pub fn plaintext(&self) -> &[u8] {
        match self.deframer.retained() {
            [] => self.core.received(),
            retained => retained,
        }
    }

    /// Marks the first `n` bytes of [`Connection::plaintext`] as read (at most all of it),
    /// then opens the records that waited for that space. The error is that of one of
    /// those records: the connection has failed (and sent its alert).
    pub fn consume_plaintext(&mut self, n: usize) -> Result<(), Error> {
        if n == 0 {
            return Ok(());
        }
        if self.deframer.retained().is_empty() {
            self.core.consume_received(n);
        } else {
            self.deframer.consume_retained(n);
        }
        // Space freed: records held back by backpressure can be processed now.
        if self.deframer_has_data() {
            self.process()
        } else {
            if self.readable() == 0 && !self.feed_left_bytes {
                self.release_idle_buffers();
            }
            Ok(())
        }
    }

    /// Bytes of application data ready for [`Connection::read`].
    pub fn readable(&self) -> usize {
        self.deframer.retained().len() + self.core.received_len()
    }

    /// Whether the peer has sent close_notify.
    pub fn peer_closed(&self) -> bool {
        self.core.peer_closed
    }

    /// Encrypts application data for the peer. Everything is accepted: the ciphertext waits in
    /// [`Connection::pending_tls`].
    pub fn write(&mut self, data: &[u8]) -> Result<usize, Error> {
        self.check_usable()?;
        if self.core.sent_close_notify {
            return Err(Error::ConnectionClosed);
        }
        if !self.core.may_send_application_data {
            return Err(Error::HandshakeNotComplete);
        }
        let r = self.core.send_application_data(data);
        self.fail_on_error(r)?;
        Ok(data.len())
    }

    /// Client: sends `data` as 0-RTT early data, in the first flight (RFC 8446 §2.3).
    ///
    /// Returns how many bytes were taken: 0 when this connection cannot send early data (no
    /// ticket that allows it, early data not enabled in the config, or the server already
    /// answered). Early data can be replayed by an attacker: send only what is safe to
    /// repeat, such as an idempotent request. Whether the server took it is in
    /// [`HandshakeInfo::early_data_accepted`](crate::HandshakeInfo) after the handshake.
    pub fn write_early_data(&mut self, data: &[u8]) -> Result<usize, Error> {
        self.check_usable()?;
        let r = self.core.send_early_data(data);
        self.fail_on_error(r)
    }

    /// Server: the 0-RTT early data the client sent, taken out (empty if none was accepted).
    ///
    /// This data may be a replay (RFC 8446 §8): act on it only if doing so twice is harmless.
    pub fn take_early_data(&mut self) -> Vec<u8> {
        self.core.take_early_data()
    }

    /// Sends close_notify (RFC 8446 §6.1): we will write nothing more.
    pub fn send_close_notify(&mut self) {
        if self.core.sent_close_notify || self.core.error.is_some() {
            return;
        }
        self.core.send_alert(Alert {
            level: AlertLevel::WARNING,
            description: AlertDescription::CLOSE_NOTIFY,
        });
        self.core.sent_close_notify = true;
    }

    /// Updates our sending keys, and asks the peer to update its own when `request_peer`
    /// (RFC 8446 §4.6.3).
    pub fn send_key_update(&mut self, request_peer: bool) -> Result<(), Error> {
        self.check_usable()?;
        if !self.core.handshake_complete {
            return Err(Error::HandshakeNotComplete);
        }
        let r = self.core.send_key_update(request_peer);
        self.fail_on_error(r)
    }

    /// What the handshake negotiated; complete once [`Connection::is_handshaking`] is false.
    pub fn info(&self) -> &HandshakeInfo {
        &self.core.info
    }

    /// RFC 8446 §7.5 exporter: keying material bound to this connection.
    pub fn export_keying_material(
        &self,
        label: &[u8],
        context: Option<&[u8]>,
        out: &mut [u8],
    ) -> Result<(), Error> {
        self.core.export_keying_material(label, context, out)
    }

    /// The error that ended the connection, if one did.
    pub fn error(&self) -> Option<&Error> {
        self.core.error.as_ref()
    }

    fn check_usable(&self) -> Result<(), Error> {
        match &self.core.error {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    fn deframer_has_data(&self) -> bool {
        self.deframer.has_partial()
    }

    /// Frees receive buffers that hold nothing, so that an idle connection costs little
    /// memory; the next record allocates them again. The handshake joiner goes only after the
    /// handshake (during it, the next flight is certain to come). The receive buffer goes
    /// between flights too: keeping it would save an allocation per flight but cost every
    /// handshake in flight 4 KiB of peak memory (bytes fed in are appended to a new buffer,
    /// not written over a zero-filled one, so the allocation is all a flight pays).
    fn release_idle_buffers(&mut self) {
        self.deframer.release_if_empty();
        if self.core.handshake_complete {
            self.joiner.release_if_empty();
        }
    }

    /// Records an error as the connection's end, sending its alert (RFC 8446 §6.2).
    fn fail_on_error<T>(&mut self, r: Result<T, Error>) -> Result<T, Error> {
        match r {
            Ok(v) => Ok(v),
            Err(e) => {
                if self.core.error.is_none() {
                    tracing::debug!(side = ?self.core.side, error = %e, "connection failed");
                    if let Some(desc) = e.alert() {
                        self.core.send_alert(Alert {
                            level: AlertLevel::FATAL,
                            description: desc,
                        });
                    }
                    self.core.error = Some(e.clone());
                }
                Err(e)
            }
        }
    }

    fn process(&mut self) -> Result<(), Error> {
        let r = self.process_records();
        self.fail_on_error(r)
    }

    /// Opens the protected record at the front of `data` straight into the receive buffer,
    /// when `data` holds all of it and nothing is buffered before it: decrypting out of place
    /// reads the bytes once, where copying them in and decrypting in place reads them twice.
    /// Returns how many bytes of `data` the record took; `None` leaves the bytes to the
    /// deframer (which also reports malformed headers).
    fn open_in_one_pass(&mut self, data: &[u8]) -> Result<Option<usize>, Error> {
        if self.readable() > 0 {
            return Ok(None);
        }
        let Some(&header) = data.first_chunk::<RECORD_HEADER_LEN>() else {
            return Ok(None);
        };
        let [typ, major, _, l0, l1] = header;
        let len = usize::from(u16::from_be_bytes([l0, l1]));
        let Some(payload) = data.get(RECORD_HEADER_LEN..RECORD_HEADER_LEN + len) else {
            return Ok(None);
        };
        if major != 3 {
            return Ok(None);
        }
        if ContentType(typ) == ContentType::HANDSHAKE {
            return self.take_unprotected_in_one_pass(payload);
        }
        if ContentType(typ) != ContentType::APPLICATION_DATA || !self.core.opens_directly() {
            return Ok(None);
        }
        let Some(out) = self.deframer.plaintext_room(len) else {
            return Ok(None);
        };
        let (typ, plaintext) = self.core.open_into(header, payload, out)?;
        let keep = Self::take_plaintext(
            &mut self.hs,
            &mut self.core,
            &mut self.joiner,
            typ,
            plaintext,
        )?;
        if keep > 0 && !self.deframer.retain(keep) {
            return Err(Error::Internal("decrypted data could not be kept"));
        }
        Ok(Some(RECORD_HEADER_LEN + len))
    }

    /// An unprotected handshake record (the ClientHello or ServerHello phase, RFC 8446
    /// §5.1) whole at the front of the transport's bytes, with nothing buffered before it:
    /// checked as the deframer's path checks it and handed over where it lies, instead of
    /// being copied into the receive buffer first.
    fn take_unprotected_in_one_pass(&mut self, payload: &[u8]) -> Result<Option<usize>, Error> {
        if !self.core.reads_unprotected()
            || self.deframer.has_partial()
            || !self.deframer.retained().is_empty()
        {
            return Ok(None);
        }
        self.core
            .skip_unprotected(ContentType::HANDSHAKE, payload)?;
        Self::take_handshake(&mut self.hs, &mut self.core, &mut self.joiner, payload)?;
        Ok(Some(RECORD_HEADER_LEN + payload.len()))
    }

    /// Takes records from the deframer until it needs more bytes or the application has
    /// enough plaintext waiting.
    fn process_records(&mut self) -> Result<(), Error> {
        loop {
            if self.core.peer_closed {
                // RFC 8446 §6.1: data after close_notify is ignored.
                return Ok(());
            }
            // Backpressure: the reader takes what is buffered before more records are opened.
            if self.readable() >= MAX_BUFFERED_PLAINTEXT || !self.deframer.retained().is_empty() {
                return Ok(());
            }
            let Some(record) = self.deframer.next_record()? else {
                return Ok(());
            };
            let Some((typ, plaintext)) = self.core.unprotect(record)? else {
                continue;
            };
            let keep = Self::take_plaintext(
                &mut self.hs,
                &mut self.core,
                &mut self.joiner,
                typ,
                plaintext,
            )?;
            // Zero-copy: application data stays where it was decrypted until read (nothing
            // is retained: see the backpressure check above).
            if keep > 0 && !self.deframer.retain(keep) {
                return Err(Error::Internal("decrypted data could not be kept"));
            }
        }
    }

    /// Acts on one opened record by its content type (RFC 8446 §5.1). Returns how many
    /// bytes of application data the caller keeps in the receive buffer for the reader.
    fn take_plaintext(
        hs: &mut Option<Handshaker>,
        core: &mut Core,
        joiner: &mut HandshakeJoiner,
        typ: ContentType,
        plaintext: &[u8],
    ) -> Result<usize, Error> {
        match typ {
            ContentType::HANDSHAKE => Self::take_handshake(hs, core, joiner, plaintext)?,
            ContentType::ALERT => core.receive_alert(plaintext)?,
            ContentType::APPLICATION_DATA if core.receiving_early_data => {
                core.receive_early_data(plaintext)?;
            }
            ContentType::APPLICATION_DATA => {
                core.check_application_data_allowed()?;
                if core.received_len() > 0 {
                    // Order: it goes behind plaintext already queued.
                    core.receive_application_data(plaintext)?;
                } else {
                    return Ok(plaintext.len());
                }
            }
            other => return Err(RecordError::UnexpectedContentType(other.0).into()),
        }
        Ok(0)
    }

    /// A handshake record's content (RFC 8446 §5.1): the whole messages at its start are
    /// handled where they lie; what is left (a message continued in the next record) goes
    /// to the joiner, as does everything while the joiner holds the start of a message.
    fn take_handshake(
        hs: &mut Option<Handshaker>,
        core: &mut Core,
        joiner: &mut HandshakeJoiner,
        fragment: &[u8],
    ) -> Result<(), Error> {
        let mut rest = fragment;
        while let Some((typ, raw, after)) = joiner.split_message(rest)? {
            let epoch = core.recv_epoch;
            Self::handle_handshake(hs, core, HandshakeType(typ), raw)?;
            if core.recv_epoch != epoch && !after.is_empty() {
                return Err(key_change_mid_record());
            }
            if after.is_empty() {
                return Ok(());
            }
            rest = after;
        }
        // An empty fragment lands here too, and the joiner refuses it (§5.1).
        joiner.push(rest)?;
        Self::process_handshake_messages(hs, core, joiner)
    }

    fn process_handshake_messages(
        hs: &mut Option<Handshaker>,
        core: &mut Core,
        joiner: &mut HandshakeJoiner,
    ) -> Result<(), Error> {
        while let Some((typ, raw)) = joiner.next_message()? {
            let typ = HandshakeType(typ);
            let epoch = core.recv_epoch;
            // The message is handed over where the joiner holds it (no copy): the state
            // machine borrows the handshake state and the core, the joiner is left alone.
            Self::handle_handshake(hs, core, typ, raw)?;
            // RFC 8446 §5.1: messages before a key change must end on a record boundary.
            if core.recv_epoch != epoch && !joiner.is_empty() {
                return Err(key_change_mid_record());
            }
        }
        Ok(())
    }

    fn handle_handshake(
        slot: &mut Option<Handshaker>,
        core: &mut Core,
        typ: HandshakeType,
        raw: &[u8],
    ) -> Result<(), Error> {
        let Some(hs) = slot.as_mut() else {
            return Err(Error::Internal("handshake state missing"));
        };
        let was_complete = core.handshake_complete;
        if was_complete {
            // Post-handshake messages (RFC 8446 §4.6) are the same for both roles except
            // NewSessionTicket, which the client's state machine takes.
            if typ == HandshakeType::KEY_UPDATE {
                return core.receive_key_update(raw);
            }
        }
        core.trace_received(typ, raw);
        match hs {
            Handshaker::Client(c) => c.handle(core, typ, raw)?,
            Handshaker::Server(s) => s.handle(core, typ, raw)?,
            Handshaker::ClientConnected(c) => c.handle(core, typ, raw)?,
            Handshaker::ServerConnected => {
                return Err(Error::UnexpectedMessage {
                    expected: "KeyUpdate",
                    got: format!("{typ:?}"),
                })
            }
        }
        if !was_complete && core.handshake_complete {
            core.push_event(Event::HandshakeComplete);
            *slot = slot.take().map(Handshaker::connected);
        }
        Ok(())
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("side", &self.core.side)
            .field("handshaking", &self.is_handshaking())
            .field("error", &self.core.error)
            .finish()
    }
}

/// The events an application has not taken yet, oldest first. The first one waits inline:
/// a handshake queues one (`HandshakeComplete`) and most applications never take it, so the
/// common case allocates nothing (a `VecDeque` of events is 224 bytes per connection).
#[derive(Debug, Default)]
pub(crate) struct Events {
    /// The oldest event, when it is not in `later`.
    first: Option<Event>,
    /// Events after `first` (all events, when `first` is empty).
    later: VecDeque<Event>,
}

impl Events {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.later.len()
    }

    pub(crate) fn push_back(&mut self, event: Event) {
        if self.first.is_none() && self.later.is_empty() {
            self.first = Some(event);
        } else {
            self.later.push_back(event);
        }
    }

    pub(crate) fn pop_front(&mut self) -> Option<Event> {
        self.first.take().or_else(|| self.later.pop_front())
    }
}

/// RFC 8446 §5.1: messages before a key change must end on a record boundary.
fn key_change_mid_record() -> Error {
    Error::UnexpectedMessage {
        expected: "a record boundary before the key change",
        got: "more handshake data under the old key".into(),
    }
}

#[cfg(test)]
mod event_queue_tests {
    use super::{Event, Events};

    /// Oldest first, whether an event waited inline or in the queue, across interleaved
    /// pushes and pops.
    #[test]
    fn events_come_out_in_order() {
        let mut q = Events::new();
        assert_eq!(q.pop_front(), None);
        q.push_back(Event::HandshakeComplete);
        assert_eq!(q.len(), 1);
        q.push_back(Event::TicketReceived);
        q.push_back(Event::PeerClosed);
        assert_eq!(q.len(), 3);
        assert_eq!(q.pop_front(), Some(Event::HandshakeComplete));
        q.push_back(Event::EarlyDataReceived);
        assert_eq!(q.pop_front(), Some(Event::TicketReceived));
        assert_eq!(q.pop_front(), Some(Event::PeerClosed));
        q.push_back(Event::HandshakeComplete);
        assert_eq!(q.pop_front(), Some(Event::EarlyDataReceived));
        assert_eq!(q.pop_front(), Some(Event::HandshakeComplete));
        assert_eq!(q.pop_front(), None);
        assert_eq!(q.len(), 0);
    }
}
