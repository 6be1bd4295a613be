//! Tests of `rumpjs test` itself, on the fixture files in tests/runner-fixtures/ (named `*.js`, not
//! `*.test.js`, so that discovery never picks them up; they are passed to the runner by name): failures
//! and their report (expected/actual, file:line), thrown errors and rejected promises, skip/only/todo,
//! --filter, timeouts (asynchronous, and a synchronous endless loop stopped from outside), hooks, TAP
//! output, the closing line, --jobs, files that do not parse, and that no test process outlives a run.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_rumpjs");

fn runner_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/runner-fixtures")
}

/// `rumpjs test ARGS…` run from tests/runner-fixtures (so reports name the fixtures by their short paths).
fn rumpjs_test(args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(runner_dir())
        .arg("test")
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run rumpjs test")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn last_line(o: &Output) -> String {
    out(o).lines().last().unwrap_or("").to_string()
}

/// Everything of a run worth a failure message.
fn show(o: &Output) -> String {
    format!("exit {}\nstdout:\n{}\nstderr:\n{}", code(o), out(o), err(o))
}

/// The line of the report that names `test`, and the lines under it up to the next test.
fn block<'a>(report: &'a str, test: &str) -> Vec<&'a str> {
    let lines: Vec<&str> = report.lines().collect();
    let start = lines
        .iter()
        .position(|l| {
            let t = l.trim_start();
            ["✔ ", "✖ ", "﹣ "].iter().any(|m| t.strip_prefix(m).is_some_and(|name| name.starts_with(test)))
        })
        .unwrap_or_else(|| panic!("no test {test:?} in the report:\n{report}"));
    let mut v = vec![lines[start]];
    for l in &lines[start + 1..] {
        if l.starts_with("    ") {
            v.push(l);
        } else {
            break;
        }
    }
    v
}

/// Line number of the first line of runner-fixtures/FILE containing `needle` (1-based).
fn line_of(file: &str, needle: &str) -> usize {
    let text = std::fs::read_to_string(runner_dir().join(file)).unwrap();
    text.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("{needle:?} not in {file}")) + 1
}

#[test]
fn a_failing_assertion_fails_the_run_with_expected_actual_and_file_line() {
    let o = rumpjs_test(&["fail_assert.js"]);
    let report = out(&o);
    assert_eq!(code(&o), 1, "{}", show(&o));
    assert_eq!(last_line(&o), "1 passed, 3 failed", "{}", show(&o));
    assert!(block(&report, "adds up")[0].contains('✔'), "{report}");

    let b = block(&report, "strictEqual fails").join("\n");
    assert!(b.contains('✖'), "{b}");
    assert!(b.contains("AssertionError: Expected values to be strictly equal"), "{b}");
    assert!(b.contains("2 !== 3"), "expected/actual shown:\n{b}");
    let line = line_of("fail_assert.js", "assert.strictEqual(1 + 1, 3)");
    assert!(b.contains(&format!("fail_assert.js:{line}:")), "file:line {line} of the assertion:\n{b}");

    let b = block(&report, "deepStrictEqual fails").join("\n");
    assert!(b.contains("+ actual - expected"), "{b}");
    assert!(b.contains("+     3") && b.contains("-     4"), "the differing element, actual and expected:\n{b}");
    let line = line_of("fail_assert.js", "assert.deepStrictEqual(");
    assert!(b.contains(&format!("fail_assert.js:{line}:")), "{b}");

    // The output of a failing test is shown with it.
    let b = block(&report, "output of a failing test is shown").join("\n");
    assert!(b.contains("it was false"), "{b}");
    assert!(b.contains("| some output before the failure"), "{b}");
}

