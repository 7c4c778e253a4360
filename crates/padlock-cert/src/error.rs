//! Errors that name the cause: each variant carries the facts a person needs to act on
//! it, renders as one plain sentence, and suggests a fix.

use std::fmt;

use crate::verify::Usage;

/// Which rule a certificate broke, for [`CertError::ConstraintViolated`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Constraint {
    /// RFC 5280 §4.2.1.9: an issuer must say `cA: TRUE` in basicConstraints.
    NotCa,
    /// RFC 5280 §4.2.1.9: pathLenConstraint limits the CAs below an issuer.
    PathLength,
    /// RFC 5280 §4.2.1.3: keyUsage must allow what the certificate is used for.
    KeyUsage,
    /// RFC 5280 §4.2.1.12: extendedKeyUsage must allow serverAuth or clientAuth.
    ExtendedKeyUsage,
    /// RFC 5280 §4.2.1.10: a name is outside what an issuer may certify.
    NameConstraints,
    /// RFC 5280 §4.2: a critical extension this validator does not understand.
    UnknownCriticalExtension,
    /// RFC 5280 §4.2.1.14 / §6.1: the certificate policy tree came out empty.
    Policy,
    /// A CA certificate presented as the end entity.
    CaAsEndEntity,
    /// A structural rule of RFC 5280 §4.1 (version, serial, duplicate extensions...).
    Encoding,
}

impl Constraint {
    fn describe(self) -> &'static str {
        match self {
            Self::NotCa => "basic constraints (it is not a CA certificate)",
            Self::PathLength => "path length constraint",
            Self::KeyUsage => "key usage",
            Self::ExtendedKeyUsage => "extended key usage",
            Self::NameConstraints => "name constraints",
            Self::UnknownCriticalExtension => "critical extension handling",
            Self::Policy => "certificate policies",
            Self::CaAsEndEntity => "end-entity rules",
            Self::Encoding => "certificate structure rules",
        }
    }
}

