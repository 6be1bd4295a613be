//! WAPBL, NetBSD's metadata journal (sys/kern/vfs_wapbl.c, sys/sys/wapbl_replay.h, ffs_wapbl.c): when a
//! file system with FS_DOWAPBL is mounted, its log is replayed. A read-only mount — ours — replays it in
//! memory, as ffs_mountfs does with wapbl_replay_start: every device read is served from the log for
//! the blocks the log holds newer copies of. The device is never written.
//!
//! Log layout: two commit headers in the first two log blocks (the newer generation wins), then a
//! circular buffer of records from `tail` to `head`: block lists (followed by the blocks' contents),
//! revocations, and inode lists. Every number is checked before it is used.

use super::superblock::Superblock;
use crate::dev::{BlockDevice, Dev};
use crate::errno::{Errno, KResult};
use std::collections::BTreeMap;

pub const WAPBL_WC_HEADER: u32 = 0x5741_424c; // "WABL"
pub const WAPBL_WC_INODES: u32 = WAPBL_WC_HEADER + 1;
pub const WAPBL_WC_REVOCATIONS: u32 = WAPBL_WC_HEADER + 2;
pub const WAPBL_WC_BLOCKS: u32 = WAPBL_WC_HEADER + 3;

pub const UFS_WAPBL_VERSION: u8 = 1;
pub const JOURNALLOC_NONE: u8 = 0;
pub const JOURNALLOC_END_PARTITION: u8 = 1;
pub const JOURNALLOC_IN_FILESYSTEM: u8 = 2;

/// Where the log is, from the superblock's fs_journallocs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLocation {
    pub kind: &'static str,
    /// First log block (in `blksize` units from the start of the file-system device).
    pub start: u64,
    pub count: u64,
    pub blksize: u64,
    /// In-filesystem logs: the log's inode.
    pub ino: u64,
}

/// The log position the superblock records, or an error naming what is wrong.
pub fn log_location(sb: &Superblock) -> Result<LogLocation, String> {
    if sb.journal_version != UFS_WAPBL_VERSION {
        return Err(format!("journal version {} (expected {UFS_WAPBL_VERSION})", sb.journal_version));
    }
    let [a, c, b, x] = sb.journallocs;
    let kind = match sb.journal_location {
        JOURNALLOC_END_PARTITION => "end of partition",
        JOURNALLOC_IN_FILESYSTEM => "in file system",
        other => return Err(format!("unknown journal location type {other}")),
    };
    Ok(LogLocation { kind, start: a, count: c, blksize: b, ino: if sb.journal_location == 2 { x } else { 0 } })
}

/// The header that describes the log (struct wapbl_wc_header).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogHeader {
    pub big_endian: bool,
    pub generation: u32,
    pub time: u64,
    pub log_dev_bshift: u32,
    pub fs_dev_bshift: u32,
    pub head: i64,
    pub tail: i64,
    pub circ_off: i64,
    pub circ_size: i64,
}

fn rd32(b: &[u8], o: usize, be: bool) -> u32 {
    let a = [b[o], b[o + 1], b[o + 2], b[o + 3]];
    if be {
        u32::from_be_bytes(a)
    } else {
        u32::from_le_bytes(a)
    }
}

fn rd64(b: &[u8], o: usize, be: bool) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[o..o + 8]);
    if be {
        u64::from_be_bytes(a)
    } else {
        u64::from_le_bytes(a)
    }
}

fn decode_header(b: &[u8]) -> Option<LogHeader> {
    if b.len() < 80 {
        return None;
    }
    let be = if rd32(b, 0, false) == WAPBL_WC_HEADER {
        false
    } else if rd32(b, 0, true) == WAPBL_WC_HEADER {
        true
    } else {
        return None;
    };
    Some(LogHeader {
        big_endian: be,
        generation: rd32(b, 12, be),
        time: rd64(b, 24, be),
        log_dev_bshift: rd32(b, 40, be),
        fs_dev_bshift: rd32(b, 44, be),
        head: rd64(b, 48, be) as i64,
        tail: rd64(b, 56, be) as i64,
        circ_off: rd64(b, 64, be) as i64,
        circ_size: rd64(b, 72, be) as i64,
    })
}

