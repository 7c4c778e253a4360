//! How a server turns session state into tickets and back (RFC 8446 §4.6.1, §8.1).
//!
//! Two mechanisms behind one trait:
//! - [`Ticketer`]: stateless tickets, the state sealed with AES-256-GCM under a key that
//!   rotates every period; the previous key still opens tickets for one more period.
//! - [`SessionCache`]: stateful, the ticket is a random handle into a bounded in-memory map,
//!   and each ticket can be redeemed once.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use zeroize::Zeroizing;

use crate::crypto::{self, CryptoError};

/// Issues tickets and redeems them.
pub trait TicketIssuer: Send + Sync {
    /// Wraps `state` into a ticket; `None` if it cannot (the server then sends no ticket).
    fn issue(&self, state: &[u8]) -> Option<Vec<u8>>;
    /// Unwraps a ticket; `None` for anything not issued by us, expired keys included.
    fn redeem(&self, ticket: &[u8]) -> Option<Zeroizing<Vec<u8>>>;
    /// Lifetime to advertise, in seconds: tickets stay redeemable at least this long.
    fn lifetime(&self) -> u32;
}

struct TicketKey {
    id: [u8; 4],
    key: LessSafeKey,
    created: Instant,
}

impl TicketKey {
    fn generate() -> Result<Self, CryptoError> {
        let mut id = [0u8; 4];
        crypto::random_bytes(&mut id)?;
        let mut bytes = Zeroizing::new([0u8; 32]);
        crypto::random_bytes(bytes.as_mut())?;
        let key = UnboundKey::new(&AES_256_GCM, bytes.as_ref())
            .map_err(|_| CryptoError::Internal("ticket key"))?;
        Ok(Self {
            id,
            key: LessSafeKey::new(key),
            created: Instant::now(),
        })
    }
}

struct Keys {
    current: TicketKey,
    previous: Option<TicketKey>,
}

/// Stateless tickets sealed under a rotating key.
pub struct Ticketer {
    keys: Mutex<Keys>,
    period: Duration,
}

/// Ticket layout: key id (4) || nonce (12) || AES-256-GCM(state) || tag (16).
const TICKET_OVERHEAD: usize = 4 + NONCE_LEN + 16;

impl Ticketer {
    /// Keys rotate every `period`; tickets are advertised with that lifetime and stay
    /// redeemable for up to two periods. `period` is capped at half of seven days.
    pub fn new(period: Duration) -> Result<Self, CryptoError> {
        let max = Duration::from_secs(u64::from(super::MAX_TICKET_LIFETIME) / 2);
        Ok(Self {
            keys: Mutex::new(Keys {
                current: TicketKey::generate()?,
                previous: None,
            }),
            period: period.min(max).max(Duration::from_secs(1)),
        })
    }

    fn rotate_if_due(&self, keys: &mut Keys) {
        if keys.current.created.elapsed() >= self.period {
            if let Ok(fresh) = TicketKey::generate() {
                let old = std::mem::replace(&mut keys.current, fresh);
                // A key older than two periods opens nothing any more.
                keys.previous = (old.created.elapsed() < self.period * 2).then_some(old);
            }
        }
        if keys
            .previous
            .as_ref()
            .is_some_and(|p| p.created.elapsed() >= self.period * 2)
        {
            keys.previous = None;
        }
    }
}

impl TicketIssuer for Ticketer {
    fn issue(&self, state: &[u8]) -> Option<Vec<u8>> {
        let mut keys = self.keys.lock().ok()?;
        self.rotate_if_due(&mut keys);
        let mut nonce = [0u8; NONCE_LEN];
        crypto::random_bytes(&mut nonce).ok()?;
        let mut out = Vec::with_capacity(state.len() + TICKET_OVERHEAD);
        out.extend_from_slice(&keys.current.id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(state);
        let body = out.get_mut(4 + NONCE_LEN..)?;
        let tag = keys
            .current
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(keys.current.id),
                body,
            )
            .ok()?;
        out.extend_from_slice(tag.as_ref());
        Some(out)
    }

    fn redeem(&self, ticket: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        if ticket.len() < TICKET_OVERHEAD {
            return None;
        }
        let (id, rest) = ticket.split_at(4);
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let mut keys = self.keys.lock().ok()?;
        self.rotate_if_due(&mut keys);
        let key = [Some(&keys.current), keys.previous.as_ref()]
            .into_iter()
            .flatten()
            .find(|k| k.id == id)?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buf = Zeroizing::new(sealed.to_vec());
        let plain_len = key
            .key
            .open_in_place(nonce, Aad::from(key.id), &mut buf)
            .ok()?
            .len();
        buf.truncate(plain_len);
        Some(buf)
    }

