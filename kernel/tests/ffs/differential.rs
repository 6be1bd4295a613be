//! Differential test: random trees are turned into images by Debian's makefs at test time, in both byte
//! orders, UFS1 and UFS2, several geometries; each image is mounted and every path compared with the
//! source tree on the host (type, mode, owner, size, mtime, link count, link target, contents; device
//! nodes and fifos with the mtree spec that made them), and with The Sleuth Kit (`fls -r -p -l`, `icat`)
//! wherever TSK reads the image (UFS1; it cannot find makefs's UFS2 superblock at 8192).
//!
//! Needs `makefs` (and `fls`/`icat` for the TSK part) on PATH; prints "skipped: makefs not installed"
//! otherwise. CI installs both.

use crate::common::fresh::skip;

use crate::common::fixtures::*;
use kernel::dev::{Dev, FileDevice};
use kernel::vfs::*;
use kernel::Proc;
use std::collections::BTreeSet;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("-V").output().is_ok()
}

fn name(r: &mut Rng, i: usize) -> String {
    const PARTS: &[&str] =
        &["a", "file", "Data", "x_y", "\u{e9}t\u{e9}", "\u{65e5}\u{672c}", "sp ace", "-", "..x", "\u{1f600}"];
    match r.below(20) {
        0 => format!("{}{}", "L".repeat(240), i % 10000),
        _ => {
            let mut s = String::new();
            for _ in 0..1 + r.below(3) {
                s.push_str(PARTS[r.below(PARTS.len() as u64) as usize]);
            }
            format!("{s}{i}")
        }
    }
}

/// Device nodes and fifos, made by makefs from the spec: (path, type, mode, uid, gid, major, minor).
type Special = (String, VType, u32, u32, u32, u32, u32);

/// Builds a random tree under `root`; returns the spec lines for its special files.
fn build_tree(root: &Path, seed: u64, scale: usize) -> (String, Vec<Special>) {
    let mut r = Rng(seed);
    std::fs::create_dir_all(root).unwrap();
    let mut dirs = vec![root.to_path_buf()];
    let mut files: Vec<PathBuf> = Vec::new();
    let mut n = 0usize;
    let t0 = 1_300_000_000u64;
    for _ in 0..scale / 10 {
        let parent = dirs[r.below(dirs.len() as u64) as usize].clone();
        let d = parent.join(name(&mut r, n));
        n += 1;
        if d.components().count() > root.components().count() + 8 {
            continue;
        }
        std::fs::create_dir(&d).unwrap();
        dirs.push(d);
    }
    for _ in 0..scale {
        let parent = dirs[r.below(dirs.len() as u64) as usize].clone();
        let p = parent.join(name(&mut r, n));
        n += 1;
        let size = match r.below(10) {
            0..=3 => r.below(700),
            4..=6 => r.below(20_000),
            7..=8 => r.below(300_000),
            _ => r.below(2_500_000),
        } as usize;
        let mut data = vec![0u8; size];
        let kind = r.below(3);
        for (i, b) in data.iter_mut().enumerate() {
            *b = match kind {
                0 => (i * 7 + n) as u8,
                1 => b"0123456789abcdef\n"[i % 17],
                _ => (r.next() >> 56) as u8,
            };
        }
        std::fs::write(&p, &data).unwrap();
        let mode = [0o644, 0o600, 0o755, 0o4755, 0o2750, 0o444, 0o000, 0o1777][r.below(8) as usize];
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        let _ = std::os::unix::fs::chown(&p, Some(r.below(70_000) as u32), Some(r.below(70_000) as u32));
        let f = std::fs::File::options().write(true).open(&p);
        if let Ok(f) = f {
            let _ = f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(t0 + r.below(300_000_000)));
        }
        files.push(p);
    }
    // A large directory.
    let big = root.join("big");
    std::fs::create_dir(&big).unwrap();
    for i in 0..scale * 3 {
        std::fs::write(big.join(format!("entry-{i:06}-{}", "z".repeat(i % 40))), format!("{i}\n")).unwrap();
    }
    // Hard links and symlinks.
    for i in 0..scale / 20 {
        let src = &files[r.below(files.len() as u64) as usize];
        let parent = dirs[r.below(dirs.len() as u64) as usize].clone();
        let _ = std::fs::hard_link(src, parent.join(format!("hard{i}")));
    }
    for i in 0..scale / 5 {
        let parent = dirs[r.below(dirs.len() as u64) as usize].clone();
        let len = 1 + r.below(if i % 3 == 0 { 400 } else { 130 }) as usize;
        let target: String = (0..len).map(|j| (b'a' + ((j + i) % 26) as u8) as char).collect();
        std::os::unix::fs::symlink(&target, parent.join(format!("sym{i}"))).unwrap();
    }
    // Directory times last, deepest first.
    dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for d in &dirs {
        if let Ok(f) = std::fs::File::open(d) {
            let _ = f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(t0 + r.below(300_000_000)));
        }
    }
    let specials: Vec<Special> = vec![
        ("dev/null".into(), VType::Chr, 0o666, 0, 0, 2, 2),
        ("dev/wd0a".into(), VType::Blk, 0o640, 0, 5, 0, 0),
        ("dev/huge".into(), VType::Chr, 0o600, 7, 8, 4095, 1_048_575),
        ("dev/fifo".into(), VType::Fifo, 0o620, 1000, 1001, 0, 0),
    ];
    let mut spec = String::from(". type=dir\n./dev type=dir mode=0755 uid=0 gid=0 time=1300000000.0\n");
    for (p, t, mode, uid, gid, ma, mi) in &specials {
        let ty = match t {
            VType::Chr => "char",
            VType::Blk => "block",
            _ => "fifo",
        };
        let dev = if *t == VType::Fifo { String::new() } else { format!(" device=netbsd,{ma},{mi}") };
        spec.push_str(&format!("./{p} type={ty} mode=0{mode:o} uid={uid} gid={gid} time=1300000000.0{dev}\n"));
    }
    (spec, specials)
}

