//! Requests counted by kind, for finding the round trips a workload costs: with
//! `RUMPJS_MOUNT_STATS=FILE` in the server's environment, the counts are written to FILE (one
//! `OPCODE COUNT` line each, busiest first) when the mount ends, and at once on a SIGUSR1 to the
//! server, which then counts again from zero: one phase of a job measured alone.

use std::sync::atomic::{AtomicU64, Ordering};

/// The environment variable naming the file the counts go to.
pub(super) const STATS_ENV: &str = "RUMPJS_MOUNT_STATS";

/// `Op`, one variant per name, and `NAMES`, the names in the same order.
macro_rules! ops {
    ($($(#[$doc:meta])* $op:ident,)*) => {
        /// The requests counted, and the notifications the server sends.
        #[derive(Clone, Copy, Debug)]
        pub(super) enum Op {
            $($(#[$doc])* $op,)*
        }

        const NAMES: &[&str] = &[$(stringify!($op),)*];
    };
}

ops! {
    Lookup, Forget, Getattr, Setattr, Readlink, Mknod, Mkdir, Unlink, Rmdir, Symlink, Rename, Link, Open, Read,
    Write, Flush, Release, Fsync, Opendir, Readdir, Readdirplus, Releasedir, Fsyncdir, Statfs, Access, Create,
    /// FUSE_NOTIFY_STORE sent: a file's last page handed to the host's cache.
    NotifyStore,
    /// FUSE_NOTIFY_INVAL_INODE sent.
    NotifyInval,
}

const OPS: usize = NAMES.len();

/// One counter per [`Op`].
pub(super) struct Stats {
    counts: [AtomicU64; OPS],
    /// Where the counts are written.
    path: std::path::PathBuf,
}

impl Stats {
    /// The counters, when `RUMPJS_MOUNT_STATS` asks for them.
    pub(super) fn from_env() -> Option<Stats> {
        let path = std::env::var_os(STATS_ENV).filter(|p| !p.is_empty())?;
        Some(Stats { counts: std::array::from_fn(|_| AtomicU64::new(0)), path: path.into() })
    }

    pub(super) fn count(&self, op: Op) {
        self.counts[op as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Writes the counts so far to the file, busiest first, and starts again from zero.
    pub(super) fn write(&self) {
        let mut rows: Vec<(&str, u64)> =
            (0..OPS).map(|i| (NAMES[i], self.counts[i].swap(0, Ordering::Relaxed))).filter(|(_, n)| *n > 0).collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let text: String = rows.iter().map(|(op, n)| format!("{op} {n}\n")).collect();
        // Written whole, then renamed into place: a reader never finds it half written.
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".tmp");
        if let Err(e) = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, &self.path)) {
            eprintln!("rumpjs mount: {}: {e}", self.path.display());
        }
    }
}
