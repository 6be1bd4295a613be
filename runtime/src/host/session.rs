//! A session: a booted kernel (tmpfs on /tmp, kernfs on /kern, the images asked for) and a Boa context
//! with every global and module. It evaluates a module file, a script string or a REPL line. Every
//! subcommand (run, -e, repl, test, serve, ...) starts from one.

use crate::host::grants::{Grants, Policy};
use crate::host::hypervisor::HostHypervisor;
use crate::host::jobs::{Executor, Hooks};
use crate::host::loader::Loader;
use boa_engine::builtins::promise::PromiseState;
use boa_engine::{js_string, Context, JsError, JsNativeError, JsResult, JsValue, Module, Source};
use kernel::vfs::{Cred, Kernel, MountOptions, Proc, MNT_RDONLY};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::{Arc, Mutex};

/// An image to mount at start (`--image PATH[:MOUNTPOINT]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageSpec {
    pub path: PathBuf,
    pub mountpoint: String,
}

impl ImageSpec {
    /// `PATH` (mounted on /ffs) or `PATH:/mount/point`.
    pub fn parse(s: &str) -> ImageSpec {
        if let Some(i) = s.rfind(":/") {
            if i > 0 {
                return ImageSpec { path: PathBuf::from(&s[..i]), mountpoint: s[i + 1..].to_string() };
            }
        }
        ImageSpec { path: PathBuf::from(s), mountpoint: "/ffs".to_string() }
    }
}

/// How to set a session up.
#[derive(Clone, Debug)]
pub struct SessionOptions {
    pub images: Vec<ImageSpec>,
    /// Mount images read-write.
    pub rw: bool,
    /// Mount an image not marked clean read-write anyway (mount -f).
    pub force: bool,
    /// Partition of each image to mount (mount option `partition=P`).
    pub partition: Option<String>,
    /// File-system type of the images.
    pub fstype: String,
    /// Host paths granted with --allow-host.
    pub allow_host: Vec<PathBuf>,
    /// Host paths that may be read but not written (a test file's directory).
    pub read_host: Vec<PathBuf>,
    /// `process.argv`.
    pub argv: Vec<String>,
    /// Kernel console lines to stderr as they are logged.
    pub verbose: bool,
    /// Most nested JS calls before a RangeError (Boa's recursion limit).
    pub recursion_limit: usize,
    /// Run on the deterministic host: the kernel clock stands at 2012-06-01 (advancing 1 µs a reading)
    /// and its randomness is seeded, so what a script writes is the same on every run.
    pub deterministic: bool,
    /// Mount the images read-write on a copy-on-write overlay: the host files are never written.
    pub overlay: bool,
    /// The overlay's changes kept in this host file too (one image only).
    pub overlay_file: Option<PathBuf>,
    /// With no images given, mount the embedded demo image read-only at /ffs (the REPL does).
    pub demo: bool,
    /// Module files under the current directory may be imported (code with no file of its own: -e, the
    /// REPL, the web page). A script's own imports are opened by [`Session::run_module`].
    pub imports_from_cwd: bool,
    /// Copies out keep owners and set-ID bits and make device nodes and fifos on the host.
    pub preserve_all: bool,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            images: Vec::new(),
            rw: false,
            force: false,
            partition: None,
            fstype: "ffs".into(),
            allow_host: Vec::new(),
            read_host: Vec::new(),
            argv: vec!["rumpjs".into()],
            verbose: false,
            recursion_limit: 10_000,
            deterministic: false,
            overlay: false,
            overlay_file: None,
            demo: false,
            imports_from_cwd: false,
            preserve_all: false,
        }
    }
}

