//! The TLS 1.3 server (RFC 8446 §4, server side).
//!
//! One state per message the server waits for, one method per state, as in RFC 8446
//! Appendix A.2:
//!
//! ```text
//! START -> RECVD_CH -> NEGOTIATED -> WAIT_FLIGHT2 -> [WAIT_CERT -> WAIT_CV] -> WAIT_FINISHED -> CONNECTED
//!   ^          | no usable key share: HelloRetryRequest
//!   +----------+
//! ```

mod config;
mod negotiate;

use std::sync::Arc;

pub use config::{CertifiedKey, ResolvesServerCert, ServerConfig, SingleCert, SniResolver};

use crate::common::{Core, Direction};
use crate::conn::{Connection, Handshaker, Side};
use crate::crypto::{self, CipherSuite};
use crate::error::Error;
use crate::handshake::{self, AcceptedChain, CertificateVerifyContext, Secrets};
use crate::key_schedule::{self, EarlySecret, Secret};
use crate::keylog::labels;
use crate::msgs::enums::{CipherSuiteId, HandshakeType, NamedGroup, ProtocolVersion};
use crate::msgs::{
    Certificate, CertificateRequest, CertificateVerify, ClientHelloRef, EncryptedExtensions,
    EndOfEarlyData, Finished, HandshakeMessage, KeyShareEntry, NewSessionTicket, ServerHello,
    ServerHelloExtensions, HRR_RANDOM,
};
use crate::resumption::{unix_now_ms, ServerSession, MAX_TICKET_LIFETIME};
use crate::transcript::Transcript;
use crate::verify::PeerVerifier;
use zeroize::Zeroizing;

use negotiate::{Negotiated, PskCandidate, Retry};

impl Connection {
    /// Starts a server connection; it waits for the client's ClientHello.
    pub fn server(config: Arc<ServerConfig>) -> Result<Self, Error> {
        config.validate()?;
        let core = Core::new(Side::Server, config.key_log.clone(), config.trace);
        let hs = ServerHandshake {
            config,
            state: State::WaitClientHello,
            transcript: Transcript::new(),
            retry: None,
            suite: None,
            secrets: None,
            client_chain: None,
            sent_ccs: false,
            compat: false,
            session_alpn: None,
            session_name: None,
        };
        Ok(Connection::new(core, Handshaker::Server(Box::new(hs))))
    }
}

enum State {
    WaitClientHello,
    WaitEndOfEarlyData,
    WaitCertificate,
    WaitCertificateVerify,
    WaitFinished,
    Connected,
    Poisoned,
}

/// The server's handshake state machine.
/// The server's first flight besides the key share and the certificates: the ServerHello's
/// fixed part, change_cipher_spec, EncryptedExtensions (ALPN), the CertificateVerify
/// signature (RSA-4096: 512 bytes), Finished, and record headers and tags.
const FIRST_FLIGHT_OVERHEAD: usize = 1024;

pub(crate) struct ServerHandshake {
    config: Arc<ServerConfig>,
    state: State,
    transcript: Transcript,
    /// Set once we sent a HelloRetryRequest: what the second ClientHello must match.
    retry: Option<Retry>,
    suite: Option<&'static CipherSuite>,
    secrets: Option<Secrets>,
    /// The client's chain the verifier accepted, until CertificateVerify is checked with it.
    client_chain: Option<AcceptedChain>,
    sent_ccs: bool,
    /// The client asked for middlebox compatibility (non-empty legacy_session_id).
    compat: bool,
    /// Recorded into tickets: 0-RTT on resumption requires the same ALPN and name.
    session_alpn: Option<Vec<u8>>,
    session_name: Option<String>,
}

/// How many bytes of rejected 0-RTT records we drop before calling further undecryptable
/// records an attack (RFC 8446 §4.2.10), at least: a client holding a stale ticket, or one
/// from another server for the same name, may send up to that ticket's limit (commonly 2^14
/// bytes of plaintext) in several records, each with its own overhead.
const MIN_EARLY_DATA_SKIP: usize = 1 << 16;

