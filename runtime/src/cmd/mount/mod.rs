//! `rumpjs mount` / `rumpjs umount`: the kernel's file systems served to the host through FUSE, as
//! NetBSD's p2k (puffs to kernel) serves a rump kernel's: each FUSE request maps onto one vnode
//! operation of the mounted file system, with the checks of the matching syscall (`kernel::vfs::vops`)
//! made with the calling host process's credentials.
//!
//! - FUSE node ids are the file system's own inode numbers, except the root, which FUSE calls 1.
//! - Every node the host kernel has looked up holds a kernel `Vnode` reference until FUSE forgets it
//!   (nlookup counting), and every open file holds one until released: a file removed while open stays
//!   readable and is freed at its last release, as on NetBSD.
//! - readdir offsets are the file system's own directory cookies, which stay valid while others
//!   create and remove names.
//! - Reads, writes, directory listings and every change of names run on a pool of worker threads (the
//!   kernel is Send + Sync); the session thread reads requests, answers the quick ones (attributes,
//!   lookups, opens and closes) itself and hands out the rest.
//! - Errors are NetBSD errno values inside; `linux_errno` translates them for the host.

use clap::Args;
use fuser::{
    FileAttr, FileType, Filesystem, KernelConfig, MountOption, ReplyAttr, ReplyCreate, ReplyData, ReplyDirectory,
    ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs, ReplyWrite, Request, TimeOrNow, FUSE_ROOT_ID,
};
use kernel::vfs::vops::{self, MakeNode, UtimeSpec};
use kernel::vfs::*;
use kernel::{Errno, KResult};
use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where the served file system is mounted inside the kernel.
const KMNT: &str = "/mnt";
/// Set in the environment of a server started by a `rumpjs mount` without `-f`: report "ready" or
/// "error: ..." on standard output once the mount is up or has failed.
const NOTIFY_ENV: &str = "RUMPJS_MOUNT_NOTIFY";

/// `rumpjs mount`'s own options (`--rw`, `--overlay`, `--partition` and `-v` are the global ones).
#[derive(Args, Debug, Clone)]
#[command(after_help = "Serves IMAGE's FFS (or, with -t tmpfs, a new tmpfs) at MOUNTPOINT through FUSE: every \
                  host tool works on it. Read-only unless --rw (written in place) or --overlay (writes \
                  kept in memory, the image untouched). Without -f the server detaches: `rumpjs mount` \
                  returns once the mount answers, and the server runs on until `rumpjs umount MOUNTPOINT` \
                  (or `fusermount3 -u MOUNTPOINT`), which writes everything and marks the file system \
                  clean. With -f it stays in the foreground (Ctrl-C unmounts the same way). Access is \
                  checked with the calling process's uid and groups against the image's owners and modes; \
                  --allow-other lets other users in (root may always use it).")]
pub struct MountArgs {
    /// IMAGE MOUNTPOINT, or just MOUNTPOINT for a memory file system (-t tmpfs).
    #[arg(num_args = 1..=2, value_names = ["IMAGE", "MOUNTPOINT"], required = true)]
    pub paths: Vec<PathBuf>,
    /// File-system type (ffs, tmpfs, kernfs); default --fstype's (ffs).
    #[arg(short = 't', long = "type", value_name = "TYPE")]
    pub mtype: Option<String>,
    /// Let users other than the one who mounted reach the mount (FUSE's allow_other).
    #[arg(long)]
    pub allow_other: bool,
    /// Stay in the foreground.
    #[arg(short = 'f', long)]
    pub foreground: bool,
    /// Mount options for the file system, e.g. size=64m for tmpfs, noatime, force (repeatable, comma
    /// separated).
    #[arg(short = 'o', value_name = "OPT[=VAL],...")]
    pub options: Vec<String>,
    /// Worker threads serving requests (default: 4 per core, at least 4).
    #[arg(long, value_name = "N", hide = true)]
    pub threads: Option<usize>,
}

/// `rumpjs umount MOUNTPOINT`.
#[derive(Args, Debug, Clone)]
pub struct UmountArgs {
    /// Where a `rumpjs mount` serves a file system.
    pub mountpoint: PathBuf,
}

// ------------------------------------------------------------------------------------------- errno

