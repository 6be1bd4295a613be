//! newfs: an empty FFS laid out as NetBSD's sbin/newfs (newfs.c's defaults, mkfs.c's layout). The
//! superblock at 65536 (UFS2) or 8192 (UFS1), a backup superblock, cylinder group block and the first
//! inode blocks in every group (UFS1 initialises every inode block; UFS2 the first two per group and
//! the kernel the rest as they are needed, cg_initediblk), the per-group summary array at the start of
//! group 0's data, and the root directory (inode 2, `.` and `..`).
//!
//! The result depends only on the options, the device's prior contents where nothing is written
//! (start from zeros for a reproducible image) and the hypervisor's clock and randomness: under
//! `DeterministicHypervisor` the same options give the same bytes.

use super::cg::{Cg, Cs, MapLayout};
use super::dir::{dirsiz, put_entry, DirFormat, DIRBLKSIZ};
use super::endian::ByteOrder;
use super::inode::Dinode;
use super::superblock::{addressable_bytes, ROOTINO, SBLOCKSIZE};
use super::superblock::{clear_magic, write_csum, CsTotal, OldGeometry, Superblock, Ufs, SIZEOF_CG, SIZEOF_FS};
use super::superblock::{FS_44INODEFMT, FS_FLAGS_UPDATED, FS_ISCLEAN, MAXBSIZE, MAXFRAG, MAXVOLLEN, MINBSIZE};
use crate::dev::BlockDevice;
use crate::errno::{Errno, KResult};
use crate::hyper::Hypervisor;
use crate::vfs::types::{DT_DIR, S_IFDIR};
use std::fmt;

const SECTOR: u64 = 512;
const SMALL_FSSIZE: u64 = 20 * 1024 * 2;
const MEDIUM_FSSIZE: u64 = 1000 * 1024 * 2;
const MINCYLGRPS: u64 = 4;
const NFPI: u64 = 4;
const MAXPHYS: u64 = 65536;
const FS_MAXCONTIG: i32 = 16;

/// What `newfs` is asked for (newfs(8)'s options). Zero means "the default".
#[derive(Clone, Debug)]
pub struct NewfsOptions {
    /// 1 (FFSv1) or 2 (FFSv2, the default here).
    pub ufs: u8,
    /// Block size (-b); default 8 × the fragment size.
    pub bsize: u32,
    /// Fragment size (-f); default 512, 1024 or 2048 by the file system's size.
    pub fsize: u32,
    /// Byte order (-B be|le).
    pub order: ByteOrder,
    /// Size in bytes; default the whole device.
    pub size: u64,
    /// Number of inodes (-n); overrides `density`.
    pub inodes: u64,
    /// Bytes of data per inode (-i); default 4 fragments.
    pub density: u32,
    /// Volume name (fs_volname; newfs -v), at most 31 bytes.
    pub volname: String,
    /// Reserved free space in percent (-m), default 5.
    pub minfree: u32,
    /// Optimise for space (-o space) rather than time.
    pub optim_space: bool,
    /// Expected average file size (-g) and files per directory (-h).
    pub avgfilesize: u32,
    pub avgfpdir: u32,
    /// Blocks a file may take from one group before moving on (-e); default one indirect block's worth.
    pub maxbpg: u32,
    /// Contiguous blocks clustered (-a); default MAXPHYS / block size.
    pub maxcontig: u32,
    /// Owner of the root directory (newfs uses the caller's; 0 here).
    pub root_uid: u32,
    pub root_gid: u32,
}

impl Default for NewfsOptions {
    fn default() -> NewfsOptions {
        NewfsOptions {
            ufs: 2,
            bsize: 0,
            fsize: 0,
            order: ByteOrder::Little,
            size: 0,
            inodes: 0,
            density: 0,
            volname: String::new(),
            minfree: 5,
            optim_space: false,
            avgfilesize: 16384,
            avgfpdir: 64,
            maxbpg: 0,
            maxcontig: 0,
            root_uid: 0,
            root_gid: 0,
        }
    }
}

/// What was made (newfs's summary lines).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewfsReport {
    pub ufs: u8,
    pub order: ByteOrder,
    pub size_bytes: u64,
    pub sectors: u64,
    pub bsize: u32,
    pub fsize: u32,
    pub ncg: u32,
    pub fpg: u32,
    pub ipg: u32,
    pub inodes: u64,
    pub superblock_at: u64,
    /// Backup superblocks, in 512-byte sectors (fsck_ffs -b).
    pub backups: Vec<u64>,
    pub volname: String,
}

