//! `rumpjs serve`: the 2012 demo's web page, served on this machine, in one of two modes.
//!
//! **The default: the kernel in the browser.** The page scripts/build-web.sh builds (the kernel as
//! WebAssembly, in a Worker) is served as static files from its folder ([`page`]), and the `--image` files
//! read-only with byte ranges ([`range`]): each page boots its own kernel and mounts them, reading them
//! block by block; the server's files are never written.
//!
//! **`--server-kernel`: one session for the whole server.** One kernel and one JavaScript context serve
//! every page and tab: what one page does (a variable, `cd`, a mount) the others see. The context is not
//! `Send`, so it lives on a thread of its own (the engine) and HTTP threads send it commands and
//! evaluations over a channel: they run one at a time, in order. The endpoints that only read the kernel
//! (status, list, read, download, info) run on the HTTP threads themselves, each with a process of its own
//! (root, cwd `/`) — the kernel is thread-safe — so the file browser answers even while JavaScript runs.
//! Its page is web/, built into the binary.
//!
//! **Security.** Listens on 127.0.0.1 unless `--bind` says otherwise. A random token (192 bits from the
//! OS) is printed inside the page URL, as Jupyter does, and every request must carry it ([`guard`]); the
//! Host header must name the address listened on (an IP literal or `localhost`), which stops DNS
//! rebinding. With `--server-kernel` the API sees only the kernel's file system; host files are reached
//! only as `run` reaches them (`--image`, `--allow-host`). Read-only unless `--rw`: images are mounted
//! read-only, mounts from the page are forced read-only, and the commands that write (mkdir, rm, cp, put,
//! get, …) are refused. Sizes are bounded (see [`http::Limits`] and the constants here). Every failure of
//! the API is answered with a JSON `{error}`, of a page or a file with a text.
//!
//! **Time.** Boa has no interrupt. Commands and evaluations run with `Script::evaluate_async_with_budget`,
//! polled with a deadline (`--request-timeout`, 10 s): a loop in a script or in the JS functions it calls
//! is stopped there (its frames are dropped; the context stays usable). What cannot be stopped: a loop
//! inside a callback run by a native built-in (`[1].map(() => { for (;;) {} })`), in a promise job, or a
//! single very long native call. Such a loop still ends after [`LOOP_LIMIT`] iterations of one function;
//! until it ends the engine is busy: commands and evaluations are answered at once with a 503 saying so,
//! the file browser and status keep working, and a restart of the server gives a fresh session.

mod api;
mod app;
mod engine;
mod guard;
pub mod http;
mod page;
mod range;

use crate::cmd::CommonOpts;
use crate::host::output;
use app::App;
use engine::start_engine;
use guard::{Guard, HostCheck};
use http::Request;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// `rumpjs serve` options (with the [`CommonOpts`] every subcommand takes: --image, --partition, …).
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = SERVE_HELP)]
pub struct ServeArgs {
    /// TCP port to listen on (0: any free port; the URL printed says which).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on: 127.0.0.1 (this machine only) unless you name another (0.0.0.0: every
    /// interface; the traffic is plain HTTP).
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDRESS")]
    pub bind: String,
    /// Do not open a web browser at start.
    #[arg(long)]
    pub no_open: bool,
    /// The built page to serve (what scripts/build-web.sh builds); default $RUMPJS_WEB, else target/web
    /// of the source tree rumpjs was built from.
    #[arg(long, value_name = "DIR", conflicts_with = "server_kernel")]
    pub web: Option<PathBuf>,
    /// Run the kernel in this process, one session shared by every page (the page of web/), instead of
    /// in each browser: for --rw, --overlay, --allow-host and pages that share one kernel (see below).
    #[arg(long)]
    pub server_kernel: bool,
    /// With --server-kernel: stop a command or an evaluation after SECONDS (10 unless given; what cannot
    /// be stopped: see below).
    #[arg(long, value_name = "SECONDS")]
    pub request_timeout: Option<f64>,
}

const SERVE_HELP: &str = "\
The page's kernel runs in the browser (the default): the page scripts/build-web.sh builds (the kernel as \
WebAssembly, in a Worker) is served from its folder: --web DIR, else $RUMPJS_WEB, else target/web of the source \
tree rumpjs was built from (scripts/build-web.sh with no argument builds it there). Every page boots its own \
kernel. The --image files are served read-only, by byte ranges, and the page mounts them (the first on /ffs, \
others on their PATH:/DIR), reading each block by block as its kernel asks: a large image is never sent whole, \
and the server's files are never written. The page's \"writable\" switch keeps changes in the page's memory, and \
\"download image\" saves the changed image. Without --image the page mounts its demo image.

