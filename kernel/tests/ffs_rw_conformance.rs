//! The VFS conformance suite (the harness in common/mod.rs: NetBSD's t_vnops.c cases) on FFS
//! read-write, exactly as it runs on tmpfs: every test of t_vnops.rs against fresh file systems from
//! our newfs — UFS1 and UFS2, both byte orders, small and large blocks. The test file is included as it
//! is (it declares the harness itself, so this binary stands beside it rather than in ffs/); its
//! `rw_tests!` list is expanded here into one module per FFS configuration.

macro_rules! rw_tests {
    ($($t:ident),* $(,)?) => {
        common::ffs_conformance::ffs_modules!([super::common] $($t),*);
    };
}

#[path = "t_vnops.rs"]
mod t_vnops;
