//! Overlay files (`--overlay-file`): an overlay's changes kept in a host file across sessions and
//! committed into the image later. The file fits only the image it was begun on, unchanged since in any
//! byte: a read-write mount of a partition deep in a disk changes nothing near its start, and a commit
//! over such changes would put back the overlay's stale view of the file system on top of them.

use crate::common::fixtures::gunzip;
use kernel::dev::{sidecar, BlockDevice, Dev, FileDevice, OverlayDevice, CHUNK};
use kernel::hyper::DeterministicHypervisor;
use kernel::vfs::*;
use kernel::{Kernel, Proc};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rumpjs-overlay-file-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A fixture image written to a host file in `dir`.
fn image(dir: &Path, fixture: &str) -> PathBuf {
    let img = dir.join("disk.img");
    std::fs::write(&img, gunzip(&format!("{fixture}.img.gz"))).unwrap();
    img
}

/// Mounts `dev` on /mnt (read-write unless `ro`), runs `f`, unmounts (the overlay's flush).
fn session(dev: Dev, ro: bool, f: impl FnOnce(&Proc)) {
    let k = Kernel::boot_default(Arc::new(DeterministicHypervisor::default_for_tests())).unwrap();
    k.etfs_register("/dev/ffs0", dev).unwrap();
    let p = k.new_proc(Cred::root());
    p.mkdir(b"/mnt", 0o755).unwrap();
    let (flags, opts) = if ro {
        (MNT_RDONLY, MountOptions { readonly: true, ..Default::default() })
    } else {
        (0, MountOptions::default())
    };
    p.mount("ffs", b"/mnt", flags, Some("/dev/ffs0"), &opts).unwrap();
    f(&p);
    p.unmount(b"/mnt", 0).unwrap();
}

fn write(p: &Proc, path: &str, data: &[u8]) {
    let fd = p.open(path.as_bytes(), O_WRONLY | O_CREAT | O_TRUNC, 0o644).unwrap();
    assert_eq!(p.write(fd, data).unwrap(), data.len());
    p.close(fd).unwrap();
}

