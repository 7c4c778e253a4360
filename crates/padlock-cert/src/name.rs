//! Reference identities and their match against subjectAltName (RFC 9525 §6).

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use x509_parser::extensions::{GeneralName, ParsedExtension};

use crate::cert::{common_name, Cert};
use crate::error::CertError;

/// The name the peer is expected to have: a DNS name or an IP address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PeerName {
    /// A DNS name, stored lower-case without a trailing dot.
    Dns(String),
    /// An IPv4 or IPv6 address.
    Ip(IpAddr),
}

impl PeerName {
    /// Parses an IP literal, or else a DNS name (validated as LDH labels; a trailing dot
    /// is dropped and the name is lower-cased, RFC 9525 §6.3). Unicode labels become
    /// IDNA A-labels (`xn--…`, RFC 5891 §4.4), since certificates carry only those;
    /// input is lower-cased but not otherwise normalized.
    pub fn parse(s: &str) -> Result<Self, CertError> {
        // Longer than any DNS name can be even as Unicode; bounds the IDNA work.
        if s.len() > 1024 {
            return Err(CertError::Malformed {
                what: format!("a {}-byte peer name is too long to be a DNS name", s.len()),
                depth: None,
            });
        }
        let trimmed = s.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = IpAddr::from_str(trimmed) {
            return Ok(Self::Ip(ip));
        }
        let name = s.strip_suffix('.').unwrap_or(s);
        let name = if name.is_ascii() {
            name.to_ascii_lowercase()
        } else {
            to_a_labels(name).ok_or_else(|| CertError::Malformed {
                what: format!("{s:?} cannot be converted to an IDNA A-label name"),
                depth: None,
            })?
        };
        if !is_dns_name(&name, false) {
            return Err(CertError::Malformed {
                what: format!("{s:?} is neither an IP address nor a valid DNS name"),
                depth: None,
            });
        }
        Ok(Self::Dns(name))
    }
}

