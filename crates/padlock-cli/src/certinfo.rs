//! The facts about one certificate that `inspect`, `check` and `probe` show: names, validity,
//! key, validation level, SPKI pin and fingerprint.
//!
//! The pin is padlock-cert's [`padlock_cert::SpkiPin`]. The validation level is what the
//! certificate asserts (CA/Browser Forum policy OIDs, BR §7.1.6.1), read here because these
//! commands show certificates that did not validate too; padlock-cert reports the level of
//! validated chains only.

use std::net::IpAddr;

use aws_lc_rs::digest;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::{PublicKey, RSAPublicKey};
use x509_parser::x509::SubjectPublicKeyInfo;

const DAY: i64 = 86_400;

/// What a person wants to know about a certificate.
#[derive(Debug, Clone)]
pub struct CertFacts {
    pub subject: String,
    pub issuer: String,
    /// Serial number, colon-separated hex.
    pub serial: String,
    pub dns_names: Vec<String>,
    pub ip_addresses: Vec<String>,
    /// Seconds since the Unix epoch.
    pub not_before: i64,
    /// Seconds since the Unix epoch.
    pub not_after: i64,
    /// "ECDSA P-256", "RSA 2048", "Ed25519"...
    pub key: String,
    /// The key size in bits (0 when unknown).
    pub key_bits: usize,
    /// The signature algorithm's name, e.g. "ecdsa-with-SHA256".
    pub signature_algorithm: String,
    /// basicConstraints cA.
    pub is_ca: bool,
    /// Subject and issuer are the same name (a root, or a self-signed leaf).
    pub self_issued: bool,
    /// Extended key usages, by name.
    pub extended_key_usage: Vec<String>,
    /// DV, OV, IV or EV from certificatePolicies; None without a CA/Browser Forum OID.
    pub validation_level: Option<&'static str>,
    /// `sha256/BASE64` of the SubjectPublicKeyInfo.
    pub spki_pin: String,
    /// SHA-256 of the whole certificate, colon-separated upper-case hex.
    pub sha256_fingerprint: String,
    /// The subjectPublicKey BIT STRING contents, to match a private key against.
    pub public_key: Vec<u8>,
    /// DER of the subject and issuer names, to check chain order.
    pub subject_der: Vec<u8>,
    pub issuer_der: Vec<u8>,
}

impl CertFacts {
    /// Reads one DER certificate.
    pub fn parse(der: &[u8]) -> Result<CertFacts, String> {
        let (_, cert) = X509Certificate::from_der(der)
            .map_err(|e| format!("not an X.509 certificate ({e})"))?;
        let spki = cert.public_key();
        let (key, key_bits) = describe_spki(spki);
        let mut dns_names = Vec::new();
        let mut ip_addresses = Vec::new();
        if let Ok(Some(san)) = cert.subject_alternative_name() {
            for name in &san.value.general_names {
                match name {
                    GeneralName::DNSName(d) => dns_names.push(d.to_string()),
                    GeneralName::IPAddress(ip) => ip_addresses.push(ip_string(ip)),
                    _ => {}
                }
            }
        }
        let mut extended_key_usage = Vec::new();
        if let Ok(Some(eku)) = cert.extended_key_usage() {
            let e = eku.value;
            for (set, name) in [
                (e.server_auth, "serverAuth"),
                (e.client_auth, "clientAuth"),
                (e.code_signing, "codeSigning"),
                (e.email_protection, "emailProtection"),
                (e.time_stamping, "timeStamping"),
                (e.ocsp_signing, "OCSPSigning"),
                (e.any, "anyExtendedKeyUsage"),
            ] {
                if set {
                    extended_key_usage.push(name.to_string());
                }
            }
        }
        Ok(CertFacts {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            serial: cert.raw_serial_as_string(),
            dns_names,
            ip_addresses,
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            key,
            key_bits,
            signature_algorithm: signature_name(&cert.signature_algorithm.algorithm.to_id_string()),
            is_ca: cert.is_ca(),
            self_issued: cert.subject().as_raw() == cert.issuer().as_raw(),
            extended_key_usage,
            validation_level: validation_level(&cert),
            spki_pin: spki_pin(spki.raw),
            sha256_fingerprint: fingerprint(der),
            public_key: spki.subject_public_key.data.to_vec(),
            subject_der: cert.subject().as_raw().to_vec(),
            issuer_der: cert.issuer().as_raw().to_vec(),
        })
    }

    /// Whole days until notAfter, negative once expired (rounded toward zero, as people
    /// count: expired 3 days and an hour ago is -3).
    pub fn days_left(&self, now: i64) -> i64 {
        (self.not_after - now) / DAY
    }

