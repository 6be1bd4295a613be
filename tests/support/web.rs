//! What the tests of the page whose kernel runs in the browser share (wasm/tests/package.rs,
//! runtime/tests/serve_page.rs; included with `#[path]`): the page built by scripts/build-web.sh, once for
//! a whole `cargo test` run, and a 2 GiB sparse FFS image.
//!
//! The page is built into target/tmp/web with a stamp of what it was built from (the size and time of
//! every file under the sources it is made of). A test binary that finds the stamp matching uses the
//! folder as it is, so the second binary of a run (and a run with nothing changed) does not build the
//! WebAssembly again. Test binaries run one after another, and the tests of one binary share one build.

#![allow(dead_code)]

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The source tree.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

pub fn output(cmd: &str, args: &[&str]) -> Option<String> {
    let o = Command::new(cmd).args(args).output().ok()?;
    o.status.success().then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
}

/// A program on PATH (or in /usr/lib/chromium, where Debian keeps chromedriver's browser).
pub fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::env::split_paths(&path).chain([PathBuf::from("/usr/lib/chromium")]).collect();
    names.iter().flat_map(|n| dirs.iter().map(move |d| d.join(n))).find(|p| p.is_file())
}

/// Why the page cannot be built here, if it cannot: the wasm32 target or wasm-bindgen-cli at the
/// pinned version is missing.
fn missing_tool() -> Option<String> {
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

/// What the page is built from: every file's path, size and modification time.
fn fingerprint() -> String {
    fn walk(p: &Path, h: &mut std::collections::hash_map::DefaultHasher) {
        let Ok(meta) = std::fs::metadata(p) else { return };
        if meta.is_dir() {
            let mut names: Vec<PathBuf> =
                std::fs::read_dir(p).into_iter().flatten().flatten().map(|e| e.path()).collect();
            names.sort();
            for n in names.iter().filter(|n| n.file_name().is_some_and(|f| f != "target")) {
                walk(n, h);
            }
        } else {
            p.hash(h);
            meta.len().hash(h);
            meta.modified().ok().hash(h);
        }
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let r = root();
    let parts = ["wasm/src", "wasm/js", "wasm/Cargo.toml", "kernel", "kernel-bindings", "scripts/lib"];
    for part in parts.iter().chain(&["scripts/build-web.sh", "demo/demo.img.gz", "Cargo.toml", "Cargo.lock"]) {
        walk(&r.join(part), &mut h);
    }
    format!("{:016x}", h.finish())
}

/// The built page, once for every test of this binary and reused by the next binary of the run; or why
/// it cannot be built here.
pub fn built_page() -> Result<&'static Path, String> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        if let Some(why) = missing_tool() {
            return Err(why);
        }
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("web");
        let stamp = Path::new(env!("CARGO_TARGET_TMPDIR")).join("web.built-from");
        let want = fingerprint();
        if std::fs::read_to_string(&stamp).is_ok_and(|s| s == want) && out.join("kernel_bg.wasm").is_file() {
            return Ok(out);
        }
        let _ = std::fs::remove_file(&stamp);
        let build = Command::new(root().join("scripts/build-web.sh")).arg(&out).output().unwrap();
        assert!(build.status.success(), "build-web.sh failed:\n{}", String::from_utf8_lossy(&build.stderr));
        std::fs::write(&stamp, want).unwrap();
        Ok(out)
    });
    built.as_ref().map(|p| p.as_path()).map_err(Clone::clone)
}

/// A 2 GiB FFS (UFS2) in a sparse file holding `/hello.txt`: made by the kernel's newfs and written
/// through a mount, so only its metadata takes space on disk.
pub fn sparse_image(path: &Path) {
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
