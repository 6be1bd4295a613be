//! Nothing lost: every FFS fixture, written out as a host file, is mounted read-only through a
//! FileDevice opened read-only (a read-only mount is read-only at the host: the file is not even opened
//! for writing), walked completely — every directory, attribute, link and file byte — unmounted, and
//! its sha256 is the same as before. The same for damaged copies, for `fsck -n`, and for an overlay
//! session's writes.

use crate::harness;
use kernel::dev::{BlockDevice, Dev, FileDevice, OverlayDevice};
use kernel::fs::ffs::fsck::{fsck, FsckOptions, Repair};
use kernel::vfs::*;
use kernel::Errno;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// SHA-256 (FIPS 180-4), small and slow enough for a few hundred MiB in a test.
fn sha256(data: &[u8]) -> String {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
        0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
        0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
        0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
        0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
        0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
        0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] =
        [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
    for block in msg.chunks(64) {
        let mut w = [0u32; 64];
        for i in 0..16 {
            w[i] = u32::from_be_bytes(block[4 * i..4 * i + 4].try_into().unwrap());
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16].wrapping_add(s0).wrapping_add(w[i - 7]).wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh.wrapping_add(s1).wrapping_add(ch).wrapping_add(K[i]).wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    h.iter().map(|x| format!("{x:08x}")).collect()
}

/// The sha256 of a host file: by sha256sum(1) where there is one (this test crate is built without
/// optimisation, and hashes a few hundred MiB), else by `sha256`.
fn file_sha(path: &Path) -> String {
    if let Ok(out) = std::process::Command::new("sha256sum").arg(path).output() {
        if out.status.success() {
            let text = String::from_utf8_lossy(&out.stdout);
            if let Some(h) = text.split_whitespace().next().filter(|h| h.len() == 64) {
                return h.to_string();
            }
        }
    }
    sha256(&std::fs::read(path).unwrap())
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/ffs")
}

fn gunzip(path: &Path) -> Vec<u8> {
    let mut v = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap()).read_to_end(&mut v).unwrap();
    v
}

/// A scratch directory of this test process.
fn scratch(what: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rumpjs-hostile-{}-{what}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every fixture image: (name, bytes).
fn images() -> Vec<(String, Vec<u8>)> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".img.gz"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|p| {
            let n = p.file_name().unwrap().to_string_lossy().trim_end_matches(".img.gz").to_string();
            (n, gunzip(&p))
        })
        .collect()
}

/// Mounts `dev` read-only (each partition holding FFS when the disk has several), walks all of it
/// without limits that a fixture reaches, unmounts. Returns the number of mounts that worked.
fn mount_and_walk(dev: Dev) -> usize {
    let (_k, p) = harness::kernel_with(dev.clone());
    let mut wants: Vec<Vec<(String, String)>> = vec![Vec::new()];
    let table = kernel::dev::part::probe(dev.as_ref()).unwrap_or_default();
    if table.iter().filter(|p| p.is_ffs).count() > 1 {
        wants = table.iter().filter(|p| p.is_ffs).map(|p| vec![("partition".into(), p.label())]).collect();
    }
    let mut mounted = 0;
    for opts in wants {
        let mo = MountOptions { readonly: true, force: false, opts };
        if p.mount("ffs", b"/mnt", MNT_RDONLY, Some("/dev/fz"), &mo).is_err() {
            continue;
        }
        mounted += 1;
        let mut b = harness::Budget { entries: 1 << 20, bytes: 1 << 40 };
        harness::walk(&p, b"/mnt", 0, &mut b);
        p.unmount(b"/mnt", 0).unwrap();
    }
    mounted
}

