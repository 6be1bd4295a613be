//! The kernel's side of a copy: its file systems through a process's syscalls.

use super::{Attrs, Fs, Handle, Kind, Meta, R};
use kernel::vfs::{self as v, Proc, SetAttr, Timespec, UtimeSpec, Vnode};
use kernel::Errno;

/// A descriptor of a kernel process, closed when dropped.
pub struct KFd<'a> {
    proc: &'a Proc,
    pub fd: i32,
}

impl Drop for KFd<'_> {
    fn drop(&mut self) {
        let _ = self.proc.close(self.fd);
    }
}

/// The kernel's file systems, through a process's syscalls (its credentials apply). As root, the
/// attributes of a node are set in one VOP_SETATTR (birth time included, which no syscall sets).
pub struct KernelFs<'a> {
    proc: &'a Proc,
    root: bool,
    /// Symbolic links are followed where the source is read (Node's `dereference`).
    follow: bool,
}

impl<'a> KernelFs<'a> {
    pub fn new(proc: &'a Proc) -> KernelFs<'a> {
        KernelFs { proc, root: proc.getcred().is_root(), follow: false }
    }

    /// A source that follows symbolic links: what it reads is what they point to (`dereference`).
    pub fn following(proc: &'a Proc) -> KernelFs<'a> {
        KernelFs { follow: true, ..KernelFs::new(proc) }
    }

    /// O_NOFOLLOW unless links are followed.
    fn nofollow(&self) -> u32 {
        if self.follow {
            0
        } else {
            v::O_NOFOLLOW
        }
    }

    pub fn is_root(&self) -> bool {
        self.root
    }

    fn fd(&self, fd: i32) -> KFd<'a> {
        KFd { proc: self.proc, fd }
    }

    /// The vnode a handle or a name in `d` stands for.
    fn vnode(&self, d: &KFd<'a>, name: &[u8], h: &Handle<'_, KFd<'a>, KFd<'a>>) -> R<Vnode> {
        match h {
            Handle::Dir(f) | Handle::File(f) => Ok(self.proc.getfile(f.fd)?.vnode.clone()),
            Handle::None => {
                let dir = self.proc.getfile(d.fd)?;
                let dv = &dir.vnode;
                Vnode::get(&dv.mount, |fs| fs.lookup(dv.ino, name))
            }
        }
    }
}

fn ts_kernel(t: Timespec) -> Timespec {
    if t.nsec >= 1_000_000_000 {
        Timespec::new(t.sec, 999_999_999)
    } else {
        t
    }
}

impl<'a> Fs for KernelFs<'a> {
    type Dir = KFd<'a>;
    type File = KFd<'a>;

    fn open_path_dir(&self, path: &[u8]) -> R<KFd<'a>> {
        Ok(self.fd(self.proc.open(path, v::O_RDONLY | v::O_DIRECTORY, 0)?))
    }

