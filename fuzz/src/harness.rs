//! The bodies of the fuzz targets. The kernel's hostile test binary (kernel/tests/hostile/) includes
//! this very file (with `#[path]`), so every input committed under tests/fixtures/fuzz/<target>/ is
//! replayed by `cargo test` exactly as the fuzzer ran it. Nothing here may depend on more than the kernel, std and flate2.
//!
//! Images reach the targets in a sparse form (fuzz/seeds.py writes it): a little-endian u32 giving the
//! image size in 512-byte sectors (bit 31: mount with `force`), then records — u32 first sector, u16
//! sector count, then that many sectors of data (cut short where the input ends). Everything a record
//! does not cover is zero. Seeds built from 7–26 MiB fixtures are then 10 KiB–1 MiB, and the fuzzer's
//! mutations fall on metadata rather than on acres of zeros.
//!
//! Every walk is bounded (entries, depth, bytes read) so one input cannot run for minutes by being a big
//! but valid file system; a loop inside the driver itself is not bounded here and shows as a timeout.
#![allow(dead_code)]

use kernel::dev::{part, BlockDevice, Dev, MemDevice, OverlayDevice};
use kernel::fs::ffs;
use kernel::fs::ffs::dir::{entry_at, DirFormat, Entries, MAXNAMLEN};
use kernel::fs::ffs::endian::ByteOrder;
use kernel::fs::ffs::inode::Dinode;
use kernel::fs::ffs::superblock::{Superblock, ROOTINO};
use kernel::hyper::DeterministicHypervisor;
use kernel::vfs::*;
use kernel::{Kernel, Proc};
use std::io::Read;
use std::sync::{Arc, OnceLock};

pub const SECTOR: usize = 512;
/// Largest image a sparse input may describe (the largest fixture is 26 MiB).
pub const MAX_IMAGE: usize = 32 << 20;
/// Limits of one walk.
pub const MAX_ENTRIES: usize = 4000;
pub const MAX_DEPTH: usize = 48;
pub const MAX_FILE_BYTES: u64 = 1 << 20;
pub const MAX_TOTAL_BYTES: u64 = 8 << 20;
const CHUNK: usize = 48 * 1024 + 7;

/// The image a sparse input describes (None for an input too short to have a size), and whether the
/// mount is to be forced.
pub fn sparse_image(data: &[u8], max: usize) -> Option<(Vec<u8>, bool)> {
    let head = u32::from_le_bytes(data.get(0..4)?.try_into().ok()?);
    let force = head & 0x8000_0000 != 0;
    let size = ((head & 0x7fff_ffff) as usize).saturating_mul(SECTOR).min(max);
    let mut img = vec![0u8; size];
    let mut p = 4;
    while p + 6 <= data.len() {
        let first = u32::from_le_bytes([data[p], data[p + 1], data[p + 2], data[p + 3]]) as usize;
        let count = u16::from_le_bytes([data[p + 4], data[p + 5]]) as usize;
        p += 6;
        let n = (count * SECTOR).min(data.len() - p);
        let chunk = &data[p..p + n];
        p += n;
        let at = first.saturating_mul(SECTOR);
        if at < size {
            let m = n.min(size - at);
            img[at..at + m].copy_from_slice(&chunk[..m]);
        }
    }
    Some((img, force))
}

pub fn ro_opts(force: bool) -> MountOptions {
    MountOptions { readonly: true, force, opts: Vec::new() }
}

/// A fresh kernel with `dev` registered as /dev/fz and a /mnt to mount it on.
pub fn kernel_with(dev: Dev) -> (Arc<Kernel>, Proc) {
    let k = Kernel::boot_default(Arc::new(DeterministicHypervisor::default_for_tests())).expect("boot");
    k.etfs_register("/dev/fz", dev).expect("etfs_register");
    let p = k.new_proc(Cred::root());
    p.mkdir(b"/mnt", 0o755).expect("mkdir /mnt");
    (k, p)
}

