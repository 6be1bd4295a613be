//! `--timeout`: Boa has no interrupt, so a watchdog thread ends the whole process when the time is up.
//! [`end_process`] is also how the REPL ends on a second Ctrl-C while code it cannot stop runs.

use kernel::vfs::Kernel;
use std::sync::{Arc, Mutex};
use std::time::Duration;

static KERNEL: Mutex<Option<Arc<Kernel>>> = Mutex::new(None);

/// The kernel to sync before the process is ended (its images are written as far as they can be).
pub fn set_kernel(k: Arc<Kernel>) {
    *KERNEL.lock().unwrap_or_else(|e| e.into_inner()) = Some(k);
}

/// Exit status of a run stopped by `--timeout` (as timeout(1)).
pub const TIMEOUT_EXIT: i32 = 124;

/// Starts the watchdog: after `secs` seconds the process prints a message and exits with
/// [`TIMEOUT_EXIT`], whatever the script is doing.
pub fn start(secs: f64) {
    if !(secs > 0.0 && secs.is_finite()) {
        return;
    }
    let d = Duration::from_secs_f64(secs);
    let _ = std::thread::Builder::new().name("rumpjs-watchdog".into()).spawn(move || {
        std::thread::sleep(d);
        end_process(&format!("rumpjs: script timed out after {secs} s (--timeout)"), TIMEOUT_EXIT);
    });
}

/// Ends the process from any thread, whatever the script is doing: prints `msg`, writes what the file
/// systems hold as far as it can (within 2 s), exits with `code`.
pub fn end_process(msg: &str, code: i32) -> ! {
    crate::host::output::flush();
    eprintln!("{msg}");
    // Best effort: a syscall running on the script's thread keeps its locks; sync waits for them.
    let k = KERNEL.try_lock().ok().and_then(|g| g.clone());
    if let Some(k) = k {
        let (tx, rx) = std::sync::mpsc::channel();
        let _ = std::thread::Builder::new().name("rumpjs-sync".into()).spawn(move || {
            let _ = k.new_proc(kernel::vfs::Cred::root()).sync();
            let _ = tx.send(());
        });
        let _ = rx.recv_timeout(Duration::from_secs(2));
    }
    std::process::exit(code);
}
