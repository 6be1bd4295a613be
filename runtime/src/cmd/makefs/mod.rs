//! `rumpjs makefs`: an FFS image from a host directory tree, as NetBSD's makefs(8) makes one — but
//! built by this project's own FFS driver, and reproducible.
//!
//! The steps: the tree is read into memory ([`crate::host::copy::scan`], names sorted); an mtree(5) spec
//! (`-F`) overrides owners, modes, flags, times, sizes and link targets and adds nodes; the size the
//! image needs is computed (file data rounded to fragments, indirect blocks, directory blocks, long
//! symlinks, inodes, the superblocks, group headers and the minfree reserve, with headroom — and
//! checked against the layout newfs would make); `newfs` lays out an empty file system on a fresh
//! image file; a kernel boots on a host whose clock stands still (at `-T`'s time, or the newest
//! modification time in the tree) and whose randomness is seeded, mounts the image read-write and
//! copies the tree in ([`crate::host::copy::copy`]) in sorted order; the file system is unmounted clean.
//!
//! Reproducible: the image depends only on the tree (names, contents, modification times, owners,
//! modes, links), the options and `-T`: never on the host's clock, the directory order the host
//! returns, the working directory, or access times (an inode's access and birth times are its
//! modification time; its change time too, as the clock is set to it before the inode is last
//! written). Should the estimate ever fall short, the image is made again larger: never "No space
//! left on device".

use crate::host::copy::{self, HostFs, KernelFs, Kind, Meta, Node};
use crate::host::output::{self, Stream};
use clap::Args;
use kernel::dev::{BlockDevice, Dev};
use kernel::fs::ffs::endian::ByteOrder;
use kernel::fs::ffs::newfs::{self, NewfsOptions};
use kernel::hyper::Hypervisor;
use kernel::vfs::{Cred, MountOptions, Timespec};
use kernel::{Errno, KResult, Kernel};
use std::collections::HashMap;
use std::fs::File;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The usage line.
pub const USAGE: &str = "makefs [-t ffs] [-o version=1|2,bsize=N,fsize=N,density=N,minfree=N,optimization=space|time,\
label=NAME,avgfilesize=N,avgfpdir=N,maxbpg=N] [-B be|le] [-s SIZE] [-M MIN] [-m MAX] [-b FREE-BLOCKS[%]] \
[-f FREE-FILES[%]] [-F MTREE-SPEC [-x]] [-N USERDB-DIR] [-T TIMESTAMP|FILE] IMAGE DIR";

