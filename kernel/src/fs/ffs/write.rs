//! The write side of the FFS driver: read-write mounts (the clean flag, the summary array), the
//! modifying vnode operations (ufs_vnops.c: create, mkdir, rmdir, remove, link, rename, symlink,
//! mknod, setattr, write) and the durability model.
//!
//! Durability: file data goes to the device as it is written; metadata (inode blocks, indirect
//! blocks, directory blocks) waits dirty in the buffer cache and cylinder groups in the write state.
//! `sync` (and `fsync`, and unmount, and a cache getting too dirty) writes it in ffs_sync's order:
//! inodes and other metadata, then the cylinder groups (with the space freed since the last sync
//! returned to them), then the summary array and the superblock. Freed blocks are not reused before
//! that, so the image on disk never has a live file whose blocks hold another file's data.

use super::alloc::{Csum, WState, FS_OPTSPACE, FS_OPTTIME};
use super::inode::{shortlink_capacity, Dinode};
use super::superblock::{
    read_csum, write_csum, SbMut, Superblock, Ufs, FS_DOQUOTA2, FS_DOWAPBL, FS_ISCLEAN, FS_WASCLEAN, NDADDR, NIADDR,
    ROOTINO,
};
use super::{lock, Ffs};
use crate::errno::{Errno, KResult};
use crate::vfs::types::*;
use crate::vfs::vnops::check_entry_name;

impl Ffs {
    /// Runs a modifying operation with the write state locked; EROFS on a read-only mount.
    pub(crate) fn op<R>(&self, f: impl FnOnce(&mut WState) -> KResult<R>) -> KResult<R> {
        let mut st = self.w.write().unwrap_or_else(|e| e.into_inner());
        if !st.active {
            return Err(Errno::EROFS);
        }
        st.safe = st.pending.len();
        st.now = self.hyper.wall_clock();
        let r = f(&mut st);
        // Too much waiting to be written: write it (the syncer's job in NetBSD).
        if self.cache.dirty_bytes() > self.cache.limit() / 2 || st.pending.len() > 1 << 16 {
            if let Err(e) = self.sync_locked(&mut st) {
                (self.log)(&format!("background sync failed: {e}"));
            }
        }
        r
    }

    /// The on-disk inode `ino` whatever its state (for allocation).
    pub(crate) fn raw_dinode(&self, ino: Ino) -> KResult<Dinode> {
        let (fsba, idx) = self.sb.ino_to_fsba(ino);
        let blk = self.meta_block(fsba, self.sb.bsize as usize)?;
        let isz = self.sb.ufs.dinode_size() as usize;
        Ok(Dinode::decode(&blk[idx * isz..(idx + 1) * isz], self.sb.order, self.sb.ufs, self.old_ids))
    }

    /// ffs_update: writes inode `ino` into its block in the cache (and the inode cache).
    pub(crate) fn put_inode(&self, ino: Ino, d: &Dinode) -> KResult<()> {
        let (fsba, idx) = self.sb.ino_to_fsba(ino);
        let isz = self.sb.ufs.dinode_size() as usize;
        let inline = self.is_fast_symlink(d);
        let (o, ufs) = (self.sb.order, self.sb.ufs);
        self.cache.modify(self.dev.as_ref(), self.sb.frag_to_bytes(fsba), self.sb.bsize as usize, |blk| {
            let raw = &mut blk[idx * isz..(idx + 1) * isz];
            if d.mode == 0 {
                raw.fill(0);
            }
            d.encode(raw, o, ufs, inline)
        })?;
        let mut g = lock(&self.inodes);
        if d.vtype().is_some() {
            g.insert(ino, std::sync::Arc::new(d.clone()));
        } else {
            g.remove(ino);
        }
        Ok(())
    }

    /// A read on a read-write mount: the access time changes (written at the next sync).
    pub(crate) fn accessed(&self, st: &WState, ino: Ino, d: &Dinode) {
        if st.active && !self.noatime {
            lock(&self.atimes).insert(ino, (d.gen, self.hyper.wall_clock()));
        }
    }

    /// Writes the access times reads left into their inodes.
    fn flush_atimes(&self) -> KResult<()> {
        let pending: Vec<(Ino, (u32, Timespec))> = lock(&self.atimes).drain().collect();
        for (ino, (gen, t)) in pending {
            if let Ok(d) = self.dinode(ino) {
                if d.gen == gen && d.atime != t {
                    let mut d = (*d).clone();
                    d.atime = t;
                    self.put_inode(ino, &d)?;
                }
            }
        }
        Ok(())
    }

