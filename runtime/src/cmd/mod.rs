//! The command line: [`Cli`] and its [`Command`]s, each run by a module here (one file or folder per
//! command). Every command takes the options in [`CommonOpts`] (images, grants, limits) and most start
//! from a [`crate::Session`]; a new command adds a variant to [`Command`] and a function taking
//! [`CommonOpts`] (a one-shot command on an image: a row of `oneshot::ONESHOT`).

mod common;
pub mod image;
pub mod makefs;
mod manual;
pub mod mount;
pub mod newfs;
pub mod oneshot;
pub mod repl;
pub mod run;
pub mod serve;
pub mod test;

pub use common::{with_big_stack, CommonOpts, PassArgs, ENGINE_STACK};

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "rumpjs",
    version,
    about = "A rump kernel hosted by the Boa JavaScript engine: mount, inspect and test BSD file-system images",
    after_help = "Exit status: 0 ok, 1 uncaught error or unhandled rejection, 2 usage or boot error, \
                  13 unsettled top-level await, 124 --timeout, 125 --max-memory, 126 native stack exhausted, \
                  130 Ctrl-C twice in the REPL, or what process.exit() asked."
)]
pub struct Cli {
    #[command(flatten)]
    pub common: CommonOpts,
    /// Evaluate CODE (an ES module when it imports or exports, a script otherwise).
    #[arg(short = 'e', long = "eval", value_name = "CODE", conflicts_with = "print")]
    pub eval: Option<String>,
    /// Evaluate CODE and print its value.
    #[arg(short = 'p', long = "print", value_name = "CODE")]
    pub print: Option<String>,
    /// A script and its arguments: `rumpjs script.js a b` runs it as `rumpjs run script.js a b` does (as
    /// `node script.js a b`); with -e/-p, the arguments (process.argv after 'rumpjs').
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "SCRIPT.js ARGS")]
    pub rest: Vec<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// The interactive REPL on the demo image (what `rumpjs` alone starts)
    ///
    /// The kernel boots, the embedded demo image (or the --image ones) is mounted read-only at /ffs, and
    /// the prompt takes JavaScript and the shell-like commands (.ls, .cat, .stat, .hexdump, .mount, .df,
    /// .dmesg, .info, .help, ...).
    Repl,
    /// Run SCRIPT.js as an ES module (relative imports work; process.argv holds ARGS, all of them: options
    /// for rumpjs go before SCRIPT).
    #[command(disable_help_flag = true)]
    Run {
        /// Print help.
        #[arg(long, action = clap::ArgAction::Help)]
        help: Option<bool>,
        script: PathBuf,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Run JavaScript regression tests (*.test.js), each file in a fresh kernel
    ///
    /// Tests `import { test, describe } from 'rumpjs:test'` (or 'node:test') and `assert` as in Node. The
    /// last line of the report is `N passed, N failed`; the exit status is 1 if any test failed.
    Test(test::TestArgs),
    /// What an image holds: partition table, FFS superblock facts (fsstat + disklabel)
    ///
    /// Partition table (MBR, GPT, disklabel), FFS type and version, byte order, block/fragment size, sizes,
    /// free counts, clean flag, last mount point, volume name; --json for machines.
    Info(image::InfoArgs),
    /// Make an empty FFS in IMAGE as NetBSD's newfs does
    ///
    /// NetBSD's newfs(8) flags and meanings: -O 1|2 (format), -v VOLNAME, -V 0-4 (verbosity), -B be|le,
    /// -b, -f, -i, -m, -n, -o space|time, -a, -e, -g, -h, -S; -s SIZE in sectors (512 bytes, or -S), or in
    /// bytes with a suffix b, k, m or g (-s 131072 and -s 64m are the same). Flags may be joined (-O2).
    /// The image file is created at -s SIZE if it does not exist. Usage errors exit 1, as newfs's do.
    #[command(
        override_usage = "rumpjs newfs [-FIZ] [-B be|le] [-O 1|2] [-S SECSIZE] [-V VERBOSE] [-b BSIZE] [-f FSIZE] [-i BYTES-PER-INODE] [-m FREE%] [-n INODES] [-o space|time] [-s SIZE] [-v VOLNAME] IMAGE"
    )]
    Newfs(PassArgs),
    /// Make an FFS image from a host directory tree, as NetBSD's makefs does, reproducibly
    ///
    /// rumpjs makefs [-t ffs] [-o version=1|2,bsize=N,fsize=N,density=N,minfree=N,...] [-B be|le] [-s SIZE]
    /// [-M MIN] [-m MAX] [-b FREE-BLOCKS[%]] [-f FREE-FILES[%]] [-F MTREE-SPEC] [-T TIMESTAMP] IMAGE DIR.
    /// The same tree, options and -T give a byte-identical image on any machine.
    #[command(after_help = makefs::HELP)]
    Makefs(PassArgs),
    /// Check an FFS image as fsck_ffs does (-n: report only; -y: repair).
    Fsck(image::FsckArgs),
    /// Write the changes an overlay file holds (--overlay-file) into the image it was made for
    ///
    /// rumpjs commit OVERLAY-FILE IMAGE: the image must be the one the file was made for, unchanged
    /// since; afterwards the file no longer fits the image and can be removed.
    Commit(image::CommitArgs),
    /// Copy a file or tree out of an image
    ///
    /// rumpjs get IMAGE PATH HOSTPATH (fs-utils' fsu_get order), or rumpjs get IMAGE:/PATH HOSTPATH
    Get(oneshot::GetArgs),
    /// Copy a host file or tree into an image (mounted read-write)
    ///
    /// rumpjs put HOSTPATH IMAGE:/PATH
    Put(oneshot::PutArgs),
    /// Serve the web page on this machine: boot log, mounts, the REPL's commands, JavaScript and a file
    /// browser, its kernel running in the browser (or, with --server-kernel, one session in this process
    /// shared by every page). Prints the URL with its access token.
    Serve(serve::ServeArgs),
    /// Serve IMAGE's file system (or a new tmpfs) at MOUNTPOINT on the host through FUSE: every host tool
    /// works on it (detached unless -f; `rumpjs umount` ends it).
    Mount(mount::MountArgs),
    /// Unmount what `rumpjs mount` serves at MOUNTPOINT, returning once it is written and marked clean.
    Umount(mount::UmountArgs),
    /// Print the completion script for SHELL: `rumpjs completions bash > /etc/bash_completion.d/rumpjs`
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `rumpjs man > rumpjs.1; man ./rumpjs.1`
    Man,
}

