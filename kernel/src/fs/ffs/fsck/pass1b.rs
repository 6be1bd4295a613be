//! Phase 1b (pass1b.c): the first claimer of each duplicated block, found by walking the inodes again
//! until every duplicate has its first claimer.

use super::*;
use crate::fs::ffs::superblock::ROOTINO;
use std::collections::BTreeSet;

/// Phase 1b: the first claimer of each duplicated block.
pub(crate) fn pass1b(f: &mut Fsck<'_>) -> FResult<()> {
    let mut left: BTreeSet<u64> = f.dups.keys().copied().collect();
    for ino in ROOTINO..f.maxino {
        if left.is_empty() {
            break;
        }
        if f.get_state(ino) == USTATE {
            continue;
        }
        let d = f.dinode(ino)?;
        for (blk, nf) in f.claims(&d, None)? {
            for k in 0..nf {
                let b = blk.wrapping_add(k);
                if left.remove(&b) {
                    f.blkerror(ino, "DUP", b)?;
                }
            }
        }
    }
    Ok(())
}