    /// The names the certificate covers (DNS names, then IP addresses).
    pub fn names(&self) -> Vec<String> {
        self.dns_names
            .iter()
            .chain(&self.ip_addresses)
            .cloned()
            .collect()
    }

    /// SHA-1 or MD5 signature: collision attacks make such certificates forgeable.
    pub fn weak_signature(&self) -> Option<&'static str> {
        let alg = self.signature_algorithm.to_ascii_lowercase();
        if alg.contains("sha1") {
            Some("SHA-1")
        } else if alg.contains("md5") {
            Some("MD5")
        } else {
            None
        }
    }

    pub fn to_json(&self, now: i64) -> serde_json::Value {
        serde_json::json!({
            "subject": self.subject,
            "issuer": self.issuer,
            "serial": self.serial,
            "dns_names": self.dns_names,
            "ip_addresses": self.ip_addresses,
            "not_before": date_time(self.not_before),
            "not_after": date_time(self.not_after),
            "days_left": self.days_left(now),
            "key": self.key,
            "key_bits": self.key_bits,
            "signature_algorithm": self.signature_algorithm,
            "is_ca": self.is_ca,
            "self_issued": self.self_issued,
            "extended_key_usage": self.extended_key_usage,
            "validation_level": self.validation_level,
            "spki_pin": self.spki_pin,
            "sha256_fingerprint": self.sha256_fingerprint,
        })
    }
}

/// `sha256/BASE64` of a DER SubjectPublicKeyInfo (RFC 7469 §2.4), as `connect --pin` takes it.
pub fn spki_pin(spki_der: &[u8]) -> String {
    padlock_cert::SpkiPin::of_spki(spki_der).to_string()
}

