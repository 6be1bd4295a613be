//! The makefs and `get` benchmark (ignored; not a timed test; it writes ~7 GB under RUMPJS_BENCH_DIR):
//!
//!   cargo test -p rumpjs --release --test makefs_bench -- --ignored --nocapture
//!
//! Side by side in one run: `rumpjs makefs` against Debian's `makefs` on a tree of 50,000 small files
//! (~300 MB) and on one of 20 large files (~1.5 GB), UFS1 and UFS2; then `rumpjs get` of a whole image
//! against `tsk_recover -e`. Every image is checked (our fsck -n; the copies out are diffed with the
//! tree), so a fast wrong answer cannot pass as a figure. The host's page cache is warmed first, the
//! work directory is /dev/shm when there is one (so neither tool waits for the host's disk writeback),
//! and `sync` and the removal of the last run's output are done before each timed run, outside it.
//! TSK cannot read the UFS2 images Debian's makefs writes (superblock at 8192), so the UFS2 `get`
//! comparison is on rumpjs makefs's image (superblock at 65536, as NetBSD's newfs puts it).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

fn sh(script: &str) -> Result<String, String> {
    let o = Command::new("bash").arg("-c").arg(script).stdin(Stdio::null()).output().map_err(|e| e.to_string())?;
    if o.status.success() {
        Ok(String::from_utf8_lossy(&o.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or("failed").to_string())
    }
}

/// Best of `runs` wall-clock seconds of `script`, each after `setup` and `sync` (not timed), or the error
/// of the first failing run.
fn best_of(runs: usize, setup: &str, script: &str) -> Result<f64, String> {
    let mut best = f64::MAX;
    for _ in 0..runs {
        sh(&format!("{setup}; sync"))?;
        let t = Instant::now();
        sh(script)?;
        best = best.min(t.elapsed().as_secs_f64());
    }
    Ok(best)
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn fill(&mut self, b: &mut [u8]) {
        for c in b.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            c.copy_from_slice(&v[..c.len()]);
        }
    }
}

/// `n` files of 0–12 KiB (6 KiB on average) in directories of 100, with a symlink and a hard link in
/// every directory: a source tree or a root file system.
fn small_tree(root: &Path, n: usize) -> u64 {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let mut buf = vec![0u8; 12288];
    let mut total = 0;
    for i in 0..n {
        let dir = root.join(format!("d{:03}/s{:02}", i / 1000, (i / 100) % 10));
        if i % 100 == 0 {
            std::fs::create_dir_all(&dir).unwrap();
            std::os::unix::fs::symlink("f0", dir.join("link")).unwrap();
        }
        let size = (r.next() % 12288) as usize;
        r.fill(&mut buf[..size]);
        let f = dir.join(format!("f{}", i % 100));
        std::fs::write(&f, &buf[..size]).unwrap();
        if i % 100 == 99 {
            std::fs::hard_link(&f, dir.join("hard")).unwrap();
        }
        total += size as u64;
    }
    total
}

/// `n` files of 75 MiB each.
fn large_tree(root: &Path, n: usize) -> u64 {
    let mut r = Rng(0x2545_f491_4f6c_dd1d);
    let mut buf = vec![0u8; 1 << 20];
    std::fs::create_dir_all(root).unwrap();
    for i in 0..n {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(root.join(format!("big{i:02}"))).unwrap());
        for _ in 0..75 {
            r.fill(&mut buf);
            f.write_all(&buf).unwrap();
        }
    }
    (n as u64 * 75) << 20
}

fn mib(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len() >> 20).unwrap_or(0)
}

fn show(r: &Result<f64, String>) -> String {
    match r {
        Ok(s) => format!("{s:>8.2} s"),
        Err(e) => format!("failed: {e}"),
    }
}

