//! Phase 4 (pass4.c): link counts against the references phase 2 counted; unreferenced files into
//! lost+found (or cleared when they have no links), unreachable directories and bad or duplicate inodes
//! cleared, their blocks released.

use super::*;
use crate::fs::ffs::superblock::ROOTINO;
use std::collections::HashSet;

pub(crate) fn pass4(f: &mut Fsck<'_>) -> FResult<()> {
    let mut zln: HashSet<u64> = f.zln.iter().copied().collect();
    for ino in ROOTINO..f.maxino {
        match f.get_state(ino) {
            FSTATE | DFOUND => {
                let n = *f.lnc(ino);
                if n != 0 {
                    f.adjust(ino, n)?;
                } else if zln.remove(&ino) {
                    f.clri(ino, "UNREF", true)?;
                }
            }
            DSTATE => f.clri(ino, "UNREF", true)?,
            DCLEAR => {
                let d = f.dinode(ino)?;
                if d.size == 0 {
                    f.clri(ino, "ZERO LENGTH", true)?;
                } else {
                    f.clri(ino, "BAD/DUP", true)?;
                }
            }
            FCLEAR => f.clri(ino, "BAD/DUP", true)?,
            _ => {}
        }
    }
    Ok(())
}
