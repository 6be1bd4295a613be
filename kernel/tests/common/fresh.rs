//! Helpers for the FFS read-write tests: fresh images made by our newfs, mounting them in a kernel,
//! snapshots of a mounted tree (to compare before and after a remount, or with tmpfs), and The
//! Sleuth Kit's view of an image.
#![allow(dead_code)]

#[path = "../../../tests/support/skip.rs"]
pub mod skip;

use kernel::dev::{BlockDevice, Dev, MemDevice};
use kernel::fs::ffs::endian::ByteOrder;
use kernel::fs::ffs::newfs::{newfs, NewfsOptions};
use kernel::hyper::DeterministicHypervisor;
use kernel::vfs::*;
use kernel::{KResult, Kernel, Proc};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

/// One configuration: format, byte order, block and fragment size.
#[derive(Copy, Clone, Debug)]
pub struct Cfg {
    pub ufs: u8,
    pub order: ByteOrder,
    pub bsize: u32,
    pub fsize: u32,
}

/// 8 fragments a block in the first four; 4 (with 64 KiB blocks) and 2 in the last two.
pub const CFGS: [Cfg; 6] = [
    Cfg { ufs: 1, order: ByteOrder::Little, bsize: 4096, fsize: 512 },
    Cfg { ufs: 2, order: ByteOrder::Big, bsize: 32768, fsize: 4096 },
    Cfg { ufs: 2, order: ByteOrder::Little, bsize: 8192, fsize: 1024 },
    Cfg { ufs: 1, order: ByteOrder::Big, bsize: 16384, fsize: 2048 },
    Cfg { ufs: 2, order: ByteOrder::Little, bsize: 65536, fsize: 16384 },
    Cfg { ufs: 1, order: ByteOrder::Big, bsize: 8192, fsize: 4096 },
];

impl Cfg {
    pub fn opts(&self) -> NewfsOptions {
        // An inode per 16 KiB at most: with large fragments newfs's default (one per 4 fragments) gives
        // the small test devices fewer inodes than the tests create.
        let density = (4 * self.fsize).min(16384);
        NewfsOptions {
            ufs: self.ufs,
            order: self.order,
            bsize: self.bsize,
            fsize: self.fsize,
            density,
            ..Default::default()
        }
    }
}

/// A zeroed memory device of `size` bytes with a fresh file system.
pub fn fresh(cfg: Cfg, size: usize) -> Arc<MemDevice> {
    let dev = Arc::new(MemDevice::zeroed(size));
    let h = DeterministicHypervisor::default_for_tests();
    newfs(dev.as_ref(), &cfg.opts(), &h).unwrap_or_else(|e| panic!("newfs {cfg:?}: {e}"));
    dev
}

pub fn fresh_with(opts: &NewfsOptions, size: usize) -> Arc<MemDevice> {
    let dev = Arc::new(MemDevice::zeroed(size));
    let h = DeterministicHypervisor::default_for_tests();
    newfs(dev.as_ref(), opts, &h).unwrap_or_else(|e| panic!("newfs {opts:?}: {e}"));
    dev
}

/// A kernel with `dev` as /dev/ffs0 and an empty /mnt.
pub fn boot(dev: Dev) -> (Arc<Kernel>, Proc, Arc<DeterministicHypervisor>) {
    let hyper = Arc::new(DeterministicHypervisor::default_for_tests());
    let k = Kernel::boot_default(hyper.clone()).unwrap();
    k.etfs_register("/dev/ffs0", dev).unwrap();
    let p = k.new_proc(Cred::root());
    p.mkdir(b"/mnt", 0o755).unwrap();
    (k, p, hyper)
}

pub fn mount_rw(p: &Proc) -> KResult<()> {
    p.mount("ffs", b"/mnt", 0, Some("/dev/ffs0"), &MountOptions::default())
}

pub fn mount_ro(p: &Proc) -> KResult<()> {
    p.mount("ffs", b"/mnt", MNT_RDONLY, Some("/dev/ffs0"), &MountOptions { readonly: true, ..Default::default() })
}

/// What a test compares of a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub kind: char,
    pub size: u64,
    pub mode: u32,
    pub nlink: u64,
    pub uid: u32,
    pub gid: u32,
    /// Contents (files), target (links).
    pub data: Vec<u8>,
    pub rdev: u64,
}

/// Every node under `root` (paths relative to it), with contents.
pub fn snapshot(p: &Proc, root: &str) -> BTreeMap<String, Node> {
    let mut out = BTreeMap::new();
    walk(p, root, "", &mut out);
    out
}

fn walk(p: &Proc, root: &str, rel: &str, out: &mut BTreeMap<String, Node>) {
    let path = if rel.is_empty() { root.to_string() } else { format!("{root}/{rel}") };
    let st = p.lstat(path.as_bytes()).unwrap_or_else(|e| panic!("lstat {path}: {e}"));
    let kind = match st.vtype().unwrap() {
        VType::Reg => 'f',
        VType::Dir => 'd',
        VType::Lnk => 'l',
        VType::Blk => 'b',
        VType::Chr => 'c',
        VType::Fifo => 'p',
        VType::Sock => 's',
    };
    let data = match kind {
        'f' => read(p, path.as_bytes()),
        'l' => p.readlink(path.as_bytes()).unwrap(),
        _ => Vec::new(),
    };
    let size = if kind == 'd' { 0 } else { st.size };
    out.insert(
        rel.to_string(),
        Node {
            kind,
            size,
            mode: st.mode & 0o7777,
            nlink: st.nlink,
            uid: st.uid,
            gid: st.gid,
            data,
            rdev: if kind == 'b' || kind == 'c' { st.rdev } else { 0 },
        },
    );
    if kind == 'd' {
        let mut names: Vec<Vec<u8>> = p
            .readdir_path(path.as_bytes())
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .filter(|n| n != b"." && n != b"..")
            .collect();
        names.sort();
        for n in names {
            let n = String::from_utf8(n).unwrap();
            let r = if rel.is_empty() { n } else { format!("{rel}/{n}") };
            walk(p, root, &r, out);
        }
    }
}

