//! The REPL through a pseudo-terminal, as a person uses it: boot banner, shell-like commands, reading a
//! file from JavaScript, tab completion of a kernel path, a multi-line function, an error and recovery,
//! history kept in a file, Ctrl-D to leave; and `rumpjs repl --image`, Tab on globals and dot-commands,
//! .dmesg/.info/.umount/.mount/.load/.help, a syntax error then recovery, Ctrl-C, and .exit.

use expectrl::{Eof, Regex, Session};
use std::process::Command;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_rumpjs");

#[test]
fn repl_through_a_terminal() {
    let home = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("repl-home");
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    let mut cmd = Command::new(BIN);
    cmd.env("HOME", &home).env_remove("XDG_STATE_HOME").env("TERM", "xterm").env("NO_COLOR", "1");
    let mut p = Session::spawn(cmd).expect("spawn the REPL on a pty");
    p.set_expect_timeout(Some(Duration::from_secs(30)));

    // The 2012 page's first screen: the boot log, the mounts, a prompt.
    p.expect("mounted ffs /dev/demo0 on /ffs (read-only)").unwrap();
    p.expect("/dev/demo0 on /ffs type ffs (read-only, local)").unwrap();
    p.expect("rump:/> ").unwrap();

    p.send_line(".ls /ffs").unwrap();
    p.expect("README").unwrap();
    p.expect("rump:/> ").unwrap();

    // A path completed with Tab inside a string literal, then the rest of the line.
    p.send("fs.readFileSync('/ffs/et").unwrap();
    p.send("\t").unwrap();
    p.expect("/ffs/etc/").unwrap();
    p.send_line("motd', 'utf8').split('\\n')[0]").unwrap();
    p.expect("'NetBSD 10.1 (RUMPJS) #0: a rump kernel hosted by JavaScript'").unwrap();
    p.expect("rump:/> ").unwrap();

    // A property completed with Tab.
    p.send("rump.sys.fsta").unwrap();
    p.send("\t").unwrap();
    p.expect("rump.sys.fstat").unwrap();
    p.send("\x15").unwrap(); // Ctrl-U: clear the line
    p.send_line("").unwrap();
    p.expect("rump:/> ").unwrap();

    // An unfinished statement continues on the next lines.
    p.send_line("function sq(x) {").unwrap();
    p.send_line("  return x * x").unwrap();
    p.send_line("}").unwrap();
    p.expect("undefined").unwrap();
    p.send_line("sq(12) + 1").unwrap();
    p.expect("145").unwrap();

    // An error is shown with its code, and the session goes on with its state.
    p.send_line("fs.writeFileSync('/ffs/x', 'y')").unwrap();
    p.expect("EROFS: read-only file system, open '/ffs/x'").unwrap();
    p.expect("errno: 30").unwrap();
    p.send_line("sq(3)").unwrap();
    p.expect(Regex("\r?\n9\r?\n")).unwrap();
    p.send_line(".cd /ffs/data").unwrap();
    p.expect("rump:/ffs/data> ").unwrap();
    p.send_line(".bogus").unwrap();
    p.expect("bogus: unknown command").unwrap();
    // Ctrl-D only once the prompt is back: typed ahead, the terminal is not yet in raw mode and the
    // line discipline would take the ^D as end-of-file of that read, not as a key for the editor.
    p.expect("rump:/ffs/data> ").unwrap();

    // Ctrl-D leaves with status 0 at once, a pending interval notwithstanding (as Node's REPL), and the
    // history was kept.
    p.send_line("setInterval(() => {}, 1000); 'interval set'").unwrap();
    p.expect("'interval set'").unwrap();
    p.expect("rump:/ffs/data> ").unwrap();
    p.send("\x04").unwrap();
    p.expect(Eof).unwrap();
    let status = p.get_process_mut().wait().unwrap();
    assert_eq!(status, expectrl::WaitStatus::Exited(p.get_process().pid(), 0));
    let hist = std::fs::read_to_string(home.join(".local/state/rumpjs/history")).expect("history file");
    assert!(hist.contains("sq(12) + 1"), "{hist}");
}

