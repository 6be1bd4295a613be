//! fsck for FFS: every committed fixture is clean; damaged copies are detected by `-n` (which writes
//! nothing) and repaired by `-y` so that a second `-n` finds nothing and the driver reads every
//! surviving file.

use crate::common::fixtures::*;
use kernel::dev::{Dev, MemDevice};
use kernel::fs::ffs::fsck::{fsck, FsckOptions, FsckReport, Repair};
use std::sync::Arc;

const FIXTURES: &[&str] = &[
    "ufs1-le-4096-512",
    "ufs1-le-8192-1024",
    "ufs1-le-16384-2048",
    "ufs1-le-32768-4096",
    "ufs1-le-65536-8192",
    "ufs1-be-4096-512",
    "ufs1-be-8192-1024",
    "ufs1-be-16384-2048",
    "ufs1-be-32768-4096",
    "ufs1-be-65536-8192",
    "ufs2-le-4096-512",
    "ufs2-le-8192-1024",
    "ufs2-le-16384-2048",
    "ufs2-le-32768-4096",
    "ufs2-le-65536-8192",
    "ufs2-be-4096-512",
    "ufs2-be-8192-1024",
    "ufs2-be-16384-2048",
    "ufs2-be-32768-4096",
    "ufs2-be-65536-8192",
    "ufs1-42-le",
    "ufs1-42-be",
    "t_ro",
];

/// Runs fsck on `data` (a read-only device for -n); returns the report and the output.
pub fn run(data: &[u8], repair: Repair, partition: Option<&str>) -> (FsckReport, Vec<String>, Vec<u8>) {
    let dev = Arc::new(MemDevice::new(data.to_vec(), repair == Repair::No));
    let d: Dev = dev.clone();
    let mut out = Vec::new();
    let opts = FsckOptions { repair, partition: partition.map(String::from), ..Default::default() };
    let r =
        fsck(&d, &opts, &kernel::hyper::DeterministicHypervisor::default_for_tests(), &mut |l| out.push(l.to_string()))
            .unwrap();
    (r, out, dev.contents())
}

fn inodes_in(manifest_name: &str) -> u64 {
    // Every inode the manifest names, hard links counted once.
    let m = manifest(manifest_name);
    let inodes: f64 = m.iter().map(|e| if e.kind == "file" { 1.0 / e.nlink as f64 } else { 1.0 }).sum();
    inodes.round() as u64
}

#[test]
fn every_fixture_is_clean() {
    for name in FIXTURES {
        let data = gunzip(&format!("{name}.img.gz"));
        let (r, out, after) = run(&data, Repair::No, None);
        assert!(after == data, "{name}: -n changed the image");
        assert_eq!((r.exit_code, r.problems.len()), (0, 0), "{name}:\n{}", out.join("\n"));
        assert!(r.summary.contains(" files, "), "{name}: {}", r.summary);
        if fixtures().join(format!("{name}.manifest.gz")).exists() {
            assert_eq!(r.files, inodes_in(name), "{name}: {}", r.summary);
        }
    }
}

#[test]
fn partitioned_disks_are_found_and_clean() {
    for (disk, part, manifest_name) in [
        ("disk-mbr-label", Some("a"), Some("disk-a")),
        ("disk-mbr-label", Some("e"), Some("disk-e")),
        ("disk-mbr", None, None),
        ("disk-gpt", None, None),
        ("disk-label", None, None),
    ] {
        let data = gunzip(&format!("{disk}.img.gz"));
        let (r, out, after) = run(&data, Repair::No, part);
        assert!(after == data, "{disk}: -n changed the image");
        assert_eq!((r.exit_code, r.problems.len()), (0, 0), "{disk} {part:?}:\n{}", out.join("\n"));
        assert!(
            out.iter().any(|l| l.starts_with("** ") && l.contains("partition")
                || l.contains("MBR")
                || l.contains("GPT")
                || l.contains("disklabel")),
            "{disk}: {out:?}"
        );
        if let Some(m) = manifest_name {
            assert_eq!(r.files, inodes_in(m), "{disk} {part:?}: {}", r.summary);
        }
    }
    // Two file systems and no choice: fsck says which there are and fails.
    let data = gunzip("disk-mbr-label.img.gz");
    let (r, out, _) = run(&data, Repair::No, None);
    assert_eq!(r.exit_code, 8, "{out:?}");
    assert!(out.iter().any(|l| l.contains("several file systems")), "{out:?}");
}