/// NetBSD errno → Linux errno, for FUSE replies. Numbers 1-10 and 12-34 are the same on both; the
/// rest differ or (EFTYPE, EPROCLIM, the Sun RPC errors, EAUTH/ENEEDAUTH) have no Linux twin and get
/// the nearest meaning, as said in each line.
pub const ERRNO_TABLE: &[(Errno, i32)] = &[
    (Errno::EPERM, 1),
    (Errno::ENOENT, 2),
    (Errno::ESRCH, 3),
    (Errno::EINTR, 4),
    (Errno::EIO, 5),
    (Errno::ENXIO, 6),
    (Errno::E2BIG, 7),
    (Errno::ENOEXEC, 8),
    (Errno::EBADF, 9),
    (Errno::ECHILD, 10),
    (Errno::EDEADLK, 35),
    (Errno::ENOMEM, 12),
    (Errno::EACCES, 13),
    (Errno::EFAULT, 14),
    (Errno::ENOTBLK, 15),
    (Errno::EBUSY, 16),
    (Errno::EEXIST, 17),
    (Errno::EXDEV, 18),
    (Errno::ENODEV, 19),
    (Errno::ENOTDIR, 20),
    (Errno::EISDIR, 21),
    (Errno::EINVAL, 22),
    (Errno::ENFILE, 23),
    (Errno::EMFILE, 24),
    (Errno::ENOTTY, 25),
    (Errno::ETXTBSY, 26),
    (Errno::EFBIG, 27),
    (Errno::ENOSPC, 28),
    (Errno::ESPIPE, 29),
    (Errno::EROFS, 30),
    (Errno::EMLINK, 31),
    (Errno::EPIPE, 32),
    (Errno::EDOM, 33),
    (Errno::ERANGE, 34),
    (Errno::EAGAIN, 11),
    (Errno::EINPROGRESS, 115),
    (Errno::EALREADY, 114),
    (Errno::ENOTSOCK, 88),
    (Errno::EDESTADDRREQ, 89),
    (Errno::EMSGSIZE, 90),
    (Errno::EPROTOTYPE, 91),
    (Errno::ENOPROTOOPT, 92),
    (Errno::EPROTONOSUPPORT, 93),
    (Errno::ESOCKTNOSUPPORT, 94),
    (Errno::EOPNOTSUPP, 95),
    (Errno::EPFNOSUPPORT, 96),
    (Errno::EAFNOSUPPORT, 97),
    (Errno::EADDRINUSE, 98),
    (Errno::EADDRNOTAVAIL, 99),
    (Errno::ENETDOWN, 100),
    (Errno::ENETUNREACH, 101),
    (Errno::ENETRESET, 102),
    (Errno::ECONNABORTED, 103),
    (Errno::ECONNRESET, 104),
    (Errno::ENOBUFS, 105),
    (Errno::EISCONN, 106),
    (Errno::ENOTCONN, 107),
    (Errno::ESHUTDOWN, 108),
    (Errno::ETOOMANYREFS, 109),
    (Errno::ETIMEDOUT, 110),
    (Errno::ECONNREFUSED, 111),
    (Errno::ELOOP, 40),
    (Errno::ENAMETOOLONG, 36),
    (Errno::EHOSTDOWN, 112),
    (Errno::EHOSTUNREACH, 113),
    (Errno::ENOTEMPTY, 39),
    (Errno::EPROCLIM, 11), // no twin: Linux's fork says EAGAIN for "too many processes"
    (Errno::EUSERS, 87),
    (Errno::EDQUOT, 122),
    (Errno::ESTALE, 116),
    (Errno::EREMOTE, 66),
    (Errno::EBADRPC, 5),       // Sun RPC errors: no twin, EIO
    (Errno::ERPCMISMATCH, 5),  // EIO
    (Errno::EPROGUNAVAIL, 5),  // EIO
    (Errno::EPROGMISMATCH, 5), // EIO
    (Errno::EPROCUNAVAIL, 5),  // EIO
    (Errno::ENOLCK, 37),
    (Errno::ENOSYS, 38),
    (Errno::EFTYPE, 22),    // no twin: "inappropriate file type or format" is EINVAL on Linux
    (Errno::EAUTH, 13),     // no twin: EACCES
    (Errno::ENEEDAUTH, 13), // EACCES
    (Errno::EIDRM, 43),
    (Errno::ENOMSG, 42),
    (Errno::EOVERFLOW, 75),
    (Errno::EILSEQ, 84),
    (Errno::ENOTSUP, 95), // Linux's ENOTSUP is EOPNOTSUPP
    (Errno::ECANCELED, 125),
    (Errno::EBADMSG, 74),
    (Errno::ENODATA, 61),
    (Errno::ENOSR, 63),
    (Errno::ENOSTR, 60),
    (Errno::ETIME, 62),
    (Errno::ENOATTR, 61), // Linux's ENOATTR is ENODATA
    (Errno::EMULTIHOP, 72),
    (Errno::ENOLINK, 67),
    (Errno::EPROTO, 71),
];

/// The Linux errno for a kernel (NetBSD) errno; EIO for anything unknown.
pub fn linux_errno(e: Errno) -> i32 {
    ERRNO_TABLE.iter().find(|(n, _)| *n == e).map_or(5, |&(_, l)| l)
}

// ------------------------------------------------------------------------------------ conversions

fn systime(t: Timespec) -> SystemTime {
    if t.sec >= 0 {
        UNIX_EPOCH + Duration::new(t.sec as u64, t.nsec)
    } else {
        UNIX_EPOCH - Duration::from_secs(t.sec.unsigned_abs()) + Duration::from_nanos(t.nsec as u64)
    }
}

fn timespec(t: SystemTime) -> Timespec {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => Timespec::new(d.as_secs() as i64, d.subsec_nanos()),
        Err(e) => {
            let d = e.duration();
            let (s, n) = (d.as_secs() as i64, d.subsec_nanos());
            if n == 0 {
                Timespec::new(-s, 0)
            } else {
                Timespec::new(-s - 1, 1_000_000_000 - n)
            }
        }
    }
}

fn file_type(t: VType) -> FileType {
    match t {
        VType::Reg => FileType::RegularFile,
        VType::Dir => FileType::Directory,
        VType::Blk => FileType::BlockDevice,
        VType::Chr => FileType::CharDevice,
        VType::Lnk => FileType::Symlink,
        VType::Sock => FileType::Socket,
        VType::Fifo => FileType::NamedPipe,
    }
}

/// FUSE's attributes for a vnode's: the image's own inode number (the host's st_ino; the root's too,
/// though its FUSE node id is 1), link count, owners, times. NetBSD's dev_t layout (major in bits 8-19,
/// minor in 0-7 and 20-31) is Linux's too, so rdev passes as is.
fn fuse_attr(va: &Vattr) -> FileAttr {
    FileAttr {
        ino: va.ino,
        size: va.size,
        blocks: va.bytes.div_ceil(512),
        atime: systime(va.atime),
        mtime: systime(va.mtime),
        ctime: systime(va.ctime),
        crtime: systime(va.birthtime),
        kind: file_type(va.vtype),
        perm: (va.mode & ALLPERMS) as u16,
        nlink: va.nlink.min(u32::MAX as u64) as u32,
        uid: va.uid,
        gid: va.gid,
        rdev: va.rdev as u32,
        blksize: va.blksize,
        flags: va.flags,
    }
}

// Linux open(2) flags (asm-generic/fcntl.h).
const L_O_ACCMODE: i32 = 0o3;
const L_O_EXCL: i32 = 0o200;
const L_O_TRUNC: i32 = 0o1000;
const L_O_APPEND: i32 = 0o2000;
const L_O_DIRECTORY: i32 = 0o200000;
// renameat2(2) flags.
const RENAME_NOREPLACE: u32 = 1;
const RENAME_EXCHANGE: u32 = 2;

/// A Linux open flag word as the kernel's (NetBSD) O_* flags: access mode, append, truncate, directory.
fn open_flags(l: i32) -> u32 {
    let mut f = (l & L_O_ACCMODE) as u32;
    if l & L_O_APPEND != 0 {
        f |= O_APPEND;
    }
    if l & L_O_TRUNC != 0 {
        f |= O_TRUNC;
    }
    if l & L_O_DIRECTORY != 0 {
        f |= O_DIRECTORY;
    }
    f
}

// ------------------------------------------------------------------------------------- the server

/// Who asked: the calling host process.
#[derive(Clone, Copy, Debug)]
struct Caller {
    uid: u32,
    gid: u32,
    pid: u32,
}

impl Caller {
    fn of(req: &Request<'_>) -> Caller {
        Caller { uid: req.uid(), gid: req.gid(), pid: req.pid() }
    }

