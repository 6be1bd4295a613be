//! dir.c: directories walked entry by entry (dirscan, fsck_readdir with its salvage of corrupted
//! chunks, dircheck), problems named with the directory's path (direrror, fileerror), link counts
//! adjusted (adjust), entries made and changed (makeentry, mkentry, expanddir, changeino), directories
//! made and freed (allocdir, freedir), and lost+found (linkup, lftempname); parents learned (propagate).
//! Entries are read and written through the driver's directory layer (`EntryAt`, `put_entry`).

use super::*;
use crate::fs::ffs::dir::{dirsiz, put_empty, put_entry, EntryAt, DIRBLKSIZ, DIRENT_HEADER, MAXNAMLEN};
use crate::fs::ffs::superblock::{NDADDR, ROOTINO};
use std::collections::HashSet;

/// A directory entry handed to a dirscan callback: a copy of its `reclen` bytes, parsed; stored back
/// when the callback says ALTERED.
#[derive(Clone, Debug)]
pub(crate) struct DirEnt {
    pub ino: u64,
    pub reclen: usize,
    pub dtype: u8,
    pub name: Vec<u8>,
    /// mkentry: (length kept for this entry, new inode, its type, its name) placed after it.
    pub split: Option<(usize, u32, u8, Vec<u8>)>,
    /// The entry's bytes; with `use_bytes` they are what is stored back (pass2check's rewrites).
    pub bytes: Vec<u8>,
    pub use_bytes: bool,
    /// The entry number the next entry gets (pass2check's idesc->id_entryno changes).
    pub entryno_after: Option<u64>,
}

impl DirEnt {
    /// The entry at `at` of `buf`, `len` bytes long (fsck_readdir checked its header is there).
    fn parse(buf: &[u8], at: usize, len: usize, fmt: DirFormat) -> DirEnt {
        let e = EntryAt { b: buf, at, fmt };
        let ino = e.ino() as u64;
        let name = if ino == 0 {
            Vec::new()
        } else {
            let n = e.name();
            n[..n.len().min(len.saturating_sub(DIRENT_HEADER))].to_vec()
        };
        DirEnt {
            ino,
            reclen: e.reclen(),
            dtype: e.dtype(),
            name,
            split: None,
            bytes: buf[at..at + len].to_vec(),
            use_bytes: false,
            entryno_after: None,
        }
    }

    /// Writes the entry back into `b` (its `reclen` bytes).
    fn store(&self, b: &mut [u8], fmt: DirFormat) {
        if self.use_bytes {
            let n = self.bytes.len().min(b.len());
            b[..n].copy_from_slice(&self.bytes[..n]);
            return;
        }
        let mut e = EntryAt { b: &mut *b, at: 0, fmt };
        if let Some((keep, ino, dtype, name)) = &self.split {
            if *keep > 0 {
                e.set_reclen(*keep);
            }
            put_entry(b, *keep, fmt, *ino, (self.reclen - keep) as u16, *dtype, name);
            return;
        }
        e.set_ino(self.ino as u32);
        e.set_dtype(self.dtype);
    }
}

/// lftempname(): "#" and the inode number, zero-padded to the width of the largest inode number.
pub(crate) fn lftempname(ino: u64, maxino: u64) -> Vec<u8> {
    let width = maxino.to_string().len();
    format!("#{ino:0width$}").into_bytes()
}

impl<'a> Fsck<'a> {
    // ---- walking ----

