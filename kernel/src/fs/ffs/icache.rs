//! The parsed inodes a mount keeps (NetBSD keeps them in its vnode cache, as `struct inode`s). Two
//! generations, as the name cache: a full generation becomes the old one and the older is forgotten, and an
//! inode found in the old one moves back to the new. A walk over more files than the cache holds forgets
//! what it walked longest ago, never what is in use now.

use super::inode::Dinode;
use crate::vfs::fxhash::FxHashMap;
use crate::vfs::Ino;
use std::sync::Arc;

pub(super) struct InodeCache {
    new: FxHashMap<Ino, Arc<Dinode>>,
    old: FxHashMap<Ino, Arc<Dinode>>,
    /// Inodes one generation holds.
    half: usize,
}

impl InodeCache {
    /// A cache of at most `max` inodes.
    pub(super) fn new(max: usize) -> InodeCache {
        InodeCache { new: FxHashMap::default(), old: FxHashMap::default(), half: (max / 2).max(1) }
    }

    pub(super) fn get(&mut self, ino: Ino) -> Option<Arc<Dinode>> {
        if let Some(d) = self.new.get(&ino) {
            return Some(d.clone());
        }
        let d = self.old.remove(&ino)?;
        self.insert(ino, d.clone());
        Some(d)
    }

    pub(super) fn insert(&mut self, ino: Ino, d: Arc<Dinode>) {
        self.old.remove(&ino);
        if self.new.len() >= self.half && !self.new.contains_key(&ino) {
            self.old = std::mem::take(&mut self.new);
        }
        self.new.insert(ino, d);
    }

    pub(super) fn remove(&mut self, ino: Ino) {
        self.new.remove(&ino);
        self.old.remove(&ino);
    }

    pub(super) fn clear(&mut self) {
        self.new.clear();
        self.old.clear();
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.new.len() + self.old.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::ffs::endian::ByteOrder;
    use crate::fs::ffs::superblock::Ufs;

    fn inode(size: u64) -> Arc<Dinode> {
        let mut d = Dinode::decode(&[0u8; 256], ByteOrder::Little, Ufs::Ufs2, false);
        d.size = size;
        Arc::new(d)
    }

    #[test]
    fn bounded_and_keeps_what_is_used() {
        let mut c = InodeCache::new(8);
        for ino in 0..100 {
            c.insert(ino, inode(ino));
            // Inode 1000 is looked at between every insertion: it is never the one forgotten.
            if ino == 0 {
                c.insert(1000, inode(7));
            }
            assert_eq!(c.get(1000).map(|d| d.size), Some(7));
            assert!(c.len() <= 8);
        }
        assert!(c.get(0).is_none());
        assert_eq!(c.get(99).map(|d| d.size), Some(99));
        c.remove(99);
        assert!(c.get(99).is_none());
        c.insert(5, inode(1));
        c.insert(5, inode(2));
        assert_eq!(c.get(5).map(|d| d.size), Some(2));
        c.clear();
        assert_eq!(c.len(), 0);
    }
}
