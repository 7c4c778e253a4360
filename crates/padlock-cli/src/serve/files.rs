//! `--root DIR`: static files, and nothing outside DIR.
//!
//! A request path is percent-decoded and split into names; `..`, dot files (but
//! `.well-known`, RFC 8615) and NUL bytes are refused before the file system is asked. The
//! path is then resolved with every symbolic link followed and must still lie under the
//! (equally resolved) root, and the file actually opened is checked once more through
//! /proc/self/fd, so a link swapped in between the check and the open cannot lead out either.
//!
//! That costs a dozen system calls and a trip to a blocking thread, many times what sending a
//! small file costs. So files up to [`MAX_CACHED_FILE`] are read whole and kept, by request
//! path; a later request for the same path only checks, with one `stat` of the same path
//! (links followed), that it still leads to the same file, unchanged: same device and inode,
//! size, modification and change times. A link swapped to lead elsewhere, or a file
//! rewritten, fails that check and is looked up afresh.
//! File times tick coarsely (a few milliseconds), so a file rewritten in the same tick with
//! the same size would look unchanged: a file changed within the last [`SETTLED`] is served
//! but not kept (git's "racy clean" rule), and any later change moves its change time.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs::{File, Metadata};
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hyper::body::Bytes;

/// Files up to this size are read whole and kept in memory.
pub const MAX_CACHED_FILE: u64 = 128 * 1024;
/// Bounds on the cache: when a new file would go past either, it starts over empty.
const MAX_CACHED_BYTES: usize = 32 * 1024 * 1024;
const MAX_CACHED_FILES: usize = 4096;
/// How long ago a file must have last changed to be kept (see the module doc).
const SETTLED: Duration = Duration::from_secs(1);

/// The directory `--root` serves.
#[derive(Debug, Clone)]
pub struct Root {
    /// Absolute, with symbolic links resolved.
    dir: Arc<PathBuf>,
    cache: Arc<Mutex<Cache>>,
}

/// Small files by request path (see the module doc).
#[derive(Debug, Default)]
struct Cache {
    files: HashMap<String, Arc<Cached>>,
    bytes: usize,
}

#[derive(Debug)]
struct Cached {
    /// What to `stat` to see whether the request path still leads to this file.
    check: PathBuf,
    id: FileId,
    bytes: Bytes,
    content_type: &'static str,
}

/// What tells one version of a file from another without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl FileId {
    /// Whether the file changed too recently for a later change to be told by its times.
    fn recent(&self) -> bool {
        let (secs, nanos) = self.ctime;
        let changed = u64::try_from(secs)
            .ok()
            .zip(u32::try_from(nanos).ok())
            .map(|(s, n)| UNIX_EPOCH + Duration::new(s, n));
        match changed {
            Some(changed) => changed + SETTLED > SystemTime::now(),
            None => true,
        }
    }

    fn of(meta: &Metadata) -> Self {
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }
}

impl Cache {
    fn insert(&mut self, key: &str, file: Arc<Cached>) {
        let len = file.bytes.len();
        if self.files.len() >= MAX_CACHED_FILES || self.bytes + len > MAX_CACHED_BYTES {
            self.files.clear();
            self.bytes = 0;
        }
        self.bytes += len;
        if let Some(old) = self.files.insert(key.to_owned(), file) {
            self.bytes -= old.bytes.len();
        }
    }
}

/// A file's content, as a request gets it.
#[derive(Debug)]
pub enum Content {
    /// A small file, read whole (maybe from the cache).
    Bytes(Bytes),
    /// A larger file, opened, to be read as it is sent.
    File { file: File, len: u64 },
}

#[cfg(test)]
impl Content {
    /// The length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Content::Bytes(b) => b.len() as u64,
            Content::File { len, .. } => *len,
        }
    }
}

/// What a request path leads to.
#[derive(Debug)]
pub enum Lookup {
    /// A regular file under the root.
    File {
        content: Content,
        content_type: &'static str,
    },
    /// A directory named without its trailing slash: relative links in its index.html only
    /// work from the slashed URL, so the client is sent there.
    AddSlash,
    NotFound,
    /// A regular file, opened but not read yet (inside the blocking lookup only).
    Opened {
        file: File,
        meta: Metadata,
        /// The path as the request named it (links not resolved), to check it again later.
        check: PathBuf,
        content_type: &'static str,
    },
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
            cache: Arc::default(),
        })
    }

    /// Finds the file for `uri_path` (the request's path, still percent-encoded): from the
    /// cache if it is there and unchanged, else on a blocking thread.
    pub async fn lookup(&self, uri_path: &str) -> Lookup {
        if let Some(hit) = self.cached(uri_path) {
            return hit;
        }
        let Some(relative) = relative_path(uri_path) else {
            return Lookup::NotFound;
        };
        let dir = self.dir.clone();
        let slashed = uri_path.ends_with('/');
        let found = tokio::task::spawn_blocking(move || {
            let found = lookup(&dir, &relative, slashed);
            // Read small files whole here, on the blocking thread, rather than a chunk per
            // trip to one later.
            let (found, check) = found.read_small();
            let cached = match (&found, check) {
                (
                    Lookup::File {
                        content: Content::Bytes(bytes),
                        content_type,
                    },
                    Some((check, id)),
                ) => Some(Arc::new(Cached {
                    check,
                    id,
                    bytes: bytes.clone(),
                    content_type,
                })),
                _ => None,
            };
            (found, cached)
        })
        .await;
        let Ok((found, cached)) = found else {
            return Lookup::NotFound;
        };
        if let Some(cached) = cached {
            self.cache
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(uri_path, cached);
        }
        found
    }

    /// The cached file for `uri_path`, if the path still leads to it unchanged.
    fn cached(&self, uri_path: &str) -> Option<Lookup> {
        let hit = self
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .files
            .get(uri_path)
            .cloned()?;
        // One stat, on this (runtime) thread: a few microseconds for a path the kernel just
        // resolved, much less than handing the request to a blocking thread. This is what
        // nginx does on its event loop, too.
        let now = std::fs::metadata(&hit.check).ok()?;
        (FileId::of(&now) == hit.id).then(|| Lookup::File {
            content: Content::Bytes(hit.bytes.clone()),
            content_type: hit.content_type,
        })
    }
}

