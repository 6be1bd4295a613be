//! The FUSE server's state and its operations: each FUSE request maps onto one vnode operation of the
//! mounted file system, with the checks of the matching syscall (`kernel::vfs::vnops`) made with the
//! calling host process's credentials.

use super::convert::*;
use super::pages::HostPages;
use super::stats::{Op, Stats};
use fuser::{FileAttr, FileType, Notifier, ReplyDirectory, ReplyDirectoryPlus, Request, TimeOrNow, FUSE_ROOT_ID};
use kernel::vfs::vnops::{self, MakeNode, UtimeSpec};
use kernel::vfs::*;
use kernel::{Errno, KResult};
use std::collections::HashMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, UNIX_EPOCH};

/// Who asked: the calling host process.
#[derive(Clone, Copy, Debug)]
pub(super) struct Caller {
    pub(super) uid: u32,
    pub(super) gid: u32,
    pub(super) pid: u32,
}

impl Caller {
    pub(super) fn of(req: &Request<'_>) -> Caller {
        Caller { uid: req.uid(), gid: req.gid(), pid: req.pid() }
    }

    /// A field of /proc/<pid>/status ("Groups", "Umask").
    pub(super) fn status_field(&self, key: &str) -> Option<String> {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        s.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix(':').map(|v| v.trim().to_string()))
    }

    /// The caller's credentials: uid and gid from the request, supplementary groups from
    /// /proc/<pid>/status (root's are not needed: root passes every check groups decide).
    pub(super) fn cred(&self) -> Cred {
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
    pub(super) fn reserve_cred(&self) -> Cred {
        Cred { uid: self.uid, gid: self.gid, groups: Vec::new() }
    }

    /// The caller's umask (FUSE sends none with symlink), 022 if unknown.
    pub(super) fn umask(&self) -> u32 {
        self.status_field("Umask").and_then(|u| u32::from_str_radix(&u, 8).ok()).unwrap_or(0o022)
    }
}

/// An open file or directory (FUSE's fh).
pub(super) struct Handle {
    pub(super) vp: Arc<Vnode>,
    pub(super) vtype: VType,
    /// The kernel's O_* flags it was opened with.
    pub(super) flags: u32,
}

impl Handle {
    pub(super) fn readable(&self) -> bool {
        self.flags & O_ACCMODE != O_WRONLY
    }
    pub(super) fn writable(&self) -> bool {
        matches!(self.flags & O_ACCMODE, O_WRONLY | O_RDWR)
    }
}

/// The state every worker shares.
pub(super) struct Server {
    pub(super) kernel: Arc<Kernel>,
    pub(super) root: Arc<Vnode>,
    /// Looked-up nodes by inode.
    pub(super) nodes: Mutex<HashMap<Ino, Node>>,
    pub(super) handles: Mutex<HashMap<u64, Arc<Handle>>>,
    pub(super) next_fh: AtomicU64,
    pub(super) cache: Caching,
    /// Tells the host what changed without its asking (set once the FUSE session is up).
    pub(super) notifier: OnceLock<Notifier>,
    /// Requests counted by kind, when asked for ([`Stats::from_env`]).
    pub(super) stats: Option<Stats>,
    /// The files whose last page's bytes are kept (`pages`).
    pub(super) tails: AtomicUsize,
}

/// A node FUSE holds.
pub(super) struct Node {
    pub(super) vp: Arc<Vnode>,
    /// FUSE's nlookup count: the lookups it has yet to forget.
    pub(super) lookups: u64,
    pub(super) pages: HostPages,
}

/// What the host may keep of what it was told: names (negative ones too), attributes and, when
/// `keep`, file pages and directory listings between opens (FUSE's no-open keeps them: [`Server::open`]).
pub(super) struct Caching {
    pub(super) entry_ttl: Duration,
    pub(super) attr_ttl: Duration,
    pub(super) keep: bool,
}

impl Caching {
    /// Only this server changes the file system, and every change but one comes from a host request
    /// whose effects the host applies to its own caches (Linux's FUSE invalidates the parent
    /// directories, the renamed, unlinked or linked node, the written file's size and times). The one
    /// it cannot know, the set-ID bits a write takes away, the server tells it ([`Server::write`]).
    /// Pages read from the host's cache (read before, or written and handed over: `pages`) do not
    /// reach the server, so they set no atime (as NFS's close-to-open caching).
    pub(super) fn exclusive() -> Caching {
        Caching { entry_ttl: Duration::from_secs(86_400), attr_ttl: Duration::from_secs(86_400), keep: true }
    }

