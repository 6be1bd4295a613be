//! Block devices: the kernel's view of disks. A host file (opened by the hypervisor), memory, a slice of
//! another device (a partition), and a copy-on-write overlay, whose changes may be kept in a host file.

mod mem;
pub(crate) mod overlay;
pub mod part;
pub mod sidecar;
mod slice;

#[cfg(unix)]
pub use crate::std_host::FileDevice;
pub use mem::{MemDevice, MemFile};
pub use overlay::{OverlayDevice, CHUNK};
pub use slice::SliceDevice;

use crate::errno::{Errno, KResult};
use std::sync::Arc;

/// Sector size every device reports (DEV_BSIZE).
pub const DEV_BSIZE: u64 = 512;

/// A random-access device of fixed size. Reads and writes are positioned and whole: a short transfer is
/// an error (EIO), never a partial result.
pub trait BlockDevice: Send + Sync {
    /// Read `buf.len()` bytes at `off`. Reading past the end is EIO.
    fn read_at(&self, off: u64, buf: &mut [u8]) -> KResult<()>;
    /// Write `buf` at `off`. EROFS on a read-only device; past the end is EIO.
    fn write_at(&self, off: u64, buf: &[u8]) -> KResult<()>;
    /// Size in bytes.
    fn size(&self) -> u64;
    /// Make written bytes durable.
    fn flush(&self) -> KResult<()>;
    /// Whether writes are refused.
    fn readonly(&self) -> bool;
    /// A short description for logs ("file /tmp/x.img (ro)").
    fn describe(&self) -> String;
}

/// Checks that `[off, off+len)` lies inside a device of `size` bytes.
pub fn check_range(off: u64, len: usize, size: u64) -> KResult<()> {
    match off.checked_add(len as u64) {
        Some(end) if end <= size => Ok(()),
        _ => Err(Errno::EIO),
    }
}

/// Shared handle to a device.
pub type Dev = Arc<dyn BlockDevice>;

/// A host file the kernel keeps bytes in (an overlay's changes), opened by the host: positioned reads
/// and writes, its length, and a sync (rumpuser's file hypercalls).
pub trait HostFile: Send {
    /// Reads at `off` into `buf`; the bytes read (fewer only at the end of the file).
    fn read_at(&self, off: u64, buf: &mut [u8]) -> KResult<usize>;
    /// Writes all of `buf` at `off`.
    fn write_at(&self, off: u64, buf: &[u8]) -> KResult<()>;
    /// Its size in bytes.
    fn size(&self) -> KResult<u64>;
    /// Cuts or extends it to `len` bytes.
    fn truncate(&self, len: u64) -> KResult<()>;
    /// Makes what was written durable.
    fn sync(&self) -> KResult<()>;
}
