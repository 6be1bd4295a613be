//! One tree copier for everything that moves files between the host and the kernel: `rump.host.copyIn`
//! and `copyOut`, `rumpjs get` and `put` (which call them), and `rumpjs makefs` (which copies a host tree
//! into a fresh image). Nothing is lost on the way:
//!
//! - every kind of node: regular files, directories, symbolic links (targets verbatim, bytes), fifos and
//!   device nodes (made when the destination allows it — the kernel as root, the host as root — else
//!   reported and skipped; sockets are always reported and skipped);
//! - hard links: a node met again under another name (same source device and inode) becomes a `link` on
//!   the destination, so the link count and the shared data survive;
//! - holes: the source's data regions (SEEK_DATA/SEEK_HOLE on the host, when it has them) are copied block
//!   by block, all-zero blocks are not written, and the file is extended to its size with ftruncate —
//!   a sparse file stays sparse;
//! - modes (set-id and sticky bits included), times (access and modification; birth where the source
//!   has it and the destination can set it), owners (when asked: the kernel as root, the host as root),
//!   file flags (kernel to kernel);
//! - names as bytes (not UTF-8), trees of any depth (every step is relative to an open directory, never
//!   a long path).
//!
//! A copy is two passes: [`scan`] reads the source into a [`Node`] tree (sorted by name, so what is
//! made — and, on a fresh file system, where it is allocated — is the same on every run), then [`copy`]
//! makes it on the destination. makefs edits the tree in between (its mtree spec, its timestamps).
//! A progress bar (files, bytes, rate, ETA) shows on large copies when stderr is a terminal.

use crate::host::errno::host_errno;
use crate::host::grants::Access;
use crate::host::hostdir::Root;
use indicatif::{ProgressBar, ProgressStyle};
use kernel::vfs::{self as v, Proc, SetAttr, Timespec, UtimeSpec, Vnode};
use kernel::Errno;
use std::collections::HashMap;
use std::ffi::CString;
use std::fmt;
use std::io::IsTerminal;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;

/// Results of the primitive operations (host errors carry NetBSD's errno numbers, as the kernel's do).
pub type R<T> = Result<T, Errno>;

/// What kind of node.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Reg,
    Dir,
    Lnk,
    Blk,
    Chr,
    Fifo,
    Sock,
}

impl Kind {
    /// From the S_IF* bits (the same numbers on the host and in NetBSD).
    pub fn from_mode(mode: u32) -> Option<Kind> {
        Some(match mode & 0o170000 {
            0o100000 => Kind::Reg,
            0o040000 => Kind::Dir,
            0o120000 => Kind::Lnk,
            0o060000 => Kind::Blk,
            0o020000 => Kind::Chr,
            0o010000 => Kind::Fifo,
            0o140000 => Kind::Sock,
            _ => return None,
        })
    }

    pub fn ifmt(self) -> u32 {
        match self {
            Kind::Reg => 0o100000,
            Kind::Dir => 0o040000,
            Kind::Lnk => 0o120000,
            Kind::Blk => 0o060000,
            Kind::Chr => 0o020000,
            Kind::Fifo => 0o010000,
            Kind::Sock => 0o140000,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Reg => "file",
            Kind::Dir => "directory",
            Kind::Lnk => "symbolic link",
            Kind::Blk => "block device",
            Kind::Chr => "character device",
            Kind::Fifo => "fifo",
            Kind::Sock => "socket",
        }
    }
}

/// A node's attributes, as either side reports them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meta {
    pub kind: Kind,
    /// Permission bits with set-user-id, set-group-id and sticky (07777).
    pub perm: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    /// Storage held, in 512-byte units (st_blocks): less than the size means holes.
    pub blocks: u64,
    pub nlink: u64,
    /// Identity on the source (device, inode): what finds hard links.
    pub dev: u64,
    pub ino: u64,
    /// Device number of a block or character device (major, minor), portable between the two sides.
    pub rdev: (u32, u32),
    pub atime: Timespec,
    pub mtime: Timespec,
    /// Birth time, where the source keeps one.
    pub btime: Option<Timespec>,
    /// File flags (UF_*/SF_*).
    pub flags: u32,
}

impl Meta {
    /// Attributes of a node that exists nowhere yet (makefs's mtree entries).
    pub fn new(kind: Kind, perm: u32) -> Meta {
        Meta {
            kind,
            perm,
            uid: 0,
            gid: 0,
            size: 0,
            blocks: 0,
            nlink: 1,
            dev: 0,
            ino: 0,
            rdev: (0, 0),
            atime: Timespec::default(),
            mtime: Timespec::default(),
            btime: None,
            flags: 0,
        }
    }
}