#[test]
fn repl_on_an_image_with_the_other_commands() {
    let home = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("repl-home-2");
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    let script = home.join("defs.js");
    std::fs::write(&script, "globalThis.loadedValue = 6 * 7;\n").unwrap();
    let img = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vfs/fixtures/t_ro-ufs2-le.img");
    let before = std::fs::read(&img).unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args(["repl", "--image", img.to_str().unwrap()]);
    cmd.env("HOME", &home).env_remove("XDG_STATE_HOME").env("TERM", "xterm").env("NO_COLOR", "1");
    let mut p = Session::spawn(cmd).expect("spawn the REPL on a pty");
    p.set_expect_timeout(Some(Duration::from_secs(30)));

    // --image replaces the demo image on /ffs.
    p.expect("t_ro-ufs2-le.img (ro) registered as /dev/ffs0").unwrap();
    p.expect("rump:/> ").unwrap();
    p.send_line(".ls /ffs").unwrap();
    p.expect("testsymlink").unwrap();
    p.expect("rump:/> ").unwrap();

    // Tab completes a global and a dot-command.
    p.send("TextEnc").unwrap();
    p.send("\t").unwrap();
    p.expect("TextEncoder").unwrap();
    p.send_line(".name").unwrap();
    p.expect("'TextEncoder'").unwrap();
    p.expect("rump:/> ").unwrap();
    p.send(".dme").unwrap();
    p.send("\t").unwrap();
    p.expect(".dmesg").unwrap();
    p.send_line("").unwrap();
    p.expect("root file system type: rumpfs").unwrap();
    p.expect("rump:/> ").unwrap();

    p.send_line(".info /ffs").unwrap();
    p.expect("UFS2 (FFSv2), little-endian").unwrap();
    p.expect("last written").unwrap();
    p.expect("rump:/> ").unwrap();
    p.send_line(".help").unwrap();
    p.expect(".load FILE").unwrap();
    p.expect("rump:/> ").unwrap();
    p.send_line(".help load").unwrap();
    p.expect("evaluate a script file").unwrap();
    p.expect("rump:/> ").unwrap();

    // A syntax error, then the session goes on.
    p.send_line("1 +* 2").unwrap();
    p.expect("SyntaxError").unwrap();
    p.expect("rump:/> ").unwrap();
    p.send_line("20 + 22").unwrap();
    p.expect(Regex("\r?\n42\r?\n")).unwrap();
    p.expect("rump:/> ").unwrap();

    // Ctrl-C drops the line being typed: it is not evaluated.
    p.send("throw new Error('never run')").unwrap();
    p.send("\x03").unwrap();
    p.expect("rump:/> ").unwrap();
    p.send_line("'after ' + 'ctrl-c'").unwrap();
    p.expect("'after ctrl-c'").unwrap();
    p.expect("rump:/> ").unwrap();

    // .load runs a host file in the session.
    p.send_line(format!(".load {}", script.display())).unwrap();
    p.expect("rump:/> ").unwrap();
    p.send_line("loadedValue + 1").unwrap();
    p.expect(Regex("\r?\n43\r?\n")).unwrap();
    p.expect("rump:/> ").unwrap();

    // .umount, and .mount no longer lists it.
    p.send_line(".umount /ffs").unwrap();
    p.expect("rump:/> ").unwrap();
    p.send_line(".mount").unwrap();
    p.expect("kernfs on /kern type kernfs").unwrap();
    p.expect("rump:/> ").unwrap();
    p.send_line("rump.mounts().some((m) => m.on === '/ffs')").unwrap();
    p.expect(Regex("\r?\nfalse\r?\n")).unwrap();
    p.expect("rump:/> ").unwrap();

    // .exit leaves with status 0; the image is untouched and the Ctrl-C'd line never ran.
    p.send_line(".exit").unwrap();
    p.expect(Eof).unwrap();
    let status = p.get_process_mut().wait().unwrap();
    assert_eq!(status, expectrl::WaitStatus::Exited(p.get_process().pid(), 0));
    assert!(std::fs::read(&img).unwrap() == before, "the REPL wrote to its read-only image");
    let hist = std::fs::read_to_string(home.join(".local/state/rumpjs/history")).expect("history file");
    assert!(!hist.contains("never run"), "{hist}");
}