/// What each of makefs's options means (shown after `rumpjs makefs --help`).
pub const HELP: &str = "\
makefs's options (as NetBSD's makefs(8) documents them for ffs):
  -t ffs            the file-system type (ffs is the only one)
  -o version=1|2    UFS1 (the default, as NetBSD's makefs) or UFS2
  -o bsize=N,fsize=N  block and fragment size (4096..65536; 1, 2, 4 or 8 fragments a block)
  -o density=N      bytes of data per inode; minfree=N: percent kept for root; label=NAME (UFS2)
  -o optimization=space|time, avgfilesize=N, avgfpdir=N, maxbpg=N: as newfs takes them
  -B be|le          byte order of the image (default le on every host: the image does not depend on it)
  -s SIZE           the image's exact size (else computed from the tree, with headroom)
  -M MIN, -m MAX    bounds on the computed size
  -b N[%], -f N[%]  free blocks and free inodes to leave, counts or percentages
  -F SPEC [-x]      an mtree(8) spec: owners, modes, flags and times override the tree's; nodes it adds
                    (directories, links, device nodes) are made; -x leaves out what the spec lacks
  -N DIR            the passwd and group files to resolve the spec's uname and gname
  -T TIME|FILE      every timestamp set to TIME (seconds since 1970) or FILE's mtime
Sizes take b, k, m, g, t suffixes. Examples:
  rumpjs makefs disk.img ./tree
  rumpjs makefs -o version=2 -B be -T 0 -F root.spec disk.img ./destdir";

#[derive(Args, Debug)]
#[command(disable_help_flag = true, after_help = HELP)]
pub struct MakefsArgs {
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// makefs's options, the image and the directory: [-t ffs] [-o version=1|2,bsize=N,fsize=N,
    /// density=N,minfree=N,optimization=space|time,label=NAME] [-B be|le] [-s SIZE] [-M MIN] [-m MAX]
    /// [-b FREE-BLOCKS[%]] [-f FREE-FILES[%]] [-F MTREE-SPEC [-x]] [-N USERDB-DIR] [-T TIMESTAMP|FILE]
    /// IMAGE DIR. Sizes take b/k/m/g/t suffixes.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "ARGS")]
    pub args: Vec<String>,
}

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

/// A number as NetBSD's strsuftoll reads it: decimal with an optional b (512), k, m, g, t or w (4)
/// suffix; `AxB` multiplies.
pub fn parse_num(s: &str) -> Option<u64> {
    let mut total: u64 = 1;
    for part in s.split('x') {
        let part = part.trim();
        let (digits, mul) = match part.as_bytes().last()? {
            b'b' | b'B' => (&part[..part.len() - 1], 512),
            b'k' | b'K' => (&part[..part.len() - 1], 1 << 10),
            b'm' | b'M' => (&part[..part.len() - 1], 1 << 20),
            b'g' | b'G' => (&part[..part.len() - 1], 1 << 30),
            b't' | b'T' => (&part[..part.len() - 1], 1 << 40),
            b'w' | b'W' => (&part[..part.len() - 1], 4),
            _ => (part, 1),
        };
        let n: u64 = digits.parse().ok()?;
        total = total.checked_mul(n.checked_mul(mul)?)?;
    }
    Some(total)
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

// ---------------------------------------------------------------- mtree specs

/// mtree(5) specifications: the hierarchical form (`name keywords`, `..` to go up) and the full-path
/// form (`./a/b keywords`), `/set` and `/unset`, comments and continued lines; names and link targets
/// in vis(3) encoding.
pub mod mtree {
    use crate::host::copy::Kind;
    use kernel::vfs::Timespec;

    /// The keywords makefs uses (the digests and others are read and ignored).
    #[derive(Clone, Debug, Default, PartialEq, Eq)]
    pub struct Keywords {
        pub kind: Option<Kind>,
        pub mode: Option<u32>,
        pub uid: Option<u32>,
        pub gid: Option<u32>,
        pub uname: Option<String>,
        pub gname: Option<String>,
        pub flags: Option<u32>,
        pub link: Option<Vec<u8>>,
        pub device: Option<(u32, u32)>,
        pub time: Option<Timespec>,
        pub size: Option<u64>,
        pub optional: bool,
    }

    impl Keywords {
        fn merge(&mut self, o: &Keywords) {
            macro_rules! m {
                ($($f:ident),*) => { $( if o.$f.is_some() { self.$f = o.$f.clone(); } )* };
            }
            m!(kind, mode, uid, gid, uname, gname, flags, link, device, time, size);
            self.optional |= o.optional;
        }
    }

    /// One entry and, for a directory, the entries in it.
    #[derive(Clone, Debug, Default)]
    pub struct Entry {
        pub name: Vec<u8>,
        pub kw: Keywords,
        pub children: Vec<Entry>,
    }

    impl Entry {
        fn child(&mut self, name: &[u8]) -> usize {
            match self.children.iter().position(|c| c.name == name) {
                Some(i) => i,
                None => {
                    self.children.push(Entry { name: name.to_vec(), ..Default::default() });
                    self.children.len() - 1
                }
            }
        }

        fn at(&mut self, path: &[usize]) -> &mut Entry {
            let mut e = self;
            for &i in path {
                e = &mut e.children[i];
            }
            e
        }
    }

    /// Decodes vis(3): `\ooo` octal, C escapes, `\s` for space, `\M-x` and `\^x`.
    pub fn unvis(s: &str) -> Vec<u8> {
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'\\' || i + 1 == b.len() {
                out.push(b[i]);
                i += 1;
                continue;
            }
            let c = b[i + 1];
            i += 2;
            match c {
                b'0'..=b'7' => {
                    let mut v = (c - b'0') as u32;
                    let mut k = 0;
                    while k < 2 && i < b.len() && (b'0'..=b'7').contains(&b[i]) {
                        v = v * 8 + (b[i] - b'0') as u32;
                        i += 1;
                        k += 1;
                    }
                    out.push(v as u8);
                }
                b'n' => out.push(b'\n'),
                b't' => out.push(b'\t'),
                b'r' => out.push(b'\r'),
                b'b' => out.push(8),
                b'a' => out.push(7),
                b'v' => out.push(11),
                b'f' => out.push(12),
                b's' => out.push(b' '),
                b'E' => out.push(27),
                b'M' if i + 1 < b.len() && b[i] == b'-' => {
                    out.push(b[i + 1] | 0x80);
                    i += 2;
                }
                b'M' if i + 1 < b.len() && b[i] == b'^' => {
                    let x = b[i + 1];
                    out.push(if x == b'?' { 0xff } else { (x & 0x1f) | 0x80 });
                    i += 2;
                }
                b'^' if i < b.len() => {
                    let x = b[i];
                    out.push(if x == b'?' { 0x7f } else { x & 0x1f });
                    i += 1;
                }
                b'\n' => {}
                other => out.push(other),
            }
        }
        out
    }

    /// chflags(1) names (a `no` prefix clears: `nodump` is a flag of its own, `dump` clears it).
    pub fn parse_flags(s: &str) -> Result<u32, String> {
        use kernel::vfs::*;
        let mut f = 0u32;
        for w in s.split(',').filter(|w| !w.is_empty()) {
            let bit = |w: &str| -> Option<u32> {
                Some(match w {
                    "arch" | "archived" | "sarch" => SF_ARCHIVED,
                    "nodump" => UF_NODUMP,
                    "opaque" => UF_OPAQUE,
                    "sappnd" | "sappend" => SF_APPEND,
                    "schg" | "schange" | "simmutable" => SF_IMMUTABLE,
                    "uappnd" | "uappend" => UF_APPEND,
                    "uchg" | "uchange" | "uimmutable" => UF_IMMUTABLE,
                    "snap" | "snapshot" => SF_SNAPSHOT,
                    "log" => SF_LOG,
                    _ => return None,
                })
            };
            if w == "none" {
                f = 0;
            } else if let Some(b) = bit(w) {
                f |= b;
            } else if w == "dump" {
                f &= !UF_NODUMP;
            } else if let Some(b) = w.strip_prefix("no").and_then(bit) {
                f &= !b;
            } else {
                return Err(format!("unknown flag {w:?}"));
            }
        }
        Ok(f)
    }

    fn kind(v: &str) -> Result<Kind, String> {
        Ok(match v {
            "file" => Kind::Reg,
            "dir" => Kind::Dir,
            "link" => Kind::Lnk,
            "block" => Kind::Blk,
            "char" => Kind::Chr,
            "fifo" => Kind::Fifo,
            "socket" => Kind::Sock,
            _ => return Err(format!("unknown type {v:?}")),
        })
    }

    fn num<T: std::str::FromStr>(k: &str, v: &str) -> Result<T, String> {
        v.parse().map_err(|_| format!("{k}={v}: not a number"))
    }

    fn keywords(words: &[&str], kw: &mut Keywords, unset: bool) -> Result<(), String> {
        for w in words {
            let (k, v) = w.split_once('=').unwrap_or((w, ""));
            if unset {
                match k {
                    "all" => *kw = Keywords::default(),
                    "type" => kw.kind = None,
                    "mode" => kw.mode = None,
                    "uid" => kw.uid = None,
                    "gid" => kw.gid = None,
                    "uname" => kw.uname = None,
                    "gname" => kw.gname = None,
                    "flags" => kw.flags = None,
                    "link" => kw.link = None,
                    "device" => kw.device = None,
                    "time" => kw.time = None,
                    "size" => kw.size = None,
                    "optional" => kw.optional = false,
                    _ => {}
                }
                continue;
            }
            match k {
                "type" => kw.kind = Some(kind(v)?),
                "mode" => {
                    kw.mode = Some(
                        u32::from_str_radix(v, 8)
                            .ok()
                            .filter(|m| *m <= 0o7777)
                            .ok_or_else(|| format!("mode={v}: an octal mode is needed"))?,
                    )
                }
                "uid" => kw.uid = Some(num(k, v)?),
                "gid" => kw.gid = Some(num(k, v)?),
                "uname" => kw.uname = Some(v.to_string()),
                "gname" => kw.gname = Some(v.to_string()),
                "flags" => kw.flags = Some(parse_flags(v)?),
                "link" => kw.link = Some(unvis(v)),
                "size" => kw.size = Some(num(k, v)?),
                "optional" => kw.optional = true,
                "time" => {
                    let (s, ns) = v.split_once('.').unwrap_or((v, "0"));
                    let ns: u32 = num(k, ns)?;
                    kw.time = Some(Timespec::new(num(k, s)?, ns.min(999_999_999)));
                }
                "device" => {
                    let parts: Vec<&str> = v.split(',').collect();
                    kw.device = Some(if parts.len() >= 3 {
                        (num(k, parts[1])?, num(k, parts[2])?)
                    } else {
                        let d: u64 = num(k, v)?;
                        (kernel::vfs::major(d), kernel::vfs::minor(d))
                    });
                }
                // Digests, counts and the rest: not makefs's business.
                _ => {}
            }
        }
        Ok(())
    }

    /// Parses a spec; the root entry is `.`.
    pub fn parse(text: &str) -> Result<Entry, String> {
        let mut root = Entry {
            name: b".".to_vec(),
            kw: Keywords { kind: Some(Kind::Dir), ..Default::default() },
            ..Default::default()
        };
        let mut defaults = Keywords::default();
        let mut cur: Vec<usize> = Vec::new(); // path of indices from the root to the current directory
        let mut lines = text.lines().enumerate();
        while let Some((no, l)) = lines.next() {
            let mut line = l.to_string();
            while line.ends_with('\\') && !line.ends_with("\\\\") {
                line.pop();
                match lines.next() {
                    Some((_, more)) => line.push_str(more),
                    None => break,
                }
            }
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let words: Vec<&str> = t.split_whitespace().collect();
            let at = |e: String| format!("line {}: {e}", no + 1);
            match words[0] {
                "/set" => keywords(&words[1..], &mut defaults, false).map_err(at)?,
                "/unset" => keywords(&words[1..], &mut defaults, true).map_err(at)?,
                ".." => {
                    if cur.pop().is_none() {
                        return Err(at("`..' above the root".into()));
                    }
                }
                name => {
                    let mut kw = defaults.clone();
                    keywords(&words[1..], &mut kw, false).map_err(at)?;
                    let name = unvis(name);
                    if name == b"." {
                        root.kw.merge(&kw);
                        cur.clear();
                        continue;
                    }
                    if name.contains(&b'/') {
                        // Full path: from the root, whatever the current directory.
                        let comps: Vec<&[u8]> =
                            name.split(|&c| c == b'/').filter(|c| !c.is_empty() && *c != b".").collect();
                        let mut path = Vec::new();
                        for (k, c) in comps.iter().enumerate() {
                            let e = root.at(&path);
                            let i = e.child(c);
                            path.push(i);
                            if k + 1 == comps.len() {
                                root.at(&path).kw.merge(&kw);
                            }
                        }
                    } else {
                        let dir = root.at(&cur);
                        let i = dir.child(&name);
                        dir.children[i].kw.merge(&kw);
                        if dir.children[i].kw.kind == Some(Kind::Dir) {
                            cur.push(i);
                        }
                    }
                }
            }
        }
        Ok(root)
    }
}

/// Names to numbers for the spec's uname and gname: numbers as they are, root and wheel as 0, and
/// the user database of `-N` (master.passwd or passwd, and group) — never the host's own.
struct Ids {
    users: HashMap<String, u32>,
    groups: HashMap<String, u32>,
}

impl Ids {
    fn new(db: Option<&Path>) -> Result<Ids, String> {
        let mut ids = Ids { users: HashMap::new(), groups: HashMap::new() };
        ids.users.insert("root".into(), 0);
        ids.groups.insert("wheel".into(), 0);
        ids.groups.insert("root".into(), 0);
        if let Some(d) = db {
            let pw = std::fs::read_to_string(d.join("master.passwd"))
                .or_else(|_| std::fs::read_to_string(d.join("passwd")))
                .map_err(|e| format!("-N {}: no master.passwd or passwd ({e})", d.display()))?;
            for l in pw.lines().filter(|l| !l.starts_with('#')) {
                let f: Vec<&str> = l.split(':').collect();
                if let (Some(n), Some(Ok(uid))) = (f.first(), f.get(2).map(|u| u.parse())) {
                    ids.users.insert(n.to_string(), uid);
                }
            }
            let gr = std::fs::read_to_string(d.join("group"))
                .map_err(|e| format!("-N {}: no group file ({e})", d.display()))?;
            for l in gr.lines().filter(|l| !l.starts_with('#')) {
                let f: Vec<&str> = l.split(':').collect();
                if let (Some(n), Some(Ok(gid))) = (f.first(), f.get(2).map(|u| u.parse())) {
                    ids.groups.insert(n.to_string(), gid);
                }
            }
        }
        Ok(ids)
    }

    fn uid(&self, kw: &mtree::Keywords) -> Result<Option<u32>, String> {
        if kw.uid.is_some() {
            return Ok(kw.uid);
        }
        match &kw.uname {
            None => Ok(None),
            Some(n) => n.parse().ok().or_else(|| self.users.get(n).copied()).map(Some).ok_or_else(|| {
                format!("uname={n}: unknown (give uid=, or the user database with -N; the host's is not used)")
            }),
        }
    }

    fn gid(&self, kw: &mtree::Keywords) -> Result<Option<u32>, String> {
        if kw.gid.is_some() {
            return Ok(kw.gid);
        }
        match &kw.gname {
            None => Ok(None),
            Some(n) => n.parse().ok().or_else(|| self.groups.get(n).copied()).map(Some).ok_or_else(|| {
                format!("gname={n}: unknown (give gid=, or the group database with -N; the host's is not used)")
            }),
        }
    }
}

/// Applies a spec to the tree as makefs's apply_specfile does: attributes of existing entries
/// overridden, missing entries made (unless `optional`), with -x everything not in the spec dropped.
fn apply_spec(
    spec: &mtree::Entry,
    node: &mut Node,
    ids: &Ids,
    now: Timespec,
    only: bool,
    path: &str,
) -> Result<(), String> {
    apply_entry(spec, node, ids, path)?;
    if node.meta.kind != Kind::Dir {
        return Err(format!("{path}: not a directory in the tree"));
    }
    if only {
        node.children.retain(|c| spec.children.iter().any(|s| s.name == c.name));
    }
    for s in &spec.children {
        let cpath = format!("{path}/{}", String::from_utf8_lossy(&s.name));
        let i = match node.children.binary_search_by(|c| c.name.as_slice().cmp(&s.name)) {
            Ok(i) => i,
            Err(i) => {
                if s.kw.optional {
                    continue;
                }
                let kind = s.kw.kind.ok_or_else(|| format!("{cpath}: not in the tree, and the spec gives no type"))?;
                let mode = s.kw.mode.ok_or_else(|| format!("{cpath}: not in the tree, and the spec gives no mode"))?;
                if ids.uid(&s.kw)?.is_none() {
                    return Err(format!("{cpath}: not in the tree, and the spec gives no uid or uname"));
                }
                if ids.gid(&s.kw)?.is_none() {
                    return Err(format!("{cpath}: not in the tree, and the spec gives no gid or gname"));
                }
                if matches!(kind, Kind::Blk | Kind::Chr) && s.kw.device.is_none() {
                    return Err(format!("{cpath}: a device needs device="));
                }
                if kind == Kind::Lnk && s.kw.link.is_none() {
                    return Err(format!("{cpath}: a symbolic link needs link="));
                }
                let mut m = Meta::new(kind, mode);
                m.mtime = now;
                m.atime = now;
                node.children.insert(i, Node::made_up(&s.name, m));
                i
            }
        };
        let child = &mut node.children[i];
        if s.kw.kind == Some(Kind::Dir) || !s.children.is_empty() {
            apply_spec(s, child, ids, now, only, &cpath)?;
        } else {
            apply_entry(s, child, ids, &cpath)?;
        }
    }
    Ok(())
}

fn apply_entry(s: &mtree::Entry, n: &mut Node, ids: &Ids, path: &str) -> Result<(), String> {
    let kw = &s.kw;
    if let Some(k) = kw.kind {
        if k != n.meta.kind {
            return Err(format!("{path}: type mismatch: spec {}, tree {}", k.name(), n.meta.kind.name()));
        }
    }
    if let Some(g) = ids.gid(kw)? {
        n.meta.gid = g;
    }
    if let Some(u) = ids.uid(kw)? {
        n.meta.uid = u;
    }
    if let Some(m) = kw.mode {
        n.meta.perm = m;
    }
    if let Some(sz) = kw.size {
        if n.meta.kind == Kind::Reg {
            n.meta.size = sz;
            n.copy_len = n.copy_len.min(sz);
        }
    }
    if let Some(l) = &kw.link {
        if n.meta.kind == Kind::Lnk {
            n.target = l.clone();
        }
    }
    if let Some(t) = kw.time {
        n.meta.mtime = t;
        n.meta.atime = t;
    }
    if let Some(f) = kw.flags {
        n.meta.flags = f;
    }
    if let Some(d) = kw.device {
        n.meta.rdev = d;
    }
    Ok(())
}

// ---------------------------------------------------------------- sizing

/// FFS geometry the estimate needs.
struct Geom {
    bsize: u64,
    fsize: u64,
    nindir: u64,
    maxsymlink: u64,
}

const NDADDR: u64 = 12;
const DIRBLKSIZ: u64 = 512;

/// Indirect blocks a file of `nblocks` blocks needs.
fn indirect_blocks(nblocks: u64, nindir: u64) -> u64 {
    let mut n = nblocks.saturating_sub(NDADDR);
    let mut b = 0;
    if n > 0 {
        b += 1;
        n = n.saturating_sub(nindir);
    }
    if n > 0 {
        b += 1 + n.div_ceil(nindir).min(nindir);
        n = n.saturating_sub(nindir * nindir);
    }
    if n > 0 {
        b += 1 + n.div_ceil(nindir * nindir) + n.div_ceil(nindir);
    }
    b
}

/// Fragments for `size` bytes all written (the last block of a small file in fragments).
fn dense_frags(size: u64, g: &Geom) -> u64 {
    if size == 0 {
        return 0;
    }
    let frag = g.bsize / g.fsize;
    let nb = size.div_ceil(g.bsize);
    if nb <= NDADDR {
        (nb - 1) * frag + (size - (nb - 1) * g.bsize).div_ceil(g.fsize)
    } else {
        (nb + indirect_blocks(nb, g.nindir)) * frag
    }
}

/// Bytes of a directory holding `names` (with `.` and `..`), as entries pack into DIRBLKSIZ chunks.
fn dir_bytes<'a>(names: impl Iterator<Item = &'a [u8]>) -> u64 {
    let mut cur = 0u64;
    for n in [&b"."[..], &b".."[..]].into_iter().chain(names) {
        let this = (8 + n.len() as u64 + 1 + 3) & !3;
        if cur % DIRBLKSIZ + this > DIRBLKSIZ {
            cur = cur.div_ceil(DIRBLKSIZ) * DIRBLKSIZ;
        }
        cur += this;
    }
    cur.div_ceil(DIRBLKSIZ) * DIRBLKSIZ
}

