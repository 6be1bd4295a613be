//! The line editor of the rumpjs REPL, on rustyline. It knows an [`Evaluator`] — something that evaluates
//! input, says whether input is complete, and offers completions — and nothing of Boa or the kernel.

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::ExternalPrinter;
use rustyline::{CompletionType, Config, Context, EditMode, Editor, Helper};
use std::borrow::Cow;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Whether an input can be evaluated yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completeness {
    /// Evaluate it (it may still be wrong: the evaluator reports the error).
    Complete,
    /// Unfinished statement: read another line.
    Incomplete,
}

/// What an evaluation produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A value or command output to print (already formatted).
    Output(String),
    /// An error to print (already formatted); the session goes on.
    Error(String),
    /// Nothing to print.
    Silent,
    /// Leave the REPL with this exit code.
    Exit(i32),
}

/// The language side of a REPL.
pub trait Evaluator {
    /// Evaluates one complete input (possibly several lines).
    fn eval(&mut self, input: &str) -> Outcome;
    /// Whether `input` is complete (called as the user presses Enter).
    fn check(&mut self, input: &str) -> Completeness;
    /// Completions for `line` with the cursor at `pos`: where the completed word starts, and the
    /// candidates that replace it.
    fn complete(&mut self, line: &str, pos: usize) -> (usize, Vec<String>);
    /// The prompt for a new input.
    fn prompt(&mut self) -> String {
        "> ".to_string()
    }
    /// When background work (timers) next wants to run while the prompt waits; `None`: nothing pending.
    fn next_background(&mut self) -> Option<Instant> {
        None
    }
    /// Runs the background work that is due; returns what it printed, shown above the prompt.
    fn run_background(&mut self) -> String {
        String::new()
    }
    /// The input has ended (Ctrl-D, end of a piped stdin): finish pending work before leaving.
    fn at_end(&mut self) -> String {
        String::new()
    }
}

/// REPL settings.
pub struct ReplOptions {
    /// Where history is kept between sessions (None: no history file).
    pub history: Option<PathBuf>,
    /// Most entries kept.
    pub history_size: usize,
    /// Use colours (defaults to whether stdout is a terminal).
    pub color: bool,
    /// Called (on the editor's thread) each time Ctrl-C is pressed at the prompt, even while the evaluator
    /// is busy with background work and cannot answer.
    pub on_interrupt: Option<Arc<dyn Fn() + Send + Sync>>,
    /// Whether an input is complete, answered on the editor's thread (Enter never waits for an evaluator
    /// busy with a timer); `None`: ask the evaluator.
    pub check: Option<CheckFn>,
}

/// See [`ReplOptions::check`].
pub type CheckFn = Arc<dyn Fn(&str) -> Completeness + Send + Sync>;

impl Default for ReplOptions {
    fn default() -> ReplOptions {
        ReplOptions {
            history: default_history_path(),
            history_size: 1000,
            color: std::io::stdout().is_terminal(),
            on_interrupt: None,
            check: None,
        }
    }
}

/// `$XDG_STATE_HOME/rumpjs/history`, else `~/.local/state/rumpjs/history`.
pub fn default_history_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
    Some(base.join("rumpjs").join("history"))
}

/// What the editor's thread asks of the evaluator's.
enum Request {
    Complete(String, usize, Sender<(usize, Vec<String>)>),
    Check(String, Sender<Completeness>),
    /// A line read (or why none was).
    Line(Result<String, ReadlineError>),
    /// Where output that arrives while a prompt is shown goes (the printer thread; None: not a terminal).
    Printer(Option<Sender<String>>),
}

/// What the evaluator's thread tells the editor's.
enum Command {
    Read(String),
    Stop,
}

/// The editor's helper: completion and the Enter check are answered by the evaluator, on its thread.
struct ReplHelper {
    to_eval: Sender<Request>,
    color: bool,
    check: Option<CheckFn>,
}

