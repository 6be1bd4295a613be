//! Syscall costs from Rust, and file creation in one big tmpfs directory. A benchmark, not a test:
//! `cargo bench -p rumpjs-kernel --bench syscalls` (release build) prints the figures.
//!
//! - stat of a cached path (three components under a tmpfs mount), open+close, a 4 KiB pread;
//! - stat of a path of ten components on FFS (a fresh UFS2 in memory), and of a missing name there:
//!   what the name cache saves a path walk;
//! - creating 10,000 and 100,000 files in one directory (the second should be ~10x the first, not
//!   ~100x: names are hashed, as NetBSD's dirhash would give), then listing and removing them.

use kernel::hyper::DeterministicHypervisor;
use kernel::vfs::*;
use kernel::Kernel;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn boot() -> (Arc<Kernel>, Proc) {
    let k = Kernel::boot_default(Arc::new(DeterministicHypervisor::default_for_tests())).unwrap();
    let p = k.new_proc(Cred::root());
    p.mkdir(b"/mnt", 0o755).unwrap();
    p.mount("tmpfs", b"/mnt", 0, None, &MountOptions::default()).unwrap();
    (k, p)
}

/// Runs `f` `iters` times, `rounds` rounds; the median round's time per call in ns.
fn per_call(rounds: usize, iters: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..iters / 10 {
        f();
    }
    let mut times: Vec<f64> = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            t.elapsed().as_nanos() as f64 / iters as f64
        })
        .collect();
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    times[rounds / 2]
}

/// stat of `/ffs/a/b/c/d/e/f/g/h/file` (ten components) and of a missing name beside it, on a fresh
/// UFS2 in memory: (ns per deep stat, ns per missing stat, components).
fn ffs_paths(rounds: usize, iters: usize) -> (f64, f64, usize) {
    use kernel::dev::{Dev, MemDevice};
    use kernel::fs::ffs::newfs::{newfs, NewfsOptions};
    let hyper = Arc::new(DeterministicHypervisor::default_for_tests());
    let k = Kernel::boot_default(hyper.clone()).unwrap();
    let p = k.new_proc(Cred::root());
    let dev = MemDevice::zeroed(32 << 20);
    newfs(&dev, &NewfsOptions::default(), hyper.as_ref()).unwrap();
    p.mkdir(b"/ffs", 0o755).unwrap();
    p.mount_device("ffs", b"/ffs", 0, Arc::new(dev) as Dev, &MountOptions::default()).unwrap();
    let mut path = String::from("/ffs");
    for d in ["a", "b", "c", "d", "e", "f", "g", "h"] {
        path.push('/');
        path.push_str(d);
        p.mkdir(path.as_bytes(), 0o755).unwrap();
        // Neighbours, so each directory has more than one name to search.
        for i in 0..20 {
            let fd = p.open(format!("{path}-{i}").as_bytes(), O_CREAT | O_WRONLY, 0o644).unwrap();
            p.close(fd).unwrap();
        }
    }
    let missing = format!("{path}/nothing");
    path.push_str("/file");
    let fd = p.open(path.as_bytes(), O_CREAT | O_WRONLY, 0o644).unwrap();
    p.close(fd).unwrap();
    let deep = per_call(rounds, iters, || {
        black_box(p.stat(black_box(path.as_bytes())).unwrap());
    });
    let miss = per_call(rounds, iters, || {
        black_box(p.stat(black_box(missing.as_bytes())).unwrap_err());
    });
    (deep, miss, path.matches('/').count())
}

fn create_files(n: usize) -> (Duration, Duration, Duration, Duration) {
    let (_k, p) = boot();
    p.mkdir(b"/mnt/big", 0o755).unwrap();
    p.chdir(b"/mnt/big").unwrap();
    let names: Vec<Vec<u8>> = (0..n).map(|i| format!("file{i:06}").into_bytes()).collect();
    let t = Instant::now();
    for name in &names {
        let fd = p.open(name, O_WRONLY | O_CREAT | O_EXCL, 0o644).unwrap();
        p.close(fd).unwrap();
    }
    let create = t.elapsed();
    let t = Instant::now();
    for name in names.iter().step_by(7) {
        black_box(p.stat(name).unwrap());
    }
    let stat = t.elapsed() * 7;
    let t = Instant::now();
    let listed = p.readdir_path(b".").unwrap();
    let list = t.elapsed();
    assert_eq!(listed.len(), n + 2);
    let t = Instant::now();
    for name in &names {
        p.unlink(name).unwrap();
    }
    let unlink = t.elapsed();
    (create, stat, list, unlink)
}

fn main() {
    // `cargo test --benches` runs this too: keep that quick.
    let quick = std::env::args().any(|a| a == "--test") || cfg!(debug_assertions);
    let (rounds, iters) = if quick { (3, 2_000) } else { (9, 200_000) };
    let (_k, p) = boot();
    p.mkdir(b"/mnt/dir", 0o755).unwrap();
    let fd = p.open(b"/mnt/dir/file", O_RDWR | O_CREAT, 0o644).unwrap();
    p.write(fd, &vec![7u8; 64 * 1024]).unwrap();
    p.close(fd).unwrap();

    let stat = per_call(rounds, iters, || {
        black_box(p.stat(black_box(b"/mnt/dir/file")).unwrap());
    });
    let open_close = per_call(rounds, iters, || {
        let fd = p.open(black_box(b"/mnt/dir/file"), O_RDONLY, 0).unwrap();
        p.close(fd).unwrap();
    });
    let fd = p.open(b"/mnt/dir/file", O_RDONLY, 0).unwrap();
    let mut buf = vec![0u8; 4096];
    let read4k = per_call(rounds, iters, || {
        black_box(p.pread(fd, black_box(&mut buf), 8192).unwrap());
    });
    let fstat = per_call(rounds, iters, || {
        black_box(p.fstat(fd).unwrap());
    });
    p.close(fd).unwrap();
    let (deep, missing, components) = ffs_paths(rounds, iters);
    println!("syscall cost (ns per call, median of {rounds} rounds of {iters}):");
    println!("  stat, {components} components on FFS   {deep:8.0}");
    println!("  stat of a missing name there  {missing:8.0}");
    println!("  stat(\"/mnt/dir/file\")      {stat:8.0}");
    println!("  open + close               {open_close:8.0}");
    println!("  pread 4 KiB                {read4k:8.0}");
    println!("  fstat                      {fstat:8.0}");

    let sizes: &[usize] = if quick { &[1_000, 10_000] } else { &[10_000, 100_000] };
    let mut first = None;
    println!("files in one tmpfs directory (create = open O_CREAT|O_EXCL + close):");
    for &n in sizes {
        let (create, stat, list, unlink) = create_files(n);
        println!(
            "  {n:>7} files: create {:>8.1} ms ({:>5.0} ns/file), stat {:>7.1} ms, readdir {:>6.1} ms, unlink {:>8.1} ms",
            create.as_secs_f64() * 1e3,
            create.as_nanos() as f64 / n as f64,
            stat.as_secs_f64() * 1e3,
            list.as_secs_f64() * 1e3,
            unlink.as_secs_f64() * 1e3,
        );
        match first {
            None => first = Some(create),
            Some(f) => {
                let ratio = create.as_secs_f64() / f.as_secs_f64();
                println!("  creating 10x the files took {ratio:.1}x as long");
                assert!(ratio < 30.0, "creation is not close to linear: {ratio:.1}x for 10x the files");
            }
        }
    }
}
