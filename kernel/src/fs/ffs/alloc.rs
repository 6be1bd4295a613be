//! Allocation by cylinder group, as NetBSD's ffs_alloc.c places things: new directories spread over
//! the groups (ffs_dirpref), inodes near their directory (ffs_valloc), blocks near their inode and
//! after the previous block of the file (ffs_blkpref), fragments from the group's free-run summary
//! (cg_frsum) before whole blocks are split (ffs_alloccg), a fragment grown in place when its
//! neighbours are free (ffs_fragextend), and the quadratic rehash over groups when one is full
//! (ffs_hashalloc). Every change keeps the group's bitmaps, cg_cs, cg_frsum and cluster summary, the
//! per-group summary array (fs_csp) and fs_cstotal in step.
//!
//! The write state lives in `WState` behind the mount's lock; cylinder group blocks are held here
//! (not in the buffer cache) and written by `sync` after the inodes.

use super::cg::{self, Cg, CgMut, Cs, Rotor};
use super::superblock::{CsTotal, Superblock, Ufs};
use super::Ffs;
use crate::errno::{Errno, KResult};
use crate::vfs::types::{Ino, Timespec};
use std::collections::BTreeMap;

/// One group's summary (struct csum), as fs_csp holds it: the same four counts as the totals.
pub type Csum = CsTotal;

/// A cylinder group block held for changing.
pub(crate) struct CgBuf {
    pub data: Vec<u8>,
    pub dirty: bool,
}

/// An allocator tried on one group after another by `hashalloc`.
type GroupAlloc<'a> = dyn FnMut(&Ffs, &mut WState, u32, u64) -> KResult<Option<u64>> + 'a;

/// FS_OPTTIME / FS_OPTSPACE.
pub const FS_OPTTIME: i32 = 0;
pub const FS_OPTSPACE: i32 = 1;

/// The mutable state of a read-write mount (the in-core parts of `struct fs` that change, and the
/// cylinder groups being changed).
#[derive(Default)]
pub(crate) struct WState {
    /// Mounted read-write now.
    pub active: bool,
    pub cstotal: CsTotal,
    pub csp: Vec<Csum>,
    pub cgs: BTreeMap<u32, CgBuf>,
    /// fs_contigdirs: directories made one after another in each group.
    pub contigdirs: Vec<u8>,
    pub optim: i32,
    /// fs_clean as it will be written.
    pub clean: u8,
    /// The file system was clean when mounted read-write (so unmount may mark it clean again).
    pub was_clean: bool,
    pub flags: u32,
    /// Superblock or summaries changed since the last write (fs_fmod).
    pub fmod: bool,
    /// Extents freed but not yet returned to the bitmaps: (fragment address, bytes). They go back at
    /// the next sync, after the inodes that no longer name them are on disk, so a block never holds
    /// new data while the image on disk still gives it to its old file.
    pub pending: Vec<(u64, u32)>,
    /// `pending[..safe]` came from finished operations (a sync in the middle of one may release those).
    pub safe: usize,
    /// The time of the operation under way.
    pub now: Timespec,
    /// The superblock bytes as they will be written.
    pub sb_raw: Vec<u8>,
    /// Inodes whose last name went while something still held them (freed by `inactive`, or at
    /// unmount if their last reference never came back, as after a forced unmount).
    pub orphans: std::collections::BTreeSet<Ino>,
}

impl WState {
    /// Fragments waiting in `pending`.
    pub fn pending_frags(&self, fshift: u32) -> u64 {
        self.pending.iter().map(|&(_, b)| (b >> fshift) as u64).sum()
    }
}

#[derive(Copy, Clone, Default, PartialEq, Eq)]
struct Delta {
    ndir: i64,
    nbfree: i64,
    nifree: i64,
    nffree: i64,
}

/// Geometry helpers (fs.h's macros).
impl Superblock {
    pub fn dtog(&self, d: u64) -> u32 {
        (d / self.fpg as u64) as u32
    }
    pub fn dtogd(&self, d: u64) -> u64 {
        d % self.fpg as u64
    }
    pub fn fragnum(&self, f: u64) -> u64 {
        f & (self.frag as u64 - 1)
    }
    pub fn blknum(&self, f: u64) -> u64 {
        f & !(self.frag as u64 - 1)
    }
    pub fn numfrags(&self, bytes: u64) -> u64 {
        bytes >> self.fshift
    }
    pub fn fragroundup(&self, bytes: u64) -> u64 {
        bytes.div_ceil(self.fsize as u64) * self.fsize as u64
    }
    pub fn blkoff(&self, pos: u64) -> u64 {
        pos & (self.bsize as u64 - 1)
    }
    pub fn lblkno(&self, pos: u64) -> u64 {
        pos >> self.bshift
    }
    /// ffs_sblksize: bytes of logical block `lbn` in a file of `size` bytes.
    pub fn sblksize(&self, size: u64, lbn: u64) -> u64 {
        if lbn >= super::superblock::NDADDR as u64 || size >= (lbn + 1) << self.bshift {
            self.bsize as u64
        } else {
            self.fragroundup(self.blkoff(size))
        }
    }
    pub fn ino_to_cg(&self, ino: u64) -> u32 {
        (ino / self.ipg as u64) as u32
    }
    /// freespace(fs, percentreserved) for the given totals.
    pub fn freespace(&self, cs: &CsTotal, reserve: u32) -> i64 {
        (cs.nbfree << self.fragshift) + cs.nffree - (self.dsize as i64 * reserve as i64 / 100)
    }
}