/// Why a certificate, a chain, a trust store input or a signature was rejected.
///
/// `depth` counts from the end-entity certificate (0) toward the root.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertError {
    /// The bytes are not a well-formed X.509 certificate (or CRL, or key).
    Malformed {
        /// What could not be read.
        what: String,
        /// Position in the presented chain, when known.
        depth: Option<usize>,
    },
    /// PEM input held no certificate at all.
    NoCertificates,
    /// A trust store file could not be read.
    Io {
        /// The file.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// The operating system's trust store could not be loaded.
    NativeStore {
        /// The loader's reason.
        reason: String,
    },
    /// A certificate's notAfter lies before the validation time.
    Expired {
        /// The certificate's subject.
        subject: String,
        /// Position in the chain.
        depth: usize,
        /// notAfter, seconds since the Unix epoch.
        not_after: i64,
        /// The validation time, seconds since the Unix epoch.
        now: i64,
    },
    /// A certificate's notBefore lies after the validation time.
    NotYetValid {
        /// The certificate's subject.
        subject: String,
        /// Position in the chain.
        depth: usize,
        /// notBefore, seconds since the Unix epoch.
        not_before: i64,
        /// The validation time, seconds since the Unix epoch.
        now: i64,
    },
    /// The chain ends in a self-signed certificate (the end entity itself, or a root the
    /// peer sent) that is not in the trust store.
    SelfSignedNotTrusted {
        /// Its subject.
        subject: String,
        /// Position in the chain (0: the end entity signs itself).
        depth: usize,
    },
    /// A supplied CRL cannot be used (RFC 5280 §5).
    BadCrl {
        /// Why.
        reason: String,
    },
    /// No trusted root or presented intermediate issued this certificate.
    UnknownIssuer {
        /// The certificate whose issuer is missing.
        subject: String,
        /// The issuer name that could not be found.
        issuer: String,
        /// Position in the chain of the certificate whose issuer is missing.
        depth: usize,
        /// True when the issuer looks like an intermediate the peer should have sent.
        missing_intermediate: bool,
        /// The certificate's AIA caIssuers URL (RFC 5280 §4.2.2.1), where the issuer can be fetched.
        ca_issuers_url: Option<String>,
    },
    /// The certificate does not cover the name that was asked for (RFC 9525 §6).
    NameMismatch {
        /// The name that was asked for.
        expected: String,
        /// The DNS names and IP addresses the certificate's subjectAltName covers.
        covered: Vec<String>,
        /// The subject common name, which RFC 9525 §6.2.1 says not to use, for the hint.
        common_name: Option<String>,
    },
    /// A signature algorithm or key too weak to trust (SHA-1, MD5, RSA below 2048 bits).
    WeakAlgorithm {
        /// The certificate that carries it.
        subject: String,
        /// Position in the chain.
        depth: usize,
        /// What is weak, e.g. "SHA-1" or "a 1024-bit RSA key".
        what: String,
    },
    /// A signature algorithm, key type or curve this validator does not support.
    UnsupportedAlgorithm {
        /// The certificate that carries it.
        subject: String,
        /// Position in the chain.
        depth: usize,
        /// The algorithm.
        what: String,
    },
    /// A certificate's signature does not verify with its issuer's key.
    BadSignature {
        /// The signed certificate.
        subject: String,
        /// The issuer whose key was tried.
        issuer: String,
        /// Position in the chain of the signed certificate.
        depth: usize,
    },
    /// A certificate breaks a rule of RFC 5280 or of the CA/Browser Forum.
    ConstraintViolated {
        /// Which rule.
        constraint: Constraint,
        /// The certificate that breaks it.
        subject: String,
        /// Position in the chain.
        depth: usize,
        /// The specifics.
        detail: String,
    },
    /// The chain would need more certificates than allowed.
    PathTooLong {
        /// The allowed number of intermediates.
        max_intermediates: usize,
    },
    /// Path building gave up before trying every candidate, to bound CPU use.
    BudgetExhausted {
        /// The signature checks spent.
        signature_checks: usize,
    },
    /// A supplied CRL lists the certificate as revoked.
    Revoked {
        /// The revoked certificate's subject.
        subject: String,
        /// Position in the chain.
        depth: usize,
        /// Its serial number, hex.
        serial: String,
        /// When it was revoked, seconds since the Unix epoch.
        revoked_at: i64,
    },
    /// None of the chain's public keys matches a configured SPKI pin.
    PinMismatch {
        /// The configured pins.
        expected: Vec<String>,
        /// The pins of the validated chain, leaf first.
        present: Vec<String>,
    },
    /// A pin string is not `sha256/BASE64` of 32 bytes.
    BadPin {
        /// The offending input.
        pin: String,
    },
    /// The TLS 1.3 CertificateVerify signature does not verify (RFC 8446 §4.4.3).
    BadCertificateVerify {
        /// The SignatureScheme codepoint.
        scheme: u16,
    },
    /// The signature scheme is not allowed in TLS 1.3 CertificateVerify, or does not fit
    /// the certificate's key (RFC 8446 §4.4.3).
    SchemeMismatch {
        /// The SignatureScheme codepoint.
        scheme: u16,
        /// The end-entity key, e.g. "an ECDSA P-384 key".
        key: String,
    },
}

