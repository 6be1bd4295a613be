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
    pub const CGX: usize = 12;
    pub const NDBLK: usize = 20;
    pub const CS: usize = 24;
    pub const IUSEDOFF: usize = 92;
    pub const FREEOFF: usize = 96;
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