    /// A field of /proc/<pid>/status ("Groups", "Umask").
    fn status_field(&self, key: &str) -> Option<String> {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        s.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix(':').map(|v| v.trim().to_string()))
    }

    /// The caller's credentials: uid and gid from the request, supplementary groups from
    /// /proc/<pid>/status (root's are not needed: root passes every check groups decide).
    fn cred(&self) -> Cred {
        if self.uid == 0 {
            return Cred { uid: 0, gid: self.gid, groups: vec![self.gid] };
        }
        let groups = self
            .status_field("Groups")
            .map(|g| g.split_whitespace().filter_map(|x| x.parse().ok()).collect())
            .unwrap_or_default();
        Cred { uid: self.uid, gid: self.gid, groups }
    }

    /// Enough of the caller's credentials for what an open file's write asks (the allocator's minfree
    /// reserve is root's): no /proc read for each write.
    fn reserve_cred(&self) -> Cred {
        Cred { uid: self.uid, gid: self.gid, groups: Vec::new() }
    }

    /// The caller's umask (FUSE sends none with symlink), 022 if unknown.
    fn umask(&self) -> u32 {
        self.status_field("Umask").and_then(|u| u32::from_str_radix(&u, 8).ok()).unwrap_or(0o022)
    }
}

/// An open file or directory (FUSE's fh).
struct Handle {
    vp: Arc<Vnode>,
    vtype: VType,
    /// The kernel's O_* flags it was opened with.
    flags: u32,
}

impl Handle {
    fn readable(&self) -> bool {
        self.flags & O_ACCMODE != O_WRONLY
    }
    fn writable(&self) -> bool {
        matches!(self.flags & O_ACCMODE, O_WRONLY | O_RDWR)
    }
}

/// The state every worker shares.
struct Server {
    kernel: Arc<Kernel>,
    root: Arc<Vnode>,
    /// Looked-up nodes: inode → (reference, FUSE's nlookup count).
    nodes: Mutex<HashMap<Ino, (Arc<Vnode>, u64)>>,
    handles: Mutex<HashMap<u64, Arc<Handle>>>,
    next_fh: AtomicU64,
    entry_ttl: Duration,
    attr_ttl: Duration,
}

type Job = Box<dyn FnOnce(&Server) + Send>;

impl Server {
    fn nodeid(&self, ino: Ino) -> u64 {
        if ino == self.root.ino {
            FUSE_ROOT_ID
        } else {
            ino
        }
    }

    /// The vnode behind a FUSE node id (ESTALE for one FUSE forgot).
    fn vnode(&self, nodeid: u64) -> KResult<Arc<Vnode>> {
        if nodeid == FUSE_ROOT_ID {
            return Ok(self.root.clone());
        }
        let nodes = self.nodes.lock().unwrap_or_else(|e| e.into_inner());
        nodes.get(&nodeid).map(|(v, _)| v.clone()).ok_or(Errno::ESTALE)
    }

    fn handle(&self, fh: u64) -> KResult<Arc<Handle>> {
        self.handles.lock().unwrap_or_else(|e| e.into_inner()).get(&fh).cloned().ok_or(Errno::EBADF)
    }

    fn add_handle(&self, h: Handle) -> u64 {
        let fh = self.next_fh.fetch_add(1, Ordering::Relaxed);
        self.handles.lock().unwrap_or_else(|e| e.into_inner()).insert(fh, Arc::new(h));
        fh
    }

    /// A node handed to FUSE by an entry reply: one more lookup to forget. Returns its FUSE attributes,
    /// whose `ino` is the node id the entry gives FUSE (fuser sends attr.ino as the node id): the root's is 1.
    fn remember(&self, vp: Vnode, va: &Vattr) -> FileAttr {
        let id = self.nodeid(vp.ino);
        if id != FUSE_ROOT_ID {
            let mut nodes = self.nodes.lock().unwrap_or_else(|e| e.into_inner());
            nodes.entry(vp.ino).or_insert_with(|| (Arc::new(vp), 0)).1 += 1;
        }
        FileAttr { ino: id, ..fuse_attr(va) }
    }

    fn forget(&self, nodeid: u64, n: u64) {
        if nodeid == FUSE_ROOT_ID {
            return;
        }
        let gone = {
            let mut nodes = self.nodes.lock().unwrap_or_else(|e| e.into_inner());
            match nodes.get_mut(&nodeid) {
                Some(e) if e.1 > n => {
                    e.1 -= n;
                    None
                }
                Some(_) => nodes.remove(&nodeid),
                None => None,
            }
        };
        // The last reference may free the inode (VOP_INACTIVE): outside our lock.
        drop(gone);
    }

    fn attr_of(&self, vp: &Vnode) -> KResult<FileAttr> {
        Ok(fuse_attr(&vp.getattr()?))
    }

    fn lookup(&self, c: Caller, parent: u64, name: &[u8]) -> KResult<(FileAttr, u64)> {
        let dvp = self.vnode(parent)?;
        let (vp, va) = vops::lookup(&self.kernel, &c.cred(), &dvp, name)?;
        Ok((self.remember(vp, &va), va.gen as u64))
    }

    fn setattr(&self, c: Caller, nodeid: u64, sa: SetAttrReq) -> KResult<FileAttr> {
        let vp = self.vnode(nodeid)?;
        let cred = c.cred();
        if sa.uid.is_some() || sa.gid.is_some() {
            let va = vp.getattr()?;
            vops::chown(&cred, &vp, &va, sa.uid.unwrap_or(u32::MAX), sa.gid.unwrap_or(u32::MAX))?;
        }
        if let Some(mode) = sa.mode {
            let va = vp.getattr()?;
            vops::chmod(&cred, &vp, &va, mode & ALLPERMS)?;
        }
        if let Some(size) = sa.size {
            let va = vp.getattr()?;
            let len = i64::try_from(size).map_err(|_| Errno::EFBIG)?;
            match sa.fh.map(|fh| self.handle(fh)) {
                // ftruncate, or the truncate of an open(O_TRUNC): the open checked for writing.
                Some(Ok(h)) => {
                    if !h.writable() {
                        return Err(Errno::EINVAL);
                    }
                    kernel::vfs::with_cred(&c.reserve_cred(), || vops::truncate(&vp, &va, len))?
                }
                _ => vops::truncate_path(&cred, &vp, &va, len)?,
            }
        }
        if sa.atime.is_some() || sa.mtime.is_some() {
            let spec = |t: Option<TimeOrNow>| match t {
                None => UtimeSpec::Omit,
                Some(TimeOrNow::Now) => UtimeSpec::Now,
                Some(TimeOrNow::SpecificTime(t)) => UtimeSpec::Set(timespec(t)),
            };
            let va = vp.getattr()?;
            vops::utimens(&self.kernel, &cred, &vp, &va, Some([spec(sa.atime), spec(sa.mtime)]))?;
        }
        self.attr_of(&vp)
    }

