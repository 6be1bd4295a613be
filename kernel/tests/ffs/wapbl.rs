//! WAPBL: an image whose journal holds changes not yet written to their places is read with the journal
//! replayed in memory (as NetBSD's ffs_mountfs does for a read-only mount); a journal that cannot be read
//! refuses the mount unless forced. makefs writes no journal, so the tests write one as a NetBSD kernel
//! would have left it, at the end of the partition.

use crate::common::fixtures::*;
use kernel::errno::Errno;
use kernel::fs::ffs;
use kernel::fs::ffs::wapbl::build_log;
use kernel::vfs::*;

const LOG_BYTES: usize = 64 * 1024;

/// The fixture with a journal appended: returns the image, the byte offset of hello.txt's data and of
/// the sector holding its inode, and the journal's start.
fn journaled(name: &str) -> (Img, usize, usize, usize, u64) {
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
    img.data[sb + 864] = 1; // fs_journal_version
    img.data[sb + 865] = 1; // fs_journal_location: end of partition
    for (i, v) in [(log_at / 512) as u64, (LOG_BYTES / 512) as u64, 512, 0].into_iter().enumerate() {
        o.put_u64(&mut img.data, sb + 872 + 8 * i, v);
    }
    (img, data_at, inode_at, log_at, ino)
}

fn sector(img: &Img, at: usize) -> (u64, Vec<u8>) {
    let s = at / 512 * 512;
    (s as u64, img.data[s..s + 512].to_vec())
}

#[test]
fn journal_replayed_in_memory() {
    for name in ["ufs2-le-8192-1024", "ufs2-be-16384-2048"] {
        let (mut img, data_at, inode_at, log_at, ino) = journaled(name);
        let be = img.sb.order == kernel::fs::ffs::endian::ByteOrder::Big;
        // What the journal says: new contents, a new size in the inode, a new volume name.
        let mut data = vec![0u8; 512];
        data[..16].copy_from_slice(b"journal says hi\n");
        let (isec, mut inode_sector) = sector(&img, inode_at);
        let mut d = img.inode(ino);
        d.size = 16;
        let (order, ufs) = (img.sb.order, img.sb.ufs);
        let rel = inode_at - isec as usize;
        d.encode(&mut inode_sector[rel..rel + ufs.dinode_size() as usize], order, ufs, false);
        let sb = img.sb.sblockloc as usize;
        let (ssec, mut sb_sector) = sector(&img, sb + 680);
        let rel = sb + 680 - ssec as usize;
        sb_sector[rel..rel + 32].fill(0);
        sb_sector[rel..rel + 9].copy_from_slice(b"journaled");
        let log =
            build_log(512, LOG_BYTES, &[(data_at as u64, data), (isec, inode_sector), (ssec, sb_sector)], &[], be, 0);
        img.data[log_at..].copy_from_slice(&log);
        // On disk, nothing changed.
        assert_eq!(&img.data[data_at..data_at + 13], b"hello, world\n");
        let (_k, p, h) = mount(img.dev(), &[]).unwrap();
        assert_eq!(read_all(&p, b"/ffs/hello.txt").unwrap(), b"journal says hi\n", "{name}");
        assert!(!log_lines(&h, "replaying log to memory: 3 blocks").is_empty(), "{:?}", h.console_lines());
        assert!(p.readdir_path(b"/ffs/modes").unwrap().len() > 5);
        let info = ffs::probe_info(&img.dev(), None).unwrap();
        assert_eq!(info.volume_name, "journaled", "the superblock is read again after the replay");
        let w = info.wapbl.unwrap();
        assert_eq!((w.location.as_str(), w.blksize), ("end of partition", 512));
        assert!(w.state.contains("3 blocks"), "{}", w.state);
    }
}

#[test]
fn revoked_blocks_are_not_replayed() {
    let (mut img, data_at, _inode_at, log_at, _) = journaled("ufs2-le-8192-1024");
    let mut data = vec![0u8; 512];
    data[..13].copy_from_slice(b"stale, stale\n");
    let log = build_log(512, LOG_BYTES, &[(data_at as u64, data)], &[data_at as u64], false, 0);
    img.data[log_at..].copy_from_slice(&log);
    let (_k, p, _h) = mount(img.dev(), &[]).unwrap();
    assert_eq!(read_all(&p, b"/ffs/hello.txt").unwrap(), b"hello, world\n");
}

