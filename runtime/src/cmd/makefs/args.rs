//! makefs's command line as NetBSD's makefs(8) reads it: its own options, ffs's `-o` options, sizes
//! with strsuftoll(3)'s suffixes, `-T`.

use kernel::fs::ffs::endian::ByteOrder;
use kernel::vfs::mountopts::{parse_size_as, SizeUnits};
use kernel::vfs::Timespec;
use std::path::PathBuf;

/// What makefs is asked for.
#[derive(Clone, Debug)]
pub struct MakefsOptions {
    /// 1 (the default, as NetBSD's makefs) or 2.
    pub ufs: u8,
    pub bsize: u32,
    pub fsize: u32,
    /// Bytes of data per inode; 0: as many inodes as the tree needs (plus -f).
    pub density: u32,
    pub minfree: u32,
    pub optim_space: bool,
    pub avgfilesize: u32,
    pub avgfpdir: u32,
    pub maxbpg: u32,
    pub label: String,
    pub order: ByteOrder,
    /// -s: exactly this size.
    pub size: Option<u64>,
    /// -M, -m.
    pub min_size: u64,
    pub max_size: u64,
    /// -b: free blocks (or a percentage of the calculated size).
    pub free_blocks: u64,
    pub free_blocks_pc: u32,
    /// -f: free inodes (or a percentage).
    pub free_files: u64,
    pub free_files_pc: u32,
    /// -F, -x, -N.
    pub spec: Option<PathBuf>,
    pub spec_only: bool,
    pub userdb: Option<PathBuf>,
    /// -T: every time in the image (unless the spec gives one).
    pub timestamp: Option<Timespec>,
    pub image: PathBuf,
    pub dir: PathBuf,
    /// Progress bar: None = on a terminal for large trees.
    pub progress: Option<bool>,
    /// Kernel messages on stderr.
    pub verbose: bool,
}

impl Default for MakefsOptions {
    fn default() -> Self {
        MakefsOptions {
            ufs: 1,
            bsize: 8192,
            fsize: 1024,
            density: 0,
            minfree: 5,
            optim_space: false,
            avgfilesize: 16384,
            avgfpdir: 64,
            maxbpg: 0,
            label: String::new(),
            order: ByteOrder::Little,
            size: None,
            min_size: 0,
            max_size: 0,
            free_blocks: 0,
            free_blocks_pc: 0,
            free_files: 0,
            free_files_pc: 0,
            spec: None,
            spec_only: false,
            userdb: None,
            timestamp: None,
            image: PathBuf::new(),
            dir: PathBuf::new(),
            progress: None,
            verbose: false,
        }
    }
}

/// A number as NetBSD's makefs reads it (strsuftoll(3)): decimal with an optional b (512), k, m, g, t
/// or w (4) suffix; `AxB` multiplies.
fn parse_num(s: &str) -> Option<u64> {
    parse_size_as(s, SizeUnits::Strsuftoll).ok()
}

/// Parses makefs's arguments (after the command name).
pub fn parse_args(args: &[String]) -> Result<MakefsOptions, String> {
    let mut o = MakefsOptions::default();
    let mut rest = Vec::new();
    let mut i = 0;
    let takes = "BbdFfMmNoSsTtO";
    while i < args.len() {
        let a = &args[i];
        i += 1;
        if a == "--" {
            rest.extend(args[i..].iter().cloned());
            break;
        }
        if !a.starts_with('-') || a.len() < 2 {
            rest.push(a.clone());
            continue;
        }
        for (k, c) in a[1..].char_indices() {
            let val = if takes.contains(c) {
                let attached = &a[1 + k + c.len_utf8()..];
                let v = if !attached.is_empty() {
                    attached.to_string()
                } else {
                    let v = args.get(i).ok_or_else(|| format!("-{c} needs a value"))?.clone();
                    i += 1;
                    v
                };
                Some(v)
            } else {
                None
            };
            let num = |v: &str, what: &str| parse_num(v).ok_or_else(|| format!("-{c}: bad {what} {v:?}"));
            let pct = |v: &str| -> Result<(u64, u32), String> {
                match v.strip_suffix('%') {
                    Some(p) => Ok((0, p.parse::<u32>().ok().filter(|&p| p <= 99).ok_or(format!("-{c}: bad {v:?}"))?)),
                    None => Ok((parse_num(v).ok_or(format!("-{c}: bad {v:?}"))?, 0)),
                }
            };
            match (c, val.as_deref()) {
                ('t', Some("ffs")) => {}
                ('t', Some(t)) => return Err(format!("unknown file system type {t:?} (only ffs)")),
                ('o', Some(v)) => parse_fs_options(&mut o, v)?,
                ('B', Some(v)) => {
                    o.order = match v {
                        "be" | "big" | "4321" => ByteOrder::Big,
                        "le" | "little" | "1234" => ByteOrder::Little,
                        _ => return Err(format!("-B: invalid byte order {v:?} (be or le)")),
                    }
                }
                ('s', Some(v)) => o.size = Some(num(v, "size")?),
                ('M', Some(v)) => o.min_size = num(v, "size")?,
                ('m', Some(v)) => o.max_size = num(v, "size")?,
                ('b', Some(v)) => (o.free_blocks, o.free_blocks_pc) = pct(v)?,
                ('f', Some(v)) => (o.free_files, o.free_files_pc) = pct(v)?,
                ('F', Some(v)) => o.spec = Some(PathBuf::from(v)),
                ('N', Some(v)) => o.userdb = Some(PathBuf::from(v)),
                ('T', Some(v)) => o.timestamp = Some(parse_timestamp(v)?),
                ('S', Some(v)) if num(v, "sector size")? == 512 => {}
                ('S', Some(v)) => return Err(format!("-S {v}: only 512-byte sectors")),
                ('d', Some(_)) => {}
                ('O', Some(_)) => return Err("-O (an offset into the image) is not supported".into()),
                ('x', None) => o.spec_only = true,
                ('Z', None) => {} // images are always sparse here
                _ => return Err(format!("unknown option -{c}")),
            }
            if val.is_some() {
                break;
            }
        }
    }
    if rest.len() != 2 {
        return Err("give an image file and a directory".into());
    }
    if o.spec_only && o.spec.is_none() {
        return Err("-x requires -F mtree-specfile".into());
    }
    o.image = PathBuf::from(&rest[0]);
    o.dir = PathBuf::from(&rest[1]);
    Ok(o)
}

