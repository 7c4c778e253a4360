//! Building the ClientHello (RFC 8446 §4.1.2) and changing it after a HelloRetryRequest.

use rustls_pki_types::ServerName;

use super::ClientConfig;
use crate::crypto::{self, KeyExchange};
use crate::error::Error;
use crate::msgs::enums::{
    CipherSuiteId, ExtensionType, NamedGroup, ProtocolVersion, PskKeyExchangeMode,
};
use crate::msgs::{ClientExtensions, ClientHello, KeyShareEntry};

pub(super) struct ClientHelloState {
    pub(super) random: [u8; 32],
    pub(super) message: ClientHello,
    /// Our ephemeral private keys, one per key share sent.
    key_exchanges: Vec<KeyExchange>,
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
        let server_name = match server_name {
            ServerName::DnsName(name) if config.enable_sni => Some(name.as_ref().to_string()),
            _ => None,
        };
        let extensions = ClientExtensions {
            server_name,
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
        Ok(Self {
            random,
            message,
            key_exchanges,
        })
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
            _ => false,
        }
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
        // §4.2.10: no early data after a HelloRetryRequest.
        self.message.extensions.early_data = false;
        Ok(())
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
