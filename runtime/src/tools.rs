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

/// An I/O error as strerror says it: "No such file or directory", without Rust's " (os error 2)".
fn io_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Opens a host image for the tools (the person running the command named it: no grant needed).
fn open_image(path: &Path, readonly: bool) -> Result<Dev, String> {
    if let Err(e) = std::fs::metadata(path) {
        return Err(format!("{}: {}", path.display(), io_text(&e)));
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

/// A usage error: the message, and exit status 2 (clap's, and the REPL commands').
fn usage(cmd: &str, msg: &str) -> i32 {
    output::line(Stream::Stderr, &format!("rumpjs {cmd}: {msg}"));
    2
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
            return 2;
        }
    };
    let path = PathBuf::from(&image);
    if !path.exists() {
        if opts.size == 0 {
            return usage("newfs", &format!("{image} does not exist: give its size with -s (e.g. -s 64m)"));
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
    match ffs::newfs::newfs(dev.as_ref(), &opts, tool_clock(common).as_ref()) {
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
    #[arg(short = 'n')]
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
    /// The image. With --overlay-file CHANGES, the file system as CHANGES shows it (the image and the
    /// changes kept for it), repairs written into CHANGES, never into the image; with --overlay, repairs
    /// made in memory only.
    #[arg(value_name = "IMAGE", allow_hyphen_values = true)]
    pub image: Vec<String>,
}

/// fsck_ffs's exit status for a usage error (NetBSD's sbin/fsck/exitvalues.h: FSCK_EXIT_USAGE).
const FSCK_EXIT_USAGE: i32 = 1;
/// ... and for a check that could not be made (FSCK_EXIT_CHECK_FAILED).
const FSCK_EXIT_CHECK_FAILED: i32 = 8;

const FSCK_USAGE: &str = "usage: rumpjs fsck [-f] [-n | -y | -p] [--partition P] [--overlay-file CHANGES] IMAGE";

/// fsck's words from the first that is no option on, which clap leaves to IMAGE (so that an unknown
/// option is fsck's usage error, exit 1, not clap's 2): fsck's flags and the global options that
/// matter to it (--partition, --overlay-file, --overlay), read as clap reads them before IMAGE.
fn fsck_words(mut a: FsckArgs, common: &CommonOpts) -> Result<(FsckArgs, CommonOpts), String> {
    let mut common = common.clone();
    let mut image = Vec::new();
    let mut it = std::mem::take(&mut a.image).into_iter();
    while let Some(w) = it.next() {
        let (name, inline) = match w.split_once('=') {
            Some((n, v)) if w.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (w.clone(), None),
        };
        let mut value = |inline: Option<String>| inline.or_else(|| it.next()).ok_or(format!("{name} needs a value"));
        match name.as_str() {
            "--partition" => common.partition = Some(value(inline)?),
            "--overlay-file" => common.overlay_file = Some(PathBuf::from(value(inline)?)),
            "--overlay" if inline.is_none() => common.overlay = true,
            "-v" | "--verbose" | "--deterministic" if inline.is_none() => {}
            f if f.starts_with('-') && !f.starts_with("--") && f.len() > 1 => {
                for c in f[1..].chars() {
                    match c {
                        'n' => a.no = true,
                        'y' => a.yes = true,
                        'p' => a.preen = true,
                        'f' => a.force = true,
                        _ => return Err(format!("unknown option -{c}")),
                    }
                }
            }
            f if f.starts_with('-') && f.len() > 1 => return Err(format!("unknown option {w}")),
            _ => image.push(w),
        }
    }
    a.image = image;
    Ok((a, common))
}

/// The clock (and randomness) newfs and fsck write into an image: the host's, or under
/// `--deterministic` the session's fixed one, so the same command makes the same bytes.
fn tool_clock(common: &CommonOpts) -> Arc<dyn kernel::hyper::Hypervisor> {
    if common.deterministic {
        Arc::new(kernel::hyper::DeterministicHypervisor::default_for_tests())
    } else {
        Arc::new(kernel::hyper::StdHypervisor::new(false))
    }
}

/// `rumpjs fsck [-n|-y|-p] [--overlay-file CHANGES] IMAGE`: fsck_ffs's phases; its messages and exit
/// codes (0 clean or fixed, 1 usage, 2 problems left, 8 the check failed).
pub fn fsck(common: &CommonOpts, a: FsckArgs) -> i32 {
    let usage = |m: &str| {
        output::line(Stream::Stderr, &format!("rumpjs fsck: {m}\n{FSCK_USAGE}"));
        FSCK_EXIT_USAGE
    };
    let (a, common) = match fsck_words(a, common) {
        Ok(x) => x,
        Err(m) => return usage(&m),
    };
    let common = &common;
    let image = match a.image.as_slice() {
        [one] => PathBuf::from(one),
        [] => return usage("no image given"),
        _ => return usage("one image at a time"),
    };
    if a.no && (a.yes || a.preen) {
        return usage(&format!(
            "-n and {} together (-n only reports; -y and -p repair)",
            if a.yes { "-y" } else { "-p" }
        ));
    }
    if common.overlay && common.overlay_file.is_some() {
        return usage("--overlay and --overlay-file together (--overlay-file is an overlay kept in a file)");
    }
    let repair = a.yes || a.preen;
    // An overlay is the view checked: the image itself is opened read-only.
    let overlay = common.overlay || common.overlay_file.is_some();
    let failed = |m: &str| {
        fail("fsck", m);
        FSCK_EXIT_CHECK_FAILED
    };
    let base = match open_image(&image, !repair || overlay) {
        Ok(d) => d,
        Err(e) => return failed(&e),
    };
    let dev: Dev = match &common.overlay_file {
        Some(f) => {
            if !f.exists() && !repair {
                let m =
                    format!("overlay file {}: No such file or directory (nothing to check but the image)", f.display());
                return failed(&m);
            }
            match kernel::dev::OverlayDevice::with_sidecar(base, f) {
                Ok((ov, _)) => Arc::new(ov),
                Err(e) => return failed(&e.to_string()),
            }
        }
        None if common.overlay => Arc::new(kernel::dev::OverlayDevice::new(base)),
        None => base,
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
    match (&common.overlay_file, repair) {
        (Some(f), true) => output::line(
            Stream::Stdout,
            &format!(
                "** {} as {} shows it (repairs go into {1}; the image is not written)",
                image.display(),
                f.display()
            ),
        ),
        (Some(f), false) => {
            output::line(Stream::Stdout, &format!("** {} as {} shows it", image.display(), f.display()))
        }
        (None, true) if common.overlay => output::line(
            Stream::Stdout,
            &format!("** {} (--overlay: repairs made in memory only, the image is not written)", image.display()),
        ),
        _ => output::line(Stream::Stdout, &format!("** {}", image.display())),
    }
    let mut log = |l: &str| output::line(Stream::Stdout, l);
    let code = match ffs::fsck::fsck(&dev, &opts, tool_clock(common).as_ref(), &mut log) {
        Ok(r) => r.exit_code,
        Err(e) => {
            output::flush();
            return failed(&format!("{}: {e}", image.display()));
        }
    };
    match &common.overlay_file {
        // The repairs, held by the overlay, appended to its file.
        Some(_) if repair => {
            if let Err(e) = dev.flush() {
                output::flush();
                return failed(&format!("cannot write the repairs into the overlay file: {e}"));
            }
        }
        // A session killed with the file begun leaves its view not clean (fsck_ffs -n checks without a
        // word on it): say so, and what lets the next session mount it.
        Some(f) => {
            if let Ok(i) = ffs::probe_info(&dev, common.partition.as_deref()) {
                if !i.clean {
                    output::line(
                        Stream::Stdout,
                        &format!(
                            "** NOT CLEAN (fs_clean 0x{:02x}) as {} shows it: a session with it refuses to mount it \
                             read-write until `rumpjs fsck -y --overlay-file {1} {}` marks it clean",
                            i.clean_flag,
                            f.display(),
                            image.display()
                        ),
                    );
                }
            }
        }
        None => {}
    }
    output::flush();
    code
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
        return fail(&words[0], &format!("{}: {}", image.display(), io_text(&e)));
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

/// The options of the one-shot commands that take a value (their getopt specs in commands.js), and
/// find's primaries that do.
fn value_options(cmd: &str) -> &'static [&'static str] {
    match cmd {
        "hexdump" => &["n", "s"],
        "du" => &["d"],
        "df" => &["t"],
        "tree" => &["L"],
        "mkdir" => &["m"],
        "find" => &[
            "-name",
            "-iname",
            "-path",
            "-ipath",
            "-type",
            "-size",
            "-mtime",
            "-atime",
            "-ctime",
            "-mmin",
            "-newer",
            "-user",
            "-uid",
            "-group",
            "-gid",
            "-links",
            "-inum",
            "-perm",
            "-flags",
            "-maxdepth",
            "-mindepth",
        ],
        _ => &[],
    }
}

/// Where IMAGE is among a one-shot command's words: the first that is not an option (as getopt reads
/// them: `-L 1`, `-L1`, `-hL 1`), nor an option's value, nor one of find's operators.
fn image_word(cmd: &str, args: &[String]) -> Option<usize> {
    let takes = value_options(cmd);
    let mut i = 0;
    while i < args.len() {
        let w = args[i].as_str();
        if w == "--" {
            return (i + 1 < args.len()).then_some(i + 1);
        }
        if cmd == "find" {
            if takes.contains(&w) {
                i += 2;
                continue;
            }
            if w.starts_with('-') || matches!(w, "!" | "(" | ")") {
                i += 1;
                continue;
            }
            return Some(i);
        }
        if !w.starts_with('-') || w == "-" {
            return Some(i);
        }
        // A cluster of flags; a flag that takes a value ends it, the value attached or the next word.
        let mut skip_next = false;
        for (k, c) in w.char_indices().skip(1) {
            if takes.iter().any(|t| t.len() == c.len_utf8() && t.starts_with(c)) {
                skip_next = k + c.len_utf8() == w.len();
                break;
            }
        }
        i += if skip_next { 2 } else { 1 };
    }
    None
}

/// `rumpjs ls IMAGE [ARGS…]` and the other one-shot commands.
pub fn oneshot(common: &CommonOpts, cmd: &str, a: OneshotArgs) -> i32 {
    let writes = ONESHOT.iter().any(|(n, w)| *n == cmd && *w);
    // IMAGE comes first (as with fs-utils); the command's options may come before it
    // (`rumpjs tree -L 1 IMAGE`): the image is the first word that is neither an option nor its value.
    let Some(i) = image_word(cmd, &a.args) else {
        return usage(cmd, &format!("usage: rumpjs {cmd} IMAGE [{cmd} options] [path ...]   (paths inside the image)"));
    };
    let image = PathBuf::from(&a.args[i]);
    let mut words = vec![cmd.to_string()];
    let before = a.args[..i].iter().filter(|w| *w != "--").cloned();
    let rest: Vec<String> = a.args[i + 1..].to_vec();
    // Commands that default to the current directory start at the image's root.
    match cmd {
        // find's paths come first, then the expression (primaries given before IMAGE too).
        "find" => {
            let n = rest.iter().take_while(|x| !x.starts_with('-') && !matches!(x.as_str(), "!" | "(")).count();
            if n == 0 {
                words.push("/".into());
            }
            words.extend(rest[..n].iter().cloned());
            words.extend(before);
            words.extend(rest[n..].iter().cloned());
        }
        "ls" | "du" | "tree" | "df" if rest.iter().all(|x| x.starts_with('-')) => {
            words.extend(before);
            words.extend(rest);
            words.push("/".into());
        }
        _ => {
            words.extend(before);
            words.extend(rest);
        }
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
        return usage("get", "usage: rumpjs get IMAGE:/PATH HOSTPATH");
    };
    // Into an existing host directory, under the source's own name (as cp does).
    let mut to = a.to.clone();
    if to.is_dir() {
        let name = Path::new(&path).file_name().map(|n| n.to_os_string()).unwrap_or_else(|| "root".into());
        to.push(name);
    }
    // The destination's directory must be there (the grant below names it; the user never typed one).
    let parent = parent_or_dot(&to);
    match std::fs::metadata(&parent) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return fail("get", &format!("{}: Not a directory (the destination's directory)", parent.display())),
        Err(e) => {
            let m = format!("{}: {} (the destination's directory must exist)", parent.display(), io_text(&e));
            return fail("get", &m);
        }
    }
    let grant = if to.exists() { to.clone() } else { parent };
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
        return usage("put", "usage: rumpjs put HOSTPATH IMAGE:/PATH");
    };
    // The source is granted to the session: say here, in put's words, when it is not there.
    if let Err(e) = std::fs::symlink_metadata(&a.from) {
        return fail("put", &format!("{}: {}", a.from.display(), io_text(&e)));
    }
    let from = a.from.to_string_lossy().into_owned();
    run_on_image(common, image, true, vec![a.from.clone()], vec!["put".into(), from, path])
}

fn parent_or_dot(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}
