//! FFS (the Berkeley Fast File System, UFS1 and UFS2) as NetBSD writes it, in either byte order, on a
//! whole device or inside an MBR, GPT or disklabel partition; read-only and read-write.
//!
//! Layout of the module: `endian` (byte order), `superblock` (finding and checking it), `cg` (cylinder
//! group headers), `inode` (dinodes), `dir` (directory entries), `bmap` (block mapping), `cache` (the
//! metadata buffer cache), `wapbl` (journal replay), `info` (what `rumpjs info` prints); the write
//! side: `alloc` (cylinder-group allocation, as ffs_alloc.c), `balloc` (giving files blocks and taking
//! them back), `dirhash` and `dirops` (directory entries through an in-memory name index), `write`
//! (read-write mounts, the modifying operations, sync), `newfs` (making a file system), `fsck`.
//!
//! Mount options: `partition=<letter|number|raw>` (which partition; found automatically otherwise),
//! `cache=<size>` (metadata cache limit, default 64m). `force` mounts a file system with unknown flags
//! or an unreadable journal, as `mount -f` does, and an unclean one read-write.
//!
//! Read-write: the clean flag is cleared on disk at mount and set again at unmount; an unclean file
//! system is refused ("please fsck") unless forced. A journal holding records is replayed to disk
//! before a read-write mount and logging switched off (this driver does not log); an empty journal
//! at the end of the partition is dropped the same way; a journal inside the file system refuses
//! read-write. (A read-only mount replays into memory and writes nothing; mount -u to read-write is
//! then refused.) File data goes to the device as written;
//! metadata is written by sync, fsync (which syncs the whole file system), unmount, or when too much
//! is waiting, in ffs_sync's order. Reads do not update access times.
//!
//! Every number read from the image is checked before it is used; a bad one makes the operation fail
//! with EIO (EFTYPE/EINVAL at mount) and a kernel-log line saying what is wrong.

mod alloc;
mod balloc;
mod bmap;
pub mod cache;
pub mod cg;
pub mod dir;
pub mod dirhash;
mod dirops;
pub mod endian;
pub mod fsck;
mod icache;
pub mod info;
pub mod inode;
pub mod newfs;
pub mod superblock;
pub mod wapbl;
mod write;

pub use info::{probe_info, FfsInfo};

use crate::dev::{part, BlockDevice, Dev};
use crate::errno::{Errno, KResult};
use crate::hyper::Hypervisor;
use crate::vfs::fxhash::FxHashMap;
use crate::vfs::types::*;
use crate::vfs::{FileSystem, MountCtx, MountOptions, VfsOps, VnodeOps};
use alloc::WState;
use cache::BlockCache;
use dir::{DirFormat, Entries, RawDirent, DIRBLKSIZ};
use dirhash::DirHash;
use inode::Dinode;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};
use superblock::{Superblock, Ufs, FS_DOWAPBL, FS_INTERNAL, FS_KNOWN_FLAGS, ROOTINO};

/// Parsed inodes kept (each ~400 bytes, so at most 52 MiB): a tree of 100,000 files and directories
/// walked again and again reads no inode block twice.
const INODE_CACHE_MAX: usize = 1 << 17;
/// Directories at least this large get an in-memory name index (NetBSD's dirhash starts at 5 chunks).
const DIRINDEX_MIN_BYTES: u64 = 5 * DIRBLKSIZ as u64;
/// Names held by all directory indexes together.
pub(crate) const DIRINDEX_MAX_NAMES: usize = 1 << 18;
/// Longest symlink target read (NetBSD's are < MAXPATHLEN; other systems' makefs input may be longer).
const MAX_SLOW_SYMLINK: u64 = 64 * 1024;
/// Parents remembered for the `..` check (entries; the map is dropped when full).
const PARENTS_MAX: usize = 1 << 20;
/// Kernel-log lines about corruption per mount (the rest are counted, not printed).
const MAX_CORRUPT_LINES: u32 = 100;

type LogFn = Arc<dyn Fn(&str) + Send + Sync>;

#[derive(Default)]
pub(crate) struct DirIndexes {
    pub(crate) map: HashMap<Ino, Arc<DirHash>>,
    pub(crate) names: usize,
}

