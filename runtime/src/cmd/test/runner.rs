//! `rumpjs test`: discovers `*.test.js` files, runs each in a fresh kernel in its own child process
//! (`--jobs N` at once, a hard deadline per test), collects the events the child's test API emits, and
//! reports them (readable, or TAP version 13). The last line is always `N passed, N failed`
//! (`, N skipped` when any); the exit status is 1 if anything failed.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Prefix of the event lines a child writes to its stdout; anything else is the test's own output.
pub const EVENT_MARK: &str = "\u{1e}RUMPJS-TEST ";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reporter {
    Spec,
    Tap,
}

/// What `rumpjs test` was asked.
#[derive(Clone, Debug)]
pub struct TestOptions {
    pub paths: Vec<PathBuf>,
    pub filter: Option<String>,
    /// Per-test timeout in milliseconds (0: none).
    pub timeout_ms: u64,
    pub jobs: usize,
    pub reporter: Reporter,
    /// Arguments passed through to every child (images, grants).
    pub child_args: Vec<String>,
    /// Show the output of passing tests too.
    pub verbose: bool,
    pub color: bool,
}

#[derive(Clone, Debug, Default)]
pub struct TestError {
    pub name: String,
    pub message: String,
    pub stack: String,
    pub code: Option<String>,
    pub diff: Option<String>,
    pub actual: Option<String>,
    pub expected: Option<String>,
    pub operator: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Pass,
    Fail,
    Skip(String),
    Todo(String),
}

#[derive(Clone, Debug)]
pub struct TestResult {
    pub name: String,
    pub status: Status,
    pub duration_ms: f64,
    pub error: Option<TestError>,
    pub output: String,
}

/// Everything one file produced.
#[derive(Clone, Debug, Default)]
pub struct FileReport {
    pub file: PathBuf,
    pub results: Vec<TestResult>,
    /// Output before the first test or after the last (module top level, hooks).
    pub output: String,
    pub duration: Duration,
}

