use super::{check_range, BlockDevice};
use crate::errno::{Errno, KResult};
use std::sync::RwLock;

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
