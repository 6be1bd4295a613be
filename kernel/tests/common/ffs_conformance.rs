//! FFS configurations for the conformance suite (kernel/tests/common's harness): a function per
//! configuration that makes a fresh image of FSTEST_IMGSIZE with our newfs and mounts it read-write,
//! and macros that expand a test list into one module per configuration.
#![allow(dead_code)]

use kernel::dev::MemDevice;
use kernel::fs::ffs::endian::ByteOrder;
use kernel::fs::ffs::newfs::{newfs, NewfsOptions};
use kernel::hyper::DeterministicHypervisor;
use kernel::vfs::*;
use kernel::{KResult, Kernel, Proc};
use std::sync::Arc;

/// h_fsmacros.h's FSTEST_IMGSIZE.
pub const IMGSIZE: usize = 10 << 20;

/// Makes a fresh image, registers it and mounts it on `mp`.
pub fn mount_fresh(k: &Arc<Kernel>, p: &Proc, mp: &str, opts: NewfsOptions, flags: u64) -> KResult<()> {
    let dev = Arc::new(MemDevice::zeroed(IMGSIZE));
    newfs(dev.as_ref(), &opts, &DeterministicHypervisor::default_for_tests())?;
    let name = k.free_dev_name("ffsrw");
    k.etfs_register(&name, dev)?;
    let ro = flags & MNT_RDONLY != 0;
    p.mount("ffs", mp.as_bytes(), flags, Some(&name), &MountOptions { readonly: ro, ..Default::default() })
}

/// The spec string of the device mounted on `mp`.
pub fn spec_of(p: &Proc, mp: &str) -> String {
    p.statvfs(mp.as_bytes()).unwrap().mntfromname
}

fn o(ufs: u8, order: ByteOrder, bsize: u32, fsize: u32) -> NewfsOptions {
    // The density newfs picks for a file system this small (a 512-byte fragment, 4 per inode), so
    // every block size has the inodes the tests create.
    NewfsOptions { ufs, order, bsize, fsize, density: 2048, ..Default::default() }
}

pub fn ufs1_le_4k(k: &Arc<Kernel>, p: &Proc, mp: &str) -> KResult<()> {
    mount_fresh(k, p, mp, o(1, ByteOrder::Little, 4096, 512), 0)
}
pub fn ufs1_be_16k(k: &Arc<Kernel>, p: &Proc, mp: &str) -> KResult<()> {
    mount_fresh(k, p, mp, o(1, ByteOrder::Big, 16384, 2048), 0)
}
pub fn ufs2_le_8k(k: &Arc<Kernel>, p: &Proc, mp: &str) -> KResult<()> {
    mount_fresh(k, p, mp, o(2, ByteOrder::Little, 8192, 1024), 0)
}
pub fn ufs2_be_32k(k: &Arc<Kernel>, p: &Proc, mp: &str) -> KResult<()> {
    mount_fresh(k, p, mp, o(2, ByteOrder::Big, 32768, 4096), 0)
}

/// After a generator filled a read-write mount: unmount and mount the same image read-only.
pub fn remount_ro(p: &Proc, mp: &str) -> KResult<()> {
    let spec = spec_of(p, mp);
    p.unmount(mp.as_bytes(), 0)?;
    p.mount("ffs", mp.as_bytes(), MNT_RDONLY, Some(&spec), &MountOptions { readonly: true, ..Default::default() })
}

/// Expands a list of `fn(&Env)` tests (of the module `$m`) into one test module per configuration.
macro_rules! ffs_modules {
    ($m:ident, $($t:ident),*) => {
        mod ffs_ufs1_le_4k {
            $( #[test] fn $t() { $m::common::run_rw(&$m::common::RwFs { name: "ffs", mount: $crate::ffs_conformance::ufs1_le_4k }, $m::$t) } )*
        }
        mod ffs_ufs1_be_16k {
            $( #[test] fn $t() { $m::common::run_rw(&$m::common::RwFs { name: "ffs", mount: $crate::ffs_conformance::ufs1_be_16k }, $m::$t) } )*
        }
        mod ffs_ufs2_le_8k {
            $( #[test] fn $t() { $m::common::run_rw(&$m::common::RwFs { name: "ffs", mount: $crate::ffs_conformance::ufs2_le_8k }, $m::$t) } )*
        }
        mod ffs_ufs2_be_32k {
            $( #[test] fn $t() { $m::common::run_rw(&$m::common::RwFs { name: "ffs", mount: $crate::ffs_conformance::ufs2_be_32k }, $m::$t) } )*
        }
    };
}
pub(crate) use ffs_modules;