impl fmt::Display for NewfsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mb = |b: u64| b as f64 / (1024.0 * 1024.0);
        writeln!(
            f,
            "FFSv{} ({}){}: {:.1}MB ({} sectors) block size {}, fragment size {}",
            self.ufs,
            self.order.name(),
            if self.volname.is_empty() { String::new() } else { format!(" \"{}\"", self.volname) },
            mb(self.size_bytes),
            self.sectors,
            self.bsize,
            self.fsize
        )?;
        writeln!(
            f,
            "\tusing {} cylinder groups of {:.2}MB, {} blks, {} inodes.",
            self.ncg,
            mb(self.fpg as u64 * self.fsize as u64),
            self.fpg / (self.bsize / self.fsize),
            self.ipg
        )?;
        write!(f, "super-block backups (for fsck_ffs -b #) at:")?;
        let width = self.backups.last().map_or(1, |b| b.to_string().len());
        let cols = (80 / (width + 2)).max(1);
        for (i, b) in self.backups.iter().enumerate() {
            if i % cols == 0 {
                writeln!(f)?;
            }
            write!(f, " {b:>width$},")?;
        }
        writeln!(f)
    }
}

/// The layout mkfs computes.
struct Plan {
    ufs2: bool,
    bsize: u64,
    fsize: u64,
    frag: u64,
    fragshift: u32,
    fsbtodb: u32,
    size: u64,
    ncg: u64,
    fpg: u64,
    ipg: u64,
    inopb: u64,
    nindir: u64,
    sblockloc: u64,
    sblkno: u64,
    cblkno: u64,
    iblkno: u64,
    dblkno: u64,
    cgsize: u64,
    csaddr: u64,
    cssize: u64,
    sbsize: u64,
    dsize: u64,
    maxfilesize: u64,
    maxcontig: i32,
    contigsumsize: i32,
    maxbpg: u32,
    minfree: u32,
    optim: i32,
    old_cpg: u64,
}

fn ilog2(x: u64) -> u32 {
    63 - x.leading_zeros()
}

fn cgsize_if(old_cpg: u64, contigsumsize: i32, fragshift: u32, ipg: u64, fpg: u64) -> u64 {
    // sizeof(struct cg) is 176 with its padding (the maps start at 168, cg_space).
    let mut s = SIZEOF_CG + 4 + old_cpg * 4 + old_cpg * 2 + ipg.div_ceil(8) + fpg.div_ceil(8);
    if contigsumsize > 0 {
        s += contigsumsize as u64 * 4 + (fpg >> fragshift).div_ceil(8);
    }
    s
}

