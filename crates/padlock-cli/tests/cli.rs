//! The `padlock` binary's own behaviour: `padlock demo` end to end, and how `padlock connect`
//! fails (a closed port, certificates the client cannot trust, unknown names), each in one
//! line on stderr. The servers here are padlock servers in this process; the tests against
//! real peers are in serve.rs.

mod run;

use std::net::TcpListener;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use padlock::{CertifiedKey, Connection, ServerConfig, Stream};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, PKCS_ECDSA_P256_SHA256,
};
use run::{assert_in_order, failure_line, padlock, plain_server, text, TempDir};

#[test]
fn demo_shows_every_handshake_message_in_order_then_a_resumed_0rtt_connection() {
    let out = padlock(&["demo"]);
    let text = text(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_in_order(
        &text,
        &[
            "ClientHello (",
            "offers suites TLS_AES_128_GCM_SHA256",
            "ServerHello (",
            "chooses TLS_",
            "EncryptedExtensions (",
            "Certificate (",
            "CertificateVerify (",
            "Finished (",
            "Finished (",
            "handshake complete",
            "3 flights, 1 round trip",
            "application data",
            "NewSessionTicket (",
            "0-RTT data up to 16384 bytes",
            "close_notify",
            "close_notify",
            // The second connection: resumed, with the GET as 0-RTT data.
            "second connection",
            "ClientHello (",
            "offers a ticket from an earlier connection (pre_shared_key",
            "announces 0-RTT data (early_data)",
            "application data, 0-RTT (",
            "ServerHello (",
            "takes ticket 0 (pre_shared_key)",
            "EncryptedExtensions (",
            "accepts the client's 0-RTT data (early_data)",
            "Finished (",
            "EndOfEarlyData (",
            "Finished (",
            "handshake complete",
            "3 flights, 1 round trip",
            "resumed with a ticket from the first connection; 0-RTT data accepted",
            "application data (",
            "0.5-RTT data",
            "close_notify",
            "close_notify",
            "what changed on the resumed connection:",
            "no Certificate, no CertificateVerify",
            "the ClientHello carried pre_shared_key (the ticket, with a binder) and early_data",
            "EndOfEarlyData ended it",
            "early data accepted: yes",
            "round trips until the response: 2 -> 1",
        ],
    );
    // No certificate in the resumed handshake.
    let second = &text[text.find("second connection").unwrap()..];
    let second = &second[..second.find("what changed").unwrap()];
    assert!(!second.contains("Certificate ("), "{second}");
    assert!(!second.contains("CertificateVerify ("), "{second}");
    // Names, not Debug output of Options.
    assert!(!text.contains("Some("), "{text}");
    // Every message line carries a time since the handshake began.
    for line in text
        .lines()
        .filter(|l| l.contains("bytes)") && l.contains("--"))
    {
        assert!(line.trim_end().ends_with(" ms"), "no time on {line:?}");
    }
}

/// The `message` of each handshake message of a connection (not those after it).
fn handshake_messages(connection: &serde_json::Value) -> Vec<&str> {
    connection["trace"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["after_handshake"] == false)
        .map(|s| s["message"].as_str().unwrap())
        .collect()
}

#[test]
fn demo_json_is_one_object_with_both_connections() {
    // Run with stdout a pipe, as a script would.
    let out = padlock(&["demo", "--json"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(!stdout.contains('\x1b'), "no colour: {stdout}");
    assert_eq!(stdout.lines().count(), 1, "one line: {stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();

    let setup = &json["setup"];
    assert_eq!(setup["ca"]["key"], "ECDSA P-256", "{setup}");
    assert!(setup["ca"]["spki_pin"]
        .as_str()
        .unwrap()
        .starts_with("sha256/"));
    assert_eq!(
        setup["server"]["certificate"]["name"], "localhost",
        "{setup}"
    );
    assert!(setup["server"]["certificate"]["spki_pin"]
        .as_str()
        .unwrap()
        .starts_with("sha256/"));
    assert_ne!(
        setup["ca"]["spki_pin"],
        setup["server"]["certificate"]["spki_pin"]
    );
    assert_eq!(setup["client"]["trusts"][0], setup["ca"]["name"], "{setup}");

    let connections = json["connections"].as_array().unwrap();
    assert_eq!(connections.len(), 2, "{json}");
    let (first, second) = (&connections[0], &connections[1]);
    assert_eq!(
        handshake_messages(first),
        [
            "ClientHello",
            "ServerHello",
            "EncryptedExtensions",
            "Certificate",
            "CertificateVerify",
            "Finished",
            "Finished"
        ],
        "{first}"
    );
    assert_eq!(
        handshake_messages(second),
        [
            "ClientHello",
            "ServerHello",
            "EncryptedExtensions",
            "Finished",
            "EndOfEarlyData",
            "Finished"
        ],
        "{second}"
    );
    for c in connections {
        assert_eq!(c["version"], "TLSv1.3", "{c}");
        assert!(
            c["cipher_suite"].as_str().unwrap().starts_with("TLS_"),
            "{c}"
        );
        assert!(c["group"].is_string(), "{c}");
        assert_eq!(c["alpn"], "http/1.1", "{c}");
        assert_eq!(c["hello_retry"], false, "{c}");
        assert_eq!(c["round_trips"], 1, "{c}");
        assert_eq!(c["flights"], 3, "{c}");
        assert!(c["handshake_ms"].as_f64().unwrap() > 0.0, "{c}");
        for step in c["trace"].as_array().unwrap() {
            assert!(step["bytes"].as_u64().unwrap() > 0, "{step}");
            assert!(step["at_ms"].as_f64().unwrap() >= 0.0, "{step}");
            assert!(["client", "server"].contains(&step["from"].as_str().unwrap()));
        }
        // The server's tickets come after the handshake.
        assert!(c["trace"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["after_handshake"] == true && s["message"] == "NewSessionTicket"));
        assert_eq!(c["response"]["status_line"], "HTTP/1.1 200 OK", "{c}");
        // The request, the response, close_notify both ways.
        let records: Vec<(&str, &str)> = c["application_data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["from"].as_str().unwrap(), r["record"].as_str().unwrap()))
            .collect();
        assert_eq!(
            records,
            [
                ("client", "application_data"),
                ("server", "application_data"),
                ("server", "close_notify"),
                ("client", "close_notify")
            ],
            "{c}"
        );
    }
    assert_eq!(first["resumed"], false, "{first}");
    assert_eq!(first["early_data_accepted"], false, "{first}");
    assert_eq!(second["resumed"], true, "{second}");
    assert_eq!(second["early_data_accepted"], true, "{second}");
    assert!(second["early_data_sent"].as_u64().unwrap() > 0, "{second}");
    assert_eq!(
        second["application_data"][0]["early_data"], true,
        "{second}"
    );
    assert_eq!(second["response"]["half_rtt"], true, "{second}");
    assert!(second["peer_certificates"].as_array().unwrap().is_empty());

    let changed = &json["what_changed"];
    assert_eq!(changed["resumed"], true, "{changed}");
    assert_eq!(
        changed["certificate_sent"],
        serde_json::json!([true, false])
    );
    assert_eq!(
        changed["client_hello_extensions_added"],
        serde_json::json!(["pre_shared_key", "early_data"])
    );
    assert_eq!(changed["early_data_accepted"], true, "{changed}");
    assert_eq!(
        changed["round_trips_to_response"],
        serde_json::json!([2, 1])
    );
    let bytes = changed["handshake_bytes"].as_array().unwrap();
    assert!(
        bytes[0].as_u64().unwrap() > bytes[1].as_u64().unwrap(),
        "{changed}"
    );
}

#[test]
fn connect_to_a_closed_port_says_so_in_one_line() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let target = format!("127.0.0.1:{port}");
    let out = padlock(&["connect", &target]);
    let line = failure_line(&out);
    assert_eq!(
        line,
        format!(
            "padlock: TCP connection to {target} failed: connection refused: nothing is listening on that port"
        )
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn connect_to_a_server_that_hangs_up_says_so_in_one_line() {
    let (port, server) = plain_server(b"");
    let out = padlock(&["connect", &format!("127.0.0.1:{port}")]);
    server.join().unwrap();
    assert_eq!(
        failure_line(&out),
        format!(
            "padlock: TLS handshake with 127.0.0.1:{port} failed: the server closed the connection \
             during the handshake (it may not support TLS 1.3, or not speak TLS on this port)"
        )
    );
}

#[test]
fn connect_to_a_plain_http_port_says_it_is_not_tls() {
    let (port, server) = plain_server(b"HTTP/1.1 400 Bad Request\r\n\r\n");
    let out = padlock(&["connect", &format!("127.0.0.1:{port}")]);
    server.join().unwrap();
    let line = failure_line(&out);
    assert!(
        line.ends_with(
            "the server does not speak TLS on this port: it answered in plain text starting \
             with 'H' (it looks like HTTP: is this the HTTPS port?)"
        ),
        "{line}"
    );
}

#[test]
fn unknown_group_lists_the_valid_names() {
    let out = padlock(&["connect", "127.0.0.1:1", "--group", "X448"]);
    let line = failure_line(&out);
    assert!(line.contains("unknown group \"X448\""), "{line}");
    for name in [
        "X25519MLKEM768",
        "X25519",
        "secp256r1",
        "P-256",
        "secp384r1",
        "P-384",
    ] {
        assert!(line.contains(name), "{name} missing from {line}");
    }
}

#[test]
fn unknown_suite_lists_the_valid_names() {
    let out = padlock(&[
        "connect",
        "127.0.0.1:1",
        "--suite",
        "TLS_AES_128_CCM_SHA256",
    ]);
    let line = failure_line(&out);
    assert!(
        line.contains("unknown cipher suite \"TLS_AES_128_CCM_SHA256\""),
        "{line}"
    );
    for name in [
        "TLS_AES_128_GCM_SHA256",
        "TLS_AES_256_GCM_SHA384",
        "TLS_CHACHA20_POLY1305_SHA256",
    ] {
        assert!(line.contains(name), "{name} missing from {line}");
    }
}

/// A certificate authority made for one test.
struct Ca {
    params: CertificateParams,
    key: KeyPair,
    pem: String,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let pem = params.self_signed(&key).unwrap().pem();
        Ca { params, key, pem }
    }

    /// A leaf for `names`, as (chain PEM, key PEM).
    fn issue(self, names: &[&str], edit: impl FnOnce(&mut CertificateParams)) -> (String, String) {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, names.first().copied().unwrap_or("leaf"));
        // padlock-cert requires an authorityKeyIdentifier on end entities (RFC 5280 §4.2.1.1).
        params.use_authority_key_identifier_extension = true;
        edit(&mut params);
        let issuer = Issuer::new(self.params, self.key);
        let leaf = params.signed_by(&key, &issuer).unwrap();
        (format!("{}{}", leaf.pem(), self.pem), key.serialize_pem())
    }
}

/// A padlock server on a free loopback port that takes one connection and runs its
/// handshake (which the client is expected to abort).
fn serve_once(chain_pem: &str, key_pem: &str) -> (u16, JoinHandle<()>) {
    let key = CertifiedKey::from_pem(chain_pem.as_bytes(), key_pem.as_bytes()).unwrap();
    let config = Arc::new(ServerConfig::with_single_cert(key).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut tls = Stream::new(Connection::server(config).unwrap(), tcp);
        let _ = tls.handshake();
    });
    (port, server)
}

/// `padlock connect` to a server presenting `chain_pem`, expected to fail: its one line.
fn connect_failure(chain_pem: &str, key_pem: &str, args: &[&str]) -> String {
    let (port, server) = serve_once(chain_pem, key_pem);
    let target = format!("127.0.0.1:{port}");
    let mut all = vec!["connect", &target, "--servername", "localhost"];
    all.extend_from_slice(args);
    let out = padlock(&all);
    server.join().unwrap();
    let line = failure_line(&out);
    let prefix = format!("padlock: TLS handshake with {target} failed: ");
    assert!(line.starts_with(&prefix), "{line}");
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    line
}

#[test]
fn connect_to_an_untrusted_server_names_the_problem_and_the_fix() {
    // Issued by a CA that is not among the Mozilla roots `connect` trusts by default; the
    // server sends that root along with its certificate.
    let (chain, key) = Ca::new("padlock test CA").issue(&["localhost"], |_| {});
    let line = connect_failure(&chain, &key, &[]);
    assert!(
        line.contains(
            "The chain ends at the self-signed root CN=padlock test CA, which is not in the trust store."
        ),
        "{line}"
    );
    assert!(
        line.contains(" Fix: Add CN=padlock test CA to the trust store"),
        "{line}"
    );
}

#[test]
fn connect_with_the_wrong_name_says_which_names_the_certificate_covers() {
    let ca = Ca::new("padlock test CA");
    let dir = TempDir::new();
    let ca_file = dir.0.join("ca.pem");
    std::fs::write(&ca_file, &ca.pem).unwrap();
    let (chain, key) = ca.issue(&["other.test"], |_| {});
    let line = connect_failure(&chain, &key, &["--ca", ca_file.to_str().unwrap()]);
    assert!(
        line.contains("The certificate is not valid for localhost; it covers only other.test."),
        "{line}"
    );
    assert!(
        line.contains(" Fix: Connect using a name the certificate covers"),
        "{line}"
    );
}

#[test]
fn connect_to_a_server_with_an_expired_certificate_says_when_it_expired() {
    let ca = Ca::new("padlock test CA");
    let dir = TempDir::new();
    let ca_file = dir.0.join("ca.pem");
    std::fs::write(&ca_file, &ca.pem).unwrap();
    let (chain, key) = ca.issue(&["localhost"], |p| {
        p.not_before = rcgen::date_time_ymd(2020, 1, 1);
        p.not_after = rcgen::date_time_ymd(2021, 1, 1);
    });
    let line = connect_failure(&chain, &key, &["--ca", ca_file.to_str().unwrap()]);
    assert!(line.contains("expired on 2021-01-01"), "{line}");
    assert!(line.contains(" Fix: Renew the certificate"), "{line}");
}
