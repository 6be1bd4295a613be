//! The sandbox as an attacker who controls the script would try it, rumpjs run as root (as in CI): each
//! test performs an attack as docs/security.md lists it and shows it fail — no host device node, fifo or
//! set-ID file made by a copy out, no image written that was named read-only, no file outside a grant read
//! or created while a host process swaps the grant's directories for symbolic links, no module imported
//! from outside the script's project.

#[path = "../../tests/support/skip.rs"]
mod skip;

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

const BIN: &str = env!("CARGO_BIN_EXE_rumpjs");

fn rumpjs_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN).current_dir(dir).args(args).output().expect("run rumpjs")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh scratch directory for one test, with a package.json so it is a project of its own (it sits
/// inside this repository).
fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sandbox").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("package.json"), "{}\n").unwrap();
    d
}

fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

fn sha256(p: &Path) -> String {
    let o = Command::new("sha256sum").arg(p).output().expect("sha256sum");
    String::from_utf8_lossy(&o.stdout).split(' ').next().unwrap_or("").to_string()
}

/// A fresh, clean 8 MiB UFS2 image (read-write capable) at `p`.
fn new_image(p: &Path) {
    let o = Command::new(BIN).args(["newfs", "-s", "8m", p.to_str().unwrap()]).output().unwrap();
    assert!(o.status.success(), "{}", err(&o));
}

#[test]
fn copies_out_make_no_device_node_fifo_or_set_id_file() {
    let d = scratch("copyout");
    std::fs::create_dir_all(d.join("g")).unwrap();
    // The attack as reported: a block device for the host's loop0 made in the kernel, copied out, then
    // passed back in as an "image" to a mount that takes none; and a set-user-ID root file.
    let js = "\
        rump.sys.mknod('/tmp/n', rump.S_IFBLK | 0o600, (7 << 8) | 0);\n\
        rump.sys.mknod('/tmp/f', rump.S_IFIFO | 0o600, 0);\n\
        fs.writeFileSync('/tmp/s', '#!/bin/sh\\n'); fs.chmodSync('/tmp/s', 0o6755);\n\
        fs.mkdirSync('/tmp/t'); fs.writeFileSync('/tmp/t/s2', 'x'); fs.chmodSync('/tmp/t/s2', 0o4700);\n\
        for (const n of ['n', 'f', 's', 't']) rump.host.copyOut('/tmp/' + n, 'g/' + n);\n\
        fs.mkdirSync('/tmp/x');\n\
        try { rump.mount('tmpfs', '/tmp/x', { image: 'g/s' }); console.log('MOUNTED'); }\n\
        catch (e) { console.log('mount', e.code, e.message); }\n\
        console.log('dev', fs.readdirSync('/dev').join(' '));\n";
    let o = rumpjs_in(&d, &["--allow-host", "g", "-e", js]);
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    assert!(!d.join("g/n").exists() && !d.join("g/f").exists(), "a device node or fifo was made on the host");
    assert!(err(&o).contains("g/n: block device not made"), "{}", err(&o));
    assert!(err(&o).contains("--preserve-all"), "{}", err(&o));
    for f in ["g/s", "g/t/s2"] {
        let m = std::fs::metadata(d.join(f)).unwrap();
        assert_eq!(m.mode() & 0o7000, 0, "{f}: set-ID bits kept: {:o}", m.mode());
        assert_eq!(m.uid(), unsafe { libc::geteuid() }, "{f}: owned by someone else");
    }
    assert_eq!(std::fs::metadata(d.join("g/s")).unwrap().mode() & 0o777, 0o755);
    // A mount that takes no image registers none.
    assert!(out(&o).contains("mount EINVAL") && out(&o).contains("tmpfs takes no image"), "{}", out(&o));
    assert!(!out(&o).contains("MOUNTED") && !out(&o).contains("tmpfs0"), "{}", out(&o));

    // Asked for on the command line (as cp -a as root), they are kept.
    if is_root() {
        let o = rumpjs_in(&d, &["--allow-host", "g", "--preserve-all", "-e", &js.replace("'g/'", "'g/p'")]);
        assert!(o.status.success(), "{}{}", out(&o), err(&o));
        assert!(std::fs::symlink_metadata(d.join("g/pn")).unwrap().file_type().is_block_device());
        assert!(std::fs::symlink_metadata(d.join("g/pf")).unwrap().file_type().is_fifo());
        assert_eq!(std::fs::metadata(d.join("g/ps")).unwrap().mode() & 0o7777, 0o6755);
    }
}