    /// The file system also changes by itself (kernfs) or through another writer of the image: a
    /// second, and pages read afresh at every open.
    pub(super) fn shared() -> Caching {
        Caching { entry_ttl: Duration::from_secs(1), attr_ttl: Duration::from_secs(1), keep: false }
    }
}

/// The fh of a file or directory the host opened without asking us (FUSE's no-open).
pub(super) const HOST_OPENED: u64 = 0;

pub(super) type Job = Box<dyn FnOnce(&Server) + Send>;

impl Server {
    pub(super) fn count(&self, op: Op) {
        if let Some(s) = &self.stats {
            s.count(op);
        }
    }

    pub(super) fn nodeid(&self, ino: Ino) -> u64 {
        if ino == self.root.ino {
            FUSE_ROOT_ID
        } else {
            ino
        }
    }

    /// The vnode behind a FUSE node id (ESTALE for one FUSE forgot).
    pub(super) fn vnode(&self, nodeid: u64) -> KResult<Arc<Vnode>> {
        if nodeid == FUSE_ROOT_ID {
            return Ok(self.root.clone());
        }
        let nodes = self.nodes.lock().unwrap_or_else(|e| e.into_inner());
        nodes.get(&nodeid).map(|n| n.vp.clone()).ok_or(Errno::ESTALE)
    }

    pub(super) fn handle(&self, fh: u64) -> KResult<Arc<Handle>> {
        self.handles.lock().unwrap_or_else(|e| e.into_inner()).get(&fh).cloned().ok_or(Errno::EBADF)
    }

    /// The open file or directory a request names: our handle, or, for one the host opened itself
    /// ([`HOST_OPENED`]), its node, read and written as the host's open allows (the host checked the
    /// modes and keeps the descriptor's access mode and append offset itself).
    pub(super) fn opened(&self, fh: u64, nodeid: u64) -> KResult<Arc<Handle>> {
        if fh != HOST_OPENED {
            return self.handle(fh);
        }
        let vp = self.vnode(nodeid)?;
        let vtype = vp.getattr()?.vtype;
        Ok(Arc::new(Handle { vp, vtype, flags: O_RDWR }))
    }

    pub(super) fn add_handle(&self, h: Handle) -> u64 {
        let fh = self.next_fh.fetch_add(1, Ordering::Relaxed);
        self.handles.lock().unwrap_or_else(|e| e.into_inner()).insert(fh, Arc::new(h));
        fh
    }

    /// A node handed to FUSE by an entry reply: one more lookup to forget. Returns its FUSE attributes,
    /// whose `ino` is the node id the entry gives FUSE (fuser sends attr.ino as the node id): the root's is 1.
    pub(super) fn remember(&self, vp: Vnode, va: &Vattr) -> FileAttr {
        let id = self.nodeid(vp.ino);
        if id != FUSE_ROOT_ID {
            let mut nodes = self.nodes.lock().unwrap_or_else(|e| e.into_inner());
            let node = nodes.entry(vp.ino).or_insert_with(|| Node {
                vp: Arc::new(vp),
                lookups: 0,
                pages: HostPages::default(),
            });
            node.lookups += 1;
        }
        FileAttr { ino: id, ..fuse_attr(va) }
    }

    pub(super) fn forget(&self, nodeid: u64, n: u64) {
        if nodeid == FUSE_ROOT_ID {
            return;
        }
        let gone = {
            let mut nodes = self.nodes.lock().unwrap_or_else(|e| e.into_inner());
            match nodes.get_mut(&nodeid) {
                Some(e) if e.lookups > n => {
                    e.lookups -= n;
                    None
                }
                Some(_) => nodes.remove(&nodeid),
                None => None,
            }
        };
        if gone.as_ref().is_some_and(|n| n.pages.holds_tail()) {
            self.tails.fetch_sub(1, Ordering::Relaxed);
        }
        // The last reference may free the inode (VOP_INACTIVE): outside our lock.
        drop(gone);
    }

    pub(super) fn attr_of(&self, vp: &Vnode) -> KResult<FileAttr> {
        Ok(fuse_attr(&vp.getattr()?))
    }

