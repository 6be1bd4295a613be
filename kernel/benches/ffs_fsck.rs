//! fsck's time on a ~450 MB makefs image of 50,000 files (a benchmark, not a test; the bench profile is
//! a release build):
//!
//!     cargo bench -p rumpjs-kernel --bench ffs_fsck
//!
//! (No fsck_ffs runs on this machine to put beside it; the time to read the image once is printed as the
//! floor any checker pays.)

mod figures;

use kernel::dev::{Dev, FileDevice};
use kernel::fs::ffs::fsck::{fsck, FsckOptions};
use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

fn fsck_450mb_50000_files() {
    let dir = std::env::temp_dir().join(format!("rumpjs-fsck-bench-{}", std::process::id()));
    let src = dir.join("tree");
    std::fs::create_dir_all(&src).unwrap();
    let t = Instant::now();
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut total = 0u64;
    let buf = vec![b'x'; 32 * 1024];
    for d in 0..100 {
        let sub = src.join(format!("d{d:03}"));
        std::fs::create_dir_all(&sub).unwrap();
        for i in 0..500 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let size = (x % 18_000) as usize;
            total += size as u64;
            std::fs::write(sub.join(format!("f{i:04}")), &buf[..size.min(buf.len())]).unwrap();
        }
    }
    let img = dir.join("bench.img");
    let st = Command::new("makefs")
        .args(["-t", "ffs", "-o", "version=2,bsize=16384,fsize=2048", "-b", "5%"])
        .arg(&img)
        .arg(&src)
        .stdout(Stdio::null())
        .status()
        .expect("makefs");
    assert!(st.success());
    std::fs::remove_dir_all(&src).ok();
    let size = std::fs::metadata(&img).unwrap().len();
    eprintln!(
        "image: {} MB, 50,000 files of {} MB in 100 directories (built in {:.1?})",
        size >> 20,
        total >> 20,
        t.elapsed()
    );
    // Reading the whole image once (a floor for any checker; warms the page cache too).
    let t = Instant::now();
    let mut f = std::fs::File::open(&img).unwrap();
    let mut b = vec![0u8; 1 << 20];
    while f.read(&mut b).unwrap() > 0 {}
    eprintln!("read the image once: {:.2?}", t.elapsed());
    for run in 0..3 {
        let dev: Dev = Arc::new(FileDevice::open(&img, true).unwrap());
        let t = Instant::now();
        let mut lines = Vec::new();
        let r = fsck(
            &dev,
            &FsckOptions::default(),
            &kernel::hyper::DeterministicHypervisor::default_for_tests(),
            &mut |l| lines.push(l.to_string()),
        )
        .unwrap();
        let el = t.elapsed();
        assert_eq!((r.exit_code, r.problems.len()), (0, 0), "{}", lines.join("\n"));
        eprintln!("fsck -n run {run}: {el:.2?} — {}", r.summary);
    }
    std::fs::remove_dir_all(&dir).ok();
}

fn main() {
    figures::run(&[("fsck_450mb_50000_files", fsck_450mb_50000_files)]);
}
