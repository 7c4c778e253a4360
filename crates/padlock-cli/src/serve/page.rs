//! The page that shows a visitor its own handshake.

use std::fmt::Write;
use std::sync::{Mutex, PoisonError};

use hyper::body::Bytes;
use padlock::HandshakeInfo;

use super::server::Visit;
use crate::certs::Summary;

/// A connection's page, kept for its next requests: it depends only on the handshake and on
/// the request's HTTP version and 0-RTT flag, and rendering it (a few dozen formatted names)
/// costs more than the rest of a keep-alive request.
#[derive(Debug, Default)]
pub struct Rendered(Mutex<Option<(bool, hyper::Version, Bytes)>>);

/// The page for a request on `visit`'s connection, rendered once per connection for each
/// `early` and `http` in a row.
pub fn page(visit: &Visit, early: bool, http: hyper::Version) -> Bytes {
    let mut kept = visit.page.0.lock().unwrap_or_else(PoisonError::into_inner);
    match &*kept {
        Some((e, h, page)) if *e == early && *h == http => page.clone(),
        _ => {
            let page = Bytes::from(render(visit, early, http));
            *kept = Some((early, http, page.clone()));
            page
        }
    }
}

/// The page for a request on `visit`'s connection; `early` if the request came as 0-RTT data.
pub fn render(visit: &Visit, early: bool, http: hyper::Version) -> String {
    let info = &visit.info;
    let mut rows: Vec<(&str, String)> = vec![
        ("version", "TLS 1.3".into()),
        ("cipher suite", info.cipher_suite.unwrap_or("?").into()),
        ("key exchange group", info.group_name.unwrap_or("?").into()),
        ("HelloRetryRequest", yes_no(info.hello_retry).into()),
        ("ALPN", info.alpn.as_deref().map_or("(none)".into(), lossy)),
        ("HTTP", format!("{http:?}")),
        (
            "server name (SNI)",
            info.server_name.clone().unwrap_or_else(|| "(none)".into()),
        ),
        ("resumed", yes_no(info.resumed).into()),
        (
            "0-RTT early data",
            if early {
                "this request came as early data"
            } else if info.early_data_accepted {
                "accepted"
            } else if info.early_data_offered {
                "offered, refused"
            } else {
                "no"
            }
            .into(),
        ),
        ("client certificate", client_certificate(info)),
    ];
    if let Some(offered) = &visit.offered {
        rows.extend([
            ("cipher suites offered", names(&offered.cipher_suites)),
            ("groups offered", names(&offered.groups)),
            ("key shares sent", names(&offered.key_shares)),
            (
                "signature schemes offered",
                names(&offered.signature_schemes),
            ),
            (
                "ALPN offered",
                list(offered.alpn.iter().map(|p| lossy(p)).collect()),
            ),
        ]);
    }
    let mut html = String::from(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>padlock</title></head><body>\n\
         <h1>Your TLS handshake with padlock</h1>\n<table>\n",
    );
    for (k, v) in rows {
        let _ = writeln!(html, "<tr><th>{k}</th><td>{}</td></tr>", escape(&v));
    }
    html.push_str("</table>\n</body></html>\n");
    html
}

fn list(items: Vec<String>) -> String {
    if items.is_empty() {
        "(none)".to_string()
    } else {
        items.join(", ")
    }
}

/// IANA names where we know them (GREASE values show as numbers).
fn names<T: std::fmt::Debug>(items: &[T]) -> String {
    list(items.iter().map(|x| format!("{x:?}")).collect())
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn lossy(p: &[u8]) -> String {
    String::from_utf8_lossy(p).into_owned()
}

/// The subject of the client's certificate, when it sent one in this handshake.
pub fn client_subject(info: &HandshakeInfo) -> Option<String> {
    let leaf = info.peer_certificates.first()?;
    info.client_authenticated.then(|| Summary::of(leaf).subject)
}

fn client_certificate(info: &HandshakeInfo) -> String {
    match client_subject(info) {
        Some(subject) => subject,
        None if info.client_authenticated => "(authenticated when the session began)".into(),
        None => "(none)".into(),
    }
}

/// The one line `serve` logs for a handshake.
pub fn describe(info: &HandshakeInfo, early_data: usize) -> String {
    let mut line = format!(
        "TLS 1.3 {} {}",
        info.cipher_suite.unwrap_or("?"),
        info.group_name.unwrap_or("?")
    );
    if info.hello_retry {
        line.push_str(" after HelloRetryRequest");
    }
    if let Some(p) = &info.alpn {
        let _ = write!(line, " alpn={}", String::from_utf8_lossy(p));
    }
    if let Some(n) = &info.server_name {
        let _ = write!(line, " sni={n}");
    }
    if info.resumed {
        line.push_str(" resumed");
    }
    if info.early_data_accepted {
        let _ = write!(line, " 0-RTT={early_data}B");
    }
    match client_subject(info) {
        Some(s) => {
            let _ = write!(line, " client-cert={s:?}");
        }
        None if info.client_authenticated => {
            line.push_str(" client-cert=(from the resumed session)")
        }
        None => {}
    }
    line
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connections_page_is_rendered_again_only_when_the_request_differs() {
        let visit = Visit {
            peer: "127.0.0.1:1".parse().unwrap(),
            info: HandshakeInfo::default(),
            offered: None,
            page: Rendered::default(),
        };
        let first = page(&visit, false, hyper::Version::HTTP_11);
        let again = page(&visit, false, hyper::Version::HTTP_11);
        // The same bytes, not a copy.
        assert_eq!(first.as_ptr(), again.as_ptr());
        assert_eq!(first, render(&visit, false, hyper::Version::HTTP_11));
        let early = page(&visit, true, hyper::Version::HTTP_11);
        let early = std::str::from_utf8(&early).unwrap();
        assert!(early.contains("this request came as early data"), "{early}");
        let h2 = page(&visit, false, hyper::Version::HTTP_2);
        assert!(std::str::from_utf8(&h2)
            .unwrap()
            .contains("<td>HTTP/2.0</td>"));
    }
}