fn plan(o: &NewfsOptions, dev_size: u64) -> Result<Plan, String> {
    if o.ufs != 1 && o.ufs != 2 {
        return Err(format!("format {} (use 1 or 2)", o.ufs));
    }
    let ufs2 = o.ufs == 2;
    let bytes = if o.size == 0 { dev_size } else { o.size };
    if bytes > dev_size {
        return Err(format!("size {bytes} exceeds the device's {dev_size} bytes"));
    }
    let fssize = bytes / SECTOR;
    let mut fsize = o.fsize as u64;
    if fsize == 0 {
        fsize = o.bsize as u64 / 8;
        if fsize == 0 {
            fsize = if fssize < SMALL_FSSIZE {
                512
            } else if fssize < MEDIUM_FSSIZE {
                1024
            } else {
                2048
            };
        }
    }
    let bsize = if o.bsize == 0 { 8 * fsize } else { o.bsize as u64 };
    if !bsize.is_power_of_two() {
        return Err(format!("block size must be a power of 2, not {bsize}"));
    }
    if !fsize.is_power_of_two() {
        return Err(format!("fragment size must be a power of 2, not {fsize}"));
    }
    if fsize < SECTOR {
        return Err(format!("fragment size {fsize} is too small, minimum is {SECTOR}"));
    }
    if bsize < MINBSIZE as u64 || bsize > MAXBSIZE as u64 {
        return Err(format!("block size {bsize} is out of range ({MINBSIZE}..{MAXBSIZE})"));
    }
    if bsize < fsize {
        return Err(format!("block size ({bsize}) cannot be smaller than fragment size ({fsize})"));
    }
    let frag = bsize / fsize;
    if frag > MAXFRAG as u64 {
        return Err(format!(
            "fragment size {fsize} is too small, minimum with block size {bsize} is {}",
            bsize / MAXFRAG as u64
        ));
    }
    let fragshift = ilog2(frag);
    let mut maxcontig =
        if o.maxcontig == 0 { (MAXPHYS.min(MAXBSIZE as u64) / bsize).max(1) as i32 } else { o.maxcontig as i32 };
    if maxcontig < 1 {
        maxcontig = 1;
    }
    let contigsumsize = if maxcontig > 1 { maxcontig.min(FS_MAXCONTIG) } else { 0 };
    let fsbtodb = ilog2(fsize / SECTOR);
    let mut size = fssize >> fsbtodb;
    let (sblockloc, nindir, inopb, old_cpg) = if ufs2 {
        (65536u64, bsize / 8, bsize / 256, 0u64)
    } else {
        if size >= 1 << 31 {
            return Err(format!("too many fragments ({size}) for a UFS1 file system"));
        }
        (8192u64, bsize / 4, bsize / 128, 1u64)
    };
    let sblkno = (sblockloc + SBLOCKSIZE as u64).div_ceil(fsize).div_ceil(frag) * frag;
    let cblkno = sblkno + (SBLOCKSIZE as u64).div_ceil(fsize).div_ceil(frag) * frag;
    let iblkno = cblkno + frag;
    let maxfilesize = addressable_bytes(bsize, nindir);
    if size < iblkno + 3 * frag {
        return Err(format!("file system size {size} fragments < minimum size of {}", iblkno + 3 * frag));
    }
    let density = if o.density == 0 { NFPI * fsize } else { o.density as u64 };
    let mut inodeblks = if o.inodes != 0 {
        o.inodes.div_ceil(inopb)
    } else {
        let fragsperinodeblk = ((density * inopb) >> ilog2(fsize)).max(1);
        (size - iblkno) / (frag + fragsperinodeblk)
    };
    if inodeblks == 0 {
        inodeblks = 1;
    }
    if inodeblks > (size - iblkno) / frag - 2 {
        inodeblks = (size - iblkno) / frag - 2;
    }
    if inodeblks * inopb >= 1 << 31 {
        inodeblks = ((1u64 << 31) - 8) / inopb;
    }
    let cgzero = cgsize_if(old_cpg, contigsumsize, fragshift, 0, 0);
    let cgall = cgsize_if(old_cpg, contigsumsize, fragshift, inodeblks * inopb, size);
    let mut ncg = (cgall - cgzero).div_ceil(bsize - cgzero - 1);
    if ncg < MINCYLGRPS {
        let i = size / 2 / (iblkno + inodeblks * frag);
        if i > ncg {
            ncg = i;
        }
        ncg = ncg.min(MINCYLGRPS).min(inodeblks).max(1);
    }
    let mut fpg = size.div_ceil(ncg).div_ceil(frag) * frag;
    let i = cgsize_if(old_cpg, contigsumsize, fragshift, inodeblks * inopb / ncg, fpg);
    if i > bsize {
        fpg -= (i - bsize) * 8;
    }
    ncg = size.div_ceil(fpg);
    inodeblks /= ncg;
    if inodeblks == 0 {
        inodeblks = 1;
    }
    let ipg = inodeblks * inopb;
    let cgs = cgsize_if(old_cpg, contigsumsize, fragshift, ipg, fpg);
    if cgs > bsize {
        return Err(format!("CGSIZE miscalculated {cgs} > {bsize}"));
    }
    let last = size - fpg * (ncg - 1);
    if last < iblkno + inodeblks * frag {
        ncg -= 1;
        size -= last;
    }
    if ncg == 0 {
        return Err("no room for a cylinder group".into());
    }
    let cgsize = cgs.div_ceil(fsize) * fsize;
    let inopf = inopb >> fragshift;
    let dblkno = iblkno + ipg / inopf;
    let csaddr = dblkno;
    let cssize = (ncg * 16).div_ceil(fsize) * fsize;
    let sbsize = (SIZEOF_FS as u64).div_ceil(fsize) * fsize;
    let csfrags = cssize.div_ceil(fsize);
    let dsize = size - sblkno - ncg * (dblkno - sblkno) - csfrags;
    if dblkno + csfrags >= fpg.min(size) {
        return Err("too many cylinder groups to fit summary information into the first cylinder group".into());
    }
    let minfree = o.minfree.min(99);
    let optim = if o.optim_space || minfree < 5 { 1 } else { 0 };
    let maxbpg = if o.maxbpg != 0 { o.maxbpg } else { (nindir) as u32 };
    Ok(Plan {
        ufs2,
        bsize,
        fsize,
        frag,
        fragshift,
        fsbtodb,
        size,
        ncg,
        fpg,
        ipg,
        inopb,
        nindir,
        sblockloc,
        sblkno,
        cblkno,
        iblkno,
        dblkno,
        cgsize,
        csaddr,
        cssize,
        sbsize: sbsize.min(SBLOCKSIZE as u64),
        dsize,
        maxfilesize,
        maxcontig,
        contigsumsize,
        maxbpg,
        minfree,
        optim,
        old_cpg,
    })
}

