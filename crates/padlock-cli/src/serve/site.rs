//! What `padlock serve` answers: the handshake page, files under `--root`, 404 and 405.

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE, LOCATION};
use hyper::{Method, Request, Response, StatusCode};

use super::body::Body;
use super::files::{Content, Lookup, Root};
use super::page;
use super::server::{Handler, Visit};

/// Where the handshake page always is. A dot name: `--root` never serves one, so no file
/// can hide it.
pub const PAGE_PATH: &str = "/.padlock";

/// The handler for `serve`: the page at [`PAGE_PATH`], the files under `root`, and the page
/// at `/` too unless `root` has an index.html.
pub fn handler(root: Option<Root>) -> Handler {
    Arc::new(move |req, visit, early| {
        let root = root.clone();
        Box::pin(async move { route(req, &visit, early, root.as_ref()).await })
    })
}

async fn route(
    req: Request<Incoming>,
    visit: &Visit,
    early: bool,
    root: Option<&Root>,
) -> Response<Body> {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n");
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let path = req.uri().path();
    let show_page = || {
        let html = page::page(visit, early, req.version());
        with_type(Response::new(Body::text(html)), "text/html; charset=utf-8")
    };
    if path == PAGE_PATH {
        return show_page();
    }
    let Some(root) = root else {
        return match path {
            "/" => show_page(),
            _ => not_found(),
        };
    };
    match root.lookup(path).await {
        Lookup::File {
            content,
            content_type,
        } => {
            let body = match content {
                Content::Bytes(bytes) => Body::text(bytes),
                Content::File { file, len } => Body::file(tokio::fs::File::from_std(file), len),
            };
            with_type(Response::new(body), content_type)
        }
        Lookup::AddSlash => match HeaderValue::from_str(&format!("{path}/")) {
            Ok(location) => {
                let mut r = text(StatusCode::MOVED_PERMANENTLY, "moved\n");
                r.headers_mut().insert(LOCATION, location);
                r
            }
            Err(_) => not_found(),
        },
        Lookup::NotFound | Lookup::Opened { .. } if path == "/" => show_page(),
        Lookup::NotFound | Lookup::Opened { .. } => not_found(),
    }
}

fn with_type(mut r: Response<Body>, content_type: &'static str) -> Response<Body> {
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut r = with_type(Response::new(Body::text(body)), "text/plain; charset=utf-8");
    *r.status_mut() = status;
    r
}

fn not_found() -> Response<Body> {
    text(StatusCode::NOT_FOUND, "not found\n")
}
