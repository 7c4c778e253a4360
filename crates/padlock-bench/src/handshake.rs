//! `handshake` and `resume`: handshakes per second, client side and server side.
//!
//! A round is: each side constructs its connection, the flights go back and forth until both
//! are idle, each side drops its connection. Only rounds of the intended shape count (full
//! without HelloRetryRequest; or resumed), as in rustls-bench.

use crate::harness::{complete_handshake, interleaved, Sides, Wire};
use crate::pki::Identity;
use crate::report::{Better, Figure, Row};
use crate::stacks::{same_suite, Endpoint, Group, PadlockConfigs, RustlsConfigs, Suite};
use crate::Settings;

/// The suite of every handshake row: the one every TLS 1.3 peer has (RFC 8446 §9.1).
pub const SUITE: Suite = Suite::Aes128Gcm;

/// One handshake configuration's measurements, kept for the floor comparison.
pub struct Measured {
    pub key: &'static str,
    pub group: Group,
    pub rounds: u64,
    pub padlock: Sides,
    pub rustls: Sides,
}

impl Measured {
    /// (client, server) handshakes per second of padlock and of rustls.
    pub fn rates(&self) -> ((f64, f64), (f64, f64)) {
        let r = self.rounds as f64;
        (
            (
                r / self.padlock.client.secs(),
                r / self.padlock.server.secs(),
            ),
            (r / self.rustls.client.secs(), r / self.rustls.server.secs()),
        )
    }
}

/// Runs `n` rounds of one stack; returns the time and allocations of each side.
fn rounds<C: Endpoint, S: Endpoint>(
    n: u64,
    resumed: bool,
    new_client: impl Fn() -> C,
    new_server: impl Fn() -> S,
    wire: &mut Wire,
) -> Sides {
    let mut total = Sides::default();
    let mut done = 0;
    let mut attempts = 0u64;
    while done < n {
        attempts += 1;
        assert!(
            attempts <= 2 * n + 16,
            "handshakes do not take the intended shape (resumed: {resumed})"
        );
        let mut round = Sides::default();
        let mut client = round.client.run(&new_client);
        let mut server = round.server.run(&new_server);
        complete_handshake(&mut client, &mut server, &mut round, wire);
        let counts = client.had_shape(resumed) && server.had_shape(resumed);
        round.client.run(|| drop(client));
        round.server.run(|| drop(server));
        if counts {
            total.add(round);
            done += 1;
        }
    }
    total
}

/// One handshake with each stack, to check that the configuration negotiates what the row
/// says (a silent HelloRetryRequest or another suite would make the row a lie).
fn check_setup<C: Endpoint, S: Endpoint>(
    stack: &str,
    group: Group,
    suite: Suite,
    new_client: impl Fn() -> C,
    new_server: impl Fn() -> S,
    wire: &mut Wire,
) {
    let mut meters = Sides::default();
    let mut client = new_client();
    let mut server = new_server();
    complete_handshake(&mut client, &mut server, &mut meters, wire);
    for (side, (g, s)) in [
        ("client", client.negotiated()),
        ("server", server.negotiated()),
    ] {
        assert!(
            g.eq_ignore_ascii_case(group.label()) && same_suite(&s, suite.label()),
            "{stack} {side} negotiated {g} {s}, not {} {}",
            group.label(),
            suite.label()
        );
    }
    assert!(
        client.had_shape(false) && server.had_shape(false),
        "{stack}: not a plain full handshake"
    );
}

/// What a full handshake of one configuration hashes and encrypts, read from the trace of
/// one padlock handshake.
#[derive(Clone, Copy, Debug)]
pub struct HandshakeBytes {
    /// The bytes the transcript hash must cover (RFC 8446 §4.4.1): ClientHello through the
    /// server's Finished. The client's Finished enters it only for the resumption secret,
    /// which a handshake without tickets does not derive.
    pub transcript: usize,
    /// The server's encrypted flight: EncryptedExtensions through Finished (§2).
    pub server_flight: usize,
    /// The client's encrypted flight: its Finished.
    pub client_flight: usize,
}