#[test]
fn an_image_is_a_regular_file_or_a_device_the_user_named() {
    if !is_root() {
        return skip::skip("making a device node on the host needs root");
    }
    let d = scratch("devices");
    std::fs::create_dir_all(d.join("g")).unwrap();
    // /dev/null's numbers: harmless to open, and a device all the same.
    let node = d.join("g/null");
    let c = std::ffi::CString::new(node.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o600, libc::makedev(1, 3)) }, 0);
    let fifo = std::ffi::CString::new(d.join("g/fifo").to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    let js = "fs.mkdirSync('/tmp/m');\n\
        for (const p of ['g/null', 'g/fifo']) {\n\
          try { rump.mount('ffs', '/tmp/m', { image: p, readonly: true }); console.log(p, 'MOUNTED'); }\n\
          catch (e) { console.log(p, e.code); }\n\
        }\n";
    // Found inside a granted directory: refused before it is used (EACCES), and a fifo is no disk
    // (ENOTBLK) — nor does opening it hang.
    let o = rumpjs_in(&d, &["--allow-host", "g", "--timeout", "20", "-e", js]);
    assert_eq!(out(&o), "g/null EACCES\ng/fifo ENOTBLK\n", "{}", err(&o));
    // Named by the user itself: opened (an empty device then holds no file system).
    let o = rumpjs_in(&d, &["--allow-host", "g/null", "-e", js]);
    let first = out(&o).lines().next().unwrap_or("").to_string();
    assert!(first.starts_with("g/null ") && first != "g/null EACCES", "{}{}", out(&o), err(&o));
}

#[test]
fn an_image_named_read_only_is_never_written() {
    let d = scratch("readonly-image");
    let img = d.join("d.img");
    new_image(&img);
    let before = sha256(&img);
    let attack = "fs.mkdirSync('/tmp/m');\n\
        try { rump.mount('ffs', '/tmp/m', { image: 'd.img', readonly: false }); fs.writeFileSync('/tmp/m/pwned', 'owned');\n\
              rump.unmount('/tmp/m'); console.log('WROTE'); }\n\
        catch (e) { console.log(e.code, e.message); }\n";
    // The attack as reported, then after unmounting the session's own mount of it.
    for pre in ["", "rump.unmount('/ffs');\n"] {
        let o = rumpjs_in(&d, &["--image", "d.img", "-e", &format!("{pre}{attack}")]);
        assert!(out(&o).contains("ERR_ACCESS_DENIED") && out(&o).contains("without --rw"), "{}{}", out(&o), err(&o));
        assert!(!out(&o).contains("WROTE"));
    }
    // Under --overlay the script's writable mount goes on an overlay of its own: written in memory only.
    let o = rumpjs_in(&d, &["--image", "d.img", "--overlay", "-e", &format!("{attack}console.log(rump.dmesg())")]);
    assert!(out(&o).contains("WROTE") && out(&o).contains("copy-on-write overlay"), "{}{}", out(&o), err(&o));
    let o = rumpjs_in(&d, &["--image", "d.img", "--overlay", "-e", &format!("rump.unmount('/ffs');\n{attack}")]);
    assert!(out(&o).contains("WROTE"), "{}{}", out(&o), err(&o));
    // As a test file run by `rumpjs test --image`.
    std::fs::write(
        d.join("w.test.js"),
        format!("import {{ test }} from 'rumpjs:test';\ntest('w', () => {{\n{attack}}});\n"),
    )
    .unwrap();
    let o = rumpjs_in(&d, &["test", "--image", "d.img", "w.test.js"]);
    assert!(out(&o).contains("1 passed"), "{}{}", out(&o), err(&o));
    // An overlay file is a host file: the read-only image cannot be one.
    let o = rumpjs_in(
        &d,
        &["--image", "d.img", "-e", "fs.mkdirSync('/tmp/m'); try { rump.mount('ffs', '/tmp/m', { image: 'd.img', overlayFile: 'd.img' }) } catch (e) { console.log(e.code) }"],
    );
    assert_eq!(out(&o), "ERR_ACCESS_DENIED\n", "{}", err(&o));
    assert_eq!(sha256(&img), before, "the image named read-only was written");

    // With --rw it is written, but never attached twice for writing (EBUSY); unmounting releases it.
    let js = "fs.mkdirSync('/tmp/m');\n\
        for (const readonly of [false, true]) try { rump.mount('ffs', '/tmp/m', { image: 'd.img', readonly }); console.log('mounted', readonly); rump.unmount('/tmp/m') } catch (e) { console.log(e.code) }\n\
        fs.writeFileSync('/ffs/ok', 'x'); rump.unmount('/ffs');\n\
        rump.mount('ffs', '/tmp/m', { image: 'd.img' }); console.log(fs.readFileSync('/tmp/m/ok', 'utf8'));\n";
    let o = rumpjs_in(&d, &["--image", "d.img", "--rw", "-e", js]);
    assert_eq!(out(&o), "EBUSY\nmounted true\nx\n", "{}", err(&o));
}