// ---- damaged images ----

use kernel::fs::ffs::dir::{DirFormat, Entries};
use std::collections::BTreeMap;

fn sha(d: &[u8]) -> u64 {
    fnv(d)
}

fn fmt(img: &Img) -> DirFormat {
    DirFormat { order: img.sb.order, dtype: img.sb.maxsymlinklen > 0 }
}

/// Byte offset of the entry `name` in directory `dir` and of the entry before it in its chunk.
fn find_entry(img: &Img, dir: u64, name: &[u8]) -> (usize, Option<usize>) {
    let d = img.inode(dir);
    let bs = img.sb.bsize as u64;
    for lbn in 0..d.size.div_ceil(bs).min(12) {
        let base = img.at(d.db[lbn as usize]);
        let len = (d.size - lbn * bs).min(bs) as usize;
        let blk = &img.data[base..base + len];
        let mut prev: Option<usize> = None;
        for e in Entries::new(blk, 0, fmt(img), img.sb.ninodes()) {
            let e = e.unwrap();
            if e.off % 512 == 0 {
                prev = None;
            }
            if e.ino != 0 && e.name == name {
                return (base + e.off, prev.map(|p| base + p));
            }
            prev = Some(e.off);
        }
    }
    panic!("{} not in directory {dir}", String::from_utf8_lossy(name));
}

fn set_entry_ino(img: &mut Img, at: usize, ino: u32) {
    let o = img.sb.order;
    o.put_u32(&mut img.data, at, ino);
}

/// Removes an entry by giving its space to the entry before it (or zeroing its inode number).
fn remove_entry(img: &mut Img, dir: u64, name: &[u8]) {
    let (at, prev) = find_entry(img, dir, name);
    let o = img.sb.order;
    match prev {
        Some(p) => {
            let merged = o.u16(&img.data, p + 4) + o.u16(&img.data, at + 4);
            o.put_u16(&mut img.data, p + 4, merged);
        }
        None => o.put_u32(&mut img.data, at, 0),
    }
}

/// Byte offset of the first cylinder group header and fields of the superblock.
fn cg_off(img: &Img, c: u32) -> usize {
    img.at(img.sb.cgtod(c))
}

struct Case {
    name: &'static str,
    /// What `-n` must say (a part of a problem's message or question).
    says: &'static [&'static str],
    /// What `-y` must say besides.
    fixes: &'static [&'static str],
    /// Whether `-p` mends it by itself (as fsck_ffs's preen does) rather than stopping with
    /// "UNEXPECTED INCONSISTENCY; RUN fsck_ffs MANUALLY."
    preen_mends: bool,
    damage: fn(&mut Img) -> Expect,
}

