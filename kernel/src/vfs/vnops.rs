//! Checked vnode operations (NetBSD's vfs_vnops.c and the checks around each VOP_* call): what each
//! syscall does once namei has found its vnodes — the permission
//! checks with the caller's credentials (genfs_can_access, sticky, chown/chmod/chtimes rules), EROFS,
//! EBUSY for mount points, rename's tree checks, the namespace lock — then the file system's op.
//!
//! The syscalls (syscalls.rs) call these after their path lookups; a server that is handed vnodes
//! rather than paths (the FUSE server, whose requests name inode numbers, as NetBSD's p2k hands puffs
//! requests to the vnode layer) calls them directly, so both check the same way.

use super::access::{self, vaccess, with_cred};
use super::types::*;
use super::{Kernel, Vnode};
use crate::errno::{Errno, KResult};
use std::sync::{Arc, MutexGuard};

/// One time argument of utimensat(2).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum UtimeSpec {
    Now,
    Omit,
    Set(Timespec),
}

/// A single name as a directory op takes it: ENOENT if empty, ENAMETOOLONG past NAME_MAX, EINVAL
/// with a slash or NUL in it.
pub fn check_name(name: &[u8]) -> KResult<()> {
    if name.is_empty() {
        return Err(Errno::ENOENT);
    }
    if name.len() > NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    if name.contains(&b'/') || name.contains(&0) {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// A name a file system is asked to enter in a directory (create, link, rename's target): EINVAL for an
/// empty one, `.`, `..`, or one with a slash or NUL; ENAMETOOLONG past NAME_MAX (FFS's MAXNAMLEN, tmpfs's
/// TMPFS_MAXNAMLEN: both 255).
pub fn check_entry_name(name: &[u8]) -> KResult<()> {
    if name.is_empty() || name == b"." || name == b".." || name.contains(&b'/') || name.contains(&0) {
        return Err(Errno::EINVAL);
    }
    if name.len() > NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    Ok(())
}

/// One step of namei: `name` in directory `dvp` (ENOTDIR, EACCES without search permission),
/// descending into a file system mounted on it.
pub fn lookup(k: &Kernel, cred: &Cred, dvp: &Vnode, name: &[u8]) -> KResult<(Vnode, Vattr)> {
    check_name(name)?;
    let dva = dvp.getattr()?;
    if dva.vtype != VType::Dir {
        return Err(Errno::ENOTDIR);
    }
    vaccess(dvp, &dva, cred, X_OK)?;
    let mut vp = dvp.lookup(name)?;
    while let Some(root) = k.covering_root(&vp.mount, vp.ino) {
        vp = root;
    }
    let va = vp.getattr()?;
    Ok((vp, va))
}

/// VOP_ACCESS (access(2) after namei): F_OK only needs the node; otherwise `vaccess`.
pub fn access(cred: &Cred, vp: &Vnode, va: &Vattr, mode: u32) -> KResult<()> {
    if mode & !(R_OK | W_OK | X_OK) != 0 {
        return Err(Errno::EINVAL);
    }
    if mode == F_OK {
        return Ok(());
    }
    vaccess(vp, va, cred, mode)
}

// ---------------------------------------------------------------- creating names

/// What a syscall that creates a name in `dvp` checks once the name is known to be free: write
/// permission on the directory (EROFS on a read-only mount), and that it was not removed meanwhile.
/// Returns the directory's attributes.
pub fn may_create(cred: &Cred, dvp: &Vnode) -> KResult<Vattr> {
    let dva = dvp.getattr()?;
    vaccess(dvp, &dva, cred, W_OK)?;
    if dva.nlink == 0 {
        // The directory was removed while we looked (or is the cwd that was removed).
        return Err(Errno::ENOENT);
    }
    Ok(dva)
}

/// What a new node is: its type, mode (umask already applied), device number, link target.
#[derive(Clone, Debug)]
pub struct MakeNode<'a> {
    pub vtype: VType,
    pub mode: u32,
    pub rdev: u64,
    /// The target of a symbolic link.
    pub target: &'a [u8],
}

/// VOP_CREATE/MKNOD/MKDIR/SYMLINK once `may_create` passed: owner the caller, group the directory's
/// (the BSD rule), under the namespace lock, the new node referenced as it is made (a racing unlink
/// cannot free it before we hold it).
pub fn make(cred: &Cred, dvp: &Vnode, dva: &Vattr, name: &[u8], n: &MakeNode<'_>) -> KResult<Vnode> {
    let attr = NewNode { vtype: n.vtype, mode: n.mode, uid: cred.uid, gid: dva.gid, rdev: n.rdev };
    let _ns = dvp.mount.namespace_lock();
    let vp = Vnode::get(&dvp.mount, |fs| {
        with_cred(cred, || match n.vtype {
            VType::Reg | VType::Sock => fs.create(dvp.ino, name, &attr),
            VType::Dir => fs.mkdir(dvp.ino, name, &attr),
            VType::Lnk => fs.symlink(dvp.ino, name, &attr, n.target),
            VType::Chr | VType::Blk | VType::Fifo => fs.mknod(dvp.ino, name, &attr),
        })
    });
    dvp.purge_name(name);
    vp
}

/// A whole create by a caller holding the directory (the FUSE server): EEXIST if the name is taken
/// (before EROFS, as NetBSD prefers), mknod of anything but a fifo or regular file root only (EPERM),
/// a symlink target up to MAXPATHLEN-1, then `may_create` and `make`.
pub fn create(k: &Kernel, cred: &Cred, dvp: &Vnode, name: &[u8], n: &MakeNode<'_>) -> KResult<(Vnode, Vattr)> {
    match lookup(k, cred, dvp, name) {
        Ok(_) => return Err(Errno::EEXIST),
        Err(Errno::ENOENT) => {}
        Err(e) => return Err(e),
    }
    if name == b"." || name == b".." {
        return Err(Errno::EEXIST);
    }
    if matches!(n.vtype, VType::Chr | VType::Blk) && !cred.is_root() {
        return Err(Errno::EPERM);
    }
    if n.vtype == VType::Lnk && (n.target.len() >= MAXPATHLEN || n.target.contains(&0)) {
        return Err(if n.target.contains(&0) { Errno::EINVAL } else { Errno::ENAMETOOLONG });
    }
    let dva = may_create(cred, dvp)?;
    let vp = make(cred, dvp, &dva, name, n)?;
    let va = vp.getattr()?;
    Ok((vp, va))
}

/// link(2) after namei found the source `vp` and a free name in `tdvp`: EPERM for a directory or an
/// immutable or append-only node, EXDEV across mounts, write permission on the directory.
pub fn link(cred: &Cred, vp: &Vnode, va: &Vattr, tdvp: &Vnode, tname: &[u8]) -> KResult<()> {
    if va.vtype == VType::Dir {
        return Err(Errno::EPERM);
    }
    if !Arc::ptr_eq(&tdvp.mount, &vp.mount) {
        return Err(Errno::EXDEV);
    }
    let tdva = tdvp.getattr()?;
    vaccess(tdvp, &tdva, cred, W_OK)?;
    if va.flags & (IMMUTABLE | APPEND) != 0 {
        return Err(Errno::EPERM);
    }
    let _ns = tdvp.mount.namespace_lock();
    let r = with_cred(cred, || tdvp.fs()?.link(vp.ino, tdvp.ino, tname));
    tdvp.purge_name(tname);
    r
}

// ---------------------------------------------------------------- removing names

/// What unlink and rmdir check once namei found `vp` as `name` in `dvp`: EROFS, EBUSY for the root of
/// a mount, write permission on the directory, the sticky bit, immutable and append-only flags.
pub fn may_remove(cred: &Cred, dvp: &Vnode, vp: &Vnode, va: &Vattr) -> KResult<Vattr> {
    if dvp.mount.is_rdonly() {
        return Err(Errno::EROFS);
    }
    if vp.is_root() && !Arc::ptr_eq(&vp.mount, &dvp.mount) {
        return Err(Errno::EBUSY);
    }
    let dva = dvp.getattr()?;
    vaccess(dvp, &dva, cred, W_OK)?;
    access::can_sticky(&dva, va, cred)?;
    if va.flags & (IMMUTABLE | APPEND) != 0 || dva.flags & APPEND != 0 {
        return Err(Errno::EPERM);
    }
    Ok(dva)
}

/// Takes the mount's namespace lock and checks `name` in `dvp` still names `vp`: `None` if it
/// changed since the lookup (the caller looks up again). Every change of names (create, link,
/// unlink, rmdir, rename) happens under this lock, and every removal with a reference held on the
/// node it removes, so a node's last link never goes while no vnode holds it (which would leave
/// it to nobody's VOP_INACTIVE).
pub fn still_names<'a>(dvp: &'a Vnode, name: &[u8], vp: &Vnode) -> KResult<Option<MutexGuard<'a, ()>>> {
    let g = dvp.mount.namespace_lock();
    match dvp.fs()?.lookup(dvp.ino, name) {
        Ok(ino) if ino == vp.ino && Arc::ptr_eq(&vp.mount, &dvp.mount) => Ok(Some(g)),
        Err(e) if e != Errno::ENOENT => Err(e),
        _ => Ok(None),
    }
}

