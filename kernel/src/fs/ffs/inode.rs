//! On-disk inodes (sys/ufs/ufs/dinode.h): UFS1's 128-byte `struct ufs1_dinode` and UFS2's 256-byte
//! `struct ufs2_dinode`, decoded into one in-memory form and encoded back through the same endian layer.

use super::endian::ByteOrder;
use super::superblock::{Ufs, NDADDR, NIADDR};
use crate::vfs::types::{Timespec, VType};

/// UFS1 field offsets.
mod u1 {
    pub const MODE: usize = 0;
    pub const NLINK: usize = 2;
    pub const OUID: usize = 4;
    pub const OGID: usize = 6;
    pub const SIZE: usize = 8;
    pub const ATIME: usize = 16;
    pub const MTIME: usize = 24;
    pub const CTIME: usize = 32;
    pub const DB: usize = 40;
    pub const IB: usize = 88;
    pub const FLAGS: usize = 100;
    pub const BLOCKS: usize = 104;
    pub const GEN: usize = 108;
    pub const UID: usize = 112;
    pub const GID: usize = 116;
    pub const MODREV: usize = 120;
}

/// UFS2 field offsets.
mod u2 {
    pub const MODE: usize = 0;
    pub const NLINK: usize = 2;
    pub const UID: usize = 4;
    pub const GID: usize = 8;
    pub const BLKSIZE: usize = 12;
    pub const SIZE: usize = 16;
    pub const BLOCKS: usize = 24;
    pub const ATIME: usize = 32;
    pub const MTIME: usize = 40;
    pub const CTIME: usize = 48;
    pub const BIRTHTIME: usize = 56;
    pub const MTIMENSEC: usize = 64;
    pub const ATIMENSEC: usize = 68;
    pub const CTIMENSEC: usize = 72;
    pub const BIRTHNSEC: usize = 76;
    pub const GEN: usize = 80;
    pub const KERNFLAGS: usize = 84;
    pub const FLAGS: usize = 88;
    pub const EXTSIZE: usize = 92;
    pub const EXTB: usize = 96;
    pub const DB: usize = 112;
    pub const IB: usize = 208;
    pub const MODREV: usize = 232;
}

/// Bytes of block pointers that hold a fast symlink's target: UFS1 60, UFS2 120.
pub fn shortlink_capacity(ufs: Ufs) -> usize {
    (NDADDR + NIADDR) * ufs.ptr_size() as usize
}

/// An inode as read from disk. Block pointers are fragment addresses (0 = hole).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dinode {
    pub mode: u16,
    pub nlink: u16,
    pub uid: u32,
    pub gid: u32,
    /// UFS1 only: the 4.2BSD 16-bit owner fields.
    pub ouid: u16,
    pub ogid: u16,
    pub size: u64,
    /// Storage held, in DEV_BSIZE (512-byte) units.
    pub blocks: u64,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
    /// UFS2 only (UFS1 reports 0, as NetBSD's ufs_getattr does).
    pub birthtime: Timespec,
    pub flags: u32,
    pub gen: u32,
    pub kernflags: u32,
    pub blksize: u32,
    pub extsize: u32,
    pub extb: [u64; 2],
    pub db: [u64; NDADDR],
    pub ib: [u64; NIADDR],
    pub modrev: u64,
    /// The block-pointer area as raw bytes: a fast symlink's target lives here.
    pub shortlink: [u8; 120],
}

fn ts(sec: i64, nsec: u32) -> Timespec {
    Timespec::new(sec, nsec.min(999_999_999))
}

