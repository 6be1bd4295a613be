//! Reading FFS images (a benchmark, not a test; it writes ~2 GB of images; the bench profile is a
//! release build):
//!
//!   cargo bench -p rumpjs-kernel --bench ffs_read
//!
//! Reads every file of a makefs UFS1 image of 50,000 small files (~300 MB) and of one of 20 large files
//! (~1.5 GB) through the kernel's syscalls (open, read, close, as the JS layer does), and prints time and
//! peak RSS beside `tsk_recover -e` on the same image and `cat image > /dev/null`.

#[path = "../tests/common/mod.rs"]
mod common;
mod figures;

use common::fixtures::*;
use kernel::dev::{Dev, FileDevice};
use kernel::vfs::*;
use kernel::Proc;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

fn vm_hwm_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn vm_rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Runs a command; returns (seconds, peak RSS of the child in KiB).
fn timed(cmd: &str) -> (f64, u64) {
    let t = Instant::now();
    let out = Command::new("/usr/bin/time").args(["-f", "%M", "sh", "-c", cmd]).output().unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert!(out.status.success(), "{cmd}: {}", String::from_utf8_lossy(&out.stderr));
    let rss = String::from_utf8_lossy(&out.stderr).lines().last().and_then(|l| l.trim().parse().ok()).unwrap_or(0);
    (secs, rss)
}

fn read_everything(p: &Proc, dir: &[u8], buf: &mut [u8]) -> (u64, u64) {
    let (mut files, mut bytes) = (0, 0);
    for e in p.readdir_path(dir).unwrap() {
        if e.name == b"." || e.name == b".." {
            continue;
        }
        let path = [dir, b"/", &e.name].concat();
        let st = p.lstat(&path).unwrap();
        match st.vtype() {
            Some(VType::Dir) => {
                let (f, b) = read_everything(p, &path, buf);
                files += f;
                bytes += b;
            }
            Some(VType::Reg) => {
                let fd = p.open(&path, O_RDONLY, 0).unwrap();
                loop {
                    let n = p.read(fd, buf).unwrap();
                    if n == 0 {
                        break;
                    }
                    bytes += n as u64;
                }
                p.close(fd).unwrap();
                files += 1;
            }
            _ => {}
        }
    }
    (files, bytes)
}

fn bench(label: &str, image: &Path, work: &Path) {
    let size = std::fs::metadata(image).unwrap().len();
    let (cat_s, cat_rss) = timed(&format!("cat {} > /dev/null", image.display()));
    let (cat_s2, _) = timed(&format!("cat {} > /dev/null", image.display()));
    let cat_s = cat_s.min(cat_s2);
    // Ours: peak RSS measured from here (the page cache is warm for everyone).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let base = vm_rss_kib();
    let t = Instant::now();
    let dev: Dev = Arc::new(FileDevice::open(image, true).unwrap());
    let (_k, p, _h) = mount(dev, &[]).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    let (files, bytes) = read_everything(&p, b"/ffs", &mut buf);
    let ours = t.elapsed().as_secs_f64();
    let ours_rss = vm_hwm_kib().saturating_sub(base);
    let out = work.join("recovered");
    let _ = std::fs::remove_dir_all(&out);
    let (tsk_s, tsk_rss) = timed(&format!("tsk_recover -e {} {} > /dev/null", image.display(), out.display()));
    let _ = std::fs::remove_dir_all(&out);
    println!("{label}: image {} MB, {files} files, {} MB of data", size >> 20, bytes >> 20);
    println!(
        "  rumpjs (open/read/close every file): {ours:7.2} s  {:6.1} MB/s  peak RSS +{} MiB",
        bytes as f64 / ours / 1e6,
        ours_rss >> 10
    );
    println!(
        "  tsk_recover -e:                      {tsk_s:7.2} s  peak RSS {} MiB  ({:.1}x our time)",
        tsk_rss >> 10,
        tsk_s / ours
    );
    println!(
        "  cat image > /dev/null:               {cat_s:7.2} s  peak RSS {} MiB  (ours is {:.2}x cat)",
        cat_rss >> 10,
        ours / cat_s
    );
}

fn read_every_file_against_tsk_and_cat() {
    let work = std::env::temp_dir().join("rumpjs-ffs-bench");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    // 50,000 small files (~300 MB) in 500 directories.
    let small = work.join("small");
    let mut state = 1u64;
    let mut total = 0u64;
    for d in 0..500 {
        let dir = small.join(format!("dir{d:03}"));
        std::fs::create_dir_all(&dir).unwrap();
        for f in 0..100 {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let size = (state >> 33) % 12_000 + 1;
            total += size;
            std::fs::write(dir.join(format!("f{f:03}.dat")), content(d * 100 + f, size)).unwrap();
        }
    }
    println!("small tree: {} MB", total >> 20);
    let img = work.join("small.img");
    let st = Command::new("makefs")
        .args(["-t", "ffs", "-o", "version=1,bsize=16384,fsize=2048", "-f", "1000", "-b", "5%"])
        .arg(&img)
        .arg(&small)
        .output()
        .unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    std::fs::remove_dir_all(&small).unwrap();
    bench("50,000 small files (UFS1)", &img, &work);
    std::fs::remove_file(&img).unwrap();
    // 20 large files (~1.5 GB).
    let large = work.join("large");
    std::fs::create_dir_all(&large).unwrap();
    let chunk = content(7, 1 << 20);
    for i in 0..20 {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(large.join(format!("big{i:02}"))).unwrap());
        for _ in 0..75 {
            f.write_all(&chunk).unwrap();
        }
    }
    let img = work.join("large.img");
    let st = Command::new("makefs")
        .args(["-t", "ffs", "-o", "version=1,bsize=16384,fsize=2048", "-b", "2%"])
        .arg(&img)
        .arg(&large)
        .output()
        .unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    std::fs::remove_dir_all(&large).unwrap();
    bench("20 large files (UFS1)", &img, &work);
    std::fs::remove_dir_all(&work).unwrap();
}

fn main() {
    figures::run(&[("read_every_file_against_tsk_and_cat", read_every_file_against_tsk_and_cat)]);
}
