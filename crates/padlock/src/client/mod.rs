//! The TLS 1.3 client (RFC 8446 §4, client side).
//!
//! One state per message the client waits for, one method per state, as in RFC 8446
//! Appendix A.1:
//!
//! ```text
//! START -> WAIT_SH -> WAIT_EE -> WAIT_CERT_CR -> WAIT_CERT -> WAIT_CV -> WAIT_FINISHED -> CONNECTED
//!             ^  | HelloRetryRequest: send ClientHello again
//!             +--+
//! ```

mod config;
mod hello;

use std::sync::Arc;

use rustls_pki_types::ServerName;

pub use config::ClientConfig;

use crate::common::{Core, Direction};
use crate::conn::{Connection, Handshaker, Side};
use crate::crypto::{CipherSuite, KeyExchange};
use crate::error::Error;
use crate::handshake::{self, AcceptedChain, CertificateVerifyContext, Secrets};
use crate::key_schedule::{self, EarlySecret, Secret};
use crate::keylog::labels;
use crate::msgs::enums::{ExtensionType, HandshakeType, ProtocolVersion, SignatureScheme};
use crate::msgs::{
    Certificate, CertificateRequest, CertificateVerify, EncryptedExtensions, Finished,
    HandshakeMessage, NewSessionTicket, ServerHello, DOWNGRADE_TLS11, DOWNGRADE_TLS12,
};
use crate::resumption::{unix_now_ms, ClientSession, MAX_TICKET_LIFETIME};
use crate::transcript::Transcript;
use crate::verify::PeerVerifier;
use zeroize::Zeroizing;

use hello::ClientHelloState;

impl Connection {
    /// Starts a client connection to `server_name`; the ClientHello is ready in
    /// [`Connection::pending_tls`] at once.
    pub fn client(
        config: Arc<ClientConfig>,
        server_name: ServerName<'static>,
    ) -> Result<Self, Error> {
        config.validate()?;
        let mut core = Core::new(Side::Client, config.key_log.clone(), config.trace);
        let hs = ClientHandshake::start(config, server_name, &mut core)?;
        Ok(Connection::new(core, Handshaker::Client(Box::new(hs))))
    }
}

/// Where the client is in the handshake.
enum State {
    WaitServerHello,
    WaitEncryptedExtensions,
    WaitCertificateOrRequest,
    WaitCertificate,
    WaitCertificateVerify,
    WaitFinished,
    Connected,
    /// Placeholder while a handler runs; seeing it means a handler failed midway.
    Poisoned,
}

/// The client's handshake state machine.
pub(crate) struct ClientHandshake {
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    state: State,
    hello: ClientHelloState,
    transcript: Transcript,
    suite: Option<&'static CipherSuite>,
    secrets: Option<Secrets>,
    /// The server's chain the verifier accepted, until CertificateVerify is checked with it.
    accepted: Option<AcceptedChain>,
    certificate_request: Option<CertificateRequest>,
    sent_ccs: bool,
    /// The PSK the server accepted, if this is a resumption.
    resumed: bool,
    /// We sent 0-RTT data under the early traffic key (§4.2.10).
    early_data_offered: bool,
    early_data_accepted: bool,
}

impl ClientHandshake {
    fn start(
        config: Arc<ClientConfig>,
        server_name: ServerName<'static>,
        core: &mut Core,
    ) -> Result<Self, Error> {
        let hello = ClientHelloState::new(&config, &server_name)?;
        core.client_random = hello.random;
        if let ServerName::DnsName(name) = &server_name {
            core.info.server_name = Some(name.as_ref().to_string());
        }
        let mut hs = Self {
            config,
            server_name,
            state: State::WaitServerHello,
            hello,
            transcript: Transcript::new(),
            suite: None,
            secrets: None,
            accepted: None,
            certificate_request: None,
            sent_ccs: false,
            resumed: false,
            early_data_offered: false,
            early_data_accepted: false,
        };
        hs.send_client_hello(core)?;
        // RFC 8446 §5: from our first ClientHello on, a compat CCS from the server is dropped.
        core.ccs_allowed = true;
        if hs.hello.early_data {
            hs.start_early_data(core)?;
        }
        Ok(hs)
    }