/// One attempt at VOP_REMOVE (`dir` false) or VOP_RMDIR of `name` in `dvp`, which namei found to be
/// `vp`, after `may_remove` and the type checks: `None` when the name changed under us (look up again).
/// An rmdir of a directory something is mounted on is EBUSY.
pub fn remove_once(k: &Kernel, dvp: &Vnode, name: &[u8], vp: Vnode, dir: bool) -> KResult<Option<()>> {
    let fs = dvp.fs()?.clone();
    let Some(_renamelock) = still_names(dvp, name, &vp)? else { return Ok(None) };
    if !dir {
        // `vp` stays referenced across the removal so its inactive call comes after, and frees it.
        let r = fs.remove(dvp.ino, name);
        dvp.purge_name(name);
        drop(vp);
        return r.map(Some);
    }
    // The mount table stays locked from the mount-point check to the removal, so no mount can land
    // on the directory in between (mount checks the directory still exists).
    let t = k.mounts.read().unwrap_or_else(|e| e.into_inner());
    if vp.is_root() || t.covered.contains_key(&(vp.mount.fsid, vp.ino)) {
        return Err(Errno::EBUSY);
    }
    let r = fs.rmdir(dvp.ino, name);
    dvp.purge_name(name);
    if r.is_ok() {
        vp.purge_dir();
    }
    drop(t);
    drop(vp);
    r.map(Some)
}

