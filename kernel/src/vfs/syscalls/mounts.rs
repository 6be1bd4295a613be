//! File systems: statvfs, getvfsstat, mount and unmount.

use super::*;
use crate::errno::{Errno, KResult};
use crate::vfs::attach::{MountError, MountStage};

/// What a file system says while it mounts.
type Said = Arc<std::sync::Mutex<Vec<String>>>;
/// A mount's outcome, with why it failed.
type MountResult = Result<(), MountError>;
use crate::vfs::namei::Want;
use crate::vfs::types::*;
use crate::vfs::*;
use std::sync::Arc;

impl Proc {
    fn statvfs_mount(&self, m: &Mount) -> KResult<StatVfsFull> {
        Ok(StatVfsFull {
            fs: m.live_fs()?.statvfs()?,
            flag: m.flags(),
            fsid: m.fsid,
            owner: 0,
            fstypename: m.fstype.clone(),
            mntonname: m.on.clone(),
            mntfromname: m.from.clone(),
        })
    }

    /// statvfs(2): VFS_STATVFS of the mount holding `path`.
    pub fn statvfs(&self, path: &[u8]) -> KResult<StatVfsFull> {
        let s = self.snap();
        let nd = self.namei(&s, path, Want::Node { follow: true })?;
        let (vp, _) = nd.node()?;
        self.statvfs_mount(&vp.mount)
    }

    /// fstatvfs(2).
    pub fn fstatvfs(&self, fd: i32) -> KResult<StatVfsFull> {
        let f = self.file(fd)?;
        self.statvfs_mount(&f.vnode.mount)
    }

    /// getvfsstat(2): every mount, in mount order.
    pub fn getvfsstat(&self) -> KResult<Vec<StatVfsFull>> {
        self.kernel.mounts().iter().filter(|m| !m.is_dead()).map(|m| self.statvfs_mount(m)).collect()
    }

    /// mount(2): mount_domount — root only; `dir` must be a directory no file system is mounted on;
    /// file systems on disks take `spec`, the path of a block device node (EBUSY if already mounted).
    pub fn mount(&self, fstype: &str, dir: &[u8], flags: u64, spec: Option<&str>, opts: &MountOptions) -> KResult<()> {
        self.mount_why(fstype, dir, flags, spec, opts).map_err(|e| e.errno)
    }

    /// mount(2), saying why it failed: the errno, and what the file system logged while it tried ("no
    /// FFS superblock found …", "file system is not clean").
    pub fn mount_why(&self, ty: &str, dir: &[u8], flags: u64, spec: Option<&str>, o: &MountOptions) -> MountResult {
        let said = Said::default();
        self.domount(ty, dir, flags, spec, o, &said).map_err(|errno| {
            let lines = said.lock().unwrap_or_else(|e| e.into_inner());
            let reason = (!lines.is_empty()).then(|| lines.join("; "));
            MountError { errno, reason, stage: MountStage::Mount }
        })
    }

    /// mount_domount, keeping in `said` what the file system logs while it mounts.
    fn domount(&self, ty: &str, dir: &[u8], fl: u64, spec: Option<&str>, o: &MountOptions, said: &Said) -> KResult<()> {
        let (fstype, flags, opts) = (ty, fl, o);
        let s = self.snap();
        if !s.cred.is_root() {
            return Err(Errno::EPERM);
        }
        if flags & MNT_UPDATE != 0 {
            return self.mount_update(&s, dir, flags);
        }
        let ty = self.kernel.fstype(fstype).ok_or(Errno::ENODEV)?;
        let nd = self.namei(&s, dir, Want::Node { follow: true })?;
        let (vp, va) = nd.node()?;
        if va.vtype != VType::Dir {
            return Err(Errno::ENOTDIR);
        }
        if vp.is_root() {
            return Err(Errno::EBUSY);
        }
        let mut opts = opts.clone();
        opts.readonly |= flags & MNT_RDONLY != 0;
        opts.force |= flags & MNT_FORCE != 0;
        if flags & MNT_NOATIME != 0 {
            // File systems learn of noatime as an option; it cannot change with mount -u.
            opts.opts.push(("noatime".into(), String::new()));
        }
        let (dev, from) = if ty.needs_device {
            let spec = spec.ok_or(Errno::EINVAL)?;
            let snd = self.namei(&s, spec.as_bytes(), Want::Node { follow: true })?;
            let (_, sva) = snd.node()?;
            if sva.vtype != VType::Blk {
                return Err(Errno::ENOTBLK);
            }
            let dev = self.kernel.block_device(sva.rdev).ok_or(Errno::ENXIO)?;
            if self.kernel.device_is_mounted(sva.rdev) {
                return Err(Errno::EBUSY);
            }
            if !opts.readonly && dev.readonly() {
                return Err(Errno::EROFS);
            }
            (Some((dev, sva.rdev)), spec.to_string())
        } else {
            (None, spec.unwrap_or(fstype).to_string())
        };
        let on = String::from_utf8_lossy(&self.vnode_path(&s, vp)?).into_owned();
        let fsid = self.kernel.alloc_fsid();
        let ctx = MountCtx {
            hyper: self.kernel.hyper().clone(),
            log: {
                // What it says while mounting is kept for the error; the file system keeps this
                // logger, so later lines go to the message buffer alone (the Weak is gone by then).
                let (st, said) = (self.kernel.state.clone(), Arc::downgrade(said));
                let tag = format!("{fstype} {on}");
                Arc::new(move |m: &str| {
                    if let Some(said) = said.upgrade() {
                        said.lock().unwrap_or_else(|e| e.into_inner()).push(m.to_string());
                    }
                    st.log(&format!("{tag}: {m}"))
                })
            },
            dev: dev.as_ref().map(|(d, _)| d.clone()),
            kern: self.kernel.state.clone(),
            mnton: on.clone(),
        };
        let fs = (ty.mount)(&ctx, &opts).inspect_err(|e| {
            self.kernel.log(&format!("mount {fstype} {from} on {on} failed: {e}"));
        })?;
        let mut mflags = MNT_LOCAL | (flags & (MNT_NOEXEC | MNT_NOSUID | MNT_NODEV | MNT_NOATIME | MNT_SYNCHRONOUS));
        if opts.readonly {
            mflags |= MNT_RDONLY;
        }
        let m = Mount::new(fsid, fs, fstype, mflags, &on, &from, Some(vp.clone()), self.kernel.names.clone());
        if let Some((_, rdev)) = dev {
            m.set_rdev(rdev);
        }
        {
            let mut t = self.kernel.mounts.write().unwrap_or_else(|e| e.into_inner());
            let key = (vp.mount.fsid, vp.ino);
            // Still there? (rmdir and rename hold the table while they remove directories.)
            let gone = vp.getattr().map_or(true, |va| va.nlink == 0);
            if t.covered.contains_key(&key) || gone {
                drop(t);
                let _ = m.fs.unmount(true);
                return Err(if gone { Errno::ENOENT } else { Errno::EBUSY });
            }
            t.covered.insert(key, m.clone());
            vp.mount.set_covers(1);
            t.list.push(m);
        }
        self.kernel.log(&format!("mounted {fstype} {from} on {on}{}", if opts.readonly { " (read-only)" } else { "" }));
        Ok(())
    }

