//! `--timeout`: Boa has no interrupt, so a watchdog thread ends the whole process when the time is up.

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
        crate::output::flush();
        eprintln!("rumpjs: script timed out after {secs} s (--timeout)");
        // Best effort: write what the file systems hold (a syscall running on the script's thread
        // keeps its locks; sync waits for them).
        let k = KERNEL.try_lock().ok().and_then(|g| g.clone());
        if let Some(k) = k {
            let (tx, rx) = std::sync::mpsc::channel();
            let _ = std::thread::Builder::new().name("rumpjs-sync".into()).spawn(move || {
                let _ = k.new_proc(kernel::vfs::Cred::root()).sync();
                let _ = tx.send(());
            });
            let _ = rx.recv_timeout(Duration::from_secs(2));
        }
        std::process::exit(TIMEOUT_EXIT);
    });
}
