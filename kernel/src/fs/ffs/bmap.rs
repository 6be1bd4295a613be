//! Logical to physical block mapping (sys/ufs/ufs/ufs_bmap.c): 12 direct pointers, then single, double and
//! triple indirect blocks. A lookup returns an extent — the longest run of logical blocks that are
//! physically contiguous (or all holes) — so reads can move many blocks with one device request.

use super::inode::{get_ptr, Dinode};
use super::superblock::NDADDR;
use super::Ffs;
use crate::errno::{Errno, KResult};

/// `nblocks` logical blocks from the one asked for, starting at fragment address `addr` (0: a hole).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Extent {
    pub addr: u64,
    pub nblocks: u64,
}

impl Ffs {
    /// Pointer `i` of an indirect block.
    pub(super) fn ptr(&self, blk: &[u8], i: usize) -> u64 {
        get_ptr(blk, i, self.sb.order, self.sb.ufs)
    }

    /// Checks a data or indirect block address: inside the file system.
    fn check_addr(&self, ino: u64, addr: u64, what: &str) -> KResult<()> {
        if addr >= self.sb.size {
            self.corrupt(&format!("inode {ino}: {what} block {addr} outside the file system (size {})", self.sb.size));
            return Err(Errno::EIO);
        }
        Ok(())
    }

    /// The extent of `din` (inode `ino`) starting at logical block `lbn`, at most `max` (>= 1) blocks.
    pub(super) fn bmap(&self, ino: u64, din: &Dinode, lbn: u64, max: u64) -> KResult<Extent> {
        let frag = self.sb.frag as u64;
        let max = max.max(1);
        if lbn < NDADDR as u64 {
            let i = lbn as usize;
            let addr = din.db[i];
            if addr != 0 {
                self.check_addr(ino, addr, "data")?;
            }
            let mut n = 1u64;
            while n < max && i + (n as usize) < NDADDR {
                let next = din.db[i + n as usize];
                let contiguous = if addr == 0 { next == 0 } else { next == addr + n * frag };
                if !contiguous {
                    break;
                }
                n += 1;
            }
            return Ok(Extent { addr, nblocks: n });
        }
        // Which indirect tree, and the block's index within it.
        let nindir = self.sb.nindir as u64;
        let mut rel = lbn - NDADDR as u64;
        let mut span = nindir; // blocks a tree of this level maps
        let mut level = 0usize;
        loop {
            if rel < span {
                break;
            }
            rel -= span;
            level += 1;
            if level == 3 {
                self.corrupt(&format!("inode {ino}: logical block {lbn} beyond triple indirect (size {})", din.size));
                return Err(Errno::EFBIG);
            }
            span = span.saturating_mul(nindir);
        }
        let mut addr = din.ib[level];
        // Walk down: at each step `span` is what the current pointer maps, `rel` the offset inside it.
        for depth in (0..=level).rev() {
            if addr == 0 {
                return Ok(Extent { addr: 0, nblocks: (span - rel).min(max) });
            }
            if addr.checked_add(frag).is_none_or(|end| end > self.sb.size) {
                self.corrupt(&format!(
                    "inode {ino}: indirect block {addr} outside the file system (size {})",
                    self.sb.size
                ));
                return Err(Errno::EIO);
            }
            let blk = self.meta_block(addr, self.sb.bsize as usize)?;
            let child_span = span / nindir;
            let idx = (rel / child_span) as usize;
            rel %= child_span;
            if depth == 0 {
                // Leaf: pointers to data blocks; extend the run along this block.
                let a = self.ptr(&blk, idx);
                if a != 0 {
                    self.check_addr(ino, a, "data")?;
                }
                let mut n = 1u64;
                while n < max && idx + (n as usize) < nindir as usize {
                    let next = self.ptr(&blk, idx + n as usize);
                    let contiguous = if a == 0 { next == 0 } else { next == a + n * frag };
                    if !contiguous {
                        break;
                    }
                    n += 1;
                }
                return Ok(Extent { addr: a, nblocks: n });
            }
            addr = self.ptr(&blk, idx);
            span = child_span;
        }
        // ok: the loop returns at depth 0
        Err(Errno::EIO)
    }
}