    /// The ClientHello is written where it is sent, in the send buffer.
    fn send_client_hello(&mut self, core: &mut Core) -> Result<(), Error> {
        let (hello, transcript) = (&mut self.hello, &mut self.transcript);
        let (config, server_name) = (&self.config, &self.server_name);
        core.send_handshake_flight(|core, out| {
            let start = out.len();
            hello.encode_into(config, server_name, transcript, out)?;
            core.trace_sent(
                HandshakeType::CLIENT_HELLO,
                out.get(start..).unwrap_or_default(),
            );
            Ok(())
        })
    }

    /// §2.3: early data goes right after the ClientHello, under the client early traffic
    /// secret of the ticket's PSK, in the ticket's suite.
    fn start_early_data(&mut self, core: &mut Core) -> Result<(), Error> {
        let (Some((session, suite)), Some(early)) = (&self.hello.resuming, &self.hello.early)
        else {
            return Ok(());
        };
        let (suite, max_early_data) = (*suite, session.max_early_data);
        let hello_hash = self.transcript.hash_with_algorithm(suite.hash, &[])?;
        let early = early.client_early_traffic_secret(&hello_hash)?;
        core.log_secret(labels::CLIENT_EARLY, &early);
        core.set_suite(suite);
        // §D.4: with early data, the compat CCS goes right after the ClientHello.
        self.send_compat_ccs(core);
        core.install_keys(Direction::Send, &early)?;
        core.early_data_send_allowance = Some(max_early_data as usize);
        core.info.early_data_offered = true;
        self.early_data_offered = true;
        Ok(())
    }

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
            (State::WaitServerHello, HandshakeType::SERVER_HELLO) => {
                self.on_server_hello(core, ServerHello::decode(body)?, raw)?
            }
            (State::WaitEncryptedExtensions, HandshakeType::ENCRYPTED_EXTENSIONS) => {
                self.on_encrypted_extensions(core, EncryptedExtensions::decode(body)?, raw)?
            }
            (State::WaitCertificateOrRequest, HandshakeType::CERTIFICATE_REQUEST) => {
                self.on_certificate_request(CertificateRequest::decode(body)?, raw)?
            }
            (
                State::WaitCertificateOrRequest | State::WaitCertificate,
                HandshakeType::CERTIFICATE,
            ) => self.on_certificate(core, Certificate::decode(body)?, raw)?,
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

