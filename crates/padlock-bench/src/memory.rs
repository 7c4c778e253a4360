//! `memory`: heap bytes per established connection, and peak RSS beside it.
//!
//! As rustls-bench does: create N clients and N servers, move them in lock-step through the
//! handshake, then exchange 1 KiB each way (client to server, server to client, each read by
//! the application). The heap is then measured with the counting allocator; dropping the
//! clients and then the servers separates the two sides exactly.
//!
//! Each (stack, N) runs in a fresh child process (this binary, `memory-child`), so that its
//! peak RSS is its own and not left over from an earlier benchmark. The certificates are
//! passed to the child on stdin, so both stacks and every N use the same ones.

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use crate::alloc::{heap_bytes, rss_and_peak};
use crate::harness::{transfer, Meter, Wire};
use crate::pki::{Identity, KeyType};
use crate::report::{Better, Figure, Row};
use crate::stacks::{Endpoint, Group, PadlockConfigs, RustlsConfigs, Stack, Suite};
use crate::Settings;

const SUITE: Suite = Suite::Aes128Gcm;
const GROUP: Group = Group::X25519;
const EXCHANGE_LEN: usize = 1024;

/// What one child measured.
#[derive(Clone, Copy, Debug)]
struct Measured {
    client_bytes: f64,
    server_bytes: f64,
    /// Peak RSS growth over the RSS before the first connection, per connection (either side).
    rss_per_conn: f64,
}

fn measure<C: Endpoint, S: Endpoint>(
    n: usize,
    new_client: impl Fn() -> C,
    new_server: impl Fn() -> S,
) -> Measured {
    let mut wire = Wire::new();
    let (mut cm, mut sm) = (Meter::default(), Meter::default());
    let data = [0xa5u8; EXCHANGE_LEN];
    let rss_before = rss_and_peak().map(|(rss, _)| rss).unwrap_or(0);
    let mut clients = Vec::with_capacity(n);
    let mut servers = Vec::with_capacity(n);
    for _ in 0..n {
        servers.push(new_server());
        clients.push(new_client());
    }
    for _step in 0..5 {
        for (c, s) in clients.iter_mut().zip(servers.iter_mut()) {
            transfer(c, &mut cm, s, &mut sm, &mut wire);
            transfer(s, &mut sm, c, &mut cm, &mut wire);
        }
    }
    for (c, s) in clients.iter_mut().zip(servers.iter_mut()) {
        assert!(!c.is_handshaking() && !s.is_handshaking());
        c.write_plain(&data);
        let to_server = transfer(c, &mut cm, s, &mut sm, &mut wire);
        s.write_plain(&data);
        let to_client = transfer(s, &mut sm, c, &mut cm, &mut wire);
        assert_eq!((to_server.plaintext, to_client.plaintext), (1024, 1024));
    }
    let with_both = heap_bytes();
    let peak = rss_and_peak().map(|(_, peak)| peak).unwrap_or(0);
    if std::env::var_os("PADLOCK_BENCH_KEEP_CONNECTIONS").is_some() {
        // For heap profilers (valgrind --tool=dhat): what is live at exit is then exactly
        // what the established connections hold.
        std::mem::forget((clients, servers));
        return Measured {
            client_bytes: 0.0,
            server_bytes: 0.0,
            rss_per_conn: 0.0,
        };
    }
    drop(clients);
    let with_servers = heap_bytes();
    drop(servers);
    let with_none = heap_bytes();
    let n_f = n as f64;
    Measured {
        client_bytes: (with_both - with_servers) as f64 / n_f,
        server_bytes: (with_servers - with_none) as f64 / n_f,
        rss_per_conn: peak.saturating_sub(rss_before) as f64 / (2.0 * n_f),
    }
}

/// The child's entry point: reads the identity from stdin, measures, prints one line.
pub fn child(stack: &str, n: usize) {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .expect("identity on stdin");
    let id = decode_identity(&input);
    let m = match stack {
        "padlock" => {
            let p = PadlockConfigs::new(&id, SUITE, GROUP, false);
            measure(n, || p.new_client(), || p.new_server())
        }
        "rustls" => {
            let r = RustlsConfigs::new(&id, SUITE, GROUP, false);
            measure(n, || r.new_client(), || r.new_server())
        }
        other => panic!("unknown stack {other}"),
    };
    println!("{} {} {}", m.client_bytes, m.server_bytes, m.rss_per_conn);
}

fn run_child(stack: Stack, n: usize, id: &Identity) -> Measured {
    let name = match stack {
        Stack::Padlock => "padlock",
        Stack::Rustls => "rustls",
    };
    let exe = std::env::current_exe().expect("path of this binary");
    let mut child = Command::new(exe)
        .args(["memory-child", name, &n.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the memory child");
    child
        .stdin
        .take()
        .expect("child stdin")
        .write_all(encode_identity(id).as_bytes())
        .expect("send the identity");
    let out = child.wait_with_output().expect("memory child");
    assert!(out.status.success(), "memory child failed: {}", out.status);
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Vec<f64> = text
        .split_whitespace()
        .map(|t| t.parse().expect("a number from the memory child"))
        .collect();
    let [client_bytes, server_bytes, rss_per_conn] = v[..] else {
        panic!("unexpected memory child output: {text:?}");
    };
    Measured {
        client_bytes,
        server_bytes,
        rss_per_conn,
    }
}

pub fn run(settings: &Settings, id: &Identity) -> Vec<Row> {
    let mut rows = Vec::new();
    for &n in &settings.memory_counts {
        let p = run_child(Stack::Padlock, n, id);
        let r = run_child(Stack::Rustls, n, id);
        let params = |what: &str| {
            format!(
                "{what} N={n} {} {} {}",
                id.key_type.label(),
                GROUP.label(),
                SUITE.label()
            )
        };
        rows.push(Row::new(
            "memory",
            params("client heap"),
            Figure::Value(p.client_bytes),
            Figure::Value(r.client_bytes),
            "bytes/conn",
            Better::Lower,
        ));
        rows.push(Row::new(
            "memory",
            params("server heap"),
            Figure::Value(p.server_bytes),
            Figure::Value(r.server_bytes),
            "bytes/conn",
            Better::Lower,
        ));
        rows.push(Row::new(
            "memory",
            params("peak-rss growth"),
            Figure::Value(p.rss_per_conn),
            Figure::Value(r.rss_per_conn),
            "bytes/conn",
            Better::Lower,
        ));
    }
    rows
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2).unwrap_or("zz"), 16).expect("hex"))
        .collect()
}

/// One field per line: key type, root, key, then the chain's certificates, all hex; the PEM
/// forms are rebuilt from them.
fn encode_identity(id: &Identity) -> String {
    let mut lines = vec![
        id.key_type.label().to_string(),
        hex(&id.root),
        hex(&id.key_pkcs8),
    ];
    lines.extend(id.chain.iter().map(|c| hex(c)));
    lines.join("\n")
}

fn decode_identity(text: &str) -> Identity {
    let mut lines = text.lines();
    let key_type = match lines.next() {
        Some("ecdsa-p256") => KeyType::EcdsaP256,
        Some("rsa2048") => KeyType::Rsa2048,
        other => panic!("unknown key type {other:?}"),
    };
    let root = unhex(lines.next().expect("root"));
    let key_pkcs8 = unhex(lines.next().expect("key"));
    let chain: Vec<Vec<u8>> = lines.map(unhex).collect();
    Identity::from_der(key_type, chain, key_pkcs8, root)
}
