//! utilities.c: the messages and questions (pwarn, pfatal, reply, dofix), the buffers (bread and the
//! dirtying of a buffer, through the driver's cache), the block map and the allocation of fragments
//! from it, the geometry helpers, path names for messages, and the clock.

use super::*;
use crate::fs::ffs::superblock::ROOTINO;

impl Fsck<'_> {
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

    /// The message said since the last question, as one line.
    fn take_msg(&mut self) -> String {
        let message = self.msg.split_whitespace().collect::<Vec<_>>().join(" ");
        self.msg.clear();
        message
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
        let message = self.take_msg();
        let message =
            message.trim_end_matches(&format!("{question}? yes")).trim_end_matches(&format!("{question}? no"));
        self.problems.push(Problem { message: message.trim().to_string(), question: question.to_string(), fixed: yes });
        if !yes {
            self.resolved = false;
        }
        Ok(yes)
    }

    /// `reply(question)` where a "no" leaves the file system not to be marked clean (the `else markclean
    /// = 0` fsck_ffs writes after each such question). Returns the answer.
    pub fn ask(&mut self, question: &str) -> FResult<bool> {
        let yes = self.reply(question)?;
        if !yes {
            self.markclean = false;
        }
        Ok(yes)
    }

    /// The repair of a directory entry already changed in the block: "FIX?", and a yes marks the block
    /// to be written (`*ret |= ALTERED`).
    pub fn fix_entry(&mut self, ret: &mut u32) -> FResult<()> {
        if self.ask("FIX")? {
            *ret |= super::ALTERED;
        }
        Ok(())
    }

    /// A repair preen makes by itself, saying `preened` (" (ADJUSTED)"); otherwise asked as `question`.
    /// Returns whether to make it (a "no" leaves the file system not to be marked clean).
    pub fn preen_or_ask(&mut self, preened: &str, question: &str) -> FResult<bool> {
        if self.preen {
            self.say(&format!(" ({preened})\n"));
            self.record(true);
            return Ok(true);
        }
        self.ask(question)
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
        self.record(fixed);
        if !fixed {
            self.resolved = false;
        }
    }

    /// Records what was said since the last question as a problem without asking (and without
    /// deciding whether the run is resolved).
    pub fn record(&mut self, fixed: bool) {
        let message = self.take_msg();
        self.problems.push(Problem { message, question: String::new(), fixed });
    }

    /// Forgets what was said since the last question (it is not a problem of its own).
    pub fn forget_msg(&mut self) {
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

    // ---- buffers ----

    /// bread(): `len` bytes at byte offset `off`, through the cache.
    pub fn bread(&mut self, off: u64, len: usize) -> FResult<Arc<Vec<u8>>> {
        self.cache.read(self.dev.as_ref(), off, len).map_err(|_| Fatal(format!("CANNOT READ: BLK {}", off / 512)))
    }

    /// The buffer at `off` (`len` bytes) changed in place by `f` and marked dirty (dirty()).
    pub fn bmodify<R>(&mut self, off: u64, len: usize, f: impl FnOnce(&mut [u8]) -> R) -> FResult<R> {
        self.cache.modify(self.dev.as_ref(), off, len, f).map_err(|_| Fatal(format!("CANNOT READ: BLK {}", off / 512)))
    }

    /// The buffer at `off` becomes `data` and is dirty.
    pub fn bwrite(&mut self, off: u64, data: &[u8]) -> FResult<()> {
        self.bmodify(off, data.len(), |b| b.copy_from_slice(data))
    }

    /// Reads the device at `off` as the run sees it, past the cache (phase 1's long reads of inodes).
    pub fn read_dev(&self, off: u64, buf: &mut [u8]) -> KResult<()> {
        self.dev.read_at(off, buf)
    }

    pub fn frag_bytes(&self, frag: u64) -> u64 {
        self.sb.frag_to_bytes(frag)
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

    // ---- names and time ----

    /// getpathname(): the path of `ino`, found through `cwd` (its directory) and the parents known.
    pub fn getpathname(&mut self, cwd: u64, ino: u64) -> String {
        if ino == ROOTINO {
            return "/".into();
        }
        let mut parts: Vec<Vec<u8>> = Vec::new();
        let mut cur = ino;
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
        }
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

    /// The time now, in seconds (the hypervisor's clock: the host's, or a session's fixed one).
    pub fn now(&self) -> i64 {
        self.hyper.wall_clock().sec
    }
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
