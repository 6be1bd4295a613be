//! Phase 3 (pass3.c): directories not reachable from the root are reconnected into lost+found; a
//! loop of directories reachable from nowhere is broken where it is found.

use super::*;
use crate::fs::ffs::superblock::ROOTINO;

/// Phase 3: directories not found from the root go to lost+found.
pub(crate) fn pass3(f: &mut Fsck<'_>) -> FResult<()> {
    let order = f.dirorder.clone();
    for &start in order.iter().rev() {
        let Some(info) = f.dirs.get(&start).cloned() else { continue };
        let state = f.get_state(start);
        if start == ROOTINO || (info.parent != 0 && state != DSTATE) {
            continue;
        }
        if state == DCLEAR || state == USTATE || state == DFOUND {
            continue;
        }
        let mut cur = start;
        let mut loopcnt = 0u64;
        let orphan;
        loop {
            let p = f.dirs.get(&cur).map(|i| i.parent).unwrap_or(0);
            if p == 0 || f.get_state(p) != DSTATE || loopcnt > f.countdirs {
                orphan = cur;
                break;
            }
            cur = p;
            loopcnt += 1;
        }
        if loopcnt <= f.countdirs {
            let dotdot = f.dirs.get(&orphan).map(|i| i.dotdot).unwrap_or(0);
            if f.linkup(orphan, dotdot, None)? {
                let lf = f.lfdir;
                *f.lnc(lf) -= 1;
            }
            continue;
        }
        f.say(&format!("ORPHANED DIRECTORY LOOP DETECTED I={orphan}"));
        if !f.ask("RECONNECT")? {
            continue;
        }
        let parent = f.dirs.get(&orphan).map(|i| i.parent).unwrap_or(0);
        let name = f.findname(parent, orphan)?;
        if name.is_none() {
            f.say("COULD NOT FIND NAME IN PARENT DIRECTORY");
            f.pfatal_noted()?;
        }
        if f.linkup(orphan, parent, name.as_deref())? {
            // clearentry: the loop's entry goes.
            let mut fix = Fix::DontKnow;
            let r = f.dirscan(parent, &mut fix, &mut |_, e, n| {
                if e.ino != orphan || n < 2 || e.name == b"." || e.name == b".." {
                    return Ok(KEEPON);
                }
                e.ino = 0;
                Ok(STOP | FOUND | ALTERED)
            })?;
            if r & FOUND != 0 {
                *f.lnc(orphan) += 1;
            }
            let lf = f.lfdir;
            *f.lnc(lf) -= 1;
        }
    }
    Ok(())
}
