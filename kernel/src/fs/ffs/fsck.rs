//! `fsck` for FFS: the phases of NetBSD's fsck_ffs, in our own code. Phase 1 (blocks and sizes: every
//! inode's block pointers in range, duplicate claims, di_blocks, sizes), 1b (the first claimers of
//! duplicates), 2 (pathnames: directory entries, `.` and `..`), 3 (connectivity: orphaned directories into
//! lost+found), 4 (reference counts: link counts, unreferenced inodes), 5 (cylinder groups: bitmaps,
//! summaries, fs_cstotal, the summary array, alternate superblocks) — each problem reported in fsck_ffs's
//! words ("UNREF FILE  I=12  OWNER=0 MODE=100644", "SIZE=5 MTIME=… ", "RECONNECT? yes").
//!
//! `Repair::No` answers every question "no" and never writes (the device may be read-only);
//! `Repair::Yes` answers "yes" and writes the repairs when the run ends. Preen (`-p`) asks nothing: it
//! mends by itself only what fsck_ffs's preen mends ("(ADJUSTED)", "(CLEARED)", "(SALVAGED)",
//! "(RECONNECTED)": link counts too high, unreferenced files, the maps and summaries of phase 5, the
//! clean flag) and stops at anything else (duplicate or bad blocks, directory entries to fix or
//! remove, link counts to raise, inodes of unknown type) with "UNEXPECTED INCONSISTENCY; RUN
//! fsck_ffs MANUALLY." and exit code 8, having written nothing. Exit codes are fsck_ffs's: 0 (clean,
//! or everything fixed), 2 (unresolved inconsistencies remain, or "PLEASE RERUN FSCK"), 8 (the check
//! failed: no superblock, unreadable structures, a problem fsck cannot go on with, or one preen does
//! not mend).
//!
//! Layout of the module: this file (options, report, the run, the buffer cache, inode access, messages,
//! directory walking and the lost+found machinery shared by the passes), then one file per phase in
//! `fsck/`.

mod pass1;
mod pass2;
mod pass4;
mod pass5;

use super::dir::{self, DirFormat, DIRBLKSIZ, DIRENT_HEADER};
use super::endian::ByteOrder;
use super::inode::Dinode;
use super::superblock::{Superblock, Ufs, FS_DOWAPBL, FS_FLAGS_UPDATED, FS_ISCLEAN, NDADDR, NIADDR, ROOTINO};
use crate::dev::Dev;
use crate::errno::{Errno, KResult};
use std::collections::{BTreeMap, HashMap};

/// How questions are answered.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum Repair {
    /// `-n`: every answer is "no"; nothing is written.
    #[default]
    No,
    /// `-y`: every answer is "yes"; repairs are written at the end.
    Yes,
}

/// What `fsck` is asked to do.
#[derive(Clone, Debug, Default)]
pub struct FsckOptions {
    pub repair: Repair,
    /// Which partition (as the mount option `partition=`): a disklabel letter, an entry number, `raw`.
    pub partition: Option<String>,
    /// `-f`: check a clean file system in preen mode too; use a damaged journal anyway.
    pub force: bool,
    /// `-p`: skip a clean or journaled file system (unless forced); otherwise mend what preen mends
    /// and stop, writing nothing, at anything else (exit code 8).
    pub preen: bool,
}

/// One question fsck asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// What was found, in fsck_ffs's words (lines joined with spaces).
    pub message: String,
    /// The question ("RECONNECT", "CLEAR", "SALVAGE", ...).
    pub question: String,
    /// Whether it was answered yes (and so repaired).
    pub fixed: bool,
}

/// What a run found and did.
#[derive(Clone, Debug, Default)]
pub struct FsckReport {
    /// fsck_ffs's exit code: 0, 2 or 8.
    pub exit_code: i32,
    pub problems: Vec<Problem>,
    /// Whether anything was written.
    pub modified: bool,
    /// Whether the clean flag was set by this run.
    pub marked_clean: bool,
    /// Whether the check was skipped (preen on a clean file system).
    pub skipped: bool,
    /// Inodes in use, fragments they hold, free fragments; free fragments not in blocks; free blocks.
    pub files: u64,
    pub used: u64,
    pub free: u64,
    pub frags: u64,
    pub blocks: u64,
    /// "N files, N used, N free (N frags, N blocks, N.N% fragmentation)".
    pub summary: String,
    /// Set when the run could not finish (the fatal message).
    pub fatal: Option<String>,
}

impl FsckReport {
    pub fn problems_found(&self) -> usize {
        self.problems.len()
    }

    pub fn problems_fixed(&self) -> usize {
        self.problems.iter().filter(|p| p.fixed).count()
    }

    /// Whether any question's message contains `what`.
    pub fn mentions(&self, what: &str) -> bool {
        self.problems.iter().any(|p| p.message.contains(what) || p.question.contains(what))
    }
}

pub const FSCK_EXIT_OK: i32 = 0;
pub const FSCK_EXIT_USAGE: i32 = 1;
pub const FSCK_EXIT_UNRESOLVED: i32 = 2;
pub const FSCK_EXIT_CHECK_FAILED: i32 = 8;

/// What a preening run says when it meets a problem it does not mend by itself (fsutil.c's vmsg); the
/// run stops with FSCK_EXIT_CHECK_FAILED and writes nothing.
pub const PREEN_UNEXPECTED: &str = "UNEXPECTED INCONSISTENCY; RUN fsck_ffs MANUALLY.";

// Inode states (fsck.h).
pub(crate) const USTATE: u8 = 1;
pub(crate) const FSTATE: u8 = 2;
pub(crate) const DSTATE: u8 = 3;
pub(crate) const DFOUND: u8 = 4;
pub(crate) const DCLEAR: u8 = 5;
pub(crate) const FCLEAR: u8 = 6;

// File types (sys/stat.h).
pub(crate) const IFMT: u16 = 0o170000;
pub(crate) const IFIFO: u16 = 0o010000;
pub(crate) const IFCHR: u16 = 0o020000;
pub(crate) const IFDIR: u16 = 0o040000;
pub(crate) const IFBLK: u16 = 0o060000;
pub(crate) const IFREG: u16 = 0o100000;
pub(crate) const IFLNK: u16 = 0o120000;
pub(crate) const IFSOCK: u16 = 0o140000;

/// DT_* of a mode (IFTODT).
pub(crate) fn iftodt(mode: u16) -> u8 {
    ((mode & IFMT) >> 12) as u8
}

/// Whether the mode names a file type fsck accepts (ftypeok).
pub(crate) fn ftypeok(mode: u16) -> bool {
    matches!(mode & IFMT, IFDIR | IFREG | IFBLK | IFCHR | IFLNK | IFSOCK | IFIFO)
}