/// A replayed log: for each fs block the log holds (keyed in DEV_BSIZE units, as the kernel's
/// wapbl_blkhash is), where its newest copy sits in the log.
pub struct Replay {
    pub loc: LogLocation,
    pub header: LogHeader,
    /// Byte offset of the log on the device.
    log_base: u64,
    blocks: BTreeMap<u64, u64>,
    /// Inodes the log lists as allocated but unlinked (cleaned up by a read-write mount only).
    pub inodes: Vec<(u32, u32)>,
}

impl Replay {
    /// Number of fs blocks the replay provides.
    pub fn nblocks(&self) -> usize {
        self.blocks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.header.head == self.header.tail
    }

    fn fs_blklen(&self) -> u64 {
        1u64 << self.header.fs_dev_bshift
    }

    /// wapbl_circ_read: `buf.len()` bytes from log position `pos` (wrapping at the end of the circular
    /// region).
    fn circ_read(&self, dev: &dyn BlockDevice, mut pos: u64, mut buf: &mut [u8]) -> KResult<()> {
        let start = self.header.circ_off as u64;
        let end = start + self.header.circ_size as u64;
        if pos < start || pos >= end {
            return Err(Errno::EIO);
        }
        while !buf.is_empty() {
            let n = (end - pos).min(buf.len() as u64) as usize;
            let (now, rest) = buf.split_at_mut(n);
            dev.read_at(self.log_base + pos, now)?;
            buf = rest;
            pos += n as u64;
            if pos >= end {
                pos = start;
            }
        }
        Ok(())
    }

