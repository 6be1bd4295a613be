//! Where script output goes. stdout is buffered (line-buffered on a terminal) and flushed before anything
//! is written to stderr and at exit; a host (the REPL, the web server) can take the output instead.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

/// Which stream a piece of output belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

type Sink = Box<dyn FnMut(Stream, &[u8]) + Send>;

struct Out {
    buf: Vec<u8>,
    tty: bool,
    sink: Option<Sink>,
    /// Whether the last byte written to stdout ended a line (or nothing was written yet).
    stdout_at_line_start: bool,
}

static OUT: Mutex<Option<Out>> = Mutex::new(None);

fn with<R>(f: impl FnOnce(&mut Out) -> R) -> R {
    let mut g = OUT.lock().unwrap_or_else(|e| e.into_inner());
    let o = g.get_or_insert_with(|| Out {
        buf: Vec::new(),
        tty: std::io::stdout().is_terminal(),
        sink: None,
        stdout_at_line_start: true,
    });
    f(o)
}

/// Sends all later output to `sink` instead of the process's stdout and stderr (REPL, web server).
pub fn set_sink(sink: Option<Sink>) {
    flush();
    with(|o| o.sink = sink);
}

/// Writes bytes to a stream.
pub fn write(stream: Stream, bytes: &[u8]) {
    with(|o| {
        if stream == Stream::Stdout {
            if let Some(&last) = bytes.last() {
                o.stdout_at_line_start = last == b'\n';
            }
        }
        if let Some(s) = o.sink.as_mut() {
            s(stream, bytes);
            return;
        }
        match stream {
            Stream::Stdout => {
                o.buf.extend_from_slice(bytes);
                // A terminal sees every write at once (prompts without a newline too); a pipe or a file
                // gets 64 KiB blocks.
                if o.buf.len() >= 64 * 1024 || o.tty {
                    let _ = std::io::stdout().write_all(&o.buf);
                    let _ = std::io::stdout().flush();
                    o.buf.clear();
                }
            }
            Stream::Stderr => {
                if !o.buf.is_empty() {
                    let _ = std::io::stdout().write_all(&o.buf);
                    let _ = std::io::stdout().flush();
                    o.buf.clear();
                }
                let _ = std::io::stderr().write_all(bytes);
            }
        }
    })
}

/// Writes `text` as a line of its own on stdout: a newline first if stdout is in the middle of a line.
pub fn own_line(text: &str) {
    let at_start = with(|o| o.stdout_at_line_start);
    let mut b = Vec::with_capacity(text.len() + 2);
    if !at_start {
        b.push(b'\n');
    }
    b.extend_from_slice(text.as_bytes());
    b.push(b'\n');
    write(Stream::Stdout, &b);
}

/// A line of text (a newline is added).
pub fn line(stream: Stream, text: &str) {
    let mut b = Vec::with_capacity(text.len() + 1);
    b.extend_from_slice(text.as_bytes());
    b.push(b'\n');
    write(stream, &b);
}

/// Flushes buffered stdout.
pub fn flush() {
    // try_lock: the watchdog flushes from another thread while the script may hold the lock.
    let g = OUT.try_lock();
    if let Ok(mut g) = g {
        if let Some(o) = g.as_mut() {
            if !o.buf.is_empty() {
                let _ = std::io::stdout().write_all(&o.buf);
                o.buf.clear();
            }
        }
    }
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
}

/// Flushes and ends the process.
pub fn exit(code: i32) -> ! {
    flush();
    std::process::exit(code)
}

/// The width of the terminal stdout is (asked of the terminal, as Node's `process.stdout.columns`), else
/// `$COLUMNS`, else 80.
pub fn columns() -> usize {
    // SAFETY: TIOCGWINSZ fills the winsize it is given and reads nothing else.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) } == 0;
    if ok && ws.ws_col > 0 {
        return usize::from(ws.ws_col);
    }
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).filter(|c| *c > 0).unwrap_or(80)
}
