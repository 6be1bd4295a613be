//! Descriptors: dup, dup2, fcntl and record locks.

use super::*;
use crate::errno::{Errno, KResult};
use crate::vfs::file::{Backing, FdEntry};
use crate::vfs::types::*;

impl Proc {
    /// dup(2): the lowest free descriptor, sharing the open file (close-on-exec cleared).
    pub fn dup(&self, fd: i32) -> KResult<i32> {
        let mut st = self.lock();
        let file = st.fds.get(fd)?.file.clone();
        st.fds.alloc(FdEntry { file, cloexec: false }, 0)
    }

    /// dup2(2): `new` becomes a copy of `old`, closing what was there (EBADF if out of range).
    pub fn dup2(&self, old: i32, new: i32) -> KResult<i32> {
        let prev = {
            let mut st = self.lock();
            let file = st.fds.get(old)?.file.clone();
            if old == new {
                return Ok(new);
            }
            st.fds.put(new, FdEntry { file, cloexec: false })?
        };
        if let Some(e) = prev {
            self.closed(e);
        }
        Ok(new)
    }

    /// fcntl(2): F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL, F_SETFL (FCNTLFLAGS only).
    pub fn fcntl(&self, fd: i32, cmd: i32, arg: i64) -> KResult<i64> {
        let mut st = self.lock();
        let e = st.fds.get_mut(fd)?;
        match cmd {
            F_DUPFD | F_DUPFD_CLOEXEC => {
                if arg < 0 || arg as usize >= super::file::MAXFILES {
                    return Err(Errno::EINVAL);
                }
                let file = e.file.clone();
                Ok(st.fds.alloc(FdEntry { file, cloexec: cmd == F_DUPFD_CLOEXEC }, arg as usize)? as i64)
            }
            F_GETFD => Ok(if e.cloexec { FD_CLOEXEC as i64 } else { 0 }),
            F_SETFD => {
                e.cloexec = arg & FD_CLOEXEC as i64 != 0;
                Ok(0)
            }
            F_GETFL => Ok(e.file.flags() as i64),
            F_SETFL => {
                let cur = e.file.flags();
                e.file.set_flags((cur & !FCNTLFLAGS) | (arg as u32 & FCNTLFLAGS));
                Ok(0)
            }
            _ => Err(Errno::EINVAL),
        }
    }

    /// fcntl(2) F_GETLK, F_SETLK, F_SETLKW: do_fcntl_lock → VOP_ADVLOCK → lf_advlock (POSIX record
    /// locks owned by this process). EBADF for a read lock on a file not open for reading or a write
    /// lock on one not open for writing; EAGAIN when another process holds a conflicting lock.
    pub fn fcntl_lock(&self, fd: i32, cmd: i32, fl: &mut Flock) -> KResult<()> {
        let f = self.file(fd)?;
        if !matches!(f.backing, Backing::Vnode) {
            return Err(Errno::EINVAL);
        }
        if !matches!(fl.ltype, F_RDLCK | F_WRLCK | F_UNLCK) {
            return Err(Errno::EINVAL);
        }
        let size = f.vnode.getattr()?.size;
        let (start, end) = super::lockf::flock_range(fl, f.offset(), size)?;
        let key = (f.vnode.mount.fsid, f.vnode.ino);
        match cmd {
            F_GETLK => {
                if fl.ltype != F_UNLCK {
                    self.kernel.locks.getlk(key, self.pid, start, end, fl);
                }
                Ok(())
            }
            F_SETLK | F_SETLKW => {
                if (fl.ltype == F_RDLCK && !f.readable()) || (fl.ltype == F_WRLCK && !f.writable()) {
                    return Err(Errno::EBADF);
                }
                self.kernel.locks.setlk(key, self.pid, start, end, fl.ltype, cmd == F_SETLKW)
            }
            _ => Err(Errno::EINVAL),
        }
    }
}