/// unlink(2) (`dir` false) or rmdir(2) of `name` in `dvp`, for a caller holding the directory:
/// EINVAL for ".", ENOTEMPTY for ".." (rmdir), EPERM to unlink a directory, ENOTDIR to rmdir a
/// non-directory, then `may_remove` and `remove_once`, looking up again while names change.
pub fn remove(k: &Kernel, cred: &Cred, dvp: &Vnode, name: &[u8], dir: bool) -> KResult<()> {
    if name == b"." {
        return Err(Errno::EINVAL);
    }
    if name == b".." {
        return Err(if dir { Errno::ENOTEMPTY } else { Errno::EINVAL });
    }
    for _ in 0..10_000 {
        let (vp, va) = lookup(k, cred, dvp, name)?;
        may_remove(cred, dvp, &vp, &va)?;
        match (dir, va.vtype == VType::Dir) {
            (false, true) => return Err(Errno::EPERM),
            (true, false) => return Err(Errno::ENOTDIR),
            _ => {}
        }
        if let Some(()) = remove_once(k, dvp, name, vp, dir)? {
            return Ok(());
        }
    }
    Err(Errno::EAGAIN)
}

// ---------------------------------------------------------------- rename

/// One side of a rename as namei found it: the directory, the last name, and the node if it exists.
pub struct RenameSide<'a> {
    pub dvp: &'a Vnode,
    pub name: &'a [u8],
    pub node: Option<(&'a Vnode, &'a Vattr)>,
}