/// fragtbl (ffs_tables.c): for each byte of the free map and each block size in fragments (1, 2, 4, 8;
/// index log2), bit n-1 is set when one of the blocks in that byte has a maximal run of exactly n free
/// fragments. mapsearch passes over every byte without the run it wants at the cost of one lookup.
static FRAGTBL: [[u8; 256]; 4] = build_fragtbl();

const fn build_fragtbl() -> [[u8; 256]; 4] {
    let mut t = [[0u8; 256]; 4];
    let mut k = 0;
    while k < 4 {
        let frag = 1u32 << k;
        let mut v = 0u32;
        while v < 256 {
            let mut bits = 0u8;
            let mut blk = 0;
            while blk < 8 / frag {
                let m = (v >> (blk * frag)) & ((1 << frag) - 1);
                let mut n = 1;
                while n <= frag {
                    if exact_run(m, frag, n).is_some() {
                        bits |= 1 << (n - 1);
                    }
                    n += 1;
                }
                blk += 1;
            }
            t[k][v as usize] = bits;
            v += 1;
        }
        k += 1;
    }
    t
}

/// The next maximal run of free fragments (set bits) in the pattern `m` of a block (`frag` bits) at
/// or after `pos`: (start, length).
const fn next_run(m: u32, frag: u32, mut pos: u32) -> Option<(u32, u32)> {
    while pos < frag && m & (1 << pos) == 0 {
        pos += 1;
    }
    if pos >= frag {
        return None;
    }
    let start = pos;
    while pos < frag && m & (1 << pos) != 0 {
        pos += 1;
    }
    Some((start, pos - start))
}

/// Whether the free-fragment pattern `m` of a block (`frag` bits) has a run of exactly `n` free
/// fragments; returns where it starts (the around/inside tables of ffs_tables.c, as a loop).
const fn exact_run(m: u32, frag: u32, n: u32) -> Option<u32> {
    let mut pos = 0;
    while let Some((start, len)) = next_run(m, frag, pos) {
        if len == n {
            return Some(start);
        }
        pos = start + len;
    }
    None
}

/// ffs_fragacct: adds `cnt` to frsum[len] for every maximal run of free fragments shorter than a
/// block in the pattern `m`.
fn fragacct(cg: &mut CgMut<'_>, m: u32, frag: u32, cnt: i64) {
    let mut pos = 0;
    while let Some((start, len)) = next_run(m, frag, pos) {
        if len < frag {
            cg.add_frsum(len, cnt);
        }
        pos = start + len;
    }
}

impl Ffs {
    fn ufs2_layout(&self) -> bool {
        self.sb.has_new_layout()
    }

    /// Reads cylinder group `c` into the write state (once).
    pub(crate) fn load_cg(&self, st: &mut WState, c: u32) -> KResult<()> {
        if st.cgs.contains_key(&c) {
            return Ok(());
        }
        let addr = self.sb.cgtod(c);
        if addr + self.sb.frag as u64 > self.sb.size {
            self.corrupt(&format!("cylinder group {c} block {addr} outside the file system"));
            return Err(Errno::EIO);
        }
        let b = self.meta_block(addr, self.sb.cgsize as usize)?;
        if let Err(why) = cg::decode(&b, self.sb.order, self.sb.ufs, c, self.sb.ipg) {
            self.corrupt(&why);
            return Err(Errno::EIO);
        }
        let h = cg::decode(&b, self.sb.order, self.sb.ufs, c, self.sb.ipg).map_err(|_| Errno::EIO)?;
        if h.old_format {
            self.corrupt(&format!("cylinder group {c} is in the pre-4.4BSD format: not writable"));
            return Err(Errno::EROFS);
        }
        let g = Cg { b: &b[..], o: self.sb.order };
        let freeoff = g.freeoff() as u64;
        let iusedoff = g.iusedoff() as u64;
        let len = b.len() as u64;
        if iusedoff + (self.sb.ipg as u64).div_ceil(8) > len || freeoff + (self.sb.fpg as u64).div_ceil(8) > len {
            self.corrupt(&format!("cylinder group {c}: maps outside the group block"));
            return Err(Errno::EIO);
        }
        if self.sb.contigsumsize > 0 {
            let sumoff = g.clustersumoff() as u64;
            let cloff = g.clusteroff() as u64;
            if sumoff + 4 * (self.sb.contigsumsize as u64 + 1) > len
                || cloff + ((self.sb.fpg >> self.sb.fragshift) as u64).div_ceil(8) > len
            {
                self.corrupt(&format!("cylinder group {c}: cluster maps outside the group block"));
                return Err(Errno::EIO);
            }
        }
        st.cgs.insert(c, CgBuf { data: b.to_vec(), dirty: false });
        Ok(())
    }