/// Swaps `a` and `b` (a directory and a symbolic link) until told to stop; counts the swaps.
fn swapper(a: PathBuf, b: PathBuf, stop: Arc<AtomicBool>, swaps: Arc<AtomicU64>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let (a, b) = (
            std::ffi::CString::new(a.to_str().unwrap()).unwrap(),
            std::ffi::CString::new(b.to_str().unwrap()).unwrap(),
        );
        while !stop.load(Ordering::Relaxed) {
            let r = unsafe {
                libc::renameat2(libc::AT_FDCWD, a.as_ptr(), libc::AT_FDCWD, b.as_ptr(), libc::RENAME_EXCHANGE)
            };
            if r == 0 {
                swaps.fetch_add(1, Ordering::Relaxed);
            }
        }
    })
}

#[test]
fn a_grant_holds_while_a_host_process_swaps_its_directories_for_links() {
    let d = scratch("race");
    let g = d.join("g");
    std::fs::create_dir_all(g.join("sub")).unwrap();
    std::fs::create_dir_all(d.join("outside")).unwrap();
    // The grant is the script's project (else the scratch directory above, outside/ included, would be).
    std::fs::write(g.join("package.json"), "{}\n").unwrap();
    std::fs::write(g.join("sub/f"), "inside").unwrap();
    std::fs::write(d.join("outside/f"), "SECRET").unwrap();
    for i in 0..300 {
        std::fs::write(g.join(format!("sub/m{i}.js")), "export const v = 'inside';\n").unwrap();
        std::fs::write(d.join(format!("outside/m{i}.js")), "export const v = 'SECRET';\n").unwrap();
    }
    // An image outside (a good one) and a file inside that is none: a mount that works came from outside.
    new_image(&d.join("outside/img"));
    std::fs::write(g.join("sub/img"), vec![0u8; 65536]).unwrap();
    std::os::unix::fs::symlink("../outside", g.join("swap")).unwrap();
    // The script lives in the grant: its imports are served from it too.
    let script = "\
        let read = 0, secret = 0, imported = 0, mounted = 0, ok = 0;\n\
        fs.writeFileSync('/tmp/w', 'planted'); fs.mkdirSync('/tmp/m');\n\
        for (let i = 0; i < 3000; i++) {\n\
          try { rump.host.copyIn(import.meta.dirname + '/sub/f', '/tmp/f'); read++;\n\
                if (fs.readFileSync('/tmp/f', 'utf8') === 'SECRET') secret++; else ok++; } catch {}\n\
          try { rump.host.copyOut('/tmp/w', import.meta.dirname + '/sub/w' + i); } catch {}\n\
          if (i < 300) try { const m = await import('./sub/m' + i + '.js'); if (m.v === 'SECRET') imported++; else ok++; } catch {}\n\
          if (i % 10 === 0) try { rump.mount('ffs', '/tmp/m', { image: import.meta.dirname + '/sub/img', readonly: true });\n\
                mounted++; rump.unmount('/tmp/m'); } catch {}\n\
        }\n\
        console.log(JSON.stringify({ read, secret, imported, mounted, ok }));\n";
    std::fs::write(g.join("main.js"), script).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let swaps = Arc::new(AtomicU64::new(0));
    let t = swapper(g.join("sub"), g.join("swap"), stop.clone(), swaps.clone());
    let o = rumpjs_in(&d, &["--allow-host", "g", "run", "g/main.js"]);
    stop.store(true, Ordering::Relaxed);
    t.join().unwrap();
    let report = out(&o);
    assert!(o.status.success(), "{report}{}", err(&o));
    let v: serde_json::Value = serde_json::from_str(report.trim()).expect("the script's report");
    assert!(swaps.load(Ordering::Relaxed) > 1000, "the swapper barely ran: {}", swaps.load(Ordering::Relaxed));
    // The grant worked whenever the directory was really there ...
    assert!(v["ok"].as_u64().unwrap_or(0) > 0, "{report}");
    // ... and never led outside it.
    assert_eq!(
        (v["secret"].as_u64(), v["imported"].as_u64(), v["mounted"].as_u64()),
        (Some(0), Some(0), Some(0)),
        "{report}"
    );
    let planted = std::fs::read_dir(d.join("outside"))
        .unwrap()
        .filter(|e| e.as_ref().is_ok_and(|e| e.file_name().to_string_lossy().starts_with('w')))
        .count();
    assert_eq!(planted, 0, "files were created outside the grant");
}

