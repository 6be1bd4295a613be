//! Phase 2 (pass2.c): every directory's entries — `.` and `..` first and right, no extra ones, every
//! entry naming an allocated inode of the type it says, no second name for a directory; parents are
//! learned, `..` checked against them. Phase 3 (pass3.c): directories not reachable from the root are
//! reconnected into lost+found.

use super::super::dir::{self, DirFormat, DIRBLKSIZ};
use super::super::superblock::ROOTINO;
use super::*;

/// DT_DIR, DT_WHT.
const DT_DIR: u8 = 4;
const DT_WHT: u8 = 14;
/// The whiteout inode (UFS_WINO).
const WINO: u64 = 1;

/// An entry's bytes at `pos` (pass2check moves `dirp` within the record when it splits it).
struct View<'x> {
    b: &'x mut Vec<u8>,
    pos: usize,
    fmt: DirFormat,
}

impl View<'_> {
    fn ino(&self) -> u64 {
        self.fmt.order.u32(self.b, self.pos) as u64
    }
    fn set_ino(&mut self, v: u64) {
        self.fmt.order.put_u32(self.b, self.pos, v as u32)
    }
    fn reclen(&self) -> usize {
        self.fmt.order.u16(self.b, self.pos + 4) as usize
    }
    fn set_reclen(&mut self, v: usize) {
        self.fmt.order.put_u16(self.b, self.pos + 4, v as u16)
    }
    fn namlen(&self) -> usize {
        if self.fmt.dtype {
            self.b[self.pos + 7] as usize
        } else {
            self.fmt.order.u16(self.b, self.pos + 6) as usize
        }
    }
    fn dtype(&self) -> u8 {
        if self.fmt.dtype {
            self.b[self.pos + 6]
        } else {
            0
        }
    }
    fn set_dtype(&mut self, t: u8) {
        if self.fmt.dtype {
            self.b[self.pos + 6] = t;
        }
    }
    fn name(&self) -> Vec<u8> {
        let n = self.namlen().min(self.b.len().saturating_sub(self.pos + 8));
        self.b[self.pos + 8..self.pos + 8 + n].to_vec()
    }
    /// Writes a `.` or `..` entry here with `reclen`.
    fn put(&mut self, ino: u64, reclen: usize, name: &[u8]) {
        let t = if self.fmt.dtype { DT_DIR } else { 0 };
        let end = (self.pos + dir::dirsiz(name.len())).min(self.b.len());
        self.b[self.pos..end].fill(0);
        dir::put_entry(self.b, self.pos, self.fmt, ino as u32, reclen as u16, t, name);
    }
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
            f.dirs.get_mut(&dino).unwrap().isize = ns;
            if f.reply("FIX")? {
                f.modify_ino(dino, |r| r.set_size(ns))?;
            } else {
                f.markclean = false;
            }
        } else if !info.isize.is_multiple_of(DIRBLKSIZ as u64) {
            let p = f.getpathname(dino, dino);
            f.say(&format!("DIRECTORY {p}: LENGTH {} NOT MULTIPLE OF {DIRBLKSIZ}", info.isize));
            let ns = info.isize.next_multiple_of(DIRBLKSIZ as u64);
            f.dirs.get_mut(&dino).unwrap().isize = ns;
            if f.preen {
                f.say(" (ADJUSTED)\n");
                f.record(true);
                f.modify_ino(dino, |r| r.set_size(ns))?;
            } else if f.reply("ADJUST")? {
                f.modify_ino(dino, |r| r.set_size(ns))?;
            } else {
                f.markclean = false;
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
            f.dirs.get_mut(&dino).unwrap().dotdot = info.parent;
            f.fileerror(info.parent, dino, "MISSING '..'")?;
            if !f.reply("FIX")? {
                f.markclean = false;
                continue;
            }
            f.makeentry(dino, info.parent, b"..")?;
            *f.lnc(info.parent) -= 1;
            continue;
        }
        f.fileerror(info.parent, dino, "BAD INODE NUMBER FOR '..'")?;
        if !f.reply("FIX")? {
            f.markclean = false;
            continue;
        }
        *f.lnc(info.dotdot) += 1;
        *f.lnc(info.parent) -= 1;
        f.dirs.get_mut(&dino).unwrap().dotdot = info.parent;
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
        let mut v = View { b: &mut bytes, pos: 0, fmt };
        check(f, dirino, &mut v, &mut entryno, &mut ret)
    };
    e.bytes = bytes;
    e.use_bytes = true;
    e.entryno_after = Some(entryno);
    r
}