impl ServerHandshake {
    /// Feeds one complete handshake message (`raw` includes its 4-byte header).
    pub(crate) fn handle(
        &mut self,
        core: &mut Core,
        typ: HandshakeType,
        raw: &[u8],
    ) -> Result<(), Error> {
        let body = raw.get(4..).unwrap_or_default();
        let state = std::mem::replace(&mut self.state, State::Poisoned);
        self.state = match (state, typ) {
            (State::WaitClientHello, HandshakeType::CLIENT_HELLO) => {
                self.on_client_hello(core, ClientHelloRef::parse(body)?, raw)?
            }
            (State::WaitEndOfEarlyData, HandshakeType::END_OF_EARLY_DATA) => {
                EndOfEarlyData::decode(body)?;
                self.on_end_of_early_data(core, raw)?
            }
            (State::WaitCertificate, HandshakeType::CERTIFICATE) => {
                self.on_certificate(core, Certificate::decode(body)?, raw)?
            }
            (State::WaitCertificateVerify, HandshakeType::CERTIFICATE_VERIFY) => {
                self.on_certificate_verify(core, CertificateVerify::decode(body)?, raw)?
            }
            (State::WaitFinished, HandshakeType::FINISHED) => {
                self.on_finished(core, Finished::decode(body)?, raw)?
            }
            (state, typ) => {
                return Err(Error::UnexpectedMessage {
                    expected: state.expects(),
                    got: format!("{typ:?}"),
                })
            }
        };
        Ok(())
    }