/// Whether `code` parses as a script: a syntax check that declares nothing, with an interner of its own
/// (the REPL's editor thread runs it too). `Script::parse` puts the code's top-level `let`/`const`/`class`
/// names in the realm's global scope, so evaluating the same code after such a check fails with
/// "duplicate lexical declaration".
pub fn check_syntax(code: &str) -> Result<(), String> {
    let scope = boa_engine::ast::scope::Scope::new_global();
    boa_engine::parser::Parser::new(Source::from_bytes(code))
        .parse_script(&scope, &mut boa_engine::interner::Interner::default())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The VM stack size limit a session sets.
const STACK_LIMIT: usize = 1 << 20;

/// How a budgeted evaluation ([`Session::eval_budgeted`]) ended.
pub enum Run {
    Done(Result<JsValue, JsError>),
    /// `stop` said so and the evaluation was dropped.
    Stopped,
}

/// An error that ended an evaluation: a JS exception, or a failure of the host.
#[derive(Debug)]
pub enum Failure {
    /// An uncaught exception (message and stack already formatted).
    Uncaught(String),
    /// A promise rejected with no handler.
    Unhandled(String),
    /// Top-level await never settled.
    Unsettled,
    /// Anything else (a file that cannot be read, a boot failure).
    Host(String),
}

impl Failure {
    /// The process exit code Node uses for this kind of failure.
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Uncaught(_) | Failure::Unhandled(_) => 1,
            Failure::Unsettled => 13,
            Failure::Host(_) => 2,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Uncaught(s) => write!(f, "Uncaught {s}"),
            Failure::Unhandled(s) => write!(f, "Uncaught (in promise) {s}"),
            Failure::Unsettled => write!(f, "Warning: Detected unsettled top-level await"),
            Failure::Host(s) => write!(f, "rumpjs: {s}"),
        }
    }
}

pub struct Session {
    pub ctx: Context,
    pub kernel: Arc<Kernel>,
    pub proc: Arc<Proc>,
    pub loader: Rc<Loader>,
    pub grants: Arc<Mutex<Grants>>,
    executor: Rc<Executor>,
    rejections: Rc<RefCell<Vec<boa_engine::JsObject<boa_engine::builtins::promise::Promise>>>>,
    /// The JavaScript call depth the options asked for (raised by stopped evaluations' stale frames).
    recursion_limit: usize,
}

impl Session {
    /// Boots a kernel, mounts tmpfs on /tmp, kernfs on /kern and the images, and builds the context.
    pub fn new(opts: &SessionOptions) -> Result<Session, Failure> {
        let mut grants = Grants::new();
        for p in &opts.allow_host {
            grants.allow(p).map_err(Failure::Host)?;
        }
        for p in &opts.read_host {
            grants.allow_read(p).map_err(Failure::Host)?;
        }
        if opts.overlay_file.is_some() && opts.images.len() != 1 {
            return Err(Failure::Host(format!(
                "--overlay-file keeps the changes of one image; {} --image options were given",
                opts.images.len()
            )));
        }
        grants.preserve_all = opts.preserve_all;
        if let Some(f) = &opts.overlay_file {
            grants.allow_side_file(f).map_err(Failure::Host)?;
        }
        let writes = match (opts.overlay || opts.overlay_file.is_some(), opts.rw) {
            (true, _) => crate::host::grants::ImageWrites::Overlay,
            (false, true) => crate::host::grants::ImageWrites::Allowed,
            (false, false) => crate::host::grants::ImageWrites::Refused,
        };
        let mut images = Vec::new();
        for img in &opts.images {
            let c = grants.allow_image(&img.path, writes).map_err(|e| Failure::Host(format!("--image {e}")))?;
            if images.iter().any(|(_, o): &(ImageSpec, PathBuf)| *o == c) {
                // As NetBSD refuses to mount a device that is already mounted (vfs_mountedon: EBUSY).
                return Err(Failure::Host(format!(
                    "--image {}: named twice; an image file is mounted once (EBUSY)",
                    img.path.display()
                )));
            }
            images.push((img.clone(), c));
        }
        let grants = Arc::new(Mutex::new(grants));
        let hyper = Arc::new(if opts.deterministic {
            let inner = kernel::hyper::DeterministicHypervisor::default_for_tests();
            HostHypervisor::with(Box::new(inner), grants.clone())
        } else {
            HostHypervisor::new(opts.verbose, grants.clone())
        });
        let kernel = Kernel::boot_default(hyper).map_err(|e| Failure::Host(format!("kernel boot failed: {e}")))?;
        let proc = Arc::new(kernel.new_proc(Cred::root()));
        let boot_mount = |ty: &str, dir: &str| -> Result<(), Failure> {
            mkdir_p(&proc, dir);
            proc.mount(ty, dir.as_bytes(), 0, None, &MountOptions::default())
                .map_err(|e| Failure::Host(format!("cannot mount {ty} on {dir}: {e}")))
        };
        boot_mount("tmpfs", "/tmp")?;
        boot_mount("kernfs", "/kern")?;
        for (img, host) in &images {
            mount_image(&proc, img, host, opts)?;
        }
        if opts.demo && images.is_empty() {
            mount_demo(&kernel, &proc)?;
        }

        let rejections = Rc::new(RefCell::new(Vec::new()));
        let executor = Rc::new(Executor::new(rejections.clone()));
        let base = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        let loader = Rc::new(Loader::new(base.clone(), grants.clone()));
        if opts.imports_from_cwd {
            loader.add_project_root(&base);
        }
        let mut ctx = Context::builder()
            .job_executor(executor.clone())
            .module_loader(loader.clone())
            .host_hooks(Rc::new(Hooks { rejections: rejections.clone() }))
            .build()
            .map_err(|e| Failure::Host(format!("cannot create the JavaScript context: {e}")))?;
        ctx.runtime_limits_mut().set_recursion_limit(opts.recursion_limit);
        ctx.runtime_limits_mut().set_stack_size_limit(STACK_LIMIT);
        let recursion_limit = opts.recursion_limit;
        let mut s = Session { ctx, kernel, proc, loader, grants, executor, rejections, recursion_limit };
        s.install_globals(opts).map_err(|e| Failure::Host(format!("cannot install globals: {e}")))?;
        Ok(s)
    }