    /// Walks the entries of directory `ino` as dirscan/fsck_readdir do, handing each entry (a copy of
    /// its bytes) to `f`; an entry `f` changes (ALTERED) is written back. `fix` governs the repair of
    /// corrupted chunks ("DIRECTORY CORRUPTED"): Fix::Ignore skips them silently.
    pub fn dirscan(
        &mut self,
        ino: u64,
        fix: &mut Fix,
        f: &mut dyn FnMut(&mut Fsck<'a>, &mut DirEnt, u64) -> FResult<u32>,
    ) -> FResult<u32> {
        let d = self.dinode(ino)?;
        let blocks = self.data_blocks(&d)?;
        let mut filesize = d.size.next_multiple_of(DIRBLKSIZ as u64) as i64;
        let mut entryno = 0u64;
        for (lbn, addr, nf) in blocks {
            if filesize <= 0 {
                break;
            }
            let blksiz = (nf * self.sb.fsize as u64) as usize;
            if addr == 0 {
                if *fix != Fix::Ignore && (filesize > 0) {
                    self.markclean = false;
                    let p = self.getpathname(ino, ino);
                    self.say(&format!("DIRECTORY {p}: CONTAINS EMPTY BLOCKS"));
                    if self.reply("ADJUST LENGTH")? {
                        let newsize = lbn * self.sb.bsize as u64;
                        self.modify_ino(ino, |r| r.set_size(newsize))?;
                        self.say("YOU MUST RERUN FSCK AFTERWARDS\n");
                        self.rerun = true;
                        return Ok(STOP);
                    }
                }
                filesize -= blksiz as i64;
                continue;
            }
            if self.chkrange(addr, nf) {
                filesize -= blksiz as i64;
                continue;
            }
            let off = self.frag_bytes(addr);
            let mut loc = 0usize;
            loop {
                let mut buf = self.bread(off, blksiz)?.to_vec();
                let Some((at, len)) = self.readdir(&mut buf, &mut loc, &mut filesize, fix, ino, off)? else {
                    break;
                };
                let mut de = DirEnt::parse(&buf, at, len, self.fmt);
                let r = f(self, &mut de, entryno)?;
                entryno = de.entryno_after.unwrap_or(entryno + 1);
                if r & ALTERED != 0 {
                    let fmt = self.fmt;
                    self.bmodify(off, blksiz, |b| de.store(&mut b[at..at + len], fmt))?;
                    self.sbdirty = true;
                }
                if r & STOP != 0 {
                    return Ok(r);
                }
            }
        }
        Ok(if filesize > 0 { KEEPON } else { STOP })
    }

    /// fsck_readdir: the next entry of the block (offset, reclen), salvaging corrupted chunks. A
    /// salvaged chunk goes back into the buffer whatever the answer: with "no" it is never written,
    /// but the rest of the run reads it as mended, as fsck_ffs's buffer does.
    fn readdir(
        &mut self,
        buf: &mut [u8],
        loc: &mut usize,
        filesize: &mut i64,
        fix: &mut Fix,
        dirino: u64,
        off: u64,
    ) -> FResult<Option<(usize, usize)>> {
        let blksiz = buf.len();
        let fmt = self.fmt;
        if (*loc).is_multiple_of(DIRBLKSIZ) && *filesize > 0 && *loc < blksiz && !self.dircheck(buf, *loc, *filesize) {
            if *fix == Fix::Ignore {
                return Ok(None);
            }
            let yes = self.dofix(fix, "DIRECTORY CORRUPTED", Some(dirino))?;
            put_empty(buf, *loc, fmt, DIRBLKSIZ as u16);
            if !yes {
                self.markclean = false;
            }
            self.bwrite(off, buf)?;
            let at = *loc;
            *loc += DIRBLKSIZ;
            *filesize -= DIRBLKSIZ as i64;
            return Ok(Some((at, DIRBLKSIZ)));
        }
        if *filesize <= 0 || *loc >= blksiz {
            return Ok(None);
        }
        let at = *loc;
        let reclen = EntryAt { b: &*buf, at, fmt }.reclen();
        *loc += reclen;
        *filesize -= reclen as i64;
        if (*loc).is_multiple_of(DIRBLKSIZ) {
            return Ok(Some((at, reclen)));
        }
        if *loc < blksiz && *filesize > 0 && !self.dircheck(buf, *loc, *filesize) {
            let size = DIRBLKSIZ - (*loc % DIRBLKSIZ);
            *loc += size;
            *filesize -= size as i64;
            if *fix == Fix::Ignore {
                return Ok(None);
            }
            let yes = self.dofix(fix, "DIRECTORY CORRUPTED", Some(dirino))?;
            EntryAt { b: &mut *buf, at, fmt }.set_reclen(reclen + size);
            if !yes {
                self.markclean = false;
            }
            self.bwrite(off, buf)?;
            return Ok(Some((at, reclen + size)));
        }
        Ok(Some((at, reclen)))
    }

    /// dircheck(): whether the entry at `loc` is sound.
    fn dircheck(&self, buf: &[u8], loc: usize, filesize: i64) -> bool {
        let spaceleft = DIRBLKSIZ - (loc % DIRBLKSIZ);
        if loc + DIRENT_HEADER > buf.len() {
            return false;
        }
        let e = EntryAt { b: buf, at: loc, fmt: self.fmt };
        let (ino, reclen) = (e.ino() as u64, e.reclen());
        if ino >= self.maxino || reclen == 0 || reclen > spaceleft || reclen & 3 != 0 {
            return false;
        }
        if ino == 0 {
            return true;
        }
        let (namlen, dtype) = (e.namlen(), e.dtype());
        let size = dirsiz(namlen);
        if reclen < size || filesize < size as i64 || dtype > 15 || namlen > MAXNAMLEN {
            return false;
        }
        if e.name().iter().any(|&c| c == 0 || c == b'/') {
            return false;
        }
        e.nul_after_name()
    }

    // ---- messages about directories ----

    pub fn direrror(&mut self, ino: u64, msg: &str) -> FResult<()> {
        self.fileerror(ino, ino, msg)
    }

    /// fileerror(): the message, the inode, and its path. The path is printed with pfatal: a preening
    /// run ends here (every problem named this way is one preen does not mend).
    pub fn fileerror(&mut self, cwd: u64, ino: u64, msg: &str) -> FResult<()> {
        self.say(&format!("{msg} "));
        self.pinode(ino);
        self.say("\n");
        let path = self.getpathname(cwd, ino);
        if ino < ROOTINO || ino >= self.maxino {
            self.say(&format!("NAME={path}\n"));
        } else {
            match self.dinode(ino) {
                Ok(d) if ftypeok(d.mode) => {
                    let what = if d.mode & IFMT == IFDIR { "DIR" } else { "FILE" };
                    self.say(&format!("{what}={path}\n"));
                }
                _ => self.say(&format!("NAME={path}\n")),
            }
        }
        if self.preen {
            return Err(self.unexpected());
        }
        Ok(())
    }

    // ---- link counts ----

    /// adjust(): inode `ino` has `lcnt` more links than references.
    pub fn adjust(&mut self, ino: u64, lcnt: i32) -> FResult<()> {
        let mut lcnt = lcnt;
        let mut d = self.dinode(ino)?;
        let nlink = d.nlink as i16 as i32;
        if nlink == lcnt {
            let saveresolved = self.resolved;
            if !self.linkup(ino, 0, None)? {
                self.resolved = saveresolved;
                self.clri(ino, "UNREF", false)?;
                return Ok(());
            }
            lcnt -= 1;
            d = self.dinode(ino)?;
        }
        if lcnt != 0 {
            let nlink = d.nlink as i16 as i32;
            let what = if self.lfdir == ino {
                "lost+found"
            } else if d.mode & IFMT == IFDIR {
                "DIR"
            } else {
                "FILE"
            };
            self.say(&format!("LINK COUNT {what}"));
            self.pinode(ino);
            self.say(&format!(" COUNT {nlink} SHOULD BE {}", nlink - lcnt));
            // Preen lowers link counts by itself; one to be raised means a name was found that the count
            // never included, which it leaves to a manual run.
            if self.preen && lcnt < 0 {
                self.say("\nLINK COUNT INCREASING");
                return Err(self.unexpected());
            }
            if self.preen_or_ask("ADJUSTED", "ADJUST")? {
                let v = (nlink - lcnt) as u16;
                self.modify_ino(ino, |r| r.set_nlink(v))?;
            }
        }
        Ok(())
    }

    // ---- entries ----

    /// makeentry(): adds `name` → `ino` to directory `parent`, growing it when full.
    pub fn makeentry(&mut self, parent: u64, ino: u64, name: &[u8]) -> FResult<bool> {
        if parent < ROOTINO || parent >= self.maxino || ino < ROOTINO || ino >= self.maxino {
            return Ok(false);
        }
        let d = self.dinode(parent)?;
        if !d.size.is_multiple_of(DIRBLKSIZ as u64) {
            let s = d.size.next_multiple_of(DIRBLKSIZ as u64);
            self.modify_ino(parent, |r| r.set_size(s))?;
        }
        if self.mkentry_scan(parent, ino, name)? {
            return Ok(true);
        }
        let path = self.getpathname(parent, parent);
        if !self.expanddir(parent, &path)? {
            return Ok(false);
        }
        self.mkentry_scan(parent, ino, name)
    }

    /// mkentry(): `name` → `ino` into the first entry of `parent` with room after it.
    fn mkentry_scan(&mut self, parent: u64, ino: u64, name: &[u8]) -> FResult<bool> {
        let dtype = if self.fmt.dtype { self.itype.get(ino as usize).copied().unwrap_or(0) } else { 0 };
        let mut fix = Fix::DontKnow;
        let name = name.to_vec();
        let r = self.dirscan(parent, &mut fix, &mut |_, e, _| {
            let newlen = dirsiz(name.len());
            let oldlen = if e.ino != 0 { dirsiz(e.name.len()) } else { 0 };
            if e.reclen < oldlen + newlen {
                return Ok(KEEPON);
            }
            e.split = Some((oldlen, ino as u32, dtype, name.clone()));
            Ok(ALTERED | STOP)
        })?;
        Ok(r & ALTERED != 0)
    }

    /// expanddir(): one more block (or the last fragment grown to a block) for directory `ino`.
    fn expanddir(&mut self, ino: u64, name: &str) -> FResult<bool> {
        let d = self.dinode(ino)?;
        let bsize = self.sb.bsize as u64;
        let lastbn = d.size / bsize;
        let partial = !d.size.is_multiple_of(bsize);
        if d.size == 0 || lastbn >= NDADDR as u64 - 1 || (partial && d.db[lastbn as usize] == 0) {
            return Ok(false);
        }
        let newblk = self.allocblk(self.frag());
        if newblk == 0 {
            return Ok(false);
        }
        let mut nb = vec![0u8; bsize as usize];
        let mut from = 0usize;
        let mut freed = None;
        if partial {
            let old = d.db[lastbn as usize];
            let oldlen = (d.size % bsize) as usize;
            let oldfr = (oldlen as u64).div_ceil(self.sb.fsize as u64);
            let ob = self.bread(self.frag_bytes(old), (oldfr * self.sb.fsize as u64) as usize)?;
            nb[..oldlen].copy_from_slice(&ob[..oldlen]);
            from = oldlen;
            freed = Some((old, oldfr));
        }
        for at in (from..bsize as usize).step_by(DIRBLKSIZ) {
            put_empty(&mut nb, at, self.fmt, DIRBLKSIZ as u16);
        }
        self.say(&format!("NO SPACE LEFT IN {name}"));
        if !self.preen_or_ask("EXPANDED", "EXPAND")? {
            self.freeblk(newblk, self.frag());
            return Ok(false);
        }
        self.bwrite(self.frag_bytes(newblk), &nb)?;
        let (newsize, addblocks) = if let Some((old, oldfr)) = freed {
            self.freeblk(old, oldfr);
            ((lastbn + 1) * bsize, (bsize - oldfr * self.sb.fsize as u64) / 512)
        } else {
            (d.size + bsize, bsize / 512)
        };
        let blocks = d.blocks + addblocks;
        self.modify_ino(ino, |r| {
            r.set_db(lastbn as usize, newblk);
            r.set_size(newsize);
            r.set_blocks(blocks);
        })?;
        if let Some(i) = self.dirs.get_mut(&ino) {
            i.isize = newsize;
        }
        Ok(true)
    }

    /// changeino(): makes `name` in `dir` name `newnum`.
    pub fn changeino(&mut self, dir: u64, name: &[u8], newnum: u64) -> FResult<u32> {
        let dtype = if self.fmt.dtype { self.itype.get(newnum as usize).copied().unwrap_or(0) } else { 0 };
        let mut fix = Fix::DontKnow;
        self.dirscan(dir, &mut fix, &mut |_, e, _| {
            if e.ino == 0 || e.name != name {
                return Ok(KEEPON);
            }
            e.ino = newnum;
            e.dtype = dtype;
            Ok(ALTERED | STOP)
        })
    }

    // ---- directories made and freed ----

    /// allocdir(): a new directory in `parent` (its `.` and `..` made); 0 on failure.
    pub fn allocdir(&mut self, parent: u64, request: u64, mode: u16) -> FResult<u64> {
        let ino = self.allocino(request, IFDIR | mode)?;
        if ino < ROOTINO {
            return Ok(0);
        }
        let d = self.dinode(ino)?;
        let blk = d.db[0];
        let fsize = self.sb.fsize as usize;
        let mut b = vec![0u8; fsize];
        put_entry(&mut b, 0, self.fmt, ino as u32, 12, 4, b".");
        put_entry(&mut b, 12, self.fmt, parent as u32, (DIRBLKSIZ - 12) as u16, 4, b"..");
        for at in (DIRBLKSIZ..fsize).step_by(DIRBLKSIZ) {
            put_empty(&mut b, at, self.fmt, DIRBLKSIZ as u16);
        }
        self.bwrite(self.frag_bytes(blk), &b)?;
        self.modify_ino(ino, |r| r.set_nlink(2))?;
        if ino == ROOTINO {
            *self.lnc(ino) = 2;
            self.cacheino(ino, fsize as u64, blk);
            return Ok(ino);
        }
        let ps = self.get_state(parent);
        if ps != DSTATE && ps != DFOUND {
            self.freeino(ino)?;
            return Ok(0);
        }
        self.cacheino(ino, fsize as u64, blk);
        if let Some(i) = self.dirs.get_mut(&ino) {
            i.parent = parent;
            i.dotdot = parent;
        }
        self.set_state(ino, ps);
        if ps == DSTATE {
            *self.lnc(ino) = 2;
            *self.lnc(parent) += 1;
        }
        let pn = self.dinode(parent)?.nlink;
        self.modify_ino(parent, |r| r.set_nlink(pn.wrapping_add(1)))?;
        Ok(ino)
    }

    /// freedir(): a directory allocdir made, released again.
    fn freedir(&mut self, ino: u64, parent: u64) -> FResult<()> {
        if ino != parent {
            let n = self.dinode(parent)?.nlink;
            self.modify_ino(parent, |r| r.set_nlink(n.wrapping_sub(1)))?;
        }
        self.freeino(ino)
    }

    // ---- lost+found ----

    /// linkup(): puts `orphan` into lost+found (made when missing); true when it is there.
    pub fn linkup(&mut self, orphan: u64, parentdir: u64, name: Option<&[u8]>) -> FResult<bool> {
        let d = self.dinode(orphan)?;
        let lostdir = d.mode & IFMT == IFDIR;
        self.say(&format!("UNREF {} ", if lostdir { "DIR" } else { "FILE" }));
        self.pinode(orphan);
        if self.preen && d.size == 0 {
            return Ok(false);
        }
        if self.preen {
            self.say(" (RECONNECTED)\n");
            self.record(true);
        } else if !self.ask("RECONNECT")? {
            return Ok(false);
        }
        if parentdir != 0 && parentdir != u64::MAX {
            *self.lnc(parentdir) += 1;
        }
        if self.lfdir == 0 {
            if let Some(lf) = self.findino(ROOTINO, LFNAME)? {
                self.lfdir = lf;
            } else {
                self.say("NO lost+found DIRECTORY");
                if self.preen || self.reply("CREATE")? {
                    let lf = self.allocdir(ROOTINO, 0, LFMODE)?;
                    if lf != 0 {
                        if self.makeentry(ROOTINO, lf, LFNAME)? {
                            self.lfdir = lf;
                            self.reparent(lf, ROOTINO);
                            if self.preen {
                                self.say(" (CREATED)\n");
                                self.record(true);
                            }
                        } else {
                            self.freedir(lf, ROOTINO)?;
                            if self.preen {
                                self.say("\n");
                            }
                        }
                    }
                }
            }
            if self.lfdir == 0 {
                self.say("SORRY. CANNOT CREATE lost+found DIRECTORY\n\n");
                self.markclean = false;
                self.pfatal_noted()?;
                return Ok(false);
            }
        }
        let lf = self.lfdir;
        let lfd = self.dinode(lf)?;
        if lfd.mode & IFMT != IFDIR {
            self.say("lost+found IS NOT A DIRECTORY");
            if !self.ask("REALLOCATE")? {
                return Ok(false);
            }
            let old = lf;
            let nlf = self.allocdir(ROOTINO, 0, LFMODE)?;
            if nlf == 0 || self.changeino(ROOTINO, LFNAME, nlf)? & ALTERED == 0 {
                self.say("SORRY. CANNOT CREATE lost+found DIRECTORY\n\n");
                self.markclean = false;
                self.pfatal_noted()?;
                return Ok(false);
            }
            self.lfdir = nlf;
            self.reparent(nlf, ROOTINO);
            let lc = *self.lnc(old) + 1;
            self.adjust(old, lc)?;
            *self.lnc(old) = 0;
        }
        let lf = self.lfdir;
        if self.get_state(lf) != DFOUND {
            self.say("SORRY. NO lost+found DIRECTORY\n\n");
            self.markclean = false;
            self.pfatal_noted()?;
            return Ok(false);
        }
        let tmp = lftempname(orphan, self.maxino);
        let nm = name.map(|n| n.to_vec()).unwrap_or(tmp);
        if !self.makeentry(lf, orphan, &nm)? {
            self.say("SORRY. NO SPACE IN lost+found DIRECTORY\n\n");
            self.markclean = false;
            self.pfatal_noted()?;
            return Ok(false);
        }
        *self.lnc(orphan) -= 1;
        if lostdir {
            if self.changeino(orphan, b"..", lf)? & ALTERED == 0 && parentdir != u64::MAX {
                self.makeentry(orphan, lf, b"..")?;
            }
            let n = self.dinode(lf)?.nlink;
            self.modify_ino(lf, |r| r.set_nlink(n.wrapping_add(1)))?;
            *self.lnc(lf) += 1;
            self.reparent(orphan, lf);
            self.say(&format!("DIR I={orphan} CONNECTED. "));
            if parentdir != u64::MAX {
                self.say(&format!("PARENT WAS I={parentdir}\n"));
            }
            if !self.preen {
                self.say("\n");
            }
            self.forget_msg();
        }
        Ok(true)
    }

    /// reparent(): `ino`'s parent is now `parent`; what is under it is found.
    pub fn reparent(&mut self, ino: u64, parent: u64) {
        if let Some(i) = self.dirs.get_mut(&ino) {
            i.parent = parent;
            i.dotdot = parent;
        }
        self.propagate_from(ino);
    }

    /// Marks `top` and every directory whose parent chain leads to it as found (propagate()).
    pub fn propagate_from(&mut self, top: u64) {
        let mut children: HashMap<u64, Vec<u64>> = HashMap::new();
        for (&d, i) in &self.dirs {
            if i.parent != 0 && d != ROOTINO {
                children.entry(i.parent).or_default().push(d);
            }
        }
        let mut stack = vec![top];
        let mut seen = HashSet::new();
        while let Some(d) = stack.pop() {
            if !seen.insert(d) {
                continue;
            }
            match self.get_state(d) {
                DSTATE | DFOUND => self.set_state(d, DFOUND),
                _ if d != top => continue,
                _ => {}
            }
            if let Some(c) = children.get(&d) {
                stack.extend(c.iter().copied());
            }
        }
    }
}