/// Finds `*.test.js` (and `*.test.mjs`) files: given files as they are, directories recursively (sorted;
/// node_modules, target and hidden directories skipped).
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    let roots: Vec<PathBuf> = if paths.is_empty() { vec![PathBuf::from("tests")] } else { paths.to_vec() };
    for p in &roots {
        let meta = std::fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
        if meta.is_dir() {
            walk(p, &mut out).map_err(|e| format!("{}: {e}", p.display()))?;
        } else {
            out.push(p.clone());
        }
    }
    if out.is_empty() {
        return Err(format!(
            "no test files (*.test.js) found in {}",
            roots.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name();
        let name = name.to_string_lossy();
        let path = e.path();
        let ft = e.file_type()?;
        if ft.is_dir() {
            if name.starts_with('.') || name == "node_modules" || name == "target" {
                continue;
            }
            walk(&path, out)?;
        } else if name.ends_with(".test.js") || name.ends_with(".test.mjs") {
            out.push(path);
        }
    }
    Ok(())
}

/// One parsed event line.
fn parse_event(line: &str) -> Option<serde_json::Value> {
    serde_json::from_str(line).ok()
}

fn error_from(v: &serde_json::Value) -> TestError {
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    TestError {
        name: s("name").unwrap_or_else(|| "Error".into()),
        message: s("message").unwrap_or_default(),
        stack: s("stack").unwrap_or_default(),
        code: s("code"),
        diff: s("diff"),
        actual: s("actual"),
        expected: s("expected"),
        operator: s("operator"),
    }
}

enum Msg {
    Line(String),
    Eof,
}

/// Runs one file in a child and gathers its report. The child is killed if a test runs past the
/// timeout by more than a grace period (a synchronous endless loop cannot be stopped from inside).
fn run_file(exe: &Path, file: &Path, opts: &TestOptions) -> FileReport {
    let started = Instant::now();
    let mut report = FileReport { file: file.to_path_buf(), ..Default::default() };
    let mut cmd = Command::new(exe);
    cmd.arg("test").arg("--child").arg(file);
    if let Some(f) = &opts.filter {
        cmd.arg("--filter").arg(f);
    }
    cmd.arg("--timeout").arg(format!("{}", opts.timeout_ms as f64 / 1000.0));
    cmd.args(&opts.child_args);
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child: Child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            report.results.push(file_failure(file, &format!("cannot start a test process: {e}")));
            return report;
        }
    };
    let (tx, rx) = mpsc::channel();
    if let Some(out) = child.stdout.take() {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                match line {
                    Ok(l) => {
                        if tx.send(Msg::Line(l)).is_err() {
                            return;
                        }
                    }
                    Err(_) => break,
                }
            }
            let _ = tx.send(Msg::Eof);
        });
    }
    let stderr_handle = child.stderr.take().map(|mut err| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        })
    });
    drop(tx);

    let grace = Duration::from_millis(5000);
    let hard = if opts.timeout_ms > 0 { Some(Duration::from_millis(opts.timeout_ms) + grace) } else { None };
    let mut running: Option<(String, Instant)> = None;
    let mut pending_output = String::new();
    // An unhandled rejection seen while a test runs fails that test.
    let mut unhandled: Option<TestError> = None;
    let mut ended = false;
    let mut killed: Option<String> = None;
    loop {
        let wait = match (&running, hard) {
            (Some((_, since)), Some(h)) => h.saturating_sub(since.elapsed()).max(Duration::from_millis(10)),
            _ => Duration::from_secs(3600),
        };
        match rx.recv_timeout(wait) {
            Ok(Msg::Line(l)) => {
                if let Some(json) = l.strip_prefix(EVENT_MARK) {
                    let Some(ev) = parse_event(json) else {
                        pending_output.push_str(&l);
                        pending_output.push('\n');
                        continue;
                    };
                    let ty = ev.get("type").and_then(|t| t.as_str()).unwrap_or("");
                    let name = ev.get("name").and_then(|t| t.as_str()).unwrap_or("").to_string();
                    let duration_ms = ev.get("duration").and_then(|d| d.as_f64()).unwrap_or(0.0);
                    let reason = ev.get("reason").and_then(|r| r.as_str()).unwrap_or("").to_string();
                    match ty {
                        "start" => {
                            if !pending_output.is_empty() {
                                report.output.push_str(&std::mem::take(&mut pending_output));
                            }
                            running = Some((name, Instant::now()));
                        }
                        "pass" | "fail" | "skip" | "todo" => {
                            let status = match ty {
                                "pass" => Status::Pass,
                                "fail" => Status::Fail,
                                "skip" => Status::Skip(reason),
                                _ => Status::Todo(reason),
                            };
                            let mut error = ev.get("error").filter(|e| e.is_object()).map(error_from);
                            let mut status = status;
                            if let Some(u) = unhandled.take() {
                                if matches!(status, Status::Pass | Status::Fail) {
                                    status = Status::Fail;
                                    error = error.or(Some(u));
                                }
                            }
                            report.results.push(TestResult {
                                name,
                                status,
                                duration_ms,
                                error,
                                output: std::mem::take(&mut pending_output),
                            });
                            running = None;
                        }
                        "load-error" => {
                            let error = ev.get("error").map(error_from);
                            report.results.push(TestResult {
                                name: format!("{} (loading the file)", file.display()),
                                status: Status::Fail,
                                duration_ms: 0.0,
                                error,
                                output: std::mem::take(&mut pending_output),
                            });
                        }
                        "unhandled" => {
                            let e = ev.get("error").map(error_from).unwrap_or_default();
                            if running.is_some() {
                                unhandled = Some(e);
                            } else {
                                report.results.push(TestResult {
                                    name: format!("{} (outside any test)", file.display()),
                                    status: Status::Fail,
                                    duration_ms: 0.0,
                                    error: Some(e),
                                    output: std::mem::take(&mut pending_output),
                                });
                            }
                        }
                        "end" => ended = true,
                        _ => {}
                    }
                } else {
                    pending_output.push_str(&l);
                    pending_output.push('\n');
                }
            }
            Ok(Msg::Eof) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let (Some((name, since)), Some(h)) = (&running, hard) {
                    if since.elapsed() >= h {
                        killed = Some(name.clone());
                        let _ = child.kill();
                    }
                }
            }
        }
    }
    let status = child.wait();
    let stderr = stderr_handle.and_then(|h| h.join().ok()).unwrap_or_default();
    if let Some(name) = killed {
        report.results.push(TestResult {
            name: name.clone(),
            status: Status::Fail,
            duration_ms: opts.timeout_ms as f64 + grace.as_millis() as f64,
            error: Some(TestError {
                name: "Error".into(),
                message: format!(
                    "test '{name}' did not finish within its {} ms timeout and was stopped (a synchronous loop \
                     cannot be interrupted); the rest of {} did not run",
                    opts.timeout_ms,
                    file.display()
                ),
                ..Default::default()
            }),
            output: std::mem::take(&mut pending_output),
        });
    } else if let Some((name, since)) = running.take() {
        // The file ended in the middle of a test (an uncatchable error such as a stack overflow, or
        // process.exit): that test failed.
        let mut msg = match &status {
            Ok(s) if s.success() => format!("the test process ended while '{name}' ran"),
            Ok(s) => format!("the test process ended ({s}) while '{name}' ran"),
            Err(e) => format!("the test process could not be waited for: {e}"),
        };
        if !stderr.trim().is_empty() {
            msg = format!("{}\n({msg})", stderr.trim_end());
        }
        report.results.push(TestResult {
            name,
            status: Status::Fail,
            duration_ms: since.elapsed().as_secs_f64() * 1000.0,
            error: Some(TestError { name: "Error".into(), message: msg, ..Default::default() }),
            output: std::mem::take(&mut pending_output),
        });
    } else if !ended
        || !matches!(&status, Ok(s) if s.success()) && !report.results.iter().any(|r| r.status == Status::Fail)
    {
        let why = match &status {
            Ok(s) if s.success() => "ended without finishing its tests".to_string(),
            Ok(s) => format!("exited with {s}"),
            Err(e) => format!("could not be waited for: {e}"),
        };
        let mut msg = format!("the test process for {} {why}", file.display());
        if !stderr.trim().is_empty() {
            msg.push_str(&format!("\n{}", stderr.trim_end()));
        }
        let mut r = file_failure(file, &msg);
        r.output = std::mem::take(&mut pending_output);
        report.results.push(r);
    } else if !stderr.trim().is_empty() {
        pending_output.push_str(&stderr);
    }
    report.output.push_str(&pending_output);
    report.duration = started.elapsed();
    report
}

