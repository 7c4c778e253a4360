//! Per-certificate rules: the RFC 5280 §4 profile and what the CA/Browser Forum Baseline
//! Requirements add for TLS, checked by the role the certificate plays in the path.

use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::x509::X509Version;

use crate::cert::{common_name_str, Cert};
use crate::error::{CertError, Constraint};
use crate::name::{ip_from_bytes, is_dns_name};
use crate::sig::{key_kind, KeyKind, SigFailure};
use crate::verify::Usage;

/// The part a certificate plays in a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    EndEntity,
    Intermediate,
    /// A trust anchor that came with its certificate, added by the caller: held to the
    /// CA/Browser Forum root profile.
    Anchor,
    /// A trust anchor as a root program (the OS store, a Mozilla bundle) ships it: the
    /// profile's bookkeeping rules (AKI contents, SKI presence, basicConstraints
    /// criticality) are waived, since long-lived public roots predate them; validity,
    /// CA status, key usage, keys and critical extensions still count.
    ProgramAnchor,
}

fn violated(
    cert: &Cert<'_>,
    depth: usize,
    constraint: Constraint,
    detail: impl Into<String>,
) -> CertError {
    CertError::ConstraintViolated {
        constraint,
        subject: cert.subject(),
        depth,
        detail: detail.into(),
    }
}

