//! `rumpjs serve` in a real browser: headless Chromium driven over WebDriver (chromedriver, spoken to in
//! plain HTTP). The page is loaded with its token, `ls /ffs` is run from the command form, a file is
//! opened in the file browser, a line of JavaScript is evaluated, a bad command gives its error, and the
//! page without its token is refused. A screenshot is saved as target/serve-e2e.png.
//!
//! Needs Debian's `chromium` and `chromium-driver`; without them the test says so and passes, unless
//! RUMPJS_E2E_REQUIRED=1 (as CI sets it), where it fails.

mod serve_common;

use serde_json::{json, Value};
use serve_common::{fixture, Answer, Server};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for n in names {
        for dir in std::env::split_paths(&path).chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/lib/chromium")]) {
            let p = dir.join(n);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// chromedriver, and one browser session in it; both ended when dropped.
struct Driver {
    child: Child,
    port: u16,
    session: Option<String>,
}

impl Driver {
    fn start(chromedriver: &Path) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let d = Driver { child, port, session: None };
        let t = Instant::now();
        loop {
            if let Ok(v) = d.try_call("GET", "/status", None) {
                if v["value"]["ready"] == true {
                    break;
                }
            }
            assert!(t.elapsed() < Duration::from_secs(30), "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        d
    }

    fn try_call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).map_err(|e| e.to_string())?;
        s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
        let b = body.map(|b| serde_json::to_vec(b).unwrap()).unwrap_or_default();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n",
            self.port,
            b.len()
        );
        s.write_all(head.as_bytes()).map_err(|e| e.to_string())?;
        s.write_all(&b).map_err(|e| e.to_string())?;
        // chromedriver keeps connections open: read the head, then Content-Length bytes.
        let mut buf = Vec::new();
        let mut chunk = [0u8; 64 * 1024];
        let a = loop {
            let n = s.read(&mut chunk).map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("chromedriver closed the connection".into());
            }
            buf.extend_from_slice(&chunk[..n]);
            let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .ok_or("no Content-Length from chromedriver")?;
            if buf.len() >= end + 4 + len {
                buf.truncate(end + 4 + len);
                break Answer::parse(&buf);
            }
        };
        let v: Value = serde_json::from_slice(&a.body).map_err(|e| format!("{e}: {}", a.text()))?;
        if a.status != 200 {
            return Err(format!("{method} {path}: {} {}", a.status, v["value"]));
        }
        Ok(v)
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.try_call(method, path, body.as_ref()).unwrap_or_else(|e| panic!("WebDriver: {e}"))["value"].take()
    }

    /// A session of headless Chromium, started as this machine needs it (no sandbox, nothing that calls
    /// out to the network, a new empty profile).
    fn new_session(&mut self, chromium: &Path, profile: &Path) {
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--no-default-browser-check",
            "--window-size=1280,1800",
        ];
        let mut args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
        }}});
        let v = self.call("POST", "/session", Some(caps));
        self.session = Some(v["sessionId"].as_str().expect("a session id").to_string());
    }

    fn s(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session.as_ref().unwrap())
    }

    fn goto(&self, url: &str) {
        self.call("POST", &self.s("/url"), Some(json!({ "url": url })));
    }

    fn find(&self, using: &str, value: &str) -> Option<String> {
        let v = self.try_call("POST", &self.s("/element"), Some(&json!({ "using": using, "value": value }))).ok()?;
        v["value"][ELEMENT].as_str().map(str::to_string)
    }

    fn css(&self, sel: &str) -> String {
        self.find("css selector", sel).unwrap_or_else(|| panic!("no element {sel}"))
    }

    fn text(&self, sel: &str) -> String {
        let Some(e) = self.find("css selector", sel) else { return String::new() };
        self.try_call("GET", &self.s(&format!("/element/{e}/text")), None)
            .map(|v| v["value"].as_str().unwrap_or_default().to_string())
            .unwrap_or_default()
    }

    fn click(&self, element: &str) {
        self.call("POST", &self.s(&format!("/element/{element}/click")), Some(json!({})));
    }

    fn type_into(&self, element: &str, text: &str) {
        self.call("POST", &self.s(&format!("/element/{element}/value")), Some(json!({ "text": text })));
    }

    fn script(&self, js: &str) -> Value {
        self.call("POST", &self.s("/execute/sync"), Some(json!({ "script": js, "args": [] })))
    }

    /// Waits until `sel`'s text contains `want`; its text.
    fn wait_text(&self, sel: &str, want: &str) -> String {
        let t = Instant::now();
        loop {
            let got = self.text(sel);
            if got.contains(want) {
                return got;
            }
            if t.elapsed() > Duration::from_secs(30) {
                self.screenshot("serve-e2e-failure.png");
                panic!("{sel} never showed {want:?}; it shows:\n{got}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Clicks the element that `xpath` finds once it is there (lists are redrawn as they load).
    fn click_when_there(&self, xpath: &str) {
        let t = Instant::now();
        loop {
            if let Some(e) = self.find("xpath", xpath) {
                if self.try_call("POST", &self.s(&format!("/element/{e}/click")), Some(&json!({}))).is_ok() {
                    return;
                }
            }
            assert!(t.elapsed() < Duration::from_secs(30), "nothing to click at {xpath}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Runs a line from the console form: `mode` is "cmd" or "js".
    fn run_line(&self, mode: &str, line: &str) {
        self.click(&self.css(&format!("#mode option[value='{mode}']")));
        let input = self.css("#command");
        self.type_into(&input, line);
        self.click(&self.css("#run"));
    }

    /// Saves a screenshot under the target directory; its path.
    fn screenshot(&self, name: &str) -> PathBuf {
        use base64::Engine;
        let v = self.call("GET", &self.s("/screenshot"), None);
        let png = base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap()).unwrap();
        let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().to_path_buf();
        let p = target.join(name);
        std::fs::write(&p, png).unwrap();
        p
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Ending the session quits the browser; then chromedriver itself.
        if self.session.is_some() {
            let _ = self.try_call("DELETE", &self.s(""), None);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

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
    let profile = Path::new(env!("CARGO_TARGET_TMPDIR")).join("serve/e2e/chromium-profile");
    let _ = std::fs::remove_dir_all(&profile);
    std::fs::create_dir_all(&profile).unwrap();
    let mut d = Driver::start(&chromedriver);
    d.new_session(&chromium, &profile);

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
