//! Building the ClientHello (RFC 8446 §4.1.2) and changing it after a HelloRetryRequest.

use rustls_pki_types::ServerName;

use super::ClientConfig;
use crate::codec::put_prefixed;
use crate::crypto::{self, CipherSuite, KeyExchange};
use crate::error::Error;
use crate::key_schedule::{self, EarlySecret};
use crate::msgs::enums::{
    CipherSuiteId, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion, PskKeyExchangeMode,
};
use crate::msgs::{
    Certificate, ClientExtensions, ClientHello, KeyShareEntry, OfferedPsks, PskIdentity,
};
use crate::resumption::{unix_now_ms, ClientSession};
use crate::transcript::Transcript;

pub(super) struct ClientHelloState {
    pub(super) random: [u8; 32],
    pub(super) message: ClientHello,
    /// Our ephemeral private keys, one per key share sent.
    key_exchanges: Vec<KeyExchange>,
    /// The ticket we offer, and the suite it was issued under.
    pub(super) resuming: Option<(ClientSession, &'static CipherSuite)>,
    /// The Early Secret of that ticket's PSK (RFC 8446 §7.1), extracted once for the
    /// binder, the early traffic secret and the rest of the schedule.
    pub(super) early: Option<EarlySecret>,
}

impl ClientHelloState {
    pub(super) fn new(config: &ClientConfig, server_name: &ServerName<'_>) -> Result<Self, Error> {
        let mut random = [0u8; 32];
        crypto::random_bytes(&mut random)?;
        // §D.4: a non-empty legacy_session_id makes us look like TLS 1.2 resumption to
        // middleboxes; the server echoes it.
        let mut session_id = Vec::new();
        if config.middlebox_compat {
            session_id = vec![0u8; 32];
            crypto::random_bytes(&mut session_id)?;
        }
        let mut key_exchanges = Vec::with_capacity(config.key_share_groups.len());
        for group in &config.key_share_groups {
            key_exchanges.push(KeyExchange::start(group)?);
        }
        let sni = match server_name {
            ServerName::DnsName(name) if config.enable_sni => Some(name.as_ref().to_string()),
            _ => None,
        };
        let extensions = ClientExtensions {
            server_name: sni,
            supported_versions: Some(vec![ProtocolVersion::TLS1_3]),
            supported_groups: Some(config.groups.iter().map(|g| NamedGroup(g.id)).collect()),
            signature_algorithms: Some(config.verifier.supported_schemes().to_vec()),
            signature_algorithms_cert: None,
            key_shares: Some(key_shares(&key_exchanges)),
            alpn: (!config.alpn_protocols.is_empty()).then(|| config.alpn_protocols.clone()),
            cookie: None,
            // Offered so that servers issue tickets we can resume with (§4.2.9).
            psk_modes: Some(vec![PskKeyExchangeMode::PSK_DHE_KE]),
            early_data: false,
            status_request: config.request_ocsp,
            pre_shared_key: None,
            present: Vec::new(),
        };
        let message = ClientHello {
            legacy_version: ProtocolVersion::TLS1_2,
            random,
            legacy_session_id: session_id,
            cipher_suites: config
                .cipher_suites
                .iter()
                .map(|s| CipherSuiteId(s.id))
                .collect(),
            compression_methods: vec![0],
            extensions,
        };
        let mut hello = Self {
            random,
            message,
            key_exchanges,
            resuming: None,
            early: None,
        };
        hello.offer_ticket(config, server_name);
        Ok(hello)
    }

    /// §4.2.11: offer a stored ticket for this server, if one fits our configuration.
    fn offer_ticket(&mut self, config: &ClientConfig, server_name: &ServerName<'_>) {
        let Some(store) = &config.session_store else {
            return;
        };
        let name = server_name.to_str();
        let Some(mut session) = store.take(&name) else {
            return;
        };
        // The ticket's suite must still be one we offer (§4.2.11: same hash for resumption).
        let Some(suite) = config
            .cipher_suites
            .iter()
            .copied()
            .find(|s| s.id == session.suite_id)
        else {
            return;
        };
        let now = unix_now_ms();
        if !session.is_fresh(now) {
            return;
        }
        let ext = &mut self.message.extensions;
        // §4.2.10: early data only with the first identity, and only if the ticket allows it.
        ext.early_data = config.enable_early_data && session.max_early_data > 0;
        ext.pre_shared_key = Some(OfferedPsks {
            identities: vec![PskIdentity {
                // The session keeps its PSK; the ticket itself is only sent.
                identity: std::mem::take(&mut session.ticket),
                obfuscated_ticket_age: session.obfuscated_age(now),
            }],
            // Filled in by `encode` once the rest of the ClientHello is fixed.
            binders: vec![vec![0u8; suite.hash.output_len()]],
        });
        self.early = Some(EarlySecret::new(suite.hash, Some(&session.psk)));
        self.resuming = Some((session, suite));
    }

