//! The built package (scripts/build-web.sh), run where it is meant to run:
//! - in Node, tests/node/walk.mjs mounts every committed FFS fixture through `k.mount` and walks it
//!   through `k.fs` against its manifest;
//! - in headless Chromium over WebDriver, tests/node/browser.mjs loads the page from a plain static
//!   server and drives it: boot log, mounts, `?run=`, an image through the file input with every file's
//!   sha256, `?image=…&run=…`, JavaScript in the console, a corrupt image, a writable mount whose saved
//!   image fsck finds clean and The Sleuth Kit reads, and a 2 GiB image opened without the tab's memory
//!   growing by more than 150 MB.
//!
//! Needs node, the wasm32-unknown-unknown target and wasm-bindgen-cli at the pinned version (and Chromium
//! with chromedriver for the page); without them a test skips with a message (a failure under
//! RUMPJS_REQUIRE_TOOLS=1, as in CI).

#[path = "../../tests/support/skip.rs"]
mod skip;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn output(cmd: &str, args: &[&str]) -> Option<String> {
    let o = Command::new(cmd).args(args).output().ok()?;
    o.status.success().then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
}

/// Why the package cannot be built and run here, if it cannot.
fn missing_tool() -> Option<String> {
    if output("node", &["--version"]).is_none() {
        return Some("node not installed".into());
    }
    let sysroot = output("rustc", &["--print", "sysroot"]).unwrap_or_default();
    if !Path::new(&sysroot).join("lib/rustlib/wasm32-unknown-unknown").is_dir() {
        return Some(
            "the wasm32-unknown-unknown target is not installed (rustup target add wasm32-unknown-unknown)".into(),
        );
    }
    let manifest = std::fs::read_to_string(root().join("wasm/Cargo.toml")).unwrap();
    let pinned = manifest.lines().find_map(|l| l.strip_prefix("wasm-bindgen = \"=")).unwrap().trim_end_matches('"');
    let bindgen = std::env::var("WASM_BINDGEN").unwrap_or_else(|_| "wasm-bindgen".into());
    match output(&bindgen, &["--version"]) {
        Some(v) if v == format!("wasm-bindgen {pinned}") => None,
        Some(v) => Some(format!("{bindgen} is {v}, not {pinned} (cargo install wasm-bindgen-cli --version {pinned})")),
        None => Some(format!("wasm-bindgen-cli not installed (cargo install wasm-bindgen-cli --version {pinned})")),
    }
}

/// The package, built once for every test here; or why it cannot be.
fn package() -> Result<&'static Path, String> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        if let Some(why) = missing_tool() {
            return Err(why);
        }
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("web");
        let build = Command::new(root().join("scripts/build-web.sh")).arg(&out).output().unwrap();
        assert!(build.status.success(), "build-web.sh failed:\n{}", String::from_utf8_lossy(&build.stderr));
        Ok(out)
    });
    built.as_ref().map(|p| p.as_path()).map_err(Clone::clone)
}

/// Runs `node SCRIPT ARGS…`; its standard output, or a failure showing both streams.
fn node(script: &str, args: &[&Path]) -> String {
    let run = Command::new("node").arg(root().join("wasm/tests/node").join(script)).args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    assert!(run.status.success(), "{script} failed:\n{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    eprintln!("{}", stdout.trim());
    stdout
}

#[test]
fn package_walks_every_fixture_in_node() {
    let out = match package() {
        Ok(p) => p,
        Err(why) => return skip::skip(&format!("the WebAssembly package test: {why}")),
    };
    for f in ["index.html", "rumpjs.js", "rumpjs.d.ts", "package.json", "kernel_bg.wasm", "lib/commands.js"] {
        assert!(out.join(f).is_file(), "{f} missing from the package");
    }
    let package = std::fs::read_to_string(out.join("package.json")).unwrap();
    assert!(package.contains("\"name\": \"rumpjs\"") && package.contains("\"type\": \"module\""), "{package}");
    // The console's commands are the CLI's file, byte for byte.
    let lib = std::fs::read(root().join("scripts/lib/commands.js")).unwrap();
    assert_eq!(std::fs::read(out.join("lib/commands.js")).unwrap(), lib);

    let stdout = node("walk.mjs", &[out, &root().join("tests/fixtures/ffs")]);
    // 20 geometries, the 4.2BSD pair, the partitioned disks, and one image by host path.
    assert!(stdout.contains("walked 28 images"), "{stdout}");
}

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::env::split_paths(&path).chain([PathBuf::from("/usr/lib/chromium")]).collect();
    names.iter().flat_map(|n| dirs.iter().map(move |d| d.join(n))).find(|p| p.is_file())
}