    /// A name's node, or (node id 0) that there is none, which the host then keeps as a negative
    /// entry for the entry timeout: only the host's own requests make names.
    pub(super) fn lookup(&self, c: Caller, parent: u64, name: &[u8]) -> KResult<(FileAttr, u64)> {
        let dvp = self.vnode(parent)?;
        match vnops::lookup(&self.kernel, &c.cred(), &dvp, name) {
            Ok((vp, va)) => Ok((self.remember(vp, &va), va.gen as u64)),
            Err(Errno::ENOENT) if self.cache.keep => Ok((absent(), 0)),
            Err(e) => Err(e),
        }
    }

    pub(super) fn setattr(&self, c: Caller, nodeid: u64, sa: SetAttrReq) -> KResult<FileAttr> {
        let vp = self.vnode(nodeid)?;
        let cred = c.cred();
        if sa.uid.is_some() || sa.gid.is_some() {
            let va = vp.getattr()?;
            vnops::chown(&cred, &vp, &va, sa.uid.unwrap_or(u32::MAX), sa.gid.unwrap_or(u32::MAX))?;
        }
        if let Some(mode) = sa.mode {
            let va = vp.getattr()?;
            let mode = mode & ALLPERMS;
            if kills_setid_only(&va, mode) && !cred.is_root() && cred.uid != va.uid {
                // The host's own clearing of set-ID bits before a write by someone other than the
                // owner (Linux's file_remove_privs, when FUSE_HANDLE_KILLPRIV is not granted): what
                // the write itself does (ffs_write), so whoever may write may ask it.
                vnops::access(&cred, &vp, &va, W_OK)?;
                vnops::setattr_checked(&vp, &va, &SetAttr { mode: Some(mode), ..Default::default() })?;
            } else {
                vnops::chmod(&cred, &vp, &va, mode)?;
            }
        }
        if let Some(size) = sa.size {
            let va = vp.getattr()?;
            let len = i64::try_from(size).map_err(|_| Errno::EFBIG)?;
            match sa.fh.map(|fh| self.opened(fh, nodeid)) {
                // ftruncate, or the truncate of an open(O_TRUNC): the open checked for writing.
                Some(Ok(h)) => {
                    if !h.writable() {
                        return Err(Errno::EINVAL);
                    }
                    kernel::vfs::with_cred(&c.reserve_cred(), || vnops::truncate(&vp, &va, len))?
                }
                _ => vnops::truncate_path(&cred, &vp, &va, len)?,
            }
            self.host_pages(vp.ino, |p| p.truncated());
        }
        if sa.atime.is_some() || sa.mtime.is_some() {
            let spec = |t: Option<TimeOrNow>| match t {
                None => UtimeSpec::Omit,
                Some(TimeOrNow::Now) => UtimeSpec::Now,
                Some(TimeOrNow::SpecificTime(t)) => UtimeSpec::Set(timespec(t)),
            };
            let va = vp.getattr()?;
            vnops::utimens(&self.kernel, &cred, &vp, &va, Some([spec(sa.atime), spec(sa.mtime)]))?;
        }
        self.attr_of(&vp)
    }

    pub(super) fn make(&self, c: Caller, parent: u64, name: &[u8], n: &MakeNode<'_>) -> KResult<(FileAttr, u64)> {
        let dvp = self.vnode(parent)?;
        let (vp, va) = vnops::create(&self.kernel, &c.cred(), &dvp, name, n)?;
        Ok((self.remember(vp, &va), va.gen as u64))
    }

    pub(super) fn link(&self, c: Caller, nodeid: u64, newparent: u64, name: &[u8]) -> KResult<(FileAttr, u64)> {
        let vp = self.vnode(nodeid)?;
        let tdvp = self.vnode(newparent)?;
        let cred = c.cred();
        vnops::check_name(name)?;
        let va = vp.getattr()?;
        vnops::link(&cred, &vp, &va, &tdvp, name)?;
        let va = vp.getattr()?;
        Ok((self.remember((*vp).clone(), &va), va.gen as u64))
    }

    /// FUSE open and opendir: a handle, or none when the host may open by itself from now on (when it
    /// keeps what it was told: it then checks each open against the modes it holds, and sends no
    /// open or release, one round trip less for every file opened). This open is checked all the same.
    pub(super) fn open(&self, c: Caller, nodeid: u64, lflags: i32, dir: bool) -> KResult<Option<u64>> {
        let vp = self.vnode(nodeid)?;
        let va = vp.getattr()?;
        let mut flags = open_flags(lflags);
        if dir {
            flags = (flags & !O_ACCMODE) | O_RDONLY | O_DIRECTORY;
        }
        if self.cache.keep {
            self.check_open(&c.cred(), &vp, &va, flags, false)?;
            return Ok(None);
        }
        self.open_vnode(&c.cred(), vp, &va, flags, false).map(Some)
    }

