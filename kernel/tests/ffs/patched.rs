//! What Debian's makefs cannot write — holes, triple indirect blocks, files past 4 GiB, nanosecond times,
//! birthtimes, file flags — made by patching makefs images through the driver's own encoders, and read
//! back through the kernel.

use crate::common::fixtures::*;
use kernel::errno::Errno;
use kernel::vfs::*;
use std::sync::atomic::Ordering;
use std::sync::Arc;

#[test]
fn nanosecond_times_birthtime_flags_and_generation() {
    for name in ["ufs2-le-8192-1024", "ufs2-be-16384-2048", "ufs1-le-8192-1024", "ufs1-be-4096-512"] {
        let mut img = Img::fixture(name);
        let ino = img.ino("hello.txt");
        let mut d = img.inode(ino);
        d.atime = Timespec::new(1_000_000_001, 1);
        d.mtime = Timespec::new(1_234_567_890, 123_456_789);
        d.ctime = Timespec::new(1_500_000_000, 999_999_999);
        d.birthtime = Timespec::new(-86_400, 42);
        d.flags = UF_IMMUTABLE | UF_NODUMP | SF_APPEND | SF_ARCHIVED;
        d.gen = 0xdead_beef;
        img.put_inode(ino, &d);
        let (_k, p, _h) = mount(img.dev(), &[]).unwrap();
        let st = p.stat(b"/ffs/hello.txt").unwrap();
        assert_eq!(st.atime, Timespec::new(1_000_000_001, 1), "{name}");
        assert_eq!(st.mtime, Timespec::new(1_234_567_890, 123_456_789), "{name}");
        assert_eq!(st.ctime, Timespec::new(1_500_000_000, 999_999_999), "{name}");
        let want_birth = if name.starts_with("ufs2") { Timespec::new(-86_400, 42) } else { Timespec::default() };
        assert_eq!(st.birthtime, want_birth, "{name}: UFS1 has no birthtime (NetBSD reports 0)");
        assert_eq!(st.flags, UF_IMMUTABLE | UF_NODUMP | SF_APPEND | SF_ARCHIVED, "{name}");
        assert_eq!(st.gen, 0xdead_beef, "{name}");
        assert_eq!(read_all(&p, b"/ffs/hello.txt").unwrap(), b"hello, world\n");
    }
}

#[test]
fn holes_read_as_zeros_without_touching_the_disk() {
    for name in ["ufs2-le-4096-512", "ufs1-be-4096-512"] {
        let mut img = Img::fixture(name);
        let bs = 4096u64;
        let size = 12 * bs + 1;
        let path = format!("sizes/s{size}");
        let ino = img.ino(&path);
        let m = manifest(name);
        let fid: u64 =
            m.iter().find(|e| e.path == path.as_bytes()).unwrap().content.as_ref().unwrap()[4..].parse().unwrap();
        let mut want = content(fid, size);
        let mut d = img.inode(ino);
        d.db[3] = 0; // a hole in the direct blocks
        d.ib[0] = 0; // and the whole single-indirect tree
        want[3 * bs as usize..4 * bs as usize].fill(0);
        want[12 * bs as usize..].fill(0);
        img.put_inode(ino, &d);
        let counting = Arc::new(CountingDevice { inner: img.dev(), reads: 0.into(), bytes: 0.into() });
        let (_k, p, _h) = mount(counting.clone(), &[]).unwrap();
        let full = format!("/ffs/{path}");
        assert!(read_all(&p, full.as_bytes()).unwrap() == want, "{name}: contents with holes");
        // Reading only the holes reaches no device.
        let fd = p.open(full.as_bytes(), O_RDONLY, 0).unwrap();
        let before = counting.reads.load(Ordering::Relaxed);
        let mut buf = vec![1u8; bs as usize];
        assert_eq!(p.pread(fd, &mut buf, 3 * bs as i64).unwrap(), bs as usize);
        assert!(buf.iter().all(|&b| b == 0));
        assert_eq!(p.pread(fd, &mut buf, 12 * bs as i64).unwrap(), 1);
        assert_eq!(buf[0], 0);
        assert_eq!(counting.reads.load(Ordering::Relaxed), before, "{name}: holes read from the device");
        p.close(fd).unwrap();
    }
}

