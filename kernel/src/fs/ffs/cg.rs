//! Cylinder group headers (fs.h `struct cg`, and the old `struct ocg` whose magic sits further in). The
//! read side checks a group's header the first time it reads an inode from that group: the magic, the
//! group number, and — on UFS2, which initialises inode blocks lazily — how many inodes were ever
//! initialised (cg_initediblk): an inode past that was never allocated.

use super::endian::ByteOrder;
use super::superblock::Ufs;

pub const CG_MAGIC: u32 = 0x0009_0255;
/// Offset of cg_magic in the pre-4.4BSD `struct ocg`.
const OCG_MAGIC: usize = 980;

mod off {
    pub const MAGIC: usize = 4;
    pub const OLD_TIME: usize = 8;
    pub const CGX: usize = 12;
    pub const OLD_NCYL: usize = 16;
    pub const OLD_NIBLK: usize = 18;
    pub const NDBLK: usize = 20;
    pub const CS: usize = 24;
    pub const ROTOR: usize = 40;
    pub const FROTOR: usize = 44;
    pub const IROTOR: usize = 48;
    pub const FRSUM: usize = 52;
    pub const OLD_BTOTOFF: usize = 84;
    pub const OLD_BOFF: usize = 88;
    pub const IUSEDOFF: usize = 92;
    pub const FREEOFF: usize = 96;
    pub const NEXTFREEOFF: usize = 100;
    pub const CLUSTERSUMOFF: usize = 104;
    pub const CLUSTEROFF: usize = 108;
    pub const NICLUSTER: usize = 112;
    pub const NIBLK: usize = 116;
    pub const INITEDIBLK: usize = 120;
    pub const TIME: usize = 136;
}

/// The parts of a cylinder group header the driver uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CgHeader {
    pub cgx: u32,
    pub ndblk: u32,
    pub ndir: u32,
    pub nbfree: u32,
    pub nifree: u32,
    pub nffree: u32,
    pub iusedoff: u32,
    pub freeoff: u32,
    pub nclusterblks: u32,
    /// UFS2: inodes initialised so far (all of them on UFS1).
    pub initediblk: u32,
    pub time: i64,
    pub old_format: bool,
}

/// Bytes of `struct cg` before `cg_space`, where the maps begin.
pub const HEADER_SIZE: usize = 168;

/// Decodes and checks the header of group `c` from `b` (fs_cgsize bytes).
pub fn decode(b: &[u8], o: ByteOrder, ufs: Ufs, c: u32, ipg: u32) -> Result<CgHeader, String> {
    if b.len() < 176 {
        return Err(format!("cylinder group {c}: block of {} bytes", b.len()));
    }
    let g = Cg { b, o };
    let new_magic = g.magic() == CG_MAGIC;
    let old_magic = b.len() >= OCG_MAGIC + 4 && o.u32(b, OCG_MAGIC) == CG_MAGIC;
    if !new_magic && !old_magic {
        return Err(format!("cylinder group {c}: bad magic 0x{:08x}", g.magic()));
    }
    let cgx = g.cgx();
    if cgx != c {
        return Err(format!("cylinder group {c}: header says it is group {cgx}"));
    }
    let initediblk = if ufs == Ufs::Ufs2 && new_magic { g.initediblk().min(ipg) } else { ipg };
    Ok(CgHeader {
        cgx,
        ndblk: g.ndblk(),
        ndir: g.get(off::CS),
        nbfree: g.get(off::CS + 4),
        nifree: g.get(off::CS + 8),
        nffree: g.get(off::CS + 12),
        iusedoff: if new_magic { g.iusedoff() } else { 0 },
        freeoff: if new_magic { g.freeoff() } else { 0 },
        nclusterblks: if new_magic { g.nclusterblks() } else { 0 },
        initediblk,
        time: if ufs == Ufs::Ufs2 { o.i64(b, off::TIME) } else { o.i32(b, off::OLD_TIME) as i64 },
        old_format: !new_magic,
    })
}

/// Where a group's maps lie (mkfs.c's initcg and fsck's pass5 compute them alike): the old rotational
/// tables of UFS1 (cg_old_btotoff, cg_old_boff), the inode map, the fragment map, the cluster summary and
/// the cluster map, each as a byte offset in the group block; `nextfreeoff` is where they end.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct MapLayout {
    pub btotoff: usize,
    pub boff: usize,
    pub iusedoff: usize,
    pub freeoff: usize,
    /// 0 without clusters (fs_contigsumsize 0).
    pub clustersumoff: usize,
    pub clusteroff: usize,
    pub nextfreeoff: usize,
}