    fn install_globals(&mut self, opts: &SessionOptions) -> JsResult<()> {
        let ctx = &mut self.ctx;
        boa_runtime::register(
            boa_runtime::extensions::ConsoleExtension(crate::host::globals::OutputLogger),
            None,
            ctx,
        )?;
        let policy = Rc::new(Policy(self.grants.clone()));
        let b = kernel_bindings::install(ctx, self.proc.clone(), policy)?;
        crate::host::rump_host::install(ctx, &b.rump, self.grants.clone());
        let info = crate::host::globals::ProcessInfo { argv: opts.argv.clone(), start: std::time::Instant::now() };
        let process = crate::host::globals::process(ctx, info)?;
        let path = crate::host::globals::path(ctx)?;
        let crypto = crate::host::globals::crypto(ctx)?;
        kernel_bindings::add_table(ctx, "process", crate::host::globals::PROCESS);
        kernel_bindings::add_table(ctx, "crypto", crate::host::globals::CRYPTO);
        kernel_bindings::add_table(ctx, "rump.host", crate::host::rump_host::HOST);
        crate::host::globals::global(ctx, "process", process.clone())?;
        crate::host::globals::global(ctx, "path", path.clone())?;
        crate::host::globals::global(ctx, "crypto", crypto.clone())?;
        for (name, src) in crate::host::globals::LIBS {
            self.loader.embed(Path::new(crate::host::loader::LIB_DIR).join(name), src);
        }
        let global = ctx.global_object();
        let console = global.get(js_string!("console"), ctx)?;
        crate::host::globals::console_overrides(ctx, &console)?;
        ctx.eval(Source::from_bytes(include_str!("web_fixes.js")))?;
        ctx.eval(Source::from_bytes(include_str!("web_globals.js")))?;
        // events, stream, stream/promises, and fs's streams, opendir and glob (on fs before it is a module).
        let streams = ctx.eval(Source::from_bytes(include_str!("node_streams.js")))?;
        let streams = streams.as_function().ok_or_else(|| JsNativeError::error().with_message("node_streams.js"))?;
        let streams = streams.call(
            &JsValue::undefined(),
            &[b.fs.clone().into(), path.clone().into(), crypto.clone().into()],
            ctx,
        )?;
        let streams = streams.as_object().ok_or_else(|| JsNativeError::error().with_message("node_streams.js"))?;
        crate::host::globals::install_promise_state(ctx)?;
        let util = crate::host::globals::util(ctx)?;
        for name in [js_string!("TextEncoder"), js_string!("TextDecoder")] {
            let v = global.get(name.clone(), ctx)?;
            util.set(name, v, false, ctx)?;
        }
        // `timers`: the global timer functions, looked up at each call (rumpjs serve replaces them).
        let timers = ctx.eval(Source::from_bytes(
            "({ setTimeout: (...a) => globalThis.setTimeout(...a), clearTimeout: (...a) => globalThis.clearTimeout(...a), \
               setInterval: (...a) => globalThis.setInterval(...a), clearInterval: (...a) => globalThis.clearInterval(...a), \
               setImmediate: (...a) => globalThis.setImmediate(...a), clearImmediate: (...a) => globalThis.clearImmediate(...a) })",
        ))?;
        let l = &self.loader;
        l.register(ctx, &["fs", "node:fs"], b.fs.clone().into())?;
        let promises = b.fs.get(js_string!("promises"), ctx)?;
        l.register(ctx, &["fs/promises", "node:fs/promises"], promises)?;
        l.register(ctx, &["path", "node:path", "path/posix", "node:path/posix"], path.into())?;
        l.register(ctx, &["rump", "rumpjs"], b.rump.clone().into())?;
        l.register(ctx, &["crypto", "node:crypto"], crypto.into())?;
        l.register(ctx, &["process", "node:process"], process.into())?;
        l.register(ctx, &["console", "node:console"], console)?;
        l.register(ctx, &["util", "node:util"], util.into())?;
        l.register(ctx, &["timers", "node:timers"], timers)?;
        let buffer = global.get(js_string!("Buffer"), ctx)?;
        let buffer_module = boa_engine::object::ObjectInitializer::new(ctx)
            .property(js_string!("Buffer"), buffer, boa_engine::property::Attribute::all())
            .build();
        l.register(ctx, &["buffer", "node:buffer"], buffer_module.into())?;
        let events = streams.get(js_string!("events"), ctx)?;
        l.register(ctx, &["events", "node:events"], events)?;
        let stream = streams.get(js_string!("stream"), ctx)?;
        l.register(ctx, &["stream", "node:stream"], stream)?;
        let promises = streams.get(js_string!("streamPromises"), ctx)?;
        l.register(ctx, &["stream/promises", "node:stream/promises"], promises)?;
        Ok(())
    }

