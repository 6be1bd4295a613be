//! The conformance suite's races (threads.rs, included as it is: renames, rmdir, lookups against
//! removals, shared files and descriptors from several threads) on FFS read-write.

mod ffs_conformance;

macro_rules! rw_tests {
    ($($t:ident),* $(,)?) => {
        $crate::ffs_conformance::ffs_modules!(super, $($t),*);
    };
}

#[path = "threads.rs"]
mod threads;
