#![forbid(unsafe_code)]
//! padlock: a TLS 1.3 stack.
pub mod record;
