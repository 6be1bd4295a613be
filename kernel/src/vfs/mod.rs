//! The virtual file system: the kernel object, its mount table and device switch, and (in submodules)
//! namei, permission checks, open files and the syscalls.

mod access;
pub mod attach;
mod constants;
pub mod devsw;
mod fifo;
mod file;
pub mod fxhash;
mod lockf;
pub mod mount;
pub mod mountopts;
mod namecache;
mod namei;
mod syscalls;
pub mod types;
mod vfsops;
mod vnode_if;
pub mod vnops;

pub use access::{may_use_reserved_space, mode_after_write, with_cred};
pub use attach::{open_image, Image, MountError, MountStage, Overlay};
pub use constants::named_constants;
pub use devsw::{
    major, makedev, minor, BLK_MAJOR_ETFS, CHR_MAJOR_MEM, CHR_MAJOR_RANDOM, CHR_MINOR_NULL, CHR_MINOR_ZERO,
};
pub use file::{DirEnt, OpenFile};
pub use mount::{Mount, Vnode};
pub use mountopts::{parse_size, MountCtx, MountFn, MountOptions};
pub use namecache::{NameCache, NameCacheStats, NAMECACHE_MAX};
pub use syscalls::{Proc, SysctlValue, UtimeSpec, Utsname, NGROUPS_MAX};
pub use types::*;
pub use vfsops::{FileSystem, VfsOps};
pub use vnode_if::{erofs, VnodeOps};

use crate::errno::{Errno, KResult};
use crate::hyper::Hypervisor;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// Identity the kernel reports (sysctl kern.ostype, kern.osrelease, kern.version; uname).
pub const OSTYPE: &str = "NetBSD";
pub const OSRELEASE: &str = "10.1";
pub const VERSION: &str = concat!("NetBSD 10.1 (RUMPJS) rumpjs ", env!("CARGO_PKG_VERSION"));
pub const MACHINE: &str = "rumpjs";
pub const PAGESIZE: u64 = 4096;

/// Message buffer capacity (NetBSD's MSGBUFSIZE is 16-64 KiB).
const MSGBUF_BYTES: usize = 64 * 1024;

/// Kernel state other parts read: kernfs shows it, syscalls change it.
pub struct KernState {
    pub hyper: Arc<dyn Hypervisor>,
    pub hostname: RwLock<String>,
    pub boottime: crate::vfs::Timespec,
    boot_mono: u64,
    msgbuf: Mutex<MsgBuf>,
}

struct MsgBuf {
    lines: VecDeque<String>,
    bytes: usize,
}

impl KernState {
    /// Kernel printf: a timestamped line into the message buffer (dmesg) and to the host console.
    pub fn log(&self, msg: &str) {
        let ns = self.hyper.monotonic_ns().saturating_sub(self.boot_mono);
        let line = format!("[{:>5}.{:06}] {}", ns / 1_000_000_000, (ns / 1000) % 1_000_000, msg);
        self.hyper.console(&line);
        let mut mb = self.msgbuf.lock().unwrap_or_else(|e| e.into_inner());
        mb.bytes += line.len() + 1;
        mb.lines.push_back(line);
        while mb.bytes > MSGBUF_BYTES {
            match mb.lines.pop_front() {
                Some(old) => mb.bytes -= old.len() + 1,
                None => break,
            }
        }
    }

    /// The message buffer's text, oldest line first.
    pub fn msgbuf(&self) -> String {
        let mb = self.msgbuf.lock().unwrap_or_else(|e| e.into_inner());
        let mut s = String::with_capacity(mb.bytes);
        for l in &mb.lines {
            s.push_str(l);
            s.push('\n');
        }
        s
    }

