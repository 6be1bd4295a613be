//! The host as std and Unix give it: the one module of the kernel crate that calls its host directly.
//! [`StdHypervisor`] (clocks, the OS's randomness, the console on stderr), host files as block devices
//! ([`FileDevice`]), and host files as the kernel's side files ([`HostFile`] for `std::fs::File`: an
//! overlay's changes). Everything else in the kernel reaches the host only through
//! [`Hypervisor`](crate::hyper::Hypervisor), so the crate builds for targets without std's files and
//! clocks (wasm32-unknown-unknown), where the embedder brings a hypervisor of its own.

use crate::dev::overlay::{OverlayDevice, CHUNK};
use crate::dev::sidecar::{self, Committed, SidecarError};
use crate::dev::{check_range, BlockDevice, Dev, HostFile};
use crate::errno::{Errno, KResult};
use crate::hyper::Hypervisor;
use crate::vfs::types::Timespec;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The real host: host files, the system clocks, OS randomness; console lines go to stderr when verbose.
pub struct StdHypervisor {
    start: Instant,
    verbose: bool,
}

impl StdHypervisor {
    pub fn new(verbose: bool) -> StdHypervisor {
        StdHypervisor { start: Instant::now(), verbose }
    }
}

impl Hypervisor for StdHypervisor {
    fn open_block_device(&self, host_path: &str, readonly: bool) -> KResult<Dev> {
        Ok(Arc::new(FileDevice::open(Path::new(host_path), readonly)?))
    }

    fn open_host_file(&self, host_path: &str) -> KResult<Box<dyn HostFile>> {
        open_host_file(Path::new(host_path))
    }

    fn wall_clock(&self) -> Timespec {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => Timespec::new(d.as_secs() as i64, d.subsec_nanos()),
            Err(_) => Timespec::default(),
        }
    }

    fn monotonic_ns(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }

    fn random(&self, buf: &mut [u8]) -> KResult<()> {
        // The OS's generator, or an error: generation numbers and /dev/random never come from a
        // guessable stream without anyone knowing.
        getrandom::fill(buf).map_err(|_| Errno::EIO)
    }

    fn console(&self, line: &str) {
        if self.verbose {
            eprintln!("{line}");
        }
    }
}

/// A host file as a disk (rumpuser's block device hypercalls). Opened read-only at the host level when
/// the device is read-only, so a read-only mount cannot write a byte of its image.
pub struct FileDevice {
    file: File,
    size: u64,
    readonly: bool,
    path: PathBuf,
}

impl FileDevice {
    pub fn open(path: &Path, readonly: bool) -> KResult<FileDevice> {
        let file = std::fs::OpenOptions::new().read(true).write(!readonly).open(path)?;
        FileDevice::from_file(file, path, readonly)
    }

    /// A file the host opened itself (read-write unless `readonly`); `path` names it in logs.
    pub fn from_file(file: File, path: &Path, readonly: bool) -> KResult<FileDevice> {
        let meta = file.metadata()?;
        if meta.is_dir() {
            return Err(Errno::EISDIR);
        }
        let size = if meta.file_type().is_file() {
            meta.len()
        } else {
            // A host block device: its length is where seeking to the end lands.
            use std::io::{Seek, SeekFrom};
            (&file).seek(SeekFrom::End(0))?
        };
        Ok(FileDevice { file, size, readonly, path: path.to_path_buf() })
    }
}

impl BlockDevice for FileDevice {
    fn read_at(&self, off: u64, buf: &mut [u8]) -> KResult<()> {
        check_range(off, buf.len(), self.size)?;
        self.file.read_exact_at(buf, off).map_err(|_| Errno::EIO)
    }

    fn write_at(&self, off: u64, buf: &[u8]) -> KResult<()> {
        if self.readonly {
            return Err(Errno::EROFS);
        }
        check_range(off, buf.len(), self.size)?;
        self.file.write_all_at(buf, off).map_err(|_| Errno::EIO)
    }

    fn size(&self) -> u64 {
        self.size
    }

    fn flush(&self) -> KResult<()> {
        if self.readonly {
            return Ok(());
        }
        self.file.sync_data().map_err(|_| Errno::EIO)
    }

    fn readonly(&self) -> bool {
        self.readonly
    }

    fn describe(&self) -> String {
        format!("{}{}", self.path.display(), if self.readonly { " (ro)" } else { "" })
    }
}

/// A host file opened as a block device (read-only at the host level when `readonly`).
pub fn open_file_device(path: &Path, readonly: bool) -> KResult<Dev> {
    Ok(Arc::new(FileDevice::open(path, readonly)?))
}

impl HostFile for File {
    fn read_at(&self, off: u64, buf: &mut [u8]) -> KResult<usize> {
        FileExt::read_at(self, buf, off).map_err(|_| Errno::EIO)
    }

    fn write_at(&self, off: u64, buf: &[u8]) -> KResult<()> {
        FileExt::write_all_at(self, buf, off).map_err(|_| Errno::EIO)
    }

    fn size(&self) -> KResult<u64> {
        Ok(self.metadata()?.len())
    }

    fn truncate(&self, len: u64) -> KResult<()> {
        File::set_len(self, len).map_err(|_| Errno::EIO)
    }

    fn sync(&self) -> KResult<()> {
        self.sync_data().map_err(|_| Errno::EIO)
    }
}

/// A regular host file opened for reading and writing, made if missing (an overlay's side file).
pub fn open_host_file(path: &Path) -> KResult<Box<dyn HostFile>> {
    let file = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)?;
    if !file.metadata()?.is_file() {
        return Err(Errno::EINVAL);
    }
    Ok(Box::new(file))
}

impl OverlayDevice {
    /// An overlay whose changes are kept in the host file `path` too: made when missing, else read back
    /// (it must have been made for this base). Returns the overlay and how many chunks were read back.
    pub fn with_sidecar(base: Dev, path: &Path) -> Result<(OverlayDevice, u64), SidecarError> {
        let file = open_host_file(path)
            .map_err(|e| SidecarError(format!("overlay file {}: {}", path.display(), e.message())))?;
        OverlayDevice::with_sidecar_file(base, file, &path.display().to_string())
    }
}

/// Writes the changes the overlay file at `path` holds into `target` (see [`sidecar::commit`]).
pub fn commit_sidecar(path: &Path, target: &dyn BlockDevice) -> Result<Committed, SidecarError> {
    let file = File::open(path).map_err(|e| SidecarError(format!("overlay file {}: {e}", path.display())))?;
    sidecar::commit(&file, &path.display().to_string(), target, CHUNK)
}
