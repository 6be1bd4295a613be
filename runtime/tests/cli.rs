//! The rumpjs binary driven as a user would: exit codes, stack traces, error shapes, the permission model,
//! limits, images, and the JavaScript suites in tests/bindings (every binding reached; wrong arguments to every
//! binding).

#[path = "../../tests/support/skip.rs"]
mod skip;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_rumpjs");

fn rumpjs(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run rumpjs")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn js_suite(file: &str) -> Output {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/bindings").join(file);
    rumpjs(&["--timeout", "120", "run", p.to_str().unwrap()])
}

#[test]
fn every_binding_is_reached() {
    let o = js_suite("bindings.js");
    assert_eq!(code(&o), 0, "stdout:\n{}\nstderr:\n{}", out(&o), err(&o));
    assert!(out(&o).contains("bindings reached"), "{}", out(&o));
}

#[test]
fn cp_sync_follows_nodes_rules() {
    let o = js_suite("cp.js");
    assert_eq!(code(&o), 0, "stdout:\n{}\nstderr:\n{}", out(&o), err(&o));
    assert!(out(&o).contains("cp ok"), "{}", out(&o));
}

#[test]
fn wrong_arguments_to_every_binding_never_panic() {
    let o = js_suite("fuzz_args.js");
    assert_eq!(code(&o), 0, "stdout:\n{}\nstderr:\n{}", out(&o), err(&o));
    assert!(out(&o).contains("fuzz ok"), "{}", out(&o));
}

#[test]
fn exit_codes() {
    assert_eq!(code(&rumpjs(&["-e", "0"])), 0);
    assert_eq!(code(&rumpjs(&["-e", "throw new Error('x')"])), 1);
    assert_eq!(code(&rumpjs(&["-e", "process.exit(7)"])), 7);
    assert_eq!(code(&rumpjs(&["-e", "process.exitCode = 3"])), 3);
    let o = rumpjs(&["-e", "let let = 1"]);
    assert_eq!(code(&o), 1);
    assert!(err(&o).contains("SyntaxError"), "{}", err(&o));
    let o = rumpjs(&["run", "/nonexistent/script.js"]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("cannot open /nonexistent/script.js"), "{}", err(&o));
    let o = rumpjs(&["-e", "await new Promise(() => {})"]);
    assert_eq!(code(&o), 13, "{}", err(&o));
    let o = rumpjs(&["-p", "6 * 7"]);
    assert_eq!((code(&o), out(&o).trim()), (0, "42"));
    // output written before process.exit is not lost
    let o = rumpjs(&["-e", "for (let i = 0; i < 1000; i++) console.log(i); process.exit(0)"]);
    assert!(out(&o).ends_with("999\n"));
}

