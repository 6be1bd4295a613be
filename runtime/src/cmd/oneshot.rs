//! The one-shot commands in the manner of NetBSD's fs-utils (fsu_ls, fsu_cat, fsu_ecp …): `rumpjs ls
//! IMAGE [PATH]`, `cat`, `stat`, `find`, `du`, `df`, `tree`, `hexdump`, `sha256`, `readlink`, `get
//! IMAGE:PATH HOSTPATH`, `put HOSTPATH IMAGE:PATH`, and the writing ones (`mkdir`, `rm`, `rmdir`, `mv`,
//! `ln`, `touch`, `chmod`, `chown`). They are the REPL's commands (scripts/lib/commands.js) run on the
//! image as the root of the process.

use super::common::{fail, io_text, usage};
use crate::cmd::{with_big_stack, CommonOpts, PassArgs};
use crate::host::output::{self, Stream};
use crate::host::session::{ImageSpec, Session};
use boa_engine::object::builtins::{JsArray, JsFunction};
use boa_engine::{js_string, JsValue, Source};
use clap::Args;
use std::path::{Path, PathBuf};

/// A one-shot command: its name, whether it changes the image (mounted read-write), what it does and its
/// usage, for `--help`.
pub struct Oneshot {
    pub name: &'static str,
    pub writes: bool,
    pub about: &'static str,
    pub usage: &'static str,
}

/// The one-shot commands run by [`oneshot`] (get and put take their own arguments).
pub const ONESHOT: &[Oneshot] = &[
    Oneshot {
        name: "ls",
        writes: false,
        about: "List a directory inside an image",
        usage: "rumpjs ls IMAGE [-l] [path ...] (as fs-utils' fsu_ls).",
    },
    Oneshot { name: "cat", writes: false, about: "Print files inside an image", usage: "rumpjs cat IMAGE path ..." },
    Oneshot {
        name: "stat",
        writes: false,
        about: "Inode, mode, owner, size, times and flags of files inside an image",
        usage: "rumpjs stat IMAGE [-L] [--json] path ...",
    },
    Oneshot {
        name: "find",
        writes: false,
        about: "Walk a tree inside an image",
        usage: "rumpjs find IMAGE [path] [-name P] [-type f|d|l] [-size N] ... [-ls]",
    },
    Oneshot {
        name: "du",
        writes: false,
        about: "Disk usage inside an image",
        usage: "rumpjs du IMAGE [-s] [-h] [path ...]",
    },
    Oneshot {
        name: "df",
        writes: false,
        about: "Space and inodes of an image's file system",
        usage: "rumpjs df IMAGE [-h] [-i] [--json]",
    },
    Oneshot {
        name: "tree",
        writes: false,
        about: "A directory tree inside an image",
        usage: "rumpjs tree IMAGE [-L depth] [path]",
    },
    Oneshot {
        name: "hexdump",
        writes: false,
        about: "Bytes of a file inside an image",
        usage: "rumpjs hexdump IMAGE [-n len] [-s skip] path",
    },
    Oneshot {
        name: "sha256",
        writes: false,
        about: "SHA-256 of files inside an image",
        usage: "rumpjs sha256 IMAGE path ...",
    },
    Oneshot {
        name: "readlink",
        writes: false,
        about: "Symbolic link targets inside an image",
        usage: "rumpjs readlink IMAGE path ...",
    },
    Oneshot {
        name: "mkdir",
        writes: true,
        about: "Make directories inside an image (read-write)",
        usage: "rumpjs mkdir IMAGE [-p] dir ...",
    },
    Oneshot {
        name: "rm",
        writes: true,
        about: "Remove files inside an image (read-write)",
        usage: "rumpjs rm IMAGE [-rf] path ...",
    },
    Oneshot {
        name: "rmdir",
        writes: true,
        about: "Remove empty directories inside an image (read-write)",
        usage: "rumpjs rmdir IMAGE dir ...",
    },
    Oneshot {
        name: "mv",
        writes: true,
        about: "Rename inside an image (read-write)",
        usage: "rumpjs mv IMAGE from to",
    },
    Oneshot {
        name: "ln",
        writes: true,
        about: "Make links inside an image (read-write)",
        usage: "rumpjs ln IMAGE [-s] target link",
    },
    Oneshot {
        name: "touch",
        writes: true,
        about: "Create files or set their times inside an image (read-write)",
        usage: "rumpjs touch IMAGE path ...",
    },
    Oneshot {
        name: "chmod",
        writes: true,
        about: "Change modes inside an image (read-write)",
        usage: "rumpjs chmod IMAGE octal-mode path ...",
    },
    Oneshot {
        name: "chown",
        writes: true,
        about: "Change owners inside an image (read-write)",
        usage: "rumpjs chown IMAGE uid[:gid] path ...",
    },
];

/// The one-shot commands as subcommands of the command line, each taking its arguments as typed.
pub fn subcommands() -> impl Iterator<Item = clap::Command> {
    ONESHOT.iter().map(|o| {
        let about = format!("{}\n\n{}", o.about, o.usage);
        PassArgs::augment_args(clap::Command::new(o.name)).about(o.about).long_about(about)
    })
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
    crate::host::watchdog::start(common.timeout.unwrap_or(0.0));
    with_big_stack(move || {
        let mut s = match Session::new(&opts) {
            Ok(s) => s,
            Err(f) => {
                output::line(Stream::Stderr, &f.to_string());
                return 2;
            }
        };
        crate::host::watchdog::set_kernel(s.kernel.clone());
        if let Err(e) = s.proc.chroot(b"/ffs").and_then(|_| s.proc.chdir(b"/")) {
            output::line(Stream::Stderr, &format!("rumpjs: cannot enter the image: {e}"));
            return 2;
        }
        let code = execute(&mut s, &words);
        crate::host::session::shutdown(&s.kernel);
        output::flush();
        std::mem::forget(s);
        code
    })
}

