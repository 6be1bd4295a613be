//! Runs our JavaScript suites (the *.test.js files under tests/ at the top of the workspace: NetBSD's VFS
//! conformance cases on tmpfs and FFS in tests/vfs, the 2012 demo end to end in tests/demo, the built-in
//! libraries in tests/scripts-lib) with `rumpjs test`, so `cargo test --workspace` covers them: any
//! failing case fails this test, with the runner's report in the panic message.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_rumpjs");

#[test]
fn javascript_suites_pass() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root");
    let o = Command::new(BIN)
        .current_dir(root)
        .args(["test", "--timeout", "60", "tests/"])
        .env("NO_COLOR", "1")
        .output()
        .expect("run rumpjs test");
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    let last = out.lines().last().unwrap_or("");
    assert!(o.status.success(), "rumpjs test tests/ exited with {}: {last}\n{out}\nstderr:\n{err}", o.status);
    // The closing line: "N passed, 0 failed[, N skipped]"; a suite that ran nothing is a failure too.
    let passed: usize = last
        .split(" passed, 0 failed")
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected closing line {last:?}\n{out}"));
    assert!(passed >= 300, "only {passed} JavaScript cases passed:\n{out}");
    let suites = [
        "vfs/t_vnops",
        "vfs/t_vfsops",
        "vfs/t_ro",
        "vfs/t_unpriv",
        "vfs/t_io",
        "vfs/differential",
        "demo/demo2012",
        "scripts-lib/assert",
        "scripts-lib/format",
    ];
    for f in suites {
        assert!(out.contains(&format!("tests/{f}.test.js")), "tests/{f}.test.js did not run:\n{out}");
    }
}
