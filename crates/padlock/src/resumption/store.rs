//! Where a client keeps tickets between connections: in memory, bounded, and optionally in a
//! file so that separate processes (the command line) can resume.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::session::{unix_now_ms, ClientSession};

/// A client's tickets, keyed by server name. Tickets are taken, not copied: RFC 8446 §C.4
/// advises against reusing one (it would link the connections).
pub trait SessionStore: Send + Sync {
    /// Keeps a ticket for `session.server_name`.
    fn put(&self, session: ClientSession);
    /// Takes the newest fresh ticket for `server_name`, if any.
    fn take(&self, server_name: &str) -> Option<ClientSession>;
}

/// Tickets in memory: at most `max_names` servers and `per_name` tickets each.
pub struct MemorySessionStore {
    inner: Mutex<Inner>,
    max_names: usize,
    per_name: usize,
}

#[derive(Default)]
struct Inner {
    by_name: HashMap<String, VecDeque<ClientSession>>,
    names: VecDeque<String>,
}

impl MemorySessionStore {
    /// A store bounded to `max_names` servers with `per_name` tickets each.
    pub fn new(max_names: usize, per_name: usize) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            max_names: max_names.max(1),
            per_name: per_name.max(1),
        }
    }

    fn all(&self) -> Vec<ClientSession> {
        self.inner
            .lock()
            .map(|i| i.by_name.values().flatten().cloned().collect())
            .unwrap_or_default()
    }
}

impl Default for MemorySessionStore {
    fn default() -> Self {
        Self::new(256, 4)
    }
}

impl SessionStore for MemorySessionStore {
    fn put(&self, session: ClientSession) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        let name = session.server_name.clone();
        if !inner.by_name.contains_key(&name) {
            while inner.by_name.len() >= self.max_names {
                let Some(oldest) = inner.names.pop_front() else {
                    break;
                };
                inner.by_name.remove(&oldest);
            }
            inner.names.push_back(name.clone());
        }
        let list = inner.by_name.entry(name).or_default();
        while list.len() >= self.per_name {
            list.pop_front();
        }
        list.push_back(session);
    }

    fn take(&self, server_name: &str) -> Option<ClientSession> {
        let mut inner = self.inner.lock().ok()?;
        let now = unix_now_ms();
        let list = inner.by_name.get_mut(server_name)?;
        list.retain(|s| s.is_fresh(now));
        list.pop_back()
    }
}

impl std::fmt::Debug for MemorySessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemorySessionStore")
            .field("max_names", &self.max_names)
            .field("per_name", &self.per_name)
            .finish_non_exhaustive()
    }
}

/// A [`MemorySessionStore`] mirrored to a file after every change. The file holds secrets
/// (the PSKs): it is created readable by its owner only.
pub struct FileSessionStore {
    memory: MemorySessionStore,
    path: PathBuf,
}

/// Session files larger than this are ignored rather than read.
const MAX_FILE: u64 = 1 << 20;

impl FileSessionStore {
    /// Loads `path` if it exists (a missing or damaged file is an empty store).
    pub fn open(path: impl AsRef<Path>) -> Self {
        let path = path.as_ref().to_path_buf();
        let memory = MemorySessionStore::default();
        let small = std::fs::metadata(&path).is_ok_and(|m| m.len() <= MAX_FILE);
        if let (true, Ok(text)) = (small, std::fs::read_to_string(&path)) {
            for line in text.lines() {
                if let Some(s) =
                    decode_hex(line.trim()).and_then(|b| ClientSession::decode(&b).ok())
                {
                    memory.put(s);
                }
            }
        }
        Self { memory, path }
    }

    fn save(&self) {
        let now = unix_now_ms();
        let mut text = String::new();
        for s in self.memory.all().into_iter().filter(|s| s.is_fresh(now)) {
            text.push_str(&encode_hex(&s.encode()));
            text.push('\n');
        }
        let tmp = self.path.with_extension("tmp");
        if write_private(&tmp, text.as_bytes()).is_ok() {
            let _ = std::fs::rename(&tmp, &self.path);
        }
    }
}

fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(data)
}

impl SessionStore for FileSessionStore {
    fn put(&self, session: ClientSession) {
        self.memory.put(session);
        self.save();
    }

    fn take(&self, server_name: &str) -> Option<ClientSession> {
        let s = self.memory.take(server_name);
        if s.is_some() {
            self.save();
        }
        s
    }
}

impl std::fmt::Debug for FileSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileSessionStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use zeroize::Zeroizing;

    fn session(name: &str, ticket: u8) -> ClientSession {
        ClientSession {
            server_name: name.into(),
            suite_id: 0x1301,
            ticket: vec![ticket],
            psk: Zeroizing::new(vec![1; 32]),
            age_add: 0,
            lifetime: 3600,
            received_ms: unix_now_ms(),
            max_early_data: 0,
            alpn: None,
        }
    }

    #[test]
    fn memory_store_is_bounded_and_single_use() {
        let s = MemorySessionStore::new(2, 2);
        s.put(session("a", 1));
        s.put(session("a", 2));
        s.put(session("a", 3));
        assert_eq!(s.take("a").unwrap().ticket, vec![3]);
        assert_eq!(s.take("a").unwrap().ticket, vec![2]);
        assert!(s.take("a").is_none(), "ticket 1 was evicted");
        s.put(session("b", 1));
        s.put(session("c", 1));
        s.put(session("d", 1));
        assert!(s.take("b").is_none(), "oldest name evicted");
        assert!(s.take("d").is_some());
    }

    #[test]
    fn file_store_survives_a_restart() {
        let path = std::env::temp_dir().join(format!("padlock-sessions-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        FileSessionStore::open(&path).put(session("example.com", 7));
        let again = FileSessionStore::open(&path);
        assert_eq!(again.take("example.com").unwrap().ticket, vec![7]);
        assert!(FileSessionStore::open(&path).take("example.com").is_none());
        let _ = std::fs::remove_file(&path);
    }
}
