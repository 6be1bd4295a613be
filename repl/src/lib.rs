//! The line editor of the rumpjs REPL, on rustyline. It knows an [`Evaluator`] — something that evaluates
//! input, says whether input is complete, and offers completions — and nothing of Boa or the kernel.

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{CompletionType, Config, Context, EditMode, Editor, Helper};
use std::borrow::Cow;
use std::cell::RefCell;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::rc::Rc;

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
    /// Output produced outside evaluation (timers, async console) since the last call.
    fn take_pending_output(&mut self) -> Option<String> {
        None
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
}

impl Default for ReplOptions {
    fn default() -> ReplOptions {
        ReplOptions { history: default_history_path(), history_size: 1000, color: std::io::stdout().is_terminal() }
    }
}

/// `$XDG_STATE_HOME/rumpjs/history`, else `~/.local/state/rumpjs/history`.
pub fn default_history_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
    Some(base.join("rumpjs").join("history"))
}

struct ReplHelper<E: Evaluator> {
    eval: Rc<RefCell<E>>,
    color: bool,
}

impl<E: Evaluator> Completer for ReplHelper<E> {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let (start, cands) = self.eval.borrow_mut().complete(line, pos);
        Ok((start, cands.into_iter().map(|c| Pair { display: c.clone(), replacement: c }).collect()))
    }
}

impl<E: Evaluator> Hinter for ReplHelper<E> {
    type Hint = String;
}

impl<E: Evaluator> Highlighter for ReplHelper<E> {
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

impl<E: Evaluator> Validator for ReplHelper<E> {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        Ok(match self.eval.borrow_mut().check(ctx.input()) {
            Completeness::Complete => ValidationResult::Valid(None),
            Completeness::Incomplete => ValidationResult::Incomplete,
        })
    }
}

impl<E: Evaluator> Helper for ReplHelper<E> {}

/// Runs the read-eval-print loop until `.exit`, Ctrl-D or an `Exit` outcome; returns the exit code.
/// Ctrl-C cancels the line being edited (twice on an empty line leaves).
pub fn run<E: Evaluator>(evaluator: Rc<RefCell<E>>, opts: ReplOptions) -> std::io::Result<i32> {
    let config = Config::builder()
        .history_ignore_space(true)
        .max_history_size(opts.history_size)
        .map_err(std::io::Error::other)?
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .edit_mode(EditMode::Emacs)
        .build();
    let mut rl: Editor<ReplHelper<E>, DefaultHistory> = Editor::with_config(config).map_err(std::io::Error::other)?;
    rl.set_helper(Some(ReplHelper { eval: evaluator.clone(), color: opts.color }));
    if let Some(h) = &opts.history {
        let _ = rl.load_history(h);
    }
    let mut interrupted = false;
    let code = loop {
        if let Some(out) = evaluator.borrow_mut().take_pending_output() {
            print!("{out}");
        }
        let prompt = evaluator.borrow_mut().prompt();
        match rl.readline(&prompt) {
            Ok(input) => {
                interrupted = false;
                if input.trim().is_empty() {
                    continue;
                }
                let _ = rl.add_history_entry(input.as_str());
                let outcome = evaluator.borrow_mut().eval(&input);
                if let Some(out) = evaluator.borrow_mut().take_pending_output() {
                    print!("{out}");
                }
                match outcome {
                    Outcome::Output(s) => println!("{s}"),
                    Outcome::Error(s) => {
                        if opts.color {
                            println!("\x1b[31m{s}\x1b[0m")
                        } else {
                            println!("{s}")
                        }
                    }
                    Outcome::Silent => {}
                    Outcome::Exit(code) => break code,
                }
            }
            Err(ReadlineError::Interrupted) => {
                if interrupted {
                    break 0;
                }
                interrupted = true;
                println!("(To exit, press Ctrl-C again or Ctrl-D or type .exit)");
            }
            Err(ReadlineError::Eof) => break 0,
            Err(e) => {
                eprintln!("rumpjs: terminal error: {e}");
                break 1;
            }
        }
        let _ = std::io::stdout().flush();
    };
    if let Some(h) = &opts.history {
        if let Some(dir) = h.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = rl.save_history(h);
    }
    Ok(code)
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
