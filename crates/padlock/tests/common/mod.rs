//! Harness for integration tests that drive real TLS peers (openssl, gnutls, curl; see
//! ../shared/PEERS.md). Include it with `mod common;` and `use common::*;`.
//!
//! - [`TestPki`]: a throwaway CA, intermediate and leaves of every key kind, on disk and as DER.
//! - [`Peer`]: a spawned peer process with captured output and bounded waits.
//! - Builders: [`openssl_s_server`], [`gnutls_serv`] (running, listening) and
//!   [`openssl_s_client`], [`gnutls_cli`], [`curl`] (finished, bounded by a timeout).
//! - [`Server`]: a padlock server in this process ([`Service::Echo`] or [`Service::Http`]) that
//!   records a [`Seen`] per connection, for real clients pointed at padlock.
//! - Spellings: our suite/group names in each peer's syntax ([`gnutls_priority`], ...).
//!
//! From padlock-cli's tests (to drive the `padlock` binary with `env!("CARGO_BIN_EXE_padlock")`):
//! `#[path = "../../padlock/tests/common/mod.rs"] mod common;`.
//!
//! Tests never skip: a missing peer binary panics through [`require_tool`];
//! `scripts/test.sh` installs them.

// Each test binary uses a different part of the harness.
#![allow(dead_code, unused_imports)]

pub mod inproc;
pub mod names;
pub mod peers;
pub mod pki;
pub mod process;

pub use inproc::*;
pub use names::*;
pub use peers::*;
pub use pki::*;
pub use process::*;
