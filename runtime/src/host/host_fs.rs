//! The host's side of a copy ([`kernel_bindings::copy::Fs`]): its file system through *at calls on
//! open directories, every path beneath a grant when a script copies (see [`super::hostdir`]).

use super::errno::host_errno;
use super::hostdir::Root;
use kernel::vfs::Timespec;
use kernel::Errno;
use kernel_bindings::copy::{split, Attrs, Fs, Handle, Kind, Meta, R};
use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;

/// The errno of the host call that just failed.
fn last() -> Errno {
    host_errno(&std::io::Error::last_os_error())
}

/// The host's file system, through *at calls on open directories.
pub struct HostFs {
    root: bool,
    bs: std::cell::Cell<u64>,
    /// The buffer directories are listed into, kept from one listing to the next (a scan lists every
    /// directory of a tree; a new zeroed buffer each time costs more than the listing).
    dents: std::cell::RefCell<Vec<u8>>,
    /// Paths are relative to this grant and opened beneath it (a script's copies), when set.
    beneath: Option<Arc<Root>>,
}

impl HostFs {
    pub fn new() -> HostFs {
        HostFs {
            root: unsafe { libc::geteuid() } == 0,
            bs: std::cell::Cell::new(0),
            dents: std::cell::RefCell::new(Vec::new()),
            beneath: None,
        }
    }

    /// The host seen from inside a grant: every path is relative to it and opened beneath it.
    pub fn beneath(root: Arc<Root>) -> HostFs {
        HostFs { beneath: Some(root), ..HostFs::new() }
    }

    /// Whether this process may set owners and make device nodes.
    pub fn is_root(&self) -> bool {
        self.root
    }
}

impl Default for HostFs {
    fn default() -> Self {
        HostFs::new()
    }
}

fn cstr(b: &[u8]) -> R<CString> {
    CString::new(b).map_err(|_| Errno::EINVAL)
}

fn fd_or(r: libc::c_int) -> R<OwnedFd> {
    if r < 0 {
        Err(last())
    } else {
        Ok(unsafe { OwnedFd::from_raw_fd(r) })
    }
}

fn ok_or(r: libc::c_int) -> R<()> {
    if r < 0 {
        Err(last())
    } else {
        Ok(())
    }
}

/// A system call that returns a count or -1, made again when a signal interrupted it.
pub(crate) fn retrying(mut call: impl FnMut() -> i64) -> R<usize> {
    loop {
        let r = call();
        if r >= 0 {
            return Ok(r as usize);
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(host_errno(&e));
        }
    }
}

fn ts_host(t: Timespec) -> libc::timespec {
    libc::timespec { tv_sec: t.sec as libc::time_t, tv_nsec: t.nsec as _ }
}

impl Fs for HostFs {
    type Dir = OwnedFd;
    type File = OwnedFd;

    fn open_path_dir(&self, path: &[u8]) -> R<OwnedFd> {
        if let Some(root) = &self.beneath {
            use std::os::unix::ffi::OsStrExt;
            let rel = std::path::Path::new(std::ffi::OsStr::from_bytes(path));
            return root.open(rel, libc::O_RDONLY | libc::O_DIRECTORY).map_err(|e| host_errno(&e));
        }
        let p = cstr(path)?;
        fd_or(unsafe { libc::open(p.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC) })
    }

    fn open_dir(&self, d: &OwnedFd, name: &[u8]) -> R<OwnedFd> {
        let n = cstr(name)?;
        let fl = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        fd_or(unsafe { libc::openat(d.as_raw_fd(), n.as_ptr(), fl) })
    }

    fn lstat(&self, d: &OwnedFd, name: &[u8]) -> R<Meta> {
        let n = cstr(name)?;
        let mut sx: libc::statx = unsafe { std::mem::zeroed() };
        let mask = libc::STATX_BASIC_STATS | libc::STATX_BTIME;
        let r = unsafe { libc::statx(d.as_raw_fd(), n.as_ptr(), libc::AT_SYMLINK_NOFOLLOW, mask, &mut sx) };
        if r < 0 {
            return Err(last());
        }
        let kind = Kind::from_mode(sx.stx_mode as u32).ok_or(Errno::EINVAL)?;
        let t = |t: libc::statx_timestamp| Timespec::new(t.tv_sec, t.tv_nsec);
        Ok(Meta {
            kind,
            perm: sx.stx_mode as u32 & 0o7777,
            uid: sx.stx_uid,
            gid: sx.stx_gid,
            size: sx.stx_size,
            blocks: sx.stx_blocks,
            nlink: sx.stx_nlink as u64,
            dev: ((sx.stx_dev_major as u64) << 32) | sx.stx_dev_minor as u64,
            ino: sx.stx_ino,
            rdev: (sx.stx_rdev_major, sx.stx_rdev_minor),
            atime: t(sx.stx_atime),
            mtime: t(sx.stx_mtime),
            btime: if sx.stx_mask & libc::STATX_BTIME != 0 { Some(t(sx.stx_btime)) } else { None },
            flags: 0,
        })
    }