fn file_failure(file: &Path, message: &str) -> TestResult {
    TestResult {
        name: file.display().to_string(),
        status: Status::Fail,
        duration_ms: 0.0,
        error: Some(TestError { name: "Error".into(), message: message.to_string(), ..Default::default() }),
        output: String::new(),
    }
}

/// Counts for the closing line.
#[derive(Default, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Totals {
    pub fn line(&self) -> String {
        let mut s = format!("{} passed, {} failed", self.passed, self.failed);
        if self.skipped > 0 {
            s.push_str(&format!(", {} skipped", self.skipped));
        }
        s
    }
}

struct Printer<'a, W: Write> {
    out: W,
    opts: &'a TestOptions,
    tap_n: usize,
    totals: Totals,
}

impl<W: Write> Printer<'_, W> {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.opts.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    fn file(&mut self, rep: &FileReport) -> std::io::Result<()> {
        let rel = rep.file.display().to_string();
        if self.opts.reporter == Reporter::Spec {
            writeln!(self.out, "{}", self.paint("1", &format!("▶ {rel}")))?;
        } else {
            writeln!(self.out, "# {rel}")?;
        }
        for r in &rep.results {
            match &r.status {
                Status::Pass => self.totals.passed += 1,
                Status::Fail => self.totals.failed += 1,
                Status::Skip(_) | Status::Todo(_) => self.totals.skipped += 1,
            }
            match self.opts.reporter {
                Reporter::Spec => self.spec_result(r)?,
                Reporter::Tap => self.tap_result(r, &rel)?,
            }
        }
        if self.opts.reporter == Reporter::Spec
            && !rep.output.trim().is_empty()
            && (self.opts.verbose || rep.results.iter().any(|r| r.status == Status::Fail))
        {
            writeln!(self.out, "  output:")?;
            for l in rep.output.lines() {
                writeln!(self.out, "  | {l}")?;
            }
        }
        Ok(())
    }

    fn spec_result(&mut self, r: &TestResult) -> std::io::Result<()> {
        let time = if r.duration_ms > 0.0 { format!(" ({:.1} ms)", r.duration_ms) } else { String::new() };
        match &r.status {
            Status::Pass => writeln!(self.out, "  {} {}{}", self.paint("32", "✔"), r.name, self.paint("2", &time))?,
            Status::Skip(why) => {
                writeln!(self.out, "  {} {} # SKIP{}", self.paint("33", "﹣"), r.name, opt_reason(why))?
            }
            Status::Todo(why) => {
                writeln!(self.out, "  {} {} # TODO{}", self.paint("33", "﹣"), r.name, opt_reason(why))?
            }
            Status::Fail => {
                writeln!(self.out, "  {} {}{}", self.paint("31", "✖"), self.paint("31", &r.name), time)?;
                if let Some(e) = &r.error {
                    let head = if e.message.starts_with(&e.name) {
                        e.message.clone()
                    } else {
                        format!("{}: {}", e.name, e.message)
                    };
                    for l in head.trim_end().lines() {
                        writeln!(self.out, "      {l}")?;
                    }
                    if let (Some(_), None) = (&e.operator, &e.diff) {
                        // The message already shows the values (Node's generated messages do).
                    }
                    if let Some(d) = &e.diff {
                        if !head.contains(d.lines().next().unwrap_or("\u{0}")) {
                            writeln!(self.out, "      + actual - expected")?;
                            for l in d.lines() {
                                writeln!(self.out, "      {l}")?;
                            }
                        }
                    }
                    if let Some(c) = &e.code {
                        if c != "ERR_ASSERTION" && !head.contains(c.as_str()) {
                            writeln!(self.out, "      code: {c}")?;
                        }
                    }
                    if let Some(loc) = location(&e.stack) {
                        writeln!(self.out, "      {}", self.paint("2", &format!("at {loc}")))?;
                    }
                }
                if !r.output.trim().is_empty() {
                    writeln!(self.out, "      output:")?;
                    for l in r.output.lines() {
                        writeln!(self.out, "      | {l}")?;
                    }
                }
            }
        }
        if self.opts.verbose && r.status != Status::Fail && !r.output.trim().is_empty() {
            for l in r.output.lines() {
                writeln!(self.out, "      | {l}")?;
            }
        }
        Ok(())
    }

    fn tap_result(&mut self, r: &TestResult, file: &str) -> std::io::Result<()> {
        self.tap_n += 1;
        let n = self.tap_n;
        let desc = tap_escape(&format!("{file} > {}", r.name));
        match &r.status {
            Status::Pass => writeln!(self.out, "ok {n} - {desc}")?,
            Status::Skip(why) => writeln!(self.out, "ok {n} - {desc} # SKIP{}", opt_reason(why))?,
            // TAP: a todo test that passes is "ok … # TODO", one that fails "not ok … # TODO".
            Status::Todo(why) => {
                let ok = if r.error.is_some() { "not ok" } else { "ok" };
                writeln!(self.out, "{ok} {n} - {desc} # TODO{}", opt_reason(why))?
            }
            Status::Fail => {
                writeln!(self.out, "not ok {n} - {desc}")?;
                writeln!(self.out, "  ---")?;
                if let Some(e) = &r.error {
                    writeln!(self.out, "  message: {}", yaml_str(&e.message))?;
                    writeln!(self.out, "  name: {}", yaml_str(&e.name))?;
                    if let Some(c) = &e.code {
                        writeln!(self.out, "  code: {}", yaml_str(c))?;
                    }
                    if let Some(op) = &e.operator {
                        writeln!(self.out, "  operator: {}", yaml_str(op))?;
                    }
                    if let Some(a) = &e.actual {
                        writeln!(self.out, "  actual: {}", yaml_str(a))?;
                    }
                    if let Some(x) = &e.expected {
                        writeln!(self.out, "  expected: {}", yaml_str(x))?;
                    }
                    if let Some(loc) = location(&e.stack) {
                        writeln!(self.out, "  at: {}", yaml_str(&loc))?;
                    }
                }
                writeln!(self.out, "  duration_ms: {:.3}", r.duration_ms)?;
                writeln!(self.out, "  ...")?;
            }
        }
        Ok(())
    }
}

