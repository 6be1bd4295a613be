//! `rumpjs mount`: the kernel's file systems served to the host through FUSE, driven by host tools.
//! Needs /dev/fuse, fusermount3 and root (CI has them); without them each test says "skipped: …".

mod fuse_common;
#[path = "../../tests/support/skip.rs"]
mod skip;

use fuse_common::*;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

// ------------------------------------------------------------------------------------- helpers

fn sha256_file(p: &Path) -> String {
    let mut f = std::fs::File::open(p).unwrap();
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    format!("{:x}", h.finalize())
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/ffs")
}

fn gunzip_to(name: &str, out: &Path) {
    let o = run(Command::new("gzip").arg("-dc").arg(fixtures().join(name)).stdout(Stdio::piped()));
    assert!(o.status.success(), "gzip -dc {name}");
    std::fs::write(out, o.stdout).unwrap();
}

// ------------------------------------------------------------------------ manifests (fixtures)

struct Entry {
    path: Vec<u8>,
    kind: String,
    mode: u32,
    uid: u32,
    gid: u32,
    size: u64,
    mtime: (i64, i64),
    nlink: u64,
    rdev: Option<(u64, u64)>,
    target: Option<Vec<u8>>,
    content: Option<String>,
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn manifest(name: &str) -> Vec<Entry> {
    let o = run(Command::new("gzip").arg("-dc").arg(fixtures().join(format!("{name}.manifest.gz"))));
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let (s, ns) = f[6].split_once('.').unwrap();
            Entry {
                path: unhex(f[0]),
                kind: f[1].to_string(),
                mode: u32::from_str_radix(f[2], 8).unwrap(),
                uid: f[3].parse().unwrap(),
                gid: f[4].parse().unwrap(),
                size: f[5].parse().unwrap(),
                mtime: (s.parse().unwrap(), ns.parse().unwrap()),
                nlink: f[8].parse().unwrap(),
                rdev: (f[9] != "-").then(|| {
                    let (a, b) = f[9].split_once(',').unwrap();
                    (a.parse().unwrap(), b.parse().unwrap())
                }),
                target: (f[10] != "-").then(|| unhex(f[10])),
                content: (f[11] != "-").then(|| f[11].to_string()),
            }
        })
        .collect()
}