    /// Reads the log of `sb` on `dev` and builds the replay (wapbl_replay_start + wapbl_replay_process).
    /// Errors are EFTYPE/EIO with a message naming what is wrong.
    pub fn start(dev: &dyn BlockDevice, sb: &Superblock) -> Result<Replay, (Errno, String)> {
        let loc = log_location(sb).map_err(|m| (Errno::EFTYPE, m))?;
        let bad = |m: String| (Errno::EFTYPE, m);
        if !(512..=65536).contains(&loc.blksize) || !loc.blksize.is_power_of_two() {
            return Err(bad(format!("log block size {}", loc.blksize)));
        }
        let log_base = loc.start.checked_mul(loc.blksize).ok_or_else(|| bad("log start overflows".into()))?;
        let log_len = loc.count.checked_mul(loc.blksize).ok_or_else(|| bad("log size overflows".into()))?;
        if log_len < 2 * loc.blksize || log_base.checked_add(log_len).is_none_or(|e| e > dev.size()) {
            return Err(bad(format!(
                "log at byte {log_base}, {log_len} bytes, does not fit the {}-byte device",
                dev.size()
            )));
        }
        let mut two = vec![0u8; 2 * loc.blksize as usize];
        dev.read_at(log_base, &mut two).map_err(|e| (e, "cannot read the log header".into()))?;
        let h1 = decode_header(&two[..loc.blksize as usize])
            .ok_or_else(|| bad(format!("unrecognized log header magic 0x{:08x}", rd32(&two, 0, false))))?;
        let header = match decode_header(&two[loc.blksize as usize..]) {
            Some(h2) if h2.generation > h1.generation => h2,
            _ => h1,
        };
        let h = &header;
        if !(9..=16).contains(&h.log_dev_bshift) || !(9..=16).contains(&h.fs_dev_bshift) {
            return Err(bad(format!("log shifts {}/{}", h.log_dev_bshift, h.fs_dev_bshift)));
        }
        let lblk = 1i64 << h.log_dev_bshift;
        if h.circ_off < 2 * lblk
            || h.circ_size <= 0
            || h.circ_off % lblk != 0
            || h.circ_size % lblk != 0
            || h.circ_off.checked_add(h.circ_size).is_none_or(|e| e as u64 > log_len)
        {
            return Err(bad(format!("log circular region {}+{} in a {log_len}-byte log", h.circ_off, h.circ_size)));
        }
        let in_circ = |p: i64| p >= h.circ_off && p < h.circ_off + h.circ_size && p % lblk == 0;
        let mut r = Replay { loc, header: header.clone(), log_base, blocks: BTreeMap::new(), inodes: Vec::new() };
        if h.head == h.tail {
            return Ok(r);
        }
        if !in_circ(h.head) || !in_circ(h.tail) {
            return Err(bad(format!("log head {} / tail {} outside the circular region", h.head, h.tail)));
        }
        let be = h.big_endian;
        let fsblk = r.fs_blklen();
        let dev_sectors = dev.size() / 512;
        let mut scratch = vec![0u8; lblk as usize];
        let mut pos = h.tail as u64;
        let advance = |p: u64, len: u64| -> u64 {
            let (start, size) = (h.circ_off as u64, h.circ_size as u64);
            start + (p - start + len) % size
        };
        // Each record is at least one log block: bound the walk by the region's size.
        let mut steps = h.circ_size / lblk + 1;
        while pos != h.head as u64 {
            steps -= 1;
            if steps < 0 {
                return Err(bad("log records do not lead from tail to head".into()));
            }
            let rec = pos;
            r.circ_read(dev, pos, &mut scratch).map_err(|e| (e, format!("cannot read log record at {pos}")))?;
            pos = advance(pos, lblk as u64);
            let wc_type = rd32(&scratch, 0, be);
            let wc_len = rd32(&scratch, 4, be) as i32 as i64;
            if wc_len < lblk || wc_len % lblk != 0 || wc_len > h.circ_size {
                return Err(bad(format!("log record at {rec}: length {wc_len}")));
            }
            let count = rd32(&scratch, 8, be) as i32;
            match wc_type {
                WAPBL_WC_BLOCKS | WAPBL_WC_REVOCATIONS => {
                    let max = (lblk as usize - 16) / 16;
                    if count < 0 || count as usize > max {
                        return Err(bad(format!("log record at {rec}: {count} blocks")));
                    }
                    let mut data = 0u64;
                    for i in 0..count as usize {
                        let daddr = rd64(&scratch, 16 + 16 * i, be);
                        let dlen = rd32(&scratch, 16 + 16 * i + 12, be) as i32;
                        if dlen < 0 || !(dlen as u64).is_multiple_of(fsblk) || dlen as u64 > 1 << 20 {
                            return Err(bad(format!("log record at {rec}: block length {dlen}")));
                        }
                        let pieces = dlen as u64 / fsblk;
                        if daddr.checked_add(dlen as u64 / 512).is_none_or(|e| e > dev_sectors) {
                            return Err(bad(format!("log record at {rec}: block {daddr} outside the device")));
                        }
                        if wc_type == WAPBL_WC_BLOCKS {
                            // The blocks follow the header inside the record: never more than it holds.
                            data += dlen as u64;
                            if data > (wc_len - lblk) as u64 {
                                return Err(bad(format!(
                                    "log record at {rec}: {data} bytes of blocks, length {wc_len}"
                                )));
                            }
                            for j in 0..pieces {
                                r.blocks.insert(daddr + j * (fsblk / 512), pos);
                                pos = advance(pos, fsblk);
                            }
                        } else {
                            // What the replay holds in the range, not every piece a revocation names.
                            let step = fsblk / 512;
                            let gone: Vec<u64> = r
                                .blocks
                                .range(daddr..daddr + dlen as u64 / 512)
                                .map(|(&k, _)| k)
                                .filter(|k| (k - daddr).is_multiple_of(step))
                                .collect();
                            for k in gone {
                                r.blocks.remove(&k);
                            }
                        }
                    }
                }
                WAPBL_WC_INODES => {
                    let clear = rd32(&scratch, 12, be) != 0;
                    let max = (lblk as usize - 16) / 8;
                    if count < 0 || count as usize > max {
                        return Err(bad(format!("log record at {rec}: {count} inodes")));
                    }
                    if clear {
                        r.inodes.clear();
                    }
                    for i in 0..count as usize {
                        r.inodes.push((rd32(&scratch, 16 + 8 * i, be), rd32(&scratch, 20 + 8 * i, be)));
                    }
                }
                other => return Err(bad(format!("log record at {rec}: unrecognized type 0x{other:08x}"))),
            }
            if advance(rec, wc_len as u64) != pos {
                return Err(bad(format!("log record at {rec}: corrupted (length {wc_len} disagrees with contents)")));
            }
        }
        Ok(r)
    }
}