/// Renders seconds since the Unix epoch as `YYYY-MM-DD HH:MM:SS UTC`.
pub(crate) fn format_time(unix: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(unix) {
        Ok(t) => format!(
            "{} {:02}:{:02}:{:02} UTC",
            t.date(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => format!("{unix} seconds after 1970"),
    }
}

/// Renders a span of seconds the way a person says it: "3 days", "2 hours", "5 years".
pub(crate) fn format_span(secs: i64) -> String {
    let secs = secs.unsigned_abs();
    let (n, unit) = match secs {
        s if s < 120 => (s, "second"),
        s if s < 2 * 3600 => (s / 60, "minute"),
        s if s < 2 * 86_400 => (s / 3600, "hour"),
        s if s < 2 * 365 * 86_400 => (s / 86_400, "day"),
        s => (s / (365 * 86_400), "year"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// Which certificate of the chain, in words. A server's certificate keeps the neutral
/// wording padlock-cert uses for any chain; a client's says whose it is, since the person
/// reading it (a server's operator) might otherwise look at their own certificate.
fn place(depth: usize, usage: Usage) -> String {
    match (depth, usage) {
        (0, Usage::ServerAuth) => "the end-entity certificate".to_string(),
        (0, Usage::ClientAuth) => "the client's certificate".to_string(),
        (n, Usage::ServerAuth) => format!("the certificate at depth {n}"),
        (n, Usage::ClientAuth) => format!("the certificate at depth {n} of the client's chain"),
    }
}

/// Who sent the chain, in words.
fn sender(usage: Usage) -> &'static str {
    match usage {
        Usage::ServerAuth => "the peer",
        Usage::ClientAuth => "the client",
    }
}

/// Who signs a CertificateVerify with a certificate judged for `usage` (RFC 8446 §4.4.3):
/// the chain is the peer's, and its role is known.
fn signer(usage: Usage) -> &'static str {
    match usage {
        Usage::ServerAuth => "server",
        Usage::ClientAuth => "client",
    }
}

/// A [`CertError`]'s sentence for a certificate judged for `usage`.
pub(crate) struct Described<'a> {
    error: &'a CertError,
    usage: Usage,
}

/// The sentence for a server's certificate (and for chains judged for no peer in
/// particular); [`CertError::sentence_for`] words it for a client's.
impl fmt::Display for CertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.describe(Usage::ServerAuth), f)
    }
}

