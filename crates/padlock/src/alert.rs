//! The alert protocol's wire format (RFC 8446 §6).

use crate::codec::{wire_enum, DecodeError, Reader};

wire_enum! {
    /// The legacy severity field. RFC 8446 §6: in TLS 1.3 the severity is
    /// implied by the description and "the level field can safely be
    /// ignored", so unknown levels decode rather than fail.
    AlertLevel(u8) {
        WARNING = 1 => "warning",
        FATAL = 2 => "fatal",
    }
}

wire_enum! {
    /// An alert description (RFC 8446 §6, plus a few legacy TLS 1.2 values
    /// so peers' alerts print by name). Unknown values must be treated as
    /// errors (RFC 8446 §6).
    AlertDescription(u8) {
        CLOSE_NOTIFY = 0 => "close_notify",
        UNEXPECTED_MESSAGE = 10 => "unexpected_message",
        BAD_RECORD_MAC = 20 => "bad_record_mac",
        DECRYPTION_FAILED = 21 => "decryption_failed_RESERVED",
        RECORD_OVERFLOW = 22 => "record_overflow",
        DECOMPRESSION_FAILURE = 30 => "decompression_failure_RESERVED",
        HANDSHAKE_FAILURE = 40 => "handshake_failure",
        NO_CERTIFICATE = 41 => "no_certificate_RESERVED",
        BAD_CERTIFICATE = 42 => "bad_certificate",
        UNSUPPORTED_CERTIFICATE = 43 => "unsupported_certificate",
        CERTIFICATE_REVOKED = 44 => "certificate_revoked",
        CERTIFICATE_EXPIRED = 45 => "certificate_expired",
        CERTIFICATE_UNKNOWN = 46 => "certificate_unknown",
        ILLEGAL_PARAMETER = 47 => "illegal_parameter",
        UNKNOWN_CA = 48 => "unknown_ca",
        ACCESS_DENIED = 49 => "access_denied",
        DECODE_ERROR = 50 => "decode_error",
        DECRYPT_ERROR = 51 => "decrypt_error",
        EXPORT_RESTRICTION = 60 => "export_restriction_RESERVED",
        PROTOCOL_VERSION = 70 => "protocol_version",
        INSUFFICIENT_SECURITY = 71 => "insufficient_security",
        INTERNAL_ERROR = 80 => "internal_error",
        INAPPROPRIATE_FALLBACK = 86 => "inappropriate_fallback",
        USER_CANCELED = 90 => "user_canceled",
        NO_RENEGOTIATION = 100 => "no_renegotiation_RESERVED",
        MISSING_EXTENSION = 109 => "missing_extension",
        UNSUPPORTED_EXTENSION = 110 => "unsupported_extension",
        CERTIFICATE_UNOBTAINABLE = 111 => "certificate_unobtainable_RESERVED",
        UNRECOGNIZED_NAME = 112 => "unrecognized_name",
        BAD_CERTIFICATE_STATUS_RESPONSE = 113 => "bad_certificate_status_response",
        BAD_CERTIFICATE_HASH_VALUE = 114 => "bad_certificate_hash_value_RESERVED",
        UNKNOWN_PSK_IDENTITY = 115 => "unknown_psk_identity",
        CERTIFICATE_REQUIRED = 116 => "certificate_required",
        NO_APPLICATION_PROTOCOL = 120 => "no_application_protocol",
        ECH_REQUIRED = 121 => "ech_required",
    }
}

impl AlertDescription {
    /// Closure alerts (RFC 8446 §6.1); everything else, including unknown
    /// descriptions, is an error alert (RFC 8446 §6).
    pub fn is_closure(self) -> bool {
        self == Self::CLOSE_NOTIFY || self == Self::USER_CANCELED
    }
}

/// One alert message: `struct { AlertLevel level; AlertDescription description; }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Alert {
    /// Legacy severity; RFC 8446 §6 requires `fatal` for every error alert.
    pub level: AlertLevel,
    /// What happened.
    pub description: AlertDescription,
}

impl Alert {
    /// A fatal alert, as RFC 8446 §6.2 requires for all error alerts.
    pub fn fatal(description: AlertDescription) -> Self {
        Self {
            level: AlertLevel::FATAL,
            description,
        }
    }

    /// The two wire bytes.
    pub fn encode(&self) -> [u8; 2] {
        [self.level.0, self.description.0]
    }

    /// Parses exactly two bytes (the record layer hands us one alert per
    /// record; RFC 8446 §5.1 forbids fragmenting alerts).
    pub fn decode(bytes: &[u8]) -> Result<Alert, DecodeError> {
        let mut r = Reader::new(bytes);
        r.at("alert");
        let level = AlertLevel::read(&mut r)?;
        let description = AlertDescription::read(&mut r)?;
        r.finish("alert")?;
        Ok(Alert { level, description })
    }
}

impl std::fmt::Display for Alert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} alert {}", self.level, self.description)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let a = Alert::fatal(AlertDescription::HANDSHAKE_FAILURE);
        assert_eq!(a.encode(), [2, 40]);
        assert_eq!(Alert::decode(&a.encode()).unwrap(), a);
        assert_eq!(Alert::decode(&[7, 200]).unwrap().description.0, 200);
    }

    #[test]
    fn exact_length() {
        assert!(Alert::decode(&[]).is_err());
        assert!(Alert::decode(&[2]).is_err());
        assert!(Alert::decode(&[2, 40, 0]).is_err());
    }

    #[test]
    fn names() {
        assert_eq!(
            format!("{:?}", AlertDescription::HANDSHAKE_FAILURE),
            "handshake_failure"
        );
        assert_eq!(
            AlertDescription::CERTIFICATE_REQUIRED.to_string(),
            "certificate_required"
        );
        assert_eq!(
            format!("{:?}", AlertDescription(3)),
            "AlertDescription(0x03)"
        );
        assert_eq!(
            Alert::fatal(AlertDescription::DECODE_ERROR).to_string(),
            "fatal alert decode_error"
        );
        assert!(AlertDescription::USER_CANCELED.is_closure());
        assert!(!AlertDescription(3).is_closure());
    }
}
