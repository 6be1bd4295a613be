//! FFS images made by Debian's makefs (tests/fixtures/make-ffs-fixtures.sh): every geometry, both byte
//! orders, UFS1 and UFS2, the 4.2BSD formats, and whole disks with MBR, GPT and disklabel partitions —
//! each mounted and compared with the manifest of what makefs was given.

use crate::common::fixtures::*;
use kernel::errno::Errno;
use kernel::fs::ffs;
use kernel::vfs::*;

const GEOMS: &[(u32, u32)] = &[(4096, 512), (8192, 1024), (16384, 2048), (32768, 4096), (65536, 8192)];

fn check_image(name: &str, ufs: u32, bsize: u32, fsize: u32) {
    let (_k, p, h) = mount(fixture_dev(name), &[]).unwrap_or_else(|e| panic!("{name}: mount {e}"));
    let n = check_tree(&p, "/ffs", &manifest(name));
    assert!(n > 50, "{name}: {n} entries");
    let sv = p.statvfs(b"/ffs").unwrap();
    assert_eq!(sv.fstypename, "ffs");
    assert_eq!((sv.fs.bsize, sv.fs.frsize, sv.fs.namemax), (bsize as u64, fsize as u64, 255));
    assert!(sv.fs.bfree > 0 && sv.fs.bfree <= sv.fs.blocks && sv.fs.bavail <= sv.fs.bfree, "{name}: {sv:?}");
    assert!(sv.fs.ffree > 0 && sv.fs.ffree < sv.fs.files);
    let line = log_lines(&h, &format!("UFS{ufs}")).join("\n");
    assert!(line.contains(&format!("block size {bsize}, fragment size {fsize}")), "{name}: {line}");
}

#[test]
fn ufs1_little_endian_every_geometry() {
    for &(b, f) in GEOMS {
        check_image(&format!("ufs1-le-{b}-{f}"), 1, b, f);
    }
}

#[test]
fn ufs1_big_endian_every_geometry() {
    for &(b, f) in GEOMS {
        check_image(&format!("ufs1-be-{b}-{f}"), 1, b, f);
    }
}

#[test]
fn ufs2_little_endian_every_geometry() {
    for &(b, f) in GEOMS {
        check_image(&format!("ufs2-le-{b}-{f}"), 2, b, f);
    }
}

#[test]
fn ufs2_big_endian_every_geometry() {
    for &(b, f) in GEOMS {
        check_image(&format!("ufs2-be-{b}-{f}"), 2, b, f);
    }
}

#[test]
fn old_4_2bsd_formats_both_orders() {
    for order in ["le", "be"] {
        let name = format!("ufs1-42-{order}");
        let (_k, p, _h) = mount(fixture_dev(&name), &[]).unwrap();
        check_tree(&p, "/ffs", &manifest(&name));
        // No d_type on disk: readdir says DT_UNKNOWN.
        let d = p.readdir_path(b"/ffs").unwrap();
        assert!(d.iter().all(|e| e.dtype == DT_UNKNOWN), "{name}");
        let info = ffs::probe_info(&fixture_dev(&name), None).unwrap();
        assert_eq!(info.directory_format, "4.2BSD (without d_type)");
        assert_eq!(info.inode_format, "4.2BSD");
    }
}

#[test]
fn new_format_readdir_reports_types() {
    let (_k, p, _h) = mount(fixture_dev("ufs2-le-8192-1024"), &[]).unwrap();
    let d = p.readdir_path(b"/ffs/dev").unwrap();
    let t = |n: &[u8]| d.iter().find(|e| e.name == n).unwrap().dtype;
    assert_eq!((t(b"null"), t(b"wd0a"), t(b"fifo"), t(b".")), (DT_CHR, DT_BLK, DT_FIFO, DT_DIR));
}

#[test]
fn mbr_with_disklabel_two_ffs_partitions() {
    // Two file systems: found, listed, and refused without a choice.
    let (_k, p, h) = kernel_with(fixture_dev("disk-mbr-label"));
    let e = p.mount("ffs", b"/ffs", MNT_RDONLY, Some("/dev/ffs0"), &ro(&[])).unwrap_err();
    assert_eq!(e, Errno::EINVAL);
    let l = log_lines(&h, "several file systems").join("\n");
    assert!(l.contains("disklabel a") && l.contains("disklabel e"), "{l}");
    for (part, m) in [("a", "disk-a"), ("e", "disk-e")] {
        let (_k, p, _h) = mount(fixture_dev("disk-mbr-label"), &[("partition", part)]).unwrap();
        check_tree(&p, "/ffs", &manifest(m));
    }
    let (_k, p, h) = kernel_with(fixture_dev("disk-mbr-label"));
    assert_eq!(p.mount("ffs", b"/ffs", MNT_RDONLY, Some("/dev/ffs0"), &ro(&[("partition", "f")])), Err(Errno::EINVAL));
    assert!(!log_lines(&h, "partition \"f\" not found").is_empty());
}