#[test]
#[ignore]
fn makefs_and_get_side_by_side() {
    for tool in ["makefs", "tsk_recover"] {
        if sh(&format!("command -v {tool}")).is_err() {
            eprintln!("skipped: no {tool} (apt-get install makefs sleuthkit)");
            return;
        }
    }
    let exe = env!("CARGO_BIN_EXE_rumpjs");
    let default =
        if Path::new("/dev/shm").is_dir() { "/dev/shm/rumpjs-makefs-bench" } else { "/tmp/rumpjs-makefs-bench" };
    let base = PathBuf::from(std::env::var("RUMPJS_BENCH_DIR").unwrap_or_else(|_| default.into()));
    println!("work directory: {}", base.display());
    let n: usize = std::env::var("RUMPJS_BENCH_FILES").ok().and_then(|v| v.parse().ok()).unwrap_or(50_000);
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).unwrap();
    let trees = [("small", base.join("small")), ("large", base.join("large"))];
    let t = Instant::now();
    let small = small_tree(&trees[0].1, n);
    let large = large_tree(&trees[1].1, 20);
    println!(
        "trees: {n} small files ({:.0} MiB), 20 large files ({:.0} MiB), made in {:.1} s",
        small as f64 / 1048576.0,
        large as f64 / 1048576.0,
        t.elapsed().as_secs_f64()
    );
    println!("{:<34} {:>12} {:>12} {:>8}   images (MiB)", "makefs, best of 3", "Debian", "rumpjs", "ratio");
    for (name, tree) in &trees {
        sh(&format!("cd {} && tar cf - . | cat > /dev/null", tree.display())).unwrap();
        for v in [1, 2] {
            let (theirs, ours) = (base.join(format!("{name}-{v}-debian.img")), base.join(format!("{name}-{v}.img")));
            let (rm_t, rm_o) = (format!("rm -f {}", theirs.display()), format!("rm -f {}", ours.display()));
            let d = best_of(3, &rm_t, &format!("makefs -t ffs -o version={v} {} {}", theirs.display(), tree.display()));
            let r =
                best_of(3, &rm_o, &format!("{exe} makefs -t ffs -o version={v} {} {}", ours.display(), tree.display()));
            let ratio = match (&d, &r) {
                (Ok(d), Ok(r)) => format!("{:>7.2}x", d / r),
                _ => "-".into(),
            };
            println!(
                "{:<34} {:>12} {:>12} {ratio}   {} / {}",
                format!("{name} tree, UFS{v}"),
                show(&d),
                show(&r),
                mib(&theirs),
                mib(&ours)
            );
            r.unwrap();
            sh(&format!("{exe} fsck -n {}", ours.display())).expect("our image passes our fsck");
        }
    }
    println!("{:<34} {:>12} {:>12} {:>8}", "whole image out, best of 3", "tsk_recover", "rumpjs get", "ratio");
    for (name, tree) in &trees {
        for (v, img, whose) in [
            (1, base.join(format!("{name}-1-debian.img")), "Debian's"),
            (2, base.join(format!("{name}-2.img")), "rumpjs's"),
        ] {
            if !img.exists() {
                continue;
            }
            let (o1, o2) = (base.join("out-tsk"), base.join("out-get"));
            let clean = format!("rm -rf {} {}", o1.display(), o2.display());
            let tsk = best_of(3, &clean, &format!("tsk_recover -f ufs{v} -e {} {}", img.display(), o1.display()));
            let get = best_of(3, &clean, &format!("{exe} get {}:/ {}", img.display(), o2.display()));
            let ratio = match (&tsk, &get) {
                (Ok(t), Ok(g)) => format!("{:>7.2}x", t / g),
                _ => "-".into(),
            };
            println!(
                "{:<34} {:>12} {:>12} {ratio}",
                format!("{name} tree, {whose} UFS{v} image"),
                show(&tsk),
                show(&get)
            );
            get.unwrap();
            sh(&format!("diff -r -q --no-dereference {} {}", tree.display(), o2.display()))
                .expect("rumpjs get gives the tree back");
            let _ = sh(&clean);
        }
    }
    let _ = std::fs::remove_dir_all(&base);
}