    fn open_dir(&self, d: &KFd<'a>, name: &[u8]) -> R<KFd<'a>> {
        Ok(self.fd(self.proc.openat(d.fd, name, v::O_RDONLY | v::O_DIRECTORY | self.nofollow(), 0)?))
    }

    fn lstat(&self, d: &KFd<'a>, name: &[u8]) -> R<Meta> {
        let st = self.proc.fstatat(d.fd, name, if self.follow { 0 } else { v::AT_SYMLINK_NOFOLLOW })?;
        let kind = Kind::from_mode(st.mode).ok_or(Errno::EINVAL)?;
        Ok(Meta {
            kind,
            perm: st.mode & 0o7777,
            uid: st.uid,
            gid: st.gid,
            size: st.size,
            blocks: st.blocks,
            nlink: st.nlink,
            dev: st.dev,
            ino: st.ino,
            rdev: (v::major(st.rdev), v::minor(st.rdev)),
            atime: st.atime,
            mtime: st.mtime,
            btime: if st.birthtime == Timespec::default() { None } else { Some(st.birthtime) },
            flags: st.flags,
        })
    }

    fn follows(&self) -> bool {
        self.follow
    }

    fn list(&self, d: &KFd<'a>) -> R<Vec<Vec<u8>>> {
        self.proc.lseek(d.fd, 0, v::SEEK_SET)?;
        let mut out = Vec::new();
        loop {
            let es = self.proc.readdir(d.fd, 4096)?;
            if es.is_empty() {
                return Ok(out);
            }
            out.extend(es.into_iter().map(|e| e.name).filter(|n| n != b"." && n != b".."));
        }
    }

    fn readlink(&self, d: &KFd<'a>, name: &[u8]) -> R<Vec<u8>> {
        self.proc.readlinkat(d.fd, name)
    }

    fn open_read(&self, d: &KFd<'a>, name: &[u8]) -> R<KFd<'a>> {
        Ok(self.fd(self.proc.openat(d.fd, name, v::O_RDONLY | self.nofollow(), 0)?))
    }

    fn data_runs(&self, _f: &KFd<'a>, m: &Meta) -> R<Vec<(u64, u64)>> {
        // Reading a hole costs no I/O: zero detection finds them.
        Ok(if m.size == 0 { Vec::new() } else { vec![(0, m.size)] })
    }

    fn read_at(&self, f: &KFd<'a>, off: u64, buf: &mut [u8]) -> R<usize> {
        self.proc.pread(f.fd, buf, off as i64)
    }

    fn mkdir(&self, d: &KFd<'a>, name: &[u8], perm: u32) -> R<()> {
        self.proc.mkdirat(d.fd, name, perm)
    }

    fn create(&self, d: &KFd<'a>, name: &[u8]) -> R<KFd<'a>> {
        let fl = v::O_WRONLY | v::O_CREAT | v::O_EXCL | v::O_NOFOLLOW;
        Ok(self.fd(self.proc.openat(d.fd, name, fl, 0o600)?))
    }

    fn open_trunc(&self, d: &KFd<'a>, name: &[u8]) -> R<KFd<'a>> {
        let fl = v::O_WRONLY | v::O_TRUNC | v::O_NOFOLLOW | v::O_NONBLOCK;
        Ok(self.fd(self.proc.openat(d.fd, name, fl, 0)?))
    }

    fn write_at(&self, f: &KFd<'a>, mut off: u64, mut buf: &[u8]) -> R<()> {
        while !buf.is_empty() {
            let n = self.proc.pwrite(f.fd, buf, off as i64)?;
            if n == 0 {
                return Err(Errno::EIO);
            }
            off += n as u64;
            buf = &buf[n..];
        }
        Ok(())
    }

    fn set_len(&self, f: &KFd<'a>, len: u64) -> R<()> {
        self.proc.ftruncate(f.fd, len as i64)
    }

    fn block_size(&self, f: &KFd<'a>) -> u64 {
        self.proc.fstat(f.fd).map(|s| s.blksize as u64).unwrap_or(4096).clamp(512, 1 << 20)
    }

    fn symlink(&self, d: &KFd<'a>, name: &[u8], target: &[u8]) -> R<()> {
        self.proc.symlinkat(target, d.fd, name)
    }

    fn link(&self, top: &KFd<'a>, rel: &[u8], d: &KFd<'a>, name: &[u8]) -> R<()> {
        self.proc.linkat(top.fd, rel, d.fd, name, 0)
    }

    fn mknod(&self, d: &KFd<'a>, name: &[u8], kind: Kind, perm: u32, rdev: (u32, u32)) -> R<()> {
        let dev = if matches!(kind, Kind::Blk | Kind::Chr) { v::makedev(rdev.0, rdev.1) } else { 0 };
        self.proc.mknodat(d.fd, name, kind.ifmt() | (perm & 0o777), dev)
    }

    fn unlink(&self, d: &KFd<'a>, name: &[u8]) -> R<()> {
        self.proc.unlinkat(d.fd, name, 0)
    }

    fn can_mknod(&self) -> bool {
        self.root
    }

    fn set_attrs(&self, d: &KFd<'a>, name: &[u8], h: Handle<'_, KFd<'a>, KFd<'a>>, m: &Meta, a: &Attrs) -> R<()> {
        if self.root {
            // Root may set anything: one setattr, as makefs writes an inode once.
            let vp = self.vnode(d, name, &h)?;
            if vp.mount.is_rdonly() {
                return Err(Errno::EROFS);
            }
            let sa = SetAttr {
                mode: a.mode.then_some(m.perm),
                uid: a.owner.then_some(m.uid),
                gid: a.owner.then_some(m.gid),
                atime: a.times.then(|| ts_kernel(m.atime)),
                mtime: a.times.then(|| ts_kernel(m.mtime)),
                birthtime: if a.btime { m.btime.map(ts_kernel) } else { None },
                flags: a.flags.then_some(m.flags),
                size: None,
            };
            return vp.fs()?.setattr(vp.ino, &sa);
        }
        let nf = v::AT_SYMLINK_NOFOLLOW;
        let fd = match h {
            Handle::Dir(f) | Handle::File(f) => Some(f.fd),
            Handle::None => None,
        };
        if a.owner {
            let r = match fd {
                Some(fd) => self.proc.fchown(fd, m.uid, m.gid),
                None => self.proc.fchownat(d.fd, name, m.uid, m.gid, nf),
            };
            // Someone else's files stay ours (as cp does without -p as a user).
            if !matches!(r, Ok(()) | Err(Errno::EPERM)) {
                r?;
            }
        }
        if a.mode {
            match fd {
                Some(fd) => self.proc.fchmod(fd, m.perm)?,
                None => self.proc.fchmodat(d.fd, name, m.perm, nf)?,
            }
        }
        if a.times {
            let t = [UtimeSpec::Set(ts_kernel(m.atime)), UtimeSpec::Set(ts_kernel(m.mtime))];
            match fd {
                Some(fd) => self.proc.futimens(fd, Some(t))?,
                None => self.proc.utimensat(d.fd, name, Some(t), nf)?,
            }
        }
        if a.flags && m.flags != 0 {
            if let Some(fd) = fd {
                self.proc.fchflags(fd, m.flags)?;
            }
        }
        Ok(())
    }
}
