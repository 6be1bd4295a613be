//! What the `rumpjs mount` tests share: whether FUSE can run here, scratch directories, a detached
//! mount unmounted on drop, host commands, and fresh images checked by fsck afterwards. A test file
//! using it declares `mod skip;` (tests/support/skip.rs) and `mod fuse_common;` at its root.

#![allow(dead_code)]

use kernel::dev::{BlockDevice, Dev, FileDevice};
use kernel::fs::ffs::fsck::{fsck, FsckOptions, Repair};
use kernel::fs::ffs::newfs::{newfs, NewfsOptions};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

pub fn have(tool: &str) -> bool {
    Command::new("sh").arg("-c").arg(format!("command -v {tool}")).output().is_ok_and(|o| o.status.success())
}

pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false)
}

/// Why FUSE tests cannot run here, if they cannot.
pub fn unavailable() -> Option<String> {
    if !Path::new("/dev/fuse").exists() {
        return Some("no /dev/fuse".into());
    }
    if !have("fusermount3") {
        return Some("no fusermount3 (Debian package fuse3)".into());
    }
    if !is_root() {
        return Some("not root (the tests mount with allow_other and check other uids)".into());
    }
    None
}

#[macro_export]
macro_rules! need_fuse {
    () => {
        if let Some(why) = $crate::fuse_common::unavailable() {
            $crate::skip::skip(&why);
            return;
        }
    };
}

/// A scratch directory of this test, removed at the end.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "rumpjs-fuse-{}-{}-{tag}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        Scratch(p)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn rumpjs() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rumpjs"))
}

pub fn run(cmd: &mut Command) -> Output {
    let o = cmd.stdin(Stdio::null()).output().expect("command runs");
    o
}

pub fn sh(script: &str) -> Output {
    run(Command::new("bash").arg("-c").arg(script))
}

pub fn sh_ok(script: &str) -> String {
    let o = sh(script);
    assert!(
        o.status.success(),
        "`{script}` failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A `rumpjs mount` (detached) at `mnt`; unmounted by `rumpjs umount` on drop if still there.
pub struct Mounted {
    pub mnt: PathBuf,
    done: bool,
}

impl Mounted {
    pub fn new(args: &[&str], mnt: &Path) -> Mounted {
        Mounted::with_env(args, mnt, &[])
    }

    /// A mount whose server runs with `env` added to its environment.
    pub fn with_env(args: &[&str], mnt: &Path, env: &[(&str, &str)]) -> Mounted {
        std::fs::create_dir_all(mnt).unwrap();
        let o = run(rumpjs().arg("mount").args(args).arg(mnt).envs(env.iter().copied()));
        assert!(
            o.status.success(),
            "rumpjs mount {args:?} failed: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        Mounted { mnt: mnt.to_path_buf(), done: false }
    }

    pub fn p(&self, rel: &str) -> PathBuf {
        self.mnt.join(rel)
    }

    /// `rumpjs umount`: returns once the server has written everything and exited.
    pub fn umount(mut self) {
        self.done = true;
        let o = run(rumpjs().arg("umount").arg(&self.mnt));
        assert!(o.status.success(), "rumpjs umount: {}", String::from_utf8_lossy(&o.stderr));
        assert!(server_pid(&self.mnt).is_none(), "still mounted after umount");
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        if !self.done {
            let _ = run(rumpjs().arg("umount").arg(&self.mnt));
            let _ = run(Command::new("fusermount3").arg("-u").arg("-z").arg(&self.mnt));
        }
    }
}

/// The pid of the server mounted at `mnt` (its FUSE source is "rumpjs@PID:…").
pub fn server_pid(mnt: &Path) -> Option<u32> {
    let mnt = std::fs::canonicalize(mnt).ok()?;
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    info.lines().find_map(|l| {
        let f: Vec<&str> = l.split(' ').collect();
        let dash = f.iter().position(|x| *x == "-")?;
        (Path::new(f[4]) == mnt && f[dash + 1].starts_with("fuse"))
            .then(|| f[dash + 2].strip_prefix("rumpjs@")?.split(':').next()?.parse().ok())?
    })
}

/// A new, empty FFS image of `mb` MiB made by our newfs (UFS1 or UFS2).
pub fn new_image(path: &Path, ufs: u8, mb: u64) {
    let f = std::fs::File::create(path).unwrap();
    f.set_len(mb << 20).unwrap();
    drop(f);
    let dev = FileDevice::open(path, false).unwrap();
    let hyper = kernel::hyper::StdHypervisor::new(false);
    newfs(&dev, &NewfsOptions { ufs, ..Default::default() }, &hyper).unwrap();
    dev.flush().unwrap();
}

/// fsck of an image: `(exit code, problems)`; `repair` is `-y`.
pub fn fsck_image(path: &Path, repair: bool) -> (i32, Vec<String>) {
    let dev: Dev = Arc::new(FileDevice::open(path, !repair).unwrap());
    let opts = FsckOptions { repair: if repair { Repair::Yes } else { Repair::No }, ..Default::default() };
    let r = fsck(&dev, &opts, &kernel::hyper::DeterministicHypervisor::default_for_tests(), &mut |_| {}).unwrap();
    (r.exit_code, r.problems.iter().map(|p| format!("{} {}", p.message, p.question)).collect())
}

pub fn assert_clean(path: &Path) {
    let (code, problems) = fsck_image(path, false);
    assert!(code == 0 && problems.is_empty(), "fsck -n: exit {code}, {problems:#?}");
}
