//! Our names for suites and groups (IANA, RFC 8446 §B.4 and §4.2.7) in each peer's spelling.
//! Unknown or unsupported names panic: a test asking a peer for something it cannot do is a
//! bug in the test, not a reason to skip.

/// The three TLS 1.3 cipher suites padlock implements (RFC 8446 §B.4), IANA names.
pub const SUITES: [&str; 3] = [
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
];

/// The classic ECDHE groups every peer on the machine speaks (RFC 8446 §4.2.7 names).
/// X25519MLKEM768 is not here: OpenSSL 3.0 and GnuTLS 3.7 lack it (use rustls or Go).
pub const GROUPS: [&str; 3] = ["X25519", "secp256r1", "secp384r1"];

/// The canonical name of a group, accepting the `P-256`/`P-384` aliases.
pub fn canonical_group(group: &str) -> &'static str {
    match group {
        "X25519" | "x25519" => "X25519",
        "secp256r1" | "P-256" | "prime256v1" => "secp256r1",
        "secp384r1" | "P-384" => "secp384r1",
        "X25519MLKEM768" => "X25519MLKEM768",
        other => panic!("unknown group name {other:?}"),
    }
}

fn known_suite(suite: &str) -> &'static str {
    SUITES
        .into_iter()
        .find(|s| *s == suite)
        .unwrap_or_else(|| panic!("unknown TLS 1.3 suite name {suite:?}"))
}

/// OpenSSL's `-ciphersuites` name (OpenSSL uses the IANA names for TLS 1.3).
pub fn openssl_suite(suite: &str) -> &'static str {
    known_suite(suite)
}

/// OpenSSL's `-groups` / curl's `--curves` name.
pub fn openssl_group(group: &str) -> &'static str {
    match canonical_group(group) {
        "X25519" => "X25519",
        "secp256r1" => "P-256",
        "secp384r1" => "P-384",
        other => panic!("OpenSSL 3.0 does not support group {other}"),
    }
}

/// GnuTLS priority token enabling the suite's AEAD, e.g. `+AES-128-GCM`.
pub fn gnutls_cipher(suite: &str) -> &'static str {
    match known_suite(suite) {
        "TLS_AES_128_GCM_SHA256" => "+AES-128-GCM",
        "TLS_AES_256_GCM_SHA384" => "+AES-256-GCM",
        _ => "+CHACHA20-POLY1305",
    }
}

/// GnuTLS priority token enabling the group, e.g. `+GROUP-X25519`.
pub fn gnutls_group(group: &str) -> &'static str {
    match canonical_group(group) {
        "X25519" => "+GROUP-X25519",
        "secp256r1" => "+GROUP-SECP256R1",
        "secp384r1" => "+GROUP-SECP384R1",
        other => panic!("GnuTLS 3.7 does not support group {other}"),
    }
}

/// A GnuTLS priority string for TLS 1.3 only with exactly these suites and groups, in order
/// (an empty list keeps GnuTLS's defaults for that part). A gnutls-cli sends key shares for
/// the first two groups listed.
pub fn gnutls_priority(suites: &[&str], groups: &[&str]) -> String {
    let mut priority = String::from("NORMAL:-VERS-ALL:+VERS-TLS1.3");
    if !suites.is_empty() {
        priority.push_str(":-CIPHER-ALL");
        for suite in suites {
            priority.push(':');
            priority.push_str(gnutls_cipher(suite));
        }
    }
    if !groups.is_empty() {
        priority.push_str(":-GROUP-ALL");
        for group in groups {
            priority.push(':');
            priority.push_str(gnutls_group(group));
        }
    }
    priority
}

/// OpenSSL s_client/s_server arguments for TLS 1.3 only with exactly this suite and these
/// groups (in preference order).
pub fn openssl_tls13_args(suite: &str, groups: &[&str]) -> Vec<String> {
    let groups: Vec<&str> = groups.iter().map(|g| openssl_group(g)).collect();
    vec![
        "-tls1_3".into(),
        "-ciphersuites".into(),
        openssl_suite(suite).into(),
        "-groups".into(),
        groups.join(":"),
    ]
}

/// curl arguments for TLS 1.3 only with exactly this suite and these groups.
pub fn curl_tls13_args(suite: &str, groups: &[&str]) -> Vec<String> {
    let groups: Vec<&str> = groups.iter().map(|g| openssl_group(g)).collect();
    vec![
        "--tlsv1.3".into(),
        "--tls-max".into(),
        "1.3".into(),
        "--tls13-ciphers".into(),
        openssl_suite(suite).into(),
        "--curves".into(),
        groups.join(":"),
    ]
}

/// Borrows a `Vec<String>` as the `&[&str]` the builders take.
pub fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// Owned copies of `args`, to extend an argument list built as `Vec<String>`.
pub fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}