/// Compares the mounted image under /ffs with the host tree at `root`. Returns entries compared.
fn compare_with_host(p: &Proc, root: &Path, specials: &[Special]) -> usize {
    let mut count = 0;
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let host = root.join(&rel);
        let img: Vec<u8> = [b"/ffs/".as_slice(), rel.as_os_str().as_encoded_bytes()].concat();
        let what = rel.display().to_string();
        let hm = std::fs::symlink_metadata(&host).unwrap();
        let st = p.lstat(&img).unwrap_or_else(|e| panic!("{what}: {e}"));
        count += 1;
        let ft = hm.file_type();
        let want = if ft.is_dir() {
            VType::Dir
        } else if ft.is_symlink() {
            VType::Lnk
        } else {
            VType::Reg
        };
        assert_eq!(st.vtype(), Some(want), "{what}: type");
        if want != VType::Lnk {
            assert_eq!(st.mode & ALLPERMS, hm.mode() & ALLPERMS, "{what}: mode");
        }
        if !rel.as_os_str().is_empty() {
            assert_eq!((st.uid, st.gid), (hm.uid(), hm.gid()), "{what}: owner");
            assert_eq!(st.mtime, Timespec::new(hm.mtime(), 0), "{what}: mtime (makefs keeps whole seconds)");
        }
        match want {
            VType::Reg => {
                assert_eq!(st.size, hm.len(), "{what}: size");
                assert_eq!(st.nlink, hm.nlink(), "{what}: nlink");
                let ours = read_all(p, &img).unwrap();
                assert!(ours == std::fs::read(&host).unwrap(), "{what}: contents");
            }
            VType::Lnk => {
                let t = std::fs::read_link(&host).unwrap();
                assert_eq!(p.readlink(&img).unwrap(), t.as_os_str().as_encoded_bytes(), "{what}: target");
            }
            _ => {
                let host_names: BTreeSet<Vec<u8>> = std::fs::read_dir(&host)
                    .unwrap()
                    .map(|e| e.unwrap().file_name().as_encoded_bytes().to_vec())
                    .collect();
                let mut ours: BTreeSet<Vec<u8>> = p
                    .readdir_path(&img)
                    .unwrap()
                    .into_iter()
                    .map(|d| d.name)
                    .filter(|n| n != b"." && n != b"..")
                    .collect();
                if rel.as_os_str().is_empty() {
                    ours.remove(b"dev".as_slice());
                }
                assert_eq!(ours, host_names, "{what}: listing");
                for n in host_names {
                    stack.push(rel.join(std::ffi::OsStr::from_bytes(&n)));
                }
            }
        }
    }
    for (path, t, mode, uid, gid, ma, mi) in specials {
        let st = p.lstat(format!("/ffs/{path}").as_bytes()).unwrap();
        assert_eq!(st.vtype(), Some(*t), "{path}");
        assert_eq!((st.mode & ALLPERMS, st.uid, st.gid), (*mode, *uid, *gid), "{path}");
        if *t != VType::Fifo {
            assert_eq!(st.rdev, makedev(*ma, *mi), "{path}: rdev");
        }
        count += 1;
    }
    count
}

