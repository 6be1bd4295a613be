//! `rumpjs makefs` as a user runs it: images from a host tree that read back as the tree (through our
//! reader and through The Sleuth Kit), pass our fsck, match what Debian's makefs (NetBSD's) makes of the
//! same tree and spec, and are byte-identical from run to run and from folder to folder. Where makefs or
//! sleuthkit is missing (a developer's machine) those comparisons say "skipped"; `.ci/run` installs both.

#[path = "../../tests/support/skip.rs"]
mod skip;

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_rumpjs");

fn rumpjs_in(cwd: &Path, args: &[&str]) -> Output {
    Command::new(BIN).current_dir(cwd).args(args).env_remove("SOURCE_DATE_EPOCH").output().expect("run rumpjs")
}

fn ok_in(cwd: &Path, args: &[&str]) -> String {
    let o = rumpjs_in(cwd, args);
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
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("makefs").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn have(tool: &str) -> bool {
    Command::new("sh").arg("-c").arg(format!("command -v {tool}")).output().is_ok_and(|o| o.status.success())
}

fn sha(data: &[u8]) -> String {
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

fn set_mtime(p: &Path, sec: i64, nsec: i64) {
    let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
    let ts = [libc::timespec { tv_sec: sec, tv_nsec: nsec }, libc::timespec { tv_sec: sec, tv_nsec: nsec }];
    let r = unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), ts.as_ptr(), libc::AT_SYMLINK_NOFOLLOW) };
    assert_eq!(r, 0, "utimensat {}", p.display());
}

/// A tree with files at the size boundaries of small and large blocks (fragments, 12 direct blocks,
/// single and double indirect with 4 KiB blocks), a sparse file, fast and slow symlinks, hard links, a
/// fifo, a directory of 600 entries, a 255-byte name, UTF-8 and space in names, several modes; every
/// time set to a fixed instant with nanoseconds, so copies of it are alike.
fn make_tree(root: &Path) {
    std::fs::create_dir_all(root.join("sub/deep/er")).unwrap();
    std::fs::create_dir_all(root.join("many")).unwrap();
    let mut seed = 0x1234_5678_u64;
    let mut bytes = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (seed >> 33) as u8
            })
            .collect()
    };
    for n in [0usize, 1, 511, 1024, 1025, 4095, 4096, 8193, 12 * 4096, 12 * 4096 + 1, 12 * 8192 + 100, 3 << 20] {
        std::fs::write(root.join(format!("size-{n}")), bytes(n)).unwrap();
    }
    // 10 MiB with data only in its first and last blocks: a hole in between.
    let f = std::fs::File::create(root.join("sparse")).unwrap();
    use std::os::unix::fs::FileExt;
    f.write_all_at(b"start", 0).unwrap();
    f.write_all_at(b"end\n", 10 << 20).unwrap();
    drop(f);
    std::fs::write(root.join("a.txt"), "hello\n").unwrap();
    std::fs::hard_link(root.join("a.txt"), root.join("sub/hard")).unwrap();
    std::fs::hard_link(root.join("a.txt"), root.join("sub/deep/hard2")).unwrap();
    std::os::unix::fs::symlink("a.txt", root.join("fast")).unwrap();
    std::os::unix::fs::symlink("x".repeat(119), root.join("fast-119")).unwrap();
    std::os::unix::fs::symlink("y".repeat(400), root.join("slow")).unwrap();
    std::os::unix::fs::symlink("/", root.join("to-root")).unwrap();
    let c = std::ffi::CString::new(root.join("fifo").as_os_str().as_encoded_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o640) }, 0);
    for i in 0..600 {
        std::fs::write(root.join(format!("many/entry-{i:04}")), format!("{i}\n")).unwrap();
    }
    std::fs::write(root.join("n".repeat(255)), "long name\n").unwrap();
    std::fs::write(root.join("sp ace é ü"), "utf-8\n").unwrap();
    std::fs::write(root.join("sub/deep/er/script"), "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(root.join("sub/deep/er/script"), std::fs::Permissions::from_mode(0o4755)).unwrap();
    std::fs::set_permissions(root.join("sub/deep"), std::fs::Permissions::from_mode(0o1777)).unwrap();
    // Times last, deepest first, so making the entries does not move their directories' times.
    let mut all = Vec::new();
    walk(root, &mut all);
    all.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    for (i, p) in all.iter().enumerate() {
        set_mtime(p, 1_300_000_000 + i as i64, 123_456_789);
    }
    set_mtime(root, 1_299_999_999, 5);
}