    /// The names in directory `d`, read with getdents64 on the descriptor itself from its start (no
    /// duplicate descriptor and DIR stream: makefs lists every directory of the tree).
    fn list(&self, d: &OwnedFd) -> R<Vec<Vec<u8>>> {
        let fd = d.as_raw_fd();
        if unsafe { libc::lseek(fd, 0, libc::SEEK_SET) } < 0 {
            return Err(last());
        }
        let mut out = Vec::new();
        let mut buf = self.dents.borrow_mut();
        buf.resize(32 * 1024, 0);
        loop {
            let n = retrying(|| unsafe { libc::syscall(libc::SYS_getdents64, fd, buf.as_mut_ptr(), buf.len()) })?;
            if n == 0 {
                return Ok(out);
            }
            // struct linux_dirent64: d_ino u64, d_off i64, d_reclen u16, d_type u8, d_name NUL-terminated.
            let mut at = 0usize;
            while at + 19 <= n {
                let reclen = u16::from_ne_bytes([buf[at + 16], buf[at + 17]]) as usize;
                if reclen < 19 || at + reclen > n {
                    return Err(Errno::EIO);
                }
                let raw = &buf[at + 19..at + reclen];
                let name = &raw[..raw.iter().position(|&c| c == 0).unwrap_or(raw.len())];
                if name != b"." && name != b".." {
                    out.push(name.to_vec());
                }
                at += reclen;
            }
        }
    }

    fn readlink(&self, d: &OwnedFd, name: &[u8]) -> R<Vec<u8>> {
        let n = cstr(name)?;
        let mut cap = 256usize;
        loop {
            let mut buf = vec![0u8; cap];
            let r = unsafe { libc::readlinkat(d.as_raw_fd(), n.as_ptr(), buf.as_mut_ptr().cast(), cap) };
            if r < 0 {
                return Err(last());
            }
            if (r as usize) < cap {
                buf.truncate(r as usize);
                return Ok(buf);
            }
            cap *= 4;
        }
    }

    fn open_read(&self, d: &OwnedFd, name: &[u8]) -> R<OwnedFd> {
        let n = cstr(name)?;
        let fl = libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NOCTTY;
        fd_or(unsafe { libc::openat(d.as_raw_fd(), n.as_ptr(), fl) })
    }

    fn data_runs(&self, f: &OwnedFd, m: &Meta) -> R<Vec<(u64, u64)>> {
        if m.size == 0 {
            return Ok(Vec::new());
        }
        if m.blocks.saturating_mul(512) >= m.size {
            return Ok(vec![(0, m.size)]);
        }
        // Fewer blocks than bytes: ask where the data is.
        let fd = f.as_raw_fd();
        let mut runs = Vec::new();
        let mut off = 0i64;
        while (off as u64) < m.size {
            let data = unsafe { libc::lseek(fd, off, libc::SEEK_DATA) };
            if data < 0 {
                let e = std::io::Error::last_os_error();
                if e.raw_os_error() == Some(libc::ENXIO) {
                    break; // only a hole to the end
                }
                return Ok(vec![(0, m.size)]); // no SEEK_DATA here: zero detection does the work
            }
            let hole = unsafe { libc::lseek(fd, data, libc::SEEK_HOLE) };
            let end = if hole < 0 { m.size as i64 } else { hole.min(m.size as i64) };
            if end > data {
                runs.push((data as u64, (end - data) as u64));
            }
            off = end;
        }
        Ok(runs)
    }

