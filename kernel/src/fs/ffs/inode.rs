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

/// `N` block pointers from byte `at`, each as wide as the file system's (32 bits on UFS1, 64 on UFS2).
fn block_ptrs<const N: usize>(b: &[u8], o: ByteOrder, ufs: Ufs, at: usize) -> [u64; N] {
    std::array::from_fn(|i| match ufs {
        Ufs::Ufs1 => o.u32(b, at + 4 * i) as u64,
        Ufs::Ufs2 => o.u64(b, at + 8 * i),
    })
}

fn ts(sec: i64, nsec: u32) -> Timespec {
    Timespec::new(sec, nsec.min(999_999_999))
}

impl Dinode {
    /// Decodes an inode from `b` (128 or 256 bytes). `old_ids`: the file system uses the 4.2BSD inode format
    /// (fs_old_inodefmt < FS_44INODEFMT), whose owner is in the 16-bit fields.
    pub fn decode(b: &[u8], o: ByteOrder, ufs: Ufs, old_ids: bool) -> Dinode {
        let (db_at, ib_at) = match ufs {
            Ufs::Ufs1 => (u1::DB, u1::IB),
            Ufs::Ufs2 => (u2::DB, u2::IB),
        };
        let mut shortlink = [0u8; 120];
        let cap = shortlink_capacity(ufs);
        if let Some(s) = b.get(db_at..db_at + cap) {
            shortlink[..cap].copy_from_slice(s);
        }
        let db = block_ptrs(b, o, ufs, db_at);
        let ib = block_ptrs(b, o, ufs, ib_at);
        match ufs {
            Ufs::Ufs1 => {
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
            Ufs::Ufs2 => Dinode {
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
            },
        }
    }

    /// Encodes the inode into `b` (the write side's path back to disk). Fields the in-memory form does
    /// not hold are left as they are in `b`. A fast symlink's target is written from `shortlink` when
    /// `inline_link` is set, the block pointers otherwise.
    pub fn encode(&self, b: &mut [u8], o: ByteOrder, ufs: Ufs, inline_link: bool) {
        let mut w = DinodeMut { b, o, ufs };
        w.set_mode(self.mode);
        w.set_nlink(self.nlink);
        w.set_size(self.size);
        w.set_blocks(self.blocks);
        w.set_gen(self.gen);
        w.set_flags(self.flags);
        w.set_owner(self.uid, self.gid);
        w.set_time(Stamp::Atime, self.atime);
        w.set_time(Stamp::Mtime, self.mtime);
        w.set_time(Stamp::Ctime, self.ctime);
        w.set_time(Stamp::Birthtime, self.birthtime);
        if inline_link {
            w.set_shortlink(&self.shortlink);
        } else {
            for (i, &d) in self.db.iter().enumerate() {
                w.set_db(i, d);
            }
            for (i, &d) in self.ib.iter().enumerate() {
                w.set_ib(i, d);
            }
        }
        o.put_u64(w.b, if ufs == Ufs::Ufs1 { u1::MODREV } else { u2::MODREV }, self.modrev);
        match ufs {
            Ufs::Ufs1 => {
                o.put_u16(w.b, u1::OUID, self.ouid);
                o.put_u16(w.b, u1::OGID, self.ogid);
            }
            Ufs::Ufs2 => {
                o.put_u32(w.b, u2::BLKSIZE, self.blksize);
                o.put_u32(w.b, u2::KERNFLAGS, self.kernflags);
                o.put_u32(w.b, u2::EXTSIZE, self.extsize);
                o.put_u64(w.b, u2::EXTB, self.extb[0]);
                o.put_u64(w.b, u2::EXTB + 8, self.extb[1]);
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

/// Which timestamp of a dinode.
#[derive(Copy, Clone, Debug)]
pub enum Stamp {
    Atime,
    Mtime,
    Ctime,
    /// UFS2 only (UFS1 has none: setting it changes nothing).
    Birthtime,
}

/// A dinode's bytes (128 or 256) with a setter for each field: one field changes and every other byte
/// stays as found (fsck's repairs, `encode`, the generation numbers of fresh inode blocks).
pub struct DinodeMut<'a> {
    pub b: &'a mut [u8],
    pub o: ByteOrder,
    pub ufs: Ufs,
}

impl DinodeMut<'_> {
    fn pick(&self, ufs1: usize, ufs2: usize) -> usize {
        if self.ufs == Ufs::Ufs1 {
            ufs1
        } else {
            ufs2
        }
    }

    pub fn set_mode(&mut self, m: u16) {
        self.o.put_u16(self.b, self.pick(u1::MODE, u2::MODE), m);
    }

    pub fn set_nlink(&mut self, n: u16) {
        self.o.put_u16(self.b, self.pick(u1::NLINK, u2::NLINK), n);
    }

    pub fn set_size(&mut self, s: u64) {
        self.o.put_u64(self.b, self.pick(u1::SIZE, u2::SIZE), s);
    }

    /// di_blocks (512-byte units; 32 bits on UFS1).
    pub fn set_blocks(&mut self, n: u64) {
        match self.ufs {
            Ufs::Ufs1 => self.o.put_u32(self.b, u1::BLOCKS, n as u32),
            Ufs::Ufs2 => self.o.put_u64(self.b, u2::BLOCKS, n),
        }
    }

    pub fn set_gen(&mut self, g: u32) {
        self.o.put_u32(self.b, self.pick(u1::GEN, u2::GEN), g);
    }

    pub fn set_flags(&mut self, f: u32) {
        self.o.put_u32(self.b, self.pick(u1::FLAGS, u2::FLAGS), f);
    }

    /// di_uid and di_gid (the 32-bit owner; UFS1's 4.2BSD 16-bit fields are left alone).
    pub fn set_owner(&mut self, uid: u32, gid: u32) {
        self.o.put_u32(self.b, self.pick(u1::UID, u2::UID), uid);
        self.o.put_u32(self.b, self.pick(u1::GID, u2::GID), gid);
    }

    /// Direct block pointer `i`.
    pub fn set_db(&mut self, i: usize, v: u64) {
        self.set_ptr(self.pick(u1::DB, u2::DB), i, v);
    }

    /// Indirect block pointer `i` (single, double, triple).
    pub fn set_ib(&mut self, i: usize, v: u64) {
        self.set_ptr(self.pick(u1::IB, u2::IB), i, v);
    }

    fn set_ptr(&mut self, base: usize, i: usize, v: u64) {
        match self.ufs {
            Ufs::Ufs1 => self.o.put_u32(self.b, base + 4 * i, v as u32),
            Ufs::Ufs2 => self.o.put_u64(self.b, base + 8 * i, v),
        }
    }

    /// A fast symlink's target over the block pointers (as much as they hold).
    pub fn set_shortlink(&mut self, target: &[u8; 120]) {
        let cap = shortlink_capacity(self.ufs);
        let at = self.pick(u1::DB, u2::DB);
        if let Some(s) = self.b.get_mut(at..at + cap) {
            s.copy_from_slice(&target[..cap]);
        }
    }

    /// One timestamp, seconds and nanoseconds.
    pub fn set_time(&mut self, which: Stamp, t: Timespec) {
        let (sec, nsec) = match (self.ufs, which) {
            (Ufs::Ufs1, Stamp::Birthtime) => return,
            (Ufs::Ufs1, Stamp::Atime) => (u1::ATIME, u1::ATIME + 4),
            (Ufs::Ufs1, Stamp::Mtime) => (u1::MTIME, u1::MTIME + 4),
            (Ufs::Ufs1, Stamp::Ctime) => (u1::CTIME, u1::CTIME + 4),
            (Ufs::Ufs2, Stamp::Atime) => (u2::ATIME, u2::ATIMENSEC),
            (Ufs::Ufs2, Stamp::Mtime) => (u2::MTIME, u2::MTIMENSEC),
            (Ufs::Ufs2, Stamp::Ctime) => (u2::CTIME, u2::CTIMENSEC),
            (Ufs::Ufs2, Stamp::Birthtime) => (u2::BIRTHTIME, u2::BIRTHNSEC),
        };
        self.set_seconds(sec, t.sec);
        self.o.put_u32(self.b, nsec, t.nsec);
    }

    /// Every timestamp's seconds to `sec`, the nanoseconds left as they are (fsck's new inodes).
    pub fn set_all_seconds(&mut self, sec: i64) {
        let offs: &[usize] = match self.ufs {
            Ufs::Ufs1 => &[u1::ATIME, u1::MTIME, u1::CTIME],
            Ufs::Ufs2 => &[u2::ATIME, u2::MTIME, u2::CTIME, u2::BIRTHTIME],
        };
        for &at in offs {
            self.set_seconds(at, sec);
        }
    }

    fn set_seconds(&mut self, at: usize, sec: i64) {
        match self.ufs {
            Ufs::Ufs1 => self.o.put_u32(self.b, at, sec as i32 as u32),
            Ufs::Ufs2 => self.o.put_u64(self.b, at, sec as u64),
        }
    }

    /// Every byte zero (an unallocated inode).
    pub fn clear(&mut self) {
        self.b.fill(0);
    }
}

/// Block pointer `i` of an array of them (an indirect block, or the dinode's): 32 bits on UFS1, 64 on
/// UFS2.
pub fn get_ptr(b: &[u8], i: usize, o: ByteOrder, ufs: Ufs) -> u64 {
    match ufs {
        Ufs::Ufs1 => o.u32(b, 4 * i) as u64,
        Ufs::Ufs2 => o.u64(b, 8 * i),
    }
}

/// Sets block pointer `i` of an array of them.
pub fn put_ptr(b: &mut [u8], i: usize, o: ByteOrder, ufs: Ufs, v: u64) {
    match ufs {
        Ufs::Ufs1 => o.put_u32(b, 4 * i, v as u32),
        Ufs::Ufs2 => o.put_u64(b, 8 * i, v),
    }
}

/// Sets the generation number of inode `i` of an inode block.
pub fn put_gen(blk: &mut [u8], i: usize, o: ByteOrder, ufs: Ufs, gen: u32) {
    let isz = ufs.dinode_size() as usize;
    if let Some(b) = blk.get_mut(i * isz..(i + 1) * isz) {
        DinodeMut { b, o, ufs }.set_gen(gen);
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
