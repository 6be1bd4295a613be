//! The VFS and the file systems beside FFS, through the syscalls: NetBSD's tests/fs/vfs suites on every
//! file system (t_vfs: t_vfsops, t_ro, t_unpriv, t_io, t_full, t_mtime, t_rwtoro; threads: the races),
//! the syscalls they touch only in passing, tmpfs and kernfs on their own, the name cache under every
//! change of names, and random operation sequences against a model of a tree. The cases of t_vnops.c
//! that need several processes are in locks.rs; the rest of that suite runs through the whole stack, on
//! every file system, in tests/vfs/t_vnops.test.js.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod kernfs;
mod locks;
mod namecache;
mod proptest_tree;
mod smoke;
mod syscalls;
mod t_vfs;
mod threads;
mod tmpfs;