    fn make(&self, c: Caller, parent: u64, name: &[u8], n: &MakeNode<'_>) -> KResult<(FileAttr, u64)> {
        let dvp = self.vnode(parent)?;
        let (vp, va) = vops::create(&self.kernel, &c.cred(), &dvp, name, n)?;
        Ok((self.remember(vp, &va), va.gen as u64))
    }

    fn link(&self, c: Caller, nodeid: u64, newparent: u64, name: &[u8]) -> KResult<(FileAttr, u64)> {
        let vp = self.vnode(nodeid)?;
        let tdvp = self.vnode(newparent)?;
        let cred = c.cred();
        vops::check_name(name)?;
        let va = vp.getattr()?;
        vops::link(&cred, &vp, &va, &tdvp, name)?;
        let va = vp.getattr()?;
        Ok((self.remember((*vp).clone(), &va), va.gen as u64))
    }

    fn open(&self, c: Caller, nodeid: u64, lflags: i32, dir: bool) -> KResult<u64> {
        let vp = self.vnode(nodeid)?;
        let va = vp.getattr()?;
        let mut flags = open_flags(lflags);
        if dir {
            flags = (flags & !O_ACCMODE) | O_RDONLY | O_DIRECTORY;
        }
        self.open_vnode(&c.cred(), vp, &va, flags, false)
    }

    fn open_vnode(&self, cred: &Cred, vp: Arc<Vnode>, va: &Vattr, flags: u32, created: bool) -> KResult<u64> {
        vops::may_open(cred, &vp, va, flags, created)?;
        if va.vtype == VType::Dir && flags & O_DIRECTORY == 0 && flags & O_ACCMODE != O_RDONLY {
            return Err(Errno::EISDIR);
        }
        vp.fs()?.open(vp.ino, flags)?;
        if flags & O_TRUNC != 0 && !created && va.vtype == VType::Reg {
            vops::open_truncate(&self.kernel, &vp)?;
        }
        Ok(self.add_handle(Handle { vp, vtype: va.vtype, flags: flags & !(O_TRUNC | O_CREAT | O_EXCL) }))
    }

    /// FUSE create: open(O_CREAT) of `name` in `parent` — made if absent, else opened unless O_EXCL.
    fn create(&self, c: Caller, parent: u64, name: &[u8], mode: u32, lflags: i32) -> KResult<(FileAttr, u64, u64)> {
        let dvp = self.vnode(parent)?;
        let cred = c.cred();
        let flags = open_flags(lflags);
        let n = MakeNode { vtype: VType::Reg, mode: mode & ALLPERMS & !S_ISTXT, rdev: 0, target: b"" };
        let (vp, va, created) = match vops::create(&self.kernel, &cred, &dvp, name, &n) {
            Ok((vp, va)) => (vp, va, true),
            Err(Errno::EEXIST) if lflags & L_O_EXCL == 0 => {
                let (vp, va) = vops::lookup(&self.kernel, &cred, &dvp, name)?;
                (vp, va, false)
            }
            Err(e) => return Err(e),
        };
        let hvp = Arc::new(vp.clone());
        let attr = self.remember(vp, &va);
        match self.open_vnode(&cred, hvp.clone(), &va, flags, created) {
            Ok(fh) => Ok((self.attr_of(&hvp)?, va.gen as u64, fh)),
            Err(e) => {
                // FUSE takes no entry with an error: the lookup we counted is ours to drop.
                self.forget(attr.ino, 1);
                Err(e)
            }
        }
    }

    fn read(&self, fh: u64, off: i64, size: u32) -> KResult<Vec<u8>> {
        let h = self.handle(fh)?;
        if !h.readable() {
            return Err(Errno::EBADF);
        }
        let off = u64::try_from(off).map_err(|_| Errno::EINVAL)?;
        let mut buf = vec![0u8; size as usize];
        let n = vops::read(&h.vp, h.vtype, off, &mut buf)?;
        buf.truncate(n);
        Ok(buf)
    }

    fn write(&self, c: Caller, fh: u64, off: i64, data: &[u8]) -> KResult<u32> {
        let h = self.handle(fh)?;
        if !h.writable() {
            return Err(Errno::EBADF);
        }
        let off = u64::try_from(off).map_err(|_| Errno::EINVAL)?;
        // Who writes decides whether the minfree reserve may be used (root's alone, as in NetBSD).
        let (n, _) =
            kernel::vfs::with_cred(&c.reserve_cred(), || vops::write(&h.vp, off, data, h.flags & O_APPEND != 0))?;
        Ok(n as u32)
    }

    fn readdir(&self, fh: u64, offset: i64, reply: &mut ReplyDirectory) -> KResult<()> {
        let h = self.handle(fh)?;
        if h.vtype != VType::Dir {
            return Err(Errno::ENOTDIR);
        }
        let fs = h.vp.fs()?.clone();
        let mut cookie = offset as u64;
        loop {
            // Collected first, then replied: a type the directory does not record (4.2BSD format)
            // is read from the inode, which must not happen inside the file system's readdir.
            let mut batch: Vec<(Ino, Vec<u8>, u8, u64)> = Vec::new();
            fs.readdir(h.vp.ino, cookie, &mut |e| {
                batch.push((e.ino, e.name.to_vec(), e.dtype, e.next));
                batch.len() < 256
            })?;
            if batch.is_empty() {
                return Ok(());
            }
            for (ino, name, dtype, next) in batch {
                let kind = match VType::from_dtype(dtype) {
                    Some(t) => file_type(t),
                    None => fs.getattr(ino).map(|va| file_type(va.vtype)).unwrap_or(FileType::RegularFile),
                };
                if reply.add(ino, next as i64, kind, OsStr::from_bytes(&name)) {
                    return Ok(());
                }
                cookie = next;
            }
        }
    }

    fn statfs(&self) -> KResult<StatVfs> {
        self.root.fs()?.statvfs()
    }
}

/// What a FUSE setattr asks for.
struct SetAttrReq {
    mode: Option<u32>,
    uid: Option<u32>,
    gid: Option<u32>,
    size: Option<u64>,
    atime: Option<TimeOrNow>,
    mtime: Option<TimeOrNow>,
    fh: Option<u64>,
}

/// The FUSE side: the session thread calls these, each hands its request to the worker pool.
struct FuseFs {
    server: Arc<Server>,
    jobs: mpsc::Sender<Job>,
}

impl FuseFs {
    fn run(&self, job: impl FnOnce(&Server) + Send + 'static) {
        let _ = self.jobs.send(Box::new(job));
    }

    /// Runs a request at once on the session thread: the quick ones (attributes, lookups, opens,
    /// closes), for which handing over to a worker costs more than the work. They never wait for the
    /// session thread, so a worker holding a lock they want only delays them.
    fn now(&self, job: impl FnOnce(&Server)) {
        job(&self.server)
    }
}