/// Fragments of a sparse host file: the blocks its data touches, the last block, and indirect blocks
/// as for a dense file (an upper bound).
fn sparse_frags(path: &Path, n: &Node, g: &Geom) -> u64 {
    use std::os::fd::AsRawFd;
    let size = n.copy_len;
    let frag = g.bsize / g.fsize;
    let nb = size.div_ceil(g.bsize);
    let Ok(f) = File::open(path) else { return dense_frags(size, g) };
    let fd = f.as_raw_fd();
    let mut blocks = std::collections::BTreeSet::new();
    let mut off = 0i64;
    while (off as u64) < size {
        let d = unsafe { libc::lseek(fd, off, libc::SEEK_DATA) };
        if d < 0 {
            if std::io::Error::last_os_error().raw_os_error() == Some(libc::ENXIO) {
                break;
            }
            return dense_frags(size, g);
        }
        let h = unsafe { libc::lseek(fd, d, libc::SEEK_HOLE) };
        let end = if h < 0 { size } else { (h as u64).min(size) };
        if end as i64 <= d {
            break;
        }
        for b in (d as u64 / g.bsize)..end.div_ceil(g.bsize) {
            blocks.insert(b);
            if blocks.len() as u64 > nb {
                break;
            }
        }
        off = end as i64;
    }
    if nb > 0 {
        blocks.insert(nb - 1);
    }
    (blocks.len() as u64 + indirect_blocks(nb, g.nindir)) * frag
}

