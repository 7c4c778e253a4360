//! The in-memory transport and the per-side meters: the method every benchmark shares.
//!
//! One process, no sockets. A side's output is moved into one shared wire buffer, then the
//! other side takes it from there, exactly as it would from a socket. Every call a side makes
//! into its TLS library is timed and charged to that side alone: construction, taking bytes
//! in, producing bytes out, writing and reading plaintext, and dropping the connection.

use std::sync::OnceLock;
use std::time::Instant;

use cpu_time::ThreadTime;

use crate::alloc;
use crate::stacks::Endpoint;

/// What a side's time is measured with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Clock {
    /// CPU time of the benchmark's thread (`CLOCK_THREAD_CPUTIME_ID`): what the side's code
    /// cost, whatever else the machine runs. The default: on a shared 2-core machine, wall
    /// time also measures the neighbours.
    Cpu,
    /// Elapsed wall-clock time, as rustls-bench measures; only meaningful on an idle machine.
    Wall,
}

static CLOCK: OnceLock<Clock> = OnceLock::new();

/// Chooses the clock for the whole run (first call wins).
pub fn set_clock(clock: Clock) {
    let _ = CLOCK.set(clock);
}

/// The clock in use.
pub fn clock() -> Clock {
    *CLOCK.get_or_init(|| Clock::Cpu)
}

/// A start time on the chosen clock.
pub enum Start {
    Cpu(ThreadTime),
    Wall(Instant),
}

impl Start {
    #[inline]
    pub fn now() -> Self {
        match clock() {
            Clock::Cpu => Start::Cpu(ThreadTime::now()),
            Clock::Wall => Start::Wall(Instant::now()),
        }
    }

    /// Seconds elapsed since.
    #[inline]
    pub fn secs(&self) -> f64 {
        match self {
            Start::Cpu(t) => t.elapsed().as_secs_f64(),
            Start::Wall(t) => t.elapsed().as_secs_f64(),
        }
    }
}

/// What one measured section adds to the figures on the chosen clock when it measures
/// nothing: the part of the two clock reads that falls between their samples. On the CPU
/// clock each read is a system call (`CLOCK_THREAD_CPUTIME_ID` has no vDSO path), about
/// 0.3-0.5 us on this VM; a handshake is about eight sections per side, so uncorrected it
/// would add several microseconds to both stacks alike and pull every ratio towards 1.
/// Calibrated once per process: the median of seven batches of empty sections.
pub fn clock_cost() -> f64 {
    static COST: OnceLock<f64> = OnceLock::new();
    *COST.get_or_init(|| {
        const SECTIONS: u32 = 20_000;
        let mut batches: Vec<f64> = (0..7)
            .map(|_| {
                let mut m = Meter::default();
                for _ in 0..SECTIONS {
                    m.run(|| std::hint::black_box(()));
                }
                m.raw_secs / f64::from(SECTIONS)
            })
            .collect();
        batches.sort_by(f64::total_cmp);
        batches.get(3).copied().unwrap_or(0.0)
    })
}

/// Time and allocations charged to one side.
#[derive(Clone, Copy, Debug, Default)]
pub struct Meter {
    /// Seconds between the clock reads around that side's library calls.
    raw_secs: f64,
    /// How many measured sections those are (each carries [`clock_cost`]).
    sections: u64,
    /// Calls into the allocator made during them.
    pub allocs: u64,
}

impl Meter {
    /// Runs `f`, charging its time and allocations to this meter.
    #[inline]
    pub fn run<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let allocs = alloc::allocations();
        let start = Start::now();
        let r = f();
        self.raw_secs += start.secs();
        self.sections += 1;
        self.allocs += alloc::allocations().saturating_sub(allocs);
        r
    }

    /// Seconds spent in the side's library calls: the measured time less the clock's own
    /// cost in each section (never below a hundredth of the measured time, so that a rate
    /// stays finite however small the work).
    pub fn secs(&self) -> f64 {
        let net = self.raw_secs - self.sections as f64 * clock_cost();
        net.max(self.raw_secs / 100.0)
    }

    pub fn add(&mut self, other: Meter) {
        self.raw_secs += other.raw_secs;
        self.sections += other.sections;
        self.allocs += other.allocs;
    }
}

/// The client's and the server's meters.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sides {
    pub client: Meter,
    pub server: Meter,
}

impl Sides {
    pub fn add(&mut self, other: Sides) {
        self.client.add(other.client);
        self.server.add(other.server);
    }
}

/// What the transport owns: the wire buffer and the application's read buffer. Allocated
/// once, outside every measurement, and shared by both stacks.
pub struct Wire {
    buf: Vec<u8>,
    app: Vec<u8>,
}