    /// What an open checks and does before it has a handle (vn_open after namei).
    fn check_open(&self, cred: &Cred, vp: &Vnode, va: &Vattr, flags: u32, created: bool) -> KResult<()> {
        vnops::may_open(cred, vp, va, flags, created)?;
        if va.vtype == VType::Dir && flags & O_DIRECTORY == 0 && flags & O_ACCMODE != O_RDONLY {
            return Err(Errno::EISDIR);
        }
        vp.fs()?.open(vp.ino, flags)?;
        if flags & O_TRUNC != 0 && !created && va.vtype == VType::Reg {
            vnops::open_truncate(&self.kernel, vp)?;
            self.host_pages(vp.ino, |p| p.truncated());
        }
        Ok(())
    }

    pub(super) fn open_vnode(
        &self,
        cred: &Cred,
        vp: Arc<Vnode>,
        va: &Vattr,
        flags: u32,
        created: bool,
    ) -> KResult<u64> {
        self.check_open(cred, &vp, va, flags, created)?;
        Ok(self.add_handle(Handle { vp, vtype: va.vtype, flags: flags & !(O_TRUNC | O_CREAT | O_EXCL) }))
    }

    /// FUSE create: open(O_CREAT) of `name` in `parent` — made if absent, else opened unless O_EXCL.
    pub(super) fn create(
        &self,
        c: Caller,
        parent: u64,
        name: &[u8],
        mode: u32,
        lflags: i32,
    ) -> KResult<(FileAttr, u64, u64)> {
        let dvp = self.vnode(parent)?;
        let cred = c.cred();
        let flags = open_flags(lflags);
        let n = MakeNode { vtype: VType::Reg, mode: mode & ALLPERMS & !S_ISTXT, rdev: 0, target: b"" };
        let (vp, va, created) = match vnops::create(&self.kernel, &cred, &dvp, name, &n) {
            Ok((vp, va)) => (vp, va, true),
            Err(Errno::EEXIST) if lflags & L_O_EXCL == 0 => {
                let (vp, va) = vnops::lookup(&self.kernel, &cred, &dvp, name)?;
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

    pub(super) fn read(&self, fh: u64, nodeid: u64, off: i64, size: u32) -> KResult<Vec<u8>> {
        let h = self.opened(fh, nodeid)?;
        if !h.readable() {
            return Err(Errno::EBADF);
        }
        let off = u64::try_from(off).map_err(|_| Errno::EINVAL)?;
        self.host_pages(h.vp.ino, |p| p.read());
        let mut buf = vec![0u8; size as usize];
        let n = vnops::read(&h.vp, h.vtype, off, &mut buf)?;
        buf.truncate(n);
        Ok(buf)
    }

    pub(super) fn write(&self, c: Caller, fh: u64, nodeid: u64, off: i64, data: &[u8]) -> KResult<u32> {
        let h = self.opened(fh, nodeid)?;
        if !h.writable() {
            return Err(Errno::EBADF);
        }
        let off = u64::try_from(off).map_err(|_| Errno::EINVAL)?;
        let va = h.vp.getattr()?;
        if fh == HOST_OPENED {
            // What our open would have refused, the host's did not know: an immutable file opened
            // for writing (vaccess), an append-only file written other than at its end (ffs_write).
            if va.flags & IMMUTABLE != 0 || (va.flags & APPEND != 0 && off != va.size) {
                return Err(Errno::EPERM);
            }
        }
        // A write by anyone but root takes the set-ID bits away (ffs_write); the host, which keeps the
        // mode, learns it from us.
        let setid = c.uid != 0 && va.mode & (S_ISUID | S_ISGID) != 0;
        // Who writes decides whether the minfree reserve may be used (root's alone, as in NetBSD).
        let written =
            kernel::vfs::with_cred(&c.reserve_cred(), || vnops::write(&h.vp, off, data, h.flags & O_APPEND != 0));
        let (n, end) = match written {
            Ok(w) => w,
            Err(e) => {
                // Part may have gone in: the last page's bytes kept are no longer known.
                self.host_pages(h.vp.ino, |p| p.truncated());
                return Err(e);
            }
        };
        self.wrote(h.vp.ino, end - n as u64, &data[..n], va.size);
        if setid {
            self.attributes_changed(h.vp.ino);
        }
        Ok(n as u32)
    }

    /// The host forgets the node's cached attributes (not its pages: the writer that made the change
    /// holds them locked during its request).
    fn attributes_changed(&self, ino: Ino) {
        if let Some(n) = self.notifier.get() {
            self.count(Op::NotifyInval);
            let _ = n.inval_inode(self.nodeid(ino), -1, 0);
        }
    }

    pub(super) fn readdir(&self, fh: u64, nodeid: u64, offset: i64, reply: &mut ReplyDirectory) -> KResult<()> {
        let h = self.opened(fh, nodeid)?;
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

    /// READDIRPLUS: each entry with its node and attributes, as a lookup of its name would give them
    /// (one more lookup for FUSE to forget, except "." and ".."). No search permission is checked:
    /// the host checks it itself before it uses a cached name (default_permissions).
    pub(super) fn readdirplus(&self, fh: u64, nodeid: u64, offset: i64, reply: &mut ReplyDirectoryPlus) -> KResult<()> {
        let h = self.opened(fh, nodeid)?;
        if h.vtype != VType::Dir {
            return Err(Errno::ENOTDIR);
        }
        let fs = h.vp.fs()?.clone();
        let root = Cred::root();
        let mut cookie = offset as u64;
        loop {
            let mut batch: Vec<(Ino, Vec<u8>, u64)> = Vec::new();
            fs.readdir(h.vp.ino, cookie, &mut |e| {
                batch.push((e.ino, e.name.to_vec(), e.next));
                batch.len() < 64
            })?;
            if batch.is_empty() {
                return Ok(());
            }
            for (ino, name, next) in batch {
                let dots = name == b"." || name == b"..";
                let found = match dots {
                    true => fs.getattr(ino).map(|va| (None, va)),
                    false => vnops::lookup(&self.kernel, &root, &h.vp, &name).map(|(vp, va)| (Some(vp), va)),
                };
                let (attr, gen, counted) = match found {
                    Ok((Some(vp), va)) => (self.remember(vp, &va), va.gen as u64, true),
                    Ok((None, va)) => (FileAttr { ino, ..fuse_attr(&va) }, 0, false),
                    // Removed since the directory was read: not listed.
                    Err(Errno::ENOENT) => {
                        cookie = next;
                        continue;
                    }
                    // Listed without a node (the host asks again when it wants one).
                    Err(_) => (absent(), 0, false),
                };
                let name = OsStr::from_bytes(&name);
                if reply.add(attr.ino, next as i64, name, &self.cache.entry_ttl, &attr, gen) {
                    if counted {
                        self.forget(attr.ino, 1);
                    }
                    return Ok(());
                }
                cookie = next;
            }
        }
    }

    pub(super) fn statfs(&self) -> KResult<StatVfs> {
        self.root.fs()?.statvfs()
    }
}

/// FUSE's entry for no node: node id 0.
fn absent() -> FileAttr {
    FileAttr {
        ino: 0,
        size: 0,
        blocks: 0,
        atime: UNIX_EPOCH,
        mtime: UNIX_EPOCH,
        ctime: UNIX_EPOCH,
        crtime: UNIX_EPOCH,
        kind: FileType::RegularFile,
        perm: 0,
        nlink: 0,
        uid: 0,
        gid: 0,
        rdev: 0,
        blksize: 0,
        flags: 0,
    }
}

/// A new mode that differs from the node's only by set-user-ID or set-group-ID bits taken away.
fn kills_setid_only(va: &Vattr, mode: u32) -> bool {
    let gone = va.mode & !mode;
    mode != va.mode && mode & !va.mode == 0 && gone & !(S_ISUID | S_ISGID) == 0
}

/// What a FUSE setattr asks for.
pub(super) struct SetAttrReq {
    pub(super) mode: Option<u32>,
    pub(super) uid: Option<u32>,
    pub(super) gid: Option<u32>,
    pub(super) size: Option<u64>,
    pub(super) atime: Option<TimeOrNow>,
    pub(super) mtime: Option<TimeOrNow>,
    pub(super) fh: Option<u64>,
}
