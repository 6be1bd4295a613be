//! Names: directories, removal, rename, links, symbolic links, device nodes and fifos; directory reading.

use super::*;
use crate::errno::{Errno, KResult};
use crate::vfs::access::vaccess;
use crate::vfs::namei::Want;
use crate::vfs::types::*;
use crate::vfs::vnops::{self, MakeNode, RenameSide};
use crate::vfs::*;
use std::sync::Arc;

impl Proc {
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

    /// An open directory to read entries from: ENOTDIR for anything else, EBADF unless open for reading.
    fn dir_file(&self, fd: i32) -> KResult<Arc<OpenFile>> {
        let f = self.file(fd)?;
        if f.vtype != VType::Dir {
            return Err(Errno::ENOTDIR);
        }
        if !f.readable() {
            return Err(Errno::EBADF);
        }
        Ok(f)
    }

    /// getdents(2): directory entries in NetBSD's `struct dirent` layout (d_fileno u64, d_reclen u16,
    /// d_namlen u16, d_type u8, name, NUL, padded to 8), from the file offset. EINVAL if `buf` cannot
    /// hold the next entry.
    pub fn getdents(&self, fd: i32, buf: &mut [u8]) -> KResult<usize> {
        let f = self.dir_file(fd)?;
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
        let f = self.dir_file(fd)?;
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
}