/// One attempt at rename(2) once both names were looked up (do_sys_renameat + genfs_rename's checks):
/// EXDEV across mounts, EBUSY for mount points, EROFS, type compatibility, no directory into its own
/// subtree, write permission on both directories (and on a directory moved to another parent), the
/// sticky bit, flags. With `noreplace` (renameat2's RENAME_NOREPLACE) an existing target is EEXIST,
/// checked again under the namespace lock. `Ok(None)` when a name changed between the lookups and
/// the lock: the caller looks both up again.
pub fn rename_once(
    k: &Kernel,
    cred: &Cred,
    from: &RenameSide<'_>,
    to: &RenameSide<'_>,
    noreplace: bool,
) -> KResult<Option<()>> {
    let (fdvp, tdvp) = (from.dvp, to.dvp);
    let (fvp, fva) = from.node.ok_or(Errno::ENOENT)?;
    if noreplace && to.node.is_some() {
        return Err(Errno::EEXIST);
    }
    if !Arc::ptr_eq(&fdvp.mount, &tdvp.mount) {
        return Err(Errno::EXDEV);
    }
    if !Arc::ptr_eq(&fvp.mount, &fdvp.mount) {
        return Err(Errno::EBUSY);
    }
    if to.node.is_some_and(|(tvp, _)| !Arc::ptr_eq(&tvp.mount, &tdvp.mount)) {
        return Err(Errno::EBUSY);
    }
    if fdvp.mount.is_rdonly() {
        return Err(Errno::EROFS);
    }
    if let Some((_, tva)) = to.node {
        if fva.vtype == VType::Dir && tva.vtype != VType::Dir {
            return Err(Errno::ENOTDIR);
        }
        if fva.vtype != VType::Dir && tva.vtype == VType::Dir {
            return Err(Errno::EISDIR);
        }
    }
    if fvp.same(tdvp) {
        return Err(Errno::EINVAL);
    }
    let fs = fdvp.fs()?.clone();
    let _guard = fdvp.mount.namespace_lock();
    // Mount points are neither moved nor replaced; the table stays locked until the rename is
    // done so no mount lands on either in between.
    let mounts = k.mounts.read().unwrap_or_else(|e| e.into_inner());
    let covered = |vp: &Vnode| mounts.covered.contains_key(&(vp.mount.fsid, vp.ino));
    if covered(fvp) || to.node.is_some_and(|(tvp, _)| covered(tvp)) {
        return Err(Errno::EBUSY);
    }
    // Under the rename lock the tree holds still (for renames); check our names still are what
    // we looked up.
    match fs.lookup(fdvp.ino, from.name) {
        Ok(ino) if ino == fvp.ino => {}
        Err(e) if e != Errno::ENOENT => return Err(e),
        _ => return Ok(None),
    }
    match (fs.lookup(tdvp.ino, to.name), to.node) {
        (Ok(ino), Some((tvp, _))) if ino == tvp.ino => {}
        (Err(Errno::ENOENT), None) => {}
        (Err(e), _) if e != Errno::ENOENT => return Err(e),
        _ => return Ok(None),
    }
    let fdva = fdvp.getattr()?;
    let tdva = tdvp.getattr()?;
    if to.node.is_some_and(|(tvp, _)| tvp.ino == fvp.ino) {
        // Two names of one file. The same name: nothing to do. Otherwise NetBSD's rename(2)
        // (do_sys_renameat with retain 0, the 4.4BSD way) removes the source name.
        if fdvp.same(tdvp) && from.name == to.name || fva.vtype == VType::Dir {
            return Ok(Some(()));
        }
        vaccess(fdvp, &fdva, cred, W_OK)?;
        access::can_sticky(&fdva, fva, cred)?;
        if fva.flags & (IMMUTABLE | APPEND) != 0 || fdva.flags & APPEND != 0 {
            return Err(Errno::EPERM);
        }
        let r = fs.remove(fdvp.ino, from.name);
        fdvp.purge_name(from.name);
        r?;
        return Ok(Some(()));
    }
    if fva.vtype == VType::Dir && !fdvp.same(tdvp) {
        // No directory into its own subtree: walk up from the target directory.
        let mut d = tdvp.clone();
        loop {
            if d.ino == fvp.ino {
                return Err(Errno::EINVAL);
            }
            if d.is_root() {
                break;
            }
            let up = Vnode::get(&d.mount, |fs| fs.lookup(d.ino, b".."))?;
            if up.ino == d.ino {
                break;
            }
            d = up;
        }
    }
    vaccess(fdvp, &fdva, cred, W_OK)?;
    vaccess(tdvp, &tdva, cred, W_OK)?;
    access::can_sticky(&fdva, fva, cred)?;
    if let Some((_, tva)) = to.node {
        access::can_sticky(&tdva, tva, cred)?;
        if tva.flags & (IMMUTABLE | APPEND) != 0 {
            return Err(Errno::EPERM);
        }
    }
    if fva.flags & (IMMUTABLE | APPEND) != 0 || fdva.flags & APPEND != 0 {
        return Err(Errno::EPERM);
    }
    if fva.vtype == VType::Dir && !fdvp.same(tdvp) {
        // Its ".." changes: that is a write to the directory moved.
        vaccess(fvp, fva, cred, W_OK)?;
    }
    // The replaced target stays referenced (by the caller) until the rename is done, so it is freed
    // after.
    let r = with_cred(cred, || fs.rename(fdvp.ino, from.name, tdvp.ino, to.name));
    fdvp.purge_name(from.name);
    tdvp.purge_name(to.name);
    if let (Ok(()), Some((tvp, tva))) = (&r, to.node) {
        if tva.vtype == VType::Dir {
            tvp.purge_dir();
        }
    }
    r.map(Some)
}

