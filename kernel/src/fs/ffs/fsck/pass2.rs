//! Phase 2 (pass2.c): every directory's entries — `.` and `..` first and right, no extra ones, every
//! entry naming an allocated inode of the type it says, no second name for a directory; parents are
//! learned, `..` checked against them.

use super::dir::DirEnt;
use super::*;
use crate::fs::ffs::dir::{dirsiz, put_entry, EntryAt, DIRBLKSIZ};
use crate::fs::ffs::superblock::ROOTINO;
use crate::vfs::types::{DT_DIR, DT_WHT};

/// The whiteout inode (UFS_WINO).
const WINO: u64 = 1;

/// The entry pass2check is at: within the record's bytes, moved on when it splits the record.
type View<'x> = EntryAt<&'x mut Vec<u8>>;

/// Writes a `.` or `..` entry at the view's place with `reclen`.
fn put_dot(v: &mut View<'_>, ino: u64, reclen: usize, name: &[u8]) {
    let t = if v.fmt.dtype { DT_DIR } else { 0 };
    let end = (v.at + dirsiz(name.len())).min(v.b.len());
    v.b[v.at..end].fill(0);
    put_entry(v.b, v.at, v.fmt, ino as u32, reclen as u16, t, name);
}

pub(crate) fn pass2(f: &mut Fsck<'_>) -> FResult<()> {
    match f.get_state(ROOTINO) {
        USTATE => {
            f.say("ROOT INODE UNALLOCATED");
            if !f.reply("ALLOCATE")? {
                return Err(Fatal(String::new()));
            }
            if f.allocdir(ROOTINO, ROOTINO, 0o755)? != ROOTINO {
                return Err(Fatal("CANNOT ALLOCATE ROOT INODE".into()));
            }
        }
        DCLEAR => {
            f.say("DUPS/BAD IN ROOT INODE");
            if f.reply("REALLOCATE")? {
                f.freeino(ROOTINO)?;
                if f.allocdir(ROOTINO, ROOTINO, 0o755)? != ROOTINO {
                    return Err(Fatal("CANNOT ALLOCATE ROOT INODE".into()));
                }
            } else if !f.reply("CONTINUE")? {
                return Err(Fatal(String::new()));
            }
        }
        FSTATE | FCLEAR => {
            f.say("ROOT INODE NOT DIRECTORY");
            if f.reply("REALLOCATE")? {
                f.freeino(ROOTINO)?;
                if f.allocdir(ROOTINO, ROOTINO, 0o755)? != ROOTINO {
                    return Err(Fatal("CANNOT ALLOCATE ROOT INODE".into()));
                }
            } else {
                return Err(Fatal("ROOT INODE NOT DIRECTORY: CANNOT CONTINUE".into()));
            }
        }
        _ => {}
    }
    f.set_state(ROOTINO, DFOUND);
    if f.fmt.dtype {
        f.set_state(WINO, FSTATE);
        if let Some(t) = f.itype.get_mut(WINO as usize) {
            *t = DT_WHT;
        }
    }
    // In disk block order (blksort).
    let mut order = f.dirorder.clone();
    order.sort_by_key(|d| (f.dirs.get(d).map(|i| i.first).unwrap_or(0), *d));
    f.dirorder = order.clone();
    for &dino in &order {
        let Some(info) = f.dirs.get(&dino).cloned() else { continue };
        if info.isize == 0 {
            continue;
        }
        if info.isize < MINDIRSIZE {
            f.direrror(dino, "DIRECTORY TOO SHORT")?;
            let ns = MINDIRSIZE.next_multiple_of(DIRBLKSIZ as u64);
            if let Some(i) = f.dirs.get_mut(&dino) {
                i.isize = ns;
            }
            if f.ask("FIX")? {
                f.modify_ino(dino, |r| r.set_size(ns))?;
            }
        } else if !info.isize.is_multiple_of(DIRBLKSIZ as u64) {
            let p = f.getpathname(dino, dino);
            f.say(&format!("DIRECTORY {p}: LENGTH {} NOT MULTIPLE OF {DIRBLKSIZ}", info.isize));
            let ns = info.isize.next_multiple_of(DIRBLKSIZ as u64);
            if let Some(i) = f.dirs.get_mut(&dino) {
                i.isize = ns;
            }
            if f.preen_or_ask("ADJUSTED", "ADJUST")? {
                f.modify_ino(dino, |r| r.set_size(ns))?;
            }
        }
        let mut fix = Fix::DontKnow;
        f.dirscan(dino, &mut fix, &mut |f, e, entryno| pass2check(f, dino, e, entryno))?;
    }
    // The parents are known: check `..`.
    for &dino in &order {
        let Some(info) = f.dirs.get(&dino).cloned() else { continue };
        if info.parent == 0 || info.isize == 0 {
            continue;
        }
        if info.dotdot == info.parent || info.dotdot == u64::MAX {
            continue;
        }
        if info.dotdot == 0 {
            if let Some(i) = f.dirs.get_mut(&dino) {
                i.dotdot = info.parent;
            }
            f.fileerror(info.parent, dino, "MISSING '..'")?;
            if !f.ask("FIX")? {
                continue;
            }
            f.makeentry(dino, info.parent, b"..")?;
            *f.lnc(info.parent) -= 1;
            continue;
        }
        f.fileerror(info.parent, dino, "BAD INODE NUMBER FOR '..'")?;
        if !f.ask("FIX")? {
            continue;
        }
        *f.lnc(info.dotdot) += 1;
        *f.lnc(info.parent) -= 1;
        if let Some(i) = f.dirs.get_mut(&dino) {
            i.dotdot = info.parent;
        }
        f.changeino(dino, b"..", info.parent)?;
    }
    f.propagate_from(ROOTINO);
    Ok(())
}

