//! Name constraints (RFC 5280 §4.2.1.10, §6.1.4 g): DNS, IP, email and directory names;
//! other name types are checked only when a certificate below actually carries them.

use std::net::IpAddr;

use x509_parser::extensions::{GeneralName, NameConstraints, ParsedExtension};
use x509_parser::oid_registry::OID_PKCS9_EMAIL_ADDRESS;
use x509_parser::x509::X509Name;

use crate::cert::Cert;
use crate::dn::rdns_equal;
use crate::name::{ip_from_bytes, is_dns_name};

/// Name-against-constraint comparisons allowed for one path; past this the chain is
/// rejected rather than burning quadratic CPU (x509-limbo pathological::nc-dos).
pub(crate) const MAX_NC_COMPARISONS: usize = 1 << 18;

/// Why a chain failed name constraints.
pub(crate) enum NcFailure {
    /// The constraint itself is malformed.
    BadConstraint(String),
    /// A name is outside the permitted subtrees or inside an excluded one.
    Violation(String),
    /// The work bound was hit.
    TooMuchWork,
}

/// A name a certificate asserts, in the forms constraints compare against.
enum Name<'a> {
    Dns(&'a str),
    Ip(IpAddr),
    Email(&'a str),
    Dir(&'a X509Name<'a>),
    /// Types padlock does not evaluate (otherName, URI, x400, ediParty, registeredID).
    Other(u8, String),
}

fn gn_type(gn: &GeneralName<'_>) -> u8 {
    match gn {
        GeneralName::OtherName(..) => 0,
        GeneralName::RFC822Name(_) => 1,
        GeneralName::DNSName(_) => 2,
        GeneralName::X400Address(_) => 3,
        GeneralName::DirectoryName(_) => 4,
        GeneralName::EDIPartyName(_) => 5,
        GeneralName::URI(_) => 6,
        GeneralName::IPAddress(_) => 7,
        GeneralName::RegisteredID(_) => 8,
        GeneralName::Invalid(..) => 9,
    }
}

fn name_type(n: &Name<'_>) -> u8 {
    match n {
        Name::Email(_) => 1,
        Name::Dns(_) => 2,
        Name::Dir(_) => 4,
        Name::Ip(_) => 7,
        Name::Other(t, _) => *t,
    }
}

/// The certificate's names that constraints apply to: the subject (if non-empty), its
/// emailAddress attributes, and every subjectAltName entry.
fn names<'a>(cert: &'a Cert<'a>) -> Result<Vec<Name<'a>>, NcFailure> {
    let mut out = Vec::new();
    let subject = cert.x509.subject();
    if subject.iter().next().is_some() {
        out.push(Name::Dir(subject));
        for atv in subject.iter_by_oid(&OID_PKCS9_EMAIL_ADDRESS) {
            if let Ok(e) = atv.as_str() {
                out.push(Name::Email(e));
            }
        }
    }
    for ext in cert.x509.extensions() {
        let ParsedExtension::SubjectAlternativeName(san) = ext.parsed_extension() else {
            continue;
        };
        for gn in &san.general_names {
            out.push(match gn {
                GeneralName::DNSName(d) => Name::Dns(d),
                GeneralName::RFC822Name(e) => Name::Email(e),
                GeneralName::DirectoryName(n) => Name::Dir(n),
                GeneralName::IPAddress(b) => match ip_from_bytes(b) {
                    Some(ip) => Name::Ip(ip),
                    None => {
                        return Err(NcFailure::Violation(
                            "an IP address SAN is malformed".into(),
                        ))
                    }
                },
                other => Name::Other(gn_type(other), type_name(other).to_string()),
            });
        }
    }
    Ok(out)
}

/// Checks one issuer's constraints against one certificate below it.
pub(crate) fn check(
    nc: &NameConstraints<'_>,
    cert: &Cert<'_>,
    budget: &mut usize,
) -> Result<(), NcFailure> {
    let permitted = nc.permitted_subtrees.as_deref().unwrap_or(&[]);
    let excluded = nc.excluded_subtrees.as_deref().unwrap_or(&[]);
    // RFC 5280 §4.2.1.10: at least one of the two, and neither an empty SEQUENCE.
    if nc.permitted_subtrees.as_ref().is_some_and(Vec::is_empty)
        || nc.excluded_subtrees.as_ref().is_some_and(Vec::is_empty)
        || (permitted.is_empty() && excluded.is_empty())
    {
        return Err(NcFailure::BadConstraint(
            "the name constraints are empty".into(),
        ));
    }
    for name in names(cert)? {
        let ty = name_type(&name);
        // Excluded: no subtree of the same type may contain the name.
        for sub in excluded.iter().filter(|s| gn_type(&s.base) == ty) {
            *budget = budget.checked_sub(1).ok_or(NcFailure::TooMuchWork)?;
            if matches(&sub.base, &name, true)? {
                return Err(NcFailure::Violation(format!(
                    "{} is in the excluded subtree {}",
                    show(&name),
                    show_gn(&sub.base)
                )));
            }
        }
        // Permitted: if any subtree has this type, one of them must contain the name.
        let mut of_type = permitted
            .iter()
            .filter(|s| gn_type(&s.base) == ty)
            .peekable();
        if of_type.peek().is_none() {
            continue;
        }
        let mut inside = false;
        for sub in of_type {
            *budget = budget.checked_sub(1).ok_or(NcFailure::TooMuchWork)?;
            if matches(&sub.base, &name, false)? {
                inside = true;
                break;
            }
        }
        if !inside {
            return Err(NcFailure::Violation(format!(
                "{} is outside the permitted subtrees",
                show(&name)
            )));
        }
    }
    Ok(())
}

fn type_name(gn: &GeneralName<'_>) -> &'static str {
    match gn {
        GeneralName::OtherName(..) => "otherName",
        GeneralName::RFC822Name(_) => "rfc822Name",
        GeneralName::DNSName(_) => "dNSName",
        GeneralName::X400Address(_) => "x400Address",
        GeneralName::DirectoryName(_) => "directoryName",
        GeneralName::EDIPartyName(_) => "ediPartyName",
        GeneralName::URI(_) => "uniformResourceIdentifier",
        GeneralName::IPAddress(_) => "iPAddress",
        GeneralName::RegisteredID(_) => "registeredID",
        GeneralName::Invalid(..) => "malformed name",
    }
}

fn show(n: &Name<'_>) -> String {
    match n {
        Name::Dns(d) => format!("the DNS name {d}"),
        Name::Ip(ip) => format!("the IP address {ip}"),
        Name::Email(e) => format!("the email address {e}"),
        Name::Dir(d) => format!("the directory name {d}"),
        Name::Other(_, s) => format!("its {s}"),
    }
}

fn show_gn(gn: &GeneralName<'_>) -> String {
    match gn {
        GeneralName::DNSName(d) => format!("DNS:{d}"),
        GeneralName::RFC822Name(e) => format!("email:{e}"),
        GeneralName::DirectoryName(n) => format!("DirName:{n}"),
        GeneralName::IPAddress(b) => match ip_constraint(b) {
            Some((net, prefix)) => {
                let shown = match <[u8; 4]>::try_from(net.as_slice()) {
                    Ok(v4) => IpAddr::from(v4).to_string(),
                    Err(_) => <[u8; 16]>::try_from(net.as_slice())
                        .map(|v6| IpAddr::from(v6).to_string())
                        .unwrap_or_default(),
                };
                format!("IP:{shown}/{prefix}")
            }
            None => "IP:(malformed)".into(),
        },
        GeneralName::URI(u) => format!("URI:{u}"),
        other => type_name(other).to_string(),
    }
}

/// Does the constraint `base` cover `name`? For a wildcard DNS name, "covers" means
/// every name it stands for when `excluded` is false (permitted), and any name it could
/// stand for when true (excluded), so a wildcard can never slip past an exclusion.
fn matches(base: &GeneralName<'_>, name: &Name<'_>, excluded: bool) -> Result<bool, NcFailure> {
    match (base, name) {
        (GeneralName::DNSName(c), Name::Dns(n)) => {
            let c = c.to_ascii_lowercase();
            if !c.is_empty() && !is_dns_name(&c, false) {
                return Err(NcFailure::BadConstraint(format!(
                    "the DNS name constraint {c:?} is malformed"
                )));
            }
            let n = n.strip_suffix('.').unwrap_or(n).to_ascii_lowercase();
            if !is_dns_name(&n, true) {
                return Err(NcFailure::Violation(format!(
                    "the DNS name {n:?} is malformed"
                )));
            }
            match n.strip_prefix("*.") {
                Some(base_name) => Ok(dns_within(base_name, &c)
                    || (excluded && c.len() > base_name.len() && dns_within(&c, base_name))),
                None => Ok(dns_within(&n, &c)),
            }
        }
        (GeneralName::IPAddress(c), Name::Ip(ip)) => {
            let Some((net, prefix)) = ip_constraint(c) else {
                return Err(NcFailure::BadConstraint(
                    "an IP address name constraint is not address/mask in CIDR form".into(),
                ));
            };
            Ok(ip_in(ip, &net, prefix))
        }
        (GeneralName::RFC822Name(c), Name::Email(e)) => email_matches(c, e),
        (GeneralName::DirectoryName(c), Name::Dir(n)) => Ok(dn_within(n, c)),
        // Types padlock cannot evaluate: a name of that type under such a constraint fails
        // closed (RFC 5280 §4.2.1.10 lets an application reject what it cannot process).
        (_, Name::Other(..)) => Err(NcFailure::Violation(format!(
            "{} falls under an {} constraint, which padlock does not evaluate",
            show(name),
            show_gn(base)
        ))),
        _ => Ok(false),
    }
}

/// `name` equals `constraint` or lies under it by whole labels; "" covers everything.
fn dns_within(name: &str, constraint: &str) -> bool {
    constraint.is_empty()
        || name == constraint
        || name
            .strip_suffix(constraint)
            .is_some_and(|head| head.ends_with('.'))
}

/// An iPAddress constraint: 8 or 32 octets, address then a contiguous mask (RFC 5280 §4.2.1.10).
fn ip_constraint(bytes: &[u8]) -> Option<(Vec<u8>, u32)> {
    if bytes.len() != 8 && bytes.len() != 32 {
        return None;
    }
    let (addr, mask) = bytes.split_at(bytes.len() / 2);
    let mut prefix = 0u32;
    let mut ended = false;
    for b in mask {
        for bit in (0..8).rev() {
            let set = (b >> bit) & 1 == 1;
            if set && ended {
                return None;
            }
            if set {
                prefix += 1;
            } else {
                ended = true;
            }
        }
    }
    // The address has no bits outside the mask (CIDR form).
    if addr.iter().zip(mask).any(|(a, m)| a & !m != 0) {
        return None;
    }
    Some((addr.to_vec(), prefix))
}

fn ip_in(ip: &IpAddr, net: &[u8], prefix: u32) -> bool {
    let octets: Vec<u8> = match ip {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    };
    if octets.len() != net.len() {
        return false;
    }
    let mut left = prefix;
    for (a, n) in octets.iter().zip(net) {
        let bits = left.min(8);
        left -= bits;
        let mask = if bits == 0 { 0 } else { 0xffu8 << (8 - bits) };
        if a & mask != n & mask {
            return false;
        }
    }
    true
}

/// A mailbox is local@domain with exactly one '@' and a valid domain.
fn split_mailbox(s: &str) -> Option<(&str, &str)> {
    let (local, domain) = s.split_once('@')?;
    (!local.is_empty() && !domain.contains('@') && is_dns_name(domain, false))
        .then_some((local, domain))
}

/// RFC 5280 §4.2.1.10 rfc822Name constraints: a whole mailbox, a host (all mailboxes
/// there), or `.domain` (all hosts under it). Characters are literal, '*' included.
fn email_matches(constraint: &str, email: &str) -> Result<bool, NcFailure> {
    let Some((local, domain)) = split_mailbox(email) else {
        return Err(NcFailure::Violation(format!(
            "the email address {email:?} is malformed"
        )));
    };
    let domain = domain.to_ascii_lowercase();
    if constraint.contains('@') {
        let Some((c_local, c_domain)) = split_mailbox(constraint) else {
            return Err(NcFailure::BadConstraint(format!(
                "the email name constraint {constraint:?} is malformed"
            )));
        };
        return Ok(c_local == local && c_domain.eq_ignore_ascii_case(&domain));
    }
    let c = constraint.to_ascii_lowercase();
    match c.strip_prefix('.') {
        Some(parent) => {
            if !is_dns_name(parent, false) {
                return Err(NcFailure::BadConstraint(format!(
                    "the email name constraint {constraint:?} is malformed"
                )));
            }
            Ok(domain
                .strip_suffix(parent)
                .is_some_and(|h| h.len() > 1 && h.ends_with('.')))
        }
        None => {
            if !is_dns_name(&c, false) {
                return Err(NcFailure::BadConstraint(format!(
                    "the email name constraint {constraint:?} is malformed"
                )));
            }
            Ok(domain == c)
        }
    }
}

/// RFC 5280 §7.1: the constraint's RDNs are a prefix of the name's.
fn dn_within(name: &X509Name<'_>, constraint: &X509Name<'_>) -> bool {
    let mut n = name.iter();
    constraint
        .iter()
        .all(|c| n.next().is_some_and(|r| rdns_equal(c, r)))
}