#[test]
fn thrown_errors_and_rejected_promises_fail_their_tests() {
    let o = rumpjs_test(&["throws.js"]);
    let report = out(&o);
    assert_eq!(code(&o), 1, "{}", show(&o));
    assert_eq!(last_line(&o), "3 passed, 6 failed", "{}", show(&o));
    for (name, message) in [
        ("throws", "Error: boom"),
        ("returns a rejected promise", "Error: rejected on purpose"),
        ("async function throws later", "TypeError: late failure"),
        ("callback with an error", "Error: callback error"),
        ("throws a non-error", "42"),
        ("kernel error", "ENOENT: no such file or directory, open '/nonexistent/file'"),
    ] {
        let b = block(&report, name).join("\n");
        assert!(b.contains('✖'), "{name} failed:\n{report}");
        assert!(b.contains(message), "{name} shows {message:?}:\n{b}");
    }
    for name in ["passes", "async passes", "callback passes"] {
        assert!(block(&report, name)[0].contains('✔'), "{name} passed:\n{report}");
    }
}

/// Boa's Error.stack has no "Name: message" first line (V8's has): its first line is the throw site, and
/// the report must show it (b3f75a2 fixed location() skipping it).
#[test]
fn a_thrown_error_shows_file_and_line() {
    let o = rumpjs_test(&["throws.js"]);
    let b = block(&out(&o), "throws").join("\n");
    let line = line_of("throws.js", "throw new Error('boom')");
    assert!(b.contains(&format!("throws.js:{line}:")), "{b}");
}

#[test]
fn skip_todo_and_skipped_suites() {
    let o = rumpjs_test(&["modifiers.js"]);
    let report = out(&o);
    assert_eq!(code(&o), 0, "{}", show(&o));
    assert_eq!(last_line(&o), "1 passed, 0 failed, 6 skipped", "{}", show(&o));
    assert!(block(&report, "skipped # SKIP")[0].ends_with("skipped # SKIP"), "{report}");
    assert!(block(&report, "skipped by option")[0].ends_with("# SKIP not on this kernel"), "{report}");
    assert!(block(&report, "not written yet")[0].ends_with("# TODO"), "{report}");
    // A todo test runs, but its failure does not fail the run. (Its reason, { todo: 'known bug' }, is not
    // shown: test.js reports only a reason given with t.todo().)
    assert!(block(&report, "todo that fails")[0].contains("# TODO"), "{report}");
    assert!(block(&report, "skips itself")[0].ends_with("# SKIP decided at run time"), "{report}");
    assert!(block(&report, "skipped suite > inside")[0].ends_with("# SKIP"), "{report}");
    assert!(!report.contains("ran"), "a skipped test ran:\n{report}");
}