fn fnv(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// The fixture script's generated contents: each 512-byte sector starts with the file id and sector.
fn gen_content(fid: u64, size: u64) -> Vec<u8> {
    let mut v = Vec::with_capacity(size as usize);
    let mut sec = 0u64;
    while (v.len() as u64) < size {
        let head = format!("{fid:08x}:{sec:08x}:");
        v.extend_from_slice(head.as_bytes());
        v.extend(std::iter::repeat_n(b'.', 511 - head.len()));
        v.push(b'\n');
        sec += 1;
    }
    v.truncate(size as usize);
    v
}

/// glibc's major()/minor() of an st_rdev.
fn major_minor(rdev: u64) -> (u64, u64) {
    (((rdev >> 8) & 0xfff) | ((rdev >> 32) & !0xfff), (rdev & 0xff) | ((rdev >> 12) & !0xff))
}

/// A host-side walk of `root` (lstat, readlink, read, readdir) against a fixture's manifest.
fn check_against_manifest(root: &Path, entries: &[Entry], what: &str) {
    use std::os::unix::ffi::OsStrExt;
    let mut children: BTreeMap<Vec<u8>, BTreeSet<Vec<u8>>> = BTreeMap::new();
    for e in entries {
        let rel = String::from_utf8_lossy(&e.path).into_owned();
        let full = if e.path == b"." { root.to_path_buf() } else { root.join(std::ffi::OsStr::from_bytes(&e.path)) };
        let at = format!("{what}: {rel}");
        let md = std::fs::symlink_metadata(&full).unwrap_or_else(|err| panic!("{at}: lstat {err}"));
        let ft = md.file_type();
        let kind = if ft.is_file() {
            "file"
        } else if ft.is_dir() {
            "dir"
        } else if ft.is_symlink() {
            "link"
        } else if ft.is_char_device() {
            "char"
        } else if ft.is_block_device() {
            "block"
        } else if ft.is_fifo() {
            "fifo"
        } else {
            "socket"
        };
        assert_eq!(kind, e.kind, "{at}: type");
        if kind != "link" {
            assert_eq!(md.mode() & 0o7777, e.mode, "{at}: mode");
        }
        assert_eq!((md.uid(), md.gid()), (e.uid, e.gid), "{at}: owner");
        assert_eq!((md.mtime(), md.mtime_nsec()), e.mtime, "{at}: mtime");
        if let Some(rd) = e.rdev {
            assert_eq!(major_minor(md.rdev()), rd, "{at}: rdev");
        }
        match kind {
            "file" => {
                assert_eq!(md.size(), e.size, "{at}: size");
                assert_eq!(md.nlink(), e.nlink, "{at}: nlink");
                let data = std::fs::read(&full).unwrap_or_else(|err| panic!("{at}: read {err}"));
                assert_eq!(data.len() as u64, e.size, "{at}: bytes read");
                match e.content.as_deref() {
                    Some(c) if c.starts_with("gen:") => {
                        assert!(data == gen_content(c[4..].parse().unwrap(), e.size), "{at}: contents differ")
                    }
                    Some(h) => assert_eq!(format!("{:016x}", fnv(&data)), h, "{at}: content hash"),
                    None => {}
                }
            }
            "link" => {
                let t = std::fs::read_link(&full).unwrap_or_else(|err| panic!("{at}: readlink {err}"));
                assert_eq!(Some(t.as_os_str().as_bytes().to_vec()), e.target, "{at}: target");
                assert_eq!(md.size(), t.as_os_str().len() as u64, "{at}: link size");
            }
            "dir" => {
                children.entry(e.path.clone()).or_default();
            }
            _ => {}
        }
        if e.path != b"." {
            let (parent, name) = match e.path.iter().rposition(|&c| c == b'/') {
                Some(i) => (e.path[..i].to_vec(), e.path[i + 1..].to_vec()),
                None => (b".".to_vec(), e.path.clone()),
            };
            children.entry(parent).or_default().insert(name);
        }
    }
    for (dir, names) in &children {
        let full = if dir == b"." { root.to_path_buf() } else { root.join(std::ffi::OsStr::from_bytes(dir)) };
        let got: BTreeSet<Vec<u8>> =
            std::fs::read_dir(&full).unwrap().map(|d| d.unwrap().file_name().as_bytes().to_vec()).collect();
        assert_eq!(&got, names, "{what}: listing of {}", String::from_utf8_lossy(dir));
    }
}

// --------------------------------------------------------------------------------------- tests

/// Every fixture with a manifest, served read-only: the host's view (types, modes, owners, sizes,
/// mtimes, link counts, device numbers, link targets, contents, listings) is the manifest's, writes
/// are refused, and the image is byte for byte what it was.
#[test]
fn fixtures_read_only_match_their_manifests() {
    need_fuse!();
    let s = Scratch::new("fixtures");
    let mut cases: Vec<(String, String, Option<&str>)> = Vec::new();
    for e in std::fs::read_dir(fixtures()).unwrap() {
        let n = e.unwrap().file_name().to_string_lossy().into_owned();
        if let Some(base) = n.strip_suffix(".manifest.gz") {
            if fixtures().join(format!("{base}.img.gz")).exists() {
                cases.push((base.to_string(), base.to_string(), None));
            }
        }
    }
    cases.sort();
    cases.push(("disk-mbr-label".into(), "disk-a".into(), Some("a")));
    cases.push(("disk-mbr-label".into(), "disk-e".into(), Some("e")));
    assert!(cases.len() >= 20, "fixtures found: {}", cases.len());
    let tsk = have("fls");
    if !tsk {
        skip::skip("the inode comparison with The Sleuth Kit: fls not installed");
    }
    let mut images_with_inodes = 0;
    for (img, man, part) in &cases {
        let what = format!("{img}{}", part.map(|p| format!(" partition {p}")).unwrap_or_default());
        let path = s.path(&format!("{img}.img"));
        gunzip_to(&format!("{img}.img.gz"), &path);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
        let before = sha256_file(&path);
        let mut args = vec![path.to_str().unwrap()];
        if let Some(p) = part {
            args.extend(["--partition", p]);
        }
        let m = Mounted::new(&args, &s.path("mnt"));
        check_against_manifest(&m.mnt, &manifest(man), &what);
        // Inode numbers are the image's own: the root's is ROOTINO (2), not FUSE's node id 1, and every
        // path's is the one The Sleuth Kit's fls reads from the image (where fls reads it at all).
        assert_eq!(std::fs::metadata(&m.mnt).unwrap().ino(), 2, "{what}: the root's inode number");
        if part.is_none() && tsk {
            let n = compare_inodes_with_fls(&path, &m.mnt, &what);
            if n > 0 {
                images_with_inodes += 1;
            }
        }
        // Read-only: the host refuses writes; nothing reaches the image.
        let e = std::fs::File::create(m.p("new")).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(30), "{what}: create on a read-only mount: {e}");
        m.umount();
        assert_eq!(sha256_file(&path), before, "{what}: the image changed");
    }
    assert!(!tsk || images_with_inodes >= 10, "fls read the inode numbers of only {images_with_inodes} images");
}

/// Checks the inode number of every path `fls -r -p` lists in `img` (allocated names only) against
/// lstat under `mnt`. Returns how many were compared (0 when fls cannot read the image).
fn compare_inodes_with_fls(img: &Path, mnt: &Path, what: &str) -> usize {
    let o = Command::new("fls").args(["-r", "-p"]).arg(img).output().unwrap();
    if !o.status.success() {
        return 0;
    }
    let mut n = 0;
    for line in String::from_utf8_lossy(&o.stdout).lines() {
        let Some((head, name)) = line.split_once(":\t") else { continue };
        if head.contains('*') || name.starts_with('$') {
            continue; // deleted names, TSK's virtual files
        }
        let Some(ino) = head.split_whitespace().nth(1).and_then(|i| i.split('-').next()?.parse::<u64>().ok()) else {
            continue;
        };
        let Ok(md) = std::fs::symlink_metadata(mnt.join(name)) else { continue };
        assert_eq!(md.ino(), ino, "{what}: {name}: inode number through FUSE vs fls");
        n += 1;
    }
    n
}

