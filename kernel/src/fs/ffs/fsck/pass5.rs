//! Phase 5 (pass5.c): each cylinder group rebuilt from what phases 1–4 found — inode and fragment
//! bitmaps, the cluster map and its summary, cg_cs and cg_frsum, the old rotational tables of UFS1 —
//! and compared with the one on disk; the summary array and fs_cstotal compared with the sums; the
//! alternate superblocks compared with the primary. Also the writing of the superblock and summaries.

use super::super::cg::CG_MAGIC;
use super::super::superblock::{Ufs, ROOTINO};
use super::*;

/// sizeof the fixed part of struct cg (up to cg_space).
const BASESIZE: usize = 168;

mod cgo {
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
    pub const NCLUSTERBLKS: usize = 112;
    pub const NIBLK: usize = 116;
    pub const INITEDIBLK: usize = 120;
    pub const TIME: usize = 136;
}

/// Superblock fields the alternates must agree on (cmpsblks).
const SB_GEOMETRY: [usize; 21] =
    [8, 12, 16, 20, 44, 48, 52, 56, 72, 76, 80, 84, 96, 100, 104, 116, 120, 156, 184, 188, 1372];

fn setbit(b: &mut [u8], i: usize) {
    b[i / 8] |= 1 << (i % 8);
}

fn isset(b: &[u8], i: usize) -> bool {
    b[i / 8] & (1 << (i % 8)) != 0
}

