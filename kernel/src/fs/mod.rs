//! The file systems: each implements [`crate::vfs::FileSystem`] and registers a mount entry point here.

pub mod ffs;
pub mod kernfs;
pub mod tmpfs;

use crate::vfs::FsType;

/// Every file-system type this kernel has (the rootfs is tmpfs's code under the name rumpfs).
pub const ALL: &[FsType] = &[
    FsType { name: "ffs", mount: ffs::mount, needs_device: true },
    FsType { name: "tmpfs", mount: tmpfs::mount, needs_device: false },
    FsType { name: "kernfs", mount: kernfs::mount, needs_device: false },
];
