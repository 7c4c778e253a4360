//! Wire enums of the handshake (RFC 8446 §4, §B.3, and the IANA TLS
//! registries). Newtypes keep unknown values intact: a peer's GREASE or
//! future values must decode and be ignored, not rejected.

use crate::codec::wire_enum;

wire_enum! {
    /// `ProtocolVersion` (RFC 8446 §4.1.2, §4.2.1).
    ProtocolVersion(u16) {
        SSL3 = 0x0300 => "SSLv3",
        TLS1_0 = 0x0301 => "TLSv1.0",
        TLS1_1 = 0x0302 => "TLSv1.1",
        TLS1_2 = 0x0303 => "TLSv1.2",
        TLS1_3 = 0x0304 => "TLSv1.3",
    }
}

wire_enum! {
    /// `CipherSuite` (RFC 8446 §B.4), plus common TLS 1.2 suites and
    /// signalling values so a legacy peer's offer prints readably.
    CipherSuiteId(u16) {
        TLS_AES_128_GCM_SHA256 = 0x1301 => "TLS_AES_128_GCM_SHA256",
        TLS_AES_256_GCM_SHA384 = 0x1302 => "TLS_AES_256_GCM_SHA384",
        TLS_CHACHA20_POLY1305_SHA256 = 0x1303 => "TLS_CHACHA20_POLY1305_SHA256",
        TLS_AES_128_CCM_SHA256 = 0x1304 => "TLS_AES_128_CCM_SHA256",
        TLS_AES_128_CCM_8_SHA256 = 0x1305 => "TLS_AES_128_CCM_8_SHA256",
        TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff => "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
        TLS_FALLBACK_SCSV = 0x5600 => "TLS_FALLBACK_SCSV",
        TLS_RSA_WITH_AES_128_CBC_SHA = 0x002f => "TLS_RSA_WITH_AES_128_CBC_SHA",
        TLS_RSA_WITH_AES_256_CBC_SHA = 0x0035 => "TLS_RSA_WITH_AES_256_CBC_SHA",
        TLS_RSA_WITH_AES_128_GCM_SHA256 = 0x009c => "TLS_RSA_WITH_AES_128_GCM_SHA256",
        TLS_RSA_WITH_AES_256_GCM_SHA384 = 0x009d => "TLS_RSA_WITH_AES_256_GCM_SHA384",
        TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA = 0xc009 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA = 0xc00a => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA = 0xc013 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA = 0xc014 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = 0xc02b => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 = 0xc02c => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = 0xc02f => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 = 0xc030 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca8 => "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca9 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    }
}

impl CipherSuiteId {
    /// True for the suites RFC 8446 §B.4 defines for TLS 1.3.
    pub fn is_tls13(self) -> bool {
        (0x1301..=0x1305).contains(&self.0)
    }
}

wire_enum! {
    /// `NamedGroup` (RFC 8446 §4.2.7; hybrids from
    /// draft-ietf-tls-ecdhe-mlkem, pure ML-KEM from draft-ietf-tls-mlkem).
    NamedGroup(u16) {
        SECP256R1 = 0x0017 => "secp256r1",
        SECP384R1 = 0x0018 => "secp384r1",
        SECP521R1 = 0x0019 => "secp521r1",
        X25519 = 0x001d => "x25519",
        X448 = 0x001e => "x448",
        FFDHE2048 = 0x0100 => "ffdhe2048",
        FFDHE3072 = 0x0101 => "ffdhe3072",
        FFDHE4096 = 0x0102 => "ffdhe4096",
        FFDHE6144 = 0x0103 => "ffdhe6144",
        FFDHE8192 = 0x0104 => "ffdhe8192",
        MLKEM512 = 0x0200 => "MLKEM512",
        MLKEM768 = 0x0201 => "MLKEM768",
        MLKEM1024 = 0x0202 => "MLKEM1024",
        SECP256R1MLKEM768 = 0x11eb => "SecP256r1MLKEM768",
        X25519MLKEM768 = 0x11ec => "X25519MLKEM768",
        SECP384R1MLKEM1024 = 0x11ed => "SecP384r1MLKEM1024",
    }
}

wire_enum! {
    /// `SignatureScheme` (RFC 8446 §4.2.3).
    SignatureScheme(u16) {
        RSA_PKCS1_SHA256 = 0x0401 => "rsa_pkcs1_sha256",
        RSA_PKCS1_SHA384 = 0x0501 => "rsa_pkcs1_sha384",
        RSA_PKCS1_SHA512 = 0x0601 => "rsa_pkcs1_sha512",
        ECDSA_SECP256R1_SHA256 = 0x0403 => "ecdsa_secp256r1_sha256",
        ECDSA_SECP384R1_SHA384 = 0x0503 => "ecdsa_secp384r1_sha384",
        ECDSA_SECP521R1_SHA512 = 0x0603 => "ecdsa_secp521r1_sha512",
        RSA_PSS_RSAE_SHA256 = 0x0804 => "rsa_pss_rsae_sha256",
        RSA_PSS_RSAE_SHA384 = 0x0805 => "rsa_pss_rsae_sha384",
        RSA_PSS_RSAE_SHA512 = 0x0806 => "rsa_pss_rsae_sha512",
        ED25519 = 0x0807 => "ed25519",
        ED448 = 0x0808 => "ed448",
        RSA_PSS_PSS_SHA256 = 0x0809 => "rsa_pss_pss_sha256",
        RSA_PSS_PSS_SHA384 = 0x080a => "rsa_pss_pss_sha384",
        RSA_PSS_PSS_SHA512 = 0x080b => "rsa_pss_pss_sha512",
        RSA_PKCS1_SHA1 = 0x0201 => "rsa_pkcs1_sha1",
        ECDSA_SHA1 = 0x0203 => "ecdsa_sha1",
    }
}

wire_enum! {
    /// `ExtensionType` (RFC 8446 §4.2 and the IANA registry).
    ExtensionType(u16) {
        SERVER_NAME = 0 => "server_name",
        MAX_FRAGMENT_LENGTH = 1 => "max_fragment_length",
        STATUS_REQUEST = 5 => "status_request",
        SUPPORTED_GROUPS = 10 => "supported_groups",
        EC_POINT_FORMATS = 11 => "ec_point_formats",
        SIGNATURE_ALGORITHMS = 13 => "signature_algorithms",
        USE_SRTP = 14 => "use_srtp",
        HEARTBEAT = 15 => "heartbeat",
        ALPN = 16 => "application_layer_protocol_negotiation",
        SIGNED_CERTIFICATE_TIMESTAMP = 18 => "signed_certificate_timestamp",
        CLIENT_CERTIFICATE_TYPE = 19 => "client_certificate_type",
        SERVER_CERTIFICATE_TYPE = 20 => "server_certificate_type",
        PADDING = 21 => "padding",
        ENCRYPT_THEN_MAC = 22 => "encrypt_then_mac",
        EXTENDED_MASTER_SECRET = 23 => "extended_master_secret",
        COMPRESS_CERTIFICATE = 27 => "compress_certificate",
        RECORD_SIZE_LIMIT = 28 => "record_size_limit",
        SESSION_TICKET = 35 => "session_ticket",
        PRE_SHARED_KEY = 41 => "pre_shared_key",
        EARLY_DATA = 42 => "early_data",
        SUPPORTED_VERSIONS = 43 => "supported_versions",
        COOKIE = 44 => "cookie",
        PSK_KEY_EXCHANGE_MODES = 45 => "psk_key_exchange_modes",
        CERTIFICATE_AUTHORITIES = 47 => "certificate_authorities",
        OID_FILTERS = 48 => "oid_filters",
        POST_HANDSHAKE_AUTH = 49 => "post_handshake_auth",
        SIGNATURE_ALGORITHMS_CERT = 50 => "signature_algorithms_cert",
        KEY_SHARE = 51 => "key_share",
        ENCRYPTED_CLIENT_HELLO = 0xfe0d => "encrypted_client_hello",
        RENEGOTIATION_INFO = 0xff01 => "renegotiation_info",
    }
}

wire_enum! {
    /// `HandshakeType` (RFC 8446 §4, plus TLS 1.2 types so they print).
    HandshakeType(u8) {
        HELLO_REQUEST = 0 => "hello_request_RESERVED",
        CLIENT_HELLO = 1 => "client_hello",
        SERVER_HELLO = 2 => "server_hello",
        HELLO_VERIFY_REQUEST = 3 => "hello_verify_request_RESERVED",
        NEW_SESSION_TICKET = 4 => "new_session_ticket",
        END_OF_EARLY_DATA = 5 => "end_of_early_data",
        HELLO_RETRY_REQUEST = 6 => "hello_retry_request_RESERVED",
        ENCRYPTED_EXTENSIONS = 8 => "encrypted_extensions",
        CERTIFICATE = 11 => "certificate",
        SERVER_KEY_EXCHANGE = 12 => "server_key_exchange_RESERVED",
        CERTIFICATE_REQUEST = 13 => "certificate_request",
        SERVER_HELLO_DONE = 14 => "server_hello_done_RESERVED",
        CERTIFICATE_VERIFY = 15 => "certificate_verify",
        CLIENT_KEY_EXCHANGE = 16 => "client_key_exchange_RESERVED",
        FINISHED = 20 => "finished",
        CERTIFICATE_URL = 21 => "certificate_url_RESERVED",
        CERTIFICATE_STATUS = 22 => "certificate_status_RESERVED",
        SUPPLEMENTAL_DATA = 23 => "supplemental_data_RESERVED",
        KEY_UPDATE = 24 => "key_update",
        COMPRESSED_CERTIFICATE = 25 => "compressed_certificate",
        MESSAGE_HASH = 254 => "message_hash",
    }
}

wire_enum! {
    /// `PskKeyExchangeMode` (RFC 8446 §4.2.9).
    PskKeyExchangeMode(u8) {
        PSK_KE = 0 => "psk_ke",
        PSK_DHE_KE = 1 => "psk_dhe_ke",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_names() {
        assert_eq!(format!("{:?}", NamedGroup::X25519), "x25519");
        assert_eq!(format!("{:?}", NamedGroup(0x0a0a)), "NamedGroup(0x0a0a)");
        assert_eq!(format!("{:?}", HandshakeType(99)), "HandshakeType(0x63)");
        assert_eq!(
            CipherSuiteId::TLS_AES_256_GCM_SHA384.to_string(),
            "TLS_AES_256_GCM_SHA384"
        );
        assert_eq!(
            format!("{:?}", SignatureScheme::RSA_PSS_RSAE_SHA256),
            "rsa_pss_rsae_sha256"
        );
        assert_eq!(
            format!("{:?}", ExtensionType::ALPN),
            "application_layer_protocol_negotiation"
        );
        assert_eq!(format!("{:?}", ProtocolVersion::TLS1_3), "TLSv1.3");
        assert_eq!(
            format!("{:?}", PskKeyExchangeMode::PSK_DHE_KE),
            "psk_dhe_ke"
        );
        assert!(CipherSuiteId::TLS_CHACHA20_POLY1305_SHA256.is_tls13());
        assert!(!CipherSuiteId::TLS_FALLBACK_SCSV.is_tls13());
    }
}
