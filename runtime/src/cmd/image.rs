//! Image tools on the command line: `info`, `fsck` and `commit` (an overlay file written into its image);
//! `newfs` is in [`super::newfs`], the commands that work inside an image in [`super::oneshot`].

use super::common::{fail, io_text};
use crate::cmd::CommonOpts;
use crate::host::output::{self, Stream};
use clap::Args;
use kernel::dev::Dev;
use kernel::fs::ffs;
use kernel::vfs::Overlay;
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

/// Opens a host image for the tools (the person running the command named it: no grant needed), under
/// the overlay asked for, as every mount opens one.
pub(super) fn open_image(path: &Path, readonly: bool, overlay: Overlay) -> Result<Dev, String> {
    if let Err(e) = std::fs::metadata(path) {
        return Err(format!("{}: {}", path.display(), io_text(&e)));
    }
    let p = path.to_string_lossy();
    let img = kernel::vfs::Image { path: &p, readonly, overlay };
    kernel::vfs::open_image(&kernel::hyper::StdHypervisor::new(false), &img, &|_| {}).map_err(|e| e.text(&p))
}

/// `rumpjs info IMAGE`: what the partition table and the FFS superblock say — fsstat and disklabel in one.
pub fn info(common: &CommonOpts, a: InfoArgs) -> i32 {
    let dev = match open_image(&a.image, true, Overlay::None) {
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
    let dev = match open_image(&a.image, false, Overlay::None) {
        Ok(d) => d,
        Err(e) => return fail("commit", &e),
    };
    match kernel::std_host::commit_sidecar(&a.overlay_file, dev.as_ref()) {
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
    /// Print what was found as JSON (exit code, problems with their questions and answers, the summary)
    /// instead of fsck_ffs's text.
    #[arg(long)]
    pub json: bool,
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

const FSCK_USAGE: &str =
    "usage: rumpjs fsck [-f] [-n | -y | -p] [--json] [--partition P] [--overlay-file CHANGES] IMAGE";

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
            "--json" if inline.is_none() => a.json = true,
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
pub(super) fn tool_clock(common: &CommonOpts) -> Arc<dyn kernel::hyper::Hypervisor> {
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
    let failed = |m: &str| {
        fail("fsck", m);
        FSCK_EXIT_CHECK_FAILED
    };
    if let Some(f) = &common.overlay_file {
        if !f.exists() && !repair {
            let m = format!("overlay file {}: No such file or directory (nothing to check but the image)", f.display());
            return failed(&m);
        }
    }
    // An overlay is the view checked: the image itself is then opened read-only.
    let overlay = match (&common.overlay_file, common.overlay) {
        (Some(f), _) => Overlay::File(f.to_string_lossy().into_owned()),
        (None, true) => Overlay::Memory,
        (None, false) => Overlay::None,
    };
    let dev = match open_image(&image, !repair, overlay) {
        Ok(d) => d,
        Err(e) => return failed(&e),
    };
    let opts = ffs::fsck::FsckOptions {
        repair: if a.yes { ffs::fsck::Repair::Yes } else { ffs::fsck::Repair::No },
        partition: common.partition.clone(),
        force: a.force,
        preen: a.preen,
    };
    // fsck_ffs's lines, printed as they come; with --json kept for the report at the end.
    let json = a.json;
    let lines = std::cell::RefCell::new(Vec::<String>::new());
    let say = |l: &str| {
        if json {
            lines.borrow_mut().push(l.to_string());
        } else {
            output::line(Stream::Stdout, l)
        }
    };
    if !a.no && !a.yes && !a.preen {
        say("** no -n or -y given: checking only (as -n); nothing will be written");
    }
    match (&common.overlay_file, repair) {
        (Some(f), true) => say(&format!(
            "** {} as {} shows it (repairs go into {1}; the image is not written)",
            image.display(),
            f.display()
        )),
        (Some(f), false) => say(&format!("** {} as {} shows it", image.display(), f.display())),
        (None, true) if common.overlay => {
            say(&format!("** {} (--overlay: repairs made in memory only, the image is not written)", image.display()))
        }
        _ => say(&format!("** {}", image.display())),
    }
    let mut log = |l: &str| say(l);
    let report = match ffs::fsck::fsck(&dev, &opts, tool_clock(common).as_ref(), &mut log) {
        Ok(r) => r,
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
                    say(&format!(
                        "** NOT CLEAN (fs_clean 0x{:02x}) as {} shows it: a session with it refuses to mount it \
                             read-write until `rumpjs fsck -y --overlay-file {1} {}` marks it clean",
                        i.clean_flag,
                        f.display(),
                        image.display()
                    ));
                }
            }
        }
        None => {}
    }
    if json {
        output::line(Stream::Stdout, &fsck_json(&image, &report, &lines.borrow()));
    }
    output::flush();
    report.exit_code
}

/// `fsck --json`: what the run found and did, and fsck_ffs's lines.
fn fsck_json(image: &Path, r: &ffs::fsck::FsckReport, lines: &[String]) -> String {
    let problems: Vec<serde_json::Value> = r
        .problems
        .iter()
        .map(|p| serde_json::json!({ "message": p.message, "question": p.question, "fixed": p.fixed }))
        .collect();
    serde_json::json!({
        "image": image.to_string_lossy(),
        "exit_code": r.exit_code,
        "clean": r.exit_code == 0 && r.problems.is_empty(),
        "problems": problems,
        "modified": r.modified,
        "marked_clean": r.marked_clean,
        "skipped": r.skipped,
        "files": r.files,
        "used": r.used,
        "free": r.free,
        "frags": r.frags,
        "blocks": r.blocks,
        "summary": r.summary,
        "fatal": r.fatal,
        "lines": lines,
    })
    .to_string()
}
