//! The counting global allocator both stacks run on, and the process's resident memory.
//!
//! `stats_alloc` wraps the system allocator with atomic counters, so that heap use can be
//! measured without any `unsafe` here. Every benchmark, padlock's and rustls's alike, pays the
//! same counting overhead on every allocation.
//!
//! glibc's malloc returns the top of the heap to the kernel whenever more than 128 KiB is free
//! there (`M_TRIM_THRESHOLD`). A stack that allocates a buffer per record and frees them all
//! after each 1 MiB write then page-faults the same memory back in on the next write, which
//! measures the kernel, not the TLS stack (rustls-bench sidesteps it with jemalloc). So the
//! benchmark re-executes itself once with a high trim threshold: [`configure_malloc`].

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

/// Set by the re-executed process, so it does not re-execute again; `default` keeps glibc's
/// defaults (to see the trimming effect described above).
const MALLOC_MARK: &str = "PADLOCK_BENCH_MALLOC";

/// Re-executes this binary with `MALLOC_TRIM_THRESHOLD_` raised to 256 MiB and
/// `MALLOC_MMAP_THRESHOLD_` to 32 MiB (unless the caller
/// set it, or set `PADLOCK_BENCH_MALLOC=default`). glibc reads it before `main`, hence the
/// re-execution. Returns only in the process that should run the benchmark.
pub fn configure_malloc() {
    if std::env::var_os(MALLOC_MARK).is_some()
        || std::env::var_os("MALLOC_TRIM_THRESHOLD_").is_some()
    {
        return;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        let err = std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .env(MALLOC_MARK, "no-trim")
            .env("MALLOC_TRIM_THRESHOLD_", (256u64 << 20).to_string())
            // Setting the trim threshold turns off glibc's dynamic mmap threshold, which would
            // otherwise rise to the size of the large buffers freed; pin it at its maximum.
            .env("MALLOC_MMAP_THRESHOLD_", (32u64 << 20).to_string())
            .exec();
        // exec only returns on failure: run with glibc's defaults rather than not at all.
        eprintln!("padlock-bench: could not re-execute with MALLOC_TRIM_THRESHOLD_: {err}");
    }
}

/// How malloc is configured in this process, for the report header.
pub fn malloc_description() -> String {
    match std::env::var("MALLOC_TRIM_THRESHOLD_") {
        Ok(v) => format!(
            "glibc malloc, MALLOC_TRIM_THRESHOLD_={v} MALLOC_MMAP_THRESHOLD_={}",
            std::env::var("MALLOC_MMAP_THRESHOLD_").unwrap_or_else(|_| "default".into())
        ),
        Err(_) => "glibc malloc, default trim threshold".into(),
    }
}
