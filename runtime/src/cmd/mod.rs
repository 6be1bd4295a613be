//! Command-line interface: options shared by every subcommand (images, grants, limits) and the `run` and
//! `-e` commands. Other subcommands add a variant to [`Command`] and a function taking [`CommonOpts`].

pub mod image;
pub mod makefs;
pub mod mount;
pub mod repl;
pub mod serve;
pub mod test;

use crate::host::output::{self, Stream};
use crate::host::session::{Failure, ImageSpec, Session, SessionOptions};
use clap::{Args, Parser, Subcommand};
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
    Test(crate::cmd::test::TestArgs),
    /// What an image holds: partition table, FFS superblock facts (fsstat + disklabel)
    ///
    /// Partition table (MBR, GPT, disklabel), FFS type and version, byte order, block/fragment size, sizes,
    /// free counts, clean flag, last mount point, volume name; --json for machines.
    Info(crate::cmd::image::InfoArgs),
    /// Make an empty FFS in IMAGE as NetBSD's newfs does
    ///
    /// rumpjs newfs [-O 1|2] [-b BSIZE] [-f FSIZE] [-B be|le] [-s SIZE] [-n INODES] [-V NAME] IMAGE
    Newfs(crate::cmd::image::NewfsArgs),
    /// Make an FFS image from a host directory tree, as NetBSD's makefs does, reproducibly
    ///
    /// rumpjs makefs [-t ffs] [-o version=1|2,bsize=N,fsize=N,density=N,minfree=N,...] [-B be|le] [-s SIZE]
    /// [-M MIN] [-m MAX] [-b FREE-BLOCKS[%]] [-f FREE-FILES[%]] [-F MTREE-SPEC] [-T TIMESTAMP] IMAGE DIR.
    /// The same tree, options and -T give a byte-identical image on any machine.
    Makefs(crate::cmd::makefs::MakefsArgs),
    /// Check an FFS image as fsck_ffs does (-n: report only; -y: repair).
    Fsck(crate::cmd::image::FsckArgs),
    /// Write the changes an overlay file holds (--overlay-file) into the image it was made for
    ///
    /// rumpjs commit OVERLAY-FILE IMAGE: the image must be the one the file was made for, unchanged
    /// since; afterwards the file no longer fits the image and can be removed.
    Commit(crate::cmd::image::CommitArgs),
    /// List a directory inside an image
    ///
    /// rumpjs ls IMAGE [-l] [path ...] (as fs-utils' fsu_ls).
    Ls(crate::cmd::image::OneshotArgs),
    /// Print files inside an image
    ///
    /// rumpjs cat IMAGE path ...
    Cat(crate::cmd::image::OneshotArgs),
    /// Inode, mode, owner, size, times and flags of files inside an image
    ///
    /// rumpjs stat IMAGE path ...
    Stat(crate::cmd::image::OneshotArgs),
    /// Walk a tree inside an image
    ///
    /// rumpjs find IMAGE [path] [-name P] [-type f|d|l] [-size N] ... [-ls]
    Find(crate::cmd::image::OneshotArgs),
    /// Disk usage inside an image
    ///
    /// rumpjs du IMAGE [-s] [-h] [path ...]
    Du(crate::cmd::image::OneshotArgs),
    /// Space and inodes of an image's file system
    ///
    /// rumpjs df IMAGE [-h] [-i]
    Df(crate::cmd::image::OneshotArgs),
    /// A directory tree inside an image
    ///
    /// rumpjs tree IMAGE [-L depth] [path]
    Tree(crate::cmd::image::OneshotArgs),
    /// Bytes of a file inside an image
    ///
    /// rumpjs hexdump IMAGE [-n len] [-s skip] path
    Hexdump(crate::cmd::image::OneshotArgs),
    /// SHA-256 of files inside an image
    ///
    /// rumpjs sha256 IMAGE path ...
    Sha256(crate::cmd::image::OneshotArgs),
    /// Symbolic link targets inside an image
    ///
    /// rumpjs readlink IMAGE path ...
    Readlink(crate::cmd::image::OneshotArgs),
    /// Copy a file or tree out of an image
    ///
    /// rumpjs get IMAGE:/PATH HOSTPATH
    Get(crate::cmd::image::GetArgs),
    /// Copy a host file or tree into an image (mounted read-write)
    ///
    /// rumpjs put HOSTPATH IMAGE:/PATH
    Put(crate::cmd::image::PutArgs),
    /// Make directories inside an image (read-write)
    ///
    /// rumpjs mkdir IMAGE [-p] dir ...
    Mkdir(crate::cmd::image::OneshotArgs),
    /// Remove files inside an image (read-write)
    ///
    /// rumpjs rm IMAGE [-rf] path ...
    Rm(crate::cmd::image::OneshotArgs),
    /// Remove empty directories inside an image (read-write)
    ///
    /// rumpjs rmdir IMAGE dir ...
    Rmdir(crate::cmd::image::OneshotArgs),
    /// Rename inside an image (read-write)
    ///
    /// rumpjs mv IMAGE from to
    Mv(crate::cmd::image::OneshotArgs),
    /// Make links inside an image (read-write)
    ///
    /// rumpjs ln IMAGE [-s] target link
    Ln(crate::cmd::image::OneshotArgs),
    /// Create files or set their times inside an image (read-write)
    ///
    /// rumpjs touch IMAGE path ...
    Touch(crate::cmd::image::OneshotArgs),
    /// Change modes inside an image (read-write)
    ///
    /// rumpjs chmod IMAGE octal-mode path ...
    Chmod(crate::cmd::image::OneshotArgs),
    /// Change owners inside an image (read-write)
    ///
    /// rumpjs chown IMAGE uid[:gid] path ...
    Chown(crate::cmd::image::OneshotArgs),
    /// Serve the web page on this machine: boot log, mounts, the REPL's commands, JavaScript and a file
    /// browser, for every page one shared session (prints the URL with its access token).
    Serve(crate::cmd::serve::ServeArgs),
    /// Serve IMAGE's file system (or a new tmpfs) at MOUNTPOINT on the host through FUSE: every host tool
    /// works on it (detached unless -f; `rumpjs umount` ends it).
    Mount(crate::cmd::mount::MountArgs),
    /// Unmount what `rumpjs mount` serves at MOUNTPOINT, returning once it is written and marked clean.
    Umount(crate::cmd::mount::UmountArgs),
}

