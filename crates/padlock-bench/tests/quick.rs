//! `padlock-bench all --quick` runs and prints every row, well formed. Nothing about speed is
//! asserted: this only proves the benchmark works (CI runs it in debug builds on a shared
//! machine, where figures mean nothing).

use std::process::Command;

/// Every row `all` must print, by its first two fields' prefixes.
const EXPECTED: &[(&str, &str)] = &[
    ("handshake", "client ecdsa-p256 X25519 "),
    ("handshake", "server ecdsa-p256 X25519 "),
    ("handshake", "client ecdsa-p256 X25519MLKEM768 "),
    ("handshake", "server ecdsa-p256 X25519MLKEM768 "),
    ("handshake", "client rsa2048 X25519 "),
    ("handshake", "server rsa2048 X25519 "),
    ("handshake", "client rsa2048 X25519MLKEM768 "),
    ("handshake", "server rsa2048 X25519MLKEM768 "),
    ("floor", "kx X25519 "),
    ("floor", "kx X25519MLKEM768 client"),
    ("floor", "kx X25519MLKEM768 server"),
    ("floor", "hkdf "),
    ("floor", "sign ecdsa-p256"),
    ("floor", "verify ecdsa-p256"),
    ("floor", "sign rsa2048"),
    ("floor", "verify rsa2048 pss"),
    ("floor", "verify rsa2048 pkcs1"),
    ("floor", "handshake client ecdsa-p256 X25519 "),
    ("floor", "handshake server rsa2048 X25519MLKEM768 "),
    ("handshake-vs-floor", "client ecdsa-p256 X25519"),
    ("handshake-vs-floor", "server rsa2048 X25519MLKEM768"),
    ("handshake-above-floor", "client ecdsa-p256 X25519"),
    ("handshake-above-floor", "server rsa2048 X25519MLKEM768"),
    ("handshake-1.10x-budget", "client ecdsa-p256 X25519"),
    ("handshake-1.10x-budget", "server rsa2048 X25519MLKEM768"),
    ("floor", "transcript hash ecdsa-p256 X25519 "),
    ("floor", "records rsa2048 X25519MLKEM768"),
    ("allocs", "handshake client ecdsa-p256 X25519"),
    ("cert-verify", "client chain ecdsa-p256"),
    ("cert-verify", "client chain rsa2048"),
    ("resume", "client ecdsa-p256 X25519 "),
    ("resume", "server ecdsa-p256 X25519 "),
    ("resume", "client ecdsa-p256 X25519MLKEM768 "),
    ("resume", "server ecdsa-p256 X25519MLKEM768 "),
    ("allocs", "resume client ecdsa-p256 X25519 "),
    ("allocs", "resume server ecdsa-p256 X25519MLKEM768 "),
    ("bulk", "send TLS_AES_128_GCM_SHA256 "),
    ("bulk", "send+wire TLS_AES_128_GCM_SHA256 "),
    ("bulk", "recv TLS_AES_128_GCM_SHA256 "),
    ("bulk", "send TLS_AES_256_GCM_SHA384 "),
    ("bulk", "recv TLS_AES_256_GCM_SHA384 "),
    ("bulk", "send TLS_CHACHA20_POLY1305_SHA256 "),
    ("bulk", "recv TLS_CHACHA20_POLY1305_SHA256 "),
    ("bulk", "recv-inplace TLS_AES_128_GCM_SHA256 "),
    ("bulk", "recv-inplace TLS_CHACHA20_POLY1305_SHA256 "),
    ("floor", "aead seal TLS_AES_128_GCM_SHA256"),
    ("floor", "aead open TLS_CHACHA20_POLY1305_SHA256"),
    ("bulk-vs-floor", "send TLS_AES_128_GCM_SHA256"),
    ("bulk-vs-floor", "recv TLS_CHACHA20_POLY1305_SHA256"),
    ("bulk-vs-floor", "recv-inplace TLS_AES_128_GCM_SHA256"),
    ("allocs", "bulk send+wire TLS_AES_128_GCM_SHA256"),
    ("memory", "client heap N=20 "),
    ("memory", "server heap N=20 "),
    ("memory", "peak-rss growth N=20 "),
    ("memory", "client heap N=100 "),
    ("memory", "server heap N=100 "),
    ("memory", "peak-rss growth N=100 "),
];

fn is_figure(field: &str) -> bool {
    field == "n/a" || field == "-" || field.parse::<f64>().is_ok_and(|v| v.is_finite())
}

fn is_ratio(field: &str) -> bool {
    is_figure(field) || field == "inf"
}

#[test]
fn quick_run_prints_every_row() {
    let out = Command::new(env!("CARGO_BIN_EXE_padlock-bench"))
        .args(["all", "--quick"])
        .output()
        .expect("run padlock-bench");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "padlock-bench failed: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );

    let rows: Vec<Vec<&str>> = stdout
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split('\t').collect())
        .collect();
    for row in &rows {
        assert_eq!(row.len(), 6, "six TSV fields: {row:?}");
        for field in &row[2..4] {
            assert!(is_figure(field), "not a figure: {field:?} in {row:?}");
        }
        assert!(is_ratio(row[5]), "not a ratio: {:?} in {row:?}", row[5]);
        // A measured pair has a ratio; a floor row and a budget have one figure.
        match row[0] {
            "floor" | "handshake-1.10x-budget" => {
                assert!(row[2].parse::<f64>().is_ok(), "{row:?}");
                assert_eq!((row[3], row[5]), ("-", "-"), "{row:?}");
            }
            _ => {
                assert!(row[2].parse::<f64>().is_ok(), "{row:?}");
                assert!(row[3].parse::<f64>().is_ok(), "{row:?}");
            }
        }
    }
    for (bench, prefix) in EXPECTED {
        assert!(
            rows.iter()
                .any(|r| r[0] == *bench && r[1].starts_with(prefix)),
            "missing row {bench} {prefix}...\n{stdout}"
        );
    }
}