/// The application reads in chunks of this size (one record's worth, as rustls-bench does).
pub const APP_READ_LEN: usize = 16 * 1024;

impl Wire {
    pub fn new() -> Self {
        Self {
            buf: Vec::with_capacity(4 << 20),
            app: vec![0; APP_READ_LEN],
        }
    }
}

impl Default for Wire {
    fn default() -> Self {
        Self::new()
    }
}

/// What one [`transfer`] moved.
#[derive(Clone, Copy, Debug, Default)]
pub struct Moved {
    /// TLS bytes on the wire.
    pub tls: usize,
    /// Application bytes the receiver read.
    pub plaintext: usize,
}

/// How the receiving application takes its plaintext.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadMode {
    /// `read(&mut buf)` into the application's 16 KiB buffer (a copy).
    Copy,
    /// The library's borrowing read: the plaintext used where the library holds it.
    InPlace,
}

/// Moves everything `left` has to send over to `right`, which processes it and reads every
/// byte of application data that arrives. Repeats until `left` has nothing more to send.
pub fn transfer<L: Endpoint, R: Endpoint>(
    left: &mut L,
    left_meter: &mut Meter,
    right: &mut R,
    right_meter: &mut Meter,
    wire: &mut Wire,
) -> Moved {
    transfer_reading(left, left_meter, right, right_meter, wire, ReadMode::Copy)
}

/// [`transfer`], with the receiver reading its plaintext as `mode` says.
pub fn transfer_reading<L: Endpoint, R: Endpoint>(
    left: &mut L,
    left_meter: &mut Meter,
    right: &mut R,
    right_meter: &mut Meter,
    wire: &mut Wire,
    mode: ReadMode,
) -> Moved {
    let mut moved = Moved::default();
    loop {
        wire.buf.clear();
        left_meter.run(|| left.give_tls(&mut wire.buf));
        if wire.buf.is_empty() {
            return moved;
        }
        moved.tls += wire.buf.len();
        // Everything from here to the end of the wire's contents is the receiver's work: it
        // takes bytes in, and reads out every byte of plaintext that becomes available. One
        // measured section, so that the clock's own cost stays out of the figures.
        let Wire { buf, app } = wire;
        moved.plaintext += right_meter.run(|| {
            let mut offset = 0;
            let mut plaintext = 0;
            while offset < buf.len() {
                let taken = right.take_tls(buf.get(offset..).unwrap_or_default());
                let mut read = 0;
                loop {
                    let n = match mode {
                        ReadMode::Copy => right.read_plain(app),
                        ReadMode::InPlace => right.read_plain_in_place(),
                    };
                    if n == 0 {
                        break;
                    }
                    read += n;
                }
                assert!(
                    taken > 0 || read > 0,
                    "the receiver made no progress on {} bytes",
                    buf.len() - offset
                );
                offset += taken;
                plaintext += read;
            }
            plaintext
        });
    }
}

/// Runs a handshake to completion (and delivers whatever follows it, such as tickets).
pub fn complete_handshake<C: Endpoint, S: Endpoint>(
    client: &mut C,
    server: &mut S,
    meters: &mut Sides,
    wire: &mut Wire,
) {
    for _ in 0..8 {
        let a = transfer(client, &mut meters.client, server, &mut meters.server, wire);
        let b = transfer(server, &mut meters.server, client, &mut meters.client, wire);
        if a.tls == 0 && b.tls == 0 {
            break;
        }
    }
    assert!(
        !client.is_handshaking() && !server.is_handshaking(),
        "handshake did not complete"
    );
}

/// Runs `padlock` and `rustls` (each given a number of rounds) in `blocks` alternating
/// blocks, so that drift in the machine's speed (frequency, neighbours on a VM) falls on
/// both stacks alike. Returns the two totals.
pub fn interleaved<P, R, T: Default>(
    rounds: u64,
    blocks: u64,
    mut padlock: P,
    mut rustls: R,
    mut add: impl FnMut(&mut T, T),
) -> (T, T)
where
    P: FnMut(u64) -> T,
    R: FnMut(u64) -> T,
{
    let blocks = blocks.clamp(1, rounds.max(1));
    let mut p_total = T::default();
    let mut r_total = T::default();
    for b in 0..blocks {
        let n = rounds / blocks + u64::from(b < rounds % blocks);
        if b % 2 == 0 {
            add(&mut p_total, padlock(n));
            add(&mut r_total, rustls(n));
        } else {
            add(&mut r_total, rustls(n));
            add(&mut p_total, padlock(n));
        }
    }
    (p_total, r_total)
}
