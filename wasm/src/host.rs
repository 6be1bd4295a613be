//! The JavaScript engine as the kernel's hypervisor (rumpuser's hypercalls over JS imports from host.js):
//! the clock from `Date.now()` and `performance.now()`, randomness from `crypto.getRandomValues` (an
//! error when there is none, never a weaker fallback), console lines to the kernel's JS callback, and
//! block devices that are JS objects read and written synchronously at an offset (a Uint8Array, a host
//! file read with positioned reads in Node, a `File` read with `FileReaderSync` in a browser Worker).
//! Nothing here can reach a host path: a device is only what the page's JavaScript handed in.

use kernel::dev::{check_range, BlockDevice, Dev};
use kernel::hyper::Hypervisor;
use kernel::vfs::Timespec;
use kernel::{Errno, KResult};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(raw_module = "./host.js")]
extern "C" {
    /// Date.now(): milliseconds since the epoch.
    fn host_wall_clock_ms() -> f64;
    /// performance.now(): milliseconds since an arbitrary start.
    fn host_monotonic_ms() -> f64;
    /// crypto.getRandomValues into `buf`; throws when the host has no generator.
    #[wasm_bindgen(catch)]
    fn host_random(buf: &mut [u8]) -> Result<(), JsValue>;
    /// A console line of kernel `kernel`, to its callback.
    fn host_console(kernel: u32, line: &str);
    /// `device.read(offset, length)` of device `handle` into `buf`; throws on a short or failed read.
    #[wasm_bindgen(catch)]
    fn host_dev_read(handle: u32, offset: f64, buf: &mut [u8]) -> Result<(), JsValue>;
    /// `device.write(offset, bytes)` of device `handle`; throws on failure.
    #[wasm_bindgen(catch)]
    fn host_dev_write(handle: u32, offset: f64, buf: &[u8]) -> Result<(), JsValue>;
    /// The kernel lets device `handle` go (its last mount is gone).
    fn host_dev_release(handle: u32);
    /// An `Error` (or `TypeError`, `RangeError`: `kind`) with a Node `code`.
    fn host_coded_error(kind: &str, code: &str, message: &str) -> JsValue;
    /// A kernel error as Node shapes it: message, `errno`, `code`, `syscall`, `path`, `dest`.
    fn host_errno_error(
        errno: i32,
        code: &str,
        message: &str,
        syscall: &str,
        path: Option<String>,
        dest: Option<String>,
    ) -> JsValue;
    /// A `Stats` from its fields in `STAT_FIELDS` order.
    fn host_stats(fields: &[f64]) -> JsValue;
    /// A `StatFs` from a plain object of its fields.
    fn host_statfs(fields: JsValue) -> JsValue;
    /// How JS prints a number (`String(n)`).
    fn host_show_number(n: f64) -> String;
}

pub fn coded_error(kind: &str, code: &str, message: &str) -> JsValue {
    host_coded_error(kind, code, message)
}

pub fn show_number(n: f64) -> String {
    host_show_number(n)
}

/// A kernel error from `syscall` on `path` (and `dest`, for two-path calls), as kernel-bindings'
/// `errno_error`: `ENOENT: no such file or directory, open '/x'`.
pub fn errno_error(e: Errno, syscall: &str, path: Option<&str>, dest: Option<&str>) -> JsValue {
    let mut msg = format!("{}: {}, {}", e.name(), e.message(), syscall);
    if let Some(p) = path {
        msg.push_str(&format!(" '{p}'"));
        if let Some(d) = dest {
            msg.push_str(&format!(" -> '{d}'"));
        }
    }
    host_errno_error(e.0, e.name(), &msg, syscall, path.map(str::to_string), dest.map(str::to_string))
}

pub fn stats(fields: &[f64]) -> JsValue {
    host_stats(fields)
}

pub fn statfs(fields: JsValue) -> JsValue {
    host_statfs(fields)
}

/// The hypervisor of one kernel; `id` routes its console lines to its callback.
pub struct JsHypervisor {
    pub id: u32,
}

impl Hypervisor for JsHypervisor {
    /// Host paths are not the kernel's to open here: an image comes in as a device object.
    fn open_block_device(&self, _host_path: &str, _readonly: bool) -> KResult<Dev> {
        Err(Errno::EACCES)
    }

    fn wall_clock(&self) -> Timespec {
        let ms = host_wall_clock_ms();
        if !ms.is_finite() || ms < 0.0 {
            return Timespec::default();
        }
        let sec = (ms / 1000.0).floor();
        let nsec = (((ms - sec * 1000.0) * 1e6) as u32).min(999_999_999);
        Timespec::new(sec as i64, nsec)
    }

    fn monotonic_ns(&self) -> u64 {
        let ms = host_monotonic_ms();
        if ms.is_finite() && ms > 0.0 {
            (ms * 1e6) as u64
        } else {
            0
        }
    }

    fn random(&self, buf: &mut [u8]) -> KResult<()> {
        host_random(buf).map_err(|_| Errno::EIO)
    }

    fn console(&self, line: &str) {
        host_console(self.id, line);
    }

    fn hosted_by(&self) -> &str {
        "a JavaScript engine, as WebAssembly"
    }
}

/// A block device the page's JavaScript holds (host.js's device table): reads and writes go to it
/// synchronously, a block at a time, so an image is never read whole.
pub struct JsDevice {
    pub handle: u32,
    pub size: u64,
    pub readonly: bool,
    pub label: String,
}

impl BlockDevice for JsDevice {
    fn read_at(&self, off: u64, buf: &mut [u8]) -> KResult<()> {
        check_range(off, buf.len(), self.size)?;
        host_dev_read(self.handle, off as f64, buf).map_err(|_| Errno::EIO)
    }

    fn write_at(&self, off: u64, buf: &[u8]) -> KResult<()> {
        if self.readonly {
            return Err(Errno::EROFS);
        }
        check_range(off, buf.len(), self.size)?;
        host_dev_write(self.handle, off as f64, buf).map_err(|_| Errno::EIO)
    }

    fn size(&self) -> u64 {
        self.size
    }

    fn flush(&self) -> KResult<()> {
        Ok(())
    }

    fn readonly(&self) -> bool {
        self.readonly
    }

    fn describe(&self) -> String {
        format!("{}{}", self.label, if self.readonly { " (ro)" } else { "" })
    }
}

impl Drop for JsDevice {
    fn drop(&mut self) {
        host_dev_release(self.handle);
    }
}