#[test]
fn empty_journal_mounts_clean() {
    let (mut img, _, _, log_at, _) = journaled("ufs2-le-8192-1024");
    let log = build_log(512, LOG_BYTES, &[], &[], false, 0);
    img.data[log_at..].copy_from_slice(&log);
    let (_k, p, _h) = mount(img.dev(), &[]).unwrap();
    assert_eq!(read_all(&p, b"/ffs/hello.txt").unwrap(), b"hello, world\n");
    let info = ffs::probe_info(&img.dev(), None).unwrap();
    assert!(info.wapbl.unwrap().state.contains("empty"));
    assert!(info.flag_names.contains(&"wapbl"));
}

#[test]
fn unreadable_journal_refused_unless_forced() {
    let (mut img, data_at, _, log_at, _) = journaled("ufs2-le-8192-1024");
    let log = build_log(512, LOG_BYTES, &[(data_at as u64, vec![b'x'; 512])], &[], false, 0);
    img.data[log_at..].copy_from_slice(&log);
    // Damage: the header's magic; a record's length; a block outside the device.
    let mut cases = Vec::new();
    let mut a = img.data.clone();
    a[log_at..log_at + 4].fill(0);
    a[log_at + 512..log_at + 516].fill(0);
    cases.push((a, "unrecognized log header magic"));
    let mut b = img.data.clone();
    b[log_at + 1024 + 4..log_at + 1024 + 8].copy_from_slice(&7u32.to_le_bytes());
    cases.push((b, "length 7"));
    let mut c = img.data.clone();
    c[log_at + 1024 + 16..log_at + 1024 + 24].copy_from_slice(&(1u64 << 40).to_le_bytes());
    cases.push((c, "outside the device"));
    let mut d = img.data.clone();
    d[log_at + 48..log_at + 56].copy_from_slice(&(1u64 << 50).to_le_bytes());
    d[log_at + 512 + 48..log_at + 512 + 56].copy_from_slice(&(1u64 << 50).to_le_bytes());
    cases.push((d, "outside the circular region"));
    for (data, what) in cases {
        let bad = Img { data, sb: img.sb.clone() };
        let (_k, p, h) = kernel_with(bad.dev());
        let e = p.mount("ffs", b"/ffs", MNT_RDONLY, Some("/dev/ffs0"), &ro(&[])).unwrap_err();
        assert_eq!(e, Errno::EFTYPE, "{what}");
        assert!(!log_lines(&h, what).is_empty(), "{what}: {:?}", h.console_lines());
        assert!(!log_lines(&h, "would be read without its journal").is_empty());
        let (_k, p, h) = kernel_with(bad.dev());
        let forced = MountOptions { readonly: true, force: true, opts: vec![] };
        p.mount("ffs", b"/ffs", MNT_RDONLY, Some("/dev/ffs0"), &forced).unwrap();
        assert!(!log_lines(&h, "forced: mounting without replaying").is_empty());
        assert_eq!(read_all(&p, b"/ffs/hello.txt").unwrap(), b"hello, world\n");
    }
}

#[test]
fn records_wrapping_around_the_circular_region() {
    for start in [LOG_BYTES - 1024 - 512, LOG_BYTES - 1024 - 1024, LOG_BYTES - 1024 - 1536] {
        let (mut img, data_at, _, log_at, _) = journaled("ufs2-be-8192-1024");
        let mut data = vec![b'-'; 1024];
        data[..16].copy_from_slice(b"wrapped around!\n");
        let log = build_log(512, LOG_BYTES, &[(data_at as u64, data)], &[], true, start);
        img.data[log_at..].copy_from_slice(&log);
        let (_k, p, h) = mount(img.dev(), &[]).unwrap();
        assert_eq!(read_all(&p, b"/ffs/hello.txt").unwrap(), b"wrapped aroun", "start {start}");
        assert!(!log_lines(&h, "2 blocks").is_empty(), "{:?}", h.console_lines());
    }
}