/// What the tree needs: data fragments and inodes (hard links once).
fn needs(tree: &Node, root: &Path, g: &Geom) -> (u64, u64) {
    let mut seen = std::collections::HashSet::new();
    let mut frags = 0u64;
    let mut inodes = 0u64;
    fn walk(
        n: &Node,
        path: &mut PathBuf,
        g: &Geom,
        seen: &mut std::collections::HashSet<(u64, u64)>,
        frags: &mut u64,
        inodes: &mut u64,
    ) {
        if n.meta.kind != Kind::Dir && n.in_source && n.meta.nlink > 1 && !seen.insert((n.meta.dev, n.meta.ino)) {
            return;
        }
        *inodes += 1;
        match n.meta.kind {
            Kind::Reg => {
                let sparse = n.in_source && n.meta.blocks * 512 < n.copy_len;
                *frags += if sparse { sparse_frags(path, n, g) } else { dense_frags(n.meta.size, g) };
            }
            Kind::Lnk if n.target.len() as u64 >= g.maxsymlink => *frags += (n.target.len() as u64).div_ceil(g.fsize),
            Kind::Dir => {
                *frags += dense_frags(dir_bytes(n.children.iter().map(|c| c.name.as_slice())), g);
                for c in &n.children {
                    path.push(std::ffi::OsStr::from_bytes(&c.name));
                    walk(c, path, g, seen, frags, inodes);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut p = root.to_path_buf();
    walk(tree, &mut p, g, &mut seen, &mut frags, &mut inodes);
    (frags, inodes)
}

/// The newfs options for the size in bytes.
fn newfs_options(o: &MakefsOptions, inodes: u64) -> NewfsOptions {
    NewfsOptions {
        ufs: o.ufs,
        bsize: o.bsize,
        fsize: o.fsize,
        order: o.order,
        size: 0,
        inodes: if o.density == 0 { inodes } else { 0 },
        density: o.density,
        volname: o.label.clone(),
        minfree: o.minfree,
        optim_space: o.optim_space,
        avgfilesize: o.avgfilesize,
        avgfpdir: o.avgfpdir,
        maxbpg: o.maxbpg,
        maxcontig: 0,
        root_uid: 0,
        root_gid: 0,
    }
}

/// A size (bytes) and newfs options that hold `frags` fragments of data and `inodes` inodes.
fn fit(o: &MakefsOptions, frags: u64, inodes: u64, start: u64) -> Result<(u64, NewfsOptions), String> {
    let isz = if o.ufs == 2 { 256 } else { 128 };
    let mut want_inodes = inodes;
    let fixed = o.size.is_some();
    let mut size = o.size.unwrap_or_else(|| {
        let data = frags * o.fsize as u64 * 100 / (100 - o.minfree.min(99)) as u64;
        (start.max(data + inodes * isz + (1 << 20)).max(o.min_size)).div_ceil(o.bsize as u64) * o.bsize as u64
    });
    for _ in 0..200 {
        let nopts = newfs_options(o, want_inodes);
        match newfs::layout(&nopts, size) {
            Ok(l) => {
                let usable = l.dsize.saturating_sub(l.dsize * l.minfree as u64 / 100).saturating_sub(l.bsize / l.fsize);
                let have_inodes = l.inodes.saturating_sub(2);
                if usable >= frags && have_inodes >= inodes {
                    return Ok((size, nopts));
                }
                // newfs rounds the inodes it is asked for to whole blocks of them in every group, and
                // may round down: ask for more until the tree's count fits (also within -s).
                let more_inodes = have_inodes < inodes && o.density == 0;
                if fixed && (usable < frags || !more_inodes || want_inodes > inodes * 4 + 1024) {
                    return Err(format!(
                        "the tree needs {} fragments and {} inodes; -s {} holds {} and {} (give a larger -s, or none to have the size calculated)",
                        frags, inodes, size, usable, have_inodes
                    ));
                }
                if more_inodes {
                    want_inodes += (inodes - have_inodes) + l.ncg * (l.bsize / isz);
                }
                if fixed {
                    continue;
                }
                if usable < frags {
                    size += ((frags - usable) * l.fsize * 105 / 100).max(l.bsize * 16);
                } else if have_inodes < inodes && o.density != 0 {
                    size += ((inodes - have_inodes) * o.density as u64).max(l.bsize * 16);
                }
            }
            Err(e) if fixed => return Err(format!("-s {size}: {e}")),
            Err(_) => size += size / 8 + (1 << 20),
        }
        size = size.div_ceil(o.bsize as u64) * o.bsize as u64;
    }
    Err("no layout found for the tree".into())
}

// ---------------------------------------------------------------- building

/// The host makefs's kernel runs on: the clock stands still where makefs puts it, randomness is a
/// seeded stream, host files are out of reach (the image is registered directly).
struct ImageHost {
    now: Mutex<Timespec>,
    seed: AtomicU64,
    ticks: AtomicU64,
    verbose: bool,
}

impl ImageHost {
    fn set(&self, t: Timespec) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = t;
    }
}

impl Hypervisor for ImageHost {
    fn open_block_device(&self, _host_path: &str, _readonly: bool) -> KResult<Dev> {
        Err(Errno::EACCES)
    }
    fn wall_clock(&self) -> Timespec {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn monotonic_ns(&self) -> u64 {
        self.ticks.fetch_add(1000, Ordering::Relaxed)
    }
    fn random(&self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let mut z =
                self.seed.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed).wrapping_add(0x9e37_79b9_7f4a_7c15);
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
    }
    fn console(&self, line: &str) {
        if self.verbose {
            output::line(Stream::Stderr, line);
        }
    }
}

/// The image file as a disk: no fsync at every flush (the image is a file being made, as makefs writes
/// it; the host's page cache holds it).
struct ImageDevice {
    file: File,
    size: u64,
    name: String,
}

impl BlockDevice for ImageDevice {
    fn read_at(&self, off: u64, buf: &mut [u8]) -> KResult<()> {
        kernel::dev::check_range(off, buf.len(), self.size)?;
        self.file.read_exact_at(buf, off).map_err(|_| Errno::EIO)
    }
    fn write_at(&self, off: u64, buf: &[u8]) -> KResult<()> {
        kernel::dev::check_range(off, buf.len(), self.size)?;
        self.file.write_all_at(buf, off).map_err(|e| crate::host::errno::host_errno(&e))
    }
    fn size(&self) -> u64 {
        self.size
    }
    fn flush(&self) -> KResult<()> {
        Ok(())
    }
    fn readonly(&self) -> bool {
        false
    }
    fn describe(&self) -> String {
        self.name.clone()
    }
}

/// What makefs made.
#[derive(Clone, Debug)]
pub struct Report {
    pub size: u64,
    pub inodes: u64,
    pub newfs: newfs::NewfsReport,
    pub stats: copy::Stats,
    /// The estimate was short and the image was made again this many times.
    pub retries: u32,
}

/// Why makefs failed.
#[derive(Debug)]
pub struct Failure(pub String);

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn newest_mtime(n: &Node) -> Timespec {
    let mut t = Timespec::default();
    n.walk(&mut |n| t = t.max(n.meta.mtime));
    t
}

fn spec_times(e: &mtree::Entry, t: &mut Timespec) {
    if let Some(x) = e.kw.time {
        *t = (*t).max(x);
    }
    for c in &e.children {
        spec_times(c, t);
    }
}

/// Makes the image. `say` gets makefs's report lines.
pub fn makefs(o: &MakefsOptions, say: &mut dyn FnMut(&str)) -> Result<Report, Failure> {
    let fail = |m: String| Failure(m);
    let img_name = o.image.display().to_string();
    // An image that already exists and lies inside the tree is left out of it. It is not opened (nor
    // truncated) until the tree, the spec and the size are known to be good: a mistake in them must
    // not cost the user the file that was there.
    let img_id = {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(&o.image).ok().map(|m| (m.dev(), m.ino()))
    };
    let dir = o.dir.as_os_str().as_bytes();
    match std::fs::metadata(&o.dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(fail(format!("{}: not a directory", o.dir.display()))),
        Err(e) => return Err(fail(format!("{}: {e}", o.dir.display()))),
    }
    let h = HostFs::new();
    let mut tree = copy::scan(&h, dir).map_err(|e| fail(format!("{}: {e}", o.dir.display())))?;
    // Not the image itself, nor sockets (as makefs: a file system image holds no sockets).
    let img_id = img_id.map(|(dev, ino)| (((libc::major(dev) as u64) << 32) | libc::minor(dev) as u64, ino));
    tree.walk_mut(&mut |n| {
        n.children.retain(|c| c.meta.kind != Kind::Sock && Some((c.meta.dev, c.meta.ino)) != img_id)
    });

    // The clock: -T, SOURCE_DATE_EPOCH, or the newest modification time in the tree and spec.
    let spec = match &o.spec {
        Some(p) => {
            let text = std::fs::read(p).map_err(|e| fail(format!("{}: {e}", p.display())))?;
            let text = String::from_utf8_lossy(&text);
            Some(mtree::parse(&text).map_err(|e| fail(format!("{}: {e}", p.display())))?)
        }
        None => None,
    };
    let now = match o.timestamp {
        Some(t) => t,
        None => match std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|s| s.trim().parse::<i64>().ok()) {
            Some(s) => Timespec::new(s, 0),
            None => {
                let mut t = newest_mtime(&tree);
                if let Some(s) = &spec {
                    spec_times(s, &mut t);
                }
                t
            }
        },
    };
    if let Some(t) = o.timestamp {
        tree.walk_mut(&mut |n| n.meta.mtime = t);
    }
    if let Some(s) = &spec {
        let ids = Ids::new(o.userdb.as_deref()).map_err(fail)?;
        apply_spec(s, &mut tree, &ids, now, o.spec_only, ".").map_err(|e| fail(format!("spec: {e}")))?;
    }
    // Times: access and birth are the modification time (never the host's access times).
    tree.walk_mut(&mut |n| {
        n.meta.atime = n.meta.mtime;
        n.meta.btime = Some(n.meta.mtime);
    });

    // Size.
    let g = Geom {
        bsize: o.bsize as u64,
        fsize: o.fsize as u64,
        nindir: o.bsize as u64 / if o.ufs == 2 { 8 } else { 4 },
        maxsymlink: if o.ufs == 2 { 120 } else { 60 },
    };
    if o.bsize < 4096 || o.fsize < 512 || !o.bsize.is_power_of_two() || !o.fsize.is_power_of_two() {
        return Err(fail(format!("bsize {} / fsize {}: powers of two, bsize at least 4096", o.bsize, o.fsize)));
    }
    let (data, nodes) = needs(&tree, &o.dir, &g);
    let mut inodes = nodes + 2 + o.free_files;
    if o.free_files_pc > 0 {
        inodes = inodes * (100 + o.free_files_pc as u64) / 100;
    }
    let frag = g.bsize / g.fsize;
    // Headroom for fragments left over in partly used blocks and directories that moved as they grew.
    let mut frags = data + data / 50 + 64 * frag + o.free_blocks * frag;
    if o.free_blocks_pc > 0 {
        frags = frags * (100 + o.free_blocks_pc as u64) / 100;
    }
    let (mut size, mut nopts) = fit(o, frags, inodes, 0).map_err(fail)?;
    if o.max_size > 0 && size > o.max_size {
        return Err(fail(format!("`{}' size of {size} is larger than the maxsize of {}", o.dir.display(), o.max_size)));
    }
    say(&format!("Calculated size of `{img_name}': {size} bytes, {inodes} inodes"));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&o.image)
        .map_err(|e| fail(format!("{img_name}: {e}")))?;
    // A half-made image is removed: nobody should take it for a file system.
    let remove = |e: Failure| {
        let _ = std::fs::remove_file(&o.image);
        e
    };

    let mut retries = 0;
    loop {
        match build(o, &file, &img_name, &tree, size, &nopts, now, say) {
            Ok((newfs, stats)) => {
                say(&format!("Image `{img_name}' complete"));
                return Ok(Report { size, inodes, newfs, stats, retries });
            }
            Err(BuildError::Full) if o.size.is_none() && retries < 6 => {
                retries += 1;
                let bigger = size + size / 4 + 64 * g.bsize;
                if o.max_size > 0 && bigger > o.max_size {
                    return Err(remove(fail(format!(
                        "`{img_name}': the tree does not fit in the maxsize of {}",
                        o.max_size
                    ))));
                }
                output::line(
                    Stream::Stderr,
                    &format!("rumpjs makefs: {size} bytes were not enough; making the image again larger"),
                );
                (size, nopts) = fit(o, frags, inodes, bigger).map_err(|e| remove(fail(e)))?;
            }
            Err(BuildError::Full) => {
                return Err(remove(fail(format!("`{img_name}': no space left on the file system of {size} bytes"))))
            }
            Err(BuildError::Other(m)) => return Err(remove(fail(m))),
        }
    }
}

enum BuildError {
    Full,
    Other(String),
}

#[allow(clippy::too_many_arguments)]
fn build(
    o: &MakefsOptions,
    file: &File,
    img_name: &str,
    tree: &Node,
    size: u64,
    nopts: &NewfsOptions,
    now: Timespec,
    say: &mut dyn FnMut(&str),
) -> Result<(newfs::NewfsReport, copy::Stats), BuildError> {
    let other = |m: String| BuildError::Other(m);
    // From zeros: nothing of an earlier image survives.
    file.set_len(0).and_then(|_| file.set_len(size)).map_err(|e| other(format!("{img_name}: {e}")))?;
    let dev = Arc::new(ImageDevice {
        file: file.try_clone().map_err(|e| other(format!("{img_name}: {e}")))?,
        size,
        name: img_name.to_string(),
    });
    let host = Arc::new(ImageHost {
        now: Mutex::new(now),
        seed: AtomicU64::new((now.sec as u64) ^ 0x6d61_6b65_6673_0000),
        ticks: AtomicU64::new(0),
        verbose: o.verbose,
    });
    let report = newfs::newfs(dev.as_ref(), nopts, host.as_ref()).map_err(|e| other(format!("newfs: {e}")))?;
    say(report.to_string().trim_end());
    say(&format!("Populating `{img_name}'"));
    let k = Kernel::boot_default(host.clone()).map_err(|e| other(format!("boot: {e}")))?;
    k.etfs_register("/dev/image", dev as Dev).map_err(|e| other(format!("{img_name}: {e}")))?;
    let p = k.new_proc(Cred::root());
    p.mkdir(b"/mnt", 0o755).map_err(|e| other(format!("mkdir /mnt: {e}")))?;
    p.mount("ffs", b"/mnt", 0, Some("/dev/image"), &MountOptions::default())
        .map_err(|e| other(format!("mount {img_name}: {e}")))?;
    let kfs = KernelFs::new(&p);
    let clock = |m: &Meta| host.set(m.mtime);
    let opts = copy::Options {
        owners: true,
        btime: o.ufs == 2,
        flags: true,
        progress: o.progress,
        before_attrs: Some(&clock),
        label: "makefs",
        ..copy::Options::default()
    };
    let r = copy::copy(&HostFs::new(), o.dir.as_os_str().as_bytes(), tree, &kfs, b"/mnt", &opts);
    host.set(now);
    let u = p.unmount(b"/mnt", 0);
    match r {
        Ok(stats) => {
            u.map_err(|e| other(format!("unmount {img_name}: {e}")))?;
            for m in &stats.skipped {
                output::line(Stream::Stderr, &format!("rumpjs makefs: skipped {m}"));
            }
            Ok((report, stats))
        }
        Err(e) if e.errno == Errno::ENOSPC => Err(BuildError::Full),
        Err(e) => Err(other(e.to_string())),
    }
}

/// `rumpjs makefs …`.
pub fn main(common: &crate::cmd::CommonOpts, a: MakefsArgs) -> i32 {
    let mut o = match parse_args(&a.args) {
        Ok(o) => o,
        Err(e) => {
            output::line(Stream::Stderr, &format!("rumpjs makefs: {e}\nusage: rumpjs {USAGE}"));
            return 1;
        }
    };
    o.verbose = common.verbose;
    crate::cmd::with_big_stack(move || {
        let mut say = |l: &str| output::line(Stream::Stdout, l);
        let r = makefs(&o, &mut say);
        output::flush();
        match r {
            Ok(_) => 0,
            Err(e) => {
                output::line(Stream::Stderr, &format!("rumpjs makefs: {e}"));
                1
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::vfs as v;

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

    #[test]
    fn specs() {
        let s = "#comment\n/set type=file uname=root gname=wheel mode=0644\n. type=dir mode=0755\n\
                 bin type=dir mode=0755\n    cat mode=0555 size=10 \\\n time=5.000000007\n    sp\\040ace link=x\n..\n\
                 ./dev/null type=char device=netbsd,2,2 mode=0666 flags=uchg,nodump\n";
        let r = mtree::parse(s).unwrap();
        assert_eq!(r.kw.mode, Some(0o755));
        let bin = &r.children[0];
        assert_eq!(bin.name, b"bin");
        assert_eq!(bin.children[0].kw.mode, Some(0o555));
        assert_eq!(bin.children[0].kw.time, Some(Timespec::new(5, 7)));
        assert_eq!(bin.children[1].name, b"sp ace");
        let dev = &r.children[1];
        assert_eq!(dev.name, b"dev");
        assert_eq!(dev.children[0].kw.device, Some((2, 2)));
        assert_eq!(dev.children[0].kw.flags, Some(v::UF_IMMUTABLE | v::UF_NODUMP));
        assert_eq!(mtree::unvis("a\\M-a\\^A\\\\"), b"a\xe1\x01\\");
    }

    #[test]
    fn directory_sizes() {
        assert_eq!(dir_bytes(std::iter::empty()), 512);
        let long = vec![b'x'; 255];
        // Two 255-byte names do not share a chunk with . and .. and each other.
        assert_eq!(dir_bytes([long.as_slice(), long.as_slice()].into_iter()), 1024);
        let g = Geom { bsize: 8192, fsize: 1024, nindir: 2048, maxsymlink: 60 };
        assert_eq!(dense_frags(1, &g), 1);
        assert_eq!(dense_frags(8193, &g), 9);
        assert_eq!(dense_frags(13 * 8192, &g), 14 * 8);
        assert_eq!(indirect_blocks(12 + 2048 + 1, 2048), 3);
    }
}
