//! The BSD disklabel (sys/sys/disklabel.h `struct disklabel`): magic 0x82564557 at both ends of the header,
//! up to 16 partitions (a–p) with absolute sector offsets, an XOR checksum. On x86 it is in sector 1 of
//! the NetBSD MBR partition (LABELSECTOR 1); other ports keep it in sector 0, at various offsets — so, as
//! NetBSD's label reader does, the sector is scanned in 4-byte steps. Labels in either byte order are read.

use super::{Partition, Scheme};
use crate::dev::BlockDevice;
use crate::errno::KResult;

pub const DISKMAGIC: u32 = 0x8256_4557;
pub const MAXPARTITIONS: usize = 16;
/// Bytes of the header before the partition table.
const HEADER: usize = 148;
const PARTSIZE: usize = 16;
/// `d` is the whole disk on x86 (RAW_PART 3); `c` the NetBSD partition.
pub const RAW_PART: usize = 3;
pub const FS_BSDFFS: u8 = 7;

pub fn fstype_name(t: u8) -> &'static str {
    match t {
        0 => "unused",
        1 => "swap",
        7 => "4.2BSD",
        8 => "MSDOS",
        9 => "4.4LFS",
        10 => "unknown",
        11 => "HPFS",
        12 => "ISO9660",
        13 => "boot",
        17 => "Linux Ext2",
        18 => "NTFS",
        19 => "RAID",
        20 => "ccd",
        21 => "jfs",
        22 => "Apple UFS",
        23 => "vinum",
        24 => "UDF",
        25 => "SysV",
        26 => "efs",
        27 => "ZFS",
        28 => "NILFS",
        29 => "cgd",
        30 => "MINIX FSv3",
        _ => "other",
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// Byte offset of the label on the device (for `info`).
    pub at: u64,
    pub big_endian: bool,
    pub secsize: u32,
    pub typename: String,
    pub packname: String,
    pub partitions: Vec<Partition>,
}

/// Decodes a label at `off` of `buf` if one is there with a good checksum.
pub fn decode(buf: &[u8], off: usize, at: u64) -> Option<Label> {
    let h = buf.get(off..off + HEADER)?;
    type Rd32 = fn(&[u8]) -> u32;
    type Rd16 = fn(&[u8]) -> u16;
    let (be, rd32, rd16): (bool, Rd32, Rd16) = if u32::from_le_bytes(h[0..4].try_into().ok()?) == DISKMAGIC {
        (false, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]), |b| u16::from_le_bytes([b[0], b[1]]))
    } else if u32::from_be_bytes(h[0..4].try_into().ok()?) == DISKMAGIC {
        (true, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]), |b| u16::from_be_bytes([b[0], b[1]]))
    } else {
        return None;
    };
    if rd32(&h[132..]) != DISKMAGIC {
        return None;
    }
    let npart = rd16(&h[138..]) as usize;
    if npart == 0 || npart > MAXPARTITIONS {
        return None;
    }
    let whole = buf.get(off..off + HEADER + npart * PARTSIZE)?;
    // The checksum makes the XOR of every 16-bit word of the label zero.
    let x = whole.chunks(2).fold(0u16, |acc, c| acc ^ rd16(c));
    if x != 0 {
        return None;
    }
    let secsize = match rd32(&h[40..]) {
        s if (512..=65536).contains(&s) && s.is_power_of_two() => s,
        _ => 512,
    };
    let text = |b: &[u8]| {
        let n = b.iter().position(|&c| c == 0).unwrap_or(b.len());
        String::from_utf8_lossy(&b[..n]).into_owned()
    };
    let mut partitions = Vec::new();
    for i in 0..npart {
        let p = &whole[HEADER + i * PARTSIZE..HEADER + (i + 1) * PARTSIZE];
        let size = rd32(&p[0..]) as u64;
        let offset = rd32(&p[4..]) as u64;
        let fstype = p[12];
        if size == 0 {
            continue;
        }
        let letter = (b'a' + i as u8) as char;
        partitions.push(Partition {
            scheme: Scheme::Disklabel,
            index: i as u32,
            name: letter.to_string(),
            ptype: fstype_name(fstype).to_string(),
            is_ffs: fstype == FS_BSDFFS,
            offset: offset * secsize as u64,
            size: size * secsize as u64,
        });
    }
    Some(Label { at, big_endian: be, secsize, typename: text(&h[8..24]), packname: text(&h[24..40]), partitions })
}

/// Looks for a label in sectors `first` and `first + 1` (absolute 512-byte sectors) of `dev`.
pub fn probe(dev: &dyn BlockDevice, first: u64) -> KResult<Option<Label>> {
    let start = first * 512;
    let len = 1024u64.min(dev.size().saturating_sub(start));
    if len < HEADER as u64 {
        return Ok(None);
    }
    let mut buf = vec![0u8; len as usize];
    dev.read_at(start, &mut buf)?;
    // x86's LABELSECTOR 1 first, then sector 0.
    for sector in [1usize, 0] {
        let base = sector * 512;
        let mut off = base;
        while off + HEADER <= buf.len() && off < base + 512 {
            if let Some(l) = decode(&buf, off, start + off as u64) {
                return Ok(Some(l));
            }
            off += 4;
        }
    }
    Ok(None)
}

/// Encodes a label (little- or big-endian) into `buf` at `off` — for tests and image builders.
pub fn encode(buf: &mut [u8], off: usize, big_endian: bool, secsize: u32, parts: &[(u32, u32, u8)]) {
    let w32 = |b: &mut [u8], o: usize, v: u32| {
        b[o..o + 4].copy_from_slice(&if big_endian { v.to_be_bytes() } else { v.to_le_bytes() })
    };
    let n = parts.len().clamp(RAW_PART + 1, MAXPARTITIONS);
    let lab = &mut buf[off..off + HEADER + n * PARTSIZE];
    lab.fill(0);
    w32(lab, 0, DISKMAGIC);
    lab[8..8 + 7].copy_from_slice(b"rumpjs\0");
    w32(lab, 40, secsize);
    w32(lab, 132, DISKMAGIC);
    let npart = n as u16;
    lab[138..140].copy_from_slice(&if big_endian { npart.to_be_bytes() } else { npart.to_le_bytes() });
    for (i, &(size, offset, fstype)) in parts.iter().enumerate().take(n) {
        let p = HEADER + i * PARTSIZE;
        w32(lab, p, size);
        w32(lab, p + 4, offset);
        lab[p + 12] = fstype;
    }
    let rd16 = |c: &[u8]| if big_endian { u16::from_be_bytes([c[0], c[1]]) } else { u16::from_le_bytes([c[0], c[1]]) };
    let x = lab.chunks(2).fold(0u16, |acc, c| acc ^ rd16(c));
    lab[136..138].copy_from_slice(&if big_endian { x.to_be_bytes() } else { x.to_le_bytes() });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_both_orders() {
        for be in [false, true] {
            let mut b = vec![0u8; 1024];
            encode(&mut b, 512, be, 512, &[(1000, 63, FS_BSDFFS), (0, 0, 0), (2000, 63, 0), (4096, 0, 0)]);
            let l = decode(&b, 512, 512).unwrap();
            assert_eq!(l.big_endian, be);
            assert_eq!(l.partitions.len(), 3);
            assert_eq!(l.partitions[0].name, "a");
            assert!(l.partitions[0].is_ffs);
            assert_eq!(l.partitions[0].offset, 63 * 512);
            b[600] ^= 1;
            assert!(decode(&b, 512, 512).is_none(), "checksum guards the label");
        }
    }
}
