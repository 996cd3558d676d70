//! The on-disk cache of compiled components, kept bounded.
//!
//! An entry is `<sha256 of the wasm>-<engine hash>.cwasm`. Beside the entries,
//! `sources/` has one small file per component path that was loaded (named by
//! a hash of the path), holding the name of the entry compiled from it last.
//! When a rebuilt plugin's new entry is saved, the entry its path pointed at
//! before is removed, unless another path (another project sharing the cache)
//! still points at it. Past the size limit, the least recently used entries go
//! (an entry's modification time is its last use). Removing an entry another
//! process is loading is safe: a mapped file outlives its name, and a process
//! that finds no entry compiles again.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The cache's size limit unless `SEEDHOST_CACHE_MAX_MIB` says otherwise.
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;

/// One compiled component in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// When it was last used (saved or loaded).
    pub used: SystemTime,
    /// The component paths whose latest build it is.
    pub sources: Vec<String>,
}

/// The file recording which entry `source` (a component's path) compiled to.
fn index_file(dir: &Path, source: &Path) -> PathBuf {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    source.hash(&mut hasher);
    dir.join("sources")
        .join(format!("{:016x}", hasher.finish()))
}

/// Marks `entry` as just used, for the least-recently-used order.
pub fn touch(entry: &Path) {
    if let Ok(file) = std::fs::File::options().append(true).open(entry) {
        let _ = file.set_modified(SystemTime::now());
    }
}

/// Records that `source` now compiles to `entry`; removes the entry it
/// compiled to before if no other source points at it, then the least
/// recently used entries beyond `max_bytes` (never `entry` itself).
pub fn saved(dir: &Path, source: &Path, entry: &Path, max_bytes: u64) {
    let index = index_file(dir, source);
    let name = entry
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let previous = std::fs::read_to_string(&index).ok();
    let record = format!("{name}\n{}\n", source.display());
    if let Some(parent) = index.parent()
        && std::fs::create_dir_all(parent).is_ok()
    {
        let _ = std::fs::write(&index, record);
    }
    if let Some(old) = previous.as_deref().and_then(|p| p.lines().next())
        && old != name
        && !referenced(dir, old)
    {
        let _ = std::fs::remove_file(dir.join(old));
        tracing::debug!(
            entry = old,
            "removed the cached build a rebuilt plugin replaced"
        );
    }
    prune(dir, max_bytes, Some(entry));
}

/// Whether any source still points at the entry called `name`.
fn referenced(dir: &Path, name: &str) -> bool {
    let Ok(indexes) = std::fs::read_dir(dir.join("sources")) else {
        return false;
    };
    indexes
        .flatten()
        .any(|i| std::fs::read_to_string(i.path()).is_ok_and(|t| t.lines().next() == Some(name)))
}

/// Removes the least recently used entries until the rest fit `max_bytes`;
/// `keep` is never removed. Returns what was removed.
pub fn prune(dir: &Path, max_bytes: u64, keep: Option<&Path>) -> Vec<Entry> {
    let mut entries = list(dir);
    let mut total: u64 = entries.iter().map(|e| e.bytes).sum();
    entries.sort_by_key(|e| e.used);
    let mut removed = Vec::new();
    for entry in entries {
        if total <= max_bytes {
            break;
        }
        if Some(entry.path.as_path()) == keep {
            continue;
        }
        if std::fs::remove_file(&entry.path).is_ok() {
            total -= entry.bytes;
            removed.push(entry);
        }
    }
    removed
}

/// Every entry, most recently used first.
pub fn list(dir: &Path) -> Vec<Entry> {
    let Ok(files) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut sources: Vec<(String, String)> = Vec::new();
    if let Ok(indexes) = std::fs::read_dir(dir.join("sources")) {
        for index in indexes.flatten() {
            if let Ok(text) = std::fs::read_to_string(index.path()) {
                let mut lines = text.lines();
                if let (Some(entry), Some(source)) = (lines.next(), lines.next()) {
                    sources.push((entry.to_owned(), source.to_owned()));
                }
            }
        }
    }
    let mut entries: Vec<Entry> = files
        .flatten()
        .filter(|f| f.path().extension().is_some_and(|x| x == "cwasm"))
        .filter_map(|f| {
            let meta = f.metadata().ok()?;
            let name = f.file_name().to_string_lossy().into_owned();
            Some(Entry {
                sources: sources
                    .iter()
                    .filter(|(e, _)| *e == name)
                    .map(|(_, s)| s.clone())
                    .collect(),
                path: f.path(),
                bytes: meta.len(),
                used: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            })
        })
        .collect();
    entries.sort_by_key(|e| std::cmp::Reverse(e.used));
    entries
}

/// Removes every entry and the sources' records. Returns the entries removed.
pub fn clear(dir: &Path) -> Vec<Entry> {
    let entries = list(dir);
    let removed: Vec<Entry> = entries
        .into_iter()
        .filter(|e| std::fs::remove_file(&e.path).is_ok())
        .collect();
    let _ = std::fs::remove_dir_all(dir.join("sources"));
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(dir: &Path, name: &str, bytes: usize, age_secs: u64) -> PathBuf {
        let path = dir.join(format!("{name}.cwasm"));
        std::fs::write(&path, vec![0u8; bytes]).unwrap();
        let file = std::fs::File::options().append(true).open(&path).unwrap();
        file.set_modified(SystemTime::now() - std::time::Duration::from_secs(age_secs))
            .unwrap();
        path
    }

    #[test]
    fn a_rebuilt_plugin_replaces_its_old_entry_unless_another_project_uses_it() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (a, b) = (Path::new("/p1/catalog.wasm"), Path::new("/p2/catalog.wasm"));
        let first = entry(d, "aaa-1", 10, 100);
        saved(d, a, &first, u64::MAX);
        saved(d, b, &first, u64::MAX);
        let second = entry(d, "bbb-1", 10, 50);
        saved(d, a, &second, u64::MAX);
        assert!(first.exists(), "project 2 still uses it");
        let third = entry(d, "ccc-1", 10, 10);
        saved(d, b, &third, u64::MAX);
        assert!(!first.exists(), "nobody uses it any more");
        let listed: Vec<(String, Vec<String>)> = list(d)
            .into_iter()
            .map(|e| {
                (
                    e.path.file_name().unwrap().to_string_lossy().into_owned(),
                    e.sources,
                )
            })
            .collect();
        assert_eq!(
            listed,
            [
                (
                    "ccc-1.cwasm".to_owned(),
                    vec!["/p2/catalog.wasm".to_owned()]
                ),
                (
                    "bbb-1.cwasm".to_owned(),
                    vec!["/p1/catalog.wasm".to_owned()]
                ),
            ]
        );
    }

    #[test]
    fn past_the_limit_the_least_recently_used_go_but_never_the_new_one() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let old = entry(d, "old", 400, 300);
        let mid = entry(d, "mid", 400, 200);
        let new = entry(d, "new", 400, 400);
        touch(&new);
        let removed = prune(d, 900, Some(&new));
        assert_eq!(removed.len(), 1);
        assert!(!old.exists() && mid.exists() && new.exists());
        let removed = prune(d, 100, Some(&new));
        assert_eq!(removed.len(), 1);
        assert!(!mid.exists() && new.exists());
        assert_eq!(clear(d).len(), 1);
        assert!(list(d).is_empty());
    }
}