/// [`HandshakeBytes`] of one configuration.
pub fn handshake_bytes(id: &Identity, group: Group) -> HandshakeBytes {
    use padlock::msgs::HandshakeType;
    let p = PadlockConfigs::new(id, SUITE, group, false);
    let mut client = (*p.client).clone();
    client.trace = true;
    let p = PadlockConfigs {
        client: std::sync::Arc::new(client),
        server: p.server,
    };
    let (mut c, mut s) = (p.new_client(), p.new_server());
    complete_handshake(&mut c, &mut s, &mut Sides::default(), &mut Wire::new());
    let mut bytes = HandshakeBytes {
        transcript: 0,
        server_flight: 0,
        client_flight: 0,
    };
    for event in std::iter::from_fn(|| c.next_event()) {
        let padlock::Event::Trace(step) = event else {
            continue;
        };
        let hello = [HandshakeType::CLIENT_HELLO, HandshakeType::SERVER_HELLO];
        match step.from {
            padlock::Side::Client if step.typ == HandshakeType::FINISHED => {
                bytes.client_flight += step.len;
            }
            padlock::Side::Server if !hello.contains(&step.typ) => {
                bytes.transcript += step.len;
                bytes.server_flight += step.len;
            }
            _ => bytes.transcript += step.len,
        }
    }
    bytes
}

/// Full handshakes for both key types and both groups.
pub fn full(settings: &Settings, ids: &[Identity]) -> (Vec<Row>, Vec<Measured>) {
    let mut rows = Vec::new();
    let mut measured = Vec::new();
    let (mut pw, mut rw) = (Wire::new(), Wire::new());
    for id in ids {
        for group in Group::ALL {
            let p = PadlockConfigs::new(id, SUITE, group, false);
            let r = RustlsConfigs::new(id, SUITE, group, false);
            let pc = || p.new_client();
            let ps = || p.new_server();
            let rc = || r.new_client();
            let rs = || r.new_server();
            check_setup("padlock", group, SUITE, pc, ps, &mut pw);
            check_setup("rustls", group, SUITE, rc, rs, &mut rw);
            rounds(settings.handshake_warmup, false, pc, ps, &mut pw);
            rounds(settings.handshake_warmup, false, rc, rs, &mut rw);
            let (padlock, rustls) = interleaved(
                settings.handshake_rounds,
                settings.blocks,
                |n| rounds(n, false, pc, ps, &mut pw),
                |n| rounds(n, false, rc, rs, &mut rw),
                Sides::add,
            );
            let m = Measured {
                key: id.key_type.label(),
                group,
                rounds: settings.handshake_rounds,
                padlock,
                rustls,
            };
            let ((pcr, psr), (rcr, rsr)) = m.rates();
            for (side, pv, rv) in [("client", pcr, rcr), ("server", psr, rsr)] {
                rows.push(Row::new(
                    "handshake",
                    format!("{side} {} {} {}", m.key, group.label(), SUITE.label()),
                    Figure::Value(pv),
                    Figure::Value(rv),
                    "handshakes/s",
                    Better::Higher,
                ));
            }
            measured.push(m);
        }
    }
    (rows, measured)
}

/// Ticket-resumed handshakes (psk_dhe_ke, one ticket per handshake on both stacks), in
/// alternating blocks as the full handshakes; then allocations per resumed handshake.
pub fn resume(settings: &Settings, id: &Identity) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut allocs = Vec::new();
    let mut pw = Wire::new();
    let mut rw = Wire::new();
    for group in Group::ALL {
        let p = PadlockConfigs::new(id, SUITE, group, true);
        let r = RustlsConfigs::new(id, SUITE, group, true);
        let (pc, ps) = (|| p.new_client(), || p.new_server());
        let (rc, rs) = (|| r.new_client(), || r.new_server());
        // The first full handshake leaves a ticket; only resumed rounds count after it.
        rounds(1, false, pc, ps, &mut pw);
        rounds(1, false, rc, rs, &mut rw);
        rounds(settings.handshake_warmup, true, pc, ps, &mut pw);
        rounds(settings.handshake_warmup, true, rc, rs, &mut rw);
        let n = settings.resume_rounds;
        let (padlock, rustls) = interleaved(
            n,
            settings.blocks,
            |k| rounds(k, true, pc, ps, &mut pw),
            |k| rounds(k, true, rc, rs, &mut rw),
            Sides::add,
        );
        for (side, pm, rm) in [
            ("client", padlock.client, rustls.client),
            ("server", padlock.server, rustls.server),
        ] {
            let params = format!(
                "{side} {} {} {} tickets",
                id.key_type.label(),
                group.label(),
                SUITE.label()
            );
            rows.push(Row::new(
                "resume",
                params.clone(),
                Figure::Value(n as f64 / pm.secs()),
                Figure::Value(n as f64 / rm.secs()),
                "handshakes/s",
                Better::Higher,
            ));
            allocs.push(Row::new(
                "allocs",
                format!("resume {params}"),
                Figure::Value(pm.allocs as f64 / n as f64),
                Figure::Value(rm.allocs as f64 / n as f64),
                "allocs/handshake",
                Better::Lower,
            ));
        }
    }
    rows.extend(allocs);
    rows
}

