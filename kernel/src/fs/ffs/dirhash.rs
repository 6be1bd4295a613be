//! The in-memory name index of a directory (NetBSD's ufs_dirhash.c, facts only): every name with its
//! inode and where its entry sits, and for each DIRBLKSIZ chunk the free space it has (dh_blkfree), so
//! a lookup is one hash probe and a new entry finds a chunk with room without reading the directory.
//! Nothing of it is on disk. It is built on first use from the directory's blocks and kept in step by
//! every change the write side makes; when all indexes together hold too many names they are dropped
//! and built again as needed.

use super::dir::{dirsiz, Entries, DIRBLKSIZ};
use super::inode::Dinode;
use super::Ffs;
use crate::errno::{Errno, KResult};
use crate::vfs::types::Ino;
use std::collections::{BTreeSet, HashMap};

/// A directory's index.
#[derive(Clone, Debug, Default)]
pub struct DirHash {
    /// name → (inode, byte offset of its entry in the directory).
    pub names: HashMap<Box<[u8]>, (u32, u64)>,
    /// Free bytes of each chunk (what compaction could gather for a new entry).
    pub chunk_free: Vec<u16>,
    /// (free bytes, chunk) for finding room.
    by_free: BTreeSet<(u16, u32)>,
}

impl DirHash {
    pub fn get(&self, name: &[u8]) -> Option<u32> {
        self.names.get(name).map(|&(i, _)| i)
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Sets the free space of chunk `c` (appending chunks as needed).
    pub fn set_free(&mut self, c: u32, free: u16) {
        let i = c as usize;
        if i >= self.chunk_free.len() {
            for j in self.chunk_free.len()..=i {
                self.chunk_free.push(0);
                self.by_free.insert((0, j as u32));
            }
        }
        let old = self.chunk_free[i];
        self.by_free.remove(&(old, c));
        self.chunk_free[i] = free;
        self.by_free.insert((free, c));
    }

    /// The first chunk (lowest free space that fits, then lowest number) with room for `need` bytes.
    pub fn find_room(&self, need: usize) -> Option<u32> {
        if need > DIRBLKSIZ {
            return None;
        }
        self.by_free.range((need as u16, 0)..).next().map(|&(_, c)| c)
    }

    /// Records the live entries of chunk `c` as parsed (name, inode, offset within the chunk),
    /// replacing what the index held for names at those places.
    pub fn set_chunk_entries(&mut self, c: u32, entries: &[(Vec<u8>, u32, usize)], free: u16) {
        let base = c as u64 * DIRBLKSIZ as u64;
        for (name, ino, off) in entries {
            self.names.insert(name.clone().into_boxed_slice(), (*ino, base + *off as u64));
        }
        self.set_free(c, free);
    }
}

/// Live entries of a chunk: (name, inode, offset in the chunk).
pub(crate) type ChunkEntries = Vec<(Vec<u8>, u32, usize)>;

/// Parses one chunk: live entries and its free bytes.
pub(crate) fn parse_chunk(
    chunk: &[u8],
    fmt: super::dir::DirFormat,
    ninodes: u64,
) -> Result<(ChunkEntries, u16), String> {
    let mut live = Vec::new();
    let mut free = 0usize;
    for e in Entries::new(chunk, 0, fmt, ninodes) {
        let e = e.map_err(|b| format!("bad entry at byte {}: {}", b.off, b.why))?;
        if e.ino == 0 {
            free += e.reclen;
        } else {
            free += e.reclen - dirsiz(e.name.len());
            live.push((e.name.to_vec(), e.ino, e.off));
        }
    }
    Ok((live, free as u16))
}

impl Ffs {
    /// Builds the index of directory `dir` from its blocks.
    pub(crate) fn build_dirhash(&self, dir: Ino, din: &Dinode) -> KResult<DirHash> {
        let size = din.size;
        if !size.is_multiple_of(DIRBLKSIZ as u64) || size > din.blocks.saturating_mul(512) || size > self.dev.size() {
            self.corrupt(&format!(
                "directory {dir}: size {size} with {} bytes allocated",
                din.blocks.saturating_mul(512)
            ));
            return Err(Errno::EIO);
        }
        let mut h = DirHash::default();
        let bsize = self.sb.bsize as u64;
        let mut lbn = 0;
        while lbn * bsize < size {
            let bstart = lbn * bsize;
            let len = (size - bstart).min(bsize) as usize;
            let ext = self.bmap(dir, din, lbn, 1)?;
            if ext.addr == 0 || ext.addr + (len as u64).div_ceil(self.sb.fsize as u64) > self.sb.size {
                self.corrupt(&format!("directory {dir}: block {} at byte {bstart} is a hole or outside", ext.addr));
                return Err(Errno::EIO);
            }
            let blk = self.meta_block(ext.addr, len)?;
            for (k, chunk) in blk.chunks(DIRBLKSIZ).enumerate() {
                let c = ((bstart as usize + k * DIRBLKSIZ) / DIRBLKSIZ) as u32;
                match parse_chunk(chunk, self.dirfmt, self.sb.ninodes()) {
                    Ok((live, free)) => {
                        let base = c as u64 * DIRBLKSIZ as u64;
                        for (name, ino, off) in live {
                            h.names.entry(name.into_boxed_slice()).or_insert((ino, base + off as u64));
                        }
                        h.set_free(c, free);
                    }
                    Err(why) => {
                        self.corrupt(&format!("directory {dir}, chunk at byte {}: {why}", c as usize * DIRBLKSIZ));
                        return Err(Errno::EIO);
                    }
                }
            }
            lbn += 1;
        }
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_is_found() {
        let mut h = DirHash::default();
        h.set_free(0, 12);
        h.set_free(1, 400);
        h.set_free(2, 100);
        assert_eq!(h.find_room(16), Some(2));
        assert_eq!(h.find_room(200), Some(1));
        assert_eq!(h.find_room(500), None);
        h.set_free(1, 0);
        assert_eq!(h.find_room(200), None);
    }
}
