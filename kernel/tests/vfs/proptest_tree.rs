//! Random sequences of operations (create, write at offsets, truncate, mkdir, rmdir, unlink, rename,
//! link, symlink, chmod) run against a tmpfs and against a small model of a directory tree. Every
//! operation must fail with the model's errno or succeed as the model does, and after each sequence
//! the whole tree (names, types, sizes, contents, link counts, modes, which names share an inode)
//! must be the model's.

use crate::common::*;
use kernel::vfs::*;
use kernel::{Errno, KResult};
use proptest::prelude::*;
use std::collections::{BTreeMap, HashMap};

const NAMES: &[&str] = &["a", "b", "c"];
const MP: &str = "/mnt";

type Path = Vec<usize>;

fn show(p: &Path) -> String {
    let mut s = MP.to_string();
    for &c in p {
        s.push('/');
        s.push_str(NAMES[c]);
    }
    s
}

#[derive(Debug, Clone)]
enum Op {
    Create { path: Path, excl: bool },
    Write { path: Path, off: u64, data: Vec<u8> },
    Truncate { path: Path, len: u64 },
    Mkdir { path: Path },
    Rmdir { path: Path },
    Unlink { path: Path },
    Rename { from: Path, to: Path },
    Link { from: Path, to: Path },
    Symlink { target: Path, path: Path },
    Chmod { path: Path, mode: u32 },
}

fn path() -> impl Strategy<Value = Path> {
    prop::collection::vec(0..NAMES.len(), 1..=3)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (path(), any::<bool>()).prop_map(|(path, excl)| Op::Create { path, excl }),
        3 => (path(), 0u64..9000, prop::collection::vec(any::<u8>(), 0..64))
            .prop_map(|(path, off, data)| Op::Write { path, off, data }),
        1 => (path(), 0u64..10000).prop_map(|(path, len)| Op::Truncate { path, len }),
        3 => path().prop_map(|path| Op::Mkdir { path }),
        1 => path().prop_map(|path| Op::Rmdir { path }),
        1 => path().prop_map(|path| Op::Unlink { path }),
        2 => (path(), path()).prop_map(|(from, to)| Op::Rename { from, to }),
        1 => (path(), path()).prop_map(|(from, to)| Op::Link { from, to }),
        1 => (path(), path()).prop_map(|(target, path)| Op::Symlink { target, path }),
        1 => (path(), prop::sample::select(vec![0o600u32, 0o755, 0o4711, 0o1777, 0o000]))
            .prop_map(|(path, mode)| Op::Chmod { path, mode }),
    ]
}

// ------------------------------------------------------------------------------------- the model

#[derive(Clone, Debug)]
enum Kind {
    Dir { entries: BTreeMap<usize, usize>, parent: usize },
    File(Vec<u8>),
    Link(Path),
}

#[derive(Clone, Debug)]
struct MNode {
    kind: Kind,
    mode: u32,
    nlink: u64,
}

struct Model {
    nodes: HashMap<usize, MNode>,
    next: usize,
}

const ROOT: usize = 0;

/// Where a lookup ended: the directory, the last name, and the node it names if any.
struct Found {
    dir: usize,
    name: usize,
    node: Option<usize>,
}

impl Model {
    fn new() -> Model {
        let mut nodes = HashMap::new();
        nodes
            .insert(ROOT, MNode { kind: Kind::Dir { entries: BTreeMap::new(), parent: ROOT }, mode: 0o1777, nlink: 2 });
        Model { nodes, next: 1 }
    }

    fn entries(&self, dir: usize) -> Option<&BTreeMap<usize, usize>> {
        match &self.nodes[&dir].kind {
            Kind::Dir { entries, .. } => Some(entries),
            _ => None,
        }
    }

    fn is_dir(&self, n: usize) -> bool {
        matches!(self.nodes[&n].kind, Kind::Dir { .. })
    }

