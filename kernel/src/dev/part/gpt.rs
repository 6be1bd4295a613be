//! The GUID partition table (UEFI; NetBSD's sys/sys/disklabel_gpt.h): a header at LBA 1 ("EFI PART") and
//! an array of 128-byte entries. NetBSD's FFS partitions have type 49f48d5a-b10e-11dc-b99b-0019d1879648.

use super::{Partition, Scheme};
use crate::dev::BlockDevice;
use crate::errno::KResult;

pub const GPT_SIGNATURE: &[u8; 8] = b"EFI PART";
pub const NETBSD_FFS: &str = "49f48d5a-b10e-11dc-b99b-0019d1879648";
/// FreeBSD's UFS type, which NetBSD's dkwedge_gpt also maps to FFS.
pub const FREEBSD_UFS: &str = "516e7cb6-6ecf-11d6-8ff8-00022d09712b";
/// Most entries read (the usual table has 128); bounds what a corrupt header can make us read.
const MAX_ENTRIES: u32 = 1024;

/// A partition type GUID in its text form (the first three fields are little-endian on disk).
pub fn guid_string(g: &[u8]) -> String {
    if g.len() < 16 {
        return String::new();
    }
    format!(
        "{:08x}-{:04x}-{:04x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        u32::from_le_bytes([g[0], g[1], g[2], g[3]]),
        u16::from_le_bytes([g[4], g[5]]),
        u16::from_le_bytes([g[6], g[7]]),
        g[8],
        g[9],
        g[10],
        g[11],
        g[12],
        g[13],
        g[14],
        g[15]
    )
}

/// The 16 on-disk bytes of a GUID given in text form (for tests and table writers).
pub fn guid_bytes(s: &str) -> Option<[u8; 16]> {
    let hex: String = s.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 {
        return None;
    }
    let mut raw = [0u8; 16];
    for (i, r) in raw.iter_mut().enumerate() {
        *r = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    let mut g = raw;
    g[0..4].copy_from_slice(&[raw[3], raw[2], raw[1], raw[0]]);
    g[4..6].copy_from_slice(&[raw[5], raw[4]]);
    g[6..8].copy_from_slice(&[raw[7], raw[6]]);
    Some(g)
}

pub fn type_name(guid: &str) -> &'static str {
    match guid {
        NETBSD_FFS => "NetBSD FFS",
        "49f48d82-b10e-11dc-b99b-0019d1879648" => "NetBSD LFS",
        "49f48d32-b10e-11dc-b99b-0019d1879648" => "NetBSD swap",
        "49f48daa-b10e-11dc-b99b-0019d1879648" => "NetBSD RAIDframe",
        "2db519c4-b10f-11dc-b99b-0019d1879648" => "NetBSD ccd",
        "2db519ec-b10f-11dc-b99b-0019d1879648" => "NetBSD cgd",
        FREEBSD_UFS => "FreeBSD UFS",
        "c12a7328-f81f-11d2-ba4b-00a0c93ec93b" => "EFI system",
        "0fc63daf-8483-4772-8e79-3d69d8477de4" => "Linux data",
        "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7" => "Microsoft basic data",
        _ => "unknown",
    }
}

/// Reads the GPT of `dev` (512-byte sectors, or 4096-byte ones), if there is one.
pub fn probe(dev: &dyn BlockDevice) -> KResult<Option<Vec<Partition>>> {
    for secsize in [512u64, 4096] {
        if dev.size() < secsize * 3 {
            continue;
        }
        let mut hdr = vec![0u8; 512];
        dev.read_at(secsize, &mut hdr)?;
        if &hdr[0..8] != GPT_SIGNATURE {
            continue;
        }
        let le32 = |o: usize| u32::from_le_bytes([hdr[o], hdr[o + 1], hdr[o + 2], hdr[o + 3]]);
        let le64 = |o: usize| u64::from_le_bytes(hdr[o..o + 8].try_into().unwrap_or([0; 8]));
        let entries_lba = le64(72);
        let nent = le32(80).min(MAX_ENTRIES);
        let entsz = le32(84);
        if !(128..=4096).contains(&entsz) || entsz % 8 != 0 {
            return Ok(None);
        }
        let table_off = entries_lba.saturating_mul(secsize);
        let table_len = nent as u64 * entsz as u64;
        if table_off.saturating_add(table_len) > dev.size() {
            return Ok(None);
        }
        let mut table = vec![0u8; table_len as usize];
        dev.read_at(table_off, &mut table)?;
        let mut v = Vec::new();
        for i in 0..nent as usize {
            let e = &table[i * entsz as usize..i * entsz as usize + 128];
            if e[0..16].iter().all(|&b| b == 0) {
                continue;
            }
            let guid = guid_string(&e[0..16]);
            let first = u64::from_le_bytes(e[32..40].try_into().unwrap_or([0; 8]));
            let last = u64::from_le_bytes(e[40..48].try_into().unwrap_or([0; 8]));
            if last < first {
                continue;
            }
            let units: Vec<u16> = e[56..128].chunks(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
            let name: String = char::decode_utf16(units.into_iter().take_while(|&u| u != 0))
                .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect();
            let tname = type_name(&guid);
            v.push(Partition {
                scheme: Scheme::Gpt,
                index: i as u32 + 1,
                name,
                ptype: format!("{guid} ({tname})"),
                is_ffs: guid == NETBSD_FFS || guid == FREEBSD_UFS,
                offset: first.saturating_mul(secsize),
                size: (last - first).saturating_add(1).saturating_mul(secsize),
            });
        }
        return Ok(Some(v));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_text_round_trip() {
        let b = guid_bytes(NETBSD_FFS).unwrap();
        assert_eq!(&b[0..4], &[0x5a, 0x8d, 0xf4, 0x49]);
        assert_eq!(guid_string(&b), NETBSD_FFS);
    }
}
