//! The current and root directories, and the paths of vnodes.

use super::*;
use crate::errno::{Errno, KResult};
use crate::vfs::access::vaccess;
use crate::vfs::namei::Want;
use crate::vfs::types::*;
use crate::vfs::*;
use std::sync::Arc;

impl Proc {
    /// chdir(2): change_dir (ENOTDIR, EACCES without search permission).
    pub fn chdir(&self, path: &[u8]) -> KResult<()> {
        let s = self.snap();
        let nd = self.namei(&s, path, Want::Node { follow: true })?;
        let (vp, va) = nd.node()?;
        self.enter(&s.cred, vp, va, false)
    }

    /// fchdir(2).
    pub fn fchdir(&self, fd: i32) -> KResult<()> {
        let s = self.snap();
        let f = self.file(fd)?;
        let va = f.vnode.getattr()?;
        self.enter(&s.cred, &f.vnode, &va, false)
    }

    /// chroot(2): root only.
    pub fn chroot(&self, path: &[u8]) -> KResult<()> {
        let s = self.snap();
        if !s.cred.is_root() {
            return Err(Errno::EPERM);
        }
        let nd = self.namei(&s, path, Want::Node { follow: true })?;
        let (vp, va) = nd.node()?;
        self.enter(&s.cred, vp, va, true)
    }

    /// getcwd(2): getcwd_common — walks `..` and scans each parent for the child's name (ENOENT once
    /// the cwd was removed).
    pub fn getcwd(&self) -> KResult<Vec<u8>> {
        let s = self.snap();
        self.vnode_path(&s, &s.cwd)
    }

    /// The absolute path of a directory vnode, as getcwd finds it.
    pub(super) fn vnode_path(&self, s: &Snap, vp: &Vnode) -> KResult<Vec<u8>> {
        let mut parts: Vec<Vec<u8>> = Vec::new();
        let mut cur = vp.clone();
        loop {
            if cur.same(&s.root) {
                break;
            }
            while cur.is_root() {
                match &cur.mount.covered {
                    Some(c) => cur = c.clone(),
                    None => break,
                }
            }
            if cur.same(&s.root) || (cur.is_root() && cur.mount.covered.is_none()) {
                break;
            }
            let fs = cur.fs()?.clone();
            if fs.getattr(cur.ino)?.nlink == 0 {
                return Err(Errno::ENOENT);
            }
            let parent = Vnode::get(&cur.mount, |fs| fs.lookup(cur.ino, b".."))?;
            let mut found = None;
            fs.readdir(parent.ino, 0, &mut |e| {
                if e.ino == cur.ino && e.name != b"." && e.name != b".." {
                    found = Some(e.name.to_vec());
                    false
                } else {
                    true
                }
            })?;
            parts.push(found.ok_or(Errno::ENOENT)?);
            cur = parent;
            if parts.len() > MAXPATHLEN {
                return Err(Errno::ENAMETOOLONG);
            }
        }
        let mut out = Vec::new();
        for p in parts.iter().rev() {
            out.push(b'/');
            out.extend_from_slice(p);
        }
        if out.is_empty() {
            out.push(b'/');
        }
        if out.len() >= MAXPATHLEN {
            return Err(Errno::ENAMETOOLONG);
        }
        Ok(out)
    }

    /// realpath(3) in the kernel: the canonical absolute path of `path` (symbolic links resolved).
    pub fn realpath(&self, path: &[u8]) -> KResult<Vec<u8>> {
        let s = self.snap();
        let nd = self.namei(&s, path, Want::Node { follow: true })?;
        let (vp, va) = nd.node()?;
        if va.vtype == VType::Dir {
            return self.vnode_path(&s, vp);
        }
        // A non-directory: the canonical path of its directory plus its name.
        let pnd = self.namei(&s, path, Want::Parent { follow: true })?;
        let dvp = pnd.dvp.as_ref().ok_or(Errno::ENOENT)?;
        let mut p = self.vnode_path(&s, dvp)?;
        if p != b"/" {
            p.push(b'/');
        }
        p.extend_from_slice(&pnd.name);
        Ok(p)
    }

    /// Makes `vp` the current directory (the root directory with `root`): what chdir, fchdir and chroot
    /// take is a directory (ENOTDIR) the caller may search (EACCES). The one replaced is released after
    /// the process lock is: its last reference may reach the file system.
    fn enter(&self, cred: &Cred, vp: &Vnode, va: &Vattr, root: bool) -> KResult<()> {
        if va.vtype != VType::Dir {
            return Err(Errno::ENOTDIR);
        }
        vaccess(vp, va, cred, X_OK)?;
        let new = Arc::new(vp.clone());
        let old = {
            let mut p = self.lock();
            std::mem::replace(if root { &mut p.root } else { &mut p.cwd }, new)
        };
        drop(old);
        Ok(())
    }
}