/// What the repaired tree holds compared with the manifest.
#[derive(Default)]
struct Expect {
    /// Manifest paths that are gone after the repair.
    gone: Vec<String>,
    /// Manifest path prefixes found under lost+found/<#NNN> after the repair (the old path of the
    /// reconnected file or directory).
    reconnected: Vec<String>,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "wrong link count",
            says: &["LINK COUNT FILE", "COUNT 3 SHOULD BE 1", "ADJUST"],
            fixes: &[],
            preen_mends: true,
            damage: |img| {
                let ino = img.ino("hello.txt");
                let mut d = img.inode(ino);
                d.nlink = 3;
                img.put_inode(ino, &d);
                Expect::default()
            },
        },
        Case {
            name: "a link count too low",
            says: &["LINK COUNT FILE", "COUNT 2 SHOULD BE 3", "ADJUST"],
            fixes: &[],
            preen_mends: false,
            damage: |img| {
                let ino = img.ino("hard/a");
                let mut d = img.inode(ino);
                assert_eq!(d.nlink, 3);
                d.nlink = 2;
                img.put_inode(ino, &d);
                Expect::default()
            },
        },
        Case {
            name: "a block claimed twice",
            says: &["DUP I=", "Phase 1b", "DUP/BAD", "REMOVE"],
            fixes: &["BAD/DUP FILE", "CLEAR? yes"],
            preen_mends: false,
            damage: |img| {
                let a = img.ino("sizes/s1");
                let b = img.ino("hello.txt");
                let da = img.inode(a);
                let mut db = img.inode(b);
                db.db[0] = da.db[0];
                img.put_inode(b, &db);
                Expect { gone: vec!["sizes/s1".into(), "hello.txt".into()], ..Default::default() }
            },
        },
        Case {
            name: "a bitmap bit flipped",
            says: &["BLK(S) MISSING IN BIT MAPS"],
            fixes: &[],
            preen_mends: true,
            damage: |img| {
                let ino = img.ino("hello.txt");
                let frag = img.inode(ino).db[0];
                let c = (frag / img.sb.fpg as u64) as u32;
                let cg = cg_off(img, c);
                let freeoff = img.sb.order.u32(&img.data, cg + 96) as usize;
                let bit = (frag % img.sb.fpg as u64) as usize;
                img.data[cg + freeoff + bit / 8] ^= 1 << (bit % 8);
                Expect::default()
            },
        },
        Case {
            name: "cg summary off by one",
            says: &["SUMMARY INFORMATION BAD"],
            fixes: &[],
            preen_mends: true,
            damage: |img| {
                let cg = cg_off(img, 1);
                let o = img.sb.order;
                let v = o.u32(&img.data, cg + 36);
                o.put_u32(&mut img.data, cg + 36, v + 1);
                Expect::default()
            },
        },
        Case {
            name: "cstotal wrong",
            says: &["FREE BLK COUNT(S) WRONG IN SUPERBLK"],
            fixes: &[],
            preen_mends: true,
            damage: |img| {
                let o = img.sb.order;
                let sb = img.sb.sblockloc as usize;
                if img.sb.has_new_layout() {
                    let v = o.u64(&img.data, sb + 1016);
                    o.put_u64(&mut img.data, sb + 1016, v + 1);
                }
                if img.sb.ufs == kernel::fs::ffs::superblock::Ufs::Ufs1 {
                    let v = o.u32(&img.data, sb + 196);
                    o.put_u32(&mut img.data, sb + 196, v + 1);
                }
                Expect::default()
            },
        },
        Case {
            name: "an unreferenced inode",
            says: &["UNREF FILE", "RECONNECT"],
            fixes: &["NO lost+found DIRECTORY", "CREATE? yes", "RECONNECT? yes"],
            preen_mends: true,
            damage: |img| {
                remove_entry(img, 2, b"hello.txt");
                Expect { reconnected: vec!["hello.txt".into()], ..Default::default() }
            },
        },
        Case {
            name: "an entry naming a free inode",
            says: &["UNALLOCATED", "REMOVE"],
            fixes: &["UNREF FILE", "RECONNECT? yes"],
            preen_mends: false,
            damage: |img| {
                let (at, _) = find_entry(img, 2, b"empty");
                let free = (img.sb.ninodes() - 1) as u32;
                assert_eq!(img.inode(free as u64).mode, 0, "inode {free} is free");
                set_entry_ino(img, at, free);
                Expect { gone: vec!["empty".into()], reconnected: vec!["empty".into()] }
            },
        },
        Case {
            name: "a directory with a bad '..'",
            says: &["BAD INODE NUMBER FOR '..'", "FIX"],
            fixes: &[],
            preen_mends: false,
            damage: |img| {
                let sizes = img.ino("sizes");
                let links = img.ino("links");
                let (at, _) = find_entry(img, sizes, b"..");
                set_entry_ino(img, at, links as u32);
                Expect::default()
            },
        },
        Case {
            name: "an orphaned directory",
            says: &["UNREF DIR", "RECONNECT"],
            fixes: &["CONNECTED. PARENT WAS I=2", "LINK COUNT DIR", "ADJUST? yes"],
            preen_mends: true,
            damage: |img| {
                remove_entry(img, 2, b"deep");
                Expect { gone: vec![], reconnected: vec!["deep".into()] }
            },
        },
    ]
}