    /// Notes that group `c` now has `n` initialised inodes (for the read side's check).
    pub(crate) fn set_cg_inited(&self, c: u32, n: u32) {
        lock(&self.cgs).insert(c, Ok(n));
    }

    // ---------------------------------------------------------------------------- mount

    /// Makes the mount read-write (mount or mount -u): checks the file system can be written, marks
    /// it not clean on disk and loads the summary array.
    pub(crate) fn start_rw(&self, force: bool, replayed: bool) -> KResult<()> {
        let mut st = self.w.write().unwrap_or_else(|e| e.into_inner());
        if st.active {
            return Ok(());
        }
        let log = &self.log;
        if self.dev.readonly() {
            return Err(Errno::EROFS);
        }
        if replayed {
            log("the journal was replayed in memory by the read-only mount: unmount and mount read-write to replay it to disk");
            return Err(Errno::EROFS);
        }
        // The superblock as it is now on disk (an earlier read-write session may have changed it).
        let sb = Superblock::read_at(self.dev.as_ref(), self.sb.sblockloc).inspect_err(|_| {
            log("superblock unreadable: not mounting read-write");
        })?;
        if !sb.has_new_layout() {
            log("UFS1 superblock in the pre-NetBSD-2 layout: only read-only mounts are supported");
            return Err(Errno::EROFS);
        }
        if self.old_ids {
            log("4.2BSD inode format: only read-only mounts are supported");
            return Err(Errno::EROFS);
        }
        if sb.flags & FS_DOQUOTA2 != 0 && !force {
            log("file system has in-file-system quotas (quota2), which this driver does not keep: read-only");
            return Err(Errno::EROFS);
        }
        let mut flags = sb.flags;
        let mut sb = sb;
        // ffs_mount: fs_fsmnt is where the file system was last mounted.
        sb.raw_mut().set_fsmnt(self.mnton.as_bytes());
        if sb.flags & FS_DOWAPBL != 0 {
            if sb.journal_location == super::wapbl::JOURNALLOC_IN_FILESYSTEM {
                log("WAPBL journal inside the file system: read-write mounts are not supported (mount read-only)");
                return Err(Errno::EROFS);
            }
            // Mounting without logging, as NetBSD does without -o log: the (empty) journal is
            // dropped from the superblock.
            log("WAPBL journal at the end of the partition is empty: dropped (this mount does not log)");
            flags &= !FS_DOWAPBL;
            sb.raw_mut().clear_journal(flags);
        }
        if !sb.is_clean() {
            log(&format!(
                "file system not clean (fs_clean=0x{:02x}); please fsck(8){}",
                sb.clean,
                if force { " (forced)" } else { "" }
            ));
            if !force {
                return Err(Errno::EPERM);
            }
        }
        // fs_csp: the per-group summaries.
        let cs_bytes = (sb.ncg as usize) * 16;
        if (sb.cssize as usize) < cs_bytes || sb.csaddr + sb.numfrags(sb.cssize as u64) > sb.size {
            self.corrupt(&format!("summary area at {} ({} bytes) cannot hold {} groups", sb.csaddr, sb.cssize, sb.ncg));
            return Err(Errno::EIO);
        }
        let mut csraw = vec![0u8; sb.cssize as usize];
        self.dev.read_at(sb.frag_to_bytes(sb.csaddr), &mut csraw)?;
        let csp: Vec<Csum> = (0..sb.ncg as usize).map(|c| read_csum(&csraw, sb.order, c)).collect();
        let sum = csp.iter().fold(Csum::default(), |a, c| Csum {
            ndir: a.ndir + c.ndir,
            nbfree: a.nbfree + c.nbfree,
            nifree: a.nifree + c.nifree,
            nffree: a.nffree + c.nffree,
        });
        let mut cstotal = sb.cstotal;
        if (sum.ndir, sum.nbfree, sum.nifree, sum.nffree)
            != (cstotal.ndir, cstotal.nbfree, cstotal.nifree, cstotal.nffree)
        {
            // NetBSD recomputes fs_cstotal from fs_csp at mount (ffs_mountfs).
            cstotal.ndir = sum.ndir;
            cstotal.nbfree = sum.nbfree;
            cstotal.nifree = sum.nifree;
            cstotal.nffree = sum.nffree;
        }
        let was_clean = sb.is_clean();
        *st = WState {
            active: true,
            cstotal,
            csp,
            contigdirs: vec![0; sb.ncg as usize],
            optim: if sb.optim == FS_OPTSPACE { FS_OPTSPACE } else { FS_OPTTIME },
            clean: if was_clean { FS_WASCLEAN } else { 0 },
            was_clean,
            flags,
            fmod: true,
            now: self.hyper.wall_clock(),
            sb_raw: sb.raw,
            ..Default::default()
        };
        lock(&self.cgs).clear();
        // fs_clean cleared on disk now: a crash from here on leaves an unclean file system.
        self.write_sb(&mut st)?;
        self.write_csum(&st)?;
        self.dev.flush()?;
        st.fmod = false;
        (self.log)(&format!("mounted read-write{}", if was_clean { "" } else { " (not clean: forced)" }));
        Ok(())
    }