/// What a walk may still do.
pub struct Budget {
    pub entries: usize,
    pub bytes: u64,
}

impl Budget {
    pub fn new() -> Budget {
        Budget { entries: MAX_ENTRIES, bytes: MAX_TOTAL_BYTES }
    }
}

impl Default for Budget {
    fn default() -> Self {
        Budget::new()
    }
}

fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    [dir, b"/", name].concat()
}

/// Reads a regular file to its end (or to the byte limits) in odd-sized chunks, plus a positioned
/// read near where its size says it ends.
fn read_file(p: &Proc, path: &[u8], size: u64, b: &mut Budget) {
    let Ok(fd) = p.open(path, O_RDONLY, 0) else { return };
    let mut buf = vec![0u8; CHUNK];
    let mut got = 0u64;
    while got < MAX_FILE_BYTES && b.bytes > 0 {
        match p.read(fd, &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                got += n as u64;
                b.bytes = b.bytes.saturating_sub(n as u64);
            }
        }
    }
    let _ = p.pread(fd, &mut buf[..100], size.saturating_sub(50).min(i64::MAX as u64) as i64);
    let _ = p.fstat(fd);
    let _ = p.close(fd);
}

/// Walks the tree under `path`: readdir (in small batches), lstat, readlink and stat through every
/// symlink, `..` of every directory, every regular file read; errors are fine, panics are not.
pub fn walk(p: &Proc, path: &[u8], depth: usize, b: &mut Budget) {
    if depth > MAX_DEPTH || b.entries == 0 {
        return;
    }
    let _ = p.stat(&join(path, b".."));
    let Ok(fd) = p.open(path, O_RDONLY | O_DIRECTORY, 0) else { return };
    let mut names = Vec::new();
    loop {
        match p.readdir(fd, 61) {
            Ok(v) if !v.is_empty() => {
                for e in v {
                    if b.entries == 0 {
                        break;
                    }
                    b.entries -= 1;
                    names.push(e.name);
                }
                if b.entries == 0 {
                    break;
                }
            }
            _ => break,
        }
    }
    // getdents into a buffer too small for most names, then from an odd offset.
    let mut small = [0u8; 40];
    let _ = p.lseek(fd, 0, SEEK_SET);
    let _ = p.getdents(fd, &mut small);
    let _ = p.lseek(fd, 13, SEEK_SET);
    let _ = p.readdir(fd, 3);
    let _ = p.close(fd);
    for name in names {
        if name == b"." || name == b".." {
            continue;
        }
        let full = join(path, &name);
        let Ok(st) = p.lstat(&full) else { continue };
        match st.vtype() {
            Some(VType::Dir) => walk(p, &full, depth + 1, b),
            Some(VType::Lnk) => {
                let _ = p.readlink(&full);
                let _ = p.stat(&full);
            }
            Some(VType::Reg) => read_file(p, &full, st.size, b),
            _ => {}
        }
        if b.entries == 0 {
            return;
        }
    }
    let _ = p.statvfs(path);
}

/// Target `ffs_mount_walk`: mount the image read-only as the kernel does for a user, walk all of it,
/// unmount.
pub fn ffs_mount_walk(data: &[u8]) {
    let Some((img, force)) = sparse_image(data, MAX_IMAGE) else { return };
    let dev: Dev = Arc::new(MemDevice::new(img, true));
    let (_k, p) = kernel_with(dev);
    if p.mount("ffs", b"/mnt", MNT_RDONLY, Some("/dev/fz"), &ro_opts(force)).is_err() {
        return;
    }
    let mut b = Budget::new();
    walk(&p, b"/mnt", 0, &mut b);
    let _ = p.statvfs(b"/mnt");
    // Names that are not there, too long, or pass through files.
    for path in [&b"/mnt/nonexistent"[..], b"/mnt/hello.txt/x", b"/mnt/./../mnt/.", &[b'/'; 300]] {
        let _ = p.lstat(path);
    }
    let _ = p.unmount(b"/mnt", 0);
}

