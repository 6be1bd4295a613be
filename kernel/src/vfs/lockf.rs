//! POSIX advisory record locks (NetBSD sys/kern/vfs_lockf.c, F_POSIX locks only): byte ranges of a
//! file locked shared (F_RDLCK) or exclusive (F_WRLCK) by a process. A process's locks on a file go
//! when it closes any descriptor of that file or exits; a fork does not inherit them.

use super::types::*;
use crate::errno::{Errno, KResult};
use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard};

/// One held lock: bytes `start..=end` (`end` u64::MAX: to end of file, whatever it becomes).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct Lock {
    pid: u32,
    start: u64,
    end: u64,
    ltype: i16,
}

impl Lock {
    fn overlaps(&self, start: u64, end: u64) -> bool {
        self.start <= end && start <= self.end
    }

    /// Whether `self`, held by another process, stops `ltype` on `start..=end` being taken.
    fn blocks(&self, pid: u32, start: u64, end: u64, ltype: i16) -> bool {
        self.pid != pid && self.overlaps(start, end) && (self.ltype == F_WRLCK || ltype == F_WRLCK)
    }
}

#[derive(Default)]
struct Table {
    /// (fsid, inode) → the locks held on that file.
    files: HashMap<(u64, Ino), Vec<Lock>>,
    /// Processes sleeping in F_SETLKW → the process they wait for (for EDEADLK).
    waiting: HashMap<u32, u32>,
}

/// Every advisory lock of the kernel.
#[derive(Default)]
pub(crate) struct LockTable {
    t: Mutex<Table>,
    cv: Condvar,
}

/// lf_advlock's range: a flock made absolute (`cur` is the file offset, `size` the file size).
pub(crate) fn flock_range(fl: &Flock, cur: u64, size: u64) -> KResult<(u64, u64)> {
    let base: i64 = match fl.whence as i32 {
        SEEK_SET => 0,
        SEEK_CUR => i64::try_from(cur).map_err(|_| Errno::EOVERFLOW)?,
        SEEK_END => i64::try_from(size).map_err(|_| Errno::EOVERFLOW)?,
        _ => return Err(Errno::EINVAL),
    };
    let mut start = base.checked_add(fl.start).ok_or(Errno::EOVERFLOW)?;
    if start < 0 {
        return Err(Errno::EINVAL);
    }
    let end: i64 = if fl.len < 0 {
        if start == 0 {
            return Err(Errno::EINVAL);
        }
        let end = start - 1;
        start = start.checked_add(fl.len).ok_or(Errno::EINVAL)?;
        if start < 0 {
            return Err(Errno::EINVAL);
        }
        end
    } else if fl.len == 0 {
        return Ok((start as u64, u64::MAX));
    } else {
        start.checked_add(fl.len - 1).ok_or(Errno::EOVERFLOW)?
    };
    Ok((start as u64, end as u64))
}

impl LockTable {
    fn lock(&self) -> MutexGuard<'_, Table> {
        self.t.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// lf_getlock: the first lock of another process that would block `ltype` on `start..=end`,
    /// written back into `fl` (l_type F_UNLCK when there is none).
    pub fn getlk(&self, key: (u64, Ino), pid: u32, start: u64, end: u64, fl: &mut Flock) {
        let t = self.lock();
        let blocker = t
            .files
            .get(&key)
            .and_then(|v| v.iter().filter(|l| l.blocks(pid, start, end, fl.ltype)).min_by_key(|l| l.start).copied());
        match blocker {
            Some(l) => {
                fl.ltype = l.ltype;
                fl.whence = SEEK_SET as i16;
                fl.start = l.start as i64;
                fl.len = if l.end == u64::MAX { 0 } else { (l.end - l.start + 1) as i64 };
                fl.pid = l.pid as i32;
            }
            None => fl.ltype = F_UNLCK,
        }
    }