    /// Leaves read-write mode (unmount or mount -u -r): everything written, the clean flag set again
    /// if the file system was clean when it became writable. At unmount (`unmounting`), inodes with
    /// no names left whose last reference never came back are freed now.
    pub(crate) fn stop_rw(&self, unmounting: bool) -> KResult<()> {
        let mut st = self.w.write().unwrap_or_else(|e| e.into_inner());
        if !st.active {
            return Ok(());
        }
        st.now = self.hyper.wall_clock();
        if unmounting {
            let orphans: Vec<Ino> = st.orphans.iter().copied().collect();
            for ino in orphans {
                st.safe = st.pending.len();
                if self.dinode(ino).is_ok_and(|d| d.nlink == 0) {
                    self.free_inode(&mut st, ino)?;
                }
            }
            st.orphans.clear();
        }
        self.sync_locked(&mut st)?;
        if st.was_clean {
            st.clean = FS_ISCLEAN;
        }
        self.write_sb(&mut st)?;
        self.dev.flush()?;
        st.active = false;
        st.cgs.clear();
        Ok(())
    }

    /// ffs_sbupdate: the superblock's changing fields into its bytes, written at fs_sblockloc.
    fn write_sb(&self, st: &mut WState) -> KResult<()> {
        let pending = st.pending_frags(self.sb.fshift);
        let mut w = SbMut { b: &mut st.sb_raw, o: self.sb.order, ufs: self.sb.ufs, new_layout: true };
        w.clear_incore_flags();
        w.set_clean(st.clean);
        w.set_optim(st.optim);
        w.set_time(st.now.sec);
        w.set_cstotal(&st.cstotal);
        w.set_pending(if st.clean == FS_ISCLEAN { 0 } else { pending }, 0);
        w.set_flags(st.flags);
        self.dev.write_at(self.sb.sblockloc, &st.sb_raw)
    }

    /// ffs_cgupdate's summary half: fs_csp to fs_csaddr.
    fn write_csum(&self, st: &WState) -> KResult<()> {
        let mut b = vec![0u8; self.sb.cssize as usize];
        let at = self.sb.frag_to_bytes(self.sb.csaddr);
        self.dev.read_at(at, &mut b)?;
        for (c, s) in st.csp.iter().enumerate() {
            write_csum(&mut b, self.sb.order, c, s);
        }
        self.dev.write_at(at, &b)
    }

    /// ffs_sync: metadata, then cylinder groups (with freed space returned), then summaries and
    /// superblock, then a device flush.
    pub(crate) fn sync_locked(&self, st: &mut WState) -> KResult<()> {
        self.flush_atimes()?;
        st.safe = st.pending.len();
        self.cache.flush(self.dev.as_ref())?;
        self.release_pending(st)?;
        let mut wrote_cg = false;
        for (&c, cgb) in st.cgs.iter_mut() {
            if cgb.dirty {
                let at = self.sb.frag_to_bytes(self.sb.cgtod(c));
                self.dev.write_at(at, &cgb.data)?;
                self.cache.discard(at, cgb.data.len());
                cgb.dirty = false;
                wrote_cg = true;
            }
        }
        if st.fmod || wrote_cg {
            self.write_csum(st)?;
            self.write_sb(st)?;
            st.fmod = false;
        }
        // Groups are read again when next needed: memory stays bounded on large file systems.
        st.cgs.clear();
        self.dev.flush()
    }

    // ---------------------------------------------------------------------------- helpers

    fn dtype_of(&self, v: VType) -> u8 {
        if self.dirfmt.dtype {
            v.dtype()
        } else {
            DT_UNKNOWN
        }
    }

    /// A directory that can take a new entry: exists, is a directory, has not been removed.
    fn live_dir(&self, dir: Ino) -> KResult<Dinode> {
        let din = (*self.dir_inode(dir)?).clone();
        if din.nlink == 0 {
            return Err(Errno::ENOENT);
        }
        Ok(din)
    }