    pub fn hostname(&self) -> String {
        self.hostname.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// sethostname(3)'s limit: MAXHOSTNAMELEN 256 including the NUL.
    pub fn set_hostname(&self, name: &str) -> KResult<()> {
        if name.len() >= 256 || name.contains('\0') {
            return Err(Errno::EINVAL);
        }
        *self.hostname.write().unwrap_or_else(|e| e.into_inner()) = name.to_string();
        Ok(())
    }
}

/// A registered file-system type.
#[derive(Clone, Copy)]
pub struct FsType {
    pub name: &'static str,
    pub mount: MountFn,
    /// Whether mounting needs a block device as the spec.
    pub needs_device: bool,
}

pub(crate) struct MountTable {
    pub list: Vec<Arc<Mount>>,
    /// (fsid of the covering side, covered inode) → the mount on top.
    pub covered: fxhash::FxHashMap<(u64, Ino), Arc<Mount>>,
}

/// The kernel: mount table, device switch, file-system types and shared state. Processes (`Proc`) run
/// syscalls against it; it is Send + Sync and every part of it locks what it touches.
pub struct Kernel {
    pub state: Arc<KernState>,
    pub(crate) mounts: RwLock<MountTable>,
    pub(crate) bdevsw: Mutex<devsw::Bdevsw>,
    fstypes: Vec<FsType>,
    next_fsid: AtomicU64,
    /// The root file system's mount.
    pub(crate) rootmount: Arc<Mount>,
    pub(crate) fifos: fifo::FifoTable,
    /// Advisory record locks (fcntl F_SETLK).
    pub(crate) locks: lockf::LockTable,
    /// Process ids are the kernel's own (1, 2, ...), the same on every run.
    pub(crate) next_pid: std::sync::atomic::AtomicU32,
    /// The name cache every mount shares.
    pub(crate) names: Arc<namecache::NameCache>,
    /// Devices registered for images by `Proc::mount_device`, removed by `Proc::unmount_device`.
    pub(crate) image_devs: Mutex<Vec<String>>,
}

impl Kernel {
    /// Boots a kernel: root file system (an in-memory rumpfs), `/dev` with null and zero, the given
    /// file-system types registered. tmpfs and kernfs are not mounted here (the host chooses where).
    pub fn boot(hyper: Arc<dyn Hypervisor>, fstypes: &[FsType]) -> KResult<Arc<Kernel>> {
        let now = hyper.wall_clock();
        let state = Arc::new(KernState {
            boot_mono: hyper.monotonic_ns(),
            hyper: hyper.clone(),
            hostname: RwLock::new("rumpjs".to_string()),
            boottime: now,
            msgbuf: Mutex::new(MsgBuf { lines: VecDeque::new(), bytes: 0 }),
        });
        state.log(VERSION);
        state.log("Copyright (c) 1996, 1997, 1998, 1999, 2000, 2001, 2002, 2003, 2004, 2005,");
        state.log("    2006, 2007, 2008, 2009, 2010, 2011, 2012, 2013, 2014, 2015, 2016, 2017,");
        state.log("    2018, 2019, 2020, 2021, 2022, 2023, 2024");
        state.log("    The NetBSD Foundation, Inc.  All rights reserved.");
        state.log(&format!("rump kernel hosted by {}", hyper.hosted_by()));
        let ctx = MountCtx {
            hyper: hyper.clone(),
            log: {
                let st = state.clone();
                Arc::new(move |m: &str| st.log(&format!("rumpfs: {m}")))
            },
            dev: None,
            kern: state.clone(),
            mnton: "/".into(),
        };
        let rootfs = crate::fs::tmpfs::Tmpfs::new_rootfs(&ctx)?;
        let names = Arc::new(namecache::NameCache::default());
        let rootmount = Mount::new(1, rootfs, "rumpfs", MNT_LOCAL | MNT_ROOTFS, "/", "rumpfs", None, names.clone());
        let k = Arc::new(Kernel {
            state,
            mounts: RwLock::new(MountTable { list: vec![rootmount.clone()], covered: Default::default() }),
            bdevsw: Mutex::new(devsw::Bdevsw::new()),
            fstypes: fstypes.to_vec(),
            next_fsid: AtomicU64::new(2),
            rootmount,
            fifos: fifo::FifoTable::default(),
            locks: lockf::LockTable::default(),
            next_pid: std::sync::atomic::AtomicU32::new(1),
            image_devs: Mutex::new(Vec::new()),
            names,
        });
        k.state.log("root file system type: rumpfs");
        let p = k.new_proc(Cred::root());
        p.mkdir(b"/dev", 0o755)?;
        // The character devices of the device switch (devsw.rs), as MAKEDEV makes them.
        let nodes = [
            ("null", 0o666, CHR_MAJOR_MEM, CHR_MINOR_NULL),
            ("zero", 0o666, CHR_MAJOR_MEM, CHR_MINOR_ZERO),
            ("random", 0o444, CHR_MAJOR_RANDOM, 0),
            ("urandom", 0o444, CHR_MAJOR_RANDOM, 1),
        ];
        for (name, perm, major, minor) in nodes {
            p.mknod(format!("/dev/{name}").as_bytes(), S_IFCHR | perm, makedev(major, minor))?;
        }
        Ok(k)
    }

    /// Boots with every file system this crate has (rumpfs root, tmpfs, kernfs, ffs).
    pub fn boot_default(hyper: Arc<dyn Hypervisor>) -> KResult<Arc<Kernel>> {
        Kernel::boot(hyper, crate::fs::ALL)
    }

    pub fn hyper(&self) -> &Arc<dyn Hypervisor> {
        &self.state.hyper
    }

    pub fn log(&self, msg: &str) {
        self.state.log(msg)
    }

    /// A new process with the given credentials, cwd and root at `/`, umask 022.
    pub fn new_proc(self: &Arc<Kernel>, cred: Cred) -> Proc {
        Proc::new(self.clone(), cred)
    }

    /// What the name cache holds and how often it answered.
    pub fn namecache_stats(&self) -> NameCacheStats {
        self.names.stats()
    }

    pub fn fstype(&self, name: &str) -> Option<FsType> {
        self.fstypes.iter().find(|t| t.name == name).copied()
    }

    pub fn fstypes(&self) -> Vec<&'static str> {
        self.fstypes.iter().map(|t| t.name).collect()
    }

    pub(crate) fn alloc_fsid(&self) -> u64 {
        self.next_fsid.fetch_add(1, Ordering::Relaxed)
    }

    /// The root of the mount covering (`mount`, `ino`), if one does. The reference is taken under the
    /// mount table's lock, so an unmount either sees it (EBUSY) or came first (no mount here).
    pub(crate) fn covering_root(&self, mount: &Mount, ino: Ino) -> Option<Vnode> {
        if mount.covers() == 0 {
            // Nothing is mounted on this file system (checked without the table's lock; a mount
            // racing with this lookup may or may not be seen, as with NetBSD's v_mountedhere).
            return None;
        }
        let t = self.mounts.read().unwrap_or_else(|e| e.into_inner());
        t.covered.get(&(mount.fsid, ino)).map(|m| m.root_vnode())
    }

    /// Every mount, in mount order (getvfsstat's order).
    pub fn mounts(&self) -> Vec<Arc<Mount>> {
        self.mounts.read().unwrap_or_else(|e| e.into_inner()).list.clone()
    }
}
