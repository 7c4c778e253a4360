//! `padlock scan URL` against an HTTPS server run by each test: a padlock server (the
//! library, over a TcpListener) serving fixed pages with each kind of mixed content, clean
//! pages, redirects, chunked and close-delimited bodies, and broken responses. The tests
//! check the items found, their classification, the exit status and the JSON.

#[path = "../../padlock/tests/common/mod.rs"]
mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener};
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use padlock::{CertifiedKey, Connection, ServerConfig, Stream};
use padlock_cert::{PeerName, RootStore, VerifyOptions};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use serde_json::Value;

/// Every kind of mixed content, one per line where it can be, plus things that are not
/// mixed content (a link, https://, relative and protocol-relative URLs).
const ACTIVE_PAGE: &str = r#"<!doctype html>
<html><head>
<title>mixed</title>
<script src="http://cdn.test/app.js"></script>
<link rel="stylesheet" href="http://cdn.test/site.css">
<style>
  @import url("http://cdn.test/import.css");
  @font-face { font-family: f; src: url(http://cdn.test/f.woff2); }
  body { background: url('http://cdn.test/bg.png'); }
</style>
</head><body>
<iframe src="http://widgets.test/frame"></iframe>
<object data="http://cdn.test/movie.swf"></object>
<embed src="http://cdn.test/plugin">
<form action="http://shop.test/login" method="post"><input name=q></form>
<img src="http://img.test/a.png" srcset="https://img.test/b.png 2x, http://img.test/c.png 3x">
<video src="http://media.test/v.mp4" poster="http://media.test/p.jpg"><track src="http://media.test/subs.vtt"></video>
<audio><source src="http://media.test/a.ogg"></audio>
<div style="background-image: url(http://img.test/div.png)">x</div>
<a href="http://elsewhere.test/">a link is not mixed content</a>
<script src="https://cdn.test/ok.js"></script><img src="/local.png"><img src="//img.test/proto.png">
</body></html>
"#;

/// (class, kind, tag, attribute, url, line) for [`ACTIVE_PAGE`].
const ACTIVE_ITEMS: &[(&str, &str, &str, &str, &str, u64)] = &[
    (
        "active",
        "script",
        "script",
        "src",
        "http://cdn.test/app.js",
        4,
    ),
    (
        "active",
        "stylesheet",
        "link",
        "href",
        "http://cdn.test/site.css",
        5,
    ),
    (
        "active",
        "stylesheet",
        "style",
        "@import",
        "http://cdn.test/import.css",
        7,
    ),
    (
        "active",
        "font",
        "style",
        "url()",
        "http://cdn.test/f.woff2",
        8,
    ),
    (
        "passive",
        "image",
        "style",
        "url()",
        "http://cdn.test/bg.png",
        9,
    ),
    (
        "active",
        "frame",
        "iframe",
        "src",
        "http://widgets.test/frame",
        12,
    ),
    (
        "active",
        "object",
        "object",
        "data",
        "http://cdn.test/movie.swf",
        13,
    ),
    (
        "active",
        "object",
        "embed",
        "src",
        "http://cdn.test/plugin",
        14,
    ),
    (
        "active",
        "form",
        "form",
        "action",
        "http://shop.test/login",
        15,
    ),
    (
        "passive",
        "image",
        "img",
        "src",
        "http://img.test/a.png",
        16,
    ),
    (
        "passive",
        "image",
        "img",
        "srcset",
        "http://img.test/c.png",
        16,
    ),
    (
        "passive",
        "media",
        "video",
        "src",
        "http://media.test/v.mp4",
        17,
    ),
    (
        "passive",
        "image",
        "video",
        "poster",
        "http://media.test/p.jpg",
        17,
    ),
    (
        "active",
        "text track",
        "track",
        "src",
        "http://media.test/subs.vtt",
        17,
    ),
    (
        "passive",
        "media",
        "source",
        "src",
        "http://media.test/a.ogg",
        18,
    ),
    (
        "passive",
        "image",
        "div",
        "style",
        "http://img.test/div.png",
        19,
    ),
];

const PASSIVE_PAGE: &str = "<!doctype html>\n<p>photos</p>\n\
    <img src=\"http://img.test/cat.jpg\" alt=cat>\n\
    <video controls><source src=\"HTTP://media.test/clip.webm\"></video>\n";

const CLEAN_PAGE: &str = "<!doctype html>\n<html><head>\
    <link rel=stylesheet href=/site.css><script src=https://cdn.test/app.js></script>\
    <link rel=canonical href=http://old.test/></head>\n<body><img src=//img.test/x.png>\
    <a href=http://elsewhere.test/>elsewhere</a>\
    <!-- <script src=http://cdn.test/old.js></script> -->\
    <script>var u = '<img src=http://in.script/x.png>';</script></body></html>\n";

fn ok_html(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn redirect(status: &str, location: &str) -> Vec<u8> {
    format!("HTTP/1.1 {status}\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n").into_bytes()
}

/// The body in chunks of 7 bytes, with a chunk extension and a trailer.
fn chunked_html(body: &str) -> Vec<u8> {
    let mut out =
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_vec();
    for chunk in body.as_bytes().chunks(7) {
        out.extend_from_slice(format!("{:x};note=1\r\n", chunk.len()).as_bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\nX-Trailer: yes\r\n\r\n");
    out
}

/// What the test server does for one request.
struct Reply {
    bytes: Vec<u8>,
    /// Close with close_notify (else: just shut the TCP connection).
    close_notify: bool,
    /// Send the body a byte at a time with this pause (a server that trickles).
    trickle: Option<Duration>,
}

fn reply(bytes: Vec<u8>) -> Reply {
    Reply {
        bytes,
        close_notify: true,
        trickle: None,
    }
}

fn route(path: &str, port: u16) -> Reply {
    match path {
        "/active" => reply(ok_html(ACTIVE_PAGE)),
        "/passive" => reply(ok_html(PASSIVE_PAGE)),
        "/clean" => reply(ok_html(CLEAN_PAGE)),
        "/meta-upgrade" => reply(ok_html(&format!(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"upgrade-insecure-requests\">\n{ACTIVE_PAGE}"
        ))),
        "/header-upgrade" => {
            let body = "<script src=http://cdn.test/app.js></script>";
            reply(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Security-Policy: \
                     default-src https:; upgrade-insecure-requests\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
                .into_bytes(),
            )
        }
        "/base" => reply(ok_html(
            "<base href=\"http://static.test/assets/\">\n<script src=\"app.js\"></script>\n",
        )),
        "/r1" => reply(redirect("301 Moved Permanently", "/r2")),
        "/r2" => reply(redirect(
            "302 Found",
            &format!("https://localhost:{port}/chunked"),
        )),
        "/chunked" => reply(chunked_html(ACTIVE_PAGE)),
        "/loop" => reply(redirect("302 Found", "loop")),
        "/downgrade" => reply(redirect(
            "301 Moved Permanently",
            &format!("http://localhost:{port}/active"),
        )),
        "/close" => reply(format!("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n{PASSIVE_PAGE}").into_bytes()),
        "/truncated" => Reply {
            bytes: b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n\
                     <img src=http://img.test/early.png>"
                .to_vec(),
            close_notify: false,
            trickle: None,
        },
        "/slow" => Reply {
            trickle: Some(Duration::from_millis(100)),
            ..reply(ok_html(&"<p>slow</p>".repeat(100)))
        },
        "/big" => {
            let body = format!(
                "<img src=http://img.test/first.png>\n{}\n<script src=http://cdn.test/late.js></script>",
                "<p>padding</p>".repeat(2000)
            );
            reply(ok_html(&body))
        }
        "/data.json" => reply(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}".to_vec(),
        ),
        _ => reply(
            b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 9\r\n\r\nnot found".to_vec(),
        ),
    }
}

/// A padlock HTTPS server on a free port (certificate for localhost from the shared test
/// PKI), answering every connection from [`route`].
fn start_server() -> u16 {
    let pki = TestPki::shared();
    let cred = pki.server(KeyKind::EcdsaP256);
    let key = CertifiedKey::from_pem_files(&cred.chain_pem, &cred.key_pem).unwrap();
    let config = Arc::new(ServerConfig::with_single_cert(key).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { continue };
            let config = config.clone();
            std::thread::spawn(move || {
                tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                let mut tls = Stream::new(Connection::server(config).unwrap(), tcp);
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&request).into_owned();
                assert!(
                    head.contains(&format!("\r\nHost: localhost:{port}\r\n")),
                    "{head}"
                );
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let r = route(&path, port);
                if let Some(pause) = r.trickle {
                    for b in &r.bytes {
                        if tls.write_all(&[*b]).is_err() {
                            return;
                        }
                        std::thread::sleep(pause);
                    }
                } else if tls.write_all(&r.bytes).is_err() {
                    return;
                }
                if r.close_notify {
                    let _ = tls.close();
                    let mut rest = Vec::new();
                    let _ = tls.read_to_end(&mut rest);
                } else {
                    let _ = tls.get_mut().shutdown(Shutdown::Both);
                }
            });
        }
    });
    port
}

fn padlock(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_padlock"))
        .args(args)
        .output()
        .expect("run padlock")
}

/// `padlock scan https://localhost:PORT/PATH --ca <the test root> extra...`
fn scan(port: u16, path: &str, extra: &[&str]) -> Output {
    let url = format!("https://localhost:{port}{path}");
    let ca = TestPki::shared().ca_pem();
    let mut args = vec!["scan", url.as_str(), "--ca", ca.to_str().unwrap()];
    args.extend_from_slice(extra);
    padlock(&args)
}

fn scan_json(port: u16, path: &str, extra: &[&str]) -> (Value, i32) {
    let mut all = vec!["--json"];
    all.extend_from_slice(extra);
    let out = scan(port, path, &all);
    let text = String::from_utf8_lossy(&out.stdout);
    let json: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{e}: {text}\n{}", String::from_utf8_lossy(&out.stderr)));
    (json, out.status.code().unwrap())
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn items(json: &Value) -> Vec<(String, String, String, String, String, u64)> {
    json["mixed_content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let s = |k: &str| i[k].as_str().unwrap().to_string();
            (
                s("class"),
                s("kind"),
                s("tag"),
                s("attribute"),
                s("url"),
                i["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn expected(
    list: &[(&str, &str, &str, &str, &str, u64)],
) -> Vec<(String, String, String, String, String, u64)> {
    list.iter()
        .map(|(c, k, t, a, u, l)| {
            (
                c.to_string(),
                k.to_string(),
                t.to_string(),
                a.to_string(),
                u.to_string(),
                *l,
            )
        })
        .collect()
}

#[test]
fn every_kind_of_mixed_content_is_found_and_classified() {
    let port = start_server();
    let (json, code) = scan_json(port, "/active", &[]);
    assert_eq!(code, 1, "active mixed content: exit 1\n{json:#}");
    assert_eq!(items(&json), expected(ACTIVE_ITEMS));
    assert_eq!(json["active"], 9);
    assert_eq!(json["passive"], 7);
    assert_eq!(json["status"], 200);
    assert_eq!(json["certificate"]["valid"], true);
    assert_eq!(json["handshake"]["version"], "TLSv1.3");
    assert!(json["handshake"]["cipher_suite"]
        .as_str()
        .unwrap()
        .starts_with("TLS_"));
    assert_eq!(json["upgrade_insecure_requests"], false);
    assert_eq!(json["exit_code"], 1);
    let form = &json["mixed_content"][8];
    assert_eq!(form["fix"], "send the form to an https:// URL");
    assert_eq!(
        json["mixed_content"][0]["fix"],
        "load it over https://, or use a protocol-relative (//host/path) or relative URL"
    );
    assert!(json["fix"]
        .as_str()
        .unwrap()
        .contains("Content-Security-Policy: upgrade-insecure-requests"));
}

#[test]
fn text_report_lists_items_with_line_and_fix() {
    let port = start_server();
    let out = scan(port, "/active", &[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains(&format!("scan of https://localhost:{port}/active")),
        "{t}"
    );
    assert!(t.contains("connection: TLS 1.3, TLS_"), "{t}");
    assert!(t.contains("certificate: valid for localhost (CN="), "{t}");
    assert!(
        t.contains("mixed content: 16 items, 9 active (browsers block them), 7 passive"),
        "{t}"
    );
    for line in [
        "active  line 4     script     <script src>             http://cdn.test/app.js",
        "active  line 7     stylesheet <style> @import          http://cdn.test/import.css",
        "active  line 15    form       <form action>            http://shop.test/login",
        "passive line 16    image      <img srcset>             http://img.test/c.png",
        "passive line 19    image      <div style>              http://img.test/div.png",
    ] {
        assert!(t.contains(line), "missing {line:?} in\n{t}");
    }
    assert!(
        t.contains("fix: Load it over https://, or use a protocol-relative"),
        "{t}"
    );
    assert!(t.contains("fix: Send the form to an https:// URL."), "{t}");
    assert!(
        t.contains("Content-Security-Policy: upgrade-insecure-requests"),
        "{t}"
    );
    // Plain output when piped: no colour codes.
    assert!(!t.contains('\x1b'), "{t}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn passive_only_exits_zero_and_a_clean_page_says_none() {
    let port = start_server();
    let (json, code) = scan_json(port, "/passive", &[]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(
        items(&json),
        expected(&[
            (
                "passive",
                "image",
                "img",
                "src",
                "http://img.test/cat.jpg",
                3
            ),
            (
                "passive",
                "media",
                "source",
                "src",
                "HTTP://media.test/clip.webm",
                4
            ),
        ])
    );

    let out = scan(port, "/clean", &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out).contains("mixed content: none: every subresource loads over https://"),
        "{}",
        text(&out)
    );
    let (json, code) = scan_json(port, "/clean", &[]);
    assert_eq!(
        (code, json["mixed_content"].as_array().unwrap().len()),
        (0, 0)
    );
    assert_eq!(json["fix"], Value::Null);
}

#[test]
fn upgrade_insecure_requests_covers_active_content() {
    let port = start_server();
    let (json, code) = scan_json(port, "/meta-upgrade", &[]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["upgrade_insecure_requests"], true);
    assert_eq!(json["active"], 9, "still listed");
    let out = scan(port, "/header-upgrade", &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out).contains("note: the page sends Content-Security-Policy: upgrade-insecure-requests, so browsers fetch all of these over https://"), "{}", text(&out));
}

#[test]
fn an_http_base_href_is_reported() {
    let port = start_server();
    let (json, code) = scan_json(port, "/base", &[]);
    assert_eq!(code, 1);
    assert_eq!(json["insecure_base"], "http://static.test/assets/");
    let item = &json["mixed_content"][0];
    assert_eq!(item["url"], "http://static.test/assets/app.js");
    assert_eq!(item["via_base"], true);
    assert_eq!(item["line"], 2);
    assert_eq!(
        item["fix"],
        "make the page's <base href> an https:// URL, or remove it"
    );
}

#[test]
fn redirects_are_followed_to_a_chunked_page() {
    let port = start_server();
    let (json, code) = scan_json(port, "/r1", &[]);
    assert_eq!(code, 1, "{json:#}");
    let statuses: Vec<u64> = json["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [301, 302, 200]);
    assert_eq!(
        json["final_url"],
        format!("https://localhost:{port}/chunked")
    );
    assert_eq!(json["bytes"], ACTIVE_PAGE.len());
    assert_eq!(items(&json), expected(ACTIVE_ITEMS));

    let out = scan(port, "/r1", &[]);
    let t = text(&out);
    assert!(
        t.contains(&format!(
            "GET https://localhost:{port}/r1 -> 301 Moved Permanently -> /r2"
        )),
        "{t}"
    );
    assert!(
        t.contains(&format!(
            "GET https://localhost:{port}/chunked -> 200 OK (text/html, {} bytes)",
            ACTIVE_PAGE.len()
        )),
        "{t}"
    );
}

#[test]
fn close_delimited_and_cut_short_bodies() {
    let port = start_server();
    let (json, code) = scan_json(port, "/close", &[]);
    assert_eq!((code, json["passive"].as_u64()), (0, Some(2)), "{json:#}");
    assert_eq!(json["ended_early"], Value::Null);

    let (json, code) = scan_json(port, "/truncated", &[]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["passive"], 1, "what arrived is scanned");
    assert!(json["ended_early"]
        .as_str()
        .unwrap()
        .contains("without close_notify"));
}

#[test]
fn max_bytes_bounds_what_is_scanned() {
    let port = start_server();
    let (json, code) = scan_json(port, "/big", &["--max-bytes", "1000"]);
    assert_eq!(code, 0, "the late script is past the limit\n{json:#}");
    assert_eq!(
        (json["cut"].as_bool(), json["bytes"].as_u64()),
        (Some(true), Some(1000))
    );
    assert_eq!(
        items(&json),
        expected(&[(
            "passive",
            "image",
            "img",
            "src",
            "http://img.test/first.png",
            1
        )])
    );
    let out = scan(port, "/big", &["--max-bytes", "1000"]);
    assert!(text(&out).contains(
        "note: the page is longer than 1000 bytes (--max-bytes); the rest was not scanned"
    ));
    let (json, code) = scan_json(port, "/big", &[]);
    assert_eq!((code, json["active"].as_u64()), (1, Some(1)));
}

/// A failed scan: exit 2, one line on stderr, and the JSON says why.
fn failure(port: u16, path: &str) -> (String, Value) {
    failure_with(port, path, &[])
}

fn failure_with(port: u16, path: &str, extra: &[&str]) -> (String, Value) {
    let out = scan(port, path, extra);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("padlock: "), "{stderr}");
    let (json, code) = scan_json(port, path, extra);
    assert_eq!(code, 2);
    assert_eq!(json["mixed_content"].as_array().unwrap().len(), 0);
    (stderr, json)
}

#[test]
fn pages_that_cannot_be_scanned_exit_two() {
    let port = start_server();
    let (stderr, json) = failure(port, "/loop");
    assert!(stderr.contains("more than 5 redirects"), "{stderr}");
    assert_eq!(json["requests"].as_array().unwrap().len(), 6);
    assert!(json["error_fix"]
        .as_str()
        .unwrap()
        .contains("redirect loop"));

    let (stderr, json) = failure(port, "/downgrade");
    assert!(
        stderr.contains(&format!(
            "redirects to http://localhost:{port}/active, out of HTTPS"
        )),
        "{stderr}"
    );
    assert_eq!(json["error_fix"], "Redirect to an https:// URL.");

    let (stderr, _) = failure(port, "/missing");
    assert!(
        stderr.contains("answered 404 Not Found, not a page"),
        "{stderr}"
    );
    let (stderr, _) = failure(port, "/data.json");
    assert!(
        stderr.contains("is not an HTML page (Content-Type: application/json)"),
        "{stderr}"
    );
}

#[test]
fn bad_arguments_and_closed_ports() {
    let out = padlock(&["scan", "http://localhost/"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is plain http://"));
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = padlock(&["scan", &format!("https://127.0.0.1:{port}/")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot connect"));
}

#[test]
fn an_untrusted_certificate_is_reported_with_padlock_certs_sentence() {
    let port = start_server();
    // No --ca: the Mozilla roots, which do not include the test CA.
    let url = format!("https://localhost:{port}/clean");
    let out = padlock(&["scan", &url]);
    let t = text(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a bad certificate fails the scan\n{t}"
    );

    let pki = TestPki::shared();
    let chain: Vec<Vec<u8>> =
        CertificateDer::pem_file_iter(&pki.server(KeyKind::EcdsaP256).chain_pem)
            .unwrap()
            .map(|c| c.unwrap().to_vec())
            .collect();
    let intermediates: Vec<&[u8]> = chain[1..].iter().map(Vec::as_slice).collect();
    let err = padlock_cert::verify_chain(
        &chain[0],
        &intermediates,
        &RootStore::mozilla(),
        Some(&PeerName::Dns("localhost".into())),
        &VerifyOptions::default(),
    )
    .unwrap_err();
    assert!(
        t.contains(&format!("certificate: INVALID: {err} Fix: {}", err.fix())),
        "{t}"
    );
    // The page is still scanned.
    assert!(t.contains("mixed content: none"), "{t}");

    let out = padlock(&["scan", &url, "--json"]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["certificate"]["valid"], false);
    assert_eq!(json["certificate"]["error"], err.to_string());
    assert_eq!(json["certificate"]["fix"], err.fix());
    assert_eq!(json["exit_code"], 1);
}

#[test]
fn the_whole_scan_is_bounded_in_time() {
    // A server that trickles its page: the scan stops at --timeout, not at the page's end.
    let port = start_server();
    let started = std::time::Instant::now();
    let (stderr, _) = failure_with(port, "/slow", &["--timeout", "2"]);
    assert!(stderr.contains("took too long"), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );

    // A server that accepts and says nothing.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let started = std::time::Instant::now();
    let out = padlock(&[
        "scan",
        &format!("https://127.0.0.1:{port}/"),
        "--timeout",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("did not answer in time"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(silent);
}
