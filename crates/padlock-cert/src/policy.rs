//! Validation level from certificatePolicies (CA/Browser Forum policy OIDs, BR §7.1.6.1).

use std::fmt;

use x509_parser::extensions::ParsedExtension;

use crate::cert::Cert;

/// How much the CA checked about the subject, as its certificate declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValidationLevel {
    /// Domain validated (2.23.140.1.2.1): control of the name only.
    Dv,
    /// Organization validated (2.23.140.1.2.2).
    Ov,
    /// Individual validated (2.23.140.1.2.3).
    Iv,
    /// Extended validation (2.23.140.1.1).
    Ev,
    /// No CA/Browser Forum policy OID (private CAs, self-signed certificates).
    Unknown,
}

impl fmt::Display for ValidationLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Dv => "DV (domain validated)",
            Self::Ov => "OV (organization validated)",
            Self::Iv => "IV (individual validated)",
            Self::Ev => "EV (extended validation)",
            Self::Unknown => "unknown (no CA/Browser Forum policy)",
        })
    }
}

/// The highest level the end-entity certificate asserts.
pub(crate) fn level(cert: &Cert<'_>) -> ValidationLevel {
    let mut best = ValidationLevel::Unknown;
    for ext in cert.x509.extensions() {
        let ParsedExtension::CertificatePolicies(policies) = ext.parsed_extension() else {
            continue;
        };
        for p in policies {
            let this = match p.policy_id.to_id_string().as_str() {
                "2.23.140.1.1" => ValidationLevel::Ev,
                "2.23.140.1.2.2" => ValidationLevel::Ov,
                "2.23.140.1.2.3" => ValidationLevel::Iv,
                "2.23.140.1.2.1" => ValidationLevel::Dv,
                _ => continue,
            };
            if rank(this) > rank(best) {
                best = this;
            }
        }
    }
    best
}

fn rank(l: ValidationLevel) -> u8 {
    match l {
        ValidationLevel::Unknown => 0,
        ValidationLevel::Dv => 1,
        ValidationLevel::Iv => 2,
        ValidationLevel::Ov => 3,
        ValidationLevel::Ev => 4,
    }
}
