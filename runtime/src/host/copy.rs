//! Copies between the host and the kernel, made by the one tree copier ([`kernel_bindings::copy`]) with
//! the host's side in [`HostFs`]: `rump.host.copyIn` and `copyOut`, and `rumpjs get` and `put`, which
//! call them; and the progress bar large copies (makefs's too) show on a terminal.

use super::grants::Access;
pub use super::host_fs::HostFs;
use indicatif::{ProgressBar, ProgressStyle};
use kernel::vfs::Proc;
use kernel_bindings::copy::{copy, scan, CopyError, KernelFs, Options, Progress, Stats};
use std::cell::OnceCell;
use std::io::IsTerminal;

/// The progress bar of a copy (files, bytes, rate, ETA), on stderr when it is a terminal: when asked
/// (`Some(true)`), never (`Some(false)`), or for a copy of 64 MiB or 20,000 files and more (`None`).
pub struct Bar {
    asked: Option<bool>,
    label: &'static str,
    pb: OnceCell<ProgressBar>,
}

impl Bar {
    pub fn new(asked: Option<bool>, label: &'static str) -> Bar {
        Bar { asked, label, pb: OnceCell::new() }
    }
}

impl Progress for Bar {
    fn start(&self, files: u64, bytes: u64) {
        let _ = self.pb.set(progress_bar(files, bytes, self.asked, self.label));
    }
    fn bytes(&self, n: u64) {
        if let Some(pb) = self.pb.get() {
            pb.inc(n);
        }
    }
    fn files(&self, done: u64, total: u64) {
        if let Some(pb) = self.pb.get() {
            pb.set_message(format!("{done}/{total} files"));
        }
    }
    fn finish(&self) {
        if let Some(pb) = self.pb.get() {
            pb.finish_and_clear();
        }
    }
}

/// The progress bar for a copy of `files` files and `bytes` bytes: on a terminal only.
fn progress_bar(files: u64, bytes: u64, asked: Option<bool>, label: &str) -> ProgressBar {
    let show = asked.unwrap_or(bytes >= 64 << 20 || files >= 20_000) && std::io::stderr().is_terminal();
    if !show {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(bytes.max(1));
    if let Ok(st) = ProgressStyle::with_template(
        "{prefix} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg} ({bytes_per_sec}, ETA {eta})",
    ) {
        pb.set_style(st);
    }
    pb.set_prefix(label.to_string());
    pb.set_message(format!("0/{files} files"));
    pb
}

/// The path `rel` below a grant as the copier names it ("." for the grant itself).
fn rel_bytes(rel: &std::path::Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    match rel.as_os_str().as_bytes() {
        b"" => b".".to_vec(),
        b => b.to_vec(),
    }
}

/// A host path of a copy beneath a grant as the user knows it: `canon` (the path asked for), not the
/// path relative to the grant (`rel`) that the copier walked.
fn shown(p: &str, rel: &[u8], canon: &std::path::Path) -> String {
    match p.as_bytes().strip_prefix(rel) {
        Some(rest) if rest.is_empty() || rest.starts_with(b"/") || rest.starts_with(b":") => {
            format!("{}{}", canon.display(), String::from_utf8_lossy(rest))
        }
        _ => p.to_string(),
    }
}

/// [`shown`] for what a copy returns.
fn shown_result(r: Result<Stats, CopyError>, rel: &[u8], canon: &std::path::Path) -> Result<Stats, CopyError> {
    match r {
        Ok(mut s) => {
            s.skipped = s.skipped.iter().map(|m| shown(m, rel, canon)).collect();
            Ok(s)
        }
        Err(mut e) => {
            e.path = shown(&e.path, rel, canon);
            Err(e)
        }
    }
}

/// Host → kernel (`rump.host.copyIn`, `rumpjs put`): from `rel` beneath the grant `root`; owners are
/// kept when the kernel process is root.
pub fn copy_in(proc: &Proc, from: &Access, kernel_path: &[u8], progress: Option<bool>) -> Result<Stats, CopyError> {
    let h = HostFs::beneath(from.root.clone());
    let k = KernelFs::new(proc);
    let host = rel_bytes(&from.rel);
    let tree = scan(&h, &host).map_err(|mut e| {
        e.path = shown(&e.path, &host, &from.canon);
        e
    })?;
    let bar = Bar::new(progress, "copy in");
    let opts = Options { owners: k.is_root(), btime: true, progress: Some(&bar), ..Options::default() };
    shown_result(copy(&h, &host, &tree, &k, kernel_path, &opts), &host, &from.canon)
}

/// Kernel → host (`rump.host.copyOut`, `rumpjs get`): to `rel` beneath the grant `root`. What the host
/// would treat as privileged — owners, set-user-ID and set-group-ID bits, device nodes and fifos — is
/// made only when the user asked for it (`preserve_all`, `--preserve-all`) and this process may: a
/// script run as root must not leave a set-user-ID root file or a disk's device node on the host.
pub fn copy_out(
    proc: &Proc,
    kernel_path: &[u8],
    to: &Access,
    preserve_all: bool,
    progress: Option<bool>,
) -> Result<Stats, CopyError> {
    let h = HostFs::beneath(to.root.clone());
    let k = KernelFs::new(proc);
    let host = rel_bytes(&to.rel);
    let tree = scan(&k, kernel_path)?;
    let bar = Bar::new(progress, "copy out");
    let opts = Options {
        owners: h.is_root() && preserve_all,
        setid: preserve_all,
        specials: preserve_all,
        progress: Some(&bar),
        ..Options::default()
    };
    shown_result(copy(&k, kernel_path, &tree, &h, &host, &opts), &host, &to.canon)
}
