//! `rumpjs newfs`: NetBSD's newfs(8) command line, read as sbin/newfs/newfs.c reads it (its getopt string,
//! strsuftoi64's numbers, sizes in sectors unless a suffix says bytes, exit status 1 on a usage error), and
//! the empty FFS made in IMAGE (a regular file, made at -s SIZE when it does not exist, as `newfs -F`).

use super::common::{fail, io_text};
use crate::cmd::{CommonOpts, PassArgs};
use crate::host::output::{self, Stream};
use kernel::fs::ffs;
use kernel::fs::ffs::endian::ByteOrder;
use kernel::fs::ffs::newfs::NewfsOptions;
use std::path::PathBuf;

/// newfs's usage line (the options rumpjs reads; the rest of NetBSD's are disk-label and MFS matters).
pub const USAGE: &str = "usage: rumpjs newfs [-FIZ] [-B be|le] [-O 1|2] [-S sector-size] [-V verbose] \
[-a maxcontig] [-b block-size] [-e maxbpg] [-f frag-size] [-g avgfilesize] [-h avgfpdir] [-i bytes-per-inode] \
[-m free-space%] [-n inodes] [-o space|time] [-s size] [-v volname] IMAGE";

/// What the command line asks for.
#[derive(Debug)]
pub struct NewfsArgs {
    pub opts: NewfsOptions,
    pub image: String,
    /// -s: the size in bytes; negative: that much less than the image file (newfs.c's `fssize <= 0`).
    pub size: Option<i64>,
    /// -V: 0 prints nothing, 1 and 2 the file system's size and groups, 3 (the default) and 4 the
    /// super-block backups too.
    pub verbosity: u8,
}

/// newfs.c's getopt string: the letters that take a value.
const TAKES_VALUE: &str = "BOSTVabdefghilmnorsv";

/// A number as newfs.c's strsuftoi64 reads it: decimal, then at most one suffix letter (none or `s`:
/// sectors; `b`: bytes; `k`, `m`, `g`: KiB, MiB, GiB); the value and whether it is in bytes.
fn strsuftoi64(desc: &str, arg: &str, min: i64, max: i64) -> Result<(i64, bool), String> {
    let t = arg.trim_start();
    let digits_end = t
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && (c == '-' || c == '+'))))
        .map_or(t.len(), |(i, _)| i);
    let (num, suffix) = t.split_at(digits_end);
    let r1: i64 = num.parse().map_err(|_| format!("{desc} `{arg}' is not a valid number."))?;
    if suffix.chars().count() > 1 {
        return Err(format!("{desc} `{arg}' is not a valid number."));
    }
    let (shift, bytes) = match suffix {
        "" | "s" | "S" => (0, false),
        "b" | "B" => (0, true),
        "k" | "K" => (10, true),
        "m" | "M" => (20, true),
        "g" | "G" => (30, true),
        _ => return Err(format!("`{suffix}' is not a valid suffix for {desc}.")),
    };
    let v = r1.checked_mul(1 << shift).ok_or_else(|| format!("{desc} `{arg}' is too large to convert."))?;
    if v < min {
        return Err(format!("{desc} `{arg}' ({v}) is less than minimum ({min})."));
    }
    if v > max {
        return Err(format!("{desc} `{arg}' ({v}) is greater than maximum ({max})."));
    }
    Ok((v, bytes))
}

/// Parses newfs's arguments (after the command name) as getopt(3) does: flags joined (`-FZ`), values
/// attached (`-O2`) or the next word, options before IMAGE.
pub fn parse(args: &[String]) -> Result<NewfsArgs, String> {
    let mut o = NewfsOptions::default();
    let (mut size, mut sector, mut verbosity) = (None::<(i64, bool)>, 512i64, 3u8);
    let mut i = 0;
    while i < args.len() && args[i].starts_with('-') && args[i] != "-" {
        let word = &args[i];
        i += 1;
        if word == "--" {
            break;
        }
        for (k, c) in word.char_indices().skip(1) {
            if !TAKES_VALUE.contains(c) {
                match c {
                    // -F: an image in a regular file (always, here); -I: no disk label to check; -Z: the file
                    // is made zeroed (sparse) anyway.
                    'F' | 'I' | 'Z' => continue,
                    _ => return Err(format!("unknown option -- {c}")),
                }
            }
            let attached = &word[k + c.len_utf8()..];
            let v = if !attached.is_empty() {
                attached.to_string()
            } else {
                let v = args.get(i).ok_or_else(|| format!("option requires an argument -- {c}"))?.clone();
                i += 1;
                v
            };
            let int = |desc: &str, min: i64, max: i64| strsuftoi64(desc, &v, min, max).map(|(n, _)| n);
            match c {
                'B' => {
                    o.order = match v.as_str() {
                        "be" => ByteOrder::Big,
                        "le" => ByteOrder::Little,
                        _ => return Err(format!("-B: be or le, not '{v}'")),
                    }
                }
                'O' => {
                    o.ufs = match int("format", 0, 2)? {
                        0 => return Err("-O 0 (the 4.3BSD format) is not made here: -O 1 or -O 2".into()),
                        n => n as u8,
                    }
                }
                'S' => {
                    sector = int("sector size", 512, 65536)?;
                    if sector & (sector - 1) != 0 {
                        return Err(format!("sector size `{v}' is not a power of 2."));
                    }
                }
                'V' => verbosity = int("verbose", 0, 4)? as u8,
                'a' => o.maxcontig = int("maximum contiguous blocks", 1, i32::MAX.into())? as u32,
                'b' => o.bsize = int("block size", 4096, 65536)? as u32,
                'e' => o.maxbpg = int("blocks per file in a cylinder group", 1, i32::MAX.into())? as u32,
                'f' => o.fsize = int("fragment size", 1, 65536)? as u32,
                'g' => o.avgfilesize = int("average file size", 1, i32::MAX.into())? as u32,
                'h' => o.avgfpdir = int("expected files per directory", 1, i32::MAX.into())? as u32,
                'i' => o.density = int("bytes per inode", 1, i32::MAX.into())? as u32,
                'm' => o.minfree = int("free space %", 0, 99)? as u32,
                'n' => o.inodes = int("number of inodes", 1, i32::MAX.into())? as u64,
                'o' => {
                    o.optim_space = match v.as_str() {
                        "space" => true,
                        "time" => false,
                        _ => return Err("unknown optimization preference: use `space' or `time'.".into()),
                    }
                }
                's' => size = Some(strsuftoi64("file system size", &v, i64::MIN, i64::MAX)?),
                'v' => {
                    if v.contains(':') || v.contains('/') {
                        return Err("volume name cannot contain ':' or '/'".into());
                    }
                    if v.is_empty() {
                        return Err("volume name cannot be zero length".into());
                    }
                    o.volname = v;
                }
                _ => return Err(format!("-{c} is not supported here")),
            }
            break;
        }
    }
    let image = match &args[i..] {
        [one] => one.clone(),
        [] => return Err("no image given".into()),
        _ => return Err("one image only, after the options".into()),
    };
    // Sectors unless a suffix gave bytes (newfs.c: `if (byte_sized) fssize /= sectorsize`).
    let size = match size {
        Some((n, true)) => Some(n),
        Some((n, false)) => Some(n.checked_mul(sector).ok_or("file system size is too large")?),
        None => None,
    };
    Ok(NewfsArgs { opts: o, image, size, verbosity })
}