/// Target `partitions`: the partition tables of arbitrary bytes, then every way of choosing the
/// partition FFS lives on (none given, `raw`, each label the table has, names it has not) with the
/// superblock search and journal replay `rumpjs info` does.
pub fn partitions(data: &[u8]) {
    let Some((img, _)) = sparse_image(data, 16 << 20) else { return };
    let dev: Dev = Arc::new(MemDevice::new(img, true));
    let table = part::probe(dev.as_ref()).unwrap_or_default();
    let mut wants: Vec<Option<String>> = vec![None, Some("raw".into()), Some("a".into()), Some("2".into())];
    for p in &table {
        let _ = p.to_string();
        let l = p.label();
        if !wants.iter().any(|w| w.as_deref() == Some(l.as_str())) {
            wants.push(Some(l));
        }
    }
    for w in wants.iter().take(24) {
        if let Ok(info) = ffs::probe_info(&dev, w.as_deref()) {
            let _ = info.to_json();
            let _ = info.to_string();
        }
    }
}

/// An image dir_block writes its directory into: the root directory's first block is replaced.
pub struct DirTemplate {
    pub dev: Dev,
    pub sb: Superblock,
    /// Byte offsets of the root inode and of the root directory's first block.
    pub root_inode: u64,
    pub root_block: u64,
    pub root: Dinode,
}

/// Both byte orders, both directory formats (4.2BSD ones without d_type), two block sizes. seeds.py
/// names them in the same order.
pub const DIR_TEMPLATES: &[(&str, &[u8])] = &[
    ("ufs1-42-le", include_bytes!("../../tests/fixtures/ffs/ufs1-42-le.img.gz")),
    ("ufs1-42-be", include_bytes!("../../tests/fixtures/ffs/ufs1-42-be.img.gz")),
    ("ufs2-le-8192-1024", include_bytes!("../../tests/fixtures/ffs/ufs2-le-8192-1024.img.gz")),
    ("ufs2-be-8192-1024", include_bytes!("../../tests/fixtures/ffs/ufs2-be-8192-1024.img.gz")),
    ("ufs1-be-4096-512", include_bytes!("../../tests/fixtures/ffs/ufs1-be-4096-512.img.gz")),
];

fn load_template(gz: &[u8]) -> DirTemplate {
    let mut img = Vec::new();
    flate2::read::GzDecoder::new(gz).read_to_end(&mut img).expect("template fixture");
    let dev: Dev = Arc::new(MemDevice::new(img, true));
    let sb = Superblock::find(dev.as_ref(), &mut Vec::new()).expect("template superblock");
    let (fsba, idx) = sb.ino_to_fsba(ROOTINO);
    let isz = sb.ufs.dinode_size() as u64;
    let root_inode = sb.frag_to_bytes(fsba) + idx as u64 * isz;
    let mut raw = vec![0u8; isz as usize];
    dev.read_at(root_inode, &mut raw).expect("root inode");
    let root = Dinode::decode(&raw, sb.order, sb.ufs, sb.old_inodefmt < 2);
    let root_block = sb.frag_to_bytes(root.db[0]);
    DirTemplate { dev, sb, root_inode, root_block, root }
}

pub fn dir_templates() -> &'static [DirTemplate] {
    static T: OnceLock<Vec<DirTemplate>> = OnceLock::new();
    T.get_or_init(|| DIR_TEMPLATES.iter().map(|(_, gz)| load_template(gz)).collect())
}

