//! The line editor of the rumpjs REPL, on rustyline. It knows an [`Evaluator`] — something that evaluates
//! input, says whether input is complete, and offers completions — and nothing of Boa or the kernel.

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
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

/// The editor's helper: completion is answered by the evaluator, on its thread. Enter always ends the
/// line: an unfinished statement goes on at a `... ` prompt (see [`read_input`]), as in Node's REPL.
struct ReplHelper {
    to_eval: Sender<Request>,
    color: bool,
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

impl Validator for ReplHelper {}

/// The prompt of a statement's second and later lines (Node's).
const CONTINUATION: &str = "... ";

/// The editor's state between inputs: the lines of a paste not yet evaluated, and a statement begun.
#[derive(Default)]
struct Reading {
    /// Lines that arrived together (a bracketed paste), given to the evaluator one by one as if typed.
    queued: std::collections::VecDeque<String>,
    /// The lines of an unfinished statement so far.
    pending: Option<String>,
}

impl ReplHelper {
    /// Whether `input` is complete: `check` on this thread, else the evaluator's answer.
    fn complete(&self, check: &Option<CheckFn>, input: &str) -> Completeness {
        match check {
            Some(check) => check(input),
            None => self
                .ask(|tx| Request::Check(input.to_string(), tx), Duration::from_secs(2))
                .unwrap_or(Completeness::Complete),
        }
    }
}

/// Reads one complete input at `prompt`, as Node's REPL does: a line that leaves a statement unfinished
/// is followed by more at the `... ` prompt; a paste of several lines is taken a line at a time, each line
/// shown again at its prompt when its turn comes (so every statement's result follows its own line).
fn read_input(
    rl: &mut Editor<ReplHelper, DefaultHistory>,
    prompt: &str,
    st: &mut Reading,
    check: &Option<CheckFn>,
    color: bool,
) -> Result<String, ReadlineError> {
    loop {
        let shown = if st.pending.is_some() { CONTINUATION } else { prompt };
        let line = match st.queued.pop_front() {
            Some(l) => {
                let p = if color { format!("\x1b[1;32m{shown}\x1b[0m") } else { shown.to_string() };
                println!("{p}{l}");
                let _ = std::io::stdout().flush();
                l
            }
            None => match rl.readline(shown) {
                Ok(l) => l,
                Err(e) => {
                    *st = Reading::default();
                    return Err(e);
                }
            },
        };
        let mut lines = line.split('\n');
        let first = lines.next().unwrap_or_default().to_string();
        let rest: Vec<String> = lines.map(str::to_string).collect();
        if !rest.is_empty() {
            // The editor showed the paste's other lines under the first; they are shown again in turn.
            let cols = rl.dimensions().map_or(80, |(c, _)| usize::from(c).max(1));
            let rows: usize = rest.iter().map(|l| l.chars().count().div_ceil(cols).max(1)).sum();
            if std::io::stdout().is_terminal() {
                print!("\x1b[{rows}A\r\x1b[J");
            }
            for l in rest.into_iter().rev() {
                st.queued.push_front(l);
            }
            // A paste's last newline ends its last line; it is no line of its own.
            if st.queued.back().is_some_and(|l| l.trim().is_empty()) {
                st.queued.pop_back();
            }
        }
        let input = match st.pending.take() {
            Some(p) => format!("{p}\n{first}"),
            None => first,
        };
        let helper = rl.helper().ok_or_else(|| ReadlineError::Io(std::io::Error::other("no helper")))?;
        if !input.trim().is_empty() && helper.complete(check, &input) == Completeness::Incomplete {
            st.pending = Some(input);
            continue;
        }
        return Ok(input);
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
    rl.set_helper(Some(ReplHelper { to_eval: to_eval.clone(), color: opts.color }));
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
    let mut reading = Reading::default();
    while let Ok(Command::Read(prompt)) = commands.recv() {
        let r = read_input(&mut rl, &prompt, &mut reading, &opts.check, opts.color);
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