fn read(p: &Proc, path: &str) -> Vec<u8> {
    let fd = p.open(path.as_bytes(), O_RDONLY, 0).unwrap();
    let mut out = Vec::new();
    let mut buf = vec![0u8; 65536];
    loop {
        let n = p.read(fd, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    p.close(fd).unwrap();
    out
}

fn file(img: &Path, ro: bool) -> Dev {
    Arc::new(FileDevice::open(img, ro).unwrap())
}

/// An overlay session on the read-only image, its changes kept in `chg`.
fn overlay(img: &Path, chg: &Path) -> Result<Dev, sidecar::SidecarError> {
    OverlayDevice::with_sidecar(file(img, true), chg).map(|(ov, _)| Arc::new(ov) as Dev)
}

/// disk-mbr: an MBR whose FFS partition begins 1 MiB into the disk. Changes made to it directly after
/// the overlay file was begun lie past the first 128 KiB (what format 1 fingerprinted); resuming the
/// overlay file and committing it are both refused, and the refused commit leaves the image as it was.
#[test]
fn a_direct_change_deep_in_the_image_refuses_resume_and_commit() {
    let dir = scratch("mbr");
    let img = image(&dir, "disk-mbr");
    let chg = dir.join("disk.chg");
    session(overlay(&img, &chg).unwrap(), false, |p| write(p, "/mnt/from-overlay", &[b'A'; 20000]));
    let before = std::fs::read(&img).unwrap();

    // The image changed directly, in its partition only.
    session(file(&img, false), false, |p| {
        for i in 0..20 {
            write(p, &format!("/mnt/direct{i}"), &[b'B'; 30000]);
        }
    });
    let changed = std::fs::read(&img).unwrap();
    assert!(changed != before, "the direct session changed nothing");
    assert!(changed[..128 << 10] == before[..128 << 10], "the change should lie past the first 128 KiB");

    let e = overlay(&img, &chg).err().expect("resumed over a changed image");
    assert!(e.0.contains("this image changed since"), "{e}");
    let rw = file(&img, false);
    let e = kernel::std_host::commit_sidecar(&chg, rw.as_ref()).err().expect("committed over a changed image");
    assert!(e.0.contains("this image changed since"), "{e}");
    drop(rw);
    assert!(std::fs::read(&img).unwrap() == changed, "a refused commit wrote the image");
    session(file(&img, true), true, |p| {
        for i in 0..20 {
            assert_eq!(read(p, &format!("/mnt/direct{i}")), vec![b'B'; 30000]);
        }
        assert!(p.stat(b"/mnt/from-overlay").is_err());
    });
    let _ = std::fs::remove_dir_all(&dir);
}

/// A whole-disk FFS: sessions carry on from the overlay file while the image stays as it was, then the
/// commit writes their changes in; afterwards the file no longer fits the image.
#[test]
fn a_whole_disk_overlay_file_goes_on_across_sessions_and_commits() {
    let dir = scratch("whole");
    let img = image(&dir, "ufs2-le-16384-2048");
    let orig = std::fs::read(&img).unwrap();
    let chg = dir.join("disk.chg");
    let big: Vec<u8> = (0..300_000u32).map(|i| (i * 31 + i / 977) as u8).collect();
    session(overlay(&img, &chg).unwrap(), false, |p| write(p, "/mnt/first", b"first session"));
    session(overlay(&img, &chg).unwrap(), false, |p| {
        assert_eq!(read(p, "/mnt/first"), b"first session");
        write(p, "/mnt/second", &big);
    });
    assert!(std::fs::read(&img).unwrap() == orig, "an overlay session wrote the image");

    let rw = file(&img, false);
    let c = kernel::std_host::commit_sidecar(&chg, rw.as_ref()).unwrap();
    assert!(c.chunks > 0 && c.bytes >= 300_000, "{} chunks, {} bytes", c.chunks, c.bytes);
    drop(rw);
    session(file(&img, true), true, |p| {
        assert_eq!(read(p, "/mnt/first"), b"first session");
        assert_eq!(read(p, "/mnt/second"), big);
    });
    let e = overlay(&img, &chg).err().expect("the committed file still fit");
    assert!(e.0.contains("another image, or this image changed"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The same on a whole disk changed directly: a change to a file's data block only (no metadata), the
/// smallest change there is, is seen as well.
#[test]
fn one_byte_changed_anywhere_refuses_the_overlay_file() {
    let dir = scratch("byte");
    let img = image(&dir, "ufs2-le-16384-2048");
    let chg = dir.join("disk.chg");
    session(overlay(&img, &chg).unwrap(), false, |p| write(p, "/mnt/new", b"from the overlay"));
    let size = std::fs::metadata(&img).unwrap().len();
    for at in [size - 1, size / 2, 200_000] {
        let rw = FileDevice::open(&img, false).unwrap();
        let mut b = [0u8];
        rw.read_at(at, &mut b).unwrap();
        rw.write_at(at, &[b[0] ^ 0x80]).unwrap();
        let e = overlay(&img, &chg).err().expect("resumed over a changed byte");
        assert!(e.0.contains("this image changed since"), "byte {at}: {e}");
        assert!(kernel::std_host::commit_sidecar(&chg, &rw).is_err(), "byte {at}: committed");
        // Put back, the image fits again.
        rw.write_at(at, &b).unwrap();
        drop(overlay(&img, &chg).unwrap());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A file of format 1 (its fingerprint only the image's size and first 128 KiB) is refused with a
/// message saying why; the image is not written.
#[test]
fn a_format_1_overlay_file_is_refused_with_the_reason() {
    let dir = scratch("v1");
    let img = image(&dir, "disk-mbr");
    let orig = std::fs::read(&img).unwrap();
    let chg = dir.join("old.chg");
    let mut h = b"RUMPJS-OVERLAY1\n".to_vec();
    h.extend_from_slice(&(orig.len() as u64).to_le_bytes());
    h.extend_from_slice(&(CHUNK as u32).to_le_bytes());
    h.extend_from_slice(&[0; 12]);
    h.extend_from_slice(b"RCHK");
    h.extend_from_slice(&(CHUNK as u32).to_le_bytes());
    h.extend_from_slice(&[0; 16]);
    h.extend_from_slice(&vec![0xEE; CHUNK as usize]);
    std::fs::write(&chg, &h).unwrap();
    let e = overlay(&img, &chg).err().expect("format 1 resumed");
    assert!(
        e.0.contains("format 1") && e.0.contains("first 128 KiB") && e.0.contains("begin a new overlay file"),
        "{e}"
    );
    let rw = file(&img, false);
    let e = kernel::std_host::commit_sidecar(&chg, rw.as_ref()).err().expect("format 1 committed");
    assert!(e.0.contains("format 1"), "{e}");
    drop(rw);
    assert!(std::fs::read(&img).unwrap() == orig);
    assert_eq!(std::fs::read(&chg).unwrap(), h, "the refused file was changed");
    let _ = std::fs::remove_dir_all(&dir);
}
