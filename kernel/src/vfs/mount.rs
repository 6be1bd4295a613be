//! Mounts and vnodes. A `Vnode` is a counted reference to (mount, inode): when the last one for an inode
//! goes, the file system's `inactive` runs (NetBSD's vrele → VOP_INACTIVE), and a mount with references
//! left is busy.

use super::fxhash::FxHashMap;
use super::namecache::NameCache;
use super::types::*;
use super::FileSystem;
use crate::errno::{Errno, KResult};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// One mounted file system (NetBSD `struct mount`).
pub struct Mount {
    /// File-system id, `st_dev` of its files.
    pub fsid: u64,
    pub fs: Arc<dyn FileSystem>,
    pub fstype: String,
    flags: AtomicU64,
    /// Where it is mounted (f_mntonname).
    pub on: String,
    /// What is mounted (f_mntfromname): the device path, or the type name for memory file systems.
    pub from: String,
    /// The vnode this mount covers; `None` for the root file system.
    pub covered: Option<Vnode>,
    refs: Mutex<FxHashMap<Ino, usize>>,
    /// Serialises every change of names on this mount: renames (NetBSD's VFS_RENAMELOCK), removals and
    /// creations, so rename's tree checks hold and every name removed is the one looked up. Take it
    /// with `namespace_lock()`.
    pub rename_lock: Mutex<()>,
    dead: AtomicBool,
    /// Device number of the block device mounted (u64::MAX for memory file systems).
    rdev: AtomicU64,
    /// Files open for writing on this mount (what a switch to read-only waits for).
    writers: AtomicUsize,
    /// Mounts whose covered directory is on this mount.
    covers: AtomicUsize,
    /// The kernel's name cache (shared by every mount; entries keyed by `fsid`).
    pub(crate) names: Arc<NameCache>,
}

impl Mount {
    // One field each, from the two places that make mounts (boot's root, mount(2)).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        fsid: u64,
        fs: Arc<dyn FileSystem>,
        fstype: &str,
        flags: u64,
        on: &str,
        from: &str,
        covered: Option<Vnode>,
        names: Arc<NameCache>,
    ) -> Arc<Mount> {
        Arc::new(Mount {
            fsid,
            fs,
            fstype: fstype.to_string(),
            flags: AtomicU64::new(flags),
            on: on.to_string(),
            from: from.to_string(),
            covered,
            refs: Mutex::new(FxHashMap::default()),
            rename_lock: Mutex::new(()),
            dead: AtomicBool::new(false),
            rdev: AtomicU64::new(u64::MAX),
            writers: AtomicUsize::new(0),
            covers: AtomicUsize::new(0),
            names,
        })
    }

    pub fn flags(&self) -> u64 {
        self.flags.load(Ordering::SeqCst)
    }

    pub(crate) fn set_flags(&self, flags: u64) {
        self.flags.store(flags, Ordering::SeqCst)
    }

    /// How many mounts sit on directories of this mount.
    pub fn covers(&self) -> usize {
        self.covers.load(Ordering::SeqCst)
    }

    pub(crate) fn set_covers(&self, delta: isize) {
        if delta >= 0 {
            self.covers.fetch_add(delta as usize, Ordering::SeqCst);
        } else {
            self.covers.fetch_sub((-delta) as usize, Ordering::SeqCst);
        }
    }

    /// Files open for writing on this mount.
    pub fn writers(&self) -> usize {
        self.writers.load(Ordering::SeqCst)
    }

    pub(crate) fn add_writer(&self) {
        self.writers.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn drop_writer(&self) {
        self.writers.fetch_sub(1, Ordering::SeqCst);
    }

    pub fn is_rdonly(&self) -> bool {
        self.flags() & MNT_RDONLY != 0
    }

    pub(crate) fn set_rdev(&self, rdev: u64) {
        self.rdev.store(rdev, Ordering::Relaxed);
    }

    /// The device number of the mounted block device, if the file system lives on one.
    pub fn rdev(&self) -> Option<u64> {
        match self.rdev.load(Ordering::Relaxed) {
            u64::MAX => None,
            r => Some(r),
        }
    }

    pub(crate) fn set_dead(&self) {
        self.dead.store(true, Ordering::Relaxed);
    }

    pub fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Relaxed)
    }

    /// The file system, or EBADF once the mount is gone (NetBSD's deadfs answers for revoked vnodes).
    pub fn live_fs(&self) -> KResult<&Arc<dyn FileSystem>> {
        if self.is_dead() {
            Err(Errno::EBADF)
        } else {
            Ok(&self.fs)
        }
    }

    /// Vnodes still referenced on this mount, other than `except` (its root, held by the mount table).
    pub(crate) fn busy_count(&self) -> usize {
        self.refs.lock().unwrap_or_else(|e| e.into_inner()).values().sum()
    }

    /// The namespace lock (`rename_lock`): held while a name is created, removed or renamed.
    pub fn namespace_lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.rename_lock.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Inodes some vnode reference is held on.
    pub(crate) fn referenced(&self) -> Vec<Ino> {
        self.lock_refs().keys().copied().collect()
    }

    pub fn root_vnode(self: &Arc<Mount>) -> Vnode {
        Vnode::new(self.clone(), self.fs.root())
    }

    fn lock_refs(&self) -> std::sync::MutexGuard<'_, FxHashMap<Ino, usize>> {
        self.refs.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl fmt::Debug for Mount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mount({} on {} type {})", self.from, self.on, self.fstype)
    }
}

