//! The image tools on the command line, as a user runs them: info, newfs, fsck, the one-shot commands
//! (ls, cat, stat, find, du, df, tree, hexdump, sha256, readlink, and the writing ones), get and put.
//! Images come from the committed fixtures (made by Debian's makefs) or from our newfs; where The Sleuth
//! Kit is installed (CI installs it) its fls/icat read the same images independently.

use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_rumpjs");

fn rumpjs(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run rumpjs")
}

fn ok(args: &[&str]) -> String {
    let o = rumpjs(args);
    assert!(
        o.status.success(),
        "rumpjs {args:?} failed ({:?})\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tools").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A committed fixture image, decompressed into `dir`.
fn fixture(dir: &Path, name: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/ffs").join(format!("{name}.img.gz"));
    let mut data = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&src).unwrap()).read_to_end(&mut data).unwrap();
    let p = dir.join(format!("{name}.img"));
    std::fs::write(&p, data).unwrap();
    p
}

fn have(tool: &str) -> bool {
    Command::new("sh").arg("-c").arg(format!("command -v {tool}")).output().is_ok_and(|o| o.status.success())
}

fn sha256_file(p: &Path) -> String {
    let o = Command::new("sha256sum").arg(p).output().unwrap();
    String::from_utf8_lossy(&o.stdout).split_whitespace().next().unwrap_or("").to_string()
}