impl Dinode {
    /// Decodes an inode from `b` (128 or 256 bytes). `old_ids`: the file system uses the 4.2BSD inode format
    /// (fs_old_inodefmt < FS_44INODEFMT), whose owner is in the 16-bit fields.
    pub fn decode(b: &[u8], o: ByteOrder, ufs: Ufs, old_ids: bool) -> Dinode {
        let mut shortlink = [0u8; 120];
        match ufs {
            Ufs::Ufs1 => {
                let cap = shortlink_capacity(ufs);
                if let Some(s) = b.get(u1::DB..u1::DB + cap) {
                    shortlink[..cap].copy_from_slice(s);
                }
                let mut db = [0u64; NDADDR];
                for (i, d) in db.iter_mut().enumerate() {
                    *d = o.u32(b, u1::DB + 4 * i) as u64;
                }
                let mut ib = [0u64; NIADDR];
                for (i, d) in ib.iter_mut().enumerate() {
                    *d = o.u32(b, u1::IB + 4 * i) as u64;
                }
                let ouid = o.u16(b, u1::OUID);
                let ogid = o.u16(b, u1::OGID);
                Dinode {
                    mode: o.u16(b, u1::MODE),
                    nlink: o.u16(b, u1::NLINK),
                    uid: if old_ids { ouid as u32 } else { o.u32(b, u1::UID) },
                    gid: if old_ids { ogid as u32 } else { o.u32(b, u1::GID) },
                    ouid,
                    ogid,
                    size: o.u64(b, u1::SIZE),
                    blocks: o.u32(b, u1::BLOCKS) as u64,
                    atime: ts(o.i32(b, u1::ATIME) as i64, o.u32(b, u1::ATIME + 4)),
                    mtime: ts(o.i32(b, u1::MTIME) as i64, o.u32(b, u1::MTIME + 4)),
                    ctime: ts(o.i32(b, u1::CTIME) as i64, o.u32(b, u1::CTIME + 4)),
                    birthtime: Timespec::default(),
                    flags: o.u32(b, u1::FLAGS),
                    gen: o.u32(b, u1::GEN),
                    kernflags: 0,
                    blksize: 0,
                    extsize: 0,
                    extb: [0; 2],
                    db,
                    ib,
                    modrev: o.u64(b, u1::MODREV),
                    shortlink,
                }
            }
            Ufs::Ufs2 => {
                let cap = shortlink_capacity(ufs);
                if let Some(s) = b.get(u2::DB..u2::DB + cap) {
                    shortlink[..cap].copy_from_slice(s);
                }
                let mut db = [0u64; NDADDR];
                for (i, d) in db.iter_mut().enumerate() {
                    *d = o.u64(b, u2::DB + 8 * i);
                }
                let mut ib = [0u64; NIADDR];
                for (i, d) in ib.iter_mut().enumerate() {
                    *d = o.u64(b, u2::IB + 8 * i);
                }
                Dinode {
                    mode: o.u16(b, u2::MODE),
                    nlink: o.u16(b, u2::NLINK),
                    uid: o.u32(b, u2::UID),
                    gid: o.u32(b, u2::GID),
                    ouid: 0,
                    ogid: 0,
                    size: o.u64(b, u2::SIZE),
                    blocks: o.u64(b, u2::BLOCKS),
                    atime: ts(o.i64(b, u2::ATIME), o.u32(b, u2::ATIMENSEC)),
                    mtime: ts(o.i64(b, u2::MTIME), o.u32(b, u2::MTIMENSEC)),
                    ctime: ts(o.i64(b, u2::CTIME), o.u32(b, u2::CTIMENSEC)),
                    birthtime: ts(o.i64(b, u2::BIRTHTIME), o.u32(b, u2::BIRTHNSEC)),
                    flags: o.u32(b, u2::FLAGS),
                    gen: o.u32(b, u2::GEN),
                    kernflags: o.u32(b, u2::KERNFLAGS),
                    blksize: o.u32(b, u2::BLKSIZE),
                    extsize: o.u32(b, u2::EXTSIZE),
                    extb: [o.u64(b, u2::EXTB), o.u64(b, u2::EXTB + 8)],
                    db,
                    ib,
                    modrev: o.u64(b, u2::MODREV),
                    shortlink,
                }
            }
        }
    }

