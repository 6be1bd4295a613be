//! `rumpjs serve` without --server-kernel: it serves the page whose kernel runs in the browser (the folder
//! scripts/build-web.sh builds) and the `--image` files read-only by byte ranges.
//!
//! Over plain HTTP, against a stand-in page folder (no build needed): the token and its cookie, the Host
//! check, Range answers (206 with the right bytes, 416), only the given files, no way out of the folder,
//! the flags that need --server-kernel, and the message when no page is built.
//!
//! In headless Chromium over WebDriver, against the real page (built once per run by
//! tests/support/web.rs) and `rumpjs serve --image X --web BUILT` (no static server of the test's own): the
//! page boots its kernel in the browser, /ffs is the server's image (the second one on its own mount
//! point), `?run=ls -l /ffs` shows, a file's sha256 in the page equals the CLI's, `?image=` of a served
//! image, the "writable" switch (an overlay in the page), the page's own reads are 206 answers, the image
//! file is never written, and a 2 GiB sparse image is mounted and read without
//! being sent whole (the bytes the server sent, as it reports them when it stops). Skipped with a message
//! without the wasm tools or Chromium (a failure under RUMPJS_REQUIRE_TOOLS=1 or RUMPJS_E2E_REQUIRED=1).

mod serve_common;

#[path = "../../tests/support/skip.rs"]
mod skip;

use serde_json::json;
use serve_common::driver::Driver;
use serve_common::web::{built_page, find_program, sparse_image};
use serve_common::{enc, fixture, Server, BIN};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A folder that looks like a built page to the server, and a file beside it that must stay out of reach.
fn stand_in_page(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("serve-page").join(test);
    let _ = std::fs::remove_dir_all(&dir);
    let web = dir.join("web");
    std::fs::create_dir_all(web.join("lib")).unwrap();
    std::fs::write(web.join("index.html"), "<!doctype html><html><head><title>t</title></head><body></body></html>\n")
        .unwrap();
    for (f, text) in [
        ("worker.js", "// worker\n"),
        ("rumpjs.js", "// rumpjs\n"),
        ("kernel_bg.wasm", "\0asm"),
        ("lib/format.js", "// format\n"),
        (".built-from", "stamp"),
    ] {
        std::fs::write(web.join(f), text).unwrap();
    }
    std::fs::write(dir.join("secret.txt"), "not for the page\n").unwrap();
    std::os::unix::fs::symlink(dir.join("secret.txt"), web.join("out.txt")).unwrap();
    web
}