/// rename of `fname` in `fdvp` to `tname` in `tdvp` for a caller holding both directories: EINVAL for
/// "." or ".." as the source or ".." as the target, EISDIR for "." as the target, then lookups and
/// `rename_once`, again while names change under us.
pub fn rename(
    k: &Kernel,
    cred: &Cred,
    fdvp: &Vnode,
    fname: &[u8],
    tdvp: &Vnode,
    tname: &[u8],
    noreplace: bool,
) -> KResult<()> {
    if fname == b"." || fname == b".." || tname == b".." {
        return Err(Errno::EINVAL);
    }
    if tname == b"." {
        return Err(Errno::EISDIR);
    }
    for _ in 0..10_000 {
        let f = lookup(k, cred, fdvp, fname)?;
        let t = match lookup(k, cred, tdvp, tname) {
            Ok(t) => Some(t),
            Err(Errno::ENOENT) => None,
            Err(e) => return Err(e),
        };
        let from = RenameSide { dvp: fdvp, name: fname, node: Some((&f.0, &f.1)) };
        let to = RenameSide { dvp: tdvp, name: tname, node: t.as_ref().map(|(v, a)| (v, a)) };
        if let Some(()) = rename_once(k, cred, &from, &to, noreplace)? {
            return Ok(());
        }
        std::thread::yield_now();
    }
    k.log("rename: names kept changing under us; giving up");
    Err(Errno::EAGAIN)
}

// ---------------------------------------------------------------- open, read, write