#[test]
fn only_runs_the_only_tests() {
    let o = rumpjs_test(&["only.js"]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    assert_eq!(last_line(&o), "4 passed, 0 failed", "{}", show(&o));
    let report = out(&o);
    for name in ["this one", "suite > but this", "only suite > all of it", "only suite > really all"] {
        assert!(block(&report, name)[0].contains('✔'), "{report}");
    }
    assert!(!report.contains("not this"), "{report}");
}

#[test]
fn filter_by_substring_and_regex() {
    for (filter, want, names) in [
        ("alpha", "2 passed, 0 failed", &["alpha one", "alpha two"][..]),
        ("/^beta$/", "1 passed, 0 failed", &["beta"][..]),
        ("/one/i", "2 passed, 0 failed", &["alpha one", "group > ONE more"][..]),
        // The full name is "suite > test".
        ("group > gamma", "1 passed, 0 failed", &["group > gamma"][..]),
        ("/^group > /", "2 passed, 0 failed", &["group > gamma", "group > ONE more"][..]),
        ("nothing matches", "0 passed, 0 failed", &[][..]),
    ] {
        let o = rumpjs_test(&["--filter", filter, "filter.js"]);
        assert_eq!(code(&o), 0, "--filter {filter}: {}", show(&o));
        assert_eq!(last_line(&o), want, "--filter {filter}: {}", show(&o));
        let report = out(&o);
        let ran: Vec<String> =
            report.lines().filter_map(|l| l.trim_start().strip_prefix("✔ ")).map(without_times).collect();
        assert_eq!(ran, names, "--filter {filter}:\n{report}");
    }
}

#[test]
fn async_tests_past_their_timeout_fail_and_the_rest_run() {
    let t0 = Instant::now();
    let o = rumpjs_test(&["--timeout", "0.5", "timeout.js"]);
    let report = out(&o);
    assert_eq!(code(&o), 1, "{}", show(&o));
    assert_eq!(last_line(&o), "1 passed, 3 failed", "{}", show(&o));
    let b = block(&report, "too slow").join("\n");
    assert!(b.contains("timed out after 500 ms"), "{b}");
    // A test's own { timeout } wins over --timeout.
    let b = block(&report, "own timeout").join("\n");
    assert!(b.contains("timed out after 50 ms"), "{b}");
    assert!(block(&report, "callback never called").join("\n").contains("timed out after 500 ms"), "{report}");
    assert!(block(&report, "quick")[0].contains('✔'), "{report}");
    // The failures come when the timeouts expire, not when the tests' 3 s timers do.
    for name in ["too slow", "callback never called"] {
        let l = block(&report, name)[0];
        let ms: f64 =
            l.rsplit_once('(').and_then(|(_, r)| r.strip_suffix(" ms)")).and_then(|n| n.parse().ok()).unwrap();
        assert!((450.0..2500.0).contains(&ms), "{name} took {ms} ms: {l}");
    }
    assert!(t0.elapsed() < Duration::from_secs(30), "took {:?}", t0.elapsed());
}

/// The timers a timed-out test leaves behind do not keep its file's process alive once every test has
/// run (the runner's hard deadline applies only while a test runs): a test waiting for a 60 s timer with a
/// 0.5 s timeout does not make the run last 60 s.
#[test]
fn a_timed_out_test_does_not_keep_the_run_waiting_for_its_timers() {
    let t0 = Instant::now();
    let o = rumpjs_test(&["--timeout", "0.5", "lasting_timer.js"]);
    assert_eq!(last_line(&o), "0 passed, 1 failed", "{}", show(&o));
    assert!(t0.elapsed() < Duration::from_secs(15), "took {:?}", t0.elapsed());
}

/// Processes running `rumpjs test --child FILE` in the fixture directory, as `rumpjs_test` starts them (a
/// zombie shows neither its command line nor its directory, and is gone once reaped).
fn children_running(file: &str) -> Vec<String> {
    let dir = runner_dir().canonicalize().unwrap();
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        if !e.file_name().to_string_lossy().chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let Ok(cmd) = std::fs::read(e.path().join("cmdline")) else { continue };
        let args: Vec<String> = cmd.split(|&b| b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
        let here = std::fs::read_link(e.path().join("cwd")).is_ok_and(|c| c == dir);
        if here && args.iter().any(|a| a == "--child") && args.iter().any(|a| a == file) {
            found.push(format!("{}: {}", e.file_name().to_string_lossy(), args.join(" ")));
        }
    }
    found
}

#[test]
fn a_synchronous_endless_loop_is_stopped_and_reported_and_no_process_lingers() {
    let t0 = Instant::now();
    let o = rumpjs_test(&["--timeout", "0.3", "loop.js"]);
    let took = t0.elapsed();
    let report = out(&o);
    assert_eq!(code(&o), 1, "{}", show(&o));
    assert_eq!(last_line(&o), "1 passed, 1 failed", "{}", show(&o));
    assert!(block(&report, "before the loop")[0].contains('✔'), "{report}");
    let b = block(&report, "spins forever").join("\n");
    assert!(b.contains("did not finish within its 300 ms timeout and was stopped"), "{b}");
    assert!(b.contains("the rest of loop.js did not run"), "{b}");
    assert!(!report.contains("never reached"), "{report}");
    // Stopped at the timeout plus the runner's grace (5 s), not later.
    assert!(took < Duration::from_secs(15), "took {took:?}");
    assert_eq!(children_running("loop.js"), Vec::<String>::new(), "a test process outlived the run");
}

#[test]
fn process_exit_inside_a_test_is_a_failure_of_its_file() {
    let o = rumpjs_test(&["exits.js", "pass.js"]);
    let report = out(&o);
    assert_eq!(code(&o), 1, "{}", show(&o));
    assert_eq!(last_line(&o), "5 passed, 1 failed", "{}", show(&o));
    assert!(block(&report, "first")[0].contains('✔'), "{report}");
    // Reported as a failure of the test that ran, or of the file: either way it says the process ended.
    let failed = report.lines().find(|l| l.trim_start().starts_with("✖ ")).expect("a failure");
    assert!(failed.contains("exits the process") || failed.contains("exits.js"), "{report}");
    let b = block(&report, failed.trim_start().strip_prefix("✖ ").unwrap()).join("\n");
    assert!(b.contains("ended"), "{b}");
    assert!(!report.contains("never run"), "{report}");
}

/// A stack overflow cannot be caught in Boa: it ends the file's process in the middle of a test, which must
/// fail with the RangeError, and so must the run (before b3f75a2 the test vanished and the run passed).
#[test]
fn a_stack_overflow_fails_its_test_and_the_run() {
    let o = rumpjs_test(&["recursion.js"]);
    assert_eq!(code(&o), 1, "{}", show(&o));
    let b = block(&out(&o), "recurses forever").join("\n");
    assert!(b.contains('✖') && b.contains("Maximum call stack size exceeded"), "{b}");
}

/// An unhandled rejection fails the test it happens in (as `rumpjs run` exits 1 on one, and Node's runner
/// fails the test that left it).
#[test]
fn an_unhandled_rejection_is_reported() {
    let o = rumpjs_test(&["unhandled.js"]);
    assert_eq!(code(&o), 1, "{}", show(&o));
    assert!(out(&o).contains("nobody catches me"), "{}", show(&o));
}

#[test]
fn hooks_run_in_order_and_a_failing_before_hook_fails_its_suite() {
    let o = rumpjs_test(&["--show-output", "hooks.js"]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    assert_eq!(last_line(&o), "3 passed, 0 failed", "{}", show(&o));
    // The file's after hook compared the whole log (it would have failed the run otherwise).
    assert!(out(&o).contains("hook order checked"), "{}", show(&o));

    let o = rumpjs_test(&["before_fail.js"]);
    let report = out(&o);
    assert_eq!(code(&o), 1, "{}", show(&o));
    assert_eq!(last_line(&o), "1 passed, 2 failed", "{}", show(&o));
    for name in ["broken setup > a", "broken setup > b"] {
        let b = block(&report, name).join("\n");
        assert!(b.contains('✖') && b.contains("Error: setup broke"), "{b}");
    }
    assert!(block(&report, "outside")[0].contains('✔'), "{report}");
}

#[test]
fn a_file_that_does_not_parse_is_a_failure_of_that_file() {
    let o = rumpjs_test(&["syntax_error.js", "pass.js"]);
    let report = out(&o);
    assert_eq!(code(&o), 1, "{}", show(&o));
    assert_eq!(last_line(&o), "4 passed, 1 failed", "{}", show(&o));
    let b = block(&report, "syntax_error.js (loading the file)").join("\n");
    assert!(b.contains('✖') && b.contains("SyntaxError"), "{b}");
    assert!(b.contains("line 5"), "where: {b}");
    assert!(!report.contains("never registered"), "{report}");
}

#[test]
fn the_closing_line_is_exact() {
    let o = rumpjs_test(&["pass.js"]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    assert!(out(&o).ends_with("\n4 passed, 0 failed\n"), "{}", show(&o));
    let o = rumpjs_test(&["pass.js", "modifiers.js"]);
    assert!(out(&o).ends_with("\n5 passed, 0 failed, 6 skipped\n"), "{}", show(&o));
    let o = rumpjs_test(&["--reporter", "tap", "fail_assert.js"]);
    assert_eq!(code(&o), 1, "{}", show(&o));
    assert!(out(&o).ends_with("\n1..4\n1 passed, 3 failed\n"), "{}", show(&o));
    // Nothing to run: a usage error, not a pass.
    let o = rumpjs_test(&["no-such-file.js"]);
    assert_eq!(code(&o), 2, "{}", show(&o));
}

/// A test line of TAP version 13.
#[derive(Debug)]
struct TapTest {
    ok: bool,
    n: usize,
    desc: String,
    directive: Option<String>,
    yaml: Vec<(String, serde_json::Value)>,
}

/// Parses TAP version 13 strictly enough to catch what a consumer would trip on: the version line, test
/// lines numbered in order, YAML blocks ("  ---" … "  ...") of `key: value` with JSON-compatible scalars
/// under the test they describe, comments, and one plan matching the count. Lines that are none of those
/// (the runner's closing line) are allowed as TAP allows unknown lines.
fn parse_tap(text: &str) -> (Vec<TapTest>, usize) {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("TAP version 13"));
    let mut tests: Vec<TapTest> = Vec::new();
    let mut plan = None;
    let mut in_yaml = false;
    for l in lines {
        if in_yaml {
            if l == "  ..." {
                in_yaml = false;
                continue;
            }
            let (k, v) =
                l.strip_prefix("  ").and_then(|kv| kv.split_once(": ")).unwrap_or_else(|| panic!("YAML line {l:?}"));
            let v: serde_json::Value = serde_json::from_str(v).unwrap_or_else(|e| panic!("YAML value {v:?}: {e}"));
            tests.last_mut().expect("YAML after a test").yaml.push((k.to_string(), v));
            continue;
        }
        if l == "  ---" {
            assert!(!tests.is_empty() && tests.last().unwrap().yaml.is_empty(), "a YAML block must follow a test");
            in_yaml = true;
        } else if let Some(p) = l.strip_prefix("1..") {
            assert!(plan.is_none(), "two plans");
            plan = Some(p.parse::<usize>().expect("plan count"));
        } else if l.starts_with('#') {
        } else if l.starts_with("ok ") || l.starts_with("not ok ") {
            let ok = l.starts_with("ok ");
            let rest = l.strip_prefix(if ok { "ok " } else { "not ok " }).unwrap();
            let (num, rest) = rest.split_once(' ').unwrap_or((rest, ""));
            let n: usize = num.parse().expect("test number");
            assert_eq!(n, tests.len() + 1, "tests numbered in order: {l}");
            let rest = rest.strip_prefix("- ").unwrap_or(rest);
            // A directive follows an unescaped " # ".
            let mut desc = rest.to_string();
            let mut directive = None;
            let bytes = rest.as_bytes();
            for i in 0..bytes.len() {
                if rest[i..].starts_with(" # ") && (i == 0 || bytes[i - 1] != b'\\') {
                    desc = rest[..i].to_string();
                    directive = Some(rest[i + 3..].to_string());
                    break;
                }
            }
            tests.push(TapTest { ok, n, desc, directive, yaml: Vec::new() });
        } else {
            assert!(plan.is_some(), "only the closing line may follow the plan, and nothing unknown before it: {l:?}");
        }
    }
    assert!(!in_yaml, "unterminated YAML block");
    let plan = plan.expect("a plan");
    assert_eq!(plan, tests.len(), "the plan counts the tests");
    (tests, plan)
}

#[test]
fn tap_output_parses() {
    let o = rumpjs_test(&["--reporter", "tap", "fail_assert.js", "modifiers.js", "pass.js", "throws.js"]);
    assert_eq!(code(&o), 1, "{}", show(&o));
    let text = out(&o);
    let (tests, plan) = parse_tap(&text);
    assert_eq!(plan, 4 + 7 + 4 + 9);
    let by = |d: &str| tests.iter().find(|t| t.desc == d).unwrap_or_else(|| panic!("no {d:?} in\n{text}"));
    assert!(by("fail_assert.js > adds up").ok);
    let f = by("fail_assert.js > strictEqual fails");
    assert!(!f.ok && f.directive.is_none());
    let get = |t: &TapTest, k: &str| t.yaml.iter().find(|(kk, _)| kk == k).map(|(_, v)| v.clone());
    assert_eq!(get(f, "actual"), Some(serde_json::json!("2")));
    assert_eq!(get(f, "expected"), Some(serde_json::json!("3")));
    assert_eq!(get(f, "operator"), Some(serde_json::json!("strictEqual")));
    let line = line_of("fail_assert.js", "assert.strictEqual(1 + 1, 3)");
    let at = get(f, "at").and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    assert!(at.contains(&format!("fail_assert.js:{line}:")), "{at}");
    assert!(get(f, "duration_ms").is_some());
    assert_eq!(by("modifiers.js > skipped by option").directive.as_deref(), Some("SKIP not on this kernel"));
    assert!(by("modifiers.js > skipped by option").ok);
    assert_eq!(by("modifiers.js > not written yet").directive.as_deref(), Some("TODO"));
    assert_eq!(tests.iter().filter(|t| !t.ok && t.directive.is_none()).count(), 3 + 6);
    assert_eq!(tests.iter().map(|t| t.n).collect::<Vec<_>>(), (1..=plan).collect::<Vec<_>>());
    assert_eq!(last_line(&o), "9 passed, 9 failed, 6 skipped");

    // A TAP consumer agrees, when Perl's prove is there (it is on the CI image and on Debian with perl).
    let saved = Path::new(env!("CARGO_TARGET_TMPDIR")).join("test_runner-tap.out");
    std::fs::write(&saved, &text).unwrap();
    match Command::new("prove").arg("--exec").arg("cat").arg(&saved).output() {
        Ok(p) => {
            let s = String::from_utf8_lossy(&p.stdout);
            assert!(s.contains(&format!("Tests: {plan} Failed: 9")), "prove:\n{s}");
            assert!(s.contains("Result: FAIL"), "prove:\n{s}");
            let o = rumpjs_test(&["--reporter", "tap", "pass.js", "modifiers.js"]);
            std::fs::write(&saved, out(&o)).unwrap();
            let p = Command::new("prove").arg("--exec").arg("cat").arg(&saved).output().unwrap();
            let s = String::from_utf8_lossy(&p.stdout);
            assert!(p.status.success() && s.contains("Result: PASS"), "prove:\n{s}");
        }
        Err(e) => eprintln!("prove not found ({e}): the TAP output was checked by this test's own parser only"),
    }
}

/// A report without its timings, which differ from run to run.
fn without_times(s: &str) -> String {
    s.lines()
        .map(|l| match l.rfind(" (") {
            Some(i) if l.ends_with(" ms)") => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn jobs_2_gives_the_report_of_jobs_1() {
    let files = ["pass.js", "fail_assert.js", "modifiers.js", "pass2.js", "hooks.js", "before_fail.js", "throws.js"];
    let run = |jobs: &str| {
        let mut args = vec!["--jobs", jobs];
        args.extend(files);
        rumpjs_test(&args)
    };
    let one = run("1");
    let two = run("2");
    assert_eq!(code(&one), 1);
    assert_eq!(code(&two), 1);
    assert_eq!(
        without_times(&out(&two)),
        without_times(&out(&one)),
        "--jobs 2:\n{}\n--jobs 1:\n{}",
        out(&two),
        out(&one)
    );
    // Files are reported in the order given, each under its name.
    let report = out(&one);
    let order: Vec<usize> = files.iter().map(|f| report.find(&format!("▶ {f}")).expect(f)).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{report}");
    let tap1 = rumpjs_test(&["--reporter", "tap", "--jobs", "1", "pass.js", "throws.js", "pass2.js"]);
    let tap2 = rumpjs_test(&["--reporter", "tap", "--jobs", "2", "pass.js", "throws.js", "pass2.js"]);
    let strip = |s: String| s.lines().filter(|l| !l.starts_with("  duration_ms:")).collect::<Vec<_>>().join("\n");
    assert_eq!(strip(out(&tap2)), strip(out(&tap1)));
}

#[test]
fn each_file_runs_in_a_fresh_kernel() {
    // pass.js checks /tmp is empty and leaves a file there; pass2.js is the same test.
    let o = rumpjs_test(&["--jobs", "1", "pass.js", "pass2.js"]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    assert_eq!(last_line(&o), "8 passed, 0 failed");
}

/// The runner grants the test's own directory so that fixture images beside a test mount without a
/// grant; the grant is read-only (images read-only or as an overlay, never written in place): a test can
/// neither mount an image beside it read-write nor write there with rump.host.copyOut. (Run on a scratch
/// copy, so that a regression never writes a committed image.)
#[test]
fn the_test_directory_is_readable_not_writable() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("test_runner-grant");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let image = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vfs/fixtures/ufs1-le.img");
    let before = std::fs::read(&image).unwrap();
    std::fs::write(dir.join("image.img"), &before).unwrap();
    std::fs::copy(runner_dir().join("grant.js"), dir.join("grant.js")).unwrap();
    let o = Command::new(BIN).current_dir(&dir).args(["test", "grant.js"]).output().unwrap();
    assert_eq!(std::fs::read(dir.join("image.img")).unwrap(), before, "the image beside the test was written");
    assert!(!dir.join("written-by-a-test").exists(), "copyOut wrote beside the test");
    assert_eq!(code(&o), 0, "{}", show(&o));
}

/// `--image`: every file gets the image on /ffs in a kernel of its own. Read-only by default (a write is
/// EROFS); with `--overlay` writes succeed, no file sees another's, and the image file is unchanged; with
/// `--rw` (on a scratch copy) the write reaches the image, so a later run sees it.
#[test]
fn images_from_the_command_line_read_only_overlay_and_read_write() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("test_runner-image");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vfs/fixtures/ufs2-be.img");
    let image = dir.join("scratch.img");
    let before = std::fs::read(&fixture).unwrap();
    std::fs::write(&image, &before).unwrap();
    for f in ["a.js", "b.js"] {
        std::fs::copy(runner_dir().join("image.js"), dir.join(f)).unwrap();
    }
    let run = |extra: &[&str]| {
        Command::new(BIN)
            .current_dir(&dir)
            .arg("test")
            .args(["--image", image.to_str().unwrap(), "--show-output"])
            .args(extra)
            .args(["a.js", "b.js"])
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };

    let o = run(&[]);
    assert_eq!(code(&o), 1, "{}", show(&o));
    assert_eq!(last_line(&o), "2 passed, 2 failed", "{}", show(&o));
    assert!(out(&o).contains("/ffs readonly=true"), "{}", show(&o));
    assert!(out(&o).contains("EROFS"), "{}", show(&o));
    assert!(std::fs::read(&image).unwrap() == before, "a read-only run changed the image");

    let o = run(&["--overlay"]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    assert_eq!(last_line(&o), "4 passed, 0 failed", "each file its own overlay:\n{}", show(&o));
    assert!(out(&o).contains("/ffs readonly=false"), "{}", show(&o));
    assert!(std::fs::read(&image).unwrap() == before, "an overlay run changed the image");

    let o = run(&["--rw", "--jobs", "1"]);
    assert_eq!(code(&o), 1, "the write of a.js is in the image when b.js runs:\n{}", show(&o));
    assert_eq!(last_line(&o), "3 passed, 1 failed", "{}", show(&o));
    assert!(out(&o).contains("a write of an earlier file or run is seen"), "{}", show(&o));
    assert!(std::fs::read(&image).unwrap() != before, "--rw did not write the image");
    let f = Command::new(BIN).args(["fsck", "-n", image.to_str().unwrap()]).output().unwrap();
    assert_eq!(code(&f), 0, "the image --rw left is not clean:\n{}", show(&f));
}

/// A failed `await assert.rejects(…)` or `doesNotReject` names the test's own file:line, though it fails
/// after an await, where the stack shows only the assert module.
#[test]
fn async_assertion_failures_show_file_and_line() {
    let o = rumpjs_test(&["rejects.js"]);
    assert_eq!(code(&o), 1, "{}", show(&o));
    assert_eq!(last_line(&o), "0 passed, 3 failed", "{}", show(&o));
    let report = out(&o);
    for (name, needle, what) in [
        ("rejects without a rejection", "Promise.resolve(1)", "Missing expected rejection."),
        ("rejects with another code", "code: 'EACCES'", "EACCES"),
        ("doesNotReject with a rejection", "assert.doesNotReject(", "Got unwanted rejection."),
    ] {
        let b = block(&report, name).join("\n");
        assert!(b.contains(what), "{name}:\n{b}");
        let line = line_of("rejects.js", needle);
        assert!(b.contains(&format!("rejects.js:{line}:")), "{name}: no rejects.js:{line}:\n{b}");
    }
}
