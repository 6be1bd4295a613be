//! stat, access and pathconf.

use super::*;
use crate::errno::{Errno, KResult};
use crate::vfs::access::vaccess;
use crate::vfs::namei::Want;
use crate::vfs::types::*;
use crate::vfs::*;

impl Proc {
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
}
