use super::{check_range, BlockDevice, HostFile};
use crate::errno::{Errno, KResult};
use std::sync::{Arc, Mutex, RwLock};

/// A device in memory (tests, the demo image once decompressed, scratch disks).
pub struct MemDevice {
    data: RwLock<Vec<u8>>,
    readonly: bool,
}

impl MemDevice {
    pub fn new(data: Vec<u8>, readonly: bool) -> MemDevice {
        MemDevice { data: RwLock::new(data), readonly }
    }

    pub fn zeroed(size: usize) -> MemDevice {
        MemDevice::new(vec![0; size], false)
    }

    /// A copy of the contents.
    pub fn contents(&self) -> Vec<u8> {
        self.data.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl BlockDevice for MemDevice {
    fn read_at(&self, off: u64, buf: &mut [u8]) -> KResult<()> {
        let data = self.data.read().unwrap_or_else(|e| e.into_inner());
        check_range(off, buf.len(), data.len() as u64)?;
        let off = off as usize;
        buf.copy_from_slice(&data[off..off + buf.len()]);
        Ok(())
    }

    fn write_at(&self, off: u64, buf: &[u8]) -> KResult<()> {
        if self.readonly {
            return Err(Errno::EROFS);
        }
        let mut data = self.data.write().unwrap_or_else(|e| e.into_inner());
        check_range(off, buf.len(), data.len() as u64)?;
        let off = off as usize;
        data[off..off + buf.len()].copy_from_slice(buf);
        Ok(())
    }

    fn size(&self) -> u64 {
        self.data.read().unwrap_or_else(|e| e.into_inner()).len() as u64
    }

    fn flush(&self) -> KResult<()> {
        Ok(())
    }

    fn readonly(&self) -> bool {
        self.readonly
    }

    fn describe(&self) -> String {
        format!("memory, {} bytes{}", self.size(), if self.readonly { " (ro)" } else { "" })
    }
}

/// A side file in memory (an overlay's changes kept by an embedder without files, and tests): clones
/// share the bytes, as two opens of one host file do.
#[derive(Clone, Default)]
pub struct MemFile(Arc<Mutex<Vec<u8>>>);

impl MemFile {
    fn bytes(&self) -> std::sync::MutexGuard<'_, Vec<u8>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of the contents.
    pub fn contents(&self) -> Vec<u8> {
        self.bytes().clone()
    }

    /// Replaces the contents.
    pub fn set_contents(&self, data: Vec<u8>) {
        *self.bytes() = data;
    }
}

impl HostFile for MemFile {
    fn read_at(&self, off: u64, buf: &mut [u8]) -> KResult<usize> {
        let b = self.bytes();
        let start = (off.min(b.len() as u64)) as usize;
        let n = buf.len().min(b.len() - start);
        buf[..n].copy_from_slice(&b[start..start + n]);
        Ok(n)
    }

    fn write_at(&self, off: u64, buf: &[u8]) -> KResult<()> {
        let mut b = self.bytes();
        let end = off.checked_add(buf.len() as u64).ok_or(Errno::EFBIG)?;
        let end = usize::try_from(end).map_err(|_| Errno::EFBIG)?;
        if b.len() < end {
            b.resize(end, 0);
        }
        b[end - buf.len()..end].copy_from_slice(buf);
        Ok(())
    }

    fn size(&self) -> KResult<u64> {
        Ok(self.bytes().len() as u64)
    }

    fn truncate(&self, len: u64) -> KResult<()> {
        self.bytes().resize(usize::try_from(len).map_err(|_| Errno::EFBIG)?, 0);
        Ok(())
    }

    fn sync(&self) -> KResult<()> {
        Ok(())
    }
}