/// Checks every rule that concerns one certificate on its own.
pub(crate) fn check_profile(
    cert: &Cert<'_>,
    depth: usize,
    role: Role,
    usage: Usage,
) -> Result<(), CertError> {
    let enc = |detail: &str| violated(cert, depth, Constraint::Encoding, detail);
    // Roots are trusted as configured; some long-lived public roots predate these rules
    // (a zero serial, no AKI), so the structural rules bind the presented certificates.
    let anchor = matches!(role, Role::Anchor | Role::ProgramAnchor);
    let bookkeeping = role != Role::ProgramAnchor;
    if !anchor {
        check_serial(cert, depth)?;
        // RFC 5280 §4.1.2.1: certificates with extensions are version 3; TLS needs them.
        if cert.x509.version() != X509Version::V3 {
            return Err(enc(&format!(
                "it is an X.509 version {} certificate, not version 3",
                cert.x509.version().0.saturating_add(1)
            )));
        }
    }
    if cert.x509.issuer().iter().next().is_none() {
        return Err(enc("its issuer name is empty (RFC 5280 §4.1.2.4)"));
    }
    check_key(cert, depth)?;

    let (mut bc, mut ku, mut eku, mut aki, mut ski, mut san, mut nc) =
        (None, None, None, None, None, None, None);
    let extensions = cert.x509.extensions();
    for (i, ext) in extensions.iter().enumerate() {
        let earlier = extensions.get(..i).unwrap_or_default();
        if earlier
            .iter()
            .any(|e| e.oid.as_bytes() == ext.oid.as_bytes())
        {
            return Err(enc(&format!(
                "the extension {} appears twice (RFC 5280 §4.2)",
                ext.oid
            )));
        }
        match ext.parsed_extension() {
            ParsedExtension::ParseError { error } => {
                return Err(CertError::Malformed {
                    what: format!("its extension {} cannot be read ({error})", ext.oid),
                    depth: Some(depth),
                })
            }
            ParsedExtension::BasicConstraints(v) => bc = Some((ext.critical, v)),
            ParsedExtension::KeyUsage(v) => ku = Some(v),
            ParsedExtension::ExtendedKeyUsage(v) => eku = Some((ext.critical, v)),
            ParsedExtension::AuthorityKeyIdentifier(v) => aki = Some((ext.critical, v)),
            ParsedExtension::SubjectKeyIdentifier(v) => ski = Some((ext.critical, v)),
            ParsedExtension::SubjectAlternativeName(v) => san = Some((ext.critical, v)),
            ParsedExtension::NameConstraints(_) if !ext.critical => {
                return Err(violated(
                    cert,
                    depth,
                    Constraint::NameConstraints,
                    "its nameConstraints extension is not marked critical (RFC 5280 §4.2.1.10)",
                ));
            }
            ParsedExtension::NameConstraints(v) => nc = Some(v),
            ParsedExtension::PolicyConstraints(_) | ParsedExtension::InhibitAnyPolicy(_)
                if !ext.critical =>
            {
                // RFC 5280 §4.2.1.11, §4.2.1.14: conforming CAs MUST mark these critical.
                return Err(violated(
                    cert,
                    depth,
                    Constraint::Policy,
                    format!("its policy extension {} is not marked critical", ext.oid),
                ));
            }
            _ if ext.critical && !understood(ext.parsed_extension()) => {
                return Err(violated(
                    cert,
                    depth,
                    Constraint::UnknownCriticalExtension,
                    format!("the critical extension {} is not understood", ext.oid),
                ));
            }
            _ => {}
        }
    }

    let is_ca = bc.is_some_and(|(_, b)| b.ca);
    let self_issued = cert.is_self_issued();

    // RFC 5280 §4.2.1.1: AKI never critical, with keyIdentifier, present unless self-signed.
    match aki {
        Some((true, _)) => {
            return Err(enc(
                "its authorityKeyIdentifier is marked critical (RFC 5280 §4.2.1.1)",
            ))
        }
        Some((false, a)) => {
            let Some(kid) = &a.key_identifier else {
                return Err(enc(
                    "its authorityKeyIdentifier lacks keyIdentifier (RFC 5280 §4.2.1.1)",
                ));
            };
            if role == Role::Anchor && self_issued {
                // CABF BR 7.1.2.1.3: a root's AKI is its own key identifier and nothing else.
                if a.authority_cert_issuer.is_some() || a.authority_cert_serial.is_some() {
                    return Err(enc("the root's authorityKeyIdentifier names an issuer or serial (CABF BR 7.1.2.1.3)"));
                }
                if let Some((_, s)) = ski {
                    if s.0 != kid.0 {
                        return Err(enc("the root's authorityKeyIdentifier differs from its subjectKeyIdentifier"));
                    }
                }
            }
        }
        None if !self_issued && !anchor => {
            return Err(enc("it has no authorityKeyIdentifier (RFC 5280 §4.2.1.1)"));
        }
        None => {}
    }
    // RFC 5280 §4.2.1.2: SKI never critical, and present in every CA certificate.
    match ski {
        Some((true, _)) => {
            return Err(enc(
                "its subjectKeyIdentifier is marked critical (RFC 5280 §4.2.1.2)",
            ))
        }
        None if bookkeeping && (role != Role::EndEntity || is_ca) => {
            return Err(enc(
                "this CA certificate has no subjectKeyIdentifier (RFC 5280 §4.2.1.2)",
            ))
        }
        _ => {}
    }

    // RFC 5280 §4.2.1.9 and §4.2.1.3: basicConstraints and keyUsage agree with each other.
    if let Some((_, b)) = bc {
        if !b.ca && b.path_len_constraint.is_some() {
            return Err(enc(
                "it sets pathLenConstraint without cA (RFC 5280 §4.2.1.9)",
            ));
        }
    }
    if let Some(k) = ku {
        if k.flags == 0 {
            return Err(violated(
                cert,
                depth,
                Constraint::KeyUsage,
                "its keyUsage asserts no bit at all",
            ));
        }
        if k.key_cert_sign() && !is_ca {
            return Err(violated(
                cert,
                depth,
                Constraint::KeyUsage,
                "it asserts keyCertSign without being a CA (RFC 5280 §4.2.1.3)",
            ));
        }
    }

    match role {
        Role::Intermediate | Role::Anchor | Role::ProgramAnchor => {
            if cert.x509.subject().iter().next().is_none() {
                return Err(enc(
                    "this CA certificate has an empty subject (RFC 5280 §4.1.2.6)",
                ));
            }
            match bc {
                Some((critical, b)) if b.ca && (critical || !bookkeeping) => {}
                Some((false, b)) if b.ca => {
                    return Err(violated(
                        cert,
                        depth,
                        Constraint::NotCa,
                        "its basicConstraints is not marked critical (RFC 5280 §4.2.1.9)",
                    ))
                }
                _ => {
                    return Err(violated(
                        cert,
                        depth,
                        Constraint::NotCa,
                        "it issued another certificate but is not marked as a CA",
                    ))
                }
            }
            if let Some(k) = ku {
                if !k.key_cert_sign() {
                    return Err(violated(
                        cert,
                        depth,
                        Constraint::KeyUsage,
                        "its key usage does not include keyCertSign",
                    ));
                }
            }
            if let Some((_, e)) = eku {
                // Issuer EKUs constrain what they issue, as browsers enforce.
                let ok = e.any
                    || match usage {
                        Usage::ServerAuth => e.server_auth,
                        Usage::ClientAuth => e.client_auth,
                    };
                if !ok {
                    return Err(violated(
                        cert,
                        depth,
                        Constraint::ExtendedKeyUsage,
                        format!(
                            "its extended key usage does not include {}",
                            usage.describe()
                        ),
                    ));
                }
            }
        }
        Role::EndEntity => {
            if is_ca {
                return Err(violated(
                    cert,
                    depth,
                    Constraint::CaAsEndEntity,
                    "it is a CA certificate, which cannot serve as a TLS end entity (CABF BR 7.1.2.7.8)",
                ));
            }
            if nc.is_some() {
                return Err(violated(cert, depth, Constraint::NameConstraints, "an end-entity certificate must not carry name constraints (RFC 5280 §4.2.1.10)"));
            }
            match eku {
                Some((true, _)) => {
                    return Err(violated(
                        cert,
                        depth,
                        Constraint::ExtendedKeyUsage,
                        "its extendedKeyUsage is marked critical (CABF BR 7.1.2.7.10)",
                    ))
                }
                Some((false, e)) => {
                    if e.any && usage == Usage::ServerAuth {
                        return Err(violated(cert, depth, Constraint::ExtendedKeyUsage, "it asserts anyExtendedKeyUsage, which a TLS server certificate must not (CABF BR 7.1.2.7.10)"));
                    }
                    let ok = match usage {
                        Usage::ServerAuth => e.server_auth,
                        Usage::ClientAuth => e.client_auth,
                    };
                    if !ok {
                        return Err(violated(
                            cert,
                            depth,
                            Constraint::ExtendedKeyUsage,
                            format!(
                                "its extended key usage does not include {}",
                                usage.describe()
                            ),
                        ));
                    }
                }
                None => {}
            }
            let subject_empty = cert.x509.subject().iter().next().is_none();
            match san {
                None if subject_empty => {
                    return Err(enc("it has neither a subject nor a subjectAltName (RFC 5280 §4.1.2.6)"))
                }
                Some((false, _)) if subject_empty => {
                    return Err(enc("its subject is empty but its subjectAltName is not critical (RFC 5280 §4.2.1.6)"))
                }
                Some((true, _)) if !subject_empty && usage == Usage::ServerAuth => {
                    return Err(enc("its subjectAltName is critical although the subject is not empty (CABF BR 7.1.2.7.12)"))
                }
                _ => {}
            }
            if let Some((_, s)) = san {
                if s.general_names.is_empty() {
                    return Err(enc("its subjectAltName is empty (RFC 5280 §4.2.1.6)"));
                }
                for gn in &s.general_names {
                    match gn {
                        GeneralName::DNSName(d) if !is_dns_name(d.strip_suffix('.').unwrap_or(d), true) || d.contains('_') => {
                            return Err(enc(&format!("its subjectAltName has the invalid DNS name {d:?}")))
                        }
                        GeneralName::IPAddress(b) if ip_from_bytes(b).is_none() => {
                            return Err(enc("its subjectAltName has an IP address that is neither 4 nor 16 bytes"))
                        }
                        GeneralName::Invalid(..) => return Err(enc("its subjectAltName has an unreadable entry")),
                        _ => {}
                    }
                }
            }
            if usage == Usage::ServerAuth && san.is_some() {
                check_cn_in_san(cert, depth)?;
            }
        }
    }
    Ok(())
}