/// Runs a commands.js command with `io` writing straight to the process's stdout and stderr (bytes as
/// they are: `cat` of a binary file is exact).
fn execute(s: &mut Session, words: &[String]) -> i32 {
    let lib = Path::new(crate::host::loader::LIB_DIR).join("commands.js");
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

/// The options that take a value, by command.
type Takes = std::collections::HashMap<String, Vec<String>>;

/// The options of the one-shot commands that take a value, and find's primaries that do: read from
/// cmdline.js's OPTION_SPECS, the table the commands take their options from (there is no copy here).
fn value_options(cmd: &str) -> &'static [String] {
    static TAKES: std::sync::OnceLock<Takes> = std::sync::OnceLock::new();
    let cmdline = crate::host::globals::LIBS.iter().find(|(n, _)| *n == "cmdline.js").map_or("", |(_, s)| *s);
    TAKES.get_or_init(|| option_specs(cmdline).unwrap_or_default()).get(cmd).map_or(&[], Vec::as_slice)
}

/// cmdline.js's `OPTION_SPECS` literal (JSON: `{"getopt": {cmd: spec}, "find": [primary, …]}`) as the
/// options that take a value: for each command the letters its getopt spec follows with ':', and for
/// `find` the primaries listed.
fn option_specs(cmdline_js: &str) -> Result<Takes, String> {
    const START: &str = "export const OPTION_SPECS = ";
    let at = cmdline_js.find(START).ok_or("cmdline.js has no OPTION_SPECS")? + START.len();
    let len = cmdline_js[at..].find("\n};").ok_or("OPTION_SPECS has no closing '};' line")? + 2;
    let v: serde_json::Value =
        serde_json::from_str(&cmdline_js[at..at + len]).map_err(|e| format!("OPTION_SPECS: {e}"))?;
    let mut takes = Takes::new();
    for (cmd, spec) in v["getopt"].as_object().ok_or("OPTION_SPECS.getopt is not an object")? {
        let spec: Vec<char> = spec.as_str().ok_or("a getopt spec is not a string")?.chars().collect();
        let letters = spec.windows(2).filter(|w| w[0] != ':' && w[1] == ':').map(|w| w[0].to_string()).collect();
        takes.insert(cmd.clone(), letters);
    }
    let find = v["find"].as_array().ok_or("OPTION_SPECS.find is not an array")?;
    let find = find.iter().map(|p| p.as_str().map(str::to_string)).collect::<Option<Vec<_>>>();
    takes.insert("find".to_string(), find.ok_or("a find primary is not a string")?);
    Ok(takes)
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
            if takes.iter().any(|t| t == w) {
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
        // A long option (--json) is a flag of its own.
        if w.starts_with("--") {
            i += 1;
            continue;
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
pub fn oneshot(common: &CommonOpts, cmd: &str, a: PassArgs) -> i32 {
    let writes = ONESHOT.iter().any(|o| o.name == cmd && o.writes);
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
    /// IMAGE PATH HOSTPATH (fs-utils' fsu_get order), or IMAGE:/PATH HOSTPATH. A host directory receives
    /// the file or tree under its own name.
    #[arg(value_name = "IMAGE PATH HOSTPATH", num_args = 2..=3, required = true)]
    pub operands: Vec<String>,
}

/// `rumpjs get IMAGE PATH HOSTPATH` or `rumpjs get IMAGE:/PATH HOSTPATH`: copy a file or tree out of an
/// image, keeping modes, times, symlinks and hard links (owners when run as root), as fs-utils' fsu_get
/// and fsu_ecp do.
pub fn get(common: &CommonOpts, a: GetArgs) -> i32 {
    const USAGE: &str = "usage: rumpjs get IMAGE PATH HOSTPATH  (or IMAGE:/PATH HOSTPATH)";
    let (image, path, to) = match a.operands.as_slice() {
        [image, path, to] => (PathBuf::from(image), path.clone(), PathBuf::from(to)),
        [from, to] => match image_path(from) {
            Some((image, path)) => (image, path, PathBuf::from(to)),
            None => return usage("get", USAGE),
        },
        _ => return usage("get", USAGE),
    };
    // Into an existing host directory, under the source's own name (as cp does).
    let mut to = to;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The table is cmdline.js's own (the one the commands' getopt calls read), so the two cannot disagree;
    /// what can go wrong is the literal itself: it must parse, and name every one-shot command.
    #[test]
    fn option_specs_come_from_cmdline_js() {
        let cmdline = crate::host::globals::LIBS.iter().find(|(n, _)| *n == "cmdline.js").map(|(_, s)| *s).unwrap();
        let specs = option_specs(cmdline).unwrap();
        for Oneshot { name, .. } in ONESHOT {
            assert!(specs.contains_key(*name), "{name} has no OPTION_SPECS entry in cmdline.js");
        }
        assert_eq!(value_options("tree"), ["L"]);
        assert_eq!(value_options("hexdump"), ["n", "s"]);
        assert!(value_options("find").iter().any(|p| p == "-maxdepth"));
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(image_word("tree", &words(&["-aL", "1", "disk.img", "/"])), Some(2));
        assert_eq!(image_word("hexdump", &words(&["-n16", "-s", "0", "disk.img", "/f"])), Some(3));
        assert_eq!(image_word("find", &words(&["-name", "*.c", "disk.img"])), Some(2));
        assert_eq!(
            option_specs("export const OPTION_SPECS = {\"getopt\": {\"x\": \"ab:c:\"}, \"find\": []\n};").unwrap()["x"],
            ["b", "c"]
        );
    }
}