--server-kernel: one kernel and one JavaScript context in this process for the whole server, with the page of \
web/ as their client. Use it when several pages must share one kernel (variables, the working directory, \
mounts), to change the server's image in place (--rw) or on an overlay the server keeps (--overlay, \
--overlay-file; fit for an image too large for the page's memory and \"download image\"), or to reach host \
files from the page (--allow-host). Those flags need it. Commands and JavaScript run on the session one at a \
time, in order; the file browser reads the kernel directly, so it answers while JavaScript runs. Read-only \
unless --rw: images are mounted read-only, mounts made from the page too, and the commands that write (mkdir, \
rm, cp, put, get, ...) are refused. With --overlay the page may write: the changes stay in memory, the image \
files do not change.

Security: listens on 127.0.0.1 unless --bind says otherwise. The URL printed at start carries a random token \
(192 bits); every request must carry it (?token= for the page and downloads, the X-Rumpjs-Token header for the \
API; the browser-kernel page gets it back as a cookie of this server for its scripts and image reads), and the \
Host header must name this server (DNS-rebinding protection). The page reaches only the page's files and the \
--image files (with --server-kernel: the kernel's files; host files only through --image and --allow-host).

Limits: request head 16 KiB, body 1 MiB, a request must arrive within 10 s, kept-alive connections close after \
30 s idle, 64 connections at once. One byte range per image request (others: 416). With --server-kernel: \
command output, console output and shown values 1 MiB each; the viewer reads the first 256 KiB of a file, \
downloads are at most 1 GiB, listings 10,000 entries. Commands and JavaScript stop after --request-timeout; a \
loop inside a callback of a native built-in (array.map(...)) or in a promise job cannot be stopped: it ends at \
50 million iterations of one function, and until then commands and JavaScript are answered 503 (the file \
browser still works).

Stop the server with Ctrl-C or SIGTERM (with --server-kernel the file systems are written and unmounted).";

/// Most bytes of command output, console output or an inspected value in one answer.
pub const OUTPUT_LIMIT: usize = 1 << 20;
/// Most requests waiting for the JavaScript engine; more are answered 503 at once.
pub const QUEUE_LIMIT: usize = 16;
/// Loop iterations one JavaScript function may run (Boa's loop-iteration limit): the last resort against
/// a loop the deadline cannot stop.
pub const LOOP_LIMIT: u64 = 50_000_000;
/// How long an HTTP request waits for the engine beyond the request timeout (queueing behind others).
const WAIT_GRACE: Duration = Duration::from_secs(10);
/// Boa "clock cycles" between deadline checks.
const BUDGET: u32 = 2048;

const INDEX_HTML: &str = include_str!("../../../../web/index.html");
const STYLE_CSS: &str = include_str!("../../../../web/style.css");
const APP_JS: &str = include_str!("../../../../web/app.js");
const FORMAT_JS: &str = include_str!("../../../../scripts/lib/format.js");
const PRELUDE_JS: &str = include_str!("prelude.js");
/// Where index.html names the token (its style and script links carry it).
const TOKEN_PLACEHOLDER: &str = "__RUMPJS_TOKEN__";

/// A token of 192 random bits from the OS, in hex.
fn new_token() -> Result<String, String> {
    let mut b = [0u8; 24];
    getrandom::fill(&mut b).map_err(|e| format!("cannot get random bytes from the OS: {e}"))?;
    Ok(kernel_bindings::encodings::hex_encode(&b))
}

static SIGNAL: AtomicI32 = AtomicI32::new(0);

#[cfg(unix)]
fn catch_signals() {
    extern "C" fn on_signal(sig: libc::c_int) {
        SIGNAL.store(sig, Ordering::SeqCst);
    }
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
    }
}

#[cfg(not(unix))]
fn catch_signals() {}

