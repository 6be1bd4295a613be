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
//! Every on-disk structure is read and written through the driver's layout modules (superblock, cg,
//! inode, dir) and its buffer cache; the cache sits on a copy-on-write overlay of the device, so nothing
//! reaches the device before the run has decided, and `-y` commits the overlay at the end. The files
//! are sbin/fsck_ffs's: this one (main.c: the run, and fsck.h's state), `setup` (the superblock checks,
//! the journal), `utilities` (messages and questions, buffers, the block map, the clock), `inode`
//! (inode access, the walk of an inode's blocks, allocation and release of inodes), `dir` (directory
//! walking, entries made and changed, lost+found), then one file per phase.

mod dir;
mod inode;
mod pass1;
mod pass1b;
mod pass2;
mod pass3;
mod pass4;
mod pass5;
mod setup;
mod utilities;

pub(crate) use utilities::print_mtime;

use super::cache::BlockCache;
use super::dir::DirFormat;
use super::endian::ByteOrder;
use super::superblock::{Superblock, Ufs, FS_ISCLEAN};
use crate::dev::{BlockDevice, Dev, OverlayDevice};
use crate::errno::{Errno, KResult};
use crate::hyper::Hypervisor;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

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

    /// A run that stops with `msg` (exit code 8).
    fn failed(mut self, msg: String) -> FsckReport {
        self.fatal = Some(msg);
        self.exit_code = FSCK_EXIT_CHECK_FAILED;
        self
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

/// The run's state: the superblock, per-inode facts, the block map, the buffers.
pub(crate) struct Fsck<'a> {
    /// What the run reads and writes: an overlay of the file system's device, committed to `target`
    /// at the end of a repairing run.
    pub dev: Arc<OverlayDevice>,
    pub target: Dev,
    pub cache: BlockCache,
    pub hyper: &'a dyn Hypervisor,
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
    pub sbdirty: bool,
    /// The summary array (fs_cssize bytes at fs_csaddr).
    pub csum: Vec<u8>,
    pub csdirty: bool,
    scratch: i32,
    pub marked_clean_now: bool,
    pub exit_code: i32,
}

/// Checks the FFS on `dev` (found as a mount finds it: partitions, superblock search, journal) and,
/// with `Repair::Yes`, repairs it. Messages go to `log` line by line, as fsck_ffs prints them. The
/// time written into what fsck changes (new inodes, fs_time) is `hyper`'s clock.
pub fn fsck(dev: &Dev, opts: &FsckOptions, hyper: &dyn Hypervisor, log: &mut dyn FnMut(&str)) -> KResult<FsckReport> {
    let yes = opts.repair == Repair::Yes || opts.preen;
    if yes && dev.readonly() {
        log("cannot repair: the device is read-only");
        return Err(Errno::EROFS);
    }
    let report = FsckReport::default();
    let (fsdev, sb, replayed) = match setup::open(dev, opts, yes, log)? {
        setup::Opened::Check { dev, sb, replayed } => (dev, sb, replayed),
        setup::Opened::Skip => return Ok(FsckReport { skipped: true, exit_code: FSCK_EXIT_OK, ..report }),
        setup::Opened::Failed(m) => return Ok(report.failed(m)),
    };
    let mut f = match Fsck::setup(fsdev, *sb, yes, opts.preen, hyper, log) {
        Ok(f) => f,
        Err(Fatal(m)) => {
            log(&m);
            return Ok(report.failed(m));
        }
    };
    let r = f.run();
    f.flush_line();
    let problems = std::mem::take(&mut f.problems);
    let mut report = FsckReport { problems, modified: replayed || f.fsmodified, ..report };
    if let Err(Fatal(m)) = r {
        (f.log)(&m);
        // Nothing is written before the run ends (the overlay holds every change until then): a run
        // that stops, as a preening one at its first unexpected inconsistency, leaves the image as it was.
        return Ok(report.failed(m));
    }
    let (nffree, nbfree) = (f.sb.cstotal.nffree.max(0) as u64, f.sb.cstotal.nbfree.max(0) as u64);
    report.files = f.n_files;
    report.used = f.n_blks;
    report.frags = nffree;
    report.blocks = nbfree;
    report.free = nffree + f.frag() * nbfree;
    report.summary = f.summary_line();
    report.marked_clean = f.marked_clean_now;
    report.exit_code = f.exit_code;
    Ok(report)
}