/// The whole command line: [`Cli`] and the one-shot commands of `oneshot::ONESHOT`.
fn command() -> clap::Command {
    Cli::command().subcommands(oneshot::subcommands())
}

/// What clap made of the command line, or its message and exit.
fn parsed<T>(r: Result<T, clap::Error>) -> T {
    r.unwrap_or_else(|e| e.exit())
}

/// `rumpjs WORD ARGS…` where WORD is no command: a script to run as `node script.js a b` runs it (a word
/// naming a file, or ending in .js/.mjs/.cjs), anything else a mistyped command: clap's usage error
/// naming the nearest command, exit 2.
fn script_or_typo(common: &CommonOpts, mut rest: Vec<String>) -> i32 {
    let first = rest.remove(0);
    let path = PathBuf::from(&first);
    let scriptish = [".js", ".mjs", ".cjs"].iter().any(|e| first.ends_with(e));
    if scriptish || path.is_file() {
        return run::run(common, path, rest);
    }
    let mut cli = command();
    let names: Vec<String> = cli.get_subcommands().map(|c| c.get_name().to_string()).collect();
    let nearest = names.iter().map(|n| (edit_distance(&first, n), n)).filter(|(d, _)| *d <= 2).min();
    let tip = match nearest {
        Some((_, n)) => format!("\n\n  tip: a similar command exists: '{n}'"),
        None => String::new(),
    };
    let msg = format!("'{first}' is neither a command nor a script file (SCRIPT.js){tip}");
    cli.error(clap::error::ErrorKind::InvalidSubcommand, msg).exit()
}

/// Levenshtein distance: how many one-letter edits turn `a` into `b`.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for j in 0..b.len() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != b[j])).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// Parses the command line and runs it; the process exit code.
pub fn main() -> i32 {
    let m = command().get_matches();
    let common = parsed(CommonOpts::from_arg_matches(&m));
    crate::host::limits::install(common.max_memory.unwrap_or_else(crate::host::limits::default_budget));
    // A one-shot command (the table in oneshot.rs) is not a variant of `Command`.
    if let Some((name, sub)) = m.subcommand().filter(|(name, _)| oneshot::ONESHOT.iter().any(|o| o.name == *name)) {
        return oneshot::oneshot(&common, name, parsed(PassArgs::from_arg_matches(sub)));
    }
    let cli = parsed(Cli::from_arg_matches(&m));
    match (cli.command, cli.eval, cli.print) {
        (Some(Command::Run { script, args, .. }), _, _) => run::run(&cli.common, script, args),
        (Some(Command::Serve(a)), _, _) => serve::main(&cli.common, a),
        (Some(Command::Mount(a)), _, _) => mount::mount(&cli.common, a),
        (Some(Command::Umount(a)), _, _) => mount::umount(a),
        (None, Some(code), _) => run::eval(&cli.common, code, false, cli.rest),
        (None, None, Some(code)) => run::eval(&cli.common, code, true, cli.rest),
        (None, None, None) if !cli.rest.is_empty() => script_or_typo(&cli.common, cli.rest),
        (Some(Command::Repl), _, _) | (None, None, None) => repl::main(&cli.common),
        (Some(Command::Test(a)), _, _) => test::main(&cli.common, a),
        (Some(Command::Info(a)), _, _) => image::info(&cli.common, a),
        (Some(Command::Newfs(a)), _, _) => newfs::newfs(&cli.common, a),
        (Some(Command::Fsck(a)), _, _) => image::fsck(&cli.common, a),
        (Some(Command::Commit(a)), _, _) => image::commit(a),
        (Some(Command::Makefs(a)), _, _) => makefs::main(&cli.common, a),
        (Some(Command::Get(a)), _, _) => oneshot::get(&cli.common, a),
        (Some(Command::Put(a)), _, _) => oneshot::put(&cli.common, a),
        (Some(Command::Completions { shell }), _, _) => manual::completions(shell),
        (Some(Command::Man), _, _) => manual::man(),
    }
}