impl MapLayout {
    /// The layout for `ipg` inodes and `fpg` fragments a group; UFS1 keeps `old_cpg` cylinders of
    /// `old_nrpos` rotational positions before the maps.
    pub fn new(
        ufs2: bool,
        old_cpg: usize,
        old_nrpos: usize,
        ipg: usize,
        fpg: usize,
        contig: usize,
        fragshift: u32,
    ) -> Self {
        let btotoff = HEADER_SIZE;
        let boff = btotoff + if ufs2 { 0 } else { old_cpg * 4 };
        let iusedoff = boff + if ufs2 { 0 } else { old_cpg * old_nrpos * 2 };
        let freeoff = iusedoff + ipg.div_ceil(8);
        let mut nextfreeoff = freeoff + fpg.div_ceil(8);
        let (mut clustersumoff, mut clusteroff) = (0, 0);
        if contig > 0 {
            clustersumoff = (nextfreeoff - 4).next_multiple_of(4);
            clusteroff = clustersumoff + (contig + 1) * 4;
            nextfreeoff = clusteroff + (fpg >> fragshift).div_ceil(8);
        }
        MapLayout { btotoff, boff, iusedoff, freeoff, clustersumoff, clusteroff, nextfreeoff }
    }

    /// Bytes of the old rotational tables (UFS1: cg_old_blktot and cg_old_blks).
    pub fn rotational_bytes(&self) -> usize {
        self.iusedoff - self.btotoff
    }
}

/// A cylinder group block read (`B` = `&[u8]`) or changed (`&mut [u8]`, `Vec<u8>`): each header field
/// through the endian layer, the maps as bit arrays at the offsets the header names.
pub struct Cg<B> {
    pub b: B,
    pub o: ByteOrder,
}

/// A group block being changed (by the allocator, newfs and fsck).
pub type CgMut<'a> = Cg<&'a mut [u8]>;

/// Which counter of `cg_cs`.
#[derive(Copy, Clone, Debug)]
pub enum Cs {
    Ndir = 0,
    Nbfree = 1,
    Nifree = 2,
    Nffree = 3,
}

/// Which allocation rotor.
#[derive(Copy, Clone, Debug)]
pub enum Rotor {
    /// cg_rotor: the last block allocated.
    Block,
    /// cg_frotor: the last fragment allocated.
    Frag,
    /// cg_irotor: the last inode allocated.
    Inode,
}

impl Rotor {
    fn at(self) -> usize {
        match self {
            Rotor::Block => off::ROTOR,
            Rotor::Frag => off::FROTOR,
            Rotor::Inode => off::IROTOR,
        }
    }
}