    /// Frees inode `ino` if nothing names it any more (ufs_inactive → ffs_truncate + ffs_vfree).
    pub(crate) fn free_inode(&self, st: &mut WState, ino: Ino) -> KResult<()> {
        let mut din = (*self.dinode(ino)?).clone();
        if din.nlink != 0 {
            return Ok(());
        }
        let is_dir = din.vtype() == Some(VType::Dir);
        if self.has_blocks(&din) {
            self.trim(st, ino, &mut din, 0, is_dir)?;
        }
        din.mode = 0;
        din.size = 0;
        din.blocks = 0;
        din.db = [0; NDADDR];
        din.ib = [0; NIADDR];
        din.flags = 0;
        din.shortlink = [0; 120];
        din.ctime = st.now;
        self.put_inode(ino, &din)?;
        self.freefile(st, ino, is_dir)?;
        st.orphans.remove(&ino);
        if is_dir {
            self.drop_index(ino);
            lock(&self.parents).remove(&ino);
        }
        Ok(())
    }

    /// Makes a new inode of `attr`'s type in `dir` (ffs_valloc + ufs_makeinode): allocated, filled in,
    /// written; the caller enters it in the directory.
    fn make_inode(&self, st: &mut WState, dir: Ino, attr: &NewNode) -> KResult<(Ino, Dinode)> {
        let is_dir = attr.vtype == VType::Dir;
        let ino = self.valloc(st, dir, is_dir)?;
        let old = self.raw_dinode(ino)?;
        if old.mode != 0 {
            self.corrupt(&format!("inode {ino} marked free in its group but has mode 0{:o}", old.mode));
        }
        let mut d = Dinode::decode(&vec![0u8; self.sb.ufs.dinode_size() as usize], self.sb.order, self.sb.ufs, false);
        let mut gen = old.gen.wrapping_add(1);
        if old.gen == 0 || gen == 0 || gen > 0x7fff_ffff {
            let mut r = [0u8; 4];
            self.hyper.random(&mut r)?;
            gen = (u32::from_le_bytes(r) & 0x7fff_ffff) / 2 + 1;
        }
        d.gen = gen;
        d.mode = (attr.vtype.ifmt() | (attr.mode & ALLPERMS)) as u16;
        d.nlink = 1;
        d.uid = attr.uid;
        d.gid = attr.gid;
        d.atime = st.now;
        d.mtime = st.now;
        d.ctime = st.now;
        if self.sb.ufs == Ufs::Ufs2 {
            d.birthtime = st.now;
        }
        if matches!(attr.vtype, VType::Blk | VType::Chr) {
            d.db[0] = match self.sb.ufs {
                Ufs::Ufs1 => attr.rdev & 0xffff_ffff,
                Ufs::Ufs2 => attr.rdev,
            };
        }
        Ok((ino, d))
    }

    /// Undoes `make_inode` after a later step failed.
    fn unmake_inode(&self, st: &mut WState, ino: Ino, mut d: Dinode) {
        let is_dir = d.vtype() == Some(VType::Dir);
        if self.has_blocks(&d) {
            let _ = self.trim(st, ino, &mut d, 0, is_dir);
        }
        let mut z = d.clone();
        z.mode = 0;
        z.nlink = 0;
        z.size = 0;
        z.blocks = 0;
        z.db = [0; NDADDR];
        z.ib = [0; NIADDR];
        let _ = self.put_inode(ino, &z);
        let _ = self.freefile(st, ino, is_dir);
    }

