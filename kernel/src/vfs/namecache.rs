//! The name cache (NetBSD's vfs_cache.c): what a name in a directory was found to be — an inode, or
//! nothing (a negative entry) — so a path walk asks the file system only for names it has not seen.
//! Shared by every file system and every thread of the kernel.
//!
//! Entries are keyed by (file system, directory inode, name); `.` and `..` are never cached (namei
//! answers them itself). Every change of names purges what it changes, after the change: a creation
//! its (now stale) negative entry, a removal its entry, a rename both names, an unmount everything of
//! its file system. A directory that goes takes its entries with it — only negative ones can be left
//! by then, since it was empty, and they would hold for an empty directory that reused its inode too;
//! they go to keep the cache for names that can be asked again. A lookup that raced with a change
//! cannot leave a stale entry behind: it notes the cache's generation before it asks the file system
//! and enters its answer only if no purge happened meanwhile (every purge moves the generation on).
//!
//! Bounded: entries live in two maps, the newer and the older; when the newer holds half the limit it
//! becomes the older and the older is dropped, so what is used stays (a hit in the older moves to the
//! newer) and memory never passes the limit — an approximation of NetBSD's LRU lists in two swaps.

use super::fxhash::FxHashMap;
use super::types::Ino;
use crate::errno::{Errno, KResult};
use std::sync::Mutex;

/// Most entries kept (NetBSD sizes its cache from desiredvnodes; a few MiB here).
pub const NAMECACHE_MAX: usize = 1 << 18;

/// A directory's entries: name → inode, or None for a name known not to exist.
type Names = FxHashMap<Box<[u8]>, Option<Ino>>;

#[derive(Default)]
struct Maps {
    /// (fsid, directory inode) → its names, newer and older.
    new: FxHashMap<(u64, Ino), Names>,
    old: FxHashMap<(u64, Ino), Names>,
    /// Entries in `new`.
    new_len: usize,
    /// Moves on at every purge.
    generation: u64,
    hits: u64,
    misses: u64,
}

/// The kernel's name cache.
pub struct NameCache {
    maps: Mutex<Maps>,
    max: usize,
}

impl Default for NameCache {
    fn default() -> Self {
        NameCache::with_limit(NAMECACHE_MAX)
    }
}

/// What the cache holds and how it was used, for `rumpjs info` and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NameCacheStats {
    pub entries: usize,
    pub hits: u64,
    pub misses: u64,
}

