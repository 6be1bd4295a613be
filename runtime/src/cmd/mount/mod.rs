//! `rumpjs mount` / `rumpjs umount`: the kernel's file systems served to the host through FUSE, as
//! NetBSD's p2k (puffs to kernel) serves a rump kernel's: each FUSE request maps onto one vnode
//! operation of the mounted file system, with the checks of the matching syscall (`kernel::vfs::vnops`)
//! made with the calling host process's credentials.
//!
//! - FUSE node ids are the file system's own inode numbers, except the root, which FUSE calls 1.
//! - Every node the host kernel has looked up holds a kernel `Vnode` reference until FUSE forgets it
//!   (nlookup counting, READDIRPLUS entries included), and every open file we handed a handle holds
//!   one until released: a file removed while open stays readable and is freed at the host's last
//!   reference, as on NetBSD.
//! - When only this server changes the file system (a tmpfs, or an image held by flock against other
//!   mounts), the host keeps names, negative ones too, and attributes for a day, and opens files and
//!   directories by itself (FUSE's no-open), keeping their pages and listings: it applies the effects
//!   of its own requests to its caches, and the server tells it the one change it cannot know (set-ID
//!   bits a write takes away). It also hands the host the last page of a file written, which the
//!   host's write left partly filled (`pages`): a file read back after it was written reaches the
//!   server no more than one read again. Reads the host answers from its cache set no atime in the
//!   image (Linux asks again only for what it read from us), as on an NFS client; a NetBSD mount
//!   with -o noatime records none either. Otherwise (kernfs, an image another mount holds) a second,
//!   and opens come to us.
//! - readdir offsets are the file system's own directory cookies, which stay valid while others
//!   create and remove names.
//! - The session thread reads requests (fuser reads on one thread) and answers the small ones itself;
//!   large reads and writes, truncation and fsync run beside them on a pool of worker threads (the
//!   kernel is Send + Sync).
//! - Errors are NetBSD errno values inside; [`crate::host::errno::linux_errno`] translates them for the
//!   host.
//!
//! `server` holds the state and the vnode operations, `fuse_fs` fuser's calls onto them, `pages` what
//! the host holds of each file's pages, `convert` the conversions of times, types and flags, `stats`
//! the request counts kept on demand (`RUMPJS_MOUNT_STATS`); this file the command, the kernel it boots and the image it
//! attaches (`mount`), detaching and `umount`.

mod convert;
mod fuse_fs;
mod pages;
mod server;
mod stats;

use clap::Args;
use fuse_fs::FuseFs;
use fuser::MountOption;
use kernel::vfs::*;
use server::{Caching, Job, Server};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::Duration;

/// Where the served file system is mounted inside the kernel when the host's mount point cannot be
/// made there.
const KMNT: &str = "/mnt";
/// Set in the environment of a server started by a `rumpjs mount` without `-f`: report "ready" or
/// "error: ..." on standard output once the mount is up or has failed.
const NOTIFY_ENV: &str = "RUMPJS_MOUNT_NOTIFY";

/// `rumpjs mount`'s own options (`--rw`, `--overlay`, `--partition` and `-v` are the global ones).
#[derive(Args, Debug, Clone)]
#[command(after_help = "Serves IMAGE's FFS (or, with -t tmpfs, a new tmpfs) at MOUNTPOINT through FUSE: every \
                  host tool works on it. Read-only unless --rw (written in place) or --overlay (writes \
                  kept in memory, the image untouched). Without -f the server detaches: `rumpjs mount` \
                  returns once the mount answers, and the server runs on until `rumpjs umount MOUNTPOINT` \
                  (or `fusermount3 -u MOUNTPOINT`), which writes everything and marks the file system \
                  clean. With -f it stays in the foreground (Ctrl-C unmounts the same way). Access is \
                  checked with the calling process's uid and groups against the image's owners and modes; \
                  --allow-other lets other users in (root may always use it).")]
