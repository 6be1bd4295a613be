//! The FFS superblock (sys/ufs/ffs/fs.h `struct fs`): finding it (NetBSD's SBLOCKSEARCH and the checks of
//! ffs_mountfs / ffs_superblock_validate), decoding it through the endian layer, and the geometry helpers
//! (fs.h's macros) the rest of the driver uses. `off` holds the field offsets, `encode` the writing: a
//! whole superblock for newfs, the fields that change after it (`SbMut`) for the write side and fsck, and
//! the per-group summary array.

use super::endian::{cstr, ByteOrder};
use crate::dev::BlockDevice;
use crate::errno::{Errno, KResult};

pub const SBLOCK_FLOPPY: u64 = 0;
pub const SBLOCK_UFS1: u64 = 8192;
pub const SBLOCK_UFS2: u64 = 65536;
pub const SBLOCK_PIGGY: u64 = 262144;
/// Where NetBSD looks for a superblock, in order (fs.h SBLOCKSEARCH).
pub const SBLOCKSEARCH: [u64; 4] = [SBLOCK_UFS2, SBLOCK_UFS1, SBLOCK_FLOPPY, SBLOCK_PIGGY];
pub const SBLOCKSIZE: usize = 8192;

pub const FS_UFS1_MAGIC: u32 = 0x0001_1954;
pub const FS_UFS2_MAGIC: u32 = 0x1954_0119;
/// UFS2 with extended attributes (NetBSD 10): recognised, refused by name.
pub const FS_UFS2EA_MAGIC: u32 = 0x1901_2038;

pub const MINBSIZE: u32 = 4096;
pub const MAXBSIZE: u32 = 65536;
pub const MAXFRAG: u32 = 8;
pub const MAXMNTLEN: usize = 468;
pub const MAXVOLLEN: usize = 32;

pub const FS_42INODEFMT: i32 = -1;
pub const FS_44INODEFMT: i32 = 2;

pub const FS_ISCLEAN: u8 = 0x01;
pub const FS_WASCLEAN: u8 = 0x02;

// fs_flags
pub const FS_UNCLEAN: u32 = 0x001;
pub const FS_DOSOFTDEP: u32 = 0x002;
pub const FS_POSIX1EACLS: u32 = 0x010;
pub const FS_FLAGS_UPDATED: u32 = 0x080;
pub const FS_DOWAPBL: u32 = 0x100;
pub const FS_DOQUOTA2: u32 = 0x200;
pub const FS_NFS4ACLS: u32 = 0x800;
/// Flags NetBSD mounts with (fs.h FS_KNOWN_FLAGS); any other refuses the mount unless forced.
pub const FS_KNOWN_FLAGS: u32 = FS_DOSOFTDEP | FS_DOWAPBL | FS_DOQUOTA2 | FS_POSIX1EACLS | FS_NFS4ACLS;
pub const FS_INTERNAL: u32 = 0x8000_0000;

/// Root inode (UFS_ROOTINO).
pub const ROOTINO: u64 = 2;
/// Direct block pointers in an inode (UFS_NDADDR).
pub const NDADDR: usize = 12;
/// Indirect block pointers in an inode: single, double, triple (UFS_NIADDR).
pub const NIADDR: usize = 3;

mod encode;
/// Byte offsets of `struct fs` fields.
mod off;

pub use encode::{clear_magic, read_csum, write_csum, SbMut};

/// sizeof(struct fs).
pub const SIZEOF_FS: usize = off::END;

/// Which FFS.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Ufs {
    Ufs1,
    Ufs2,
}

impl Ufs {
    pub fn name(self) -> &'static str {
        match self {
            Ufs::Ufs1 => "UFS1",
            Ufs::Ufs2 => "UFS2",
        }
    }

    /// Size of an on-disk inode.
    pub fn dinode_size(self) -> u32 {
        match self {
            Ufs::Ufs1 => 128,
            Ufs::Ufs2 => 256,
        }
    }

    /// Size of a block pointer.
    pub fn ptr_size(self) -> u32 {
        match self {
            Ufs::Ufs1 => 4,
            Ufs::Ufs2 => 8,
        }
    }
}

/// Cylinder-summary totals (struct csum_total).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct CsTotal {
    pub ndir: i64,
    pub nbfree: i64,
    pub nifree: i64,
    pub nffree: i64,
}

