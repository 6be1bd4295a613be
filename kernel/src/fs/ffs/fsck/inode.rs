//! inode.c: inodes read and changed through the driver's inode layer (ginode, inodirty), the walk of
//! an inode's blocks (ckinode and iblock: one walk, phase 1's check of pointers past the size included),
//! per-inode state and link counts, directories remembered (cacheino), clearing (clri), names found in
//! directories (findname, findino), the inode in messages (pinode, blkerror), and the allocation and
//! release of inodes (allocino, freeino).

use super::*;
use crate::fs::ffs::inode::{get_ptr, put_ptr, Dinode, DinodeMut};
use crate::fs::ffs::superblock::{NDADDR, NIADDR, ROOTINO};

impl Fsck<'_> {
    // ---- inodes ----

    /// Where inode `ino` is: the byte offset of its inode block and its offset in the block. Fatal for
    /// a number past the last inode (ginode's check).
    fn ino_loc(&self, ino: u64) -> FResult<(u64, usize)> {
        if ino >= self.maxino {
            return Err(Fatal(format!("bad inode number {ino} to ginode")));
        }
        let (fsba, idx) = self.sb.ino_to_fsba(ino);
        Ok((self.frag_bytes(fsba), idx * self.ufs.dinode_size() as usize))
    }

    /// ginode(): inode `ino` as it is now.
    pub fn dinode(&mut self, ino: u64) -> FResult<Dinode> {
        let (blk, at) = self.ino_loc(ino)?;
        let b = self.bread(blk, self.sb.bsize as usize)?;
        let isz = self.ufs.dinode_size() as usize;
        Ok(Dinode::decode(&b[at..at + isz], self.o, self.ufs, self.old_ids))
    }

    /// inodirty(): fields of inode `ino` changed in place by `f`, every other byte as it was.
    pub fn modify_ino(&mut self, ino: u64, f: impl FnOnce(&mut DinodeMut<'_>)) -> FResult<()> {
        let (blk, at) = self.ino_loc(ino)?;
        let (o, ufs) = (self.o, self.ufs);
        let isz = ufs.dinode_size() as usize;
        self.bmodify(blk, self.sb.bsize as usize, |b| f(&mut DinodeMut { b: &mut b[at..at + isz], o, ufs }))
    }

    pub fn set_state(&mut self, ino: u64, s: u8) {
        if let Some(x) = self.state.get_mut(ino as usize) {
            *x = s;
        }
    }

    pub fn get_state(&self, ino: u64) -> u8 {
        match self.state.get(ino as usize) {
            Some(0) | None => USTATE,
            Some(&s) => s,
        }
    }

    /// The link count still unaccounted for (ino_linkcnt); an out-of-range number gets a scratch slot.
    pub fn lnc(&mut self, ino: u64) -> &mut i32 {
        if (ino as usize) < self.linkcnt.len() {
            &mut self.linkcnt[ino as usize]
        } else {
            self.scratch = 0;
            &mut self.scratch
        }
    }

    /// Records a directory (cacheino).
    pub fn cacheino(&mut self, ino: u64, size: u64, first: u64) {
        let parent = if ino == ROOTINO { ROOTINO } else { 0 };
        if self.dirs.insert(ino, DirInfo { parent, dotdot: 0, isize: size, first }).is_none() {
            self.dirorder.push(ino);
        }
    }

    // ---- the blocks of an inode ----

    /// Pointer `i` of an indirect block.
    pub fn ptr(&self, blk: &[u8], i: usize) -> u64 {
        get_ptr(blk, i, self.o, self.ufs)
    }

    /// Whether inode `d` keeps no blocks (devices, fast symlinks: ckinode's early return).
    pub fn has_no_blocks(&self, d: &Dinode) -> bool {
        let t = d.mode & IFMT;
        let max = self.sb.maxsymlinklen as i64;
        t == IFBLK
            || t == IFCHR
            || (t == IFLNK && ((d.size as i64) < max || (max == 0 && d.blocks == 0)) && (d.size as i64) >= 0)
    }

    /// ckinode() for an address walk: every block `d` claims, in its order, as (fragment address,
    /// fragments); indirect blocks come before what they point to, and blocks behind an out-of-range
    /// indirect block are not followed. With `trunc` (phase 1's pass1check: the inode's number and the
    /// question's remembered answer), pointers in indirect blocks past the size are "PARTIALLY
    /// TRUNCATED" and, answered yes, cleared.
    pub fn claims(&mut self, d: &Dinode, mut trunc: Option<(u64, &mut Fix)>) -> FResult<Vec<(u64, u64)>> {
        let mut out = Vec::new();
        if self.has_no_blocks(d) {
            return Ok(out);
        }
        let bsize = self.sb.bsize as u64;
        let mut ndb = d.size.div_ceil(bsize) as i64;
        for &a in d.db.iter() {
            ndb -= 1;
            let nf = if ndb == 0 && !d.size.is_multiple_of(bsize) {
                (d.size % bsize).div_ceil(self.sb.fsize as u64)
            } else {
                self.frag()
            };
            if a != 0 {
                out.push((a, nf));
            }
        }
        let mut remsize = d.size as i64 - (bsize * NDADDR as u64) as i64;
        let mut sizepb = bsize as i64;
        for level in 0..NIADDR {
            let a = d.ib[level];
            if a != 0 {
                let t = trunc.as_mut().map(|(ino, fix)| (*ino, &mut **fix));
                self.iblock(a, level + 1, remsize, &mut out, t)?;
            }
            sizepb = sizepb.saturating_mul(self.sb.nindir as i64);
            remsize = remsize.saturating_sub(sizepb);
        }
        Ok(out)
    }

    /// iblock(): the indirect block at `addr` (level `ilevel`, mapping `isize` more bytes) and its
    /// children.
    fn iblock(
        &mut self,
        addr: u64,
        ilevel: usize,
        isize: i64,
        out: &mut Vec<(u64, u64)>,
        mut trunc: Option<(u64, &mut Fix)>,
    ) -> FResult<()> {
        out.push((addr, self.frag()));
        if self.chkrange(addr, self.frag()) {
            return Ok(());
        }
        let off = self.frag_bytes(addr);
        let bsize = self.sb.bsize as usize;
        let blk = self.bread(off, bsize)?;
        let nindir = self.sb.nindir as i64;
        let mut sizepb = self.sb.bsize as i64;
        for _ in 1..ilevel {
            sizepb = sizepb.saturating_mul(nindir);
        }
        let isize_pos = isize.max(0);
        let want = (isize_pos + sizepb - 1) / sizepb;
        let nif = want.min(nindir) as usize;
        if let Some((ino, fix)) = trunc.as_mut() {
            let mut cleared = Vec::new();
            for i in nif..nindir as usize {
                if self.ptr(&blk, i) == 0 {
                    continue;
                }
                let msg = format!("PARTIALLY TRUNCATED INODE I={ino}");
                if self.dofix(fix, &msg, None)? {
                    cleared.push(i);
                } else {
                    self.markclean = false;
                }
            }
            if !cleared.is_empty() {
                let (o, ufs) = (self.o, self.ufs);
                self.bmodify(off, bsize, |b| {
                    for &i in &cleared {
                        put_ptr(b, i, o, ufs, 0);
                    }
                })?;
            }
        }
        let blk = self.bread(off, bsize)?;
        let mut isize = isize;
        for i in 0..nif {
            // One inode cannot hold more fragments than the file system has: a damaged tree of
            // indirect blocks naming each other again and again stops here (the rest would all be DUP).
            if out.len() as u64 > self.maxfsblock {
                return Ok(());
            }
            let p = self.ptr(&blk, i);
            if p != 0 {
                if ilevel == 1 {
                    out.push((p, self.frag()));
                } else {
                    let t = trunc.as_mut().map(|(ino, fix)| (*ino, &mut **fix));
                    self.iblock(p, ilevel - 1, isize, out, t)?;
                }
            }
            isize = isize.saturating_sub(sizepb);
        }
        Ok(())
    }

    /// The data blocks of a directory (or any file) in logical order, as ckinode hands them to a DATA
    /// walk: (logical block, fragment address or 0 for a hole, fragments). The blocks behind an
    /// indirect block out of range are left out.
    pub fn data_blocks(&mut self, d: &Dinode) -> FResult<Vec<(u64, u64, u64)>> {
        let bsize = self.sb.bsize as u64;
        let size = d.size;
        let nblocks = size.div_ceil(bsize);
        let mut out = Vec::new();
        let (fsize, frag) = (self.sb.fsize as u64, self.sb.frag as u64);
        let numfrags = move |lbn: u64| -> u64 {
            if lbn + 1 == nblocks && !size.is_multiple_of(bsize) {
                (size % bsize).div_ceil(fsize)
            } else {
                frag
            }
        };
        for (i, &a) in d.db.iter().enumerate() {
            let lbn = i as u64;
            if lbn >= nblocks {
                break;
            }
            out.push((lbn, a, numfrags(lbn)));
        }
        if nblocks <= NDADDR as u64 {
            return Ok(out);
        }
        let nindir = self.sb.nindir as u64;
        let mut lbn = NDADDR as u64;
        let mut span = 1u64;
        for level in 0..NIADDR {
            span = span.saturating_mul(nindir);
            if lbn >= nblocks {
                break;
            }
            let a = d.ib[level];
            if a == 0 {
                for l in lbn..(lbn.saturating_add(span)).min(nblocks) {
                    out.push((l, 0, numfrags(l)));
                }
            } else {
                self.data_iblock(a, level, lbn, nblocks, &mut out, &numfrags)?;
            }
            lbn = lbn.saturating_add(span);
        }
        Ok(out)
    }

    /// The data blocks under the indirect block at `addr` (`level` 0 points at data), the first being
    /// logical block `first`.
    fn data_iblock(
        &mut self,
        addr: u64,
        level: usize,
        first: u64,
        nblocks: u64,
        out: &mut Vec<(u64, u64, u64)>,
        numfrags: &dyn Fn(u64) -> u64,
    ) -> FResult<()> {
        if self.chkrange(addr, self.frag()) {
            return Ok(());
        }
        let blk = self.bread(self.frag_bytes(addr), self.sb.bsize as usize)?;
        let nindir = self.sb.nindir as u64;
        let mut child_span = 1u64;
        for _ in 0..level {
            child_span = child_span.saturating_mul(nindir);
        }
        for i in 0..nindir {
            let l = first.saturating_add(i.saturating_mul(child_span));
            if l >= nblocks {
                break;
            }
            let p = self.ptr(&blk, i as usize);
            if level == 0 {
                out.push((l, p, numfrags(l)));
            } else if p == 0 {
                for x in l..l.saturating_add(child_span).min(nblocks) {
                    out.push((x, 0, numfrags(x)));
                }
            } else {
                self.data_iblock(p, level - 1, l, nblocks, out, numfrags)?;
            }
        }
        Ok(())
    }

    // ---- messages about inodes ----

    /// pinode(): " I=12  OWNER=0 MODE=100644\nSIZE=5 MTIME=Jun  1 00:00 2012 ".
    pub fn pinode(&mut self, ino: u64) {
        self.say(&format!(" I={ino} "));
        if ino < ROOTINO || ino >= self.maxino {
            return;
        }
        let d = match self.dinode(ino) {
            Ok(d) => d,
            Err(_) => return,
        };
        self.say(&format!(" OWNER={} MODE={:o}\n", d.uid, d.mode));
        self.say(&format!("SIZE={} MTIME={} ", d.size, print_mtime(d.mtime.sec)));
    }

    /// blkerror(): "12345 DUP I=17"; the inode is to be cleared. Said with pfatal: a preening run ends
    /// at the first bad or duplicate block.
    pub fn blkerror(&mut self, ino: u64, what: &str, blk: u64) -> FResult<()> {
        self.say(&format!("{blk} {what} I={ino}\n"));
        if self.preen {
            return Err(self.unexpected());
        }
        // fsck_ffs asks nothing here: the inode's clearing (phase 2 or 4) is the question that decides.
        let fixed = self.yes;
        self.record(fixed);
        match self.get_state(ino) {
            FSTATE => self.set_state(ino, FCLEAR),
            DSTATE => self.set_state(ino, DCLEAR),
            _ => {}
        }
        Ok(())
    }

    // ---- clearing, finding, allocating ----

    /// clri(): clears inode `ino` (asking), releasing its blocks.
    pub fn clri(&mut self, ino: u64, what: &str, say: bool) -> FResult<()> {
        let d = self.dinode(ino)?;
        if say {
            self.say(&format!("{what} {}", if d.mode & IFMT == IFDIR { "DIR" } else { "FILE" }));
            self.pinode(ino);
        }
        if !self.preen_or_ask("CLEARED", "CLEAR")? {
            return Ok(());
        }
        self.n_files = self.n_files.saturating_sub(1);
        for (blk, nf) in self.claims(&d, None)? {
            for k in 0..nf {
                let b = blk.wrapping_add(k);
                if self.chkrange(b, 1) || !self.testbmap(b) {
                    continue;
                }
                match self.dups.get_mut(&b) {
                    Some(n) => {
                        *n -= 1;
                        if *n == 0 {
                            self.dups.remove(&b);
                        }
                    }
                    None => {
                        self.clrbmap(b);
                        self.n_blks = self.n_blks.saturating_sub(1);
                    }
                }
            }
        }
        self.modify_ino(ino, |r| r.clear())?;
        self.set_state(ino, USTATE);
        Ok(())
    }

    /// findino(): the inode `name` names in directory `dir`.
    pub fn findino(&mut self, dir: u64, name: &[u8]) -> FResult<Option<u64>> {
        let mut found = None;
        let maxino = self.maxino;
        let mut fix = Fix::Ignore;
        self.dirscan(dir, &mut fix, &mut |_, e, _| {
            if e.ino != 0 && e.name == name && e.ino >= ROOTINO && e.ino < maxino {
                found = Some(e.ino);
                return Ok(STOP | FOUND);
            }
            Ok(KEEPON)
        })?;
        Ok(found)
    }

    /// findname(): the name `ino` has in directory `dir` (not `.` or `..`).
    pub fn findname(&mut self, dir: u64, ino: u64) -> FResult<Option<Vec<u8>>> {
        let mut found = None;
        let mut fix = Fix::Ignore;
        self.dirscan(dir, &mut fix, &mut |_, e, n| {
            if e.ino != ino || n < 2 || e.name == b"." || e.name == b".." {
                return Ok(KEEPON);
            }
            found = Some(e.name.clone());
            Ok(STOP | FOUND)
        })?;
        Ok(found)
    }

    /// allocino(): a free inode of `mode`, with one fragment; 0 when there is none.
    pub fn allocino(&mut self, request: u64, mode: u16) -> FResult<u64> {
        let start = if request == 0 { ROOTINO } else { request };
        if request != 0 && self.get_state(request) != USTATE {
            return Ok(0);
        }
        let mut ino = start;
        while ino < self.maxino && self.get_state(ino) != USTATE {
            ino += 1;
        }
        if ino >= self.maxino {
            return Ok(0);
        }
        // UFS2 initialises inode blocks lazily: make the ones up to this inode.
        let ipg = self.sb.ipg as u64;
        let c = (ino / ipg) as usize;
        if self.ufs == Ufs::Ufs2 && (ino % ipg) >= self.inited[c] as u64 {
            let inopb = self.sb.inopb as u64;
            let mut i = self.inited[c] as u64 / inopb * inopb;
            while i <= ino % ipg {
                let (blk, _) = self.ino_loc(c as u64 * ipg + i)?;
                self.bwrite(blk, &vec![0u8; self.sb.bsize as usize])?;
                i += inopb;
            }
            self.inited[c] = (i.min(ipg)) as u32;
        }
        let blk = self.allocblk(1);
        if blk == 0 {
            return Ok(0);
        }
        let now = self.now();
        let fsize = self.sb.fsize as u64;
        let gen = (now as u32).wrapping_mul(2_654_435_761) ^ ino as u32;
        self.modify_ino(ino, |r| {
            r.clear();
            r.set_mode(mode);
            r.set_db(0, blk);
            r.set_size(fsize);
            r.set_blocks(fsize / 512);
            r.set_all_seconds(now);
            r.set_gen(gen & 0x7fff_ffff);
        })?;
        self.n_files += 1;
        self.set_state(ino, if mode & IFMT == IFDIR { DSTATE } else { FSTATE });
        if let Some(t) = self.itype.get_mut(ino as usize) {
            *t = iftodt(mode);
        }
        *self.lnc(ino) = 0;
        Ok(ino)
    }

    /// freeino(): releases an inode and its blocks.
    pub fn freeino(&mut self, ino: u64) -> FResult<()> {
        let d = self.dinode(ino)?;
        for (b, n) in self.claims(&d, None)? {
            if !self.chkrange(b, n) {
                self.freeblk(b, n);
            }
        }
        self.modify_ino(ino, |r| r.clear())?;
        self.set_state(ino, USTATE);
        self.n_files = self.n_files.saturating_sub(1);
        Ok(())
    }
}