/// Mounts `data` and checks every regular file of the manifest that should still be there (at its
/// path, or under lost+found when reconnected), and that the removed ones are gone.
fn check_survivors(name: &str, data: Vec<u8>, want: &Expect) {
    let m = manifest(name);
    let dev: Dev = Arc::new(MemDevice::new(data, true));
    let (_k, p, _h) = mount(dev, &[]).unwrap();
    // lost+found entries, by the inode they name.
    let mut lf: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    if let Ok(v) = p.readdir_path(b"/ffs/lost+found") {
        for e in v {
            if e.name != b"." && e.name != b".." {
                let st = p.lstat(&[b"/ffs/lost+found/".as_slice(), &e.name].concat()).unwrap();
                lf.insert(st.ino, e.name);
            }
        }
    }
    assert_eq!(lf.len(), want.reconnected.len(), "{name}: lost+found holds {lf:?}");
    let mut checked = 0;
    for e in &m {
        let path = String::from_utf8_lossy(&e.path).into_owned();
        if e.kind != "file" || want.gone.contains(&path) && !want.reconnected.contains(&path) {
            if want.gone.contains(&path) {
                assert!(p.lstat(format!("/ffs/{path}").as_bytes()).is_err(), "{name}: {path} still there");
            }
            continue;
        }
        let full = match want.reconnected.iter().find(|r| path == **r || path.starts_with(&format!("{r}/"))) {
            Some(r) => {
                // Reconnected: under lost+found, named by inode number.
                let (ino_name, _) = lf.iter().next().map(|(i, n)| (n.clone(), *i)).unwrap();
                let rest = &path[r.len()..];
                format!("/ffs/lost+found/{}{rest}", String::from_utf8_lossy(&ino_name))
            }
            None => format!("/ffs/{path}"),
        };
        let data = read_all(&p, full.as_bytes()).unwrap_or_else(|err| panic!("{name}: {full}: {err:?}"));
        assert_eq!(data.len() as u64, e.size, "{name}: {full}");
        match e.content.as_deref() {
            Some(c) if c.starts_with("gen:") => {
                assert!(data == content(c[4..].parse().unwrap(), e.size), "{name}: {full} contents")
            }
            Some(h) => assert_eq!(format!("{:016x}", fnv(&data)), h, "{name}: {full} contents"),
            None => {}
        }
        checked += 1;
    }
    assert!(checked > 10, "{name}: only {checked} files checked");
}

fn damage_and_repair(fixture: &str, case: &Case) {
    let mut img = Img::fixture(fixture);
    let want = (case.damage)(&mut img);
    let damaged = img.data.clone();
    let before = sha(&damaged);
    let (r, out, after) = run(&damaged, Repair::No, None);
    let ctx = format!("{fixture}: {}:\n{}", case.name, out.join("\n"));
    assert_eq!(sha(&after), before, "{ctx}\n-n changed the image");
    assert_eq!(r.exit_code, 2, "{ctx}\n-n leaves what it found unresolved: exit 2 (FSCK_EXIT_UNRESOLVED)");
    assert!(!r.problems.is_empty(), "{ctx}");
    let all = out.join("\n");
    for s in case.says {
        assert!(all.contains(s), "{ctx}\nmissing {s:?}");
    }
    // -y repairs; a second -n finds nothing.
    let (r, out, fixed) = run(&damaged, Repair::Yes, None);
    let ctx = format!("{fixture}: {}: -y:\n{}", case.name, out.join("\n"));
    assert_eq!(r.exit_code, 0, "{ctx}");
    assert!(r.modified && r.problems_fixed() == r.problems_found(), "{ctx}");
    let all = out.join("\n");
    for s in case.fixes {
        assert!(all.contains(s), "{ctx}\nmissing {s:?}");
    }
    let (r2, out2, _) = run(&fixed, Repair::No, None);
    assert_eq!((r2.exit_code, r2.problems.len()), (0, 0), "{ctx}\nsecond -n:\n{}", out2.join("\n"));
    check_survivors(fixture, fixed, &want);
}

#[test]
fn damage_detected_and_repaired_ufs2_le() {
    for c in cases() {
        damage_and_repair("ufs2-le-8192-1024", &c);
    }
}

#[test]
fn damage_detected_and_repaired_ufs1_be() {
    for c in cases() {
        damage_and_repair("ufs1-be-4096-512", &c);
    }
}

#[test]
fn damage_detected_and_repaired_ufs2_be_and_old_format() {
    for c in cases() {
        damage_and_repair("ufs2-be-16384-2048", &c);
    }
    for c in cases().iter().filter(|c| c.name != "an orphaned directory") {
        damage_and_repair("ufs1-42-le", c);
    }
}

// ---- preen ----

use kernel::fs::ffs::fsck::PREEN_UNEXPECTED;

/// Runs `fsck -p` (with `-f`: `force`) on a writable copy of `data`.
fn run_preen(data: &[u8], force: bool) -> (FsckReport, Vec<String>, Vec<u8>) {
    let dev = Arc::new(MemDevice::new(data.to_vec(), false));
    let d: Dev = dev.clone();
    let mut out = Vec::new();
    let opts = FsckOptions { preen: true, force, ..Default::default() };
    let r =
        fsck(&d, &opts, &kernel::hyper::DeterministicHypervisor::default_for_tests(), &mut |l| out.push(l.to_string()))
            .unwrap();
    (r, out, dev.contents())
}