    /// namei over the model: symbolic links (absolute within the mount) followed in the middle, and
    /// at the end when `follow`; more than MAXSYMLINKS is ELOOP.
    fn lookup(&self, path: &Path, follow: bool) -> KResult<Found> {
        let mut comps: Vec<usize> = path.clone();
        let mut cur = ROOT;
        let mut i = 0;
        let mut links = 0;
        loop {
            let entries = self.entries(cur).ok_or(Errno::ENOTDIR)?;
            let name = comps[i];
            let last = i + 1 == comps.len();
            let child = entries.get(&name).copied();
            match child {
                None if last => return Ok(Found { dir: cur, name, node: None }),
                None => return Err(Errno::ENOENT),
                Some(c) => {
                    if let Kind::Link(target) = &self.nodes[&c].kind {
                        if !last || follow {
                            links += 1;
                            if links > MAXSYMLINKS {
                                return Err(Errno::ELOOP);
                            }
                            let mut nc = target.clone();
                            nc.extend_from_slice(&comps[i + 1..]);
                            comps = nc;
                            cur = ROOT;
                            i = 0;
                            continue;
                        }
                    }
                    if last {
                        return Ok(Found { dir: cur, name, node: Some(c) });
                    }
                    cur = c;
                    i += 1;
                }
            }
        }
    }

    fn node(&self, path: &Path, follow: bool) -> KResult<usize> {
        self.lookup(path, follow)?.node.ok_or(Errno::ENOENT)
    }

    fn alloc(&mut self, kind: Kind, mode: u32, nlink: u64) -> usize {
        let n = self.next;
        self.next += 1;
        self.nodes.insert(n, MNode { kind, mode, nlink });
        n
    }

    fn dir_mut(&mut self, d: usize) -> &mut BTreeMap<usize, usize> {
        match &mut self.nodes.get_mut(&d).unwrap().kind {
            Kind::Dir { entries, .. } => entries,
            _ => unreachable!(),
        }
    }

    /// Drops one name of `n` (a non-directory), freeing it with its last link.
    fn unref(&mut self, n: usize) {
        let node = self.nodes.get_mut(&n).unwrap();
        node.nlink -= 1;
        if node.nlink == 0 {
            self.nodes.remove(&n);
        }
    }

    fn file_mut(&mut self, n: usize) -> &mut Vec<u8> {
        match &mut self.nodes.get_mut(&n).unwrap().kind {
            Kind::File(d) => d,
            _ => unreachable!(),
        }
    }

