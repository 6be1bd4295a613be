//! Open files (NetBSD `struct file`) and the per-process descriptor table (`struct filedesc`).

use super::types::*;
use super::Vnode;
use crate::dev::Dev;
use crate::errno::{Errno, KResult};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

/// Most descriptors one process may hold (RLIMIT_NOFILE).
pub const MAXFILES: usize = 4096;

/// What reads and writes of an open file reach.
pub(crate) enum Backing {
    /// The vnode's file system (regular files, directories, links opened with O_PATH-like intent).
    Vnode,
    /// A block device from the device switch.
    Block(Dev),
    /// A character device's driver from the device switch.
    Char(&'static dyn super::devsw::CharDev),
    /// One end of a fifo.
    Fifo(super::fifo::FifoEnd),
}

/// An open file: shared by descriptors made with dup, each with its own close-on-exec flag.
pub struct OpenFile {
    pub vnode: Vnode,
    pub vtype: VType,
    flags: AtomicU32,
    pub(crate) offset: Mutex<u64>,
    pub(crate) backing: Backing,
}

impl OpenFile {
    pub(crate) fn new(vnode: Vnode, vtype: VType, flags: u32, backing: Backing) -> OpenFile {
        let f = OpenFile { vnode, vtype, flags: AtomicU32::new(flags), offset: Mutex::new(0), backing };
        if f.counts_as_writer() {
            f.vnode.mount.add_writer();
        }
        f
    }

    /// Open for writing on its mount (what keeps `mount -u -r` from succeeding).
    fn counts_as_writer(&self) -> bool {
        self.writable() && matches!(self.backing, Backing::Vnode)
    }

    /// The O_* flags the file was opened with (as F_GETFL shows them).
    pub fn flags(&self) -> u32 {
        self.flags.load(Ordering::Relaxed)
    }

    pub(crate) fn set_flags(&self, f: u32) {
        self.flags.store(f, Ordering::Relaxed)
    }

    pub fn readable(&self) -> bool {
        self.flags() & O_ACCMODE != O_WRONLY
    }

    pub fn writable(&self) -> bool {
        matches!(self.flags() & O_ACCMODE, O_WRONLY | O_RDWR)
    }

    pub(crate) fn lock_offset(&self) -> std::sync::MutexGuard<'_, u64> {
        self.offset.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn offset(&self) -> u64 {
        *self.lock_offset()
    }
}

impl Drop for OpenFile {
    fn drop(&mut self) {
        if self.counts_as_writer() {
            self.vnode.mount.drop_writer();
        }
    }
}

/// One directory entry as `readdir` returns it to callers of the kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEnt {
    pub ino: Ino,
    pub name: Vec<u8>,
    pub dtype: u8,
}

#[derive(Clone)]
pub(crate) struct FdEntry {
    pub file: Arc<OpenFile>,
    pub cloexec: bool,
}

/// The descriptor table: the lowest free slot is used first, as POSIX requires.
#[derive(Default, Clone)]
pub(crate) struct FdTable {
    slots: Vec<Option<FdEntry>>,
}

impl FdTable {
    pub fn get(&self, fd: i32) -> KResult<&FdEntry> {
        if fd < 0 {
            return Err(Errno::EBADF);
        }
        self.slots.get(fd as usize).and_then(|s| s.as_ref()).ok_or(Errno::EBADF)
    }

    pub fn get_mut(&mut self, fd: i32) -> KResult<&mut FdEntry> {
        if fd < 0 {
            return Err(Errno::EBADF);
        }
        self.slots.get_mut(fd as usize).and_then(|s| s.as_mut()).ok_or(Errno::EBADF)
    }

    /// fd_alloc: the lowest free descriptor at or above `min`.
    pub fn alloc(&mut self, entry: FdEntry, min: usize) -> KResult<i32> {
        let start = min.min(self.slots.len());
        let idx = match self.slots[start..].iter().position(|s| s.is_none()) {
            Some(i) => start + i,
            None => self.slots.len().max(min),
        };
        if idx >= MAXFILES {
            return Err(Errno::EMFILE);
        }
        if idx >= self.slots.len() {
            self.slots.resize(idx + 1, None);
        }
        self.slots[idx] = Some(entry);
        Ok(idx as i32)
    }

    /// Puts `entry` at `fd`, returning what was there (dup2).
    pub fn put(&mut self, fd: i32, entry: FdEntry) -> KResult<Option<FdEntry>> {
        if fd < 0 || fd as usize >= MAXFILES {
            return Err(Errno::EBADF);
        }
        let i = fd as usize;
        if i >= self.slots.len() {
            self.slots.resize(i + 1, None);
        }
        Ok(self.slots[i].replace(entry))
    }

    pub fn take(&mut self, fd: i32) -> KResult<FdEntry> {
        if fd < 0 {
            return Err(Errno::EBADF);
        }
        let e = self.slots.get_mut(fd as usize).and_then(|s| s.take()).ok_or(Errno::EBADF)?;
        while matches!(self.slots.last(), Some(None)) {
            self.slots.pop();
        }
        Ok(e)
    }

    pub fn fds(&self) -> Vec<i32> {
        self.slots.iter().enumerate().filter(|(_, s)| s.is_some()).map(|(i, _)| i as i32).collect()
    }
}
