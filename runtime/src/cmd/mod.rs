//! The command line: [`Cli`] and its [`Command`]s, each run by a module here (one file or folder per
//! command). Every command takes the options in [`CommonOpts`] (images, grants, limits) and most start
//! from a [`crate::Session`]; a new command adds a variant to [`Command`] and a function taking
//! [`CommonOpts`].

mod common;
pub mod image;
pub mod makefs;
pub mod mount;
pub mod oneshot;
pub mod repl;
pub mod run;
pub mod serve;
pub mod test;

pub use common::{with_big_stack, CommonOpts, ENGINE_STACK};

use clap::{Parser, Subcommand};
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
    /// Arguments for -e/-p (process.argv after 'rumpjs').
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
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
    /// rumpjs newfs [-O 1|2] [-b BSIZE] [-f FSIZE] [-B be|le] [-s SIZE] [-n INODES] [-V NAME] IMAGE
    Newfs(image::NewfsArgs),
    /// Make an FFS image from a host directory tree, as NetBSD's makefs does, reproducibly
    ///
    /// rumpjs makefs [-t ffs] [-o version=1|2,bsize=N,fsize=N,density=N,minfree=N,...] [-B be|le] [-s SIZE]
    /// [-M MIN] [-m MAX] [-b FREE-BLOCKS[%]] [-f FREE-FILES[%]] [-F MTREE-SPEC] [-T TIMESTAMP] IMAGE DIR.
    /// The same tree, options and -T give a byte-identical image on any machine.
    Makefs(makefs::MakefsArgs),
    /// Check an FFS image as fsck_ffs does (-n: report only; -y: repair).
    Fsck(image::FsckArgs),
    /// Write the changes an overlay file holds (--overlay-file) into the image it was made for
    ///
    /// rumpjs commit OVERLAY-FILE IMAGE: the image must be the one the file was made for, unchanged
    /// since; afterwards the file no longer fits the image and can be removed.
    Commit(image::CommitArgs),
    /// List a directory inside an image
    ///
    /// rumpjs ls IMAGE [-l] [path ...] (as fs-utils' fsu_ls).
    Ls(oneshot::OneshotArgs),
    /// Print files inside an image
    ///
    /// rumpjs cat IMAGE path ...
    Cat(oneshot::OneshotArgs),
    /// Inode, mode, owner, size, times and flags of files inside an image
    ///
    /// rumpjs stat IMAGE path ...
    Stat(oneshot::OneshotArgs),
    /// Walk a tree inside an image
    ///
    /// rumpjs find IMAGE [path] [-name P] [-type f|d|l] [-size N] ... [-ls]
    Find(oneshot::OneshotArgs),
    /// Disk usage inside an image
    ///
    /// rumpjs du IMAGE [-s] [-h] [path ...]
    Du(oneshot::OneshotArgs),
    /// Space and inodes of an image's file system
    ///
    /// rumpjs df IMAGE [-h] [-i]
    Df(oneshot::OneshotArgs),
    /// A directory tree inside an image
    ///
    /// rumpjs tree IMAGE [-L depth] [path]
    Tree(oneshot::OneshotArgs),
    /// Bytes of a file inside an image
    ///
    /// rumpjs hexdump IMAGE [-n len] [-s skip] path
    Hexdump(oneshot::OneshotArgs),
    /// SHA-256 of files inside an image
    ///
    /// rumpjs sha256 IMAGE path ...
    Sha256(oneshot::OneshotArgs),
    /// Symbolic link targets inside an image
    ///
    /// rumpjs readlink IMAGE path ...
    Readlink(oneshot::OneshotArgs),
    /// Copy a file or tree out of an image
    ///
    /// rumpjs get IMAGE:/PATH HOSTPATH
    Get(oneshot::GetArgs),
    /// Copy a host file or tree into an image (mounted read-write)
    ///
    /// rumpjs put HOSTPATH IMAGE:/PATH
    Put(oneshot::PutArgs),
    /// Make directories inside an image (read-write)
    ///
    /// rumpjs mkdir IMAGE [-p] dir ...
    Mkdir(oneshot::OneshotArgs),
    /// Remove files inside an image (read-write)
    ///
    /// rumpjs rm IMAGE [-rf] path ...
    Rm(oneshot::OneshotArgs),
    /// Remove empty directories inside an image (read-write)
    ///
    /// rumpjs rmdir IMAGE dir ...
    Rmdir(oneshot::OneshotArgs),
    /// Rename inside an image (read-write)
    ///
    /// rumpjs mv IMAGE from to
    Mv(oneshot::OneshotArgs),
    /// Make links inside an image (read-write)
    ///
    /// rumpjs ln IMAGE [-s] target link
    Ln(oneshot::OneshotArgs),
    /// Create files or set their times inside an image (read-write)
    ///
    /// rumpjs touch IMAGE path ...
    Touch(oneshot::OneshotArgs),
    /// Change modes inside an image (read-write)
    ///
    /// rumpjs chmod IMAGE octal-mode path ...
    Chmod(oneshot::OneshotArgs),
    /// Change owners inside an image (read-write)
    ///
    /// rumpjs chown IMAGE uid[:gid] path ...
    Chown(oneshot::OneshotArgs),
    /// Serve the web page on this machine: boot log, mounts, the REPL's commands, JavaScript and a file
    /// browser, for every page one shared session (prints the URL with its access token).
    Serve(serve::ServeArgs),
    /// Serve IMAGE's file system (or a new tmpfs) at MOUNTPOINT on the host through FUSE: every host tool
    /// works on it (detached unless -f; `rumpjs umount` ends it).
    Mount(mount::MountArgs),
    /// Unmount what `rumpjs mount` serves at MOUNTPOINT, returning once it is written and marked clean.
    Umount(mount::UmountArgs),
}

