//! The name cache under every way names change, on tmpfs and on FFS: a name renamed over, a negative
//! entry after each way of making a name, hard links, `..` after a directory moves, a directory removed
//! and made again or renamed over, an unmount, and threads looking up names others create and remove.
//! Each case looks the names up first, so they are cached when they change.

use kernel::dev::{Dev, MemDevice};
use kernel::fs::ffs::newfs::{newfs, NewfsOptions};
use kernel::hyper::DeterministicHypervisor;
use kernel::vfs::*;
use kernel::{Errno, Kernel, Proc};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A kernel with tmpfs on /t and a fresh read-write FFS on /f.
fn boot() -> (Arc<Kernel>, Proc) {
    let hyper = Arc::new(DeterministicHypervisor::default_for_tests());
    let k = Kernel::boot_default(hyper.clone()).unwrap();
    let p = k.new_proc(Cred::root());
    p.mkdir(b"/t", 0o755).unwrap();
    p.mount("tmpfs", b"/t", 0, None, &MountOptions::default()).unwrap();
    let dev = MemDevice::zeroed(16 << 20);
    newfs(&dev, &NewfsOptions::default(), hyper.as_ref()).unwrap();
    p.mkdir(b"/f", 0o755).unwrap();
    p.mount_device("ffs", b"/f", 0, Arc::new(dev) as Dev, &MountOptions::default()).unwrap();
    (k, p)
}

fn ino(p: &Proc, path: &str) -> Result<u64, Errno> {
    p.lstat(path.as_bytes()).map(|s| s.ino)
}

fn touch(p: &Proc, path: &str) {
    let fd = p.open(path.as_bytes(), O_CREAT | O_WRONLY, 0o644).unwrap();
    p.close(fd).unwrap();
}

#[test]
fn every_change_of_a_cached_name_is_seen() {
    let (k, p) = boot();
    for m in ["/t", "/f"] {
        let at = |s: &str| format!("{m}/{s}");
        // Renamed over: the name now names the source's inode.
        touch(&p, &at("a"));
        touch(&p, &at("b"));
        let (a, b) = (ino(&p, &at("a")).unwrap(), ino(&p, &at("b")).unwrap());
        assert_ne!(a, b);
        p.rename(at("a").as_bytes(), at("b").as_bytes()).unwrap();
        assert_eq!(ino(&p, &at("b")), Ok(a), "{m}: b after the rename");
        assert_eq!(ino(&p, &at("a")), Err(Errno::ENOENT), "{m}: a after the rename");
        // A negative entry, then the name made: each way of making one.
        for (i, make) in ["create", "mkdir", "symlink", "mkfifo", "link", "rename"].iter().enumerate() {
            let n = at(&format!("new{i}"));
            assert_eq!(ino(&p, &n), Err(Errno::ENOENT));
            assert_eq!(ino(&p, &n), Err(Errno::ENOENT), "{m}: asked twice (cached)");
            match *make {
                "create" => touch(&p, &n),
                "mkdir" => p.mkdir(n.as_bytes(), 0o755).unwrap(),
                "symlink" => p.symlink(b"target", n.as_bytes()).unwrap(),
                "mkfifo" => p.mkfifo(n.as_bytes(), 0o644).unwrap(),
                "link" => p.link(at("b").as_bytes(), n.as_bytes()).unwrap(),
                _ => {
                    touch(&p, &at("src"));
                    p.rename(at("src").as_bytes(), n.as_bytes()).unwrap();
                }
            }
            assert!(ino(&p, &n).is_ok(), "{m}: {make} not seen");
        }
        // Hard links: one name removed, the other stays.
        assert_eq!(ino(&p, &at("new4")), Ok(a));
        p.unlink(at("b").as_bytes()).unwrap();
        assert_eq!(ino(&p, &at("b")), Err(Errno::ENOENT));
        assert_eq!(ino(&p, &at("new4")), Ok(a), "{m}: the other link");
        // `..` after a directory moved to another parent.
        for d in ["d1", "d2", "d1/x"] {
            p.mkdir(at(d).as_bytes(), 0o755).unwrap();
        }
        assert_eq!(ino(&p, &at("d1/x/..")), ino(&p, &at("d1")));
        p.rename(at("d1/x").as_bytes(), at("d2/x").as_bytes()).unwrap();
        assert_eq!(ino(&p, &at("d2/x/..")), ino(&p, &at("d2")), "{m}: .. after the move");
        assert_eq!(ino(&p, &at("d1/x")), Err(Errno::ENOENT));
        // A directory removed and made again under the same name: nothing of the old one shows, even
        // where the file system reuses its inode.
        p.mkdir(at("gone").as_bytes(), 0o755).unwrap();
        touch(&p, &at("gone/f"));
        let _ = ino(&p, &at("gone/f")).unwrap();
        assert_eq!(ino(&p, &at("gone/nothing")), Err(Errno::ENOENT));
        p.unlink(at("gone/f").as_bytes()).unwrap();
        p.rmdir(at("gone").as_bytes()).unwrap();
        p.mkdir(at("gone").as_bytes(), 0o755).unwrap();
        assert_eq!(ino(&p, &at("gone/f")), Err(Errno::ENOENT), "{m}: a name of the removed directory");
        touch(&p, &at("gone/nothing"));
        assert!(ino(&p, &at("gone/nothing")).is_ok(), "{m}: a negative entry of the removed directory");
        // A directory replaced by a rename over it.
        p.mkdir(at("old").as_bytes(), 0o755).unwrap();
        touch(&p, &at("old/in-old"));
        let _ = ino(&p, &at("old/in-old"));
        p.unlink(at("old/in-old").as_bytes()).unwrap();
        p.mkdir(at("newer").as_bytes(), 0o755).unwrap();
        p.rename(at("newer").as_bytes(), at("old").as_bytes()).unwrap();
        assert_eq!(ino(&p, &at("old/in-old")), Err(Errno::ENOENT));
    }
    // The cache answered: lookups of names already seen do not reach the file system.
    let before = k.namecache_stats();
    for _ in 0..10 {
        ino(&p, "/f/d2/x").unwrap();
    }
    let after = k.namecache_stats();
    assert!(after.hits >= before.hits + 30, "{before:?} {after:?}");
    assert_eq!(after.misses, before.misses, "{before:?} {after:?}");
    // Unmounted: what was cached of it goes (the directory under it answers again).
    touch(&p, "/t/only-in-tmpfs");
    assert!(ino(&p, "/t/only-in-tmpfs").is_ok());
    p.unmount(b"/t", 0).unwrap();
    assert_eq!(ino(&p, "/t/only-in-tmpfs"), Err(Errno::ENOENT));
    p.mount("tmpfs", b"/t", 0, None, &MountOptions::default()).unwrap();
    assert_eq!(ino(&p, "/t/only-in-tmpfs"), Err(Errno::ENOENT));
}