/// Seconds since 1970 of "YYYY-MM-DD hh:mm:ss (UTC)".
fn parse_utc(s: &str) -> i64 {
    let s = s.trim_end_matches(" (UTC)");
    let (d, t) = s.split_once(' ').unwrap();
    let v: Vec<i64> = d.split('-').chain(t.split(':')).map(|x| x.parse().unwrap()).collect();
    let (y, m, dd) = (v[0], v[1], v[2]);
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + dd - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86400 + v[3] * 3600 + v[4] * 60 + v[5]
}

/// Compares with The Sleuth Kit: every name fls lists, its inode, type, size, owner and mtime; the
/// contents icat gives for a sample of files and for symlinks stored in blocks.
fn compare_with_tsk(p: &Proc, image: &Path) -> usize {
    let out = Command::new("fls").args(["-r", "-p", "-l", "-z", "UTC"]).arg(image).output().unwrap();
    assert!(out.status.success(), "fls: {}", String::from_utf8_lossy(&out.stderr));
    let mut n = 0;
    let mut icats = 0;
    for line in out.stdout.split(|&c| c == b'\n').filter(|l| !l.is_empty()) {
        let f: Vec<&[u8]> = line.split(|&c| c == b'\t').collect();
        let head = String::from_utf8_lossy(f[0]);
        let (ty, ino) = head.split_once(' ').unwrap();
        if ino.contains('*') || ty.starts_with('V') || f[1].starts_with(b"$OrphanFiles") {
            continue;
        }
        let ino: u64 = ino.trim_end_matches(':').parse().unwrap();
        let path = [b"/ffs/".as_slice(), f[1]].concat();
        let what = String::from_utf8_lossy(f[1]).into_owned();
        let st = p.lstat(&path).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(st.ino, ino, "{what}: inode number");
        let want = match &ty[..1] {
            "r" => VType::Reg,
            "d" => VType::Dir,
            "l" => VType::Lnk,
            "c" => VType::Chr,
            "b" => VType::Blk,
            "p" => VType::Fifo,
            other => panic!("{what}: type {other}"),
        };
        assert_eq!(st.vtype(), Some(want), "{what}: type");
        let num = |i: usize| String::from_utf8_lossy(f[i]).parse::<u64>().unwrap();
        assert_eq!(st.mtime.sec, parse_utc(&String::from_utf8_lossy(f[2])), "{what}: mtime");
        assert_eq!((st.size, st.gid as u64, st.uid as u64), (num(6), num(7), num(8)), "{what}: size/owner");
        n += 1;
        // TSK 4.11's icat reads a fast (in-inode) symlink as a hole: zeros. Slow ones it reads.
        let slow_link = want == VType::Lnk && st.blocks > 0;
        let sample = slow_link || (want == VType::Reg && (n % 7 == 0 || st.size > 100_000));
        if sample && icats < 120 {
            icats += 1;
            let out = Command::new("icat").arg(image).arg(ino.to_string()).output().unwrap();
            assert!(out.status.success(), "icat {ino}");
            let ours = if want == VType::Lnk { p.readlink(&path).unwrap() } else { read_all(p, &path).unwrap() };
            assert!(
                out.stdout == ours,
                "{what}: contents differ from icat: {:?} vs ours {:?}",
                String::from_utf8_lossy(&out.stdout[..out.stdout.len().min(200)]),
                String::from_utf8_lossy(&ours[..ours.len().min(200)])
            );
        }
    }
    n
}

