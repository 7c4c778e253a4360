//! `--root DIR`: static files, and nothing outside DIR.
//!
//! A request path is percent-decoded and split into names; `..`, dot files (but
//! `.well-known`, RFC 8615) and NUL bytes are refused before the file system is asked. The
//! path is then resolved with every symbolic link followed and must still lie under the
//! (equally resolved) root, and the file actually opened is checked once more through
//! /proc/self/fd, so a link swapped in between the check and the open cannot lead out either.

use std::ffi::OsStr;
use std::fs::File;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The directory `--root` serves.
#[derive(Debug, Clone)]
pub struct Root {
    /// Absolute, with symbolic links resolved.
    dir: Arc<PathBuf>,
}

/// What a request path leads to.
#[derive(Debug)]
pub enum Lookup {
    /// A regular file under the root, opened.
    File {
        file: File,
        len: u64,
        content_type: &'static str,
    },
    /// A directory named without its trailing slash: relative links in its index.html only
    /// work from the slashed URL, so the client is sent there.
    AddSlash,
    NotFound,
}

impl Root {
    /// The root at `dir`, which must be a directory.
    pub fn open(dir: &Path) -> Result<Root, String> {
        let real =
            std::fs::canonicalize(dir).map_err(|e| format!("--root {}: {e}", dir.display()))?;
        if !real.is_dir() {
            return Err(format!("--root {}: not a directory", dir.display()));
        }
        Ok(Root {
            dir: Arc::new(real),
        })
    }

    /// Finds the file for `uri_path` (the request's path, still percent-encoded), on a
    /// blocking thread.
    pub async fn lookup(&self, uri_path: &str) -> Lookup {
        let Some(relative) = relative_path(uri_path) else {
            return Lookup::NotFound;
        };
        let dir = self.dir.clone();
        let slashed = uri_path.ends_with('/');
        tokio::task::spawn_blocking(move || lookup(&dir, &relative, slashed))
            .await
            .unwrap_or(Lookup::NotFound)
    }
}

/// The relative path `uri_path` names, or `None` if it is not one we serve.
fn relative_path(uri_path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(uri_path.as_bytes())?;
    let mut path = PathBuf::new();
    for name in decoded.split(|&b| b == b'/') {
        match name {
            b"" | b"." => continue,
            b".." => return None,
            [b'.', ..] if name != b".well-known" => return None,
            _ if name.contains(&0) => return None,
            _ => path.push(OsStr::from_bytes(name)),
        }
    }
    Some(path)
}

/// `%XX` escapes decoded (RFC 3986 §2.1); `None` for a malformed one.
fn percent_decode(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.iter();
    while let Some(&b) = bytes.next() {
        if b == b'%' {
            let hi = hex(*bytes.next()?)?;
            let lo = hex(*bytes.next()?)?;
            out.push(hi << 4 | lo);
        } else {
            out.push(b);
        }
    }
    Some(out)
}

fn hex(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// Resolves `relative` under `dir` (see the module doc). Blocking.
fn lookup(dir: &Path, relative: &Path, slashed: bool) -> Lookup {
    let Some(mut real) = resolve_under(dir, &dir.join(relative)) else {
        return Lookup::NotFound;
    };
    if real.is_dir() {
        if !slashed {
            return Lookup::AddSlash;
        }
        match resolve_under(dir, &real.join("index.html")) {
            Some(index) => real = index,
            None => return Lookup::NotFound,
        }
    }
    // Only regular files: opening a FIFO would block, a device is no web page.
    if !real.is_file() {
        return Lookup::NotFound;
    }
    let Ok(file) = File::open(&real) else {
        return Lookup::NotFound;
    };
    // What was opened, whatever happened to the path since it was checked.
    if let Ok(opened) = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())) {
        if !opened.starts_with(dir) {
            return Lookup::NotFound;
        }
    }
    match file.metadata() {
        Ok(meta) if meta.is_file() => Lookup::File {
            len: meta.len(),
            content_type: content_type(&real),
            file,
        },
        _ => Lookup::NotFound,
    }
}