    /// The common path of create, mknod, mkdir, symlink (ufs_makeinode and friends).
    fn create_node(&self, dir: Ino, name: &[u8], attr: &NewNode, target: Option<&[u8]>) -> KResult<Ino> {
        check_entry_name(name)?;
        self.op(|st| {
            let ddin = self.live_dir(dir)?;
            if self.dir_lookup(dir, &ddin, name)?.is_some() {
                return Err(Errno::EEXIST);
            }
            let is_dir = attr.vtype == VType::Dir;
            if is_dir && ddin.nlink as u64 >= LINK_MAX {
                return Err(Errno::EMLINK);
            }
            let (ino, mut d) = self.make_inode(st, dir, attr)?;
            let filled: KResult<()> = (|| {
                if is_dir {
                    d.nlink = 2;
                    let b = self.balloc(st, ino, &mut d, 0, super::dir::DIRBLKSIZ as u32, true, false)?;
                    d.size = super::dir::DIRBLKSIZ as u64;
                    self.cache.write_delayed(self.sb.frag_to_bytes(b.addr), self.dir_template(ino, dir));
                }
                if let Some(t) = target {
                    let max = self.sb.maxsymlinklen;
                    if (t.len() as i64) < max as i64 && t.len() <= shortlink_capacity(self.sb.ufs) {
                        d.shortlink = [0; 120];
                        d.shortlink[..t.len()].copy_from_slice(t);
                        d.size = t.len() as u64;
                    } else if !t.is_empty() {
                        // A slow link: the target in a data block, as a file's contents.
                        self.write_data(st, ino, &mut d, 0, t)?;
                    }
                }
                Ok(())
            })();
            if let Err(e) = filled {
                self.unmake_inode(st, ino, d);
                return Err(e);
            }
            self.put_inode(ino, &d)?;
            if let Err(e) = self.direnter(st, dir, name, ino, self.dtype_of(attr.vtype)) {
                self.unmake_inode(st, ino, d);
                return Err(e);
            }
            if is_dir {
                let mut p = (*self.dinode(dir)?).clone();
                p.nlink += 1;
                self.put_inode(dir, &p)?;
                let mut ix = super::dirhash::DirHash::default();
                ix.names.insert((*b".").into(), (ino as u32, 0));
                ix.names.insert((*b"..").into(), (dir as u32, super::dir::dirsiz(1) as u64));
                let free = super::dir::DIRBLKSIZ - super::dir::dirsiz(1) - super::dir::dirsiz(2);
                ix.set_free(0, free as u16);
                self.drop_index(ino);
                self.put_index(ino, ix);
                lock(&self.parents).insert(ino, dir);
            }
            Ok(ino)
        })
    }

    // ---------------------------------------------------------------------------- data

    /// ffs_write's core: `buf` at `off` of regular file `ino` (inode `din`, changed in place and
    /// written by the caller). Returns the bytes written; a full file system part way through ends
    /// the write there (ENOSPC if nothing was written).
    pub(crate) fn write_data(
        &self,
        st: &mut WState,
        ino: Ino,
        din: &mut Dinode,
        off: u64,
        buf: &[u8],
    ) -> KResult<usize> {
        let sb = &self.sb;
        let bsize = sb.bsize as u64;
        let end = off.checked_add(buf.len() as u64).ok_or(Errno::EFBIG)?;
        if end > sb.maxfilesize {
            return Err(Errno::EFBIG);
        }
        let orig_size = din.size;
        if off > din.size {
            self.zero_past_eof(ino, din, off)?;
        }
        let mut done = 0usize;
        // (device offset, start in buf, length) of data to write, merged where contiguous.
        let mut segs: Vec<(u64, usize, usize)> = Vec::new();
        let mut err = None;
        while done < buf.len() {
            let pos = off + done as u64;
            let lbn = pos / bsize;
            let boff = (pos % bsize) as u32;
            let n = ((bsize - boff as u64) as usize).min(buf.len() - done);
            let need = boff + n as u32;
            let b = match self.balloc(st, ino, din, lbn, need, false, false) {
                Ok(b) => b,
                Err(e) => {
                    err = Some(e);
                    break;
                }
            };
            // New space this write does not cover gets zeros.
            if b.valid < b.size {
                if b.valid < boff {
                    self.dev
                        .write_at(sb.frag_to_bytes(b.addr) + b.valid as u64, &vec![0u8; (boff - b.valid) as usize])?;
                }
                let tail = need.max(b.valid);
                if tail < b.size {
                    self.dev.write_at(sb.frag_to_bytes(b.addr) + tail as u64, &vec![0u8; (b.size - tail) as usize])?;
                }
            }
            let at = sb.frag_to_bytes(b.addr) + boff as u64;
            match segs.last_mut() {
                Some((a, s, l)) if *a + *l as u64 == at && *s + *l == done => *l += n,
                _ => segs.push((at, done, n)),
            }
            done += n;
            din.size = din.size.max(pos + n as u64);
            if segs.len() > 64 || segs.last().is_some_and(|s| s.2 >= 8 << 20) {
                for (a, s, l) in segs.drain(..) {
                    self.dev.write_at(a, &buf[s..s + l])?;
                }
            }
        }
        for (a, s, l) in segs {
            self.dev.write_at(a, &buf[s..s + l])?;
        }
        if let Some(e) = err {
            // Nothing past what was written stays allocated (a failed allocation may have left an
            // indirect block or a grown last block behind).
            let keep = orig_size.max(off + done as u64).min(din.size);
            self.trim(st, ino, din, keep, false)?;
            if done == 0 {
                return Err(e);
            }
        }
        Ok(done)
    }
}