    /// Applies `op` as the kernel must: the errno it must fail with, or the change.
    fn apply(&mut self, op: &Op) -> KResult<()> {
        match op {
            Op::Create { path, excl } => {
                let f = self.lookup(path, !excl)?;
                match f.node {
                    Some(_) if *excl => Err(Errno::EEXIST),
                    Some(n) if self.is_dir(n) => Err(Errno::EISDIR),
                    Some(_) => Ok(()),
                    None => {
                        let n = self.alloc(Kind::File(Vec::new()), 0o644, 1);
                        self.dir_mut(f.dir).insert(f.name, n);
                        Ok(())
                    }
                }
            }
            Op::Write { path, off, data } => {
                let n = self.node(path, true)?;
                if self.is_dir(n) {
                    return Err(Errno::EISDIR);
                }
                let d = self.file_mut(n);
                if !data.is_empty() {
                    let end = *off as usize + data.len();
                    if d.len() < end {
                        d.resize(end, 0);
                    }
                    d[*off as usize..end].copy_from_slice(data);
                }
                Ok(())
            }
            Op::Truncate { path, len } => {
                let n = self.node(path, true)?;
                if self.is_dir(n) {
                    return Err(Errno::EISDIR);
                }
                self.file_mut(n).resize(*len as usize, 0);
                Ok(())
            }
            Op::Mkdir { path } => {
                let f = self.lookup(path, false)?;
                if f.node.is_some() {
                    return Err(Errno::EEXIST);
                }
                let n = self.alloc(Kind::Dir { entries: BTreeMap::new(), parent: f.dir }, 0o755, 2);
                self.dir_mut(f.dir).insert(f.name, n);
                self.nodes.get_mut(&f.dir).unwrap().nlink += 1;
                Ok(())
            }
            Op::Rmdir { path } => {
                let f = self.lookup(path, false)?;
                let n = f.node.ok_or(Errno::ENOENT)?;
                match self.entries(n) {
                    None => Err(Errno::ENOTDIR),
                    Some(e) if !e.is_empty() => Err(Errno::ENOTEMPTY),
                    Some(_) => {
                        self.dir_mut(f.dir).remove(&f.name);
                        self.nodes.remove(&n);
                        self.nodes.get_mut(&f.dir).unwrap().nlink -= 1;
                        Ok(())
                    }
                }
            }
            Op::Unlink { path } => {
                let f = self.lookup(path, false)?;
                let n = f.node.ok_or(Errno::ENOENT)?;
                if self.is_dir(n) {
                    return Err(Errno::EPERM);
                }
                self.dir_mut(f.dir).remove(&f.name);
                self.unref(n);
                Ok(())
            }
            Op::Rename { from, to } => {
                let ff = self.lookup(from, false)?;
                let fnode = ff.node.ok_or(Errno::ENOENT)?;
                let tf = self.lookup(to, false)?;
                let fdir = self.is_dir(fnode);
                if let Some(t) = tf.node {
                    if fdir && !self.is_dir(t) {
                        return Err(Errno::ENOTDIR);
                    }
                    if !fdir && self.is_dir(t) {
                        return Err(Errno::EISDIR);
                    }
                }
                if fnode == tf.dir {
                    return Err(Errno::EINVAL);
                }
                if tf.node == Some(fnode) {
                    // Two names of one file: the source name goes (NetBSD rename, retain 0).
                    if !fdir && (ff.dir != tf.dir || ff.name != tf.name) {
                        self.dir_mut(ff.dir).remove(&ff.name);
                        self.unref(fnode);
                    }
                    return Ok(());
                }
                if fdir {
                    // Not into its own subtree.
                    let mut d = tf.dir;
                    loop {
                        if d == fnode {
                            return Err(Errno::EINVAL);
                        }
                        if d == ROOT {
                            break;
                        }
                        d = match &self.nodes[&d].kind {
                            Kind::Dir { parent, .. } => *parent,
                            _ => unreachable!(),
                        };
                    }
                }
                if let Some(t) = tf.node {
                    if self.entries(t).is_some_and(|e| !e.is_empty()) {
                        return Err(Errno::ENOTEMPTY);
                    }
                    self.dir_mut(tf.dir).remove(&tf.name);
                    if self.is_dir(t) {
                        self.nodes.remove(&t);
                        self.nodes.get_mut(&tf.dir).unwrap().nlink -= 1;
                    } else {
                        self.unref(t);
                    }
                }
                self.dir_mut(ff.dir).remove(&ff.name);
                self.dir_mut(tf.dir).insert(tf.name, fnode);
                if fdir {
                    self.nodes.get_mut(&ff.dir).unwrap().nlink -= 1;
                    self.nodes.get_mut(&tf.dir).unwrap().nlink += 1;
                    if let Kind::Dir { parent, .. } = &mut self.nodes.get_mut(&fnode).unwrap().kind {
                        *parent = tf.dir;
                    }
                }
                Ok(())
            }
            Op::Link { from, to } => {
                let n = self.node(from, true)?;
                if self.is_dir(n) {
                    return Err(Errno::EPERM);
                }
                let tf = self.lookup(to, false)?;
                if tf.node.is_some() {
                    return Err(Errno::EEXIST);
                }
                self.dir_mut(tf.dir).insert(tf.name, n);
                self.nodes.get_mut(&n).unwrap().nlink += 1;
                Ok(())
            }
            Op::Symlink { target, path } => {
                let f = self.lookup(path, false)?;
                if f.node.is_some() {
                    return Err(Errno::EEXIST);
                }
                let n = self.alloc(Kind::Link(target.clone()), 0o755, 1);
                self.dir_mut(f.dir).insert(f.name, n);
                Ok(())
            }
            Op::Chmod { path, mode } => {
                let n = self.node(path, true)?;
                self.nodes.get_mut(&n).unwrap().mode = *mode;
                Ok(())
            }
        }
    }
}

// -------------------------------------------------------------------------------- the kernel side

fn run(p: &Proc, op: &Op) -> KResult<()> {
    match op {
        Op::Create { path, excl } => {
            let fd = p.open(show(path).as_bytes(), O_CREAT | O_WRONLY | if *excl { O_EXCL } else { 0 }, 0o666)?;
            p.close(fd)
        }
        Op::Write { path, off, data } => {
            let fd = p.open(show(path).as_bytes(), O_WRONLY, 0)?;
            let r = p.pwrite(fd, data, *off as i64);
            p.close(fd)?;
            assert_eq!(r?, data.len());
            Ok(())
        }
        Op::Truncate { path, len } => p.truncate(show(path).as_bytes(), *len as i64),
        Op::Mkdir { path } => p.mkdir(show(path).as_bytes(), 0o777),
        Op::Rmdir { path } => p.rmdir(show(path).as_bytes()),
        Op::Unlink { path } => p.unlink(show(path).as_bytes()),
        Op::Rename { from, to } => p.rename(show(from).as_bytes(), show(to).as_bytes()),
        Op::Link { from, to } => p.link(show(from).as_bytes(), show(to).as_bytes()),
        Op::Symlink { target, path } => p.symlink(show(target).as_bytes(), show(path).as_bytes()),
        Op::Chmod { path, mode } => p.chmod(show(path).as_bytes(), *mode),
    }
}

