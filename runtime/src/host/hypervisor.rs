//! The host side of the hypercalls: the real host (clocks, randomness, console) with the grants enforced
//! where the kernel opens a host file as a block device.

use super::grants::{Access, Grants};
use kernel::dev::{BlockDevice, Dev, HostFile};
use kernel::hyper::{Hypervisor, StdHypervisor};
use kernel::vfs::Timespec;
use kernel::{Errno, KResult};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::{Arc, Mutex, Weak};

/// The host files handed out as block devices: (device, inode), whether it writes, and the device for as
/// long as it lives. A file is attached for writing once at a time (EBUSY, as NetBSD refuses to mount a
/// device already mounted): two writers would each overwrite what the other allocated. Read-only
/// attachments beside it are let be (partitions of one disk, a look at what a session is writing).
type Attached = Vec<((u64, u64), bool, Weak<dyn BlockDevice>)>;

/// The real host with the grants enforced at the hypercall too: the kernel cannot open a host file
/// that was not granted, whatever asks it to.
pub struct HostHypervisor {
    inner: Box<dyn Hypervisor>,
    grants: Arc<Mutex<Grants>>,
    attached: Mutex<Attached>,
}

impl HostHypervisor {
    /// The real host (clocks, randomness, console on stderr when `verbose`).
    pub fn new(verbose: bool, grants: Arc<Mutex<Grants>>) -> HostHypervisor {
        HostHypervisor::with(Box::new(StdHypervisor::new(verbose)), grants)
    }

    /// Another host (e.g. the deterministic one: fixed clock, seeded randomness) behind the same grants.
    pub fn with(inner: Box<dyn Hypervisor>, grants: Arc<Mutex<Grants>>) -> HostHypervisor {
        HostHypervisor { inner, grants, attached: Mutex::new(Vec::new()) }
    }
}

impl Hypervisor for HostHypervisor {
    /// rumpuser_open of an image: opened beneath its grant; a regular file, or a host device the user
    /// named itself (never one found inside a granted directory); never attached twice for writing.
    fn open_block_device(&self, host_path: &str, readonly: bool) -> KResult<Dev> {
        use std::os::unix::fs::{FileTypeExt, MetadataExt};
        let a = self
            .grants
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .check_access(Path::new(host_path), true, !readonly)
            .map_err(|_| Errno::EACCES)?;
        let mode = if readonly { libc::O_RDONLY } else { libc::O_RDWR };
        let (file, meta) = open_checked(&a, mode, |ft| {
            let device = ft.is_block_device() || ft.is_char_device();
            if ft.is_dir() {
                Err(Errno::EISDIR)
            } else if device && !a.named() {
                Err(Errno::EACCES)
            } else if !ft.is_file() && !device {
                Err(Errno::ENOTBLK)
            } else {
                Ok(())
            }
        })?;
        let id = (meta.dev(), meta.ino());
        let mut attached = self.attached.lock().unwrap_or_else(|e| e.into_inner());
        attached.retain(|(_, _, d)| d.strong_count() > 0);
        if !readonly && attached.iter().any(|(i, w, _)| *i == id && *w) {
            return Err(Errno::EBUSY);
        }
        let dev: Dev = Arc::new(kernel::dev::FileDevice::from_file(file, &a.canon, readonly)?);
        attached.push((id, !readonly, Arc::downgrade(&dev)));
        Ok(dev)
    }

    /// rumpuser_open of a side file (an overlay's): one named with `--overlay-file`, or one beneath a
    /// grant that allows writing (made if missing); a regular file only.
    fn open_host_file(&self, host_path: &str) -> KResult<Box<dyn HostFile>> {
        let a = {
            let g = self.grants.lock().unwrap_or_else(|e| e.into_inner());
            let p = Path::new(host_path);
            g.side_file(p).map_or_else(|| g.check_access(p, false, true), Ok).map_err(|_| Errno::EACCES)?
        };
        let (file, _) =
            open_checked(
                &a,
                libc::O_RDWR | libc::O_CREAT,
                |ft| if ft.is_file() { Ok(()) } else { Err(Errno::EINVAL) },
            )?;
        Ok(Box::new(file))
    }
    fn wall_clock(&self) -> Timespec {
        self.inner.wall_clock()
    }
    fn monotonic_ns(&self) -> u64 {
        self.inner.monotonic_ns()
    }
    fn random(&self, buf: &mut [u8]) -> KResult<()> {
        self.inner.random(buf)
    }
    fn console(&self, line: &str) {
        self.inner.console(line)
    }
}

/// Opens `a` beneath its grant with `flags`, lets `check` refuse it by its type, and returns it with
/// its metadata. The open is O_NONBLOCK so a fifo where a file was expected cannot hang it; the file is
/// made blocking again once checked.
fn open_checked(
    a: &Access,
    flags: libc::c_int,
    check: impl FnOnce(&std::fs::FileType) -> KResult<()>,
) -> KResult<(std::fs::File, std::fs::Metadata)> {
    let fd = a.open(flags | libc::O_NONBLOCK).map_err(|e| crate::host::errno::host_errno(&e))?;
    let file = std::fs::File::from(fd);
    let meta = file.metadata().map_err(Errno::from)?;
    check(&meta.file_type())?;
    if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETFL, 0) } < 0 {
        return Err(Errno::EIO);
    }
    Ok((file, meta))
}
