//! Writing superblocks: the whole of one for newfs, the fields that change after it for the write side
//! and fsck, and the summary array.

use super::{
    off, CsTotal, Superblock, Ufs, FS_DOWAPBL, FS_UFS1_MAGIC, FS_UFS2_MAGIC, MAXMNTLEN, MAXVOLLEN, SBLOCKSIZE,
};
use crate::dev::BlockDevice;
use crate::errno::KResult;
use crate::fs::ffs::endian::ByteOrder;

impl Superblock {
    /// The superblock's bytes (SBLOCKSIZE, zeros after `struct fs`) from the fields held, in the layout
    /// NetBSD 2 and later write (FS_FLAGS_UPDATED): a UFS1 one carries the old copies of the sizes,
    /// times and totals, and its disk geometry, too. newfs makes its superblocks with this.
    pub fn encode(&self) -> Vec<u8> {
        let o = self.order;
        let mut v = vec![0u8; SBLOCKSIZE];
        let b = &mut v[..];
        for (at, x) in [
            (off::SBLKNO, self.sblkno),
            (off::CBLKNO, self.cblkno),
            (off::IBLKNO, self.iblkno),
            (off::DBLKNO, self.dblkno),
            (off::OLD_CGOFFSET, self.old_cgoffset as u32),
            (off::OLD_CGMASK, self.old_cgmask as u32),
            (off::NCG, self.ncg),
            (off::BSIZE, self.bsize),
            (off::FSIZE, self.fsize),
            (off::FRAG, self.frag),
            (off::MINFREE, self.minfree),
            (off::BMASK, !(self.bsize - 1)),
            (off::FMASK, !(self.fsize - 1)),
            (off::BSHIFT, self.bshift),
            (off::FSHIFT, self.fshift),
            (off::MAXCONTIG, self.maxcontig as u32),
            (off::MAXBPG, self.maxbpg),
            (off::FRAGSHIFT, self.fragshift),
            (off::FSBTODB, self.fsbtodb),
            (off::SBSIZE, self.sbsize),
            (off::NINDIR, self.nindir),
            (off::INOPB, self.inopb),
            (off::OPTIM, self.optim as u32),
            (off::ID, self.id[0]),
            (off::ID + 4, self.id[1]),
            (off::CSSIZE, self.cssize),
            (off::CGSIZE, self.cgsize),
            (off::OLD_CPG, self.old_cpg as u32),
            (off::IPG, self.ipg),
            (off::FPG, self.fpg),
            (off::MAXBSIZE, self.maxbsize as u32),
            (off::JOURNAL_FLAGS, self.journal_flags),
            (off::PENDINGINODES, self.pendinginodes as u32),
            (off::FLAGS, self.flags),
            (off::CONTIGSUMSIZE, self.contigsumsize as u32),
            (off::MAXSYMLINKLEN, self.maxsymlinklen as u32),
            (off::OLD_INODEFMT, self.old_inodefmt as u32),
            (off::AVGFILESIZE, self.avgfilesize),
            (off::AVGFPDIR, self.avgfpdir),
            (off::MAGIC, if self.ufs == Ufs::Ufs2 { FS_UFS2_MAGIC } else { FS_UFS1_MAGIC }),
        ] {
            o.put_u32(b, at, x);
        }
        for (at, x) in [
            (off::SBLOCKLOC, self.sblockloc),
            (off::SIZE, self.size),
            (off::DSIZE, self.dsize),
            (off::CSADDR, self.csaddr),
            (off::PENDINGBLOCKS, self.pendingblocks as u64),
            (off::MAXFILESIZE, self.fs_maxfilesize),
            (off::QBMASK, self.bsize as u64 - 1),
            (off::QFMASK, self.fsize as u64 - 1),
        ] {
            o.put_u64(b, at, x);
        }
        b[off::CLEAN] = self.clean;
        b[off::OLD_FLAGS] = self.old_flags;
        b[off::JOURNAL_VERSION] = self.journal_version;
        b[off::JOURNAL_LOCATION] = self.journal_location;
        for (i, &j) in self.journallocs.iter().enumerate() {
            o.put_u64(b, off::JOURNALLOCS + 8 * i, j);
        }
        let mut w = SbMut { b, o, ufs: self.ufs, new_layout: true };
        w.set_fsmnt(&self.fsmnt);
        w.set_volname(&self.volname);
        w.set_cstotal(&self.cstotal);
        w.set_numclusters(self.numclusters);
        w.set_time(self.time);
        if self.ufs == Ufs::Ufs1 {
            let g = &self.old;
            for (at, x) in [
                (off::OLD_SIZE, self.size as u32),
                (off::OLD_DSIZE, self.dsize as u32),
                (off::OLD_CSADDR, self.csaddr as u32),
                (off::RPS, g.rps as u32),
                (off::NSPF, g.nspf as u32),
                (off::INTERLEAVE, g.interleave as u32),
                (off::TRACKSKEW, g.trackskew as u32),
                (off::NPSECT, g.npsect as u32),
                (off::NSECT, g.nsect as u32),
                (off::SPC, g.spc as u32),
                (off::NCYL, g.ncyl as u32),
                (off::OLD_POSTBLFORMAT, g.postblformat as u32),
                (off::OLD_NRPOS, g.nrpos as u32),
            ] {
                o.put_u32(b, at, x);
            }
        }
        v
    }