#[test]
fn the_page_needs_the_token_and_gives_it_back_as_a_cookie() {
    let web = stand_in_page("token");
    let s = Server::start_page(&web, &[]);
    assert!(s.banner.contains("the kernel runs in the browser"), "{}", s.banner);
    // Without the token, or with a wrong one: 403 and what to do.
    for target in ["/", "/index.html", "/worker.js", "/?token=0123"] {
        let a = s.request("GET", target, &[], b"");
        assert_eq!(a.status, 403, "{target}: {}", a.text());
        assert!(a.text().contains("Open the URL that rumpjs serve printed"), "{}", a.text());
    }
    // The page with its token: the cookie that lets its scripts and image reads in, and its policy.
    let a = s.request("GET", &format!("/?token={}", s.token), &[], b"");
    assert_eq!(a.status, 200, "{}", a.text());
    let cookie = a.header("set-cookie").expect("a cookie with the token").to_string();
    assert_eq!(cookie, format!("rumpjs-token-{}={}; Path=/; HttpOnly; SameSite=Strict", s.port, s.token));
    assert!(a.header("content-security-policy").unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(a.header("x-frame-options"), Some("DENY"));
    // No --image: the page mounts its demo image (no image named in it). The tag opens the head, before
    // any script that reads it.
    assert!(a.text().contains("<head>\n<meta name=\"rumpjs-images\" content=\"[]\">\n<title>"), "{}", a.text());
    let jar = format!("Cookie: other=1; {}", cookie.split(';').next().unwrap());
    let a = s.request("GET", "/worker.js", &[&jar], b"");
    assert_eq!((a.status, a.text().as_str()), (200, "// worker\n"));
    assert_eq!(a.header("content-type"), Some("text/javascript; charset=utf-8"));
    assert!(a.header("set-cookie").is_none());
    let a = s.request("GET", "/kernel_bg.wasm", &[&s.token_header()], b"");
    assert_eq!((a.status, a.header("content-type")), (200, Some("application/wasm")));
    assert_eq!(s.request("GET", "/lib/format.js", &[&format!("Cookie: rumpjs-token-{}=x", s.port)], b"").status, 403);
    // A cookie for another port's server is not this one's.
    let other = format!("Cookie: rumpjs-token-{}={}", s.port.wrapping_add(1), s.token);
    assert_eq!(s.request("GET", "/lib/format.js", &[&other], b"").status, 403);
    // The Host header must name this server, token or not.
    let a = s.raw(
        format!("GET /?token={} HTTP/1.1\r\nHost: rebound.example:{}\r\nConnection: close\r\n\r\n", s.token, s.port)
            .as_bytes(),
    );
    assert_eq!(a.status, 403);
    assert!(a.text().contains("DNS-rebinding"), "{}", a.text());
    // Only reads; a POST does not carry the cookie's token, and with the header it is still not allowed.
    assert_eq!(s.request("POST", "/index.html", &[&jar], b"").status, 403);
    let a = s.request("PUT", "/index.html", &[&s.token_header()], b"x");
    assert_eq!((a.status, a.header("allow")), (405, Some("GET, HEAD")));
}

#[test]
fn nothing_outside_the_page_folder_and_the_given_images_is_served() {
    let web = stand_in_page("reach");
    let img = fixture("ufs1-42-le", "serve-page-reach");
    let s = Server::start_page(&web, &["--image", img.to_str().unwrap()]);
    let t = s.token_header();
    for target in [
        "/out.txt",
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/lib/../../secret.txt",
        "/.built-from",
        "/lib",
        "/lib/",
        "/nothing.js",
        "/images/0/other.img",
        "/images/1/ufs1-42-le.img",
        "/images/0",
        "/images/../index.html",
    ] {
        let a = s.request("GET", target, &[&t], b"");
        assert_eq!(a.status, 404, "{target}: {}", a.text());
        assert!(!a.text().contains("not for the page"), "{target}");
    }
    assert_eq!(s.request("GET", "/images/0/ufs1-42-le.img", &[&t, "Range: bytes=0-3"], b"").status, 206);
}

#[test]
fn images_are_served_read_only_by_byte_ranges() {
    let web = stand_in_page("ranges");
    let img = fixture("ufs2-be-16384-2048", "serve-page-ranges");
    let two = fixture("ufs1-42-le", "serve-page-ranges-2");
    let bytes = std::fs::read(&img).unwrap();
    let size = bytes.len();
    let (a, b) = (img.to_str().unwrap(), format!("{}:/mnt/second", two.to_str().unwrap()));
    let s = Server::start_page(&web, &["--image", a, "--image", &b, "--partition", "a"]);
    assert!(s.banner.contains("2 image(s) served read-only"), "{}", s.banner);
    let t = s.token_header();
    // The page is told which images to mount, where.
    let page = s.request("GET", "/", &[&t], b"").text();
    let meta = "[{&quot;on&quot;:&quot;/ffs&quot;,&quot;partition&quot;:&quot;a&quot;,&quot;url&quot;:&quot;images/0/\
                ufs2-be-16384-2048.img&quot;},{&quot;on&quot;:&quot;/mnt/second&quot;,&quot;partition&quot;:&quot;a&quot;,\
                &quot;url&quot;:&quot;images/1/ufs1-42-le.img&quot;}]";
    assert!(page.contains(&format!("<meta name=\"rumpjs-images\" content=\"{meta}\">")), "{page}");

    let url = "/images/0/ufs2-be-16384-2048.img";
    let get = |range: &str| s.request("GET", url, &[&t, &format!("Range: {range}")], b"");
    for (range, first, last) in [
        ("bytes=0-99", 0, 99),
        ("bytes=8192-73727", 8192, 73727),
        (&format!("bytes={}-", size - 5) as &str, size - 5, size - 1),
        ("bytes=-10", size - 10, size - 1),
        (&format!("bytes={}-{}", size - 3, size + 100), size - 3, size - 1),
    ] {
        let a = get(range);
        assert_eq!(a.status, 206, "{range}: {}", a.text());
        assert_eq!(a.header("content-range"), Some(format!("bytes {first}-{last}/{size}").as_str()), "{range}");
        assert_eq!(a.header("content-length"), Some((last - first + 1).to_string().as_str()));
        assert!(a.body == bytes[first..=last], "{range}: the bytes differ");
        assert_eq!(a.header("accept-ranges"), Some("bytes"));
    }
    for range in
        [format!("bytes={size}-"), "bytes=10-5".into(), "bytes=0-1,4-5".into(), "lines=1-2".into(), "bytes=-0".into()]
    {
        let a = get(&range);
        assert_eq!(a.status, 416, "{range}: {}", a.text());
        assert_eq!(a.header("content-range"), Some(format!("bytes */{size}").as_str()), "{range}");
    }
    // Without a Range: the whole file; HEAD says its size and sends nothing.
    let a = s.request("GET", url, &[&t], b"");
    assert_eq!(a.status, 200);
    assert!(a.body == bytes);
    let a = s.request("HEAD", url, &[&t, "Range: bytes=0-9"], b"");
    assert_eq!((a.status, a.header("content-length"), a.body.len()), (206, Some("10"), 0));
    let a = s.request("GET", "/images/1/ufs1-42-le.img", &[&t, "Range: bytes=0-0"], b"");
    assert_eq!(
        a.header("content-range"),
        Some(format!("bytes 0-0/{}", std::fs::metadata(&two).unwrap().len()).as_str())
    );
    // Without the token, not even a byte.
    assert_eq!(s.request("GET", url, &["Range: bytes=0-9"], b"").status, 403);
    // What it sent, as it says when it stops; the file never written.
    let log = stop(s);
    let sent = 100 + 65536 + 5 + 10 + 3 + size;
    assert!(log.contains(&format!("ufs2-be-16384-2048.img: {sent} of its {size} bytes sent, in 12 requests")), "{log}");
    assert!(std::fs::read(&img).unwrap() == bytes);
}

#[test]
fn flags_that_need_the_server_kernel_and_a_missing_page_say_so() {
    let web = stand_in_page("flags");
    let img = fixture("ufs1-42-le", "serve-page-flags");
    let serve = |args: &[&str]| {
        let o = Command::new(BIN).args(["serve", "--port", "0", "--no-open"]).args(args).output().unwrap();
        (o.status.code(), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let w = web.to_str().unwrap();
    let i = img.to_str().unwrap();
    for (flag, args) in [
        ("--rw", vec!["--rw"]),
        ("--allow-host", vec!["--allow-host", "/tmp"]),
        ("--overlay", vec!["--overlay"]),
        ("--request-timeout", vec!["--request-timeout", "5"]),
        ("--fstype", vec!["--fstype", "tmpfs"]),
        ("--deterministic", vec!["--deterministic"]),
    ] {
        let (code, err) = serve(&[&["--web", w, "--image", i], &args[..]].concat());
        assert_eq!(code, Some(2), "{flag}: {err}");
        assert!(err.contains(flag) && err.contains("needs --server-kernel"), "{flag}: {err}");
    }
    let (code, err) = serve(&["--web", "/nonexistent-page"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no built page in /nonexistent-page (--web") && err.contains("scripts/build-web.sh"), "{err}");
    assert!(err.contains("--server-kernel") && err.lines().count() == 1, "{err}");
    let o = Command::new(BIN)
        .args(["serve", "--port", "0", "--no-open"])
        .env("RUMPJS_WEB", web.join("lib"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("($RUMPJS_WEB; index.html is missing)"), "{err}");
    let (code, err) = serve(&["--web", w, "--image", "/nonexistent.img"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--image /nonexistent.img: No such file or directory"), "{err}");
}

/// Stops the server with SIGTERM (exit status 0); all it printed, with what it says of the images it sent.
fn stop(mut s: Server) -> String {
    assert_eq!(s.stop(10), Some(0));
    let t = std::time::Instant::now();
    loop {
        let log = s.log.lock().unwrap().clone();
        if log.contains(" bytes sent, in ") || t.elapsed().as_secs() > 5 {
            return log;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The tools the browser test needs: the built page, Chromium and chromedriver; or why not.
fn browser_tools() -> Result<(PathBuf, PathBuf, PathBuf), String> {
    let web = built_page()?.to_path_buf();
    let (Some(chromium), Some(chromedriver)) =
        (find_program(&["chromium", "chromium-browser"]), find_program(&["chromedriver"]))
    else {
        let required = std::env::var("RUMPJS_E2E_REQUIRED").is_ok_and(|v| v == "1");
        assert!(!required, "chromium and chromedriver are not installed, and RUMPJS_E2E_REQUIRED=1");
        return Err("chromium and chromedriver are not installed".into());
    };
    Ok((web, chromium, chromedriver))
}

/// Waits until the page has booted and mounted what it was given (and run `?run=`).
fn ready(d: &Driver) {
    let t = std::time::Instant::now();
    while d.script("return document.body.dataset.ready === 'yes'") != json!(true) {
        assert!(t.elapsed().as_secs() < 60, "the page never got ready; it shows:\n{}", d.text("body"));
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn the_page_runs_its_kernel_in_the_browser_on_the_servers_images() {
    let (web, chromium, chromedriver) = match browser_tools() {
        Ok(t) => t,
        Err(why) => return skip::skip(&format!("serve_page in Chromium: {why}")),
    };
    let img = fixture("ufs2-be-16384-2048", "serve-page-browser");
    let two = fixture("ufs1-42-le", "serve-page-browser-2");
    let before = std::fs::read(&img).unwrap();
    let second = format!("{}:/mnt/second", two.to_str().unwrap());
    let s = Server::start_page(&web, &["--image", img.to_str().unwrap(), "--image", &second]);
    let profile = "serve-page/chromium-profile";
    let d = Driver::headless(&chromedriver, &chromium, profile);

    // Without the token the browser gets the refusal, not the page.
    let base = s.url.split("/?token=").next().unwrap().to_string();
    d.goto(&format!("{base}/"));
    d.wait_text("body", "no valid token");

    // The page with its token and ?run=: the kernel boots in the browser and mounts the server's images.
    d.goto(&format!("{}&run={}", s.url, enc("ls -l /ffs")));
    ready(&d);
    let log = d.text("#log");
    assert!(log.contains("hosted by a JavaScript engine, as WebAssembly") && log.contains("UFS2 big-endian"), "{log}");
    let mounts = d.text("#mounts");
    assert!(mounts.contains("/ffs") && mounts.contains("/mnt/second") && mounts.contains("read-only"), "{mounts}");
    let out = d.wait_text("#output", "$ ls -l /ffs");
    assert!(out.contains("hello.txt") && out.contains("sizes"), "{out}");

    // A file's SHA-256 in the page equals the CLI's.
    let cli = Command::new(BIN).args(["sha256", img.to_str().unwrap(), "/sizes/s196609"]).output().unwrap();
    let cli = String::from_utf8_lossy(&cli.stdout).trim().replace("(/sizes", "(/ffs/sizes");
    assert!(cli.starts_with("SHA256 (/ffs/sizes/s196609) = "), "{cli}");
    d.run_line("cmd", "sha256 /ffs/sizes/s196609");
    d.wait_text("#output", &cli);
    d.run_line("cmd", "cat /mnt/second/hello.txt");
    d.wait_text("#output", "$ cat /mnt/second/hello.txt\nhello, world");

    // ?image= naming one of the server's images: read by Range requests too.
    d.goto(&format!("{}&image={}&run={}", s.url, enc("images/1/ufs1-42-le.img"), enc("cat /ffs/hello.txt")));
    ready(&d);
    d.wait_text("#output", "$ cat /ffs/hello.txt\nhello, world");
    assert!(d.text("#log").contains("UFS1 little-endian"));

    // "writable": the server's image mounted again on an overlay in the page; written there, never on the server.
    d.goto(&s.url);
    ready(&d);
    d.click(&d.css("#writable"));
    d.wait_text("#mounts", "/ffs ffs read-write");
    d.run_line(
        "js",
        "fs.writeFileSync('/ffs/from-the-page.txt', 'kept in the page\\n'); fs.readdirSync('/ffs').length",
    );
    d.run_line("cmd", "cat /ffs/from-the-page.txt");
    d.wait_text("#output", "$ cat /ffs/from-the-page.txt\nkept in the page");
    d.click(&d.css("#writable"));
    d.wait_text("#mounts", "/ffs ffs read-only");
    d.run_line("js", "fs.existsSync('/ffs/from-the-page.txt')");
    d.wait_text("#output", "> fs.existsSync('/ffs/from-the-page.txt')\nfalse");

    // The page's reads are Range requests answered 206 (its cookie carries the token).
    let status = d.call(
        "POST",
        &d.s("/execute/async"),
        Some(json!({ "script": "const done = arguments[0]; fetch('images/0/ufs2-be-16384-2048.img', \
            { headers: { Range: 'bytes=0-3' } }).then(r => done([r.status, r.headers.get('content-range')]), e => done(String(e)));",
            "args": [] })),
    );
    assert_eq!(status, json!([206, format!("bytes 0-3/{}", before.len())]));
    drop(d);
    let served = stop(s);
    assert!(served.contains("ufs2-be-16384-2048.img: ") && served.contains(" bytes sent, in "), "{served}");
    assert!(std::fs::read(&img).unwrap() == before, "the server's image was written");

    // A 2 GiB image: mounted and read, never sent whole.
    let big = Path::new(env!("CARGO_TARGET_TMPDIR")).join("serve-page/sparse-2g.img");
    sparse_image(&big);
    let s = Server::start_page(&web, &["--image", big.to_str().unwrap()]);
    let d = Driver::headless(&chromedriver, &chromium, profile);
    d.goto(&format!("{}&run={}", s.url, enc("cat /ffs/hello.txt")));
    ready(&d);
    d.wait_text("#output", "$ cat /ffs/hello.txt\ntwo gigabytes away");
    d.run_line("cmd", "df -h /ffs");
    let df = d.wait_text("#output", "$ df -h /ffs\n");
    assert!(df.contains("2.0G") || df.contains("1.9G"), "{df}");
    drop(d);
    let log = stop(s);
    let line = log.lines().find(|l| l.contains("sparse-2g.img: ")).unwrap_or_else(|| panic!("{log}"));
    let sent: u64 = line.split(": ").nth(2).unwrap().split(' ').next().unwrap().parse().unwrap();
    eprintln!("serve_page: {line}");
    assert!(sent > 0 && sent < 64 << 20, "{line}");
    let _ = std::fs::remove_file(&big);
}