/// The tree `cp -a` copies: nested directories, files of many sizes (one sparse), hard links inside
/// and across directories, relative and absolute symbolic links, a fifo, odd modes, old times.
fn make_source_tree(src: &Path) {
    sh_ok(&format!(
        r#"set -e; cd {src}
        mkdir -p a/b/c d/e empty
        printf 'hello\n' > hello.txt
        head -c 1 /dev/urandom > a/one
        head -c 4095 /dev/urandom > a/b/almost4k
        head -c 70000 /dev/urandom > a/b/c/70k
        head -c 3000000 /dev/urandom > d/3m
        truncate -s 20000000 d/sparse && printf tail >> d/sparse
        ln a/b/c/70k d/hard70k; ln a/b/c/70k a/also70k; ln hello.txt d/e/hello-again
        ln -s ../hello.txt a/rel-link; ln -s /etc/hostname abs-link; ln -s a/b dirlink
        ln -s "$(printf 'x%.0s' $(seq 1 300))" longlink
        mkfifo d/fifo
        for i in $(seq 1 150); do printf "file $i\n" > d/e/f$i; done
        chmod 640 a/one; chmod 4755 a/b/almost4k; chmod 1777 d; chmod 700 a/b/c
        touch -h -d '2001-02-03 04:05:06.789' a/rel-link; touch -d '1999-12-31 23:59:59.5' hello.txt
        chown 1234:5678 a/b/almost4k; chown -h 42:43 abs-link"#,
        src = src.display()
    ));
}

/// (type, mode, uid, gid, size, mtime, link target or content hash) of every path under `root`, and
/// the groups of paths that are one inode.
fn snapshot(root: &Path) -> (BTreeMap<String, String>, BTreeSet<Vec<String>>) {
    let mut out = BTreeMap::new();
    let mut inodes: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let full = root.join(&rel);
        let md = std::fs::symlink_metadata(&full).unwrap();
        let ft = md.file_type();
        let what = if ft.is_symlink() {
            format!("link {}", std::fs::read_link(&full).unwrap().display())
        } else if ft.is_dir() {
            for e in std::fs::read_dir(&full).unwrap() {
                stack.push(rel.join(e.unwrap().file_name()));
            }
            "dir".to_string()
        } else if ft.is_file() {
            inodes.entry(md.ino()).or_default().push(rel.display().to_string());
            format!("file {} nlink {}", sha256_file(&full), md.nlink())
        } else if ft.is_fifo() {
            "fifo".to_string()
        } else {
            "other".to_string()
        };
        let mode = if ft.is_symlink() { 0 } else { md.mode() & 0o7777 };
        // Directories' sizes and times are the file system's own business (ext4 and FFS differ).
        let (size, mtime) = if ft.is_dir() { (0, (0, 0)) } else { (md.size(), (md.mtime(), md.mtime_nsec())) };
        out.insert(
            rel.display().to_string(),
            format!("{what} mode {mode:o} owner {}:{} size {size} mtime {mtime:?}", md.uid(), md.gid()),
        );
    }
    let groups = inodes.into_values().filter(|v| v.len() > 1).map(|mut v| {
        v.sort();
        v
    });
    (out, groups.collect())
}

/// Host tools on a read-write mount: `cp -a` of a tree with hard links and symlinks, renames,
/// removals, truncation, appends; after `rumpjs umount` our fsck finds the image clean, a second
/// mount shows the same tree, and (UFS1) The Sleuth Kit reads it.
#[test]
fn read_write_with_host_tools_then_fsck_clean() {
    need_fuse!();
    let s = Scratch::new("rw");
    let src = s.path("src");
    std::fs::create_dir(&src).unwrap();
    make_source_tree(&src);
    let (want, want_links) = snapshot(&src);
    for ufs in [1u8, 2] {
        let img = s.path(&format!("ufs{ufs}.img"));
        new_image(&img, ufs, 96);
        let m = Mounted::new(&["--rw", img.to_str().unwrap()], &s.path("mnt"));
        sh_ok(&format!("cp -a {}/. {}/copy", src.display(), m.mnt.display()));
        let (got, got_links) = snapshot(&m.p("copy"));
        assert_eq!(got, want, "UFS{ufs}: the copy differs from its source");
        assert_eq!(got_links, want_links, "UFS{ufs}: hard links");
        // Changes by the usual tools.
        sh_ok(&format!(
            r#"set -e; cd {mnt}
            mv copy/a copy/renamed-a; mv copy/hello.txt copy/renamed-a/b/
            mkdir -p work/x/y; echo appended >> copy/d/e/f1; truncate -s 100 copy/d/3m
            rm copy/d/e/f2 copy/d/e/f3; rm -r copy/d/e/../../dirlink; rmdir copy/empty
            for i in $(seq 1 40); do echo $i > work/x/y/n$i; done; rm work/x/y/n1*
            ln -s renamed-a/b/hello.txt copy/to-hello; ln copy/d/3m work/hard3m
            df -k . >/dev/null; stat -f . >/dev/null; sync"#,
            mnt = m.mnt.display()
        ));
        assert_eq!(std::fs::read(m.p("copy/renamed-a/b/hello.txt")).unwrap(), b"hello\n");
        assert_eq!(std::fs::read_to_string(m.p("copy/d/e/f1")).unwrap(), "file 1\nappended\n");
        assert_eq!(std::fs::metadata(m.p("work/hard3m")).unwrap().nlink(), 2);
        let e = std::fs::remove_dir(m.p("copy/d")).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(39), "rmdir of a full directory: ENOTEMPTY in Linux's number: {e}");
        let (after, _) = snapshot(&m.mnt);
        m.umount();
        assert_clean(&img);
        // Mounted again: everything is still there.
        let m = Mounted::new(&[img.to_str().unwrap()], &s.path("mnt"));
        let (again, _) = snapshot(&m.mnt);
        assert_eq!(again, after, "UFS{ufs}: the tree after a remount");
        m.umount();
        if ufs == 1 && have("fls") && have("icat") {
            // The Sleuth Kit, knowing nothing of us, reads what we wrote.
            let listing = sh_ok(&format!("fls -r -p {}", img.display()));
            for p in ["copy/renamed-a/b/hello.txt", "copy/d/3m", "work/x/y/n40", "copy/to-hello"] {
                assert!(listing.lines().any(|l| l.ends_with(&format!("\t{p}"))), "fls -r lacks {p}:\n{listing}");
            }
            let line = listing.lines().find(|l| l.ends_with("\tcopy/d/e/f1") && !l.contains('*')).unwrap();
            let inode = line.split_whitespace().nth(1).unwrap().trim_end_matches(':').split('-').next().unwrap();
            let data = sh_ok(&format!("icat {} {inode}", img.display()));
            assert_eq!(data, "file 1\nappended\n");
        } else if ufs == 1 {
            skip::skip("the Sleuth Kit check: fls/icat not installed");
        }
    }
}