impl Fsck<'_> {
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
            pass1b::pass1b(self)?;
        }
        self.phase("** Phase 2 - Check Pathnames");
        pass2::pass2(self)?;
        self.phase("** Phase 3 - Check Connectivity");
        pass3::pass3(self)?;
        self.phase("** Phase 4 - Check Reference Counts");
        pass4::pass4(self)?;
        self.phase("** Phase 5 - Check Cyl groups");
        pass5::pass5(self)?;
        self.flush_line();
        let line = self.summary_line();
        (self.log)(&line);
        if self.rerun {
            self.markclean = false;
        }
        if self.yes {
            self.ckfini()?;
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

    /// "N files, N used, N free (N frags, N blocks, N.N% fragmentation)".
    fn summary_line(&self) -> String {
        let nffree = self.sb.cstotal.nffree.max(0) as u64;
        let nbfree = self.sb.cstotal.nbfree.max(0) as u64;
        let dsize = self.sb.dsize.max(1);
        format!(
            "{} files, {} used, {} free ({} frags, {} blocks, {}.{}% fragmentation)",
            self.n_files,
            self.n_blks,
            nffree + self.frag() * nbfree,
            nffree,
            nbfree,
            nffree * 100 / dsize,
            (nffree * 1000 + dsize / 2) / dsize % 10
        )
    }

    /// ckfini() of a repairing run: what changed written (with fs_time), then the clean flag; the
    /// overlay committed to the device.
    fn ckfini(&mut self) -> FResult<()> {
        if self.cache.dirty_bytes() > 0 || self.sbdirty || self.csdirty {
            let now = self.now();
            self.sb.time = now;
            self.sb.raw_mut().set_time(now);
            self.sbdirty = true;
        }
        self.cache.flush(self.dev.as_ref()).map_err(|_| Fatal("CANNOT WRITE BUFFERS".into()))?;
        self.write_summaries()?;
        if self.markclean && self.resolved && !self.sb.is_clean() {
            if self.preen {
                (self.log)("MARKING FILE SYSTEM CLEAN");
            } else {
                self.flush_line();
                (self.log)("");
                (self.log)("MARK FILE SYSTEM CLEAN? yes");
                (self.log)("");
            }
            self.sb.clean = FS_ISCLEAN;
            let mut w = self.sb.raw_mut();
            w.set_clean(FS_ISCLEAN);
            w.set_pending(0, 0);
            self.sbdirty = true;
            self.write_summaries()?;
            self.marked_clean_now = true;
            self.flush_line();
            if !self.preen {
                (self.log)("");
                (self.log)("***** FILE SYSTEM MARKED CLEAN *****");
            }
        }
        self.fsmodified |= self.dev.dirty_bytes() > 0;
        self.dev.commit(self.target.as_ref()).map_err(|_| Fatal("CANNOT WRITE THE REPAIRS".into()))
    }

    /// The superblock and the summary array into the overlay when they changed.
    pub fn write_summaries(&mut self) -> FResult<()> {
        if self.csdirty {
            let off = self.frag_bytes(self.sb.csaddr);
            self.dev.write_at(off, &self.csum).map_err(|_| Fatal("CANNOT WRITE SUMMARY AREA".into()))?;
            self.csdirty = false;
        }
        if self.sbdirty {
            self.dev.write_at(self.sb.sblockloc, &self.sb.raw).map_err(|_| Fatal("CANNOT WRITE SUPERBLOCK".into()))?;
            self.sbdirty = false;
        }
        Ok(())
    }
}