/// Largest directory (UFS_MAXDIRSIZE).
pub(crate) const MAXDIRSIZE: u64 = 0x7fff_ffff;
/// Bad or duplicate blocks of one inode before fsck gives up on it.
pub(crate) const MAXBAD: u32 = 10;
pub(crate) const MAXDUP: u32 = 10;
/// The smallest directory (sizeof(struct dirtemplate)).
pub(crate) const MINDIRSIZE: u64 = 24;
/// lost+found's name and mode.
pub(crate) const LFNAME: &[u8] = b"lost+found";
pub(crate) const LFMODE: u16 = 0o1700;
/// Clean buffers kept.
const CACHE_CLEAN_MAX: usize = 64 << 20;

/// Results of a walk callback (fsck.h).
pub(crate) const KEEPON: u32 = 0x04;
pub(crate) const STOP: u32 = 0x01;
pub(crate) const ALTERED: u32 = 0x08;
pub(crate) const FOUND: u32 = 0x10;

/// A dofix answer remembered for one kind of problem (id_fix).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)]
pub(crate) enum Fix {
    DontKnow,
    Fix,
    NoFix,
    Ignore,
}

/// Per-directory facts (struct inoinfo).
#[derive(Clone, Debug)]
pub(crate) struct DirInfo {
    pub parent: u64,
    pub dotdot: u64,
    pub isize: u64,
    /// First data block, for sorting (inp->i_blks[0]).
    pub first: u64,
}

/// A fatal condition (errexit): the run stops with exit code 8.
#[derive(Debug)]
pub(crate) struct Fatal(pub String);

impl From<Errno> for Fatal {
    fn from(e: Errno) -> Fatal {
        Fatal(format!("I/O error: {e:?}"))
    }
}

pub(crate) type FResult<T> = Result<T, Fatal>;

struct Buf {
    data: Vec<u8>,
    dirty: bool,
}

/// The run's state: the superblock, per-inode facts, the block map, the buffers.
pub(crate) struct Fsck<'a> {
    pub dev: Dev,
    pub sb: Superblock,
    pub o: ByteOrder,
    pub ufs: Ufs,
    pub fmt: DirFormat,
    pub old_ids: bool,
    pub yes: bool,
    pub preen: bool,
    log: &'a mut dyn FnMut(&str),
    /// Text since the last complete line.
    line: String,
    /// Text since the last question (for the problem record).
    msg: String,
    pub problems: Vec<Problem>,
    pub resolved: bool,
    pub rerun: bool,
    pub markclean: bool,
    pub fsmodified: bool,
    // Geometry.
    pub maxino: u64,
    pub maxfsblock: u64,
    // Per inode.
    pub state: Vec<u8>,
    pub linkcnt: Vec<i32>,
    pub itype: Vec<u8>,
    /// Inodes with a zero link count found in phase 1 (zlnhead).
    pub zln: Vec<u64>,
    pub dirs: HashMap<u64, DirInfo>,
    pub dirorder: Vec<u64>,
    pub countdirs: u64,
    /// UFS2: inodes initialised per cylinder group (cg_initediblk as found, raised by allocations).
    pub inited: Vec<u32>,
    // Blocks.
    pub blockmap: Vec<u64>,
    /// Duplicate claims: block → claims beyond the first not yet released (duplist).
    pub dups: BTreeMap<u64, u32>,
    pub n_files: u64,
    pub n_blks: u64,
    pub lfdir: u64,
    // Buffers.
    bufs: HashMap<u64, Buf>,
    /// Dirty buffers pushed out before the end of the run (another size read or written at their
    /// offset), oldest first: kept here, applied to what is read, written first when the run ends, so
    /// that nothing reaches the device before the run has decided (a preening run may yet stop).
    early: Vec<(u64, Vec<u8>)>,
    clean_bytes: usize,
    ndirty: usize,
    pub sbdirty: bool,
    /// The summary array (fs_cssize bytes at fs_csaddr).
    pub csum: Vec<u8>,
    pub csdirty: bool,
    scratch: i32,
    pub marked_clean_now: bool,
    pub exit_code: i32,
}

impl<'a> Fsck<'a> {
    // ---- messages ----

    /// printf/pwarn/pfatal: text added to the current output line(s).
    pub fn say(&mut self, s: &str) {
        self.msg.push_str(s);
        self.line.push_str(s);
        while let Some(i) = self.line.find('\n') {
            let l: String = self.line[..i].to_string();
            (self.log)(&l);
            self.line.drain(..=i);
        }
    }

    /// Ends any partial line (before a phase header or the summary).
    pub fn flush_line(&mut self) {
        if !self.line.is_empty() {
            let l = std::mem::take(&mut self.line);
            (self.log)(&l);
        }
    }

    /// A phase header ("** Phase 1 - Check Blocks and Sizes").
    pub fn phase(&mut self, s: &str) {
        self.flush_line();
        self.msg.clear();
        if !self.preen {
            (self.log)(s);
        }
    }

    /// reply(): answers `question` as the run's mode says; records the problem. In preen mode no
    /// question is ever asked: fsck_ffs reaches reply() only after a pfatal(), which ends a preening run
    /// (`unexpected`), so this stops the run too.
    pub fn reply(&mut self, question: &str) -> FResult<bool> {
        if self.preen {
            return Err(self.unexpected());
        }
        let persevere = question == "CONTINUE";
        let yes = self.yes || persevere;
        self.say("\n");
        self.say(&format!("{question}? {}\n\n", if yes { "yes" } else { "no" }));
        let message = self.msg.split_whitespace().collect::<Vec<_>>().join(" ");
        let message =
            message.trim_end_matches(&format!("{question}? yes")).trim_end_matches(&format!("{question}? no"));
        self.problems.push(Problem { message: message.trim().to_string(), question: question.to_string(), fixed: yes });
        self.msg.clear();
        if !yes {
            self.resolved = false;
        }
        Ok(yes)
    }

    /// pfatal() while preening (fsutil.c's vmsg): what was just said is not one of the inconsistencies
    /// preen mends by itself, so the run ends here, before anything is written, with
    /// "UNEXPECTED INCONSISTENCY; RUN fsck_ffs MANUALLY." and exit code 8. Returns the error to pass up.
    pub fn unexpected(&mut self) -> Fatal {
        if !self.line.is_empty() {
            self.say("\n");
        }
        self.note_problem(false);
        Fatal(PREEN_UNEXPECTED.into())
    }

    /// A pfatal() message that asks nothing ("SORRY. NO SPACE IN lost+found DIRECTORY"): recorded as
    /// unresolved, and the end of a preening run.
    pub fn pfatal_noted(&mut self) -> FResult<()> {
        if self.preen {
            return Err(self.unexpected());
        }
        self.note_problem(false);
        Ok(())
    }

    /// A problem fixed without asking (preen-style "(ADJUSTED)"), or noted without a question.
    pub fn note_problem(&mut self, fixed: bool) {
        let message = self.msg.split_whitespace().collect::<Vec<_>>().join(" ");
        self.problems.push(Problem { message, question: String::new(), fixed });
        self.msg.clear();
        if !fixed {
            self.resolved = false;
        }
    }