    /// Runs `f` on group `c` (loaded), then applies the counts it changed to the group's cg_cs,
    /// fs_csp and fs_cstotal.
    fn with_cg<R>(
        &self,
        st: &mut WState,
        c: u32,
        f: impl FnOnce(&Ffs, &mut CgMut<'_>, &mut Delta) -> KResult<Option<R>>,
    ) -> KResult<Option<R>> {
        self.load_cg(st, c)?;
        let now = st.now.sec;
        let newl = self.ufs2_layout();
        let cgb = st.cgs.get_mut(&c).ok_or(Errno::EIO)?;
        let mut cg = Cg { b: &mut cgb.data[..], o: self.sb.order };
        let mut d = Delta::default();
        let r = f(self, &mut cg, &mut d)?;
        if r.is_some() || d != Delta::default() {
            cg.add_cs(Cs::Ndir, d.ndir);
            cg.add_cs(Cs::Nbfree, d.nbfree);
            cg.add_cs(Cs::Nifree, d.nifree);
            cg.add_cs(Cs::Nffree, d.nffree);
            cg.set_time(now, newl);
            cgb.dirty = true;
            let cs = &mut st.csp[c as usize];
            cs.ndir += d.ndir;
            cs.nbfree += d.nbfree;
            cs.nifree += d.nifree;
            cs.nffree += d.nffree;
            st.cstotal.ndir += d.ndir;
            st.cstotal.nbfree += d.nbfree;
            st.cstotal.nifree += d.nifree;
            st.cstotal.nffree += d.nffree;
            st.fmod = true;
        }
        Ok(r)
    }

    // ------------------------------------------------------------------------ bitmaps

    fn isblock(&self, cg: &CgMut<'_>, blkno: u64) -> bool {
        let f = self.sb.frag as u64;
        (0..f).all(|i| cg.frag_free(blkno * f + i))
    }

    fn setblock(&self, cg: &mut CgMut<'_>, blkno: u64, free: bool) {
        let f = self.sb.frag as u64;
        for i in 0..f {
            cg.set_frag_free(blkno * f + i, free);
        }
    }

    /// ffs_clusteracct: block `blkno` of the group became free (cnt 1) or used (cnt -1).
    fn clusteracct(&self, cg: &mut CgMut<'_>, blkno: u64, cnt: i64) {
        cg.cluster_account(self.sb.contigsumsize, blkno, cnt)
    }

    /// ffs_mapsearch: a run of exactly `allocsiz` free fragments in the group, searching from `start`
    /// (a group-relative fragment; 0 means the fragment rotor) and wrapping. Returns the group-relative
    /// fragment.
    fn mapsearch(&self, cg: &mut CgMut<'_>, start: u64, allocsiz: u32) -> Option<u64> {
        let frag = self.sb.frag;
        let fpg = self.sb.fpg as u64;
        let start = if start != 0 { start } else { cg.rotor(Rotor::Frag) as u64 };
        let nbytes = fpg.div_ceil(8);
        let sbyte = (start / 8).min(nbytes.saturating_sub(1));
        let tbl = &FRAGTBL[frag.trailing_zeros().min(3) as usize];
        let want = 1u8 << (allocsiz.clamp(1, 8) - 1);
        let whole8 = frag == 8 && allocsiz == 8;
        let scan = |cg: &CgMut<'_>, from: u64, to: u64| -> Option<(u64, u64)> {
            let map = cg.free_map(to);
            let end = to.min(map.len() as u64);
            let mut byte = from;
            while byte < end {
                // Eight bytes at once when none can hold the run: none has a free fragment, or (a whole
                // 8-fragment block wanted) none is all free (0xff).
                let i = byte as usize;
                if let Some(w) = map.get(i..i + 8) {
                    let w = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
                    let has_zero_byte =
                        |x: u64| x.wrapping_sub(0x0101_0101_0101_0101) & !x & 0x8080_8080_8080_8080 != 0;
                    if w == 0 || (whole8 && !has_zero_byte(!w)) {
                        byte += 8;
                        continue;
                    }
                }
                // As ffs_mapsearch's scanc over fragtbl: a byte without the run is passed over whole.
                let v = map[i];
                byte += 1;
                if tbl[v as usize] & want == 0 {
                    continue;
                }
                let byte = byte - 1;
                let base = byte * 8;
                let mut b = base;
                while b < base + 8 && b < fpg {
                    let m = (v as u32 >> (b - base)) & ((1u32 << frag) - 1);
                    if let Some(p) = exact_run(m, frag, allocsiz) {
                        return Some((byte, b + p as u64));
                    }
                    b += frag as u64;
                }
            }
            None
        };
        let found = scan(cg, sbyte, nbytes).or_else(|| scan(cg, 0, sbyte + 1));
        match found {
            Some((byte, f)) => {
                cg.set_rotor(Rotor::Frag, (byte * 8) as u32);
                Some(f)
            }
            None => None,
        }
    }