impl fmt::Display for Described<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let usage = self.usage;
        match self.error {
            CertError::Malformed { what, depth } => match depth {
                Some(d) => write!(f, "{} is malformed: {what}.", capital(&place(*d, usage))),
                None => write!(f, "The certificate data is malformed: {what}."),
            },
            CertError::NoCertificates => write!(f, "The PEM input contains no certificate."),
            CertError::Io { path, reason } => write!(f, "Could not read {path}: {reason}."),
            CertError::NativeStore { reason } => write!(
                f,
                "Could not load the operating system's trusted roots: {reason}."
            ),
            CertError::Expired {
                subject,
                depth,
                not_after,
                now,
            } => write!(
                f,
                "{} ({subject}) expired on {}, {} ago.",
                capital(&place(*depth, usage)),
                format_time(*not_after),
                format_span(now - not_after)
            ),
            CertError::NotYetValid {
                subject,
                depth,
                not_before,
                now,
            } => write!(
                f,
                "{} ({subject}) is not valid until {}, {} from now.",
                capital(&place(*depth, usage)),
                format_time(*not_before),
                format_span(not_before - now)
            ),
            CertError::SelfSignedNotTrusted { subject, depth: 0 } => match usage {
                Usage::ServerAuth => write!(
                    f,
                    "The certificate for {subject} is self-signed and is not in the trust store."
                ),
                Usage::ClientAuth => write!(
                    f,
                    "The client's certificate ({subject}) is self-signed and is not in the trust store."
                ),
            },
            CertError::SelfSignedNotTrusted { subject, .. } => write!(
                f,
                "{} ends at the self-signed root {subject}, which is not in the trust store.",
                match usage {
                    Usage::ServerAuth => "The chain",
                    Usage::ClientAuth => "The client's chain",
                }
            ),
            CertError::BadCrl { reason } => write!(f, "A supplied CRL cannot be used: {reason}."),
            CertError::UnknownIssuer {
                subject,
                issuer,
                depth,
                missing_intermediate,
                ca_issuers_url,
            } => {
                write!(
                    f,
                    "{} ({subject}) was issued by {issuer}, which is neither a trusted root nor among the certificates {} sent",
                    capital(&place(*depth, usage)),
                    sender(usage)
                )?;
                if *missing_intermediate {
                    write!(
                        f,
                        "; {} probably left out an intermediate certificate",
                        sender(usage)
                    )?;
                    if let Some(url) = ca_issuers_url {
                        write!(f, " (it is published at {url})")?;
                    }
                }
                write!(f, ".")
            }
            CertError::NameMismatch {
                expected,
                covered,
                common_name,
            } => {
                if covered.is_empty() {
                    write!(
                        f,
                        "The certificate is not valid for {expected}: it lists no DNS names or IP addresses in subjectAltName"
                    )?;
                    if let Some(cn) = common_name {
                        write!(
                            f,
                            " (its common name {cn} is not used for name checks, RFC 9525)"
                        )?;
                    }
                    write!(f, ".")
                } else {
                    write!(
                        f,
                        "The certificate is not valid for {expected}; it covers only {}.",
                        covered.join(", ")
                    )
                }
            }
            CertError::WeakAlgorithm {
                subject,
                depth,
                what,
            } => write!(
                f,
                "{} ({subject}) uses {what}, which is too weak to trust.",
                capital(&place(*depth, usage))
            ),
            CertError::UnsupportedAlgorithm {
                subject,
                depth,
                what,
            } => write!(
                f,
                "{} ({subject}) uses {what}, which padlock does not support.",
                capital(&place(*depth, usage))
            ),
            CertError::BadSignature {
                subject,
                issuer,
                depth,
            } => write!(
                f,
                "The signature on {} ({subject}) does not verify with the key of its issuer {issuer}.",
                place(*depth, usage)
            ),
            CertError::ConstraintViolated {
                constraint,
                subject,
                depth,
                detail,
            } => write!(
                f,
                "{} ({subject}) violates its {}: {detail}.",
                capital(&place(*depth, usage)),
                constraint.describe()
            ),
            CertError::PathTooLong { max_intermediates } => write!(
                f,
                "The chain to a trusted root would need more than {max_intermediates} intermediate certificates."
            ),
            CertError::BudgetExhausted { signature_checks } => write!(
                f,
                "Gave up building a chain after {signature_checks} signature checks without finding a valid path."
            ),
            CertError::Revoked {
                subject,
                depth,
                serial,
                revoked_at,
            } => write!(
                f,
                "{} ({subject}, serial {serial}) was revoked on {}.",
                capital(&place(*depth, usage)),
                format_time(*revoked_at)
            ),
            CertError::PinMismatch { expected, present } => write!(
                f,
                "No certificate in {} matches the pinned keys {}; the chain has {}.",
                match usage {
                    Usage::ServerAuth => "the chain",
                    Usage::ClientAuth => "the client's chain",
                },
                expected.join(", "),
                present.join(", ")
            ),
            CertError::BadPin { pin } => write!(
                f,
                "The pin {pin:?} is not of the form sha256/BASE64 with a 32-byte hash."
            ),
            CertError::BadCertificateVerify { scheme } => write!(
                f,
                "The {}'s CertificateVerify signature ({}) does not verify with its certificate's key.",
                signer(usage),
                scheme_name(*scheme)
            ),
            CertError::SchemeMismatch { scheme, key } => write!(
                f,
                "The {} signed with {}, which TLS 1.3 does not allow for a certificate with {key}.",
                signer(usage),
                scheme_name(*scheme)
            ),
        }
    }
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The IANA name of a TLS SignatureScheme (RFC 8446 §4.2.3), for messages.
pub(crate) fn scheme_name(scheme: u16) -> String {
    let name = match scheme {
        0x0401 => "rsa_pkcs1_sha256",
        0x0501 => "rsa_pkcs1_sha384",
        0x0601 => "rsa_pkcs1_sha512",
        0x0403 => "ecdsa_secp256r1_sha256",
        0x0503 => "ecdsa_secp384r1_sha384",
        0x0603 => "ecdsa_secp521r1_sha512",
        0x0804 => "rsa_pss_rsae_sha256",
        0x0805 => "rsa_pss_rsae_sha384",
        0x0806 => "rsa_pss_rsae_sha512",
        0x0807 => "ed25519",
        0x0808 => "ed448",
        0x0809 => "rsa_pss_pss_sha256",
        0x080a => "rsa_pss_pss_sha384",
        0x080b => "rsa_pss_pss_sha512",
        0x0201 => "rsa_pkcs1_sha1",
        0x0203 => "ecdsa_sha1",
        _ => return format!("signature scheme 0x{scheme:04x}"),
    };
    name.to_string()
}

impl std::error::Error for CertError {}

