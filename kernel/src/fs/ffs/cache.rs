//! The metadata buffer cache (NetBSD's buffer cache, bread/brelse, for inode blocks, indirect blocks and
//! directory blocks). Bounded in bytes (default 64 MiB): past the limit the least recently used clean
//! buffers go. Bulk file data does not come through here — it is read straight into the caller's buffer.
//!
//! Dirty tracking is here for the write side: a buffer marked dirty stays until `flush` writes it.

use crate::dev::BlockDevice;
use crate::errno::KResult;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Default limit on cached bytes.
pub const DEFAULT_CACHE_BYTES: usize = 64 << 20;

struct Buf {
    data: Arc<Vec<u8>>,
    tick: u64,
    dirty: bool,
}

#[derive(Default)]
struct Inner {
    map: HashMap<(u64, u32), Buf>,
    bytes: usize,
    tick: u64,
    hits: u64,
    misses: u64,
}

/// A block cache keyed by (byte offset on the device, length).
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
        let key = (off, len as u32);
        {
            let mut g = self.lock();
            g.tick += 1;
            let tick = g.tick;
            if let Some(b) = g.map.get_mut(&key) {
                b.tick = tick;
                let d = b.data.clone();
                g.hits += 1;
                return Ok(d);
            }
            g.misses += 1;
        }
        let mut v = vec![0u8; len];
        dev.read_at(off, &mut v)?;
        let data = Arc::new(v);
        let mut g = self.lock();
        let tick = g.tick;
        if g.map.insert(key, Buf { data: data.clone(), tick, dirty: false }).is_none() {
            g.bytes += len;
        }
        if g.bytes > self.limit {
            Self::evict(&mut g, self.limit - self.limit / 4);
        }
        Ok(data)
    }

    /// Drops least recently used clean buffers until at most `target` bytes remain.
    fn evict(g: &mut Inner, target: usize) {
        let mut order: Vec<(u64, (u64, u32))> =
            g.map.iter().filter(|(_, b)| !b.dirty).map(|(k, b)| (b.tick, *k)).collect();
        order.sort_unstable();
        for (_, k) in order {
            if g.bytes <= target {
                break;
            }
            if let Some(b) = g.map.remove(&k) {
                g.bytes -= b.data.len();
            }
        }
    }

    /// bdwrite: replace the buffer at (`off`, its length) with `data` and keep it until `flush`.
    pub fn write_delayed(&self, off: u64, data: Vec<u8>) {
        let len = data.len();
        let mut g = self.lock();
        g.tick += 1;
        let tick = g.tick;
        if let Some(old) = g.map.insert((off, len as u32), Buf { data: Arc::new(data), tick, dirty: true }) {
            g.bytes -= old.data.len();
        }
        g.bytes += len;
    }

    /// Writes every dirty buffer to `dev` (in device order) and marks them clean.
    pub fn flush(&self, dev: &dyn BlockDevice) -> KResult<()> {
        let dirty: Vec<(u64, Arc<Vec<u8>>)> = {
            let g = self.lock();
            let mut v: Vec<_> = g.map.iter().filter(|(_, b)| b.dirty).map(|(k, b)| (k.0, b.data.clone())).collect();
            v.sort_unstable_by_key(|(o, _)| *o);
            v
        };
        for (off, data) in &dirty {
            dev.write_at(*off, data)?;
        }
        let mut g = self.lock();
        for (off, data) in dirty {
            if let Some(b) = g.map.get_mut(&(off, data.len() as u32)) {
                if Arc::ptr_eq(&b.data, &data) {
                    b.dirty = false;
                }
            }
        }
        Ok(())
    }

    /// Forget everything clean (after the device changed underneath, or at unmount).
    pub fn invalidate(&self) {
        let mut g = self.lock();
        g.map.retain(|_, b| b.dirty);
        g.bytes = g.map.values().map(|b| b.data.len()).sum();
    }

    pub fn stats(&self) -> CacheStats {
        let g = self.lock();
        CacheStats { bytes: g.bytes, buffers: g.map.len(), hits: g.hits, misses: g.misses, limit: self.limit }
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
}