/// A decoded, validated superblock. `raw` keeps the bytes read, so the write side can update fields in
/// place and write them back through the same endian layer.
#[derive(Clone, Debug)]
pub struct Superblock {
    pub order: ByteOrder,
    pub ufs: Ufs,
    /// Byte offset of this superblock on the device.
    pub sblockloc: u64,
    pub raw: Vec<u8>,
    pub sblkno: u32,
    pub cblkno: u32,
    pub iblkno: u32,
    pub dblkno: u32,
    pub old_cgoffset: i32,
    pub old_cgmask: i32,
    pub ncg: u32,
    pub bsize: u32,
    pub fsize: u32,
    pub frag: u32,
    pub minfree: u32,
    pub bshift: u32,
    pub fshift: u32,
    pub fragshift: u32,
    pub fsbtodb: u32,
    pub sbsize: u32,
    pub nindir: u32,
    pub inopb: u32,
    pub optim: i32,
    pub id: [u32; 2],
    pub cssize: u32,
    pub cgsize: u32,
    pub old_cpg: i32,
    pub ipg: u32,
    pub fpg: u32,
    pub clean: u8,
    pub old_flags: u8,
    pub fsmnt: Vec<u8>,
    pub volname: Vec<u8>,
    pub maxbsize: i32,
    pub journal_version: u8,
    pub journal_location: u8,
    pub journal_flags: u32,
    pub journallocs: [u64; 4],
    pub cstotal: CsTotal,
    pub time: i64,
    /// Size in fragments.
    pub size: u64,
    /// Data fragments.
    pub dsize: u64,
    pub csaddr: u64,
    pub pendingblocks: i64,
    pub pendinginodes: i32,
    /// fs_flags after ffs_oldfscompat_read (from fs_old_flags on old UFS1 superblocks), without FS_INTERNAL.
    pub flags: u32,
    pub contigsumsize: i32,
    pub maxsymlinklen: i32,
    pub old_inodefmt: i32,
    pub maxfilesize: u64,
    /// fs_maxfilesize as on disk.
    pub fs_maxfilesize: u64,
    /// fs_cstotal.cs_numclusters (new layout only; kept 0).
    pub numclusters: i64,
    /// The 4.4BSD disk geometry of UFS1 (fs_old_*): rotational speed, sectors per fragment,
    /// interleave, track skew, sectors per track (physical and used), sectors per cylinder,
    /// cylinders, the rotational-table format and positions.
    pub old: OldGeometry,
    /// fs_maxcontig, fs_maxbpg, fs_avgfilesize, fs_avgfpdir: allocation policy parameters.
    pub maxcontig: i32,
    pub maxbpg: u32,
    pub avgfilesize: u32,
    pub avgfpdir: u32,
}

/// UFS1's fs_old_* disk geometry (NetBSD's newfs writes one cylinder per group, one rotational position).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct OldGeometry {
    pub rps: i32,
    pub nspf: i32,
    pub interleave: i32,
    pub trackskew: i32,
    pub npsect: i32,
    pub nsect: i32,
    pub spc: i32,
    pub ncyl: i32,
    pub postblformat: i32,
    pub nrpos: i32,
}

/// What the superblock search found at one location and why it was not used (for the kernel log).
#[derive(Clone, Debug)]
pub struct Probe {
    pub loc: u64,
    pub what: String,
}

/// The largest file the block pointers reach (newfs's fs_maxfilesize): the direct blocks, then one,
/// two and three levels of indirection, less one byte.
pub fn addressable_bytes(bsize: u64, nindir: u64) -> u64 {
    let mut max = (bsize * NDADDR as u64).saturating_sub(1);
    let mut sizepb = bsize;
    for _ in 0..NIADDR {
        sizepb = sizepb.saturating_mul(nindir);
        max = max.saturating_add(sizepb);
    }
    max
}

fn is_pow2(x: u32) -> bool {
    x != 0 && x & (x - 1) == 0
}

fn ilog2(x: u32) -> u32 {
    31 - x.leading_zeros()
}

/// sizeof(struct cg) in NetBSD (172 bytes of fields and `cg_space[1]`, padded to 8).
pub const SIZEOF_CG: u64 = 176;