/// `--timeout SECONDS`: a positive, finite number.
fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!("'{s}': the timeout is a number of seconds greater than 0 (e.g. 30 or 0.5)")),
    }
}

/// Options every subcommand takes.
#[derive(Args, Debug, Clone, Default)]
pub struct CommonOpts {
    /// Mount a disk image: PATH on /ffs, or PATH:/MOUNTPOINT (repeatable). Read-only unless --rw.
    #[arg(long = "image", value_name = "PATH[:/DIR]", global = true)]
    pub images: Vec<String>,
    /// Mount the images read-write.
    #[arg(long, global = true)]
    pub rw: bool,
    /// Mount read-write even an image not marked clean (NetBSD's mount -f): it stays marked not clean,
    /// for fsck to check. Without it such an image is refused ("run fsck").
    #[arg(long, global = true)]
    pub force: bool,
    /// Partition of the images to mount (mount option partition=P), e.g. a, or 1.
    #[arg(long, value_name = "P", global = true)]
    pub partition: Option<String>,
    /// File-system type of the images.
    #[arg(long = "fstype", value_name = "TYPE", default_value = "ffs", global = true)]
    pub fstype: String,
    /// Grant the script access to a host file or directory tree (repeatable). Denied otherwise.
    #[arg(long = "allow-host", value_name = "PATH", global = true)]
    pub allow_host: Vec<PathBuf>,
    /// Copies out of the kernel (rump.host.copyOut, rumpjs get) keep owners and set-user-ID/set-group-ID
    /// bits and make device nodes and fifos on the host, as `cp -a` does as root. Without it copies are
    /// owned by whoever runs rumpjs, set-ID bits are cleared, and devices and fifos are skipped (listed).
    #[arg(long = "preserve-all", global = true)]
    pub preserve_all: bool,
    /// Stop the script after SECONDS with exit status 124 (in the REPL: stop any input that runs longer;
    /// the session goes on).
    #[arg(long, value_name = "SECONDS", global = true, value_parser = parse_seconds)]
    pub timeout: Option<f64>,
    /// Stop the process (exit status 125, file systems written) when it would use more than SIZE of
    /// memory, e.g. 4G or 512M; 0 for no limit. Default: three quarters of this machine's memory.
    #[arg(long = "max-memory", value_name = "SIZE", global = true, value_parser = crate::host::limits::parse_size)]
    pub max_memory: Option<usize>,
    /// Show the kernel's console (boot messages, mounts) on stderr.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Fixed kernel clock (2012-06-01) and seeded randomness: the same bytes on every run.
    #[arg(long, global = true)]
    pub deterministic: bool,
    /// Mount the images read-write on a copy-on-write overlay in memory: scripts may change them, the
    /// image files stay byte for byte as they were.
    #[arg(long, global = true, conflicts_with = "rw")]
    pub overlay: bool,
    /// As --overlay, with the changes also kept in FILE (made if missing, else carried on from), at
    /// every sync and unmount: a later session goes on from them, and `rumpjs commit FILE IMAGE`
    /// writes them into the image. One --image only.
    #[arg(long = "overlay-file", value_name = "FILE", global = true, conflicts_with = "rw")]
    pub overlay_file: Option<PathBuf>,
}

