//! The syscalls, one function each, with NetBSD's names, argument order, semantics and errno values.
//! Paths are byte strings (as in C); buffers are byte slices. Every function says which NetBSD function's
//! behaviour it follows. One file per family: ident, rdwr, stat, names, attr, desc, cwd, mounts.

mod attr;
mod cwd;
mod desc;
mod ident;
mod mounts;
mod names;
mod rdwr;
mod stat;

use super::file::{FdTable, OpenFile};
use super::namei::{check_path, LookupCtx, Nd, Want};
use super::types::*;
use super::*;
use crate::errno::{Errno, KResult};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};

/// Most supplementary groups (NGROUPS_MAX).
pub const NGROUPS_MAX: usize = 16;

pub use super::vnops::UtimeSpec;

/// uname(3)'s answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Utsname {
    pub sysname: String,
    pub nodename: String,
    pub release: String,
    pub version: String,
    pub machine: String,
}

/// A sysctl value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SysctlValue {
    Str(String),
    Int(i64),
}

struct ProcState {
    cred: Arc<Cred>,
    umask: u32,
    // Shared, so a syscall's snapshot of them costs an atomic increment, not a vnode reference.
    cwd: Arc<Vnode>,
    root: Arc<Vnode>,
    fds: FdTable,
}

/// A process: credentials, cwd, root, umask and descriptors. Syscalls are its methods. Shareable
/// between threads (the state is locked only for as long as a syscall reads or changes it).
pub struct Proc {
    kernel: Arc<Kernel>,
    pid: u32,
    st: Mutex<ProcState>,
}

/// What a syscall snapshots from its process before working without the process lock.
struct Snap {
    cred: Arc<Cred>,
    root: Arc<Vnode>,
    cwd: Arc<Vnode>,
    umask: u32,
}

impl Proc {
    pub(crate) fn new(kernel: Arc<Kernel>, cred: Cred) -> Proc {
        let root = Arc::new(kernel.rootmount.root_vnode());
        Proc {
            pid: kernel.next_pid.fetch_add(1, Ordering::Relaxed),
            st: Mutex::new(ProcState {
                cred: Arc::new(cred),
                umask: 0o022,
                cwd: root.clone(),
                root,
                fds: FdTable::default(),
            }),
            kernel,
        }
    }

    /// The kernel this process runs in.
    pub fn kernel(&self) -> &Arc<Kernel> {
        &self.kernel
    }

    /// getpid(2).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// fork1: a child with the same credentials, cwd, root, umask and (shared) open files.
    pub fn fork(&self) -> Proc {
        let st = self.lock();
        Proc {
            kernel: self.kernel.clone(),
            pid: self.kernel.next_pid.fetch_add(1, Ordering::Relaxed),
            st: Mutex::new(ProcState {
                cred: st.cred.clone(),
                umask: st.umask,
                cwd: st.cwd.clone(),
                root: st.root.clone(),
                fds: st.fds.clone(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, ProcState> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn snap(&self) -> Snap {
        let st = self.lock();
        Snap { cred: st.cred.clone(), root: st.root.clone(), cwd: st.cwd.clone(), umask: st.umask }
    }

    fn file(&self, fd: i32) -> KResult<Arc<OpenFile>> {
        Ok(self.lock().fds.get(fd)?.file.clone())
    }

    /// The start of a lookup for an *at() call: the cwd for AT_FDCWD (or absolute paths), else the
    /// directory open at `dirfd`.
    fn at_start(&self, s: &Snap, dirfd: i32, path: &[u8]) -> KResult<Arc<Vnode>> {
        if dirfd == AT_FDCWD || path.first() == Some(&b'/') {
            return Ok(s.cwd.clone());
        }
        let f = self.file(dirfd)?;
        if f.vtype != VType::Dir {
            return Err(Errno::ENOTDIR);
        }
        Ok(Arc::new(f.vnode.clone()))
    }

    fn namei_at(&self, s: &Snap, dirfd: i32, path: &[u8], want: Want) -> KResult<Nd> {
        check_path(path)?;
        let start = self.at_start(s, dirfd, path)?;
        let ctx = LookupCtx { cred: &s.cred, root: &s.root, start: &start };
        self.kernel.namei(&ctx, path, want)
    }

    fn namei(&self, s: &Snap, path: &[u8], want: Want) -> KResult<Nd> {
        self.namei_at(s, AT_FDCWD, path, want)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        // Close descriptors before the cwd and root go, as exit1 does.
        let st = self.st.get_mut().unwrap_or_else(|e| e.into_inner());
        st.fds = FdTable::default();
        self.kernel.locks.release_pid(self.pid);
    }
}