fn check(f: &mut Fsck<'_>, dirino: u64, v: &mut View<'_>, entryno: &mut u64, ret: &mut u32) -> FResult<u32> {
    let newfmt = f.fmt.dtype;
    let entrysize = dir::dirsiz(1);
    // `.`
    if *entryno == 0 {
        if v.ino() != 0 && v.name() == b"." {
            if v.ino() != dirino {
                f.direrror(dirino, "BAD INODE NUMBER FOR '.'")?;
                v.set_ino(dirino);
                if f.reply("FIX")? {
                    *ret |= ALTERED;
                } else {
                    f.markclean = false;
                }
            }
            if newfmt && v.dtype() != DT_DIR {
                f.direrror(dirino, "BAD TYPE VALUE FOR '.'")?;
                v.set_dtype(DT_DIR);
                if f.reply("FIX")? {
                    *ret |= ALTERED;
                } else {
                    f.markclean = false;
                }
            }
        } else {
            f.direrror(dirino, "MISSING '.'")?;
            let reclen = v.reclen();
            if v.ino() != 0 && v.name() != b".." {
                let n = String::from_utf8_lossy(&v.name()).into_owned();
                f.say(&format!("CANNOT FIX, FIRST ENTRY IN DIRECTORY CONTAINS {n}\n"));
                f.pfatal_noted()?;
            } else if reclen < entrysize {
                f.say("CANNOT FIX, INSUFFICIENT SPACE TO ADD '.'\n");
                f.pfatal_noted()?;
            } else if reclen < 2 * entrysize {
                v.put(dirino, reclen, b".");
                if f.reply("FIX")? {
                    *ret |= ALTERED;
                } else {
                    f.markclean = false;
                }
            } else {
                let n = reclen - entrysize;
                v.put(dirino, entrysize, b".");
                *entryno += 1;
                *f.lnc(dirino) -= 1;
                v.pos += entrysize;
                let end = (v.pos + n).min(v.b.len());
                v.b[v.pos..end].fill(0);
                v.set_reclen(n);
                if f.reply("FIX")? {
                    *ret |= ALTERED;
                } else {
                    f.markclean = false;
                }
            }
        }
    }
    // `..`
    if *entryno <= 1 {
        let parent = f.dirs.get(&dirino).map(|i| i.parent).unwrap_or(0);
        let mut goto_chk2 = false;
        if *entryno == 0 {
            let n = dir::dirsiz(v.namlen());
            if v.reclen() < n + entrysize {
                goto_chk2 = true;
            } else {
                let rest = v.reclen() - n;
                v.set_reclen(n);
                *entryno += 1;
                let self_ino = v.ino();
                *f.lnc(self_ino) -= 1;
                v.pos += n;
                let end = (v.pos + rest).min(v.b.len());
                v.b[v.pos..end].fill(0);
                v.set_reclen(rest);
            }
        }
        if !goto_chk2 {
            if v.ino() != 0 && v.name() == b".." {
                let d = v.ino();
                if let Some(i) = f.dirs.get_mut(&dirino) {
                    i.dotdot = d;
                }
                if newfmt && v.dtype() != DT_DIR {
                    f.direrror(dirino, "BAD TYPE VALUE FOR '..'")?;
                    v.set_dtype(DT_DIR);
                    if f.reply("FIX")? {
                        *ret |= ALTERED;
                    } else {
                        f.markclean = false;
                    }
                }
            } else {
                if v.ino() != 0 && v.name() != b"." {
                    f.fileerror(parent, dirino, "MISSING '..'")?;
                    let n = String::from_utf8_lossy(&v.name()).into_owned();
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
                    v.put(parent, rl, b"..");
                    if f.reply("FIX")? {
                        *ret |= ALTERED;
                    } else {
                        f.markclean = false;
                    }
                }
                *entryno += 1;
                let d = v.ino();
                if d != 0 {
                    *f.lnc(d) -= 1;
                }
                return Ok(*ret | KEEPON);
            }
        }
    }
    // chk2: every other entry.
    let d = v.ino();
    if d == 0 {
        return Ok(*ret | KEEPON);
    }
    let name = v.name();
    if name.len() <= 2 && name.first() == Some(&b'.') && *entryno >= 2 {
        if name.len() == 1 {
            f.direrror(dirino, "EXTRA '.' ENTRY")?;
            v.set_ino(0);
            if f.reply("FIX")? {
                *ret |= ALTERED;
            } else {
                f.markclean = false;
            }
            return Ok(KEEPON | *ret);
        }
        if name[1] == b'.' {
            f.direrror(dirino, "EXTRA '..' ENTRY")?;
            v.set_ino(0);
            if f.reply("FIX")? {
                *ret |= ALTERED;
            } else {
                f.markclean = false;
            }
            return Ok(KEEPON | *ret);
        }
    }
    *entryno += 1;
    let mut n = false;
    if d >= f.maxino {
        f.fileerror(dirino, d, "I OUT OF RANGE")?;
        n = f.reply("REMOVE")?;
        if !n {
            f.markclean = false;
        }
    } else if f.fmt.dtype && ((d == WINO && v.dtype() != DT_WHT) || (d != WINO && v.dtype() == DT_WHT)) {
        f.fileerror(dirino, d, "BAD WHITEOUT ENTRY")?;
        v.set_ino(WINO);
        v.set_dtype(DT_WHT);
        if f.reply("FIX")? {
            *ret |= ALTERED;
        } else {
            f.markclean = false;
        }
    } else {
        loop {
            match f.get_state(d) {
                USTATE => {
                    if *entryno <= 2 {
                        break;
                    }
                    f.fileerror(dirino, d, "UNALLOCATED")?;
                    n = f.reply("REMOVE")?;
                    if !n {
                        f.markclean = false;
                    }
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
                    n = f.reply("REMOVE")?;
                    if n {
                        break;
                    }
                    f.markclean = false;
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
                        if f.preen {
                            f.say(" (REMOVED)\n");
                            f.record(true);
                            n = true;
                            break;
                        }
                        n = f.reply("REMOVE")?;
                        if n {
                            break;
                        }
                        f.markclean = false;
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
        if f.reply("FIX")? {
            *ret |= ALTERED;
        } else {
            f.markclean = false;
        }
    }
    Ok(())
}

/// Phase 3: directories not found from the root go to lost+found.
pub(crate) fn pass3(f: &mut Fsck<'_>) -> FResult<()> {
    let order = f.dirorder.clone();
    for &start in order.iter().rev() {
        let Some(info) = f.dirs.get(&start).cloned() else { continue };
        let state = f.get_state(start);
        if start == ROOTINO || (info.parent != 0 && state != DSTATE) {
            continue;
        }
        if state == DCLEAR || state == USTATE || state == DFOUND {
            continue;
        }
        let mut cur = start;
        let mut loopcnt = 0u64;
        let orphan;
        loop {
            let p = f.dirs.get(&cur).map(|i| i.parent).unwrap_or(0);
            if p == 0 || f.get_state(p) != DSTATE || loopcnt > f.countdirs {
                orphan = cur;
                break;
            }
            cur = p;
            loopcnt += 1;
        }
        if loopcnt <= f.countdirs {
            let dotdot = f.dirs.get(&orphan).map(|i| i.dotdot).unwrap_or(0);
            if f.linkup(orphan, dotdot, None)? {
                let lf = f.lfdir;
                *f.lnc(lf) -= 1;
            }
            continue;
        }
        f.say(&format!("ORPHANED DIRECTORY LOOP DETECTED I={orphan}"));
        if !f.reply("RECONNECT")? {
            f.markclean = false;
            continue;
        }
        let parent = f.dirs.get(&orphan).map(|i| i.parent).unwrap_or(0);
        let name = f.findname(parent, orphan)?;
        if name.is_none() {
            f.say("COULD NOT FIND NAME IN PARENT DIRECTORY");
            f.pfatal_noted()?;
        }
        if f.linkup(orphan, parent, name.as_deref())? {
            // clearentry: the loop's entry goes.
            let mut fix = Fix::DontKnow;
            let r = f.dirscan(parent, &mut fix, &mut |_, e, n| {
                if e.ino != orphan || n < 2 || e.name == b"." || e.name == b".." {
                    return Ok(KEEPON);
                }
                e.ino = 0;
                Ok(STOP | FOUND | ALTERED)
            })?;
            if r & FOUND != 0 {
                *f.lnc(orphan) += 1;
            }
            let lf = f.lfdir;
            *f.lnc(lf) -= 1;
        }
    }
    Ok(())
}
