//! What `rumpjs info IMAGE` prints about an FFS image: `fsstat` and `disklabel` in one — the partition
//! table, the file system's type, byte order, geometry, free counts, clean flag, last mount point, volume
//! name, superblock location and journal — for a person (`Display`) or a program (`to_json`).

use super::superblock::{Superblock, Ufs, FS_DOWAPBL, FS_INTERNAL, FS_KNOWN_FLAGS};
use super::{open, wapbl, Opened};
use crate::dev::part::Partition;
use crate::dev::Dev;
use crate::errno::KResult;
use std::fmt;

/// Journal facts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WapblInfo {
    pub location: String,
    pub start: u64,
    pub count: u64,
    pub blksize: u64,
    /// What the mount does with it ("empty (clean)", "replaying N blocks to memory", an error).
    pub state: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FfsInfo {
    pub device: String,
    pub device_size: u64,
    pub partitions: Vec<Partition>,
    pub partition: Option<Partition>,
    pub fstype: &'static str,
    pub version: &'static str,
    pub byte_order: &'static str,
    pub superblock_at: u64,
    pub block_size: u32,
    pub fragment_size: u32,
    pub frags_per_block: u32,
    pub size_fragments: u64,
    pub size_bytes: u64,
    pub data_fragments: u64,
    pub cylinder_groups: u32,
    pub inodes_per_group: u32,
    pub fragments_per_group: u32,
    pub inodes: u64,
    pub free_blocks: i64,
    pub free_fragments: i64,
    pub free_inodes: i64,
    pub directories: i64,
    pub minfree_percent: u32,
    pub clean: bool,
    pub clean_flag: u8,
    pub flags: u32,
    pub flag_names: Vec<&'static str>,
    pub unknown_flags: u32,
    pub last_mounted_on: String,
    pub volume_name: String,
    pub last_written: i64,
    pub inode_format: &'static str,
    pub directory_format: &'static str,
    pub max_symlink_len: i32,
    pub fs_id: [u32; 2],
    pub wapbl: Option<WapblInfo>,
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Builds the report for a device already opened.
pub(crate) fn build(whole: &Dev, o: &Opened) -> FfsInfo {
    let sb: &Superblock = &o.sb;
    let wapbl = if sb.flags & FS_DOWAPBL != 0 {
        let state = o.replay.as_ref().map(|(_, s)| s.clone()).unwrap_or_else(|| "not replayed".into());
        Some(match wapbl::log_location(sb) {
            Ok(l) => WapblInfo { location: l.kind.into(), start: l.start, count: l.count, blksize: l.blksize, state },
            Err(why) => WapblInfo { location: why, start: 0, count: 0, blksize: 0, state },
        })
    } else {
        None
    };
    FfsInfo {
        device: whole.describe(),
        device_size: whole.size(),
        partitions: o.chosen.table.clone(),
        partition: o.chosen.partition.clone(),
        fstype: sb.ufs.name(),
        version: match sb.ufs {
            Ufs::Ufs1 => "FFSv1",
            Ufs::Ufs2 => "FFSv2",
        },
        byte_order: sb.order.name(),
        superblock_at: sb.sblockloc,
        block_size: sb.bsize,
        fragment_size: sb.fsize,
        frags_per_block: sb.frag,
        size_fragments: sb.size,
        size_bytes: sb.size.saturating_mul(sb.fsize as u64),
        data_fragments: sb.dsize,
        cylinder_groups: sb.ncg,
        inodes_per_group: sb.ipg,
        fragments_per_group: sb.fpg,
        inodes: sb.ninodes(),
        free_blocks: sb.cstotal.nbfree,
        free_fragments: sb.cstotal.nbfree.saturating_mul(sb.frag as i64).saturating_add(sb.cstotal.nffree),
        free_inodes: sb.cstotal.nifree,
        directories: sb.cstotal.ndir,
        minfree_percent: sb.minfree,
        clean: sb.is_clean(),
        clean_flag: sb.clean,
        flags: sb.flags,
        flag_names: sb.flag_names(),
        unknown_flags: sb.flags & !(FS_KNOWN_FLAGS | FS_INTERNAL),
        last_mounted_on: text(&sb.fsmnt),
        volume_name: text(&sb.volname),
        last_written: sb.time,
        inode_format: if sb.old_inodefmt < super::superblock::FS_44INODEFMT { "4.2BSD" } else { "4.4BSD" },
        directory_format: if sb.has_dtype() { "4.4BSD (with d_type)" } else { "4.2BSD (without d_type)" },
        max_symlink_len: sb.maxsymlinklen,
        fs_id: sb.id,
        wapbl,
    }
}

/// Looks at `dev` (optionally one partition of it, as the `partition=` mount option names it) and
/// reports what is there, without mounting. The journal, if any, is replayed in memory so the figures
/// are the ones a mount would see.
pub fn probe_info(dev: &Dev, partition: Option<&str>) -> KResult<FfsInfo> {
    let o = open(dev, partition, true, &|_| {})?;
    Ok(build(dev, &o))
}

/// A JSON string literal.
fn js(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn part_json(p: &Partition) -> String {
    format!(
        "{{\"scheme\":{},\"index\":{},\"name\":{},\"type\":{},\"ffs\":{},\"offset\":{},\"size\":{}}}",
        js(p.scheme.name()),
        p.index,
        js(&p.name),
        js(&p.ptype),
        p.is_ffs,
        p.offset,
        p.size
    )
}

impl FfsInfo {
    /// The report as one JSON object.
    pub fn to_json(&self) -> String {
        let parts: Vec<String> = self.partitions.iter().map(part_json).collect();
        let wapbl = match &self.wapbl {
            None => "null".to_string(),
            Some(w) => format!(
                "{{\"location\":{},\"start\":{},\"count\":{},\"blksize\":{},\"state\":{}}}",
                js(&w.location),
                w.start,
                w.count,
                w.blksize,
                js(&w.state)
            ),
        };
        let flags: Vec<String> = self.flag_names.iter().map(|f| js(f)).collect();
        format!(
            concat!(
                "{{\"device\":{},\"device_size\":{},\"partitions\":[{}],\"partition\":{},",
                "\"fstype\":{},\"version\":{},\"byte_order\":{},\"superblock_at\":{},",
                "\"block_size\":{},\"fragment_size\":{},\"frags_per_block\":{},\"size_fragments\":{},",
                "\"size_bytes\":{},\"data_fragments\":{},\"cylinder_groups\":{},\"inodes_per_group\":{},",
                "\"fragments_per_group\":{},\"inodes\":{},\"free_blocks\":{},\"free_fragments\":{},",
                "\"free_inodes\":{},\"directories\":{},\"minfree_percent\":{},\"clean\":{},\"clean_flag\":{},",
                "\"flags\":{},\"flag_names\":[{}],\"unknown_flags\":{},\"last_mounted_on\":{},",
                "\"volume_name\":{},\"last_written\":{},\"inode_format\":{},\"directory_format\":{},",
                "\"max_symlink_len\":{},\"fs_id\":[{},{}],\"wapbl\":{}}}"
            ),
            js(&self.device),
            self.device_size,
            parts.join(","),
            self.partition.as_ref().map_or("null".to_string(), part_json),
            js(self.fstype),
            js(self.version),
            js(self.byte_order),
            self.superblock_at,
            self.block_size,
            self.fragment_size,
            self.frags_per_block,
            self.size_fragments,
            self.size_bytes,
            self.data_fragments,
            self.cylinder_groups,
            self.inodes_per_group,
            self.fragments_per_group,
            self.inodes,
            self.free_blocks,
            self.free_fragments,
            self.free_inodes,
            self.directories,
            self.minfree_percent,
            self.clean,
            self.clean_flag,
            self.flags,
            flags.join(","),
            self.unknown_flags,
            js(&self.last_mounted_on),
            js(&self.volume_name),
            self.last_written,
            js(self.inode_format),
            js(self.directory_format),
            self.max_symlink_len,
            self.fs_id[0],
            self.fs_id[1],
            wapbl
        )
    }

    /// The report as (key, value) pairs, as `FileSystem::info` returns them.
    pub fn pairs(&self) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = Vec::new();
        let mut kv = |k: &str, val: String| v.push((k.to_string(), val));
        kv("device", format!("{} ({} bytes)", self.device, self.device_size));
        if self.partitions.is_empty() {
            kv("partition table", "none".into());
        } else {
            let scheme = self.partitions[0].scheme.name();
            kv("partition table", format!("{scheme}, {} entries", self.partitions.len()));
            for p in &self.partitions {
                kv("  partition", p.to_string());
            }
        }
        kv("file system on", self.partition.as_ref().map_or("the whole device".to_string(), |p| p.to_string()));
        kv("type", format!("{} ({}), {}", self.fstype, self.version, self.byte_order));
        kv("superblock at", format!("byte {}", self.superblock_at));
        kv(
            "block size",
            format!(
                "{} bytes, fragment size {} ({} per block)",
                self.block_size, self.fragment_size, self.frags_per_block
            ),
        );
        kv(
            "size",
            format!("{} fragments ({} bytes), {} for data", self.size_fragments, self.size_bytes, self.data_fragments),
        );
        kv(
            "cylinder groups",
            format!(
                "{} of {} fragments and {} inodes",
                self.cylinder_groups, self.fragments_per_group, self.inodes_per_group
            ),
        );
        kv(
            "free",
            format!(
                "{} blocks, {} fragments in all ({} bytes); {} of {} inodes; minfree {}%",
                self.free_blocks,
                self.free_fragments,
                self.free_fragments.saturating_mul(self.fragment_size as i64),
                self.free_inodes,
                self.inodes,
                self.minfree_percent
            ),
        );
        kv("directories", self.directories.to_string());
        kv("clean", format!("{} (fs_clean 0x{:02x})", if self.clean { "yes" } else { "no" }, self.clean_flag));
        kv(
            "flags",
            if self.flags == 0 {
                "none".into()
            } else {
                format!(
                    "0x{:x} {}{}",
                    self.flags,
                    self.flag_names.join(" "),
                    if self.unknown_flags != 0 {
                        format!(" (unknown 0x{:x})", self.unknown_flags)
                    } else {
                        String::new()
                    }
                )
            },
        );
        kv("last mounted on", if self.last_mounted_on.is_empty() { "-".into() } else { self.last_mounted_on.clone() });
        kv("volume name", if self.volume_name.is_empty() { "-".into() } else { self.volume_name.clone() });
        kv("last written", format!("{} UTC ({})", super::fsck::print_mtime(self.last_written), self.last_written));
        kv(
            "formats",
            format!(
                "{} inodes, {} directories, fs_maxsymlinklen {}",
                self.inode_format, self.directory_format, self.max_symlink_len
            ),
        );
        kv("id", format!("{:08x}:{:08x}", self.fs_id[0], self.fs_id[1]));
        kv(
            "journal (WAPBL)",
            match &self.wapbl {
                None => "none".into(),
                Some(w) => {
                    format!("{}, start {} count {} x {} bytes: {}", w.location, w.start, w.count, w.blksize, w.state)
                }
            },
        );
        v
    }
}

impl fmt::Display for FfsInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, v) in self.pairs() {
            writeln!(f, "{:<18} {}", format!("{k}:"), v)?;
        }
        Ok(())
    }
}