/// A file whose only data block sits past 4 GiB, reached through a triple indirect block; everything
/// else is holes. Read through the whole file in 1 MiB steps: it streams in bounded memory.
#[test]
fn triple_indirect_past_4_gib_streams() {
    for name in ["ufs2-le-4096-512", "ufs1-be-4096-512"] {
        let mut img = Img::fixture(name);
        let bs = img.sb.bsize as u64;
        let nindir = img.sb.nindir as u64;
        let ino = img.ino("sizes/s4096");
        let mut d = img.inode(ino);
        let data_blk = d.db[0];
        let want_block = img.data[img.at(data_blk)..img.at(data_blk) + bs as usize].to_vec();
        let triple_start = 12 + nindir + nindir * nindir;
        let lbn = triple_start.max((4u64 << 30) / bs) + 5;
        assert!(lbn * bs > 4 << 30);
        let rel = lbn - triple_start;
        let (i0, i1, i2) = (rel / (nindir * nindir), (rel / nindir) % nindir, rel % nindir);
        let [t, dbl, s] = img.free_tail_blocks(3)[..] else { unreachable!() };
        img.put_ptr(t, i0 as usize, dbl);
        img.put_ptr(dbl, i1 as usize, s);
        img.put_ptr(s, i2 as usize, data_blk);
        d.db = [0; 12];
        d.ib = [0, 0, t];
        d.size = (lbn + 1) * bs;
        img.put_inode(ino, &d);
        let (k, p, _h) = mount(img.dev(), &[]).unwrap();
        let st = p.stat(b"/ffs/sizes/s4096").unwrap();
        assert_eq!(st.size, (lbn + 1) * bs);
        let fd = p.open(b"/ffs/sizes/s4096", O_RDONLY, 0).unwrap();
        let mut buf = vec![0u8; bs as usize];
        assert_eq!(p.pread(fd, &mut buf, (lbn * bs) as i64).unwrap(), bs as usize);
        assert!(buf == want_block, "{name}: the block past 4 GiB");
        // Stream the whole file.
        let chunk = 1 << 20;
        let mut buf = vec![0u8; chunk];
        let zeros = vec![0u8; chunk];
        let mut off = 0u64;
        let mut total = 0u64;
        p.lseek(fd, 0, SEEK_SET).unwrap();
        loop {
            let n = p.read(fd, &mut buf).unwrap();
            if n == 0 {
                break;
            }
            let data_at = lbn * bs;
            if off <= data_at && data_at < off + n as u64 {
                let i = (data_at - off) as usize;
                assert!(buf[i..i + bs as usize] == want_block[..]);
                assert!(buf[..i] == zeros[..i]);
            } else {
                assert!(buf[..n] == zeros[..n], "{name}: zeros at {off}");
            }
            off += n as u64;
            total += n as u64;
        }
        assert_eq!(total, st.size);
        p.close(fd).unwrap();
        let m = k.mounts().into_iter().find(|m| m.fstype == "ffs").unwrap();
        let cache = m.fs.info().into_iter().find(|(k, _)| k == "cache").unwrap().1;
        assert!(cache.contains(" of 67108864 bytes"), "{cache}");
    }
}

#[test]
fn double_indirect_boundary_and_tail_fragments() {
    // The fixtures hold files ending exactly at and one byte past the single-indirect range on 4096-byte
    // blocks; read them at odd offsets and lengths that straddle block and run boundaries.
    for name in ["ufs2-be-4096-512", "ufs1-le-4096-512"] {
        let m = manifest(name);
        let (_k, p, _h) = mount(fixture_dev(name), &[]).unwrap();
        for e in m.iter().filter(|e| e.path.starts_with(b"sizes/") && e.size > 40000) {
            let fid: u64 = e.content.as_ref().unwrap()[4..].parse().unwrap();
            let want = content(fid, e.size);
            let path = [b"/ffs/".as_slice(), &e.path].concat();
            let fd = p.open(&path, O_RDONLY, 0).unwrap();
            for (off, len) in [
                (0u64, 1usize),
                (4095, 2),
                (12 * 4096 - 3, 7),
                (e.size - 1, 10),
                (1000, 300_000),
                (e.size.saturating_sub(70_000), 70_000),
            ] {
                let mut buf = vec![0u8; len];
                let n = p.pread(fd, &mut buf, off as i64).unwrap();
                let end = (off as usize + len).min(e.size as usize);
                assert_eq!(n, end.saturating_sub(off as usize));
                assert!(
                    buf[..n] == want[off as usize..end],
                    "{name} {} at {off}+{len}",
                    String::from_utf8_lossy(&e.path)
                );
            }
            p.close(fd).unwrap();
        }
    }
}

#[test]
fn read_only_mounts_refuse_writes() {
    // Read-write mounts are the write side's (tests/ffs_rw*.rs); a read-only device cannot have one.
    let (_k, p, _h) = kernel_with(fixture_dev("ufs2-le-8192-1024"));
    let rw = MountOptions { readonly: false, ..Default::default() };
    assert_eq!(p.mount("ffs", b"/ffs", 0, Some("/dev/ffs0"), &rw), Err(Errno::EROFS));
    let (_k, p, _h) = mount(fixture_dev("ufs2-le-8192-1024"), &[]).unwrap();
    assert_eq!(p.open(b"/ffs/new", O_CREAT | O_WRONLY, 0o644), Err(Errno::EROFS));
    assert_eq!(p.mkdir(b"/ffs/d", 0o755), Err(Errno::EROFS));
    assert_eq!(p.unlink(b"/ffs/hello.txt"), Err(Errno::EROFS));
    assert_eq!(p.open(b"/ffs/hello.txt", O_RDWR, 0), Err(Errno::EROFS));
}

#[test]
fn host_file_opened_read_only() {
    // A read-only mount of a host file: the file device is opened without write access.
    let dir = std::env::temp_dir().join(format!("rumpjs-ffs-ro-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("img");
    std::fs::write(&path, gunzip("ufs1-le-8192-1024.img.gz")).unwrap();
    let mut perm = std::fs::metadata(&path).unwrap().permissions();
    perm.set_readonly(true);
    std::fs::set_permissions(&path, perm).unwrap();
    let dev: kernel::dev::Dev = Arc::new(kernel::dev::FileDevice::open(&path, true).unwrap());
    assert!(dev.readonly());
    let (_k, p, _h) = mount(dev, &[]).unwrap();
    assert_eq!(read_all(&p, b"/ffs/hello.txt").unwrap(), b"hello, world\n");
    std::fs::remove_dir_all(&dir).unwrap();
}