    /// ffs_alloccgblk: a whole block in the group, `bpref` if free, else the next from the rotor.
    fn alloccgblk(&self, cg: &mut CgMut<'_>, c: u32, bpref: u64, d: &mut Delta) -> Option<u64> {
        let sb = &self.sb;
        let frag = sb.frag as u64;
        let bno;
        if bpref != 0 && sb.dtog(bpref) == c {
            let want = sb.dtogd(sb.blknum(bpref));
            if self.isblock(cg, want / frag) {
                bno = want;
            } else {
                bno = self.mapsearch(cg, want, sb.frag)?;
                cg.set_rotor(Rotor::Block, bno as u32);
            }
        } else {
            let rotor = cg.rotor(Rotor::Block) as u64;
            bno = self.mapsearch(cg, rotor, sb.frag)?;
            cg.set_rotor(Rotor::Block, bno as u32);
        }
        let blkno = bno / frag;
        self.setblock(cg, blkno, false);
        self.clusteracct(cg, blkno, -1);
        d.nbfree -= 1;
        Some(c as u64 * sb.fpg as u64 + bno)
    }

    /// ffs_alloccg: `size` bytes (fragments or a block) in group `c`.
    fn alloccg(&self, st: &mut WState, c: u32, bpref: u64, size: u32) -> KResult<Option<u64>> {
        let bsize = self.sb.bsize;
        if st.csp[c as usize].nbfree == 0 && size == bsize {
            return Ok(None);
        }
        self.with_cg(st, c, |fs, cg, d| {
            let sb = &fs.sb;
            if cg.cs(Cs::Nbfree) <= 0 && size == bsize {
                return Ok(None);
            }
            if size == bsize {
                return Ok(fs.alloccgblk(cg, c, bpref, d));
            }
            let frag = sb.frag;
            let frags = size >> sb.fshift;
            let allocsiz = (frags..frag).find(|&i| cg.frsum(i) > 0).unwrap_or(frag);
            if allocsiz == frag {
                if cg.cs(Cs::Nbfree) <= 0 {
                    return Ok(None);
                }
                let Some(blkno) = fs.alloccgblk(cg, c, bpref, d) else {
                    return Ok(None);
                };
                let bno = sb.dtogd(blkno);
                for i in frags..frag {
                    cg.set_frag_free(bno + i as u64, true);
                }
                let i = frag - frags;
                d.nffree += i as i64;
                cg.add_frsum(i, 1);
                return Ok(Some(blkno));
            }
            let start = if bpref != 0 { sb.dtogd(bpref) } else { 0 };
            let Some(bno) = fs.mapsearch(cg, start, allocsiz) else {
                fs.corrupt(&format!("cylinder group {c}: fragment summary and free map disagree"));
                return Ok(None);
            };
            for i in 0..frags {
                cg.set_frag_free(bno + i as u64, false);
            }
            d.nffree -= frags as i64;
            cg.add_frsum(allocsiz, -1);
            if frags != allocsiz {
                cg.add_frsum(allocsiz - frags, 1);
            }
            Ok(Some(c as u64 * sb.fpg as u64 + bno))
        })
    }

    /// ffs_fragextend: grows the fragment run at `bprev` from `osize` to `nsize` bytes in place.
    fn fragextend(&self, st: &mut WState, bprev: u64, osize: u32, nsize: u32) -> KResult<bool> {
        let sb = &self.sb;
        let c = sb.dtog(bprev);
        let ofr = (osize >> sb.fshift) as u64;
        let frags = (nsize >> sb.fshift) as u64;
        if st.csp[c as usize].nffree < (frags - ofr) as i64 {
            return Ok(false);
        }
        let bbase = sb.fragnum(bprev);
        if bbase > sb.fragnum(bprev + frags - 1) {
            return Ok(false);
        }
        let frag = sb.frag as u64;
        let r = self.with_cg(st, c, |fs, cg, d| {
            let bno = fs.sb.dtogd(bprev);
            if (ofr..frags).any(|i| !cg.frag_free(bno + i)) {
                return Ok(None);
            }
            let mut i = frags;
            while i < frag - bbase && cg.frag_free(bno + i) {
                i += 1;
            }
            cg.add_frsum((i - ofr) as u32, -1);
            if i != frags {
                cg.add_frsum((i - frags) as u32, 1);
            }
            for i in ofr..frags {
                cg.set_frag_free(bno + i, false);
                d.nffree -= 1;
            }
            Ok(Some(()))
        })?;
        Ok(r.is_some())
    }