/// Writes what a replay shows (`view`, the replaying device) over the device itself (`base`): only the
/// bytes that differ, a megabyte at a time. A read-write mount and `fsck -y` both replay this way.
pub fn write_replay(view: &dyn BlockDevice, base: &dyn BlockDevice) -> KResult<()> {
    let size = base.size().min(view.size());
    let chunk = 1u64 << 20;
    let (mut a, mut b) = (vec![0u8; chunk as usize], vec![0u8; chunk as usize]);
    let mut off = 0;
    while off < size {
        let n = (size - off).min(chunk) as usize;
        view.read_at(off, &mut a[..n])?;
        base.read_at(off, &mut b[..n])?;
        if a[..n] != b[..n] {
            base.write_at(off, &a[..n])?;
        }
        off += n as u64;
    }
    Ok(())
}

/// A read-write mount's replay (ffs_mountfs's wapbl_replay_write): the replay written to `base`, then
/// logging switched off in the superblock there (FS_DOWAPBL and the journal's place cleared), so the
/// file system opens without the journal.
pub(crate) fn replay_to_disk(view: &Dev, base: &Dev, sblockloc: u64) -> KResult<()> {
    write_replay(view.as_ref(), base.as_ref())?;
    let mut sb = Superblock::read_at(base.as_ref(), sblockloc)?;
    let flags = sb.flags;
    sb.raw_mut().clear_journal(flags);
    base.write_at(sblockloc, &sb.raw)?;
    base.flush()
}

/// The file-system device as a read-only mount sees it after an in-memory replay: reads come from the
/// device, then every block the log holds is patched in from the log.
pub struct ReplayDevice {
    inner: Dev,
    replay: Replay,
}

impl ReplayDevice {
    pub fn new(inner: Dev, replay: Replay) -> ReplayDevice {
        ReplayDevice { inner, replay }
    }

    pub fn replay(&self) -> &Replay {
        &self.replay
    }
}

impl BlockDevice for ReplayDevice {
    fn read_at(&self, off: u64, buf: &mut [u8]) -> KResult<()> {
        self.inner.read_at(off, buf)?;
        if buf.is_empty() {
            return Ok(());
        }
        let blk = self.replay.fs_blklen();
        let end = off + buf.len() as u64;
        let first_key = (off / 512).saturating_sub(blk / 512 - 1);
        let last_key = (end - 1) / 512;
        let mut piece = vec![0u8; blk as usize];
        for (&key, &pos) in self.replay.blocks.range(first_key..=last_key) {
            let bstart = key * 512;
            let bend = bstart + blk;
            let (s, e) = (bstart.max(off), bend.min(end));
            if s >= e {
                continue;
            }
            self.replay.circ_read(self.inner.as_ref(), pos, &mut piece)?;
            buf[(s - off) as usize..(e - off) as usize]
                .copy_from_slice(&piece[(s - bstart) as usize..(e - bstart) as usize]);
        }
        Ok(())
    }