    /// Registers a built-in module (e.g. `rumpjs:test`) with `value` as its default export and its
    /// properties as named exports.
    pub fn register_module(&mut self, names: &[&str], value: JsValue) -> JsResult<()> {
        self.loader.register(&mut self.ctx, names, value)
    }

    /// Runs the event loop until nothing is left; an unhandled rejection or an error thrown by a timer
    /// callback ends it.
    pub fn run_jobs(&mut self) -> Result<(), Failure> {
        let r = self.ctx.run_jobs();
        if let Some(p) = crate::host::jobs::take_rejection(&self.rejections) {
            self.rejections.borrow_mut().clear();
            if let PromiseState::Rejected(v) = p.state() {
                let e = JsError::from_opaque(v);
                return Err(Failure::Unhandled(self.format_error(&e)));
            }
        }
        r.map_err(|e| Failure::Uncaught(self.format_error(&e)))
    }

    /// Evaluates the ES module file at `path` (relative imports resolve from it), then runs the event
    /// loop until every promise and timer has settled.
    pub fn run_module(&mut self, path: &Path) -> Result<(), Failure> {
        let abs =
            std::fs::canonicalize(path).map_err(|e| Failure::Host(format!("cannot open {}: {e}", path.display())))?;
        if let Some(dir) = abs.parent() {
            *self.loader.base.borrow_mut() = dir.to_path_buf();
            self.loader.add_root(dir);
            // Its project (`test/a.test.js` importing `../src/x.js`): the nearest directory above with a
            // package.json, deno.json or .git, and the current directory when the script is inside it.
            let project =
                dir.ancestors().find(|d| ["package.json", "deno.json", ".git"].iter().any(|m| d.join(m).exists()));
            if let Some(p) = project {
                self.loader.add_project_root(p);
            }
        }
        let module =
            self.loader.load_file(&abs, &mut self.ctx).map_err(|e| Failure::Uncaught(self.format_error(&e)))?;
        self.evaluate_module(module)
    }

    /// Evaluates module source text (`rumpjs -e` with imports): `name` is the file name errors show.
    pub fn run_module_source(&mut self, code: &str, name: &Path) -> Result<(), Failure> {
        let src = Source::from_bytes(code).with_path(name);
        let module = Module::parse(src, None, &mut self.ctx).map_err(|e| Failure::Uncaught(self.format_error(&e)))?;
        self.evaluate_module(module)
    }

