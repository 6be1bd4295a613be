//! The conformance suite's races (vfs/threads.rs, included as it is: renames, rmdir, lookups against
//! removals, shared files and descriptors from several threads) on FFS read-write.

macro_rules! rw_tests {
    ($($t:ident),* $(,)?) => {
        crate::common::ffs_conformance::ffs_modules!([crate::common] $($t),*);
    };
}

#[path = "../vfs/threads.rs"]
mod threads;
