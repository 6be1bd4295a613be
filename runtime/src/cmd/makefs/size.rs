//! The size an image needs for a tree: file data rounded to fragments, indirect blocks, directory
//! blocks, long symlinks and inodes, checked against the layout newfs would make.

use super::args::MakefsOptions;
use kernel::fs::ffs::dir::DIRBLKSIZ;
use kernel::fs::ffs::newfs::{self, NewfsOptions};
use kernel::fs::ffs::superblock::NDADDR;
use kernel_bindings::copy::{Kind, Node};
use std::fs::File;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// FFS geometry the estimate needs.
pub(super) struct Geom {
    pub(super) bsize: u64,
    pub(super) fsize: u64,
    pub(super) nindir: u64,
    pub(super) maxsymlink: u64,
}

/// Indirect blocks a file of `nblocks` blocks needs.
fn indirect_blocks(nblocks: u64, nindir: u64) -> u64 {
    let mut n = nblocks.saturating_sub(NDADDR as u64);
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
    if nb <= NDADDR as u64 {
        (nb - 1) * frag + (size - (nb - 1) * g.bsize).div_ceil(g.fsize)
    } else {
        (nb + indirect_blocks(nb, g.nindir)) * frag
    }
}

/// Bytes of a directory holding `names` (with `.` and `..`), as entries pack into DIRBLKSIZ chunks.
fn dir_bytes<'a>(names: impl Iterator<Item = &'a [u8]>) -> u64 {
    let chunk = DIRBLKSIZ as u64;
    let mut cur = 0u64;
    for n in [&b"."[..], &b".."[..]].into_iter().chain(names) {
        let this = (8 + n.len() as u64 + 1 + 3) & !3;
        if cur % chunk + this > chunk {
            cur = cur.div_ceil(chunk) * chunk;
        }
        cur += this;
    }
    cur.div_ceil(chunk) * chunk
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
pub(super) fn needs(tree: &Node, root: &Path, g: &Geom) -> (u64, u64) {
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
pub(super) fn fit(o: &MakefsOptions, frags: u64, inodes: u64, start: u64) -> Result<(u64, NewfsOptions), String> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
