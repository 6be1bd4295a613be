//! Helpers shared by the FFS tests: fixtures, mounting an image in a kernel, and checking a mounted tree
//! against a manifest written by tests/fixtures/make-ffs-fixtures.sh.
#![allow(dead_code)]

use kernel::dev::{Dev, MemDevice};
use kernel::hyper::DeterministicHypervisor;
use kernel::vfs::*;
use kernel::{Errno, KResult, Kernel, Proc};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/ffs")
}

pub fn gunzip(name: &str) -> Vec<u8> {
    let f = std::fs::File::open(fixtures().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut v = Vec::new();
    flate2::read::GzDecoder::new(f).read_to_end(&mut v).unwrap();
    v
}

pub fn fixture_dev(name: &str) -> Dev {
    Arc::new(MemDevice::new(gunzip(&format!("{name}.img.gz")), true))
}

/// A booted kernel, with `dev` registered as /dev/ffs0.
pub fn kernel_with(dev: Dev) -> (Arc<Kernel>, Proc, Arc<DeterministicHypervisor>) {
    let hyper = Arc::new(DeterministicHypervisor::default_for_tests());
    let k = Kernel::boot_default(hyper.clone()).unwrap();
    k.etfs_register("/dev/ffs0", dev).unwrap();
    let p = k.new_proc(Cred::root());
    p.mkdir(b"/ffs", 0o755).unwrap();
    (k, p, hyper)
}

pub fn ro(opts: &[(&str, &str)]) -> MountOptions {
    MountOptions {
        readonly: true,
        force: false,
        opts: opts.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
    }
}

/// Mounts `dev` read-only on /ffs.
pub fn mount(dev: Dev, opts: &[(&str, &str)]) -> KResult<(Arc<Kernel>, Proc, Arc<DeterministicHypervisor>)> {
    let (k, p, h) = kernel_with(dev);
    p.mount("ffs", b"/ffs", MNT_RDONLY, Some("/dev/ffs0"), &ro(opts))?;
    Ok((k, p, h))
}

/// The kernel log lines that mention `what`.
pub fn log_lines(h: &DeterministicHypervisor, what: &str) -> Vec<String> {
    h.console_lines().into_iter().filter(|l| l.contains(what)).collect()
}

pub fn fnv(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// The fixture script's file contents: each 512-byte sector starts with the file id and sector number.
pub fn content(fid: u64, size: u64) -> Vec<u8> {
    let mut v = Vec::with_capacity(size as usize);
    let mut sec = 0u64;
    while (v.len() as u64) < size {
        let head = format!("{fid:08x}:{sec:08x}:");
        v.extend_from_slice(head.as_bytes());
        v.extend(std::iter::repeat_n(b'.', 511 - head.len()));
        v.push(b'\n');
        sec += 1;
    }
    v.truncate(size as usize);
    v
}

pub fn read_all(p: &Proc, path: &[u8]) -> KResult<Vec<u8>> {
    let fd = p.open(path, O_RDONLY, 0)?;
    let mut out = Vec::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = p.read(fd, &mut buf)?;
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    p.close(fd)?;
    Ok(out)
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

pub fn flags_of(s: &str) -> u32 {
    if s == "-" {
        return 0;
    }
    s.split(',')
        .map(|f| match f {
            "uchg" => UF_IMMUTABLE,
            "nodump" => UF_NODUMP,
            "uappnd" => UF_APPEND,
            "schg" => SF_IMMUTABLE,
            "sappnd" => SF_APPEND,
            "arch" => SF_ARCHIVED,
            other => panic!("flag {other}"),
        })
        .fold(0, |a, b| a | b)
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub path: Vec<u8>,
    pub kind: String,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub mtime: Timespec,
    pub flags: u32,
    pub nlink: u64,
    pub rdev: Option<(u32, u32)>,
    pub target: Option<Vec<u8>>,
    pub content: Option<String>,
}

pub fn manifest(name: &str) -> Vec<Entry> {
    let text = String::from_utf8(gunzip(&format!("{name}.manifest.gz"))).unwrap();
    parse_manifest(&text)
}

pub fn parse_manifest(text: &str) -> Vec<Entry> {
    text.lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let (s, ns) = f[6].split_once('.').unwrap();
            Entry {
                path: unhex(f[0]),
                kind: f[1].to_string(),
                mode: u32::from_str_radix(f[2], 8).unwrap(),
                uid: f[3].parse().unwrap(),
                gid: f[4].parse().unwrap(),
                size: f[5].parse().unwrap(),
                mtime: Timespec::new(s.parse().unwrap(), ns.parse().unwrap()),
                flags: flags_of(f[7]),
                nlink: f[8].parse().unwrap(),
                rdev: (f[9] != "-").then(|| {
                    let (a, b) = f[9].split_once(',').unwrap();
                    (a.parse().unwrap(), b.parse().unwrap())
                }),
                target: (f[10] != "-").then(|| unhex(f[10])),
                content: (f[11] != "-").then(|| f[11].to_string()),
            }
        })
        .collect()
}

/// Checks every manifest entry under `root` (a path in the kernel): type, permissions, owner, size,
/// mtime, flags, link count, device number, link target and contents; and that each directory lists
/// exactly the manifest's names. Returns the number of entries checked.
pub fn check_tree(p: &Proc, root: &str, entries: &[Entry]) -> usize {
    let mut children: BTreeMap<Vec<u8>, BTreeSet<Vec<u8>>> = BTreeMap::new();
    for e in entries {
        let full = if e.path == b"." { root.as_bytes().to_vec() } else { [root.as_bytes(), b"/", &e.path].concat() };
        let what = String::from_utf8_lossy(&e.path).into_owned();
        let st = p.lstat(&full).unwrap_or_else(|err| panic!("{what}: lstat {err}"));
        let want_type = match e.kind.as_str() {
            "file" => VType::Reg,
            "dir" => VType::Dir,
            "link" => VType::Lnk,
            "char" => VType::Chr,
            "block" => VType::Blk,
            "fifo" => VType::Fifo,
            k => panic!("kind {k}"),
        };
        assert_eq!(st.vtype(), Some(want_type), "{what}: type");
        if want_type != VType::Lnk {
            assert_eq!(st.mode & ALLPERMS, e.mode, "{what}: mode");
        }
        assert_eq!((st.uid, st.gid), (e.uid, e.gid), "{what}: owner");
        assert_eq!(st.mtime, e.mtime, "{what}: mtime");
        assert_eq!(st.flags, e.flags, "{what}: flags");
        if let Some((ma, mi)) = e.rdev {
            assert_eq!(st.rdev, makedev(ma, mi), "{what}: rdev");
        }
        match want_type {
            VType::Reg => {
                assert_eq!(st.size, e.size, "{what}: size");
                assert_eq!(st.nlink, e.nlink, "{what}: nlink");
                assert!(st.blocks * 512 >= st.size.min(1), "{what}: st_blocks {}", st.blocks);
                let data = read_all(p, &full).unwrap_or_else(|err| panic!("{what}: read {err}"));
                assert_eq!(data.len() as u64, e.size, "{what}: bytes read");
                match e.content.as_deref() {
                    Some(c) if c.starts_with("gen:") => {
                        let fid: u64 = c[4..].parse().unwrap();
                        assert!(data == content(fid, e.size), "{what}: contents differ");
                    }
                    Some(h) => assert_eq!(format!("{:016x}", fnv(&data)), h, "{what}: content hash"),
                    None => {}
                }
            }
            VType::Lnk => {
                let t = p.readlink(&full).unwrap_or_else(|err| panic!("{what}: readlink {err}"));
                assert_eq!(Some(&t), e.target.as_ref(), "{what}: target");
                assert_eq!(st.size, t.len() as u64, "{what}: link size");
            }
            VType::Dir => {
                children.entry(e.path.clone()).or_default();
            }
            _ => {}
        }
        if e.path != b"." {
            let parent = match e.path.iter().rposition(|&c| c == b'/') {
                Some(i) => e.path[..i].to_vec(),
                None => b".".to_vec(),
            };
            let name = match e.path.iter().rposition(|&c| c == b'/') {
                Some(i) => e.path[i + 1..].to_vec(),
                None => e.path.clone(),
            };
            children.entry(parent).or_default().insert(name);
        }
    }
    for (dir, names) in &children {
        let full = if dir == b"." { root.as_bytes().to_vec() } else { [root.as_bytes(), b"/", dir].concat() };
        let got: BTreeSet<Vec<u8>> = p
            .readdir_path(&full)
            .unwrap_or_else(|e| panic!("{}: readdir {e}", String::from_utf8_lossy(dir)))
            .into_iter()
            .map(|d| d.name)
            .filter(|n| n != b"." && n != b"..")
            .collect();
        assert_eq!(&got, names, "{}: directory listing", String::from_utf8_lossy(dir));
    }
    entries.len()
}

/// Errors helper: an errno from a result, panicking on success.
pub fn err<T: std::fmt::Debug>(r: KResult<T>) -> Errno {
    r.expect_err("expected an error")
}

use kernel::fs::ffs::inode::Dinode;
use kernel::fs::ffs::superblock::{Superblock, Ufs};

/// An image in memory that tests damage or extend, through the driver's own layouts.
pub struct Img {
    pub data: Vec<u8>,
    pub sb: Superblock,
}

impl Img {
    pub fn fixture(name: &str) -> Img {
        Img::new(gunzip(&format!("{name}.img.gz")))
    }

    pub fn new(data: Vec<u8>) -> Img {
        let dev = MemDevice::new(data.clone(), true);
        let sb = Superblock::find(&dev, &mut Vec::new()).unwrap();
        Img { data, sb }
    }

    pub fn dev(&self) -> Dev {
        Arc::new(MemDevice::new(self.data.clone(), true))
    }

    /// The inode number of `path` (relative to the file system's root), looked up by mounting.
    pub fn ino(&self, path: &str) -> u64 {
        let (_k, p, _h) = mount(self.dev(), &[]).unwrap();
        p.lstat(format!("/ffs/{path}").as_bytes()).unwrap().ino
    }

    pub fn inode_off(&self, ino: u64) -> usize {
        let (fsba, idx) = self.sb.ino_to_fsba(ino);
        (self.sb.frag_to_bytes(fsba) + idx as u64 * self.sb.ufs.dinode_size() as u64) as usize
    }

    pub fn inode(&self, ino: u64) -> Dinode {
        let o = self.inode_off(ino);
        let n = self.sb.ufs.dinode_size() as usize;
        Dinode::decode(&self.data[o..o + n], self.sb.order, self.sb.ufs, false)
    }

    pub fn put_inode(&mut self, ino: u64, d: &Dinode) {
        let o = self.inode_off(ino);
        let n = self.sb.ufs.dinode_size() as usize;
        let (order, ufs) = (self.sb.order, self.sb.ufs);
        d.encode(&mut self.data[o..o + n], order, ufs, false);
    }

    /// Writes pointer `idx` of the indirect block at fragment `blk`.
    pub fn put_ptr(&mut self, blk: u64, idx: usize, val: u64) {
        let base = self.sb.frag_to_bytes(blk) as usize;
        match self.sb.ufs {
            Ufs::Ufs1 => self.sb.order.put_u32(&mut self.data, base + 4 * idx, val as u32),
            Ufs::Ufs2 => self.sb.order.put_u64(&mut self.data, base + 8 * idx, val),
        }
    }

    /// `n` whole blocks holding only zeros (unused), searched from the end of the file system.
    pub fn free_tail_blocks(&self, n: usize) -> Vec<u64> {
        let frag = self.sb.frag as u64;
        let bs = self.sb.bsize as usize;
        let mut b = (self.sb.size / frag) * frag;
        let mut v = Vec::new();
        while v.len() < n {
            b -= frag;
            let off = self.sb.frag_to_bytes(b) as usize;
            if self.data[off..off + bs].iter().all(|&c| c == 0) {
                v.push(b);
            }
        }
        v
    }

    /// Byte offset of fragment address `frag`.
    pub fn at(&self, frag: u64) -> usize {
        self.sb.frag_to_bytes(frag) as usize
    }
}

/// A device that counts the reads reaching it.
pub struct CountingDevice {
    pub inner: Dev,
    pub reads: std::sync::atomic::AtomicU64,
    pub bytes: std::sync::atomic::AtomicU64,
}

impl kernel::dev::BlockDevice for CountingDevice {
    fn read_at(&self, off: u64, buf: &mut [u8]) -> KResult<()> {
        self.reads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.bytes.fetch_add(buf.len() as u64, std::sync::atomic::Ordering::Relaxed);
        self.inner.read_at(off, buf)
    }
    fn write_at(&self, off: u64, buf: &[u8]) -> KResult<()> {
        self.inner.write_at(off, buf)
    }
    fn size(&self) -> u64 {
        self.inner.size()
    }
    fn flush(&self) -> KResult<()> {
        Ok(())
    }
    fn readonly(&self) -> bool {
        true
    }
    fn describe(&self) -> String {
        "counting".into()
    }
}
