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
use std::time::SystemTime;

pub use config::{CertifiedKey, ResolvesServerCert, ServerConfig, SingleCert, SniResolver};

use crate::common::{Core, Direction};
use crate::conn::{Connection, Handshaker, Side};
use crate::crypto::{self, CipherSuite};
use crate::error::Error;
use crate::handshake::{self, signed_content, CertificateVerifyContext, Secrets};
use crate::keylog::labels;
use crate::msgs::enums::{CipherSuiteId, HandshakeType, NamedGroup, ProtocolVersion};
use crate::msgs::{
    Certificate, CertificateEntry, CertificateRequest, CertificateVerify, ClientHello,
    EncryptedExtensions, Finished, HandshakeMessage, KeyShareEntry, ServerHello,
    ServerHelloExtensions, HRR_RANDOM,
};
use crate::transcript::Transcript;

use negotiate::{Negotiated, Retry};

/// How many bytes of 0-RTT records we drop before calling further undecryptable records an
/// attack. We never accept early data (we issue no tickets), so RFC 8446 §4.2.10's
/// "configured max_early_data_size" is ours to choose: a client holding a stale ticket, or
/// one from another server for the same name, may send up to that ticket's limit (commonly
/// 2^14 bytes of plaintext) in several records, each with its own overhead.
const REJECTED_EARLY_DATA_LIMIT: usize = 1 << 16;

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
            client_certs: Vec::new(),
            sent_ccs: false,
            compat: false,
        };
        Ok(Connection::new(core, Handshaker::Server(Box::new(hs))))
    }
}

enum State {
    WaitClientHello,
    WaitCertificate,
    WaitCertificateVerify,
    WaitFinished,
    Connected,
    Poisoned,
}

