//! The VFS conformance suite's t_vfsops/t_ro/t_unpriv/t_io/t_full/t_mtime/t_rwtoro cases (t_vfs.rs,
//! included as it is) on FFS read-write in four configurations; t_ro's cases on an FFS that the
//! generator filled read-write, then mounted again read-only.

mod ffs_conformance;

macro_rules! rw_tests {
    ($($t:ident),* $(,)?) => {
        $crate::ffs_conformance::ffs_modules!(super, $($t),*);
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
                gen: &dyn Fn(&super::common::Env),
            ) -> kernel::KResult<()> {
                $crate::ffs_conformance::$make(k, p, mp)?;
                gen(&super::common::Env::new(k.clone(), mp, "ffs"));
                $crate::ffs_conformance::remount_ro(p, mp)
            }
            $( #[test] fn $t() { super::common::run_ro(&super::common::RoFs { name: "ffs", mount_ro: mount }, super::$gen, super::$t) } )*
        }
    };
}

macro_rules! ro_tests {
    ($($t:ident: $gen:ident),* $(,)?) => {
        ro_module!(ffs_ro_ufs2_le_8k, ufs2_le_8k, $($t: $gen),*);
        ro_module!(ffs_ro_ufs1_be_16k, ufs1_be_16k, $($t: $gen),*);
    };
}

#[path = "t_vfs.rs"]
mod t_vfs;
