//! What the `rumpjs serve` tests share: a server started on a free port with a fixture image, its URL and
//! token read from its stdout, and a small HTTP/1.1 client on std::net that sends exactly the bytes a test
//! asks for (bad requests included).

#![allow(dead_code)]

pub mod driver;
#[path = "../../../tests/support/web.rs"]
pub mod web;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_rumpjs");

/// A copy of a gzipped fixture image from tests/fixtures/ffs, unpacked for one test.
pub fn fixture(name: &str, test: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/ffs").join(format!("{name}.img.gz"));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("serve").join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut img = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&src).unwrap()).read_to_end(&mut img).unwrap();
    let out = dir.join(format!("{name}.img"));
    std::fs::write(&out, img).unwrap();
    out
}

/// What talks to a server: its address and token.
#[derive(Clone)]
pub struct Client {
    /// `127.0.0.1:PORT`
    pub addr: String,
    pub port: u16,
    pub token: String,
}

/// A running `rumpjs serve`, ended (by its own process id) when dropped.
pub struct Server {
    pub child: Child,
    pub client: Client,
    /// The URL it printed.
    pub url: String,
    /// What it printed before the URL.
    pub banner: String,
    /// All it has printed on stdout so far.
    pub log: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `rumpjs serve --server-kernel --port 0 --no-open --timeout 600 ARGS…` (the kernel in the
    /// server) and waits for its URL.
    pub fn start(args: &[&str]) -> Server {
        Server::spawn(&[&["--server-kernel"], args].concat())
    }

    /// Starts `rumpjs serve --web WEB --port 0 --no-open --timeout 600 ARGS…` (the page whose kernel runs
    /// in the browser) and waits for its URL.
    pub fn start_page(web: &Path, args: &[&str]) -> Server {
        Server::spawn(&[&["--web", web.to_str().unwrap()], args].concat())
    }

    fn spawn(args: &[&str]) -> Server {
        let mut child = Command::new(BIN)
            .args(["serve", "--port", "0", "--no-open", "--timeout", "600"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start rumpjs serve");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let log = Arc::new(Mutex::new(String::new()));
        let all = log.clone();
        std::thread::spawn(move || {
            let mut banner = String::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                banner.push_str(&line);
                banner.push('\n');
                all.lock().unwrap().push_str(&format!("{line}\n"));
                if let Some(i) = line.find("http://") {
                    let _ = tx.send(Ok((line[i..].trim().to_string(), banner.clone())));
                }
            }
            let _ = tx.send(Err(banner));
        });
        let (url, banner) = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Ok(x)) => x,
            other => {
                let _ = child.kill();
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                panic!("rumpjs serve printed no URL: {other:?}\nstderr: {err}");
            }
        };
        let rest = url.strip_prefix("http://").unwrap();
        let (addr, q) = rest.split_once("/?token=").expect("URL with a token");
        let port = addr.rsplit(':').next().unwrap().parse().unwrap();
        Server { child, client: Client { addr: addr.to_string(), port, token: q.to_string() }, url, banner, log }
    }

    /// A client of a server started elsewhere (another thread).
    pub fn client(addr: &str, token: &str) -> Client {
        let port = addr.rsplit(':').next().unwrap().parse().unwrap();
        Client { addr: addr.to_string(), port, token: token.to_string() }
    }

    /// Sends SIGTERM and waits (at most `secs`) for the exit status.
    pub fn stop(&mut self, secs: u64) -> Option<i32> {
        let pid = self.child.id() as i32;
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(secs) {
            if let Ok(Some(st)) = self.child.try_wait() {
                return st.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl std::ops::Deref for Server {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl Client {
    /// Sends a raw request (the bytes as given) and reads the whole answer.
    pub fn raw(&self, request: &[u8]) -> Answer {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(180))).unwrap();
        s.write_all(request).unwrap();
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        Answer::parse(&buf)
    }

    /// A request with the right Host; `headers` are extra lines ("Name: value").
    pub fn request(&self, method: &str, target: &str, headers: &[&str], body: &[u8]) -> Answer {
        let mut r = format!("{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n", self.addr);
        for h in headers {
            r.push_str(h);
            r.push_str("\r\n");
        }
        if !body.is_empty() || method == "POST" {
            r.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        r.push_str("\r\n");
        let mut bytes = r.into_bytes();
        bytes.extend_from_slice(body);
        self.raw(&bytes)
    }

    pub fn token_header(&self) -> String {
        format!("X-Rumpjs-Token: {}", self.token)
    }

    /// GET an API path with the token header.
    pub fn get(&self, target: &str) -> Answer {
        self.request("GET", target, &[&self.token_header()], b"")
    }

    /// POST JSON to an API path with the token header.
    pub fn post(&self, target: &str, body: &serde_json::Value) -> Answer {
        let b = serde_json::to_vec(body).unwrap();
        self.request("POST", target, &[&self.token_header(), "Content-Type: application/json"], &b)
    }

    pub fn eval(&self, code: &str) -> serde_json::Value {
        let a = self.post("/api/eval", &serde_json::json!({ "code": code }));
        assert_eq!(a.status, 200, "eval {code}: {}", a.text());
        a.json()
    }

    pub fn command(&self, line: &str) -> serde_json::Value {
        let a = self.post("/api/command", &serde_json::json!({ "line": line }));
        assert_eq!(a.status, 200, "command {line}: {}", a.text());
        a.json()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn parse(buf: &[u8]) -> Answer {
        let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or_else(|| {
            panic!("no HTTP head in {:?}", String::from_utf8_lossy(buf));
        });
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap();
        let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let body = buf[end + 4..].to_vec();
        Answer { status, headers, body }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// `%XX`-encodes a query value.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