    /// Encodes the ClientHello (4-byte header included) and adds it to `transcript`. With a
    /// ticket, the PSK binder is computed over the transcript so far plus the ClientHello
    /// truncated before the binders (§4.2.11.2) and written over its placeholder:
    /// pre_shared_key is the last extension and we offer one identity, so the binder is
    /// the message's last bytes. The message is encoded once, and the truncated part enters
    /// the transcript (hashed with the ticket's hash, which a resumption keeps) before the
    /// binder is computed, so that it is hashed once.
    pub(super) fn encode(&mut self, transcript: &mut Transcript) -> Result<Vec<u8>, Error> {
        // Room for the fixed part, the key shares (1216 bytes for X25519MLKEM768) and a
        // ticket, so that the message is written without regrowing.
        let ext = &self.message.extensions;
        let shares: usize = (ext.key_shares.iter().flatten())
            .map(|k| 4 + k.key_exchange.len())
            .sum();
        let psk: usize = ext
            .pre_shared_key
            .iter()
            .map(|p| {
                p.binders_encoded_len()
                    + p.identities
                        .iter()
                        .map(|i| 6 + i.identity.len())
                        .sum::<usize>()
            })
            .sum();
        let mut bytes = Vec::with_capacity(512 + shares + psk);
        HandshakeType::CLIENT_HELLO.encode(&mut bytes);
        put_prefixed(&mut bytes, 3, |o| self.message.encode(o));
        let (Some((_, suite)), Some(psks), Some(early)) = (
            &self.resuming,
            &self.message.extensions.pre_shared_key,
            &self.early,
        ) else {
            transcript.add(&bytes)?;
            return Ok(bytes);
        };
        let truncated_len = bytes.len().saturating_sub(psks.binders_encoded_len());
        transcript.speculate(suite.hash);
        transcript.add(bytes.get(..truncated_len).unwrap_or_default())?;
        let hash = transcript.hash_with_algorithm(suite.hash, &[])?;
        let binder_key = early.binder_key(false)?;
        let binder = key_schedule::finished_verify_data(suite.hash, &binder_key, &hash)?;
        let binder = binder.as_ref();
        let [placeholder] = psks.binders.as_slice() else {
            return Err(Error::Internal("one PSK binder expected"));
        };
        let start = bytes.len().saturating_sub(binder.len());
        match bytes.get_mut(start..) {
            Some(tail) if placeholder.len() == binder.len() => tail.copy_from_slice(binder),
            _ => return Err(Error::Internal("PSK binder placeholder")),
        }
        transcript.add(bytes.get(truncated_len..).unwrap_or_default())?;
        Ok(bytes)
    }

    /// Whether we sent extension `ext`: a server may only answer those (§4.2).
    pub(super) fn offered(&self, ext: ExtensionType) -> bool {
        let e = &self.message.extensions;
        match ext {
            ExtensionType::SERVER_NAME => e.server_name.is_some(),
            ExtensionType::SUPPORTED_VERSIONS => e.supported_versions.is_some(),
            ExtensionType::SUPPORTED_GROUPS => e.supported_groups.is_some(),
            ExtensionType::SIGNATURE_ALGORITHMS => e.signature_algorithms.is_some(),
            ExtensionType::KEY_SHARE => e.key_shares.is_some(),
            ExtensionType::ALPN => e.alpn.is_some(),
            ExtensionType::COOKIE => e.cookie.is_some(),
            ExtensionType::PRE_SHARED_KEY => e.pre_shared_key.is_some(),
            ExtensionType::EARLY_DATA => e.early_data,
            ExtensionType::STATUS_REQUEST => e.status_request,
            _ => false,
        }
    }

    /// §4.4.2: every extension in the server's CertificateEntries must answer one we sent
    /// (else unsupported_extension). Returns the OCSP response stapled to the end entity
    /// (§4.4.2.1); staples on other certificates are checked for form only.
    pub(super) fn stapled_ocsp(&self, cert: &Certificate) -> Result<Option<Vec<u8>>, Error> {
        let mut leaf_staple = None;
        for (i, entry) in cert.entries.iter().enumerate() {
            if let Some(ext) = entry
                .extension_types()
                .into_iter()
                .find(|t| !self.offered(*t))
            {
                return Err(Error::UnsupportedExtension(ext));
            }
            let staple = entry.ocsp_response()?;
            if i == 0 {
                leaf_staple = staple;
            }
        }
        Ok(leaf_staple)
    }

    /// The private key for the share the server picked (§4.2.8: it must be one we sent).
    pub(super) fn take_key_exchange(&mut self, group: NamedGroup) -> Result<KeyExchange, Error> {
        let pos = self
            .key_exchanges
            .iter()
            .position(|kx| kx.group().id == group.0)
            .ok_or(Error::IllegalParameter(
                "the server's key share is for a group we sent no share for",
            ))?;
        Ok(self.key_exchanges.swap_remove(pos))
    }