    /// Records what was said since the last question as a problem without asking (and without
    /// deciding whether the run is resolved).
    pub fn record(&mut self, fixed: bool) {
        let message = self.msg.split_whitespace().collect::<Vec<_>>().join(" ");
        self.problems.push(Problem { message, question: String::new(), fixed });
        self.msg.clear();
    }

    /// dofix(): asks once per kind of problem (the answer is remembered in `fix`). Preen salvages
    /// without asking ("(SALVAGED)") what is not in a directory; a directory's problem is named with
    /// direrror, whose pfatal ends a preening run.
    pub fn dofix(&mut self, fix: &mut Fix, msg: &str, dir: Option<u64>) -> FResult<bool> {
        match *fix {
            Fix::DontKnow => {
                match dir {
                    Some(d) => self.direrror(d, msg)?,
                    None => self.say(msg),
                }
                if self.preen {
                    self.say(" (SALVAGED)\n");
                    self.record(true);
                    *fix = Fix::Fix;
                    return Ok(true);
                }
                if self.reply("SALVAGE")? {
                    *fix = Fix::Fix;
                    Ok(true)
                } else {
                    *fix = Fix::NoFix;
                    Ok(false)
                }
            }
            Fix::Fix => Ok(true),
            Fix::NoFix | Fix::Ignore => Ok(false),
        }
    }

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

    // ---- geometry ----

    pub fn cgbase(&self, c: u64) -> u64 {
        c * self.sb.fpg as u64
    }

    pub fn cgstart(&self, c: u64) -> u64 {
        self.sb.cgstart(c as u32)
    }

    pub fn cgsblock(&self, c: u64) -> u64 {
        self.cgstart(c) + self.sb.sblkno as u64
    }

    pub fn cgdmin(&self, c: u64) -> u64 {
        self.cgstart(c) + self.sb.dblkno as u64
    }

    pub fn dtog(&self, d: u64) -> u64 {
        d / self.sb.fpg as u64
    }

    pub fn frag(&self) -> u64 {
        self.sb.frag as u64
    }

    /// chkrange(): whether `cnt` fragments at `blk` are outside the data areas (true = bad).
    pub fn chkrange(&self, blk: u64, cnt: u64) -> bool {
        if cnt == 0 || blk == 0 || blk >= self.maxfsblock || cnt - 1 > self.maxfsblock - blk - 1 {
            return true;
        }
        let c = self.dtog(blk);
        if blk < self.cgdmin(c) {
            if blk + cnt > self.cgsblock(c) {
                return true;
            }
        } else if blk + cnt > self.cgbase(c + 1) {
            return true;
        }
        false
    }

    // ---- block map ----

    pub fn testbmap(&self, b: u64) -> bool {
        match self.blockmap.get((b / 64) as usize) {
            Some(w) => w & (1 << (b % 64)) != 0,
            None => true,
        }
    }

    pub fn setbmap(&mut self, b: u64) {
        if let Some(w) = self.blockmap.get_mut((b / 64) as usize) {
            *w |= 1 << (b % 64);
        }
    }

    pub fn clrbmap(&mut self, b: u64) {
        if let Some(w) = self.blockmap.get_mut((b / 64) as usize) {
            *w &= !(1 << (b % 64));
        }
    }

    // ---- buffers ----

    /// `len` bytes at byte offset `off`, through the buffers (getdatablk).
    pub fn bread(&mut self, off: u64, len: usize) -> FResult<Vec<u8>> {
        if let Some(b) = self.bufs.get(&off) {
            if b.data.len() == len {
                return Ok(b.data.clone());
            }
            if b.dirty {
                let b = self.bufs.remove(&off).unwrap();
                self.ndirty -= 1;
                self.write_early(off, b.data);
            } else {
                let b = self.bufs.remove(&off).unwrap();
                self.clean_bytes -= b.data.len();
            }
        }
        // A dirty buffer overlapping the range (another size at another offset) goes out first.
        if self.ndirty == 0 {
            return self.read_fresh(off, len);
        }
        let overlapping: Vec<u64> = self
            .bufs
            .iter()
            .filter(|(&o, b)| b.dirty && o < off + len as u64 && o + b.data.len() as u64 > off)
            .map(|(&o, _)| o)
            .collect();
        for o in overlapping {
            let b = self.bufs.remove(&o).unwrap();
            self.ndirty -= 1;
            self.write_early(o, b.data);
        }
        self.read_fresh(off, len)
    }

    /// Reads the device at `off` as the run sees it (the early writes applied).
    pub fn read_dev(&self, off: u64, buf: &mut [u8]) -> KResult<()> {
        self.dev.read_at(off, buf)?;
        let end = off + buf.len() as u64;
        for (o, data) in &self.early {
            let (o, e) = (*o, *o + data.len() as u64);
            if o < end && e > off {
                let (from, to) = (o.max(off), e.min(end));
                buf[(from - off) as usize..(to - off) as usize]
                    .copy_from_slice(&data[(from - o) as usize..(to - o) as usize]);
            }
        }
        Ok(())
    }

    fn read_fresh(&mut self, off: u64, len: usize) -> FResult<Vec<u8>> {
        let mut v = vec![0u8; len];
        self.read_dev(off, &mut v).map_err(|_| Fatal(format!("CANNOT READ: BLK {}", off / 512)))?;
        if self.clean_bytes + len > CACHE_CLEAN_MAX {
            self.bufs.retain(|_, b| b.dirty);
            self.clean_bytes = 0;
        }
        self.clean_bytes += len;
        self.bufs.insert(off, Buf { data: v.clone(), dirty: false });
        Ok(v)
    }

    /// Replaces the buffer at `off` and marks it dirty (dirty()).
    pub fn bwrite(&mut self, off: u64, data: Vec<u8>) {
        if let Some(old) = self.bufs.remove(&off) {
            if !old.dirty {
                self.clean_bytes -= old.data.len();
            } else {
                self.ndirty -= 1;
                if old.data.len() != data.len() {
                    // Keep what the other size said beyond this one (written before it at the end).
                    self.write_early(off, old.data);
                }
            }
        }
        self.ndirty += 1;
        self.bufs.insert(off, Buf { data, dirty: true });
    }

    /// A dirty buffer leaving the cache before the end of the run (repair mode only; `-n` forgets it).
    fn write_early(&mut self, off: u64, data: Vec<u8>) {
        if self.yes {
            self.early.push((off, data));
        }
    }

    fn write_dev(&mut self, off: u64, data: &[u8]) -> FResult<()> {
        if !self.yes {
            return Ok(());
        }
        self.dev.write_at(off, data).map_err(|_| Fatal(format!("CANNOT WRITE: BLK {}", off / 512)))?;
        self.fsmodified = true;
        Ok(())
    }

