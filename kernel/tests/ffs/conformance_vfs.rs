//! The VFS conformance suite's t_vfsops/t_ro/t_unpriv/t_io/t_full/t_mtime/t_rwtoro cases (vfs/t_vfs.rs,
//! included as it is) on FFS read-write in four configurations; t_ro's cases on an FFS that the
//! generator filled read-write, then mounted again read-only.

macro_rules! rw_tests {
    ($($t:ident),* $(,)?) => {
        crate::common::ffs_conformance::ffs_modules!([crate::common] $($t),*);
    };
}

/// t_ro: make, mount read-write, fill with the generator, unmount, mount read-only.
macro_rules! ro_module {
    ($name:ident, $make:ident, $($t:ident: $gen:ident),*) => {
        mod $name {
            fn mount(
                k: &std::sync::Arc<kernel::Kernel>,
                p: &kernel::Proc,
                mp: &str,
                gen: &dyn Fn(&crate::common::Env),
            ) -> kernel::KResult<()> {
                crate::common::ffs_conformance::$make(k, p, mp)?;
                gen(&crate::common::Env::new(k.clone(), mp, "ffs"));
                crate::common::ffs_conformance::remount_ro(p, mp)
            }
            $( #[test] fn $t() { crate::common::run_ro(&crate::common::RoFs { name: "ffs", mount_ro: mount }, super::$gen, super::$t) } )*
        }
    };
}

macro_rules! ro_tests {
    ($($t:ident: $gen:ident),* $(,)?) => {
        ro_module!(ffs_ro_ufs2_le_8k, ufs2_le_8k, $($t: $gen),*);
        ro_module!(ffs_ro_ufs1_be_16k, ufs1_be_16k, $($t: $gen),*);
    };
}

#[path = "../vfs/t_vfs.rs"]
mod t_vfs;
