//! The one byte-order layer of the FFS driver (NetBSD's FFS_EI, `ufs_rw32` and friends). The byte order is
//! chosen once, from the superblock's magic (or, by newfs, from its options); every on-disk structure is
//! then read and written through these explicit field readers and writers — never by reinterpreting raw
//! bytes. Only the layout modules (superblock, cg, inode, dir, wapbl) call them with offsets.
//!
//! Readers take a buffer and a byte offset. Offsets come from the structure layouts in this module's
//! siblings and are within the fixed-size buffers they are applied to; an offset past the end reads as
//! zero (and trips a debug assertion) rather than panicking, so a layout mistake cannot crash the kernel.

/// Byte order of an FFS image.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    Little,
    Big,
}

impl ByteOrder {
    /// The host's order (an image in the other order is "swapped", NetBSD's UFS_NEEDSWAP).
    pub const NATIVE: ByteOrder = if cfg!(target_endian = "big") { ByteOrder::Big } else { ByteOrder::Little };

    pub fn name(self) -> &'static str {
        match self {
            ByteOrder::Little => "little-endian",
            ByteOrder::Big => "big-endian",
        }
    }

    pub fn is_swapped(self) -> bool {
        self != ByteOrder::NATIVE
    }

    #[inline]
    fn bytes<const N: usize>(b: &[u8], off: usize) -> [u8; N] {
        match off.checked_add(N).and_then(|end| b.get(off..end)) {
            Some(s) => {
                let mut a = [0u8; N];
                a.copy_from_slice(s);
                a
            }
            None => {
                debug_assert!(false, "ffs endian: read of {N} bytes at {off} past a {}-byte buffer", b.len());
                [0u8; N]
            }
        }
    }

    #[inline]
    pub fn u8(self, b: &[u8], off: usize) -> u8 {
        Self::bytes::<1>(b, off)[0]
    }

    #[inline]
    pub fn u16(self, b: &[u8], off: usize) -> u16 {
        let a = Self::bytes::<2>(b, off);
        match self {
            ByteOrder::Little => u16::from_le_bytes(a),
            ByteOrder::Big => u16::from_be_bytes(a),
        }
    }

    #[inline]
    pub fn u32(self, b: &[u8], off: usize) -> u32 {
        let a = Self::bytes::<4>(b, off);
        match self {
            ByteOrder::Little => u32::from_le_bytes(a),
            ByteOrder::Big => u32::from_be_bytes(a),
        }
    }

    #[inline]
    pub fn i32(self, b: &[u8], off: usize) -> i32 {
        self.u32(b, off) as i32
    }

    #[inline]
    pub fn u64(self, b: &[u8], off: usize) -> u64 {
        let a = Self::bytes::<8>(b, off);
        match self {
            ByteOrder::Little => u64::from_le_bytes(a),
            ByteOrder::Big => u64::from_be_bytes(a),
        }
    }

    #[inline]
    pub fn i64(self, b: &[u8], off: usize) -> i64 {
        self.u64(b, off) as i64
    }

    #[inline]
    fn put<const N: usize>(b: &mut [u8], off: usize, v: [u8; N]) {
        match off.checked_add(N).and_then(|end| b.get_mut(off..end)) {
            Some(s) => s.copy_from_slice(&v),
            None => debug_assert!(false, "ffs endian: write of {N} bytes at {off} past a {}-byte buffer", b.len()),
        }
    }

    /// Writers: the write side, newfs and fsck through the layout modules, and tests that build or
    /// damage images.
    pub fn put_u16(self, b: &mut [u8], off: usize, v: u16) {
        Self::put(b, off, if self == ByteOrder::Little { v.to_le_bytes() } else { v.to_be_bytes() })
    }

    pub fn put_u32(self, b: &mut [u8], off: usize, v: u32) {
        Self::put(b, off, if self == ByteOrder::Little { v.to_le_bytes() } else { v.to_be_bytes() })
    }

    pub fn put_u64(self, b: &mut [u8], off: usize, v: u64) {
        Self::put(b, off, if self == ByteOrder::Little { v.to_le_bytes() } else { v.to_be_bytes() })
    }
}

/// A C string field (NUL-terminated within `len` bytes) as bytes without the NUL.
pub fn cstr(b: &[u8], off: usize, len: usize) -> &[u8] {
    let end = off.saturating_add(len).min(b.len());
    let s = b.get(off.min(end)..end).unwrap_or(&[]);
    match s.iter().position(|&c| c == 0) {
        Some(n) => &s[..n],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_orders() {
        let b = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08];
        assert_eq!(ByteOrder::Little.u32(&b, 0), 0x0403_0201);
        assert_eq!(ByteOrder::Big.u32(&b, 0), 0x0102_0304);
        assert_eq!(ByteOrder::Big.u16(&b, 6), 0x0708);
        assert_eq!(ByteOrder::Little.u64(&b, 0), 0x0807_0605_0403_0201);
        let mut w = [0u8; 8];
        ByteOrder::Big.put_u32(&mut w, 4, 0x0a0b_0c0d);
        assert_eq!(w, [0, 0, 0, 0, 0x0a, 0x0b, 0x0c, 0x0d]);
        assert_eq!(cstr(b"ab\0cd", 0, 5), b"ab");
        assert_eq!(cstr(b"abcd", 1, 10), b"bcd");
    }
}
