//! Pieces of the handshake both roles share: the secrets of one connection's key schedule
//! (RFC 8446 §7.1), judging the peer's Certificate and CertificateVerify (§4.4.2, §4.4.3),
//! CertificateVerify's signed content and Finished (§4.4.4).

use std::time::SystemTime;

use padlock_cert::VerifiedChain;

use crate::codec::{put_bytes, put_prefixed};
use crate::common::Core;
use crate::crypto::{CipherSuite, Output, MAX_HASH_LEN};
use crate::error::Error;
use crate::key_schedule::{self, EarlySecret, ExporterSecret, MasterSecret, Secret};
use crate::msgs::enums::{HandshakeType, SignatureScheme};
use crate::msgs::{Certificate, CertificateEntry, CertificateVerify, HandshakeMessage};
use crate::server::CertifiedKey;
use crate::transcript::Transcript;
use crate::verify::PeerVerifier;

/// The traffic secrets of one connection, derived as the transcript grows.
pub(crate) struct Secrets {
    pub(crate) client_handshake: Secret,
    pub(crate) server_handshake: Secret,
    master: Option<MasterSecret>,
    /// The server derives the client's application secret with its own, but installs it
    /// only after the client's Finished.
    pending_client_application: Option<Secret>,
    pub(crate) resumption_master: Option<Secret>,
}

/// The first application traffic secrets and the exporter secret (derived when first used).
pub(crate) struct ApplicationSecrets {
    pub(crate) client: Secret,
    pub(crate) server: Secret,
    pub(crate) exporter: ExporterSecret,
}

impl Secrets {
    /// From the Early Secret (of the PSK, if any: the one the binder was made with), the
    /// (EC)DHE shared secret and Transcript-Hash(ClientHello..ServerHello).
    pub(crate) fn after_server_hello(
        early: EarlySecret,
        shared_secret: &[u8],
        hello_hash: &[u8],
    ) -> Result<Self, Error> {
        let hs = early.into_handshake_secret(shared_secret)?;
        let client_handshake = hs.client_handshake_traffic_secret(hello_hash)?;
        let server_handshake = hs.server_handshake_traffic_secret(hello_hash)?;
        Ok(Self {
            client_handshake,
            server_handshake,
            master: Some(hs.into_master_secret()?),
            pending_client_application: None,
            resumption_master: None,
        })
    }

    /// From Transcript-Hash(ClientHello..server Finished).
    pub(crate) fn application(
        &mut self,
        server_finished_hash: &[u8],
    ) -> Result<ApplicationSecrets, Error> {
        let master = self
            .master
            .as_ref()
            .ok_or(Error::Internal("master secret missing"))?;
        Ok(ApplicationSecrets {
            client: master.client_application_traffic_secret_0(server_finished_hash)?,
            server: master.server_application_traffic_secret_0(server_finished_hash)?,
            exporter: ExporterSecret::deferred(master, server_finished_hash)?,
        })
    }

    pub(crate) fn set_pending_client_application(&mut self, secret: Secret) {
        self.pending_client_application = Some(secret);
    }

    pub(crate) fn take_pending_client_application(&mut self) -> Option<Secret> {
        self.pending_client_application.take()
    }

    /// From Transcript-Hash(ClientHello..client Finished); the master secret is then dropped.
    pub(crate) fn set_resumption(&mut self, client_finished_hash: &[u8]) -> Result<(), Error> {
        if let Some(master) = self.master.take() {
            self.resumption_master = Some(master.resumption_master_secret(client_finished_hash)?);
        }
        Ok(())
    }
}

/// Whose CertificateVerify is being made or checked (the context strings of §4.4.3).
#[derive(Clone, Copy, Debug)]
pub(crate) enum CertificateVerifyContext {
    Server,
    Client,
}

/// The content a CertificateVerify signs (§4.4.3), held inline (no allocation): both context
/// strings are 33 bytes, and a transcript hash at most [`MAX_HASH_LEN`].
pub(crate) struct SignedContent {
    buf: [u8; 64 + 33 + 1 + MAX_HASH_LEN],
    len: usize,
}

impl std::ops::Deref for SignedContent {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }
}

