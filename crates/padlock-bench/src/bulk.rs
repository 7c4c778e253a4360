//! `bulk`: application data throughput per suite, in 1 MiB writes, server to client.
//!
//! As rustls-bench measures it: sending is the server's write (encryption into the library's
//! buffers); receiving is the client's time taking the records in, decrypting, and reading
//! the plaintext out in 16 KiB reads. Handing the records to the transport stands for the
//! kernel's copy into a socket: it is left out of `send`, and shown in a `send+wire` row.
//! `recv-inplace` is the same receive with each library's borrowing read (`BufRead`-like:
//! the plaintext used where the library holds it) instead of a copy out.

use crate::harness::{
    complete_handshake, interleaved, transfer_reading, Meter, ReadMode, Sides, Wire,
};
use crate::pki::Identity;
use crate::report::{Better, Figure, Row};
use crate::stacks::{Endpoint, Group, PadlockConfigs, RustlsConfigs, Suite};
use crate::Settings;

/// Size of each application write.
pub const WRITE_LEN: usize = 1 << 20;

/// One suite's measurements, kept for the floor comparison.
pub struct Measured {
    pub suite: Suite,
    pub mib: f64,
    pub padlock: Sides,
    pub rustls: Sides,
    /// The senders' time handing the records to the transport.
    pub padlock_wire: Meter,
    pub rustls_wire: Meter,
    /// The receivers' time with the borrowing read (`recv-inplace`).
    pub padlock_in_place: Meter,
    pub rustls_in_place: Meter,
}

impl Measured {
    /// (send, receive) MiB/s of padlock and of rustls.
    pub fn rates(&self) -> ((f64, f64), (f64, f64)) {
        (
            (
                self.mib / self.padlock.server.secs(),
                self.mib / self.padlock.client.secs(),
            ),
            (
                self.mib / self.rustls.server.secs(),
                self.mib / self.rustls.client.secs(),
            ),
        )
    }

    /// (padlock, rustls) receive MiB/s with the borrowing read.
    pub fn in_place_rates(&self) -> (f64, f64) {
        (
            self.mib / self.padlock_in_place.secs(),
            self.mib / self.rustls_in_place.secs(),
        )
    }
}

/// A connected pair ready for data.
struct Pair<C, S> {
    client: C,
    server: S,
}

impl<C: Endpoint, S: Endpoint> Pair<C, S> {
    fn new(client: C, server: S, wire: &mut Wire) -> Self {
        let mut pair = Self { client, server };
        complete_handshake(
            &mut pair.client,
            &mut pair.server,
            &mut Sides::default(),
            wire,
        );
        pair
    }

    /// `n` writes of `data`, each delivered and read before the next. Returns the sides'
    /// meters and the sender's time handing records to the transport.
    fn rounds(&mut self, n: u64, data: &[u8], wire: &mut Wire, mode: ReadMode) -> (Sides, Meter) {
        let mut m = Sides::default();
        let mut give = Meter::default();
        for _ in 0..n {
            m.server.run(|| self.server.write_plain(data));
            let moved = transfer_reading(
                &mut self.server,
                &mut give,
                &mut self.client,
                &mut m.client,
                wire,
                mode,
            );
            assert_eq!(moved.plaintext, data.len(), "every byte written arrives");
        }
        (m, give)
    }
}

pub fn run(settings: &Settings, id: &Identity) -> (Vec<Row>, Vec<Measured>) {
    let data = vec![0x5a_u8; WRITE_LEN];
    let (mut pw, mut rw) = (Wire::new(), Wire::new());
    let mut rows = Vec::new();
    let mut measured = Vec::new();
    for suite in Suite::ALL {
        let p = PadlockConfigs::new(id, suite, Group::X25519, false);
        let r = RustlsConfigs::new(id, suite, Group::X25519, false);
        let mut pp = Pair::new(p.new_client(), p.new_server(), &mut pw);
        let mut rp = Pair::new(r.new_client(), r.new_server(), &mut rw);
        let copy = ReadMode::Copy;
        pp.rounds(settings.bulk_warmup, &data, &mut pw, copy);
        rp.rounds(settings.bulk_warmup, &data, &mut rw, copy);
        let n = settings.bulk_writes;
        let ((padlock, padlock_wire), (rustls, rustls_wire)) = interleaved(
            n,
            settings.blocks,
            |k| pp.rounds(k, &data, &mut pw, copy),
            |k| rp.rounds(k, &data, &mut rw, copy),
            |total: &mut (Sides, Meter), (s, g)| {
                total.0.add(s);
                total.1.add(g);
            },
        );
        // The same again with the borrowing read; only the receivers' figures are used.
        let in_place = ReadMode::InPlace;
        let (padlock_in_place, rustls_in_place) = interleaved(
            n,
            settings.blocks,
            |k| pp.rounds(k, &data, &mut pw, in_place).0.client,
            |k| rp.rounds(k, &data, &mut rw, in_place).0.client,
            |total: &mut Meter, m| total.add(m),
        );
        let m = Measured {
            suite,
            mib: n as f64 * WRITE_LEN as f64 / f64::from(1 << 20),
            padlock,
            rustls,
            padlock_wire,
            rustls_wire,
            padlock_in_place,
            rustls_in_place,
        };
        let ((ps, pr), (rs, rr)) = m.rates();
        let psw = m.mib / (m.padlock.server.secs() + m.padlock_wire.secs());
        let rsw = m.mib / (m.rustls.server.secs() + m.rustls_wire.secs());
        let (pri, rri) = m.in_place_rates();
        for (dir, pv, rv) in [
            ("send", ps, rs),
            ("send+wire", psw, rsw),
            ("recv", pr, rr),
            ("recv-inplace", pri, rri),
        ] {
            rows.push(Row::new(
                "bulk",
                format!("{dir} {} 1MiB-writes", suite.label()),
                Figure::Value(pv),
                Figure::Value(rv),
                "MiB/s",
                Better::Higher,
            ));
        }
        measured.push(m);
    }
    (rows, measured)
}

/// `n` 1 MiB writes over one connection, for `padlock-bench profile`; the receiver reads as
/// `mode` says.
pub fn profile<C: Endpoint, S: Endpoint>(n: u64, client: C, server: S, mode: ReadMode) -> Sides {
    let mut wire = Wire::new();
    let data = vec![0x5a_u8; WRITE_LEN];
    let mut pair = Pair::new(client, server, &mut wire);
    pair.rounds(16, &data, &mut wire, mode);
    let (mut sides, give) = pair.rounds(n, &data, &mut wire, mode);
    // The profile's send figure includes handing records to the transport.
    sides.server.add(give);
    sides
}