/// Extensions whose meaning this validator implements (RFC 5280 §4.2: others may not be critical).
fn understood(ext: &ParsedExtension<'_>) -> bool {
    matches!(
        ext,
        ParsedExtension::BasicConstraints(_)
            | ParsedExtension::KeyUsage(_)
            | ParsedExtension::ExtendedKeyUsage(_)
            | ParsedExtension::SubjectAlternativeName(_)
            | ParsedExtension::NameConstraints(_)
            | ParsedExtension::CertificatePolicies(_)
            | ParsedExtension::PolicyConstraints(_)
            | ParsedExtension::InhibitAnyPolicy(_)
            | ParsedExtension::PolicyMappings(_)
    )
}

/// RFC 5280 §4.1.2.2: a positive integer of at most 20 octets.
fn check_serial(cert: &Cert<'_>, depth: usize) -> Result<(), CertError> {
    let raw = cert.x509.raw_serial();
    let detail = if raw.len() > 21 || (raw.len() == 21 && raw.first() != Some(&0)) {
        "its serial number is longer than 20 octets"
    } else if raw.first().is_some_and(|b| b & 0x80 != 0) {
        "its serial number is negative"
    } else if raw.iter().all(|b| *b == 0) {
        "its serial number is zero"
    } else {
        return Ok(());
    };
    Err(violated(
        cert,
        depth,
        Constraint::Encoding,
        format!("{detail} (RFC 5280 §4.1.2.2)"),
    ))
}