impl CertError {
    /// The same error about a certificate at another position in the chain (anchor
    /// verdicts are worked out once, at depth 0, and placed when a path uses them).
    pub(crate) fn at_depth(mut self, d: usize) -> Self {
        match &mut self {
            Self::Expired { depth, .. }
            | Self::NotYetValid { depth, .. }
            | Self::UnknownIssuer { depth, .. }
            | Self::WeakAlgorithm { depth, .. }
            | Self::UnsupportedAlgorithm { depth, .. }
            | Self::BadSignature { depth, .. }
            | Self::ConstraintViolated { depth, .. }
            | Self::Revoked { depth, .. }
            | Self::SelfSignedNotTrusted { depth, .. } => *depth = d,
            Self::Malformed { depth, .. } => *depth = Some(d),
            _ => {}
        }
        self
    }
}

impl CertError {
    /// The one plain sentence for a certificate judged for `usage`: a client's certificate
    /// is called the client's (`The client's certificate (CN=...) expired on ...`); a
    /// server's reads as [`CertError`]'s `Display`.
    pub fn sentence_for(&self, usage: Usage) -> String {
        self.describe(usage).to_string()
    }

    pub(crate) fn describe(&self, usage: Usage) -> Described<'_> {
        Described { error: self, usage }
    }

    /// A suggested fix, in one or two plain sentences, for a server's certificate (and for
    /// chains judged for no peer in particular); see [`CertError::fix_for`].
    pub fn fix(&self) -> String {
        self.fix_for(Usage::ServerAuth)
    }

    /// A suggested fix for a certificate judged for `usage`: for a client's certificate it
    /// says what to do on the client (renew its certificate, send its chain) or in the
    /// server's client CAs, not in "the server".
    pub fn fix_for(&self, usage: Usage) -> String {
        let client = usage == Usage::ClientAuth;
        // "the certificate" of the fixes that hold for any end entity, made specific.
        let cert = if client {
            "client certificate"
        } else {
            "certificate"
        };
        let holder = if client { "client" } else { "server" };
        match self {
            Self::Malformed { .. } => "Re-issue the certificate with a standard tool; check that the file holds DER or PEM certificates and nothing else.".into(),
            Self::NoCertificates => "Check that the file holds -----BEGIN CERTIFICATE----- blocks.".into(),
            Self::Io { path, .. } => format!("Check that {path} exists and is readable."),
            Self::NativeStore { .. } => "Use RootStore::mozilla() or add the roots from a PEM file instead.".into(),
            Self::Expired { depth: 0, .. } => format!("Renew the {cert} (or check that this machine's clock is right)."),
            Self::Expired { .. } if client => "Give the client the CA's current intermediate certificate to send, or update the server's client CAs (or check this machine's clock).".into(),
            Self::Expired { .. } => "Install the CA's current intermediate certificate on the server, or update the trust store (or check this machine's clock).".into(),
            Self::NotYetValid { .. } => format!("Check this machine's clock; if it is right, wait until the {cert} becomes valid or re-issue it."),
            Self::SelfSignedNotTrusted { depth: 0, .. } if client => "Issue the client a certificate from a CA the server trusts, or add this certificate to the server's client CAs if you trust it (RootStore::add_pem_file).".into(),
            Self::SelfSignedNotTrusted { depth: 0, .. } => "Use a certificate from a public CA, or add this certificate to the trust store if you trust it (RootStore::add_pem_file).".into(),
            Self::SelfSignedNotTrusted { subject, .. } if client => format!("Add {subject} to the server's client CAs if you trust it (RootStore::add_pem_file), or issue the client a certificate from a CA the server trusts."),
            Self::SelfSignedNotTrusted { subject, .. } => format!("Add {subject} to the trust store if you trust it (RootStore::add_pem_file), or use a certificate from a public CA."),
            Self::BadCrl { .. } => "Supply the issuing CA's current CRL, as published by the CA.".into(),
            Self::UnknownIssuer { missing_intermediate: true, ca_issuers_url: Some(url), .. } => format!("Configure the {holder} to send its full chain; the missing intermediate is at {url}."),
            Self::UnknownIssuer { missing_intermediate: true, .. } if client => "Configure the client to send its full chain (leaf followed by intermediates), or add the issuing CA to the server's client CAs.".into(),
            Self::UnknownIssuer { missing_intermediate: true, .. } => "Configure the server to send its full chain (leaf followed by intermediates), or add the issuing CA to the trust store.".into(),
            Self::UnknownIssuer { issuer, .. } if client => format!("Add the root {issuer} to the server's client CAs if you trust it, or issue the client a certificate from a CA the server trusts."),
            Self::UnknownIssuer { issuer, .. } => format!("Add the root {issuer} to the trust store if you trust it, or use a certificate from a public CA."),
            Self::NameMismatch { expected, .. } => format!("Connect using a name the certificate covers, or re-issue it with {expected} in subjectAltName."),
            Self::WeakAlgorithm { .. } => format!("Re-issue the {cert} with SHA-256 or better and an RSA key of at least 2048 bits (or ECDSA P-256)."),
            Self::UnsupportedAlgorithm { .. } => format!("Re-issue the {cert} with ECDSA P-256/P-384, RSA (2048+ bits) or Ed25519."),
            Self::BadSignature { .. } => format!("The chain has been altered or mixes up certificates; configure the {holder} with the issuer that actually signed its certificate."),
            Self::ConstraintViolated { constraint: Constraint::ExtendedKeyUsage, .. } if client => "Re-issue the client certificate with the clientAuth extended key usage.".into(),
            Self::ConstraintViolated { constraint: Constraint::ExtendedKeyUsage, .. } => "Re-issue the certificate with the serverAuth (or clientAuth) extended key usage.".into(),
            Self::ConstraintViolated { constraint: Constraint::NameConstraints, .. } => "The issuing CA may not certify this name; get the certificate from a CA allowed to issue for it.".into(),
            Self::ConstraintViolated { constraint: Constraint::CaAsEndEntity, .. } => format!("Issue the {holder} its own end-entity certificate (basicConstraints CA:FALSE); with `openssl req -x509` add `-addext basicConstraints=critical,CA:FALSE`."),
            Self::ConstraintViolated { .. } => "Re-issue the certificate (or chain) so that it follows RFC 5280; the CA's tooling produced an invalid certificate.".into(),
            Self::PathTooLong { .. } => "Send a shorter chain, or raise VerifyOptions::max_intermediates.".into(),
            Self::BudgetExhausted { .. } => format!("Send only the certificates of one chain; the {} sent many candidates that do not lead to a trusted root.", if client { "client" } else { "peer" }),
            Self::Revoked { .. } if client => "The client certificate was withdrawn by its CA: issue the client a new one.".into(),
            Self::Revoked { .. } => "The certificate was withdrawn by its CA: replace it with a new one.".into(),
            Self::PinMismatch { present, .. } => match (present.first(), client) {
                (Some(p), false) => format!("If the key change is expected, update the pin (the end-entity key is {p})."),
                (Some(p), true) => format!("If the client's key change is expected, update the pin (the client certificate's key is {p})."),
                (None, _) => "Update the configured pins.".into(),
            },
            Self::BadPin { .. } => "Write pins as sha256/ followed by the base64 SHA-256 of the SubjectPublicKeyInfo.".into(),
            Self::BadCertificateVerify { .. } => format!("The {holder} does not hold the private key of its certificate, or its signing is broken: check that the {holder}'s key file belongs to its certificate."),
            Self::SchemeMismatch { .. } => format!("Configure the {holder} to sign with a TLS 1.3 scheme that matches its key type."),
        }
    }

    /// The RFC 8446 §6 alert to send for this error.
    pub fn tls_alert(&self) -> u8 {
        const BAD_CERTIFICATE: u8 = 42;
        const UNSUPPORTED_CERTIFICATE: u8 = 43;
        const CERTIFICATE_REVOKED: u8 = 44;
        const CERTIFICATE_EXPIRED: u8 = 45;
        const CERTIFICATE_UNKNOWN: u8 = 46;
        const ILLEGAL_PARAMETER: u8 = 47;
        const UNKNOWN_CA: u8 = 48;
        const DECRYPT_ERROR: u8 = 51;
        match self {
            Self::Malformed { .. }
            | Self::BadSignature { .. }
            | Self::NameMismatch { .. }
            | Self::ConstraintViolated { .. } => BAD_CERTIFICATE,
            Self::WeakAlgorithm { .. } | Self::UnsupportedAlgorithm { .. } => {
                UNSUPPORTED_CERTIFICATE
            }
            Self::Revoked { .. } => CERTIFICATE_REVOKED,
            Self::Expired { .. } | Self::NotYetValid { .. } => CERTIFICATE_EXPIRED,
            Self::SelfSignedNotTrusted { .. } | Self::UnknownIssuer { .. } => UNKNOWN_CA,
            Self::BadCertificateVerify { .. } => DECRYPT_ERROR,
            Self::SchemeMismatch { .. } => ILLEGAL_PARAMETER,
            Self::NoCertificates
            | Self::Io { .. }
            | Self::NativeStore { .. }
            | Self::PathTooLong { .. }
            | Self::BudgetExhausted { .. }
            | Self::PinMismatch { .. }
            | Self::BadPin { .. }
            | Self::BadCrl { .. } => CERTIFICATE_UNKNOWN,
        }
    }
}

