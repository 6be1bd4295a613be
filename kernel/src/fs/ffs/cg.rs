//! Cylinder group headers (fs.h `struct cg`, and the old `struct ocg` whose magic sits further in). The
//! read side checks a group's header the first time it reads an inode from that group: the magic, the
//! group number, and — on UFS2, which initialises inode blocks lazily — how many inodes were ever
//! initialised (cg_initediblk): an inode past that was never allocated.

use super::endian::ByteOrder;
use super::superblock::Ufs;

pub const CG_MAGIC: u32 = 0x0009_0255;
/// Offset of cg_magic in the pre-4.4BSD `struct ocg`.
const OCG_MAGIC: usize = 980;

pub(crate) mod off {
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

/// Decodes and checks the header of group `c` from `b` (fs_cgsize bytes).
pub fn decode(b: &[u8], o: ByteOrder, ufs: Ufs, c: u32, ipg: u32) -> Result<CgHeader, String> {
    if b.len() < 176 {
        return Err(format!("cylinder group {c}: block of {} bytes", b.len()));
    }
    let new_magic = o.u32(b, off::MAGIC) == CG_MAGIC;
    let old_magic = b.len() >= OCG_MAGIC + 4 && o.u32(b, OCG_MAGIC) == CG_MAGIC;
    if !new_magic && !old_magic {
        return Err(format!("cylinder group {c}: bad magic 0x{:08x}", o.u32(b, off::MAGIC)));
    }
    let cgx = o.u32(b, off::CGX);
    if cgx != c {
        return Err(format!("cylinder group {c}: header says it is group {cgx}"));
    }
    let initediblk = if ufs == Ufs::Ufs2 && new_magic { o.u32(b, off::INITEDIBLK).min(ipg) } else { ipg };
    Ok(CgHeader {
        cgx,
        ndblk: o.u32(b, off::NDBLK),
        ndir: o.u32(b, off::CS),
        nbfree: o.u32(b, off::CS + 4),
        nifree: o.u32(b, off::CS + 8),
        nffree: o.u32(b, off::CS + 12),
        iusedoff: if new_magic { o.u32(b, off::IUSEDOFF) } else { 0 },
        freeoff: if new_magic { o.u32(b, off::FREEOFF) } else { 0 },
        nclusterblks: if new_magic { o.u32(b, off::NICLUSTER) } else { 0 },
        initediblk,
        time: if ufs == Ufs::Ufs2 { o.i64(b, off::TIME) } else { o.i32(b, 8) as i64 },
        old_format: !new_magic,
    })
}

/// The niblk field (UFS2), for `info`.
pub fn niblk(b: &[u8], o: ByteOrder) -> u32 {
    o.u32(b, off::NIBLK)
}

/// A cylinder group block being changed by the allocator (fields through the endian layer, maps as
/// bit arrays at the offsets the header names).
pub struct CgMut<'a> {
    pub b: &'a mut [u8],
    pub o: ByteOrder,
}

/// Which counter of `cg_cs`.
#[derive(Copy, Clone, Debug)]
pub enum Cs {
    Ndir = 0,
    Nbfree = 1,
    Nifree = 2,
    Nffree = 3,
}

impl CgMut<'_> {
    pub fn get(&self, at: usize) -> u32 {
        self.o.u32(self.b, at)
    }

    pub fn set(&mut self, at: usize, v: u32) {
        self.o.put_u32(self.b, at, v)
    }

    pub fn add(&mut self, at: usize, d: i64) {
        let v = self.get(at) as i32 as i64 + d;
        self.set(at, v as i32 as u32)
    }

    pub fn cs(&self, which: Cs) -> i64 {
        self.get(off::CS + 4 * which as usize) as i32 as i64
    }

    pub fn add_cs(&mut self, which: Cs, d: i64) {
        self.add(off::CS + 4 * which as usize, d)
    }

    pub fn frsum(&self, i: u32) -> i64 {
        self.get(off::FRSUM + 4 * i as usize) as i32 as i64
    }

    pub fn add_frsum(&mut self, i: u32, d: i64) {
        self.add(off::FRSUM + 4 * i as usize, d)
    }

    /// Records the time of a change (cg_old_time, and cg_time on the new layout).
    pub fn set_time(&mut self, sec: i64, ufs2_layout: bool) {
        self.set(off::OLD_TIME, sec as u32);
        if ufs2_layout {
            self.o.put_u64(self.b, off::TIME, sec as u64);
        }
    }

    fn bit(&self, base: usize, i: u64) -> bool {
        let at = base + (i / 8) as usize;
        self.b.get(at).is_some_and(|&x| x & (1 << (i % 8)) != 0)
    }

    fn put_bit(&mut self, base: usize, i: u64, on: bool) {
        let at = base + (i / 8) as usize;
        if let Some(x) = self.b.get_mut(at) {
            if on {
                *x |= 1 << (i % 8);
            } else {
                *x &= !(1 << (i % 8));
            }
        }
    }

    /// Byte `i` of cg_blksfree: eight fragments' free bits (0 past the end of the block).
    /// The first `n` bytes of cg_blksfree (fewer if the block ends first).
    pub fn free_map(&self, n: u64) -> &[u8] {
        let at = (self.get(off::FREEOFF) as usize).min(self.b.len());
        let end = at.saturating_add(usize::try_from(n).unwrap_or(usize::MAX)).min(self.b.len());
        &self.b[at..end]
    }

    pub fn free_map_byte(&self, i: u64) -> u8 {
        let at = (self.get(off::FREEOFF) as u64).saturating_add(i);
        usize::try_from(at).ok().and_then(|at| self.b.get(at)).copied().unwrap_or(0)
    }

    /// Fragment `f` (relative to the group) free in cg_blksfree.
    pub fn frag_free(&self, f: u64) -> bool {
        self.bit(self.get(off::FREEOFF) as usize, f)
    }

    pub fn set_frag_free(&mut self, f: u64, free: bool) {
        let base = self.get(off::FREEOFF) as usize;
        self.put_bit(base, f, free)
    }

    /// Inode `i` (relative to the group) in use in cg_inosused.
    pub fn inode_used(&self, i: u64) -> bool {
        self.bit(self.get(off::IUSEDOFF) as usize, i)
    }

    pub fn set_inode_used(&mut self, i: u64, used: bool) {
        let base = self.get(off::IUSEDOFF) as usize;
        self.put_bit(base, i, used)
    }

    /// Block `blk` (relative to the group) in the free cluster map.
    pub fn cluster_free(&self, blk: u64) -> bool {
        self.bit(self.get(off::CLUSTEROFF) as usize, blk)
    }

    pub fn set_cluster_free(&mut self, blk: u64, free: bool) {
        let base = self.get(off::CLUSTEROFF) as usize;
        self.put_bit(base, blk, free)
    }

    pub fn add_clustersum(&mut self, i: u32, d: i64) {
        let at = self.get(off::CLUSTERSUMOFF) as usize + 4 * i as usize;
        self.add(at, d)
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