#[test]
fn threads_see_names_as_they_are() {
    let (_k, p) = boot();
    for m in ["/t", "/f"] {
        let stop = Arc::new(AtomicBool::new(false));
        let p = Arc::new(p.fork());
        let names: Vec<String> = (0..8).map(|i| format!("{m}/n{i}")).collect();
        std::thread::scope(|s| {
            // Two makers and removers, three lookers.
            for w in 0..2 {
                let (p, stop, names) = (p.clone(), stop.clone(), names.clone());
                s.spawn(move || {
                    let mut i = w;
                    while !stop.load(Ordering::Relaxed) {
                        let n = &names[i % names.len()];
                        match p.lstat(n.as_bytes()) {
                            Ok(_) => {
                                let _ = p.unlink(n.as_bytes());
                            }
                            Err(_) => {
                                if let Ok(fd) = p.open(n.as_bytes(), O_CREAT | O_WRONLY, 0o644) {
                                    let _ = p.close(fd);
                                }
                            }
                        }
                        i += 3;
                    }
                });
            }
            for _ in 0..3 {
                let (p, stop, names) = (p.clone(), stop.clone(), names.clone());
                s.spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        for n in &names {
                            let _ = p.lstat(n.as_bytes());
                        }
                    }
                });
            }
            std::thread::sleep(std::time::Duration::from_millis(300));
            stop.store(true, Ordering::Relaxed);
        });
        // At rest, the cache says what the directory says.
        let listed: Vec<Vec<u8>> = p.readdir_path(m.as_bytes()).unwrap().into_iter().map(|e| e.name).collect();
        for n in &names {
            let base = n.rsplit('/').next().unwrap().as_bytes().to_vec();
            assert_eq!(p.lstat(n.as_bytes()).is_ok(), listed.contains(&base), "{n}");
        }
    }
}
