//! The VFS conformance suite (tests/common's harness: NetBSD's t_vnops.c cases) on FFS read-write,
//! exactly as it runs on tmpfs: every test of t_vnops.rs against fresh file systems from our newfs —
//! UFS1 and UFS2, both byte orders, small and large blocks. The test file is included as it is; its
//! `rw_tests!` list is expanded here into one module per FFS configuration.

mod ffs_conformance;

macro_rules! rw_tests {
    ($($t:ident),* $(,)?) => {
        $crate::ffs_conformance::ffs_modules!(super, $($t),*);
    };
}

#[path = "t_vnops.rs"]
mod t_vnops;
