//! The event loop: promise jobs and async jobs run by Boa's SimpleJobExecutor, timers kept here so the loop
//! sleeps until the next one is due instead of spinning; unhandled promise rejections are tracked through
//! the HostHooks promise_rejection_tracker.

use boa_engine::builtins::promise::{OperationType, Promise};
use boa_engine::context::HostHooks;
use boa_engine::job::{IntervalJob, Job, JobExecutor, SimpleJobExecutor, TimeoutJob};
use boa_engine::object::builtins::JsPromise;
use boa_engine::{Context, JsObject, JsResult};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Set when a host is done with the event loop (the test runner once every test of a file has run):
/// pending timers are dropped instead of waited for, so a timed-out test's timers do not keep the
/// process alive.
pub static DROP_TIMERS: AtomicBool = AtomicBool::new(false);

enum Timer {
    Timeout(TimeoutJob),
    Interval(IntervalJob),
}

impl Timer {
    fn cancelled(&self) -> bool {
        match self {
            Timer::Timeout(t) => t.cancelled(),
            Timer::Interval(t) => t.cancelled(),
        }
    }
}

/// Job executor with real sleeping timers.
pub struct Executor {
    inner: Rc<SimpleJobExecutor>,
    timers: RefCell<BTreeMap<(Instant, u64), Timer>>,
    seq: RefCell<u64>,
    /// Sleep until each timer is due (a script's event loop), or return once only future timers are
    /// left (the REPL runs them while its prompt waits).
    wait_for_timers: std::cell::Cell<bool>,
    /// Promises rejected with no handler yet (shared with [`Hooks`]).
    pub rejections: Rc<RefCell<Vec<JsObject<Promise>>>>,
}

impl Executor {
    pub fn new(rejections: Rc<RefCell<Vec<JsObject<Promise>>>>) -> Executor {
        Executor {
            inner: Rc::new(SimpleJobExecutor::new()),
            timers: RefCell::new(BTreeMap::new()),
            seq: RefCell::new(0),
            wait_for_timers: std::cell::Cell::new(true),
            rejections,
        }
    }

    fn add(&self, at: Instant, t: Timer) {
        let mut s = self.seq.borrow_mut();
        *s += 1;
        self.timers.borrow_mut().insert((at, *s), t);
    }

    /// Whether timers are pending (not cancelled).
    pub fn has_timers(&self) -> bool {
        self.timers.borrow_mut().retain(|_, t| !t.cancelled());
        !self.timers.borrow().is_empty()
    }

    /// When the next pending timer is due.
    pub fn next_timer(&self) -> Option<Instant> {
        self.timers.borrow_mut().retain(|_, t| !t.cancelled());
        self.timers.borrow().keys().next().map(|k| k.0)
    }

    pub fn set_wait_for_timers(&self, wait: bool) {
        self.wait_for_timers.set(wait);
    }
}

impl JobExecutor for Executor {
    fn enqueue_job(self: Rc<Self>, job: Job, context: &mut Context) {
        match job {
            Job::TimeoutJob(t) => {
                let d: Duration = t.timeout().into();
                self.add(Instant::now() + d, Timer::Timeout(t));
            }
            Job::IntervalJob(t) => {
                let d: Duration = t.interval().into();
                self.add(Instant::now() + d, Timer::Interval(t));
            }
            other => self.inner.clone().enqueue_job(other, context),
        }
    }

    fn run_jobs(self: Rc<Self>, context: &mut Context) -> JsResult<()> {
        // Without waiting, only the timers due when this began: a timer that sets another for 0 ms must
        // not keep the REPL from its prompt.
        let start = Instant::now();
        loop {
            // Microtasks (promise reactions, async functions, module loading) until none is left.
            self.inner.clone().run_jobs(context)?;
            if !self.rejections.borrow().is_empty() {
                // Stop so the host reports it (Node reports after the microtask queue drains).
                return Ok(());
            }
            if DROP_TIMERS.load(Ordering::Relaxed) {
                self.timers.borrow_mut().clear();
                return Ok(());
            }
            // The next timer: wait for it, run it, go on.
            let next = {
                let mut t = self.timers.borrow_mut();
                t.retain(|_, x| !x.cancelled());
                t.keys().next().copied()
            };
            let Some(key) = next else { return Ok(()) };
            let now = Instant::now();
            if !self.wait_for_timers.get() && key.0 > start {
                return Ok(());
            }
            if key.0 > now {
                crate::host::output::flush();
                std::thread::sleep(key.0 - now);
            }
            let Some(timer) = self.timers.borrow_mut().remove(&key) else { continue };
            match timer {
                Timer::Timeout(t) => {
                    t.call(context)?;
                }
                Timer::Interval(t) => {
                    t.call(context)?;
                    let d: Duration = t.interval().into();
                    self.add(Instant::now() + d.max(Duration::from_millis(1)), Timer::Interval(t));
                }
            }
        }
    }
}

/// Host hooks: unhandled rejection tracking and the buffer size limit.
pub struct Hooks {
    pub rejections: Rc<RefCell<Vec<JsObject<Promise>>>>,
}

impl HostHooks for Hooks {
    fn promise_rejection_tracker(&self, promise: &JsObject<Promise>, operation: OperationType, _context: &mut Context) {
        let mut r = self.rejections.borrow_mut();
        match operation {
            OperationType::Reject => r.push(promise.clone()),
            OperationType::Handle => r.retain(|p| !JsObject::equals(p, promise)),
        }
    }

    /// The largest ArrayBuffer a script may ask for (Node's kIoMaxLength): more is a RangeError.
    fn max_buffer_size(&self, _context: &mut Context) -> u64 {
        kernel_bindings::fs::IO_MAX
    }
}

/// Takes the first unhandled rejection's promise, if any.
pub fn take_rejection(r: &Rc<RefCell<Vec<JsObject<Promise>>>>) -> Option<JsPromise> {
    let mut v = r.borrow_mut();
    if v.is_empty() {
        return None;
    }
    let p = v.remove(0);
    JsPromise::from_object(p.upcast()).ok()
}