/// Clears fs_clean, as a crash leaves it: preen checks only such file systems.
fn mark_unclean(img: &mut Img) {
    let sb = img.sb.sblockloc as usize;
    img.data[sb + 209] = 0;
}

/// Preen stops at what fsck_ffs's preen does not mend by itself: "UNEXPECTED INCONSISTENCY; RUN
/// fsck_ffs MANUALLY.", exit 8, and not one byte of the image changed.
fn assert_preen_stops(ctx: &str, damaged: &[u8]) {
    let (r, out, after) = run_preen(damaged, false);
    let ctx = format!("{ctx}: -p:\n{}", out.join("\n"));
    assert_eq!(r.exit_code, 8, "{ctx}\nexit 8 (FSCK_EXIT_CHECK_FAILED)");
    assert_eq!(out.last().map(String::as_str), Some(PREEN_UNEXPECTED), "{ctx}");
    assert_eq!(r.fatal.as_deref(), Some(PREEN_UNEXPECTED), "{ctx}");
    assert!(!r.modified && !r.marked_clean, "{ctx}");
    assert!(after == damaged, "{ctx}\n-p changed the image");
    assert!(r.problems.last().is_some_and(|p| !p.fixed), "{ctx}: {:?}", r.problems);
}

#[test]
fn preen_stops_at_duplicate_blocks_and_writes_nothing() {
    for fixture in ["ufs2-le-8192-1024", "ufs1-be-4096-512"] {
        let mut img = Img::fixture(fixture);
        // Two files share a block, and there are safe problems too (which -p would mend were it to go
        // on): none of them may be written.
        let a = img.ino("sizes/s1");
        let b = img.ino("hello.txt");
        let da = img.inode(a);
        let mut db = img.inode(b);
        db.db[0] = da.db[0];
        img.put_inode(b, &db);
        let cg = cg_off(&img, 1);
        let o = img.sb.order;
        let v = o.u32(&img.data, cg + 36);
        o.put_u32(&mut img.data, cg + 36, v + 1);
        mark_unclean(&mut img);
        assert_preen_stops(fixture, &img.data);
        let (_, out, _) = run_preen(&img.data, false);
        // The second claimer in inode order is the one phase 1 finds.
        let dup = format!("{} DUP I={}", da.db[0], a.max(b));
        assert_eq!(out.first(), Some(&dup), "{fixture}: {out:?}");
        // -f changes nothing: a clean flag is no reason to go on.
        let (r, _, after) = run_preen(&img.data, true);
        assert_eq!(r.exit_code, 8);
        assert!(after == img.data, "{fixture}: -p -f wrote");
        // Run by hand (-y), fsck clears both files as before.
        let (r, out, _) = run(&img.data, Repair::Yes, None);
        assert_eq!(r.exit_code, 0, "{fixture}:\n{}", out.join("\n"));
    }
}