impl Superblock {
    /// Searches `dev` for a superblock as ffs_mountfs does. Returns the superblock, or EINVAL (nothing
    /// found, with `notes` saying what each location held), or EFTYPE for a recognised file system this
    /// driver refuses (UFS2 with extended attributes).
    pub fn find(dev: &dyn BlockDevice, notes: &mut Vec<Probe>) -> KResult<Superblock> {
        let mut refused: Option<Errno> = None;
        let mut buf = vec![0u8; SBLOCKSIZE];
        for &loc in SBLOCKSEARCH.iter() {
            if loc + SBLOCKSIZE as u64 > dev.size() {
                continue;
            }
            dev.read_at(loc, &mut buf)?;
            match Superblock::decode(&buf, loc) {
                Ok(sb) => return Ok(sb),
                Err((e, what)) => {
                    if e == Errno::EFTYPE {
                        refused = Some(e);
                    }
                    if let Some(what) = what {
                        notes.push(Probe { loc, what });
                    }
                }
            }
        }
        Err(refused.unwrap_or(Errno::EINVAL))
    }

    /// Reads the superblock at a known location (after a WAPBL replay, or to re-check).
    pub fn read_at(dev: &dyn BlockDevice, loc: u64) -> KResult<Superblock> {
        let mut buf = vec![0u8; SBLOCKSIZE];
        dev.read_at(loc, &mut buf)?;
        Superblock::decode(&buf, loc).map_err(|(e, _)| e)
    }