pub struct MountArgs {
    /// IMAGE MOUNTPOINT, or just MOUNTPOINT for a memory file system (-t tmpfs).
    #[arg(num_args = 1..=2, value_names = ["IMAGE", "MOUNTPOINT"], required = true)]
    pub paths: Vec<PathBuf>,
    /// File-system type (ffs, tmpfs, kernfs); default --fstype's (ffs).
    #[arg(short = 't', long = "type", value_name = "TYPE")]
    pub mtype: Option<String>,
    /// Let users other than the one who mounted reach the mount (FUSE's allow_other).
    #[arg(long)]
    pub allow_other: bool,
    /// Stay in the foreground.
    #[arg(short = 'f', long)]
    pub foreground: bool,
    /// Mount options for the file system, e.g. size=64m for tmpfs, noatime, force (repeatable, comma
    /// separated).
    #[arg(short = 'o', value_name = "OPT[=VAL],...")]
    pub options: Vec<String>,
    /// Worker threads serving requests (default: 4 per core, at least 4; 0: every request answered on
    /// the thread that reads them).
    #[arg(long, value_name = "N", hide = true)]
    pub threads: Option<usize>,
}

/// `rumpjs umount MOUNTPOINT`.
#[derive(Args, Debug, Clone)]
pub struct UmountArgs {
    /// Where a `rumpjs mount` serves a file system.
    pub mountpoint: PathBuf,
}

/// Signals that end a foreground server the clean way (unmount, write, mark clean).
static STOP: AtomicBool = AtomicBool::new(false);
/// SIGUSR1: write the request counts now ([`stats`]).
static WRITE_STATS: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(sig: i32) {
    match sig {
        SIGUSR1 => WRITE_STATS.store(true, Ordering::SeqCst),
        _ => STOP.store(true, Ordering::SeqCst),
    }
}

extern "C" {
    // The C library's signal(3); std links it already.
    fn signal(signum: i32, handler: extern "C" fn(i32)) -> usize;
}

const SIGHUP: i32 = 1;
const SIGINT: i32 = 2;
const SIGUSR1: i32 = 10;
const SIGTERM: i32 = 15;

/// Reports readiness to a `rumpjs mount` waiting for its detached server, or errors to stderr.
struct Notify(bool);

impl Notify {
    fn ready(&self) {
        if self.0 {
            let mut o = std::io::stdout();
            let _ = o.write_all(b"ready\n");
            let _ = o.flush();
        }
    }
    fn fail(&self, msg: &str) -> i32 {
        if self.0 {
            let mut o = std::io::stdout();
            let _ = writeln!(o, "error: {msg}");
            let _ = o.flush();
        } else {
            eprintln!("rumpjs mount: {msg}");
        }
        1
    }
}