    /// RFC 8446 §4.1.3 and §4.1.4: ServerHello or HelloRetryRequest.
    fn on_server_hello(
        &mut self,
        core: &mut Core,
        sh: ServerHello,
        raw: &[u8],
    ) -> Result<State, Error> {
        self.check_version(&sh)?;
        if sh.legacy_session_id_echo != self.hello.session_id() {
            return Err(Error::IllegalParameter(
                "ServerHello echoes a different session id",
            ));
        }
        if sh.compression_method != 0 {
            return Err(Error::IllegalParameter("ServerHello selects compression"));
        }
        let suite = self
            .config
            .cipher_suites
            .iter()
            .copied()
            .find(|s| s.id == sh.cipher_suite.0)
            .ok_or(Error::IllegalParameter(
                "ServerHello selects a cipher suite we did not offer",
            ))?;
        // §4.1.4: the ServerHello after a HelloRetryRequest must keep the HRR's suite.
        if self.suite.is_some_and(|s| s.id != suite.id) {
            return Err(Error::IllegalParameter(
                "ServerHello changes the cipher suite chosen in HelloRetryRequest",
            ));
        }
        for ext in &sh.extensions.present {
            if !self.hello.offered(*ext) && *ext != ExtensionType::COOKIE {
                return Err(Error::UnsupportedExtension(*ext));
            }
        }
        if self.suite.is_none() {
            self.transcript.start_hash(suite.hash)?;
        }
        self.suite = Some(suite);
        core.set_suite(suite);
        core.info.version = Some(ProtocolVersion::TLS1_3);
        core.info.cipher_suite = Some(suite.name);
        core.info.cipher_suite_id = Some(suite.id);

        // No more early data once the server has answered.
        core.early_data_send_allowance = None;
        if sh.is_hello_retry_request() {
            return self.on_hello_retry_request(core, sh, raw);
        }
        let psk = self.accepted_psk(&sh, suite)?;

        // §4.2.8: the server's share must be for a group we sent a share for.
        let share = sh
            .extensions
            .key_share
            .as_ref()
            .ok_or(Error::MissingExtension("key_share in ServerHello"))?;
        let kx: KeyExchange = self.hello.take_key_exchange(share.group)?;
        let group = kx.group();
        let shared = kx.complete(&share.key_exchange)?;
        core.info.group = Some(share.group);
        core.info.group_name = Some(group.name);

        self.transcript.add(raw)?;
        let secrets = Secrets::after_server_hello(
            psk.unwrap_or_else(|| EarlySecret::new(suite.hash, None)),
            shared.as_bytes(),
            self.transcript.current_hash()?.as_ref(),
        )?;
        core.log_secret(labels::CLIENT_HANDSHAKE, &secrets.client_handshake);
        core.log_secret(labels::SERVER_HANDSHAKE, &secrets.server_handshake);
        core.install_keys(Direction::Receive, &secrets.server_handshake)?;
        if !self.early_data_offered {
            // §D.4: the compat CCS goes before our first encrypted record.
            self.send_compat_ccs(core);
            core.install_keys(Direction::Send, &secrets.client_handshake)?;
        }
        self.secrets = Some(secrets);
        Ok(State::WaitEncryptedExtensions)
    }

    /// §4.2.11: the server's pre_shared_key must pick our (only) identity, with a suite of
    /// the same hash as the ticket's. Returns that PSK's Early Secret.
    fn accepted_psk(
        &mut self,
        sh: &ServerHello,
        suite: &'static CipherSuite,
    ) -> Result<Option<EarlySecret>, Error> {
        let Some(index) = sh.extensions.pre_shared_key else {
            return Ok(None);
        };
        let (Some((_, psk_suite)), Some(_)) = (&self.hello.resuming, &self.hello.early) else {
            return Err(Error::IllegalParameter(
                "the server selected a pre-shared key we did not offer",
            ));
        };
        if index != 0 {
            return Err(Error::IllegalParameter(
                "the server selected a pre-shared key identity we did not offer",
            ));
        }
        if psk_suite.hash != suite.hash {
            return Err(Error::IllegalParameter(
                "the server resumed with a cipher suite whose hash differs from the ticket's",
            ));
        }
        self.resumed = true;
        Ok(self.hello.early.take())
    }

    /// §4.1.3: the version must be TLS 1.3, and an older one must not carry the sentinel.
    fn check_version(&self, sh: &ServerHello) -> Result<(), Error> {
        match sh.extensions.supported_version {
            Some(ProtocolVersion::TLS1_3) => Ok(()),
            Some(_) => Err(Error::IllegalParameter(
                "supported_versions selects a version we did not offer",
            )),
            None => {
                let tail = sh.random.get(24..).unwrap_or_default();
                if tail == DOWNGRADE_TLS12 || tail == DOWNGRADE_TLS11 {
                    return Err(Error::DowngradeDetected);
                }
                Err(Error::ProtocolVersion {
                    offered: vec![sh.legacy_version],
                })
            }
        }
    }

