//! What the kernel's test binaries share. This file is the conformance harness: NetBSD's
//! tests/fs/common/h_fsmacros.h in Rust. Each test is written once as `fn(&Env)` and run against every
//! file system listed here. A file system enters the lists below with one line: a name and a function
//! that makes a fresh mount at a path. tmpfs runs every suite here; FFS runs them from
//! `ffs_conformance` (fresh read-write images from our newfs, in four configurations: the ffs test
//! binary expands the lists into a module per configuration). For t_ro, FFS
//! also mounts a prepared image, `FFS_RO`, holding what `filegen` in vfs/t_vfs.rs makes (`testfile`
//! with FUNTEXT, directory `testdir`, symlink `testsymlink` → `testfile`), and ignores the generator.
//!
//! Beside it: `fixtures` (the committed FFS images and their manifests, mounting one, patching one),
//! `fresh` (images made by our newfs, snapshots of a tree, The Sleuth Kit's view, the fsck check) and
//! `ffs_conformance` (the FFS configurations of the conformance suites).
#![allow(dead_code)]

pub mod ffs_conformance;
pub mod fixtures;
pub mod fresh;

use kernel::hyper::DeterministicHypervisor;
use kernel::vfs::*;
use kernel::{Errno, KResult, Kernel};
use std::sync::Arc;

/// Size of each test file system (h_fsmacros.h's FSTEST_IMGSIZE is 10 MB).
pub const FSTEST_IMGSIZE: u64 = 10 << 20;
/// Where the file system under test is mounted.
pub const MOUNTPOINT: &str = "/mnt";

/// A read-write file system the conformance tests run against.
pub struct RwFs {
    pub name: &'static str,
    /// Makes a fresh, empty, writable file system of about FSTEST_IMGSIZE bytes mounted at `mp` (an
    /// existing empty directory of the root file system), as root.
    pub mount: fn(&Arc<Kernel>, &Proc, &str) -> KResult<()>,
}

/// Makes a file system at `mp`, runs the generator on it while it is writable, then leaves it mounted
/// read-only. (tmpfs: mount, fill, `mount -u -r`; a disk file system may unmount and mount again.)
pub type MountRoFn = fn(&Arc<Kernel>, &Proc, &str, &dyn Fn(&Env)) -> KResult<()>;

/// A file system mounted read-only after a generator has filled it (ATF_TC_FSAPPLY_RO).
pub struct RoFs {
    pub name: &'static str,
    pub mount_ro: MountRoFn,
}

pub const TMPFS: RwFs = RwFs { name: "tmpfs", mount: mount_tmpfs };
pub const TMPFS_RO: RoFs = RoFs { name: "tmpfs", mount_ro: mount_tmpfs_ro };
/// FFS read-only: the prepared image tests/fixtures/ffs/t_ro.img.gz, which holds what `filegen`
/// makes (the tests run with `nullgen` only create names that are not there).
pub const FFS_RO: RoFs = RoFs { name: "ffs", mount_ro: mount_ffs_ro_fixture };

fn tmpfs_opts() -> MountOptions {
    MountOptions { opts: vec![("size".into(), FSTEST_IMGSIZE.to_string())], ..Default::default() }
}

fn mount_tmpfs(_k: &Arc<Kernel>, p: &Proc, mp: &str) -> KResult<()> {
    p.mount("tmpfs", mp.as_bytes(), 0, None, &tmpfs_opts())
}

fn mount_tmpfs_ro(k: &Arc<Kernel>, p: &Proc, mp: &str, gen: &dyn Fn(&Env)) -> KResult<()> {
    mount_tmpfs(k, p, mp)?;
    gen(&Env::new(k.clone(), mp, "tmpfs"));
    p.mount("tmpfs", mp.as_bytes(), MNT_UPDATE | MNT_RDONLY, None, &MountOptions::default())
}

fn mount_ffs_ro_fixture(k: &Arc<Kernel>, p: &Proc, mp: &str, _gen: &dyn Fn(&Env)) -> KResult<()> {
    use std::io::Read;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/ffs/t_ro.img.gz");
    let f = std::fs::File::open(&path).map_err(|_| Errno::ENOENT)?;
    let mut img = Vec::new();
    flate2::read::GzDecoder::new(f).read_to_end(&mut img).map_err(|_| Errno::EIO)?;
    let dev = k.free_dev_name("t_ro");
    k.etfs_register(&dev, Arc::new(kernel::dev::MemDevice::new(img, true)))?;
    p.mount("ffs", mp.as_bytes(), MNT_RDONLY, Some(&dev), &MountOptions::default())
}

