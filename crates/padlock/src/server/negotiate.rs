//! The server's choices from a ClientHello: version, suite, group, certificate, signature
//! scheme and ALPN protocol (RFC 8446 §4.1.1), or the decision to ask again (§4.1.4).

use std::sync::Arc;

use aws_lc_rs::constant_time::verify_slices_are_equal;

use super::{CertifiedKey, ServerConfig};
use crate::crypto::{self, suite_by_id, CipherSuite, Group};
use crate::error::Error;
use crate::msgs::enums::{ProtocolVersion, PskKeyExchangeMode, SignatureScheme};
use crate::msgs::ClientHelloRef;
use crate::msgs::U16List;
use crate::resumption::{unix_now_ms, ServerSession, MAX_TICKET_LIFETIME};

/// What the second ClientHello must honour after our HelloRetryRequest.
pub(super) struct Retry {
    pub(super) suite: &'static CipherSuite,
    pub(super) group: &'static Group,
    pub(super) cookie: Vec<u8>,
}

pub(super) struct Choice {
    pub(super) suite: &'static CipherSuite,
    pub(super) group: &'static Group,
    /// Where the chosen share is in the ClientHello's key_share list: the share is read
    /// from there, not copied.
    pub(super) client_share: usize,
    /// The certificate and scheme for a full handshake; an error when there is none, which
    /// matters only if no PSK is accepted.
    pub(super) certificate: Result<(Arc<CertifiedKey>, SignatureScheme), Error>,
    pub(super) alpn: Option<Vec<u8>>,
    /// A ticket that decrypted and fits; its binder is still to be checked.
    pub(super) psk: Option<PskCandidate>,
}

/// §4.2.11: the first offered identity that is one of our tickets, still valid, for a suite
/// with the same hash.
pub(super) struct PskCandidate {
    pub(super) index: usize,
    pub(super) session: ServerSession,
    /// The client's view of the ticket's age, de-obfuscated (§4.2.11).
    pub(super) client_age_ms: u32,
    pub(super) ticket: Vec<u8>,
}

/// Identities beyond this many are not even tried: each costs a decryption.
const MAX_PSK_IDENTITIES_TRIED: usize = 8;

// A `Choice` lives on the stack for one ClientHello: boxing it cost an allocation per
// handshake.
#[allow(clippy::large_enum_variant)]
pub(super) enum Negotiated {
    Full(Choice),
    Retry(Retry),
}

pub(super) fn negotiate(
    config: &ServerConfig,
    ch: &ClientHelloRef<'_>,
    retry: Option<&Retry>,
) -> Result<Negotiated, Error> {
    let ext = &ch.extensions;
    check_version(ch)?;
    // §4.1.2: TLS 1.3 ClientHellos carry exactly the null compression method.
    if ch.compression_methods != [0] {
        return Err(Error::IllegalParameter(
            "TLS 1.3 ClientHello must offer only null compression",
        ));
    }
    let suite = choose_suite(config, ch)?;
    // §9.2: without a PSK, a ClientHello must carry these.
    let groups = ext
        .supported_groups
        .ok_or(Error::MissingExtension("supported_groups"))?;
    let shares = ext.key_shares.ok_or(Error::MissingExtension("key_share"))?;
    let psk = choose_psk(config, ch, suite);
    // §9.2: without a PSK, signature_algorithms is mandatory.
    let schemes = match (ext.signature_algorithms, &psk) {
        (Some(s), _) => Some(s),
        (None, Some(_)) => None,
        (None, None) => return Err(Error::MissingExtension("signature_algorithms")),
    };

    // §4.2.8: each share only for a group the client lists (the parser rejected a group
    // shared twice).
    for share in shares.iter() {
        if !groups.contains(share.group) {
            return Err(Error::IllegalParameter(
                "key share for a group missing from supported_groups",
            ));
        }
    }

    if let Some(retry) = retry {
        check_second_hello(ch, retry, suite)?;
    }

    let mutual = config
        .groups
        .iter()
        .copied()
        .find(|g| groups.iter().any(|c| c.0 == g.id));
    let Some(best) = mutual else {
        return Err(Error::NoCommonGroup {
            offered: groups.iter().map(|g| format!("{g:?}")).collect(),
        });
    };
    let with_share = config
        .groups
        .iter()
        .copied()
        .find(|g| shares.iter().any(|s| s.group.0 == g.id));
    let group = match with_share {
        Some(g) if config.prefer_existing_key_share || g.id == best.id => g,
        _ if retry.is_some() => {
            return Err(Error::IllegalParameter(
                "second ClientHello lacks a share for the group we asked for",
            ))
        }
        _ => {
            let mut cookie = vec![0u8; 32];
            crypto::random_bytes(&mut cookie)?;
            return Ok(Negotiated::Retry(Retry {
                suite,
                group: best,
                cookie,
            }));
        }
    };
    let client_share = shares
        .iter()
        .position(|s| s.group.0 == group.id)
        .ok_or(Error::Internal("chosen share vanished"))?;

    let certificate = choose_certificate(config, ext.server_name, schemes);
    let alpn = choose_alpn(config, ch)?;
    Ok(Negotiated::Full(Choice {
        suite,
        group,
        client_share,
        certificate,
        alpn,
        psk,
    }))
}