    /// §4.1.4: the server wants another key share (and maybe a cookie back).
    fn on_hello_retry_request(
        &mut self,
        core: &mut Core,
        hrr: ServerHello,
        raw: &[u8],
    ) -> Result<State, Error> {
        if core.info.hello_retry {
            return Err(Error::UnexpectedMessage {
                expected: "ServerHello",
                got: "a second HelloRetryRequest".into(),
            });
        }
        core.info.hello_retry = true;
        self.transcript.rollup_for_hrr()?;
        self.transcript.add(raw)?;
        let group = hrr.extensions.selected_group;
        let cookie = hrr.extensions.cookie.clone();
        if group.is_none() && cookie.is_none() {
            return Err(Error::IllegalParameter(
                "HelloRetryRequest would not change the ClientHello",
            ));
        }
        if let Some(group) = group {
            self.hello.retry_with_group(&self.config, group)?;
        }
        self.hello.set_cookie(cookie);
        let suite = self.suite.ok_or(Error::Internal("no suite"))?;
        self.hello.after_retry(suite);
        if self.early_data_offered {
            // §4.2.10: a HelloRetryRequest rejects early data; ClientHello2 goes in clear.
            self.early_data_rejected(core);
            core.clear_send_keys();
        }
        self.send_compat_ccs(core);
        self.send_client_hello(core)?;
        Ok(State::WaitServerHello)
    }

    fn send_compat_ccs(&mut self, core: &mut Core) {
        if self.config.middlebox_compat && !self.sent_ccs {
            core.send_compat_ccs();
            self.sent_ccs = true;
        }
    }

    /// §4.3.1: everything the server says about our extensions.
    fn on_encrypted_extensions(
        &mut self,
        core: &mut Core,
        ee: EncryptedExtensions,
        raw: &[u8],
    ) -> Result<State, Error> {
        for ext in &ee.present {
            if !self.hello.offered(*ext) {
                return Err(Error::UnsupportedExtension(*ext));
            }
        }
        if let Some(proto) = &ee.alpn {
            if !self.config.alpn_protocols.iter().any(|p| p == proto) {
                return Err(Error::IllegalParameter(
                    "the server chose an ALPN protocol we did not offer",
                ));
            }
            core.info.alpn = Some(proto.clone());
        }
        if ee.early_data {
            // §4.2.10: acceptance needs the first PSK identity (the only one we offer).
            if !self.resumed || !self.early_data_offered {
                return Err(Error::IllegalParameter(
                    "the server accepted early data without accepting our ticket",
                ));
            }
            self.early_data_accepted = true;
            core.info.early_data_accepted = true;
        } else if self.early_data_offered {
            // Our 0-RTT data was skipped: from now on we speak under the handshake key.
            let secrets = self.secrets.as_ref().ok_or(Error::Internal("no secrets"))?;
            core.install_keys(Direction::Send, &secrets.client_handshake)?;
            self.early_data_rejected(core);
        }
        self.transcript.add(raw)?;
        Ok(if self.resumed {
            // §2.2: a PSK handshake has no certificates.
            State::WaitFinished
        } else {
            State::WaitCertificateOrRequest
        })
    }

    fn early_data_rejected(&mut self, core: &mut Core) {
        self.early_data_offered = false;
        let resent = self.config.resend_rejected_early_data;
        if !resent {
            core.early_data_sent.clear();
        }
        core.events
            .push_back(crate::conn::Event::EarlyDataRejected { resent });
    }

    /// §4.3.2: the server asks for our certificate.
    fn on_certificate_request(
        &mut self,
        cr: CertificateRequest,
        raw: &[u8],
    ) -> Result<State, Error> {
        self.transcript.add(raw)?;
        self.certificate_request = Some(cr);
        Ok(State::WaitCertificate)
    }

    /// §4.4.2: the server's chain, checked by the configured verifier.
    fn on_certificate(
        &mut self,
        core: &mut Core,
        cert: Certificate,
        raw: &[u8],
    ) -> Result<State, Error> {
        // RFC 8446 §4.4.2.1: the staple rides in the end entity's CertificateEntry; take it
        // (and refuse entry extensions we did not ask for) before the chain is judged.
        core.info.ocsp_response = self.hello.stapled_ocsp(&cert)?;
        let verifier = PeerVerifier::Server(&*self.config.verifier, &self.server_name);
        let Some(accepted) = handshake::judge_certificate(core, &verifier, cert)? else {
            return Err(Error::Decode(crate::codec::DecodeError::Invalid {
                what: "Certificate",
                reason: "the server sent no certificate",
            }));
        };
        self.accepted = Some(accepted);
        self.transcript.add(raw)?;
        Ok(State::WaitCertificateVerify)
    }

