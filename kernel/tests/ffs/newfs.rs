//! newfs: the layout NetBSD's newfs makes (superblock at 65536 for UFS2 and 8192 for UFS1, a backup
//! superblock and cylinder group block in every group, the root directory), reproducible byte for
//! byte under the deterministic hypervisor, mountable, fsck-clean and readable by The Sleuth Kit.

use crate::common::fresh::*;
use kernel::dev::{BlockDevice, Dev, FileDevice, MemDevice};
use kernel::fs::ffs::endian::ByteOrder;
use kernel::fs::ffs::newfs::{check, newfs, NewfsOptions};
use kernel::fs::ffs::superblock::{Superblock, Ufs};
use kernel::hyper::DeterministicHypervisor;
use kernel::vfs::Timespec;
use std::sync::Arc;

#[test]
fn reproducible_and_where_netbsd_puts_things() {
    for cfg in CFGS {
        let a = fresh(cfg, 6 << 20);
        let b = fresh(cfg, 6 << 20);
        assert!(a.contents() == b.contents(), "{cfg:?}: two runs differ");
        let sb = Superblock::find(a.as_ref(), &mut Vec::new()).unwrap();
        assert_eq!(sb.sblockloc, if cfg.ufs == 2 { 65536 } else { 8192 });
        assert_eq!(sb.ufs, if cfg.ufs == 2 { Ufs::Ufs2 } else { Ufs::Ufs1 });
        assert_eq!(sb.order, cfg.order);
        assert_eq!((sb.bsize, sb.fsize), (cfg.bsize, cfg.fsize));
        assert!(sb.is_clean());
        assert_eq!(sb.cstotal.ndir, 1);
        assert_eq!(sb.cstotal.nifree as u64, sb.ninodes() - 3);
        // A backup superblock at the start of every group, naming the primary's place.
        let h = DeterministicHypervisor::default_for_tests();
        let scratch = MemDevice::zeroed(6 << 20);
        let rep = newfs(&scratch, &cfg.opts(), &h).unwrap();
        assert_eq!(rep.backups.len() as u32, sb.ncg);
        for (c, sector) in rep.backups.iter().enumerate() {
            let mut buf = vec![0u8; 8192];
            a.read_at(sector * 512, &mut buf).unwrap();
            let (e, why) = Superblock::decode(&buf, sector * 512).unwrap_err();
            assert_eq!(e, kernel::Errno::EINVAL);
            assert!(why.unwrap().contains("alternate"), "group {c}");
            assert_eq!(sb.frag_to_bytes(sb.cgstart(c as u32) + sb.sblkno as u64), sector * 512);
        }
        let text = rep.to_string();
        assert!(text.contains("super-block backups"), "{text}");
        assert_fsck_clean(a.clone() as Dev, &format!("{cfg:?}"));
    }
    // Another seed: another fs_id, same layout otherwise.
    let dev = MemDevice::zeroed(6 << 20);
    let h = DeterministicHypervisor::new(Timespec::new(1_338_508_800, 0), 99);
    newfs(&dev, &CFGS[2].opts(), &h).unwrap();
    let a = Superblock::find(&dev, &mut Vec::new()).unwrap();
    let b = Superblock::find(fresh(CFGS[2], 6 << 20).as_ref(), &mut Vec::new()).unwrap();
    assert_ne!(a.id, b.id);
    assert_eq!((a.ncg, a.ipg, a.fpg), (b.ncg, b.ipg, b.fpg));
}