/// One node of a scanned tree.
#[derive(Clone, Debug)]
pub struct Node {
    pub name: Vec<u8>,
    pub meta: Meta,
    /// Target of a symbolic link.
    pub target: Vec<u8>,
    /// Entries of a directory, sorted by name.
    pub children: Vec<Node>,
    /// Whether the node exists in the source (false: made up, e.g. by an mtree spec; a file then has no
    /// contents to read: it is made of holes up to its size).
    pub in_source: bool,
    /// For files: how many bytes of the source to copy (less than the size when a spec cut it short).
    pub copy_len: u64,
}

impl Node {
    /// A node that is not in the source.
    pub fn made_up(name: &[u8], meta: Meta) -> Node {
        Node { name: name.to_vec(), meta, target: Vec::new(), children: Vec::new(), in_source: false, copy_len: 0 }
    }

    /// Files (each inode once) and bytes of file contents in the tree.
    pub fn totals(&self) -> (u64, u64) {
        let mut seen = std::collections::HashSet::new();
        let mut t = (0, 0);
        self.walk(&mut |n| {
            if n.meta.kind == Kind::Dir {
                return;
            }
            if n.in_source && n.meta.nlink > 1 && !seen.insert((n.meta.dev, n.meta.ino)) {
                return;
            }
            t.0 += 1;
            if n.meta.kind == Kind::Reg {
                t.1 += n.copy_len;
            }
        });
        t
    }

    /// Calls `f` on every node, parents before children.
    pub fn walk(&self, f: &mut dyn FnMut(&Node)) {
        f(self);
        for c in &self.children {
            c.walk(f);
        }
    }

    /// Mutable walk, parents before children.
    pub fn walk_mut(&mut self, f: &mut dyn FnMut(&mut Node)) {
        f(self);
        for c in &mut self.children {
            c.walk_mut(f);
        }
    }
}

/// An open node a caller may already hold when setting attributes.
pub enum Handle<'h, D, F> {
    None,
    Dir(&'h D),
    File(&'h F),
}

/// Which attributes to set.
#[derive(Copy, Clone, Debug)]
pub struct Attrs {
    pub owner: bool,
    pub times: bool,
    pub btime: bool,
    pub flags: bool,
}

/// One side of a copy: the host or the kernel. Every operation names a node by an open directory and
/// a name, so depth is never limited by a path's length.
pub trait Fs {
    type Dir;
    type File;
    /// Opens a directory by path (the path a person named: symbolic links in it are followed).
    fn open_path_dir(&self, path: &[u8]) -> R<Self::Dir>;
    /// Opens the directory `name` in `d` (a symbolic link there is not followed).
    fn open_dir(&self, d: &Self::Dir, name: &[u8]) -> R<Self::Dir>;
    fn lstat(&self, d: &Self::Dir, name: &[u8]) -> R<Meta>;
    /// The names in a directory, without `.` and `..`.
    fn list(&self, d: &Self::Dir) -> R<Vec<Vec<u8>>>;
    fn readlink(&self, d: &Self::Dir, name: &[u8]) -> R<Vec<u8>>;
    fn open_read(&self, d: &Self::Dir, name: &[u8]) -> R<Self::File>;
    /// Where a file has data, as (offset, length) runs; holes are between them.
    fn data_runs(&self, f: &Self::File, m: &Meta) -> R<Vec<(u64, u64)>>;
    fn read_at(&self, f: &Self::File, off: u64, buf: &mut [u8]) -> R<usize>;
    fn mkdir(&self, d: &Self::Dir, name: &[u8], perm: u32) -> R<()>;
    /// Creates a new regular file for writing (EEXIST if the name is taken).
    fn create(&self, d: &Self::Dir, name: &[u8]) -> R<Self::File>;
    /// Opens an existing regular file for writing, emptied.
    fn open_trunc(&self, d: &Self::Dir, name: &[u8]) -> R<Self::File>;
    fn write_at(&self, f: &Self::File, off: u64, buf: &[u8]) -> R<()>;
    fn set_len(&self, f: &Self::File, len: u64) -> R<()>;
    /// The granularity of holes in a file.
    fn block_size(&self, f: &Self::File) -> u64;
    fn symlink(&self, d: &Self::Dir, name: &[u8], target: &[u8]) -> R<()>;
    /// A new name `name` in `d` for the node at `rel` (relative to `top`).
    fn link(&self, top: &Self::Dir, rel: &[u8], d: &Self::Dir, name: &[u8]) -> R<()>;
    fn mknod(&self, d: &Self::Dir, name: &[u8], kind: Kind, perm: u32, rdev: (u32, u32)) -> R<()>;
    fn unlink(&self, d: &Self::Dir, name: &[u8]) -> R<()>;
    /// Whether device nodes can be made here.
    fn can_mknod(&self) -> bool;
    fn set_attrs(&self, d: &Self::Dir, name: &[u8], h: Handle<'_, Self::Dir, Self::File>, m: &Meta, a: &Attrs)
        -> R<()>;
}

// ---------------------------------------------------------------- errors

/// A failed step of a copy: the errno, the call and the path it failed on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyError {
    pub errno: Errno,
    pub call: &'static str,
    pub path: String,
}

impl fmt::Display for CopyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} '{}': {} ({})", self.call, self.path, self.errno.message(), self.errno.name())
    }
}