    /// §4.1.2: choose everything, then answer with ServerHello (or HelloRetryRequest).
    fn on_client_hello(
        &mut self,
        core: &mut Core,
        ch: ClientHelloRef<'_>,
        raw: &[u8],
    ) -> Result<State, Error> {
        if self.retry.is_none() {
            core.client_random = ch.random;
            // §5: from the first ClientHello on, a compat CCS from the client is dropped.
            core.ccs_allowed = true;
            self.compat = !ch.legacy_session_id.is_empty();
        }
        let neg = match negotiate::negotiate(&self.config, &ch, self.retry.as_ref())? {
            Negotiated::Retry(retry) => {
                return self.send_hello_retry_request(core, &ch, raw, retry)
            }
            Negotiated::Full(neg) => neg,
        };
        let suite = neg.suite;
        if self.suite.is_none() {
            self.transcript.start_hash(suite.hash)?;
        }
        self.suite = Some(suite);
        core.set_suite(suite);

        let (psk, early, hashed) = match neg.psk {
            Some(candidate) => match self.check_binder(&ch, raw, suite, candidate)? {
                (Some((psk, early)), hashed) => (Some(psk), Some(early), hashed),
                (None, hashed) => (None, None, hashed),
            },
            None => (None, None, 0),
        };
        self.transcript.add(raw.get(hashed..).unwrap_or_default())?;
        let early_data = self.early_data_decision(
            core,
            &ch,
            suite,
            psk.as_ref().zip(early.as_ref()),
            neg.alpn.as_ref(),
        );

        let client_share = ch
            .extensions
            .key_shares
            .and_then(|shares| shares.iter().nth(neg.client_share))
            .ok_or(Error::Internal("chosen share vanished"))?;
        // The ServerHello's random and our X25519 key come from one call to the RNG.
        let mut random = [0u8; 32];
        let seed = crypto::random_with_x25519_seed(&mut random)?;
        let (server_share, shared) =
            crypto::server_key_exchange_seeded(neg.group, client_share.key_exchange, Some(seed))?;
        let server_share_len = server_share.len();
        core.info.version = Some(ProtocolVersion::TLS1_3);
        core.info.cipher_suite = Some(suite.name);
        core.info.cipher_suite_id = Some(suite.id);
        core.info.group = Some(NamedGroup(neg.group.id));
        core.info.group_name = Some(neg.group.name);
        // The one copy of the name: tickets and the application read it after the hello.
        core.info.server_name = ch.extensions.server_name.map(str::to_owned);
        core.info.alpn = neg.alpn.clone();
        core.info.resumed = psk.is_some();
        core.info.early_data_offered = ch.extensions.early_data;
        core.info.early_data_accepted = early_data.is_some();
        if let Some(p) = &psk {
            core.info.client_authenticated = p.session.client_authenticated;
        }

        // ServerHello.
        let sh = HandshakeMessage::ServerHello(ServerHello {
            legacy_version: ProtocolVersion::TLS1_2,
            random,
            legacy_session_id_echo: ch.legacy_session_id.to_vec(),
            cipher_suite: CipherSuiteId(suite.id),
            compression_method: 0,
            extensions: ServerHelloExtensions {
                supported_version: Some(ProtocolVersion::TLS1_3),
                key_share: Some(KeyShareEntry {
                    group: NamedGroup(neg.group.id),
                    key_exchange: server_share,
                }),
                pre_shared_key: psk.as_ref().and_then(|p| u16::try_from(p.index).ok()),
                ..ServerHelloExtensions::default()
            },
        });
        // The whole first flight (ServerHello, change_cipher_spec, the encrypted flight) is
        // encoded straight into the send buffer, allocated once at about its size: the
        // certificate chain and its staple are most of it.
        let certificate_len = neg.certificate.as_ref().map_or(0, |(key, _)| {
            let chain: usize = key.chain.iter().map(|c| c.len() + 8).sum();
            chain + key.ocsp_response.as_ref().map_or(0, Vec::len)
        });
        core.reserve_send(FIRST_FLIGHT_OVERHEAD + server_share_len + certificate_len);
        let transcript = &mut self.transcript;
        core.send_handshake_flight(|core, out| {
            let start = out.len();
            core.encode_handshake(&sh, out);
            transcript.add(out.get(start..).unwrap_or_default())?;
            Ok(())
        })?;
        self.send_compat_ccs(core);

        let secrets = Secrets::after_server_hello(
            early.unwrap_or_else(|| EarlySecret::new(suite.hash, None)),
            shared.as_bytes(),
            self.transcript.current_hash()?.as_ref(),
        )?;
        core.log_secret(labels::CLIENT_HANDSHAKE, &secrets.client_handshake);
        core.log_secret(labels::SERVER_HANDSHAKE, &secrets.server_handshake);
        core.install_keys(Direction::Send, &secrets.server_handshake)?;
        match &early_data {
            // §2.3: the client's 0-RTT data comes first, under its early traffic key.
            Some(early) => {
                core.install_keys(Direction::Receive, early)?;
                core.receiving_early_data = true;
                core.early_data_allowance = self.config.max_early_data_size as usize;
            }
            None => {
                core.install_keys(Direction::Receive, &secrets.client_handshake)?;
                if ch.extensions.early_data {
                    // §4.2.10: rejected early data is skipped by trial decryption.
                    core.early_data_to_skip = self.early_data_skip_budget();
                }
            }
        }

        // Our flight: EncryptedExtensions, [CertificateRequest], [Certificate,
        // CertificateVerify], Finished, encoded where they are sent and sealed there.
        let ee = HandshakeMessage::EncryptedExtensions(EncryptedExtensions {
            server_name_ack: core.info.server_name.is_some(),
            alpn: neg.alpn,
            early_data: early_data.is_some(),
            ..EncryptedExtensions::default()
        });
        let client_verifier = self.config.client_verifier.clone();
        // §4.3.2: no CertificateRequest in a PSK handshake.
        let ask_for_certificate = client_verifier.is_some() && psk.is_none();
        let transcript = &mut self.transcript;
        let certificate = neg.certificate;
        let status_request = ch.extensions.status_request;
        core.send_handshake_flight(|core, flight| {
            handshake::add_to_flight(core, transcript, &ee, flight)?;
            if psk.is_none() {
                let (certified_key, scheme) = certificate?;
                if let (true, Some(verifier)) = (ask_for_certificate, &client_verifier) {
                    let cr = HandshakeMessage::CertificateRequest(CertificateRequest {
                        context: Vec::new(),
                        signature_algorithms: verifier.supported_schemes().to_vec(),
                        signature_algorithms_cert: None,
                        present: Vec::new(),
                    });
                    handshake::add_to_flight(core, transcript, &cr, flight)?;
                }
                handshake::add_certificate_and_verify(
                    core,
                    transcript,
                    CertificateVerifyContext::Server,
                    Vec::new(),
                    (&certified_key, scheme),
                    status_request,
                    flight,
                )?;
            }
            handshake::add_finished_to_flight(
                core,
                transcript,
                (suite, &secrets.server_handshake),
                flight,
            )
        })?;

        // §7.1: application secrets hash the transcript through the server Finished. We
        // switch our sending keys now; we read with the client's handshake keys until its
        // Finished.
        let mut secrets = secrets;
        let app = secrets.application(self.transcript.current_hash()?.as_ref())?;
        core.log_secret(labels::CLIENT_TRAFFIC_0, &app.client);
        core.log_secret(labels::SERVER_TRAFFIC_0, &app.server);
        core.install_application_secret(Direction::Send, app.server)?;
        // §4.4.4: a server MAY send data after its first flight (0.5-RTT data), such as the
        // answer to a 0-RTT request, which is what makes 0-RTT save a round trip. Not to a
        // client asked for a certificate: it is not authenticated until its Finished.
        if !ask_for_certificate {
            core.may_send_application_data = true;
        }
        core.set_exporter_secret(app.exporter)?;
        secrets.set_pending_client_application(app.client);
        self.secrets = Some(secrets);
        if self.issues_tickets() {
            self.session_alpn = core.info.alpn.clone();
            self.session_name = core.info.server_name.clone();
        }

        Ok(if early_data.is_some() {
            State::WaitEndOfEarlyData
        } else if ask_for_certificate {
            State::WaitCertificate
        } else {
            State::WaitFinished
        })
    }