    /// ffs_hashalloc: the preferred group, then a quadratic rehash, then every group in turn.
    fn hashalloc(&self, st: &mut WState, icg: u32, pref: u64, f: &mut GroupAlloc<'_>) -> KResult<Option<u64>> {
        let ncg = self.sb.ncg;
        if let Some(r) = f(self, st, icg, pref)? {
            return Ok(Some(r));
        }
        let mut c = icg;
        let mut i = 1u32;
        while i < ncg {
            c += i;
            if c >= ncg {
                c -= ncg;
            }
            if let Some(r) = f(self, st, c, 0)? {
                return Ok(Some(r));
            }
            i *= 2;
        }
        c = (icg + 2) % ncg;
        for _ in 2..ncg {
            if let Some(r) = f(self, st, c, 0)? {
                return Ok(Some(r));
            }
            c += 1;
            if c == ncg {
                c = 0;
            }
        }
        Ok(None)
    }

    /// Whether the minfree reserve forbids allocating: freespace(fs, fs_minfree) <= 0 and the caller
    /// may not use the reserved space (kauth's KAUTH_SYSTEM_FS_RESERVEDSPACE: root may, as in
    /// ffs_alloc and ffs_realloccg).
    fn over_reserve(&self, st: &WState) -> bool {
        self.sb.freespace(&st.cstotal, self.sb.minfree) <= 0 && !crate::vfs::may_use_reserved_space()
    }

    fn nospace(&self, what: &str) -> Errno {
        (self.log)(&format!("{what}: file system full"));
        Errno::ENOSPC
    }

    /// ffs_alloc: `size` bytes for inode `ino` near `bpref` (a fragment address, 0 for none). On a
    /// full file system, extents freed since the last sync are released first and the search runs
    /// again.
    pub(crate) fn alloc_blk(&self, st: &mut WState, ino: Ino, bpref: u64, size: u32) -> KResult<u64> {
        for attempt in 0..2 {
            let full = (size == self.sb.bsize && st.cstotal.nbfree <= 0) || self.over_reserve(st);
            if !full {
                let bpref = if bpref >= self.sb.size { 0 } else { bpref };
                let c = if bpref == 0 { self.sb.ino_to_cg(ino) } else { self.sb.dtog(bpref) };
                let r = self.hashalloc(st, c, bpref, &mut |fs, st, c, p| fs.alloccg(st, c, p, size))?;
                if let Some(b) = r {
                    return Ok(b);
                }
            }
            if attempt == 0 && !self.release_pending(st)? {
                break;
            }
        }
        Err(self.nospace("write failed"))
    }

    /// ffs_realloccg: grows the fragment run `bprev` of `osize` bytes to `nsize`, in place if it can,
    /// else somewhere new (a whole block when optimising for time, with the tail given back). Returns
    /// the new address; the caller moves the contents and frees the old run if it moved.
    pub(crate) fn realloc_frags(
        &self,
        st: &mut WState,
        _ino: Ino,
        bprev: u64,
        bpref: u64,
        osize: u32,
        nsize: u32,
    ) -> KResult<u64> {
        // The run comes from an inode on disk: its group must exist before its summary is looked at.
        if bprev >= self.sb.size {
            self.corrupt(&format!("fragment run at {bprev} outside the file system (size {})", self.sb.size));
            return Err(Errno::EIO);
        }
        for attempt in 0..2 {
            if !self.over_reserve(st) {
                if self.fragextend(st, bprev, osize, nsize)? {
                    return Ok(bprev);
                }
                let bpref = if bpref >= self.sb.size { 0 } else { bpref };
                let dsize = self.sb.dsize as i64;
                let minfree = self.sb.minfree as i64;
                let request = match st.optim {
                    FS_OPTSPACE => {
                        if !(minfree < 5 || st.cstotal.nffree > dsize * minfree / 200) {
                            st.optim = FS_OPTTIME;
                            st.fmod = true;
                        }
                        nsize
                    }
                    _ => {
                        if st.cstotal.nffree >= dsize * (minfree - 2) / 100 {
                            st.optim = FS_OPTSPACE;
                            st.fmod = true;
                        }
                        self.sb.bsize
                    }
                };
                let c = self.sb.dtog(bprev);
                let r = self.hashalloc(st, c, bpref, &mut |fs, st, c, p| fs.alloccg(st, c, p, request))?;
                if let Some(bno) = r {
                    if nsize < request {
                        // Never named by any inode: back to the map at once.
                        let tail = bno + self.sb.numfrags(nsize as u64);
                        self.blkfree_now(st, tail, request - nsize)?;
                    }
                    return Ok(bno);
                }
            }
            if attempt == 0 && !self.release_pending(st)? {
                break;
            }
        }
        Err(self.nospace("write failed"))
    }