#[test]
fn uncaught_errors_show_message_and_stack_with_file_and_line() {
    let d = scratch("stack");
    std::fs::write(d.join("lib.js"), "export function explode() {\n  null.boom;\n}\n").unwrap();
    std::fs::write(
        d.join("main.js"),
        "import { explode } from './lib.js';\nfunction outer() { explode(); }\nouter();\n",
    )
    .unwrap();
    let o = rumpjs(&["run", d.join("main.js").to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    let e = err(&o);
    assert!(e.contains("Uncaught TypeError"), "{e}");
    assert!(e.contains("lib.js:2:"), "frame in lib.js line 2: {e}");
    assert!(e.contains("main.js:2:"), "frame in main.js line 2: {e}");
    // kernel errors show their fields
    let o = rumpjs(&["-e", "fs.readFileSync('/ffs/x')"]);
    let e = err(&o);
    assert!(e.contains("Uncaught Error: ENOENT: no such file or directory, open '/ffs/x'"), "{e}");
    assert!(e.contains("[eval]:1:"), "{e}");
    assert!(e.contains("errno: 2"), "{e}");
}

#[test]
fn errors_are_shaped_as_nodes() {
    let script = r#"
        const shape = (f) => { try { f(); } catch (e) { return e; } throw new Error('no throw'); };
        let e = shape(() => fs.readFileSync('/ffs/x'));
        if (!(e instanceof Error)) throw new Error('not an Error');
        const want = (k, v) => { if (e[k] !== v) throw new Error(`${k}: ${e[k]} != ${v}`); };
        want('code', 'ENOENT'); want('errno', 2); want('syscall', 'open'); want('path', '/ffs/x');
        want('message', "ENOENT: no such file or directory, open '/ffs/x'");
        fs.mkdirSync('/tmp/d/e', { recursive: true });
        e = shape(() => fs.rmdirSync('/tmp/d'));
        want('code', 'ENOTEMPTY'); want('errno', 66); want('syscall', 'rmdir'); want('path', '/tmp/d');
        e = shape(() => fs.renameSync('/tmp/nope', '/tmp/other'));
        want('dest', '/tmp/other');
        want('message', "ENOENT: no such file or directory, rename '/tmp/nope' -> '/tmp/other'");
        e = shape(() => rump.sys.close(1234));
        want('code', 'EBADF'); want('errno', 9); want('syscall', 'close');
        e = shape(() => fs.readFileSync(42n));
        if (!(e instanceof TypeError) || e.code !== 'ERR_INVALID_ARG_TYPE') throw new Error('TypeError expected');
        console.log('shapes ok');
    "#;
    let o = rumpjs(&["-e", script]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert_eq!(out(&o).trim(), "shapes ok");
}

#[test]
fn host_access_is_denied_without_a_grant_and_allowed_with_one() {
    let d = scratch("grants");
    std::fs::create_dir_all(d.join("in/sub")).unwrap();
    std::fs::write(d.join("in/a.txt"), "alpha").unwrap();
    std::fs::write(d.join("in/sub/b.bin"), vec![7u8; 300_000]).unwrap();
    std::os::unix::fs::symlink("a.txt", d.join("in/link")).unwrap();
    let dir = d.to_str().unwrap();
    let copy = format!(
        "const r = rump.host.copyIn('{dir}/in', '/tmp/in');
         console.log(JSON.stringify(r), fs.readFileSync('/tmp/in/a.txt', 'utf8'), fs.readlinkSync('/tmp/in/link'));
         fs.writeFileSync('/tmp/in/new.txt', 'made in the kernel');
         rump.host.copyOut('/tmp/in', '{dir}/out');"
    );
    // Denied by default, with a message saying how to grant.
    let o = rumpjs(&["-e", &copy]);
    assert_eq!(code(&o), 1);
    assert!(err(&o).contains("ERR_ACCESS_DENIED"), "{}", err(&o));
    assert!(err(&o).contains("--allow-host"), "{}", err(&o));
    let o = rumpjs(&["-e", &format!("rump.mount('ffs', '/mnt', {{ image: '{dir}/in/a.txt' }})")]);
    assert!(err(&o).contains("ERR_ACCESS_DENIED"), "{}", err(&o));
    // A grant of another directory does not help; `..` does not escape it.
    let other = scratch("grants-other");
    let o = rumpjs(&[
        "--allow-host",
        other.to_str().unwrap(),
        "-e",
        &copy.replace(&format!("{dir}/in"), &format!("{}/../grants/in", other.display())),
    ]);
    assert!(err(&o).contains("ERR_ACCESS_DENIED"), "{}", err(&o));
    // Allowed with a grant.
    let o = rumpjs(&["--allow-host", dir, "-e", &copy]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(out(&o).contains(r#"{"files":2,"dirs":2,"links":1,"bytes":300005} alpha a.txt"#), "{}", out(&o));
    assert_eq!(std::fs::read(d.join("out/sub/b.bin")).unwrap(), vec![7u8; 300_000]);
    assert_eq!(std::fs::read_to_string(d.join("out/new.txt")).unwrap(), "made in the kernel");
    assert_eq!(std::fs::read_link(d.join("out/link")).unwrap(), Path::new("a.txt"));
}

/// Module files are host files too: a script imports from its own directory tree, or from a grant; an
/// `import()` elsewhere is denied before the file is read (nor does the error say whether it exists).
#[test]
fn imports_outside_the_scripts_directory_need_a_grant() {
    let d = scratch("import-grants");
    std::fs::create_dir_all(d.join("app/lib")).unwrap();
    std::fs::create_dir_all(d.join("secret")).unwrap();
    std::fs::write(d.join("secret/keys.js"), "export const key = 'hunter2';\n").unwrap();
    std::fs::write(d.join("app/lib/m.js"), "export const v = 42;\n").unwrap();
    // The project's root (the scratch directory sits inside this repository, whose .git would be found).
    std::fs::write(d.join("app/package.json"), "{}\n").unwrap();
    std::fs::create_dir_all(d.join("app/test")).unwrap();
    std::fs::write(
        d.join("app/test/a.test.js"),
        "import { v } from '../lib/m.js';\nconsole.log('from the project', v);\n",
    )
    .unwrap();
    let secret = d.join("secret/keys.js");
    let secret = secret.to_str().unwrap();
    let main = format!(
        "import {{ v }} from './lib/m.js';\nconsole.log('own', v);\n\
         for (const p of ['{secret}', '{}/secret/none.js', '/etc/hostname'])\n\
           await import(p).then((m) => console.log('READ', p, m.key), (e) => console.log(e.code, e.message));\n",
        d.display()
    );
    std::fs::write(d.join("app/main.js"), main).unwrap();
    let o = rumpjs(&["run", d.join("app/main.js").to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(out(&o).contains("own 42"), "{}", out(&o));
    assert!(!out(&o).contains("READ"), "{}", out(&o));
    assert_eq!(out(&o).matches("ERR_ACCESS_DENIED import of").count(), 3, "{}", out(&o));
    assert!(out(&o).contains("--allow-host"), "{}", out(&o));
    // A script below its project's root imports from anywhere in the project.
    let o = rumpjs(&["run", d.join("app/test/a.test.js").to_str().unwrap()]);
    assert_eq!((code(&o), out(&o).as_str()), (0, "from the project 42\n"), "{}", err(&o));
    // -e (and the REPL) import from the current directory.
    let o = Command::new(BIN)
        .current_dir(d.join("app"))
        .args(["-e", "import('./lib/m.js').then((m) => console.log('cwd', m.v), (e) => console.log(e.code))"])
        .output()
        .unwrap();
    assert_eq!(out(&o), "cwd 42\n", "{}", err(&o));
    // -e has no directory of its own beyond that; a grant opens exactly what it names.
    let code_ = format!("import('{secret}').then((m) => console.log('key', m.key), (e) => console.log(e.code))");
    let o = rumpjs(&["-e", &code_]);
    assert!(out(&o).contains("ERR_ACCESS_DENIED"), "{}", out(&o));
    let o = rumpjs(&["--allow-host", d.join("secret").to_str().unwrap(), "-e", &code_]);
    assert!(out(&o).contains("key hunter2"), "{} {}", out(&o), err(&o));
}

/// An image not marked clean is refused read-write (saying how to go on), mounted with --force as
/// NetBSD's mount -f does, and stays marked not clean for fsck.
#[test]
fn an_unclean_image_needs_fsck_or_force() {
    let img = scratch("unclean").join("u.img");
    let n = rumpjs(&["newfs", "-s", "8m", img.to_str().unwrap()]);
    assert_eq!(code(&n), 0, "{}", err(&n));
    let i = img.to_str().unwrap();
    assert_eq!(code(&rumpjs(&["--rw", "--image", i, "-e", "fs.writeFileSync('/ffs/a', 'kept')"])), 0);
    // fs_clean of the UFS2 superblock at 65536 (offset 209) to 0, as a crash leaves it.
    let mut b = std::fs::read(&img).unwrap();
    assert_eq!(b[65536 + 209], 1);
    b[65536 + 209] = 0;
    std::fs::write(&img, &b).unwrap();
    let o = rumpjs(&["--rw", "--image", i, "-e", "0"]);
    assert_eq!(code(&o), 2, "{}", err(&o));
    assert!(
        err(&o).contains("not clean") && err(&o).contains("rumpjs fsck -y") && err(&o).contains("--force"),
        "{}",
        err(&o)
    );
    assert_eq!(std::fs::read(&img).unwrap(), b, "a refused mount writes nothing");
    let o = rumpjs(&["--rw", "--force", "--image", i, "-e", "console.log(fs.readFileSync('/ffs/a', 'utf8'))"]);
    assert_eq!((code(&o), out(&o).as_str()), (0, "kept\n"), "{}", err(&o));
    assert_eq!(std::fs::read(&img).unwrap()[65536 + 209], 0, "still not clean after a forced mount");
    let f = rumpjs(&["fsck", "-y", i]);
    assert_eq!(code(&f), 0, "{}", out(&f));
    assert_eq!(code(&rumpjs(&["--rw", "--image", &format!("{i}:/mnt/data"), "-e", "0"])), 0);
    // A read-write mount records where it was mounted in fs_fsmnt, as ffs_mount does.
    let o = rumpjs(&["info", i]);
    assert!(out(&o).contains("last mounted on:   /mnt/data"), "{}", out(&o));
}

/// Node details: a DataView is an ArrayBufferView to fs as a TypedArray is; TextDecoder's fatal mode;
/// a timer without a callback is ERR_INVALID_ARG_TYPE.
#[test]
fn dataview_fatal_decoding_and_timer_callbacks_as_in_node() {
    let o = rumpjs(&[
        "-e",
        "fs.writeFileSync('/tmp/dv', new DataView(new Uint8Array([104, 105, 33, 33]).buffer, 0, 3));
         const dv = new DataView(new ArrayBuffer(8), 2, 4);
         console.log(fs.readFileSync('/tmp/dv', 'utf8'), fs.readSync(fs.openSync('/tmp/dv'), dv), new Uint8Array(dv.buffer).join());
         const fatal = new TextDecoder('utf-8', { fatal: true });
         try { fatal.decode(new Uint8Array([0x61, 0xff])); } catch (e) { console.log(e.name, e.code); }
         console.log(fatal.decode(new Uint8Array([0xef, 0xbb, 0xbf, 0xe2, 0x82, 0xac, 0xef, 0xbf, 0xbd])), fatal.fatal,
                     new TextDecoder().decode(new Uint8Array([0xff])) === '\\ufffd');
         for (const f of [() => setTimeout(), () => setInterval('x', 1)])
           try { f(); } catch (e) { console.log(e.code, e.message); }",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert_eq!(
        out(&o),
        "hi! 3 0,0,104,105,33,0,0,0\nTypeError ERR_ENCODING_INVALID_ENCODED_DATA\n€\u{fffd} true true\n\
         ERR_INVALID_ARG_TYPE The \"callback\" argument must be of type function. Received undefined\n\
         ERR_INVALID_ARG_TYPE The \"callback\" argument must be of type function. Received type string ('x')\n"
    );
}

/// fs.promises.open resolves to Node's FileHandle, whose methods are the fs calls on its descriptor.
#[test]
fn fs_promises_open_gives_a_file_handle() {
    let o = rumpjs(&[
        "-e",
        "const fh = await fs.promises.open('/tmp/x', 'w+');
         const w = await fh.write('hello world');
         const b = new Uint8Array(5);
         const r = await fh.read(b, 0, 5, 6);
         const st = await fh.stat();
         await fh.truncate(5); await fh.sync(); await fh.chmod(0o600);
         console.log(String(fh), typeof fh.fd, w.bytesWritten, r.bytesRead, new TextDecoder().decode(b), st.size);
         await fh.close(); await fh.close();
         console.log(await fs.promises.readFile('/tmp/x', 'utf8'), (fs.statSync('/tmp/x').mode & 0o777).toString(8));
         await fh.read(b).catch((e) => console.log(e.code));
         await fs.promises.open('/nope/x').catch((e) => console.log(e.code, e.syscall, e.path));
         { await using h = await fs.promises.open('/tmp/x'); console.log(await h.readFile('utf8')); }",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert_eq!(out(&o), "[object FileHandle] number 11 5 world 11\nhello 600\nEBADF\nENOENT open /nope/x\nhello\n");
}

#[test]
fn timeout_stops_an_endless_loop_with_its_own_exit_code() {
    let t = Instant::now();
    let o = rumpjs(&["--timeout", "1", "-e", "while (true) {}"]);
    assert_eq!(code(&o), 124, "{}", err(&o));
    assert!(err(&o).contains("timed out"), "{}", err(&o));
    assert!(t.elapsed() < Duration::from_secs(10));
}

#[test]
fn deep_recursion_is_a_range_error_not_a_crash() {
    let o = rumpjs(&["-e", "function f(n) { return f(n + 1) + 1; } f(0)"]);
    assert_eq!(code(&o), 1, "{}", err(&o));
    assert!(err(&o).contains("RangeError: Maximum call stack size exceeded"), "{}", err(&o));
    // Recursion through native callbacks too.
    let o = rumpjs(&["-e", "function g() { return [1].map(g); } g()"]);
    assert_eq!(code(&o), 1, "{}", err(&o));
    assert!(err(&o).contains("RangeError"), "{}", err(&o));
    // Recursion inside a built-in that the call-depth limit does not see ends the process cleanly with
    // its own status and a message, a --rw image written and clean, not with SIGSEGV or an abort.
    let img = scratch("stack-rw").join("rw.img");
    let n = rumpjs(&["newfs", "-s", "8m", img.to_str().unwrap()]);
    assert_eq!(code(&n), 0, "{}", err(&n));
    let o = rumpjs(&[
        "--rw",
        "--image",
        img.to_str().unwrap(),
        "-e",
        "fs.writeFileSync('/ffs/kept', 'written before'); const o = { toJSON() { return { a: this } } }; JSON.stringify(o)",
    ]);
    assert_eq!(code(&o), 126, "{}", err(&o));
    assert!(err(&o).contains("ran out of native stack"), "{}", err(&o));
    let f = rumpjs(&["fsck", "-n", img.to_str().unwrap()]);
    assert_eq!(code(&f), 0, "{}{}", out(&f), err(&f));
    let c = rumpjs(&["cat", img.to_str().unwrap(), "/kept"]);
    assert_eq!(out(&c), "written before");
}

#[test]
fn absurd_allocations_are_errors() {
    let o = rumpjs(&[
        "-e",
        "for (const f of [() => new ArrayBuffer(2 ** 40), () => new Uint8Array(2 ** 45), () => 'x'.repeat(2 ** 40),
                          () => crypto.randomBytes(2 ** 40)]) {
           try { f(); console.log('allocated?!'); } catch (e) { console.log(e.name); }
         }",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(!out(&o).contains("allocated"), "{}", out(&o));
    assert_eq!(out(&o).lines().count(), 4);
    // Strings past Node's length limit in one step are Node's RangeError (Boa would ask 24 GiB at once
    // for the first).
    let o = rumpjs(&[
        "-e",
        "for (const f of [() => 'a'.repeat(2 ** 30), () => 'x'.padEnd(2 ** 30), () => 'x'.padStart(2 ** 29),
                          () => new Array(2 ** 30).join('a')]) {
           try { f(); console.log('allocated?!'); } catch (e) { console.log(e.name, e.message); }
         }",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert_eq!(out(&o), "RangeError Invalid string length\n".repeat(4));
    // Growth no single check sees meets the memory budget: a message and its own status, not the host's
    // OOM killer.
    let o = rumpjs(&["--max-memory", "256M", "-e", "let s = 'ab'; for (;;) s += s;"]);
    assert_eq!(code(&o), 125, "{}", err(&o));
    assert!(err(&o).contains("past the budget of 256.0 MiB (--max-memory)"), "{}", err(&o));
    let o = rumpjs(&["--max-memory", "lots", "-e", "0"]);
    assert_eq!(code(&o), 2, "{}", err(&o));
    let o = rumpjs(&["--timeout", "-1", "-e", "0"]);
    assert_eq!(code(&o), 2, "{}", err(&o));
    assert!(err(&o).contains("greater than 0"), "{}", err(&o));
}

#[test]
fn promises_and_timers_settle_before_exit() {
    let o = rumpjs(&[
        "-e",
        "setTimeout(() => console.log('timer'), 30);
         (async () => { await new Promise((r) => setTimeout(r, 10)); console.log('async'); })();
         const t = setTimeout(() => console.log('cancelled'), 5); clearTimeout(t);
         Promise.resolve().then(() => console.log('micro'));
         console.log('sync');",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert_eq!(out(&o), "sync\nmicro\nasync\ntimer\n");
}

#[test]
fn unhandled_rejections_are_reported() {
    let o = rumpjs(&["-e", "Promise.reject(new RangeError('nobody listens'))"]);
    assert_eq!(code(&o), 1);
    assert!(err(&o).contains("Uncaught (in promise) RangeError: nobody listens"), "{}", err(&o));
    // Handled later in the same turn: not reported.
    let o = rumpjs(&["-e", "const p = Promise.reject(new Error('x')); p.catch(() => console.log('handled'))"]);
    assert_eq!((code(&o), out(&o).trim()), (0, "handled"), "{}", err(&o));
}

#[test]
fn modules_imports_and_argv() {
    let d = scratch("modules");
    std::fs::create_dir_all(d.join("lib")).unwrap();
    std::fs::write(d.join("lib/util.js"), "export const twice = (x) => x * 2;\n").unwrap();
    std::fs::write(
        d.join("main.js"),
        "import { twice } from './lib/util.js';\nimport fs from 'fs';\nimport { readdirSync } from 'node:fs';\n\
         import path from 'node:path';\nimport { createHash } from 'crypto';\nimport rump from 'rump';\n\
         console.log(twice(21), process.argv.slice(2).join(','), path.basename(import.meta.url),\n\
         readdirSync('/').includes('kern'), fs === globalThis.fs, typeof createHash, rump.sys.uname().sysname);\n",
    )
    .unwrap();
    let o = rumpjs(&["run", d.join("main.js").to_str().unwrap(), "a", "--b", "c"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert_eq!(out(&o).trim(), "42 a,--b,c main.js true true function NetBSD");
    // These globals are also modules, under their names and as node:name, and the same objects.
    std::fs::write(
        d.join("modules.js"),
        "import * as nfs from 'node:fs'; import * as npath from 'node:path'; import * as ncrypto from 'node:crypto';\n\
         import * as nprocess from 'node:process'; import * as nconsole from 'node:console'; import * as nutil from 'node:util';\n\
         import * as ntimers from 'node:timers'; import * as nbuffer from 'node:buffer'; import timers from 'timers';\n\
         import { TextEncoder as TE, TextDecoder as TD } from 'util'; import { setTimeout as st, clearTimeout as ct } from 'timers';\n\
         import { Buffer as B } from 'buffer'; import process2 from 'process'; import console2 from 'console';\n\
         import { platform } from 'node:process'; import { createHash } from 'node:crypto'; import { warn, table } from 'console';\n\
         const same = [nfs.default === fs, npath.default === path, ncrypto.default === crypto, nprocess.default === process,\n\
           process2 === process, nconsole.default === console, console2 === console, TE === TextEncoder, TD === TextDecoder,\n\
           nbuffer.Buffer === Buffer, B === Buffer, typeof nutil.inspect, typeof nutil.format, typeof ntimers.setInterval,\n\
           typeof timers.clearInterval, platform, createHash('sha1').update('abc').digest('hex'), typeof warn, typeof table];\n\
         console.log(same.join(' '));\n\
         const t = st(() => console.log('not cleared'), 5); ct(t); st(() => console.log('timer', new TD().decode(new TE().encode('ran'))), 1);\n",
    )
    .unwrap();
    let o = rumpjs(&["run", d.join("modules.js").to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert_eq!(
        out(&o),
        "true true true true true true true true true true true function function function function netbsd \
         a9993e364706816aba3e25717850c26c9cd0d89d function function\ntimer ran\n",
        "{}",
        err(&o)
    );
    let o = rumpjs(&["-e", "import x from 'nonexistent-module'"]);
    assert_eq!(code(&o), 1);
    assert!(err(&o).contains("Cannot find module 'nonexistent-module'"), "{}", err(&o));
}

#[test]
fn boot_mounts_tmp_and_kern() {
    let o = rumpjs(&[
        "-e",
        "console.log(rump.mounts().map((m) => `${m.on}:${m.type}`).join(' '), fs.readFileSync('/kern/ostype', 'utf8').trim())",
    ]);
    assert_eq!(out(&o).trim(), "/:rumpfs /tmp:tmpfs /kern:kernfs NetBSD", "{}", err(&o));
}

#[test]
fn images_on_the_command_line() {
    let d = scratch("images");
    // A missing image: a clear message, exit 2.
    let o = rumpjs(&["--image", d.join("missing.img").to_str().unwrap(), "-e", "0"]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("missing.img"), "{}", err(&o));
    // A real FFS image made by makefs, when the host has it.
    let tree = d.join("tree");
    std::fs::create_dir_all(tree.join("etc")).unwrap();
    std::fs::write(tree.join("etc/motd"), "Welcome to the rump kernel\n").unwrap();
    let img = d.join("ffs.img");
    let made = Command::new("makefs").args(["-t", "ffs", "-o", "version=2", "-s", "4m"]).arg(&img).arg(&tree).output();
    if !matches!(&made, Ok(o) if o.status.success()) {
        skip::skip("the FFS image part: makefs not available");
        return;
    }
    let img2 = d.join("second.img");
    std::fs::copy(&img, &img2).unwrap();
    let spec = format!("{}:/mnt/b", img2.display());
    let o = rumpjs(&[
        "--image",
        img.to_str().unwrap(),
        "--image",
        &spec,
        "-e",
        "console.log(fs.readFileSync('/ffs/etc/motd', 'utf8').trim(), fs.readdirSync('/mnt/b/etc').join(','));
         try { fs.writeFileSync('/ffs/x', 'y') } catch (e) { console.log(e.code) }",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert_eq!(out(&o), "Welcome to the rump kernel motd\nEROFS\n", "{}", err(&o));
    // The same file twice: refused with a message, not mounted twice.
    let again = format!("{}:/mnt/c", img.display());
    let o = rumpjs(&["--image", img.to_str().unwrap(), "--image", &again, "-e", "0"]);
    assert_eq!(code(&o), 2, "{}", err(&o));
    assert!(err(&o).contains("ffs.img: named twice"), "{}", err(&o));
    let o = rumpjs(&[
        "--image",
        img.to_str().unwrap(),
        "-e",
        "console.log(fs.readFileSync('/ffs/etc/motd', 'utf8').trim())",
    ]);
    assert_eq!((code(&o), out(&o).trim()), (0, "Welcome to the rump kernel"), "{}", err(&o));
}

#[test]
fn docs_list_every_binding() {
    let o = rumpjs(&["-e", "for (const k of Object.keys(rump.signatures())) console.log(k)"]);
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/js-api.md")).unwrap();
    let keys = out(&o);
    let missing: Vec<&str> = keys.lines().filter(|k| !doc.contains(&format!("`{k}`"))).collect();
    assert!(
        missing.is_empty(),
        "docs/js-api.md lacks {missing:?} (regenerate its last section from rump.signatures())"
    );
    for g in ["TextEncoder", "TextDecoder", "setTimeout", "clearTimeout", "queueMicrotask", "structuredClone", "atob"] {
        let o = rumpjs(&["-p", &format!("typeof {g}")]);
        assert_eq!(out(&o).trim(), "function", "{g}");
    }
}

/// An FFS image made by makefs from a one-file tree, or None without makefs.
fn makefs_image(dir: &Path, name: &str) -> Option<Vec<u8>> {
    let tree = dir.join(format!("{name}-tree"));
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(tree.join("hello.txt"), "hello from the image\n").unwrap();
    let img = dir.join(format!("{name}.ffs"));
    let made = Command::new("makefs").args(["-t", "ffs", "-s", "4m"]).arg(&img).arg(&tree).output();
    if !matches!(&made, Ok(o) if o.status.success()) {
        skip::skip("makefs not available");
        return None;
    }
    Some(std::fs::read(&img).unwrap())
}

#[test]
fn partition_option_picks_an_mbr_partition() {
    let d = scratch("partition");
    let Some(ffs) = makefs_image(&d, "p") else { return };
    // An MBR with one NetBSD partition (type 0xa9) at 1 MiB holding the FFS image.
    let mut img = vec![0u8; 1 << 20];
    let e = &mut img[446..462];
    e[0] = 0x80;
    e[4] = 0xa9;
    e[8..12].copy_from_slice(&2048u32.to_le_bytes());
    e[12..16].copy_from_slice(&((ffs.len() / 512) as u32).to_le_bytes());
    img[510] = 0x55;
    img[511] = 0xaa;
    img.extend_from_slice(&ffs);
    let path = d.join("mbr.img");
    std::fs::write(&path, &img).unwrap();
    let p = path.to_str().unwrap();
    let read = "console.log(fs.readFileSync('/ffs/hello.txt', 'utf8').trim())";
    let o = rumpjs(&["--image", p, "--partition", "1", "-e", read]);
    assert_eq!((code(&o), out(&o).trim()), (0, "hello from the image"), "{}", err(&o));
    let o = rumpjs(&["--image", p, "--partition", "3", "-e", read]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains(r#"partition "3" not found"#), "{}", err(&o));
}

/// tests/bindings/globals.js: errno constants against NetBSD's errno.h and on real errors, `path` against
/// Node's results, the node: module forms, console's streams and table, and rump.mount of partitions
/// a and e of the disklabel fixture (read-only and on an overlay) leaving the image as it was.
#[test]
fn globals_errno_path_console_and_partitions_from_javascript() {
    use std::io::Read;
    let d = scratch("globals");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/ffs/disk-mbr-label.img.gz");
    let mut disk = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&src).unwrap()).read_to_end(&mut disk).unwrap();
    let img = d.join("disk.img");
    std::fs::write(&img, &disk).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/bindings/globals.js");
    let o = rumpjs(&[
        "--allow-host",
        d.to_str().unwrap(),
        "--timeout",
        "60",
        "run",
        script.to_str().unwrap(),
        img.to_str().unwrap(),
    ]);
    let (so, se) = (out(&o), err(&o));
    assert_eq!(code(&o), 0, "stdout:\n{so}\nstderr:\n{se}");
    assert!(so.ends_with("globals ok\n"), "{so}");
    assert!(std::fs::read(&img).unwrap() == disk, "a read-only or overlay mount wrote to the image");
    // log/info to stdout with printf-style formats; warn/error to stderr only.
    assert!(so.contains("log n=42 [ 1 ]\ninfo line\n"), "{so}");
    assert!(se.contains("warn to stderr 7\n") && se.contains("error line { code: 'EX' }\n"), "{se}");
    assert!(!so.contains("warn to stderr") && !se.contains("info line"), "streams mixed:\n{so}\n{se}");
    // console.table as Node draws it.
    let table = "\
┌─────────┬──────┬──────┐
│ (index) │ name │ size │
├─────────┼──────┼──────┤
│ 0       │ 'a'  │ 1    │
│ 1       │ 'b'  │ 22   │
└─────────┴──────┴──────┘
";
    assert!(so.contains(table), "{so}");
    assert!(so.contains("group head\n  inside the group\nafter the group\n"), "{so}");
}

#[test]
fn rw_images_keep_what_scripts_write() {
    let d = scratch("rw");
    let Some(ffs) = makefs_image(&d, "rw") else { return };
    let path = d.join("rw.img");
    std::fs::write(&path, &ffs).unwrap();
    let p = path.to_str().unwrap();
    // Read-only by default: EROFS, and the image is unchanged.
    let o = rumpjs(&[
        "--image",
        p,
        "-e",
        "try { fs.writeFileSync('/ffs/new.txt', 'x') } catch (e) { console.log(e.code) }",
    ]);
    assert_eq!(out(&o).trim(), "EROFS", "{}", err(&o));
    assert_eq!(std::fs::read(&path).unwrap(), ffs, "a read-only mount wrote to its image");
    let o = rumpjs(&[
        "--image",
        p,
        "--rw",
        "-e",
        "fs.writeFileSync('/ffs/new.txt', 'written by rumpjs'); fs.mkdirSync('/ffs/d')",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let o = rumpjs(&[
        "--image",
        p,
        "-e",
        "console.log(fs.readFileSync('/ffs/new.txt', 'utf8'), fs.statSync('/ffs/d').isDirectory())",
    ]);
    assert_eq!(out(&o).trim(), "written by rumpjs true", "{}", err(&o));
}

#[test]
fn deterministic_runs_repeat_themselves() {
    let code = "fs.writeFileSync('/tmp/a', 'x'); console.log(fs.statSync('/tmp/a').mtimeMs, crypto.randomUUID())";
    let a = rumpjs(&["--deterministic", "-e", code]);
    let b = rumpjs(&["--deterministic", "-e", code]);
    assert_eq!(out(&a), out(&b));
    assert!(out(&a).starts_with("1338508800"), "{}", out(&a));
    assert_ne!(out(&rumpjs(&["-e", code])), out(&a));
}

/// The web globals behave as Node's where boa_runtime's do not: TextEncoder.encodeInto (stopping where
/// the destination is full, never splitting a character), a wrong `this` is a TypeError, and
/// structuredClone/atob fail with DOMException-shaped errors.
#[test]
fn web_globals_as_node_has_them() {
    let o = rumpjs(&[
        "-e",
        "const d = new Uint8Array(5); const r = new TextEncoder().encodeInto('aé€😀', d);\n\
         const big = new Uint8Array(16); const r2 = new TextEncoder().encodeInto('aé€😀', big);\n\
         const same = Buffer.from(big.subarray(0, r2.written)).equals(new TextEncoder().encode('aé€😀'));\n\
         let t; try { TextEncoder.prototype.encode.call({}, 'x') } catch (e) { t = e instanceof TypeError }\n\
         let c; try { structuredClone(() => 1) } catch (e) { c = `${e.name} ${e.code}` }\n\
         let a; try { atob('a\\0b') } catch (e) { a = `${e.name} ${e.code}` }\n\
         console.log(JSON.stringify(r), [...d.subarray(0, r.written)].join(','), JSON.stringify(r2), same, t, c, a)",
    ]);
    assert_eq!(
        out(&o).trim(),
        "{\"read\":2,\"written\":3} 97,195,169 {\"read\":5,\"written\":10} true true DataCloneError 25 InvalidCharacterError 5",
        "{}",
        err(&o)
    );
}

/// `--overlay-file`: an overlay whose changes are kept in a host file. The image file is never written
/// by the sessions; a second session goes on from the first one's changes; `rumpjs commit` writes them
/// into the image, which fsck then finds clean; a file that no longer fits is refused.
#[test]
fn overlay_file_sessions_then_commit() {
    let d = scratch("overlay-file");
    let Some(ffs) = makefs_image(&d, "ov") else { return };
    let img = d.join("ov.img");
    std::fs::write(&img, &ffs).unwrap();
    let (i, ov) = (img.to_str().unwrap(), d.join("changes.overlay"));
    let o = rumpjs(&[
        "--overlay-file",
        ov.to_str().unwrap(),
        "--image",
        i,
        "-e",
        "fs.writeFileSync('/ffs/a.txt', 'one'); fs.mkdirSync('/ffs/d'); fs.rmSync('/ffs/hello.txt')",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(std::fs::read(&img).unwrap() == ffs, "an overlay session wrote the image");
    assert!(std::fs::metadata(&ov).unwrap().len() > 4096, "nothing was kept in the overlay file");
    let o = rumpjs(&[
        "--overlay-file",
        ov.to_str().unwrap(),
        "--image",
        i,
        "-e",
        "console.log(fs.readFileSync('/ffs/a.txt', 'utf8'), fs.existsSync('/ffs/hello.txt')); fs.writeFileSync('/ffs/d/b.txt', 'two')",
    ]);
    assert_eq!((code(&o), out(&o).trim()), (0, "one false"), "{}", err(&o));
    assert!(std::fs::read(&img).unwrap() == ffs, "an overlay session wrote the image");

    let o = rumpjs(&["commit", ov.to_str().unwrap(), i]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(out(&o).starts_with("committed "), "{}", out(&o));
    let o = rumpjs(&["fsck", "-n", i]);
    assert_eq!(code(&o), 0, "the committed image is not clean:\n{}{}", out(&o), err(&o));
    let o = rumpjs(&["--image", i, "-e", "console.log(fs.readFileSync('/ffs/a.txt', 'utf8') + fs.readFileSync('/ffs/d/b.txt', 'utf8'), fs.existsSync('/ffs/hello.txt'))"]);
    assert_eq!(out(&o).trim(), "onetwo false", "{}", err(&o));
    // The image changed: the overlay file is refused, by commit and by a session.
    let o = rumpjs(&["commit", ov.to_str().unwrap(), i]);
    assert_eq!(code(&o), 1);
    assert!(err(&o).contains("another image, or this image changed"), "{}", err(&o));
    let o = rumpjs(&["--overlay-file", ov.to_str().unwrap(), "--image", i, "-e", "0"]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("another image"), "{}", err(&o));
    // One image only.
    let o = rumpjs(&["--overlay-file", ov.to_str().unwrap(), "-e", "0"]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("one image"), "{}", err(&o));
    // From JavaScript: rump.mount's overlayFile, inside the grants only.
    let ov2 = d.join("js.overlay");
    let js = format!(
        "fs.mkdirSync('/mnt/o', {{ recursive: true }}); rump.mount('ffs', '/mnt/o', {{ image: {i:?}, overlayFile: {:?} }}); \
         fs.writeFileSync('/mnt/o/js.txt', 'js'); rump.unmount('/mnt/o'); \
         try {{ rump.mount('ffs', '/mnt/o', {{ image: {i:?}, overlayFile: '/tmp/elsewhere.overlay' }}) }} catch (e) {{ console.log(e.code) }}",
        ov2.to_str().unwrap()
    );
    let o = rumpjs(&["--allow-host", d.to_str().unwrap(), "-e", &js]);
    assert_eq!((code(&o), out(&o).trim()), (0, "ERR_ACCESS_DENIED"), "{}", err(&o));
    let o = rumpjs(&[
        "--overlay-file",
        ov2.to_str().unwrap(),
        "--image",
        i,
        "-e",
        "console.log(fs.readFileSync('/ffs/js.txt', 'utf8'))",
    ]);
    assert_eq!(out(&o).trim(), "js", "{}", err(&o));
}