fn opt_reason(why: &str) -> String {
    if why.is_empty() {
        String::new()
    } else {
        format!(" {why}")
    }
}

fn tap_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('#', "\\#").replace('\n', " ")
}

fn yaml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// The first stack frame that names a test file (file:line:column), skipping the runtime's own modules.
pub fn location(stack: &str) -> Option<String> {
    stack
        .lines()
        .map(str::trim)
        .map(|l| l.strip_prefix("at ").unwrap_or(l))
        .map(|l| {
            let inner = l.rsplit_once('(').map(|(_, r)| r.trim_end_matches(')')).unwrap_or(l);
            inner.to_string()
        })
        .find(|l| {
            l.contains(".js:") && !l.contains("rumpjs:") && !l.contains("/scripts/lib/") && !l.contains("/rumpjs/lib/")
        })
}

/// Runs every file and prints the report to `out`. Returns the totals.
pub fn run(exe: &Path, files: &[PathBuf], opts: &TestOptions, out: impl Write) -> std::io::Result<Totals> {
    let jobs = opts.jobs.max(1).min(files.len().max(1));
    let mut printer = Printer { out, opts, tap_n: 0, totals: Totals::default() };
    if opts.reporter == Reporter::Tap {
        writeln!(printer.out, "TAP version 13")?;
    }
    let (tx, rx) = mpsc::channel::<(usize, FileReport)>();
    let queue: std::sync::Arc<std::sync::Mutex<VecDeque<(usize, PathBuf)>>> =
        std::sync::Arc::new(std::sync::Mutex::new(files.iter().cloned().enumerate().collect()));
    let mut handles = Vec::new();
    for _ in 0..jobs {
        let q = queue.clone();
        let tx = tx.clone();
        let exe = exe.to_path_buf();
        let opts = opts.clone();
        handles.push(std::thread::spawn(move || loop {
            let next = q.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
            let Some((i, f)) = next else { break };
            let rep = run_file(&exe, &f, &opts);
            if tx.send((i, rep)).is_err() {
                break;
            }
        }));
    }
    drop(tx);
    // Print in discovery order, whatever order the files finish in.
    let mut done: Vec<Option<FileReport>> = vec![None; files.len()];
    let mut next = 0;
    for (i, rep) in rx {
        done[i] = Some(rep);
        while next < done.len() {
            match done[next].take() {
                Some(r) => {
                    printer.file(&r)?;
                    printer.out.flush()?;
                    next += 1;
                }
                None => break,
            }
        }
    }
    for h in handles {
        let _ = h.join();
    }
    if opts.reporter == Reporter::Tap {
        writeln!(printer.out, "1..{}", printer.tap_n)?;
    }
    let totals = printer.totals;
    writeln!(printer.out, "{}", totals.line())?;
    Ok(totals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_line() {
        assert_eq!(Totals { passed: 3, failed: 1, skipped: 0 }.line(), "3 passed, 1 failed");
        assert_eq!(Totals { passed: 0, failed: 0, skipped: 2 }.line(), "0 passed, 0 failed, 2 skipped");
    }

    #[test]
    fn stack_locations() {
        let s = "AssertionError: x\n    at <anonymous> (rumpjs:assert:10:5)\n    at foo (/src/tests/a.test.js:12:7)\n";
        assert_eq!(location(s).as_deref(), Some("/src/tests/a.test.js:12:7"));
        assert_eq!(location("Error: x").as_deref(), None);
    }
}
