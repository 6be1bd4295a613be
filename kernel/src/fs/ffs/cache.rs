//! The metadata buffer cache (NetBSD's buffer cache, bread/bdwrite/brelse, for inode blocks, indirect
//! blocks and directory blocks). Bounded in bytes (default 64 MiB): past the limit the least recently
//! used clean buffers go. Bulk file data does not come through here — it moves straight between the
//! caller's buffer and the device.
//!
//! Buffers are keyed by their byte offset on the device and never overlap: a buffer of another length
//! at an overlapping place first pushes out what it overlaps (written to the device if dirty when the
//! new one is read from it; simply dropped when the new one replaces the bytes, as after a directory
//! block grows from fragments to a full block). Dirty buffers stay until `flush` writes them.

use crate::dev::BlockDevice;
use crate::errno::KResult;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Default limit on cached bytes.
pub const DEFAULT_CACHE_BYTES: usize = 64 << 20;
/// Largest buffer (MAXBSIZE): how far back an overlapping buffer can start.
const MAX_BUF: u64 = 65536;

struct Buf {
    data: Arc<Vec<u8>>,
    tick: u64,
    dirty: bool,
}

#[derive(Default)]
struct Inner {
    map: BTreeMap<u64, Buf>,
    bytes: usize,
    dirty_bytes: usize,
    tick: u64,
    hits: u64,
    misses: u64,
}

/// A block cache keyed by byte offset on the device.
pub struct BlockCache {
    inner: Mutex<Inner>,
    limit: usize,
}

/// Counters for `info` and tests.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub bytes: usize,
    pub buffers: usize,
    pub hits: u64,
    pub misses: u64,
    pub limit: usize,
    pub dirty_bytes: usize,
}

impl Inner {
    /// Offsets of buffers overlapping [off, off+len).
    fn overlapping(&self, off: u64, len: usize) -> Vec<u64> {
        let end = off + len as u64;
        self.map
            .range(off.saturating_sub(MAX_BUF - 1)..end)
            .filter(|(&o, b)| o + b.data.len() as u64 > off)
            .map(|(&o, _)| o)
            .collect()
    }

    fn remove(&mut self, off: u64) -> Option<Buf> {
        let b = self.map.remove(&off)?;
        self.bytes -= b.data.len();
        if b.dirty {
            self.dirty_bytes -= b.data.len();
        }
        Some(b)
    }

    fn insert(&mut self, off: u64, b: Buf) {
        self.bytes += b.data.len();
        if b.dirty {
            self.dirty_bytes += b.data.len();
        }
        if let Some(old) = self.map.insert(off, b) {
            self.bytes -= old.data.len();
            if old.dirty {
                self.dirty_bytes -= old.data.len();
            }
        }
    }
}

