//! FFS read-write on images from elsewhere and on overlays: Debian's makefs images changed by us
//! (create, delete, rename, grow, shrink) still pass our fsck and read back through a fresh mount and
//! The Sleuth Kit (UFS1, which TSK finds at 8192); an FFS mounted read-write on a copy-on-write
//! overlay over a read-only host file leaves the file byte for byte as it was.

use crate::common::fresh::*;
use kernel::dev::{BlockDevice, Dev, FileDevice, MemDevice, OverlayDevice};
use kernel::vfs::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ffsrw-img-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A source tree for makefs: files of several sizes, a directory, a symlink.
fn source_tree(dir: &Path) {
    std::fs::create_dir_all(dir.join("sub/deeper")).unwrap();
    std::fs::write(dir.join("hello.txt"), b"hello, world\n").unwrap();
    std::fs::write(dir.join("sub/frag"), bytes(1, 3000)).unwrap();
    std::fs::write(dir.join("sub/deeper/big"), bytes(2, 300_000)).unwrap();
    std::fs::write(dir.join("shrinkme"), bytes(3, 200_000)).unwrap();
    std::os::unix::fs::symlink("hello.txt", dir.join("link")).unwrap();
}

fn have_makefs() -> bool {
    Command::new("makefs").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
}

fn makefs(dir: &Path, args: &[&str]) -> Vec<u8> {
    let src = dir.join("src");
    if !src.exists() {
        source_tree(&src);
    }
    let img = dir.join("img");
    let _ = std::fs::remove_file(&img);
    let st = Command::new("makefs")
        .args(["-t", "ffs", "-s", "16m"])
        .args(args)
        .arg(&img)
        .arg(&src)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success(), "makefs {args:?}");
    std::fs::read(&img).unwrap()
}

/// Changes of every kind on a mounted image.
fn change(p: &Proc) {
    write(p, b"/mnt/new", &bytes(10, 50_000));
    p.mkdir(b"/mnt/newdir", 0o750).unwrap();
    write(p, b"/mnt/newdir/inside", b"inside");
    p.unlink(b"/mnt/hello.txt").unwrap();
    p.rename(b"/mnt/sub/frag", b"/mnt/newdir/frag-moved").unwrap();
    p.rename(b"/mnt/sub/deeper", b"/mnt/newdir/deeper").unwrap();
    // Grow through fragments and past the direct blocks; shrink to a fragment.
    let fd = p.open(b"/mnt/newdir/frag-moved", O_WRONLY | O_APPEND, 0).unwrap();
    p.write(fd, &bytes(11, 250_000)).unwrap();
    p.close(fd).unwrap();
    p.truncate(b"/mnt/shrinkme", 777).unwrap();
    p.symlink(b"newdir/inside", b"/mnt/link2").unwrap();
}

#[test]
fn makefs_images_changed_by_us() {
    if !have_makefs() {
        skip::skip("makefs is not installed");
        return;
    }
    let dir = tmpdir("makefs");
    for (name, args, ufs) in [
        ("ufs1-le", &["-o", "version=1"][..], 1u8),
        ("ufs1-be", &["-B", "be", "-o", "version=1,bsize=16384,fsize=2048"][..], 1),
        ("ufs2-le", &["-o", "version=2"][..], 2),
    ] {
        let img = makefs(&dir, args);
        let dev = Arc::new(MemDevice::new(img, false));
        let (_k, p, _h) = boot(dev.clone() as Dev);
        mount_rw(&p).unwrap();
        change(&p);
        let snap = snapshot(&p, "/mnt");
        assert_eq!(snap["newdir/frag-moved"].data.len(), 3000 + 250_000);
        assert_eq!(snap["shrinkme"].data, bytes(3, 200_000)[..777].to_vec());
        p.unmount(b"/mnt", 0).unwrap();
        assert_fsck_clean(dev.clone() as Dev, name);
        mount_ro(&p).unwrap();
        assert_eq!(snap, snapshot(&p, "/mnt"), "{name}: changed across remount");
        p.unmount(b"/mnt", 0).unwrap();
        if ufs == 1 {
            // makefs puts UFS2's superblock at 8192, where TSK does not look; UFS1 it finds.
            check_with_tsk(dev.as_ref(), name, ufs, &snap);
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

fn sha256(path: &Path) -> Option<String> {
    let out = Command::new("sha256sum").arg(path).output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).split_whitespace().next()?.to_string())
}

#[test]
fn overlay_keeps_the_image_file_unchanged() {
    let dir = tmpdir("overlay");
    let path = dir.join("base.img");
    let base = fresh(CFGS[2], 8 << 20);
    let mut v = vec![0u8; base.size() as usize];
    base.read_at(0, &mut v).unwrap();
    std::fs::write(&path, &v).unwrap();
    let before = sha256(&path);
    let file: Dev = Arc::new(FileDevice::open(&path, true).unwrap());
    let ov = Arc::new(OverlayDevice::new(file));
    let (_k, p, _h) = boot(ov.clone() as Dev);
    mount_rw(&p).unwrap();
    write(&p, b"/mnt/a", &bytes(5, 123_456));
    p.mkdir(b"/mnt/d", 0o755).unwrap();
    p.rename(b"/mnt/a", b"/mnt/d/a").unwrap();
    p.sync().unwrap();
    let snap = snapshot(&p, "/mnt");
    p.unmount(b"/mnt", 0).unwrap();
    assert!(ov.dirty_bytes() > 0);
    // The overlay holds the changes: mounted again it shows them, and fsck finds it clean.
    assert_fsck_clean(ov.clone() as Dev, "overlay");
    mount_ro(&p).unwrap();
    assert_eq!(snap, snapshot(&p, "/mnt"));
    p.unmount(b"/mnt", 0).unwrap();
    // The file is untouched.
    assert!(std::fs::read(&path).unwrap() == v, "the image file changed under the overlay");
    assert_eq!(sha256(&path), before);
    // Committed into a writable copy, the changes land.
    let copy = Arc::new(MemDevice::new(v.clone(), false));
    ov.commit(copy.as_ref()).unwrap();
    let (_k2, p2, _h2) = boot(copy.clone() as Dev);
    mount_ro(&p2).unwrap();
    assert_eq!(snap, snapshot(&p2, "/mnt"));
    p2.unmount(b"/mnt", 0).unwrap();
    std::fs::remove_dir_all(&dir).ok();
}