/// What open(2) checks of an existing node it did not create: EFTYPE for a symbolic link, EOPNOTSUPP
/// for a socket, ENOTDIR with O_DIRECTORY, EFTYPE with O_REGULAR, EISDIR to write a directory, read
/// and write permission as the access mode asks (EROFS), EPERM to write an append-only file without
/// O_APPEND (or with O_TRUNC).
pub fn may_open(cred: &Cred, vp: &Vnode, va: &Vattr, flags: u32, created: bool) -> KResult<()> {
    if va.vtype == VType::Lnk {
        return Err(Errno::EFTYPE);
    }
    if va.vtype == VType::Sock {
        return Err(Errno::EOPNOTSUPP);
    }
    if flags & O_DIRECTORY != 0 && va.vtype != VType::Dir {
        return Err(Errno::ENOTDIR);
    }
    if flags & O_REGULAR != 0 && va.vtype != VType::Reg {
        return Err(Errno::EFTYPE);
    }
    if created {
        return Ok(());
    }
    let acc = flags & O_ACCMODE;
    let wants_write = acc != O_RDONLY || flags & O_TRUNC != 0;
    if va.vtype == VType::Dir && wants_write {
        return Err(Errno::EISDIR);
    }
    let mut want = 0;
    if acc != O_WRONLY {
        want |= R_OK;
    }
    if wants_write {
        want |= W_OK;
    }
    vaccess(vp, va, cred, want)?;
    if wants_write && va.flags & APPEND != 0 && (flags & O_APPEND == 0 || flags & O_TRUNC != 0) {
        return Err(Errno::EPERM);
    }
    Ok(())
}

/// vn_open's O_TRUNC: VOP_SETATTR(va_size = 0). POSIX: a successful O_TRUNC of an existing file marks
/// mtime and ctime even when it was empty already (t_mtime_otrunc, PR kern/51762).
pub fn open_truncate(k: &Kernel, vp: &Vnode) -> KResult<()> {
    let now = k.hyper().wall_clock();
    vp.fs()?.setattr(vp.ino, &SetAttr { size: Some(0), mtime: Some(now), ..Default::default() })
}

/// VOP_READ of a vnode (EISDIR for a directory).
pub fn read(vp: &Vnode, vtype: VType, off: u64, buf: &mut [u8]) -> KResult<usize> {
    if vtype == VType::Dir {
        return Err(Errno::EISDIR);
    }
    vp.fs()?.read(vp.ino, off, buf)
}

/// VOP_WRITE of a vnode: EROFS on a read-only mount, EFBIG past the largest offset. Whose write it is
/// (may it fill FFS's minfree reserve?) comes from `with_cred` around the call: write(2) runs it with
/// the process's credentials; a call without one is no one's (not root's).
pub fn write(vp: &Vnode, off: u64, buf: &[u8], append: bool) -> KResult<(usize, u64)> {
    if vp.mount.is_rdonly() {
        return Err(Errno::EROFS);
    }
    if off.checked_add(buf.len() as u64).is_none_or(|e| e > i64::MAX as u64) {
        return Err(Errno::EFBIG);
    }
    vp.fs()?.write(vp.ino, off, buf, append)
}

// ---------------------------------------------------------------- attributes

/// Common part of every attribute change: EROFS on a read-only mount, EPERM on an immutable or
/// append-only node (except to change flags), then the file system's setattr.
pub fn setattr_checked(vp: &Vnode, va: &Vattr, sa: &SetAttr) -> KResult<()> {
    if vp.mount.is_rdonly() {
        return Err(Errno::EROFS);
    }
    if sa.flags.is_none() && va.flags & (IMMUTABLE | APPEND) != 0 {
        return Err(Errno::EPERM);
    }
    vp.fs()?.setattr(vp.ino, sa)
}

/// chmod(2) after namei: change_mode → ufs_chmod (genfs_can_chmod rules).
pub fn chmod(cred: &Cred, vp: &Vnode, va: &Vattr, mode: u32) -> KResult<()> {
    let mode = mode & ALLPERMS;
    if vp.mount.is_rdonly() {
        return Err(Errno::EROFS);
    }
    access::can_chmod(va, cred, mode)?;
    setattr_checked(vp, va, &SetAttr { mode: Some(mode), ..Default::default() })
}