    /// §4.4.3: proof that the server holds the certificate's key.
    fn on_certificate_verify(
        &mut self,
        core: &mut Core,
        cv: CertificateVerify,
        raw: &[u8],
    ) -> Result<State, Error> {
        let verifier = PeerVerifier::Server(&*self.config.verifier, &self.server_name);
        let hash = self.transcript.current_hash()?;
        handshake::judge_certificate_verify(core, &verifier, self.accepted.take(), &hash, &cv)?;
        self.transcript.add(raw)?;
        Ok(State::WaitFinished)
    }

    /// §4.4.4: the server's Finished; then our own flight and the application keys.
    fn on_finished(&mut self, core: &mut Core, fin: Finished, raw: &[u8]) -> Result<State, Error> {
        let suite = self.suite.ok_or(Error::Internal("no suite"))?;
        let mut secrets = self.secrets.take().ok_or(Error::Internal("no secrets"))?;
        handshake::check_finished(
            suite,
            &secrets.server_handshake,
            &self.transcript.current_hash()?,
            &fin.verify_data,
        )?;
        self.transcript.add(raw)?;

        // §7.1: application secrets hash the transcript through the server Finished.
        let app = secrets.application(self.transcript.current_hash()?.as_ref())?;
        core.log_secret(labels::CLIENT_TRAFFIC_0, &app.client);
        core.log_secret(labels::SERVER_TRAFFIC_0, &app.server);
        core.install_application_secret(Direction::Receive, app.server)?;
        core.ccs_allowed = false;

        if self.early_data_accepted {
            // §4.5: EndOfEarlyData, still under the early traffic key, ends our 0-RTT data.
            let mut eoed = Vec::with_capacity(4);
            core.encode_handshake(&HandshakeMessage::EndOfEarlyData, &mut eoed);
            self.transcript.add(&eoed)?;
            core.send_handshake_bytes(&eoed)?;
            core.install_keys(Direction::Send, &secrets.client_handshake)?;
        }
        let certificate_request = self.certificate_request.take();
        core.send_handshake_flight(|core, flight| {
            if let Some(cr) = certificate_request {
                self.add_client_certificate(core, &cr, flight)?;
            }
            handshake::add_finished_to_flight(
                core,
                &mut self.transcript,
                (suite, &secrets.client_handshake),
                flight,
            )
        })?;
        core.install_application_secret(Direction::Send, app.client)?;
        core.set_exporter_secret(app.exporter)?;
        // §4.6.1: tickets become sessions only in a session store; without one, the
        // resumption master secret would make nothing.
        if self.config.session_store.is_some() {
            secrets.set_resumption(self.transcript.current_hash()?.as_ref())?;
        }

        core.handshake_complete = true;
        core.may_send_application_data = true;
        core.may_receive_application_data = true;
        core.info.resumed = self.resumed;
        self.secrets = Some(secrets);
        let unsent = std::mem::take(&mut core.early_data_sent);
        if !self.early_data_accepted && !unsent.is_empty() {
            // The config asked us to resend rejected 0-RTT data as ordinary data.
            core.send_application_data(&unsent)?;
        }
        Ok(State::Connected)
    }

