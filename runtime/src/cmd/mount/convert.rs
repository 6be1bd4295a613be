//! Conversions between the kernel's types and FUSE's: times, file types, attributes, open flags.

use fuser::{FileAttr, FileType};
use kernel::vfs::*;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub(super) fn systime(t: Timespec) -> SystemTime {
    if t.sec >= 0 {
        UNIX_EPOCH + Duration::new(t.sec as u64, t.nsec)
    } else {
        UNIX_EPOCH - Duration::from_secs(t.sec.unsigned_abs()) + Duration::from_nanos(t.nsec as u64)
    }
}

pub(super) fn timespec(t: SystemTime) -> Timespec {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => Timespec::new(d.as_secs() as i64, d.subsec_nanos()),
        Err(e) => {
            let d = e.duration();
            let (s, n) = (d.as_secs() as i64, d.subsec_nanos());
            if n == 0 {
                Timespec::new(-s, 0)
            } else {
                Timespec::new(-s - 1, 1_000_000_000 - n)
            }
        }
    }
}

pub(super) fn file_type(t: VType) -> FileType {
    match t {
        VType::Reg => FileType::RegularFile,
        VType::Dir => FileType::Directory,
        VType::Blk => FileType::BlockDevice,
        VType::Chr => FileType::CharDevice,
        VType::Lnk => FileType::Symlink,
        VType::Sock => FileType::Socket,
        VType::Fifo => FileType::NamedPipe,
    }
}

/// FUSE's attributes for a vnode's: the image's own inode number (the host's st_ino; the root's too,
/// though its FUSE node id is 1), link count, owners, times. NetBSD's dev_t layout (major in bits 8-19,
/// minor in 0-7 and 20-31) is Linux's too, so rdev passes as is.
pub(super) fn fuse_attr(va: &Vattr) -> FileAttr {
    FileAttr {
        ino: va.ino,
        size: va.size,
        blocks: va.bytes.div_ceil(512),
        atime: systime(va.atime),
        mtime: systime(va.mtime),
        ctime: systime(va.ctime),
        crtime: systime(va.birthtime),
        kind: file_type(va.vtype),
        perm: (va.mode & ALLPERMS) as u16,
        nlink: va.nlink.min(u32::MAX as u64) as u32,
        uid: va.uid,
        gid: va.gid,
        rdev: va.rdev as u32,
        blksize: va.blksize,
        flags: va.flags,
    }
}

// Linux open(2) flags (asm-generic/fcntl.h).
pub(super) const L_O_ACCMODE: i32 = 0o3;
pub(super) const L_O_EXCL: i32 = 0o200;
pub(super) const L_O_TRUNC: i32 = 0o1000;
pub(super) const L_O_APPEND: i32 = 0o2000;
pub(super) const L_O_DIRECTORY: i32 = 0o200000;
// renameat2(2) flags.
pub(super) const RENAME_NOREPLACE: u32 = 1;
pub(super) const RENAME_EXCHANGE: u32 = 2;

/// A Linux open flag word as the kernel's (NetBSD) O_* flags: access mode, append, truncate, directory.
pub(super) fn open_flags(l: i32) -> u32 {
    let mut f = (l & L_O_ACCMODE) as u32;
    if l & L_O_APPEND != 0 {
        f |= O_APPEND;
    }
    if l & L_O_TRUNC != 0 {
        f |= O_TRUNC;
    }
    if l & L_O_DIRECTORY != 0 {
        f |= O_DIRECTORY;
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip() {
        for t in [
            Timespec::new(0, 0),
            Timespec::new(1338508800, 5),
            Timespec::new(-1, 999_999_999),
            Timespec::new(-86400, 0),
        ] {
            assert_eq!(timespec(systime(t)), t);
        }
    }
}