/// A counted reference to an inode of a mount.
pub struct Vnode {
    pub mount: Arc<Mount>,
    pub ino: Ino,
}

impl Vnode {
    pub fn new(mount: Arc<Mount>, ino: Ino) -> Vnode {
        *mount.lock_refs().entry(ino).or_insert(0) += 1;
        Vnode { mount, ino }
    }

    /// vcache_get after VOP_LOOKUP/VOP_CREATE: runs `f` (which names an inode: a lookup, a create) and
    /// references its answer with the mount's vnode table locked all along. An inode a name leads to
    /// cannot then be freed (VOP_INACTIVE runs under the same lock) between `f` and the reference. `f`
    /// must not take or drop vnodes.
    pub fn get(mount: &Arc<Mount>, f: impl FnOnce(&Arc<dyn FileSystem>) -> KResult<Ino>) -> KResult<Vnode> {
        let fs = mount.live_fs()?;
        let mut refs = mount.lock_refs();
        let ino = f(fs)?;
        *refs.entry(ino).or_insert(0) += 1;
        drop(refs);
        Ok(Vnode { mount: mount.clone(), ino })
    }

    pub fn fs(&self) -> KResult<&Arc<dyn FileSystem>> {
        self.mount.live_fs()
    }

    /// VOP_LOOKUP of `name` in this directory through the name cache, referenced (see [`Vnode::get`]).
    pub fn lookup(&self, name: &[u8]) -> KResult<Vnode> {
        let m = &self.mount;
        Vnode::get(m, |fs| m.names.lookup(m.fsid, self.ino, name, || fs.lookup(self.ino, name)))
    }

    /// After a change of `name` in this directory: what the name cache knew of it goes.
    pub(crate) fn purge_name(&self, name: &[u8]) {
        self.mount.names.purge_name(self.mount.fsid, self.ino, name);
    }

    /// After this directory went away (removed, or replaced by a rename): every name cached in it goes.
    pub(crate) fn purge_dir(&self) {
        self.mount.names.purge_dir(self.mount.fsid, self.ino);
    }

    pub fn getattr(&self) -> KResult<Vattr> {
        self.fs()?.getattr(self.ino)
    }

    /// Whether this is the root of its mount (NetBSD's VV_ROOT).
    pub fn is_root(&self) -> bool {
        self.ino == self.mount.fs.root()
    }

    pub fn same(&self, other: &Vnode) -> bool {
        self.ino == other.ino && Arc::ptr_eq(&self.mount, &other.mount)
    }
}

impl Clone for Vnode {
    fn clone(&self) -> Vnode {
        Vnode::new(self.mount.clone(), self.ino)
    }
}

impl Drop for Vnode {
    /// vrele: the last reference to an inode calls VOP_INACTIVE. That happens with the mount's vnode
    /// table locked, so no new reference to the inode (a lookup racing with its removal) can appear
    /// between the count reaching zero and the file system freeing the node.
    fn drop(&mut self) {
        let mut refs = self.mount.lock_refs();
        match refs.get_mut(&self.ino) {
            Some(n) if *n > 1 => *n -= 1,
            Some(_) => {
                refs.remove(&self.ino);
                if !self.mount.is_dead() {
                    self.mount.fs.inactive(self.ino);
                }
            }
            None => {}
        }
    }
}

impl fmt::Debug for Vnode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Vnode({}:{})", self.mount.on, self.ino)
    }
}