    fn write_at(&self, _off: u64, _buf: &[u8]) -> KResult<()> {
        Err(Errno::EROFS)
    }

    fn size(&self) -> u64 {
        self.inner.size()
    }

    fn flush(&self) -> KResult<()> {
        Ok(())
    }

    fn readonly(&self) -> bool {
        true
    }

    fn describe(&self) -> String {
        format!("{} with {} journal blocks replayed in memory", self.inner.describe(), self.replay.nblocks())
    }
}

/// Builds a log for tests: a header pair and block records, as a NetBSD kernel would have left it.
/// `blocks` are (device byte offset, contents) — contents a multiple of 512 bytes; `revoke` lists
/// device byte offsets revoked after them. Records start `start` bytes into the circular region (a
/// multiple of `blksize`) and wrap at its end.
pub fn build_log(
    blksize: usize,
    log_bytes: usize,
    blocks: &[(u64, Vec<u8>)],
    revoke: &[u64],
    big_endian: bool,
    start: usize,
) -> Vec<u8> {
    let b32 = |v: u32| if big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
    let b64 = |v: u64| if big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
    let mut log = vec![0u8; log_bytes];
    let circ_off = 2 * blksize;
    let circ_size = log_bytes - circ_off;
    let mut pos = circ_off + start % circ_size;
    let tail = pos;
    // Appends `data` at `pos`, wrapping at the end of the circular region.
    let put = |log: &mut Vec<u8>, pos: &mut usize, data: &[u8]| {
        for &b in data {
            log[*pos] = b;
            *pos += 1;
            if *pos == log_bytes {
                *pos = circ_off;
            }
        }
    };
    for (daddr, data) in blocks {
        let mut rec = vec![0u8; blksize];
        rec[0..4].copy_from_slice(&b32(WAPBL_WC_BLOCKS));
        let len = blksize + data.len().div_ceil(blksize) * blksize;
        rec[4..8].copy_from_slice(&b32(len as u32));
        rec[8..12].copy_from_slice(&b32(1));
        rec[16..24].copy_from_slice(&b64(daddr / 512));
        rec[28..32].copy_from_slice(&b32(data.len() as u32));
        put(&mut log, &mut pos, &rec);
        let mut padded = data.clone();
        padded.resize(len - blksize, 0);
        put(&mut log, &mut pos, &padded);
    }
    if !revoke.is_empty() {
        let mut rec = vec![0u8; blksize];
        rec[0..4].copy_from_slice(&b32(WAPBL_WC_REVOCATIONS));
        rec[4..8].copy_from_slice(&b32(blksize as u32));
        rec[8..12].copy_from_slice(&b32(revoke.len() as u32));
        for (i, &d) in revoke.iter().enumerate() {
            rec[16 + 16 * i..24 + 16 * i].copy_from_slice(&b64(d / 512));
            rec[28 + 16 * i..32 + 16 * i].copy_from_slice(&b32(512));
        }
        put(&mut log, &mut pos, &rec);
    }
    let shift = blksize.trailing_zeros();
    for (copy, generation) in [(0usize, 1u32), (1, 2)] {
        let h = copy * blksize;
        log[h..h + 4].copy_from_slice(&b32(WAPBL_WC_HEADER));
        log[h + 4..h + 8].copy_from_slice(&b32(blksize as u32));
        log[h + 12..h + 16].copy_from_slice(&b32(generation));
        log[h + 36..h + 40].copy_from_slice(&b32(1));
        log[h + 40..h + 44].copy_from_slice(&b32(shift));
        log[h + 44..h + 48].copy_from_slice(&b32(9));
        log[h + 48..h + 56].copy_from_slice(&b64(pos as u64));
        log[h + 56..h + 64].copy_from_slice(&b64(tail as u64));
        log[h + 64..h + 72].copy_from_slice(&b64(circ_off as u64));
        log[h + 72..h + 80].copy_from_slice(&b64(circ_size as u64));
    }
    log
}