impl Lookup {
    /// A small file read whole, with what to check before serving it again; anything else
    /// as it was. Blocking.
    fn read_small(self) -> (Lookup, Option<(PathBuf, FileId)>) {
        let Lookup::Opened {
            file,
            meta,
            check,
            content_type,
        } = self
        else {
            return (self, None);
        };
        let len = meta.len();
        if len > MAX_CACHED_FILE {
            let content = Content::File { file, len };
            return (
                Lookup::File {
                    content,
                    content_type,
                },
                None,
            );
        }
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        let mut file = file;
        if (&mut file)
            .take(MAX_CACHED_FILE)
            .read_to_end(&mut bytes)
            .is_err()
        {
            return (Lookup::NotFound, None);
        }
        // Changed while it was read: serve what was read (its length is what is announced),
        // but do not keep it.
        let id = FileId::of(&meta);
        let unchanged = bytes.len() as u64 == len
            && file.metadata().is_ok_and(|after| FileId::of(&after) == id)
            && !id.recent();
        let found = Lookup::File {
            content: Content::Bytes(Bytes::from(bytes)),
            content_type,
        };
        (found, unchanged.then_some((check, id)))
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
    let mut check = dir.join(relative);
    let Some(mut real) = resolve_under(dir, &check) else {
        return Lookup::NotFound;
    };
    if real.is_dir() {
        if !slashed {
            return Lookup::AddSlash;
        }
        check.push("index.html");
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
        Ok(meta) if meta.is_file() => Lookup::Opened {
            file,
            meta,
            check,
            content_type: content_type(&real),
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

        let found = |rel: &str, slashed| match lookup(dir, Path::new(rel), slashed).read_small() {
            (
                Lookup::File {
                    content,
                    content_type,
                },
                _,
            ) => format!("{} {content_type}", content.len()),
            (Lookup::AddSlash, _) => "add slash".into(),
            (_, _) => "not found".into(),
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

    fn text(found: Lookup) -> String {
        match found {
            Lookup::File {
                content: Content::Bytes(b),
                ..
            } => String::from_utf8(b.to_vec()).unwrap(),
            other => format!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn small_files_are_kept_until_they_change_or_their_path_leads_elsewhere() {
        let base = scratch("cache");
        let root_dir = base.join("site");
        std::fs::create_dir_all(root_dir.join("docs")).unwrap();
        std::fs::write(root_dir.join("a.txt"), "one").unwrap();
        std::fs::write(root_dir.join("docs/index.html"), "docs").unwrap();
        std::fs::write(base.join("secret.txt"), "secret").unwrap();
        symlink(root_dir.join("a.txt"), root_dir.join("link.txt")).unwrap();
        let root = Root::open(&root_dir).unwrap();

        // Just written: served, not kept.
        assert_eq!(text(root.lookup("/a.txt").await), "one");
        assert!(root.cached("/a.txt").is_none());
        std::thread::sleep(SETTLED + Duration::from_millis(100));
        for path in ["/a.txt", "/link.txt", "/docs/"] {
            root.lookup(path).await;
            assert!(root.cached(path).is_some(), "{path}");
        }
        assert_eq!(text(root.cached("/docs/").unwrap()), "docs");

        // Rewritten with the same size: its change time moved.
        std::fs::write(root_dir.join("a.txt"), "two").unwrap();
        assert!(root.cached("/a.txt").is_none());
        assert_eq!(text(root.lookup("/a.txt").await), "two");
        // A link swapped to lead out of the root.
        std::fs::remove_file(root_dir.join("link.txt")).unwrap();
        symlink(base.join("secret.txt"), root_dir.join("link.txt")).unwrap();
        assert!(root.cached("/link.txt").is_none());
        assert_eq!(text(root.lookup("/link.txt").await), "NotFound");
        // A directory's index removed.
        std::fs::remove_file(root_dir.join("docs/index.html")).unwrap();
        assert!(root.cached("/docs/").is_none());
        assert_eq!(text(root.lookup("/docs/").await), "NotFound");
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