/// Runs `$test` (a `fn(&Env)` in the calling module) against tmpfs: `tmpfs::t_vnops_rename_dir`, ...
/// (FFS expands the same lists with `ffs_conformance::ffs_modules`.)
#[macro_export]
macro_rules! rw_tests {
    ($($t:ident),* $(,)?) => {
        mod tmpfs { $( #[test] fn $t() { $crate::common::run_rw(&$crate::common::TMPFS, super::$t) } )* }
    };
}

/// Runs `$test` (a `fn(&Env)`) against every file system mounted read-only after `$gen` filled it.
#[macro_export]
macro_rules! ro_tests {
    ($($t:ident: $gen:ident),* $(,)?) => {
        mod tmpfs_ro {
            $( #[test] fn $t() { $crate::common::run_ro(&$crate::common::TMPFS_RO, super::$gen, super::$t) } )*
        }
        mod ffs_ro {
            $( #[test] fn $t() { $crate::common::run_ro(&$crate::common::FFS_RO, super::$gen, super::$t) } )*
        }
    };
}

/// What a test gets: the kernel, a root process whose cwd is `/`, and the mount point.
pub struct Env {
    pub k: Arc<Kernel>,
    pub p: Proc,
    pub mp: String,
    /// The file-system type under test, as statvfs names it.
    pub fstype: &'static str,
}

impl Env {
    pub fn new(k: Arc<Kernel>, mp: &str, fstype: &'static str) -> Env {
        let p = k.new_proc(Cred::root());
        Env { k, p, mp: mp.to_string(), fstype }
    }

    /// `mp/tail` (h_fsmacros's md()).
    pub fn path(&self, tail: &str) -> Vec<u8> {
        format!("{}/{}", self.mp, tail).into_bytes()
    }

    /// FSTEST_ENTER: chdir to the mount point.
    pub fn enter(&self) {
        self.p.chdir(self.mp.as_bytes()).expect("chdir mountpoint");
    }

    /// FSTEST_EXIT.
    pub fn exit(&self) {
        self.p.chdir(b"/").expect("chdir /");
    }

    /// A child of the root process (rump_pub_lwproc_rfork) acting as `uid`/`gid` (setuid/setgid).
    pub fn as_user(&self, uid: u32, gid: u32) -> Proc {
        let c = self.p.fork();
        c.setcred(Cred { uid, gid, groups: vec![gid] }).expect("setcred");
        c
    }
}

/// Boots a kernel under the deterministic hypervisor with an empty `/mnt`.
pub fn boot() -> (Arc<Kernel>, Proc) {
    let k = Kernel::boot_default(Arc::new(DeterministicHypervisor::default_for_tests())).expect("boot");
    let p = k.new_proc(Cred::root());
    p.mkdir(MOUNTPOINT.as_bytes(), 0o755).expect("mkdir /mnt");
    (k, p)
}

/// The test body, then FSTEST_DESTRUCTOR: unmount must succeed, so a test that leaks a vnode
/// reference (an fd, a cwd) fails here.
fn finish(env: Env) {
    env.p.chdir(b"/").expect("chdir /");
    for fd in env.p.open_fds() {
        env.p.close(fd).expect("close");
    }
    let Env { k, p, mp, .. } = env;
    if let Err(e) = p.unmount(mp.as_bytes(), 0) {
        panic!("unmount {mp} after the test: {e}");
    }
    drop(k);
}

pub fn run_rw(fs: &RwFs, test: fn(&Env)) {
    let (k, p) = boot();
    (fs.mount)(&k, &p, MOUNTPOINT).unwrap_or_else(|e| panic!("mount {}: {e}", fs.name));
    let env = Env::new(k, MOUNTPOINT, fs.name);
    test(&env);
    finish(env);
}

pub fn run_ro(fs: &RoFs, gen: fn(&Env), test: fn(&Env)) {
    let (k, p) = boot();
    (fs.mount_ro)(&k, &p, MOUNTPOINT, &gen).unwrap_or_else(|e| panic!("mount {} read-only: {e}", fs.name));
    let env = Env::new(k, MOUNTPOINT, fs.name);
    let st = env.p.statvfs(MOUNTPOINT.as_bytes()).expect("statvfs");
    assert!(st.flag & MNT_RDONLY != 0, "{} is not read-only", fs.name);
    test(&env);
    finish(env);
}

/// Asserts a syscall failed with `errno`.
#[track_caller]
pub fn expect_err<T: std::fmt::Debug>(r: KResult<T>, errno: Errno) {
    match r {
        Err(e) => assert_eq!(e, errno, "expected {errno:?}, got {e:?}"),
        Ok(v) => panic!("expected {errno:?}, got success ({v:?})"),
    }
}

/// Creates (or truncates) a file holding `data`.
pub fn write_file(p: &Proc, path: &[u8], data: &[u8]) {
    let fd = p.open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o666).expect("open for writing");
    assert_eq!(p.write(fd, data).expect("write"), data.len());
    p.close(fd).expect("close");
}

/// The whole contents of a file.
pub fn read_file(p: &Proc, path: &[u8]) -> Vec<u8> {
    let fd = p.open(path, O_RDONLY, 0).expect("open for reading");
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = p.read(fd, &mut buf).expect("read");
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    p.close(fd).expect("close");
    out
}

/// Names in a directory, `.` and `..` left out, sorted.
pub fn list_dir(p: &Proc, path: &[u8]) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = p
        .readdir_path(path)
        .expect("readdir")
        .into_iter()
        .map(|e| e.name)
        .filter(|n| n != b"." && n != b"..")
        .collect();
    v.sort();
    v
}