/// Checks the options against a device of `dev_size` bytes; the message says what is wrong (as
/// newfs prints it).
pub fn check(opts: &NewfsOptions, dev_size: u64) -> Result<(), String> {
    if opts.volname.len() >= MAXVOLLEN {
        return Err(format!("volume name longer than {} bytes", MAXVOLLEN - 1));
    }
    plan(opts, dev_size).map(|_| ())
}

/// The numbers of the layout `newfs` would make on a device of `dev_size` bytes, without writing
/// anything (makefs sizes an image with them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub bsize: u64,
    pub fsize: u64,
    /// File-system size in fragments.
    pub size: u64,
    pub ncg: u64,
    pub fpg: u64,
    pub ipg: u64,
    /// Every inode (ncg × ipg, the first two reserved).
    pub inodes: u64,
    /// Fragments for data (fs_dsize): the size less superblocks, group headers, inodes and summaries.
    pub dsize: u64,
    /// Block pointers per indirect block.
    pub nindir: u64,
    pub minfree: u32,
}

/// The layout for `opts` on a device of `dev_size` bytes (the message says why there is none).
pub fn layout(opts: &NewfsOptions, dev_size: u64) -> Result<Layout, String> {
    let p = plan(opts, dev_size)?;
    Ok(Layout {
        bsize: p.bsize,
        fsize: p.fsize,
        size: p.size,
        ncg: p.ncg,
        fpg: p.fpg,
        ipg: p.ipg,
        inodes: p.ncg * p.ipg,
        dsize: p.dsize,
        nindir: p.nindir,
        minfree: p.minfree,
    })
}

