//! open, close, read, write and lseek: vn_open, vn_read, vn_write.

use super::*;
use crate::errno::{Errno, KResult};
use crate::vfs::access::vaccess;
use crate::vfs::fifo::Fifo;
use crate::vfs::file::{Backing, FdEntry, OpenFile};
use crate::vfs::namei::Want;
use crate::vfs::types::*;
use crate::vfs::vnops::{self, MakeNode};
use std::sync::Arc;

impl Proc {
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
    pub(super) fn closed(&self, e: FdEntry) {
        if matches!(e.file.backing, Backing::Vnode) {
            self.kernel.locks.release_file((e.file.vnode.mount.fsid, e.file.vnode.ino), self.pid);
        }
    }

    /// Descriptors currently open.
    pub fn open_fds(&self) -> Vec<i32> {
        self.lock().fds.fds()
    }

    /// The file open as `fd`, open for writing (`write`) or reading: EBADF otherwise.
    fn file_open_for(&self, fd: i32, write: bool) -> KResult<Arc<OpenFile>> {
        let f = self.file(fd)?;
        if (write && !f.writable()) || (!write && !f.readable()) {
            return Err(Errno::EBADF);
        }
        Ok(f)
    }

    /// read(2): vn_read at the file offset, advancing it.
    pub fn read(&self, fd: i32, buf: &mut [u8]) -> KResult<usize> {
        let f = self.file_open_for(fd, false)?;
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
        let f = self.file_open_for(fd, false)?;
        self.rw_read(&f, positioned(&f, offset)?, buf)
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
        let f = self.file_open_for(fd, true)?;
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
        let f = self.file_open_for(fd, true)?;
        let append = f.flags() & O_APPEND != 0;
        Ok(self.rw_write(&f, positioned(&f, offset)?, buf, append)?.0)
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
}

/// An explicit offset of pread/pwrite: ESPIPE on a fifo, EINVAL below zero.
fn positioned(f: &OpenFile, offset: i64) -> KResult<u64> {
    if matches!(f.backing, Backing::Fifo(_)) {
        return Err(Errno::ESPIPE);
    }
    u64::try_from(offset).map_err(|_| Errno::EINVAL)
}
