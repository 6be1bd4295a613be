//! The image file as the disk makefs writes: no fsync at every flush (the image is a file being made, as
//! makefs writes it; the host's page cache holds it), and writes held back in 4 KiB pages, handed to the
//! host in order, adjacent pages in one call. The kernel writes a small file's data, inode and directory
//! entry each where they belong, spread over the cylinder groups; the host sees some ten thousand writes
//! of up to 4 MiB instead of one or two a file.
//!
//! The writing is done on a thread of its own while the kernel goes on: when [`HELD_MAX`] pages are
//! held, they are handed over whole (a generation, read-only from then on: the kernel's reads of those
//! pages are served from it until it is on the host) and new pages are held in the room of the generation
//! before it. One generation is written at a time, in order, so a page rewritten later lands later.

use crate::host::host_fs::retrying;
use kernel::dev::BlockDevice;
use kernel::{Errno, KResult};
use std::collections::BTreeMap;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

const PAGE: usize = 4 << 10;
/// Pages held back at the most (32 MiB) before they are handed to the writing thread (which holds at
/// most as many again). Smaller, the kernel's rewrites of a page (its inode and bitmap blocks) reach the
/// host more often; larger, the last generation, which the unmount waits for, is larger.
const HELD_MAX: usize = 8 << 10;
/// Pages joined into one write at the most (IOV_MAX iovecs of one pwritev).
const JOIN_MAX: usize = 1024;
/// Pages' room allocated at a time (1 MiB: a mapping of its own, not a page-by-page growth of the heap).
const SLAB: usize = 256;

pub(super) struct ImageDevice {
    file: Arc<File>,
    size: u64,
    name: String,
    held_max: usize,
    held: Mutex<Held>,
}

/// Pages and the room they are held in.
#[derive(Default)]
struct Generation {
    /// Page number → the slot that holds its bytes as the kernel last wrote them.
    pages: BTreeMap<u64, usize>,
    /// [`SLAB`] slots a slab.
    slabs: Vec<Box<[u8]>>,
}

impl Generation {
    fn slot(&self, slot: usize) -> &[u8] {
        &self.slabs[slot / SLAB][slot % SLAB * PAGE..][..PAGE]
    }

    /// Page `page`'s bytes, when held here.
    fn page(&self, page: u64) -> Option<&[u8]> {
        self.pages.get(&page).map(|&s| self.slot(s))
    }
}

/// A generation being written by the writing thread.
struct Flight {
    generation: Arc<Generation>,
    writer: JoinHandle<KResult<()>>,
}

#[derive(Default)]
struct Held {
    now: Generation,
    /// Slots of `now` free.
    free: Vec<usize>,
    flight: Option<Flight>,
    /// The room of the last generation written, for the next.
    spare: Vec<Box<[u8]>>,
    /// A bit a page: set once the page was handed to be written. The image starts as zeros, so a page
    /// never handed needs no read before part of it is changed.
    written: Vec<u64>,
}

impl Held {
    fn was_written(&self, page: u64) -> bool {
        self.written.get((page / 64) as usize).is_some_and(|w| w & (1 << (page % 64)) != 0)
    }

    fn mark_written(&mut self, page: u64) {
        let i = (page / 64) as usize;
        if self.written.len() <= i {
            self.written.resize(i + 1, 0);
        }
        self.written[i] |= 1 << (page % 64);
    }

    fn slot_mut(&mut self, slot: usize) -> &mut [u8] {
        &mut self.now.slabs[slot / SLAB][slot % SLAB * PAGE..][..PAGE]
    }

    /// A free slot (a new slab when none is).
    fn new_slot(&mut self) -> usize {
        if self.free.is_empty() {
            let first = self.now.slabs.len() * SLAB;
            self.now.slabs.push(vec![0u8; SLAB * PAGE].into_boxed_slice());
            self.free.extend((first..first + SLAB).rev());
        }
        self.free.pop().unwrap_or_default()
    }

    /// Page `page`'s bytes handed to the writing thread and maybe not on the host yet.
    fn in_flight(&self, page: u64) -> Option<&[u8]> {
        self.flight.as_ref().and_then(|f| f.generation.page(page))
    }

    /// Waits for the generation being written; its room is reused for the next.
    fn land(&mut self) -> KResult<()> {
        let Some(f) = self.flight.take() else { return Ok(()) };
        let r = f.writer.join().unwrap_or(Err(Errno::EIO));
        if let Ok(g) = Arc::try_unwrap(f.generation) {
            self.spare = g.slabs;
        }
        r
    }
}

impl ImageDevice {
    /// The image `file` of `size` bytes, all zeros.
    pub(super) fn new(file: File, size: u64, name: String) -> ImageDevice {
        ImageDevice::holding(file, size, name, HELD_MAX)
    }

    /// [`ImageDevice::new`], handing pages over when `held_max` are held.
    fn holding(file: File, size: u64, name: String, held_max: usize) -> ImageDevice {
        ImageDevice { file: Arc::new(file), size, name, held_max, held: Mutex::new(Held::default()) }
    }

