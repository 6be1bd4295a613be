//! Directory changes (sys/ufs/ufs/ufs_lookup.c: ufs_direnter, ufs_dirremove, ufs_dirrewrite,
//! ufs_dirempty), through the directory's name index: a new entry goes into a chunk the index says
//! has room — into an empty slot, after an entry with slack, or, as ufs_direnter compacts, after the
//! chunk's entries have been pushed together — or into a new chunk at the end of the directory. A
//! removed entry's space joins the entry before it in its chunk (the first entry of a chunk is marked
//! empty instead). Entries never cross a DIRBLKSIZ chunk.

use super::alloc::WState;
use super::dir::{dirsiz, put_empty, put_entry, DirFormat, Entries, EntryAt, DIRBLKSIZ};
use super::dirhash::{parse_chunk, DirHash};
use super::inode::Dinode;
use super::Ffs;
use crate::errno::{Errno, KResult};
use crate::vfs::types::Ino;
use std::sync::Arc;

/// Puts an entry into `chunk` (DIRBLKSIZ bytes) if the chunk has room, compacting it if needed.
fn insert_in_chunk(chunk: &mut [u8], fmt: DirFormat, ninodes: u64, name: &[u8], ino: u32, dtype: u8) -> bool {
    let need = dirsiz(name.len());
    let dtype = if fmt.dtype { dtype } else { 0 };
    let mut entries: Vec<(usize, u32, usize, Vec<u8>, u8)> = Vec::new();
    for e in Entries::new(chunk, 0, fmt, ninodes) {
        match e {
            Ok(e) => entries.push((e.off, e.ino, e.reclen, e.name.to_vec(), e.dtype)),
            Err(_) => return false,
        }
    }
    for (off, eino, reclen, ename, _) in &entries {
        if *eino == 0 && *reclen >= need {
            put_entry(chunk, *off, fmt, ino, *reclen as u16, dtype, name);
            return true;
        }
        if *eino != 0 {
            let used = dirsiz(ename.len());
            if reclen - used >= need {
                EntryAt { b: &mut *chunk, at: *off, fmt }.set_reclen(used);
                put_entry(chunk, off + used, fmt, ino, (reclen - used) as u16, dtype, name);
                return true;
            }
        }
    }
    // Compact: the live entries packed from the start, the new one after them.
    let live: Vec<_> = entries.into_iter().filter(|e| e.1 != 0).collect();
    let used: usize = live.iter().map(|e| dirsiz(e.3.len())).sum();
    if used + need > DIRBLKSIZ {
        return false;
    }
    let mut pos = 0;
    for (_, eino, _, ename, edt) in &live {
        let r = dirsiz(ename.len());
        put_entry(chunk, pos, fmt, *eino, r as u16, *edt, ename);
        pos += r;
    }
    put_entry(chunk, pos, fmt, ino, (DIRBLKSIZ - pos) as u16, dtype, name);
    true
}

impl Ffs {
    /// The index of `dir`, built if absent, taken out of the table for changing.
    pub(crate) fn take_index(&self, dir: Ino, din: &Dinode) -> KResult<DirHash> {
        let ix = super::lock(&self.dirindex).map.remove(&dir);
        match ix {
            Some(ix) => {
                let mut g = super::lock(&self.dirindex);
                g.names = g.names.saturating_sub(ix.len());
                drop(g);
                Ok(Arc::try_unwrap(ix).unwrap_or_else(|a| (*a).clone()))
            }
            None => self.build_dirhash(dir, din),
        }
    }

    /// Puts a changed index back.
    pub(crate) fn put_index(&self, dir: Ino, ix: DirHash) {
        let mut g = super::lock(&self.dirindex);
        if g.names + ix.len() > super::DIRINDEX_MAX_NAMES {
            g.map.clear();
            g.names = 0;
        }
        g.names += ix.len();
        g.map.insert(dir, Arc::new(ix));
    }

    /// Forgets the index of `dir` (the directory is gone).
    pub(crate) fn drop_index(&self, dir: Ino) {
        let mut g = super::lock(&self.dirindex);
        if let Some(ix) = g.map.remove(&dir) {
            g.names = g.names.saturating_sub(ix.len());
        }
    }

    /// The device byte offset and buffer length of the directory block holding byte `off`.
    fn dir_block(&self, dir: Ino, din: &Dinode, off: u64) -> KResult<(u64, usize, usize)> {
        let bsize = self.sb.bsize as u64;
        let lbn = off / bsize;
        let len = din.size.saturating_sub(lbn * bsize).min(bsize) as usize;
        let ext = self.bmap(dir, din, lbn, 1)?;
        if ext.addr == 0 {
            self.corrupt(&format!("directory {dir}: hole at byte {}", lbn * bsize));
            return Err(Errno::EIO);
        }
        Ok((self.sb.frag_to_bytes(ext.addr), len, (off - lbn * bsize) as usize))
    }