    /// lf_setlock / lf_clearlock: take (or with F_UNLCK release) `start..=end` for `pid`. EAGAIN if
    /// another process holds a conflicting lock and `wait` is false; with `wait`, sleeps until it is
    /// released (EDEADLK if that process is itself waiting for one of ours).
    pub fn setlk(&self, key: (u64, Ino), pid: u32, start: u64, end: u64, ltype: i16, wait: bool) -> KResult<()> {
        let mut t = self.lock();
        if ltype != F_UNLCK {
            loop {
                let blocker = t.files.get(&key).and_then(|v| v.iter().find(|l| l.blocks(pid, start, end, ltype)));
                let Some(b) = blocker.map(|l| l.pid) else { break };
                if !wait {
                    return Err(Errno::EAGAIN);
                }
                // Deadlock: following "waits for" from the holder leads back to us.
                let mut cur = b;
                let mut hops = 0;
                while let Some(&next) = t.waiting.get(&cur) {
                    if next == pid || hops > 1024 {
                        return Err(Errno::EDEADLK);
                    }
                    cur = next;
                    hops += 1;
                }
                t.waiting.insert(pid, b);
                t = self.cv.wait(t).unwrap_or_else(|e| e.into_inner());
                t.waiting.remove(&pid);
            }
        }
        let locks = t.files.entry(key).or_default();
        // Cut our own locks out of the range, keeping what lies on either side.
        let mut kept = Vec::with_capacity(locks.len() + 1);
        for l in locks.drain(..) {
            if l.pid != pid || !l.overlaps(start, end) {
                kept.push(l);
                continue;
            }
            if l.start < start {
                kept.push(Lock { end: start - 1, ..l });
            }
            if l.end > end {
                kept.push(Lock { start: end + 1, ..l });
            }
        }
        if ltype != F_UNLCK {
            kept.push(Lock { pid, start, end, ltype });
        }
        if kept.is_empty() {
            t.files.remove(&key);
        } else {
            *locks = kept;
        }
        drop(t);
        self.cv.notify_all();
        Ok(())
    }

    /// fd_close's VOP_ADVLOCK(F_UNLCK): every lock `pid` holds on the file goes.
    pub fn release_file(&self, key: (u64, Ino), pid: u32) {
        let mut t = self.lock();
        let Some(v) = t.files.get_mut(&key) else { return };
        let before = v.len();
        v.retain(|l| l.pid != pid);
        let changed = v.len() != before;
        if v.is_empty() {
            t.files.remove(&key);
        }
        drop(t);
        if changed {
            self.cv.notify_all();
        }
    }

    /// exit1: every lock of `pid` goes.
    pub fn release_pid(&self, pid: u32) {
        let mut t = self.lock();
        t.files.retain(|_, v| {
            v.retain(|l| l.pid != pid);
            !v.is_empty()
        });
        drop(t);
        self.cv.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fl(start: i64, len: i64, whence: i32) -> Flock {
        Flock { start, len, pid: 0, ltype: F_WRLCK, whence: whence as i16 }
    }

    #[test]
    fn ranges_as_lf_advlock_computes_them() {
        assert_eq!(flock_range(&fl(10, 5, SEEK_SET), 0, 0), Ok((10, 14)));
        assert_eq!(flock_range(&fl(10, 0, SEEK_SET), 0, 0), Ok((10, u64::MAX)));
        assert_eq!(flock_range(&fl(10, -5, SEEK_SET), 0, 0), Ok((5, 9)));
        assert_eq!(flock_range(&fl(0, -5, SEEK_SET), 0, 0), Err(Errno::EINVAL));
        assert_eq!(flock_range(&fl(-1, 5, SEEK_SET), 0, 0), Err(Errno::EINVAL));
        assert_eq!(flock_range(&fl(1024, 1024, SEEK_END), 0, 8192), Ok((9216, 10239)));
        assert_eq!(flock_range(&fl(1, 1, SEEK_CUR), 7, 0), Ok((8, 8)));
        assert_eq!(flock_range(&fl(0, 1, 3), 0, 0), Err(Errno::EINVAL));
        assert_eq!(flock_range(&fl(i64::MAX, 2, SEEK_SET), 0, 0), Err(Errno::EOVERFLOW));
    }

    #[test]
    fn split_merge_and_conflicts() {
        let t = LockTable::default();
        let k = (1, 2);
        t.setlk(k, 1, 0, 99, F_WRLCK, false).unwrap();
        assert_eq!(t.setlk(k, 2, 50, 50, F_RDLCK, false), Err(Errno::EAGAIN));
        t.setlk(k, 1, 40, 59, F_UNLCK, false).unwrap();
        t.setlk(k, 2, 50, 50, F_RDLCK, false).unwrap();
        t.setlk(k, 3, 45, 55, F_RDLCK, false).unwrap();
        let mut f = Flock { ltype: F_WRLCK, ..Default::default() };
        t.getlk(k, 4, 0, u64::MAX, &mut f);
        assert_eq!((f.start, f.len, f.pid), (0, 40, 1));
        t.release_pid(1);
        t.getlk(k, 4, 0, u64::MAX, &mut f);
        assert_eq!((f.start, f.len, f.pid), (45, 11, 3));
        t.release_file(k, 3);
        t.release_file(k, 2);
        f.ltype = F_WRLCK;
        t.getlk(k, 4, 0, u64::MAX, &mut f);
        assert_eq!(f.ltype, F_UNLCK);
    }
}