#[test]
fn mbr_gpt_and_bare_disklabel_found_without_help() {
    for (disk, m) in [("disk-mbr", "disk-e"), ("disk-gpt", "disk-a"), ("disk-label", "disk-e")] {
        let (_k, p, h) = mount(fixture_dev(disk), &[]).unwrap_or_else(|e| panic!("{disk}: {e}"));
        check_tree(&p, "/ffs", &manifest(m));
        assert!(!log_lines(&h, "using ").is_empty(), "{disk}: partition named in the log");
    }
    // And by number.
    let (_k, p, _h) = mount(fixture_dev("disk-mbr"), &[("partition", "2")]).unwrap();
    assert!(p.stat(b"/ffs/hello.txt").is_ok());
    let (_k, p, _h) = mount(fixture_dev("disk-gpt"), &[("partition", "2")]).unwrap();
    assert!(p.stat(b"/ffs/hello.txt").is_ok());
    // An MBR partition with no file system in it.
    let (_k, p, _h) = kernel_with(fixture_dev("disk-mbr"));
    assert_eq!(p.mount("ffs", b"/ffs", MNT_RDONLY, Some("/dev/ffs0"), &ro(&[("partition", "1")])), Err(Errno::EINVAL));
}

#[test]
fn partition_tables_listed() {
    let t = kernel::dev::part::probe(fixture_dev("disk-mbr-label").as_ref()).unwrap();
    let names: Vec<String> = t.iter().map(|p| format!("{}:{}", p.scheme.name(), p.label())).collect();
    assert_eq!(names, ["MBR:1", "disklabel:a", "disklabel:c", "disklabel:d", "disklabel:e"]);
    assert_eq!(t[1].offset, 63 * 512);
    let g = kernel::dev::part::probe(fixture_dev("disk-gpt").as_ref()).unwrap();
    assert_eq!(g.len(), 2);
    assert!(g[1].ptype.starts_with("49f48d5a-b10e-11dc-b99b-0019d1879648") && g[1].is_ffs);
    assert_eq!(g[1].name, "netbsd-root");
}

#[test]
fn info_reports_what_is_there() {
    let dev = fixture_dev("disk-mbr-label");
    let i = ffs::probe_info(&dev, Some("e")).unwrap();
    assert_eq!((i.fstype, i.version, i.byte_order), ("UFS2", "FFSv2", "big-endian"));
    assert_eq!((i.volume_name.as_str(), i.last_mounted_on.as_str()), ("rumpjs-e", "/export/e"));
    assert_eq!(i.partition.as_ref().unwrap().name, "e");
    assert_eq!(i.partitions.len(), 5);
    assert!(i.clean);
    assert_eq!(i.superblock_at, 8192);
    assert!(i.wapbl.is_none());
    let text = i.to_string();
    assert!(text.contains("volume name:") && text.contains("rumpjs-e") && text.contains("disklabel e"), "{text}");
    let j = i.to_json();
    assert!(j.starts_with('{') && j.ends_with('}'));
    assert!(j.contains("\"volume_name\":\"rumpjs-e\"") && j.contains("\"byte_order\":\"big-endian\""), "{j}");
    assert!(j.contains("\"scheme\":\"disklabel\""));
    // The mounted file system reports the same through FileSystem::info.
    let (k, _p, _h) = mount(fixture_dev("ufs1-le-8192-1024"), &[]).unwrap();
    let m = k.mounts().into_iter().find(|m| m.fstype == "ffs").unwrap();
    let kv = m.fs.info();
    assert!(kv.iter().any(|(k, v)| k == "type" && v.contains("UFS1") && v.contains("little-endian")), "{kv:?}");
}

#[test]
fn t_ro_fixture_holds_what_filegen_makes() {
    let (_k, p, _h) = mount(fixture_dev("t_ro"), &[]).unwrap();
    assert_eq!(read_all(&p, b"/ffs/testfile").unwrap(), b"this is some non-humppa text");
    assert_eq!(p.stat(b"/ffs/testdir").unwrap().vtype(), Some(VType::Dir));
    assert_eq!(p.readlink(b"/ffs/testsymlink").unwrap(), b"testfile");
    let sv = p.statvfs(b"/ffs").unwrap();
    assert!(sv.flag & MNT_RDONLY != 0);
}

#[test]
fn statvfs_is_ffs_statvfs() {
    // The numbers straight from the superblock bytes (struct fs offsets), computed as ffs_statvfs does.
    for name in ["ufs2-le-16384-2048", "ufs1-le-8192-1024"] {
        let raw = gunzip(&format!("{name}.img.gz"));
        let sb = &raw[8192..8192 + 1376];
        let i32at = |o: usize| i32::from_le_bytes(sb[o..o + 4].try_into().unwrap()) as i64;
        let i64at = |o: usize| i64::from_le_bytes(sb[o..o + 8].try_into().unwrap());
        let (frag, minfree, ncg, ipg) = (i32at(56), i32at(60), i32at(44), i32at(184));
        let (nbfree, nifree, nffree, dsize) = (i64at(1016), i64at(1024), i64at(1032), i64at(1088));
        let bfree = (nbfree * frag + nffree) as u64;
        let bresvd = (dsize * minfree / 100) as u64;
        let (_k, p, _h) = mount(fixture_dev(name), &[]).unwrap();
        let s = p.statvfs(b"/ffs").unwrap().fs;
        assert_eq!(s.blocks, dsize as u64, "{name}");
        assert_eq!((s.bfree, s.bresvd, s.bavail), (bfree, bresvd, bfree.saturating_sub(bresvd)), "{name}");
        assert_eq!((s.files, s.ffree, s.favail), ((ncg * ipg - 2) as u64, nifree as u64, nifree as u64), "{name}");
        assert_eq!(s.iosize, s.bsize);
    }
}