    /// The superblock's own bytes (`raw`) for changing.
    pub fn raw_mut(&mut self) -> SbMut<'_> {
        let new_layout = self.has_new_layout();
        SbMut { b: &mut self.raw, o: self.order, ufs: self.ufs, new_layout }
    }

    /// Whether the superblock bytes `alt` (an alternate) agree with this one on the geometry fsck's
    /// cmpsblks compares: the group layout, the sizes and shifts, the counts per block and group.
    pub fn geometry_matches(&self, alt: &[u8]) -> bool {
        const GEOMETRY: [usize; 21] = [
            off::SBLKNO,
            off::CBLKNO,
            off::IBLKNO,
            off::DBLKNO,
            off::NCG,
            off::BSIZE,
            off::FSIZE,
            off::FRAG,
            off::BMASK,
            off::FMASK,
            off::BSHIFT,
            off::FSHIFT,
            off::FRAGSHIFT,
            off::FSBTODB,
            off::SBSIZE,
            off::NINDIR,
            off::INOPB,
            off::CSSIZE,
            off::IPG,
            off::FPG,
            off::MAGIC,
        ];
        GEOMETRY.iter().all(|&at| self.order.u32(alt, at) == self.order.u32(&self.raw, at))
    }
}

/// Superblock bytes being changed: the fields that change after newfs (by mounts, unmounts, syncs and
/// fsck), each written where NetBSD keeps it. `new_layout`: the UFS2-layout fields are in use; `ufs`
/// UFS1 keeps the old copies of the time and totals in step too (ffs_oldfscompat_write).
pub struct SbMut<'a> {
    pub b: &'a mut [u8],
    pub o: ByteOrder,
    pub ufs: Ufs,
    pub new_layout: bool,
}