/// What Node's REPL does and a REPL on Boa does not by itself: top-level `let`/`const`/`class` kept between
/// inputs, timers that fire while the prompt waits (an interval does not hold the prompt), Ctrl-C that
/// stops a running loop with the session kept, --timeout per input, the inspector's forms for bytes,
/// Stats, promises and long arrays; and a second Ctrl-C ending code that cannot be interrupted.
#[test]
fn repl_keeps_declarations_runs_timers_at_the_prompt_and_stops_loops() {
    let home = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("repl-home-3");
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args(["repl", "--timeout", "4"]);
    cmd.env("HOME", &home).env_remove("XDG_STATE_HOME").env("TERM", "xterm").env("NO_COLOR", "1");
    let mut p = Session::spawn(cmd).expect("spawn the REPL on a pty");
    p.set_expect_timeout(Some(Duration::from_secs(30)));
    p.expect("rump:/> ").unwrap();

    // Lexical declarations and classes live on from one input to the next.
    for (line, shows) in [
        ("let count = 40", "undefined"),
        ("const step = 2", "undefined"),
        ("class Box { constructor(v) { this.v = v } }", "undefined"),
        ("new Box(count + step)", "Box { v: 42 }"),
        ("const late = await Promise.resolve('awaited')", "undefined"),
        ("late", "'awaited'"),
    ] {
        p.send_line(line).unwrap();
        p.expect(shows).unwrap();
        p.expect("rump:/> ").unwrap();
    }

    // An interval ticks while the prompt waits; its output comes above the prompt.
    p.send_line(
        "let ticks = 0; const iv = setInterval(() => { if (++ticks === 3) console.log('tick #' + ticks) }, 100)",
    )
    .unwrap();
    p.expect("rump:/> ").unwrap();
    p.expect("tick #3").unwrap();
    p.send_line("clearInterval(iv); ticks >= 3").unwrap();
    p.expect(Regex("\r?\ntrue\r?\n")).unwrap();
    p.expect("rump:/> ").unwrap();
    // Output of a busy interval above the prompt while inputs are typed and evaluated (the editor and
    // the printer must not wait on each other).
    p.send_line(
        "let fast = 0; const iv2 = setInterval(() => { fast++; if (fast % 50 === 0) console.log('fast', fast) }, 2)",
    )
    .unwrap();
    p.expect("rump:/> ").unwrap();
    for i in 0..5 {
        p.send_line(format!("'typed ' + {i}")).unwrap();
        p.expect(format!("'typed {i}'")).unwrap();
    }
    p.expect("fast 100").unwrap();
    p.send_line("clearInterval(iv2); fast >= 100").unwrap();
    p.expect(Regex("\r?\ntrue\r?\n")).unwrap();
    p.expect("rump:/> ").unwrap();
    // A timer that sets itself again for 0 ms does not keep the prompt away.
    p.send_line("let spins = 0; function spin() { if (++spins < 1e9) setTimeout(spin, 0) }; spin(); 'prompt back'")
        .unwrap();
    p.expect("'prompt back'").unwrap();
    p.expect("rump:/> ").unwrap();
    p.send_line("spins = 1e9; 'stopped'").unwrap();
    p.expect("'stopped'").unwrap();
    p.expect("rump:/> ").unwrap();
    // An awaited timer holds the input until it fires, and no longer.
    p.send_line("await new Promise((r) => setTimeout(() => r('slept'), 200))").unwrap();
    p.expect("'slept'").unwrap();
    p.expect("rump:/> ").unwrap();

    // Ctrl-C stops a loop; the session and its state go on.
    p.send_line("while (true) {}").unwrap();
    std::thread::sleep(Duration::from_millis(500));
    p.send("\x03").unwrap();
    p.expect("interrupted by Ctrl-C").unwrap();
    p.expect("rump:/> ").unwrap();
    p.send_line("count + step").unwrap();
    p.expect(Regex("\r?\n42\r?\n")).unwrap();
    p.expect("rump:/> ").unwrap();
    // --timeout stops one input, not the session.
    p.send_line("for (;;) {}").unwrap();
    p.expect("timed out after 4 s (--timeout); the session goes on").unwrap();
    p.expect("rump:/> ").unwrap();

    // The inspector: bytes as hex, Stats by field, a promise's state, a long array's rest on a line.
    p.send_line("new Uint8Array([1, 2, 255, 16])").unwrap();
    p.expect("Uint8Array(4) <01 02 ff 10>").unwrap();
    p.expect("rump:/> ").unwrap();
    p.send_line("fs.statSync('/ffs/etc/motd')").unwrap();
    p.expect("Stats {").unwrap();
    p.expect("mode: 33188").unwrap();
    p.expect(Regex("mtime: 20[0-9][0-9]-")).unwrap();
    p.expect("rump:/> ").unwrap();
    p.send_line("[new Promise(() => {})]").unwrap();
    p.expect("[ Promise { <pending> } ]").unwrap();
    p.expect("rump:/> ").unwrap();
    p.send_line("Array.from({ length: 150 }, (_, i) => i)").unwrap();
    p.expect(Regex("\r?\n  98, 99,\r?\n  \\.\\.\\. 50 more items\r?\n]")).unwrap();
    p.expect("rump:/> ").unwrap();

    // Code Boa cannot interrupt (a callback of a built-in): the first Ctrl-C says so, the second ends
    // rumpjs with 130 after writing the file systems.
    p.send_line("[1].map(() => { for (;;) {} })").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    p.send("\x03").unwrap();
    p.expect("Press Ctrl-C again to end rumpjs").unwrap();
    p.send("\x03").unwrap();
    p.expect("ended by a second Ctrl-C").unwrap();
    p.expect(Eof).unwrap();
    let status = p.get_process_mut().wait().unwrap();
    assert_eq!(status, expectrl::WaitStatus::Exited(p.get_process().pid(), 130));
}

