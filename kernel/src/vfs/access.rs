//! Permission checks, as NetBSD's genfs_can_* functions and kauth(9) make them.

use super::types::*;
use super::Vnode;
use crate::errno::{Errno, KResult};
use std::cell::Cell;

thread_local! {
    /// The uid of the call under way on this thread, while `with_cred` runs it.
    static CALLER: Cell<Option<u32>> = const { Cell::new(None) };
}

/// Runs `f` as a call made with `cred`: NetBSD's curlwp credentials (kauth_cred_get()), for the
/// decisions a file system makes about who asks where the vnode interface hands it no credentials
/// (FFS's minfree reserve, `may_use_reserved_space`). The VFS runs its calls into a file system
/// that may allocate this way (write, truncate, create, link, rename); a caller of `vnops` without a
/// credential of its own (write, truncate) can do the same. Calls nest; the outer caller comes back
/// after.
pub fn with_cred<R>(cred: &Cred, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<u32>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CALLER.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(CALLER.with(|c| c.replace(Some(cred.uid))));
    f()
}

/// kauth_authorize_system(KAUTH_SYSTEM_FS_RESERVEDSPACE) for the call under way: root may allocate
/// into the space a file system keeps in reserve, no one else (nor a call made with no credentials).
pub fn may_use_reserved_space() -> bool {
    CALLER.with(|c| c.get()) == Some(0)
}

/// kauth's KAUTH_VNODE_RETAIN_SUID and RETAIN_SGID for the write under way (ffs_write, tmpfs_write):
/// root's write keeps a file's set-user-ID and set-group-ID bits, anyone else's clears them; a write
/// with no credentials (a VOP_WRITE without a_cred) changes nothing.
fn write_keeps_setid() -> bool {
    CALLER.with(|c| c.get()).is_none_or(|uid| uid == 0)
}

/// The mode after a write of `n` bytes by the caller under way: without its set-ID bits when the
/// writer may not keep them (ffs_write and tmpfs_write clear ISUID and ISGID once data was written).
pub fn mode_after_write(mode: u32, n: usize) -> u32 {
    if n > 0 && mode & (S_ISUID | S_ISGID) != 0 && !write_keeps_setid() {
        mode & !(S_ISUID | S_ISGID)
    } else {
        mode
    }
}

/// genfs_can_access: may `cred` have `want` (R_OK|W_OK|X_OK) on a node with these attributes?
/// Root passes everything except executing a non-directory with no execute bit at all.
pub fn can_access(va: &Vattr, cred: &Cred, want: u32) -> KResult<()> {
    if cred.is_root() {
        if want & X_OK != 0 && va.vtype != VType::Dir && va.mode & 0o111 == 0 {
            return Err(Errno::EACCES);
        }
        return Ok(());
    }
    let shift = if cred.uid == va.uid {
        6
    } else if cred.in_group(va.gid) {
        3
    } else {
        0
    };
    let have = (va.mode >> shift) & 7;
    if want & !have & 7 != 0 {
        return Err(Errno::EACCES);
    }
    Ok(())
}

/// VOP_ACCESS as ufs_access does it: EROFS for writing a file, directory or link on a read-only
/// mount, EPERM for writing an immutable node, then the permission bits.
pub fn vaccess(vp: &Vnode, va: &Vattr, cred: &Cred, want: u32) -> KResult<()> {
    if want & W_OK != 0 {
        if matches!(va.vtype, VType::Reg | VType::Dir | VType::Lnk) && vp.mount.is_rdonly() {
            return Err(Errno::EROFS);
        }
        if va.flags & IMMUTABLE != 0 {
            return Err(Errno::EPERM);
        }
    }
    can_access(va, cred, want)
}

/// genfs_can_sticky: in a sticky directory only root, the directory's owner or the file's owner may
/// remove or rename the file.
pub fn can_sticky(dir: &Vattr, file: &Vattr, cred: &Cred) -> KResult<()> {
    if dir.mode & S_ISTXT != 0 && !cred.is_root() && cred.uid != dir.uid && cred.uid != file.uid {
        return Err(Errno::EPERM);
    }
    Ok(())
}

/// genfs_can_chmod: the owner (or root) may change the mode; a non-root user may not set the sticky bit
/// on a non-directory (EFTYPE) nor set-group-id for a group they are not in.
pub fn can_chmod(va: &Vattr, cred: &Cred, new_mode: u32) -> KResult<()> {
    if cred.is_root() {
        return Ok(());
    }
    if cred.uid != va.uid {
        return Err(Errno::EPERM);
    }
    if va.vtype != VType::Dir && new_mode & S_ISTXT != 0 {
        return Err(Errno::EFTYPE);
    }
    if !cred.in_group(va.gid) && new_mode & S_ISGID != 0 {
        return Err(Errno::EPERM);
    }
    Ok(())
}

/// genfs_can_chown: a non-root owner may only change the group, to one of their own groups.
pub fn can_chown(va: &Vattr, cred: &Cred, uid: u32, gid: u32) -> KResult<()> {
    if cred.is_root() {
        return Ok(());
    }
    if cred.uid != va.uid || uid != va.uid || (gid != va.gid && !cred.in_group(gid)) {
        return Err(Errno::EPERM);
    }
    Ok(())
}