    fn held(&self) -> MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands every held page to the writing thread (once the generation before is on the host).
    fn write_back(&self, h: &mut Held) -> KResult<()> {
        h.land()?;
        if h.now.pages.is_empty() {
            return Ok(());
        }
        let pages: Vec<u64> = h.now.pages.keys().copied().collect();
        for p in pages {
            h.mark_written(p);
        }
        let g = Arc::new(std::mem::take(&mut h.now));
        h.now.slabs = std::mem::take(&mut h.spare);
        h.free = (0..h.now.slabs.len() * SLAB).rev().collect();
        let (file, size, gw) = (self.file.clone(), self.size, g.clone());
        let spawned =
            std::thread::Builder::new().name("makefs-write".into()).spawn(move || write_generation(&file, size, &gw));
        match spawned {
            Ok(writer) => h.flight = Some(Flight { generation: g, writer }),
            // No thread to be had: written here and now.
            Err(_) => {
                write_generation(&self.file, self.size, &g)?;
                if let Ok(g) = Arc::try_unwrap(g) {
                    h.spare = g.slabs;
                }
            }
        }
        Ok(())
    }
}

/// The bytes of page `page` that lie inside an image of `size` bytes.
fn page_len(size: u64, page: u64) -> usize {
    (size - page * PAGE as u64).min(PAGE as u64) as usize
}

/// Writes a generation's pages to the host, in order, runs of adjacent pages in one pwritev.
fn write_generation(file: &File, size: u64, g: &Generation) -> KResult<()> {
    let mut run: Vec<(u64, usize)> = Vec::new();
    for (&page, &slot) in &g.pages {
        if run.last().is_some_and(|(last, _)| *last + 1 != page) || run.len() == JOIN_MAX {
            write_run(file, size, g, &run)?;
            run.clear();
        }
        run.push((page, slot));
    }
    write_run(file, size, g, &run)
}

fn write_run(file: &File, size: u64, g: &Generation, run: &[(u64, usize)]) -> KResult<()> {
    let Some(&(first, _)) = run.first() else { return Ok(()) };
    let iov: Vec<libc::iovec> = run
        .iter()
        .map(|&(page, slot)| libc::iovec { iov_base: g.slot(slot).as_ptr() as *mut _, iov_len: page_len(size, page) })
        .collect();
    let mut want: usize = iov.iter().map(|v| v.iov_len).sum();
    let mut off = first * PAGE as u64;
    let (mut iov, mut skip) = (&iov[..], 0usize);
    while want > 0 {
        // A short write goes on from where it stopped.
        let mut part: Vec<libc::iovec> = iov.to_vec();
        part[0].iov_base = (part[0].iov_base as usize + skip) as *mut _;
        part[0].iov_len -= skip;
        // SAFETY: every iovec points into a slot of `g`, which is alive and unchanged for the call.
        let n = retrying(|| unsafe {
            libc::pwritev(file.as_raw_fd(), part.as_ptr(), part.len() as i32, off as i64) as i64
        })?;
        let mut n = n;
        if n == 0 {
            return Err(Errno::EIO);
        }
        want -= n;
        off += n as u64;
        while n > 0 {
            let left = iov[0].iov_len - skip;
            if n >= left {
                n -= left;
                iov = &iov[1..];
                skip = 0;
            } else {
                skip += n;
                n = 0;
            }
        }
    }
    Ok(())
}

impl BlockDevice for ImageDevice {
    fn read_at(&self, off: u64, buf: &mut [u8]) -> KResult<()> {
        kernel::dev::check_range(off, buf.len(), self.size)?;
        let h = self.held();
        let mut done = 0usize;
        while done < buf.len() {
            let at = off + done as u64;
            let (page, in_page) = (at / PAGE as u64, (at % PAGE as u64) as usize);
            let n = (PAGE - in_page).min(buf.len() - done);
            let dst = &mut buf[done..done + n];
            match h.now.page(page).or_else(|| h.in_flight(page)) {
                Some(p) => dst.copy_from_slice(&p[in_page..in_page + n]),
                None => self.file.read_exact_at(dst, at).map_err(|_| Errno::EIO)?,
            }
            done += n;
        }
        Ok(())
    }

    fn write_at(&self, off: u64, buf: &[u8]) -> KResult<()> {
        kernel::dev::check_range(off, buf.len(), self.size)?;
        let mut h = self.held();
        let mut done = 0usize;
        while done < buf.len() {
            let at = off + done as u64;
            let (page, in_page) = (at / PAGE as u64, (at % PAGE as u64) as usize);
            let n = (PAGE - in_page).min(buf.len() - done);
            let slot = match h.now.pages.get(&page) {
                Some(&slot) => slot,
                None => {
                    if h.now.pages.len() >= self.held_max {
                        self.write_back(&mut h)?;
                    }
                    let len = page_len(self.size, page);
                    let slot = h.new_slot();
                    if n < len {
                        // Part of a page: the rest as it is on the image (zeros where never written).
                        let mut old = [0u8; PAGE];
                        if let Some(p) = h.in_flight(page) {
                            old[..len].copy_from_slice(&p[..len]);
                        } else if h.was_written(page) {
                            self.file.read_exact_at(&mut old[..len], page * PAGE as u64).map_err(|_| Errno::EIO)?;
                        }
                        h.slot_mut(slot).copy_from_slice(&old);
                    }
                    h.now.pages.insert(page, slot);
                    slot
                }
            };
            h.slot_mut(slot)[in_page..in_page + n].copy_from_slice(&buf[done..done + n]);
            done += n;
        }
        Ok(())
    }

