//! The FUSE side: fuser's `Filesystem` calls, each answered on the session thread (the quick ones) or
//! handed to the worker pool, with kernel errors translated for the host.

use super::convert::*;
use super::server::{Caller, Job, Server, SetAttrReq};
use super::stats::Op;
use crate::host::errno::linux_errno;
use fuser::{
    Filesystem, KernelConfig, ReplyAttr, ReplyCreate, ReplyData, ReplyDirectory, ReplyDirectoryPlus, ReplyEmpty,
    ReplyEntry, ReplyOpen, ReplyStatfs, ReplyWrite, Request, TimeOrNow,
};
use kernel::vfs::vnops::MakeNode;
use kernel::vfs::*;
use kernel::Errno;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::{mpsc, Arc};
use std::time::SystemTime;

/// A read or write of more bytes than this goes to a worker.
const INLINE_BYTES: usize = 128 << 10;

/// The FUSE side: the session thread calls these and answers most requests itself; those that move or
/// free much data (large reads and writes, truncation, fsync) go to the worker pool, so that they run
/// beside each other and beside the small ones. Handing a request over costs a wake-up of another
/// thread, which on a busy machine takes longer than a small request's work: a copy of the bench's
/// 5,500 small files takes a third less time, reading them back two thirds less, answered here.
pub(super) struct FuseFs {
    pub(super) server: Arc<Server>,
    /// The worker pool; none: every request is answered on the session thread.
    pub(super) jobs: Option<mpsc::Sender<Job>>,
}

impl FuseFs {
    /// Hands a request to the worker pool (or, without one, runs it here).
    fn run(&self, job: impl FnOnce(&Server) + Send + 'static) {
        match &self.jobs {
            Some(jobs) => {
                let _ = jobs.send(Box::new(job));
            }
            None => job(&self.server),
        }
    }

    /// Runs a request at once on the session thread. Workers never wait for the session thread, so a
    /// worker holding a lock a request here wants only delays it.
    fn now(&self, job: impl FnOnce(&Server)) {
        job(&self.server)
    }

    /// `run` for the large ones, `now` for the rest.
    fn run_if(&self, large: bool, job: impl FnOnce(&Server) + Send + 'static) {
        if large {
            self.run(job)
        } else {
            self.now(job)
        }
    }
}

