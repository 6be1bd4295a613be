//! The image file as the disk makefs writes: no fsync at every flush (the image is a file being made, as
//! makefs writes it; the host's page cache holds it), and writes held back in 4 KiB pages, handed to the
//! host in order, adjacent pages in one call. The kernel writes a small file's data, inode and directory
//! entry each where they belong, spread over the cylinder groups; the host sees some ten thousand writes
//! of up to 4 MiB instead of one or two a file.

use crate::host::host_fs::retrying;
use kernel::dev::BlockDevice;
use kernel::{Errno, KResult};
use std::collections::BTreeMap;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::sync::{Mutex, MutexGuard};

const PAGE: usize = 4 << 10;
/// Pages held back at the most (128 MiB) before all are written.
const HELD_MAX: usize = 32 << 10;
/// Pages joined into one write at the most (IOV_MAX iovecs of one pwritev).
const JOIN_MAX: usize = 1024;

pub(super) struct ImageDevice {
    file: File,
    size: u64,
    name: String,
    held: Mutex<Held>,
}

#[derive(Default)]
struct Held {
    /// Page number → its bytes as the kernel last wrote them.
    pages: BTreeMap<u64, Box<[u8]>>,
    /// A bit a page: set once the page was written to the host. The image starts as zeros, so a page
    /// never written needs no read before part of it is changed.
    written: Vec<u64>,
    /// Pages' buffers written back, to hold the next pages in (no allocator and page-fault cost for
    /// each of the image's pages; never more than the pages held at the most).
    spare: Vec<Box<[u8]>>,
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
}

impl ImageDevice {
    /// The image `file` of `size` bytes, all zeros.
    pub(super) fn new(file: File, size: u64, name: String) -> ImageDevice {
        ImageDevice { file, size, name, held: Mutex::new(Held::default()) }
    }

    fn held(&self) -> MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The bytes of page `page` that lie inside the image.
    fn page_len(&self, page: u64) -> usize {
        (self.size - page * PAGE as u64).min(PAGE as u64) as usize
    }

    /// Writes every held page to the host, in order, runs of adjacent pages in one pwritev.
    fn write_back(&self, h: &mut Held) -> KResult<()> {
        let pages = std::mem::take(&mut h.pages);
        let mut run: Vec<(u64, Box<[u8]>)> = Vec::new();
        for (page, data) in pages {
            if run.last().is_some_and(|(last, _)| *last + 1 != page) || run.len() == JOIN_MAX {
                self.write_run(h, &mut run)?;
            }
            run.push((page, data));
        }
        self.write_run(h, &mut run)
    }

    fn write_run(&self, h: &mut Held, run: &mut Vec<(u64, Box<[u8]>)>) -> KResult<()> {
        let Some(&(first, _)) = run.first() else { return Ok(()) };
        let iov: Vec<libc::iovec> = run
            .iter()
            .map(|(page, data)| libc::iovec { iov_base: data.as_ptr() as *mut _, iov_len: self.page_len(*page) })
            .collect();
        let mut want: usize = iov.iter().map(|v| v.iov_len).sum();
        let mut off = first * PAGE as u64;
        let (mut iov, mut skip) = (&iov[..], 0usize);
        while want > 0 {
            // A short write goes on from where it stopped.
            let mut part: Vec<libc::iovec> = iov.to_vec();
            part[0].iov_base = (part[0].iov_base as usize + skip) as *mut _;
            part[0].iov_len -= skip;
            // SAFETY: every iovec points into a page held in `run`, alive for the call.
            let n = retrying(|| unsafe {
                libc::pwritev(self.file.as_raw_fd(), part.as_ptr(), part.len() as i32, off as i64) as i64
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
        for (page, data) in run.drain(..) {
            h.mark_written(page);
            h.spare.push(data);
        }
        Ok(())
    }
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
            match h.pages.get(&page) {
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
            if !h.pages.contains_key(&page) {
                if h.pages.len() >= HELD_MAX {
                    self.write_back(&mut h)?;
                }
                let len = self.page_len(page);
                let mut p = h.spare.pop().unwrap_or_else(|| vec![0u8; PAGE].into_boxed_slice());
                if h.was_written(page) && n < len {
                    self.file.read_exact_at(&mut p[..len], page * PAGE as u64).map_err(|_| Errno::EIO)?;
                } else if n < len {
                    p.fill(0);
                }
                h.pages.insert(page, p);
            }
            if let Some(p) = h.pages.get_mut(&page) {
                p[in_page..in_page + n].copy_from_slice(&buf[done..done + n]);
            }
            done += n;
        }
        Ok(())
    }

    fn size(&self) -> u64 {
        self.size
    }

    fn flush(&self) -> KResult<()> {
        let mut h = self.held();
        self.write_back(&mut h)
    }

    fn readonly(&self) -> bool {
        false
    }

    fn describe(&self) -> String {
        self.name.clone()
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
}