/// §4.4.3: 64 spaces, the context string, a zero byte, then the transcript hash.
pub(crate) fn signed_content(
    who: CertificateVerifyContext,
    transcript_hash: &Output,
) -> SignedContent {
    let context: &[u8; 33] = match who {
        CertificateVerifyContext::Server => b"TLS 1.3, server CertificateVerify",
        CertificateVerifyContext::Client => b"TLS 1.3, client CertificateVerify",
    };
    let hash = transcript_hash.as_ref();
    let mut buf = [0x20; 64 + 33 + 1 + MAX_HASH_LEN];
    let len = 64 + 33 + 1 + hash.len().min(MAX_HASH_LEN);
    if let Some(slot) = buf.get_mut(64..64 + 33) {
        slot.copy_from_slice(context);
    }
    if let Some(zero) = buf.get_mut(64 + 33) {
        *zero = 0;
    }
    if let Some(slot) = buf.get_mut(64 + 33 + 1..len) {
        slot.copy_from_slice(hash.get(..len - 98).unwrap_or_default());
    }
    SignedContent { buf, len }
}

/// A peer chain the verifier accepted, kept until the peer's CertificateVerify proves that
/// it holds the end entity's key (§4.4.3); what the verifier validated, if it built a path.
pub(crate) struct AcceptedChain(Option<VerifiedChain>);

/// §4.4.2: judges the peer's Certificate with `verifier` and keeps the chain in
/// [`crate::HandshakeInfo::peer_certificates`]. `Ok(None)`: the peer sent no certificate,
/// which the caller judges (a server must send one; a client may send none, §4.4.2.4).
pub(crate) fn judge_certificate(
    core: &mut Core,
    verifier: &PeerVerifier<'_>,
    cert: Certificate,
) -> Result<Option<AcceptedChain>, Error> {
    // A server's certificate_request_context is empty; a client's echoes the
    // CertificateRequest's, which is empty too: padlock asks only during the handshake.
    if !cert.context.is_empty() {
        return Err(Error::IllegalParameter(match verifier {
            PeerVerifier::Server(..) => "server Certificate has a certificate_request_context",
            PeerVerifier::Client(_) => {
                "client Certificate has a different certificate_request_context"
            }
        }));
    }
    let chain: Vec<Vec<u8>> = cert.entries.into_iter().map(|e| e.cert_der).collect();
    let Some((leaf, rest)) = chain.split_first() else {
        return Ok(None);
    };
    let intermediates: Vec<&[u8]> = rest.iter().map(Vec::as_slice).collect();
    let verified = verifier.verify_chain(leaf, &intermediates, SystemTime::now())?;
    core.info.peer_certificates = chain;
    Ok(Some(AcceptedChain(verified)))
}

/// §4.4.3: checks the peer's CertificateVerify over `transcript_hash` (the transcript up to
/// its Certificate) with the key of the chain accepted before, reading it from the
/// validated path rather than parsing the certificate again; then records in
/// [`crate::HandshakeInfo`] what was established about the peer.
pub(crate) fn judge_certificate_verify(
    core: &mut Core,
    verifier: &PeerVerifier<'_>,
    accepted: Option<AcceptedChain>,
    transcript_hash: &Output,
    cv: &CertificateVerify,
) -> Result<(), Error> {
    if !verifier.supported_schemes().contains(&cv.scheme) {
        return Err(Error::IllegalParameter(
            "CertificateVerify uses a signature scheme we did not offer",
        ));
    }
    let AcceptedChain(verified) = accepted.ok_or(Error::Internal("no accepted peer chain"))?;
    let leaf = core
        .info
        .peer_certificates
        .first()
        .ok_or(Error::Internal("no peer certificate"))?;
    let content = signed_content(verifier.context(), transcript_hash);
    verifier
        .verify_signature(verified.as_ref(), leaf, cv.scheme, &content, &cv.signature)
        .map_err(|e| match e {
            // Whose signature failed, for the sentence and the fix (as for chains), and the
            // chain as the peer presented it: the verifier was told neither.
            Error::BadSignature(mut r) => {
                r.usage = match verifier {
                    PeerVerifier::Server(..) => padlock_cert::Usage::ServerAuth,
                    PeerVerifier::Client(_) => padlock_cert::Usage::ClientAuth,
                };
                r.presented.clone_from(&core.info.peer_certificates);
                Error::BadSignature(r)
            }
            e => e,
        })?;
    core.info.record_verified(verified);
    core.info.peer_signature_scheme = Some(cv.scheme.0);
    Ok(())
}

/// Appends `msg` to a flight being built and to the transcript (§4.4.1 hashes messages exactly
/// as sent).
pub(crate) fn add_to_flight(
    core: &mut Core,
    transcript: &mut Transcript,
    msg: &HandshakeMessage,
    flight: &mut Vec<u8>,
) -> Result<(), Error> {
    let start = flight.len();
    core.encode_handshake(msg, flight);
    transcript.add(flight.get(start..).unwrap_or_default())?;
    Ok(())
}