impl Ffs {
    /// ffs_wapbl_replay_finish: inodes the journal listed as unlinked but open are freed.
    pub(crate) fn free_replayed_inodes(&self, list: &[(u32, u32)]) {
        if list.is_empty() {
            return;
        }
        let _ = self.op(|st| {
            for &(ino, _) in list {
                let ino = ino as Ino;
                if ino >= ROOTINO && ino < self.sb.ninodes() && self.dinode(ino).is_ok_and(|d| d.nlink == 0) {
                    if let Err(e) = self.free_inode(st, ino) {
                        (self.log)(&format!("freeing unlinked inode {ino} from the journal: {e}"));
                    }
                }
            }
            Ok(())
        });
    }
}

/// The modifying vnode operations, called from the FileSystem impl in mod.rs.
impl Ffs {
    pub(crate) fn w_create(&self, dir: Ino, name: &[u8], attr: &NewNode) -> KResult<Ino> {
        let vtype = if attr.vtype == VType::Sock { VType::Sock } else { VType::Reg };
        self.create_node(dir, name, &NewNode { vtype, ..attr.clone() }, None)
    }

    pub(crate) fn w_mknod(&self, dir: Ino, name: &[u8], attr: &NewNode) -> KResult<Ino> {
        match attr.vtype {
            VType::Blk | VType::Chr | VType::Fifo | VType::Sock | VType::Reg => self.create_node(dir, name, attr, None),
            _ => Err(Errno::EINVAL),
        }
    }

    pub(crate) fn w_mkdir(&self, dir: Ino, name: &[u8], attr: &NewNode) -> KResult<Ino> {
        self.create_node(dir, name, &NewNode { vtype: VType::Dir, ..attr.clone() }, None)
    }

    pub(crate) fn w_symlink(&self, dir: Ino, name: &[u8], attr: &NewNode, target: &[u8]) -> KResult<Ino> {
        if target.len() >= MAXPATHLEN {
            return Err(Errno::ENAMETOOLONG);
        }
        self.create_node(dir, name, &NewNode { vtype: VType::Lnk, ..attr.clone() }, Some(target))
    }

    /// ufs_remove.
    pub(crate) fn w_remove(&self, dir: Ino, name: &[u8]) -> KResult<()> {
        self.op(|st| {
            let ddin = (*self.dir_inode(dir)?).clone();
            if name == b"." || name == b".." {
                return Err(Errno::EISDIR);
            }
            let ino = self.dir_lookup(dir, &ddin, name)?.ok_or(Errno::ENOENT)?;
            let mut d = (*self.dinode(ino)?).clone();
            if d.vtype() == Some(VType::Dir) {
                return Err(Errno::EPERM);
            }
            self.dirremove(st, dir, name)?;
            d.nlink = d.nlink.saturating_sub(1);
            d.ctime = st.now;
            if d.nlink == 0 {
                st.orphans.insert(ino);
            }
            self.put_inode(ino, &d)
        })
    }

    /// ufs_rmdir.
    pub(crate) fn w_rmdir(&self, dir: Ino, name: &[u8]) -> KResult<()> {
        if name == b"." {
            return Err(Errno::EINVAL);
        }
        if name == b".." {
            return Err(Errno::ENOTEMPTY);
        }
        self.op(|st| {
            let ddin = (*self.dir_inode(dir)?).clone();
            let ino = self.dir_lookup(dir, &ddin, name)?.ok_or(Errno::ENOENT)?;
            let d = (*self.dinode(ino)?).clone();
            if d.vtype() != Some(VType::Dir) {
                return Err(Errno::ENOTDIR);
            }
            if !self.dirempty(ino, &d)? {
                return Err(Errno::ENOTEMPTY);
            }
            self.dirremove(st, dir, name)?;
            let mut p = (*self.dinode(dir)?).clone();
            p.nlink = p.nlink.saturating_sub(1);
            self.put_inode(dir, &p)?;
            // ufs_rmdir truncates the directory now: lookups in it (a process's cwd) find nothing.
            let mut d = (*self.dinode(ino)?).clone();
            d.nlink = 0;
            d.ctime = st.now;
            self.trim(st, ino, &mut d, 0, true)?;
            self.put_inode(ino, &d)?;
            st.orphans.insert(ino);
            self.drop_index(ino);
            lock(&self.parents).remove(&ino);
            Ok(())
        })
    }