#[test]
fn the_page_works_in_headless_chromium() {
    let out = match package() {
        Ok(p) => p,
        Err(why) => return skip::skip(&format!("the page's browser test: {why}")),
    };
    let (Some(chromium), Some(chromedriver)) =
        (find_program(&["chromium", "chromium-browser"]), find_program(&["chromedriver"]))
    else {
        return skip::skip("the page's browser test: chromium and chromedriver are not installed");
    };
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let (profile, downloads) = (tmp.join("web-chromium-profile"), tmp.join("web-downloads"));
    for d in [&profile, &downloads] {
        let _ = std::fs::remove_dir_all(d);
        std::fs::create_dir_all(d).unwrap();
    }
    let fixtures = root().join("tests/fixtures/ffs");
    let big = tmp.join("web-sparse-2g.img");
    sparse_image(&big);
    let stdout = node("browser.mjs", &[out, &fixtures, &chromium, &chromedriver, &profile, &downloads, &big]);
    let _ = std::fs::remove_file(&big);
    assert!(stdout.contains("browser: all checks passed"), "{stdout}");

    // The image the page saved after writing to it: clean to `rumpjs fsck -n` (the same check), and the
    // new file read by The Sleuth Kit, a reader that shares nothing with ours.
    let saved = downloads.join("ufs1-le-8192-1024.img");
    fsck_clean(&saved);
    if find_program(&["fls"]).is_none() || find_program(&["icat"]).is_none() {
        return skip::skip("the page's saved image read by The Sleuth Kit: fls and icat not installed");
    }
    let fls = output("fls", &["-r", "-p", saved.to_str().unwrap()]).expect("fls reads the saved image");
    let line = fls.lines().find(|l| l.ends_with("\tfrom-chromium.txt")).unwrap_or_else(|| panic!("fls:\n{fls}"));
    let ino = line.split_whitespace().nth(1).unwrap().trim_end_matches(':');
    let data = output("icat", &[saved.to_str().unwrap(), ino]).expect("icat reads the new file");
    assert_eq!(data, "written in Chromium");
}

/// A 2 GiB FFS (UFS2) in a sparse file holding `/hello.txt`: made by the kernel's newfs and written
/// through a mount, so only its metadata takes space on disk.
fn sparse_image(path: &Path) {
    use kernel::fs::ffs::newfs::{newfs, NewfsOptions};
    use kernel::vfs::{Cred, MountOptions};
    let _ = std::fs::remove_file(path);
    std::fs::File::create(path).unwrap().set_len(2 << 30).unwrap();
    let dev: kernel::dev::Dev = std::sync::Arc::new(kernel::dev::FileDevice::open(path, false).unwrap());
    let hyper = std::sync::Arc::new(kernel::hyper::DeterministicHypervisor::default_for_tests());
    newfs(dev.as_ref(), &NewfsOptions::default(), hyper.as_ref()).unwrap();
    let k = kernel::Kernel::boot_default(hyper).unwrap();
    let p = k.new_proc(Cred::root());
    p.mkdir(b"/ffs", 0o755).unwrap();
    p.mount_device("ffs", b"/ffs", 0, dev, &MountOptions::default()).unwrap();
    let fd = p.open(b"/ffs/hello.txt", kernel::vfs::O_WRONLY | kernel::vfs::O_CREAT, 0o644).unwrap();
    p.write(fd, b"two gigabytes away\n").unwrap();
    p.close(fd).unwrap();
    p.unmount_device(b"/ffs", 0).unwrap();
}

/// `rumpjs fsck -n` of `image`, through the code it runs (kernel::fs::ffs::fsck): no problem found.
fn fsck_clean(image: &Path) {
    use kernel::fs::ffs::fsck::{fsck, FsckOptions, Repair};
    let dev = kernel::dev::FileDevice::open(image, true).unwrap();
    let dev: kernel::dev::Dev = std::sync::Arc::new(dev);
    let opts = FsckOptions { repair: Repair::No, partition: None, force: false, preen: false };
    let mut log = Vec::new();
    let hyper = kernel::hyper::DeterministicHypervisor::default_for_tests();
    let r = fsck(&dev, &opts, &hyper, &mut |l: &str| log.push(l.to_string())).unwrap();
    assert!(r.exit_code == 0 && r.problems.is_empty(), "fsck -n of the saved image:\n{}", log.join("\n"));
}
