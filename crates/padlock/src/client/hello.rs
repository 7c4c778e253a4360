//! Building the ClientHello (RFC 8446 §4.1.2) and changing it after a HelloRetryRequest.

use rustls_pki_types::ServerName;

use super::ClientConfig;
use crate::codec::{put_bytes, put_prefixed};
use crate::crypto::{self, CipherSuite, KeyExchange};
use crate::error::Error;
use crate::key_schedule::{self, EarlySecret};
use crate::msgs::enums::{
    CipherSuiteId, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion, PskKeyExchangeMode,
};
use crate::msgs::extensions::{
    put_alpn, put_extension, put_schemes, put_server_name, put_status_request, put_versions,
};
use crate::msgs::{Certificate, OfferedPsks, PskIdentity};
use crate::resumption::{unix_now_ms, ClientSession};
use crate::transcript::Transcript;

pub(super) struct ClientHelloState {
    pub(super) random: [u8; 32],
    /// §D.4: 32 random bytes, sent (and echoed by the server) only in middlebox
    /// compatibility mode.
    session_id: [u8; 32],
    compat: bool,
    /// What we send beyond the configuration's lists, which [`Self::encode`] writes
    /// straight from the `ClientConfig` (no message value with a `Vec` per list).
    sni: bool,
    alpn: bool,
    status_request: bool,
    /// early_data indication (§4.2.10).
    pub(super) early_data: bool,
    cookie: Option<Vec<u8>>,
    pre_shared_key: Option<OfferedPsks>,
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
        // One call to the RNG for the random, the legacy_session_id (§D.4: a non-empty one
        // makes us look like TLS 1.2 resumption to middleboxes; the server echoes it) and
        // the first X25519 key: each call costs about 0.4 us whatever its length.
        let mut randoms = [0u8; 64];
        let mut seed = Some(crypto::random_with_x25519_seed(&mut randoms)?);
        let (random, session_id) = randoms.split_at(32);
        let random: [u8; 32] = random.try_into().unwrap_or_default();
        let session_id: [u8; 32] = match config.middlebox_compat {
            true => session_id.try_into().unwrap_or_default(),
            false => [0u8; 32],
        };
        let mut key_exchanges = Vec::with_capacity(config.key_share_groups.len());
        for group in &config.key_share_groups {
            let seed = if group.uses_x25519() {
                seed.take()
            } else {
                None
            };
            key_exchanges.push(KeyExchange::start_seeded(group, seed)?);
        }
        let mut hello = Self {
            random,
            session_id,
            compat: config.middlebox_compat,
            sni: config.enable_sni && matches!(server_name, ServerName::DnsName(_)),
            alpn: !config.alpn_protocols.is_empty(),
            status_request: config.request_ocsp,
            early_data: false,
            cookie: None,
            pre_shared_key: None,
            key_exchanges,
            resuming: None,
            early: None,
        };
        hello.offer_ticket(config, server_name);
        Ok(hello)
    }

    /// The legacy_session_id we sent, which the server must echo (§4.1.3).
    pub(super) fn session_id(&self) -> &[u8] {
        let len = if self.compat {
            self.session_id.len()
        } else {
            0
        };
        self.session_id.get(..len).unwrap_or_default()
    }

    /// The ClientHello body (§4.1.2), extensions in a fixed order with pre_shared_key last
    /// (§4.2.11), as `ClientHello::encode` writes them.
    fn encode_body(&self, config: &ClientConfig, server_name: &ServerName<'_>, o: &mut Vec<u8>) {
        ProtocolVersion::TLS1_2.encode(o);
        o.extend_from_slice(&self.random);
        put_bytes(o, 1, self.session_id());
        put_prefixed(o, 2, |o| {
            for s in &config.cipher_suites {
                CipherSuiteId(s.id).encode(o);
            }
        });
        // legacy_compression_methods: the null method alone.
        put_bytes(o, 1, &[0]);
        put_prefixed(o, 2, |o| {
            if let (true, ServerName::DnsName(name)) = (self.sni, server_name) {
                put_extension(o, ExtensionType::SERVER_NAME, |o| {
                    put_server_name(o, name.as_ref())
                });
            }
            put_extension(o, ExtensionType::SUPPORTED_VERSIONS, |o| {
                put_versions(o, &[ProtocolVersion::TLS1_3])
            });
            put_extension(o, ExtensionType::SUPPORTED_GROUPS, |o| {
                put_prefixed(o, 2, |o| {
                    for g in &config.groups {
                        NamedGroup(g.id).encode(o);
                    }
                })
            });
            put_extension(o, ExtensionType::SIGNATURE_ALGORITHMS, |o| {
                put_schemes(o, config.verifier.supported_schemes())
            });
            put_extension(o, ExtensionType::KEY_SHARE, |o| {
                put_prefixed(o, 2, |o| {
                    for kx in &self.key_exchanges {
                        NamedGroup(kx.group().id).encode(o);
                        put_bytes(o, 2, kx.public_share());
                    }
                })
            });
            if self.alpn {
                put_extension(o, ExtensionType::ALPN, |o| {
                    put_alpn(o, config.alpn_protocols.iter().map(Vec::as_slice))
                });
            }
            if let Some(cookie) = &self.cookie {
                put_extension(o, ExtensionType::COOKIE, |o| put_bytes(o, 2, cookie));
            }
            // Offered so that servers issue tickets we can resume with (§4.2.9).
            put_extension(o, ExtensionType::PSK_KEY_EXCHANGE_MODES, |o| {
                put_prefixed(o, 1, |o| PskKeyExchangeMode::PSK_DHE_KE.encode(o))
            });
            if self.early_data {
                put_extension(o, ExtensionType::EARLY_DATA, |_| {});
            }
            if self.status_request {
                put_extension(o, ExtensionType::STATUS_REQUEST, put_status_request);
            }
            // Must stay last: §4.2.11.
            if let Some(psks) = &self.pre_shared_key {
                put_extension(o, ExtensionType::PRE_SHARED_KEY, |o| psks.encode(o));
            }
        });
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
        // §4.2.10: early data only with the first identity, and only if the ticket allows it.
        self.early_data = config.enable_early_data && session.max_early_data > 0;
        self.pre_shared_key = Some(OfferedPsks {
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
    #[cfg(test)]
    pub(super) fn encode(
        &mut self,
        config: &ClientConfig,
        server_name: &ServerName<'_>,
        transcript: &mut Transcript,
    ) -> Result<Vec<u8>, Error> {
        let mut bytes = Vec::new();
        self.encode_into(config, server_name, transcript, &mut bytes)?;
        Ok(bytes)
    }

    /// [`Self::encode`], appending the message to `out` (the send buffer itself, when the
    /// connection writes its ClientHello where it is sent).
    pub(super) fn encode_into(
        &mut self,
        config: &ClientConfig,
        server_name: &ServerName<'_>,
        transcript: &mut Transcript,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        // Room for the fixed part, the key shares (1216 bytes for X25519MLKEM768) and a
        // ticket, so that the message is written without regrowing.
        let shares: usize = (self.key_exchanges.iter())
            .map(|k| 4 + k.public_share().len())
            .sum();
        let psk: usize = self
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
        out.reserve(512 + shares + psk);
        let start = out.len();
        HandshakeType::CLIENT_HELLO.encode(out);
        put_prefixed(out, 3, |o| self.encode_body(config, server_name, o));
        let (Some((_, suite)), Some(psks), Some(early)) =
            (&self.resuming, &self.pre_shared_key, &self.early)
        else {
            transcript.add(out.get(start..).unwrap_or_default())?;
            return Ok(());
        };
        let truncated_end = out.len().saturating_sub(psks.binders_encoded_len());
        transcript.speculate(suite.hash);
        transcript.add(out.get(start..truncated_end).unwrap_or_default())?;
        let hash = transcript.hash_with_algorithm(suite.hash, &[])?;
        let binder_key = early.binder_key(false)?;
        let binder = key_schedule::finished_verify_data(suite.hash, &binder_key, &hash)?;
        let binder = binder.as_ref();
        let [placeholder] = psks.binders.as_slice() else {
            return Err(Error::Internal("one PSK binder expected"));
        };
        let binder_start = out.len().saturating_sub(binder.len());
        match out.get_mut(binder_start..) {
            Some(tail) if placeholder.len() == binder.len() => tail.copy_from_slice(binder),
            _ => return Err(Error::Internal("PSK binder placeholder")),
        }
        transcript.add(out.get(truncated_end..).unwrap_or_default())?;
        Ok(())
    }

    /// Whether we sent extension `ext`: a server may only answer those (§4.2).
    pub(super) fn offered(&self, ext: ExtensionType) -> bool {
        match ext {
            ExtensionType::SERVER_NAME => self.sni,
            ExtensionType::SUPPORTED_VERSIONS
            | ExtensionType::SUPPORTED_GROUPS
            | ExtensionType::SIGNATURE_ALGORITHMS
            | ExtensionType::KEY_SHARE => true,
            ExtensionType::ALPN => self.alpn,
            ExtensionType::COOKIE => self.cookie.is_some(),
            ExtensionType::PRE_SHARED_KEY => self.pre_shared_key.is_some(),
            ExtensionType::EARLY_DATA => self.early_data,
            ExtensionType::STATUS_REQUEST => self.status_request,
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
        Ok(())
    }

    /// §4.1.2: the second ClientHello drops early_data, and a PSK whose hash does not match
    /// the suite the server chose.
    pub(super) fn after_retry(&mut self, suite: &'static CipherSuite) {
        self.early_data = false;
        if self
            .resuming
            .as_ref()
            .is_some_and(|(_, s)| s.hash != suite.hash)
        {
            self.resuming = None;
            self.early = None;
            self.pre_shared_key = None;
        }
        if let (Some((session, _)), Some(psks)) = (&self.resuming, &mut self.pre_shared_key) {
            // The ticket has aged by a round trip.
            for id in &mut psks.identities {
                id.obfuscated_ticket_age = session.obfuscated_age(unix_now_ms());
            }
        }
    }

    pub(super) fn set_cookie(&mut self, cookie: Option<Vec<u8>>) {
        self.cookie = cookie;
    }
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

    /// The ClientHello is written from the configuration without a message value: it must
    /// decode to what the configuration offers.
    #[test]
    fn encoded_client_hello_decodes_to_the_configuration() {
        use crate::msgs::ClientHello;
        for (sni, compat, alpn, ocsp) in [(true, true, true, true), (false, false, false, false)] {
            let mut config = ClientConfig::new(RootStore::empty());
            config.enable_sni = sni;
            config.middlebox_compat = compat;
            config.request_ocsp = ocsp;
            if alpn {
                config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
            }
            let name = ServerName::try_from("example.com").unwrap();
            let mut hello = ClientHelloState::new(&config, &name).unwrap();
            let bytes = hello
                .encode(&config, &name, &mut Transcript::new())
                .unwrap();
            assert_eq!(bytes[0], HandshakeType::CLIENT_HELLO.0);
            let ch = ClientHello::decode(&bytes[4..]).unwrap();
            assert_eq!(ch.legacy_version, ProtocolVersion::TLS1_2);
            assert_eq!(ch.random, hello.random);
            assert_eq!(ch.legacy_session_id, hello.session_id());
            assert_eq!(ch.legacy_session_id.len(), if compat { 32 } else { 0 });
            let suites: Vec<_> = config.cipher_suites.iter().map(|s| s.id).collect();
            assert_eq!(
                ch.cipher_suites.iter().map(|s| s.0).collect::<Vec<_>>(),
                suites
            );
            assert_eq!(ch.compression_methods, [0]);
            let e = &ch.extensions;
            assert_eq!(e.server_name.as_deref(), sni.then_some("example.com"));
            assert_eq!(
                e.supported_versions.as_deref(),
                Some(&[ProtocolVersion::TLS1_3][..])
            );
            let groups: Vec<_> = config.groups.iter().map(|g| NamedGroup(g.id)).collect();
            assert_eq!(e.supported_groups.as_ref(), Some(&groups));
            assert_eq!(
                e.signature_algorithms.as_deref(),
                Some(config.verifier.supported_schemes())
            );
            let shares = e.key_shares.as_ref().unwrap();
            assert_eq!(shares.len(), config.key_share_groups.len());
            for (share, kx) in shares.iter().zip(&hello.key_exchanges) {
                assert_eq!(share.group, NamedGroup(kx.group().id));
                assert_eq!(share.key_exchange, kx.public_share());
            }
            assert_eq!(e.alpn.is_some(), alpn);
            if alpn {
                assert_eq!(e.alpn.as_ref(), Some(&config.alpn_protocols));
            }
            assert_eq!(
                e.psk_modes.as_deref(),
                Some(&[PskKeyExchangeMode::PSK_DHE_KE][..])
            );
            assert_eq!(e.status_request, ocsp);
            assert!(!e.early_data && e.cookie.is_none() && e.pre_shared_key.is_none());
            for t in &e.present {
                assert!(
                    hello.offered(*t) || *t == ExtensionType::PSK_KEY_EXCHANGE_MODES,
                    "{t:?}"
                );
            }
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
        assert!(!hello(false).status_request);
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
