use super::{check_range, BlockDevice};
use crate::errno::{Errno, KResult};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

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
