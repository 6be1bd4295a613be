//! `--timeout`: Boa has no interrupt, so a watchdog thread ends the whole process when the time is up.

use std::time::Duration;

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
        std::process::exit(TIMEOUT_EXIT);
    });
}