/// SHA-256 of `der`, as `AB:CD:...` (how browsers and openssl show fingerprints).
pub fn fingerprint(der: &[u8]) -> String {
    let hash = digest::digest(&digest::SHA256, der);
    hash.as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The current time, seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `YYYY-MM-DD`.
pub fn date(unix: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(unix) {
        Ok(t) => t.date().to_string(),
        Err(_) => format!("{unix}s after 1970"),
    }
}

/// `YYYY-MM-DD HH:MM:SS UTC`.
pub fn date_time(unix: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(unix) {
        Ok(t) => format!(
            "{} {:02}:{:02}:{:02} UTC",
            t.date(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => format!("{unix}s after 1970"),
    }
}

/// "in 12 days", "today", "3 days ago".
pub fn days_phrase(days: i64) -> String {
    match days {
        0 => "today".into(),
        1 => "in 1 day".into(),
        -1 => "1 day ago".into(),
        d if d > 0 => format!("in {d} days"),
        d => format!("{} days ago", -d),
    }
}

/// An iPAddress SAN as text.
pub fn ip_string(bytes: &[u8]) -> String {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        IpAddr::from(v4).to_string()
    } else if let Ok(v6) = <[u8; 16]>::try_from(bytes) {
        IpAddr::from(v6).to_string()
    } else {
        // An iPAddress of another length is a name-constraint range, not a host.
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The key's kind and size. x509-parser leaves id-RSASSA-PSS keys unparsed; their
/// subjectPublicKey is an RSAPublicKey all the same (RFC 4055 §1.2).
pub fn describe_spki(spki: &SubjectPublicKeyInfo<'_>) -> (String, usize) {
    let oid = spki.algorithm.algorithm.to_id_string();
    let parsed = match spki.parsed() {
        Ok(PublicKey::Unknown(_)) | Err(_) if oid == RSASSA_PSS => {
            RSAPublicKey::from_der(&spki.subject_public_key.data)
                .ok()
                .map(|(_, k)| PublicKey::RSA(k))
        }
        other => other.ok(),
    };
    describe_key(&oid, parsed)
}

const RSASSA_PSS: &str = "1.2.840.113549.1.1.10";

/// The key's kind and size from the SPKI algorithm OID (RFC 5480, RFC 8410, RFC 4055).
pub fn describe_key(alg_oid: &str, parsed: Option<PublicKey<'_>>) -> (String, usize) {
    let bits = parsed.as_ref().map(|k| k.key_size()).unwrap_or(0);
    match (alg_oid, &parsed) {
        ("1.2.840.10045.2.1", _) => {
            let curve = match bits {
                256 => "P-256".to_string(),
                384 => "P-384".to_string(),
                521 => "P-521".to_string(),
                n => format!("{n}-bit curve"),
            };
            (format!("ECDSA {curve}"), bits)
        }
        ("1.2.840.113549.1.1.1", _) => (format!("RSA {bits}"), bits),
        ("1.2.840.113549.1.1.10", _) => (format!("RSA-PSS {bits}"), bits),
        ("1.3.101.112", _) => ("Ed25519".into(), 256),
        ("1.3.101.113", _) => ("Ed448".into(), 456),
        (other, _) => (format!("unknown key type {other}"), bits),
    }
}

/// Common signature algorithm OIDs by their RFC names (RFC 4055, RFC 5758, RFC 8410).
fn signature_name(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        other => return other.to_string(),
    }
    .to_string()
}

/// The highest CA/Browser Forum validation level in certificatePolicies.
fn validation_level(cert: &X509Certificate<'_>) -> Option<&'static str> {
    let mut best: Option<(u8, &'static str)> = None;
    for ext in cert.extensions() {
        let ParsedExtension::CertificatePolicies(policies) = ext.parsed_extension() else {
            continue;
        };
        for p in policies {
            let this = match p.policy_id.to_id_string().as_str() {
                "2.23.140.1.1" => (4, "EV"),
                "2.23.140.1.2.2" => (3, "OV"),
                "2.23.140.1.2.3" => (2, "IV"),
                "2.23.140.1.2.1" => (1, "DV"),
                _ => continue,
            };
            if best.is_none_or(|b| this.0 > b.0) {
                best = Some(this);
            }
        }
    }
    best.map(|b| b.1)
}

/// Words for a validation level.
pub fn level_words(level: Option<&str>) -> &'static str {
    match level {
        Some("EV") => "EV (extended validation)",
        Some("OV") => "OV (organization validated)",
        Some("IV") => "IV (individual validated)",
        Some("DV") => "DV (domain validated)",
        _ => "no CA/Browser Forum policy (private CA)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_and_dates() {
        assert_eq!(days_phrase(0), "today");
        assert_eq!(days_phrase(5), "in 5 days");
        assert_eq!(days_phrase(-2), "2 days ago");
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date_time(86_400 + 61), "1970-01-02 00:01:01 UTC");
    }

    /// A certificate asserting the given certificatePolicies OIDs (DER contents).
    fn with_policies(oids: &[&[u8]]) -> CertFacts {
        let mut infos = Vec::new();
        for oid in oids {
            let mut info = vec![0x06, oid.len() as u8];
            info.extend_from_slice(oid);
            infos.extend([0x30, info.len() as u8]);
            infos.extend(info);
        }
        let mut policies = vec![0x30, infos.len() as u8];
        policies.extend(infos);
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["a.test".into()]).unwrap();
        params.custom_extensions = vec![rcgen::CustomExtension::from_oid_content(
            &[2, 5, 29, 32],
            policies,
        )];
        CertFacts::parse(params.self_signed(&key).unwrap().der()).unwrap()
    }

    #[test]
    fn validation_levels_from_cabf_policy_oids() {
        const DV: &[u8] = &[0x67, 0x81, 0x0c, 1, 2, 1];
        const OV: &[u8] = &[0x67, 0x81, 0x0c, 1, 2, 2];
        const EV: &[u8] = &[0x67, 0x81, 0x0c, 1, 1];
        const OTHER: &[u8] = &[0x2b, 6, 1, 4, 1, 0x82, 0x37, 1];
        assert_eq!(with_policies(&[DV]).validation_level, Some("DV"));
        assert_eq!(with_policies(&[OTHER, OV]).validation_level, Some("OV"));
        assert_eq!(with_policies(&[DV, EV, OV]).validation_level, Some("EV"));
        assert_eq!(with_policies(&[OTHER]).validation_level, None);
        assert_eq!(level_words(Some("EV")), "EV (extended validation)");
    }

    #[test]
    fn facts_of_an_rcgen_certificate() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params =
            rcgen::CertificateParams::new(vec!["a.test".into(), "127.0.0.1".into()]).unwrap();
        params.not_after = rcgen::date_time_ymd(2040, 1, 1);
        let cert = params.self_signed(&key).unwrap();
        let facts = CertFacts::parse(cert.der()).unwrap();
        assert_eq!(facts.dns_names, ["a.test"]);
        assert_eq!(facts.ip_addresses, ["127.0.0.1"]);
        assert_eq!(facts.key, "ECDSA P-256");
        assert_eq!(facts.signature_algorithm, "ecdsa-with-SHA256");
        assert!(facts.self_issued);
        assert_eq!(facts.validation_level, None);
        assert!(facts.spki_pin.starts_with("sha256/") && facts.spki_pin.len() == 51);
        assert_eq!(facts.sha256_fingerprint.len(), 32 * 3 - 1);
        assert_eq!(date(facts.not_after), "2040-01-01");
        assert_eq!(facts.public_key, key.public_key_raw());
        assert!(CertFacts::parse(b"junk").is_err());
    }
}