    /// Writes what left the cache early, then every dirty buffer (repair mode only; at the end of the
    /// run: nothing is written before).
    pub fn flush_all(&mut self) -> FResult<()> {
        for (o, data) in std::mem::take(&mut self.early) {
            self.write_dev(o, &data)?;
        }
        let mut offs: Vec<u64> = self.bufs.iter().filter(|(_, b)| b.dirty).map(|(&o, _)| o).collect();
        offs.sort_unstable();
        for o in offs {
            let data = std::mem::take(&mut self.bufs.get_mut(&o).unwrap().data);
            self.write_dev(o, &data)?;
            let b = self.bufs.get_mut(&o).unwrap();
            b.data = data;
            b.dirty = false;
            self.ndirty -= 1;
            self.clean_bytes += b.data.len();
        }
        Ok(())
    }

    pub fn frag_bytes(&self, frag: u64) -> u64 {
        frag << self.sb.fshift
    }

    // ---- inodes ----

    /// Where inode `ino` is: the byte offset of its inode block and its offset in the block.
    fn ino_loc(&self, ino: u64) -> (u64, usize) {
        let (fsba, idx) = self.sb.ino_to_fsba(ino);
        (self.frag_bytes(fsba), idx * self.ufs.dinode_size() as usize)
    }

    /// The raw dinode (ginode).
    pub fn ino_raw(&mut self, ino: u64) -> FResult<Vec<u8>> {
        if ino >= self.maxino {
            return Err(Fatal(format!("bad inode number {ino} to ginode")));
        }
        let (blk, at) = self.ino_loc(ino);
        let b = self.bread(blk, self.sb.bsize as usize)?;
        Ok(b[at..at + self.ufs.dinode_size() as usize].to_vec())
    }

    /// Stores a raw dinode (inodirty).
    pub fn put_ino_raw(&mut self, ino: u64, raw: &[u8]) -> FResult<()> {
        let (blk, at) = self.ino_loc(ino);
        let mut b = self.bread(blk, self.sb.bsize as usize)?;
        b[at..at + raw.len()].copy_from_slice(raw);
        self.bwrite(blk, b);
        Ok(())
    }

    pub fn dinode(&mut self, ino: u64) -> FResult<Dinode> {
        let raw = self.ino_raw(ino)?;
        Ok(Dinode::decode(&raw, self.o, self.ufs, self.old_ids))
    }