    /// mount(2) with MNT_UPDATE: mount_update — `dir` must be a mount's root (EINVAL); switches it
    /// between read-write and read-only (EBUSY while files are open for writing, unless MNT_FORCE;
    /// EROFS to go read-write on a read-only device) and replaces its noexec/nosuid/nodev/sync flags
    /// (noatime stays as mounted: the file system was told at mount time).
    fn mount_update(&self, s: &Snap, dir: &[u8], flags: u64) -> KResult<()> {
        let nd = self.namei(s, dir, Want::Node { follow: true })?;
        let (vp, _) = nd.node()?;
        if !vp.is_root() {
            return Err(Errno::EINVAL);
        }
        let m = vp.mount.clone();
        let fs = m.live_fs()?.clone();
        let ro = flags & MNT_RDONLY != 0;
        let changeable = MNT_NOEXEC | MNT_NOSUID | MNT_NODEV | MNT_SYNCHRONOUS;
        let keep = m.flags() & !(changeable | MNT_RDONLY);
        if ro && !m.is_rdonly() {
            // Read-only first, then look for writers: an open racing with us sees one or the other.
            m.set_flags(m.flags() | MNT_RDONLY);
            // vflush(WRITECLOSE): files open for writing, or removed but still open (freeing them
            // at the last close is a write), keep the mount read-write.
            let unlinked_open = || m.referenced().iter().any(|&ino| fs.getattr(ino).is_ok_and(|va| va.nlink == 0));
            if flags & MNT_FORCE == 0 && (m.writers() > 0 || unlinked_open()) {
                m.set_flags(m.flags() & !MNT_RDONLY);
                return Err(Errno::EBUSY);
            }
            if let Err(e) = fs.update(true) {
                m.set_flags(m.flags() & !MNT_RDONLY);
                return Err(e);
            }
        } else if !ro && m.is_rdonly() {
            if m.rdev().and_then(|r| self.kernel.block_device(r)).is_some_and(|d| d.readonly()) {
                return Err(Errno::EROFS);
            }
            fs.update(false)?;
        }
        m.set_flags(keep | (flags & changeable) | if ro { MNT_RDONLY } else { 0 });
        self.kernel.log(&format!("updated {} on {}{}", m.fstype, m.on, if ro { " (read-only)" } else { "" }));
        Ok(())
    }

    /// unmount(2): dounmount — root only; EINVAL if `dir` is no mount's root, EBUSY while files,
    /// directories or other mounts inside are in use (unless MNT_FORCE).
    pub fn unmount(&self, dir: &[u8], flags: u64) -> KResult<()> {
        let s = self.snap();
        if !s.cred.is_root() {
            return Err(Errno::EPERM);
        }
        let nd = self.namei(&s, dir, Want::Node { follow: true })?;
        let (vp, _) = nd.node()?;
        if !vp.is_root() || vp.mount.covered.is_none() {
            return Err(Errno::EINVAL);
        }
        let m = vp.mount.clone();
        drop(nd);
        drop(s);
        let force = flags & MNT_FORCE != 0;
        let mut t = self.kernel.mounts.write().unwrap_or_else(|e| e.into_inner());
        if !t.list.iter().any(|o| Arc::ptr_eq(o, &m)) {
            // Another unmount of it got the table first.
            return Err(Errno::EINVAL);
        }
        if t.list.iter().any(|o| o.covered.as_ref().is_some_and(|c| Arc::ptr_eq(&c.mount, &m))) {
            return Err(Errno::EBUSY);
        }
        if !force && m.busy_count() > 0 {
            return Err(Errno::EBUSY);
        }
        if let Err(e) = m.fs.unmount(force) {
            if !force {
                return Err(e);
            }
        }
        m.set_dead();
        t.list.retain(|o| !Arc::ptr_eq(o, &m));
        if let Some(c) = &m.covered {
            t.covered.remove(&(c.mount.fsid, c.ino));
            c.mount.set_covers(-1);
        }
        drop(t);
        m.names.purge_fs(m.fsid);
        self.kernel.log(&format!("unmounted {} from {}", m.from, m.on));
        Ok(())
    }
}
