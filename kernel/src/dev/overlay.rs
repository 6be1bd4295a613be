use super::{check_range, BlockDevice, Dev};
use crate::errno::KResult;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Granularity of the overlay's copy-on-write.
const CHUNK: u64 = 4096;

/// A writable copy-on-write view of a device: reads fall through to the base device, writes land in
/// memory. The base is never written; `commit` copies the changes into a writable device on request.
pub struct OverlayDevice {
    base: Dev,
    chunks: Mutex<BTreeMap<u64, Box<[u8]>>>,
}

impl OverlayDevice {
    pub fn new(base: Dev) -> OverlayDevice {
        OverlayDevice { base, chunks: Mutex::new(BTreeMap::new()) }
    }

    /// Bytes held in memory by changed chunks.
    pub fn dirty_bytes(&self) -> u64 {
        self.lock().len() as u64 * CHUNK
    }

    /// Write every changed chunk to `target` (normally a writable handle to the base's image).
    pub fn commit(&self, target: &dyn BlockDevice) -> KResult<()> {
        let size = self.base.size();
        for (&idx, data) in self.lock().iter() {
            let off = idx * CHUNK;
            let n = CHUNK.min(size - off) as usize;
            target.write_at(off, &data[..n])?;
        }
        target.flush()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Box<[u8]>>> {
        self.chunks.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl BlockDevice for OverlayDevice {
    fn read_at(&self, off: u64, buf: &mut [u8]) -> KResult<()> {
        let size = self.base.size();
        check_range(off, buf.len(), size)?;
        let chunks = self.lock();
        if chunks.is_empty() {
            return self.base.read_at(off, buf);
        }
        let end = off + buf.len() as u64;
        let mut pos = off;
        while pos < end {
            let idx = pos / CHUNK;
            let cend = ((idx + 1) * CHUNK).min(end);
            // Merge a run of untouched chunks into one read of the base.
            let dst = &mut buf[(pos - off) as usize..(cend - off) as usize];
            match chunks.get(&idx) {
                Some(c) => {
                    let s = (pos - idx * CHUNK) as usize;
                    dst.copy_from_slice(&c[s..s + dst.len()]);
                    pos = cend;
                }
                None => {
                    let mut run_end = cend;
                    while run_end < end && !chunks.contains_key(&(run_end / CHUNK)) {
                        run_end = ((run_end / CHUNK + 1) * CHUNK).min(end);
                    }
                    self.base.read_at(pos, &mut buf[(pos - off) as usize..(run_end - off) as usize])?;
                    pos = run_end;
                }
            }
        }
        Ok(())
    }

    fn write_at(&self, off: u64, buf: &[u8]) -> KResult<()> {
        let size = self.base.size();
        check_range(off, buf.len(), size)?;
        let mut chunks = self.lock();
        let end = off + buf.len() as u64;
        let mut pos = off;
        while pos < end {
            let idx = pos / CHUNK;
            let cend = ((idx + 1) * CHUNK).min(end);
            let c = match chunks.entry(idx) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => {
                    let mut c = vec![0u8; CHUNK as usize].into_boxed_slice();
                    let n = CHUNK.min(size - idx * CHUNK) as usize;
                    self.base.read_at(idx * CHUNK, &mut c[..n])?;
                    e.insert(c)
                }
            };
            let s = (pos - idx * CHUNK) as usize;
            c[s..s + (cend - pos) as usize].copy_from_slice(&buf[(pos - off) as usize..(cend - off) as usize]);
            pos = cend;
        }
        Ok(())
    }

    fn size(&self) -> u64 {
        self.base.size()
    }

    fn flush(&self) -> KResult<()> {
        Ok(())
    }

    fn readonly(&self) -> bool {
        false
    }

    fn describe(&self) -> String {
        format!("overlay on {}", self.base.describe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dev::MemDevice;
    use std::sync::Arc;

    #[test]
    fn writes_stay_in_the_overlay() {
        let base: Dev = Arc::new(MemDevice::new((0..20000u32).map(|i| i as u8).collect(), true));
        let ov = OverlayDevice::new(base.clone());
        ov.write_at(4090, &[0xAA; 20]).unwrap();
        ov.write_at(19990, &[0xBB; 10]).unwrap();
        let mut buf = vec![0; 20000];
        ov.read_at(0, &mut buf).unwrap();
        for (i, b) in buf.iter().enumerate() {
            let want = if (4090..4110).contains(&i) {
                0xAA
            } else if i >= 19990 {
                0xBB
            } else {
                i as u8
            };
            assert_eq!(*b, want, "byte {i}");
        }
        let mut orig = vec![0; 20000];
        base.read_at(0, &mut orig).unwrap();
        assert!(orig.iter().enumerate().all(|(i, b)| *b == i as u8));
        assert!(ov.write_at(19995, &[0; 10]).is_err());
        let target = MemDevice::new(orig, false);
        ov.commit(&target).unwrap();
        assert_eq!(target.contents(), buf);
    }
}