    /// Re-reads chunk `c` of a directory into the index after a change.
    fn reindex_chunk(&self, dir: Ino, ix: &mut DirHash, chunk: &[u8], c: u32) -> KResult<()> {
        match parse_chunk(chunk, self.dirfmt, self.sb.ninodes()) {
            Ok((live, free)) => {
                ix.set_chunk_entries(c, &live, free);
                Ok(())
            }
            Err(why) => {
                self.corrupt(&format!("directory {dir}: chunk {c} after a change: {why}"));
                Err(Errno::EIO)
            }
        }
    }

    /// Adds a DIRBLKSIZ chunk (one empty slot) at the end of directory `dir`; returns its offset.
    fn dir_grow(&self, st: &mut WState, dir: Ino, din: &mut Dinode) -> KResult<u64> {
        let off = din.size;
        let bsize = self.sb.bsize as u64;
        let lbn = off / bsize;
        let boff = off % bsize;
        let b = self.balloc(st, dir, din, lbn, (boff + DIRBLKSIZ as u64) as u32, true, false)?;
        din.size += DIRBLKSIZ as u64;
        let fmt = self.dirfmt;
        let at = self.sb.frag_to_bytes(b.addr);
        let len = (boff as usize) + DIRBLKSIZ;
        self.cache.modify(self.dev.as_ref(), at, len, |blk| {
            let chunk = &mut blk[boff as usize..boff as usize + DIRBLKSIZ];
            chunk.fill(0);
            put_empty(chunk, 0, fmt, DIRBLKSIZ as u16);
        })?;
        Ok(off)
    }

    /// ufs_direnter: `name` → `ino` in directory `dir` (the caller checked the name is not there).
    /// Updates the directory's inode (size, times) on disk.
    pub(crate) fn direnter(&self, st: &mut WState, dir: Ino, name: &[u8], ino: Ino, dtype: u8) -> KResult<()> {
        let mut din = (*self.dinode(dir)?).clone();
        let mut ix = self.take_index(dir, &din)?;
        let need = dirsiz(name.len());
        let c = match ix.find_room(need) {
            Some(c) => c as u64 * DIRBLKSIZ as u64,
            None => match self.dir_grow(st, dir, &mut din) {
                Ok(off) => {
                    ix.set_free((off / DIRBLKSIZ as u64) as u32, DIRBLKSIZ as u16);
                    off
                }
                Err(e) => {
                    self.put_index(dir, ix);
                    self.put_inode(dir, &din)?;
                    return Err(e);
                }
            },
        };
        let (at, len, boff) = self.dir_block(dir, &din, c)?;
        let fmt = self.dirfmt;
        let ninodes = self.sb.ninodes();
        let r = self.cache.modify(self.dev.as_ref(), at, len, |blk| {
            let chunk = &mut blk[boff..boff + DIRBLKSIZ];
            if insert_in_chunk(chunk, fmt, ninodes, name, ino as u32, dtype) {
                Some(chunk.to_vec())
            } else {
                None
            }
        })?;
        let res = match r {
            Some(chunk) => self.reindex_chunk(dir, &mut ix, &chunk, (c / DIRBLKSIZ as u64) as u32),
            None => {
                self.corrupt(&format!("directory {dir}: chunk at byte {c} has no room the index said it had"));
                Err(Errno::EIO)
            }
        };
        self.put_index(dir, ix);
        din.mtime = st.now;
        din.ctime = st.now;
        self.put_inode(dir, &din)?;
        res
    }

    /// ufs_dirremove: takes `name` out of `dir`; returns the inode it named. Updates the directory's
    /// times.
    pub(crate) fn dirremove(&self, st: &mut WState, dir: Ino, name: &[u8]) -> KResult<Ino> {
        let mut din = (*self.dinode(dir)?).clone();
        let mut ix = self.take_index(dir, &din)?;
        let Some(&(ino, off)) = ix.names.get(name) else {
            self.put_index(dir, ix);
            return Err(Errno::ENOENT);
        };
        let c = off & !(DIRBLKSIZ as u64 - 1);
        let in_chunk = (off - c) as usize;
        let (at, len, boff) = self.dir_block(dir, &din, c)?;
        let fmt = self.dirfmt;
        let ninodes = self.sb.ninodes();
        let chunk = self.cache.modify(self.dev.as_ref(), at, len, |blk| {
            let chunk = &mut blk[boff..boff + DIRBLKSIZ];
            if in_chunk == 0 {
                EntryAt { b: &mut *chunk, at: 0, fmt }.set_ino(0);
                return Some(chunk.to_vec());
            }
            let mut prev = None;
            for e in Entries::new(chunk, 0, fmt, ninodes) {
                let Ok(e) = e else { return None };
                if e.off + e.reclen == in_chunk {
                    prev = Some((e.off, e.reclen));
                }
                if e.off == in_chunk {
                    let (poff, preclen) = prev?;
                    let reclen = preclen + e.reclen;
                    EntryAt { b: &mut *chunk, at: poff, fmt }.set_reclen(reclen);
                    return Some(chunk.to_vec());
                }
            }
            None
        })?;
        ix.names.remove(name);
        let res = match chunk {
            Some(chunk) => self.reindex_chunk(dir, &mut ix, &chunk, (c / DIRBLKSIZ as u64) as u32),
            None => {
                self.corrupt(&format!(
                    "directory {dir}: entry {:?} not where the index had it",
                    String::from_utf8_lossy(name)
                ));
                Err(Errno::EIO)
            }
        };
        self.put_index(dir, ix);
        res?;
        din.mtime = st.now;
        din.ctime = st.now;
        self.put_inode(dir, &din)?;
        Ok(ino as Ino)
    }