/// `rumpjs mount`: the process exit code.
pub fn mount(common: &crate::cmd::CommonOpts, a: MountArgs) -> i32 {
    let notify = Notify(std::env::var_os(NOTIFY_ENV).is_some());
    if !a.foreground {
        return detach(common);
    }
    let fstype = a.mtype.clone().unwrap_or_else(|| common.fstype.clone());
    let needs_device = fstype == "ffs";
    let (image, mountpoint) = match (needs_device, a.paths.as_slice()) {
        (true, [img, mnt]) => (Some(img.clone()), mnt.clone()),
        (false, [mnt]) => (None, mnt.clone()),
        (true, _) => return notify.fail("usage: rumpjs mount [--rw|--overlay] IMAGE MOUNTPOINT"),
        (false, _) => return notify.fail(&format!("usage: rumpjs mount -t {fstype} MOUNTPOINT (no image)")),
    };
    if !mountpoint.is_dir() {
        return notify.fail(&format!("{}: not a directory", mountpoint.display()));
    }
    if !Path::new("/dev/fuse").exists() {
        return notify.fail("/dev/fuse is missing (load the fuse module; Debian's fuse3 package gives fusermount3)");
    }
    let readonly = needs_device && !common.rw && !common.overlay && common.overlay_file.is_none();
    let mut mopts = MountOptions { readonly, ..Default::default() };
    if let Some(p) = &common.partition {
        mopts.opts.push(("partition".into(), p.clone()));
    }
    for o in a.options.iter().flat_map(|o| o.split(',')).filter(|o| !o.is_empty()) {
        match o.split_once('=') {
            _ if o == "force" => mopts.force = true,
            _ if o == "ro" => mopts.readonly = true,
            Some((k, v)) => mopts.opts.push((k.into(), v.into())),
            None => mopts.opts.push((o.into(), String::new())),
        }
    }
    let readonly = mopts.readonly;

    // The kernel: the image (or an overlay on it) as /dev/<type>0, the file system where the host has it.
    let hyper: Arc<dyn kernel::hyper::Hypervisor> = Arc::new(kernel::hyper::StdHypervisor::new(common.verbose));
    let k = match Kernel::boot_default(hyper) {
        Ok(k) => k,
        Err(e) => return notify.fail(&format!("kernel boot failed: {e}")),
    };
    let p = k.new_proc(Cred::root());
    let kmnt = kernel_mountpoint(&k, &p, &mountpoint);
    let kmnt = kmnt.as_str();
    let mounted = match &image {
        Some(img) => {
            let path = img.to_string_lossy();
            let overlay = match (&common.overlay_file, common.overlay) {
                (Some(f), _) => kernel::vfs::Overlay::File(f.to_string_lossy().into_owned()),
                (None, true) => kernel::vfs::Overlay::Memory,
                (None, false) => kernel::vfs::Overlay::None,
            };
            let image = kernel::vfs::Image { path: &path, readonly, overlay };
            p.attach_image(&fstype, kmnt.as_bytes(), &image, &mopts).map(|_| ()).map_err(|e| e.text(&path))
        }
        None => {
            let flags = if readonly { MNT_RDONLY } else { 0 };
            p.mount_why(&fstype, kmnt.as_bytes(), flags, None, &mopts).map_err(|e| e.text(&fstype))
        }
    };
    if let Err(why) = mounted {
        let src = image.as_ref().map_or(fstype.clone(), |i| i.display().to_string());
        return notify.fail(&format!("cannot mount {src}: {why}"));
    }
    let Some(m) = k.mounts().into_iter().find(|m| m.on == kmnt) else {
        return notify.fail("the mount vanished");
    };

    let allow_other = a.allow_other;
    // The host keeps what only we change (with other users in too: it checks modes itself).
    let held = image.as_ref().map(|i| hold_image(i, !readonly && !common.overlay && common.overlay_file.is_none()));
    let exclusive = match &held {
        Some(lock) => lock.is_some(),
        None => fstype != "kernfs",
    };
    let server = Arc::new(Server {
        kernel: k.clone(),
        root: Arc::new(m.root_vnode()),
        nodes: Mutex::new(HashMap::new()),
        handles: Mutex::new(HashMap::new()),
        next_fh: AtomicU64::new(1),
        cache: if exclusive { Caching::exclusive() } else { Caching::shared() },
        notifier: OnceLock::new(),
        stats: stats::Stats::from_env(),
        tails: AtomicUsize::new(0),
    });
    let threads = a.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(4, |n| n.get() * 4).max(4));
    let (tx, rx) = mpsc::channel::<Job>();
    let rx = Arc::new(Mutex::new(rx));
    let mut workers = Vec::new();
    for i in 0..threads {
        let (rx, s) = (rx.clone(), server.clone());
        let w = std::thread::Builder::new().name(format!("fuse-{i}")).spawn(move || loop {
            let job = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
            match job {
                Ok(job) => job(&s),
                Err(_) => break,
            }
        });
        match w {
            Ok(w) => workers.push(w),
            Err(e) => return notify.fail(&format!("cannot start a worker: {e}")),
        }
    }

    let source = image
        .as_ref()
        .map_or(fstype.clone(), |i| std::fs::canonicalize(i).unwrap_or_else(|_| i.clone()).display().to_string());
    let source: String =
        source.chars().map(|c| if c == ',' || c.is_whitespace() || c == '\\' { '_' } else { c }).collect();
    let mut options = vec![
        MountOption::FSName(format!("rumpjs@{}:{source}", std::process::id())),
        MountOption::Subtype("rumpjs".into()),
        MountOption::NoDev,
        MountOption::NoSuid,
        // The host checks the image's modes too, before it asks us: it opens FIFOs and device nodes
        // itself, without a FUSE open we could refuse. Our own checks still run on every request
        // and decide what only this kernel knows (file flags, NetBSD's rules).
        MountOption::DefaultPermissions,
        if readonly { MountOption::RO } else { MountOption::RW },
    ];
    if allow_other {
        options.push(MountOption::AllowOther);
    }
    let fs = FuseFs { server: server.clone(), jobs: (threads > 0).then_some(tx) };
    let mut session = match fuser::Session::new(fs, &mountpoint, &options) {
        Ok(s) => s,
        Err(e) => {
            let _ = p.unmount(kmnt.as_bytes(), 0);
            return notify.fail(&format!("cannot mount on {}: {e}", mountpoint.display()));
        }
    };
    let _ = server.notifier.set(session.notifier());
    // Ctrl-C, SIGTERM, SIGHUP: unmount from FUSE's side; the loop then ends and we write everything.
    let mut unmounter = session.unmount_callable();
    unsafe {
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        signal(SIGHUP, on_signal);
        if server.stats.is_some() {
            signal(SIGUSR1, on_signal);
        }
    }
    let done = Arc::new(AtomicBool::new(false));
    {
        let done = done.clone();
        let server = Arc::downgrade(&server); // not kept past the end: unmounting wants its vnodes
        std::thread::spawn(move || {
            while !done.load(Ordering::SeqCst) {
                if STOP.swap(false, Ordering::SeqCst) {
                    let _ = unmounter.unmount();
                }
                if WRITE_STATS.swap(false, Ordering::SeqCst) {
                    if let Some(stats) = server.upgrade().as_ref().and_then(|s| s.stats.as_ref()) {
                        stats.write();
                    }
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
    }
    notify.ready();
    let run = session.run();
    done.store(true, Ordering::SeqCst);
    drop(session); // the channel to the workers goes with it: they finish what they hold and stop
    for w in workers {
        let _ = w.join();
    }
    let mut code = 0;
    if let Err(e) = run {
        eprintln!("rumpjs mount: the FUSE session ended: {e}");
        code = 1;
    }
    // Drop every reference FUSE held, then write everything and unmount (FFS marks itself clean).
    server.handles.lock().unwrap_or_else(|e| e.into_inner()).clear();
    let nodes = std::mem::take(&mut *server.nodes.lock().unwrap_or_else(|e| e.into_inner()));
    drop(nodes);
    if let Some(s) = &server.stats {
        s.write();
    }
    drop(server);
    let r = p.sync().and_then(|()| p.unmount(kmnt.as_bytes(), 0)).or_else(|e| {
        k.log(&format!("unmount: {e}; forcing"));
        p.unmount(kmnt.as_bytes(), MNT_FORCE)
    });
    if let Err(e) = r {
        eprintln!("rumpjs mount: unmounting the file system: {e}");
        code = 1;
    }
    code
}

/// Where the kernel mounts the file system: the host's mount point, made in the kernel's own root,
/// so FFS records it in fs_fsmnt ("last mounted on") as a NetBSD mount records where it was mounted;
/// /mnt when that path cannot be made or already holds a kernel mount.
fn kernel_mountpoint(k: &Kernel, p: &Proc, host: &Path) -> String {
    let want = std::fs::canonicalize(host).unwrap_or_else(|_| host.to_path_buf()).to_string_lossy().into_owned();
    let taken = k.mounts().iter().any(|m| m.on == want);
    if want != "/" && !taken {
        crate::host::session::mkdir_p(p, &want);
        if p.stat(want.as_bytes()).is_ok_and(|st| st.mode & S_IFMT == S_IFDIR) {
            return want;
        }
    }
    let _ = p.mkdir(KMNT.as_bytes(), 0o755);
    KMNT.to_string()
}

/// The image held against other `rumpjs mount`s (flock(2), as long as the returned file is open):
/// exclusively when it is written, shared when only read. None when another holds it so: the mount
/// goes on, and the host then caches only briefly, as the image may change under us.
fn hold_image(path: &Path, written: bool) -> Option<std::fs::File> {
    use std::os::fd::AsRawFd;
    let f = std::fs::File::open(path).ok()?;
    let how = if written { libc::LOCK_EX } else { libc::LOCK_SH };
    // SAFETY: flock on a descriptor this function owns.
    (unsafe { libc::flock(f.as_raw_fd(), how | libc::LOCK_NB) } == 0).then_some(f)
}

/// Without -f: run the same command with -f as a detached process and wait until its mount is up.
fn detach(_common: &crate::cmd::CommonOpts) -> i32 {
    use std::io::BufRead;
    use std::os::unix::process::CommandExt;
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => return Notify(false).fail(&format!("cannot find my own executable: {e}")),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut cmd = std::process::Command::new(exe);
    cmd.args(&args)
        .arg("-f")
        .env(NOTIFY_ENV, "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    // A session of its own (as daemon(3) does): no controlling terminal, so closing the terminal that
    // started it does not hang it up. setsid is async-signal-safe, as a pre_exec hook must be.
    // SAFETY: the hook calls only setsid(2) between fork and exec.
    unsafe {
        cmd.pre_exec(|| if libc::setsid() < 0 { Err(std::io::Error::last_os_error()) } else { Ok(()) });
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return Notify(false).fail(&format!("cannot start the server: {e}")),
    };
    let Some(out) = child.stdout.take() else { return 1 };
    let mut line = String::new();
    let _ = std::io::BufReader::new(out).read_line(&mut line);
    match line.trim_end() {
        "ready" => 0,
        l => {
            let msg = l.strip_prefix("error: ").unwrap_or("the server exited before the mount was up");
            let _ = child.wait();
            Notify(false).fail(msg)
        }
    }
}

/// Undoes the octal escapes of /proc/self/mountinfo (`\040` for a space).
fn unescape_mountinfo(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 4 <= b.len() && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c)) {
            out.push(u8::from_str_radix(&s[i + 1..i + 4], 8).unwrap_or(b'?'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The server of a `rumpjs mount` at `mnt` (its pid, from the source it mounted as "rumpjs@PID:..."),
/// if one serves there.
fn server_pid(mnt: &Path) -> Option<u32> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    let mnt = std::fs::canonicalize(mnt).unwrap_or_else(|_| mnt.to_path_buf());
    let mut found = None;
    for line in info.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        let Some(dash) = f.iter().position(|x| *x == "-") else { continue };
        if f.len() < dash + 3 || f.len() < 5 || Path::new(&unescape_mountinfo(f[4])) != mnt {
            continue;
        }
        // "fuse.rumpjs" when mounted through fusermount3, "fuse" when mounted by root directly.
        if f[dash + 1] == "fuse" || f[dash + 1] == "fuse.rumpjs" {
            found = unescape_mountinfo(f[dash + 2]).strip_prefix("rumpjs@")?.split(':').next()?.parse().ok();
        }
    }
    found
}

/// `rumpjs umount MOUNTPOINT`: unmount through fusermount3 and wait for the server to have written
/// everything and exited.
pub fn umount(a: UmountArgs) -> i32 {
    let pid = server_pid(&a.mountpoint);
    let st = std::process::Command::new("fusermount3").arg("-u").arg(&a.mountpoint).status();
    match st {
        Ok(s) if s.success() => {}
        Ok(_) => return 1, // fusermount3 said why
        Err(e) => {
            eprintln!("rumpjs umount: cannot run fusermount3: {e}");
            return 1;
        }
    }
    if let Some(pid) = pid {
        // The server writes the file system and exits once FUSE tells it the mount is gone.
        let proc_dir = PathBuf::from(format!("/proc/{pid}"));
        let start = std::time::Instant::now();
        while proc_dir.exists() {
            let zombie = std::fs::read_to_string(proc_dir.join("stat"))
                .map(|s| s.rsplit(')').next().is_some_and(|r| r.trim_start().starts_with('Z')))
                .unwrap_or(true);
            if zombie {
                break;
            }
            if start.elapsed() > Duration::from_secs(600) {
                eprintln!("rumpjs umount: server {pid} still writing after 10 minutes; not waiting longer");
                return 1;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_escapes() {
        assert_eq!(unescape_mountinfo("/tmp/a\\040b"), "/tmp/a b");
        assert_eq!(unescape_mountinfo("/x\\"), "/x\\");
    }
}
