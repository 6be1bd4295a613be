//! A writer for the crash test (kernel/tests/fsck/crash.rs): mounts the FFS image given as the first
//! argument read-write and writes files `f<N>` (N from 0), each of a size and contents derived from N
//! and the seed (second argument), fsync'ing each one and then printing `SYNCED <N>` on stdout. Between
//! them it churns a `junk/` directory without fsync — creates, overwrites, appends, truncates (shrink
//! and grow), renames (over existing names, across directories), links, unlinks, mkdir and rmdir — so
//! the kill lands in the middle of every kind of change. The test kills it at a random moment; every
//! file it printed was durable by then (the junk is whatever fsck makes of it).
//!
//!     cargo run -p rumpjs-kernel --example crashwriter -- IMAGE SEED [COUNT]

use kernel::dev::FileDevice;
use kernel::hyper::DeterministicHypervisor;
use kernel::vfs::*;
use kernel::Kernel;
use std::io::Write;
use std::sync::Arc;

/// The contents of file `n` for `seed`: sizes spread over fragments, blocks and indirect blocks.
pub fn contents(seed: u64, n: u64) -> Vec<u8> {
    let mut x = seed ^ (n.wrapping_mul(0x9e37_79b9_7f4a_7c15)) | 1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let size = match next() % 4 {
        0 => next() % 2048,
        1 => next() % 20_000,
        2 => next() % 200_000,
        _ => next() % 1_200_000,
    } as usize;
    let mut v = Vec::with_capacity(size);
    while v.len() < size {
        v.extend_from_slice(&next().to_le_bytes());
    }
    v.truncate(size);
    v
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let image = args.get(1).expect("usage: crashwriter IMAGE SEED [COUNT]");
    let seed: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let count: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(u64::MAX);
    let dev = Arc::new(FileDevice::open(std::path::Path::new(image), false).expect("open image"));
    let hyper = Arc::new(DeterministicHypervisor::default_for_tests());
    let k = Kernel::boot_default(hyper).expect("boot");
    k.etfs_register("/dev/ffs0", dev).expect("register");
    let p = k.new_proc(Cred::root());
    p.mkdir(b"/ffs", 0o755).unwrap();
    let opts = MountOptions { readonly: false, force: false, opts: Default::default() };
    if let Err(e) = p.mount("ffs", b"/ffs", 0, Some("/dev/ffs0"), &opts) {
        eprintln!("crashwriter: read-write mount refused: {e:?}");
        std::process::exit(3);
    }
    let out = std::io::stdout();
    let _ = p.mkdir(b"/ffs/junk", 0o755);
    let _ = p.mkdir(b"/ffs/junk/sub", 0o755);
    for n in 0..count {
        churn(&p, seed, n);
        let data = contents(seed, n);
        let path = format!("/ffs/f{n}");
        let fd = match p.open(path.as_bytes(), O_WRONLY | O_CREAT | O_TRUNC, 0o644) {
            Ok(fd) => fd,
            Err(e) => {
                eprintln!("crashwriter: {path}: {e:?}");
                break;
            }
        };
        let mut done = 0;
        while done < data.len() {
            match p.write(fd, &data[done..]) {
                Ok(w) => done += w,
                Err(e) => {
                    eprintln!("crashwriter: write {path}: {e:?}");
                    std::process::exit(4);
                }
            }
        }
        p.fsync(fd).expect("fsync");
        p.close(fd).unwrap();
        let mut o = out.lock();
        writeln!(o, "SYNCED {n}").unwrap();
        o.flush().unwrap();
    }
    p.unmount(b"/ffs", 0).ok();
}

/// Unsynced changes of every kind in /ffs/junk; errors (ENOENT for a name already gone, ENOSPC) are
/// part of the game and ignored.
fn churn(p: &Proc, seed: u64, n: u64) {
    let j = |k: u64| format!("/ffs/junk/j{}", k % 16);
    let s = |k: u64| format!("/ffs/junk/sub/s{}", k % 8);
    let data = contents(seed ^ 0x5555, n);
    let put = |path: &str, flags: u32, buf: &[u8]| {
        if let Ok(fd) = p.open(path.as_bytes(), O_WRONLY | O_CREAT | flags, 0o644) {
            let _ = p.write(fd, buf);
            let _ = p.close(fd);
        }
    };
    put(&j(n), O_TRUNC, &data);
    put(&j(n + 3), O_APPEND, &data[..data.len().min(5000)]);
    let _ = p.truncate(j(n + 5).as_bytes(), (data.len() / 3) as i64);
    let _ = p.truncate(j(n + 6).as_bytes(), (data.len() * 2 + 70_000) as i64);
    let _ = p.rename(j(n + 1).as_bytes(), j(n + 2).as_bytes());
    let _ = p.rename(j(n + 4).as_bytes(), s(n).as_bytes());
    let _ = p.link(j(n).as_bytes(), s(n + 1).as_bytes());
    let _ = p.unlink(j(n + 7).as_bytes());
    let _ = p.unlink(s(n + 2).as_bytes());
    let d = format!("/ffs/junk/d{}", n % 4);
    if p.mkdir(d.as_bytes(), 0o755).is_err() {
        let _ = p.unlink(format!("{d}/x").as_bytes());
        let _ = p.rmdir(d.as_bytes());
    } else {
        put(&format!("{d}/x"), O_TRUNC, b"x");
    }
    if n % 5 == 4 {
        let _ = p.rename(b"/ffs/junk/sub", b"/ffs/junk/sub2");
        let _ = p.rename(b"/ffs/junk/sub2", b"/ffs/junk/sub");
    }
}