/// Target `dir_block`: byte 0 picks a template, the rest is a directory block. First the parser alone,
/// in all four formats; then the block as the root directory of a real image, mounted and read through
/// readdir (from odd offsets too), lookup of every name, and the name index of large directories.
pub fn dir_block(data: &[u8]) {
    let Some((&sel, body)) = data.split_first() else { return };
    for order in [ByteOrder::Little, ByteOrder::Big] {
        for dtype in [true, false] {
            let fmt = DirFormat { order, dtype };
            for ninodes in [1u64 << 32, 100] {
                let mut end = 0;
                for e in Entries::new(body, 0, fmt, ninodes).take(body.len() / 8 + 1) {
                    let Ok(e) = e else { break };
                    assert!(e.off >= end && e.off + e.reclen <= body.len() && e.reclen >= 8, "{e:?}");
                    assert!(e.name.len() <= MAXNAMLEN && (e.ino as u64) < ninodes);
                    end = e.off + e.reclen;
                }
            }
            for off in (0..body.len()).step_by(4).take(300) {
                let _ = entry_at(body, off, fmt, 1 << 20);
            }
            let _ = Entries::new(body, body.len() / 3, fmt, 1 << 20).take(200).count();
        }
    }
    let t = &dir_templates()[sel as usize % DIR_TEMPLATES.len()];
    let bsize = t.sb.bsize as usize;
    let len = (body.len().min(bsize) / SECTOR).max(1) * SECTOR;
    let mut blk = vec![0u8; len];
    let n = body.len().min(len);
    blk[..n].copy_from_slice(&body[..n]);
    let ov = OverlayDevice::new(t.dev.clone());
    if ov.write_at(t.root_block, &blk).is_err() {
        return;
    }
    let mut root = t.root.clone();
    root.size = len as u64;
    root.blocks = root.blocks.max(len as u64 / 512);
    let isz = t.sb.ufs.dinode_size() as usize;
    let mut raw = vec![0u8; isz];
    if ov.read_at(t.root_inode, &mut raw).is_err() {
        return;
    }
    root.encode(&mut raw, t.sb.order, t.sb.ufs, false);
    if ov.write_at(t.root_inode, &raw).is_err() {
        return;
    }
    let (_k, p) = kernel_with(Arc::new(ov));
    if p.mount("ffs", b"/mnt", MNT_RDONLY, Some("/dev/fz"), &ro_opts(false)).is_err() {
        return;
    }
    let Ok(fd) = p.open(b"/mnt", O_RDONLY | O_DIRECTORY, 0) else { return };
    let mut names = Vec::new();
    while let Ok(v) = p.readdir(fd, 37) {
        if v.is_empty() || names.len() > 2000 {
            break;
        }
        names.extend(v.into_iter().map(|e| e.name));
    }
    for off in [4i64, 12, 24, 511, 512, 1000, 4096] {
        if p.lseek(fd, off, SEEK_SET).is_ok() {
            let _ = p.readdir(fd, 5);
        }
    }
    let _ = p.close(fd);
    let mut b = Budget { entries: 200, bytes: 1 << 20 };
    for name in names.iter().take(300) {
        let full = join(b"/mnt", name);
        if let Ok(st) = p.lstat(&full) {
            if st.vtype() == Some(VType::Dir) && name != b"." && name != b".." {
                walk(&p, &full, MAX_DEPTH - 1, &mut b);
            }
        }
    }
    for name in [&b"hello.txt"[..], b"..", b".", b"nonexistent"] {
        let _ = p.lstat(&join(b"/mnt", name));
    }
    let _ = p.unmount(b"/mnt", 0);
}