    fn evaluate_module(&mut self, module: Module) -> Result<(), Failure> {
        let promise = module.load_link_evaluate(&mut self.ctx);
        let r = self.run_jobs();
        if let PromiseState::Rejected(v) = promise.state() {
            // The module's own failure is an uncaught exception, not an unhandled rejection.
            self.rejections.borrow_mut().clear();
            return Err(Failure::Uncaught(self.format_error(&JsError::from_opaque(v))));
        }
        r?;
        match promise.state() {
            PromiseState::Fulfilled(_) => Ok(()),
            PromiseState::Rejected(v) => Err(Failure::Uncaught(self.format_error(&JsError::from_opaque(v)))),
            PromiseState::Pending => Err(Failure::Unsettled),
        }
    }

    /// Evaluates a classic script (`rumpjs -e`), runs the event loop, returns the completion value.
    pub fn eval_script(&mut self, code: &str, name: &str) -> Result<JsValue, Failure> {
        let v = self.eval_line(code, name).map_err(|e| Failure::Uncaught(self.format_error(&e)))?;
        self.run_jobs()?;
        Ok(v)
    }

    /// Evaluates one REPL input as a classic script and runs pending microtasks; the JS error is
    /// returned as it is (format it with [`Session::format_error`]).
    pub fn eval_line(&mut self, code: &str, name: &str) -> JsResult<JsValue> {
        let src = Source::from_bytes(code).with_path(Path::new(name));
        let script = boa_engine::Script::parse(src, None, &mut self.ctx)?;
        script.evaluate(&mut self.ctx)
    }

    /// Whether timers are still pending.
    pub fn has_pending_timers(&self) -> bool {
        self.executor.has_timers()
    }

    /// When the next pending timer is due.
    pub fn next_timer(&self) -> Option<std::time::Instant> {
        self.executor.next_timer()
    }

    /// Whether [`Session::run_jobs`] sleeps until every timer has run (a script's event loop, the
    /// default) or runs only the timers already due and returns (the REPL, where timers fire while the
    /// prompt waits, as in Node's REPL).
    pub fn set_wait_for_timers(&self, wait: bool) {
        self.executor.set_wait_for_timers(wait);
    }

    /// Parses and evaluates `src` as a script, polling Boa's budgeted evaluation and asking `stop`
    /// every `budget` "clock cycles" whether to give up (a deadline, Ctrl-C). A stopped evaluation
    /// leaves its frames on the VM's frame stack (Boa has no way to unwind them from outside): the
    /// recursion and stack limits are raised by as much, so later code has the depth it had, and
    /// [`Session::trim_stack`] drops those frames from the stacks errors show.
    pub fn eval_budgeted(&mut self, src: &str, name: &str, budget: u32, stop: &mut dyn FnMut() -> bool) -> Run {
        let script =
            match boa_engine::Script::parse(Source::from_bytes(src).with_path(Path::new(name)), None, &mut self.ctx) {
                Ok(s) => s,
                Err(e) => return Run::Done(Err(e)),
            };
        let r = {
            let fut = script.evaluate_async_with_budget(&mut self.ctx, budget);
            let mut fut = std::pin::pin!(fut);
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            loop {
                if let std::task::Poll::Ready(r) = std::future::Future::poll(fut.as_mut(), &mut cx) {
                    break Some(r);
                }
                if stop() {
                    break None;
                }
            }
        };
        match r {
            Some(r) => Run::Done(r),
            None => {
                let stale = self.ctx.stack_trace().count();
                let limits = self.ctx.runtime_limits_mut();
                limits.set_recursion_limit(self.recursion_limit + stale);
                limits.set_stack_size_limit(STACK_LIMIT + stale * 1024);
                Run::Stopped
            }
        }
    }

    /// `text` (a formatted error) without the `at` lines of the frames stopped evaluations left below
    /// every stack (see [`Session::eval_budgeted`]).
    pub fn trim_stack(&self, text: String) -> String {
        let stale = self.ctx.stack_trace().count();
        if stale == 0 {
            return text;
        }
        let lines: Vec<&str> = text.split('\n').collect();
        let at: Vec<usize> =
            lines.iter().enumerate().filter(|(_, l)| l.starts_with("    at ")).map(|(i, _)| i).collect();
        let drop: Vec<usize> = at.iter().rev().take(stale).copied().collect();
        lines.iter().enumerate().filter(|(i, _)| !drop.contains(i)).map(|(_, l)| *l).collect::<Vec<_>>().join("\n")
    }

