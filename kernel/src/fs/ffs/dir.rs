//! Directory blocks (sys/ufs/ufs/dir.h `struct direct`): DIRBLKSIZ-byte chunks of variable-length entries.
//! Both formats: 4.4BSD entries carry d_type; 4.2BSD ones (file systems with fs_maxsymlinklen <= 0) have a
//! 16-bit d_namlen where d_type and d_namlen now sit — on a little-endian disk the length is in the byte
//! that is d_type in the new format (NetBSD's ufs_lookup reads it from there). Every entry is checked as
//! ufs_dirbadentry does before anything is taken from it.

use super::endian::ByteOrder;
use crate::vfs::types::DT_UNKNOWN;

/// Directory chunk size (UFS_DIRBLKSIZ): entries never cross it.
pub const DIRBLKSIZ: usize = 512;
/// Longest name (FFS_MAXNAMLEN).
pub const MAXNAMLEN: usize = 255;
// The VFS checks names to be entered against NAME_MAX for every file system.
const _: () = assert!(MAXNAMLEN == crate::vfs::NAME_MAX);
/// Bytes before the name in `struct direct`.
pub const DIRENT_HEADER: usize = 8;

/// UFS_DIRSIZ: bytes an entry with a name of `namlen` bytes needs (header, name, NUL, rounded to 4).
pub fn dirsiz(namlen: usize) -> usize {
    (DIRENT_HEADER + namlen + 1 + 3) & !3
}

/// How entries are laid out on this file system.
#[derive(Copy, Clone, Debug)]
pub struct DirFormat {
    pub order: ByteOrder,
    /// 4.4BSD entries with d_type (IMNT_DTYPE).
    pub dtype: bool,
}

/// One entry as found in a chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawDirent<'a> {
    /// Offset of the entry within the buffer parsed.
    pub off: usize,
    pub ino: u32,
    pub reclen: usize,
    /// DT_* (DT_UNKNOWN for 4.2BSD directories).
    pub dtype: u8,
    pub name: &'a [u8],
}

/// Why an entry is bad (for the kernel log line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadEntry {
    pub off: usize,
    pub why: String,
}

/// Decodes the entry at `off` of `buf`, checking it against its chunk: reclen a multiple of 4, at least
/// DIRSIZ(namlen), not crossing the chunk; namlen at most MAXNAMLEN; the name without NUL or '/' bytes;
/// the inode number below `ninodes`.
pub fn entry_at(buf: &[u8], off: usize, fmt: DirFormat, ninodes: u64) -> Result<RawDirent<'_>, BadEntry> {
    let bad = |why: String| Err(BadEntry { off, why });
    let chunk_left = DIRBLKSIZ - (off % DIRBLKSIZ);
    if off + DIRENT_HEADER > buf.len() || chunk_left < DIRENT_HEADER {
        return bad("entry header past the end of its chunk".into());
    }
    let e = EntryAt { b: buf, at: off, fmt };
    let (ino, reclen, dtype, namlen) = (e.ino(), e.reclen(), e.dtype(), e.namlen());
    if reclen & 3 != 0 || reclen > chunk_left || reclen < DIRENT_HEADER || off + reclen > buf.len() {
        return bad(format!("d_reclen {reclen} (chunk has {chunk_left} bytes left)"));
    }
    if ino == 0 {
        // An empty slot: only its reclen matters.
        return Ok(RawDirent { off, ino, reclen, dtype, name: &[] });
    }
    if namlen > MAXNAMLEN || dirsiz(namlen) > reclen {
        return bad(format!("d_namlen {namlen} does not fit d_reclen {reclen}"));
    }
    if ino as u64 >= ninodes {
        return bad(format!("d_ino {ino} beyond the file system's {ninodes} inodes"));
    }
    let name = &buf[off + DIRENT_HEADER..off + DIRENT_HEADER + namlen];
    if namlen == 0 || name.iter().any(|&c| c == 0 || c == b'/') {
        return bad(format!("bad name {:?}", String::from_utf8_lossy(name)));
    }
    Ok(RawDirent { off, ino, reclen, dtype, name })
}

/// Iterates over the entries of `buf` (a whole number of chunks), empty slots included, stopping at the
/// first bad entry (which it yields as an error).
pub struct Entries<'a> {
    buf: &'a [u8],
    off: usize,
    fmt: DirFormat,
    ninodes: u64,
    done: bool,
}

impl<'a> Entries<'a> {
    pub fn new(buf: &'a [u8], start: usize, fmt: DirFormat, ninodes: u64) -> Entries<'a> {
        Entries { buf, off: start, fmt, ninodes, done: false }
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = Result<RawDirent<'a>, BadEntry>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.off >= self.buf.len() {
            return None;
        }
        match entry_at(self.buf, self.off, self.fmt, self.ninodes) {
            Ok(e) => {
                self.off += e.reclen;
                Some(Ok(e))
            }
            Err(b) => {
                self.done = true;
                Some(Err(b))
            }
        }
    }
}

/// Writes an entry (for the write side and for tests that build directory blocks).
pub fn put_entry(buf: &mut [u8], off: usize, fmt: DirFormat, ino: u32, reclen: u16, dtype: u8, name: &[u8]) {
    let o = fmt.order;
    o.put_u32(buf, off, ino);
    o.put_u16(buf, off + 4, reclen);
    if fmt.dtype {
        buf[off + 6] = dtype;
        buf[off + 7] = name.len() as u8;
    } else {
        o.put_u16(buf, off + 6, name.len() as u16);
    }
    buf[off + DIRENT_HEADER..off + DIRENT_HEADER + name.len()].copy_from_slice(name);
    buf[off + DIRENT_HEADER + name.len()] = 0;
}