/// The header's 32-bit fields: a reader for each, and a writer for those newfs and the write side set.
macro_rules! u32_fields {
    ($( $(#[$doc:meta])* $get:ident $(, $set:ident)? = $at:ident; )*) => {
        impl<B: AsRef<[u8]>> Cg<B> {
            $( $(#[$doc])* pub fn $get(&self) -> u32 { self.get(off::$at) } )*
        }
        impl<B: AsRef<[u8]> + AsMut<[u8]>> Cg<B> {
            $( $( pub fn $set(&mut self, v: u32) { self.set(off::$at, v) } )? )*
        }
    };
}

u32_fields! {
    magic = MAGIC;
    cgx, set_cgx = CGX;
    ndblk, set_ndblk = NDBLK;
    /// The niblk field (UFS2).
    niblk, set_niblk = NIBLK;
    initediblk, set_initediblk = INITEDIBLK;
    iusedoff = IUSEDOFF;
    freeoff = FREEOFF;
    clustersumoff = CLUSTERSUMOFF;
    clusteroff = CLUSTEROFF;
    nclusterblks, set_nclusterblks = NICLUSTER;
}

impl<B: AsRef<[u8]>> Cg<B> {
    fn get(&self, at: usize) -> u32 {
        self.o.u32(self.b.as_ref(), at)
    }

    /// cg_old_ncyl (UFS1).
    pub fn old_ncyl(&self) -> i16 {
        self.o.u16(self.b.as_ref(), off::OLD_NCYL) as i16
    }
    pub fn rotor(&self, which: Rotor) -> u32 {
        self.get(which.at())
    }

    pub fn cs(&self, which: Cs) -> i64 {
        self.get(off::CS + 4 * which as usize) as i32 as i64
    }

    /// All of cg_cs: ndir, nbfree, nifree, nffree.
    pub fn cs_all(&self) -> [i64; 4] {
        [self.cs(Cs::Ndir), self.cs(Cs::Nbfree), self.cs(Cs::Nifree), self.cs(Cs::Nffree)]
    }

    pub fn frsum(&self, i: u32) -> i64 {
        self.get(off::FRSUM + 4 * i as usize) as i32 as i64
    }

    fn bit(&self, base: usize, i: u64) -> bool {
        let at = base + (i / 8) as usize;
        self.b.as_ref().get(at).is_some_and(|&x| x & (1 << (i % 8)) != 0)
    }

    /// The first `n` bytes of cg_blksfree (fewer if the block ends first).
    pub fn free_map(&self, n: u64) -> &[u8] {
        let b = self.b.as_ref();
        let at = (self.freeoff() as usize).min(b.len());
        let end = at.saturating_add(usize::try_from(n).unwrap_or(usize::MAX)).min(b.len());
        &b[at..end]
    }

    /// Byte `i` of cg_blksfree: eight fragments' free bits (0 past the end of the block).
    pub fn free_map_byte(&self, i: u64) -> u8 {
        let at = (self.freeoff() as u64).saturating_add(i);
        usize::try_from(at).ok().and_then(|at| self.b.as_ref().get(at)).copied().unwrap_or(0)
    }

    /// Fragment `f` (relative to the group) free in cg_blksfree.
    pub fn frag_free(&self, f: u64) -> bool {
        self.bit(self.freeoff() as usize, f)
    }

    /// Inode `i` (relative to the group) in use in cg_inosused.
    pub fn inode_used(&self, i: u64) -> bool {
        self.bit(self.iusedoff() as usize, i)
    }

    /// Block `blk` (relative to the group) in the free cluster map.
    pub fn cluster_free(&self, blk: u64) -> bool {
        self.bit(self.clusteroff() as usize, blk)
    }

    /// The free-fragment bits of the block starting at fragment `bfrag` (ffs's blkmap), `frag` bits.
    pub fn blkmap(&self, bfrag: u64, frag: u32) -> u32 {
        // A block's bits lie in one byte of the map (frag is 1, 2, 4 or 8 and blocks are aligned).
        let shift = (bfrag % 8) as u32;
        if shift + frag <= 8 {
            return (self.free_map_byte(bfrag / 8) as u32 >> shift) & ((1u32 << frag) - 1);
        }
        let mut m = 0u32;
        for i in 0..frag as u64 {
            if self.frag_free(bfrag + i) {
                m |= 1 << i;
            }
        }
        m
    }
}

impl<B: AsRef<[u8]> + AsMut<[u8]>> Cg<B> {
    fn set(&mut self, at: usize, v: u32) {
        self.o.put_u32(self.b.as_mut(), at, v)
    }

    fn add(&mut self, at: usize, d: i64) {
        let v = self.get(at) as i32 as i64 + d;
        self.set(at, v as i32 as u32)
    }

    pub fn set_magic(&mut self) {
        self.set(off::MAGIC, CG_MAGIC)
    }
    pub fn set_rotor(&mut self, which: Rotor, v: u32) {
        self.set(which.at(), v)
    }
    /// UFS1's cg_old_ncyl and cg_old_niblk.
    pub fn set_old_counts(&mut self, ncyl: u16, niblk: u16) {
        self.o.put_u16(self.b.as_mut(), off::OLD_NCYL, ncyl);
        self.o.put_u16(self.b.as_mut(), off::OLD_NIBLK, niblk);
    }

    /// The map offsets of `l` into the header (the rotational tables' only on UFS1, the cluster maps'
    /// only with clusters).
    pub fn set_layout(&mut self, l: &MapLayout, ufs2: bool) {
        if !ufs2 {
            self.set(off::OLD_BTOTOFF, l.btotoff as u32);
            self.set(off::OLD_BOFF, l.boff as u32);
        }
        self.set(off::IUSEDOFF, l.iusedoff as u32);
        self.set(off::FREEOFF, l.freeoff as u32);
        self.set(off::NEXTFREEOFF, l.nextfreeoff as u32);
        if l.clustersumoff != 0 {
            self.set(off::CLUSTERSUMOFF, l.clustersumoff as u32);
            self.set(off::CLUSTEROFF, l.clusteroff as u32);
        }
    }

    pub fn set_cs(&mut self, which: Cs, v: i64) {
        self.set(off::CS + 4 * which as usize, v as u32)
    }

    pub fn add_cs(&mut self, which: Cs, d: i64) {
        self.add(off::CS + 4 * which as usize, d)
    }

    pub fn add_frsum(&mut self, i: u32, d: i64) {
        self.add(off::FRSUM + 4 * i as usize, d)
    }

    /// Records the time of a change (cg_old_time, and cg_time on the new layout).
    pub fn set_time(&mut self, sec: i64, ufs2_layout: bool) {
        self.set_old_time(sec);
        if ufs2_layout {
            self.set_new_time(sec);
        }
    }

    /// cg_old_time alone (what newfs sets on UFS1).
    pub fn set_old_time(&mut self, sec: i64) {
        self.set(off::OLD_TIME, sec as u32);
    }

    /// cg_time alone (what newfs sets on UFS2).
    pub fn set_new_time(&mut self, sec: i64) {
        self.o.put_u64(self.b.as_mut(), off::TIME, sec as u64);
    }

    /// cg_time and cg_old_time copied from `from` (`ufs2_layout`: cg_time too).
    pub fn copy_times<C: AsRef<[u8]>>(&mut self, from: &Cg<C>, ufs2_layout: bool) {
        let mut copy = |at: usize, n: usize| {
            if let (Some(d), Some(s)) = (self.b.as_mut().get_mut(at..at + n), from.b.as_ref().get(at..at + n)) {
                d.copy_from_slice(s);
            }
        };
        if ufs2_layout {
            copy(off::TIME, 8);
        }
        copy(off::OLD_TIME, 4);
    }

    fn put_bit(&mut self, base: usize, i: u64, on: bool) {
        let at = base + (i / 8) as usize;
        if let Some(x) = self.b.as_mut().get_mut(at) {
            if on {
                *x |= 1 << (i % 8);
            } else {
                *x &= !(1 << (i % 8));
            }
        }
    }

    pub fn set_frag_free(&mut self, f: u64, free: bool) {
        let base = self.freeoff() as usize;
        self.put_bit(base, f, free)
    }

    pub fn set_inode_used(&mut self, i: u64, used: bool) {
        let base = self.iusedoff() as usize;
        self.put_bit(base, i, used)
    }

    pub fn set_cluster_free(&mut self, blk: u64, free: bool) {
        let base = self.clusteroff() as usize;
        self.put_bit(base, blk, free)
    }

    pub fn add_clustersum(&mut self, i: u32, d: i64) {
        let at = self.clustersumoff() as usize + 4 * i as usize;
        self.add(at, d)
    }

    /// ffs_clusteracct: block `blkno` of the group became free (cnt 1) or used (cnt -1): its bit in the
    /// cluster map, and the runs of free blocks it joins or splits in cg_clustersum (a run longer than
    /// `contigsumsize` counts as that long). Nothing without clusters.
    pub fn cluster_account(&mut self, contigsumsize: i32, blkno: u64, cnt: i64) {
        if contigsumsize <= 0 {
            return;
        }
        let css = contigsumsize as u64;
        self.set_cluster_free(blkno, cnt > 0);
        let end = (blkno + 1 + css).min(self.nclusterblks() as u64);
        let mut i = blkno + 1;
        while i < end && self.cluster_free(i) {
            i += 1;
        }
        let forw = i.saturating_sub(blkno + 1);
        let lo = blkno.saturating_sub(css);
        let mut back = 0;
        let mut j = blkno;
        while j > lo && self.cluster_free(j - 1) {
            j -= 1;
            back += 1;
        }
        self.add_clustersum((back + forw + 1).min(css) as u32, cnt);
        if back > 0 {
            self.add_clustersum(back as u32, -cnt);
        }
        if forw > 0 {
            self.add_clustersum(forw as u32, -cnt);
        }
    }

    /// cg_clustersum counted from the cluster map: every run of free blocks among the first `nblocks`,
    /// by length (a run longer than `contigsumsize` counts as that long).
    pub fn count_cluster_runs(&mut self, nblocks: u64, contigsumsize: usize) {
        let mut run = 0usize;
        for b in 0..nblocks {
            if self.cluster_free(b) {
                run += 1;
            } else if run != 0 {
                self.add_clustersum(run.min(contigsumsize) as u32, 1);
                run = 0;
            }
        }
        if run != 0 {
            self.add_clustersum(run.min(contigsumsize) as u32, 1);
        }
    }

    /// One more free block in cylinder `cyl` at rotational position `rpos` of UFS1's old tables
    /// (cg_old_blktot[cyl] and cg_old_blks[cyl][rpos]); nothing past the tables of `l`.
    pub fn count_old_rotational(&mut self, l: &MapLayout, nrpos: usize, cyl: usize, rpos: usize) {
        let t = l.btotoff + cyl * 4;
        if t + 4 <= l.boff {
            self.add(t, 1);
        }
        let b = l.boff + (cyl * nrpos + rpos) * 2;
        if rpos < nrpos && b + 2 <= l.iusedoff {
            let v = self.o.u16(self.b.as_ref(), b).wrapping_add(1);
            self.o.put_u16(self.b.as_mut(), b, v);
        }
    }
}
