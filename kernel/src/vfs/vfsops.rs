//! The operations on a mounted file system as a whole (NetBSD's `struct vfsops`: VFS_ROOT, VFS_STATVFS,
//! VFS_SYNC, VFS_UNMOUNT, VFS_MOUNT with MNT_UPDATE); mounting itself is each type's `MountFn`
//! (mountopts.rs). A [`FileSystem`] is both these and its [`VnodeOps`].

use super::types::*;
use super::vnode_if::VnodeOps;
use crate::errno::KResult;

/// A mounted file system's own operations. `&self` throughout, as for vnode operations.
pub trait VfsOps: Send + Sync {
    /// VFS_ROOT: the inode number of the root directory.
    fn root(&self) -> Ino;

    /// VFS_STATVFS.
    fn statvfs(&self) -> KResult<StatVfs>;

    /// VFS_SYNC: write everything dirty.
    fn sync(&self) -> KResult<()>;

    /// VFS_UNMOUNT: flush and release; after this no other call is made.
    fn unmount(&self, force: bool) -> KResult<()>;

    /// VFS_MOUNT with MNT_UPDATE: the mount is switching to read-only (`readonly`) or back to
    /// read-write. The default writes everything dirty before going read-only.
    fn update(&self, readonly: bool) -> KResult<()> {
        if readonly {
            self.sync()
        } else {
            Ok(())
        }
    }

    /// Not a NetBSD operation: the layout facts `rumpjs info` and `.info` print (FFS: superblock,
    /// geometry, counts, clean flag, cache), as (name, value) pairs.
    fn info(&self) -> Vec<(String, String)> {
        Vec::new()
    }
}

/// A mounted file system: its vfsops and its vnode operations, as the mount table holds it.
pub trait FileSystem: VfsOps + VnodeOps {}

impl<T: VfsOps + VnodeOps> FileSystem for T {}
