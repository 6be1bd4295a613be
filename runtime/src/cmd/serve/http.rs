//! A small HTTP/1.1 server on `std::net`, written for `rumpjs serve` so that every size and time is
//! bounded: the request head, the body, the number of connections, how long a connection may sit idle or
//! take to send its request, and how long a slow reader may hold a response. Keep-alive is supported (a
//! browser opens a few connections and reuses them); request bodies must come with Content-Length
//! (chunked request bodies are refused); responses have a Content-Length, streamed ones included.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the server accepts.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Request line and headers together, in bytes.
    pub head: usize,
    /// Most header lines.
    pub headers: usize,
    /// Request body, in bytes.
    pub body: usize,
    /// Connections served at once; more are answered 503 and closed.
    pub connections: usize,
    /// Requests on one connection before it is closed.
    pub requests_per_connection: usize,
    /// How long a kept-alive connection may wait for its next request.
    pub idle: Duration,
    /// How long a request (head and body) may take to arrive once started.
    pub read: Duration,
    /// How long one write to a slow reader may block.
    pub write: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            head: 16 * 1024,
            headers: 100,
            body: 1 << 20,
            connections: 64,
            requests_per_connection: 1000,
            idle: Duration::from_secs(30),
            read: Duration::from_secs(10),
            write: Duration::from_secs(30),
        }
    }
}

/// A parsed request.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The path, percent-decoded (invalid UTF-8 replaced).
    pub path: String,
    /// Query parameters, percent-decoded (`+` is a space), as bytes: kernel paths are bytes.
    pub query: Vec<(String, Vec<u8>)>,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn param(&self, name: &str) -> Option<&[u8]> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_slice())
    }
}

/// Fills a buffer with the next bytes of a streamed body; Ok(0) at its end.
pub type Reader = Box<dyn FnMut(&mut [u8]) -> io::Result<usize> + Send>;

/// A response body: bytes, or `len` bytes produced by a reader (a file streamed in chunks).
pub enum Body {
    Bytes(Vec<u8>),
    Stream { len: u64, read: Reader },
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Response {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response { status, headers: vec![("Content-Type".into(), content_type.into())], body: Body::Bytes(body.into()) }
    }

    pub fn text(status: u16, text: impl Into<String>) -> Response {
        let mut t = text.into();
        if !t.ends_with('\n') {
            t.push('\n');
        }
        Response::new(status, "text/plain; charset=utf-8", t)
    }

    pub fn header(mut self, k: &str, v: impl Into<String>) -> Response {
        self.headers.push((k.into(), v.into()));
        self
    }
}

pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        206 => "Partial Content",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        422 => "Unprocessable Content",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// `%XX` decoding; `plus` turns `+` into a space (query strings).
pub fn percent_decode(s: &str, plus: bool) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => match (b.get(i + 1).and_then(|&c| hex(c)), b.get(i + 2).and_then(|&c| hex(c))) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b'+' if plus => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Why a request could not be read: answered with `status` and the connection closed, or (None) the
/// client went away or sent nothing.
struct ReadError(Option<(u16, String)>);

fn bad(status: u16, msg: impl Into<String>) -> ReadError {
    ReadError(Some((status, msg.into())))
}

/// When the request being read must be complete: set when its first byte arrives (`limits.read` later).
/// Each read waits at most until then, so a client trickling bytes cannot hold a connection for longer.
struct Deadline {
    at: Option<Instant>,
    read: Duration,
}

impl Deadline {
    /// Sets the socket's read timeout to what is left; 408 when nothing is.
    fn arm(&self, r: &BufReader<TcpStream>) -> Result<(), ReadError> {
        if let Some(at) = self.at {
            let left = at.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(bad(408, "the request took too long to arrive"));
            }
            let _ = r.get_ref().set_read_timeout(Some(left));
        }
        Ok(())
    }

    fn started(&mut self) {
        if self.at.is_none() {
            self.at = Some(Instant::now() + self.read);
        }
    }
}