fn choose_certificate(
    config: &ServerConfig,
    sni: Option<&str>,
    schemes: Option<U16List<'_, SignatureScheme>>,
) -> Result<(Arc<CertifiedKey>, SignatureScheme), Error> {
    let certified_key = config
        .cert_resolver
        .resolve(sni)
        .ok_or_else(|| Error::NoCertificate {
            server_name: sni.map(str::to_string),
        })?;
    // `SigningKey::choose_scheme` without collecting the offer: our preference first.
    let scheme = (certified_key.key.schemes().iter().copied())
        .find(|ours| schemes.is_some_and(|s| s.iter().any(|offered| offered.0 == *ours)))
        .map(SignatureScheme)
        .ok_or(Error::NoCommonSignatureScheme)?;
    Ok((certified_key, scheme))
}

fn choose_psk(
    config: &ServerConfig,
    ch: &ClientHelloRef<'_>,
    suite: &'static CipherSuite,
) -> Option<PskCandidate> {
    let ext = &ch.extensions;
    let issuer = config.ticket_issuer.as_ref()?;
    let offered = ext.pre_shared_key?;
    // §4.2.9: we resume only with (EC)DHE, so the client must allow psk_dhe_ke.
    if !ext
        .psk_modes
        .is_some_and(|m| m.contains(PskKeyExchangeMode::PSK_DHE_KE))
    {
        return None;
    }
    let now = unix_now_ms();
    let client_auth_required = config
        .client_verifier
        .as_ref()
        .is_some_and(|v| v.client_auth_mandatory());
    offered
        .identities()
        .take(MAX_PSK_IDENTITIES_TRIED)
        .enumerate()
        .find_map(|(index, id)| {
            let state = issuer.redeem(id.identity)?;
            let session = ServerSession::decode(&state).ok()?;
            let same_hash = suite_by_id(session.suite_id).is_some_and(|s| s.hash == suite.hash);
            let alive = now.saturating_sub(session.issued_ms)
                < u64::from(session.lifetime.min(MAX_TICKET_LIFETIME)) * 1000;
            let same_name = session.server_name.as_deref() == ext.server_name;
            let auth_ok = !client_auth_required || session.client_authenticated;
            (same_hash && alive && same_name && auth_ok).then(|| PskCandidate {
                index,
                client_age_ms: id.obfuscated_ticket_age.wrapping_sub(session.age_add),
                session,
                ticket: id.identity.to_vec(),
            })
        })
}

/// §4.2.1: TLS 1.3 only; a client without it learns which versions it offered.
fn check_version(ch: &ClientHelloRef<'_>) -> Result<(), Error> {
    match ch.extensions.supported_versions {
        Some(v) if v.contains(ProtocolVersion::TLS1_3) => Ok(()),
        Some(v) => Err(Error::ProtocolVersion {
            offered: v.to_vec(),
        }),
        None => Err(Error::ProtocolVersion {
            offered: vec![ch.legacy_version],
        }),
    }
}

/// Our preference order decides among the suites the client offers.
fn choose_suite(
    config: &ServerConfig,
    ch: &ClientHelloRef<'_>,
) -> Result<&'static CipherSuite, Error> {
    config
        .cipher_suites
        .iter()
        .copied()
        .find(|s| ch.cipher_suites.iter().any(|c| c.0 == s.id))
        .ok_or_else(|| Error::NoCommonCipherSuite {
            offered: ch.cipher_suites.iter().map(|c| format!("{c:?}")).collect(),
        })
}

/// §4.1.4: the second ClientHello answers our HelloRetryRequest exactly.
fn check_second_hello(
    ch: &ClientHelloRef<'_>,
    retry: &Retry,
    suite: &'static CipherSuite,
) -> Result<(), Error> {
    if suite.id != retry.suite.id {
        return Err(Error::IllegalParameter(
            "second ClientHello changes the cipher suite",
        ));
    }
    let mut shares = ch.extensions.key_shares.unwrap_or_default().iter();
    let only_share = match (shares.next(), shares.next()) {
        (Some(share), None) => Some(share),
        _ => None,
    };
    if only_share.is_none_or(|s| s.group.0 != retry.group.id) {
        return Err(Error::IllegalParameter(
            "second ClientHello must carry exactly one share, for the group we asked for",
        ));
    }
    let echoed = ch.extensions.cookie.unwrap_or_default();
    if verify_slices_are_equal(echoed, &retry.cookie).is_err() {
        return Err(Error::IllegalParameter(
            "second ClientHello does not echo our cookie",
        ));
    }
    if ch.extensions.early_data {
        return Err(Error::IllegalParameter(
            "early_data offered after HelloRetryRequest",
        ));
    }
    Ok(())
}

/// RFC 7301 §3.2: our most preferred protocol that the client offered.
fn choose_alpn(config: &ServerConfig, ch: &ClientHelloRef<'_>) -> Result<Option<Vec<u8>>, Error> {
    let Some(offered) = ch.extensions.alpn else {
        return Ok(None);
    };
    if config.alpn_protocols.is_empty() {
        return Ok(None);
    }
    match config.alpn_protocols.iter().find(|p| offered.contains(p)) {
        Some(p) => Ok(Some(p.clone())),
        None => Err(Error::NoApplicationProtocol {
            offered: offered
                .iter()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect(),
        }),
    }
}
