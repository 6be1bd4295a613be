//! Limits Boa cannot enforce itself, so a hostile or runaway script cannot take the host down with it:
//!
//! - a memory budget (`--max-memory`, by default three quarters of the machine's memory): an allocation
//!   past it would otherwise end in the host's OOM killer or in Rust's abort ("memory allocation of N bytes
//!   failed") — `s += s` in a loop, `'a'.repeat(2 ** 30)` (Boa asks 24 bytes a repetition at once);
//! - the native stack: recursion inside Boa's own Rust code (JSON.stringify through `toJSON`, `String()`
//!   of deeply nested arrays, a deeply nested expression) is not counted by its recursion limit and would
//!   overflow the thread's stack.
//!
//! Either stops the process as `--timeout` does: the offending thread is parked, a message says what
//! happened, the file systems are written (watchdog::end_process), and the exit status says which limit.

use kernel::vfs::mountopts::{parse_size_as, SizeError, SizeUnits};
use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::time::Duration;

/// Exit status when the memory budget is exceeded.
pub const MEMORY_EXIT: i32 = 125;
/// Exit status when the native stack is exhausted.
pub const STACK_EXIT: i32 = 126;

static USED: AtomicUsize = AtomicUsize::new(0);
static LIMIT: AtomicUsize = AtomicUsize::new(usize::MAX);
/// Why the process is being ended (0: it is not). Once set, the budget no longer applies: ending the
/// process (messages, the sync) allocates.
static ENDING: AtomicU8 = AtomicU8::new(0);
const ENDING_MEMORY: u8 = 1;
const ENDING_STACK: u8 = 2;
/// The allocation that went past the budget.
static ASKED: AtomicUsize = AtomicUsize::new(0);

/// The global allocator: the system's, with every live byte counted against the budget.
pub struct Budget;

fn charge(n: usize) -> bool {
    let used = USED.fetch_add(n, Ordering::Relaxed).saturating_add(n);
    if used > LIMIT.load(Ordering::Relaxed) && ENDING.load(Ordering::Relaxed) == 0 {
        USED.fetch_sub(n, Ordering::Relaxed);
        return false;
    }
    true
}

/// Parks the thread that asked for too much (it cannot be handed an error: Rust aborts on a failed
/// allocation); the monitor thread ends the process.
fn park_over_budget(n: usize) -> ! {
    if ENDING.compare_exchange(0, ENDING_MEMORY, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
        ASKED.store(n, Ordering::SeqCst);
    }
    loop {
        // SAFETY: pause(2) only waits for a signal.
        unsafe { libc::pause() };
    }
}

/// A new block of `n` bytes from `get`, charged to the budget (and the charge taken back when it fails).
fn counted(n: usize, get: impl FnOnce() -> *mut u8) -> *mut u8 {
    if !charge(n) {
        park_over_budget(n);
    }
    let p = get();
    if p.is_null() {
        USED.fetch_sub(n, Ordering::Relaxed);
    }
    p
}

// SAFETY: every call goes to mimalloc with the caller's layout; the counting has no effect on
// the memory handed out.
unsafe impl GlobalAlloc for Budget {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        counted(l.size(), || unsafe { mimalloc::MiMalloc.alloc(l) })
    }

    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        counted(l.size(), || unsafe { mimalloc::MiMalloc.alloc_zeroed(l) })
    }

    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { mimalloc::MiMalloc.dealloc(p, l) };
        USED.fetch_sub(l.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let old = l.size();
        if new > old && !charge(new - old) {
            park_over_budget(new);
        }
        let q = unsafe { mimalloc::MiMalloc.realloc(p, l, new) };
        if q.is_null() {
            if new > old {
                USED.fetch_sub(new - old, Ordering::Relaxed);
            }
        } else if new < old {
            USED.fetch_sub(old - new, Ordering::Relaxed);
        }
        q
    }
}

/// Bytes allocated now.
pub fn used() -> usize {
    USED.load(Ordering::Relaxed)
}

/// The default budget: three quarters of the machine's memory.
pub fn default_budget() -> usize {
    // SAFETY: sysconf only reads system values.
    let (pages, size) = unsafe { (libc::sysconf(libc::_SC_PHYS_PAGES), libc::sysconf(libc::_SC_PAGESIZE)) };
    if pages <= 0 || size <= 0 {
        return usize::MAX;
    }
    (pages as usize).saturating_mul(size as usize) / 4 * 3
}

