//! What the host's page cache holds of a file, as far as the requests answered tell, and the one use
//! made of it: the file's last page handed to the host (FUSE_NOTIFY_STORE) when a write left it there
//! partly written.
//!
//! Linux's FUSE marks a page uptodate after a write only when the write covered it whole (its
//! fuse_fill_write_pages); the last page of a file written to its end stays partly written, not
//! uptodate, and the next read of the file fetches it from us (FUSE_READ), after which the host
//! forgets the file's atime (fuse_invalidate_atime) and the next stat asks us too (FUSE_GETATTR):
//! two round trips for every file read back after it was written, such as `tar` of a copy. The store
//! fills that page and makes it uptodate, so both go.
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
//!
//! What that leaves open: a read of the page answered between the check and the store's landing, by a
//! process that then maps the page shared and writes into it in that instant, would see its write
//! overwritten by the store. Excluding it would take a lock held across the store, which a read of
//! the page (holding the page's lock, waiting for its answer) would deadlock against.
//!
//! The page's bytes are the ones the writes gave, kept as they pass (at most [`TAILS_HELD`] files'
//! worth at once): read back from the file system they would set its atime, as a read does, and the
//! utimes that `cp -a` sends just then would be undone.

use super::server::Server;
use super::stats::Op;
use kernel::vfs::Ino;
use std::sync::atomic::Ordering;

/// The host's page size (Linux's PAGE_SIZE on the machines FUSE serves: x86-64 and arm64 with 4 KiB
/// pages). With larger pages the store covers part of a page, which the host fills but does not
/// mark uptodate: no gain, no harm.
pub(super) const PAGE: u64 = 4096;

/// The most files whose last page's bytes are kept at once (less than a page each).
pub(super) const TAILS_HELD: usize = 16_384;

/// What the host may hold of one file's pages (state of a FUSE node; a node the host forgets goes with
/// its pages).
#[derive(Clone, Debug, Default)]
pub(super) struct HostPages {
    /// A read was answered: the host may hold any page of the file uptodate, and mapped.
    read: bool,
    /// Pages wholly below this offset may be uptodate in the host's cache (written whole or stored).
    whole_end: u64,
    /// The last page, holding the end of file, left partly written by the writes that ended there.
    tail: Option<Tail>,
}

/// The bytes of a file from the start of its last page to its end, as written.
#[derive(Clone, Debug)]
struct Tail {
    start: u64,
    bytes: Vec<u8>,
}

impl HostPages {
    pub(super) fn read(&mut self) {
        self.read = true;
    }

    /// `data` was written at `off` of a file `size_before` long; `keep`: its last page's bytes may
    /// be kept.
    pub(super) fn wrote(&mut self, off: u64, data: &[u8], size_before: u64, keep: bool) {
        let end = off + data.len() as u64;
        self.whole_end = self.whole_end.max(end / PAGE * PAGE);
        if end < size_before {
            // Inside the file: the bytes kept change where it overlaps them (kept bytes that do not
            // end where the file did are dropped: the file changed some other way).
            if self.tail.as_ref().is_some_and(|t| t.start + t.bytes.len() as u64 != size_before) {
                self.tail = None;
            }
            if let Some(t) = &mut self.tail {
                if end > t.start {
                    let from = off.max(t.start);
                    t.bytes[(from - t.start) as usize..(end - t.start) as usize]
                        .copy_from_slice(&data[(from - off) as usize..]);
                }
            }
            return;
        }
        let start = end / PAGE * PAGE;
        self.tail = match self.tail.take() {
            _ if !keep || end == start => None,
            _ if off <= start => Some(Tail { start, bytes: data[(start - off) as usize..].to_vec() }),
            // Appended to the bytes kept, in the same page.
            Some(mut t) if t.start == start && t.start + t.bytes.len() as u64 == off => {
                t.bytes.extend_from_slice(data);
                Some(t)
            }
            _ => None,
        };
    }

    /// The size changed by truncation (or a write failed part way): the host keeps the pages below,
    /// the last one as it was, and its bytes are no longer known here.
    pub(super) fn truncated(&mut self) {
        self.tail = None;
    }

    /// The last page of a file `size` long, from `start`, when the host holds it partly written and
    /// nothing else there ([`HostPages`]); that page then counts as uptodate.
    pub(super) fn take_tail(&mut self, size: u64) -> Option<(u64, Vec<u8>)> {
        let t = self.tail.take()?;
        if self.read || t.start + t.bytes.len() as u64 != size || t.start < self.whole_end {
            return None;
        }
        self.whole_end = t.start + PAGE;
        Some((t.start, t.bytes))
    }

    /// Whether [`HostPages::take_tail`] may give a page (a cheap test before handing a request to a worker).
    pub(super) fn tail_pending(&self) -> bool {
        self.tail.is_some() && !self.read
    }

    pub(super) fn holds_tail(&self) -> bool {
        self.tail.is_some()
    }
}