/// genfs_can_chtimes: the owner or root may set any time; anyone with write access may set both times
/// to "now" (`utimes_null`, NetBSD's VA_UTIMES_NULL). Refused: EACCES for "now", EPERM otherwise.
pub fn can_chtimes(vp: &Vnode, va: &Vattr, cred: &Cred, utimes_null: bool) -> KResult<()> {
    if cred.is_root() || cred.uid == va.uid {
        return Ok(());
    }
    if utimes_null {
        return vaccess(vp, va, cred, W_OK).map_err(|_| Errno::EACCES);
    }
    Err(Errno::EPERM)
}

/// genfs_can_chflags (securelevel 0, as a rump kernel runs): root may change any flag; another user
/// must own the file, may not change system flags (SF_*), and may not change a device's flags.
pub fn can_chflags(va: &Vattr, cred: &Cred, changing_sysflags: bool) -> KResult<()> {
    if cred.is_root() {
        return Ok(());
    }
    if cred.uid != va.uid || changing_sysflags || matches!(va.vtype, VType::Chr | VType::Blk) {
        return Err(Errno::EPERM);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn va(mode: u32, uid: u32, gid: u32, vtype: VType) -> Vattr {
        Vattr {
            vtype,
            mode,
            nlink: 1,
            uid,
            gid,
            ino: 3,
            size: 0,
            bytes: 0,
            blksize: 512,
            atime: Timespec::default(),
            mtime: Timespec::default(),
            ctime: Timespec::default(),
            birthtime: Timespec::default(),
            rdev: 0,
            flags: 0,
            gen: 0,
        }
    }

    #[test]
    fn owner_group_other() {
        let f = va(0o640, 100, 20, VType::Reg);
        let owner = Cred { uid: 100, gid: 1, groups: vec![] };
        let member = Cred { uid: 101, gid: 5, groups: vec![20] };
        let other = Cred { uid: 102, gid: 5, groups: vec![] };
        assert!(can_access(&f, &owner, R_OK | W_OK).is_ok());
        assert_eq!(can_access(&f, &owner, X_OK), Err(Errno::EACCES));
        assert!(can_access(&f, &member, R_OK).is_ok());
        assert_eq!(can_access(&f, &member, W_OK), Err(Errno::EACCES));
        assert_eq!(can_access(&f, &other, R_OK), Err(Errno::EACCES));
        // Owner bits decide for the owner even when group bits would allow more.
        let g = va(0o070, 100, 20, VType::Reg);
        let owner_in_group = Cred { uid: 100, gid: 20, groups: vec![] };
        assert_eq!(can_access(&g, &owner_in_group, R_OK), Err(Errno::EACCES));
    }

    #[test]
    fn root_bypass_but_not_exec() {
        let f = va(0o000, 100, 20, VType::Reg);
        assert!(can_access(&f, &Cred::root(), R_OK | W_OK).is_ok());
        assert_eq!(can_access(&f, &Cred::root(), X_OK), Err(Errno::EACCES));
        assert!(can_access(&va(0o001, 1, 1, VType::Reg), &Cred::root(), X_OK).is_ok());
        assert!(can_access(&va(0o000, 1, 1, VType::Dir), &Cred::root(), X_OK).is_ok());
    }

    #[test]
    fn sticky_and_chmod_rules() {
        let dir = va(0o1777, 0, 0, VType::Dir);
        let file = va(0o644, 100, 100, VType::Reg);
        assert!(can_sticky(&dir, &file, &Cred { uid: 100, gid: 100, groups: vec![] }).is_ok());
        assert_eq!(can_sticky(&dir, &file, &Cred { uid: 101, gid: 100, groups: vec![] }), Err(Errno::EPERM));
        let u = Cred { uid: 100, gid: 100, groups: vec![] };
        assert_eq!(can_chmod(&file, &u, 0o1644), Err(Errno::EFTYPE));
        assert!(can_chmod(&file, &u, 0o2644).is_ok());
        assert_eq!(can_chmod(&va(0o644, 100, 7, VType::Reg), &u, 0o2644), Err(Errno::EPERM));
        assert_eq!(can_chown(&file, &u, 0, 100), Err(Errno::EPERM));
        assert!(can_chown(&file, &u, 100, 100).is_ok());
        assert_eq!(can_chown(&file, &u, 100, 5), Err(Errno::EPERM));
    }

    #[test]
    fn reserved_space_is_for_root_calls() {
        let user = Cred { uid: 100, gid: 100, groups: vec![] };
        assert!(!may_use_reserved_space(), "no call under way");
        with_cred(&Cred::root(), || {
            assert!(may_use_reserved_space());
            with_cred(&user, || assert!(!may_use_reserved_space()));
            assert!(may_use_reserved_space(), "the outer caller again");
        });
        let r = std::panic::catch_unwind(|| with_cred(&Cred::root(), || panic!("unwinds")));
        assert!(r.is_err() && !may_use_reserved_space(), "restored by the unwinding too");
    }
}