impl SbMut<'_> {
    /// fs_cstotal (and UFS1's fs_old_cstotal).
    pub fn set_cstotal(&mut self, cs: &CsTotal) {
        let v = [cs.ndir, cs.nbfree, cs.nifree, cs.nffree];
        if self.new_layout {
            for (k, x) in v.iter().enumerate() {
                self.o.put_u64(self.b, off::CSTOTAL + 8 * k, *x as u64);
            }
        }
        if self.ufs == Ufs::Ufs1 {
            for (k, x) in v.iter().enumerate() {
                self.o.put_u32(self.b, off::OLD_CSTOTAL + 4 * k, *x as u32);
            }
        }
    }

    /// fs_cstotal.cs_numclusters (new layout only).
    pub fn set_numclusters(&mut self, n: i64) {
        if self.new_layout {
            self.o.put_u64(self.b, off::NUMCLUSTERS, n as u64);
        }
    }

    /// fs_time (and UFS1's fs_old_time).
    pub fn set_time(&mut self, t: i64) {
        if self.new_layout {
            self.o.put_u64(self.b, off::TIME, t as u64);
        }
        if self.ufs == Ufs::Ufs1 {
            self.o.put_u32(self.b, off::OLD_TIME, t as u32);
        }
    }

    pub fn set_clean(&mut self, clean: u8) {
        self.b[off::CLEAN] = clean;
    }

    /// fs_fmod and fs_ronly, both 0 as ffs_sbupdate writes them.
    pub fn clear_incore_flags(&mut self) {
        self.b[off::FMOD] = 0;
        self.b[off::RONLY] = 0;
    }

    pub fn set_optim(&mut self, optim: i32) {
        self.o.put_u32(self.b, off::OPTIM, optim as u32);
    }

    pub fn set_flags(&mut self, flags: u32) {
        self.o.put_u32(self.b, off::FLAGS, flags);
    }

    /// fs_pendingblocks and fs_pendinginodes.
    pub fn set_pending(&mut self, blocks: u64, inodes: u32) {
        self.o.put_u64(self.b, off::PENDINGBLOCKS, blocks);
        self.o.put_u32(self.b, off::PENDINGINODES, inodes);
    }

    /// fs_fsmnt: where the file system was last mounted (NUL-padded, one byte kept NUL).
    pub fn set_fsmnt(&mut self, name: &[u8]) {
        Self::put_cstr(self.b, off::FSMNT, MAXMNTLEN, name)
    }

    /// fs_volname (NUL-padded, one byte kept NUL).
    pub fn set_volname(&mut self, name: &[u8]) {
        Self::put_cstr(self.b, off::VOLNAME, MAXVOLLEN, name)
    }

    fn put_cstr(b: &mut [u8], at: usize, len: usize, s: &[u8]) {
        if let Some(field) = b.get_mut(at..at + len) {
            let n = s.len().min(len - 1);
            field.fill(0);
            field[..n].copy_from_slice(&s[..n]);
        }
    }

    /// Logging off: FS_DOWAPBL cleared from `flags` and the journal's place forgotten, as a mount
    /// without `-o log` leaves it.
    pub fn clear_journal(&mut self, flags: u32) {
        self.set_flags(flags & !FS_DOWAPBL);
        self.b[off::JOURNAL_VERSION] = 0;
        self.b[off::JOURNAL_LOCATION] = 0;
        self.o.put_u32(self.b, off::JOURNAL_FLAGS, 0);
        for i in 0..4 {
            self.o.put_u64(self.b, off::JOURNALLOCS + 8 * i, 0);
        }
    }
}

/// Clears the magic of a superblock at byte `loc` of `dev`, if one of either order and either format
/// is there (newfs: an old superblock elsewhere would confuse a later search).
pub fn clear_magic(dev: &dyn BlockDevice, loc: u64) -> KResult<()> {
    let at = loc + off::MAGIC as u64;
    let mut m = [0u8; 4];
    dev.read_at(at, &mut m)?;
    let v = u32::from_le_bytes(m);
    let magics = [FS_UFS1_MAGIC, FS_UFS2_MAGIC];
    if magics.contains(&v) || magics.contains(&v.swap_bytes()) {
        dev.write_at(at, &[0; 4])?;
    }
    Ok(())
}

/// Entry `c` of the cylinder-group summary array (fs_csp: `struct csum`, four 32-bit counts a group).
pub fn read_csum(b: &[u8], o: ByteOrder, c: usize) -> CsTotal {
    CsTotal {
        ndir: o.i32(b, 16 * c) as i64,
        nbfree: o.i32(b, 16 * c + 4) as i64,
        nifree: o.i32(b, 16 * c + 8) as i64,
        nffree: o.i32(b, 16 * c + 12) as i64,
    }
}

/// Sets entry `c` of the summary array.
pub fn write_csum(b: &mut [u8], o: ByteOrder, c: usize, cs: &CsTotal) {
    for (k, x) in [cs.ndir, cs.nbfree, cs.nifree, cs.nffree].iter().enumerate() {
        o.put_u32(b, 16 * c + 4 * k, *x as u32);
    }
}
