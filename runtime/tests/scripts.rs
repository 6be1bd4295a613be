//! The example scripts in scripts/ run against FFS images made by makefs (skipped when the host has no
//! makefs; .ci/run installs it).

#[path = "../../tests/support/skip.rs"]
mod skip;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_rumpjs");

fn script(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts").join(name).to_string_lossy().into_owned()
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run rumpjs")
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Two small trees as FFS images (b differs from a: one file changed, one removed, one added).
fn images() -> Option<(PathBuf, PathBuf, PathBuf)> {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("scripts");
    let _ = std::fs::remove_dir_all(&d);
    for (t, extra) in [("a", false), ("b", true)] {
        let tree = d.join(t);
        std::fs::create_dir_all(tree.join("etc")).unwrap();
        std::fs::create_dir_all(tree.join("data/deep")).unwrap();
        std::fs::write(tree.join("etc/motd"), if extra { "Welcome, changed\n" } else { "Welcome\n" }).unwrap();
        std::fs::write(tree.join("data/big.bin"), vec![1u8; 5000]).unwrap();
        std::fs::write(tree.join("data/deep/notes.txt"), "notes\n").unwrap();
        std::os::unix::fs::symlink("etc/motd", tree.join("motd")).unwrap();
        if extra {
            std::fs::write(tree.join("new.txt"), "new\n").unwrap();
        } else {
            std::fs::write(tree.join("etc/hosts"), "127.0.0.1 localhost\n").unwrap();
        }
        let img = d.join(format!("{t}.img"));
        let ok = Command::new("makefs").args(["-t", "ffs", "-s", "4m"]).arg(&img).arg(&tree).output();
        if !matches!(ok, Ok(o) if o.status.success()) {
            skip::skip("makefs not available");
            return None;
        }
    }
    Some((d.join("a.img"), d.join("b.img"), d))
}

#[test]
fn example_scripts_on_images() {
    let Some((a, b, dir)) = images() else { return };
    let a = a.to_str().unwrap();
    let o = run(&["--image", a, "run", &script("ls-lR.js"), "/ffs"]);
    let t = text(&o);
    assert!(t.contains("/ffs/data/deep:") && t.contains("notes.txt") && t.contains("motd -> etc/motd"), "{t}");
    let o = run(&["--image", a, "run", &script("cat.js"), "/ffs/etc/motd"]);
    assert_eq!(text(&o), "Welcome\n");
    let o = run(&["--image", a, "run", &script("find.js"), "/ffs", "-type", "f", "-size", "+1k"]);
    assert_eq!(text(&o), "/ffs/data/big.bin\n");
    let o = run(&["--image", a, "run", &script("find.js"), "/ffs", "-name", "*.txt"]);
    assert_eq!(text(&o), "/ffs/data/deep/notes.txt\n");
    let o = run(&["--image", a, "run", &script("du.js"), "-s", "/ffs"]);
    assert!(text(&o).ends_with("\t/ffs\n"), "{}", text(&o));
    let o = run(&["--image", a, "run", &script("tree.js")]);
    assert!(text(&o).contains("└── motd -> etc/motd") && text(&o).contains("3 directories, 5 files"), "{}", text(&o));
    let o = run(&["--image", a, "run", &script("manifest.js")]);
    let t = text(&o);
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines.len(), 8, "{}", text(&o));
    assert!(lines
        .iter()
        .any(|l| l.contains(r#""path":"/motd","type":"link""#) && l.contains(r#""target":"etc/motd""#)));
    assert!(lines.iter().any(|l| l.contains(r#""path":"/etc/motd""#) && l.contains(r#""sha256":""#)));
    let spec_a = format!("{a}:/a");
    let spec_b = format!("{}:/b", b.display());
    let o = run(&["--image", &spec_a, "--image", &spec_b, "run", &script("diff-images.js"), "/a", "/b"]);
    assert_eq!(o.status.code(), Some(1));
    let t = text(&o);
    assert!(t.contains("- /etc/hosts") && t.contains("+ /new.txt") && t.contains("~ /etc/motd (size: 8 -> 17"), "{t}");
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let o = run(&[
        "--image",
        a,
        "--allow-host",
        out.to_str().unwrap(),
        "run",
        &script("copy-out.js"),
        "/ffs",
        out.join("tree").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read_to_string(out.join("tree/data/deep/notes.txt")).unwrap(), "notes\n");
    assert_eq!(std::fs::read_link(out.join("tree/motd")).unwrap(), Path::new("etc/motd"));
}

/// ls-lR.js shows device numbers as NetBSD's major()/minor() split them (the fixture's /dev/big is
/// 4095, 1048575: a minor past 255 lives in the dev_t's high bits), as `rumpjs ls -l` does.
#[test]
fn ls_lr_splits_device_numbers_as_netbsd() {
    use std::io::Read;
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("scripts-dev");
    std::fs::create_dir_all(&d).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/ffs/ufs1-le-8192-1024.img.gz");
    let mut data = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&src).unwrap()).read_to_end(&mut data).unwrap();
    let img = d.join("u1.img");
    std::fs::write(&img, data).unwrap();
    let o = run(&["--image", img.to_str().unwrap(), "run", &script("ls-lR.js"), "/ffs/dev"]);
    let t = text(&o);
    assert!(t.contains("4095, 1048575 Jun  1  2012 big"), "{t}");
    assert!(t.contains("4, 12 Jun  1  2012 sd1e"), "{t}");
}