impl NameCache {
    pub fn with_limit(max: usize) -> NameCache {
        NameCache { maps: Mutex::new(Maps::default()), max: max.max(2) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Maps> {
        self.maps.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// cache_lookup, then on a miss `ask` (the file system's VOP_LOOKUP) and cache_enter of its answer:
    /// the inode `name` names in directory `dir` of file system `fsid`, or ENOENT. Other errors from
    /// `ask` are not cached.
    pub fn lookup(&self, fsid: u64, dir: Ino, name: &[u8], ask: impl FnOnce() -> KResult<Ino>) -> KResult<Ino> {
        if name == b"." || name == b".." {
            return ask();
        }
        let seen = {
            let mut m = self.lock();
            if let Some(hit) = m.new.get(&(fsid, dir)).and_then(|n| n.get(name)).copied() {
                m.hits += 1;
                return hit.ok_or(Errno::ENOENT);
            }
            let old = m.old.get_mut(&(fsid, dir)).and_then(|n| n.remove(name));
            if let Some(hit) = old {
                m.hits += 1;
                self.insert(&mut m, fsid, dir, name, hit);
                return hit.ok_or(Errno::ENOENT);
            }
            m.misses += 1;
            m.generation
        };
        let answer = ask();
        let entry = match &answer {
            Ok(ino) => Some(*ino),
            Err(Errno::ENOENT) => None,
            Err(_) => return answer,
        };
        let mut m = self.lock();
        if m.generation == seen {
            self.insert(&mut m, fsid, dir, name, entry);
        }
        answer
    }

    fn insert(&self, m: &mut Maps, fsid: u64, dir: Ino, name: &[u8], entry: Option<Ino>) {
        if m.new_len >= self.max / 2 {
            m.old = std::mem::take(&mut m.new);
            m.new_len = 0;
        }
        if m.new.entry((fsid, dir)).or_default().insert(name.into(), entry).is_none() {
            m.new_len += 1;
        }
    }

    /// cache_purge of one name: what `name` in `dir` was (a creation, removal or rename changed it).
    pub fn purge_name(&self, fsid: u64, dir: Ino, name: &[u8]) {
        let mut m = self.lock();
        m.generation += 1;
        if m.new.get_mut(&(fsid, dir)).and_then(|n| n.remove(name)).is_some() {
            m.new_len -= 1;
        }
        if let Some(n) = m.old.get_mut(&(fsid, dir)) {
            n.remove(name);
        }
    }

    /// cache_purge of a directory that is gone (removed, or replaced by a rename): every name in it.
    pub fn purge_dir(&self, fsid: u64, dir: Ino) {
        let mut m = self.lock();
        m.generation += 1;
        if let Some(n) = m.new.remove(&(fsid, dir)) {
            m.new_len -= n.len();
        }
        m.old.remove(&(fsid, dir));
    }

    /// cache_purgevfs: everything of file system `fsid` (it is being unmounted).
    pub fn purge_fs(&self, fsid: u64) {
        let mut m = self.lock();
        m.generation += 1;
        let gone: usize = m.new.iter().filter(|((f, _), _)| *f == fsid).map(|(_, n)| n.len()).sum();
        m.new.retain(|(f, _), _| *f != fsid);
        m.old.retain(|(f, _), _| *f != fsid);
        m.new_len -= gone;
    }

    pub fn stats(&self) -> NameCacheStats {
        let m = self.lock();
        let old: usize = m.old.values().map(|n| n.len()).sum();
        NameCacheStats { entries: m.new_len + old, hits: m.hits, misses: m.misses }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn hits_negative_entries_purges_and_the_bound() {
        let c = NameCache::with_limit(8);
        let asked = Cell::new(0);
        let ask = |r: KResult<Ino>| {
            asked.set(asked.get() + 1);
            r
        };
        assert_eq!(c.lookup(1, 2, b"a", || ask(Ok(5))), Ok(5));
        assert_eq!(c.lookup(1, 2, b"a", || ask(Ok(99))), Ok(5), "a hit does not ask");
        assert_eq!(c.lookup(1, 2, b"b", || ask(Err(Errno::ENOENT))), Err(Errno::ENOENT));
        assert_eq!(c.lookup(1, 2, b"b", || ask(Ok(7))), Err(Errno::ENOENT), "a negative entry");
        assert_eq!(asked.get(), 2);
        // Other errors are not kept; `.` and `..` are never cached.
        assert_eq!(c.lookup(1, 2, b"c", || ask(Err(Errno::EIO))), Err(Errno::EIO));
        assert_eq!(c.lookup(1, 2, b"c", || ask(Ok(8))), Ok(8));
        assert_eq!(c.lookup(1, 2, b"..", || ask(Ok(1))), Ok(1));
        assert_eq!(c.lookup(1, 2, b"..", || ask(Ok(3))), Ok(3));
        // Purges.
        c.purge_name(1, 2, b"b");
        assert_eq!(c.lookup(1, 2, b"b", || ask(Ok(7))), Ok(7), "created since");
        c.purge_dir(1, 2);
        assert_eq!(c.lookup(1, 2, b"a", || ask(Ok(6))), Ok(6));
        c.purge_fs(1);
        assert_eq!(c.lookup(1, 2, b"a", || ask(Ok(9))), Ok(9));
        // Bounded: never more than the limit, and what is used survives a swap.
        for i in 0..100u64 {
            let name = format!("n{i}");
            let _ = c.lookup(1, 3, name.as_bytes(), || Ok(100 + i));
            let _ = c.lookup(1, 2, b"a", || ask(Ok(1234)));
            assert!(c.stats().entries <= 8, "{:?}", c.stats());
        }
        assert_eq!(c.lookup(1, 2, b"a", || Ok(4321)), Ok(9), "the name in use stayed");
    }

    #[test]
    fn a_lookup_that_raced_with_a_purge_leaves_nothing() {
        let c = NameCache::default();
        // The file system answered before a removal; the removal's purge came before the answer was
        // entered: the answer must not be cached.
        assert_eq!(
            c.lookup(1, 2, b"x", || {
                c.purge_name(1, 2, b"x");
                Ok(5)
            }),
            Ok(5)
        );
        assert_eq!(c.lookup(1, 2, b"x", || Err(Errno::ENOENT)), Err(Errno::ENOENT));
    }
}