impl BlockCache {
    pub fn new(limit: usize) -> BlockCache {
        BlockCache { inner: Mutex::new(Inner::default()), limit: limit.max(1 << 20) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// bread: the `len` bytes at `off`, from the cache or read from `dev`.
    pub fn read(&self, dev: &dyn BlockDevice, off: u64, len: usize) -> KResult<Arc<Vec<u8>>> {
        {
            let mut g = self.lock();
            g.tick += 1;
            let tick = g.tick;
            if let Some(b) = g.map.get_mut(&off) {
                if b.data.len() == len {
                    b.tick = tick;
                    let d = b.data.clone();
                    g.hits += 1;
                    return Ok(d);
                }
            }
            g.misses += 1;
            // Buffers of other sizes over these bytes: their contents go to the device first.
            for o in g.overlapping(off, len) {
                if let Some(b) = g.map.get(&o) {
                    if b.dirty {
                        dev.write_at(o, &b.data)?;
                    }
                }
                g.remove(o);
            }
        }
        let mut v = vec![0u8; len];
        dev.read_at(off, &mut v)?;
        let data = Arc::new(v);
        let mut g = self.lock();
        if g.overlapping(off, len).is_empty() {
            let tick = g.tick;
            g.insert(off, Buf { data: data.clone(), tick, dirty: false });
            if g.bytes > self.limit {
                Self::evict(&mut g, self.limit - self.limit / 4);
            }
        }
        Ok(data)
    }

    /// Drops least recently used clean buffers until at most `target` bytes remain.
    fn evict(g: &mut Inner, target: usize) {
        let mut order: Vec<(u64, u64)> = g.map.iter().filter(|(_, b)| !b.dirty).map(|(k, b)| (b.tick, *k)).collect();
        order.sort_unstable();
        for (_, k) in order {
            if g.bytes <= target {
                break;
            }
            g.remove(k);
        }
    }

    /// bdwrite: `data` becomes the buffer at `off` (replacing whatever cached bytes it covers) and is
    /// kept until `flush`.
    pub fn write_delayed(&self, off: u64, data: Vec<u8>) {
        let mut g = self.lock();
        for o in g.overlapping(off, data.len()) {
            g.remove(o);
        }
        g.tick += 1;
        let tick = g.tick;
        g.insert(off, Buf { data: Arc::new(data), tick, dirty: true });
    }

    /// Reads the buffer (`len` bytes at `off`), lets `f` change it in place and marks it dirty.
    pub fn modify<R>(&self, dev: &dyn BlockDevice, off: u64, len: usize, f: impl FnOnce(&mut [u8]) -> R) -> KResult<R> {
        // Make sure it is cached at this size.
        self.read(dev, off, len)?;
        let mut g = self.lock();
        let present = g.map.get(&off).is_some_and(|b| b.data.len() == len);
        if !present {
            // Evicted between the read and now (another thread filled the cache): read it again
            // outside the lock and install it as a dirty buffer.
            drop(g);
            let mut v = vec![0u8; len];
            dev.read_at(off, &mut v)?;
            let r = f(&mut v);
            self.write_delayed(off, v);
            return Ok(r);
        }
        let was_dirty = g.map.get(&off).is_some_and(|b| b.dirty);
        if !was_dirty {
            g.dirty_bytes += len;
        }
        let b = g.map.get_mut(&off).expect("present"); // ok: `present` was checked above under this lock
        b.dirty = true;
        let r = f(Arc::make_mut(&mut b.data).as_mut_slice());
        Ok(r)
    }

    /// Forgets every buffer overlapping [off, off+len), dirty or not (the space was freed).
    pub fn discard(&self, off: u64, len: usize) {
        let mut g = self.lock();
        for o in g.overlapping(off, len) {
            g.remove(o);
        }
    }

    /// Writes every dirty buffer to `dev` (in device order) and marks them clean.
    pub fn flush(&self, dev: &dyn BlockDevice) -> KResult<()> {
        let dirty: Vec<(u64, Arc<Vec<u8>>)> = {
            let g = self.lock();
            g.map.iter().filter(|(_, b)| b.dirty).map(|(k, b)| (*k, b.data.clone())).collect()
        };
        for (off, data) in &dirty {
            dev.write_at(*off, data)?;
        }
        let mut g = self.lock();
        for (off, data) in dirty {
            let mut cleaned = 0;
            if let Some(b) = g.map.get_mut(&off) {
                if Arc::ptr_eq(&b.data, &data) {
                    b.dirty = false;
                    cleaned = data.len();
                }
            }
            g.dirty_bytes -= cleaned;
        }
        if g.bytes > self.limit {
            Self::evict(&mut g, self.limit - self.limit / 4);
        }
        Ok(())
    }

    /// Whether any buffer is dirty.
    pub fn dirty_bytes(&self) -> usize {
        self.lock().dirty_bytes
    }

    /// Forget everything clean (after the device changed underneath, or at unmount).
    pub fn invalidate(&self) {
        let mut g = self.lock();
        let clean: Vec<u64> = g.map.iter().filter(|(_, b)| !b.dirty).map(|(k, _)| *k).collect();
        for k in clean {
            g.remove(k);
        }
    }

    pub fn stats(&self) -> CacheStats {
        let g = self.lock();
        CacheStats {
            bytes: g.bytes,
            buffers: g.map.len(),
            hits: g.hits,
            misses: g.misses,
            limit: self.limit,
            dirty_bytes: g.dirty_bytes,
        }
    }

    /// The limit in bytes.
    pub fn limit(&self) -> usize {
        self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dev::MemDevice;

    #[test]
    fn bounded_and_lru() {
        let dev = MemDevice::zeroed(8 << 20);
        let c = BlockCache::new(1 << 20);
        for i in 0..200u64 {
            c.read(&dev, i * 8192, 8192).unwrap();
            // Keep block 0 hot.
            c.read(&dev, 0, 8192).unwrap();
            assert!(c.stats().bytes <= 1 << 20);
        }
        let s = c.stats();
        assert!(s.hits >= 200);
        let before = c.stats().misses;
        c.read(&dev, 0, 8192).unwrap();
        assert_eq!(c.stats().misses, before, "the hot block stayed");
    }

    #[test]
    fn dirty_overlaps_and_flush() {
        let dev = MemDevice::zeroed(1 << 20);
        let c = BlockCache::new(1 << 20);
        c.modify(&dev, 4096, 1024, |b| b[0] = 7).unwrap();
        assert_eq!(c.stats().dirty_bytes, 1024);
        // A larger read over the dirty fragment sees it (written through first).
        let big = c.read(&dev, 4096, 2048).unwrap();
        assert_eq!(big[0], 7);
        assert_eq!(c.stats().dirty_bytes, 0);
        // A replacement drops what it covers.
        c.write_delayed(4096, vec![9u8; 4096]);
        c.modify(&dev, 4096, 4096, |b| b[1] = 1).unwrap();
        c.flush(&dev).unwrap();
        let mut v = [0u8; 2];
        dev.read_at(4096, &mut v).unwrap();
        assert_eq!(v, [9, 1]);
        c.modify(&dev, 8192, 512, |b| b[0] = 5).unwrap();
        c.discard(8192, 4096);
        c.flush(&dev).unwrap();
        dev.read_at(8192, &mut v).unwrap();
        assert_eq!(v, [0, 0], "a discarded buffer is not written");
    }
}
