//! Attributes: modes, owners, flags, times, sizes; fsync and sync.

use super::*;
use crate::errno::{Errno, KResult};
use crate::vfs::file::Backing;
use crate::vfs::namei::Want;
use crate::vfs::types::*;
use crate::vfs::vnops::{self};

impl Proc {
    /// The node `path` names from `dirfd` (with AT_SYMLINK_NOFOLLOW a final link itself; any other flag
    /// is EINVAL), handed to `change` with the caller's credentials and its attributes.
    fn at_node<T>(
        &self,
        dirfd: i32,
        path: &[u8],
        flags: i32,
        change: impl FnOnce(&Cred, &Vnode, &Vattr) -> KResult<T>,
    ) -> KResult<T> {
        if flags & !AT_SYMLINK_NOFOLLOW != 0 {
            return Err(Errno::EINVAL);
        }
        let s = self.snap();
        let nd = self.namei_at(&s, dirfd, path, Want::Node { follow: flags & AT_SYMLINK_NOFOLLOW == 0 })?;
        let (vp, va) = nd.node()?;
        change(&s.cred, vp, va)
    }

    /// The node open as `fd`, handed to `change` as [`Proc::at_node`] hands one.
    fn fd_node<T>(&self, fd: i32, change: impl FnOnce(&Cred, &Vnode, &Vattr) -> KResult<T>) -> KResult<T> {
        let s = self.snap();
        let f = self.file(fd)?;
        let va = f.vnode.getattr()?;
        change(&s.cred, &f.vnode, &va)
    }

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
        self.at_node(dirfd, path, flags, |cred, vp, va| vnops::chmod(cred, vp, va, mode))
    }

    /// fchmod(2).
    pub fn fchmod(&self, fd: i32, mode: u32) -> KResult<()> {
        self.fd_node(fd, |cred, vp, va| vnops::chmod(cred, vp, va, mode))
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
        self.at_node(dirfd, path, flags, |cred, vp, va| vnops::chown(cred, vp, va, uid, gid))
    }

    /// fchown(2).
    pub fn fchown(&self, fd: i32, uid: u32, gid: u32) -> KResult<()> {
        self.fd_node(fd, |cred, vp, va| vnops::chown(cred, vp, va, uid, gid))
    }

    /// chflags(2): change_flags → ufs_setattr flags (genfs_can_chflags at securelevel 0).
    pub fn chflags(&self, path: &[u8], flags: u32) -> KResult<()> {
        self.at_node(AT_FDCWD, path, 0, |cred, vp, va| vnops::chflags(cred, vp, va, flags))
    }

    /// lchflags(2).
    pub fn lchflags(&self, path: &[u8], flags: u32) -> KResult<()> {
        self.at_node(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, |cred, vp, va| vnops::chflags(cred, vp, va, flags))
    }

    /// fchflags(2).
    pub fn fchflags(&self, fd: i32, flags: u32) -> KResult<()> {
        self.fd_node(fd, |cred, vp, va| vnops::chflags(cred, vp, va, flags))
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
        self.fd_node(fd, |cred, vp, va| vnops::utimens(&self.kernel, cred, vp, va, times))
    }

    /// utimensat(2): do_sys_utimensat (UTIME_NOW, UTIME_OMIT).
    pub fn utimensat(&self, dirfd: i32, path: &[u8], times: Option<[UtimeSpec; 2]>, flags: i32) -> KResult<()> {
        self.at_node(dirfd, path, flags, |cred, vp, va| vnops::utimens(&self.kernel, cred, vp, va, times))
    }

    /// truncate(2): sys_truncate (write permission needed).
    pub fn truncate(&self, path: &[u8], len: i64) -> KResult<()> {
        self.at_node(AT_FDCWD, path, 0, |cred, vp, va| vnops::truncate_path(cred, vp, va, len))
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
}
