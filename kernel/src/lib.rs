//! The rumpjs kernel: a rump-kernel analog in plain Rust. VFS with NetBSD's vnode interface, namei,
//! descriptors, credentials and syscalls; block devices; and real file-system drivers: FFS (UFS1 and
//! UFS2, both byte orders), tmpfs, kernfs. No JavaScript here: the kernel is usable, testable and
//! fuzzable from Rust alone. Everything it needs from its host comes through [`hyper::Hypervisor`]; the
//! std implementation of that host is [`std_host`], the only module that calls the host itself.

pub mod dev;
pub mod errno;
pub mod fs;
pub mod hyper;
#[cfg(unix)]
pub mod std_host;
mod syscall_table;
pub mod vfs;

pub use errno::{Errno, KResult};
pub use vfs::{Kernel, Proc};
