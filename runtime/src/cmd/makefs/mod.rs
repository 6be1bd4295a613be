//! `rumpjs makefs`: an FFS image from a host directory tree, as NetBSD's makefs(8) makes one — but
//! built by this project's own FFS driver, and reproducible.
//!
//! The steps: the tree is read into memory (as [`kernel_bindings::copy::scan`] reads it, names sorted, on
//! two threads); an mtree(5) spec
//! (`-F`) overrides owners, modes, flags, times, sizes and link targets and adds nodes; the size the
//! image needs is computed (file data rounded to fragments, indirect blocks, directory blocks, long
//! symlinks, inodes, the superblocks, group headers and the minfree reserve, with headroom — and
//! checked against the layout newfs would make); `newfs` lays out an empty file system on a fresh
//! image file; a kernel boots on a host whose clock stands still (at `-T`'s time, or the newest
//! modification time in the tree) and whose randomness is seeded, mounts the image read-write and
//! copies the tree in ([`kernel_bindings::copy::copy`]) in sorted order, the host's files read ahead on a
//! second thread and the image written on a third; the file system is unmounted clean.
//!
//! Reproducible: the image depends only on the tree (names, contents, modification times, owners,
//! modes, links), the options and `-T`: never on the host's clock, the directory order the host
//! returns, the working directory, or access times (an inode's access and birth times are its
//! modification time; its change time too, as the clock is set to it before the inode is last
//! written). Should the estimate ever fall short, the image is made again larger: never "No space
//! left on device".
//!
//! `args` reads the command line, `scan` the tree, `mtree` the spec (and applies it), `size` makes the
//! estimate, `build` lays out and fills the image, `read_ahead` is the host's side of the copy and
//! `image_dev` the image as the kernel's disk; this file runs the steps.

mod args;
mod build;
mod image_dev;
pub mod mtree;
mod read_ahead;
mod scan;
mod size;

pub use args::{parse_args, MakefsOptions};

use crate::host::output::{self, Stream};
use build::{build, BuildError};
use kernel::fs::ffs::newfs;
use kernel::vfs::Timespec;
use kernel_bindings::copy::{self, Kind, Node};
use mtree::{apply_spec, Ids};
use size::{fit, needs, Geom};
use std::os::unix::ffi::OsStrExt;

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
    let mut tree = scan::scan(dir).map_err(|e| fail(format!("{}: {e}", o.dir.display())))?;
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

/// `rumpjs makefs …`.
pub fn main(common: &crate::cmd::CommonOpts, a: crate::cmd::PassArgs) -> i32 {
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