fn pass2check(f: &mut Fsck<'_>, dirino: u64, e: &mut DirEnt, entryno0: u64) -> FResult<u32> {
    let fmt = f.fmt;
    let mut entryno = entryno0;
    let mut ret = 0u32;
    let mut bytes = std::mem::take(&mut e.bytes);
    let r = {
        let mut v = View { b: &mut bytes, at: 0, fmt };
        check(f, dirino, &mut v, &mut entryno, &mut ret)
    };
    e.bytes = bytes;
    e.use_bytes = true;
    e.entryno_after = Some(entryno);
    r
}

fn check(f: &mut Fsck<'_>, dirino: u64, v: &mut View<'_>, entryno: &mut u64, ret: &mut u32) -> FResult<u32> {
    let newfmt = f.fmt.dtype;
    let entrysize = dirsiz(1);
    // `.`
    if *entryno == 0 {
        if v.ino() != 0 && v.name() == b"." {
            if v.ino() as u64 != dirino {
                f.direrror(dirino, "BAD INODE NUMBER FOR '.'")?;
                v.set_ino(dirino as u32);
                f.fix_entry(ret)?;
            }
            if newfmt && v.dtype() != DT_DIR {
                f.direrror(dirino, "BAD TYPE VALUE FOR '.'")?;
                v.set_dtype(DT_DIR);
                f.fix_entry(ret)?;
            }
        } else {
            f.direrror(dirino, "MISSING '.'")?;
            let reclen = v.reclen();
            if v.ino() != 0 && v.name() != b".." {
                let n = String::from_utf8_lossy(v.name()).into_owned();
                f.say(&format!("CANNOT FIX, FIRST ENTRY IN DIRECTORY CONTAINS {n}\n"));
                f.pfatal_noted()?;
            } else if reclen < entrysize {
                f.say("CANNOT FIX, INSUFFICIENT SPACE TO ADD '.'\n");
                f.pfatal_noted()?;
            } else if reclen < 2 * entrysize {
                put_dot(v, dirino, reclen, b".");
                f.fix_entry(ret)?;
            } else {
                let n = reclen - entrysize;
                put_dot(v, dirino, entrysize, b".");
                *entryno += 1;
                *f.lnc(dirino) -= 1;
                v.at += entrysize;
                let end = (v.at + n).min(v.b.len());
                v.b[v.at..end].fill(0);
                v.set_reclen(n);
                f.fix_entry(ret)?;
            }
        }
    }
    // `..`
    if *entryno <= 1 {
        let parent = f.dirs.get(&dirino).map(|i| i.parent).unwrap_or(0);
        let mut goto_chk2 = false;
        if *entryno == 0 {
            let n = dirsiz(v.namlen());
            if v.reclen() < n + entrysize {
                goto_chk2 = true;
            } else {
                let rest = v.reclen() - n;
                v.set_reclen(n);
                *entryno += 1;
                let self_ino = v.ino() as u64;
                *f.lnc(self_ino) -= 1;
                v.at += n;
                let end = (v.at + rest).min(v.b.len());
                v.b[v.at..end].fill(0);
                v.set_reclen(rest);
            }
        }
        if !goto_chk2 {
            if v.ino() != 0 && v.name() == b".." {
                let d = v.ino() as u64;
                if let Some(i) = f.dirs.get_mut(&dirino) {
                    i.dotdot = d;
                }
                if newfmt && v.dtype() != DT_DIR {
                    f.direrror(dirino, "BAD TYPE VALUE FOR '..'")?;
                    v.set_dtype(DT_DIR);
                    f.fix_entry(ret)?;
                }
            } else {
                if v.ino() != 0 && v.name() != b"." {
                    f.fileerror(parent, dirino, "MISSING '..'")?;
                    let n = String::from_utf8_lossy(v.name()).into_owned();
                    f.say(&format!("CANNOT FIX, SECOND ENTRY IN DIRECTORY CONTAINS {n}\n"));
                    f.pfatal_noted()?;
                    if let Some(i) = f.dirs.get_mut(&dirino) {
                        i.dotdot = u64::MAX;
                    }
                } else if v.reclen() < entrysize {
                    f.fileerror(parent, dirino, "MISSING '..'")?;
                    f.say("CANNOT FIX, INSUFFICIENT SPACE TO ADD '..'\n");
                    f.pfatal_noted()?;
                    if let Some(i) = f.dirs.get_mut(&dirino) {
                        i.dotdot = u64::MAX;
                    }
                } else if parent != 0 {
                    if let Some(i) = f.dirs.get_mut(&dirino) {
                        i.dotdot = parent;
                    }
                    f.fileerror(parent, dirino, "MISSING '..'")?;
                    let rl = v.reclen();
                    put_dot(v, parent, rl, b"..");
                    f.fix_entry(ret)?;
                }
                *entryno += 1;
                let d = v.ino() as u64;
                if d != 0 {
                    *f.lnc(d) -= 1;
                }
                return Ok(*ret | KEEPON);
            }
        }
    }
    // chk2: every other entry.
    let d = v.ino() as u64;
    if d == 0 {
        return Ok(*ret | KEEPON);
    }
    let name = v.name().to_vec();
    if name.len() <= 2 && name.first() == Some(&b'.') && *entryno >= 2 {
        if name.len() == 1 {
            f.direrror(dirino, "EXTRA '.' ENTRY")?;
            v.set_ino(0);
            f.fix_entry(ret)?;
            return Ok(KEEPON | *ret);
        }
        if name[1] == b'.' {
            f.direrror(dirino, "EXTRA '..' ENTRY")?;
            v.set_ino(0);
            f.fix_entry(ret)?;
            return Ok(KEEPON | *ret);
        }
    }
    *entryno += 1;
    let mut n = false;
    if d >= f.maxino {
        f.fileerror(dirino, d, "I OUT OF RANGE")?;
        n = f.ask("REMOVE")?;
    } else if f.fmt.dtype && ((d == WINO && v.dtype() != DT_WHT) || (d != WINO && v.dtype() == DT_WHT)) {
        f.fileerror(dirino, d, "BAD WHITEOUT ENTRY")?;
        v.set_ino(WINO as u32);
        v.set_dtype(DT_WHT);
        f.fix_entry(ret)?;
    } else {
        loop {
            match f.get_state(d) {
                USTATE => {
                    if *entryno <= 2 {
                        break;
                    }
                    f.fileerror(dirino, d, "UNALLOCATED")?;
                    n = f.ask("REMOVE")?;
                    break;
                }
                s @ (DCLEAR | FCLEAR) => {
                    if *entryno <= 2 {
                        break;
                    }
                    let msg = if s == FCLEAR {
                        "DUP/BAD"
                    } else if !f.preen {
                        "ZERO LENGTH DIRECTORY"
                    } else {
                        n = true;
                        break;
                    };
                    f.fileerror(dirino, d, msg)?;
                    n = f.ask("REMOVE")?;
                    if n {
                        break;
                    }
                    let di = f.dinode(d)?;
                    f.set_state(d, if di.mode & IFMT == IFDIR { DSTATE } else { FSTATE });
                    *f.lnc(d) = di.nlink as i16 as i32;
                    continue;
                }
                s @ (DSTATE | DFOUND) => {
                    if s == DSTATE && f.get_state(dirino) == DFOUND {
                        f.set_state(d, DFOUND);
                    }
                    let iparent = f.dirs.get(&d).map(|i| i.parent).unwrap_or(0);
                    if iparent != 0 && *entryno > 2 {
                        let p = f.getpathname(dirino, dirino);
                        let q = f.getpathname(d, d);
                        f.say(&format!("{p} IS AN EXTRANEOUS HARD LINK TO DIRECTORY {q}\n"));
                        n = f.preen_or_ask("REMOVED", "REMOVE")?;
                        if n {
                            break;
                        }
                    }
                    if *entryno > 2 {
                        if let Some(i) = f.dirs.get_mut(&d) {
                            i.parent = dirino;
                        }
                    }
                    type_check(f, dirino, v, d, ret)?;
                    *f.lnc(d) -= 1;
                    break;
                }
                FSTATE => {
                    type_check(f, dirino, v, d, ret)?;
                    *f.lnc(d) -= 1;
                    break;
                }
                s => return Err(Fatal(format!("BAD STATE {s} FOR INODE I={d}"))),
            }
        }
    }
    if !n {
        return Ok(*ret | KEEPON);
    }
    v.set_ino(0);
    Ok(*ret | KEEPON | ALTERED)
}

fn type_check(f: &mut Fsck<'_>, dirino: u64, v: &mut View<'_>, d: u64, ret: &mut u32) -> FResult<()> {
    if !f.fmt.dtype {
        return Ok(());
    }
    let want = f.itype.get(d as usize).copied().unwrap_or(0);
    if v.dtype() != want {
        f.fileerror(dirino, d, "BAD TYPE VALUE")?;
        v.set_dtype(want);
        f.fix_entry(ret)?;
    }
    Ok(())
}
