//! Nothing lost: a writer process (kernel/examples/crashwriter.rs) writes and fsyncs files
//! on an FFS image and is killed at a random moment, many times; `fsck -y` must bring every image back
//! to clean (a second `-n` finds nothing) with every file fsync'd before the kill intact.
//!
//! Run alone with `cargo test -p rumpjs-kernel --test fsck crash`.

use kernel::dev::{Dev, FileDevice, MemDevice};
use kernel::fs::ffs::fsck::{fsck, FsckOptions, Repair};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "../../examples/crashwriter.rs"]
#[allow(dead_code)]
mod crashwriter;

use crate::common::fixtures;

fn target_dir() -> PathBuf {
    // .../target/debug/deps/fsck-HASH → .../target
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().parent().unwrap().to_path_buf()
}

fn profile_dir() -> PathBuf {
    std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().to_path_buf()
}

/// The writer binary, (re)built so it has the driver the test was built with.
fn writer() -> PathBuf {
    let bin = profile_dir().join("examples/crashwriter");
    {
        let mut c = Command::new(env!("CARGO"));
        c.args(["build", "-p", "rumpjs-kernel", "--example", "crashwriter"]);
        if profile_dir().ends_with("release") {
            c.arg("--release");
        }
        let st = c.env("CARGO_TARGET_DIR", target_dir()).status().expect("cargo build");
        assert!(st.success(), "building crashwriter failed");
    }
    bin
}

/// An empty FFS image made by makefs.
fn empty_image(dir: &Path, args: &[&str]) -> Vec<u8> {
    let src = dir.join("empty");
    std::fs::create_dir_all(&src).unwrap();
    let img = dir.join("base.img");
    let st = Command::new("makefs")
        .args(["-t", "ffs"])
        .args(args)
        .arg(&img)
        .arg(&src)
        .stdout(Stdio::null())
        .status()
        .expect("makefs (Debian package makefs) is needed");
    assert!(st.success(), "makefs failed");
    std::fs::read(&img).unwrap()
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn check_trial(img: &Path, seed: u64, synced: &[u64], ctx: &str) {
    let dev: Dev = Arc::new(FileDevice::open(img, false).unwrap());
    let mut out = Vec::new();
    let r = fsck(
        &dev,
        &FsckOptions { repair: Repair::Yes, ..Default::default() },
        &kernel::hyper::DeterministicHypervisor::default_for_tests(),
        &mut |l| out.push(l.to_string()),
    )
    .unwrap();
    assert!(r.exit_code == 0, "{ctx}: fsck -y exit {}:\n{}", r.exit_code, out.join("\n"));
    drop(dev);
    let data = std::fs::read(img).unwrap();
    let ro: Dev = Arc::new(MemDevice::new(data.clone(), true));
    let mut out2 = Vec::new();
    let r2 =
        fsck(&ro, &FsckOptions::default(), &kernel::hyper::DeterministicHypervisor::default_for_tests(), &mut |l| {
            out2.push(l.to_string())
        })
        .unwrap();
    assert!(
        r2.exit_code == 0 && r2.problems.is_empty(),
        "{ctx}: not clean after -y:\n{}\n--- first run:\n{}",
        out2.join("\n"),
        out.join("\n")
    );
    let (_k, p, _h) = fixtures::mount(Arc::new(MemDevice::new(data, true)), &[]).unwrap();
    for &n in synced {
        let path = format!("/ffs/f{n}");
        let got = fixtures::read_all(&p, path.as_bytes()).unwrap_or_else(|e| panic!("{ctx}: {path}: {e:?}"));
        assert!(got == crashwriter::contents(seed, n), "{ctx}: {path} differs after the crash");
    }
}

fn crash_trials(layout: &[&str], trials: u32) {
    let bin = writer();
    let dir = std::env::temp_dir().join(format!("rumpjs-crash-{}-{}", std::process::id(), layout.join("")));
    std::fs::create_dir_all(&dir).unwrap();
    let base = empty_image(&dir, layout);
    let mut rng = Rng(0x1234_5678_9abc_def1 ^ std::process::id() as u64);
    for t in 0..trials {
        let img = dir.join(format!("t{t}.img"));
        std::fs::write(&img, &base).unwrap();
        let seed = rng.next();
        let mut child = Command::new(&bin)
            .arg(&img)
            .arg(seed.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let wait = Duration::from_millis(rng.next() % 400);
        let start = Instant::now();
        while start.elapsed() < wait {
            if let Ok(Some(st)) = child.try_wait() {
                let mut e = String::new();
                child.stderr.take().unwrap().read_to_string(&mut e).ok();
                assert!(st.code() != Some(3), "the writer cannot mount read-write: {e}");
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().ok();
        child.wait().unwrap();
        let mut s = String::new();
        child.stdout.take().unwrap().read_to_string(&mut s).unwrap();
        let synced: Vec<u64> =
            s.lines().filter_map(|l| l.strip_prefix("SYNCED ")).filter_map(|n| n.parse().ok()).collect();
        check_trial(&img, seed, &synced, &format!("{layout:?} trial {t} (seed {seed}, {} synced)", synced.len()));
        std::fs::remove_file(&img).ok();
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn killed_writer_loses_nothing_ufs2() {
    crash_trials(&["-s", "64m", "-o", "version=2,bsize=16384,fsize=2048"], 30);
}

#[test]
fn killed_writer_loses_nothing_ufs1_be() {
    crash_trials(&["-s", "64m", "-B", "be", "-o", "version=1,bsize=8192,fsize=1024"], 30);
}

/// The harness itself, without the write side: an image whose writer "died" before writing anything
/// is clean after fsck -y and holds nothing.
#[test]
fn harness_on_an_untouched_image() {
    let dir = std::env::temp_dir().join(format!("rumpjs-crash-h-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let base = empty_image(&dir, &["-s", "16m", "-o", "version=2"]);
    let img = dir.join("t.img");
    std::fs::write(&img, &base).unwrap();
    check_trial(&img, 1, &[], "untouched");
    assert!(std::fs::read(&img).unwrap() == base, "fsck -y changed a clean image");
    // The writer's contents are deterministic and cover several sizes.
    assert_eq!(crashwriter::contents(7, 3), crashwriter::contents(7, 3));
    let sizes: Vec<usize> = (0..40).map(|n| crashwriter::contents(7, n).len()).collect();
    assert!(sizes.iter().any(|&s| s > 100_000) && sizes.iter().any(|&s| s < 2048), "{sizes:?}");
    std::fs::remove_dir_all(&dir).ok();
}