/// Builds one cylinder group block (mkfs.c's initcg) and returns it with its summary.
fn initcg(p: &Plan, o: ByteOrder, c: u64, now: i64) -> (Vec<u8>, CsTotal) {
    let mut g = Cg { b: vec![0u8; p.cgsize as usize], o };
    let cbase = p.fpg * c;
    let dmax = (cbase + p.fpg).min(p.size);
    let dlower = p.sblkno;
    let mut dupper = p.dblkno;
    if c == 0 {
        dupper += p.cssize.div_ceil(p.fsize);
    }
    let ndblk = dmax - cbase;
    g.set_magic();
    g.set_cgx(c as u32);
    g.set_ndblk(ndblk as u32);
    let nclusterblks = if p.contigsumsize > 0 { ndblk >> p.fragshift } else { 0 };
    g.set_nclusterblks(nclusterblks as u32);
    let contig = p.contigsumsize.max(0) as usize;
    let l = MapLayout::new(p.ufs2, p.old_cpg as usize, 1, p.ipg as usize, p.fpg as usize, contig, p.fragshift);
    if p.ufs2 {
        g.set_new_time(now);
        g.set_niblk(p.ipg as u32);
        g.set_initediblk(p.ipg.min(2 * p.inopb) as u32);
    } else {
        g.set_old_counts(p.old_cpg as u16, p.ipg as u16);
        g.set_old_time(now);
    }
    g.set_layout(&l, p.ufs2);
    let mut cs = CsTotal { ndir: 0, nbfree: 0, nifree: p.ipg as i64, nffree: 0 };
    if c == 0 {
        for i in 0..ROOTINO {
            g.set_inode_used(i, true);
            cs.nifree -= 1;
        }
    }
    let setblock = |g: &mut Cg<Vec<u8>>, blkno: u64, cs: &mut CsTotal| {
        for i in 0..p.frag {
            g.set_frag_free(blkno * p.frag + i, true);
        }
        if p.contigsumsize > 0 {
            g.set_cluster_free(blkno, true);
        }
        cs.nbfree += 1;
        if !p.ufs2 {
            // One cylinder, one rotational position.
            g.count_old_rotational(&l, 1, 0, 0);
        }
    };
    if c > 0 {
        let mut d = 0;
        while d < dlower {
            setblock(&mut g, d / p.frag, &mut cs);
            d += p.frag;
        }
    }
    let i = dupper & (p.frag - 1);
    if i != 0 {
        g.add_frsum((p.frag - i) as u32, 1);
        let end = dupper + p.frag - i;
        while dupper < end {
            g.set_frag_free(dupper, true);
            cs.nffree += 1;
            dupper += 1;
        }
    }
    let mut d = dupper;
    while d + p.frag <= ndblk {
        setblock(&mut g, d / p.frag, &mut cs);
        d += p.frag;
    }
    if d < ndblk {
        g.add_frsum((ndblk - d) as u32, 1);
        while d < ndblk {
            g.set_frag_free(d, true);
            cs.nffree += 1;
            d += 1;
        }
    }
    if p.contigsumsize > 0 {
        g.count_cluster_runs(nclusterblks, contig);
    }
    g.set_cs(Cs::Ndir, cs.ndir);
    g.set_cs(Cs::Nbfree, cs.nbfree);
    g.set_cs(Cs::Nifree, cs.nifree);
    g.set_cs(Cs::Nffree, cs.nffree);
    (g.b, cs)
}

/// The superblock bytes (struct fs, then zeros to SBLOCKSIZE) for the plan.
fn superblock(p: &Plan, o: ByteOrder, opts: &NewfsOptions, now: i64, id1: u32, cs: &CsTotal) -> Vec<u8> {
    let nspf = (p.fsize / SECTOR) as i32;
    let sectors = p.fpg as i32 * nspf;
    let old = if p.ufs2 {
        OldGeometry::default()
    } else {
        OldGeometry {
            rps: 60,
            nspf,
            interleave: 1,
            trackskew: 0,
            npsect: sectors,
            nsect: sectors,
            spc: sectors,
            ncyl: p.ncg as i32,
            postblformat: 1,
            nrpos: 1,
        }
    };
    Superblock {
        order: o,
        ufs: if p.ufs2 { Ufs::Ufs2 } else { Ufs::Ufs1 },
        sblockloc: p.sblockloc,
        raw: Vec::new(),
        sblkno: p.sblkno as u32,
        cblkno: p.cblkno as u32,
        iblkno: p.iblkno as u32,
        dblkno: p.dblkno as u32,
        old_cgoffset: 0,
        old_cgmask: if p.ufs2 { 0 } else { -1 },
        ncg: p.ncg as u32,
        bsize: p.bsize as u32,
        fsize: p.fsize as u32,
        frag: p.frag as u32,
        minfree: p.minfree,
        bshift: ilog2(p.bsize),
        fshift: ilog2(p.fsize),
        fragshift: p.fragshift,
        fsbtodb: p.fsbtodb,
        sbsize: p.sbsize as u32,
        nindir: p.nindir as u32,
        inopb: p.inopb as u32,
        optim: p.optim,
        id: [now as u32, id1],
        cssize: p.cssize as u32,
        cgsize: p.cgsize as u32,
        old_cpg: p.old_cpg as i32,
        ipg: p.ipg as u32,
        fpg: p.fpg as u32,
        clean: FS_ISCLEAN,
        old_flags: FS_FLAGS_UPDATED as u8,
        fsmnt: Vec::new(),
        volname: opts.volname.as_bytes().to_vec(),
        maxbsize: p.bsize as i32,
        journal_version: 0,
        journal_location: 0,
        journal_flags: 0,
        journallocs: [0; 4],
        cstotal: *cs,
        time: now,
        size: p.size,
        dsize: p.dsize,
        csaddr: p.csaddr,
        pendingblocks: 0,
        pendinginodes: 0,
        flags: 0,
        contigsumsize: p.contigsumsize,
        maxsymlinklen: if p.ufs2 { 120 } else { 60 },
        old_inodefmt: FS_44INODEFMT,
        maxfilesize: p.maxfilesize,
        fs_maxfilesize: p.maxfilesize,
        numclusters: 0,
        old,
        maxcontig: p.maxcontig,
        maxbpg: p.maxbpg,
        avgfilesize: opts.avgfilesize.max(1),
        avgfpdir: opts.avgfpdir.max(1),
    }
    .encode()
}

