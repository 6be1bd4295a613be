//! Random operation sequences applied to FFS (read-write) and to tmpfs side by side in one kernel:
//! every operation must answer the same on both (success, or the same errno), and the trees must end
//! identical — types, sizes, contents, modes, link counts — both while mounted and after the FFS is
//! unmounted, checked by our fsck and mounted again. UFS1 and UFS2, both byte orders, small and
//! large blocks; writes reach the indirect blocks and grow and shrink files through fragments.

use crate::common::fresh::*;
use kernel::dev::Dev;
use kernel::vfs::*;
use kernel::KResult;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

const NAMES: &[&str] = &["a", "b", "c"];

type PathIx = Vec<usize>;

fn show(root: &str, p: &PathIx) -> Vec<u8> {
    let mut s = root.to_string();
    for &c in p {
        s.push('/');
        s.push_str(NAMES[c]);
    }
    s.into_bytes()
}

#[derive(Debug, Clone)]
enum Op {
    Write {
        path: PathIx,
        off: u64,
        len: usize,
        seed: u64,
    },
    Truncate {
        path: PathIx,
        len: u64,
    },
    Mkdir {
        path: PathIx,
    },
    Rmdir {
        path: PathIx,
    },
    Unlink {
        path: PathIx,
    },
    Rename {
        from: PathIx,
        to: PathIx,
    },
    Link {
        from: PathIx,
        to: PathIx,
    },
    Symlink {
        long: bool,
        path: PathIx,
    },
    Chmod {
        path: PathIx,
        mode: u32,
    },
    Mkfifo {
        path: PathIx,
    },
    /// FFS only: unmount and mount again (everything written, read back from the image).
    Remount,
}

fn path() -> impl Strategy<Value = PathIx> {
    prop::collection::vec(0..NAMES.len(), 1..=3)
}

/// Offsets and lengths in units of the block size, so every configuration meets fragments, full
/// blocks and the indirect blocks.
fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (path(), 0u64..40, 0usize..6, any::<u64>()).prop_map(|(path, off, len, seed)| Op::Write {
            path,
            off,
            len,
            seed
        }),
        2 => (path(), 0u64..40).prop_map(|(path, len)| Op::Truncate { path, len }),
        3 => path().prop_map(|path| Op::Mkdir { path }),
        1 => path().prop_map(|path| Op::Rmdir { path }),
        2 => path().prop_map(|path| Op::Unlink { path }),
        2 => (path(), path()).prop_map(|(from, to)| Op::Rename { from, to }),
        1 => (path(), path()).prop_map(|(from, to)| Op::Link { from, to }),
        1 => (any::<bool>(), path()).prop_map(|(long, path)| Op::Symlink { long, path }),
        1 => (path(), prop::sample::select(vec![0o600u32, 0o755, 0o4711, 0o1777]))
            .prop_map(|(path, mode)| Op::Chmod { path, mode }),
        1 => path().prop_map(|path| Op::Mkfifo { path }),
        1 => Just(Op::Remount),
    ]
}

/// Byte offset `u` (a unit) for a file system with this block size: units step through the first
/// blocks by fragments and reach past the 12 direct blocks.
fn offset(cfg: Cfg, u: u64) -> u64 {
    let b = cfg.bsize as u64;
    let f = cfg.fsize as u64;
    match u {
        0..=9 => u * (f / 2 + 13),
        10..=29 => (u - 9) * b - 7 + u,
        _ => (12 + (u - 30) * 3) * b + u,
    }
}

fn length(cfg: Cfg, u: usize) -> usize {
    let b = cfg.bsize as usize;
    let f = cfg.fsize as usize;
    [0, 1, f / 3 + 1, f + 5, b + 17, 2 * b + f][u]
}

fn apply(p: &Proc, root: &str, cfg: Cfg, op: &Op) -> KResult<()> {
    match op {
        Op::Write { path, off, len, seed } => {
            let fd = p.open(&show(root, path), O_WRONLY | O_CREAT | O_NONBLOCK, 0o644)?;
            let data = bytes(*seed, length(cfg, *len));
            let r = p.pwrite(fd, &data, offset(cfg, *off) as i64);
            p.close(fd)?;
            r.map(|_| ())
        }
        Op::Truncate { path, len } => p.truncate(&show(root, path), offset(cfg, *len) as i64),
        Op::Mkdir { path } => p.mkdir(&show(root, path), 0o755),
        Op::Rmdir { path } => p.rmdir(&show(root, path)),
        Op::Unlink { path } => p.unlink(&show(root, path)),
        Op::Rename { from, to } => p.rename(&show(root, from), &show(root, to)),
        Op::Link { from, to } => p.link(&show(root, from), &show(root, to)),
        Op::Symlink { long, path } => {
            let t = if *long { "t/".repeat(90) } else { "target".to_string() };
            p.symlink(t.as_bytes(), &show(root, path))
        }
        Op::Chmod { path, mode } => p.chmod(&show(root, path), *mode),
        Op::Mkfifo { path } => p.mkfifo(&show(root, path), 0o640),
        Op::Remount => Ok(()),
    }
}