    /// ufs_link.
    pub(crate) fn w_link(&self, ino: Ino, dir: Ino, name: &[u8]) -> KResult<()> {
        check_entry_name(name)?;
        self.op(|st| {
            let mut d = (*self.dinode(ino)?).clone();
            if d.vtype() == Some(VType::Dir) {
                return Err(Errno::EPERM);
            }
            if d.nlink == 0 {
                return Err(Errno::ENOENT);
            }
            if d.nlink as u64 >= LINK_MAX {
                return Err(Errno::EMLINK);
            }
            let ddin = self.live_dir(dir)?;
            if self.dir_lookup(dir, &ddin, name)?.is_some() {
                return Err(Errno::EEXIST);
            }
            d.nlink += 1;
            d.ctime = st.now;
            self.put_inode(ino, &d)?;
            let vt = d.vtype().ok_or(Errno::EIO)?;
            if let Err(e) = self.direnter(st, dir, name, ino, self.dtype_of(vt)) {
                d.nlink -= 1;
                self.put_inode(ino, &d)?;
                return Err(e);
            }
            Ok(())
        })
    }

    /// ufs_rename (the part below the VFS's checks).
    pub(crate) fn w_rename(&self, fdir: Ino, fname: &[u8], tdir: Ino, tname: &[u8]) -> KResult<()> {
        check_entry_name(tname)?;
        if fname == b"." || fname == b".." {
            return Err(Errno::EINVAL);
        }
        self.op(|st| {
            let fd = (*self.dir_inode(fdir)?).clone();
            let fino = self.dir_lookup(fdir, &fd, fname)?.ok_or(Errno::ENOENT)?;
            let td = self.live_dir(tdir)?;
            let tino = self.dir_lookup(tdir, &td, tname)?;
            if tino == Some(fino) {
                return Ok(());
            }
            let fip = (*self.dinode(fino)?).clone();
            let is_dir = fip.vtype() == Some(VType::Dir);
            let ftype = fip.vtype().ok_or(Errno::EIO)?;
            if let Some(t) = tino {
                let tip = self.dinode(t)?;
                match (tip.vtype() == Some(VType::Dir), is_dir) {
                    (true, true) if !self.dirempty(t, &tip)? => return Err(Errno::ENOTEMPTY),
                    (true, false) => return Err(Errno::EISDIR),
                    (false, true) => return Err(Errno::ENOTDIR),
                    _ => {}
                }
            }
            if is_dir && fdir != tdir && tino.is_none() && td.nlink as u64 >= LINK_MAX {
                return Err(Errno::EMLINK);
            }
            // Enter the new name (or point the old target's entry at the source).
            match tino {
                None => {
                    self.direnter(st, tdir, tname, fino, self.dtype_of(ftype))?;
                    if is_dir && fdir != tdir {
                        let mut t = (*self.dinode(tdir)?).clone();
                        t.nlink += 1;
                        self.put_inode(tdir, &t)?;
                    }
                }
                Some(t) => {
                    self.dirrewrite(st, tdir, tname, fino, self.dtype_of(ftype), true)?;
                    let mut tip = (*self.dinode(t)?).clone();
                    if tip.vtype() == Some(VType::Dir) {
                        // The replaced directory's `..` no longer names tdir, and it has no names;
                        // it is emptied now, as ufs_rename truncates it.
                        tip.nlink = 0;
                        self.trim(st, t, &mut tip, 0, true)?;
                        self.drop_index(t);
                        if fdir == tdir || !is_dir {
                            let mut tdn = (*self.dinode(tdir)?).clone();
                            tdn.nlink = tdn.nlink.saturating_sub(1);
                            self.put_inode(tdir, &tdn)?;
                        }
                        lock(&self.parents).remove(&t);
                    } else {
                        tip.nlink = tip.nlink.saturating_sub(1);
                    }
                    tip.ctime = st.now;
                    if tip.nlink == 0 {
                        st.orphans.insert(t);
                    }
                    self.put_inode(t, &tip)?;
                }
            }
            // Take the old name away.
            self.dirremove(st, fdir, fname)?;
            if is_dir && fdir != tdir {
                self.dirrewrite(st, fino, b"..", tdir, DT_DIR, false)?;
                let mut f = (*self.dinode(fdir)?).clone();
                f.nlink = f.nlink.saturating_sub(1);
                self.put_inode(fdir, &f)?;
                lock(&self.parents).insert(fino, tdir);
            }
            let mut f = (*self.dinode(fino)?).clone();
            f.ctime = st.now;
            self.put_inode(fino, &f)
        })
    }