/// chown(2) after namei: change_owner → ufs_chown (genfs_can_chown rules; u32::MAX, the C -1, leaves
/// a field unchanged; for anyone but root a new owner drops set-user-id, a new group set-group-id).
pub fn chown(cred: &Cred, vp: &Vnode, va: &Vattr, uid: u32, gid: u32) -> KResult<()> {
    if uid == u32::MAX && gid == u32::MAX {
        // Both VNOVAL: VOP_SETATTR is asked to change nothing, and changes nothing.
        return Ok(());
    }
    let nuid = if uid == u32::MAX { va.uid } else { uid };
    let ngid = if gid == u32::MAX { va.gid } else { gid };
    if vp.mount.is_rdonly() {
        return Err(Errno::EROFS);
    }
    access::can_chown(va, cred, nuid, ngid)?;
    let mut sa = SetAttr { uid: Some(nuid), gid: Some(ngid), ..Default::default() };
    if !cred.is_root() {
        let mut mode = va.mode;
        if nuid != va.uid {
            mode &= !S_ISUID;
        }
        if ngid != va.gid {
            mode &= !S_ISGID;
        }
        if mode != va.mode {
            sa.mode = Some(mode);
        }
    }
    setattr_checked(vp, va, &sa)
}

/// chflags(2) after namei: change_flags → ufs_setattr flags (genfs_can_chflags at securelevel 0).
pub fn chflags(cred: &Cred, vp: &Vnode, va: &Vattr, flags: u32) -> KResult<()> {
    if vp.mount.is_rdonly() {
        return Err(Errno::EROFS);
    }
    let changing_sysflags = (flags ^ va.flags) & SF_SETTABLE != 0;
    access::can_chflags(va, cred, changing_sysflags)?;
    // ufs_setattr/tmpfs_chflags: without a change of system flags, only the user flags are set
    // and the system flags stay as they are.
    let flags = if changing_sysflags { flags } else { (va.flags & SF_SETTABLE) | (flags & UF_SETTABLE) };
    setattr_checked(vp, va, &SetAttr { flags: Some(flags), ..Default::default() })
}

/// utimensat(2) after namei: do_sys_utimensat (None = both now; UTIME_NOW, UTIME_OMIT; EINVAL for
/// nanoseconds past a second; genfs_can_chtimes: anyone with write access may set both to now).
pub fn utimens(k: &Kernel, cred: &Cred, vp: &Vnode, va: &Vattr, times: Option<[UtimeSpec; 2]>) -> KResult<()> {
    let now = k.hyper().wall_clock();
    let times = times.unwrap_or([UtimeSpec::Now, UtimeSpec::Now]);
    for t in times {
        if let UtimeSpec::Set(ts) = t {
            if ts.nsec >= 1_000_000_000 {
                return Err(Errno::EINVAL);
            }
        }
    }
    let resolve = |t: UtimeSpec| match t {
        UtimeSpec::Now => Some(now),
        UtimeSpec::Omit => None,
        UtimeSpec::Set(ts) => Some(ts),
    };
    let sa = SetAttr { atime: resolve(times[0]), mtime: resolve(times[1]), ..Default::default() };
    if sa.atime.is_none() && sa.mtime.is_none() {
        return Ok(());
    }
    if vp.mount.is_rdonly() {
        return Err(Errno::EROFS);
    }
    // do_sys_utimens: VA_UTIMES_NULL for a NULL times pointer or both UTIME_NOW.
    let utimes_null = times.iter().all(|t| matches!(t, UtimeSpec::Now));
    access::can_chtimes(vp, va, cred, utimes_null)?;
    setattr_checked(vp, va, &sa)
}

/// ftruncate(2)'s part once the file is known writable, and truncate(2)'s after its W_OK check:
/// EINVAL for a negative length or a node neither file nor directory, EISDIR, EROFS, EPERM for an
/// immutable or append-only file.
pub fn truncate(vp: &Vnode, va: &Vattr, len: i64) -> KResult<()> {
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    match va.vtype {
        VType::Dir => return Err(Errno::EISDIR),
        VType::Reg => {}
        _ => return Err(Errno::EINVAL),
    }
    if vp.mount.is_rdonly() {
        return Err(Errno::EROFS);
    }
    if va.flags & (IMMUTABLE | APPEND) != 0 {
        return Err(Errno::EPERM);
    }
    vp.fs()?.truncate(vp.ino, len as u64)
}