    fn lifetime(&self) -> u32 {
        u32::try_from(self.period.as_secs()).unwrap_or(super::MAX_TICKET_LIFETIME)
    }
}

impl std::fmt::Debug for Ticketer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ticketer")
            .field("period", &self.period)
            .finish_non_exhaustive()
    }
}

/// Stateful tickets: a random 32-byte handle into a bounded map. Redeeming removes the entry,
/// so every ticket works once.
pub struct SessionCache {
    inner: Mutex<CacheInner>,
    capacity: usize,
    lifetime: u32,
}

struct CacheInner {
    map: HashMap<[u8; 32], (Instant, Zeroizing<Vec<u8>>)>,
    order: VecDeque<[u8; 32]>,
}

impl SessionCache {
    /// Holds at most `capacity` sessions (the oldest go first), each for `lifetime`.
    pub fn new(capacity: usize, lifetime: Duration) -> Self {
        Self {
            inner: Mutex::new(CacheInner {
                map: HashMap::new(),
                order: VecDeque::new(),
            }),
            capacity: capacity.max(1),
            lifetime: u32::try_from(lifetime.as_secs())
                .unwrap_or(super::MAX_TICKET_LIFETIME)
                .min(super::MAX_TICKET_LIFETIME),
        }
    }
}

impl TicketIssuer for SessionCache {
    fn issue(&self, state: &[u8]) -> Option<Vec<u8>> {
        let mut handle = [0u8; 32];
        crypto::random_bytes(&mut handle).ok()?;
        let mut inner = self.inner.lock().ok()?;
        while inner.map.len() >= self.capacity {
            let oldest = inner.order.pop_front()?;
            inner.map.remove(&oldest);
        }
        inner
            .map
            .insert(handle, (Instant::now(), Zeroizing::new(state.to_vec())));
        inner.order.push_back(handle);
        Some(handle.to_vec())
    }

    fn redeem(&self, ticket: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let handle: [u8; 32] = ticket.try_into().ok()?;
        let mut inner = self.inner.lock().ok()?;
        let (created, state) = inner.map.remove(&handle)?;
        inner.order.retain(|h| *h != handle);
        (created.elapsed().as_secs() < u64::from(self.lifetime)).then_some(state)
    }

    fn lifetime(&self) -> u32 {
        self.lifetime
    }
}

impl std::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCache")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticketer_round_trip_and_tamper() {
        let t = Ticketer::new(Duration::from_secs(3600)).unwrap();
        let ticket = t.issue(b"state").unwrap();
        assert_eq!(t.redeem(&ticket).unwrap().as_slice(), b"state");
        for i in 0..ticket.len() {
            let mut bad = ticket.clone();
            bad[i] ^= 1;
            assert!(t.redeem(&bad).is_none(), "byte {i}");
        }
        assert!(t.redeem(&ticket[..10]).is_none());
        let other = Ticketer::new(Duration::from_secs(3600)).unwrap();
        assert!(other.redeem(&ticket).is_none());
    }

    #[test]
    fn ticketer_rotation_keeps_one_old_key() {
        let t = Ticketer::new(Duration::from_secs(1)).unwrap();
        let first = t.issue(b"one").unwrap();
        {
            let mut keys = t.keys.lock().unwrap();
            keys.current.created -= Duration::from_millis(1500);
        }
        let second = t.issue(b"two").unwrap();
        assert_ne!(first[..4], second[..4], "the key rotated");
        assert!(t.redeem(&first).is_some(), "previous key still opens");
        {
            let mut keys = t.keys.lock().unwrap();
            keys.current.created -= Duration::from_millis(1500);
            if let Some(p) = keys.previous.as_mut() {
                p.created -= Duration::from_secs(3);
            }
        }
        let _third = t.issue(b"three").unwrap();
        assert!(t.redeem(&first).is_none(), "two rotations later it is gone");
        assert!(t.redeem(&second).is_some());
    }

    #[test]
    fn cache_tickets_work_once_and_capacity_is_bounded() {
        let c = SessionCache::new(2, Duration::from_secs(60));
        let a = c.issue(b"a").unwrap();
        let b = c.issue(b"b").unwrap();
        let d = c.issue(b"d").unwrap();
        assert!(c.redeem(&a).is_none(), "evicted");
        assert_eq!(c.redeem(&b).unwrap().as_slice(), b"b");
        assert!(c.redeem(&b).is_none(), "single use");
        assert_eq!(c.redeem(&d).unwrap().as_slice(), b"d");
    }
}
