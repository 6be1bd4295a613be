use super::sidecar::{Sidecar, SidecarError};
use super::{check_range, BlockDevice, Dev, HostFile};
use crate::errno::KResult;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

/// Granularity of the overlay's copy-on-write.
pub const CHUNK: u64 = 4096;

/// A writable copy-on-write view of a device: reads fall through to the base device, writes land in
/// memory (and, with a sidecar file, are appended there at each flush). The base is never written;
/// `commit` copies the changes into a writable device on request.
pub struct OverlayDevice {
    base: Dev,
    chunks: Mutex<BTreeMap<u64, Box<[u8]>>>,
    sidecar: Option<Mutex<SidecarState>>,
}

struct SidecarState {
    file: Sidecar,
    /// Chunks changed since the last flush.
    unsaved: BTreeSet<u64>,
}

impl OverlayDevice {
    pub fn new(base: Dev) -> OverlayDevice {
        OverlayDevice { base, chunks: Mutex::new(BTreeMap::new()), sidecar: None }
    }

    /// An overlay whose changes are kept in the host file `file` too (opened read-write by the host;
    /// `name` says which in messages): begun when empty, else read back — it must have been made for
    /// this very base. Returns the overlay and how many chunks it read back.
    pub fn with_sidecar_file(
        base: Dev,
        file: Box<dyn HostFile>,
        name: &str,
    ) -> Result<(OverlayDevice, u64), SidecarError> {
        let loaded = Sidecar::open(file, name, base.as_ref(), CHUNK)?;
        Ok(OverlayDevice::on_sidecar(base, loaded))
    }

    fn on_sidecar(base: Dev, (file, loaded): (Sidecar, super::sidecar::Loaded)) -> (OverlayDevice, u64) {
        let n = loaded.chunks.len() as u64;
        let state = SidecarState { file, unsaved: BTreeSet::new() };
        (OverlayDevice { base, chunks: Mutex::new(loaded.chunks), sidecar: Some(Mutex::new(state)) }, n)
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
            if let Some(sc) = &self.sidecar {
                sc.lock().unwrap_or_else(|e| e.into_inner()).unsaved.insert(idx);
            }
            pos = cend;
        }
        Ok(())
    }

    fn size(&self) -> u64 {
        self.base.size()
    }

    /// With a sidecar: the chunks changed since the last flush are appended to it and it is synced.
    fn flush(&self) -> KResult<()> {
        let Some(sc) = &self.sidecar else { return Ok(()) };
        // Locks in write_at's order: the chunks, then the sidecar.
        let chunks = self.lock();
        let mut st = sc.lock().unwrap_or_else(|e| e.into_inner());
        if st.unsaved.is_empty() {
            return Ok(());
        }
        let size = self.base.size();
        let unsaved = std::mem::take(&mut st.unsaved);
        let r = st.file.append(unsaved.iter().filter_map(|idx| {
            let n = CHUNK.min(size - idx * CHUNK) as usize;
            chunks.get(idx).map(|c| (*idx, &c[..n]))
        }));
        if r.is_err() {
            st.unsaved = unsaved; // tried again at the next flush
        }
        r
    }

    fn readonly(&self) -> bool {
        false
    }

    fn describe(&self) -> String {
        match &self.sidecar {
            Some(sc) => format!(
                "overlay on {} kept in {}",
                self.base.describe(),
                sc.lock().unwrap_or_else(|e| e.into_inner()).file.name()
            ),
            None => format!("overlay on {}", self.base.describe()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dev::{MemDevice, MemFile};
    use std::sync::Arc;

    fn with_sidecar(base: Dev, f: &MemFile) -> Result<(OverlayDevice, u64), SidecarError> {
        OverlayDevice::with_sidecar_file(base, Box::new(f.clone()), "overlay")
    }

    #[test]
    fn a_sidecar_keeps_flushed_changes_across_sessions_and_commits_them() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7) as u8).collect();
        let base: Dev = Arc::new(MemDevice::new(data.clone(), true));
        let path = MemFile::default();
        let (ov, n) = with_sidecar(base.clone(), &path).unwrap();
        assert_eq!(n, 0);
        ov.write_at(5000, b"first").unwrap();
        ov.write_at(299_998, b"zz").unwrap(); // the short last chunk
        ov.flush().unwrap();
        ov.write_at(5000, b"FIRST").unwrap();
        ov.write_at(200_000, b"not flushed").unwrap();
        drop(ov);
        // A second session sees what was flushed, not what was not.
        let (ov, n) = with_sidecar(base.clone(), &path).unwrap();
        assert_eq!(n, 2);
        let mut b = [0u8; 5];
        ov.read_at(5000, &mut b).unwrap();
        assert_eq!(&b, b"first");
        let mut b = [0u8; 11];
        ov.read_at(200_000, &mut b).unwrap();
        assert_eq!(&b[..], &data[200_000..200_011]);
        ov.write_at(5000, b"third").unwrap();
        ov.flush().unwrap();
        drop(ov);
        // A torn tail (a crash in the middle of an append) is dropped; what came before stays.
        let len = path.size().unwrap();
        let mut torn = path.contents();
        torn.extend_from_slice(b"RCHK\0\x10\0\0garbage");
        path.set_contents(torn);
        let (ov, _) = with_sidecar(base.clone(), &path).unwrap();
        assert_eq!(path.size().unwrap(), len, "the torn tail was cut");
        drop(ov);
        // Commit: the last version of each chunk lands in the image; the base itself was never written.
        let target = MemDevice::new(data.clone(), false);
        let c = super::super::sidecar::commit(&path, "overlay", &target, CHUNK).unwrap();
        assert_eq!(c.chunks, 2);
        let mut want = data.clone();
        want[5000..5005].copy_from_slice(b"third");
        want[299_998..].copy_from_slice(b"zz");
        assert!(target.contents() == want);
        let mut orig = vec![0u8; data.len()];
        base.read_at(0, &mut orig).unwrap();
        assert!(orig == data);
        // Once committed the image changed: the sidecar no longer fits it.
        let e = super::super::sidecar::commit(&path, "overlay", &target, CHUNK).err().unwrap();
        assert!(e.0.contains("another image"), "{e}");
    }

    #[test]
    fn a_sidecar_refuses_another_image_and_a_file_that_is_not_one() {
        let a: Dev = Arc::new(MemDevice::new(vec![1u8; 100_000], true));
        let b: Dev = Arc::new(MemDevice::new(vec![2u8; 100_000], true));
        let c: Dev = Arc::new(MemDevice::new(vec![1u8; 90_000], true));
        let path = MemFile::default();
        let (ov, _) = with_sidecar(a.clone(), &path).unwrap();
        drop(ov);
        let e = with_sidecar(b, &path).err().unwrap();
        assert!(e.0.contains("another image"), "{e}");
        let e = with_sidecar(c, &path).err().unwrap();
        assert!(e.0.contains("100000 bytes"), "{e}");
        path.set_contents(b"something else entirely, long enough for a header".to_vec());
        let e = with_sidecar(a, &path).err().unwrap();
        assert!(e.0.contains("bad magic"), "{e}");
    }

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