#[test]
fn preen_mends_safe_problems_and_marks_clean() {
    for fixture in ["ufs2-le-8192-1024", "ufs1-be-4096-512", "ufs2-be-16384-2048", "ufs1-42-le"] {
        let mut img = Img::fixture(fixture);
        let o = img.sb.order;
        // A cylinder group's free-block count, fs_cstotal, a bit of the free map, a link count too
        // high, and the clean flag off.
        let cg = cg_off(&img, 1);
        let v = o.u32(&img.data, cg + 36);
        o.put_u32(&mut img.data, cg + 36, v + 1);
        let sb = img.sb.sblockloc as usize;
        if img.sb.has_new_layout() {
            let v = o.u64(&img.data, sb + 1016);
            o.put_u64(&mut img.data, sb + 1016, v + 1);
        }
        if img.sb.ufs == kernel::fs::ffs::superblock::Ufs::Ufs1 {
            let v = o.u32(&img.data, sb + 196);
            o.put_u32(&mut img.data, sb + 196, v + 1);
        }
        let ino = img.ino("hello.txt");
        let frag = img.inode(ino).db[0];
        let c = (frag / img.sb.fpg as u64) as u32;
        let cgc = cg_off(&img, c);
        let freeoff = o.u32(&img.data, cgc + 96) as usize;
        let bit = (frag % img.sb.fpg as u64) as usize;
        img.data[cgc + freeoff + bit / 8] ^= 1 << (bit % 8);
        let mut d = img.inode(ino);
        d.nlink = 3;
        img.put_inode(ino, &d);
        mark_unclean(&mut img);
        let (r, out, fixed) = run_preen(&img.data, false);
        let ctx = format!("{fixture}: -p:\n{}", out.join("\n"));
        assert_eq!(r.exit_code, 0, "{ctx}");
        assert!(r.fatal.is_none() && r.modified && r.marked_clean, "{ctx}");
        assert!(r.problems_found() >= 4 && r.problems_fixed() == r.problems_found(), "{ctx}");
        let all = out.join("\n");
        for s in [
            "SUMMARY INFORMATION BAD (SALVAGED)",
            "FREE BLK COUNT(S) WRONG IN SUPERBLK (SALVAGED)",
            "BLK(S) MISSING IN BIT MAPS (SALVAGED)",
            "COUNT 3 SHOULD BE 1 (ADJUSTED)",
            "MARKING FILE SYSTEM CLEAN",
        ] {
            assert!(all.contains(s), "{ctx}\nmissing {s:?}");
        }
        assert!(!all.contains('?'), "{ctx}\npreen asks nothing");
        let (r2, out2, _) = run(&fixed, Repair::No, None);
        assert_eq!((r2.exit_code, r2.problems.len()), (0, 0), "{ctx}\n-n after:\n{}", out2.join("\n"));
        // Marked clean: the next preen skips it.
        let (r3, out3, again) = run_preen(&fixed, false);
        assert!(r3.skipped && r3.exit_code == 0 && again == fixed, "{fixture}: {out3:?}");
        check_survivors(fixture, fixed, &Expect::default());
    }
}

/// Every damage of `cases()`: -p either mends it as -y does (exit 0, a -n after finds nothing, the
/// files are where -y leaves them) or stops at it, writing nothing — as fsck_ffs's preen would.
fn preen_case(fixture: &str, case: &Case) {
    let mut img = Img::fixture(fixture);
    let want = (case.damage)(&mut img);
    mark_unclean(&mut img);
    let ctx = format!("{fixture}: {}", case.name);
    if !case.preen_mends {
        assert_preen_stops(&ctx, &img.data);
        return;
    }
    let (r, out, fixed) = run_preen(&img.data, false);
    let ctx = format!("{ctx}: -p:\n{}", out.join("\n"));
    assert_eq!(r.exit_code, 0, "{ctx}");
    assert!(r.fatal.is_none() && r.modified && r.problems_fixed() == r.problems_found(), "{ctx}");
    assert!(!out.join("\n").contains('?'), "{ctx}\npreen asks nothing");
    let (r2, out2, _) = run(&fixed, Repair::No, None);
    assert_eq!((r2.exit_code, r2.problems.len()), (0, 0), "{ctx}\n-n after:\n{}", out2.join("\n"));
    check_survivors(fixture, fixed, &want);
}

#[test]
fn preen_mends_only_what_fsck_ffs_preen_mends() {
    for fixture in ["ufs2-le-8192-1024", "ufs1-be-4096-512"] {
        for c in cases() {
            preen_case(fixture, &c);
        }
    }
}

/// Random damage to the metadata (superblock, cylinder groups, inodes, directories): fsck never panics,
/// -n never writes, and -y run twice leaves an image a third run finds clean.
#[test]
fn random_metadata_damage_never_panics() {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut clean_after_two = 0;
    let mut trials = 0;
    for name in ["ufs2-le-4096-512", "ufs1-be-8192-1024"] {
        let img = Img::fixture(name);
        // Metadata areas: the first cylinder group's header, maps and inodes, and the root directory.
        let cg0 = img.at(img.sb.cgtod(0));
        let ino0 = img.at(img.sb.ino_to_fsba(0).0);
        let root = img.at(img.inode(2).db[0]);
        let areas = [(cg0, img.sb.cgsize as usize), (ino0, 64 * img.sb.ufs.dinode_size() as usize), (root, 512)];
        for t in 0..25 {
            let mut data = img.data.clone();
            for _ in 0..1 + next() % 8 {
                let (base, len) = areas[(next() % areas.len() as u64) as usize];
                let at = base + (next() % len as u64) as usize;
                data[at] ^= 1 << (next() % 8);
            }
            let before = sha(&data);
            let (_r, _out, after) = run(&data, Repair::No, None);
            assert_eq!(sha(&after), before, "{name} trial {t}: -n wrote");
            let (_r1, _o1, d1) = run(&data, Repair::Yes, None);
            let (_r2, _o2, d2) = run(&d1, Repair::Yes, None);
            let (r3, _o3, _) = run(&d2, Repair::No, None);
            trials += 1;
            if r3.exit_code == 0 && r3.problems.is_empty() {
                clean_after_two += 1;
            }
        }
    }
    assert!(clean_after_two * 10 >= trials * 9, "only {clean_after_two} of {trials} clean after two -y runs");
}

