//! The host tree read into memory ([`kernel_bindings::copy::scan`]) on two threads. The top levels are
//! read here, one directory at a time, until there are enough subtrees below them to share out; the
//! subtrees are then scanned whole by two threads, each taking the next one left (and opening it by its
//! path below the top), and put back in place.
//! The tree is the one a single scan makes (names sorted), and so is a failure: the first in the tree's
//! order, with the same path and call.

use crate::cmd::ENGINE_STACK;
use crate::host::copy::HostFs;
use kernel_bindings::copy::{join, scan as scan_whole, scan_with, CopyError, Kind, Node};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Subtrees wanted before the sharing starts.
const SUBTREES: usize = 64;
/// Levels read here at the most.
const LEVELS: usize = 6;
/// A directory with more names than this is scanned whole (as one subtree), not read here: splitting a
/// flat directory would open it again for each of its files.
const SPLIT_MAX: usize = 1024;
/// Threads that scan the subtrees (this one and one more).
const THREADS: usize = 2;

/// A place in the tree being put together.
enum Part {
    /// To be scanned whole (a subtree, or a file), at this path.
    Whole(Vec<u8>),
    Done(Result<Node, CopyError>),
    /// A directory read here, without its children, and the parts that are its children.
    Split(Node, Vec<usize>),
}

/// The tree at `path` (a directory), as [`kernel_bindings::copy::scan`] reads it.
pub(super) fn scan(path: &[u8]) -> Result<Node, CopyError> {
    let h = HostFs::new();
    let mut parts = vec![Part::Whole(path.to_vec())];
    let mut level = vec![0usize];
    for _ in 0..LEVELS {
        if level.len() >= SUBTREES {
            break;
        }
        let mut below = Vec::new();
        for &i in &level {
            let Part::Whole(p) = &parts[i] else { continue };
            let p = p.clone();
            let mut names = Vec::new();
            // The directory and its names, none of them read yet.
            let top = scan_with(&h, &p, &mut |rel: &[u8]| {
                names.push(rel.to_vec());
                Ok::<bool, CopyError>(false)
            });
            parts[i] = match top {
                Ok(n) if n.meta.kind == Kind::Dir && names.len() <= SPLIT_MAX => {
                    let ids: Vec<usize> = (parts.len()..parts.len() + names.len()).collect();
                    parts.extend(names.iter().map(|c| Part::Whole(join(&p, c))));
                    below.extend(&ids);
                    Part::Split(n, ids)
                }
                // A large directory: read whole below, as one subtree (the names read here are let go).
                Ok(n) if n.meta.kind == Kind::Dir => Part::Whole(p),
                r => Part::Done(r),
            };
        }
        if below.is_empty() {
            break;
        }
        level = below;
    }

    // The subtrees, shared out.
    let jobs: Vec<(usize, &[u8])> = parts
        .iter()
        .enumerate()
        .filter_map(|(i, p)| if let Part::Whole(p) = p { Some((i, p.as_slice())) } else { None })
        .collect();
    let next = AtomicUsize::new(0);
    let done = Mutex::new(Vec::with_capacity(jobs.len()));
    let work = || {
        let h = HostFs::new();
        let mut mine = Vec::new();
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            let Some(&(i, p)) = jobs.get(k) else { break };
            mine.push((i, scan_whole(&h, p)));
        }
        done.lock().unwrap_or_else(|e| e.into_inner()).extend(mine);
    };
    std::thread::scope(|s| {
        let helpers: Vec<_> = (1..THREADS)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .name("makefs-scan".into())
                    .stack_size(ENGINE_STACK)
                    .spawn_scoped(s, work)
                    .ok()
            })
            .collect();
        work();
        for h in helpers {
            let _ = h.join();
        }
    });
    for (i, r) in done.into_inner().unwrap_or_else(|e| e.into_inner()) {
        parts[i] = Part::Done(r);
    }
    assemble(&mut parts, 0)
}

/// Part `i` with its children in place; the first failure in the tree's order.
fn assemble(parts: &mut [Part], i: usize) -> Result<Node, CopyError> {
    match std::mem::replace(&mut parts[i], Part::Whole(Vec::new())) {
        Part::Done(r) => r,
        Part::Split(mut n, ids) => {
            n.children = ids.into_iter().map(|c| assemble(parts, c)).collect::<Result<_, _>>()?;
            Ok(n)
        }
        // Every part left whole was scanned above (a thread that could not start left its share to
        // this one).
        Part::Whole(p) => scan_whole(&HostFs::new(), &p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn the_tree_is_the_one_a_single_scan_reads() {
        let w = std::env::temp_dir().join(format!("rumpjs-makefs-scan-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&w);
        // Enough directories to be split over levels, a file and a link among them, and a directory too
        // large to split.
        for i in 0..400 {
            let d = w.join(format!("a{}/b{}/c{}", i % 3, i % 5, i % 7));
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join(format!("f{i}")), vec![1u8; i]).unwrap();
        }
        std::fs::write(w.join("a1/top"), b"x").unwrap();
        std::os::unix::fs::symlink("top", w.join("a1/link")).unwrap();
        std::fs::create_dir_all(w.join("a2/flat")).unwrap();
        for i in 0..SPLIT_MAX + 5 {
            std::fs::write(w.join(format!("a2/flat/n{i}")), b"").unwrap();
        }
        let p = w.as_os_str().as_bytes();
        // Access times aside (reading a directory may set its own).
        let shown = |mut n: Node| {
            n.walk_mut(&mut |n| n.meta.atime = Default::default());
            format!("{n:?}")
        };
        let two = scan(p).unwrap();
        let one = scan_whole(&HostFs::new(), p).unwrap();
        assert!(shown(two.clone()) == shown(one), "the trees differ");
        assert_eq!(two.children.len(), 3);
        let missing = w.join("nothing");
        assert_eq!(
            scan(missing.as_os_str().as_bytes()).unwrap_err(),
            scan_whole(&HostFs::new(), missing.as_os_str().as_bytes()).unwrap_err()
        );
        let _ = std::fs::remove_dir_all(&w);
    }
}