fn parse_fs_options(o: &mut MakefsOptions, s: &str) -> Result<(), String> {
    for opt in s.split(',') {
        if opt.is_empty() {
            return Err("empty -o option".into());
        }
        let (k, v) = opt.split_once('=').ok_or_else(|| format!("option {opt:?} has no value"))?;
        let n = || parse_num(v).filter(|&n| n <= i32::MAX as u64).ok_or_else(|| format!("-o {k}: bad number {v:?}"));
        match k {
            "version" => {
                o.ufs = match n()? {
                    1 => 1,
                    2 => 2,
                    x => return Err(format!("-o version={x}: 1 or 2")),
                }
            }
            "bsize" => o.bsize = n()? as u32,
            "fsize" => o.fsize = n()? as u32,
            "density" => o.density = n()? as u32,
            "minfree" => o.minfree = n()?.min(99) as u32,
            "optimization" => {
                o.optim_space = match v {
                    "space" => true,
                    "time" => false,
                    _ => return Err(format!("-o optimization={v}: space or time")),
                }
            }
            "avgfilesize" => o.avgfilesize = n()? as u32,
            "avgfpdir" => o.avgfpdir = n()? as u32,
            "maxbpg" | "maxbpf" => o.maxbpg = n()? as u32,
            "label" => o.label = v.to_string(),
            // Accepted for compatibility: this FFS has no separate extent size or group limit.
            "extent" | "maxbpcg" => {
                n()?;
            }
            _ => return Err(format!("unknown ffs option {k:?}")),
        }
    }
    Ok(())
}

/// -T: seconds since the epoch, or a file whose modification time to use.
fn parse_timestamp(v: &str) -> Result<Timespec, String> {
    if let Ok(n) = v.parse::<i64>() {
        return Ok(Timespec::new(n, 0));
    }
    let m = std::fs::metadata(v).map_err(|e| format!("-T {v}: neither a number nor a file ({e})"))?;
    use std::os::unix::fs::MetadataExt;
    Ok(Timespec::new(m.mtime(), m.mtime_nsec() as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_num("64m"), Some(64 << 20));
        assert_eq!(parse_num("2x512"), Some(1024));
        assert_eq!(parse_num("3b"), Some(1536));
        assert_eq!(parse_num("x"), None);
    }

    #[test]
    fn arguments() {
        let a: Vec<String> = "-t ffs -o version=2,bsize=16384,fsize=2048 -B be -s64m -b 10% -f 100 -T 1000 img dir"
            .split(' ')
            .map(String::from)
            .collect();
        let o = parse_args(&a).unwrap();
        assert_eq!((o.ufs, o.bsize, o.fsize, o.order), (2, 16384, 2048, ByteOrder::Big));
        assert_eq!((o.size, o.free_blocks_pc, o.free_files), (Some(64 << 20), 10, 100));
        assert_eq!(o.timestamp, Some(Timespec::new(1000, 0)));
        assert_eq!((o.image, o.dir), (PathBuf::from("img"), PathBuf::from("dir")));
        assert!(parse_args(&["-t".into(), "cd9660".into(), "i".into(), "d".into()]).is_err());
        assert!(parse_args(&["-x".into(), "i".into(), "d".into()]).is_err());
    }
}