#[test]
fn defaults_options_and_refusals() {
    // newfs's defaults by size: 512-byte fragments below 20 MB, 1024 below 1000 MB.
    let dev = MemDevice::zeroed(16 << 20);
    let h = DeterministicHypervisor::default_for_tests();
    let r = newfs(&dev, &NewfsOptions::default(), &h).unwrap();
    assert_eq!((r.ufs, r.fsize, r.bsize), (2, 512, 4096));
    let opts = NewfsOptions {
        ufs: 1,
        order: ByteOrder::Big,
        inodes: 1000,
        volname: "myvol".into(),
        minfree: 8,
        size: 12 << 20,
        ..Default::default()
    };
    let r = newfs(&dev, &opts, &h).unwrap();
    assert_eq!(r.size_bytes, 12 << 20);
    assert!(r.inodes >= 1000 && r.inodes < 2000, "{}", r.inodes);
    let sb = Superblock::find(&dev, &mut Vec::new()).unwrap();
    assert_eq!((sb.volname.as_slice(), sb.minfree, sb.order), (&b"myvol"[..], 8, ByteOrder::Big));
    assert_fsck_clean(Arc::new(MemDevice::new(dev.contents(), true)) as Dev, "options");
    for bad in [
        NewfsOptions { bsize: 3000, ..Default::default() },
        NewfsOptions { bsize: 4096, fsize: 256, ..Default::default() },
        NewfsOptions { bsize: 65536, fsize: 4096, ..Default::default() },
        NewfsOptions { ufs: 3, ..Default::default() },
        NewfsOptions { size: 1 << 30, ..Default::default() },
        NewfsOptions { volname: "x".repeat(40), ..Default::default() },
    ] {
        assert!(check(&bad, 16 << 20).is_err(), "{bad:?}");
        assert!(newfs(&dev, &bad, &h).is_err());
    }
    assert!(check(&NewfsOptions::default(), 50_000).is_err(), "too small");
    assert!(newfs(&MemDevice::new(vec![0; 1 << 20], true), &NewfsOptions::default(), &h).is_err());
}

#[test]
fn large_sparse_image_through_tsk() {
    // 2 GiB in a sparse host file: many groups, 2048-byte fragments by default.
    let dir = std::env::temp_dir().join(format!("ffsnewfs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.img");
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(2 << 30).unwrap();
    drop(f);
    let dev: Dev = Arc::new(FileDevice::open(&path, false).unwrap());
    let h = DeterministicHypervisor::default_for_tests();
    let r = newfs(dev.as_ref(), &NewfsOptions::default(), &h).unwrap();
    assert_eq!((r.fsize, r.bsize), (2048, 16384));
    assert!(r.ncg > 4);
    let (_k, p, _h) = boot(dev.clone());
    mount_rw(&p).unwrap();
    p.mkdir(b"/mnt/a", 0o755).unwrap();
    p.mkdir(b"/mnt/b", 0o755).unwrap();
    write(&p, b"/mnt/a/file", &bytes(1, 5 << 20));
    // First-level directories spread over the groups (ffs_dirpref).
    let ia = p.stat(b"/mnt/a").unwrap().ino;
    let ib = p.stat(b"/mnt/b").unwrap().ino;
    let ipg = r.ipg as u64;
    assert_ne!(ia / ipg, ib / ipg, "two top-level directories in one group");
    let snap = snapshot(&p, "/mnt");
    let ifile = p.stat(b"/mnt/a/file").unwrap().ino;
    p.unmount(b"/mnt", 0).unwrap();
    assert_fsck_clean(dev.clone(), "2 GiB");
    // A file's inode goes in its directory's group, its first blocks in the same group; past the
    // first indirect block's worth (fs_maxbpg) it moves on to another group.
    assert_eq!(ifile / ipg, ia / ipg, "file inode not in its directory's group");
    let sb = Superblock::find(dev.as_ref(), &mut Vec::new()).unwrap();
    let (fsba, idx) = sb.ino_to_fsba(ifile);
    let isz = sb.ufs.dinode_size() as usize;
    let mut blk = vec![0u8; sb.bsize as usize];
    dev.read_at(sb.frag_to_bytes(fsba), &mut blk).unwrap();
    let d = kernel::fs::ffs::inode::Dinode::decode(&blk[idx * isz..(idx + 1) * isz], sb.order, sb.ufs, false);
    assert_eq!(d.db[0] / sb.fpg as u64, ifile / ipg, "first block not in the inode's group");
    // (The space before a group's backup superblock holds data too, as mkfs leaves it free.)
    let fpg = sb.fpg as u64;
    assert!(d.db.iter().all(|&b| b / fpg == ifile / ipg), "direct blocks outside the inode's group: {:?}", d.db);
    assert!(d.db.windows(2).all(|w| w[1] > w[0]), "direct blocks in order: {:?}", d.db);
    if have_tsk() {
        let t = tsk_tree(&path, "ufs2");
        let (ino, kind) = t["a/file"];
        assert_eq!(kind, 'r');
        assert!(tsk_cat(&path, "ufs2", ino) == snap["a/file"].data);
    }
    std::fs::remove_dir_all(&dir).ok();
}