#[test]
fn info_reports_the_superblock_and_the_partition_table() {
    let d = scratch("info");
    let img = fixture(&d, "ufs2-be-16384-2048");
    let t = ok(&["info", img.to_str().unwrap()]);
    assert!(t.contains("UFS2 (FFSv2), big-endian"), "{t}");
    assert!(t.contains("block size:        16384 bytes, fragment size 2048"), "{t}");
    assert!(t.contains("clean:             yes"), "{t}");
    let j = ok(&["info", "--json", img.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&j).expect("info --json is JSON");
    assert_eq!(v["byte_order"], "big-endian", "{j}");

    let disk = fixture(&d, "disk-mbr-label");
    let t = ok(&["info", disk.to_str().unwrap()]);
    assert!(t.contains("== partition a ==") && t.contains("== partition e =="), "{t}");
    assert!(t.contains("disklabel e: offset 6578176"), "{t}");
    let t = ok(&["info", "--partition", "e", disk.to_str().unwrap()]);
    assert!(t.contains("file system on:    disklabel e"), "{t}");
    let o = rumpjs(&["info", d.join("missing.img").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("No such file or directory"));
}

#[test]
fn one_shot_commands_read_an_image_as_fs_utils_do() {
    let d = scratch("oneshot");
    let img = fixture(&d, "ufs1-le-8192-1024");
    let i = img.to_str().unwrap();
    let before = sha256_file(&img);
    let ls = ok(&["ls", i]);
    assert_eq!(ls.lines().next(), Some("big_dir"), "{ls}");
    assert!(ls.contains("hello.txt"));
    let ll = ok(&["ls", "-l", i, "/links"]);
    assert!(ll.lines().any(|l| l.starts_with('l') && l.ends_with(" l1 -> t")), "{ll}");
    assert_eq!(ok(&["cat", i, "/hello.txt"]), "hello, world\n");
    let st = ok(&["stat", i, "/hello.txt"]);
    assert!(st.contains("Size: 13") && st.contains("regular file"), "{st}");
    let links = ok(&["find", i, "-type", "l"]);
    assert!(links.lines().all(|l| l.starts_with("/links/")) && links.lines().count() >= 5, "{links}");
    let du = ok(&["du", "-s", i]);
    assert!(du.trim_end().ends_with("\t/"), "{du}");
    let df = ok(&["df", i]);
    assert!(df.lines().nth(1).is_some_and(|l| l.ends_with(" /")), "{df}");
    let tree = ok(&["tree", "-L", "1", i]);
    assert!(tree.contains("├── hello.txt") && tree.contains("directories"), "{tree}");
    let hx = ok(&["hexdump", "-n", "16", i, "/hello.txt"]);
    assert!(hx.starts_with("00000000  68 65 6c 6c 6f 2c 20 77  6f 72 6c 64 0a"), "{hx}");
    assert_eq!(ok(&["readlink", i, "/links/l1"]), "t\n");
    let sum = ok(&["sha256", i, "/hello.txt"]);
    assert!(sum.contains("853ff93762a06ddbf722c4ebe9ddd66d8f63ddaea97f521c3ecc20da7c976020"), "{sum}");
    // Errors: a missing file, a missing image, an unknown option.
    let o = rumpjs(&["cat", i, "/nope"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cat: /nope: No such file or directory"));
    let o = rumpjs(&["ls", d.join("nope.img").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let o = rumpjs(&["ls", "-Z", i]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown option"));
    // Read-only commands never write a byte of the image.
    assert_eq!(sha256_file(&img), before);

    // The Sleuth Kit reads the same file the same way.
    if have("icat") && have("ifind") {
        let ino = Command::new("ifind").args(["-n", "hello.txt", i]).output().unwrap();
        let ino = String::from_utf8_lossy(&ino.stdout).trim().to_string();
        let tsk = Command::new("icat").args([i, &ino]).output().unwrap();
        assert_eq!(tsk.stdout, b"hello, world\n");
    } else {
        eprintln!("skipped the TSK comparison: sleuthkit not installed");
    }
}

#[test]
fn writing_commands_change_an_image_that_stays_fsck_clean() {
    let d = scratch("writes");
    let img = fixture(&d, "ufs2-le-8192-1024");
    let i = img.to_str().unwrap();
    ok(&["mkdir", i, "-p", "/new/deeper"]);
    ok(&["touch", i, "/new/file"]);
    ok(&["ln", i, "-s", "file", "/new/link"]);
    ok(&["mv", i, "/new/file", "/new/deeper/moved"]);
    ok(&["chmod", i, "600", "/new/deeper/moved"]);
    ok(&["chown", i, "1000:100", "/new/deeper/moved"]);
    ok(&["rm", i, "-r", "/sizes"]);
    let ll = ok(&["ls", "-l", i, "/new/deeper"]);
    assert!(ll.contains("-rw------- 1 1000 100"), "{ll}");
    let ls = ok(&["ls", i]);
    assert!(!ls.contains("sizes") && ls.contains("new"), "{ls}");
    let f = ok(&["fsck", "-n", i]);
    assert!(f.contains("** Phase 5"), "{f}");
    assert!(ok(&["info", i]).contains("clean:             yes"));
}

#[test]
fn newfs_fsck_put_get_round_trip_a_tree() {
    let d = scratch("roundtrip");
    let img = d.join("new.img");
    let i = img.to_str().unwrap();
    let report = ok(&["newfs", "-O", "2", "-s", "16m", "-V", "roundtrip", i]);
    assert!(report.contains("super-block backups"), "{report}");
    assert_eq!(std::fs::metadata(&img).unwrap().len(), 16 << 20);
    let f = rumpjs(&["fsck", "-n", i]);
    assert_eq!(f.status.code(), Some(0), "{}", String::from_utf8_lossy(&f.stdout));

    // A host tree with what copies tend to lose.
    let src = d.join("src");
    std::fs::create_dir_all(src.join("sub/deep")).unwrap();
    std::fs::write(src.join("plain.txt"), b"plain\n").unwrap();
    std::fs::write(src.join("sub/with space & 'quote'"), b"odd name\n").unwrap();
    std::fs::write(src.join("sub/deep/ünïcödé.txt"), "utf-8 name\n").unwrap();
    std::fs::hard_link(src.join("plain.txt"), src.join("sub/hardlink")).unwrap();
    std::os::unix::fs::symlink("../plain.txt", src.join("sub/symlink")).unwrap();
    std::fs::set_permissions(src.join("plain.txt"), std::fs::Permissions::from_mode(0o640)).unwrap();
    let big: Vec<u8> = (0..300_000u32).map(|x| (x * 7 % 251) as u8).collect();
    std::fs::write(src.join("sub/big.bin"), &big).unwrap();
    let sparse = std::fs::File::create(src.join("sparse")).unwrap();
    sparse.set_len(5 << 20).unwrap();
    drop(sparse);

    let put = ok(&["put", src.to_str().unwrap(), &format!("{i}:/tree")]);
    assert!(put.contains("bytes copied"), "{put}");
    let f = rumpjs(&["fsck", "-n", i]);
    assert_eq!(f.status.code(), Some(0), "fsck after put:\n{}", String::from_utf8_lossy(&f.stdout));
    let ll = ok(&["ls", "-l", i, "/tree/sub"]);
    assert!(ll.contains("symlink -> ../plain.txt"), "{ll}");

    let out = d.join("out");
    ok(&["get", &format!("{i}:/tree"), out.to_str().unwrap()]);
    for rel in
        ["plain.txt", "sub/with space & 'quote'", "sub/deep/ünïcödé.txt", "sub/big.bin", "sub/hardlink", "sparse"]
    {
        assert_eq!(std::fs::read(src.join(rel)).unwrap(), std::fs::read(out.join(rel)).unwrap(), "{rel}");
    }
    assert_eq!(std::fs::read_link(out.join("sub/symlink")).unwrap(), Path::new("../plain.txt"));
    let a = std::fs::metadata(out.join("plain.txt")).unwrap();
    assert_eq!(a.mode() & 0o7777, 0o640);

    // The Sleuth Kit finds our newfs's UFS2 superblock where NetBSD puts it and reads what we wrote.
    if have("fls") {
        let fls = Command::new("fls").args(["-r", "-p", i]).output().unwrap();
        let fls = String::from_utf8_lossy(&fls.stdout);
        assert!(fls.contains("tree/sub/deep/ünïcödé.txt"), "{fls}");
    } else {
        eprintln!("skipped the TSK comparison: sleuthkit not installed");
    }
}
