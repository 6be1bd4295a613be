//! An inode that lies about its size, on the command line: a file of a makefs image (the committed
//! fixture) made to claim 8 PB with no blocks. `rumpjs stat` still answers, `rumpjs cat`, `sha256`, `get`
//! and `hexdump` fail at once instead of reading petabytes of holes (and a host `read` through
//! `rumpjs mount`, where FUSE is available), and `rumpjs fsck -y`
//! clears the inode as fsck_ffs does, after which the image is clean.

use kernel::dev::MemDevice;
use kernel::fs::ffs::inode::Dinode;
use kernel::fs::ffs::superblock::Superblock;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_rumpjs");

fn rumpjs(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run rumpjs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The fixture with `path`'s inode claiming `size` bytes and holding no blocks.
fn lying_image(dir: &Path, fixture: &str, path: &str, size: u64) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/ffs").join(format!("{fixture}.img.gz"));
    let mut data = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&src).unwrap()).read_to_end(&mut data).unwrap();
    let img = dir.join(format!("{fixture}.img"));
    std::fs::write(&img, &data).unwrap();
    let st = rumpjs(&["stat", img.to_str().unwrap(), path]);
    let out = text(&st.stdout);
    let ino: u64 = out
        .split("Inode:")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no inode number in {out}"));
    let sb = Superblock::find(&MemDevice::new(data.clone(), true), &mut Vec::new()).unwrap();
    let (fsba, idx) = sb.ino_to_fsba(ino);
    let isz = sb.ufs.dinode_size() as usize;
    let at = sb.frag_to_bytes(fsba) as usize + idx * isz;
    let raw = &mut data[at..at + isz];
    let mut d = Dinode::decode(raw, sb.order, sb.ufs, false);
    d.size = size;
    d.blocks = 0;
    d.db = [0; 12];
    d.ib = [0; 3];
    d.encode(raw, sb.order, sb.ufs, false);
    std::fs::write(&img, &data).unwrap();
    img
}

#[test]
fn cat_of_a_file_claiming_eight_petabytes_fails_at_once() {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("impossible_sizes");
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    let size = 8u64 << 50;
    let img = lying_image(&d, "ufs1-le-8192-1024", "/hello.txt", size);
    let i = img.to_str().unwrap();
    // stat answers (tools can list the file).
    let st = rumpjs(&["stat", i, "/hello.txt"]);
    assert!(st.status.success(), "{}", text(&st.stderr));
    assert!(text(&st.stdout).contains(&format!("Size: {size}")), "{}", text(&st.stdout));
    // Reading fails, at once.
    // cat and sha256 read whole files and refuse one this large before reading; get and hexdump read
    // it piece by piece, and the kernel refuses the first read.
    let out = d.join("got");
    let from = format!("{i}:/hello.txt");
    let cases: [(Vec<&str>, &str); 4] = [
        (vec!["cat", i, "/hello.txt"], "is greater than 2 gib"),
        (vec!["sha256", i, "/hello.txt"], "is greater than 2 gib"),
        (vec!["get", &from, out.to_str().unwrap()], "i/o error"),
        (vec!["hexdump", i, "/hello.txt"], "i/o error"),
    ];
    for (args, why) in cases {
        let t = Instant::now();
        let r = rumpjs(&args);
        let took = t.elapsed();
        assert!(!r.status.success(), "{args:?} succeeded");
        assert!(text(&r.stderr).to_lowercase().contains(why), "{args:?}: {}", text(&r.stderr));
        assert!(r.stdout.len() < 1 << 20, "{args:?}: {} bytes of holes written", r.stdout.len());
        assert!(took < Duration::from_secs(20), "{args:?} took {took:?}");
    }
    assert!(std::fs::metadata(&out).map_or(0, |m| m.len()) == 0, "get wrote no holes");
    // Through `rumpjs mount`, where FUSE is here: stat answers, reading fails at once with EIO.
    if Path::new("/dev/fuse").exists() && Command::new("fusermount3").arg("-V").output().is_ok() {
        let mnt = d.join("mnt");
        std::fs::create_dir_all(&mnt).unwrap();
        let o = rumpjs(&["mount", i, mnt.to_str().unwrap()]);
        assert!(o.status.success(), "rumpjs mount: {}", text(&o.stderr));
        let md = std::fs::metadata(mnt.join("hello.txt"));
        let t = Instant::now();
        let r = std::fs::File::open(mnt.join("hello.txt")).and_then(|mut f| f.read(&mut [0u8; 4096]));
        let took = t.elapsed();
        let u = rumpjs(&["umount", mnt.to_str().unwrap()]);
        assert_eq!(md.map(|m| m.len()).ok(), Some(size), "stat through the mount");
        assert_eq!(r.map_err(|e| e.raw_os_error()), Err(Some(5)), "read through the mount: EIO");
        assert!(took < Duration::from_secs(20), "read through the mount took {took:?}");
        assert!(u.status.success(), "rumpjs umount: {}", text(&u.stderr));
    }
    // fsck -n reports the inode as fsck_ffs's pass 1 does; -y clears it; then the image is clean.
    let n = rumpjs(&["fsck", "-n", i]);
    assert_eq!(n.status.code(), Some(2), "{}", text(&n.stdout));
    assert!(text(&n.stdout).contains("UNKNOWN FILE TYPE I="), "{}", text(&n.stdout));
    let y = rumpjs(&["fsck", "-y", i]);
    assert!(y.status.success(), "{}{}", text(&y.stdout), text(&y.stderr));
    let n = rumpjs(&["fsck", "-n", i]);
    assert_eq!(n.status.code(), Some(0), "{}", text(&n.stdout));
    let c = rumpjs(&["cat", i, "/hello.txt"]);
    assert!(text(&c.stderr).contains("No such file or directory"), "{}", text(&c.stderr));
}