    /// Changes fields of inode `ino` in place through `f` on its raw bytes.
    pub fn modify_ino(&mut self, ino: u64, f: impl FnOnce(&mut RawIno<'_>)) -> FResult<()> {
        let mut raw = self.ino_raw(ino)?;
        f(&mut RawIno { b: &mut raw, o: self.o, ufs: self.ufs });
        self.put_ino_raw(ino, &raw)
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

    // ---- block lists ----

    /// The data blocks of a directory (or any file) in logical order, as ckinode hands them to a DATA
    /// walk: (logical block, fragment address or 0 for a hole, fragments). Indirect blocks out of range
    /// end the list early. `max_lbn` bounds the walk.
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
                self.walk_ind(a, level, lbn, nblocks, &mut out, &numfrags)?;
            }
            lbn = lbn.saturating_add(span);
        }
        Ok(out)
    }

    fn walk_ind(
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
                self.walk_ind(p, level - 1, l, nblocks, out, numfrags)?;
            }
        }
        Ok(())
    }

    /// Pointer `i` of an indirect block.
    pub fn ptr(&self, blk: &[u8], i: usize) -> u64 {
        match self.ufs {
            Ufs::Ufs1 => self.o.u32(blk, 4 * i) as u64,
            Ufs::Ufs2 => self.o.u64(blk, 8 * i),
        }
    }

    pub fn set_ptr(&self, blk: &mut [u8], i: usize, v: u64) {
        match self.ufs {
            Ufs::Ufs1 => self.o.put_u32(blk, 4 * i, v as u32),
            Ufs::Ufs2 => self.o.put_u64(blk, 8 * i, v),
        }
    }

    /// Whether inode `d` keeps no blocks (devices, fast symlinks: ckinode's early return).
    pub fn has_no_blocks(&self, d: &Dinode) -> bool {
        let t = d.mode & IFMT;
        let max = self.sb.maxsymlinklen as i64;
        t == IFBLK
            || t == IFCHR
            || (t == IFLNK && ((d.size as i64) < max || (max == 0 && d.blocks == 0)) && (d.size as i64) >= 0)
    }

    /// Every block `d` claims, in ckinode order: (fragment address, fragments); indirect blocks come
    /// before what they point to. Blocks behind an out-of-range indirect block are not followed.
    pub fn claims(&mut self, d: &Dinode) -> FResult<Vec<(u64, u64)>> {
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
                self.iblock_claims(a, level + 1, remsize, &mut out, None)?;
            }
            sizepb = sizepb.saturating_mul(self.sb.nindir as i64);
            remsize = remsize.saturating_sub(sizepb);
        }
        Ok(out)
    }

    /// iblock(): the indirect block at `addr` (level `ilevel`, mapping `isize` more bytes) and its
    /// children. With `trunc` (phase 1), pointers past the size are "PARTIALLY TRUNCATED".
    pub fn iblock_claims(
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
        let mut blk = self.bread(off, self.sb.bsize as usize)?;
        let nindir = self.sb.nindir as i64;
        let mut sizepb = self.sb.bsize as i64;
        for _ in 1..ilevel {
            sizepb = sizepb.saturating_mul(nindir);
        }
        let isize_pos = isize.max(0);
        let want = (isize_pos + sizepb - 1) / sizepb;
        let nif = want.min(nindir) as usize;
        if let Some((ino, fix)) = trunc.as_mut() {
            let mut changed = false;
            for i in nif..nindir as usize {
                if self.ptr(&blk, i) == 0 {
                    continue;
                }
                let msg = format!("PARTIALLY TRUNCATED INODE I={ino}");
                if self.dofix(fix, &msg, None)? {
                    self.set_ptr(&mut blk, i, 0);
                    changed = true;
                } else {
                    self.markclean = false;
                }
            }
            if changed {
                self.bwrite(off, blk.clone());
            }
        }
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
                    self.iblock_claims(p, ilevel - 1, isize, out, t)?;
                }
            }
            isize = isize.saturating_sub(sizepb);
        }
        Ok(())
    }

    // ---- directories ----

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
                let mut buf = self.bread(off, blksiz)?;
                // fsck_readdir
                let ent = match self.readdir(&mut buf, &mut loc, &mut filesize, fix, ino, off)? {
                    Some(e) => e,
                    None => break,
                };
                let mut de = DirEnt::parse(&buf[ent.0..ent.0 + ent.1], self.fmt);
                let r = f(self, &mut de, entryno)?;
                entryno = de.entryno_after.unwrap_or(entryno + 1);
                if r & ALTERED != 0 {
                    let mut buf = self.bread(off, blksiz)?;
                    de.store(&mut buf[ent.0..ent.0 + ent.1], self.fmt);
                    self.bwrite(off, buf);
                    self.sbdirty = true;
                }
                if r & STOP != 0 {
                    return Ok(r);
                }
            }
        }
        Ok(if filesize > 0 { KEEPON } else { STOP })
    }

    /// fsck_readdir: the next entry of the block (offset, reclen), salvaging corrupted chunks.
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
        if (*loc).is_multiple_of(DIRBLKSIZ) && *filesize > 0 && *loc < blksiz && !self.dircheck(buf, *loc, *filesize) {
            {
                if *fix == Fix::Ignore {
                    return Ok(None);
                }
                let yes = self.dofix(fix, "DIRECTORY CORRUPTED", Some(dirino))?;
                let o = self.o;
                o.put_u32(buf, *loc, 0);
                o.put_u16(buf, *loc + 4, DIRBLKSIZ as u16);
                buf[*loc + 6] = 0;
                buf[*loc + 7] = 0;
                buf[*loc + 8] = 0;
                if yes {
                    self.bwrite(off, buf.to_vec());
                } else {
                    self.markclean = false;
                    // In -n mode the salvaged chunk stays in memory only.
                    self.keep_clean(off, buf);
                }
                let at = *loc;
                *loc += DIRBLKSIZ;
                *filesize -= DIRBLKSIZ as i64;
                return Ok(Some((at, DIRBLKSIZ)));
            }
        }
        if *filesize <= 0 || *loc >= blksiz {
            return Ok(None);
        }
        let at = *loc;
        let reclen = self.o.u16(buf, at + 4) as usize;
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
            let nr = (reclen + size) as u16;
            self.o.put_u16(buf, at + 4, nr);
            if yes {
                self.bwrite(off, buf.to_vec());
            } else {
                self.markclean = false;
                self.keep_clean(off, buf);
            }
            return Ok(Some((at, reclen + size)));
        }
        Ok(Some((at, reclen)))
    }

    /// Keeps `data` as the in-memory (never written) contents of the buffer at `off`.
    fn keep_clean(&mut self, off: u64, data: &[u8]) {
        if let Some(b) = self.bufs.get_mut(&off) {
            if b.data.len() == data.len() {
                b.data.copy_from_slice(data);
            }
        }
    }

    /// dircheck(): whether the entry at `loc` is sound.
    fn dircheck(&self, buf: &[u8], loc: usize, filesize: i64) -> bool {
        let spaceleft = DIRBLKSIZ - (loc % DIRBLKSIZ);
        if loc + DIRENT_HEADER > buf.len() {
            return false;
        }
        let o = self.o;
        let ino = o.u32(buf, loc) as u64;
        let reclen = o.u16(buf, loc + 4) as usize;
        if ino >= self.maxino || reclen == 0 || reclen > spaceleft || reclen & 3 != 0 {
            return false;
        }
        if ino == 0 {
            return true;
        }
        let (namlen, dtype) =
            if self.fmt.dtype { (buf[loc + 7] as usize, buf[loc + 6]) } else { (o.u16(buf, loc + 6) as usize, 0) };
        let size = dir::dirsiz(namlen);
        if reclen < size || filesize < size as i64 || dtype > 15 || namlen > dir::MAXNAMLEN {
            return false;
        }
        let name = &buf[loc + DIRENT_HEADER..loc + DIRENT_HEADER + namlen];
        if name.iter().any(|&c| c == 0 || c == b'/') {
            return false;
        }
        buf.get(loc + DIRENT_HEADER + namlen) == Some(&0)
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

    /// getpathname(): the path of `ino`, found through `cwd` (its directory) and the parents known.
    pub fn getpathname(&mut self, cwd: u64, ino: u64) -> String {
        if ino == ROOTINO {
            return "/".into();
        }
        let mut parts: Vec<Vec<u8>> = Vec::new();
        let mut cur = ino;
        let mut dir = cwd;
        if cwd != ino {
            match self.findname(cwd, ino) {
                Ok(Some(n)) => parts.push(n),
                _ => return "?".into(),
            }
            cur = cwd;
        }
        let mut guard = 0u64;
        while cur != ROOTINO {
            guard += 1;
            if guard > self.countdirs + 2 {
                break;
            }
            let parent = match self.dirs.get(&cur) {
                Some(i) if i.parent != 0 => i.parent,
                Some(i) if i.dotdot != 0 && i.dotdot != u64::MAX => i.dotdot,
                _ => match self.findino(cur, b"..") {
                    Ok(Some(p)) => p,
                    _ => break,
                },
            };
            match self.findname(parent, cur) {
                Ok(Some(n)) => parts.push(n),
                _ => break,
            }
            cur = parent;
            dir = parent;
        }
        let _ = dir;
        let mut s = String::new();
        if cur != ROOTINO {
            s.push('?');
        }
        for p in parts.iter().rev() {
            s.push('/');
            s.push_str(&String::from_utf8_lossy(p));
        }
        if s.is_empty() {
            s.push('/');
        }
        s
    }

    // ---- allocation and lost+found ----

    /// allocblk(): `frags` free fragments within one block; 0 when there are none.
    pub fn allocblk(&mut self, frags: u64) -> u64 {
        let frag = self.frag();
        let mut i = 0u64;
        while i + frag <= self.maxfsblock {
            let mut j = 0u64;
            while j + frags <= frag {
                if self.testbmap(i + j) {
                    j += 1;
                    continue;
                }
                let mut k = 1;
                while k < frags && !self.testbmap(i + j + k) {
                    k += 1;
                }
                if k < frags {
                    j += k;
                    continue;
                }
                if self.chkrange(i + j, frags) {
                    break;
                }
                for k in 0..frags {
                    self.setbmap(i + j + k);
                }
                self.n_blks += frags;
                return i + j;
            }
            i += frag;
        }
        0
    }

    /// Releases fragments (freeblk).
    pub fn freeblk(&mut self, blk: u64, frags: u64) {
        for k in 0..frags {
            if self.testbmap(blk + k) {
                self.clrbmap(blk + k);
                self.n_blks = self.n_blks.saturating_sub(1);
            }
        }
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
                let first = c as u64 * ipg + i;
                let (blk, _) = self.ino_loc(first);
                self.bwrite(blk, vec![0u8; self.sb.bsize as usize]);
                i += inopb;
            }
            self.inited[c] = (i.min(ipg)) as u32;
        }
        let blk = self.allocblk(1);
        if blk == 0 {
            return Ok(0);
        }
        let now = now_secs();
        let fsize = self.sb.fsize as u64;
        let gen = (now as u32).wrapping_mul(2_654_435_761) ^ ino as u32;
        let mut raw = vec![0u8; self.ufs.dinode_size() as usize];
        {
            let mut r = RawIno { b: &mut raw, o: self.o, ufs: self.ufs };
            r.set_mode(mode);
            r.set_db(0, blk);
            r.set_size(fsize);
            r.set_blocks(fsize / 512);
            r.set_times(now);
            r.set_gen(gen & 0x7fff_ffff);
        }
        self.put_ino_raw(ino, &raw)?;
        self.n_files += 1;
        self.set_state(ino, if mode & IFMT == IFDIR { DSTATE } else { FSTATE });
        if let Some(t) = self.itype.get_mut(ino as usize) {
            *t = iftodt(mode);
        }
        *self.lnc(ino) = 0;
        Ok(ino)
    }

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
        dir::put_entry(&mut b, 0, self.fmt, ino as u32, 12, 4, b".");
        dir::put_entry(&mut b, 12, self.fmt, parent as u32, (DIRBLKSIZ - 12) as u16, 4, b"..");
        let mut at = DIRBLKSIZ;
        while at < fsize {
            self.o.put_u32(&mut b, at, 0);
            self.o.put_u16(&mut b, at + 4, DIRBLKSIZ as u16);
            at += DIRBLKSIZ;
        }
        self.bwrite(self.frag_bytes(blk), b);
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

    /// Records a directory (cacheino).
    pub fn cacheino(&mut self, ino: u64, size: u64, first: u64) {
        let parent = if ino == ROOTINO { ROOTINO } else { 0 };
        if self.dirs.insert(ino, DirInfo { parent, dotdot: 0, isize: size, first }).is_none() {
            self.dirorder.push(ino);
        }
    }

    /// freeino(): releases an inode and its blocks.
    pub fn freeino(&mut self, ino: u64) -> FResult<()> {
        let d = self.dinode(ino)?;
        for (b, n) in self.claims(&d)? {
            if !self.chkrange(b, n) {
                self.freeblk(b, n);
            }
        }
        let z = vec![0u8; self.ufs.dinode_size() as usize];
        self.put_ino_raw(ino, &z)?;
        self.set_state(ino, USTATE);
        self.n_files = self.n_files.saturating_sub(1);
        Ok(())
    }

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

    fn mkentry_scan(&mut self, parent: u64, ino: u64, name: &[u8]) -> FResult<bool> {
        let dtype = if self.fmt.dtype { self.itype.get(ino as usize).copied().unwrap_or(0) } else { 0 };
        let mut fix = Fix::DontKnow;
        let name = name.to_vec();
        let r = self.dirscan(parent, &mut fix, &mut |_, e, _| {
            let newlen = dir::dirsiz(name.len());
            let oldlen = if e.ino != 0 { dir::dirsiz(e.name.len()) } else { 0 };
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
        let mut at = from;
        while at < bsize as usize {
            self.o.put_u32(&mut nb, at, 0);
            self.o.put_u16(&mut nb, at + 4, DIRBLKSIZ as u16);
            at += DIRBLKSIZ;
        }
        self.say(&format!("NO SPACE LEFT IN {name}"));
        if self.preen {
            self.say(" (EXPANDED)\n");
            self.record(true);
        } else if !self.reply("EXPAND")? {
            self.freeblk(newblk, self.frag());
            self.markclean = false;
            return Ok(false);
        }
        self.bwrite(self.frag_bytes(newblk), nb);
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
        } else if !self.reply("RECONNECT")? {
            self.markclean = false;
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
            if !self.reply("REALLOCATE")? {
                self.markclean = false;
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
            self.msg.clear();
        }
        Ok(true)
    }

    fn freedir(&mut self, ino: u64, parent: u64) -> FResult<()> {
        if ino != parent {
            let n = self.dinode(parent)?.nlink;
            self.modify_ino(parent, |r| r.set_nlink(n.wrapping_sub(1)))?;
        }
        self.freeino(ino)
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
        let mut seen = std::collections::HashSet::new();
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

    /// adjust(): link count `lcnt` references short (phase 4; also used by linkup).
    pub fn adjust(&mut self, ino: u64, lcnt: i32) -> FResult<()> {
        pass4::adjust(self, ino, lcnt)
    }
}

/// A dinode's raw bytes with setters for the fields fsck changes.
pub(crate) struct RawIno<'b> {
    pub b: &'b mut [u8],
    pub o: ByteOrder,
    pub ufs: Ufs,
}

impl RawIno<'_> {
    pub fn set_mode(&mut self, m: u16) {
        self.o.put_u16(self.b, 0, m);
    }
    pub fn set_nlink(&mut self, n: u16) {
        self.o.put_u16(self.b, 2, n);
    }
    pub fn set_size(&mut self, s: u64) {
        let off = if self.ufs == Ufs::Ufs1 { 8 } else { 16 };
        self.o.put_u64(self.b, off, s);
    }
    pub fn set_blocks(&mut self, n: u64) {
        match self.ufs {
            Ufs::Ufs1 => self.o.put_u32(self.b, 104, n as u32),
            Ufs::Ufs2 => self.o.put_u64(self.b, 24, n),
        }
    }
    pub fn set_db(&mut self, i: usize, v: u64) {
        match self.ufs {
            Ufs::Ufs1 => self.o.put_u32(self.b, 40 + 4 * i, v as u32),
            Ufs::Ufs2 => self.o.put_u64(self.b, 112 + 8 * i, v),
        }
    }
    pub fn set_gen(&mut self, g: u32) {
        let off = if self.ufs == Ufs::Ufs1 { 108 } else { 80 };
        self.o.put_u32(self.b, off, g);
    }
    pub fn set_times(&mut self, t: i64) {
        match self.ufs {
            Ufs::Ufs1 => {
                for off in [16, 24, 32] {
                    self.o.put_u32(self.b, off, t as u32);
                }
            }
            Ufs::Ufs2 => {
                for off in [32, 40, 48, 56] {
                    self.o.put_u64(self.b, off, t as u64);
                }
            }
        }
    }
    pub fn clear(&mut self) {
        self.b.fill(0);
    }
}

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
    fn parse(b: &[u8], fmt: DirFormat) -> DirEnt {
        let o = fmt.order;
        let ino = o.u32(b, 0) as u64;
        let reclen = o.u16(b, 4) as usize;
        let (dtype, namlen) = if fmt.dtype { (b[6], b[7] as usize) } else { (0, o.u16(b, 6) as usize) };
        let namlen = if ino == 0 { 0 } else { namlen.min(b.len().saturating_sub(DIRENT_HEADER)) };
        DirEnt {
            ino,
            reclen,
            dtype,
            name: b[DIRENT_HEADER..DIRENT_HEADER + namlen].to_vec(),
            split: None,
            bytes: b.to_vec(),
            use_bytes: false,
            entryno_after: None,
        }
    }

    fn store(&self, b: &mut [u8], fmt: DirFormat) {
        if self.use_bytes {
            let n = self.bytes.len().min(b.len());
            b[..n].copy_from_slice(&self.bytes[..n]);
            return;
        }
        let o = fmt.order;
        if let Some((keep, ino, dtype, name)) = &self.split {
            let rest = self.reclen - keep;
            if *keep > 0 {
                o.put_u16(b, 4, *keep as u16);
            }
            let at = *keep;
            dir::put_entry(b, at, fmt, *ino, rest as u16, *dtype, name);
            return;
        }
        o.put_u32(b, 0, self.ino as u32);
        if fmt.dtype {
            b[6] = self.dtype;
        }
    }
}

