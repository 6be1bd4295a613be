//! What the host's page cache holds of a file, as far as the requests answered tell, and the one use
//! made of it: the file's last page handed to the host (FUSE_NOTIFY_STORE) when a write left it there
//! partly written.
//!
//! Linux's FUSE marks a page uptodate after a write only when the write covered it whole (its
//! fuse_fill_write_pages); the last page of a file written to its end stays partly written, not
//! uptodate, and the next read of the file fetches it from us (FUSE_READ), after which the host
//! forgets the file's atime (fuse_invalidate_atime) and the next stat asks us too (FUSE_GETATTR):
//! two round trips for every file read back after it was written, such as `tar` of a copy. The store
//! fills that page from the file system and makes it uptodate, so both go.
//!
//! A store overwrites whatever the host's page holds, so it is sent only when that is nothing the
//! file system does not already have, and when the host cannot be changing it meanwhile:
//! - the page is one no write covered whole and no read fetched ([`HostPages`]): the host holds it not
//!   uptodate, so no process has it mapped (mapping it would have read it from us);
//! - it is sent while the host holds the file's inode lock and waits for our answer to a SETATTR
//!   (chmod, chown, utimes: `cp -a` ends each file so), which no write or truncation of the file
//!   passes (Linux's notify_change is called with the inode locked);
//! - from a worker, never the session thread: the host takes the page's lock for the store, which a
//!   read of that page holds until the session thread answers it.

use super::server::Server;
use super::stats::Op;
use kernel::vfs::vnops;
use kernel::vfs::{Ino, VType};

/// The host's page size (Linux's PAGE_SIZE on the machines FUSE serves: x86-64 and arm64 with 4 KiB
/// pages). With larger pages the store covers part of a page, which the host fills but does not
/// mark uptodate: no gain, no harm.
pub(super) const PAGE: u64 = 4096;

/// What the host may hold of one file's pages (state of a FUSE node; a node the host forgets goes with
/// its pages).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct HostPages {
    /// A read was answered: the host may hold any page of the file uptodate, and mapped.
    read: bool,
    /// Pages wholly below this offset may be uptodate in the host's cache (written whole or stored).
    whole_end: u64,
    /// The last page, holding the end of file, was left partly written by a write that ended there.
    tail: bool,
}

impl HostPages {
    pub(super) fn read(&mut self) {
        self.read = true;
    }

    /// A write that ended at `end` in a file `size_before` long.
    pub(super) fn wrote(&mut self, end: u64, size_before: u64) {
        self.whole_end = self.whole_end.max(end / PAGE * PAGE);
        let at_eof = end >= size_before && !end.is_multiple_of(PAGE);
        // A write ending before the end of file leaves the last page as it was (it cannot cover it whole).
        self.tail = at_eof || (self.tail && end < size_before);
    }

    /// The size changed by truncation: the host keeps the pages below, the last one as it was.
    pub(super) fn truncated(&mut self) {
        self.tail = false;
    }

    /// The offset of the last page of a file `size` long when the host holds it partly written and
    /// nothing else there ([`HostPages`]); that page then counts as uptodate.
    pub(super) fn take_tail(&mut self, size: u64) -> Option<u64> {
        let start = size / PAGE * PAGE;
        if self.read || !self.tail || size.is_multiple_of(PAGE) || start < self.whole_end {
            return None;
        }
        self.tail = false;
        self.whole_end = start + PAGE;
        Some(start)
    }

    /// Whether [`HostPages::take_tail`] may give a page (a cheap test before handing a request to a worker).
    pub(super) fn tail_pending(&self) -> bool {
        self.tail && !self.read
    }
}

impl Server {
    /// Applies `f` to what the host holds of `ino`'s pages (nothing for a node FUSE does not hold).
    pub(super) fn host_pages<T>(&self, ino: Ino, f: impl FnOnce(&mut HostPages) -> T) -> Option<T> {
        let mut nodes = self.nodes.lock().unwrap_or_else(|e| e.into_inner());
        nodes.get_mut(&ino).map(|n| f(&mut n.pages))
    }

    /// Whether a SETATTR of `nodeid` may hand the host the file's last page ([`Server::store_tail`]).
    pub(super) fn tail_pending(&self, nodeid: u64) -> bool {
        self.cache.keep && self.host_pages(nodeid, |p| p.tail_pending()).unwrap_or(false)
    }

    /// Hands the host the last page of `nodeid` if it holds it partly written (see the module's
    /// comment for when). Called on a worker, before the SETATTR that allows it is answered.
    pub(super) fn store_tail(&self, nodeid: u64) {
        let (Ok(vp), Some(n)) = (self.vnode(nodeid), self.notifier.get()) else { return };
        let Ok(va) = vp.getattr() else { return };
        if va.vtype != VType::Reg {
            return;
        }
        let Some(Some(start)) = self.host_pages(vp.ino, |p| p.take_tail(va.size)) else { return };
        let mut buf = vec![0u8; (va.size - start) as usize];
        match vnops::read(&vp, va.vtype, start, &mut buf) {
            Ok(got) if got == buf.len() => {
                self.count(Op::NotifyStore);
                // The host refuses (ENOENT) a node it has evicted meanwhile: its pages are gone too.
                let _ = n.store(nodeid, start, &buf);
            }
            // The host reads the page from us as before.
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_page_given_once_and_only_when_the_host_holds_it_partly_written() {
        // A new file written in one go: 6000 bytes, the second page partly written.
        let mut p = HostPages::default();
        p.wrote(6000, 0);
        assert_eq!(p.take_tail(6000), Some(4096));
        assert_eq!(p.take_tail(6000), None, "stored once: the host holds it uptodate");
        // Appending into the page stored: the host holds it uptodate already.
        p.wrote(7000, 6000);
        assert_eq!(p.take_tail(7000), None);
        // Appending into the next page: that one is partly written.
        p.wrote(9000, 7000);
        assert_eq!(p.take_tail(9000), Some(8192));

        // A whole number of pages: nothing partly written.
        let mut p = HostPages::default();
        p.wrote(8192, 0);
        assert_eq!(p.take_tail(8192), None);

        // Anything read: the host may hold the page, mapped.
        let mut p = HostPages::default();
        p.wrote(6000, 0);
        p.read();
        assert_eq!(p.take_tail(6000), None);

        // Truncated after the write: the last page is whatever the host made of it.
        let mut p = HostPages::default();
        p.wrote(6000, 0);
        p.truncated();
        assert_eq!(p.take_tail(5000), None);

        // A file once written whole past its end, then shortened and appended to: the page with the
        // end may be uptodate (and mapped) from the first write.
        let mut p = HostPages::default();
        p.wrote(16384, 0);
        p.truncated();
        p.wrote(6000, 5000);
        assert_eq!(p.take_tail(6000), None);

        // A write inside the file leaves the last page as it was.
        let mut p = HostPages::default();
        p.wrote(6000, 0);
        p.wrote(100, 6000);
        assert_eq!(p.take_tail(6000), Some(4096));
    }
}