    fn read_at(&self, f: &OwnedFd, off: u64, buf: &mut [u8]) -> R<usize> {
        retrying(|| unsafe { libc::pread(f.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), off as libc::off_t) } as i64)
    }

    fn mkdir(&self, d: &OwnedFd, name: &[u8], perm: u32) -> R<()> {
        let n = cstr(name)?;
        ok_or(unsafe { libc::mkdirat(d.as_raw_fd(), n.as_ptr(), perm as libc::mode_t) })
    }

    fn create(&self, d: &OwnedFd, name: &[u8]) -> R<OwnedFd> {
        let n = cstr(name)?;
        let fl = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        fd_or(unsafe { libc::openat(d.as_raw_fd(), n.as_ptr(), fl, 0o600 as libc::c_uint) })
    }

    fn open_trunc(&self, d: &OwnedFd, name: &[u8]) -> R<OwnedFd> {
        let n = cstr(name)?;
        let fl = libc::O_WRONLY | libc::O_TRUNC | libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK;
        fd_or(unsafe { libc::openat(d.as_raw_fd(), n.as_ptr(), fl) })
    }

    fn write_at(&self, f: &OwnedFd, mut off: u64, mut buf: &[u8]) -> R<()> {
        while !buf.is_empty() {
            let r = retrying(|| unsafe {
                libc::pwrite(f.as_raw_fd(), buf.as_ptr().cast(), buf.len(), off as libc::off_t) as i64
            })?;
            if r == 0 {
                return Err(Errno::EIO);
            }
            off += r as u64;
            buf = &buf[r..];
        }
        Ok(())
    }

    fn set_len(&self, f: &OwnedFd, len: u64) -> R<()> {
        ok_or(unsafe { libc::ftruncate(f.as_raw_fd(), len as libc::off_t) })
    }

    fn block_size(&self, f: &OwnedFd) -> u64 {
        if self.bs.get() == 0 {
            let mut st: libc::stat = unsafe { std::mem::zeroed() };
            let bs = if unsafe { libc::fstat(f.as_raw_fd(), &mut st) } == 0 { st.st_blksize as u64 } else { 4096 };
            self.bs.set(bs.clamp(512, 1 << 20));
        }
        self.bs.get()
    }

    fn symlink(&self, d: &OwnedFd, name: &[u8], target: &[u8]) -> R<()> {
        let (n, t) = (cstr(name)?, cstr(target)?);
        ok_or(unsafe { libc::symlinkat(t.as_ptr(), d.as_raw_fd(), n.as_ptr()) })
    }

    fn link(&self, top: &OwnedFd, rel: &[u8], d: &OwnedFd, name: &[u8]) -> R<()> {
        // The first name's directory is walked to without following links: a directory of the copy
        // swapped for a link meanwhile must not make this a hard link to a file outside it.
        use std::os::fd::AsFd;
        use std::os::unix::ffi::OsStrExt;
        let (dir, first) = split(rel);
        let dir = std::path::Path::new(std::ffi::OsStr::from_bytes(&dir));
        let at = super::hostdir::open_beneath(top.as_fd(), dir, libc::O_PATH | libc::O_DIRECTORY)
            .map_err(|e| host_errno(&e))?;
        let (f, n) = (cstr(&first)?, cstr(name)?);
        ok_or(unsafe { libc::linkat(at.as_raw_fd(), f.as_ptr(), d.as_raw_fd(), n.as_ptr(), 0) })
    }

    fn mknod(&self, d: &OwnedFd, name: &[u8], kind: Kind, perm: u32, rdev: (u32, u32)) -> R<()> {
        let n = cstr(name)?;
        let dev = if matches!(kind, Kind::Blk | Kind::Chr) { libc::makedev(rdev.0, rdev.1) } else { 0 };
        let mode = (kind.ifmt() | (perm & 0o777)) as libc::mode_t;
        ok_or(unsafe { libc::mknodat(d.as_raw_fd(), n.as_ptr(), mode, dev) })
    }

    fn unlink(&self, d: &OwnedFd, name: &[u8]) -> R<()> {
        let n = cstr(name)?;
        ok_or(unsafe { libc::unlinkat(d.as_raw_fd(), n.as_ptr(), 0) })
    }

    fn can_mknod(&self) -> bool {
        self.root
    }

    fn set_attrs(&self, d: &OwnedFd, name: &[u8], h: Handle<'_, OwnedFd, OwnedFd>, m: &Meta, a: &Attrs) -> R<()> {
        let n = cstr(name)?;
        let fd = match h {
            Handle::Dir(f) | Handle::File(f) => Some(f.as_raw_fd()),
            Handle::None => None,
        };
        // Owner first: a change of owner clears the set-id bits, which chmod then puts back.
        if a.owner && self.root {
            let r = match fd {
                Some(fd) => unsafe { libc::fchown(fd, m.uid, m.gid) },
                None => unsafe { libc::fchownat(d.as_raw_fd(), n.as_ptr(), m.uid, m.gid, libc::AT_SYMLINK_NOFOLLOW) },
            };
            ok_or(r)?;
        }
        if a.mode && m.kind != Kind::Lnk {
            let r = match fd {
                Some(fd) => unsafe { libc::fchmod(fd, m.perm as libc::mode_t) },
                // A fifo or device node: never through a link that replaced it.
                None => unsafe {
                    libc::fchmodat(d.as_raw_fd(), n.as_ptr(), m.perm as libc::mode_t, libc::AT_SYMLINK_NOFOLLOW)
                },
            };
            ok_or(r)?;
        }
        if a.times {
            let ts = [ts_host(m.atime), ts_host(m.mtime)];
            let r = match fd {
                Some(fd) => unsafe { libc::futimens(fd, ts.as_ptr()) },
                None => unsafe { libc::utimensat(d.as_raw_fd(), n.as_ptr(), ts.as_ptr(), libc::AT_SYMLINK_NOFOLLOW) },
            };
            ok_or(r)?;
        }
        Ok(())
    }
}