    /// Decodes and validates the 8 KiB read at byte offset `loc`. The error carries a note when the bytes
    /// were an FFS superblock of some kind (so the search can tell why it went on).
    pub fn decode(buf: &[u8], loc: u64) -> Result<Superblock, (Errno, Option<String>)> {
        if buf.len() < SBLOCKSIZE {
            return Err((Errno::EINVAL, None));
        }
        let le = ByteOrder::Little.u32(buf, off::MAGIC);
        let be = ByteOrder::Big.u32(buf, off::MAGIC);
        let (order, ufs) = match (le, be) {
            (FS_UFS1_MAGIC, _) => (ByteOrder::Little, Ufs::Ufs1),
            (FS_UFS2_MAGIC, _) => (ByteOrder::Little, Ufs::Ufs2),
            (_, FS_UFS1_MAGIC) => (ByteOrder::Big, Ufs::Ufs1),
            (_, FS_UFS2_MAGIC) => (ByteOrder::Big, Ufs::Ufs2),
            (FS_UFS2EA_MAGIC, _) | (_, FS_UFS2EA_MAGIC) => {
                let order = if le == FS_UFS2EA_MAGIC { ByteOrder::Little } else { ByteOrder::Big };
                return Err((
                    Errno::EFTYPE,
                    Some(format!(
                        "UFS2ea superblock ({}): FFSv2 with extended attributes is not supported",
                        order.name()
                    )),
                ));
            }
            _ => return Err((Errno::EINVAL, None)),
        };
        let o = order;
        let old_flags = o.u8(buf, off::OLD_FLAGS);
        let updated = u32::from(old_flags) & FS_FLAGS_UPDATED != 0;
        // fs_sblockloc is not defined for old UFS1 superblocks; a UFS1 one at 64 KiB is the first backup
        // of a file system with 64 KiB blocks.
        let fs_sblockloc = if ufs == Ufs::Ufs1 && !updated {
            if loc == SBLOCK_UFS2 {
                return Err((Errno::EINVAL, Some("UFS1 superblock at 65536 is a backup; skipped".into())));
            }
            loc
        } else {
            o.i64(buf, off::SBLOCKLOC) as u64
        };
        if fs_sblockloc != loc {
            return Err((
                Errno::EINVAL,
                Some(format!("{} superblock says it belongs at {fs_sblockloc}: an alternate; skipped", ufs.name())),
            ));
        }
        let bad = |why: String| Err((Errno::EINVAL, Some(format!("{} superblock rejected: {why}", ufs.name()))));

        let sbsize = o.u32(buf, off::SBSIZE);
        if sbsize as usize > SBLOCKSIZE || (sbsize as usize) < off::END {
            return bad(format!("fs_sbsize {sbsize}"));
        }
        let raw = buf[..sbsize as usize].to_vec();
        let b = &raw[..];
        let bsize = o.u32(b, off::BSIZE);
        let fsize = o.u32(b, off::FSIZE);
        let frag = o.u32(b, off::FRAG);
        if !(MINBSIZE..=MAXBSIZE).contains(&bsize) || !is_pow2(bsize) {
            return bad(format!("block size {bsize}"));
        }
        if !is_pow2(fsize) || fsize > bsize || fsize < 512 {
            return bad(format!("fragment size {fsize} (block size {bsize})"));
        }
        if bsize / fsize > MAXFRAG || frag != bsize / fsize {
            return bad(format!("fs_frag {frag} for block size {bsize} and fragment size {fsize}"));
        }
        let ncg = o.u32(b, off::NCG);
        let ipg = o.u32(b, off::IPG);
        let fpg = o.u32(b, off::FPG);
        let cssize = o.u32(b, off::CSSIZE);
        let maxbpg = o.u32(b, off::MAXBPG);
        let inopb = o.u32(b, off::INOPB);
        let bshift = o.u32(b, off::BSHIFT);
        let fshift = o.u32(b, off::FSHIFT);
        let fragshift = o.u32(b, off::FRAGSHIFT);
        let (size, dsize, csaddr, time, cstotal) = if ufs == Ufs::Ufs1 && !updated {
            let c = off::OLD_CSTOTAL;
            (
                o.u32(b, off::OLD_SIZE) as u64,
                o.u32(b, off::OLD_DSIZE) as u64,
                o.u32(b, off::OLD_CSADDR) as u64,
                o.i32(b, off::OLD_TIME) as i64,
                CsTotal {
                    ndir: o.i32(b, c) as i64,
                    nbfree: o.i32(b, c + 4) as i64,
                    nifree: o.i32(b, c + 8) as i64,
                    nffree: o.i32(b, c + 12) as i64,
                },
            )
        } else {
            let c = off::CSTOTAL;
            (
                o.u64(b, off::SIZE),
                o.u64(b, off::DSIZE),
                o.u64(b, off::CSADDR),
                o.i64(b, off::TIME),
                CsTotal {
                    ndir: o.i64(b, c),
                    nbfree: o.i64(b, c + 8),
                    nifree: o.i64(b, c + 16),
                    nffree: o.i64(b, c + 24),
                },
            )
        };
        if size == 0 || cssize == 0 || ipg == 0 || fpg == 0 || ncg == 0 || maxbpg == 0 {
            return bad(format!(
                "zero geometry (size {size}, cssize {cssize}, ipg {ipg}, fpg {fpg}, ncg {ncg}, maxbpg {maxbpg})"
            ));
        }
        if inopb != bsize / ufs.dinode_size() {
            return bad(format!("fs_inopb {inopb} for block size {bsize}"));
        }
        if bshift != ilog2(bsize) || fshift != ilog2(fsize) || fragshift != ilog2(frag) {
            return bad(format!("shifts {bshift}/{fshift}/{fragshift} inconsistent with sizes"));
        }
        if o.i32(b, off::BMASK) != !(bsize as i32 - 1) || o.i32(b, off::FMASK) != !(fsize as i32 - 1) {
            return bad("block or fragment mask inconsistent with sizes".into());
        }
        let old_cpg = o.i32(b, off::OLD_CPG);
        let contigsumsize = o.i32(b, off::CONTIGSUMSIZE);
        // CGSIZE(fs), as ffs_superblock_validate checks it (an off-by-one from old newfs is accepted).
        let cgsize = o.u32(b, off::CGSIZE);
        let mut want =
            SIZEOF_CG + 4 + (old_cpg.max(0) as u64) * 6 + (ipg as u64).div_ceil(8) + (fpg as u64).div_ceil(8);
        if contigsumsize > 0 {
            want += contigsumsize as u64 * 4 + ((fpg >> fragshift) as u64).div_ceil(8);
        }
        let want_rounded = want.div_ceil(fsize as u64) * fsize as u64;
        if cgsize as u64 != want_rounded && cgsize as u64 + 1 != want {
            return bad(format!("cylinder group size mismatch: fs_cgsize {cgsize}, CGSIZE {want}"));
        }
        // Further checks NetBSD leaves to fsck, so nothing below can be driven out of range by a corrupt
        // superblock.
        if cgsize > bsize.max(MAXBSIZE) {
            return bad(format!("fs_cgsize {cgsize} larger than a block"));
        }
        if fpg % frag != 0
            || (ncg as u64 - 1) * fpg as u64 >= size
            || size > ncg as u64 * fpg as u64
            || size.checked_mul(fsize as u64).is_none()
        {
            return bad(format!("size {size} fragments does not fit {ncg} groups of {fpg} fragments"));
        }
        if ipg % inopb != 0 || (ncg as u64) * (ipg as u64) > u32::MAX as u64 {
            return bad(format!("{ipg} inodes per group, {inopb} per block, {ncg} groups"));
        }
        let sblkno = o.u32(b, off::SBLKNO);
        let cblkno = o.u32(b, off::CBLKNO);
        let iblkno = o.u32(b, off::IBLKNO);
        let dblkno = o.u32(b, off::DBLKNO);
        let iblocks = (ipg / inopb) << fragshift;
        if !(cblkno < iblkno && iblkno as u64 + iblocks as u64 <= dblkno as u64 && dblkno < fpg) {
            return bad(format!(
                "cylinder group layout sblkno {sblkno} cblkno {cblkno} iblkno {iblkno} dblkno {dblkno}"
            ));
        }
        let nindir = o.u32(b, off::NINDIR);
        if nindir != bsize / ufs.ptr_size() {
            return bad(format!("fs_nindir {nindir} for block size {bsize}"));
        }
        let fsbtodb = o.u32(b, off::FSBTODB);
        let minfree = o.i32(b, off::MINFREE).clamp(0, 99) as u32;
        let mut flags = if ufs == Ufs::Ufs1 && !updated { u32::from(old_flags) } else { o.u32(b, off::FLAGS) };
        flags &= !FS_INTERNAL;
        let old_inodefmt = o.i32(b, off::OLD_INODEFMT);
        let fs_maxfilesize = o.u64(b, off::MAXFILESIZE);
        let mut maxfilesize = fs_maxfilesize;
        if old_inodefmt < FS_44INODEFMT {
            maxfilesize = 1u64 << 39;
        }
        if ufs == Ufs::Ufs1 {
            maxfilesize = maxfilesize.min(0x8000_0000u64 * bsize as u64 - 1);
        }
        // No file is larger than its block pointers reach, nor than an off_t holds: a damaged
        // fs_maxfilesize does not let an inode's size past that.
        maxfilesize = maxfilesize.min(addressable_bytes(bsize as u64, nindir as u64)).min(i64::MAX as u64);
        let mut journallocs = [0u64; 4];
        for (i, j) in journallocs.iter_mut().enumerate() {
            *j = o.u64(b, off::JOURNALLOCS + 8 * i);
        }
        Ok(Superblock {
            order,
            ufs,
            sblockloc: loc,
            sblkno,
            cblkno,
            iblkno,
            dblkno,
            old_cgoffset: o.i32(b, off::OLD_CGOFFSET),
            old_cgmask: o.i32(b, off::OLD_CGMASK),
            ncg,
            bsize,
            fsize,
            frag,
            minfree,
            bshift,
            fshift,
            fragshift,
            fsbtodb,
            sbsize,
            nindir,
            inopb,
            optim: o.i32(b, off::OPTIM),
            id: [o.u32(b, off::ID), o.u32(b, off::ID + 4)],
            cssize,
            cgsize,
            old_cpg,
            ipg,
            fpg,
            clean: o.u8(b, off::CLEAN),
            old_flags,
            fsmnt: cstr(b, off::FSMNT, MAXMNTLEN).to_vec(),
            volname: cstr(b, off::VOLNAME, MAXVOLLEN).to_vec(),
            maxbsize: o.i32(b, off::MAXBSIZE),
            journal_version: o.u8(b, off::JOURNAL_VERSION),
            journal_location: o.u8(b, off::JOURNAL_LOCATION),
            journal_flags: o.u32(b, off::JOURNAL_FLAGS),
            journallocs,
            cstotal,
            time,
            size,
            dsize,
            csaddr,
            pendingblocks: o.i64(b, off::PENDINGBLOCKS),
            pendinginodes: o.i32(b, off::PENDINGINODES),
            flags,
            contigsumsize,
            maxsymlinklen: o.i32(b, off::MAXSYMLINKLEN),
            old_inodefmt,
            maxfilesize,
            fs_maxfilesize,
            numclusters: if ufs == Ufs::Ufs1 && !updated { 0 } else { o.i64(b, off::NUMCLUSTERS) },
            old: OldGeometry {
                rps: o.i32(b, off::RPS),
                nspf: o.i32(b, off::NSPF),
                interleave: o.i32(b, off::INTERLEAVE),
                trackskew: o.i32(b, off::TRACKSKEW),
                npsect: o.i32(b, off::NPSECT),
                nsect: o.i32(b, off::NSECT),
                spc: o.i32(b, off::SPC),
                ncyl: o.i32(b, off::NCYL),
                postblformat: o.i32(b, off::OLD_POSTBLFORMAT),
                nrpos: o.i32(b, off::OLD_NRPOS),
            },
            maxcontig: o.i32(b, off::MAXCONTIG),
            maxbpg,
            avgfilesize: o.u32(b, off::AVGFILESIZE),
            avgfpdir: o.u32(b, off::AVGFPDIR),
            raw,
        })
    }