fn run(cfg: Cfg, ops: &[Op]) -> Result<(), TestCaseError> {
    let dev = fresh(cfg, 8 << 20);
    let (_k, p, _h) = boot(dev.clone() as Dev);
    p.mkdir(b"/t", 0o755).unwrap();
    p.mount("tmpfs", b"/t", 0, None, &MountOptions::default()).unwrap();
    mount_rw(&p).unwrap();
    for (i, op) in ops.iter().enumerate() {
        if let Op::Remount = op {
            p.unmount(b"/mnt", 0).unwrap();
            mount_rw(&p).unwrap();
            continue;
        }
        let a = apply(&p, "/t", cfg, op);
        let b = apply(&p, "/mnt", cfg, op);
        prop_assert_eq!(a, b, "op {} {:?}: tmpfs and FFS answer differently", i, op);
    }
    let t = snapshot(&p, "/t");
    let f = snapshot(&p, "/mnt");
    compare(&t, &f)?;
    p.unmount(b"/mnt", 0).unwrap();
    assert_fsck_clean(dev.clone() as Dev, &format!("{cfg:?} after {ops:?}"));
    mount_ro(&p).unwrap();
    compare(&t, &snapshot(&p, "/mnt"))?;
    p.unmount(b"/mnt", 0).unwrap();
    Ok(())
}

fn compare(
    t: &std::collections::BTreeMap<String, Node>,
    f: &std::collections::BTreeMap<String, Node>,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(t.keys().collect::<Vec<_>>(), f.keys().collect::<Vec<_>>());
    for (k, a) in t {
        let mut b = f[k].clone();
        if k.is_empty() {
            // The roots differ by nature (tmpfs 01777, FFS 0755).
            b.mode = a.mode;
        }
        prop_assert!(
            a == &b,
            "{}: tmpfs {:?} FFS {:?}",
            k,
            (a.kind, a.size, a.mode, a.nlink),
            (b.kind, b.size, b.mode, b.nlink)
        );
    }
    Ok(())
}

proptest! {
    // 64 cases per configuration (PROPTEST_CASES for more).
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64),
        max_shrink_iters: 2000,
        // The seeds of past failures beside this file (proptest's default would look for them in a
        // proptest-regressions/ folder beside tests/ffs/, the folder holding main.rs).
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn ufs1_le_small_blocks(ops in prop::collection::vec(op(), 1..40)) {
        run(CFGS[0], &ops)?;
    }

    #[test]
    fn ufs2_be_large_blocks(ops in prop::collection::vec(op(), 1..40)) {
        run(CFGS[1], &ops)?;
    }

    #[test]
    fn ufs2_le(ops in prop::collection::vec(op(), 1..40)) {
        run(CFGS[2], &ops)?;
    }

    #[test]
    fn ufs1_be_large_blocks(ops in prop::collection::vec(op(), 1..40)) {
        run(CFGS[3], &ops)?;
    }

    #[test]
    fn ufs2_le_64k_blocks_4_frags(ops in prop::collection::vec(op(), 1..40)) {
        run(CFGS[4], &ops)?;
    }

    #[test]
    fn ufs1_be_2_frags(ops in prop::collection::vec(op(), 1..40)) {
        run(CFGS[5], &ops)?;
    }
}

/// Found by the proptest: a file shrunk to a size inside a hole, then written at its start. The block
/// holding the new last byte must be allocated by the truncate (as ffs_truncate does), or the write
/// gives that last block too few fragments for its size.
#[test]
fn shrink_into_a_hole_then_write() {
    for cfg in CFGS {
        let ops = [
            Op::Write { path: vec![1], off: 10, len: 1, seed: 0 },
            Op::Truncate { path: vec![1], len: 4 },
            Op::Write { path: vec![1], off: 0, len: 1, seed: 0 },
            Op::Write { path: vec![0], off: 0, len: 0, seed: 0 },
        ];
        run(cfg, &ops).unwrap();
    }
}