    /// Encodes the inode into `b` (the write side's path back to disk). Fields the in-memory form does
    /// not hold are left as they are in `b`. A fast symlink's target is written from `shortlink` when
    /// `inline_link` is set, the block pointers otherwise.
    pub fn encode(&self, b: &mut [u8], o: ByteOrder, ufs: Ufs, inline_link: bool) {
        match ufs {
            Ufs::Ufs1 => {
                o.put_u16(b, u1::MODE, self.mode);
                o.put_u16(b, u1::NLINK, self.nlink);
                o.put_u16(b, u1::OUID, self.ouid);
                o.put_u16(b, u1::OGID, self.ogid);
                o.put_u64(b, u1::SIZE, self.size);
                for (off, t) in [(u1::ATIME, self.atime), (u1::MTIME, self.mtime), (u1::CTIME, self.ctime)] {
                    o.put_u32(b, off, t.sec as i32 as u32);
                    o.put_u32(b, off + 4, t.nsec);
                }
                if inline_link {
                    let cap = shortlink_capacity(ufs);
                    if let Some(s) = b.get_mut(u1::DB..u1::DB + cap) {
                        s.copy_from_slice(&self.shortlink[..cap]);
                    }
                } else {
                    for (i, &d) in self.db.iter().enumerate() {
                        o.put_u32(b, u1::DB + 4 * i, d as u32);
                    }
                    for (i, &d) in self.ib.iter().enumerate() {
                        o.put_u32(b, u1::IB + 4 * i, d as u32);
                    }
                }
                o.put_u32(b, u1::FLAGS, self.flags);
                o.put_u32(b, u1::BLOCKS, self.blocks as u32);
                o.put_u32(b, u1::GEN, self.gen);
                o.put_u32(b, u1::UID, self.uid);
                o.put_u32(b, u1::GID, self.gid);
                o.put_u64(b, u1::MODREV, self.modrev);
            }
            Ufs::Ufs2 => {
                o.put_u16(b, u2::MODE, self.mode);
                o.put_u16(b, u2::NLINK, self.nlink);
                o.put_u32(b, u2::UID, self.uid);
                o.put_u32(b, u2::GID, self.gid);
                o.put_u32(b, u2::BLKSIZE, self.blksize);
                o.put_u64(b, u2::SIZE, self.size);
                o.put_u64(b, u2::BLOCKS, self.blocks);
                for (off, noff, t) in [
                    (u2::ATIME, u2::ATIMENSEC, self.atime),
                    (u2::MTIME, u2::MTIMENSEC, self.mtime),
                    (u2::CTIME, u2::CTIMENSEC, self.ctime),
                    (u2::BIRTHTIME, u2::BIRTHNSEC, self.birthtime),
                ] {
                    o.put_u64(b, off, t.sec as u64);
                    o.put_u32(b, noff, t.nsec);
                }
                o.put_u32(b, u2::GEN, self.gen);
                o.put_u32(b, u2::KERNFLAGS, self.kernflags);
                o.put_u32(b, u2::FLAGS, self.flags);
                o.put_u32(b, u2::EXTSIZE, self.extsize);
                o.put_u64(b, u2::EXTB, self.extb[0]);
                o.put_u64(b, u2::EXTB + 8, self.extb[1]);
                if inline_link {
                    let cap = shortlink_capacity(ufs);
                    if let Some(s) = b.get_mut(u2::DB..u2::DB + cap) {
                        s.copy_from_slice(&self.shortlink[..cap]);
                    }
                } else {
                    for (i, &d) in self.db.iter().enumerate() {
                        o.put_u64(b, u2::DB + 8 * i, d);
                    }
                    for (i, &d) in self.ib.iter().enumerate() {
                        o.put_u64(b, u2::IB + 8 * i, d);
                    }
                }
                o.put_u64(b, u2::MODREV, self.modrev);
            }
        }
    }

    /// The vnode type, or None for a mode that names no type (unallocated or garbage).
    pub fn vtype(&self) -> Option<VType> {
        VType::from_mode(self.mode as u32)
    }

    /// Device number of a block or character device (di_rdev aliases di_db[0]).
    pub fn rdev(&self, ufs: Ufs) -> u64 {
        match ufs {
            Ufs::Ufs1 => self.db[0] & 0xffff_ffff,
            Ufs::Ufs2 => self.db[0],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_both_formats_and_orders() {
        for ufs in [Ufs::Ufs1, Ufs::Ufs2] {
            for o in [ByteOrder::Little, ByteOrder::Big] {
                let mut raw = vec![0u8; ufs.dinode_size() as usize];
                let mut d = Dinode::decode(&raw, o, ufs, false);
                d.mode = 0o100644;
                d.nlink = 3;
                d.uid = 1000;
                d.gid = 100;
                d.size = 5 << 32;
                d.blocks = 77;
                d.mtime = Timespec::new(1_600_000_000, 123_456_789);
                d.flags = 0x2_0000;
                d.gen = 42;
                d.db = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
                d.ib = [13, 14, 15];
                if ufs == Ufs::Ufs2 {
                    d.birthtime = Timespec::new(-5, 7);
                }
                d.encode(&mut raw, o, ufs, false);
                let mut e = Dinode::decode(&raw, o, ufs, false);
                e.shortlink = d.shortlink;
                assert_eq!(d, e, "{ufs:?} {o:?}");
            }
        }
    }
}
