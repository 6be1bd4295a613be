//! Making the image: newfs on the image file, then a kernel on a host whose clock stands still where
//! makefs puts it mounts it and the tree is copied in.

use super::args::MakefsOptions;
use super::image_dev::ImageDevice;
use super::read_ahead;
use crate::cmd::ENGINE_STACK;
use crate::host::copy::Bar;
use crate::host::output::{self, Stream};
use kernel::dev::{BlockDevice, Dev};
use kernel::fs::ffs::newfs::{self, NewfsOptions};
use kernel::hyper::Hypervisor;
use kernel::vfs::{Cred, MountOptions, Timespec};
use kernel::{Errno, KResult, Kernel};
use kernel_bindings::copy::{self, KernelFs, Meta, Node};
use std::fs::File;
use std::os::unix::ffi::OsStrExt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The host makefs's kernel runs on: the clock stands still where makefs puts it (the deterministic host's
/// moves on at every reading), randomness is the kernel's seeded stream ([`kernel::hyper::fill_splitmix`],
/// as the deterministic host's), host files are out of reach (the image is registered directly).
struct ImageHost {
    now: Mutex<Timespec>,
    seed: AtomicU64,
    ticks: AtomicU64,
    verbose: bool,
}

impl ImageHost {
    fn set(&self, t: Timespec) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = t;
    }
}

impl Hypervisor for ImageHost {
    fn open_block_device(&self, _host_path: &str, _readonly: bool) -> KResult<Dev> {
        Err(Errno::EACCES)
    }
    fn wall_clock(&self) -> Timespec {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn monotonic_ns(&self) -> u64 {
        self.ticks.fetch_add(1000, Ordering::Relaxed)
    }
    fn random(&self, buf: &mut [u8]) -> KResult<()> {
        kernel::hyper::fill_splitmix(&self.seed, buf);
        Ok(())
    }
    fn console(&self, line: &str) {
        if self.verbose {
            output::line(Stream::Stderr, line);
        }
    }
}

pub(super) enum BuildError {
    Full,
    Other(String),
}

#[allow(clippy::too_many_arguments)]
pub(super) fn build(
    o: &MakefsOptions,
    file: &File,
    img_name: &str,
    tree: &Node,
    size: u64,
    nopts: &NewfsOptions,
    now: Timespec,
    say: &mut dyn FnMut(&str),
) -> Result<(newfs::NewfsReport, copy::Stats), BuildError> {
    let other = |m: String| BuildError::Other(m);
    // From zeros: nothing of an earlier image survives.
    file.set_len(0).and_then(|_| file.set_len(size)).map_err(|e| other(format!("{img_name}: {e}")))?;
    let file = file.try_clone().map_err(|e| other(format!("{img_name}: {e}")))?;
    let dev = Arc::new(ImageDevice::new(file, size, img_name.to_string()));
    let host = Arc::new(ImageHost {
        now: Mutex::new(now),
        seed: AtomicU64::new((now.sec as u64) ^ 0x6d61_6b65_6673_0000),
        ticks: AtomicU64::new(0),
        verbose: o.verbose,
    });
    let report = newfs::newfs(dev.as_ref(), nopts, host.as_ref()).map_err(|e| other(format!("newfs: {e}")))?;
    say(report.to_string().trim_end());
    say(&format!("Populating `{img_name}'"));
    let k = Kernel::boot_default(host.clone()).map_err(|e| other(format!("boot: {e}")))?;
    let p = k.new_proc(Cred::root());
    p.mkdir(b"/mnt", 0o755).map_err(|e| other(format!("mkdir /mnt: {e}")))?;
    p.mount_device("ffs", b"/mnt", 0, dev.clone() as Dev, &MountOptions::default())
        .map_err(|e| other(format!("mount {img_name}: {}", e.text(img_name))))?;
    let kfs = KernelFs::new(&p);
    let clock = |m: &Meta| host.set(m.mtime);
    let bar = Bar::new(o.progress, "makefs");
    let opts = copy::Options {
        owners: true,
        btime: o.ufs == 2,
        flags: true,
        progress: Some(&bar),
        before_attrs: Some(&clock),
        ..copy::Options::default()
    };
    let src = o.dir.as_os_str().as_bytes();
    // The host's tree read ahead on a second thread while this one runs the kernel.
    let r = std::thread::scope(|s| {
        let (ahead, reader) = read_ahead::start(tree, src);
        let spawned =
            std::thread::Builder::new().name("makefs-read".into()).stack_size(ENGINE_STACK).spawn_scoped(s, reader);
        let r = copy::copy(&ahead, src, tree, &kfs, b"/mnt", &opts);
        drop(ahead);
        if let Ok(h) = spawned {
            let _ = h.join();
        }
        r
    });
    host.set(now);
    // The unmount writes everything and flushes the device; the last joined write is on the host then.
    let u = p.unmount(b"/mnt", 0).and_then(|_| dev.flush());
    match r {
        Ok(stats) => {
            u.map_err(|e| other(format!("unmount {img_name}: {e}")))?;
            for m in &stats.skipped {
                output::line(Stream::Stderr, &format!("rumpjs makefs: skipped {m}"));
            }
            Ok((report, stats))
        }
        Err(e) if e.errno == Errno::ENOSPC => Err(BuildError::Full),
        Err(e) => Err(other(e.to_string())),
    }
}
