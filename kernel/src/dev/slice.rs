use super::{check_range, BlockDevice, Dev};
use crate::errno::{Errno, KResult};

/// A window (offset, length) onto another device: a partition.
pub struct SliceDevice {
    inner: Dev,
    offset: u64,
    len: u64,
    name: String,
}

impl SliceDevice {
    /// EINVAL if the window does not lie inside the device.
    pub fn new(inner: Dev, offset: u64, len: u64, name: &str) -> KResult<SliceDevice> {
        match offset.checked_add(len) {
            Some(end) if end <= inner.size() => Ok(SliceDevice { inner, offset, len, name: name.to_string() }),
            _ => Err(Errno::EINVAL),
        }
    }

    pub fn offset(&self) -> u64 {
        self.offset
    }
}

impl BlockDevice for SliceDevice {
    fn read_at(&self, off: u64, buf: &mut [u8]) -> KResult<()> {
        check_range(off, buf.len(), self.len)?;
        self.inner.read_at(self.offset + off, buf)
    }

    fn write_at(&self, off: u64, buf: &[u8]) -> KResult<()> {
        check_range(off, buf.len(), self.len)?;
        self.inner.write_at(self.offset + off, buf)
    }

    fn size(&self) -> u64 {
        self.len
    }

    fn flush(&self) -> KResult<()> {
        self.inner.flush()
    }

    fn readonly(&self) -> bool {
        self.inner.readonly()
    }

    fn describe(&self) -> String {
        format!("{} of {} (offset {}, {} bytes)", self.name, self.inner.describe(), self.offset, self.len)
    }
}