fn walk(d: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(d).unwrap() {
        let p = e.unwrap().path();
        out.push(p.clone());
        if std::fs::symlink_metadata(&p).unwrap().is_dir() {
            walk(&p, out);
        }
    }
}

/// What a file system says of each path: type and mode, owner, links, size (not of directories, whose
/// size depends on the block layout), modification time, content hash or link target, rdev.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Rec {
    mode: u32,
    uid: u32,
    gid: u32,
    nlink: u64,
    size: Option<u64>,
    mtime: (i64, i64),
    data: Option<String>,
    rdev: u64,
}

fn host_manifest(root: &Path) -> BTreeMap<String, Rec> {
    let mut all = Vec::new();
    walk(root, &mut all);
    let mut m = BTreeMap::new();
    for p in all {
        let st = std::fs::symlink_metadata(&p).unwrap();
        let ft = st.file_type();
        let data = if ft.is_file() {
            Some(sha(&std::fs::read(&p).unwrap()))
        } else if ft.is_symlink() {
            Some(std::fs::read_link(&p).unwrap().to_string_lossy().into_owned())
        } else {
            None
        };
        let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        m.insert(
            rel,
            Rec {
                mode: st.mode(),
                uid: st.uid(),
                gid: st.gid(),
                nlink: st.nlink(),
                size: (!ft.is_dir()).then_some(st.size()),
                mtime: (st.mtime(), st.mtime_nsec()),
                data,
                rdev: 0,
            },
        );
    }
    m
}

const MANIFEST_JS: &str = r#"
const root = '/ffs';
function* walk(d) {
  for (const n of fs.readdirSync(d).sort()) {
    const p = d + '/' + n; const st = fs.lstatSync(p, { bigint: true });
    yield [p, st]; if (st.isDirectory()) yield* walk(p);
  }
}
for (const [p, st] of walk(root)) {
  const data = st.isFile() ? crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex')
    : st.isSymbolicLink() ? fs.readlinkSync(p) : null;
  const ns = BigInt(st.mtimeNs);
  console.log(JSON.stringify({ path: p.slice(root.length + 1), mode: Number(st.mode), uid: Number(st.uid),
    gid: Number(st.gid), nlink: Number(st.nlink), size: st.isDirectory() ? null : Number(st.size),
    sec: Number(ns / 1000000000n), nsec: Number(ns % 1000000000n), data, rdev: Number(st.rdev),
    blocks: Number(st.blocks), flags: Number(st.flags ?? 0) }));
}
"#;

/// What our reader says of an image: the records, and each file's blocks and flags.
fn image_manifest(dir: &Path, img: &Path) -> (BTreeMap<String, Rec>, BTreeMap<String, (u64, u32)>) {
    let js = dir.join("manifest.js");
    std::fs::write(&js, MANIFEST_JS).unwrap();
    let text = ok_in(dir, &["--image", img.to_str().unwrap(), "run", js.to_str().unwrap()]);
    let mut m = BTreeMap::new();
    let mut extra = BTreeMap::new();
    for l in text.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
        let path = v["path"].as_str().unwrap().to_string();
        extra.insert(path.clone(), (v["blocks"].as_u64().unwrap(), v["flags"].as_u64().unwrap() as u32));
        m.insert(
            path,
            Rec {
                mode: v["mode"].as_u64().unwrap() as u32,
                uid: v["uid"].as_u64().unwrap() as u32,
                gid: v["gid"].as_u64().unwrap() as u32,
                nlink: v["nlink"].as_u64().unwrap(),
                size: v["size"].as_u64(),
                mtime: (v["sec"].as_i64().unwrap(), v["nsec"].as_i64().unwrap()),
                data: v["data"].as_str().map(String::from),
                rdev: v["rdev"].as_u64().unwrap(),
            },
        );
    }
    (m, extra)
}

fn same(a: &BTreeMap<String, Rec>, b: &BTreeMap<String, Rec>, what: &str) {
    let ka: Vec<&String> = a.keys().collect();
    let kb: Vec<&String> = b.keys().collect();
    assert_eq!(ka, kb, "{what}: different paths");
    for (k, ra) in a {
        assert_eq!(ra, &b[k], "{what}: {k}");
    }
}

