//! The image tools on the command line, as a user runs them: info, newfs, fsck, the one-shot commands
//! (ls, cat, stat, find, du, df, tree, hexdump, sha256, readlink, and the writing ones), get and put.
//! Images come from the committed fixtures (made by Debian's makefs) or from our newfs; where The Sleuth
//! Kit is installed (CI installs it) its fls/icat read the same images independently.

#[path = "../../tests/support/skip.rs"]
mod skip;

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
        skip::skip("the TSK comparison: sleuthkit not installed");
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
    let report = ok(&["newfs", "-O", "2", "-s", "16m", "-v", "roundtrip", i]);
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
        skip::skip("the TSK comparison: sleuthkit not installed");
    }
}

/// Everything about a host tree that a copy can lose, one line per node, sorted by path: type, mode with
/// set-id and sticky bits, owner (when root), size, modification time to the nanosecond, allocated blocks
/// for files with holes, a link target or a content hash, and which names share an inode.
fn describe_tree(root: &Path) -> Vec<String> {
    use std::os::unix::ffi::OsStrExt;
    fn walk(root: &Path, rel: &Path, out: &mut Vec<String>, inodes: &mut std::collections::HashMap<u64, String>) {
        let p = root.join(rel);
        let m = std::fs::symlink_metadata(&p).unwrap();
        let name = String::from_utf8_lossy(rel.as_os_str().as_bytes()).into_owned()
            + &format!(" {:x?}", rel.as_os_str().as_bytes().iter().filter(|b| **b >= 0x80).collect::<Vec<_>>());
        let owner = if unsafe_is_root() { format!("{}:{}", m.uid(), m.gid()) } else { String::new() };
        let ft = m.file_type();
        let what = if ft.is_symlink() {
            format!("-> {:?}", std::fs::read_link(&p).unwrap())
        } else if ft.is_file() {
            let first = inodes.entry(m.ino()).or_insert_with(|| name.clone()).clone();
            let sparse =
                if m.blocks() * 512 < m.size() { format!(" sparse({} KiB)", m.blocks() / 2) } else { String::new() };
            format!("{} nlink {} first {first}{sparse}", sha256_file(&p), m.nlink())
        } else {
            String::new()
        };
        // A directory's mtime changes when the copy fills it, in the source as in the copy; kept anyway.
        out.push(format!(
            "{name} {:o} {owner} {} {}.{:09} {what}",
            m.mode(),
            if ft.is_dir() { 0 } else { m.size() },
            m.mtime(),
            m.mtime_nsec()
        ));
        if ft.is_dir() {
            let mut kids: Vec<_> = std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().file_name()).collect();
            kids.sort();
            for k in kids {
                walk(root, &rel.join(k), out, inodes);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, Path::new(""), &mut out, &mut Default::default());
    out.remove(0); // the top directory itself: its name differs
    out
}

fn unsafe_is_root() -> bool {
    std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

#[test]
fn get_put_round_trip_keeps_everything() {
    use std::os::unix::ffi::OsStrExt;
    let d = scratch("roundtrip-all");
    let src = d.join("src");
    std::fs::create_dir_all(src.join("a/b/c/d/e/f/g/h")).unwrap();
    let w = |rel: &str, data: &[u8]| std::fs::write(src.join(rel), data).unwrap();
    w("plain", b"plain\n");
    w("a/b/c/d/e/f/g/h/deep", b"deep\n");
    w("empty", b"");
    w("a/frag", &vec![1u8; 1500]);
    w("a/blocks", &(0..200_000u32).map(|x| (x % 253) as u8).collect::<Vec<_>>());
    // Odd names: spaces, quotes, a newline, UTF-8, a byte that is not UTF-8, the longest name.
    w("with space & 'quote'", b"odd\n");
    w("new\nline", b"nl\n");
    w("ünïcödé", b"utf8\n");
    std::fs::write(src.join(std::ffi::OsStr::from_bytes(b"caf\xe9")), b"latin-1\n").unwrap();
    w(&"n".repeat(255), b"long name\n");
    // Hard links, across directories too.
    std::fs::hard_link(src.join("plain"), src.join("a/hard1")).unwrap();
    std::fs::hard_link(src.join("plain"), src.join("a/b/hard2")).unwrap();
    std::fs::hard_link(src.join("a/blocks"), src.join("blocks-too")).unwrap();
    // Symlinks: relative, absolute, dangling, to a directory, a long (slow) one.
    for (target, name) in [("plain", "s-rel"), ("/etc/passwd", "s-abs"), ("nowhere", "s-dangling"), ("a/b", "s-dir")] {
        std::os::unix::fs::symlink(target, src.join(name)).unwrap();
    }
    std::os::unix::fs::symlink("x/".repeat(200), src.join("s-long")).unwrap();
    // Sparse files: a hole at the start, in the middle, at the end.
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = std::fs::File::create(src.join("sparse")).unwrap();
        f.seek(SeekFrom::Start(3 << 20)).unwrap();
        f.write_all(b"middle").unwrap();
        f.seek(SeekFrom::Start(9 << 20)).unwrap();
        f.write_all(b"later").unwrap();
        f.set_len(20 << 20).unwrap();
    }
    // Owners when run as root.
    if unsafe_is_root() {
        let c = Command::new("chown").args(["-h", "1234:5678"]).arg(src.join("a/frag")).arg(src.join("s-rel")).status();
        assert!(c.unwrap().success());
    }
    // Modes with set-id and sticky bits (after chown, which clears set-id bits).
    for (rel, mode) in [("plain", 0o640), ("a/frag", 0o4755), ("a/blocks", 0o2711), ("a/b", 0o1777), ("empty", 0o600)] {
        std::fs::set_permissions(src.join(rel), std::fs::Permissions::from_mode(mode)).unwrap();
    }
    // Times to the nanosecond, set last (children first, so directories keep theirs).
    let o = Command::new("sh")
        .arg("-c")
        .arg("find . -depth -exec touch -h -m -d '2001-02-03 04:05:06.123456789' {} +")
        .current_dir(&src)
        .status();
    assert!(o.unwrap().success());
    let before = describe_tree(&src);
    assert!(before.iter().any(|l| l.starts_with("a/frag [] 104755 ")), "{before:#?}");
    assert!(before.iter().any(|l| l.contains("sparse(")), "the host made no hole: {before:#?}");

    for (v, order) in [("1", "be"), ("2", "le")] {
        let img = d.join(format!("ufs{v}-{order}.img"));
        let i = img.to_str().unwrap();
        ok(&["newfs", "-O", v, "-B", order, "-s", "48m", i]);
        ok(&["put", src.to_str().unwrap(), &format!("{i}:/tree")]);
        let f = rumpjs(&["fsck", "-n", i]);
        assert_eq!(f.status.code(), Some(0), "fsck after put:\n{}", String::from_utf8_lossy(&f.stdout));
        // The hole is a hole inside the image too.
        let st = ok(&[
            "--image",
            i,
            "-e",
            "const s = fs.statSync('/ffs/tree/sparse'); console.log(s.blocks * 512 < s.size)",
        ]);
        assert_eq!(st.trim(), "true", "UFS{v}: the sparse file was filled in the image");
        let out = d.join(format!("out{v}"));
        // Owners and set-ID bits come out as they went in only when asked for (as cp -a).
        ok(&["--preserve-all", "get", &format!("{i}:/tree"), out.to_str().unwrap()]);
        let after = describe_tree(&out);
        assert_eq!(before.len(), after.len());
        for (b, a) in before.iter().zip(&after) {
            assert_eq!(b, a, "UFS{v} {order}: changed on the way through the image");
        }
    }
}

/// A REPL session with stdin not a terminal: `lines` typed in, then end of input; (stdout, stderr).
fn repl(args: &[&str], lines: &[&str]) -> (String, String) {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .args(args)
        .env("NO_COLOR", "1")
        .env("HOME", env!("CARGO_TARGET_TMPDIR"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all((lines.join("\n") + "\n").as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

/// df's last column for each path: the mount point of the file system holding it (statvfs's
/// f_mntonname, as NetBSD's df prints it), not the path.
#[test]
fn df_names_the_mount_point_of_the_file_system_holding_a_path() {
    let d = scratch("df");
    let img = fixture(&d, "ufs1-le-8192-1024");
    let i = img.to_str().unwrap();
    for p in ["/links", "/hello.txt", "/"] {
        let df = ok(&["df", i, p]);
        let row = df.lines().nth(1).unwrap_or_default();
        assert!(row.ends_with(" /") && row.starts_with("/dev/"), "df {p}:\n{df}");
    }
    let (out, err) = repl(&["--image", i], &[".df /ffs/links", ".df /ffs/hello.txt /tmp /kern/ostype", ".df -h /"]);
    // The rows of df's tables (a capacity column: "19%", or "-" for kernfs).
    let rows = out.lines().filter(|l| l.contains("% /") || l.ends_with(" - /kern"));
    let ends: Vec<&str> = rows.map(|l| l.rsplit(' ').next().unwrap()).collect();
    assert_eq!(ends, ["/ffs", "/ffs", "/tmp", "/kern", "/"], "{out}\n{err}");
}

/// .mount: an unknown type or option is refused naming it; an image mounts read-only unless rw (as
/// --image without --rw), and a read-only mount and unmount leave the image byte for byte as it was.
#[test]
fn mount_in_the_repl_is_read_only_unless_rw_and_refuses_what_it_does_not_know() {
    let d = scratch("repl-mount");
    let img = fixture(&d, "ufs2-le-8192-1024");
    let i = img.to_str().unwrap();
    let grant = d.to_str().unwrap();
    let before = sha256_file(&img);
    let (out, err) = repl(
        &["--allow-host", grant],
        &[
            ".mkdir /tmp/m",
            ".mount nfs x /tmp/m",
            &format!(".mount ffs {i} /tmp/m bogus=1"),
            &format!(".mount -t ffs -o noatime,bogus {i} /tmp/m"),
            &format!(".mount ffs {i} /tmp/m"),
            ".mount",
            "try { fs.writeFileSync('/tmp/m/x', 'y'); 'written' } catch (e) { e.code }",
            "fs.readFileSync('/tmp/m/hello.txt', 'utf8')",
            ".umount /tmp/m",
            ".help mount",
            ".help load",
        ],
    );
    let all = format!("{out}\n{err}");
    assert!(all.contains("mount: nfs: unknown file-system type (this kernel has ffs, tmpfs, kernfs)"), "{all}");
    assert!(!all.contains("x: No such file or directory"), "{all}");
    assert!(all.contains("mount: bogus: unknown option for ffs (known: ro, rw, partition=P"), "{all}");
    assert!(all.contains("on /tmp/m type ffs (read-only, local)"), "{all}");
    assert!(all.contains("'EROFS'") && !all.contains("'written'"), "{all}");
    assert!(all.contains("'hello, world\\n'"), "{all}");
    assert!(
        all.contains("mount [-rw] [TYPE SPEC DIR [rw]") && all.contains("read-only unless rw (-w, -o rw)"),
        "{all}"
    );
    assert!(!all.contains("no command load") && all.contains("evaluate a script file"), "{all}");
    assert_eq!(sha256_file(&img), before, "a read-only .mount wrote to the image");

    // rw asks for a read-write mount: -o rw after DIR, or the word rw.
    let (out, err) = repl(
        &["--allow-host", grant],
        &[
            ".mkdir /tmp/m",
            &format!(".mount ffs {i} /tmp/m -o rw"),
            "fs.writeFileSync('/tmp/m/new.txt', 'rw\\n'); 'written'",
            ".umount /tmp/m",
            &format!(".mount ffs {i} /tmp/m rw"),
            ".mount",
            "fs.readFileSync('/tmp/m/new.txt', 'utf8')",
            ".umount /tmp/m",
        ],
    );
    let all = format!("{out}\n{err}");
    assert!(all.contains("'written'") && all.contains("'rw\\n'"), "{all}");
    assert!(all.contains("on /tmp/m type ffs (local)"), "{all}");
    assert_ne!(sha256_file(&img), before);
    assert_eq!(ok(&["cat", i, "/new.txt"]), "rw\n");
    assert_eq!(rumpjs(&["fsck", "-n", i]).status.code(), Some(0));
}

fn stderr_of(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// What is wrong is said in the command's words, on one line: a missing image is not replaced by the
/// next host file named, get and put name their own paths (no --allow-host the user never typed).
/// Usage errors exit 2 (clap's convention), fsck's 1 (FSCK_EXIT_USAGE in NetBSD's exitvalues.h).
#[test]
fn one_shot_errors_say_what_is_wrong_and_usage_errors_exit_2_fsck_1() {
    let d = scratch("errors");
    let img = fixture(&d, "ufs1-le-8192-1024");
    let i = img.to_str().unwrap();
    let missing = d.join("missing.img");
    let m = missing.to_str().unwrap();

    let o = rumpjs(&["cat", m, "/etc/hostname"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr_of(&o), format!("rumpjs cat: {m}: No such file or directory\n"));
    let o = rumpjs(&["put", "/nope", &format!("{i}:/x")]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr_of(&o), "rumpjs put: /nope: No such file or directory\n");
    let o = rumpjs(&["get", &format!("{i}:/hello.txt"), "/nonexistdir/x"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr_of(&o),
        "rumpjs get: /nonexistdir: No such file or directory (the destination's directory must exist)\n"
    );
    // Options before IMAGE, values and all, still find it.
    assert!(ok(&["tree", "-L", "1", i]).contains("├── hello.txt"));
    assert_eq!(
        ok(&["hexdump", "-n4", i, "/hello.txt"]).lines().next(),
        Some("00000000  68 65 6c 6c                                       |hell|")
    );
    let links = ok(&["find", "-type", "l", i, "/links"]);
    assert!(links.lines().count() >= 5 && links.lines().all(|l| l.starts_with("/links/")), "{links}");

    for (args, code) in [
        (vec!["ls"], 2),
        (vec!["cat", i], 2),
        (vec!["ls", "-Z", i], 2),
        (vec!["get", "nocolon", "x"], 2),
        (vec!["put", "x", "nocolon"], 2),
        (vec!["newfs"], 1),
        (vec!["fsck"], 1),
        (vec!["fsck", "-n", "-y", i], 1),
        (vec!["fsck", "-ny", i], 1),
        (vec!["fsck", "-n", "-p", i], 1),
        (vec!["fsck", "-z", i], 1),
        (vec!["fsck", i, i], 1),
    ] {
        let o = rumpjs(&args);
        assert_eq!(o.status.code(), Some(code), "rumpjs {args:?}: {}", stderr_of(&o));
        let e = stderr_of(&o);
        assert!(e.contains("usage") || e.contains("unknown option"), "rumpjs {args:?}: {e}");
    }
    // fsck's flags after IMAGE too.
    assert_eq!(rumpjs(&["fsck", i, "-n"]).status.code(), Some(0));

    let new = d.join("new.img");
    let o = rumpjs(&["newfs", "-B", "middle", "-s", "1m", new.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr_of(&o).starts_with("rumpjs newfs: -B: be or le, not 'middle'\n"), "{}", stderr_of(&o));
    assert!(!new.exists());
}

/// A session with --overlay-file killed after an fsync leaves the overlay's view not clean; fsck
/// checks that view (image + changes), -y writes its repairs into the overlay file, never the image,
/// and the next session mounts it and finds what was fsync'd.
#[test]
fn fsck_checks_and_repairs_the_view_an_overlay_file_keeps() {
    use std::io::BufRead;
    let d = scratch("fsck-overlay");
    let img = fixture(&d, "ufs2-le-8192-1024");
    let i = img.to_str().unwrap();
    let ovl = d.join("changes.ovl");
    let c = ovl.to_str().unwrap();
    let base = sha256_file(&img);

    let script = "fs.mkdirSync('/ffs/kept'); \
        for (let n = 0; n < 5; n++) { const fd = fs.openSync('/ffs/kept/f' + n, 'w'); \
          fs.writeSync(fd, 'data ' + n + '\\n'); fs.fsyncSync(fd); fs.closeSync(fd); } \
        for (const dir of ['/ffs/kept', '/ffs']) { const fd = fs.openSync(dir, 'r'); fs.fsyncSync(fd); fs.closeSync(fd); } \
        console.log('SYNCED'); setInterval(() => {}, 1000);";
    let mut child = Command::new(BIN)
        .args(["--image", i, "--overlay-file", c, "-e", script])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().map(|l| l.unwrap_or_default());
    if first.as_deref() != Some("SYNCED") {
        let _ = child.kill();
        let o = child.wait_with_output().unwrap();
        panic!("the session did not get to its marker: {first:?}\n{}", stderr_of(&o));
    }
    child.kill().unwrap(); // SIGKILL: no sync, no unmount
    child.wait().unwrap();
    assert_eq!(sha256_file(&img), base, "an overlay session wrote to the image");

    // The view is not clean: a session refuses it.
    let o = rumpjs(&["--image", i, "--overlay-file", c, "-e", "0"]);
    assert_ne!(o.status.code(), Some(0));
    assert!(stderr_of(&o).contains("not clean"), "{}", stderr_of(&o));

    // fsck -n checks that view and says so; it writes nothing anywhere.
    let sidecar = sha256_file(&ovl);
    let o = rumpjs(&["fsck", "-n", "--overlay-file", c, i]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains(&format!("** {i} as {c} shows it")), "{text}");
    assert!(text.contains("** Phase 5 - Check Cyl groups"), "{text}");
    assert!(text.contains("** NOT CLEAN (fs_clean 0x02)"), "{text}");
    let unresolved = text.contains("UNRESOLVED INCONSISTENCIES REMAIN");
    assert_eq!(o.status.code(), Some(if unresolved { 2 } else { 0 }), "{text}");
    assert_eq!(sha256_file(&ovl), sidecar, "fsck -n changed the overlay file");
    assert_eq!(sha256_file(&img), base);

    // -y repairs into the overlay file, and marks the view clean.
    let o = rumpjs(&["fsck", "-y", "--overlay-file", c, i]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{text}{}", stderr_of(&o));
    assert!(text.contains("FILE SYSTEM MARKED CLEAN"), "{text}");
    assert_ne!(sha256_file(&ovl), sidecar);
    assert_eq!(sha256_file(&img), base, "fsck -y --overlay-file wrote to the image");
    let o = rumpjs(&["fsck", "-n", "--overlay-file", c, i]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(!text.contains("NOT CLEAN"), "{text}");

    // The next session mounts it read-write and finds the fsync'd files.
    let got = ok(&[
        "--image",
        i,
        "--overlay-file",
        c,
        "-e",
        "console.log([0, 1, 2, 3, 4].map((n) => fs.readFileSync('/ffs/kept/f' + n, 'utf8')).join(''))",
    ]);
    assert_eq!(got, "data 0\ndata 1\ndata 2\ndata 3\ndata 4\n\n");
    assert_eq!(sha256_file(&img), base);
    // The image alone is as it was: clean, without the files.
    assert_eq!(rumpjs(&["fsck", "-n", i]).status.code(), Some(0));
    assert_eq!(rumpjs(&["ls", i, "/kept"]).status.code(), Some(1));
}