/// The answer to an open: the handle, or ENOSYS, which tells the host to open by itself from now on
/// (FUSE's no-open, with pages and listings kept across opens).
fn opened(reply: ReplyOpen, fh: Option<u64>) {
    match fh {
        Some(fh) => reply.opened(fh, 0),
        None => reply.error(libc::ENOSYS),
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
        // Set-ID bits are the kernel's to clear on a write or chown (ffs_write, ufs_chown decide by the
        // caller): the host then sends no chmod of its own for them. A host without the capability
        // sends that chmod instead, which `Server::setattr` accepts from whoever may write.
        let _ = config.add_capabilities(fuser::consts::FUSE_HANDLE_KILLPRIV);
        // Directory listings with each entry's node and attributes (READDIRPLUS) when the host will
        // want them, lookups and listings of one directory at once, symlink targets kept by the host.
        // Each asked for alone: a host without one still gets the others.
        for cap in [
            fuser::consts::FUSE_DO_READDIRPLUS,
            fuser::consts::FUSE_READDIRPLUS_AUTO,
            fuser::consts::FUSE_PARALLEL_DIROPS,
            fuser::consts::FUSE_CACHE_SYMLINKS,
        ] {
            let _ = config.add_capabilities(cap);
        }
        Ok(())
    }

    fn lookup(&mut self, req: &Request<'_>, parent: u64, name: &OsStr, reply: ReplyEntry) {
        self.server.count(Op::Lookup);
        let (c, name) = (Caller::of(req), name_bytes(name));
        self.now(move |s| answer!(reply, s.lookup(c, parent, &name), |(a, g)| reply.entry(&s.cache.entry_ttl, &a, g)));
    }

    fn forget(&mut self, _req: &Request<'_>, ino: u64, nlookup: u64) {
        self.server.count(Op::Forget);
        self.server.forget(ino, nlookup);
    }

    fn getattr(&mut self, _req: &Request<'_>, ino: u64, _fh: Option<u64>, reply: ReplyAttr) {
        self.server.count(Op::Getattr);
        self.now(move |s| {
            answer!(reply, s.vnode(ino).and_then(|v| s.attr_of(&v)), |a| reply.attr(&s.cache.attr_ttl, &a))
        });
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
        self.server.count(Op::Setattr);
        let c = Caller::of(req);
        let sa = SetAttrReq { mode, uid, gid, size, atime, mtime, fh };
        // A chmod, chown or utimes of a file whose last page the host holds partly written goes to a
        // worker, which hands the host that page before answering (`Server::store_tail`); never on
        // this thread, which must stay free to answer a read of that page.
        let store = size.is_none() && self.jobs.is_some() && self.server.tail_pending(ino);
        self.run_if(size.is_some() || store, move |s| {
            let r = s.setattr(c, ino, sa);
            if store && r.is_ok() {
                s.store_tail(ino);
            }
            answer!(reply, r, |a| reply.attr(&s.cache.attr_ttl, &a))
        });
    }

    fn readlink(&mut self, _req: &Request<'_>, ino: u64, reply: ReplyData) {
        self.server.count(Op::Readlink);
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
        self.server.count(Op::Mknod);
        let (c, name) = (Caller::of(req), name_bytes(name));
        self.now(move |s| {
            // S_IF* values are the same on Linux and NetBSD.
            let r = match VType::from_mode(mode) {
                None | Some(VType::Dir | VType::Lnk) => Err(Errno::EINVAL),
                Some(vtype) => {
                    let rdev = if matches!(vtype, VType::Chr | VType::Blk) { rdev as u64 } else { 0 };
                    s.make(c, parent, &name, &MakeNode { vtype, mode: mode & ALLPERMS, rdev, target: b"" })
                }
            };
            answer!(reply, r, |(a, g)| reply.entry(&s.cache.entry_ttl, &a, g))
        });
    }

    fn mkdir(&mut self, req: &Request<'_>, parent: u64, name: &OsStr, mode: u32, _umask: u32, reply: ReplyEntry) {
        self.server.count(Op::Mkdir);
        let (c, name) = (Caller::of(req), name_bytes(name));
        self.now(move |s| {
            let n = MakeNode { vtype: VType::Dir, mode: mode & ACCESSPERMS, rdev: 0, target: b"" };
            answer!(reply, s.make(c, parent, &name, &n), |(a, g)| reply.entry(&s.cache.entry_ttl, &a, g))
        });
    }

    fn unlink(&mut self, req: &Request<'_>, parent: u64, name: &OsStr, reply: ReplyEmpty) {
        self.server.count(Op::Unlink);
        let (c, name) = (Caller::of(req), name_bytes(name));
        self.now(move |s| {
            let r = s.vnode(parent).and_then(|d| vnops::remove(&s.kernel, &c.cred(), &d, &name, false));
            answer!(reply, r, |()| reply.ok())
        });
    }

    fn rmdir(&mut self, req: &Request<'_>, parent: u64, name: &OsStr, reply: ReplyEmpty) {
        self.server.count(Op::Rmdir);
        let (c, name) = (Caller::of(req), name_bytes(name));
        self.now(move |s| {
            let r = s.vnode(parent).and_then(|d| vnops::remove(&s.kernel, &c.cred(), &d, &name, true));
            answer!(reply, r, |()| reply.ok())
        });
    }

    fn symlink(&mut self, req: &Request<'_>, parent: u64, link_name: &OsStr, target: &Path, reply: ReplyEntry) {
        self.server.count(Op::Symlink);
        let (c, name, target) = (Caller::of(req), name_bytes(link_name), target.as_os_str().as_bytes().to_vec());
        self.now(move |s| {
            let n = MakeNode { vtype: VType::Lnk, mode: ACCESSPERMS & !c.umask(), rdev: 0, target: &target };
            answer!(reply, s.make(c, parent, &name, &n), |(a, g)| reply.entry(&s.cache.entry_ttl, &a, g))
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
        self.server.count(Op::Rename);
        let (c, name, newname) = (Caller::of(req), name_bytes(name), name_bytes(newname));
        self.now(move |s| {
            // RENAME_EXCHANGE (and RENAME_WHITEOUT) have no VOP_RENAME to map to: refused, EINVAL.
            if flags & !RENAME_NOREPLACE != 0 {
                let _ = RENAME_EXCHANGE;
                return reply.error(linux_errno(Errno::EINVAL));
            }
            let r = s.vnode(parent).and_then(|f| {
                let t = s.vnode(newparent)?;
                vnops::rename(&s.kernel, &c.cred(), &f, &name, &t, &newname, flags & RENAME_NOREPLACE != 0)
            });
            answer!(reply, r, |()| reply.ok())
        });
    }

    fn link(&mut self, req: &Request<'_>, ino: u64, newparent: u64, newname: &OsStr, reply: ReplyEntry) {
        self.server.count(Op::Link);
        let (c, name) = (Caller::of(req), name_bytes(newname));
        self.now(move |s| {
            answer!(reply, s.link(c, ino, newparent, &name), |(a, g)| reply.entry(&s.cache.entry_ttl, &a, g))
        });
    }

    fn open(&mut self, req: &Request<'_>, ino: u64, flags: i32, reply: ReplyOpen) {
        self.server.count(Op::Open);
        let c = Caller::of(req);
        self.now(move |s| answer!(reply, s.open(c, ino, flags, false), |fh| opened(reply, fh)));
    }

    fn read(
        &mut self,
        _req: &Request<'_>,
        ino: u64,
        fh: u64,
        offset: i64,
        size: u32,
        _flags: i32,
        _lock_owner: Option<u64>,
        reply: ReplyData,
    ) {
        self.server.count(Op::Read);
        self.run_if(size as usize > INLINE_BYTES, move |s| {
            answer!(reply, s.read(fh, ino, offset, size), |d| reply.data(&d))
        });
    }

    fn write(
        &mut self,
        req: &Request<'_>,
        ino: u64,
        fh: u64,
        offset: i64,
        data: &[u8],
        _write_flags: u32,
        _flags: i32,
        _lock_owner: Option<u64>,
        reply: ReplyWrite,
    ) {
        self.server.count(Op::Write);
        let data = data.to_vec();
        let c = Caller::of(req);
        self.run_if(data.len() > INLINE_BYTES, move |s| {
            answer!(reply, s.write(c, fh, ino, offset, &data), |n| reply.written(n))
        });
    }

    fn flush(&mut self, _req: &Request<'_>, _ino: u64, _fh: u64, _lock_owner: u64, reply: ReplyEmpty) {
        self.server.count(Op::Flush);
        // close(2) of one descriptor: nothing is buffered here (writes went to the kernel) and record
        // locks are the host's. ENOSYS tells the host to send no more flushes: one round trip less for
        // every close.
        reply.error(libc::ENOSYS);
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
        self.server.count(Op::Release);
        // The last close: the handle's vnode reference goes (and with it a removed file).
        self.now(move |s| {
            let h = s.handles.lock().unwrap_or_else(|e| e.into_inner()).remove(&fh);
            drop(h);
            reply.ok()
        });
    }

    fn fsync(&mut self, _req: &Request<'_>, ino: u64, fh: u64, _datasync: bool, reply: ReplyEmpty) {
        self.server.count(Op::Fsync);
        self.run(move |s| {
            let r = s.handle(fh).map(|h| h.vp.clone()).or_else(|_| s.vnode(ino)).and_then(|v| v.fs()?.fsync(v.ino));
            answer!(reply, r, |()| reply.ok())
        });
    }

    fn opendir(&mut self, req: &Request<'_>, ino: u64, flags: i32, reply: ReplyOpen) {
        self.server.count(Op::Opendir);
        let c = Caller::of(req);
        self.now(move |s| answer!(reply, s.open(c, ino, flags, true), |fh| opened(reply, fh)));
    }

    fn readdir(&mut self, _req: &Request<'_>, ino: u64, fh: u64, offset: i64, mut reply: ReplyDirectory) {
        self.server.count(Op::Readdir);
        self.now(move |s| answer!(reply, s.readdir(fh, ino, offset, &mut reply), |()| reply.ok()));
    }

    fn readdirplus(&mut self, _req: &Request<'_>, ino: u64, fh: u64, offset: i64, mut reply: ReplyDirectoryPlus) {
        self.server.count(Op::Readdirplus);
        self.now(move |s| answer!(reply, s.readdirplus(fh, ino, offset, &mut reply), |()| reply.ok()));
    }

    fn releasedir(&mut self, _req: &Request<'_>, _ino: u64, fh: u64, _flags: i32, reply: ReplyEmpty) {
        self.server.count(Op::Releasedir);
        self.now(move |s| {
            let h = s.handles.lock().unwrap_or_else(|e| e.into_inner()).remove(&fh);
            drop(h);
            reply.ok()
        });
    }

    fn fsyncdir(&mut self, _req: &Request<'_>, ino: u64, _fh: u64, _datasync: bool, reply: ReplyEmpty) {
        self.server.count(Op::Fsyncdir);
        self.run(move |s| answer!(reply, s.vnode(ino).and_then(|v| v.fs()?.fsync(v.ino)), |()| reply.ok()));
    }

    fn statfs(&mut self, _req: &Request<'_>, _ino: u64, reply: ReplyStatfs) {
        self.server.count(Op::Statfs);
        self.now(move |s| {
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
        self.server.count(Op::Access);
        let c = Caller::of(req);
        self.now(move |s| {
            let r = s.vnode(ino).and_then(|v| {
                let va = v.getattr()?;
                vnops::access(&c.cred(), &v, &va, mask as u32 & 7)
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
        self.server.count(Op::Create);
        let (c, name) = (Caller::of(req), name_bytes(name));
        self.now(move |s| {
            answer!(reply, s.create(c, parent, &name, mode, flags), |(a, g, fh)| reply.created(
                &s.cache.entry_ttl,
                &a,
                g,
                fh,
                0
            ))
        });
    }
}
