//! Phase 4 (pass4.c): link counts against the references phase 2 counted; unreferenced files into
//! lost+found (or cleared when they have no links), unreachable directories and bad or duplicate inodes
//! cleared, their blocks released.

use super::super::superblock::ROOTINO;
use super::*;
use std::collections::HashSet;

pub(crate) fn pass4(f: &mut Fsck<'_>) -> FResult<()> {
    let mut zln: HashSet<u64> = f.zln.iter().copied().collect();
    for ino in ROOTINO..f.maxino {
        match f.get_state(ino) {
            FSTATE | DFOUND => {
                let n = *f.lnc(ino);
                if n != 0 {
                    adjust(f, ino, n)?;
                } else if zln.remove(&ino) {
                    clri(f, ino, "UNREF", true)?;
                }
            }
            DSTATE => clri(f, ino, "UNREF", true)?,
            DCLEAR => {
                let d = f.dinode(ino)?;
                if d.size == 0 {
                    clri(f, ino, "ZERO LENGTH", true)?;
                } else {
                    clri(f, ino, "BAD/DUP", true)?;
                }
            }
            FCLEAR => clri(f, ino, "BAD/DUP", true)?,
            _ => {}
        }
    }
    Ok(())
}

/// adjust(): inode `ino` has `lcnt` more links than references.
pub(crate) fn adjust(f: &mut Fsck<'_>, ino: u64, lcnt: i32) -> FResult<()> {
    let mut lcnt = lcnt;
    let mut d = f.dinode(ino)?;
    let nlink = d.nlink as i16 as i32;
    if nlink == lcnt {
        let saveresolved = f.resolved;
        if !f.linkup(ino, 0, None)? {
            f.resolved = saveresolved;
            clri(f, ino, "UNREF", false)?;
            return Ok(());
        }
        lcnt -= 1;
        d = f.dinode(ino)?;
    }
    if lcnt != 0 {
        let nlink = d.nlink as i16 as i32;
        let what = if f.lfdir == ino {
            "lost+found"
        } else if d.mode & IFMT == IFDIR {
            "DIR"
        } else {
            "FILE"
        };
        f.say(&format!("LINK COUNT {what}"));
        f.pinode(ino);
        f.say(&format!(" COUNT {nlink} SHOULD BE {}", nlink - lcnt));
        let yes = if f.preen {
            // Preen lowers link counts by itself; one to be raised means a name was found that the
            // count never included, which it leaves to a manual run.
            if lcnt < 0 {
                f.say("\nLINK COUNT INCREASING");
                return Err(f.unexpected());
            }
            f.say(" (ADJUSTED)\n");
            f.record(true);
            true
        } else {
            f.reply("ADJUST")?
        };
        if yes {
            let v = (nlink - lcnt) as u16;
            f.modify_ino(ino, |r| r.set_nlink(v))?;
        } else {
            f.markclean = false;
        }
    }
    Ok(())
}

/// clri(): clears inode `ino` (asking), releasing its blocks.
pub(crate) fn clri(f: &mut Fsck<'_>, ino: u64, what: &str, say: bool) -> FResult<()> {
    let d = f.dinode(ino)?;
    if say {
        f.say(&format!("{what} {}", if d.mode & IFMT == IFDIR { "DIR" } else { "FILE" }));
        f.pinode(ino);
    }
    let yes = if f.preen {
        f.say(" (CLEARED)\n");
        f.record(true);
        true
    } else {
        f.reply("CLEAR")?
    };
    if !yes {
        f.markclean = false;
        return Ok(());
    }
    f.n_files = f.n_files.saturating_sub(1);
    for (blk, nf) in f.claims(&d)? {
        for k in 0..nf {
            let b = blk.wrapping_add(k);
            if f.chkrange(b, 1) || !f.testbmap(b) {
                continue;
            }
            match f.dups.get_mut(&b) {
                Some(n) => {
                    *n -= 1;
                    if *n == 0 {
                        f.dups.remove(&b);
                    }
                }
                None => {
                    f.clrbmap(b);
                    f.n_blks = f.n_blks.saturating_sub(1);
                }
            }
        }
    }
    f.modify_ino(ino, |r| r.clear())?;
    f.set_state(ino, USTATE);
    Ok(())
}
