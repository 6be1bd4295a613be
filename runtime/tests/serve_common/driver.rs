//! A WebDriver client for the `rumpjs serve` browser tests: chromedriver and one headless Chromium
//! session, spoken to in plain HTTP.

use super::Answer;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// chromedriver, and one browser session in it; both ended when dropped.
pub struct Driver {
    child: Child,
    port: u16,
    session: Option<String>,
}

impl Driver {
    pub fn start(chromedriver: &Path) -> Driver {
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

    /// chromedriver and a headless Chromium session in it, with a new empty profile at
    /// target/tmp/PROFILE.
    pub fn headless(chromedriver: &Path, chromium: &Path, profile: &str) -> Driver {
        let profile = Path::new(env!("CARGO_TARGET_TMPDIR")).join(profile);
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile).unwrap();
        let mut d = Driver::start(chromedriver);
        d.new_session(chromium, &profile);
        d
    }

    pub fn try_call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
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

    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.try_call(method, path, body.as_ref()).unwrap_or_else(|e| panic!("WebDriver: {e}"))["value"].take()
    }

    /// A session of headless Chromium, started as this machine needs it (no sandbox, nothing that calls
    /// out to the network, a new empty profile).
    pub fn new_session(&mut self, chromium: &Path, profile: &Path) {
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

    pub fn s(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session.as_ref().unwrap())
    }

    pub fn goto(&self, url: &str) {
        self.call("POST", &self.s("/url"), Some(json!({ "url": url })));
    }

    pub fn find(&self, using: &str, value: &str) -> Option<String> {
        let v = self.try_call("POST", &self.s("/element"), Some(&json!({ "using": using, "value": value }))).ok()?;
        v["value"][ELEMENT].as_str().map(str::to_string)
    }

    pub fn css(&self, sel: &str) -> String {
        self.find("css selector", sel).unwrap_or_else(|| panic!("no element {sel}"))
    }

    pub fn text(&self, sel: &str) -> String {
        let Some(e) = self.find("css selector", sel) else { return String::new() };
        self.try_call("GET", &self.s(&format!("/element/{e}/text")), None)
            .map(|v| v["value"].as_str().unwrap_or_default().to_string())
            .unwrap_or_default()
    }

    pub fn click(&self, element: &str) {
        self.call("POST", &self.s(&format!("/element/{element}/click")), Some(json!({})));
    }

    pub fn type_into(&self, element: &str, text: &str) {
        self.call("POST", &self.s(&format!("/element/{element}/value")), Some(json!({ "text": text })));
    }

    pub fn script(&self, js: &str) -> Value {
        self.call("POST", &self.s("/execute/sync"), Some(json!({ "script": js, "args": [] })))
    }

    /// Waits until `sel`'s text contains `want`; its text.
    pub fn wait_text(&self, sel: &str, want: &str) -> String {
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
    pub fn click_when_there(&self, xpath: &str) {
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
    pub fn run_line(&self, mode: &str, line: &str) {
        self.click(&self.css(&format!("#mode option[value='{mode}']")));
        let input = self.css("#command");
        self.type_into(&input, line);
        self.click(&self.css("#run"));
    }

    /// Saves a screenshot under the target directory; its path.
    pub fn screenshot(&self, name: &str) -> PathBuf {
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
