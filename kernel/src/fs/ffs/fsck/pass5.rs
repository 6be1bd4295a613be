//! Phase 5 (pass5.c): each cylinder group rebuilt from what phases 1–4 found — inode and fragment
//! bitmaps, the cluster map and its summary, cg_cs and cg_frsum, the old rotational tables of UFS1 —
//! and compared with the one on disk; the summary array and fs_cstotal compared with the sums; the
//! alternate superblocks compared with the primary.

use super::*;
use crate::fs::ffs::cg::{Cg, Cs, MapLayout, Rotor, CG_MAGIC, HEADER_SIZE};
use crate::fs::ffs::superblock::{read_csum, write_csum, CsTotal, ROOTINO};

/// The answers remembered across groups (pass5's idesc[0..3].id_fix).
struct Fixes {
    /// Free counts in the summary array and fs_cstotal.
    counts: Fix,
    /// The bitmaps.
    maps: Fix,
    /// The group headers ("SUMMARY INFORMATION BAD").
    summary: Fix,
    /// The alternate superblocks.
    alternates: Fix,
}

pub(crate) fn pass5(f: &mut Fsck<'_>) -> FResult<()> {
    let ufs2 = f.ufs == Ufs::Ufs2;
    let old_cpg = if ufs2 { 0 } else { f.sb.old_cpg.max(0) as usize };
    let old_nrpos = if ufs2 { 0 } else { f.sb.old.nrpos.max(0) as usize };
    let contig = f.sb.contigsumsize.max(0) as usize;
    let (ipg, fpg, cgsize) = (f.sb.ipg as usize, f.sb.fpg as usize, f.sb.cgsize as usize);
    f.set_state(1, USTATE);
    let l = MapLayout::new(ufs2, old_cpg, old_nrpos, ipg, fpg, contig, f.sb.fragshift);
    if l.nextfreeoff > cgsize {
        return Err(Fatal(format!(
            "BAD SUPER BLOCK: cylinder group maps end at {}, past fs_cgsize {cgsize}",
            l.nextfreeoff
        )));
    }
    // Fragments past the end of the file system, in its last block, are not free.
    let fs_size = f.sb.size;
    for d in fs_size..fs_size.div_ceil(f.frag()) * f.frag() {
        f.setbmap(d);
    }
    let mut fixes =
        Fixes { counts: Fix::DontKnow, maps: Fix::DontKnow, summary: Fix::DontKnow, alternates: Fix::DontKnow };
    let mut tot = CsTotal::default();
    for c in 0..f.sb.ncg as u64 {
        let cgoff = f.frag_bytes(f.sb.cgtod(c as u32));
        let cg = f.bread(cgoff, cgsize)?.to_vec();
        if (Cg { b: &cg[..], o: f.o }).magic() != CG_MAGIC {
            f.say(&format!("CG {c}: PASS5: BAD MAGIC NUMBER\n"));
            if f.preen {
                return Err(f.unexpected());
            }
            f.record(f.yes);
        }
        check_alternate(f, c, &mut fixes)?;
        let (n, cs) = rebuild(f, c, &l, &cg);
        tot.ndir += cs.ndir;
        tot.nbfree += cs.nbfree;
        tot.nifree += cs.nifree;
        tot.nffree += cs.nffree;
        // The summary array's entry for this group.
        if read_csum(&f.csum, f.o, c as usize) != cs {
            if f.dofix(&mut fixes.counts, "FREE BLK COUNT(S) WRONG IN SUPERBLK", None)? {
                write_csum(&mut f.csum, f.o, c as usize, &cs);
                f.csdirty = true;
            } else {
                f.markclean = false;
            }
        }
        compare(f, c, &l, &n.b, cg, cgoff, &mut fixes)?;
    }
    let cs = f.sb.cstotal;
    if cs != tot || f.sb.numclusters != 0 {
        if f.dofix(&mut fixes.counts, "FREE BLK COUNT(S) WRONG IN SUPERBLK", None)? {
            f.sb.cstotal = tot;
            f.sb.numclusters = 0;
            let mut w = f.sb.raw_mut();
            w.set_cstotal(&tot);
            w.set_numclusters(0);
            f.sbdirty = true;
        } else {
            f.markclean = false;
        }
    }
    Ok(())
}

/// The alternate superblock in group `c` against the primary (cmpsblks).
fn check_alternate(f: &mut Fsck<'_>, c: u64, fixes: &mut Fixes) -> FResult<()> {
    let asb_off = f.frag_bytes(f.cgsblock(c));
    let sbsize = f.sb.sbsize as usize;
    if asb_off == f.sb.sblockloc || asb_off + sbsize as u64 > f.dev.size() {
        return Ok(());
    }
    let asb = f.bread(asb_off, sbsize)?;
    if !f.sb.geometry_matches(&asb) && f.dofix(&mut fixes.alternates, "ALTERNATE SUPERBLK(S) ARE INCORRECT", None)? {
        let p = f.sb.raw.clone();
        f.bwrite(asb_off, &p)?;
    }
    Ok(())
}