    fn size(&self) -> u64 {
        self.size
    }

    fn flush(&self) -> KResult<()> {
        let mut h = self.held();
        self.write_back(&mut h)?;
        h.land()
    }

    fn readonly(&self) -> bool {
        false
    }

    fn describe(&self) -> String {
        self.name.clone()
    }
}

impl Drop for ImageDevice {
    fn drop(&mut self) {
        // A generation still being written is waited for (its error was not asked for: the image is
        // flushed before it is used).
        let _ = self.held().land();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joined_writes_land_in_order_and_reads_see_them() {
        let path = std::env::temp_dir().join(format!("rumpjs-imagedev-{}", std::process::id()));
        let file = File::options().read(true).write(true).create(true).truncate(true).open(&path).unwrap();
        file.set_len(4 << 20).unwrap();
        let d = ImageDevice::new(file.try_clone().unwrap(), 4 << 20, "t".into());
        d.write_at(0, &[1; 512]).unwrap();
        d.write_at(512, &[2; 512]).unwrap();
        // Held back: not on the host yet, but a read through the device sees it.
        let mut host = [0u8; 4];
        file.read_exact_at(&mut host, 512).unwrap();
        assert_eq!(host, [0; 4]);
        let mut b = [0u8; 1024];
        d.read_at(0, &mut b).unwrap();
        assert!(b[..512].iter().all(|&x| x == 1) && b[512..].iter().all(|&x| x == 2));
        // A rewrite inside what was held back, then a run of pages past what one call joins, then a part
        // of a page already written to the host (read back first), and the image's last bytes.
        d.write_at(1024, &[3; 512]).unwrap();
        d.write_at(0, &[4; 16]).unwrap();
        for i in 0..3000u64 {
            d.write_at((1 << 20) + i * 512, &[(i % 251) as u8; 512]).unwrap();
        }
        d.flush().unwrap();
        d.write_at(20, &[5; 4]).unwrap();
        d.write_at((4 << 20) - 3, &[6; 3]).unwrap();
        d.flush().unwrap();
        assert_eq!(file.metadata().unwrap().len(), 4 << 20);
        let mut all = vec![0u8; 4 << 20];
        file.read_exact_at(&mut all, 0).unwrap();
        assert!(all[..16].iter().all(|&x| x == 4) && all[16..20].iter().all(|&x| x == 1));
        assert!(all[20..24].iter().all(|&x| x == 5) && all[24..512].iter().all(|&x| x == 1));
        assert!(all[(4 << 20) - 3..].iter().all(|&x| x == 6));
        assert!(all[1024..1536].iter().all(|&x| x == 3));
        for i in 0..3000usize {
            let at = (1 << 20) + i * 512;
            assert!(all[at..at + 512].iter().all(|&x| x == (i % 251) as u8), "block {i}");
        }
        drop(d);
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn pages_being_written_are_read_and_rewritten_as_the_kernel_left_them() {
        let path = std::env::temp_dir().join(format!("rumpjs-imagedev-flight-{}", std::process::id()));
        let file = File::options().read(true).write(true).create(true).truncate(true).open(&path).unwrap();
        file.set_len(1 << 20).unwrap();
        // Handed over every 4 pages: most writes below meet a generation in flight or just landed.
        let d = ImageDevice::holding(file.try_clone().unwrap(), 1 << 20, "t".into(), 4);
        let mut model = vec![0u8; 1 << 20];
        let mut x = 12345u64;
        for i in 0..4000u64 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let off = (x >> 20) % ((1 << 20) - 600);
            let len = 1 + (x >> 8) as usize % 600;
            let b = (i % 251) as u8;
            d.write_at(off, &vec![b; len]).unwrap();
            model[off as usize..off as usize + len].fill(b);
            let mut got = vec![0u8; len];
            d.read_at(off, &mut got).unwrap();
            assert!(got.iter().all(|&c| c == b), "write {i}");
            if i % 7 == 0 {
                let at = (x >> 33) % ((1 << 20) - 8192);
                let mut got = vec![0u8; 8192];
                d.read_at(at, &mut got).unwrap();
                assert_eq!(got, model[at as usize..at as usize + 8192], "read {i}");
            }
        }
        d.flush().unwrap();
        let mut all = vec![0u8; 1 << 20];
        file.read_exact_at(&mut all, 0).unwrap();
        assert!(all == model, "the image after the flush");
        drop(d);
        let _ = std::fs::remove_file(path);
    }
}
