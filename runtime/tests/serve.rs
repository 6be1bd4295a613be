//! `rumpjs serve --server-kernel` over plain HTTP (no browser): every endpoint, the token and Host checks, the size limits,
//! the per-request deadline, one session shared by every client, concurrent requests, read-only and
//! read-write serving, and a clean stop on SIGTERM.

mod serve_common;

use serde_json::json;
use serve_common::{enc, fixture, Server};
use std::time::{Duration, Instant};

fn server(test: &str, extra: &[&str]) -> Server {
    let img = fixture("ufs1-42-le", test);
    let mut args = vec!["--image", img.to_str().unwrap()];
    args.extend_from_slice(extra);
    Server::start(&args)
}

#[test]
fn the_url_carries_a_random_token_and_every_request_needs_it() {
    let s = server("token", &[]);
    assert!(s.url.starts_with("http://127.0.0.1:"), "{}", s.url);
    assert_eq!(s.token.len(), 48, "192 bits in hex: {}", s.token);
    assert!(s.token.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(s.banner.contains("one kernel and one JavaScript context"), "{}", s.banner);
    let other = server("token2", &[]);
    assert_ne!(s.token, other.token);

    // Without the token: refused, with a clear text for pages and JSON for the API.
    for path in ["/", "/index.html", "/app.js", "/format.js", "/style.css", "/favicon.ico"] {
        let a = s.request("GET", path, &[], b"");
        assert_eq!(a.status, 403, "{path}");
        assert_eq!(a.header("x-content-type-options"), Some("nosniff"));
        assert!(a.text().contains("Open the URL that rumpjs serve printed"), "{path}: {}", a.text());
    }
    for path in ["/api/status", "/api/list?path=/", "/api/read?path=/ffs/hello.txt", "/api/info?dir=/ffs"] {
        let a = s.request("GET", path, &[], b"");
        assert_eq!(a.status, 403, "{path}");
        assert!(a.json()["error"].as_str().unwrap().contains("no valid token"), "{}", a.text());
    }
    let a = s.request("GET", "/api/download?path=/ffs/hello.txt", &[], b"");
    assert_eq!(a.status, 403);
    // A wrong token, a token of another server, a prefix of the right one, and an empty one.
    let last = if s.token.ends_with('0') { '1' } else { '0' };
    let wrong = format!("{}{last}", &s.token[..47]);
    for t in [wrong.as_str(), other.token.as_str(), &s.token[..47], ""] {
        let a = s.request("GET", &format!("/?token={t}"), &[], b"");
        assert_eq!(a.status, 403, "token {t}");
        let a = s.request("GET", "/api/status", &[&format!("X-Rumpjs-Token: {t}")], b"");
        assert_eq!(a.status, 403, "token {t}");
    }
    // POSTs carry it in the header only: a form on another page cannot send a header.
    let a = s.request("POST", &format!("/api/eval?token={}", s.token), &[], br#"{"code":"1"}"#);
    assert_eq!(a.status, 403);
    assert!(a.text().contains("X-Rumpjs-Token"), "{}", a.text());
    let a = s.request("POST", "/api/eval", &[], br#"{"code":"1"}"#);
    assert_eq!(a.status, 403);

    // With it: the page, its files (the page's links carry the token) and the API.
    let page = s.request("GET", &format!("/?token={}", s.token), &[], b"");
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    let html = page.text();
    assert!(html.contains(&format!("app.js?token={}", s.token)), "{html}");
    assert!(html.contains(&format!("style.css?token={}", s.token)));
    assert!(!html.contains("__RUMPJS_TOKEN__"));
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    let js = s.request("GET", &format!("/app.js?token={}", s.token), &[], b"");
    assert_eq!(js.status, 200);
    assert!(js.header("content-type").unwrap().starts_with("text/javascript"));
    assert!(js.text().contains("X-Rumpjs-Token"));
    // The module app.js imports (with the token): the formatters the shell commands use.
    let format = s.request("GET", &format!("/format.js?token={}", s.token), &[], b"");
    assert!(format.status == 200 && format.text().contains("export function humanize"), "{}", format.text());
    let css = s.request("GET", &format!("/style.css?token={}", s.token), &[], b"");
    assert_eq!((css.status, css.header("content-type").unwrap()), (200, "text/css; charset=utf-8"));
    let head = s.request("HEAD", &format!("/?token={}", s.token), &[], b"");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-length").unwrap(), html.len().to_string());
    assert_eq!(s.get("/api/status").status, 200);
}

#[test]
fn the_host_header_must_name_this_server() {
    let s = server("host", &[]);
    let tok = s.token_header();
    let evil = format!("Host: rebind.example:{}", s.port);
    let a = s.raw(format!("GET /api/status HTTP/1.1\r\n{evil}\r\n{tok}\r\nConnection: close\r\n\r\n").as_bytes());
    assert_eq!(a.status, 403);
    assert!(a.json()["error"].as_str().unwrap().contains("DNS-rebinding"), "{}", a.text());
    let a = s.raw(format!("GET /?token={} HTTP/1.1\r\n{evil}\r\nConnection: close\r\n\r\n", s.token).as_bytes());
    assert_eq!(a.status, 403);
    assert!(a.text().contains("does not name this server"), "{}", a.text());
    // Other port, no Host at all, a name that only starts like localhost.
    for host in [
        format!("Host: 127.0.0.1:{}\r\n", s.port + 1),
        String::new(),
        format!("Host: localhost.rebind.example:{}\r\n", s.port),
        "Host: 127.0.0.1\r\n".to_string(),
    ] {
        let a = s.raw(format!("GET /api/status HTTP/1.1\r\n{host}{tok}\r\nConnection: close\r\n\r\n").as_bytes());
        assert_eq!(a.status, 403, "{host:?}");
    }
    for host in [format!("localhost:{}", s.port), format!("127.0.0.1:{}", s.port), format!("[::1]:{}", s.port)] {
        let a =
            s.raw(format!("GET /api/status HTTP/1.1\r\nHost: {host}\r\n{tok}\r\nConnection: close\r\n\r\n").as_bytes());
        assert_eq!(a.status, 200, "{host}");
    }
}

#[test]
fn status_shows_the_boot_log_the_mounts_and_the_session_model() {
    let s = server("status", &[]);
    let st = s.get("/api/status").json();
    assert!(st["dmesg"].as_str().unwrap().contains("NetBSD"), "{st}");
    let mounts = st["mounts"].as_array().unwrap();
    let ffs = mounts.iter().find(|m| m["dir"] == "/ffs").expect("the image on /ffs");
    assert_eq!(ffs["type"], "ffs");
    assert_eq!(ffs["readonly"], true);
    assert_eq!(ffs["spec"], "/dev/ffs0");
    assert!(ffs["size"].as_u64().unwrap() > 1_000_000 && ffs["free"].as_u64().unwrap() > 0, "{ffs}");
    assert!(mounts.iter().any(|m| m["dir"] == "/tmp" && m["type"] == "tmpfs"));
    assert!(mounts.iter().any(|m| m["dir"] == "/" && m["type"] == "rumpfs"));
    assert!(st["session"].as_str().unwrap().contains("shared by every page"));
    assert_eq!(st["readonly"], true);
    assert_eq!(st["engine"]["busy"], false);
}

#[test]
fn commands_are_the_repl_commands_of_commands_js() {
    let s = server("commands", &[]);
    let r = s.command("ls /ffs");
    assert_eq!(r["status"], 0, "{r}");
    for name in ["hello.txt", "deep", "sizes"] {
        assert!(r["out"].as_str().unwrap().contains(name), "{r}");
    }
    let r = s.command("ls -l /ffs/hello.txt");
    assert!(r["out"].as_str().unwrap().starts_with("-rw-r--r--"), "{r}");
    let r = s.command("cat /ffs/hello.txt");
    assert_eq!(r["out"], "hello, world\n");
    let r = s.command("nosuchcommand x");
    assert_eq!(r["status"], 127);
    assert_eq!(r["err"], "nosuchcommand: unknown command (try help)\n");
    let r = s.command("cat /ffs/missing");
    assert_eq!(r["status"], 1);
    assert!(r["err"].as_str().unwrap().contains("No such file or directory"), "{r}");
    let r = s.command("ls 'unterminated");
    assert_eq!(r["status"], 2);
    assert!(r["err"].as_str().unwrap().contains("unterminated quote"), "{r}");
    let r = s.command("help");
    assert!(r["out"].as_str().unwrap().contains("hexdump"), "{r}");
    // Read-only: what writes is refused, before it runs; mounts are forced read-only.
    for line in ["mkdir /tmp/x", "rm /ffs/hello.txt", "touch /tmp/y", "get /ffs/hello.txt /tmp/out"] {
        let r = s.command(line);
        assert_eq!(r["status"], 1, "{line}: {r}");
        assert!(r["err"].as_str().unwrap().contains("read-only; start it with --rw (or --overlay)"), "{line}: {r}");
    }
    // `cd` is the session's: the next request (from another connection) sees it.
    assert_eq!(s.command("cd /ffs/deep")["status"], 0);
    assert_eq!(s.command("pwd")["out"], "/ffs/deep\n");
    assert!(s.command("ls")["out"].as_str().unwrap().contains("d00"));
    // Bad bodies.
    let a = s.request("POST", "/api/command", &[&s.token_header()], b"ls /ffs");
    assert_eq!(a.status, 400);
    assert!(a.json()["error"].as_str().unwrap().contains("JSON object"), "{}", a.text());
    let a = s.post("/api/command", &json!({ "cmd": "ls" }));
    assert_eq!(a.status, 400);
    assert!(a.json()["error"].as_str().unwrap().contains("'line'"));
}

#[test]
fn eval_shows_values_as_the_repl_does_and_keeps_state() {
    let s = server("eval", &[]);
    let r = s.eval("1 + 1");
    assert_eq!((r["ok"].clone(), r["value"].clone()), (json!(true), json!("2")));
    assert_eq!(s.eval("'text'")["value"], "'text'");
    assert_eq!(s.eval("[1, 'a', { b: 2 }]")["value"], "[ 1, 'a', { b: 2 } ]");
    assert_eq!(s.eval("{ a: 1 }")["value"], "{ a: 1 }");
    assert_eq!(s.eval("fs.readFileSync('/ffs/hello.txt', 'utf8')")["value"], "'hello, world\\n'");
    let r = s.eval("console.log('to the console'); console.error('and stderr'); 7");
    assert_eq!(r["output"], "to the console\nand stderr\n");
    assert_eq!(r["value"], "7");
    // Declarations persist from one request to the next: one context for the server.
    assert_eq!(s.eval("let counter = 41; const twice = (x) => 2 * x;")["ok"], true);
    assert_eq!(s.eval("counter + 1")["value"], "42");
    assert_eq!(s.eval("twice(counter)")["value"], "82");
    // Errors: thrown, syntax, and the message as the REPL shows it.
    let r = s.eval("throw new Error('boom')");
    assert_eq!(r["ok"], false);
    assert!(r["error"].as_str().unwrap().starts_with("Uncaught Error: boom"), "{r}");
    let r = s.eval("let let = 1");
    assert!(r["error"].as_str().unwrap().contains("SyntaxError"), "{r}");
    let r = s.eval("fs.readFileSync('/ffs/nope')");
    let e = r["error"].as_str().unwrap();
    assert!(e.contains("ENOENT") && e.contains("/ffs/nope"), "{e}");
    // await, as in Node's REPL.
    assert_eq!(s.eval("await Promise.resolve(6 * 7)")["value"], "42");
    let r = s.eval("(await fs.promises.readdir('/ffs')).length");
    assert_eq!(r["value"], "9", "{r}");
    let r = s.eval("await Promise.reject(new Error('no'))");
    assert!(r["error"].as_str().unwrap().starts_with("Uncaught Error: no"), "{r}");
    assert_eq!(r["output"], "", "the rejection is the answer, not also an unhandled one: {r}");
    // An unhandled rejection is reported in the output.
    let r = s.eval("Promise.reject(new Error('nobody')); 1");
    assert!(r["output"].as_str().unwrap().contains("Uncaught (in promise) Error: nobody"), "{r}");
    // process.exit does not end the server.
    let r = s.eval("process.exit(3)");
    assert!(r["error"].as_str().unwrap().contains("does not end rumpjs serve"), "{r}");
    assert_eq!(s.eval("1")["value"], "1");
    // Timers run between requests; what they print comes with the next answer.
    assert_eq!(s.eval("setTimeout(() => console.log('timer fired'), 50); 'set'")["value"], "'set'");
    let t = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let r = s.eval("0");
        if r["output"] == "timer fired\n" {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "the timer never fired: {r}");
    }
    let r = s.eval("let ticks = 0; const iv = setInterval(() => ticks++, 20); 0");
    assert_eq!(r["ok"], true);
    std::thread::sleep(Duration::from_millis(300));
    let r = s.eval("clearInterval(iv); ticks");
    assert!(r["value"].as_str().unwrap().parse::<u32>().unwrap() >= 3, "{r}");
    // Bad bodies and methods.
    let a = s.post("/api/eval", &json!({ "code": 1 }));
    assert_eq!(a.status, 400);
    let a = s.get("/api/eval");
    assert_eq!(a.status, 405);
    assert_eq!(a.header("allow"), Some("POST"));
    let a = s.get("/api/nothing");
    assert_eq!(a.status, 404);
    assert!(a.json()["error"].as_str().unwrap().contains("no such endpoint"));
}

#[test]
fn a_runaway_evaluation_is_stopped_at_the_deadline_and_the_session_goes_on() {
    let s = server("deadline", &["--request-timeout", "1"]);
    for code in [
        "while (true) {}",
        "function spin() { let n = 0; for (;;) n++; } spin()",
        "function deep(n) { if (n === 0) { for (;;) {} } return deep(n - 1); } deep(2000)",
        "async function a() { for (;;) {} } a()",
    ] {
        let t = Instant::now();
        let r = s.eval(code);
        let took = t.elapsed();
        assert_eq!(r["ok"], false, "{code}: {r}");
        assert!(r["error"].as_str().unwrap().contains("stopped after 1 s"), "{code}: {r}");
        assert!(took < Duration::from_secs(5), "{code}: took {took:?}");
        assert_eq!(s.eval("1 + 1")["value"], "2", "after {code}");
    }
    // The frames the stopped evaluations left do not eat the call depth, nor show in stacks.
    let r = s.eval("function r(n) { return n ? 1 + r(n - 1) : 0 } r(5000)");
    assert_eq!(r["value"], "5000", "{r}");
    let r = s.eval("(function f() { throw new Error('where') })()");
    let e = r["error"].as_str().unwrap();
    assert!(!e.contains("spin") && !e.contains("deep ("), "stale frames in {e}");
    // Commands run as before.
    let r = s.command("find / -name nothing-at-all");
    assert_eq!(r["status"], 0, "{r}");
    let st = s.get("/api/status").json();
    assert_eq!(st["engine"]["stopped"], 4, "{st}");
}

#[test]
fn code_that_cannot_be_interrupted_keeps_the_engine_busy_but_the_server_answers() {
    let s = server("busy", &["--request-timeout", "1"]);
    // A loop inside a callback of a native built-in: the deadline cannot reach it (it ends after the
    // loop-iteration limit, later). The page gets answers all the same.
    let slow = std::thread::spawn({
        let (addr, tok) = (s.addr.clone(), s.token.clone());
        move || {
            let body = r#"{"code":"[1].map(() => { let s = 0; for (;;) s += Math.sqrt(s) % 3; })"}"#;
            let req = format!(
                "POST /api/eval HTTP/1.1\r\nHost: {addr}\r\nX-Rumpjs-Token: {tok}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let mut c = std::net::TcpStream::connect(&addr).unwrap();
            std::io::Write::write_all(&mut c, req.as_bytes()).unwrap();
            let mut out = String::new();
            let _ = std::io::Read::read_to_string(&mut c, &mut out);
            out
        }
    });
    // Busy past the deadline and its 2 s of grace: new work is refused at once.
    let t = Instant::now();
    loop {
        let st = s.get("/api/status").json();
        if st["engine"]["busy"] == true && st["engine"]["seconds"].as_f64().unwrap() > 3.5 {
            assert!(st["engine"]["what"].as_str().unwrap().contains("Math.sqrt"), "{st}");
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(30), "the engine never got busy: {st}");
        std::thread::sleep(Duration::from_millis(200));
    }
    let t = Instant::now();
    let a = s.post("/api/eval", &json!({ "code": "1" }));
    assert_eq!(a.status, 503);
    assert!(t.elapsed() < Duration::from_secs(2), "answered at once");
    assert!(a.json()["error"].as_str().unwrap().contains("cannot be interrupted"), "{}", a.text());
    let a = s.post("/api/command", &json!({ "line": "ls" }));
    assert_eq!(a.status, 503);
    // The file browser does not need the engine.
    let l = s.get("/api/list?path=/ffs").json();
    assert!(l["entries"].as_array().unwrap().len() == 9, "{l}");
    assert_eq!(s.get("/api/read?path=/ffs/hello.txt").text(), "hello, world\n");
    // The slow request itself is answered (a 503 after the engine's wait limit, or the loop's end).
    let out = slow.join().unwrap();
    assert!(out.starts_with("HTTP/1.1 503") || out.contains("RuntimeLimitError"), "{out}");
}

#[test]
fn the_file_browser_lists_reads_downloads_and_reports() {
    let s = server("files", &[]);
    let l = s.get("/api/list?path=/ffs").json();
    assert_eq!(l["path"], "/ffs");
    let entries = l["entries"].as_array().unwrap();
    let names: Vec<&str> = entries.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["deep", "dev", "empty", "hard", "hello.txt", "links", "modes", "names", "sizes"]);
    let hello = &entries[4];
    assert_eq!(hello["type"], "f");
    assert_eq!(hello["mode"], 0o100644, "st_mode, which the page shows with format.js's strmode");
    assert_eq!((hello["uid"].as_u64(), hello["gid"].as_u64(), hello["size"].as_u64()), (Some(0), Some(0), Some(13)));
    assert!(hello["mtimeMs"].as_f64().unwrap() > 1.3e12);
    assert_eq!(entries[0]["type"], "d");
    let dev = s.get("/api/list?path=/ffs/dev").json();
    let types: Vec<(&str, &str)> = dev["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap(), e["type"].as_str().unwrap()))
        .collect();
    assert!(
        types.contains(&("fifo", "p")) && types.contains(&("wd0a", "b")) && types.contains(&("null", "c")),
        "{types:?}"
    );
    let links = s.get("/api/list?path=/ffs/links").json();
    let sym = links["entries"].as_array().unwrap().iter().find(|e| e["type"] == "l").expect("a symlink");
    assert!(sym["target"].is_string() && sym["mode"].as_u64().unwrap() & 0o170000 == 0o120000, "{sym}");

    // Names as they are: spaces, quotes, tabs, backslashes, UTF-8.
    let names = s.get("/api/list?path=/ffs/names").json();
    let names: Vec<&str> = names["entries"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    for n in ["with space", "q'uote\"", "tab\tname", "emoji😀", "日本語", "b\\slash", ".hidden", "-dash"] {
        assert!(names.contains(&n), "{n:?} in {names:?}");
        let a = s.get(&format!("/api/read?path={}", enc(&format!("/ffs/names/{n}"))));
        assert_eq!(a.status, 200, "{n:?}: {}", a.text());
    }

    // Paths stay inside the kernel: .. stops at the kernel's root, which is not the host's.
    let root = s.get(&format!("/api/list?path={}", enc("/ffs/../../../..")));
    let names: Vec<String> =
        root.json()["entries"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap().to_string()).collect();
    assert!(names.contains(&"ffs".to_string()) && names.contains(&"kern".to_string()), "{names:?}");
    assert!(!names.contains(&"etc".to_string()) && !names.contains(&"usr".to_string()), "{names:?}");
    for (path, status, says) in [
        ("ffs", 400, "absolute kernel path"),
        ("/ffs/missing", 404, "ENOENT"),
        ("/ffs/hello.txt", 400, "not a directory"),
        ("/etc/passwd", 404, "ENOENT"),
    ] {
        let a = s.get(&format!("/api/list?path={}", enc(path)));
        assert_eq!(a.status, status, "{path}: {}", a.text());
        assert!(a.json()["error"].as_str().unwrap().contains(says), "{path}: {}", a.text());
    }
    let a = s.get("/api/list");
    assert_eq!(a.status, 400);
    assert!(a.json()["error"].as_str().unwrap().contains("missing query parameter 'path'"));
    let a = s.get("/api/list?path=/a%00b");
    assert_eq!(a.status, 400);

    // Reading for the viewer.
    let a = s.get("/api/read?path=/ffs/hello.txt");
    assert_eq!(a.status, 200);
    assert_eq!(a.text(), "hello, world\n");
    assert_eq!(a.header("x-total-size"), Some("13"));
    assert_eq!(a.header("content-type"), Some("application/octet-stream"));
    let a = s.get("/api/read?path=/ffs/deep/d00/d01/d02/d03/d04/d05/d06/d07/d08/d09/d10/d11/bottom");
    assert_eq!(a.status, 200);
    for (path, says) in [("/ffs/deep", "it is a directory"), ("/ffs/dev/fifo", "not a regular file")] {
        let a = s.get(&format!("/api/read?path={path}"));
        assert_eq!(a.status, 400, "{path}");
        assert!(a.json()["error"].as_str().unwrap().contains(says), "{path}: {}", a.text());
    }

    // Downloads: the whole file, named.
    let a = s.request("GET", &format!("/api/download?path=/ffs/hello.txt&token={}", s.token), &[], b"");
    assert_eq!(a.status, 200);
    assert_eq!(a.text(), "hello, world\n");
    assert_eq!(a.header("content-disposition"), Some("attachment; filename=\"hello.txt\"; filename*=UTF-8''hello.txt"));
    let a = s.request("GET", &format!("/api/download?path=/ffs/deep&token={}", s.token), &[], b"");
    assert_eq!(a.status, 400);
    assert!(a.text().contains("it is a directory"));

    // The info report of a mount.
    let i = s.get("/api/info?dir=/ffs").json();
    let text = i["text"].as_str().unwrap();
    assert!(text.starts_with("/dev/ffs0 on /ffs (ffs)"), "{text}");
    assert!(text.contains("UFS1") && text.contains("little-endian") && text.contains("read-only"), "{text}");
    assert_eq!(i["type"], "ffs");
    let i = s.get("/api/info?dir=/tmp").json();
    assert!(i["text"].as_str().unwrap().starts_with("tmpfs on /tmp (tmpfs)"), "{i}");
    let a = s.get("/api/info?dir=/nowhere");
    assert_eq!(a.status, 404);
}

#[test]
fn sizes_are_bounded() {
    // (A long deadline: showing a 2 MB value takes seconds.)
    let s = server("limits", &["--request-timeout", "120"]);
    // Request bodies: 1 MiB.
    let big = format!(r#"{{"code":"'{}'.length"}}"#, "a".repeat(1 << 20));
    let a = s.request("POST", "/api/eval", &[&s.token_header()], big.as_bytes());
    assert_eq!(a.status, 413);
    assert!(a.text().contains("over the limit of 1048576 bytes"), "{}", a.text());
    let ok = format!(r#"{{"code":"'{}'.length"}}"#, "a".repeat(500_000));
    let r = s.request("POST", "/api/eval", &[&s.token_header()], ok.as_bytes()).json();
    assert_eq!(r["value"], "500000");
    // Request heads: 16 KiB.
    let long = format!("X-Long: {}", "b".repeat(20_000));
    let a = s.request("GET", "/api/status", &[&s.token_header(), &long], b"");
    assert_eq!(a.status, 431);
    let many: Vec<String> = (0..150).map(|i| format!("X-H{i}: v")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let a = s.request("GET", "/api/status", &many, b"");
    assert_eq!(a.status, 431);
    // Chunked bodies are refused, bad requests answered.
    let a = s.raw(
        format!("POST /api/eval HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n", s.addr)
            .as_bytes(),
    );
    assert_eq!(a.status, 501);
    let a = s.raw(b"NONSENSE\r\n\r\n");
    assert_eq!(a.status, 400);
    let a = s.raw(b"GET / HTTP/2.0\r\n\r\n");
    assert_eq!(a.status, 505);

    // The viewer gets the first 256 KiB and the size; a download gets it all.
    let r = s.eval("fs.writeFileSync('/tmp/big', new Uint8Array(300000).fill(65)); fs.statSync('/tmp/big').size");
    assert_eq!(r["value"], "300000", "{r}");
    let a = s.get("/api/read?path=/tmp/big");
    assert_eq!(a.body.len(), 256 * 1024);
    assert_eq!(a.header("x-total-size"), Some("300000"));
    let a = s.request("GET", &format!("/api/download?path=/tmp/big&token={}", s.token), &[], b"");
    assert_eq!(a.body.len(), 300000);
    assert!(a.body.iter().all(|&b| b == b'A'));
    // Command output: 1 MiB.
    let r = s.eval("fs.writeFileSync('/tmp/text', 'x'.repeat(1500000)); 0");
    assert_eq!(r["ok"], true);
    let r = s.command("cat /tmp/text");
    let out = r["out"].as_str().unwrap();
    assert!(out.len() < 1_100_000 && out.contains("[output truncated at "), "{}", out.len());
    // Console output and values: 1 MiB each.
    let r = s.eval("for (let i = 0; i < 3000; i++) console.log('y'.repeat(1000)); 0");
    assert!(r["output"].as_str().unwrap().contains("more bytes of console output dropped"));
    assert!(r["output"].as_str().unwrap().len() < 1_100_000);
    let r = s.eval("Array.from({ length: 100 }, () => Array.from({ length: 60 }, () => 'y'.repeat(200)))");
    let v = r["value"].as_str().unwrap();
    assert!(v.len() < 1_100_000 && v.ends_with("more bytes not shown]"), "{}", &v[v.len().saturating_sub(100)..]);
    // Listings: 10,000 entries, and how many more there are.
    let r =
        s.eval("fs.mkdirSync('/tmp/many'); for (let i = 0; i < 10050; i++) fs.writeFileSync('/tmp/many/f' + i, ''); 0");
    assert_eq!(r["ok"], true, "{r}");
    let l = s.get("/api/list?path=/tmp/many").json();
    assert_eq!(l["entries"].as_array().unwrap().len(), 10_000);
    assert_eq!(l["truncated"], 50);
}

#[test]
fn concurrent_clients_share_one_session_and_are_served_one_at_a_time() {
    let s = server("concurrent", &[]);
    assert_eq!(s.eval("globalThis.hits = 0; hits")["value"], "0");
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let (addr, token) = (s.addr.clone(), s.token.clone());
            std::thread::spawn(move || {
                let c = Server::client(&addr, &token);
                for i in 0..10 {
                    let r = c.post(
                        "/api/eval",
                        &json!({ "code": "(() => { const before = hits; for (let i = 0; i < 1000; i++); hits = before + 1 })()" }),
                    );
                    assert_eq!(r.status, 200, "thread {t} request {i}: {}", r.text());
                    assert_eq!(r.json()["ok"], true);
                    let l = c.get("/api/list?path=/ffs");
                    assert_eq!(l.status, 200);
                    let f = c.get("/api/read?path=/ffs/hello.txt");
                    assert_eq!(f.text(), "hello, world\n");
                    let cmd = c.post("/api/command", &json!({ "line": "cat /ffs/hello.txt" }));
                    assert_eq!(cmd.json()["out"], "hello, world\n");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // Every increment was seen: evaluations ran one at a time in the one context.
    assert_eq!(s.eval("hits")["value"], "80");

    // Keep-alive: several requests on one connection.
    let mut req = Vec::new();
    for _ in 0..3 {
        req.extend_from_slice(
            format!("GET /api/status HTTP/1.1\r\nHost: {}\r\n{}\r\n\r\n", s.addr, s.token_header()).as_bytes(),
        );
    }
    req.extend_from_slice(
        format!("GET /api/status HTTP/1.1\r\nHost: {}\r\n{}\r\nConnection: close\r\n\r\n", s.addr, s.token_header())
            .as_bytes(),
    );
    let mut c = std::net::TcpStream::connect(&s.addr).unwrap();
    std::io::Write::write_all(&mut c, &req).unwrap();
    let mut all = Vec::new();
    std::io::Read::read_to_end(&mut c, &mut all).unwrap();
    let text = String::from_utf8_lossy(&all);
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 4);
}

#[test]
fn read_write_serving_changes_the_image_and_stops_cleanly() {
    // (ufs1-42 is in the pre-NetBSD-2 layout, mountable read-only only.)
    let img = fixture("ufs2-le-16384-2048", "rw");
    let mut s = Server::start(&["--rw", "--image", img.to_str().unwrap()]);
    let st = s.get("/api/status").json();
    assert_eq!(st["readonly"], false);
    assert!(st["mounts"].as_array().unwrap().iter().any(|m| m["dir"] == "/ffs" && m["readonly"] == false));
    let r = s.command("mkdir /ffs/made-in-the-browser");
    assert_eq!(r["status"], 0, "{r}");
    let r = s.eval("fs.writeFileSync('/ffs/made-in-the-browser/note.txt', 'kept\\n'); 'ok'");
    assert_eq!(r["value"], "'ok'", "{r}");
    assert_eq!(s.stop(30), Some(0), "SIGTERM ends the server with status 0");
    // The image holds the change and is clean.
    let s = Server::start(&["--image", img.to_str().unwrap()]);
    assert_eq!(s.get("/api/read?path=/ffs/made-in-the-browser/note.txt").text(), "kept\n");
    let info = s.get("/api/info?dir=/ffs").json();
    assert!(info["text"].as_str().unwrap().contains("yes (fs_clean 0x01)"), "{info}");
}

#[test]
fn bad_options_are_refused_with_a_message() {
    let o = std::process::Command::new(serve_common::BIN)
        .args(["serve", "--server-kernel", "--bind", "nowhere", "--no-open"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--bind nowhere: not an IP address"));
    let o = std::process::Command::new(serve_common::BIN)
        .args(["serve", "--server-kernel", "--image", "/nonexistent.img", "--no-open", "--port", "0"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent.img"), "{}", String::from_utf8_lossy(&o.stderr));
    // A port in use.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port().to_string();
    let o = std::process::Command::new(serve_common::BIN)
        .args(["serve", "--server-kernel", "--port", &port, "--no-open"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("cannot listen on 127.0.0.1"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn a_read_only_server_mounts_read_only_whatever_the_page_asks() {
    let img = fixture("ufs2-le-16384-2048", "ro-mount");
    let s = Server::start(&["--image", img.to_str().unwrap()]);
    // (mkdir is refused on a read-only server; JavaScript makes the mount points.)
    assert_eq!(s.eval("fs.mkdirSync('/tmp/again'); fs.mkdirSync('/tmp/third'); 0")["ok"], true);
    let r = s.command(&format!("mount -w ffs {} /tmp/again", img.display()));
    assert_eq!(r["status"], 0, "{r}");
    let r = s.eval(&format!(
        "rump.mount('ffs', '/tmp/third', {{ image: {:?}, readonly: false }}); 0",
        img.to_str().unwrap()
    ));
    assert_eq!(r["ok"], true, "{r}");
    let r =
        s.eval("rump.mounts().filter((m) => m.on === '/tmp/again' || m.on === '/tmp/third').map((m) => m.readonly)");
    assert_eq!(r["value"], "[ true, true ]", "{r}");
    let r = s.eval("fs.writeFileSync('/tmp/again/x', 'y')");
    assert!(r["error"].as_str().unwrap().contains("EROFS"), "{r}");
    let st = s.get("/api/status").json();
    assert!(st["mounts"].as_array().unwrap().iter().all(|m| m["type"] != "ffs" || m["readonly"] == true), "{st}");
}

#[test]
fn an_overlay_server_writes_in_memory_and_leaves_the_image_file_alone() {
    let img = fixture("ufs2-le-16384-2048", "overlay");
    let before = std::fs::read(&img).unwrap();
    let mut s = Server::start(&["--overlay", "--image", img.to_str().unwrap()]);
    let st = s.get("/api/status").json();
    assert_eq!(st["readonly"], false);
    assert!(st["session"].as_str().unwrap().contains("overlay in memory"), "{st}");
    let r = s.command("mkdir /ffs/only-in-memory");
    assert_eq!(r["status"], 0, "{r}");
    assert!(s.command("ls /ffs")["out"].as_str().unwrap().contains("only-in-memory"));
    assert_eq!(s.stop(30), Some(0));
    assert!(std::fs::read(&img).unwrap() == before, "the image file changed");
}

#[test]
fn without_an_image_the_demo_image_is_on_ffs() {
    let s = Server::start(&[]);
    let st = s.get("/api/status").json();
    let ffs = st["mounts"].as_array().unwrap().iter().find(|m| m["dir"] == "/ffs").cloned().expect("/ffs");
    assert_eq!((ffs["type"].as_str(), ffs["readonly"].as_bool()), (Some("ffs"), Some(true)), "{ffs}");
    let r = s.command("ls /ffs");
    assert_eq!(r["status"], 0, "{r}");
    assert!(!r["out"].as_str().unwrap().is_empty());
}

#[test]
fn host_files_are_reached_only_through_the_grants_and_never_written_when_read_only() {
    let img = fixture("ufs1-42-le", "host-grants");
    let dir = img.parent().unwrap();
    let granted = dir.join("granted");
    let outside = dir.join("outside");
    std::fs::create_dir_all(&granted).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(granted.join("in.txt"), "from the host\n").unwrap();
    std::fs::write(outside.join("secret.txt"), "not for the page\n").unwrap();
    let (g, o) = (granted.to_str().unwrap(), outside.to_str().unwrap());

    // Read-only: a granted path may be read, but nothing is written on the host, by a command or by JS.
    let s = Server::start(&["--image", img.to_str().unwrap(), "--allow-host", g]);
    let r = s.eval(&format!("JSON.stringify(rump.host.copyIn({:?}, '/tmp/in.txt'))", format!("{g}/in.txt")));
    assert!(r["value"].as_str().unwrap().contains("\"files\":1"), "{r}");
    assert_eq!(s.eval("fs.readFileSync('/tmp/in.txt', 'utf8')")["value"], "'from the host\\n'");
    let r = s.eval(&format!("rump.host.copyOut('/ffs/hello.txt', {:?})", format!("{g}/out.txt")));
    let e = r["error"].as_str().unwrap();
    assert!(e.contains("ERR_ACCESS_DENIED") && e.contains("read-only"), "{r}");
    let r = s.command(&format!("get /ffs/hello.txt {g}/out2.txt"));
    assert_eq!(r["status"], 1, "{r}");
    assert!(!granted.join("out.txt").exists() && !granted.join("out2.txt").exists());
    // Outside the grants: not read, not opened as an image.
    let r = s.eval(&format!("rump.host.copyIn({:?}, '/tmp/s')", format!("{o}/secret.txt")));
    assert!(r["error"].as_str().unwrap().contains("ERR_ACCESS_DENIED"), "{r}");
    let r = s.eval(&format!(
        "fs.mkdirSync('/tmp/m'); rump.mount('ffs', '/tmp/m', {{ image: {:?} }})",
        format!("{o}/secret.txt")
    ));
    assert!(r["error"].as_str().unwrap().contains("denied"), "{r}");
    // Kernel paths stay in the kernel: the file browser's /etc is the kernel's, not the host's.
    let a = s.get("/api/read?path=/etc/passwd");
    assert_ne!(a.status, 200, "{}", a.text());
    let a = s.get(&format!("/api/read?path={}", enc(&format!("{o}/secret.txt"))));
    assert_ne!(a.status, 200, "{}", a.text());
    assert!(!a.text().contains("not for the page"));
    // A command posted without the token is refused and not run.
    let a = s.request("POST", "/api/command", &["Content-Type: application/json"], br#"{"line":"ls /ffs"}"#);
    assert_eq!(a.status, 403, "{}", a.text());
    assert!(!a.text().contains("hello.txt"));
    drop(s);

    // Read-write: copyOut writes inside the grants, and only there.
    let img = fixture("ufs2-le-16384-2048", "host-grants-rw");
    let granted = img.parent().unwrap().join("granted");
    std::fs::create_dir_all(&granted).unwrap();
    let g = granted.to_str().unwrap();
    let s = Server::start(&["--rw", "--image", img.to_str().unwrap(), "--allow-host", g]);
    assert_eq!(s.eval("fs.writeFileSync('/tmp/t.txt', 'out\\n'); 0")["ok"], true);
    let r = s.eval(&format!("rump.host.copyOut('/tmp/t.txt', {:?}).files", format!("{g}/t.txt")));
    assert_eq!(r["value"], "1", "{r}");
    assert_eq!(std::fs::read_to_string(granted.join("t.txt")).unwrap(), "out\n");
    let r = s.eval(&format!("rump.host.copyOut('/tmp/t.txt', {:?})", format!("{o}/t.txt")));
    assert!(r["error"].as_str().unwrap().contains("ERR_ACCESS_DENIED"), "{r}");
    let r = s.command(&format!("get /tmp/t.txt {o}/t2.txt"));
    assert_ne!(r["status"], 0, "{r}");
    assert!(!outside.join("t.txt").exists() && !outside.join("t2.txt").exists());
}
