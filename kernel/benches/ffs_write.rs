//! Figures for FFS read-write (a benchmark, not a test; the bench profile is a release build):
//!
//!   cargo bench -p rumpjs-kernel --bench ffs_write [-- write_one_gib|ten_thousand|hundred_thousand]
//!
//! - a 1 GiB file written through the syscall layer (`Proc::write`, 1 MiB at a time) to an FFS on a
//!   host file, against `dd if=/dev/zero of=FILE bs=1M count=1024` on the same host file system;
//! - 10,000 and 100,000 files created in one directory (then all looked up, then removed).
//!
//! (tests/ffs/rw.rs checks that a large directory stays fast in a debug build.)

#[path = "../tests/common/mod.rs"]
mod common;
mod figures;

use common::fresh::*;
use kernel::dev::{Dev, FileDevice};
use kernel::fs::ffs::newfs::{newfs, NewfsOptions};
use kernel::hyper::DeterministicHypervisor;
use kernel::vfs::*;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

fn host_image(name: &str, size: u64) -> (std::path::PathBuf, Dev) {
    let dir = std::env::temp_dir().join(format!("ffsbench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(size).unwrap();
    drop(f);
    let dev: Dev = Arc::new(FileDevice::open(&path, false).unwrap());
    newfs(dev.as_ref(), &NewfsOptions::default(), &DeterministicHypervisor::default_for_tests()).unwrap();
    (path, dev)
}

fn write_one_gib() {
    let (path, dev) = host_image("gib.img", 1300 << 20);
    let (_k, p, _h) = boot(dev.clone());
    mount_rw(&p).unwrap();
    let chunk = vec![0x5au8; 1 << 20];
    let fd = p.open(b"/mnt/big", O_WRONLY | O_CREAT, 0o644).unwrap();
    let t = Instant::now();
    for _ in 0..1024 {
        assert_eq!(p.write(fd, &chunk).unwrap(), chunk.len());
    }
    p.fsync(fd).unwrap();
    let ours = t.elapsed();
    p.close(fd).unwrap();
    p.unmount(b"/mnt", 0).unwrap();
    let dd_path = path.with_file_name("dd.out");
    let t = Instant::now();
    let st = Command::new("dd")
        .args(["if=/dev/zero", &format!("of={}", dd_path.display()), "bs=1M", "count=1024", "conv=fsync"])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    let dd = t.elapsed();
    assert!(st.success());
    let mb = 1024.0;
    println!(
        "FIGURE write 1 GiB: rumpjs FFS (Proc::write, 1 MiB chunks, fsync) {:.2} s = {:.0} MB/s; dd bs=1M conv=fsync {:.2} s = {:.0} MB/s",
        ours.as_secs_f64(),
        mb / ours.as_secs_f64(),
        dd.as_secs_f64(),
        mb / dd.as_secs_f64()
    );
    std::fs::remove_dir_all(path.parent().unwrap()).ok();
}

fn many_files(n: usize) {
    let (path, dev) = host_image(&format!("many{n}.img"), 512 << 20);
    let (_k, p, _h) = boot(dev.clone());
    mount_rw(&p).unwrap();
    p.mkdir(b"/mnt/d", 0o755).unwrap();
    let t = Instant::now();
    for i in 0..n {
        let fd = p.open(format!("/mnt/d/file-{i:06}").as_bytes(), O_WRONLY | O_CREAT | O_EXCL, 0o644).unwrap();
        p.close(fd).unwrap();
    }
    let create = t.elapsed();
    let t = Instant::now();
    for i in 0..n {
        p.stat(format!("/mnt/d/file-{i:06}").as_bytes()).unwrap();
    }
    let lookup = t.elapsed();
    let t = Instant::now();
    p.sync().unwrap();
    let sync = t.elapsed();
    let t = Instant::now();
    for i in 0..n {
        p.unlink(format!("/mnt/d/file-{i:06}").as_bytes()).unwrap();
    }
    let remove = t.elapsed();
    p.unmount(b"/mnt", 0).unwrap();
    println!(
        "FIGURE {n} files in one directory: create {:.2} s ({:.1} us/file), stat {:.2} s, sync {:.2} s, unlink {:.2} s",
        create.as_secs_f64(),
        create.as_secs_f64() * 1e6 / n as f64,
        lookup.as_secs_f64(),
        sync.as_secs_f64(),
        remove.as_secs_f64()
    );
    std::fs::remove_dir_all(path.parent().unwrap()).ok();
}

fn ten_thousand_files() {
    many_files(10_000);
}

fn hundred_thousand_files() {
    many_files(100_000);
}

fn main() {
    figures::run(&[
        ("write_one_gib", write_one_gib),
        ("ten_thousand_files", ten_thousand_files),
        ("hundred_thousand_files", hundred_thousand_files),
    ]);
}
