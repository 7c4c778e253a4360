//! Resumption and 0-RTT (RFC 8446 §2.2, §2.3, §4.6.1, §8): session state, server tickets,
//! the client's ticket store, and replay protection for early data.

mod replay;
mod session;
mod store;
mod tickets;

pub use replay::ReplayGuard;
pub use session::{ClientSession, ServerSession, MAX_TICKET_LIFETIME};
pub use store::{FileSessionStore, MemorySessionStore, SessionStore};
pub use tickets::{SessionCache, TicketIssuer, Ticketer};

pub(crate) use session::unix_now_ms;