pub(crate) fn pass5(f: &mut Fsck<'_>) -> FResult<()> {
    let o = f.o;
    let ufs2 = f.ufs == Ufs::Ufs2;
    let upd = updated(&f.sb);
    let raw = f.sb.raw.clone();
    let old_cpg = if ufs2 { 0 } else { o.i32(&raw, 180).max(0) as usize };
    let old_nrpos = if ufs2 { 0 } else { o.i32(&raw, 1360).max(0) as usize };
    let contig = f.sb.contigsumsize.max(0) as usize;
    let ipg = f.sb.ipg as usize;
    let fpg = f.sb.fpg as usize;
    let frag = f.sb.frag as usize;
    let cgsize = f.sb.cgsize as usize;
    f.set_state(1, USTATE);

    let iusedoff = if ufs2 { BASESIZE } else { BASESIZE + old_cpg * 4 + old_cpg * old_nrpos * 2 };
    let freeoff = iusedoff + ipg.div_ceil(8);
    let mut nextfreeoff = freeoff + fpg.div_ceil(8);
    let (mut clustersumoff, mut clusteroff) = (0usize, 0usize);
    if contig > 0 {
        clustersumoff = (nextfreeoff - 4).next_multiple_of(4);
        clusteroff = clustersumoff + (contig + 1) * 4;
        nextfreeoff = clusteroff + (fpg >> f.sb.fragshift).div_ceil(8);
    }
    if nextfreeoff > cgsize {
        return Err(Fatal(format!(
            "BAD SUPER BLOCK: cylinder group maps end at {nextfreeoff}, past fs_cgsize {cgsize}"
        )));
    }
    let mapsize = nextfreeoff - iusedoff;
    let sumsize = if !ufs2 && !upd { iusedoff - BASESIZE } else { 0 };
    let btotoff = BASESIZE;
    let boff = BASESIZE + old_cpg * 4;
    let old_spc = o.i32(&raw, 172).max(0) as u64;
    let fsbtodb = f.sb.fsbtodb;

    // Fragments past the end of the file system, in its last block, are not free.
    let fs_size = f.sb.size;
    let dmax_all = fs_size.div_ceil(f.frag()) * f.frag();
    for d in fs_size..dmax_all {
        f.setbmap(d);
    }
    let mut fix0 = Fix::DontKnow; // free counts
    let mut fix1 = Fix::DontKnow; // bitmaps
    let mut fix2 = Fix::DontKnow; // summary information
    let mut fix3 = Fix::DontKnow; // alternate superblocks
    let mut tot = [0i64; 4]; // ndir, nbfree, nifree, nffree
    let sbsize = f.sb.sbsize as usize;
    for c in 0..f.sb.ncg as u64 {
        let cgoff = f.frag_bytes(f.sb.cgtod(c as u32));
        let mut cg = f.bread(cgoff, cgsize)?;
        if o.u32(&cg, cgo::MAGIC) != CG_MAGIC {
            f.say(&format!("CG {c}: PASS5: BAD MAGIC NUMBER\n"));
            if f.preen {
                return Err(f.unexpected());
            }
            f.record(f.yes);
        }
        // The alternate superblock of this group.
        let asb_off = f.frag_bytes(f.cgsblock(c));
        if asb_off != f.sb.sblockloc && asb_off + sbsize as u64 <= f.dev.size() {
            let asb = f.bread(asb_off, sbsize)?;
            let differs = SB_GEOMETRY.iter().any(|&x| o.u32(&asb, x) != o.u32(&f.sb.raw, x));
            if differs && f.dofix(&mut fix3, "ALTERNATE SUPERBLK(S) ARE INCORRECT", None)? {
                let p = f.sb.raw.clone();
                f.bwrite(asb_off, p);
            }
        }
        let dbase = f.cgbase(c);
        let dmax = (dbase + fpg as u64).min(fs_size);
        let ndblk = (dmax - dbase) as usize;
        let mut n = vec![0u8; cgsize];
        o.put_u32(&mut n, cgo::MAGIC, CG_MAGIC);
        if ufs2 || upd {
            n[cgo::TIME..cgo::TIME + 8].copy_from_slice(&cg[cgo::TIME..cgo::TIME + 8]);
        }
        n[cgo::OLD_TIME..cgo::OLD_TIME + 4].copy_from_slice(&cg[cgo::OLD_TIME..cgo::OLD_TIME + 4]);
        o.put_u32(&mut n, cgo::CGX, c as u32);
        o.put_u32(&mut n, cgo::NDBLK, ndblk as u32);
        o.put_u32(&mut n, cgo::NIBLK, ipg as u32);
        if !ufs2 {
            let per = fpg.checked_div(old_cpg).unwrap_or(0);
            let howmany = if per > 0 { ndblk.div_ceil(per) as i32 } else { 0 };
            let ncyl = if c == f.sb.ncg as u64 - 1 {
                if !upd {
                    // fsck_ffs wants fs_old_ncyl % fs_old_cpg here (old fsck's value); newfs and makefs
                    // write the count of cylinders. Either is accepted: the field is used nowhere else.
                    let sb_ncyl = o.i32(&raw, 176);
                    let old = if old_cpg > 0 { sb_ncyl % old_cpg as i32 } else { 0 };
                    let disk = o.u16(&cg, cgo::OLD_NCYL) as i16 as i32;
                    if disk == howmany {
                        howmany
                    } else {
                        old
                    }
                } else {
                    howmany
                }
            } else {
                old_cpg as i32
            };
            o.put_u16(&mut n, cgo::OLD_NCYL, ncyl as u16);
            o.put_u16(&mut n, cgo::OLD_NIBLK, ipg as u16);
            o.put_u32(&mut n, cgo::NIBLK, 0);
            o.put_u32(&mut n, cgo::OLD_BTOTOFF, btotoff as u32);
            o.put_u32(&mut n, cgo::OLD_BOFF, boff as u32);
        }
        o.put_u32(&mut n, cgo::IUSEDOFF, iusedoff as u32);
        o.put_u32(&mut n, cgo::FREEOFF, freeoff as u32);
        o.put_u32(&mut n, cgo::NEXTFREEOFF, nextfreeoff as u32);
        if contig > 0 {
            o.put_u32(&mut n, cgo::CLUSTERSUMOFF, clustersumoff as u32);
            o.put_u32(&mut n, cgo::CLUSTEROFF, clusteroff as u32);
            o.put_u32(&mut n, cgo::NCLUSTERBLKS, (ndblk / frag) as u32);
        }
        for (off, lim) in [(cgo::ROTOR, ndblk), (cgo::FROTOR, ndblk), (cgo::IROTOR, ipg)] {
            let r = o.i32(&cg, off);
            o.put_u32(&mut n, off, if r >= 0 && (r as usize) < lim { r as u32 } else { 0 });
        }
        if ufs2 {
            o.put_u32(&mut n, cgo::INITEDIBLK, f.inited[c as usize].min(ipg as u32));
        }
        // Inodes.
        let (mut ndir, mut nbfree, mut nifree, mut nffree) = (0i64, 0i64, ipg as i64, 0i64);
        for i in 0..ipg {
            let j = c * ipg as u64 + i as u64;
            match f.state.get(j as usize).copied().unwrap_or(0) {
                DSTATE | DCLEAR | DFOUND => {
                    ndir += 1;
                    nifree -= 1;
                    setbit(&mut n[iusedoff..], i);
                }
                FSTATE | FCLEAR => {
                    nifree -= 1;
                    setbit(&mut n[iusedoff..], i);
                }
                _ => {}
            }
        }
        if c == 0 {
            for i in 0..ROOTINO as usize {
                if !isset(&n[iusedoff..], i) {
                    setbit(&mut n[iusedoff..], i);
                    nifree -= 1;
                }
            }
        }
        // Fragments.
        let mut frsum = [0i32; 8];
        let mut i = 0usize;
        while dbase + (i as u64) < dmax {
            let d = dbase + i as u64;
            let mut frags = 0usize;
            let mut run = 0usize;
            for j in 0..frag {
                if f.testbmap(d + j as u64) {
                    if run > 0 && run < frag {
                        frsum[run] += 1;
                    }
                    run = 0;
                    continue;
                }
                setbit(&mut n[freeoff..], i + j);
                frags += 1;
                run += 1;
            }
            if frags == frag {
                nbfree += 1;
                if sumsize > 0 {
                    let db = (i as u64) << fsbtodb;
                    let cyl = db.checked_div(old_spc).unwrap_or(0) as usize;
                    let rpos = cbtorpos(&raw, o, db, old_nrpos);
                    if cyl < old_cpg {
                        let t = btotoff + cyl * 4;
                        let v = o.i32(&n, t) + 1;
                        o.put_u32(&mut n, t, v as u32);
                        let b = boff + (cyl * old_nrpos + rpos) * 2;
                        if rpos < old_nrpos && b + 2 <= iusedoff {
                            let v = o.u16(&n, b).wrapping_add(1);
                            o.put_u16(&mut n, b, v);
                        }
                    }
                }
                if contig > 0 {
                    setbit(&mut n[clusteroff..], i / frag);
                }
            } else if frags > 0 {
                nffree += frags as i64;
                if run > 0 && run < frag {
                    frsum[run] += 1;
                }
            }
            i += frag;
        }
        for (k, v) in frsum.iter().enumerate() {
            o.put_u32(&mut n, cgo::FRSUM + 4 * k, *v as u32);
        }
        if contig > 0 {
            let nclus = ndblk / frag;
            let mut run = 0usize;
            let mut sums = vec![0u32; contig + 1];
            for b in 0..nclus {
                if isset(&n[clusteroff..], b) {
                    run += 1;
                } else if run != 0 {
                    sums[run.min(contig)] += 1;
                    run = 0;
                }
            }
            if run != 0 {
                sums[run.min(contig)] += 1;
            }
            // cg_clustersum is indexed from 1: its slot 0 is the end of the free map (as newfs lays it).
            for (k, v) in sums.iter().enumerate().skip(1) {
                o.put_u32(&mut n, clustersumoff + 4 * k, *v);
            }
        }
        for (k, v) in [ndir, nbfree, nifree, nffree].iter().enumerate() {
            o.put_u32(&mut n, cgo::CS + 4 * k, *v as u32);
        }
        tot[0] += ndir;
        tot[1] += nbfree;
        tot[2] += nifree;
        tot[3] += nffree;
        // The summary array's entry for this group.
        let cso = c as usize * 16;
        if f.csum[cso..cso + 16] != n[cgo::CS..cgo::CS + 16] {
            if f.dofix(&mut fix0, "FREE BLK COUNT(S) WRONG IN SUPERBLK", None)? {
                f.csum[cso..cso + 16].copy_from_slice(&n[cgo::CS..cgo::CS + 16]);
                f.csdirty = true;
            } else {
                f.markclean = false;
            }
        }
        let mut cgdirty = false;
        // The old rotational tables: compared when the group keeps them. Modern kernels and makefs leave
        // them zero ("reserved for old kernels, not maintained"), which is accepted as it is.
        let kept = cg[btotoff..btotoff + sumsize].iter().any(|&b| b != 0);
        let sum_differs = sumsize > 0 && kept && n[btotoff..btotoff + sumsize] != cg[btotoff..btotoff + sumsize];
        if n[..BASESIZE] != cg[..BASESIZE] || sum_differs {
            if std::env::var_os("RUMPJS_FSCK_DEBUG").is_some() {
                for k in (0..BASESIZE).step_by(4) {
                    if n[k..k + 4] != cg[k..k + 4] {
                        f.say(&format!(
                            "cg {c}: header +{k}: computed {:?} on disk {:?}\n",
                            &n[k..k + 4],
                            &cg[k..k + 4]
                        ));
                    }
                }
                if sum_differs {
                    f.say(&format!(
                        "cg {c}: rotational tables computed {:?} on disk {:?}\n",
                        &n[btotoff..btotoff + sumsize],
                        &cg[btotoff..btotoff + sumsize]
                    ));
                }
            }
            if f.dofix(&mut fix2, "SUMMARY INFORMATION BAD", None)? {
                cg[..BASESIZE].copy_from_slice(&n[..BASESIZE]);
                if sumsize > 0 {
                    cg[btotoff..btotoff + sumsize].copy_from_slice(&n[btotoff..btotoff + sumsize]);
                }
                cgdirty = true;
            } else {
                f.markclean = false;
            }
        }
        if n[iusedoff..iusedoff + mapsize] != cg[iusedoff..iusedoff + mapsize] {
            if std::env::var_os("RUMPJS_FSCK_DEBUG").is_some() {
                for k in 0..mapsize * 8 {
                    let (a, b) = (isset(&n[iusedoff..], k), isset(&cg[iusedoff..], k));
                    if a != b {
                        let what = if k < ipg {
                            "inode"
                        } else if k < (freeoff - iusedoff) * 8 + fpg {
                            "frag"
                        } else {
                            "cluster/sum"
                        };
                        let idx = if k < ipg { k } else { k - (freeoff - iusedoff) * 8 };
                        f.say(&format!("cg {c}: {what} bit {idx}: computed {a} on disk {b}\n"));
                    }
                }
            }
            if f.dofix(&mut fix1, "BLK(S) MISSING IN BIT MAPS", None)? {
                cg[iusedoff..iusedoff + mapsize].copy_from_slice(&n[iusedoff..iusedoff + mapsize]);
                cgdirty = true;
            } else {
                f.markclean = false;
            }
        }
        if cgdirty {
            f.bwrite(cgoff, cg);
        }
    }
    let cs = f.sb.cstotal;
    let numclusters = if updated(&f.sb) { o.i64(&f.sb.raw, 1040) } else { 0 };
    if [cs.ndir, cs.nbfree, cs.nifree, cs.nffree] != tot || numclusters != 0 {
        if f.dofix(&mut fix0, "FREE BLK COUNT(S) WRONG IN SUPERBLK", None)? {
            f.sb.cstotal.ndir = tot[0];
            f.sb.cstotal.nbfree = tot[1];
            f.sb.cstotal.nifree = tot[2];
            f.sb.cstotal.nffree = tot[3];
            store_cstotal(f);
            f.sbdirty = true;
        } else {
            f.markclean = false;
        }
    }
    Ok(())
}