/// Reads one line (up to `\n`) into `line`, counting against `budget`.
fn read_line(
    r: &mut BufReader<TcpStream>,
    line: &mut Vec<u8>,
    budget: &mut usize,
    deadline: &mut Deadline,
) -> Result<(), ReadError> {
    line.clear();
    loop {
        deadline.arm(r)?;
        let buf = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                return Err(if deadline.at.is_none() {
                    ReadError(None)
                } else {
                    bad(408, "the request took too long to arrive")
                });
            }
            Err(_) => return Err(ReadError(None)),
        };
        if buf.is_empty() {
            return Err(ReadError(None));
        }
        deadline.started();
        let (take, done) = match buf.iter().position(|&c| c == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        if take > *budget {
            return Err(bad(431, "the request head (request line and headers) is over the limit"));
        }
        *budget -= take;
        line.extend_from_slice(&buf[..take]);
        r.consume(take);
        if done {
            while matches!(line.last(), Some(b'\n' | b'\r')) {
                line.pop();
            }
            return Ok(());
        }
    }
}

/// The body's length: Content-Length, digits only (RFC 9110 8.6: `+5` and `5, 6` are not lengths). Two
/// fields that disagree make the framing ambiguous — a proxy in front may read the other one — so the
/// request is refused, as RFC 9112 6.3 asks; repeated equal values are one length.
fn content_length(req: &Request) -> Result<u64, ReadError> {
    let mut len = None;
    for (_, v) in req.headers.iter().filter(|(k, _)| k == "content-length") {
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(400, "bad Content-Length"));
        }
        let n = v.parse::<u64>().map_err(|_| bad(400, "bad Content-Length"))?;
        if len.is_some_and(|l| l != n) {
            return Err(bad(400, "two different Content-Length fields"));
        }
        len = Some(n);
    }
    Ok(len.unwrap_or(0))
}

/// Reads one request. A connection that closes or stays silent before a request starts is not an error
/// (an idle keep-alive connection ends that way); once started, the whole request must arrive within
/// `limits.read`.
fn read_request(r: &mut BufReader<TcpStream>, limits: &Limits) -> Result<Request, ReadError> {
    let mut budget = limits.head;
    let mut deadline = Deadline { at: None, read: limits.read };
    let mut line = Vec::new();
    // Skip empty lines before a request (RFC 9112 2.2).
    loop {
        read_line(r, &mut line, &mut budget, &mut deadline)?;
        if !line.is_empty() {
            break;
        }
    }
    let request_line = String::from_utf8(line.clone()).map_err(|_| bad(400, "the request line is not text"))?;
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad(400, "malformed request line"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(bad(505, "only HTTP/1.x is spoken here"));
    }
    let mut headers = Vec::new();
    loop {
        read_line(r, &mut line, &mut budget, &mut deadline)?;
        if line.is_empty() {
            break;
        }
        if headers.len() >= limits.headers {
            return Err(bad(431, "too many header fields"));
        }
        let l = String::from_utf8_lossy(&line);
        let Some((k, v)) = l.split_once(':') else {
            return Err(bad(400, "malformed header field"));
        };
        if k.is_empty() || k.contains(|c: char| c.is_whitespace()) {
            return Err(bad(400, "malformed header field name"));
        }
        headers.push((k.to_ascii_lowercase(), v.trim().to_string()));
    }
    if version == "HTTP/1.0" {
        headers.push(("x-http-1.0".into(), "1".into()));
    }
    let (path_part, query_part) = target.split_once('?').unwrap_or((target, ""));
    if !path_part.starts_with('/') {
        return Err(bad(400, "the request target must be a path"));
    }
    let path = String::from_utf8_lossy(&percent_decode(path_part, false)).into_owned();
    let query = query_part
        .split('&')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (String::from_utf8_lossy(&percent_decode(k, true)).into_owned(), percent_decode(v, true))
        })
        .collect();
    let mut req = Request { method: method.to_string(), path, query, headers, body: Vec::new() };
    if req.header("transfer-encoding").is_some() {
        return Err(bad(501, "chunked request bodies are not accepted: send a Content-Length"));
    }
    let len = content_length(&req)?;
    if len > limits.body as u64 {
        return Err(bad(413, format!("the request body is over the limit of {} bytes", limits.body)));
    }
    if len > 0 {
        if req.header("expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue")) {
            let _ = r.get_mut().write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
        }
        let mut body = vec![0; len as usize];
        let mut got = 0;
        while got < body.len() {
            deadline.arm(r)?;
            match r.read(&mut body[got..]) {
                Ok(0) => return Err(ReadError(None)),
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                    return Err(bad(408, "the request body took too long to arrive"))
                }
                Err(_) => return Err(ReadError(None)),
            }
        }
        req.body = body;
    }
    Ok(req)
}