fn name_bytes(n: &OsStr) -> Vec<u8> {
    n.as_bytes().to_vec()
}

macro_rules! answer {
    ($reply:expr, $r:expr, |$v:pat_param| $ok:expr) => {
        match $r {
            Ok($v) => $ok,
            Err(e) => $reply.error(linux_errno(e)),
        }
    };
}

impl Filesystem for FuseFs {
    fn init(&mut self, _req: &Request<'_>, config: &mut KernelConfig) -> Result<(), i32> {
        let _ = config.set_max_background(64);
        let _ = config.set_max_write(1 << 20);
        let _ = config.set_max_readahead(1 << 20);
        Ok(())
    }

    fn lookup(&mut self, req: &Request<'_>, parent: u64, name: &OsStr, reply: ReplyEntry) {
        let (c, name) = (Caller::of(req), name_bytes(name));
        self.now(move |s| answer!(reply, s.lookup(c, parent, &name), |(a, g)| reply.entry(&s.entry_ttl, &a, g)));
    }

    fn forget(&mut self, _req: &Request<'_>, ino: u64, nlookup: u64) {
        self.server.forget(ino, nlookup);
    }

    fn getattr(&mut self, _req: &Request<'_>, ino: u64, _fh: Option<u64>, reply: ReplyAttr) {
        self.now(move |s| answer!(reply, s.vnode(ino).and_then(|v| s.attr_of(&v)), |a| reply.attr(&s.attr_ttl, &a)));
    }

    fn setattr(
        &mut self,
        req: &Request<'_>,
        ino: u64,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        size: Option<u64>,
        atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        fh: Option<u64>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<u32>,
        reply: ReplyAttr,
    ) {
        let c = Caller::of(req);
        let sa = SetAttrReq { mode, uid, gid, size, atime, mtime, fh };
        self.run(move |s| answer!(reply, s.setattr(c, ino, sa), |a| reply.attr(&s.attr_ttl, &a)));
    }

    fn readlink(&mut self, _req: &Request<'_>, ino: u64, reply: ReplyData) {
        self.now(move |s| {
            let r = s.vnode(ino).and_then(|v| {
                if v.getattr()?.vtype != VType::Lnk {
                    return Err(Errno::EINVAL);
                }
                v.fs()?.readlink(v.ino)
            });
            answer!(reply, r, |t| reply.data(&t))
        });
    }

    fn mknod(
        &mut self,
        req: &Request<'_>,
        parent: u64,
        name: &OsStr,
        mode: u32,
        _umask: u32,
        rdev: u32,
        reply: ReplyEntry,
    ) {
        let (c, name) = (Caller::of(req), name_bytes(name));
        self.run(move |s| {
            // S_IF* values are the same on Linux and NetBSD.
            let r = match VType::from_mode(mode) {
                None | Some(VType::Dir | VType::Lnk) => Err(Errno::EINVAL),
                Some(vtype) => {
                    let rdev = if matches!(vtype, VType::Chr | VType::Blk) { rdev as u64 } else { 0 };
                    s.make(c, parent, &name, &MakeNode { vtype, mode: mode & ALLPERMS, rdev, target: b"" })
                }
            };
            answer!(reply, r, |(a, g)| reply.entry(&s.entry_ttl, &a, g))
        });
    }

    fn mkdir(&mut self, req: &Request<'_>, parent: u64, name: &OsStr, mode: u32, _umask: u32, reply: ReplyEntry) {
        let (c, name) = (Caller::of(req), name_bytes(name));
        self.run(move |s| {
            let n = MakeNode { vtype: VType::Dir, mode: mode & ACCESSPERMS, rdev: 0, target: b"" };
            answer!(reply, s.make(c, parent, &name, &n), |(a, g)| reply.entry(&s.entry_ttl, &a, g))
        });
    }

    fn unlink(&mut self, req: &Request<'_>, parent: u64, name: &OsStr, reply: ReplyEmpty) {
        let (c, name) = (Caller::of(req), name_bytes(name));
        self.run(move |s| {
            let r = s.vnode(parent).and_then(|d| vops::remove(&s.kernel, &c.cred(), &d, &name, false));
            answer!(reply, r, |()| reply.ok())
        });
    }

    fn rmdir(&mut self, req: &Request<'_>, parent: u64, name: &OsStr, reply: ReplyEmpty) {
        let (c, name) = (Caller::of(req), name_bytes(name));
        self.run(move |s| {
            let r = s.vnode(parent).and_then(|d| vops::remove(&s.kernel, &c.cred(), &d, &name, true));
            answer!(reply, r, |()| reply.ok())
        });
    }

    fn symlink(&mut self, req: &Request<'_>, parent: u64, link_name: &OsStr, target: &Path, reply: ReplyEntry) {
        let (c, name, target) = (Caller::of(req), name_bytes(link_name), target.as_os_str().as_bytes().to_vec());
        self.run(move |s| {
            let n = MakeNode { vtype: VType::Lnk, mode: ACCESSPERMS & !c.umask(), rdev: 0, target: &target };
            answer!(reply, s.make(c, parent, &name, &n), |(a, g)| reply.entry(&s.entry_ttl, &a, g))
        });
    }

    fn rename(
        &mut self,
        req: &Request<'_>,
        parent: u64,
        name: &OsStr,
        newparent: u64,
        newname: &OsStr,
        flags: u32,
        reply: ReplyEmpty,
    ) {
        let (c, name, newname) = (Caller::of(req), name_bytes(name), name_bytes(newname));
        self.run(move |s| {
            // RENAME_EXCHANGE (and RENAME_WHITEOUT) have no VOP_RENAME to map to: refused, EINVAL.
            if flags & !RENAME_NOREPLACE != 0 {
                let _ = RENAME_EXCHANGE;
                return reply.error(linux_errno(Errno::EINVAL));
            }
            let r = s.vnode(parent).and_then(|f| {
                let t = s.vnode(newparent)?;
                vops::rename(&s.kernel, &c.cred(), &f, &name, &t, &newname, flags & RENAME_NOREPLACE != 0)
            });
            answer!(reply, r, |()| reply.ok())
        });
    }

    fn link(&mut self, req: &Request<'_>, ino: u64, newparent: u64, newname: &OsStr, reply: ReplyEntry) {
        let (c, name) = (Caller::of(req), name_bytes(newname));
        self.run(move |s| answer!(reply, s.link(c, ino, newparent, &name), |(a, g)| reply.entry(&s.entry_ttl, &a, g)));
    }