    /// An error as Node prints it: `Name: message`, the stack with file:line:column, and the
    /// errno/code/syscall/path fields when present.
    pub fn format_error(&mut self, e: &JsError) -> String {
        format_error(&mut self.ctx, e)
    }

    /// A value as the REPL shows it (scripts/lib/inspect.js: strings quoted, objects expanded).
    pub fn inspect(&mut self, v: &JsValue) -> String {
        crate::host::globals::inspect_value(v, &mut self.ctx).unwrap_or_else(|e| format!("<cannot inspect: {e}>"))
    }

    /// A promise's settled value (for REPL lines that produce promises).
    pub fn settle(&mut self, v: &JsValue) -> Result<JsValue, Failure> {
        let Some(p) = v.as_promise() else {
            return Ok(v.clone());
        };
        self.run_jobs()?;
        match p.state() {
            PromiseState::Fulfilled(v) => Ok(v),
            PromiseState::Rejected(e) => Err(Failure::Uncaught(self.format_error(&JsError::from_opaque(e)))),
            PromiseState::Pending => Ok(v.clone()),
        }
    }
}

impl Drop for Session {
    /// Shuts the kernel down: every file system is written and unmounted, so `--rw` images are
    /// consistent and marked clean when the process ends.
    fn drop(&mut self) {
        shutdown(&self.kernel);
    }
}

/// vfs_unmountall at halt: sync, then unmount every file system, newest first (forced: the script's
/// open files and cwd do not keep a mount). Problems go to the kernel log. Runs once per kernel.
pub fn shutdown(kernel: &Arc<Kernel>) {
    static DONE: Mutex<Vec<usize>> = Mutex::new(Vec::new());
    {
        let mut done = DONE.lock().unwrap_or_else(|e| e.into_inner());
        let id = Arc::as_ptr(kernel) as usize;
        if done.contains(&id) {
            return;
        }
        done.push(id);
    }
    let p = kernel.new_proc(Cred::root());
    let _ = p.sync();
    let mounts = kernel.mounts();
    for m in mounts.iter().rev() {
        if m.covered.is_none() || m.is_dead() {
            continue;
        }
        if let Err(e) = p.unmount(m.on.as_bytes(), kernel::vfs::MNT_FORCE) {
            kernel.log(&format!("shutdown: unmount {}: {e}", m.on));
        }
    }
}

/// mkdir -p in the kernel (errors ignored: the mount says what went wrong).
pub(crate) fn mkdir_p(proc: &Proc, dir: &str) {
    let mut cur = String::new();
    for part in dir.split('/').filter(|s| !s.is_empty()) {
        cur.push('/');
        cur.push_str(part);
        let _ = proc.mkdir(cur.as_bytes(), 0o755);
    }
}

fn mount_image(proc: &Proc, img: &ImageSpec, host: &Path, opts: &SessionOptions) -> Result<(), Failure> {
    let fail =
        |what: String| Failure::Host(format!("cannot mount {} on {}: {what}", img.path.display(), img.mountpoint));
    let overlay = match (&opts.overlay_file, opts.overlay) {
        (Some(f), _) => kernel::vfs::Overlay::File(f.to_string_lossy().into_owned()),
        (None, true) => kernel::vfs::Overlay::Memory,
        (None, false) => kernel::vfs::Overlay::None,
    };
    let path = host.to_string_lossy();
    let image = kernel::vfs::Image { path: &path, readonly: !opts.rw && !opts.overlay, overlay };
    mkdir_p(proc, &img.mountpoint);
    let mut mopts = MountOptions { force: opts.force, ..Default::default() };
    if let Some(p) = &opts.partition {
        mopts.opts.push(("partition".into(), p.clone()));
    }
    proc.attach_image(&opts.fstype, img.mountpoint.as_bytes(), &image, &mopts).map(|_| ()).map_err(|e| {
        match (e.errno, &e.reason) {
            (_, Some(why)) if why.contains("not clean") => fail(match &opts.overlay_file {
                // The overlay file's view is what is not clean: fsck it there, never in the image.
                Some(f) => format!(
                    "{} ({why}): check it with `rumpjs fsck -y --overlay-file {} {}`",
                    e.errno,
                    f.display(),
                    host.display()
                ),
                None => format!(
                    "{} ({why}): check it with `rumpjs fsck -y {}`, or mount it anyway with --force",
                    e.errno,
                    host.display()
                ),
            }),
            (kernel::Errno::EOPNOTSUPP, None) => {
                fail(format!("{} (this kernel's {} driver cannot mount images yet)", e.errno, opts.fstype))
            }
            _ => fail(e.to_string()),
        }
    })
}