    /// ffs_blkfree: returns `size` bytes at fragment `bno` to the maps now.
    pub(crate) fn blkfree_now(&self, st: &mut WState, bno: u64, size: u32) -> KResult<()> {
        let sb = &self.sb;
        let frag = sb.frag as u64;
        if bno >= sb.size || size > sb.bsize || sb.fragnum(bno) + sb.numfrags(size as u64) > frag {
            self.corrupt(&format!("freeing bad block {bno} ({size} bytes)"));
            return Ok(());
        }
        let c = sb.dtog(bno);
        self.with_cg(st, c, |fs, cg, d| {
            let sb = &fs.sb;
            let cgbno = sb.dtogd(bno);
            if size == sb.bsize {
                let blk = cgbno / frag;
                if !(0..frag).all(|i| !cg.frag_free(cgbno + i)) {
                    fs.corrupt(&format!("freeing free block {bno}"));
                    return Ok(None);
                }
                fs.setblock(cg, blk, true);
                fs.clusteracct(cg, blk, 1);
                d.nbfree += 1;
                return Ok(Some(()));
            }
            let bbase = cgbno - sb.fragnum(cgbno);
            let m = cg.blkmap(bbase, sb.frag);
            fragacct(cg, m, sb.frag, -1);
            let frags = sb.numfrags(size as u64);
            for i in 0..frags {
                if cg.frag_free(cgbno + i) {
                    fs.corrupt(&format!("freeing free fragment {}", bno + i));
                    continue;
                }
                cg.set_frag_free(cgbno + i, true);
                d.nffree += 1;
            }
            let m = cg.blkmap(bbase, sb.frag);
            fragacct(cg, m, sb.frag, 1);
            if fs.isblock(cg, bbase / frag) {
                d.nffree -= frag as i64;
                fs.clusteracct(cg, bbase / frag, 1);
                d.nbfree += 1;
            }
            Ok(Some(()))
        })?;
        Ok(())
    }

    /// Frees an extent of a file: its cached copy goes now, the space at the next sync.
    pub(crate) fn blkfree(&self, st: &mut WState, bno: u64, size: u32) {
        if bno == 0 || size == 0 {
            return;
        }
        self.cache.discard(self.sb.frag_to_bytes(bno), size as usize);
        st.pending.push((bno, size));
    }

    /// Returns the extents freed by finished operations to the maps, after writing the metadata that
    /// stopped naming them. False if there was nothing to release.
    pub(crate) fn release_pending(&self, st: &mut WState) -> KResult<bool> {
        if st.safe == 0 {
            return Ok(false);
        }
        self.cache.flush(self.dev.as_ref())?;
        let rel: Vec<(u64, u32)> = st.pending.drain(..st.safe).collect();
        st.safe = 0;
        for (b, s) in rel {
            self.blkfree_now(st, b, s)?;
        }
        Ok(true)
    }

    // ------------------------------------------------------------------------ preferences

    /// ffs_blkpref: where logical block `lbn` should go. `indx` is its index in the pointer array it
    /// lives in (the inode's direct blocks or an indirect block), `prev` the pointer before it (0 if
    /// none or a hole).
    pub(crate) fn blkpref(&self, st: &WState, ino: Ino, lbn: u64, indx: u64, prev: u64) -> u64 {
        let sb = &self.sb;
        let maxbpg = sb.maxbpg.max(1) as u64;
        if indx.is_multiple_of(maxbpg) || prev == 0 {
            if lbn < super::superblock::NDADDR as u64 + sb.nindir as u64 {
                let c = sb.ino_to_cg(ino) as u64;
                return sb.fpg as u64 * c + sb.frag as u64;
            }
            let startcg = if indx == 0 || prev == 0 {
                sb.ino_to_cg(ino) as u64 + lbn / maxbpg
            } else {
                sb.dtog(prev.saturating_add(1)) as u64
            } % sb.ncg as u64;
            let avgbfree = st.cstotal.nbfree / sb.ncg as i64;
            let ncg = sb.ncg as u64;
            for c in (startcg..ncg).chain(0..startcg) {
                if st.csp[c as usize].nbfree >= avgbfree {
                    return sb.fpg as u64 * c + sb.frag as u64;
                }
            }
            return 0;
        }
        // `prev` is a pointer from disk: past the end it makes a preference the callers ignore.
        prev.saturating_add(sb.frag as u64)
    }