impl FromStr for PeerName {
    type Err = CertError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for PeerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Dns(d) => f.write_str(d),
            Self::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// Converts each non-ASCII label to its A-label: "xn--" and the Punycode of the
/// lower-cased label (RFC 5891 §4.4, RFC 3492).
fn to_a_labels(name: &str) -> Option<String> {
    let labels: Option<Vec<String>> = name
        .split('.')
        .map(|label| {
            let lower = label.to_lowercase();
            if lower.is_ascii() {
                Some(lower)
            } else {
                punycode(&lower).map(|p| format!("xn--{p}"))
            }
        })
        .collect();
    labels.map(|l| l.join("."))
}

/// RFC 3492 §6.3 encoding, with the parameters of §5.
fn punycode(input: &str) -> Option<String> {
    const BASE: u32 = 36;
    const TMIN: u32 = 1;
    const TMAX: u32 = 26;
    fn digit(d: u32) -> Option<char> {
        match d {
            0..=25 => char::from_u32('a' as u32 + d),
            26..=35 => char::from_u32('0' as u32 + d - 26),
            _ => None,
        }
    }
    fn adapt(delta: u32, points: u32, first: bool) -> u32 {
        let mut delta = if first { delta / 700 } else { delta / 2 };
        delta += delta / points;
        let mut k = 0;
        while delta > ((BASE - TMIN) * TMAX) / 2 {
            delta /= BASE - TMIN;
            k += BASE;
        }
        k + (BASE - TMIN + 1) * delta / (delta + 38)
    }
    let chars: Vec<u32> = input.chars().map(u32::from).collect();
    let mut out: String = input.chars().filter(char::is_ascii).collect();
    let basic = u32::try_from(out.len()).ok()?;
    if basic > 0 {
        out.push('-');
    }
    let (mut n, mut delta, mut bias, mut handled) = (128u32, 0u32, 72u32, basic);
    let total = u32::try_from(chars.len()).ok()?;
    while handled < total {
        let m = chars.iter().copied().filter(|&c| c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(handled + 1)?)?;
        n = m;
        for &c in &chars {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        TMIN
                    } else if k >= bias + TMAX {
                        TMAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    out.push(digit(t + (q - t) % (BASE - t))?);
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out.push(digit(q)?);
                bias = adapt(delta, handled + 1, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta = delta.checked_add(1)?;
        n = n.checked_add(1)?;
    }
    Some(out)
}

/// RFC 1034 §3.5 preferred syntax (letters, digits, hyphens; labels 1–63 octets, the whole
/// at most 253), with `_` tolerated as deployed names use it, and optionally a `*` label
/// in front.
pub(crate) fn is_dns_name(name: &str, allow_wildcard: bool) -> bool {
    if name.is_empty() || name.len() > 253 {
        return false;
    }
    let mut labels = name.split('.').peekable();
    let mut first = true;
    while let Some(label) = labels.next() {
        let wildcard_ok = first && allow_wildcard && label == "*" && labels.peek().is_some();
        first = false;
        if wildcard_ok {
            continue;
        }
        if label.is_empty() || label.len() > 63 || label.starts_with('-') || label.ends_with('-') {
            return false;
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return false;
        }
    }
    true
}

/// Does the presented dNSName `pattern` cover `reference`? Case-insensitive; a wildcard
/// only as the whole leftmost label, matching exactly one label (RFC 9525 §6.3), and never
/// directly over a single-label (public-suffix-like) domain.
pub(crate) fn dns_matches(pattern: &str, reference: &str) -> bool {
    let pattern = pattern.strip_suffix('.').unwrap_or(pattern);
    if !is_dns_name(pattern, true) {
        return false;
    }
    match pattern.strip_prefix("*.") {
        Some(suffix) => {
            if !suffix.contains('.') {
                return false;
            }
            match reference.split_once('.') {
                Some((label, rest)) => !label.is_empty() && rest.eq_ignore_ascii_case(suffix),
                None => false,
            }
        }
        None => pattern.eq_ignore_ascii_case(reference),
    }
}

/// Checks the certificate's subjectAltName against the reference identity (RFC 9525 §6:
/// SAN only, never the common name).
pub(crate) fn check_name(cert: &Cert<'_>, name: &PeerName) -> Result<(), CertError> {
    let sans = || {
        cert.x509
            .extensions()
            .iter()
            .flat_map(|ext| match ext.parsed_extension() {
                ParsedExtension::SubjectAlternativeName(san) => san.general_names.as_slice(),
                _ => &[],
            })
    };
    let matched = sans().any(|gn| match (gn, name) {
        (GeneralName::DNSName(d), PeerName::Dns(r)) => dns_matches(d, r),
        (GeneralName::IPAddress(b), PeerName::Ip(r)) => ip_from_bytes(b).as_ref() == Some(r),
        _ => false,
    });
    if matched {
        return Ok(());
    }
    let covered = sans()
        .filter_map(|gn| match gn {
            GeneralName::DNSName(d) => Some((*d).to_string()),
            GeneralName::IPAddress(b) => ip_from_bytes(b).map(|ip| ip.to_string()),
            _ => None,
        })
        .collect();
    Err(CertError::NameMismatch {
        expected: name.to_string(),
        covered,
        common_name: common_name(cert.x509.subject()),
    })
}

/// An iPAddress SAN is 4 or 16 octets (RFC 5280 §4.2.1.6).
pub(crate) fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        return Some(IpAddr::from(v4));
    }
    <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(dns_matches("*.example.com", "www.example.com"));
        assert!(dns_matches("*.EXAMPLE.com", "www.example.com"));
        assert!(!dns_matches("*.example.com", "example.com"));
        assert!(!dns_matches("*.example.com", "a.b.example.com"));
        assert!(!dns_matches("w*.example.com", "www.example.com"));
        assert!(!dns_matches("*.com", "example.com"));
        assert!(!dns_matches("www.*.com", "www.example.com"));
        assert!(dns_matches("Example.COM.", "example.com"));
        // A reference name with capitals (PeerName::Dns built directly) matches too.
        assert!(dns_matches("example.com", "EXAMPLE.com"));
        assert!(dns_matches("*.example.com", "WWW.Example.COM"));
    }

    #[test]
    fn parse_peer_names() {
        assert_eq!(
            PeerName::parse("127.0.0.1").unwrap(),
            PeerName::Ip("127.0.0.1".parse().unwrap())
        );
        assert_eq!(
            PeerName::parse("[::1]").unwrap(),
            PeerName::Ip("::1".parse().unwrap())
        );
        assert_eq!(
            PeerName::parse("WWW.Example.com.").unwrap(),
            PeerName::Dns("www.example.com".into())
        );
        assert!(PeerName::parse("bad name").is_err());
    }

    #[test]
    fn idna_a_labels() {
        assert_eq!(punycode("bücher").as_deref(), Some("bcher-kva"));
        assert_eq!(punycode("münchen").as_deref(), Some("mnchen-3ya"));
        // RFC 3492 §7.1 (L): Japanese.
        assert_eq!(
            punycode("3年b組金八先生").as_deref(),
            Some("3b-ww4c5e180e575a65lsy2b")
        );
        assert_eq!(
            PeerName::parse("Bücher.Example").unwrap(),
            PeerName::Dns("xn--bcher-kva.example".into())
        );
    }
}