/// Marks the entry at `off` an empty slot of `reclen` bytes: d_ino 0, and the type, name length and
/// first name byte cleared (fsck_readdir's salvage; a fresh chunk).
pub fn put_empty(buf: &mut [u8], off: usize, fmt: DirFormat, reclen: u16) {
    let o = fmt.order;
    o.put_u32(buf, off, 0);
    o.put_u16(buf, off + 4, reclen);
    if let Some(b) = buf.get_mut(off + 6..off + DIRENT_HEADER + 1) {
        b.fill(0);
    }
}

/// The fields of the entry at `at` of a directory block, unchecked: for reading an entry `entry_at`
/// refused (fsck repairs those) and for changing one in place. Reads past the block give zeros and
/// writes there are dropped.
pub struct EntryAt<B> {
    pub b: B,
    pub at: usize,
    pub fmt: DirFormat,
}

impl<B: AsRef<[u8]>> EntryAt<B> {
    pub fn ino(&self) -> u32 {
        self.fmt.order.u32(self.b.as_ref(), self.at)
    }

    pub fn reclen(&self) -> usize {
        self.fmt.order.u16(self.b.as_ref(), self.at + 4) as usize
    }

    /// d_type (DT_UNKNOWN in the 4.2BSD format, which has none).
    pub fn dtype(&self) -> u8 {
        if self.fmt.dtype {
            self.fmt.order.u8(self.b.as_ref(), self.at + 6)
        } else {
            DT_UNKNOWN
        }
    }

    /// d_namlen (struct odirect's is 16 bits in the file system's byte order, where d_type and d_namlen
    /// now sit).
    pub fn namlen(&self) -> usize {
        if self.fmt.dtype {
            self.fmt.order.u8(self.b.as_ref(), self.at + 7) as usize
        } else {
            self.fmt.order.u16(self.b.as_ref(), self.at + 6) as usize
        }
    }

    /// The name: `namlen` bytes, fewer where the block ends first.
    pub fn name(&self) -> &[u8] {
        let b = self.b.as_ref();
        let from = (self.at + DIRENT_HEADER).min(b.len());
        let to = from.saturating_add(self.namlen()).min(b.len());
        &b[from..to]
    }

    /// Whether a NUL follows the name, as every entry's name must end.
    pub fn nul_after_name(&self) -> bool {
        self.b.as_ref().get(self.at + DIRENT_HEADER + self.namlen()) == Some(&0)
    }
}

impl<B: AsRef<[u8]> + AsMut<[u8]>> EntryAt<B> {
    pub fn set_ino(&mut self, ino: u32) {
        self.fmt.order.put_u32(self.b.as_mut(), self.at, ino)
    }

    pub fn set_reclen(&mut self, reclen: usize) {
        self.fmt.order.put_u16(self.b.as_mut(), self.at + 4, reclen as u16)
    }

    /// d_type (nothing in the 4.2BSD format).
    pub fn set_dtype(&mut self, t: u8) {
        if self.fmt.dtype {
            if let Some(x) = self.b.as_mut().get_mut(self.at + 6) {
                *x = t;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vfs::types::{DT_DIR, DT_REG};

    fn chunk(fmt: DirFormat) -> Vec<u8> {
        let mut b = vec![0u8; DIRBLKSIZ];
        put_entry(&mut b, 0, fmt, 2, 12, DT_DIR, b".");
        put_entry(&mut b, 12, fmt, 2, 12, DT_DIR, b"..");
        put_entry(&mut b, 24, fmt, 5, (DIRBLKSIZ - 24) as u16, DT_REG, b"hello");
        b
    }

    #[test]
    fn new_and_old_formats() {
        for order in [ByteOrder::Little, ByteOrder::Big] {
            for dtype in [true, false] {
                let fmt = DirFormat { order, dtype };
                let b = chunk(fmt);
                let v: Vec<_> = Entries::new(&b, 0, fmt, 100).map(|e| e.unwrap()).collect();
                assert_eq!(v.len(), 3);
                assert_eq!(v[2].name, b"hello");
                assert_eq!(v[2].dtype, if dtype { DT_REG } else { DT_UNKNOWN });
            }
        }
        // On a little-endian 4.2BSD disk the name length is the byte where d_type is now.
        let b = chunk(DirFormat { order: ByteOrder::Little, dtype: false });
        assert_eq!(b[24 + 6], 5);
        assert_eq!(b[24 + 7], 0);
    }

    #[test]
    fn bad_entries_are_named() {
        let fmt = DirFormat { order: ByteOrder::Little, dtype: true };
        let mut b = chunk(fmt);
        ByteOrder::Little.put_u16(&mut b, 28, 1000);
        let r: Vec<_> = Entries::new(&b, 0, fmt, 100).collect();
        assert!(r[2].as_ref().unwrap_err().why.contains("d_reclen"));
        let mut b = chunk(fmt);
        ByteOrder::Little.put_u32(&mut b, 24, 100);
        let r: Vec<_> = Entries::new(&b, 0, fmt, 100).collect();
        assert!(r[2].as_ref().unwrap_err().why.contains("d_ino"));
        let mut b = chunk(fmt);
        b[24 + 7] = 250;
        b[32..282].fill(b'x');
        let r: Vec<_> = Entries::new(&b, 0, fmt, 100).collect();
        assert!(r[2].is_ok(), "namlen 250 fits a reclen of 488");
        b[24 + 7] = 255;
        b[24 + 8 + 2] = b'/';
        let r: Vec<_> = Entries::new(&b, 0, fmt, 100).collect();
        assert!(r[2].is_err());
    }
}
