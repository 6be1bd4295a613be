//! What a Node, Deno or BSD user types in their first minutes, driven as they type it: `rumpjs script.js a
//! b`, a mistyped command, `-p`, lines typed (or pasted) faster than the prompt returns, a bracketed paste,
//! the terminal's width in the REPL.

use expectrl::{Regex, Session};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_rumpjs");

fn rumpjs(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run rumpjs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("first-contact").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn a_script_runs_as_with_node_and_a_typo_names_the_nearest_command() {
    let d = scratch("script");
    let script = d.join("hello.js");
    std::fs::write(&script, "console.log(process.argv.slice(2).join('|'));\n").unwrap();
    let o = rumpjs(&[script.to_str().unwrap(), "a", "--b", "c d"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "a|--b|c d\n");
    // A file without the .js ending runs too, as `node FILE` does.
    let plain = d.join("tool");
    std::fs::write(&plain, "console.log('plain', process.argv.length)\n").unwrap();
    let o = rumpjs(&[plain.to_str().unwrap(), "x"]);
    assert_eq!((o.status.code(), text(&o.stdout)), (Some(0), "plain 3\n".to_string()), "{}", text(&o.stderr));

    let o = rumpjs(&["lss", "disk.img"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty(), "no REPL banner: {}", text(&o.stdout));
    let e = text(&o.stderr);
    assert!(e.contains("'lss'") && e.contains("similar command exists: 'ls'"), "{e}");
    let o = rumpjs(&["nwefs"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("'newfs'"), "{}", text(&o.stderr));
    // A script that is not there is the script's error, as Node's (exit 1 or 2, never the REPL).
    let o = rumpjs(&[d.join("missing.js").to_str().unwrap()]);
    assert_ne!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());
}

#[test]
fn print_shows_values_as_the_inspector_does() {
    let o = rumpjs(&["-p", "({a:1,b:[1,2,3]})"]);
    assert_eq!(text(&o.stdout), "{ a: 1, b: [ 1, 2, 3 ] }\n", "{}", text(&o.stderr));
    let o = rumpjs(&["-p", "'as is'"]);
    assert_eq!(text(&o.stdout), "as is\n");
    let o = rumpjs(&["-p", "new Map([[1, 'x']])"]);
    assert_eq!(text(&o.stdout), "Map(1) { 1 => 'x' }\n");
}

fn repl(name: &str, cols: u16) -> Session {
    let home = scratch(name);
    let mut cmd = Command::new(BIN);
    cmd.env("HOME", &home).env_remove("XDG_STATE_HOME").env("TERM", "xterm").env("NO_COLOR", "1");
    cmd.env_remove("COLUMNS");
    let mut p = Session::spawn(cmd).expect("spawn the REPL on a pty");
    p.get_process_mut().set_window_size(cols, 40).unwrap();
    p.set_expect_timeout(Some(Duration::from_secs(30)));
    p.expect("rump:/> ").unwrap();
    p
}

/// Three lines in one write, as `tmux send-keys` or a terminal without bracketed paste delivers them:
/// every one evaluated, in order, each result after its own line.
#[test]
fn lines_typed_ahead_of_the_prompt_are_all_evaluated_in_order() {
    let mut p = repl("typeahead", 100);
    p.send("1+1\r2+2\r3+3\r").unwrap();
    p.expect(Regex("1\\+1\\S*\r\n2\r\n")).unwrap();
    p.expect(Regex("2\\+2\\S*\r\n4\r\n")).unwrap();
    p.expect(Regex("3\\+3\\S*\r\n6\r\n")).unwrap();
    // An unfinished statement typed ahead goes on at `... `.
    p.send("function f(x) {\r  return x * 7\r}\rf(6)\r").unwrap();
    p.expect("... ").unwrap();
    p.expect("undefined").unwrap();
    p.expect("42").unwrap();
    p.send_line(".exit").unwrap();
    p.expect(expectrl::Eof).unwrap();
}

/// A bracketed paste of several statements: each printed again at its prompt, continuation lines at
/// `... `, each result after its statement, as Node's REPL shows a paste.
#[test]
fn a_bracketed_paste_is_evaluated_statement_by_statement() {
    let mut p = repl("paste", 100);
    p.send("\x1b[200~let a = 20\rfunction twice(x) {\r  return x * 2\r}\rtwice(a) + 2\r\x1b[201~\r").unwrap();
    p.expect(Regex("undefined\r\nrump:/> function twice\\(x\\) \\{\r\n\\.\\.\\.   return x \\* 2\r\n\\.\\.\\. \\}\r\nundefined\r\n"))
        .unwrap();
    p.expect(Regex("rump:/> twice\\(a\\) \\+ 2\r\n42\r\n")).unwrap();
    p.send_line(".exit").unwrap();
    p.expect(expectrl::Eof).unwrap();
}

/// The REPL and process.stdout.columns take the width from the terminal (bash does not export $COLUMNS).
#[test]
fn the_repl_knows_the_terminals_width() {
    let mut p = repl("width", 132);
    p.send_line("process.stdout.columns").unwrap();
    p.expect(Regex("\r\n132\r\n")).unwrap();
    // 100 characters on one line fit 132 columns: no break into one item per line.
    p.send_line("Array.from({length: 10}, (_, i) => 'item' + i)").unwrap();
    p.expect("[ 'item0', 'item1', 'item2', 'item3', 'item4', 'item5', 'item6', 'item7', 'item8', 'item9' ]").unwrap();
    p.send_line(".exit").unwrap();
    p.expect(expectrl::Eof).unwrap();
}

/// NetBSD's `newfs -O2 -v vol -s 131072 disk.img`: format 2, volume name `vol`, 131,072 sectors of 512
/// bytes; read back by `rumpjs info` and by The Sleuth Kit's fsstat. Usage errors exit 1, as newfs's do.
#[test]
fn newfs_takes_netbsds_flags() {
    let d = scratch("newfs");
    let img = d.join("disk.img");
    let i = img.to_str().unwrap();
    let o = rumpjs(&["newfs", "-O2", "-v", "vol", "-s", "131072", i]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("(131072 sectors)"), "{}", text(&o.stdout));
    assert_eq!(std::fs::metadata(&img).unwrap().len(), 131072 * 512);
    let info = text(&rumpjs(&["info", "--json", i]).stdout);
    for want in ["\"version\":\"FFSv2\"", "\"volume_name\":\"vol\"", "\"size_bytes\":67108864"] {
        assert!(info.contains(want), "{want} in {info}");
    }
    if Command::new("fsstat").arg("-V").output().is_ok() {
        let f = text(&Command::new("fsstat").arg(i).output().unwrap().stdout);
        assert!(f.contains("File System Type: UFS 2") && f.contains("Volume Name: vol"), "{f}");
    }
    // Joined flags, a size with a suffix (bytes), -V 0 quiet.
    let small = d.join("small.img");
    let o = rumpjs(&["newfs", "-FO1", "-V0", "-s8m", small.to_str().unwrap()]);
    assert_eq!((o.status.code(), o.stdout.is_empty()), (Some(0), true), "{}", text(&o.stderr));
    assert_eq!(std::fs::metadata(&small).unwrap().len(), 8 << 20);
    assert!(text(&rumpjs(&["info", "--json", small.to_str().unwrap()]).stdout).contains("\"version\":\"FFSv1\""));
    for bad in [&["newfs", "-V", "vol", i][..], &["newfs", "-q", i], &["newfs", "-s", "12x", i], &["newfs"]] {
        let o = rumpjs(bad);
        assert_eq!(o.status.code(), Some(1), "{bad:?}: {}", text(&o.stderr));
        assert!(text(&o.stderr).contains("usage: rumpjs newfs"), "{}", text(&o.stderr));
    }
}

/// fs-utils' order, `rumpjs get IMAGE PATH DEST`, beside `IMAGE:/PATH DEST`.
#[test]
fn get_takes_fs_utils_order() {
    let d = scratch("get");
    let img = d.join("disk.img");
    let i = img.to_str().unwrap();
    assert_eq!(rumpjs(&["newfs", "-V0", "-s", "8m", i]).status.code(), Some(0));
    let src = d.join("rc.conf");
    std::fs::write(&src, "hostname=rump\n").unwrap();
    assert_eq!(rumpjs(&["mkdir", i, "/etc"]).status.code(), Some(0));
    assert_eq!(rumpjs(&["put", src.to_str().unwrap(), &format!("{i}:/etc/rc.conf")]).status.code(), Some(0));
    let out = d.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let o = rumpjs(&["get", i, "/etc/rc.conf", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(std::fs::read_to_string(out.join("rc.conf")).unwrap(), "hostname=rump\n");
    let o = rumpjs(&["get", &format!("{i}:/etc/rc.conf"), out.join("again").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(std::fs::read_to_string(out.join("again")).unwrap(), "hostname=rump\n");
    let o = rumpjs(&["get", i]);
    assert_eq!(o.status.code(), Some(2));
}

/// `rumpjs test` hands --force, --overlay-file, --max-memory and -v to the process that runs each file.
#[test]
fn test_passes_the_session_options_on() {
    let d = scratch("test-options");
    let img = d.join("disk.img");
    let i = img.to_str().unwrap();
    assert_eq!(rumpjs(&["newfs", "-V0", "-s", "8m", i]).status.code(), Some(0));
    let write = d.join("a.test.js");
    std::fs::write(
        &write,
        "import { test } from 'node:test';\ntest('w', () => fs.writeFileSync('/ffs/marker', 'x'));\n",
    )
    .unwrap();
    let read = d.join("b.test.js");
    std::fs::write(
        &read,
        "import { test } from 'node:test';\nimport assert from 'node:assert';\n\
         test('r', () => assert.equal(fs.readFileSync('/ffs/marker', 'utf8'), 'x'));\n",
    )
    .unwrap();
    let ov = d.join("changes.ov");
    let run = |extra: &[&str], file: &Path| {
        let mut a = vec!["test", "--image", i];
        a.extend_from_slice(extra);
        a.push(file.to_str().unwrap());
        rumpjs(&a)
    };
    // --overlay-file: the first file's write is kept in the file, the second file sees it; the image not.
    let o = run(&["--overlay-file", ov.to_str().unwrap()], &write);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(ov.exists());
    let o = run(&["--overlay-file", ov.to_str().unwrap()], &read);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    assert_ne!(run(&["--overlay"], &read).status.code(), Some(0), "the image itself is unchanged");
    // --force: an image not marked clean mounts read-write (fs_clean of the UFS2 superblock to 0).
    let mut b = std::fs::read(&img).unwrap();
    b[65536 + 209] = 0;
    std::fs::write(&img, &b).unwrap();
    assert_ne!(run(&["--rw"], &write).status.code(), Some(0));
    let o = run(&["--rw", "--force"], &write);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    // -v: the kernel's console, shown with the file's output.
    let o = run(&["-v", "--show-output"], &read);
    assert!(text(&o.stdout).contains("NetBSD 10.1 (RUMPJS)"), "{}", text(&o.stdout));
    // --max-memory: the limit holds in the test's process.
    let big = d.join("big.test.js");
    std::fs::write(
        &big,
        "import { test } from 'node:test';\ntest('big', () => { const a = []; \
         for (let i = 0; i < 64; i++) a.push(new Uint8Array(1 << 20).fill(1)); });\n",
    )
    .unwrap();
    let o = rumpjs(&["test", "--max-memory", "16M", big.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).contains("--max-memory"), "{}", text(&o.stdout));
}

/// `--json` for scripts: df, fsck -n and stat, beside info's.
#[test]
fn df_fsck_and_stat_print_json() {
    let d = scratch("json");
    let img = d.join("disk.img");
    let i = img.to_str().unwrap();
    assert_eq!(rumpjs(&["newfs", "-V0", "-s", "8m", i]).status.code(), Some(0));
    let json = |args: &[&str]| -> serde_json::Value {
        let o = rumpjs(args);
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {}", text(&o.stdout)))
    };
    let df = json(&["df", "--json", i]);
    assert_eq!(df[0]["type"], "ffs");
    assert!(df[0]["size"].as_u64().unwrap() > 7 << 20 && df[0]["files"].as_u64().unwrap() > 1000, "{df}");
    let st = json(&["stat", i, "--json", "/"]);
    assert_eq!(
        (st[0]["type"].as_str(), st[0]["ino"].as_u64(), st[0]["mode"].as_u64()),
        (Some("directory"), Some(2), Some(0o755))
    );
    let f = json(&["fsck", "-n", "--json", i]);
    assert_eq!(
        (f["exit_code"].as_i64(), f["clean"].as_bool(), f["files"].as_u64()),
        (Some(0), Some(true), Some(1)),
        "{f}"
    );
    // An image written under --force stays marked not clean: fsck_ffs's lines come in the report.
    let mut b = std::fs::read(&img).unwrap();
    b[65536 + 209] = 0; // fs_clean
    std::fs::write(&img, &b).unwrap();
    let o = rumpjs(&["--rw", "--force", "--image", i, "-e", "fs.writeFileSync('/ffs/f', 'x')"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let f = json(&["fsck", "-n", "--json", i]);
    assert!(f["lines"].as_array().unwrap().iter().any(|l| l.as_str().unwrap().contains("Phase 1")), "{f}");
}

/// Runs `script` (an ES module) with `rumpjs run` and with the machine's `node` (when there is one) on
/// a directory of its own: both must print the same. Without node, rumpjs's output must be `expected`.
fn same_as_node(name: &str, script: &str, expected: &str) {
    let d = scratch(name);
    let file = d.join("script.mjs");
    std::fs::write(&file, script).unwrap();
    // The kernel's /tmp is a fresh tmpfs; node's is the host's, so node gets a directory of its own.
    let o = rumpjs(&["run", file.to_str().unwrap(), "/tmp/work"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    let ours = text(&o.stdout);
    assert_eq!(ours, expected, "rumpjs");
    let host_dir = d.join("work");
    match Command::new("node").arg(&file).arg(&host_dir).output() {
        Ok(n) => assert_eq!(text(&n.stdout), ours, "node's answer (stderr: {})", text(&n.stderr)),
        Err(_) => eprintln!("node not found: compared with the recorded answer only"),
    }
}

#[test]
fn path_matches_glob_as_node_does() {
    let cases = r#"[["a/b","a/**"],["a","a/**"],["a/b/c","a/**"],["a/[b].c","a/[b].c"],["a/b.c","a/[b].c"],
        ["x.js","*.{js,ts}"],["x.ts","*.{js,ts}"],["x.cs","*.{js,ts}"],[".hidden","*"],["a/.hidden","a/*"],
        [".hidden",".*"],["a/.b/c","a/**/c"],["a/b/c/d","a/**/d"],["ab","a?"],["a/b","a?b"],["abc","a[!b]c"],
        ["axc","a[!b]c"],["axc","a[^b]c"],["a/b/c","**"],[".a/b","**/b"],["a/b","*"],["a-b","a[a-c]b"],
        ["a1d","a{1..3}d"],["a4d","a{1..3}d"],["x/y.js","**/*.js"],["y.js","**/*.js"],["a/b/","a/b"],["./a","a"],
        ["A","a"],["aa","+(a)"],["a.txt","!(*.js)"],["a.js","!(*.js)"],["a//b","a/b"],["a/b/x/c","a/*/c"]]"#;
    let script = format!(
        "import path from 'node:path';\nconst cases = {cases};\n\
         console.log(cases.map(([p, g]) => `${{p}} ${{g}} ${{path.matchesGlob(p, g)}}`).join('\\n'));\n"
    );
    let expected = "a/b a/** true\na a/** false\na/b/c a/** true\na/[b].c a/[b].c false\na/b.c a/[b].c true\n\
x.js *.{js,ts} true\nx.ts *.{js,ts} true\nx.cs *.{js,ts} false\n.hidden * false\na/.hidden a/* false\n\
.hidden .* true\na/.b/c a/**/c false\na/b/c/d a/**/d true\nab a? true\na/b a?b false\nabc a[!b]c false\n\
axc a[!b]c true\naxc a[^b]c true\na/b/c ** true\n.a/b **/b false\na/b * false\na-b a[a-c]b false\n\
a1d a{1..3}d true\na4d a{1..3}d false\nx/y.js **/*.js true\ny.js **/*.js true\na/b/ a/b true\n./a a false\n\
A a false\naa +(a) true\na.txt !(*.js) true\na.js !(*.js) false\na//b a/b true\na/b/x/c a/*/c false\n";
    same_as_node("matches-glob", &script, expected);
}

/// Web and Node globals: URL (README's `new URL('./disk.img', import.meta.url)`), URLSearchParams,
/// performance.now, setImmediate, AbortController, queueMicrotask.
#[test]
fn web_globals_as_node_has_them() {
    let script = r#"
const out = [];
const u = new URL('./disk.img?x=1', 'file:///a/b/t.js');
u.searchParams.append('k', 'a b');
out.push(u.href, u.pathname, new URL('./disk.img', import.meta.url).pathname.endsWith('/disk.img'));
out.push([...new URLSearchParams('a=1&b=%20&a=2')].join(';'), new URLSearchParams({ x: '1 2', y: "it's" }).toString());
const q = new URLSearchParams('b=2&a=1&a=3'); q.sort(); q.delete('b'); out.push(q.getAll('a').join(','), q.has('b'), q.size);
const t0 = performance.now(); out.push(typeof t0, t0 >= 0, performance.now() >= t0);
const ac = new AbortController();
ac.signal.addEventListener('abort', (e) => out.push(e.type, ac.signal.aborted, ac.signal.reason.name));
ac.abort();
out.push(AbortSignal.abort('why').reason);
try { ac.signal.throwIfAborted(); } catch (e) { out.push('thrown ' + e.name); }
const order = [];
setImmediate((x) => { order.push('immediate ' + x); }, 7);
queueMicrotask(() => order.push('microtask'));
const cleared = setImmediate(() => order.push('never'));
clearImmediate(cleared);
setTimeout(() => console.log(JSON.stringify([...out, ...order])), 20);
"#;
    let expected = "[\"file:///a/b/disk.img?x=1&k=a+b\",\"/a/b/disk.img\",true,\"a,1;b, ;a,2\",\"x=1+2&y=it%27s\",\
\"1,3\",false,2,\"number\",true,true,\"abort\",true,\"AbortError\",\"why\",\"thrown AbortError\",\"microtask\",\
\"immediate 7\"]\n";
    same_as_node("web-globals", script, expected);
}

/// Node's streams over our fs: fs.createReadStream(p).pipe(hash), stream/promises' pipeline through a
/// Transform into fs.createWriteStream, async iteration, events.once, fs.opendir and Dir.
#[test]
fn streams_events_and_opendir_in_nodes_shapes() {
    let script = r#"
import fs from 'node:fs';
import crypto from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform, Writable } from 'node:stream';
import EventEmitter, { once } from 'node:events';
const dir = process.argv[2];
fs.mkdirSync(dir + '/sub', { recursive: true });
const file = dir + '/data.txt';
fs.writeFileSync(file, 'hello world\n'.repeat(20000));
fs.writeFileSync(dir + '/sub/x.js', '');
const out = [];
const h = crypto.createHash('sha256');
await new Promise((done) => fs.createReadStream(file).pipe(h).on('finish', () => { out.push(h.digest('hex')); done(); }));
const upper = new Transform({ transform(chunk, enc, cb) { cb(null, chunk.toString().toUpperCase()); } });
await pipeline(fs.createReadStream(file, { start: 6, end: 16 }), upper, fs.createWriteStream(dir + '/upper.txt'));
out.push(fs.readFileSync(dir + '/upper.txt', 'utf8'));
const sizes = [];
for await (const c of fs.createReadStream(file, { highWaterMark: 100000 })) sizes.push(c.length);
out.push(sizes.join(','));
const seen = [];
await pipeline(Readable.from(['a', 'b', 'c']), new Writable({ objectMode: true, write(c, e, cb) { seen.push(c); cb(); } }));
out.push(seen.join(''));
const ee = new EventEmitter();
setTimeout(() => ee.emit('go', 1, 2), 1);
out.push((await once(ee, 'go')).join('+'));
let n = 0; ee.on('x', () => n++); ee.once('x', () => n += 10); ee.emit('x'); ee.emit('x'); out.push(n, ee.listenerCount('x'));
const names = [];
const d = fs.opendirSync(dir);
for (let e = d.readSync(); e; e = d.readSync()) names.push(e.name + (e.isDirectory() ? '/' : ''));
d.closeSync();
out.push(names.sort().join(' '));
const names2 = [];
for await (const e of await fs.promises.opendir(dir)) names2.push(e.name);
out.push(names2.sort().join(' '));
const err = await new Promise((r) => fs.createReadStream(dir + '/missing').on('error', (e) => r(e.code)));
out.push(err);
console.log(JSON.stringify(out));
"#;
    let expected = "[\"52a5cf02c5bf10ff98467c7f95c526718981f3933bda6d43ae1cbf7c48101236\",\"WORLD\\nHELLO\",\
\"100000,100000,40000\",\"abc\",\"1+2\",12,1,\"data.txt sub/ upper.txt\",\"data.txt sub upper.txt\",\"ENOENT\"]\n";
    same_as_node("streams", script, expected);
}

/// fs.globSync and fs.glob (Node 22's; the machine's node 20 has none: the answers are written here).
#[test]
fn fs_glob_finds_what_the_pattern_matches() {
    let script = r#"
import fs from 'node:fs';
const dir = '/tmp/g';
for (const p of ['a/b', 'a/.hid', 'c']) fs.mkdirSync(`${dir}/${p}`, { recursive: true });
for (const f of ['x.js', 'y.ts', 'a/z.js', 'a/b/w.js', 'a/.hid/h.js', '.dot.js', 'c/v.txt']) fs.writeFileSync(`${dir}/${f}`, '');
const g = (p, o) => JSON.stringify(fs.globSync(p, { cwd: dir, ...o }).sort());
console.log(g('*.js'));
console.log(g('**/*.js'));
console.log(g('*.{js,ts}'));
console.log(g('a/*'));
console.log(g(['c/*', 'y.*']));
console.log(g('**/*.js', { exclude: ['a/b/**'] }));
console.log(JSON.stringify(fs.globSync(`${dir}/a/*.js`).sort()));
fs.glob('*.ts', { cwd: dir }, (e, m) => console.log('cb', e, JSON.stringify(m)));
const it = [];
for await (const m of fs.promises.glob('c/*', { cwd: dir })) it.push(m);
console.log('async', JSON.stringify(it));
"#;
    let d = scratch("glob");
    let file = d.join("glob.mjs");
    std::fs::write(&file, script).unwrap();
    let o = rumpjs(&["run", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        text(&o.stdout),
        "[\"x.js\"]\n[\"a/b/w.js\",\"a/z.js\",\"x.js\"]\n[\"x.js\",\"y.ts\"]\n[\"a/b\",\"a/z.js\"]\n[\"c/v.txt\",\"y.ts\"]\n\
[\"a/z.js\",\"x.js\"]\n[\"/tmp/g/a/z.js\"]\ncb null [\"y.ts\"]\nasync [\"c/v.txt\"]\n"
    );
}

/// `rumpjs completions bash` completes a command as bash runs it; `rumpjs man` is a manual page that
/// names every command; the licence file is the BSD 2-Clause text Cargo.toml names.
#[test]
fn completions_manual_page_and_licence() {
    let o = rumpjs(&["completions", "bash"]);
    assert_eq!(o.status.code(), Some(0));
    let d = scratch("completions");
    let script = d.join("rumpjs.bash");
    std::fs::write(&script, &o.stdout).unwrap();
    let probe = format!(
        "source '{}'; COMP_WORDS=(rumpjs ne); COMP_CWORD=1; COMP_LINE='rumpjs ne'; COMP_POINT=9; \
         _rumpjs rumpjs ne rumpjs; echo \"${{COMPREPLY[@]}}\"",
        script.display()
    );
    if let Ok(b) = Command::new("bash").arg("-c").arg(&probe).output() {
        assert_eq!(text(&b.stdout).trim(), "newfs", "{}", text(&b.stderr));
    }
    for shell in ["zsh", "fish"] {
        let o = rumpjs(&["completions", shell]);
        assert!(o.status.code() == Some(0) && text(&o.stdout).contains("newfs"), "{shell}");
    }
    assert_eq!(rumpjs(&["completions", "tcsh"]).status.code(), Some(2));
    let man = text(&rumpjs(&["man"]).stdout);
    assert!(man.starts_with(".ie") && man.contains(".TH rumpjs 1"), "{man}");
    for cmd in ["newfs", "fsck", "completions", "ls", "get"] {
        assert!(man.contains(cmd), "the manual page names {cmd}");
    }
    let licence = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../LICENSE")).unwrap();
    assert!(licence.starts_with("BSD 2-Clause License") && licence.contains("The rumpjs authors"));
    let cargo = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml")).unwrap();
    assert!(cargo.contains("license = \"BSD-2-Clause\""));
}

/// crypto.randomUUID is a version-4 UUID from the OS's generator (a seeded one only under --deterministic).
#[test]
fn random_uuids_come_from_the_os() {
    let uuid = |args: &[&str]| text(&rumpjs(args).stdout).trim().to_string();
    let a = uuid(&["-p", "crypto.randomUUID()"]);
    let b = uuid(&["-p", "crypto.randomUUID()"]);
    let v4 = |u: &str| u.len() == 36 && u.as_bytes()[14] == b'4' && "89ab".contains(u.as_bytes()[19] as char);
    assert!(v4(&a) && v4(&b) && a != b, "{a} {b}");
    let d = uuid(&["--deterministic", "-p", "crypto.randomUUID()"]);
    assert_eq!(d, uuid(&["--deterministic", "-p", "crypto.randomUUID()"]));
    assert_ne!(d, a);
}