/// The fixed sequence of changes `ffs_rw_fsck` makes on a read-write mount: create, write (past the
/// direct blocks), mkdir, rename (file and directory), link, symlink, unlink, truncate, a directory
/// grown past one chunk, a change to a file that was already there, fsync and sync.
fn rw_sequence(p: &Proc) {
    let mut existing = None;
    if let Ok(v) = p.readdir_path(b"/mnt") {
        for e in v.iter().take(64) {
            let full = join(b"/mnt", &e.name);
            if p.lstat(&full).is_ok_and(|st| st.vtype() == Some(VType::Reg)) {
                existing = Some(full);
                break;
            }
        }
    }
    let data: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
    if let Ok(fd) = p.open(b"/mnt/fz-new", O_CREAT | O_WRONLY | O_TRUNC, 0o644) {
        let _ = p.write(fd, &data[..100]);
        let _ = p.write(fd, &data);
        let _ = p.pwrite(fd, b"far", 200_000);
        let _ = p.fsync(fd);
        let _ = p.close(fd);
    }
    let _ = p.mkdir(b"/mnt/fz-dir", 0o755);
    let _ = p.rename(b"/mnt/fz-new", b"/mnt/fz-dir/moved");
    let _ = p.link(b"/mnt/fz-dir/moved", b"/mnt/fz-hard");
    let _ = p.symlink(b"fz-dir/moved", b"/mnt/fz-link");
    let long = [b'L'; 200];
    let _ = p.symlink(&long, b"/mnt/fz-dir/slowlink");
    for i in 0..40 {
        let name = format!("/mnt/fz-dir/entry-with-a-longish-name-{i:03}");
        if let Ok(fd) = p.open(name.as_bytes(), O_CREAT | O_WRONLY, 0o600) {
            let _ = p.write(fd, name.as_bytes());
            let _ = p.close(fd);
        }
    }
    for i in (0..40).step_by(3) {
        let _ = p.unlink(format!("/mnt/fz-dir/entry-with-a-longish-name-{i:03}").as_bytes());
    }
    let _ = p.truncate(b"/mnt/fz-dir/moved", 5000);
    if let Some(path) = &existing {
        if let Ok(fd) = p.open(path, O_WRONLY | O_APPEND, 0) {
            let _ = p.write(fd, &data[..5000]);
            let _ = p.ftruncate(fd, 1);
            let _ = p.close(fd);
        }
        let _ = p.rename(path, b"/mnt/fz-dir/renamed-existing");
    }
    let _ = p.unlink(b"/mnt/fz-hard");
    let _ = p.mkdir(b"/mnt/fz-dir/sub", 0o700);
    let _ = p.rename(b"/mnt/fz-dir", b"/mnt/fz-dir2");
    let _ = p.rmdir(b"/mnt/fz-dir2/sub");
    let _ = p.sync();
}

/// Target `ffs_rw_fsck`: mount the image read-write (on a writable in-memory copy), make the fixed
/// changes, unmount; then fsck -y, fsck -n, and a read-only walk of what fsck left. Nothing may panic.
/// (Until the FFS write side mounts read-write, the mount fails with EROFS and this is fsck on
/// arbitrary images.)
pub fn ffs_rw_fsck(data: &[u8]) {
    use kernel::fs::ffs::fsck::{fsck, FsckOptions, Repair};
    let Some((img, force)) = sparse_image(data, MAX_IMAGE) else { return };
    let mem = Arc::new(MemDevice::new(img, false));
    let dev: Dev = mem.clone();
    {
        let (_k, p) = kernel_with(dev.clone());
        let opts = MountOptions { readonly: false, force, opts: Vec::new() };
        if p.mount("ffs", b"/mnt", 0, Some("/dev/fz"), &opts).is_ok() {
            rw_sequence(&p);
            let _ = p.unmount(b"/mnt", 0);
        }
    }
    let yes = FsckOptions { repair: Repair::Yes, force, ..Default::default() };
    if fsck(&dev, &yes, &kernel::hyper::DeterministicHypervisor::default_for_tests(), &mut |_| {}).is_err() {
        return;
    }
    let ro: Dev = Arc::new(MemDevice::new(mem.contents(), true));
    let _ = fsck(
        &ro,
        &FsckOptions { repair: Repair::No, force, ..Default::default() },
        &kernel::hyper::DeterministicHypervisor::default_for_tests(),
        &mut |_| {},
    );
    let (_k, p) = kernel_with(ro);
    if p.mount("ffs", b"/mnt", MNT_RDONLY, Some("/dev/fz"), &ro_opts(force)).is_ok() {
        let mut b = Budget { entries: 1000, bytes: 1 << 20 };
        walk(&p, b"/mnt", 0, &mut b);
        let _ = p.unmount(b"/mnt", 0);
    }
}