/// Walks the kernel's tree and the model's side by side. `inos` maps model nodes to kernel inodes,
/// so hard links must be the same inode in both.
fn compare(p: &Proc, m: &Model, dir: usize, kpath: &str, inos: &mut HashMap<usize, u64>) {
    let entries = m.entries(dir).unwrap();
    let knames = list_dir(p, kpath.as_bytes());
    let mnames: Vec<Vec<u8>> = entries.keys().map(|&c| NAMES[c].as_bytes().to_vec()).collect();
    assert_eq!(knames, mnames, "names in {kpath}");
    for (&name, &n) in entries {
        let path = format!("{kpath}/{}", NAMES[name]);
        let st = p.lstat(path.as_bytes()).unwrap();
        let mn = &m.nodes[&n];
        if let Some(&ino) = inos.get(&n) {
            assert_eq!(st.ino, ino, "{path}: hard links share an inode");
        } else {
            assert!(!inos.values().any(|&i| i == st.ino), "{path}: inode {} reused", st.ino);
            inos.insert(n, st.ino);
        }
        assert_eq!(st.mode & 0o7777, mn.mode, "{path}: mode");
        assert_eq!(st.nlink, mn.nlink, "{path}: nlink");
        match &mn.kind {
            Kind::Dir { .. } => {
                assert_eq!(st.mode & S_IFMT, S_IFDIR, "{path}: type");
                compare(p, m, n, &path, inos);
            }
            Kind::File(data) => {
                assert_eq!(st.mode & S_IFMT, S_IFREG, "{path}: type");
                assert_eq!(st.size, data.len() as u64, "{path}: size");
                assert_eq!(&read_file(p, path.as_bytes()), data, "{path}: contents");
            }
            Kind::Link(target) => {
                assert_eq!(st.mode & S_IFMT, S_IFLNK, "{path}: type");
                assert_eq!(p.readlink(path.as_bytes()).unwrap(), show(target).into_bytes(), "{path}: target");
            }
        }
    }
}

fn check(ops: &[Op]) {
    let (k, p) = boot();
    p.mount("tmpfs", MP.as_bytes(), 0, None, &MountOptions::default()).unwrap();
    let mut m = Model::new();
    for (i, op) in ops.iter().enumerate() {
        let want = m.apply(op);
        let got = run(&p, op);
        assert_eq!(got, want, "op {i}: {op:?}");
    }
    let mut inos = HashMap::new();
    inos.insert(ROOT, p.stat(MP.as_bytes()).unwrap().ino);
    compare(&p, &m, ROOT, MP, &mut inos);
    assert_eq!(p.stat(MP.as_bytes()).unwrap().nlink, m.nodes[&ROOT].nlink, "nlink of the root");
    // Every node the model has is alive in tmpfs, and nothing else: statvfs counts them.
    let sv = p.statvfs(MP.as_bytes()).unwrap();
    assert_eq!(sv.fs.files - sv.fs.ffree, m.nodes.len() as u64, "nodes in use");
    p.unmount(MP.as_bytes(), 0).unwrap();
    drop(k);
}

proptest! {
    // Failures are kept as plain tests below (`regressions`), not in a file beside the source.
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn tmpfs_matches_the_model(ops in prop::collection::vec(op(), 1..60)) {
        check(&ops);
    }
}

/// Sequences the property test once found wrong, kept as plain tests.
#[test]
fn regressions() {
    use Op::*;
    // A write of nothing at an offset past the end grew the file (tmpfs_write must return at once).
    check(&[Create { path: vec![2], excl: false }, Write { path: vec![2], off: 1, data: vec![] }]);
    check(&[
        Mkdir { path: vec![0] },
        Symlink { target: vec![0], path: vec![1] },
        Create { path: vec![1, 2], excl: true },
        Rename { from: vec![0], to: vec![1, 2, 0] },
        Link { from: vec![1, 2], to: vec![2] },
        Rename { from: vec![2], to: vec![0, 2] },
    ]);
    // A symbolic link loop.
    check(&[
        Symlink { target: vec![1], path: vec![0] },
        Symlink { target: vec![0], path: vec![1] },
        Create { path: vec![0], excl: false },
    ]);
}