/// The image `rumpjs` embeds is the demo tree its manifest describes (tests/demo/fixtures/demo.manifest.js,
/// written from the host tree and demo/spec, not by rumpjs): every node's type, mode, owner, time, size,
/// link count, device numbers, link target and content hash, read at the REPL (stdin not a terminal).
#[test]
fn the_embedded_demo_image_holds_what_its_manifest_says() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let text = std::fs::read_to_string(root.join("tests/demo/fixtures/demo.manifest.js")).unwrap();
    let json = text.split_once("export default").unwrap().1.trim().trim_end_matches(';');
    let manifest: serde_json::Value = serde_json::from_str(json).unwrap();
    let n = manifest["entries"].as_object().unwrap().len();
    let check = format!(
        "(() => {{ const m = {manifest}; const bad = []; \
         const T = {{ dir: 0o040000, file: 0o100000, link: 0o120000, fifo: 0o010000, char: 0o020000, block: 0o060000 }}; \
         for (const [p, w] of Object.entries(m.entries)) {{ const f = p === '/' ? '/ffs' : '/ffs' + p; let st; \
         try {{ st = fs.lstatSync(f); }} catch (e) {{ bad.push(p + ': ' + e.code); continue; }} \
         const say = (k, got, want) => {{ if (got !== want) bad.push(p + ': ' + k + ' ' + got + ' != ' + want); }}; \
         say('type', st.mode & 0o170000, T[w.type]); say('mode', st.mode & 0o7777, w.mode); say('uid', st.uid, w.uid); \
         say('gid', st.gid, w.gid); say('mtime', Math.floor(st.mtimeMs / 1000), w.mtime); \
         if (w.size !== undefined) say('size', st.size, w.size); if (w.nlink !== undefined) say('nlink', st.nlink, w.nlink); \
         if (w.target !== undefined) say('target', fs.readlinkSync(f), w.target); \
         if (w.rdev !== undefined) say('rdev', st.rdev, ((w.rdev[0] << 8) & 0xfff00) | (w.rdev[1] & 0xff) | ((w.rdev[1] << 12) & 0xfff00000)); \
         if (w.sha256 !== undefined) say('sha256', crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex'), w.sha256); }} \
         const extra = []; const walk = (d) => {{ for (const e of fs.readdirSync(d)) {{ const q = d + '/' + e; \
         const k = q.slice(4); if (!(k in m.entries)) extra.push(k); if (fs.lstatSync(q).isDirectory()) walk(q); }} }}; walk('/ffs'); \
         return bad.length || extra.length ? JSON.stringify({{ bad, extra }}) : 'MANIFEST OK ' + Object.keys(m.entries).length; }})()\n"
    );
    let mut child = Command::new(BIN)
        .env("NO_COLOR", "1")
        .env("HOME", env!("CARGO_TARGET_TMPDIR"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(check.as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("mounted ffs /dev/demo0 on /ffs (read-only)"),
        "the demo image is not what is on /ffs:\n{out}"
    );
    assert!(out.contains(&format!("'MANIFEST OK {n}'")), "{out}\n{}", String::from_utf8_lossy(&o.stderr));
}