    /// ffs_dirpref: the group for a new directory in `parent` (`parent_is_root`: first-level
    /// directories go to a group chosen at random among those with fewer directories than average).
    fn dirpref(&self, st: &WState, parent: Ino, parent_is_root: bool) -> u64 {
        let sb = &self.sb;
        let ncg = sb.ncg as i64;
        let ipg = sb.ipg as i64;
        let avgifree = st.cstotal.nifree / ncg;
        let avgbfree = st.cstotal.nbfree / ncg;
        let avgndir = st.cstotal.ndir / ncg;
        let cs = |c: i64| st.csp[c as usize];
        if parent_is_root {
            // Where the search starts only spreads directories out: without the host's randomness it
            // starts at group 0, as it would for a file system of one group.
            let mut r = [0u8; 4];
            let prefcg = match self.hyper.random(&mut r) {
                Ok(()) => (u32::from_le_bytes(r) as i64) % ncg,
                Err(_) => 0,
            };
            let mut mincg = prefcg;
            let mut minndir = ipg;
            for c in (prefcg..ncg).chain(0..prefcg) {
                let s = cs(c);
                if s.ndir < minndir && s.nifree >= avgifree && s.nbfree >= avgbfree {
                    mincg = c;
                    minndir = s.ndir;
                }
            }
            return (ipg * mincg) as u64;
        }
        let maxndir = (avgndir + ipg / 16).min(ipg);
        let minifree = (avgifree - ipg / 4).max(0);
        let minbfree = (avgbfree - ((sb.fpg >> sb.fragshift) as i64) / 4).max(0);
        let cgsize = sb.fsize as i64 * sb.fpg as i64;
        let mut dirsize = sb.avgfilesize.max(1) as i64 * sb.avgfpdir.max(1) as i64;
        if avgndir != 0 {
            let curdsz = (cgsize - avgbfree * sb.bsize as i64) / avgndir;
            if dirsize < curdsz {
                dirsize = curdsz;
            }
        }
        let mut maxcontigdirs = if cgsize < dirsize * 255 { cgsize / dirsize.max(1) } else { 255 };
        if sb.avgfpdir > 0 {
            maxcontigdirs = maxcontigdirs.min(ipg / sb.avgfpdir as i64);
        }
        if maxcontigdirs == 0 {
            maxcontigdirs = 1;
        }
        let prefcg = sb.ino_to_cg(parent) as i64;
        for c in (prefcg..ncg).chain(0..prefcg) {
            let s = cs(c);
            if s.ndir < maxndir
                && s.nifree >= minifree
                && s.nbfree >= minbfree
                && (st.contigdirs[c as usize] as i64) < maxcontigdirs
            {
                return (ipg * c) as u64;
            }
        }
        for c in (prefcg..ncg).chain(0..prefcg) {
            if cs(c).nifree >= avgifree {
                return (ipg * c) as u64;
            }
        }
        0
    }

    // ------------------------------------------------------------------------ inodes

    /// ffs_nodealloccg: an inode in group `c`, `ipref` if free, else the next free one from the
    /// inode rotor. On UFS2 the next inode block is initialised when the inode falls past the
    /// initialised ones (cg_initediblk).
    fn nodealloccg(&self, st: &mut WState, c: u32, ipref: u64, is_dir: bool) -> KResult<Option<u64>> {
        if st.csp[c as usize].nifree == 0 {
            return Ok(None);
        }
        let mut init_blocks: Vec<u64> = Vec::new();
        let r = self.with_cg(st, c, |fs, cg, d| {
            let sb = &fs.sb;
            let ipg = sb.ipg as u64;
            if cg.cs(Cs::Nifree) <= 0 {
                return Ok(None);
            }
            let mut got = None;
            if ipref != 0 {
                let i = ipref % ipg;
                if !cg.inode_used(i) {
                    got = Some(i);
                }
            }
            if got.is_none() {
                let irotor = (cg.rotor(Rotor::Inode) as u64).min(ipg.saturating_sub(1));
                let find = |from: u64, to: u64| (from..to).find(|&i| !cg.inode_used(i));
                let Some(i) = find(irotor, ipg).or_else(|| find(0, irotor)) else {
                    fs.corrupt(&format!("cylinder group {c}: free inode count and map disagree"));
                    return Ok(None);
                };
                cg.set_rotor(Rotor::Inode, i as u32);
                got = Some(i);
            }
            let i = got.unwrap_or(0);
            if sb.ufs == Ufs::Ufs2 {
                let niblk = cg.niblk() as u64;
                let mut inited = cg.initediblk() as u64;
                while i + sb.inopb as u64 > inited && inited < niblk {
                    init_blocks.push(c as u64 * ipg + inited);
                    inited += sb.inopb as u64;
                }
                cg.set_initediblk(inited as u32);
            }
            cg.set_inode_used(i, true);
            d.nifree -= 1;
            if is_dir {
                d.ndir += 1;
            }
            Ok(Some(c as u64 * ipg + i))
        })?;
        if !init_blocks.is_empty() {
            let inited = {
                let cgb = st.cgs.get(&c).ok_or(Errno::EIO)?;
                Cg { b: &cgb.data[..], o: self.sb.order }.initediblk()
            };
            for first in init_blocks {
                self.init_inode_block(first)?;
            }
            self.set_cg_inited(c, inited);
        }
        Ok(r)
    }