/// The demo image: a small FFS made by NetBSD's makefs from demo/tree (demo/make-demo.sh), compressed.
pub static DEMO_IMAGE_GZ: &[u8] = include_bytes!("../../../demo/demo.img.gz");

/// Mounts the embedded demo image read-only at /ffs, as the 2012 page did.
fn mount_demo(kernel: &Arc<Kernel>, proc: &Proc) -> Result<(), Failure> {
    use std::io::Read;
    let fail = |what: String| Failure::Host(format!("cannot mount the demo image on /ffs: {what}"));
    let mut img = Vec::with_capacity(2 << 20);
    flate2::read::GzDecoder::new(DEMO_IMAGE_GZ)
        .take(64 << 20)
        .read_to_end(&mut img)
        .map_err(|e| fail(format!("cannot decompress it: {e}")))?;
    let dev: kernel::dev::Dev = Arc::new(kernel::dev::MemDevice::new(img, true));
    let devpath = "/dev/demo0";
    kernel.etfs_register(devpath, dev).map_err(|e| fail(e.to_string()))?;
    mkdir_p(proc, "/ffs");
    let mopts = MountOptions { readonly: true, ..Default::default() };
    proc.mount("ffs", b"/ffs", MNT_RDONLY, Some(devpath), &mopts).map_err(|e| fail(e.to_string()))
}

/// Formats a JS error as Node prints an uncaught one.
pub fn format_error(ctx: &mut Context, e: &JsError) -> String {
    if let Some(engine) = e.as_engine() {
        let s = engine.to_string();
        if s.contains("recursive calls") || s.contains("stack size") {
            return format!("RangeError: Maximum call stack size exceeded ({s})");
        }
        return s;
    }
    let v = match e.clone().into_opaque(ctx) {
        Ok(v) => v,
        Err(e) => return e.to_string(),
    };
    let Some(obj) = v.as_object() else {
        return match v.as_string() {
            Some(s) => s.to_std_string_escaped(),
            None => v.display().to_string(),
        };
    };
    let get = |ctx: &mut Context, k: &str| obj.get(boa_engine::JsString::from(k), ctx).unwrap_or_default();
    let stack = get(ctx, "stack");
    let name = get(ctx, "name");
    let msg = get(ctx, "message");
    let head = if name.is_undefined() && msg.is_undefined() {
        v.display().to_string()
    } else {
        let n = name.to_string(ctx).map(|s| s.to_std_string_escaped()).unwrap_or_default();
        let m = msg.to_string(ctx).map(|s| s.to_std_string_escaped()).unwrap_or_default();
        if m.is_empty() {
            n
        } else {
            format!("{n}: {m}")
        }
    };
    let mut out = head;
    if let Some(s) = stack.as_string() {
        let s = s.to_std_string_escaped();
        for line in s.lines() {
            let l = line.trim();
            if l.is_empty() || l.ends_with(" (native)") || out.contains(l) && !l.starts_with("at ") {
                continue;
            }
            let l = if l.starts_with("at ") { l.to_string() } else { format!("at {l}") };
            out.push_str("\n    ");
            out.push_str(&l);
        }
    }
    let mut extra = Vec::new();
    for k in ["code", "errno", "syscall", "path", "dest"] {
        let v = get(ctx, k);
        if !v.is_undefined() {
            let shown = if let Some(s) = v.as_string() {
                format!("'{}'", s.to_std_string_escaped())
            } else {
                v.display().to_string()
            };
            extra.push(format!("  {k}: {shown}"));
        }
    }
    if !extra.is_empty() {
        out.push_str(" {\n");
        out.push_str(&extra.join(",\n"));
        out.push_str("\n}");
    }
    out
}
