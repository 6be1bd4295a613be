//! FFS configurations for the conformance suites (the harness in common/mod.rs): a function per
//! configuration that makes a fresh image of FSTEST_IMGSIZE with our newfs and mounts it read-write,
//! and a macro that expands a test list into one module per configuration.
#![allow(dead_code, unused_macros)]

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

/// Expands a list of `fn(&Env)` tests (of the module the expansion is in) into one test module per
/// configuration; `[$c]` is the path, from inside those modules, to the harness (`common`).
macro_rules! ffs_modules {
    ([$c:path] $($t:ident),*) => {
        mod ffs_ufs1_le_4k {
            use $c as harness;
            $( #[test] fn $t() { harness::run_rw(&harness::RwFs { name: "ffs", mount: harness::ffs_conformance::ufs1_le_4k }, super::$t) } )*
        }
        mod ffs_ufs1_be_16k {
            use $c as harness;
            $( #[test] fn $t() { harness::run_rw(&harness::RwFs { name: "ffs", mount: harness::ffs_conformance::ufs1_be_16k }, super::$t) } )*
        }
        mod ffs_ufs2_le_8k {
            use $c as harness;
            $( #[test] fn $t() { harness::run_rw(&harness::RwFs { name: "ffs", mount: harness::ffs_conformance::ufs2_le_8k }, super::$t) } )*
        }
        mod ffs_ufs2_be_32k {
            use $c as harness;
            $( #[test] fn $t() { harness::run_rw(&harness::RwFs { name: "ffs", mount: harness::ffs_conformance::ufs2_be_32k }, super::$t) } )*
        }
    };
}
#[allow(unused_imports)]
pub(crate) use ffs_modules;
