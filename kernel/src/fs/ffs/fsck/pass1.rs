//! Phase 1 (pass1.c): every inode read in order; block pointers checked and claimed in the block map
//! (out of range: BAD; claimed before: DUP), sizes and types checked, di_blocks compared with what the
//! pointers hold.

use super::*;
use crate::fs::ffs::cg::{Cg, CG_MAGIC};
use crate::fs::ffs::inode::Dinode;
use crate::fs::ffs::superblock::{NDADDR, NIADDR, ROOTINO};

/// Inode blocks read at once in phase 1.
const INOBUF_BYTES: u64 = 1 << 20;

pub(crate) fn pass1(f: &mut Fsck<'_>) -> FResult<()> {
    // The file system's own blocks: boot area, superblocks, cylinder group blocks, inodes, summaries.
    for c in 0..f.sb.ncg as u64 {
        let cgd = f.cgdmin(c);
        let start = if c == 0 { f.cgbase(0) } else { f.cgsblock(c) };
        for i in start..cgd {
            f.setbmap(i);
        }
    }
    let cs = f.sb.csaddr;
    for i in cs..cs + (f.sb.cssize as u64).div_ceil(f.sb.fsize as u64) {
        f.setbmap(i);
    }
    let ipg = f.sb.ipg as u64;
    let isz = f.ufs.dinode_size() as u64;
    let bsize = f.sb.bsize as u64;
    let inopb = f.sb.inopb as u64;
    let mut fix = Fix::DontKnow;
    for c in 0..f.sb.ncg as u64 {
        let mut inosused = ipg;
        if f.ufs == Ufs::Ufs2 {
            let cgb = f.bread(f.frag_bytes(f.sb.cgtod(c as u32)), f.sb.cgsize as usize)?;
            let g = Cg { b: &cgb[..], o: f.o };
            if g.magic() == CG_MAGIC {
                inosused = (g.initediblk() as u64).min(ipg);
            }
        }
        f.inited[c as usize] = inosused as u32;
        let mut first = 0u64;
        while first < inosused {
            // Whole inode blocks, at most INOBUF_BYTES.
            let n = (inosused - first).min((INOBUF_BYTES / isz) / inopb * inopb).max(1);
            let nblk = n.div_ceil(inopb);
            let ino0 = c * ipg + first;
            let (fsba, _) = f.sb.ino_to_fsba(ino0);
            let mut buf = vec![0u8; (nblk * bsize) as usize];
            f.read_dev(f.frag_bytes(fsba), &mut buf).map_err(|_| Fatal(format!("CANNOT READ: INODES OF CG {c}")))?;
            for k in 0..n {
                let ino = ino0 + k;
                if ino < ROOTINO {
                    continue;
                }
                let raw = &buf[(k * isz) as usize..((k + 1) * isz) as usize];
                checkinode(f, ino, raw, &mut fix)?;
            }
            first += n;
        }
    }
    Ok(())
}