/// §4.4.2 and §4.4.3: our Certificate (with `context`, empty for a server) and a
/// CertificateVerify signing the transcript with its key.
pub(crate) fn add_certificate_and_verify(
    core: &mut Core,
    transcript: &mut Transcript,
    who: CertificateVerifyContext,
    context: Vec<u8>,
    (key, scheme): (&CertifiedKey, SignatureScheme),
    staple_ocsp: bool,
    flight: &mut Vec<u8>,
) -> Result<(), Error> {
    let start = flight.len();
    match (&key.ocsp_response, staple_ocsp) {
        // §4.4.2.1: the OCSP response goes in the end entity's CertificateEntry, and only
        // to a client that sent status_request.
        (Some(ocsp), true) => {
            let entries = key
                .chain
                .iter()
                .enumerate()
                .map(|(i, c)| match i {
                    0 => CertificateEntry::with_ocsp_response(c.as_ref().to_vec(), ocsp),
                    _ => CertificateEntry {
                        cert_der: c.as_ref().to_vec(),
                        extensions: Vec::new(),
                    },
                })
                .collect();
            HandshakeMessage::Certificate(Certificate { context, entries }).encode(flight);
        }
        // Without a staple every entry's extensions are empty: encoded straight from the
        // chain, no entries built.
        _ => {
            HandshakeType::CERTIFICATE.encode(flight);
            put_prefixed(flight, 3, |o| {
                Certificate::encode_chain(&context, key.chain.iter().map(|c| c.as_ref()), o)
            });
        }
    }
    let cert = flight.get(start..).unwrap_or_default();
    core.trace_sent(HandshakeType::CERTIFICATE, cert);
    transcript.add(cert)?;
    // §4.4.3: CertificateVerify, the signature written straight into the message.
    let content = signed_content(who, &transcript.current_hash()?);
    let start = flight.len();
    let mut signed = Ok(());
    HandshakeType::CERTIFICATE_VERIFY.encode(flight);
    put_prefixed(flight, 3, |o| {
        scheme.encode(o);
        put_prefixed(o, 2, |o| signed = key.key.sign_into(scheme.0, &content, o));
    });
    if let Err(e) = signed {
        flight.truncate(start);
        return Err(e.into());
    }
    let cv = flight.get(start..).unwrap_or_default();
    core.trace_sent(HandshakeType::CERTIFICATE_VERIFY, cv);
    transcript.add(cv)?;
    Ok(())
}

/// §4.4.4: our Finished, an HMAC with `base_key`'s finished key over the transcript so far,
/// appended to `flight` and to the transcript.
pub(crate) fn add_finished_to_flight(
    core: &mut Core,
    transcript: &mut Transcript,
    (suite, base_key): (&CipherSuite, &Secret),
    flight: &mut Vec<u8>,
) -> Result<(), Error> {
    let verify_data = key_schedule::finished_verify_data(
        suite.hash,
        base_key,
        transcript.current_hash()?.as_ref(),
    )?;
    let start = flight.len();
    HandshakeType::FINISHED.encode(flight);
    put_bytes(flight, 3, verify_data.as_ref());
    let fin = flight.get(start..).unwrap_or_default();
    core.trace_sent(HandshakeType::FINISHED, fin);
    transcript.add(fin)?;
    Ok(())
}

/// §4.4.4: the peer's verify_data, compared in constant time.
pub(crate) fn check_finished(
    suite: &CipherSuite,
    base_key: &Secret,
    transcript_hash: &Output,
    received: &[u8],
) -> Result<(), Error> {
    if key_schedule::verify_finished(suite.hash, base_key, transcript_hash.as_ref(), received) {
        Ok(())
    } else {
        Err(Error::BadFinished)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// §4.4.3's layout, built the obvious way, for both hash lengths and both sides.
    #[test]
    fn signed_content_is_spaces_context_zero_hash() {
        for hash in [[7u8; 32].as_slice(), [9u8; 48].as_slice()] {
            let hash = Output::new(hash).unwrap();
            for (who, context) in [
                (
                    CertificateVerifyContext::Server,
                    &b"TLS 1.3, server CertificateVerify"[..],
                ),
                (
                    CertificateVerifyContext::Client,
                    &b"TLS 1.3, client CertificateVerify"[..],
                ),
            ] {
                let mut expected = vec![0x20; 64];
                expected.extend_from_slice(context);
                expected.push(0);
                expected.extend_from_slice(hash.as_ref());
                assert_eq!(&*signed_content(who, &hash), expected.as_slice());
            }
        }
    }
}
