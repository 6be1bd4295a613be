//! The syscalls, one function each, with NetBSD's names, argument order, semantics and errno values.
//! Paths are byte strings (as in C); buffers are byte slices. Every function says which NetBSD function's
//! behaviour it follows.

use super::access::vaccess;
use super::fifo::Fifo;
use super::file::{Backing, FdEntry, FdTable, OpenFile};
use super::namei::{check_path, LookupCtx, Nd, Want};
use super::types::*;
use super::vnops::{self, MakeNode, RenameSide};
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

    // ---------------------------------------------------------------- credentials, umask, identity

    /// kauth_cred_get: the process's credentials.
    pub fn getcred(&self) -> Cred {
        (*self.lock().cred).clone()
    }

    /// The host's rump_pub_lwproc credentials switch: act as another user (EINVAL past NGROUPS_MAX).
    pub fn setcred(&self, cred: Cred) -> KResult<()> {
        if cred.groups.len() > NGROUPS_MAX {
            return Err(Errno::EINVAL);
        }
        self.lock().cred = Arc::new(cred);
        Ok(())
    }

    /// umask(2): set the file creation mask, return the old one.
    pub fn umask(&self, mask: u32) -> u32 {
        let mut st = self.lock();
        std::mem::replace(&mut st.umask, mask & ALLPERMS)
    }

    /// uname(3), from the kern.* sysctls.
    pub fn uname(&self) -> Utsname {
        Utsname {
            sysname: OSTYPE.to_string(),
            nodename: self.kernel.state.hostname(),
            release: OSRELEASE.to_string(),
            version: VERSION.to_string(),
            machine: MACHINE.to_string(),
        }
    }

    /// sysctl(3) by name: kern.hostname, kern.ostype, kern.osrelease, kern.version, kern.boottime,
    /// hw.pagesize, hw.machine. ENOENT for others.
    pub fn sysctl(&self, name: &str) -> KResult<SysctlValue> {
        Ok(match name {
            "kern.hostname" => SysctlValue::Str(self.kernel.state.hostname()),
            "kern.ostype" => SysctlValue::Str(OSTYPE.into()),
            "kern.osrelease" => SysctlValue::Str(OSRELEASE.into()),
            "kern.version" => SysctlValue::Str(VERSION.into()),
            "kern.boottime" => SysctlValue::Int(self.kernel.state.boottime.sec),
            "kern.maxfiles" => SysctlValue::Int(super::file::MAXFILES as i64),
            "hw.pagesize" => SysctlValue::Int(PAGESIZE as i64),
            "hw.machine" => SysctlValue::Str(MACHINE.into()),
            _ => return Err(Errno::ENOENT),
        })
    }

    /// sysctl(3) write: only kern.hostname is writable, and only by root (EPERM); read-only names EPERM.
    pub fn sysctl_set(&self, name: &str, value: &str) -> KResult<()> {
        self.sysctl(name)?;
        if name != "kern.hostname" || !self.lock().cred.is_root() {
            return Err(Errno::EPERM);
        }
        self.kernel.state.set_hostname(value)
    }

    // ---------------------------------------------------------------- open, close, read, write

    /// open(2) as vn_open does it.
    pub fn open(&self, path: &[u8], flags: u32, mode: u32) -> KResult<i32> {
        self.openat(AT_FDCWD, path, flags, mode)
    }

    /// openat(2): vn_open relative to `dirfd`.
    pub fn openat(&self, dirfd: i32, path: &[u8], flags: u32, mode: u32) -> KResult<i32> {
        if flags & !O_MASK != 0 {
            return Err(Errno::EINVAL);
        }
        let s = self.snap();
        let acc = flags & O_ACCMODE;
        if acc == O_ACCMODE {
            return Err(Errno::EINVAL);
        }
        if flags & (O_CREAT | O_DIRECTORY) == O_CREAT | O_DIRECTORY {
            // vn_open: a directory is not made by open.
            return Err(Errno::EINVAL);
        }
        let (vp, va, created) = if flags & O_CREAT != 0 {
            let excl = flags & O_EXCL != 0;
            let nd = self.namei_at(&s, dirfd, path, Want::Parent { follow: !excl && flags & O_NOFOLLOW == 0 })?;
            match (nd.vp, nd.va) {
                (Some(vp), Some(va)) => {
                    if excl {
                        return Err(Errno::EEXIST);
                    }
                    (vp, va, false)
                }
                _ => {
                    let dvp = nd.dvp.ok_or(Errno::EEXIST)?;
                    if nd.trailing_slash {
                        // lookup_once: a trailing slash needs an existing name unless making a
                        // directory (REQUIREDIR without CREATEDIR).
                        return Err(Errno::ENOENT);
                    }
                    let dva = dvp.getattr()?;
                    vaccess(&dvp, &dva, &s.cred, W_OK)?;
                    let mode = (mode & !s.umask) & ALLPERMS & !S_ISTXT;
                    let vp = vnops::make(
                        &s.cred,
                        &dvp,
                        &dva,
                        &nd.name,
                        &MakeNode { vtype: VType::Reg, mode, rdev: 0, target: b"" },
                    )?;
                    let va = vp.getattr()?;
                    (vp, va, true)
                }
            }
        } else {
            let nd = self.namei_at(&s, dirfd, path, Want::Node { follow: flags & O_NOFOLLOW == 0 })?;
            let (vp, va) = nd.node()?;
            (vp.clone(), va.clone(), false)
        };

        vnops::may_open(&s.cred, &vp, &va, flags, created)?;
        let wants_write = acc != O_RDONLY || flags & O_TRUNC != 0;
        let backing = match va.vtype {
            VType::Blk => {
                if vp.mount.flags() & MNT_NODEV != 0 {
                    return Err(Errno::ENXIO);
                }
                let dev = self.kernel.block_device(va.rdev).ok_or(Errno::ENXIO)?;
                if wants_write && self.kernel.device_is_mounted(va.rdev) {
                    return Err(Errno::EBUSY);
                }
                if wants_write && dev.readonly() {
                    return Err(Errno::EROFS);
                }
                Backing::Block(dev)
            }
            VType::Chr => {
                if vp.mount.flags() & MNT_NODEV != 0 {
                    return Err(Errno::ENXIO);
                }
                Backing::Char(super::devsw::cdev(va.rdev)?)
            }
            VType::Fifo => Backing::Fifo(Fifo::open(&self.kernel, &vp, flags)?),
            _ => Backing::Vnode,
        };
        vp.fs()?.open(vp.ino, flags)?;
        if flags & O_TRUNC != 0 && !created && va.vtype == VType::Reg {
            vnops::open_truncate(&self.kernel, &vp)?;
        }
        let stored =
            flags & !(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY | O_CLOEXEC | O_DIRECTORY | O_NOFOLLOW | O_REGULAR);
        let file = Arc::new(OpenFile::new(vp, va.vtype, stored, backing));
        if file.writable() && matches!(file.backing, Backing::Vnode) && file.vnode.mount.is_rdonly() {
            // The mount went read-only while we opened (mount_update counts writers after the switch).
            return Err(Errno::EROFS);
        }
        self.lock().fds.alloc(FdEntry { file, cloexec: flags & O_CLOEXEC != 0 }, 0)
    }

    /// close(2): fd_close (which also drops the process's advisory locks on the file).
    pub fn close(&self, fd: i32) -> KResult<()> {
        let e = self.lock().fds.take(fd)?;
        self.closed(e);
        Ok(())
    }

    /// What fd_close does after the descriptor is gone: VOP_ADVLOCK(F_UNLCK) for the process's locks.
    fn closed(&self, e: FdEntry) {
        if matches!(e.file.backing, Backing::Vnode) {
            self.kernel.locks.release_file((e.file.vnode.mount.fsid, e.file.vnode.ino), self.pid);
        }
    }

    /// Descriptors currently open.
    pub fn open_fds(&self) -> Vec<i32> {
        self.lock().fds.fds()
    }

    /// read(2): vn_read at the file offset, advancing it.
    pub fn read(&self, fd: i32, buf: &mut [u8]) -> KResult<usize> {
        let f = self.file(fd)?;
        if !f.readable() {
            return Err(Errno::EBADF);
        }
        if let Backing::Fifo(p) = &f.backing {
            return p.read(buf, f.flags() & O_NONBLOCK != 0);
        }
        let mut off = f.lock_offset();
        let n = self.rw_read(&f, *off, buf)?;
        *off += n as u64;
        Ok(n)
    }

    /// pread(2): dofilereadv at an explicit offset (EINVAL if negative, ESPIPE on a fifo).
    pub fn pread(&self, fd: i32, buf: &mut [u8], offset: i64) -> KResult<usize> {
        let f = self.file(fd)?;
        if !f.readable() {
            return Err(Errno::EBADF);
        }
        if matches!(f.backing, Backing::Fifo(_)) {
            return Err(Errno::ESPIPE);
        }
        if offset < 0 {
            return Err(Errno::EINVAL);
        }
        self.rw_read(&f, offset as u64, buf)
    }

    fn rw_read(&self, f: &OpenFile, off: u64, buf: &mut [u8]) -> KResult<usize> {
        match &f.backing {
            Backing::Vnode => vnops::read(&f.vnode, f.vtype, off, buf),
            Backing::Block(dev) => {
                let size = dev.size();
                if off >= size {
                    return Ok(0);
                }
                let n = (size - off).min(buf.len() as u64) as usize;
                dev.read_at(off, &mut buf[..n])?;
                Ok(n)
            }
            Backing::Char(d) => d.read(self.kernel.hyper().as_ref(), buf),
            Backing::Fifo(_) => Err(Errno::ESPIPE),
        }
    }

    /// write(2): vn_write at the file offset (or at end of file with O_APPEND), advancing it.
    pub fn write(&self, fd: i32, buf: &[u8]) -> KResult<usize> {
        let f = self.file(fd)?;
        if !f.writable() {
            return Err(Errno::EBADF);
        }
        if let Backing::Fifo(p) = &f.backing {
            return p.write(buf, f.flags() & O_NONBLOCK != 0);
        }
        let mut off = f.lock_offset();
        let append = f.flags() & O_APPEND != 0;
        let (n, end) = self.rw_write(&f, *off, buf, append)?;
        *off = end;
        Ok(n)
    }

    /// pwrite(2): dofilewritev at an explicit offset (O_APPEND still appends, as NetBSD does).
    pub fn pwrite(&self, fd: i32, buf: &[u8], offset: i64) -> KResult<usize> {
        let f = self.file(fd)?;
        if !f.writable() {
            return Err(Errno::EBADF);
        }
        if matches!(f.backing, Backing::Fifo(_)) {
            return Err(Errno::ESPIPE);
        }
        if offset < 0 {
            return Err(Errno::EINVAL);
        }
        let append = f.flags() & O_APPEND != 0;
        Ok(self.rw_write(&f, offset as u64, buf, append)?.0)
    }

    fn rw_write(&self, f: &OpenFile, off: u64, buf: &[u8], append: bool) -> KResult<(usize, u64)> {
        match &f.backing {
            Backing::Vnode => {
                let cred = self.lock().cred.clone();
                super::with_cred(&cred, || vnops::write(&f.vnode, off, buf, append))
            }
            Backing::Block(dev) => {
                let size = dev.size();
                if off >= size {
                    return if buf.is_empty() { Ok((0, off)) } else { Err(Errno::ENOSPC) };
                }
                let n = (size - off).min(buf.len() as u64) as usize;
                dev.write_at(off, &buf[..n])?;
                Ok((n, off + n as u64))
            }
            Backing::Char(d) => d.write(buf).map(|n| (n, off + n as u64)),
            Backing::Fifo(_) => Err(Errno::ESPIPE),
        }
    }

    /// lseek(2): sys_lseek (EINVAL for a bad whence or a negative result, ESPIPE on a fifo).
    pub fn lseek(&self, fd: i32, offset: i64, whence: i32) -> KResult<i64> {
        let f = self.file(fd)?;
        if matches!(f.backing, Backing::Fifo(_)) {
            return Err(Errno::ESPIPE);
        }
        let mut off = f.lock_offset();
        let base: i64 = match whence {
            SEEK_SET => 0,
            SEEK_CUR => *off as i64,
            SEEK_END => match &f.backing {
                Backing::Block(dev) => dev.size() as i64,
                _ => f.vnode.getattr()?.size as i64,
            },
            _ => return Err(Errno::EINVAL),
        };
        let new = base.checked_add(offset).ok_or(Errno::EOVERFLOW)?;
        if new < 0 {
            return Err(Errno::EINVAL);
        }
        *off = new as u64;
        Ok(new)
    }

    /// The current offset of `fd` (for hosts that want it without seeking).
    pub fn tell(&self, fd: i32) -> KResult<u64> {
        Ok(self.file(fd)?.offset())
    }

    /// The open file behind `fd` (for hosts: type, flags, vnode).
    pub fn getfile(&self, fd: i32) -> KResult<Arc<OpenFile>> {
        self.file(fd)
    }

    // ---------------------------------------------------------------- stat and access

    fn stat_vnode(&self, vp: &Vnode, va: &Vattr) -> Stat {
        Stat::from_vattr(va, vp.mount.fsid)
    }

    /// fstat(2): vn_stat of the open file.
    pub fn fstat(&self, fd: i32) -> KResult<Stat> {
        let f = self.file(fd)?;
        let va = f.vnode.getattr()?;
        Ok(self.stat_vnode(&f.vnode, &va))
    }

    /// stat(2): namei FOLLOW + vn_stat.
    pub fn stat(&self, path: &[u8]) -> KResult<Stat> {
        self.fstatat(AT_FDCWD, path, 0)
    }

    /// lstat(2): namei NOFOLLOW + vn_stat.
    pub fn lstat(&self, path: &[u8]) -> KResult<Stat> {
        self.fstatat(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW)
    }

    /// fstatat(2): do_sys_statat.
    pub fn fstatat(&self, dirfd: i32, path: &[u8], flags: i32) -> KResult<Stat> {
        if flags & !AT_SYMLINK_NOFOLLOW != 0 {
            return Err(Errno::EINVAL);
        }
        let s = self.snap();
        let nd = self.namei_at(&s, dirfd, path, Want::Node { follow: flags & AT_SYMLINK_NOFOLLOW == 0 })?;
        let (vp, va) = nd.node()?;
        Ok(self.stat_vnode(vp, va))
    }

    /// access(2): sys_access (EINVAL for unknown mode bits; F_OK only checks existence).
    pub fn access(&self, path: &[u8], mode: u32) -> KResult<()> {
        self.faccessat(AT_FDCWD, path, mode, 0)
    }

    /// faccessat(2): do_sys_accessat.
    pub fn faccessat(&self, dirfd: i32, path: &[u8], mode: u32, flags: i32) -> KResult<()> {
        if mode & !(R_OK | W_OK | X_OK) != 0 || flags & !(AT_EACCESS | AT_SYMLINK_NOFOLLOW) != 0 {
            return Err(Errno::EINVAL);
        }
        let s = self.snap();
        let nd = self.namei_at(&s, dirfd, path, Want::Node { follow: flags & AT_SYMLINK_NOFOLLOW == 0 })?;
        let (vp, va) = nd.node()?;
        if mode == F_OK {
            return Ok(());
        }
        vaccess(vp, va, &s.cred, mode)
    }

    /// pathconf(2): _PC_LINK_MAX 1, _PC_NAME_MAX 4, _PC_PATH_MAX 5, _PC_PIPE_BUF 6,
    /// _PC_CHOWN_RESTRICTED 7, _PC_NO_TRUNC 8, _PC_FILESIZEBITS 11, _PC_SYMLINK_MAX 12, _PC_2_SYMLINKS 13.
    pub fn pathconf(&self, path: &[u8], name: i32) -> KResult<i64> {
        self.stat(path)?;
        Ok(match name {
            1 => LINK_MAX as i64,
            4 => NAME_MAX as i64,
            5 => MAXPATHLEN as i64,
            6 => super::fifo::PIPE_BUF as i64,
            7 | 8 | 13 => 1,
            11 => 64,
            12 => MAXPATHLEN as i64 - 1,
            _ => return Err(Errno::EINVAL),
        })
    }

    // ---------------------------------------------------------------- directories

    /// mkdir(2): do_sys_mkdirat — mode & ACCESSPERMS & ~umask, group of the parent.
    pub fn mkdir(&self, path: &[u8], mode: u32) -> KResult<()> {
        self.mkdirat(AT_FDCWD, path, mode)
    }

    /// mkdirat(2).
    pub fn mkdirat(&self, dirfd: i32, path: &[u8], mode: u32) -> KResult<()> {
        let s = self.snap();
        let (dvp, dva, name) = self.create_target(&s, dirfd, path, true)?;
        let mode = (mode & ACCESSPERMS) & !s.umask;
        vnops::make(&s.cred, &dvp, &dva, &name, &MakeNode { vtype: VType::Dir, mode, rdev: 0, target: b"" })?;
        Ok(())
    }

    /// Lookup for a syscall that creates `path`: EEXIST if it exists (before EROFS, as NetBSD prefers),
    /// then write permission on the directory (EROFS on a read-only mount).
    fn create_target(&self, s: &Snap, dirfd: i32, path: &[u8], dir_ok: bool) -> KResult<(Vnode, Vattr, Vec<u8>)> {
        let nd = self.namei_at(s, dirfd, path, Want::Parent { follow: false })?;
        if nd.vp.is_some() {
            return Err(Errno::EEXIST);
        }
        if nd.trailing_slash && !dir_ok {
            return Err(Errno::ENOENT);
        }
        let dvp = nd.dvp.ok_or(Errno::EEXIST)?;
        let dva = vnops::may_create(&s.cred, &dvp)?;
        Ok((dvp, dva, nd.name))
    }

    /// Lookup for a syscall that removes `path`: the directory, the node and its attributes, with
    /// NetBSD's checks (EROFS, EBUSY for mount points, write permission, sticky bit, flags).
    fn remove_target(&self, s: &Snap, dirfd: i32, path: &[u8]) -> KResult<(Vnode, Vattr, Vnode, Vattr, Vec<u8>)> {
        let nd = self.namei_at(s, dirfd, path, Want::Parent { follow: false })?;
        let (vp, va) = match (nd.vp, nd.va) {
            (Some(vp), Some(va)) => (vp, va),
            (None, _) => return Err(Errno::ENOENT),
            _ => return Err(Errno::ENOENT),
        };
        let dvp = match nd.dvp {
            Some(d) => d,
            None => return Err(Errno::EBUSY), // "/"
        };
        let dva = vnops::may_remove(&s.cred, &dvp, &vp, &va)?;
        Ok((dvp, dva, vp, va, nd.name))
    }

    /// rmdir(2): do_sys_rmdir — EINVAL for ".", ENOTEMPTY for "..", EBUSY for a mount point.
    pub fn rmdir(&self, path: &[u8]) -> KResult<()> {
        let s = self.snap();
        self.rmdir_snap(&s, AT_FDCWD, path)
    }

    fn rmdir_snap(&self, s: &Snap, dirfd: i32, path: &[u8]) -> KResult<()> {
        {
            let nd = self.namei_at(s, dirfd, path, Want::Parent { follow: false })?;
            if nd.name == b"." {
                return Err(Errno::EINVAL);
            }
            if nd.name == b".." {
                return Err(Errno::ENOTEMPTY);
            }
        }
        for _ in 0..10_000 {
            let (dvp, _, vp, va, name) = self.remove_target(s, dirfd, path)?;
            if va.vtype != VType::Dir {
                return Err(Errno::ENOTDIR);
            }
            if let Some(()) = vnops::remove_once(&self.kernel, &dvp, &name, vp, true)? {
                return Ok(());
            }
        }
        Err(Errno::EAGAIN)
    }

    /// unlink(2): do_sys_unlinkat — EPERM for a directory (as ufs_remove), EBUSY for a mount point.
    pub fn unlink(&self, path: &[u8]) -> KResult<()> {
        self.unlinkat(AT_FDCWD, path, 0)
    }

    /// unlinkat(2): AT_REMOVEDIR makes it rmdir.
    pub fn unlinkat(&self, dirfd: i32, path: &[u8], flags: i32) -> KResult<()> {
        if flags & !AT_REMOVEDIR != 0 {
            return Err(Errno::EINVAL);
        }
        let s = self.snap();
        if flags & AT_REMOVEDIR != 0 {
            return self.rmdir_snap(&s, dirfd, path);
        }
        for _ in 0..10_000 {
            let (dvp, _, vp, va, name) = self.remove_target(&s, dirfd, path)?;
            if name == b"." {
                // do_sys_unlinkat: "No rmdir \".\" please" comes before the directory check.
                return Err(Errno::EINVAL);
            }
            if va.vtype == VType::Dir {
                return Err(Errno::EPERM);
            }
            if let Some(()) = vnops::remove_once(&self.kernel, &dvp, &name, vp, false)? {
                return Ok(());
            }
        }
        Err(Errno::EAGAIN)
    }

    /// rename(2): do_sys_renameat + genfs_rename's checks.
    pub fn rename(&self, from: &[u8], to: &[u8]) -> KResult<()> {
        self.renameat(AT_FDCWD, from, AT_FDCWD, to)
    }

    /// renameat(2).
    pub fn renameat(&self, fromfd: i32, from: &[u8], tofd: i32, to: &[u8]) -> KResult<()> {
        let s = self.snap();
        for _ in 0..10_000 {
            if let Some(r) = self.rename_once(&s, fromfd, from, tofd, to)? {
                return Ok(r);
            }
            // Someone renamed or removed one of the names between our lookups and the rename lock:
            // look both up again, as do_sys_renameat's relookup does.
            std::thread::yield_now();
        }
        self.kernel.log("rename: names kept changing under us; giving up");
        Err(Errno::EAGAIN)
    }

    /// One attempt of rename(2); `Ok(None)` when the names changed under us and it must be retried.
    fn rename_once(&self, s: &Snap, fromfd: i32, from: &[u8], tofd: i32, to: &[u8]) -> KResult<Option<()>> {
        let fnd = self.namei_at(s, fromfd, from, Want::Parent { follow: false })?;
        if fnd.is_dot_or_dotdot() {
            return Err(Errno::EINVAL);
        }
        let (fvp, fva) = match (&fnd.vp, &fnd.va) {
            (Some(v), Some(a)) => (v.clone(), a.clone()),
            _ => return Err(Errno::ENOENT),
        };
        let fdvp = fnd.dvp.clone().ok_or(Errno::EBUSY)?;
        if fnd.trailing_slash && fva.vtype != VType::Dir {
            return Err(Errno::ENOTDIR);
        }
        let tnd = self.namei_at(s, tofd, to, Want::Parent { follow: false })?;
        if tnd.trailing_slash {
            // namei: a trailing slash needs a directory, or a directory about to be made (CREATEDIR).
            match &tnd.va {
                Some(a) if a.vtype != VType::Dir => return Err(Errno::ENOTDIR),
                None if fva.vtype != VType::Dir => return Err(Errno::ENOENT),
                _ => {}
            }
        }
        if tnd.name == b"." {
            return Err(Errno::EISDIR);
        }
        if tnd.name == b".." {
            return Err(Errno::EINVAL);
        }
        let tdvp = tnd.dvp.clone().ok_or(Errno::EBUSY)?;
        let from = RenameSide { dvp: &fdvp, name: &fnd.name, node: Some((&fvp, &fva)) };
        let to = RenameSide { dvp: &tdvp, name: &tnd.name, node: tnd.vp.as_ref().zip(tnd.va.as_ref()) };
        vnops::rename_once(&self.kernel, &s.cred, &from, &to, false)
    }

    /// link(2): do_sys_linkat following a final symlink of the source, as NetBSD's link() does.
    pub fn link(&self, from: &[u8], to: &[u8]) -> KResult<()> {
        self.linkat(AT_FDCWD, from, AT_FDCWD, to, AT_SYMLINK_FOLLOW)
    }

    /// linkat(2).
    pub fn linkat(&self, fromfd: i32, from: &[u8], tofd: i32, to: &[u8], flags: i32) -> KResult<()> {
        if flags & !AT_SYMLINK_FOLLOW != 0 {
            return Err(Errno::EINVAL);
        }
        let s = self.snap();
        let fnd = self.namei_at(&s, fromfd, from, Want::Node { follow: flags & AT_SYMLINK_FOLLOW != 0 })?;
        let (vp, va) = fnd.node()?;
        if va.vtype == VType::Dir {
            return Err(Errno::EPERM);
        }
        let tnd = self.namei_at(&s, tofd, to, Want::Parent { follow: false })?;
        if tnd.vp.is_some() {
            return Err(Errno::EEXIST);
        }
        let tdvp = tnd.dvp.as_ref().ok_or(Errno::EEXIST)?;
        if tnd.trailing_slash && Arc::ptr_eq(&tdvp.mount, &vp.mount) {
            // After EXDEV, write permission and flags (vnops::link), as before this check moved up.
            let tdva = tdvp.getattr()?;
            vaccess(tdvp, &tdva, &s.cred, W_OK)?;
            if va.flags & (IMMUTABLE | APPEND) != 0 {
                return Err(Errno::EPERM);
            }
            return Err(Errno::ENOENT);
        }
        vnops::link(&s.cred, vp, va, tdvp, &tnd.name)
    }

    /// symlink(2): do_sys_symlinkat — target up to MAXPATHLEN-1 bytes, mode ACCESSPERMS & ~umask.
    pub fn symlink(&self, target: &[u8], path: &[u8]) -> KResult<()> {
        self.symlinkat(target, AT_FDCWD, path)
    }

    /// symlinkat(2).
    pub fn symlinkat(&self, target: &[u8], dirfd: i32, path: &[u8]) -> KResult<()> {
        if target.len() >= MAXPATHLEN {
            return Err(Errno::ENAMETOOLONG);
        }
        if target.contains(&0) {
            return Err(Errno::EINVAL);
        }
        let s = self.snap();
        let (dvp, dva, name) = self.create_target(&s, dirfd, path, false)?;
        let mode = ACCESSPERMS & !s.umask;
        vnops::make(&s.cred, &dvp, &dva, &name, &MakeNode { vtype: VType::Lnk, mode, rdev: 0, target })?;
        Ok(())
    }

    /// readlink(2): EINVAL if not a symbolic link.
    pub fn readlink(&self, path: &[u8]) -> KResult<Vec<u8>> {
        self.readlinkat(AT_FDCWD, path)
    }

    /// readlinkat(2).
    pub fn readlinkat(&self, dirfd: i32, path: &[u8]) -> KResult<Vec<u8>> {
        let s = self.snap();
        let nd = self.namei_at(&s, dirfd, path, Want::Node { follow: false })?;
        let (vp, va) = nd.node()?;
        if va.vtype != VType::Lnk {
            return Err(Errno::EINVAL);
        }
        vp.fs()?.readlink(vp.ino)
    }

    /// mknod(2): do_sys_mknodat — root only (EPERM); S_IFCHR, S_IFBLK, S_IFREG, S_IFIFO; others EINVAL.
    pub fn mknod(&self, path: &[u8], mode: u32, dev: u64) -> KResult<()> {
        self.mknodat(AT_FDCWD, path, mode, dev)
    }

    /// mknodat(2).
    pub fn mknodat(&self, dirfd: i32, path: &[u8], mode: u32, dev: u64) -> KResult<()> {
        let s = self.snap();
        let vtype = match mode & S_IFMT {
            S_IFCHR => VType::Chr,
            S_IFBLK => VType::Blk,
            S_IFREG => VType::Reg,
            S_IFIFO => VType::Fifo,
            _ => return Err(Errno::EINVAL),
        };
        if vtype != VType::Fifo && !s.cred.is_root() {
            return Err(Errno::EPERM);
        }
        let (dvp, dva, name) = self.create_target(&s, dirfd, path, false)?;
        let rdev = if matches!(vtype, VType::Chr | VType::Blk) { dev } else { 0 };
        let mode = (mode & ALLPERMS) & !s.umask;
        vnops::make(&s.cred, &dvp, &dva, &name, &MakeNode { vtype, mode, rdev, target: b"" })?;
        Ok(())
    }

    /// mkfifo(2): do_sys_mkfifoat.
    pub fn mkfifo(&self, path: &[u8], mode: u32) -> KResult<()> {
        self.mknodat(AT_FDCWD, path, S_IFIFO | (mode & ALLPERMS), 0)
    }

    /// getdents(2): directory entries in NetBSD's `struct dirent` layout (d_fileno u64, d_reclen u16,
    /// d_namlen u16, d_type u8, name, NUL, padded to 8), from the file offset. EINVAL if `buf` cannot
    /// hold the next entry.
    pub fn getdents(&self, fd: i32, buf: &mut [u8]) -> KResult<usize> {
        let f = self.file(fd)?;
        if f.vtype != VType::Dir {
            return Err(Errno::ENOTDIR);
        }
        if !f.readable() {
            return Err(Errno::EBADF);
        }
        let mut off = f.lock_offset();
        let mut used = 0usize;
        let mut next = *off;
        let mut too_small = false;
        f.vnode.fs()?.readdir(f.vnode.ino, *off, &mut |e| {
            let reclen = (8 + 2 + 2 + 1 + e.name.len() + 1).div_ceil(8) * 8;
            if used + reclen > buf.len() {
                too_small = used == 0;
                return false;
            }
            let r = &mut buf[used..used + reclen];
            r.fill(0);
            r[0..8].copy_from_slice(&e.ino.to_ne_bytes());
            r[8..10].copy_from_slice(&(reclen as u16).to_ne_bytes());
            r[10..12].copy_from_slice(&(e.name.len() as u16).to_ne_bytes());
            r[12] = e.dtype;
            r[13..13 + e.name.len()].copy_from_slice(e.name);
            used += reclen;
            next = e.next;
            true
        })?;
        if too_small {
            return Err(Errno::EINVAL);
        }
        *off = next;
        Ok(used)
    }

    /// Up to `max` entries from an open directory, advancing its offset (getdents for Rust callers).
    pub fn readdir(&self, fd: i32, max: usize) -> KResult<Vec<DirEnt>> {
        let f = self.file(fd)?;
        if f.vtype != VType::Dir {
            return Err(Errno::ENOTDIR);
        }
        if !f.readable() {
            return Err(Errno::EBADF);
        }
        let mut off = f.lock_offset();
        let mut out = Vec::new();
        let mut next = *off;
        f.vnode.fs()?.readdir(f.vnode.ino, *off, &mut |e| {
            if out.len() >= max {
                return false;
            }
            out.push(DirEnt { ino: e.ino, name: e.name.to_vec(), dtype: e.dtype });
            next = e.next;
            true
        })?;
        *off = next;
        Ok(out)
    }

    /// Every entry of the directory at `path`, `.` and `..` included (opendir + readdir + closedir).
    pub fn readdir_path(&self, path: &[u8]) -> KResult<Vec<DirEnt>> {
        let fd = self.open(path, O_RDONLY | O_DIRECTORY, 0)?;
        let r = self.readdir(fd, usize::MAX);
        let _ = self.close(fd);
        r
    }

    // ---------------------------------------------------------------- attributes

    /// chmod(2): change_mode → ufs_chmod (genfs_can_chmod rules).
    pub fn chmod(&self, path: &[u8], mode: u32) -> KResult<()> {
        self.fchmodat(AT_FDCWD, path, mode, 0)
    }

    /// lchmod(2): chmod without following a final symbolic link.
    pub fn lchmod(&self, path: &[u8], mode: u32) -> KResult<()> {
        self.fchmodat(AT_FDCWD, path, mode, AT_SYMLINK_NOFOLLOW)
    }

    /// fchmodat(2).
    pub fn fchmodat(&self, dirfd: i32, path: &[u8], mode: u32, flags: i32) -> KResult<()> {
        if flags & !AT_SYMLINK_NOFOLLOW != 0 {
            return Err(Errno::EINVAL);
        }
        let s = self.snap();
        let nd = self.namei_at(&s, dirfd, path, Want::Node { follow: flags & AT_SYMLINK_NOFOLLOW == 0 })?;
        let (vp, va) = nd.node()?;
        vnops::chmod(&s.cred, vp, va, mode)
    }

    /// fchmod(2).
    pub fn fchmod(&self, fd: i32, mode: u32) -> KResult<()> {
        let s = self.snap();
        let f = self.file(fd)?;
        let va = f.vnode.getattr()?;
        vnops::chmod(&s.cred, &f.vnode, &va, mode)
    }

    /// chown(2): change_owner → ufs_chown (genfs_can_chown rules; -1 leaves a field unchanged).
    pub fn chown(&self, path: &[u8], uid: u32, gid: u32) -> KResult<()> {
        self.fchownat(AT_FDCWD, path, uid, gid, 0)
    }

    /// lchown(2).
    pub fn lchown(&self, path: &[u8], uid: u32, gid: u32) -> KResult<()> {
        self.fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW)
    }

    /// fchownat(2).
    pub fn fchownat(&self, dirfd: i32, path: &[u8], uid: u32, gid: u32, flags: i32) -> KResult<()> {
        if flags & !AT_SYMLINK_NOFOLLOW != 0 {
            return Err(Errno::EINVAL);
        }
        let s = self.snap();
        let nd = self.namei_at(&s, dirfd, path, Want::Node { follow: flags & AT_SYMLINK_NOFOLLOW == 0 })?;
        let (vp, va) = nd.node()?;
        vnops::chown(&s.cred, vp, va, uid, gid)
    }

    /// fchown(2).
    pub fn fchown(&self, fd: i32, uid: u32, gid: u32) -> KResult<()> {
        let s = self.snap();
        let f = self.file(fd)?;
        let va = f.vnode.getattr()?;
        vnops::chown(&s.cred, &f.vnode, &va, uid, gid)
    }

    /// chflags(2): change_flags → ufs_setattr flags (genfs_can_chflags at securelevel 0).
    pub fn chflags(&self, path: &[u8], flags: u32) -> KResult<()> {
        let s = self.snap();
        let nd = self.namei(&s, path, Want::Node { follow: true })?;
        let (vp, va) = nd.node()?;
        vnops::chflags(&s.cred, vp, va, flags)
    }

    /// lchflags(2).
    pub fn lchflags(&self, path: &[u8], flags: u32) -> KResult<()> {
        let s = self.snap();
        let nd = self.namei(&s, path, Want::Node { follow: false })?;
        let (vp, va) = nd.node()?;
        vnops::chflags(&s.cred, vp, va, flags)
    }

    /// fchflags(2).
    pub fn fchflags(&self, fd: i32, flags: u32) -> KResult<()> {
        let s = self.snap();
        let f = self.file(fd)?;
        let va = f.vnode.getattr()?;
        vnops::chflags(&s.cred, &f.vnode, &va, flags)
    }

    /// utimes(2): do_sys_utimes (None = now; microsecond times given as Timespec).
    pub fn utimes(&self, path: &[u8], times: Option<[Timespec; 2]>) -> KResult<()> {
        self.utimensat(AT_FDCWD, path, times.map(|t| [UtimeSpec::Set(t[0]), UtimeSpec::Set(t[1])]), 0)
    }

    /// lutimes(2).
    pub fn lutimes(&self, path: &[u8], times: Option<[Timespec; 2]>) -> KResult<()> {
        self.utimensat(AT_FDCWD, path, times.map(|t| [UtimeSpec::Set(t[0]), UtimeSpec::Set(t[1])]), AT_SYMLINK_NOFOLLOW)
    }

    /// futimes(2).
    pub fn futimes(&self, fd: i32, times: Option<[Timespec; 2]>) -> KResult<()> {
        self.futimens(fd, times.map(|t| [UtimeSpec::Set(t[0]), UtimeSpec::Set(t[1])]))
    }

    /// futimens(2).
    pub fn futimens(&self, fd: i32, times: Option<[UtimeSpec; 2]>) -> KResult<()> {
        let s = self.snap();
        let f = self.file(fd)?;
        let va = f.vnode.getattr()?;
        vnops::utimens(&self.kernel, &s.cred, &f.vnode, &va, times)
    }

    /// utimensat(2): do_sys_utimensat (UTIME_NOW, UTIME_OMIT).
    pub fn utimensat(&self, dirfd: i32, path: &[u8], times: Option<[UtimeSpec; 2]>, flags: i32) -> KResult<()> {
        if flags & !AT_SYMLINK_NOFOLLOW != 0 {
            return Err(Errno::EINVAL);
        }
        let s = self.snap();
        let nd = self.namei_at(&s, dirfd, path, Want::Node { follow: flags & AT_SYMLINK_NOFOLLOW == 0 })?;
        let (vp, va) = nd.node()?;
        vnops::utimens(&self.kernel, &s.cred, vp, va, times)
    }

    /// truncate(2): sys_truncate (write permission needed).
    pub fn truncate(&self, path: &[u8], len: i64) -> KResult<()> {
        let s = self.snap();
        let nd = self.namei(&s, path, Want::Node { follow: true })?;
        let (vp, va) = nd.node()?;
        vnops::truncate_path(&s.cred, vp, va, len)
    }

    /// ftruncate(2): sys_ftruncate (EINVAL unless open for writing).
    pub fn ftruncate(&self, fd: i32, len: i64) -> KResult<()> {
        let f = self.file(fd)?;
        if !f.writable() {
            return Err(Errno::EINVAL);
        }
        let va = f.vnode.getattr()?;
        let cred = self.lock().cred.clone();
        super::with_cred(&cred, || vnops::truncate(&f.vnode, &va, len))
    }

    /// fsync(2): VOP_FSYNC.
    pub fn fsync(&self, fd: i32) -> KResult<()> {
        let f = self.file(fd)?;
        match &f.backing {
            Backing::Block(dev) => dev.flush(),
            Backing::Vnode => f.vnode.fs()?.fsync(f.vnode.ino),
            _ => Ok(()),
        }
    }

    /// sync(2): VFS_SYNC of every writable mount.
    pub fn sync(&self) -> KResult<()> {
        let mut first_err = None;
        for m in self.kernel.mounts() {
            if !m.is_rdonly() && !m.is_dead() {
                if let Err(e) = m.fs.sync() {
                    self.kernel.log(&format!("sync: {} on {}: {}", m.fstype, m.on, e));
                    first_err.get_or_insert(e);
                }
            }
        }
        first_err.map_or(Ok(()), Err)
    }

    // ---------------------------------------------------------------- descriptors

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

    // ---------------------------------------------------------------- cwd

    /// chdir(2): change_dir (ENOTDIR, EACCES without search permission).
    pub fn chdir(&self, path: &[u8]) -> KResult<()> {
        let s = self.snap();
        let nd = self.namei(&s, path, Want::Node { follow: true })?;
        let (vp, va) = nd.node()?;
        if va.vtype != VType::Dir {
            return Err(Errno::ENOTDIR);
        }
        vaccess(vp, va, &s.cred, X_OK)?;
        let old = std::mem::replace(&mut self.lock().cwd, Arc::new(vp.clone()));
        drop(old);
        Ok(())
    }

    /// fchdir(2).
    pub fn fchdir(&self, fd: i32) -> KResult<()> {
        let s = self.snap();
        let f = self.file(fd)?;
        let va = f.vnode.getattr()?;
        if va.vtype != VType::Dir {
            return Err(Errno::ENOTDIR);
        }
        vaccess(&f.vnode, &va, &s.cred, X_OK)?;
        let old = std::mem::replace(&mut self.lock().cwd, Arc::new(f.vnode.clone()));
        drop(old);
        Ok(())
    }

    /// chroot(2): root only.
    pub fn chroot(&self, path: &[u8]) -> KResult<()> {
        let s = self.snap();
        if !s.cred.is_root() {
            return Err(Errno::EPERM);
        }
        let nd = self.namei(&s, path, Want::Node { follow: true })?;
        let (vp, va) = nd.node()?;
        if va.vtype != VType::Dir {
            return Err(Errno::ENOTDIR);
        }
        vaccess(vp, va, &s.cred, X_OK)?;
        let old = std::mem::replace(&mut self.lock().root, Arc::new(vp.clone()));
        drop(old);
        Ok(())
    }

    /// getcwd(2): getcwd_common — walks `..` and scans each parent for the child's name (ENOENT once
    /// the cwd was removed).
    pub fn getcwd(&self) -> KResult<Vec<u8>> {
        let s = self.snap();
        self.vnode_path(&s, &s.cwd)
    }

    /// The absolute path of a directory vnode, as getcwd finds it.
    fn vnode_path(&self, s: &Snap, vp: &Vnode) -> KResult<Vec<u8>> {
        let mut parts: Vec<Vec<u8>> = Vec::new();
        let mut cur = vp.clone();
        loop {
            if cur.same(&s.root) {
                break;
            }
            while cur.is_root() {
                match &cur.mount.covered {
                    Some(c) => cur = c.clone(),
                    None => break,
                }
            }
            if cur.same(&s.root) || (cur.is_root() && cur.mount.covered.is_none()) {
                break;
            }
            let fs = cur.fs()?.clone();
            if fs.getattr(cur.ino)?.nlink == 0 {
                return Err(Errno::ENOENT);
            }
            let parent = Vnode::get(&cur.mount, |fs| fs.lookup(cur.ino, b".."))?;
            let mut found = None;
            fs.readdir(parent.ino, 0, &mut |e| {
                if e.ino == cur.ino && e.name != b"." && e.name != b".." {
                    found = Some(e.name.to_vec());
                    false
                } else {
                    true
                }
            })?;
            parts.push(found.ok_or(Errno::ENOENT)?);
            cur = parent;
            if parts.len() > MAXPATHLEN {
                return Err(Errno::ENAMETOOLONG);
            }
        }
        let mut out = Vec::new();
        for p in parts.iter().rev() {
            out.push(b'/');
            out.extend_from_slice(p);
        }
        if out.is_empty() {
            out.push(b'/');
        }
        if out.len() >= MAXPATHLEN {
            return Err(Errno::ENAMETOOLONG);
        }
        Ok(out)
    }

    /// realpath(3) in the kernel: the canonical absolute path of `path` (symbolic links resolved).
    pub fn realpath(&self, path: &[u8]) -> KResult<Vec<u8>> {
        let s = self.snap();
        let nd = self.namei(&s, path, Want::Node { follow: true })?;
        let (vp, va) = nd.node()?;
        if va.vtype == VType::Dir {
            return self.vnode_path(&s, vp);
        }
        // A non-directory: the canonical path of its directory plus its name.
        let pnd = self.namei(&s, path, Want::Parent { follow: true })?;
        let dvp = pnd.dvp.as_ref().ok_or(Errno::ENOENT)?;
        let mut p = self.vnode_path(&s, dvp)?;
        if p != b"/" {
            p.push(b'/');
        }
        p.extend_from_slice(&pnd.name);
        Ok(p)
    }

    // ---------------------------------------------------------------- file systems

    fn statvfs_mount(&self, m: &Mount) -> KResult<StatVfsFull> {
        Ok(StatVfsFull {
            fs: m.live_fs()?.statvfs()?,
            flag: m.flags(),
            fsid: m.fsid,
            owner: 0,
            fstypename: m.fstype.clone(),
            mntonname: m.on.clone(),
            mntfromname: m.from.clone(),
        })
    }

    /// statvfs(2): VFS_STATVFS of the mount holding `path`.
    pub fn statvfs(&self, path: &[u8]) -> KResult<StatVfsFull> {
        let s = self.snap();
        let nd = self.namei(&s, path, Want::Node { follow: true })?;
        let (vp, _) = nd.node()?;
        self.statvfs_mount(&vp.mount)
    }

    /// fstatvfs(2).
    pub fn fstatvfs(&self, fd: i32) -> KResult<StatVfsFull> {
        let f = self.file(fd)?;
        self.statvfs_mount(&f.vnode.mount)
    }

    /// getvfsstat(2): every mount, in mount order.
    pub fn getvfsstat(&self) -> KResult<Vec<StatVfsFull>> {
        self.kernel.mounts().iter().filter(|m| !m.is_dead()).map(|m| self.statvfs_mount(m)).collect()
    }

    /// mount(2): mount_domount — root only; `dir` must be a directory no file system is mounted on;
    /// file systems on disks take `spec`, the path of a block device node (EBUSY if already mounted).
    pub fn mount(&self, fstype: &str, dir: &[u8], flags: u64, spec: Option<&str>, opts: &MountOptions) -> KResult<()> {
        let s = self.snap();
        if !s.cred.is_root() {
            return Err(Errno::EPERM);
        }
        if flags & MNT_UPDATE != 0 {
            return self.mount_update(&s, dir, flags);
        }
        let ty = self.kernel.fstype(fstype).ok_or(Errno::ENODEV)?;
        let nd = self.namei(&s, dir, Want::Node { follow: true })?;
        let (vp, va) = nd.node()?;
        if va.vtype != VType::Dir {
            return Err(Errno::ENOTDIR);
        }
        if vp.is_root() {
            return Err(Errno::EBUSY);
        }
        let mut opts = opts.clone();
        opts.readonly |= flags & MNT_RDONLY != 0;
        opts.force |= flags & MNT_FORCE != 0;
        if flags & MNT_NOATIME != 0 {
            // File systems learn of noatime as an option; it cannot change with mount -u.
            opts.opts.push(("noatime".into(), String::new()));
        }
        let (dev, from) = if ty.needs_device {
            let spec = spec.ok_or(Errno::EINVAL)?;
            let snd = self.namei(&s, spec.as_bytes(), Want::Node { follow: true })?;
            let (_, sva) = snd.node()?;
            if sva.vtype != VType::Blk {
                return Err(Errno::ENOTBLK);
            }
            let dev = self.kernel.block_device(sva.rdev).ok_or(Errno::ENXIO)?;
            if self.kernel.device_is_mounted(sva.rdev) {
                return Err(Errno::EBUSY);
            }
            if !opts.readonly && dev.readonly() {
                return Err(Errno::EROFS);
            }
            (Some((dev, sva.rdev)), spec.to_string())
        } else {
            (None, spec.unwrap_or(fstype).to_string())
        };
        let on = String::from_utf8_lossy(&self.vnode_path(&s, vp)?).into_owned();
        let fsid = self.kernel.alloc_fsid();
        let ctx = MountCtx {
            hyper: self.kernel.hyper().clone(),
            log: {
                let st = self.kernel.state.clone();
                let tag = format!("{fstype} {on}");
                Arc::new(move |m: &str| st.log(&format!("{tag}: {m}")))
            },
            dev: dev.as_ref().map(|(d, _)| d.clone()),
            kern: self.kernel.state.clone(),
            mnton: on.clone(),
        };
        let fs = (ty.mount)(&ctx, &opts).inspect_err(|e| {
            self.kernel.log(&format!("mount {fstype} {from} on {on} failed: {e}"));
        })?;
        let mut mflags = MNT_LOCAL | (flags & (MNT_NOEXEC | MNT_NOSUID | MNT_NODEV | MNT_NOATIME | MNT_SYNCHRONOUS));
        if opts.readonly {
            mflags |= MNT_RDONLY;
        }
        let m = Mount::new(fsid, fs, fstype, mflags, &on, &from, Some(vp.clone()));
        if let Some((_, rdev)) = dev {
            m.set_rdev(rdev);
        }
        {
            let mut t = self.kernel.mounts.write().unwrap_or_else(|e| e.into_inner());
            let key = (vp.mount.fsid, vp.ino);
            // Still there? (rmdir and rename hold the table while they remove directories.)
            let gone = vp.getattr().map_or(true, |va| va.nlink == 0);
            if t.covered.contains_key(&key) || gone {
                drop(t);
                let _ = m.fs.unmount(true);
                return Err(if gone { Errno::ENOENT } else { Errno::EBUSY });
            }
            t.covered.insert(key, m.clone());
            vp.mount.set_covers(1);
            t.list.push(m);
        }
        self.kernel.log(&format!("mounted {fstype} {from} on {on}{}", if opts.readonly { " (read-only)" } else { "" }));
        Ok(())
    }

    /// mount(2) with MNT_UPDATE: mount_update — `dir` must be a mount's root (EINVAL); switches it
    /// between read-write and read-only (EBUSY while files are open for writing, unless MNT_FORCE;
    /// EROFS to go read-write on a read-only device) and replaces its noexec/nosuid/nodev/sync flags
    /// (noatime stays as mounted: the file system was told at mount time).
    fn mount_update(&self, s: &Snap, dir: &[u8], flags: u64) -> KResult<()> {
        let nd = self.namei(s, dir, Want::Node { follow: true })?;
        let (vp, _) = nd.node()?;
        if !vp.is_root() {
            return Err(Errno::EINVAL);
        }
        let m = vp.mount.clone();
        let fs = m.live_fs()?.clone();
        let ro = flags & MNT_RDONLY != 0;
        let changeable = MNT_NOEXEC | MNT_NOSUID | MNT_NODEV | MNT_SYNCHRONOUS;
        let keep = m.flags() & !(changeable | MNT_RDONLY);
        if ro && !m.is_rdonly() {
            // Read-only first, then look for writers: an open racing with us sees one or the other.
            m.set_flags(m.flags() | MNT_RDONLY);
            // vflush(WRITECLOSE): files open for writing, or removed but still open (freeing them
            // at the last close is a write), keep the mount read-write.
            let unlinked_open = || m.referenced().iter().any(|&ino| fs.getattr(ino).is_ok_and(|va| va.nlink == 0));
            if flags & MNT_FORCE == 0 && (m.writers() > 0 || unlinked_open()) {
                m.set_flags(m.flags() & !MNT_RDONLY);
                return Err(Errno::EBUSY);
            }
            if let Err(e) = fs.update(true) {
                m.set_flags(m.flags() & !MNT_RDONLY);
                return Err(e);
            }
        } else if !ro && m.is_rdonly() {
            if m.rdev().and_then(|r| self.kernel.block_device(r)).is_some_and(|d| d.readonly()) {
                return Err(Errno::EROFS);
            }
            fs.update(false)?;
        }
        m.set_flags(keep | (flags & changeable) | if ro { MNT_RDONLY } else { 0 });
        self.kernel.log(&format!("updated {} on {}{}", m.fstype, m.on, if ro { " (read-only)" } else { "" }));
        Ok(())
    }

    /// unmount(2): dounmount — root only; EINVAL if `dir` is no mount's root, EBUSY while files,
    /// directories or other mounts inside are in use (unless MNT_FORCE).
    pub fn unmount(&self, dir: &[u8], flags: u64) -> KResult<()> {
        let s = self.snap();
        if !s.cred.is_root() {
            return Err(Errno::EPERM);
        }
        let nd = self.namei(&s, dir, Want::Node { follow: true })?;
        let (vp, _) = nd.node()?;
        if !vp.is_root() || vp.mount.covered.is_none() {
            return Err(Errno::EINVAL);
        }
        let m = vp.mount.clone();
        drop(nd);
        drop(s);
        let force = flags & MNT_FORCE != 0;
        let mut t = self.kernel.mounts.write().unwrap_or_else(|e| e.into_inner());
        if !t.list.iter().any(|o| Arc::ptr_eq(o, &m)) {
            // Another unmount of it got the table first.
            return Err(Errno::EINVAL);
        }
        if t.list.iter().any(|o| o.covered.as_ref().is_some_and(|c| Arc::ptr_eq(&c.mount, &m))) {
            return Err(Errno::EBUSY);
        }
        if !force && m.busy_count() > 0 {
            return Err(Errno::EBUSY);
        }
        if let Err(e) = m.fs.unmount(force) {
            if !force {
                return Err(e);
            }
        }
        m.set_dead();
        t.list.retain(|o| !Arc::ptr_eq(o, &m));
        if let Some(c) = &m.covered {
            t.covered.remove(&(c.mount.fsid, c.ino));
            c.mount.set_covers(-1);
        }
        drop(t);
        self.kernel.log(&format!("unmounted {} from {}", m.from, m.on));
        Ok(())
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