    /// Writes a fresh inode block (zeros, random generation numbers) holding inode `first`.
    pub(crate) fn init_inode_block(&self, first: u64) -> KResult<()> {
        let (fsba, _) = self.sb.ino_to_fsba(first);
        let mut blk = vec![0u8; self.sb.bsize as usize];
        let mut r = vec![0u8; 4 * self.sb.inopb as usize];
        self.hyper.random(&mut r)?;
        for i in 0..self.sb.inopb as usize {
            let g = (u32::from_le_bytes([r[4 * i], r[4 * i + 1], r[4 * i + 2], r[4 * i + 3]]) & 0x7fff_ffff) / 2 + 1;
            super::inode::put_gen(&mut blk, i, self.sb.order, self.sb.ufs, g);
        }
        self.cache.write_delayed(self.sb.frag_to_bytes(fsba), blk);
        Ok(())
    }

    /// ffs_valloc: a new inode for a node of the given kind in directory `dir`.
    pub(crate) fn valloc(&self, st: &mut WState, dir: Ino, is_dir: bool) -> KResult<Ino> {
        if st.cstotal.nifree <= 0 {
            (self.log)("create failed: out of inodes");
            return Err(Errno::ENOSPC);
        }
        let ipref = if is_dir { self.dirpref(st, dir, dir == super::superblock::ROOTINO) } else { dir };
        let ipref = if ipref >= self.sb.ninodes() { 0 } else { ipref };
        let c = self.sb.ino_to_cg(ipref);
        let cd = &mut st.contigdirs[c as usize];
        if is_dir {
            *cd = cd.saturating_add(1);
        } else {
            *cd = cd.saturating_sub(1);
        }
        let r = self.hashalloc(st, c, ipref, &mut |fs, st, c, p| fs.nodealloccg(st, c, p, is_dir))?;
        match r {
            Some(ino) => Ok(ino),
            None => {
                (self.log)("create failed: out of inodes");
                Err(Errno::ENOSPC)
            }
        }
    }

    /// ffs_freefile: inode `ino` back to its group's map.
    pub(crate) fn freefile(&self, st: &mut WState, ino: Ino, is_dir: bool) -> KResult<()> {
        let sb = &self.sb;
        if ino >= sb.ninodes() {
            return Err(Errno::EIO);
        }
        let c = sb.ino_to_cg(ino);
        self.with_cg(st, c, |fs, cg, d| {
            let i = ino % fs.sb.ipg as u64;
            if !cg.inode_used(i) {
                fs.corrupt(&format!("freeing free inode {ino}"));
                return Ok(None);
            }
            cg.set_inode_used(i, false);
            if i < cg.rotor(Rotor::Inode) as u64 {
                cg.set_rotor(Rotor::Inode, i as u32);
            }
            d.nifree += 1;
            if is_dir {
                d.ndir -= 1;
            }
            Ok(Some(()))
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn fragtbl_says_what_exact_run_finds() {
        for k in 0..4u32 {
            let frag = 1u32 << k;
            for v in 0..256u32 {
                for n in 1..=frag {
                    let any =
                        (0..8 / frag).any(|blk| exact_run((v >> (blk * frag)) & ((1 << frag) - 1), frag, n).is_some());
                    assert_eq!(
                        FRAGTBL[k as usize][v as usize] & (1 << (n - 1)) != 0,
                        any,
                        "frag {frag} byte {v:#x} run {n}"
                    );
                }
            }
        }
    }

    use super::*;

    #[test]
    fn runs() {
        assert_eq!(exact_run(0b0110_1100, 8, 2), Some(2));
        assert_eq!(exact_run(0b0110_1100, 8, 1), None);
        assert_eq!(exact_run(0b1111_1111, 8, 8), Some(0));
        assert_eq!(exact_run(0b0111_0111, 8, 3), Some(0));
        assert_eq!(exact_run(0b11, 2, 2), Some(0));
    }
}
