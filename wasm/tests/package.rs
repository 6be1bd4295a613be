//! The built package (scripts/build-web.sh) in Node: tests/node/walk.mjs mounts every committed FFS
//! fixture through `k.mount` and walks it through `k.fs` against its manifest. Needs node, the
//! wasm32-unknown-unknown target and wasm-bindgen-cli at the pinned version; without them it skips with a
//! message (a failure under RUMPJS_REQUIRE_TOOLS=1, as in CI).

#[path = "../../tests/support/skip.rs"]
mod skip;

use std::path::{Path, PathBuf};
use std::process::Command;

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

#[test]
fn package_walks_every_fixture_in_node() {
    if let Some(why) = missing_tool() {
        skip::skip(&format!("the WebAssembly package test: {why}"));
        return;
    }
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("web");
    let build = Command::new(root().join("scripts/build-web.sh")).arg(&out).output().unwrap();
    assert!(build.status.success(), "build-web.sh failed:\n{}", String::from_utf8_lossy(&build.stderr));
    for f in ["index.html", "rumpjs.js", "rumpjs.d.ts", "package.json", "kernel_bg.wasm"] {
        assert!(out.join(f).is_file(), "{f} missing from the package");
    }
    let package = std::fs::read_to_string(out.join("package.json")).unwrap();
    assert!(package.contains("\"name\": \"rumpjs\"") && package.contains("\"type\": \"module\""), "{package}");

    let walk = Command::new("node")
        .arg(root().join("wasm/tests/node/walk.mjs"))
        .arg(&out)
        .arg(root().join("tests/fixtures/ffs"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&walk.stdout);
    assert!(walk.status.success(), "walk.mjs failed:\n{stdout}\n{}", String::from_utf8_lossy(&walk.stderr));
    // 20 geometries, the 4.2BSD pair, the partitioned disks, and one image by host path.
    assert!(stdout.contains("walked 28 images"), "{stdout}");
    eprintln!("{}", stdout.trim());
}