/// A journal (WAPBL) not yet replayed: -n checks the file system as the journal says it is and writes
/// nothing; -y writes the journal's blocks to their places and turns the log off (as fsck_ffs does), so
/// the next run and the driver see the journaled contents without it.
#[test]
fn journal_replayed_by_y() {
    use kernel::fs::ffs::wapbl::build_log;
    const LOG_BYTES: usize = 64 * 1024;
    for name in ["ufs2-le-8192-1024", "ufs2-be-16384-2048"] {
        let mut img = Img::fixture(name);
        let ino = img.ino("hello.txt");
        let data_at = img.at(img.inode(ino).db[0]);
        let inode_at = img.inode_off(ino);
        let log_at = img.data.len();
        img.data.resize(log_at + LOG_BYTES, 0);
        let o = img.sb.order;
        let sb = img.sb.sblockloc as usize;
        let flags = o.u32(&img.data, sb + 1312);
        o.put_u32(&mut img.data, sb + 1312, flags | 0x100);
        img.data[sb + 864] = 1;
        img.data[sb + 865] = 1;
        for (i, v) in [(log_at / 512) as u64, (LOG_BYTES / 512) as u64, 512, 0].into_iter().enumerate() {
            o.put_u64(&mut img.data, sb + 872 + 8 * i, v);
        }
        let mut data = vec![0u8; 512];
        data[..16].copy_from_slice(b"journal says hi\n");
        let isec = inode_at / 512 * 512;
        let mut inode_sector = img.data[isec..isec + 512].to_vec();
        let mut d = img.inode(ino);
        d.size = 16;
        let (order, ufs) = (img.sb.order, img.sb.ufs);
        let rel = inode_at - isec;
        d.encode(&mut inode_sector[rel..rel + ufs.dinode_size() as usize], order, ufs, false);
        let be = order == kernel::fs::ffs::endian::ByteOrder::Big;
        let log = build_log(512, LOG_BYTES, &[(data_at as u64, data), (isec as u64, inode_sector)], &[], be, 0);
        img.data[log_at..].copy_from_slice(&log);
        // Preen leaves a journaled file system to the kernel's replay at mount (unless forced).
        let (r, out, after) = run_preen(&img.data, false);
        assert!(r.skipped && r.exit_code == 0 && after == img.data, "{name}: -p: {out:?}");
        assert!(out.iter().any(|l| l.contains("journaled; not checking")), "{out:?}");
        let (r, out, after) = run(&img.data, Repair::No, None);
        assert!(after == img.data, "{name}: -n wrote");
        assert_eq!((r.exit_code, r.problems.len()), (0, 0), "{name}:\n{}", out.join("\n"));
        assert!(out.iter().any(|l| l.contains("journaled")), "{out:?}");
        let (r, out, fixed) = run(&img.data, Repair::Yes, None);
        assert_eq!(r.exit_code, 0, "{name}:\n{}", out.join("\n"));
        assert_eq!(&fixed[data_at..data_at + 16], b"journal says hi\n", "{name}: the journal's block is in place");
        assert_eq!(o.u32(&fixed, sb + 1312) & 0x100, 0, "{name}: the log is off");
        let (r2, out2, _) = run(&fixed, Repair::No, None);
        assert_eq!((r2.exit_code, r2.problems.len()), (0, 0), "{name}:\n{}", out2.join("\n"));
        assert!(!out2.iter().any(|l| l.contains("journaled")), "{out2:?}");
        let (_k, p, _h) = mount(Arc::new(MemDevice::new(fixed, true)), &[]).unwrap();
        assert_eq!(read_all(&p, b"/ffs/hello.txt").unwrap(), b"journal says hi\n", "{name}");
    }
}