#[cfg(test)]
mod role_tests {
    use super::*;

    fn expired() -> CertError {
        CertError::Expired {
            subject: "CN=alice".into(),
            depth: 0,
            not_after: 1_700_000_000,
            now: 1_700_000_000 + 3 * 86_400,
        }
    }

    #[test]
    fn a_servers_certificate_reads_as_before() {
        let e = expired();
        assert_eq!(e.sentence_for(Usage::ServerAuth), e.to_string());
        assert_eq!(e.fix_for(Usage::ServerAuth), e.fix());
        assert_eq!(
            e.to_string(),
            "The end-entity certificate (CN=alice) expired on 2023-11-14 22:13:20 UTC, 3 days ago."
        );
    }

    #[test]
    fn a_clients_certificate_is_called_the_clients() {
        let unknown = CertError::UnknownIssuer {
            subject: "CN=alice".into(),
            issuer: "CN=Other CA".into(),
            depth: 0,
            missing_intermediate: true,
            ca_issuers_url: None,
        };
        let pins = CertError::PinMismatch {
            expected: vec!["sha256/AAAA".into()],
            present: vec!["sha256/BBBB".into()],
        };
        let cases = [
            (
                expired(),
                "The client's certificate (CN=alice) expired on 2023-11-14 22:13:20 UTC, 3 days ago.",
                "Renew the client certificate (or check that this machine's clock is right).",
            ),
            (
                unknown,
                "The client's certificate (CN=alice) was issued by CN=Other CA, which is neither a trusted root nor among the certificates the client sent; the client probably left out an intermediate certificate.",
                "Configure the client to send its full chain (leaf followed by intermediates), or add the issuing CA to the server's client CAs.",
            ),
            (
                pins,
                "No certificate in the client's chain matches the pinned keys sha256/AAAA; the chain has sha256/BBBB.",
                "If the client's key change is expected, update the pin (the client certificate's key is sha256/BBBB).",
            ),
        ];
        for (e, sentence, fix) in cases {
            assert_eq!(e.sentence_for(Usage::ClientAuth), sentence);
            assert_eq!(e.fix_for(Usage::ClientAuth), fix);
        }
    }