pub fn read(p: &Proc, path: &[u8]) -> Vec<u8> {
    let fd = p.open(path, O_RDONLY, 0).unwrap();
    let mut out = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = p.read(fd, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    p.close(fd).unwrap();
    out
}

pub fn write(p: &Proc, path: &[u8], data: &[u8]) {
    let fd = p.open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644).unwrap();
    let mut done = 0;
    while done < data.len() {
        done += p.write(fd, &data[done..]).unwrap();
    }
    p.close(fd).unwrap();
}

/// Deterministic test bytes.
pub fn bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Whether The Sleuth Kit's tools are here.
pub fn have_tsk() -> bool {
    Command::new("fls").arg("-V").output().is_ok_and(|o| o.status.success())
}

/// The image's bytes in a temporary file (for TSK).
pub fn to_file(dev: &dyn BlockDevice, name: &str) -> std::path::PathBuf {
    let mut v = vec![0u8; dev.size() as usize];
    dev.read_at(0, &mut v).unwrap();
    let dir = std::env::temp_dir().join(format!("ffsrw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, v).unwrap();
    path
}

/// TSK's tree: path → (inode, type letter) from `fls -r -p`, deleted entries left out.
pub fn tsk_tree(img: &Path, fstype: &str) -> BTreeMap<String, (u64, char)> {
    let out = Command::new("fls").args(["-r", "-p", "-f", fstype]).arg(img).output().expect("fls");
    assert!(out.status.success(), "fls failed: {}", String::from_utf8_lossy(&out.stderr));
    let mut m = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        // "r/r 12:\tpath" or "d/d 3:\tdir"; deleted ones have a '*'.
        let Some((head, path)) = line.split_once('\t') else { continue };
        if head.contains('*') || path.starts_with("$OrphanFiles") {
            continue;
        }
        let kind = head.chars().nth(2).unwrap_or('?');
        let ino: u64 = head.split_whitespace().nth(1).unwrap_or("0").trim_end_matches(':').parse().unwrap_or(0);
        m.insert(path.to_string(), (ino, kind));
    }
    m
}

/// A file's contents through `icat`.
pub fn tsk_cat(img: &Path, fstype: &str, ino: u64) -> Vec<u8> {
    let out = Command::new("icat").args(["-f", fstype]).arg(img).arg(ino.to_string()).output().expect("icat");
    assert!(out.status.success(), "icat {ino}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// Checks TSK sees what `snap` holds: every name with the right type, and every regular file's bytes.
pub fn check_with_tsk(dev: &dyn BlockDevice, cfg_name: &str, ufs: u8, snap: &BTreeMap<String, Node>) {
    if !have_tsk() {
        skip::skip("the TSK check: The Sleuth Kit is not installed");
        return;
    }
    let img = to_file(dev, &format!("{cfg_name}.img"));
    let fstype = if ufs == 1 { "ufs1" } else { "ufs2" };
    let t = tsk_tree(&img, fstype);
    for (path, node) in snap {
        if path.is_empty() {
            continue;
        }
        let (ino, kind) = *t.get(path).unwrap_or_else(|| panic!("TSK does not list {path} ({cfg_name})"));
        let want = match node.kind {
            'f' => 'r',
            'd' => 'd',
            'l' => 'l',
            'b' => 'b',
            'c' => 'c',
            'p' => 'p',
            's' => 'h',
            k => k,
        };
        assert_eq!(kind, want, "{path}: TSK type ({cfg_name})");
        // icat for every file outside the big directories, and a sample inside them.
        let sampled = path.matches('/').count() < 1 || !path.starts_with("many") || path.ends_with('7');
        if node.kind == 'f' && sampled {
            assert!(tsk_cat(&img, fstype, ino) == node.data, "{path}: TSK's bytes differ ({cfg_name})");
        }
    }
    let extra: Vec<_> = t.keys().filter(|k| !snap.contains_key(*k)).collect();
    assert!(extra.is_empty(), "TSK lists names we do not: {extra:?} ({cfg_name})");
    let _ = std::fs::remove_file(&img);
}

/// Our fsck in `-n -f` mode over the image: it must find nothing to fix.
pub fn assert_fsck_clean(dev: Dev, what: &str) {
    use kernel::fs::ffs::fsck::{fsck, FsckOptions};
    let mut out = String::new();
    let opts = FsckOptions { force: true, ..Default::default() };
    let r = fsck(&dev, &opts, &kernel::hyper::DeterministicHypervisor::default_for_tests(), &mut |l: &str| {
        out.push_str(l);
        out.push('\n');
    })
    .unwrap_or_else(|e| panic!("fsck {what}: {e}"));
    assert!(
        r.problems.is_empty() && r.exit_code == 0 && r.fatal.is_none(),
        "fsck {what}: exit {}, {:?}\n{out}",
        r.exit_code,
        r.problems
    );
}