#[test]
fn read_only_fixtures_are_unchanged_after_a_full_walk() {
    let dir = scratch("ro");
    let mut mounted = 0;
    for (name, data) in images() {
        let path = dir.join(format!("{name}.img"));
        std::fs::write(&path, &data).unwrap();
        let before = file_sha(&path);
        let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
        let dev: Dev = Arc::new(FileDevice::open(&path, true).unwrap());
        // Physically read-only: the device refuses writes itself.
        assert_eq!(dev.write_at(0, &[0u8; 512]), Err(Errno::EROFS), "{name}");
        let n = mount_and_walk(dev);
        assert!(n >= 1, "{name}: did not mount");
        mounted += n;
        // fsck -n reads everything and writes nothing.
        let dev: Dev = Arc::new(FileDevice::open(&path, true).unwrap());
        let opts = FsckOptions { repair: Repair::No, ..Default::default() };
        let _ = fsck(&dev, &opts, &kernel::hyper::DeterministicHypervisor::default_for_tests(), &mut |_| {});
        assert_eq!(file_sha(&path), before, "{name}: image changed");
        assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), mtime, "{name}: mtime changed");
        std::fs::remove_file(&path).unwrap();
    }
    assert!(mounted >= 28, "{mounted}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Damaged copies (bytes flipped in the superblock, cylinder groups, inode blocks and the root
/// directory of each of three fixtures) are walked as far as they go; not a byte of them changes.
#[test]
fn damaged_read_only_images_are_unchanged_too() {
    let dir = scratch("damaged");
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for name in ["ufs1-42-be", "ufs2-le-8192-1024", "disk-mbr-label"] {
        let clean = gunzip(&fixtures().join(format!("{name}.img.gz")));
        for round in 0..12 {
            let mut data = clean.clone();
            for _ in 0..(1 + next() % 16) {
                // The first 1 MiB holds the superblock, group 0 and the root directory of each.
                let at = (next() % (1 << 20).min(data.len() as u64)) as usize;
                data[at] ^= 1 << (next() % 8);
            }
            let path = dir.join(format!("{name}-{round}.img"));
            std::fs::write(&path, &data).unwrap();
            let before = file_sha(&path);
            mount_and_walk(Arc::new(FileDevice::open(&path, true).unwrap()));
            assert_eq!(file_sha(&path), before, "{name} round {round}");
            std::fs::remove_file(&path).unwrap();
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A session on an overlay writes into memory only: its image is untouched whatever the session does
/// (while FFS mounts read-only only, the overlay's own writes are what is checked).
#[test]
fn overlay_sessions_leave_their_image_untouched() {
    let dir = scratch("overlay");
    let data = gunzip(&fixtures().join("ufs2-be-8192-1024.img.gz"));
    let path = dir.join("overlay.img");
    std::fs::write(&path, &data).unwrap();
    let before = file_sha(&path);
    let base: Dev = Arc::new(FileDevice::open(&path, true).unwrap());
    let ov = Arc::new(OverlayDevice::new(base));
    ov.write_at(65536, &[0xA5; 8192]).unwrap();
    ov.write_at(0, &[1u8; 100]).unwrap();
    let (_k, p) = harness::kernel_with(Arc::new(OverlayDevice::new(Arc::new(FileDevice::open(&path, true).unwrap()))));
    let mo = MountOptions { readonly: false, force: false, opts: Vec::new() };
    if p.mount("ffs", b"/mnt", 0, Some("/dev/fz"), &mo).is_ok() {
        for i in 0..20 {
            let name = format!("/mnt/ov-{i}");
            if let Ok(fd) = p.open(name.as_bytes(), O_CREAT | O_WRONLY, 0o644) {
                let _ = p.write(fd, &[i as u8; 10000]);
                let _ = p.close(fd);
            }
        }
        let _ = p.unlink(b"/mnt/hello.txt");
        let _ = p.sync();
        p.unmount(b"/mnt", 0).unwrap();
    }
    drop(p);
    assert_eq!(file_sha(&path), before);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sha256_known_answers() {
    assert_eq!(sha256(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_eq!(sha256(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    let m = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    assert_eq!(sha256(m), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 253) as u8).collect();
    let dir = scratch("sha");
    std::fs::write(dir.join("f"), &data).unwrap();
    assert_eq!(file_sha(&dir.join("f")), sha256(&data));
    let _ = std::fs::remove_dir_all(&dir);
}