    /// Whether the superblock has the UFS2 layout fields (UFS2, or UFS1 with FS_FLAGS_UPDATED).
    pub fn has_new_layout(&self) -> bool {
        self.ufs == Ufs::Ufs2 || u32::from(self.old_flags) & FS_FLAGS_UPDATED != 0
    }

    /// Number of inodes (fs_ncg * fs_ipg).
    pub fn ninodes(&self) -> u64 {
        self.ncg as u64 * self.ipg as u64
    }

    /// First fragment of cylinder group `c` (cgstart: UFS1 staggers groups by fs_old_cgoffset). A stagger
    /// that would put a group before fragment 0 or past 2^63 (a damaged fs_old_cgoffset or fs_old_cgmask)
    /// is clamped there: the sums built on it (cgtod, ino_to_fsba) cannot overflow, and land outside the
    /// file system where they are checked.
    pub fn cgstart(&self, c: u32) -> u64 {
        let base = c as u64 * self.fpg as u64;
        if self.ufs == Ufs::Ufs1 {
            let stagger = (self.old_cgoffset as i64).wrapping_mul((c as i64) & !(self.old_cgmask as i64));
            (base as i128 + stagger as i128).clamp(0, i64::MAX as i128) as u64
        } else {
            base
        }
    }

    /// Fragment address of the cylinder group block of group `c` (cgtod).
    pub fn cgtod(&self, c: u32) -> u64 {
        self.cgstart(c) + self.cblkno as u64
    }

