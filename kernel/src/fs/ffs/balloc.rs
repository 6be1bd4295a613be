//! Giving a file the blocks it needs (sys/ufs/ffs/ffs_balloc.c) and taking them back (ffs_inode.c's
//! ffs_truncate and ffs_indirtrunc).
//!
//! Only the last block of a file, and only when it is one of the 12 direct blocks, may be a run of
//! fragments: a file that grows past such a block first has it made whole (moved if its neighbours
//! are taken, as ffs_realloccg does), and a block in the middle of a file is always a full one.
//! Indirect blocks are metadata and live in the buffer cache; file data goes to the device directly,
//! directory blocks through the cache (`meta`).

use super::alloc::WState;
use super::inode::{put_ptr, Dinode};
use super::superblock::{NDADDR, NIADDR};
use super::Ffs;
use crate::errno::{Errno, KResult};
use crate::vfs::types::Ino;

/// What `balloc` gave for the block asked for.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Balloc {
    /// Fragment address.
    pub addr: u64,
    /// Bytes allocated there.
    pub size: u32,
    /// Bytes [0, valid) already hold the file's contents; [valid, size) are new and unwritten.
    pub valid: u32,
}

impl Ffs {
    pub(super) fn set_ptr(&self, blk: &mut [u8], i: usize, v: u64) {
        put_ptr(blk, i, self.sb.order, self.sb.ufs, v)
    }

    /// Writes zeros over bytes [from, to) of the extent at fragment `addr` (data on the device,
    /// directory blocks in the cache).
    fn zero_extent(&self, meta: bool, addr: u64, from: u32, to: u32) -> KResult<()> {
        if from >= to {
            return Ok(());
        }
        let at = self.sb.frag_to_bytes(addr);
        if meta {
            return Ok(());
        }
        let zeros = vec![0u8; (to - from) as usize];
        self.dev.write_at(at + from as u64, &zeros)
    }

    /// Moves the first `valid` bytes of the run at `from` to `to` (a grown run), zero-filling up to
    /// `to_size` when `zero`.
    fn move_extent(&self, meta: bool, from: u64, valid: u32, to: u64, to_size: u32, zero: bool) -> KResult<()> {
        if from != to && valid > 0 {
            let src = self.sb.frag_to_bytes(from);
            let dst = self.sb.frag_to_bytes(to);
            if meta {
                let data = self.cache.read(self.dev.as_ref(), src, valid as usize)?;
                self.cache.write_delayed(dst, data.to_vec());
            } else {
                let mut v = vec![0u8; valid as usize];
                self.dev.read_at(src, &mut v)?;
                self.dev.write_at(dst, &v)?;
            }
        }
        if zero {
            self.zero_extent(meta, to, valid, to_size)?;
        }
        Ok(())
    }

    /// Writes a zeroed indirect block at `addr` into the cache.
    fn new_indirect(&self, addr: u64) {
        self.cache.write_delayed(self.sb.frag_to_bytes(addr), vec![0u8; self.sb.bsize as usize]);
    }

    /// The indirect level of logical block `lbn` (>= NDADDR) and the index at each level, top first.
    pub(crate) fn indir_path(&self, lbn: u64) -> KResult<(usize, Vec<usize>)> {
        let nindir = self.sb.nindir as u64;
        let mut rel = lbn - NDADDR as u64;
        let mut span = nindir;
        let mut level = 0;
        while rel >= span {
            rel -= span;
            level += 1;
            if level == NIADDR {
                return Err(Errno::EFBIG);
            }
            span = span.saturating_mul(nindir);
        }
        let mut offs = Vec::with_capacity(level + 1);
        for _ in 0..=level {
            let child = span / nindir;
            offs.push((rel / child) as usize);
            rel %= child;
            span = child;
        }
        Ok((level, offs))
    }