/// Writes `resp`; `head_only` for HEAD requests. Errors mean the connection is unusable.
fn write_response(w: &mut TcpStream, resp: Response, keep_alive: bool, head_only: bool) -> io::Result<()> {
    let len = match &resp.body {
        Body::Bytes(b) => b.len() as u64,
        Body::Stream { len, .. } => *len,
    };
    let mut head = format!("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status));
    for (k, v) in &resp.headers {
        // Header values come from this program, but never let one split the head.
        let v: String = v.chars().filter(|c| *c != '\r' && *c != '\n').collect();
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {len}\r\n"));
    head.push_str(if keep_alive { "Connection: keep-alive\r\n\r\n" } else { "Connection: close\r\n\r\n" });
    let mut out = io::BufWriter::with_capacity(64 * 1024, w);
    out.write_all(head.as_bytes())?;
    if !head_only {
        match resp.body {
            Body::Bytes(b) => out.write_all(&b)?,
            Body::Stream { len, mut read } => {
                let mut buf = vec![0u8; 64 * 1024];
                let mut left = len;
                while left > 0 {
                    let want = buf.len().min(left as usize);
                    let n = read(&mut buf[..want])?;
                    if n == 0 {
                        // The file shrank: the promised length cannot be kept, so the connection ends.
                        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "body ended early"));
                    }
                    out.write_all(&buf[..n])?;
                    left -= n as u64;
                }
            }
        }
    }
    out.flush()
}

/// What answers requests.
pub type Handler = dyn Fn(&Request) -> Response + Send + Sync;

fn connection(stream: TcpStream, limits: &Limits, handler: &Handler) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(limits.write));
    let Ok(mut w) = stream.try_clone() else { return };
    let mut r = BufReader::with_capacity(8 * 1024, stream);
    for n in 0..limits.requests_per_connection {
        let _ = r.get_ref().set_read_timeout(Some(if n == 0 { limits.read } else { limits.idle }));
        let req = match read_request(&mut r, limits) {
            Ok(req) => req,
            Err(ReadError(Some((status, msg)))) => {
                let _ = write_response(&mut w, Response::text(status, msg), false, false);
                return;
            }
            Err(ReadError(None)) => return,
        };
        let wants_close = req.header("connection").is_some_and(|c| c.eq_ignore_ascii_case("close"))
            || req.header("x-http-1.0").is_some();
        let keep_alive = !wants_close && n + 1 < limits.requests_per_connection;
        let head_only = req.method == "HEAD";
        let resp = handler(&req);
        if write_response(&mut w, resp, keep_alive, head_only).is_err() || !keep_alive {
            return;
        }
    }
}