impl ReplHelper {
    /// Asks the evaluator, waiting at most `wait` (it may be busy running a timer: the editor must not hang
    /// on it with the terminal in raw mode, where Ctrl-C is only a key).
    fn ask<T>(&self, make: impl FnOnce(Sender<T>) -> Request, wait: Duration) -> Option<T> {
        let (tx, rx) = channel();
        self.to_eval.send(make(tx)).ok()?;
        rx.recv_timeout(wait).ok()
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let (start, cands) = self
            .ask(|tx| Request::Complete(line.to_string(), pos, tx), Duration::from_millis(500))
            .unwrap_or((pos, Vec::new()));
        Ok((start, cands.into_iter().map(|c| Pair { display: c.clone(), replacement: c }).collect()))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Highlighter for ReplHelper {
    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(&'s self, prompt: &'p str, default: bool) -> Cow<'b, str> {
        if self.color && default {
            Cow::Owned(format!("\x1b[1;32m{prompt}\x1b[0m"))
        } else {
            Cow::Borrowed(prompt)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        false
    }
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        let answer = match &self.check {
            Some(check) => Some(check(ctx.input())),
            None => self.ask(|tx| Request::Check(ctx.input().to_string(), tx), Duration::from_secs(2)),
        };
        Ok(match answer {
            Some(Completeness::Incomplete) => ValidationResult::Incomplete,
            _ => ValidationResult::Valid(None),
        })
    }
}

impl Helper for ReplHelper {}

/// The editor's thread: reads a line each time it is told to, keeps the history.
fn editor_thread(
    opts: &ReplOptions,
    to_eval: Sender<Request>,
    commands: Receiver<Command>,
) -> Result<(), ReadlineError> {
    let config = Config::builder()
        .history_ignore_space(true)
        .max_history_size(opts.history_size)?
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .edit_mode(EditMode::Emacs)
        .build();
    let mut rl: Editor<ReplHelper, DefaultHistory> = Editor::with_config(config)?;
    rl.set_helper(Some(ReplHelper { to_eval: to_eval.clone(), color: opts.color, check: opts.check.clone() }));
    if let Some(h) = &opts.history {
        let _ = rl.load_history(h);
    }
    // The printer lives on a thread of its own: rustyline's print waits for the editor to take the previous
    // message, which the evaluator must never do (the editor may be waiting for the evaluator).
    let printer = rl.create_external_printer().ok().and_then(|mut p| {
        let (tx, rx) = channel::<String>();
        std::thread::Builder::new()
            .name("rumpjs-printer".into())
            .spawn(move || {
                while let Ok(text) = rx.recv() {
                    if p.print(text.clone()).is_err() {
                        print!("{text}");
                        let _ = std::io::stdout().flush();
                    }
                }
            })
            .ok()
            .map(|_| tx)
    });
    let _ = to_eval.send(Request::Printer(printer));
    while let Ok(Command::Read(prompt)) = commands.recv() {
        let r = rl.readline(&prompt);
        match &r {
            Ok(input) if !input.trim().is_empty() => {
                let _ = rl.add_history_entry(input.as_str());
            }
            Err(ReadlineError::Interrupted) => {
                if let Some(f) = &opts.on_interrupt {
                    f();
                }
            }
            _ => {}
        }
        if to_eval.send(Request::Line(r)).is_err() {
            break;
        }
    }
    if let Some(h) = &opts.history {
        if let Some(dir) = h.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = rl.save_history(h);
    }
    Ok(())
}

/// Prints output that arrived outside an evaluation: above the prompt when the editor has a printer.
fn show(printer: &Option<Sender<String>>, text: String) {
    if text.is_empty() {
        return;
    }
    let text = if text.ends_with('\n') { text } else { text + "\n" };
    if let Some(p) = printer {
        if p.send(text.clone()).is_ok() {
            return;
        }
    }
    print!("{text}");
    let _ = std::io::stdout().flush();
}

/// Runs the read-eval-print loop until `.exit`, Ctrl-D or an `Exit` outcome; returns the exit code.
/// Ctrl-C cancels the line being edited (twice on an empty line leaves). The line editor runs on a
/// thread of its own, so the evaluator's background work (timers) runs while the prompt waits, and its
/// output is printed above the prompt.
pub fn run<E: Evaluator>(evaluator: &mut E, opts: ReplOptions) -> std::io::Result<i32> {
    let (to_eval, requests) = channel::<Request>();
    let (to_editor, commands) = channel::<Command>();
    std::thread::scope(|scope| {
        let opts = &opts;
        let editor = std::thread::Builder::new()
            .name("rumpjs-editor".into())
            .spawn_scoped(scope, move || editor_thread(opts, to_eval, commands))?;
        let mut printer: Option<Sender<String>> = None;
        let mut interrupted = false;
        let _ = to_editor.send(Command::Read(evaluator.prompt()));
        let code = loop {
            let msg = match evaluator.next_background() {
                Some(at) => match requests.recv_timeout(at.saturating_duration_since(Instant::now())) {
                    Ok(m) => m,
                    Err(RecvTimeoutError::Timeout) => {
                        let out = evaluator.run_background();
                        show(&printer, out);
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => break 1,
                },
                None => match requests.recv() {
                    Ok(m) => m,
                    Err(_) => break 1,
                },
            };
            match msg {
                Request::Printer(p) => printer = p,
                Request::Complete(line, pos, reply) => {
                    let _ = reply.send(evaluator.complete(&line, pos));
                }
                Request::Check(input, reply) => {
                    let _ = reply.send(evaluator.check(&input));
                }
                Request::Line(Ok(input)) => {
                    interrupted = false;
                    if !input.trim().is_empty() {
                        match evaluator.eval(&input) {
                            Outcome::Output(s) => println!("{s}"),
                            Outcome::Error(s) if opts.color => println!("\x1b[31m{s}\x1b[0m"),
                            Outcome::Error(s) => println!("{s}"),
                            Outcome::Silent => {}
                            Outcome::Exit(code) => break code,
                        }
                        let _ = std::io::stdout().flush();
                    }
                    let _ = to_editor.send(Command::Read(evaluator.prompt()));
                }
                Request::Line(Err(ReadlineError::Interrupted)) => {
                    if interrupted {
                        break 0;
                    }
                    interrupted = true;
                    println!("(To exit, press Ctrl-C again or Ctrl-D or type .exit)");
                    let _ = to_editor.send(Command::Read(evaluator.prompt()));
                }
                Request::Line(Err(ReadlineError::Eof)) => {
                    let out = evaluator.at_end();
                    show(&None, out);
                    break 0;
                }
                Request::Line(Err(e)) => {
                    eprintln!("rumpjs: terminal error: {e}");
                    break 1;
                }
            }
        };
        let _ = to_editor.send(Command::Stop);
        drop(to_editor);
        // Unblock the editor if it is waiting on a question, then let it save the history.
        drop(requests);
        match editor.join() {
            Ok(Err(e)) if code == 1 => Err(std::io::Error::other(e)),
            _ => Ok(code),
        }
    })
}

/// Completion helper for evaluators: the identifier-ish word ending at `pos` (letters, digits, `_`,
/// `$`, `.`), and where it starts.
pub fn word_before(line: &str, pos: usize) -> (usize, &str) {
    let head = &line[..pos.min(line.len())];
    let start = head
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '$' || *c == '.'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    (start, &head[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(word_before("let x = rump.sy", 15), (8, "rump.sy"));
        assert_eq!(word_before("fs", 2), (0, "fs"));
        assert_eq!(word_before("a(b", 3), (2, "b"));
        assert_eq!(word_before("", 0), (0, ""));
    }
}