impl std::error::Error for CopyError {}

fn cerr(errno: Errno, call: &'static str, path: &[u8]) -> CopyError {
    CopyError { errno, call, path: String::from_utf8_lossy(path).into_owned() }
}

fn last() -> Errno {
    host_errno(&std::io::Error::last_os_error())
}

// ---------------------------------------------------------------- the host

/// The host's file system, through *at calls on open directories.
pub struct HostFs {
    root: bool,
    bs: std::cell::Cell<u64>,
    /// Paths are relative to this grant and opened beneath it (a script's copies), when set.
    beneath: Option<Arc<Root>>,
}

impl HostFs {
    pub fn new() -> HostFs {
        HostFs { root: unsafe { libc::geteuid() } == 0, bs: std::cell::Cell::new(0), beneath: None }
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

    fn list(&self, d: &OwnedFd) -> R<Vec<Vec<u8>>> {
        let fd = unsafe { libc::fcntl(d.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 0) };
        if fd < 0 {
            return Err(last());
        }
        let dir = unsafe { libc::fdopendir(fd) };
        if dir.is_null() {
            let e = last();
            unsafe { libc::close(fd) };
            return Err(e);
        }
        unsafe { libc::rewinddir(dir) };
        let mut out = Vec::new();
        let r = loop {
            unsafe { *libc::__errno_location() = 0 };
            let ent = unsafe { libc::readdir64(dir) };
            if ent.is_null() {
                let e = unsafe { *libc::__errno_location() };
                break if e == 0 { Ok(()) } else { Err(host_errno(&std::io::Error::from_raw_os_error(e))) };
            }
            let name = unsafe { std::ffi::CStr::from_ptr((*ent).d_name.as_ptr()) }.to_bytes();
            if name != b"." && name != b".." {
                out.push(name.to_vec());
            }
        };
        unsafe { libc::closedir(dir) };
        r.map(|_| out)
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
        loop {
            let r = unsafe { libc::pread(f.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), off as libc::off_t) };
            if r >= 0 {
                return Ok(r as usize);
            }
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(host_errno(&e));
            }
        }
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
            let r = unsafe { libc::pwrite(f.as_raw_fd(), buf.as_ptr().cast(), buf.len(), off as libc::off_t) };
            if r < 0 {
                let e = std::io::Error::last_os_error();
                if e.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(host_errno(&e));
            }
            if r == 0 {
                return Err(Errno::EIO);
            }
            off += r as u64;
            buf = &buf[r as usize..];
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
        let at = crate::host::hostdir::open_beneath(top.as_fd(), dir, libc::O_PATH | libc::O_DIRECTORY)
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
        if m.kind != Kind::Lnk {
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

// ---------------------------------------------------------------- the kernel

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
}

impl<'a> KernelFs<'a> {
    pub fn new(proc: &'a Proc) -> KernelFs<'a> {
        KernelFs { proc, root: proc.getcred().is_root() }
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
        Ok(self.fd(self.proc.openat(d.fd, name, v::O_RDONLY | v::O_DIRECTORY | v::O_NOFOLLOW, 0)?))
    }

    fn lstat(&self, d: &KFd<'a>, name: &[u8]) -> R<Meta> {
        let st = self.proc.fstatat(d.fd, name, v::AT_SYMLINK_NOFOLLOW)?;
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
        Ok(self.fd(self.proc.openat(d.fd, name, v::O_RDONLY | v::O_NOFOLLOW, 0)?))
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
                mode: Some(m.perm),
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
        match fd {
            Some(fd) => self.proc.fchmod(fd, m.perm)?,
            None => self.proc.fchmodat(d.fd, name, m.perm, nf)?,
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

// ---------------------------------------------------------------- scanning

/// Splits a path into its directory and last name ("/" → ("/", "."), "a" → (".", "a")); trailing
/// slashes are dropped.
pub fn split(path: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut p = path;
    while p.len() > 1 && p.ends_with(b"/") {
        p = &p[..p.len() - 1];
    }
    if p == b"/" {
        return (b"/".to_vec(), b".".to_vec());
    }
    if p.is_empty() {
        return (b".".to_vec(), b".".to_vec());
    }
    match p.iter().rposition(|&c| c == b'/') {
        None => (b".".to_vec(), p.to_vec()),
        Some(0) => (b"/".to_vec(), p[1..].to_vec()),
        Some(i) => (p[..i].to_vec(), p[i + 1..].to_vec()),
    }
}

#[cfg(test)]
fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = dir.to_vec();
    if !p.ends_with(b"/") && !p.is_empty() {
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

/// Reads the tree at `path` (a file or a directory; symbolic links inside are not followed) into
/// memory, directories sorted by name.
pub fn scan<F: Fs>(fs: &F, path: &[u8]) -> Result<Node, CopyError> {
    let (parent, name) = split(path);
    let d = fs.open_path_dir(&parent).map_err(|e| cerr(e, "open", &parent))?;
    let mut p = path.to_vec();
    scan_node(fs, &d, &name, &mut p)
}

fn scan_node<F: Fs>(fs: &F, d: &F::Dir, name: &[u8], path: &mut Vec<u8>) -> Result<Node, CopyError> {
    let meta = fs.lstat(d, name).map_err(|e| cerr(e, "lstat", path))?;
    let mut n = Node {
        name: name.to_vec(),
        copy_len: if meta.kind == Kind::Reg { meta.size } else { 0 },
        meta,
        target: Vec::new(),
        children: Vec::new(),
        in_source: true,
    };
    match n.meta.kind {
        Kind::Lnk => n.target = fs.readlink(d, name).map_err(|e| cerr(e, "readlink", path))?,
        Kind::Dir => {
            let sub = fs.open_dir(d, name).map_err(|e| cerr(e, "open", path))?;
            let mut names = fs.list(&sub).map_err(|e| cerr(e, "scandir", path))?;
            names.sort();
            n.children.reserve(names.len());
            for c in names {
                let len = path.len();
                if !path.ends_with(b"/") {
                    path.push(b'/');
                }
                path.extend_from_slice(&c);
                let r = scan_node(fs, &sub, &c, path);
                path.truncate(len);
                n.children.push(r?);
            }
        }
        _ => {}
    }
    Ok(n)
}

// ---------------------------------------------------------------- copying

/// How to copy.
pub struct Options<'o> {
    /// Set owners (uid, gid) from the source.
    pub owners: bool,
    /// Set birth times where the source has them (and the destination can).
    pub btime: bool,
    /// Set file flags.
    pub flags: bool,
    /// Keep set-user-ID and set-group-ID bits (else they are cleared).
    pub setid: bool,
    /// Make device nodes and fifos (else they are reported and skipped).
    pub specials: bool,
    /// Show a progress bar: Some(true) always (on a terminal), Some(false) never, None from 64 MiB on.
    pub progress: Option<bool>,
    /// Called before a node's attributes are set, and before a hard link to it is made (makefs moves
    /// its clock here, so a node's change time is its modification time).
    pub before_attrs: Option<&'o dyn Fn(&Meta)>,
    /// What the progress bar says it is doing.
    pub label: &'o str,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            owners: false,
            btime: false,
            flags: false,
            setid: true,
            specials: true,
            progress: None,
            before_attrs: None,
            label: "copying",
        }
    }
}

/// What a copy did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Regular files written (each inode once).
    pub files: u64,
    pub dirs: u64,
    pub symlinks: u64,
    /// Names made with `link` (hard links after the first name).
    pub hardlinks: u64,
    /// Fifos and device nodes made.
    pub specials: u64,
    /// Bytes of file contents copied (holes not counted).
    pub bytes: u64,
    /// Nodes not copied, with why.
    pub skipped: Vec<String>,
}

/// The progress bar for a copy of `files` files and `bytes` bytes: on a terminal only.
pub fn progress_bar(files: u64, bytes: u64, asked: Option<bool>, label: &str) -> ProgressBar {
    let show = asked.unwrap_or(bytes >= 64 << 20 || files >= 20_000) && std::io::stderr().is_terminal();
    if !show {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(bytes.max(1));
    if let Ok(st) = ProgressStyle::with_template(
        "{prefix} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg} ({bytes_per_sec}, ETA {eta})",
    ) {
        pb.set_style(st);
    }
    pb.set_prefix(label.to_string());
    pb.set_message(format!("0/{files} files"));
    pb
}

struct Copier<'c, S: Fs, D: Fs> {
    src: &'c S,
    dst: &'c D,
    opts: &'c Options<'c>,
    /// Source (device, inode) → the destination path (relative to `top`) of its first name.
    links: HashMap<(u64, u64), Vec<u8>>,
    stats: Stats,
    buf: Vec<u8>,
    pb: ProgressBar,
    files_total: u64,
    spath: Vec<u8>,
    dpath: Vec<u8>,
}

/// Copies the scanned `tree` (from `src_path` on `src`) to `dst_path` on `dst`. A directory merges
/// into an existing one; an existing file is replaced.
pub fn copy<S: Fs, D: Fs>(
    src: &S,
    src_path: &[u8],
    tree: &Node,
    dst: &D,
    dst_path: &[u8],
    opts: &Options<'_>,
) -> Result<Stats, CopyError> {
    let (sparent, _) = split(src_path);
    let (dparent, dname) = split(dst_path);
    let sdir =
        if tree.in_source { Some(src.open_path_dir(&sparent).map_err(|e| cerr(e, "open", &sparent))?) } else { None };
    let ddir = dst.open_path_dir(&dparent).map_err(|e| cerr(e, "open", &dparent))?;
    let (files, bytes) = tree.totals();
    let mut c = Copier {
        src,
        dst,
        opts,
        links: HashMap::new(),
        stats: Stats::default(),
        buf: vec![0u8; 1 << 20],
        pb: progress_bar(files, bytes, opts.progress, opts.label),
        files_total: files,
        spath: src_path.to_vec(),
        dpath: dst_path.to_vec(),
    };
    let mut rel = dname.clone();
    let r = c.node(sdir.as_ref(), tree, &ddir, &ddir, &dname, &mut rel);
    c.pb.finish_and_clear();
    r.map(|_| c.stats)
}

impl<S: Fs, D: Fs> Copier<'_, S, D> {
    fn attrs(&self, m: &Meta) -> Attrs {
        Attrs {
            owner: self.opts.owners,
            times: true,
            btime: self.opts.btime && m.btime.is_some(),
            flags: self.opts.flags,
        }
    }