    /// §4.2.11.2: the binder proves the client holds the ticket's PSK and binds it to this
    /// ClientHello; a wrong binder ends the handshake (decrypt_error). Returns the accepted
    /// PSK with its Early Secret, extracted once for the rest of the schedule, and how many
    /// bytes of the ClientHello it added to the transcript: the truncated ClientHello goes
    /// in before the binder hash is read, so that it is hashed once.
    fn check_binder(
        &mut self,
        ch: &ClientHelloRef<'_>,
        raw: &[u8],
        suite: &'static CipherSuite,
        candidate: PskCandidate,
    ) -> Result<(Option<(PskCandidate, EarlySecret)>, usize), Error> {
        let Some(offered) = &ch.extensions.pre_shared_key else {
            return Ok((None, 0));
        };
        let binder = offered
            .binder(candidate.index)
            .ok_or(Error::IllegalParameter("missing PSK binder"))?;
        let truncated_len = raw.len().saturating_sub(offered.binders_encoded_len());
        self.transcript
            .add(raw.get(..truncated_len).unwrap_or_default())?;
        let hash = self.transcript.current_hash()?;
        let early = EarlySecret::new(suite.hash, Some(&candidate.session.psk));
        let binder_key = early.binder_key(false)?;
        if key_schedule::verify_finished(suite.hash, &binder_key, &hash, binder) {
            Ok((Some((candidate, early)), truncated_len))
        } else {
            Err(Error::BadPskBinder)
        }
    }

    /// §4.2.10, §8: accept 0-RTT only for the first identity of a fresh, never-used ticket
    /// that allows it, with the same suite and ALPN, and no HelloRetryRequest. Returns the
    /// client early traffic secret when accepted.
    fn early_data_decision(
        &mut self,
        core: &Core,
        ch: &ClientHelloRef<'_>,
        suite: &'static CipherSuite,
        psk: Option<(&PskCandidate, &EarlySecret)>,
        alpn: Option<&Vec<u8>>,
    ) -> Option<Secret> {
        let (psk, early) = psk?;
        let session = &psk.session;
        let config = &self.config;
        let acceptable = ch.extensions.early_data
            && self.retry.is_none()
            && psk.index == 0
            && config.max_early_data_size > 0
            && session.max_early_data > 0
            && session.suite_id == suite.id
            && session.alpn.as_ref() == alpn
            && config
                .replay_guard
                .is_fresh(session.issued_ms, psk.client_age_ms, unix_now_ms())
            && config.replay_guard.first_use(&psk.ticket, unix_now_ms());
        if !acceptable {
            return None;
        }
        let hello_hash = self.transcript.current_hash().ok()?;
        let secret = early.client_early_traffic_secret(&hello_hash).ok()?;
        core.log_secret(labels::CLIENT_EARLY, &secret);
        Some(secret)
    }