/// Group `c` as phases 1–4 found it: its block rebuilt (the header, the maps, the summaries; the times
/// and the rotors in range kept from `cg`, the group as found) and its counts.
fn rebuild(f: &Fsck<'_>, c: u64, l: &MapLayout, cg: &[u8]) -> (Cg<Vec<u8>>, CsTotal) {
    let o = f.o;
    let ufs2 = f.ufs == Ufs::Ufs2;
    let upd = f.sb.has_new_layout();
    let (ipg, fpg, frag) = (f.sb.ipg as usize, f.sb.fpg as usize, f.sb.frag as usize);
    let old_cpg = if ufs2 { 0 } else { f.sb.old_cpg.max(0) as usize };
    let old_nrpos = if ufs2 { 0 } else { f.sb.old.nrpos.max(0) as usize };
    let contig = f.sb.contigsumsize.max(0) as usize;
    let disk = Cg { b: cg, o };
    let dbase = f.cgbase(c);
    let dmax = (dbase + fpg as u64).min(f.sb.size);
    let ndblk = (dmax - dbase) as usize;
    let mut n = Cg { b: vec![0u8; cg.len()], o };
    n.set_magic();
    n.copy_times(&disk, ufs2 || upd);
    n.set_cgx(c as u32);
    n.set_ndblk(ndblk as u32);
    n.set_niblk(ipg as u32);
    if !ufs2 {
        let per = fpg.checked_div(old_cpg).unwrap_or(0);
        let howmany = if per > 0 { ndblk.div_ceil(per) as i32 } else { 0 };
        let ncyl = if c != f.sb.ncg as u64 - 1 {
            old_cpg as i32
        } else if upd {
            howmany
        } else {
            // fsck_ffs wants fs_old_ncyl % fs_old_cpg here (old fsck's value); newfs and makefs write
            // the count of cylinders. Either is accepted: the field is used nowhere else.
            let old = if old_cpg > 0 { f.sb.old.ncyl % old_cpg as i32 } else { 0 };
            if disk.old_ncyl() as i32 == howmany {
                howmany
            } else {
                old
            }
        };
        n.set_old_counts(ncyl as u16, ipg as u16);
        n.set_niblk(0);
    }
    n.set_layout(l, ufs2);
    if contig > 0 {
        n.set_nclusterblks((ndblk / frag) as u32);
    }
    for (which, lim) in [(Rotor::Block, ndblk), (Rotor::Frag, ndblk), (Rotor::Inode, ipg)] {
        let r = disk.rotor(which) as i32;
        n.set_rotor(which, if r >= 0 && (r as usize) < lim { r as u32 } else { 0 });
    }
    if ufs2 {
        n.set_initediblk(f.inited[c as usize].min(ipg as u32));
    }
    // Inodes.
    let mut cs = CsTotal { nifree: ipg as i64, ..CsTotal::default() };
    for i in 0..ipg as u64 {
        let j = c * ipg as u64 + i;
        match f.state.get(j as usize).copied().unwrap_or(0) {
            DSTATE | DCLEAR | DFOUND => {
                cs.ndir += 1;
                cs.nifree -= 1;
                n.set_inode_used(i, true);
            }
            FSTATE | FCLEAR => {
                cs.nifree -= 1;
                n.set_inode_used(i, true);
            }
            _ => {}
        }
    }
    if c == 0 {
        for i in 0..ROOTINO {
            if !n.inode_used(i) {
                n.set_inode_used(i, true);
                cs.nifree -= 1;
            }
        }
    }
    // Fragments.
    let sumsize = if !ufs2 && !upd { l.rotational_bytes() } else { 0 };
    let mut i = 0usize;
    while dbase + (i as u64) < dmax {
        let d = dbase + i as u64;
        let mut frags = 0usize;
        let mut run = 0usize;
        for j in 0..frag {
            if f.testbmap(d + j as u64) {
                if run > 0 && run < frag {
                    n.add_frsum(run as u32, 1);
                }
                run = 0;
                continue;
            }
            n.set_frag_free((i + j) as u64, true);
            frags += 1;
            run += 1;
        }
        if frags == frag {
            cs.nbfree += 1;
            if sumsize > 0 {
                let db = (i as u64) << f.sb.fsbtodb;
                let cyl = db.checked_div(f.sb.old.spc.max(0) as u64).unwrap_or(0) as usize;
                if cyl < old_cpg {
                    n.count_old_rotational(l, old_nrpos, cyl, cbtorpos(f, db, old_nrpos));
                }
            }
            if contig > 0 {
                n.set_cluster_free((i / frag) as u64, true);
            }
        } else if frags > 0 {
            cs.nffree += frags as i64;
            if run > 0 && run < frag {
                n.add_frsum(run as u32, 1);
            }
        }
        i += frag;
    }
    if contig > 0 {
        n.count_cluster_runs((ndblk / frag) as u64, contig);
    }
    n.set_cs(Cs::Ndir, cs.ndir);
    n.set_cs(Cs::Nbfree, cs.nbfree);
    n.set_cs(Cs::Nifree, cs.nifree);
    n.set_cs(Cs::Nffree, cs.nffree);
    (n, cs)
}