    /// Fragment address of the inode block holding `ino` (ino_to_fsba) and the inode's index in it.
    pub fn ino_to_fsba(&self, ino: u64) -> (u64, usize) {
        let cg = (ino / self.ipg as u64) as u32;
        let in_cg = ino % self.ipg as u64;
        let blk = self.cgstart(cg) + self.iblkno as u64 + ((in_cg / self.inopb as u64) << self.fragshift);
        (blk, (ino % self.inopb as u64) as usize)
    }

    /// Byte offset on the device of fragment address `frag`.
    pub fn frag_to_bytes(&self, frag: u64) -> u64 {
        frag << self.fshift
    }

    /// Whether the file system's own clean flag is set.
    pub fn is_clean(&self) -> bool {
        self.clean & FS_ISCLEAN != 0
    }

    /// Whether directory entries carry d_type (NetBSD's IMNT_DTYPE: fs_maxsymlinklen > 0; 4.2BSD-format
    /// file systems have neither).
    pub fn has_dtype(&self) -> bool {
        self.maxsymlinklen > 0
    }

    /// Human-readable fs_flags.
    pub fn flag_names(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        for (bit, name) in [
            (FS_UNCLEAN, "unclean"),
            (FS_DOSOFTDEP, "soft-dependencies"),
            (FS_POSIX1EACLS, "posix1e-acls"),
            (FS_DOWAPBL, "wapbl"),
            (FS_DOQUOTA2, "quota2"),
            (0x400, "trim"),
            (FS_NFS4ACLS, "nfs4-acls"),
        ] {
            if self.flags & bit != 0 {
                v.push(name);
            }
        }
        v
    }
}

#[cfg(test)]
mod tests;
