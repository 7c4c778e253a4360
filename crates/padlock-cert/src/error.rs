//! Errors that name the cause: each variant carries the facts a person needs to act on
//! it, renders as one plain sentence, and suggests a fix.

use std::fmt;

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

fn place(depth: usize) -> String {
    match depth {
        0 => "the end-entity certificate".to_string(),
        n => format!("the certificate at depth {n}"),
    }
}

impl fmt::Display for CertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed { what, depth } => match depth {
                Some(d) => write!(f, "{} is malformed: {what}.", capital(&place(*d))),
                None => write!(f, "The certificate data is malformed: {what}."),
            },
            Self::NoCertificates => write!(f, "The PEM input contains no certificate."),
            Self::Io { path, reason } => write!(f, "Could not read {path}: {reason}."),
            Self::NativeStore { reason } => write!(
                f,
                "Could not load the operating system's trusted roots: {reason}."
            ),
            Self::Expired {
                subject,
                depth,
                not_after,
                now,
            } => write!(
                f,
                "{} ({subject}) expired on {}, {} ago.",
                capital(&place(*depth)),
                format_time(*not_after),
                format_span(now - not_after)
            ),
            Self::NotYetValid {
                subject,
                depth,
                not_before,
                now,
            } => write!(
                f,
                "{} ({subject}) is not valid until {}, {} from now.",
                capital(&place(*depth)),
                format_time(*not_before),
                format_span(not_before - now)
            ),
            Self::SelfSignedNotTrusted { subject, depth: 0 } => write!(
                f,
                "The certificate for {subject} is self-signed and is not in the trust store."
            ),
            Self::SelfSignedNotTrusted { subject, .. } => write!(
                f,
                "The chain ends at the self-signed root {subject}, which is not in the trust store."
            ),
            Self::BadCrl { reason } => write!(f, "A supplied CRL cannot be used: {reason}."),
            Self::UnknownIssuer {
                subject,
                issuer,
                depth,
                missing_intermediate,
                ca_issuers_url,
            } => {
                if !missing_intermediate && subject == issuer {
                    // The peer sent its own root: the issuer *was* sent, it is just not trusted.
                    return write!(
                        f,
                        "{} ({subject}) is a self-signed root that is not in the trust store.",
                        capital(&place(*depth))
                    );
                }
                write!(
                    f,
                    "{} ({subject}) was issued by {issuer}, which is neither a trusted root nor among the certificates the peer sent",
                    capital(&place(*depth))
                )?;
                if *missing_intermediate {
                    write!(f, "; the peer probably left out an intermediate certificate")?;
                    if let Some(url) = ca_issuers_url {
                        write!(f, " (it is published at {url})")?;
                    }
                }
                write!(f, ".")
            }
            Self::NameMismatch {
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
            Self::WeakAlgorithm {
                subject,
                depth,
                what,
            } => write!(
                f,
                "{} ({subject}) uses {what}, which is too weak to trust.",
                capital(&place(*depth))
            ),
            Self::UnsupportedAlgorithm {
                subject,
                depth,
                what,
            } => write!(
                f,
                "{} ({subject}) uses {what}, which padlock does not support.",
                capital(&place(*depth))
            ),
            Self::BadSignature {
                subject,
                issuer,
                depth,
            } => write!(
                f,
                "The signature on {} ({subject}) does not verify with the key of its issuer {issuer}.",
                place(*depth)
            ),
            Self::ConstraintViolated {
                constraint,
                subject,
                depth,
                detail,
            } => write!(
                f,
                "{} ({subject}) violates its {}: {detail}.",
                capital(&place(*depth)),
                constraint.describe()
            ),
            Self::PathTooLong { max_intermediates } => write!(
                f,
                "The chain to a trusted root would need more than {max_intermediates} intermediate certificates."
            ),
            Self::BudgetExhausted { signature_checks } => write!(
                f,
                "Gave up building a chain after {signature_checks} signature checks without finding a valid path."
            ),
            Self::Revoked {
                subject,
                depth,
                serial,
                revoked_at,
            } => write!(
                f,
                "{} ({subject}, serial {serial}) was revoked on {}.",
                capital(&place(*depth)),
                format_time(*revoked_at)
            ),
            Self::PinMismatch { expected, present } => write!(
                f,
                "No certificate in the chain matches the pinned keys {}; the chain has {}.",
                expected.join(", "),
                present.join(", ")
            ),
            Self::BadPin { pin } => write!(
                f,
                "The pin {pin:?} is not of the form sha256/BASE64 with a 32-byte hash."
            ),
            Self::BadCertificateVerify { scheme } => write!(
                f,
                "The peer's CertificateVerify signature ({}) does not verify with its certificate's key.",
                scheme_name(*scheme)
            ),
            Self::SchemeMismatch { scheme, key } => write!(
                f,
                "The peer signed with {}, which TLS 1.3 does not allow for a certificate with {key}.",
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
    /// A suggested fix, in one or two plain sentences.
    pub fn fix(&self) -> String {
        match self {
            Self::Malformed { .. } => "Re-issue the certificate with a standard tool; check that the file holds DER or PEM certificates and nothing else.".into(),
            Self::NoCertificates => "Check that the file holds -----BEGIN CERTIFICATE----- blocks.".into(),
            Self::Io { path, .. } => format!("Check that {path} exists and is readable."),
            Self::NativeStore { .. } => "Use RootStore::mozilla() or add the roots from a PEM file instead.".into(),
            Self::Expired { depth: 0, .. } => "Renew the server's certificate (or check that this machine's clock is right).".into(),
            Self::Expired { .. } => "Install the CA's current intermediate certificate on the server, or update the trust store (or check this machine's clock).".into(),
            Self::NotYetValid { .. } => "Check this machine's clock; if it is right, wait until the certificate becomes valid or re-issue it.".into(),
            Self::SelfSignedNotTrusted { depth: 0, .. } => "Use a certificate from a public CA, or add this certificate to the trust store if you trust it (RootStore::add_pem_file).".into(),
            Self::SelfSignedNotTrusted { subject, .. } => format!("Add {subject} to the trust store if you trust it (RootStore::add_pem_file), or use a certificate from a public CA."),
            Self::BadCrl { .. } => "Supply the issuing CA's current CRL, as published by the CA.".into(),
            Self::UnknownIssuer { missing_intermediate: true, ca_issuers_url: Some(url), .. } => format!("Configure the server to send its full chain; the missing intermediate is at {url}."),
            Self::UnknownIssuer { missing_intermediate: true, .. } => "Configure the server to send its full chain (leaf followed by intermediates), or add the issuing CA to the trust store.".into(),
            Self::UnknownIssuer { issuer, .. } => format!("Add the root {issuer} to the trust store if you trust it, or use a certificate from a public CA."),
            Self::NameMismatch { expected, .. } => format!("Connect using a name the certificate covers, or re-issue it with {expected} in subjectAltName."),
            Self::WeakAlgorithm { .. } => "Re-issue the certificate with SHA-256 or better and an RSA key of at least 2048 bits (or ECDSA P-256).".into(),
            Self::UnsupportedAlgorithm { .. } => "Re-issue the certificate with ECDSA P-256/P-384, RSA (2048+ bits) or Ed25519.".into(),
            Self::BadSignature { .. } => "The chain has been altered or mixes up certificates; configure the server with the issuer that actually signed its certificate.".into(),
            Self::ConstraintViolated { constraint: Constraint::ExtendedKeyUsage, .. } => "Re-issue the certificate with the serverAuth (or clientAuth) extended key usage.".into(),
            Self::ConstraintViolated { constraint: Constraint::NameConstraints, .. } => "The issuing CA may not certify this name; get the certificate from a CA allowed to issue for it.".into(),
            Self::ConstraintViolated { constraint: Constraint::CaAsEndEntity, .. } => "Issue the server its own end-entity certificate (basicConstraints CA:FALSE); with `openssl req -x509` add `-addext basicConstraints=critical,CA:FALSE`.".into(),
            Self::ConstraintViolated { .. } => "Re-issue the certificate (or chain) so that it follows RFC 5280; the CA's tooling produced an invalid certificate.".into(),
            Self::PathTooLong { .. } => "Send a shorter chain, or raise VerifyOptions::max_intermediates.".into(),
            Self::BudgetExhausted { .. } => "Send only the certificates of one chain; the peer sent many candidates that do not lead to a trusted root.".into(),
            Self::Revoked { .. } => "The certificate was withdrawn by its CA: replace it with a new one.".into(),
            Self::PinMismatch { present, .. } => match present.first() {
                Some(p) => format!("If the key change is expected, update the pin (the end-entity key is {p})."),
                None => "Update the configured pins.".into(),
            },
            Self::BadPin { .. } => "Write pins as sha256/ followed by the base64 SHA-256 of the SubjectPublicKeyInfo.".into(),
            Self::BadCertificateVerify { .. } => "The peer does not hold the private key of its certificate, or its signing is broken.".into(),
            Self::SchemeMismatch { .. } => "Configure the peer to sign with a TLS 1.3 scheme that matches its key type.".into(),
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