/// Parses the command line and runs it; the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    crate::host::limits::install(cli.common.max_memory.unwrap_or_else(crate::host::limits::default_budget));
    match (cli.command, cli.eval, cli.print) {
        (Some(Command::Run { script, args, .. }), _, _) => run::run(&cli.common, script, args),
        (Some(Command::Serve(a)), _, _) => serve::main(&cli.common, a),
        (Some(Command::Mount(a)), _, _) => mount::mount(&cli.common, a),
        (Some(Command::Umount(a)), _, _) => mount::umount(a),
        (None, Some(code), _) => run::eval(&cli.common, code, false, cli.rest),
        (None, None, Some(code)) => run::eval(&cli.common, code, true, cli.rest),
        (Some(Command::Repl), _, _) | (None, None, None) => repl::main(&cli.common),
        (Some(Command::Test(a)), _, _) => test::main(&cli.common, a),
        (Some(Command::Info(a)), _, _) => image::info(&cli.common, a),
        (Some(Command::Newfs(a)), _, _) => image::newfs(&cli.common, a),
        (Some(Command::Fsck(a)), _, _) => image::fsck(&cli.common, a),
        (Some(Command::Commit(a)), _, _) => image::commit(a),
        (Some(Command::Makefs(a)), _, _) => makefs::main(&cli.common, a),
        (Some(Command::Get(a)), _, _) => oneshot::get(&cli.common, a),
        (Some(Command::Put(a)), _, _) => oneshot::put(&cli.common, a),
        (Some(Command::Ls(a)), _, _) => oneshot::oneshot(&cli.common, "ls", a),
        (Some(Command::Cat(a)), _, _) => oneshot::oneshot(&cli.common, "cat", a),
        (Some(Command::Stat(a)), _, _) => oneshot::oneshot(&cli.common, "stat", a),
        (Some(Command::Find(a)), _, _) => oneshot::oneshot(&cli.common, "find", a),
        (Some(Command::Du(a)), _, _) => oneshot::oneshot(&cli.common, "du", a),
        (Some(Command::Df(a)), _, _) => oneshot::oneshot(&cli.common, "df", a),
        (Some(Command::Tree(a)), _, _) => oneshot::oneshot(&cli.common, "tree", a),
        (Some(Command::Hexdump(a)), _, _) => oneshot::oneshot(&cli.common, "hexdump", a),
        (Some(Command::Sha256(a)), _, _) => oneshot::oneshot(&cli.common, "sha256", a),
        (Some(Command::Readlink(a)), _, _) => oneshot::oneshot(&cli.common, "readlink", a),
        (Some(Command::Mkdir(a)), _, _) => oneshot::oneshot(&cli.common, "mkdir", a),
        (Some(Command::Rm(a)), _, _) => oneshot::oneshot(&cli.common, "rm", a),
        (Some(Command::Rmdir(a)), _, _) => oneshot::oneshot(&cli.common, "rmdir", a),
        (Some(Command::Mv(a)), _, _) => oneshot::oneshot(&cli.common, "mv", a),
        (Some(Command::Ln(a)), _, _) => oneshot::oneshot(&cli.common, "ln", a),
        (Some(Command::Touch(a)), _, _) => oneshot::oneshot(&cli.common, "touch", a),
        (Some(Command::Chmod(a)), _, _) => oneshot::oneshot(&cli.common, "chmod", a),
        (Some(Command::Chown(a)), _, _) => oneshot::oneshot(&cli.common, "chown", a),
    }
}