/// Opens the page in a browser, as Jupyter does: through a private file that redirects to the URL, so
/// the token is not on a command line other users can read.
fn open_browser(url: &str) {
    #[cfg(target_os = "linux")]
    let opener =
        (std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some()).then_some("xdg-open");
    #[cfg(target_os = "macos")]
    let opener = Some("open");
    #[cfg(not(any(target_os = "linux", target_os = "macos")))]
    let opener: Option<&str> = None;
    let Some(opener) = opener else { return };
    let path = std::env::temp_dir().join(format!("rumpjs-serve-{}.html", std::process::id()));
    let html = format!(
        "<!doctype html><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0;url={url}\">\
         <title>rumpjs serve</title><a href=\"{url}\">open rumpjs</a>\n"
    );
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let _ = std::fs::remove_file(&path);
    let written = o.open(&path).and_then(|mut f| std::io::Write::write_all(&mut f, html.as_bytes()));
    if written.is_err() {
        return;
    }
    let started = std::process::Command::new(opener)
        .arg(&path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if started.is_err() {
        let _ = std::fs::remove_file(&path);
        return;
    }
    let _ = std::thread::Builder::new().name("rumpjs-open".into()).spawn(move || {
        std::thread::sleep(Duration::from_secs(60));
        let _ = std::fs::remove_file(&path);
    });
}

/// Prints a line on the process's real stdout (script output is captured while serving).
fn say(line: &str) {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    let _ = writeln!(o, "{line}");
    let _ = o.flush();
}

/// The socket listened on, and the token its URL carries.
struct Listening {
    listener: TcpListener,
    ip: IpAddr,
    port: u16,
    token: String,
}

impl Listening {
    /// Parses --bind and listens on --port.
    fn new(args: &ServeArgs) -> Result<Listening, String> {
        let ip: IpAddr = match args.bind.as_str() {
            "localhost" => IpAddr::from([127, 0, 0, 1]),
            b => b
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse()
                .map_err(|_| format!("--bind {b}: not an IP address (e.g. 127.0.0.1, ::1 or 0.0.0.0)"))?,
        };
        let at = SocketAddr::new(ip, args.port);
        let listener = TcpListener::bind(at)
            .map_err(|e| format!("cannot listen on {at}: {e} (choose another --port; 0 picks a free one)"))?;
        let port = listener.local_addr().map_err(|e| format!("cannot listen: {e}"))?.port();
        Ok(Listening { listener, ip, port, token: new_token()? })
    }

    fn guard(&self, cookie: bool) -> Guard {
        Guard { token: self.token.clone(), hosts: HostCheck { ip: self.ip, port: self.port }, cookie }
    }

    /// Accepts connections for `handler` on a thread of its own, prints the URL (and opens it unless
    /// --no-open), and waits for SIGINT or SIGTERM.
    fn serve(self, handler: Arc<http::Handler>, what: &str, args: &ServeArgs) -> Result<(), String> {
        catch_signals();
        let host = if self.ip.is_unspecified() { IpAddr::from([127, 0, 0, 1]) } else { self.ip };
        let url = format!("http://{}/?token={}", SocketAddr::new(host, self.port), self.token);
        let (listener, ip) = (self.listener, self.ip);
        std::thread::Builder::new()
            .name("rumpjs-accept".into())
            .spawn(move || http::serve(listener, http::Limits::default(), handler))
            .map_err(|_| "cannot start the listening thread".to_string())?;
        say(&format!("rumpjs serve: {what}."));
        say("Open this URL (its token lets the page in):");
        say(&format!("    {url}"));
        say("Stop the server with Ctrl-C.");
        if !ip.is_loopback() {
            eprintln!(
                "rumpjs serve: warning: listening on {ip}, not only on this machine; the token is all that keeps others \
                 out, and plain HTTP does not hide it on the network"
            );
        }
        if !args.no_open {
            open_browser(&url);
        }
        while SIGNAL.load(Ordering::SeqCst) == 0 {
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }
}

/// `rumpjs serve`: serves the page until SIGINT or SIGTERM. The exit code.
pub fn main(common: &CommonOpts, args: ServeArgs) -> i32 {
    if args.server_kernel {
        server_kernel(common, &args)
    } else {
        browser_kernel(common, &args)
    }
}

/// Says why `rumpjs serve` cannot go on; exit status 2.
fn fail(m: &str) -> i32 {
    eprintln!("rumpjs serve: {m}");
    2
}

/// The default: the built page, the kernel in the browser, the images served read-only by byte ranges.
fn browser_kernel(common: &CommonOpts, args: &ServeArgs) -> i32 {
    // What only a kernel in this process can do.
    let needs_server_kernel = [
        (common.rw, "--rw (writing the server's image)"),
        (!common.allow_host.is_empty(), "--allow-host (host files for the page)"),
        (common.overlay || common.overlay_file.is_some(), "--overlay (an overlay the server keeps)"),
        (args.request_timeout.is_some(), "--request-timeout (commands run by the server)"),
        (common.fstype != "ffs", "--fstype (the page mounts FFS images)"),
        (common.preserve_all, "--preserve-all (copies onto the host)"),
        (common.deterministic, "--deterministic (the kernel's clock and randomness)"),
    ];
    if let Some((_, flag)) = needs_server_kernel.iter().find(|(set, _)| *set) {
        return fail(&format!(
            "{flag} needs --server-kernel: without it the page's kernel runs in the browser and the images are only \
             read (its \"writable\" switch keeps changes in the page)"
        ));
    }
    let web = match page::find_web(args.web.as_deref()) {
        Ok(w) => w,
        Err(m) => return fail(&m),
    };
    let mut images = Vec::new();
    for (n, spec) in common.images.iter().map(|s| crate::host::session::ImageSpec::parse(s)).enumerate() {
        match range::ServedImage::open(n, &spec.path, &spec.mountpoint) {
            Ok(i) => images.push(i),
            Err(m) => return fail(&m),
        }
    }
    let l = match Listening::new(args) {
        Ok(l) => l,
        Err(m) => return fail(&m),
    };
    crate::host::watchdog::start(common.timeout.unwrap_or(0.0));
    let what = format!(
        "the page of {} (the kernel runs in the browser); {}",
        web.display(),
        match images.len() {
            0 => "it mounts its demo image on /ffs".to_string(),
            n => format!("{n} image(s) served read-only for it to mount"),
        }
    );
    let app = Arc::new(page::PageApp { guard: l.guard(true), web, images, partition: common.partition.clone() });
    let handler: Arc<http::Handler> = {
        let app = app.clone();
        Arc::new(move |req: &Request| app.handle(req))
    };
    if let Err(m) = l.serve(handler, &what, args) {
        return fail(&m);
    }
    for line in app.summary() {
        say(&line);
    }
    0
}

/// --server-kernel: boots the session, serves its page, then writes and unmounts the file systems.
fn server_kernel(common: &CommonOpts, args: &ServeArgs) -> i32 {
    let request_timeout = args.request_timeout.unwrap_or(10.0);
    if !(request_timeout > 0.0 && request_timeout <= 3600.0) {
        return fail(&format!("--request-timeout must be between 0 and 3600 seconds, not {request_timeout}"));
    }
    let l = match Listening::new(args) {
        Ok(l) => l,
        Err(m) => return fail(&m),
    };
    let timeout = Duration::from_secs_f64(request_timeout);
    let mut opts = common.session_options(vec!["rumpjs".into(), "serve".into()]);
    opts.imports_from_cwd = true;
    // With no --image, the embedded demo image on /ffs, as the 2012 page and the REPL have it.
    opts.demo = true;
    // --overlay: the images are read-write in memory and the files never change, so the page may write.
    let readonly = !(common.rw || common.overlay || common.overlay_file.is_some());
    let (engine, kernel) = match start_engine(opts, readonly, timeout) {
        Ok(x) => x,
        Err(f) => {
            output::set_sink(None);
            eprintln!("{f}");
            return f.exit_code();
        }
    };
    crate::host::watchdog::set_kernel(kernel.clone());
    crate::host::watchdog::start(common.timeout.unwrap_or(0.0));
    let page = INDEX_HTML.replace(TOKEN_PLACEHOLDER, &l.token);
    let app = Arc::new(App {
        guard: l.guard(false),
        kernel: kernel.clone(),
        engine,
        readonly,
        overlay: common.overlay || common.overlay_file.is_some(),
        page,
    });
    let handler: Arc<http::Handler> = {
        let app = app.clone();
        Arc::new(move |req: &Request| app.handle(req))
    };
    if let Err(m) = l.serve(handler, &app.session_text(), args) {
        return fail(&m);
    }
    say("rumpjs serve: stopping: writing and unmounting the file systems");
    // The engine may be inside a system call holding the locks a sync needs: wait a while, not for ever.
    let (tx, rx) = mpsc::channel();
    let k = kernel.clone();
    let _ = std::thread::Builder::new().name("rumpjs-shutdown".into()).spawn(move || {
        crate::host::session::shutdown(&k);
        let _ = tx.send(());
    });
    let code = match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(()) => 0,
        Err(_) => {
            eprintln!("rumpjs serve: the file systems could not be unmounted within 10 s (the engine is busy)");
            1
        }
    };
    output::set_sink(None);
    output::flush();
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_eq!(a.len(), 48);
        assert_ne!(a, b);
        assert!(guard::same(a.as_bytes(), a.clone().as_bytes()));
        assert!(!guard::same(a.as_bytes(), b.as_bytes()));
        assert!(!guard::same(a.as_bytes(), &a.as_bytes()[1..]));
    }
}
