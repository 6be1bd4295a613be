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
#[path = "../../tests/support/web.rs"]
mod web;

use std::path::Path;
use std::process::Command;
use web::{find_program, output, root, sparse_image};

/// The built package (tests/support/web.rs builds it once per run), if node is here to run it.
fn package() -> Result<&'static Path, String> {
    if Command::new("node").arg("--version").output().map_or(true, |o| !o.status.success()) {
        return Err("node not installed".into());
    }
    web::built_page()
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