    fn skip(&mut self, why: String) {
        self.stats.skipped.push(why);
    }

    fn tick(&mut self) {
        let done = self.stats.files + self.stats.symlinks + self.stats.specials;
        if done.is_multiple_of(256) || done == self.files_total {
            self.pb.set_message(format!("{done}/{} files", self.files_total));
        }
    }

    /// Copies node `n` (named `n.name` in `sd` on the source) to `name` in `dd`; `rel` is its path
    /// relative to `top`.
    fn node(
        &mut self,
        sd: Option<&S::Dir>,
        n: &Node,
        top: &D::Dir,
        dd: &D::Dir,
        name: &[u8],
        rel: &mut Vec<u8>,
    ) -> Result<(), CopyError> {
        let m = &n.meta;
        let sd = if n.in_source { sd } else { None };
        // A name met again: a hard link to the first.
        if m.kind != Kind::Dir && n.in_source && m.nlink > 1 {
            if let Some(first) = self.links.get(&(m.dev, m.ino)).cloned() {
                if let Some(f) = self.opts.before_attrs {
                    f(m);
                }
                let r = match self.dst.link(top, &first, dd, name) {
                    Err(Errno::EEXIST) => {
                        self.dst.unlink(dd, name).map_err(|e| cerr(e, "unlink", &self.dpath))?;
                        self.dst.link(top, &first, dd, name)
                    }
                    r => r,
                };
                r.map_err(|e| cerr(e, "link", &self.dpath))?;
                self.stats.hardlinks += 1;
                return Ok(());
            }
        }
        match m.kind {
            Kind::Dir => self.dir(sd, n, top, dd, name, rel)?,
            Kind::Reg => self.file(sd, n, dd, name)?,
            Kind::Lnk => {
                let r = match self.dst.symlink(dd, name, &n.target) {
                    Err(Errno::EEXIST) => self.replace(dd, name).and_then(|_| self.dst.symlink(dd, name, &n.target)),
                    r => r,
                };
                r.map_err(|e| cerr(e, "symlink", &self.dpath))?;
                self.set_attrs(dd, name, Handle::None, m)?;
                self.stats.symlinks += 1;
            }
            Kind::Blk | Kind::Chr | Kind::Fifo => {
                if !self.opts.specials {
                    let p = String::from_utf8_lossy(&self.dpath).into_owned();
                    self.skip(format!(
                        "{p}: {} not made (copies out make them only with --preserve-all)",
                        m.kind.name()
                    ));
                    return Ok(());
                }
                if m.kind != Kind::Fifo && !self.dst.can_mknod() {
                    let p = String::from_utf8_lossy(&self.dpath).into_owned();
                    self.skip(format!("{p}: {} not made (making device nodes needs root)", m.kind.name()));
                    return Ok(());
                }
                let r = match self.dst.mknod(dd, name, m.kind, 0o600, m.rdev) {
                    Err(Errno::EEXIST) => {
                        self.replace(dd, name).and_then(|_| self.dst.mknod(dd, name, m.kind, 0o600, m.rdev))
                    }
                    r => r,
                };
                match r {
                    Err(Errno::EPERM) => {
                        let p = String::from_utf8_lossy(&self.dpath).into_owned();
                        self.skip(format!("{p}: {} not made (not permitted)", m.kind.name()));
                        return Ok(());
                    }
                    r => r.map_err(|e| cerr(e, "mknod", &self.dpath))?,
                }
                self.set_attrs(dd, name, Handle::None, m)?;
                self.stats.specials += 1;
            }
            Kind::Sock => {
                let p = String::from_utf8_lossy(&self.spath).into_owned();
                self.skip(format!("{p}: socket not copied"));
                return Ok(());
            }
        }
        if m.kind != Kind::Dir && n.in_source && m.nlink > 1 {
            self.links.insert((m.dev, m.ino), rel.clone());
        }
        self.tick();
        Ok(())
    }

