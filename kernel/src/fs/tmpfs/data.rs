//! Sparse file contents in pages: holes cost nothing, growing by truncate costs nothing.

use std::collections::BTreeMap;

pub const PAGE: u64 = 4096;

#[derive(Default)]
pub struct FileData {
    pub size: u64,
    pages: BTreeMap<u64, Box<[u8]>>,
}

impl FileData {
    /// Pages held in memory.
    pub fn pages(&self) -> u64 {
        self.pages.len() as u64
    }

    /// Reads at `off`; bytes in holes are zeros. Returns the count read (0 at or past the end).
    pub fn read(&self, off: u64, buf: &mut [u8]) -> usize {
        if off >= self.size {
            return 0;
        }
        let n = (self.size - off).min(buf.len() as u64) as usize;
        let buf = &mut buf[..n];
        buf.fill(0);
        let end = off + n as u64;
        for (&idx, page) in self.pages.range(off / PAGE..end.div_ceil(PAGE)) {
            let pstart = idx * PAGE;
            let s = off.max(pstart);
            let e = end.min(pstart + PAGE);
            buf[(s - off) as usize..(e - off) as usize]
                .copy_from_slice(&page[(s - pstart) as usize..(e - pstart) as usize]);
        }
        n
    }

    /// Pages a write at `off` of `len` bytes would add.
    pub fn pages_needed(&self, off: u64, len: usize) -> u64 {
        if len == 0 {
            return 0;
        }
        let end = off + len as u64;
        (off / PAGE..end.div_ceil(PAGE)).filter(|i| !self.pages.contains_key(i)).count() as u64
    }

    /// Writes `buf` at `off`, growing the file.
    pub fn write(&mut self, off: u64, buf: &[u8]) {
        let end = off + buf.len() as u64;
        let mut pos = off;
        while pos < end {
            let idx = pos / PAGE;
            let pstart = idx * PAGE;
            let e = end.min(pstart + PAGE);
            let page = self.pages.entry(idx).or_insert_with(|| vec![0u8; PAGE as usize].into_boxed_slice());
            page[(pos - pstart) as usize..(e - pstart) as usize]
                .copy_from_slice(&buf[(pos - off) as usize..(e - off) as usize]);
            pos = e;
        }
        self.size = self.size.max(end);
    }

    /// Sets the size: shrinking drops pages past the end and zeroes the tail of the last one;
    /// growing only changes the size (a hole).
    pub fn truncate(&mut self, size: u64) {
        if size < self.size {
            let keep = size.div_ceil(PAGE);
            self.pages.split_off(&keep);
            if !size.is_multiple_of(PAGE) {
                if let Some(p) = self.pages.get_mut(&(size / PAGE)) {
                    p[(size % PAGE) as usize..].fill(0);
                }
            }
        }
        self.size = size;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holes_and_truncate() {
        let mut d = FileData::default();
        d.write(10_000, b"hello");
        assert_eq!(d.size, 10_005);
        assert_eq!(d.pages(), 1);
        let mut buf = vec![1u8; 20_000];
        assert_eq!(d.read(0, &mut buf), 10_005);
        assert!(buf[..10_000].iter().all(|&b| b == 0));
        assert_eq!(&buf[10_000..10_005], b"hello");
        d.truncate(10_002);
        d.truncate(1 << 40);
        assert_eq!(d.pages(), 1);
        let mut b = [9u8; 5];
        assert_eq!(d.read(10_000, &mut b), 5);
        assert_eq!(&b, b"he\0\0\0");
        d.truncate(0);
        assert_eq!(d.pages(), 0);
    }
}