fn random_u32(hyper: &dyn Hypervisor) -> KResult<u32> {
    let mut r = [0u8; 4];
    hyper.random(&mut r)?;
    Ok(u32::from_le_bytes(r))
}

/// Lays out an empty file system on `dev` as NetBSD's newfs would.
pub fn newfs(dev: &dyn BlockDevice, opts: &NewfsOptions, hyper: &dyn Hypervisor) -> KResult<NewfsReport> {
    if dev.readonly() {
        return Err(Errno::EROFS);
    }
    if opts.volname.len() >= MAXVOLLEN {
        return Err(Errno::EINVAL);
    }
    let p = plan(opts, dev.size()).map_err(|_| Errno::EINVAL)?;
    let o = opts.order;
    let now = hyper.wall_clock();
    let fb = |f: u64| f * p.fsize;
    let ufs = if p.ufs2 { Ufs::Ufs2 } else { Ufs::Ufs1 };
    let isz = ufs.dinode_size() as u64;

    // Old superblocks elsewhere would confuse a later search: their magic goes.
    for loc in [65536u64, 8192, 262144] {
        if loc != p.sblockloc && loc + SBLOCKSIZE as u64 <= fb(p.size) && loc < fb(p.fpg) {
            clear_magic(dev, loc)?;
        }
    }

    // The groups, then the backup superblocks (with the totals newfs computed before the root
    // directory was made, as mkfs writes them).
    let mut cgs = Vec::with_capacity(p.ncg as usize);
    let mut total = CsTotal::default();
    for c in 0..p.ncg {
        let (b, cs) = initcg(&p, o, c, now.sec);
        total.nbfree += cs.nbfree;
        total.nifree += cs.nifree;
        total.nffree += cs.nffree;
        cgs.push((b, cs));
    }
    let id1 = random_u32(hyper)? & 0x7fff_ffff;
    let backup = superblock(&p, o, opts, now.sec, id1, &total);
    let sbslot = p.bsize.max(SBLOCKSIZE as u64) as usize;
    let mut backups = Vec::new();
    // Inode blocks written with each group: UFS2 the first two, UFS1 all of them.
    let ino_blocks = if p.ufs2 { (2 * p.inopb).min(p.ipg) / p.inopb } else { p.ipg / p.inopb };
    for c in 0..p.ncg {
        let cstart = p.fpg * c;
        let mut head = vec![0u8; sbslot + p.bsize as usize];
        head[..SIZEOF_FS].copy_from_slice(&backup[..SIZEOF_FS]);
        head[sbslot..sbslot + p.cgsize as usize].copy_from_slice(&cgs[c as usize].0);
        dev.write_at(fb(cstart + p.sblkno), &head)?;
        backups.push(fb(cstart + p.sblkno) / SECTOR);
        let chunk = 16u64;
        let mut i = 0;
        while i < ino_blocks {
            let n = chunk.min(ino_blocks - i);
            let mut blk = vec![0u8; (n * p.bsize) as usize];
            let mut r = vec![0u8; (4 * n * p.inopb) as usize];
            hyper.random(&mut r)?;
            for k in 0..(n * p.inopb) as usize {
                let g = u32::from_le_bytes([r[4 * k], r[4 * k + 1], r[4 * k + 2], r[4 * k + 3]]) & 0x7fff_ffff;
                super::inode::put_gen(&mut blk, k, o, ufs, g);
            }
            dev.write_at(fb(cstart + p.iblkno + i * p.frag), &blk)?;
            i += n;
        }
    }

    // The root directory: one fragment of a block from group 0 (mkfs.c's alloc and iput).
    let mut cg0 = Cg { b: cgs.remove(0).0, o };
    let ndblk = cg0.ndblk() as u64;
    let mut d = 0;
    while d < ndblk && !(0..p.frag).all(|i| cg0.frag_free(d + i)) {
        d += p.frag;
    }
    if d >= ndblk {
        return Err(Errno::ENOSPC);
    }
    cg0.set_frag_free(d, false);
    let mut cs0 = CsTotal { ndir: 1, nbfree: -1, nifree: -1, nffree: 0 };
    if p.frag > 1 {
        cg0.add_frsum((p.frag - 1) as u32, 1);
        cs0.nffree += p.frag as i64 - 1;
    }
    // The block leaves the cluster map: its run splits.
    cg0.cluster_account(p.contigsumsize, d / p.frag, -1);
    cg0.set_inode_used(ROOTINO, true);
    cg0.add_cs(Cs::Ndir, cs0.ndir);
    cg0.add_cs(Cs::Nbfree, cs0.nbfree);
    cg0.add_cs(Cs::Nifree, cs0.nifree);
    cg0.add_cs(Cs::Nffree, cs0.nffree);
    let [ndir, nbfree, nifree, nffree] = cg0.cs_all();
    let c0 = CsTotal { ndir, nbfree, nifree, nffree };
    dev.write_at(fb(p.cblkno), &cg0.b)?;
    total.ndir += cs0.ndir;
    total.nbfree += cs0.nbfree;
    total.nifree += cs0.nifree;
    total.nffree += cs0.nffree;

    // Its block: `.` and `..` in one chunk, the rest of the fragment zero.
    let fmt = DirFormat { order: o, dtype: true };
    let mut dirblk = vec![0u8; p.fsize as usize];
    put_entry(&mut dirblk, 0, fmt, ROOTINO as u32, dirsiz(1) as u16, DT_DIR, b".");
    put_entry(&mut dirblk, dirsiz(1), fmt, ROOTINO as u32, (DIRBLKSIZ - dirsiz(1)) as u16, DT_DIR, b"..");
    dev.write_at(fb(d), &dirblk)?;

    // Its inode.
    let mut root = Dinode::decode(&vec![0u8; isz as usize], o, ufs, false);
    root.mode = (S_IFDIR | 0o755) as u16;
    root.nlink = 2;
    root.uid = opts.root_uid;
    root.gid = opts.root_gid;
    root.size = DIRBLKSIZ as u64;
    root.blocks = p.fsize / SECTOR;
    root.db[0] = d;
    root.atime = now;
    root.mtime = now;
    root.ctime = now;
    if p.ufs2 {
        root.birthtime = now;
    }
    root.gen = random_u32(hyper)? & 0x7fff_ffff;
    let iblk_at = fb(p.iblkno);
    let mut iblk = vec![0u8; p.bsize as usize];
    dev.read_at(iblk_at, &mut iblk)?;
    let r = (ROOTINO * isz) as usize;
    iblk[r..r + isz as usize].fill(0);
    root.encode(&mut iblk[r..r + isz as usize], o, ufs, false);
    dev.write_at(iblk_at, &iblk)?;

    // The summary array, then the primary superblock with the final totals.
    let mut csum = vec![0u8; p.cssize as usize];
    for c in 0..p.ncg as usize {
        write_csum(&mut csum, o, c, if c == 0 { &c0 } else { &cgs[c - 1].1 });
    }
    dev.write_at(fb(p.csaddr), &csum)?;
    let primary = superblock(&p, o, opts, now.sec, id1, &total);
    let upto = fb(p.sblkno) - p.sblockloc;
    let mut sbuf = vec![0u8; upto as usize];
    sbuf[..SIZEOF_FS].copy_from_slice(&primary[..SIZEOF_FS]);
    dev.write_at(p.sblockloc, &sbuf)?;
    dev.flush()?;
    Ok(NewfsReport {
        ufs: if p.ufs2 { 2 } else { 1 },
        order: o,
        size_bytes: fb(p.size),
        sectors: fb(p.size) / SECTOR,
        bsize: p.bsize as u32,
        fsize: p.fsize as u32,
        ncg: p.ncg as u32,
        fpg: p.fpg as u32,
        ipg: p.ipg as u32,
        inodes: p.ncg * p.ipg,
        superblock_at: p.sblockloc,
        backups,
        volname: opts.volname.clone(),
    })
}
