//! `rumpjs completions SHELL` and `rumpjs man`: the command line's own description (every command, the
//! one-shot ones too, and their options, as `--help` has them) as a shell's completion script (clap_complete)
//! and as a manual page in roff (clap_mangen).

use crate::host::output::{self, Stream};

/// `rumpjs completions SHELL`: the completion script on stdout.
pub fn completions(shell: clap_complete::Shell) -> i32 {
    let mut cmd = super::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "rumpjs", &mut out);
    output::write(Stream::Stdout, &out);
    0
}

/// `rumpjs man`: the manual page (section 1) on stdout.
pub fn man() -> i32 {
    let mut out = Vec::new();
    if let Err(e) = clap_mangen::Man::new(super::command()).render(&mut out) {
        return super::common::fail("man", &e.to_string());
    }
    output::write(Stream::Stdout, &out);
    0
}