/// Every key in a path must be one padlock could verify with, and strong enough.
fn check_key(cert: &Cert<'_>, depth: usize) -> Result<(), CertError> {
    let spki = cert.x509.public_key();
    match key_kind(spki) {
        // CABF BR 6.1.5: the modulus size in bits is divisible by 8.
        Ok(KeyKind::Rsa(bits)) if bits % 8 != 0 => {
            return Err(CertError::WeakAlgorithm {
                subject: cert.subject(),
                depth,
                what: format!("a {bits}-bit RSA modulus (not a multiple of 8)"),
            });
        }
        Ok(_) => {}
        Err(SigFailure::Weak(what) | SigFailure::WeakKey(what)) => {
            return Err(CertError::WeakAlgorithm {
                subject: cert.subject(),
                depth,
                what,
            })
        }
        Err(SigFailure::Unsupported(what) | SigFailure::UnsupportedKey(what)) => {
            return Err(CertError::UnsupportedAlgorithm {
                subject: cert.subject(),
                depth,
                what,
            });
        }
        Err(SigFailure::Bad) => {
            return Err(CertError::UnsupportedAlgorithm {
                subject: cert.subject(),
                depth,
                what: "an unreadable key".into(),
            });
        }
    }
    Ok(())
}

/// CABF BR 7.1.4.3: a subscriber's commonName, if any, is one of its SAN values, spelled
/// the same way (IP addresses in their canonical text form).
fn check_cn_in_san(cert: &Cert<'_>, depth: usize) -> Result<(), CertError> {
    let Some(cn) = common_name_str(cert.x509.subject()) else {
        return Ok(());
    };
    // A descriptive common name ("Build Server") names no host; only one that reads as
    // a host name or address must repeat a SAN entry.
    if cn.chars().any(char::is_whitespace)
        || !(cn.contains('.') || cn.contains(':') || cn.starts_with("0x"))
    {
        return Ok(());
    }
    let mut found = false;
    for ext in cert.x509.extensions() {
        if let ParsedExtension::SubjectAlternativeName(san) = ext.parsed_extension() {
            for gn in &san.general_names {
                match gn {
                    GeneralName::DNSName(d) => found |= *d == cn,
                    GeneralName::IPAddress(b) => {
                        found |= ip_from_bytes(b).is_some_and(|ip| ip.to_string() == cn)
                    }
                    _ => {}
                }
            }
        }
    }
    if found {
        Ok(())
    } else {
        Err(violated(
            cert,
            depth,
            Constraint::Encoding,
            format!(
                "its common name {cn:?} is not one of its subjectAltName entries (CABF BR 7.1.4.3)"
            ),
        ))
    }
}