/// old_cbtorpos(): the rotational position of a block (0 unless the file system keeps several).
fn cbtorpos(raw: &[u8], o: ByteOrder, db: u64, nrpos: usize) -> usize {
    if nrpos <= 1 {
        return 0;
    }
    let spc = o.i32(raw, 172).max(0) as u64;
    let nsect = o.i32(raw, 168).max(0) as u64;
    let trackskew = o.i32(raw, 140).max(0) as u64;
    let interleave = o.i32(raw, 136).max(0) as u64;
    let npsect = o.i32(raw, 132).max(0) as u64;
    if spc == 0 || nsect == 0 || npsect == 0 {
        return 0;
    }
    let x = (db % spc / nsect * trackskew + db % spc % nsect * interleave) % nsect;
    (x * nrpos as u64 / npsect) as usize
}

/// fs_cstotal into the superblock bytes (and the old UFS1 copy, as ffs_oldfscompat_write keeps it).
fn store_cstotal(f: &mut Fsck<'_>) {
    let o = f.o;
    let cs = f.sb.cstotal;
    let upd = updated(&f.sb);
    let raw = &mut f.sb.raw;
    if upd {
        for (k, v) in [cs.ndir, cs.nbfree, cs.nifree, cs.nffree, 0].iter().enumerate() {
            o.put_u64(raw, 1008 + 8 * k, *v as u64);
        }
    }
    if f.ufs == Ufs::Ufs1 {
        for (k, v) in [cs.ndir, cs.nbfree, cs.nifree, cs.nffree].iter().enumerate() {
            o.put_u32(raw, 192 + 4 * k, *v as u32);
        }
    }
}

