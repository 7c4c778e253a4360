//! The counting global allocator both stacks run on, and the process's resident memory.
//!
//! `stats_alloc` wraps the system allocator with atomic counters, so that heap use can be
//! measured without any `unsafe` here. Every benchmark, padlock's and rustls's alike, pays the
//! same counting overhead on every allocation.

use std::alloc::System;

use stats_alloc::{StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Heap bytes currently allocated by the whole process.
pub fn heap_bytes() -> i64 {
    let s = GLOBAL.stats();
    to_i64(s.bytes_allocated) - to_i64(s.bytes_deallocated) + to_i64_signed(s.bytes_reallocated)
}

/// Allocations made so far (fresh allocations and reallocations, which both cost a call into
/// the allocator).
pub fn allocations() -> u64 {
    let s = GLOBAL.stats();
    u64::try_from(s.allocations + s.reallocations).unwrap_or(u64::MAX)
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_i64_signed(n: isize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// `VmRSS` and `VmHWM` (peak) of this process in bytes, from /proc/self/status.
/// `None` where that file does not exist (non-Linux).
pub fn rss_and_peak() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}
