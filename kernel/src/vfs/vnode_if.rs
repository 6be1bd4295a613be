//! The vnode operations every file system implements (NetBSD's vnode_if: the `vnodeops` tables, keyed
//! by inode number as FUSE's low-level interface is). The syscall layer above knows no file system by
//! name; the operations on the file system as a whole are in vfsops.rs.
//!
//! Division of labour (as NetBSD splits it between the syscalls/genfs and the file system):
//! - the VFS resolves paths, checks permissions and credentials (genfs_can_access, sticky, chown/chmod
//!   rules), applies umask, picks owner and group of new nodes, refuses writes on read-only mounts, checks
//!   rename's tree rules (no directory into its own subtree, type compatibility), and handles `..` at a
//!   mount's root;
//! - the file system keeps its own structure consistent: names unique (EEXIST), ENOTEMPTY, ENOTDIR, link
//!   counts and `..`, times (create/modify/change as POSIX says), space (ENOSPC, EFBIG), and on-disk errors.

use super::types::*;
use crate::errno::{Errno, KResult};

/// The vnode operations of a mounted file system. All methods take `&self`: each implementation locks
/// what it needs, so the kernel can call in from several threads.
pub trait VnodeOps: Send + Sync {
    /// VOP_LOOKUP: the inode named `name` in directory `dir`. `.` and `..` are handled too (at the file
    /// system's root `..` is the root itself). ENOTDIR if `dir` is no directory, ENOENT if absent.
    fn lookup(&self, dir: Ino, name: &[u8]) -> KResult<Ino>;

    /// VOP_GETATTR.
    fn getattr(&self, ino: Ino) -> KResult<Vattr>;

    /// VOP_SETATTR: change the fields that are `Some` and set ctime (a size change is a truncate).
    fn setattr(&self, ino: Ino, attr: &SetAttr) -> KResult<()>;

    /// VOP_READ: read at `off` into `buf`; returns the bytes read (0 at or past end of file).
    /// EISDIR for directories.
    fn read(&self, ino: Ino, off: u64, buf: &mut [u8]) -> KResult<usize>;

    /// VOP_WRITE: write `buf` at `off` (or at end of file if `append`); returns the bytes written and the
    /// offset after the last byte written.
    fn write(&self, ino: Ino, off: u64, buf: &[u8], append: bool) -> KResult<(usize, u64)>;

    /// VOP_READDIR: hand entries of `dir`, starting at `cookie` (0 = start), to `sink` until it returns
    /// false or the directory ends. Each entry carries the cookie that resumes after it.
    fn readdir(&self, dir: Ino, cookie: u64, sink: &mut dyn FnMut(&DirEntry<'_>) -> bool) -> KResult<()>;

    /// VOP_READLINK: the target of a symbolic link (EINVAL if `ino` is not one).
    fn readlink(&self, ino: Ino) -> KResult<Vec<u8>>;

    /// VOP_CREATE: a new regular file (or socket) `name` in `dir`.
    fn create(&self, dir: Ino, name: &[u8], attr: &NewNode) -> KResult<Ino>;

    /// VOP_MKNOD: a device node or fifo.
    fn mknod(&self, dir: Ino, name: &[u8], attr: &NewNode) -> KResult<Ino>;

    /// VOP_MKDIR.
    fn mkdir(&self, dir: Ino, name: &[u8], attr: &NewNode) -> KResult<Ino>;

    /// VOP_SYMLINK: `name` in `dir` pointing to `target`.
    fn symlink(&self, dir: Ino, name: &[u8], attr: &NewNode, target: &[u8]) -> KResult<Ino>;

    /// VOP_REMOVE: unlink a non-directory (EPERM for a directory, as NetBSD's ufs_remove answers).
    fn remove(&self, dir: Ino, name: &[u8]) -> KResult<()>;

    /// VOP_RMDIR: remove an empty directory (ENOTEMPTY, ENOTDIR; EINVAL for `.`, ENOTEMPTY for `..`).
    fn rmdir(&self, dir: Ino, name: &[u8]) -> KResult<()>;

    /// VOP_LINK: a new name for `ino` (a non-directory) in `dir`; EMLINK past the link limit.
    fn link(&self, ino: Ino, dir: Ino, name: &[u8]) -> KResult<()>;

    /// VOP_RENAME: move `fdir/fname` to `tdir/tname`, replacing the target if it exists. The VFS has
    /// checked the tree rules and types; the file system checks an existing target directory is empty,
    /// fixes `..` and link counts, and does nothing when source and target are the same inode.
    fn rename(&self, fdir: Ino, fname: &[u8], tdir: Ino, tname: &[u8]) -> KResult<()>;

    /// Truncate or extend a regular file to `size` (holes when extending); ctime and mtime change.
    fn truncate(&self, ino: Ino, size: u64) -> KResult<()> {
        self.setattr(ino, &SetAttr { size: Some(size), ..Default::default() })
    }

    /// VOP_FSYNC: make `ino`'s data and metadata durable.
    fn fsync(&self, ino: Ino) -> KResult<()>;

    /// VOP_INACTIVE: the kernel dropped its last reference (open file, cwd, lookup in progress) to `ino`;
    /// a node with no links left may now be freed. Called with the mount's vnode table locked: it must
    /// not wait for another thread's file-system call that could itself take or drop a vnode.
    fn inactive(&self, _ino: Ino) {}

    /// VOP_OPEN: a file is being opened with `flags` (O_*); a file system may refuse (kernfs refuses
    /// writes to read-only nodes).
    fn open(&self, _ino: Ino, _flags: u32) -> KResult<()> {
        Ok(())
    }
}

/// Shorthand for file systems that refuse every change (kernfs, FFS mounted read-only).
pub fn erofs<T>() -> KResult<T> {
    Err(Errno::EROFS)
}