/// fs_time into the superblock bytes.
pub(crate) fn store_time(f: &mut Fsck<'_>) {
    let o = f.o;
    let t = f.sb.time;
    if updated(&f.sb) {
        o.put_u64(&mut f.sb.raw, 1072, t as u64);
    }
    if f.ufs == Ufs::Ufs1 {
        o.put_u32(&mut f.sb.raw, 32, t as u32);
    }
    f.sbdirty = true;
}

/// Writes the superblock and the summary array when they changed (repair mode only).
pub(crate) fn write_summaries(f: &mut Fsck<'_>) -> FResult<()> {
    if !f.yes {
        return Ok(());
    }
    if f.csdirty {
        let off = f.frag_bytes(f.sb.csaddr);
        let cs = f.csum.clone();
        f.dev.write_at(off, &cs).map_err(|_| Fatal("CANNOT WRITE SUMMARY AREA".into()))?;
        f.csdirty = false;
        f.fsmodified = true;
    }
    if f.sbdirty {
        let raw = f.sb.raw.clone();
        f.dev.write_at(f.sb.sblockloc, &raw).map_err(|_| Fatal("CANNOT WRITE SUPERBLOCK".into()))?;
        f.sbdirty = false;
        f.fsmodified = true;
    }
    Ok(())
}
