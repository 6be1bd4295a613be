//! Image tools on the command line: `info`, `newfs`, `fsck`, and the one-shot commands in the manner of
//! NetBSD's fs-utils (fsu_ls, fsu_cat, fsu_ecp …): `rumpjs ls IMAGE [PATH]`, `cat`, `stat`, `find`, `du`,
//! `df`, `tree`, `hexdump`, `get IMAGE:PATH HOSTPATH`, `put HOSTPATH IMAGE:PATH`, and the writing ones
//! (`mkdir`, `rm`, `mv`, `ln`, `touch`, `chmod`, `chown`). The one-shot commands are the REPL's commands
//! (scripts/lib/commands.js) run on the image as the root of the process.

use crate::cli::{with_big_stack, CommonOpts};
use crate::output::{self, Stream};
use crate::session::{ImageSpec, Session};
use boa_engine::object::builtins::{JsArray, JsFunction};
use boa_engine::{js_string, JsValue, Source};
use clap::Args;
use kernel::dev::{Dev, FileDevice};
use kernel::fs::ffs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct InfoArgs {
    /// The image (a file system, or a whole disk with an MBR, GPT or disklabel).
    pub image: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Opens a host image for the tools (the person running the command named it: no grant needed).
fn open_image(path: &Path, readonly: bool) -> Result<Dev, String> {
    if let Err(e) = std::fs::metadata(path) {
        return Err(format!("{}: {e}", path.display()));
    }
    FileDevice::open(path, readonly)
        .map(|d| Arc::new(d) as Dev)
        .map_err(|e| format!("{}: {}", path.display(), e.message()))
}

/// `rumpjs info IMAGE`: what the partition table and the FFS superblock say — fsstat and disklabel in one.
pub fn info(common: &CommonOpts, a: InfoArgs) -> i32 {
    let dev = match open_image(&a.image, true) {
        Ok(d) => d,
        Err(e) => return fail("info", &e),
    };
    let part = common.partition.as_deref();
    match ffs::probe_info(&dev, part) {
        Ok(i) => {
            if a.json {
                output::line(Stream::Stdout, &i.to_json());
            } else {
                output::write(Stream::Stdout, i.to_string().as_bytes());
            }
            0
        }
        Err(e) if part.is_none() => {
            // Several file systems on one disk: show each.
            let parts = kernel::dev::part::probe(dev.as_ref()).unwrap_or_default();
            // A disklabel inside NetBSD's MBR partition names the file systems; the MBR entry only holds them.
            let has_label = parts.iter().any(|p| p.is_ffs && p.scheme == kernel::dev::part::Scheme::Disklabel);
            let ffs_parts: Vec<_> = parts
                .iter()
                .filter(|p| p.is_ffs && (!has_label || p.scheme == kernel::dev::part::Scheme::Disklabel))
                .collect();
            if ffs_parts.len() < 2 {
                return fail("info", &format!("{}: {} (no FFS found; is this an FFS image?)", a.image.display(), e));
            }
            let mut json = Vec::new();
            for p in ffs_parts {
                match ffs::probe_info(&dev, Some(&p.label())) {
                    Ok(i) if a.json => json.push(i.to_json()),
                    Ok(i) => {
                        output::line(Stream::Stdout, &format!("== partition {} ==", p.label()));
                        output::write(Stream::Stdout, i.to_string().as_bytes());
                        output::line(Stream::Stdout, "");
                    }
                    Err(e) => output::line(Stream::Stderr, &format!("rumpjs info: partition {}: {e}", p.label())),
                }
            }
            if a.json {
                output::line(Stream::Stdout, &format!("[{}]", json.join(",")));
            }
            0
        }
        Err(e) => fail("info", &format!("{}: {e}", a.image.display())),
    }
}

fn fail(cmd: &str, msg: &str) -> i32 {
    output::line(Stream::Stderr, &format!("rumpjs {cmd}: {msg}"));
    1
}

#[derive(Args, Debug)]
#[command(disable_help_flag = true)]
pub struct NewfsArgs {
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// newfs's options and the image: [-O 1|2] [-b BSIZE] [-f FSIZE] [-B be|le] [-s SIZE] [-n INODES]
    /// [-i BYTES-PER-INODE] [-m MINFREE%] [-o space|time] [-V VOLNAME] IMAGE. The image file is created at
    /// -s SIZE if it does not exist.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "ARGS")]
    pub args: Vec<String>,
}

/// `rumpjs newfs …`: an empty FFS laid out as NetBSD's newfs does.
pub fn newfs(common: &CommonOpts, a: NewfsArgs) -> i32 {
    let (opts, image) = match ffs::newfs::parse_args(&a.args) {
        Ok(x) => x,
        Err(e) => {
            output::line(Stream::Stderr, &format!("rumpjs newfs: {e}\nusage: rumpjs {}", ffs::newfs::USAGE));
            return 1;
        }
    };
    let path = PathBuf::from(&image);
    if !path.exists() {
        if opts.size == 0 {
            return fail("newfs", &format!("{image} does not exist: give its size with -s (e.g. -s 64m)"));
        }
        let r = std::fs::File::create(&path).and_then(|f| f.set_len(opts.size));
        if let Err(e) = r {
            return fail("newfs", &format!("cannot create {image}: {e}"));
        }
    }
    let dev = match open_image(&path, false) {
        Ok(d) => d,
        Err(e) => return fail("newfs", &e),
    };
    if let Err(e) = ffs::newfs::check(&opts, dev.size()) {
        return fail("newfs", &format!("{image}: {e}"));
    }
    let hyper: Arc<dyn kernel::hyper::Hypervisor> = if common.deterministic {
        Arc::new(kernel::hyper::DeterministicHypervisor::default_for_tests())
    } else {
        Arc::new(kernel::hyper::StdHypervisor::new(false))
    };
    match ffs::newfs::newfs(dev.as_ref(), &opts, hyper.as_ref()) {
        Ok(report) => {
            output::write(Stream::Stdout, report.to_string().as_bytes());
            0
        }
        Err(e) => fail("newfs", &format!("{image}: {e}")),
    }
}

#[derive(Args, Debug)]
pub struct CommitArgs {
    /// The overlay file (made by --overlay-file).
    pub overlay_file: PathBuf,
    /// The image it was made for.
    pub image: PathBuf,
}

/// `rumpjs commit FILE IMAGE`: the overlay file's changes written into the image (as OverlayDevice::commit
/// does for an overlay in memory), the image flushed.
pub fn commit(a: CommitArgs) -> i32 {
    let dev = match open_image(&a.image, false) {
        Ok(d) => d,
        Err(e) => return fail("commit", &e),
    };
    match kernel::dev::sidecar::commit(&a.overlay_file, dev.as_ref(), kernel::dev::CHUNK) {
        Ok(c) => {
            output::line(
                Stream::Stdout,
                &format!(
                    "committed {} chunks ({} bytes) of {} into {}; the overlay file no longer fits the image and can be removed",
                    c.chunks,
                    c.bytes,
                    a.overlay_file.display(),
                    a.image.display()
                ),
            );
            0
        }
        Err(e) => fail("commit", &e.to_string()),
    }
}

#[derive(Args, Debug)]
pub struct FsckArgs {
    /// Answer no to every question: report only, never write (the image is opened read-only).
    #[arg(short = 'n', conflicts_with = "yes")]
    pub no: bool,
    /// Answer yes to every question: repair.
    #[arg(short = 'y')]
    pub yes: bool,
    /// Preen: skip a clean file system, repair the usual problems of an unclean one.
    #[arg(short = 'p')]
    pub preen: bool,
    /// Check even a clean file system in preen mode; use a damaged journal anyway.
    #[arg(short = 'f')]
    pub force: bool,
    /// The image.
    pub image: PathBuf,
}

/// `rumpjs fsck [-n|-y] IMAGE`: fsck_ffs's phases; its messages and exit codes (0 clean or fixed,
/// 2 problems left, 8 the check failed).
pub fn fsck(common: &CommonOpts, a: FsckArgs) -> i32 {
    let repair = a.yes || a.preen;
    let dev = match open_image(&a.image, !repair) {
        Ok(d) => d,
        Err(e) => {
            fail("fsck", &e);
            return 8;
        }
    };
    let opts = ffs::fsck::FsckOptions {
        repair: if a.yes { ffs::fsck::Repair::Yes } else { ffs::fsck::Repair::No },
        partition: common.partition.clone(),
        force: a.force,
        preen: a.preen,
    };
    if !a.no && !a.yes && !a.preen {
        output::line(Stream::Stdout, "** no -n or -y given: checking only (as -n); nothing will be written");
    }
    output::line(Stream::Stdout, &format!("** {}", a.image.display()));
    let mut log = |l: &str| output::line(Stream::Stdout, l);
    match ffs::fsck::fsck(&dev, &opts, &mut log) {
        Ok(r) => {
            output::flush();
            r.exit_code
        }
        Err(e) => {
            fail("fsck", &format!("{}: {e}", a.image.display()));
            8
        }
    }
}

/// The one-shot commands and whether they change the image.
pub const ONESHOT: &[(&str, bool)] = &[
    ("ls", false),
    ("cat", false),
    ("stat", false),
    ("find", false),
    ("du", false),
    ("df", false),
    ("tree", false),
    ("hexdump", false),
    ("sha256", false),
    ("readlink", false),
    ("mkdir", true),
    ("rm", true),
    ("rmdir", true),
    ("mv", true),
    ("ln", true),
    ("touch", true),
    ("chmod", true),
    ("chown", true),
];

#[derive(Args, Debug)]
#[command(disable_help_flag = true)]
pub struct OneshotArgs {
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// IMAGE, then the command's own options and paths (paths are inside the image: / is its root).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "IMAGE [ARGS]")]
    pub args: Vec<String>,
}

/// Splits `IMAGE:/PATH` (the path must be absolute).
fn image_path(s: &str) -> Option<(PathBuf, String)> {
    let i = s.rfind(":/")?;
    Some((PathBuf::from(&s[..i]), s[i + 1..].to_string()))
}

/// Boots a session with `image` mounted at /ffs (read-write when `write`), makes /ffs the process's
/// root, and runs `words` (a commands.js command line) with its output on stdout and stderr.
fn run_on_image(common: &CommonOpts, image: PathBuf, write: bool, grant: Vec<PathBuf>, words: Vec<String>) -> i32 {
    if let Err(e) = std::fs::metadata(&image) {
        return fail(&words[0], &format!("{}: {e}", image.display()));
    }
    let mut opts = common.session_options(vec!["rumpjs".to_string()]);
    opts.images = vec![ImageSpec { path: image, mountpoint: "/ffs".into() }];
    opts.rw = (write || common.rw) && !common.overlay;
    opts.allow_host.extend(grant);
    crate::watchdog::start(common.timeout.unwrap_or(0.0));
    with_big_stack(move || {
        let mut s = match Session::new(&opts) {
            Ok(s) => s,
            Err(f) => {
                output::line(Stream::Stderr, &f.to_string());
                return 2;
            }
        };
        crate::watchdog::set_kernel(s.kernel.clone());
        if let Err(e) = s.proc.chroot(b"/ffs").and_then(|_| s.proc.chdir(b"/")) {
            output::line(Stream::Stderr, &format!("rumpjs: cannot enter the image: {e}"));
            return 2;
        }
        let code = execute(&mut s, &words);
        crate::session::shutdown(&s.kernel);
        output::flush();
        std::mem::forget(s);
        code
    })
}

/// Runs a commands.js command with `io` writing straight to the process's stdout and stderr (bytes as
/// they are: `cat` of a binary file is exact).
fn execute(s: &mut Session, words: &[String]) -> i32 {
    let lib = Path::new(crate::loader::LIB_DIR).join("commands.js");
    let ns = match s.loader.import(&lib, &mut s.ctx) {
        Ok(ns) => ns,
        Err(e) => {
            let m = s.format_error(&e);
            output::line(Stream::Stderr, &m);
            return 2;
        }
    };
    let ctx = &mut s.ctx;
    let exec = ns.get(js_string!("execute"), ctx).ok().and_then(|v| v.as_object()).and_then(JsFunction::from_object);
    let Some(exec) = exec else { return 2 };
    let io = match ctx.eval(Source::from_bytes(
        "({ out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), columns: 0 })",
    )) {
        Ok(v) => v,
        Err(_) => return 2,
    };
    let arr = JsArray::from_iter(words.iter().map(|w| JsValue::from(js_string!(w.as_str()))), ctx);
    match exec.call(&JsValue::undefined(), &[arr.into(), io], ctx) {
        Ok(v) => v.as_number().map_or(0, |n| n as i32),
        Err(e) => {
            let m = s.format_error(&e);
            output::line(Stream::Stderr, &m);
            1
        }
    }
}

/// `rumpjs ls IMAGE [ARGS…]` and the other one-shot commands.
pub fn oneshot(common: &CommonOpts, cmd: &str, a: OneshotArgs) -> i32 {
    let writes = ONESHOT.iter().any(|(n, w)| *n == cmd && *w);
    // IMAGE comes first (as with fs-utils); options before it are allowed, so the first word naming an
    // existing host file is the image (`rumpjs tree -L 1 IMAGE`), else the first word that is no option.
    let found = a.args.iter().position(|x| !x.starts_with('-') && Path::new(x).is_file());
    let Some(i) = found.or_else(|| a.args.iter().position(|x| !x.starts_with('-'))) else {
        return fail(cmd, &format!("usage: rumpjs {cmd} IMAGE [{cmd} options] [path ...]   (paths inside the image)"));
    };
    let image = PathBuf::from(&a.args[i]);
    let mut words = vec![cmd.to_string()];
    words.extend(a.args[..i].iter().cloned());
    let rest: Vec<String> = a.args[i + 1..].to_vec();
    // Commands that default to the current directory start at the image's root.
    match cmd {
        "find" if rest.first().is_none_or(|x| x.starts_with('-') || x == "!" || x == "(") => {
            words.push("/".into());
            words.extend(rest);
        }
        "ls" | "du" | "tree" | "df" if rest.iter().all(|x| x.starts_with('-')) => {
            words.extend(rest);
            words.push("/".into());
        }
        _ => words.extend(rest),
    }
    run_on_image(common, image, writes, Vec::new(), words)
}

#[derive(Args, Debug)]
pub struct GetArgs {
    /// IMAGE:/PATH — the file or tree inside the image.
    pub from: String,
    /// Where on the host (a directory receives the file or tree under its own name).
    pub to: PathBuf,
}

/// `rumpjs get IMAGE:/PATH HOSTPATH`: copy a file or tree out of an image, keeping modes, times, symlinks
/// and hard links (owners when run as root), as fs-utils' fsu_ecp does.
pub fn get(common: &CommonOpts, a: GetArgs) -> i32 {
    let Some((image, path)) = image_path(&a.from) else {
        return fail("get", "usage: rumpjs get IMAGE:/PATH HOSTPATH");
    };
    // Into an existing host directory, under the source's own name (as cp does).
    let mut to = a.to.clone();
    if to.is_dir() {
        let name = Path::new(&path).file_name().map(|n| n.to_os_string()).unwrap_or_else(|| "root".into());
        to.push(name);
    }
    let grant = if to.exists() { to.clone() } else { parent_or_dot(&to) };
    let to = to.to_string_lossy().into_owned();
    run_on_image(common, image, false, vec![grant], vec!["get".into(), path, to])
}

#[derive(Args, Debug)]
pub struct PutArgs {
    /// The host file or tree.
    pub from: PathBuf,
    /// IMAGE:/PATH — where inside the image.
    pub to: String,
}

/// `rumpjs put HOSTPATH IMAGE:/PATH`: copy a host file or tree into an image (mounted read-write; the
/// file system is marked clean again when done).
pub fn put(common: &CommonOpts, a: PutArgs) -> i32 {
    let Some((image, path)) = image_path(&a.to) else {
        return fail("put", "usage: rumpjs put HOSTPATH IMAGE:/PATH");
    };
    let from = a.from.to_string_lossy().into_owned();
    run_on_image(common, image, true, vec![a.from.clone()], vec!["put".into(), from, path])
}

fn parent_or_dot(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}
