#![forbid(unsafe_code)]
//! Certificate path validation for padlock.
