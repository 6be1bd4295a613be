//! Requests counted by kind, for finding the round trips a workload costs: with
//! `RUMPJS_MOUNT_STATS=FILE` in the server's environment, the counts are written to FILE (one
//! `OPCODE COUNT` line each, busiest first) when the mount ends, and at once on a SIGUSR1 to the
//! server, which then counts again from zero: one phase of a job measured alone.

use std::sync::atomic::{AtomicU64, Ordering};

/// The environment variable naming the file the counts go to.
pub(super) const STATS_ENV: &str = "RUMPJS_MOUNT_STATS";

/// The requests counted, and the notifications the server sends.
#[derive(Clone, Copy, Debug)]
pub(super) enum Op {
    Lookup,
    Forget,
    Getattr,
    Setattr,
    Readlink,
    Mknod,
    Mkdir,
    Unlink,
    Rmdir,
    Symlink,
    Rename,
    Link,
    Open,
    Read,
    Write,
    Flush,
    Release,
    Fsync,
    Opendir,
    Readdir,
    Readdirplus,
    Releasedir,
    Fsyncdir,
    Statfs,
    Access,
    Create,
    /// FUSE_NOTIFY_STORE sent: a file's last page handed to the host's cache.
    NotifyStore,
    /// FUSE_NOTIFY_INVAL_INODE sent.
    NotifyInval,
}

const OPS: usize = Op::NotifyInval as usize + 1;

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
        let mut rows: Vec<(String, u64)> = (0..OPS)
            .map(|i| (format!("{:?}", op_at(i)), self.counts[i].swap(0, Ordering::Relaxed)))
            .filter(|(_, n)| *n > 0)
            .collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let text: String = rows.iter().map(|(op, n)| format!("{op} {n}\n")).collect();
        if let Err(e) = std::fs::write(&self.path, text) {
            eprintln!("rumpjs mount: {}: {e}", self.path.display());
        }
    }
}

/// The [`Op`] whose counter is at `i`.
fn op_at(i: usize) -> Op {
    use Op::*;
    const ALL: [Op; OPS] = [
        Lookup,
        Forget,
        Getattr,
        Setattr,
        Readlink,
        Mknod,
        Mkdir,
        Unlink,
        Rmdir,
        Symlink,
        Rename,
        Link,
        Open,
        Read,
        Write,
        Flush,
        Release,
        Fsync,
        Opendir,
        Readdir,
        Readdirplus,
        Releasedir,
        Fsyncdir,
        Statfs,
        Access,
        Create,
        NotifyStore,
        NotifyInval,
    ];
    ALL[i]
}