/// Accepts connections on `listener` for ever, each on its own thread, at most `limits.connections` at
/// once.
pub fn serve(listener: TcpListener, limits: Limits, handler: Arc<Handler>) {
    let active = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else {
            // EMFILE and friends: back off instead of spinning.
            std::thread::sleep(Duration::from_millis(50));
            continue;
        };
        if active.fetch_add(1, Ordering::SeqCst) >= limits.connections {
            active.fetch_sub(1, Ordering::SeqCst);
            let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
            let _ = write_response(
                &mut stream,
                Response::text(503, format!("too many connections (at most {} at once)", limits.connections)),
                false,
                false,
            );
            continue;
        }
        let (limits, handler, active2) = (limits.clone(), handler.clone(), active.clone());
        let spawned = std::thread::Builder::new().name("rumpjs-http".into()).spawn(move || {
            connection(stream, &limits, &*handler);
            active2.fetch_sub(1, Ordering::SeqCst);
        });
        if spawned.is_err() {
            active.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server with `limits` answering "ok" (and the body it got) on a free port.
    fn start(limits: Limits) -> std::net::SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let h: Arc<Handler> = Arc::new(|req: &Request| {
            Response::text(200, format!("ok {} {}", req.path, String::from_utf8_lossy(&req.body)))
        });
        std::thread::spawn(move || serve(l, limits, h));
        addr
    }

    fn quick() -> Limits {
        Limits {
            read: Duration::from_millis(400),
            idle: Duration::from_millis(400),
            connections: 2,
            ..Limits::default()
        }
    }

    /// Sends `req` on a new connection and reads the answer until the server closes it.
    fn ask(addr: std::net::SocketAddr, req: &[u8]) -> String {
        let mut c = TcpStream::connect(addr).unwrap();
        c.write_all(req).unwrap();
        answer(&mut c)
    }

    fn answer(c: &mut TcpStream) -> String {
        let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
        let mut out = Vec::new();
        let _ = c.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn a_trickling_request_is_cut_off_at_the_read_limit() {
        let addr = start(quick());
        let mut c = TcpStream::connect(addr).unwrap();
        let t = Instant::now();
        c.write_all(b"GET / HTTP/1.1\r\n").unwrap();
        // One header line every 100 ms: each read is quick, the request as a whole is not.
        for i in 0..8 {
            std::thread::sleep(Duration::from_millis(100));
            if c.write_all(format!("X-{i}: y\r\n").as_bytes()).is_err() {
                break;
            }
        }
        let a = answer(&mut c);
        assert!(a.starts_with("HTTP/1.1 408"), "{a}");
        assert!(t.elapsed() < Duration::from_millis(1500));
        // A body that trickles too.
        assert!(ask(addr, b"POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc").starts_with("HTTP/1.1 408"));
    }

    #[test]
    fn connections_are_capped_and_idle_ones_closed() {
        let addr = start(quick());
        let idle1 = TcpStream::connect(addr).unwrap();
        let idle2 = TcpStream::connect(addr).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        let mut third = TcpStream::connect(addr).unwrap();
        third.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
        let a = answer(&mut third);
        assert!(a.starts_with("HTTP/1.1 503") && a.contains("too many connections"), "{a}");
        // The idle ones are closed after the idle time, and their places free again.
        std::thread::sleep(Duration::from_millis(700));
        drop((idle1, idle2));
        std::thread::sleep(Duration::from_millis(50));
        assert!(ask(addr, b"GET /x HTTP/1.1\r\nConnection: close\r\n\r\n").ends_with("ok /x \n"));
    }

    #[test]
    fn keep_alive_expect_continue_and_http_1_0() {
        let addr = start(Limits::default());
        let mut c = TcpStream::connect(addr).unwrap();
        c.write_all(b"GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nxyz")
            .unwrap();
        c.write_all(b"GET /c HTTP/1.1\r\nConnection: close\r\n\r\n").unwrap();
        let a = answer(&mut c);
        assert!(a.contains("ok /a"), "{a}");
        assert!(a.contains("HTTP/1.1 100 Continue") && a.contains("ok /b xyz"), "{a}");
        assert!(a.contains("ok /c") && a.matches("HTTP/1.1 200").count() == 3, "{a}");
        let a = ask(addr, b"GET /d HTTP/1.0\r\n\r\n");
        assert!(a.contains("Connection: close") && a.ends_with("ok /d \n"), "{a}");
        assert!(ask(addr, b"GET /%zz?q=%41+b HTTP/1.1\r\nConnection: close\r\n\r\n").ends_with("ok /%zz \n"));
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("/a%20b", false), b"/a b");
        assert_eq!(percent_decode("a+b%2B", true), b"a b+");
        assert_eq!(percent_decode("a+b", false), b"a+b");
        assert_eq!(percent_decode("%zz%4", false), b"%zz%4");
        assert_eq!(percent_decode("%e2%82%ac", false), "€".as_bytes());
        assert_eq!(percent_decode("%", false), b"%");
        assert_eq!(percent_decode("%4", false), b"%4");
    }

    #[test]
    fn two_different_content_lengths_are_refused() {
        // Request smuggling: a front end that reads the other length would see a second request in the body.
        let addr = start(Limits::default());
        let a =
            ask(addr, b"POST /a HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 25\r\n\r\nxyzGET /b HTTP/1.1\r\n\r\n");
        assert!(a.starts_with("HTTP/1.1 400") && a.contains("Content-Length"), "{a}");
        assert!(!a.contains("ok /"), "{a}");
        for bad in ["+3", "3, 3", "0x3", ""] {
            let a = ask(addr, format!("POST /a HTTP/1.1\r\nContent-Length: {bad}\r\n\r\nxyz").as_bytes());
            assert!(a.starts_with("HTTP/1.1 400"), "{bad:?}: {a}");
        }
        // The same length twice is one length (RFC 9110 8.6 lets a recipient take it).
        assert!(ask(
            addr,
            b"POST /a HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\nConnection: close\r\n\r\nxyz"
        )
        .ends_with("ok /a xyz\n"));
    }
}