/// A mounted FFS.
pub struct Ffs {
    pub(crate) sb: Superblock,
    dev: Dev,
    cache: BlockCache,
    log: LogFn,
    /// The mount point, recorded in fs_fsmnt by a read-write mount (ffs_mount copies f_mntonname).
    mnton: String,
    dirfmt: DirFormat,
    old_ids: bool,
    inodes: Mutex<icache::InodeCache>,
    /// Checked cylinder groups: Ok(inodes initialised) or the complaint.
    cgs: Mutex<HashMap<u32, Result<u32, String>>>,
    dirindex: Mutex<DirIndexes>,
    /// Directory → the directory it was found in (for checking `..`).
    parents: Mutex<HashMap<Ino, Ino>>,
    corrupt_lines: AtomicU32,
    info: FfsInfo,
    /// The write side's state (read-write mounts); readers hold it shared so they never see an
    /// operation half done.
    w: RwLock<WState>,
    hyper: Arc<dyn Hypervisor>,
    /// The journal was replayed into memory (the device is the replay's view: read-only).
    replayed: bool,
    /// Access times of reads on a read-write mount, kept here (NetBSD's IN_ACCESS) and written into
    /// the inodes at the next sync, so reading needs no exclusive lock: inode → (generation, time).
    atimes: Mutex<FxHashMap<Ino, (u32, Timespec)>>,
    /// Mounted with MNT_NOATIME.
    noatime: bool,
}

/// The device and superblock a mount or `probe_info` settles on.
pub(crate) struct Opened {
    pub dev: Dev,
    pub sb: Superblock,
    pub chosen: part::Chosen,
    pub replay: Option<(usize, String)>,
}

/// Finds the file system: partition, superblock, journal. Shared by `mount` and `probe_info`.
pub(crate) fn open(dev: &Dev, partition: Option<&str>, force: bool, log: &dyn Fn(&str)) -> KResult<Opened> {
    let has_fs = |d: &dyn BlockDevice| Superblock::find(d, &mut Vec::new()).is_ok();
    let chosen = part::choose(dev, partition, &has_fs, log)?;
    if let Some(p) = &chosen.partition {
        log(&format!("using {p}"));
    }
    let mut notes = Vec::new();
    let sb = Superblock::find(chosen.dev.as_ref(), &mut notes).inspect_err(|_| {
        if notes.is_empty() {
            log("no FFS superblock found (looked at 65536, 8192, 0 and 262144)");
        }
        for n in &notes {
            log(&format!("superblock search at {}: {}", n.loc, n.what));
        }
    })?;
    let mut fsdev = chosen.dev.clone();
    let mut sb = sb;
    let mut replay = None;
    if sb.flags & FS_DOWAPBL != 0 {
        if !sb.has_new_layout() {
            log("WAPBL flag on a superblock in the old UFS1 layout: cannot locate the journal");
            if !force {
                return Err(Errno::EINVAL);
            }
        } else {
            match wapbl::Replay::start(fsdev.as_ref(), &sb) {
                Ok(r) if r.is_empty() => {
                    replay = Some((0, format!("journal {} is empty (clean)", r.loc.kind)));
                }
                Ok(r) => {
                    let n = r.nblocks();
                    let what = format!("replaying log to memory: {n} blocks from the journal ({})", r.loc.kind);
                    log(&what);
                    let rdev: Dev = Arc::new(wapbl::ReplayDevice::new(fsdev.clone(), r));
                    // The superblock itself may be in the log: read it again (ffs_mountfs's "sbagain").
                    sb = Superblock::read_at(rdev.as_ref(), sb.sblockloc).inspect_err(|_| {
                        log("superblock invalid after replaying the journal");
                    })?;
                    fsdev = rdev;
                    replay = Some((n, what));
                }
                Err((e, why)) => {
                    log(&format!("WAPBL journal cannot be replayed: {why}"));
                    if !force {
                        log("not mounting: the file system would be read without its journal (use -f to force)");
                        return Err(e);
                    }
                    log("forced: mounting without replaying the journal; recent changes may be missing");
                    replay = Some((0, format!("not replayed (forced): {why}")));
                }
            }
        }
    }
    Ok(Opened { dev: fsdev, sb, chosen, replay })
}