/// The server's handshake state machine.
pub(crate) struct ServerHandshake {
    config: Arc<ServerConfig>,
    state: State,
    transcript: Transcript,
    /// Set once we sent a HelloRetryRequest: what the second ClientHello must match.
    retry: Option<Retry>,
    suite: Option<&'static CipherSuite>,
    secrets: Option<Secrets>,
    client_certs: Vec<Vec<u8>>,
    sent_ccs: bool,
    /// The client asked for middlebox compatibility (non-empty legacy_session_id).
    compat: bool,
}

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
                self.on_client_hello(core, ClientHello::decode(body)?, raw)?
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
        ch: ClientHello,
        raw: &[u8],
    ) -> Result<State, Error> {
        if self.retry.is_none() {
            core.client_random = ch.random;
            // §5: from the first ClientHello on, a compat CCS from the client is dropped.
            core.ccs_allowed = true;
            self.compat = !ch.legacy_session_id.is_empty();
            // §4.2.10: we decline 0-RTT (no early_data in EncryptedExtensions, or a
            // HelloRetryRequest), so skip the client's early data records: the ones that do
            // not decrypt under the handshake key, or, before we have one, every
            // application_data record.
            if ch.extensions.early_data {
                core.early_data_to_skip = REJECTED_EARLY_DATA_LIMIT;
            }
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
        self.transcript.add(raw)?;

        let (server_share, shared) = crypto::server_key_exchange(neg.group, &neg.client_share)?;
        core.info.version = Some(ProtocolVersion::TLS1_3);
        core.info.cipher_suite = Some(suite.name);
        core.info.cipher_suite_id = Some(suite.id);
        core.info.group = Some(NamedGroup(neg.group.id));
        core.info.group_name = Some(neg.group.name);
        core.info.server_name = ch.extensions.server_name.clone();
        core.info.alpn = neg.alpn.clone();

        // ServerHello.
        let mut random = [0u8; 32];
        crypto::random_bytes(&mut random)?;
        let sh = HandshakeMessage::ServerHello(ServerHello {
            legacy_version: ProtocolVersion::TLS1_2,
            random,
            legacy_session_id_echo: ch.legacy_session_id.clone(),
            cipher_suite: CipherSuiteId(suite.id),
            compression_method: 0,
            extensions: ServerHelloExtensions {
                supported_version: Some(ProtocolVersion::TLS1_3),
                key_share: Some(KeyShareEntry {
                    group: NamedGroup(neg.group.id),
                    key_exchange: server_share,
                }),
                ..ServerHelloExtensions::default()
            },
        });
        let mut bytes = Vec::with_capacity(256);
        core.encode_handshake(&sh, &mut bytes);
        self.transcript.add(&bytes)?;
        core.send_handshake_bytes(&bytes)?;
        self.send_compat_ccs(core);

        let secrets = Secrets::after_server_hello(
            suite,
            None,
            shared.as_bytes(),
            self.transcript.current_hash()?.as_ref(),
        )?;
        core.log_secret(labels::CLIENT_HANDSHAKE, &secrets.client_handshake);
        core.log_secret(labels::SERVER_HANDSHAKE, &secrets.server_handshake);
        core.install_keys(Direction::Send, &secrets.server_handshake)?;
        core.install_keys(Direction::Receive, &secrets.client_handshake)?;

        // Our flight: EncryptedExtensions, [CertificateRequest], Certificate,
        // CertificateVerify, Finished, in as few records as fit.
        let mut flight = Vec::with_capacity(4096);
        let ee = HandshakeMessage::EncryptedExtensions(EncryptedExtensions {
            server_name_ack: ch.extensions.server_name.is_some(),
            alpn: neg.alpn,
            ..EncryptedExtensions::default()
        });
        self.add_to_flight(core, &ee, &mut flight)?;
        let client_verifier = self.config.client_verifier.clone();
        if let Some(verifier) = &client_verifier {
            let cr = HandshakeMessage::CertificateRequest(CertificateRequest {
                context: Vec::new(),
                signature_algorithms: verifier.supported_schemes().to_vec(),
                signature_algorithms_cert: None,
                present: Vec::new(),
            });
            self.add_to_flight(core, &cr, &mut flight)?;
        }
        let cert = HandshakeMessage::Certificate(Certificate {
            context: Vec::new(),
            entries: neg
                .certified_key
                .chain
                .iter()
                .map(|c| CertificateEntry {
                    cert_der: c.as_ref().to_vec(),
                    extensions: Vec::new(),
                })
                .collect(),
        });
        self.add_to_flight(core, &cert, &mut flight)?;
        let content = signed_content(
            CertificateVerifyContext::Server,
            &self.transcript.current_hash()?,
        );
        let signature = neg.certified_key.key.sign(neg.scheme.0, &content)?;
        let cv = HandshakeMessage::CertificateVerify(CertificateVerify {
            scheme: neg.scheme,
            signature,
        });
        self.add_to_flight(core, &cv, &mut flight)?;
        let verify_data = handshake::finished_verify_data(
            suite,
            &secrets.server_handshake,
            &self.transcript.current_hash()?,
        )?;
        let fin = HandshakeMessage::Finished(Finished {
            verify_data: verify_data.to_vec(),
        });
        self.add_to_flight(core, &fin, &mut flight)?;
        core.send_handshake_bytes(&flight)?;

        // §7.1: application secrets hash the transcript through the server Finished. We
        // switch our sending keys now; we read with the client's handshake keys until its
        // Finished.
        let mut secrets = secrets;
        let app = secrets.application(self.transcript.current_hash()?.as_ref())?;
        core.log_secret(labels::CLIENT_TRAFFIC_0, &app.client);
        core.log_secret(labels::SERVER_TRAFFIC_0, &app.server);
        core.log_secret(labels::EXPORTER, &app.exporter);
        core.install_application_secret(Direction::Send, app.server)?;
        core.set_exporter_secret(app.exporter);
        secrets.set_pending_client_application(app.client);
        self.secrets = Some(secrets);

        Ok(if client_verifier.is_some() {
            State::WaitCertificate
        } else {
            State::WaitFinished
        })
    }

    fn add_to_flight(
        &mut self,
        core: &mut Core,
        msg: &HandshakeMessage,
        flight: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let start = flight.len();
        core.encode_handshake(msg, flight);
        self.transcript
            .add(flight.get(start..).unwrap_or_default())?;
        Ok(())
    }

    /// §4.1.4: ask for a share of `retry.group` (and send a cookie back).
    fn send_hello_retry_request(
        &mut self,
        core: &mut Core,
        ch: &ClientHello,
        raw: &[u8],
        retry: Retry,
    ) -> Result<State, Error> {
        core.info.hello_retry = true;
        self.transcript.start_hash(retry.suite.hash)?;
        self.transcript.add(raw)?;
        self.transcript.rollup_for_hrr()?;
        let hrr = HandshakeMessage::ServerHello(ServerHello {
            legacy_version: ProtocolVersion::TLS1_2,
            random: HRR_RANDOM,
            legacy_session_id_echo: ch.legacy_session_id.clone(),
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
            .clone()
            .ok_or(Error::Internal("no client verifier"))?;
        if !cert.context.is_empty() {
            return Err(Error::IllegalParameter(
                "client Certificate has a different certificate_request_context",
            ));
        }
        self.transcript.add(raw)?;
        let chain: Vec<Vec<u8>> = cert.entries.into_iter().map(|e| e.cert_der).collect();
        let Some((leaf, rest)) = chain.split_first() else {
            if verifier.client_auth_mandatory() {
                return Err(Error::CertificateRequired);
            }
            return Ok(State::WaitFinished);
        };
        let intermediates: Vec<&[u8]> = rest.iter().map(|c| c.as_slice()).collect();
        verifier.verify_client_cert(leaf, &intermediates, SystemTime::now())?;
        core.info.peer_certificates = chain.clone();
        self.client_certs = chain;
        Ok(State::WaitCertificateVerify)
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
            .clone()
            .ok_or(Error::Internal("no client verifier"))?;
        if !verifier.supported_schemes().contains(&cv.scheme) {
            return Err(Error::IllegalParameter(
                "CertificateVerify uses a signature scheme we did not offer",
            ));
        }
        let leaf = self
            .client_certs
            .first()
            .ok_or(Error::Internal("no client certificate"))?;
        let content = signed_content(
            CertificateVerifyContext::Client,
            &self.transcript.current_hash()?,
        );
        verifier.verify_signature(leaf, cv.scheme, &content, &cv.signature)?;
        core.info.peer_signature_scheme = Some(cv.scheme.0);
        self.transcript.add(raw)?;
        Ok(State::WaitFinished)
    }

    /// §4.4.4: the client's Finished completes the handshake.
    fn on_finished(&mut self, core: &mut Core, fin: Finished, raw: &[u8]) -> Result<State, Error> {
        let suite = self.suite.ok_or(Error::Internal("no suite"))?;
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
        secrets.set_resumption(self.transcript.current_hash()?.as_ref())?;
        core.handshake_complete = true;
        core.may_send_application_data = true;
        core.may_receive_application_data = true;
        Ok(State::Connected)
    }
}

impl State {
    fn expects(&self) -> &'static str {
        match self {
            State::WaitClientHello => "ClientHello",
            State::WaitCertificate => "Certificate",
            State::WaitCertificateVerify => "CertificateVerify",
            State::WaitFinished => "Finished",
            State::Connected => "KeyUpdate",
            State::Poisoned => "nothing (the handshake failed)",
        }
    }
}
