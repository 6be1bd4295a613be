//! Partition tables: MBR (with NetBSD's 0xA9 partition and the disklabel inside it), GPT, and a bare BSD
//! disklabel. `probe` lists what a device holds; `choose` picks the partition a file system lives on — by
//! name (`partition=a`, `partition=2`) or, without one, by asking the file system's own probe.

pub mod disklabel;
pub mod gpt;
pub mod mbr;

use super::{BlockDevice, Dev, SliceDevice};
use crate::errno::{Errno, KResult};
use std::fmt;
use std::sync::Arc;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Scheme {
    Mbr,
    Gpt,
    Disklabel,
}

impl Scheme {
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Mbr => "MBR",
            Scheme::Gpt => "GPT",
            Scheme::Disklabel => "disklabel",
        }
    }
}

/// One partition of a table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    pub scheme: Scheme,
    /// MBR: 1–4; GPT: entry number from 1; disklabel: 0–15 (a–p).
    pub index: u32,
    /// Disklabel letter, GPT partition name, empty for MBR.
    pub name: String,
    /// The type, in words ("0xa9 (NetBSD)", "49f48d5a-… (NetBSD FFS)", "4.2BSD").
    pub ptype: String,
    /// Whether the type says FFS lives here.
    pub is_ffs: bool,
    /// Byte offset and size on the device.
    pub offset: u64,
    pub size: u64,
}

impl Partition {
    /// How a user names it: the disklabel letter, else the entry number.
    pub fn label(&self) -> String {
        match self.scheme {
            Scheme::Disklabel => self.name.clone(),
            _ => self.index.to_string(),
        }
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.scheme.name(), self.label())?;
        if self.scheme == Scheme::Gpt && !self.name.is_empty() {
            write!(f, " \"{}\"", self.name)?;
        }
        write!(f, ": offset {} size {} ({})", self.offset, self.size, self.ptype)
    }
}

/// Every partition `dev` holds: a GPT's entries; or an MBR's primaries plus the disklabel inside its
/// NetBSD partition; or a bare disklabel. Empty when there is no table.
pub fn probe(dev: &dyn BlockDevice) -> KResult<Vec<Partition>> {
    if let Some(v) = gpt::probe(dev)? {
        return Ok(v);
    }
    let mut out = Vec::new();
    if let Some(entries) = mbr::probe(dev)? {
        if entries.iter().any(|e| e.ptype == mbr::MBR_PTYPE_GPT) {
            // A protective MBR without a readable GPT: nothing more to say.
            return Ok(entries.iter().map(|e| e.to_partition()).collect());
        }
        for e in &entries {
            out.push(e.to_partition());
        }
        if let Some(nb) = entries.iter().find(|e| e.ptype == mbr::MBR_PTYPE_NETBSD) {
            if let Some(l) = disklabel::probe(dev, nb.start)? {
                out.extend(l.partitions);
            }
        }
        return Ok(out);
    }
    if let Some(l) = disklabel::probe(dev, 0)? {
        out.extend(l.partitions);
    }
    Ok(out)
}

/// The result of `choose`: the device the file system is on, and the partition it is (None: the whole
/// device).
pub struct Chosen {
    pub dev: Dev,
    pub partition: Option<Partition>,
    pub table: Vec<Partition>,
}

fn slice(dev: &Dev, p: &Partition) -> KResult<Dev> {
    let name = format!("{} partition {}", p.scheme.name(), p.label());
    Ok(Arc::new(SliceDevice::new(dev.clone(), p.offset, p.size, &name)?))
}

fn list(table: &[Partition]) -> String {
    if table.is_empty() {
        return "no partition table".into();
    }
    table.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; ")
}

/// Picks the partition a file system lives on. `want` is the `partition=` mount option: a disklabel
/// letter (a–p), an entry number (GPT, else MBR), or `raw`/`whole` for the whole device. Without it: the
/// whole device if `has_fs` says so, else the one partition where `has_fs` finds one; several are
/// EINVAL, with a log line listing them; none gives the whole device back (the caller's own search then
/// says what is wrong with it).
pub fn choose(
    dev: &Dev,
    want: Option<&str>,
    has_fs: &dyn Fn(&dyn BlockDevice) -> bool,
    log: &dyn Fn(&str),
) -> KResult<Chosen> {
    let table = probe(dev.as_ref()).unwrap_or_else(|e| {
        log(&format!("partition table unreadable ({e}); using the whole device"));
        Vec::new()
    });
    if let Some(w) = want {
        let w = w.trim();
        if w == "raw" || w == "whole" {
            return Ok(Chosen { dev: dev.clone(), partition: None, table });
        }
        let found = if w.len() == 1 && w.as_bytes()[0].is_ascii_lowercase() {
            table.iter().find(|p| p.scheme == Scheme::Disklabel && p.name == w)
        } else if let Ok(n) = w.parse::<u32>() {
            table
                .iter()
                .find(|p| p.scheme == Scheme::Gpt && p.index == n)
                .or_else(|| table.iter().find(|p| p.scheme == Scheme::Mbr && p.index == n))
        } else {
            None
        };
        let Some(p) = found.cloned() else {
            log(&format!("partition {w:?} not found ({})", list(&table)));
            return Err(Errno::EINVAL);
        };
        let d = slice(dev, &p).inspect_err(|_| log(&format!("partition {w} lies outside the device: {p}")))?;
        return Ok(Chosen { dev: d, partition: Some(p), table });
    }
    if has_fs(dev.as_ref()) {
        return Ok(Chosen { dev: dev.clone(), partition: None, table });
    }
    // Partitions holding a file system; the same start found through two tables (an MBR partition and
    // the disklabel partition inside it) is one file system: keep the most specific name.
    let mut found: Vec<(Partition, Dev)> = Vec::new();
    for p in &table {
        let Ok(d) = slice(dev, p) else { continue };
        if !has_fs(d.as_ref()) {
            continue;
        }
        let rank = |p: &Partition| match p.scheme {
            Scheme::Disklabel => 2 + p.is_ffs as u8,
            Scheme::Gpt => 1,
            Scheme::Mbr => 0,
        };
        if let Some(prev) = found.iter_mut().find(|(q, _)| q.offset == p.offset) {
            if rank(p) > rank(&prev.0) {
                *prev = (p.clone(), d);
            }
            continue;
        }
        found.push((p.clone(), d));
    }
    match found.len() {
        1 => {
            let (p, d) = found.remove(0);
            Ok(Chosen { dev: d, partition: Some(p), table })
        }
        0 => {
            // Let the file system's own search say what it found on the whole device.
            if !table.is_empty() {
                log(&format!("no file system found in the partitions ({})", list(&table)));
            }
            Ok(Chosen { dev: dev.clone(), partition: None, table })
        }
        _ => {
            let names: Vec<String> = found.iter().map(|(p, _)| p.to_string()).collect();
            log(&format!("several file systems found; name one as the partition (--partition, partition: in rump.mount, -o partition= in .mount): {}", names.join("; ")));
            Err(Errno::EINVAL)
        }
    }
}