/// Mount entry point (vfsops->vfs_mount): the device named as the spec, read-only or read-write.
pub fn mount(ctx: &MountCtx, opts: &MountOptions) -> KResult<Arc<dyn FileSystem>> {
    let dev = ctx.dev.clone().ok_or(Errno::EINVAL)?;
    let log: LogFn = ctx.log.clone();
    let cache_bytes = match opts.get_size("cache")? {
        Some(n) => n.clamp(1 << 20, 1 << 40) as usize,
        None => cache::DEFAULT_CACHE_BYTES,
    };
    let mut o = open(&dev, opts.get("partition"), opts.force, &*log)?;
    // A read-write mount replays a journal with records to disk first (ffs_mountfs's wapbl_replay_write),
    // frees the inodes it lists as unlinked, and mounts without logging.
    let mut replay_inodes = Vec::new();
    if !opts.readonly && o.sb.flags & FS_DOWAPBL != 0 && o.sb.journal_location == wapbl::JOURNALLOC_IN_FILESYSTEM {
        // Refused before any replay: switching logging off would leave the log's inode and blocks behind,
        // and this driver does not keep an in-file-system log. Nothing is written.
        log("WAPBL journal inside the file system: read-write mounts are not supported (mount read-only)");
        return Err(Errno::EROFS);
    }
    if !opts.readonly && o.replay.as_ref().is_some_and(|(n, _)| *n > 0) {
        if o.chosen.dev.readonly() {
            return Err(Errno::EROFS);
        }
        if let Ok(r) = wapbl::Replay::start(o.chosen.dev.as_ref(), &o.sb) {
            replay_inodes = r.inodes.clone();
        }
        let n = o.replay.as_ref().map_or(0, |r| r.0);
        log(&format!("replaying the journal to disk ({n} blocks) before mounting read-write"));
        wapbl::replay_to_disk(&o.dev, &o.chosen.dev, o.sb.sblockloc)?;
        o = open(&dev, opts.get("partition"), opts.force, &*log)?;
    }
    let sb = &o.sb;
    let unknown = sb.flags & !(FS_KNOWN_FLAGS | FS_INTERNAL);
    if unknown != 0 {
        log(&format!(
            "unknown ufs flags: 0x{:08x}{}",
            sb.flags,
            if opts.force { " (forced)" } else { ", not mounting" }
        ));
        if !opts.force {
            return Err(Errno::EINVAL);
        }
    }
    if sb.size.saturating_mul(sb.fsize as u64) > o.dev.size() {
        log(&format!(
            "file system of {} bytes is larger than its {}-byte device: reads past the end will fail",
            sb.size * sb.fsize as u64,
            o.dev.size()
        ));
    }
    if !sb.is_clean() && opts.readonly {
        log("file system is not clean (read-only mount)");
    }
    let info = info::build(&dev, &o);
    let fs = Ffs {
        dirfmt: DirFormat { order: sb.order, dtype: sb.has_dtype() },
        old_ids: sb.old_inodefmt < superblock::FS_44INODEFMT,
        sb: o.sb.clone(),
        dev: o.dev.clone(),
        cache: BlockCache::new(cache_bytes),
        log: log.clone(),
        mnton: ctx.mnton.clone(),
        inodes: Mutex::new(icache::InodeCache::new(INODE_CACHE_MAX)),
        cgs: Mutex::new(HashMap::new()),
        dirindex: Mutex::new(DirIndexes::default()),
        parents: Mutex::new(HashMap::new()),
        corrupt_lines: AtomicU32::new(0),
        info,
        w: RwLock::new(WState::default()),
        hyper: ctx.hyper.clone(),
        replayed: o.replay.as_ref().is_some_and(|(n, _)| *n > 0),
        atimes: Mutex::new(FxHashMap::default()),
        noatime: opts.get("noatime").is_some(),
    };
    let root = fs.dinode(ROOTINO)?;
    if root.vtype() != Some(VType::Dir) {
        fs.corrupt("root inode 2 is not a directory");
        return Err(Errno::EIO);
    }
    log(&format!(
        "{} {}{}, block size {}, fragment size {}, {} cylinder groups, superblock at {}",
        fs.sb.ufs.name(),
        fs.sb.order.name(),
        if fs.sb.volname.is_empty() {
            String::new()
        } else {
            format!(" \"{}\"", String::from_utf8_lossy(&fs.sb.volname))
        },
        fs.sb.bsize,
        fs.sb.fsize,
        fs.sb.ncg,
        fs.sb.sblockloc
    ));
    if !opts.readonly {
        fs.start_rw(opts.force, fs.replayed)?;
        fs.free_replayed_inodes(&replay_inodes);
    }
    Ok(Arc::new(fs))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Ffs {
    /// A kernel-log line about damage found in the image (the first MAX_CORRUPT_LINES per mount).
    fn corrupt(&self, msg: &str) {
        let n = self.corrupt_lines.fetch_add(1, Ordering::Relaxed);
        if n < MAX_CORRUPT_LINES {
            (self.log)(&format!("corrupt file system: {msg}"));
        } else if n == MAX_CORRUPT_LINES {
            (self.log)("corrupt file system: further messages suppressed");
        }
    }

    /// A metadata block (`len` bytes at fragment address `frag`) through the cache.
    fn meta_block(&self, frag: u64, len: usize) -> KResult<Arc<Vec<u8>>> {
        // A pointer from a damaged image past the file system would wrap when shifted into bytes.
        if frag >= self.sb.size || self.sb.frag_to_bytes(frag).checked_add(len as u64).is_none() {
            self.corrupt(&format!("metadata block {frag} outside the file system (size {})", self.sb.size));
            return Err(Errno::EIO);
        }
        self.cache.read(self.dev.as_ref(), self.sb.frag_to_bytes(frag), len)
    }

    /// Checks cylinder group `c` once; returns how many of its inodes were ever initialised.
    fn cg_inited(&self, c: u32) -> KResult<u32> {
        if let Some(r) = lock(&self.cgs).get(&c) {
            return r.clone().map_err(|_| Errno::EIO);
        }
        let addr = self.sb.cgtod(c);
        let r = if addr.saturating_add(self.sb.frag as u64) > self.sb.size {
            Err(format!("cylinder group {c} block {addr} outside the file system"))
        } else {
            let b = self.meta_block(addr, self.sb.cgsize as usize)?;
            cg::decode(&b, self.sb.order, self.sb.ufs, c, self.sb.ipg).map(|h| h.initediblk)
        };
        if let Err(why) = &r {
            self.corrupt(why);
        }
        lock(&self.cgs).insert(c, r.clone());
        r.map_err(|_| Errno::EIO)
    }

    /// Inode `ino` as on disk (through the inode cache). EIO for a number out of range, a damaged
    /// cylinder group, or an inode with no valid type (unallocated or garbage).
    fn dinode(&self, ino: Ino) -> KResult<Arc<Dinode>> {
        if let Some(d) = lock(&self.inodes).get(ino) {
            return Ok(d);
        }
        if ino < ROOTINO || ino >= self.sb.ninodes() {
            self.corrupt(&format!("inode number {ino} out of range (2..{})", self.sb.ninodes()));
            return Err(Errno::EIO);
        }
        let c = (ino / self.sb.ipg as u64) as u32;
        let inited = self.cg_inited(c)?;
        if ino % self.sb.ipg as u64 >= inited as u64 {
            self.corrupt(&format!("inode {ino} was never initialised (cylinder group {c} has {inited})"));
            return Err(Errno::EIO);
        }
        let (fsba, idx) = self.sb.ino_to_fsba(ino);
        if fsba + self.sb.frag as u64 > self.sb.size {
            self.corrupt(&format!("inode {ino}: inode block {fsba} outside the file system"));
            return Err(Errno::EIO);
        }
        let blk = self.meta_block(fsba, self.sb.bsize as usize)?;
        let isz = self.sb.ufs.dinode_size() as usize;
        let raw = &blk[idx * isz..(idx + 1) * isz];
        let d = Dinode::decode(raw, self.sb.order, self.sb.ufs, self.old_ids);
        if d.vtype().is_none() {
            self.corrupt(&format!("inode {ino}: mode 0{:o} is no file type (unallocated inode?)", d.mode));
            return Err(Errno::EIO);
        }
        if self.size_impossible(&d) {
            // Said once, when the inode is read in: stat still answers, reads are refused.
            self.corrupt(&format!(
                "inode {ino}: size {} is past the file system's largest file ({} bytes)",
                d.size, self.sb.maxfilesize
            ));
        }
        let d = Arc::new(d);
        lock(&self.inodes).insert(ino, d.clone());
        Ok(d)
    }

    /// A size past the largest file the file system holds (fs_maxfilesize, bounded by what the block
    /// pointers reach and by off_t): fsck_ffs's pass 1 calls such an inode bad, and reading it would
    /// mean petabytes of holes.
    fn size_impossible(&self, d: &Dinode) -> bool {
        d.size > self.sb.maxfilesize
    }

    /// Reads file bytes [off, off + buf.len()) clipped to the size: merged runs straight into `buf`,
    /// holes as zeros without touching the device.
    fn read_data(&self, ino: Ino, din: &Dinode, off: u64, buf: &mut [u8]) -> KResult<usize> {
        if off >= din.size {
            return Ok(0);
        }
        let n = (din.size - off).min(buf.len() as u64) as usize;
        let bsize = self.sb.bsize as u64;
        let fs_bytes = self.sb.size.saturating_mul(self.sb.fsize as u64);
        let mut done = 0usize;
        while done < n {
            let pos = off + done as u64;
            let lbn = pos >> self.sb.bshift;
            let boff = pos & (bsize - 1);
            let left = (n - done) as u64;
            let want = (boff + left).div_ceil(bsize);
            let ext = self.bmap(ino, din, lbn, want)?;
            let run = (ext.nblocks * bsize - boff).min(left) as usize;
            let dst = &mut buf[done..done + run];
            if ext.addr == 0 {
                dst.fill(0);
            } else {
                let at = self.sb.frag_to_bytes(ext.addr) + boff;
                if at + run as u64 > fs_bytes {
                    self.corrupt(&format!("inode {ino}: data at byte {at} (+{run}) past the end of the file system"));
                    return Err(Errno::EIO);
                }
                self.dev.read_at(at, dst)?;
            }
            done += run;
        }
        Ok(n)
    }

    /// Walks the entries of directory `dir` from byte `start`, handing each live entry (with the
    /// directory offset just past it) to `f` until it returns false.
    fn walk_dir(
        &self,
        dir: Ino,
        din: &Dinode,
        start: u64,
        f: &mut dyn FnMut(&RawDirent<'_>, u64) -> bool,
    ) -> KResult<()> {
        let size = din.size;
        if !size.is_multiple_of(DIRBLKSIZ as u64) {
            self.corrupt(&format!("directory {dir}: size {size} is not a multiple of {DIRBLKSIZ}"));
            return Err(Errno::EIO);
        }
        // Directories have no holes: one claiming more bytes than it holds, or than the device has,
        // is damaged (and walking it could take forever over blocks named again and again).
        if size > din.blocks.saturating_mul(512) || size > self.dev.size() {
            self.corrupt(&format!(
                "directory {dir}: size {size} but {} bytes allocated (device {})",
                din.blocks.saturating_mul(512),
                self.dev.size()
            ));
            return Err(Errno::EIO);
        }
        let bsize = self.sb.bsize as u64;
        let mut lbn = start / bsize;
        while lbn * bsize < size {
            let bstart = lbn * bsize;
            let len = (size - bstart).min(bsize) as usize;
            let ext = self.bmap(dir, din, lbn, 1)?;
            if ext.addr == 0 {
                self.corrupt(&format!("directory {dir}: hole at byte {bstart}"));
                return Err(Errno::EIO);
            }
            if ext.addr + (len as u64).div_ceil(self.sb.fsize as u64) > self.sb.size {
                self.corrupt(&format!("directory {dir}: block {} past the end of the file system", ext.addr));
                return Err(Errno::EIO);
            }
            let blk = self.meta_block(ext.addr, len)?;
            let from = if start > bstart { ((start - bstart) as usize) & !(DIRBLKSIZ - 1) } else { 0 };
            for e in Entries::new(&blk, from, self.dirfmt, self.sb.ninodes()) {
                let e = match e {
                    Ok(e) => e,
                    Err(bad) => {
                        self.corrupt(&format!(
                            "directory {dir}: bad entry at byte {}: {}",
                            bstart + bad.off as u64,
                            bad.why
                        ));
                        return Err(Errno::EIO);
                    }
                };
                let at = bstart + e.off as u64;
                if e.ino == 0 || at < start || e.dtype == DT_WHT {
                    continue;
                }
                if !f(&e, at + e.reclen as u64) {
                    return Ok(());
                }
            }
            lbn += 1;
        }
        Ok(())
    }

    /// The name index of a directory: the one kept, or (for a large directory) one built now; None
    /// for a small directory without one, or one with more names than all indexes may hold.
    fn dir_index(&self, dir: Ino, din: &Dinode) -> KResult<Option<Arc<DirHash>>> {
        if let Some(ix) = lock(&self.dirindex).map.get(&dir) {
            return Ok(Some(ix.clone()));
        }
        if din.size < DIRINDEX_MIN_BYTES || din.size / 16 > DIRINDEX_MAX_NAMES as u64 {
            return Ok(None);
        }
        let ix = self.build_dirhash(dir, din)?;
        if ix.len() > DIRINDEX_MAX_NAMES {
            return Ok(None);
        }
        let ix = Arc::new(ix);
        let mut g = lock(&self.dirindex);
        if g.names + ix.len() > DIRINDEX_MAX_NAMES {
            g.map.clear();
            g.names = 0;
        }
        g.names += ix.len();
        g.map.insert(dir, ix.clone());
        Ok(Some(ix))
    }

    /// Looks `name` up in `dir` without the tree checks.
    fn lookup_raw(&self, dir: Ino, din: &Dinode, name: &[u8]) -> KResult<Option<u32>> {
        if let Some(ix) = self.dir_index(dir, din)? {
            return Ok(ix.get(name));
        }
        let mut found = None;
        self.walk_dir(dir, din, 0, &mut |e, _| {
            if e.name == name {
                found = Some(e.ino);
                false
            } else {
                true
            }
        })?;
        Ok(found)
    }

    /// Shared hold on the write state for a reading operation.
    fn rlock(&self) -> RwLockReadGuard<'_, WState> {
        self.w.read().unwrap_or_else(|e| e.into_inner())
    }

    fn dir_inode(&self, dir: Ino) -> KResult<Arc<Dinode>> {
        let din = self.dinode(dir)?;
        if din.vtype() != Some(VType::Dir) {
            return Err(Errno::ENOTDIR);
        }
        Ok(din)
    }
}

impl VfsOps for Ffs {
    fn root(&self) -> Ino {
        ROOTINO
    }

    /// ffs_statvfs: counts from fs_cstotal; the fs_minfree reserve is not available to users.
    fn statvfs(&self) -> KResult<StatVfs> {
        let sb = &self.sb;
        let (cs, pending) = self.w_counts().unwrap_or((sb.cstotal, 0));
        let bfree = (cs.nbfree.max(0) as u64)
            .saturating_mul(sb.frag as u64)
            .saturating_add(cs.nffree.max(0) as u64)
            .saturating_add(pending);
        let bresvd = sb.dsize.saturating_mul(sb.minfree as u64) / 100;
        let ffree = cs.nifree.max(0) as u64;
        Ok(StatVfs {
            bsize: sb.bsize as u64,
            frsize: sb.fsize as u64,
            iosize: sb.bsize as u64,
            blocks: sb.dsize,
            bfree,
            bavail: bfree.saturating_sub(bresvd),
            bresvd,
            files: sb.ninodes().saturating_sub(ROOTINO),
            ffree,
            favail: ffree,
            fresvd: 0,
            namemax: dir::MAXNAMLEN as u64,
        })
    }

    fn sync(&self) -> KResult<()> {
        self.w_sync()
    }

    /// ffs_unmount: everything written, the clean flag set again.
    fn unmount(&self, force: bool) -> KResult<()> {
        if let Err(e) = self.stop_rw(true) {
            (self.log)(&format!("unmount: writing the file system failed: {e}"));
            if !force {
                return Err(e);
            }
        }
        self.cache.invalidate();
        lock(&self.inodes).clear();
        lock(&self.dirindex).map.clear();
        lock(&self.parents).clear();
        Ok(())
    }

    /// mount -u: to read-only (everything written, clean again) or back to read-write.
    fn update(&self, readonly: bool) -> KResult<()> {
        if readonly {
            self.stop_rw(false)
        } else {
            self.start_rw(false, self.replayed)
        }
    }

    fn info(&self) -> Vec<(String, String)> {
        let mut v = self.info.pairs();
        let s = self.cache.stats();
        v.push((
            "cache".into(),
            format!("{} of {} bytes in {} buffers, {} dirty", s.bytes, s.limit, s.buffers, s.dirty_bytes),
        ));
        let rw = self.w.read().unwrap_or_else(|e| e.into_inner());
        v.push((
            "mounted".into(),
            if rw.active {
                format!(
                    "read-write ({} cylinder groups changed since the last sync, {} fragments waiting to be freed)",
                    rw.cgs.values().filter(|c| c.dirty).count(),
                    rw.pending_frags(self.sb.fshift)
                )
            } else {
                "read-only".into()
            },
        ));
        v
    }
}

impl VnodeOps for Ffs {
    /// ufs_lookup. A directory found under a name other than `.` and `..` must name `dir` as its `..`,
    /// and a `..` must name the directory its directory was found in (the root's is the root): every
    /// directory reached from the root then has one parent, so a damaged image cannot make the tree a
    /// loop (or show one directory in two places).
    fn lookup(&self, dir: Ino, name: &[u8]) -> KResult<Ino> {
        let _g = self.rlock();
        let din = self.dir_inode(dir)?;
        if name.is_empty() || name.len() > dir::MAXNAMLEN {
            return Err(Errno::ENOENT);
        }
        let Some(ino) = self.lookup_raw(dir, &din, name)? else {
            return Err(Errno::ENOENT);
        };
        let ino = ino as Ino;
        let child = self.dinode(ino).inspect_err(|_| {
            self.corrupt(&format!(
                "directory {dir}: entry {:?} names inode {ino}, which is not a valid inode",
                String::from_utf8_lossy(name)
            ))
        })?;
        if name == b"." || name == b".." {
            let expected = if name == b"." {
                Some(dir)
            } else if dir == ROOTINO {
                Some(ROOTINO)
            } else {
                lock(&self.parents).get(&dir).copied()
            };
            if child.vtype() != Some(VType::Dir) || expected.is_some_and(|e| e != ino) {
                self.corrupt(&format!(
                    "directory {dir}: {:?} entry names inode {ino}{}",
                    String::from_utf8_lossy(name),
                    expected.map_or(String::new(), |e| format!(", not {e}"))
                ));
                return Err(Errno::EIO);
            }
            return Ok(ino);
        }
        if child.vtype() == Some(VType::Dir) {
            let parent = self.lookup_raw(ino, &child, b"..")?;
            if parent != Some(dir as u32) {
                self.corrupt(&format!(
                    "directory {ino} is named {:?} in directory {dir} but its '..' is {}: directory loop or \
                     hard-linked directory",
                    String::from_utf8_lossy(name),
                    parent.map_or("missing".to_string(), |p| p.to_string())
                ));
                return Err(Errno::EIO);
            }
            let mut g = lock(&self.parents);
            if g.len() >= PARENTS_MAX {
                g.clear();
            }
            g.insert(ino, dir);
        }
        Ok(ino)
    }

    fn getattr(&self, ino: Ino) -> KResult<Vattr> {
        let g = self.rlock();
        let d = self.dinode(ino)?;
        let vtype = d.vtype().ok_or(Errno::EIO)?;
        // Access times wait for the next sync only on a read-write mount that keeps them (`accessed`).
        let pending = if g.active && !self.noatime { lock(&self.atimes).get(&ino).copied() } else { None };
        let atime = match pending {
            Some((gen, t)) if gen == d.gen => t,
            _ => d.atime,
        };
        Ok(Vattr {
            vtype,
            mode: d.mode as u32 & ALLPERMS,
            nlink: d.nlink as u64,
            uid: d.uid,
            gid: d.gid,
            ino,
            size: d.size,
            bytes: d.blocks.saturating_mul(512),
            blksize: match vtype {
                VType::Blk => 2048,
                VType::Chr => superblock::MAXBSIZE,
                _ => self.sb.bsize,
            },
            atime,
            mtime: d.mtime,
            ctime: d.ctime,
            birthtime: d.birthtime,
            rdev: if matches!(vtype, VType::Blk | VType::Chr) { d.rdev(self.sb.ufs) } else { 0 },
            flags: d.flags,
            gen: d.gen,
        })
    }

    fn setattr(&self, ino: Ino, attr: &SetAttr) -> KResult<()> {
        self.w_setattr(ino, attr)
    }

    fn read(&self, ino: Ino, off: u64, buf: &mut [u8]) -> KResult<usize> {
        let g = self.rlock();
        let d = self.dinode(ino)?;
        match d.vtype() {
            Some(VType::Reg) => {
                // ffs_read: no offset past the largest file; then an impossible size is damage.
                if off > self.sb.maxfilesize {
                    return Err(Errno::EFBIG);
                }
                if self.size_impossible(&d) {
                    return Err(Errno::EIO);
                }
                let n = self.read_data(ino, &d, off, buf)?;
                if !buf.is_empty() {
                    self.accessed(&g, ino, &d);
                }
                Ok(n)
            }
            Some(VType::Dir) => Err(Errno::EISDIR),
            Some(VType::Lnk) => Err(Errno::EINVAL),
            _ => Err(Errno::EOPNOTSUPP),
        }
    }

    fn write(&self, ino: Ino, off: u64, buf: &[u8], append: bool) -> KResult<(usize, u64)> {
        self.w_write(ino, off, buf, append)
    }

    /// Cookies are byte offsets in the directory: an entry's cookie is where the next one starts.
    fn readdir(&self, dir: Ino, cookie: u64, sink: &mut dyn FnMut(&DirEntry<'_>) -> bool) -> KResult<()> {
        let g = self.rlock();
        let din = self.dir_inode(dir)?;
        self.walk_dir(dir, &din, cookie, &mut |e, next| {
            sink(&DirEntry { ino: e.ino as Ino, name: e.name, dtype: e.dtype, next })
        })?;
        self.accessed(&g, dir, &din);
        Ok(())
    }

    /// ufs_readlink: targets shorter than fs_maxsymlinklen live in the inode (the strict `<` is NetBSD's);
    /// on file systems without fs_maxsymlinklen, a link with no blocks is inline too.
    fn readlink(&self, ino: Ino) -> KResult<Vec<u8>> {
        let g = self.rlock();
        let d = self.dinode(ino)?;
        if d.vtype() != Some(VType::Lnk) {
            return Err(Errno::EINVAL);
        }
        self.accessed(&g, ino, &d);
        let max = self.sb.maxsymlinklen as i64;
        let inline = (d.size as i64) >= 0 && ((d.size as i64) < max || (max <= 0 && d.blocks == 0));
        if inline {
            let cap = inode::shortlink_capacity(self.sb.ufs);
            if d.size as usize > cap {
                self.corrupt(&format!("inode {ino}: inline symlink of {} bytes (room for {cap})", d.size));
                return Err(Errno::EIO);
            }
            return Ok(d.shortlink[..d.size as usize].to_vec());
        }
        if d.size > MAX_SLOW_SYMLINK {
            self.corrupt(&format!("inode {ino}: symlink of {} bytes", d.size));
            return Err(Errno::EIO);
        }
        let mut v = vec![0u8; d.size as usize];
        let n = self.read_data(ino, &d, 0, &mut v)?;
        v.truncate(n);
        Ok(v)
    }

    fn create(&self, dir: Ino, name: &[u8], attr: &NewNode) -> KResult<Ino> {
        self.w_create(dir, name, attr)
    }

    fn mknod(&self, dir: Ino, name: &[u8], attr: &NewNode) -> KResult<Ino> {
        self.w_mknod(dir, name, attr)
    }

    fn mkdir(&self, dir: Ino, name: &[u8], attr: &NewNode) -> KResult<Ino> {
        self.w_mkdir(dir, name, attr)
    }

    fn symlink(&self, dir: Ino, name: &[u8], attr: &NewNode, target: &[u8]) -> KResult<Ino> {
        self.w_symlink(dir, name, attr, target)
    }

    fn remove(&self, dir: Ino, name: &[u8]) -> KResult<()> {
        self.w_remove(dir, name)
    }

    fn rmdir(&self, dir: Ino, name: &[u8]) -> KResult<()> {
        self.w_rmdir(dir, name)
    }

    fn link(&self, ino: Ino, dir: Ino, name: &[u8]) -> KResult<()> {
        self.w_link(ino, dir, name)
    }

    fn rename(&self, fdir: Ino, fname: &[u8], tdir: Ino, tname: &[u8]) -> KResult<()> {
        self.w_rename(fdir, fname, tdir, tname)
    }

    /// ffs_fsync: the file's data is on the device already; its inode, indirect blocks and the
    /// directory entries naming it are written with everything else (the whole file system is synced).
    fn fsync(&self, ino: Ino) -> KResult<()> {
        self.getattr(ino)?;
        self.w_sync()
    }

    fn inactive(&self, ino: Ino) {
        self.w_inactive(ino)
    }
}

impl Ffs {
    /// Metadata cache counters (for tests and `info`).
    pub fn cache_stats(&self) -> cache::CacheStats {
        self.cache.stats()
    }

    /// The superblock in use.
    pub fn superblock(&self) -> &Superblock {
        &self.sb
    }

    /// The file system's byte order and type.
    pub fn kind(&self) -> (Ufs, endian::ByteOrder) {
        (self.sb.ufs, self.sb.order)
    }
}
