//! 0-RTT replay protection (RFC 8446 §8): early data is accepted only for a ClientHello that
//! is fresh (§8.3) and whose ticket has not carried early data before (§8.1, single use).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use aws_lc_rs::digest;

/// Remembers which tickets already carried early data, for as long as a replay of them could
/// still pass the freshness check. When full, it refuses early data: failing closed costs a
/// round trip, failing open would allow a replay.
pub struct ReplayGuard {
    window: Duration,
    capacity: usize,
    seen: Mutex<Seen>,
}

struct Seen {
    set: HashMap<[u8; 32], u64>,
    order: VecDeque<([u8; 32], u64)>,
}

impl ReplayGuard {
    /// `window`: how far a ClientHello's arrival may differ from what its ticket age
    /// predicts; `capacity`: how many tickets can be remembered at once.
    pub fn new(window: Duration, capacity: usize) -> Self {
        Self {
            window,
            capacity: capacity.max(1),
            seen: Mutex::new(Seen {
                set: HashMap::new(),
                order: VecDeque::new(),
            }),
        }
    }

    /// The freshness window.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// §8.3: the client's ticket age must match ours within the window.
    pub fn is_fresh(&self, issued_ms: u64, client_age_ms: u32, now_ms: u64) -> bool {
        let expected_arrival = issued_ms.saturating_add(u64::from(client_age_ms));
        let window = u64::try_from(self.window.as_millis()).unwrap_or(u64::MAX);
        expected_arrival.abs_diff(now_ms) <= window
    }

    /// Records `ticket` as used for early data; `false` if it was used before (a replay) or
    /// the guard is full.
    pub fn first_use(&self, ticket: &[u8], now_ms: u64) -> bool {
        let id: [u8; 32] = {
            let d = digest::digest(&digest::SHA256, ticket);
            let mut id = [0u8; 32];
            id.copy_from_slice(d.as_ref());
            id
        };
        let Ok(mut seen) = self.seen.lock() else {
            return false;
        };
        // Entries older than two windows can no longer pass the freshness check.
        let horizon = now_ms.saturating_sub(
            u64::try_from(self.window.as_millis().saturating_mul(2)).unwrap_or(u64::MAX),
        );
        while let Some(&(old, at)) = seen.order.front() {
            if at >= horizon {
                break;
            }
            seen.order.pop_front();
            if seen.set.get(&old) == Some(&at) {
                seen.set.remove(&old);
            }
        }
        if seen.set.contains_key(&id) {
            return false;
        }
        if seen.set.len() >= self.capacity {
            return false;
        }
        seen.set.insert(id, now_ms);
        seen.order.push_back((id, now_ms));
        true
    }
}

impl std::fmt::Debug for ReplayGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplayGuard")
            .field("window", &self.window)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_use_and_bounded() {
        let g = ReplayGuard::new(Duration::from_secs(10), 2);
        assert!(g.first_use(b"a", 1_000));
        assert!(!g.first_use(b"a", 1_001), "replay");
        assert!(g.first_use(b"b", 1_002));
        assert!(!g.first_use(b"c", 1_003), "full: fail closed");
        // After two windows the old entries are forgotten.
        assert!(g.first_use(b"c", 30_000));
    }

    #[test]
    fn freshness() {
        let g = ReplayGuard::new(Duration::from_secs(10), 16);
        assert!(g.is_fresh(1_000_000, 5_000, 1_005_000));
        assert!(g.is_fresh(1_000_000, 5_000, 1_014_000));
        assert!(!g.is_fresh(1_000_000, 5_000, 1_016_000));
        assert!(!g.is_fresh(1_000_000, 60_000, 1_005_000));
    }
}