    /// ffs_balloc: makes logical block `lbn` of inode `ino` hold at least `size` bytes (1..=bsize).
    /// `din` is the inode being changed (the caller writes it back); `zero` fills new space with
    /// zeros (otherwise the caller writes over it).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn balloc(
        &self,
        st: &mut WState,
        ino: Ino,
        din: &mut Dinode,
        lbn: u64,
        size: u32,
        meta: bool,
        zero: bool,
    ) -> KResult<Balloc> {
        let sb = &self.sb;
        let bsize = sb.bsize;
        let b64 = bsize as u64;
        let frag = sb.frag as u64;
        let nd = NDADDR as u64;
        // A file growing past a last block of fragments: make that block whole first.
        let lastlbn = sb.lblkno(din.size);
        if lastlbn < nd && lastlbn < lbn {
            let nb = lastlbn as usize;
            let osize = sb.sblksize(din.size, lastlbn) as u32;
            if osize < bsize && osize > 0 && din.db[nb] != 0 {
                let bprev = din.db[nb];
                let prev = if nb > 0 { din.db[nb - 1] } else { 0 };
                let pref = self.blkpref(st, ino, lastlbn, lastlbn, prev);
                let nbno = self.realloc_frags(st, ino, bprev, pref, osize, bsize)?;
                let valid = (din.size - lastlbn * b64) as u32;
                self.move_extent(meta, bprev, valid, nbno, bsize, true)?;
                if nbno != bprev {
                    self.blkfree(st, bprev, osize);
                }
                din.blocks = din.blocks.saturating_add(((bsize - osize) / 512) as u64);
                din.db[nb] = nbno;
                din.size = (lastlbn + 1) * b64;
            }
        }
        if lbn < nd {
            let i = lbn as usize;
            let nb = din.db[i];
            let prev = if i > 0 { din.db[i - 1] } else { 0 };
            if nb != 0 && din.size >= (lbn + 1) * b64 {
                return Ok(Balloc { addr: nb, size: bsize, valid: bsize });
            }
            if nb != 0 {
                // The last block, a run of fragments: grow it if asked for more.
                let osize = sb.fragroundup(sb.blkoff(din.size)) as u32;
                let valid = din.size.saturating_sub(lbn * b64).min(osize as u64) as u32;
                let nsize = sb.fragroundup(size as u64) as u32;
                if nsize <= osize {
                    return Ok(Balloc { addr: nb, size: osize, valid });
                }
                let pref = self.blkpref(st, ino, lbn, lbn, prev);
                let nbno = self.realloc_frags(st, ino, nb, pref, osize, nsize)?;
                self.move_extent(meta, nb, valid, nbno, nsize, zero)?;
                if nbno != nb {
                    self.blkfree(st, nb, osize);
                }
                din.blocks = din.blocks.saturating_add(((nsize - osize) / 512) as u64);
                din.db[i] = nbno;
                return Ok(Balloc { addr: nbno, size: nsize, valid: if zero { nsize } else { valid } });
            }
            // A new last block covers at least what the file's size already says it holds.
            let nsize = if din.size < (lbn + 1) * b64 {
                sb.fragroundup((size as u64).max(din.size.saturating_sub(lbn * b64))) as u32
            } else {
                bsize
            };
            let pref = self.blkpref(st, ino, lbn, lbn, prev);
            let b = self.alloc_blk(st, ino, pref, nsize)?;
            if zero {
                self.zero_extent(meta, b, 0, nsize)?;
            }
            din.blocks = din.blocks.saturating_add((nsize / 512) as u64);
            din.db[i] = b;
            return Ok(Balloc { addr: b, size: nsize, valid: if zero { nsize } else { 0 } });
        }
        // Through the indirect blocks.
        let (level, offs) = self.indir_path(lbn)?;
        let mut nb = din.ib[level];
        let mut pref = 0;
        if nb == 0 {
            pref = self.blkpref(st, ino, lbn, 0, 0);
            nb = self.alloc_blk(st, ino, pref, bsize)?;
            self.new_indirect(nb);
            din.blocks = din.blocks.saturating_add((bsize / 512) as u64);
            din.ib[level] = nb;
            pref = nb + frag;
        }
        for &idx in offs.iter().take(level) {
            let blk = self.meta_block(nb, bsize as usize)?;
            let mut child = self.ptr(&blk, idx);
            drop(blk);
            if child != 0 && child.checked_add(frag).is_none_or(|end| end > sb.size) {
                self.corrupt(&format!("inode {ino}: indirect block {child} outside the file system"));
                return Err(Errno::EIO);
            }
            if child == 0 {
                if pref == 0 {
                    pref = self.blkpref(st, ino, lbn, 0, 0);
                }
                child = self.alloc_blk(st, ino, pref, bsize)?;
                self.new_indirect(child);
                din.blocks = din.blocks.saturating_add((bsize / 512) as u64);
                let c = child;
                self.cache
                    .modify(self.dev.as_ref(), sb.frag_to_bytes(nb), bsize as usize, |b| self.set_ptr(b, idx, c))?;
                pref = child + frag;
            }
            nb = child;
        }
        let idx = offs[level];
        let blk = self.meta_block(nb, bsize as usize)?;
        let cur = self.ptr(&blk, idx);
        let prev = if idx > 0 { self.ptr(&blk, idx - 1) } else { 0 };
        drop(blk);
        if cur != 0 {
            return Ok(Balloc { addr: cur, size: bsize, valid: bsize });
        }
        let pref = self.blkpref(st, ino, lbn, idx as u64, prev);
        let b = self.alloc_blk(st, ino, pref, bsize)?;
        if zero {
            self.zero_extent(meta, b, 0, bsize)?;
        }
        self.cache.modify(self.dev.as_ref(), sb.frag_to_bytes(nb), bsize as usize, |blk| self.set_ptr(blk, idx, b))?;
        din.blocks = din.blocks.saturating_add((bsize / 512) as u64);
        Ok(Balloc { addr: b, size: bsize, valid: if zero { bsize } else { 0 } })
    }

    /// Frees a whole indirect tree (`level` 0: its pointers are data blocks); returns DEV_BSIZE units.
    fn free_tree(&self, st: &mut WState, ino: Ino, addr: u64, level: usize) -> KResult<u64> {
        let bsize = self.sb.bsize;
        if addr.checked_add(self.sb.frag as u64).is_none_or(|end| end > self.sb.size) {
            self.corrupt(&format!("inode {ino}: indirect block {addr} outside the file system"));
            return Ok(0);
        }
        let blk = self.meta_block(addr, bsize as usize)?;
        let ptrs: Vec<u64> = (0..self.sb.nindir as usize).map(|i| self.ptr(&blk, i)).filter(|&p| p != 0).collect();
        drop(blk);
        let mut freed = 0;
        for p in ptrs {
            if level > 0 {
                freed += self.free_tree(st, ino, p, level - 1)?;
            } else {
                self.blkfree(st, p, bsize);
                freed += (bsize / 512) as u64;
            }
        }
        self.blkfree(st, addr, bsize);
        Ok(freed + (bsize / 512) as u64)
    }

    /// ffs_indirtrunc: frees what the indirect block at `addr` (mapping logical blocks from `first`,
    /// `level` 0 for data pointers) holds past `last` (the last logical block kept).
    fn indirtrunc(&self, st: &mut WState, ino: Ino, addr: u64, level: usize, first: u64, last: u64) -> KResult<u64> {
        let bsize = self.sb.bsize;
        let nindir = self.sb.nindir as u64;
        let child_span = nindir.pow(level as u32);
        let blk = self.meta_block(addr, bsize as usize)?;
        let ptrs: Vec<u64> = (0..nindir as usize).map(|i| self.ptr(&blk, i)).collect();
        drop(blk);
        let mut freed = 0;
        let mut cleared = Vec::new();
        for (i, &p) in ptrs.iter().enumerate() {
            if p == 0 {
                continue;
            }
            let cfirst = first + i as u64 * child_span;
            if cfirst > last {
                if level > 0 {
                    freed += self.free_tree(st, ino, p, level - 1)?;
                } else {
                    self.blkfree(st, p, bsize);
                    freed += (bsize / 512) as u64;
                }
                cleared.push(i);
            } else if level > 0 && last < cfirst + child_span - 1 {
                freed += self.indirtrunc(st, ino, p, level - 1, cfirst, last)?;
            }
        }
        if !cleared.is_empty() {
            self.cache.modify(self.dev.as_ref(), self.sb.frag_to_bytes(addr), bsize as usize, |b| {
                for &i in &cleared {
                    self.set_ptr(b, i, 0);
                }
            })?;
        }
        Ok(freed)
    }

    /// ffs_truncate's freeing half: makes `din` (inode `ino`) `length` bytes long, freeing every block
    /// past it and shortening a last block of fragments; a shrink zeroes the rest of the new last
    /// block. Growing is `grow`'s job; with `length` equal to the size this only trims blocks past
    /// the end (after a failed allocation).
    pub(crate) fn trim(&self, st: &mut WState, ino: Ino, din: &mut Dinode, length: u64, meta: bool) -> KResult<()> {
        let sb = &self.sb;
        let bsize = sb.bsize as u64;
        let osize = din.size.max(length);
        if self.is_fast_symlink(din) || !self.has_blocks(din) {
            din.size = length;
            return Ok(());
        }
        let off = sb.blkoff(length);
        let mut fresh = None;
        if off != 0 && length < din.size && !meta {
            // The block holding the new last byte must exist (ffs_truncate allocates it): only the
            // last block may be fragments, and fsck sizes it from the file's size.
            let lbn = sb.lblkno(length);
            let was_hole = self.bmap(ino, din, lbn, 1)?.addr == 0;
            let b = self.balloc(st, ino, din, lbn, off as u32, false, true)?;
            if was_hole {
                fresh = Some((lbn, b.size as u64));
            }
            let ext = self.bmap(ino, din, lbn, 1)?;
            if ext.addr != 0 {
                let have = (osize - lbn * bsize).min(sb.sblksize(osize, lbn));
                if have > off {
                    self.zero_extent(false, ext.addr, off as u32, have as u32)?;
                }
            }
        }
        din.size = length;
        let last: i64 = (length.div_ceil(bsize)) as i64 - 1;
        let mut freed = 0u64;
        for i in ((last + 1).max(0) as usize)..NDADDR {
            if din.db[i] != 0 {
                let sz = sb.sblksize(osize, i as u64) as u32;
                self.blkfree(st, din.db[i], sz);
                freed += (sz / 512) as u64;
                din.db[i] = 0;
            }
        }
        let nindir = sb.nindir as u64;
        let mut start = NDADDR as u64;
        let mut span = nindir;
        for level in 0..NIADDR {
            let ib = din.ib[level];
            if ib != 0 {
                if last < start as i64 {
                    freed += self.free_tree(st, ino, ib, level)?;
                    din.ib[level] = 0;
                } else if (last as u64) < start + span - 1 {
                    freed += self.indirtrunc(st, ino, ib, level, start, last as u64)?;
                }
            }
            start += span;
            span = span.saturating_mul(nindir);
        }
        if last >= 0 && (last as usize) < NDADDR {
            let i = last as usize;
            let bn = din.db[i];
            if bn != 0 {
                let oldspace = match fresh {
                    Some((l, sz)) if l == i as u64 => sz,
                    _ => sb.sblksize(osize, i as u64),
                };
                let newspace = sb.sblksize(length, i as u64);
                if newspace < oldspace {
                    self.blkfree(st, bn + sb.numfrags(newspace), (oldspace - newspace) as u32);
                    freed += (oldspace - newspace) / 512;
                }
            }
        }
        din.blocks = din.blocks.saturating_sub(freed);
        Ok(())
    }

    /// Zeroes whatever the block holding the current end of file has past it, up to byte `upto` of
    /// the file (a write or truncate is about to expose those bytes; an image from elsewhere may have
    /// left something there).
    pub(crate) fn zero_past_eof(&self, ino: Ino, din: &Dinode, upto: u64) -> KResult<()> {
        let sb = &self.sb;
        let bsize = sb.bsize as u64;
        let eof = din.size;
        if eof.is_multiple_of(bsize) || upto <= eof || !self.has_blocks(din) {
            return Ok(());
        }
        let lbn = eof / bsize;
        let ext = self.bmap(ino, din, lbn, 1)?;
        if ext.addr == 0 {
            return Ok(());
        }
        let alloc = sb.sblksize(eof, lbn);
        let from = eof - lbn * bsize;
        let to = alloc.min(upto - lbn * bsize);
        self.zero_extent(false, ext.addr, from as u32, to as u32)
    }

    /// Grows a regular file to `length` bytes: holes, except the block holding the last byte, which
    /// is allocated (zeroed) as NetBSD's ffs_truncate does.
    pub(crate) fn grow(&self, st: &mut WState, ino: Ino, din: &mut Dinode, length: u64) -> KResult<()> {
        if length <= din.size {
            return Ok(());
        }
        if length > self.sb.maxfilesize {
            return Err(Errno::EFBIG);
        }
        let orig = din.clone();
        self.zero_past_eof(ino, din, length)?;
        let lbn = self.sb.lblkno(length - 1);
        let size = (self.sb.blkoff(length - 1) + 1) as u32;
        match self.balloc(st, ino, din, lbn, size, false, true) {
            Ok(_) => {
                din.size = length;
                Ok(())
            }
            Err(e) => {
                let keep = orig.size;
                self.trim(st, ino, din, keep, false)?;
                Err(e)
            }
        }
    }

    /// Whether the inode's block pointers are block pointers (not a device number or a fast link).
    pub(crate) fn has_blocks(&self, din: &Dinode) -> bool {
        use crate::vfs::types::VType;
        matches!(din.vtype(), Some(VType::Reg) | Some(VType::Dir) | Some(VType::Lnk)) && !self.is_fast_symlink(din)
    }

    /// A symlink whose target lives in the inode.
    pub(crate) fn is_fast_symlink(&self, din: &Dinode) -> bool {
        use crate::vfs::types::VType;
        if din.vtype() != Some(VType::Lnk) {
            return false;
        }
        let max = self.sb.maxsymlinklen as i64;
        (din.size as i64) < max || (max <= 0 && din.blocks == 0)
    }
}