    /// §4.1.4: one new share, for the group the server asked for.
    pub(super) fn retry_with_group(
        &mut self,
        config: &ClientConfig,
        group: NamedGroup,
    ) -> Result<(), Error> {
        let chosen = config
            .groups
            .iter()
            .copied()
            .find(|g| g.id == group.0)
            .ok_or(Error::IllegalParameter(
                "HelloRetryRequest asks for a group we did not offer",
            ))?;
        if self.key_exchanges.iter().any(|kx| kx.group().id == group.0) {
            return Err(Error::IllegalParameter(
                "HelloRetryRequest asks for a group we already sent a share for",
            ));
        }
        self.key_exchanges = vec![KeyExchange::start(chosen)?];
        self.message.extensions.key_shares = Some(key_shares(&self.key_exchanges));
        Ok(())
    }

    /// §4.1.2: the second ClientHello drops early_data, and a PSK whose hash does not match
    /// the suite the server chose.
    pub(super) fn after_retry(&mut self, suite: &'static CipherSuite) {
        self.message.extensions.early_data = false;
        if self
            .resuming
            .as_ref()
            .is_some_and(|(_, s)| s.hash != suite.hash)
        {
            self.resuming = None;
            self.early = None;
            self.message.extensions.pre_shared_key = None;
        }
        if let (Some((session, _)), Some(psks)) =
            (&self.resuming, &mut self.message.extensions.pre_shared_key)
        {
            // The ticket has aged by a round trip.
            for id in &mut psks.identities {
                id.obfuscated_ticket_age = session.obfuscated_age(unix_now_ms());
            }
        }
    }

    pub(super) fn set_cookie(&mut self, cookie: Option<Vec<u8>>) {
        self.message.extensions.cookie = cookie;
    }
}

fn key_shares(kxs: &[KeyExchange]) -> Vec<KeyShareEntry> {
    kxs.iter()
        .map(|kx| KeyShareEntry {
            group: NamedGroup(kx.group().id),
            key_exchange: kx.public_share().to_vec(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::AlertDescription;
    use crate::msgs::CertificateEntry;
    use padlock_cert::RootStore;

    fn hello(request_ocsp: bool) -> ClientHelloState {
        let mut config = ClientConfig::new(RootStore::empty());
        config.request_ocsp = request_ocsp;
        let name = ServerName::try_from("localhost").unwrap();
        ClientHelloState::new(&config, &name).unwrap()
    }

    fn stapled(extensions_of_leaf: CertificateEntry) -> Certificate {
        Certificate {
            context: Vec::new(),
            entries: vec![
                extensions_of_leaf,
                CertificateEntry {
                    cert_der: vec![2],
                    extensions: Vec::new(),
                },
            ],
        }
    }

    #[test]
    fn staple_is_taken_only_when_asked_for() {
        let cert = stapled(CertificateEntry::with_ocsp_response(vec![1], &[0x30, 0]));
        assert_eq!(
            hello(true).stapled_ocsp(&cert).unwrap(),
            Some(vec![0x30, 0])
        );
        // RFC 8446 §4.4.2: an extension we did not ask for is unsupported_extension.
        let e = hello(false).stapled_ocsp(&cert).unwrap_err();
        assert_eq!(e.alert(), Some(AlertDescription::UNSUPPORTED_EXTENSION));
        assert!(!hello(false).message.extensions.status_request);
    }

    #[test]
    fn malformed_certificate_status_is_a_typed_error() {
        // status_type 2 (ocsp_multi, TLS 1.2 only), an empty response, a length past the
        // end, trailing bytes.
        for body in [
            &[2, 0, 0, 1, 0x30][..],
            &[1, 0, 0, 0],
            &[1, 0, 0, 9, 0x30],
            &[1, 0, 0, 1, 0x30, 0],
            &[],
        ] {
            let mut extensions = Vec::new();
            crate::msgs::extensions::put_extension(
                &mut extensions,
                ExtensionType::STATUS_REQUEST,
                |o| o.extend_from_slice(body),
            );
            let cert = stapled(CertificateEntry {
                cert_der: vec![1],
                extensions,
            });
            let e = hello(true).stapled_ocsp(&cert).unwrap_err();
            assert!(
                matches!(
                    e.alert(),
                    Some(AlertDescription::DECODE_ERROR | AlertDescription::ILLEGAL_PARAMETER)
                ),
                "{body:?}: {e:?}"
            );
        }
        // Oversized: a response over the bound.
        let big = vec![0x30; crate::msgs::MAX_OCSP_RESPONSE_LEN + 1];
        let cert = stapled(CertificateEntry::with_ocsp_response(vec![1], &big));
        assert!(hello(true).stapled_ocsp(&cert).is_err());
    }
}