fn checkinode(f: &mut Fsck<'_>, ino: u64, raw: &[u8], fix: &mut Fix) -> FResult<()> {
    let d = Dinode::decode(raw, f.o, f.ufs, f.old_ids);
    let mode = d.mode & IFMT;
    let size = d.size;
    if mode == 0 {
        if d.db.iter().any(|&x| x != 0) || d.ib.iter().any(|&x| x != 0) || size != 0 {
            f.say(&format!("PARTIALLY ALLOCATED INODE I={ino}"));
            if f.ask("CLEAR")? {
                f.modify_ino(ino, |r| r.clear())?;
            }
        }
        f.set_state(ino, USTATE);
        return Ok(());
    }
    let bsize = f.sb.bsize as u64;
    let kernmax = match f.ufs {
        Ufs::Ufs2 => f.sb.fs_maxfilesize,
        Ufs::Ufs1 => 0x8000_0000u64 * bsize - 1,
    };
    if size > kernmax || size.checked_add(bsize - 1).is_none() || (mode == IFDIR && size > MAXDIRSIZE) {
        return unknown(f, ino);
    }
    let mut d = d;
    if !f.preen && mode == IFMT {
        f.say(&format!("I={ino} HAS NO FILE TYPE"));
        if f.reply("HOLD BAD BLOCK")? {
            let fsize = f.sb.fsize as u64;
            f.modify_ino(ino, |r| {
                r.set_size(fsize);
                r.set_mode(IFREG | 0o600);
            })?;
            d.size = fsize;
            d.mode = IFREG | 0o600;
        }
    }
    let mode = d.mode & IFMT;
    let size = d.size;
    let nindir = f.sb.nindir as i64;
    let mut ndb = size.div_ceil(bsize) as i64;
    if mode == IFBLK || mode == IFCHR {
        ndb += 1;
    }
    if mode == IFLNK {
        let max = f.sb.maxsymlinklen as i64;
        if max < 0 || (size as i64) < max || (max == 0 && d.blocks == 0) {
            ndb = (size as i64).saturating_add(f.ufs.ptr_size() as i64 - 1) / f.ufs.ptr_size() as i64;
            if ndb > NDADDR as i64 {
                let mut j = ndb - NDADDR as i64;
                ndb = 1;
                // Saturated after a few rounds: the rest would change nothing (and could be 2^60 of them).
                while j > 1 && ndb < i64::MAX {
                    ndb = ndb.saturating_mul(nindir);
                    j -= 1;
                }
                ndb = ndb.saturating_add(NDADDR as i64);
            }
        }
    }
    if ndb < NDADDR as i64 {
        for j in ndb.max(0) as usize..NDADDR {
            if d.db[j] != 0 {
                return unknown(f, ino);
            }
        }
    }
    let mut j = 0usize;
    ndb -= NDADDR as i64;
    while ndb > 0 {
        ndb /= nindir;
        j += 1;
    }
    for k in j..NIADDR {
        if d.ib[k] != 0 {
            return unknown(f, ino);
        }
    }
    if !ftypeok(d.mode) {
        return unknown(f, ino);
    }
    f.n_files += 1;
    let lc = d.nlink as i16 as i32;
    *f.lnc(ino) = lc;
    if lc <= 0 {
        f.zln.push(ino);
    }
    if mode == IFDIR {
        f.set_state(ino, if size == 0 { DCLEAR } else { DSTATE });
        f.cacheino(ino, size, d.db[0]);
        f.countdirs += 1;
    } else {
        f.set_state(ino, FSTATE);
    }
    if let Some(t) = f.itype.get_mut(ino as usize) {
        *t = iftodt(d.mode);
    }
    // ckinode(pass1check)
    *fix = Fix::DontKnow;
    let claims = f.claims(&d, Some((ino, &mut *fix)))?;
    let mut badblk = 0u32;
    let mut dupblk = 0u32;
    let mut entryno = 0u64;
    'walk: for (blk, nf) in claims {
        let anyout = f.chkrange(blk, nf);
        if anyout {
            f.blkerror(ino, "BAD", blk)?;
            if excessive(f, &mut badblk, MAXBAD, "BAD", ino)? {
                break 'walk;
            }
        }
        for k in 0..nf {
            let b = blk.wrapping_add(k);
            if anyout && f.chkrange(b, 1) {
                // out of range: not counted in the map
            } else if !f.testbmap(b) {
                f.n_blks += 1;
                f.setbmap(b);
            } else {
                f.blkerror(ino, "DUP", b)?;
                if excessive(f, &mut dupblk, MAXDUP, "DUP", ino)? {
                    break 'walk;
                }
                *f.dups.entry(b).or_insert(0) += 1;
            }
            entryno += 1;
        }
    }
    let want = entryno * (f.sb.fsize as u64 / 512);
    if d.blocks != want {
        f.say(&format!("INCORRECT BLOCK COUNT I={ino} ({} should be {want})", d.blocks));
        if f.preen_or_ask("CORRECTED", "CORRECT")? {
            f.modify_ino(ino, |r| r.set_blocks(want))?;
        }
    }
    Ok(())
}

/// Counts one more bad (or duplicate) block of `ino`; past `max` of them pass1check says so, asks to
/// CONTINUE, and checks no more of this inode's blocks (true).
fn excessive(f: &mut Fsck<'_>, seen: &mut u32, max: u32, what: &str, ino: u64) -> FResult<bool> {
    let before = *seen;
    *seen += 1;
    if before < max {
        return Ok(false);
    }
    f.say(&format!("EXCESSIVE {what} BLKS I={ino}"));
    f.reply("CONTINUE")?;
    Ok(true)
}

fn unknown(f: &mut Fsck<'_>, ino: u64) -> FResult<()> {
    f.say(&format!("UNKNOWN FILE TYPE I={ino}"));
    f.set_state(ino, FCLEAR);
    if f.ask("CLEAR")? {
        f.set_state(ino, USTATE);
        f.modify_ino(ino, |r| r.clear())?;
    }
    Ok(())
}