impl CommonOpts {
    /// Session options for these flags and `argv`.
    pub fn session_options(&self, argv: Vec<String>) -> SessionOptions {
        SessionOptions {
            images: self.images.iter().map(|s| ImageSpec::parse(s)).collect(),
            rw: self.rw,
            force: self.force,
            partition: self.partition.clone(),
            fstype: self.fstype.clone(),
            allow_host: self.allow_host.clone(),
            argv,
            verbose: self.verbose,
            deterministic: self.deterministic,
            overlay: self.overlay || self.overlay_file.is_some(),
            overlay_file: self.overlay_file.clone(),
            preserve_all: self.preserve_all,
            ..SessionOptions::default()
        }
    }
}

/// The stack of a thread that runs JavaScript: Boa recurses natively (each JS call through a built-in such
/// as JSON.stringify's toJSON costs tens of KiB), so its call-depth limit is reached before the stack
/// runs out only with room to spare. Only what is touched is ever backed by memory.
pub const ENGINE_STACK: usize = 1 << 30;

/// Runs `f` on a thread with a large stack (deep JS recursion and parsing need it), returning its
/// exit code.
pub fn with_big_stack(f: impl FnOnce() -> i32 + Send + 'static) -> i32 {
    let f = move || {
        crate::host::limits::note_stack();
        f()
    };
    match std::thread::Builder::new().name("rumpjs-main".into()).stack_size(ENGINE_STACK).spawn(f) {
        Ok(h) => h.join().unwrap_or(101),
        Err(e) => {
            eprintln!("rumpjs: cannot start: {e}");
            2
        }
    }
}

fn report(f: &Failure) -> i32 {
    output::line(Stream::Stderr, &f.to_string());
    f.exit_code()
}

/// Ends a session at process exit: the kernel is shut down (file systems written and unmounted) and
/// the output flushed; the JavaScript heap is left for the OS to take back (dropping a large heap object
/// by object only delays the exit).
fn finish(s: Session) {
    crate::host::session::shutdown(&s.kernel);
    output::flush();
    std::mem::forget(s);
}