/// `path` with every symbolic link resolved, if it exists and lies under `dir`.
fn resolve_under(dir: &Path, path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path)
        .ok()
        .filter(|real| real.starts_with(dir))
}

/// The media type for a file name's extension; text is UTF-8.
pub fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(OsStr::to_str)
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json",
        "txt" | "text" | "log" => "text/plain; charset=utf-8",
        "md" => "text/markdown; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/vnd.microsoft.icon",
        "pdf" => "application/pdf",
        "wasm" => "application/wasm",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "wav" => "audio/wav",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "tar" => "application/x-tar",
        "pem" | "crt" => "application/x-pem-file",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("padlock-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn request_paths_become_relative_paths_without_escapes() {
        assert_eq!(relative_path("/"), Some(PathBuf::new()));
        assert_eq!(relative_path("/a/./b/"), Some(PathBuf::from("a/b")));
        assert_eq!(relative_path("/a%20b.txt"), Some(PathBuf::from("a b.txt")));
        assert_eq!(
            relative_path("/.well-known/x"),
            Some(PathBuf::from(".well-known/x"))
        );
        for bad in [
            "/../etc/passwd",
            "/a/../../b",
            "/%2e%2e/etc/passwd",
            "/a%2f..%2f..%2fb",
            "/.git/config",
            "/a/.env",
            "/a%00b",
            "/bad%zz",
            "/bad%2",
        ] {
            assert_eq!(relative_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn files_directories_and_links_under_the_root() {
        let base = scratch("root");
        let root_dir = base.join("site");
        std::fs::create_dir_all(root_dir.join("docs")).unwrap();
        std::fs::write(root_dir.join("index.html"), "<p>home</p>").unwrap();
        std::fs::write(root_dir.join("docs/index.html"), "<p>docs</p>").unwrap();
        std::fs::write(root_dir.join("style.CSS"), "p {}").unwrap();
        std::fs::create_dir_all(root_dir.join("empty")).unwrap();
        std::fs::write(base.join("secret.txt"), "secret").unwrap();
        symlink(base.join("secret.txt"), root_dir.join("leak.txt")).unwrap();
        symlink(&base, root_dir.join("up")).unwrap();
        symlink(root_dir.join("style.CSS"), root_dir.join("inside.css")).unwrap();
        let root = Root::open(&root_dir).unwrap();
        let dir = root.dir.as_path();

        let found = |rel: &str, slashed| match lookup(dir, Path::new(rel), slashed) {
            Lookup::File {
                len, content_type, ..
            } => format!("{len} {content_type}"),
            Lookup::AddSlash => "add slash".into(),
            Lookup::NotFound => "not found".into(),
        };
        assert_eq!(found("", true), "11 text/html; charset=utf-8");
        assert_eq!(found("docs", false), "add slash");
        assert_eq!(found("docs", true), "11 text/html; charset=utf-8");
        assert_eq!(found("style.CSS", false), "4 text/css; charset=utf-8");
        assert_eq!(found("inside.css", false), "4 text/css; charset=utf-8");
        assert_eq!(found("empty", true), "not found");
        assert_eq!(found("missing.txt", false), "not found");
        // Links that lead out of the root.
        assert_eq!(found("leak.txt", false), "not found");
        assert_eq!(found("up/secret.txt", false), "not found");
        assert!(Root::open(&root_dir.join("index.html")).is_err());
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn content_types_by_extension() {
        assert_eq!(content_type(Path::new("a.png")), "image/png");
        assert_eq!(content_type(Path::new("a.JPG")), "image/jpeg");
        assert_eq!(content_type(Path::new("a.wasm")), "application/wasm");
        assert_eq!(content_type(Path::new("noext")), "application/octet-stream");
    }
}