/// truncate(2) by path after namei: write permission, then `truncate`.
pub fn truncate_path(cred: &Cred, vp: &Vnode, va: &Vattr, len: i64) -> KResult<()> {
    if va.vtype == VType::Dir {
        return Err(Errno::EISDIR);
    }
    vaccess(vp, va, cred, W_OK)?;
    with_cred(cred, || truncate(vp, va, len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hyper::DeterministicHypervisor;

    fn setup() -> (Arc<Kernel>, Vnode) {
        let k = Kernel::boot_default(Arc::new(DeterministicHypervisor::default_for_tests())).unwrap();
        let p = k.new_proc(Cred::root());
        p.mkdir(b"/t", 0o777).unwrap();
        p.mount("tmpfs", b"/t", 0, None, &Default::default()).unwrap();
        let m = k.mounts().into_iter().find(|m| m.on == "/t").unwrap();
        let root = m.root_vnode();
        (k, root)
    }

    fn reg(mode: u32) -> MakeNode<'static> {
        MakeNode { vtype: VType::Reg, mode, rdev: 0, target: b"" }
    }

    #[test]
    fn creates_checks_and_removes_by_vnode() {
        let (k, root) = setup();
        let rootc = Cred::root();
        let user = Cred { uid: 1000, gid: 1000, groups: vec![] };
        chmod(&rootc, &root, &root.getattr().unwrap(), 0o755).unwrap();
        assert_eq!(create(&k, &user, &root, b"f", &reg(0o644)).unwrap_err(), Errno::EACCES);
        let (d, _) =
            create(&k, &rootc, &root, b"d", &MakeNode { vtype: VType::Dir, mode: 0o1777, rdev: 0, target: b"" })
                .unwrap();
        assert_eq!(create(&k, &rootc, &root, b"d", &reg(0o644)).unwrap_err(), Errno::EEXIST);
        let (f, fva) = create(&k, &user, &d, b"f", &reg(0o600)).unwrap();
        assert_eq!((fva.uid, fva.gid, fva.mode), (1000, 0, 0o600));
        let other = Cred { uid: 1001, gid: 1001, groups: vec![] };
        assert_eq!(may_open(&other, &f, &fva, O_RDONLY, false), Err(Errno::EACCES));
        assert!(may_open(&user, &f, &fva, O_RDWR, false).is_ok());
        // Sticky directory: another user may not remove it; chmod by a non-owner is EPERM.
        assert_eq!(remove(&k, &other, &d, b"f", false), Err(Errno::EPERM));
        assert_eq!(chmod(&other, &f, &fva, 0o777), Err(Errno::EPERM));
        assert_eq!(remove(&k, &user, &d, b"f", true), Err(Errno::ENOTDIR));
        assert_eq!(
            create(&k, &user, &d, b"dev", &MakeNode { vtype: VType::Chr, mode: 0o600, rdev: 1, target: b"" })
                .unwrap_err(),
            Errno::EPERM
        );
        // rename: RENAME_NOREPLACE, then a plain rename replacing the target.
        create(&k, &user, &d, b"g", &reg(0o600)).unwrap();
        assert_eq!(rename(&k, &user, &d, b"f", &d, b"g", true), Err(Errno::EEXIST));
        rename(&k, &user, &d, b"f", &d, b"g", false).unwrap();
        assert_eq!(lookup(&k, &user, &d, b"f").unwrap_err(), Errno::ENOENT);
        assert_eq!(rename(&k, &rootc, &root, b"d", &d, b"x", false), Err(Errno::EINVAL));
        // Still open after the last name goes: readable through the vnode held.
        let (g, _) = lookup(&k, &user, &d, b"g").unwrap();
        write(&g, 0, b"hello", false).unwrap();
        remove(&k, &user, &d, b"g", false).unwrap();
        let mut buf = [0u8; 5];
        assert_eq!(read(&g, VType::Reg, 0, &mut buf).unwrap(), 5);
        assert_eq!(&buf, b"hello");
        assert_eq!(remove(&k, &rootc, &root, b"d", false), Err(Errno::EPERM));
        remove(&k, &rootc, &root, b"d", true).unwrap();
        assert_eq!(check_name(&[b'x'; 256]), Err(Errno::ENAMETOOLONG));
    }
}
