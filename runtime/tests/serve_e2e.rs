//! `rumpjs serve --server-kernel` in a real browser (the page of web/, the kernel in the server; the
//! default page, whose kernel runs in the browser, is serve_page.rs's): headless Chromium driven over WebDriver (chromedriver, spoken to in
//! plain HTTP). The page is loaded with its token, `ls /ffs` is run from the command form, a file is
//! opened in the file browser, a line of JavaScript is evaluated, a bad command gives its error, and the
//! page without its token is refused. A screenshot is saved as target/serve-e2e.png.
//!
//! Needs Debian's `chromium` and `chromium-driver`; without them the test says so and passes, unless
//! RUMPJS_E2E_REQUIRED=1 (as CI sets it), where it fails.

mod serve_common;

use serde_json::json;
use serve_common::driver::Driver;
use serve_common::web::find_program;
use serve_common::{fixture, Server};

#[test]
fn the_page_works_in_headless_chromium() {
    let required = std::env::var("RUMPJS_E2E_REQUIRED").is_ok_and(|v| v == "1");
    let (Some(chromium), Some(chromedriver)) =
        (find_program(&["chromium", "chromium-browser"]), find_program(&["chromedriver"]))
    else {
        let msg = "serve_e2e: SKIPPED: chromium and chromedriver are not installed \
                   (apt-get install chromium chromium-driver; .ci/run installs them)";
        assert!(!required, "{msg}, and RUMPJS_E2E_REQUIRED=1");
        eprintln!("{msg}");
        return;
    };
    let img = fixture("ufs1-42-le", "e2e");
    let server = Server::start(&["--image", img.to_str().unwrap()]);
    let d = Driver::headless(&chromedriver, &chromium, "serve/e2e/chromium-profile");

    // Without the token the browser is refused, with a message saying what to do.
    let base = server.url.split("/?token=").next().unwrap().to_string();
    d.goto(&format!("{base}/"));
    let body = d.wait_text("body", "no valid token");
    assert!(body.contains("Open the URL that rumpjs serve printed"), "{body}");
    d.goto(&format!("{base}/?token=wrong"));
    d.wait_text("body", "no valid token");
    // From the page itself, an API call without the header is refused too (403).
    let status = d.call(
        "POST",
        &d.s("/execute/async"),
        Some(json!({ "script": "const done = arguments[0]; fetch('/api/status').then(r => done(r.status), e => done(String(e)));", "args": [] })),
    );
    assert_eq!(status, json!(403));

    // The page with its token: the boot log, the mounts and the root directory load.
    d.goto(&server.url);
    d.wait_text("#dmesg", "NetBSD");
    let mounts = d.wait_text("#mounts", "/ffs");
    assert!(mounts.contains("ffs") && mounts.contains("read-only"), "{mounts}");
    d.wait_text("#listing", "ffs/");
    assert!(d.text("#session").contains("shared by every page"));

    // A command from the form: ls /ffs.
    d.run_line("cmd", "ls /ffs");
    let out = d.wait_text("#output", "hello.txt");
    assert!(out.contains("$ ls /ffs") && out.contains("sizes"), "{out}");

    // A bad command: its error, in the error colour.
    d.run_line("cmd", "frobnicate /ffs");
    d.wait_text("#output", "frobnicate: unknown command (try help)");
    let err_class = d.script("return [...document.querySelectorAll('#output .err')].map(e => e.textContent).join('')");
    assert!(err_class.as_str().unwrap().contains("frobnicate: unknown command"), "{err_class}");

    // A line of JavaScript and its value.
    d.run_line("js", "fs.readdirSync('/ffs').length * 6 + 0.5 * 12");
    d.wait_text("#output", "0.5 * 12\n60");
    d.run_line("js", "fs.readFileSync('/ffs/hello.txt', 'utf8').toUpperCase()");
    d.wait_text("#output", "'HELLO, WORLD\\n'");

    // The file browser: into /ffs, open hello.txt, see its text.
    d.click_when_there("//table[@id='listing']//a[text()='ffs/']");
    d.wait_text("#crumbs", "ffs");
    // Modes as ls -l shows them, by the page's own format.js (the listing carries st_mode).
    d.wait_text("#listing", "-rw-r--r--");
    d.click_when_there("//table[@id='listing']//a[text()='hello.txt']");
    let shown = d.wait_text("#viewer-body", "hello, world");
    assert_eq!(shown.trim(), "hello, world");
    assert!(d.text("#viewer-name").contains("/ffs/hello.txt"));
    d.click(&d.css("#view-hex"));
    let hex = d.wait_text("#viewer-body", "68 65 6c 6c 6f");
    assert!(
        hex.starts_with("00000000  68 65 6c 6c 6f 2c 20 77  6f 72 6c 64 0a") && hex.contains("|hello, world.|"),
        "{hex}"
    );
    d.click(&d.css("#view-text"));
    d.wait_text("#viewer-body", "hello, world");
    let href = d.script("return document.querySelector('#viewer-download').href");
    assert!(href.as_str().unwrap().contains("/api/download?path=%2Fffs%2Fhello.txt&token="), "{href}");
    // The info report of the image.
    d.click_when_there("//table[@id='mounts']//tr[td/a[text()='/ffs']]//button[text()='info']");
    let info = d.wait_text("#info", "UFS1");
    assert!(info.contains("/dev/ffs0 on /ffs (ffs)"), "{info}");

    let shot = d.screenshot("serve-e2e.png");
    eprintln!("serve_e2e: screenshot saved as {}", shot.display());
    assert!(std::fs::metadata(&shot).unwrap().len() > 10_000);
}