/// `rounds` full handshakes of one stack after a short warm-up, for `padlock-bench profile`.
pub fn profile<C: Endpoint, S: Endpoint>(
    n: u64,
    new_client: impl Fn() -> C,
    new_server: impl Fn() -> S,
) -> Sides {
    let (new_client, new_server) = (
        || ClientSide::new(&new_client),
        || ServerSide::new(&new_server),
    );
    let mut wire = Wire::new();
    rounds(16, false, new_client, new_server, &mut wire);
    rounds(n, false, new_client, new_server, &mut wire)
}

/// `rounds` resumed handshakes of one stack, after a full one that leaves the first ticket
/// and a short warm-up, for `padlock-bench profile`.
pub fn profile_resume<C: Endpoint, S: Endpoint>(
    n: u64,
    new_client: impl Fn() -> C,
    new_server: impl Fn() -> S,
) -> Sides {
    let (new_client, new_server) = (
        || ClientSide::new(&new_client),
        || ServerSide::new(&new_server),
    );
    let mut wire = Wire::new();
    rounds(1, false, new_client, new_server, &mut wire);
    rounds(16, true, new_client, new_server, &mut wire);
    rounds(n, true, new_client, new_server, &mut wire)
}

/// Profile-only wrappers that put every call of one side (construction and drop included)
/// under functions named for that side, so that a profiler (`callgrind_annotate
/// --inclusive=yes`) splits a stack's cost into client and server.
macro_rules! side_wrapper {
    ($name:ident) => {
        struct $name<E>(Option<E>);

        impl<E: Endpoint> $name<E> {
            #[inline(never)]
            fn new(f: impl Fn() -> E) -> Self {
                Self(Some(f()))
            }

            fn inner(&self) -> &E {
                self.0.as_ref().expect("not dropped")
            }

            fn inner_mut(&mut self) -> &mut E {
                self.0.as_mut().expect("not dropped")
            }
        }

        impl<E> Drop for $name<E> {
            #[inline(never)]
            fn drop(&mut self) {
                drop(self.0.take());
            }
        }

        impl<E: Endpoint> Endpoint for $name<E> {
            #[inline(never)]
            fn take_tls(&mut self, data: &[u8]) -> usize {
                self.inner_mut().take_tls(data)
            }
            #[inline(never)]
            fn give_tls(&mut self, wire: &mut Vec<u8>) {
                self.inner_mut().give_tls(wire)
            }
            #[inline(never)]
            fn write_plain(&mut self, data: &[u8]) {
                self.inner_mut().write_plain(data)
            }
            #[inline(never)]
            fn read_plain(&mut self, buf: &mut [u8]) -> usize {
                self.inner_mut().read_plain(buf)
            }
            #[inline(never)]
            fn read_plain_in_place(&mut self) -> usize {
                self.inner_mut().read_plain_in_place()
            }
            fn is_handshaking(&self) -> bool {
                self.inner().is_handshaking()
            }
            fn had_shape(&self, resumed: bool) -> bool {
                self.inner().had_shape(resumed)
            }
            fn negotiated(&self) -> (String, String) {
                self.inner().negotiated()
            }
        }
    };
}

side_wrapper!(ClientSide);
side_wrapper!(ServerSide);