/// `rumpjs newfs …`: an empty FFS laid out as NetBSD's newfs does.
pub fn newfs(common: &CommonOpts, a: PassArgs) -> i32 {
    let mut a = match parse(&a.args) {
        Ok(x) => x,
        Err(e) => {
            output::line(Stream::Stderr, &format!("rumpjs newfs: {e}\n{USAGE}"));
            return 1;
        }
    };
    let path = PathBuf::from(&a.image);
    let image = &a.image;
    let existing = std::fs::metadata(&path).ok().map(|m| m.len() as i64);
    a.opts.size = match (a.size, existing) {
        (Some(n), _) if n > 0 => n as u64,
        // -s -N: the image's size less N bytes; none: the whole image.
        (Some(n), Some(len)) if len + n > 0 => (len + n) as u64,
        (None, Some(_)) => 0,
        (_, Some(_)) => return fail("newfs", "Unable to determine file system size"),
        (_, None) => return fail("newfs", &format!("{image} does not exist: give its size with -s (e.g. -s 64m)")),
    };
    if existing.is_none() {
        let r = std::fs::File::create(&path).and_then(|f| f.set_len(a.opts.size));
        if let Err(e) = r {
            return fail("newfs", &format!("can't open file {image}: {}", io_text(&e)));
        }
    }
    let dev = match super::image::open_image(&path, false, kernel::vfs::Overlay::None) {
        Ok(d) => d,
        Err(e) => return fail("newfs", &e),
    };
    if let Err(e) = ffs::newfs::check(&a.opts, dev.size()) {
        return fail("newfs", &format!("{image}: {e}"));
    }
    match ffs::newfs::newfs(dev.as_ref(), &a.opts, super::image::tool_clock(common).as_ref()) {
        Ok(report) => {
            let text = report.to_string();
            let lines = match a.verbosity {
                0 => 0,
                1 | 2 => 2,
                _ => usize::MAX,
            };
            for l in text.lines().take(lines) {
                output::line(Stream::Stdout, l);
            }
            0
        }
        Err(e) => fail("newfs", &format!("{image}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    #[test]
    fn netbsd_flags_and_sizes() {
        let a = parse(&words("-O2 -v vol -s 131072 disk.img")).unwrap();
        assert_eq!(
            (a.opts.ufs, a.opts.volname.as_str(), a.size, a.image.as_str()),
            (2, "vol", Some(64 << 20), "disk.img")
        );
        let a = parse(&words("-FZ -O 1 -b 16k -f2048 -B be -s 64m -n 5000 -V0 img")).unwrap();
        assert_eq!(
            (a.opts.ufs, a.opts.bsize, a.opts.fsize, a.opts.order, a.size, a.opts.inodes, a.verbosity),
            (1, 16384, 2048, ByteOrder::Big, Some(64 << 20), 5000, 0)
        );
        assert_eq!(parse(&words("-s 1000s img")).unwrap().size, Some(512_000));
        assert_eq!(parse(&words("-S 4096 -s 10 img")).unwrap().size, Some(40960));
        assert_eq!(parse(&words("-s 3000b img")).unwrap().size, Some(3000));
        assert_eq!(parse(&words("-s -2048 img")).unwrap().size, Some(-2048 * 512));
        for bad in ["-B xx img", "-q img", "", "-s 12x img", "-s 12kb img", "-O 3 img", "-v a/b img", "-V 5 img", "a b"]
        {
            assert!(parse(&words(bad).into_iter().filter(|w| !w.is_empty()).collect::<Vec<_>>()).is_err(), "{bad}");
        }
        assert_eq!(parse(&words("-s 12q img")).unwrap_err(), "`q' is not a valid suffix for file system size.");
    }
}