    /// §4.4.2, §4.4.3: our certificate (or an empty one) and, with a certificate, our
    /// CertificateVerify, answering a CertificateRequest.
    fn add_client_certificate(
        &mut self,
        core: &mut Core,
        cr: &CertificateRequest,
        flight: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let offered: Vec<u16> = cr.signature_algorithms.iter().map(|s| s.0).collect();
        let chosen = self.config.client_auth.as_ref().and_then(|ck| {
            ck.key
                .choose_scheme(&offered)
                .map(|scheme| (ck.clone(), SignatureScheme(scheme)))
        });
        match chosen {
            Some((ck, scheme)) => {
                handshake::add_certificate_and_verify(
                    core,
                    &mut self.transcript,
                    CertificateVerifyContext::Client,
                    cr.context.clone(),
                    (&ck, scheme),
                    false,
                    flight,
                )?;
                core.info.client_authenticated = true;
            }
            None => {
                // §4.4.2: no suitable certificate: an empty Certificate message.
                let msg = HandshakeMessage::Certificate(Certificate {
                    context: cr.context.clone(),
                    entries: Vec::new(),
                });
                handshake::add_to_flight(core, &mut self.transcript, &msg, flight)?;
            }
        }
        Ok(())
    }

    /// Once the handshake is complete: keeps what NewSessionTicket handling needs and
    /// drops the rest (the transcript, the handshake secrets, the ClientHello state).
    pub(crate) fn into_connected(self) -> ClientConnected {
        ClientConnected {
            config: self.config,
            server_name: self.server_name,
            suite: self.suite,
            resumption_master: self.secrets.and_then(|s| s.resumption_master),
        }
    }
}

/// What a connected client keeps of its handshake: what turns a NewSessionTicket into a
/// stored session (RFC 8446 §4.6.1).
pub(crate) struct ClientConnected {
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    suite: Option<&'static CipherSuite>,
    resumption_master: Option<Secret>,
}

impl ClientConnected {
    /// Feeds one post-handshake message other than KeyUpdate (which the core takes).
    pub(crate) fn handle(
        &mut self,
        core: &mut Core,
        typ: HandshakeType,
        raw: &[u8],
    ) -> Result<(), Error> {
        let body = raw.get(4..).unwrap_or_default();
        match typ {
            HandshakeType::NEW_SESSION_TICKET => {
                self.on_new_session_ticket(core, NewSessionTicket::decode(body)?)
            }
            typ => Err(Error::UnexpectedMessage {
                expected: State::Connected.expects(),
                got: format!("{typ:?}"),
            }),
        }
    }

    /// §4.6.1: a ticket for resumption, kept in the session store.
    fn on_new_session_ticket(
        &mut self,
        core: &mut Core,
        nst: NewSessionTicket,
    ) -> Result<(), Error> {
        if nst.lifetime > MAX_TICKET_LIFETIME {
            return Err(Error::IllegalParameter(
                "NewSessionTicket lifetime exceeds seven days",
            ));
        }
        let (Some(store), Some(suite), Some(rms)) = (
            &self.config.session_store,
            self.suite,
            &self.resumption_master,
        ) else {
            return Ok(());
        };
        // A zero lifetime means: discard at once (§4.6.1).
        if nst.lifetime == 0 || nst.ticket.is_empty() {
            return Ok(());
        }
        let psk = key_schedule::resumption_psk(suite.hash, rms, &nst.nonce)?;
        store.put(ClientSession {
            server_name: self.server_name.to_str().into_owned(),
            suite_id: suite.id,
            ticket: nst.ticket,
            psk: Zeroizing::new(psk.as_bytes().to_vec()),
            age_add: nst.age_add,
            lifetime: nst.lifetime,
            received_ms: unix_now_ms(),
            max_early_data: nst.max_early_data_size.unwrap_or(0),
            alpn: core.info.alpn.clone(),
        });
        core.push_event(crate::conn::Event::TicketReceived);
        Ok(())
    }
}

impl State {
    fn expects(&self) -> &'static str {
        match self {
            State::WaitServerHello => "ServerHello",
            State::WaitEncryptedExtensions => "EncryptedExtensions",
            State::WaitCertificateOrRequest => "Certificate or CertificateRequest",
            State::WaitCertificate => "Certificate",
            State::WaitCertificateVerify => "CertificateVerify",
            State::WaitFinished => "Finished",
            State::Connected => "NewSessionTicket or KeyUpdate",
            State::Poisoned => "nothing (the handshake failed)",
        }
    }
}