/// The exit code a finished script asked for with `process.exitCode`.
fn exit_code(s: &mut Session) -> i32 {
    let ctx = &mut s.ctx;
    let p = ctx.global_object().get(boa_engine::js_string!("process"), ctx).unwrap_or_default();
    let Some(p) = p.as_object() else { return 0 };
    let c = p.get(boa_engine::js_string!("exitCode"), ctx).unwrap_or_default();
    c.as_number().map_or(0, |n| n as i32)
}

/// `rumpjs run SCRIPT [ARGS…]`.
pub fn run(common: &CommonOpts, script: PathBuf, args: Vec<String>) -> i32 {
    let abs = std::fs::canonicalize(&script).unwrap_or_else(|_| script.clone());
    let mut argv = vec!["rumpjs".to_string(), abs.to_string_lossy().into_owned()];
    argv.extend(args);
    let opts = common.session_options(argv);
    crate::host::watchdog::start(common.timeout.unwrap_or(0.0));
    with_big_stack(move || {
        let mut s = match Session::new(&opts) {
            Ok(s) => s,
            Err(f) => return report(&f),
        };
        crate::host::watchdog::set_kernel(s.kernel.clone());
        let code = match s.run_module(&script) {
            Ok(()) => exit_code(&mut s),
            Err(f) => report(&f),
        };
        finish(s);
        code
    })
}

/// Whether `code` reads as an ES module (it imports or exports at top level).
fn looks_like_module(code: &str) -> bool {
    code.lines().any(|l| {
        let l = l.trim_start();
        (l.starts_with("import ") || l.starts_with("import{") || l.starts_with("export ")) && !l.starts_with("import(")
    }) || code.contains("await ")
}

/// `rumpjs -e CODE` / `-p CODE`.
pub fn eval(common: &CommonOpts, code: String, print: bool, args: Vec<String>) -> i32 {
    let mut argv = vec!["rumpjs".to_string()];
    argv.extend(args);
    let mut opts = common.session_options(argv);
    opts.imports_from_cwd = true;
    crate::host::watchdog::start(common.timeout.unwrap_or(0.0));
    with_big_stack(move || {
        let mut s = match Session::new(&opts) {
            Ok(s) => s,
            Err(f) => return report(&f),
        };
        crate::host::watchdog::set_kernel(s.kernel.clone());
        let name = PathBuf::from("[eval]");
        let r = if looks_like_module(&code) && !print {
            s.run_module_source(&code, &name)
        } else {
            match s.eval_script(&code, "[eval]") {
                Ok(v) => {
                    if print {
                        let shown = match v.as_string() {
                            Some(st) => st.to_std_string_escaped(),
                            None => v.display().to_string(),
                        };
                        output::line(Stream::Stdout, &shown);
                    }
                    Ok(())
                }
                Err(f) => Err(f),
            }
        };
        let code = match r {
            Ok(()) => exit_code(&mut s),
            Err(f) => report(&f),
        };
        finish(s);
        code
    })
}

/// `rumpjs repl` (and `rumpjs` alone): the demo image unless --image names others.
pub fn repl(common: &CommonOpts) -> i32 {
    let mut opts = common.session_options(vec!["rumpjs".to_string()]);
    opts.demo = true;
    opts.imports_from_cwd = true;
    // --timeout limits each input (the REPL stops it and goes on), not the session.
    let timeout = common.timeout.filter(|t| *t > 0.0 && t.is_finite()).map(std::time::Duration::from_secs_f64);
    with_big_stack(move || {
        let s = match Session::new(&opts) {
            Ok(s) => s,
            Err(f) => return report(&f),
        };
        crate::host::watchdog::set_kernel(s.kernel.clone());
        let kernel = s.kernel.clone();
        let code = crate::cmd::repl::main(s, timeout);
        crate::host::session::shutdown(&kernel);
        output::flush();
        code
    })
}