/// Several host processes at once: writers of different files, creators in different directories.
#[test]
fn concurrent_writers() {
    need_fuse!();
    let s = Scratch::new("conc");
    let img = s.path("ufs2.img");
    new_image(&img, 2, 128);
    for i in 0..4 {
        sh_ok(&format!("head -c {} /dev/urandom > {}", 5_000_000 + i * 777_777, s.path(&format!("src{i}")).display()));
    }
    let m = Mounted::new(&["--rw", img.to_str().unwrap()], &s.path("mnt"));
    let script: Vec<String> = (0..4)
        .map(|i| {
            format!(
                "(cp {src} {mnt}/big{i} && mkdir {mnt}/d{i} && for j in $(seq 1 100); do echo {i}-$j > {mnt}/d{i}/f$j; done) &",
                src = s.path(&format!("src{i}")).display(),
                mnt = m.mnt.display()
            )
        })
        .collect();
    sh_ok(&format!("{} wait", script.join(" ")));
    for i in 0..4 {
        assert_eq!(sha256_file(&m.p(&format!("big{i}"))), sha256_file(&s.path(&format!("src{i}"))), "big{i}");
        for j in 1..=100 {
            assert_eq!(std::fs::read_to_string(m.p(&format!("d{i}/f{j}"))).unwrap(), format!("{i}-{j}\n"));
        }
    }
    m.umount();
    assert_clean(&img);
}