    fn open(&mut self, req: &Request<'_>, ino: u64, flags: i32, reply: ReplyOpen) {
        let c = Caller::of(req);
        self.now(move |s| answer!(reply, s.open(c, ino, flags, false), |fh| reply.opened(fh, 0)));
    }

    fn read(
        &mut self,
        _req: &Request<'_>,
        _ino: u64,
        fh: u64,
        offset: i64,
        size: u32,
        _flags: i32,
        _lock_owner: Option<u64>,
        reply: ReplyData,
    ) {
        self.run(move |s| answer!(reply, s.read(fh, offset, size), |d| reply.data(&d)));
    }

    fn write(
        &mut self,
        req: &Request<'_>,
        _ino: u64,
        fh: u64,
        offset: i64,
        data: &[u8],
        _write_flags: u32,
        _flags: i32,
        _lock_owner: Option<u64>,
        reply: ReplyWrite,
    ) {
        let data = data.to_vec();
        let c = Caller::of(req);
        self.run(move |s| answer!(reply, s.write(c, fh, offset, &data), |n| reply.written(n)));
    }

    fn flush(&mut self, _req: &Request<'_>, _ino: u64, fh: u64, _lock_owner: u64, reply: ReplyEmpty) {
        // close(2) of one descriptor: nothing is buffered here (writes went to the kernel).
        self.now(move |s| answer!(reply, s.handle(fh).map(|_| ()), |()| reply.ok()));
    }

    fn release(
        &mut self,
        _req: &Request<'_>,
        _ino: u64,
        fh: u64,
        _flags: i32,
        _lock_owner: Option<u64>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        // The last close: the handle's vnode reference goes (and with it a removed file).
        self.now(move |s| {
            let h = s.handles.lock().unwrap_or_else(|e| e.into_inner()).remove(&fh);
            drop(h);
            reply.ok()
        });
    }

    fn fsync(&mut self, _req: &Request<'_>, ino: u64, fh: u64, _datasync: bool, reply: ReplyEmpty) {
        self.run(move |s| {
            let r = s.handle(fh).map(|h| h.vp.clone()).or_else(|_| s.vnode(ino)).and_then(|v| v.fs()?.fsync(v.ino));
            answer!(reply, r, |()| reply.ok())
        });
    }

    fn opendir(&mut self, req: &Request<'_>, ino: u64, flags: i32, reply: ReplyOpen) {
        let c = Caller::of(req);
        self.now(move |s| answer!(reply, s.open(c, ino, flags, true), |fh| reply.opened(fh, 0)));
    }

    fn readdir(&mut self, _req: &Request<'_>, _ino: u64, fh: u64, offset: i64, mut reply: ReplyDirectory) {
        self.run(move |s| answer!(reply, s.readdir(fh, offset, &mut reply), |()| reply.ok()));
    }

    fn releasedir(&mut self, _req: &Request<'_>, _ino: u64, fh: u64, _flags: i32, reply: ReplyEmpty) {
        self.now(move |s| {
            let h = s.handles.lock().unwrap_or_else(|e| e.into_inner()).remove(&fh);
            drop(h);
            reply.ok()
        });
    }

    fn fsyncdir(&mut self, _req: &Request<'_>, ino: u64, _fh: u64, _datasync: bool, reply: ReplyEmpty) {
        self.run(move |s| answer!(reply, s.vnode(ino).and_then(|v| v.fs()?.fsync(v.ino)), |()| reply.ok()));
    }

    fn statfs(&mut self, _req: &Request<'_>, _ino: u64, reply: ReplyStatfs) {
        self.run(move |s| {
            answer!(reply, s.statfs(), |v| reply.statfs(
                v.blocks,
                v.bfree,
                v.bavail,
                v.files,
                v.ffree,
                v.bsize as u32,
                v.namemax as u32,
                v.frsize as u32
            ))
        });
    }

    fn access(&mut self, req: &Request<'_>, ino: u64, mask: i32, reply: ReplyEmpty) {
        let c = Caller::of(req);
        self.now(move |s| {
            let r = s.vnode(ino).and_then(|v| {
                let va = v.getattr()?;
                vops::access(&c.cred(), &v, &va, mask as u32 & 7)
            });
            answer!(reply, r, |()| reply.ok())
        });
    }

    fn create(
        &mut self,
        req: &Request<'_>,
        parent: u64,
        name: &OsStr,
        mode: u32,
        _umask: u32,
        flags: i32,
        reply: ReplyCreate,
    ) {
        let (c, name) = (Caller::of(req), name_bytes(name));
        self.run(move |s| {
            answer!(reply, s.create(c, parent, &name, mode, flags), |(a, g, fh)| reply.created(
                &s.entry_ttl,
                &a,
                g,
                fh,
                0
            ))
        });
    }
}

// ---------------------------------------------------------------------------------- mount, umount

/// Signals that end a foreground server the clean way (unmount, write, mark clean).
static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_sig: i32) {
    STOP.store(true, Ordering::SeqCst);
}

extern "C" {
    // The C library's signal(3); std links it already.
    fn signal(signum: i32, handler: extern "C" fn(i32)) -> usize;
}

const SIGHUP: i32 = 1;
const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;

/// Reports readiness to a `rumpjs mount` waiting for its detached server, or errors to stderr.
struct Notify(bool);

impl Notify {
    fn ready(&self) {
        if self.0 {
            let mut o = std::io::stdout();
            let _ = o.write_all(b"ready\n");
            let _ = o.flush();
        }
    }
    fn fail(&self, msg: &str) -> i32 {
        if self.0 {
            let mut o = std::io::stdout();
            let _ = writeln!(o, "error: {msg}");
            let _ = o.flush();
        } else {
            eprintln!("rumpjs mount: {msg}");
        }
        1
    }
}

