//! The options every command takes, the thread JavaScript runs on, and how a command says it failed.

use crate::host::output::{self, Stream};
use crate::host::session::{Failure, ImageSpec, SessionOptions};
use clap::Args;
use std::path::PathBuf;

/// `--timeout SECONDS`: a positive, finite number.
fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!("'{s}': the timeout is a number of seconds greater than 0 (e.g. 30 or 0.5)")),
    }
}

/// The arguments of a command that reads its own, as the tool it follows does (newfs, makefs, and the
/// commands on an image): all of them, as typed, after the command's name.
#[derive(Args, Debug)]
#[command(disable_help_flag = true)]
pub struct PassArgs {
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// The command's own options and operands, as its usage above says (a command on an image takes the
    /// image first; the paths after it are inside the image, where / is its root).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "ARGS")]
    pub args: Vec<String>,
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

/// Says why a session failed; the exit code for it.
pub(crate) fn report(f: &Failure) -> i32 {
    output::line(Stream::Stderr, &f.to_string());
    f.exit_code()
}

/// An I/O error as strerror says it: "No such file or directory", without Rust's " (os error 2)".
pub(crate) fn io_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// A failure: the message, and exit status 1.
pub(crate) fn fail(cmd: &str, msg: &str) -> i32 {
    output::line(Stream::Stderr, &format!("rumpjs {cmd}: {msg}"));
    1
}

/// A usage error: the message, and exit status 2 (clap's, and the REPL commands').
pub(crate) fn usage(cmd: &str, msg: &str) -> i32 {
    output::line(Stream::Stderr, &format!("rumpjs {cmd}: {msg}"));
    2
}
