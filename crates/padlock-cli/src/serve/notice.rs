//! What `serve` says about itself, apart from the access log: that it listens, reloads,
//! connection errors, the shutdown and its summary. Text lines, or with `--json` one JSON
//! object a line, each with an `event` key; the same streams either way ("listening" on
//! stdout, the rest on stderr).

use std::fmt;
use std::net::SocketAddr;

use serde_json::{json, Value};

/// How to say it: text or JSON lines.
#[derive(Debug, Clone, Copy, Default)]
pub struct Notices {
    json: bool,
}

impl Notices {
    pub fn new(json: bool) -> Self {
        Self { json }
    }

    /// The line the tests and scripts wait for: `listening on ADDR`, or
    /// `{"event":"listening","listening_on":"ADDR"}`.
    pub fn listening(self, addr: SocketAddr) {
        if self.json {
            println!(
                "{}",
                json!({ "event": "listening", "listening_on": addr.to_string() })
            );
        } else {
            println!("listening on {addr}");
        }
    }

    /// One line on stderr: `text`, or `fields` (an object) with `event` added.
    pub fn say(self, event: &str, text: fmt::Arguments<'_>, fields: impl FnOnce() -> Value) {
        if self.json {
            eprintln!("{}", with_event(event, fields()));
        } else {
            eprintln!("{text}");
        }
    }

    /// A connection that ended in an error (a failed handshake, an HTTP error).
    pub fn connection_error(self, peer: SocketAddr, error: &str) {
        self.say(
            "connection_error",
            format_args!("{peer}: {error}"),
            || json!({ "peer": peer.to_string(), "error": error }),
        );
    }
}

/// `fields` with `"event": event` added (`fields` should be an object).
pub fn with_event(event: &str, fields: Value) -> Value {
    let mut out = match fields {
        Value::Object(map) => map,
        other => {
            let mut map = serde_json::Map::new();
            map.insert("value".into(), other);
            map
        }
    };
    out.insert("event".into(), event.into());
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_is_added_to_the_fields() {
        let v = with_event("shutdown", json!({ "requests": 3 }));
        assert_eq!(v, json!({ "event": "shutdown", "requests": 3 }));
        assert_eq!(
            with_event("x", json!(1)),
            json!({ "event": "x", "value": 1 })
        );
    }
}