    /// Removes a non-directory in the way of a new node.
    fn replace(&self, dd: &D::Dir, name: &[u8]) -> R<()> {
        match self.dst.lstat(dd, name) {
            Ok(m) if m.kind == Kind::Dir => Err(Errno::EISDIR),
            Ok(_) => self.dst.unlink(dd, name),
            Err(e) => Err(e),
        }
    }

    fn set_attrs(&self, dd: &D::Dir, name: &[u8], h: Handle<'_, D::Dir, D::File>, m: &Meta) -> Result<(), CopyError> {
        if let Some(f) = self.opts.before_attrs {
            f(m);
        }
        let cleared;
        let m = if self.opts.setid || m.perm & 0o6000 == 0 {
            m
        } else {
            cleared = Meta { perm: m.perm & !0o6000, ..m.clone() };
            &cleared
        };
        self.dst.set_attrs(dd, name, h, m, &self.attrs(m)).map_err(|e| cerr(e, "setattr", &self.dpath))
    }

    fn dir(
        &mut self,
        sd: Option<&S::Dir>,
        n: &Node,
        top: &D::Dir,
        dd: &D::Dir,
        name: &[u8],
        rel: &mut Vec<u8>,
    ) -> Result<(), CopyError> {
        match self.dst.mkdir(dd, name, 0o700) {
            Ok(()) => {}
            Err(Errno::EEXIST) => {
                let m = self.dst.lstat(dd, name).map_err(|e| cerr(e, "lstat", &self.dpath))?;
                if m.kind != Kind::Dir {
                    return Err(cerr(Errno::EEXIST, "mkdir", &self.dpath));
                }
            }
            Err(e) => return Err(cerr(e, "mkdir", &self.dpath)),
        }
        let nd = self.dst.open_dir(dd, name).map_err(|e| cerr(e, "open", &self.dpath))?;
        let ns = match sd {
            Some(sd) => Some(self.src.open_dir(sd, &n.name).map_err(|e| cerr(e, "open", &self.spath))?),
            None => None,
        };
        for c in &n.children {
            let (sl, dl, rl) = (self.spath.len(), self.dpath.len(), rel.len());
            for p in [&mut self.spath, &mut self.dpath, &mut *rel] {
                if !p.ends_with(b"/") {
                    p.push(b'/');
                }
                p.extend_from_slice(&c.name);
            }
            let r = self.node(ns.as_ref(), c, top, &nd, &c.name, rel);
            self.spath.truncate(sl);
            self.dpath.truncate(dl);
            rel.truncate(rl);
            r?;
        }
        self.set_attrs(dd, name, Handle::Dir(&nd), &n.meta)?;
        self.stats.dirs += 1;
        Ok(())
    }