#[test]
fn imports_come_from_the_project_and_denials_leak_nothing() {
    let d = scratch("imports");
    // A script outside any project, run from `/`: `/` is not its project.
    let p = d.join("p");
    std::fs::create_dir_all(&p).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", p.join("link.js")).unwrap();
    let js = "for (const s of ['/etc/passwd', '/etc/no-such-file.js', './link.js', './missing.js'])\n\
          await import(s).then(() => console.log(s, 'IMPORTED'), (e) => console.log(s, e.code, e.message));\n";
    std::fs::write(p.join("main.js"), js).unwrap();
    std::fs::remove_file(d.join("package.json")).unwrap();
    std::fs::write(p.join("package.json"), "{}").unwrap();
    let o = rumpjs_in(Path::new("/"), &["run", p.join("main.js").to_str().unwrap()]);
    let text = out(&o);
    assert!(o.status.success() && !text.contains("IMPORTED"), "{text}{}", err(&o));
    let lines: Vec<&str> = text.lines().collect();
    // Existing or not, outside is "access denied" in the same words; a link out names no target.
    for (l, s) in lines.iter().zip(["/etc/passwd", "/etc/no-such-file.js"]) {
        assert_eq!(*l, format!("{s} ERR_ACCESS_DENIED import of '{s}' denied: access denied (modules are read from the script's own directory and project, and from paths granted with --allow-host)"));
    }
    assert!(lines[2].starts_with("./link.js ERR_ACCESS_DENIED") && !lines[2].contains("/etc/passwd"), "{text}");
    assert!(lines[3].starts_with("./missing.js ERR_MODULE_NOT_FOUND"), "{text}");
    assert!(!text.contains("root:") && !text.contains("SyntaxError"), "{text}");

    // A home directory with a .git (dotfiles) is not a project: its other files are not the script's.
    let home = d.join("home");
    std::fs::create_dir_all(home.join(".git")).unwrap();
    std::fs::create_dir_all(home.join("tool")).unwrap();
    std::fs::write(home.join("private.js"), "export const v = 'private';\n").unwrap();
    std::fs::write(
        home.join("tool/main.js"),
        "await import('../private.js').then((m) => console.log(m.v), (e) => console.log(e.code));\n",
    )
    .unwrap();
    let o = Command::new(BIN).current_dir(&home).env("HOME", &home).args(["run", "tool/main.js"]).output().unwrap();
    assert_eq!(out(&o), "ERR_ACCESS_DENIED\n", "{}", err(&o));
    // Nor is it for -e run there; a project below it is.
    let o = Command::new(BIN)
        .current_dir(&home)
        .env("HOME", &home)
        .args(["-e", "await import('./private.js').then((m) => console.log(m.v), (e) => console.log(e.code))"])
        .output()
        .unwrap();
    assert_eq!(out(&o), "ERR_ACCESS_DENIED\n", "{}", err(&o));
    std::fs::write(home.join("tool/package.json"), "{}").unwrap();
    std::fs::create_dir_all(home.join("tool/test")).unwrap();
    std::fs::write(home.join("tool/lib.js"), "export const v = 'lib';\n").unwrap();
    std::fs::write(home.join("tool/test/t.js"), "import { v } from '../lib.js'; console.log(v);\n").unwrap();
    let o = Command::new(BIN).current_dir(&home).env("HOME", &home).args(["run", "tool/test/t.js"]).output().unwrap();
    assert_eq!(out(&o), "lib\n", "{}", err(&o));
}