/// The group block on disk (`cg`, at `cgoff`) against the one rebuilt (`n`): its header and old
/// rotational tables, then its maps; what is mended is written back.
fn compare(
    f: &mut Fsck<'_>,
    c: u64,
    l: &MapLayout,
    n: &[u8],
    mut cg: Vec<u8>,
    cgoff: u64,
    fixes: &mut Fixes,
) -> FResult<()> {
    let debug = std::env::var_os("RUMPJS_FSCK_DEBUG").is_some();
    let mut cgdirty = false;
    let ufs2 = f.ufs == Ufs::Ufs2;
    let sumsize = if !ufs2 && !f.sb.has_new_layout() { l.rotational_bytes() } else { 0 };
    let sums = l.btotoff..l.btotoff + sumsize;
    // The old rotational tables: compared when the group keeps them. Modern kernels and makefs leave
    // them zero ("reserved for old kernels, not maintained"), which is accepted as it is.
    let kept = cg[sums.clone()].iter().any(|&b| b != 0);
    let sum_differs = sumsize > 0 && kept && n[sums.clone()] != cg[sums.clone()];
    if n[..HEADER_SIZE] != cg[..HEADER_SIZE] || sum_differs {
        if debug {
            for k in (0..HEADER_SIZE).step_by(4) {
                if n[k..k + 4] != cg[k..k + 4] {
                    f.say(&format!("cg {c}: header +{k}: computed {:?} on disk {:?}\n", &n[k..k + 4], &cg[k..k + 4]));
                }
            }
            if sum_differs {
                f.say(&format!(
                    "cg {c}: rotational tables computed {:?} on disk {:?}\n",
                    &n[sums.clone()],
                    &cg[sums.clone()]
                ));
            }
        }
        if f.dofix(&mut fixes.summary, "SUMMARY INFORMATION BAD", None)? {
            cg[..HEADER_SIZE].copy_from_slice(&n[..HEADER_SIZE]);
            cg[sums.clone()].copy_from_slice(&n[sums]);
            cgdirty = true;
        } else {
            f.markclean = false;
        }
    }
    let maps = l.iusedoff..l.nextfreeoff;
    if n[maps.clone()] != cg[maps.clone()] {
        if debug {
            let (ipg, fpg) = (f.sb.ipg as usize, f.sb.fpg as usize);
            let bit = |b: &[u8], k: usize| b[l.iusedoff + k / 8] & (1 << (k % 8)) != 0;
            for k in 0..(l.nextfreeoff - l.iusedoff) * 8 {
                let (a, b) = (bit(n, k), bit(&cg, k));
                if a != b {
                    let at_free = (l.freeoff - l.iusedoff) * 8;
                    let what = if k < ipg {
                        "inode"
                    } else if k < at_free + fpg {
                        "frag"
                    } else {
                        "cluster/sum"
                    };
                    let idx = if k < ipg { k } else { k - at_free };
                    f.say(&format!("cg {c}: {what} bit {idx}: computed {a} on disk {b}\n"));
                }
            }
        }
        if f.dofix(&mut fixes.maps, "BLK(S) MISSING IN BIT MAPS", None)? {
            cg[maps.clone()].copy_from_slice(&n[maps]);
            cgdirty = true;
        } else {
            f.markclean = false;
        }
    }
    if cgdirty {
        f.bwrite(cgoff, &cg)?;
    }
    Ok(())
}

/// old_cbtorpos(): the rotational position of a block (0 unless the file system keeps several).
fn cbtorpos(f: &Fsck<'_>, db: u64, nrpos: usize) -> usize {
    if nrpos <= 1 {
        return 0;
    }
    let g = &f.sb.old;
    let spc = g.spc.max(0) as u64;
    let nsect = g.nsect.max(0) as u64;
    let trackskew = g.trackskew.max(0) as u64;
    let interleave = g.interleave.max(0) as u64;
    let npsect = g.npsect.max(0) as u64;
    if spc == 0 || nsect == 0 || npsect == 0 {
        return 0;
    }
    let x = (db % spc / nsect * trackskew + db % spc % nsect * interleave) % nsect;
    (x * nrpos as u64 / npsect) as usize
}