/// readdir with offsets that survive changes: while other threads create and remove names in a
/// directory, every name that is there all along is listed exactly once by every pass, and no name twice.
#[test]
fn readdir_while_the_directory_changes() {
    need_fuse!();
    let s = Scratch::new("readdir");
    let img = s.path("ufs2.img");
    new_image(&img, 2, 64);
    let m = Mounted::new(&["--rw", img.to_str().unwrap()], &s.path("mnt"));
    let dir = m.p("d");
    std::fs::create_dir(&dir).unwrap();
    for i in 0..600 {
        std::fs::write(dir.join(format!("keep-{i:04}")), b"k").unwrap();
        std::fs::write(dir.join(format!("tmp-{i:04}")), b"t").unwrap();
    }
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let done = std::sync::Arc::new(AtomicU64::new(0));
    let churn = {
        let (dir, stop, done) = (dir.clone(), stop.clone(), done.clone());
        std::thread::spawn(move || {
            let mut i = 0u64;
            while !stop.load(Relaxed) {
                let _ = std::fs::remove_file(dir.join(format!("tmp-{:04}", i % 600)));
                std::fs::write(dir.join(format!("new-{i:06}")), b"n").unwrap();
                if i.is_multiple_of(3) {
                    let _ = std::fs::remove_file(dir.join(format!("new-{:06}", i / 2)));
                }
                i += 1;
                done.store(i, Relaxed);
            }
            i
        })
    };
    // Passes go on until the other thread has changed the directory a few hundred times; each pass
    // pauses now and then so that changes land between its getdents calls.
    let mut pass = 0;
    while pass < 15 || (done.load(Relaxed) < 400 && pass < 5000) {
        pass += 1;
        let mut seen = BTreeMap::<String, usize>::new();
        for (n, e) in std::fs::read_dir(&dir).unwrap().enumerate() {
            *seen.entry(e.unwrap().file_name().to_string_lossy().into_owned()).or_default() += 1;
            if n % 100 == 99 {
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        }
        let twice: Vec<_> = seen.iter().filter(|(_, &n)| n > 1).map(|(k, _)| k.clone()).collect();
        assert!(twice.is_empty(), "pass {pass}: listed twice: {twice:?}");
        let missing: Vec<_> = (0..600).map(|i| format!("keep-{i:04}")).filter(|k| !seen.contains_key(k)).collect();
        assert!(missing.is_empty(), "pass {pass}: names there all along were not listed: {missing:?}");
    }
    stop.store(true, Relaxed);
    let changes = churn.join().unwrap();
    assert!(changes >= 400, "the directory hardly changed during {pass} passes ({changes} changes)");
    eprintln!("{pass} passes of readdir during {changes} changes");
    m.umount();
    assert_clean(&img);
}

/// A file removed while open stays readable and writable through the open descriptor; it is freed
/// at the last close (the space comes back) and the image stays clean.
#[test]
fn unlinked_but_open_file_stays_readable() {
    need_fuse!();
    let s = Scratch::new("unlinked");
    let img = s.path("ufs2.img");
    new_image(&img, 2, 64);
    let m = Mounted::new(&["--rw", img.to_str().unwrap()], &s.path("mnt"));
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let free_before = sh_ok(&format!("stat -f -c %f {}", m.mnt.display()));
    let mut f =
        std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(m.p("doomed")).unwrap();
    f.write_all(&data).unwrap();
    f.sync_all().unwrap();
    sh_ok(&format!("rm {}", m.p("doomed").display()));
    assert!(!m.p("doomed").exists());
    assert_eq!(f.metadata().unwrap().nlink(), 0);
    f.seek(std::io::SeekFrom::Start(0)).unwrap();
    let mut back = Vec::new();
    f.read_to_end(&mut back).unwrap();
    assert!(back == data, "the removed file's contents");
    f.write_all(b"more").unwrap();
    drop(f);
    // Freed at the last close (FUSE's release is asynchronous: give it a moment).
    let mut free_after = String::new();
    for _ in 0..100 {
        free_after = sh_ok(&format!("stat -f -c %f {}", m.mnt.display()));
        if free_after == free_before {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(free_after, free_before, "blocks of the removed file come back after the last close");
    m.umount();
    assert_clean(&img);
}

/// The host keeps names, attributes and pages for a day, yet a change made through the mount by one
/// process is what the next look of another process finds, without waiting: contents rewritten
/// through a descriptor kept open, a name looked for in vain and then made, a rename, a chmod, a
/// truncation, and the set-ID bits another user's write takes away.
#[test]
fn a_change_by_one_process_is_seen_at_once_by_another() {
    need_fuse!();
    let s = Scratch::new("seen");
    let img = s.path("ufs2.img");
    new_image(&img, 2, 32);
    let m = Mounted::new(&["--rw", "--allow-other", img.to_str().unwrap()], &s.path("mnt"));
    let mnt = m.mnt.display().to_string();
    let other = |cmd: &str| sh(&format!("cd {mnt} && {cmd}"));
    let out = |o: Output| String::from_utf8_lossy(&o.stdout).into_owned();

    let mut f = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(m.p("f")).unwrap();
    f.write_all(b"first! version\n").unwrap();
    assert_eq!(out(other("cat f")), "first! version\n");
    f.seek(std::io::SeekFrom::Start(0)).unwrap();
    f.write_all(b"SECOND").unwrap();
    assert_eq!(out(other("cat f")), "SECOND version\n", "a rewrite through a descriptor kept open");
    f.set_len(6).unwrap();
    assert_eq!(out(other("stat -c %s f; cat f")), "6\nSECOND", "ftruncate");
    drop(f);

    assert!(!other("test -e later").status.success());
    std::fs::write(m.p("later"), b"made\n").unwrap();
    assert_eq!(out(other("cat later")), "made\n", "a name looked for in vain, then made");
    std::fs::rename(m.p("later"), m.p("moved")).unwrap();
    assert_eq!(out(other("test -e later || cat moved")), "made\n", "a rename");
    std::fs::set_permissions(m.p("moved"), std::fs::Permissions::from_mode(0o640)).unwrap();
    assert_eq!(out(other("stat -c %a moved")), "640\n", "a chmod");
    std::fs::remove_file(m.p("moved")).unwrap();
    assert!(!other("test -e moved").status.success(), "a removal");

    if have("setpriv") {
        sh_ok(&format!("cd {mnt} && echo x > setid && chmod 6777 setid && chmod 777 ."));
        let o = sh(&format!("setpriv --reuid=1000 --regid=1000 --clear-groups sh -c 'echo more >> {mnt}/setid'"));
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(out(other("stat -c %a setid")), "777\n", "another user's write takes the set-ID bits away");
    } else {
        skip::skip("the set-ID part: no setpriv");
    }
    m.umount();
    assert_clean(&img);
}

/// A file's last page, which a write leaves partly written in the host's cache, is handed to the host
/// by the server at the chmod, chown or utimes after it (as `cp -a` ends each file): another process
/// then reads every byte right without the file's pages reaching the server again, and the same
/// bytes come from the image after a remount. Sizes on and around page boundaries, one past the
/// mount's 1 MiB write size; then the last page after a truncation down, an extension and appends;
/// and a read the host answers from its cache leaves the image's atime as it was.
#[test]
fn written_files_read_back_right_from_the_hosts_cache() {
    need_fuse!();
    let s = Scratch::new("pages");
    let img = s.path("ufs2.img");
    new_image(&img, 2, 64);
    let stats = s.path("stats");
    let stats_env = stats.to_str().unwrap();
    let m = Mounted::with_env(&["--rw", img.to_str().unwrap()], &s.path("mnt"), &[("RUMPJS_MOUNT_STATS", stats_env)]);
    let mnt = m.mnt.display().to_string();
    let pid = server_pid(&m.mnt).expect("the server's pid");
    // The server's request counts since the last call (SIGUSR1 writes them and starts from zero).
    let counts = || {
        let _ = std::fs::remove_file(&stats);
        sh_ok(&format!("kill -USR1 {pid}"));
        let t = std::time::Instant::now();
        while !stats.exists() && t.elapsed() < std::time::Duration::from_secs(10) {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let text = std::fs::read_to_string(&stats).unwrap_or_default();
        text.lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(k, v)| (k.to_string(), v.parse().unwrap_or(0)))
            .collect::<BTreeMap<String, u64>>()
    };
    let content = |seed: u64, len: usize| -> Vec<u8> {
        (0..len).map(|i| (i as u64).wrapping_mul(2654435761).wrapping_add(seed * 97) as u8 | 1).collect()
    };
    // What another process reads, as its sha256.
    let other_reads =
        |name: &str| sh_ok(&format!("sha256sum < {mnt}/{name}")).split(' ').next().unwrap_or("").to_string();
    let sha = |d: &[u8]| format!("{:x}", Sha256::digest(d));

    let sizes = [1usize, 100, 4095, 4096, 4097, 6000, 8191, 12289, 200_000, (1 << 20) + 123];
    let mut want = BTreeMap::new();
    for (i, &len) in sizes.iter().enumerate() {
        let name = format!("f{len}");
        let data = content(i as u64, len);
        std::fs::write(m.p(&name), &data).unwrap();
        std::fs::set_permissions(m.p(&name), std::fs::Permissions::from_mode(0o640)).unwrap();
        want.insert(name, data);
    }
    counts();
    for (name, data) in &want {
        assert_eq!(other_reads(name), sha(data), "{name} read by another process");
    }
    let c = counts();
    assert_eq!(c.get("Read"), None, "the files' pages all came from the host's cache: {c:?}");
    assert!(!c.contains_key("NotifyStore"), "nothing more to hand over: {c:?}");

    // The last page after a truncation down, an extension (zeros), and appends (one in the same
    // page, one into the next), each followed by a utimes from another process.
    let name = "f6000";
    let mut data = want[name].clone();
    let p = m.p(name);
    let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
    f.set_len(5000).unwrap();
    data.truncate(5000);
    assert_eq!(other_reads(name), sha(&data), "after a truncation down");
    f.set_len(9000).unwrap();
    data.resize(9000, 0);
    assert_eq!(other_reads(name), sha(&data), "after an extension");
    drop(f);
    for more in [100usize, 4000] {
        let extra = content(more as u64, more);
        let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(&extra).unwrap();
        drop(f);
        data.extend_from_slice(&extra);
        sh_ok(&format!("touch -m -d @1000000 {mnt}/{name}"));
        assert_eq!(other_reads(name), sha(&data), "after appending {more} bytes");
    }
    want.insert(name.to_string(), data);
    // A read the host answers from its cache sets no atime in the image (as documented in the
    // mount's module comment), the first read after the file was written included: its atime, set
    // by hand, survives another process's read.
    std::fs::write(m.p("atime"), content(7, 6000)).unwrap();
    sh_ok(&format!("touch -a -d @1000000 {mnt}/atime && cat {mnt}/atime > /dev/null"));
    // `cp -a` keeps the times it copies although its utimes is what hands the last page over.
    let src = s.path("src");
    std::fs::write(&src, content(8, 6000)).unwrap();
    sh_ok(&format!("touch -a -d @2000000 {0} && touch -m -d @3000000 {0} && cp -a {0} {mnt}/cpa", src.display()));
    m.umount();
    assert_clean(&img);

    let m = Mounted::new(&[img.to_str().unwrap()], &s.path("mnt"));
    for (name, data) in &want {
        assert_eq!(sha256_file(&m.p(name)), sha(data), "{name} as the image holds it");
    }
    assert_eq!(std::fs::metadata(m.p("atime")).unwrap().atime(), 1_000_000, "the atime after a cached read");
    let cpa = std::fs::metadata(m.p("cpa")).unwrap();
    assert_eq!((cpa.atime(), cpa.mtime()), (2_000_000, 3_000_000), "the times cp -a copied");
    m.umount();
}

/// Last pages handed over while other processes read the files: no hang (the host locks the page
/// for the store while a read of it waits for the server), and every file read whole afterwards.
#[test]
fn reads_racing_the_last_page_handed_over() {
    need_fuse!();
    let s = Scratch::new("race");
    let img = s.path("ufs2.img");
    new_image(&img, 2, 32);
    let m = Mounted::new(&["--rw", img.to_str().unwrap()], &s.path("mnt"));
    let mnt = m.mnt.display().to_string();
    let race = format!(
        "for r in 1 2; do (while [ ! -e {mnt}/done ]; do cat {mnt}/f* > /dev/null 2>&1; done) & done; \
         for i in $(seq 1 300); do yes $i | head -c $((4000 + i * 37)) > {mnt}/f$i; chmod 640 {mnt}/f$i; done; \
         touch {mnt}/done; wait"
    );
    sh_ok(&format!("timeout 120 bash -c '{race}'"));
    let check =
        format!("for i in $(seq 1 300); do yes $i | head -c $((4000 + i * 37)) | cmp - {mnt}/f$i || exit 1; done");
    sh_ok(&check);
    m.umount();
    assert_clean(&img);
}

/// File flags the host knows nothing of hold through the mount although the host opens files by
/// itself: an immutable file reads but is not written or truncated; an append-only file grows at
/// its end only (EPERM otherwise, as NetBSD).
#[test]
fn immutable_and_append_only_files_through_the_mount() {
    need_fuse!();
    let s = Scratch::new("flags");
    let img = s.path("ufs2.img");
    new_image(&img, 2, 32);
    let m = Mounted::new(&["--rw", img.to_str().unwrap()], &s.path("mnt"));
    sh_ok(&format!("cd {} && echo frozen > immut && echo start > app", m.mnt.display()));
    m.umount();
    let script = s.path("flags.js");
    // UF_IMMUTABLE and UF_APPEND (sys/stat.h).
    std::fs::write(&script, "rump.sys.chflags('/ffs/immut', 2); rump.sys.chflags('/ffs/app', 4);\n").unwrap();
    let o = run(rumpjs().arg("--image").arg(&img).arg("--rw").arg("run").arg(&script));
    assert!(o.status.success(), "chflags: {}", String::from_utf8_lossy(&o.stderr));
    let m = Mounted::new(&["--rw", img.to_str().unwrap()], &s.path("mnt"));
    let mnt = m.mnt.display().to_string();
    let refused = |cmd: &str| {
        let o = sh(&format!("cd {mnt} && ({cmd}) 2>&1"));
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(!o.status.success() && out.contains("Operation not permitted"), "`{cmd}`: want EPERM, got {out}");
    };
    assert_eq!(sh_ok(&format!("cat {mnt}/immut {mnt}/app")), "frozen\nstart\n");
    refused("echo x > immut");
    refused("echo x >> immut");
    refused("truncate -s 0 immut");
    refused("echo x > app");
    refused("printf X | dd of=app conv=notrunc status=none");
    sh_ok(&format!("echo more >> {mnt}/app"));
    assert_eq!(sh_ok(&format!("cat {mnt}/immut {mnt}/app")), "frozen\nstart\nmore\n");
    m.umount();
    assert_clean(&img);
}

/// The image's owners and modes mean what they say for another host uid: EACCES reading a 0600 file
/// or listing a 0700 directory, writing in a 0755 directory; EPERM removing another's file from a
/// sticky directory or chmod of another's file; new files owned by the caller, group the directory's.
#[test]
fn permissions_for_another_uid() {
    need_fuse!();
    if !have("setpriv") {
        skip::skip("no setpriv");
        return;
    }
    let s = Scratch::new("perm");
    let img = s.path("ufs2.img");
    new_image(&img, 2, 32);
    let m = Mounted::new(&["--rw", "--allow-other", img.to_str().unwrap()], &s.path("mnt"));
    sh_ok(&format!(
        "set -e; cd {}; chmod 755 .; echo secret > private; chmod 600 private; mkdir pub secretdir tmp; \
         chmod 755 pub; chmod 700 secretdir; chmod 1777 tmp; echo x > tmp/rootfile; chmod 666 tmp/rootfile; \
         echo readable > pub/r; chgrp 77 tmp",
        m.mnt.display()
    ));
    let user = |cmd: &str| sh(&format!("setpriv --reuid=1000 --regid=1000 --clear-groups bash -c '{cmd}' 2>&1"));
    let denied = |cmd: &str, msg: &str| {
        let o = user(cmd);
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(!o.status.success() && out.contains(msg), "`{cmd}` as uid 1000: want {msg:?}, got: {out}");
    };
    let mnt = m.mnt.display().to_string();
    denied(&format!("cat {mnt}/private"), "Permission denied");
    denied(&format!("ls {mnt}/secretdir"), "Permission denied");
    denied(&format!("touch {mnt}/pub/new"), "Permission denied");
    denied(&format!("rm -f {mnt}/tmp/rootfile"), "Operation not permitted");
    denied(&format!("chmod 777 {mnt}/pub/r"), "Operation not permitted");
    denied(&format!("mkdir {mnt}/secretdir/x"), "Permission denied");
    let o = user(&format!("cat {mnt}/pub/r && echo mine > {mnt}/tmp/mine && echo more >> {mnt}/tmp/rootfile"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    assert!(String::from_utf8_lossy(&o.stdout).contains("readable"));
    let md = std::fs::metadata(m.p("tmp/mine")).unwrap();
    assert_eq!((md.uid(), md.gid()), (1000, 77), "owner the caller, group the directory's (BSD)");
    // Root passes (but not execute without any x bit).
    assert_eq!(std::fs::read_to_string(m.p("private")).unwrap(), "secret\n");
    m.umount();
    assert_clean(&img);
}

/// The minfree reserve through FUSE is root's, as in NetBSD: a writer with uid 1000 stops at it with
/// ENOSPC, root then writes on into it; the image stays fsck-clean.
#[test]
fn the_minfree_reserve_is_roots_through_fuse_too() {
    need_fuse!();
    if !have("setpriv") {
        skip::skip("no setpriv");
        return;
    }
    let s = Scratch::new("reserve");
    let img = s.path("ufs2.img");
    new_image(&img, 2, 8);
    let m = Mounted::new(&["--rw", "--allow-other", img.to_str().unwrap()], &s.path("mnt"));
    let mnt = m.mnt.display().to_string();
    sh_ok(&format!("chmod 1777 {mnt}"));
    let avail = |what: &str| {
        let o = sh_ok(&format!("stat -f -c '%a %f' {mnt}"));
        let v: Vec<u64> = o.split_whitespace().map(|x| x.parse().unwrap()).collect();
        eprintln!("{what}: avail {} free {}", v[0], v[1]);
        (v[0], v[1])
    };
    let user = sh(&format!(
        "setpriv --reuid=1000 --regid=1000 --clear-groups dd if=/dev/zero of={mnt}/user bs=64k 2>&1; true"
    ));
    let out = String::from_utf8_lossy(&user.stdout).into_owned();
    assert!(out.contains("No space left on device"), "{out}");
    let (a, f) = avail("after the user");
    assert_eq!(a, 0, "the user filled what was available");
    assert!(f > 0, "the reserve is still free");
    let root = sh(&format!("dd if=/dev/zero of={mnt}/root bs=64k 2>&1; true"));
    let out = String::from_utf8_lossy(&root.stdout).into_owned();
    assert!(out.contains("No space left on device"), "{out}");
    let root_len = std::fs::metadata(m.p("root")).unwrap().len();
    assert!(root_len > 0, "root wrote into the reserve");
    let (_, f2) = avail("after root");
    assert!(f2 < f, "root used the reserve: free {f} -> {f2}");
    m.umount();
    assert_clean(&img);
}

/// A server killed with SIGKILL: the image needs fsck, fsck -y repairs it, and every file that was
/// fsync'd is there with its contents.
#[test]
fn killed_server_image_is_repaired_by_fsck() {
    need_fuse!();
    let s = Scratch::new("kill");
    let img = s.path("ufs1.img");
    new_image(&img, 1, 64);
    let m = Mounted::new(&["--rw", img.to_str().unwrap()], &s.path("mnt"));
    let pid = server_pid(&m.mnt).expect("server pid");
    // Detached as daemon(3) detaches: a session of its own, no controlling terminal.
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let f: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
    assert_eq!((f[3], f[4]), (pid.to_string().as_str(), "0"), "session id and tty of the server: {stat}");
    std::fs::create_dir(m.p("synced")).unwrap();
    let mut want = Vec::new();
    for i in 0..20 {
        let data: Vec<u8> = (0..(i * 10_000 + 1)).map(|b| (b * 31 + i) as u8).collect();
        let p = m.p(&format!("synced/f{i}"));
        let mut f = std::fs::File::create(&p).unwrap();
        f.write_all(&data).unwrap();
        f.sync_all().unwrap();
        want.push((format!("synced/f{i}"), data));
    }
    // Unsynced work in flight when the server dies.
    sh_ok(&format!(
        "cd {}; mkdir junk; for i in $(seq 1 50); do head -c 9000 /dev/urandom > junk/$i; done; rm junk/1*",
        m.mnt.display()
    ));
    sh_ok(&format!("kill -9 {pid}"));
    for _ in 0..100 {
        if !Path::new(&format!("/proc/{pid}")).exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    drop(m); // detaches the dead mount
    let _ = run(Command::new("fusermount3").arg("-u").arg("-z").arg(s.path("mnt")));
    // The server died mounted: the image says so (not clean) until fsck.
    let info = run(Command::new(env!("CARGO_BIN_EXE_rumpjs")).arg("info").arg(&img));
    let info = String::from_utf8_lossy(&info.stdout).into_owned();
    let clean = info.lines().find(|l| l.trim_start().starts_with("clean")).unwrap_or_else(|| panic!("{info}"));
    assert!(clean.contains("no"), "a killed read-write server left the image marked clean: {clean}");
    let (code, problems) = fsck_image(&img, true);
    eprintln!("fsck -y after kill -9: exit {code}, {} problems: {problems:#?}", problems.len());
    assert_clean(&img);
    let m = Mounted::new(&[img.to_str().unwrap()], &s.path("mnt"));
    for (p, data) in &want {
        assert!(std::fs::read(m.p(p)).unwrap() == *data, "{p} after kill -9 and fsck");
    }
    m.umount();
}

/// `--overlay`: read-write for the host, the image untouched; and a tmpfs served fresh, with
/// renameat2's RENAME_NOREPLACE answered, RENAME_EXCHANGE refused, and ENOSPC at its size.
#[test]
fn overlay_and_tmpfs() {
    need_fuse!();
    let s = Scratch::new("ovl");
    let img = s.path("t.img");
    gunzip_to("ufs1-le-8192-1024.img.gz", &img);
    let before = sha256_file(&img);
    let m = Mounted::new(&["--overlay", img.to_str().unwrap()], &s.path("mnt"));
    std::fs::write(m.p("hello.txt"), b"changed in the overlay").unwrap();
    std::fs::create_dir(m.p("newdir")).unwrap();
    assert_eq!(std::fs::read(m.p("hello.txt")).unwrap(), b"changed in the overlay");
    m.umount();
    assert_eq!(sha256_file(&img), before, "--overlay wrote the image");

    let m = Mounted::new(&["-t", "tmpfs", "-o", "size=4m"], &s.path("tmnt"));
    std::fs::write(m.p("a"), b"A").unwrap();
    std::fs::write(m.p("b"), b"B").unwrap();
    extern "C" {
        fn renameat2(olddirfd: i32, old: *const i8, newdirfd: i32, new: *const i8, flags: u32) -> i32;
    }
    let c = |p: PathBuf| std::ffi::CString::new(p.into_os_string().into_encoded_bytes()).unwrap();
    let rename2 = |a: &str, b: &str, flags: u32| {
        let (a, b) = (c(m.p(a)), c(m.p(b)));
        let r = unsafe { renameat2(-100, a.as_ptr(), -100, b.as_ptr(), flags) };
        if r == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error().raw_os_error())
        }
    };
    assert_eq!(rename2("a", "b", 1), Err(Some(17)), "RENAME_NOREPLACE onto an existing name: EEXIST");
    assert_eq!(rename2("a", "b", 2), Err(Some(22)), "RENAME_EXCHANGE: EINVAL");
    rename2("a", "c", 1).unwrap();
    assert_eq!(std::fs::read(m.p("c")).unwrap(), b"A");
    let e = std::fs::write(m.p("big"), vec![7u8; 8 << 20]).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(28), "ENOSPC past size=4m: {e}");
    let statfs = sh_ok(&format!("stat -f -c '%T %b %S' {}", m.mnt.display()));
    assert!(statfs.starts_with("fuseblk") || statfs.starts_with("fuse"), "{statfs}");
    m.umount();
}