/// `rumpjs mount`: the process exit code.
pub fn mount(common: &crate::cmd::CommonOpts, a: MountArgs) -> i32 {
    let notify = Notify(std::env::var_os(NOTIFY_ENV).is_some());
    if !a.foreground {
        return detach(common);
    }
    let fstype = a.mtype.clone().unwrap_or_else(|| common.fstype.clone());
    let needs_device = fstype == "ffs";
    let (image, mountpoint) = match (needs_device, a.paths.as_slice()) {
        (true, [img, mnt]) => (Some(img.clone()), mnt.clone()),
        (false, [mnt]) => (None, mnt.clone()),
        (true, _) => return notify.fail("usage: rumpjs mount [--rw|--overlay] IMAGE MOUNTPOINT"),
        (false, _) => return notify.fail(&format!("usage: rumpjs mount -t {fstype} MOUNTPOINT (no image)")),
    };
    if !mountpoint.is_dir() {
        return notify.fail(&format!("{}: not a directory", mountpoint.display()));
    }
    if !Path::new("/dev/fuse").exists() {
        return notify.fail("/dev/fuse is missing (load the fuse module; Debian's fuse3 package gives fusermount3)");
    }
    let readonly = needs_device && !common.rw && !common.overlay && common.overlay_file.is_none();
    let mut mopts = MountOptions { readonly, ..Default::default() };
    if let Some(p) = &common.partition {
        mopts.opts.push(("partition".into(), p.clone()));
    }
    for o in a.options.iter().flat_map(|o| o.split(',')).filter(|o| !o.is_empty()) {
        match o.split_once('=') {
            _ if o == "force" => mopts.force = true,
            _ if o == "ro" => mopts.readonly = true,
            Some((k, v)) => mopts.opts.push((k.into(), v.into())),
            None => mopts.opts.push((o.into(), String::new())),
        }
    }
    let readonly = mopts.readonly;

    // The kernel: the image (or an overlay on it) as /dev/ffs0, the file system on /mnt.
    let hyper: Arc<dyn kernel::hyper::Hypervisor> = Arc::new(kernel::hyper::StdHypervisor::new(common.verbose));
    let k = match Kernel::boot_default(hyper) {
        Ok(k) => k,
        Err(e) => return notify.fail(&format!("kernel boot failed: {e}")),
    };
    let p = k.new_proc(Cred::root());
    let _ = p.mkdir(KMNT.as_bytes(), 0o755);
    let mut spec = None;
    if let Some(img) = &image {
        let dev: kernel::dev::Dev = match kernel::dev::FileDevice::open(img, !common.rw) {
            Ok(d) if common.overlay_file.is_some() => {
                let file = common.overlay_file.as_deref().unwrap_or(Path::new(""));
                match kernel::dev::OverlayDevice::with_sidecar(Arc::new(d), file) {
                    Ok((ov, _)) => Arc::new(ov),
                    Err(e) => return notify.fail(&e.to_string()),
                }
            }
            Ok(d) if common.overlay => Arc::new(kernel::dev::OverlayDevice::new(Arc::new(d))),
            Ok(d) => Arc::new(d),
            Err(e) => return notify.fail(&format!("{}: {e}", img.display())),
        };
        if let Err(e) = k.etfs_register("/dev/ffs0", dev) {
            return notify.fail(&format!("cannot register the image: {e}"));
        }
        spec = Some("/dev/ffs0");
    }
    let flags = if readonly { MNT_RDONLY } else { 0 };
    if let Err(e) = p.mount(&fstype, KMNT.as_bytes(), flags, spec, &mopts) {
        let why: Vec<String> = k.state.msgbuf().lines().rev().take(3).map(str::to_string).collect();
        let src = image.as_ref().map_or(fstype.clone(), |i| i.display().to_string());
        return notify
            .fail(&format!("cannot mount {src}: {e} ({})", why.into_iter().rev().collect::<Vec<_>>().join("; ")));
    }
    let Some(m) = k.mounts().into_iter().find(|m| m.on == KMNT) else {
        return notify.fail("the mount vanished");
    };

    let allow_other = a.allow_other;
    let server = Arc::new(Server {
        kernel: k.clone(),
        root: Arc::new(m.root_vnode()),
        nodes: Mutex::new(HashMap::new()),
        handles: Mutex::new(HashMap::new()),
        next_fh: AtomicU64::new(1),
        // With other users in, every path step comes to us so each is checked with its caller's
        // credentials; one user alone may keep names cached for a second.
        entry_ttl: if allow_other { Duration::ZERO } else { Duration::from_secs(1) },
        attr_ttl: if allow_other { Duration::ZERO } else { Duration::from_secs(1) },
    });
    let threads = a.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(4, |n| n.get() * 4).max(4));
    let (tx, rx) = mpsc::channel::<Job>();
    let rx = Arc::new(Mutex::new(rx));
    let mut workers = Vec::new();
    for i in 0..threads {
        let (rx, s) = (rx.clone(), server.clone());
        let w = std::thread::Builder::new().name(format!("fuse-{i}")).spawn(move || loop {
            let job = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
            match job {
                Ok(job) => job(&s),
                Err(_) => break,
            }
        });
        match w {
            Ok(w) => workers.push(w),
            Err(e) => return notify.fail(&format!("cannot start a worker: {e}")),
        }
    }

    let source = image
        .as_ref()
        .map_or(fstype.clone(), |i| std::fs::canonicalize(i).unwrap_or_else(|_| i.clone()).display().to_string());
    let source: String =
        source.chars().map(|c| if c == ',' || c.is_whitespace() || c == '\\' { '_' } else { c }).collect();
    let mut options = vec![
        MountOption::FSName(format!("rumpjs@{}:{source}", std::process::id())),
        MountOption::Subtype("rumpjs".into()),
        MountOption::NoDev,
        MountOption::NoSuid,
        if readonly { MountOption::RO } else { MountOption::RW },
    ];
    if allow_other {
        options.push(MountOption::AllowOther);
    }
    let fs = FuseFs { server: server.clone(), jobs: tx };
    let mut session = match fuser::Session::new(fs, &mountpoint, &options) {
        Ok(s) => s,
        Err(e) => {
            let _ = p.unmount(KMNT.as_bytes(), 0);
            return notify.fail(&format!("cannot mount on {}: {e}", mountpoint.display()));
        }
    };
    // Ctrl-C, SIGTERM, SIGHUP: unmount from FUSE's side; the loop then ends and we write everything.
    let mut unmounter = session.unmount_callable();
    unsafe {
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        signal(SIGHUP, on_signal);
    }
    let done = Arc::new(AtomicBool::new(false));
    {
        let done = done.clone();
        std::thread::spawn(move || {
            while !done.load(Ordering::SeqCst) {
                if STOP.swap(false, Ordering::SeqCst) {
                    let _ = unmounter.unmount();
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
    }
    notify.ready();
    let run = session.run();
    done.store(true, Ordering::SeqCst);
    drop(session); // the channel to the workers goes with it: they finish what they hold and stop
    for w in workers {
        let _ = w.join();
    }
    let mut code = 0;
    if let Err(e) = run {
        eprintln!("rumpjs mount: the FUSE session ended: {e}");
        code = 1;
    }
    // Drop every reference FUSE held, then write everything and unmount (FFS marks itself clean).
    server.handles.lock().unwrap_or_else(|e| e.into_inner()).clear();
    let nodes = std::mem::take(&mut *server.nodes.lock().unwrap_or_else(|e| e.into_inner()));
    drop(nodes);
    drop(server);
    let r = p.sync().and_then(|()| p.unmount(KMNT.as_bytes(), 0)).or_else(|e| {
        k.log(&format!("unmount: {e}; forcing"));
        p.unmount(KMNT.as_bytes(), MNT_FORCE)
    });
    if let Err(e) = r {
        eprintln!("rumpjs mount: unmounting the file system: {e}");
        code = 1;
    }
    code
}

/// Without -f: run the same command with -f as a detached process and wait until its mount is up.
fn detach(_common: &crate::cmd::CommonOpts) -> i32 {
    use std::io::BufRead;
    use std::os::unix::process::CommandExt;
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => return Notify(false).fail(&format!("cannot find my own executable: {e}")),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut cmd = std::process::Command::new(exe);
    cmd.args(&args)
        .arg("-f")
        .env(NOTIFY_ENV, "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    // A session of its own (as daemon(3) does): no controlling terminal, so closing the terminal that
    // started it does not hang it up. setsid is async-signal-safe, as a pre_exec hook must be.
    // SAFETY: the hook calls only setsid(2) between fork and exec.
    unsafe {
        cmd.pre_exec(|| if libc::setsid() < 0 { Err(std::io::Error::last_os_error()) } else { Ok(()) });
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return Notify(false).fail(&format!("cannot start the server: {e}")),
    };
    let Some(out) = child.stdout.take() else { return 1 };
    let mut line = String::new();
    let _ = std::io::BufReader::new(out).read_line(&mut line);
    match line.trim_end() {
        "ready" => 0,
        l => {
            let msg = l.strip_prefix("error: ").unwrap_or("the server exited before the mount was up");
            let _ = child.wait();
            Notify(false).fail(msg)
        }
    }
}

/// Undoes the octal escapes of /proc/self/mountinfo (`\040` for a space).
fn unescape_mountinfo(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 4 <= b.len() && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c)) {
            out.push(u8::from_str_radix(&s[i + 1..i + 4], 8).unwrap_or(b'?'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The server of a `rumpjs mount` at `mnt` (its pid, from the source it mounted as "rumpjs@PID:..."),
/// if one serves there.
fn server_pid(mnt: &Path) -> Option<u32> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    let mnt = std::fs::canonicalize(mnt).unwrap_or_else(|_| mnt.to_path_buf());
    let mut found = None;
    for line in info.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        let Some(dash) = f.iter().position(|x| *x == "-") else { continue };
        if f.len() < dash + 3 || f.len() < 5 || Path::new(&unescape_mountinfo(f[4])) != mnt {
            continue;
        }
        // "fuse.rumpjs" when mounted through fusermount3, "fuse" when mounted by root directly.
        if f[dash + 1] == "fuse" || f[dash + 1] == "fuse.rumpjs" {
            found = unescape_mountinfo(f[dash + 2]).strip_prefix("rumpjs@")?.split(':').next()?.parse().ok();
        }
    }
    found
}

/// `rumpjs umount MOUNTPOINT`: unmount through fusermount3 and wait for the server to have written
/// everything and exited.
pub fn umount(a: UmountArgs) -> i32 {
    let pid = server_pid(&a.mountpoint);
    let st = std::process::Command::new("fusermount3").arg("-u").arg(&a.mountpoint).status();
    match st {
        Ok(s) if s.success() => {}
        Ok(_) => return 1, // fusermount3 said why
        Err(e) => {
            eprintln!("rumpjs umount: cannot run fusermount3: {e}");
            return 1;
        }
    }
    if let Some(pid) = pid {
        // The server writes the file system and exits once FUSE tells it the mount is gone.
        let proc_dir = PathBuf::from(format!("/proc/{pid}"));
        let start = std::time::Instant::now();
        while proc_dir.exists() {
            let zombie = std::fs::read_to_string(proc_dir.join("stat"))
                .map(|s| s.rsplit(')').next().is_some_and(|r| r.trim_start().starts_with('Z')))
                .unwrap_or(true);
            if zombie {
                break;
            }
            if start.elapsed() > Duration::from_secs(600) {
                eprintln!("rumpjs umount: server {pid} still writing after 10 minutes; not waiting longer");
                return 1;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_table_covers_every_errno_once() {
        for e in Errno::ALL {
            let n = ERRNO_TABLE.iter().filter(|(x, _)| x == e).count();
            assert_eq!(n, 1, "{e:?} appears {n} times");
        }
        assert_eq!(ERRNO_TABLE.len(), Errno::ALL.len());
    }

    #[test]
    fn errno_values_mean_the_same_on_linux() {
        // Linux's own messages (glibc's strerror through std) for the translated numbers.
        let msg = |e: Errno| std::io::Error::from_raw_os_error(linux_errno(e)).to_string();
        let want = [
            (Errno::EAGAIN, "Resource temporarily unavailable"),
            (Errno::ELOOP, "Too many levels of symbolic links"),
            (Errno::ENAMETOOLONG, "File name too long"),
            (Errno::ENOTEMPTY, "Directory not empty"),
            (Errno::EDQUOT, "Disk quota exceeded"),
            (Errno::ENOSYS, "Function not implemented"),
            (Errno::EOPNOTSUPP, "Operation not supported"),
            (Errno::ENOTSUP, "Operation not supported"),
            (Errno::EFTYPE, "Invalid argument"),
            (Errno::EDEADLK, "Resource deadlock avoided"),
            (Errno::ESTALE, "Stale file handle"),
            (Errno::ENOLCK, "No locks available"),
            (Errno::EOVERFLOW, "Value too large for defined data type"),
            (Errno::EILSEQ, "Invalid or incomplete multibyte or wide character"),
            (Errno::ECANCELED, "Operation canceled"),
            (Errno::ENOATTR, "No data available"),
            (Errno::ENOENT, "No such file or directory"),
            (Errno::EROFS, "Read-only file system"),
            (Errno::EXDEV, "Invalid cross-device link"),
            (Errno::EPROTO, "Protocol error"),
            (Errno::ETIMEDOUT, "Connection timed out"),
        ];
        for (e, m) in want {
            assert!(msg(e).starts_with(m), "{e:?} → {} ({})", linux_errno(e), msg(e));
        }
    }

    #[test]
    fn times_round_trip() {
        for t in [
            Timespec::new(0, 0),
            Timespec::new(1338508800, 5),
            Timespec::new(-1, 999_999_999),
            Timespec::new(-86400, 0),
        ] {
            assert_eq!(timespec(systime(t)), t);
        }
    }

    #[test]
    fn mountinfo_escapes() {
        assert_eq!(unescape_mountinfo("/tmp/a\\040b"), "/tmp/a b");
        assert_eq!(unescape_mountinfo("/x\\"), "/x\\");
    }
}