    fn file(&mut self, sd: Option<&S::Dir>, n: &Node, dd: &D::Dir, name: &[u8]) -> Result<(), CopyError> {
        let m = &n.meta;
        let df = match self.dst.create(dd, name) {
            Err(Errno::EEXIST) => match self.dst.lstat(dd, name) {
                Ok(e) if e.kind == Kind::Reg && e.nlink == 1 => self.dst.open_trunc(dd, name),
                Ok(e) if e.kind == Kind::Dir => Err(Errno::EISDIR),
                Ok(_) => self.dst.unlink(dd, name).and_then(|_| self.dst.create(dd, name)),
                Err(e) => Err(e),
            },
            r => r,
        };
        let df = df.map_err(|e| cerr(e, "open", &self.dpath))?;
        let mut end = 0u64;
        if let Some(sd) = sd {
            let sf = self.src.open_read(sd, &n.name).map_err(|e| cerr(e, "open", &self.spath))?;
            end = self.data(&sf, &df, n)?;
        }
        if end < m.size {
            self.dst.set_len(&df, m.size).map_err(|e| cerr(e, "ftruncate", &self.dpath))?;
        }
        self.set_attrs(dd, name, Handle::File(&df), m)?;
        self.stats.files += 1;
        Ok(())
    }

    /// Copies the data of a file, leaving holes where the source has holes or all-zero blocks.
    /// Returns the end of the last byte written.
    fn data(&mut self, sf: &S::File, df: &D::File, n: &Node) -> Result<u64, CopyError> {
        let len = n.copy_len.min(n.meta.size);
        if len == 0 {
            return Ok(0);
        }
        let runs = self.src.data_runs(sf, &n.meta).map_err(|e| cerr(e, "lseek", &self.spath))?;
        let bs = self.dst.block_size(df);
        let mut end = 0u64;
        let mut buf = std::mem::take(&mut self.buf);
        let r = (|| {
            for (off, rlen) in runs {
                if off >= len {
                    break;
                }
                let stop = (off + rlen).min(len);
                let mut pos = off;
                while pos < stop {
                    // Up to a buffer's worth, ending on a block boundary when it can.
                    let mut want = (stop - pos).min(buf.len() as u64);
                    let lim = pos + want;
                    if lim < stop && lim % bs != 0 && lim - lim % bs > pos {
                        want = lim - lim % bs - pos;
                    }
                    let got = read_full(self.src, sf, pos, &mut buf[..want as usize])
                        .map_err(|e| cerr(e, "read", &self.spath))?;
                    if got == 0 {
                        return Ok(()); // the file shrank while we copied
                    }
                    end = end.max(self.write_nonzero(df, pos, &buf[..got], bs)?);
                    self.stats.bytes += got as u64;
                    self.pb.inc(got as u64);
                    pos += got as u64;
                    if got < want as usize {
                        return Ok(());
                    }
                }
            }
            Ok(())
        })();
        self.buf = buf;
        r.map(|_| end)
    }

