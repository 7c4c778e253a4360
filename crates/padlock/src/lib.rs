#![forbid(unsafe_code)]
//! padlock: a TLS 1.3 stack.

pub mod alert;
pub mod codec;
pub mod crypto;
pub mod key_schedule;
pub mod msgs;
pub mod record;
pub mod transcript;