/// Parses the command line and runs it; the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    crate::host::limits::install(cli.common.max_memory.unwrap_or_else(crate::host::limits::default_budget));
    match (cli.command, cli.eval, cli.print) {
        (Some(Command::Run { script, args, .. }), _, _) => run(&cli.common, script, args),
        (Some(Command::Serve(a)), _, _) => crate::cmd::serve::main(&cli.common, a),
        (Some(Command::Mount(a)), _, _) => crate::cmd::mount::mount(&cli.common, a),
        (Some(Command::Umount(a)), _, _) => crate::cmd::mount::umount(a),
        (None, Some(code), _) => eval(&cli.common, code, false, cli.rest),
        (None, None, Some(code)) => eval(&cli.common, code, true, cli.rest),
        (Some(Command::Repl), _, _) | (None, None, None) => repl(&cli.common),
        (Some(Command::Test(a)), _, _) => crate::cmd::test::main(&cli.common, a),
        (Some(Command::Info(a)), _, _) => crate::cmd::image::info(&cli.common, a),
        (Some(Command::Newfs(a)), _, _) => crate::cmd::image::newfs(&cli.common, a),
        (Some(Command::Fsck(a)), _, _) => crate::cmd::image::fsck(&cli.common, a),
        (Some(Command::Commit(a)), _, _) => crate::cmd::image::commit(a),
        (Some(Command::Makefs(a)), _, _) => crate::cmd::makefs::main(&cli.common, a),
        (Some(Command::Get(a)), _, _) => crate::cmd::image::get(&cli.common, a),
        (Some(Command::Put(a)), _, _) => crate::cmd::image::put(&cli.common, a),
        (Some(Command::Ls(a)), _, _) => crate::cmd::image::oneshot(&cli.common, "ls", a),
        (Some(Command::Cat(a)), _, _) => crate::cmd::image::oneshot(&cli.common, "cat", a),
        (Some(Command::Stat(a)), _, _) => crate::cmd::image::oneshot(&cli.common, "stat", a),
        (Some(Command::Find(a)), _, _) => crate::cmd::image::oneshot(&cli.common, "find", a),
        (Some(Command::Du(a)), _, _) => crate::cmd::image::oneshot(&cli.common, "du", a),
        (Some(Command::Df(a)), _, _) => crate::cmd::image::oneshot(&cli.common, "df", a),
        (Some(Command::Tree(a)), _, _) => crate::cmd::image::oneshot(&cli.common, "tree", a),
        (Some(Command::Hexdump(a)), _, _) => crate::cmd::image::oneshot(&cli.common, "hexdump", a),
        (Some(Command::Sha256(a)), _, _) => crate::cmd::image::oneshot(&cli.common, "sha256", a),
        (Some(Command::Readlink(a)), _, _) => crate::cmd::image::oneshot(&cli.common, "readlink", a),
        (Some(Command::Mkdir(a)), _, _) => crate::cmd::image::oneshot(&cli.common, "mkdir", a),
        (Some(Command::Rm(a)), _, _) => crate::cmd::image::oneshot(&cli.common, "rm", a),
        (Some(Command::Rmdir(a)), _, _) => crate::cmd::image::oneshot(&cli.common, "rmdir", a),
        (Some(Command::Mv(a)), _, _) => crate::cmd::image::oneshot(&cli.common, "mv", a),
        (Some(Command::Ln(a)), _, _) => crate::cmd::image::oneshot(&cli.common, "ln", a),
        (Some(Command::Touch(a)), _, _) => crate::cmd::image::oneshot(&cli.common, "touch", a),
        (Some(Command::Chmod(a)), _, _) => crate::cmd::image::oneshot(&cli.common, "chmod", a),
        (Some(Command::Chown(a)), _, _) => crate::cmd::image::oneshot(&cli.common, "chown", a),
    }
}