impl Server {
    /// Applies `f` to what the host holds of `ino`'s pages (nothing for a node FUSE does not hold),
    /// counting the files whose last page's bytes are kept.
    pub(super) fn host_pages<T>(&self, ino: Ino, f: impl FnOnce(&mut HostPages) -> T) -> Option<T> {
        let mut nodes = self.nodes.lock().unwrap_or_else(|e| e.into_inner());
        let n = nodes.get_mut(&ino)?;
        let had = n.pages.holds_tail();
        let r = f(&mut n.pages);
        match (had, n.pages.holds_tail()) {
            (false, true) => self.tails.fetch_add(1, Ordering::Relaxed),
            (true, false) => self.tails.fetch_sub(1, Ordering::Relaxed),
            _ => 0,
        };
        Some(r)
    }

    /// A write of `data` at `off` to a file `size_before` long went through.
    pub(super) fn wrote(&self, ino: Ino, off: u64, data: &[u8], size_before: u64) {
        let keep = self.cache.keep && self.tails.load(Ordering::Relaxed) < TAILS_HELD;
        self.host_pages(ino, |p| p.wrote(off, data, size_before, keep));
    }

    /// Whether a SETATTR of `nodeid` may hand the host the file's last page ([`Server::store_tail`]).
    pub(super) fn tail_pending(&self, nodeid: u64) -> bool {
        self.host_pages(nodeid, |p| p.tail_pending()).unwrap_or(false)
    }

    /// Hands the host the last page of `nodeid` if it holds it partly written (see the module's
    /// comment for when). Called on a worker, before the SETATTR that allows it is answered.
    pub(super) fn store_tail(&self, nodeid: u64) {
        let (Ok(vp), Some(n)) = (self.vnode(nodeid), self.notifier.get()) else { return };
        let Ok(va) = vp.getattr() else { return };
        let Some(Some((start, bytes))) = self.host_pages(vp.ino, |p| p.take_tail(va.size)) else { return };
        self.count(Op::NotifyStore);
        // The host refuses (ENOENT) a node it has evicted meanwhile: its pages are gone too.
        let _ = n.store(nodeid, start, &bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `len` bytes of a file as written at `off`: each byte its offset's low bits.
    fn data(off: u64, len: usize) -> Vec<u8> {
        (off..off + len as u64).map(|i| (i % 251) as u8).collect()
    }

    fn write(p: &mut HostPages, off: u64, len: usize, size_before: u64) {
        p.wrote(off, &data(off, len), size_before, true);
    }

    #[test]
    fn last_page_given_once_and_only_when_the_host_holds_it_partly_written() {
        // A new file written in one go: 6000 bytes, the second page partly written.
        let mut p = HostPages::default();
        write(&mut p, 0, 6000, 0);
        assert_eq!(p.take_tail(6000), Some((4096, data(4096, 1904))));
        assert_eq!(p.take_tail(6000), None, "stored once: the host holds it uptodate");
        // Appending into the page stored: the host holds it uptodate already.
        write(&mut p, 6000, 1000, 6000);
        assert_eq!(p.take_tail(7000), None);
        // Appending into the next page: that one is partly written.
        write(&mut p, 7000, 2000, 7000);
        assert_eq!(p.take_tail(9000), Some((8192, data(8192, 808))));

        // Small appends within one page, each kept.
        let mut p = HostPages::default();
        write(&mut p, 0, 100, 0);
        write(&mut p, 100, 100, 100);
        assert_eq!(p.take_tail(200), Some((0, data(0, 200))));

        // A write inside the file changes the bytes kept where it overlaps them.
        let mut p = HostPages::default();
        write(&mut p, 0, 6000, 0);
        p.wrote(4000, &[7; 200], 6000, true);
        let mut want = data(4096, 1904);
        want[..104].fill(7);
        assert_eq!(p.take_tail(6000), Some((4096, want)));

        // A whole number of pages: nothing partly written.
        let mut p = HostPages::default();
        write(&mut p, 0, 8192, 0);
        assert_eq!(p.take_tail(8192), None);

        // Anything read: the host may hold the page, mapped.
        let mut p = HostPages::default();
        write(&mut p, 0, 6000, 0);
        p.read();
        assert_eq!(p.take_tail(6000), None);

        // Truncated after the write: the last page is whatever the host made of it.
        let mut p = HostPages::default();
        write(&mut p, 0, 6000, 0);
        p.truncated();
        assert_eq!(p.take_tail(5000), None);

        // A file once written whole past its end, then shortened and appended to: the page with the
        // end may be uptodate (and mapped) from the first write.
        let mut p = HostPages::default();
        write(&mut p, 0, 16384, 0);
        p.truncated();
        write(&mut p, 5000, 1000, 5000);
        assert_eq!(p.take_tail(6000), None);

        // A write past the end leaving a hole in the last page: the bytes between are not kept.
        let mut p = HostPages::default();
        write(&mut p, 0, 100, 0);
        write(&mut p, 200, 100, 100);
        assert_eq!(p.take_tail(300), None);

        // Nothing kept when there is no room.
        let mut p = HostPages::default();
        p.wrote(0, &data(0, 6000), 0, false);
        assert!(!p.tail_pending());
        assert_eq!(p.take_tail(6000), None);
    }
}