    /// ufs_dirrewrite: the entry `name` of `dir` now names `ino` (of type `dtype`). `touch`: the
    /// directory's modification time changes (not for a `..` fixed up by rename).
    pub(crate) fn dirrewrite(
        &self,
        st: &mut WState,
        dir: Ino,
        name: &[u8],
        ino: Ino,
        dtype: u8,
        touch: bool,
    ) -> KResult<()> {
        let mut din = (*self.dinode(dir)?).clone();
        let mut ix = self.take_index(dir, &din)?;
        let Some(&(_, off)) = ix.names.get(name) else {
            self.put_index(dir, ix);
            return Err(Errno::ENOENT);
        };
        let r = (|| {
            let (at, len, boff) = self.dir_block(dir, &din, off)?;
            let fmt = self.dirfmt;
            let eoff = boff;
            self.cache.modify(self.dev.as_ref(), at, len, |blk| {
                let mut e = EntryAt { b: blk, at: eoff, fmt };
                e.set_ino(ino as u32);
                e.set_dtype(dtype);
            })
        })();
        if r.is_ok() {
            if let Some(e) = ix.names.get_mut(name) {
                e.0 = ino as u32;
            }
        }
        self.put_index(dir, ix);
        r?;
        if touch {
            din.mtime = st.now;
        }
        din.ctime = st.now;
        self.put_inode(dir, &din)
    }

    /// ufs_dirempty: nothing but `.` and `..` in `dir`.
    pub(crate) fn dirempty(&self, dir: Ino, din: &Dinode) -> KResult<bool> {
        let ix = self.take_index(dir, din)?;
        let empty = ix.names.keys().all(|n| &**n == b"." || &**n == b"..");
        self.put_index(dir, ix);
        Ok(empty)
    }

    /// Looks `name` up in `dir` through its index (write side).
    pub(crate) fn dir_lookup(&self, dir: Ino, din: &Dinode, name: &[u8]) -> KResult<Option<Ino>> {
        let ix = self.take_index(dir, din)?;
        let r = ix.get(name).map(|i| i as Ino);
        self.put_index(dir, ix);
        Ok(r)
    }

    /// The first block of a new directory: `.` and `..` in one chunk.
    pub(crate) fn dir_template(&self, ino: Ino, parent: Ino) -> Vec<u8> {
        let mut b = vec![0u8; DIRBLKSIZ];
        let fmt = self.dirfmt;
        let dt = crate::vfs::types::DT_DIR;
        let r1 = dirsiz(1);
        put_entry(&mut b, 0, fmt, ino as u32, r1 as u16, dt, b".");
        put_entry(&mut b, r1, fmt, parent as u32, (DIRBLKSIZ - r1) as u16, dt, b"..");
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::ffs::endian::ByteOrder;

    #[test]
    fn insert_split_and_compact() {
        let fmt = DirFormat { order: ByteOrder::Big, dtype: true };
        let mut c = vec![0u8; DIRBLKSIZ];
        put_entry(&mut c, 0, fmt, 2, 12, 4, b".");
        put_entry(&mut c, 12, fmt, 2, 500, 4, b"..");
        assert!(insert_in_chunk(&mut c, fmt, 100, b"hello", 5, 8));
        let (live, free) = parse_chunk(&c, fmt, 100).unwrap();
        assert_eq!(live.len(), 3);
        assert_eq!(free as usize, DIRBLKSIZ - 12 - 12 - 16);
        // Fill with names, then free one in the middle: a longer name still fits after compaction.
        let mut n = 0;
        while insert_in_chunk(&mut c, fmt, 100, format!("n{n:03}").as_bytes(), 10 + n, 8) {
            n += 1;
        }
        let (live, _) = parse_chunk(&c, fmt, 100).unwrap();
        assert_eq!(live.len() as u32, 3 + n);
    }
}