    /// How much rejected 0-RTT data we skip before calling further records an attack.
    fn early_data_skip_budget(&self) -> usize {
        (self.config.max_early_data_size as usize).max(MIN_EARLY_DATA_SKIP)
    }

    /// §4.5: the end of the client's 0-RTT data; its handshake key takes over.
    fn on_end_of_early_data(&mut self, core: &mut Core, raw: &[u8]) -> Result<State, Error> {
        self.transcript.add(raw)?;
        let secrets = self.secrets.as_ref().ok_or(Error::Internal("no secrets"))?;
        core.receiving_early_data = false;
        core.install_keys(Direction::Receive, &secrets.client_handshake)?;
        core.push_event(crate::conn::Event::EarlyDataReceived);
        Ok(State::WaitFinished)
    }

    /// Whether this server sends NewSessionTickets after the handshake (§4.6.1): only then
    /// are the resumption master secret and what a ticket records needed.
    fn issues_tickets(&self) -> bool {
        self.config.ticket_issuer.is_some() && self.config.send_tickets > 0
    }

    /// §4.6.1: tickets for resuming later.
    fn send_tickets(&mut self, core: &mut Core) -> Result<(), Error> {
        let (Some(issuer), Some(suite), Some(secrets)) = (
            self.config.ticket_issuer.clone(),
            self.suite,
            self.secrets.as_ref(),
        ) else {
            return Ok(());
        };
        let Some(rms) = secrets.resumption_master.clone() else {
            return Ok(());
        };
        let mut out = Vec::new();
        for i in 0..self.config.send_tickets.min(255) {
            let nonce = vec![i as u8];
            let psk = key_schedule::resumption_psk(suite.hash, &rms, &nonce)?;
            let mut age_add = [0u8; 4];
            crypto::random_bytes(&mut age_add)?;
            let lifetime = issuer.lifetime().min(MAX_TICKET_LIFETIME);
            let state = ServerSession {
                suite_id: suite.id,
                psk: Zeroizing::new(psk.as_bytes().to_vec()),
                issued_ms: unix_now_ms(),
                age_add: u32::from_be_bytes(age_add),
                lifetime,
                max_early_data: self.config.max_early_data_size,
                alpn: self.session_alpn.clone(),
                server_name: self.session_name.clone(),
                client_authenticated: core.info.client_authenticated,
            };
            let Some(ticket) = issuer.issue(&state.encode()) else {
                continue;
            };
            let nst = HandshakeMessage::NewSessionTicket(NewSessionTicket {
                lifetime,
                age_add: state.age_add,
                nonce,
                ticket,
                max_early_data_size: (self.config.max_early_data_size > 0)
                    .then_some(self.config.max_early_data_size),
            });
            core.encode_handshake(&nst, &mut out);
        }
        if !out.is_empty() {
            core.send_handshake_bytes(&out)?;
        }
        Ok(())
    }

    /// §4.1.4: ask for a share of `retry.group` (and send a cookie back).
    fn send_hello_retry_request(
        &mut self,
        core: &mut Core,
        ch: &ClientHelloRef<'_>,
        raw: &[u8],
        retry: Retry,
    ) -> Result<State, Error> {
        core.info.hello_retry = true;
        if ch.extensions.early_data {
            // §4.2.10: early data sent with ClientHello1 arrives before ClientHello2; skip it.
            core.early_data_to_skip = self.early_data_skip_budget();
        }
        self.transcript.start_hash(retry.suite.hash)?;
        self.transcript.add(raw)?;
        self.transcript.rollup_for_hrr()?;
        let hrr = HandshakeMessage::ServerHello(ServerHello {
            legacy_version: ProtocolVersion::TLS1_2,
            random: HRR_RANDOM,
            legacy_session_id_echo: ch.legacy_session_id.to_vec(),
            cipher_suite: CipherSuiteId(retry.suite.id),
            compression_method: 0,
            extensions: ServerHelloExtensions {
                supported_version: Some(ProtocolVersion::TLS1_3),
                selected_group: Some(NamedGroup(retry.group.id)),
                cookie: Some(retry.cookie.clone()),
                ..ServerHelloExtensions::default()
            },
        });
        let mut bytes = Vec::with_capacity(128);
        core.encode_handshake(&hrr, &mut bytes);
        self.transcript.add(&bytes)?;
        core.send_handshake_bytes(&bytes)?;
        self.send_compat_ccs(core);
        self.suite = Some(retry.suite);
        self.retry = Some(retry);
        Ok(State::WaitClientHello)
    }