fn fsck_clean(dir: &Path, img: &Path) {
    let o = rumpjs_in(dir, &["fsck", "-n", img.to_str().unwrap()]);
    assert!(
        o.status.success(),
        "fsck -n {}: {:?}\n{}{}",
        img.display(),
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Our images read back as the tree, for UFS1 and UFS2, both byte orders, small and large blocks; holes
/// stay holes; each passes our fsck; The Sleuth Kit lists the same names and icat gives the same bytes.
#[test]
fn images_read_back_as_the_tree() {
    let d = scratch("readback");
    let tree = d.join("tree");
    make_tree(&tree);
    let host = host_manifest(&tree);
    let tsk = have("fls") && have("icat");
    if !tsk {
        skip::skip("the TSK comparison: sleuthkit (fls, icat) not installed");
    }
    for (i, opts) in [
        "",
        "-B be",
        "-o version=2",
        "-o version=2 -B be",
        "-o bsize=4096,fsize=512",
        "-o version=2,bsize=65536,fsize=8192 -B be",
        "-s 24m -o version=2",
    ]
    .iter()
    .enumerate()
    {
        let img = d.join(format!("img{i}.ffs"));
        let mut args: Vec<&str> = vec!["makefs"];
        args.extend(opts.split_whitespace());
        args.extend([img.to_str().unwrap(), tree.to_str().unwrap()]);
        let said = ok_in(&d, &args);
        assert!(said.contains("Image `") && said.contains("complete"), "{said}");
        fsck_clean(&d, &img);
        let (ours, extra) = image_manifest(&d, &img);
        same(&host, &ours, &format!("makefs {opts}: host tree vs image"));
        let (blocks, _) = extra["sparse"];
        assert!(blocks * 512 < 1 << 20, "makefs {opts}: the sparse file's hole was filled ({blocks} blocks)");
        if tsk {
            tsk_compare(&img, &host, &tree, opts);
        }
    }
}

/// fls lists every path with its type; icat gives every regular file's bytes.
fn tsk_compare(img: &Path, host: &BTreeMap<String, Rec>, tree: &Path, opts: &str) {
    let o = Command::new("fls").args(["-r", "-p"]).arg(img).output().unwrap();
    assert!(o.status.success(), "fls {opts}: {}", String::from_utf8_lossy(&o.stderr));
    let mut listed = BTreeMap::new();
    for l in String::from_utf8_lossy(&o.stdout).lines() {
        // "r/r 5:\tpath"
        let Some((head, path)) = l.split_once(":\t") else { continue };
        let ino: u64 = head.rsplit(' ').next().unwrap().trim_end_matches('*').parse().unwrap();
        if path == "$OrphanFiles" || path.starts_with("$OrphanFiles/") {
            continue;
        }
        listed.insert(path.to_string(), (head.chars().next().unwrap(), ino));
    }
    let names: Vec<&String> = listed.keys().collect();
    let want: Vec<&String> = host.keys().collect();
    assert_eq!(names, want, "fls {opts}: the names differ from the tree");
    for (p, r) in host {
        let (t, ino) = listed[p];
        let kind = match r.mode & 0o170000 {
            0o100000 => 'r',
            0o040000 => 'd',
            0o120000 => 'l',
            0o010000 => 'p',
            _ => '?',
        };
        assert_eq!(t, kind, "fls {opts}: type of {p}");
        // TSK 4.11 refuses a sparse file longer than its whole file system ("Invalid address in run
        // (too large)"); the 24 MiB image of the readback test has it read the sparse file too.
        let img_len = std::fs::metadata(img).unwrap().len();
        // Of the 600 small files in many/, a sample: an icat is a process of its own.
        let sampled = !p.starts_with("many/") || p.ends_with('7');
        if kind == 'r' && sampled && r.size.unwrap_or(0) < img_len {
            let o = Command::new("icat").arg(img).arg(ino.to_string()).output().unwrap();
            assert!(o.status.success(), "icat {opts} {p}");
            assert_eq!(sha(&o.stdout), sha(&std::fs::read(tree.join(p)).unwrap()), "icat {opts}: {p}");
        }
    }
}

/// The same tree and options give the same bytes: twice, from two folders with relative and absolute
/// paths, with -T and without (access times touched in between must not matter), UFS1 and UFS2.
#[test]
fn images_are_byte_identical_from_run_to_run_and_folder_to_folder() {
    let d = scratch("repro");
    let one = d.join("one");
    let two = d.join("elsewhere/two");
    std::fs::create_dir_all(&one).unwrap();
    std::fs::create_dir_all(&two).unwrap();
    make_tree(&one.join("tree"));
    make_tree(&two.join("src"));
    for opts in ["-T 1234567890", "", "-o version=2 -B be -T 1000000000"] {
        let mut hashes = Vec::new();
        for (cwd, tree) in [(&one, "tree"), (&two, "src"), (&one, "tree")] {
            // Reading the files moves their access times on the host; the image must not see it.
            for e in std::fs::read_dir(cwd.join(tree)).unwrap() {
                let p = e.unwrap().path();
                if p.is_file() {
                    let _ = std::fs::read(&p);
                }
            }
            let _ = std::fs::remove_file(cwd.join("out.img"));
            let mut args: Vec<&str> = vec!["makefs"];
            args.extend(opts.split_whitespace());
            args.extend(["out.img", tree]);
            ok_in(cwd, &args);
            hashes.push(sha(&std::fs::read(cwd.join("out.img")).unwrap()));
        }
        assert!(hashes.iter().all(|h| h == &hashes[0]), "makefs {opts}: images differ: {hashes:?}");
        fsck_clean(&one, &one.join("out.img"));
    }
    // A different timestamp is a different image (so the test above can fail).
    ok_in(&one, &["makefs", "-T", "1234567891", "other.img", "tree"]);
    ok_in(&one, &["makefs", "-T", "1234567890", "out.img", "tree"]);
    assert_ne!(std::fs::read(one.join("other.img")).unwrap(), std::fs::read(one.join("out.img")).unwrap());
}

/// Debian's makefs and ours on the same tree, options and -T: the same paths, modes, owners, links,
/// sizes, times and contents through our reader. Two differences are ours on purpose: holes stay holes
/// (Debian's makefs writes the zeros), and times keep their nanoseconds (Debian's drops them). Debian's
/// makefs ignores -T for UFS2 (its inodes keep the tree's times, and a birth time of 0), so UFS2 is
/// compared without -T.
#[test]
fn images_match_debian_makefs() {
    if !have("makefs") {
        skip::skip("makefs not installed");
        return;
    }
    let d = scratch("debian");
    let tree = d.join("tree");
    make_tree(&tree);
    for opts in ["-T 1000000000", "-o version=2 -B be", "-o bsize=16384,fsize=2048 -B be -T 1000000000"] {
        let ours = d.join("ours.img");
        let theirs = d.join("theirs.img");
        let _ = std::fs::remove_file(&ours);
        let _ = std::fs::remove_file(&theirs);
        let mut args: Vec<&str> = vec!["makefs"];
        args.extend(opts.split_whitespace());
        args.extend([ours.to_str().unwrap(), tree.to_str().unwrap()]);
        ok_in(&d, &args);
        let o = Command::new("makefs")
            .args(["-t", "ffs", "-f", "20", "-b", "10%"])
            .args(opts.split_whitespace())
            .arg(&theirs)
            .arg(&tree)
            .output()
            .unwrap();
        assert!(o.status.success(), "Debian makefs {opts}: {}", String::from_utf8_lossy(&o.stderr));
        let (a, ea) = image_manifest(&d, &ours);
        let (mut b, _) = image_manifest(&d, &theirs);
        let mut a_sec = a.clone();
        for r in a_sec.values_mut() {
            r.mtime.1 = 0;
        }
        for r in b.values_mut() {
            r.mtime.1 = 0;
        }
        same(&a_sec, &b, &format!("makefs {opts}: ours vs Debian's"));
        if !opts.contains("-T") {
            // Without -T both keep the tree's times; ours to the nanosecond.
            assert_eq!(a["a.txt"].mtime, host_manifest(&tree)["a.txt"].mtime);
        }
        assert!(ea["sparse"].0 * 512 < 1 << 20);
        fsck_clean(&d, &ours);
    }
}

/// An mtree spec (-F) with a user database (-N): owners, modes and flags overridden, device nodes and a
/// directory added; Debian's makefs makes the same of it (but for flags, which it does not set on Linux).
#[test]
fn mtree_specs_set_owners_modes_flags_and_add_nodes() {
    let d = scratch("spec");
    let tree = d.join("tree");
    make_tree(&tree);
    std::fs::create_dir_all(d.join("db")).unwrap();
    std::fs::write(
        d.join("db/master.passwd"),
        "root:*:0:0::0:0:Charlie &:/root:/bin/sh\nfred:*:1000:100::0:0::/:/bin/sh\n",
    )
    .unwrap();
    std::fs::write(d.join("db/group"), "wheel:*:0:root\noperator:*:5:root\nusers:*:100:\n").unwrap();
    let spec = d.join("spec");
    std::fs::write(
        &spec,
        "# a spec as NetBSD's distrib sets have\n\
         /set type=file uname=root gname=wheel mode=0644\n\
         . type=dir mode=0755\n\
         a.txt uname=fred gname=users mode=0600 flags=nodump\n\
         sub type=dir mode=0700 uid=5 gid=5\n\
         ..\n\
         ./dev type=dir mode=0755\n\
         ./dev/null type=char device=netbsd,2,2 mode=0666\n\
         ./dev/wd0a type=block device=netbsd,0,0 mode=0640 gname=operator\n\
         ./dev/wd0e type=block device=netbsd,0,4 mode=0640 gname=operator\n",
    )
    .unwrap();
    let img = d.join("spec.img");
    ok_in(&d, &["makefs", "-N", "db", "-F", "spec", "-T", "1000000000", img.to_str().unwrap(), "tree"]);
    fsck_clean(&d, &img);
    let (m, extra) = image_manifest(&d, &img);
    assert_eq!((m["a.txt"].uid, m["a.txt"].gid, m["a.txt"].mode), (1000, 100, 0o100600));
    assert_eq!(m["sub/hard"], m["a.txt"], "a hard link shares the inode the spec changed");
    assert_eq!(extra["a.txt"].1, 0x1, "UF_NODUMP");
    assert_eq!((m["sub"].uid, m["sub"].gid, m["sub"].mode), (5, 5, 0o40700));
    assert_eq!((m["dev/null"].mode, m["dev/null"].rdev), (0o20666, 2 << 8 | 2));
    assert_eq!((m["dev/wd0e"].mode, m["dev/wd0e"].gid, m["dev/wd0e"].rdev), (0o60640, 5, 4));
    if have("makefs") {
        let theirs = d.join("theirs.img");
        let o = Command::new("makefs")
            .current_dir(&d)
            .args(["-t", "ffs", "-N", "db", "-F", "spec", "-T", "1000000000", "-f", "20", "-b", "10%"])
            .arg(&theirs)
            .arg("tree")
            .output()
            .unwrap();
        assert!(o.status.success(), "Debian makefs: {}", String::from_utf8_lossy(&o.stderr));
        let (mut t, _) = image_manifest(&d, &theirs);
        let mut ours = m.clone();
        for r in ours.values_mut().chain(t.values_mut()) {
            r.mtime.1 = 0;
        }
        same(&ours, &t, "spec: ours vs Debian's");
    } else {
        skip::skip("the Debian comparison: makefs not installed");
    }
}

/// Mistakes are one-line messages with exit 1, and cost nothing: a bad spec, an unknown group, a missing
/// directory or a bad option leave an existing file as it was; a tree that does not fit in -s leaves no
/// half-made image behind.
#[test]
fn mistakes_are_reported_and_keep_what_was_there() {
    let d = scratch("mistakes");
    let tree = d.join("tree");
    make_tree(&tree);
    std::fs::write(d.join("keep.img"), "precious\n").unwrap();
    std::fs::write(d.join("bad.spec"), "./x type=char device=netbsd,1,1 mode=0600 uid=0 gname=nosuchgroup\n").unwrap();
    for (args, says) in [
        (vec!["makefs", "-F", "bad.spec", "keep.img", "tree"], "nosuchgroup"),
        (vec!["makefs", "keep.img", "no-such-dir"], "no-such-dir"),
        (vec!["makefs", "-o", "bsize=3000", "keep.img", "tree"], "bsize"),
        (vec!["makefs", "-t", "cd9660", "keep.img", "tree"], "cd9660"),
        (vec!["makefs", "-m", "64k", "keep.img", "tree"], "maxsize"),
    ] {
        let o = rumpjs_in(&d, &args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?} should say {says:?}: {err}");
        assert!(err.lines().next().unwrap_or("").starts_with("rumpjs makefs: "), "{args:?}: {err}");
        assert_eq!(std::fs::read(d.join("keep.img")).unwrap(), b"precious\n", "{args:?} changed keep.img");
    }
    let o = rumpjs_in(&d, &["makefs", "-s", "1m", "small.img", "tree"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("the tree needs") && err.contains("larger -s"), "{err}");
    assert!(!d.join("small.img").exists(), "a half-made image was left behind");
}

/// The image inside the tree it is made from is left out of itself.
#[test]
fn an_image_inside_its_tree_is_left_out() {
    let d = scratch("inside");
    let tree = d.join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(tree.join("file"), "data\n").unwrap();
    std::fs::write(tree.join("self.img"), "old image\n").unwrap();
    ok_in(&d, &["makefs", "tree/self.img", "tree"]);
    let (m, _) = image_manifest(&d, &tree.join("self.img"));
    assert_eq!(m.keys().collect::<Vec<_>>(), vec!["file"]);
}