    /// Writes the blocks of `data` (at file offset `off`) that hold a non-zero byte, in runs; returns
    /// the end of the last one (0 if all were zero).
    fn write_nonzero(&mut self, df: &D::File, off: u64, data: &[u8], bs: u64) -> Result<u64, CopyError> {
        let mut end = 0;
        let mut i = 0usize;
        let mut run: Option<usize> = None;
        while i < data.len() {
            // This block's part of `data`: up to the next multiple of the block size.
            let at = off + i as u64;
            let j = (i + (bs - at % bs) as usize).min(data.len());
            let zero = is_zero(&data[i..j]);
            match (zero, run) {
                (false, None) => run = Some(i),
                (true, Some(s)) => {
                    self.dst.write_at(df, off + s as u64, &data[s..i]).map_err(|e| cerr(e, "write", &self.dpath))?;
                    end = off + i as u64;
                    run = None;
                }
                _ => {}
            }
            i = j;
        }
        if let Some(s) = run {
            self.dst.write_at(df, off + s as u64, &data[s..]).map_err(|e| cerr(e, "write", &self.dpath))?;
            end = off + data.len() as u64;
        }
        Ok(end)
    }
}

fn read_full<S: Fs>(src: &S, f: &S::File, off: u64, buf: &mut [u8]) -> R<usize> {
    let mut got = 0;
    while got < buf.len() {
        let n = src.read_at(f, off + got as u64, &mut buf[got..])?;
        if n == 0 {
            break;
        }
        got += n;
    }
    Ok(got)
}

/// Whether every byte is zero (a word at a time).
pub fn is_zero(b: &[u8]) -> bool {
    let (pre, mid, post) = unsafe { b.align_to::<u128>() };
    pre.iter().all(|&x| x == 0) && mid.iter().all(|&x| x == 0) && post.iter().all(|&x| x == 0)
}

// ---------------------------------------------------------------- the two directions

/// The path `rel` below a grant as the copier names it ("." for the grant itself).
fn rel_bytes(rel: &std::path::Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    match rel.as_os_str().as_bytes() {
        b"" => b".".to_vec(),
        b => b.to_vec(),
    }
}

/// A host path of a copy beneath a grant as the user knows it: `canon` (the path asked for), not the
/// path relative to the grant (`rel`) that the copier walked.
fn shown(p: &str, rel: &[u8], canon: &std::path::Path) -> String {
    match p.as_bytes().strip_prefix(rel) {
        Some(rest) if rest.is_empty() || rest.starts_with(b"/") || rest.starts_with(b":") => {
            format!("{}{}", canon.display(), String::from_utf8_lossy(rest))
        }
        _ => p.to_string(),
    }
}

/// [`shown`] for what a copy returns.
fn shown_result(r: Result<Stats, CopyError>, rel: &[u8], canon: &std::path::Path) -> Result<Stats, CopyError> {
    match r {
        Ok(mut s) => {
            s.skipped = s.skipped.iter().map(|m| shown(m, rel, canon)).collect();
            Ok(s)
        }
        Err(mut e) => {
            e.path = shown(&e.path, rel, canon);
            Err(e)
        }
    }
}

/// Host → kernel (`rump.host.copyIn`, `rumpjs put`): from `rel` beneath the grant `root`; owners are
/// kept when the kernel process is root.
pub fn copy_in(proc: &Proc, from: &Access, kernel_path: &[u8], progress: Option<bool>) -> Result<Stats, CopyError> {
    let h = HostFs::beneath(from.root.clone());
    let k = KernelFs::new(proc);
    let host = rel_bytes(&from.rel);
    let tree = scan(&h, &host).map_err(|mut e| {
        e.path = shown(&e.path, &host, &from.canon);
        e
    })?;
    let opts = Options { owners: k.is_root(), btime: true, progress, label: "copy in", ..Options::default() };
    shown_result(copy(&h, &host, &tree, &k, kernel_path, &opts), &host, &from.canon)
}

/// Kernel → host (`rump.host.copyOut`, `rumpjs get`): to `rel` beneath the grant `root`. What the host
/// would treat as privileged — owners, set-user-ID and set-group-ID bits, device nodes and fifos — is
/// made only when the user asked for it (`preserve_all`, `--preserve-all`) and this process may: a
/// script run as root must not leave a set-user-ID root file or a disk's device node on the host.
pub fn copy_out(
    proc: &Proc,
    kernel_path: &[u8],
    to: &Access,
    preserve_all: bool,
    progress: Option<bool>,
) -> Result<Stats, CopyError> {
    let h = HostFs::beneath(to.root.clone());
    let k = KernelFs::new(proc);
    let host = rel_bytes(&to.rel);
    let tree = scan(&k, kernel_path)?;
    let opts = Options {
        owners: h.is_root() && preserve_all,
        setid: preserve_all,
        specials: preserve_all,
        progress,
        label: "copy out",
        ..Options::default()
    };
    shown_result(copy(&k, kernel_path, &tree, &h, &host, &opts), &host, &to.canon)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitting() {
        let s = |p: &str| {
            let (a, b) = split(p.as_bytes());
            (String::from_utf8(a).unwrap(), String::from_utf8(b).unwrap())
        };
        assert_eq!(s("/"), ("/".into(), ".".into()));
        assert_eq!(s("/a"), ("/".into(), "a".into()));
        assert_eq!(s("/a/b/"), ("/a".into(), "b".into()));
        assert_eq!(s("a"), (".".into(), "a".into()));
        assert_eq!(s("a//b"), ("a/".into(), "b".into()));
        assert_eq!(join(b"/", b"x"), b"/x");
    }

    #[test]
    fn zero_detection() {
        let mut b = vec![0u8; 4099];
        assert!(is_zero(&b));
        b[4098] = 1;
        assert!(!is_zero(&b));
        assert!(!is_zero(&b[1..]));
        assert!(is_zero(&b[..4098]));
    }
}