#[test]
fn makefs_images_match_their_source_trees_and_tsk() {
    if !have("makefs") {
        skip::skip("makefs not installed");
        return;
    }
    let tsk = have("fls") && have("icat");
    if !tsk {
        skip::skip("the TSK comparison: sleuthkit (fls, icat) not installed");
    }
    let work = std::env::temp_dir().join(format!("rumpjs-ffs-diff-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let tree = work.join("tree");
    let (spec, specials) = build_tree(&tree, 0x5eed_0001, 400);
    std::fs::write(work.join("spec"), spec).unwrap();
    let configs = [
        (1, "le", 4096, 512),
        (1, "be", 16384, 2048),
        (2, "le", 8192, 1024),
        (2, "be", 65536, 8192),
        (1, "le", 32768, 4096),
        (2, "le", 4096, 4096),
        // 2 and 4 fragments a block (the rest are 8 or 1).
        (1, "be", 8192, 4096),
        (2, "le", 16384, 4096),
        (1, "le", 65536, 16384),
    ];
    let host_kib: u64 = {
        let out = Command::new("du").args(["-sk", "--apparent-size"]).arg(&tree).output().unwrap();
        String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap().parse().unwrap()
    };
    for (ufs, order, bsize, fsize) in configs {
        let image = work.join(format!("ufs{ufs}-{order}-{bsize}-{fsize}.img"));
        let size = (host_kib * 2 + 8192 + bsize / 1024 * 512) * 1024;
        let out = Command::new("makefs")
            .args(["-t", "ffs", "-B", order, "-M", &size.to_string(), "-f", "200", "-F"])
            .arg(work.join("spec"))
            .arg("-o")
            .arg(format!("version={ufs},bsize={bsize},fsize={fsize},maxbpcg={}", size / bsize / 4))
            .arg(&image)
            .arg(&tree)
            .output()
            .unwrap();
        assert!(out.status.success(), "makefs: {}", String::from_utf8_lossy(&out.stderr));
        let dev: Dev = Arc::new(FileDevice::open(&image, true).unwrap());
        let (_k, p, _h) = mount(dev, &[]).unwrap_or_else(|e| panic!("{image:?}: {e}"));
        let n = compare_with_host(&p, &tree, &specials);
        assert!(n > 1000, "{n}");
        if tsk && ufs == 1 {
            let t = compare_with_tsk(&p, &image);
            assert!(t + 10 >= n, "TSK listed {t} of {n}");
        }
        println!(
            "ufs{ufs} {order} {bsize}/{fsize}: {n} entries match the source tree{}",
            if tsk && ufs == 1 { " and TSK" } else { "" }
        );
        std::fs::remove_file(&image).unwrap();
    }
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn utc_parser() {
    assert_eq!(parse_utc("2012-06-01 00:00:00 (UTC)"), 1_338_508_800);
    assert_eq!(parse_utc("1970-01-01 00:00:01 (UTC)"), 1);
}