/// lftempname(): "#" and the inode number, zero-padded to the width of the largest inode number.
pub(crate) fn lftempname(ino: u64, maxino: u64) -> Vec<u8> {
    let width = maxino.to_string().len();
    format!("#{ino:0width$}").into_bytes()
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// print_mtime(): "Jun  1 00:00 2012" (ctime's month, day, time, year; UTC).
pub(crate) fn print_mtime(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    const MON: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!("{} {:2} {:02}:{:02} {:4}", MON[(m - 1) as usize], d, secs / 3600, secs % 3600 / 60, y)
}

/// Checks the FFS on `dev` (found as a mount finds it: partitions, superblock search, journal) and,
/// with `Repair::Yes`, repairs it. Messages go to `log` line by line, as fsck_ffs prints them.
pub fn fsck(dev: &Dev, opts: &FsckOptions, log: &mut dyn FnMut(&str)) -> KResult<FsckReport> {
    let yes = opts.repair == Repair::Yes || opts.preen;
    if yes && dev.readonly() {
        log("cannot repair: the device is read-only");
        return Err(Errno::EROFS);
    }
    let mut report = FsckReport::default();
    let said = std::cell::RefCell::new(Vec::<String>::new());
    let opened =
        super::open(dev, opts.partition.as_deref(), opts.force, &|s: &str| said.borrow_mut().push(s.to_string()));
    for n in said.into_inner() {
        log(&n);
    }
    let opened = match opened {
        Ok(o) => o,
        Err(e) => {
            let msg = format!("CANNOT CHECK FILE SYSTEM: no usable FFS superblock ({e:?})");
            log(&msg);
            report.fatal = Some(msg);
            report.exit_code = FSCK_EXIT_CHECK_FAILED;
            return Ok(report);
        }
    };
    if let Some(p) = &opened.chosen.partition {
        log(&format!("** {p}"));
    }
    // The journal: replayed into the view fsck checks; with -y its blocks are written and the log
    // disabled (fsck_ffs replays it and clears FS_DOWAPBL).
    let mut fsdev = opened.dev.clone();
    let mut sb = opened.sb.clone();
    let mut journal_replayed = false;
    if sb.flags & FS_DOWAPBL != 0 {
        if let Some((n, what)) = &opened.replay {
            log(&format!("** File system is journaled; {what}"));
            journal_replayed = *n > 0;
        }
    }
    let base_dev = opened.chosen.dev.clone();
    // Preen (setup.c): a journaled file system is left to the kernel, which replays its log when it
    // mounts it; only -f checks it (replaying the journal first, as below).
    if opts.preen && !opts.force && sb.flags & FS_DOWAPBL != 0 {
        log("** file system is journaled; not checking");
        report.skipped = true;
        report.exit_code = FSCK_EXIT_OK;
        return Ok(report);
    }
    if yes && journal_replayed {
        // Write the replayed view over the device, then check the device itself.
        if let Err(e) = commit_replay(&fsdev, &base_dev) {
            log(&format!("CANNOT WRITE REPLAYED JOURNAL: {e:?}"));
            report.exit_code = FSCK_EXIT_CHECK_FAILED;
            report.fatal = Some("cannot write the replayed journal".into());
            return Ok(report);
        }
        fsdev = base_dev.clone();
        sb = Superblock::read_at(fsdev.as_ref(), sb.sblockloc)?;
        report.modified = true;
    }
    if opts.preen && sb.is_clean() && !opts.force {
        log("** file system is clean; not checking");
        report.skipped = true;
        report.exit_code = FSCK_EXIT_OK;
        return Ok(report);
    }
    let mut f = match Fsck::setup(fsdev, sb, yes, opts.preen, log) {
        Ok(f) => f,
        Err(Fatal(m)) => {
            log(&m);
            report.fatal = Some(m);
            report.exit_code = FSCK_EXIT_CHECK_FAILED;
            return Ok(report);
        }
    };
    if yes && f.sb.flags & FS_DOWAPBL != 0 {
        f.sb.flags &= !FS_DOWAPBL;
        let fl = f.sb.flags;
        f.o.put_u32(&mut f.sb.raw, 1312, fl);
        f.sbdirty = true;
    }
    let r = f.run();
    f.flush_line();
    report.problems = std::mem::take(&mut f.problems);
    report.modified |= f.fsmodified;
    match r {
        Ok(()) => {}
        Err(Fatal(m)) => {
            (f.log)(&m);
            report.fatal = Some(m);
            report.exit_code = FSCK_EXIT_CHECK_FAILED;
            // Nothing is written before the run ends (buffers and early writes are held until then):
            // a run that stops, as a preening one at its first unexpected inconsistency, leaves the
            // image as it was.
            return Ok(report);
        }
    }
    report.files = f.n_files;
    report.used = f.n_blks;
    let (nffree, nbfree) = (f.sb.cstotal.nffree.max(0) as u64, f.sb.cstotal.nbfree.max(0) as u64);
    report.frags = nffree;
    report.blocks = nbfree;
    report.free = nffree + f.frag() * nbfree;
    let dsize = f.sb.dsize.max(1);
    report.summary = format!(
        "{} files, {} used, {} free ({} frags, {} blocks, {}.{}% fragmentation)",
        f.n_files,
        f.n_blks,
        report.free,
        nffree,
        nbfree,
        nffree * 100 / dsize,
        (nffree * 1000 + dsize / 2) / dsize % 10
    );
    report.marked_clean = f.marked_clean_now;
    report.modified |= f.fsmodified;
    report.exit_code = f.exit_code;
    Ok(report)
}

/// Writes every block of the replayed view that differs from the device underneath.
fn commit_replay(view: &Dev, base: &Dev) -> KResult<()> {
    let size = base.size().min(view.size());
    let chunk = 1u64 << 20;
    let mut a = vec![0u8; chunk as usize];
    let mut b = vec![0u8; chunk as usize];
    let mut off = 0u64;
    while off < size {
        let n = (size - off).min(chunk) as usize;
        view.read_at(off, &mut a[..n])?;
        base.read_at(off, &mut b[..n])?;
        if a[..n] != b[..n] {
            base.write_at(off, &a[..n])?;
        }
        off += n as u64;
    }
    base.flush()
}

impl<'a> Fsck<'a> {
    /// setup(): the checks of the superblock fsck needs before it can walk anything, and the tables.
    fn setup(dev: Dev, sb: Superblock, yes: bool, preen: bool, log: &'a mut dyn FnMut(&str)) -> FResult<Fsck<'a>> {
        let devsize = dev.size();
        let fsbytes = sb.size.checked_mul(sb.fsize as u64).ok_or_else(|| Fatal("BAD SUPER BLOCK: size".into()))?;
        if fsbytes > devsize {
            return Err(Fatal(format!(
                "BAD SUPER BLOCK: FILE SYSTEM SIZE {fsbytes} BYTES LARGER THAN DEVICE ({devsize} BYTES)"
            )));
        }
        let maxino = sb.ninodes();
        let ncg = sb.ncg as u64;
        let last_dmin = sb.cgstart(sb.ncg - 1) + sb.dblkno as u64;
        if last_dmin > sb.size {
            return Err(Fatal(format!("BAD SUPER BLOCK: last cylinder group's inodes end past fs_size {}", sb.size)));
        }
        if sb.cssize < sb.ncg.saturating_mul(16) || sb.csaddr + (sb.cssize as u64).div_ceil(sb.fsize as u64) > sb.size {
            return Err(Fatal(format!(
                "BAD SUPER BLOCK: summary area at {} ({} bytes) for {} groups",
                sb.csaddr, sb.cssize, sb.ncg
            )));
        }
        if sb.ufs == Ufs::Ufs1 && !sb.has_new_layout() && sb.raw.len() >= 1360 {
            let pbf = sb.order.i32(&sb.raw, 1356);
            if pbf != 1 {
                return Err(Fatal(format!(
                    "UNKNOWN ROTATIONAL TABLE FORMAT {pbf} (only the dynamic format is checked)"
                )));
            }
        }
        let maxfsblock = sb.size;
        let words = (maxfsblock + sb.frag as u64).div_ceil(64) as usize;
        let o = sb.order;
        let ufs = sb.ufs;
        let fmt = DirFormat { order: o, dtype: sb.has_dtype() };
        let old_ids = sb.old_inodefmt < super::superblock::FS_44INODEFMT;
        let mut csum = vec![0u8; sb.cssize as usize];
        dev.read_at(sb.csaddr << sb.fshift, &mut csum).map_err(|_| Fatal("CANNOT READ SUMMARY AREA".into()))?;
        let f = Fsck {
            dev,
            o,
            ufs,
            fmt,
            old_ids,
            yes,
            preen,
            log,
            line: String::new(),
            msg: String::new(),
            problems: Vec::new(),
            resolved: true,
            rerun: false,
            markclean: true,
            fsmodified: false,
            maxino,
            maxfsblock,
            state: vec![0u8; maxino as usize],
            linkcnt: vec![0i32; maxino as usize],
            itype: vec![0u8; maxino as usize],
            zln: Vec::new(),
            dirs: HashMap::new(),
            dirorder: Vec::new(),
            countdirs: 0,
            inited: vec![sb.ipg; ncg as usize],
            blockmap: vec![0u64; words],
            dups: BTreeMap::new(),
            n_files: 0,
            n_blks: 0,
            lfdir: 0,
            bufs: HashMap::new(),
            early: Vec::new(),
            clean_bytes: 0,
            ndirty: 0,
            sbdirty: false,
            csum,
            csdirty: false,
            scratch: 0,
            marked_clean_now: false,
            exit_code: 0,
            sb,
        };
        Ok(f)
    }

    /// checkfilesys(): the phases, the summary, the clean flag, the exit code.
    fn run(&mut self) -> FResult<()> {
        if !self.preen {
            let mnt = String::from_utf8_lossy(&self.sb.fsmnt).into_owned();
            (self.log)(&format!("** Last Mounted on {mnt}"));
        }
        self.phase("** Phase 1 - Check Blocks and Sizes");
        pass1::pass1(self)?;
        if !self.dups.is_empty() {
            self.phase("** Phase 1b - Rescan For More DUPS");
            pass1::pass1b(self)?;
        }
        self.phase("** Phase 2 - Check Pathnames");
        pass2::pass2(self)?;
        self.phase("** Phase 3 - Check Connectivity");
        pass2::pass3(self)?;
        self.phase("** Phase 4 - Check Reference Counts");
        pass4::pass4(self)?;
        self.phase("** Phase 5 - Check Cyl groups");
        pass5::pass5(self)?;
        self.flush_line();
        let nffree = self.sb.cstotal.nffree.max(0) as u64;
        let nbfree = self.sb.cstotal.nbfree.max(0) as u64;
        let dsize = self.sb.dsize.max(1);
        let line = format!(
            "{} files, {} used, {} free ({} frags, {} blocks, {}.{}% fragmentation)",
            self.n_files,
            self.n_blks,
            nffree + self.frag() * nbfree,
            nffree,
            nbfree,
            nffree * 100 / dsize,
            (nffree * 1000 + dsize / 2) / dsize % 10
        );
        (self.log)(&line);
        if self.rerun {
            self.markclean = false;
        }
        // ckfini(): write what changed, then the clean flag.
        let any_dirty = self.bufs.values().any(|b| b.dirty) || self.sbdirty || self.csdirty;
        if self.yes {
            if any_dirty {
                self.sb.time = now_secs();
                pass5::store_time(self);
            }
            self.flush_all()?;
            pass5::write_summaries(self)?;
            if self.markclean && self.resolved && !self.sb.is_clean() {
                if self.preen {
                    (self.log)("MARKING FILE SYSTEM CLEAN");
                } else {
                    self.flush_line();
                    (self.log)("");
                    (self.log)("MARK FILE SYSTEM CLEAN? yes");
                    (self.log)("");
                }
                if self.markclean {
                    self.sb.clean = FS_ISCLEAN;
                    self.sb.raw[209] = FS_ISCLEAN;
                    self.o.put_u64(&mut self.sb.raw, 1104, 0);
                    self.o.put_u32(&mut self.sb.raw, 1112, 0);
                    self.sbdirty = true;
                    pass5::write_summaries(self)?;
                    self.marked_clean_now = true;
                    self.flush_line();
                    if !self.preen {
                        (self.log)("");
                        (self.log)("***** FILE SYSTEM MARKED CLEAN *****");
                    }
                }
            }
            self.dev.flush().map_err(|_| Fatal("CANNOT FLUSH DEVICE".into()))?;
        }
        self.flush_line();
        if !self.resolved || self.rerun {
            (self.log)("");
            (self.log)("***** UNRESOLVED INCONSISTENCIES REMAIN *****");
        }
        if self.fsmodified && !self.preen {
            (self.log)("");
            (self.log)("***** FILE SYSTEM WAS MODIFIED *****");
        }
        if self.rerun && self.fsmodified {
            (self.log)("");
            (self.log)("***** PLEASE RERUN FSCK *****");
        }
        self.exit_code = if !self.resolved || self.rerun { FSCK_EXIT_UNRESOLVED } else { FSCK_EXIT_OK };
        Ok(())
    }
}

/// The superblock's fs_old_flags says whether the UFS1 layout fields were updated.
pub(crate) fn updated(sb: &Superblock) -> bool {
    sb.ufs == Ufs::Ufs2 || u32::from(sb.old_flags) & FS_FLAGS_UPDATED != 0
}