    fn send_compat_ccs(&mut self, core: &mut Core) {
        // §D.4: only for clients that asked for compatibility mode.
        if self.compat && !self.sent_ccs {
            core.send_compat_ccs();
            self.sent_ccs = true;
        }
    }

    /// §4.4.2: the client's certificate (mTLS).
    fn on_certificate(
        &mut self,
        core: &mut Core,
        cert: Certificate,
        raw: &[u8],
    ) -> Result<State, Error> {
        let verifier = self
            .config
            .client_verifier
            .as_deref()
            .ok_or(Error::Internal("no client verifier"))?;
        // §4.4.2: a client's entry extensions must correspond to ones our
        // CertificateRequest sent, and it sends none (no staples or SCTs are asked of
        // clients): any is unsupported_extension (§4.2), as the client does for ours.
        if let Some(ext) = cert.entries.iter().flat_map(|e| e.extension_types()).next() {
            return Err(Error::UnsupportedExtension(ext));
        }
        self.transcript.add(raw)?;
        match handshake::judge_certificate(core, &PeerVerifier::Client(verifier), cert)? {
            Some(accepted) => {
                self.client_chain = Some(accepted);
                Ok(State::WaitCertificateVerify)
            }
            None if verifier.client_auth_mandatory() => Err(Error::CertificateRequired),
            None => Ok(State::WaitFinished),
        }
    }

    /// §4.4.3: proof that the client holds its certificate's key.
    fn on_certificate_verify(
        &mut self,
        core: &mut Core,
        cv: CertificateVerify,
        raw: &[u8],
    ) -> Result<State, Error> {
        let verifier = self
            .config
            .client_verifier
            .as_deref()
            .ok_or(Error::Internal("no client verifier"))?;
        let hash = self.transcript.current_hash()?;
        let accepted = self.client_chain.take();
        handshake::judge_certificate_verify(
            core,
            &PeerVerifier::Client(verifier),
            accepted,
            &hash,
            &cv,
        )?;
        core.info.client_authenticated = true;
        self.transcript.add(raw)?;
        Ok(State::WaitFinished)
    }

    /// §4.4.4: the client's Finished completes the handshake.
    fn on_finished(&mut self, core: &mut Core, fin: Finished, raw: &[u8]) -> Result<State, Error> {
        let suite = self.suite.ok_or(Error::Internal("no suite"))?;
        let issues_tickets = self.issues_tickets();
        let secrets = self.secrets.as_mut().ok_or(Error::Internal("no secrets"))?;
        handshake::check_finished(
            suite,
            &secrets.client_handshake,
            &self.transcript.current_hash()?,
            &fin.verify_data,
        )?;
        self.transcript.add(raw)?;
        let client_app = secrets
            .take_pending_client_application()
            .ok_or(Error::Internal("no client application secret"))?;
        core.install_application_secret(Direction::Receive, client_app)?;
        core.ccs_allowed = false;
        // §7.1: the resumption master secret only makes ticket PSKs (§4.6.1); a server that
        // issues none does not derive it.
        if issues_tickets {
            secrets.set_resumption(self.transcript.current_hash()?.as_ref())?;
        }
        core.handshake_complete = true;
        core.may_send_application_data = true;
        core.may_receive_application_data = true;
        // New tickets after resumed handshakes too: clients use each ticket once (§C.4).
        self.send_tickets(core)?;
        Ok(State::Connected)
    }
}

impl State {
    fn expects(&self) -> &'static str {
        match self {
            State::WaitClientHello => "ClientHello",
            State::WaitEndOfEarlyData => "early data or EndOfEarlyData",
            State::WaitCertificate => "Certificate",
            State::WaitCertificateVerify => "CertificateVerify",
            State::WaitFinished => "Finished",
            State::Connected => "KeyUpdate",
            State::Poisoned => "nothing (the handshake failed)",
        }
    }
}
