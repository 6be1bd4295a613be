//! Benchmark (ignored; not a timed test): reading every file of a ~50,000-file UFS1 image made by
//! makefs, three ways — `tar cf - . | cat >/dev/null` on the host's own copy of the tree, the same tar
//! through `rumpjs mount`, and a copy-out of the whole image by rumpjs (`rump.host.copyOut`).
//!
//! cargo test -p rumpjs --release --test fuse_bench -- --ignored --nocapture
//! (RUMPJS_BENCH_FILES=N for another file count.)

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

fn sh(script: &str) -> String {
    let o = Command::new("bash").arg("-c").arg(script).stdin(Stdio::null()).output().unwrap();
    assert!(o.status.success(), "`{script}`: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn timed(what: &str, script: &str) -> f64 {
    let t = Instant::now();
    sh(script);
    let s = t.elapsed().as_secs_f64();
    println!("{what:<48} {s:>8.2} s");
    s
}

/// A tree of `n` files in directories of 100: sizes from a fixed pseudo-random spread (most small,
/// a few large, as a source tree), contents pseudo-random.
fn make_tree(root: &Path, n: usize) -> u64 {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut total = 0u64;
    let mut buf = vec![0u8; 2 << 20];
    for i in 0..n {
        let dir = root.join(format!("d{:03}/s{:02}", i / 1000, (i / 100) % 10));
        if i % 100 == 0 {
            std::fs::create_dir_all(&dir).unwrap();
        }
        let r = next() % 1000;
        let size = match r {
            0..=599 => next() % 4096,
            600..=949 => 4096 + next() % 28_000,
            950..=997 => 32_768 + next() % 200_000,
            _ => 262_144 + next() % 800_000,
        } as usize;
        for c in buf[..size].chunks_mut(8) {
            let v = next().to_le_bytes();
            c.copy_from_slice(&v[..c.len()]);
        }
        std::fs::write(dir.join(format!("f{i}")), &buf[..size]).unwrap();
        total += size as u64;
    }
    total
}

#[test]
#[ignore]
fn fuse_tar_vs_host_vs_copyout() {
    for tool in ["makefs", "fusermount3"] {
        if Command::new("sh").arg("-c").arg(format!("command -v {tool}")).output().map_or(true, |o| !o.status.success())
        {
            eprintln!("skipped: no {tool}");
            return;
        }
    }
    let n: usize = std::env::var("RUMPJS_BENCH_FILES").ok().and_then(|v| v.parse().ok()).unwrap_or(50_000);
    let base = PathBuf::from(std::env::var("RUMPJS_BENCH_DIR").unwrap_or_else(|_| "/tmp/rumpjs-fuse-bench".into()));
    let _ = std::fs::remove_dir_all(&base);
    let (tree, img, mnt, out) = (base.join("tree"), base.join("bench.img"), base.join("mnt"), base.join("out"));
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::create_dir_all(&mnt).unwrap();
    let t = Instant::now();
    let bytes = make_tree(&tree, n);
    println!("tree: {n} files, {:.1} MiB, made in {:.1} s", bytes as f64 / 1048576.0, t.elapsed().as_secs_f64());
    let t = Instant::now();
    sh(&format!("makefs -t ffs -o version=1 {} {}", img.display(), tree.display()));
    println!(
        "makefs (UFS1): {:.1} s, image {} MiB",
        t.elapsed().as_secs_f64(),
        std::fs::metadata(&img).unwrap().len() >> 20
    );
    let exe = env!("CARGO_BIN_EXE_rumpjs");
    // Warm the host's page cache for both the tree and the image, so each run reads from memory.
    sh(&format!("cat {} > /dev/null; cd {} && tar cf - . | cat > /dev/null", img.display(), tree.display()));
    let host = timed(
        "host: tar cf - . | cat (host's own copy)",
        &format!("cd {} && tar cf - . | cat > /dev/null", tree.display()),
    );
    sh(&format!("{exe} mount {} {}", img.display(), mnt.display()));
    let fuse1 = timed(
        "rumpjs mount: tar cf - . | cat (first)",
        &format!("cd {} && tar cf - . | cat > /dev/null", mnt.display()),
    );
    let fuse2 = timed(
        "rumpjs mount: tar cf - . | cat (again)",
        &format!("cd {} && tar cf - . | cat > /dev/null", mnt.display()),
    );
    let listing_host = sh(&format!("cd {} && find . -type f | sort | wc -l", tree.display()));
    let listing_fuse = sh(&format!("cd {} && find . -type f | sort | wc -l", mnt.display()));
    assert_eq!(listing_host, listing_fuse);
    sh(&format!("{exe} umount {}", mnt.display()));
    let copy = timed(
        "rumpjs copy-out of the whole image",
        &format!(
            "{exe} --image {img} --allow-host {base} -e \"rump.host.copyOut('/ffs', '{out}')\"",
            img = img.display(),
            base = base.display(),
            out = out.display()
        ),
    );
    sh(&format!("diff -r -q {} {}", tree.display(), out.display()));
    println!("ratios: fuse/host {:.1}x (again {:.1}x), copy-out/host {:.1}x", fuse1 / host, fuse2 / host, copy / host);
    let _ = std::fs::remove_dir_all(&base);
}
