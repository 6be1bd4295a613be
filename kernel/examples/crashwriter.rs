//! A writer for the crash test (kernel/tests/ffs_fsck_crash.rs): mounts the FFS image given as the first
//! argument read-write and writes files `f<N>` (N from 0), each of a size and contents derived from N
//! and the seed (second argument), fsync'ing each one and then printing `SYNCED <N>` on stdout. The
//! test kills it at a random moment; every file it printed was durable by then.
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
    for n in 0..count {
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
