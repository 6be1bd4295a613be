//! The rumpjs fuzz targets' shared code (see harness.rs); each target in fuzz_targets/ is one call.

pub mod harness;

use std::alloc::{GlobalAlloc, Layout, System};

/// Largest single allocation a target may make; anything larger aborts the run, which libFuzzer reports
/// as a crash with the input saved. (libFuzzer's own -malloc_limit_mb needs a sanitizer's malloc hooks,
/// and the targets are built without one: the kernel is safe Rust.)
pub const ALLOC_LIMIT: usize = 512 << 20;

struct Limited;

unsafe impl GlobalAlloc for Limited {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if l.size() > ALLOC_LIMIT {
            return std::ptr::null_mut();
        }
        unsafe { System.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        if l.size() > ALLOC_LIMIT {
            return std::ptr::null_mut();
        }
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        if new > ALLOC_LIMIT {
            return std::ptr::null_mut();
        }
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static ALLOC: Limited = Limited;