thread_local! {
    /// The address range around this thread's stack guard (0, 0: not an engine thread).
    static GUARD: std::cell::Cell<(usize, usize)> = const { std::cell::Cell::new((0, 0)) };
}

/// Records where the calling thread's stack ends, so a fault there is known for a stack overflow (called
/// first thing on the threads that run JavaScript).
pub fn note_stack() {
    // SAFETY: pthread_getattr_np fills `attr` for the calling thread; it is destroyed after use.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return;
        }
        let mut addr: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let ok = libc::pthread_attr_getstack(&attr, &mut addr, &mut size) == 0;
        libc::pthread_attr_destroy(&mut attr);
        if ok && !addr.is_null() {
            // The guard pages lie just below the lowest usable address; a frame bigger than them (each
            // page is probed) still faults close by.
            let lo = addr as usize;
            GUARD.with(|g| g.set((lo.saturating_sub(1 << 20), lo + (64 << 10))));
        }
    }
}

extern "C" fn on_fault(sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: the kernel hands the handler a valid siginfo for SIGSEGV/SIGBUS.
    let addr = unsafe { (*info).si_addr() } as usize;
    let (lo, hi) = GUARD.with(|g| g.get());
    let overflow = lo < hi && addr >= lo && addr < hi;
    // Not a stack overflow (a wild access: nothing kernel state says can be trusted, so no sync), a fault
    // while the process is already being ended, or a second one: die as the signal would.
    if !overflow || ENDING.compare_exchange(0, ENDING_STACK, Ordering::SeqCst, Ordering::SeqCst).is_err() {
        // SAFETY: restoring the default action and re-raising are async-signal-safe.
        unsafe {
            libc::signal(sig, libc::SIG_DFL);
            libc::raise(sig);
        }
        return;
    }
    loop {
        // SAFETY: pause(2) is async-signal-safe.
        unsafe { libc::pause() };
    }
}

/// Sets the memory budget (`bytes`: 0 for none), takes over SIGSEGV/SIGBUS (on the alternate signal
/// stack Rust gives each thread, so a stack overflow can be caught) and starts the thread that ends the
/// process when a limit is hit.
pub fn install(bytes: usize) {
    LIMIT.store(if bytes == 0 { usize::MAX } else { bytes }, Ordering::SeqCst);
    // SAFETY: the handler only touches atomics and calls async-signal-safe functions.
    unsafe {
        for sig in [libc::SIGSEGV, libc::SIGBUS] {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_fault as extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) as usize;
            sa.sa_flags = libc::SA_ONSTACK | libc::SA_SIGINFO;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
    let _ = std::thread::Builder::new().name("rumpjs-limits".into()).stack_size(256 << 10).spawn(|| loop {
        std::thread::sleep(Duration::from_millis(20));
        match ENDING.load(Ordering::SeqCst) {
            ENDING_MEMORY => {
                let limit = LIMIT.load(Ordering::SeqCst);
                crate::host::watchdog::end_process(
                    &format!(
                        "rumpjs: stopped: the script asked for {} of memory with {} in use, past the budget of {} \
                         (--max-memory)",
                        human(ASKED.load(Ordering::SeqCst)),
                        human(USED.load(Ordering::SeqCst)),
                        human(limit)
                    ),
                    MEMORY_EXIT,
                )
            }
            ENDING_STACK => crate::host::watchdog::end_process(
                "rumpjs: stopped: the JavaScript engine ran out of native stack (recursion inside a built-in — \
                 JSON.stringify through toJSON, String() of deeply nested arrays, a deeply nested expression — \
                 is not bounded by the engine's call-depth limit)",
                STACK_EXIT,
            ),
            _ => {}
        }
    });
}

fn human(n: usize) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} bytes")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// `SIZE` for --max-memory: a number of bytes with an optional K, M, G or T suffix (powers of 1024).
pub fn parse_size(s: &str) -> Result<usize, String> {
    match parse_size_as(s, SizeUnits::Memory) {
        Ok(n) => Ok(n.min(usize::MAX as u64) as usize),
        Err(SizeError::Invalid) => Err(format!("'{s}': a size is a number with K, M, G or T (e.g. 4G)")),
        Err(SizeError::OutOfRange) => Err(format!("'{s}': a size cannot be negative")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4G"), Ok(4 << 30));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("100"), Ok(100));
        assert_eq!(parse_size("0"), Ok(0));
        assert!(parse_size("-1G").is_err());
        assert!(parse_size("lots").is_err());
        assert!(parse_size("3X").is_err());
    }
}