    #[test]
    fn no_client_fix_sends_the_reader_to_the_server() {
        let samples = [
            expired(),
            expired().at_depth(1),
            CertError::SelfSignedNotTrusted {
                subject: "CN=alice".into(),
                depth: 0,
            },
            CertError::UnknownIssuer {
                subject: "CN=alice".into(),
                issuer: "CN=CA".into(),
                depth: 0,
                missing_intermediate: true,
                ca_issuers_url: Some("http://ca.test/i.der".into()),
            },
            CertError::BadSignature {
                subject: "CN=alice".into(),
                issuer: "CN=CA".into(),
                depth: 0,
            },
            CertError::ConstraintViolated {
                constraint: Constraint::CaAsEndEntity,
                subject: "CN=alice".into(),
                depth: 0,
                detail: "it is a CA".into(),
            },
            CertError::Revoked {
                subject: "CN=alice".into(),
                depth: 0,
                serial: "01".into(),
                revoked_at: 0,
            },
        ];
        for e in samples {
            let fix = e.fix_for(Usage::ClientAuth);
            assert!(
                !fix.contains("server to") && !fix.contains("on the server"),
                "{fix}"
            );
            assert!(!fix.contains("the server its"), "{fix}");
            assert!(!fix.contains("configure the server"), "{fix}");
        }
    }
}
