//! The PC master boot record (sys/sys/bootblock.h `struct mbr_sector`): four primary partitions in
//! sector 0, signature 0xAA55. NetBSD's partition type is 0xA9 (MBR_PTYPE_NETBSD); 0xEE is the protective
//! entry of a GPT disk.

use super::{Partition, Scheme};
use crate::dev::BlockDevice;
use crate::errno::KResult;

pub const MBR_PART_OFFSET: usize = 446;
pub const MBR_MAGIC_OFFSET: usize = 510;
pub const MBR_PTYPE_NETBSD: u8 = 0xa9;
pub const MBR_PTYPE_GPT: u8 = 0xee;

/// A known name for an MBR partition type.
pub fn type_name(t: u8) -> &'static str {
    match t {
        0x01 | 0x04 | 0x06 | 0x0b | 0x0c | 0x0e => "FAT",
        0x05 | 0x0f | 0x85 => "extended",
        0x07 => "NTFS",
        0x82 => "Linux swap",
        0x83 => "Linux",
        0xa5 => "FreeBSD",
        0xa6 => "OpenBSD",
        MBR_PTYPE_NETBSD => "NetBSD",
        MBR_PTYPE_GPT => "GPT protective",
        0xef => "EFI system",
        _ => "unknown",
    }
}

/// One primary entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MbrEntry {
    pub index: u32,
    pub ptype: u8,
    pub start: u64,
    pub sectors: u64,
}

/// The primary entries of the MBR in `sector0`, or None if it has no signature or its entries make no
/// sense (status bytes other than 0 and 0x80: an FFS boot block or garbage, not a table).
pub fn parse(sector0: &[u8]) -> Option<Vec<MbrEntry>> {
    if sector0.len() < 512 || sector0[MBR_MAGIC_OFFSET] != 0x55 || sector0[MBR_MAGIC_OFFSET + 1] != 0xaa {
        return None;
    }
    let mut v = Vec::new();
    for i in 0..4 {
        let e = &sector0[MBR_PART_OFFSET + 16 * i..MBR_PART_OFFSET + 16 * (i + 1)];
        if e[0] != 0 && e[0] != 0x80 {
            return None;
        }
        let ptype = e[4];
        let start = u32::from_le_bytes([e[8], e[9], e[10], e[11]]) as u64;
        let sectors = u32::from_le_bytes([e[12], e[13], e[14], e[15]]) as u64;
        if ptype == 0 || sectors == 0 {
            continue;
        }
        v.push(MbrEntry { index: i as u32 + 1, ptype, start, sectors });
    }
    Some(v)
}

/// Reads sector 0 of `dev` and lists its primary partitions.
pub fn probe(dev: &dyn BlockDevice) -> KResult<Option<Vec<MbrEntry>>> {
    if dev.size() < 512 {
        return Ok(None);
    }
    let mut s = [0u8; 512];
    dev.read_at(0, &mut s)?;
    Ok(parse(&s))
}

impl MbrEntry {
    pub fn to_partition(&self) -> Partition {
        Partition {
            scheme: Scheme::Mbr,
            index: self.index,
            name: String::new(),
            ptype: format!("0x{:02x} ({})", self.ptype, type_name(self.ptype)),
            is_ffs: self.ptype == MBR_PTYPE_NETBSD,
            offset: self.start * 512,
            size: self.sectors * 512,
        }
    }
}