    /// ufs_setattr.
    pub(crate) fn w_setattr(&self, ino: Ino, a: &SetAttr) -> KResult<()> {
        self.op(|st| {
            let mut d = (*self.dinode(ino)?).clone();
            let vtype = d.vtype().ok_or(Errno::EIO)?;
            let mut changed = false;
            if let Some(size) = a.size {
                match vtype {
                    VType::Reg => {
                        if size > i64::MAX as u64 || size > self.sb.maxfilesize {
                            return Err(Errno::EFBIG);
                        }
                        if size != d.size {
                            if size < d.size {
                                self.trim(st, ino, &mut d, size, false)?;
                            } else {
                                self.grow(st, ino, &mut d, size)?;
                            }
                            d.mtime = st.now;
                            changed = true;
                        }
                    }
                    VType::Dir => return Err(Errno::EISDIR),
                    VType::Blk | VType::Chr | VType::Fifo => {}
                    _ => return Err(Errno::EOPNOTSUPP),
                }
            }
            changed |= set_field(&mut d.flags, a.flags) | set_field(&mut d.uid, a.uid) | set_field(&mut d.gid, a.gid);
            if let Some(m) = a.mode {
                d.mode = ((d.mode as u32 & S_IFMT) | (m & ALLPERMS)) as u16;
                changed = true;
            }
            if set_field(&mut d.atime, a.atime) {
                lock(&self.atimes).remove(&ino);
                changed = true;
            }
            changed |= set_field(&mut d.mtime, a.mtime);
            // UFS1 has no birth time to set; asking still marks ctime, as ufs_setattr does.
            if let Some(t) = a.birthtime {
                if self.sb.ufs == Ufs::Ufs2 {
                    d.birthtime = t;
                }
                changed = true;
            }
            if changed {
                d.ctime = st.now;
            }
            self.put_inode(ino, &d)
        })
    }

    /// ffs_write.
    pub(crate) fn w_write(&self, ino: Ino, off: u64, buf: &[u8], append: bool) -> KResult<(usize, u64)> {
        self.op(|st| {
            let mut d = (*self.dinode(ino)?).clone();
            match d.vtype() {
                Some(VType::Reg) => {}
                Some(VType::Dir) => return Err(Errno::EISDIR),
                _ => return Err(Errno::EINVAL),
            }
            if self.size_impossible(&d) {
                return Err(Errno::EIO);
            }
            let off = if append { d.size } else { off };
            if buf.is_empty() {
                return Ok((0, off));
            }
            if off.checked_add(buf.len() as u64).is_none_or(|e| e > i64::MAX as u64) {
                return Err(Errno::EFBIG);
            }
            let r = self.write_data(st, ino, &mut d, off, buf);
            if let Ok(n) = r {
                if n > 0 {
                    d.mtime = st.now;
                    d.ctime = st.now;
                }
                d.mode = crate::vfs::mode_after_write(d.mode as u32, n) as u16;
            }
            self.put_inode(ino, &d)?;
            let n = r?;
            Ok((n, off + n as u64))
        })
    }

    /// VOP_INACTIVE: frees an inode nothing names once the last reference is gone.
    pub(crate) fn w_inactive(&self, ino: Ino) {
        // Every vrele ends here: only an inode whose last name went while it was in use (an orphan of a
        // read-write mount) has anything to do, and that is known without the write lock.
        {
            let st = self.w.read().unwrap_or_else(|e| e.into_inner());
            if !st.active || !st.orphans.contains(&ino) {
                return;
            }
        }
        let mut st = self.w.write().unwrap_or_else(|e| e.into_inner());
        if !st.active {
            return;
        }
        if self.dinode(ino).map_or(true, |d| d.nlink != 0) {
            return;
        }
        st.safe = st.pending.len();
        st.now = self.hyper.wall_clock();
        if let Err(e) = self.free_inode(&mut st, ino) {
            (self.log)(&format!("freeing inode {ino}: {e}"));
        }
    }

    /// VFS_SYNC / VOP_FSYNC (the whole file system: its data is already on the device, and this
    /// makes the names leading to it durable too).
    pub(crate) fn w_sync(&self) -> KResult<()> {
        let mut st = self.w.write().unwrap_or_else(|e| e.into_inner());
        if !st.active {
            return Ok(());
        }
        st.now = self.hyper.wall_clock();
        self.sync_locked(&mut st)
    }

    /// statvfs counts while read-write (freed space waiting for the next sync counts as free, as
    /// fs_pendingblocks does).
    pub(crate) fn w_counts(&self) -> Option<(super::superblock::CsTotal, u64)> {
        let st = self.w.read().unwrap_or_else(|e| e.into_inner());
        if !st.active {
            return None;
        }
        Some((st.cstotal, st.pending_frags(self.sb.fshift)))
    }
}
